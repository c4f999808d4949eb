//! `ocr`, `code` and `icd`: a document's text, its suggested codes, and the code table.

use std::path::{Path, PathBuf};

use serde::Serialize;
use sr_engine::{Engine, EngineConfig, EngineError};

use crate::IcdAction;
use crate::output::emit;

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

pub fn ocr(engine: &Engine, files: &[PathBuf], json: bool) -> Result<(), EngineError> {
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

pub fn code(engine: &Engine, file: &Path, json: bool) -> Result<(), EngineError> {
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

pub fn icd(action: IcdAction, config: EngineConfig, json: bool) -> Result<(), EngineError> {
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
