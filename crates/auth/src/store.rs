//! What outlives the process: who signed in (a file in the data dir, so that the
//! workstation knows its reviewer offline) and the refresh token (the OS keyring only).
//! The access token is never stored.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::AuthError;

const SERVICE: &str = "secondread";

/// The signed-in reviewer, as the realm's tokens name them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Identity {
    /// The token's `sub`: the platform's stable id of the person.
    pub subject: String,
    pub username: String,
    pub name: Option<String>,
    /// Every realm role the access token carries.
    pub roles: Vec<String>,
    /// The tenants (clinics) the token names: only their items are shown and pulled.
    /// A session kept by a version that did not read them names none, until the next
    /// token refresh brings them.
    #[serde(default)]
    pub tenants: Vec<String>,
    /// The realm's idle lock for this person, if its token carries one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lock_minutes: Option<u32>,
}

#[derive(Serialize, Deserialize)]
struct SessionFile {
    issuer: String,
    client_id: String,
    identity: Identity,
}

pub struct SessionStore {
    file: PathBuf,
    issuer: String,
    client_id: String,
    /// The keyring entry's name: one per realm, client and data dir, so that two data
    /// dirs (two reviewers on one OS account) never spend each other's refresh token.
    keyring_user: String,
}

impl SessionStore {
    pub fn new(data_dir: &Path, issuer: &str, client_id: &str) -> Self {
        let dir = data_dir
            .canonicalize()
            .unwrap_or_else(|_| data_dir.to_path_buf());
        Self {
            file: data_dir.join("session.json"),
            issuer: issuer.to_owned(),
            client_id: client_id.to_owned(),
            keyring_user: format!("refresh:{client_id}@{issuer} {}", dir.display()),
        }
    }

    /// The reviewer last signed in against this realm and client, if any.
    pub fn identity(&self) -> Option<Identity> {
        let text = std::fs::read_to_string(&self.file).ok()?;
        let file: SessionFile = serde_json::from_str(&text).ok()?;
        (file.issuer == self.issuer && file.client_id == self.client_id).then_some(file.identity)
    }

    pub fn save_identity(&self, identity: &Identity) -> Result<(), AuthError> {
        let file = SessionFile {
            issuer: self.issuer.clone(),
            client_id: self.client_id.clone(),
            identity: identity.clone(),
        };
        let text = serde_json::to_string_pretty(&file).map_err(|e| AuthError::Io(e.to_string()))?;
        let tmp = self.file.with_extension("json.tmp");
        std::fs::write(&tmp, text)
            .and_then(|()| std::fs::rename(&tmp, &self.file))
            .map_err(|e| AuthError::Io(format!("{}: {e}", self.file.display())))
    }

    fn entry(&self) -> Result<keyring::Entry, AuthError> {
        keyring::Entry::new(SERVICE, &self.keyring_user)
            .map_err(|e| AuthError::Keyring(format!("unavailable: {e}")))
    }

    pub fn refresh_token(&self) -> Result<Option<String>, AuthError> {
        match self.entry()?.get_password() {
            Ok(token) => Ok(Some(token)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(AuthError::Keyring(format!("cannot read the session: {e}"))),
        }
    }

    pub fn save_refresh_token(&self, token: &str) -> Result<(), AuthError> {
        self.entry()?
            .set_password(token)
            .map_err(|e| AuthError::Keyring(format!("cannot keep the session: {e}")))
    }

    pub fn forget_refresh_token(&self) -> Result<(), AuthError> {
        match self.entry()?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(AuthError::Keyring(format!(
                "cannot remove the session: {e}"
            ))),
        }
    }

    /// Signing out: the token and who it was.
    pub fn wipe(&self) -> Result<(), AuthError> {
        self.forget_refresh_token()?;
        match std::fs::remove_file(&self.file) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(AuthError::Io(format!("{}: {e}", self.file.display()))),
        }
    }
}
