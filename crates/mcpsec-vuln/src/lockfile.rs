//! Lockfile extractors: package-lock.json (v1–v3), yarn.lock (v1 and
//! berry), pnpm-lock.yaml, Cargo.lock, poetry.lock, requirements.txt pins,
//! go.mod, Gemfile.lock, composer.lock, uv.lock, Pipfile.lock, pom.xml
//! (declared versions), gradle.lockfile, NuGet packages.lock.json.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::Value;

use crate::reachability::Scope;
use crate::sbom::Component;

/// PEP 503 name normalisation (lower case, runs of `-_.` as `-`).
fn pep503(n: &str) -> String {
    let mut out = String::with_capacity(n.len());
    for ch in n.chars() {
        if matches!(ch, '-' | '_' | '.') {
            if !out.ends_with('-') {
                out.push('-');
            }
        } else {
            out.push(ch.to_ascii_lowercase());
        }
    }
    out
}

/// Sets the reachability hints a lockfile records.
fn hint(mut c: Component, direct: Option<bool>, scope: Option<Scope>) -> Component {
    c.reachability.direct = direct;
    c.reachability.scope = scope;
    c
}

fn dev_if(dev: bool) -> Option<Scope> {
    Some(if dev {
        Scope::Development
    } else {
        Scope::Runtime
    })
}

/// A lockfile kind, recognised by file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockfileKind {
    NpmLock,
    YarnLock,
    PnpmLock,
    CargoLock,
    PoetryLock,
    Requirements,
    GoMod,
    GemfileLock,
    ComposerLock,
    UvLock,
    PipfileLock,
    PomXml,
    GradleLockfile,
    NugetLock,
}

/// Why a lockfile could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed {kind:?}: {reason}")]
pub struct LockfileError {
    pub kind: LockfileKind,
    pub reason: String,
}

/// The lockfile kind of a file name, if it is one.
pub fn kind_of(file_name: &str) -> Option<LockfileKind> {
    Some(match file_name {
        "package-lock.json" | "npm-shrinkwrap.json" => LockfileKind::NpmLock,
        "yarn.lock" => LockfileKind::YarnLock,
        "pnpm-lock.yaml" => LockfileKind::PnpmLock,
        "Cargo.lock" => LockfileKind::CargoLock,
        "poetry.lock" => LockfileKind::PoetryLock,
        "go.mod" => LockfileKind::GoMod,
        "Gemfile.lock" | "gems.locked" => LockfileKind::GemfileLock,
        "composer.lock" => LockfileKind::ComposerLock,
        "uv.lock" => LockfileKind::UvLock,
        "Pipfile.lock" => LockfileKind::PipfileLock,
        "pom.xml" => LockfileKind::PomXml,
        "gradle.lockfile" | "buildscript-gradle.lockfile" => LockfileKind::GradleLockfile,
        "packages.lock.json" => LockfileKind::NugetLock,
        n if n.starts_with("requirements") && n.ends_with(".txt") => LockfileKind::Requirements,
        // gradle/dependency-locks/<configuration>.lockfile (Gradle < 7).
        n if n.ends_with(".lockfile") => LockfileKind::GradleLockfile,
        _ => return None,
    })
}

