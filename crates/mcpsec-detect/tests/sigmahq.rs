//! Tests on real data: the public SigmaHQ rule set and its regression data
//! (EVTX files, each with an info file naming the rule it must trigger).
//! Skipped, with a visible message, when the shared data is absent.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;

use mcpsec_detect::hunt::{HuntOptions, hunt};
use mcpsec_detect::{LoadOptions, RuleErrorKind, RuleSet};

const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data");

fn sigma_dir() -> Option<PathBuf> {
    let p = Path::new(SHARED).join("sigma");
    p.join("rules").is_dir().then_some(p)
}

const RULE_DIRS: &[&str] = &[
    "rules",
    "rules-emerging-threats",
    "rules-threat-hunting",
    "rules-compliance",
    "rules-dfir",
    "rules-placeholder",
];

fn load_all(sigma: &Path) -> (RuleSet, Vec<mcpsec_detect::RuleError>, usize) {
    let paths: Vec<PathBuf> = RULE_DIRS
        .iter()
        .map(|d| sigma.join(d))
        .filter(|p| p.is_dir())
        .collect();
    let total = paths.iter().map(|p| count_files(p)).sum();
    let (set, errors) = RuleSet::load_paths(&paths, &LoadOptions::default());
    (set, errors, total)
}

fn count_files(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| {
                    let p = e.path();
                    if p.is_dir() {
                        count_files(&p)
                    } else {
                        usize::from(p.extension().is_some_and(|x| x == "yml"))
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}

#[test]
fn sigmahq_rules_load_with_reasons_for_rejects() {
    let Some(sigma) = sigma_dir() else {
        eprintln!("SKIPPED sigmahq_rules_load_with_reasons_for_rejects: {SHARED}/sigma is absent");
        return;
    };
    let (set, errors, files) = load_all(&sigma);
    let mut by_kind: BTreeMap<RuleErrorKind, usize> = BTreeMap::new();
    for e in &errors {
        *by_kind.entry(e.kind()).or_default() += 1;
        assert!(!e.issue.message.is_empty(), "{e}");
        assert!(e.path.starts_with(&sigma), "{e}");
        eprintln!(
            "rejected {}: {}",
            e.path.strip_prefix(&sigma).unwrap().display(),
            e.issue
        );
    }
    let rejected_files: std::collections::BTreeSet<_> =
        errors.iter().map(|e| e.path.clone()).collect();
    eprintln!(
        "SigmaHQ: {files} files, {} detection rules and {} correlations loaded, {} rejected files {by_kind:?}; {} windows rules without log source mapping",
        set.len(),
        set.correlations().len(),
        rejected_files.len(),
        set.unmapped_windows
    );
    assert!(files > 3000, "{files}");
    let loaded_ratio = 1.0 - rejected_files.len() as f64 / files as f64;
    assert!(
        loaded_ratio >= 0.98,
        "only {:.1}% of the rule files load",
        loaded_ratio * 100.0
    );
    assert!(set.len() >= 3700, "{}", set.len());
    // Every rejected file is in a known category with a reason.
    assert!(!by_kind.contains_key(&RuleErrorKind::Io));
    assert!(!by_kind.contains_key(&RuleErrorKind::Yaml), "{by_kind:?}");
}

#[derive(Debug)]
struct Case {
    rule_id: String,
    evtx: PathBuf,
    expected: Option<u64>,
}

fn regression_cases(sigma: &Path) -> Vec<Case> {
    let mut infos = Vec::new();
    fn walk(d: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.file_name().is_some_and(|n| n == "info.yml") {
                out.push(p);
            }
        }
    }
    walk(&sigma.join("regression_data"), &mut infos);
    infos.sort();
    let mut cases = Vec::new();
    for info in infos {
        let text = std::fs::read_to_string(&info).unwrap();
        let doc = &yaml_rust2::YamlLoader::load_from_str(&text).unwrap()[0];
        let rule_id = doc["rule_metadata"][0]["id"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        for t in doc["regression_tests_info"].as_vec().into_iter().flatten() {
            if t["type"].as_str() != Some("evtx") {
                continue;
            }
            let rel = t["path"].as_str().unwrap_or_default();
            let evtx = sigma.join(rel);
            let evtx = if evtx.is_file() {
                evtx
            } else {
                info.parent()
                    .unwrap()
                    .join(Path::new(rel).file_name().unwrap())
            };
            cases.push(Case {
                rule_id: rule_id.clone(),
                evtx,
                expected: t["match_count"].as_i64().map(|n| n as u64),
            });
        }
    }
    cases
}

#[test]
fn regression_data_triggers_the_named_rules() {
    let Some(sigma) = sigma_dir() else {
        eprintln!("SKIPPED regression_data_triggers_the_named_rules: {SHARED}/sigma is absent");
        return;
    };
    let (set, errors, _) = load_all(&sigma);
    let cases = regression_cases(&sigma);
    assert!(cases.len() >= 150, "{}", cases.len());
    let mut pass = 0;
    let mut count_mismatch = 0;
    let mut failures = Vec::new();
    for c in &cases {
        let Some(rule) = set
            .rules()
            .iter()
            .find(|r| r.meta.id.as_deref() == Some(&c.rule_id))
        else {
            let why = errors
                .iter()
                .find(|e| std::fs::read_to_string(&e.path).is_ok_and(|t| t.contains(&c.rule_id)))
                .map(|e| format!("rule rejected: {}", e.issue))
                .unwrap_or_else(|| "rule not in the rule set".into());
            failures.push(format!("{} ({}): {why}", c.rule_id, c.evtx.display()));
            continue;
        };
        let report = hunt(
            &set,
            std::slice::from_ref(&c.evtx),
            &HuntOptions::default(),
            &AtomicU64::new(0),
        );
        if let Some(f) = report.files.iter().find_map(|f| f.failed.clone()) {
            failures.push(format!(
                "{} {}: input failed: {f}",
                c.rule_id, rule.meta.title
            ));
            continue;
        }
        let hits = report
            .detections
            .iter()
            .filter(|d| d.rule.id.as_deref() == Some(&c.rule_id))
            .count() as u64;
        if hits == 0 {
            failures.push(format!(
                "{} {} ({}): no detection in {} events",
                c.rule_id,
                rule.meta.title,
                c.evtx.strip_prefix(&sigma).unwrap().display(),
                report.events
            ));
            continue;
        }
        pass += 1;
        if c.expected.is_some_and(|e| e != hits) {
            count_mismatch += 1;
            eprintln!(
                "count mismatch {} {}: expected {:?}, got {hits}",
                c.rule_id, rule.meta.title, c.expected
            );
        }
    }
    for f in &failures {
        eprintln!("FAIL {f}");
    }
    let rate = pass as f64 / cases.len() as f64;
    eprintln!(
        "regression: {pass}/{} pass ({:.1}%), {count_mismatch} with a different match count",
        cases.len(),
        rate * 100.0
    );
    assert!(rate >= 0.95, "regression pass rate {:.1}%", rate * 100.0);
}

/// The shared literal prefilter only skips work: with and without it, the
/// whole rule set gives the same detections on the EVTX samples and the
/// regression data.
#[test]
fn prefilter_does_not_change_detections() {
    let Some(sigma) = sigma_dir() else {
        eprintln!("SKIPPED prefilter_does_not_change_detections: {SHARED}/sigma is absent");
        return;
    };
    let paths: Vec<PathBuf> = RULE_DIRS
        .iter()
        .map(|d| sigma.join(d))
        .filter(|p| p.is_dir())
        .collect();
    let inputs: Vec<PathBuf> = ["evtx-samples", "regression_data"]
        .iter()
        .map(|d| sigma.join(d))
        .filter(|p| p.is_dir())
        .collect();
    let files = mcpsec_detect::input::collect_inputs(&inputs).unwrap();
    let run = |no_prefilter: bool| {
        let opts = LoadOptions {
            no_prefilter,
            ..Default::default()
        };
        let (set, _) = RuleSet::load_paths(&paths, &opts);
        assert_eq!(set.prefilter().is_some(), !no_prefilter);
        let r = hunt(&set, &files, &HuntOptions::default(), &AtomicU64::new(0));
        let mut v: Vec<(String, String, u64)> = r
            .detections
            .iter()
            .map(|d| {
                let s = d.source.as_ref();
                (
                    d.rule.title.clone(),
                    s.map(|s| s.file.display().to_string()).unwrap_or_default(),
                    s.map_or(0, |s| s.record_id),
                )
            })
            .collect();
        v.sort();
        (v, set.prefilter().map(|p| (p.fields(), p.literals())))
    };
    let (with, shape) = run(false);
    let (without, _) = run(true);
    eprintln!(
        "{} detections; prefilter (fields, literals) = {shape:?}",
        with.len()
    );
    assert!(with.len() > 1000, "{}", with.len());
    assert_eq!(with, without);
}

/// NDJSON lines are parsed straight into the event tree (no serde_json::Value
/// in between); every event of the EVTX samples and the regression data,
/// written as NDJSON, must give the same event, record id, time and
/// detections as the serde_json path (`read_json_bytes` over the same text).
#[test]
fn ndjson_direct_parse_equals_serde_path() {
    let Some(sigma) = sigma_dir() else {
        eprintln!("SKIPPED ndjson_direct_parse_equals_serde_path: {SHARED}/sigma is absent");
        return;
    };
    let inputs: Vec<PathBuf> = ["evtx-samples", "regression_data"]
        .iter()
        .map(|d| sigma.join(d))
        .filter(|p| p.is_dir())
        .collect();
    let files = mcpsec_detect::input::collect_inputs(&inputs).unwrap();
    let mut ndjson = String::new();
    for f in &files {
        let _ = mcpsec_detect::input::read_file(f, &mut |r| {
            ndjson.push_str(&r.event.to_json().to_string());
            ndjson.push('\n');
        });
    }
    // A few hand-written shapes too: CloudTrail, nested objects, escapes,
    // repeated keys, numbers, a Windows EVTX-JSON record (flattened).
    ndjson.push_str(r#"{"eventVersion":"1.08","eventSource":"iam.amazonaws.com","eventName":"CreateUser","userIdentity":{"type":"Root"},"eventTime":"2024-01-01T00:00:00Z"}"#);
    ndjson.push('\n');
    ndjson.push_str(r#"{"CommandLine":"cmd.exe /c \"WHOAMI\"\t\u00e9","a":1,"a":2.5e3,"n":-7,"big":18446744073709551616,"x":null,"l":[true,{"K":"V"}]}"#);
    ndjson.push('\n');
    ndjson.push_str(r#"{"Event":{"System":{"EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational"},"EventData":{"Image":"C:\\x\\mimikatz.exe"}}}"#);
    ndjson.push('\n');

    let (set, _) = RuleSet::load_dir(sigma.join("rules/windows"));
    let collect = |direct: bool| {
        let mut cache = mcpsec_detect::ruleset::DispatchCache::default();
        let mut out = Vec::new();
        let mut f = |mut r: mcpsec_detect::input::Record| {
            let hits = mcpsec_detect::hunt::match_event(&set, &mut cache, &mut r.event);
            out.push((
                format!("{:?}", r.event.root()),
                r.event.input(),
                r.record_id,
                r.timestamp,
                hits,
            ));
        };
        if direct {
            let stats = mcpsec_detect::input::read_ndjson_from(ndjson.as_bytes(), &mut f).unwrap();
            assert_eq!(stats.error_count, 0, "{:?}", stats.errors);
        } else {
            let stats = mcpsec_detect::input::read_json_bytes(ndjson.as_bytes(), false, &mut f);
            assert_eq!(stats.error_count, 0, "{:?}", stats.errors);
        }
        out
    };
    let direct = collect(true);
    let serde = collect(false);
    let hits: usize = direct.iter().map(|e| e.4.len()).sum();
    eprintln!("{} events, {hits} detections", direct.len());
    assert!(
        direct.len() > 5000 && hits > 1000,
        "{} {hits}",
        direct.len()
    );
    assert_eq!(direct.len(), serde.len());
    for (a, b) in direct.iter().zip(&serde) {
        assert_eq!(a, b);
    }
}
