//! Pixels into model input, as the manifest says: channel order, scale, mean and std,
//! one channel plane after another (NCHW).

use image::RgbImage;
use sr_models::{Colour, InputSpec, Layout, ModelError, ModelManifest, Outputs, Tensor};

/// Channel planes of one image inside a batch tensor.
pub(crate) struct Planes<'a> {
    spec: &'a InputSpec,
    /// Which RGB channel feeds each input channel.
    order: [usize; 3],
}

impl<'a> Planes<'a> {
    /// The OCR models take NCHW colour input; a manifest saying otherwise is refused.
    pub(crate) fn new(manifest: &'a ModelManifest) -> Result<Self, ModelError> {
        let spec = &manifest.input;
        let order = match spec.colour {
            Colour::Rgb => [0, 1, 2],
            Colour::Bgr => [2, 1, 0],
            Colour::Gray => {
                return Err(mismatch(
                    manifest,
                    "OCR models take colour (rgb or bgr) input",
                ));
            }
        };
        if spec.layout != Layout::Nchw {
            return Err(mismatch(manifest, "OCR models take NCHW input"));
        }
        Ok(Self { spec, order })
    }

    /// The normalised value of zero: what padding is filled with.
    pub(crate) fn zero(&self) -> f32 {
        0.0
    }

    /// Writes `image` into the `width`-wide, `image.height()`-high slot at `out`
    /// (3 planes), left-aligned; the rest of each row stays as it was (padding).
    pub(crate) fn write(&self, image: &RgbImage, width: usize, out: &mut [f32]) {
        let (w, h) = (image.width() as usize, image.height() as usize);
        let plane = width * h;
        let raw = image.as_raw();
        for (c, &source) in self.order.iter().enumerate() {
            let (mean, std) = (self.spec.mean[c], self.spec.std[c]);
            let scale = self.spec.scale;
            let dest = &mut out[c * plane..(c + 1) * plane];
            for y in 0..h {
                let row = &raw[y * w * 3..(y + 1) * w * 3];
                let dest_row = &mut dest[y * width..y * width + w.min(width)];
                for (x, d) in dest_row.iter_mut().enumerate() {
                    *d = (f32::from(row[x * 3 + source]) * scale - mean) / std;
                }
            }
        }
    }
}

/// The index and value of the highest score.
pub(crate) fn best(scores: &[f32]) -> (usize, f32) {
    scores
        .iter()
        .copied()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap_or((0, 0.0))
}

pub(crate) fn mismatch(manifest: &ModelManifest, reason: &str) -> ModelError {
    ModelError::Mismatch {
        id: manifest.id.clone(),
        reason: reason.to_string(),
    }
}

/// The output the manifest names as `output.scores`; `what` says what it holds.
pub(crate) fn scores_output<'a>(
    manifest: &ModelManifest,
    outputs: &'a Outputs,
    what: &str,
) -> Result<&'a Tensor, ModelError> {
    manifest
        .output
        .scores
        .as_ref()
        .and_then(|name| outputs.get(name))
        .ok_or_else(|| mismatch(manifest, &format!("it gave no {what} (output.scores)")))
}
