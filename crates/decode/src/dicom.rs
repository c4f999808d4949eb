//! DICOM through dicom-rs: modality rescale, VOI window, MONOCHROME1, multi-frame, and
//! the compressed transfer syntaxes (JPEG, JPEG 2000, RLE, deflate).

use std::collections::BTreeMap;

use dicom_dictionary_std::tags;
use dicom_object::file::ReadPreamble;
use dicom_object::{DefaultDicomObject, OpenFileOptions};
use dicom_pixeldata::{ConvertOptions, PhotometricInterpretation, PixelDecoder, VoiLutOption};
use dicom_transfer_syntax_registry::{TransferSyntaxIndex, TransferSyntaxRegistry};

use crate::{
    DecodeConfig, DecodeError, Frame, Pixels, Probe, Reader, Window, check_index, check_size,
};

/// Attributes shown to reviewers. Patient name, id, birth date and the like are
/// deliberately absent: the pseudonymous subject comes from the batch instead.
const SHOWN: &[(&str, dicom_object::Tag)] = &[
    ("Modality", tags::MODALITY),
    ("Body part", tags::BODY_PART_EXAMINED),
    ("Study", tags::STUDY_DESCRIPTION),
    ("Series", tags::SERIES_DESCRIPTION),
    ("View", tags::VIEW_POSITION),
    ("Laterality", tags::LATERALITY),
    ("Photometric", tags::PHOTOMETRIC_INTERPRETATION),
    ("Bits stored", tags::BITS_STORED),
    ("Pixel spacing", tags::PIXEL_SPACING),
    ("Slice thickness", tags::SLICE_THICKNESS),
    ("Manufacturer", tags::MANUFACTURER),
];

fn open(mut reader: Reader<'_>) -> Result<DefaultDicomObject, DecodeError> {
    crate::dicom_lengths::check(&mut reader)?;
    OpenFileOptions::new()
        .read_preamble(ReadPreamble::Auto)
        .from_reader(reader)
        .map_err(|e| DecodeError::Dicom(e.to_string()))
}

fn int(obj: &DefaultDicomObject, tag: dicom_object::Tag) -> Option<u32> {
    obj.get(tag)?.to_int::<u32>().ok()
}

/// Rows, columns and frames, checked against the limits before any pixel is decoded.
fn geometry(
    obj: &DefaultDicomObject,
    config: &DecodeConfig,
) -> Result<(u32, u32, u32), DecodeError> {
    if obj.get(tags::PIXEL_DATA).is_none() {
        return Err(DecodeError::NoPixelData);
    }
    let rows =
        int(obj, tags::ROWS).ok_or_else(|| DecodeError::Dicom("no Rows attribute".into()))?;
    let cols =
        int(obj, tags::COLUMNS).ok_or_else(|| DecodeError::Dicom("no Columns attribute".into()))?;
    check_size(cols.into(), rows.into(), config)?;
    check_codestreams(obj, cols, rows)?;
    let frames = int(obj, tags::NUMBER_OF_FRAMES).unwrap_or(1).max(1);
    Ok((cols, rows, frames))
}

/// A JPEG 2000 codestream states its own size (its SIZ marker), and OpenJPEG allocates
/// for that size rather than the file's Rows and Columns: a damaged one made it take
/// gigabytes, and a size unlike the frame's panicked dicom-rs. Each frame's codestream
/// must be the size the file says.
fn check_codestreams(obj: &DefaultDicomObject, cols: u32, rows: u32) -> Result<(), DecodeError> {
    let Some(fragments) = obj
        .get(tags::PIXEL_DATA)
        .and_then(|e| e.value().fragments())
    else {
        return Ok(());
    };
    for fragment in fragments {
        // SOC then SIZ: a frame's first fragment; the others carry no header.
        if fragment.get(..4) != Some(&[0xFF, 0x4F, 0xFF, 0x51][..]) {
            continue;
        }
        let at = |offset: usize| {
            fragment
                .get(offset..offset + 4)
                .map_or(0, |b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        };
        let (width, height) = (at(8).saturating_sub(at(16)), at(12).saturating_sub(at(20)));
        if (width, height) != (cols, rows) {
            return Err(DecodeError::Dicom(format!(
                "its JPEG 2000 image is {width}×{height} pixels, but the file says {cols}×{rows}"
            )));
        }
    }
    Ok(())
}

pub fn probe(reader: Reader<'_>, config: &DecodeConfig) -> Result<Probe, DecodeError> {
    let obj = open(reader)?;
    let (width, height, frames) = geometry(&obj, config)?;
    decode(&obj, 0)?;
    let mut meta = BTreeMap::new();
    for (label, tag) in SHOWN {
        if let Some(value) = obj.get(*tag).and_then(|e| e.to_str().ok()) {
            let value = value.trim().replace('\\', " / ");
            if !value.is_empty() {
                meta.insert((*label).to_string(), value);
            }
        }
    }
    let ts = obj.meta().transfer_syntax().trim_end_matches('\0');
    let ts_name = TransferSyntaxRegistry
        .get(ts)
        .map(|t| t.name().to_string())
        .unwrap_or_else(|| ts.to_string());
    meta.insert("Transfer syntax".into(), ts_name);
    Ok(Probe {
        frames,
        width,
        height,
        meta,
    })
}

pub fn frame(reader: Reader<'_>, index: u32, config: &DecodeConfig) -> Result<Frame, DecodeError> {
    let obj = open(reader)?;
    let (_, _, frames) = geometry(&obj, config)?;
    check_index(index, frames)?;
    decode(&obj, index)
}

fn decode(obj: &DefaultDicomObject, index: u32) -> Result<Frame, DecodeError> {
    let pixels = obj
        .decode_pixel_data_frame(index)
        .map_err(|e| DecodeError::Dicom(e.to_string()))?;
    let (width, height) = (pixels.columns(), pixels.rows());
    let expected = width as usize * height as usize;
    let photometric = pixels.photometric_interpretation().clone();
    if photometric.is_monochrome() {
        let options = ConvertOptions::new().with_voi_lut(VoiLutOption::Identity);
        let values: Vec<f32> = pixels
            .to_vec_frame_with_options(0, &options)
            .map_err(|e| DecodeError::Dicom(e.to_string()))?;
        if values.len() < expected {
            return Err(DecodeError::Dicom(
                "pixel data is shorter than the image".into(),
            ));
        }
        let window = pixels
            .window()
            .ok()
            .flatten()
            .and_then(|w| w.first().copied())
            .filter(|w| w.width > 0.0)
            .map(|w| Window {
                center: w.center as f32,
                width: w.width as f32,
            });
        Ok(Frame {
            width,
            height,
            pixels: crate::gray_from_values(
                &values[..expected],
                photometric == PhotometricInterpretation::Monochrome1,
            ),
            window,
        })
    } else {
        let image = pixels
            .to_dynamic_image(0)
            .map_err(|e| DecodeError::Dicom(e.to_string()))?;
        Ok(Frame {
            width,
            height,
            pixels: Pixels::Rgba(image.to_rgba8().into_raw()),
            window: None,
        })
    }
}
