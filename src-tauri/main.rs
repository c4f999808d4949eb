// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = sr_cli::Cli::parse();
    if cli.verb.is_some() {
        sr_cli::run(cli)
    } else {
        let config = match sr_cli::engine_config(&cli) {
            Ok(config) => config,
            Err(e) => {
                eprintln!("secondread: {e}");
                return std::process::ExitCode::FAILURE;
            }
        };
        sr_cli::logs::init(&config.data_dir, true);
        let sources = cli.sources.unwrap_or_else(sr_cli::default_sources_file);
        secondread_app::run(config, sources)
    }
}
