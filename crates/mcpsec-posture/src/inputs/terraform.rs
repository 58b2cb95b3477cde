//! Terraform: HCL files of one directory (a module) and `terraform show -json`
//! plans.
//!
//! Every `resource` block becomes one target whose Rego input is
//! `{"kind": "terraform", "type", "name", "address", "config", "module"}`:
//! `config` holds the attributes (expressions evaluated with `var.*` and
//! `local.*` where they resolve; anything else kept as the `${...}` text) and
//! nested blocks as arrays of objects, as in plan JSON; `module.resources`
//! lists every resource of the same directory (`{type, name, address,
//! config}`) for checks that span resources (an S3 bucket and its public
//! access block).
//!
//! Expansion: `count` and `for_each` that resolve (numbers; maps, lists and
//! `toset()`/`tolist()`/`tomap()` of literals, variables and locals) give one
//! target per instance (`aws_instance.web[0]`, `aws_s3_bucket.b["logs"]`)
//! with `count.index` / `each.key` / `each.value` resolved; local modules
//! (`source = "./mod"`, `"../mod"`) are read and their resources added as
//! `module.NAME.TYPE.NAME` with the module block's arguments as variables,
//! recursively (at most 8 levels). What does not resolve is evaluated once
//! and reported as a warning: an unresolvable `count`/`for_each`, a module
//! whose source is not a local path (registry, git) or cannot be read.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use hcl::eval::{Context, Evaluate, FuncArgs, FuncDef, ParamType};
use hcl::{Body, Expression, ObjectKey};
use serde_json::{Map, Value, json};

use crate::yaml::LineMap;

/// A parsed `.tf` file.
pub struct TfFile {
    pub path: String,
    pub text: String,
    pub body: Body,
}

/// One resource, ready for policies.
pub struct TfResource {
    pub file: String,
    pub rtype: String,
    pub name: String,
    /// `module.m.aws_s3_bucket.b["x"]`.
    pub address: String,
    pub config: Value,
    pub lines: LineMap,
    pub line: u32,
}

fn label_str(l: &hcl::BlockLabel) -> &str {
    match l {
        hcl::BlockLabel::Identifier(i) => i.as_str(),
        hcl::BlockLabel::String(s) => s.as_str(),
    }
}

fn hcl_to_json(v: hcl::Value) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// Evaluates an expression as far as the context allows.
fn expr_to_json(e: &Expression, ctx: &Context) -> Value {
    if !matches!(e, Expression::FuncCall(_))
        && let Ok(v) = e.evaluate(ctx)
    {
        return hcl_to_json(v);
    }
    match e {
        Expression::Array(items) => {
            Value::Array(items.iter().map(|i| expr_to_json(i, ctx)).collect())
        }
        Expression::Object(o) => {
            let mut m = Map::new();
            for (k, v) in o {
                let key = match k {
                    ObjectKey::Identifier(i) => i.to_string(),
                    ObjectKey::Expression(Expression::String(s)) => s.clone(),
                    ObjectKey::Expression(x) => match x.evaluate(ctx) {
                        Ok(hcl::Value::String(s)) => s,
                        _ => x.to_string(),
                    },
                    _ => continue,
                };
                m.insert(key, expr_to_json(v, ctx));
            }
            Value::Object(m)
        }
        Expression::Parenthesis(inner) => expr_to_json(inner, ctx),
        // `jsonencode({...})` with references that do not resolve: encode
        // what does, so policy documents stay readable to policies.
        Expression::FuncCall(f) if f.name.name.as_str() == "jsonencode" && f.args.len() == 1 => {
            Value::String(expr_to_json(&f.args[0], ctx).to_string())
        }
        other => {
            let s = other.to_string();
            match s.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
                Some(inner) => Value::String(inner.to_string()),
                None => Value::String(format!("${{{s}}}")),
            }
        }
    }
}

