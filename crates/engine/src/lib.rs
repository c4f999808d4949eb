//! The single surface that every front end drives (the desktop shell and the command
//! line): worklists, the review screen's item view, frames, decisions, import.
//!
//! Lower crates never depend on this one; transport types live here only.

mod assessing;
mod audit_trail;
mod background;
mod documents;
mod dto;
mod error;
mod forget;
mod frame_cache;
pub mod frame_wire;
mod meaning;
mod models;
mod parallel;
mod platform;
mod pulls;
mod retention;
mod screen_lock;
mod stored_file;
mod wakeup;
mod workstation_key;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use frame_cache::FrameCache;
use sr_catalog::{
    BatchKind, Catalog, ImportOptions, ImportReport, ItemFailure, ItemRecord, ItemState,
    NewVerdict, Role, Verdict, Worklist, WorklistQuery,
};
use sr_decode::{DecodeConfig, Decoder};
use stored_file::StoredFile;

pub use assessing::{
    ASSESS_THREAD, AssessProgress, AssessReport, AssessStatus, MODELS_QUIET, QUALITY_MODEL,
};
pub use audit_trail::AuditView;
pub use background::map_large_buffers_apart;
pub use documents::{CODING_MODEL, CodeConflict, DocumentCoding, DocumentText, PageOutcome};
pub use dto::*;
pub use error::{EngineError, ErrorReport};
pub use forget::{Forgotten, forget_workstation};
pub use models::{ICD_TABLE, ModelProblem, ModelView, ModelsView, QualityCheckView};
pub use platform::{PlatformForm, SessionConfig, SyncStatus};
pub use pulls::{
    PullBoard, PullOutcome, PullPart, SourceForm, SourceKind, SourceView, SourcesView,
};
pub use screen_lock::{LockReason, PendingUnlock, Unlocked};
pub use sr_assess::{Finding, HeatMap, LabelScore};
pub use sr_auth::{self as auth, PlatformConfig};
pub use sr_catalog as catalog;
pub use sr_contract::ErrorCode;
pub use sr_icd::{self as icd, CodeHit, CodeInfo};
pub use sr_models::{DevicePreference, Provider, ProviderKind, RuntimeConfig};
pub use sr_ocr::{self as ocr, PageText};
pub use sr_pull as pull;
pub use sr_sync::{SyncOptions, SyncReport, SyncStop};
pub use workstation_key::{AtRest, KeyError, forget_key};

/// The bytes of encoded frames kept for going back and forth between recent items:
/// a dozen 2k × 2k radiographs at 16 bits.
const FRAME_CACHE_BYTES: usize = 96 * 1024 * 1024;

/// An item read again by the same person within this time is one view in the audit
/// trail (the review screen reads an item again while its local results land).
const VIEWED_AGAIN_AFTER: std::time::Duration = std::time::Duration::from_secs(300);

#[derive(Debug, Clone)]
pub struct EngineConfig {
    pub data_dir: PathBuf,
    pub pdfium_library: Option<PathBuf>,
    /// Folders of models (`<id>/model.toml`); a later folder's model replaces an
    /// earlier one of the same id.
    pub model_dirs: Vec<PathBuf>,
    pub runtime: RuntimeConfig,
    /// Who may review here: the platform's signed-in people, or the demo session.
    pub session: SessionConfig,
    pub at_rest: AtRest,
    /// How long the assessment queue stays idle before the models it opened close.
    pub models_quiet: std::time::Duration,
}

impl EngineConfig {
    /// A data dir with nothing else configured: no PDFium, no models.
    pub fn new(data_dir: PathBuf) -> Self {
        Self {
            data_dir,
            pdfium_library: None,
            model_dirs: Vec::new(),
            runtime: RuntimeConfig::default(),
            session: SessionConfig::Demo,
            at_rest: AtRest::Encrypted,
            models_quiet: MODELS_QUIET,
        }
    }
}

pub struct Engine {
    data_dir: PathBuf,
    at_rest: AtRest,
    /// Opened when first needed: work on a file outside the catalogue (OCR of a
    /// file, a model's check) never needs the workstation's key.
    catalog: OnceLock<Mutex<Catalog>>,
    opening_catalog: Mutex<()>,
    /// How far opening the catalogue has come in encrypting an earlier version's data.
    sealing: sr_catalog::SealingProgress,
    decoder: Decoder,
    frames: Mutex<FrameCache>,
    models: models::ModelShelf,
    /// Where models pulled from a bucket are installed (a model root of its own).
    site_models: PathBuf,
    assessor: assessing::Assessor,
    models_quiet: std::time::Duration,
    session: platform::Session,
    /// Wakes the background sync when a decision is made.
    sync_wakeup: wakeup::Wakeup,
    /// Wakes the background listing of the sources when someone signs in: signed out,
    /// nothing was pulled.
    pull_wakeup: wakeup::Wakeup,
    sync_running: Mutex<()>,
    /// Who last opened which item, and when, for [`Engine::newly_viewed`].
    last_view: Mutex<Option<(String, i64, std::time::Instant)>>,
}

