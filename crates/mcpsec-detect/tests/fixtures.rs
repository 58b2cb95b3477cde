//! End-to-end on hand-written fixtures: rule loading with rejects, log
//! source dispatch and field translation, windash, base64offset, a meta
//! filter, an event-count correlation and the JSON detection contract.

use std::path::PathBuf;
use std::sync::atomic::AtomicU64;

use mcpsec_detect::hunt::{HuntOptions, hunt, summarize};
use mcpsec_detect::{RuleErrorKind, RuleSet};

fn fixtures() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures"))
}

#[test]
fn fixture_rules_load_and_report_rejects() {
    let (set, errors) = RuleSet::load_dir(fixtures().join("rules"));
    assert_eq!(
        set.len(),
        3,
        "{:?}",
        set.rules()
            .iter()
            .map(|r| &r.meta.title)
            .collect::<Vec<_>>()
    );
    assert_eq!(set.correlations().len(), 1);
    let mut rejected: Vec<(String, RuleErrorKind)> = errors
        .iter()
        .map(|e| {
            (
                e.path.file_name().unwrap().to_string_lossy().into_owned(),
                e.kind(),
            )
        })
        .collect();
    rejected.sort();
    assert_eq!(
        rejected,
        vec![
            ("bad_condition.yml".to_string(), RuleErrorKind::Condition),
            ("broken_yaml.yml".to_string(), RuleErrorKind::Yaml),
            (
                "unknown_modifier.yml".to_string(),
                RuleErrorKind::UnknownModifier
            ),
        ]
    );
    assert!(
        errors
            .iter()
            .any(|e| e.issue.message.contains("sounds_like"))
    );
    assert!(errors.iter().any(|e| e.issue.message.contains("filter")));
}

#[test]
fn fixture_hunt_finds_expected_detections() {
    let (set, _) = RuleSet::load_dir(fixtures().join("rules"));
    let file = fixtures().join("events/windows.ndjson");
    let report = hunt(
        &set,
        std::slice::from_ref(&file),
        &HuntOptions::default(),
        &AtomicU64::new(0),
    );
    assert_eq!(report.events, 10);
    assert_eq!(
        report.files[0].stats.error_count, 1,
        "the non-JSON line is reported"
    );
    let got: Vec<(String, Option<u64>)> = report
        .detections
        .iter()
        .map(|d| (d.rule.title.clone(), d.source.as_ref().map(|s| s.record_id)))
        .collect();
    assert_eq!(
        got,
        vec![
            // Sysmon 1.
            ("Whoami Privilege Discovery".to_string(), Some(1)),
            // Security 4688: NewProcessName translated to Image, en dash matched by windash.
            ("Whoami Privilege Discovery".to_string(), Some(2)),
            // Record 3 is from jump01 (meta filter), record 4 is Sysmon 3 (not process creation).
            (
                "Encoded Invoke-Expression In Script Block".to_string(),
                Some(5)
            ),
            ("Logon Brute Force".to_string(), None),
        ]
    );
    let corr = report.detections[3].correlation.as_ref().unwrap();
    assert_eq!(corr.group["TargetUserName"], "admin");
    assert_eq!(
        corr.events.iter().map(|e| e.record_id).collect::<Vec<_>>(),
        vec![6, 7, 9]
    );

    // The JSON contract.
    let j = serde_json::to_value(&report.detections[1]).unwrap();
    assert_eq!(j["rule"]["id"], "5e1f0c2a-0000-4000-8000-000000000001");
    assert_eq!(j["rule"]["title"], "Whoami Privilege Discovery");
    assert_eq!(j["rule"]["level"], "medium");
    assert_eq!(
        j["rule"]["tags"],
        serde_json::json!(["attack.discovery", "attack.t1033"])
    );
    assert_eq!(j["timestamp"], "2024-05-01T10:01:00Z");
    assert_eq!(j["source"]["record_id"], 2);
    assert!(
        j["source"]["file"]
            .as_str()
            .unwrap()
            .ends_with("windows.ndjson")
    );
    assert_eq!(
        j["event"]["NewProcessName"],
        "C:\\Windows\\System32\\WHOAMI.EXE"
    );
    assert_eq!(j["event"]["Computer"], "ws02");
    assert_eq!(
        j["techniques"],
        serde_json::json!([{"id": "T1033", "name": "System Owner/User Discovery"}])
    );
    assert_eq!(
        j["tactics"],
        serde_json::json!([{"id": "TA0007", "name": "Discovery"}])
    );
    let c = serde_json::to_value(&report.detections[3]).unwrap();
    assert_eq!(c["correlation"]["type"], "event_count");
    assert_eq!(c["correlation"]["count"], 3);
    assert!(c.get("event").is_none());

    let s = summarize(&report.detections);
    assert_eq!(s.by_tactic["TA0007 Discovery"], 2);
    assert_eq!(s.by_tactic["TA0006 Credential Access"], 1);
    assert_eq!(s.by_technique["T1059.001 PowerShell"], 1);
}
