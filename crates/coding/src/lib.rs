//! ICD-10-CM codes suggested from a document's text, each with its evidence on the
//! page: codes written in the text, validated against the table; diagnosis phrases
//! matched to the table's titles and inclusion terms; each finding's standing
//! (negated, uncertain, history, family) from the words around it. Suggestions are for
//! a coder to accept, reject or edit, never codes billed by themselves.

mod clauses;
mod context;
mod meaning;
mod phrases;
mod words;
mod written;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sr_icd::{IcdError, IcdTable};
use sr_ocr::{PageText, Quad};
use ts_rs::TS;

pub use context::Status;
pub use meaning::Embed;

use clauses::Clause;
use context::Scope;

/// Stored with every result, so a coder's verdict names the extraction that suggested.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// How a suggestion was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Found {
    /// The code is written in the text.
    Written,
    /// A diagnosis phrase matched the code's title or an inclusion term.
    Phrase,
    /// Both: the code is written next to its diagnosis.
    WrittenAndPhrase,
    /// A diagnosis phrase meant a title or inclusion term whose words it only partly
    /// has (a sentence encoder judged them close).
    Meaning,
}

#[derive(Debug, thiserror::Error)]
pub enum CodingError {
    #[error(transparent)]
    Icd(#[from] IcdError),
    #[error("matching diagnoses by meaning failed: {0}")]
    Meaning(String),
}

/// Where a suggestion's words are: the page, the words as read, and a box per line
/// they sit on (corners in fractions of the page, as the OCR gives lines).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Evidence {
    /// 0-based.
    pub page: u32,
    pub text: String,
    pub boxes: Vec<Quad>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Suggestion {
    pub code: String,
    pub title: String,
    /// A header (category) code cannot be billed: the coder picks a code below it.
    pub billable: bool,
    pub status: Status,
    /// 0..1: how sure the match is, times how sure the OCR was of those words.
    pub confidence: f32,
    pub found: Found,
    /// The title or inclusion term that matched a phrase.
    pub matched: Option<String>,
    pub evidence: Evidence,
    /// The Excludes1 notes that bar this code beside other suggested ones.
    pub excludes1: Vec<String>,
}

/// Candidate terms fetched from the table per word of a clause.
const CANDIDATES: usize = 300;

/// The suggestions for a document's pages, in reading order; a code appears once per
/// standing (present, negated, ...), at its surest mention. Without an encoder,
/// phrases match by their words alone.
pub fn suggest(
    pages: &[PageText],
    table: &IcdTable,
    encoder: Option<&dyn Embed>,
) -> Result<Vec<Suggestion>, CodingError> {
    let mut out: Vec<(usize, Suggestion)> = Vec::new();
    for (order, clause) in clauses::clauses(pages).iter().enumerate() {
        for s in in_clause(clause, pages, table, encoder)? {
            out.push((order, s));
        }
    }
    let mut best: BTreeMap<(String, Status), (usize, Suggestion)> = BTreeMap::new();
    for (order, s) in out {
        let key = (s.code.clone(), s.status);
        match best.get(&key) {
            Some((_, kept)) if kept.confidence >= s.confidence => {}
            _ => {
                best.insert(key, (order, s));
            }
        }
    }
    let mut out: Vec<(usize, Suggestion)> = best.into_values().collect();
    out.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.code.cmp(&b.1.code)));
    let mut out: Vec<Suggestion> = out.into_iter().map(|(_, s)| s).collect();
    flag_excludes1(&mut out, table)?;
    Ok(out)
}

