//! Scanner reports (`mcpsec ingest`): Trivy JSON (legacy list, schema 2,
//! Kubernetes), Grype JSON, SARIF 2.1, CycloneDX JSON with vulnerabilities
//! (VEX included), osv-scanner JSON and Dependency-Track finding exports,
//! normalised into the same [`Finding`]s as native matches, and
//! [`merge`]d with them: two findings are one when they concern the same
//! component (ecosystem, normalised name, version) and their vulnerability
//! alias sets (id + aliases) intersect.

use std::collections::{BTreeSet, HashMap};

use mcpsec_core::domain::Severity;
use serde::Serialize;
use serde_json::Value;

use crate::osv::{self, OsvRecord, normalize_name};
use crate::purl::Purl;
use crate::sbom::{Component, osv_name};
use crate::scan::{ComponentInfo, CvssEntry, Finding, VulnInfo, cvss_entries, risk_score};
use crate::version::Scheme;

/// Report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportFormat {
    Trivy,
    Grype,
    Sarif,
    CycloneDx,
    OsvScanner,
    DependencyTrack,
}

impl ReportFormat {
    pub fn source_name(self) -> &'static str {
        match self {
            ReportFormat::Trivy => "trivy",
            ReportFormat::Grype => "grype",
            ReportFormat::Sarif => "sarif",
            ReportFormat::CycloneDx => "cyclonedx",
            ReportFormat::OsvScanner => "osv-scanner",
            ReportFormat::DependencyTrack => "dependency-track",
        }
    }
}

/// Why a report could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    #[error("not valid JSON: {0}")]
    Json(String),
    #[error(
        "unknown report format: expected Trivy JSON, Grype JSON, SARIF 2.1, CycloneDX JSON, \
         osv-scanner JSON or Dependency-Track findings"
    )]
    Unknown,
    #[error("{0}")]
    Unsupported(String),
    #[error("malformed {0:?} report: {1}")]
    Malformed(ReportFormat, String),
}

/// A parsed report.
#[derive(Debug, Clone)]
pub struct Ingested {
    pub format: ReportFormat,
    pub findings: Vec<Finding>,
    /// The components the report names: every package it lists (Trivy's
    /// `Packages`, present with `--list-all-pkgs`) and every finding's
    /// component, once each (by ecosystem, name, version and purl). A
    /// report lists what its scanner saw, often only vulnerable packages.
    pub components: Vec<Component>,
    /// Entries that were skipped (no component, no id…), with the reason.
    pub skipped: Vec<String>,
}

/// Detects the report format.
pub fn detect(v: &Value) -> Option<ReportFormat> {
    match v {
        Value::Array(items) => items
            .iter()
            .any(|i| i.get("Target").is_some() || i.get("Vulnerabilities").is_some())
            .then_some(ReportFormat::Trivy),
        Value::Object(o) => {
            if o.contains_key("matches")
                && (o.contains_key("source")
                    || o.contains_key("descriptor")
                    || o.get("matches").and_then(Value::as_array).is_some_and(|m| {
                        m.iter().all(|x| {
                            x.get("vulnerability").is_some() && x.get("artifact").is_some()
                        })
                    }))
            {
                Some(ReportFormat::Grype)
            } else if o.contains_key("SchemaVersion")
                || o.contains_key("Results")
                || o.contains_key("ArtifactName")
                || o.contains_key("ClusterName")
            {
                Some(ReportFormat::Trivy)
            } else if o.contains_key("runs")
                && (o.contains_key("version")
                    || o.get("$schema")
                        .and_then(Value::as_str)
                        .is_some_and(|s| s.contains("sarif")))
            {
                Some(ReportFormat::Sarif)
            } else if o.get("bomFormat").and_then(Value::as_str) == Some("CycloneDX") {
                Some(ReportFormat::CycloneDx)
            } else if o
                .get("results")
                .and_then(Value::as_array)
                .is_some_and(|r| r.iter().all(|x| x.get("packages").is_some()))
            {
                Some(ReportFormat::OsvScanner)
            } else if o.contains_key("findings")
                || o.get("meta")
                    .and_then(|m| m.get("application"))
                    .and_then(Value::as_str)
                    == Some("Dependency-Track")
            {
                Some(ReportFormat::DependencyTrack)
            } else {
                None
            }
        }
        _ => None,
    }
}

/// Parses a report from bytes.
pub fn parse(bytes: &[u8]) -> Result<Ingested, ReportError> {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(512)]);
    if head
        .trim_start_matches('\u{feff}')
        .trim_start()
        .starts_with('<')
    {
        let text = std::str::from_utf8(bytes)
            .map_err(|e| ReportError::Malformed(ReportFormat::CycloneDx, e.to_string()))?;
        let v = cyclonedx_xml_to_json(text)?;
        let mut out = Ingested {
            format: ReportFormat::CycloneDx,
            findings: vec![],
            components: vec![],
            skipped: vec![],
        };
        cyclonedx(&v, &mut out);
        add_finding_components(&mut out);
        return Ok(out);
    }
    let v: Value = serde_json::from_slice(bytes).map_err(|e| ReportError::Json(e.to_string()))?;
    if v.is_null() {
        // `trivy --format json` of an empty scan in old versions.
        return Ok(Ingested {
            format: ReportFormat::Trivy,
            findings: vec![],
            components: vec![],
            skipped: vec![],
        });
    }
    if v.get("statements").is_some()
        || v.get("@context")
            .and_then(Value::as_str)
            .is_some_and(|c| c.contains("openvex"))
    {
        return Err(ReportError::Unsupported(
            "an OpenVEX document holds statements, not findings: apply it with --vex".into(),
        ));
    }
    if v.pointer("/document/csaf_version").is_some() {
        return Err(ReportError::Unsupported(
            "a CSAF document holds VEX statements, not findings: apply it with --vex".into(),
        ));
    }
    let format = detect(&v).ok_or(ReportError::Unknown)?;
    let mut out = Ingested {
        format,
        findings: vec![],
        components: vec![],
        skipped: vec![],
    };
    match format {
        ReportFormat::Trivy => trivy(&v, &mut out),
        ReportFormat::Grype => grype(&v, &mut out)?,
        ReportFormat::Sarif => sarif(&v, &mut out)?,
        ReportFormat::CycloneDx => cyclonedx(&v, &mut out),
        ReportFormat::OsvScanner => osv_scanner(&v, &mut out),
        ReportFormat::DependencyTrack => dependency_track(&v, &mut out)?,
    }
    add_finding_components(&mut out);
    Ok(out)
}

