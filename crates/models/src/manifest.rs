//! `model.toml`: what a model is, what it may be used for, and exactly how to feed it.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// What a model does; decides how its outputs are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum Task {
    Classify,
    Detect,
    Segment,
    OcrDet,
    OcrRec,
    OcrCls,
    /// A page's orientation (0, 90, 180, 270 degrees), before its lines are found.
    OcrOrient,
    Quality,
    Embed,
}

impl Task {
    pub fn as_str(self) -> &'static str {
        match self {
            Task::Classify => "classify",
            Task::Detect => "detect",
            Task::Segment => "segment",
            Task::OcrDet => "ocr-det",
            Task::OcrRec => "ocr-rec",
            Task::OcrCls => "ocr-cls",
            Task::OcrOrient => "ocr-orient",
            Task::Quality => "quality",
            Task::Embed => "embed",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Colour {
    Rgb,
    Bgr,
    Gray,
}

impl Colour {
    pub fn channels(self) -> usize {
        match self {
            Colour::Rgb | Colour::Bgr => 3,
            Colour::Gray => 1,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Layout {
    Nchw,
    Nhwc,
}

/// How an image becomes the input tensor: resized to `width` × `height`, each channel
/// as `(value * scale - mean) / std` with `value` in 0..=255.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputSpec {
    pub name: String,
    pub width: u32,
    pub height: u32,
    pub colour: Colour,
    pub layout: Layout,
    #[serde(default = "unit_scale")]
    pub scale: f32,
    pub mean: Vec<f32>,
    pub std: Vec<f32>,
}

fn unit_scale() -> f32 {
    1.0 / 255.0
}

impl InputSpec {
    /// The tensor shape the model must accept, batch of one.
    pub fn shape(&self) -> [i64; 4] {
        let (c, h, w) = (
            self.colour.channels() as i64,
            i64::from(self.height),
            i64::from(self.width),
        );
        match self.layout {
            Layout::Nchw => [1, c, h, w],
            Layout::Nhwc => [1, h, w, c],
        }
    }
}

/// What turns a model's raw scores into probabilities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    /// The model already outputs probabilities.
    #[default]
    None,
    Softmax,
    Sigmoid,
}

/// Which outputs hold the answer; which are needed depends on the task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputSpec {
    /// `classify`: one score per label.
    pub scores: Option<String>,
    /// How raw scores (or mask values) become probabilities.
    #[serde(default)]
    pub activation: Activation,
    /// `classify`, optional: `[1, 1, H, W]` in 0..1 showing where the finding is.
    pub heatmap: Option<String>,
    /// `detect`: `[N, 6]` rows of x0, y0, x1, y1 (input pixels), score, label index.
    pub boxes: Option<String>,
    /// `segment`: `[1, labels, H, W]`, one channel per label; label 0 is background.
    pub mask: Option<String>,
}

impl OutputSpec {
    /// Every output the manifest reads.
    pub fn names(&self) -> impl Iterator<Item = &String> {
        [&self.scores, &self.heatmap, &self.boxes, &self.mask]
            .into_iter()
            .flatten()
    }
}

/// When a finding is raised for the reviewer's attention.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    /// The label that means "something to look at".
    pub flag_label: String,
    /// Its probability from which the image is flagged.
    pub flag_at: f32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelManifest {
    pub id: String,
    pub version: String,
    pub task: Task,
    /// The ONNX file, beside the manifest.
    pub file: String,
    pub sha256: String,
    pub licence: String,
    pub intended_use: String,
    /// A demonstration model: shown as "demo, not for clinical use" wherever its
    /// results appear.
    #[serde(default)]
    pub demo: bool,
    pub input: InputSpec,
    pub output: OutputSpec,
    pub labels: Vec<String>,
    pub thresholds: Thresholds,
}

impl ModelManifest {
    /// Parses and checks a manifest; the error says what is wrong in the manifest's terms.
    pub fn parse(text: &str) -> Result<Self, String> {
        let manifest: ModelManifest = toml::from_str(text).map_err(|e| e.to_string())?;
        manifest.check()?;
        Ok(manifest)
    }

    fn check(&self) -> Result<(), String> {
        check_card(&self.id, &self.version, &self.file, &self.sha256)?;
        if self.task == Task::Embed {
            return Err("an embed model reads text: its manifest names a [tokenizer]".into());
        }
        let input = &self.input;
        if !(1..=4096).contains(&input.width) || !(1..=4096).contains(&input.height) {
            return Err("input width and height must be 1 to 4096".into());
        }
        let channels = input.colour.channels();
        if input.mean.len() != channels || input.std.len() != channels {
            return Err(format!(
                "input mean and std need {channels} values each (one per channel)"
            ));
        }
        if input.std.iter().any(|s| !s.is_finite() || *s == 0.0)
            || input.mean.iter().any(|m| !m.is_finite())
            || !input.scale.is_finite()
        {
            return Err("input mean, std and scale must be finite numbers, std non-zero".into());
        }
        if self.labels.is_empty() {
            return Err("labels is empty".into());
        }
        let needed = match self.task {
            Task::Classify => Some(("scores", self.output.scores.is_some())),
            Task::Detect => Some(("boxes", self.output.boxes.is_some())),
            Task::Segment => Some(("mask", self.output.mask.is_some())),
            _ => None,
        };
        if let Some((output, false)) = needed {
            return Err(format!(
                "a {} model needs output.{output}",
                self.task.as_str()
            ));
        }
        if self.task == Task::Segment && self.labels.len() < 2 {
            return Err("a segment model needs a background label and at least one more".into());
        }
        if !self.labels.contains(&self.thresholds.flag_label) {
            return Err(format!(
                "thresholds.flag_label {:?} is not one of the labels",
                self.thresholds.flag_label
            ));
        }
        if !(0.0..=1.0).contains(&self.thresholds.flag_at) {
            return Err("thresholds.flag_at must be a probability (0 to 1)".into());
        }
        Ok(())
    }
}

/// What every manifest must get right, whatever the model reads: a safe id, a version,
/// a file beside the manifest, and its sha256.
pub(crate) fn check_card(id: &str, version: &str, file: &str, sha256: &str) -> Result<(), String> {
    let id_ok = !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
    if !id_ok {
        return Err(format!(
            "id {id:?} must be 1-64 characters of a-z, 0-9, '-' and '.'"
        ));
    }
    if version.trim().is_empty() {
        return Err("version is empty".into());
    }
    check_file(file, sha256)
}

/// A file named in a manifest: a plain name beside it, with a well-formed sha256.
pub(crate) fn check_file(file: &str, sha256: &str) -> Result<(), String> {
    if file.is_empty() || file.contains(['/', '\\']) || file.starts_with('.') {
        return Err(format!(
            "file {file:?} must be a plain file name beside the manifest"
        ));
    }
    if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!(
            "the sha256 of {file:?} must be 64 hexadecimal digits"
        ));
    }
    Ok(())
}
