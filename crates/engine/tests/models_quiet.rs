//! Memory that goes back: the models the queue opened close once it has been quiet for
//! the engine's quiet period, and the next job opens them again, with the same results.
//! Runs the shipped demo model on ONNX Runtime (SECONDREAD_ONNXRUNTIME, set by make).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sr_engine::catalog::{BatchKind, Role, WorklistQuery};
use sr_engine::{AssessProgress, AtRest, Engine, EngineConfig, RuntimeConfig};

const MODEL: &str = "demo-spots";

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A folder holding one batch of one capture (the same pixels under every key).
fn batch(batch: &str, key: &str) -> tempfile::TempDir {
    let src = tempfile::tempdir().unwrap();
    let dir = src.path().join("clinic-a").join(batch);
    std::fs::create_dir_all(&dir).unwrap();
    image::GrayImage::from_fn(128, 128, |x, y| {
        image::Luma([((x * 7 + y * 3) % 256) as u8])
    })
    .save(dir.join(key))
    .unwrap();
    src
}

fn loaded(engine: &Engine) -> bool {
    let models = engine.models();
    let model = models.models.iter().find(|m| m.id == MODEL).unwrap();
    assert!(
        model.provider.is_some(),
        "{MODEL} opened: {:?}",
        model.open_error
    );
    model.loaded
}

/// The demo model's finding on the item with `key`, once it has one.
fn finding(engine: &Engine, key: &str) -> Option<serde_json::Value> {
    let rows = engine
        .worklist(&WorklistQuery::for_role(Role::Doctor))
        .unwrap()
        .rows;
    let row = rows.iter().find(|r| r.key == key)?;
    let view = engine.open_item(row.id, Role::Doctor).unwrap();
    let found = view.findings.iter().find(|f| f.model.id == MODEL)?;
    let mut value = serde_json::to_value(found).unwrap();
    value.as_object_mut().unwrap().remove("model");
    Some(value)
}

#[test]
fn a_model_closes_after_a_quiet_queue_and_opens_again_for_the_next_job() {
    let models = tempfile::tempdir().unwrap();
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../models")
        .join(MODEL);
    std::fs::create_dir(models.path().join(MODEL)).unwrap();
    for file in ["model.toml", "model.onnx"] {
        std::fs::copy(shipped.join(file), models.path().join(MODEL).join(file)).unwrap();
    }
    let data = tempfile::tempdir().unwrap();
    let engine = Arc::new(
        Engine::open(EngineConfig {
            model_dirs: vec![models.path().to_owned()],
            runtime: RuntimeConfig {
                library: std::env::var_os("SECONDREAD_ONNXRUNTIME").map(PathBuf::from),
                threads: 1,
                ..RuntimeConfig::default()
            },
            at_rest: AtRest::Plaintext,
            models_quiet: Duration::from_millis(500),
            ..EngineConfig::new(data.path().to_owned())
        })
        .unwrap(),
    );

    let first_batch = batch("b1", "one.png");
    engine
        .import(first_batch.path(), BatchKind::Imaging)
        .unwrap();
    engine.assess(None, &AssessProgress::default()).unwrap();
    let first = finding(&engine, "one.png").expect("the first capture assessed");
    assert!(loaded(&engine), "the model is held while the queue works");

    let runner = Arc::clone(&engine);
    std::thread::spawn(move || runner.assess_forever());
    wait_until("the model to close after the quiet period", || {
        !loaded(&engine)
    });

    let second_batch = batch("b2", "two.png");
    engine
        .import(second_batch.path(), BatchKind::Imaging)
        .unwrap();
    wait_until("the second capture's finding", || {
        finding(&engine, "two.png").is_some()
    });
    assert_eq!(finding(&engine, "two.png").unwrap(), first);
    wait_until("the model to close again", || !loaded(&engine));
}
