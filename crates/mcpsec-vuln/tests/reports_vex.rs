//! Scanner-report ingest and VEX on real data: every DefectDojo sample
//! report parses or is reported with a reason, with counts checked by hand;
//! every OpenVEX / CycloneDX VEX sample parses (CSAF and YAML are reported),
//! and statements apply as documented.

mod common;

use std::collections::BTreeMap;

use mcpsec_core::domain::Severity;
use mcpsec_vuln::reports::{self, ReportError, ReportFormat};
use mcpsec_vuln::scan::{ComponentInfo, Finding, VulnInfo};
use mcpsec_vuln::vex::{self, VexError};

fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// Findings after deduplication within the report.
fn ingest(rel: &str) -> Result<(ReportFormat, usize, usize, usize), ReportError> {
    let root = common::vuln_data("scanner-reports/defectdojo/unittests/scans").unwrap();
    let r = reports::parse(&std::fs::read(root.join(rel)).unwrap())?;
    let raw = r.findings.len();
    let mut merged = Vec::new();
    reports::merge(&mut merged, r.findings);
    Ok((r.format, raw, merged.len(), r.skipped.len()))
}

#[test]
fn every_defectdojo_report_parses_or_is_reported() {
    let Some(root) = common::vuln_data("scanner-reports/defectdojo/unittests/scans") else {
        return;
    };
    let mut files = Vec::new();
    walk(&root, &mut files);
    files.sort();
    let mut ok = 0;
    let mut reported: BTreeMap<String, String> = BTreeMap::new();
    for f in &files {
        let rel = f.strip_prefix(&root).unwrap().display().to_string();
        match reports::parse(&std::fs::read(f).unwrap()) {
            Ok(_) => ok += 1,
            Err(e) => {
                assert!(!e.to_string().is_empty());
                reported.insert(rel, e.to_string());
            }
        }
    }
    eprintln!("{ok} reports parsed; reported: {reported:#?}");
    assert_eq!(files.len(), 75);
    // Reported, each with its reason: 3 OpenVEX documents (statements, not
    // findings), 1 JSON that is no report (openvex_not_a_document), 1 empty
    // file (osv_scanner/no_findings). The 8 CycloneDX XML files parse.
    assert_eq!(reported.len(), 5, "{reported:#?}");
    assert_eq!(ok, 70);
    assert_eq!(reported.keys().filter(|k| k.ends_with(".xml")).count(), 0);
    assert!(reported["openvex/openvex_one_vuln.json"].contains("--vex"));
    assert!(reported["openvex/openvex_not_a_document.json"].contains("unknown report format"));
    assert!(reported["osv_scanner/no_findings.json"].contains("not valid JSON"));
}

