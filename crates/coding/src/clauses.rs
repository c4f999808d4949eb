//! A document's text cut into clauses: the stretches a diagnosis, and a negation's
//! reach, stay inside. A clause ends at a sentence mark, or at a line end where the
//! next line starts anew (a capital or a digit), so a list of diagnoses one per line
//! is a list of clauses while a sentence wrapped over two lines stays one.

use sr_ocr::PageText;

use crate::words::{self, Mark, Piece};

/// A word with where it sits: which page and line, which characters of the line.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub page: usize,
    pub line: usize,
    pub start: usize,
    pub end: usize,
    pub lower: String,
    pub stem: String,
    pub filler: bool,
    /// A comma comes right before this word.
    pub after_comma: bool,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Clause {
    pub tokens: Vec<Token>,
}

/// The clauses of every page, in reading order; pages never share a clause.
pub fn clauses(pages: &[PageText]) -> Vec<Clause> {
    let mut out = Vec::new();
    for (page, text) in pages.iter().enumerate() {
        let mut clause = Clause::default();
        for (line, text_line) in text.lines.iter().enumerate() {
            let starts_anew = text_line
                .text
                .trim_start()
                .chars()
                .next()
                .is_some_and(|c| c.is_uppercase() || c.is_ascii_digit());
            if starts_anew {
                flush(&mut clause, &mut out);
            }
            let mut after_comma = false;
            for piece in words::pieces(&text_line.text) {
                match piece {
                    Piece::Mark(Mark::Stop) => flush(&mut clause, &mut out),
                    Piece::Mark(Mark::Comma) => after_comma = true,
                    Piece::Word(w) => {
                        clause.tokens.push(Token {
                            page,
                            line,
                            start: w.start,
                            end: w.end,
                            stem: words::stem(&w.lower),
                            filler: words::is_filler(&w.lower),
                            lower: w.lower,
                            after_comma,
                        });
                        after_comma = false;
                    }
                }
            }
        }
        flush(&mut clause, &mut out);
    }
    out
}

fn flush(clause: &mut Clause, out: &mut Vec<Clause>) {
    if !clause.tokens.is_empty() {
        out.push(std::mem::take(clause));
    }
}
