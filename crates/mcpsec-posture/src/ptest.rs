//! `mcpsec policy test`: run the `test_*` rules of Rego files, like `opa test`.
//!
//! Every `.rego` file under the given paths is loaded into one engine
//! together with the built-in libraries (`data.lib.k8s`,
//! `data.lib.terraform`) and the built-in policies, so tests can call them
//! (`data.mcpsec.checks.k8s_001.deny with input as {...}`). A test passes
//! when its rule evaluates to `true`; false, undefined or an error fail it.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::policy::{PolicySet, package_of, rego_files};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TestStatus {
    Pass,
    Fail,
    Error,
}

#[derive(Debug, Clone, Serialize)]
pub struct TestResult {
    pub file: String,
    pub name: String,
    pub status: TestStatus,
    pub message: Option<String>,
    pub duration_us: u64,
}

/// Outcome of a test run; `load_errors` lists files that did not compile.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TestRun {
    pub results: Vec<TestResult>,
    pub load_errors: Vec<(String, String)>,
}

impl TestRun {
    pub fn ok(&self) -> bool {
        self.load_errors.is_empty() && self.results.iter().all(|r| r.status == TestStatus::Pass)
    }
}

/// Names of `test_*` rules defined at the start of a line.
fn test_rules(rego: &str) -> Vec<String> {
    let mut out: Vec<String> = rego
        .lines()
        .filter_map(|l| {
            let name: String = l
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            (name.starts_with("test_")
                && l[name.len()..]
                    .trim_start()
                    .starts_with(['i', '{', ':', '=']))
            .then_some(name)
        })
        .collect();
    out.dedup();
    out
}

/// Runs the tests under `paths`, each under `timeout`.
pub fn run(paths: &[PathBuf], timeout: Duration, filter: Option<&str>) -> std::io::Result<TestRun> {
    let mut files = Vec::new();
    for p in paths {
        rego_files(p, &mut files)?;
    }
    files.sort();
    let mut engine = regorus::Engine::new();
    engine.set_execution_timer_config(regorus::utils::limits::ExecutionTimerConfig {
        limit: timeout,
        check_interval: std::num::NonZeroU32::new(64).expect("non-zero"),
    });
    let builtin = PolicySet::builtin();
    for (f, rego) in &builtin.libs {
        engine.add_policy(f.clone(), rego.clone()).ok();
    }
    for p in &builtin.policies {
        engine.add_policy(p.file.clone(), p.rego.clone()).ok();
    }
    let mut run = TestRun::default();
    let mut tests = Vec::new();
    for f in &files {
        let file = f.display().to_string();
        let text = match std::fs::read_to_string(f) {
            Ok(t) => t,
            Err(e) => {
                run.load_errors.push((file, e.to_string()));
                continue;
            }
        };
        let mut probe = engine.clone();
        if let Err(e) = probe.add_policy(file.clone(), text.clone()) {
            run.load_errors
                .push((file, e.to_string().trim().to_string()));
            continue;
        }
        engine = probe;
        if let Some(pkg) = package_of(&text) {
            for t in test_rules(&text) {
                if filter.is_none_or(|flt| t.contains(flt)) {
                    tests.push((file.clone(), pkg.clone(), t));
                }
            }
        }
    }
    for (file, pkg, name) in tests {
        let start = Instant::now();
        let res = engine.eval_rule(format!("data.{pkg}.{name}"));
        let (status, message) = match res {
            Ok(regorus::Value::Bool(true)) => (TestStatus::Pass, None),
            Ok(regorus::Value::Undefined) => (TestStatus::Fail, Some("undefined".to_string())),
            Ok(v) => (TestStatus::Fail, Some(v.to_json_str().unwrap_or_default())),
            Err(e) => (TestStatus::Error, Some(e.to_string().trim().to_string())),
        };
        run.results.push(TestResult {
            file,
            name: format!("data.{pkg}.{name}"),
            status,
            message,
            duration_us: start.elapsed().as_micros() as u64,
        });
    }
    Ok(run)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_tests_and_reports_failures() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("x_test.rego"),
            "package t\n\nimport rego.v1\n\ntest_ok if { 1 == 1 }\n\ntest_bad if { 1 == 2 }\n\ntest_priv if {\n\tcount(data.mcpsec.checks.k8s_001.deny) == 1 with input as {\"kind\": \"Pod\", \"spec\": {\"containers\": [{\"name\": \"a\", \"securityContext\": {\"privileged\": true}}]}}\n}\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("broken.rego"), "package b\n\nx := := 1\n").unwrap();
        let r = run(&[dir.path().to_path_buf()], Duration::from_secs(2), None).unwrap();
        assert_eq!(r.load_errors.len(), 1);
        let st: Vec<_> = r
            .results
            .iter()
            .map(|t| (t.name.as_str(), t.status.clone()))
            .collect();
        assert_eq!(
            st,
            vec![
                ("data.t.test_ok", TestStatus::Pass),
                ("data.t.test_bad", TestStatus::Fail),
                ("data.t.test_priv", TestStatus::Pass)
            ]
        );
        assert!(!r.ok());
    }

    #[test]
    fn shipped_rego_tests_pass() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/rego");
        let r = run(&[dir], Duration::from_secs(5), None).unwrap();
        assert!(r.results.len() >= 5);
        assert!(r.ok(), "{:#?}", r);
    }
}
