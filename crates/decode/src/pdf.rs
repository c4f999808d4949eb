//! PDF pages rendered through PDFium, bound at run time to the library the caller names.
//!
//! pdfium-render keeps its bindings in a process-wide cell (PDFium itself is a
//! process-wide library), so the first successful bind is kept here for the process.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use pdfium_render::prelude::*;

use crate::{
    DecodeConfig, DecodeError, Frame, Pixels, Probe, Reader, TextLayer, TextRun, check_index,
    check_size,
};

static PDFIUM: OnceLock<Result<Pdfium, String>> = OnceLock::new();

fn pdfium(config: &DecodeConfig) -> Result<&'static Pdfium, DecodeError> {
    let bound = PDFIUM.get_or_init(|| {
        let path = config
            .pdfium_library
            .as_ref()
            .ok_or_else(|| "no PDFium library is configured".to_string())?;
        Pdfium::bind_to_library(path)
            .map(Pdfium::new)
            .map_err(|e| format!("cannot load {}: {e}", path.display()))
    });
    bound
        .as_ref()
        .map_err(|reason| DecodeError::PdfUnavailable(reason.clone()))
}

fn pdf_error(e: PdfiumError) -> DecodeError {
    match e {
        PdfiumError::PdfiumLibraryInternalError(PdfiumInternalError::PasswordError) => {
            DecodeError::Pdf("the PDF is encrypted with a password".into())
        }
        PdfiumError::PdfiumLibraryInternalError(PdfiumInternalError::FormatError) => {
            DecodeError::Pdf("the file is not a valid PDF (corrupt or truncated)".into())
        }
        other => DecodeError::Pdf(other.to_string()),
    }
}

fn render(page: &PdfPage, config: &DecodeConfig) -> Result<Frame, DecodeError> {
    let aspect = page.height().value / page.width().value.max(1.0);
    let width = config.pdf_width;
    let height = (width as f32 * aspect).round().max(1.0) as u32;
    check_size(width.into(), height.into(), config)?;
    let bitmap = page
        .render_with_config(
            &PdfRenderConfig::new()
                .set_target_width(width as i32)
                .render_form_data(true),
        )
        .map_err(pdf_error)?;
    Ok(Frame {
        width: bitmap.width() as u32,
        height: bitmap.height() as u32,
        pixels: Pixels::Rgba(bitmap.as_rgba_bytes()),
        window: None,
    })
}

pub fn probe(reader: Reader<'_>, config: &DecodeConfig) -> Result<Probe, DecodeError> {
    let pdfium = pdfium(config)?;
    let document = pdfium
        .load_pdf_from_reader(reader, None)
        .map_err(pdf_error)?;
    let pages = document.pages();
    let count = u32::try_from(pages.len()).unwrap_or(0);
    if count == 0 {
        return Err(DecodeError::NoPages);
    }
    let first = render(&pages.get(0).map_err(pdf_error)?, config)?;
    let text_layer = pages
        .get(0)
        .ok()
        .and_then(|p| p.text().ok().map(|t| !t.all().trim().is_empty()))
        .unwrap_or(false);
    let mut meta = BTreeMap::new();
    meta.insert("Pages".to_string(), count.to_string());
    meta.insert(
        "Text layer".to_string(),
        if text_layer { "yes" } else { "no (scanned)" }.to_string(),
    );
    Ok(Probe {
        frames: count,
        width: first.width,
        height: first.height,
        meta,
    })
}

pub fn frame(reader: Reader<'_>, index: u32, config: &DecodeConfig) -> Result<Frame, DecodeError> {
    let pdfium = pdfium(config)?;
    let document = pdfium
        .load_pdf_from_reader(reader, None)
        .map_err(pdf_error)?;
    let pages = document.pages();
    check_index(index, u32::try_from(pages.len()).unwrap_or(0))?;
    let page = pages.get(index as i32).map_err(pdf_error)?;
    render(&page, config)
}

/// The page's own text, in runs PDFium groups by line and style, each with its bounds
/// in fractions of the page (top-left origin); `None` when the page has none (a scan).
pub fn text_layer(
    reader: Reader<'_>,
    index: u32,
    config: &DecodeConfig,
) -> Result<Option<TextLayer>, DecodeError> {
    let pdfium = pdfium(config)?;
    let document = pdfium
        .load_pdf_from_reader(reader, None)
        .map_err(pdf_error)?;
    let pages = document.pages();
    check_index(index, u32::try_from(pages.len()).unwrap_or(0))?;
    let page = pages.get(index as i32).map_err(pdf_error)?;
    let (width, height) = (page.width().value.max(1.0), page.height().value.max(1.0));
    let text = page.text().map_err(pdf_error)?;
    let runs: Vec<TextRun> = text
        .segments()
        .iter()
        .filter_map(|segment| {
            let words = segment.text();
            let words = words.trim();
            if words.is_empty() {
                return None;
            }
            let b = segment.bounds();
            Some(TextRun {
                text: words.to_string(),
                x0: (b.left().value / width).clamp(0.0, 1.0),
                y0: (1.0 - b.top().value / height).clamp(0.0, 1.0),
                x1: (b.right().value / width).clamp(0.0, 1.0),
                y1: (1.0 - b.bottom().value / height).clamp(0.0, 1.0),
            })
        })
        .collect();
    Ok((!runs.is_empty()).then_some(TextLayer {
        width_pt: width,
        height_pt: height,
        runs,
    }))
}

/// How many pages, without rendering any.
pub fn page_count(reader: Reader<'_>, config: &DecodeConfig) -> Result<u32, DecodeError> {
    let pdfium = pdfium(config)?;
    let document = pdfium
        .load_pdf_from_reader(reader, None)
        .map_err(pdf_error)?;
    match u32::try_from(document.pages().len()).unwrap_or(0) {
        0 => Err(DecodeError::NoPages),
        n => Ok(n),
    }
}
