//! The installed models and the ones already open: a session is costly to build, so
//! each model is opened once and shared.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use serde::Serialize;
use sr_assess::{QUALITY_FILE, QualityModel};
use sr_models::{
    Integrity, LoadedModel, ModelError, ModelRegistry, Provider, Runtime, RuntimeConfig, Task,
};
use sr_ocr::{Ocr, OcrError};

use crate::meaning::TextEncoder;
use ts_rs::TS;

/// Where the ICD-10-CM table lives under a model folder (make builds it there).
pub const ICD_TABLE: &str = "icd10cm/icd10cm.sqlite";

/// The text encoder coding matches diagnosis phrases by meaning with, when installed.
pub const TEXT_ENCODER: &str = "minilm-l6";

/// One model as the Models screen and `secondread models` list it.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ModelView {
    pub id: String,
    pub version: String,
    pub task: sr_models::Task,
    pub licence: String,
    pub intended_use: String,
    pub demo: bool,
    pub sha256: String,
    /// "verified", or why the model is refused.
    pub check: String,
    pub usable: bool,
    /// The device it runs on, once opened.
    pub provider: Option<Provider>,
    /// Held in memory now; a model closes after a quiet queue and opens again for its
    /// next job.
    pub loaded: bool,
    /// Why ONNX Runtime would not open it (a shape or output its manifest does not
    /// describe), if it was tried.
    pub open_error: Option<String>,
}

/// A manifest that could not be read, shown beside the models.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ModelProblem {
    pub manifest: String,
    pub reason: String,
}

/// The capture-quality check (sharpness, exposure, BRISQUE) as installed.
#[derive(Debug, Clone, Serialize, TS)]
pub struct QualityCheckView {
    pub id: String,
    pub version: String,
    pub licence: String,
    pub intended_use: String,
    /// The BRISQUE model's sha256, when it loaded.
    pub sha256: Option<String>,
    /// "verified", or why BRISQUE is off (sharpness and exposure still run).
    pub check: String,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct ModelsView {
    pub models: Vec<ModelView>,
    pub quality: QualityCheckView,
    pub problems: Vec<ModelProblem>,
    /// Why no model can run at all (ONNX Runtime missing), if so.
    pub runtime_error: Option<String>,
}

pub struct ModelShelf {
    roots: Vec<PathBuf>,
    registry: ReadOnUse<ModelRegistry>,
    quality: ReadOnUse<Result<QualityModel, String>>,
    runtime: Runtime,
    open: Mutex<HashMap<String, Arc<LoadedModel>>>,
    /// Why a model failed to open, so the Models screen can say so.
    refused: Mutex<HashMap<String, String>>,
    /// The device each model (the text encoder included) opened on, kept after it
    /// closes: the Models screen names it, and a model tried once is not opened again
    /// only to be listed.
    devices: Mutex<HashMap<String, Provider>>,
    /// The three OCR models, opened together on first use.
    ocr: Mutex<Option<Arc<Ocr>>>,
    /// Whether they opened, the first time they were tried.
    ocr_opened: Mutex<Option<bool>>,
    encoder: Mutex<Option<Arc<TextEncoder>>>,
}

/// What is read from the model folders, read when first needed rather than when the
/// shelf is made: hashing every model file would add ~50 ms to each start of the app
/// and of every CLI verb, most of which use no model.
struct ReadOnUse<T>(RwLock<Option<Arc<T>>>);

impl<T> Default for ReadOnUse<T> {
    fn default() -> Self {
        Self(RwLock::new(None))
    }
}

impl<T> ReadOnUse<T> {
    fn get(&self, read: impl FnOnce() -> T) -> Arc<T> {
        if let Some(held) = self
            .0
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
        {
            return Arc::clone(held);
        }
        let mut slot = self.0.write().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(slot.get_or_insert_with(|| Arc::new(read())))
    }

    /// Read afresh on the next use.
    fn forget(&self) {
        *self.0.write().unwrap_or_else(PoisonError::into_inner) = None;
    }
}

impl ModelShelf {
    pub fn new(roots: Vec<PathBuf>, runtime: RuntimeConfig) -> Self {
        Self {
            registry: ReadOnUse::default(),
            quality: ReadOnUse::default(),
            roots,
            runtime: Runtime::new(runtime),
            open: Mutex::new(HashMap::new()),
            refused: Mutex::new(HashMap::new()),
            devices: Mutex::new(HashMap::new()),
            ocr: Mutex::new(None),
            ocr_opened: Mutex::new(None),
            encoder: Mutex::new(None),
        }
    }

