//! Reachability hints: whether a component is a direct or transitive
//! dependency, needed at runtime or only for development/tests (both from
//! the lockfiles that record it), and whether the project's own source code
//! imports it (a cheap scan of `.py`, `.js`/`.ts`, `.go` and `.rs` files when
//! a directory is scanned). They lower the risk score of findings that are
//! unlikely to be reachable (see [`Reachability::factor`]); they never
//! suppress a finding.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::sbom::Component;

/// Whether a dependency is needed to run the software.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// A normal (production) dependency.
    Runtime,
    /// Only for development, tests or builds (npm `dev`, Pipfile `develop`,
    /// poetry `dev` group, composer `packages-dev`, pnpm `devDependencies`).
    Development,
}

/// What is known about how a component is used; every part may be unknown.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Reachability {
    /// `true`: the project declares it; `false`: only pulled in by another
    /// dependency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direct: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<Scope>,
    /// Whether the scanned source tree imports it (only set when the tree has
    /// source files of the component's language).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imported: Option<bool>,
}

/// Risk-score factor of a development-only dependency.
pub const DEV_FACTOR: f64 = 0.5;
/// Risk-score factor of a direct dependency the source tree never imports.
pub const UNREFERENCED_FACTOR: f64 = 0.75;

impl Reachability {
    pub fn is_unknown(&self) -> bool {
        *self == Reachability::default()
    }

    /// The risk-score multiplier: 0.5 for a development-only dependency,
    /// 0.75 for a direct dependency the source tree does not import (both:
    /// 0.375), else 1. Transitive dependencies are not lowered for not being
    /// imported (the code reaches them through another package).
    pub fn factor(&self) -> f64 {
        let mut f = 1.0;
        if self.scope == Some(Scope::Development) {
            f *= DEV_FACTOR;
        }
        if self.direct == Some(true) && self.imported == Some(false) {
            f *= UNREFERENCED_FACTOR;
        }
        f
    }

    /// Combines two hints about the same package (seen in several places):
    /// runtime beats development, direct beats transitive, imported beats not.
    pub fn merge(&mut self, o: &Reachability) {
        fn or_true(a: Option<bool>, b: Option<bool>) -> Option<bool> {
            match (a, b) {
                (Some(true), _) | (_, Some(true)) => Some(true),
                (Some(false), _) | (_, Some(false)) => Some(false),
                _ => None,
            }
        }
        self.direct = or_true(self.direct, o.direct);
        self.imported = or_true(self.imported, o.imported);
        self.scope = match (self.scope, o.scope) {
            (Some(Scope::Runtime), _) | (_, Some(Scope::Runtime)) => Some(Scope::Runtime),
            (Some(Scope::Development), _) | (_, Some(Scope::Development)) => {
                Some(Scope::Development)
            }
            _ => None,
        };
    }

    /// Short text for tables: `direct`, `transitive`, `dev`, `not imported`
    /// joined by `, `; empty when nothing is known.
    pub fn label(&self) -> String {
        let mut parts = Vec::new();
        match self.direct {
            Some(true) => parts.push("direct"),
            Some(false) => parts.push("transitive"),
            None => {}
        }
        match self.scope {
            Some(Scope::Development) => parts.push("dev"),
            Some(Scope::Runtime) => parts.push("runtime"),
            None => {}
        }
        match self.imported {
            Some(true) => parts.push("imported"),
            Some(false) => parts.push("not imported"),
            None => {}
        }
        parts.join(", ")
    }
}

// ------------------------------------------------------------ source imports

/// Source files larger than this are not read for imports.
pub const MAX_SOURCE_FILE: u64 = 1 << 20;
/// At most this many source files are read per scan.
pub const MAX_SOURCE_FILES: usize = 50_000;

