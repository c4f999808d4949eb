//! The desktop's own moments to lock: its screen saver starting (freedesktop's and
//! GNOME's `ActiveChanged(true)` on the session bus) and the machine going to sleep
//! (logind's `PrepareForSleep(true)` on the system bus). Each asks the window to lock.

use tauri::AppHandle;
use zbus::blocking::{Connection, MessageIterator};
use zbus::{MatchRule, message::Type};

use crate::ipc::{LockRequested, emit};

/// Listens on both buses for the life of the app; a bus that is not there (a session
/// without logind, say) is logged and left alone.
pub fn listen(app: AppHandle) {
    for (bus, member) in [
        (Bus::Session, "ActiveChanged"),
        (Bus::System, "PrepareForSleep"),
    ] {
        let app = app.clone();
        std::thread::spawn(move || {
            if let Err(e) = watch(bus, member, &app) {
                tracing::info!(signal = member, "not watching for the desktop's lock: {e}");
            }
        });
    }
}

#[derive(Clone, Copy)]
enum Bus {
    Session,
    System,
}

fn watch(bus: Bus, member: &'static str, app: &AppHandle) -> zbus::Result<()> {
    let conn = match bus {
        Bus::Session => Connection::session()?,
        Bus::System => Connection::system()?,
    };
    let rule = MatchRule::builder()
        .msg_type(Type::Signal)
        .member(member)?
        .build();
    for message in MessageIterator::for_match_rule(rule, &conn, None)? {
        let message = message?;
        let interface = message.header().interface().map(|i| i.to_string());
        let ours = matches!(
            interface.as_deref(),
            Some(
                "org.freedesktop.ScreenSaver"
                    | "org.gnome.ScreenSaver"
                    | "org.freedesktop.login1.Manager"
            )
        );
        if ours && message.body().deserialize::<bool>().unwrap_or(false) {
            tracing::info!(signal = member, "the desktop asks to lock");
            emit::<LockRequested>(app, &());
        }
    }
    Ok(())
}
