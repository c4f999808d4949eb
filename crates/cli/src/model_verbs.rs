//! `quality`, `classify`, `assess` and `models`: the local AI, headless.

use std::path::Path;

use serde::Serialize;
use sr_engine::{Engine, EngineError};

use crate::output::emit;

pub fn quality(engine: &Engine, file: &Path, json: bool) -> Result<(), EngineError> {
    let report = engine.quality_of_file(file)?;
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

/// What `classify` prints: the finding and the device that computed it.
#[derive(Serialize)]
struct ClassifyOutput<'a> {
    #[serde(flatten)]
    finding: &'a sr_engine::Finding,
    provider: &'a sr_engine::Provider,
    heatmap_file: Option<String>,
}

/// One model on one file; its heat map written to `heatmap` when asked for.
pub fn classify(
    engine: &Engine,
    model: &str,
    file: &Path,
    heatmap: Option<&Path>,
    json: bool,
) -> Result<(), EngineError> {
    let (finding, provider) = engine.classify_file(model, file)?;
    let heatmap_file = match (heatmap, &finding.heatmap) {
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

pub fn assess(engine: &Engine, item: Option<i64>, json: bool) -> Result<(), EngineError> {
    let report = engine.assess(item, &sr_engine::AssessProgress::default())?;
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

pub fn models(engine: &Engine, json: bool) -> Result<(), EngineError> {
    let view = engine.models();
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
