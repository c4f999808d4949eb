//! Whether a text line is upside down: PP-OCR's line-angle classifier answers 0° or
//! 180° per line, so a page scanned upside down still reads.

use image::RgbImage;
use image::imageops::{self, FilterType};
use sr_models::{LoadedModel, ModelError};

use crate::tensor::{Planes, best, mismatch, scores_output};

/// Lines classified per run.
const BATCH: usize = 8;

/// For each line, whether the classifier is sure enough (the manifest's
/// `thresholds.flag_at` on its `flag_label`) that it is turned 180°.
pub(crate) fn upside_down(
    model: &LoadedModel,
    lines: &[RgbImage],
) -> Result<Vec<bool>, ModelError> {
    let manifest = model.manifest();
    let planes = Planes::new(manifest)?;
    let (w, h) = (manifest.input.width, manifest.input.height);
    let flag = manifest
        .labels
        .iter()
        .position(|l| *l == manifest.thresholds.flag_label)
        .ok_or_else(|| mismatch(manifest, "its flag label is not among its labels"))?;
    let plane = (3 * w * h) as usize;
    let mut turned = Vec::with_capacity(lines.len());
    for batch in lines.chunks(BATCH) {
        let mut input = vec![planes.zero(); plane * batch.len()];
        for (line, slot) in batch.iter().zip(input.chunks_exact_mut(plane)) {
            // Long lines are squeezed into the classifier's width, short ones padded.
            let ratio = line.width() as f32 / line.height().max(1) as f32;
            let width = ((h as f32 * ratio).ceil() as u32).clamp(1, w);
            let sized = imageops::resize(line, width, h, FilterType::Triangle);
            planes.write(&sized, w as usize, slot);
        }
        let shape = [batch.len() as i64, 3, i64::from(h), i64::from(w)];
        let outputs = model.run_shaped(shape, &input)?;
        let scores = scores_output(manifest, &outputs, "scores")?;
        let labels = manifest.labels.len();
        if scores.values.len() != batch.len() * labels {
            return Err(mismatch(
                manifest,
                &format!(
                    "it gave {} scores for {} lines × {labels} labels",
                    scores.values.len(),
                    batch.len()
                ),
            ));
        }
        turned.extend(scores.values.chunks_exact(labels).map(|row| {
            let (label, score) = best(row);
            label == flag && score >= manifest.thresholds.flag_at
        }));
    }
    Ok(turned)
}
