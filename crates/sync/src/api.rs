//! One `POST /v1/verdicts` or `POST /v1/audit`, with the retry policy of the sync.

use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};
use reqwest::StatusCode;
use sr_auth::{Auth, AuthError, describe};
use sr_contract::{AuditAnswer, AuditEntry, Verdict, VerdictAnswer, VerdictAnswers};

use crate::SyncOptions;

/// Longest a server's Retry-After is honoured for.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error("the review API cannot be reached: {0}")]
    Unreachable(String),
    #[error("the review API failed ({status}): {message}")]
    Server { status: u16, message: String },
    #[error("the review API refuses this session's tokens: {0}; sign in again")]
    Unauthorized(String),
    /// 403 / 422: retrying cannot change it.
    #[error("the review API refused: {message}")]
    Refused {
        status: u16,
        message: String,
        uuids: Vec<String>,
    },
    #[error("the review API answered something unexpected: {0}")]
    Protocol(String),
}

pub struct Api<'a> {
    auth: &'a Auth,
    base: String,
    backoff: ExponentialBuilder,
}

impl<'a> Api<'a> {
    pub fn new(auth: &'a Auth, options: &SyncOptions) -> Self {
        Self {
            auth,
            base: auth.config().api_base().to_owned(),
            backoff: ExponentialBuilder::new()
                .with_jitter()
                .with_min_delay(options.first_delay)
                .with_max_delay(options.max_delay)
                .with_max_times(options.retries),
        }
    }

    /// Posts one batch; answers come back one per verdict, in order.
    pub async fn post(&self, batch: &[Verdict]) -> Result<Vec<VerdictAnswer>, ApiError> {
        let body = serde_json::json!({ "verdicts": batch });
        answers(self.send("/v1/verdicts", &body).await?, batch).await
    }

    /// Posts a run of the audit trail; the platform says how many it stored.
    pub async fn post_audit(&self, records: &[AuditEntry]) -> Result<AuditAnswer, ApiError> {
        let body = serde_json::json!({ "records": records });
        self.send("/v1/audit", &body)
            .await?
            .json()
            .await
            .map_err(|e| ApiError::Protocol(describe(&e)))
    }

    /// Sends until an answer that retrying cannot change: 200 comes back as it is.
    async fn send(
        &self,
        path: &str,
        body: &serde_json::Value,
    ) -> Result<reqwest::Response, ApiError> {
        let url = format!("{}{path}", self.base);
        let mut delays = self.backoff.build();
        let mut token = self.auth.access_token().await?;
        let mut renewed_after_401 = false;
        loop {
            let sent = self
                .auth
                .http()
                .post(&url)
                .bearer_auth(&token)
                .json(body)
                .send()
                .await;
            let retry_after = match sent {
                Err(e) => {
                    let error = ApiError::Unreachable(describe(&e));
                    match delays.next() {
                        Some(delay) => {
                            tokio::time::sleep(delay).await;
                            continue;
                        }
                        None => return Err(error),
                    }
                }
                Ok(response) => match response.status() {
                    StatusCode::OK => return Ok(response),
                    StatusCode::UNAUTHORIZED if !renewed_after_401 => {
                        renewed_after_401 = true;
                        token = self.auth.renew_access_token(&token).await?;
                        continue;
                    }
                    StatusCode::UNAUTHORIZED => {
                        return Err(ApiError::Unauthorized(error_message(response).await.0));
                    }
                    status @ (StatusCode::FORBIDDEN | StatusCode::UNPROCESSABLE_ENTITY) => {
                        let (message, uuids) = error_message(response).await;
                        return Err(ApiError::Refused {
                            status: status.as_u16(),
                            message,
                            uuids,
                        });
                    }
                    status
                        if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() =>
                    {
                        let wait = retry_after(&response);
                        let message = error_message(response).await.0;
                        (
                            ApiError::Server {
                                status: status.as_u16(),
                                message,
                            },
                            wait,
                        )
                    }
                    status => {
                        let message = error_message(response).await.0;
                        return Err(ApiError::Protocol(format!("{status}: {message}")));
                    }
                },
            };
            let (error, asked) = retry_after;
            match delays.next() {
                Some(delay) => tokio::time::sleep(asked.unwrap_or(delay).max(delay)).await,
                None => return Err(error),
            }
            // The token may have aged while we waited.
            token = self.auth.access_token().await?;
        }
    }
}

async fn answers(
    response: reqwest::Response,
    batch: &[Verdict],
) -> Result<Vec<VerdictAnswer>, ApiError> {
    let answers: VerdictAnswers = response
        .json()
        .await
        .map_err(|e| ApiError::Protocol(describe(&e)))?;
    let matches = answers.results.len() == batch.len()
        && answers
            .results
            .iter()
            .zip(batch)
            .all(|(answer, verdict)| answer.uuid == verdict.uuid);
    if matches {
        Ok(answers.results)
    } else {
        Err(ApiError::Protocol(
            "the answers do not match the verdicts sent".into(),
        ))
    }
}

/// The contract's error body, or the status line when the body is something else.
async fn error_message(response: reqwest::Response) -> (String, Vec<String>) {
    let status = response.status();
    match response.json::<sr_contract::ApiError>().await {
        Ok(body) => (body.message, body.uuids),
        Err(_) => (status.to_string(), Vec::new()),
    }
}

fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    response
        .headers()
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(|s| Duration::from_secs(s).min(MAX_RETRY_AFTER))
}
