//! Diagnosis phrases matched by meaning where their words fall short: "carpal tunnel
//! syndrome of the right wrist" has most, not all, of "Carpal tunnel syndrome, right
//! upper limb". Terms that share most of their required words with the clause are
//! compared with its words by a sentence encoder; the closest, if close enough and
//! clearly closer than any other code, is suggested. Words still decide which terms
//! are candidates, so a clause about nothing clinical finds nothing.

use std::collections::BTreeSet;

use crate::clauses::Clause;
use crate::phrases::Found;

/// Sentences to unit vectors, so a dot product is their cosine.
pub trait Embed {
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, String>;
}

/// The least share of a term's required words the clause must have.
const MIN_COVERAGE: f32 = 0.5;
/// Near misses compared per clause, the surest by their words first.
const COMPARED: usize = 24;
/// The least cosine between the clause's words and a term for it to be suggested.
/// MiniLM puts a bare "hypertension" nearer "Postprocedural hypertension" (0.81) than
/// "Essential (primary) hypertension" (0.74): below this it cannot tell a diagnosis from
/// its neighbours, and a wrong code costs the coder more than a missing one.
const MIN_COSINE: f32 = 0.88;
/// Two different codes for the same words this close are a guess between them: neither
/// is suggested ("right" and "left" are near in meaning).
const MARGIN: f32 = 0.02;

/// A term matched by meaning, with how close it came.
pub struct Meant {
    pub found: Found,
    pub cosine: f32,
}

/// The near misses that mean what the clause says, none sharing a word with another.
/// One may share words with a term matched by its words (`by_words`) only if it
/// accounts for more of the clause ("carpal tunnel syndrome of the right wrist" is more
/// than "carpal tunnel syndrome"); the caller then drops that term.
pub fn find(
    clause: &Clause,
    near: Vec<Found>,
    by_words: &[&Found],
    triggers: &BTreeSet<usize>,
    embed: &dyn Embed,
) -> Result<Vec<Meant>, String> {
    let outweighs = |f: &Found| {
        by_words.iter().all(|w| {
            !w.tokens.iter().any(|t| f.tokens.contains(t)) || f.tokens.len() > w.tokens.len()
        })
    };
    let mut near: Vec<Found> = near
        .into_iter()
        .filter(|f| f.missing > 0 && f.literal > 0 && f.coverage() >= MIN_COVERAGE && outweighs(f))
        .collect();
    near.sort_by(|a, b| {
        b.coverage()
            .total_cmp(&a.coverage())
            .then(b.tokens.len().cmp(&a.tokens.len()))
            .then(a.term.code.cmp(&b.term.code))
    });
    near.truncate(COMPARED);
    if near.is_empty() {
        return Ok(Vec::new());
    }
    let phrases: Vec<String> = near
        .iter()
        .map(|f| phrase(clause, &f.tokens, triggers))
        .collect();
    let mut texts: Vec<&str> = phrases.iter().map(String::as_str).collect();
    texts.extend(near.iter().map(|f| f.term.text.as_str()));
    let vectors = embed.embed(&texts)?;
    let (said, terms) = vectors.split_at(near.len());
    let scored: Vec<Meant> = near
        .into_iter()
        .zip(said.iter().zip(terms))
        .map(|(found, (a, b))| Meant {
            cosine: a.iter().zip(b).map(|(x, y)| x * y).sum(),
            found,
        })
        .collect();
    let overlap = |a: &Found, b: &Found| a.tokens.iter().any(|t| b.tokens.contains(t));
    let guessed = |m: &Meant| {
        scored.iter().any(|o| {
            o.found.term.code != m.found.term.code
                && overlap(&o.found, &m.found)
                && o.cosine >= m.cosine - MARGIN
        })
    };
    let sure: Vec<bool> = scored
        .iter()
        .map(|m| m.cosine >= MIN_COSINE && !guessed(m))
        .collect();
    let mut sure: Vec<Meant> = scored
        .into_iter()
        .zip(sure)
        .filter_map(|(m, sure)| sure.then_some(m))
        .collect();
    // The closest in meaning first; among near ties, the one with more of its words.
    sure.sort_by(|a, b| score(b).total_cmp(&score(a)));
    let mut used = BTreeSet::new();
    Ok(sure
        .into_iter()
        .filter(|m| {
            let free = !m.found.tokens.iter().any(|t| used.contains(t));
            if free {
                used.extend(m.found.tokens.iter().copied());
            }
            free
        })
        .collect())
}

fn score(m: &Meant) -> f32 {
    m.cosine + 0.1 * m.found.coverage()
}

/// What the clause says around a term's words: those words and the ones between and
/// beside them, without what only sets a standing ("denies", "rule out") unless the
/// term has it ("history of" for "Personal history of ...").
fn phrase(clause: &Clause, tokens: &[usize], triggers: &BTreeSet<usize>) -> String {
    let lo = tokens.iter().copied().min().unwrap_or(0).saturating_sub(1);
    let hi = (tokens.iter().copied().max().unwrap_or(0) + 1).min(clause.tokens.len() - 1);
    (lo..=hi)
        .filter(|i| tokens.contains(i) || !triggers.contains(i))
        .map(|i| clause.tokens[i].lower.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}
