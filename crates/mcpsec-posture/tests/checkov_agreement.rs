//! Agreement with Checkov's labelled fixtures (shared/data/posture/checkov):
//! for each built-in check that corresponds to a Checkov check, run ours on
//! Checkov's example files and compare with the expected result — per
//! resource where `expected.json` lists passing/failing resources, else per
//! file from the file name (`*-PASSED.yaml` / `*-FAILED.yaml`; files with
//! both or neither, e.g. `UNKNOWN`, are not compared). Skips with a message
//! when the data is absent. Disagreements are explained in docs/posture.md.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use mcpsec_posture::inputs::{Target, load_paths};
use mcpsec_posture::policy::{CompiledPolicy, DEFAULT_EVAL_TIMEOUT, PolicySet};
use mcpsec_posture::scan::{Outcome, evaluate};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data");

/// Our check, Checkov's folder, example directory, Checkov id.
const MAP: &[(&str, &str, &str, &str)] = &[
    (
        "K8S-001",
        "kubernetes",
        "example_PrivilegedContainers",
        "CKV_K8S_16",
    ),
    (
        "K8S-002",
        "kubernetes",
        "example_AllowPrivilegeEscalation",
        "CKV_K8S_20",
    ),
    (
        "K8S-006",
        "kubernetes",
        "example_RootContainers",
        "CKV_K8S_23",
    ),
    (
        "K8S-008",
        "kubernetes",
        "example_ReadOnlyFilesystem",
        "CKV_K8S_22",
    ),
    (
        "K8S-009",
        "kubernetes",
        "example_AllowedCapabilities",
        "CKV_K8S_25",
    ),
    (
        "K8S-010",
        "kubernetes",
        "example_AllowedCapabilitiesSysAdmin",
        "CKV_K8S_39",
    ),
    (
        "K8S-012",
        "kubernetes",
        "example_DropCapabilities",
        "CKV_K8S_28",
    ),
    (
        "K8S-017",
        "kubernetes",
        "example_ImageTagFixed",
        "CKV_K8S_14",
    ),
    (
        "K8S-018",
        "kubernetes",
        "example_ImagePullPolicy",
        "CKV_K8S_15",
    ),
    (
        "K8S-020",
        "kubernetes",
        "example_DockerSocketVolume",
        "CKV_K8S_27",
    ),
    ("K8S-021", "kubernetes", "example_HostPort", "CKV_K8S_26"),
    ("K8S-023", "kubernetes", "example_Secrets", "CKV_K8S_35"),
    ("K8S-026", "kubernetes", "example_Seccomp", "CKV_K8S_31"),
    (
        "K8S-027",
        "kubernetes",
        "example_ServiceAccountTokens",
        "CKV_K8S_38",
    ),
    (
        "K8S-028",
        "kubernetes",
        "example_DefaultNamespace",
        "CKV_K8S_21",
    ),
    (
        "K8S-031",
        "kubernetes",
        "example_WildcardRoles",
        "CKV_K8S_49",
    ),
    (
        "K8S-036",
        "kubernetes",
        "example_RbacEscalateRoles",
        "CKV_K8S_158",
    ),
    (
        "K8S-037",
        "kubernetes",
        "example_RbacBindRoleBindings",
        "CKV_K8S_157",
    ),
    (
        "TF-AWS-002",
        "terraform-aws",
        "example_S3AllowsAnyPrincipal",
        "CKV_AWS_70",
    ),
    (
        "TF-AWS-008",
        "terraform-aws",
        "example_SecurityGroupUnrestrictedIngress22",
        "CKV_AWS_24",
    ),
    (
        "TF-AWS-009",
        "terraform-aws",
        "example_SecurityGroupUnrestrictedIngress3389",
        "CKV_AWS_25",
    ),
    (
        "TF-AWS-010",
        "terraform-aws",
        "example_SecurityGroupUnrestrictedIngressAny",
        "CKV_AWS_277",
    ),
    (
        "TF-AWS-011",
        "terraform-aws",
        "example_EBSEncryption",
        "CKV_AWS_3",
    ),
    (
        "TF-AWS-012",
        "terraform-aws",
        "example_RDSEncryption",
        "CKV_AWS_16",
    ),
    (
        "TF-AWS-014",
        "terraform-aws",
        "example_IAMAdminPolicyDocument",
        "CKV_AWS_62",
    ),
    (
        "TF-AWS-017",
        "terraform-aws",
        "example_CloudtrailEncryptedWithCMK",
        "CKV_AWS_35",
    ),
    (
        "TF-AWS-019",
        "terraform-aws",
        "example_CloudtrailEnableLogging",
        "CKV_AWS_251",
    ),
    (
        "TF-AWS-020",
        "terraform-aws",
        "example_KMSRotation",
        "CKV_AWS_7",
    ),
    (
        "TF-AWS-021",
        "terraform-aws",
        "example_IMDSv1Disabled",
        "CKV_AWS_79",
    ),
    (
        "TF-AWS-022",
        "terraform-aws",
        "example_EC2PublicIP",
        "CKV_AWS_88",
    ),
    (
        "TF-AWS-023",
        "terraform-aws",
        "example_SQSQueueEncryption",
        "CKV_AWS_27",
    ),
    (
        "TF-AWS-024",
        "terraform-aws",
        "example_SNSTopicEncryption",
        "CKV_AWS_26",
    ),
    (
        "TF-AWS-025",
        "terraform-aws",
        "example_ECRImmutableTags",
        "CKV_AWS_51",
    ),
    (
        "TF-AWS-027",
        "terraform-aws",
        "example_EKSPublicAccess",
        "CKV_AWS_39",
    ),
    (
        "TF-AWS-028",
        "terraform-aws",
        "example_RDSInstanceDeletionProtection",
        "CKV_AWS_293",
    ),
    (
        "TF-AWS-029",
        "terraform-aws",
        "example_ELBv2AccessLogs",
        "CKV_AWS_91",
    ),
    (
        "DKR-001",
        "dockerfile",
        "example_UserExists",
        "CKV_DOCKER_3",
    ),
    ("DKR-002", "dockerfile", "example_RootUser", "CKV_DOCKER_8"),
    (
        "DKR-003",
        "dockerfile",
        "example_ReferenceLatestTag",
        "CKV_DOCKER_7",
    ),
    ("DKR-004", "dockerfile", "example_AddExists", "CKV_DOCKER_4"),
    (
        "DKR-007",
        "dockerfile",
        "example_UpdateNotAlone",
        "CKV_DOCKER_5",
    ),
    (
        "DKR-010",
        "dockerfile",
        "example_HealthcheckExists",
        "CKV_DOCKER_2",
    ),
    (
        "DKR-011",
        "dockerfile",
        "example_ExposePort22",
        "CKV_DOCKER_1",
    ),
    (
        "DKR-013",
        "dockerfile",
        "example_WorkdirIsAbsolute",
        "CKV_DOCKER_10",
    ),
    (
        "DKR-014",
        "dockerfile",
        "example_AliasIsUnique",
        "CKV_DOCKER_11",
    ),
    (
        "DKR-015",
        "dockerfile",
        "example_MaintainerExists",
        "CKV_DOCKER_6",
    ),
    (
        "DKR-016",
        "dockerfile",
        "example_RunUsingAPT",
        "CKV_DOCKER_9",
    ),
];

