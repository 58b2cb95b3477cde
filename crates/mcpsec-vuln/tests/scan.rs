//! End-to-end scan on real data: an SBOM against the OSV sample, with KEV.

mod common;

use mcpsec_core::domain::Severity;
use mcpsec_vuln::osv::OsvDatabase;
use mcpsec_vuln::scan::{Kev, scan};
use mcpsec_vuln::{inputs, sbom::Component};

#[test]
fn dropwizard_sbom_findings() {
    let (Some(osv), Some(bom)) = (
        common::vuln_data("osv"),
        common::vuln_data("sbom/cyclonedx-bom-examples/SBOM/dropwizard-1.3.15/bom.json"),
    ) else {
        return;
    };
    let db = OsvDatabase::load_paths(&[osv]).unwrap();
    let c = inputs::collect(&bom).unwrap();
    assert_eq!(c.components.len(), 167);
    let r = scan(&c.components, &db, None);
    assert!(!r.findings.is_empty());
    // GHSA-4w82-r329-3q67: jackson-databind [2.9.0, 2.9.10.3) — CVSS 3.1 9.8.
    let f = r
        .findings
        .iter()
        .find(|f| {
            f.vulnerability.id == "GHSA-4w82-r329-3q67"
                && f.component.name == "com.fasterxml.jackson.core:jackson-databind"
        })
        .expect("jackson-databind 2.9.10 is affected by GHSA-4w82-r329-3q67");
    assert_eq!(f.component.version, "2.9.10");
    assert_eq!(f.smallest_fix.as_deref(), Some("2.9.10.3"));
    assert_eq!(f.vulnerability.severity, Severity::Critical);
    assert!(f.vulnerability.cvss.iter().any(|c| c.score == Some(9.8)));
    // Findings are sorted by risk, highest first.
    assert!(
        r.findings
            .windows(2)
            .all(|w| w[0].risk_score >= w[1].risk_score)
    );
}

#[test]
fn kev_enrichment_raises_risk() {
    let (Some(osv), Some(kev)) = (
        common::vuln_data("osv"),
        common::vuln_data("kev/known_exploited_vulnerabilities.json"),
    ) else {
        return;
    };
    let kev = Kev::load(&kev).unwrap();
    assert_eq!(kev.cves.len(), 1404);
    let db = OsvDatabase::load_paths(&[osv]).unwrap();
    // Pick a record whose alias is in KEV and build an affected component from its first event.
    let (rec, a, v) = db
        .records
        .iter()
        .filter(|r| r.withdrawn.is_none() && kev.contains_any(r.aliases.iter().map(String::as_str)))
        .find_map(|r| {
            r.affected.iter().find_map(|a| {
                let p = a.package.as_ref()?;
                let v = a.versions.first()?.clone();
                Some((r, p.clone(), v))
            })
        })
        .expect("the sample has a KEV-listed record with a versions list");
    let comp = Component {
        name: a.name.clone(),
        version: Some(v),
        purl: None,
        ecosystem: Some(a.ecosystem.clone()),
        licenses: vec![],
        reachability: Default::default(),
    };
    let with = scan(std::slice::from_ref(&comp), &db, Some(&kev));
    let without = scan(std::slice::from_ref(&comp), &db, None);
    let fw = with
        .findings
        .iter()
        .find(|f| f.vulnerability.id == rec.id)
        .unwrap();
    let fo = without
        .findings
        .iter()
        .find(|f| f.vulnerability.id == rec.id)
        .unwrap();
    assert!(fw.vulnerability.kev && !fo.vulnerability.kev);
    assert!(fw.risk_score >= fo.risk_score && fw.risk_score <= 10.0);
}
