//! Framework data: every mapping points at a real framework, control and
//! check; the general frameworks cover every built-in check; a custom
//! framework read from YAML is evaluated against a scan.

use std::collections::BTreeSet;
use std::path::Path;

use mcpsec_posture::framework::{ControlStatus, Framework, evaluate};
use mcpsec_posture::policy::{DEFAULT_EVAL_TIMEOUT, PolicySet};
use mcpsec_posture::scan::{ScanOptions, scan_paths};

#[test]
fn metadata_mappings_name_existing_controls() {
    let set = PolicySet::builtin();
    let fws = Framework::builtin();
    let mut problems = Vec::new();
    for p in &set.policies {
        for (fid, ctrls) in &p.meta.frameworks {
            let Some(fw) = fws.iter().find(|f| &f.id == fid) else {
                problems.push(format!("{}: unknown framework {fid}", p.meta.id));
                continue;
            };
            for c in ctrls {
                if !fw.controls.iter().any(|x| &x.id == c) {
                    problems.push(format!("{}: {fid} has no control {c}", p.meta.id));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn general_frameworks_cover_every_check() {
    let set = PolicySet::builtin();
    let metas: Vec<_> = set.policies.iter().map(|p| p.meta.clone()).collect();
    for fid in ["soc2", "pci-dss-4.0", "iso27001-2022", "nist-800-53-r5"] {
        let mut fw = Framework::resolve(fid).unwrap();
        fw.merge_policy_mappings(metas.iter());
        let mapped: BTreeSet<&str> = fw
            .controls
            .iter()
            .flat_map(|c| c.checks.iter().map(String::as_str))
            .collect();
        // PCI DSS has no requirement on backups or recovery as such: the
        // backup/versioning/deletion-protection checks stay out of it.
        let exempt: &[&str] = if fid == "pci-dss-4.0" {
            &[
                "AWS-002",
                "AWS-011",
                "AZ-007",
                "GCP-002",
                "GCP-013",
                "TF-AWS-004",
                "TF-AWS-028",
                "TF-AZ-005",
            ]
        } else {
            &[]
        };
        let missing: Vec<&str> = metas
            .iter()
            .map(|m| m.id.as_str())
            .filter(|id| !mapped.contains(id) && !exempt.contains(id))
            .collect();
        assert!(missing.is_empty(), "{fid} does not map {missing:?}");
    }
    // The cloud CIS benchmarks and GDPR have checks for the new inputs.
    for (fid, prefix) in [
        ("cis-aws", "AWS-"),
        ("cis-azure", "AZ-"),
        ("cis-gcp", "GCP-"),
        ("gdpr", "GL-"),
    ] {
        let mut fw = Framework::resolve(fid).unwrap();
        fw.merge_policy_mappings(metas.iter());
        assert!(
            fw.controls
                .iter()
                .any(|c| c.checks.iter().any(|x| x.starts_with(prefix))),
            "{fid}: no {prefix} check mapped"
        );
    }
}

#[test]
fn custom_yaml_framework_is_evaluated() {
    let dir = tempfile::tempdir().unwrap();
    let fw_path = dir.path().join("acme.yaml");
    std::fs::write(
        &fw_path,
        "id: acme\ntitle: ACME baseline\ncontrols:\n  - {id: A-1, title: No privileged pods, checks: [K8S-001]}\n  - {id: A-2, title: No public buckets, checks: [AWS-001]}\n  - {id: A-3, title: Reviews happen}\n",
    )
    .unwrap();
    let fw = Framework::resolve(fw_path.to_str().unwrap()).unwrap();
    let pack = PolicySet::builtin().compile(DEFAULT_EVAL_TIMEOUT);
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let report = scan_paths(
        &pack,
        &[
            root.join("K8S-001/fail.yaml"),
            root.join("AWS-001/pass.json"),
        ],
        &ScanOptions::default(),
    );
    let r = evaluate(&fw, &report);
    let status: Vec<_> = r.controls.iter().map(|c| c.status).collect();
    assert_eq!(
        status,
        vec![
            ControlStatus::Fail,
            ControlStatus::Pass,
            ControlStatus::Manual
        ]
    );
    assert_eq!(r.score, 50.0);
    assert!(r.controls[0].evidence[0].failures[0].contains("fail.yaml:"));
}

#[test]
fn gdpr_maps_image_checks_with_rationale() {
    let set = PolicySet::builtin();
    let checks: BTreeSet<&str> = set.policies.iter().map(|p| p.meta.id.as_str()).collect();
    let gdpr = Framework::resolve("gdpr").unwrap();
    let in_control = |cid: &str, check: &str| {
        gdpr.controls
            .iter()
            .any(|c| c.id == cid && c.checks.iter().any(|x| x == check))
    };
    assert!(in_control("Art.32(1)(b)", "IMG-002"));
    assert!(in_control("Art.25(2)", "IMG-003"));
    assert!(in_control("Art.25(1)", "IMG-004"));
    assert!(
        !gdpr
            .controls
            .iter()
            .any(|c| c.checks.iter().any(|x| x == "IMG-009"))
    );
    for n in 1..=9 {
        let id = format!("IMG-00{n}");
        assert!(checks.contains(id.as_str()), "{id} is not a built-in check");
        assert!(
            gdpr.rationale.contains_key(&id),
            "gdpr: no rationale for {id}"
        );
    }
    // Every rationale of every framework names a real check.
    for fw in Framework::builtin() {
        for id in fw.rationale.keys() {
            assert!(
                checks.contains(id.as_str()),
                "{}: rationale for unknown {id}",
                fw.id
            );
        }
    }
}

#[test]
fn cis_docker_section_4_has_the_benchmark_controls() {
    let fw = Framework::resolve("cis-docker").unwrap();
    let ids: Vec<&str> = fw.controls.iter().map(|c| c.id.as_str()).collect();
    let want: Vec<String> = (1..=12).map(|n| format!("4.{n}")).collect();
    assert_eq!(ids, want.iter().map(String::as_str).collect::<Vec<_>>());
    let c47 = fw.controls.iter().find(|c| c.id == "4.7").unwrap();
    assert_eq!(
        c47.title,
        "Ensure update instructions are not used alone in the Dockerfile"
    );
}
