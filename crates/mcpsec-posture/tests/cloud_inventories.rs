//! Cloud inventories in the export shapes of the providers' query tools
//! (fixtures written by us after the documented output shapes, in
//! `tests/inventories/`): AWS Config advanced query results, Azure Resource
//! Graph (`az graph query` and the REST table form), GCP Cloud Asset
//! Inventory (`export` NDJSON, `search-all-resources`) and NDJSON inventories.
//! The existing cloud checks run on them; bad records are reported and
//! skipped.

use std::path::{Path, PathBuf};

use mcpsec_posture::policy::{CompiledPack, DEFAULT_EVAL_TIMEOUT, PolicySet};
use mcpsec_posture::scan::{ScanOptions, ScanReport, scan_paths};

fn pack() -> CompiledPack {
    PolicySet::builtin().compile(DEFAULT_EVAL_TIMEOUT)
}

fn inv(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/inventories")
        .join(name)
}

fn scan(pack: &CompiledPack, paths: &[PathBuf]) -> ScanReport {
    scan_paths(pack, paths, &ScanOptions::default())
}

/// `(check, resource, line)` of the findings.
fn hits(r: &ScanReport) -> Vec<(String, String, u32)> {
    r.findings
        .iter()
        .map(|f| (f.check_id.clone(), f.resource.clone(), f.line))
        .collect()
}

fn has(r: &ScanReport, check: &str, resource_part: &str) -> bool {
    r.findings
        .iter()
        .any(|f| f.check_id == check && f.resource.contains(resource_part))
}

#[test]
fn aws_config_advanced_query_results_are_decoded() {
    let pack = pack();
    let r = scan(&pack, &[inv("aws-config-select.json")]);
    assert!(r.input_errors.is_empty(), "{:?}", r.input_errors);
    assert_eq!(r.resources, 2);
    assert!(has(&r, "AWS-001", "open-bucket"), "{:?}", hits(&r));
    assert!(has(&r, "AWS-002", "open-bucket"), "{:?}", hits(&r));
    assert!(!has(&r, "AWS-001", "closed-bucket"), "{:?}", hits(&r));
    // Findings point at the line of the result's string.
    let f = r.findings.iter().find(|f| f.check_id == "AWS-001").unwrap();
    let text = std::fs::read_to_string(inv("aws-config-select.json")).unwrap();
    let line = text.lines().nth(f.line as usize - 1).unwrap();
    assert!(line.contains("open-bucket"), "line {}: {line}", f.line);
}

#[test]
fn aws_config_query_bad_results_are_reported_and_skipped() {
    let pack = pack();
    let r = scan(&pack, &[inv("aws-config-select-bad.json")]);
    assert_eq!(r.resources, 1, "{:?}", r.input_errors);
    assert!(has(&r, "AWS-001", "open-bucket"));
    let reasons: Vec<&str> = r.input_errors.iter().map(|e| e.reason.as_str()).collect();
    assert_eq!(reasons.len(), 3, "{reasons:?}");
    assert!(
        reasons[0].starts_with("Results[1]: no AWS resourceType"),
        "{reasons:?}"
    );
    assert!(
        reasons[1].starts_with("Results[2]: invalid JSON"),
        "{reasons:?}"
    );
    assert!(
        reasons[2].starts_with("Results[3]: not a JSON object"),
        "{reasons:?}"
    );
    assert!(
        r.input_errors
            .iter()
            .all(|e| e.file.ends_with("aws-config-select-bad.json"))
    );
}