/// Extracts the components of a lockfile.
pub fn parse(kind: LockfileKind, bytes: &[u8]) -> Result<Vec<Component>, LockfileError> {
    let err = |r: String| LockfileError { kind, reason: r };
    let text = std::str::from_utf8(bytes).map_err(|e| err(e.to_string()))?;
    let mut out = match kind {
        LockfileKind::NpmLock => npm_lock(text).map_err(err)?,
        LockfileKind::YarnLock => yarn_lock(text),
        LockfileKind::PnpmLock => pnpm_lock(text),
        LockfileKind::CargoLock => toml_packages(text, "crates.io").map_err(err)?,
        LockfileKind::PoetryLock => toml_packages(text, "PyPI").map_err(err)?,
        LockfileKind::Requirements => requirements(text),
        LockfileKind::GoMod => go_mod(text),
        LockfileKind::GemfileLock => gemfile_lock(text),
        LockfileKind::ComposerLock => composer_lock(text).map_err(err)?,
        LockfileKind::UvLock => uv_lock(text).map_err(err)?,
        LockfileKind::PipfileLock => pipfile_lock(text).map_err(err)?,
        LockfileKind::PomXml => crate::pom::parse(text).map_err(err)?.components,
        LockfileKind::GradleLockfile => gradle_lockfile(text),
        LockfileKind::NugetLock => nuget_lock(text).map_err(err)?,
    };
    // One entry per (name, version); their hints combined (runtime and
    // direct win over development and transitive).
    let mut first: BTreeMap<(String, Option<String>), usize> = BTreeMap::new();
    let mut keep = Vec::with_capacity(out.len());
    for c in out.drain(..) {
        match first.get(&(c.name.clone(), c.version.clone())) {
            Some(&i) => {
                let r = c.reachability;
                let k: &mut Component = &mut keep[i];
                k.reachability.merge(&r);
            }
            None => {
                first.insert((c.name.clone(), c.version.clone()), keep.len());
                keep.push(c);
            }
        }
    }
    Ok(keep)
}

fn npm_name_from_path(path: &str) -> Option<&str> {
    let i = path.rfind("node_modules/")?;
    Some(&path[i + "node_modules/".len()..])
}

fn npm_lock(text: &str) -> Result<Vec<Component>, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    if !v.is_object() {
        return Err("top level is not an object".into());
    }
    let mut out = Vec::new();
    if let Some(pkgs) = v.get("packages").and_then(Value::as_object) {
        // The root package's declared dependencies are the direct ones.
        let root = pkgs.get("");
        let mut direct: HashMap<&str, Scope> = HashMap::new();
        for (key, scope) in [
            ("devDependencies", Scope::Development),
            ("dependencies", Scope::Runtime),
            ("optionalDependencies", Scope::Runtime),
            ("peerDependencies", Scope::Runtime),
        ] {
            for n in root
                .and_then(|r| r.get(key))
                .and_then(Value::as_object)
                .into_iter()
                .flat_map(|m| m.keys())
            {
                direct.insert(n.as_str(), scope);
            }
        }
        for (path, p) in pkgs {
            if path.is_empty() || p.get("link").and_then(Value::as_bool) == Some(true) {
                continue;
            }
            let name = p
                .get("name")
                .and_then(Value::as_str)
                .or_else(|| npm_name_from_path(path));
            if let (Some(n), Some(ver)) = (name, p.get("version").and_then(Value::as_str)) {
                let dev = p.get("dev").and_then(Value::as_bool) == Some(true);
                // Top level (`node_modules/x`, not nested) and declared by the root.
                let is_direct = root.is_some()
                    && path.strip_prefix("node_modules/") == Some(n)
                    && direct.contains_key(n);
                out.push(hint(
                    Component::from_parts("npm", n, ver),
                    root.map(|_| is_direct),
                    dev_if(dev),
                ));
            }
        }
    } else if let Some(deps) = v.get("dependencies") {
        fn walk(deps: &Value, out: &mut Vec<Component>) {
            for (n, d) in deps.as_object().into_iter().flatten() {
                if let Some(ver) = d.get("version").and_then(Value::as_str) {
                    // Aliases (`npm:real@1.0.0`) and git/file sources keep their real version.
                    let ver = ver
                        .rsplit_once('@')
                        .filter(|_| ver.starts_with("npm:"))
                        .map(|x| x.1)
                        .unwrap_or(ver);
                    let dev = d.get("dev").and_then(Value::as_bool) == Some(true);
                    out.push(hint(
                        Component::from_parts("npm", n, ver),
                        None,
                        dev_if(dev),
                    ));
                }
                if let Some(nested) = d.get("dependencies") {
                    walk(nested, out);
                }
            }
        }
        walk(deps, &mut out);
    }
    Ok(out)
}

fn unquote(s: &str) -> &str {
    s.trim().trim_matches('"').trim_matches('\'')
}

