//! End-to-end tests of the supply-chain commands: the real binary on the
//! fixtures in `tests/fixtures/vuln` (a small OSV directory, an npm lockfile
//! and a requirements file, KEV/EPSS/NVD feeds, VEX, an ignore file and
//! scanner reports).
//!
//! Expected values, read from the fixtures: left-pad 1.1.0 is affected by
//! TEST-2024-0001 (critical, CVSS 9.8, fixed 1.3.0, EPSS 0.5); requests
//! 2.25.0 by TEST-2024-0002 (no CVSS in OSV, `MODERATE`; NVD gives
//! CVSS 3.1 7.5, EPSS 0.9); lodash 4.17.15 by TEST-2024-0003 (low, CVSS 2.0,
//! in KEV); express and flask by nothing.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/vuln")
}

fn mcpsec(dir: &Path, args: &[&str]) -> Output {
    Command::new(common::BIN)
        .args(args)
        .current_dir(dir)
        .env("RUST_LOG", "warn")
        .env_remove("MCPSEC_CONFIG")
        .env_remove("MCPSEC_STORE__BACKEND")
        .output()
        .expect("run mcpsec")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", stdout(o), stderr(o)))
}

/// (id, package, risk) of each finding, in output order.
fn summary(v: &Value) -> Vec<(String, String, f64)> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["vulnerability"]["id"].as_str().unwrap().to_string(),
                f["component"]["name"].as_str().unwrap().to_string(),
                f["risk_score"].as_f64().unwrap(),
            )
        })
        .collect()
}

fn finding<'a>(v: &'a Value, id: &str) -> &'a Value {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["vulnerability"]["id"] == id)
        .unwrap_or_else(|| panic!("no finding {id}"))
}

