//! The app's side of pulling: background pulls the UI starts, a periodic listing of
//! every source, and a desktop notification (plus an event for the UI) when a pull
//! brings new items.

use std::sync::Arc;
use std::time::Duration;

use sr_engine::{PullBoard, PullOutcome};
use tauri::{AppHandle, Emitter};

/// The event the UI listens to: a pull ended (its outcome as the payload).
pub const PULL_FINISHED: &str = "pull-finished";

/// What the app does when a pull ends, however it was started.
pub fn announce(app: &AppHandle, outcome: &PullOutcome) {
    let _ = app.emit(PULL_FINISHED, outcome);
    let added = outcome.added();
    if added > 0 {
        let body = format!(
            "{added} new item{} from {}",
            if added == 1 { "" } else { "s" },
            outcome.source
        );
        // Best effort: a desktop without a notification service still gets the banner.
        if let Err(e) = notify_rust::Notification::new()
            .appname("SecondRead")
            .summary("New batch arrived")
            .body(&body)
            .show()
        {
            eprintln!("secondread: no desktop notification ({e}): {body}");
        }
    }
}

/// Lists (pulls) every source every `poll_minutes` of the sources file, read afresh
/// each round so a changed interval applies; 0 turns the periodic listing off.
pub fn poll_forever(board: Arc<PullBoard>, app: AppHandle) {
    loop {
        let minutes = board.file().map(|f| f.cache.poll_minutes).unwrap_or(0);
        if minutes == 0 {
            std::thread::sleep(Duration::from_secs(60));
            continue;
        }
        std::thread::sleep(Duration::from_secs(u64::from(minutes) * 60));
        let names: Vec<String> = board
            .file()
            .map(|f| f.sources.into_iter().map(|s| s.name).collect())
            .unwrap_or_default();
        for name in names {
            if let Some(outcome) = board.run(&name) {
                announce(&app, &outcome);
            }
        }
    }
}
