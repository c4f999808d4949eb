//! The installed models: every `<root>/<id>/model.toml`, each file hashed against its
//! manifest once when the registry is built.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::{ModelError, ModelManifest};

/// Whether a model's file is the one its manifest names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Integrity {
    Verified,
    Mismatch { actual: String },
    Unreadable(String),
}

#[derive(Debug, Clone)]
pub struct ModelEntry {
    pub manifest: ModelManifest,
    /// The folder holding the manifest and the file.
    pub dir: PathBuf,
    pub integrity: Integrity,
}

impl ModelEntry {
    pub fn file(&self) -> PathBuf {
        self.dir.join(&self.manifest.file)
    }

    /// The entry, if its file may be run; the error says why not.
    pub fn verified(&self) -> Result<&Self, ModelError> {
        match &self.integrity {
            Integrity::Verified => Ok(self),
            Integrity::Mismatch { actual } => Err(ModelError::Checksum {
                id: self.manifest.id.clone(),
                expected: self.manifest.sha256.to_ascii_lowercase(),
                actual: actual.clone(),
            }),
            Integrity::Unreadable(reason) => Err(ModelError::Read {
                id: self.manifest.id.clone(),
                path: self.file(),
                source: std::io::Error::other(reason.clone()),
            }),
        }
    }
}

/// A manifest that could not be read; shown beside the models so an admin can mend it.
#[derive(Debug, Clone)]
pub struct ManifestProblem {
    pub path: PathBuf,
    pub reason: String,
}

#[derive(Debug, Clone, Default)]
pub struct ModelRegistry {
    entries: BTreeMap<String, ModelEntry>,
    problems: Vec<ManifestProblem>,
}

impl ModelRegistry {
    /// Reads every model under `roots`; a later root's model replaces an earlier one of
    /// the same id (a site's own model over the bundled one). Missing roots are skipped.
    pub fn scan(roots: &[PathBuf]) -> Self {
        let mut registry = ModelRegistry::default();
        for root in roots {
            let Ok(dirs) = std::fs::read_dir(root) else {
                continue;
            };
            // Dot folders are models being installed or retired by a pull.
            let mut dirs: Vec<PathBuf> = dirs
                .flatten()
                .filter(|d| !d.file_name().to_string_lossy().starts_with('.'))
                .map(|d| d.path())
                .collect();
            dirs.sort();
            for dir in dirs {
                let manifest_path = dir.join("model.toml");
                if manifest_path.is_file() {
                    registry.add(&dir, &manifest_path);
                }
            }
        }
        registry
    }

    fn add(&mut self, dir: &Path, manifest_path: &Path) {
        let parsed = std::fs::read_to_string(manifest_path)
            .map_err(|e| e.to_string())
            .and_then(|text| ModelManifest::parse(&text));
        match parsed {
            Ok(manifest) => {
                let integrity = match sha256_of(&dir.join(&manifest.file)) {
                    Ok(actual) if actual.eq_ignore_ascii_case(&manifest.sha256) => {
                        Integrity::Verified
                    }
                    Ok(actual) => Integrity::Mismatch { actual },
                    Err(e) => Integrity::Unreadable(e.to_string()),
                };
                let entry = ModelEntry {
                    manifest,
                    dir: dir.to_path_buf(),
                    integrity,
                };
                self.entries.insert(entry.manifest.id.clone(), entry);
            }
            Err(reason) => self.problems.push(ManifestProblem {
                path: manifest_path.to_path_buf(),
                reason,
            }),
        }
    }

    pub fn entries(&self) -> impl Iterator<Item = &ModelEntry> {
        self.entries.values()
    }

    pub fn problems(&self) -> &[ManifestProblem] {
        &self.problems
    }

    pub fn get(&self, id: &str) -> Result<&ModelEntry, ModelError> {
        self.entries
            .get(id)
            .ok_or_else(|| ModelError::Unknown(id.to_string()))
    }
}

/// The file's sha256, as manifests write it (lowercase hex).
pub fn sha256_of(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}
