//! The installed models: every `<root>/<id>/model.toml`, each file hashed against its
//! manifest once when the registry is built. Image models and text encoders are kept
//! apart: each kind is fed differently, so each has its own manifest.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::{EncoderManifest, ModelError, ModelManifest, Task};

/// Whether a model's files are the ones its manifest names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Integrity {
    Verified,
    Mismatch {
        file: String,
        expected: String,
        actual: String,
    },
    Unreadable {
        file: String,
        reason: String,
    },
}

/// What the registry needs of a manifest: its id, and the files it vouches for.
pub trait Manifest {
    fn id(&self) -> &str;
    /// The model file first, then any other (a tokenizer), each with its sha256.
    fn files(&self) -> Vec<(&str, &str)>;
}

impl Manifest for ModelManifest {
    fn id(&self) -> &str {
        &self.id
    }

    fn files(&self) -> Vec<(&str, &str)> {
        vec![(&self.file, &self.sha256)]
    }
}

impl Manifest for EncoderManifest {
    fn id(&self) -> &str {
        &self.id
    }

    fn files(&self) -> Vec<(&str, &str)> {
        vec![
            (&self.file, &self.sha256),
            (&self.tokenizer.file, &self.tokenizer.sha256),
        ]
    }
}

#[derive(Debug, Clone)]
pub struct ModelEntry<M = ModelManifest> {
    pub manifest: M,
    /// The folder holding the manifest and the files.
    pub dir: PathBuf,
    pub integrity: Integrity,
}

impl<M: Manifest> ModelEntry<M> {
    fn new(manifest: M, dir: &Path) -> Self {
        let integrity = manifest
            .files()
            .into_iter()
            .find_map(|(file, expected)| match sha256_of(&dir.join(file)) {
                Ok(actual) if actual.eq_ignore_ascii_case(expected) => None,
                Ok(actual) => Some(Integrity::Mismatch {
                    file: file.to_string(),
                    expected: expected.to_ascii_lowercase(),
                    actual,
                }),
                Err(e) => Some(Integrity::Unreadable {
                    file: file.to_string(),
                    reason: e.to_string(),
                }),
            })
            .unwrap_or(Integrity::Verified);
        Self {
            manifest,
            dir: dir.to_path_buf(),
            integrity,
        }
    }

    /// The model file.
    pub fn file(&self) -> PathBuf {
        self.dir.join(self.manifest.files()[0].0)
    }

    /// The entry, if its files may be used; the error says why not.
    pub fn verified(&self) -> Result<&Self, ModelError> {
        let id = self.manifest.id().to_string();
        match &self.integrity {
            Integrity::Verified => Ok(self),
            Integrity::Mismatch {
                file,
                expected,
                actual,
            } => Err(ModelError::Checksum {
                id,
                file: file.clone(),
                expected: expected.clone(),
                actual: actual.clone(),
            }),
            Integrity::Unreadable { file, reason } => Err(ModelError::Read {
                id,
                path: self.dir.join(file),
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
    encoders: BTreeMap<String, ModelEntry<EncoderManifest>>,
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
        let added = std::fs::read_to_string(manifest_path)
            .map_err(|e| e.to_string())
            .and_then(|text| {
                if task_of(&text) == Some(Task::Embed) {
                    let entry = ModelEntry::new(EncoderManifest::parse(&text)?, dir);
                    self.encoders.insert(entry.manifest.id.clone(), entry);
                } else {
                    let entry = ModelEntry::new(ModelManifest::parse(&text)?, dir);
                    self.entries.insert(entry.manifest.id.clone(), entry);
                }
                Ok(())
            });
        if let Err(reason) = added {
            self.problems.push(ManifestProblem {
                path: manifest_path.to_path_buf(),
                reason,
            });
        }
    }

    pub fn entries(&self) -> impl Iterator<Item = &ModelEntry> {
        self.entries.values()
    }

    /// The text encoders.
    pub fn encoders(&self) -> impl Iterator<Item = &ModelEntry<EncoderManifest>> {
        self.encoders.values()
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

/// The task a manifest declares, read before the rest decides which manifest it is.
fn task_of(text: &str) -> Option<Task> {
    let table: toml::Table = toml::from_str(text).ok()?;
    table.get("task")?.clone().try_into().ok()
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
