//! Rego policies: loading, METADATA annotations, compilation.
//!
//! A policy is a `.rego` file whose package carries an OPA-style
//! `# METADATA` comment block (YAML):
//!
//! ```rego
//! # METADATA
//! # title: Privileged container
//! # description: Privileged containers have all capabilities of the host.
//! # related_resources:
//! #   - https://kubernetes.io/docs/concepts/security/pod-security-standards/
//! # custom:
//! #   id: K8S-001
//! #   severity: high
//! #   input: kubernetes
//! #   selector: [workload]
//! #   remediation: Remove `securityContext.privileged: true`.
//! #   frameworks:
//! #     cis-kubernetes: ["5.2.2"]
//! package mcpsec.kubernetes.privileged
//!
//! import data.lib.k8s
//!
//! deny contains {"msg": msg, "path": c.path} if { ... }
//! ```
//!
//! Each policy defines `deny`, a set of strings or of objects
//! `{"msg", "path"?, "line"?}`; `path` is a field path in the input
//! (`spec.containers[0].securityContext`) used to find the line. Files whose
//! package starts with `lib.` are libraries added to every policy. Files
//! ending in `_test.rego` are tests (see [`crate::ptest`]).
//!
//! Every policy is compiled once, in its own `regorus::Engine` (with the
//! libraries), so a policy that fails to compile is reported with its file
//! and reason and skipped without affecting the others. Each evaluation runs
//! under a wall-clock limit (regorus' cooperative execution timer). regorus
//! enforces memory limits only when built with its `allocator-memory-limits`
//! feature (a custom global allocator), which this crate does not enable; a
//! runaway policy is stopped by the time limit instead.

use std::collections::{BTreeMap, HashMap};
use std::num::NonZeroU32;
use std::path::Path;
use std::time::Duration;

use include_dir::{Dir, include_dir};
use mcpsec_core::domain::Severity;
use serde::{Deserialize, Serialize};

use crate::error::PolicyError;
use crate::inputs::InputKind;

static BUILTIN: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/policies");

/// Kubernetes kinds that carry a pod template; `workload` in a selector.
pub const WORKLOAD_KINDS: &[&str] = &[
    "Pod",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "ReplicationController",
    "Job",
    "CronJob",
    "PodTemplate",
    "DeploymentConfig",
];

/// Default wall-clock limit of one policy evaluation.
pub const DEFAULT_EVAL_TIMEOUT: Duration = Duration::from_secs(2);

/// What a policy's METADATA says about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyMeta {
    pub id: String,
    pub title: String,
    pub description: String,
    pub severity: Severity,
    pub input: InputKind,
    /// Kubernetes kinds (or `workload`) / Terraform resource types the
    /// policy applies to; empty means every target of its input.
    pub selector: Vec<String>,
    pub remediation: String,
    pub references: Vec<String>,
    /// Framework name → control ids this check provides evidence for.
    pub frameworks: BTreeMap<String, Vec<String>>,
}

impl PolicyMeta {
    /// Whether the policy looks at a target of this input and selector.
    pub fn applies_to(&self, kind: InputKind, selector: &str) -> bool {
        if kind != self.input {
            return false;
        }
        self.selector.is_empty()
            || self.selector.iter().any(|s| {
                s == selector
                    || s == "*"
                    || (s == "workload" && WORKLOAD_KINDS.contains(&selector))
                    || (s.ends_with('*') && selector.starts_with(&s[..s.len() - 1]))
            })
    }
}

/// One policy source.
#[derive(Debug, Clone)]
pub struct Policy {
    pub meta: PolicyMeta,
    pub package: String,
    /// `builtin:<path>` or the file path.
    pub file: String,
    pub rego: String,
}

#[derive(Debug, Deserialize)]
struct RawMeta {
    title: Option<String>,
    description: Option<String>,
    #[serde(default)]
    related_resources: Vec<serde_yaml::Value>,
    #[serde(default)]
    custom: RawCustom,
}

#[derive(Debug, Default, Deserialize)]
struct RawCustom {
    id: Option<String>,
    severity: Option<String>,
    input: Option<String>,
    #[serde(default)]
    selector: Vec<String>,
    remediation: Option<String>,
    #[serde(default)]
    frameworks: BTreeMap<String, Vec<serde_yaml::Value>>,
}

