//! One pull: list tenants and batches, read each batch's manifest, fetch what the blob
//! cache lacks, verify, store, record.
//!
//! Resuming is a property of the content-addressed cache: an item whose manifest sha256
//! is already stored (or, without a sha256, whose ETag and size are those of the object
//! fetched last time) is not fetched again, and a blob only appears once it is whole.

use std::collections::HashMap;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use object_store::{GetOptions, ObjectStore, ObjectStoreExt};
use serde::Serialize;
use sr_catalog::{
    BATCH_MANIFEST, BatchEntry, BatchHeader, BlobError, BlobStore, Catalog, ImportReport,
    RemoteObject, StoredBlob, TenantScope, parse_manifest,
};
use tokio::sync::Semaphore;
use ts_rs::TS;

use crate::listing::{Listed, Listing};
use crate::models::pull_models;
use crate::{MODELS_PREFIX, ModelPull, PullError, PullProgress, Remote, SourceConfig, with_causes};

/// Which part of a source to pull, and how much room the cache may take.
#[derive(Debug, Clone, Default)]
pub struct PullOptions {
    pub tenant: Option<String>,
    pub batch: Option<String>,
    /// The most the blob cache may hold; batches that would pass it are left for later.
    pub cache_quota_bytes: Option<u64>,
    /// Where models offered under the bucket's `models/` go; none skips them.
    pub models_dir: Option<PathBuf>,
}