    /// The text encoder, opened on first use; why it cannot be used when it is not
    /// installed or does not open.
    pub fn encoder(&self) -> Result<Arc<TextEncoder>, ModelError> {
        let mut encoder = self.encoder.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(open) = encoder.as_ref() {
            return Ok(Arc::clone(open));
        }
        let registry = self.registry();
        let entry = registry
            .encoders()
            .find(|e| e.manifest.id == TEXT_ENCODER)
            .ok_or_else(|| ModelError::Unknown(TEXT_ENCODER.to_string()))?;
        let loaded = self.runtime.load_encoder(entry);
        self.note_outcome(TEXT_ENCODER, loaded.as_ref().map(|m| m.provider()));
        let open = Arc::new(TextEncoder::new(loaded?));
        *encoder = Some(Arc::clone(&open));
        Ok(open)
    }

    /// The OCR models, opened on first use.
    pub fn ocr(&self) -> Result<Arc<Ocr>, OcrError> {
        let mut ocr = self.ocr.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(open) = ocr.as_ref() {
            return Ok(Arc::clone(open));
        }
        let loaded = Ocr::load(&self.runtime, &self.registry());
        *self
            .ocr_opened
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(loaded.is_ok());
        let open = Arc::new(loaded?);
        *ocr = Some(Arc::clone(&open));
        Ok(open)
    }

    /// Whether the OCR models open, found out once: they are opened only if never tried
    /// (the queue asks before every run, and must not open them again each time).
    pub fn ocr_opens(&self) -> bool {
        let known = *self
            .ocr_opened
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        known.unwrap_or_else(|| self.ocr().is_ok())
    }

    /// The ICD-10-CM table installed last among the model folders (a site's newer
    /// release over the bundled one).
    pub fn icd_table(&self) -> Option<PathBuf> {
        self.roots
            .iter()
            .map(|root| root.join(ICD_TABLE))
            .rfind(|path| path.is_file())
    }

    /// Reads the model folders again (a pull installed a model): sessions of models
    /// that changed are dropped and opened afresh on next use.
    pub fn rescan(&self) {
        self.registry.forget();
        self.quality.forget();
        self.lock().clear();
        *self.ocr.lock().unwrap_or_else(PoisonError::into_inner) = None;
        *self
            .ocr_opened
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = None;
        *self.encoder.lock().unwrap_or_else(PoisonError::into_inner) = None;
        self.refused
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
        self.devices
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    fn registry(&self) -> Arc<ModelRegistry> {
        self.registry.get(|| ModelRegistry::scan(&self.roots))
    }

    /// The capture-quality check with BRISQUE, or why it is not there.
    pub fn quality(&self) -> Arc<Result<QualityModel, String>> {
        self.quality.get(|| load_quality(&self.roots))
    }

    /// The model, opened on first use.
    pub fn open(&self, id: &str) -> Result<Arc<LoadedModel>, ModelError> {
        if let Some(model) = self.lock().get(id) {
            return Ok(Arc::clone(model));
        }
        let loaded = self.runtime.load(self.registry().get(id)?);
        self.note_outcome(id, loaded.as_ref().map(LoadedModel::provider));
        let model = Arc::new(loaded?);
        self.lock().insert(id.to_string(), Arc::clone(&model));
        Ok(model)
    }

    /// Remembers the device a model opened on, or why it did not open (a missing
    /// ONNX Runtime is the view's to say, once, not each model's).
    fn note_outcome(&self, id: &str, opened: Result<&Provider, &ModelError>) {
        let mut refused = self.refused.lock().unwrap_or_else(PoisonError::into_inner);
        match opened {
            Ok(provider) => {
                refused.remove(id);
                self.remember_device(id, provider);
            }
            Err(ModelError::RuntimeUnavailable(_)) => {}
            Err(e) => {
                refused.insert(id.to_string(), e.to_string());
            }
        }
    }

    /// Opens each verified image model that was never tried, so the view can name its
    /// device or why it cannot run. The queue's diagnosis models stay open for its
    /// jobs; the others (the OCR's, which opens its own) are closed again at once.
    pub fn probe_image_models(&self) {
        for entry in self.registry().entries() {
            let id = &entry.manifest.id;
            if entry.integrity != Integrity::Verified || !self.untried(id) {
                continue;
            }
            if matches!(
                entry.manifest.task,
                Task::Classify | Task::Detect | Task::Segment
            ) {
                let _ = self.open(id);
            } else {
                let checked = self.runtime.load(entry);
                self.note_outcome(id, checked.as_ref().map(LoadedModel::provider));
            }
        }
    }

    /// The image models as `probe_image_models`, and the text encoder likewise.
    pub fn probe_all(&self) {
        self.probe_image_models();
        let installed = self
            .registry()
            .encoders()
            .any(|e| e.manifest.id == TEXT_ENCODER);
        if installed && self.untried(TEXT_ENCODER) {
            let _ = self.encoder();
        }
    }

    fn untried(&self, id: &str) -> bool {
        !self.devices().contains_key(id)
            && !self
                .refused
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .contains_key(id)
    }

    /// Closes every model session, the OCR's and the encoder's (the next job opens
    /// what it needs again), and says whether any was open. Jobs still holding one
    /// keep it until they finish.
    pub fn close_all(&self) -> bool {
        // One lock at a time (the others take them in their own order), and the
        // sessions dropped after, outside every lock.
        let models = std::mem::take(&mut *self.lock());
        let ocr = self
            .ocr
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let encoder = self
            .encoder
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        !models.is_empty() || ocr.is_some() || encoder.is_some()
    }

    fn remember_device(&self, id: &str, provider: &Provider) {
        self.devices
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id.to_string(), provider.clone());
    }

