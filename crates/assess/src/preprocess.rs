//! A decoded frame turned into a model's input tensor, exactly as its manifest says:
//! shown as the viewer shows it, resized, channel order, scale, mean and std, layout.

use image::imageops::{self, FilterType};
use image::{ImageBuffer, Rgb};
use sr_decode::{Frame, Pixels};
use sr_models::{Colour, InputSpec, Layout};

use crate::luma::{REC_601, displayed_gray};

type RgbF32 = ImageBuffer<Rgb<f32>, Vec<f32>>;

/// The frame as displayed, 0..1 per channel (the image crate's resize clamps floats to
/// that range), kept in floating point so 16-bit greyscale loses nothing.
fn displayed_rgb(frame: &Frame) -> RgbF32 {
    let samples: Vec<f32> = match &frame.pixels {
        Pixels::Gray { .. } => displayed_gray(frame)
            .into_iter()
            .flat_map(|v| [v; 3])
            .collect(),
        Pixels::Rgba(rgba) => rgba
            .chunks_exact(4)
            .flat_map(|p| [p[0], p[1], p[2]].map(|v| f32::from(v) / 255.0))
            .collect(),
    };
    ImageBuffer::from_raw(frame.width, frame.height, samples)
        .unwrap_or_else(|| ImageBuffer::new(frame.width, frame.height))
}

/// The frame as the viewer first shows it, in 8-bit RGB: what OCR reads.
pub fn displayed_rgb8(frame: &Frame) -> image::RgbImage {
    let bytes = match &frame.pixels {
        Pixels::Gray { .. } => displayed_gray(frame)
            .into_iter()
            .flat_map(|v| [(v.clamp(0.0, 1.0) * 255.0).round() as u8; 3])
            .collect(),
        Pixels::Rgba(rgba) => rgba
            .chunks_exact(4)
            .flat_map(|p| [p[0], p[1], p[2]])
            .collect(),
    };
    image::RgbImage::from_raw(frame.width, frame.height, bytes)
        .unwrap_or_else(|| image::RgbImage::new(frame.width, frame.height))
}

/// The input tensor for one frame, batch of one, in the manifest's shape.
pub fn input_tensor(frame: &Frame, spec: &InputSpec) -> Vec<f32> {
    let shown = displayed_rgb(frame);
    let sized = if shown.dimensions() == (spec.width, spec.height) {
        shown
    } else {
        imageops::resize(&shown, spec.width, spec.height, FilterType::Triangle)
    };
    let channels = spec.colour.channels();
    let plane = (spec.width * spec.height) as usize;
    let mut out = vec![0.0f32; plane * channels];
    for (i, px) in sized.pixels().enumerate() {
        let [r, g, b] = px.0.map(|v| v * 255.0);
        let values = match spec.colour {
            Colour::Rgb => [r, g, b],
            Colour::Bgr => [b, g, r],
            Colour::Gray => [REC_601[0] * r + REC_601[1] * g + REC_601[2] * b, 0.0, 0.0],
        };
        for (c, value) in values.iter().take(channels).enumerate() {
            let v = (value * spec.scale - spec.mean[c]) / spec.std[c];
            let at = match spec.layout {
                Layout::Nchw => c * plane + i,
                Layout::Nhwc => i * channels + c,
            };
            out[at] = v;
        }
    }
    out
}
