//! The library side of `mcpsec mcp check-tools FILE --format json`, without the
//! rest of the binary (quick to build in release for comparisons):
//! `cargo run --release -p mcpsec-mcp --example check_tools -- mcp check-tools FILE`.

use std::collections::BTreeMap;

use mcpsec_mcp::Analyzer;
use mcpsec_mcp::report::{Format, render};
use mcpsec_mcp::scan::{read_tools_file, scan};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let file = args
        .iter()
        .position(|a| a == "check-tools")
        .and_then(|i| args.get(i + 1))
        .or_else(|| args.get(1))
        .expect("usage: check_tools [mcp check-tools] FILE");
    let path = std::path::Path::new(file);
    let server = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("server")
        .to_string();
    let analyzer = Analyzer::builtin();
    let st = read_tools_file(path, &server).unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(2)
    });
    let report = scan(
        &analyzer,
        &[],
        &BTreeMap::from([(server, Ok(st))]),
        None,
        Vec::new(),
    );
    print!("{}", render(&report, analyzer.rules(), Format::Json));
}