fn in_clause(
    clause: &Clause,
    pages: &[PageText],
    table: &IcdTable,
    encoder: Option<&dyn Embed>,
) -> Result<Vec<Suggestion>, CodingError> {
    let scopes = context::scopes(clause);
    let mut written = Vec::new();
    for (i, token) in clause.tokens.iter().enumerate() {
        for reading in written::readings(&token.lower) {
            if let Some(info) = table.get(&reading)? {
                written.push((i, info));
                break;
            }
        }
    }
    let history: Vec<usize> = scopes
        .iter()
        .filter(|s| s.status == Status::History)
        .flat_map(|s| s.trigger.clone())
        .filter(|&i| !clause.tokens[i].filler)
        .collect();
    let units = phrases::units(clause, &history);
    let mut found = Vec::new();
    let mut near = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for query in phrases::fts_queries(&units, clause) {
        for term in table.terms(&query, CANDIDATES, true)? {
            if !seen.insert((term.code.clone(), term.text.clone())) {
                continue;
            }
            match phrases::find(&term, &units, clause) {
                Some(f) if f.missing == 0 => found.push(f),
                Some(f) => near.push(f),
                None => {}
            }
        }
    }
    let by_words = phrases::best(found);
    let meant = match encoder {
        Some(encoder) => {
            let triggers = scopes.iter().flat_map(|s| s.trigger.clone()).collect();
            let by_words: Vec<&phrases::Found> = by_words.iter().collect();
            meaning::find(clause, near, &by_words, &triggers, encoder)
                .map_err(CodingError::Meaning)?
        }
        None => Vec::new(),
    };
    let meant_tokens: std::collections::BTreeSet<usize> = meant
        .iter()
        .flat_map(|m| m.found.tokens.iter().copied())
        .collect();
    let found: Vec<(phrases::Found, Option<f32>)> = by_words
        .into_iter()
        .filter(|f| !f.tokens.iter().any(|t| meant_tokens.contains(t)))
        .map(|f| (f, None))
        .chain(meant.into_iter().map(|m| (m.found, Some(m.cosine))))
        .collect();
    // A "without" that is part of a diagnosis's name ("diabetes without complications")
    // negates nothing after it ("... and essential hypertension").
    let named: std::collections::BTreeSet<usize> = found
        .iter()
        .filter(|(_, cosine)| cosine.is_none())
        .flat_map(|(f, _)| f.tokens.iter().copied())
        .collect();
    let scopes: Vec<Scope> = scopes
        .into_iter()
        .filter(|s| !(s.status == Status::Negated && s.trigger.clone().all(|i| named.contains(&i))))
        .collect();
    let mut out = Vec::new();
    let mut phrase_of_written: BTreeMap<usize, phrases::Found> = BTreeMap::new();
    for (f, cosine) in found {
        // The code written beside a diagnosis is the author's choice: a phrase match
        // in the same category adds its words as evidence instead of a second code.
        match written
            .iter()
            .position(|(_, info)| info.code.get(..3) == f.term.code.get(..3))
        {
            Some(w) => {
                phrase_of_written.entry(w).or_insert(f);
            }
            None => {
                let (sure, how) = match cosine {
                    None => (phrase_confidence(&f), Found::Phrase),
                    Some(cosine) => (meaning_confidence(&f, cosine), Found::Meaning),
                };
                out.push(Suggestion {
                    code: f.term.code.clone(),
                    title: f.term.title.clone(),
                    billable: f.term.billable,
                    status: status(clause, &scopes, &f.tokens),
                    confidence: sure * ocr_confidence(clause, &f.tokens, pages),
                    found: how,
                    matched: Some(f.term.text.clone()),
                    evidence: evidence(clause, &f.tokens, pages),
                    excludes1: Vec::new(),
                });
            }
        }
    }
    for (w, (token, info)) in written.into_iter().enumerate() {
        let phrase = phrase_of_written.remove(&w);
        let mut tokens = vec![token];
        let (found, matched) = match &phrase {
            Some(f) if f.term.code == info.code => {
                tokens.extend(&f.tokens);
                (Found::WrittenAndPhrase, Some(f.term.text.clone()))
            }
            _ => (Found::Written, None),
        };
        tokens.sort_unstable();
        // The code stands as its diagnosis does ("reflux without esophagitis, K21.9"
        // is not negated by the "without" before the code).
        let standing: Vec<usize> = phrase.as_ref().map_or(tokens.clone(), |f| f.tokens.clone());
        let sure = if found == Found::WrittenAndPhrase {
            0.99
        } else {
            0.95
        };
        out.push(Suggestion {
            status: status(clause, &scopes, &standing),
            confidence: sure * ocr_confidence(clause, &[token], pages),
            code: info.code,
            title: info.title,
            billable: info.billable,
            found,
            matched,
            evidence: evidence(clause, &tokens, pages),
            excludes1: Vec::new(),
        });
    }
    Ok(out)
}

