//! Report formats beyond table/JSON/SARIF/markdown: JUnit XML (for CI test
//! dashboards) and CycloneDX 1.6 with vulnerabilities. OpenVEX output is in
//! [`crate::vex::to_openvex`].

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::sbom::Component;
use crate::scan::Finding;

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 does not allow.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn fix_text(f: &Finding) -> String {
    match (&f.smallest_fix, f.fixed_versions.is_empty()) {
        (Some(v), _) => v.clone(),
        (None, false) => f.fixed_versions.join(", "),
        (None, true) => "none".into(),
    }
}

/// JUnit XML: one test case per finding (classname = the package, name =
/// the vulnerability id); active findings fail, suppressed ones are skipped
/// with their justification. A scan without findings is one passing case.
pub fn junit(findings: &[Finding], components_scanned: usize) -> String {
    let failures = findings.iter().filter(|f| f.suppression.is_none()).count();
    let skipped = findings.len() - failures;
    let tests = findings.len().max(1);
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuites name=\"mcpsec\" tests=\"{tests}\" failures=\"{failures}\" skipped=\"{skipped}\">\n"
    ));
    out.push_str(&format!(
        "  <testsuite name=\"mcpsec vulnerability scan\" tests=\"{tests}\" failures=\"{failures}\" \
         skipped=\"{skipped}\" errors=\"0\">\n    <properties><property name=\"components_scanned\" \
         value=\"{components_scanned}\"/></properties>\n"
    ));
    if findings.is_empty() {
        out.push_str("    <testcase classname=\"mcpsec\" name=\"no known vulnerabilities\"/>\n");
    }
    for f in findings {
        let class = format!(
            "{}@{} ({})",
            f.component.name, f.component.version, f.component.ecosystem
        );
        out.push_str(&format!(
            "    <testcase classname=\"{}\" name=\"{}\">\n",
            xml_escape(&class),
            xml_escape(&f.vulnerability.id)
        ));
        match &f.suppression {
            Some(s) => out.push_str(&format!(
                "      <skipped message=\"{}\"/>\n",
                xml_escape(&format!(
                    "suppressed ({} {}): {}",
                    s.kind,
                    s.status,
                    s.justification
                        .clone()
                        .or(s.statement.clone())
                        .unwrap_or_default()
                ))
            )),
            None => {
                let msg = format!(
                    "{} {} risk {:.1}: {} {} is affected by {}; fix: {}",
                    f.vulnerability.severity,
                    if f.vulnerability.kev { "KEV" } else { "" },
                    f.risk_score,
                    f.component.name,
                    f.component.version,
                    f.vulnerability.id,
                    fix_text(f)
                );
                let body = format!(
                    "{}\naliases: {}\npurl: {}\nsources: {}",
                    f.vulnerability.summary.clone().unwrap_or_default(),
                    f.vulnerability.aliases.join(", "),
                    f.component.purl.clone().unwrap_or_default(),
                    f.sources.join(", ")
                );
                out.push_str(&format!(
                    "      <failure type=\"{}\" message=\"{}\">{}</failure>\n",
                    f.vulnerability.severity,
                    xml_escape(&msg),
                    xml_escape(&body)
                ));
            }
        }
        out.push_str("    </testcase>\n");
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

fn bom_ref(name: &str, version: &str, purl: Option<&str>) -> String {
    purl.map(str::to_string)
        .unwrap_or_else(|| format!("{name}@{version}"))
}

/// CycloneDX 1.6 JSON: the components (scanned ones, and any a finding
/// names) and one vulnerability per vulnerability id (and analysis),
/// `affects` listing its components, with ratings, description, recommendation and — for
/// VEX-annotated or suppressed findings — `analysis`.
pub fn cyclonedx(findings: &[Finding], components: &[Component]) -> Value {
    let mut comps: BTreeMap<String, Value> = BTreeMap::new();
    for c in components {
        let version = c.version.clone().unwrap_or_default();
        let r = bom_ref(&c.name, &version, c.purl.as_deref());
        let mut o = json!({"type": "library", "bom-ref": r, "name": c.name});
        if !version.is_empty() {
            o["version"] = json!(version);
        }
        if let Some(p) = &c.purl {
            o["purl"] = json!(p);
        }
        comps.entry(r).or_insert(o);
    }
    for f in findings {
        let c = &f.component;
        let r = bom_ref(&c.name, &c.version, c.purl.as_deref());
        comps.entry(r.clone()).or_insert_with(|| {
            let mut o =
                json!({"type": "library", "bom-ref": r, "name": c.name, "version": c.version});
            if let Some(p) = &c.purl {
                o["purl"] = json!(p);
            }
            o
        });
    }
    // One vulnerability entry per (id, analysis), affecting its components.
    let mut vulns: BTreeMap<(String, String), Value> = BTreeMap::new();
    for f in findings {
        let c = &f.component;
        let r = bom_ref(&c.name, &c.version, c.purl.as_deref());
        let analysis = match (&f.suppression, f.vex_status.as_deref()) {
            (Some(s), _) if s.kind == "vex" => {
                let mut a =
                    json!({"state": if s.status == "fixed" { "resolved" } else { "not_affected" }});
                if let Some(j) = &s.justification {
                    a["justification"] = json!(cdx_justification(j));
                }
                if let Some(d) = &s.statement {
                    a["detail"] = json!(d);
                }
                Some(a)
            }
            (Some(s), _) => Some(json!({
                "state": "exploitable",
                "response": ["will_not_fix"],
                "detail": format!("risk accepted ({}): {}", s.source, s.statement.clone().unwrap_or_default()),
            })),
            (None, Some("under_investigation")) => Some(json!({"state": "in_triage"})),
            (None, Some("affected")) => Some(json!({"state": "exploitable"})),
            _ => None,
        };
        let key = (
            f.vulnerability.id.clone(),
            analysis.as_ref().map(|a| a.to_string()).unwrap_or_default(),
        );
        let entry = vulns.entry(key).or_insert_with(|| {
            let ratings: Vec<Value> = f
                .vulnerability
                .cvss
                .iter()
                .map(|cv| {
                    let method = match cv.version.as_str() {
                        "2.0" => "CVSSv2",
                        "3.0" => "CVSSv3",
                        "3.1" => "CVSSv31",
                        "4.0" => "CVSSv4",
                        _ => "other",
                    };
                    let mut r = json!({"method": method, "vector": cv.vector});
                    if let Some(s) = cv.score {
                        r["score"] = json!(s);
                    }
                    r
                })
                .chain(std::iter::once(
                    json!({"severity": f.vulnerability.severity.as_str(), "method": "other", "source": {"name": "mcpsec"}}),
                ))
                .collect();
            let mut v = json!({
                "id": f.vulnerability.id,
                "ratings": ratings,
                "affects": [],
                "properties": [
                    {"name": "mcpsec:risk_score", "value": format!("{:.1}", f.risk_score)},
                    {"name": "mcpsec:kev", "value": f.vulnerability.kev.to_string()},
                ],
            });
            if !f.vulnerability.aliases.is_empty() {
                v["references"] = json!(f
                    .vulnerability
                    .aliases
                    .iter()
                    .map(|a| json!({"id": a, "source": {"name": source_of(a)}}))
                    .collect::<Vec<_>>());
            }
            if let Some(s) = &f.vulnerability.summary {
                v["description"] = json!(s);
            }
            if let Some(e) = f.vulnerability.epss {
                v["properties"]
                    .as_array_mut()
                    .expect("array")
                    .push(json!({"name": "mcpsec:epss", "value": format!("{}", e.score)}));
            }
            match &f.smallest_fix {
                Some(fix) => v["recommendation"] = json!(format!("Upgrade to {fix} or later")),
                None if !f.fixed_versions.is_empty() => {
                    v["recommendation"] = json!(format!("Fixed in {}", f.fixed_versions.join(", ")))
                }
                None => {}
            }
            if let Some(a) = &analysis {
                v["analysis"] = a.clone();
            }
            v
        });
        let affects = entry["affects"].as_array_mut().expect("array");
        if !affects.iter().any(|a| a["ref"] == json!(r)) {
            affects.push(json!({"ref": r}));
        }
    }
    // Unique bom-refs for vulnerabilities that appear with several analyses.
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let vulnerabilities: Vec<Value> = vulns
        .into_values()
        .map(|mut v| {
            let id = v["id"].as_str().unwrap_or_default().to_string();
            let n = seen.entry(id.clone()).or_insert(0);
            *n += 1;
            v["bom-ref"] = json!(if *n == 1 {
                format!("vuln:{id}")
            } else {
                format!("vuln:{id}:{n}")
            });
            v
        })
        .collect();
    json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "version": 1,
        "metadata": {
            "timestamp": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "tools": { "components": [ { "type": "application", "name": "mcpsec", "version": env!("CARGO_PKG_VERSION") } ] },
        },
        "components": comps.into_values().collect::<Vec<_>>(),
        "vulnerabilities": vulnerabilities,
    })
}

fn source_of(id: &str) -> &'static str {
    let u = id.to_ascii_uppercase();
    if u.starts_with("CVE-") {
        "NVD"
    } else if u.starts_with("GHSA-") {
        "GitHub"
    } else {
        "OSV"
    }
}

/// OpenVEX justifications → CycloneDX ones.
fn cdx_justification(j: &str) -> &str {
    match j {
        "component_not_present" | "vulnerable_code_not_present" => "code_not_present",
        "vulnerable_code_not_in_execute_path" => "code_not_reachable",
        "vulnerable_code_cannot_be_controlled_by_adversary" => "requires_environment",
        "inline_mitigations_already_exist" => "protected_by_mitigating_control",
        other => other,
    }
}
