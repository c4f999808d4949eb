//! A text line cut out of the page and straightened: the box's corners are mapped onto
//! an upright strip of the recogniser's height, so leaning lines read level.

use image::{Rgb, RgbImage};

use crate::geometry::Quad;

/// Longest strip cut, in pixels at the recogniser's height: a line longer than 50
/// times its height is a rule or a border, not text.
const MAX_WIDTH_RATIO: f32 = 50.0;

/// Boxes this much taller than wide hold a vertical line of text, read turned.
const VERTICAL_RATIO: f32 = 1.5;

/// The line inside `quad`, `height` pixels high, its width keeping the box's aspect.
pub(crate) fn strip(page: &RgbImage, quad: &Quad, height: u32) -> RgbImage {
    let [tl, tr, br, bl] = quad.0;
    let quad = if quad.height() >= quad.width() * VERTICAL_RATIO {
        Quad([tr, br, bl, tl])
    } else {
        *quad
    };
    let ratio = (quad.width() / quad.height().max(1.0)).min(MAX_WIDTH_RATIO);
    let width = ((height as f32 * ratio).round() as u32).max(1);
    RgbImage::from_fn(width, height, |x, y| {
        let u = (x as f32 + 0.5) / width as f32;
        let v = (y as f32 + 0.5) / height as f32;
        let (px, py) = quad.at(u, v);
        bilinear(page, px - 0.5, py - 0.5)
    })
}

/// The page's colour at a fractional position; edges repeat outwards.
fn bilinear(page: &RgbImage, x: f32, y: f32) -> Rgb<u8> {
    let (w, h) = (page.width() as i64, page.height() as i64);
    let (x0, y0) = (x.floor(), y.floor());
    let (fx, fy) = (x - x0, y - y0);
    let pixel =
        |xi: i64, yi: i64| page.get_pixel(xi.clamp(0, w - 1) as u32, yi.clamp(0, h - 1) as u32);
    let (x0, y0) = (x0 as i64, y0 as i64);
    let (a, b, c, d) = (
        pixel(x0, y0),
        pixel(x0 + 1, y0),
        pixel(x0, y0 + 1),
        pixel(x0 + 1, y0 + 1),
    );
    Rgb(std::array::from_fn(|i| {
        let top = f32::from(a[i]) * (1.0 - fx) + f32::from(b[i]) * fx;
        let bottom = f32::from(c[i]) * (1.0 - fx) + f32::from(d[i]) * fx;
        (top * (1.0 - fy) + bottom * fy).round() as u8
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::Corner;

    #[test]
    fn a_level_box_becomes_a_strip_of_the_same_aspect() {
        let page = RgbImage::from_fn(200, 100, |x, _| Rgb([x as u8, 0, 0]));
        let quad = Quad([
            Corner { x: 20.0, y: 10.0 },
            Corner { x: 120.0, y: 10.0 },
            Corner { x: 120.0, y: 30.0 },
            Corner { x: 20.0, y: 30.0 },
        ]);
        let line = strip(&page, &quad, 48);
        assert_eq!((line.width(), line.height()), (240, 48));
        // Left edge near x = 20, right edge near x = 120 of the page.
        assert!(line.get_pixel(0, 24)[0].abs_diff(20) <= 1);
        assert!(line.get_pixel(239, 24)[0].abs_diff(120) <= 1);
    }
}
