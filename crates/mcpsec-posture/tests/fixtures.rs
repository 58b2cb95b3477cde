//! Every built-in check has a passing and a failing fixture under
//! `tests/fixtures/<ID>/` (`pass.*`/`fail.*`, or `pass/` and `fail/`
//! directories for Terraform modules). The passing fixture must be evaluated
//! by the check without a finding; the failing one must produce one.

use std::path::{Path, PathBuf};

use mcpsec_posture::policy::{DEFAULT_EVAL_TIMEOUT, PolicySet};
use mcpsec_posture::scan::{ScanOptions, scan_paths};

fn fixture(dir: &Path, stem: &str) -> PathBuf {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if name == stem || name.starts_with(&format!("{stem}.")) {
            return p;
        }
    }
    panic!("{}: no {stem} fixture", dir.display());
}

#[test]
fn every_check_passes_and_fails_its_fixtures() {
    let pack = PolicySet::builtin().compile_with(DEFAULT_EVAL_TIMEOUT, true);
    assert!(pack.errors.is_empty(), "{:#?}", pack.errors);
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let opts = ScanOptions {
        threads: 1,
        ..ScanOptions::default()
    };
    let mut problems = Vec::new();
    for check in &pack.checks {
        let id = &check.meta.id;
        let dir = root.join(id);
        if !dir.is_dir() {
            problems.push(format!("{id}: no fixtures in {}", dir.display()));
            continue;
        }
        for (stem, want_fail) in [("pass", false), ("fail", true)] {
            let path = fixture(&dir, stem);
            let report = scan_paths(&pack, std::slice::from_ref(&path), &opts);
            if !report.input_errors.is_empty() || !report.eval_errors.is_empty() {
                problems.push(format!(
                    "{id} {stem}: errors {:?} {:?}",
                    report.input_errors, report.eval_errors
                ));
            }
            let summary = report.checks.iter().find(|c| &c.id == id).unwrap();
            let found: Vec<_> = report
                .findings
                .iter()
                .filter(|f| &f.check_id == id)
                .collect();
            if summary.evaluated == 0 {
                problems.push(format!("{id} {stem}: check did not apply to the fixture"));
            } else if want_fail && found.is_empty() {
                problems.push(format!("{id} {stem}: expected a finding, got none"));
            } else if !want_fail && !found.is_empty() {
                problems.push(format!("{id} {stem}: unexpected finding {:?}", found[0]));
            }
            for f in &found {
                assert!(f.line >= 1, "{id}: finding without a line");
            }
            // The passing fixture of a check should not trip other checks of
            // the same input kind either: they are written as clean examples.
            if !want_fail {
                for f in report.findings.iter().filter(|f| &f.check_id != id) {
                    problems.push(format!(
                        "{id} pass fixture trips {}: {}",
                        f.check_id, f.message
                    ));
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert!(
        pack.checks.len() >= 150,
        "only {} checks",
        pack.checks.len()
    );
    eprintln!(
        "{} checks, all with passing and failing fixtures",
        pack.checks.len()
    );
}
