//! Models offered in the bucket under `models/<id>/` (a `model.toml` and the file it
//! names), installed into the workstation's models folder when their sha256 checks
//! out. A model is swapped in whole: downloaded and verified beside the folder, then
//! renamed over it, so the engine never sees half a model.

use std::io::Write;
use std::path::{Path as FsPath, PathBuf};

use futures::StreamExt;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};
use serde::Serialize;
use sha2::{Digest, Sha256};
use sr_catalog::check_key;
use sr_models::ModelManifest;
use ts_rs::TS;

use crate::{PullError, Remote, SourceConfig, with_causes};

/// The bucket prefix models arrive under; never a tenant.
pub const MODELS_PREFIX: &str = "models";
/// A manifest is a few hundred bytes; anything this large is not one.
const MAX_MANIFEST_BYTES: u64 = 64 * 1024;

/// What happened to one model the bucket offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ModelPull {
    pub id: String,
    pub version: Option<String>,
    pub outcome: ModelOutcome,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "state", content = "reason", rename_all = "lowercase")]
pub enum ModelOutcome {
    /// New or changed, verified and installed.
    Installed,
    /// The same manifest is installed already.
    Unchanged,
    /// Not installed; the reason says why. What was installed before stays.
    Refused(String),
}

/// Installs every model under `models/` of the source into `models_dir`.
pub async fn pull_models(
    remote: &Remote,
    source: &SourceConfig,
    models_dir: &FsPath,
) -> Result<Vec<ModelPull>, PullError> {
    let store = remote.objects().as_ref();
    let prefix = Path::from(MODELS_PREFIX);
    let ids = remote
        .lister
        .children(MODELS_PREFIX)
        .await
        .map_err(|e| PullError::source(&source.name, e))?;
    let mut pulled = Vec::with_capacity(ids.len());
    for id in ids {
        let (version, outcome) = match pull_one(store, &prefix, &id, models_dir).await {
            Ok((version, outcome)) => (Some(version), outcome),
            Err(reason) => (None, ModelOutcome::Refused(reason)),
        };
        pulled.push(ModelPull {
            id,
            version,
            outcome,
        });
    }
    Ok(pulled)
}

async fn pull_one(
    store: &dyn ObjectStore,
    prefix: &Path,
    id: &str,
    models_dir: &FsPath,
) -> Result<(String, ModelOutcome), String> {
    check_key(id).map_err(|e| format!("unsafe model folder name: {e}"))?;
    let folder = prefix.clone().join(id);
    let manifest_path = folder.clone().join("model.toml");
    let meta = store
        .head(&manifest_path)
        .await
        .map_err(|e| format!("no model.toml: {}", with_causes(&e)))?;
    if meta.size > MAX_MANIFEST_BYTES {
        return Err(format!("model.toml is {} bytes; not a manifest", meta.size));
    }
    let text = store
        .get(&manifest_path)
        .await
        .map_err(|e| with_causes(&e))?
        .bytes()
        .await
        .map_err(|e| with_causes(&e))?;
    let text =
        String::from_utf8(text.to_vec()).map_err(|_| "model.toml is not UTF-8".to_string())?;
    let manifest = ModelManifest::parse(&text).map_err(|e| format!("model.toml: {e}"))?;
    if manifest.id != id {
        return Err(format!(
            "model.toml names {:?}, its folder is {id:?}",
            manifest.id
        ));
    }
    let installed = models_dir.join(id);
    if std::fs::read_to_string(installed.join("model.toml")).is_ok_and(|t| t == text)
        && sr_models::sha256_of(&installed.join(&manifest.file))
            .is_ok_and(|s| s.eq_ignore_ascii_case(&manifest.sha256))
    {
        return Ok((manifest.version, ModelOutcome::Unchanged));
    }
    let incoming = models_dir.join(format!(".incoming-{id}"));
    let _ = std::fs::remove_dir_all(&incoming);
    std::fs::create_dir_all(&incoming)
        .map_err(|e| format!("cannot write {}: {e}", incoming.display()))?;
    let result = download(
        store,
        &folder.join(manifest.file.as_str()),
        &incoming.join(&manifest.file),
    )
    .await
    .and_then(|actual| {
        if actual.eq_ignore_ascii_case(&manifest.sha256) {
            Ok(())
        } else {
            Err(format!(
                "its file's sha256 is {actual}, its manifest says {}",
                manifest.sha256
            ))
        }
    })
    .and_then(|()| install(&incoming, &installed, &text));
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&incoming);
    }
    result.map(|()| (manifest.version, ModelOutcome::Installed))
}

/// Streams an object to a file, fsynced; returns its sha256.
async fn download(store: &dyn ObjectStore, from: &Path, to: &FsPath) -> Result<String, String> {
    let mut stream = store
        .get(from)
        .await
        .map_err(|e| format!("cannot fetch {from}: {}", with_causes(&e)))?
        .into_stream();
    let mut file =
        std::fs::File::create(to).map_err(|e| format!("cannot write {}: {e}", to.display()))?;
    let mut hasher = Sha256::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| format!("cannot fetch {from}: {}", with_causes(&e)))?;
        hasher.update(&chunk);
        file.write_all(&chunk)
            .map_err(|e| format!("cannot write {}: {e}", to.display()))?;
    }
    file.sync_all()
        .map_err(|e| format!("cannot write {}: {e}", to.display()))?;
    Ok(hex::encode(hasher.finalize()))
}

/// Writes the manifest beside the verified file and swaps the folder in.
fn install(incoming: &FsPath, installed: &FsPath, manifest: &str) -> Result<(), String> {
    let io = |e: std::io::Error| format!("cannot install into {}: {e}", installed.display());
    let manifest_file = incoming.join("model.toml");
    std::fs::write(&manifest_file, manifest).map_err(io)?;
    std::fs::File::open(&manifest_file)
        .and_then(|f| f.sync_all())
        .map_err(io)?;
    let name = installed
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let retired: PathBuf = installed.with_file_name(format!(".retired-{name}"));
    let _ = std::fs::remove_dir_all(&retired);
    if installed.exists() {
        std::fs::rename(installed, &retired).map_err(io)?;
    }
    std::fs::rename(incoming, installed).map_err(io)?;
    let _ = std::fs::remove_dir_all(&retired);
    if let Some(parent) = installed.parent() {
        std::fs::File::open(parent)
            .and_then(|d| d.sync_all())
            .map_err(io)?;
    }
    Ok(())
}
