//! Transport types: what crosses to the UI (and the command line's `--json`).
//! The UI's TypeScript types are generated from these (see tests/bindings.rs).

use serde::{Deserialize, Serialize};
use sr_catalog::{Decision, Format, ItemState, ModelStamp, Role, Verdict};
use ts_rs::TS;

/// Who is reviewing, and which roles they may take.
#[derive(Debug, Clone, Serialize, TS)]
pub struct SessionInfo {
    /// `demo`: bundled data, no login, every role offered; `signed_out`; `signed_in`;
    /// `sign_in_again`: the realm ended the session (reviewing goes on, sync waits).
    pub mode: String,
    pub username: String,
    pub name: Option<String>,
    /// The reviewing roles offered: the realm roles the token carries.
    pub roles: Vec<Role>,
    /// Every realm role of the signed-in user, reviewing or not.
    pub realm_roles: Vec<String>,
    /// The tenants (clinics) whose items are shown and pulled; `None`: every tenant on
    /// the workstation (the demo).
    pub tenants: Option<Vec<String>>,
    /// What the person should know about their session, if anything.
    pub message: Option<String>,
    /// Whether the Audit screen is offered: the realm's `auditor` role (or the demo).
    pub may_audit: bool,
    /// Idle minutes before the screen locks; `None` where nothing is to be hidden (the
    /// demo's synthetic data, a workstation not yet connected).
    pub lock_minutes: Option<u32>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct MetaField {
    pub label: String,
    pub value: String,
}

/// The AI's first read, as the batch delivered it.
#[derive(Debug, Clone, Serialize, TS)]
pub struct AiFinding {
    pub model_id: String,
    pub model_version: String,
    pub finding: String,
    pub confidence: Option<f32>,
    /// Codes suggested for a document (coding batches).
    pub codes: Vec<SuggestedCode>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct SuggestedCode {
    pub code: String,
    pub title: String,
}

/// A diagnosis model's finding computed on this workstation.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct LocalFinding {
    pub model: ModelStamp,
    /// A demonstration model: "demo, not for clinical use".
    pub demo: bool,
    pub label: String,
    pub confidence: f32,
    pub flagged: bool,
    pub scores: Vec<sr_assess::LabelScore>,
    /// Detections to draw over the image (detect models).
    #[serde(default)]
    pub boxes: Vec<sr_assess::FoundBox>,
    /// A heat map is served at `sr://localhost/heatmap/<item>/<model id>`.
    #[serde(default)]
    pub has_heatmap: bool,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct QualityAssessment {
    pub model: ModelStamp,
    pub report: sr_assess::QualityReport,
}

/// A document's local coding: its pages' text and the codes suggested from it.
#[derive(Debug, Clone, Serialize, TS)]
pub struct CodingAssessment {
    pub model: ModelStamp,
    pub coding: crate::DocumentCoding,
}

/// Everything the review screen shows for one item, for one role.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ItemView {
    pub id: i64,
    pub tenant: String,
    pub batch: String,
    pub key: String,
    pub format: Option<Format>,
    pub subject: Option<String>,
    pub frames: u32,
    pub state: ItemState,
    pub error: Option<String>,
    pub meta: Vec<MetaField>,
    pub ai: Option<AiFinding>,
    /// The local diagnosis models' findings (doctors).
    pub findings: Vec<LocalFinding>,
    /// The capture-quality measure (technicians), once assessed.
    pub quality: Option<QualityAssessment>,
    /// The document's text and suggested codes (coders), once read.
    pub coding: Option<CodingAssessment>,
    /// Local assessments of this item are still queued (the view is worth reloading).
    pub assessment_pending: bool,
    /// Why a local assessment of this item failed, one line per model.
    pub assessment_errors: Vec<String>,
    /// This role's decisions on the item, oldest first; the last one stands.
    pub history: Vec<Verdict>,
    /// The standing decision, when the platform did not take it: another reviewer's
    /// conflicting verdict, or the reason it was refused.
    pub unsynced: Option<sr_catalog::Unsynced>,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct DecideRequest {
    pub item_id: i64,
    pub role: Role,
    pub decision: Decision,
    pub note: String,
    pub time_spent_ms: u64,
}
