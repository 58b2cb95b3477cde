//! Rendering scan and framework reports: table, JSON, SARIF 2.1.0, JUnit XML,
//! Markdown.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::framework::FrameworkReport;
use crate::policy::PolicyMeta;
use crate::scan::ScanReport;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Sarif,
    Junit,
    Markdown,
}

/// Renders a scan (and the frameworks evaluated on it).
pub fn render(
    report: &ScanReport,
    frameworks: &[FrameworkReport],
    metas: &[PolicyMeta],
    format: Format,
) -> String {
    match format {
        Format::Table => table(report, frameworks),
        Format::Json => {
            let v = json!({
                "summary": {"files": report.files, "resources": report.resources,
                            "findings": report.findings.len(), "score": report.score(),
                            "duration_ms": report.duration_ms},
                "findings": report.findings,
                "checks": report.checks,
                "frameworks": frameworks,
                "input_errors": report.input_errors,
                "input_warnings": report.input_warnings,
                "policy_errors": report.policy_errors,
                "eval_errors": report.eval_errors,
            });
            serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"
        }
        Format::Sarif => {
            serde_json::to_string_pretty(&sarif(report, metas)).unwrap_or_default() + "\n"
        }
        Format::Junit => junit(report),
        Format::Markdown => markdown(report, frameworks),
    }
}

fn table(r: &ScanReport, fws: &[FrameworkReport]) -> String {
    let mut s = String::new();
    for f in &r.findings {
        let _ = writeln!(
            s,
            "{:<8} {:<11} {}:{}\t{}\t{}",
            f.severity.as_str().to_uppercase(),
            f.check_id,
            f.file,
            f.line,
            f.resource,
            f.message
        );
    }
    for e in &r.input_errors {
        let _ = writeln!(s, "SKIPPED  {}: {}", e.file, e.reason);
    }
    for e in &r.input_warnings {
        let _ = writeln!(s, "PARTIAL  {}: {}", e.file, e.reason);
    }
    for e in &r.policy_errors {
        let _ = writeln!(s, "POLICY   {}: {}", e.file, e.reason);
    }
    for e in &r.eval_errors {
        let _ = writeln!(
            s,
            "ERROR    {} on {} ({}): {}",
            e.check_id, e.resource, e.file, e.reason
        );
    }
    for fw in fws {
        let _ = writeln!(
            s,
            "\n{} — score {:.1}% ({} pass, {} fail, {} manual)",
            fw.title, fw.score, fw.passed, fw.failed, fw.manual
        );
        for c in &fw.controls {
            let checks: Vec<String> = c
                .evidence
                .iter()
                .filter(|e| e.failed > 0)
                .map(|e| format!("{} ({} failed)", e.check_id, e.failed))
                .collect();
            let _ = writeln!(
                s,
                "  {:<6} {:<10} {}{}",
                c.status.as_str().to_uppercase(),
                c.id,
                c.title.chars().take(70).collect::<String>(),
                if checks.is_empty() {
                    String::new()
                } else {
                    format!("  ← {}", checks.join(", "))
                }
            );
        }
    }
    let _ = writeln!(
        s,
        "{} finding(s) in {} resource(s) from {} file(s); {} check evaluations, score {:.1}%; {} skipped file(s), {} policy error(s), {} evaluation error(s); {} ms",
        r.findings.len(),
        r.resources,
        r.files,
        r.checks.iter().map(|c| c.evaluated).sum::<u64>(),
        r.score(),
        r.input_errors.len(),
        r.policy_errors.len(),
        r.eval_errors.len(),
        r.duration_ms
    );
    s
}

fn sarif_level(sev: mcpsec_core::domain::Severity) -> &'static str {
    use mcpsec_core::domain::Severity::*;
    match sev {
        Critical | High => "error",
        Medium => "warning",
        Low | Info => "note",
    }
}

/// SARIF 2.1.0 log.
pub fn sarif(r: &ScanReport, metas: &[PolicyMeta]) -> Value {
    let rules: Vec<Value> = metas
        .iter()
        .map(|m| {
            json!({
                "id": m.id,
                "name": m.title,
                "shortDescription": {"text": m.title},
                "fullDescription": {"text": m.description},
                "help": {"text": m.remediation},
                "helpUri": m.references.first(),
                "defaultConfiguration": {"level": sarif_level(m.severity)},
                "properties": {"security-severity": match m.severity {
                    mcpsec_core::domain::Severity::Critical => "9.5",
                    mcpsec_core::domain::Severity::High => "8.0",
                    mcpsec_core::domain::Severity::Medium => "5.5",
                    mcpsec_core::domain::Severity::Low => "3.0",
                    mcpsec_core::domain::Severity::Info => "0.0",
                }, "tags": ["security", m.input.as_str()]},
            })
        })
        .collect();
    let index: BTreeMap<&str, usize> = metas
        .iter()
        .enumerate()
        .map(|(i, m)| (m.id.as_str(), i))
        .collect();
    let results: Vec<Value> = r
        .findings
        .iter()
        .map(|f| {
            let mut v = json!({
                "ruleId": f.check_id,
                "level": sarif_level(f.severity),
                "message": {"text": format!("{}: {}", f.resource, f.message)},
                "locations": [{"physicalLocation": {
                    "artifactLocation": {"uri": f.file},
                    "region": {"startLine": f.line},
                }}],
            });
            if let Some(i) = index.get(f.check_id.as_str()) {
                v["ruleIndex"] = json!(i);
            }
            v
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "mcpsec-posture", "informationUri": "https://github.com/mcpsec/mcpsec", "version": env!("CARGO_PKG_VERSION"), "rules": rules}},
            "results": results,
        }],
    })
}