/// Agreement measured when this test was written; it must not drop.
const MIN_AGREEMENT_PERCENT: f64 = 94.0;

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// Checkov's resource name of a Kubernetes target: `Kind.namespace.name`.
fn k8s_key(t: &Target) -> String {
    let v = serde_json::to_value(&t.input).unwrap();
    format!(
        "{}.{}.{}",
        v["kind"].as_str().unwrap_or(""),
        v["metadata"]["namespace"].as_str().unwrap_or("default"),
        v["metadata"]["name"].as_str().unwrap_or("")
    )
}

/// `Some(true)` when our check fails the target, `None` when it does not apply.
fn verdict(check: &mut CompiledPolicy, t: &Target) -> Option<bool> {
    if !check.meta.applies_to(t.kind, &t.selector) {
        return None;
    }
    match evaluate(check, t) {
        Outcome::Pass => Some(false),
        Outcome::Fail(_) => Some(true),
        Outcome::Error(e) => {
            eprintln!("evaluation error: {} on {}: {e}", check.meta.id, t.file);
            None
        }
    }
}

#[derive(Default)]
struct Tally {
    agree: usize,
    total: usize,
    disagreements: Vec<String>,
}

impl Tally {
    fn add(&mut self, what: String, expected_fail: bool, ours: Option<bool>) {
        self.total += 1;
        let ours_fail = ours.unwrap_or(false);
        if ours_fail == expected_fail {
            self.agree += 1;
        } else {
            self.disagreements.push(format!(
                "{what}: checkov {} ours {}",
                if expected_fail { "FAILED" } else { "PASSED" },
                match ours {
                    None => "n/a",
                    Some(true) => "FAILED",
                    Some(false) => "PASSED",
                }
            ));
        }
    }
}

