#![allow(dead_code)]
use std::path::PathBuf;

use mcpsec_mcp::{Analyzer, Finding, ServerTools, parse_tools};

pub fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

pub fn server(name: &str, file: &str) -> ServerTools {
    let text = std::fs::read_to_string(fixture(&format!("tools/{file}.json"))).unwrap();
    ServerTools {
        server: name.into(),
        source: Some(format!("{file}.json")),
        tools: parse_tools(&text).unwrap(),
    }
}

/// (tool, rule, location, evidence) of each finding, for compact assertions.
pub fn summary(f: &[Finding]) -> Vec<(String, String, String, String)> {
    f.iter()
        .map(|f| {
            (
                f.tool.clone().unwrap_or_default(),
                f.rule.clone(),
                f.location.clone().unwrap_or_default(),
                f.evidence.clone(),
            )
        })
        .collect()
}

pub fn rules_of(f: &[Finding]) -> Vec<&str> {
    let mut r: Vec<&str> = f.iter().map(|f| f.rule.as_str()).collect();
    r.sort();
    r.dedup();
    r
}

pub fn analyzer() -> Analyzer {
    Analyzer::builtin()
}
