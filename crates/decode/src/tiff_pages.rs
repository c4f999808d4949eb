//! Multi-page TIFF (scanned documents): every page is a frame.

use std::collections::BTreeMap;

use image::{DynamicImage, GrayImage, ImageBuffer, RgbImage, RgbaImage};
use tiff::ColorType;
use tiff::decoder::{Decoder, DecodingResult, Limits};

use crate::{DecodeConfig, DecodeError, Frame, Probe, Reader, Source, check_size};

fn tiff_error(e: tiff::TiffError) -> DecodeError {
    match e {
        tiff::TiffError::IoError(e) => DecodeError::Io(e),
        other => DecodeError::Image(format!("TIFF: {other}")),
    }
}

fn open<'a>(reader: Reader<'a>, config: &DecodeConfig) -> Result<Decoder<Reader<'a>>, DecodeError> {
    let mut limits = Limits::default();
    limits.decoding_buffer_size =
        usize::try_from(config.max_pixels.saturating_mul(8)).unwrap_or(usize::MAX);
    limits.intermediate_buffer_size = limits.decoding_buffer_size;
    Decoder::new(reader)
        .map(|d| d.with_limits(limits))
        .map_err(tiff_error)
}

fn page_count(decoder: &mut Decoder<Reader<'_>>) -> Result<u32, DecodeError> {
    let mut count = 1;
    while decoder.more_images() {
        decoder.next_image().map_err(tiff_error)?;
        count += 1;
    }
    Ok(count)
}

fn read_page(
    decoder: &mut Decoder<Reader<'_>>,
    config: &DecodeConfig,
) -> Result<DynamicImage, DecodeError> {
    let (width, height) = decoder.dimensions().map_err(tiff_error)?;
    check_size(width.into(), height.into(), config)?;
    let color = decoder.colortype().map_err(tiff_error)?;
    let data = decoder.read_image().map_err(tiff_error)?;
    let short = || DecodeError::Image("TIFF page data is shorter than its size".into());
    Ok(match (color, data) {
        (ColorType::Gray(8), DecodingResult::U8(v)) => {
            DynamicImage::ImageLuma8(GrayImage::from_raw(width, height, v).ok_or_else(short)?)
        }
        (ColorType::Gray(16), DecodingResult::U16(v)) => {
            DynamicImage::ImageLuma16(ImageBuffer::from_raw(width, height, v).ok_or_else(short)?)
        }
        (ColorType::RGB(8), DecodingResult::U8(v)) => {
            DynamicImage::ImageRgb8(RgbImage::from_raw(width, height, v).ok_or_else(short)?)
        }
        (ColorType::RGBA(8), DecodingResult::U8(v)) => {
            DynamicImage::ImageRgba8(RgbaImage::from_raw(width, height, v).ok_or_else(short)?)
        }
        (color, _) => {
            return Err(DecodeError::Unsupported(format!(
                "TIFF colour type {color:?}"
            )));
        }
    })
}

pub fn probe(reader: Reader<'_>, config: &DecodeConfig) -> Result<Probe, DecodeError> {
    let mut decoder = open(reader, config)?;
    let first = read_page(&mut decoder, config)?;
    let frames = page_count(&mut decoder)?;
    let mut meta = BTreeMap::new();
    meta.insert("Pages".to_string(), frames.to_string());
    Ok(Probe {
        frames,
        width: first.width(),
        height: first.height(),
        meta,
    })
}

pub fn frame(
    source: &(impl Source + ?Sized),
    index: u32,
    config: &DecodeConfig,
) -> Result<Frame, DecodeError> {
    let mut decoder = open(source.open()?, config)?;
    if index > 0 && decoder.seek_to_image(index as usize).is_err() {
        let count = page_count(&mut open(source.open()?, config)?)?;
        return Err(DecodeError::NoSuchFrame { index, count });
    }
    Ok(crate::raster::from_image(read_page(&mut decoder, config)?))
}
