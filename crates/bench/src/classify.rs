//! Images per second through a diagnosis model, as the assessment queue reads them one
//! after another: decode, preprocess (resize, normalise) and inference, with ONNX
//! Runtime on THREADS threads. Each file is read once untimed first (warm-up).

use std::path::{Path, PathBuf};
use std::time::Instant;

use sr_decode::{DecodeConfig, Decoder, Format};
use sr_models::{DevicePreference, ModelRegistry, Runtime, RuntimeConfig};

pub fn run(args: &[String]) {
    let [models, model_id, threads, files @ ..] = args else {
        eprintln!("usage: sr-bench classify MODELS_DIR MODEL_ID THREADS FILE...");
        std::process::exit(2);
    };
    let runtime = Runtime::new(RuntimeConfig {
        library: std::env::var_os("SECONDREAD_ONNXRUNTIME").map(PathBuf::from),
        threads: threads.parse().expect("THREADS is a number"),
        device: DevicePreference::Cpu,
    });
    let registry = ModelRegistry::scan(&[PathBuf::from(models)]);
    let model = runtime
        .load(registry.get(model_id).expect("model installed"))
        .expect("model opens");
    let decoder = Decoder::new(DecodeConfig::default());
    let files: Vec<(&Path, Format)> = files.iter().map(|f| (Path::new(f), format_of(f))).collect();
    let classify = |(path, format): &(&Path, Format)| {
        let frame = decoder.frame(*path, *format, 0).expect("decodes");
        sr_assess::diagnose(&model, &frame).expect("classifies")
    };
    let flagged = files.iter().map(classify).filter(|f| f.flagged).count();
    let start = Instant::now();
    for file in &files {
        classify(file);
    }
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "{}",
        serde_json::json!({
            "images": files.len(),
            "seconds": seconds,
            "images_per_second": files.len() as f64 / seconds,
            "flagged": flagged,
        })
    );
}

fn format_of(name: &str) -> Format {
    match name
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
    {
        Some(ext) if ext == "png" => Format::Png,
        Some(ext) if ext == "jpg" || ext == "jpeg" => Format::Jpeg,
        _ => panic!("{name}: the classify bench reads PNG and JPEG"),
    }
}
