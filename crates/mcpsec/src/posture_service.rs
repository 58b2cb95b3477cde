//! The posture capability of the service: [`PostureCapability`] over
//! `mcpsec-posture`. The built-in policy pack is compiled once; each scan
//! writes the uploaded files into a private temporary directory (so every
//! input kind the CLI reads, Terraform modules included, works the same),
//! scans it and evaluates every built-in compliance framework.
//!
//! A tenant's custom policies are compiled with the built-in pack into a pack
//! of their own, kept (a few at a time) by the hash of their sources, so a
//! tenant's scans compile once per change of its policies and other tenants
//! keep using the built-in pack.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mcpsec_core::posture::{ControlOutcome, FrameworkOutcome, PostureFinding};
use mcpsec_posture::framework::{self, Framework};
use mcpsec_posture::policy::{CompiledPack, PolicySet, package_of, validate_module};
use mcpsec_posture::scan::{ScanOptions, scan_paths};
use mcpsec_server::{CheckedPolicy, CustomPolicy, PostureCapability, PostureInput, PostureOutcome};

/// Time limit of one policy evaluation in a service scan.
const EVAL_TIMEOUT: Duration = Duration::from_secs(2);

/// Packs with custom policies kept compiled (by the hash of the policies).
const MAX_CUSTOM_PACKS: usize = 8;

/// A compiled pack with custom policies, and its load/compile errors.
struct CustomPack {
    pack: Mutex<CompiledPack>,
    frameworks: Vec<Framework>,
}

pub struct PostureApi {
    pack: Mutex<CompiledPack>,
    frameworks: Vec<Framework>,
    custom: Mutex<HashMap<u64, Arc<CustomPack>>>,
    threads: usize,
}

impl PostureApi {
    /// Compiles the built-in pack and loads the built-in frameworks with the
    /// policies' own control mappings merged in.
    pub fn new() -> PostureApi {
        let pack = PolicySet::builtin().compile(EVAL_TIMEOUT);
        for e in &pack.errors {
            tracing::warn!(error = %e.reason, file = %e.file, "posture policy skipped");
        }
        let metas: Vec<_> = pack.metas().cloned().collect();
        let frameworks = Framework::builtin()
            .into_iter()
            .map(|mut f| {
                f.merge_policy_mappings(metas.iter());
                f
            })
            .collect();
        PostureApi {
            pack: Mutex::new(pack),
            frameworks,
            custom: Mutex::new(HashMap::new()),
            threads: std::thread::available_parallelism()
                .map_or(1, |n| n.get())
                .min(4),
        }
    }
}

/// `file` relative to the scan directory (as the client named it).
fn relative(dir: &Path, file: &str) -> String {
    Path::new(file)
        .strip_prefix(dir)
        .map(|p| p.to_string_lossy().replace('\\', "/"))
        .unwrap_or_else(|_| file.to_string())
}

/// File name under which a custom policy is compiled and reported.
fn custom_file(id: &str) -> String {
    format!("custom:{id}.rego")
}

impl PostureApi {
    /// The built-in pack with `custom` (compiled on first use).
    fn custom_pack(&self, custom: &[CustomPolicy]) -> Result<Arc<CustomPack>, String> {
        let mut sorted: Vec<&CustomPolicy> = custom.iter().collect();
        sorted.sort_by(|a, b| a.id.cmp(&b.id));
        let mut h = std::collections::hash_map::DefaultHasher::new();
        for p in &sorted {
            (&p.id, &p.source).hash(&mut h);
        }
        let key = h.finish();
        if let Some(p) = self
            .custom
            .lock()
            .map_err(|_| "custom packs poisoned")?
            .get(&key)
        {
            return Ok(p.clone());
        }
        let mut set = PolicySet::builtin();
        for p in &sorted {
            set.add_source(&custom_file(&p.id), &p.source);
        }
        let pack = set.compile(EVAL_TIMEOUT);
        for e in &pack.errors {
            tracing::warn!(error = %e.reason, file = %e.file, "custom posture policy skipped");
        }
        let metas: Vec<_> = pack
            .checks
            .iter()
            .filter(|c| c.file.starts_with("custom:"))
            .map(|c| c.meta.clone())
            .collect();
        let frameworks = self
            .frameworks
            .iter()
            .cloned()
            .map(|mut f| {
                f.merge_policy_mappings(metas.iter());
                f
            })
            .collect();
        let built = Arc::new(CustomPack {
            pack: Mutex::new(pack),
            frameworks,
        });
        let mut cache = self.custom.lock().map_err(|_| "custom packs poisoned")?;
        if cache.len() >= MAX_CUSTOM_PACKS {
            cache.clear();
        }
        cache.insert(key, built.clone());
        Ok(built)
    }
}

