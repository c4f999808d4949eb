//! Cataloguing a local folder laid out like the bucket: `<tenant>/<batch>/<item>`.
//!
//! One bad item (wrong checksum, unsafe key, missing or empty file) is recorded with its
//! reason and the rest of the batch imports.

use std::fs;
use std::path::{Path, PathBuf};

use crate::BatchKind;
use crate::batches::{BatchEntry, BatchHeader, ImportReport};
use crate::blobs::BlobError;
use crate::manifest;
use crate::model::Format;
use crate::{BlobStore, Catalog, CatalogError, StoredBlob};

#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Kind of a batch that carries no `batch.json`.
    pub default_kind: BatchKind,
    /// Recorded against each batch, to say where it came from.
    pub source: String,
}

impl Catalog {
    /// Catalogues every batch under `dir`. Re-importing is cheap and idempotent.
    pub fn import_dir(
        &mut self,
        dir: &Path,
        options: &ImportOptions,
    ) -> Result<ImportReport, CatalogError> {
        let mut report = ImportReport::default();
        for tenant_dir in sorted_subdirs(dir)? {
            let tenant = file_name(&tenant_dir);
            for batch_dir in sorted_subdirs(&tenant_dir)? {
                let batch = file_name(&batch_dir);
                self.import_batch(&tenant, &batch, &batch_dir, options, &mut report)?;
            }
        }
        Ok(report)
    }

    fn import_batch(
        &mut self,
        tenant: &str,
        batch: &str,
        dir: &Path,
        options: &ImportOptions,
        report: &mut ImportReport,
    ) -> Result<(), CatalogError> {
        let contents = read_batch(tenant, batch, dir)?;
        let header = BatchHeader {
            tenant: tenant.into(),
            batch: batch.into(),
            kind: contents.kind.unwrap_or(options.default_kind),
            created_at: contents.created_at,
            error: contents.error,
            source: options.source.clone(),
        };
        let stored = contents
            .entries
            .into_iter()
            .map(|entry| {
                let blob = store_entry(&self.blobs, dir, &entry);
                (entry, blob)
            })
            .collect();
        self.record_batch(&header, stored, report)
    }
}

/// What a batch folder holds, as far as its manifest (or the listing) tells.
struct BatchContents {
    /// None when the batch has no usable manifest: the configured default applies.
    kind: Option<BatchKind>,
    created_at: Option<String>,
    /// Why the batch's manifest is unusable; each of its items is marked with it.
    error: Option<String>,
    entries: Vec<BatchEntry>,
}

/// Reads a batch's manifest, or lists its files when it has none or an unusable one.
fn read_batch(tenant: &str, batch: &str, dir: &Path) -> Result<BatchContents, CatalogError> {
    let manifest_path = dir.join(manifest::FILE_NAME);
    let parsed = match fs::read_to_string(&manifest_path) {
        Ok(text) => Some(manifest::parse(&text, tenant, batch)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => Some(Err(format!("batch.json is unreadable: {e}"))),
    };
    let problem = match parsed {
        Some(Ok(m)) => {
            return Ok(BatchContents {
                kind: Some(m.kind),
                created_at: m.created_at,
                error: None,
                entries: m.items.into_iter().map(BatchEntry::from_manifest).collect(),
            });
        }
        Some(Err(reason)) => Some(reason),
        None => None,
    };
    let entries = list_files(dir)?
        .into_iter()
        .map(|key| BatchEntry::listed(key, problem.clone()))
        .collect();
    Ok(BatchContents {
        kind: None,
        created_at: None,
        error: problem,
        entries,
    })
}

/// Checks an entry and copies its file into the blob store.
fn store_entry(blobs: &BlobStore, dir: &Path, entry: &BatchEntry) -> Result<StoredBlob, String> {
    entry.admit()?;
    let path = dir.join(&entry.key);
    let meta = fs::symlink_metadata(&path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => "file listed in batch.json is missing".to_string(),
        _ => format!("cannot read file: {e}"),
    })?;
    if !meta.file_type().is_file() {
        return Err("not a regular file (links are not followed)".into());
    }
    if meta.len() == 0 {
        return Err("empty file (0 bytes)".into());
    }
    if let Some(size) = entry.size
        && size != meta.len()
    {
        return Err(format!(
            "size mismatch: batch.json says {size} bytes, file has {}",
            meta.len()
        ));
    }
    blobs
        .put_file(&path, entry.sha256.as_deref())
        .map_err(|e| match e {
            BlobError::ChecksumMismatch { expected, actual } => {
                format!("checksum mismatch: batch.json says sha256 {expected}, file has {actual}")
            }
            BlobError::Io(e) => format!("cannot store file: {e}"),
        })
}

fn sorted_subdirs(dir: &Path) -> Result<Vec<PathBuf>, CatalogError> {
    let mut dirs: Vec<PathBuf> = fs::read_dir(dir)
        .map_err(|e| CatalogError::io(dir, e))?
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| e.path())
        .collect();
    dirs.sort();
    Ok(dirs)
}

/// Files of a known type under a batch folder, as keys relative to it.
fn list_files(dir: &Path) -> Result<Vec<String>, CatalogError> {
    let mut keys = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        for entry in fs::read_dir(&current).map_err(|e| CatalogError::io(&current, e))? {
            let entry = entry.map_err(|e| CatalogError::io(&current, e))?;
            let path = entry.path();
            let kind = entry.file_type().map_err(|e| CatalogError::io(&path, e))?;
            if kind.is_dir() {
                stack.push(path);
            } else if let Ok(rel) = path.strip_prefix(dir) {
                let key = rel.to_string_lossy().replace('\\', "/");
                if Format::from_key(&key).is_some() {
                    keys.push(key);
                }
            }
        }
    }
    keys.sort();
    Ok(keys)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}
