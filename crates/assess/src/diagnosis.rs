//! The diagnosis models' first read: a frame through a `classify` model to labelled
//! probabilities, the flag its manifest's threshold raises, and where the model gives
//! one, a heat map of where it looked.

use image::ImageEncoder;
use serde::Serialize;
use sr_decode::Frame;
use sr_models::{Activation, LoadedModel, ModelError, ModelRef, Task, Tensor};
use ts_rs::TS;

use crate::preprocess::input_tensor;

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, TS)]
pub struct LabelScore {
    pub label: String,
    pub probability: f32,
}

/// Where the finding is, 0 (nothing) to 255 (strongest), row-major at the model's size;
/// shown stretched over the image.
#[derive(Debug, Clone, PartialEq)]
pub struct HeatMap {
    pub width: u32,
    pub height: u32,
    pub values: Vec<u8>,
}

impl HeatMap {
    /// The map as an 8-bit greyscale PNG: how it is stored and sent to the viewer.
    pub fn png(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let encoded = image::codecs::png::PngEncoder::new(&mut out).write_image(
            &self.values,
            self.width,
            self.height,
            image::ExtendedColorType::L8,
        );
        match encoded {
            Ok(()) => out,
            Err(_) => Vec::new(),
        }
    }
}

/// A detected region, in fractions of the image (0..1), so it lands on the image at
/// any size the viewer shows it.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, TS)]
pub struct FoundBox {
    pub label: String,
    pub score: f32,
    pub x0: f32,
    pub y0: f32,
    pub x1: f32,
    pub y1: f32,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct Finding {
    pub model: ModelRef,
    /// A demonstration model: "demo, not for clinical use".
    pub demo: bool,
    /// The most probable label and its probability.
    pub label: String,
    pub confidence: f32,
    /// Per label: its probability (classify), strongest box (detect) or strongest pixel
    /// (segment).
    pub scores: Vec<LabelScore>,
    /// The manifest's flag label reached its threshold.
    pub flagged: bool,
    /// The flag label's probability: how strongly the model points at a finding.
    pub flag_probability: f32,
    /// Detections at or above the flag threshold, strongest first.
    pub boxes: Vec<FoundBox>,
    #[serde(skip)]
    #[ts(skip)]
    pub heatmap: Option<HeatMap>,
}

/// Boxes a detect model may report on one image; more is noise to a reviewer.
const MAX_BOXES: usize = 50;

/// Runs a diagnosis model (`classify`, `detect` or `segment`) on one frame.
pub fn diagnose(model: &LoadedModel, frame: &Frame) -> Result<Finding, ModelError> {
    let manifest = model.manifest();
    let mismatch = |reason: String| ModelError::Mismatch {
        id: manifest.id.clone(),
        reason,
    };
    let run = || model.run(&input_tensor(frame, &manifest.input));
    // The session was held to the manifest's outputs when it opened.
    let output = |outputs: &'_ sr_models::Outputs, name: &Option<String>| {
        name.as_ref()
            .and_then(|n| outputs.get(n))
            .cloned()
            .ok_or_else(|| mismatch(format!("it gave no {name:?} output")))
    };
    let (scores, boxes, heatmap) = match manifest.task {
        Task::Classify => {
            let outputs = run()?;
            let raw = output(&outputs, &manifest.output.scores)?;
            if raw.values.len() != manifest.labels.len() {
                return Err(mismatch(format!(
                    "it gave {} scores for {} labels",
                    raw.values.len(),
                    manifest.labels.len()
                )));
            }
            let probabilities = activate(&raw.values, manifest.output.activation);
            let heatmap = match &manifest.output.heatmap {
                Some(_) => {
                    Some(heat_map(&output(&outputs, &manifest.output.heatmap)?).map_err(mismatch)?)
                }
                None => None,
            };
            (probabilities, Vec::new(), heatmap)
        }
        Task::Detect => {
            let outputs = run()?;
            let boxes = read_boxes(&output(&outputs, &manifest.output.boxes)?, manifest)
                .map_err(mismatch)?;
            let mut best = vec![0.0f32; manifest.labels.len()];
            for b in &boxes {
                if let Some(i) = manifest.labels.iter().position(|l| *l == b.label) {
                    best[i] = best[i].max(b.score);
                }
            }
            let shown = boxes
                .into_iter()
                .filter(|b| b.score >= manifest.thresholds.flag_at)
                .take(MAX_BOXES)
                .collect();
            (best, shown, None)
        }
        Task::Segment => {
            let outputs = run()?;
            let (strongest, heatmap) =
                read_mask(&output(&outputs, &manifest.output.mask)?, manifest).map_err(mismatch)?;
            (strongest, Vec::new(), Some(heatmap))
        }
        other => {
            return Err(ModelError::WrongTask {
                id: manifest.id.clone(),
                wanted: "classify, detect or segment",
                actual: other.as_str(),
            });
        }
    };
    let scores: Vec<LabelScore> = manifest
        .labels
        .iter()
        .zip(&scores)
        .map(|(label, &probability)| LabelScore {
            label: label.clone(),
            probability,
        })
        .collect();
    // A segment model's background always covers something: it never is the finding.
    let candidates = if manifest.task == Task::Segment {
        &scores[1..]
    } else {
        &scores[..]
    };
    let top = candidates
        .iter()
        .max_by(|a, b| a.probability.total_cmp(&b.probability))
        .cloned()
        .ok_or_else(|| mismatch("it gave no scores".into()))?;
    let flag_probability = scores
        .iter()
        .find(|s| s.label == manifest.thresholds.flag_label)
        .map_or(0.0, |s| s.probability);
    Ok(Finding {
        model: model.model_ref(),
        demo: manifest.demo,
        label: top.label,
        confidence: top.probability,
        scores,
        flagged: flag_probability >= manifest.thresholds.flag_at,
        flag_probability,
        boxes,
        heatmap,
    })
}

