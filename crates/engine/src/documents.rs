//! Documents for coders: their text read page by page (a PDF's text layer, or OCR),
//! the ICD-10-CM codes it suggests, and the table to find codes in.

use std::path::Path;

use serde::Serialize;
use sr_coding::Suggestion;
use sr_icd::{CodeHit, CodeInfo, IcdTable};
use sr_models::ModelRef;
use sr_ocr::PageText;
use ts_rs::TS;

use crate::{Engine, EngineError, catalog_format, decode_format};

/// One page's text, or why that page could not be read (the others still are).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum PageOutcome {
    Read(PageText),
    Failed { page: u32, error: String },
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct DocumentText {
    pub pages: Vec<PageOutcome>,
    /// The OCR models that read the scanned pages (none when every page had a text
    /// layer).
    pub models: Vec<ModelRef>,
}

/// A document's text and the codes suggested from it.
#[derive(Debug, Clone, Serialize, TS)]
pub struct DocumentCoding {
    #[serde(flatten)]
    pub text: DocumentText,
    /// The ICD-10-CM release the codes are from.
    pub icd_version: String,
    pub suggestions: Vec<Suggestion>,
}

impl Engine {
    /// Reads every page of a document file, outside the catalogue.
    pub fn ocr_file(&self, path: &Path) -> Result<DocumentText, EngineError> {
        let format = decode_format(catalog_format(path)?);
        let ocr = self.models.ocr().map_err(sr_ocr::DocumentError::from)?;
        let mut pages = Vec::new();
        let mut scanned = false;
        sr_ocr::read_document(&ocr, &self.decoder, path, format, |index, page| {
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
        let table = self.icd()?;
        let text = self.ocr_file(path)?;
        let pages: Vec<PageText> = text
            .pages
            .iter()
            .filter_map(|p| match p {
                PageOutcome::Read(page) => Some(page.clone()),
                PageOutcome::Failed { .. } => None,
            })
            .collect();
        let suggestions = sr_coding::suggest(&pages, &table)?;
        Ok(DocumentCoding {
            text,
            icd_version: table.version().to_string(),
            suggestions,
        })
    }

    fn icd(&self) -> Result<IcdTable, EngineError> {
        let path = self.models.icd_table().ok_or_else(|| {
            EngineError::Invalid(format!(
                "no ICD-10-CM table is installed ({} in a model folder)",
                crate::models::ICD_TABLE
            ))
        })?;
        Ok(IcdTable::open(&path)?)
    }

    /// ICD-10-CM codes by number or words, best first.
    pub fn icd_search(&self, query: &str, limit: usize) -> Result<Vec<CodeHit>, EngineError> {
        Ok(self.icd()?.search(query, limit)?)
    }

    /// One code with its inclusion terms and Excludes1 notes.
    pub fn icd_code(&self, code: &str) -> Result<CodeInfo, EngineError> {
        self.icd()?
            .get(code)?
            .ok_or_else(|| EngineError::Invalid(format!("{code} is not an ICD-10-CM code")))
    }
}