#[test]
fn report_counts_checked_by_hand() {
    if common::vuln_data("scanner-reports").is_none() {
        return;
    }
    use ReportFormat::*;
    // (file, format, findings as written, after dedup, skipped entries):
    // counted with a script over the JSON and spot-read.
    let expect: &[(&str, ReportFormat, usize, usize, usize)] = &[
        // Kubernetes: 10 vulnerabilities over several resources, 5 distinct
        // (id, package, version).
        ("trivy/kubernetes.json", Trivy, 10, 5, 0),
        (
            "trivy/kubernetes_fabricated_internal_duplicates.json",
            Trivy,
            7,
            4,
            0,
        ),
        ("trivy/legacy_many_vulns.json", Trivy, 93, 93, 0),
        // 7 entries, one without VulnerabilityID (skipped).
        ("trivy/legacy_trivy_mix.json", Trivy, 6, 6, 1),
        ("trivy/scheme_2_many_vulns.json", Trivy, 5, 5, 0),
        ("trivy/issue_9333.json", Trivy, 13, 13, 0),
        ("trivy/legacy_no_vuln.json", Trivy, 0, 0, 0),
        // 6 matches; two share the package and alias set.
        ("anchore_grype/check_all_fields.json", Grype, 6, 5, 0),
        (
            "anchore_grype/same_cve_different_paths.json",
            Grype,
            2,
            1,
            0,
        ),
        ("anchore_grype/many_vulns3.json", Grype, 327, 327, 0),
        (
            "anchore_grype/anchore_grype_epss_problem.json",
            Grype,
            1,
            1,
            0,
        ),
        // 4 RetireJS results on handlebars, 5 NVD CVEs on each of two jquery files.
        ("sarif/dependency_check.sarif", Sarif, 13, 13, 0),
        ("sarif/appendix_k.sarif", Sarif, 1, 1, 0),
        ("cyclonedx/log4j.json", CycloneDx, 8, 8, 0),
        // 10 vulnerabilities affecting 14 components.
        ("cyclonedx/issue_9277.json", CycloneDx, 14, 14, 0),
        (
            "dependency_track/dependency_track_3.8.0_2021-01-18.json",
            DependencyTrack,
            9,
            9,
            0,
        ),
        (
            "dependency_track/one_finding.json",
            DependencyTrack,
            1,
            1,
            0,
        ),
        (
            "dependency_track/no_findings_because_findings_key_is_null.json",
            DependencyTrack,
            0,
            0,
            0,
        ),
        ("osv_scanner/some_findings.json", OsvScanner, 1, 1, 0),
    ];
    for (rel, fmt, raw, merged, skipped) in expect {
        let got = ingest(rel).unwrap_or_else(|e| panic!("{rel}: {e}"));
        assert_eq!(got, (*fmt, *raw, *merged, *skipped), "{rel}");
    }
}

#[test]
fn report_fields_read_by_hand() {
    let Some(root) = common::vuln_data("scanner-reports/defectdojo/unittests/scans") else {
        return;
    };
    let read = |rel: &str| reports::parse(&std::fs::read(root.join(rel)).unwrap()).unwrap();
    // Trivy schema 2: freetype 2.9.1-r2 on Alpine, CVE-2020-15999, fixed 2.9.1-r3, MEDIUM.
    let t = read("trivy/scheme_2_many_vulns.json");
    let f = t
        .findings
        .iter()
        .find(|f| f.vulnerability.id == "CVE-2020-15999")
        .unwrap();
    assert_eq!(f.component.name, "freetype");
    assert_eq!(f.component.version, "2.9.1-r2");
    assert_eq!(f.component.ecosystem, "Alpine");
    assert_eq!(f.fixed_versions, ["2.9.1-r3"]);
    assert_eq!(f.smallest_fix.as_deref(), Some("2.9.1-r3"));
    assert_eq!(f.vulnerability.severity, Severity::Medium);
    assert!(f.vulnerability.cvss.iter().any(|c| c.score == Some(6.5)));
    // Grype: libgssapi-krb5-2 with CVE-2004-0971 (Negligible → low), not fixed.
    let g = read("anchore_grype/check_all_fields.json");
    let f = &g.findings[0];
    assert_eq!(f.vulnerability.id, "CVE-2004-0971");
    assert_eq!(f.component.name, "libgssapi-krb5-2");
    assert_eq!(f.vulnerability.severity, Severity::Low);
    assert!(f.fixed_versions.is_empty());
    // SARIF: jquery CVE-2015-9251, NVD CVSS v3 6.1 → medium, file as component.
    let s = read("sarif/dependency_check.sarif");
    let f = s
        .findings
        .iter()
        .find(|f| f.vulnerability.id == "CVE-2015-9251")
        .unwrap();
    assert_eq!(f.vulnerability.severity, Severity::Medium);
    assert_eq!(f.component.name, "jquery-1.8.0.min.js");
    assert_eq!(f.sources, ["sarif:dependency-check"]);
    // SARIF suppressions are kept.
    let k = read("sarif/appendix_k.sarif");
    assert!(k.findings[0].suppression.is_some());
}

