//! The app's side of the platform session: signing in through the system browser,
//! signing out, and the background sync that tells the UI when it has run.

use std::sync::Arc;

use sr_engine::{
    Engine, ErrorCode, ErrorReport, LockReason, PlatformForm, SessionInfo, SyncOptions, SyncReport,
    SyncStatus, Unlocked,
};
use tauri::{AppHandle, State};

use crate::ipc::{SyncFinished, emit};

type Reply<T> = Result<T, ErrorReport>;

/// Runs an engine call that drives the platform client's own runtime on a blocking
/// thread: never on one of Tauri's async workers (a runtime cannot block inside another).
async fn off_the_async_workers<T: Send + 'static>(
    call: impl FnOnce() -> Reply<T> + Send + 'static,
) -> Reply<T> {
    tauri::async_runtime::spawn_blocking(call)
        .await
        .map_err(|e| ErrorReport::new(ErrorCode::Internal, e.to_string()))?
}

/// Connects a first-run workstation to its platform, then starts the app again so that
/// it signs in there (the session is chosen once, at start).
#[tauri::command]
pub fn connect_platform(
    engine: State<'_, Arc<Engine>>,
    app: AppHandle,
    form: PlatformForm,
) -> Reply<()> {
    engine.connect_platform(form).map_err(|e| e.report())?;
    app.restart()
}

/// Forgets this workstation (its key, its data, its session), then starts the app
/// again on the empty data dir.
#[tauri::command]
pub async fn forget_workstation(engine: State<'_, Arc<Engine>>, app: AppHandle) -> Reply<()> {
    let engine = engine.inner().clone();
    off_the_async_workers(move || engine.forget(false).map_err(|e| e.report())).await?;
    app.restart()
}

/// Records that the window locked (it hides everything by itself).
#[tauri::command(async)]
pub fn lock_screen(engine: State<'_, Arc<Engine>>, reason: LockReason) -> Reply<()> {
    engine.lock_screen(reason).map_err(|e| e.report())
}

/// Unlocks: the realm's sign-in page again, asking for the password, in the system
/// browser (the demo session unlocks at once).
#[tauri::command]
pub async fn unlock_screen(engine: State<'_, Arc<Engine>>, app: AppHandle) -> Reply<Unlocked> {
    let engine = engine.inner().clone();
    off_the_async_workers(move || {
        let pending = engine.begin_unlock().map_err(|e| e.report())?;
        if let Some(url) = pending.url() {
            open_browser(url)?;
        }
        let unlocked = engine.finish_unlock(pending).map_err(|e| e.report())?;
        sync_in_background(engine, app);
        Ok(unlocked)
    })
    .await
}

fn open_browser(url: &str) -> Reply<()> {
    webbrowser::open(url).map_err(|e| {
        ErrorReport::new(
            ErrorCode::NoBrowser,
            format!("cannot open the system browser ({e}); open {url} by hand"),
        )
    })
}

/// Opens the realm's sign-in page in the system browser and waits for the way back.
#[tauri::command]
pub async fn sign_in(engine: State<'_, Arc<Engine>>, app: AppHandle) -> Reply<SessionInfo> {
    let engine = engine.inner().clone();
    off_the_async_workers(move || {
        let pending = engine.begin_login().map_err(|e| e.report())?;
        open_browser(&pending.url)?;
        let info = engine.finish_login(pending).map_err(|e| e.report())?;
        sync_in_background(engine, app);
        Ok(info)
    })
    .await
}

#[tauri::command]
pub async fn sign_out(engine: State<'_, Arc<Engine>>) -> Reply<SessionInfo> {
    let engine = engine.inner().clone();
    off_the_async_workers(move || {
        engine.logout().map_err(|e| e.report())?;
        Ok(engine.session())
    })
    .await
}

#[tauri::command(async)]
pub fn sync_status(engine: State<'_, Arc<Engine>>) -> Reply<SyncStatus> {
    engine.sync_status().map_err(|e| e.report())
}

#[tauri::command]
pub async fn sync_now(engine: State<'_, Arc<Engine>>, app: AppHandle) -> Reply<SyncReport> {
    let engine = engine.inner().clone();
    off_the_async_workers(move || {
        let report = engine
            .sync(&SyncOptions::default())
            .map_err(|e| e.report())?;
        emit::<SyncFinished>(&app, &report);
        Ok(report)
    })
    .await
}

fn sync_in_background(engine: Arc<Engine>, app: AppHandle) {
    std::thread::spawn(move || {
        if let Ok(report) = engine.sync(&SyncOptions::default()) {
            emit::<SyncFinished>(&app, &report);
        }
    });
}

/// Runs for the life of the window (see [`Engine::sync_forever`]).
pub fn sync_forever(engine: Arc<Engine>, app: AppHandle) {
    engine.sync_forever(|report| {
        emit::<SyncFinished>(&app, report);
    });
}
