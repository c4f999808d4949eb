//! What every verb prints: one JSON document under `--json`, else its text.

use serde::Serialize;
use sr_engine::EngineError;
use sr_engine::catalog::ItemFailure;

pub fn emit<T: Serialize>(
    json: bool,
    value: &T,
    text: impl FnOnce() -> String,
) -> Result<(), EngineError> {
    if json {
        let out = serde_json::to_string_pretty(value)
            .map_err(|e| EngineError::Internal(format!("cannot print JSON: {e}")))?;
        println!("{out}");
    } else {
        print!("{}", text());
    }
    Ok(())
}

/// One line per failed item, indented under a summary.
pub fn failures(failed: &[ItemFailure]) -> String {
    failed
        .iter()
        .map(|f| format!("  {}/{}/{}: {}\n", f.tenant, f.batch, f.key, f.reason))
        .collect()
}
