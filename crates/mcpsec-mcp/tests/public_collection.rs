//! Detection and false-positive rates on labelled PUBLIC collections of MCP
//! tool definitions (poisoned research/benchmark items and real servers'
//! tool lists), which cannot be committed to this repository. They are read
//! from `MCPSEC_MCP_PUBLIC_DIR`, else `../shared/data/mcp` next to the
//! workspace; the test is skipped with a message when neither exists.
//! Files: `poisoned-*.jsonl` and `benign-*.jsonl`, one item per line
//! (`id`, `label`, `source`, `server`, `tool`) — docs/mcp-security.md says
//! how to rebuild them. A tool counts as flagged with a finding of severity
//! medium or above, each tool analysed alone, offline, no LLM.
//!
//! Items whose `id` is listed in the file `TRAINED_ON` of that directory (one
//! id per line) were used to train the learned model and are left out.

use std::collections::HashSet;
use std::path::PathBuf;

use mcpsec_core::domain::Severity;
use mcpsec_mcp::tools::parse_tools_value;
use mcpsec_mcp::{Analyzer, ServerTools};
use serde_json::Value;

fn dir() -> Option<PathBuf> {
    let d = match std::env::var_os("MCPSEC_MCP_PUBLIC_DIR") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/mcp"),
    };
    d.is_dir().then_some(d)
}

#[test]
fn public_collection_rates() {
    let Some(dir) = dir() else {
        eprintln!(
            "SKIPPED: no public MCP collection (set MCPSEC_MCP_PUBLIC_DIR or add ../shared/data/mcp; see docs/mcp-security.md)"
        );
        return;
    };
    let trained: HashSet<String> = std::fs::read_to_string(dir.join("TRAINED_ON"))
        .unwrap_or_default()
        .lines()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect();
    let a = Analyzer::builtin();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let n = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            n.ends_with(".jsonl") && (n.starts_with("poisoned-") || n.starts_with("benign-"))
        })
        .collect();
    files.sort();
    let (mut tp, mut np, mut fp, mut nb) = (0usize, 0usize, 0usize, 0usize);
    for f in &files {
        let (mut hit, mut n, mut skipped) = (0usize, 0usize, 0usize);
        for (i, line) in std::fs::read_to_string(f).unwrap().lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let it: Value = match serde_json::from_str(line) {
                Ok(v) => v,
                Err(e) => panic!("{}:{}: {e}", f.display(), i + 1),
            };
            let id = it["id"].as_str().unwrap_or_default();
            if trained.contains(id) {
                skipped += 1;
                continue;
            }
            let Ok(tools) = parse_tools_value(&Value::Array(vec![it["tool"].clone()])) else {
                eprintln!("{}:{}: not an MCP tool, skipped", f.display(), i + 1);
                continue;
            };
            let st = ServerTools {
                server: it["server"].as_str().unwrap_or("server").into(),
                source: None,
                tools,
            };
            let rules: Vec<String> = a
                .check_tools(&st)
                .into_iter()
                .filter(|x| x.severity >= Severity::Medium)
                .map(|x| x.rule)
                .collect();
            let poisoned = it["label"] == "poisoned";
            if poisoned == rules.is_empty() {
                eprintln!(
                    "{} {id}: {} {rules:?}",
                    if poisoned { "missed" } else { "false positive" },
                    f.file_name().unwrap().to_string_lossy()
                );
            }
            n += 1;
            if !rules.is_empty() {
                hit += 1;
            }
            if poisoned {
                np += 1;
                tp += usize::from(!rules.is_empty());
            } else {
                nb += 1;
                fp += usize::from(!rules.is_empty());
            }
        }
        eprintln!(
            "{}: flagged {hit}/{n} ({skipped} trained on, left out)",
            f.file_name().unwrap().to_string_lossy()
        );
    }
    assert!(
        np > 0 && nb > 0,
        "the collection has poisoned and benign items"
    );
    let dr = tp as f64 / np as f64;
    let fpr = fp as f64 / nb as f64;
    eprintln!(
        "public collection: detection {tp}/{np} = {:.1}%, false positives {fp}/{nb} = {:.1}%",
        dr * 100.0,
        fpr * 100.0
    );
    // The target is >= 95 % / <= 2 %. Asserted here: regression
    // floors near what was measured when MCP-022 was retrained (96.8 % /
    // 1.3 %, 2026-11-27); the cross-check with the halves swapped is lower
    // (see docs/mcp-security.md).
    eprintln!(
        "target >= 95 % detection, <= 2 % false positives: {}",
        if dr >= 0.95 && fpr <= 0.02 {
            "met"
        } else {
            "NOT met"
        }
    );
    assert!(dr >= 0.95, "detection rate {dr:.3} regressed below 0.95");
    assert!(
        fpr <= 0.02,
        "false-positive rate {fpr:.3} regressed above 0.02"
    );
}