/// Adds every finding's component to `out.components` and removes
/// duplicates (first occurrence kept, so a listed package's licences win).
/// A finding located only by a file (SARIF without a package) names no
/// component: one needs a version, a purl or an ecosystem.
fn add_finding_components(out: &mut Ingested) {
    for f in &out.findings {
        let c = &f.component;
        if c.version.is_empty() && c.purl.is_none() && c.ecosystem.is_empty() {
            continue;
        }
        out.components.push(Component {
            name: c.name.clone(),
            version: (!c.version.is_empty()).then(|| c.version.clone()),
            purl: c.purl.clone(),
            ecosystem: (!c.ecosystem.is_empty()).then(|| c.ecosystem.clone()),
            licenses: vec![],
            reachability: Default::default(),
        });
    }
    let mut seen = std::collections::HashSet::new();
    out.components.retain(|c| {
        seen.insert((
            c.ecosystem.clone(),
            c.name.clone(),
            c.version.clone(),
            c.purl.clone(),
        ))
    });
}

// ---------------------------------------------------------------- helpers

fn s<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str).filter(|x| !x.is_empty())
}

fn arr<'a>(v: &'a Value, k: &str) -> impl Iterator<Item = &'a Value> {
    v.get(k).and_then(Value::as_array).into_iter().flatten()
}

/// A scanner's severity word.
pub fn severity_word(w: &str) -> Option<Severity> {
    Some(match w.trim().to_ascii_lowercase().as_str() {
        "critical" => Severity::Critical,
        "high" | "important" | "error" => Severity::High,
        "medium" | "moderate" | "warning" => Severity::Medium,
        "low" | "negligible" | "note" | "minor" => Severity::Low,
        "info" | "informational" | "none" => Severity::Info,
        _ => return None,
    })
}

/// A numeric severity (CVSS-like, 0–10) as a rating.
fn severity_of_score(x: f64) -> Severity {
    match x {
        x if x >= 9.0 => Severity::Critical,
        x if x >= 7.0 => Severity::High,
        x if x >= 4.0 => Severity::Medium,
        x if x > 0.0 => Severity::Low,
        _ => Severity::Info,
    }
}

fn vector_entries(vectors: &[String]) -> (Option<Severity>, Vec<CvssEntry>) {
    let sev: Vec<osv::OsvSeverity> = vectors
        .iter()
        .map(|v| osv::OsvSeverity {
            kind: "CVSS".into(),
            score: v.clone(),
        })
        .collect();
    cvss_entries(&sev)
}

/// The smallest fixed version above `installed` in the ecosystem's order.
fn smallest_fix(ecosystem: &str, installed: &str, fixed: &[String]) -> Option<String> {
    let scheme = Scheme::for_ecosystem(ecosystem);
    let cur = scheme.parse(installed).ok()?;
    fixed
        .iter()
        .filter_map(|f| scheme.parse(f).ok().map(|p| (p, f)))
        .filter(|(p, _)| *p > cur)
        .min_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, f)| f.clone())
}

/// Trivy's result `Type` → OSV ecosystem.
fn trivy_ecosystem(ty: &str) -> Option<&'static str> {
    Some(match ty {
        "alpine" => "Alpine",
        "debian" => "Debian",
        "ubuntu" => "Ubuntu",
        "redhat" => "Red Hat",
        "rocky" => "Rocky Linux",
        "alma" => "AlmaLinux",
        "suse" | "opensuse" | "opensuse.leap" | "sles" => "SUSE",
        "wolfi" => "Wolfi",
        "chainguard" => "Chainguard",
        "npm" | "node-pkg" | "yarn" | "pnpm" | "bun" => "npm",
        "pip" | "pipenv" | "poetry" | "python-pkg" | "uv" | "conda-pkg" => "PyPI",
        "jar" | "pom" | "gradle" | "sbt" => "Maven",
        "gomod" | "gobinary" => "Go",
        "cargo" | "rust-binary" | "rustbinary" => "crates.io",
        "bundler" | "gemspec" => "RubyGems",
        "composer" | "composer-vendor" => "Packagist",
        "nuget" | "dotnet-core" | "packages-props" => "NuGet",
        "pub" => "Pub",
        "hex" | "mix" => "Hex",
        "swift" => "SwiftURL",
        _ => return None,
    })
}

struct Raw<'a> {
    id: &'a str,
    aliases: Vec<String>,
    summary: Option<String>,
    severity: Option<Severity>,
    vectors: Vec<String>,
    /// Used when there is neither a severity word nor a vector.
    score: Option<f64>,
    component: Component,
    fixed: Vec<String>,
}

