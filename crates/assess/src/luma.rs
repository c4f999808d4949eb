//! A frame as brightness in 0..1 at a fixed working size, so sharpness and exposure
//! mean the same for a 512-pixel photo and a 4,000-pixel chest film.

use sr_decode::{Frame, Pixels};

/// Longest side the measures work at; larger frames are box-averaged down to it.
pub const WORKING_SIDE: u32 = 512;

#[derive(Debug, Clone)]
pub struct Luma {
    pub width: usize,
    pub height: usize,
    /// Row-major brightness, 0 black to 1 white, as the viewer first shows it.
    pub values: Vec<f32>,
}

impl Luma {
    /// Brightness as displayed: greyscale through the file's window (or its full range)
    /// and MONOCHROME1 inverted; colour by Rec. 601 luma.
    pub fn from_frame(frame: &Frame) -> Self {
        let full = displayed_brightness(frame, REC_601);
        Self::downscaled(frame.width as usize, frame.height as usize, &full)
    }

    /// Box-averages `values` so the longest side is at most [`WORKING_SIDE`].
    fn downscaled(width: usize, height: usize, values: &[f32]) -> Self {
        let (width, height, values) = box_reduce(width, height, values, WORKING_SIDE as usize);
        Luma {
            width,
            height,
            values,
        }
    }
}

/// Averages `values` over square blocks of a whole number of pixels, so the longest
/// side is at most `max_side`; small images come back as they are.
pub fn box_reduce(
    width: usize,
    height: usize,
    values: &[f32],
    max_side: usize,
) -> (usize, usize, Vec<f32>) {
    let factor = width.max(height).div_ceil(max_side).max(1);
    if factor == 1 {
        return (width, height, values.to_vec());
    }
    let (w, h) = (width / factor, height / factor);
    let mut out = vec![0.0f32; w * h];
    for y in 0..h {
        for x in 0..w {
            let mut sum = 0.0;
            for dy in 0..factor {
                let row = (y * factor + dy) * width + x * factor;
                sum += values[row..row + factor].iter().sum::<f32>();
            }
            out[y * w + x] = sum / (factor * factor) as f32;
        }
    }
    (w, h, out)
}

/// Rec. 601 luma weights for red, green and blue.
pub const REC_601: [f32; 3] = [0.299, 0.587, 0.114];

/// A frame's brightness as the viewer first shows it, 0 black to 1 white: greyscale
/// through [`displayed_gray`], colour weighted by `weights` (red, green, blue).
pub fn displayed_brightness(frame: &Frame, weights: [f32; 3]) -> Vec<f32> {
    match &frame.pixels {
        Pixels::Gray { .. } => displayed_gray(frame),
        Pixels::Rgba(rgba) => rgba
            .chunks_exact(4)
            .map(|p| {
                (weights[0] * f32::from(p[0])
                    + weights[1] * f32::from(p[1])
                    + weights[2] * f32::from(p[2]))
                    / 255.0
            })
            .collect(),
    }
}

/// A greyscale frame as the viewer first shows it, 0 black to 1 white: through the
/// file's window (or the full stored range) and MONOCHROME1 inverted. Empty for colour.
pub fn displayed_gray(frame: &Frame) -> Vec<f32> {
    let Pixels::Gray {
        stored,
        slope,
        intercept,
        invert,
    } = &frame.pixels
    else {
        return Vec::new();
    };
    let to_value = |s: u16| f32::from(s) * slope + intercept;
    let (low, high) = match frame.window {
        Some(win) if win.width > 0.0 => {
            (win.center - win.width / 2.0, win.center + win.width / 2.0)
        }
        _ => (to_value(0), to_value(u16::MAX)),
    };
    let span = (high - low).max(f32::EPSILON);
    stored
        .iter()
        .map(|&s| {
            let v = ((to_value(s) - low) / span).clamp(0.0, 1.0);
            if *invert { 1.0 - v } else { v }
        })
        .collect()
}
