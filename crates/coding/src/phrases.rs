//! Diagnosis phrases matched to the table's titles and inclusion terms, by the words
//! they share. A title's words are read the way ICD-10-CM writes them: words in
//! parentheses are nonessential modifiers, and a part that says "unspecified", "NOS",
//! "not ..." or "without ..." is what holds when the text says nothing more, so only
//! the other words must appear in the sentence. Of the terms whose words all appear
//! close together, the one that accounts for the most of the sentence's words wins,
//! and on a tie the table's default ("unspecified") over "other".

use std::collections::BTreeSet;

use sr_icd::Term;

use crate::clauses::Clause;
use crate::words::{self, Mark, Piece};

/// Clinical shorthand and lay words, with the words the tabular list uses instead.
const SYNONYMS: &[(&str, &str)] = &[
    ("cancer", "malignant neoplasm"),
    ("carcinoma", "malignant neoplasm"),
    ("malignancy", "malignant neoplasm"),
    ("tumor", "neoplasm"),
    ("tumour", "neoplasm"),
    ("bleeding", "hemorrhage"),
    ("bleed", "hemorrhage"),
    ("kidney", "renal"),
    ("renal", "kidney"),
    ("heart attack", "myocardial infarction"),
    ("high blood pressure", "hypertension"),
    ("herniation", "displacement"),
    ("herniated", "displacement"),
    ("slipped", "displacement"),
    ("disc", "intervertebral"),
    ("disk", "intervertebral disc"),
    ("htn", "hypertension"),
    ("dm", "diabetes mellitus"),
    ("t2dm", "type 2 diabetes mellitus"),
    ("t1dm", "type 1 diabetes mellitus"),
    ("copd", "chronic obstructive pulmonary disease"),
    ("gerd", "gastro esophageal reflux disease"),
    ("uti", "urinary tract infection"),
    ("mi", "myocardial infarction"),
    ("afib", "atrial fibrillation"),
    ("osa", "obstructive sleep apnea"),
    ("ckd", "chronic kidney disease"),
    ("chf", "heart failure"),
    ("cad", "coronary artery disease"),
    ("ibs", "irritable bowel syndrome"),
    ("sob", "shortness breath"),
    ("aki", "acute kidney failure"),
    ("dvt", "deep vein thrombosis"),
    ("pe", "pulmonary embolism"),
    ("uri", "upper respiratory infection"),
    ("tia", "transient ischemic attack"),
    ("cva", "stroke"),
];

/// Words a history trigger ("history of") stands for in the table's titles: "Old
/// myocardial infarction", "Personal history of ...".
const HISTORY_WORDS: &[&str] = &["old", "personal", "past"];

/// Title words that only say how specific a code is.
const DEFAULTS: &[&str] = &[
    "unspecified",
    "other",
    "nos",
    "specified",
    "classified",
    "elsewhere",
    "abnormal",
];

/// A term's words: those the sentence must have, and those it may.
#[derive(Debug, Clone, PartialEq)]
pub struct Shape {
    pub required: Vec<String>,
    pub optional: Vec<String>,
}

pub fn shape(term: &str) -> Shape {
    let mut depth = 0i32;
    let mut nonessential = Vec::new();
    for c in term.chars() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth -= 1,
            _ => {}
        }
        nonessential.push(depth > 0 || c == ')' || c == ']');
    }
    // Comma-separated parts, each a list of (word, in parentheses).
    let mut parts: Vec<Vec<(String, bool)>> = vec![Vec::new()];
    for piece in words::pieces(term) {
        match piece {
            Piece::Mark(Mark::Comma) => parts.push(Vec::new()),
            Piece::Mark(Mark::Stop) => {}
            Piece::Word(w) => {
                let inside = nonessential.get(w.start).copied().unwrap_or(false);
                parts.last_mut().expect("a part").push((w.lower, inside));
            }
        }
    }
    let mut required = BTreeSet::new();
    let mut optional = BTreeSet::new();
    for (k, part) in parts.iter().enumerate() {
        let default_part = k > 0
            && part
                .iter()
                .any(|(w, _)| matches!(w.as_str(), "unspecified" | "not" | "specified"));
        let mut absent = false;
        for (w, inside) in part {
            absent |= matches!(w.as_str(), "without" | "not");
            if words::is_filler(w) {
                continue;
            }
            let stem = words::stem(w);
            if *inside || default_part || absent || DEFAULTS.contains(&w.as_str()) {
                optional.insert(stem);
            } else {
                required.insert(stem);
            }
        }
    }
    let optional = optional.difference(&required).cloned().collect();
    Shape {
        required: required.into_iter().collect(),
        optional,
    }
}

