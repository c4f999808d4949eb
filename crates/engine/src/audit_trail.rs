//! What the engine writes to the audit trail, and how front ends read and check it.
//! A record that cannot be written stops the action it records (signing out aside).

use serde::Serialize;
use sr_catalog::{AuditAction, AuditCheck, AuditEvent, AuditFilter, AuditRecord, Reviewer};
use ts_rs::TS;

use crate::{Engine, EngineError};

/// What the Audit screen shows.
#[derive(Debug, Clone, Serialize, TS)]
pub struct AuditView {
    pub records: Vec<AuditRecord>,
    pub check: AuditCheck,
}

impl Engine {
    /// Records an action by the session's person (the signed-in reviewer, or the demo).
    pub(crate) fn audit(
        &self,
        action: AuditAction,
        item_id: Option<i64>,
        detail: Option<serde_json::Value>,
    ) -> Result<(), EngineError> {
        self.audit_as(self.session.actor(), action, item_id, detail)
    }

    pub(crate) fn audit_as(
        &self,
        actor: Reviewer,
        action: AuditAction,
        item_id: Option<i64>,
        detail: Option<serde_json::Value>,
    ) -> Result<(), EngineError> {
        tracing::info!(action = action.as_str(), item = item_id, user = %actor.username, "audit");
        self.catalog()?.record_audit(AuditEvent {
            action,
            actor,
            item_id,
            detail,
        })?;
        Ok(())
    }

    /// The audit records the filter lets through, oldest first.
    pub fn audit_records(&self, filter: &AuditFilter) -> Result<Vec<AuditRecord>, EngineError> {
        Ok(self.catalog()?.audit(filter)?)
    }

    /// The Audit screen: the records the filter lets through and the whole chain's
    /// check, only for the realm's auditors (and the demo).
    pub fn audit_screen(&self, filter: &AuditFilter) -> Result<AuditView, EngineError> {
        let session = self.session();
        if !session.may_audit {
            return Err(EngineError::NotPermitted(format!(
                "{} does not have the {} role",
                session.username,
                crate::platform::AUDITOR_ROLE
            )));
        }
        Ok(AuditView {
            records: self.audit_records(filter)?,
            check: self.verify_audit()?,
        })
    }

    /// Walks the trail's hash chain and names each record edited or deleted.
    pub fn verify_audit(&self) -> Result<AuditCheck, EngineError> {
        Ok(self.catalog()?.verify_audit()?)
    }
}