fn finding(id: &str, aliases: &[&str], purl: &str) -> Finding {
    let c = mcpsec_vuln::sbom::Component::from_purl(purl, vec![]).unwrap();
    Finding {
        vulnerability: VulnInfo {
            id: id.into(),
            aliases: aliases.iter().map(|a| a.to_string()).collect(),
            summary: None,
            severity: Severity::High,
            cvss: vec![],
            kev: false,
            epss: None,
        },
        component: ComponentInfo {
            name: c.name,
            version: c.version.unwrap_or_default(),
            purl: c.purl,
            ecosystem: c.ecosystem.unwrap_or_default(),
        },
        fixed_versions: vec![],
        smallest_fix: None,
        risk_score: 7.5,
        sources: vec!["mcpsec".into()],
        vex_status: None,
        suppression: None,
        reachability: Default::default(),
    }
}

#[test]
fn every_vex_sample_parses_or_is_reported() {
    let Some(root) = common::vuln_data("vex") else {
        return;
    };
    let mut files = Vec::new();
    walk(&root, &mut files);
    files.retain(|f| f.extension().is_some_and(|e| e == "json" || e == "yaml"));
    files.sort();
    let mut statements = 0;
    let mut unknown = Vec::new();
    for f in &files {
        match vex::load(f) {
            Ok(d) => statements += d.statements.len(),
            Err(VexError::Unknown(p)) | Err(VexError::Json(p, _)) => unknown.push(p),
            Err(e) => panic!("{e}"),
        }
    }
    // vex.yaml is reported.
    assert_eq!(unknown.len(), 1, "{unknown:?}");
    assert_eq!(files.len(), 50);
    // OpenVEX: 12 statements. CycloneDX: 112 analysed vulnerabilities, of
    // which 20 only target products with version constraints (not evaluated)
    // and 1 (Use-Cases/Case-7) has no `affects`: 91 statements. Counted with
    // a script over the files.
    // CSAF: pkg/csaf/testdata/csaf.json has 2 known_not_affected entries
    // for CSAFPID-0001 (a product whose purl `pkg:maven/@1.3.4` is invalid:
    // product target) and 2 known_affected for ABC:CSAFPID-0002, which is
    // not in its product tree (skipped); pkg/vex/testdata/csaf.json has 1
    // (go-homedir purl).
    assert_eq!(statements, 12 + 91 + 3);
}

#[test]
fn cyclonedx_vex_statements_apply() {
    let Some(root) = common::vuln_data("vex/cyclonedx-bom-examples-VEX") else {
        return;
    };
    // vex.json: CVE-2020-25649 not_affected (code_not_reachable) for the
    // jackson-databind 2.10.0 purl named by a BOM-Link.
    let doc = vex::load(&root.join("vex.json")).unwrap();
    assert_eq!(doc.statements.len(), 1);
    let mut fs = vec![
        finding(
            "GHSA-288c-cq4h-88gq",
            &["CVE-2020-25649"],
            "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.10.0?type=jar",
        ),
        finding(
            "GHSA-288c-cq4h-88gq",
            &["CVE-2020-25649"],
            "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.10.1",
        ),
        finding(
            "GHSA-x",
            &["CVE-2099-1"],
            "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.10.0",
        ),
    ];
    assert_eq!(vex::apply_vex(&mut fs, &doc.statements), 1);
    let s = fs[0].suppression.as_ref().unwrap();
    assert_eq!(
        (s.status.as_str(), s.justification.as_deref()),
        ("not_affected", Some("code_not_reachable"))
    );
    assert!(fs[1].suppression.is_none(), "another version");
    assert!(fs[2].suppression.is_none(), "another vulnerability");

    // CISA case 1: product-level statements (the product being scanned).
    let case = |f: &str| vex::load(&root.join("CISA-Use-Cases/Case-1").join(f)).unwrap();
    let log4j = || {
        vec![finding(
            "GHSA-jfh8-c2jp-5v3q",
            &["CVE-2021-44228"],
            "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
        )]
    };
    for (file, status, suppressed) in [
        ("vex-not_affected.json", "not_affected", true),
        ("vex-fixed.json", "fixed", true),
        ("vex-affected.json", "affected", false),
        ("vex-under_investigation.json", "under_investigation", false),
    ] {
        let mut fs = log4j();
        vex::apply_vex(&mut fs, &case(file).statements);
        assert_eq!(fs[0].vex_status.as_deref(), Some(status), "{file}");
        assert_eq!(fs[0].suppression.is_some(), suppressed, "{file}");
    }
    // Use case 5: product version ranges are not evaluated → both skipped.
    let d = vex::load(&root.join("Use-Cases/Case-5/vex.json")).unwrap();
    assert!(d.statements.is_empty());
    assert_eq!(d.skipped.len(), 2);
}

