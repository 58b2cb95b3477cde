//! What the posture capability lends the HTTP API. The server crate does not
//! depend on the posture engine: the binary implements [`PostureCapability`]
//! over `mcpsec-posture` and passes it to
//! [`router_with_posture`](crate::api::router_with_posture), so
//! `POST …/posture/scans` runs the built-in policy pack (with the tenant's
//! custom policies) and evaluates every built-in compliance framework before
//! the scan is stored.

use mcpsec_core::domain::Severity;
use mcpsec_core::posture::{FrameworkOutcome, PostureFinding};

/// One uploaded input file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostureInput {
    /// Relative file name; it picks the parser (`*.tf` Terraform,
    /// `Dockerfile*`, `.gitlab-ci.yml`, other YAML/JSON by content).
    pub name: String,
    pub content: String,
}

/// What a scan found, before the API stores it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PostureOutcome {
    pub files: u64,
    pub resources: u64,
    pub passed: u64,
    pub failed: u64,
    /// Share of passed evaluations, 0 to 100.
    pub score: f64,
    pub findings: Vec<PostureFinding>,
    /// Every built-in framework evaluated against the scan.
    pub frameworks: Vec<FrameworkOutcome>,
    /// Inputs that could not be read (skipped), `file: reason`.
    pub input_errors: Vec<String>,
}

/// A tenant's custom policy module, evaluated next to the built-in pack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomPolicy {
    /// Check id (`custom.id` of its METADATA).
    pub id: String,
    pub source: String,
}

/// What an uploaded policy module declares, once it compiled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedPolicy {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub input: String,
    pub package: String,
}

/// Posture scans, implemented by the binary.
pub trait PostureCapability: Send + Sync + 'static {
    /// Scans the files with the built-in pack and `custom` (the tenant's
    /// policies); the error is the reason nothing could be scanned.
    fn scan(
        &self,
        inputs: &[PostureInput],
        custom: &[CustomPolicy],
    ) -> Result<PostureOutcome, String>;
    /// Reads and compiles an uploaded policy module named `name` next to
    /// the tenant's `others`; the error names the module and, for Rego
    /// errors, the line.
    fn check_policy(
        &self,
        name: &str,
        source: &str,
        others: &[CustomPolicy],
    ) -> Result<CheckedPolicy, String>;
    /// The frameworks every scan is evaluated against: `(id, title)`.
    fn frameworks(&self) -> Vec<(String, String)>;
}
