//! The realm's discovery document, with the endpoints openidconnect's core type leaves
//! out: revocation (RFC 7009), device authorization (RFC 8628), end of session.

use openidconnect::core::{
    CoreAuthDisplay, CoreClaimName, CoreClaimType, CoreClientAuthMethod, CoreGrantType,
    CoreJsonWebKey, CoreJweContentEncryptionAlgorithm, CoreJweKeyManagementAlgorithm,
    CoreResponseMode, CoreResponseType, CoreSubjectIdentifierType,
};
use openidconnect::{AdditionalProviderMetadata, IssuerUrl, ProviderMetadata};
use serde::{Deserialize, Serialize};

use crate::AuthError;
use crate::http::{describe, send};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct MoreEndpoints {
    #[serde(default)]
    pub revocation_endpoint: Option<String>,
    #[serde(default)]
    pub device_authorization_endpoint: Option<String>,
    #[serde(default)]
    pub end_session_endpoint: Option<String>,
}

impl AdditionalProviderMetadata for MoreEndpoints {}

pub type Metadata = ProviderMetadata<
    MoreEndpoints,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;

/// Reads the discovery document and the realm's signing keys; the issuer it names
/// must be the one configured.
pub async fn discover(http: &reqwest::Client, issuer: &str) -> Result<Metadata, AuthError> {
    let issuer = IssuerUrl::new(issuer.trim_end_matches('/').to_owned())
        .map_err(|e| AuthError::Config(format!("issuer: {e}")))?;
    let client = |request| send(http, request);
    Metadata::discover_async(issuer, &client)
        .await
        .map_err(|e| match e {
            openidconnect::DiscoveryError::Request(inner) => {
                AuthError::Unreachable(describe(&inner))
            }
            other => AuthError::Refused(format!(
                "the realm's discovery document: {}",
                describe(&other)
            )),
        })
}