/// A stem the clause offers, from one of its words: the word's own, a synonym's, or
/// what a history trigger stands for.
#[derive(Debug, Clone, PartialEq)]
pub struct Unit {
    pub stem: String,
    pub token: usize,
    /// The word itself, not a synonym or a trigger's meaning.
    pub literal: bool,
}

/// The stems a clause offers, given the tokens that open a history scope.
pub fn units(clause: &Clause, history_triggers: &[usize]) -> Vec<Unit> {
    let tokens = &clause.tokens;
    let mut out: Vec<Unit> = tokens
        .iter()
        .enumerate()
        .filter(|(_, t)| !t.filler)
        .map(|(i, t)| Unit {
            stem: t.stem.clone(),
            token: i,
            literal: true,
        })
        .collect();
    for (lay, formal) in SYNONYMS {
        let lay: Vec<&str> = lay.split(' ').collect();
        for start in 0..tokens.len().saturating_sub(lay.len() - 1) {
            if lay.iter().zip(&tokens[start..]).all(|(w, t)| *w == t.lower) {
                for w in formal.split(' ') {
                    out.push(Unit {
                        stem: words::stem(w),
                        token: start,
                        literal: false,
                    });
                }
            }
        }
    }
    for &token in history_triggers {
        for w in HISTORY_WORDS {
            out.push(Unit {
                stem: words::stem(w),
                token,
                literal: false,
            });
        }
    }
    out
}

/// The FTS5 queries that find a clause's candidate terms: one per word (or synonym
/// word), so a common word cannot crowd out the terms of a rarer one.
pub fn fts_queries(units: &[Unit], clause: &Clause) -> Vec<String> {
    let mut words: BTreeSet<String> = BTreeSet::new();
    for u in units {
        let t = &clause.tokens[u.token];
        if u.literal {
            if t.lower.chars().any(char::is_alphabetic) {
                words.insert(t.lower.clone());
            }
        } else {
            words.insert(u.stem.clone());
        }
    }
    words
        .iter()
        .map(|w| format!("\"{}\"", w.replace('"', "")))
        .collect()
}

/// A term found in a clause.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    pub term: Term,
    /// The clause's words it accounts for (token indices), in order.
    pub tokens: Vec<usize>,
    /// Of those, the words themselves (not synonyms or a trigger's meaning).
    pub literal: usize,
    /// The term's optional words the clause does not have: the fewer, the closer the
    /// term is to what the text says.
    pub unmatched: usize,
    /// Its required words the clause does not have: a term that misses none matches by
    /// its words; one that misses few may still mean what the clause says.
    pub missing: usize,
    /// Its required words the clause has.
    pub present: usize,
}

impl Found {
    /// The share of the term's required words the clause has.
    pub fn coverage(&self) -> f32 {
        let required = self.present + self.missing;
        self.present as f32 / required.max(1) as f32
    }

    /// Better first: more of the sentence accounted for, then the table's default
    /// code for an unqualified diagnosis, then billable, then the code.
    fn rank(
        &self,
    ) -> (
        std::cmp::Reverse<usize>,
        std::cmp::Reverse<usize>,
        u8,
        usize,
        String,
    ) {
        let title = self.term.title.to_lowercase();
        let default = if title.starts_with("other") {
            2
        } else if title.contains("unspecified") || self.term.text.ends_with(" NOS") {
            0
        } else {
            1
        };
        (
            std::cmp::Reverse(self.tokens.len()),
            std::cmp::Reverse(self.literal),
            default,
            self.unmatched,
            self.term.code.clone(),
        )
    }
}

