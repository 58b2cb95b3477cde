//! Inputs: files found under the scanned paths, parsed into [`Target`]s, one
//! per resource a policy looks at.
//!
//! | input | files | one target per | Rego `input` |
//! |---|---|---|---|
//! | `kubernetes` | `*.yaml`, `*.yml`, `*.json` with `apiVersion` and `kind` (multi-document, `List` kinds, `kubectl get -o json`) | resource | the resource |
//! | `dockerfile` | `Dockerfile`, `Dockerfile.*`, `*.dockerfile`, `Containerfile` | file | see [`dockerfile`] |
//! | `terraform` | `*.tf` of one directory (+ `terraform.tfvars`, `*.auto.tfvars`), plan JSON | resource | see [`terraform`] |
//! | `github-actions` | YAML with `on` and `jobs` | workflow | the workflow |
//! | `gitlab-ci` | `.gitlab-ci.yml`, `*.gitlab-ci.yml`, or YAML with `stages` and a job with `script` | pipeline file | the pipeline |
//! | `aws`, `azure`, `gcp` | JSON or NDJSON (`*.ndjson`, `*.jsonl`, or a `.json` file with one object per line) cloud inventories, see [`cloud`] | resource | the resource |
//! | `container-image` | image tarballs / OCI layouts (read by the `mcpsec` binary), or `.json` image documents | image | see [`image`] |
//!
//! Files that fail to parse are reported as [`InputError`]s and skipped; in
//! NDJSON files and AWS Config query results, a bad line or record is
//! reported (`file: line 3: …`) and the others are scanned.

pub mod cloud;
pub mod dockerfile;
pub mod image;
pub mod terraform;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::InputError;
use crate::yaml::{LineMap, load_documents};

/// The kinds of input policies are written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum InputKind {
    Kubernetes,
    Dockerfile,
    Terraform,
    GithubActions,
    GitlabCi,
    Aws,
    Azure,
    Gcp,
    ContainerImage,
}

impl InputKind {
    pub const ALL: &'static [InputKind] = &[
        InputKind::Kubernetes,
        InputKind::Dockerfile,
        InputKind::Terraform,
        InputKind::GithubActions,
        InputKind::GitlabCi,
        InputKind::Aws,
        InputKind::Azure,
        InputKind::Gcp,
        InputKind::ContainerImage,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            InputKind::Kubernetes => "kubernetes",
            InputKind::Dockerfile => "dockerfile",
            InputKind::Terraform => "terraform",
            InputKind::GithubActions => "github-actions",
            InputKind::GitlabCi => "gitlab-ci",
            InputKind::Aws => "aws",
            InputKind::Azure => "azure",
            InputKind::Gcp => "gcp",
            InputKind::ContainerImage => "container-image",
        }
    }
}

impl fmt::Display for InputKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for InputKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        InputKind::ALL
            .iter()
            .copied()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unknown input {s:?}; expected one of: kubernetes, dockerfile, terraform, github-actions, gitlab-ci, aws, azure, gcp, container-image"
                )
            })
    }
}

/// One thing policies evaluate: a Kubernetes resource, a Dockerfile, a
/// Terraform resource, a workflow.
#[derive(Debug, Clone)]
pub struct Target {
    pub kind: InputKind,
    /// The file, as given or found under a given directory.
    pub file: String,
    /// A name for the resource (`Deployment/web`, `aws_s3_bucket.logs`).
    pub resource: String,
    /// What policy selectors match: the Kubernetes kind or the Terraform type.
    pub selector: String,
    /// Line of the resource in the file.
    pub line: u32,
    /// The Rego input.
    pub input: regorus::Value,
    /// Lines of the input's fields, by path.
    pub lines: Arc<LineMap>,
}

impl Target {
    /// The line of a field path reported by a policy, or the resource's line.
    pub fn line_of(&self, path: Option<&str>) -> u32 {
        path.and_then(|p| self.lines.resolve(p))
            .unwrap_or(self.line)
            .max(1)
    }
}

/// What was read from the scanned paths.
#[derive(Debug, Default)]
pub struct Loaded {
    pub targets: Vec<Target>,
    pub errors: Vec<InputError>,
    /// Inputs evaluated only partly (unexpanded Terraform modules,
    /// unresolvable `count`/`for_each`).
    pub warnings: Vec<InputError>,
    /// Files read (parsed or not).
    pub files: usize,
}

const SKIP_DIRS: &[&str] = &[".git", ".terraform", "node_modules", "target", "vendor"];