/// The package of a Rego module.
pub fn package_of(rego: &str) -> Option<String> {
    rego.lines().find_map(|l| {
        let t = l.trim();
        t.strip_prefix("package ")
            .map(|p| p.split_whitespace().next().unwrap_or("").to_string())
    })
}

/// The YAML text of the `# METADATA` block that precedes the package, if any.
fn metadata_block(rego: &str) -> Option<String> {
    let mut lines = rego.lines().skip_while(|l| l.trim() != "# METADATA");
    lines.next()?;
    let mut out = String::new();
    for l in lines {
        let t = l.trim_start();
        let Some(c) = t.strip_prefix('#') else { break };
        out.push_str(c.strip_prefix(' ').unwrap_or(c));
        out.push('\n');
    }
    Some(out)
}

fn yaml_scalar(v: &serde_yaml::Value) -> Option<String> {
    match v {
        serde_yaml::Value::String(s) => Some(s.clone()),
        serde_yaml::Value::Number(n) => Some(n.to_string()),
        serde_yaml::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Reads a policy's METADATA. `Ok(None)` for a library (package `lib.*`).
pub fn parse_policy(file: &str, rego: &str) -> Result<Option<Policy>, PolicyError> {
    let err = |reason: String| PolicyError {
        file: file.to_string(),
        reason,
    };
    let package = package_of(rego).ok_or_else(|| err("no package declaration".into()))?;
    if package == "lib" || package.starts_with("lib.") {
        return Ok(None);
    }
    let yaml = metadata_block(rego).ok_or_else(|| {
        err("no `# METADATA` block (needs custom.id, custom.severity, custom.input)".into())
    })?;
    let raw: RawMeta =
        serde_yaml::from_str(&yaml).map_err(|e| err(format!("invalid METADATA: {e}")))?;
    let c = raw.custom;
    let id = c.id.ok_or_else(|| err("METADATA lacks custom.id".into()))?;
    let severity = c
        .severity
        .ok_or_else(|| err("METADATA lacks custom.severity".into()))?
        .to_ascii_lowercase()
        .parse::<Severity>()
        .map_err(err)?;
    let input = c
        .input
        .ok_or_else(|| err("METADATA lacks custom.input".into()))?
        .parse::<InputKind>()
        .map_err(err)?;
    if !rego.contains("deny") {
        return Err(err("policy defines no `deny` rule".into()));
    }
    let references = raw
        .related_resources
        .iter()
        .filter_map(|r| match r {
            serde_yaml::Value::Mapping(m) => m.get("ref").and_then(yaml_scalar),
            other => yaml_scalar(other),
        })
        .collect();
    let frameworks = c
        .frameworks
        .into_iter()
        .map(|(k, v)| (k, v.iter().filter_map(yaml_scalar).collect()))
        .collect();
    Ok(Some(Policy {
        meta: PolicyMeta {
            title: raw.title.unwrap_or_else(|| id.clone()),
            id,
            description: raw.description.unwrap_or_default().trim().to_string(),
            severity,
            input,
            selector: c.selector,
            remediation: c.remediation.unwrap_or_default().trim().to_string(),
            references,
            frameworks,
        },
        package,
        file: file.to_string(),
        rego: rego.to_string(),
    }))
}

/// Policies and libraries, before compilation.
#[derive(Debug, Clone, Default)]
pub struct PolicySet {
    pub policies: Vec<Policy>,
    /// `(file, rego)` of every library module.
    pub libs: Vec<(String, String)>,
    /// Policies that could not be read; they are skipped.
    pub errors: Vec<PolicyError>,
}

impl PolicySet {
    /// The embedded built-in pack.
    pub fn builtin() -> Self {
        let mut set = PolicySet::default();
        let mut files = Vec::new();
        collect_builtin(&BUILTIN, &mut files);
        files.sort_by(|a, b| a.0.cmp(&b.0));
        for (path, rego) in files {
            set.add_source(&format!("builtin:{path}"), &rego);
        }
        set
    }

    /// An empty set (for `--no-builtin`).
    pub fn empty() -> Self {
        Self::default()
    }

    /// Adds one module; a policy with an id already present replaces it.
    pub fn add_source(&mut self, file: &str, rego: &str) {
        if file.ends_with("_test.rego") {
            return;
        }
        match parse_policy(file, rego) {
            Ok(Some(p)) => {
                self.policies.retain(|q| q.meta.id != p.meta.id);
                self.policies.push(p);
            }
            Ok(None) => self.libs.push((file.to_string(), rego.to_string())),
            Err(e) => self.errors.push(e),
        }
    }

    /// Adds every `.rego` file under `dir` (recursively).
    pub fn load_dir(&mut self, dir: &Path) -> Result<usize, std::io::Error> {
        let mut files = Vec::new();
        rego_files(dir, &mut files)?;
        files.sort();
        let n = files.len();
        for f in files {
            match std::fs::read_to_string(&f) {
                Ok(text) => self.add_source(&f.display().to_string(), &text),
                Err(e) => self.errors.push(PolicyError {
                    file: f.display().to_string(),
                    reason: e.to_string(),
                }),
            }
        }
        Ok(n)
    }

    /// Compiles every policy (once), each in its own engine with the
    /// libraries. Policies that fail to compile are returned as errors.
    pub fn compile(&self, timeout: Duration) -> CompiledPack {
        self.compile_with(timeout, false)
    }

    /// Like [`PolicySet::compile`]; with `strict`, a built-in function
    /// error (e.g. `lower(null)`) fails the evaluation instead of making the
    /// expression undefined (OPA's default, used for scans).
    pub fn compile_with(&self, timeout: Duration, strict: bool) -> CompiledPack {
        let mut errors = self.errors.clone();
        let mut base = regorus::Engine::new();
        base.set_execution_timer_config(regorus::utils::limits::ExecutionTimerConfig {
            limit: timeout,
            check_interval: NonZeroU32::new(64).expect("non-zero"),
        });
        let bare = base.clone();
        let mut good_libs = Vec::new();
        for (file, rego) in &self.libs {
            let mut probe = base.clone();
            match probe.add_policy(file.clone(), rego.clone()) {
                Ok(_) => {
                    base = probe;
                    good_libs.push(file.clone());
                }
                Err(e) => errors.push(PolicyError {
                    file: file.clone(),
                    reason: first_line(&e.to_string()),
                }),
            }
        }
        let mut checks = Vec::new();
        for p in &self.policies {
            match compile_one(&base, p, strict) {
                Ok(engine) => checks.push(CompiledPolicy {
                    meta: p.meta.clone(),
                    file: p.file.clone(),
                    rule: format!("data.{}.deny", p.package),
                    engine,
                }),
                Err(reason) => errors.push(PolicyError {
                    file: p.file.clone(),
                    reason,
                }),
            }
        }
        let libs: Vec<&(String, String)> = self
            .libs
            .iter()
            .filter(|(f, _)| good_libs.contains(f))
            .collect();
        let groups = build_groups(&bare, &libs, &self.policies, &checks, strict);
        CompiledPack {
            checks,
            errors,
            groups,
        }
    }
}

/// Rule, in every group engine, that evaluates all the group's checks at
/// once, as an object `check id -> deny set`.
pub const GROUP_RULE: &str = "data.mcpsec_group.results";

/// Engines that each evaluate, in one call per target, every check that
/// applies to one kind of target (a Kubernetes kind, a Terraform resource
/// type...). Each engine holds the libraries and only those checks: regorus
/// walks every module of an engine on each `data.` reference, so small
/// engines are much faster than one holding the whole pack, and library
/// rules (pod spec, containers...) are computed once per target instead of
/// once per check.
#[derive(Clone, Default)]
pub struct Groups {
    engines: Vec<regorus::Engine>,
    /// Check indices (into [`CompiledPack::checks`]) of each engine.
    members: Vec<Vec<usize>>,
    by_selector: HashMap<(InputKind, String), usize>,
    /// Group of targets whose selector no check names; absent when no
    /// check applies to them.
    default: HashMap<InputKind, usize>,
    /// Prefix selectors (`aws_s3_*`): targets they match that are not
    /// named explicitly are evaluated check by check.
    prefixes: Vec<(InputKind, String)>,
}

/// Which evaluation a target gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupLookup {
    /// Evaluate group engine n.
    Group(usize),
    /// No check applies.
    Nothing,
    /// Evaluate the applicable checks one by one.
    PerCheck,
}

impl Groups {
    /// How a target of this kind and selector is evaluated.
    pub fn lookup(&self, kind: InputKind, selector: &str) -> GroupLookup {
        if let Some(g) = self.by_selector.get(&(kind, selector.to_string())) {
            return GroupLookup::Group(*g);
        }
        if self
            .prefixes
            .iter()
            .any(|(k, p)| *k == kind && selector.starts_with(p.as_str()))
        {
            return GroupLookup::PerCheck;
        }
        match self.default.get(&kind) {
            Some(g) => GroupLookup::Group(*g),
            None => GroupLookup::Nothing,
        }
    }

    /// Check indices evaluated by group `g`.
    pub fn members(&self, g: usize) -> &[usize] {
        &self.members[g]
    }

    /// Evaluates group `g` on an input: `check id -> deny set`.
    pub fn eval(&mut self, g: usize, input: regorus::Value) -> Result<regorus::Value, String> {
        let e = &mut self.engines[g];
        e.set_input(input);
        e.eval_rule(GROUP_RULE.to_string())
            .map_err(|e| first_line(&e.to_string()))
    }

    /// Number of group engines.
    pub fn len(&self) -> usize {
        self.engines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.engines.is_empty()
    }
}

/// Builds the group engines; `None` when a group could not be built (the
/// scan then evaluates checks one by one).
fn build_groups(
    bare: &regorus::Engine,
    libs: &[&(String, String)],
    policies: &[Policy],
    checks: &[CompiledPolicy],
    strict: bool,
) -> Option<Groups> {
    let mut groups = Groups::default();
    let mut by_members: BTreeMap<Vec<usize>, usize> = BTreeMap::new();
    let mut add = |groups: &mut Groups, members: Vec<usize>| -> Option<Option<usize>> {
        if members.is_empty() {
            return Some(None);
        }
        if let Some(g) = by_members.get(&members) {
            return Some(Some(*g));
        }
        let mut engine = bare.clone();
        let mut m = String::from("package mcpsec_group\n\nimport rego.v1\n\nresults := {\n");
        let mut sources: Vec<&str> = Vec::new();
        for &ci in &members {
            let c = &checks[ci];
            let p = policies.iter().find(|p| p.file == c.file)?;
            engine.add_policy(p.file.clone(), p.rego.clone()).ok()?;
            sources.push(&p.rego);
            m.push_str(&format!("\t{:?}: {},\n", c.meta.id, c.rule));
        }
        // Only the libraries the checks use (directly or through another
        // library): fewer modules, faster `data.` lookups.
        let mut used = vec![false; libs.len()];
        loop {
            let mut more = false;
            for (i, (_, rego)) in libs.iter().enumerate() {
                if used[i] {
                    continue;
                }
                let pkg = package_of(rego).unwrap_or_default();
                let needle = format!("data.{pkg}");
                if sources.iter().any(|s| s.contains(&needle)) {
                    used[i] = true;
                    sources.push(rego);
                    more = true;
                }
            }
            if !more {
                break;
            }
        }
        for (i, (file, rego)) in libs.iter().enumerate() {
            if used[i] {
                engine.add_policy(file.clone(), rego.clone()).ok()?;
            }
        }
        m.push_str("}\n");
        engine.add_policy("mcpsec_group.rego".into(), m).ok()?;
        engine.set_strict_builtin_errors(strict);
        engine.set_input(regorus::Value::new_object());
        engine.eval_rule(GROUP_RULE.to_string()).ok()?;
        let g = groups.engines.len();
        groups.engines.push(engine);
        groups.members.push(members.clone());
        by_members.insert(members, g);
        Some(Some(g))
    };
    for &kind in InputKind::ALL {
        let mut selectors: Vec<String> = Vec::new();
        for c in checks.iter().filter(|c| c.meta.input == kind) {
            for s in &c.meta.selector {
                if s == "workload" {
                    selectors.extend(WORKLOAD_KINDS.iter().map(|k| k.to_string()));
                } else if let Some(prefix) = s.strip_suffix('*') {
                    if !prefix.is_empty() {
                        groups.prefixes.push((kind, prefix.to_string()));
                    }
                } else {
                    selectors.push(s.clone());
                }
            }
        }
        selectors.sort();
        selectors.dedup();
        let applicable = |sel: &str| -> Vec<usize> {
            checks
                .iter()
                .enumerate()
                .filter(|(_, c)| c.meta.applies_to(kind, sel))
                .map(|(i, _)| i)
                .collect()
        };
        for sel in selectors {
            if let Some(g) = add(&mut groups, applicable(&sel))? {
                groups.by_selector.insert((kind, sel), g);
            }
        }
        // A selector no check names: only checks without a selector apply.
        if let Some(g) = add(&mut groups, applicable("\u{0}"))? {
            groups.default.insert(kind, g);
        }
    }
    Some(groups)
}

fn first_line(s: &str) -> String {
    s.trim().to_string()
}

fn compile_one(
    base: &regorus::Engine,
    p: &Policy,
    strict: bool,
) -> Result<regorus::Engine, String> {
    let mut engine = base.clone();
    engine
        .add_policy(p.file.clone(), p.rego.clone())
        .map_err(|e| first_line(&e.to_string()))?;
    engine.set_strict_builtin_errors(strict);
    // regorus resolves and schedules rules on first evaluation: evaluate once
    // on an empty input so compile errors surface here, not per target.
    engine.set_input(regorus::Value::new_object());
    engine
        .eval_rule(format!("data.{}.deny", p.package))
        .map_err(|e| first_line(&e.to_string()))?;
    Ok(engine)
}

fn collect_builtin(dir: &Dir<'static>, out: &mut Vec<(String, String)>) {
    for f in dir.files() {
        if f.path().extension().is_some_and(|e| e == "rego")
            && let Some(text) = f.contents_utf8()
        {
            out.push((f.path().display().to_string(), text.to_string()));
        }
    }
    for d in dir.dirs() {
        collect_builtin(d, out);
    }
}

/// Every `.rego` file under `dir`.
pub fn rego_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) -> Result<(), std::io::Error> {
    if dir.is_file() {
        out.push(dir.to_path_buf());
        return Ok(());
    }
    for e in std::fs::read_dir(dir)? {
        let p = e?.path();
        if p.is_dir() {
            rego_files(&p, out)?;
        } else if p.extension().is_some_and(|e| e == "rego") {
            out.push(p);
        }
    }
    Ok(())
}

