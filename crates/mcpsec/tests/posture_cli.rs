//! End-to-end tests of `mcpsec posture` with the real binary: the new inputs
//! (GitLab CI, cloud inventories), frameworks, `--fail-on`, bad input and
//! partial Terraform expansion. Fixtures are the posture crate's own.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_mcpsec");

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../mcpsec-posture/tests/fixtures")
        .join(rel)
}

fn mcpsec(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env("MCPSEC_LOG", "warn")
        .output()
        .expect("run mcpsec")
}

fn json_out(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: stdout {} stderr {}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    })
}

#[test]
fn scan_new_inputs_with_framework_and_fail_on() {
    let gl = fixture("GL-002/fail.gitlab-ci.yml");
    let aws = fixture("AWS-004/fail.json");
    let gcp = fixture("GCP-001/pass.json");
    let o = mcpsec(&[
        "posture",
        "scan",
        gl.to_str().unwrap(),
        aws.to_str().unwrap(),
        gcp.to_str().unwrap(),
        "--format",
        "json",
        "--framework",
        "gdpr",
        "--framework",
        "cis-aws",
        "--fail-on",
        "high",
    ]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v = json_out(&o);
    let ids: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["check_id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"GL-002"), "{ids:?}");
    assert!(ids.contains(&"AWS-004"), "{ids:?}");
    assert!(!ids.iter().any(|i| i.starts_with("GCP-")), "{ids:?}");
    let fws: Vec<&str> = v["frameworks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert_eq!(fws, vec!["gdpr", "cis-aws"]);
    let cis = &v["frameworks"][1]["controls"];
    let c214 = cis
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "2.1.4")
        .unwrap();
    assert_eq!(c214["status"], "fail", "{c214}");
}

#[test]
fn clean_inputs_pass_and_bad_input_is_skipped() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("broken.json"), "{\"id\": [").unwrap();
    let ok = fixture("AZ-001/pass.json");
    let o = mcpsec(&[
        "posture",
        "scan",
        ok.to_str().unwrap(),
        dir.path().to_str().unwrap(),
        "--fail-on",
        "low",
    ]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(
        out.contains("SKIPPED") && out.contains("broken.json"),
        "{out}"
    );
}

#[test]
fn unexpanded_terraform_is_reported_partial() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.tf"),
        "module \"vpc\" {\n  source = \"terraform-aws-modules/vpc/aws\"\n}\nresource \"aws_ebs_volume\" \"v\" {\n  count = length(data.aws_availability_zones.all.names)\n  availability_zone = \"eu-west-1a\"\n  encrypted = true\n}\n",
    )
    .unwrap();
    let o = mcpsec(&["posture", "scan", dir.path().to_str().unwrap()]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("PARTIAL") && out.contains("module.vpc"),
        "{out}"
    );
    assert!(
        out.contains("aws_ebs_volume.v") && out.contains("does not resolve"),
        "{out}"
    );
}

#[test]
fn frameworks_are_listed() {
    let o = mcpsec(&["posture", "frameworks"]);
    let out = String::from_utf8_lossy(&o.stdout);
    for id in ["gdpr", "cis-aws", "cis-azure", "cis-gcp", "soc2"] {
        assert!(out.contains(id), "{id} missing: {out}");
    }
}
