//! `model.toml` of a text encoder (`task = "embed"`): sentences in, one vector each
//! out, so phrases can be compared by meaning. It names its tokenizer beside it, held
//! to a sha256 like the model file.

use serde::{Deserialize, Serialize};

use crate::Task;
use crate::manifest::{check_card, check_file};

/// A file beside the manifest and its sha256.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSpec {
    pub file: String,
    pub sha256: String,
}

/// The model's token inputs, each `[batch, tokens]` of int64.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenInputs {
    pub ids: String,
    pub mask: String,
    /// BERT-style models also take segment ids (all zero for one sentence).
    pub types: Option<String>,
    /// Longer texts are cut; a diagnosis phrase is far shorter.
    pub max_tokens: usize,
}

/// How a sentence's vector is made from its tokens' vectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Pooling {
    /// The mean over the real (unpadded) tokens, as sentence-transformers does.
    Mean,
    /// The first token's.
    Cls,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmbeddingOutput {
    /// `[batch, tokens, dimensions]`.
    pub hidden: String,
    pub pooling: Pooling,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EncoderManifest {
    pub id: String,
    pub version: String,
    pub task: Task,
    pub file: String,
    pub sha256: String,
    pub licence: String,
    pub intended_use: String,
    pub tokenizer: FileSpec,
    pub input: TokenInputs,
    pub output: EmbeddingOutput,
}

impl EncoderManifest {
    pub fn parse(text: &str) -> Result<Self, String> {
        let manifest: EncoderManifest = toml::from_str(text).map_err(|e| e.to_string())?;
        check_card(
            &manifest.id,
            &manifest.version,
            &manifest.file,
            &manifest.sha256,
        )?;
        check_file(&manifest.tokenizer.file, &manifest.tokenizer.sha256)?;
        if manifest.task != Task::Embed {
            return Err(format!(
                "a manifest with a tokenizer is an embed model, not {}",
                manifest.task.as_str()
            ));
        }
        if !(1..=512).contains(&manifest.input.max_tokens) {
            return Err("input.max_tokens must be 1 to 512".into());
        }
        Ok(manifest)
    }
}
