//! The offline scan: components → findings, matched against an OSV set,
//! with severity from CVSS, fixed versions, the smallest fixing upgrade and
//! CISA KEV enrichment.

use std::collections::{BTreeSet, HashSet};
use std::path::Path;

use mcpsec_core::domain::Severity;
use serde::Serialize;
use serde_json::Value;

use crate::cvss;
use crate::osv::{OsvDatabase, OsvRecord};
use crate::purl::Purl;
use crate::sbom::Component;

/// The CISA Known Exploited Vulnerabilities catalog (CVE ids).
#[derive(Debug, Clone, Default)]
pub struct Kev {
    pub cves: HashSet<String>,
    pub catalog_version: Option<String>,
}

/// A KEV file that could not be read.
#[derive(Debug, thiserror::Error)]
pub enum KevError {
    #[error("{0}: {1}")]
    Io(String, std::io::Error),
    #[error("{0}: not a KEV catalog: {1}")]
    Format(String, String),
}

impl Kev {
    /// Parses the KEV JSON feed (`vulnerabilities[].cveID`).
    pub fn from_json(bytes: &[u8]) -> Result<Kev, String> {
        let v: Value = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        let list = v
            .get("vulnerabilities")
            .and_then(Value::as_array)
            .ok_or("no vulnerabilities array")?;
        let cves = list
            .iter()
            .filter_map(|x| x.get("cveID").and_then(Value::as_str))
            .map(str::to_string)
            .collect();
        Ok(Kev {
            cves,
            catalog_version: v
                .get("catalogVersion")
                .and_then(Value::as_str)
                .map(str::to_string),
        })
    }

    pub fn load(path: &Path) -> Result<Kev, KevError> {
        let p = path.display().to_string();
        let b = std::fs::read(path).map_err(|e| KevError::Io(p.clone(), e))?;
        Kev::from_json(&b).map_err(|e| KevError::Format(p, e))
    }

    pub fn contains_any<'a>(&self, ids: impl IntoIterator<Item = &'a str>) -> bool {
        ids.into_iter().any(|i| self.cves.contains(i))
    }
}

/// One CVSS vector of a vulnerability with its computed base score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CvssEntry {
    pub version: String,
    pub vector: String,
    pub score: Option<f64>,
}

/// The vulnerability part of a finding.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VulnInfo {
    pub id: String,
    pub aliases: Vec<String>,
    pub summary: Option<String>,
    pub severity: Severity,
    pub cvss: Vec<CvssEntry>,
    pub kev: bool,
}

/// The component part of a finding.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ComponentInfo {
    pub name: String,
    pub version: String,
    pub purl: Option<String>,
    pub ecosystem: String,
}

/// A vulnerable component.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub vulnerability: VulnInfo,
    pub component: ComponentInfo,
    pub fixed_versions: Vec<String>,
    /// The smallest upgrade above the installed version that fixes it.
    pub smallest_fix: Option<String>,
    /// See [`risk_score`].
    pub risk_score: f64,
}

/// The result of a scan.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ScanReport {
    pub findings: Vec<Finding>,
    pub components_scanned: usize,
    /// Components that could not be matched (no ecosystem or no version).
    pub components_skipped: usize,
}

/// Severity and CVSS entries of a record (record-level and affected-level
/// `severity`, falling back to `database_specific.severity`). Unknown
/// severity is reported as `medium`, so that CI gates do not miss it.
pub fn severity_of(rec: &OsvRecord) -> (Severity, Vec<CvssEntry>) {
    let mut entries = Vec::new();
    let mut seen = BTreeSet::new();
    let all = rec
        .severity
        .iter()
        .chain(rec.affected.iter().flat_map(|a| a.severity.iter()));
    let mut best: Option<Severity> = None;
    for s in all {
        if !s.kind.starts_with("CVSS") || !seen.insert(s.score.clone()) {
            continue;
        }
        let version = cvss::version_of(&s.score).ok();
        let score = cvss::score(&s.score).ok().map(|x| x.base);
        if let (Some(v), Some(sc)) = (version, score) {
            let sev = cvss::severity_of(v, sc);
            best = Some(best.map_or(sev, |b| b.max(sev)));
        }
        entries.push(CvssEntry {
            version: version.map(|v| v.as_str().to_string()).unwrap_or_default(),
            vector: s.score.clone(),
            score,
        });
    }
    let db_sev = || {
        let from = |v: Option<&Value>| {
            v.and_then(|d| d.get("severity"))
                .and_then(Value::as_str)
                .and_then(|s| match s.to_ascii_uppercase().as_str() {
                    "CRITICAL" => Some(Severity::Critical),
                    "HIGH" | "IMPORTANT" => Some(Severity::High),
                    "MODERATE" | "MEDIUM" => Some(Severity::Medium),
                    "LOW" => Some(Severity::Low),
                    _ => None,
                })
        };
        from(rec.database_specific.as_ref())
            .or_else(|| {
                rec.affected
                    .iter()
                    .find_map(|a| from(a.ecosystem_specific.as_ref()))
            })
            .or_else(|| {
                rec.affected
                    .iter()
                    .find_map(|a| from(a.database_specific.as_ref()))
            })
    };
    (best.or_else(db_sev).unwrap_or(Severity::Medium), entries)
}

