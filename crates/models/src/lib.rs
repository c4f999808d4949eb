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

/// The manifests a bucket offers, damaged: each is read or refused with a reason.
#[cfg(test)]
mod damaged_manifests {
    use proptest::prelude::*;
    use sr_damage::damaged_text;

    use crate::{EncoderManifest, ModelManifest};

    const MODEL: &str = include_str!("../../../models/demo-spots/model.toml");
    const ENCODER: &str = include_str!("../../../models/minilm-l6/model.toml");

    #[test]
    fn the_bundled_manifests_are_read() {
        ModelManifest::parse(MODEL).unwrap();
        EncoderManifest::parse(ENCODER).unwrap();
    }

    proptest! {
        #[test]
        fn a_damaged_model_manifest_is_read_or_refused(text in damaged_text(MODEL)) {
            prop_assert!(ModelManifest::parse(&text).err().is_none_or(|why| !why.is_empty()));
        }

        #[test]
        fn a_damaged_encoder_manifest_is_read_or_refused(text in damaged_text(ENCODER)) {
            prop_assert!(EncoderManifest::parse(&text).err().is_none_or(|why| !why.is_empty()));
        }
    }
}