/// The built-in library modules (`lib.*`), for policy tests.
pub fn builtin_libs() -> Vec<(String, String)> {
    PolicySet::builtin().libs
}

/// Checks one uploaded policy module before it is kept (the service's
/// custom policies per tenant): its METADATA, that it is a check and not a
/// library, that its id and package are not built-in ones, and that it
/// compiles and evaluates on an empty input with the built-in libraries. The
/// error names `file` and, for Rego errors, the line and column
/// (`file:3:5: error: …`).
pub fn validate_module(file: &str, rego: &str, timeout: Duration) -> Result<Policy, PolicyError> {
    let err = |reason: String| PolicyError {
        file: file.to_string(),
        reason,
    };
    let p = parse_policy(file, rego)?
        .ok_or_else(|| err("library modules (package lib.*) cannot be uploaded".into()))?;
    let builtin = PolicySet::builtin();
    if builtin.policies.iter().any(|b| b.meta.id == p.meta.id) {
        return Err(err(format!("id {} is a built-in check", p.meta.id)));
    }
    if builtin.policies.iter().any(|b| b.package == p.package) {
        return Err(err(format!("package {} is a built-in check's", p.package)));
    }
    let mut base = regorus::Engine::new();
    base.set_execution_timer_config(regorus::utils::limits::ExecutionTimerConfig {
        limit: timeout,
        check_interval: NonZeroU32::new(64).expect("non-zero"),
    });
    for (f, text) in &builtin.libs {
        base.add_policy(f.clone(), text.clone()).map_err(|e| {
            err(format!(
                "built-in library {f}: {}",
                first_line(&e.to_string())
            ))
        })?;
    }
    compile_one(&base, &p, false).map_err(|e| err(one_line_error(&e)))?;
    Ok(p)
}

