//! The sources file an admin edits (`sources.toml` in the OS config dir): one
//! `[[source]]` table per object store or folder, and a `[cache]` table for the local
//! cache. Secrets never go in it.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::{PullError, SourceConfig};

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct SourcesFile {
    #[serde(default)]
    pub cache: CacheConfig,
    #[serde(default, rename = "source")]
    pub sources: Vec<SourceConfig>,
    /// Where the file was read from, for messages.
    #[serde(skip)]
    path: std::path::PathBuf,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct CacheConfig {
    /// The most the blob cache may take, in GiB; unlimited when absent.
    pub quota_gib: Option<f64>,
    /// Minutes between background listings in the app (0: only on request); the app
    /// also lists once when it starts.
    #[serde(default = "default_poll_minutes")]
    pub poll_minutes: f64,
}

impl Default for CacheConfig {
    fn default() -> Self {
        Self {
            quota_gib: None,
            poll_minutes: default_poll_minutes(),
        }
    }
}

fn default_poll_minutes() -> f64 {
    15.0
}

impl CacheConfig {
    /// The interval between background listings; `None` when they are off. Never
    /// shorter than three seconds, whatever the file says.
    pub fn poll_interval(&self) -> Option<std::time::Duration> {
        (self.poll_minutes > 0.0)
            .then(|| std::time::Duration::from_secs_f64((self.poll_minutes * 60.0).max(3.0)))
    }

    pub fn quota_bytes(&self) -> Option<u64> {
        self.quota_gib
            .map(|gib| (gib * 1024.0 * 1024.0 * 1024.0) as u64)
    }
}

impl SourcesFile {
    /// Reads the sources file; a missing file is an empty one (nothing configured yet).
    pub fn load(path: &Path) -> Result<Self, PullError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Self {
                    path: path.to_owned(),
                    ..Self::default()
                });
            }
            Err(e) => {
                return Err(PullError::Config(format!(
                    "cannot read the sources file {}: {e}",
                    path.display()
                )));
            }
        };
        Self::parse(&text, path)
    }

    /// Reads the text of the sources file at `path` (named in errors).
    pub fn parse(text: &str, path: &Path) -> Result<Self, PullError> {
        let mut file: SourcesFile = toml::from_str(text).map_err(|e| {
            PullError::Config(format!(
                "the sources file {} is invalid: {e}",
                path.display()
            ))
        })?;
        file.check()?;
        file.path = path.to_owned();
        Ok(file)
    }

    /// Writes the file whole through a temporary file, so a crash never leaves half of it.
    pub fn save(&self, path: &Path) -> Result<(), PullError> {
        self.check()?;
        let fail = |e: std::io::Error| {
            PullError::Config(format!(
                "cannot write the sources file {}: {e}",
                path.display()
            ))
        };
        let text = toml::to_string_pretty(self)
            .map_err(|e| PullError::Config(format!("cannot write the sources file: {e}")))?;
        let dir = path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(fail)?;
        let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(fail)?;
        std::io::Write::write_all(&mut tmp, text.as_bytes()).map_err(fail)?;
        tmp.as_file().sync_all().map_err(fail)?;
        tmp.persist(path).map_err(|e| fail(e.error))?;
        Ok(())
    }

    /// The source called `name`.
    pub fn find(&self, name: &str) -> Result<&SourceConfig, PullError> {
        self.sources.iter().find(|s| s.name == name).ok_or_else(|| {
            PullError::source(name, format!("no such source in {}", self.path.display()))
        })
    }

    fn check(&self) -> Result<(), PullError> {
        let mut names = std::collections::HashSet::new();
        for source in &self.sources {
            if source.name.trim().is_empty() {
                return Err(PullError::Config("a source has an empty name".into()));
            }
            if !names.insert(source.name.as_str()) {
                return Err(PullError::Config(format!(
                    "two sources are called '{}'",
                    source.name
                )));
            }
        }
        Ok(())
    }
}

/// The source called `name` in the sources file at `path`.
pub fn find_source(path: &Path, name: &str) -> Result<SourceConfig, PullError> {
    SourcesFile::load(path)?.find(name).cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_duplicate_names() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sources.toml");
        assert!(SourcesFile::load(&path).unwrap().sources.is_empty());
        std::fs::write(&path, EXAMPLE).unwrap();
        let file = SourcesFile::load(&path).unwrap();
        assert_eq!(file.cache.quota_bytes(), Some(512 * 1024 * 1024));
        assert_eq!(
            file.cache.poll_interval(),
            Some(std::time::Duration::from_secs(900))
        );
        assert_eq!(file.sources.len(), 2);
        file.save(&path).unwrap();
        assert_eq!(SourcesFile::load(&path).unwrap().sources.len(), 2);

        let mut twice = file.clone();
        twice.sources.push(file.sources[0].clone());
        assert!(twice.save(&path).is_err());
        assert!(find_source(&path, "nowhere").is_err());
    }

    const EXAMPLE: &str = r#"
[cache]
quota_gib = 0.5
poll_minutes = 15

[[source]]
name = "clinic"
type = "s3"
endpoint = "https://minio.clinic.example"
region = "eu-west-1"
bucket = "captures"
access_key_id = "AKIA"
tenants = ["clinic-a"]
ca_bundle = "/etc/ssl/clinic-ca.pem"

[[source]]
name = "scans"
type = "folder"
path = "/srv/scans"
"#;

    proptest::proptest! {
        /// An admin's damaged sources file is refused with a reason, never a panic.
        #[test]
        fn a_damaged_sources_file_is_read_or_refused(
            text in sr_damage::damaged_text(EXAMPLE)
        ) {
            if let Ok(file) = SourcesFile::parse(&text, Path::new("sources.toml")) {
                file.check().unwrap();
            }
        }
    }
}
