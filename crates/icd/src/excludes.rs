//! The codes an Excludes1 note names, in its parentheses: single codes (`P23.0`),
//! whole categories (`P24.-`) and ranges (`J70.2-J70.4`).

use std::sync::LazyLock;

use regex::Regex;

/// Codes from `first` to `last`, each read as a prefix: `J70.2`–`J70.4` holds
/// `J70.3` and `J70.41`; a category `P24` holds all of `P24.*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeRange {
    pub first: String,
    pub last: String,
}

impl CodeRange {
    pub fn contains(&self, code: &str) -> bool {
        let cut = |n: usize| &code[..code.len().min(n)];
        cut(self.first.len()) >= self.first.as_str() && cut(self.last.len()) <= self.last.as_str()
    }
}

static CODE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^([A-Z][0-9][0-9A-Z](?:\.[0-9A-Z]{1,4})?)(?:-([A-Z][0-9][0-9A-Z](?:\.[0-9A-Z]{1,4})?))?",
    )
    .expect("code pattern")
});

static PARENTHESES: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\(([^()]*)\)").expect("parentheses pattern"));

/// The ranges a note names.
pub(crate) fn ranges(note: &str) -> Vec<CodeRange> {
    PARENTHESES
        .captures_iter(note)
        .flat_map(|group| {
            group[1]
                .split(',')
                .filter_map(|part| {
                    let found = CODE.captures(part.trim())?;
                    let first = found[1].to_string();
                    let last = found
                        .get(2)
                        .map_or(first.clone(), |m| m.as_str().to_string());
                    Some(CodeRange { first, last })
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(first: &str, last: &str) -> CodeRange {
        CodeRange {
            first: first.into(),
            last: last.into(),
        }
    }

    #[test]
    fn notes_name_codes_categories_and_ranges() {
        assert_eq!(
            ranges("congenital pneumonia (P23.0)"),
            [range("P23.0", "P23.0")]
        );
        assert_eq!(
            ranges("neonatal aspiration pneumonia (P24.-)"),
            [range("P24", "P24")]
        );
        assert_eq!(
            ranges("drug-induced interstitial lung disorder (J70.2-J70.4)"),
            [range("J70.2", "J70.4")]
        );
        assert_eq!(
            ranges("influenza (J09.X1, J10.0-, J11.0-)"),
            [
                range("J09.X1", "J09.X1"),
                range("J10.0", "J10.0"),
                range("J11.0", "J11.0")
            ]
        );
        assert_eq!(
            ranges("intestinal infections (A00-A09)"),
            [range("A00", "A09")]
        );
        assert!(ranges("no codes here").is_empty());
    }

    #[test]
    fn ranges_hold_their_codes_as_prefixes() {
        let r = range("J70.2", "J70.4");
        assert!(r.contains("J70.2") && r.contains("J70.3") && r.contains("J70.41"));
        assert!(!r.contains("J70.1") && !r.contains("J70.5") && !r.contains("J69"));
        let category = range("P24", "P24");
        assert!(category.contains("P24.01") && !category.contains("P25.0"));
        assert!(range("A00", "A09").contains("A08.4"));
    }
}
