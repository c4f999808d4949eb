//! The front doors of every format with real files, mutated: whatever the bytes, a
//! decode ends in a frame or a typed error, never a panic or a hang, and no value is
//! allocated past what the file holds. `make fuzz` runs many more cases than `make test`.
//! Every damaged file that ever failed is kept in `tests/regressions/` and read first.

use std::io::Cursor;
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

use proptest::prelude::*;
use sr_damage::damaged;
use sr_decode::{DecodeConfig, DecodeError, Decoder, Format, Reader, Source};

/// The longest one decode may take on a mutated file before it counts as a hang.
const DEADLINE: Duration = Duration::from_secs(20);

struct Bytes(Vec<u8>);

impl Source for Bytes {
    fn open(&self) -> std::io::Result<Reader<'_>> {
        Ok(Box::new(Cursor::new(self.0.as_slice())))
    }
}

fn demo(rel: &str) -> Vec<u8> {
    std::fs::read(sr_test_support::demo_data(rel)).unwrap()
}

fn decoder() -> Decoder {
    Decoder::new(DecodeConfig {
        // Small enough that a header claiming a huge frame is refused before any
        // allocation, as in the app.
        max_pixels: 16 * 1024 * 1024,
        pdfium_library: std::env::var_os("SECONDREAD_PDFIUM").map(PathBuf::from),
        ..DecodeConfig::default()
    })
}

/// Probes the file, decodes its first frame and reads its text layer, off this thread,
/// so that a hang is seen as one; answers the first frame's outcome.
fn decode_within_deadline(
    bytes: Vec<u8>,
    format: Format,
) -> Result<Result<(), DecodeError>, String> {
    let (done, finished) = mpsc::channel();
    std::thread::spawn(move || {
        let decoder = decoder();
        let source = Bytes(bytes);
        let _ = decoder.probe(&source, format);
        let _ = decoder.text_layer(&source, format, 0);
        let _ = done.send(decoder.frame(&source, format, 0).map(|_| ()));
    });
    finished.recv_timeout(DEADLINE).map_err(|e| match e {
        mpsc::RecvTimeoutError::Timeout => format!("a decode ran past {DEADLINE:?}"),
        mpsc::RecvTimeoutError::Disconnected => "the decoder panicked".into(),
    })
}

#[test]
fn every_damaged_file_found_so_far_is_refused_by_name() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/regressions");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    assert!(!files.is_empty());
    for file in files {
        let format = match file.extension().and_then(|e| e.to_str()) {
            Some("dcm") => Format::Dicom,
            Some("jpg") => Format::Jpeg,
            Some("png") => Format::Png,
            Some("tif") => Format::Tiff,
            Some("pdf") => Format::Pdf,
            other => panic!("{}: no format for {other:?}", file.display()),
        };
        let outcome = decode_within_deadline(std::fs::read(&file).unwrap(), format);
        let error = outcome
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()))
            .expect_err("a damaged file");
        assert!(!error.to_string().is_empty(), "{}", file.display());
    }
}

macro_rules! damaged_files_of {
    ($name:ident, $file:literal, $format:expr) => {
        proptest! {
            #[test]
            fn $name(file in damaged(demo($file))) {
                // A frame or a typed error: either is an answer.
                let _frame_or_error =
                    decode_within_deadline(file, $format).map_err(TestCaseError::fail)?;
            }
        }
    };
}

damaged_files_of!(
    a_damaged_dicom_is_decoded_or_refused,
    "clinic-a/2026-11-20-cr-0001/nm-0009.dcm",
    Format::Dicom
);
damaged_files_of!(
    a_damaged_jpeg_is_decoded_or_refused,
    "clinic-b/2026-11-22-photo-0004/microaneurysms-blurred.jpg",
    Format::Jpeg
);
damaged_files_of!(
    a_damaged_png_is_decoded_or_refused,
    "clinic-b/2026-11-22-photo-0004/microaneurysms-overexposed.png",
    Format::Png
);
damaged_files_of!(
    a_damaged_tiff_is_decoded_or_refused,
    "hospital-c/2026-11-25-scans-0007/scan-0004.tif",
    Format::Tiff
);
damaged_files_of!(
    a_damaged_pdf_is_decoded_or_refused,
    "clinic-a/2026-11-24-docs-0006/doc-0006.pdf",
    Format::Pdf
);
