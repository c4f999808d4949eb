//! What the text says about a finding, NegEx-style: trigger phrases ("denies", "no
//! evidence of", "rule out", "history of", "family history of") open a scope over the
//! words that follow (or, for a few, those before), up to the clause's end, a
//! terminator ("but", "however") or the next trigger, and at most [`REACH`] words.

use std::ops::Range;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::clauses::Clause;

/// How a diagnosis stands in the text. Only `Present` is coded as a current condition;
/// the others are shown so a coder sees why a code was not suggested for billing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Present,
    /// "denies chest pain", "no evidence of pulmonary embolism".
    Negated,
    /// "rule out sleep apnea", "possible", "suspected".
    Uncertain,
    /// The patient had it before ("history of"), and no history code says so.
    History,
    /// A relative has it, and no family-history code says so.
    Family,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Present => "present",
            Status::Negated => "negated",
            Status::Uncertain => "uncertain",
            Status::History => "history",
            Status::Family => "family",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reach {
    /// Over the words after the trigger.
    Forward,
    /// Over the words before it ("pulmonary embolism was ruled out").
    Backward,
    /// Ends any scope it meets ("but", "however").
    Stop,
}

/// Non-filler words a scope reaches over at most.
const REACH: usize = 8;

/// Longest first where one starts another ("no history of" before "no").
const TRIGGERS: &[(&str, Option<Status>, Reach)] = &[
    // Phrases that look like triggers and are not.
    ("no change", None, Reach::Stop),
    ("no increase", None, Reach::Stop),
    ("not only", None, Reach::Stop),
    ("gram negative", None, Reach::Stop),
    ("without difficulty", None, Reach::Stop),
    ("but", None, Reach::Stop),
    ("however", None, Reach::Stop),
    ("although", None, Reach::Stop),
    ("though", None, Reach::Stop),
    ("except", None, Reach::Stop),
    ("apart from", None, Reach::Stop),
    ("aside from", None, Reach::Stop),
    ("which", None, Reach::Stop),
    ("who", None, Reach::Stop),
    ("family history of", Some(Status::Family), Reach::Forward),
    ("family history", Some(Status::Family), Reach::Forward),
    ("fh of", Some(Status::Family), Reach::Forward),
    ("no history of", Some(Status::Negated), Reach::Forward),
    ("no evidence of", Some(Status::Negated), Reach::Forward),
    ("no signs of", Some(Status::Negated), Reach::Forward),
    ("no sign of", Some(Status::Negated), Reach::Forward),
    ("no known", Some(Status::Negated), Reach::Forward),
    ("negative for", Some(Status::Negated), Reach::Forward),
    ("free of", Some(Status::Negated), Reach::Forward),
    ("absence of", Some(Status::Negated), Reach::Forward),
    ("was ruled out", Some(Status::Negated), Reach::Backward),
    ("is ruled out", Some(Status::Negated), Reach::Backward),
    ("has been ruled out", Some(Status::Negated), Reach::Backward),
    ("ruled out", Some(Status::Negated), Reach::Forward),
    ("was excluded", Some(Status::Negated), Reach::Backward),
    ("is unlikely", Some(Status::Negated), Reach::Backward),
    ("unlikely", Some(Status::Negated), Reach::Backward),
    ("denies", Some(Status::Negated), Reach::Forward),
    ("denied", Some(Status::Negated), Reach::Forward),
    ("deny", Some(Status::Negated), Reach::Forward),
    ("denying", Some(Status::Negated), Reach::Forward),
    ("without", Some(Status::Negated), Reach::Forward),
    ("never", Some(Status::Negated), Reach::Forward),
    ("no", Some(Status::Negated), Reach::Forward),
    ("not", Some(Status::Negated), Reach::Forward),
    (
        "cannot be excluded",
        Some(Status::Uncertain),
        Reach::Backward,
    ),
    ("not excluded", Some(Status::Uncertain), Reach::Backward),
    ("is suspected", Some(Status::Uncertain), Reach::Backward),
    ("is possible", Some(Status::Uncertain), Reach::Backward),
    ("rule out", Some(Status::Uncertain), Reach::Forward),
    ("r/o", Some(Status::Uncertain), Reach::Forward),
    ("cannot exclude", Some(Status::Uncertain), Reach::Forward),
    ("suspicion of", Some(Status::Uncertain), Reach::Forward),
    ("concern for", Some(Status::Uncertain), Reach::Forward),
    ("evaluate for", Some(Status::Uncertain), Reach::Forward),
    ("possible", Some(Status::Uncertain), Reach::Forward),
    ("possibly", Some(Status::Uncertain), Reach::Forward),
    ("probable", Some(Status::Uncertain), Reach::Forward),
    ("suspected", Some(Status::Uncertain), Reach::Forward),
    ("query", Some(Status::Uncertain), Reach::Forward),
    ("questionable", Some(Status::Uncertain), Reach::Forward),
    ("presumed", Some(Status::Uncertain), Reach::Forward),
    (
        "past medical history of",
        Some(Status::History),
        Reach::Forward,
    ),
    ("past history of", Some(Status::History), Reach::Forward),
    ("history of", Some(Status::History), Reach::Forward),
    ("hx of", Some(Status::History), Reach::Forward),
    ("h/o", Some(Status::History), Reach::Forward),
    ("status post", Some(Status::History), Reach::Forward),
    ("s/p", Some(Status::History), Reach::Forward),
    ("previous", Some(Status::History), Reach::Forward),
    ("prior", Some(Status::History), Reach::Forward),
];

