//! Where the verbs and the app find their data dir, sources, platform settings and
//! runtime files, from the arguments, the environment and the defaults.

use std::path::PathBuf;

use sr_engine::{EngineConfig, EngineError, RuntimeConfig};

use crate::Cli;

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
        models_quiet: sr_engine::MODELS_QUIET,
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
