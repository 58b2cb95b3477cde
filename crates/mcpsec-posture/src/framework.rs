//! Compliance frameworks as data: controls mapped to check ids, evaluated
//! from a scan's results.
//!
//! A framework file is YAML:
//!
//! ```yaml
//! id: soc2
//! title: SOC 2 (2017 Trust Services Criteria)
//! version: "2017"
//! controls:
//!   - id: CC6.1
//!     title: Logical access security ...
//!     checks: [TF-AWS-014, K8S-031]
//! ```
//!
//! Policies can add themselves to controls through their METADATA
//! (`custom.frameworks: {soc2: [CC6.1]}`). A control is `fail` when a mapped
//! check failed on a scanned resource, `pass` when mapped checks were
//! evaluated and all passed, and `manual` when no check is mapped or none
//! applied to the scanned inputs. The score is the share of passing controls
//! among those that are pass or fail.

use std::collections::BTreeMap;
use std::path::Path;

use include_dir::{Dir, include_dir};
use serde::{Deserialize, Serialize};

use crate::error::FrameworkError;
use crate::policy::PolicyMeta;
use crate::scan::ScanReport;

static BUILTIN: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/frameworks");

/// A framework definition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Framework {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub version: Option<String>,
    pub controls: Vec<Control>,
    /// Why checks are mapped where they are (or left out), by check id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub rationale: BTreeMap<String, String>,
}

/// One control and the checks that give evidence for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Control {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub checks: Vec<String>,
}

impl Framework {
    pub fn parse(file: &str, text: &str) -> Result<Self, FrameworkError> {
        let f: Framework = serde_yaml::from_str(text).map_err(|e| FrameworkError::Invalid {
            file: file.to_string(),
            reason: e.to_string(),
        })?;
        if f.id.trim().is_empty() {
            return Err(FrameworkError::Invalid {
                file: file.to_string(),
                reason: "empty id".into(),
            });
        }
        Ok(f)
    }

    pub fn load_file(path: &Path) -> Result<Self, FrameworkError> {
        let text = std::fs::read_to_string(path).map_err(|source| FrameworkError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&path.display().to_string(), &text)
    }

    /// The embedded frameworks.
    pub fn builtin() -> Vec<Framework> {
        let mut out: Vec<Framework> = BUILTIN
            .files()
            .filter_map(|f| {
                let text = f.contents_utf8()?;
                Framework::parse(&f.path().display().to_string(), text).ok()
            })
            .collect();
        out.sort_by(|a, b| a.id.cmp(&b.id));
        out
    }

    /// A built-in framework by id, or a framework file by path.
    pub fn resolve(name: &str) -> Result<Framework, FrameworkError> {
        let p = Path::new(name);
        if p.is_file() {
            return Self::load_file(p);
        }
        let all = Self::builtin();
        let known = all
            .iter()
            .map(|f| f.id.clone())
            .collect::<Vec<_>>()
            .join(", ");
        all.into_iter()
            .find(|f| f.id.eq_ignore_ascii_case(name))
            .ok_or_else(|| FrameworkError::Unknown {
                name: name.to_string(),
                known,
            })
    }

    /// Adds the mappings that policies declare in their METADATA.
    pub fn merge_policy_mappings<'a>(&mut self, metas: impl Iterator<Item = &'a PolicyMeta>) {
        for m in metas {
            let Some(ctrls) = m.frameworks.get(&self.id) else {
                continue;
            };
            for cid in ctrls {
                if let Some(c) = self.controls.iter_mut().find(|c| &c.id == cid) {
                    if !c.checks.contains(&m.id) {
                        c.checks.push(m.id.clone());
                    }
                } else {
                    self.controls.push(Control {
                        id: cid.clone(),
                        title: cid.clone(),
                        checks: vec![m.id.clone()],
                    });
                }
            }
        }
    }
}

/// Status of a control.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ControlStatus {
    Pass,
    Fail,
    Manual,
}

impl ControlStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ControlStatus::Pass => "pass",
            ControlStatus::Fail => "fail",
            ControlStatus::Manual => "manual",
        }
    }
}

/// Evidence of one check for a control.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckEvidence {
    pub check_id: String,
    pub evaluated: u64,
    pub failed: u64,
    /// Up to five `file:line resource` of failing resources.
    pub failures: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ControlResult {
    pub id: String,
    pub title: String,
    pub status: ControlStatus,
    pub evidence: Vec<CheckEvidence>,
}

