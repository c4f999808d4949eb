//! Decoding of everything a reviewer looks at into frames the viewer can paint.
//!
//! Greyscale stays greyscale, with its real values (Hounsfield units, say), so the
//! viewer can window it without another round trip; colour comes out as RGBA.

mod dicom;
mod dicom_lengths;
mod pdf;
mod raster;
mod tiff_pages;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, Read, Seek};
use std::path::{Path, PathBuf};

use serde::Serialize;

/// The file formats this crate decodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Dicom,
    Jpeg,
    Png,
    Tiff,
    Pdf,
}

/// A display window on greyscale values: what maps to mid-grey, and how wide a range.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Window {
    pub center: f32,
    pub width: f32,
}

/// One frame's samples.
#[derive(Debug, Clone, PartialEq)]
pub enum Pixels {
    /// Greyscale, stored as `value = stored * slope + intercept`, quantised into 16 bits
    /// over the frame's own range so that any window can be applied later.
    Gray {
        stored: Vec<u16>,
        slope: f32,
        intercept: f32,
        /// MONOCHROME1: the lowest value is meant to be shown white.
        invert: bool,
    },
    /// 8-bit RGBA, row-major.
    Rgba(Vec<u8>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    pub width: u32,
    pub height: u32,
    pub pixels: Pixels,
    /// The window the file asks for (DICOM VOI), if any.
    pub window: Option<Window>,
}

/// What a first look at a file tells: how many frames, and what is safe to show.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Probe {
    pub frames: u32,
    pub width: u32,
    pub height: u32,
    /// Display metadata, without patient identifiers.
    pub meta: BTreeMap<String, String>,
}

/// A PDF page's own text: runs of words with their bounds in fractions of the page.
#[derive(Debug, Clone, PartialEq)]
pub struct TextLayer {
    pub width_pt: f32,
    pub height_pt: f32,
    pub runs: Vec<TextRun>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TextRun {
    pub text: String,
    pub x0: f32,
    pub y0: f32,
    pub x1: f32,
    pub y1: f32,
}

#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("cannot read the file: {0}")]
    Io(#[from] std::io::Error),
    #[error("not a readable DICOM file: {0}")]
    Dicom(String),
    #[error("the DICOM file has no pixel data")]
    NoPixelData,
    #[error("the image is {width}×{height} pixels, above the limit of {limit} pixels")]
    TooLarge { width: u64, height: u64, limit: u64 },
    #[error("cannot decode the image: {0}")]
    Image(String),
    #[error("cannot open the PDF: {0}")]
    Pdf(String),
    #[error("PDF support is unavailable: {0}")]
    PdfUnavailable(String),
    #[error("the file has no pages")]
    NoPages,
    #[error("frame {index} does not exist (the item has {count})")]
    NoSuchFrame { index: u32, count: u32 },
    #[error("unsupported {0}")]
    Unsupported(String),
    #[error("the file is damaged: its decoder gave up ({0})")]
    DecoderFailed(String),
}

/// A file's bytes, readable and seekable (PDFium reads a document in pieces).
pub trait ReadSeek: Read + Seek + Send {}
impl<T: Read + Seek + Send> ReadSeek for T {}

pub type Reader<'a> = Box<dyn ReadSeek + 'a>;

/// Where a file's bytes come from: a plain file, or a blob decrypted as it is read.
/// Decoders open it afresh for each look, and never need it as a path.
pub trait Source: Sync {
    fn open(&self) -> std::io::Result<Reader<'_>>;
}

impl Source for Path {
    fn open(&self) -> std::io::Result<Reader<'_>> {
        Ok(Box::new(BufReader::new(File::open(self)?)))
    }
}

impl Source for PathBuf {
    fn open(&self) -> std::io::Result<Reader<'_>> {
        self.as_path().open()
    }
}

/// How far the decoder goes before it refuses a file.
#[derive(Debug, Clone)]
pub struct DecodeConfig {
    /// Largest frame accepted, in pixels: a decompression bomb stops here.
    pub max_pixels: u64,
    /// Width PDF pages are rendered at.
    pub pdf_width: u32,
    /// The PDFium library; without it PDFs are refused with a clear reason.
    pub pdfium_library: Option<PathBuf>,
}