/// regorus' multi-line diagnostic (`--> f.rego:3:5`, the source line, a
/// caret, `error: …`) as one line: `f.rego:3:5: …`.
fn one_line_error(msg: &str) -> String {
    let loc = msg
        .lines()
        .find_map(|l| l.trim().strip_prefix("--> "))
        .map(str::trim);
    let what = msg
        .lines()
        .find_map(|l| l.trim().strip_prefix("error: "))
        .map(str::trim);
    match (loc, what) {
        (Some(l), Some(w)) => format!("{l}: {w}"),
        _ => msg.split_whitespace().collect::<Vec<_>>().join(" "),
    }
}

/// A policy ready to evaluate.
#[derive(Clone)]
pub struct CompiledPolicy {
    pub meta: PolicyMeta,
    pub file: String,
    /// `data.<package>.deny`.
    pub rule: String,
    pub engine: regorus::Engine,
}

/// The compiled pack.
#[derive(Clone)]
pub struct CompiledPack {
    pub checks: Vec<CompiledPolicy>,
    /// Policies skipped because they failed to load or compile.
    pub errors: Vec<PolicyError>,
    /// Checks grouped by the targets they apply to (see [`Groups`]);
    /// `None` when they could not be combined, then checks are evaluated
    /// one by one.
    pub groups: Option<Groups>,
}

