//! JPEG and PNG through the `image` crate, with EXIF orientation applied (phone photos).

use std::collections::BTreeMap;
use std::io::BufReader;

use image::{DynamicImage, ImageDecoder, ImageReader};

use crate::{DecodeConfig, DecodeError, Frame, Pixels, Probe, Source, Window, check_size};

fn image_error(e: image::ImageError) -> DecodeError {
    match e {
        image::ImageError::IoError(e) => DecodeError::Io(e),
        other => DecodeError::Image(other.to_string()),
    }
}

/// Reads the header only, so that a decompression bomb is refused before it expands.
fn dimensions(
    source: &(impl Source + ?Sized),
    config: &DecodeConfig,
) -> Result<(u32, u32), DecodeError> {
    let (width, height) = ImageReader::new(BufReader::new(source.open()?))
        .with_guessed_format()?
        .into_dimensions()
        .map_err(image_error)?;
    check_size(width.into(), height.into(), config)?;
    Ok((width, height))
}

fn decode(
    source: &(impl Source + ?Sized),
    config: &DecodeConfig,
) -> Result<DynamicImage, DecodeError> {
    dimensions(source, config)?;
    let mut reader = ImageReader::new(BufReader::new(source.open()?)).with_guessed_format()?;
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(config.max_pixels.saturating_mul(8));
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(image_error)?;
    let orientation = decoder.orientation().map_err(image_error)?;
    let mut image = DynamicImage::from_decoder(decoder).map_err(image_error)?;
    image.apply_orientation(orientation);
    Ok(image)
}

pub fn probe(source: &(impl Source + ?Sized), config: &DecodeConfig) -> Result<Probe, DecodeError> {
    let image = decode(source, config)?;
    let mut meta = BTreeMap::new();
    meta.insert("Colour".to_string(), format!("{:?}", image.color()));
    Ok(Probe {
        frames: 1,
        width: image.width(),
        height: image.height(),
        meta,
    })
}

pub fn frame(source: &(impl Source + ?Sized), config: &DecodeConfig) -> Result<Frame, DecodeError> {
    Ok(from_image(decode(source, config)?))
}

/// Greyscale images keep their values (and so can be windowed); the rest become RGBA.
pub(crate) fn from_image(image: DynamicImage) -> Frame {
    let (width, height) = (image.width(), image.height());
    // Greyscale photos and scans are shown over their full bit depth, as any image
    // viewer shows them: a dim capture must look dim, not be stretched to fill.
    let full_range = |max: f32| {
        Some(Window {
            center: max / 2.0,
            width: max,
        })
    };
    let (pixels, window) = match image {
        DynamicImage::ImageLuma8(gray) => (
            Pixels::Gray {
                stored: gray.into_raw().into_iter().map(u16::from).collect(),
                slope: 1.0,
                intercept: 0.0,
                invert: false,
            },
            full_range(255.0),
        ),
        DynamicImage::ImageLuma16(gray) => (
            Pixels::Gray {
                stored: gray.into_raw(),
                slope: 1.0,
                intercept: 0.0,
                invert: false,
            },
            full_range(65535.0),
        ),
        other => (Pixels::Rgba(other.into_rgba8().into_raw()), None),
    };
    Frame {
        width,
        height,
        pixels,
        window,
    }
}
