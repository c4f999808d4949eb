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

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct Finding {
    pub model: ModelRef,
    /// A demonstration model: "demo, not for clinical use".
    pub demo: bool,
    /// The most probable label and its probability.
    pub label: String,
    pub confidence: f32,
    pub scores: Vec<LabelScore>,
    /// The manifest's flag label reached its threshold.
    pub flagged: bool,
    /// The flag label's probability: how strongly the model points at a finding.
    pub flag_probability: f32,
    #[serde(skip)]
    #[ts(skip)]
    pub heatmap: Option<HeatMap>,
}

/// Classifies one frame. The model must be a `classify` model.
pub fn classify(model: &LoadedModel, frame: &Frame) -> Result<Finding, ModelError> {
    let manifest = model.manifest();
    if manifest.task != Task::Classify {
        return Err(ModelError::WrongTask {
            id: manifest.id.clone(),
            wanted: Task::Classify.as_str(),
            actual: manifest.task.as_str(),
        });
    }
    let mismatch = |reason: String| ModelError::Mismatch {
        id: manifest.id.clone(),
        reason,
    };
    let outputs = model.run(&input_tensor(frame, &manifest.input))?;
    let raw = &outputs[&manifest.output.scores];
    if raw.values.len() != manifest.labels.len() {
        return Err(mismatch(format!(
            "it gave {} scores for {} labels",
            raw.values.len(),
            manifest.labels.len()
        )));
    }
    let probabilities = activate(&raw.values, manifest.output.activation);
    let scores: Vec<LabelScore> = manifest
        .labels
        .iter()
        .zip(&probabilities)
        .map(|(label, &probability)| LabelScore {
            label: label.clone(),
            probability,
        })
        .collect();
    let top = scores
        .iter()
        .max_by(|a, b| a.probability.total_cmp(&b.probability))
        .cloned()
        .ok_or_else(|| mismatch("it gave no scores".into()))?;
    let flag_probability = scores
        .iter()
        .find(|s| s.label == manifest.thresholds.flag_label)
        .map_or(0.0, |s| s.probability);
    let flagged = flag_probability >= manifest.thresholds.flag_at;
    let heatmap = match &manifest.output.heatmap {
        Some(name) => Some(heat_map(&outputs[name]).map_err(mismatch)?),
        None => None,
    };
    Ok(Finding {
        model: model.model_ref(),
        demo: manifest.demo,
        label: top.label,
        confidence: top.probability,
        scores,
        flagged,
        flag_probability,
        heatmap,
    })
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
