//! Listing a source by the keys its server holds.
//!
//! object_store's `Path` cannot hold every key S3 allows (`.` and `..` parts, `//`, a
//! trailing `/`, control characters), and one such key fails the whole page of a
//! listing: one odd object would keep a whole batch from being pulled, pull after
//! pull. So S3 sources are listed here through ListObjectsV2 (signed and parsed by
//! rusty-s3), each key as the server wrote it. Only keys that name one object without
//! doubt are fetched; any other key is an error on that object alone.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};
use futures::TryStreamExt;
use object_store::ObjectStore;
use object_store::path::Path;
use reqwest::StatusCode;
use rusty_s3::actions::{ListObjectsV2, S3Action};
use rusty_s3::{Bucket, Credentials};
use sr_catalog::check_key;

use crate::with_causes;

/// How long a signed listing URL stays good: past every retry of one request.
const SIGNED_FOR: Duration = Duration::from_secs(300);

/// An object a pull can fetch: its key names it without doubt.
#[derive(Debug, Clone)]
pub(crate) struct Listed {
    pub location: Path,
    pub size: u64,
    pub e_tag: Option<String>,
}

/// Every object under one prefix, by key relative to it.
#[derive(Debug, Default)]
pub(crate) struct Listing {
    pub objects: HashMap<String, Listed>,
    /// Keys no request can name safely, each with why; their objects are never fetched.
    pub unaddressable: Vec<(String, String)>,
}

impl Listing {
    fn add(&mut self, base: &str, key: &str, size: u64, e_tag: Option<String>) {
        let Some(relative) = key.strip_prefix(base) else {
            return;
        };
        let location = check_key(relative).and_then(|()| {
            Path::parse(key)
                .ok()
                // `Path` drops a trailing `/`, which would fetch another object.
                .filter(|path| path.as_ref() == key)
                .ok_or_else(|| "the key cannot be requested as it is written".to_string())
        });
        match location {
            Ok(location) => {
                self.objects.insert(
                    relative.to_owned(),
                    Listed {
                        location,
                        size,
                        e_tag,
                    },
                );
            }
            Err(reason) => self.unaddressable.push((relative.to_owned(), reason)),
        }
    }
}

/// Lists a source's keys.
pub(crate) enum Lister {
    S3(S3Lister),
    /// A folder holds only names its file system allows; object_store lists them.
    Store(Arc<dyn ObjectStore>),
}

impl Lister {
    /// The names one level under `prefix` (a bucket's top when empty). Names that are
    /// not one safe path part are left out: nothing under them can be addressed.
    pub async fn children(&self, prefix: &str) -> Result<Vec<String>, String> {
        let base = folder(prefix);
        let prefixes = match self {
            Lister::S3(s3) => s3.list(&base, true).await?.1,
            Lister::Store(store) => {
                let parent = (!prefix.is_empty()).then(|| Path::from(prefix));
                store
                    .list_with_delimiter(parent.as_ref())
                    .await
                    .map_err(|e| with_causes(&e))?
                    .common_prefixes
                    .into_iter()
                    .map(|p| format!("{p}/"))
                    .collect()
            }
        };
        let mut names: Vec<String> = prefixes
            .iter()
            .filter_map(|p| p.strip_prefix(&base)?.strip_suffix('/'))
            .filter(|name| !name.contains('/') && check_key(name).is_ok())
            .map(str::to_owned)
            .collect();
        names.sort();
        names.dedup();
        Ok(names)
    }

    /// Every object under `prefix`, at any depth.
    pub async fn objects(&self, prefix: &str) -> Result<Listing, String> {
        let base = folder(prefix);
        let mut listing = Listing::default();
        match self {
            Lister::S3(s3) => {
                for object in s3.list(&base, false).await?.0 {
                    listing.add(&base, &object.key, object.size.unwrap_or(0), object.etag);
                }
            }
            Lister::Store(store) => {
                let objects: Vec<object_store::ObjectMeta> = store
                    .list(Some(&Path::from(prefix)))
                    .try_collect()
                    .await
                    .map_err(|e| with_causes(&e))?;
                for meta in objects {
                    listing.add(&base, meta.location.as_ref(), meta.size, meta.e_tag);
                }
            }
        }
        Ok(listing)
    }
}

/// `prefix` as a folder: with one trailing `/`, or empty for the top.
fn folder(prefix: &str) -> String {
    if prefix.is_empty() {
        String::new()
    } else {
        format!("{}/", prefix.trim_end_matches('/'))
    }
}

/// ListObjectsV2 over HTTPS (plain HTTP on loopback only, checked by the caller).
pub(crate) struct S3Lister {
    pub bucket: Bucket,
    pub credentials: Credentials,
    pub http: reqwest::Client,
}

