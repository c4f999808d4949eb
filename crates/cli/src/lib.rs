//! `secondread VERB ...`: the engine's stages, headless, for scripts, servers and tests.
//!
//! `--json` prints one JSON document on stdout; errors go to stderr (as JSON with a
//! machine-readable `code` under `--json`) with a non-zero exit. Each group of verbs
//! is a module that does the work and renders its text.

mod args;
mod audit_verbs;
mod config;
mod document_verbs;
pub mod logs;
mod model_verbs;
mod output;
mod platform_verbs;
mod progress_line;
mod store_verbs;

use std::path::Path;
use std::process::ExitCode;

use sr_engine::catalog::{AuditFilter, BatchKind, WorklistQuery};
use sr_engine::{Engine, EngineConfig, EngineError};

pub use args::*;
pub use config::{default_data_dir, default_platform_file, default_sources_file, engine_config};

/// Runs a verb; the caller has already checked that one was given.
pub fn run(cli: Cli) -> ExitCode {
    let json = cli.json;
    let config = engine_config(&cli);
    let Some(verb) = cli.verb else {
        return ExitCode::SUCCESS;
    };
    if let Ok(config) = &config {
        logs::init(&config.data_dir, !json);
    }
    let sources = cli.sources.unwrap_or_else(default_sources_file);
    match config.and_then(|config| execute(verb, config, &sources, json)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if json {
                eprintln!("{}", serde_json::to_string(&e.report()).unwrap_or_default());
            } else {
                eprintln!("secondread: {e}");
            }
            ExitCode::FAILURE
        }
    }
}

fn execute(
    verb: Verb,
    config: EngineConfig,
    sources: &Path,
    json: bool,
) -> Result<(), EngineError> {
    match verb {
        Verb::Login {
            device_code,
            no_browser,
        } => platform_verbs::login(&Engine::open(config)?, device_code, !no_browser, json),
        Verb::Whoami => platform_verbs::whoami(&Engine::open(config)?, json),
        Verb::Sync {
            batch_size,
            retry_failed,
        } => platform_verbs::sync(&Engine::open(config)?, batch_size, retry_failed, json),
        Verb::Logout => platform_verbs::logout(&Engine::open(config)?, json),
        Verb::Decide(args) => platform_verbs::decide(&Engine::open(config)?, &args, json),
        Verb::Source {
            action: SourceAction::SetSecret { name },
        } => store_verbs::set_secret(&name, json),
        Verb::Audit {
            check: Some(AuditCheckArg::Verify),
            ..
        } => audit_verbs::verify(&Engine::open(config)?, json),
        Verb::Audit {
            check: None,
            user,
            item,
            since,
            until,
        } => {
            let filter = AuditFilter {
                user,
                item_id: item,
                since,
                until,
            };
            audit_verbs::records(&Engine::open(config)?, &filter, json)
        }
        Verb::Forget { discard_unsynced } => store_verbs::forget(config, discard_unsynced, json),
        Verb::Purge {
            dry_run,
            retain_days,
        } => store_verbs::purge(&Engine::open(config)?, retain_days, dry_run, json),
        Verb::Pull {
            source,
            tenant,
            batch,
            progress,
        } => store_verbs::pull(
            &Engine::open(config)?,
            sources,
            &source,
            sr_engine::PullPart { tenant, batch },
            progress,
            json,
        ),
        Verb::Import { dir, kind } => {
            let kind = match kind {
                KindArg::Imaging => BatchKind::Imaging,
                KindArg::Coding => BatchKind::Coding,
            };
            store_verbs::import(&Engine::open(config)?, &dir, kind, json)
        }
        Verb::Items {
            role,
            tenant,
            batch,
            state,
            limit,
            sort,
            text,
        } => {
            let query = WorklistQuery {
                role: role.into(),
                tenant,
                batch,
                state: state.map(Into::into),
                limit,
                sort: sort.into(),
                text,
            };
            store_verbs::items(&Engine::open(config)?, &query, json)
        }
        Verb::Verdicts => store_verbs::verdicts(&Engine::open(config)?, json),
        Verb::Quality { file } => model_verbs::quality(&Engine::open(config)?, &file, json),
        Verb::Classify {
            model,
            file,
            heatmap,
        } => model_verbs::classify(
            &Engine::open(config)?,
            &model,
            &file,
            heatmap.as_deref(),
            json,
        ),
        Verb::Assess { item } => model_verbs::assess(&Engine::open(config)?, item, json),
        Verb::Models => model_verbs::models(&Engine::open(config)?, json),
        Verb::Ocr { files } => document_verbs::ocr(&Engine::open(config)?, &files, json),
        Verb::Code { file } => document_verbs::code(&Engine::open(config)?, &file, json),
        Verb::Icd { action } => document_verbs::icd(action, config, json),
    }
}