fn build(source: &str, r: Raw<'_>) -> Finding {
    let (cvss_sev, cvss) = vector_entries(&r.vectors);
    let severity = r
        .severity
        .or(cvss_sev)
        .or(r.score.map(severity_of_score))
        .unwrap_or(Severity::Medium);
    let purl = r
        .component
        .purl
        .as_deref()
        .and_then(|p| Purl::parse(p).ok());
    let ecosystem = r
        .component
        .ecosystem
        .clone()
        .or_else(|| purl.as_ref().and_then(Purl::osv_ecosystem))
        .unwrap_or_default();
    let version = r.component.version.clone().unwrap_or_default();
    let mut fixed: Vec<String> = Vec::new();
    for f in r.fixed {
        if !f.is_empty() && !fixed.contains(&f) {
            fixed.push(f);
        }
    }
    let smallest = if ecosystem.is_empty() || version.is_empty() {
        None
    } else {
        smallest_fix(&ecosystem, &version, &fixed)
    };
    let mut aliases: Vec<String> = r
        .aliases
        .into_iter()
        .filter(|a| !a.is_empty() && a != r.id)
        .collect();
    aliases.sort();
    aliases.dedup();
    Finding {
        risk_score: risk_score(severity, &cvss, false),
        vulnerability: VulnInfo {
            id: r.id.to_string(),
            aliases,
            summary: r.summary,
            severity,
            cvss,
            kev: false,
            epss: None,
        },
        component: ComponentInfo {
            name: r.component.name.clone(),
            version,
            purl: r.component.purl.clone(),
            ecosystem,
        },
        fixed_versions: fixed,
        smallest_fix: smallest,
        sources: vec![source.to_string()],
        vex_status: None,
        suppression: None,
        reachability: Default::default(),
    }
}

fn component(purl: Option<&str>, eco: Option<&str>, name: &str, version: &str) -> Component {
    if let Some(c) = purl.and_then(|p| Component::from_purl(p, vec![])) {
        let mut c = c;
        if c.version.is_none() && !version.is_empty() {
            c.version = Some(version.to_string());
        }
        return c;
    }
    match eco {
        Some(e) => Component::from_parts(e, name, version),
        None => Component {
            name: name.to_string(),
            version: (!version.is_empty()).then(|| version.to_string()),
            purl: None,
            ecosystem: None,
            licenses: vec![],
            reachability: Default::default(),
        },
    }
}

// ------------------------------------------------------------------ Trivy

fn trivy(v: &Value, out: &mut Ingested) {
    // Every `Results`-like list, wherever this Trivy layout keeps it.
    let mut results: Vec<&Value> = Vec::new();
    match v {
        Value::Array(items) => results.extend(items.iter().filter(|i| i.is_object())),
        _ => {
            results.extend(arr(v, "Results"));
            for res in arr(v, "Resources").chain(arr(v, "Vulnerabilities")) {
                results.extend(arr(res, "Results"));
            }
        }
    }
    for r in results {
        let eco = s(r, "Type").and_then(trivy_ecosystem);
        // The whole package list (`--list-all-pkgs`).
        for p in arr(r, "Packages") {
            let Some(name) = s(p, "Name") else { continue };
            let purl = p.pointer("/Identifier/PURL").and_then(Value::as_str);
            let mut c = component(purl, eco, name, s(p, "Version").unwrap_or(""));
            if c.ecosystem.is_none() {
                // As `build` does for a finding's component.
                c.ecosystem = purl
                    .and_then(|p| Purl::parse(p).ok())
                    .and_then(|p| p.osv_ecosystem());
            }
            c.licenses = arr(p, "Licenses")
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect();
            out.components.push(c);
        }
        for (i, x) in arr(r, "Vulnerabilities").enumerate() {
            let (Some(id), Some(name)) = (s(x, "VulnerabilityID"), s(x, "PkgName")) else {
                out.skipped.push(format!(
                    "{}: Vulnerabilities[{i}]: no VulnerabilityID or PkgName",
                    s(r, "Target").unwrap_or("?")
                ));
                continue;
            };
            let version = s(x, "InstalledVersion").unwrap_or("");
            let purl = x.pointer("/PkgIdentifier/PURL").and_then(Value::as_str);
            let mut vectors = Vec::new();
            if let Some(cv) = x.get("CVSS").and_then(Value::as_object) {
                for vendor in cv.values() {
                    for k in ["V40Vector", "V3Vector", "V2Vector"] {
                        if let Some(vec) = s(vendor, k)
                            && !vectors.iter().any(|x: &String| x == vec)
                        {
                            vectors.push(vec.to_string());
                        }
                    }
                }
            }
            let aliases = arr(x, "VendorIDs")
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect();
            let fixed = s(x, "FixedVersion")
                .map(|f| f.split(',').map(|p| p.trim().to_string()).collect())
                .unwrap_or_default();
            out.findings.push(build(
                "trivy",
                Raw {
                    id,
                    aliases,
                    summary: s(x, "Title").or(s(x, "Description")).map(str::to_string),
                    severity: s(x, "Severity").and_then(severity_word),
                    vectors,
                    score: None,
                    component: component(purl, eco, name, version),
                    fixed,
                },
            ));
        }
    }
}

// ------------------------------------------------------------------ Grype

