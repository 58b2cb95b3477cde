//! Posture and compliance for mcpsec, offline: evaluate Rego policies (OPA
//! language, run by the `regorus` interpreter) over infrastructure
//! definitions — Kubernetes manifests (multi-document YAML, `List` kinds,
//! `kubectl get -o json` exports), Dockerfiles, Terraform (HCL modules with
//! variables and locals resolved, local modules and `count`/`for_each`
//! expanded, `terraform show -json` plans), GitHub Actions workflows, GitLab
//! CI pipelines, AWS/Azure/GCP inventory exports and container images (an
//! image document built from the configuration and file listing the `mcpsec`
//! binary reads, see [`inputs::image`]) — and map the results
//! onto compliance frameworks (SOC 2, PCI DSS 4.0, ISO/IEC 27001:2022, GDPR,
//! CIS Kubernetes/AWS/Azure/GCP, NIST SP 800-53 r5, or a custom YAML
//! framework) with per-control pass/fail/manual status, evidence and a score. Reports render as a table, JSON, SARIF, JUnit or Markdown.
//!
//! Policies are data: `.rego` files with `# METADATA` annotations (see
//! [`policy`]); the built-in pack under `policies/` and the frameworks under
//! `frameworks/` are embedded in the binary, and users add their own
//! directories and files. Every policy is compiled once per scan, evaluated
//! under a time limit, and a policy that fails to compile is reported and
//! skipped; input files that fail to parse are reported and skipped.
//!
//! This crate depends on `mcpsec-core` only among the workspace crates: no
//! store, bus, web framework or async runtime, and no network I/O.

pub mod error;
pub mod framework;
pub mod inputs;
pub mod policy;
pub mod ptest;
pub mod report;
pub mod scan;
pub mod yaml;

pub use error::{FrameworkError, InputError, PolicyError, PostureError};
pub use framework::{Framework, FrameworkReport};

pub use inputs::{InputKind, Target};
pub use policy::{CompiledPack, PolicyMeta, PolicySet};
pub use scan::{Finding, ScanOptions, ScanReport, scan_paths};