/// Attributes and nested blocks of a body as JSON.
pub fn body_to_json(body: &Body, ctx: &Context) -> Value {
    let mut m = Map::new();
    for a in body.attributes() {
        m.insert(a.key.to_string(), expr_to_json(&a.expr, ctx));
    }
    for b in body.blocks() {
        let (key, inner) = if b.identifier.as_str() == "dynamic" && !b.labels.is_empty() {
            // `dynamic "ingress" { content { ... } }` counts as an `ingress` block.
            let content = b
                .body
                .blocks()
                .find(|c| c.identifier.as_str() == "content")
                .map(|c| body_to_json(&c.body, ctx))
                .unwrap_or_else(|| Value::Object(Map::new()));
            (label_str(&b.labels[0]).to_string(), content)
        } else {
            let mut inner = body_to_json(&b.body, ctx);
            if !b.labels.is_empty()
                && let Value::Object(o) = &mut inner
            {
                o.insert(
                    "__labels".into(),
                    json!(b.labels.iter().map(label_str).collect::<Vec<_>>()),
                );
            }
            (b.identifier.to_string(), inner)
        };
        match m.entry(key).or_insert_with(|| Value::Array(Vec::new())) {
            Value::Array(a) => a.push(inner),
            slot => *slot = Value::Array(vec![slot.take(), inner]),
        }
    }
    Value::Object(m)
}

fn to_collection(args: FuncArgs) -> Result<hcl::Value, String> {
    Ok(args
        .into_values()
        .into_iter()
        .next()
        .unwrap_or(hcl::Value::Null))
}

fn to_set(args: FuncArgs) -> Result<hcl::Value, String> {
    match to_collection(args)? {
        hcl::Value::Array(items) => {
            let mut out: Vec<hcl::Value> = Vec::new();
            for i in items {
                if !out.contains(&i) {
                    out.push(i);
                }
            }
            Ok(hcl::Value::Array(out))
        }
        other => Ok(other),
    }
}

/// A context with the conversion functions `for_each` often uses.
fn base_context() -> Context<'static> {
    let mut ctx = Context::new();
    for (name, f) in [
        ("toset", to_set as hcl::eval::Func),
        ("tolist", to_collection),
        ("tomap", to_collection),
    ] {
        ctx.declare_func(name, FuncDef::builder().param(ParamType::Any).build(f));
    }
    ctx
}

/// Variables (defaults, then `terraform.tfvars` / `*.auto.tfvars` values) and
/// locals of a module, as an evaluation context.
pub fn module_context(files: &[TfFile], tfvars: &[Body]) -> Context<'static> {
    module_context_with(files, tfvars, &BTreeMap::new())
}

