//! The command line's arguments: every verb and its options.

use std::path::PathBuf;

use clap::builder::BoolishValueParser;
use clap::{Parser, Subcommand, ValueEnum};
use sr_engine::DevicePreference;
use sr_engine::catalog::{ItemState, Role, WorklistSort};

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
