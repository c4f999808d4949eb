//! Documents for coders: their text read page by page (a PDF's text layer, or OCR),
//! the ICD-10-CM codes it suggests, and the table to find codes in.

use std::path::Path;

use serde::{Deserialize, Serialize};
use sr_coding::Suggestion;
use sr_icd::{CodeHit, CodeInfo, IcdTable};
use sr_models::ModelRef;
use sr_ocr::PageText;
use ts_rs::TS;

use crate::{Engine, EngineError, catalog_format, decode_format};

/// One page's text, or why that page could not be read (the others still are).
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum PageOutcome {
    Read(PageText),
    Failed { page: u32, error: String },
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct DocumentText {
    pub pages: Vec<PageOutcome>,
    /// The OCR models that read the scanned pages (none when every page had a text
    /// layer).
    pub models: Vec<ModelRef>,
}

impl DocumentText {
    /// The pages that read.
    pub fn read_pages(&self) -> impl Iterator<Item = &PageText> {
        self.pages.iter().filter_map(|p| match p {
            PageOutcome::Read(page) => Some(page),
            PageOutcome::Failed { .. } => None,
        })
    }

    /// Their text, a paragraph per page: what the worklist searches.
    pub fn plain(&self) -> String {
        self.read_pages()
            .map(PageText::text)
            .collect::<Vec<_>>()
            .join("\n\n")
    }
}

/// How diagnosis phrases were matched to codes.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum PhraseMatching {
    /// By their words, and by meaning where the words fall short.
    Meaning { encoder: ModelRef },
    /// By their words alone, and why (no text encoder installed, or it was refused).
    Words { reason: String },
}

impl PhraseMatching {
    fn before_meaning() -> Self {
        PhraseMatching::Words {
            reason: "coded by an earlier version, before phrases were matched by meaning"
                .to_string(),
        }
    }
}

/// A document's text and the codes suggested from it.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct DocumentCoding {
    #[serde(flatten)]
    pub text: DocumentText,
    /// The ICD-10-CM release the codes are from.
    pub icd_version: String,
    /// Results stored before phrases were matched by meaning say so when read back.
    #[serde(default = "PhraseMatching::before_meaning")]
    pub matching: PhraseMatching,
    pub suggestions: Vec<Suggestion>,
}

/// Two codes that are never coded together, and the note that says so.
#[derive(Debug, Clone, Serialize, TS)]
pub struct CodeConflict {
    pub codes: [String; 2],
    pub note: String,
}

/// The coding job's name, as a model, in stored results; its version names the
/// extraction's and the ICD-10-CM release's (the OCR models are in the result).
pub const CODING_MODEL: &str = "icd10cm-coding";

impl Engine {
    /// Reads every page of a document file, outside the catalogue.
    pub fn ocr_file(&self, path: &Path) -> Result<DocumentText, EngineError> {
        self.read_document(path, decode_format(catalog_format(path)?))
    }

    fn read_document(
        &self,
        source: &(impl sr_decode::Source + ?Sized),
        format: sr_decode::Format,
    ) -> Result<DocumentText, EngineError> {
        let ocr = self.models.ocr().map_err(sr_ocr::DocumentError::from)?;
        let mut pages = Vec::new();
        let mut scanned = false;
        sr_ocr::read_document(&ocr, &self.decoder, source, format, |index, page| {
            pages.push(match page {
                Ok(text) => {
                    scanned |= text.source == sr_ocr::TextSource::Ocr;
                    PageOutcome::Read(text)
                }
                Err(e) => PageOutcome::Failed {
                    page: index,
                    error: e.to_string(),
                },
            });
        })?;
        Ok(DocumentText {
            pages,
            models: if scanned { ocr.models() } else { Vec::new() },
        })
    }

    /// Reads a document file and suggests ICD-10-CM codes from the pages that read.
    pub fn code_file(&self, path: &Path) -> Result<DocumentCoding, EngineError> {
        self.code_document(path, decode_format(catalog_format(path)?))
    }

    pub(crate) fn code_document(
        &self,
        source: &(impl sr_decode::Source + ?Sized),
        format: sr_decode::Format,
    ) -> Result<DocumentCoding, EngineError> {
        let table = self.icd()?;
        let text = self.read_document(source, format)?;
        let pages: Vec<PageText> = text.read_pages().cloned().collect();
        let encoder = self.models.encoder();
        let (matching, embed) = match &encoder {
            Ok(encoder) => (
                PhraseMatching::Meaning {
                    encoder: encoder.model_ref(),
                },
                Some(encoder.as_ref() as &dyn sr_coding::Embed),
            ),
            Err(e) => (
                PhraseMatching::Words {
                    reason: e.to_string(),
                },
                None,
            ),
        };
        let suggestions = sr_coding::suggest(&pages, &table, embed)?;
        Ok(DocumentCoding {
            text,
            icd_version: table.version().to_string(),
            matching,
            suggestions,
        })
    }

    /// Whether documents can be coded here: a table to code from and the OCR models.
    pub(crate) fn can_code(&self) -> bool {
        self.models.icd_table().is_some() && self.models.ocr_opens()
    }

    fn icd(&self) -> Result<IcdTable, EngineError> {
        let path = self.models.icd_table().ok_or(EngineError::NoIcdTable)?;
        Ok(IcdTable::open(&path)?)
    }

    /// ICD-10-CM codes by number or words, best first.
    /// Codes by number or words; the search is audited by how many it found, never by
    /// what was typed (a coder may type anything).
    pub fn icd_search(&self, query: &str, limit: usize) -> Result<Vec<CodeHit>, EngineError> {
        let hits = self.icd()?.search(query, limit)?;
        self.audit(
            sr_catalog::AuditAction::CodeSearched,
            None,
            Some(serde_json::json!({"results": hits.len()})),
        )?;
        Ok(hits)
    }

    /// The Excludes1 notes that bar two of a coder's chosen codes from going together.
    pub fn icd_conflicts(&self, codes: &[String]) -> Result<Vec<CodeConflict>, EngineError> {
        let codes: Vec<&str> = codes.iter().map(String::as_str).collect();
        Ok(self
            .icd()?
            .excludes1_pairs(&codes)?
            .into_iter()
            .map(|(a, b, note)| CodeConflict {
                codes: [codes[a].to_string(), codes[b].to_string()],
                note,
            })
            .collect())
    }

    /// One code with its inclusion terms and Excludes1 notes.
    pub fn icd_code(&self, code: &str) -> Result<CodeInfo, EngineError> {
        self.icd()?
            .get(code)?
            .ok_or_else(|| EngineError::Invalid(format!("{code} is not an ICD-10-CM code")))
    }
}
