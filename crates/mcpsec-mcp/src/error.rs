//! Errors of this crate. Each names the place (file, JSON path, rule index)
//! and the cause; the binary maps them to `invalid_argument` at its edge.

use std::path::PathBuf;

/// A tools file (`tools/list` result) that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ToolsError {
    /// Not JSON at all.
    #[error("invalid JSON at line {line}, column {column}: {message}")]
    Json {
        line: usize,
        column: usize,
        message: String,
    },
    /// JSON, but not the expected shape at `path` (e.g. `$.tools[3].name`).
    #[error("{path}: {message}")]
    Shape { path: String, message: String },
}

impl ToolsError {
    pub fn code(&self) -> mcpsec_core::ErrorCode {
        mcpsec_core::ErrorCode::InvalidArgument
    }
}

/// A rule that was rejected (the rest of the rule file still loads).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    /// The whole file is not valid YAML or not `{rules: [...]}`.
    #[error("{source_name}: {message}")]
    File {
        source_name: String,
        message: String,
    },
    /// One rule is invalid and was skipped.
    #[error("{source_name}: rules[{index}] ({id}): {message}")]
    Rule {
        source_name: String,
        index: usize,
        id: String,
        message: String,
    },
}

/// An MCP client configuration file that cannot be parsed.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("reading {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: invalid JSON at line {line}, column {column}: {message}")]
    Json {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{path}: {at}: {message}")]
    Shape {
        path: PathBuf,
        at: String,
        message: String,
    },
}

/// A pin file that cannot be read or written.
#[derive(Debug, thiserror::Error)]
pub enum PinError {
    #[error("reading {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: not a pin file: {message}")]
    Format { path: PathBuf, message: String },
}
