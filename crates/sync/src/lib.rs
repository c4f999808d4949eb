//! Sync: the outbox drains to the platform's review API in the order the decisions were
//! made, in batches. Each verdict's uuid is its idempotency key, so a batch sent twice
//! (a kill between sending and settling, a lost answer) is stored once and answered
//! `duplicate` the second time. 5xx, 429 and timeouts are retried with exponential
//! backoff and jitter; a 401 gets one token refresh and one retry; a 403 is not
//! retried: those verdicts are marked failed with the platform's reason, the rest go on.

mod api;

use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Serialize;
use sr_auth::{Auth, AuthError};
use sr_catalog::{Catalog, CatalogError, Settled};
use sr_contract::{ErrorCode, Outcome};
use ts_rs::TS;

pub use api::ApiError;

#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// Verdicts per request (the API takes up to 1,000).
    pub batch_size: usize,
    /// Retries of one request on 5xx / 429 / timeouts before the sync stops for now.
    pub retries: usize,
    pub first_delay: Duration,
    pub max_delay: Duration,
}

impl Default for SyncOptions {
    fn default() -> Self {
        Self {
            batch_size: 500,
            retries: 4,
            first_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(20),
        }
    }
}

/// What one sync did, and why it stopped early if it did.
#[derive(Debug, Clone, Default, Serialize, TS)]
pub struct SyncReport {
    pub sent: u32,
    pub accepted: u32,
    pub duplicates: u32,
    pub conflicts: u32,
    pub failed: u32,
    /// Still waiting in the outbox afterwards.
    pub pending: u32,
    /// Access tokens renewed on the way (ahead of expiry or after a 401).
    pub renewed_tokens: u32,
    /// Audit records the platform stored in this sync.
    pub audit_records: u32,
    /// How long the sync took, a token renewal included: what a reviewer who asked for
    /// it waits.
    pub took_ms: u32,
    /// Set when the sync could not finish: e.g. `unreachable`, `server_error`,
    /// `sign_in_again`; the outbox keeps everything for the next try.
    pub stopped: Option<SyncStop>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct SyncStop {
    pub code: ErrorCode,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Catalog(#[from] CatalogError),
}

fn catalog(catalog: &Mutex<Catalog>) -> std::sync::MutexGuard<'_, Catalog> {
    catalog.lock().unwrap_or_else(|p| p.into_inner())
}

/// Sends everything pending, batch after batch, until the outbox is empty or the
/// platform cannot be reached (then the report says why; nothing is lost). The audit
/// trail goes alongside, through the same API and retries.
pub async fn sync(
    store: &Mutex<Catalog>,
    auth: &Auth,
    options: &SyncOptions,
) -> Result<SyncReport, SyncError> {
    let start = Instant::now();
    let api = api::Api::new(auth, options);
    let renewals_before = auth.renewals();
    let mut report = SyncReport::default();
    let mut audit_records = 0;
    let (verdicts_stop, audit_stop) = tokio::join!(
        sync_verdicts(store, &api, options, &mut report),
        sync_audit(store, &api, options, &mut audit_records),
    );
    let stop = verdicts_stop?.or(audit_stop?);
    report.audit_records = audit_records;
    let catalog = catalog(store);
    catalog.record_sync_attempt(stop.as_ref().map(|s| (s.code, s.message.as_str())))?;
    report.pending = catalog.outbox_pending()?;
    report.renewed_tokens = auth.renewals() - renewals_before;
    report.stopped = stop;
    report.took_ms = u32::try_from(start.elapsed().as_millis()).unwrap_or(u32::MAX);
    Ok(report)
}

/// The outbox, batch after batch. While one batch is in flight the next is read and
/// the answers to the one before are settled, so the catalogue's work hides behind the
/// round trip; a kill at any point still only sends unsettled uuids again.
async fn sync_verdicts(
    store: &Mutex<Catalog>,
    api: &api::Api<'_>,
    options: &SyncOptions,
    report: &mut SyncReport,
) -> Result<Option<SyncStop>, SyncError> {
    let size = options.batch_size.max(1);
    let mut batch = catalog(store).outbox_due(size, None)?;
    let mut answered: Vec<(String, Settled)> = Vec::new();
    while !batch.is_empty() {
        report.sent += batch.len() as u32;
        let after = batch.last().map(|v| v.uuid.clone());
        let (sent, local) = tokio::join!(api.post(&batch), async {
            let mut catalog = catalog(store);
            catalog.outbox_settle(&std::mem::take(&mut answered))?;
            catalog.outbox_due(size, after.as_deref())
        });
        let next = local?;
        match sent {
            Ok(answers) => {
                answered = answers
                    .into_iter()
                    .map(|answer| {
                        let settled = match answer.outcome {
                            Outcome::Accepted => {
                                report.accepted += 1;
                                Settled::Synced
                            }
                            Outcome::Duplicate => {
                                report.duplicates += 1;
                                Settled::Synced
                            }
                            Outcome::Conflict { theirs } => {
                                report.conflicts += 1;
                                Settled::Conflict(theirs)
                            }
                        };
                        (answer.uuid, settled)
                    })
                    .collect();
            }
            Err(ApiError::Refused { uuids, message, .. }) => {
                // A refusal naming none of the batch's verdicts refuses the batch as a whole.
                let named: Vec<String> = uuids
                    .into_iter()
                    .filter(|uuid| batch.iter().any(|v| &v.uuid == uuid))
                    .collect();
                let refused: Vec<String> = if named.is_empty() {
                    batch.iter().map(|v| v.uuid.clone()).collect()
                } else {
                    named
                };
                report.sent -= (batch.len() - refused.len()) as u32;
                report.failed += refused.len() as u32;
                answered = refused
                    .into_iter()
                    .map(|uuid| (uuid, Settled::Failed(message.clone())))
                    .collect();
                // The verdicts the refusal did not name are sent again, oldest first.
                catalog(store).outbox_settle(&std::mem::take(&mut answered))?;
                batch = catalog(store).outbox_due(size, None)?;
                continue;
            }
            Err(e) => {
                report.sent -= batch.len() as u32;
                return Ok(Some(SyncStop {
                    code: e.code(),
                    message: e.to_string(),
                }));
            }
        }
        batch = next;
    }
    catalog(store).outbox_settle(&answered)?;
    Ok(None)
}

/// The audit trail, run after run. It stops at the first record the platform does not
/// take (a refusal is a stop, not a skip: the trail must reach it whole).
async fn sync_audit(
    store: &Mutex<Catalog>,
    api: &api::Api<'_>,
    options: &SyncOptions,
    stored: &mut u32,
) -> Result<Option<SyncStop>, SyncError> {
    loop {
        let records = catalog(store).audit_due(options.batch_size.max(1))?;
        let Some(last) = records.last().map(|r| r.seq) else {
            return Ok(None);
        };
        match api.post_audit(&records).await {
            Ok(answer) => {
                *stored += answer.stored;
                catalog(store).audit_synced(last)?;
            }
            Err(e) => {
                return Ok(Some(SyncStop {
                    code: e.code(),
                    message: e.to_string(),
                }));
            }
        }
    }
}

impl ApiError {
    pub fn code(&self) -> ErrorCode {
        match self {
            ApiError::Auth(AuthError::SignInAgain(_) | AuthError::SignedOut)
            | ApiError::Unauthorized(_) => ErrorCode::SignInAgain,
            ApiError::Auth(AuthError::Unreachable(_)) | ApiError::Unreachable(_) => {
                ErrorCode::Unreachable
            }
            ApiError::Auth(_) => ErrorCode::Auth,
            ApiError::Server { .. } => ErrorCode::ServerError,
            ApiError::Refused { .. } => ErrorCode::Refused,
            ApiError::Protocol(_) => ErrorCode::Protocol,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each way a request can fail stops the sync with the code the status bar words:
    /// the platform away, the platform failing, the session over, a refusal.
    #[test]
    fn each_failure_stops_with_its_code() {
        let cases = [
            (
                ApiError::Unreachable("refused".into()),
                ErrorCode::Unreachable,
            ),
            (
                ApiError::Auth(AuthError::Unreachable("dns".into())),
                ErrorCode::Unreachable,
            ),
            (
                ApiError::Server {
                    status: 503,
                    message: "busy".into(),
                },
                ErrorCode::ServerError,
            ),
            (
                ApiError::Unauthorized("bad signature".into()),
                ErrorCode::SignInAgain,
            ),
            (
                ApiError::Auth(AuthError::SignInAgain("invalid_grant".into())),
                ErrorCode::SignInAgain,
            ),
            (ApiError::Auth(AuthError::SignedOut), ErrorCode::SignInAgain),
            (
                ApiError::Refused {
                    status: 403,
                    message: "no".into(),
                    uuids: vec![],
                },
                ErrorCode::Refused,
            ),
            (ApiError::Protocol("html".into()), ErrorCode::Protocol),
        ];
        for (error, code) in cases {
            assert_eq!(error.code(), code, "{error}");
        }
    }
}