/// Like [`module_context`], with variable values set by a calling `module`
/// block (they win over defaults and tfvars).
pub fn module_context_with(
    files: &[TfFile],
    tfvars: &[Body],
    overrides: &BTreeMap<String, hcl::Value>,
) -> Context<'static> {
    let empty = Context::new();
    let mut vars: BTreeMap<String, hcl::Value> = BTreeMap::new();
    for f in files {
        for b in f
            .body
            .blocks()
            .filter(|b| b.identifier.as_str() == "variable")
        {
            let Some(name) = b.labels.first().map(label_str) else {
                continue;
            };
            if let Some(d) = b.body.attributes().find(|a| a.key.as_str() == "default")
                && let Ok(v) = d.expr.evaluate(&empty)
            {
                vars.insert(name.to_string(), v);
            }
        }
    }
    for body in tfvars {
        for a in body.attributes() {
            if let Ok(v) = a.expr.evaluate(&empty) {
                vars.insert(a.key.to_string(), v);
            }
        }
    }
    for (k, v) in overrides {
        vars.insert(k.clone(), v.clone());
    }
    let var_obj: hcl::Map<String, hcl::Value> = vars.into_iter().collect();
    let local_exprs: Vec<(String, Expression)> = files
        .iter()
        .flat_map(|f| {
            f.body
                .blocks()
                .filter(|b| b.identifier.as_str() == "locals")
        })
        .flat_map(|b| {
            b.body
                .attributes()
                .map(|a| (a.key.to_string(), a.expr.clone()))
                .collect::<Vec<_>>()
        })
        .collect();
    let mut locals: hcl::Map<String, hcl::Value> = hcl::Map::new();
    // Locals may refer to each other: resolve in rounds until nothing changes.
    for _ in 0..8 {
        let mut ctx = base_context();
        ctx.declare_var("var", hcl::Value::Object(var_obj.clone()));
        ctx.declare_var("local", hcl::Value::Object(locals.clone()));
        let mut changed = false;
        for (k, e) in &local_exprs {
            if locals.contains_key(k) {
                continue;
            }
            if let Ok(v) = e.evaluate(&ctx) {
                locals.insert(k.clone(), v);
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let mut ctx = base_context();
    ctx.declare_var("var", hcl::Value::Object(var_obj));
    ctx.declare_var("local", hcl::Value::Object(locals));
    ctx
}

/// Finds where `resource "TYPE" "NAME"` starts and ends (0-based line indexes).
fn block_range(lines: &[&str], rtype: &str, name: &str) -> Option<(usize, usize)> {
    let start = lines.iter().position(|l| {
        let t = l.trim_start();
        t.starts_with("resource")
            && t.contains(&format!("\"{rtype}\""))
            && t.contains(&format!("\"{name}\""))
    })?;
    Some((start, block_end(lines, start)))
}

/// The line where the block opened on `start` closes (brace counting,
/// ignoring braces inside quoted strings and comments).
fn block_end(lines: &[&str], start: usize) -> usize {
    let mut depth = 0i32;
    let mut opened = false;
    for (i, l) in lines.iter().enumerate().skip(start) {
        let mut in_str = false;
        let mut prev = ' ';
        for c in l.chars() {
            if in_str {
                if c == '"' && prev != '\\' {
                    in_str = false;
                }
            } else if c == '"' {
                in_str = true;
            } else if c == '#' || (c == '/' && prev == '/') {
                break;
            } else if c == '{' {
                depth += 1;
                opened = true;
            } else if c == '}' {
                depth -= 1;
            }
            prev = c;
        }
        if opened && depth <= 0 {
            return i;
        }
    }
    lines.len().saturating_sub(1)
}

/// Records the lines of the attributes and nested blocks of `value` found
/// between `from` and `to` (0-based, inclusive).
fn map_lines(lines: &[&str], from: usize, to: usize, path: &str, value: &Value, out: &mut LineMap) {
    let Value::Object(o) = value else { return };
    for (k, v) in o {
        if k == "__labels" {
            continue;
        }
        let p = if path.is_empty() {
            k.clone()
        } else {
            format!("{path}.{k}")
        };
        let mut occurrences = Vec::new();
        let mut i = from + 1;
        while i <= to && i < lines.len() {
            let t = lines[i].trim_start();
            let is_key = t.strip_prefix(k.as_str()).is_some_and(|r| {
                let r = r.trim_start();
                r.starts_with('=') || r.starts_with('{') || r.starts_with('"')
            }) || (t.starts_with("dynamic") && t.contains(&format!("\"{k}\"")));
            if is_key {
                let end = if t.contains('{') && !t.contains('=') || t.starts_with("dynamic") {
                    block_end(lines, i)
                } else {
                    i
                };
                occurrences.push((i, end));
                i = end + 1;
            } else {
                i += 1;
            }
        }
        let Some(&(first, _)) = occurrences.first() else {
            continue;
        };
        out.insert(p.clone(), first as u32 + 1);
        if let Value::Array(items) = v
            && items.iter().all(Value::is_object)
            && occurrences.len() == items.len()
        {
            for (n, (item, (s, e))) in items.iter().zip(&occurrences).enumerate() {
                let ip = format!("{p}[{n}]");
                out.insert(ip.clone(), *s as u32 + 1);
                map_lines(lines, *s, *e, &ip, item, out);
            }
        }
    }
}

/// Resources of a module (the `.tf` files of one directory).
pub fn module_resources(files: &[TfFile], tfvars: &[Body]) -> Vec<TfResource> {
    expand(files, tfvars).resources
}

/// A module's resources with its local modules and `count`/`for_each`
/// instances expanded.
#[derive(Default)]
pub struct Expanded {
    pub resources: Vec<TfResource>,
    /// `(file, reason)` of what could not be expanded (evaluated once).
    pub warnings: Vec<(String, String)>,
    /// Directories read as local modules.
    pub module_dirs: Vec<PathBuf>,
}

/// Expands the module made of `files` (one directory).
pub fn expand(files: &[TfFile], tfvars: &[Body]) -> Expanded {
    let mut out = Expanded::default();
    let dir = files
        .first()
        .and_then(|f| Path::new(&f.path).parent())
        .map(Path::to_path_buf)
        .unwrap_or_default();
    expand_module(&dir, files, tfvars, &BTreeMap::new(), "", 0, &mut out);
    out
}

/// One instance of a block with `count` / `for_each`.
enum Instance {
    Single,
    Count(u64),
    Each(String, hcl::Value),
}

impl Instance {
    fn suffix(&self) -> String {
        match self {
            Instance::Single => String::new(),
            Instance::Count(i) => format!("[{i}]"),
            Instance::Each(k, _) => format!("[{k:?}]"),
        }
    }

    fn scope<'a>(&self, ctx: &Context<'a>) -> Context<'a> {
        let mut c = ctx.clone();
        match self {
            Instance::Single => {}
            Instance::Count(i) => {
                let mut m = hcl::Map::new();
                m.insert("index".to_string(), hcl::Value::from(*i));
                c.declare_var("count", hcl::Value::Object(m));
            }
            Instance::Each(k, v) => {
                let mut m = hcl::Map::new();
                m.insert("key".to_string(), hcl::Value::from(k.clone()));
                m.insert("value".to_string(), v.clone());
                c.declare_var("each", hcl::Value::Object(m));
            }
        }
        c
    }
}

