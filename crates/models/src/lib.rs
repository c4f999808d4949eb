//! The models the engine runs. Each is described by a manifest beside its file
//! (`models/<id>/model.toml`); a model whose file does not hash to its manifest's sha256
//! never reaches ONNX Runtime, and a session whose inputs and outputs differ from the
//! manifest is refused before it runs on anyone's image.

mod encoder;
mod encoder_manifest;
mod error;
mod manifest;
mod registry;
mod runtime;
mod session;

pub use encoder::Encoder;
pub use encoder_manifest::{EmbeddingOutput, EncoderManifest, FileSpec, Pooling, TokenInputs};
pub use error::ModelError;
pub use manifest::{
    Activation, Colour, InputSpec, Layout, ModelManifest, OutputSpec, Task, Thresholds,
};
pub use registry::{Integrity, Manifest, ManifestProblem, ModelEntry, ModelRegistry, sha256_of};
pub use runtime::{DevicePreference, Provider, ProviderKind, Runtime, RuntimeConfig};
pub use session::{LoadedModel, ModelRef, Outputs, Tensor};
