//! Pre-assessment of captures before anyone reviews them. For now the capture-quality
//! check technicians rely on: sharpness and exposure measured on the decoded frame,
//! judged against thresholds (which a model manifest will carry).

mod luma;
mod quality;

pub use luma::Luma;
pub use quality::{QualityFlag, QualityIssue, QualityReport, QualityThresholds, assess_quality};