impl Default for DecodeConfig {
    fn default() -> Self {
        Self {
            max_pixels: 64 * 1024 * 1024,
            pdf_width: 1700,
            pdfium_library: None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Decoder {
    config: DecodeConfig,
}

impl Decoder {
    pub fn new(config: DecodeConfig) -> Self {
        Self { config }
    }

    /// Opens the file and decodes its first frame, so that a broken file is found now
    /// rather than when a reviewer opens it.
    pub fn probe(
        &self,
        source: &(impl Source + ?Sized),
        format: Format,
    ) -> Result<Probe, DecodeError> {
        contained(|| match format {
            Format::Dicom => dicom::probe(source.open()?, &self.config),
            Format::Jpeg | Format::Png => raster::probe(source, &self.config),
            Format::Tiff => tiff_pages::probe(source.open()?, &self.config),
            Format::Pdf => pdf::probe(source.open()?, &self.config),
        })
    }

    pub fn frame(
        &self,
        source: &(impl Source + ?Sized),
        format: Format,
        index: u32,
    ) -> Result<Frame, DecodeError> {
        contained(|| match format {
            Format::Dicom => dicom::frame(source.open()?, index, &self.config),
            Format::Jpeg | Format::Png => {
                check_index(index, 1)?;
                raster::frame(source, &self.config)
            }
            Format::Tiff => tiff_pages::frame(source, index, &self.config),
            Format::Pdf => pdf::frame(source.open()?, index, &self.config),
        })
    }

    /// How many pages or frames the file has; for PDFs without rendering one.
    pub fn page_count(
        &self,
        source: &(impl Source + ?Sized),
        format: Format,
    ) -> Result<u32, DecodeError> {
        match format {
            Format::Pdf => contained(|| pdf::page_count(source.open()?, &self.config)),
            other => self.probe(source, other).map(|p| p.frames),
        }
    }

    /// A PDF page's own text, if it has any; other formats have none.
    pub fn text_layer(
        &self,
        source: &(impl Source + ?Sized),
        format: Format,
        index: u32,
    ) -> Result<Option<TextLayer>, DecodeError> {
        match format {
            Format::Pdf => contained(|| pdf::text_layer(source.open()?, index, &self.config)),
            _ => Ok(None),
        }
    }
}

/// Runs a decoder on a file's untrusted bytes. A panic in a third-party decoder (seen
/// in dicom-rs's JPEG 2000 adapter on a damaged codestream) becomes this file's error
/// instead of taking the caller's thread, and whatever it held, down with it.
fn contained<T>(decode: impl FnOnce() -> Result<T, DecodeError>) -> Result<T, DecodeError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(decode)).unwrap_or_else(|panic| {
        let why = panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no reason given".into());
        Err(DecodeError::DecoderFailed(why))
    })
}

pub(crate) fn check_index(index: u32, count: u32) -> Result<(), DecodeError> {
    if index < count {
        Ok(())
    } else {
        Err(DecodeError::NoSuchFrame { index, count })
    }
}

pub(crate) fn check_size(
    width: u64,
    height: u64,
    config: &DecodeConfig,
) -> Result<(), DecodeError> {
    if width == 0 || height == 0 {
        return Err(DecodeError::Image(format!(
            "empty image ({width}×{height})"
        )));
    }
    if width.saturating_mul(height) > config.max_pixels {
        return Err(DecodeError::TooLarge {
            width,
            height,
            limit: config.max_pixels,
        });
    }
    Ok(())
}

/// Quantises real greyscale values into 16 bits over their own range.
pub(crate) fn gray_from_values(values: &[f32], invert: bool) -> Pixels {
    let (lo, hi) = values
        .iter()
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    let (lo, hi) = if lo.is_finite() { (lo, hi) } else { (0.0, 0.0) };
    let span = hi - lo;
    // Integer data whose span fits keeps its exact values.
    let integral = span <= 65535.0 && values.iter().all(|v| v.fract() == 0.0);
    let slope = if integral || span <= 0.0 {
        1.0
    } else {
        span / 65535.0
    };
    let stored = values
        .iter()
        .map(|&v| ((v - lo) / slope).round().clamp(0.0, 65535.0) as u16)
        .collect();
    Pixels::Gray {
        stored,
        slope,
        intercept: lo,
        invert,
    }
}
