//! The desktop shell: a window, the IPC commands and the frame scheme over the engine.
//! No review logic lives here.

#[macro_use]
mod ipc_surface;

mod commands;
mod desktop_lock;
mod frames;
mod ipc;
mod platform;
mod sources;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use sr_engine::{Engine, EngineConfig, PullBoard};
use tauri::{AppHandle, Manager};

pub fn run(config: EngineConfig, sources_file: PathBuf) -> ExitCode {
    sr_engine::map_large_buffers_apart();
    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        data_dir = %config.data_dir.display(),
        at_rest = ?config.at_rest,
        "SecondRead starts"
    );
    let engine = match Engine::open(config) {
        Ok(engine) => Arc::new(engine),
        Err(e) => {
            tracing::error!(code = %e.code(), "cannot open the data dir: {e}");
            return ExitCode::FAILURE;
        }
    };
    // Items catalogued by an import that was interrupted are probed in the background.
    let probing = engine.clone();
    std::thread::spawn(move || {
        if let Err(e) = probing.probe_pending() {
            tracing::error!(code = %e.code(), "probing items failed: {e}");
        }
    });
    // The pre-assessment queue runs for the life of the window, in a thread named so
    // that an admin (and a test) can tell its threads in `top -H` or /proc.
    let assessing = engine.clone();
    let queue = std::thread::Builder::new()
        .name(sr_engine::ASSESS_THREAD.into())
        .spawn(move || assessing.assess_forever());
    if let Err(e) = queue {
        tracing::error!("cannot start the assessment queue: {e}");
        return ExitCode::FAILURE;
    }
    let for_frames = engine.clone();
    let board = PullBoard::new(engine.clone(), sources_file);
    let result = tauri::Builder::default()
        .manage(engine)
        .manage(board)
        .setup(|app| {
            report_panics(app.handle().clone());
            desktop_lock::listen(app.handle().clone());
            let board = app.state::<Arc<PullBoard>>().inner().clone();
            let handle = app.handle().clone();
            std::thread::spawn(move || sources::poll_forever(board, handle));
            let engine = app.state::<Arc<Engine>>().inner().clone();
            let handle = app.handle().clone();
            std::thread::spawn(move || platform::sync_forever(engine, handle));
            Ok(())
        })
        .register_asynchronous_uri_scheme_protocol(
            frames::SCHEME,
            move |_ctx, request, responder| {
                let engine = for_frames.clone();
                std::thread::spawn(move || responder.respond(frames::respond(engine, &request)));
            },
        )
        .invoke_handler(ipc::handler())
        .run(tauri::generate_context!("tauri.conf.json"));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("the window failed: {e}");
            ExitCode::FAILURE
        }
    }
}

/// A panic anywhere (a command, a background worker) is logged by the hook already in
/// place, then shown in the window as an error instead of leaving it silently stuck.
fn report_panics(app: AppHandle) {
    let logged = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        logged(info);
        let thread = std::thread::current()
            .name()
            .unwrap_or("a worker")
            .to_owned();
        ipc::emit::<ipc::InternalError>(
            &app,
            &format!(
                "SecondRead hit an internal error ({thread}) and logged it. What you saved is \
                 kept; if something stops responding, close and reopen the app."
            ),
        );
    }));
}
