//! Planning a pull: which tenants and batches a source holds for this person, each
//! batch's manifest read and its objects listed, and per item whether to fetch it, take
//! it from the cache, or refuse it before a byte is fetched.
//!
//! Resuming is a property of the content-addressed cache: an item whose manifest sha256
//! is already stored (or, without a sha256, whose ETag and size are those of the object
//! fetched last time) is not fetched again.

use std::collections::HashMap;

use object_store::ObjectStoreExt;
use sr_catalog::{
    BATCH_MANIFEST, BatchEntry, BatchHeader, BlobStore, Catalog, RemoteObject, StoredBlob,
    TenantScope, parse_manifest,
};

use crate::listing::{Listed, Listing};
use crate::pull::{DeferredBatch, PullOptions};
use crate::{MODELS_PREFIX, PullError, Remote, SourceConfig};

/// What one listed item needs.
pub(crate) enum Step {
    Fetch(Listed),
    Cached(StoredBlob),
    Refuse(String),
}

pub(crate) struct BatchPlan {
    pub header: BatchHeader,
    pub items: Vec<(BatchEntry, Step)>,
}

impl BatchPlan {
    pub fn fetches(&self) -> impl Iterator<Item = &Listed> {
        self.items.iter().filter_map(|(_, step)| match step {
            Step::Fetch(object) => Some(object),
            _ => None,
        })
    }

    pub fn bytes_to_fetch(&self) -> u64 {
        self.fetches().map(|o| o.size).sum()
    }
}

/// Decides per entry whether to fetch it: not when the cache holds the manifest's
/// sha256, nor when this source's object is unchanged (same ETag and size) since it was
/// last fetched.
pub(crate) fn plan_batch(
    catalog: &Catalog,
    blobs: &BlobStore,
    source: &SourceConfig,
    remote: RemoteBatch,
) -> Result<BatchPlan, PullError> {
    let known: HashMap<String, RemoteObject> = catalog
        .remote_objects(&source.name, &format!("{}/", remote.prefix))?
        .into_iter()
        .map(|o| (o.path.clone(), o))
        .collect();
    let items = remote
        .entries
        .into_iter()
        .map(|entry| {
            let step = match check_entry(&entry, remote.listing.objects.get(&entry.key)) {
                Err(reason) => Step::Refuse(reason),
                Ok(object) => {
                    let by_digest = entry
                        .sha256
                        .as_deref()
                        .map(str::to_ascii_lowercase)
                        .filter(|sha| blobs.contains(sha));
                    let by_etag = known
                        .get(object.location.as_ref())
                        .filter(|k| {
                            entry.sha256.is_none()
                                && object.e_tag.as_deref() == Some(k.etag.as_str())
                                && k.size == object.size
                                && blobs.contains(&k.sha256)
                        })
                        .map(|k| k.sha256.clone());
                    match by_digest.or(by_etag) {
                        Some(sha256) => Step::Cached(StoredBlob {
                            sha256,
                            size: object.size,
                        }),
                        None => Step::Fetch(object.clone()),
                    }
                }
            };
            (entry, step)
        })
        .collect();
    Ok(BatchPlan {
        header: remote.header,
        items,
    })
}

/// The checks made before any byte is fetched.
fn check_entry<'a>(entry: &BatchEntry, object: Option<&'a Listed>) -> Result<&'a Listed, String> {
    entry.admit()?;
    let object = object.ok_or("listed in batch.json but not in the bucket")?;
    if object.size == 0 {
        return Err("empty object (0 bytes)".into());
    }
    if let Some(size) = entry.size
        && size != object.size
    {
        return Err(format!(
            "size mismatch: batch.json says {size} bytes, the object has {}",
            object.size
        ));
    }
    Ok(object)
}