/// `[N, 6]` rows (x0, y0, x1, y1 in input pixels, score, label index) as boxes in
/// fractions of the image, strongest first.
fn read_boxes(
    tensor: &Tensor,
    manifest: &sr_models::ModelManifest,
) -> Result<Vec<FoundBox>, String> {
    if tensor.shape.last() != Some(&6) {
        return Err(format!(
            "its boxes have shape {:?}; [N, 6] is expected",
            tensor.shape
        ));
    }
    let (w, h) = (manifest.input.width as f32, manifest.input.height as f32);
    let mut boxes = Vec::new();
    for row in tensor.values.chunks_exact(6) {
        let index = row[5].round();
        let label = (index >= 0.0)
            .then(|| manifest.labels.get(index as usize))
            .flatten()
            .ok_or_else(|| {
                format!(
                    "a box names label {index}, past the {} labels",
                    manifest.labels.len()
                )
            })?;
        boxes.push(FoundBox {
            label: label.clone(),
            score: row[4].clamp(0.0, 1.0),
            x0: (row[0] / w).clamp(0.0, 1.0),
            y0: (row[1] / h).clamp(0.0, 1.0),
            x1: (row[2] / w).clamp(0.0, 1.0),
            y1: (row[3] / h).clamp(0.0, 1.0),
        });
    }
    boxes.sort_by(|a, b| b.score.total_cmp(&a.score));
    Ok(boxes)
}

/// `[1, labels, H, W]`: each label's strongest pixel, and the flag label's channel as
/// the heat map.
fn read_mask(
    tensor: &Tensor,
    manifest: &sr_models::ModelManifest,
) -> Result<(Vec<f32>, HeatMap), String> {
    let labels = manifest.labels.len();
    let [1, channels, height, width] = tensor.shape[..] else {
        return Err(format!(
            "its mask has shape {:?}; [1, labels, H, W] is expected",
            tensor.shape
        ));
    };
    if channels as usize != labels {
        return Err(format!(
            "its mask has {channels} channels for {labels} labels"
        ));
    }
    let plane = (height * width) as usize;
    let mut probabilities = vec![0.0f32; tensor.values.len()];
    match manifest.output.activation {
        Activation::Softmax => {
            let mut pixel = vec![0.0f32; labels];
            for p in 0..plane {
                for (c, v) in pixel.iter_mut().enumerate() {
                    *v = tensor.values[c * plane + p];
                }
                for (c, v) in activate(&pixel, Activation::Softmax)
                    .into_iter()
                    .enumerate()
                {
                    probabilities[c * plane + p] = v;
                }
            }
        }
        other => probabilities = activate(&tensor.values, other),
    }
    let strongest = probabilities
        .chunks_exact(plane)
        .map(|channel| channel.iter().copied().fold(0.0, f32::max))
        .collect();
    let flag = manifest
        .labels
        .iter()
        .position(|l| *l == manifest.thresholds.flag_label)
        .unwrap_or(1);
    let heatmap = heat_map(&Tensor {
        shape: vec![height, width],
        values: probabilities[flag * plane..(flag + 1) * plane].to_vec(),
    })?;
    Ok((strongest, heatmap))
}

fn activate(raw: &[f32], activation: Activation) -> Vec<f32> {
    match activation {
        Activation::None => raw.iter().map(|v| v.clamp(0.0, 1.0)).collect(),
        Activation::Sigmoid => raw.iter().map(|v| 1.0 / (1.0 + (-v).exp())).collect(),
        Activation::Softmax => {
            let max = raw.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let exps: Vec<f32> = raw.iter().map(|v| (v - max).exp()).collect();
            let sum: f32 = exps.iter().sum();
            exps.iter().map(|e| e / sum).collect()
        }
    }
}

/// A `[1, 1, H, W]` (or `[H, W]`) output in 0..1 as an 8-bit map.
fn heat_map(tensor: &Tensor) -> Result<HeatMap, String> {
    let dims: Vec<i64> = tensor.shape.iter().copied().filter(|&d| d != 1).collect();
    let [height, width] = dims[..] else {
        return Err(format!(
            "its heat map has shape {:?}; one map [1, 1, H, W] is supported",
            tensor.shape
        ));
    };
    Ok(HeatMap {
        width: width as u32,
        height: height as u32,
        values: tensor
            .values
            .iter()
            .map(|v| (v.clamp(0.0, 1.0) * 255.0).round() as u8)
            .collect(),
    })
}
