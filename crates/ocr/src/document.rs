//! A whole document, page after page: a PDF page with a text layer is taken as it is
//! written; any other page (a scan, a TIFF page, a photo) is rendered and read by OCR.
//! Each page is dropped before the next is decoded.

use sr_decode::{DecodeError, Decoder, Format, Source, TextLayer};

use crate::{Corner, Ocr, OcrError, PageText, Quad, TextLine, TextSource, Turn};

#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    #[error(transparent)]
    Decode(#[from] DecodeError),
    #[error(transparent)]
    Ocr(#[from] OcrError),
}

/// Reads every page of `source` in order, handing each page's text (or why that page
/// could not be read) to `page` as soon as it is read. Fails as a whole only when the
/// document cannot be opened at all (corrupt, encrypted, no pages). Returns the number
/// of pages.
pub fn read_document(
    ocr: &Ocr,
    decoder: &Decoder,
    source: &(impl Source + ?Sized),
    format: Format,
    mut page: impl FnMut(u32, Result<PageText, DocumentError>),
) -> Result<u32, DocumentError> {
    let count = decoder.page_count(source, format)?;
    for index in 0..count {
        page(index, read_page(ocr, decoder, source, format, index));
    }
    Ok(count)
}

fn read_page(
    ocr: &Ocr,
    decoder: &Decoder,
    source: &(impl Source + ?Sized),
    format: Format,
    index: u32,
) -> Result<PageText, DocumentError> {
    if let Some(layer) = decoder.text_layer(source, format, index)? {
        return Ok(from_text_layer(index, layer));
    }
    let frame = decoder.frame(source, format, index)?;
    let image = sr_assess::displayed_rgb8(&frame);
    drop(frame);
    Ok(ocr.read(index, &image)?)
}

fn from_text_layer(index: u32, layer: TextLayer) -> PageText {
    let lines = layer
        .runs
        .into_iter()
        .map(|run| TextLine {
            text: run.text,
            confidence: 1.0,
            quad: Quad([
                Corner {
                    x: run.x0,
                    y: run.y0,
                },
                Corner {
                    x: run.x1,
                    y: run.y0,
                },
                Corner {
                    x: run.x1,
                    y: run.y1,
                },
                Corner {
                    x: run.x0,
                    y: run.y1,
                },
            ]),
        })
        .collect();
    PageText {
        page: index,
        width: layer.width_pt.round() as u32,
        height: layer.height_pt.round() as u32,
        source: TextSource::TextLayer,
        skew: 0.0,
        turn: Turn::Upright,
        lines,
    }
}
