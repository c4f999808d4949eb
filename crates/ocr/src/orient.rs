//! Whether a page lies on its side or upside down: a scan fed in sideways, a phone
//! photo without orientation data. The page is read turned upright, and its lines'
//! boxes are turned back onto the page as it is shown.

use image::RgbImage;
use image::imageops::{self, FilterType};
use serde::{Deserialize, Serialize};
use sr_models::{LoadedModel, ModelError};
use ts_rs::TS;

use crate::geometry::{Corner, Quad};
use crate::tensor::{Planes, best, mismatch, scores_output};

/// How far a page was turned clockwise from upright.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
pub enum Turn {
    #[default]
    #[serde(rename = "0")]
    Upright,
    #[serde(rename = "90")]
    Right,
    #[serde(rename = "180")]
    UpsideDown,
    #[serde(rename = "270")]
    Left,
}

impl Turn {
    fn from_label(label: &str) -> Option<Self> {
        match label {
            "0" => Some(Turn::Upright),
            "90" => Some(Turn::Right),
            "180" => Some(Turn::UpsideDown),
            "270" => Some(Turn::Left),
            _ => None,
        }
    }

    /// The page turned upright.
    pub(crate) fn upright(self, page: &RgbImage) -> Option<RgbImage> {
        match self {
            Turn::Upright => None,
            Turn::Right => Some(imageops::rotate270(page)),
            Turn::UpsideDown => Some(imageops::rotate180(page)),
            Turn::Left => Some(imageops::rotate90(page)),
        }
    }

    /// A box on the upright page, in fractions of it, as it lies on the page shown.
    pub(crate) fn onto_page(self, quad: Quad) -> Quad {
        let turn = |c: Corner| match self {
            Turn::Upright => c,
            Turn::Right => Corner {
                x: 1.0 - c.y,
                y: c.x,
            },
            Turn::UpsideDown => Corner {
                x: 1.0 - c.x,
                y: 1.0 - c.y,
            },
            Turn::Left => Corner {
                x: c.y,
                y: 1.0 - c.x,
            },
        };
        Quad(quad.0.map(turn))
    }
}

/// The page's turn, when the model is sure enough of one (the manifest's
/// `thresholds.flag_at`; its `flag_label` is the upright one). The model looks at the
/// middle of the page, its short side scaled to 256 and cropped to its input size, as
/// it was trained.
pub(crate) fn turn_of(model: &LoadedModel, page: &RgbImage) -> Result<Turn, ModelError> {
    let manifest = model.manifest();
    let planes = Planes::new(manifest)?;
    let (w, h) = (manifest.input.width, manifest.input.height);
    let short = page.width().min(page.height()).max(1) as f32;
    let scale = SHORT_SIDE / short;
    let scaled = imageops::resize(
        page,
        ((page.width() as f32 * scale).round() as u32).max(w),
        ((page.height() as f32 * scale).round() as u32).max(h),
        FilterType::Triangle,
    );
    let middle = imageops::crop_imm(
        &scaled,
        (scaled.width() - w) / 2,
        (scaled.height() - h) / 2,
        w,
        h,
    )
    .to_image();
    let mut input = vec![planes.zero(); (3 * w * h) as usize];
    planes.write(&middle, w as usize, &mut input);
    let outputs = model.run(&input)?;
    let scores = scores_output(manifest, &outputs, "scores")?;
    if scores.values.len() != manifest.labels.len() {
        return Err(mismatch(
            manifest,
            &format!(
                "it gave {} scores for {} labels",
                scores.values.len(),
                manifest.labels.len()
            ),
        ));
    }
    let (index, score) = best(&scores.values);
    let turn = Turn::from_label(&manifest.labels[index])
        .ok_or_else(|| mismatch(manifest, "its labels are not 0, 90, 180 and 270"))?;
    Ok(if score >= manifest.thresholds.flag_at {
        turn
    } else {
        Turn::Upright
    })
}

/// The short side the model's training scaled pages to before cropping.
const SHORT_SIDE: f32 = 256.0;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_box_read_upright_lands_where_the_turned_page_shows_it() {
        // A box in the top-left corner of the upright page.
        let quad = Quad([
            Corner { x: 0.1, y: 0.1 },
            Corner { x: 0.3, y: 0.1 },
            Corner { x: 0.3, y: 0.2 },
            Corner { x: 0.1, y: 0.2 },
        ]);
        // Turned clockwise, the page's top-left corner is at the top right.
        let right = Turn::Right.onto_page(quad);
        assert_eq!(right.0[0], Corner { x: 0.9, y: 0.1 });
        assert_eq!(right.0[1], Corner { x: 0.9, y: 0.3 });
        let down = Turn::UpsideDown.onto_page(quad);
        assert_eq!(down.0[0], Corner { x: 0.9, y: 0.9 });
        let left = Turn::Left.onto_page(quad);
        assert_eq!(left.0[0], Corner { x: 0.1, y: 0.9 });
    }

    #[test]
    fn turning_upright_undoes_the_turn() {
        let mut page = RgbImage::new(4, 2);
        page.put_pixel(0, 0, image::Rgb([255, 0, 0]));
        // Turned clockwise, the page is 2 wide and 4 high, its top-left at the top right.
        let turned = imageops::rotate90(&page);
        let upright = Turn::Right.upright(&turned).unwrap();
        assert_eq!(upright.dimensions(), (4, 2));
        assert_eq!(upright.get_pixel(0, 0), &image::Rgb([255, 0, 0]));
    }
}
