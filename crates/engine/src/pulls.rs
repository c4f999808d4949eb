//! Pulls as the app runs them: in the background, one at a time per source, with the
//! progress and the last outcome of each source kept for the Sources screen. The
//! sources file is read afresh each time, so an admin's edit applies at once.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sr_pull::{
    ProgressSnapshot, PullOptions, PullProgress, PullReport, SourceConfig, SourceLocation,
    SourcesFile,
};
use ts_rs::TS;

use crate::{Engine, EngineError, ErrorReport};

/// The Sources screen: the file it comes from, the cache settings, each source.
#[derive(Debug, Clone, Serialize, TS)]
pub struct SourcesView {
    pub file: String,
    pub poll_minutes: f64,
    pub quota_gib: Option<f64>,
    pub sources: Vec<SourceView>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    S3,
    Folder,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct SourceView {
    pub name: String,
    pub kind: SourceKind,
    /// Where it points, for a person: `https://minio… / bucket` or a folder path.
    pub location: String,
    pub tenants: Vec<String>,
    /// The source as the edit form shows it (the secret left empty: it stays in the
    /// keyring unless a new one is typed).
    pub form: SourceForm,
    /// Present while a pull of this source runs.
    pub pulling: Option<ProgressSnapshot>,
    pub last: Option<PullOutcome>,
}

/// How a pull ended: its report, or why it could not go on.
#[derive(Debug, Clone, Serialize, TS)]
pub struct PullOutcome {
    pub source: String,
    pub finished_at: String,
    pub report: Option<PullReport>,
    pub error: Option<ErrorReport>,
}

impl PullOutcome {
    /// Items this pull added to the worklists.
    pub fn added(&self) -> u32 {
        self.report.as_ref().map_or(0, |r| r.recorded.added)
    }
}

/// A source as the admin enters it on the Sources screen. The secret goes to the OS
/// keyring, never into the file.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct SourceForm {
    pub name: String,
    pub kind: SourceKind,
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub bucket: Option<String>,
    pub virtual_hosted: bool,
    pub access_key_id: Option<String>,
    pub secret: Option<String>,
    pub ca_bundle: Option<String>,
    pub path: Option<String>,
    pub tenants: Vec<String>,
}

impl SourceForm {
    fn from_config(config: &SourceConfig) -> Self {
        let blank = SourceForm {
            name: config.name.clone(),
            kind: SourceKind::Folder,
            endpoint: None,
            region: None,
            bucket: None,
            virtual_hosted: false,
            access_key_id: None,
            secret: None,
            ca_bundle: None,
            path: None,
            tenants: config.tenants.clone(),
        };
        match &config.location {
            SourceLocation::S3 {
                endpoint,
                region,
                bucket,
                virtual_hosted,
                access_key_id,
                ca_bundle,
            } => SourceForm {
                kind: SourceKind::S3,
                endpoint: endpoint.clone(),
                region: Some(region.clone()),
                bucket: Some(bucket.clone()),
                virtual_hosted: *virtual_hosted,
                access_key_id: Some(access_key_id.clone()),
                ca_bundle: ca_bundle.as_ref().map(|p| p.display().to_string()),
                ..blank
            },
            SourceLocation::Folder { path } => SourceForm {
                path: Some(path.display().to_string()),
                ..blank
            },
        }
    }