#[test]
fn openvex_statements_apply() {
    let Some(root) = common::vuln_data("vex/openvex-go-vex/pkg/vex/testdata") else {
        return;
    };
    // v0.2.0.json: alpine image with libssl3/libcrypto3 3.0.8-r3 subcomponents;
    // CVE-2023-3446 not_affected (vulnerable_code_not_present), CVE-2023-1255 fixed.
    let doc = vex::load(&root.join("v0.2.0.json")).unwrap();
    assert_eq!(doc.statements.len(), 5);
    let mut fs = vec![
        finding(
            "CVE-2023-3446",
            &[],
            "pkg:apk/alpine/libssl3@3.0.8-r3?arch=x86_64",
        ),
        finding("CVE-2023-1255", &[], "pkg:apk/alpine/libcrypto3@3.0.8-r3"),
        finding("CVE-2023-3446", &[], "pkg:apk/alpine/libssl3@3.0.9-r0"),
    ];
    assert_eq!(vex::apply_vex(&mut fs, &doc.statements), 2);
    let s = fs[0].suppression.as_ref().unwrap();
    assert_eq!(
        s.justification.as_deref(),
        Some("vulnerable_code_not_present")
    );
    assert_eq!(
        s.statement.as_deref(),
        Some("affected functions were removed before packaging")
    );
    assert_eq!(fs[1].suppression.as_ref().unwrap().status, "fixed");
    assert!(
        fs[2].suppression.is_none(),
        "version differs from the subcomponent"
    );

    // v0.0.1 (string vulnerability and products): under_investigation.
    let doc = vex::load(&root.join("v001-1.vex.json")).unwrap();
    let mut fs = vec![finding("CVE-1234-5678", &[], "pkg:apk/wolfi/bash@1.0.0")];
    vex::apply_vex(&mut fs, &doc.statements);
    assert_eq!(fs[0].vex_status.as_deref(), Some("under_investigation"));
    assert!(fs[0].suppression.is_none());
}

