//! A small decided workstation for the engine's tests: two images, the first decided
//! in the demo session, in a data dir encrypted under a key in the test's OS keyring.

#![allow(dead_code)]

use std::path::Path;

use sr_engine::catalog::{BatchKind, Decision, DiagnosisDecision, Role, WorklistQuery};
use sr_engine::{DecideRequest, Engine, EngineConfig};

pub fn engine(data_dir: &Path) -> Engine {
    Engine::open(EngineConfig::new(data_dir.to_owned())).unwrap()
}

pub fn query() -> WorklistQuery {
    WorklistQuery::for_role(Role::Doctor)
}

/// A folder of two items, the first decided.
pub fn decided(data_dir: &Path) -> tempfile::TempDir {
    let src = tempfile::tempdir().unwrap();
    let batch = src.path().join("clinic-a").join("b1");
    std::fs::create_dir_all(&batch).unwrap();
    for (name, grey) in [("a.png", 40), ("b.png", 200)] {
        image::GrayImage::from_pixel(16, 16, image::Luma([grey]))
            .save(batch.join(name))
            .unwrap();
    }
    let engine = engine(data_dir);
    engine.import(src.path(), BatchKind::Imaging).unwrap();
    let id = engine.worklist(&query()).unwrap().rows[0].id;
    engine
        .decide(DecideRequest {
            item_id: id,
            role: Role::Doctor,
            decision: Decision::Diagnosis(DiagnosisDecision::Agree),
            note: String::new(),
            time_spent_ms: 10,
        })
        .unwrap();
    src
}
