use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("model manifest {}: {reason}", path.display())]
    Manifest { path: PathBuf, reason: String },
    #[error("no model {0:?} is installed")]
    Unknown(String),
    #[error("model {id}: cannot read {}: {source}", path.display())]
    Read {
        id: String,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "model {id} is refused: the sha256 of {file} is {actual}, its manifest says {expected}"
    )]
    Checksum {
        id: String,
        file: String,
        expected: String,
        actual: String,
    },
    #[error("ONNX Runtime is not available: {0}")]
    RuntimeUnavailable(String),
    #[error("model {id} does not match its manifest: {reason}")]
    Mismatch { id: String, reason: String },
    #[error("model {id} does not do {wanted} (its task is {actual})")]
    WrongTask {
        id: String,
        wanted: &'static str,
        actual: &'static str,
    },
    #[error(
        "model {id} returned a value that is not a number in {output}; the result is discarded"
    )]
    NotANumber { id: String, output: String },
    #[error("model {id}: ONNX Runtime failed: {reason}")]
    Run { id: String, reason: String },
}