fn xml_escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => {}
            c => o.push(c),
        }
    }
    o
}

/// JUnit XML: one test suite per check, one failing test case per finding
/// and one passing case per check without findings.
pub fn junit(r: &ScanReport) -> String {
    let mut by_check: BTreeMap<&str, Vec<&crate::scan::Finding>> = BTreeMap::new();
    for f in &r.findings {
        by_check.entry(f.check_id.as_str()).or_default().push(f);
    }
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let evaluated: Vec<_> = r.checks.iter().filter(|c| c.evaluated > 0).collect();
    let _ = writeln!(
        s,
        "<testsuites name=\"mcpsec posture\" tests=\"{}\" failures=\"{}\">",
        evaluated.iter().map(|c| c.evaluated).sum::<u64>(),
        evaluated.iter().map(|c| c.failed).sum::<u64>()
    );
    for c in evaluated {
        let _ = writeln!(
            s,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\">",
            xml_escape(&format!("{} {}", c.id, c.title)),
            c.evaluated,
            c.failed,
            c.errors
        );
        let fs = by_check.get(c.id.as_str()).cloned().unwrap_or_default();
        for f in &fs {
            let _ = writeln!(
                s,
                "    <testcase classname=\"{}\" name=\"{}\" file=\"{}\" line=\"{}\">\n      <failure message=\"{}\" type=\"{}\">{}:{}</failure>\n    </testcase>",
                xml_escape(&c.id),
                xml_escape(&f.resource),
                xml_escape(&f.file),
                f.line,
                xml_escape(&f.message),
                f.severity,
                xml_escape(&f.file),
                f.line
            );
        }
        if c.passed > 0 {
            let _ = writeln!(
                s,
                "    <testcase classname=\"{}\" name=\"{} passing resource(s)\"/>",
                xml_escape(&c.id),
                c.passed
            );
        }
        s.push_str("  </testsuite>\n");
    }
    s.push_str("</testsuites>\n");
    s
}

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

pub fn markdown(r: &ScanReport, fws: &[FrameworkReport]) -> String {
    let mut s = String::from("# Posture scan\n\n");
    let _ = writeln!(
        s,
        "{} finding(s) in {} resource(s) from {} file(s); score {:.1}%.\n",
        r.findings.len(),
        r.resources,
        r.files,
        r.score()
    );
    if !r.findings.is_empty() {
        s.push_str("| severity | check | location | resource | message |\n|---|---|---|---|---|\n");
        for f in &r.findings {
            let _ = writeln!(
                s,
                "| {} | {} | `{}:{}` | {} | {} |",
                f.severity,
                f.check_id,
                f.file,
                f.line,
                md_cell(&f.resource),
                md_cell(&f.message)
            );
        }
    }
    for fw in fws {
        let _ = writeln!(
            s,
            "\n## {}\n\nScore {:.1}% — {} pass, {} fail, {} manual.\n\n| control | title | status | evidence |\n|---|---|---|---|",
            fw.title, fw.score, fw.passed, fw.failed, fw.manual
        );
        for c in &fw.controls {
            let ev: Vec<String> = c
                .evidence
                .iter()
                .map(|e| format!("{} {}/{} failed", e.check_id, e.failed, e.evaluated))
                .collect();
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} |",
                c.id,
                md_cell(&c.title),
                c.status.as_str(),
                ev.join(", ")
            );
        }
    }
    if !r.input_errors.is_empty() || !r.policy_errors.is_empty() || !r.eval_errors.is_empty() {
        s.push_str("\n## Skipped\n\n");
        for e in &r.input_errors {
            let _ = writeln!(s, "- input `{}`: {}", e.file, md_cell(&e.reason));
        }
        for e in &r.policy_errors {
            let _ = writeln!(s, "- policy `{}`: {}", e.file, md_cell(&e.reason));
        }
        for e in &r.eval_errors {
            let _ = writeln!(
                s,
                "- evaluation {} on `{}`: {}",
                e.check_id,
                e.file,
                md_cell(&e.reason)
            );
        }
    }
    s
}