/// One trigger in a clause and the words it reaches.
#[derive(Debug, Clone, PartialEq)]
pub struct Scope {
    pub status: Status,
    /// The trigger's own words (token indices).
    pub trigger: Range<usize>,
    pub covers: Range<usize>,
}

/// The scopes of every trigger in a clause.
pub fn scopes(clause: &Clause) -> Vec<Scope> {
    let words: Vec<&str> = clause.tokens.iter().map(|t| t.lower.as_str()).collect();
    let mut found: Vec<(Range<usize>, Option<Status>, Reach)> = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let hit = TRIGGERS.iter().find_map(|(phrase, status, reach)| {
            let n = phrase.split(' ').count();
            (words.len() - i >= n && phrase.split(' ').eq(words[i..i + n].iter().copied()))
                .then_some((i..i + n, *status, *reach))
        });
        match hit {
            Some(hit) => {
                i = hit.0.end;
                found.push(hit);
            }
            None => i += 1,
        }
    }
    // How many words a scope spans, at most REACH of them not filler.
    let within = |indices: &mut dyn Iterator<Item = usize>| -> usize {
        let mut words = 0;
        let mut taken = 0;
        for i in indices {
            words += usize::from(!clause.tokens[i].filler);
            if words > REACH {
                break;
            }
            taken += 1;
        }
        taken
    };
    let mut out = Vec::new();
    for (k, (trigger, status, direction)) in found.iter().enumerate() {
        let Some(status) = status else { continue };
        let covers = match direction {
            Reach::Forward => {
                let limit = found.get(k + 1).map_or(words.len(), |f| f.0.start);
                trigger.end..trigger.end + within(&mut (trigger.end..limit))
            }
            Reach::Backward => {
                let limit = k.checked_sub(1).map_or(0, |p| found[p].0.end);
                trigger.start - within(&mut (limit..trigger.start).rev())..trigger.start
            }
            Reach::Stop => continue,
        };
        if !covers.is_empty() {
            out.push(Scope {
                status: *status,
                trigger: trigger.clone(),
                covers,
            });
        }
    }
    out
}

/// How a finding stands: the nearest trigger whose scope holds its first word, unless
/// the finding's own words include the trigger's (a "Family history of ..." code
/// states the family history itself, so it is coded as it stands).
pub fn status_of(scopes: &[Scope], first: usize, own: &dyn Fn(usize) -> bool) -> Status {
    scopes
        .iter()
        .filter(|s| s.covers.contains(&first) && !s.trigger.clone().all(own))
        .min_by_key(|s| first.abs_diff(s.trigger.start))
        .map_or(Status::Present, |s| s.status)
}
