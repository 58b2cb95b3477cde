//! `mcpsec scan` and `mcpsec sbom`: offline supply-chain scanning of SBOMs,
//! lockfiles and directories against OSV data. No store is needed.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, ValueEnum};
use mcpsec_core::domain::Severity;
use mcpsec_vuln::inputs::{self, Collected};
use mcpsec_vuln::osv::OsvDatabase;
use mcpsec_vuln::sbom;
use mcpsec_vuln::scan::{self, Finding, Kev, ScanReport};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ScanFormat {
    Table,
    Json,
    Sarif,
    Markdown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
pub enum FailOn {
    Low,
    Medium,
    High,
    Critical,
}

impl FailOn {
    fn severity(self) -> Severity {
        match self {
            FailOn::Low => Severity::Low,
            FailOn::Medium => Severity::Medium,
            FailOn::High => Severity::High,
            FailOn::Critical => Severity::Critical,
        }
    }
}

/// Scan an SBOM, a lockfile or a directory for known vulnerabilities.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// SBOM (CycloneDX JSON/XML, SPDX 2 JSON/tag-value, SPDX 3 JSON-LD), lockfile, or directory to walk.
    pub path: PathBuf,
    /// OSV data: a directory of OSV JSON records, an OSV `all.zip`, or a JSON file (repeatable).
    #[arg(long = "osv", required = true)]
    pub osv: Vec<PathBuf>,
    /// CISA KEV catalog JSON, to flag known-exploited vulnerabilities.
    #[arg(long)]
    pub kev: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: ScanFormat,
    /// Exit with status 1 when a finding has at least this severity.
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,
    /// Only report findings that have a fixed version.
    #[arg(long)]
    pub only_fixed: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SbomFormatArg {
    Cyclonedx,
    Spdx,
}

/// Write the SBOM of what mcpsec finds in PATH.
#[derive(Debug, Args)]
pub struct SbomArgs {
    /// SBOM, lockfile or directory.
    pub path: PathBuf,
    /// Output SBOM format.
    #[arg(long, value_enum, default_value = "cyclonedx")]
    pub format: SbomFormatArg,
    /// Write to this file instead of standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
}

fn collect(path: &std::path::Path) -> anyhow::Result<Collected> {
    let c = inputs::collect(path)?;
    for e in &c.errors {
        eprintln!("warning: skipped {}: {}", e.path, e.error);
    }
    Ok(c)
}

/// `mcpsec scan`.
pub fn scan(args: &ScanArgs) -> anyhow::Result<()> {
    let collected = collect(&args.path)?;
    let db = OsvDatabase::load_paths(&args.osv).context("loading OSV data")?;
    for r in db.rejected.iter().take(20) {
        eprintln!("warning: OSV record skipped: {}: {}", r.source, r.reason);
    }
    if db.rejected.len() > 20 {
        eprintln!(
            "warning: … and {} more OSV records skipped",
            db.rejected.len() - 20
        );
    }
    let kev = match &args.kev {
        Some(p) => Some(Kev::load(p)?),
        None => None,
    };
    let mut report = scan::scan(&collected.components, &db, kev.as_ref());
    if args.only_fixed {
        report.findings.retain(|f| !f.fixed_versions.is_empty());
    }
    eprintln!(
        "scanned {} components from {} file(s) against {} OSV records: {} finding(s)",
        report.components_scanned,
        collected.files.len(),
        db.records.len(),
        report.findings.len()
    );
    let out = match args.format {
        ScanFormat::Json => serde_json::to_string_pretty(&json_report(&report, &collected))? + "\n",
        ScanFormat::Sarif => serde_json::to_string_pretty(&sarif(&report))? + "\n",
        ScanFormat::Markdown => markdown(&report),
        ScanFormat::Table => table(&report),
    };
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(out.as_bytes())?;
    stdout.flush()?;
    if let Some(threshold) = args.fail_on
        && report
            .findings
            .iter()
            .any(|f| f.vulnerability.severity >= threshold.severity())
    {
        eprintln!("failing: findings at or above {:?}", threshold.severity());
        std::process::exit(1);
    }
    Ok(())
}

/// `mcpsec sbom`.
pub fn sbom(args: &SbomArgs) -> anyhow::Result<()> {
    let collected = collect(&args.path)?;
    let doc = match args.format {
        SbomFormatArg::Cyclonedx => sbom::to_cyclonedx(&collected.components),
        SbomFormatArg::Spdx => {
            let name = args
                .path
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_else(|| "sbom".into());
            sbom::to_spdx(
                &collected.components,
                &name,
                &chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            )
        }
    };
    let text = serde_json::to_string_pretty(&doc)? + "\n";
    match &args.output {
        Some(p) => std::fs::write(p, text).with_context(|| format!("writing {}", p.display()))?,
        None => std::io::stdout().lock().write_all(text.as_bytes())?,
    }
    eprintln!(
        "{} components from {} file(s)",
        collected.components.len(),
        collected.files.len()
    );
    Ok(())
}

/// The JSON output contract (docs/supply-chain.md).
fn json_report(r: &ScanReport, c: &Collected) -> serde_json::Value {
    serde_json::json!({
        "findings": r.findings,
        "summary": {
            "components_scanned": r.components_scanned,
            "components_skipped": r.components_skipped,
            "findings": r.findings.len(),
            "inputs": c.files,
            "input_errors": c.errors,
        }
    })
}

fn fix_text(f: &Finding) -> String {
    match (&f.smallest_fix, f.fixed_versions.is_empty()) {
        (Some(v), _) => v.clone(),
        (None, false) => f.fixed_versions.join(", "),
        (None, true) => "-".into(),
    }
}

fn table(r: &ScanReport) -> String {
    let mut rows = vec![[
        "SEVERITY".to_string(),
        "RISK".into(),
        "ID".into(),
        "PACKAGE".into(),
        "VERSION".into(),
        "FIX".into(),
        "KEV".into(),
    ]];
    for f in &r.findings {
        rows.push([
            f.vulnerability.severity.to_string(),
            format!("{:.1}", f.risk_score),
            f.vulnerability.id.clone(),
            format!("{} ({})", f.component.name, f.component.ecosystem),
            f.component.version.clone(),
            fix_text(f),
            if f.vulnerability.kev {
                "yes".into()
            } else {
                String::new()
            },
        ]);
    }
    let mut widths = [0usize; 7];
    for row in &rows {
        for (i, c) in row.iter().enumerate() {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let mut out = String::new();
    for row in &rows {
        let line: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c:<w$}", w = widths[i]))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    if r.findings.is_empty() {
        out.push_str("no known vulnerabilities found\n");
    }
    out
}

fn markdown(r: &ScanReport) -> String {
    let mut out = String::from("# Vulnerability scan\n\n");
    out.push_str(&format!(
        "{} components scanned, {} findings.\n\n",
        r.components_scanned,
        r.findings.len()
    ));
    if r.findings.is_empty() {
        return out;
    }
    out.push_str("| Severity | Risk | ID | Package | Version | Fixed in | KEV |\n|---|---|---|---|---|---|---|\n");
    for f in &r.findings {
        out.push_str(&format!(
            "| {} | {:.1} | {} | {} ({}) | {} | {} | {} |\n",
            f.vulnerability.severity,
            f.risk_score,
            f.vulnerability.id,
            f.component.name.replace('|', "\\|"),
            f.component.ecosystem,
            f.component.version,
            fix_text(f),
            if f.vulnerability.kev { "yes" } else { "" }
        ));
    }
    out
}

fn sarif(r: &ScanReport) -> serde_json::Value {
    let level = |s: Severity| match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        _ => "note",
    };
    let mut rule_ids = std::collections::BTreeMap::new();
    for f in &r.findings {
        rule_ids.entry(f.vulnerability.id.clone()).or_insert_with(|| {
            serde_json::json!({
                "id": f.vulnerability.id,
                "shortDescription": { "text": f.vulnerability.summary.clone().unwrap_or_else(|| f.vulnerability.id.clone()) },
                "properties": { "security-severity": format!("{:.1}", f.risk_score), "aliases": f.vulnerability.aliases },
            })
        });
    }
    let results: Vec<serde_json::Value> = r
        .findings
        .iter()
        .map(|f| {
            serde_json::json!({
                "ruleId": f.vulnerability.id,
                "level": level(f.vulnerability.severity),
                "message": { "text": format!("{} {} is affected by {}; fixed in: {}", f.component.name, f.component.version, f.vulnerability.id, fix_text(f)) },
                "locations": [{ "logicalLocations": [{ "name": f.component.purl.clone().unwrap_or_else(|| f.component.name.clone()), "kind": "package" }] }],
                "properties": { "fixed_versions": f.fixed_versions, "kev": f.vulnerability.kev, "risk_score": f.risk_score },
            })
        })
        .collect();
    serde_json::json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": { "name": "mcpsec", "informationUri": "https://github.com/mcpsec/mcpsec", "rules": rule_ids.into_values().collect::<Vec<_>>() } },
            "results": results,
        }],
    })
}
