//! The offline scan: components → findings, matched against an OSV set,
//! with severity from CVSS, fixed versions, the smallest fixing upgrade and
//! CISA KEV enrichment.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;

use mcpsec_core::domain::Severity;
use serde::Serialize;
use serde_json::Value;

use crate::cvss;
use crate::osv::{OsvDatabase, OsvRecord, OsvSeverity};
use crate::purl::Purl;
use crate::reachability::Reachability;
use crate::sbom::Component;

/// The CISA Known Exploited Vulnerabilities catalog (CVE ids).
#[derive(Debug, Clone, Default)]
pub struct Kev {
    pub cves: HashSet<String>,
    pub catalog_version: Option<String>,
}

/// EPSS scores by CVE.
#[derive(Debug, Clone, Default)]
pub struct Epss {
    pub scores: HashMap<String, EpssInfo>,
}

/// A finding's EPSS score (probability of exploitation in 30 days, 0–1) and percentile.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct EpssInfo {
    pub score: f64,
    pub percentile: f64,
}

impl Epss {
    /// Reads an EPSS CSV (optionally gzipped); bad lines are returned.
    pub fn load(path: &Path) -> Result<(Epss, Vec<String>), KevError> {
        let p = path.display().to_string();
        let raw = std::fs::read(path).map_err(|e| KevError::Io(p.clone(), e))?;
        let text = if raw.starts_with(&[0x1f, 0x8b]) {
            use std::io::Read;
            let mut out = String::new();
            flate2::read::MultiGzDecoder::new(&raw[..])
                .take(crate::feeds::MAX_FEED_BYTES)
                .read_to_string(&mut out)
                .map_err(|e| KevError::Format(p.clone(), format!("gzip: {e}")))?;
            out
        } else {
            String::from_utf8_lossy(&raw).into_owned()
        };
        let (scores, bad) = crate::feeds::parse_epss(&text);
        if scores.is_empty() && !bad.is_empty() {
            return Err(KevError::Format(p, bad.join("; ")));
        }
        Ok((Epss::from_scores(&scores), bad))
    }

    pub fn from_scores(scores: &[mcpsec_core::vulndb::EpssScore]) -> Epss {
        Epss {
            scores: scores
                .iter()
                .map(|s| {
                    (
                        s.cve.clone(),
                        EpssInfo {
                            score: s.score,
                            percentile: s.percentile,
                        },
                    )
                })
                .collect(),
        }
    }
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

    /// The catalog from stored entries.
    pub fn from_entries(entries: &[mcpsec_core::vulndb::KevEntry]) -> Kev {
        Kev {
            cves: entries.iter().map(|e| e.cve.clone()).collect(),
            catalog_version: None,
        }
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
    /// The highest EPSS score among the id and aliases, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub epss: Option<EpssInfo>,
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
    /// See [`risk_score_full`].
    pub risk_score: f64,
    /// Who reported it: `mcpsec` (native match), `trivy`, `grype`,
    /// `sarif:<tool>`, `cyclonedx`; several after deduplication.
    pub sources: Vec<String>,
    /// The VEX status a statement gave it (`affected`, `under_investigation`,
    /// `not_affected`, `fixed`), when one applies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vex_status: Option<String>,
    /// Why it is suppressed (VEX `not_affected`/`fixed`, or the ignore file).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppression: Option<Suppression>,
    /// Direct/transitive, runtime/development, imported: lowers the risk
    /// score (see [`risk_score_reach`]); omitted when nothing is known.
    #[serde(default, skip_serializing_if = "Reachability::is_unknown")]
    pub reachability: Reachability,
}

/// Why a finding is suppressed; kept so `--show-suppressed` and VEX output
/// can show the justification.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Suppression {
    /// `vex` or `ignore`.
    pub kind: String,
    /// VEX status (`not_affected`, `fixed`) or `ignored`.
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
    /// Impact statement (VEX) or reason (ignore file).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statement: Option<String>,
    /// The VEX document or ignore file.
    pub source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
}

impl Finding {
    /// The vulnerability id and its aliases.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.vulnerability.id.as_str())
            .chain(self.vulnerability.aliases.iter().map(String::as_str))
    }
}

/// How much the affected asset matters; scales the risk score.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Criticality {
    Low,
    #[default]
    Medium,
    High,
    Critical,
}