/// A phrase match is surer the more of its words the text has literally rather than
/// through a synonym, and the more words it accounts for.
fn phrase_confidence(f: &phrases::Found) -> f32 {
    let literal = f.literal as f32 / f.tokens.len().max(1) as f32;
    let words = (f.tokens.len() as f32 / 3.0).min(1.0);
    0.55 + 0.2 * literal + 0.2 * words
}

/// A match by meaning is less sure than one by words: as sure as the encoder is
/// close, scaled by how many of the term's words the text has.
fn meaning_confidence(f: &phrases::Found, cosine: f32) -> f32 {
    cosine * (0.5 + 0.3 * f.coverage())
}

fn status(clause: &Clause, scopes: &[Scope], tokens: &[usize]) -> Status {
    let first = tokens.iter().copied().min().unwrap_or(0);
    context::status_of(scopes, first, &|i| {
        tokens.contains(&i) || clause.tokens[i].filler
    })
}

/// The OCR's confidence in the lines the words are on: the least sure of them.
fn ocr_confidence(clause: &Clause, tokens: &[usize], pages: &[PageText]) -> f32 {
    tokens
        .iter()
        .map(|&i| {
            let t = &clause.tokens[i];
            pages[t.page].lines[t.line].confidence
        })
        .fold(1.0, f32::min)
}

/// The words from the first to the last of `tokens`, and a box per line they cover.
fn evidence(clause: &Clause, tokens: &[usize], pages: &[PageText]) -> Evidence {
    let lo = tokens.iter().copied().min().unwrap_or(0);
    let hi = tokens.iter().copied().max().unwrap_or(0);
    let span = &clause.tokens[lo..=hi];
    let page = span[0].page;
    let mut boxes = Vec::new();
    let mut text = Vec::new();
    let mut line_start = 0;
    while line_start < span.len() {
        let line = span[line_start].line;
        let on_line = span[line_start..]
            .iter()
            .take_while(|t| t.line == line)
            .count();
        let first = &span[line_start];
        let last = &span[line_start + on_line - 1];
        let line_text = &pages[page].lines[line];
        let chars: Vec<char> = line_text.text.chars().collect();
        boxes.push(line_text.span(first.start, last.end));
        text.push(chars[first.start..last.end].iter().collect::<String>());
        line_start += on_line;
    }
    Evidence {
        page: pages[page].page,
        text: text.join(" "),
        boxes,
    }
}

/// Marks present suggestions that an Excludes1 note bars from being coded together.
fn flag_excludes1(suggestions: &mut [Suggestion], table: &IcdTable) -> Result<(), CodingError> {
    let present: Vec<usize> = (0..suggestions.len())
        .filter(|&i| suggestions[i].status == Status::Present)
        .collect();
    let codes: Vec<&str> = present
        .iter()
        .map(|&i| suggestions[i].code.as_str())
        .collect();
    for (a, b, note) in table.excludes1_pairs(&codes)? {
        let (a, b) = (present[a], present[b]);
        let (code_a, code_b) = (suggestions[a].code.clone(), suggestions[b].code.clone());
        suggestions[a]
            .excludes1
            .push(format!("with {code_b}: {note}"));
        suggestions[b]
            .excludes1
            .push(format!("with {code_a}: {note}"));
    }
    Ok(())
}
