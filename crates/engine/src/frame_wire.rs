//! The binary form in which a frame crosses to the webview (custom URI scheme).
//!
//! A 32-byte little-endian header, then the samples:
//! `magic "SRF1" | width u32 | height u32 | kind u8 (0 grey16, 1 rgba8) | invert u8 |
//!  has_window u8 | pad u8 | slope f32 | intercept f32 | center f32 | width f32`.
//! Greyscale stays 16-bit so the viewer windows it locally, without a round trip.

use sr_decode::{Frame, Pixels};

pub const MAGIC: &[u8; 4] = b"SRF1";
pub const HEADER_LEN: usize = 32;

pub fn encode(frame: &Frame) -> Vec<u8> {
    let (kind, invert, slope, intercept, body_len) = match &frame.pixels {
        Pixels::Gray {
            stored,
            slope,
            intercept,
            invert,
        } => (0u8, *invert, *slope, *intercept, stored.len() * 2),
        Pixels::Rgba(bytes) => (1u8, false, 1.0, 0.0, bytes.len()),
    };
    let mut out = Vec::with_capacity(HEADER_LEN + body_len);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&frame.width.to_le_bytes());
    out.extend_from_slice(&frame.height.to_le_bytes());
    out.push(kind);
    out.push(u8::from(invert));
    out.push(u8::from(frame.window.is_some()));
    out.push(0);
    out.extend_from_slice(&slope.to_le_bytes());
    out.extend_from_slice(&intercept.to_le_bytes());
    let window = frame.window.unwrap_or(sr_decode::Window {
        center: 0.0,
        width: 0.0,
    });
    out.extend_from_slice(&window.center.to_le_bytes());
    out.extend_from_slice(&window.width.to_le_bytes());
    match &frame.pixels {
        Pixels::Gray { stored, .. } => {
            for v in stored {
                out.extend_from_slice(&v.to_le_bytes());
            }
        }
        Pixels::Rgba(bytes) => out.extend_from_slice(bytes),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_carries_geometry_and_window() {
        let frame = Frame {
            width: 2,
            height: 1,
            pixels: Pixels::Gray {
                stored: vec![1, 513],
                slope: 1.0,
                intercept: -1024.0,
                invert: true,
            },
            window: Some(sr_decode::Window {
                center: 40.0,
                width: 400.0,
            }),
        };
        let bytes = encode(&frame);
        assert_eq!(&bytes[..4], MAGIC);
        assert_eq!(u32::from_le_bytes(bytes[4..8].try_into().unwrap()), 2);
        assert_eq!(bytes[12..16], [0, 1, 1, 0]);
        assert_eq!(
            f32::from_le_bytes(bytes[20..24].try_into().unwrap()),
            -1024.0
        );
        assert_eq!(f32::from_le_bytes(bytes[28..32].try_into().unwrap()), 400.0);
        assert_eq!(&bytes[HEADER_LEN..], &[1, 0, 1, 2]);
    }
}
