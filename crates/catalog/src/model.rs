//! The catalogue's own view of items: where each stands and what format it is. The
//! review domain itself (roles, decisions, verdicts) is the contract's (`sr-contract`).

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Where an item stands in one role's worklist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ItemState {
    New,
    InReview,
    Decided,
    Error,
}

impl ItemState {
    pub const ALL: [ItemState; 4] = [
        ItemState::New,
        ItemState::InReview,
        ItemState::Decided,
        ItemState::Error,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ItemState::New => "new",
            ItemState::InReview => "in_review",
            ItemState::Decided => "decided",
            ItemState::Error => "error",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Self> {
        ItemState::ALL.into_iter().find(|state| state.as_str() == s)
    }
}

/// The file formats the workstation decodes, known from the key's suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Dicom,
    Jpeg,
    Png,
    Tiff,
    Pdf,
}

impl Format {
    pub fn from_key(key: &str) -> Option<Self> {
        let ext = key.rsplit_once('.')?.1.to_ascii_lowercase();
        Some(match ext.as_str() {
            "dcm" => Format::Dicom,
            "jpg" | "jpeg" => Format::Jpeg,
            "png" => Format::Png,
            "tif" | "tiff" => Format::Tiff,
            "pdf" => Format::Pdf,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Dicom => "dicom",
            Format::Jpeg => "jpeg",
            Format::Png => "png",
            Format::Tiff => "tiff",
            Format::Pdf => "pdf",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Self> {
        [
            Format::Dicom,
            Format::Jpeg,
            Format::Png,
            Format::Tiff,
            Format::Pdf,
        ]
        .into_iter()
        .find(|f| f.as_str() == s)
    }
}