fn grype(v: &Value, out: &mut Ingested) -> Result<(), ReportError> {
    let matches = v.get("matches").and_then(Value::as_array).ok_or_else(|| {
        ReportError::Malformed(ReportFormat::Grype, "matches is not an array".into())
    })?;
    for (i, m) in matches.iter().enumerate() {
        let vuln = m.get("vulnerability").unwrap_or(&Value::Null);
        let art = m.get("artifact").unwrap_or(&Value::Null);
        let (Some(id), Some(name)) = (s(vuln, "id"), s(art, "name")) else {
            out.skipped.push(format!(
                "matches[{i}]: no vulnerability.id or artifact.name"
            ));
            continue;
        };
        let related: Vec<&Value> = arr(m, "relatedVulnerabilities").collect();
        let aliases = related
            .iter()
            .filter_map(|r| s(r, "id"))
            .map(str::to_string)
            .collect();
        let mut vectors: Vec<String> = arr(vuln, "cvss")
            .filter_map(|c| s(c, "vector"))
            .map(str::to_string)
            .collect();
        if vectors.is_empty() {
            vectors = related
                .iter()
                .flat_map(|r| arr(r, "cvss"))
                .filter_map(|c| s(c, "vector"))
                .map(str::to_string)
                .collect();
        }
        // Grype writes v3 vectors with their `CVSS:3.x/` prefix; v2 bare.
        vectors.dedup();
        let fixed = vuln
            .pointer("/fix/versions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect();
        let summary = s(vuln, "description")
            .or_else(|| related.iter().find_map(|r| s(r, "description")))
            .map(str::to_string);
        let eco = s(art, "type").and_then(|t| match t {
            "deb" => Some("Debian"),
            "apk" => Some("Alpine"),
            "rpm" => Some("Red Hat"),
            "python" => Some("PyPI"),
            "java-archive" | "jenkins-plugin" => Some("Maven"),
            "go-module" => Some("Go"),
            "gem" => Some("RubyGems"),
            "rust-crate" => Some("crates.io"),
            "php-composer" => Some("Packagist"),
            "dotnet" => Some("NuGet"),
            t if t.starts_with("npm") => Some("npm"),
            _ => None,
        });
        out.findings.push(build(
            "grype",
            Raw {
                id,
                aliases,
                summary,
                severity: s(vuln, "severity").and_then(severity_word),
                vectors,
                score: None,
                component: component(s(art, "purl"), eco, name, s(art, "version").unwrap_or("")),
                fixed,
            },
        ));
    }
    Ok(())
}

// ------------------------------------------------------------------ SARIF

fn looks_like_vuln_id(id: &str) -> bool {
    let u = id.to_ascii_uppercase();
    [
        "CVE-", "GHSA-", "GO-", "PYSEC-", "RUSTSEC-", "OSV-", "DSA-", "USN-",
    ]
    .iter()
    .any(|p| u.starts_with(p))
}

fn sarif(v: &Value, out: &mut Ingested) -> Result<(), ReportError> {
    let runs = v.get("runs").and_then(Value::as_array).ok_or_else(|| {
        ReportError::Malformed(ReportFormat::Sarif, "runs is not an array".into())
    })?;
    for (ri, run) in runs.iter().enumerate() {
        let tool = run
            .pointer("/tool/driver/name")
            .and_then(Value::as_str)
            .unwrap_or("unknown");
        let source = format!("sarif:{tool}");
        let rules: Vec<&Value> = run
            .pointer("/tool/driver/rules")
            .and_then(Value::as_array)
            .map(|r| r.iter().collect())
            .unwrap_or_default();
        for (i, res) in arr(run, "results").enumerate() {
            let rule = res
                .get("ruleIndex")
                .and_then(Value::as_u64)
                .and_then(|k| rules.get(k as usize).copied())
                .or_else(|| {
                    let id = s(res, "ruleId")?;
                    rules.iter().copied().find(|r| s(r, "id") == Some(id))
                });
            let Some(id) = s(res, "ruleId")
                .or_else(|| res.pointer("/rule/id").and_then(Value::as_str))
                .or_else(|| rule.and_then(|r| s(r, "id")))
            else {
                out.skipped
                    .push(format!("runs[{ri}].results[{i}]: no ruleId"));
                continue;
            };
            // The component: a package logical location (purl), a purl
            // property, or the artifact file.
            let loc = res.pointer("/locations/0");
            let logical = loc.and_then(|l| l.pointer("/logicalLocations/0"));
            let purl = logical
                .and_then(|l| s(l, "name").or(s(l, "fullyQualifiedName")))
                .filter(|n| n.starts_with("pkg:"))
                .or_else(|| res.pointer("/properties/purl").and_then(Value::as_str));
            let file = loc
                .and_then(|l| l.pointer("/physicalLocation/artifactLocation/uri"))
                .and_then(Value::as_str);
            let comp = match purl.and_then(|p| Component::from_purl(p, vec![])) {
                Some(c) => c,
                None => {
                    let Some(name) = file
                        .map(|f| f.rsplit('/').next().unwrap_or(f))
                        .or_else(|| logical.and_then(|l| s(l, "fullyQualifiedName")))
                    else {
                        out.skipped
                            .push(format!("runs[{ri}].results[{i}] ({id}): no location"));
                        continue;
                    };
                    component(None, None, name, "")
                }
            };
            let props = res.get("properties");
            let rule_props = rule.and_then(|r| r.get("properties"));
            let severity = props
                .and_then(|p| s(p, "severity"))
                .and_then(severity_word)
                .or_else(|| {
                    props
                        .and_then(|p| p.get("cvssv3_baseScore").or(p.get("cvssv2_score")))
                        .and_then(Value::as_f64)
                        .map(severity_of_score)
                });
            let security_severity = [props, rule_props]
                .into_iter()
                .flatten()
                .find_map(|p| p.get("security-severity"))
                .and_then(|x| {
                    x.as_f64()
                        .or_else(|| x.as_str().and_then(|s| s.parse().ok()))
                });
            let level_sev = s(res, "level")
                .or_else(|| rule.and_then(|r| r.pointer("/defaultConfiguration/level")?.as_str()))
                .and_then(severity_word);
            let aliases: Vec<String> = rule_props
                .and_then(|p| p.get("aliases"))
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect();
            let fixed: Vec<String> = props
                .and_then(|p| p.get("fixed_versions"))
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect();
            let summary = res
                .pointer("/message/text")
                .and_then(Value::as_str)
                .or_else(|| rule.and_then(|r| r.pointer("/shortDescription/text")?.as_str()))
                .map(str::to_string);
            let mut f = build(
                &source,
                Raw {
                    id,
                    aliases,
                    summary,
                    severity: severity
                        .or(security_severity.map(severity_of_score))
                        .or(level_sev),
                    vectors: vec![],
                    score: None,
                    component: comp,
                    fixed,
                },
            );
            if !looks_like_vuln_id(id) && f.vulnerability.aliases.is_empty() {
                // A code-scanning rule: kept, its rule id is its identity.
                f.vulnerability.summary = f.vulnerability.summary.or(Some(id.to_string()));
            }
            if let Some(sup) = res
                .get("suppressions")
                .and_then(Value::as_array)
                .and_then(|a| a.first())
            {
                f.suppression = Some(crate::scan::Suppression {
                    kind: "report".into(),
                    status: s(sup, "status")
                        .or(s(sup, "state"))
                        .unwrap_or("suppressed")
                        .to_string(),
                    justification: s(sup, "justification").map(str::to_string),
                    statement: None,
                    source: source.clone(),
                    expires: None,
                });
            }
            out.findings.push(f);
        }
    }
    Ok(())
}

// -------------------------------------------------------------- CycloneDX

fn cyclonedx(v: &Value, out: &mut Ingested) {
    let mut by_ref: HashMap<String, Component> = HashMap::new();
    fn walk(c: &Value, by_ref: &mut HashMap<String, Component>) {
        if let Some(r) = s(c, "bom-ref") {
            let comp = component(
                s(c, "purl"),
                None,
                s(c, "name").unwrap_or(r),
                s(c, "version").unwrap_or(""),
            );
            by_ref.insert(r.to_string(), comp);
        }
        for sub in arr(c, "components") {
            walk(sub, by_ref);
        }
    }
    for c in arr(v, "components") {
        walk(c, &mut by_ref);
    }
    if let Some(m) = v.pointer("/metadata/component") {
        walk(m, &mut by_ref);
    }
    for (i, x) in arr(v, "vulnerabilities").enumerate() {
        let Some(id) = s(x, "id") else {
            out.skipped.push(format!("vulnerabilities[{i}]: no id"));
            continue;
        };
        let mut severity = None;
        let mut score = None;
        let mut vectors = Vec::new();
        for r in arr(x, "ratings") {
            if let Some(w) = s(r, "severity").and_then(severity_word)
                && w != Severity::Info
            {
                severity = Some(severity.map_or(w, |s: Severity| s.max(w)));
            }
            if let Some(sc) = r.get("score").and_then(Value::as_f64) {
                score = Some(score.map_or(sc, |m: f64| m.max(sc)));
            }
            if let (Some(vec), Some(method)) = (s(r, "vector"), s(r, "method")) {
                let full = match method {
                    "CVSSv31" if !vec.starts_with("CVSS:") => format!("CVSS:3.1/{vec}"),
                    "CVSSv3" if !vec.starts_with("CVSS:") => format!("CVSS:3.0/{vec}"),
                    "CVSSv4" if !vec.starts_with("CVSS:") => format!("CVSS:4.0/{vec}"),
                    _ => vec
                        .trim_start_matches('(')
                        .trim_end_matches(')')
                        .to_string(),
                };
                // Environmental ratings that zero the score are VEX context, not severity.
                if r.get("score").and_then(Value::as_f64) != Some(0.0) {
                    vectors.push(full);
                }
            }
        }
        let aliases = arr(x, "references")
            .filter_map(|r| s(r, "id"))
            .map(str::to_string)
            .collect::<Vec<_>>();
        let fixed: Vec<String> = arr(x, "affects")
            .flat_map(|a| arr(a, "versions"))
            .filter(|v| s(v, "status") == Some("unaffected"))
            .filter_map(|v| s(v, "version"))
            .map(str::to_string)
            .collect();
        let summary = s(x, "description")
            .or(s(x, "detail"))
            .map(|d| d.chars().take(300).collect());
        let mut any = false;
        for a in arr(x, "affects") {
            let Some(r) = s(a, "ref") else { continue };
            let local = if r.starts_with("urn:cdx:") {
                r.split_once('#').map_or(r, |(_, f)| f)
            } else {
                r
            };
            let comp = by_ref
                .get(local)
                .cloned()
                .or_else(|| Component::from_purl(local, vec![]));
            let Some(comp) = comp else {
                out.skipped.push(format!(
                    "vulnerabilities[{i}] ({id}): affects ref {r:?} names no component of this BOM"
                ));
                continue;
            };
            any = true;
            out.findings.push(build(
                "cyclonedx",
                Raw {
                    id,
                    aliases: aliases.clone(),
                    summary: summary.clone(),
                    severity,
                    vectors: vectors.clone(),
                    score,
                    component: comp,
                    fixed: fixed.clone(),
                },
            ));
        }
        if !any && x.get("affects").is_none() {
            out.skipped
                .push(format!("vulnerabilities[{i}] ({id}): no affects"));
        }
    }
    // The document's own analysis (VEX) applies to its findings.
    let doc = crate::vex::parse(&serde_json::to_vec(v).unwrap_or_default(), "report");
    if let Ok(doc) = doc {
        let statements: Vec<_> = doc
            .statements
            .into_iter()
            .map(|mut st| {
                st.source = "cyclonedx report".into();
                st
            })
            .collect();
        crate::vex::apply_vex(&mut out.findings, &statements);
    }
}

/// A CycloneDX XML BOM (1.0–1.6, with `vulnerabilities` of 1.4+ or the
/// 1.x vulnerability extension `v:vulnerabilities`) as the CycloneDX JSON
/// shape [`cyclonedx`] reads: components, vulnerabilities (ratings,
/// references, affects, analysis).
pub fn cyclonedx_xml_to_json(text: &str) -> Result<Value, ReportError> {
    use crate::pom::El;
    use serde_json::json;
    let bad = |e: String| ReportError::Malformed(ReportFormat::CycloneDx, e);
    let root = crate::pom::parse_tree(text).map_err(bad)?;
    if root.name != "bom" {
        return Err(ReportError::Unsupported(format!(
            "XML document <{}> is not a CycloneDX BOM",
            root.name
        )));
    }
    fn t(e: &El, k: &str) -> Value {
        e.text_of(k)
            .map_or(Value::Null, |v| Value::String(v.to_string()))
    }
    fn list<'a>(e: &'a El, outer: &'a str, inner: &'a str) -> impl Iterator<Item = &'a El> + 'a {
        e.child(outer)
            .into_iter()
            .flat_map(move |o| o.children_named(inner))
    }
    fn vuln(x: &El, default_ref: Option<&str>) -> Value {
        let ratings: Vec<Value> = list(x, "ratings", "rating")
            .map(|r| {
                // 1.4+: <score>9.8</score>; extension 1.0: <score><base>9.8</base></score>.
                let score = r.child("score").and_then(|sc| {
                    let txt = sc.text_of("base").unwrap_or(sc.text.trim());
                    txt.parse::<f64>().ok()
                });
                json!({
                    "score": score,
                    "severity": r.text_of("severity").map(str::to_ascii_lowercase),
                    "method": t(r, "method"),
                    "vector": t(r, "vector"),
                })
            })
            .collect();
        let references: Vec<Value> = list(x, "references", "reference")
            .map(|r| json!({"id": t(r, "id")}))
            .collect();
        let mut affects: Vec<Value> = list(x, "affects", "target")
            .map(|a| {
                let versions: Vec<Value> = list(a, "versions", "version")
                    .map(|v| json!({"version": t(v, "version"), "status": t(v, "status")}))
                    .collect();
                json!({"ref": t(a, "ref"), "versions": versions})
            })
            .collect();
        if affects.is_empty()
            && let Some(r) = x.attr("ref").or(default_ref)
        {
            affects.push(json!({"ref": r}));
        }
        let mut v = json!({
            "bom-ref": x.attr("bom-ref"),
            "id": t(x, "id"),
            "description": t(x, "description"),
            "detail": t(x, "detail"),
            "ratings": ratings,
            "references": references,
            "affects": affects,
        });
        if let Some(an) = x.child("analysis") {
            let responses: Vec<Value> = list(an, "responses", "response")
                .map(|r| Value::String(r.text.trim().to_string()))
                .collect();
            v["analysis"] = json!({
                "state": t(an, "state"),
                "justification": t(an, "justification"),
                "response": responses,
                "detail": t(an, "detail"),
            });
        }
        v
    }
    fn component(c: &El, vulns: &mut Vec<Value>) -> Value {
        let r = c.attr("bom-ref").map(str::to_string);
        for x in list(c, "vulnerabilities", "vulnerability") {
            vulns.push(vuln(x, r.as_deref()));
        }
        let subs: Vec<Value> = list(c, "components", "component")
            .map(|s| component(s, vulns))
            .collect();
        json!({
            "bom-ref": r,
            "group": t(c, "group"),
            "name": t(c, "name"),
            "version": t(c, "version"),
            "purl": t(c, "purl"),
            "components": subs,
        })
    }
    let mut vulns = Vec::new();
    let components: Vec<Value> = list(&root, "components", "component")
        .map(|c| component(c, &mut vulns))
        .collect();
    let meta = root
        .child("metadata")
        .and_then(|m| m.child("component"))
        .map(|c| component(c, &mut vulns));
    for x in list(&root, "vulnerabilities", "vulnerability") {
        vulns.push(vuln(x, None));
    }
    let mut doc = json!({
        "bomFormat": "CycloneDX",
        "components": components,
        "vulnerabilities": vulns,
    });
    if let Some(md) = root.child("metadata") {
        doc["metadata"] = json!({ "component": meta, "timestamp": t(md, "timestamp") });
    }
    Ok(doc)
}

