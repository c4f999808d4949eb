//! Benchmarks of the engine that need no window, each printing one JSON line for
//! tests/bench:
//! - `sr-bench worklist [ITEMS]`
//! - `sr-bench classify MODELS_DIR MODEL_ID THREADS FILE...`

mod classify;
mod worklist;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("worklist") => worklist::run(&args[1..]),
        Some("classify") => classify::run(&args[1..]),
        _ => {
            eprintln!(
                "usage: sr-bench worklist [ITEMS] | classify MODELS_DIR MODEL_ID THREADS FILE..."
            );
            std::process::exit(2);
        }
    }
}