/// A framework evaluated against a scan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FrameworkReport {
    pub id: String,
    pub title: String,
    pub passed: usize,
    pub failed: usize,
    pub manual: usize,
    /// Passing share of the controls that are pass or fail, 0 to 100.
    pub score: f64,
    pub controls: Vec<ControlResult>,
}

/// Evaluates a framework from a scan report.
pub fn evaluate(fw: &Framework, report: &ScanReport) -> FrameworkReport {
    let summaries: BTreeMap<&str, _> = report.checks.iter().map(|c| (c.id.as_str(), c)).collect();
    let mut failures: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for f in &report.findings {
        let v = failures.entry(f.check_id.as_str()).or_default();
        if v.len() < 5 {
            v.push(format!("{}:{} {}", f.file, f.line, f.resource));
        }
    }
    let mut out = FrameworkReport {
        id: fw.id.clone(),
        title: fw.title.clone(),
        passed: 0,
        failed: 0,
        manual: 0,
        score: 0.0,
        controls: Vec::new(),
    };
    for c in &fw.controls {
        let evidence: Vec<CheckEvidence> = c
            .checks
            .iter()
            .map(|id| {
                let s = summaries.get(id.as_str());
                CheckEvidence {
                    check_id: id.clone(),
                    evaluated: s.map_or(0, |s| s.evaluated),
                    failed: s.map_or(0, |s| s.failed),
                    failures: failures.get(id.as_str()).cloned().unwrap_or_default(),
                }
            })
            .collect();
        let status = if evidence.iter().any(|e| e.failed > 0) {
            ControlStatus::Fail
        } else if evidence.iter().any(|e| e.evaluated > 0) {
            ControlStatus::Pass
        } else {
            ControlStatus::Manual
        };
        match status {
            ControlStatus::Pass => out.passed += 1,
            ControlStatus::Fail => out.failed += 1,
            ControlStatus::Manual => out.manual += 1,
        }
        out.controls.push(ControlResult {
            id: c.id.clone(),
            title: c.title.clone(),
            status,
            evidence,
        });
    }
    let decided = out.passed + out.failed;
    out.score = if decided == 0 {
        0.0
    } else {
        (out.passed as f64 * 1000.0 / decided as f64).round() / 10.0
    };
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::PolicySet;

    #[test]
    fn builtin_frameworks_reference_known_checks() {
        let set = PolicySet::builtin();
        let ids: Vec<&str> = set.policies.iter().map(|p| p.meta.id.as_str()).collect();
        let fws = Framework::builtin();
        let fw_ids: Vec<&str> = fws.iter().map(|f| f.id.as_str()).collect();
        for want in [
            "soc2",
            "pci-dss-4.0",
            "iso27001-2022",
            "gdpr",
            "cis-kubernetes",
            "cis-aws",
            "cis-azure",
            "cis-gcp",
            "nist-800-53-r5",
        ] {
            assert!(fw_ids.contains(&want), "{want} missing from {fw_ids:?}");
        }
        for f in fws {
            for c in &f.controls {
                for ch in &c.checks {
                    assert!(
                        ids.contains(&ch.as_str()),
                        "{} {}: unknown check {ch}",
                        f.id,
                        c.id
                    );
                }
            }
        }
        assert!(Framework::resolve("nope").is_err());
        assert_eq!(Framework::resolve("SOC2").unwrap().id, "soc2");
    }

    #[test]
    fn statuses_and_score() {
        let fw = Framework::parse(
            "t.yaml",
            "id: t\ntitle: T\ncontrols:\n  - {id: A, title: a, checks: [X]}\n  - {id: B, title: b, checks: [Y]}\n  - {id: C, title: c}\n",
        )
        .unwrap();
        let mut report = ScanReport::default();
        for (id, failed) in [("X", 1), ("Y", 0)] {
            report.checks.push(crate::scan::CheckSummary {
                id: id.into(),
                title: id.into(),
                severity: mcpsec_core::domain::Severity::High,
                input: crate::InputKind::Kubernetes,
                evaluated: 2,
                passed: 2 - failed,
                failed,
                errors: 0,
            });
        }
        let r = evaluate(&fw, &report);
        assert_eq!((r.passed, r.failed, r.manual), (1, 1, 1));
        assert_eq!(r.score, 50.0);
        assert_eq!(r.controls[0].status, ControlStatus::Fail);
    }
}
