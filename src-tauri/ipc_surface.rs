// The window's IPC surface, listed once: each command with the shell module that
// handles it, its arguments and its reply, and each event with its payload. build.rs
// includes this file for the permission list; lib.rs registers the handlers from it; the
// test in ipc.rs writes the UI's typed map (ui/src/lib/bindings/ipc.ts) from it and
// checks capabilities/default.json against it.
//
// `ipc_surface!(then)` calls `then! { commands { … } events { … } }` with the list.
macro_rules! ipc_surface {
    ($then:ident) => {
        $then! {
            commands {
                commands::session() -> SessionInfo,
                commands::sealing() -> Option<Sealing>,
                commands::worklist(query: WorklistQuery) -> Worklist,
                commands::open_item(id: i64, role: Role) -> ItemView,
                commands::decide(request: DecideRequest) -> Verdict,
                commands::sources() -> SourcesView,
                commands::save_source(form: SourceForm) -> SourcesView,
                commands::remove_source(name: String) -> SourcesView,
                commands::pull_source(name: String) -> (),
                commands::models() -> ModelsView,
                commands::assess_status() -> AssessStatus,
                commands::icd_search(query: String) -> Vec<CodeHit>,
                commands::icd_conflicts(codes: Vec<String>) -> Vec<CodeConflict>,
                commands::audit(filter: AuditFilter) -> AuditView,
                platform::connect_platform(form: PlatformForm) -> (),
                platform::sign_in() -> SessionInfo,
                platform::sign_out() -> SessionInfo,
                platform::sync_status() -> SyncStatus,
                platform::sync_now() -> SyncReport,
                platform::forget_workstation() -> (),
                platform::lock_screen(reason: LockReason) -> (),
                platform::unlock_screen() -> Unlocked,
            }
            events {
                PullStarted = "pull-started": String,
                PullFinished = "pull-finished": PullOutcome,
                SyncFinished = "sync-finished": SyncReport,
                LockRequested = "lock-requested": (),
                InternalError = "internal-error": String,
            }
        }
    };
}
