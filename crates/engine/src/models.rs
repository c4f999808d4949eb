//! The installed models and the ones already open: a session is costly to build, so
//! each model is opened once and shared.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use serde::Serialize;
use sr_assess::{QUALITY_FILE, QualityModel};
use sr_models::{
    Integrity, LoadedModel, ModelError, ModelRegistry, Provider, Runtime, RuntimeConfig,
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
    registry: RwLock<Arc<ModelRegistry>>,
    quality: RwLock<Arc<Result<QualityModel, String>>>,
    runtime: Runtime,
    open: Mutex<HashMap<String, Arc<LoadedModel>>>,
    /// Why a model failed to open, so the Models screen can say so.
    refused: Mutex<HashMap<String, String>>,
    /// The three OCR models, opened together on first use.
    ocr: Mutex<Option<Arc<Ocr>>>,
    encoder: Mutex<Option<Arc<TextEncoder>>>,
}

impl ModelShelf {
    pub fn new(roots: Vec<PathBuf>, runtime: RuntimeConfig) -> Self {
        Self {
            registry: RwLock::new(Arc::new(ModelRegistry::scan(&roots))),
            quality: RwLock::new(Arc::new(load_quality(&roots))),
            roots,
            runtime: Runtime::new(runtime),
            open: Mutex::new(HashMap::new()),
            refused: Mutex::new(HashMap::new()),
            ocr: Mutex::new(None),
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
        let mut refused = self.refused.lock().unwrap_or_else(PoisonError::into_inner);
        match loaded {
            Ok(model) => {
                refused.remove(TEXT_ENCODER);
                let open = Arc::new(TextEncoder::new(model));
                *encoder = Some(Arc::clone(&open));
                Ok(open)
            }
            Err(e) => {
                if !matches!(e, ModelError::RuntimeUnavailable(_)) {
                    refused.insert(TEXT_ENCODER.to_string(), e.to_string());
                }
                Err(e)
            }
        }
    }

    /// The OCR models, opened on first use.
    pub fn ocr(&self) -> Result<Arc<Ocr>, OcrError> {
        let mut ocr = self.ocr.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(open) = ocr.as_ref() {
            return Ok(Arc::clone(open));
        }
        let open = Arc::new(Ocr::load(&self.runtime, &self.registry())?);
        *ocr = Some(Arc::clone(&open));
        Ok(open)
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
        *self
            .registry
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Arc::new(ModelRegistry::scan(&self.roots));
        *self.quality.write().unwrap_or_else(PoisonError::into_inner) =
            Arc::new(load_quality(&self.roots));
        self.lock().clear();
        *self.ocr.lock().unwrap_or_else(PoisonError::into_inner) = None;
        *self.encoder.lock().unwrap_or_else(PoisonError::into_inner) = None;
        self.refused
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    fn registry(&self) -> Arc<ModelRegistry> {
        Arc::clone(&self.registry.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// The capture-quality check with BRISQUE, or why it is not there.
    pub fn quality(&self) -> Arc<Result<QualityModel, String>> {
        Arc::clone(&self.quality.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// The model, opened on first use.
    pub fn open(&self, id: &str) -> Result<Arc<LoadedModel>, ModelError> {
        if let Some(model) = self.lock().get(id) {
            return Ok(Arc::clone(model));
        }
        let loaded = self.runtime.load(self.registry().get(id)?);
        let mut refused = self.refused.lock().unwrap_or_else(PoisonError::into_inner);
        match loaded {
            Ok(model) => {
                refused.remove(id);
                let model = Arc::new(model);
                self.lock().insert(id.to_string(), Arc::clone(&model));
                Ok(model)
            }
            Err(e) => {
                if !matches!(e, ModelError::RuntimeUnavailable(_)) {
                    refused.insert(id.to_string(), e.to_string());
                }
                Err(e)
            }
        }
    }

    /// Opens every image model whose file checks out, so the view can name each one's
    /// device (or why it cannot run). The text encoder opens when coding first needs it.
    pub fn open_all(&self) {
        for entry in self.registry().entries() {
            if entry.integrity == Integrity::Verified {
                let _ = self.open(&entry.manifest.id);
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<LoadedModel>>> {
        self.open.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn view(&self) -> ModelsView {
        // Each lock is held only to copy what it guards: `open` and `encoder` take
        // them in their own order.
        let providers: HashMap<String, Provider> = self
            .lock()
            .iter()
            .map(|(id, model)| (id.clone(), model.provider().clone()))
            .collect();
        let encoder_provider = self
            .encoder
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .map(|e| e.encoder().provider().clone());
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
                provider: encoder_provider.clone().filter(|_| m.id == TEXT_ENCODER),
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
