//! BRISQUE (Mittal, Moorthy and Bovik 2012): a no-reference quality score, 0 best and
//! about 100 worst, from the statistics of locally normalised luminance, computed here
//! as the `brisque` package (PyPI, Apache-2.0) computes it, and judged by its trained
//! libsvm regression model (`svm.txt` and the feature ranges from that wheel).

use std::path::Path;

use sr_decode::Frame;

use crate::luma::{box_reduce, displayed_brightness};

/// Features per scale: the MSCN map's shape and variance, then shape, mean and left and
/// right variances of its four neighbour products.
const PER_SCALE: usize = 18;
const FEATURES: usize = 2 * PER_SCALE;
/// Frames larger than this on their longer side are box-averaged down first: BRISQUE's
/// statistics are for images of a few hundred to two thousand pixels, and cost grows
/// with area.
const MAX_SIDE: usize = 2048;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("BRISQUE model {file}: {reason}")]
pub struct BrisqueError {
    pub file: String,
    pub reason: String,
}

/// The trained support-vector regression and the feature ranges it was trained on.
#[derive(Debug, Clone)]
pub struct Brisque {
    gamma: f64,
    rho: f64,
    support: Vec<([f64; FEATURES], f64)>,
    min: [f64; FEATURES],
    max: [f64; FEATURES],
}

impl Brisque {
    /// Reads libsvm's text model and the ranges (`{"min_": [...], "max_": [...]}`).
    pub fn load(svm: &Path, ranges: &Path) -> Result<Self, BrisqueError> {
        let fail = |path: &Path, reason: String| BrisqueError {
            file: path.display().to_string(),
            reason,
        };
        let text = std::fs::read_to_string(svm).map_err(|e| fail(svm, e.to_string()))?;
        let (gamma, rho, support) = parse_svm(&text).map_err(|e| fail(svm, e))?;
        let ranges_text =
            std::fs::read_to_string(ranges).map_err(|e| fail(ranges, e.to_string()))?;
        let parsed: Ranges =
            serde_json::from_str(&ranges_text).map_err(|e| fail(ranges, e.to_string()))?;
        let array = |v: Vec<f64>| -> Result<[f64; FEATURES], BrisqueError> {
            v.try_into()
                .map_err(|_| fail(ranges, format!("{FEATURES} values per range expected")))
        };
        Ok(Self {
            gamma,
            rho,
            support,
            min: array(parsed.min)?,
            max: array(parsed.max)?,
        })
    }

    /// The score of a frame as displayed; `None` for a flat image, which has no
    /// statistics to judge.
    pub fn score(&self, frame: &Frame) -> Option<f32> {
        let (width, height, gray) = gray_of(frame);
        let mut features = [0.0f64; FEATURES];
        let full = features_at(&gray, width, height)?;
        let (half, hw, hh) = half_size(&gray, width, height);
        let small = features_at(&half, hw, hh)?;
        features[..PER_SCALE].copy_from_slice(&full);
        features[PER_SCALE..].copy_from_slice(&small);
        for (i, f) in features.iter_mut().enumerate() {
            *f = -1.0 + 2.0 / (self.max[i] - self.min[i]) * (*f - self.min[i]);
        }
        let value: f64 = self
            .support
            .iter()
            .map(|(sv, coef)| {
                let distance: f64 = sv.iter().zip(&features).map(|(a, b)| (a - b).powi(2)).sum();
                coef * (-self.gamma * distance).exp()
            })
            .sum::<f64>()
            - self.rho;
        value.is_finite().then_some(value as f32)
    }
}

#[derive(serde::Deserialize)]
struct Ranges {
    #[serde(rename = "min_")]
    min: Vec<f64>,
    #[serde(rename = "max_")]
    max: Vec<f64>,
}

type SupportVectors = Vec<([f64; FEATURES], f64)>;

