//! Transport types: what crosses to the UI (and the command line's `--json`).
//! The UI's TypeScript types are generated from these (see tests/bindings.rs).

use serde::{Deserialize, Serialize};
use sr_catalog::{Decision, Format, ItemState, Role, Verdict};
use ts_rs::TS;

/// Who is reviewing, and which roles they may take.
#[derive(Debug, Clone, Serialize, TS)]
pub struct SessionInfo {
    /// `demo`: bundled data, no login, every role offered.
    pub mode: String,
    pub username: String,
    pub roles: Vec<Role>,
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
    /// This role's decisions on the item, oldest first; the last one stands.
    pub history: Vec<Verdict>,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct DecideRequest {
    pub item_id: i64,
    pub role: Role,
    pub decision: Decision,
    pub note: String,
    pub time_spent_ms: u64,
}
