//! Where a source lives, and what reaches it: S3 or MinIO over HTTPS (plain HTTP only
//! on loopback), or a local folder; a concurrency cap on top.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use object_store::aws::AmazonS3Builder;
use object_store::limit::LimitStore;
use object_store::local::LocalFileSystem;
use object_store::{BackoffConfig, Certificate, ClientOptions, ObjectStore, RetryConfig};
use serde::{Deserialize, Serialize};
use sr_catalog::BatchKind;

use crate::listing::{Lister, S3Lister};
use crate::{PullError, with_causes};

/// A source opened for pulling: object_store fetches its objects, and a lister names
/// them as the server does (see [`crate::listing`]).
#[derive(Clone)]
pub struct Remote {
    objects: Arc<dyn ObjectStore>,
    pub(crate) lister: Arc<Lister>,
}

impl Remote {
    /// The store the objects are fetched from (and, in tests, put into).
    pub fn objects(&self) -> &Arc<dyn ObjectStore> {
        &self.objects
    }
}

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

/// Opens the source a config names. `secret` is the S3 secret access key, read from the
/// OS keyring by the caller; it never sits in the sources file.
pub fn open_store(config: &SourceConfig, secret: Option<&str>) -> Result<Remote, PullError> {
    let refuse = |message: String| PullError::source(&config.name, message);
    let fail = |e: object_store::Error| refuse(with_causes(&e));
    let remote = match &config.location {
        SourceLocation::S3 {
            endpoint,
            region,
            bucket,
            virtual_hosted,
            access_key_id,
            ca_bundle,
        } => {
            let secret = secret.ok_or_else(|| {
                PullError::source(
                    &config.name,
                    "no secret access key in the OS keyring (secondread source set-secret NAME)",
                )
            })?;
            if let Some(endpoint) = endpoint
                && endpoint.starts_with("http://")
                && !is_loopback(endpoint)
            {
                return Err(refuse(format!(
                    "{endpoint} is not HTTPS; plain HTTP is allowed on loopback only"
                )));
            }
            let pem = match ca_bundle {
                Some(path) => Some(std::fs::read(path).map_err(|e| {
                    refuse(format!("cannot read the CA bundle {}: {e}", path.display()))
                })?),
                None => None,
            };
            let not_pem = |e: &dyn std::fmt::Display| {
                let path = ca_bundle.as_deref().unwrap_or(std::path::Path::new(""));
                refuse(format!("the CA bundle {} is not PEM: {e}", path.display()))
            };
            let mut client = ClientOptions::new()
                .with_connect_timeout(Duration::from_secs(10))
                .with_timeout(Duration::from_secs(120));
            let mut http = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .connect_timeout(Duration::from_secs(10))
                .timeout(Duration::from_secs(120));
            if let Some(pem) = &pem {
                for certificate in Certificate::from_pem_bundle(pem).map_err(|e| not_pem(&e))? {
                    client = client.with_root_certificate(certificate);
                }
                for certificate in
                    reqwest::Certificate::from_pem_bundle(pem).map_err(|e| not_pem(&e))?
                {
                    http = http.add_root_certificate(certificate);
                }
            }
            let mut builder = AmazonS3Builder::new()
                .with_region(region)
                .with_bucket_name(bucket)
                .with_access_key_id(access_key_id)
                .with_secret_access_key(secret)
                .with_virtual_hosted_style_request(*virtual_hosted)
                .with_client_options(client)
                .with_retry(RetryConfig {
                    backoff: BackoffConfig::default(),
                    max_retries: 4,
                    retry_timeout: Duration::from_secs(60),
                });
            if let Some(endpoint) = endpoint {
                builder = builder
                    .with_endpoint(endpoint)
                    .with_allow_http(is_loopback(endpoint));
            }
            let endpoint = endpoint
                .clone()
                .unwrap_or_else(|| format!("https://s3.{region}.amazonaws.com"));
            let url = endpoint
                .parse()
                .map_err(|e| refuse(format!("the endpoint {endpoint} is not a URL: {e}")))?;
            let style = if *virtual_hosted {
                rusty_s3::UrlStyle::VirtualHost
            } else {
                rusty_s3::UrlStyle::Path
            };
            let lister = S3Lister {
                bucket: rusty_s3::Bucket::new(url, style, bucket.clone(), region.clone()).map_err(
                    |e| {
                        refuse(format!(
                            "the endpoint {endpoint} cannot hold the bucket: {e}"
                        ))
                    },
                )?,
                credentials: rusty_s3::Credentials::new(access_key_id.clone(), secret.to_owned()),
                http: http
                    .build()
                    .map_err(|e| refuse(format!("cannot set up HTTPS: {e}")))?,
            };
            Remote {
                objects: Arc::new(LimitStore::new(
                    builder.build().map_err(fail)?,
                    config.concurrency.max(1),
                )),
                lister: Arc::new(Lister::S3(lister)),
            }
        }
        SourceLocation::Folder { path } => {
            let objects: Arc<dyn ObjectStore> = Arc::new(LimitStore::new(
                LocalFileSystem::new_with_prefix(path).map_err(fail)?,
                config.concurrency.max(1),
            ));
            Remote {
                lister: Arc::new(Lister::Store(objects.clone())),
                objects,
            }
        }
    };
    Ok(remote)
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
