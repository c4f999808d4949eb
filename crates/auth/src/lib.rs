//! Signing in to the platform's Keycloak realm and keeping the session.
//!
//! Authorization code + PKCE (S256) through the system browser with a loopback redirect
//! on any free port (RFC 8252), or the device code for a machine without a browser.
//! State, nonce and the ID token are checked by openidconnect. The refresh token lives
//! in the OS keyring (rotated on every refresh), the access token only in memory and is
//! renewed ahead of its expiry. A refresh the realm refuses (revoked, expired, replayed)
//! ends the session cleanly: the reviewer is asked to sign in again, nothing local is lost.

mod config;
mod error;
mod http;
mod loopback;
mod provider;
mod store;

use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use base64::Engine as _;
use openidconnect::core::{
    CoreAuthPrompt, CoreAuthenticationFlow, CoreClient, CoreDeviceAuthorizationResponse,
    CoreIdTokenClaims, CoreIdTokenVerifier, CoreTokenResponse,
};
use openidconnect::{
    AuthorizationCode, ClientId, CsrfToken, DeviceAuthorizationUrl, Nonce, NonceVerifier,
    OAuth2TokenResponse, PkceCodeChallenge, RedirectUrl, RefreshToken, RequestTokenError, Scope,
    TokenResponse,
};

pub use config::{DEFAULT_LOCK_MINUTES, DEFAULT_RETAIN_DAYS, PlatformConfig};
pub use error::AuthError;
pub use http::describe;
pub use store::Identity;

use crate::http::send;
use crate::loopback::Loopback;
use crate::provider::Metadata;
use crate::store::SessionStore;

/// How long the browser step may take.
pub const LOGIN_TIMEOUT: Duration = Duration::from_secs(300);

/// An access token and when it stops being worth sending.
struct Access {
    token: String,
    renew_at: Instant,
}

/// A sign-in waiting for the browser to come back.
pub struct PendingLogin {
    /// Where the person signs in (opened in the system browser).
    pub url: String,
    loopback: Loopback,
    state: CsrfToken,
    nonce: Nonce,
    verifier: openidconnect::PkceCodeVerifier,
    metadata: Metadata,
}

/// What the person types on another device for a device-code sign-in.
#[derive(Debug, Clone)]
pub struct DeviceCode {
    pub verification_uri: String,
    pub verification_uri_complete: Option<String>,
    pub user_code: String,
}

