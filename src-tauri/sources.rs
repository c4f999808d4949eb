//! The app's side of pulling: background pulls the UI starts, a periodic listing of
//! every source, and a desktop notification (plus an event for the UI) when a pull
//! brings new items.

use std::sync::Arc;

use sr_engine::{PullBoard, PullOutcome};
use tauri::AppHandle;

use crate::ipc::{PullFinished, PullStarted, emit};

pub fn announce_start(app: &AppHandle, source: &str) {
    emit::<PullStarted>(app, &source.to_owned());
}

/// What the app does when a pull ends, however it was started.
pub fn announce(app: &AppHandle, outcome: &PullOutcome) {
    emit::<PullFinished>(app, outcome);
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
