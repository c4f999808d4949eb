//! Where a source lives, and the object store that reaches it: S3 or MinIO over HTTPS
//! (plain HTTP only on loopback), or a local folder; a concurrency cap on top.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use object_store::aws::AmazonS3Builder;
use object_store::limit::LimitStore;
use object_store::local::LocalFileSystem;
use object_store::{BackoffConfig, Certificate, ClientOptions, ObjectStore, RetryConfig};
use serde::{Deserialize, Serialize};
use sr_catalog::BatchKind;

use crate::{PullError, with_causes};

/// One configured source, as an admin writes it in the sources file.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct SourceConfig {
    pub name: String,
    #[serde(flatten)]
    pub location: SourceLocation,
    /// Tenant prefixes to pull; empty means every tenant in the bucket.
    #[serde(default)]
    pub tenants: Vec<String>,
    /// Requests in flight at once.
    #[serde(default = "default_concurrency")]
    pub concurrency: usize,
    /// Large objects come in ranged GETs of this many MiB, four at a time (objects up to
    /// four parts in one GET); smaller parts suit slow or lossy links.
    #[serde(default = "default_part_size_mib")]
    pub part_size_mib: u64,
    /// Kind of the batches that carry no batch.json.
    #[serde(default = "default_kind")]
    pub default_kind: BatchKind,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum SourceLocation {
    S3 {
        /// Empty for AWS itself; the MinIO or S3-compatible URL otherwise.
        endpoint: Option<String>,
        region: String,
        bucket: String,
        /// Path-style (`endpoint/bucket/key`, MinIO's default) unless set.
        #[serde(default)]
        virtual_hosted: bool,
        access_key_id: String,
        /// PEM bundle of the CAs that sign an on-premises MinIO's certificate, trusted
        /// besides the system's; certificate checks are never turned off.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ca_bundle: Option<PathBuf>,
    },
    Folder {
        path: PathBuf,
    },
}

fn default_concurrency() -> usize {
    16
}

fn default_part_size_mib() -> u64 {
    16
}

fn default_kind() -> BatchKind {
    BatchKind::Imaging
}

/// Whether an endpoint may be spoken to without TLS: only on this machine.
fn is_loopback(endpoint: &str) -> bool {
    let Some(rest) = endpoint.strip_prefix("http://") else {
        return false;
    };
    let authority = rest.split('/').next().unwrap_or("");
    if authority == "[::1]" || authority.starts_with("[::1]:") {
        return true;
    }
    let host = authority.split(':').next().unwrap_or("");
    host == "localhost"
        || host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Opens the store a source names. `secret` is the S3 secret access key, read from the
/// OS keyring by the caller; it never sits in the sources file.
pub fn open_store(
    config: &SourceConfig,
    secret: Option<&str>,
) -> Result<Arc<dyn ObjectStore>, PullError> {
    let fail = |e: object_store::Error| PullError::source(&config.name, with_causes(&e));
    let store: Arc<dyn ObjectStore> = match &config.location {
        SourceLocation::S3 {
            endpoint,
            region,
            bucket,
            virtual_hosted,
            access_key_id,
            ca_bundle,
        } => {
            let mut client = ClientOptions::new()
                .with_connect_timeout(Duration::from_secs(10))
                .with_timeout(Duration::from_secs(120));
            if let Some(path) = ca_bundle {
                let pem = std::fs::read(path).map_err(|e| {
                    PullError::source(
                        &config.name,
                        format!("cannot read the CA bundle {}: {e}", path.display()),
                    )
                })?;
                let certificates = Certificate::from_pem_bundle(&pem).map_err(|e| {
                    PullError::source(
                        &config.name,
                        format!("the CA bundle {} is not PEM: {e}", path.display()),
                    )
                })?;
                for certificate in certificates {
                    client = client.with_root_certificate(certificate);
                }
            }
            let mut builder = AmazonS3Builder::new()
                .with_region(region)
                .with_bucket_name(bucket)
                .with_access_key_id(access_key_id)
                .with_secret_access_key(secret.ok_or_else(|| {
                    PullError::source(
                        &config.name,
                        "no secret access key in the OS keyring (secondread source set-secret NAME)",
                    )
                })?)
                .with_virtual_hosted_style_request(*virtual_hosted)
                .with_client_options(client)
                .with_retry(RetryConfig {
                    backoff: BackoffConfig::default(),
                    max_retries: 4,
                    retry_timeout: Duration::from_secs(60),
                });
            if let Some(endpoint) = endpoint {
                if endpoint.starts_with("http://") && !is_loopback(endpoint) {
                    return Err(PullError::source(
                        &config.name,
                        format!("{endpoint} is not HTTPS; plain HTTP is allowed on loopback only"),
                    ));
                }
                builder = builder
                    .with_endpoint(endpoint)
                    .with_allow_http(is_loopback(endpoint));
            }
            Arc::new(LimitStore::new(
                builder.build().map_err(fail)?,
                config.concurrency.max(1),
            ))
        }
        SourceLocation::Folder { path } => Arc::new(LimitStore::new(
            LocalFileSystem::new_with_prefix(path).map_err(fail)?,
            config.concurrency.max(1),
        )),
    };
    Ok(store)
}

#[cfg(test)]
mod tests {
    use super::is_loopback;

    #[test]
    fn plain_http_only_on_loopback() {
        assert!(is_loopback("http://127.0.0.1:9000"));
        assert!(is_loopback("http://localhost:9000/"));
        assert!(is_loopback("http://[::1]:9000"));
        assert!(!is_loopback("http://minio.clinic.example:9000"));
        assert!(!is_loopback("http://127.0.0.1.evil.example"));
        assert!(!is_loopback("https://127.0.0.1:9000"));
    }
}
