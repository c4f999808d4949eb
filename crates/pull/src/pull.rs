//! One pull: plan (list, read manifests, diff against the cache), fetch what the cache
//! lacks, then record each batch in the catalogue, batch by batch.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use futures::StreamExt;
use serde::Serialize;
use sr_catalog::{BatchEntry, Catalog, ImportReport, RemoteObject, StoredBlob, TenantScope};
use tokio::sync::Semaphore;
use ts_rs::TS;

use crate::fetch::{FetchError, PART_BUFFER_MIB, fetch};
use crate::listing::Listed;
use crate::models::pull_models;
use crate::plan::{BatchPlan, Step, defer_past_quota, list_batches, plan_batch};
use crate::{ModelPull, PullError, PullProgress, Remote, SourceConfig};

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
        let used = blobs.total_bytes().map_err(|e| {
            PullError::source(&source.name, format!("cannot measure the cache: {e}"))
        })?;
        defer_past_quota(&mut plans, used, quota, &mut report.deferred);
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

enum ItemOutcome {
    Fetched(Listed, StoredBlob),
    Cached(StoredBlob),
    Failed(FetchError),
}

fn lock(catalog: &Mutex<Catalog>) -> std::sync::MutexGuard<'_, Catalog> {
    catalog
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
