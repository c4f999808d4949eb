//! ONNX Runtime, loaded at run time from the library the deployment names (the
//! `onnxruntime` wheel's, or `onnxruntime-gpu`'s for CUDA), and the choice of device.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use ort::environment::Environment;
use ort::ep::{self, ExecutionProvider};
use ort::session::Session;
use ort::session::builder::{GraphOptimizationLevel, SessionBuilder};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::{Encoder, EncoderManifest, LoadedModel, ModelEntry, ModelError};

/// Where the user wants inference to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DevicePreference {
    /// CUDA when this ONNX Runtime has it and a GPU answers, else the CPU.
    #[default]
    Auto,
    Cpu,
    Cuda,
}

#[derive(Debug, Clone, Default)]
pub struct RuntimeConfig {
    /// `libonnxruntime.so`; without it no model runs (and the app says so).
    pub library: Option<PathBuf>,
    /// Threads one inference may use; 0 lets ONNX Runtime choose (one per core).
    pub threads: usize,
    pub device: DevicePreference,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum ProviderKind {
    Cpu,
    Cuda,
}

/// The device a model runs on, and why that one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct Provider {
    pub kind: ProviderKind,
    pub reason: String,
}

/// ONNX Runtime allows one environment per process, bound to the first library loaded.
static ENVIRONMENT: OnceLock<Result<Environment, String>> = OnceLock::new();

pub struct Runtime {
    config: RuntimeConfig,
}

impl Runtime {
    pub fn new(config: RuntimeConfig) -> Self {
        Self { config }
    }

    pub fn config(&self) -> &RuntimeConfig {
        &self.config
    }

    fn environment(&self) -> Result<&'static Environment, ModelError> {
        ENVIRONMENT
            .get_or_init(|| {
                let library = self.config.library.as_ref().ok_or_else(|| {
                    "no ONNX Runtime library is configured (SECONDREAD_ONNXRUNTIME)".to_string()
                })?;
                ort::init_from(library)
                    .map_err(|e| format!("cannot load {}: {e}", library.display()))?
                    .with_name("secondread")
                    .with_telemetry(false)
                    .build()
                    .map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(|reason| ModelError::RuntimeUnavailable(reason.clone()))
    }

    /// Whether ONNX Runtime can be loaded at all, and why not.
    pub fn check(&self) -> Result<(), ModelError> {
        self.environment().map(|_| ())
    }

    /// Opens a verified image model on the preferred device, falling back to the CPU
    /// (with the reason) when CUDA is not there; then holds the session to its manifest.
    pub fn load(&self, entry: &ModelEntry) -> Result<LoadedModel, ModelError> {
        let entry = entry.verified()?;
        let (session, provider) = self.session(&entry.manifest.id, &entry.file())?;
        LoadedModel::new(entry, session, provider)
    }

    /// Opens a verified text encoder and its tokenizer, on the device as `load` does.
    pub fn load_encoder(&self, entry: &ModelEntry<EncoderManifest>) -> Result<Encoder, ModelError> {
        let entry = entry.verified()?;
        let (session, provider) = self.session(&entry.manifest.id, &entry.file())?;
        Encoder::new(entry, session, provider)
    }

    fn session(&self, id: &str, file: &Path) -> Result<(Session, Provider), ModelError> {
        let environment = self.environment()?;
        let bytes = std::fs::read(file).map_err(|source| ModelError::Read {
            id: id.to_string(),
            path: file.to_path_buf(),
            source,
        })?;
        let run_error = |e: ort::Error| ModelError::Run {
            id: id.to_string(),
            reason: e.to_string(),
        };
        let cuda_unavailable = match self.config.device {
            DevicePreference::Cpu => Some("the CPU was chosen in the settings".to_string()),
            DevicePreference::Auto | DevicePreference::Cuda => match ep::CUDA::is_available() {
                Ok(true) => None,
                _ => Some(
                    "this ONNX Runtime has no CUDA provider (onnxruntime-gpu brings it)"
                        .to_string(),
                ),
            },
        };
        let on_cpu = |reason: String| -> Result<_, ModelError> {
            let session = self
                .builder(environment)
                .and_then(|b| Ok(b.with_execution_providers([cpu()])?))
                .and_then(|mut b| b.commit_from_memory(&bytes))
                .map_err(run_error)?;
            Ok((
                session,
                Provider {
                    kind: ProviderKind::Cpu,
                    reason,
                },
            ))
        };
        Ok(match cuda_unavailable {
            Some(reason) => on_cpu(reason)?,
            None => match self.cuda_session(environment, &bytes) {
                Ok(session) => (
                    session,
                    Provider {
                        kind: ProviderKind::Cuda,
                        reason: "CUDA GPU 0".to_string(),
                    },
                ),
                Err(e) if self.config.device == DevicePreference::Auto => {
                    on_cpu(format!("CUDA did not start: {e}"))?
                }
                Err(e) => return Err(run_error(e)),
            },
        })
    }

    fn builder(&self, environment: &Environment) -> ort::Result<SessionBuilder> {
        let mut builder =
            Session::builder(environment)?.with_optimization_level(GraphOptimizationLevel::All)?;
        if self.config.threads > 0 {
            builder = builder.with_intra_threads(self.config.threads)?;
        }
        Ok(builder)
    }

    fn cuda_session(&self, environment: &Environment, bytes: &[u8]) -> ort::Result<Session> {
        self.builder(environment)?
            .with_execution_providers([ep::CUDA::default().build().error_on_failure(), cpu()])?
            .commit_from_memory(bytes)
    }
}

/// The CPU provider without its memory arena: a finished run gives its buffers back
/// instead of keeping the largest it ever needed for the session's life.
fn cpu() -> ep::ExecutionProviderDispatch {
    ep::CPU::default().with_arena_allocator(false).build()
}