/// What signing out reached.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SignOut {
    /// The realm ended the session and revoked the refresh token.
    pub realm_reached: bool,
    /// Why it was not reached (the tokens were wiped here all the same).
    pub note: Option<String>,
}

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

    /// Starts a browser sign-in: the address to open, and a listener for the way back.
    pub async fn begin_login(&self) -> Result<PendingLogin, AuthError> {
        self.begin(false).await
    }

    /// Starts a sign-in that asks for the password again even while the realm still
    /// has a session in the browser (`prompt=login`): unlocking a locked screen.
    pub async fn begin_reauthentication(&self) -> Result<PendingLogin, AuthError> {
        self.begin(true).await
    }

    async fn begin(&self, prompt_login: bool) -> Result<PendingLogin, AuthError> {
        let metadata = self.metadata().await?;
        let loopback = Loopback::bind().await?;
        let redirect =
            RedirectUrl::new(loopback.redirect_uri()).map_err(|e| AuthError::Io(e.to_string()))?;
        let client = CoreClient::from_provider_metadata(metadata.clone(), self.client_id(), None)
            .set_redirect_uri(redirect);
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("profile".into()))
            .set_pkce_challenge(challenge);
        if prompt_login {
            request = request.add_prompt(CoreAuthPrompt::Login);
        }
        let (url, state, nonce) = request.url();
        Ok(PendingLogin {
            url: url.to_string(),
            loopback,
            state,
            nonce,
            verifier,
            metadata,
        })
    }

    /// Waits for the browser, checks what it brought back, and starts the session.
    pub async fn finish_login(
        &self,
        pending: PendingLogin,
        timeout: Duration,
    ) -> Result<Identity, AuthError> {
        let redirect = RedirectUrl::new(pending.loopback.redirect_uri())
            .map_err(|e| AuthError::Io(e.to_string()))?;
        let callback = pending.loopback.wait(timeout).await?;
        let checked = check_callback(
            &callback.params,
            pending.state.secret(),
            &self.config.issuer,
        );
        let code = match checked {
            Ok(code) => code,
            Err(e) => {
                callback.reply(false, &e.to_string()).await;
                return Err(e);
            }
        };
        let client = CoreClient::from_provider_metadata(pending.metadata, self.client_id(), None)
            .set_redirect_uri(redirect);
        let http = |request| send(&self.http, request);
        let outcome = async {
            let response = client
                .exchange_code(AuthorizationCode::new(code))
                .map_err(|e| AuthError::Refused(e.to_string()))?
                .set_pkce_verifier(pending.verifier)
                .request_async(&http)
                .await
                .map_err(token_error)?;
            let claims = checked_id_claims(&response, &client.id_token_verifier(), &pending.nonce)?;
            self.start_session(&response, &claims).await
        }
        .await;
        match &outcome {
            Ok(identity) => {
                callback
                    .reply(
                        true,
                        &format!(
                            "Signed in to SecondRead as {}. You can close this tab.",
                            identity.username
                        ),
                    )
                    .await;
            }
            Err(e) => callback.reply(false, &e.to_string()).await,
        }
        outcome
    }

    /// A sign-in for a machine without a browser: `show` tells the person where to go
    /// and what code to type; this returns once they have (or the code expired).
    pub async fn device_login(
        &self,
        show: impl FnOnce(&DeviceCode),
    ) -> Result<Identity, AuthError> {
        let metadata = self.metadata().await?;
        let endpoint = metadata
            .additional_metadata()
            .device_authorization_endpoint
            .clone()
            .ok_or_else(|| AuthError::Refused("the realm offers no device sign-in".into()))?;
        let endpoint =
            DeviceAuthorizationUrl::new(endpoint).map_err(|e| AuthError::Refused(e.to_string()))?;
        let client = CoreClient::from_provider_metadata(metadata, self.client_id(), None)
            .set_device_authorization_url(endpoint);
        let http = |request| send(&self.http, request);
        let details: CoreDeviceAuthorizationResponse = client
            .exchange_device_code()
            .add_scope(Scope::new("openid".into()))
            .add_scope(Scope::new("profile".into()))
            .request_async(&http)
            .await
            .map_err(token_error)?;
        show(&DeviceCode {
            verification_uri: details.verification_uri().to_string(),
            verification_uri_complete: details
                .verification_uri_complete()
                .map(|u| u.secret().to_string()),
            user_code: details.user_code().secret().to_string(),
        });
        let response = client
            .exchange_device_access_token(&details)
            .map_err(|e| AuthError::Refused(e.to_string()))?
            .request_async(&http, tokio::time::sleep, None)
            .await
            .map_err(token_error)?;
        let claims = checked_id_claims(
            &response,
            &client.id_token_verifier(),
            |_: Option<&Nonce>| Ok(()),
        )?;
        self.start_session(&response, &claims).await
    }

    /// Keeps what a sign-in brought: the refresh token in the keyring, the identity
    /// on disk, the access token in memory.
    async fn start_session(
        &self,
        response: &CoreTokenResponse,
        id: &CoreIdTokenClaims,
    ) -> Result<Identity, AuthError> {
        let access = read_access_claims(response.access_token().secret())?;
        if access.sub != id.subject().as_str() {
            return Err(AuthError::Refused(
                "the access token and the ID token name different people".into(),
            ));
        }
        let identity = Identity {
            subject: access.sub.clone(),
            username: access
                .preferred_username
                .clone()
                .or_else(|| id.preferred_username().map(|u| u.to_string()))
                .unwrap_or_else(|| access.sub.clone()),
            name: id.name().and_then(|n| n.get(None)).map(|n| n.to_string()),
            roles: access.realm_access.roles,
            tenants: access.tenants,
            lock_minutes: access.lock_minutes,
        };
        self.keep(response, identity).await
    }

    async fn keep(
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

/// The code from the browser's return, once state (and the RFC 9207 issuer, when
/// sent) match what this sign-in asked for.
fn check_callback(
    params: &[(String, String)],
    state: &str,
    issuer: &str,
) -> Result<String, AuthError> {
    let get = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    if let Some(error) = get("error") {
        let detail = get("error_description").unwrap_or_default();
        return Err(AuthError::Refused(
            format!("{error} {detail}").trim().to_owned(),
        ));
    }
    if get("state") != Some(state) {
        return Err(AuthError::Refused(
            "the browser came back from another sign-in (state does not match)".into(),
        ));
    }
    if let Some(iss) = get("iss")
        && iss.trim_end_matches('/') != issuer.trim_end_matches('/')
    {
        return Err(AuthError::Refused(format!(
            "the answer came from another issuer ({iss})"
        )));
    }
    get("code")
        .map(str::to_owned)
        .ok_or_else(|| AuthError::Refused("the browser brought back no code".into()))
}

/// The ID token's claims, once openidconnect has checked its signature (the realm's
/// JWKS), issuer, audience, expiry and nonce. A device-code sign-in sends no nonce.
fn checked_id_claims(
    response: &CoreTokenResponse,
    verifier: &CoreIdTokenVerifier<'_>,
    nonce: impl NonceVerifier,
) -> Result<CoreIdTokenClaims, AuthError> {
    response
        .id_token()
        .ok_or_else(|| AuthError::Refused("the realm sent no ID token".into()))?
        .claims(verifier, nonce)
        .cloned()
        .map_err(|e| AuthError::Refused(format!("the ID token: {e}")))
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

/// The payload of a JWT access token. Its signature is the API's to check; the
/// workstation got it straight from the token endpoint and only reads who and which roles.
fn read_access_claims(token: &str) -> Result<sr_contract::AccessClaims, AuthError> {
    let payload = token
        .split('.')
        .nth(1)
        .ok_or_else(|| AuthError::Refused("the access token is not a JWT".into()))?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|e| AuthError::Refused(format!("the access token: {e}")))?;
    serde_json::from_slice(&bytes).map_err(|e| AuthError::Refused(format!("the access token: {e}")))
}

/// A token endpoint's answer as the user's next step: an `invalid_grant` means the
/// session is over; no answer means offline.
fn token_error<RE, T>(e: RequestTokenError<RE, T>) -> AuthError
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

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    const ISSUER: &str = "https://realm.example/realms/clinic";

    #[test]
    fn the_browsers_return_gives_its_code_only_for_this_sign_in() {
        let ok = params(&[("state", "s1"), ("code", "c1"), ("iss", ISSUER)]);
        assert_eq!(check_callback(&ok, "s1", ISSUER).unwrap(), "c1");
        let trailing_slash = params(&[
            ("state", "s1"),
            ("code", "c1"),
            ("iss", &format!("{ISSUER}/")),
        ]);
        assert_eq!(check_callback(&trailing_slash, "s1", ISSUER).unwrap(), "c1");

        let refused = |pairs: &[(&str, &str)]| match check_callback(&params(pairs), "s1", ISSUER) {
            Err(AuthError::Refused(why)) => why,
            other => panic!("{pairs:?} was not refused: {other:?}"),
        };
        assert!(refused(&[("state", "other"), ("code", "c1")]).contains("another sign-in"));
        assert!(refused(&[("code", "c1")]).contains("another sign-in"));
        assert!(
            refused(&[
                ("state", "s1"),
                ("code", "c1"),
                ("iss", "https://evil.example/realms/clinic")
            ])
            .contains("another issuer")
        );
        assert!(refused(&[("state", "s1")]).contains("no code"));
        assert_eq!(
            refused(&[
                ("error", "access_denied"),
                ("error_description", "the user said no")
            ]),
            "access_denied the user said no"
        );
    }

    fn jwt(payload: &serde_json::Value) -> String {
        let encode = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        format!(
            "{}.{}.signature",
            encode(br#"{"alg":"RS256"}"#),
            encode(payload.to_string().as_bytes())
        )
    }

    #[test]
    fn the_access_token_names_the_person_their_roles_and_tenants() {
        let claims = read_access_claims(&jwt(&serde_json::json!({
            "sub": "u-1",
            "preferred_username": "otto",
            "realm_access": {"roles": ["doctor", "offline_access"]},
            "tenants": ["clinic-b"],
            "lock_minutes": 5,
        })))
        .unwrap();
        assert_eq!(claims.sub, "u-1");
        assert_eq!(claims.preferred_username.as_deref(), Some("otto"));
        assert_eq!(claims.tenants, ["clinic-b"]);
        assert_eq!(claims.lock_minutes, Some(5));
        assert!(claims.realm_access.roles.iter().any(|r| r == "doctor"));

        let bare = read_access_claims(&jwt(&serde_json::json!({"sub": "u-2"}))).unwrap();
        assert!(bare.tenants.is_empty(), "no claim, no tenant");
        assert!(bare.realm_access.roles.is_empty());

        for broken in [
            "opaque-token",
            "a.!!!.c",
            &jwt(&serde_json::json!({"name": "no sub"})),
        ] {
            assert!(
                matches!(read_access_claims(broken), Err(AuthError::Refused(_))),
                "{broken}"
            );
        }
    }
}