/// What the source files of a tree import, per language. A language's set is
/// `None` when the tree has no source file of that language.
#[derive(Debug, Default, Clone)]
pub struct SourceImports {
    /// npm package names (`lodash`, `@babel/core`).
    pub js: Option<HashSet<String>>,
    /// Python top-level modules, lower-cased (`yaml`, `requests`).
    pub python: Option<HashSet<String>>,
    /// Go import paths.
    pub go: Option<HashSet<String>>,
    /// Rust crate names with `-` as `_`.
    pub rust: Option<HashSet<String>>,
    pub files_read: usize,
}

fn re(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pattern).expect("static regex"))
}

/// The npm package of an import specifier (`lodash/fp` → `lodash`,
/// `@s/p/x` → `@s/p`); `None` for relative paths, URLs and `node:` builtins.
fn npm_package(spec: &str) -> Option<String> {
    if spec.starts_with('.') || spec.starts_with('/') || spec.contains(':') {
        return None;
    }
    let mut it = spec.split('/');
    let first = it.next()?;
    if first.is_empty() {
        return None;
    }
    Some(if first.starts_with('@') {
        format!("{first}/{}", it.next()?)
    } else {
        first.to_string()
    })
}

fn js_imports(text: &str, out: &mut HashSet<String>) {
    static R: OnceLock<Regex> = OnceLock::new();
    let r = re(
        &R,
        r#"(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|\bimport\s+)["']([^"'\s]+)["']"#,
    );
    for c in r.captures_iter(text) {
        if let Some(p) = npm_package(&c[1]) {
            out.insert(p);
        }
    }
}

fn python_imports(text: &str, out: &mut HashSet<String>) {
    static R: OnceLock<Regex> = OnceLock::new();
    let r = re(
        &R,
        r"(?m)^\s*(?:from\s+([A-Za-z_][\w]*)[\w.]*\s+import\b|import\s+([^\n#;]+))",
    );
    for c in r.captures_iter(text) {
        if let Some(m) = c.get(1) {
            out.insert(m.as_str().to_ascii_lowercase());
        } else if let Some(list) = c.get(2) {
            for item in list.as_str().split(',') {
                let m = item.trim().split(['.', ' ']).next().unwrap_or("");
                if !m.is_empty() && m.chars().all(|ch| ch.is_alphanumeric() || ch == '_') {
                    out.insert(m.to_ascii_lowercase());
                }
            }
        }
    }
}

