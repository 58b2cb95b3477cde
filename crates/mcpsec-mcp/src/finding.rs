//! One finding: what a rule found, where, and the offending text.

use mcpsec_core::domain::Severity;
use serde::{Deserialize, Serialize};

/// A detection. The JSON shape is the public contract of
/// `mcpsec mcp scan --format json`: `server`, `tool` (tool-level findings
/// only), `rule`, `severity`, `message`, `evidence`; `location` and `source`
/// are extra context.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// The server (or, for cross-server findings, the servers joined by `+`).
    pub server: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
    /// Rule id, e.g. `MCP-003`.
    pub rule: String,
    pub severity: Severity,
    pub message: String,
    /// The offending text span, invisible characters rendered as `<U+200B>`,
    /// secret values redacted.
    pub evidence: String,
    /// Where in the tool or config the evidence is (e.g. `description`,
    /// `inputSchema.properties.notes.default`, `env.GITHUB_TOKEN`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// The file the server was configured or its tools were read from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

impl Finding {
    /// Sort key: most severe first, then server, tool, rule.
    pub fn sort(findings: &mut [Finding]) {
        findings.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then_with(|| a.server.cmp(&b.server))
                .then_with(|| a.tool.cmp(&b.tool))
                .then_with(|| a.rule.cmp(&b.rule))
                .then_with(|| a.location.cmp(&b.location))
        });
    }
}
