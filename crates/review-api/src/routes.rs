//! The HTTP surface of contract v1.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use sr_contract::limits::{self, BATCH_MAX};
use sr_contract::{
    AuditAnswer, AuditBatch, ClaimAnswer, ClaimRequest, Me, Verdict, VerdictAnswer, VerdictAnswers,
    VerdictBatch, VerdictList,
};

use crate::error::ApiFailure;
use crate::store::Store;
use crate::tokens::{Caller, TokenChecker};

pub struct AppState {
    pub tokens: TokenChecker,
    pub store: Store,
    pub lease_s: u32,
}

pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/openapi.json", get(openapi))
        .route("/healthz", get(|| async { "ok" }))
        .route("/v1/me", get(me))
        .route("/v1/verdicts", post(post_verdicts).get(list_verdicts))
        .route("/v1/claims", post(claim))
        .route("/v1/audit", post(post_audit))
        .with_state(state)
}

async fn openapi() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        sr_contract::OPENAPI,
    )
}

async fn caller(state: &AppState, headers: &HeaderMap) -> Result<Caller, ApiFailure> {
    let header = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    state.tokens.check(header).await
}

async fn me(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
) -> Result<Json<Me>, ApiFailure> {
    let caller = caller(&state, &headers).await?;
    Ok(Json(Me {
        subject: caller.subject,
        username: caller.username,
        roles: caller.roles,
    }))
}

/// A request body holding one run of `what`, refused whole when it is not one or holds
/// more than `BATCH_MAX`.
fn read_run<T: serde::de::DeserializeOwned>(
    body: &[u8],
    what: &str,
    len: impl Fn(&T) -> usize,
) -> Result<T, ApiFailure> {
    let run: T = serde_json::from_slice(body)
        .map_err(|e| ApiFailure::invalid(format!("not a run of {what}: {e}"), Vec::new()))?;
    if len(&run) > BATCH_MAX {
        return Err(ApiFailure::invalid(
            format!("at most {BATCH_MAX} {what} per request"),
            Vec::new(),
        ));
    }
    Ok(run)
}