impl Engine {
    pub fn open(config: EngineConfig) -> Result<Self, EngineError> {
        // The session keeps who signed in here, before the catalogue is ever opened.
        std::fs::create_dir_all(&config.data_dir)
            .map_err(|e| EngineError::io(format!("create {}", config.data_dir.display()), e))?;
        let session = platform::Session::open(config.session, &config.data_dir)?;
        let decoder = Decoder::new(DecodeConfig {
            pdfium_library: config.pdfium_library,
            ..DecodeConfig::default()
        });
        Ok(Self {
            data_dir: config.data_dir.clone(),
            at_rest: config.at_rest,
            catalog: OnceLock::new(),
            opening_catalog: Mutex::new(()),
            sealing: sr_catalog::SealingProgress::default(),
            decoder,
            frames: Mutex::new(FrameCache::new(FRAME_CACHE_BYTES)),
            models: models::ModelShelf::new(config.model_dirs, config.runtime),
            site_models: config.data_dir.join("models"),
            assessor: assessing::Assessor::default(),
            models_quiet: config.models_quiet,
            session,
            sync_wakeup: wakeup::Wakeup::new(true),
            pull_wakeup: wakeup::Wakeup::new(false),
            sync_running: Mutex::new(()),
            last_view: Mutex::new(None),
        })
    }

    /// The catalogue, opened with the workstation's key on first use.
    fn catalog_mutex(&self) -> Result<&Mutex<Catalog>, EngineError> {
        if let Some(catalog) = self.catalog.get() {
            return Ok(catalog);
        }
        let _opening = lock(&self.opening_catalog);
        if self.catalog.get().is_none() {
            let mut catalog =
                workstation_key::open_store(&self.data_dir, self.at_rest, &self.sealing)?;
            self.session.may_open(&catalog)?;
            catalog.record_audit(sr_catalog::AuditEvent {
                action: sr_catalog::AuditAction::Opened,
                actor: self.session.actor(),
                item_id: None,
                detail: None,
            })?;
            let _ = self.catalog.set(Mutex::new(catalog));
        }
        Ok(self.catalog.get().expect("set above"))
    }

