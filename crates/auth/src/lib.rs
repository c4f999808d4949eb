//! Signing in to the platform's Keycloak realm and keeping the session.
//!
//! Authorization code + PKCE (S256) through the system browser with a loopback redirect
//! on any free port (RFC 8252), or the device code for a machine without a browser.
//! State, nonce and the ID token are checked by openidconnect. The refresh token lives
//! in the OS keyring (rotated on every refresh), the access token only in memory and is
//! renewed ahead of its expiry. A refresh the realm refuses (revoked, expired, replayed)
//! ends the session cleanly: the reviewer is asked to sign in again, nothing local is lost.

mod claims;
mod config;
mod error;
mod http;
mod login;
mod logout;
mod loopback;
mod provider;
mod store;
mod tokens;

use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use openidconnect::ClientId;

pub use config::{DEFAULT_LOCK_MINUTES, DEFAULT_RETAIN_DAYS, PlatformConfig};
pub use error::AuthError;
pub use http::describe;
pub use login::{DeviceCode, PendingLogin};
pub use logout::SignOut;
pub use store::Identity;

use crate::provider::Metadata;
use crate::store::SessionStore;
use crate::tokens::Access;

/// How long the browser step may take.
pub const LOGIN_TIMEOUT: Duration = Duration::from_secs(300);

pub struct Auth {
    config: PlatformConfig,
    http: reqwest::Client,
    store: SessionStore,
    metadata: tokio::sync::Mutex<Option<Metadata>>,
    access: tokio::sync::Mutex<Option<Access>>,
    renewals: AtomicU32,
}

impl Auth {
    pub fn new(config: PlatformConfig, data_dir: &Path) -> Result<Self, AuthError> {
        let http = config.http_client()?;
        let store = SessionStore::new(data_dir, &config.issuer, &config.client_id);
        Ok(Self {
            config,
            http,
            store,
            metadata: tokio::sync::Mutex::new(None),
            access: tokio::sync::Mutex::new(None),
            renewals: AtomicU32::new(0),
        })
    }

    pub fn config(&self) -> &PlatformConfig {
        &self.config
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// How many access tokens this process has obtained by refreshing.
    pub fn renewals(&self) -> u32 {
        self.renewals.load(Ordering::Relaxed)
    }

    /// Who signed in last on this workstation (known offline too).
    pub fn identity(&self) -> Option<Identity> {
        self.store.identity()
    }

    /// Whether a refresh token is held (the session can go on without the browser).
    pub fn has_session(&self) -> Result<bool, AuthError> {
        Ok(self.store.refresh_token()?.is_some())
    }

    async fn metadata(&self) -> Result<Metadata, AuthError> {
        let mut cached = self.metadata.lock().await;
        if let Some(metadata) = cached.as_ref() {
            return Ok(metadata.clone());
        }
        let metadata = provider::discover(&self.http, &self.config.issuer).await?;
        *cached = Some(metadata.clone());
        Ok(metadata)
    }

    fn client_id(&self) -> ClientId {
        ClientId::new(self.config.client_id.clone())
    }
}
