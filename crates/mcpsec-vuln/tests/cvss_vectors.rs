//! Red Hat's CVSS test vectors (vector - (base, temporal, environmental)).

mod common;

use mcpsec_vuln::cvss;

fn parse_expected(s: &str) -> Vec<Option<f64>> {
    s.trim()
        .trim_start_matches('(')
        .trim_end_matches(')')
        .split(',')
        .filter(|x| !x.trim().is_empty())
        .map(|x| x.trim().parse::<f64>().ok())
        .collect()
}

fn run(files: &[&str]) -> (usize, Vec<String>) {
    let Some(dir) = common::vuln_data("cvss-redhat-vectors/tests") else {
        return (0, vec![]);
    };
    let mut total = 0;
    let mut fails = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(dir.join(f)).unwrap();
        let mut n = 0;
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let (vector, expected) = line.split_once(" - ").unwrap();
            let want = parse_expected(expected);
            total += 1;
            n += 1;
            match cvss::score(vector) {
                Ok(s) => {
                    let got = [Some(s.base), s.temporal, s.environmental];
                    let ok = want.iter().enumerate().all(|(i, w)| match (w, got[i]) {
                        (None, _) => true, // "None": the reference gives no score for that group
                        (Some(w), Some(g)) => (w - g).abs() < 1e-9 || (*w == 0.0 && g == 0.0),
                        (Some(_), None) => false,
                    });
                    if !ok {
                        fails.push(format!("{f}: {vector}: want {expected}, got {got:?}"));
                    }
                }
                Err(e) => fails.push(format!("{f}: {vector}: {e}")),
            }
        }
        eprintln!("{f}: {n} vectors");
    }
    eprintln!("CVSS {files:?}: {}/{} pass", total - fails.len(), total);
    for x in fails.iter().take(30) {
        eprintln!("  FAIL {x}");
    }
    (total, fails)
}

#[test]
fn cvss_v2_vectors() {
    let (total, fails) = run(&["vectors_simple2", "vectors_calculator2", "vectors_cvsslib2"]);
    if total == 0 {
        return;
    }
    assert_eq!(total, 758);
    assert!(fails.is_empty(), "{} v2 vectors fail", fails.len());
}

#[test]
fn cvss_v3_vectors() {
    let (total, fails) = run(&[
        "vectors_simple3",
        "vectors_simple31",
        "vectors_calculator3",
        "vectors_cvsslib3",
    ]);
    if total == 0 {
        return;
    }
    assert_eq!(total, 5215);
    assert!(fails.is_empty(), "{} v3 vectors fail", fails.len());
}

#[test]
fn cvss_v4_vectors() {
    let (total, fails) = run(&[
        "vectors_simple4",
        "vectors_security4",
        "vectors_supplemental4",
        "vectors_threat4",
    ]);
    if total == 0 {
        return;
    }
    assert_eq!(total, 1694);
    assert!(fails.is_empty(), "{} v4 vectors fail", fails.len());
}
