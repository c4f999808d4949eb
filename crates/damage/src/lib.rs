//! Damaged copies of real inputs for the property tests: bits flipped, bytes
//! overwritten, inserted or cut, the end torn off; the way a disk, a network or an
//! attacker damages a file. A real file damaged a little reaches far deeper into a
//! parser than random bytes, which most parsers refuse at the first byte.
//!
//! The number of cases comes from `PROPTEST_CASES` (proptest's own default when unset):
//! `make test` runs the default, `make fuzz` many more.

use proptest::prelude::*;

/// One change to a file, at a position taken as a fraction of its length (so that
/// shrinking keeps the change where it was).
#[derive(Debug, Clone)]
pub enum Damage {
    Flip { at: f64, mask: u8 },
    Overwrite { at: f64, bytes: Vec<u8> },
    Insert { at: f64, bytes: Vec<u8> },
    Cut { at: f64, len: usize },
    Truncate { at: f64 },
}

fn damage() -> impl Strategy<Value = Damage> {
    let at = 0.0..1.0f64;
    // Bytes that parsers give meaning to: zero, all ones, the sign bit, delimiters.
    let bytes = prop::collection::vec(
        prop_oneof![
            any::<u8>(),
            Just(0u8),
            Just(0xFF),
            Just(0x7F),
            Just(b'"'),
            Just(b'\n')
        ],
        1..16,
    );
    prop_oneof![
        4 => (at.clone(), 1..=255u8).prop_map(|(at, mask)| Damage::Flip { at, mask }),
        3 => (at.clone(), bytes.clone()).prop_map(|(at, bytes)| Damage::Overwrite { at, bytes }),
        2 => (at.clone(), bytes).prop_map(|(at, bytes)| Damage::Insert { at, bytes }),
        1 => (at.clone(), 1..512usize).prop_map(|(at, len)| Damage::Cut { at, len }),
        1 => at.prop_map(|at| Damage::Truncate { at }),
    ]
}

/// `original` with one to five changes.
pub fn damaged(original: Vec<u8>) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(damage(), 1..6).prop_map(move |changes| apply(original.clone(), &changes))
}

/// `original` with one to five changes, read back as text the way a parser given
/// bytes would (invalid UTF-8 replaced).
pub fn damaged_text(original: &str) -> impl Strategy<Value = String> {
    damaged(original.as_bytes().to_vec())
        .prop_map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
}

fn apply(mut file: Vec<u8>, changes: &[Damage]) -> Vec<u8> {
    for change in changes {
        let len = file.len();
        if len == 0 {
            break;
        }
        let pos = |at: f64| ((at * len as f64) as usize).min(len - 1);
        match change {
            Damage::Flip { at, mask } => file[pos(*at)] ^= mask,
            Damage::Overwrite { at, bytes } => {
                let start = pos(*at);
                let end = (start + bytes.len()).min(len);
                file[start..end].copy_from_slice(&bytes[..end - start]);
            }
            Damage::Insert { at, bytes } => {
                let start = pos(*at);
                file.splice(start..start, bytes.iter().copied());
            }
            Damage::Cut { at, len: cut } => {
                let start = pos(*at);
                file.drain(start..(start + cut).min(len));
            }
            Damage::Truncate { at } => file.truncate(pos(*at)),
        }
    }
    file
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_change_lands_where_it_says() {
        let file = b"0123456789".to_vec();
        let flip = apply(file.clone(), &[Damage::Flip { at: 0.5, mask: 1 }]);
        assert_eq!(flip, b"0123446789");
        let cut = apply(file.clone(), &[Damage::Cut { at: 0.2, len: 3 }]);
        assert_eq!(cut, b"0156789");
        let torn = apply(file, &[Damage::Truncate { at: 0.3 }]);
        assert_eq!(torn, b"012");
    }
}
