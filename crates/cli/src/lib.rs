//! `secondread VERB ...`: the engine's stages, headless, for scripts, servers and tests.
//!
//! `--json` prints one JSON document on stdout; errors go to stderr (as JSON with a
//! machine-readable `code` under `--json`) with a non-zero exit.

pub mod logs;
mod platform_verbs;
mod progress_line;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::builder::BoolishValueParser;
use clap::{Parser, Subcommand, ValueEnum};
use serde::Serialize;
use sr_engine::catalog::{BatchKind, ItemFailure, ItemState, Role, WorklistQuery, WorklistSort};
use sr_engine::pull as sr_pull;
use sr_engine::{DevicePreference, Engine, EngineConfig, EngineError, RuntimeConfig};

#[derive(Debug, Parser)]
#[command(name = "secondread", version, about = "SecondRead review workstation")]
pub struct Cli {
    /// Where the catalogue and the blob cache live (default: the OS data dir).
    #[arg(long, global = true, env = "SECONDREAD_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// The sources file (default: sources.toml in the OS config dir).
    #[arg(long, global = true, env = "SECONDREAD_SOURCES")]
    pub sources: Option<PathBuf>,
    /// The platform to sign in to and sync with (default: platform.toml in the OS
    /// config dir; none there: nothing is granted until it is given).
    #[arg(long, global = true, env = "SECONDREAD_PLATFORM")]
    pub platform: Option<PathBuf>,
    /// Without platform.toml, run the demo session: every role, no sign-in (the
    /// bundled demo data of `make run`). Otherwise, without a platform, nothing is
    /// granted until its address is given.
    #[arg(long, global = true, env = "SECONDREAD_DEMO", value_parser = BoolishValueParser::new())]
    pub demo: bool,
    /// Print one JSON document on stdout.
    #[arg(long, global = true)]
    pub json: bool,
    /// Threads one inference may use (0: one per core).
    #[arg(long, global = true, env = "SECONDREAD_THREADS", default_value_t = 0)]
    pub threads: usize,
    /// Where models run: CUDA when there is one (auto), or always the CPU.
    #[arg(long, global = true, env = "SECONDREAD_DEVICE", value_enum, default_value_t = DeviceArg::Auto)]
    pub device: DeviceArg,
    /// Keep a new data dir unencrypted: only for the tests that prove their PHI scan
    /// finds plaintext, and for benchmarks that measure what encryption costs.
    #[arg(
        long,
        global = true,
        env = "SECONDREAD_UNENCRYPTED_FOR_TESTS",
        value_parser = BoolishValueParser::new(),
        hide = true
    )]
    pub unencrypted_for_tests: bool,
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
        #[arg(long, value_enum, default_value_t = SortArg::Arrival)]
        sort: SortArg,
        /// Only documents whose text holds these words.
        #[arg(long)]
        text: Option<String>,
    },
    /// Every recorded decision, oldest first.
    Verdicts,
    /// Pull new and changed batches from a configured source (see `--sources`).
    Pull {
        #[arg(long)]
        source: String,
        #[arg(long)]
        tenant: Option<String>,
        #[arg(long)]
        batch: Option<String>,
        /// Print progress lines on stderr even when it is not a terminal.
        #[arg(long)]
        progress: bool,
    },
    /// Capture quality of one image file: sharpness, exposure, and what is wrong.
    Quality { file: PathBuf },
    /// The diagnosis model's finding on one image file.
    Classify {
        #[arg(long)]
        model: String,
        file: PathBuf,
        /// Also write the model's heat map here, as a greyscale PNG.
        #[arg(long)]
        heatmap: Option<PathBuf>,
    },
    /// The installed models, their sha256 check and the device they run on.
    Models,
    /// The text of documents (PDF, TIFF, photos of paper), page by page, with where
    /// each line is: the PDF's text layer where it has one, OCR otherwise. With more
    /// than one file, a list with each file's text or its error.
    Ocr {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// The ICD-10-CM codes a document suggests, each with its standing (present,
    /// negated, uncertain, history, family), how it was found and its evidence.
    Code { file: PathBuf },
    /// The ICD-10-CM table: search it, show a code, or build it from a CDC release.
    Icd {
        #[command(subcommand)]
        action: IcdAction,
    },
    /// Run the pre-assessment jobs that are due (capture quality, diagnosis models).
    Assess {
        /// Only this item's jobs.
        #[arg(long)]
        item: Option<i64>,
    },
    /// Sign in to the platform's realm (system browser, or --device-code).
    Login {
        /// Sign in with a code typed on another device (no browser here).
        #[arg(long)]
        device_code: bool,
        /// Only print the sign-in address; do not open a browser.
        #[arg(long)]
        no_browser: bool,
    },
    /// Who is signed in, their roles, and the outbox.
    Whoami,
    /// Send the decisions waiting in the outbox to the platform.
    Sync {
        /// Verdicts per request.
        #[arg(long, default_value_t = 500)]
        batch_size: usize,
        /// Send again the decisions the platform refused before.
        #[arg(long)]
        retry_failed: bool,
    },
    /// Sign out: end the realm's session and wipe the tokens here.
    Logout,
    /// Record a decision on items, as the signed-in reviewer (or the demo session).
    Decide(DecideArgs),
    /// Manage a source's secret in the OS keyring.
    Source {
        #[command(subcommand)]
        action: SourceAction,
    },
    /// The audit trail: who opened, viewed, decided or searched what, when, and from
    /// which workstation (`audit verify` checks its hash chain).
    #[command(args_conflicts_with_subcommands = true)]
    Audit {
        #[command(subcommand)]
        check: Option<AuditCheckArg>,
        /// Only this person's records (username or subject).
        #[arg(long)]
        user: Option<String>,
        /// Only this item's records (an id as `items` lists them).
        #[arg(long)]
        item: Option<i64>,
        /// From this time on (RFC 3339, or a date).
        #[arg(long)]
        since: Option<String>,
        /// Up to this time (RFC 3339, or a date: that whole day).
        #[arg(long)]
        until: Option<String>,
    },
    /// Forget this workstation: delete the data dir's key, its pulled items, results and
    /// decisions, and the session. Refused while decisions wait to be synced, unless
    /// `--discard-unsynced` says to lose them.
    Forget {
        #[arg(long)]
        discard_unsynced: bool,
    },
    /// Apply the retention rule now: purge the files, text and results of items whose
    /// every decision the platform accepted more than `retain_days` ago (platform.toml;
    /// 30 by default). Purged items can be pulled again.
    Purge {
        /// Only say what would be purged and what it would free.
        #[arg(long)]
        dry_run: bool,
        /// Days instead of platform.toml's `retain_days` (0: everything settled).
        #[arg(long)]
        retain_days: Option<u32>,
    },
}

