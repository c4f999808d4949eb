//! The review API's bodies (contract v1). The OpenAPI document `openapi.json` beside
//! this crate describes the same shapes; the reference server's tests hold the two together.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::Verdict;

/// `POST /v1/verdicts`: a batch of verdicts, answered one by one in the same order.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VerdictBatch {
    pub verdicts: Vec<Verdict>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VerdictAnswers {
    pub results: Vec<VerdictAnswer>,
}

/// What the platform did with one verdict.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VerdictAnswer {
    pub uuid: String,
    #[serde(flatten)]
    pub outcome: Outcome,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum Outcome {
    /// Stored now.
    Accepted,
    /// This uuid was stored before: nothing changed (the idempotent retry).
    Duplicate,
    /// Another reviewer's standing decision on the same item and kind differs; it is
    /// returned so the reviewer can amend theirs or keep it knowingly.
    Conflict { theirs: Box<Verdict> },
}

/// `GET /v1/verdicts?tenant=&batch=`: the decisions already made on a batch.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VerdictList {
    pub verdicts: Vec<Verdict>,
}

/// `GET /v1/me`: who the bearer token says the caller is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Me {
    pub subject: String,
    pub username: String,
    /// Every realm role the token carries, reviewing roles or not.
    pub roles: Vec<String>,
}

/// The claims of the realm's access tokens that the contract relies on, by Keycloak's
/// names: who (`sub`, `preferred_username`), which realm roles, and for which tenants.
#[derive(Debug, Clone, Deserialize)]
pub struct AccessClaims {
    pub sub: String,
    #[serde(default)]
    pub exp: Option<u64>,
    #[serde(default)]
    pub preferred_username: Option<String>,
    #[serde(default)]
    pub realm_access: RealmAccess,
    /// The realm's idle lock for this person, in minutes (a Keycloak claim mapper on
    /// the client): it can shorten the workstation's own `lock_minutes`, never lengthen it.
    #[serde(default)]
    pub lock_minutes: Option<u32>,
    /// The tenants (clinics) this person reviews for: their Keycloak groups, mapped to a
    /// `tenants` claim. None named: no tenant's verdicts are theirs to read or write.
    #[serde(default)]
    pub tenants: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct RealmAccess {
    #[serde(default)]
    pub roles: Vec<String>,
}

/// `POST /v1/claims`: ask to review an item, so that two reviewers are not handed the
/// same one unless a double read is asked for.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClaimRequest {
    pub tenant: String,
    pub batch: String,
    pub key: String,
    pub kind: crate::VerdictKind,
    /// A second, independent read of an item another reviewer holds.
    #[serde(default)]
    pub double_read: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum ClaimAnswer {
    /// The caller holds the item until `expires_at` (RFC 3339); claiming again renews it.
    Granted { expires_at: String },
    /// Another reviewer holds it.
    Held { holder: String, expires_at: String },
}

/// Every error body the API sends: a stable code, a sentence, and the verdicts it is about.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ApiError {
    pub error: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub uuids: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::check_verdict;

    /// A batch as a workstation sends it, with each kind of decision.
    const BATCH: &str = r#"{"verdicts": [
        {"uuid": "0190a0c8-0000-7000-8000-000000000001",
         "item": {"tenant": "clinic-a", "batch": "b1", "key": "cr-0001.dcm", "sha256": "ab"},
         "kind": "diagnosis", "decision": "agree", "ai": {"id": "demo-spots", "version": "1.0.0"},
         "note": "looks right", "reviewer": {"subject": "s-1", "username": "drew"},
         "role": "doctor", "decided_at": "2026-12-07T10:00:00Z", "time_spent_ms": 1200,
         "supersedes": null},
        {"uuid": "0190a0c8-0000-7000-8000-000000000002",
         "item": {"tenant": "clinic-a", "batch": "b2", "key": "doc.pdf", "sha256": "cd"},
         "kind": "coding", "decision": {"accepted": ["E11.9"], "rejected": ["I10"]}, "ai": null,
         "note": "", "reviewer": {"subject": "s-2", "username": "cora"},
         "role": "coder", "decided_at": "2026-12-07T10:01:00Z", "time_spent_ms": 900,
         "supersedes": null, "acknowledges": "0190a0c8-0000-7000-8000-000000000009"}]}"#;

    /// The platform's answer, as a workstation reads it.
    const ANSWERS: &str = r#"{"results": [
        {"uuid": "0190a0c8-0000-7000-8000-000000000001", "status": "accepted"},
        {"uuid": "0190a0c8-0000-7000-8000-000000000002", "status": "duplicate"}]}"#;

    #[test]
    fn the_examples_are_read() {
        let batch: VerdictBatch = serde_json::from_str(BATCH).unwrap();
        assert_eq!(batch.verdicts.len(), 2);
        batch.verdicts.iter().try_for_each(check_verdict).unwrap();
        let answers: VerdictAnswers = serde_json::from_str(ANSWERS).unwrap();
        assert_eq!(answers.results.len(), 2);
    }

    proptest::proptest! {
        /// The platform's side: a damaged body is read or refused, and what is read is
        /// checked against the limits, never a panic.
        #[test]
        fn a_damaged_verdict_batch_is_read_or_refused(text in sr_damage::damaged_text(BATCH)) {
            if let Ok(batch) = serde_json::from_str::<VerdictBatch>(&text) {
                for verdict in &batch.verdicts {
                    let _within_limits = check_verdict(verdict).is_ok();
                }
            }
        }

        /// The workstation's side: a damaged answer is read or refused, never a panic.
        #[test]
        fn a_damaged_answer_is_read_or_refused(text in sr_damage::damaged_text(ANSWERS)) {
            let _answers = serde_json::from_str::<VerdictAnswers>(&text).is_ok();
        }
    }
}
