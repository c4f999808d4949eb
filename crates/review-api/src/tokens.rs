//! Bearer tokens: a JWT signed by a key of the realm's JWKS, from the configured issuer,
//! for the configured audience, not expired. The key set is cached and fetched again
//! when a token names a key id it does not hold (the realm rotated its keys), at most
//! once per [`REFETCH_AFTER`] so that made-up key ids cannot flood the realm.

use std::time::{Duration, Instant};

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use sr_contract::{AccessClaims, Role, VerdictKind};
use tokio::sync::RwLock;

use crate::error::ApiFailure;

const REFETCH_AFTER: Duration = Duration::from_secs(5);

/// The realm role that reads a tenant's verdicts of every kind.
pub const LEAD: &str = "lead";

/// Who a valid token says the caller is.
#[derive(Debug, Clone)]
pub struct Caller {
    pub subject: String,
    pub username: String,
    pub roles: Vec<String>,
    pub tenants: Vec<String>,
}

impl Caller {
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }

    /// Whether the caller reviews for `tenant`.
    pub fn serves(&self, tenant: &str) -> bool {
        self.tenants.iter().any(|t| t == tenant)
    }

    /// The verdict kinds the caller's roles may read: their own role's kind, or every
    /// kind for a lead; none for a caller with no reviewing role.
    pub fn readable_kinds(&self) -> Vec<VerdictKind> {
        if self.has_role(LEAD) {
            return vec![
                VerdictKind::Diagnosis,
                VerdictKind::Quality,
                VerdictKind::Coding,
            ];
        }
        Role::ALL
            .into_iter()
            .filter(|role| self.has_role(role.as_str()))
            .map(Role::verdict_kind)
            .collect()
    }
}

#[derive(Deserialize)]
struct Discovery {
    jwks_uri: String,
}

pub struct TokenChecker {
    issuer: String,
    audience: String,
    leeway_s: u64,
    /// How far this server's clock runs ahead of the realm's (a skew seen in the
    /// field; the reference server can be told to have it, for the client's tests).
    clock_ahead_s: u64,
    http: reqwest::Client,
    keys: RwLock<Option<(JwkSet, Instant)>>,
}

impl TokenChecker {
    pub fn new(issuer: String, audience: String, leeway_s: u64, clock_ahead_s: u64) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        Self {
            issuer,
            audience,
            leeway_s,
            clock_ahead_s,
            http,
            keys: RwLock::new(None),
        }
    }

    /// Checks an `Authorization` header's bearer token.
    pub async fn check(&self, header: Option<&str>) -> Result<Caller, ApiFailure> {
        let token = header
            .and_then(|h| h.strip_prefix("Bearer "))
            .ok_or_else(|| ApiFailure::unauthorized("a bearer token is required"))?;
        let head = jsonwebtoken::decode_header(token)
            .map_err(|e| ApiFailure::unauthorized(format!("malformed token: {e}")))?;
        if !matches!(
            head.alg,
            Algorithm::RS256 | Algorithm::PS256 | Algorithm::ES256
        ) {
            return Err(ApiFailure::unauthorized(format!(
                "tokens signed with {:?} are not accepted",
                head.alg
            )));
        }
        let kid = head
            .kid
            .ok_or_else(|| ApiFailure::unauthorized("the token names no signing key"))?;
        let key = self.key(&kid).await?;
        let mut validation = Validation::new(head.alg);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        // Expiry is checked below, against this server's clock.
        validation.validate_exp = false;
        let data = jsonwebtoken::decode::<AccessClaims>(token, &key, &validation)
            .map_err(|e| ApiFailure::unauthorized(format!("token refused: {e}")))?;
        let claims = data.claims;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default()
            + self.clock_ahead_s;
        if claims.exp.unwrap_or_default() + self.leeway_s <= now {
            return Err(ApiFailure::unauthorized("token refused: it has expired"));
        }
        Ok(Caller {
            username: claims
                .preferred_username
                .unwrap_or_else(|| claims.sub.clone()),
            subject: claims.sub,
            roles: claims.realm_access.roles,
            tenants: claims.tenants,
        })
    }

    async fn key(&self, kid: &str) -> Result<DecodingKey, ApiFailure> {
        let stale = {
            let keys = self.keys.read().await;
            if let Some(jwk) = keys.as_ref().and_then(|(set, _)| set.find(kid)) {
                return DecodingKey::from_jwk(jwk)
                    .map_err(|e| ApiFailure::unauthorized(format!("unusable signing key: {e}")));
            }
            keys.as_ref()
                .is_none_or(|(_, fetched)| fetched.elapsed() >= REFETCH_AFTER)
        };
        if stale {
            let set = self.fetch_keys().await?;
            *self.keys.write().await = Some((set, Instant::now()));
        }
        let keys = self.keys.read().await;
        let jwk = keys
            .as_ref()
            .and_then(|(set, _)| set.find(kid))
            .ok_or_else(|| ApiFailure::unauthorized(format!("unknown signing key {kid}")))?;
        DecodingKey::from_jwk(jwk)
            .map_err(|e| ApiFailure::unauthorized(format!("unusable signing key: {e}")))
    }

    async fn fetch_keys(&self) -> Result<JwkSet, ApiFailure> {
        let discovery_url = format!("{}/.well-known/openid-configuration", self.issuer);
        let discovery: Discovery = self.get_json(&discovery_url).await?;
        self.get_json(&discovery.jwks_uri).await
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, url: &str) -> Result<T, ApiFailure> {
        let unavailable = |e: reqwest::Error| {
            ApiFailure::unavailable(format!("cannot read the realm's keys from {url}: {e}"))
        };
        self.http
            .get(url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(unavailable)?
            .json()
            .await
            .map_err(unavailable)
    }
}
