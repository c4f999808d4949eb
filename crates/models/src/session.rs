//! A model open in ONNX Runtime, held to its manifest: one input of the declared shape,
//! the declared outputs, float32 throughout, and no NaN in what comes back.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

use ort::session::Session;
use ort::value::{TensorElementType, TensorRef, ValueType};
use serde::Serialize;
use ts_rs::TS;

use crate::{ModelEntry, ModelError, ModelManifest, Provider};

/// Which model produced a result; stored with every result. (The UI knows it as
/// `ModelFile`: the contract's `ModelRef`, what a verdict answers, has the name there.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, TS)]
#[ts(rename = "ModelFile")]
pub struct ModelRef {
    pub id: String,
    pub version: String,
    pub sha256: String,
}

/// A float32 output: its shape and values, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Tensor {
    pub shape: Vec<i64>,
    pub values: Vec<f32>,
}

pub type Outputs = BTreeMap<String, Tensor>;

pub struct LoadedModel {
    manifest: ModelManifest,
    provider: Provider,
    /// `Session::run` needs `&mut`; callers wanting parallelism open one model per worker.
    session: Mutex<Session>,
    /// The model's own custom metadata (an OCR recogniser keeps its alphabet there).
    metadata: BTreeMap<String, String>,
}

impl LoadedModel {
    pub(crate) fn new(
        entry: &ModelEntry,
        session: Session,
        provider: Provider,
    ) -> Result<Self, ModelError> {
        let manifest = entry.manifest.clone();
        check_io(&manifest, &session).map_err(|reason| ModelError::Mismatch {
            id: manifest.id.clone(),
            reason,
        })?;
        let metadata = read_metadata(&session).map_err(|reason| ModelError::Mismatch {
            id: manifest.id.clone(),
            reason,
        })?;
        Ok(Self {
            manifest,
            provider,
            session: Mutex::new(session),
            metadata,
        })
    }

    pub fn manifest(&self) -> &ModelManifest {
        &self.manifest
    }

    pub fn provider(&self) -> &Provider {
        &self.provider
    }

    pub fn model_ref(&self) -> ModelRef {
        ModelRef {
            id: self.manifest.id.clone(),
            version: self.manifest.version.clone(),
            sha256: self.manifest.sha256.to_ascii_lowercase(),
        }
    }

    /// A custom metadata value the model file carries.
    pub fn metadata(&self, key: &str) -> Option<&str> {
        self.metadata.get(key).map(String::as_str)
    }

    /// Runs the model on one input tensor shaped as the manifest says.
    pub fn run(&self, input: &[f32]) -> Result<Outputs, ModelError> {
        self.run_shaped(self.manifest.input.shape(), input)
    }

    /// Runs the model on a tensor of the given NCHW/NHWC shape: a batch, or a size the
    /// model leaves dynamic (OCR takes pages and text lines of any width).
    pub fn run_shaped(&self, shape: [i64; 4], input: &[f32]) -> Result<Outputs, ModelError> {
        let id = &self.manifest.id;
        let run_error = |e: ort::Error| ModelError::Run {
            id: id.clone(),
            reason: e.to_string(),
        };
        let tensor = TensorRef::from_array_view((shape, input)).map_err(run_error)?;
        let mut session = self.session.lock().unwrap_or_else(PoisonError::into_inner);
        let outputs = session
            .run(ort::inputs![self.manifest.input.name.as_str() => tensor])
            .map_err(run_error)?;
        let mut read = Outputs::new();
        for (name, value) in outputs.iter() {
            let (shape, values) = value.try_extract_tensor::<f32>().map_err(run_error)?;
            if values.iter().any(|v| !v.is_finite()) {
                return Err(ModelError::NotANumber {
                    id: id.clone(),
                    output: name.to_string(),
                });
            }
            read.insert(
                name.to_string(),
                Tensor {
                    shape: shape.to_vec(),
                    values: values.to_vec(),
                },
            );
        }
        Ok(read)
    }
}

fn read_metadata(session: &Session) -> Result<BTreeMap<String, String>, String> {
    let metadata = session.metadata().map_err(|e| e.to_string())?;
    let keys = metadata.custom_keys().map_err(|e| e.to_string())?;
    Ok(keys
        .into_iter()
        .filter_map(|key| metadata.custom(&key).map(|value| (key, value)))
        .collect())
}

/// The session's single float32 input must take the manifest's shape (a dynamic
/// dimension accepts anything), and the outputs the manifest reads must exist.
fn check_io(manifest: &ModelManifest, session: &Session) -> Result<(), String> {
    let [input] = session.inputs() else {
        return Err(format!(
            "it has {} inputs; one image input is supported",
            session.inputs().len()
        ));
    };
    let spec = &manifest.input;
    if input.name() != spec.name {
        return Err(format!(
            "its input is named {:?}, the manifest says {:?}",
            input.name(),
            spec.name
        ));
    }
    let ValueType::Tensor { ty, shape, .. } = input.dtype() else {
        return Err("its input is not a tensor".into());
    };
    if *ty != TensorElementType::Float32 {
        return Err(format!("its input is {ty:?}; float32 is supported"));
    }
    let wanted = spec.shape();
    let fits = shape.len() == wanted.len()
        && shape
            .iter()
            .zip(wanted)
            .all(|(&have, want)| have < 0 || have == want);
    if !fits {
        return Err(format!(
            "its input shape is {:?}, the manifest describes {:?}",
            shape.to_vec(),
            wanted
        ));
    }
    let names: Vec<&str> = session.outputs().iter().map(|o| o.name()).collect();
    for output in manifest.output.names() {
        if !names.contains(&output.as_str()) {
            return Err(format!(
                "it has no output {output:?} (it has {})",
                names.join(", ")
            ));
        }
    }
    Ok(())
}
