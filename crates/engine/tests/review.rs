//! The engine over the demo data: import probes every item, decisions survive a restart,
//! and frames come out in the wire format the viewer reads.

use std::path::PathBuf;

use sr_engine::catalog::{BatchKind, Decision, ItemState, QualityDecision, Role, WorklistQuery};
use sr_engine::{
    AssessProgress, AtRest, DecideRequest, Engine, EngineConfig, ErrorCode, frame_wire,
};

fn engine(data_dir: &std::path::Path) -> Engine {
    Engine::open(EngineConfig {
        pdfium_library: std::env::var_os("SECONDREAD_PDFIUM").map(PathBuf::from),
        ..EngineConfig::new(data_dir.to_owned())
    })
    .unwrap()
}

fn query(role: Role, state: Option<ItemState>) -> WorklistQuery {
    WorklistQuery {
        state,
        limit: 1000,
        ..WorklistQuery::for_role(role)
    }
}

#[test]
fn import_decide_restart_and_the_decision_is_still_there() {
    let demo = sr_test_support::demo_data("");
    let data = tempfile::tempdir().unwrap();

    let first = {
        let engine = engine(data.path());
        let report = engine.import(&demo, BatchKind::Imaging).unwrap();
        assert!(report.added >= 60, "{} items", report.added);
        // Checksum and key failures at import, decode failures from the first look.
        let failed: Vec<&str> = report.failed.iter().map(|f| f.key.as_str()).collect();
        for key in [
            "wrong-checksum.dcm",
            "../escape.dcm",
            "truncated.dcm",
            "bomb.png",
            "garbage.pdf",
        ] {
            assert!(failed.contains(&key), "{key} missing from {failed:?}");
        }
        let list = engine.worklist(&query(Role::Technician, None)).unwrap();
        let errors = engine
            .worklist(&query(Role::Technician, Some(ItemState::Error)))
            .unwrap();
        assert_eq!(errors.counts.error, 7, "the quarantine batch's bad items");
        assert!(errors.rows.iter().any(|r| r.key == "truncated.dcm"));

        let first = list
            .rows
            .iter()
            .find(|r| r.state == ItemState::New)
            .unwrap()
            .clone();
        let bytes = engine.frame(first.id, 0).unwrap();
        assert_eq!(&bytes[..4], frame_wire::MAGIC);
        let broken = errors.rows.iter().find(|r| r.key == "bomb.png").unwrap();
        assert_eq!(
            engine.frame(broken.id, 0).unwrap_err().code(),
            ErrorCode::Decode
        );

        let view = engine.open_item(first.id, Role::Technician).unwrap();
        assert_eq!(view.state, ItemState::InReview);
        engine
            .decide(DecideRequest {
                item_id: first.id,
                role: Role::Technician,
                decision: Decision::Quality(QualityDecision::Blurry),
                note: "motion".into(),
                time_spent_ms: 900,
            })
            .unwrap();
        first
    };

    let engine = engine(data.path());
    let row = engine
        .worklist(&query(Role::Technician, Some(ItemState::Decided)))
        .unwrap()
        .rows
        .into_iter()
        .find(|r| r.id == first.id)
        .expect("decided after restart");
    assert_eq!(
        row.decision,
        Some(Decision::Quality(QualityDecision::Blurry))
    );
    let doctor = engine.worklist(&query(Role::Doctor, None)).unwrap();
    assert_eq!(
        doctor.counts.decided, 0,
        "a technician's verdict is not a diagnosis"
    );
    let verdicts = engine.verdicts().unwrap();
    assert_eq!(verdicts.len(), 1);
    assert_eq!(verdicts[0].reviewer.subject, "demo-technician");
    assert_eq!(verdicts[0].note, "motion");
}

#[test]
fn requests_about_unknown_items_or_the_wrong_role_are_refused_with_a_code() {
    let data = tempfile::tempdir().unwrap();
    let engine = engine(data.path());
    assert_eq!(
        engine.open_item(7, Role::Doctor).unwrap_err().code(),
        ErrorCode::NotFound
    );
    assert_eq!(engine.frame(7, 0).unwrap_err().code(), ErrorCode::NotFound);
    let decide = engine.decide(DecideRequest {
        item_id: 7,
        role: Role::Doctor,
        decision: Decision::Quality(QualityDecision::Accept),
        note: String::new(),
        time_spent_ms: 0,
    });
    assert_eq!(decide.unwrap_err().code(), ErrorCode::NotFound);
    assert!(engine.verdicts().unwrap().is_empty());
}

#[test]
fn a_stored_result_that_cannot_be_read_is_said_and_assessed_again() {
    let src = tempfile::tempdir().unwrap();
    let batch = src.path().join("clinic-a").join("b1");
    std::fs::create_dir_all(&batch).unwrap();
    image::GrayImage::from_pixel(64, 64, image::Luma([90]))
        .save(batch.join("a.png"))
        .unwrap();
    let data = tempfile::tempdir().unwrap();
    let engine = Engine::open(EngineConfig {
        at_rest: AtRest::Plaintext,
        ..EngineConfig::new(data.path().to_owned())
    })
    .unwrap();
    engine.import(src.path(), BatchKind::Imaging).unwrap();
    engine.assess(None, &AssessProgress::default()).unwrap();
    let id = engine
        .worklist(&query(Role::Technician, None))
        .unwrap()
        .rows[0]
        .id;
    assert!(
        engine
            .open_item(id, Role::Technician)
            .unwrap()
            .quality
            .is_some()
    );

    // The stored result is damaged (a disk fault, a row an older version wrote): JSON of
    // the wrong shape, then text that is not JSON at all.
    for damaged in ["{\"laplacian\": \"?\"}", "{\"laplacian\": 0.4"] {
        let raw = rusqlite::Connection::open(data.path().join(sr_engine::catalog::CATALOGUE_FILE))
            .unwrap();
        raw.execute(
            "UPDATE assessments SET result = ?1 WHERE kind = 'quality'",
            [damaged],
        )
        .unwrap();
        drop(raw);
        let view = engine.open_item(id, Role::Technician).unwrap();
        assert!(view.quality.is_none());
        assert!(view.assessment_pending, "the item is queued again");
        let [said] = view.assessment_errors.as_slice() else {
            panic!("{:?}", view.assessment_errors)
        };
        assert!(
            said.starts_with("quality (") && said.ends_with("re-assessing"),
            "{said}"
        );

        engine.assess(Some(id), &AssessProgress::default()).unwrap();
        let view = engine.open_item(id, Role::Technician).unwrap();
        assert!(view.quality.is_some() && view.assessment_errors.is_empty());
        assert!(!view.assessment_pending);
    }
}
