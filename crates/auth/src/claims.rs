//! What the realm's tokens say: the ID token's checked claims, and who and which roles
//! and tenants the access token names.

use base64::Engine as _;
use openidconnect::core::{CoreIdTokenClaims, CoreIdTokenVerifier, CoreTokenResponse};
use openidconnect::{NonceVerifier, TokenResponse};

use crate::AuthError;

/// The ID token's claims, once openidconnect has checked its signature (the realm's
/// JWKS), issuer, audience, expiry and nonce. A device-code sign-in sends no nonce.
pub(crate) fn checked_id_claims(
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

/// The payload of a JWT access token. Its signature is the API's to check; the
/// workstation got it straight from the token endpoint and only reads who and which roles.
pub(crate) fn read_access_claims(token: &str) -> Result<sr_contract::AccessClaims, AuthError> {
    let payload = token
        .split('.')
        .nth(1)
        .ok_or_else(|| AuthError::Refused("the access token is not a JWT".into()))?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|e| AuthError::Refused(format!("the access token: {e}")))?;
    serde_json::from_slice(&bytes).map_err(|e| AuthError::Refused(format!("the access token: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

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
