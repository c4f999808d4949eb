//! The UI's TypeScript types are generated from the transport types. This test fails
//! when the committed bindings in ui/src/lib/bindings drift from the Rust side;
//! `UPDATE_BINDINGS=1 cargo test -p sr-engine --test bindings` rewrites them.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use sr_engine::catalog::{ImportReport, Verdict, Worklist, WorklistQuery};
use sr_engine::{
    AssessStatus, CodeConflict, CodeHit, DecideRequest, ErrorReport, ItemView, ModelsView,
    PullOutcome, SessionInfo, SourceForm, SourcesView, SyncReport, SyncStatus,
};
use ts_rs::{Config, TS};

fn committed_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/lib/bindings")
}

fn read_all(dir: &Path) -> BTreeMap<String, String> {
    fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| {
                    (
                        e.file_name().to_string_lossy().into_owned(),
                        fs::read_to_string(e.path()).unwrap_or_default(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn ui_bindings_match_the_transport_types() {
    let out = tempfile::tempdir().unwrap();
    let cfg = Config::new()
        .with_out_dir(out.path())
        .with_large_int("number");
    SessionInfo::export_all(&cfg).unwrap();
    Worklist::export_all(&cfg).unwrap();
    WorklistQuery::export_all(&cfg).unwrap();
    ItemView::export_all(&cfg).unwrap();
    DecideRequest::export_all(&cfg).unwrap();
    Verdict::export_all(&cfg).unwrap();
    ErrorReport::export_all(&cfg).unwrap();
    ImportReport::export_all(&cfg).unwrap();
    SourcesView::export_all(&cfg).unwrap();
    SourceForm::export_all(&cfg).unwrap();
    PullOutcome::export_all(&cfg).unwrap();
    ModelsView::export_all(&cfg).unwrap();
    AssessStatus::export_all(&cfg).unwrap();
    SyncStatus::export_all(&cfg).unwrap();
    SyncReport::export_all(&cfg).unwrap();
    CodeHit::export_all(&cfg).unwrap();
    CodeConflict::export_all(&cfg).unwrap();
    let generated = read_all(out.path());

    if std::env::var_os("UPDATE_BINDINGS").is_some() {
        let dir = committed_dir();
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        for (name, text) in &generated {
            fs::write(dir.join(name), text).unwrap();
        }
    }
    assert_eq!(
        read_all(&committed_dir()),
        generated,
        "ui/src/lib/bindings is stale: run UPDATE_BINDINGS=1 cargo test -p sr-engine --test bindings"
    );
}
