//! Signing out: the realm's session ended and the refresh token revoked where the realm
//! can be reached, every token and the identity wiped here in any case.

use crate::http::describe;
use crate::{Auth, AuthError};

/// What signing out reached.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SignOut {
    /// The realm ended the session and revoked the refresh token.
    pub realm_reached: bool,
    /// Why it was not reached (the tokens were wiped here all the same).
    pub note: Option<String>,
}

impl Auth {
    /// Ends the session at the realm (Keycloak's back-channel logout, then RFC 7009
    /// revocation of the refresh token) and wipes every token and the identity here,
    /// also when the realm cannot be reached.
    pub async fn logout(&self) -> SignOut {
        let reached = self.end_at_realm().await;
        *self.access.lock().await = None;
        let wiped = self.store.wipe();
        let note = match (reached, wiped) {
            (Ok(()), Ok(())) => None,
            (Err(e), Ok(())) => Some(format!(
                "{e}; the tokens were wiped here, and the realm's session ends when they expire"
            )),
            (_, Err(e)) => Some(e.to_string()),
        };
        SignOut {
            realm_reached: note.is_none(),
            note,
        }
    }

    async fn end_at_realm(&self) -> Result<(), AuthError> {
        let Some(refresh) = self.store.refresh_token()? else {
            return Ok(());
        };
        let more = self.metadata().await?.additional_metadata().clone();
        if let Some(logout) = &more.end_session_endpoint {
            let answer = self
                .http
                .post(logout)
                .form(&[
                    ("client_id", self.config.client_id.as_str()),
                    ("refresh_token", refresh.as_str()),
                ])
                .send()
                .await
                .map_err(|e| AuthError::Unreachable(describe(&e)))?;
            // 400: the realm no longer knows the token (already ended): nothing to end.
            if !answer.status().is_success() && answer.status() != reqwest::StatusCode::BAD_REQUEST
            {
                return Err(AuthError::Refused(format!(
                    "the realm's logout answered {}",
                    answer.status()
                )));
            }
        }
        // RFC 7009, by hand: oauth2's revocation request insists on https, and the
        // settings already allow plain http on this machine only.
        if let Some(revocation) = more.revocation_endpoint {
            let answer = self
                .http
                .post(&revocation)
                .form(&[
                    ("client_id", self.config.client_id.as_str()),
                    ("token", refresh.as_str()),
                    ("token_type_hint", "refresh_token"),
                ])
                .send()
                .await
                .map_err(|e| AuthError::Unreachable(describe(&e)))?;
            if !answer.status().is_success() {
                return Err(AuthError::Refused(format!(
                    "the realm's revocation answered {}",
                    answer.status()
                )));
            }
        }
        Ok(())
    }
}