/// The instances of a block; `Err` when `count`/`for_each` does not resolve.
fn instances(body: &Body, ctx: &Context) -> Result<Vec<Instance>, String> {
    let attr = |k: &str| body.attributes().find(|a| a.key.as_str() == k);
    if let Some(a) = attr("count") {
        return match a.expr.evaluate(ctx) {
            Ok(hcl::Value::Number(n)) => match n.as_u64() {
                Some(n) if n <= 10_000 => Ok((0..n).map(Instance::Count).collect()),
                _ => Err(format!("count = {n} is not a usable number")),
            },
            Ok(hcl::Value::Bool(b)) => Ok(if b { vec![Instance::Count(0)] } else { vec![] }),
            Ok(other) => Err(format!("count = {other} is not a number")),
            Err(_) => Err(format!("count = {} does not resolve", a.expr)),
        };
    }
    if let Some(a) = attr("for_each") {
        return match a.expr.evaluate(ctx) {
            Ok(hcl::Value::Object(m)) => {
                Ok(m.into_iter().map(|(k, v)| Instance::Each(k, v)).collect())
            }
            Ok(hcl::Value::Array(items)) => items
                .into_iter()
                .map(|i| match i {
                    hcl::Value::String(s) => Ok(Instance::Each(s.clone(), hcl::Value::String(s))),
                    other => Err(format!("for_each over a list of non-strings ({other})")),
                })
                .collect(),
            Ok(other) => Err(format!("for_each = {other} is not a map or set")),
            Err(_) => Err(format!("for_each = {} does not resolve", a.expr)),
        };
    }
    Ok(vec![Instance::Single])
}

