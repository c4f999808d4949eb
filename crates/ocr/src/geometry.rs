//! Text boxes as four corners, read in reading order: top-left, top-right,
//! bottom-right, bottom-left. A detected line may lean (a phone photo, a skewed scan),
//! so boxes are quadrilaterals rather than axis-aligned rectangles.

use imageproc::point::Point;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, TS)]
pub struct Corner {
    pub x: f32,
    pub y: f32,
}

impl Corner {
    fn distance(self, other: Corner) -> f32 {
        (self.x - other.x).hypot(self.y - other.y)
    }
}

/// Four corners: top-left, top-right, bottom-right, bottom-left.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, TS)]
pub struct Quad(pub [Corner; 4]);

impl Quad {
    /// The smallest rotated rectangle around `points` (rotating calipers over their
    /// convex hull, in floating point: imageproc's `min_area_rect` rounds corners to
    /// whole pixels, which shears small boxes), its corners in reading order.
    pub(crate) fn min_area(points: &[Point<f32>]) -> Quad {
        let hull = imageproc::geometry::convex_hull(points.to_vec());
        let mut best = (f32::MAX, [Corner { x: 0.0, y: 0.0 }; 4]);
        for (i, a) in hull.iter().enumerate() {
            let b = hull[(i + 1) % hull.len()];
            let (dx, dy) = (b.x - a.x, b.y - a.y);
            let len = dx.hypot(dy);
            if len == 0.0 && hull.len() > 1 {
                continue;
            }
            // Axes along this hull edge and across it.
            let (ux, uy) = if len == 0.0 {
                (1.0, 0.0)
            } else {
                (dx / len, dy / len)
            };
            let (vx, vy) = (-uy, ux);
            let (mut u0, mut u1, mut v0, mut v1) = (f32::MAX, f32::MIN, f32::MAX, f32::MIN);
            for p in &hull {
                let (u, v) = (p.x * ux + p.y * uy, p.x * vx + p.y * vy);
                (u0, u1, v0, v1) = (u0.min(u), u1.max(u), v0.min(v), v1.max(v));
            }
            let area = (u1 - u0) * (v1 - v0);
            if area < best.0 {
                let at = |u: f32, v: f32| Corner {
                    x: u * ux + v * vx,
                    y: u * uy + v * vy,
                };
                best = (area, [at(u0, v0), at(u1, v0), at(u1, v1), at(u0, v1)]);
            }
        }
        let mut corners = best.1;
        // The two leftmost corners are the left edge; of each pair the upper one is on
        // top (the rule PP-OCR's post-processing uses, so boxes read left to right).
        corners.sort_by(|a, b| a.x.total_cmp(&b.x));
        let (left, right) = corners.split_at_mut(2);
        left.sort_by(|a, b| a.y.total_cmp(&b.y));
        right.sort_by(|a, b| a.y.total_cmp(&b.y));
        Quad([left[0], right[0], right[1], left[1]])
    }

    pub fn width(&self) -> f32 {
        let [tl, tr, br, bl] = self.0;
        tl.distance(tr).max(bl.distance(br))
    }

    pub fn height(&self) -> f32 {
        let [tl, tr, br, bl] = self.0;
        tl.distance(bl).max(tr.distance(br))
    }

    fn area(&self) -> f32 {
        let c = &self.0;
        let twice: f32 = (0..4)
            .map(|i| {
                let (a, b) = (c[i], c[(i + 1) % 4]);
                a.x * b.y - b.x * a.y
            })
            .sum();
        twice.abs() / 2.0
    }

    fn perimeter(&self) -> f32 {
        (0..4)
            .map(|i| self.0[i].distance(self.0[(i + 1) % 4]))
            .sum()
    }

    /// The box grown on every side by `area × ratio / perimeter`: the detector's map
    /// marks the shrunk core of each line (DB's "unclip").
    pub(crate) fn unclip(&self, ratio: f32) -> Quad {
        let perimeter = self.perimeter();
        if perimeter <= 0.0 {
            return *self;
        }
        let d = self.area() * ratio / perimeter;
        let [tl, tr, br, bl] = self.0;
        let unit = |a: Corner, b: Corner| {
            let len = a.distance(b).max(f32::EPSILON);
            ((b.x - a.x) / len, (b.y - a.y) / len)
        };
        // Along the top edge and down the left edge.
        let (ux, uy) = unit(tl, tr);
        let (vx, vy) = unit(tl, bl);
        let shift = |c: Corner, su: f32, sv: f32| Corner {
            x: c.x + d * (su * ux + sv * vx),
            y: c.y + d * (su * uy + sv * vy),
        };
        Quad([
            shift(tl, -1.0, -1.0),
            shift(tr, 1.0, -1.0),
            shift(br, 1.0, 1.0),
            shift(bl, -1.0, 1.0),
        ])
    }

