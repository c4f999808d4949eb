//! The bundled demo model through the real ONNX Runtime (the library `make` takes from
//! the onnxruntime wheel, named by SECONDREAD_ONNXRUNTIME), and the ways a model is
//! refused: wrong sha256, a shape its manifest does not describe, a broken manifest, a
//! result that is not a number.

mod common;

use std::path::Path;

use common::{repo_models, runtime};
use sr_models::{Integrity, ModelError, ModelRegistry, ProviderKind, Runtime, RuntimeConfig};

/// A copy of the demo model in a folder of its own, its manifest passed through `edit`.
fn demo_copy(root: &Path, edit: impl FnOnce(String) -> String) -> ModelRegistry {
    let dir = root.join("demo-spots");
    std::fs::create_dir_all(&dir).unwrap();
    let source = repo_models().join("demo-spots");
    std::fs::copy(source.join("model.onnx"), dir.join("model.onnx")).unwrap();
    let manifest = std::fs::read_to_string(source.join("model.toml")).unwrap();
    std::fs::write(dir.join("model.toml"), edit(manifest)).unwrap();
    ModelRegistry::scan(&[root.to_path_buf()])
}

fn replace_line(manifest: &str, key: &str, line: &str) -> String {
    manifest
        .lines()
        .map(|l| if l.starts_with(key) { line } else { l })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn demo_model_runs_on_the_cpu_and_says_why() {
    let registry = ModelRegistry::scan(&[repo_models()]);
    assert!(registry.problems().is_empty(), "{:?}", registry.problems());
    let entry = registry.get("demo-spots").unwrap();
    assert_eq!(entry.integrity, Integrity::Verified);
    assert!(entry.manifest.demo);
    let model = runtime().load(entry).unwrap();
    // This machine has no GPU and the CPU wheel has no CUDA provider.
    assert_eq!(model.provider().kind, ProviderKind::Cpu);
    assert!(
        model.provider().reason.contains("CUDA"),
        "{:?}",
        model.provider()
    );
    let mid_grey = vec![0.0f32; 3 * 224 * 224];
    let outputs = model.run(&mid_grey).unwrap();
    let probabilities = &outputs["probabilities"];
    assert_eq!(probabilities.shape, vec![1, 2]);
    let sum: f32 = probabilities.values.iter().sum();
    assert!((sum - 1.0).abs() < 1e-5, "{probabilities:?}");
    // A flat image has no spots.
    assert!(probabilities.values[1] < 0.1, "{probabilities:?}");
    assert_eq!(outputs["heatmap"].shape, vec![1, 1, 224, 224]);
}

#[test]
fn a_manifest_with_another_sha256_is_refused_before_loading() {
    let root = tempfile::tempdir().unwrap();
    let registry = demo_copy(root.path(), |m| {
        replace_line(&m, "sha256 =", &format!("sha256 = \"{}\"", "0".repeat(64)))
    });
    let entry = registry.get("demo-spots").unwrap();
    assert!(matches!(entry.integrity, Integrity::Mismatch { .. }));
    let err = runtime().load(entry).err().expect("refused");
    assert!(matches!(err, ModelError::Checksum { .. }), "{err}");
    assert!(err.to_string().contains("sha256"), "{err}");
}

#[test]
fn a_tampered_model_file_is_refused() {
    let root = tempfile::tempdir().unwrap();
    demo_copy(root.path(), |m| m);
    let file = root.path().join("demo-spots/model.onnx");
    let mut bytes = std::fs::read(&file).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    std::fs::write(&file, bytes).unwrap();
    let registry = ModelRegistry::scan(&[root.path().to_path_buf()]);
    let err = runtime()
        .load(registry.get("demo-spots").unwrap())
        .err()
        .expect("refused");
    assert!(matches!(err, ModelError::Checksum { .. }), "{err}");
}

#[test]
fn a_model_whose_input_differs_from_its_manifest_is_refused() {
    let root = tempfile::tempdir().unwrap();
    let registry = demo_copy(root.path(), |m| replace_line(&m, "width =", "width = 256"));
    let err = runtime()
        .load(registry.get("demo-spots").unwrap())
        .err()
        .expect("refused");
    let message = err.to_string();
    assert!(matches!(err, ModelError::Mismatch { .. }), "{message}");
    assert!(
        message.contains("[1, 3, 224, 224]") && message.contains("[1, 3, 224, 256]"),
        "{message}"
    );

    let root = tempfile::tempdir().unwrap();
    let registry = demo_copy(root.path(), |m| {
        replace_line(&m, "heatmap =", "heatmap = \"saliency\"")
    });
    let err = runtime()
        .load(registry.get("demo-spots").unwrap())
        .err()
        .expect("refused");
    assert!(err.to_string().contains("no output \"saliency\""), "{err}");
}

#[test]
fn broken_manifests_are_listed_and_the_rest_still_load() {
    let root = tempfile::tempdir().unwrap();
    demo_copy(root.path(), |m| m);
    for (name, text) in [
        ("not-toml", "id = \"half"),
        (
            "bad-flag",
            &std::fs::read_to_string(repo_models().join("demo-spots/model.toml"))
                .unwrap()
                .replace("flag_label = \"bright spots\"", "flag_label = \"tumour\""),
        ),
    ] {
        std::fs::create_dir_all(root.path().join(name)).unwrap();
        std::fs::write(root.path().join(name).join("model.toml"), text).unwrap();
    }
    let registry = ModelRegistry::scan(&[root.path().to_path_buf()]);
    let reasons: Vec<&str> = registry
        .problems()
        .iter()
        .map(|p| p.reason.as_str())
        .collect();
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("\"tumour\" is not one of the labels")),
        "{reasons:?}"
    );
    assert_eq!(registry.entries().count(), 1);
}

#[test]
fn a_result_that_is_not_a_number_is_discarded() {
    // A scale that overflows float32 makes the centre-surround filter compute inf - inf.
    let root = tempfile::tempdir().unwrap();
    let registry = demo_copy(root.path(), |m| {
        replace_line(&m, "scale =", "scale = 3.0e38")
    });
    let model = runtime().load(registry.get("demo-spots").unwrap()).unwrap();
    let spec = &model.manifest().input;
    let bright: Vec<f32> = vec![(255.0 * spec.scale - spec.mean[0]) / spec.std[0]; 3 * 224 * 224];
    let err = model.run(&bright).expect_err("NaN refused");
    assert!(matches!(err, ModelError::NotANumber { .. }), "{err}");
    assert!(err.to_string().contains("not a number"), "{err}");
}

#[test]
fn a_missing_runtime_library_is_reported_not_fatal() {
    // The environment is process-wide, so this runs in a child process of its own.
    if std::env::var_os("SR_MODELS_CHILD").is_none() {
        let status = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "a_missing_runtime_library_is_reported_not_fatal",
                "--nocapture",
            ])
            .env("SR_MODELS_CHILD", "1")
            .status()
            .unwrap();
        assert!(status.success());
        return;
    }
    let runtime = Runtime::new(RuntimeConfig {
        library: Some("/nonexistent/libonnxruntime.so".into()),
        ..RuntimeConfig::default()
    });
    let err = runtime.check().expect_err("no runtime");
    assert!(matches!(err, ModelError::RuntimeUnavailable(_)), "{err}");
    assert!(
        err.to_string().contains("/nonexistent/libonnxruntime.so"),
        "{err}"
    );
}