/// Lexically normalises `a/./b/../c` to `a/c`.
pub(crate) fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                let last_is_parent =
                    matches!(out.components().next_back(), Some(Component::ParentDir));
                if last_is_parent || !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// Reads and parses the `.tf` files of a module directory.
fn read_module(dir: &Path) -> Result<Vec<TfFile>, String> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| e.to_string())?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "tf"))
        .collect();
    paths.sort();
    let mut files = Vec::new();
    for p in paths {
        let text = std::fs::read_to_string(&p).map_err(|e| format!("{}: {e}", p.display()))?;
        let body = hcl::parse(&text).map_err(|e| {
            format!(
                "{}: invalid HCL: {}",
                p.display(),
                e.to_string().lines().next().unwrap_or("")
            )
        })?;
        files.push(TfFile {
            path: p.display().to_string(),
            text,
            body,
        });
    }
    Ok(files)
}

const MAX_MODULE_DEPTH: usize = 8;

fn expand_module(
    dir: &Path,
    files: &[TfFile],
    tfvars: &[Body],
    overrides: &BTreeMap<String, hcl::Value>,
    prefix: &str,
    depth: usize,
    out: &mut Expanded,
) {
    let ctx = module_context_with(files, tfvars, overrides);
    for f in files {
        let text_lines: Vec<&str> = f.text.lines().collect();
        for b in f.body.blocks() {
            match b.identifier.as_str() {
                "resource" if b.labels.len() >= 2 => {}
                "module" if !b.labels.is_empty() => {
                    expand_call(dir, f, b, &ctx, prefix, depth, out);
                    continue;
                }
                _ => continue,
            }
            let rtype = label_str(&b.labels[0]).to_string();
            let name = label_str(&b.labels[1]).to_string();
            let (start, end) = block_range(&text_lines, &rtype, &name).unwrap_or((0, 0));
            let insts = instances(&b.body, &ctx).unwrap_or_else(|reason| {
                out.warnings.push((
                    f.path.clone(),
                    format!(
                        "{prefix}{rtype}.{name} (line {}): {reason}; evaluated as one instance",
                        start + 1
                    ),
                ));
                vec![Instance::Single]
            });
            for inst in insts {
                let scope = inst.scope(&ctx);
                let config = body_to_json(&b.body, &scope);
                let mut lines = LineMap::new();
                lines.insert("", start as u32 + 1);
                lines.insert("config", start as u32 + 1);
                map_lines(&text_lines, start, end, "config", &config, &mut lines);
                out.resources.push(TfResource {
                    file: f.path.clone(),
                    address: format!("{prefix}{rtype}.{name}{}", inst.suffix()),
                    rtype: rtype.clone(),
                    name: name.clone(),
                    config,
                    lines,
                    line: start as u32 + 1,
                });
            }
        }
    }
}

