//! The posture capability of the service: [`PostureCapability`] over
//! `mcpsec-posture`. The built-in policy pack is compiled once; each scan
//! writes the uploaded files into a private temporary directory (so every
//! input kind the CLI reads, Terraform modules included, works the same),
//! scans it and evaluates every built-in compliance framework.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use mcpsec_core::posture::{ControlOutcome, FrameworkOutcome, PostureFinding};
use mcpsec_posture::framework::{self, Framework};
use mcpsec_posture::policy::{CompiledPack, PolicySet};
use mcpsec_posture::scan::{ScanOptions, scan_paths};
use mcpsec_server::{PostureCapability, PostureInput, PostureOutcome};

/// Time limit of one policy evaluation in a service scan.
const EVAL_TIMEOUT: Duration = Duration::from_secs(2);

pub struct PostureApi {
    pack: Mutex<CompiledPack>,
    frameworks: Vec<Framework>,
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

impl PostureCapability for PostureApi {
    fn scan(&self, inputs: &[PostureInput]) -> Result<PostureOutcome, String> {
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
        let mut report = {
            let pack = self.pack.lock().map_err(|_| "policy pack poisoned")?;
            scan_paths(&pack, &[dir.path().to_path_buf()], &opts)
        };
        for f in &mut report.findings {
            f.file = relative(dir.path(), &f.file);
        }
        let input_errors: Vec<String> = report
            .input_errors
            .iter()
            .map(|e| format!("{}: {}", relative(dir.path(), &e.file), e.reason))
            .collect();
        let frameworks = self
            .frameworks
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
            .scan(&[PostureInput {
                name: "k8s/pod.yaml".into(),
                content: bad.into(),
            }])
            .unwrap();
        assert_eq!(out.resources, 1);
        assert!(out.failed > 0);
        assert!(out.findings.iter().all(|f| f.file == "k8s/pod.yaml"));
        assert!(!out.frameworks.is_empty());
        let out = api
            .scan(&[PostureInput {
                name: "x.yaml".into(),
                content: "a: [\n".into(),
            }])
            .unwrap();
        assert_eq!(out.resources, 0);
        assert!(
            out.input_errors[0].starts_with("x.yaml: "),
            "{:?}",
            out.input_errors
        );
    }
}