    fn devices(&self) -> HashMap<String, Provider> {
        self.devices
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<LoadedModel>>> {
        self.open.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn view(&self) -> ModelsView {
        // Each lock is held only to copy what it guards: `open` and `encoder` take
        // them in their own order.
        let providers = self.devices();
        let mut loaded: Vec<String> = self.lock().keys().cloned().collect();
        if let Some(ocr) = self
            .ocr
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
        {
            loaded.extend(ocr.models().into_iter().map(|m| m.id));
        }
        let encoder_loaded = self
            .encoder
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_some();
        let refused = self
            .refused
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let registry = self.registry();
        let images = registry.entries().map(|entry| {
            let m = &entry.manifest;
            ModelView {
                id: m.id.clone(),
                version: m.version.clone(),
                task: m.task,
                licence: m.licence.clone(),
                intended_use: m.intended_use.clone(),
                demo: m.demo,
                sha256: m.sha256.to_ascii_lowercase(),
                check: check_of(&entry.integrity),
                usable: entry.integrity == Integrity::Verified,
                provider: providers.get(&m.id).cloned(),
                loaded: loaded.contains(&m.id),
                open_error: refused.get(&m.id).cloned(),
            }
        });
        let encoders = registry.encoders().map(|entry| {
            let m = &entry.manifest;
            ModelView {
                id: m.id.clone(),
                version: m.version.clone(),
                task: m.task,
                licence: m.licence.clone(),
                intended_use: m.intended_use.clone(),
                demo: false,
                sha256: m.sha256.to_ascii_lowercase(),
                check: check_of(&entry.integrity),
                usable: entry.integrity == Integrity::Verified,
                provider: providers.get(&m.id).cloned(),
                loaded: encoder_loaded && m.id == TEXT_ENCODER,
                open_error: refused.get(&m.id).cloned(),
            }
        });
        let models = images.chain(encoders).collect();
        let quality = match self.quality().as_ref() {
            Ok(q) => QualityCheckView {
                id: q.id.clone(),
                version: q.version.clone(),
                licence: q.licence.clone(),
                intended_use: q.intended_use.clone(),
                sha256: Some(q.sha256.clone()),
                check: "verified".into(),
            },
            Err(reason) => QualityCheckView {
                id: crate::QUALITY_MODEL.into(),
                version: sr_assess::VERSION.into(),
                licence: "Apache-2.0".into(),
                intended_use: "Sharpness and exposure only: BRISQUE is off.".into(),
                sha256: None,
                check: reason.clone(),
            },
        };
        ModelsView {
            models,
            quality,
            problems: registry
                .problems()
                .iter()
                .map(|p| ModelProblem {
                    manifest: p.path.display().to_string(),
                    reason: p.reason.clone(),
                })
                .collect(),
            runtime_error: self.runtime.check().err().map(|e| e.to_string()),
        }
    }
}

/// "verified", or why a model's files are refused.
fn check_of(integrity: &Integrity) -> String {
    match integrity {
        Integrity::Verified => "verified".to_string(),
        Integrity::Mismatch { file, actual, .. } => {
            format!("refused: the sha256 of {file} is {actual}, not the manifest's")
        }
        Integrity::Unreadable { file, reason } => {
            format!("refused: {file} cannot be read: {reason}")
        }
    }
}

/// The last `<root>/<folder>/quality.toml` found, loaded; a site's own check replaces
/// the bundled one like models do.
fn load_quality(roots: &[PathBuf]) -> Result<QualityModel, String> {
    let found = roots
        .iter()
        .filter_map(|root| std::fs::read_dir(root).ok())
        .flat_map(|dirs| {
            let mut dirs: Vec<PathBuf> = dirs.flatten().map(|d| d.path()).collect();
            dirs.sort();
            dirs
        })
        .rfind(|dir| dir.join(QUALITY_FILE).is_file());
    match found {
        Some(dir) => QualityModel::load(&dir),
        None => Err(format!("no {QUALITY_FILE} is installed: BRISQUE is off")),
    }
}