impl CompiledPack {
    pub fn metas(&self) -> impl Iterator<Item = &PolicyMeta> {
        self.checks.iter().map(|c| &c.meta)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "# METADATA\n# title: T\n# related_resources:\n#   - https://a\n#   - ref: https://b\n# custom:\n#   id: X-1\n#   severity: HIGH\n#   input: kubernetes\n#   frameworks:\n#     soc2: [CC6.1]\npackage x.one\n\ndeny contains \"bad\" if input.bad\n";

    #[test]
    fn metadata_is_read() {
        let p = parse_policy("f.rego", GOOD).unwrap().unwrap();
        assert_eq!(p.meta.id, "X-1");
        assert_eq!(p.meta.severity, Severity::High);
        assert_eq!(p.meta.references, vec!["https://a", "https://b"]);
        assert_eq!(p.meta.frameworks["soc2"], vec!["CC6.1"]);
        assert_eq!(p.package, "x.one");
    }

    #[test]
    fn broken_policy_is_reported_and_skipped() {
        let mut set = PolicySet::empty();
        set.add_source("good.rego", GOOD);
        set.add_source(
            "bad.rego",
            &GOOD
                .replace("X-1", "X-2")
                .replace("x.one", "x.two")
                .replace("input.bad", "input.bad ++ )"),
        );
        set.add_source("nometa.rego", "package y\ndeny contains 1 if true\n");
        let pack = set.compile(DEFAULT_EVAL_TIMEOUT);
        assert_eq!(pack.checks.len(), 1);
        assert_eq!(pack.errors.len(), 2, "{:?}", pack.errors);
        assert!(pack.errors.iter().any(|e| e.file == "bad.rego"));
    }

    #[test]
    fn uploaded_module_is_validated() {
        let p = validate_module("acme.rego", GOOD, DEFAULT_EVAL_TIMEOUT).unwrap();
        assert_eq!(p.meta.id, "X-1");
        let broken = GOOD.replace("input.bad", "input.bad ++ )");
        let e = validate_module("acme.rego", &broken, DEFAULT_EVAL_TIMEOUT).unwrap_err();
        assert_eq!(e.file, "acme.rego");
        assert!(e.reason.contains("acme.rego:14:"), "{}", e.reason);
        let e = validate_module(
            "k.rego",
            &GOOD.replace("X-1", "K8S-001"),
            DEFAULT_EVAL_TIMEOUT,
        )
        .unwrap_err();
        assert!(e.reason.contains("built-in check"), "{}", e.reason);
        let e = validate_module("l.rego", "package lib.mine\nx := 1\n", DEFAULT_EVAL_TIMEOUT)
            .unwrap_err();
        assert!(e.reason.contains("library"), "{}", e.reason);
        // Uses a built-in library.
        let uses_lib = GOOD.replace(
            "deny contains \"bad\" if input.bad",
            "import data.lib.k8s\n\ndeny contains \"bad\" if input.bad",
        );
        let r = validate_module("u.rego", &uses_lib, DEFAULT_EVAL_TIMEOUT);
        assert!(r.is_ok(), "{r:?}");
    }

    #[test]
    fn builtin_pack_compiles() {
        let set = PolicySet::builtin();
        assert!(set.errors.is_empty(), "{:?}", set.errors);
        let pack = set.compile(DEFAULT_EVAL_TIMEOUT);
        assert!(pack.errors.is_empty(), "{:?}", pack.errors);
        assert!(pack.groups.is_some(), "checks could not be combined");
        let mut ids: Vec<_> = pack.metas().map(|m| m.id.clone()).collect();
        let n = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), n, "duplicate check ids");
    }
}
