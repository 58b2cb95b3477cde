//! Property-based fuzzing of the REST API from its own OpenAPI document with
//! Schemathesis (PyPI): a running server (demo data, bootstrap key) must
//! never answer 5xx, every response must match its documented schema, and
//! every status code must be documented.
//!
//! Needs `MCPSEC_TEST_SCHEMATHESIS_BIN` (the `schemathesis` executable;
//! `scripts/test.sh` installs it into a venv). Without it the test prints
//! SKIPPED, or fails when `MCPSEC_TEST_REQUIRE_SERVICES=1`.
//!
//! Knobs: `MCPSEC_TEST_SCHEMATHESIS_MAX_EXAMPLES` (per operation, default 25),
//! `MCPSEC_TEST_SCHEMATHESIS_PHASES` (default `examples,coverage,fuzzing,stateful`;
//! the coverage phase needs Python >= 3.13, see scripts/test.sh),
//! `MCPSEC_TEST_SCHEMATHESIS_SEED` (default 1, so a run is reproducible).

mod common;

use std::process::Command;

use common::*;

#[test]
fn openapi_fuzzing_finds_no_server_errors_or_schema_violations() {
    let Some(bin) = mcpsec_testkit::service_env(
        "MCPSEC_TEST_SCHEMATHESIS_BIN",
        "openapi_fuzzing_finds_no_server_errors_or_schema_violations",
    ) else {
        return;
    };
    let env = |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.into());
    let phases = env(
        "MCPSEC_TEST_SCHEMATHESIS_PHASES",
        "examples,coverage,fuzzing,stateful",
    );
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let s = Server::start(&data, &["--role", "all", "--demo"], &[]);
    let report = dir.path().join("schemathesis.junit.xml");
    let out = Command::new(&bin)
        .arg("run")
        .arg(s.url("/api/v1/openapi.json"))
        .args(["-H", &format!("Authorization: Bearer {TEST_BOOTSTRAP_KEY}")])
        .args([
            "--checks",
            "not_a_server_error,response_schema_conformance,status_code_conformance",
        ])
        .args(["--phases", &phases])
        .args([
            "--max-examples",
            &env("MCPSEC_TEST_SCHEMATHESIS_MAX_EXAMPLES", "25"),
        ])
        .args(["--seed", &env("MCPSEC_TEST_SCHEMATHESIS_SEED", "1")])
        .args(["--workers", "2", "--request-timeout", "30"])
        .args(["--report", "junit", "--report-junit-path"])
        .arg(&report)
        // Plain output in the test log.
        .env("NO_COLOR", "1")
        .current_dir(dir.path())
        .output()
        .expect("run schemathesis");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "schemathesis found problems (exit {:?}):\n{stdout}\n{stderr}",
        out.status.code()
    );
    // It really ran: operations were tested and test cases generated.
    assert!(
        stdout.contains("Tested:") && stdout.contains("generated"),
        "unexpected schemathesis output:\n{stdout}\n{stderr}"
    );
    // The coverage phase (boundary and invalid values of every parameter)
    // ran rather than being skipped.
    if phases.split(',').any(|p| p == "coverage") {
        assert!(
            stdout
                .lines()
                .any(|l| l.contains("Coverage") && l.contains('✅')),
            "the coverage phase did not run:\n{stdout}"
        );
    } else {
        eprintln!(
            "SKIPPED: Schemathesis coverage phase (MCPSEC_TEST_SCHEMATHESIS_PHASES={phases})"
        );
    }
    let junit = std::fs::read_to_string(&report).expect("junit report");
    assert!(
        junit.contains("/api/v1/tenants/{tenant}/findings/{id}"),
        "the report lists the tested operations"
    );
    eprintln!(
        "{}",
        stdout
            .lines()
            .skip_while(|l| !l.contains("SUMMARY"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}