    fn catalog(&self) -> Result<MutexGuard<'_, Catalog>, EngineError> {
        Ok(lock(self.catalog_mutex()?))
    }

    pub fn session(&self) -> SessionInfo {
        self.session.info()
    }

    /// How far the first open has come in encrypting data an earlier version left in
    /// plaintext; `None` when no encryption is under way. Never waits for the catalogue.
    pub fn sealing(&self) -> Option<sr_catalog::Sealing> {
        self.sealing.now()
    }

    /// Catalogues a folder laid out like the bucket, then opens every new item once so
    /// that broken files show as errors in the worklist before anyone opens them.
    pub fn import(&self, dir: &Path, default_kind: BatchKind) -> Result<ImportReport, EngineError> {
        let options = ImportOptions {
            default_kind,
            source: format!("folder:{}", dir.display()),
        };
        let mut report = self.catalog()?.import_dir(dir, &options)?;
        report.failed.extend(self.probe_pending()?);
        Ok(report)
    }

    /// Probes every stored item not yet looked at, on every core, recording them in
    /// chunks (a kill loses at most one chunk's work, redone next time); returns those
    /// that cannot be shown.
    pub fn probe_pending(&self) -> Result<Vec<ItemFailure>, EngineError> {
        const CHUNK: usize = 256;
        let pending = self.catalog()?.pending_probes()?;
        let blobs = self.catalog()?.blobs().clone();
        let mut failed = Vec::new();
        for chunk in pending.chunks(CHUNK) {
            let mut outcomes: Vec<(i64, sr_catalog::ProbeOutcome)> =
                parallel::map_on_all_cores(chunk, |item| (item.id, self.probe_one(&blobs, item)));
            outcomes.sort_by_key(|(id, _)| *id);
            let mut catalog = self.catalog()?;
            for (id, outcome) in &outcomes {
                if let Err(reason) = outcome {
                    let record = catalog.item(*id)?;
                    failed.push(ItemFailure {
                        tenant: record.tenant,
                        batch: record.batch,
                        key: record.key,
                        reason: reason.clone(),
                    });
                }
            }
            catalog.record_probes(&outcomes)?;
        }
        if !pending.is_empty() {
            self.wake_assessor();
        }
        Ok(failed)
    }

    fn probe_one(
        &self,
        blobs: &sr_catalog::BlobStore,
        item: &sr_catalog::PendingProbe,
    ) -> sr_catalog::ProbeOutcome {
        self.decoder
            .probe(
                &StoredFile::new(blobs.clone(), &item.sha256),
                decode_format(item.format),
            )
            .map(|p| (p.frames, serde_json::to_value(&p).unwrap_or_default()))
            .map_err(|e| e.to_string())
    }

    /// Capture quality of one file (its first frame), outside the catalogue: for a
    /// technician's spot check or a script.
    pub fn quality_of_file(&self, path: &Path) -> Result<sr_assess::QualityReport, EngineError> {
        let format = catalog_format(path)?;
        let frame = self.decoder.frame(path, decode_format(format), 0)?;
        Ok(self.quality_of_frame(&frame, format).0)
    }

    /// The heat map a diagnosis model stored for an item, as PNG.
    pub fn heatmap(&self, item_id: i64, model_id: &str) -> Result<Option<Vec<u8>>, EngineError> {
        let catalog = self.catalog()?;
        self.session
            .require_tenant(&catalog.item(item_id)?.tenant)?;
        Ok(catalog.heatmap(item_id, model_id)?)
    }

    /// Every installed model, its sha256 check and the device it runs on (a usable
    /// model never opened is opened once to find out).
    pub fn models(&self) -> ModelsView {
        self.models.probe_all();
        self.models.view()
    }

    /// One-off classification of a file's first frame by the named model.
    pub fn classify_file(
        &self,
        model_id: &str,
        path: &Path,
    ) -> Result<(sr_assess::Finding, sr_models::Provider), EngineError> {
        let model = self.models.open(model_id)?;
        let frame = self
            .decoder
            .frame(path, decode_format(catalog_format(path)?), 0)?;
        let finding = sr_assess::diagnose(&model, &frame)?;
        Ok((finding, model.provider().clone()))
    }

    /// Pulls a configured source into the catalogue, then probes what arrived (also
    /// when the pull stopped part-way). Models the bucket offers go to the data dir's
    /// models folder, and the installed models are read again when one arrived.
    /// `secret` is the source's secret from the OS keyring; `progress` is read by
    /// whoever shows it.
    fn pull(
        &self,
        source: &sr_pull::SourceConfig,
        secret: Option<&str>,
        options: &sr_pull::PullOptions,
        progress: &sr_pull::PullProgress,
    ) -> Result<sr_pull::PullReport, EngineError> {
        let scope = self.session.scope()?;
        let store = sr_pull::open_store(source, secret)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| EngineError::Internal(format!("cannot start the pull: {e}")))?;
        let options = sr_pull::PullOptions {
            models_dir: Some(self.site_models.clone()),
            ..options.clone()
        };
        let outcome = runtime.block_on(sr_pull::pull(
            &store,
            source,
            self.catalog_mutex()?,
            &options,
            &scope,
            progress,
        ));
        if let Ok(report) = &outcome
            && report
                .models
                .iter()
                .any(|m| m.outcome == sr_pull::ModelOutcome::Installed)
        {
            self.models.rescan();
            self.wake_assessor();
        }
        // A pull that failed says why (a full disk, say) before anything probing hit.
        let probed = self.probe_pending();
        let mut report = outcome?;
        report.recorded.failed.extend(probed?);
        Ok(report)
    }

    pub fn worklist(&self, query: &WorklistQuery) -> Result<Worklist, EngineError> {
        self.session.reviewer(query.role)?;
        let scope = self.session.scope()?;
        Ok(self.catalog()?.worklist(query, &scope)?)
    }

    /// Whether opening this item is a view of its own for the audit trail: not when the
    /// same person had it open a moment ago (the screen reads it again as results land).
    fn newly_viewed(&self, subject: &str, item: i64) -> bool {
        let mut last = lock(&self.last_view);
        let now = std::time::Instant::now();
        let again = last.as_ref().is_some_and(|(who, id, at)| {
            who == subject && *id == item && now.duration_since(*at) < VIEWED_AGAIN_AFTER
        });
        *last = Some((subject.to_owned(), item, now));
        !again
    }

    /// The review screen's view of an item; opening it puts it in review for the role.
    pub fn open_item(&self, id: i64, role: Role) -> Result<ItemView, EngineError> {
        let reviewer = self.session.reviewer(role)?;
        let mut catalog = self.catalog()?;
        let item = catalog.item(id)?;
        self.session.require_tenant(&item.tenant)?;
        if item.batch_kind != role.batch_kind() {
            return Err(EngineError::Invalid(format!(
                "a {} does not review {} items",
                role.as_str(),
                item.batch_kind.as_str()
            )));
        }
        let kind = role.verdict_kind();
        if self.newly_viewed(&reviewer.subject, id) {
            catalog.record_audit(sr_catalog::AuditEvent {
                action: sr_catalog::AuditAction::ItemViewed,
                actor: reviewer,
                item_id: Some(id),
                detail: Some(serde_json::json!({"role": role.as_str()})),
            })?;
        }
        if item.error.is_none() {
            catalog.mark_opened(id, kind)?;
        }
        let history = catalog.verdicts(Some((id, kind)))?;
        catalog.prioritise_jobs(id)?;
        let assessments = catalog.assessments(id)?;
        let failed = catalog.failed_jobs(id)?;
        let mut view = item_view(item, history);
        let unreadable = read_assessments(&mut view, assessments);
        for (kind, model, _) in &unreadable {
            catalog.requeue_job(id, *kind, model)?;
        }
        if !unreadable.is_empty() {
            self.wake_assessor();
        }
        view.assessment_pending = catalog.item_jobs_queued(id)?;
        view.unsynced = catalog
            .unsynced(None)?
            .into_iter()
            .find(|u| u.item_id == id && u.mine.decision.kind() == kind);
        view.assessment_errors = failed
            .into_iter()
            .map(|(kind, model, error)| format!("{} ({model}): {error}", kind.as_str()))
            .chain(unreadable.into_iter().map(|(kind, model, error)| {
                format!(
                    "{} ({model}): the stored result cannot be read ({error}); re-assessing",
                    kind.as_str()
                )
            }))
            .collect();
        Ok(view)
    }

    pub fn decide(&self, request: DecideRequest) -> Result<Verdict, EngineError> {
        sr_contract::limits::check_note(&request.note)?;
        sr_contract::limits::check_decision(&request.decision)?;
        let reviewer = self.session.reviewer(request.role)?;
        let mut catalog = self.catalog()?;
        self.session
            .require_tenant(&catalog.item(request.item_id)?.tenant)?;
        let verdict = catalog.record_verdict(NewVerdict {
            item_id: request.item_id,
            decision: request.decision,
            note: request.note,
            reviewer: reviewer.clone(),
            role: request.role,
            time_spent_ms: request.time_spent_ms,
        })?;
        drop(catalog);
        self.audit_as(
            reviewer,
            sr_catalog::AuditAction::Decided,
            Some(request.item_id),
            Some(serde_json::json!({"verdict": verdict.uuid, "kind": verdict.decision.kind().as_str()})),
        )?;
        self.sync_wakeup.wake();
        Ok(verdict)
    }

    /// Every decision on this workstation of the tenants the session reviews for.
    pub fn verdicts(&self) -> Result<Vec<Verdict>, EngineError> {
        let scope = self.session.scope()?;
        let mut verdicts = self.catalog()?.verdicts(None)?;
        verdicts.retain(|v| scope.allows(&v.item.tenant));
        Ok(verdicts)
    }

    /// One frame of an item, encoded for the viewer (see [`frame_wire`]).
    pub fn frame(&self, id: i64, index: u32) -> Result<Arc<Vec<u8>>, EngineError> {
        let cached = self
            .frames
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get((id, index));
        if let Some((tenant, bytes)) = cached {
            self.session.require_tenant(&tenant)?;
            return Ok(bytes);
        }
        let (file, format, tenant) = {
            let catalog = self.catalog()?;
            let item = catalog.item(id)?;
            self.session.require_tenant(&item.tenant)?;
            if let Some(error) = item.error {
                return Err(EngineError::Damaged(error));
            }
            match (item.sha256, item.format) {
                (Some(sha), Some(format)) => (
                    StoredFile::new(catalog.blobs().clone(), &sha),
                    format,
                    item.tenant,
                ),
                _ => {
                    return Err(EngineError::Internal(
                        "the item's file is not stored".into(),
                    ));
                }
            }
        };
        let frame = self.decoder.frame(&file, decode_format(format), index)?;
        let bytes = Arc::new(frame_wire::encode(&frame));
        self.frames.lock().unwrap_or_else(|p| p.into_inner()).put(
            (id, index),
            tenant,
            bytes.clone(),
        );
        Ok(bytes)
    }
}

