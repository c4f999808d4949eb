//! The screen lock (HIPAA's automatic logoff): after the platform's idle time, or when
//! the desktop's screen saver starts or the machine suspends, the window hides every
//! image, name and text. Unlocking asks the person again: a fresh sign-in at the realm
//! (`prompt=login`), so a still-open browser session does not unlock it. Both are
//! records in the audit trail.

use serde::Serialize;
use sr_auth::PendingLogin;
use sr_catalog::AuditAction;
use ts_rs::TS;

use crate::platform::Session;
use crate::{Engine, EngineError, SessionInfo};

/// Why the screen locked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum LockReason {
    /// No key or pointer for the platform's `lock_minutes`.
    Idle,
    /// The desktop's screen saver started, or the machine is going to sleep.
    Desktop,
    /// The person asked for it.
    Asked,
}

/// Who unlocked, and whether they are who locked it: when they are not, the window
/// starts afresh for them and nothing of the first person's work is shown.
#[derive(Debug, Clone, Serialize, TS)]
pub struct Unlocked {
    pub same_person: bool,
    pub session: SessionInfo,
}

/// An unlock under way: the realm's sign-in page waits in the browser.
pub struct PendingUnlock {
    login: Option<PendingLogin>,
    locked_by: String,
}

impl PendingUnlock {
    /// The page to open in the browser; `None` for the demo session, which has no realm.
    pub fn url(&self) -> Option<&str> {
        self.login.as_ref().map(|l| l.url.as_str())
    }
}

impl Engine {
    pub fn lock_screen(&self, reason: LockReason) -> Result<(), EngineError> {
        self.audit(
            AuditAction::Locked,
            None,
            Some(serde_json::json!({ "reason": reason })),
        )
    }

    /// Starts an unlock: on the platform, a sign-in that asks for the password again.
    pub fn begin_unlock(&self) -> Result<PendingUnlock, EngineError> {
        let locked_by = self.session.actor().subject;
        let login = match &self.session {
            Session::Platform { auth, runtime } => {
                Some(runtime.block_on(auth.begin_reauthentication())?)
            }
            Session::Demo | Session::Unconfigured { .. } => None,
        };
        Ok(PendingUnlock { login, locked_by })
    }

    /// Waits for the sign-in, then unlocks for whoever signed in.
    pub fn finish_unlock(&self, pending: PendingUnlock) -> Result<Unlocked, EngineError> {
        if let Some(login) = pending.login {
            self.finish_login(login)?;
        }
        let same_person = self.session.actor().subject == pending.locked_by;
        self.audit(
            AuditAction::Unlocked,
            None,
            Some(serde_json::json!({ "same_person": same_person })),
        )?;
        Ok(Unlocked {
            same_person,
            session: self.session(),
        })
    }
}
