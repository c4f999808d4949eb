//! What the model tests share: the repository's bundled models and the real ONNX Runtime.

use std::path::{Path, PathBuf};

use sr_models::{DevicePreference, Runtime, RuntimeConfig};

pub fn repo_models() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models")
}

pub fn runtime() -> Runtime {
    let library = std::env::var_os("SECONDREAD_ONNXRUNTIME")
        .expect("SECONDREAD_ONNXRUNTIME names the ONNX Runtime library (make does this)");
    Runtime::new(RuntimeConfig {
        library: Some(library.into()),
        threads: 1,
        device: DevicePreference::Auto,
    })
}