#[test]
fn azure_resource_graph_outputs() {
    let pack = pack();
    let r = scan(&pack, &[inv("azure-graph-query.json")]);
    assert!(r.input_errors.is_empty(), "{:?}", r.input_errors);
    assert_eq!(r.resources, 2);
    assert!(has(&r, "AZ-001", "plainhttp"), "{:?}", hits(&r));
    assert!(has(&r, "AZ-003", "plainhttp"), "{:?}", hits(&r));
    assert!(!has(&r, "AZ-001", "strict") && !has(&r, "AZ-003", "strict"));
    // The REST API's table form (columns + rows).
    let r = scan(&pack, &[inv("azure-graph-table.json")]);
    assert_eq!(r.resources, 1, "{:?}", r.input_errors);
    assert!(has(&r, "AZ-001", "tableacct"), "{:?}", hits(&r));
}

#[test]
fn gcp_asset_export_ndjson_and_search_results() {
    let pack = pack();
    let r = scan(&pack, &[inv("gcp-asset-export.ndjson")]);
    assert!(r.input_errors.is_empty(), "{:?}", r.input_errors);
    assert_eq!(r.resources, 2);
    let f: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.check_id == "GCP-001")
        .collect();
    assert_eq!(f.len(), 1, "{:?}", hits(&r));
    assert_eq!(f[0].resource, "//storage.googleapis.com/acl-bucket");
    assert_eq!(f[0].line, 1);
    let r = scan(&pack, &[inv("gcp-search-all-resources.json")]);
    assert_eq!(r.resources, 1, "{:?}", r.input_errors);
    assert!(has(&r, "GCP-001", "searched-bucket"), "{:?}", hits(&r));
}

#[test]
fn ndjson_bad_lines_are_reported_and_the_rest_scanned() {
    let pack = pack();
    // A `.json` file with one object per line is read as NDJSON.
    let r = scan(&pack, &[inv("gcp-asset-export-bad.json")]);
    assert_eq!(r.resources, 2, "{:?}", r.input_errors);
    assert_eq!(r.input_errors.len(), 1, "{:?}", r.input_errors);
    assert!(
        r.input_errors[0].reason.starts_with("line 2: invalid JSON"),
        "{:?}",
        r.input_errors
    );
    let f = r.findings.iter().find(|f| f.check_id == "GCP-001").unwrap();
    assert_eq!(f.line, 1);
    // AWS configuration items, one per line (`.jsonl`).
    let r = scan(&pack, &[inv("aws-items.jsonl")]);
    assert_eq!(r.resources, 2, "{:?}", r.input_errors);
    let f = r.findings.iter().find(|f| f.check_id == "AWS-001").unwrap();
    assert_eq!(
        (f.resource.as_str(), f.line),
        ("AWS::S3::Bucket/open-bucket", 1)
    );
}

#[test]
fn unreadable_ndjson_is_one_error_and_other_files_still_scan() {
    let pack = pack();
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("broken.ndjson");
    std::fs::write(&bad, "{nope\nnot json either\n").unwrap();
    let empty = dir.path().join("empty.jsonl");
    std::fs::write(&empty, "\n\n").unwrap();
    let r = scan(&pack, &[bad, empty, inv("aws-items.jsonl")]);
    assert_eq!(r.resources, 2);
    let reasons: Vec<_> = r
        .input_errors
        .iter()
        .map(|e| (e.file.clone(), e.reason.clone()))
        .collect();
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    assert!(reasons[0].0.ends_with("broken.ndjson"));
    assert!(
        reasons[0]
            .1
            .starts_with("invalid NDJSON: line 1: invalid JSON"),
        "{reasons:?}"
    );
    assert!(reasons[1].0.ends_with("empty.jsonl"));
    assert_eq!(reasons[1].1, "invalid NDJSON: no JSON line");
}

#[test]
fn other_results_arrays_are_not_aws_queries() {
    // A scanner report with `Results` of objects is not an inventory.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("trivy.json");
    std::fs::write(
        &p,
        r#"{"SchemaVersion": 2, "Results": [{"Target": "x", "Class": "os-pkgs"}]}"#,
    )
    .unwrap();
    let r = scan(&pack(), &[p]);
    assert_eq!(
        (r.resources, r.input_errors.len()),
        (0, 0),
        "{:?}",
        r.input_errors
    );
}