#[derive(Debug, Clone, Default, Serialize, TS)]
pub struct PullReport {
    /// What the catalogue recorded (batches, items added / changed / unchanged, failures).
    #[serde(flatten)]
    pub recorded: ImportReport,
    /// Objects downloaded in this pull, and their bytes.
    pub fetched: u32,
    pub fetched_bytes: u64,
    /// Objects not downloaded because the cache already holds their content.
    pub cached: u32,
    /// Batches left in the bucket, each with the reason (the cache quota).
    pub deferred: Vec<DeferredBatch>,
    /// Models the bucket offers under `models/`, and what became of each.
    pub models: Vec<ModelPull>,
    /// Tenants the source holds (or was asked for) that the person pulling does not
    /// review for: left in the bucket, named so that nobody wonders why.
    pub not_yours: Vec<String>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct DeferredBatch {
    pub tenant: String,
    pub batch: String,
    pub reason: String,
}

const MIB: u64 = 1024 * 1024;
/// Ranged GETs in flight for one large object; objects up to this many parts come in
/// one streamed GET instead.
const PARTS_IN_FLIGHT: usize = 4;
/// Mebibytes of ranged parts a pull may hold in memory at once, across all objects.
const PART_BUFFER_MIB: usize = 256;

fn part_bytes(source: &SourceConfig) -> u64 {
    source
        .part_size_mib
        .clamp(1, PART_BUFFER_MIB as u64 / PARTS_IN_FLIGHT as u64)
        * MIB
}

/// Pulls every batch of `source` that `options` selects into `catalog`: first the
/// listing (so the totals are known), then the downloads, batch by batch.
pub async fn pull(
    remote: &Remote,
    source: &SourceConfig,
    catalog: &Mutex<Catalog>,
    options: &PullOptions,
    scope: &TenantScope,
    progress: &PullProgress,
) -> Result<PullReport, PullError> {
    let store = remote.objects().as_ref();
    let blobs = lock(catalog).blobs().clone();
    let mut report = PullReport::default();
    if let Some(dir) = &options.models_dir {
        report.models = pull_models(remote, source, dir).await?;
    }
    let batches = list_batches(remote, source, options, scope, &mut report.not_yours).await?;
    let mut plans = Vec::with_capacity(batches.len());
    {
        let catalog = lock(catalog);
        for batch in batches {
            plans.push(plan_batch(&catalog, &blobs, source, batch)?);
        }
    }
    if let Some(quota) = options.cache_quota_bytes {
        let mut used = blobs.total_bytes().map_err(|e| {
            PullError::source(&source.name, format!("cannot measure the cache: {e}"))
        })?;
        plans.retain(|plan| {
            let needed = plan.bytes_to_fetch();
            if used + needed > quota {
                report.deferred.push(DeferredBatch {
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
    progress.planned(
        plans.len() as u64,
        plans.iter().map(|p| p.fetches().count() as u64).sum(),
        plans.iter().map(BatchPlan::bytes_to_fetch).sum(),
    );
    let buffers = Arc::new(Semaphore::new(PART_BUFFER_MIB));
    for plan in plans {
        let header = plan.header;
        let results: Vec<(BatchEntry, ItemOutcome)> = futures::stream::iter(plan.items)
            .map(|(entry, step)| {
                let blobs = blobs.clone();
                let buffers = buffers.clone();
                async move {
                    let outcome = match step {
                        Step::Fetch(object) => {
                            let fetched =
                                fetch(store, source, &blobs, &buffers, &entry, &object, progress)
                                    .await;
                            progress.item_done();
                            match fetched {
                                Ok(blob) => ItemOutcome::Fetched(object, blob),
                                Err(e) => ItemOutcome::Failed(e),
                            }
                        }
                        Step::Cached(blob) => ItemOutcome::Cached(blob),
                        Step::Refuse(reason) => ItemOutcome::Failed(FetchError::Item(reason)),
                    };
                    (entry, outcome)
                }
            })
            // Unordered, so one slow object never holds back the rest, and twice the
            // request cap, so objects being verified and fsynced do not leave the
            // connections idle; the store's limit still caps requests in flight.
            .buffer_unordered(source.concurrency.max(1) * 2)
            .collect()
            .await;
        let mut disk_full = None;
        let mut remembered = Vec::new();
        let mut stored = Vec::with_capacity(results.len());
        for (entry, outcome) in results {
            let result = match outcome {
                ItemOutcome::Fetched(object, blob) => {
                    report.fetched += 1;
                    report.fetched_bytes += blob.size;
                    remembered.push(RemoteObject {
                        path: object.location.to_string(),
                        etag: object.e_tag.unwrap_or_default(),
                        size: object.size,
                        sha256: blob.sha256.clone(),
                    });
                    Ok(blob)
                }
                ItemOutcome::Cached(blob) => {
                    report.cached += 1;
                    Ok(blob)
                }
                ItemOutcome::Failed(FetchError::Item(reason)) => Err(reason),
                // Left unrecorded, so the next pull tries them again.
                ItemOutcome::Failed(FetchError::DiskFull(reason)) => {
                    disk_full.get_or_insert(reason);
                    continue;
                }
            };
            stored.push((entry, result));
        }
        blobs
            .sync_dirs(remembered.iter().map(|o| o.sha256.as_str()))
            .map_err(|e| {
                PullError::source(&source.name, format!("cannot sync the blob cache: {e}"))
            })?;
        let recorded = {
            let mut catalog = lock(catalog);
            catalog
                .remember_remote_objects(&source.name, &remembered)
                .and_then(|()| catalog.record_batch(&header, stored, &mut report.recorded))
        };
        // A disk that filled under the blobs fills under the catalogue too: either way
        // the pull stops as a full disk, and what was stored is found in the cache next
        // time.
        match recorded {
            Err(e) if e.is_disk_full() || disk_full.is_some() => {
                disk_full.get_or_insert(e.to_string());
            }
            other => other?,
        }
        if let Some(reason) = disk_full {
            return Err(PullError::DiskFull {
                source_name: source.name.clone(),
                message: reason,
            });
        }
    }
    progress.finished();
    Ok(report)
}

/// What one listed item needs.
enum Step {
    Fetch(Listed),
    Cached(StoredBlob),
    Refuse(String),
}

struct BatchPlan {
    header: BatchHeader,
    items: Vec<(BatchEntry, Step)>,
}

impl BatchPlan {
    fn fetches(&self) -> impl Iterator<Item = &Listed> {
        self.items.iter().filter_map(|(_, step)| match step {
            Step::Fetch(object) => Some(object),
            _ => None,
        })
    }

    fn bytes_to_fetch(&self) -> u64 {
        self.fetches().map(|o| o.size).sum()
    }
}

enum ItemOutcome {
    Fetched(Listed, StoredBlob),
    Cached(StoredBlob),
    Failed(FetchError),
}

enum FetchError {
    /// This item only; the pull goes on.
    Item(String),
    /// The disk is full: the pull stops, keeping what it stored.
    DiskFull(String),
}

/// Decides per entry whether to fetch it: not when the cache holds the manifest's
/// sha256, nor when this source's object is unchanged (same ETag and size) since it was
/// last fetched.
fn plan_batch(
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
async fn list_batches(
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

fn lock(catalog: &Mutex<Catalog>) -> std::sync::MutexGuard<'_, Catalog> {
    catalog
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A batch as the store shows it.
struct RemoteBatch {
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

/// Fetches one object into the blob cache and verifies it against the manifest.
async fn fetch(
    store: &dyn ObjectStore,
    source: &SourceConfig,
    blobs: &BlobStore,
    buffers: &Arc<Semaphore>,
    entry: &BatchEntry,
    object: &Listed,
    progress: &PullProgress,
) -> Result<StoredBlob, FetchError> {
    let fetch_error = |e: object_store::Error| match e {
        object_store::Error::NotFound { .. } => {
            FetchError::Item("the object was deleted from the bucket during the pull".into())
        }
        object_store::Error::Precondition { .. } => {
            FetchError::Item("the object changed in the bucket during the pull; pull again".into())
        }
        e => FetchError::Item(format!("cannot fetch: {}", with_causes(&e))),
    };
    let part = part_bytes(source);
    let mut chunks = if object.size <= part * PARTS_IN_FLIGHT as u64 {
        // One streamed GET: rclone and the AWS CLI do the same below their cut-offs, and
        // nothing larger than a network read is ever held in memory.
        store
            .get_opts(
                &object.location,
                GetOptions {
                    if_match: object.e_tag.clone(),
                    ..GetOptions::default()
                },
            )
            .await
            .map_err(fetch_error)?
            .into_stream()
            .map_ok(|bytes| (bytes, None))
            .boxed()
    } else {
        let ranges: Vec<Range<u64>> = (0..object.size)
            .step_by(part as usize)
            .map(|start| start..(start + part).min(object.size))
            .collect();
        futures::stream::iter(ranges)
            .map(move |range| {
                let options = GetOptions {
                    range: Some(range.clone().into()),
                    if_match: object.e_tag.clone(),
                    ..GetOptions::default()
                };
                async move {
                    // Parts wait for room in the pull's buffer budget, so memory stays
                    // bounded however many large objects are in flight.
                    let room = buffers
                        .clone()
                        .acquire_many_owned((range.end - range.start).div_ceil(MIB) as u32)
                        .await
                        .ok();
                    let bytes = store
                        .get_opts(&object.location, options)
                        .await?
                        .bytes()
                        .await?;
                    Ok((bytes, room))
                }
            })
            .buffered(PARTS_IN_FLIGHT)
            .boxed()
    };
    let mut writer = blobs.writer().map_err(store_error)?;
    let mut pending: Vec<Bytes> = Vec::new();
    let mut pending_bytes = 0;
    loop {
        let next = chunks.next().await.transpose().map_err(fetch_error)?;
        if let Some((bytes, _room)) = &next {
            progress.bytes(bytes.len() as u64);
            pending_bytes += bytes.len();
            pending.push(bytes.clone());
        }
        // Disk writes leave the async threads in pieces of a mebibyte or more.
        if pending_bytes >= MIB as usize || (next.is_none() && !pending.is_empty()) {
            let batch = std::mem::take(&mut pending);
            pending_bytes = 0;
            writer = tokio::task::spawn_blocking(move || {
                batch
                    .iter()
                    .try_for_each(|b| writer.write(b))
                    .map(|()| writer)
            })
            .await
            .map_err(|e| FetchError::Item(format!("cannot store: {e}")))?
            .map_err(store_error)?;
        }
        if next.is_none() {
            break;
        }
    }
    if writer.written() != object.size {
        return Err(FetchError::Item(format!(
            "the bucket sent {} of {} bytes",
            writer.written(),
            object.size
        )));
    }
    let expected = entry.sha256.clone();
    tokio::task::spawn_blocking(move || writer.finish(expected.as_deref()))
        .await
        .map_err(|e| FetchError::Item(format!("cannot store: {e}")))?
        .map_err(|e| match e {
            BlobError::ChecksumMismatch { expected, actual } => FetchError::Item(format!(
                "checksum mismatch: batch.json says sha256 {expected}, the object has {actual}"
            )),
            BlobError::Io(e) => store_error(e),
        })
}

/// A write into the cache that failed: a full disk stops the pull, anything else is
/// this item's error.
fn store_error(e: std::io::Error) -> FetchError {
    if matches!(
        e.kind(),
        std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded
    ) {
        FetchError::DiskFull(format!("the disk holding the cache is full: {e}"))
    } else {
        FetchError::Item(format!("cannot store: {e}"))
    }
}