/// Puts an item's stored results on its view; returns those that cannot be read (a
/// damaged row, or one an older version wrote), by kind and model, with the reason.
fn read_assessments(
    view: &mut ItemView,
    stored: Vec<sr_catalog::StoredAssessment>,
) -> Vec<(sr_catalog::JobKind, String, String)> {
    let mut unreadable = Vec::new();
    for stored in stored {
        let model = stored.model;
        let read = match stored.kind {
            sr_catalog::JobKind::Diagnosis => serde_json::from_str::<LocalFinding>(&stored.result)
                .map(|mut finding| {
                    finding.model = model.clone();
                    finding.has_heatmap = stored.has_heatmap;
                    view.findings.push(finding);
                }),
            sr_catalog::JobKind::Quality => serde_json::from_str(&stored.result).map(|report| {
                view.quality = Some(QualityAssessment {
                    model: model.clone(),
                    report,
                });
            }),
            sr_catalog::JobKind::Coding => serde_json::from_str(&stored.result).map(|coding| {
                view.coding = Some(CodingAssessment {
                    model: model.clone(),
                    coding,
                });
            }),
        };
        if let Err(e) = read {
            unreadable.push((stored.kind, model.id, e.to_string()));
        }
    }
    unreadable
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn decode_format(format: sr_catalog::Format) -> sr_decode::Format {
    use sr_catalog::Format as C;
    use sr_decode::Format as D;
    match format {
        C::Dicom => D::Dicom,
        C::Jpeg => D::Jpeg,
        C::Png => D::Png,
        C::Tiff => D::Tiff,
        C::Pdf => D::Pdf,
    }
}

fn item_view(item: ItemRecord, history: Vec<Verdict>) -> ItemView {
    let state = if item.error.is_some() {
        ItemState::Error
    } else if history.is_empty() {
        ItemState::InReview
    } else {
        ItemState::Decided
    };
    let mut meta = Vec::new();
    if let Some(probe) = &item.meta {
        if let (Some(w), Some(h)) = (probe.get("width"), probe.get("height")) {
            meta.push(MetaField {
                label: "Size".into(),
                value: format!("{w} × {h} px"),
            });
        }
        if let Some(fields) = probe.get("meta").and_then(|m| m.as_object()) {
            for (label, value) in fields {
                meta.push(MetaField {
                    label: label.clone(),
                    value: value.as_str().unwrap_or_default().to_string(),
                });
            }
        }
    }
    ItemView {
        id: item.id,
        tenant: item.tenant,
        batch: item.batch,
        key: item.key,
        format: item.format,
        subject: item.subject,
        frames: item.frames.unwrap_or(1),
        state,
        error: item.error,
        meta,
        ai: item.ai.as_ref().map(ai_finding),
        findings: Vec::new(),
        quality: None,
        coding: None,
        assessment_pending: false,
        assessment_errors: Vec::new(),
        history,
        unsynced: None,
    }
}

fn ai_finding(ai: &serde_json::Value) -> AiFinding {
    let text = |v: Option<&serde_json::Value>| v.and_then(|v| v.as_str()).unwrap_or("").to_string();
    let model = ai.get("model");
    AiFinding {
        model_id: text(model.and_then(|m| m.get("id"))),
        model_version: text(model.and_then(|m| m.get("version"))),
        finding: text(ai.get("finding")),
        confidence: ai
            .get("confidence")
            .and_then(|c| c.as_f64())
            .map(|c| c as f32),
        codes: ai
            .get("codes")
            .and_then(|c| c.as_array())
            .map(|codes| {
                codes
                    .iter()
                    .map(|c| SuggestedCode {
                        code: text(c.get("code")),
                        title: text(c.get("title")),
                    })
                    .collect()
            })
            .unwrap_or_default(),
    }
}

/// The format of a file outside the catalogue, by its name.
fn catalog_format(path: &Path) -> Result<sr_catalog::Format, EngineError> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    sr_catalog::Format::from_key(name).ok_or_else(|| {
        EngineError::Invalid(format!("{} is not a supported file type", path.display()))
    })
}
