//! `secondread VERB ...`: the engine's stages, headless, for scripts, servers and tests.
//!
//! `--json` prints one JSON document on stdout; errors go to stderr (as JSON with a
//! machine-readable `code` under `--json`) with a non-zero exit.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use serde::Serialize;
use sr_engine::catalog::{BatchKind, ItemState, Role, WorklistQuery};
use sr_engine::{Engine, EngineConfig, EngineError};

#[derive(Debug, Parser)]
#[command(name = "secondread", version, about = "SecondRead review workstation")]
pub struct Cli {
    /// Where the catalogue and the blob cache live (default: the OS data dir).
    #[arg(long, global = true, env = "SECONDREAD_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Print one JSON document on stdout.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub verb: Option<Verb>,
}

#[derive(Debug, Subcommand)]
pub enum Verb {
    /// Catalogue a local folder laid out like the bucket: <tenant>/<batch>/<item>.
    Import {
        dir: PathBuf,
        /// Kind of the batches that carry no batch.json.
        #[arg(long, value_enum, default_value_t = KindArg::Imaging)]
        kind: KindArg,
    },
    /// The worklist the app would show for a role.
    Items {
        #[arg(long, value_enum, default_value_t = RoleArg::Doctor)]
        role: RoleArg,
        #[arg(long)]
        tenant: Option<String>,
        #[arg(long)]
        batch: Option<String>,
        #[arg(long, value_enum)]
        state: Option<StateArg>,
        #[arg(long, default_value_t = 10_000)]
        limit: u32,
    },
    /// Every recorded decision, oldest first.
    Verdicts,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum KindArg {
    Imaging,
    Coding,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RoleArg {
    Doctor,
    Technician,
    Coder,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum StateArg {
    New,
    InReview,
    Decided,
    Error,
}

impl From<RoleArg> for Role {
    fn from(r: RoleArg) -> Self {
        match r {
            RoleArg::Doctor => Role::Doctor,
            RoleArg::Technician => Role::Technician,
            RoleArg::Coder => Role::Coder,
        }
    }
}

impl From<StateArg> for ItemState {
    fn from(s: StateArg) -> Self {
        match s {
            StateArg::New => ItemState::New,
            StateArg::InReview => ItemState::InReview,
            StateArg::Decided => ItemState::Decided,
            StateArg::Error => ItemState::Error,
        }
    }
}

/// The data dir the app and the verbs use when none is given.
pub fn default_data_dir() -> PathBuf {
    dirs::data_dir()
        .unwrap_or_else(std::env::temp_dir)
        .join("secondread")
}

/// Engine configuration shared by the verbs and the desktop app.
pub fn engine_config(data_dir: Option<PathBuf>) -> EngineConfig {
    EngineConfig {
        data_dir: data_dir.unwrap_or_else(default_data_dir),
        pdfium_library: pdfium_library(),
    }
}

/// PDFium comes from `SECONDREAD_PDFIUM`, or sits beside the executable.
fn pdfium_library() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("SECONDREAD_PDFIUM") {
        return Some(PathBuf::from(path));
    }
    let exe = std::env::current_exe().ok()?;
    let beside = exe.parent()?.join("libpdfium.so");
    beside.is_file().then_some(beside)
}

/// Runs a verb; the caller has already checked that one was given.
pub fn run(cli: Cli) -> ExitCode {
    let json = cli.json;
    let Some(verb) = cli.verb else {
        return ExitCode::SUCCESS;
    };
    match execute(verb, engine_config(cli.data_dir), json) {
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

fn execute(verb: Verb, config: EngineConfig, json: bool) -> Result<(), EngineError> {
    let engine = Engine::open(config)?;
    match verb {
        Verb::Import { dir, kind } => {
            let kind = match kind {
                KindArg::Imaging => BatchKind::Imaging,
                KindArg::Coding => BatchKind::Coding,
            };
            let report = engine.import(&dir, kind)?;
            emit(json, &report, || {
                let mut text = format!(
                    "{} batches: {} added, {} changed, {} unchanged, {} failed\n",
                    report.batches,
                    report.added,
                    report.changed,
                    report.unchanged,
                    report.failed.len()
                );
                for f in &report.failed {
                    text.push_str(&format!(
                        "  {}/{}/{}: {}\n",
                        f.tenant, f.batch, f.key, f.reason
                    ));
                }
                text
            })
        }
        Verb::Items {
            role,
            tenant,
            batch,
            state,
            limit,
        } => {
            let list = engine.worklist(&WorklistQuery {
                role: role.into(),
                tenant,
                batch,
                state: state.map(Into::into),
                limit,
            })?;
            emit(json, &list, || {
                list.rows
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
                    .collect()
            })
        }
        Verb::Verdicts => {
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
    }
}

fn emit<T: Serialize>(
    json: bool,
    value: &T,
    text: impl FnOnce() -> String,
) -> Result<(), EngineError> {
    if json {
        let out = serde_json::to_string_pretty(value)
            .map_err(|e| EngineError::Invalid(format!("cannot print JSON: {e}")))?;
        println!("{out}");
    } else {
        print!("{}", text());
    }
    Ok(())
}
