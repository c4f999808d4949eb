//! The platform session: who is signed in (and so which roles are offered), and the
//! sync of the outbox. Without `platform.toml` the workstation runs the demo session:
//! bundled data, no login, every role offered.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use sr_auth::{Auth, DeviceCode, Identity, PendingLogin, SignOut};
use sr_catalog::{OutboxCounts, Reviewer, Role, TenantScope, Unsynced};
use sr_sync::{SyncOptions, SyncReport};
use ts_rs::TS;

use crate::{Engine, EngineError, SessionInfo};

/// How often the background sync looks at the outbox, and the longest it waits
/// between tries while the platform cannot be reached.
const SYNC_EVERY: Duration = Duration::from_secs(10);
const SYNC_BACKOFF_MAX: Duration = Duration::from_secs(120);
/// How often the app applies the retention rule.
const PURGE_EVERY: Duration = Duration::from_secs(3600);

/// The realm role that may read this workstation's audit trail in the app.
pub(crate) const AUDITOR_ROLE: &str = "auditor";

/// Who may review on this workstation, as configured.
#[derive(Debug, Clone)]
pub enum SessionConfig {
    /// Bundled demo data, every role, no sign-in: only when asked for (`--demo`).
    Demo,
    /// The platform's realm: people sign in, and hold the roles it gives them.
    Platform(sr_auth::PlatformConfig),
    /// Neither: nothing is granted until the platform's address is given, and kept in
    /// `platform_file`.
    Unconfigured { platform_file: std::path::PathBuf },
}

/// The first run's answer to "where is your platform?".
#[derive(Debug, Clone, Deserialize, TS)]
pub struct PlatformForm {
    /// The Keycloak realm's address (`https://…/realms/<realm>`).
    pub issuer: String,
    pub client_id: String,
    /// The review API's address.
    pub api: String,
}

/// Who decides.
pub(crate) enum Session {
    Demo,
    Unconfigured {
        platform_file: std::path::PathBuf,
    },
    /// Signed in to the platform's realm (or signed in before, known offline).
    Platform {
        auth: Box<Auth>,
        /// The auth and sync calls share one runtime, so that pooled connections live.
        runtime: tokio::runtime::Runtime,
    },
}

/// The status bar: the session and the outbox.
#[derive(Debug, Clone, Serialize, TS)]
pub struct SyncStatus {
    pub session: SessionInfo,
    pub outbox: OutboxCounts,
    /// Decisions the platform did not take: conflicts to look at, refusals to read.
    pub unsynced: Vec<Unsynced>,
}

fn reviewing_roles(identity: &Identity) -> Vec<Role> {
    Role::ALL
        .into_iter()
        .filter(|role| identity.roles.iter().any(|r| r == role.as_str()))
        .collect()
}

impl Session {
    pub(crate) fn open(
        config: SessionConfig,
        data_dir: &std::path::Path,
    ) -> Result<Self, EngineError> {
        let config = match config {
            SessionConfig::Demo => return Ok(Session::Demo),
            SessionConfig::Unconfigured { platform_file } => {
                return Ok(Session::Unconfigured { platform_file });
            }
            SessionConfig::Platform(config) => config,
        };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("platform")
            .enable_all()
            .build()
            .map_err(|e| EngineError::Internal(format!("cannot start the platform client: {e}")))?;
        Ok(Session::Platform {
            auth: Box::new(Auth::new(config, data_dir)?),
            runtime,
        })
    }

