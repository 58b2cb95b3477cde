//! Supply-chain vulnerability management for mcpsec: Package URLs, exact
//! version ordering per ecosystem, OSV advisories and their matching, SBOM
//! and lockfile ingest, CVSS scoring, KEV enrichment and the offline scan
//! that turns components into findings.
//!
//! This crate depends on `mcpsec-core` only among the workspace crates: it
//! must not depend on a store, bus or object-store backend, a web framework,
//! an async runtime or the binary. It does no network access; every input is
//! a file or a byte slice handed in by the caller. Library errors use
//! `thiserror`; nothing here panics on malformed input.

pub mod cvss;
mod cvss4;
pub mod feeds;
pub mod image;
pub mod inputs;
pub mod lockfile;
pub mod osv;
pub mod output;
pub mod pom;
pub mod purl;
pub mod reachability;
pub mod reports;
pub mod rootfs;
pub mod rpmdb;
pub mod sbom;
pub mod scan;
pub mod version;
pub mod vex;
