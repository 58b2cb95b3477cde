//! The official purl test suite (purl-spec tests/spec and tests/types): every
//! parse, build and validate case.

mod common;

use std::collections::BTreeMap;

use mcpsec_vuln::purl::Purl;
use serde_json::Value;

fn opt(v: &Value, k: &str) -> Option<String> {
    v.get(k).and_then(Value::as_str).map(str::to_string)
}

fn quals(v: &Value) -> BTreeMap<String, String> {
    v.get("qualifiers")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default()
}

type Parts = (
    String,
    Option<String>,
    String,
    Option<String>,
    BTreeMap<String, String>,
    Option<String>,
);

fn components(p: &Purl) -> Parts {
    (
        p.ty.clone(),
        p.namespace.clone(),
        p.name.clone(),
        p.version.clone(),
        p.qualifiers.clone(),
        p.subpath.clone(),
    )
}

/// Runs one case; `Err` describes the failure.
fn run_case(t: &Value) -> Result<(), String> {
    let kind = t["test_type"].as_str().unwrap();
    let fail = t["expected_failure"].as_bool().unwrap_or(false);
    let input = &t["input"];
    let out = &t["expected_output"];
    match kind {
        "parse" => {
            let s = input.as_str().unwrap();
            if fail {
                // Expected failures are checked with the strict parser, which
                // also rejects qualifier keys that are not lowercase.
                return match Purl::parse_strict(s) {
                    Ok(p) => Err(format!("parsed {s:?} as {p}, expected failure")),
                    Err(_) => Ok(()),
                };
            }
            let p = Purl::parse(s).map_err(|e| format!("parse {s:?}: {e}"))?;
            let want = (
                opt(out, "type").unwrap_or_default(),
                opt(out, "namespace"),
                opt(out, "name").unwrap_or_default(),
                opt(out, "version"),
                quals(out),
                opt(out, "subpath"),
            );
            if components(&p) != want {
                return Err(format!(
                    "parse {s:?}: got {:?}, want {want:?}",
                    components(&p)
                ));
            }
            Ok(())
        }
        "validate" => {
            let s = input.as_str().unwrap();
            match (Purl::parse(s), fail) {
                (Ok(p), false) => {
                    let want = out.as_str().unwrap();
                    if p.to_string() != want {
                        return Err(format!("validate {s:?}: got {p}, want {want}"));
                    }
                    Ok(())
                }
                (Err(_), true) => Ok(()),
                (Ok(p), true) => Err(format!("validate {s:?}: accepted as {p}, expected failure")),
                (Err(e), false) => Err(format!("validate {s:?}: {e}")),
            }
        }
        "build" => {
            let q = quals(input);
            let r = Purl::build(
                &opt(input, "type").unwrap_or_default(),
                opt(input, "namespace").as_deref(),
                &opt(input, "name").unwrap_or_default(),
                opt(input, "version").as_deref(),
                q,
                opt(input, "subpath").as_deref(),
            );
            match (r, fail) {
                (Ok(p), false) => {
                    let want = out.as_str().unwrap();
                    if p.to_string() != want {
                        return Err(format!("build {input}: got {p}, want {want}"));
                    }
                    Ok(())
                }
                (Err(_), true) => Ok(()),
                (Ok(p), true) => Err(format!("build {input}: built {p}, expected failure")),
                (Err(e), false) => Err(format!("build {input}: {e}")),
            }
        }
        other => Err(format!("unknown test_type {other}")),
    }
}

#[test]
fn purl_spec_suite() {
    let Some(dir) = common::vuln_data("purl-spec/tests") else {
        return;
    };
    let mut files: Vec<_> = ["spec", "types"]
        .iter()
        .flat_map(|d| {
            std::fs::read_dir(dir.join(d))
                .unwrap()
                .map(|e| e.unwrap().path())
        })
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let (mut total, mut failures) = (0, Vec::new());
    for f in &files {
        let doc = common::read_json(f);
        for t in doc["tests"].as_array().unwrap() {
            total += 1;
            if let Err(e) = run_case(t) {
                failures.push(format!(
                    "{}: [{}] {e}",
                    f.file_name().unwrap().to_string_lossy(),
                    t["test_group"]
                ));
            }
        }
    }
    eprintln!(
        "purl suite: {}/{} cases pass in {} files",
        total - failures.len(),
        total,
        files.len()
    );
    for f in &failures {
        eprintln!("  FAIL {f}");
    }
    assert!(total >= 586, "expected the full suite, found {total} cases");
    assert!(failures.is_empty(), "{} purl cases fail", failures.len());
}
