//! Detection and false-positive rates on the labelled collection in
//! `tests/fixtures/labelled` (see its README for sources). A tool counts as
//! flagged with a finding of severity medium or above, each tool analysed
//! alone (no cross-server context), offline, without any LLM.

use mcpsec_core::domain::Severity;
use mcpsec_mcp::tools::parse_tools_value;
use mcpsec_mcp::{Analyzer, ServerTools};
use serde_json::Value;

fn load(file: &str) -> Vec<Value> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/labelled")
        .join(file);
    std::fs::read_to_string(&p)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{file}: {e}: {l}")))
        .collect()
}

/// (id, flagged, rules)
fn run(a: &Analyzer, items: &[Value]) -> Vec<(String, bool, Vec<String>)> {
    items
        .iter()
        .map(|it| {
            let tools = parse_tools_value(&Value::Array(vec![it["tool"].clone()])).unwrap();
            let st = ServerTools {
                server: it["server"].as_str().unwrap().into(),
                source: None,
                tools,
            };
            let f: Vec<_> = a
                .check_tools(&st)
                .into_iter()
                .filter(|f| f.severity >= Severity::Medium)
                .collect();
            let mut rules: Vec<String> = f.iter().map(|f| f.rule.clone()).collect();
            rules.dedup();
            (it["id"].as_str().unwrap().to_string(), !f.is_empty(), rules)
        })
        .collect()
}

#[test]
fn detection_and_false_positive_rates() {
    let a = Analyzer::builtin();
    let poisoned = load("poisoned.jsonl");
    let benign = load("benign.jsonl");
    assert!(poisoned.len() >= 50 && benign.len() >= 100);
    let p = run(&a, &poisoned);
    let b = run(&a, &benign);
    let detected = p.iter().filter(|x| x.1).count();
    let fps = b.iter().filter(|x| x.1).count();
    for (id, flagged, _) in &p {
        if !flagged {
            eprintln!("missed: {id}");
        }
    }
    for (id, flagged, rules) in &b {
        if *flagged {
            eprintln!("false positive: {id} {rules:?}");
        }
    }
    let dr = detected as f64 / p.len() as f64;
    let fpr = fps as f64 / b.len() as f64;
    eprintln!(
        "labelled collection: detection {detected}/{} = {:.1}%, false positives {fps}/{} = {:.1}%",
        p.len(),
        dr * 100.0,
        b.len(),
        fpr * 100.0
    );
    assert!(dr >= 0.95, "detection rate {dr:.3} below 0.95");
    assert!(fpr <= 0.02, "false-positive rate {fpr:.3} above 0.02");
}

/// Runs a held-out file; returns (detected, poisoned, false positives, benign).
fn heldout(file: &str) -> (usize, usize, usize, usize) {
    let a = Analyzer::builtin();
    let items = load(file);
    let (p, b): (Vec<Value>, Vec<Value>) =
        items.into_iter().partition(|i| i["label"] == "poisoned");
    let rp = run(&a, &p);
    let rb = run(&a, &b);
    for (id, flagged, rules) in rp.iter().chain(&rb) {
        eprintln!("{file} {id}: flagged={flagged} {rules:?}");
    }
    let detected = rp.iter().filter(|x| x.1).count();
    let fps = rb.iter().filter(|x| x.1).count();
    eprintln!(
        "{file}: detection {detected}/{}, false positives {fps}/{}",
        p.len(),
        b.len()
    );
    (detected, p.len(), fps, b.len())
}

/// Asserts a held-out file's regression floors: at least `floor` poisoned
/// items detected and at most `max_fp` benign ones flagged.
fn assert_heldout(file: &str, floor: usize, max_fp: usize) {
    let (detected, _, fps, _) = heldout(file);
    assert!(
        detected >= floor,
        "{file}: detection {detected} below {floor}"
    );
    assert!(
        fps <= max_fp,
        "{file}: {fps} false positives, above {max_fp}"
    );
}

/// The first held-out set was written after the regex rules were tuned on
/// the main collection and has not been used to change any rule: its figures
/// estimate detection on unseen phrasings (2/15 with the regex rules alone;
/// see docs/mcp-security.md). Asserted only as a regression floor at what was
/// measured; do not tune rules on this file, write a new held-out set instead.
#[test]
fn heldout_rates() {
    assert_heldout("heldout.jsonl", 12, 3);
}

/// The second held-out set was written after MCP-019 was designed and was
/// committed before it was evaluated; same rules as above.
#[test]
fn heldout2_rates() {
    assert_heldout("heldout2.jsonl", 29, 4);
}

/// The third held-out set (benign items written to look like attacks);
/// never trained on.
#[test]
fn heldout3_rates() {
    assert_heldout("heldout3.jsonl", 18, 3);
}

/// The fourth held-out set was written blind: its author read no training,
/// held-out or rule file and ran no detector, and it was committed before
/// it was evaluated (tests/fixtures/labelled/README.md). Half its benign
/// items are hard negatives, hence the looser false-positive floor.
#[test]
fn heldout4_rates() {
    assert_heldout("heldout4.jsonl", 76, 9);
}

/// The fifth held-out set, written blind like the fourth (its author read no
/// training, held-out, rule or model file) and committed before it was
/// evaluated, once, with the final model of 2026-11-27 05:15 UTC.
#[test]
fn heldout5_rates() {
    assert_heldout("heldout5.jsonl", 78, 10);
}

// The floors above are regression floors (not targets): the figures
// measured with the learned classifier MCP-022 as retrained on 2026-11-27
// 05:15 UTC with training sets C–G and Unicode word features (held-out 2:
// at most 10 % false positives, 4 of 40). Earlier: 05:00 (C–F) 12/15 (3
// FP), 29/30, 19/20, 74/80 (10 FP); 04:40 (C–E) 14/15 (2 FP), 29/30, 19/20,
// 75/80 (10 FP); the first MCP-022 12/15 (2 FP), 28/30, 17/20, 69/80 (10
// FP); MCP-019 before it 6/15, 3/30, 4/20. The held-out files were never
// used to train MCP-022 or to choose its threshold.

/// MCP-019 (the scored classifier "instructions addressed to the model")
/// alone on the main collection: it was designed from the threat model and
/// calibrated on the benign set only, so its detection rate on the poisoned
/// set is closer to an out-of-sample figure than the regex rules'.
#[test]
fn classifier_alone_on_main_set() {
    let a = Analyzer::builtin();
    let p = run(&a, &load("poisoned.jsonl"));
    let b = run(&a, &load("benign.jsonl"));
    let hit = |x: &(String, bool, Vec<String>)| x.2.iter().any(|r| r == "MCP-019");
    for x in p.iter().filter(|x| !hit(x)) {
        eprintln!("MCP-019 missed: {}", x.0);
    }
    for x in b.iter().filter(|x| hit(x)) {
        eprintln!("MCP-019 false positive: {}", x.0);
    }
    let d = p.iter().filter(|x| hit(x)).count();
    let f = b.iter().filter(|x| hit(x)).count();
    eprintln!(
        "MCP-019 alone: detection {d}/{}, false positives {f}/{}",
        p.len(),
        b.len()
    );
    assert!(f * 50 <= b.len(), "MCP-019 false positives above 2 %");
}
