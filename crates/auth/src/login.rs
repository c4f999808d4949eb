//! Signing in: the browser's code + PKCE through a loopback redirect, or the device
//! code; either way the session starts with the tokens checked against each other.

use std::time::Duration;

use openidconnect::core::{
    CoreAuthPrompt, CoreAuthenticationFlow, CoreClient, CoreDeviceAuthorizationResponse,
    CoreIdTokenClaims, CoreTokenResponse,
};
use openidconnect::{
    AuthorizationCode, CsrfToken, DeviceAuthorizationUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, RedirectUrl, Scope,
};

use crate::claims::{checked_id_claims, read_access_claims};
use crate::http::send;
use crate::loopback::Loopback;
use crate::provider::Metadata;
use crate::tokens::token_error;
use crate::{Auth, AuthError, Identity};

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

impl Auth {
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
}
