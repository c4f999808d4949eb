//! The demo photos the assessment tests read (scikit-image's retina, IHC and
//! microaneurysm images and their blurred and mis-exposed copies).

use std::path::PathBuf;

use sr_decode::{DecodeConfig, Decoder, Format, Frame};

pub fn photo(name: &str) -> Frame {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/demo-data/clinic-b/2026-11-22-photo-0004");
    assert!(dir.is_dir(), "no demo data: run `make demo-data` first");
    let format = if name.ends_with(".png") {
        Format::Png
    } else {
        Format::Jpeg
    };
    Decoder::new(DecodeConfig::default())
        .frame(&dir.join(name), format, 0)
        .unwrap()
}
