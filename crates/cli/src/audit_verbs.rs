//! `audit` and `audit verify`: the trail of who did what here, and its hash chain.

use sr_engine::catalog::AuditFilter;
use sr_engine::{Engine, EngineError};

use crate::output::emit;

pub fn records(engine: &Engine, filter: &AuditFilter, json: bool) -> Result<(), EngineError> {
    let records = engine.audit_records(filter)?;
    emit(json, &records, || {
        records
            .iter()
            .map(|r| {
                format!(
                    "{:>6}  {}  {:<14} {:<16} item {:<6} {}\n",
                    r.seq,
                    r.at,
                    r.action.as_str(),
                    r.actor_username,
                    r.item_id
                        .map(|i| i.to_string())
                        .unwrap_or_else(|| "-".into()),
                    r.detail.as_ref().map(|d| d.to_string()).unwrap_or_default()
                )
            })
            .collect()
    })
}

/// Checks the hash chain; a broken one is the verb's failure.
pub fn verify(engine: &Engine, json: bool) -> Result<(), EngineError> {
    let check = engine.verify_audit()?;
    emit(json, &check, || {
        let mut text = format!("{} audit records\n", check.records);
        for p in &check.problems {
            text.push_str(&format!("{}\n", p.problem));
        }
        if check.problems.is_empty() {
            text.push_str("the hash chain is intact\n");
        }
        text
    })?;
    match check.problems.len() {
        0 => Ok(()),
        n => Err(EngineError::AuditBroken(n)),
    }
}
