//! Rendering scan results: a table for people, JSON (the stable contract)
//! and SARIF 2.1.0 for code-scanning tools.
//!
//! JSON contract: `{"findings": [{"server", "tool"?, "rule", "severity",
//! "message", "evidence", "location"?, "source"?}], "summary": {…},
//! "tool_changes": [McpToolChanged…], "errors": […]}`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use mcpsec_core::domain::Severity;
use mcpsec_core::event::McpToolChanged;
use serde::Serialize;
use serde_json::json;

use crate::finding::Finding;
use crate::rules::{RuleSet, owasp_label};

/// Everything a scan produced.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub findings: Vec<Finding>,
    pub summary: Summary,
    /// Pin comparison results, as `mcp.tool_changed` payloads.
    pub tool_changes: Vec<McpToolChanged>,
    /// Inputs that could not be analysed (the scan went on without them).
    pub errors: Vec<String>,
}

/// Counts for the report.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub servers: usize,
    pub tools: usize,
    pub findings: usize,
    pub by_severity: BTreeMap<String, usize>,
}

impl Report {
    pub fn new(
        mut findings: Vec<Finding>,
        servers: usize,
        tools: usize,
        tool_changes: Vec<McpToolChanged>,
        errors: Vec<String>,
    ) -> Report {
        Finding::sort(&mut findings);
        let mut by_severity = BTreeMap::new();
        for f in &findings {
            *by_severity
                .entry(f.severity.as_str().to_string())
                .or_insert(0) += 1;
        }
        Report {
            summary: Summary {
                servers,
                tools,
                findings: findings.len(),
                by_severity,
            },
            findings,
            tool_changes,
            errors,
        }
    }

    /// The most severe finding's severity.
    pub fn max_severity(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Sarif,
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Format, String> {
        match s {
            "table" => Ok(Format::Table),
            "json" => Ok(Format::Json),
            "sarif" => Ok(Format::Sarif),
            o => Err(format!(
                "unknown format {o:?}; expected table, json or sarif"
            )),
        }
    }
}

pub fn render(report: &Report, rules: &RuleSet, format: Format) -> String {
    match format {
        Format::Table => table(report),
        Format::Json => serde_json::to_string_pretty(report).expect("report serializes") + "\n",
        Format::Sarif => {
            serde_json::to_string_pretty(&sarif(report, rules)).expect("sarif serializes") + "\n"
        }
    }
}

/// A plain-text table: one line per finding, evidence indented below.
pub fn table(report: &Report) -> String {
    let mut out = String::new();
    if report.findings.is_empty() {
        out.push_str("no findings\n");
    } else {
        let w_server = report
            .findings
            .iter()
            .map(|f| f.server.chars().count())
            .max()
            .unwrap_or(6)
            .clamp(6, 30);
        let w_tool = report
            .findings
            .iter()
            .map(|f| f.tool.as_deref().unwrap_or("-").chars().count())
            .max()
            .unwrap_or(4)
            .clamp(4, 30);
        let _ = writeln!(
            out,
            "{:<8}  {:<7}  {:<w_server$}  {:<w_tool$}  MESSAGE",
            "SEVERITY", "RULE", "SERVER", "TOOL"
        );
        for f in &report.findings {
            let _ = writeln!(
                out,
                "{:<8}  {:<7}  {:<w_server$}  {:<w_tool$}  {}",
                f.severity.as_str().to_uppercase(),
                f.rule,
                clip(&f.server, 30),
                clip(f.tool.as_deref().unwrap_or("-"), 30),
                f.message
            );
            let loc = f
                .location
                .as_deref()
                .map(|l| format!("[{l}] "))
                .unwrap_or_default();
            let _ = writeln!(out, "{:10}{loc}{}", "", f.evidence);
        }
    }
    let by: Vec<String> = Severity::ALL
        .iter()
        .rev()
        .filter_map(|s| {
            report
                .summary
                .by_severity
                .get(s.as_str())
                .map(|n| format!("{n} {s}"))
        })
        .collect();
    let _ = writeln!(
        out,
        "\n{} server(s), {} tool(s), {} finding(s){}",
        report.summary.servers,
        report.summary.tools,
        report.summary.findings,
        if by.is_empty() {
            String::new()
        } else {
            format!(": {}", by.join(", "))
        }
    );
    for c in &report.tool_changes {
        let _ = writeln!(out, "tool change: {}/{} {:?}", c.server, c.tool, c.change);
    }
    for e in &report.errors {
        let _ = writeln!(out, "error: {e}");
    }
    out
}

fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        s.chars().take(n - 1).collect::<String>() + "…"
    }
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub code scanning reads `security-severity` (0–10) to rank alerts.
fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "0.0",
    }
}

/// SARIF 2.1.0: every rule of the set in `tool.driver.rules`, one result per finding.
pub fn sarif(report: &Report, rules: &RuleSet) -> serde_json::Value {
    let all = rules.all();
    let sarif_rules: Vec<_> = all
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "name": r.title.split_whitespace().map(|w| { let mut c = w.chars(); c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default() }).collect::<String>().chars().filter(|c| c.is_alphanumeric()).collect::<String>(),
                "shortDescription": {"text": r.title},
                "fullDescription": {"text": r.rationale},
                "help": {"text": format!("{}\n\nOWASP Top 10 for LLM Applications 2025: {}", r.rationale, r.owasp.iter().map(|o| owasp_label(o)).collect::<Vec<_>>().join("; "))},
                "defaultConfiguration": {"level": level(r.severity), "enabled": r.enabled},
                "properties": {
                    "tags": std::iter::once("security".to_string()).chain(r.owasp.iter().map(|o| owasp_label(o))).collect::<Vec<_>>(),
                    "security-severity": security_severity(r.severity),
                    "severity": r.severity.as_str(),
                },
            })
        })
        .collect();
    let results: Vec<_> = report
        .findings
        .iter()
        .map(|f| {
            let fqn = match &f.tool {
                Some(t) => format!("{}/{}", f.server, t),
                None => f.server.clone(),
            };
            let mut location = json!({
                "logicalLocations": [{"name": f.tool.clone().unwrap_or_else(|| f.server.clone()), "fullyQualifiedName": fqn, "kind": if f.tool.is_some() { "function" } else { "module" }}],
            });
            if let Some(src) = &f.source {
                location["physicalLocation"] = json!({"artifactLocation": {"uri": src.replace('\\', "/")}});
            }
            let mut r = json!({
                "ruleId": f.rule,
                "level": level(f.severity),
                "message": {"text": format!("{} — evidence: {}", f.message, f.evidence)},
                "locations": [location],
                "partialFingerprints": {"mcpsec/v1": format!("{}|{}|{}|{}", f.rule, f.server, f.tool.as_deref().unwrap_or(""), f.location.as_deref().unwrap_or(""))},
                "properties": {"severity": f.severity.as_str(), "server": f.server, "evidence": f.evidence},
            });
            if let Some(i) = all.iter().position(|x| x.id == f.rule) {
                r["ruleIndex"] = json!(i);
            }
            if let Some(t) = &f.tool {
                r["properties"]["tool"] = json!(t);
            }
            if let Some(l) = &f.location {
                r["properties"]["location"] = json!(l);
            }
            r
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "mcpsec",
                "informationUri": "https://github.com/mcpsec/mcpsec",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": sarif_rules,
            }},
            "results": results,
        }],
    })
}