    pub(crate) fn info(&self) -> SessionInfo {
        match self {
            Session::Demo => SessionInfo {
                mode: "demo".into(),
                username: "demo".into(),
                name: None,
                roles: Role::ALL.to_vec(),
                realm_roles: Vec::new(),
                tenants: None,
                message: None,
                may_audit: true,
                lock_minutes: None,
            },
            Session::Unconfigured { .. } => SessionInfo {
                mode: "unconfigured".into(),
                username: String::new(),
                name: None,
                roles: Vec::new(),
                realm_roles: Vec::new(),
                tenants: Some(Vec::new()),
                message: Some(
                    "This workstation is not connected to its platform yet: enter the \
                     platform's address (your IT admin has it) to sign in."
                        .into(),
                ),
                may_audit: false,
                lock_minutes: None,
            },
            Session::Platform { auth, .. } => match auth.identity() {
                None => SessionInfo {
                    mode: "signed_out".into(),
                    username: String::new(),
                    name: None,
                    roles: Vec::new(),
                    realm_roles: Vec::new(),
                    tenants: Some(Vec::new()),
                    message: Some("Sign in to see your worklists.".into()),
                    may_audit: false,
                    lock_minutes: Some(auth.config().lock_minutes),
                },
                Some(identity) => {
                    let roles = reviewing_roles(&identity);
                    let live = auth.has_session().unwrap_or(false);
                    let message = if !live {
                        Some("Your session has ended: sign in again to sync. You can keep reviewing.".into())
                    } else if roles.is_empty() {
                        Some(format!(
                            "{} has none of the reviewing roles (doctor, technician, coder) in the realm, so there is nothing to review. Ask your administrator for a role.",
                            identity.username
                        ))
                    } else if identity.tenants.is_empty() {
                        Some(format!(
                            "{} reviews for no clinic in the realm, so there is nothing to review. Ask your administrator to add you to your clinic's group.",
                            identity.username
                        ))
                    } else {
                        None
                    };
                    let may_audit = identity.roles.iter().any(|r| r == AUDITOR_ROLE);
                    let lock_minutes = auth.config().lock_minutes_for(identity.lock_minutes);
                    SessionInfo {
                        may_audit,
                        mode: if live { "signed_in" } else { "sign_in_again" }.into(),
                        username: identity.username,
                        name: identity.name,
                        roles,
                        realm_roles: identity.roles,
                        tenants: Some(identity.tenants),
                        message,
                        lock_minutes: Some(lock_minutes),
                    }
                }
            },
        }
    }

    /// Refuses the demo session a catalogue someone signed in to a platform with: it
    /// holds that platform's patients, which the demo would show to anyone, every
    /// tenant's, without a sign-in.
    pub(crate) fn may_open(&self, catalog: &sr_catalog::Catalog) -> Result<(), EngineError> {
        if matches!(self, Session::Demo) && catalog.ever_signed_in()? {
            return Err(EngineError::NotPermitted(
                "this data dir holds a platform's data (people have signed in here), which \
                 the demo does not open: run the demo with a data dir of its own (--data-dir)"
                    .into(),
            ));
        }
        Ok(())
    }

    /// Days an item stays after the platform accepted its decisions.
    pub(crate) fn retain_days(&self) -> u32 {
        match self {
            Session::Platform { auth, .. } => auth.config().retain_days,
            Session::Demo | Session::Unconfigured { .. } => sr_auth::DEFAULT_RETAIN_DAYS,
        }
    }

    /// Who the audit trail names for what is done without a role: the signed-in
    /// person, the demo session, or nobody yet.
    pub(crate) fn actor(&self) -> Reviewer {
        match self {
            Session::Demo => Reviewer {
                subject: "demo".into(),
                username: "demo".into(),
            },
            Session::Unconfigured { .. } => Reviewer {
                subject: String::new(),
                username: "(not connected)".into(),
            },
            Session::Platform { auth, .. } => match auth.identity() {
                Some(identity) => Reviewer {
                    subject: identity.subject,
                    username: identity.username,
                },
                None => Reviewer {
                    subject: String::new(),
                    username: "(signed out)".into(),
                },
            },
        }
    }