async fn post_verdicts(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<VerdictAnswers>, ApiFailure> {
    let caller = caller(&state, &headers).await?;
    let batch: VerdictBatch = read_run(&body, "verdicts", |b: &VerdictBatch| b.verdicts.len())?;
    check_well_formed(&batch.verdicts)?;
    authorise(&caller, &batch.verdicts)?;
    let outcomes = state.store.store(&batch.verdicts).await?;
    let results = batch
        .verdicts
        .into_iter()
        .zip(outcomes)
        .map(|(verdict, outcome)| VerdictAnswer {
            uuid: verdict.uuid,
            outcome,
        })
        .collect();
    Ok(Json(VerdictAnswers { results }))
}

/// A workstation's audit trail, append-only: every record must carry its own hash and
/// continue the one before it (in the run, and as the platform holds it).
async fn post_audit(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<AuditAnswer>, ApiFailure> {
    let caller = caller(&state, &headers).await?;
    let batch: AuditBatch = read_run(&body, "audit records", |b: &AuditBatch| b.records.len())?;
    let rfc3339 = &time::format_description::well_known::Rfc3339;
    let workstation = batch.records.first().map(|r| r.workstation.clone());
    let bad: Vec<String> = batch
        .records
        .iter()
        .filter(|r| {
            r.digest() != r.hash
                || Some(&r.workstation) != workstation.as_ref()
                || uuid::Uuid::parse_str(&r.uuid).is_err()
                || time::OffsetDateTime::parse(&r.at, rfc3339).is_err()
                || r.seq < 1
        })
        .map(|r| r.uuid.clone())
        .collect();
    if !bad.is_empty() {
        return Err(ApiFailure::invalid(
            "audit records need their own hash, one workstation per run, a uuid and an RFC 3339 time",
            bad,
        ));
    }
    match state
        .store
        .store_audit(&batch.records, &caller.subject)
        .await?
    {
        Ok(answer) => Ok(Json(answer)),
        Err(broken) => Err(ApiFailure::invalid(broken.reason, vec![broken.uuid])),
    }
}

/// Every verdict must be whole and within the contract's limits; a run holding any that
/// is not is refused (422) naming each, so that only those fail at the workstation and
/// the rest are sent again. Nothing the database cannot store gets as far as it.
fn check_well_formed(verdicts: &[Verdict]) -> Result<(), ApiFailure> {
    let rfc3339 = &time::format_description::well_known::Rfc3339;
    let mut reason = None;
    let bad: Vec<String> = verdicts
        .iter()
        .filter(|v| {
            let problem = if uuid::Uuid::parse_str(&v.uuid).is_err()
                || time::OffsetDateTime::parse(&v.decided_at, rfc3339).is_err()
                || v.item.sha256.len() != 64
                || [&v.item.tenant, &v.item.batch, &v.item.key]
                    .iter()
                    .any(|s| s.is_empty())
            {
                "verdicts need a uuid, an RFC 3339 decided_at, a sha256 and a tenant, batch and key"
                    .to_owned()
            } else if let Err(e) = limits::check_verdict(v) {
                e.to_string()
            } else {
                return false;
            };
            reason.get_or_insert(problem);
            true
        })
        .map(|v| v.uuid.clone())
        .collect();
    match reason {
        None => Ok(()),
        Some(reason) => Err(ApiFailure::invalid(reason, bad)),
    }
}

/// Every verdict must be the caller's own, of a kind the caller's roles may decide, on
/// an item of a tenant the caller reviews for.
fn authorise(caller: &Caller, verdicts: &[Verdict]) -> Result<(), ApiFailure> {
    let mut refused = Vec::new();
    let mut reason = String::new();
    for verdict in verdicts {
        let needed = verdict.decision.kind().required_role();
        if verdict.reviewer.subject != caller.subject {
            reason = format!(
                "{} may only post their own verdicts (this one names {})",
                caller.username, verdict.reviewer.username
            );
        } else if verdict.role != needed || !caller.has_role(needed.as_str()) {
            reason = format!(
                "a {} verdict needs the {} role, which {} does not have",
                verdict.decision.kind().as_str(),
                needed.as_str(),
                caller.username
            );
        } else if !caller.serves(&verdict.item.tenant) {
            reason = not_their_tenant(caller, &verdict.item.tenant);
        } else {
            continue;
        }
        refused.push(verdict.uuid.clone());
    }
    if refused.is_empty() {
        Ok(())
    } else {
        Err(ApiFailure::forbidden(reason, refused))
    }
}

fn not_their_tenant(caller: &Caller, tenant: &str) -> String {
    format!("{} does not review for {tenant}", caller.username)
}

#[derive(Deserialize)]
struct ListQuery {
    tenant: String,
    batch: Option<String>,
}

async fn list_verdicts(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(query): Query<ListQuery>,
) -> Result<Json<VerdictList>, ApiFailure> {
    let caller = caller(&state, &headers).await?;
    if !caller.serves(&query.tenant) {
        return Err(ApiFailure::forbidden(
            not_their_tenant(&caller, &query.tenant),
            Vec::new(),
        ));
    }
    let kinds = caller.readable_kinds();
    if kinds.is_empty() {
        return Err(ApiFailure::forbidden(
            format!("{} has no role that reads verdicts", caller.username),
            Vec::new(),
        ));
    }
    let verdicts = state
        .store
        .list(&query.tenant, query.batch.as_deref(), &kinds)
        .await?;
    Ok(Json(VerdictList { verdicts }))
}

async fn claim(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<ClaimAnswer>, ApiFailure> {
    let caller = caller(&state, &headers).await?;
    let request: ClaimRequest = serde_json::from_slice(&body)
        .map_err(|e| ApiFailure::invalid(format!("not a claim: {e}"), Vec::new()))?;
    let needed = request.kind.required_role();
    if !caller.has_role(needed.as_str()) {
        return Err(ApiFailure::forbidden(
            format!(
                "claiming an item for {} needs the {} role",
                request.kind.as_str(),
                needed.as_str()
            ),
            Vec::new(),
        ));
    }
    if !caller.serves(&request.tenant) {
        return Err(ApiFailure::forbidden(
            not_their_tenant(&caller, &request.tenant),
            Vec::new(),
        ));
    }
    Ok(Json(
        state.store.claim(&caller, &request, state.lease_s).await?,
    ))
}
