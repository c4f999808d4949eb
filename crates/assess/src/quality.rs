//! Capture quality: is the frame sharp, and is it exposed so that detail survives?
//!
//! Sharpness is the variance of the Laplacian (focus measure of Pech-Pacheco et al.)
//! and the Tenengrad gradient energy, both on brightness scaled to 0..255 at the
//! working size. Exposure is the share of clipped pixels at either end and the mean.

use serde::{Deserialize, Serialize};
use sr_decode::Frame;
use ts_rs::TS;

use crate::Luma;

/// Where a capture stops being acceptable; the defaults suit photos and films alike
/// and a quality model's manifest may set its own.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct QualityThresholds {
    /// Below this variance of the Laplacian the capture is flagged blurry.
    pub min_laplacian_variance: f32,
    /// Share of pixels at or below 2 % brightness above which it is underexposed.
    pub max_dark_clipped: f32,
    /// Share of pixels at or above 98 % brightness above which it is overexposed.
    pub max_bright_clipped: f32,
    /// Mean brightness under which it is underexposed, and over which overexposed.
    pub min_mean: f32,
    pub max_mean: f32,
    /// Underexposed when even the brightest 1 % stays under this: nothing reaches the
    /// upper range, however the mean falls.
    pub min_highlight: f32,
    /// Overexposed when even the darkest 1 % stays over this.
    pub max_shadow: f32,
    /// Above this BRISQUE score (0 best, ~100 worst) the capture is flagged distorted.
    pub max_brisque: f32,
}

impl Default for QualityThresholds {
    fn default() -> Self {
        Self {
            min_laplacian_variance: 15.0,
            max_dark_clipped: 0.5,
            max_bright_clipped: 0.25,
            min_mean: 0.08,
            max_mean: 0.85,
            min_highlight: 0.35,
            max_shadow: 0.65,
            max_brisque: 75.0,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum QualityIssue {
    Blurry,
    Underexposed,
    Overexposed,
    /// Noise, compression or blur that the no-reference score sees.
    Distorted,
}

/// One problem found, with the measure and limit that say so.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct QualityFlag {
    pub issue: QualityIssue,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct QualityReport {
    pub laplacian_variance: f32,
    pub tenengrad: f32,
    pub mean_brightness: f32,
    pub dark_clipped: f32,
    pub bright_clipped: f32,
    /// Brightness of the darkest and the brightest 1 % of pixels.
    pub shadow: f32,
    pub highlight: f32,
    /// BRISQUE, 0 best to about 100 worst; none without its model or for a flat image.
    pub brisque: Option<f32>,
    /// Empty when the capture passes.
    pub flags: Vec<QualityFlag>,
}

pub fn assess_quality(frame: &Frame, limits: &QualityThresholds) -> QualityReport {
    let luma = Luma::from_frame(frame);
    let (laplacian_variance, tenengrad) = sharpness(&luma);
    let n = luma.values.len().max(1) as f32;
    let mean_brightness = luma.values.iter().sum::<f32>() / n;
    let dark_clipped = luma.values.iter().filter(|&&v| v <= 0.02).count() as f32 / n;
    let bright_clipped = luma.values.iter().filter(|&&v| v >= 0.98).count() as f32 / n;
    let (shadow, highlight) = percentiles(&luma.values);

    let mut flags = Vec::new();
    if laplacian_variance < limits.min_laplacian_variance {
        flags.push(QualityFlag {
            issue: QualityIssue::Blurry,
            reason: format!(
                "sharpness {laplacian_variance:.1} is under {:.1} (variance of the Laplacian)",
                limits.min_laplacian_variance
            ),
        });
    }
    if dark_clipped > limits.max_dark_clipped
        || mean_brightness < limits.min_mean
        || highlight < limits.min_highlight
    {
        flags.push(QualityFlag {
            issue: QualityIssue::Underexposed,
            reason: format!(
                "{:.0} % of pixels are black, mean brightness {:.0} %, brightest 1 % at {:.0} %",
                dark_clipped * 100.0,
                mean_brightness * 100.0,
                highlight * 100.0
            ),
        });
    }
    if bright_clipped > limits.max_bright_clipped
        || mean_brightness > limits.max_mean
        || shadow > limits.max_shadow
    {
        flags.push(QualityFlag {
            issue: QualityIssue::Overexposed,
            reason: format!(
                "{:.0} % of pixels are blown out, mean brightness {:.0} %, darkest 1 % at {:.0} %",
                bright_clipped * 100.0,
                mean_brightness * 100.0,
                shadow * 100.0
            ),
        });
    }
    QualityReport {
        laplacian_variance,
        tenengrad,
        mean_brightness,
        dark_clipped,
        bright_clipped,
        shadow,
        highlight,
        brisque: None,
        flags,
    }
}

/// The 1st and 99th percentile of brightness, from a 256-bin histogram.
fn percentiles(values: &[f32]) -> (f32, f32) {
    let mut bins = [0usize; 256];
    for &v in values {
        bins[(v.clamp(0.0, 1.0) * 255.0).round() as usize] += 1;
    }
    let at = |fraction: f64| {
        let target = (values.len() as f64 * fraction).ceil() as usize;
        let mut seen = 0;
        for (i, &count) in bins.iter().enumerate() {
            seen += count;
            if seen >= target.max(1) {
                return i as f32 / 255.0;
            }
        }
        1.0
    };
    (at(0.01), at(0.99))
}

/// (variance of the 4-neighbour Laplacian, mean squared Sobel gradient), on 0..255.
fn sharpness(luma: &Luma) -> (f32, f32) {
    let (w, h) = (luma.width, luma.height);
    if w < 3 || h < 3 {
        return (0.0, 0.0);
    }
    let at = |x: usize, y: usize| luma.values[y * w + x] * 255.0;
    let (mut sum, mut sum_sq, mut gradient) = (0.0f64, 0.0f64, 0.0f64);
    for y in 1..h - 1 {
        for x in 1..w - 1 {
            let lap = at(x - 1, y) + at(x + 1, y) + at(x, y - 1) + at(x, y + 1) - 4.0 * at(x, y);
            sum += f64::from(lap);
            sum_sq += f64::from(lap) * f64::from(lap);
            let gx = (at(x + 1, y - 1) + 2.0 * at(x + 1, y) + at(x + 1, y + 1))
                - (at(x - 1, y - 1) + 2.0 * at(x - 1, y) + at(x - 1, y + 1));
            let gy = (at(x - 1, y + 1) + 2.0 * at(x, y + 1) + at(x + 1, y + 1))
                - (at(x - 1, y - 1) + 2.0 * at(x, y - 1) + at(x + 1, y - 1));
            gradient += f64::from(gx * gx + gy * gy);
        }
    }
    let n = ((w - 2) * (h - 2)) as f64;
    let mean = sum / n;
    ((sum_sq / n - mean * mean) as f32, (gradient / n) as f32)
}
