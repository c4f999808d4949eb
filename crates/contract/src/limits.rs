//! The contract's one set of limits. The review API refuses a verdict past any of them
//! (422, naming it), the app's forms show them before anything is saved, and the
//! workstation refuses to record such a verdict, so none waits in an outbox for a
//! refusal. `openapi.json` states the same numbers; a test holds the two together.

use crate::{Decision, Verdict};

/// Characters a verdict's note may hold: a reviewer's remark, not a report.
pub const NOTE_MAX_CHARS: usize = 2000;
/// Codes one coding verdict may accept, and as many again that it may reject.
pub const CODES_MAX: usize = 50;
/// Bytes of an item's tenant, batch or key (S3's own limit for a key).
pub const ITEM_NAME_MAX_BYTES: usize = 1024;
/// Bytes of any other string in a verdict: a code, a name, a model's id.
pub const FIELD_MAX_BYTES: usize = 256;
/// Verdicts, or audit records, that one request may carry.
pub const BATCH_MAX: usize = 1000;

/// Why a verdict is past the contract's limits, in words for the person who made it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitError {
    #[error("a note holds at most {NOTE_MAX_CHARS} characters (this one has {0})")]
    NoteTooLong(usize),
    #[error(
        "a coding verdict accepts or rejects at most {CODES_MAX} codes each (this one has {0})"
    )]
    TooManyCodes(usize),
    #[error("{field} is longer than the {max} bytes the platform stores")]
    TooLong { field: &'static str, max: usize },
    #[error("{0} holds a NUL character, which no text may hold")]
    Nul(&'static str),
}

/// Checks a note as the forms and the API do.
pub fn check_note(note: &str) -> Result<(), LimitError> {
    check_text("the note", note, usize::MAX)?;
    let chars = note.chars().count();
    if chars > NOTE_MAX_CHARS {
        return Err(LimitError::NoteTooLong(chars));
    }
    Ok(())
}

/// Checks a decision's codes, if it has any.
pub fn check_decision(decision: &Decision) -> Result<(), LimitError> {
    let Decision::Coding(coding) = decision else {
        return Ok(());
    };
    for codes in [&coding.accepted, &coding.rejected] {
        if codes.len() > CODES_MAX {
            return Err(LimitError::TooManyCodes(codes.len()));
        }
        for code in codes {
            check_text("a code", code, FIELD_MAX_BYTES)?;
        }
    }
    Ok(())
}

/// Checks every field of a verdict against the limits.
pub fn check_verdict(verdict: &Verdict) -> Result<(), LimitError> {
    check_note(&verdict.note)?;
    check_decision(&verdict.decision)?;
    for (field, text) in [
        ("the tenant", &verdict.item.tenant),
        ("the batch", &verdict.item.batch),
        ("the item's key", &verdict.item.key),
    ] {
        check_text(field, text, ITEM_NAME_MAX_BYTES)?;
    }
    let model = verdict.ai.iter().flat_map(|m| [&m.id, &m.version]);
    for text in [
        &verdict.uuid,
        &verdict.reviewer.subject,
        &verdict.reviewer.username,
        &verdict.decided_at,
    ]
    .into_iter()
    .chain(model)
    .chain(&verdict.supersedes)
    .chain(&verdict.acknowledges)
    {
        check_text("a field", text, FIELD_MAX_BYTES)?;
    }
    Ok(())
}

fn check_text(field: &'static str, text: &str, max: usize) -> Result<(), LimitError> {
    if text.contains('\0') {
        return Err(LimitError::Nul(field));
    }
    if text.len() > max {
        return Err(LimitError::TooLong { field, max });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_note_may_reach_the_limit_and_not_pass_it_nor_hold_a_nul() {
        assert_eq!(check_note(&"é".repeat(NOTE_MAX_CHARS)), Ok(()));
        assert_eq!(
            check_note(&"a".repeat(NOTE_MAX_CHARS + 1)),
            Err(LimitError::NoteTooLong(NOTE_MAX_CHARS + 1))
        );
        assert_eq!(check_note("fine\0then"), Err(LimitError::Nul("the note")));
    }

    /// The OpenAPI document states the same limits as the code that enforces them.
    #[test]
    fn the_openapi_document_states_these_limits() {
        let doc: serde_json::Value = serde_json::from_str(crate::OPENAPI).unwrap();
        let schemas = &doc["components"]["schemas"];
        let verdict = &schemas["Verdict"]["properties"];
        assert_eq!(verdict["note"]["maxLength"], NOTE_MAX_CHARS);
        let coding = &verdict["decision"]["oneOf"][1]["properties"];
        assert_eq!(coding["accepted"]["maxItems"], CODES_MAX);
        assert_eq!(coding["rejected"]["maxItems"], CODES_MAX);
        assert_eq!(coding["accepted"]["items"]["maxLength"], FIELD_MAX_BYTES);
        for name in ["tenant", "batch", "key"] {
            assert_eq!(
                schemas["ItemRef"]["properties"][name]["maxLength"],
                ITEM_NAME_MAX_BYTES
            );
        }
        assert_eq!(
            schemas["VerdictBatch"]["properties"]["verdicts"]["maxItems"],
            BATCH_MAX
        );
        assert_eq!(
            schemas["AuditBatch"]["properties"]["records"]["maxItems"],
            BATCH_MAX
        );
    }

    proptest::proptest! {
        /// A note passes exactly when it is within the limit and holds no NUL, whatever
        /// its script: the rule the API, the engine and the form all apply.
        #[test]
        fn a_note_passes_exactly_when_within_the_limit(
            note in r"(\PC|\x00){0,40}",
            padding in 1960..2040usize,
        ) {
            let note = format!("{note}{}", "ä".repeat(padding));
            let within = note.chars().count() <= NOTE_MAX_CHARS && !note.contains('\0');
            proptest::prop_assert_eq!(check_note(&note).is_ok(), within);
        }
    }
}
