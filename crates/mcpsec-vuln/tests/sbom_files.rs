//! Every SBOM example in shared/data: it parses, or gives a clear error;
//! component counts verified by hand for several.

mod common;

use std::path::{Path, PathBuf};

use mcpsec_vuln::sbom::{self, SbomError, SbomFormat};

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[test]
fn every_sbom_file() {
    let Some(dir) = common::vuln_data("sbom") else {
        return;
    };
    let mut files = Vec::new();
    walk(&dir, &mut files);
    files.sort();
    let (mut parsed, mut not_sbom, mut errors) = (0, 0, Vec::new());
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        let rel = f.strip_prefix(&dir).unwrap().display().to_string();
        match sbom::parse(&bytes) {
            Ok((fmt, comps)) => {
                parsed += 1;
                eprintln!("{rel}: {fmt:?} {} components", comps.len());
            }
            Err(SbomError::Unknown) => not_sbom += 1,
            Err(e) => errors.push(format!("{rel}: {e}")),
        }
    }
    eprintln!(
        "SBOM files: {} parsed, {} not SBOMs (README, LICENSE, lockfiles…), {} errors",
        parsed,
        not_sbom,
        errors.len()
    );
    for e in &errors {
        eprintln!("  ERROR {e}");
    }
    assert!(errors.is_empty());
    assert!(parsed >= 70, "{parsed}");
}

fn count(rel: &str) -> Option<(SbomFormat, usize)> {
    let p = common::vuln_data(&format!("sbom/{rel}"))?;
    let (f, c) = sbom::parse(&std::fs::read(p).unwrap()).unwrap();
    Some((f, c.len()))
}

/// Counts checked by hand (python over the same files: nested CycloneDX
/// components counted recursively, metadata.component excluded; SPDX 2
/// `packages` / `PackageName:` lines; SPDX 3 `software_Package` elements).
#[test]
fn hand_verified_counts() {
    let cases = [
        (
            "cyclonedx-bom-examples/SBOM/dropwizard-1.3.15/bom.json",
            SbomFormat::CycloneDxJson,
            167,
        ),
        (
            "cyclonedx-bom-examples/SBOM/dropwizard-1.3.15/bom.xml",
            SbomFormat::CycloneDxXml,
            167,
        ),
        (
            "cyclonedx-bom-examples/SBOM/juice-shop/v11.1.2/bom.json",
            SbomFormat::CycloneDxJson,
            840,
        ),
        (
            "cyclonedx-bom-examples/SBOM/proton-bridge/proton-bridge-v1.8.0.bom.json",
            SbomFormat::CycloneDxJson,
            201,
        ),
        (
            "cyclonedx-bom-examples/SBOM/laravel-7.12.0/bom.1.1.xml",
            SbomFormat::CycloneDxXml,
            62,
        ),
        (
            "spdx-examples/software/example6/spdx2.2/example6-lib.spdx",
            SbomFormat::Spdx2TagValue,
            5,
        ),
        (
            "spdx-examples/software/example4/spdx2.2/example4-bin.spdx",
            SbomFormat::Spdx2TagValue,
            3,
        ),
        (
            "spdx-examples/software/example7/spdx2.2/example7-golang.spdx.json",
            SbomFormat::Spdx2Json,
            2,
        ),
        (
            "spdx-examples/software/example7/spdx3.0/example7-golang.spdx3.json",
            SbomFormat::Spdx3JsonLd,
            1,
        ),
        (
            "spdx-examples/software/example9/spdx3.0/appbomination.spdx3.json",
            SbomFormat::Spdx3JsonLd,
            7,
        ),
    ];
    for (rel, fmt, n) in cases {
        let Some(got) = count(rel) else { return };
        assert_eq!(got, (fmt, n), "{rel}");
    }
}

#[test]
fn purls_become_matchable_components() {
    let Some(p) = common::vuln_data("sbom/cyclonedx-bom-examples/SBOM/dropwizard-1.3.15/bom.json")
    else {
        return;
    };
    let (_, comps) = sbom::parse(&std::fs::read(p).unwrap()).unwrap();
    let jackson = comps
        .iter()
        .find(|c| c.name == "com.fasterxml.jackson.core:jackson-databind")
        .unwrap();
    assert_eq!(jackson.ecosystem.as_deref(), Some("Maven"));
    assert_eq!(jackson.version.as_deref(), Some("2.9.10"));
    assert!(
        comps
            .iter()
            .all(|c| c.ecosystem.as_deref() == Some("Maven"))
    );
}

#[test]
fn truncated_sbom_is_a_clear_error() {
    let Some(p) = common::vuln_data("sbom/cyclonedx-bom-examples/SBOM/dropwizard-1.3.15/bom.json")
    else {
        return;
    };
    let b = std::fs::read(p).unwrap();
    let e = sbom::parse(&b[..b.len() / 2]).unwrap_err();
    assert!(
        matches!(
            e,
            SbomError::Malformed {
                format: SbomFormat::CycloneDxJson,
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("line"), "{e}");
}