// ------------------------------------------------------------ osv-scanner

fn osv_scanner(v: &Value, out: &mut Ingested) {
    for res in arr(v, "results") {
        for p in arr(res, "packages") {
            let pkg = p.get("package").unwrap_or(&Value::Null);
            let (Some(name), Some(eco)) = (s(pkg, "name"), s(pkg, "ecosystem")) else {
                out.skipped.push("package without name or ecosystem".into());
                continue;
            };
            let version = s(pkg, "version").unwrap_or("");
            let eco = osv::canonical_ecosystem(eco).unwrap_or_else(|| eco.to_string());
            // Embedded records may omit `modified` (not needed here).
            let records: Vec<OsvRecord> = arr(p, "vulnerabilities")
                .filter_map(|r| {
                    let mut r = r.clone();
                    if r.get("modified").is_none()
                        && let Some(o) = r.as_object_mut()
                    {
                        o.insert("modified".into(), Value::from("1970-01-01T00:00:00Z"));
                    }
                    match OsvRecord::from_value(r) {
                        Ok(rec) => Some(rec),
                        Err(e) => {
                            out.skipped
                                .push(format!("{name}: embedded OSV record: {e}"));
                            None
                        }
                    }
                })
                .collect();
            let groups: Vec<Vec<String>> = match p.get("groups").and_then(Value::as_array) {
                Some(g) => g
                    .iter()
                    .map(|g| {
                        arr(g, "ids")
                            .chain(arr(g, "aliases"))
                            .filter_map(Value::as_str)
                            .map(str::to_string)
                            .collect()
                    })
                    .collect(),
                None => records.iter().map(|r| vec![r.id.clone()]).collect(),
            };
            for ids in groups {
                let Some(rec) = records.iter().find(|r| ids.contains(&r.id)) else {
                    out.skipped
                        .push(format!("{name}: group {ids:?} has no record"));
                    continue;
                };
                let (sev, cvss) = crate::scan::severity_of(rec);
                let base = eco.split(':').next().unwrap_or(&eco).to_string();
                let fixed: Vec<String> = rec
                    .affected
                    .iter()
                    .filter(|a| {
                        a.package.as_ref().is_some_and(|pk| {
                            normalize_name(&base, &pk.name) == normalize_name(&base, name)
                        })
                    })
                    .flat_map(OsvRecord::fixed_versions)
                    .collect();
                let mut aliases: Vec<String> = ids.clone();
                aliases.extend(rec.aliases.iter().cloned());
                let vectors: Vec<String> = cvss.iter().map(|c| c.vector.clone()).collect();
                let mut f = build(
                    "osv-scanner",
                    Raw {
                        id: &rec.id,
                        aliases,
                        summary: rec.summary.clone(),
                        severity: Some(sev),
                        vectors,
                        score: None,
                        component: Component::from_parts(&eco, name, version),
                        fixed,
                    },
                );
                f.vulnerability.severity = sev;
                out.findings.push(f);
            }
        }
    }
}