impl Criticality {
    /// The multiplier of the risk score: 0.8, 1.0, 1.1, 1.2.
    pub fn factor(self) -> f64 {
        match self {
            Criticality::Low => 0.8,
            Criticality::Medium => 1.0,
            Criticality::High => 1.1,
            Criticality::Critical => 1.2,
        }
    }
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

/// [`risk_score_full`] without EPSS, at medium criticality.
pub fn risk_score(severity: Severity, cvss: &[CvssEntry], kev: bool) -> f64 {
    risk_score_full(severity, cvss, kev, None, Criticality::Medium)
}

/// [`risk_score_reach`] without reachability hints (factor 1).
pub fn risk_score_full(
    severity: Severity,
    cvss: &[CvssEntry],
    kev: bool,
    epss: Option<f64>,
    criticality: Criticality,
) -> f64 {
    risk_score_reach(
        severity,
        cvss,
        kev,
        epss,
        criticality,
        &Reachability::default(),
    )
}

/// Risk score in [0, 10] ("fix first" = highest):
///
/// `min(10, (base + 2.0 × exploitation) × criticality × reachability)`, one
/// decimal, where
/// `base` is the highest CVSS base score (or, without one, 9.5/8.0/5.5/2.5/0
/// for critical/high/medium/low/info), `exploitation` is 1 when the
/// vulnerability is in CISA KEV and otherwise its EPSS probability (0 when
/// unknown), and `criticality` is the asset factor (low 0.8, medium 1.0,
/// high 1.1, critical 1.2), and `reachability` is
/// [`Reachability::factor`] (0.5 development-only, 0.75 direct but not
/// imported by the scanned source, 0.375 both, else 1).
pub fn risk_score_reach(
    severity: Severity,
    cvss: &[CvssEntry],
    kev: bool,
    epss: Option<f64>,
    criticality: Criticality,
    reach: &Reachability,
) -> f64 {
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
    let exploitation = if kev {
        1.0
    } else {
        epss.unwrap_or(0.0).clamp(0.0, 1.0)
    };
    let r = ((base + 2.0 * exploitation) * criticality.factor() * reach.factor()).min(10.0);
    (r * 10.0).round() / 10.0
}

/// CVSS entries (with base scores) and the severity they give.
pub fn cvss_entries(sev: &[OsvSeverity]) -> (Option<Severity>, Vec<CvssEntry>) {
    let mut best: Option<Severity> = None;
    let mut out = Vec::new();
    for s in sev.iter().filter(|s| s.kind.starts_with("CVSS")) {
        let version = cvss::version_of(&s.score).ok();
        let score = cvss::score(&s.score).ok().map(|x| x.base);
        if let (Some(v), Some(sc)) = (version, score) {
            let sev = cvss::severity_of(v, sc);
            best = Some(best.map_or(sev, |b| b.max(sev)));
        }
        out.push(CvssEntry {
            version: version.map(|v| v.as_str().to_string()).unwrap_or_default(),
            vector: s.score.clone(),
            score,
        });
    }
    (best, out)
}

/// Enrichment applied after matching (and after ingesting reports).
#[derive(Debug, Default)]
pub struct Enrichment<'a> {
    pub kev: Option<&'a Kev>,
    pub epss: Option<&'a Epss>,
    /// NVD CVSS vectors by CVE, used where a finding has no CVSS.
    pub nvd: Option<&'a HashMap<String, Vec<OsvSeverity>>>,
    pub criticality: Criticality,
}

/// Fills CVSS from NVD where missing, sets KEV and EPSS, recomputes the risk
/// score and sorts "fix first".
pub fn enrich(findings: &mut [Finding], e: &Enrichment<'_>) {
    for f in findings.iter_mut() {
        let nvd_sev = match e.nvd {
            Some(nvd) if f.vulnerability.cvss.is_empty() => f.ids().find_map(|i| nvd.get(i)),
            _ => None,
        };
        if let Some(sev) = nvd_sev {
            let (best, entries) = cvss_entries(sev);
            f.vulnerability.cvss = entries;
            if let Some(b) = best {
                f.vulnerability.severity = b;
            }
        }
        if let Some(k) = e.kev
            && !f.vulnerability.kev
        {
            f.vulnerability.kev = k.contains_any(f.ids().collect::<Vec<_>>());
        }
        if let Some(ep) = e.epss {
            let best = f
                .ids()
                .filter_map(|i| ep.scores.get(i))
                .fold(None::<EpssInfo>, |m, x| match m {
                    Some(m) if m.score >= x.score => Some(m),
                    _ => Some(*x),
                });
            if best.is_some() {
                f.vulnerability.epss = best;
            }
        }
        f.risk_score = risk_score_reach(
            f.vulnerability.severity,
            &f.vulnerability.cvss,
            f.vulnerability.kev,
            f.vulnerability.epss.map(|x| x.score),
            e.criticality,
            &f.reachability,
        );
    }
    sort_fix_first(findings);
}