fn go_imports(text: &str, out: &mut HashSet<String>) {
    static BLOCK: OnceLock<Regex> = OnceLock::new();
    static SINGLE: OnceLock<Regex> = OnceLock::new();
    static PATH: OnceLock<Regex> = OnceLock::new();
    let path = re(&PATH, r#""([^"\s]+)""#);
    for b in re(&BLOCK, r"(?s)\bimport\s*\((.*?)\)").captures_iter(text) {
        for p in path.captures_iter(&b[1]) {
            out.insert(p[1].to_string());
        }
    }
    for p in re(&SINGLE, r#"(?m)^\s*import\s+(?:[\w.]+\s+)?"([^"\s]+)""#).captures_iter(text) {
        out.insert(p[1].to_string());
    }
}

fn rust_imports(text: &str, out: &mut HashSet<String>) {
    static R: OnceLock<Regex> = OnceLock::new();
    let r = re(
        &R,
        r"(?:\bextern\s+crate\s+([a-z_][a-z0-9_]*)|\b([a-z_][a-z0-9_]*)::)",
    );
    for c in r.captures_iter(text) {
        if let Some(m) = c.get(1).or_else(|| c.get(2)) {
            out.insert(m.as_str().to_string());
        }
    }
}

impl SourceImports {
    /// Reads the imports of the source files among `files` (bounded by
    /// [`MAX_SOURCE_FILES`] and [`MAX_SOURCE_FILE`]; unreadable files are
    /// skipped).
    pub fn from_files(files: &[PathBuf]) -> SourceImports {
        let mut s = SourceImports::default();
        for f in files {
            if s.files_read >= MAX_SOURCE_FILES {
                break;
            }
            let Some(ext) = f.extension().and_then(|e| e.to_str()) else {
                continue;
            };
            let lang = match ext {
                "js" | "mjs" | "cjs" | "jsx" | "ts" | "mts" | "cts" | "tsx" => 0,
                "py" => 1,
                "go" => 2,
                "rs" => 3,
                _ => continue,
            };
            if std::fs::metadata(f).map_or(true, |m| m.len() > MAX_SOURCE_FILE) {
                continue;
            }
            let Ok(bytes) = std::fs::read(f) else {
                continue;
            };
            let text = String::from_utf8_lossy(&bytes);
            s.files_read += 1;
            s.add(lang, &text);
        }
        s
    }

    /// Adds one source text (0 = JS/TS, 1 = Python, 2 = Go, 3 = Rust).
    fn add(&mut self, lang: u8, text: &str) {
        match lang {
            0 => js_imports(text, self.js.get_or_insert_with(HashSet::new)),
            1 => python_imports(text, self.python.get_or_insert_with(HashSet::new)),
            2 => go_imports(text, self.go.get_or_insert_with(HashSet::new)),
            _ => rust_imports(text, self.rust.get_or_insert_with(HashSet::new)),
        }
    }

    /// Adds the imports of one source file given as text, by file name.
    pub fn add_source(&mut self, file_name: &str, text: &str) {
        let lang = match Path::new(file_name).extension().and_then(|e| e.to_str()) {
            Some("js" | "mjs" | "cjs" | "jsx" | "ts" | "mts" | "cts" | "tsx") => 0,
            Some("py") => 1,
            Some("go") => 2,
            Some("rs") => 3,
            _ => return,
        };
        self.add(lang, text);
    }

    /// Whether the tree imports the component: `None` when the tree has no
    /// source of its ecosystem's language (or the ecosystem is not covered).
    pub fn imports(&self, c: &Component) -> Option<bool> {
        let eco = c.ecosystem.as_deref()?;
        let name = c.name.as_str();
        match eco {
            "npm" => self.js.as_ref().map(|s| s.contains(name)),
            "PyPI" => self
                .python
                .as_ref()
                .map(|s| python_modules(name).iter().any(|m| s.contains(m))),
            "Go" => self.go.as_ref().map(|s| {
                s.iter()
                    .any(|p| p == name || p.strip_prefix(name).is_some_and(|r| r.starts_with('/')))
            }),
            "crates.io" => self
                .rust
                .as_ref()
                .map(|s| s.contains(&name.replace('-', "_"))),
            _ => None,
        }
    }

    /// Sets `imported` on every component whose language the tree has.
    pub fn apply(&self, components: &mut [Component]) {
        for c in components {
            if let Some(i) = self.imports(c) {
                c.reachability.imported = Some(i);
            }
        }
    }
}

/// Module names a PyPI distribution is commonly imported as: its normalised
/// name (`-`/`.` → `_`, lower case), without a `python-`/`py` prefix or
/// `-python` suffix, and the well-known exceptions shipped in
/// `data/python_modules.txt`.
fn python_modules(dist: &str) -> Vec<String> {
    static TABLE: OnceLock<Vec<(String, Vec<String>)>> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        include_str!("../data/python_modules.txt")
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .filter_map(|l| {
                let (d, m) = l.split_once(':')?;
                Some((
                    d.trim().to_ascii_lowercase(),
                    m.split(',')
                        .map(|x| x.trim().to_ascii_lowercase())
                        .collect(),
                ))
            })
            .collect()
    });
    let n = dist.to_ascii_lowercase().replace(['-', '.'], "_");
    let mut out = vec![n.clone()];
    for p in ["python_", "py"] {
        if let Some(s) = n.strip_prefix(p).filter(|s| !s.is_empty()) {
            out.push(s.to_string());
        }
    }
    if let Some(s) = n.strip_suffix("_python") {
        out.push(s.to_string());
    }
    let key = dist.to_ascii_lowercase().replace(['_', '.'], "-");
    for (d, mods) in table {
        if *d == key {
            out.extend(mods.iter().cloned());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn comp(eco: &str, name: &str) -> Component {
        Component::from_parts(eco, name, "1.0.0")
    }

    #[test]
    fn factors() {
        let dev = Reachability {
            scope: Some(Scope::Development),
            ..Default::default()
        };
        assert_eq!(dev.factor(), 0.5);
        let unref = Reachability {
            direct: Some(true),
            imported: Some(false),
            ..Default::default()
        };
        assert_eq!(unref.factor(), 0.75);
        let transitive_unref = Reachability {
            direct: Some(false),
            imported: Some(false),
            ..Default::default()
        };
        assert_eq!(transitive_unref.factor(), 1.0);
        let mut both = unref;
        both.scope = Some(Scope::Development);
        assert_eq!(both.factor(), 0.375);
        assert_eq!(both.label(), "direct, dev, not imported");
        let mut m = dev;
        m.merge(&Reachability {
            scope: Some(Scope::Runtime),
            direct: Some(false),
            imported: None,
        });
        assert_eq!(m.scope, Some(Scope::Runtime));
        assert_eq!(m.direct, Some(false));
        assert!(Reachability::default().is_unknown());
    }

    #[test]
    fn js() {
        let mut s = SourceImports::default();
        s.add_source(
            "a.ts",
            r#"import x from "lodash/fp"; import {a} from '@babel/core';
            const y = require( "express" ); import("./local"); import "node:fs";
            export * from 'react-dom/client';"#,
        );
        let js = s.js.as_ref().unwrap();
        for n in ["lodash", "@babel/core", "express", "react-dom"] {
            assert!(js.contains(n), "{n}: {js:?}");
        }
        assert_eq!(js.len(), 4);
        assert_eq!(s.imports(&comp("npm", "lodash")), Some(true));
        assert_eq!(s.imports(&comp("npm", "left-pad")), Some(false));
        assert_eq!(s.imports(&comp("PyPI", "requests")), None);
    }

    #[test]
    fn python() {
        let mut s = SourceImports::default();
        s.add_source(
            "m.py",
            "import os, yaml as y\nfrom requests.adapters import HTTPAdapter\n  import dateutil.parser\nfrom . import sibling\nx = 'import nothing'\n",
        );
        assert_eq!(s.imports(&comp("PyPI", "PyYAML")), Some(true));
        assert_eq!(s.imports(&comp("PyPI", "requests")), Some(true));
        assert_eq!(s.imports(&comp("PyPI", "python-dateutil")), Some(true));
        assert_eq!(s.imports(&comp("PyPI", "flask")), Some(false));
    }

    #[test]
    fn go_and_rust() {
        let mut s = SourceImports::default();
        s.add_source(
            "main.go",
            "package main\nimport (\n\t\"fmt\"\n\tyaml \"gopkg.in/yaml.v3\"\n\t\"github.com/gin-gonic/gin/binding\"\n)\nimport \"golang.org/x/net/html\"\n",
        );
        assert_eq!(
            s.imports(&comp("Go", "github.com/gin-gonic/gin")),
            Some(true)
        );
        assert_eq!(s.imports(&comp("Go", "gopkg.in/yaml.v3")), Some(true));
        assert_eq!(s.imports(&comp("Go", "golang.org/x/net")), Some(true));
        assert_eq!(
            s.imports(&comp("Go", "github.com/gin-gonic/gin-contrib")),
            Some(false)
        );
        s.add_source(
            "lib.rs",
            "use serde_json::Value;\nextern crate libc;\nfn f() { tokio::spawn(async {}); }\n",
        );
        assert_eq!(s.imports(&comp("crates.io", "serde-json")), Some(true));
        assert_eq!(s.imports(&comp("crates.io", "tokio")), Some(true));
        assert_eq!(s.imports(&comp("crates.io", "libc")), Some(true));
        assert_eq!(s.imports(&comp("crates.io", "rand")), Some(false));
    }
}
