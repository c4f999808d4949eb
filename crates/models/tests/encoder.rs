//! The bundled MiniLM sentence encoder through the real ONNX Runtime and its real
//! tokenizer, and the ways a text encoder is refused: a tokenizer that is not the one
//! its manifest names, inputs the model does not have.

mod common;

use std::path::Path;

use common::{repo_models, runtime};
use sr_models::{Integrity, ModelError, ModelRegistry};

const ID: &str = "minilm-l6";

/// A copy of the encoder in a folder of its own, its manifest and tokenizer passed
/// through `edit`.
fn encoder_copy(
    root: &Path,
    manifest: impl FnOnce(String) -> String,
    tokenizer: impl FnOnce(Vec<u8>) -> Vec<u8>,
) -> ModelRegistry {
    let dir = root.join(ID);
    std::fs::create_dir_all(&dir).unwrap();
    let source = repo_models().join(ID);
    std::fs::copy(source.join("model.onnx"), dir.join("model.onnx")).unwrap();
    let text = std::fs::read_to_string(source.join("model.toml")).unwrap();
    std::fs::write(dir.join("model.toml"), manifest(text)).unwrap();
    let bytes = std::fs::read(source.join("tokenizer.json")).unwrap();
    std::fs::write(dir.join("tokenizer.json"), tokenizer(bytes)).unwrap();
    ModelRegistry::scan(&[root.to_path_buf()])
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[test]
fn the_encoder_puts_phrases_that_mean_the_same_close_together() {
    let registry = ModelRegistry::scan(&[repo_models()]);
    assert!(registry.problems().is_empty(), "{:?}", registry.problems());
    assert!(
        registry.get(ID).is_err(),
        "an encoder is not an image model"
    );
    let entry = registry.encoders().find(|e| e.manifest.id == ID).unwrap();
    assert_eq!(entry.integrity, Integrity::Verified);
    let encoder = runtime().load_encoder(entry).unwrap();
    let texts = [
        "high blood pressure",
        "Essential (primary) hypertension",
        "Fracture of shaft of left femur",
        "past history of deep vein thrombosis, no recurrence since the last visit in 2019",
    ];
    let v = encoder.embed(&texts).unwrap();
    assert_eq!(v.len(), 4);
    for vector in &v {
        assert_eq!(vector.len(), 384);
        assert!((cosine(vector, vector) - 1.0).abs() < 1e-4);
    }
    assert!(
        cosine(&v[0], &v[1]) > cosine(&v[0], &v[2]) + 0.2,
        "hypertension {} femur {}",
        cosine(&v[0], &v[1]),
        cosine(&v[0], &v[2])
    );
    // Padding to the batch's longest text changes no vector.
    let alone = encoder.embed(&texts[..1]).unwrap();
    assert!(cosine(&alone[0], &v[0]) > 0.9999);
}

#[test]
fn a_tokenizer_that_is_not_the_manifests_is_refused() {
    let root = tempfile::tempdir().unwrap();
    let registry = encoder_copy(
        root.path(),
        |m| m,
        |mut bytes| {
            bytes.extend_from_slice(b"\n");
            bytes
        },
    );
    let entry = registry.encoders().next().unwrap();
    assert!(
        matches!(&entry.integrity, Integrity::Mismatch { file, .. } if file == "tokenizer.json"),
        "{:?}",
        entry.integrity
    );
    let err = runtime().load_encoder(entry).err().expect("refused");
    assert!(matches!(err, ModelError::Checksum { .. }), "{err}");
    assert!(err.to_string().contains("tokenizer.json"), "{err}");
}

#[test]
fn an_encoder_whose_inputs_differ_from_its_manifest_is_refused() {
    let root = tempfile::tempdir().unwrap();
    let registry = encoder_copy(
        root.path(),
        |m| m.replace("types = \"token_type_ids\"\n", ""),
        |bytes| bytes,
    );
    let entry = registry.encoders().next().unwrap();
    let err = runtime().load_encoder(entry).err().expect("refused");
    assert!(matches!(err, ModelError::Mismatch { .. }), "{err}");
    assert!(err.to_string().contains("token_type_ids"), "{err}");
}

#[test]
fn an_embed_manifest_without_a_tokenizer_is_listed_as_a_problem() {
    let root = tempfile::tempdir().unwrap();
    let registry = encoder_copy(
        root.path(),
        |m| {
            m.replace("[tokenizer]\n", "")
                .replace("file = \"tokenizer.json\"\n", "")
                .replace(
                    "sha256 = \"be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037\"\n",
                    "",
                )
        },
        |bytes| bytes,
    );
    assert_eq!(registry.encoders().count(), 0);
    let problems = registry.problems();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].reason.contains("tokenizer"), "{problems:?}");
}
