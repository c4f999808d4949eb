//! `batch.json`, the manifest a batch may carry (schema `secondread.batch/1`).

use serde::Deserialize;

use crate::BatchKind;

pub const SCHEMA: &str = "secondread.batch/1";
pub const FILE_NAME: &str = "batch.json";

#[derive(Debug, Clone, Deserialize)]
pub struct BatchManifest {
    pub batch_id: String,
    pub tenant: String,
    pub kind: String,
    pub created_at: Option<String>,
    pub items: Vec<ManifestItem>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ManifestItem {
    pub key: String,
    pub sha256: Option<String>,
    pub size: Option<u64>,
    pub subject: Option<String>,
    #[serde(default)]
    pub ai: Option<serde_json::Value>,
}

/// A manifest that passed its checks, with the batch kind parsed.
#[derive(Debug, Clone)]
pub struct CheckedManifest {
    pub kind: BatchKind,
    pub created_at: Option<String>,
    pub items: Vec<ManifestItem>,
}

/// Parses and checks a manifest against the folder it was found in.
pub fn parse(text: &str, tenant: &str, batch: &str) -> Result<CheckedManifest, String> {
    let probe: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("batch.json is not valid JSON: {e}"))?;
    let schema = probe.get("schema").and_then(|s| s.as_str()).unwrap_or("");
    if schema != SCHEMA {
        return Err(format!(
            "batch.json has unknown schema '{schema}' (expected '{SCHEMA}')"
        ));
    }
    let manifest: BatchManifest =
        serde_json::from_value(probe).map_err(|e| format!("batch.json is malformed: {e}"))?;
    if manifest.tenant != tenant || manifest.batch_id != batch {
        return Err(format!(
            "batch.json names {}/{} but lies under {tenant}/{batch}",
            manifest.tenant, manifest.batch_id
        ));
    }
    let kind = BatchKind::parse(&manifest.kind)
        .ok_or_else(|| format!("batch.json has unknown kind '{}'", manifest.kind))?;
    Ok(CheckedManifest {
        kind,
        created_at: manifest.created_at,
        items: manifest.items,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = r#"{"schema": "secondread.batch/1", "batch_id": "b1", "tenant": "clinic-a",
        "kind": "imaging", "created_at": "2026-11-20T08:00:00Z",
        "items": [{"key": "cr-0001.dcm", "sha256": "ab", "size": 12,
                   "subject": "S-0001", "ai": {"label": "x", "score": 0.5}},
                  {"key": "series/2.dcm"}]}"#;

    #[test]
    fn the_example_is_read() {
        let manifest = parse(EXAMPLE, "clinic-a", "b1").unwrap();
        assert_eq!(manifest.items.len(), 2);
    }

    proptest::proptest! {
        /// A bucket's damaged batch.json is refused with a reason, never a panic.
        #[test]
        fn a_damaged_batch_json_is_read_or_refused(text in sr_damage::damaged_text(EXAMPLE)) {
            if let Err(reason) = parse(&text, "clinic-a", "b1") {
                proptest::prop_assert!(!reason.is_empty());
            }
        }
    }
}