/// The package name of a yarn/pnpm descriptor like `@scope/name@^1.0` or
/// `name@npm:^1.0`.
fn descriptor_name(d: &str) -> &str {
    let d = unquote(d);
    let start = usize::from(d.starts_with('@'));
    match d[start..].find('@') {
        Some(i) => {
            // Alias `alias@npm:real-name@^1.0`: the real package is what matters.
            let rest = &d[start + i + 1..];
            if let Some(target) = rest.strip_prefix("npm:")
                && target.starts_with(|c: char| c.is_ascii_alphabetic() || c == '@')
                && target[1..].contains('@')
            {
                return descriptor_name(target);
            }
            &d[..start + i]
        }
        None => d,
    }
}

fn yarn_lock(text: &str) -> Vec<Component> {
    let mut out = Vec::new();
    let mut name: Option<String> = None;
    for line in text.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        if !line.starts_with(' ') {
            // "a@^1, a@^1.1:" or a@npm:^1:
            let first = line.trim_end_matches(':').split(", ").next().unwrap_or("");
            let n = descriptor_name(first);
            name = if n.is_empty() || n == "__metadata" {
                None
            } else {
                Some(n.to_string())
            };
            continue;
        }
        let t = line.trim();
        let ver = t
            .strip_prefix("version ")
            .or_else(|| t.strip_prefix("version: "));
        if let (Some(n), Some(v)) = (&name, ver) {
            let v = unquote(v);
            // berry workspace entries are `0.0.0-use.local`.
            if !v.contains("use.local") {
                out.push(Component::from_parts("npm", n, v));
            }
            name = None;
        }
    }
    out
}

fn pnpm_lock(text: &str) -> Vec<Component> {
    let mut out = Vec::new();
    let mut in_packages = false;
    for line in text.lines() {
        if !line.starts_with(' ') && !line.trim().is_empty() {
            in_packages = line.trim_end() == "packages:" || line.trim_end() == "snapshots:";
            continue;
        }
        if !in_packages {
            continue;
        }
        // Keys are indented by exactly two spaces.
        let Some(key) = line.strip_prefix("  ").filter(|l| !l.starts_with(' ')) else {
            continue;
        };
        let key = key.trim_end();
        let key = match key.find(": ") {
            Some(i) => &key[..i],
            None => key.trim_end_matches(':'),
        };
        if let Some((name, ver)) = pnpm_key(key) {
            out.push(Component::from_parts("npm", name, ver));
        }
    }
    pnpm_hints(text, &mut out);
    out
}

/// Direct dependencies and their scope from `importers` (v6+) or the
/// top-level `dependencies`/`devDependencies`/`optionalDependencies` (v5/v6),
/// and the `dev` flag of `packages` entries (v5/v6).
fn pnpm_hints(text: &str, out: &mut [Component]) {
    use serde_yaml::Value as Y;
    let Ok(doc) = serde_yaml::from_str::<Y>(text) else {
        return;
    };
    let mut direct: HashMap<String, Scope> = HashMap::new();
    let mut roots: Vec<&Y> = vec![&doc];
    if let Some(imp) = doc.get("importers").and_then(Y::as_mapping) {
        roots.extend(imp.values());
    }
    for r in roots {
        for (key, scope) in [
            ("devDependencies", Scope::Development),
            ("dependencies", Scope::Runtime),
            ("optionalDependencies", Scope::Runtime),
        ] {
            for n in r
                .get(key)
                .and_then(Y::as_mapping)
                .into_iter()
                .flat_map(|m| m.keys())
                .filter_map(Y::as_str)
            {
                let e = direct.entry(n.to_string()).or_insert(scope);
                if scope == Scope::Runtime {
                    *e = Scope::Runtime;
                }
            }
        }
    }
    let mut dev: HashMap<(String, String), bool> = HashMap::new();
    for (k, v) in doc
        .get("packages")
        .and_then(Y::as_mapping)
        .into_iter()
        .flatten()
    {
        if let (Some(k), Some(d)) = (k.as_str(), v.get("dev").and_then(Y::as_bool))
            && let Some((n, ver)) = pnpm_key(k)
        {
            dev.insert((n.to_string(), ver.to_string()), d);
        }
    }
    let has_direct = !direct.is_empty();
    for c in out.iter_mut() {
        let ver = c.version.clone().unwrap_or_default();
        let flag = dev.get(&(c.name.clone(), ver)).copied();
        match direct.get(&c.name) {
            Some(s) => {
                c.reachability.direct = Some(true);
                c.reachability.scope = Some(*s);
            }
            None => {
                c.reachability.direct = has_direct.then_some(false);
                c.reachability.scope = flag.and_then(dev_if);
            }
        }
    }
}

