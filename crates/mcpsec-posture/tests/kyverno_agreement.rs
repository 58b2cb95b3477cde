//! Agreement with Kyverno's policy tests: each Kyverno policy in
//! `shared/data/posture/kyverno-policies` ships Chainsaw test resources named
//! `*-good.yaml` (admitted) and `*-bad.yaml` (rejected). For the policies
//! that correspond to our checks, every resource of those files is scanned;
//! a resource agrees when one of the mapped checks fails on a bad resource,
//! or none fails on a good one. Prints the table and the disagreements
//! (explained in docs/posture.md) and fails if agreement drops below the
//! recorded floor. Skips when the data is absent.

use std::collections::BTreeSet;
use std::path::Path;

use mcpsec_posture::inputs::load_paths;
use mcpsec_posture::policy::{DEFAULT_EVAL_TIMEOUT, PolicySet};
use mcpsec_posture::scan::{ScanOptions, scan_targets};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data");

const MAP: &[(&str, &[&str])] = &[
    ("pod-security/baseline/disallow-capabilities", &["K8S-009"]),
    (
        "pod-security/baseline/disallow-host-namespaces",
        &["K8S-003", "K8S-004", "K8S-005"],
    ),
    ("pod-security/baseline/disallow-host-path", &["K8S-019"]),
    ("pod-security/baseline/disallow-host-ports", &["K8S-021"]),
    (
        "pod-security/baseline/disallow-host-ports-range",
        &["K8S-021"],
    ),
    ("pod-security/baseline/disallow-host-process", &["K8S-042"]),
    (
        "pod-security/baseline/disallow-privileged-containers",
        &["K8S-001"],
    ),
    ("pod-security/baseline/disallow-proc-mount", &["K8S-034"]),
    ("pod-security/baseline/disallow-selinux", &["K8S-041"]),
    (
        "pod-security/baseline/restrict-apparmor-profiles",
        &["K8S-040"],
    ),
    ("pod-security/baseline/restrict-seccomp", &["K8S-026"]),
    ("pod-security/baseline/restrict-sysctls", &["K8S-033"]),
    (
        "pod-security/restricted/disallow-capabilities-strict",
        &["K8S-009", "K8S-011"],
    ),
    (
        "pod-security/restricted/disallow-privilege-escalation",
        &["K8S-002"],
    ),
    (
        "pod-security/restricted/require-run-as-non-root-user",
        &["K8S-007"],
    ),
    (
        "pod-security/restricted/require-run-as-nonroot",
        &["K8S-006"],
    ),
    (
        "pod-security/restricted/restrict-seccomp-strict",
        &["K8S-026"],
    ),
    ("best-practices/disallow-cri-sock-mount", &["K8S-020"]),
    ("best-practices/disallow-default-namespace", &["K8S-028"]),
    ("best-practices/disallow-latest-tag", &["K8S-017"]),
    ("best-practices/require-drop-all", &["K8S-011"]),
    ("best-practices/require-drop-cap-net-raw", &["K8S-012"]),
    (
        "best-practices/require-pod-requests-limits",
        &["K8S-014", "K8S-015", "K8S-016"],
    ),
    ("best-practices/require-probes", &["K8S-024", "K8S-025"]),
    ("best-practices/require-ro-rootfs", &["K8S-008"]),
    ("best-practices/restrict-node-port", &["K8S-029"]),
    ("best-practices/restrict-service-external-ips", &["K8S-046"]),
];

/// Agreement measured when the mapping was written; the test fails below it.
const FLOOR: f64 = 0.93;

#[test]
fn agreement_with_kyverno_policy_tests() {
    let root = Path::new(DATA).join("posture/kyverno-policies");
    if !root.is_dir() {
        eprintln!(
            "SKIPPED: {} is absent; Kyverno agreement not measured",
            root.display()
        );
        return;
    }
    let pack = PolicySet::builtin().compile(DEFAULT_EVAL_TIMEOUT);
    let opts = ScanOptions {
        threads: 1,
        ..ScanOptions::default()
    };
    let (mut agree, mut total) = (0usize, 0usize);
    let mut table = Vec::new();
    let mut disagreements = Vec::new();
    for (dir, checks) in MAP {
        let tdir = root.join(dir).join(".chainsaw-test");
        let Ok(rd) = std::fs::read_dir(&tdir) else {
            eprintln!("SKIPPED: {} has no Chainsaw tests", tdir.display());
            continue;
        };
        let mut files: Vec<_> = rd.flatten().map(|e| e.path()).collect();
        files.sort();
        let (mut a, mut n) = (0usize, 0usize);
        for f in files {
            let name = f.file_name().unwrap().to_string_lossy().to_string();
            let want_fail = if name.ends_with("-bad.yaml") {
                true
            } else if name.ends_with("-good.yaml") {
                false
            } else {
                continue;
            };
            let loaded = load_paths(std::slice::from_ref(&f));
            let report = scan_targets(&pack, &loaded.targets, &opts);
            let failing: BTreeSet<&str> = report
                .findings
                .iter()
                .filter(|x| checks.contains(&x.check_id.as_str()))
                .map(|x| x.resource.as_str())
                .collect();
            for t in &loaded.targets {
                let applies = pack.checks.iter().any(|c| {
                    checks.contains(&c.meta.id.as_str()) && c.meta.applies_to(t.kind, &t.selector)
                });
                if !applies {
                    continue;
                }
                let ours = failing.contains(t.resource.as_str());
                n += 1;
                if ours == want_fail {
                    a += 1;
                } else {
                    disagreements.push(format!(
                        "{dir} {name} {}: kyverno {} ours {}",
                        t.resource,
                        if want_fail { "rejects" } else { "admits" },
                        if ours { "fails" } else { "passes" }
                    ));
                }
            }
        }
        table.push(format!("| {dir} | {} | {a} / {n} |", checks.join(", ")));
        agree += a;
        total += n;
    }
    println!("| kyverno policy | ours | agree / compared |\n|---|---|---|");
    for l in &table {
        println!("{l}");
    }
    let rate = agree as f64 / total.max(1) as f64;
    println!("total: {agree} / {total} ({:.1}%)", rate * 100.0);
    println!("disagreements:");
    for d in &disagreements {
        println!("{d}");
    }
    assert!(total > 0, "nothing compared");
    assert!(rate >= FLOOR, "agreement {rate:.3} below {FLOOR}");
}
