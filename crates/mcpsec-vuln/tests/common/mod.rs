#![allow(dead_code)]
//! Shared helpers for the integration tests: locating the public test data.

use std::path::PathBuf;

/// `shared/data/vuln/<rel>`, or `None` (after printing a visible SKIPPED line)
/// when the shared data is not present on this machine.
pub fn vuln_data(rel: &str) -> Option<PathBuf> {
    let p = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/vuln"
    ))
    .join(rel);
    if p.exists() {
        Some(p)
    } else {
        eprintln!("SKIPPED: shared test data {} is absent", p.display());
        None
    }
}

pub fn read_json(p: &std::path::Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}
