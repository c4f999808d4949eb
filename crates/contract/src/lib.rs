//! The review contract (docs/DESIGN.md) that the workstation and the platform's review API
//! share: who reviews what, the decisions they make, the verdict event, and the
//! request and answer bodies of the API (its OpenAPI document is `openapi.json` here).

mod api;
mod audit;
mod error_code;
pub mod limits;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

pub use api::*;
pub use audit::{AUDIT_GENESIS, AuditAnswer, AuditBatch, AuditEntry};
pub use error_code::ErrorCode;

/// A reviewer's role, as Keycloak's realm roles name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Doctor,
    Technician,
    Coder,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Doctor, Role::Technician, Role::Coder];

    /// The verdict kind this role decides.
    pub fn verdict_kind(self) -> VerdictKind {
        match self {
            Role::Doctor => VerdictKind::Diagnosis,
            Role::Technician => VerdictKind::Quality,
            Role::Coder => VerdictKind::Coding,
        }
    }

    /// The kind of batch this role reviews.
    pub fn batch_kind(self) -> BatchKind {
        match self {
            Role::Doctor | Role::Technician => BatchKind::Imaging,
            Role::Coder => BatchKind::Coding,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Doctor => "doctor",
            Role::Technician => "technician",
            Role::Coder => "coder",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| format!("unknown role '{s}' (doctor, technician or coder)"))
    }
}

/// What a batch holds, and so who reviews it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum BatchKind {
    Imaging,
    Coding,
}

impl BatchKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BatchKind::Imaging => "imaging",
            BatchKind::Coding => "coding",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "imaging" => Some(BatchKind::Imaging),
            "coding" => Some(BatchKind::Coding),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum VerdictKind {
    Diagnosis,
    Quality,
    Coding,
}

impl VerdictKind {
    pub const ALL: [VerdictKind; 3] = [
        VerdictKind::Diagnosis,
        VerdictKind::Quality,
        VerdictKind::Coding,
    ];

    /// The realm role a reviewer needs to file a verdict of this kind.
    pub fn required_role(self) -> Role {
        match self {
            VerdictKind::Diagnosis => Role::Doctor,
            VerdictKind::Quality => Role::Technician,
            VerdictKind::Coding => Role::Coder,
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        VerdictKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            VerdictKind::Diagnosis => "diagnosis",
            VerdictKind::Quality => "quality",
            VerdictKind::Coding => "coding",
        }
    }
}

/// A doctor's answer to the AI's diagnostic pre-assessment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum DiagnosisDecision {
    Agree,
    Disagree,
    Amend,
    Escalate,
}

/// A technician's judgement of the capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum QualityDecision {
    Accept,
    Blurry,
    UnderExposed,
    OverExposed,
    WrongRegion,
    Retake,
}

/// A coder's decision on the codes of a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CodingDecision {
    pub accepted: Vec<String>,
    pub rejected: Vec<String>,
}

/// A decision, typed by verdict kind so that a doctor's answer cannot be filed as coding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", content = "decision", rename_all = "lowercase")]
pub enum Decision {
    Diagnosis(DiagnosisDecision),
    Quality(QualityDecision),
    Coding(CodingDecision),
}

impl Decision {
    pub fn kind(&self) -> VerdictKind {
        match self {
            Decision::Diagnosis(_) => VerdictKind::Diagnosis,
            Decision::Quality(_) => VerdictKind::Quality,
            Decision::Coding(_) => VerdictKind::Coding,
        }
    }
}

/// The person who decided, as the token (or the demo session) names them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Reviewer {
    pub subject: String,
    pub username: String,
}

/// The item a verdict is about, named the way the platform names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ItemRef {
    pub tenant: String,
    pub batch: String,
    pub key: String,
    pub sha256: String,
}

/// The AI suggestion a verdict answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ModelRef {
    pub id: String,
    pub version: String,
}

/// An immutable verdict event (docs/DESIGN.md): the audit trail and the outbox's payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Verdict {
    /// UUID v7; also the idempotency key at the review API.
    pub uuid: String,
    pub item: ItemRef,
    #[serde(flatten)]
    pub decision: Decision,
    pub ai: Option<ModelRef>,
    pub note: String,
    pub reviewer: Reviewer,
    pub role: Role,
    /// RFC 3339, UTC.
    pub decided_at: String,
    pub time_spent_ms: u64,
    /// The earlier verdict on the same item and kind that this one replaces.
    pub supersedes: Option<String>,
    /// Another reviewer's verdict that this one knowingly disagrees with (the reviewer
    /// saw the conflict and kept their own decision); the API then accepts it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub acknowledges: Option<String>,
}

/// The review API's OpenAPI 3.1 document (contract v1), served at `/openapi.json`.
pub const OPENAPI: &str = include_str!("../openapi.json");