    /// The reviewer a decision in this role is filed under, if the session holds the role.
    pub(crate) fn reviewer(&self, role: Role) -> Result<Reviewer, EngineError> {
        match self {
            Session::Demo => Ok(Reviewer {
                subject: format!("demo-{}", role.as_str()),
                username: format!("demo {}", role.as_str()),
            }),
            Session::Unconfigured { .. } => Err(EngineError::NotPermitted(
                "this workstation is not connected to its platform yet: nothing can be \
                 reviewed until someone signs in"
                    .into(),
            )),
            Session::Platform { auth, .. } => {
                let identity = auth
                    .identity()
                    .ok_or_else(|| EngineError::NotPermitted("sign in first to review".into()))?;
                if !reviewing_roles(&identity).contains(&role) {
                    return Err(EngineError::NotPermitted(format!(
                        "{} does not have the {} role",
                        identity.username,
                        role.as_str()
                    )));
                }
                Ok(Reviewer {
                    subject: identity.subject,
                    username: identity.username,
                })
            }
        }
    }

    /// The tenants whose items this session may see, decide and pull.
    pub(crate) fn scope(&self) -> Result<TenantScope, EngineError> {
        match self {
            Session::Demo => Ok(TenantScope::Every),
            Session::Unconfigured { .. } => Err(EngineError::NotPermitted(
                "this workstation is not connected to its platform yet: nothing is shown \
                 or pulled until someone signs in"
                    .into(),
            )),
            Session::Platform { auth, .. } => auth
                .identity()
                .map(|identity| TenantScope::only(identity.tenants))
                .ok_or_else(|| {
                    EngineError::NotPermitted(
                        "sign in first: patients' data is shown and pulled only for the \
                         clinics of whoever is signed in"
                            .into(),
                    )
                }),
        }
    }

    /// Refuses an item of a tenant this session does not review for.
    pub(crate) fn require_tenant(&self, tenant: &str) -> Result<(), EngineError> {
        if self.scope()?.allows(tenant) {
            return Ok(());
        }
        Err(EngineError::NotPermitted(format!(
            "{} does not review for {tenant}",
            self.actor().username
        )))
    }

    fn platform(&self) -> Result<(&Auth, &tokio::runtime::Runtime), EngineError> {
        match self {
            Session::Demo => Err(EngineError::Invalid(
                "no platform is configured (platform.toml): this is the demo session".into(),
            )),
            Session::Unconfigured { .. } => Err(EngineError::Invalid(
                "no platform is configured (platform.toml) yet".into(),
            )),
            Session::Platform { auth, runtime } => Ok((auth, runtime)),
        }
    }
}

impl Engine {
    /// Connects an unconfigured workstation to its platform: the settings are checked
    /// and written to `platform.toml`; the app starts again to use them.
    pub fn connect_platform(&self, form: PlatformForm) -> Result<(), EngineError> {
        let Session::Unconfigured { platform_file } = &self.session else {
            return Err(EngineError::Invalid(
                "this workstation is already configured: its IT admin changes platform.toml".into(),
            ));
        };
        let config = sr_auth::PlatformConfig {
            issuer: form.issuer.trim().to_string(),
            client_id: form.client_id.trim().to_string(),
            api: form.api.trim().to_string(),
            ca_bundle: None,
            retain_days: sr_auth::DEFAULT_RETAIN_DAYS,
            lock_minutes: sr_auth::DEFAULT_LOCK_MINUTES,
        };
        Ok(config.save(platform_file)?)
    }

    /// Starts a browser sign-in; [`Engine::finish_login`] waits for the way back.
    pub fn begin_login(&self) -> Result<PendingLogin, EngineError> {
        let (auth, runtime) = self.session.platform()?;
        Ok(runtime.block_on(auth.begin_login())?)
    }

    pub fn finish_login(&self, pending: PendingLogin) -> Result<SessionInfo, EngineError> {
        let (auth, runtime) = self.session.platform()?;
        runtime.block_on(auth.finish_login(pending, sr_auth::LOGIN_TIMEOUT))?;
        self.audit(sr_catalog::AuditAction::SignedIn, None, None)?;
        self.pull_wakeup.wake();
        Ok(self.session())
    }

