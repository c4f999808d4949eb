//! The app's side of pulling: background pulls the UI starts, a periodic listing of
//! every source, and a desktop notification (plus an event for the UI) when a pull
//! brings new items.

use std::sync::Arc;

use sr_engine::{PullBoard, PullOutcome};
use tauri::{AppHandle, Emitter};

/// The events the UI listens to: a pull began (the source's name as the payload), and
/// one ended (its outcome).
pub const PULL_STARTED: &str = "pull-started";
pub const PULL_FINISHED: &str = "pull-finished";

pub fn announce_start(app: &AppHandle, source: &str) {
    let _ = app.emit(PULL_STARTED, source);
}

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
            tracing::warn!(source = %outcome.source, "no desktop notification: {e}");
        }
    }
}

/// The background listing of every source (see `PullBoard::poll_forever`), announced.
pub fn poll_forever(board: Arc<PullBoard>, app: AppHandle) {
    board.poll_forever(
        |source| announce_start(&app, source),
        |outcome| announce(&app, outcome),
    );
}