impl PostureCapability for PostureApi {
    fn check_policy(
        &self,
        name: &str,
        source: &str,
        others: &[CustomPolicy],
    ) -> Result<CheckedPolicy, String> {
        let p = validate_module(name, source, EVAL_TIMEOUT).map_err(|e| e.to_string())?;
        if let Some(o) = others
            .iter()
            .find(|o| package_of(&o.source).as_deref() == Some(p.package.as_str()))
        {
            return Err(format!(
                "policy {name}: package {} is already used by the tenant's policy {}",
                p.package, o.id
            ));
        }
        Ok(CheckedPolicy {
            id: p.meta.id,
            title: p.meta.title,
            severity: p.meta.severity,
            input: p.meta.input.as_str().to_string(),
            package: p.package,
        })
    }

    fn scan(
        &self,
        inputs: &[PostureInput],
        custom: &[CustomPolicy],
    ) -> Result<PostureOutcome, String> {
        let dir = tempfile::tempdir().map_err(|e| format!("creating a scan directory: {e}"))?;
        for i in inputs {
            // Names are validated by the API (relative, no `..`).
            let path: PathBuf = dir.path().join(&i.name);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)
                    .map_err(|e| format!("{}: writing the input: {e}", i.name))?;
            }
            std::fs::write(&path, &i.content)
                .map_err(|e| format!("{}: writing the input: {e}", i.name))?;
        }
        let opts = ScanOptions {
            threads: self.threads,
            timeout: EVAL_TIMEOUT,
        };
        let custom_pack = if custom.is_empty() {
            None
        } else {
            Some(self.custom_pack(custom)?)
        };
        let mut report = match &custom_pack {
            None => {
                let pack = self.pack.lock().map_err(|_| "policy pack poisoned")?;
                scan_paths(&pack, &[dir.path().to_path_buf()], &opts)
            }
            Some(c) => {
                let pack = c.pack.lock().map_err(|_| "policy pack poisoned")?;
                scan_paths(&pack, &[dir.path().to_path_buf()], &opts)
            }
        };
        let frameworks_of = custom_pack
            .as_ref()
            .map_or(&self.frameworks, |c| &c.frameworks);
        for f in &mut report.findings {
            f.file = relative(dir.path(), &f.file);
        }
        let mut input_errors: Vec<String> = report
            .input_errors
            .iter()
            .map(|e| format!("{}: {}", relative(dir.path(), &e.file), e.reason))
            .collect();
        // A custom policy that no longer compiles is skipped and said so.
        input_errors.extend(
            report
                .policy_errors
                .iter()
                .filter(|e| e.file.starts_with("custom:"))
                .map(|e| format!("policy {}: {}", e.file, e.reason)),
        );
        let frameworks = frameworks_of
            .iter()
            .map(|fw| {
                let r = framework::evaluate(fw, &report);
                FrameworkOutcome {
                    id: r.id,
                    title: r.title,
                    passed: r.passed as u64,
                    failed: r.failed as u64,
                    manual: r.manual as u64,
                    score: r.score,
                    controls: r
                        .controls
                        .into_iter()
                        .map(|c| ControlOutcome {
                            id: c.id,
                            title: c.title,
                            status: c.status.as_str().to_string(),
                            evidence: c
                                .evidence
                                .iter()
                                .flat_map(|e| {
                                    e.failures
                                        .iter()
                                        .map(move |f| format!("{}: {f}", e.check_id))
                                })
                                .collect(),
                        })
                        .collect(),
                }
            })
            .collect();
        let (passed, failed) = report
            .checks
            .iter()
            .fold((0, 0), |(p, f), c| (p + c.passed, f + c.failed));
        Ok(PostureOutcome {
            files: report.files as u64,
            resources: report.resources as u64,
            passed,
            failed,
            score: report.score(),
            findings: report
                .findings
                .iter()
                .map(|f| PostureFinding {
                    check_id: f.check_id.clone(),
                    title: f.title.clone(),
                    severity: f.severity,
                    input: f.input.as_str().to_string(),
                    file: f.file.clone(),
                    line: f.line,
                    resource: f.resource.clone(),
                    message: f.message.clone(),
                })
                .collect(),
            frameworks,
            input_errors,
        })
    }

    fn frameworks(&self) -> Vec<(String, String)> {
        self.frameworks
            .iter()
            .map(|f| (f.id.clone(), f.title.clone()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scans_uploaded_manifest_and_reports_bad_yaml() {
        let api = PostureApi::new();
        let bad = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: nginx:latest\n    securityContext: {privileged: true}\n";
        let out = api
            .scan(
                &[PostureInput {
                    name: "k8s/pod.yaml".into(),
                    content: bad.into(),
                }],
                &[],
            )
            .unwrap();
        assert_eq!(out.resources, 1);
        assert!(out.failed > 0);
        assert!(out.findings.iter().all(|f| f.file == "k8s/pod.yaml"));
        assert!(!out.frameworks.is_empty());
        let out = api
            .scan(
                &[PostureInput {
                    name: "x.yaml".into(),
                    content: "a: [\n".into(),
                }],
                &[],
            )
            .unwrap();
        assert_eq!(out.resources, 0);
        assert!(
            out.input_errors[0].starts_with("x.yaml: "),
            "{:?}",
            out.input_errors
        );
    }

    const ACME: &str = "# METADATA\n# title: Team label missing\n# custom:\n#   id: ACME-001\n#   severity: low\n#   input: kubernetes\n#   frameworks:\n#     soc2: [\"CC6.1\"]\npackage acme.team_label\n\nimport rego.v1\n\ndeny contains {\"msg\": \"no team label\", \"path\": \"metadata.labels\"} if {\n\tnot input.metadata.labels.team\n}\n";

    #[test]
    fn custom_policies_run_next_to_the_builtin_pack() {
        let api = PostureApi::new();
        let pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: nginx:1.27\n";
        let input = [PostureInput {
            name: "pod.yaml".into(),
            content: pod.into(),
        }];
        let checked = api.check_policy("ACME-001.rego", ACME, &[]).unwrap();
        assert_eq!(
            (checked.id.as_str(), checked.input.as_str()),
            ("ACME-001", "kubernetes")
        );
        let custom = [CustomPolicy {
            id: "ACME-001".into(),
            source: ACME.into(),
        }];
        let with = api.scan(&input, &custom).unwrap();
        assert!(with.findings.iter().any(|f| f.check_id == "ACME-001"));
        assert!(with.findings.iter().any(|f| f.check_id.starts_with("K8S-")));
        let soc2 = with.frameworks.iter().find(|f| f.id == "soc2").unwrap();
        let cc61 = soc2.controls.iter().find(|c| c.id == "CC6.1").unwrap();
        assert!(
            cc61.evidence.iter().any(|e| e.starts_with("ACME-001")),
            "{cc61:?}"
        );
        // Without them (another tenant's scan), the custom check does not run.
        let without = api.scan(&input, &[]).unwrap();
        assert!(!without.findings.iter().any(|f| f.check_id == "ACME-001"));
        assert_eq!(without.failed + 1, with.failed);
    }

    #[test]
    fn broken_custom_policies_are_refused_with_their_line() {
        let api = PostureApi::new();
        let broken = ACME.replace(
            "not input.metadata.labels.team",
            "not input.metadata.labels.team ++",
        );
        let e = api.check_policy("ACME-001.rego", &broken, &[]).unwrap_err();
        assert!(e.contains("ACME-001.rego:14:5: unexpected keyword"), "{e}");
        let other = CustomPolicy {
            id: "ACME-000".into(),
            source: ACME.replace("ACME-001", "ACME-000"),
        };
        let e = api
            .check_policy("ACME-001.rego", ACME, &[other])
            .unwrap_err();
        assert!(e.contains("package acme.team_label is already used"), "{e}");
    }
}
