//! Text off document pages, with where each line sits on the page: PP-OCR (line
//! detection, line angle, recognition) over ONNX Runtime for scans and photos, or a
//! PDF's own text layer where it has one. Pages are read one at a time, so a long PDF
//! never has more than one page in memory.

mod angle;
mod crop;
mod detect;
mod document;
mod geometry;
mod orient;
mod recognise;
mod tensor;
mod widths;

use image::RgbImage;
use image::imageops;
use serde::{Deserialize, Serialize};
use sr_models::{LoadedModel, ModelError, ModelRef, ModelRegistry, Runtime, Task};
use ts_rs::TS;

pub use document::{DocumentError, read_document};
pub use geometry::{Corner, Quad};
pub use orient::Turn;
use recognise::Recogniser;

/// Where a page's text came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum TextSource {
    /// The PDF's own text: exact, no model involved.
    TextLayer,
    /// Read off the pixels by the OCR models.
    Ocr,
}

/// One line of text and where it is: corners in fractions of the page (0..1 across
/// and down), so the viewer can draw it at any zoom.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct TextLine {
    pub text: String,
    /// 0..1; 1 for a text layer.
    pub confidence: f32,
    pub quad: Quad,
}

impl TextLine {
    /// The part of the line's box where characters `start..end` of its text are.
    pub fn span(&self, start: usize, end: usize) -> Quad {
        let (from, to) = widths::fractions(&self.text, start, end);
        self.quad.span(from, to)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct PageText {
    /// 0-based.
    pub page: u32,
    /// The page as read, in pixels (a text layer: in PDF points).
    pub width: u32,
    pub height: u32,
    pub source: TextSource,
    /// Median lean of the lines in degrees; a skewed scan or photo shows here.
    pub skew: f32,
    /// How far the page lay turned from upright; it was read turned back.
    #[serde(default)]
    pub turn: Turn,
    pub lines: Vec<TextLine>,
}

impl PageText {
    /// The page's text, a line per line.
    pub fn text(&self) -> String {
        self.lines
            .iter()
            .map(|l| l.text.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum OcrError {
    #[error("no {0} model is installed")]
    MissingModel(&'static str),
    #[error(transparent)]
    Model(#[from] ModelError),
}

/// How pages and lines are set upright before they are read.
enum Uprighting {
    /// The page orientation model turns the whole page; lines are then read as found.
    /// (The line classifier, asked of every line, takes noisy or blurred upright lines
    /// for upside-down ones often enough to cost more than the rare turned line.)
    Page(LoadedModel),
    /// Without it, PP-OCR's line-angle classifier turns each line it is sure is
    /// upside down.
    Lines(LoadedModel),
}

/// The PP-OCR models, open and held to their manifests.
pub struct Ocr {
    uprighting: Uprighting,
    detector: LoadedModel,
    recogniser: Recogniser,
}

impl Ocr {
    /// Opens the installed detection and recognition models and the page orientation
    /// model, or the line-angle one without it (the first of each task by id); a
    /// refused model is an error naming it.
    pub fn load(runtime: &Runtime, registry: &ModelRegistry) -> Result<Self, OcrError> {
        let installed = |task: Task| registry.entries().find(|e| e.manifest.task == task);
        let open = |task: Task| -> Result<LoadedModel, OcrError> {
            let entry = installed(task).ok_or(OcrError::MissingModel(task.as_str()))?;
            Ok(runtime.load(entry)?)
        };
        let uprighting = match installed(Task::OcrOrient) {
            Some(entry) => Uprighting::Page(runtime.load(entry)?),
            None => Uprighting::Lines(open(Task::OcrCls)?),
        };
        Ok(Self {
            uprighting,
            detector: open(Task::OcrDet)?,
            recogniser: Recogniser::new(open(Task::OcrRec)?)?,
        })
    }

    /// Which models read the text; stored with every result.
    pub fn models(&self) -> Vec<ModelRef> {
        let (Uprighting::Page(upright) | Uprighting::Lines(upright)) = &self.uprighting;
        [upright, &self.detector, self.recogniser.model()]
            .into_iter()
            .map(LoadedModel::model_ref)
            .collect()
    }

    /// Reads one page image, turned upright first if it lies on its side or upside
    /// down; the lines' boxes are on the page as given.
    pub fn read(&self, page_index: u32, given: &RgbImage) -> Result<PageText, OcrError> {
        let turn = match &self.uprighting {
            Uprighting::Page(model) => orient::turn_of(model, given)?,
            Uprighting::Lines(_) => Turn::Upright,
        };
        let upright = turn.upright(given);
        let page = upright.as_ref().unwrap_or(given);
        let quads = detect::detect(&self.detector, page)?;
        let height = self.recogniser.model().manifest().input.height;
        let mut strips: Vec<RgbImage> =
            quads.iter().map(|q| crop::strip(page, q, height)).collect();
        if let Uprighting::Lines(angle) = &self.uprighting {
            let turned = angle::upside_down(angle, &strips)?;
            for (strip, turned) in strips.iter_mut().zip(turned) {
                if turned {
                    imageops::rotate180_in_place(strip);
                }
            }
        }
        let read = self.recogniser.read(&strips)?;
        let min_confidence = self.recogniser.model().manifest().thresholds.flag_at;
        let (w, h) = (page.width() as f32, page.height() as f32);
        let mut angles: Vec<f32> = quads.iter().map(Quad::angle).collect();
        let lines = quads
            .iter()
            .zip(read)
            .filter(|(_, (text, confidence))| {
                *confidence >= min_confidence && !text.trim().is_empty()
            })
            .map(|(quad, (text, confidence))| TextLine {
                text,
                confidence,
                quad: turn.onto_page(quad.scaled(1.0 / w, 1.0 / h)),
            })
            .collect();
        Ok(PageText {
            page: page_index,
            width: given.width(),
            height: given.height(),
            source: TextSource::Ocr,
            skew: median(&mut angles),
            turn,
            lines,
        })
    }
}

fn median(values: &mut [f32]) -> f32 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f32::total_cmp);
    values[values.len() / 2]
}
