//! One pull: list tenants and batches, read each batch's manifest, fetch what the blob
//! cache lacks, verify, store, record.
//!
//! Resuming is a property of the content-addressed cache: an item whose manifest sha256
//! is already stored is not fetched again, and a blob only appears once it is whole.

use std::collections::HashMap;
use std::sync::Mutex;

use futures::{StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::{ObjectMeta, ObjectStore, ObjectStoreExt};
use serde::Serialize;
use sr_catalog::{
    BATCH_MANIFEST, BatchEntry, BatchHeader, BlobError, BlobStore, Catalog, ImportReport,
    StoredBlob, check_key, parse_manifest,
};

use crate::{PullError, SourceConfig};

/// Which part of a source to pull.
#[derive(Debug, Clone, Default)]
pub struct PullFilter {
    pub tenant: Option<String>,
    pub batch: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct PullReport {
    /// What the catalogue recorded (batches, items added / changed / unchanged, failures).
    #[serde(flatten)]
    pub recorded: ImportReport,
    /// Objects downloaded in this pull, and their bytes.
    pub fetched: u32,
    pub fetched_bytes: u64,
    /// Objects not downloaded because the cache already holds their content.
    pub cached: u32,
}

/// Pulls every batch of `source` that `filter` selects into `catalog`.
pub async fn pull(
    store: &dyn ObjectStore,
    source: &SourceConfig,
    catalog: &Mutex<Catalog>,
    filter: &PullFilter,
) -> Result<PullReport, PullError> {
    let blobs = lock(catalog).blobs().clone();
    let mut report = PullReport::default();
    let tenants = if source.tenants.is_empty() {
        child_prefixes(store, source, None).await?
    } else {
        source.tenants.clone()
    };
    for tenant in tenants {
        if filter.tenant.as_ref().is_some_and(|t| *t != tenant) {
            continue;
        }
        let tenant_path = Path::from(tenant.as_str());
        for batch in child_prefixes(store, source, Some(&tenant_path)).await? {
            if filter.batch.as_ref().is_some_and(|b| *b != batch) {
                continue;
            }
            let prefix = tenant_path.clone().join(batch.as_str());
            let remote = read_batch(store, source, &tenant, &batch, &prefix).await?;
            let listing = &remote.listing;
            let results: Vec<(BatchEntry, Result<Fetched, String>)> =
                futures::stream::iter(remote.entries)
                    .map(|entry| {
                        let object = listing.get(&entry.key).cloned();
                        let blobs = blobs.clone();
                        async move {
                            let outcome = fetch(store, &blobs, &entry, object).await;
                            (entry, outcome)
                        }
                    })
                    .buffered(source.concurrency.max(1))
                    .collect()
                    .await;
            let mut stored: Vec<(BatchEntry, Result<StoredBlob, String>)> =
                Vec::with_capacity(results.len());
            for (entry, outcome) in results {
                stored.push((
                    entry,
                    outcome.map(|fetched| match fetched {
                        Fetched::Downloaded(blob) => {
                            report.fetched += 1;
                            report.fetched_bytes += blob.size;
                            blob
                        }
                        Fetched::Cached(blob) => {
                            report.cached += 1;
                            blob
                        }
                    }),
                ));
            }
            lock(catalog).record_batch(&remote.header, stored, &mut report.recorded)?;
        }
    }
    Ok(report)
}

fn lock(catalog: &Mutex<Catalog>) -> std::sync::MutexGuard<'_, Catalog> {
    catalog
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The names one level below `prefix` (tenants, or a tenant's batches); unsafe names
/// are skipped, since nothing under them can be addressed safely.
async fn child_prefixes(
    store: &dyn ObjectStore,
    source: &SourceConfig,
    prefix: Option<&Path>,
) -> Result<Vec<String>, PullError> {
    let listing = store
        .list_with_delimiter(prefix)
        .await
        .map_err(|e| PullError::source(&source.name, e))?;
    let mut names: Vec<String> = listing
        .common_prefixes
        .iter()
        .filter_map(|p| p.filename().map(str::to_owned))
        .filter(|name| check_key(name).is_ok())
        .collect();
    names.sort();
    Ok(names)
}

/// A batch as the store shows it.
struct RemoteBatch {
    header: BatchHeader,
    entries: Vec<BatchEntry>,
    /// Every object under the batch's prefix, by key relative to it.
    listing: HashMap<String, ObjectMeta>,
}

async fn read_batch(
    store: &dyn ObjectStore,
    source: &SourceConfig,
    tenant: &str,
    batch: &str,
    prefix: &Path,
) -> Result<RemoteBatch, PullError> {
    let objects: Vec<ObjectMeta> = store
        .list(Some(prefix))
        .try_collect()
        .await
        .map_err(|e| PullError::source(&source.name, e))?;
    let base = format!("{prefix}/");
    let listing: HashMap<String, ObjectMeta> = objects
        .into_iter()
        .filter_map(|meta| {
            let key = meta.location.as_ref().strip_prefix(&base)?.to_owned();
            Some((key, meta))
        })
        .collect();

    let manifest = match listing.get(BATCH_MANIFEST) {
        Some(meta) => Some(match store.get(&meta.location).await {
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
            entries: m.items.into_iter().map(BatchEntry::from_manifest).collect(),
            listing,
        },
        problem => {
            let error = problem.and_then(Result::err);
            let mut keys: Vec<&String> = listing
                .keys()
                .filter(|k| sr_catalog::Format::from_key(k).is_some())
                .collect();
            keys.sort();
            let entries = keys
                .into_iter()
                .map(|k| BatchEntry::listed(k.clone(), error.clone()))
                .collect();
            RemoteBatch {
                header: header(source.default_kind, None, error),
                entries,
                listing,
            }
        }
    })
}

enum Fetched {
    Downloaded(StoredBlob),
    Cached(StoredBlob),
}

/// Fetches one entry into the blob cache, unless the cache already holds its content.
async fn fetch(
    store: &dyn ObjectStore,
    blobs: &BlobStore,
    entry: &BatchEntry,
    object: Option<ObjectMeta>,
) -> Result<Fetched, String> {
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
    if let Some(sha256) = entry.sha256.as_deref().map(str::to_ascii_lowercase)
        && blobs.contains(&sha256)
    {
        return Ok(Fetched::Cached(StoredBlob {
            sha256,
            size: object.size,
        }));
    }
    let bytes = store
        .get(&object.location)
        .await
        .map_err(|e| format!("cannot fetch: {e}"))?
        .bytes()
        .await
        .map_err(|e| format!("cannot fetch: {e}"))?;
    let blobs = blobs.clone();
    let expected = entry.sha256.clone();
    tokio::task::spawn_blocking(move || blobs.put(&bytes[..], expected.as_deref()))
        .await
        .map_err(|e| format!("cannot store: {e}"))?
        .map(Fetched::Downloaded)
        .map_err(|e| match e {
            BlobError::ChecksumMismatch { expected, actual } => format!(
                "checksum mismatch: batch.json says sha256 {expected}, the object has {actual}"
            ),
            BlobError::Io(e) => format!("cannot store: {e}"),
        })
}
