//! Each demo format decodes, and each kind of bad file gets a clear error.
//! The demo data comes from `make demo-data` (tests/demo/make_demo.py).

use std::path::PathBuf;

use sr_decode::{DecodeConfig, DecodeError, Decoder, Format, Pixels};
use sr_test_support::demo_data;

fn decoder() -> Decoder {
    Decoder::new(DecodeConfig {
        pdfium_library: std::env::var_os("SECONDREAD_PDFIUM").map(PathBuf::from),
        ..DecodeConfig::default()
    })
}

#[test]
fn cr_chest_jpeg2000_monochrome1_keeps_its_voi_window_and_inversion() {
    let frame = decoder()
        .frame(
            &demo_data("clinic-a/2026-11-20-cr-0001/cr-0001.dcm"),
            Format::Dicom,
            0,
        )
        .unwrap();
    assert_eq!((frame.width, frame.height), (1841, 1955));
    let Pixels::Gray { invert, stored, .. } = &frame.pixels else {
        panic!("a CR is greyscale")
    };
    assert!(*invert, "MONOCHROME1 must be shown inverted");
    assert_eq!(stored.len(), 1841 * 1955);
    assert!(frame.window.is_some(), "the VOI window from the file");
}

#[test]
fn ct_values_are_rescaled_to_hounsfield_units() {
    let frame = decoder()
        .frame(
            &demo_data("clinic-a/2026-11-21-ct-0002/xs-0003.dcm"),
            Format::Dicom,
            0,
        )
        .unwrap();
    let Pixels::Gray {
        stored,
        slope,
        intercept,
        ..
    } = &frame.pixels
    else {
        panic!("CT is greyscale")
    };
    let min = *stored.iter().min().unwrap() as f32 * slope + intercept;
    let max = *stored.iter().max().unwrap() as f32 * slope + intercept;
    assert!(min < -500.0 && max > 500.0, "HU range {min}..{max}");
}

#[test]
fn every_compressed_transfer_syntax_of_the_demo_decodes() {
    let d = decoder();
    // JPEG 2000 lossless and lossy, JPEG lossless, RLE, JPEG baseline multi-frame, palette.
    for (file, frames) in [
        ("clinic-a/2026-11-21-ct-0002/xs-0001.dcm", 1),
        ("clinic-a/2026-11-20-cr-0001/cr-0002.dcm", 1),
        ("clinic-a/2026-11-20-cr-0001/nm-0007.dcm", 1),
        ("clinic-a/2026-11-21-ct-0002/xs-0009.dcm", 1),
        ("clinic-a/2026-11-21-ct-0002/xs-0010.dcm", 10),
        ("clinic-b/2026-11-22-us-0003/us-0001.dcm", 120),
        ("clinic-b/2026-11-22-us-0003/us-0004.dcm", 1),
    ] {
        let probe = d
            .probe(&demo_data(file), Format::Dicom)
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(probe.frames, frames, "{file}");
        d.frame(&demo_data(file), Format::Dicom, frames - 1)
            .unwrap_or_else(|e| panic!("{file} last frame: {e}"));
    }
}

#[test]
fn photos_scans_and_pdfs_decode_page_by_page() {
    let d = decoder();
    let color = d
        .frame(
            &demo_data("clinic-b/2026-11-22-photo-0004/retina.jpg"),
            Format::Jpeg,
            0,
        )
        .unwrap();
    assert!(matches!(color.pixels, Pixels::Rgba(_)));
    let gray = d
        .frame(
            &demo_data("clinic-b/2026-11-22-photo-0004/microaneurysms.png"),
            Format::Png,
            0,
        )
        .unwrap();
    assert!(matches!(gray.pixels, Pixels::Gray { .. }));

    let tiff = demo_data("hospital-c/2026-11-25-scans-0007/scan-0001.tif");
    assert_eq!(d.probe(&tiff, Format::Tiff).unwrap().frames, 2);
    d.frame(&tiff, Format::Tiff, 1).unwrap();
    assert!(matches!(
        d.frame(&tiff, Format::Tiff, 2),
        Err(DecodeError::NoSuchFrame { index: 2, count: 2 })
    ));

    let pdf = demo_data("clinic-a/2026-11-24-docs-0006/doc-0002.pdf");
    let probe = d.probe(&pdf, Format::Pdf).unwrap();
    assert_eq!(probe.frames, 3);
    assert_eq!(probe.meta["Text layer"], "yes");
    let page = d.frame(&pdf, Format::Pdf, 2).unwrap();
    assert_eq!(page.width, 1700);

    // The phone photo is stored on its side with an EXIF orientation: shown upright.
    let photo = d
        .frame(
            &demo_data("hospital-c/2026-11-25-scans-0007/phone-photo-0001.jpg"),
            Format::Jpeg,
            0,
        )
        .unwrap();
    assert!(
        photo.height > photo.width,
        "{}×{}",
        photo.width,
        photo.height
    );
}

#[test]
fn bad_files_get_clear_errors() {
    let d = decoder();
    let bad = |file: &str, format| {
        d.probe(&demo_data(format!("hospital-c/{file}")), format)
            .expect_err(file)
            .to_string()
    };
    assert!(
        bad("2026-11-23-quarantine-0005/truncated.dcm", Format::Dicom)
            .contains("not a readable DICOM file")
    );
    assert!(
        bad(
            "2026-11-23-quarantine-0005/no-pixel-data.dcm",
            Format::Dicom
        )
        .contains("no pixel data")
    );
    assert!(bad("2026-11-23-quarantine-0005/bomb.png", Format::Png).contains("above the limit"));
    assert!(
        bad("2026-11-23-quarantine-0005/not-an-image.jpg", Format::Jpeg).contains("cannot decode")
    );
    assert!(bad("2026-11-23-quarantine-0005/zero-bytes.png", Format::Png).contains("cannot"));
    assert!(bad("2026-11-25-scans-0007/garbage.pdf", Format::Pdf).contains("not a valid PDF"));
}

#[test]
fn a_tiff_bomb_is_refused_before_it_is_decoded() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bomb.tif");
    // A 60000×60000 greyscale TIFF header with a tiny strip: refused on its size alone.
    let mut tiff = Vec::new();
    tiff.extend_from_slice(b"II*\0");
    tiff.extend_from_slice(&8u32.to_le_bytes());
    let entries: [(u16, u16, u32, u32); 8] = [
        (256, 4, 1, 60_000),
        (257, 4, 1, 60_000),
        (258, 3, 1, 8),
        (259, 3, 1, 1),
        (262, 3, 1, 1),
        (273, 4, 1, 200),
        (278, 4, 1, 60_000),
        (279, 4, 1, 16),
    ];
    tiff.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    for (tag, kind, count, value) in entries {
        tiff.extend_from_slice(&tag.to_le_bytes());
        tiff.extend_from_slice(&kind.to_le_bytes());
        tiff.extend_from_slice(&count.to_le_bytes());
        tiff.extend_from_slice(&value.to_le_bytes());
    }
    tiff.extend_from_slice(&0u32.to_le_bytes());
    tiff.resize(216, 0);
    std::fs::write(&path, tiff).unwrap();
    let err = decoder().probe(&path, Format::Tiff).unwrap_err();
    assert!(matches!(err, DecodeError::TooLarge { .. }), "{err}");
}