/// (id, component, version, severity, fixed) of a report's findings, sorted.
fn keys(rel: &str) -> Vec<String> {
    let root = common::vuln_data("scanner-reports/defectdojo/unittests/scans").unwrap();
    let r = reports::parse(&std::fs::read(root.join(rel)).unwrap()).unwrap();
    let mut v: Vec<String> = r
        .findings
        .iter()
        .map(|f| {
            format!(
                "{} {} {} {:?} {:?} {:?} {:?}",
                f.vulnerability.id,
                f.component.name,
                f.component.version,
                f.vulnerability.severity,
                f.vulnerability.aliases,
                f.fixed_versions,
                f.vex_status
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn cyclonedx_xml_reports_match_their_json_twins() {
    if common::vuln_data("scanner-reports/defectdojo/unittests/scans/cyclonedx").is_none() {
        return;
    }
    for (xml, json, n) in [
        ("cyclonedx/log4j.xml", "cyclonedx/log4j.json", 8),
        (
            "cyclonedx/valid-vulnerability-1.4.xml",
            "cyclonedx/valid-vulnerability-1.4.json",
            1,
        ),
    ] {
        let (x, j) = (keys(xml), keys(json));
        assert_eq!(x.len(), n, "{xml}: {x:#?}");
        assert_eq!(x, j, "{xml} vs {json}");
    }
    // The 1.x vulnerability extension (<v:vulnerability ref=…>, score/base).
    let root = common::vuln_data("scanner-reports/defectdojo/unittests/scans").unwrap();
    let r = reports::parse(&std::fs::read(root.join("cyclonedx/spec1.xml")).unwrap()).unwrap();
    assert_eq!(r.findings.len(), 1);
    let f = &r.findings[0];
    assert_eq!(f.vulnerability.id, "CVE-2018-7489");
    assert_eq!(
        f.component.name,
        "com.fasterxml.jackson.core:jackson-databind"
    );
    assert_eq!(f.component.version, "2.9.9");
    assert_eq!(f.vulnerability.severity, Severity::Critical);
    assert!(f.vulnerability.cvss.iter().any(|c| c.score == Some(9.8)));
    // SBOM-only XML: no findings, no error.
    assert!(keys("cyclonedx/jake.xml").is_empty());
    // Not CycloneDX / broken XML: clear errors.
    let e = reports::parse(b"<html></html>").unwrap_err().to_string();
    assert!(e.contains("not a CycloneDX BOM"), "{e}");
    let e = reports::parse(b"<bom>\n<components>\n</bom>")
        .unwrap_err()
        .to_string();
    assert!(e.contains("line 3"), "{e}");
}

#[test]
fn csaf_vex_statements_apply() {
    let csaf = br#"{
      "document": {"category": "csaf_vex", "csaf_version": "2.0", "title": "t",
        "tracking": {"current_release_date": "2024-05-01T00:00:00Z"}},
      "product_tree": {
        "branches": [{"category": "vendor", "name": "npm", "branches": [
          {"category": "product_version", "name": "lodash 4.17.20",
           "product": {"name": "lodash 4.17.20", "product_id": "LODASH",
             "product_identification_helper": {"purl": "pkg:npm/lodash@4.17.20"}}},
          {"category": "product_version", "name": "minimist",
           "product": {"name": "minimist", "product_id": "MINIMIST",
             "product_identification_helper": {"purl": "pkg:npm/minimist"}}}
        ]}],
        "full_product_names": [{"name": "My App 2.0", "product_id": "APP"}],
        "relationships": [{"category": "default_component_of",
          "product_reference": "MINIMIST", "relates_to_product_reference": "APP",
          "full_product_name": {"name": "minimist in My App", "product_id": "APP:MINIMIST"}}],
        "product_groups": [{"group_id": "G1", "product_ids": ["LODASH"]}]
      },
      "vulnerabilities": [
        {"cve": "CVE-2021-23337",
         "product_status": {"known_not_affected": ["LODASH"]},
         "flags": [{"label": "vulnerable_code_not_in_execute_path", "group_ids": ["G1"]}],
         "threats": [{"category": "impact", "details": "template() is never called", "product_ids": ["LODASH"]}]},
        {"ids": [{"system_name": "GitHub", "text": "GHSA-xvch-5gv4-984h"}],
         "product_status": {"known_affected": ["APP:MINIMIST"], "known_not_affected": ["NOPE"]},
         "remediations": [{"category": "vendor_fix", "details": "upgrade to 1.2.6", "product_ids": ["APP:MINIMIST"]}]}
      ]
    }"#;
    let doc = vex::parse(csaf, "test.csaf.json").unwrap();
    assert_eq!(doc.statements.len(), 2);
    assert_eq!(doc.skipped.len(), 1, "{:?}", doc.skipped);
    assert!(doc.skipped[0].contains("NOPE"));
    let mut fs = vec![
        finding(
            "GHSA-35jh-r3h4-6jhm",
            &["CVE-2021-23337"],
            "pkg:npm/lodash@4.17.20",
        ),
        finding(
            "GHSA-35jh-r3h4-6jhm",
            &["CVE-2021-23337"],
            "pkg:npm/lodash@4.17.21",
        ),
        finding(
            "GHSA-xvch-5gv4-984h",
            &["CVE-2021-44906"],
            "pkg:npm/minimist@1.2.5",
        ),
    ];
    vex::apply_vex(&mut fs, &doc.statements);
    let s = fs[0]
        .suppression
        .as_ref()
        .expect("lodash 4.17.20 is not affected");
    assert_eq!(s.status, "not_affected");
    assert_eq!(
        s.justification.as_deref(),
        Some("vulnerable_code_not_in_execute_path")
    );
    // Another version is not covered by the statement.
    assert!(fs[1].suppression.is_none());
    // minimist through the relationship: affected, recorded, not suppressed.
    assert!(fs[2].suppression.is_none());
    assert_eq!(fs[2].vex_status.as_deref(), Some("affected"));
    // A CSAF document given to ingest says to use --vex.
    let e = reports::parse(csaf).unwrap_err().to_string();
    assert!(e.contains("--vex"), "{e}");
}

#[test]
fn cyclonedx_xml_vex_applies() {
    let xml = br#"<?xml version="1.0"?>
<bom xmlns="http://cyclonedx.org/schema/bom/1.5" version="1">
  <metadata><timestamp>2024-01-01T00:00:00Z</timestamp></metadata>
  <components>
    <component type="library" bom-ref="jd"><name>jackson-databind</name><version>2.10.0</version>
      <purl>pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.10.0</purl></component>
  </components>
  <vulnerabilities>
    <vulnerability>
      <id>CVE-2020-25649</id>
      <analysis><state>not_affected</state><justification>code_not_reachable</justification>
        <responses><response>will_not_fix</response></responses><detail>not used</detail></analysis>
      <affects><target><ref>jd</ref></target></affects>
    </vulnerability>
  </vulnerabilities>
</bom>"#;
    let doc = vex::parse(xml, "vex.cdx.xml").unwrap();
    assert_eq!(doc.statements.len(), 1);
    let mut fs = vec![finding(
        "GHSA-288c-cq4h-88gq",
        &["CVE-2020-25649"],
        "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.10.0",
    )];
    vex::apply_vex(&mut fs, &doc.statements);
    let s = fs[0]
        .suppression
        .as_ref()
        .expect("suppressed by the XML VEX");
    assert_eq!(s.status, "not_affected");
    assert_eq!(s.justification.as_deref(), Some("code_not_reachable"));
    let e = vex::parse(b"<bom><vulnerabilities>", "bad.xml")
        .unwrap_err()
        .to_string();
    assert!(e.contains("bad.xml"), "{e}");
}

/// A report's components: every package it lists and every finding's
/// component, once each (counts checked by hand with `jq` on the samples).
#[test]
fn report_components_from_real_samples() {
    let Some(root) = common::vuln_data("scanner-reports/defectdojo/unittests/scans") else {
        return;
    };
    let comps = |rel: &str| reports::parse(&std::fs::read(root.join(rel)).unwrap()).unwrap();
    // Trivy with `Packages` (one jar) and three vulnerabilities in it.
    let t = comps("trivy/cvssv4_severity_source.json");
    assert_eq!(t.findings.len(), 3);
    assert_eq!(t.components.len(), 1, "{:#?}", t.components);
    assert_eq!(
        t.components[0].purl.as_deref(),
        Some("pkg:maven/org.apache.tomcat/tomcat-catalina@9.0.109")
    );
    assert_eq!(t.components[0].version.as_deref(), Some("9.0.109"));
    assert_eq!(t.components[0].ecosystem.as_deref(), Some("Maven"));
    // Trivy without `Packages`: the 4 distinct vulnerable packages of 5 findings.
    let t = comps("trivy/scheme_2_many_vulns.json");
    assert_eq!((t.findings.len(), t.components.len()), (5, 4));
    assert!(t.components.iter().any(|c| {
        c.name == "krb5-libs"
            && c.version.as_deref() == Some("1.15.5-r0")
            && c.ecosystem
                .as_deref()
                .is_some_and(|e| e.starts_with("Alpine"))
    }));
    // Grype: 327 matches on 62 distinct artifacts; 6 matches on 5.
    let g = comps("anchore_grype/many_vulns3.json");
    assert_eq!((g.findings.len(), g.components.len()), (327, 62));
    assert!(g.components.iter().any(|c| c.name == "bash"
        && c.version.as_deref() == Some("5.0-4")
        && c.purl.as_deref() == Some("pkg:deb/debian/bash@5.0-4?arch=amd64")));
    let g = comps("anchore_grype/check_all_fields.json");
    assert_eq!((g.findings.len(), g.components.len()), (6, 5));
}