/// Name and version of a pnpm `packages`/`snapshots` key (`/name@1.0.0`,
/// `name@1.0.0(peer@1)`, v5 `/@scope/name/1.0.0_peer@1`).
fn pnpm_key(key: &str) -> Option<(&str, &str)> {
    {
        let key = unquote(key);
        let key = key.trim_start_matches('/');
        // Drop peer-dependency suffixes: name@1.0.0(react@18) or name@1.0.0_react@18.
        let key = key.split('(').next().unwrap_or(key);
        let (name, ver) = if let Some(i) = key[usize::from(key.starts_with('@'))..].find('@') {
            let i = i + usize::from(key.starts_with('@'));
            (&key[..i], &key[i + 1..])
        } else {
            // v5: /name/1.0.0 or /@scope/name/1.0.0
            key.rsplit_once('/')?
        };
        let ver = ver.split('_').next().unwrap_or(ver);
        (!name.is_empty() && ver.chars().next().is_some_and(|c| c.is_ascii_digit()))
            .then_some((name, ver))
    }
}

fn toml_packages(text: &str, ecosystem: &str) -> Result<Vec<Component>, String> {
    let v: toml::Value = toml::from_str(text).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    let packages = v.get("package").and_then(|p| p.as_array());
    // Cargo.lock: the dependencies of the local (workspace) crates are the
    // direct ones (entries are `name`, `name version` or `name version (source)`).
    let mut cargo_direct: HashSet<(&str, Option<&str>)> = HashSet::new();
    if ecosystem == "crates.io" {
        for p in packages.into_iter().flatten() {
            if p.get("source").is_some() {
                continue;
            }
            for d in p
                .get("dependencies")
                .and_then(|d| d.as_array())
                .into_iter()
                .flatten()
                .filter_map(|d| d.as_str())
            {
                let mut it = d.split_whitespace();
                if let Some(n) = it.next() {
                    cargo_direct.insert((n, it.next()));
                }
            }
        }
    }
    for p in packages.into_iter().flatten() {
        let (Some(n), Some(ver)) = (
            p.get("name").and_then(|x| x.as_str()),
            p.get("version").and_then(|x| x.as_str()),
        ) else {
            continue;
        };
        // Cargo.lock: local workspace crates have no source and are not on crates.io.
        if ecosystem == "crates.io" && p.get("source").is_none() {
            continue;
        }
        let c = Component::from_parts(ecosystem, n, ver);
        out.push(if ecosystem == "crates.io" {
            let direct =
                cargo_direct.contains(&(n, None)) || cargo_direct.contains(&(n, Some(ver)));
            hint(c, Some(direct), None)
        } else {
            // poetry.lock: `category = "dev"` (poetry < 1.5) or `groups` (2.x).
            let scope = match (
                p.get("category").and_then(|x| x.as_str()),
                p.get("groups").and_then(|x| x.as_array()),
            ) {
                (Some(cat), _) => dev_if(cat != "main"),
                (None, Some(g)) => dev_if(!g.iter().any(|x| x.as_str() == Some("main"))),
                _ => None,
            };
            hint(c, None, scope)
        });
    }
    Ok(out)
}

