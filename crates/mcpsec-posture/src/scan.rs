//! Scanning: every applicable policy over every target, in parallel.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use mcpsec_core::domain::Severity;
use serde::Serialize;

use crate::error::{InputError, PolicyError};
use crate::inputs::{InputKind, Target, load_paths};
use crate::policy::{CompiledPack, CompiledPolicy, GroupLookup, PolicyMeta};

/// One failed check on one resource.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub check_id: String,
    pub title: String,
    pub severity: Severity,
    pub input: InputKind,
    pub file: String,
    pub line: u32,
    pub resource: String,
    pub message: String,
    /// Field path the policy pointed at, when it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

/// How one check fared over the scanned targets.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckSummary {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub input: InputKind,
    /// Targets the check applied to.
    pub evaluated: u64,
    pub passed: u64,
    pub failed: u64,
    /// Evaluations that errored (time limit, runtime error).
    pub errors: u64,
}

/// A policy evaluation that failed (time limit, runtime error).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvalError {
    pub check_id: String,
    pub file: String,
    pub resource: String,
    pub reason: String,
}

/// The result of a scan.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ScanReport {
    pub files: usize,
    pub resources: usize,
    pub findings: Vec<Finding>,
    pub checks: Vec<CheckSummary>,
    /// Input files that could not be parsed (skipped).
    pub input_errors: Vec<InputError>,
    /// Inputs evaluated only partly (e.g. a Terraform module that is not
    /// local, a `count` that does not resolve).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub input_warnings: Vec<InputError>,
    /// Policies that failed to load or compile (skipped).
    pub policy_errors: Vec<PolicyErrorOut>,
    pub eval_errors: Vec<EvalError>,
    pub duration_ms: u64,
}

/// Serializable form of a [`PolicyError`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PolicyErrorOut {
    pub file: String,
    pub reason: String,
}

impl From<&PolicyError> for PolicyErrorOut {
    fn from(e: &PolicyError) -> Self {
        Self {
            file: e.file.clone(),
            reason: e.reason.clone(),
        }
    }
}

impl ScanReport {
    pub fn max_severity(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }

    /// Share of passed (check, resource) evaluations, 0 to 100.
    pub fn score(&self) -> f64 {
        let (p, e) = self.checks.iter().fold((0u64, 0u64), |(p, e), c| {
            (p + c.passed, e + c.passed + c.failed)
        });
        if e == 0 {
            100.0
        } else {
            (p as f64 * 1000.0 / e as f64).round() / 10.0
        }
    }
}

/// The outcome of one check on one target.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Pass,
    Fail(Vec<Finding>),
    Error(String),
}

/// Parses one `deny` result element.
fn to_finding(meta: &PolicyMeta, t: &Target, v: &regorus::Value) -> Finding {
    let (message, path, line) = match v {
        regorus::Value::String(s) => (s.to_string(), None, None),
        regorus::Value::Object(_) => {
            let get = |k: &str| v[&regorus::Value::from(k)].clone();
            let msg = match get("msg") {
                regorus::Value::String(s) => s.to_string(),
                regorus::Value::Undefined => meta.title.clone(),
                other => other.to_json_str().unwrap_or_default(),
            };
            let path = match get("path") {
                regorus::Value::String(s) => Some(s.to_string()),
                _ => None,
            };
            let line = get("line").as_u64().ok().map(|l| l as u32);
            (msg, path, line)
        }
        other => (
            other.to_json_str().unwrap_or_else(|_| meta.title.clone()),
            None,
            None,
        ),
    };
    Finding {
        check_id: meta.id.clone(),
        title: meta.title.clone(),
        severity: meta.severity,
        input: meta.input,
        file: t.file.clone(),
        line: line.unwrap_or_else(|| t.line_of(path.as_deref())),
        resource: t.resource.clone(),
        message,
        path,
    }
}

/// Evaluates one check on one target.
pub fn evaluate(check: &mut CompiledPolicy, t: &Target) -> Outcome {
    check.engine.set_input(t.input.clone());
    match check.engine.eval_rule(check.rule.clone()) {
        Ok(v) => outcome_of(&check.meta, t, &v),
        Err(e) => Outcome::Error(e.to_string().trim().to_string()),
    }
}

/// The outcome of a `deny` value.
fn outcome_of(meta: &PolicyMeta, t: &Target, v: &regorus::Value) -> Outcome {
    match v {
        regorus::Value::Undefined => Outcome::Pass,
        v => {
            let items: Vec<regorus::Value> = match v {
                regorus::Value::Set(s) => s.iter().cloned().collect(),
                regorus::Value::Array(a) => a.iter().cloned().collect(),
                regorus::Value::Bool(false) | regorus::Value::Null => Vec::new(),
                other => vec![other.clone()],
            };
            if items.is_empty() {
                Outcome::Pass
            } else {
                Outcome::Fail(items.iter().map(|i| to_finding(meta, t, i)).collect())
            }
        }
    }
}