/// Expands one `module` block.
fn expand_call(
    dir: &Path,
    f: &TfFile,
    b: &hcl::Block,
    ctx: &Context,
    prefix: &str,
    depth: usize,
    out: &mut Expanded,
) {
    let name = label_str(&b.labels[0]);
    let here = format!("{prefix}module.{name}");
    let mut warn = |reason: String| {
        out.warnings
            .push((f.path.clone(), format!("{here}: {reason}")))
    };
    let source = b
        .body
        .attributes()
        .find(|a| a.key.as_str() == "source")
        .and_then(|a| a.expr.evaluate(ctx).ok());
    let Some(hcl::Value::String(source)) = source else {
        warn("module without a resolvable `source`; not expanded".into());
        return;
    };
    if !(source.starts_with("./") || source.starts_with("../")) {
        warn(format!(
            "source {source:?} is not a local path (registry/git modules are not fetched); not expanded"
        ));
        return;
    }
    if depth >= MAX_MODULE_DEPTH {
        warn(format!(
            "modules nested deeper than {MAX_MODULE_DEPTH}; not expanded"
        ));
        return;
    }
    let mdir = normalize(&dir.join(&source));
    let files = match read_module(&mdir) {
        Ok(files) if !files.is_empty() => files,
        Ok(_) => {
            warn(format!("no .tf files in {}; not expanded", mdir.display()));
            return;
        }
        Err(e) => {
            warn(format!("cannot read module {}: {e}", mdir.display()));
            return;
        }
    };
    let insts = instances(&b.body, ctx).unwrap_or_else(|reason| {
        warn(format!("{reason}; expanded as one instance"));
        vec![Instance::Single]
    });
    const META: &[&str] = &[
        "source",
        "version",
        "count",
        "for_each",
        "providers",
        "depends_on",
    ];
    for inst in insts {
        let scope = inst.scope(ctx);
        let mut overrides = BTreeMap::new();
        for a in b.body.attributes() {
            if META.contains(&a.key.as_str()) {
                continue;
            }
            match a.expr.evaluate(&scope) {
                Ok(v) => {
                    overrides.insert(a.key.to_string(), v);
                }
                Err(_) => out.warnings.push((
                    f.path.clone(),
                    format!(
                        "{here}{}: input {} = {} does not resolve; the module sees it unresolved",
                        inst.suffix(),
                        a.key,
                        a.expr
                    ),
                )),
            }
        }
        let p = format!("{here}{}.", inst.suffix());
        expand_module(&mdir, &files, &[], &overrides, &p, depth + 1, out);
    }
    if !out.module_dirs.contains(&mdir) {
        out.module_dirs.push(mdir);
    }
}

/// Resources of a `terraform show -json` plan (planned values, all modules).
pub fn plan_resources(plan: &Value) -> Vec<(String, String, String, Value)> {
    fn walk(m: &Value, out: &mut Vec<(String, String, String, Value)>) {
        for r in m["resources"].as_array().into_iter().flatten() {
            if r["mode"].as_str().unwrap_or("managed") != "managed" {
                continue;
            }
            out.push((
                r["type"].as_str().unwrap_or_default().to_string(),
                r["name"].as_str().unwrap_or_default().to_string(),
                r["address"].as_str().unwrap_or_default().to_string(),
                r["values"].clone(),
            ));
        }
        for c in m["child_modules"].as_array().into_iter().flatten() {
            walk(c, out);
        }
    }
    let mut out = Vec::new();
    walk(&plan["planned_values"]["root_module"], &mut out);
    out
}

/// Whether a JSON document is a Terraform plan.
pub fn is_plan(v: &Value) -> bool {
    v.get("planned_values").is_some()
        || (v.get("format_version").is_some() && v.get("terraform_version").is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_vars_and_locals_and_lines() {
        let text = r#"variable "acl" {
  default = "public-read"
}
locals {
  name = "logs-${var.acl}"
}
resource "aws_s3_bucket" "b" {
  bucket = local.name
  acl    = var.acl
  policy = aws_iam_policy.p.json
  versioning {
    enabled = true
  }
}
"#;
        let f = TfFile {
            path: "main.tf".into(),
            text: text.into(),
            body: hcl::parse(text).unwrap(),
        };
        let rs = module_resources(&[f], &[]);
        assert_eq!(rs.len(), 1);
        let r = &rs[0];
        assert_eq!(r.config["bucket"], "logs-public-read");
        assert_eq!(r.config["acl"], "public-read");
        assert_eq!(r.config["policy"], "${aws_iam_policy.p.json}");
        assert_eq!(r.config["versioning"][0]["enabled"], true);
        assert_eq!(r.line, 7);
        assert_eq!(r.lines.get("config.acl"), Some(9));
        assert_eq!(r.lines.get("config.versioning[0].enabled"), Some(12));
    }
}
