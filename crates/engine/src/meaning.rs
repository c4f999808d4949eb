//! The text encoder coding matches diagnoses by meaning with, and the vectors it has
//! already made: the same titles come back document after document.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use sr_models::{Encoder, ModelRef};

/// Vectors kept before the cache starts afresh; a few thousand titles cover a site's
/// usual documents, and each vector is 1.5 KB.
const KEPT: usize = 50_000;
/// Texts per run of the encoder.
const BATCH: usize = 32;

pub struct TextEncoder {
    encoder: Encoder,
    cache: Mutex<HashMap<String, Vec<f32>>>,
}

impl TextEncoder {
    pub fn new(encoder: Encoder) -> Self {
        Self {
            encoder,
            cache: Mutex::new(HashMap::new()),
        }
    }

    pub fn model_ref(&self) -> ModelRef {
        self.encoder.model_ref()
    }
}

impl sr_coding::Embed for TextEncoder {
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, String> {
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        let mut new: Vec<&str> = texts
            .iter()
            .copied()
            .filter(|t| !cache.contains_key(*t))
            .collect();
        new.sort_unstable();
        new.dedup();
        if cache.len() + new.len() > KEPT {
            cache.clear();
            new = texts.to_vec();
            new.sort_unstable();
            new.dedup();
        }
        for batch in new.chunks(BATCH) {
            let vectors = self.encoder.embed(batch).map_err(|e| e.to_string())?;
            for (text, v) in batch.iter().zip(vectors) {
                cache.insert((*text).to_string(), v);
            }
        }
        Ok(texts.iter().map(|t| cache[*t].clone()).collect())
    }
}