/// Every batch the options select within `scope`, with its manifest read and its
/// objects listed; the tenants `scope` leaves out are added to `not_yours`.
pub(crate) async fn list_batches(
    remote: &Remote,
    source: &SourceConfig,
    options: &PullOptions,
    scope: &TenantScope,
    not_yours: &mut Vec<String>,
) -> Result<Vec<RemoteBatch>, PullError> {
    let lister = &remote.lister;
    let listing_failed = |e: String| PullError::source(&source.name, e);
    let tenants = if source.tenants.is_empty() {
        lister.children("").await.map_err(listing_failed)?
    } else {
        source.tenants.clone()
    };
    let tenants = tenants.into_iter().filter(|t| t != MODELS_PREFIX);
    let mut batches = Vec::new();
    for tenant in tenants {
        if options.tenant.as_ref().is_some_and(|t| *t != tenant) {
            continue;
        }
        if !scope.allows(&tenant) {
            not_yours.push(tenant);
            continue;
        }
        for batch in lister.children(&tenant).await.map_err(listing_failed)? {
            if options.batch.as_ref().is_some_and(|b| *b != batch) {
                continue;
            }
            batches.push(read_batch(remote, source, &tenant, &batch).await?);
        }
    }
    Ok(batches)
}

/// A batch as the store shows it.
pub(crate) struct RemoteBatch {
    header: BatchHeader,
    prefix: String,
    entries: Vec<BatchEntry>,
    listing: Listing,
}

async fn read_batch(
    remote: &Remote,
    source: &SourceConfig,
    tenant: &str,
    batch: &str,
) -> Result<RemoteBatch, PullError> {
    let prefix = format!("{tenant}/{batch}");
    let listing = remote
        .lister
        .objects(&prefix)
        .await
        .map_err(|e| PullError::source(&source.name, e))?;
    let manifest = match listing.objects.get(BATCH_MANIFEST) {
        Some(meta) => Some(match remote.objects().get(&meta.location).await {
            Ok(got) => match got.bytes().await {
                Ok(bytes) => String::from_utf8(bytes.to_vec())
                    .map_err(|_| "batch.json is not UTF-8 text".to_string())
                    .and_then(|text| parse_manifest(&text, tenant, batch)),
                Err(e) => Err(format!("cannot read batch.json: {e}")),
            },
            Err(e) => Err(format!("cannot read batch.json: {e}")),
        }),
        None => None,
    };
    let header = |kind, created_at, error| BatchHeader {
        tenant: tenant.into(),
        batch: batch.into(),
        kind,
        created_at,
        error,
        source: format!("source:{}", source.name),
    };
    Ok(match manifest {
        Some(Ok(m)) => RemoteBatch {
            header: header(m.kind, m.created_at, None),
            prefix,
            entries: m.items.into_iter().map(BatchEntry::from_manifest).collect(),
            listing,
        },
        problem => {
            let error = problem.and_then(Result::err);
            // Without a manifest every file of a known type is an item, the ones whose
            // key cannot be requested included: each fails alone, with its reason.
            let mut entries: Vec<BatchEntry> = listing
                .objects
                .keys()
                .map(|k| BatchEntry::listed(k.clone(), error.clone()))
                .chain(listing.unaddressable.iter().map(|(k, reason)| {
                    BatchEntry::listed(k.clone(), Some(error.clone().unwrap_or(reason.clone())))
                }))
                .filter(|entry| sr_catalog::Format::from_key(&entry.key).is_some())
                .collect();
            entries.sort_by(|a, b| a.key.cmp(&b.key));
            RemoteBatch {
                header: header(source.default_kind, None, error),
                prefix,
                entries,
                listing,
            }
        }
    })
}

/// Leaves in the bucket the batches that would take the cache past its quota, each
/// named with the reason; the rest fit, in listing order.
pub(crate) fn defer_past_quota(
    plans: &mut Vec<BatchPlan>,
    mut used: u64,
    quota: u64,
    deferred: &mut Vec<DeferredBatch>,
) {
    plans.retain(|plan| {
        let needed = plan.bytes_to_fetch();
        if used + needed > quota {
            deferred.push(DeferredBatch {
                tenant: plan.header.tenant.clone(),
                batch: plan.header.batch.clone(),
                reason: format!(
                    "needs {needed} bytes; the cache holds {used} of its {quota}-byte quota"
                ),
            });
            false
        } else {
            used += needed;
            true
        }
    });
}
