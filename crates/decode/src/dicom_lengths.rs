//! A walk over a DICOM file's element headers, before dicom-rs reads it.
//!
//! dicom-rs sizes each value's buffer by the length its header declares, zeroed, before
//! reading a byte of it: a damaged or hostile header declaring 4 GB makes it allocate
//! and touch 4 GB, however short the file. Here every declared length is checked
//! against the bytes the file holds, seeking past values without reading them,
//! so such a file is refused with the element it names.

use std::io::{Read, Seek, SeekFrom};

use dicom_core::header::{HasLength, Header};
use dicom_core::{Length, Tag, VR};
use dicom_parser::stateful::decode::{StatefulDecode, StatefulDecoder};
use dicom_transfer_syntax_registry::{TransferSyntaxIndex, TransferSyntaxRegistry};

use crate::DecodeError;

const GROUP_LENGTH: Tag = Tag(0x0002, 0x0000);
const TRANSFER_SYNTAX: Tag = Tag(0x0002, 0x0010);
const EXPLICIT_VR_LITTLE_ENDIAN: &str = "1.2.840.10008.1.2.1";
/// The longest a transfer syntax UID can be.
const UID_MAX: u32 = 64;

/// Refuses a file one of whose elements claims more bytes than the file has left. Any
/// other problem is left to dicom-rs, which names it better; the reader is rewound.
pub fn check(reader: &mut (impl Read + Seek)) -> Result<(), DecodeError> {
    let size = reader.seek(SeekFrom::End(0))?;
    reader.seek(SeekFrom::Start(0))?;
    let outcome = walk(reader, size);
    reader.seek(SeekFrom::Start(0))?;
    outcome
}

fn walk(reader: &mut (impl Read + Seek), size: u64) -> Result<(), DecodeError> {
    let Some(start) = meta_start(reader)? else {
        return Ok(());
    };
    reader.seek(SeekFrom::Start(start))?;
    let Some((data_set, uid)) = read_meta(&mut *reader, start, size)? else {
        return Ok(());
    };
    let Some(ts) = TransferSyntaxRegistry.get(uid.trim_end_matches(['\0', ' '])) else {
        return Ok(());
    };
    // A deflated data set cannot be walked without inflating it.
    if !(ts.is_codec_free() || ts.is_encapsulated_pixel_data()) {
        return Ok(());
    }
    reader.seek(SeekFrom::Start(data_set))?;
    let Ok(mut decoder) = StatefulDecoder::new_with_ts(&mut *reader, ts, data_set) else {
        return Ok(());
    };
    let mut in_pixel_data = false;
    // Values are passed over by seeking, which the decoder does not count as read: a
    // large image's pixels are never read (nor decrypted) twice.
    let mut passed_over = 0;
    while decoder.position() + passed_over < size {
        let Ok(header) = decoder.decode_header() else {
            return Ok(());
        };
        let Length(len) = header.length();
        let descends = header.length().is_undefined()
            || header.vr() == VR::SQ
            || (header.is_item() && !in_pixel_data);
        if header.is_encapsulated_pixeldata() {
            in_pixel_data = true;
        }
        if header.is_sequence_delimiter() {
            in_pixel_data = false;
        }
        if descends || header.is_item_delimiter() || header.is_sequence_delimiter() {
            continue;
        }
        let at = decoder.position() + passed_over;
        fits(&header.tag, at, len, size)?;
        let value = u64::from(consumed(header.vr(), len));
        if decoder.seek(at + value).is_err() {
            return Ok(());
        }
        passed_over += value;
    }
    Ok(())
}

/// The bytes dicom-rs reads of a value: numbers are read whole, so a length that is
/// not a multiple of the number's width leaves the rest to be read as the next header.
/// The walk must stay where dicom-rs will be, or it checks headers dicom-rs never reads.
fn consumed(vr: VR, len: u32) -> u32 {
    let width = match vr {
        VR::US | VR::OW | VR::SS => 2,
        VR::AT | VR::FL | VR::OF | VR::SL | VR::UL | VR::OL => 4,
        VR::FD | VR::OD | VR::SV | VR::UV | VR::OV => 8,
        _ => 1,
    };
    len - len % width
}

/// Where the meta group starts: after the 128-byte preamble and "DICM", or after a
/// bare "DICM"; `None` for a file that is neither (dicom-rs refuses it).
fn meta_start(reader: &mut impl Read) -> Result<Option<u64>, DecodeError> {
    let mut head = [0u8; 132];
    let mut got = 0;
    while got < head.len() {
        match reader.read(&mut head[got..])? {
            0 => break,
            n => got += n,
        }
    }
    Ok(if got == 132 && &head[128..132] == b"DICM" {
        Some(132)
    } else if got >= 4 && &head[..4] == b"DICM" {
        Some(4)
    } else {
        None
    })
}

/// Checks the meta group (always explicit VR little endian, whatever the data set's
/// syntax), which starts at `start`, read as dicom-rs reads it: its first element gives
/// its length, and elements are read until that many bytes are, whatever their tags.
/// Gives where the data set starts and its transfer syntax UID, or `None` where dicom-rs
/// refuses the file anyway.
fn read_meta(
    reader: &mut impl Read,
    start: u64,
    size: u64,
) -> Result<Option<(u64, String)>, DecodeError> {
    let Some(explicit) = TransferSyntaxRegistry.get(EXPLICIT_VR_LITTLE_ENDIAN) else {
        return Ok(None);
    };
    let Ok(mut meta) = StatefulDecoder::new_with_ts(reader, explicit, 0) else {
        return Ok(None);
    };
    let mut group_length = Vec::new();
    match meta.decode_header() {
        Ok(header) if header.tag == GROUP_LENGTH && header.length() == Length(4) => {
            if meta.read_to_vec(4, &mut group_length).is_err() {
                return Ok(None);
            }
        }
        _ => return Ok(None),
    }
    let group_length = u64::from(u32::from_le_bytes(
        group_length.try_into().expect("four bytes read"),
    ));
    let first = meta.position();
    let mut uid = Vec::new();
    while meta.position() - first < group_length {
        let Ok(header) = meta.decode_header() else {
            return Ok(None);
        };
        let Some(len) = header.length().get() else {
            return Ok(None);
        };
        fits(&header.tag, start + meta.position(), len, size)?;
        let read = if header.tag == TRANSFER_SYNTAX && len <= UID_MAX {
            meta.read_to_vec(len, &mut uid)
        } else {
            meta.skip_bytes(len)
        };
        if read.is_err() {
            return Ok(None);
        }
    }
    Ok(Some((
        start + meta.position(),
        String::from_utf8_lossy(&uid).into_owned(),
    )))
}

fn fits(tag: &Tag, at: u64, len: u32, size: u64) -> Result<(), DecodeError> {
    if at + u64::from(len) > size {
        return Err(DecodeError::Dicom(format!(
            "element {tag} claims {len} bytes at offset {at}, but the file has {size} bytes"
        )));
    }
    Ok(())
}
