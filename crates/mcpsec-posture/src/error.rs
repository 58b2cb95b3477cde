//! Errors of the posture library.

use std::path::PathBuf;

/// A policy that could not be loaded or compiled; it is skipped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("policy {file}: {reason}")]
pub struct PolicyError {
    /// The `.rego` file (or `builtin:<path>` for the embedded pack).
    pub file: String,
    pub reason: String,
}

/// An input file that could not be read or parsed; it is skipped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize)]
#[error("{file}: {reason}")]
pub struct InputError {
    pub file: String,
    pub reason: String,
}

/// A compliance framework file that could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum FrameworkError {
    #[error("reading framework {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("framework {file}: {reason}")]
    Invalid { file: String, reason: String },
    #[error("unknown framework {name:?}; known: {known}")]
    Unknown { name: String, known: String },
}

/// A failure that stops a whole operation (not one file or one policy).
#[derive(Debug, thiserror::Error)]
pub enum PostureError {
    #[error("reading {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Framework(#[from] FrameworkError),
    #[error("{0}")]
    Invalid(String),
}
