//! The capture-quality check as deployed: `quality.toml` names its version, thresholds
//! and the BRISQUE model files with their sha256, so every stored result says exactly
//! what judged it and a tampered model is refused.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use sr_decode::Frame;

use crate::{Brisque, QualityFlag, QualityIssue, QualityReport, QualityThresholds, assess_quality};

/// The file that describes the check, in its folder under a models root.
pub const QUALITY_FILE: &str = "quality.toml";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct QualityToml {
    id: String,
    version: String,
    licence: String,
    intended_use: String,
    brisque: BrisqueFiles,
    #[serde(default)]
    thresholds: QualityThresholds,
    /// Limits for modality images (CT, MR, ultrasound, radiographs), whose black
    /// surround is air or outside the beam, not lost exposure; photographs use
    /// `thresholds`.
    modality: Option<QualityThresholds>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BrisqueFiles {
    svm: String,
    svm_sha256: String,
    ranges: String,
    ranges_sha256: String,
}

pub struct QualityModel {
    pub id: String,
    pub version: String,
    pub licence: String,
    pub intended_use: String,
    /// The BRISQUE model file's sha256, stored with each result.
    pub sha256: String,
    pub thresholds: QualityThresholds,
    pub modality: QualityThresholds,
    brisque: Brisque,
}

/// What kind of capture a frame comes from, which decides the limits it is held to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capture {
    /// A camera picture (JPEG, PNG, TIFF): fundus, dermatology, a slide.
    Photograph,
    /// A modality image (DICOM), greyscale or colour (ultrasound).
    Modality,
}

impl QualityModel {
    /// Reads `dir/quality.toml` and the BRISQUE files it names, each checked against
    /// its sha256; the error is a sentence for the Models screen.
    pub fn load(dir: &Path) -> Result<Self, String> {
        let path = dir.join(QUALITY_FILE);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let spec: QualityToml =
            toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        let checked = |name: &str, expected: &str| -> Result<PathBuf, String> {
            let file = dir.join(name);
            if name.contains(['/', '\\']) {
                return Err(format!("{name}: a file beside {QUALITY_FILE} is expected"));
            }
            let actual = sr_models::sha256_of(&file)
                .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            if !actual.eq_ignore_ascii_case(expected) {
                return Err(format!(
                    "{} is refused: its sha256 is {actual}, {QUALITY_FILE} says {expected}",
                    file.display()
                ));
            }
            Ok(file)
        };
        let svm = checked(&spec.brisque.svm, &spec.brisque.svm_sha256)?;
        let ranges = checked(&spec.brisque.ranges, &spec.brisque.ranges_sha256)?;
        let brisque = Brisque::load(&svm, &ranges).map_err(|e| e.to_string())?;
        Ok(Self {
            id: spec.id,
            version: spec.version,
            licence: spec.licence,
            intended_use: spec.intended_use,
            sha256: spec.brisque.svm_sha256.to_ascii_lowercase(),
            modality: spec.modality.unwrap_or(spec.thresholds),
            thresholds: spec.thresholds,
            brisque,
        })
    }

    /// Sharpness, exposure and BRISQUE, each judged against the limits for the kind
    /// of capture. BRISQUE was trained on photographs: modality images (CT, MR, NM,
    /// ultrasound, radiographs) get the score for reference but no flag from it.
    pub fn assess(&self, frame: &Frame, capture: Capture) -> QualityReport {
        let photograph = capture == Capture::Photograph;
        let limits = if photograph {
            &self.thresholds
        } else {
            &self.modality
        };
        let mut report = assess_quality(frame, limits);
        report.brisque = self.brisque.score(frame);
        if let Some(score) = report
            .brisque
            .filter(|&s| photograph && s > self.thresholds.max_brisque)
        {
            report.flags.push(QualityFlag {
                issue: QualityIssue::Distorted,
                reason: format!(
                    "overall quality score {score:.0} is over {:.0} (BRISQUE, 0 best)",
                    self.thresholds.max_brisque
                ),
            });
        }
        report
    }
}