#[derive(Debug, clap::Args)]
pub struct DecideArgs {
    /// Item ids (as `items` lists them).
    #[arg(required = true)]
    pub items: Vec<i64>,
    #[arg(long, value_enum)]
    pub role: RoleArg,
    /// agree | disagree | amend | escalate (doctor); accept | blurry | under_exposed |
    /// over_exposed | wrong_region | retake (technician).
    #[arg(long)]
    pub decision: Option<String>,
    /// A code the coder accepts (repeat for more).
    #[arg(long)]
    pub accept: Vec<String>,
    /// A code the coder rejects (repeat for more).
    #[arg(long)]
    pub reject: Vec<String>,
    #[arg(long, default_value = "")]
    pub note: String,
}

#[derive(Debug, Subcommand)]
pub enum IcdAction {
    /// Codes by number (E11.6) or by words (type 2 diabetes), best first.
    Search {
        text: String,
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// One code: title, billable or not, inclusion terms, Excludes1 notes.
    Show { code: String },
    /// Build the table from the CDC's tabular list (XML) and code list of a release.
    Import {
        #[arg(long)]
        tabular: PathBuf,
        #[arg(long)]
        codes: PathBuf,
        /// Where to write it (default: the ICD-10-CM table in the data dir's models).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCheckArg {
    /// Walk the hash chain; name every record edited or deleted (exit 1 if any).
    Verify,
}

#[derive(Debug, Subcommand)]
pub enum SourceAction {
    /// Store the secret access key read from standard input (one line).
    SetSecret { name: String },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SortArg {
    /// Tenant, batch, item.
    Arrival,
    /// The local model's strongest findings first.
    Finding,
    /// Captures failing the quality checks first, blurriest first.
    QualityWorst,
}

impl From<SortArg> for WorklistSort {
    fn from(s: SortArg) -> Self {
        match s {
            SortArg::Arrival => WorklistSort::Arrival,
            SortArg::Finding => WorklistSort::Finding,
            SortArg::QualityWorst => WorklistSort::QualityWorst,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum DeviceArg {
    Auto,
    Cpu,
    Cuda,
}

impl From<DeviceArg> for DevicePreference {
    fn from(d: DeviceArg) -> Self {
        match d {
            DeviceArg::Auto => DevicePreference::Auto,
            DeviceArg::Cpu => DevicePreference::Cpu,
            DeviceArg::Cuda => DevicePreference::Cuda,
        }
    }
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

/// The sources file the verbs and the app read when none is given.
pub fn default_sources_file() -> PathBuf {
    dirs::config_dir()
        .unwrap_or_else(std::env::temp_dir)
        .join("secondread")
        .join("sources.toml")
}

/// The platform file the verbs and the app read when none is given.
pub fn default_platform_file() -> PathBuf {
    dirs::config_dir()
        .unwrap_or_else(std::env::temp_dir)
        .join("secondread")
        .join("platform.toml")
}

/// Engine configuration shared by the verbs and the desktop app.
pub fn engine_config(cli: &Cli) -> Result<EngineConfig, EngineError> {
    // A platform file named on purpose is wanted even before it exists: the first
    // run writes it, and --demo does not stand in for it.
    let named = cli.platform.is_some();
    let platform_file = cli.platform.clone().unwrap_or_else(default_platform_file);
    let session = match sr_engine::PlatformConfig::load(&platform_file)? {
        Some(platform) => sr_engine::SessionConfig::Platform(platform),
        None if cli.demo && !named => sr_engine::SessionConfig::Demo,
        None => sr_engine::SessionConfig::Unconfigured { platform_file },
    };
    let data_dir = cli.data_dir.clone().unwrap_or_else(default_data_dir);
    let bundled_models = std::env::var_os("SECONDREAD_MODELS")
        .map(PathBuf::from)
        .or_else(|| beside_executable("models"));
    Ok(EngineConfig {
        pdfium_library: std::env::var_os("SECONDREAD_PDFIUM")
            .map(PathBuf::from)
            .or_else(|| beside_executable("libpdfium.so")),
        model_dirs: bundled_models
            .into_iter()
            .chain([data_dir.join("models")])
            .collect(),
        runtime: RuntimeConfig {
            library: std::env::var_os("SECONDREAD_ONNXRUNTIME")
                .map(PathBuf::from)
                .or_else(|| beside_executable("libonnxruntime.so")),
            threads: cli.threads,
            device: cli.device.into(),
        },
        data_dir,
        session,
        at_rest: if cli.unencrypted_for_tests {
            // Under --json, standard error carries only the JSON of an error.
            if !cli.json {
                eprintln!("secondread: WARNING: the data dir is kept unencrypted (tests only)");
            }
            sr_engine::AtRest::Plaintext
        } else {
            sr_engine::AtRest::Encrypted
        },
    })
}

/// A file the deployment puts beside the executable (PDFium, ONNX Runtime, models).
fn beside_executable(name: &str) -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let beside = exe.parent()?.join(name);
    beside.exists().then_some(beside)
}

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
    sources: &std::path::Path,
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
        } => set_secret(&name, json),
        Verb::Audit {
            check: Some(AuditCheckArg::Verify),
            ..
        } => {
            let check = Engine::open(config)?.verify_audit()?;
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
        Verb::Audit {
            check: None,
            user,
            item,
            since,
            until,
        } => {
            let records =
                Engine::open(config)?.audit_records(&sr_engine::catalog::AuditFilter {
                    user,
                    item_id: item,
                    since,
                    until,
                })?;
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
        Verb::Forget { discard_unsynced } => {
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
        Verb::Purge {
            dry_run,
            retain_days,
        } => {
            let purge = Engine::open(config)?.purge(retain_days, dry_run)?;
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
        Verb::Pull {
            source,
            tenant,
            batch,
            progress,
        } => {
            let file = sr_pull::SourcesFile::load(sources)?;
            let engine = Engine::open(config)?;
            let counters = Arc::new(sr_pull::PullProgress::default());
            let line = progress_line::ProgressLine::start(counters.clone(), progress);
            let outcome = engine.pull_source(
                &file,
                &source,
                &sr_engine::PullPart { tenant, batch },
                &counters,
            );
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
        Verb::Import { dir, kind } => {
            let kind = match kind {
                KindArg::Imaging => BatchKind::Imaging,
                KindArg::Coding => BatchKind::Coding,
            };
            let report = Engine::open(config)?.import(&dir, kind)?;
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
        Verb::Items {
            role,
            tenant,
            batch,
            state,
            limit,
            sort,
            text,
        } => {
            let list = Engine::open(config)?.worklist(&WorklistQuery {
                role: role.into(),
                tenant,
                batch,
                state: state.map(Into::into),
                limit,
                sort: sort.into(),
                text,
            })?;
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
                    n => format!(
                        "{rows}({n} more on this workstation, of clinics you do not review for)\n"
                    ),
                }
            })
        }
        Verb::Quality { file } => {
            let report = Engine::open(config)?.quality_of_file(&file)?;
            emit(json, &report, || {
                let verdict = if report.flags.is_empty() {
                    "passes".to_string()
                } else {
                    report
                        .flags
                        .iter()
                        .map(|f| f.reason.clone())
                        .collect::<Vec<_>>()
                        .join("; ")
                };
                format!(
                    "{}: sharpness {:.1}, mean brightness {:.0} %: {verdict}\n",
                    file.display(),
                    report.laplacian_variance,
                    report.mean_brightness * 100.0
                )
            })
        }
        Verb::Classify {
            model,
            file,
            heatmap,
        } => {
            let (finding, provider) = Engine::open(config)?.classify_file(&model, &file)?;
            let heatmap_file = match (&heatmap, &finding.heatmap) {
                (Some(out), Some(map)) => {
                    std::fs::write(out, map.png())
                        .map_err(|e| EngineError::io(format!("write {}", out.display()), e))?;
                    Some(out.display().to_string())
                }
                (Some(_), None) => {
                    return Err(EngineError::Invalid(format!(
                        "model {model} gives no heat map"
                    )));
                }
                (None, _) => None,
            };
            let output = ClassifyOutput {
                finding: &finding,
                provider: &provider,
                heatmap_file,
            };
            emit(json, &output, || {
                format!(
                    "{}: {} ({:.0} %){} by {} {}{} on {}\n",
                    file.display(),
                    finding.label,
                    finding.confidence * 100.0,
                    if finding.flagged { ", flagged" } else { "" },
                    finding.model.id,
                    finding.model.version,
                    if finding.demo {
                        " (demo, not for clinical use)"
                    } else {
                        ""
                    },
                    match provider.kind {
                        sr_engine::ProviderKind::Cpu => format!("CPU: {}", provider.reason),
                        sr_engine::ProviderKind::Cuda => provider.reason.clone(),
                    }
                )
            })
        }
        Verb::Assess { item } => {
            let report =
                Engine::open(config)?.assess(item, &sr_engine::AssessProgress::default())?;
            emit(json, &report, || {
                format!(
                    "assessed {} jobs, {} failed; queue: {} waiting, {} done, {} failed\n",
                    report.ran + report.failed,
                    report.failed,
                    report.queue.queued,
                    report.queue.done,
                    report.queue.failed
                )
            })
        }
        Verb::Models => {
            let view = Engine::open(config)?.models();
            emit(json, &view, || {
                let mut text: String = view
                    .models
                    .iter()
                    .map(|m| {
                        format!(
                            "{} {}  {}  {}{}  {}\n",
                            m.id,
                            m.version,
                            m.task.as_str(),
                            m.licence,
                            if m.demo {
                                "  demo, not for clinical use"
                            } else {
                                ""
                            },
                            m.check
                        )
                    })
                    .collect();
                for p in &view.problems {
                    text.push_str(&format!("{}: {}\n", p.manifest, p.reason));
                }
                if let Some(e) = &view.runtime_error {
                    text.push_str(&format!("no model can run: {e}\n"));
                }
                text
            })
        }
        Verb::Ocr { files } => ocr(&Engine::open(config)?, &files, json),
        Verb::Code { file } => code(&Engine::open(config)?, &file, json),
        Verb::Icd { action } => icd(action, config, json),
        Verb::Verdicts => {
            let verdicts = Engine::open(config)?.verdicts()?;
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

/// One file's text, or its error, when `ocr` is given several.
#[derive(Serialize)]
#[serde(untagged)]
enum FileText {
    Read {
        file: String,
        #[serde(flatten)]
        text: sr_engine::DocumentText,
    },
    Failed {
        file: String,
        error: sr_engine::ErrorReport,
    },
}

fn ocr(engine: &Engine, files: &[PathBuf], json: bool) -> Result<(), EngineError> {
    let as_text = |document: &sr_engine::DocumentText| -> String {
        document
            .pages
            .iter()
            .map(|page| match page {
                sr_engine::PageOutcome::Read(text) => {
                    format!("--- page {}\n{}\n", text.page + 1, text.text())
                }
                sr_engine::PageOutcome::Failed { page, error } => {
                    format!("--- page {}: {error}\n", page + 1)
                }
            })
            .collect()
    };
    if let [file] = files {
        let document = engine.ocr_file(file)?;
        return emit(json, &document, || as_text(&document));
    }
    let mut failed = 0;
    let results: Vec<FileText> = files
        .iter()
        .map(|file| {
            let name = file.display().to_string();
            match engine.ocr_file(file) {
                Ok(text) => FileText::Read { file: name, text },
                Err(e) => {
                    failed += 1;
                    FileText::Failed {
                        file: name,
                        error: e.report(),
                    }
                }
            }
        })
        .collect();
    emit(json, &results, || {
        results
            .iter()
            .map(|r| match r {
                FileText::Read { file, text } => format!("=== {file}\n{}", as_text(text)),
                FileText::Failed { file, error } => format!("=== {file}: {}\n", error.message),
            })
            .collect()
    })?;
    if failed > 0 {
        return Err(EngineError::Invalid(format!(
            "{failed} of {} files could not be read",
            files.len()
        )));
    }
    Ok(())
}

fn code(engine: &Engine, file: &Path, json: bool) -> Result<(), EngineError> {
    let coding = engine.code_file(file)?;
    emit(json, &coding, || {
        let mut text = format!("ICD-10-CM {}\n", coding.icd_version);
        for page in &coding.text.pages {
            if let sr_engine::PageOutcome::Failed { page, error } = page {
                text.push_str(&format!("page {}: {error}\n", page + 1));
            }
        }
        for s in &coding.suggestions {
            text.push_str(&format!(
                "{:<9} {:<9} {:.2}  {}{}  (page {}: \"{}\")\n",
                s.code,
                s.status.as_str(),
                s.confidence,
                s.title,
                if s.billable {
                    ""
                } else {
                    "  [header: not billable]"
                },
                s.evidence.page + 1,
                s.evidence.text,
            ));
            for note in &s.excludes1 {
                text.push_str(&format!("          Excludes1 {note}\n"));
            }
        }
        text
    })
}

fn icd(action: IcdAction, config: EngineConfig, json: bool) -> Result<(), EngineError> {
    let line = |code: &str, title: &str, billable: bool| {
        format!(
            "{code:<9} {}  {title}\n",
            if billable { "billable" } else { "header  " }
        )
    };
    match action {
        IcdAction::Search { text, limit } => {
            let hits = Engine::open(config)?.icd_search(&text, limit)?;
            emit(json, &hits, || {
                hits.iter()
                    .map(|h| line(&h.code, &h.title, h.billable))
                    .collect()
            })
        }
        IcdAction::Show { code } => {
            let info = Engine::open(config)?.icd_code(&code)?;
            emit(json, &info, || {
                let mut text = line(&info.code, &info.title, info.billable);
                for term in &info.inclusion {
                    text.push_str(&format!("  includes: {term}\n"));
                }
                for note in &info.excludes1 {
                    text.push_str(&format!("  Excludes1: {note}\n"));
                }
                text
            })
        }
        IcdAction::Import {
            tabular,
            codes,
            out,
        } => {
            let out =
                out.unwrap_or_else(|| config.data_dir.join("models").join(sr_engine::ICD_TABLE));
            if let Some(dir) = out.parent() {
                std::fs::create_dir_all(dir)
                    .map_err(|e| EngineError::io(format!("create {}", dir.display()), e))?;
            }
            let summary = sr_engine::icd::build(&tabular, &codes, &out)?;
            emit(json, &summary, || {
                format!(
                    "ICD-10-CM {}: {} codes, {} billable, into {}\n",
                    summary.version,
                    summary.codes,
                    summary.billable,
                    out.display()
                )
            })
        }
    }
}

/// What `classify` prints: the finding and the device that computed it.
#[derive(Serialize)]
struct ClassifyOutput<'a> {
    #[serde(flatten)]
    finding: &'a sr_engine::Finding,
    provider: &'a sr_engine::Provider,
    heatmap_file: Option<String>,
}

/// Stores a source's secret, read from standard input, in the OS keyring.
fn set_secret(name: &str, json: bool) -> Result<(), EngineError> {
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

/// One line per failed item, indented under a summary.
fn failures(failed: &[ItemFailure]) -> String {
    failed
        .iter()
        .map(|f| format!("  {}/{}/{}: {}\n", f.tenant, f.batch, f.key, f.reason))
        .collect()
}

fn emit<T: Serialize>(
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
