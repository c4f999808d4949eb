//! The desktop shell: a window, the IPC commands and the frame scheme over the engine.
//! No review logic lives here.

mod commands;
mod frames;
mod platform;
mod sources;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use sr_engine::{Engine, EngineConfig, PullBoard};
use tauri::Manager;

pub fn run(config: EngineConfig, sources_file: PathBuf) -> ExitCode {
    let engine = match Engine::open(config) {
        Ok(engine) => Arc::new(engine),
        Err(e) => {
            eprintln!("secondread: cannot open the data dir: {e}");
            return ExitCode::FAILURE;
        }
    };
    // Items catalogued by an import that was interrupted are probed in the background.
    let probing = engine.clone();
    std::thread::spawn(move || {
        if let Err(e) = probing.probe_pending() {
            eprintln!("secondread: probing items failed: {e}");
        }
    });
    // The pre-assessment queue runs for the life of the window.
    let assessing = engine.clone();
    std::thread::spawn(move || assessing.assess_forever());
    let for_frames = engine.clone();
    let board = PullBoard::new(engine.clone(), sources_file);
    let result = tauri::Builder::default()
        .manage(engine)
        .manage(board)
        .setup(|app| {
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
        .invoke_handler(tauri::generate_handler![
            commands::session,
            commands::worklist,
            commands::open_item,
            commands::decide,
            commands::verdicts,
            commands::sources,
            commands::save_source,
            commands::remove_source,
            commands::pull_source,
            commands::models,
            commands::assess_status,
            commands::icd_search,
            commands::icd_conflicts,
            platform::connect_platform,
            platform::sign_in,
            platform::sign_out,
            platform::sync_status,
            platform::sync_now,
        ])
        .run(tauri::generate_context!("tauri.conf.json"));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("secondread: {e}");
            ExitCode::FAILURE
        }
    }
}
