//! A text encoder open in ONNX Runtime with its tokenizer: sentences to unit vectors,
//! so that two phrases' cosine is their vectors' dot product.

use std::sync::{Mutex, PoisonError};

use ort::session::Session;
use ort::value::{TensorElementType, TensorRef, ValueType};
use tokenizers::{PaddingParams, Tokenizer, TruncationParams};

use crate::{EncoderManifest, ModelEntry, ModelError, ModelRef, Pooling, Provider};

pub struct Encoder {
    manifest: EncoderManifest,
    provider: Provider,
    tokenizer: Tokenizer,
    session: Mutex<Session>,
}

impl Encoder {
    pub(crate) fn new(
        entry: &ModelEntry<EncoderManifest>,
        session: Session,
        provider: Provider,
    ) -> Result<Self, ModelError> {
        let manifest = entry.manifest.clone();
        let mismatch = |reason: String| ModelError::Mismatch {
            id: manifest.id.clone(),
            reason,
        };
        check_io(&manifest, &session).map_err(mismatch)?;
        let path = entry.dir.join(&manifest.tokenizer.file);
        let mut tokenizer = Tokenizer::from_file(&path)
            .map_err(|e| mismatch(format!("its tokenizer does not load: {e}")))?;
        // The file pads every sentence to its longest allowed length; a batch of short
        // phrases only needs padding to its longest one.
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: manifest.input.max_tokens,
                ..TruncationParams::default()
            }))
            .map_err(|e| mismatch(format!("its tokenizer refuses truncation: {e}")))?;
        tokenizer.with_padding(Some(PaddingParams::default()));
        Ok(Self {
            manifest,
            provider,
            tokenizer,
            session: Mutex::new(session),
        })
    }

    pub fn manifest(&self) -> &EncoderManifest {
        &self.manifest
    }

    pub fn provider(&self) -> &Provider {
        &self.provider
    }

    pub fn model_ref(&self) -> ModelRef {
        ModelRef {
            id: self.manifest.id.clone(),
            version: self.manifest.version.clone(),
            sha256: self.manifest.sha256.to_ascii_lowercase(),
        }
    }

    /// One unit-length vector per text, in order.
    pub fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, ModelError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let id = &self.manifest.id;
        let run_error = |reason: String| ModelError::Run {
            id: id.clone(),
            reason,
        };
        let encodings = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(|e| run_error(format!("tokenizing failed: {e}")))?;
        let tokens = encodings.first().map_or(0, |e| e.get_ids().len());
        let shape = [texts.len() as i64, tokens as i64];
        let flat = |part: fn(&tokenizers::Encoding) -> &[u32]| -> Vec<i64> {
            encodings
                .iter()
                .flat_map(|e| part(e).iter().map(|&v| i64::from(v)))
                .collect()
        };
        let ids = flat(tokenizers::Encoding::get_ids);
        let mask = flat(tokenizers::Encoding::get_attention_mask);
        let types = vec![0i64; ids.len()];
        let ort_error = |e: ort::Error| run_error(e.to_string());
        let input = self.manifest.input.clone();
        let mut inputs = vec![
            (
                input.ids,
                TensorRef::from_array_view((shape, &ids[..])).map_err(ort_error)?,
            ),
            (
                input.mask,
                TensorRef::from_array_view((shape, &mask[..])).map_err(ort_error)?,
            ),
        ];
        if let Some(name) = input.types {
            inputs.push((
                name,
                TensorRef::from_array_view((shape, &types[..])).map_err(ort_error)?,
            ));
        }
        let mut session = self.session.lock().unwrap_or_else(PoisonError::into_inner);
        let outputs = session.run(inputs).map_err(ort_error)?;
        let hidden_name = &self.manifest.output.hidden;
        let (hidden_shape, hidden) = outputs[hidden_name.as_str()]
            .try_extract_tensor::<f32>()
            .map_err(ort_error)?;
        let [batch, length, width] = hidden_shape[..] else {
            return Err(run_error(format!(
                "{hidden_name} has shape {:?}, not [batch, tokens, dimensions]",
                hidden_shape.to_vec()
            )));
        };
        if batch as usize != texts.len() || length as usize != tokens {
            return Err(run_error(format!(
                "{hidden_name} has shape {:?} for {} texts of {tokens} tokens",
                hidden_shape.to_vec(),
                texts.len()
            )));
        }
        let width = width as usize;
        let mut out = Vec::with_capacity(texts.len());
        for (t, encoding) in encodings.iter().enumerate() {
            let rows = &hidden[t * tokens * width..(t + 1) * tokens * width];
            let mut v = vec![0f32; width];
            match self.manifest.output.pooling {
                Pooling::Cls => v.copy_from_slice(&rows[..width]),
                Pooling::Mean => {
                    let mask = encoding.get_attention_mask();
                    for (row, _) in rows.chunks(width).zip(mask).filter(|(_, m)| **m == 1) {
                        v.iter_mut().zip(row).for_each(|(a, b)| *a += b);
                    }
                }
            }
            let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            if !norm.is_finite() || norm == 0.0 {
                return Err(ModelError::NotANumber {
                    id: id.clone(),
                    output: hidden_name.clone(),
                });
            }
            v.iter_mut().for_each(|x| *x /= norm);
            out.push(v);
        }
        Ok(out)
    }
}

/// The session must take the manifest's token inputs as int64 and give its output.
fn check_io(manifest: &EncoderManifest, session: &Session) -> Result<(), String> {
    let input = &manifest.input;
    let wanted: Vec<&String> = [Some(&input.ids), Some(&input.mask), input.types.as_ref()]
        .into_iter()
        .flatten()
        .collect();
    let have: Vec<&str> = session.inputs().iter().map(|i| i.name()).collect();
    if have.len() != wanted.len() || wanted.iter().any(|w| !have.contains(&w.as_str())) {
        return Err(format!(
            "its inputs are {}, the manifest names {}",
            have.join(", "),
            wanted
                .iter()
                .map(|w| w.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    for i in session.inputs() {
        match i.dtype() {
            ValueType::Tensor { ty, shape, .. }
                if *ty == TensorElementType::Int64 && shape.len() == 2 => {}
            other => {
                return Err(format!(
                    "its input {} is {other:?}, not int64 [batch, tokens]",
                    i.name()
                ));
            }
        }
    }
    let hidden = &manifest.output.hidden;
    if !session.outputs().iter().any(|o| o.name() == hidden) {
        return Err(format!("it has no output {hidden:?}"));
    }
    Ok(())
}