fn requirements(text: &str) -> Vec<Component> {
    let mut out: Vec<Component> = Vec::new();
    let mut joined = String::new();
    // pip-compile annotations: `# via -r requirements.in` (direct) or
    // `# via flask` (transitive), inline or as a `#   entry` list below.
    let mut via: Vec<(usize, Vec<String>)> = Vec::new();
    let mut in_via = false;
    for raw in text.lines() {
        let t = raw.trim_start();
        if let Some(rest) = t.strip_prefix("# via") {
            if let Some(i) = out.len().checked_sub(1) {
                let mut entries = Vec::new();
                if !rest.trim().is_empty() {
                    entries.push(rest.trim().to_string());
                }
                via.push((i, entries));
                in_via = true;
            }
            continue;
        }
        if in_via && t.starts_with("#   ") {
            if let Some(last) = via.last_mut() {
                last.1.push(t[1..].trim().to_string());
            }
            continue;
        }
        in_via = false;
        let line = raw.split(" #").next().unwrap_or(raw);
        if let Some(stripped) = line.strip_suffix('\\') {
            joined.push_str(stripped);
            continue;
        }
        joined.push_str(line);
        let l = std::mem::take(&mut joined);
        let l = l.trim();
        if l.is_empty() || l.starts_with('#') || l.starts_with('-') {
            continue;
        }
        let l = l.split(';').next().unwrap_or(l);
        let l = l.split(" --").next().unwrap_or(l);
        let Some((name, ver)) = l.split_once("===").or_else(|| l.split_once("==")) else {
            continue;
        };
        let name = name.split('[').next().unwrap_or(name).trim();
        let ver = ver.split(',').next().unwrap_or(ver).trim();
        if !name.is_empty() && !ver.is_empty() && !ver.contains('*') {
            out.push(Component::from_parts("PyPI", name, ver));
        }
    }
    if !via.is_empty() {
        for c in &mut out {
            c.reachability.direct = Some(false);
        }
        for (i, entries) in via {
            if entries.iter().any(|e| e.starts_with("-r")) {
                out[i].reachability.direct = Some(true);
            }
        }
    }
    out
}

fn go_mod(text: &str) -> Vec<Component> {
    let mut out = Vec::new();
    let mut in_block = false;
    let mut replaced: Vec<(String, String, String)> = Vec::new();
    let mut in_replace = false;
    for raw in text.lines() {
        let indirect = raw
            .split_once("//")
            .is_some_and(|(_, c)| c.trim_start().starts_with("indirect"));
        let line = raw.split("//").next().unwrap_or(raw).trim();
        if line.is_empty() {
            continue;
        }
        if line == ")" {
            in_block = false;
            in_replace = false;
            continue;
        }
        let spec = if in_block {
            Some(line)
        } else if let Some(r) = line.strip_prefix("require ") {
            if r.trim() == "(" {
                in_block = true;
                None
            } else {
                Some(r.trim())
            }
        } else if let Some(r) = line.strip_prefix("replace ") {
            if r.trim() == "(" {
                in_replace = true;
            } else {
                push_replace(r, &mut replaced);
            }
            None
        } else if in_replace {
            push_replace(line, &mut replaced);
            None
        } else if let Some(v) = line.strip_prefix("go ") {
            out.push(Component::from_parts("Go", "stdlib", v.trim()));
            None
        } else {
            None
        };
        if let Some(s) = spec {
            let parts: Vec<&str> = s.split_whitespace().collect();
            if parts.len() >= 2 {
                out.push(hint(
                    Component::from_parts("Go", parts[0], parts[1]),
                    Some(!indirect),
                    None,
                ));
            }
        }
    }
    for (from, to, ver) in replaced {
        for c in out.iter_mut().filter(|c| c.name == from) {
            let r = c.reachability;
            *c = Component::from_parts("Go", &to, &ver);
            c.reachability = r;
        }
    }
    out
}

fn push_replace(spec: &str, out: &mut Vec<(String, String, String)>) {
    if let Some((l, r)) = spec.split_once("=>") {
        let from = l.split_whitespace().next().unwrap_or("").to_string();
        let rp: Vec<&str> = r.split_whitespace().collect();
        // Only module replacements with a version; local paths are dropped from matching.
        if rp.len() == 2 {
            out.push((from, rp[0].to_string(), rp[1].to_string()));
        }
    }
}

