//! Words as the matcher compares them: lower case and stemmed (Snowball English), so
//! that "wheeze" meets "Wheezing" and "infections" meets "infection".

use std::sync::LazyLock;

use rust_stemmers::{Algorithm, Stemmer};

static STEMMER: LazyLock<Stemmer> = LazyLock::new(|| Stemmer::create(Algorithm::English));

/// A word of a line, by character offsets into it.
#[derive(Debug, Clone, PartialEq)]
pub struct Word {
    pub start: usize,
    pub end: usize,
    pub lower: String,
}

/// What separates two words, as far as clauses go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// `.`, `;`, `:`, `!`, `?`: the end of a sentence or a labelled part.
    Stop,
    Comma,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Piece {
    Word(Word),
    Mark(Mark),
}

/// Splits a line into words and marks. A dot or slash between two letters or digits
/// stays inside the word, so `E11.65`, `10.5` and `r/o` are one word each.
pub fn pieces(line: &str) -> Vec<Piece> {
    let chars: Vec<char> = line.chars().collect();
    let mut out = Vec::new();
    let mut start = None;
    let inner = |i: usize| {
        matches!(chars[i], '.' | '/' | '\'')
            && i > 0
            && i + 1 < chars.len()
            && chars[i - 1].is_alphanumeric()
            && chars[i + 1].is_alphanumeric()
    };
    for i in 0..=chars.len() {
        let in_word = i < chars.len() && (chars[i].is_alphanumeric() || inner(i));
        match (in_word, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push(Piece::Word(Word {
                    start: s,
                    end: i,
                    lower: chars[s..i].iter().collect::<String>().to_lowercase(),
                }));
                start = None;
            }
            _ => {}
        }
        if !in_word && i < chars.len() {
            match chars[i] {
                '.' | ';' | ':' | '!' | '?' => out.push(Piece::Mark(Mark::Stop)),
                ',' => out.push(Piece::Mark(Mark::Comma)),
                _ => {}
            }
        }
    }
    out
}

pub fn stem(lower: &str) -> String {
    STEMMER.stem(lower).into_owned()
}

/// Words that never tell one diagnosis from another.
pub fn is_filler(lower: &str) -> bool {
    matches!(
        lower,
        "a" | "an"
            | "the"
            | "of"
            | "and"
            | "or"
            | "in"
            | "on"
            | "at"
            | "to"
            | "for"
            | "by"
            | "as"
            | "from"
            | "with"
            | "due"
            | "is"
            | "are"
            | "was"
            | "were"
            | "be"
            | "been"
            | "this"
            | "that"
            | "which"
            | "has"
            | "had"
            | "have"
            | "patient"
            | "s"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<String> {
        pieces(line)
            .into_iter()
            .filter_map(|p| match p {
                Piece::Word(w) => Some(w.lower),
                Piece::Mark(_) => None,
            })
            .collect()
    }

    #[test]
    fn codes_and_decimals_stay_whole_and_sentence_dots_split() {
        assert_eq!(
            words("Hyperglycemia (E11.65), r/o OSA. Dose 10.5 mg."),
            [
                "hyperglycemia",
                "e11.65",
                "r/o",
                "osa",
                "dose",
                "10.5",
                "mg"
            ]
        );
        let marks: Vec<Mark> = pieces("a, b. c; d")
            .into_iter()
            .filter_map(|p| match p {
                Piece::Mark(m) => Some(m),
                Piece::Word(_) => None,
            })
            .collect();
        assert_eq!(marks, [Mark::Comma, Mark::Stop, Mark::Stop]);
    }

    #[test]
    fn stems_meet_across_inflections() {
        assert_eq!(stem("wheezing"), stem("wheeze"));
        assert_eq!(stem("infections"), stem("infection"));
    }
}
