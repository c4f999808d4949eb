//! BRISQUE with the brisque wheel's trained model (fetched by make into
//! models/capture-quality/): the scores of the reference Python package, and distorted
//! copies scoring worse than their originals.

mod common;

use std::path::PathBuf;

use common::photo;
use sr_assess::{Brisque, Capture};
use sr_decode::{Frame, Pixels};

fn brisque() -> Brisque {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models/capture-quality");
    Brisque::load(
        &dir.join("brisque-svm.txt"),
        &dir.join("brisque-ranges.json"),
    )
    .expect("make fetches the BRISQUE model")
}

/// Scores from the reference implementation: `brisque` 0.2.0 (PyPI) with numpy 1.26,
/// scipy 1.13, opencv-python-headless 4.10 and libsvm-official 3.37, on the same files
/// (`BRISQUE().score(np.array(Image.open(f).convert("RGB")))`). The JPEGs differ by the
/// decoder's rounding, hence the tolerance.
const REFERENCE: [(&str, f32); 5] = [
    ("retina.png", 57.889),
    ("retina-blurred.jpg", 80.210),
    ("ihc.png", 29.574),
    ("ihc-blurred.jpg", 78.650),
    ("microaneurysms.png", 51.023),
];

#[test]
fn scores_match_the_reference_package() {
    let model = brisque();
    for (name, expected) in REFERENCE {
        let score = model.score(&photo(name)).expect("a score");
        assert!(
            (score - expected).abs() < 0.5,
            "{name}: {score} vs {expected}"
        );
    }
}

#[test]
fn blurred_and_noisy_copies_score_worse() {
    let model = brisque();
    let sharp = photo("ihc.png");
    let score = |frame: &Frame| model.score(frame).expect("a score");
    assert!(score(&photo("ihc-blurred.jpg")) > score(&sharp) + 20.0);
    let Pixels::Rgba(rgba) = &sharp.pixels else {
        panic!("colour")
    };
    // Deterministic noise of ±40 grey levels.
    let mut state = 12345u32;
    let noisy: Vec<u8> = rgba
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            if i % 4 == 3 {
                return v;
            }
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (i32::from(v) + (state >> 24) as i32 * 80 / 255 - 40).clamp(0, 255) as u8
        })
        .collect();
    let noisy = Frame {
        pixels: Pixels::Rgba(noisy),
        ..sharp.clone()
    };
    assert!(
        score(&noisy) > score(&sharp) + 20.0,
        "{} vs {}",
        score(&noisy),
        score(&sharp)
    );
}

#[test]
fn a_flat_image_has_no_score() {
    let flat = Frame {
        width: 64,
        height: 64,
        pixels: Pixels::Rgba(vec![128; 64 * 64 * 4]),
        window: None,
    };
    assert_eq!(brisque().score(&flat), None);
}

#[test]
fn the_installed_check_flags_a_distorted_photo_but_not_a_modality_image() {
    let check = common::installed_check();
    let distorted = |frame: &Frame, capture| {
        check
            .assess(frame, capture)
            .flags
            .iter()
            .any(|f| f.issue == sr_assess::QualityIssue::Distorted)
    };
    assert!(!distorted(&photo("ihc.png"), Capture::Photograph));
    assert!(distorted(&photo("ihc-blurred.jpg"), Capture::Photograph));
    let Pixels::Rgba(rgba) = photo("ihc-blurred.jpg").pixels else {
        panic!("colour")
    };
    let frame = photo("ihc-blurred.jpg");
    let grey = Frame {
        pixels: Pixels::Gray {
            stored: rgba
                .chunks_exact(4)
                .map(|p| u16::from(p[1]) * 257)
                .collect(),
            slope: 1.0,
            intercept: 0.0,
            invert: false,
        },
        ..frame
    };
    let report = check.assess(&grey, Capture::Modality);
    assert!(report.brisque.is_some() && !distorted(&grey, Capture::Modality));
}

#[test]
fn a_malformed_model_file_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let ranges = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../models/capture-quality/brisque-ranges.json");
    for (name, text) in [
        (
            "not-svr.txt",
            "svm_type c_svc\nkernel_type rbf\ngamma 0.05\nrho 1\nSV\n1 1:0.5\n",
        ),
        (
            "truncated.txt",
            "svm_type epsilon_svr\nkernel_type rbf\ngamma 0.05\nrho 1\nSV\n1 1:0.5 2:x\n",
        ),
        ("empty.txt", ""),
    ] {
        let svm = dir.path().join(name);
        std::fs::write(&svm, text).unwrap();
        let err = Brisque::load(&svm, &ranges).expect_err("refused");
        assert!(err.to_string().contains(name), "{err}");
    }
    let svm = dir.path().join("not-svr.txt");
    let bad_ranges = dir.path().join("ranges.json");
    std::fs::write(&bad_ranges, r#"{"min_": [1, 2], "max_": [3, 4]}"#).unwrap();
    std::fs::write(
        &svm,
        "svm_type epsilon_svr\nkernel_type rbf\ngamma 0.05\nrho 1\nSV\n1 1:0.5\n",
    )
    .unwrap();
    let err = Brisque::load(&svm, &bad_ranges).expect_err("refused");
    assert!(err.to_string().contains("36 values"), "{err}");
}
