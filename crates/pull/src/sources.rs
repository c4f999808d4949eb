//! The sources file an admin edits (`sources.toml` in the OS config dir): one
//! `[[source]]` table per object store or folder. Secrets never go in it.

use std::path::Path;

use serde::Deserialize;

use crate::{PullError, SourceConfig};

#[derive(Debug, Deserialize)]
struct SourcesFile {
    #[serde(default, rename = "source")]
    sources: Vec<SourceConfig>,
}

/// The source called `name` in the sources file at `path`.
pub fn find_source(path: &Path, name: &str) -> Result<SourceConfig, PullError> {
    let problem = |message: String| PullError::source(name, message);
    let text = std::fs::read_to_string(path).map_err(|e| {
        problem(format!(
            "cannot read the sources file {}: {e}",
            path.display()
        ))
    })?;
    let file: SourcesFile = toml::from_str(&text).map_err(|e| {
        problem(format!(
            "the sources file {} is invalid: {e}",
            path.display()
        ))
    })?;
    file.sources
        .into_iter()
        .find(|s| s.name == name)
        .ok_or_else(|| problem(format!("no such source in {}", path.display())))
}
