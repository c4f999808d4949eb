//! Where the text lines are: PP-OCR's DB detector gives each pixel a probability of
//! being inside a line's shrunk core; the cores are thresholded, traced, boxed and
//! grown back to the line's full size.

use image::imageops::{self, FilterType};
use image::{GrayImage, Luma, RgbImage};
use imageproc::contours::{BorderType, find_contours};
use imageproc::point::Point;
use sr_models::{LoadedModel, ModelError};

use crate::geometry::Quad;
use crate::tensor::{Planes, mismatch, scores_output};

/// DB post-processing, as PP-OCR tunes it: a box's mean probability must reach
/// `BOX_THRESHOLD`; boxes grow by `UNCLIP_RATIO`; slivers below `MIN_SIDE` are noise.
const BOX_THRESHOLD: f32 = 0.5;
const UNCLIP_RATIO: f32 = 1.6;
const MIN_SIDE: f32 = 3.0;
const MAX_CANDIDATES: usize = 1000;

/// The detector's input side is a multiple of this.
const STRIDE: u32 = 32;

/// The size the page is shown to the detector at: its longer side at most the
/// manifest's `input.width`, both sides multiples of 32.
fn detector_size(width: u32, height: u32, limit: u32) -> (u32, u32) {
    let scale = (limit as f32 / width.max(height) as f32).min(1.0);
    let side = |v: u32| {
        let scaled = (v as f32 * scale / STRIDE as f32).round() as u32 * STRIDE;
        scaled.max(STRIDE)
    };
    (side(width), side(height))
}

/// Text-line boxes on `page`, in page pixels, top to bottom.
pub(crate) fn detect(model: &LoadedModel, page: &RgbImage) -> Result<Vec<Quad>, ModelError> {
    let manifest = model.manifest();
    let planes = Planes::new(manifest)?;
    let (w, h) = detector_size(page.width(), page.height(), manifest.input.width);
    let resized = imageops::resize(page, w, h, FilterType::Triangle);
    let mut input = vec![planes.zero(); 3 * (w * h) as usize];
    planes.write(&resized, w as usize, &mut input);
    let outputs = model.run_shaped([1, 3, i64::from(h), i64::from(w)], &input)?;
    let map = scores_output(manifest, &outputs, "probability map")?;
    if map.shape[..] != [1, 1, i64::from(h), i64::from(w)] {
        return Err(mismatch(
            manifest,
            &format!(
                "its probability map has shape {:?} for a {w}×{h} input",
                map.shape
            ),
        ));
    }
    let threshold = manifest.thresholds.flag_at;
    let sx = page.width() as f32 / w as f32;
    let sy = page.height() as f32 / h as f32;
    let mut boxes: Vec<Quad> = cores(&map.values, w, h, threshold)
        .into_iter()
        .filter_map(|quad| {
            let grown = quad.unclip(UNCLIP_RATIO);
            (grown.height().min(grown.width()) >= MIN_SIDE + 2.0).then_some(grown)
        })
        .map(|quad| {
            quad.scaled(sx, sy)
                .clamped(page.width() as f32, page.height() as f32)
        })
        .filter(|quad| quad.width() > 3.0 && quad.height() > 3.0)
        .collect();
    sort_for_reading(&mut boxes);
    Ok(boxes)
}

/// The boxes around each thresholded core whose mean probability is high enough.
fn cores(probabilities: &[f32], w: u32, h: u32, threshold: f32) -> Vec<Quad> {
    let at = |x: u32, y: u32| probabilities[(y * w + x) as usize] > threshold;
    // A 2 × 2 dilation joins cores split by a single pixel.
    let bitmap = GrayImage::from_fn(w, h, |x, y| {
        let on = at(x, y)
            || (x > 0 && at(x - 1, y))
            || (y > 0 && at(x, y - 1))
            || (x > 0 && y > 0 && at(x - 1, y - 1));
        Luma([if on { 255 } else { 0 }])
    });
    find_contours::<i32>(&bitmap)
        .into_iter()
        .filter(|c| c.border_type == BorderType::Outer)
        .take(MAX_CANDIDATES)
        .filter_map(|contour| {
            let points: Vec<Point<f32>> = contour
                .points
                .iter()
                .map(|p| Point::new(p.x as f32, p.y as f32))
                .collect();
            let quad = Quad::min_area(&points);
            if quad.height().min(quad.width()) < MIN_SIDE {
                return None;
            }
            (mean_inside(&quad, probabilities, w, h) >= BOX_THRESHOLD).then_some(quad)
        })
        .collect()
}

/// The mean probability over the pixels inside `quad`.
fn mean_inside(quad: &Quad, probabilities: &[f32], w: u32, h: u32) -> f32 {
    let [x0, y0, x1, y1] = quad.bounds();
    let (x0, y0) = (x0.floor().max(0.0) as u32, y0.floor().max(0.0) as u32);
    let (x1, y1) = ((x1.ceil() as u32).min(w - 1), (y1.ceil() as u32).min(h - 1));
    let (mut sum, mut count) = (0.0f32, 0u32);
    for y in y0..=y1 {
        for x in x0..=x1 {
            if quad.contains(x as f32, y as f32) {
                sum += probabilities[(y * w + x) as usize];
                count += 1;
            }
        }
    }
    if count == 0 { 0.0 } else { sum / count as f32 }
}

/// Top to bottom; boxes whose tops are within a few pixels read left to right.
fn sort_for_reading(boxes: &mut [Quad]) {
    boxes.sort_by(|a, b| {
        let (ta, tb) = (a.0[0], b.0[0]);
        ta.y.total_cmp(&tb.y).then(ta.x.total_cmp(&tb.x))
    });
    // One pass of neighbour swaps, as PP-OCR does: same line (within 10 px), left first.
    for i in 0..boxes.len().saturating_sub(1) {
        for j in (0..=i).rev() {
            let (a, b) = (boxes[j].0[0], boxes[j + 1].0[0]);
            if (b.y - a.y).abs() < 10.0 && b.x < a.x {
                boxes.swap(j, j + 1);
            } else {
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detector_sides_are_multiples_of_32_within_the_limit() {
        assert_eq!(detector_size(1700, 2200, 1280), (992, 1280));
        assert_eq!(detector_size(200, 100, 1280), (192, 96));
        assert_eq!(detector_size(10, 10, 1280), (32, 32));
    }

    #[test]
    fn one_core_becomes_one_grown_box() {
        let (w, h) = (64u32, 32u32);
        let mut map = vec![0.0f32; (w * h) as usize];
        for y in 12..18 {
            for x in 10..50 {
                map[(y * w + x) as usize] = 0.9;
            }
        }
        let boxes = cores(&map, w, h, 0.3);
        assert_eq!(boxes.len(), 1);
        let grown = boxes[0].unclip(UNCLIP_RATIO);
        assert!(grown.width() > 40.0 && grown.height() > 6.0);
    }
}
