//! What a text line says: PP-OCR's recogniser scores every character of its alphabet
//! at each step along the line; CTC decoding keeps the best per step, drops blanks and
//! repeats. The alphabet comes from the model file itself (metadata key `character`),
//! so a model and its alphabet cannot be mismatched.

use image::RgbImage;
use sr_models::{LoadedModel, ModelError};

use crate::tensor::{Planes, mismatch, scores_output};

/// Lines recognised per run; lines are sorted by width first so a batch pads little.
const BATCH: usize = 6;

/// The metadata key holding the alphabet, one character per line.
const ALPHABET_KEY: &str = "character";

pub(crate) struct Recogniser {
    model: LoadedModel,
    /// Index 0 is CTC's blank; then the model's alphabet; then a space.
    alphabet: Vec<String>,
}

impl Recogniser {
    pub(crate) fn new(model: LoadedModel) -> Result<Self, ModelError> {
        let manifest = model.manifest();
        let listed = model.metadata(ALPHABET_KEY).ok_or_else(|| {
            mismatch(
                manifest,
                "its file has no alphabet (metadata key \"character\")",
            )
        })?;
        let mut alphabet = vec![String::new()];
        alphabet.extend(listed.lines().map(str::to_string));
        alphabet.push(" ".to_string());
        Planes::new(manifest)?;
        Ok(Self { model, alphabet })
    }

    pub(crate) fn model(&self) -> &LoadedModel {
        &self.model
    }

    /// Each line's text and confidence (the mean probability of its characters).
    pub(crate) fn read(&self, lines: &[RgbImage]) -> Result<Vec<(String, f32)>, ModelError> {
        let manifest = self.model.manifest();
        let planes = Planes::new(manifest)?;
        let height = manifest.input.height;
        let mut order: Vec<usize> = (0..lines.len()).collect();
        order.sort_by_key(|&i| lines[i].width());
        let mut read = vec![(String::new(), 0.0f32); lines.len()];
        for batch in order.chunks(BATCH) {
            let width = batch
                .iter()
                .map(|&i| lines[i].width())
                .max()
                .unwrap_or(1)
                .max(manifest.input.width) as usize;
            let plane = 3 * width * height as usize;
            let mut input = vec![planes.zero(); plane * batch.len()];
            for (&i, slot) in batch.iter().zip(input.chunks_exact_mut(plane)) {
                planes.write(&lines[i], width, slot);
            }
            let shape = [batch.len() as i64, 3, i64::from(height), width as i64];
            let outputs = self.model.run_shaped(shape, &input)?;
            let scores = scores_output(manifest, &outputs, "scores")?;
            let [n, steps, classes] = scores.shape[..] else {
                return Err(mismatch(
                    manifest,
                    &format!(
                        "its scores have shape {:?}; [lines, steps, characters] is expected",
                        scores.shape
                    ),
                ));
            };
            if n as usize != batch.len() || classes as usize != self.alphabet.len() {
                return Err(mismatch(
                    manifest,
                    &format!(
                        "it scores {classes} characters; its alphabet and blank and space make {}",
                        self.alphabet.len()
                    ),
                ));
            }
            let per_line = (steps * classes) as usize;
            for (&i, line_scores) in batch.iter().zip(scores.values.chunks_exact(per_line)) {
                read[i] = self.decode(line_scores, classes as usize);
            }
        }
        Ok(read)
    }

    /// Greedy CTC: the best character per step, repeats merged, blanks dropped.
    fn decode(&self, scores: &[f32], classes: usize) -> (String, f32) {
        let mut text = String::new();
        let (mut sum, mut kept) = (0.0f32, 0u32);
        let mut previous = 0usize;
        for step in scores.chunks_exact(classes) {
            let (best, probability) = step
                .iter()
                .enumerate()
                .max_by(|a, b| a.1.total_cmp(b.1))
                .map_or((0, 0.0), |(i, &p)| (i, p));
            if best != 0 && best != previous {
                text.push_str(&self.alphabet[best]);
                sum += probability;
                kept += 1;
            }
            previous = best;
        }
        let confidence = if kept == 0 { 0.0 } else { sum / kept as f32 };
        (text, confidence)
    }
}