// ------------------------------------------------------- Dependency-Track

fn dependency_track(v: &Value, out: &mut Ingested) -> Result<(), ReportError> {
    let findings = match v.get("findings") {
        None | Some(Value::Null) => return Ok(()),
        Some(Value::Array(a)) => a,
        Some(_) => {
            return Err(ReportError::Malformed(
                ReportFormat::DependencyTrack,
                "findings is not an array".into(),
            ));
        }
    };
    for (i, f) in findings.iter().enumerate() {
        let c = f.get("component").unwrap_or(&Value::Null);
        let vuln = f.get("vulnerability").unwrap_or(&Value::Null);
        let (Some(id), Some(name)) = (s(vuln, "vulnId"), s(c, "name")) else {
            out.skipped.push(format!(
                "findings[{i}]: no vulnerability.vulnId or component.name"
            ));
            continue;
        };
        let mut aliases = Vec::new();
        for a in arr(vuln, "aliases") {
            if let Some(o) = a.as_object() {
                aliases.extend(o.values().filter_map(Value::as_str).map(str::to_string));
            }
        }
        let vectors: Vec<String> = ["cvssV4Vector", "cvssV3Vector", "cvssV2Vector"]
            .iter()
            .filter_map(|k| s(vuln, k))
            .map(|v| v.trim_start_matches('(').trim_end_matches(')').to_string())
            .collect();
        // Dependency-Track vulnIds of source NPM are advisory numbers.
        let id = match s(vuln, "source") {
            Some(src) if !looks_like_vuln_id(id) => format!("{src}-{id}"),
            _ => id.to_string(),
        };
        let mut finding = build(
            "dependency-track",
            Raw {
                id: &id,
                aliases,
                summary: s(vuln, "title")
                    .or(s(vuln, "description"))
                    .map(str::to_string),
                severity: s(vuln, "severity").and_then(severity_word),
                vectors,
                score: vuln.get("cvssV3BaseScore").and_then(Value::as_f64),
                component: component(s(c, "purl"), None, name, s(c, "version").unwrap_or("")),
                fixed: vec![],
            },
        );
        if f.pointer("/analysis/isSuppressed").and_then(Value::as_bool) == Some(true) {
            finding.suppression = Some(crate::scan::Suppression {
                kind: "report".into(),
                status: f
                    .pointer("/analysis/state")
                    .and_then(Value::as_str)
                    .unwrap_or("suppressed")
                    .to_ascii_lowercase(),
                justification: None,
                statement: None,
                source: "dependency-track".into(),
                expires: None,
            });
        }
        out.findings.push(finding);
    }
    Ok(())
}