impl S3Lister {
    /// Every page under `prefix`: the objects, and (with `delimited`) the prefixes one
    /// level down instead of what lies under them.
    async fn list(
        &self,
        prefix: &str,
        delimited: bool,
    ) -> Result<
        (
            Vec<rusty_s3::actions::list_objects_v2::ListObjectsContent>,
            Vec<String>,
        ),
        String,
    > {
        let mut objects = Vec::new();
        let mut prefixes = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut action = ListObjectsV2::new(&self.bucket, Some(&self.credentials));
            if !prefix.is_empty() {
                action.with_prefix(prefix);
            }
            if delimited {
                action.with_delimiter("/");
            }
            if let Some(token) = &token {
                action.with_continuation_token(token.as_str());
            }
            let body = self.get(&action).await?;
            let page = ListObjectsV2::parse_response(&body)
                .map_err(|e| format!("the server's listing is not S3's: {e}"))?;
            objects.extend(page.contents);
            prefixes.extend(page.common_prefixes.into_iter().map(|p| p.prefix));
            match page.next_continuation_token {
                Some(next) if token.as_ref() != Some(&next) => token = Some(next),
                _ => break,
            }
        }
        Ok((objects, prefixes))
    }

    /// One listing request, retried like object_store retries its own (connection
    /// errors, 429 and 5xx); any other answer is final.
    async fn get(&self, action: &ListObjectsV2<'_>) -> Result<String, String> {
        let mut delays = ExponentialBuilder::new()
            .with_jitter()
            .with_min_delay(Duration::from_millis(100))
            .with_max_delay(Duration::from_secs(15))
            .with_max_times(4)
            .build();
        loop {
            // Errors leave without the URL: it is signed, and good for minutes.
            let error = match self.http.get(action.sign(SIGNED_FOR)).send().await {
                Err(e) => with_causes(&e.without_url()),
                Ok(response) => {
                    let status = response.status();
                    if status.is_success() {
                        match response.text().await {
                            Ok(body) => return Ok(body),
                            Err(e) => with_causes(&e.without_url()),
                        }
                    } else {
                        let message = s3_error(status, &response.text().await.unwrap_or_default());
                        if !(status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error()) {
                            return Err(message);
                        }
                        message
                    }
                }
            };
            match delays.next() {
                Some(delay) => tokio::time::sleep(delay).await,
                None => return Err(format!("cannot list the bucket: {error}")),
            }
        }
    }
}

/// An S3 error answer as a person reads it: the status, S3's code and its message.
fn s3_error(status: StatusCode, body: &str) -> String {
    let field = |name: &str| {
        let start = body.find(&format!("<{name}>"))? + name.len() + 2;
        let end = body[start..].find(&format!("</{name}>"))? + start;
        Some(body[start..end].trim().to_owned())
    };
    match (field("Code"), field("Message")) {
        (Some(code), Some(message)) => format!("{status}: {code}: {message}"),
        (Some(code), None) => format!("{status}: {code}"),
        _ => status.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_keys_that_name_one_object_are_fetched() {
        let mut listing = Listing::default();
        for key in [
            "t/b/ok.png",
            "t/b/series/2.dcm",
            "t/b/../escape.png",
            "t/b/./dot.png",
            "t/b//double.png",
            "t/b/trailing/",
            "t/b/bell\u{7}.png",
            "elsewhere/x.png",
        ] {
            listing.add("t/b/", key, 1, None);
        }
        let mut fetched: Vec<&str> = listing.objects.keys().map(String::as_str).collect();
        fetched.sort();
        assert_eq!(fetched, ["ok.png", "series/2.dcm"]);
        let refused: Vec<&str> = listing
            .unaddressable
            .iter()
            .map(|(k, _)| k.as_str())
            .collect();
        assert_eq!(
            refused,
            [
                "../escape.png",
                "./dot.png",
                "/double.png",
                "trailing/",
                "bell\u{7}.png"
            ]
        );
        assert!(listing.unaddressable[0].1.contains("'..'"));
    }

    #[test]
    fn s3_errors_name_their_code() {
        let body = "<?xml version=\"1.0\"?><Error><Code>NoSuchBucket</Code>\
                    <Message>The specified bucket does not exist</Message></Error>";
        assert_eq!(
            s3_error(StatusCode::NOT_FOUND, body),
            "404 Not Found: NoSuchBucket: The specified bucket does not exist"
        );
        assert_eq!(s3_error(StatusCode::FORBIDDEN, ""), "403 Forbidden");
    }
}
