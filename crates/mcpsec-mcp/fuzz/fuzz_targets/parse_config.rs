//! Client-config parser (JSON with comments) and config checks on arbitrary input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mcpsec_mcp::Analyzer;
use mcpsec_mcp::config::parse_config_str;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(p) = parse_config_str(text, std::path::Path::new("fuzz.json"), "fuzz") {
        let a = Analyzer::builtin();
        for s in &p.servers {
            let _ = a.check_config(s);
        }
    }
});