// ------------------------------------------------------------------ merge

/// The component part of the deduplication key.
fn component_key(c: &ComponentInfo) -> (String, String, String) {
    let purl = c.purl.as_deref().and_then(|p| Purl::parse(p).ok());
    let eco = purl
        .as_ref()
        .and_then(Purl::osv_ecosystem)
        .unwrap_or_else(|| c.ecosystem.clone());
    let eco = osv::canonical_ecosystem(&eco).unwrap_or(eco);
    let base = eco.split(':').next().unwrap_or(&eco).to_string();
    let name = purl
        .as_ref()
        .map(osv_name)
        .unwrap_or_else(|| c.name.clone());
    let version = if c.version.is_empty() {
        purl.and_then(|p| p.version).unwrap_or_default()
    } else {
        c.version.clone()
    };
    let name = normalize_name(&base, &name);
    (base, name, version)
}

fn id_set(f: &Finding) -> BTreeSet<String> {
    f.ids().map(|i| i.to_ascii_uppercase()).collect()
}

/// Merges `incoming` into `findings`: a finding for the same component
/// whose alias set intersects an existing one's is folded into it (sources,
/// aliases and fixed versions united; CVSS, summary and smallest fix filled
/// where missing; the first finding's severity kept). Returns how many were
/// folded.
pub fn merge(findings: &mut Vec<Finding>, incoming: Vec<Finding>) -> usize {
    let mut index: HashMap<(String, String, String), Vec<usize>> = HashMap::new();
    for (i, f) in findings.iter().enumerate() {
        index
            .entry(component_key(&f.component))
            .or_default()
            .push(i);
    }
    let mut folded = 0;
    for f in incoming {
        let key = component_key(&f.component);
        let ids = id_set(&f);
        let hit = index.get(&key).and_then(|c| {
            c.iter()
                .copied()
                .find(|&i| !id_set(&findings[i]).is_disjoint(&ids))
        });
        match hit {
            Some(i) => {
                folded += 1;
                let e = &mut findings[i];
                for s in f.sources {
                    if !e.sources.contains(&s) {
                        e.sources.push(s);
                    }
                }
                for a in f
                    .vulnerability
                    .aliases
                    .into_iter()
                    .chain([f.vulnerability.id])
                {
                    if a != e.vulnerability.id && !e.vulnerability.aliases.contains(&a) {
                        e.vulnerability.aliases.push(a);
                    }
                }
                e.vulnerability.aliases.sort();
                for v in f.fixed_versions {
                    if !e.fixed_versions.contains(&v) {
                        e.fixed_versions.push(v);
                    }
                }
                if e.vulnerability.cvss.is_empty() {
                    e.vulnerability.cvss = f.vulnerability.cvss;
                }
                if e.vulnerability.summary.is_none() {
                    e.vulnerability.summary = f.vulnerability.summary;
                }
                if e.smallest_fix.is_none() {
                    e.smallest_fix = f.smallest_fix;
                }
                if e.suppression.is_none() {
                    e.suppression = f.suppression;
                }
                if e.vex_status.is_none() {
                    e.vex_status = f.vex_status;
                }
                e.reachability.merge(&f.reachability);
                e.vulnerability.kev |= f.vulnerability.kev;
            }
            None => {
                index.entry(key).or_default().push(findings.len());
                findings.push(f);
            }
        }
    }
    folded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components_are_listed_packages_and_finding_components_once() {
        let t = parse(br#"{"SchemaVersion":2,"Results":[{"Target":"app","Type":"npm",
            "Packages":[
              {"Name":"lodash","Version":"4.17.15","Identifier":{"PURL":"pkg:npm/lodash@4.17.15"},"Licenses":["MIT"]},
              {"Name":"ms","Version":"2.1.3","Identifier":{"PURL":"pkg:npm/ms@2.1.3"}},
              {"Version":"1.0.0"}],
            "Vulnerabilities":[
              {"VulnerabilityID":"CVE-2020-8203","PkgName":"lodash","InstalledVersion":"4.17.15","PkgIdentifier":{"PURL":"pkg:npm/lodash@4.17.15"},"Severity":"HIGH"},
              {"VulnerabilityID":"CVE-2021-23337","PkgName":"lodash","InstalledVersion":"4.17.15","PkgIdentifier":{"PURL":"pkg:npm/lodash@4.17.15"},"Severity":"HIGH"},
              {"VulnerabilityID":"CVE-2022-0001","PkgName":"left-pad","InstalledVersion":"1.3.0","Severity":"LOW"}]}]}"#).unwrap();
        let names: Vec<(&str, Option<&str>, Option<&str>)> = t
            .components
            .iter()
            .map(|c| {
                (
                    c.name.as_str(),
                    c.version.as_deref(),
                    c.ecosystem.as_deref(),
                )
            })
            .collect();
        // The nameless package is dropped; lodash once, with its licence.
        assert_eq!(
            names,
            [
                ("lodash", Some("4.17.15"), Some("npm")),
                ("ms", Some("2.1.3"), Some("npm")),
                ("left-pad", Some("1.3.0"), Some("npm")),
            ]
        );
        assert_eq!(t.components[0].licenses, ["MIT"]);
        // SARIF: a result on a package (purl) names it; one located only by
        // a file names no component.
        let sarif = parse(br#"{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"scanner"}},"results":[
            {"ruleId":"CVE-2020-8203","message":{"text":"lodash"},"locations":[{"logicalLocations":[{"name":"pkg:npm/lodash@4.17.15","kind":"package"}]}]},
            {"ruleId":"CVE-2021-0001","message":{"text":"in a file"},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"src/app.js"}}}]}]}]}"#).unwrap();
        assert_eq!(sarif.findings.len(), 2, "{:?}", sarif.skipped);
        let names: Vec<&str> = sarif.components.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["lodash"]);
    }

    #[test]
    fn merge_by_alias_and_component() {
        let t = parse(br#"{"SchemaVersion":2,"Results":[{"Target":"x","Type":"npm","Vulnerabilities":[
            {"VulnerabilityID":"CVE-2020-8203","PkgName":"lodash","InstalledVersion":"4.17.15","FixedVersion":"4.17.19","Severity":"HIGH"},
            {"VulnerabilityID":"CVE-2020-8203","PkgName":"lodash","InstalledVersion":"4.17.15","FixedVersion":"4.17.19","Severity":"HIGH"},
            {"VulnerabilityID":"CVE-2020-8203","PkgName":"lodash","InstalledVersion":"4.17.10","Severity":"HIGH"}]}]}"#).unwrap();
        assert_eq!(t.format, ReportFormat::Trivy);
        assert_eq!(t.findings.len(), 3);
        assert_eq!(t.findings[0].smallest_fix.as_deref(), Some("4.17.19"));
        assert_eq!(
            t.findings[0].component.purl.as_deref(),
            Some("pkg:npm/lodash@4.17.15")
        );
        let g = parse(br#"{"source":{},"matches":[{"vulnerability":{"id":"GHSA-p6mc-m468-83gw","severity":"High","fix":{"versions":["4.17.19"]}},
            "relatedVulnerabilities":[{"id":"CVE-2020-8203"}],
            "artifact":{"name":"lodash","version":"4.17.15","type":"npm","purl":"pkg:npm/lodash@4.17.15"}}]}"#).unwrap();
        let mut all = Vec::new();
        assert_eq!(merge(&mut all, t.findings), 1, "the exact duplicate folds");
        assert_eq!(all.len(), 2, "another version stays separate");
        assert_eq!(
            merge(&mut all, g.findings),
            1,
            "alias CVE-2020-8203 joins the GHSA"
        );
        assert_eq!(all[0].sources, ["trivy", "grype"]);
        assert!(
            all[0]
                .vulnerability
                .aliases
                .contains(&"GHSA-p6mc-m468-83gw".to_string())
        );
    }

    #[test]
    fn unknown_and_unsupported() {
        assert_eq!(parse(b"{\"a\":1}").unwrap_err(), ReportError::Unknown);
        // An empty CycloneDX XML BOM is a report without findings; other XML is not.
        assert!(parse(b"<bom/>").unwrap().findings.is_empty());
        assert!(matches!(
            parse(b"<html/>"),
            Err(ReportError::Unsupported(_))
        ));
        assert!(matches!(parse(b"{"), Err(ReportError::Json(_))));
        assert!(matches!(
            parse(br#"{"@context":"https://openvex.dev/ns/v0.2.0","statements":[]}"#),
            Err(ReportError::Unsupported(_))
        ));
    }
}