/// "Fix first" order: risk, then KEV, EPSS, severity (all descending),
/// then package and id.
pub fn sort_fix_first(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        b.risk_score
            .partial_cmp(&a.risk_score)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then_with(|| b.vulnerability.kev.cmp(&a.vulnerability.kev))
            .then_with(|| {
                let ep = |f: &Finding| f.vulnerability.epss.map_or(-1.0, |x| x.score);
                ep(b)
                    .partial_cmp(&ep(a))
                    .unwrap_or(std::cmp::Ordering::Equal)
            })
            .then_with(|| b.vulnerability.severity.cmp(&a.vulnerability.severity))
            .then_with(|| a.component.name.cmp(&b.component.name))
            .then_with(|| a.component.version.cmp(&b.component.version))
            .then_with(|| a.vulnerability.id.cmp(&b.vulnerability.id))
    });
}

/// The ecosystem, OSV name and version of a component, if it can be matched.
pub fn match_key(c: &Component) -> Option<(String, String, String)> {
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
    // Distro advisories name source packages: an OS package's `upstream`
    // qualifier (`src` or `src@version`) gives the name (and version) to match.
    if let Some(p) = &purl
        && matches!(p.ty.as_str(), "deb" | "apk")
        && let Some(up) = p.qualifiers.get("upstream")
    {
        return Some(match up.split_once('@') {
            Some((n, v)) if !n.is_empty() && !v.is_empty() => (eco, n.to_string(), v.to_string()),
            _ => (eco, up.clone(), version),
        });
    }
    Some((eco, c.name.clone(), version))
}

/// Matches components against the database.
pub fn scan(components: &[Component], db: &OsvDatabase, kev: Option<&Kev>) -> ScanReport {
    let mut report = ScanReport {
        components_scanned: components.len(),
        ..ScanReport::default()
    };
    // One hint per matched package, combined over every place it was seen.
    let mut reach: HashMap<(String, String, String), Reachability> = HashMap::new();
    for c in components.iter().filter(|c| !c.reachability.is_unknown()) {
        if let Some(k) = match_key(c) {
            reach.entry(k).or_default().merge(&c.reachability);
        }
    }
    let mut seen = HashSet::new();
    let mut sev_cache: std::collections::HashMap<usize, (Severity, Vec<CvssEntry>)> =
        std::collections::HashMap::new();
    for c in components {
        let Some((eco, name, version)) = match_key(c) else {
            report.components_skipped += 1;
            continue;
        };
        let r = if reach.is_empty() {
            Reachability::default()
        } else {
            reach
                .get(&(eco.clone(), name.clone(), version.clone()))
                .copied()
                .unwrap_or_default()
        };
        for m in db.is_affected(&eco, &name, &version) {
            if !seen.insert((
                m.id.clone(),
                eco.clone(),
                c.name.clone(),
                name.clone(),
                version.clone(),
            )) {
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
                risk_score: risk_score_reach(
                    severity,
                    &cvss,
                    in_kev,
                    None,
                    Criticality::Medium,
                    &r,
                ),
                vulnerability: VulnInfo {
                    id: rec.id.clone(),
                    aliases: rec.aliases.clone(),
                    summary: rec.summary.clone(),
                    severity,
                    cvss,
                    kev: in_kev,
                    epss: None,
                },
                // The installed package (a binary package for distro
                // packages matched on their source name).
                component: ComponentInfo {
                    name: c.name.clone(),
                    version: c.version.clone().unwrap_or_else(|| version.clone()),
                    purl: c.purl.clone(),
                    ecosystem: eco.clone(),
                },
                fixed_versions: m.fixed_versions,
                smallest_fix: m.smallest_fix,
                sources: vec!["mcpsec".into()],
                vex_status: None,
                suppression: None,
                reachability: r,
            });
        }
    }
    sort_fix_first(&mut report.findings);
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
        // EPSS 0.5 adds 1.0; KEV counts as exploitation 1 whatever EPSS says.
        assert_eq!(
            risk_score_full(Severity::High, &c, false, Some(0.5), Criticality::Medium),
            8.5
        );
        assert_eq!(
            risk_score_full(Severity::High, &c, true, Some(0.1), Criticality::Medium),
            9.5
        );
        assert_eq!(
            risk_score_full(Severity::High, &c, false, None, Criticality::Low),
            6.0
        );
        assert_eq!(
            risk_score_full(Severity::High, &c, false, Some(0.9), Criticality::Critical),
            10.0
        );
        assert_eq!(
            risk_score_full(Severity::Medium, &[], false, None, Criticality::High),
            6.1
        );
    }
}
