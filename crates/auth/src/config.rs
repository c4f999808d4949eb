//! Where the platform is: `platform.toml`, written by the site's IT admin.
//!
//! ```toml
//! issuer = "https://sso.hospital.example/realms/review"   # the Keycloak realm
//! client_id = "secondread"                                 # a public client
//! api = "https://review.hospital.example"                  # the review API
//! ca_bundle = "/etc/secondread/hospital-ca.pem"            # optional, trusted besides the system's
//! retain_days = 30   # optional: days an item is kept after the platform accepted its decisions
//! lock_minutes = 10  # optional: idle minutes before the screen locks
//! ```
//!
//! The realm may send a shorter lock in the access token's `lock_minutes` claim.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use url::Url;

use crate::AuthError;

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformConfig {
    pub issuer: String,
    pub client_id: String,
    pub api: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_bundle: Option<PathBuf>,
    /// Days an item's file, text and results stay after the platform accepted every
    /// decision on it.
    #[serde(default = "default_retain_days")]
    pub retain_days: u32,
    /// Idle minutes before the screen locks (HIPAA's automatic logoff).
    #[serde(default = "default_lock_minutes")]
    pub lock_minutes: u32,
}

/// What a clinic's policy usually asks of an unattended workstation.
pub const DEFAULT_LOCK_MINUTES: u32 = 10;

fn default_lock_minutes() -> u32 {
    DEFAULT_LOCK_MINUTES
}

/// The longest idle time the file may allow: a lock that never comes is no lock.
const MAX_LOCK_MINUTES: u32 = 60;

/// A month: long enough to correct a decision, short enough to hold little PHI.
pub const DEFAULT_RETAIN_DAYS: u32 = 30;

fn default_retain_days() -> u32 {
    DEFAULT_RETAIN_DAYS
}

/// The longest retention the file may ask for: ten years.
const MAX_RETAIN_DAYS: u32 = 3650;

impl PlatformConfig {
    /// Reads the file; `None` when there is none (the demo session).
    pub fn load(path: &Path) -> Result<Option<Self>, AuthError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(AuthError::Config(format!(
                    "cannot read {}: {e}",
                    path.display()
                )));
            }
        };
        Self::parse(&text, path).map(Some)
    }

    /// Reads the text of the file at `path` (named in errors).
    pub fn parse(text: &str, path: &Path) -> Result<Self, AuthError> {
        let config: Self = toml::from_str(text)
            .map_err(|e| AuthError::Config(format!("{}: {e}", path.display())))?;
        config.check()?;
        Ok(config)
    }

    /// Checks the settings, then writes them to `path` (creating its folder), whole or
    /// not at all: the first run's answer to "where is your platform?".
    pub fn save(&self, path: &Path) -> Result<(), AuthError> {
        self.check()?;
        let text = toml::to_string(self).map_err(|e| AuthError::Config(e.to_string()))?;
        let io =
            |e: std::io::Error| AuthError::Config(format!("cannot write {}: {e}", path.display()));
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let tmp = path.with_extension("toml.tmp");
        std::fs::write(&tmp, text).map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)
    }

    /// TLS for every endpoint that is not on this machine.
    fn check(&self) -> Result<(), AuthError> {
        for (name, value) in [("issuer", &self.issuer), ("api", &self.api)] {
            let url = Url::parse(value)
                .map_err(|e| AuthError::Config(format!("{name} = \"{value}\": {e}")))?;
            let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
            if url.scheme() != "https" && !(url.scheme() == "http" && loopback) {
                return Err(AuthError::Config(format!(
                    "{name} = \"{value}\": only https is allowed (plain http only on this machine)"
                )));
            }
        }
        if self.client_id.trim().is_empty() {
            return Err(AuthError::Config("client_id is empty".into()));
        }
        if !(1..=MAX_LOCK_MINUTES).contains(&self.lock_minutes) {
            return Err(AuthError::Config(format!(
                "lock_minutes = {}: from 1 to {MAX_LOCK_MINUTES} minutes",
                self.lock_minutes
            )));
        }
        if self.retain_days > MAX_RETAIN_DAYS {
            return Err(AuthError::Config(format!(
                "retain_days = {}: at most {MAX_RETAIN_DAYS} days",
                self.retain_days
            )));
        }
        Ok(())
    }

    /// The idle lock for a person whose token asks for `from_realm` minutes: the
    /// shorter of the two, never under a minute.
    pub fn lock_minutes_for(&self, from_realm: Option<u32>) -> u32 {
        from_realm.map_or(self.lock_minutes, |minutes| {
            minutes.clamp(1, MAX_LOCK_MINUTES).min(self.lock_minutes)
        })
    }

    /// The review API's base address, without a trailing slash.
    pub fn api_base(&self) -> &str {
        self.api.trim_end_matches('/')
    }

    /// An HTTP client for the realm and the API: no redirects followed (a token
    /// endpoint that redirects is not to be trusted), bounded waits, the site's CA.
    pub fn http_client(&self) -> Result<reqwest::Client, AuthError> {
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(std::time::Duration::from_secs(10))
            .timeout(std::time::Duration::from_secs(60));
        if let Some(path) = &self.ca_bundle {
            let pem = std::fs::read(path).map_err(|e| {
                AuthError::Config(format!("cannot read ca_bundle {}: {e}", path.display()))
            })?;
            for cert in reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|e| AuthError::Config(format!("ca_bundle {}: {e}", path.display())))?
            {
                builder = builder.add_root_certificate(cert);
            }
        }
        builder
            .build()
            .map_err(|e| AuthError::Config(format!("cannot set up HTTPS: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(extra: &str) -> Result<Option<PlatformConfig>, AuthError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("platform.toml");
        std::fs::write(
            &path,
            format!(
                "issuer = \"https://sso.example/realms/r\"\nclient_id = \"secondread\"\n\
                 api = \"https://review.example\"\n{extra}"
            ),
        )
        .unwrap();
        PlatformConfig::load(&path)
    }

    #[test]
    fn the_lock_and_retention_default_to_a_clinics_policy_and_stay_in_bounds() {
        let config = load("").unwrap().unwrap();
        assert_eq!((config.lock_minutes, config.retain_days), (10, 30));
        let shorter = load("lock_minutes = 2\nretain_days = 0\n")
            .unwrap()
            .unwrap();
        assert_eq!((shorter.lock_minutes, shorter.retain_days), (2, 0));
        // The realm's claim shortens the lock, never lengthens or removes it.
        assert_eq!(config.lock_minutes_for(None), 10);
        assert_eq!(config.lock_minutes_for(Some(3)), 3);
        assert_eq!(config.lock_minutes_for(Some(30)), 10);
        assert_eq!(config.lock_minutes_for(Some(0)), 1);
        for refused in [
            "lock_minutes = 0",
            "lock_minutes = 61",
            "retain_days = 3651",
        ] {
            let error = load(refused).unwrap_err().to_string();
            assert!(
                error.contains(refused.split(' ').next().unwrap()),
                "{refused}: {error}"
            );
        }
    }

    proptest::proptest! {
        /// A damaged platform file is refused with a reason, never a panic; what is
        /// accepted passes every check.
        #[test]
        fn a_damaged_platform_file_is_read_or_refused(
            text in sr_damage::damaged_text(
                "issuer = \"https://sso.example/realms/r\"\nclient_id = \"secondread\"\n\
                 api = \"https://review.example\"\nlock_minutes = 5\nretain_days = 30\n"
            )
        ) {
            if let Ok(config) = PlatformConfig::parse(&text, Path::new("platform.toml")) {
                config.check().unwrap();
            }
        }
    }
}