/// Which of `term`'s required words are in the clause, close together, and which of
/// the clause's words it then accounts for; none when the term shares no required word.
pub fn find(term: &Term, units: &[Unit], clause: &Clause) -> Option<Found> {
    // A few inclusion entries of the tabular list are instructions ("This code is not
    // for inpatient use. Code to ..."), not terms for a diagnosis.
    if term.text.contains(". ") {
        return None;
    }
    let shape = shape(&term.text);
    if shape.required.is_empty() {
        return None;
    }
    let at = |stem: &str| -> Vec<&Unit> { units.iter().filter(|u| u.stem == stem).collect() };
    let places: Vec<Vec<&Unit>> = shape
        .required
        .iter()
        .map(|s| at(s))
        .filter(|ps| !ps.is_empty())
        .collect();
    let missing = shape.required.len() - places.len();
    if places.is_empty() {
        return None;
    }
    // The tightest choice of one place per required word present, around each place of
    // the first one.
    let mut best: Option<(usize, Vec<&Unit>)> = None;
    for anchor in &places[0] {
        let chosen: Vec<&Unit> = places
            .iter()
            .map(|ps| {
                *ps.iter()
                    .min_by_key(|u| (u.token.abs_diff(anchor.token), !u.literal))
                    .expect("non-empty")
            })
            .collect();
        let lo = chosen.iter().map(|u| u.token).min().expect("non-empty");
        let hi = chosen.iter().map(|u| u.token).max().expect("non-empty");
        if best.as_ref().is_none_or(|(span, _)| hi - lo < *span) {
            best = Some((hi - lo, chosen));
        }
    }
    let (span, chosen) = best?;
    let n = places.len();
    if span > 2 * n + 3 {
        return None;
    }
    // "reflux without esophagitis" is not "reflux with esophagitis": a term whose
    // required words straddle a "without" in the text does not match.
    let lo = chosen.iter().map(|u| u.token).min()?;
    let hi = chosen.iter().map(|u| u.token).max()?;
    if clause.tokens[lo..=hi].iter().any(|t| t.lower == "without") {
        return None;
    }
    let mut tokens: BTreeSet<usize> = chosen.iter().map(|u| u.token).collect();
    let mut unmatched = 0;
    for stem in &shape.optional {
        match at(stem)
            .into_iter()
            .filter(|u| u.token + 3 >= lo && u.token <= hi + 3)
            .min_by_key(|u| u.token.abs_diff(lo))
        {
            Some(u) => {
                tokens.insert(u.token);
            }
            None => unmatched += 1,
        }
    }
    let literal = tokens
        .iter()
        .filter(|t| units.iter().any(|u| u.token == **t && u.literal))
        .count();
    Some(Found {
        term: term.clone(),
        literal,
        unmatched,
        missing,
        present: n,
        tokens: tokens.into_iter().collect(),
    })
}

/// The terms that best account for a clause, none sharing a word with another.
pub fn best(mut found: Vec<Found>) -> Vec<Found> {
    found.sort_by_key(Found::rank);
    let mut taken = BTreeSet::new();
    let mut out = Vec::new();
    for f in found {
        if f.literal == 0 || f.tokens.iter().any(|t| taken.contains(t)) {
            continue;
        }
        taken.extend(f.tokens.iter().copied());
        out.push(f);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stems(words: &[&str]) -> Vec<String> {
        let mut v: Vec<String> = words.iter().map(|w| words::stem(w)).collect();
        v.sort();
        v
    }

    #[test]
    fn nonessential_and_default_words_are_optional() {
        let s = shape("Chronic migraine without aura, not intractable, without status migrainosus");
        assert_eq!(s.required, stems(&["chronic", "migraine"]));
        let s = shape("Essential (primary) hypertension");
        assert_eq!(s.required, stems(&["essential", "hypertension"]));
        assert_eq!(s.optional, stems(&["primary"]));
        let s = shape("Pneumonia, unspecified organism");
        assert_eq!(s.required, stems(&["pneumonia"]));
        let s = shape("Type 2 diabetes mellitus with hyperglycemia");
        assert_eq!(
            s.required,
            stems(&["type", "2", "diabetes", "mellitus", "hyperglycemia"])
        );
    }
}
