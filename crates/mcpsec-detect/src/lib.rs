//! Sigma detection engine of mcpsec: parses Sigma rules (detection,
//! correlation and filter rules) into validated types, compiles each rule
//! once into a fast matcher, maps Windows log sources to EVTX channels and
//! event IDs (shipped as data), reads EVTX, JSON, NDJSON, CloudTrail,
//! syslog, CEF and LEEF logs into one event representation, runs rule sets
//! over them in parallel ("hunting") and maps rule tags to MITRE ATT&CK
//! techniques and tactics.
//!
//! This crate depends on `mcpsec-core` only among the workspace crates: no
//! store, no bus, no web framework and no async runtime. The streaming
//! detection service (worker consuming `log.received`) builds on it from the
//! server side. Bad input never panics: a rule that does not parse or uses
//! an unsupported feature is reported with its path and reason and skipped
//! ([`RuleSet::load_dir`]); corrupt log records are counted and skipped.

pub mod attack;
pub mod cef;
pub mod error;
pub mod event;
pub mod hunt;
pub mod input;
mod jsonparse;
pub mod logsource;
pub mod ruleset;
pub mod sigma;
pub mod stream;
pub mod syslog;

pub use error::{DetectError, RuleError, RuleErrorKind};
pub use event::LogEvent;
pub use hunt::{Detection, HuntOptions, HuntReport, hunt};
pub use ruleset::{LoadOptions, RuleSet};