/// Risk score in [0, 10]: the highest CVSS base score (or, without one,
/// 9.5/8.0/5.5/2.5/0 for critical/high/medium/low/info), plus 2.0 when the
/// vulnerability is in CISA KEV, capped at 10, rounded to one decimal.
pub fn risk_score(severity: Severity, cvss: &[CvssEntry], kev: bool) -> f64 {
    let base = cvss
        .iter()
        .filter_map(|c| c.score)
        .fold(None, |m: Option<f64>, s| Some(m.map_or(s, |m| m.max(s))));
    let base = base.unwrap_or(match severity {
        Severity::Critical => 9.5,
        Severity::High => 8.0,
        Severity::Medium => 5.5,
        Severity::Low => 2.5,
        Severity::Info => 0.0,
    });
    let r = (base + if kev { 2.0 } else { 0.0 }).min(10.0);
    (r * 10.0).round() / 10.0
}

/// The ecosystem, OSV name and version of a component, if it can be matched.
fn match_key(c: &Component) -> Option<(String, String, String)> {
    let purl = c.purl.as_deref().and_then(|p| Purl::parse(p).ok());
    let eco = c
        .ecosystem
        .clone()
        .or_else(|| purl.as_ref().and_then(Purl::osv_ecosystem))?;
    let version = c
        .version
        .clone()
        .or_else(|| purl.as_ref().and_then(|p| p.version.clone()))?;
    if version.is_empty() {
        return None;
    }
    Some((eco, c.name.clone(), version))
}

/// Matches components against the database.
pub fn scan(components: &[Component], db: &OsvDatabase, kev: Option<&Kev>) -> ScanReport {
    let mut report = ScanReport {
        components_scanned: components.len(),
        ..ScanReport::default()
    };
    let mut seen = HashSet::new();
    let mut sev_cache: std::collections::HashMap<usize, (Severity, Vec<CvssEntry>)> =
        std::collections::HashMap::new();
    for c in components {
        let Some((eco, name, version)) = match_key(c) else {
            report.components_skipped += 1;
            continue;
        };
        for m in db.is_affected(&eco, &name, &version) {
            if !seen.insert((m.id.clone(), eco.clone(), name.clone(), version.clone())) {
                continue;
            }
            let rec = &db.records[m.record];
            let (severity, cvss) = sev_cache
                .entry(m.record)
                .or_insert_with(|| severity_of(rec))
                .clone();
            let in_kev = kev.is_some_and(|k| {
                k.contains_any(
                    std::iter::once(rec.id.as_str()).chain(rec.aliases.iter().map(String::as_str)),
                )
            });
            report.findings.push(Finding {
                risk_score: risk_score(severity, &cvss, in_kev),
                vulnerability: VulnInfo {
                    id: rec.id.clone(),
                    aliases: rec.aliases.clone(),
                    summary: rec.summary.clone(),
                    severity,
                    cvss,
                    kev: in_kev,
                },
                component: ComponentInfo {
                    name: name.clone(),
                    version: version.clone(),
                    purl: c.purl.clone(),
                    ecosystem: eco.clone(),
                },
                fixed_versions: m.fixed_versions,
                smallest_fix: m.smallest_fix,
            });
        }
    }
    report.findings.sort_by(|a, b| {
        b.risk_score
            .partial_cmp(&a.risk_score)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then_with(|| a.component.name.cmp(&b.component.name))
            .then_with(|| a.vulnerability.id.cmp(&b.vulnerability.id))
    });
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn risk() {
        assert_eq!(risk_score(Severity::High, &[], false), 8.0);
        assert_eq!(risk_score(Severity::High, &[], true), 10.0);
        let c = vec![CvssEntry {
            version: "3.1".into(),
            vector: String::new(),
            score: Some(7.5),
        }];
        assert_eq!(risk_score(Severity::High, &c, false), 7.5);
    }
}