    pub(crate) fn scaled(&self, sx: f32, sy: f32) -> Quad {
        Quad(self.0.map(|c| Corner {
            x: c.x * sx,
            y: c.y * sy,
        }))
    }

    pub(crate) fn clamped(&self, width: f32, height: f32) -> Quad {
        Quad(self.0.map(|c| Corner {
            x: c.x.clamp(0.0, width),
            y: c.y.clamp(0.0, height),
        }))
    }

    /// Whether `(x, y)` lies inside (the quad is convex).
    pub(crate) fn contains(&self, x: f32, y: f32) -> bool {
        let c = &self.0;
        let mut sign = 0.0f32;
        for i in 0..4 {
            let (a, b) = (c[i], c[(i + 1) % 4]);
            let cross = (b.x - a.x) * (y - a.y) - (b.y - a.y) * (x - a.x);
            if cross != 0.0 {
                if sign != 0.0 && cross.signum() != sign {
                    return false;
                }
                sign = cross.signum();
            }
        }
        true
    }

    /// The axis-aligned bounds: x0, y0, x1, y1.
    pub fn bounds(&self) -> [f32; 4] {
        self.0.iter().fold(
            [f32::MAX, f32::MAX, f32::MIN, f32::MIN],
            |[x0, y0, x1, y1], c| [x0.min(c.x), y0.min(c.y), x1.max(c.x), y1.max(c.y)],
        )
    }

    /// The lean of the top edge, in degrees (positive: clockwise on screen).
    pub fn angle(&self) -> f32 {
        let [tl, tr, ..] = self.0;
        (tr.y - tl.y).atan2(tr.x - tl.x).to_degrees()
    }

    /// The part of the box from `u0` to `u1` across it (0..1), top to bottom: where some
    /// of a line's words are.
    pub fn span(&self, u0: f32, u1: f32) -> Quad {
        let corner = |(x, y): (f32, f32)| Corner { x, y };
        Quad([
            corner(self.at(u0, 0.0)),
            corner(self.at(u1, 0.0)),
            corner(self.at(u1, 1.0)),
            corner(self.at(u0, 1.0)),
        ])
    }

    /// The point at `(u, v)` in 0..1 across and down the box.
    pub(crate) fn at(&self, u: f32, v: f32) -> (f32, f32) {
        let [tl, tr, br, bl] = self.0;
        let top = (tl.x + (tr.x - tl.x) * u, tl.y + (tr.y - tl.y) * u);
        let bottom = (bl.x + (br.x - bl.x) * u, bl.y + (br.y - bl.y) * u);
        (
            top.0 + (bottom.0 - top.0) * v,
            top.1 + (bottom.1 - top.1) * v,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rect(x0: f32, y0: f32, x1: f32, y1: f32) -> Quad {
        Quad([
            Corner { x: x0, y: y0 },
            Corner { x: x1, y: y0 },
            Corner { x: x1, y: y1 },
            Corner { x: x0, y: y1 },
        ])
    }

    #[test]
    fn unclip_grows_each_side_by_area_over_perimeter() {
        // 100 × 10: area 1000, perimeter 220, ratio 1.6 → 7.27 on each side.
        let grown = rect(0.0, 0.0, 100.0, 10.0).unclip(1.6);
        let d = 1000.0 * 1.6 / 220.0;
        assert!((grown.width() - (100.0 + 2.0 * d)).abs() < 1e-3);
        assert!((grown.height() - (10.0 + 2.0 * d)).abs() < 1e-3);
    }

    #[test]
    fn min_area_orders_corners_for_reading() {
        let points: Vec<Point<f32>> = [(10.0, 20.0), (60.0, 25.0), (59.0, 35.0), (9.0, 30.0)]
            .into_iter()
            .map(|(x, y)| Point::new(x, y))
            .collect();
        let quad = Quad::min_area(&points);
        let [tl, tr, br, bl] = quad.0;
        assert!(tl.x < tr.x && bl.x < br.x && tl.y < bl.y && tr.y < br.y);
        assert!(quad.angle() > 0.0 && quad.angle() < 10.0);
        assert!(quad.contains(35.0, 27.0) && !quad.contains(35.0, 10.0));
        // A rectangle: its edges meet at right angles, to float precision.
        let [tl, tr, _, bl] = quad.0;
        let dot = (tr.x - tl.x) * (bl.x - tl.x) + (tr.y - tl.y) * (bl.y - tl.y);
        assert!(dot.abs() < 1e-2, "{quad:?}");
    }
}
