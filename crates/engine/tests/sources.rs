//! The Sources screen's operations on a real sources file: add, edit, pull, remove.

use std::path::PathBuf;
use std::sync::Arc;

use sr_engine::catalog::{Role, WorklistQuery};
use sr_engine::{Engine, EngineConfig, PullBoard, SourceForm, SourceKind};

fn folder_form(name: &str, path: &std::path::Path) -> SourceForm {
    SourceForm {
        name: name.into(),
        kind: SourceKind::Folder,
        endpoint: None,
        region: None,
        bucket: None,
        virtual_hosted: false,
        access_key_id: None,
        secret: None,
        ca_bundle: None,
        path: Some(path.display().to_string()),
        tenants: vec![],
    }
}

#[test]
fn an_edit_keeps_the_tuning_the_form_does_not_show_and_removal_keeps_the_items() {
    let dir = tempfile::tempdir().unwrap();
    let demo = sr_test_support::demo_data("");
    let engine = Arc::new(
        Engine::open(EngineConfig {
            pdfium_library: std::env::var_os("SECONDREAD_PDFIUM").map(PathBuf::from),
            ..EngineConfig::new(dir.path().join("data"))
        })
        .unwrap(),
    );
    let file = dir.path().join("sources.toml");
    let board = PullBoard::new(engine.clone(), file.clone());

    let empty = board.save(folder_form("  ", &demo)).unwrap_err();
    assert!(empty.to_string().contains("name is required"), "{empty}");
    board.save(folder_form("scans", &demo)).unwrap();
    let tuned = std::fs::read_to_string(&file)
        .unwrap()
        .replace("concurrency = 16", "concurrency = 3");
    std::fs::write(&file, tuned).unwrap();

    let mut edited = folder_form("scans", &demo);
    edited.tenants = vec!["clinic-b".into()];
    board.save(edited).unwrap();
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("concurrency = 3"), "{text}");
    assert!(text.contains(r#"tenants = ["clinic-b"]"#), "{text}");

    let outcome = board.run("scans", || {}).expect("not running");
    let report = outcome.report.expect("the pull ran");
    assert_eq!(report.recorded.batches, 2, "clinic-b's two batches only");
    assert!(report.recorded.added > 0);
    let view = board.view().unwrap();
    assert_eq!(
        view.sources[0].last.as_ref().map(|l| l.added()),
        Some(report.recorded.added)
    );

    board.remove("scans").unwrap();
    assert!(board.view().unwrap().sources.is_empty());
    assert!(
        board.remove("scans").is_err(),
        "removing twice names the missing source"
    );
    let kept = engine
        .worklist(&WorklistQuery {
            tenant: Some("clinic-b".into()),
            limit: 1000,
            ..WorklistQuery::for_role(Role::Doctor)
        })
        .unwrap();
    assert_eq!(
        kept.rows.len() as u32,
        report.recorded.added,
        "the pulled items stay"
    );
}

#[test]
fn a_sources_file_that_is_not_toml_is_named_with_its_fault_and_left_as_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let engine = Arc::new(Engine::open(EngineConfig::new(dir.path().join("data"))).unwrap());
    let file = dir.path().join("sources.toml");
    let broken = "[[source]]\nname = \"clinic\ntype = \"folder\"\n";
    std::fs::write(&file, broken).unwrap();
    let board = PullBoard::new(engine, file.clone());

    let err = board.view().unwrap_err().to_string();
    assert!(err.contains(&file.display().to_string()), "{err}");
    assert!(err.contains("line 2"), "{err}");
    // Saving a source does not overwrite what the admin wrote by hand.
    assert!(board.save(folder_form("other", dir.path())).is_err());
    assert_eq!(std::fs::read_to_string(&file).unwrap(), broken);
}