    fn into_config(self) -> Result<(SourceConfig, Option<String>), EngineError> {
        let text = |value: Option<String>| {
            value
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let required = |value: Option<String>, what: &str| {
            text(value).ok_or_else(|| EngineError::Invalid(format!("{what} is required")))
        };
        let name = required(Some(self.name), "a name")?;
        let location = match self.kind {
            SourceKind::S3 => SourceLocation::S3 {
                endpoint: text(self.endpoint),
                region: text(self.region).unwrap_or_else(|| "us-east-1".into()),
                bucket: required(self.bucket, "the bucket")?,
                virtual_hosted: self.virtual_hosted,
                access_key_id: required(self.access_key_id, "the access key id")?,
                ca_bundle: text(self.ca_bundle).map(PathBuf::from),
            },
            SourceKind::Folder => SourceLocation::Folder {
                path: PathBuf::from(required(self.path, "the folder")?),
            },
        };
        let config = SourceConfig {
            name,
            location,
            tenants: self
                .tenants
                .into_iter()
                .filter_map(|t| text(Some(t)))
                .collect(),
            concurrency: 16,
            part_size_mib: 16,
            default_kind: sr_catalog::BatchKind::Imaging,
        };
        Ok((config, text(self.secret)))
    }
}

/// The app's pulls over one engine and one sources file.
pub struct PullBoard {
    engine: Arc<Engine>,
    sources_file: PathBuf,
    state: Mutex<HashMap<String, SourceState>>,
}

#[derive(Default)]
struct SourceState {
    running: Option<Arc<PullProgress>>,
    last: Option<PullOutcome>,
}

impl PullBoard {
    pub fn new(engine: Arc<Engine>, sources_file: PathBuf) -> Arc<Self> {
        Arc::new(Self {
            engine,
            sources_file,
            state: Mutex::default(),
        })
    }

    fn state(&self) -> MutexGuard<'_, HashMap<String, SourceState>> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn file(&self) -> Result<SourcesFile, EngineError> {
        Ok(SourcesFile::load(&self.sources_file)?)
    }

    pub fn view(&self) -> Result<SourcesView, EngineError> {
        let file = self.file()?;
        let state = self.state();
        let sources = file
            .sources
            .iter()
            .map(|source| {
                let entry = state.get(&source.name);
                let (kind, location) = match &source.location {
                    SourceLocation::S3 {
                        endpoint, bucket, ..
                    } => (
                        SourceKind::S3,
                        format!("{} / {bucket}", endpoint.as_deref().unwrap_or("AWS S3")),
                    ),
                    SourceLocation::Folder { path } => {
                        (SourceKind::Folder, path.display().to_string())
                    }
                };
                SourceView {
                    name: source.name.clone(),
                    kind,
                    location,
                    tenants: source.tenants.clone(),
                    form: SourceForm::from_config(source),
                    pulling: entry.and_then(|e| e.running.as_ref()).map(|p| p.snapshot()),
                    last: entry.and_then(|e| e.last.clone()),
                }
            })
            .collect();
        Ok(SourcesView {
            file: self.sources_file.display().to_string(),
            poll_minutes: file.cache.poll_minutes,
            quota_gib: file.cache.quota_gib,
            sources,
        })
    }

    /// Adds a source, or replaces the one with the same name; checks it opens first.
    pub fn save(&self, form: SourceForm) -> Result<(), EngineError> {
        let (config, secret) = form.into_config()?;
        sr_pull::open_store(&config, Some(secret.as_deref().unwrap_or("unchecked")))?;
        if let Some(secret) = &secret {
            sr_pull::store_source_secret(&config.name, secret)?;
        }
        let mut file = self.file()?;
        match file.sources.iter_mut().find(|s| s.name == config.name) {
            // What the form does not show (tuning an admin wrote in the file) is kept.
            Some(existing) => {
                *existing = SourceConfig {
                    concurrency: existing.concurrency,
                    part_size_mib: existing.part_size_mib,
                    default_kind: existing.default_kind,
                    ..config
                }
            }
            None => file.sources.push(config),
        }
        file.save(&self.sources_file)?;
        Ok(())
    }

    /// Removes a source from the file and its secret from the keyring; what it pulled
    /// stays in the catalogue.
    pub fn remove(&self, name: &str) -> Result<(), EngineError> {
        let mut file = self.file()?;
        let had_secret = matches!(file.find(name)?.location, SourceLocation::S3 { .. });
        file.sources.retain(|s| s.name != name);
        file.save(&self.sources_file)?;
        if had_secret {
            sr_pull::delete_source_secret(name)?;
        }
        self.state().remove(name);
        Ok(())
    }