fn parse_svm(text: &str) -> Result<(f64, f64, SupportVectors), String> {
    let mut lines = text.lines();
    let (mut gamma, mut rho) = (None, None);
    for line in lines.by_ref() {
        let mut words = line.split_whitespace();
        match (words.next(), words.next()) {
            (Some("svm_type"), Some(kind)) if kind != "epsilon_svr" => {
                return Err(format!("svm_type {kind}; an epsilon_svr model is expected"));
            }
            (Some("kernel_type"), Some(kind)) if kind != "rbf" => {
                return Err(format!("kernel_type {kind}; an rbf kernel is expected"));
            }
            (Some("gamma"), Some(v)) => gamma = v.parse().ok(),
            (Some("rho"), Some(v)) => rho = v.parse().ok(),
            (Some("SV"), None) => break,
            _ => {}
        }
    }
    let (Some(gamma), Some(rho)) = (gamma, rho) else {
        return Err("gamma or rho missing".into());
    };
    let mut support = Vec::new();
    for (n, line) in lines.enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let bad = || format!("support vector {} is malformed", n + 1);
        let mut words = line.split_whitespace();
        let coef: f64 = words.next().and_then(|w| w.parse().ok()).ok_or_else(bad)?;
        let mut sv = [0.0; FEATURES];
        for word in words {
            let (index, value) = word.split_once(':').ok_or_else(bad)?;
            let index: usize = index.parse().map_err(|_| bad())?;
            let slot = index
                .checked_sub(1)
                .and_then(|i| sv.get_mut(i))
                .ok_or_else(bad)?;
            *slot = value.parse().map_err(|_| bad())?;
        }
        support.push((sv, coef));
    }
    if support.is_empty() {
        return Err("no support vectors".into());
    }
    Ok((gamma, rho, support))
}

/// Greyscale in 0..1 (scikit-image's rgb2gray weights for colour), reduced by an
/// integer factor when larger than [`MAX_SIDE`].
fn gray_of(frame: &Frame) -> (usize, usize, Vec<f64>) {
    // scikit-image's rgb2gray weights, as the reference implementation converts.
    let full = displayed_brightness(frame, [0.2125, 0.7154, 0.0721]);
    let (w, h, reduced) = box_reduce(frame.width as usize, frame.height as usize, &full, MAX_SIDE);
    (w, h, reduced.into_iter().map(f64::from).collect())
}

/// Half size by OpenCV's bicubic resize (a = -0.75, replicated border), as the
/// reference implementation takes its second scale.
fn half_size(image: &[f64], width: usize, height: usize) -> (Vec<f64>, usize, usize) {
    const WEIGHTS: [f64; 4] = [-0.09375, 0.59375, 0.59375, -0.09375];
    let (hw, hh) = (width.div_ceil(2), height.div_ceil(2));
    let tap = |d: usize, k: usize, len: usize| (2 * d + k).saturating_sub(1).min(len - 1);
    let mut rows = vec![0.0; hw * height];
    for y in 0..height {
        for x in 0..hw {
            rows[y * hw + x] = (0..4)
                .map(|k| WEIGHTS[k] * image[y * width + tap(x, k, width)])
                .sum();
        }
    }
    let mut out = vec![0.0; hw * hh];
    for y in 0..hh {
        for x in 0..hw {
            out[y * hw + x] = (0..4)
                .map(|k| WEIGHTS[k] * rows[tap(y, k, height) * hw + x])
                .sum();
        }
    }
    (out, hw, hh)
}

/// The 18 features of one scale, or `None` when the image is flat.
fn features_at(image: &[f64], width: usize, height: usize) -> Option<[f64; PER_SCALE]> {
    if width < 8 || height < 8 {
        return None;
    }
    let mscn = mscn(image, width, height);
    let mut out = [0.0; PER_SCALE];
    let (alpha, _, left, right) = aggd_fit(mscn.iter().copied())?;
    out[0] = alpha;
    out[1] = (left * left + right * right) / 2.0;
    let at = |x: usize, y: usize| mscn[y * width + x];
    let pairs: [(isize, isize); 4] = [(1, 0), (0, 1), (1, 1), (-1, 1)];
    for (p, (dx, dy)) in pairs.into_iter().enumerate() {
        let products = (0..height - dy as usize).flat_map(|y| {
            let xs = if dx < 0 {
                1..width
            } else {
                0..width - dx as usize
            };
            xs.map(move |x| at(x, y) * at((x as isize + dx) as usize, y + dy as usize))
        });
        let (alpha, mean, left, right) = aggd_fit(products)?;
        out[2 + p * 4..6 + p * 4].copy_from_slice(&[alpha, mean, left * left, right * right]);
    }
    Some(out)
}

