//! Errors of the detection engine.

use std::fmt;
use std::path::PathBuf;

/// Why a rule was rejected, as a stable category (for reports and docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RuleErrorKind {
    /// The file is not valid YAML (or not UTF-8).
    Yaml,
    /// Valid YAML but not a valid Sigma rule (missing or mistyped keys).
    Schema,
    /// The condition does not parse or names a search that does not exist.
    Condition,
    /// A modifier that the Sigma specification does not define.
    UnknownModifier,
    /// Modifiers that cannot be combined, or a value that a modifier rejects.
    InvalidValue,
    /// A regular expression that does not compile (e.g. look-around, which a
    /// linear-time engine cannot run) or exceeds the size limit.
    Regex,
    /// A valid Sigma feature this engine does not run (e.g. `expand` without
    /// a placeholder map, aggregations in conditions).
    Unsupported,
    /// A correlation rule naming a rule that was not loaded.
    UnknownReference,
    /// The file could not be read.
    Io,
}

impl RuleErrorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RuleErrorKind::Yaml => "yaml",
            RuleErrorKind::Schema => "schema",
            RuleErrorKind::Condition => "condition",
            RuleErrorKind::UnknownModifier => "unknown_modifier",
            RuleErrorKind::InvalidValue => "invalid_value",
            RuleErrorKind::Regex => "regex",
            RuleErrorKind::Unsupported => "unsupported",
            RuleErrorKind::UnknownReference => "unknown_reference",
            RuleErrorKind::Io => "io",
        }
    }
}

impl fmt::Display for RuleErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A problem with a rule, before it is tied to a file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}: {message}")]
pub struct RuleIssue {
    pub kind: RuleErrorKind,
    pub message: String,
}

impl RuleIssue {
    pub fn new(kind: RuleErrorKind, message: impl Into<String>) -> RuleIssue {
        RuleIssue {
            kind,
            message: message.into(),
        }
    }
}

/// A rule file (or one document of it) that was rejected, with its path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {issue}", path.display())]
pub struct RuleError {
    pub path: PathBuf,
    /// Title of the rejected rule, when it got that far.
    pub title: Option<String>,
    pub issue: RuleIssue,
}

impl RuleError {
    pub fn kind(&self) -> RuleErrorKind {
        self.issue.kind
    }
}

/// Failures of the engine outside rule loading.
#[derive(Debug, thiserror::Error)]
pub enum DetectError {
    #[error("reading {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Input { path: PathBuf, message: String },
    #[error("log source mapping: {0}")]
    Mapping(String),
    #[error("{0}")]
    Invalid(String),
}
