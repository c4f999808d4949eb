//! Audit records as a workstation keeps them and as `POST /v1/audit` carries them: the
//! same fields, and the same hash over them, on both sides, so that the platform can
//! check each record and the chain it continues.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The first record's "previous hash".
pub const AUDIT_GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One record of a workstation's trail, as stored: `detail` is the JSON text the hash
/// covers, byte for byte.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub seq: i64,
    pub uuid: String,
    /// RFC 3339, UTC.
    pub at: String,
    pub actor_subject: String,
    pub actor_username: String,
    pub workstation: String,
    pub action: String,
    pub item_id: Option<i64>,
    pub tenant: Option<String>,
    pub item_sha256: Option<String>,
    pub detail: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

impl AuditEntry {
    /// The sha256 over every field but the hash itself, each length-prefixed so that no
    /// two records' fields run into the same bytes.
    pub fn digest(&self) -> String {
        let item_id = self.item_id.map(|i| i.to_string());
        let fields: [&str; 11] = [
            &self.prev_hash,
            &self.uuid,
            &self.at,
            &self.actor_subject,
            &self.actor_username,
            &self.workstation,
            &self.action,
            item_id.as_deref().unwrap_or(""),
            self.tenant.as_deref().unwrap_or(""),
            self.item_sha256.as_deref().unwrap_or(""),
            self.detail.as_deref().unwrap_or(""),
        ];
        let mut hasher = Sha256::new();
        for field in fields {
            hasher.update((field.len() as u64).to_be_bytes());
            hasher.update(field.as_bytes());
        }
        hex::encode(hasher.finalize())
    }
}

/// `POST /v1/audit`: a run of one workstation's records, in the order they were written.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuditBatch {
    pub records: Vec<AuditEntry>,
}

/// Records stored now, and records the platform held already (a batch sent again).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AuditAnswer {
    pub stored: u32,
    pub duplicates: u32,
    /// Of those stored, records that do not continue the trail the platform held: the
    /// workstation went on from an earlier point (a restored backup, a cloned machine).
    #[serde(default)]
    pub forked: u32,
}