    /// Starts pulling `name` in the background: `started` is called before it can end,
    /// `done` gets the outcome. A source already being pulled is not pulled twice.
    pub fn start(
        self: &Arc<Self>,
        name: &str,
        started: impl FnOnce(),
        done: impl FnOnce(PullOutcome) + Send + 'static,
    ) -> Result<(), EngineError> {
        let progress = self.claim(name)?;
        started();
        let board = self.clone();
        let name = name.to_string();
        std::thread::spawn(move || done(board.finish(&name, &progress)));
        Ok(())
    }

    /// Pulls `name` on this thread (the periodic listing), calling `started` once it
    /// is under way; `None` if it was running already.
    pub fn run(&self, name: &str, started: impl FnOnce()) -> Option<PullOutcome> {
        let progress = self.claim(name).ok()?;
        started();
        Some(self.finish(name, &progress))
    }

    /// Lists (pulls) every source now, then every `poll_minutes` of the sources file
    /// and whenever someone signs in; the file is read afresh each round so a changed
    /// interval applies, and 0 turns the background listing off (a pull asked for
    /// still runs). `started` and `done` are called around each pull, for whoever
    /// shows them.
    pub fn poll_forever(&self, started: impl Fn(&str), done: impl Fn(&PullOutcome)) {
        loop {
            let file = self.file().ok();
            let Some(interval) = file.as_ref().and_then(|f| f.cache.poll_interval()) else {
                self.engine.pull_wakeup.wait(Duration::from_secs(60));
                continue;
            };
            for source in file.map(|f| f.sources).unwrap_or_default() {
                if let Some(outcome) = self.run(&source.name, || started(&source.name)) {
                    done(&outcome);
                }
            }
            self.engine.pull_wakeup.wait(interval);
        }
    }

    fn claim(&self, name: &str) -> Result<Arc<PullProgress>, EngineError> {
        let mut state = self.state();
        let entry = state.entry(name.to_string()).or_default();
        if entry.running.is_some() {
            return Err(EngineError::Invalid(format!(
                "source '{name}' is being pulled already"
            )));
        }
        let progress = Arc::new(PullProgress::default());
        entry.running = Some(progress.clone());
        Ok(progress)
    }

    fn finish(&self, name: &str, progress: &PullProgress) -> PullOutcome {
        let result = self.pull(name, progress);
        match &result {
            Ok(report) => tracing::info!(
                source = name,
                batches = report.recorded.batches,
                added = report.recorded.added,
                changed = report.recorded.changed,
                failed = report.recorded.failed.len(),
                fetched = report.fetched,
                fetched_bytes = report.fetched_bytes,
                "pull"
            ),
            Err(e) => tracing::warn!(source = name, code = %e.code(), "pull failed: {e}"),
        }
        let outcome = PullOutcome {
            source: name.to_string(),
            finished_at: sr_catalog::now_rfc3339(),
            error: result.as_ref().err().map(EngineError::report),
            report: result.ok(),
        };
        let mut state = self.state();
        let entry = state.entry(name.to_string()).or_default();
        entry.running = None;
        entry.last = Some(outcome.clone());
        outcome
    }

    fn pull(&self, name: &str, progress: &PullProgress) -> Result<PullReport, EngineError> {
        self.engine
            .pull_source(&self.file()?, name, &PullPart::default(), progress)
    }
}

/// Which part of a source one pull brings: a tenant, a batch, or (by default) all of it.
#[derive(Debug, Clone, Default)]
pub struct PullPart {
    pub tenant: Option<String>,
    pub batch: Option<String>,
}

impl Engine {
    /// Pulls one source of a sources file, its secret read from the OS keyring and the
    /// cache held to the file's quota: the one pull path of the app and the CLI.
    pub fn pull_source(
        &self,
        file: &SourcesFile,
        name: &str,
        part: &PullPart,
        progress: &PullProgress,
    ) -> Result<PullReport, EngineError> {
        let source = file.find(name)?;
        let secret = match source.location {
            SourceLocation::S3 { .. } => sr_pull::source_secret(name)?,
            SourceLocation::Folder { .. } => None,
        };
        let options = PullOptions {
            tenant: part.tenant.clone(),
            batch: part.batch.clone(),
            cache_quota_bytes: file.cache.quota_bytes(),
            ..PullOptions::default()
        };
        self.pull(source, secret.as_deref(), &options, progress)
    }
}