fn gemfile_lock(text: &str) -> Vec<Component> {
    let mut out = Vec::new();
    let mut in_specs = false;
    // The DEPENDENCIES section lists what the Gemfile declares.
    let mut direct: Option<HashSet<&str>> = None;
    let mut in_deps = false;
    for line in text.lines() {
        if !line.starts_with(' ') {
            in_deps = line.trim_end() == "DEPENDENCIES";
            if in_deps {
                direct.get_or_insert_with(HashSet::new);
            }
            continue;
        }
        if in_deps {
            if let Some(d) = line.strip_prefix("  ").filter(|l| !l.starts_with(' '))
                && let Some(name) = d.split([' ', '!']).next().filter(|n| !n.is_empty())
                && let Some(set) = direct.as_mut()
            {
                set.insert(name);
            }
            continue;
        }

        if line.trim() == "specs:" {
            in_specs = true;
            continue;
        }
        // Gems are indented by exactly four spaces: "    name (1.2.3)" or "(1.2.3-x86_64-linux)".
        if in_specs
            && let Some(spec) = line.strip_prefix("    ").filter(|l| !l.starts_with(' '))
            && let Some((name, rest)) = spec.split_once(" (")
        {
            let ver = rest.trim_end_matches(')');
            let ver = ver.split('-').next().unwrap_or(ver);
            out.push(Component::from_parts("RubyGems", name.trim(), ver));
        }
    }
    if let Some(d) = direct {
        for c in &mut out {
            c.reachability.direct = Some(d.contains(c.name.as_str()));
        }
    }
    out
}

fn composer_lock(text: &str) -> Result<Vec<Component>, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    for key in ["packages", "packages-dev"] {
        for p in v.get(key).and_then(Value::as_array).into_iter().flatten() {
            if let (Some(n), Some(ver)) = (
                p.get("name").and_then(Value::as_str),
                p.get("version").and_then(Value::as_str),
            ) {
                out.push(hint(
                    Component::from_parts("Packagist", n, ver),
                    None,
                    dev_if(key == "packages-dev"),
                ));
            }
        }
    }
    Ok(out)
}

fn uv_lock(text: &str) -> Result<Vec<Component>, String> {
    let v: toml::Value = toml::from_str(text).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    let is_local = |p: &toml::Value| {
        p.get("source").and_then(|s| s.as_table()).is_some_and(|s| {
            ["virtual", "editable", "directory", "path"]
                .iter()
                .any(|k| s.contains_key(*k))
        })
    };
    let packages = v.get("package").and_then(|p| p.as_array());
    // The local project's `dependencies` / `optional-dependencies` (runtime)
    // and `dev-dependencies` groups (development) are the direct ones.
    let mut direct: HashMap<String, Scope> = HashMap::new();
    let mut has_local = false;
    for p in packages.into_iter().flatten().filter(|p| is_local(p)) {
        has_local = true;
        let names = |deps: Option<&toml::Value>| -> Vec<String> {
            deps.and_then(|d| d.as_array())
                .into_iter()
                .flatten()
                .filter_map(|d| d.get("name").and_then(|n| n.as_str()))
                .map(pep503)
                .collect()
        };
        for n in names(p.get("dependencies")) {
            direct.insert(n, Scope::Runtime);
        }
        for table in ["optional-dependencies", "dev-dependencies"] {
            let scope = if table == "dev-dependencies" {
                Scope::Development
            } else {
                Scope::Runtime
            };
            for group in p
                .get(table)
                .and_then(|t| t.as_table())
                .into_iter()
                .flat_map(|t| t.values())
            {
                for n in names(Some(group)) {
                    direct.entry(n).or_insert(scope);
                }
            }
        }
    }
    for p in packages.into_iter().flatten() {
        let (Some(n), Some(ver)) = (
            p.get("name").and_then(|x| x.as_str()),
            p.get("version").and_then(|x| x.as_str()),
        ) else {
            continue;
        };
        // The project itself and local path packages are not on PyPI.
        if !is_local(p) {
            let c = Component::from_parts("PyPI", n, ver);
            out.push(match direct.get(&pep503(n)) {
                Some(s) => hint(c, Some(true), Some(*s)),
                None => hint(c, has_local.then_some(false), None),
            });
        }
    }
    Ok(out)
}

