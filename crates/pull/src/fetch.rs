//! Fetching one object into the blob cache: one streamed GET, or ranged parts within a
//! memory budget for a large one, written off the async threads, then verified against
//! its manifest's sha256. A blob only appears in the cache once it is whole.

use std::ops::Range;
use std::sync::Arc;

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use object_store::{GetOptions, ObjectStore};
use sr_catalog::{BatchEntry, BlobError, BlobStore, StoredBlob};
use tokio::sync::Semaphore;

use crate::listing::Listed;
use crate::{PullProgress, SourceConfig, with_causes};

const MIB: u64 = 1024 * 1024;
/// Ranged GETs in flight for one large object; objects up to this many parts come in
/// one streamed GET instead.
const PARTS_IN_FLIGHT: usize = 4;
/// Mebibytes of ranged parts a pull may hold in memory at once, across all objects.
pub(crate) const PART_BUFFER_MIB: usize = 256;

fn part_bytes(source: &SourceConfig) -> u64 {
    source
        .part_size_mib
        .clamp(1, PART_BUFFER_MIB as u64 / PARTS_IN_FLIGHT as u64)
        * MIB
}

pub(crate) enum FetchError {
    /// This item only; the pull goes on.
    Item(String),
    /// The disk is full: the pull stops, keeping what it stored.
    DiskFull(String),
}

/// Fetches one object into the blob cache and verifies it against the manifest.
pub(crate) async fn fetch(
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
