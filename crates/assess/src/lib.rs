//! Pre-assessment of captures before anyone reviews them: the capture-quality check
//! technicians rely on (sharpness and exposure judged against thresholds), and the
//! diagnosis models' first read for doctors.

/// Stored with every capture-quality result, as a model's version would be.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

mod brisque;
mod diagnosis;
mod luma;
mod preprocess;
mod quality;
mod quality_model;

pub use brisque::{Brisque, BrisqueError};
pub use diagnosis::{Finding, FoundBox, HeatMap, LabelScore, diagnose};
pub use luma::Luma;
pub use preprocess::{displayed_rgb8, input_tensor};
pub use quality::{QualityFlag, QualityIssue, QualityReport, QualityThresholds, assess_quality};
pub use quality_model::{Capture, QUALITY_FILE, QualityModel};
