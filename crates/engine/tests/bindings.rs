//! The UI's TypeScript types are generated from the transport types. This test fails
//! when the committed bindings in ui/src/lib/bindings drift from the Rust side;
//! `UPDATE_BINDINGS=1 cargo test -p sr-engine --test bindings` rewrites them.

use std::any::TypeId;
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use sr_engine::catalog::{AuditFilter, ImportReport, Sealing, Verdict, Worklist, WorklistQuery};
use sr_engine::{
    AssessStatus, AuditView, CodeConflict, CodeHit, DecideRequest, ErrorReport, ItemView,
    LockReason, ModelsView, PlatformForm, PullOutcome, SessionInfo, SourceForm, SourcesView,
    SyncReport, SyncStatus, Unlocked,
};
use ts_rs::{Config, TS, TypeVisitor};

fn committed_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/lib/bindings")
}

/// The contract's limit that the review screen's note field shows before it is saved
/// (the engine refuses a decision past any limit, in words, for the rest).
fn limits_module() -> String {
    use sr_contract::limits::NOTE_MAX_CHARS;
    format!(
        "// Generated from sr_contract::limits by crates/engine/tests/bindings.rs. Do not edit.\n\n\
         /** Characters a verdict's note may hold. */\n\
         export const NOTE_MAX_CHARS = {NOTE_MAX_CHARS};\n"
    )
}

/// The IPC map beside these bindings is src-tauri's to write (see src-tauri/ipc.rs).
const IPC_MAP: &str = "ipc.ts";

fn read_all(dir: &Path) -> BTreeMap<String, String> {
    fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|e| e.file_name() != IPC_MAP)
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

/// Walks every type a root type uses, noting which Rust type writes each TypeScript
/// file: two writing the same one would silently overwrite each other's binding.
#[derive(Default)]
struct Writers {
    seen: BTreeSet<TypeId>,
    by_file: BTreeMap<PathBuf, &'static str>,
}

impl TypeVisitor for Writers {
    fn visit<T: TS + 'static + ?Sized>(&mut self) {
        if !self.seen.insert(TypeId::of::<T>()) {
            return;
        }
        if let Some(file) = T::output_path() {
            let name = std::any::type_name::<T>();
            if let Some(other) = self.by_file.insert(file.clone(), name) {
                panic!(
                    "{other} and {name} both export {}: give one a #[ts(rename)]",
                    file.display()
                );
            }
        }
        T::visit_dependencies(self);
    }
}

macro_rules! export_all {
    ($cfg:expr, $writers:expr, $($root:ty),+ $(,)?) => {
        $(
            <$root>::export_all($cfg).unwrap();
            $writers.visit::<$root>();
        )+
    };
}

#[test]
fn ui_bindings_match_the_transport_types() {
    let out = tempfile::tempdir().unwrap();
    let cfg = Config::new()
        .with_out_dir(out.path())
        .with_large_int("number");
    let mut writers = Writers::default();
    export_all!(
        &cfg,
        writers,
        SessionInfo,
        Sealing,
        Worklist,
        WorklistQuery,
        ItemView,
        DecideRequest,
        Verdict,
        ErrorReport,
        ImportReport,
        SourcesView,
        SourceForm,
        PlatformForm,
        PullOutcome,
        ModelsView,
        AssessStatus,
        SyncStatus,
        SyncReport,
        CodeHit,
        CodeConflict,
        LockReason,
        Unlocked,
        AuditFilter,
        AuditView,
    );
    let mut generated = read_all(out.path());
    generated.insert("limits.ts".into(), limits_module());

    if std::env::var_os("UPDATE_BINDINGS").is_some() {
        let dir = committed_dir();
        for stale in read_all(&dir).keys() {
            fs::remove_file(dir.join(stale)).unwrap();
        }
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
