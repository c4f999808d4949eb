//! IPC commands: each maps one intent of the UI onto one engine call.

use std::sync::Arc;

use sr_engine::catalog::{AuditFilter, Role, Sealing, Verdict, Worklist, WorklistQuery};
use sr_engine::{
    AssessStatus, AuditView, CodeConflict, CodeHit, DecideRequest, Engine, ErrorReport, ItemView,
    ModelsView, PullBoard, SessionInfo, SourceForm, SourcesView,
};
use tauri::{AppHandle, State};

type Reply<T> = Result<T, ErrorReport>;

/// Codes a search shows at most.
const ICD_HITS: usize = 30;

#[tauri::command(async)]
pub fn session(engine: State<'_, Arc<Engine>>) -> SessionInfo {
    engine.session()
}

/// How far the first open has come in encrypting an earlier version's data, so the
/// window shows progress while its first worklist waits for that.
#[tauri::command(async)]
pub fn sealing(engine: State<'_, Arc<Engine>>) -> Option<Sealing> {
    engine.sealing()
}

#[tauri::command(async)]
pub fn worklist(engine: State<'_, Arc<Engine>>, query: WorklistQuery) -> Reply<Worklist> {
    engine.worklist(&query).map_err(|e| e.report())
}

#[tauri::command(async)]
pub fn open_item(engine: State<'_, Arc<Engine>>, id: i64, role: Role) -> Reply<ItemView> {
    engine.open_item(id, role).map_err(|e| e.report())
}

#[tauri::command(async)]
pub fn decide(engine: State<'_, Arc<Engine>>, request: DecideRequest) -> Reply<Verdict> {
    engine.decide(request).map_err(|e| e.report())
}

/// The Audit screen: for the realm's auditors.
#[tauri::command(async)]
pub fn audit(engine: State<'_, Arc<Engine>>, filter: AuditFilter) -> Reply<AuditView> {
    engine.audit_screen(&filter).map_err(|e| e.report())
}

#[tauri::command(async)]
pub fn models(engine: State<'_, Arc<Engine>>) -> ModelsView {
    engine.models()
}

#[tauri::command(async)]
pub fn assess_status(engine: State<'_, Arc<Engine>>) -> Reply<AssessStatus> {
    engine.assess_status().map_err(|e| e.report())
}

/// Code search for coders, offline: by code or by words.
#[tauri::command(async)]
pub fn icd_search(engine: State<'_, Arc<Engine>>, query: String) -> Reply<Vec<CodeHit>> {
    engine.icd_search(&query, ICD_HITS).map_err(|e| e.report())
}

#[tauri::command(async)]
pub fn icd_conflicts(
    engine: State<'_, Arc<Engine>>,
    codes: Vec<String>,
) -> Reply<Vec<CodeConflict>> {
    engine.icd_conflicts(&codes).map_err(|e| e.report())
}

#[tauri::command(async)]
pub fn sources(board: State<'_, Arc<PullBoard>>) -> Reply<SourcesView> {
    board.view().map_err(|e| e.report())
}

#[tauri::command(async)]
pub fn save_source(board: State<'_, Arc<PullBoard>>, form: SourceForm) -> Reply<SourcesView> {
    board
        .save(form)
        .and_then(|()| board.view())
        .map_err(|e| e.report())
}

#[tauri::command(async)]
pub fn remove_source(board: State<'_, Arc<PullBoard>>, name: String) -> Reply<SourcesView> {
    board
        .remove(&name)
        .and_then(|()| board.view())
        .map_err(|e| e.report())
}

/// Starts a pull in the background; `pull-started` and `pull-finished` events follow.
#[tauri::command(async)]
pub fn pull_source(board: State<'_, Arc<PullBoard>>, app: AppHandle, name: String) -> Reply<()> {
    let on_done = app.clone();
    board
        .start(
            &name,
            || crate::sources::announce_start(&app, &name),
            move |outcome| crate::sources::announce(&on_done, &outcome),
        )
        .map_err(|e| e.report())
}