fn pipfile_lock(text: &str) -> Result<Vec<Component>, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    if !v.is_object() {
        return Err("top level is not an object".into());
    }
    let mut out = Vec::new();
    for section in ["default", "develop"] {
        for (n, p) in v
            .get(section)
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            // Git/path entries have no `version`.
            if let Some(ver) = p.get("version").and_then(Value::as_str) {
                let ver = ver
                    .trim_start_matches("===")
                    .trim_start_matches("==")
                    .trim();
                if !ver.is_empty() {
                    out.push(hint(
                        Component::from_parts("PyPI", n, ver),
                        None,
                        dev_if(section == "develop"),
                    ));
                }
            }
        }
    }
    Ok(out)
}

fn gradle_lockfile(text: &str) -> Vec<Component> {
    let mut out = Vec::new();
    for line in text.lines() {
        let l = line.trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        // group:artifact:version=configuration,…
        let (coord, configs) = l.split_once('=').unwrap_or((l, ""));
        let parts: Vec<&str> = coord.split(':').collect();
        if parts.len() == 3 && parts.iter().all(|p| !p.is_empty() && !p.contains(' ')) {
            // Only test configurations (testCompileClasspath, …): development.
            let configs: Vec<&str> = configs.split(',').filter(|c| !c.is_empty()).collect();
            let scope = (!configs.is_empty())
                .then(|| dev_if(configs.iter().all(|c| c.starts_with("test"))))
                .flatten();
            out.push(hint(
                Component::from_parts("Maven", &format!("{}:{}", parts[0], parts[1]), parts[2]),
                None,
                scope,
            ));
        }
    }
    out
}

fn nuget_lock(text: &str) -> Result<Vec<Component>, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let frameworks = v
        .get("dependencies")
        .and_then(Value::as_object)
        .ok_or("no `dependencies` object")?;
    let mut out = Vec::new();
    for deps in frameworks.values().filter_map(Value::as_object) {
        for (n, d) in deps {
            // Project references are not NuGet packages.
            if d.get("type").and_then(Value::as_str) == Some("Project") {
                continue;
            }
            if let Some(ver) = d.get("resolved").and_then(Value::as_str) {
                let direct = match d.get("type").and_then(Value::as_str) {
                    Some("Direct") => Some(true),
                    Some("Transitive" | "CentralTransitive") => Some(false),
                    _ => None,
                };
                out.push(hint(Component::from_parts("NuGet", n, ver), direct, None));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requirements_pins() {
        let c = parse(
            LockfileKind::Requirements,
            b"# c\nDjango==4.2.1\nrequests[socks]==2.31.0 ; python_version>'3'\nflask>=2\n",
        )
        .unwrap();
        let got: Vec<_> = c
            .iter()
            .map(|c| (c.name.as_str(), c.version.as_deref().unwrap()))
            .collect();
        assert_eq!(got, vec![("Django", "4.2.1"), ("requests", "2.31.0")]);
    }

    #[test]
    fn yarn_names() {
        assert_eq!(descriptor_name("\"@babel/core@^7.0.0\""), "@babel/core");
        assert_eq!(descriptor_name("left-pad@npm:^1.0.0"), "left-pad");
        assert_eq!(
            descriptor_name("\"ansi-regex-cjs@npm:ansi-regex@^5.0.0\""),
            "ansi-regex"
        );
        assert_eq!(
            descriptor_name("\"babel-hvi@npm:@babel/helper-validator-identifier@^7.0.0\""),
            "@babel/helper-validator-identifier"
        );
    }
}