#[test]
fn scan_fail_on_exit_codes() {
    let f = fixtures();
    let base = ["scan", "project", "--osv", "osv"];
    let run = |extra: &[&str]| {
        let args: Vec<&str> = base.iter().chain(extra).copied().collect();
        mcpsec(&f, &args).status.code()
    };
    assert_eq!(run(&[]), Some(0), "no gate: success");
    assert_eq!(
        run(&["--fail-on", "critical"]),
        Some(1),
        "left-pad is critical"
    );
    assert_eq!(run(&["--fail-on", "low"]), Some(1));
    assert_eq!(
        run(&["--fail-on", "critical", "--vex", "vex.openvex.json"]),
        Some(1),
        "under_investigation does not suppress"
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("ignore.yaml"),
        "ignore:\n  - id: CVE-2024-0001\n    reason: accepted for the test\n",
    )
    .unwrap();
    let ignore = dir.path().join("ignore.yaml");
    assert_eq!(
        run(&[
            "--fail-on",
            "critical",
            "--ignore-file",
            ignore.to_str().unwrap()
        ]),
        Some(0),
        "an ignored finding does not fail the gate"
    );
    assert_eq!(
        run(&[
            "--fail-on",
            "medium",
            "--ignore-file",
            ignore.to_str().unwrap()
        ]),
        Some(1),
        "requests is medium"
    );
    // Errors exit 2.
    let o = mcpsec(&f, &["scan", "nope.json", "--osv", "osv"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("nope.json"), "{}", stderr(&o));
    let o = mcpsec(&f, &["scan", "reports/truncated.json", "--osv", "osv"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

#[test]
fn scan_json_contract_and_enrichment() {
    let f = fixtures();
    let o = mcpsec(
        &f,
        &[
            "scan", "project", "--osv", "osv", "--kev", "kev.json", "--epss", "epss.csv",
            "--format", "json",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("not-a-record.json"),
        "a bad OSV file is reported: {}",
        stderr(&o)
    );
    let v = json(&o);
    for f in v["findings"].as_array().unwrap() {
        assert!(f["vulnerability"]["id"].is_string());
        assert!(f["vulnerability"]["aliases"].is_array());
        assert!(f["vulnerability"]["severity"].is_string());
        assert!(f["vulnerability"]["cvss"].is_array());
        assert!(f["component"]["name"].is_string());
        assert!(f["component"]["version"].is_string());
        assert!(f["component"].get("purl").is_some());
        assert!(f["fixed_versions"].is_array());
        assert!(f["risk_score"].is_number());
        assert_eq!(f["sources"], serde_json::json!(["mcpsec"]));
    }
    // Risk = min(10, (base + 2 × exploitation) × criticality), sorted fix first.
    assert_eq!(
        summary(&v),
        [
            ("TEST-2024-0001".into(), "left-pad".into(), 10.0), // 9.8 + 2×0.5
            ("TEST-2024-0002".into(), "requests".into(), 7.3),  // 5.5 (medium) + 2×0.9
            ("TEST-2024-0003".into(), "lodash".into(), 4.0),    // 2.0 + 2 (KEV)
        ]
    );
    let lp = finding(&v, "TEST-2024-0001");
    assert_eq!(lp["component"]["purl"], "pkg:npm/left-pad@1.1.0");
    assert_eq!(lp["smallest_fix"], "1.3.0");
    assert_eq!(lp["vulnerability"]["severity"], "critical");
    assert_eq!(lp["vulnerability"]["cvss"][0]["score"], 9.8);
    assert_eq!(lp["vulnerability"]["epss"]["score"], 0.5);
    assert_eq!(finding(&v, "TEST-2024-0003")["vulnerability"]["kev"], true);
    assert_eq!(v["summary"]["components_scanned"], 5);
    assert_eq!(v["summary"]["findings"], 3);

    // Asset criticality scales the score.
    let o = mcpsec(
        &f,
        &[
            "scan",
            "project",
            "--osv",
            "osv",
            "--criticality",
            "low",
            "--format",
            "json",
        ],
    );
    let v = json(&o);
    assert_eq!(finding(&v, "TEST-2024-0001")["risk_score"], 7.8); // 9.8 × 0.8
}

#[test]
fn sarif_junit_cyclonedx_markdown_outputs() {
    let f = fixtures();
    let out = |fmt: &str| {
        let o = mcpsec(&f, &["scan", "project", "--osv", "osv", "--format", fmt]);
        assert!(o.status.success(), "{fmt}: {}", stderr(&o));
        o
    };
    let sarif = json(&out("sarif"));
    assert_eq!(sarif["version"], "2.1.0");
    assert!(sarif["$schema"].as_str().unwrap().contains("sarif"));
    let run = &sarif["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "mcpsec");
    let rules: Vec<&str> = run["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    for r in results {
        assert!(rules.contains(&r["ruleId"].as_str().unwrap()), "{r}");
        assert!(["error", "warning", "note"].contains(&r["level"].as_str().unwrap()));
        assert!(r["message"]["text"].is_string());
        assert!(r["locations"][0]["logicalLocations"][0]["name"].is_string());
    }

    let junit = stdout(&out("junit"));
    assert!(junit.starts_with("<?xml"));
    assert!(
        junit.contains("<testsuite name=\"mcpsec vulnerability scan\" tests=\"3\" failures=\"3\""),
        "{junit}"
    );
    assert_eq!(junit.matches("<testcase ").count(), 3);
    assert_eq!(junit.matches("<failure ").count(), 3);

    let cdx = json(&out("cyclonedx"));
    assert_eq!(cdx["bomFormat"], "CycloneDX");
    assert_eq!(cdx["specVersion"], "1.6");
    let refs: Vec<&str> = cdx["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["bom-ref"].as_str().unwrap())
        .collect();
    assert_eq!(refs.len(), 5, "every scanned component: {refs:?}");
    let vulns = cdx["vulnerabilities"].as_array().unwrap();
    assert_eq!(vulns.len(), 3);
    for v in vulns {
        for a in v["affects"].as_array().unwrap() {
            assert!(
                refs.contains(&a["ref"].as_str().unwrap()),
                "dangling ref {a}"
            );
        }
    }
    let md = stdout(&out("markdown"));
    assert!(md.contains("| critical |"), "{md}");
}

#[test]
fn vex_and_ignore_file() {
    let f = fixtures();
    let base = [
        "scan",
        "project",
        "--osv",
        "osv",
        "--vex",
        "vex.openvex.json",
        "--ignore-file",
        "ignore.yaml",
        "--format",
        "json",
    ];
    let o = mcpsec(&f, &base);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("expired"), "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(
        summary(&v).len(),
        1,
        "lodash (VEX) and requests (ignored) are hidden"
    );
    assert_eq!(
        finding(&v, "TEST-2024-0001")["vex_status"],
        "under_investigation"
    );
    assert_eq!(v["summary"]["suppressed"], 2);

    let args: Vec<&str> = base.iter().copied().chain(["--show-suppressed"]).collect();
    let v = json(&mcpsec(&f, &args));
    assert_eq!(summary(&v).len(), 3);
    let lodash = &finding(&v, "TEST-2024-0003")["suppression"];
    assert_eq!(lodash["kind"], "vex");
    assert_eq!(lodash["status"], "not_affected");
    assert_eq!(
        lodash["justification"],
        "vulnerable_code_not_in_execute_path"
    );
    assert_eq!(lodash["statement"], "the affected function is never called");
    let req = &finding(&v, "TEST-2024-0002")["suppression"];
    assert_eq!(req["kind"], "ignore");
    assert_eq!(
        req["statement"],
        "only used in tests, never with credentials"
    );
    assert_eq!(req["expires"], "2099-12-31");

    // OpenVEX of the current state, fed back in, suppresses the same finding.
    let mut args: Vec<&str> = base[..8].to_vec();
    args.extend(["--format", "openvex"]);
    let o = mcpsec(&f, &args);
    let doc = json(&o);
    assert_eq!(doc["@context"], "https://openvex.dev/ns/v0.2.0");
    let statements = doc["statements"].as_array().unwrap();
    assert_eq!(statements.len(), 3, "every finding is stated");
    let status = |id: &str| {
        statements
            .iter()
            .find(|s| s["vulnerability"]["name"] == id)
            .unwrap()["status"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(status("TEST-2024-0003"), "not_affected");
    assert_eq!(status("TEST-2024-0001"), "under_investigation");
    assert_eq!(
        status("TEST-2024-0002"),
        "affected",
        "an ignore is no VEX claim"
    );
    let dir = tempfile::tempdir().unwrap();
    let emitted = dir.path().join("emitted.vex.json");
    std::fs::write(&emitted, &o.stdout).unwrap();
    let v = json(&mcpsec(
        &f,
        &[
            "scan",
            "project",
            "--osv",
            "osv",
            "--vex",
            emitted.to_str().unwrap(),
            "--format",
            "json",
        ],
    ));
    let ids: Vec<String> = summary(&v).into_iter().map(|s| s.0).collect();
    assert_eq!(ids, ["TEST-2024-0001", "TEST-2024-0002"]);
}

#[test]
fn ingest_reports_dedup_with_native_matches() {
    let f = fixtures();
    let o = mcpsec(
        &f,
        &[
            "ingest",
            "reports/trivy.json",
            "reports/grype.json",
            "reports/truncated.json",
            "--scan",
            "project",
            "--osv",
            "osv",
            "--format",
            "json",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("truncated.json"),
        "the broken report is reported: {}",
        stderr(&o)
    );
    let v = json(&o);
    let ids: Vec<String> = summary(&v).into_iter().map(|s| s.0).collect();
    assert_eq!(
        ids.len(),
        4,
        "3 native + express from Trivy; lodash from Trivy and Grype folded: {ids:?}"
    );
    let lodash = finding(&v, "TEST-2024-0003");
    assert_eq!(
        lodash["sources"],
        serde_json::json!(["mcpsec", "trivy", "grype"])
    );
    let aliases = lodash["vulnerability"]["aliases"].as_array().unwrap();
    assert!(aliases.contains(&"GHSA-fixture-0003".into()), "{aliases:?}");
    let express = finding(&v, "CVE-2099-0100");
    assert_eq!(express["sources"], serde_json::json!(["trivy"]));
    assert_eq!(express["component"]["purl"], "pkg:npm/express@4.0.0");
    assert_eq!(express["smallest_fix"], "4.19.2");
    assert_eq!(express["vulnerability"]["severity"], "high");

    // Reports alone (no native scan) and an unreadable single report.
    let v = json(&mcpsec(&f, &["ingest", "reports", "--format", "json"]));
    assert_eq!(summary(&v).len(), 2, "lodash (trivy+grype) and express");
    let o = mcpsec(&f, &["ingest", "reports/truncated.json"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn db_import_then_scan_from_the_store_incrementally() {
    let f = fixtures();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();
    let o = mcpsec(
        &f,
        &[
            "--data-dir",
            data,
            "db",
            "import",
            "osv",
            "kev.json",
            "epss.csv",
            "nvd.json",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("3 OSV records, 1 NVD records, 1 KEV entries, 2 EPSS scores; 1 skipped"),
        "{out}"
    );
    assert!(
        out.contains("advisories: 4 new, 0 updated, 0 unchanged"),
        "{out}"
    );
    assert!(stderr(&o).contains("not-a-record.json"), "{}", stderr(&o));

    let st = json(&mcpsec(&f, &["--data-dir", data, "db", "status", "--json"]));
    let count = |src: &str, eco: &str| {
        st["advisories"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["source"] == src && s["ecosystem"] == eco)
            .map(|s| s["records"].as_u64().unwrap())
    };
    assert_eq!(count("osv", "npm"), Some(2));
    assert_eq!(count("osv", "PyPI"), Some(1));
    assert_eq!(count("nvd", ""), Some(1));
    assert_eq!(st["kev_entries"], 1);
    assert_eq!(st["epss_scores"], 2);
    let table = stdout(&mcpsec(&f, &["--data-dir", data, "db", "status"]));
    assert!(table.contains("days ago"), "{table}");

    // Scan from the store: same matches as --osv, enriched from the store
    // (KEV, EPSS, and NVD CVSS for requests, whose OSV record has none).
    let o = mcpsec(
        &f,
        &["--data-dir", data, "scan", "project", "--format", "json"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(
        summary(&v),
        [
            ("TEST-2024-0001".into(), "left-pad".into(), 10.0),
            ("TEST-2024-0002".into(), "requests".into(), 9.3), // NVD 7.5 + 2×0.9
            ("TEST-2024-0003".into(), "lodash".into(), 4.0),
        ]
    );
    let req = finding(&v, "TEST-2024-0002");
    assert_eq!(req["vulnerability"]["severity"], "high", "from NVD CVSS");
    assert_eq!(req["vulnerability"]["cvss"][0]["score"], 7.5);
    assert_eq!(finding(&v, "TEST-2024-0003")["vulnerability"]["kev"], true);
    assert_eq!(
        mcpsec(
            &f,
            &[
                "--data-dir",
                data,
                "scan",
                "project",
                "--fail-on",
                "critical"
            ]
        )
        .status
        .code(),
        Some(1)
    );

    // Re-import: nothing changes; then a newer withdrawn left-pad record and
    // an older lodash record: one update, one unchanged.
    let out = stdout(&mcpsec(&f, &["--data-dir", data, "db", "import", "osv"]));
    assert!(
        out.contains("advisories: 0 new, 0 updated, 3 unchanged"),
        "{out}"
    );
    let out = stdout(&mcpsec(
        &f,
        &["--data-dir", data, "db", "import", "osv-update"],
    ));
    assert!(
        out.contains("advisories: 0 new, 1 updated, 1 unchanged"),
        "{out}"
    );
    let v = json(&mcpsec(
        &f,
        &["--data-dir", data, "scan", "project", "--format", "json"],
    ));
    let ids: Vec<String> = summary(&v).into_iter().map(|s| s.0).collect();
    assert_eq!(
        ids,
        ["TEST-2024-0002", "TEST-2024-0003"],
        "withdrawn left-pad no longer matches; lodash kept its newer record"
    );
    let st = json(&mcpsec(&f, &["--data-dir", data, "db", "status", "--json"]));
    let npm = st["advisories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["source"] == "osv" && s["ecosystem"] == "npm")
        .unwrap();
    assert_eq!(npm["withdrawn"], 1);

    // Only unreadable inputs: error.
    let o = mcpsec(
        &f,
        &["--data-dir", data, "db", "import", "reports/truncated.json"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
}

#[test]
fn scan_without_database_explains() {
    let f = fixtures();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let o = mcpsec(
        &f,
        &["--data-dir", data.to_str().unwrap(), "scan", "project"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("mcpsec db import"), "{}", stderr(&o));
}

/// Reachability hints end to end: a project with a lockfile (lodash direct
/// runtime, minimist direct dev-only) and a source file importing only
/// lodash; the dev-only, unimported finding is ranked last at 9.8 × 0.375.
#[test]
fn scan_reachability_hints() {
    let dir = std::env::temp_dir().join(format!("mcpsec-cli-reach-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("app/src")).unwrap();
    std::fs::create_dir_all(dir.join("osv")).unwrap();
    std::fs::write(
        dir.join("app/package-lock.json"),
        r#"{"name":"app","lockfileVersion":3,"packages":{"":{"name":"app","dependencies":{"lodash":"^4"},"devDependencies":{"minimist":"^1"}},"node_modules/lodash":{"version":"4.17.20"},"node_modules/minimist":{"version":"1.2.5","dev":true}}}"#,
    )
    .unwrap();
    std::fs::write(dir.join("app/src/a.js"), "const _ = require('lodash');\n").unwrap();
    std::fs::write(
        dir.join("osv/t.json"),
        r#"{"id":"TEST-REACH","modified":"2024-01-01T00:00:00Z","severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],"affected":[{"package":{"ecosystem":"npm","name":"lodash"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"4.17.21"}]}]},{"package":{"ecosystem":"npm","name":"minimist"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.2.6"}]}]}]}"#,
    )
    .unwrap();
    let o = mcpsec(&dir, &["scan", "app", "--osv", "osv", "--format", "json"]);
    let v = json(&o);
    assert_eq!(
        summary(&v),
        [
            ("TEST-REACH".to_string(), "lodash".to_string(), 9.8),
            ("TEST-REACH".to_string(), "minimist".to_string(), 3.7),
        ]
    );
    assert_eq!(
        v["findings"][1]["reachability"],
        serde_json::json!({"direct": true, "scope": "development", "imported": false})
    );
    assert_eq!(v["summary"]["source_files"], 1);
    let t = stdout(&mcpsec(&dir, &["scan", "app", "--osv", "osv"]));
    assert!(
        t.contains("REACH") && t.contains("direct, dev, not imported"),
        "{t}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
