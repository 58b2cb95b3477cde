//! Tools-file parser and full analysis on arbitrary input: must never panic.
//! Run: `cd crates/mcpsec-mcp/fuzz && cargo +nightly fuzz run parse_tools`.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use mcpsec_mcp::{Analyzer, ServerTools, parse_tools};

static ANALYZER: OnceLock<Analyzer> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(tools) = parse_tools(text) {
        let a = ANALYZER.get_or_init(Analyzer::builtin);
        let st = ServerTools { server: "fuzz".into(), source: None, tools };
        let _ = a.check_toolset(&[st.clone(), st]);
    }
});