/// Mean-subtracted contrast-normalised coefficients: a 7×7 Gaussian (σ 7/6) local mean
/// and deviation, zero outside the image, as scipy's `convolve2d(..., 'same')`.
fn mscn(image: &[f64], width: usize, height: usize) -> Vec<f64> {
    let sigma = 7.0 / 6.0;
    let kernel: Vec<f64> = (-3..=3)
        .map(|i: i32| (-(f64::from(i * i)) / (2.0 * sigma * sigma)).exp())
        .collect();
    let total: f64 = kernel.iter().sum();
    let kernel: Vec<f64> = kernel.iter().map(|k| k / total).collect();
    let blur = |values: &[f64]| {
        let mut rows = vec![0.0; values.len()];
        for y in 0..height {
            for x in 0..width {
                rows[y * width + x] = (0..7)
                    .filter_map(|k| {
                        let sx = (x + k).checked_sub(3).filter(|&s| s < width)?;
                        Some(kernel[k] * values[y * width + sx])
                    })
                    .sum();
            }
        }
        let mut out = vec![0.0; values.len()];
        for y in 0..height {
            for x in 0..width {
                out[y * width + x] = (0..7)
                    .filter_map(|k| {
                        let sy = (y + k).checked_sub(3).filter(|&s| s < height)?;
                        Some(kernel[k] * rows[sy * width + x])
                    })
                    .sum();
            }
        }
        out
    };
    let mean = blur(image);
    let squares: Vec<f64> = image.iter().map(|v| v * v).collect();
    let mean_of_squares = blur(&squares);
    image
        .iter()
        .zip(&mean)
        .zip(&mean_of_squares)
        .map(|((v, mu), sq)| (v - mu) / ((mu * mu - sq).abs().sqrt() + 1.0 / 255.0))
        .collect()
}

/// Fits an asymmetric generalised Gaussian by moment matching: shape, mean, and the
/// left and right deviations.
fn aggd_fit(values: impl Iterator<Item = f64>) -> Option<(f64, f64, f64, f64)> {
    let (mut n, mut abs_sum, mut sq_sum) = (0usize, 0.0, 0.0);
    let (mut left_n, mut left_sq, mut right_n, mut right_sq) = (0usize, 0.0, 0usize, 0.0);
    for v in values {
        n += 1;
        abs_sum += v.abs();
        sq_sum += v * v;
        if v < 0.0 {
            left_n += 1;
            left_sq += v * v;
        } else {
            right_n += 1;
            right_sq += v * v;
        }
    }
    if n == 0 || left_n == 0 || right_n == 0 || sq_sum == 0.0 || right_sq == 0.0 {
        return None;
    }
    let (left, right) = (
        (left_sq / left_n as f64).sqrt(),
        (right_sq / right_n as f64).sqrt(),
    );
    let gamma = left / right;
    let r_hat = (abs_sum / n as f64).powi(2) / (sq_sum / n as f64);
    let big_r = r_hat * (gamma.powi(3) + 1.0) * (gamma + 1.0) / (gamma * gamma + 1.0).powi(2);
    let alpha = solve_shape(big_r)?;
    let g = libm::tgamma;
    let constant = (g(1.0 / alpha) / g(3.0 / alpha)).sqrt();
    let mean = (right - left) * constant * (g(2.0 / alpha) / g(1.0 / alpha));
    Some((alpha, mean, left, right))
}

/// The shape α with Γ(2/α)² / (Γ(1/α) Γ(3/α)) = `target`; that ratio rises with α,
/// so bisection finds the one root.
fn solve_shape(target: f64) -> Option<f64> {
    let g = libm::tgamma;
    let phi = |a: f64| g(2.0 / a).powi(2) / (g(1.0 / a) * g(3.0 / a));
    let (mut low, mut high) = (0.05f64, 20.0f64);
    if !(phi(low)..phi(high)).contains(&target) {
        return None;
    }
    for _ in 0..100 {
        let mid = (low + high) / 2.0;
        if phi(mid) < target {
            low = mid;
        } else {
            high = mid;
        }
    }
    Some((low + high) / 2.0)
}