/// Evaluates every applicable check on every target; `on_result` sees each
/// `(check index, target index, outcome)`. Uses `threads` worker threads.
pub fn evaluate_all(
    pack: &CompiledPack,
    targets: &[Target],
    threads: usize,
) -> Vec<(usize, usize, Outcome)> {
    let threads = threads.max(1).min(targets.len().max(1));
    let chunk = targets.len().div_ceil(threads).max(1);
    let mut out = Vec::new();
    std::thread::scope(|s| {
        let handles: Vec<_> = targets
            .chunks(chunk)
            .enumerate()
            .map(|(n, part)| {
                let mut checks = pack.checks.clone();
                let mut groups = pack.groups.clone();
                s.spawn(move || {
                    let mut res = Vec::new();
                    for (i, t) in part.iter().enumerate() {
                        let ti = n * chunk + i;
                        let lookup = groups
                            .as_ref()
                            .map_or(GroupLookup::PerCheck, |g| g.lookup(t.kind, &t.selector));
                        match (lookup, groups.as_mut()) {
                            (GroupLookup::Nothing, _) => {}
                            (GroupLookup::Group(g), Some(groups)) => {
                                match groups.eval(g, t.input.clone()) {
                                    Ok(all) => {
                                        for &ci in groups.members(g) {
                                            let c = &checks[ci];
                                            let v = &all[&regorus::Value::from(c.meta.id.as_str())];
                                            res.push((ci, ti, outcome_of(&c.meta, t, v)));
                                        }
                                    }
                                    // The group evaluation failed: isolate the culprit.
                                    Err(_) => {
                                        for &ci in groups.members(g) {
                                            res.push((ci, ti, evaluate(&mut checks[ci], t)));
                                        }
                                    }
                                }
                            }
                            _ => {
                                for (ci, c) in checks.iter_mut().enumerate() {
                                    if c.meta.applies_to(t.kind, &t.selector) {
                                        res.push((ci, ti, evaluate(c, t)));
                                    }
                                }
                            }
                        }
                    }
                    res
                })
            })
            .collect();
        for h in handles {
            out.extend(h.join().expect("scan thread panicked"));
        }
    });
    out
}

/// Scan options.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    pub threads: usize,
    pub timeout: Duration,
}

impl Default for ScanOptions {
    fn default() -> Self {
        Self {
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            timeout: crate::policy::DEFAULT_EVAL_TIMEOUT,
        }
    }
}

/// Scans files and directories with a compiled pack.
pub fn scan_paths(pack: &CompiledPack, paths: &[PathBuf], opts: &ScanOptions) -> ScanReport {
    let start = Instant::now();
    let loaded = load_paths(paths);
    let mut report = scan_targets(pack, &loaded.targets, opts);
    report.files = loaded.files;
    report.input_errors = loaded.errors;
    report.input_warnings = loaded.warnings;
    report.duration_ms = start.elapsed().as_millis() as u64;
    report
}

/// Scans already-loaded targets.
pub fn scan_targets(pack: &CompiledPack, targets: &[Target], opts: &ScanOptions) -> ScanReport {
    let start = Instant::now();
    let results = evaluate_all(pack, targets, opts.threads);
    let mut summaries: BTreeMap<usize, CheckSummary> = BTreeMap::new();
    let mut report = ScanReport {
        resources: targets.len(),
        policy_errors: pack.errors.iter().map(PolicyErrorOut::from).collect(),
        ..ScanReport::default()
    };
    for (ci, c) in pack.checks.iter().enumerate() {
        summaries.insert(
            ci,
            CheckSummary {
                id: c.meta.id.clone(),
                title: c.meta.title.clone(),
                severity: c.meta.severity,
                input: c.meta.input,
                evaluated: 0,
                passed: 0,
                failed: 0,
                errors: 0,
            },
        );
    }
    for (ci, ti, outcome) in results {
        let s = summaries.get_mut(&ci).expect("check index");
        s.evaluated += 1;
        match outcome {
            Outcome::Pass => s.passed += 1,
            Outcome::Fail(mut f) => {
                s.failed += 1;
                report.findings.append(&mut f);
            }
            Outcome::Error(reason) => {
                s.errors += 1;
                report.eval_errors.push(EvalError {
                    check_id: s.id.clone(),
                    file: targets[ti].file.clone(),
                    resource: targets[ti].resource.clone(),
                    reason,
                });
            }
        }
    }
    report.findings.sort_by(|a, b| {
        (&a.file, a.line, &a.check_id, &a.message).cmp(&(&b.file, b.line, &b.check_id, &b.message))
    });
    report.findings.dedup();
    report.checks = summaries.into_values().collect();
    report.duration_ms = start.elapsed().as_millis() as u64;
    report
}
