//! The review domain: who reviews what, and the decisions they can make.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

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

    pub(crate) fn parse(s: &str) -> Option<Self> {
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
    pub fn as_str(self) -> &'static str {
        match self {
            VerdictKind::Diagnosis => "diagnosis",
            VerdictKind::Quality => "quality",
            VerdictKind::Coding => "coding",
        }
    }
}

/// Where an item stands in one role's worklist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ItemState {
    New,
    InReview,
    Decided,
    Error,
}

impl ItemState {
    pub const ALL: [ItemState; 4] = [
        ItemState::New,
        ItemState::InReview,
        ItemState::Decided,
        ItemState::Error,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ItemState::New => "new",
            ItemState::InReview => "in_review",
            ItemState::Decided => "decided",
            ItemState::Error => "error",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Self> {
        ItemState::ALL.into_iter().find(|state| state.as_str() == s)
    }
}

/// The file formats the workstation decodes, known from the key's suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Dicom,
    Jpeg,
    Png,
    Tiff,
    Pdf,
}

impl Format {
    pub fn from_key(key: &str) -> Option<Self> {
        let ext = key.rsplit_once('.')?.1.to_ascii_lowercase();
        Some(match ext.as_str() {
            "dcm" => Format::Dicom,
            "jpg" | "jpeg" => Format::Jpeg,
            "png" => Format::Png,
            "tif" | "tiff" => Format::Tiff,
            "pdf" => Format::Pdf,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Dicom => "dicom",
            Format::Jpeg => "jpeg",
            Format::Png => "png",
            Format::Tiff => "tiff",
            Format::Pdf => "pdf",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Self> {
        [
            Format::Dicom,
            Format::Jpeg,
            Format::Png,
            Format::Tiff,
            Format::Pdf,
        ]
        .into_iter()
        .find(|f| f.as_str() == s)
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

/// An immutable verdict event (DESIGN.md): the audit trail and the outbox's payload.
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
}