    pub fn device_login(&self, show: impl FnOnce(&DeviceCode)) -> Result<SessionInfo, EngineError> {
        let (auth, runtime) = self.session.platform()?;
        runtime.block_on(auth.device_login(show))?;
        self.audit(sr_catalog::AuditAction::SignedIn, None, None)?;
        self.pull_wakeup.wake();
        Ok(self.session())
    }

    /// Signs out: ends the realm's session if it can be reached, wipes the tokens here.
    /// Decisions not yet synced stay in the outbox for the next sign-in. Signing out
    /// takes access away, so it goes on even when the trail cannot be written (a lost
    /// key); every other action stops there.
    pub fn logout(&self) -> Result<SignOut, EngineError> {
        let (auth, runtime) = self.session.platform()?;
        if let Err(e) = self.audit(sr_catalog::AuditAction::SignedOut, None, None) {
            tracing::error!(code = %e.code(), "signing out unrecorded: {e}");
        }
        Ok(runtime.block_on(auth.logout()))
    }

    /// Sends the outbox to the review API; one sync at a time (the background one and
    /// one asked for wait for each other rather than send the same batch twice).
    pub fn sync(&self, options: &SyncOptions) -> Result<SyncReport, EngineError> {
        let (auth, runtime) = self.session.platform()?;
        let _one_at_a_time = self
            .sync_running
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let report = runtime.block_on(sr_sync::sync(self.catalog_mutex()?, auth, options))?;
        tracing::info!(
            sent = report.sent,
            accepted = report.accepted,
            duplicates = report.duplicates,
            conflicts = report.conflicts,
            failed = report.failed,
            pending = report.pending,
            stopped = report.stopped.as_ref().map(|s| s.code.to_string()),
            took_ms = report.took_ms,
            "sync"
        );
        Ok(report)
    }

    pub fn sync_status(&self) -> Result<SyncStatus, EngineError> {
        let catalog = self.catalog()?;
        Ok(SyncStatus {
            session: self.session(),
            outbox: catalog.outbox_counts()?,
            unsynced: catalog.unsynced(None)?,
        })
    }

    /// The app's background sync: whenever a decision is made, and every
    /// [`SYNC_EVERY`] while decisions wait; after a failed try it waits twice as long,
    /// up to [`SYNC_BACKOFF_MAX`], so that it resumes by itself when the network returns.
    /// Every [`PURGE_EVERY`] it applies the retention rule too.
    pub fn sync_forever(&self, on_done: impl Fn(&SyncReport)) {
        let mut wait = SYNC_EVERY;
        let mut purged_at: Option<std::time::Instant> = None;
        loop {
            self.sync_wakeup.wait(wait);
            if purged_at.is_none_or(|at| at.elapsed() >= PURGE_EVERY) {
                purged_at = Some(std::time::Instant::now());
                if let Err(e) = self.purge(None, false) {
                    tracing::error!(code = %e.code(), "retention purge failed: {e}");
                }
            }
            let live = matches!(self.session.info().mode.as_str(), "signed_in");
            // Decisions, or audit records the platform does not hold yet.
            let pending = self
                .catalog()
                .and_then(|c| Ok(c.outbox_pending()? + c.audit_pending()?))
                .unwrap_or(0);
            if !live || pending == 0 {
                wait = SYNC_EVERY;
                continue;
            }
            match self.sync(&SyncOptions::default()) {
                Ok(report) => {
                    wait = if report.stopped.is_some() {
                        (wait * 2).min(SYNC_BACKOFF_MAX)
                    } else {
                        SYNC_EVERY
                    };
                    on_done(&report);
                }
                Err(e) => {
                    tracing::error!(code = %e.code(), "sync failed: {e}");
                    wait = (wait * 2).min(SYNC_BACKOFF_MAX);
                }
            }
        }
    }

    /// Sends the decisions the platform refused again (after a role was granted).
    pub fn retry_failed(&self) -> Result<usize, EngineError> {
        Ok(self.catalog()?.outbox_retry_failed()?)
    }
}