/// Walks files and directories and parses every supported file.
pub fn load_paths(paths: &[PathBuf]) -> Loaded {
    let mut files = Vec::new();
    let mut loaded = Loaded::default();
    for p in paths {
        if p.is_dir() {
            walk(p, &mut files, &mut loaded.errors);
        } else if p.exists() {
            files.push(p.clone());
        } else {
            loaded.errors.push(InputError {
                file: p.display().to_string(),
                reason: "no such file or directory".into(),
            });
        }
    }
    files.sort();
    files.dedup();
    let mut tf_dirs: BTreeMap<PathBuf, Vec<PathBuf>> = BTreeMap::new();
    for f in files {
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".tf") || lower.ends_with(".tfvars") {
            let dir = f.parent().map(Path::to_path_buf).unwrap_or_default();
            tf_dirs.entry(dir).or_default().push(f);
            continue;
        }
        let kind = if dockerfile::is_dockerfile_name(&name) {
            Some(InputKind::Dockerfile)
        } else if lower.ends_with(".yaml")
            || lower.ends_with(".yml")
            || lower.ends_with(".json")
            || lower.ends_with(".ndjson")
            || lower.ends_with(".jsonl")
        {
            None
        } else {
            continue;
        };
        loaded.files += 1;
        let text = match std::fs::read(&f) {
            Ok(b) => String::from_utf8_lossy(&b).into_owned(),
            Err(e) => {
                loaded.errors.push(InputError {
                    file: f.display().to_string(),
                    reason: e.to_string(),
                });
                continue;
            }
        };
        let file = f.display().to_string();
        match kind {
            Some(_) => loaded.targets.push(dockerfile_target(&file, &text)),
            None => match yaml_targets_named(&file, &name, &text, &mut loaded.errors) {
                Ok(mut t) => loaded.targets.append(&mut t),
                Err(e) => loaded.errors.push(e),
            },
        }
    }
    // A directory used as a local module by another scanned directory is
    // scanned through its callers (with their arguments), not on its own.
    let mut by_dir = Vec::new();
    let mut module_dirs = Vec::new();
    for (dir, files) in tf_dirs {
        loaded.files += files.len();
        let tl = terraform_targets(&files);
        module_dirs.extend(tl.module_dirs.iter().cloned());
        by_dir.push((dir, tl));
    }
    for (dir, mut tl) in by_dir {
        if module_dirs.contains(&terraform::normalize(&dir)) {
            continue;
        }
        loaded.targets.append(&mut tl.targets);
        loaded.errors.append(&mut tl.errors);
        loaded.warnings.append(&mut tl.warnings);
    }
    loaded
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>, errors: &mut Vec<InputError>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            errors.push(InputError {
                file: dir.display().to_string(),
                reason: e.to_string(),
            });
            return;
        }
    };
    let mut entries: Vec<_> = entries.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let p = e.path();
        let name = e.file_name().to_string_lossy().to_string();
        let Ok(ft) = e.file_type() else { continue };
        if ft.is_dir() {
            if SKIP_DIRS.contains(&name.as_str()) || (name.starts_with('.') && name != ".github") {
                continue;
            }
            walk(&p, out, errors);
        } else if ft.is_file() {
            out.push(p);
        }
    }
}

/// A Dockerfile as one target.
pub fn dockerfile_target(file: &str, text: &str) -> Target {
    let (v, lines) = dockerfile::to_input(text);
    Target {
        kind: InputKind::Dockerfile,
        file: file.to_string(),
        resource: Path::new(file)
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_else(|| file.to_string()),
        selector: "Dockerfile".into(),
        line: 1,
        input: regorus::Value::from(v),
        lines: Arc::new(lines),
    }
}

fn k8s_target(file: &str, v: Value, line: u32, lines: LineMap) -> Target {
    let kind = v["kind"].as_str().unwrap_or_default().to_string();
    let name = v["metadata"]["name"]
        .as_str()
        .or_else(|| v["metadata"]["generateName"].as_str())
        .unwrap_or("<unnamed>");
    let resource = match v["metadata"]["namespace"].as_str() {
        Some(ns) => format!("{kind}/{ns}/{name}"),
        None => format!("{kind}/{name}"),
    };
    Target {
        kind: InputKind::Kubernetes,
        file: file.to_string(),
        resource,
        selector: kind,
        line,
        input: regorus::Value::from(v),
        lines: Arc::new(lines),
    }
}

fn is_k8s(v: &Value) -> bool {
    v.get("apiVersion").is_some_and(Value::is_string) && v.get("kind").is_some_and(Value::is_string)
}

fn is_workflow(v: &Value) -> bool {
    v.get("jobs").is_some_and(Value::is_object)
        && (v.get("on").is_some() || v.get("true").is_some())
}

/// GitLab CI keywords that are not jobs.
pub const GITLAB_RESERVED: &[&str] = &[
    "default",
    "include",
    "stages",
    "variables",
    "workflow",
    "image",
    "services",
    "before_script",
    "after_script",
    "cache",
    "spec",
];