#[test]
fn agreement_with_checkov_fixtures() {
    let root = Path::new(DATA).join("posture/checkov");
    if !root.is_dir() {
        eprintln!(
            "SKIPPED: {} is absent; Checkov agreement not measured",
            root.display()
        );
        return;
    }
    let pack = PolicySet::builtin().compile(DEFAULT_EVAL_TIMEOUT);
    let mut expected_all: BTreeMap<&str, serde_json::Value> = BTreeMap::new();
    for fw in ["kubernetes", "terraform-aws", "dockerfile"] {
        let text = std::fs::read_to_string(root.join(fw).join("expected.json")).unwrap();
        expected_all.insert(fw, serde_json::from_str(&text).unwrap());
    }
    let mut grand = Tally::default();
    let mut lines = Vec::new();
    for (id, fw, example, ckv) in MAP {
        let mut check = pack
            .checks
            .iter()
            .find(|c| c.meta.id == *id)
            .unwrap_or_else(|| panic!("no check {id}"))
            .clone();
        let dir = root.join(fw).join(example);
        let exp = &expected_all[fw][*example]["expected"];
        let listed = |k: &str| -> Vec<String> {
            exp[k]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default()
        };
        let (passing, failing) = (listed("passing_resources"), listed("failing_resources"));
        let mut tally = Tally::default();
        match *fw {
            "terraform-aws" => {
                // Checkov keeps variants of an example in sibling directories
                // (`example_EC2PublicIP_foreach`) whose resources its
                // expected lists include.
                let mut dirs = vec![dir.clone()];
                if let Ok(rd) = std::fs::read_dir(root.join(fw)) {
                    let mut sib: Vec<_> = rd
                        .flatten()
                        .map(|e| e.path())
                        .filter(|p| {
                            p.is_dir()
                                && p.file_name().is_some_and(|n| {
                                    n.to_string_lossy().starts_with(&format!("{example}_"))
                                })
                        })
                        .collect();
                    sib.sort();
                    dirs.extend(sib);
                }
                let loaded = load_paths(&dirs);
                let by_addr: BTreeMap<&str, &Target> = loaded
                    .targets
                    .iter()
                    .map(|t| (t.resource.as_str(), t))
                    .collect();
                for (names, want_fail) in [(&passing, false), (&failing, true)] {
                    for n in names {
                        let ours = by_addr.get(n.as_str()).and_then(|t| verdict(&mut check, t));
                        tally.add(format!("{id} {example} {n}"), want_fail, ours);
                    }
                }
            }
            "kubernetes" => {
                let mut files = Vec::new();
                files_under(&dir, &mut files);
                files.sort();
                let mut targets = Vec::new();
                for f in &files {
                    targets.extend(load_paths(std::slice::from_ref(f)).targets);
                }
                if !passing.is_empty() || !failing.is_empty() {
                    for (names, want_fail) in [(&passing, false), (&failing, true)] {
                        for n in names {
                            let ours = targets
                                .iter()
                                .filter(|t| &k8s_key(t) == n)
                                .filter_map(|t| verdict(&mut check, t))
                                .reduce(|a, b| a || b);
                            tally.add(format!("{id} {example} {n}"), want_fail, ours);
                        }
                    }
                } else {
                    for f in &files {
                        let name = f.file_name().unwrap().to_string_lossy().to_string();
                        let (p, fl) = (name.contains("PASS"), name.contains("FAIL"));
                        if p == fl {
                            continue;
                        }
                        let ours = targets
                            .iter()
                            .filter(|t| Path::new(&t.file) == f.as_path())
                            .filter_map(|t| verdict(&mut check, t))
                            .reduce(|a, b| a || b);
                        tally.add(format!("{id} {example}/{name}"), fl, ours);
                    }
                }
            }
            _ => {
                // Dockerfiles: one file per sub-directory; the expected
                // resources are `/<subdir>/Dockerfile.<INSTRUCTION>`.
                let mut files = Vec::new();
                files_under(&dir, &mut files);
                files.sort();
                for f in files {
                    let sub = f
                        .parent()
                        .and_then(|p| p.file_name())
                        .unwrap()
                        .to_string_lossy()
                        .to_string();
                    let prefix = format!("/{sub}/");
                    let want_fail = if failing.iter().any(|r| r.starts_with(&prefix)) {
                        true
                    } else if passing.iter().any(|r| r.starts_with(&prefix)) {
                        false
                    } else if sub.starts_with("failure") {
                        true
                    } else if sub.starts_with("success") {
                        false
                    } else {
                        continue;
                    };
                    let loaded = load_paths(std::slice::from_ref(&f));
                    let ours = loaded
                        .targets
                        .iter()
                        .filter_map(|t| verdict(&mut check, t))
                        .reduce(|a, b| a || b);
                    tally.add(format!("{id} {example}/{sub}"), want_fail, ours);
                }
            }
        }
        lines.push(format!(
            "| {id} | {ckv} | {} / {} |",
            tally.agree, tally.total
        ));
        grand.agree += tally.agree;
        grand.total += tally.total;
        grand.disagreements.extend(tally.disagreements);
    }
    let pct = grand.agree as f64 * 100.0 / grand.total.max(1) as f64;
    println!("| ours | checkov | agree / compared |\n|---|---|---|");
    for l in &lines {
        println!("{l}");
    }
    println!(
        "total: {} / {} ({pct:.1}%)\ndisagreements:\n{}",
        grand.agree,
        grand.total,
        grand.disagreements.join("\n")
    );
    assert!(grand.total > 100, "too few comparisons: {}", grand.total);
    assert!(
        pct >= MIN_AGREEMENT_PERCENT,
        "agreement dropped to {pct:.1}% (minimum {MIN_AGREEMENT_PERCENT}%)"
    );
}
