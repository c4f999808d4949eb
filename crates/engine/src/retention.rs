//! Retention as the platform configures it: items the platform has accepted every
//! decision on are purged `retain_days` later (the app checks now and then; `secondread
//! purge` on demand). Each purged item is a record in the audit trail.

use std::collections::HashSet;

use sr_catalog::{AuditAction, Purge, retention_cutoff};

use crate::{Engine, EngineError, lock};

impl Engine {
    /// Purges what the retention rule lets go: after `retain_days`, or the platform's
    /// setting when `None`. With `dry_run`, only says what would go.
    pub fn purge(&self, retain_days: Option<u32>, dry_run: bool) -> Result<Purge, EngineError> {
        let days = retain_days.unwrap_or_else(|| self.session.retain_days());
        let purge = self.catalog()?.purge(&retention_cutoff(days), dry_run)?;
        if dry_run {
            return Ok(purge);
        }
        let purged: HashSet<i64> = purge.items.iter().map(|i| i.item_id).collect();
        lock(&self.frames).forget_items(&purged);
        tracing::info!(
            items = purge.items.len(),
            files = purge.blobs,
            bytes = purge.bytes,
            retain_days = days,
            "retention purge"
        );
        for item in &purge.items {
            self.audit(
                AuditAction::Purged,
                Some(item.item_id),
                Some(serde_json::json!({ "retain_days": days })),
            )?;
        }
        Ok(purge)
    }
}
