//! Data preparation and checks for the learned classifier (MCP-022), used by
//! `scripts/train_learned.py`:
//!
//! - `learned_data texts FILE.jsonl...`: for every labelled item (one JSON
//!   object per line: `id`, `label`, `server`, `tool`, optional `source`),
//!   prints `{"id", "label", "source", "server", "text", "rules"}` where
//!   `text` is the tool text the model reads and `rules` the ids of the
//!   other rules that flag the tool at medium or above with MCP-022 off.
//! - `learned_data score MODEL FILE.jsonl...`: prints `{"id", "probability"}`
//!   per item with the model file `MODEL` (to check the trainer and this
//!   crate featurize alike).

use std::io::Write;

use mcpsec_core::domain::Severity;
use mcpsec_mcp::learned::{LinearModel, tool_text};
use mcpsec_mcp::tools::parse_tools_value;
use mcpsec_mcp::{Analyzer, ServerTools};
use serde_json::{Value, json};

fn items(files: &[String]) -> Vec<Value> {
    let mut out = Vec::new();
    for f in files {
        let s = std::fs::read_to_string(f).unwrap_or_else(|e| panic!("{f}: {e}"));
        for (i, l) in s.lines().enumerate() {
            if l.trim().is_empty() {
                continue;
            }
            match serde_json::from_str::<Value>(l) {
                Ok(v) => out.push(v),
                Err(e) => eprintln!("{f}:{}: skipped: {e}", i + 1),
            }
        }
    }
    out
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match args.first().map(String::as_str) {
        Some("texts") => {
            // The other rules as they are without the model: MCP-022 off also
            // turns off its confirmation of weak rules (MCP-019).
            let mut rules = mcpsec_mcp::RuleSet::builtin();
            rules.set_enabled("MCP-022", false);
            let a = Analyzer::new(rules, mcpsec_mcp::flows::CapabilityModel::builtin());
            for it in items(&args[1..]) {
                let tools = match parse_tools_value(&Value::Array(vec![it["tool"].clone()])) {
                    Ok(t) => t,
                    Err(e) => {
                        eprintln!("{}: skipped: {e}", it["id"]);
                        continue;
                    }
                };
                let st = ServerTools {
                    server: it["server"].as_str().unwrap_or("server").into(),
                    source: None,
                    tools,
                };
                let mut rules: Vec<String> = a
                    .check_tools(&st)
                    .into_iter()
                    .filter(|f| f.severity >= Severity::Medium && f.rule != "MCP-022")
                    .map(|f| f.rule)
                    .collect();
                rules.sort();
                rules.dedup();
                let line = json!({
                    "id": it["id"], "label": it["label"], "source": it["source"],
                    "server": it["server"], "text": tool_text(&st.tools[0]), "rules": rules,
                });
                writeln!(out, "{line}").unwrap();
            }
        }
        Some("score") if args.len() >= 2 => {
            let bytes = std::fs::read(&args[1]).unwrap_or_else(|e| panic!("{}: {e}", args[1]));
            let m = LinearModel::from_bytes(&bytes).unwrap_or_else(|e| panic!("{e}"));
            for it in items(&args[2..]) {
                let Ok(tools) = parse_tools_value(&Value::Array(vec![it["tool"].clone()])) else {
                    continue;
                };
                let p = m.score(&tool_text(&tools[0])).probability;
                writeln!(out, "{}", json!({"id": it["id"], "probability": p})).unwrap();
            }
        }
        _ => {
            eprintln!("usage: learned_data texts FILE.jsonl... | score MODEL FILE.jsonl...");
            std::process::exit(2);
        }
    }
}
