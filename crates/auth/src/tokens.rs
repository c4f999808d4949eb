//! The access token, renewed ahead of its expiry or after a 401, and the refresh token
//! in the keyring, rotated on every refresh.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use openidconnect::core::{CoreClient, CoreTokenResponse};
use openidconnect::{OAuth2TokenResponse, RefreshToken, RequestTokenError};

use crate::claims::read_access_claims;
use crate::http::{describe, send};
use crate::{Auth, AuthError, Identity};

/// An access token and when it stops being worth sending.
pub(crate) struct Access {
    token: String,
    renew_at: Instant,
}

impl Auth {
    pub(crate) async fn keep(
        &self,
        response: &CoreTokenResponse,
        identity: Identity,
    ) -> Result<Identity, AuthError> {
        let refresh = response
            .refresh_token()
            .ok_or_else(|| AuthError::Refused("the realm sent no refresh token".into()))?;
        self.store.save_refresh_token(refresh.secret())?;
        self.store.save_identity(&identity)?;
        *self.access.lock().await = Some(access_of(response));
        Ok(identity)
    }

    /// An access token worth sending now, refreshed first when it is about to expire.
    pub async fn access_token(&self) -> Result<String, AuthError> {
        let mut access = self.access.lock().await;
        if let Some(current) = access.as_ref()
            && Instant::now() < current.renew_at
        {
            return Ok(current.token.clone());
        }
        let renewed = self.refresh().await?;
        let token = renewed.token.clone();
        *access = Some(renewed);
        Ok(token)
    }

    /// A new access token, whatever the current one's expiry: the API said 401 to
    /// `rejected`. When another sender has renewed it meanwhile, that token is the answer.
    pub async fn renew_access_token(&self, rejected: &str) -> Result<String, AuthError> {
        let mut access = self.access.lock().await;
        if let Some(current) = access.as_ref()
            && current.token != rejected
        {
            return Ok(current.token.clone());
        }
        let renewed = self.refresh().await?;
        let token = renewed.token.clone();
        *access = Some(renewed);
        Ok(token)
    }

    /// One refresh grant; the rotated refresh token is kept before the access token is
    /// used, so a kill right after cannot leave the old (now spent) one behind.
    async fn refresh(&self) -> Result<Access, AuthError> {
        let previous = self.store.identity().ok_or(AuthError::SignedOut)?;
        let refresh = self.store.refresh_token()?.ok_or_else(|| {
            AuthError::SignInAgain("no session is kept on this workstation".into())
        })?;
        let metadata = self.metadata().await?;
        let client = CoreClient::from_provider_metadata(metadata, self.client_id(), None);
        let http = |request| send(&self.http, request);
        let refresh = RefreshToken::new(refresh);
        let response = client
            .exchange_refresh_token(&refresh)
            .map_err(|e| AuthError::Refused(e.to_string()))?
            .request_async(&http)
            .await
            .map_err(token_error);
        let response = match response {
            Err(AuthError::SignInAgain(reason)) => {
                self.store.forget_refresh_token()?;
                return Err(AuthError::SignInAgain(reason));
            }
            other => other?,
        };
        let claims = read_access_claims(response.access_token().secret())?;
        if claims.sub != previous.subject {
            return Err(AuthError::Refused(
                "the refreshed token names another person".into(),
            ));
        }
        let identity = Identity {
            roles: claims.realm_access.roles,
            tenants: claims.tenants,
            lock_minutes: claims.lock_minutes,
            username: claims
                .preferred_username
                .unwrap_or(previous.username.clone()),
            ..previous
        };
        match response.refresh_token() {
            Some(rotated) => self.store.save_refresh_token(rotated.secret())?,
            None => self.store.save_refresh_token(refresh.secret())?,
        }
        self.store.save_identity(&identity)?;
        self.renewals.fetch_add(1, Ordering::Relaxed);
        Ok(access_of(&response))
    }
}

/// Renews at 80 % of the token's life, and at least 5 s before it ends.
fn access_of(response: &CoreTokenResponse) -> Access {
    let life = response.expires_in().unwrap_or(Duration::from_secs(60));
    let margin = (life / 5).max(Duration::from_secs(5)).min(life);
    Access {
        token: response.access_token().secret().clone(),
        renew_at: Instant::now() + life - margin,
    }
}

/// A token endpoint's answer as the user's next step: an `invalid_grant` means the
/// session is over; no answer means offline.
pub(crate) fn token_error<RE, T>(e: RequestTokenError<RE, T>) -> AuthError
where
    RE: std::error::Error + 'static,
    T: openidconnect::ErrorResponse + 'static,
{
    match e {
        RequestTokenError::ServerResponse(response) => {
            let text = response.to_string();
            if text.starts_with("invalid_grant") || text.contains("expired_token") {
                AuthError::SignInAgain(text)
            } else {
                AuthError::Refused(text)
            }
        }
        RequestTokenError::Request(inner) => AuthError::Unreachable(describe(&inner)),
        other => AuthError::Refused(describe(&other)),
    }
}
