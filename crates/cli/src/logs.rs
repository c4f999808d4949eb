//! Where the app and the verbs log: JSON lines in `<data dir>/logs/`, a file a day, two
//! weeks kept; warnings and errors also on standard error, except under `--json`
//! (whose standard error is the error's JSON). Log records name items by id, never a
//! patient, a report's text, a token or a secret: that is the rule for every `tracing`
//! call in the workspace.

use std::path::{Path, PathBuf};

use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{Layer, fmt};

/// The targets of the workspace's own records (module paths, and the panic hook's).
const OURS: [&str; 3] = ["sr_", "secondread", "panic"];

/// Daily files kept: enough to see what happened over a fortnight's support call.
const KEPT_FILES: usize = 14;

/// The folder of a data dir's logs.
pub fn log_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("logs")
}

/// Starts logging for this process, and logs panics (then lets the default hook print
/// them). A log folder that cannot be made leaves standard error only, with a word.
pub fn init(data_dir: &Path, to_stderr: bool) {
    let dir = log_dir(data_dir);
    let file = std::fs::create_dir_all(&dir)
        .map_err(|e| e.to_string())
        .and_then(|()| {
            RollingFileAppender::builder()
                .rotation(Rotation::DAILY)
                .filename_prefix("secondread")
                .filename_suffix("log")
                .max_log_files(KEPT_FILES)
                .build(&dir)
                .map_err(|e| e.to_string())
        });
    // Ours at INFO in the file; the libraries' own chatter only from WARN, and only
    // ours on standard error.
    let ours = |level: LevelFilter| {
        OURS.iter()
            .fold(Targets::new(), |t, target| t.with_target(*target, level))
    };
    let stderr = to_stderr.then(|| {
        fmt::layer()
            .with_writer(std::io::stderr)
            .with_ansi(false)
            .with_target(false)
            .with_filter(ours(LevelFilter::WARN))
    });
    let (file_layer, unwritable) = match file {
        Ok(file) => (
            Some(
                fmt::layer()
                    .json()
                    .with_writer(file)
                    .with_filter(ours(LevelFilter::INFO).with_default(LevelFilter::WARN)),
            ),
            None,
        ),
        Err(e) => (None, Some(e)),
    };
    // A second start in one process (tests) keeps the first.
    let _ = tracing_subscriber::registry()
        .with(file_layer)
        .with(stderr)
        .try_init();
    if let Some(e) = unwritable {
        tracing::warn!(dir = %dir.display(), "no log file: {e}");
    }
    log_panics();
}

/// Logs each panic, with where it happened, before the default hook prints it.
fn log_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "(no message)".into());
        let location = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let thread = std::thread::current()
            .name()
            .unwrap_or("unnamed")
            .to_owned();
        tracing::error!(target: "panic", %location, %thread, "panic: {message}");
        default(info);
    }));
}
