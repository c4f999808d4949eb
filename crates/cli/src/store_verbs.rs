//! `import`, `pull`, `source set-secret`, `items`, `verdicts`, `purge` and `forget`:
//! what is on this workstation, headless.

use std::path::Path;
use std::sync::Arc;

use sr_engine::catalog::{BatchKind, WorklistQuery};
use sr_engine::pull as sr_pull;
use sr_engine::{Engine, EngineConfig, EngineError};

use crate::output::{emit, failures};
use crate::progress_line;

pub fn import(engine: &Engine, dir: &Path, kind: BatchKind, json: bool) -> Result<(), EngineError> {
    let report = engine.import(dir, kind)?;
    emit(json, &report, || {
        let text = format!(
            "{} batches: {} added, {} changed, {} unchanged, {} failed\n",
            report.batches,
            report.added,
            report.changed,
            report.unchanged,
            report.failed.len()
        );
        text + &failures(&report.failed)
    })
}

/// Pulls one source (or one tenant or batch of it), with a progress line on a terminal.
pub fn pull(
    engine: &Engine,
    sources: &Path,
    source: &str,
    part: sr_engine::PullPart,
    progress: bool,
    json: bool,
) -> Result<(), EngineError> {
    let file = sr_pull::SourcesFile::load(sources)?;
    let counters = Arc::new(sr_pull::PullProgress::default());
    let line = progress_line::ProgressLine::start(counters.clone(), progress);
    let outcome = engine.pull_source(&file, source, &part, &counters);
    drop(line);
    let report = outcome?;
    emit(json, &report, || {
        let r = &report.recorded;
        let text = format!(
            "{}: {} batches, {} objects fetched ({} bytes), {} from the cache; {} added, {} changed, {} unchanged, {} failed\n",
            source,
            r.batches,
            report.fetched,
            report.fetched_bytes,
            report.cached,
            r.added,
            r.changed,
            r.unchanged,
            r.failed.len()
        );
        let deferred: String = report
            .deferred
            .iter()
            .map(|d| {
                format!(
                    "  {}/{} left in the bucket: {}\n",
                    d.tenant, d.batch, d.reason
                )
            })
            .collect();
        let not_yours = if report.not_yours.is_empty() {
            String::new()
        } else {
            format!(
                "  not pulled, as you do not review for them: {}\n",
                report.not_yours.join(", ")
            )
        };
        text + &failures(&r.failed) + &deferred + &not_yours
    })
}

/// Stores a source's secret, read from standard input, in the OS keyring.
pub fn set_secret(name: &str, json: bool) -> Result<(), EngineError> {
    let mut secret = String::new();
    std::io::stdin()
        .read_line(&mut secret)
        .map_err(|e| EngineError::io("read the secret", e))?;
    let secret = secret.trim_end_matches(['\r', '\n']);
    if secret.is_empty() {
        return Err(EngineError::Invalid("the secret is empty".into()));
    }
    sr_pull::store_source_secret(name, secret)?;
    emit(
        json,
        &serde_json::json!({"source": name, "stored": true}),
        || format!("secret for source '{name}' stored in the OS keyring\n"),
    )
}

/// The worklist the app would show.
pub fn items(engine: &Engine, query: &WorklistQuery, json: bool) -> Result<(), EngineError> {
    let list = engine.worklist(query)?;
    emit(json, &list, || {
        let rows: String = list
            .rows
            .iter()
            .map(|r| {
                format!(
                    "{:>6}  {:<10} {}/{}/{}{}\n",
                    r.id,
                    r.state.as_str(),
                    r.tenant,
                    r.batch,
                    r.key,
                    r.error
                        .as_deref()
                        .map(|e| format!("  ({e})"))
                        .unwrap_or_default()
                )
            })
            .collect();
        match list.hidden {
            0 => rows,
            n => {
                format!("{rows}({n} more on this workstation, of clinics you do not review for)\n")
            }
        }
    })
}

pub fn verdicts(engine: &Engine, json: bool) -> Result<(), EngineError> {
    let verdicts = engine.verdicts()?;
    emit(json, &verdicts, || {
        verdicts
            .iter()
            .map(|v| {
                format!(
                    "{}  {}  {}/{}/{}  {}\n",
                    v.decided_at,
                    v.role.as_str(),
                    v.item.tenant,
                    v.item.batch,
                    v.item.key,
                    serde_json::to_string(&v.decision).unwrap_or_default()
                )
            })
            .collect()
    })
}

pub fn purge(
    engine: &Engine,
    retain_days: Option<u32>,
    dry_run: bool,
    json: bool,
) -> Result<(), EngineError> {
    let purge = engine.purge(retain_days, dry_run)?;
    let report = serde_json::json!({ "dry_run": dry_run, "purge": &purge });
    emit(json, &report, || {
        let mut text: String = purge
            .items
            .iter()
            .map(|i| {
                format!(
                    "{:>6}  {}/{}/{}  (synced {})\n",
                    i.item_id, i.tenant, i.batch, i.key, i.settled_at
                )
            })
            .collect();
        text.push_str(&format!(
            "{} {} items, {} files, {:.1} MB\n",
            if dry_run { "would purge" } else { "purged" },
            purge.items.len(),
            purge.blobs,
            purge.bytes as f64 / 1e6
        ));
        text
    })
}

pub fn forget(config: EngineConfig, discard_unsynced: bool, json: bool) -> Result<(), EngineError> {
    let report = sr_engine::forget_workstation(config, discard_unsynced)?;
    emit(json, &report, || {
        format!(
            "forgot {}: its key and data are deleted{}\n",
            report.data_dir,
            match report.discarded_unsynced {
                Some(0) => String::new(),
                Some(n) => format!(" ({n} unsynced decisions discarded)"),
                None => " (decisions not yet synced, if any, were unreadable)".into(),
            }
        )
    })
}