fn is_gitlab_ci(name: &str, v: &Value) -> bool {
    let Some(o) = v.as_object() else {
        return false;
    };
    if name == ".gitlab-ci.yml" || name.ends_with(".gitlab-ci.yml") || name == "gitlab-ci.yml" {
        return true;
    }
    o.get("stages").is_some_and(Value::is_array)
        && o.iter()
            .any(|(k, j)| !GITLAB_RESERVED.contains(&k.as_str()) && j.get("script").is_some())
}

/// Kubernetes resources, workflows and plans in a YAML or JSON file.
/// Errors of single records (an NDJSON line, a query result) are dropped;
/// [`file_targets`] returns them.
pub fn yaml_targets(file: &str, text: &str) -> Result<Vec<Target>, InputError> {
    let mut errors = Vec::new();
    yaml_targets_named(file, &file_name(file), text, &mut errors)
}

/// The targets of a YAML, JSON or NDJSON file and the records that were
/// skipped; `Err` when nothing of the file could be read.
pub fn file_targets(file: &str, text: &str) -> Result<(Vec<Target>, Vec<InputError>), InputError> {
    let mut errors = Vec::new();
    let t = yaml_targets_named(file, &file_name(file), text, &mut errors)?;
    Ok((t, errors))
}

fn file_name(file: &str) -> String {
    Path::new(file)
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default()
}

/// Whether a file is newline-delimited JSON: named `*.ndjson`/`*.jsonl`, or
/// its first non-blank line is a whole JSON object and another line follows.
fn is_ndjson(name: &str, text: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".ndjson") || lower.ends_with(".jsonl") {
        return true;
    }
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let Some(first) = lines.next() else {
        return false;
    };
    first.starts_with('{')
        && lines.next().is_some_and(|l| l.starts_with('{'))
        && serde_json::from_str::<serde_json::Map<String, Value>>(first).is_ok()
}

/// Like [`yaml_targets`], with the file name (it tells GitLab CI files);
/// errors of single records go to `errors`.
fn yaml_targets_named(
    file: &str,
    name: &str,
    text: &str,
    errors: &mut Vec<InputError>,
) -> Result<Vec<Target>, InputError> {
    if is_ndjson(name, text) {
        return ndjson_targets(file, name, text, errors);
    }
    let docs = load_documents(text).map_err(|e| InputError {
        file: file.to_string(),
        reason: format!("invalid YAML/JSON: {e}"),
    })?;
    let mut out = Vec::new();
    for d in docs {
        document_targets(file, name, d.value, d.line, d.lines, &mut out, errors);
    }
    Ok(out)
}

/// One JSON value per line; a line that is not JSON is reported and skipped.
/// `Err` when no line is valid JSON.
fn ndjson_targets(
    file: &str,
    name: &str,
    text: &str,
    errors: &mut Vec<InputError>,
) -> Result<Vec<Target>, InputError> {
    let mut out = Vec::new();
    let (mut good, mut bad) = (0usize, Vec::new());
    for (i, l) in text.lines().enumerate() {
        let l = l.trim();
        if l.is_empty() {
            continue;
        }
        let n = (i + 1) as u32;
        match serde_json::from_str::<Value>(l) {
            Ok(v) => {
                good += 1;
                let mut lines = LineMap::new();
                lines.insert("", n);
                document_targets(file, name, v, n, lines, &mut out, errors);
            }
            Err(e) => bad.push(InputError {
                file: file.to_string(),
                reason: format!("line {n}: invalid JSON: {e}"),
            }),
        }
    }
    if good == 0 {
        return Err(match bad.into_iter().next() {
            Some(e) => InputError {
                file: e.file,
                reason: format!("invalid NDJSON: {}", e.reason),
            },
            None => InputError {
                file: file.to_string(),
                reason: "invalid NDJSON: no JSON line".into(),
            },
        });
    }
    errors.append(&mut bad);
    Ok(out)
}

