//! The demo photos the assessment tests read (scikit-image's retina, IHC and
//! microaneurysm images and their blurred and mis-exposed copies).
#![allow(dead_code)] // each test binary uses its own subset

use std::path::PathBuf;

use sr_decode::{DecodeConfig, Decoder, Format, Frame};

pub fn photo(name: &str) -> Frame {
    let dir = sr_test_support::demo_data("clinic-b/2026-11-22-photo-0004");
    let format = if name.ends_with(".png") {
        Format::Png
    } else {
        Format::Jpeg
    };
    Decoder::new(DecodeConfig::default())
        .frame(&dir.join(name), format, 0)
        .unwrap()
}

/// A DICOM file of the demo data, by its batch folder and name.
pub fn dicom(batch: &str, name: &str) -> Frame {
    let path = sr_test_support::demo_data(batch).join(name);
    Decoder::new(DecodeConfig::default())
        .frame(&path, Format::Dicom, 0)
        .unwrap()
}

/// The capture-quality check as `make` installs it.
pub fn installed_check() -> sr_assess::QualityModel {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models/capture-quality");
    sr_assess::QualityModel::load(&dir).expect("quality.toml and its files verify")
}