/// The targets of one parsed document.
fn document_targets(
    file: &str,
    name: &str,
    v: Value,
    line: u32,
    lines: LineMap,
    out: &mut Vec<Target>,
    errors: &mut Vec<InputError>,
) {
    if is_k8s(&v) {
        let kind = v["kind"].as_str().unwrap_or_default();
        if kind.ends_with("List") && v["items"].is_array() {
            let Value::Array(items) = v["items"].clone() else {
                return;
            };
            let mut item_lines = lines.split_array("items", items.len());
            for (i, item) in items.into_iter().enumerate() {
                if !item.is_object() {
                    continue;
                }
                let lines = std::mem::take(&mut item_lines[i]);
                let line = lines.get("").unwrap_or(line);
                out.push(k8s_target(file, item, line, lines));
            }
        } else {
            out.push(k8s_target(file, v, line, lines));
        }
    } else if image::is_document(&v) {
        out.push(image::target(file, v));
    } else if is_workflow(&v) {
        out.push(Target {
            kind: InputKind::GithubActions,
            file: file.to_string(),
            resource: v["name"]
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| "workflow".into()),
            selector: "workflow".into(),
            line,
            input: regorus::Value::from(v),
            lines: Arc::new(lines),
        });
    } else if is_gitlab_ci(name, &v) {
        out.push(Target {
            kind: InputKind::GitlabCi,
            file: file.to_string(),
            resource: name.to_string(),
            selector: "pipeline".into(),
            line,
            input: regorus::Value::from(v),
            lines: Arc::new(lines),
        });
    } else if let Some(inv) = cloud::targets(file, &v, &lines) {
        out.extend(inv.targets);
        errors.extend(inv.errors.into_iter().map(|reason| InputError {
            file: file.to_string(),
            reason,
        }));
    } else if terraform::is_plan(&v) {
        let resources = terraform::plan_resources(&v);
        out.extend(terraform_module_targets(
            resources
                .into_iter()
                .map(|(t, n, a, c)| (file.to_string(), t, n, a, c, 1, LineMap::new()))
                .collect(),
        ));
    }
}

type TfItem = (String, String, String, String, Value, u32, LineMap);

fn terraform_module_targets(items: Vec<TfItem>) -> Vec<Target> {
    let module: Vec<Value> = items
        .iter()
        .map(|(_, t, n, a, c, _, _)| {
            serde_json::json!({"type": t, "name": n, "address": a, "config": c})
        })
        .collect();
    let module = regorus::Value::from(serde_json::json!({ "resources": module }));
    items
        .into_iter()
        .map(|(file, rtype, name, address, config, line, lines)| {
            let mut input = regorus::Value::from(serde_json::json!({
                "kind": "terraform", "type": rtype, "name": name, "address": address, "config": config,
            }));
            if let Ok(o) = input.as_object_mut() {
                o.insert(regorus::Value::from("module"), module.clone());
            }
            Target {
                kind: InputKind::Terraform,
                file,
                resource: address,
                selector: rtype,
                line,
                input,
                lines: Arc::new(lines),
            }
        })
        .collect()
}

/// The resources of the `.tf` files of one directory.
pub fn terraform_targets(files: &[PathBuf]) -> TfLoaded {
    let mut parsed = Vec::new();
    let mut tfvars = Vec::new();
    let mut errors = Vec::new();
    for f in files {
        let file = f.display().to_string();
        let text = match std::fs::read(f) {
            Ok(b) => String::from_utf8_lossy(&b).into_owned(),
            Err(e) => {
                errors.push(InputError {
                    file,
                    reason: e.to_string(),
                });
                continue;
            }
        };
        let body = match hcl::parse(&text) {
            Ok(b) => b,
            Err(e) => {
                errors.push(InputError {
                    file,
                    reason: format!(
                        "invalid HCL: {}",
                        e.to_string().lines().next().unwrap_or("")
                    ),
                });
                continue;
            }
        };
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        if name.ends_with(".tfvars") {
            if name == "terraform.tfvars" || name.ends_with(".auto.tfvars") {
                tfvars.push(body);
            }
            continue;
        }
        parsed.push(terraform::TfFile {
            path: file,
            text,
            body,
        });
    }
    let expanded = terraform::expand(&parsed, &tfvars);
    let items = expanded
        .resources
        .into_iter()
        .map(|r| {
            (
                r.file, r.rtype, r.name, r.address, r.config, r.line, r.lines,
            )
        })
        .collect();
    TfLoaded {
        targets: terraform_module_targets(items),
        errors,
        warnings: expanded
            .warnings
            .into_iter()
            .map(|(file, reason)| InputError { file, reason })
            .collect(),
        module_dirs: expanded.module_dirs,
    }
}

/// What [`terraform_targets`] read from one directory.
#[derive(Debug, Default)]
pub struct TfLoaded {
    pub targets: Vec<Target>,
    pub errors: Vec<InputError>,
    /// What was evaluated without full expansion (see [`terraform`]).
    pub warnings: Vec<InputError>,
    /// Directories expanded as local modules.
    pub module_dirs: Vec<PathBuf>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_items_keep_their_lines() {
        let text = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: a\n  spec:\n    containers: []\n";
        let t = yaml_targets("x.yaml", text).unwrap();
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].resource, "Pod/a");
        assert_eq!(t[0].line, 4);
        assert_eq!(t[0].line_of(Some("spec.containers")), 9);
    }

    #[test]
    fn workflow_detected() {
        let t = yaml_targets("ci.yml", "on: push\njobs:\n  a:\n    runs-on: x\n").unwrap();
        assert_eq!(t[0].kind, InputKind::GithubActions);
    }
}
