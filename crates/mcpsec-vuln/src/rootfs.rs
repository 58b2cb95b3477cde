//! Root filesystems: the distribution (`etc/os-release`), OS package
//! databases (dpkg `status` and `status.d/`, apk `installed`, rpm
//! `rpmdb.sqlite`, BerkeleyDB `Packages` and NDB `Packages.db`) and language packages inside (lockfiles, Python
//! `*.dist-info/METADATA`, `node_modules/*/package.json`, RubyGems
//! `specifications/*.gemspec`, Maven `pom.properties` in jar/war/ear).
//!
//! The analysis works on a [`FileSet`]: the files of interest, by path
//! relative to the root, as collected from a directory or from the layers of
//! a container image (see [`crate::image`]).

use std::collections::BTreeMap;
use std::path::Path;

use crate::lockfile;
use crate::purl::Purl;
use crate::sbom::Component;

/// Largest single file kept from a root filesystem.
pub const MAX_ROOTFS_FILE: u64 = 256 << 20;
/// Total bytes of files of interest kept from one root filesystem.
pub const MAX_ROOTFS_BYTES: u64 = 2 << 30;

/// The files of interest of a root filesystem, by normalised relative path
/// (`var/lib/dpkg/status`, no leading `/`).
#[derive(Debug, Default, Clone)]
pub struct FileSet {
    pub files: BTreeMap<String, Vec<u8>>,
    /// Files of interest that were too large or unreadable.
    pub errors: Vec<(String, String)>,
}

impl FileSet {
    pub fn total_bytes(&self) -> u64 {
        self.files.values().map(|v| v.len() as u64).sum()
    }
}

/// Normalises an archive or filesystem path: no leading `/` or `./`, no
/// empty or `.` segments; `None` when it has a `..` segment.
pub fn normalize_path(p: &str) -> Option<String> {
    let mut parts = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => return None,
            s => parts.push(s),
        }
    }
    Some(parts.join("/"))
}

/// Whether a root-relative path is a file the analysis reads.
pub fn is_interesting(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    match path {
        "etc/os-release"
        | "usr/lib/os-release"
        | "etc/debian_version"
        | "etc/alpine-release"
        | "var/lib/dpkg/status"
        | "lib/apk/db/installed"
        | "var/lib/rpm/rpmdb.sqlite"
        | "usr/lib/sysimage/rpm/rpmdb.sqlite"
        | "var/lib/rpm/Packages"
        | "var/lib/rpm/Packages.db"
        | "usr/lib/sysimage/rpm/Packages.db" => return true,
        _ => {}
    }
    if let Some(rest) = path.strip_prefix("var/lib/dpkg/status.d/") {
        return !rest.contains('/') && !rest.contains('.');
    }
    if name == "METADATA" && path.contains(".dist-info/") {
        return path.contains("-packages/");
    }
    if name == "PKG-INFO" && path.contains(".egg-info/") {
        return path.contains("-packages/");
    }
    if name == "package.json" {
        return node_module_dir(path).is_some();
    }
    if name.ends_with(".gemspec") && path.contains("/specifications/") {
        return true;
    }
    if is_java_archive(name) {
        return true;
    }
    // Lockfiles of applications installed in the image (not those of npm
    // packages' own sources, which are not what is installed).
    lockfile::kind_of(name).is_some()
        && !path.contains("/node_modules/")
        && !name.ends_with(".lockfile")
}

/// For `…/node_modules/name/package.json` or `…/node_modules/@s/name/package.json`.
fn node_module_dir(path: &str) -> Option<&str> {
    let dir = path.strip_suffix("/package.json")?;
    let i = dir.rfind("node_modules/")?;
    let pkg = &dir[i + "node_modules/".len()..];
    let ok = match pkg.split_once('/') {
        Some((scope, n)) => scope.starts_with('@') && !n.contains('/'),
        None => !pkg.is_empty(),
    };
    ok.then_some(pkg)
}

/// Directories never descended into when reading an unpacked root filesystem.
const ROOTFS_SKIP: &[&str] = &["proc", "sys", "dev", "run"];

/// Whether a directory looks like a root filesystem (has an OS release file
/// or an OS package database).
pub fn looks_like_rootfs(dir: &Path) -> bool {
    [
        "etc/os-release",
        "usr/lib/os-release",
        "var/lib/dpkg/status",
        "var/lib/dpkg/status.d",
        "lib/apk/db/installed",
        "var/lib/rpm",
    ]
    .iter()
    .any(|p| dir.join(p).exists())
}

/// Collects the files of interest of an unpacked root filesystem. Symlinks
/// are not followed (an `etc/os-release` symlink is resolved inside the root).
pub fn read_dir(root: &Path) -> FileSet {
    let mut set = FileSet::default();
    let mut total = 0u64;
    let mut stack = vec![(root.to_path_buf(), String::new())];
    while let Some((dir, rel)) = stack.pop() {
        let rd = match std::fs::read_dir(&dir) {
            Ok(r) => r,
            Err(e) => {
                set.errors.push((rel.clone(), e.to_string()));
                continue;
            }
        };
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            let r = if rel.is_empty() {
                name.clone()
            } else {
                format!("{rel}/{name}")
            };
            let Ok(ft) = e.file_type() else { continue };
            if ft.is_dir() {
                if !(rel.is_empty() && ROOTFS_SKIP.contains(&name.as_str())) {
                    stack.push((e.path(), r));
                }
                continue;
            }
            if !is_interesting(&r) {
                continue;
            }
            let path = if ft.is_symlink() {
                // Only resolved within the root and only for the release files.
                if !r.ends_with("os-release") {
                    continue;
                }
                match std::fs::read_link(e.path()) {
                    Ok(t) => {
                        let t = t.to_string_lossy().to_string();
                        let base = if t.starts_with('/') {
                            String::new()
                        } else {
                            rel.clone()
                        };
                        match resolve_within(&base, &t) {
                            Some(p) => root.join(p),
                            None => continue,
                        }
                    }
                    Err(_) => continue,
                }
            } else {
                e.path()
            };
            match std::fs::symlink_metadata(&path) {
                Ok(m) if m.is_file() && m.len() <= MAX_ROOTFS_FILE => {}
                Ok(m) if m.is_file() => {
                    set.errors
                        .push((r, format!("{} bytes: too large", m.len())));
                    continue;
                }
                _ => continue,
            }
            match std::fs::read(&path) {
                Ok(b) => {
                    total += b.len() as u64;
                    if total > MAX_ROOTFS_BYTES {
                        set.errors
                            .push((r, "root filesystem size limit reached".into()));
                        return set;
                    }
                    set.files.insert(r, b);
                }
                Err(e) => set.errors.push((r, e.to_string())),
            }
        }
    }
    set
}

/// `base/target` normalised, without escaping the root.
fn resolve_within(base: &str, target: &str) -> Option<String> {
    let mut parts: Vec<&str> = base.split('/').filter(|s| !s.is_empty()).collect();
    for seg in target.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    Some(parts.join("/"))
}

/// The distribution of a root filesystem.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Distro {
    /// os-release `ID` (`debian`, `ubuntu`, `alpine`, `rhel`, `rocky`…).
    pub id: String,
    /// `VERSION_ID` (`12`, `22.04`, `3.19.1`).
    pub version_id: Option<String>,
    pub codename: Option<String>,
    pub pretty_name: Option<String>,
}

impl Distro {
    /// Parses an os-release file.
    pub fn from_os_release(text: &str) -> Option<Distro> {
        let mut kv = BTreeMap::new();
        for line in text.lines() {
            if let Some((k, v)) = line.split_once('=') {
                kv.insert(k.trim(), v.trim().trim_matches('"').trim_matches('\''));
            }
        }
        let get = |k: &str| kv.get(k).filter(|v| !v.is_empty()).map(|v| v.to_string());
        Some(Distro {
            id: get("ID")?.to_ascii_lowercase(),
            version_id: get("VERSION_ID"),
            codename: get("VERSION_CODENAME"),
            pretty_name: get("PRETTY_NAME").or_else(|| get("VERSION")),
        })
    }

    fn major_minor(&self) -> Option<String> {
        let v = self.version_id.as_deref()?;
        let mm: Vec<&str> = v.split('.').take(2).collect();
        (mm.len() == 2).then(|| format!("{}.{}", mm[0], mm[1]))
    }

    fn major(&self) -> Option<&str> {
        self.version_id.as_deref()?.split('.').next()
    }

    /// The OSV ecosystem of this distribution's OS packages (`Debian:12`,
    /// `Ubuntu:22.04:LTS`, `Alpine:v3.19`, `AlmaLinux:9`…).
    pub fn osv_ecosystem(&self) -> Option<String> {
        let rel = |base: &str, r: Option<&str>| match r {
            Some(r) => format!("{base}:{r}"),
            None => base.to_string(),
        };
        Some(match self.id.as_str() {
            "debian" => rel("Debian", self.major()),
            "ubuntu" => {
                let lts = self
                    .pretty_name
                    .as_deref()
                    .is_some_and(|p| p.contains("LTS"));
                match &self.version_id {
                    Some(v) if lts => format!("Ubuntu:{v}:LTS"),
                    Some(v) => format!("Ubuntu:{v}"),
                    None => "Ubuntu".into(),
                }
            }
            "alpine" => match self.major_minor() {
                Some(mm) => format!("Alpine:v{mm}"),
                None => "Alpine".into(),
            },
            "almalinux" => rel("AlmaLinux", self.major()),
            "rocky" => rel("Rocky Linux", self.major()),
            "rhel" => rel("Red Hat", self.major()),
            "opensuse-leap" => rel("openSUSE", self.version_id.as_deref()),
            "sles" => rel("SUSE", self.version_id.as_deref()),
            "mageia" => rel("Mageia", self.version_id.as_deref()),
            _ => return None,
        })
    }

    /// The purl `distro` qualifier (`debian-12`, `alpine-3.19.1`, …).
    pub fn purl_distro(&self) -> String {
        match &self.version_id {
            Some(v) => format!("{}-{v}", self.id),
            None => self.id.clone(),
        }
    }
}

/// One source of components inside a root filesystem.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Source {
    pub path: String,
    /// `dpkg`, `apk`, `rpm`, `python-dist-info`, `node-package`, `gemspec` or a lockfile kind.
    pub format: String,
    pub components: usize,
}

/// What a root filesystem holds.
#[derive(Debug, Default, serde::Serialize)]
pub struct Analysis {
    pub distro: Option<Distro>,
    pub components: Vec<Component>,
    pub sources: Vec<Source>,
    /// Path and reason of files that could not be used.
    pub errors: Vec<(String, String)>,
}

/// Analyses the files of a root filesystem.
pub fn analyze(set: &FileSet) -> Analysis {
    let mut a = Analysis {
        errors: set.errors.clone(),
        ..Analysis::default()
    };
    let text = |p: &str| set.files.get(p).map(|b| String::from_utf8_lossy(b));
    a.distro = text("etc/os-release")
        .or_else(|| text("usr/lib/os-release"))
        .and_then(|t| Distro::from_os_release(&t));
    if a.distro.is_none() {
        // Minimal images without os-release.
        if let Some(v) = text("etc/alpine-release") {
            a.distro = Some(Distro {
                id: "alpine".into(),
                version_id: Some(v.trim().to_string()),
                codename: None,
                pretty_name: None,
            });
        } else if let Some(v) = text("etc/debian_version") {
            a.distro = Some(Distro {
                id: "debian".into(),
                version_id: Some(v.trim().to_string()).filter(|v| v.starts_with(char::is_numeric)),
                codename: None,
                pretty_name: None,
            });
        }
    }
    let distro = a.distro.clone();
    for (path, bytes) in &set.files {
        let name = path.rsplit('/').next().unwrap_or(path);
        let res: Result<(String, Vec<Component>), String> =
            if path == "var/lib/dpkg/status" || path.starts_with("var/lib/dpkg/status.d/") {
                Ok((
                    "dpkg".into(),
                    dpkg_status(&String::from_utf8_lossy(bytes), distro.as_ref()),
                ))
            } else if path == "lib/apk/db/installed" {
                Ok((
                    "apk".into(),
                    apk_installed(&String::from_utf8_lossy(bytes), distro.as_ref()),
                ))
            } else if name == "rpmdb.sqlite" {
                rpm_sqlite(bytes, distro.as_ref()).map(|c| ("rpm".into(), c))
            } else if name == "Packages" || name == "Packages.db" {
                rpm_legacy_db(bytes, distro.as_ref()).map(|c| ("rpm".into(), c))
            } else if name == "METADATA" || name == "PKG-INFO" {
                Ok((
                    "python-dist-info".into(),
                    python_metadata(&String::from_utf8_lossy(bytes))
                        .into_iter()
                        .collect(),
                ))
            } else if name == "package.json" {
                node_package(bytes).map(|c| ("node-package".into(), c.into_iter().collect()))
            } else if is_java_archive(name) {
                java_archive(bytes, 0).map(|c| ("java-archive".into(), c))
            } else if name.ends_with(".gemspec") {
                Ok((
                    "gemspec".into(),
                    gemspec(name, &String::from_utf8_lossy(bytes))
                        .into_iter()
                        .collect(),
                ))
            } else if let Some(kind) = lockfile::kind_of(name) {
                lockfile::parse(kind, bytes)
                    .map(|c| (format!("{kind:?}"), c))
                    .map_err(|e| e.to_string())
            } else {
                continue;
            };
        match res {
            Ok((format, comps)) => {
                // Single-package sources that yield nothing are not worth listing.
                if comps.is_empty()
                    && matches!(
                        format.as_str(),
                        "node-package" | "python-dist-info" | "gemspec"
                    )
                {
                    continue;
                }
                a.sources.push(Source {
                    path: path.clone(),
                    format,
                    components: comps.len(),
                });
                a.components.extend(comps);
            }
            Err(e) => a.errors.push((path.clone(), e)),
        }
    }
    let mut seen = std::collections::HashSet::new();
    a.components
        .retain(|c| seen.insert((c.purl.clone(), c.name.clone(), c.version.clone())));
    a
}

/// An OS package component: purl with `arch`, `distro` and, when the source
/// package differs, `upstream` (`src` or `src@version`), which is what
/// distro advisories are matched on.
struct OsPkg<'a> {
    ty: &'a str,
    namespace: &'a str,
    name: &'a str,
    version: &'a str,
    arch: Option<&'a str>,
    upstream: Option<(&'a str, Option<&'a str>)>,
    license: Option<&'a str>,
}

fn os_component(pkg: OsPkg<'_>, distro: Option<&Distro>) -> Component {
    let OsPkg {
        ty,
        namespace,
        name,
        version,
        arch,
        upstream,
        license,
    } = pkg;
    let mut q: Vec<(String, String)> = Vec::new();
    if let Some(a) = arch {
        q.push(("arch".into(), a.to_string()));
    }
    if let Some(d) = distro {
        q.push(("distro".into(), d.purl_distro()));
    }
    if let Some((src, sv)) = upstream
        && (src != name || sv.is_some_and(|v| v != version))
    {
        let u = match sv.filter(|v| *v != version) {
            Some(v) => format!("{src}@{v}"),
            None => src.to_string(),
        };
        q.push(("upstream".into(), u));
    }
    let purl = Purl::build(ty, Some(namespace), name, Some(version), q, None)
        .ok()
        .map(|p| p.to_string());
    let ecosystem = distro.and_then(Distro::osv_ecosystem).or_else(|| {
        Some(
            match ty {
                "deb" if namespace == "ubuntu" => "Ubuntu",
                "deb" => "Debian",
                "apk" => "Alpine",
                _ => return None,
            }
            .to_string(),
        )
    });
    Component {
        name: name.to_string(),
        version: Some(version.to_string()),
        purl,
        ecosystem,
        licenses: license
            .map(|l| vec![l.to_string()])
            .filter(|l| !l[0].is_empty())
            .unwrap_or_default(),
        reachability: Default::default(),
    }
}

/// The paragraphs of a Debian control-style file, as `(field, value)` lists
/// (continuation lines appended to the value).
fn paragraphs(text: &str, sep: char) -> Vec<Vec<(String, String)>> {
    let mut out = Vec::new();
    let mut cur: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        if line.starts_with(' ') || line.starts_with('\t') {
            if let Some(last) = cur.last_mut() {
                last.1.push('\n');
                last.1.push_str(line.trim());
            }
            continue;
        }
        if let Some((k, v)) = line.split_once(sep) {
            cur.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn field<'a>(p: &'a [(String, String)], k: &str) -> Option<&'a str> {
    p.iter()
        .find(|(f, _)| f.eq_ignore_ascii_case(k))
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

/// Installed packages of a dpkg `status` file (or a distroless `status.d/` entry).
pub fn dpkg_status(text: &str, distro: Option<&Distro>) -> Vec<Component> {
    let ns = match distro.map(|d| d.id.as_str()) {
        Some("ubuntu") => "ubuntu",
        _ => "debian",
    };
    let mut out = Vec::new();
    for p in paragraphs(text, ':') {
        let (Some(name), Some(version)) = (field(&p, "Package"), field(&p, "Version")) else {
            continue;
        };
        // "install ok installed"; status.d entries have no Status field.
        if let Some(st) = field(&p, "Status")
            && st.split_whitespace().nth(2) != Some("installed")
        {
            continue;
        }
        // Source: name or "name (version)".
        let upstream = field(&p, "Source").map(|s| match s.split_once(' ') {
            Some((n, v)) => (
                n,
                Some(v.trim().trim_start_matches('(').trim_end_matches(')')),
            ),
            None => (s, None),
        });
        out.push(os_component(
            OsPkg {
                ty: "deb",
                namespace: ns,
                name,
                version,
                arch: field(&p, "Architecture"),
                upstream,
                license: None,
            },
            distro,
        ));
    }
    out
}

/// Installed packages of an apk `installed` database.
pub fn apk_installed(text: &str, distro: Option<&Distro>) -> Vec<Component> {
    let mut out = Vec::new();
    for p in paragraphs(text, ':') {
        let (Some(name), Some(version)) = (field(&p, "P"), field(&p, "V")) else {
            continue;
        };
        out.push(os_component(
            OsPkg {
                ty: "apk",
                namespace: "alpine",
                name,
                version,
                arch: field(&p, "A"),
                upstream: field(&p, "o").map(|o| (o, None)),
                license: field(&p, "L"),
            },
            distro,
        ));
    }
    out
}

/// Name and version of a Python `METADATA` / `PKG-INFO` file.
pub fn python_metadata(text: &str) -> Option<Component> {
    let mut name = None;
    let mut version = None;
    let mut license = None;
    for line in text.lines() {
        if line.is_empty() {
            break; // the body (long description) follows the headers
        }
        if let Some(v) = line.strip_prefix("Name:") {
            name.get_or_insert(v.trim());
        } else if let Some(v) = line.strip_prefix("Version:") {
            version.get_or_insert(v.trim());
        } else if let Some(v) = line.strip_prefix("License-Expression:") {
            license = Some(v.trim());
        }
    }
    let mut c = Component::from_parts("PyPI", name?, version.filter(|v| !v.is_empty())?);
    c.licenses.extend(license.map(str::to_string));
    Some(c)
}

fn node_package(bytes: &[u8]) -> Result<Option<Component>, String> {
    let v: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    let (Some(n), Some(ver)) = (
        v.get("name").and_then(|x| x.as_str()),
        v.get("version").and_then(|x| x.as_str()),
    ) else {
        return Ok(None);
    };
    let mut c = Component::from_parts("npm", n, ver);
    if let Some(l) = v.get("license").and_then(|x| x.as_str()) {
        c.licenses.push(l.to_string());
    }
    Ok(Some(c))
}

/// A gem from its installed specification: `s.name`/`s.version` in the
/// file, else the file name `name-version[-platform].gemspec`.
fn gemspec(file: &str, text: &str) -> Option<Component> {
    let val = |key: &str| {
        text.lines().find_map(|l| {
            let l = l.trim();
            let rest = l.strip_prefix("s.")?.strip_prefix(key)?.trim_start();
            let rest = rest.strip_prefix('=')?.trim();
            // "1.2.3".freeze or Gem::Version.new("1.2.3")
            let q = rest.find(['"', '\''])?;
            let quote = rest.as_bytes()[q] as char;
            let after = &rest[q + 1..];
            Some(after[..after.find(quote)?].to_string())
        })
    };
    let stem = file.strip_suffix(".gemspec")?;
    let (name, version) = match (val("name"), val("version")) {
        (Some(n), Some(v)) => (n, v),
        _ => {
            // name may contain '-': the version is the first segment starting with a digit.
            let parts: Vec<&str> = stem.split('-').collect();
            let i = parts
                .iter()
                .position(|p| p.starts_with(|c: char| c.is_ascii_digit()))?;
            (parts[..i].join("-"), parts[i].to_string())
        }
    };
    (!name.is_empty()).then(|| Component::from_parts("RubyGems", &name, &version))
}

// ----------------------------------------------------------------- java

fn is_java_archive(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.ends_with(".jar") || n.ends_with(".war") || n.ends_with(".ear")
}

/// Largest `pom.properties` and nested archive read from a Java archive.
const MAX_POM_PROPERTIES: u64 = 64 << 10;
const MAX_NESTED_ARCHIVE: u64 = 128 << 20;

/// Maven artifacts of a jar/war/ear: its `META-INF/maven/*/*/pom.properties`
/// and, one level down, those of archives inside it (`BOOT-INF/lib/`,
/// `WEB-INF/lib/`, ear modules). Archives without `pom.properties` give nothing
/// (a file name alone does not name the Maven group).
pub fn java_archive(bytes: &[u8], depth: usize) -> Result<Vec<Component>, String> {
    use std::io::Read;
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    for i in 0..z.len() {
        let Ok(mut e) = z.by_index(i) else { continue };
        let Ok(name) = e.name().map(|n| n.to_string()) else {
            continue;
        };
        if name.starts_with("META-INF/maven/") && name.ends_with("/pom.properties") {
            let mut text = String::new();
            if (&mut e)
                .take(MAX_POM_PROPERTIES)
                .read_to_string(&mut text)
                .is_err()
            {
                continue;
            }
            let get = |k: &str| {
                text.lines().find_map(|l| {
                    let (key, v) = l.split_once('=')?;
                    (key.trim() == k).then(|| v.trim().to_string())
                })
            };
            if let (Some(g), Some(a), Some(v)) = (get("groupId"), get("artifactId"), get("version"))
                && !v.is_empty()
            {
                out.push(Component::from_parts("Maven", &format!("{g}:{a}"), &v));
            }
        } else if depth == 0 && is_java_archive(&name) && e.size() <= MAX_NESTED_ARCHIVE {
            let mut inner = Vec::new();
            if (&mut e)
                .take(MAX_NESTED_ARCHIVE)
                .read_to_end(&mut inner)
                .is_ok()
                && let Ok(c) = java_archive(&inner, depth + 1)
            {
                out.extend(c);
            }
        }
    }
    Ok(out)
}

// ------------------------------------------------------------------ rpm

const RPMTAG_NAME: u32 = 1000;
const RPMTAG_VERSION: u32 = 1001;
const RPMTAG_RELEASE: u32 = 1002;
const RPMTAG_EPOCH: u32 = 1003;
const RPMTAG_LICENSE: u32 = 1014;
const RPMTAG_ARCH: u32 = 1022;
const RPMTAG_SOURCERPM: u32 = 1044;

/// The string and int32 tags of an rpm header blob (as stored in rpmdb).
pub fn rpm_header(blob: &[u8]) -> Result<BTreeMap<u32, String>, String> {
    let be = |o: usize| -> Option<u32> {
        blob.get(o..o + 4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    };
    let il = be(0).ok_or("header shorter than 8 bytes")? as usize;
    let dl = be(4).ok_or("header shorter than 8 bytes")? as usize;
    let data_start = il
        .checked_mul(16)
        .and_then(|x| x.checked_add(8))
        .filter(|&s| s.checked_add(dl).is_some_and(|e| e <= blob.len()))
        .ok_or_else(|| {
            format!(
                "header claims {il} entries and {dl} data bytes, blob has {}",
                blob.len()
            )
        })?;
    let data = &blob[data_start..data_start + dl];
    let mut out = BTreeMap::new();
    for i in 0..il {
        let o = 8 + i * 16;
        let (Some(tag), Some(ty), Some(off), Some(count)) =
            (be(o), be(o + 4), be(o + 8), be(o + 12))
        else {
            break;
        };
        let off = off as usize;
        match ty {
            // STRING, I18NSTRING (first), STRING_ARRAY (first)
            6 | 8 | 9 => {
                if let Some(rest) = data.get(off..) {
                    let end = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
                    out.insert(tag, String::from_utf8_lossy(&rest[..end]).into_owned());
                }
            }
            // INT32
            4 if count >= 1 => {
                if let Some(b) = data.get(off..off + 4) {
                    out.insert(
                        tag,
                        u32::from_be_bytes([b[0], b[1], b[2], b[3]]).to_string(),
                    );
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

/// Source package name of `name-version-release.src.rpm`.
fn srpm_name(s: &str) -> Option<&str> {
    let s = s.strip_suffix(".rpm")?;
    let s = s.rsplit_once('.')?.0; // .src / .nosrc
    let s = s.rsplit_once('-')?.0; // release
    Some(s.rsplit_once('-')?.0) // version
}

fn rpm_sqlite(bytes: &[u8], distro: Option<&Distro>) -> Result<Vec<Component>, String> {
    // SQLite opens files, not buffers: write a private temporary copy.
    let dir = std::env::temp_dir().join(format!(
        "mcpsec-rpmdb-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    ));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let path = dir.join("rpmdb.sqlite");
    let res = std::fs::write(&path, bytes)
        .map_err(|e| e.to_string())
        .and_then(|_| rpm_sqlite_file(&path, distro));
    let _ = std::fs::remove_dir_all(&dir);
    res
}

/// Installed packages of an rpm sqlite database file (opened read-only).
pub fn rpm_sqlite_file(path: &Path, distro: Option<&Distro>) -> Result<Vec<Component>, String> {
    use rusqlite::{Connection, OpenFlags};
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| format!("rpmdb.sqlite: {e}"))?;
    let mut stmt = conn
        .prepare("SELECT hnum, blob FROM Packages")
        .map_err(|e| format!("rpmdb.sqlite: {e}"))?;
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?)))
        .map_err(|e| format!("rpmdb.sqlite: {e}"))?;
    let mut blobs = Vec::new();
    for row in rows {
        blobs.push(row.map_err(|e| format!("rpmdb.sqlite: {e}"))?);
    }
    Ok(rpm_components(blobs, distro))
}

/// Installed packages of an rpm BerkeleyDB (`Packages`) or NDB
/// (`Packages.db`) database, told apart by their magic numbers. Records that
/// cannot be read are logged and skipped.
pub fn rpm_legacy_db(bytes: &[u8], distro: Option<&Distro>) -> Result<Vec<Component>, String> {
    use crate::rpmdb;
    let blobs = match rpmdb::detect(bytes) {
        Some(rpmdb::RpmDbFormat::BerkeleyDbHash) => rpmdb::bdb_headers(bytes),
        Some(rpmdb::RpmDbFormat::Ndb) => rpmdb::ndb_headers(bytes),
        None => {
            return Err("not an rpm database (no BerkeleyDB hash or NDB magic number)".to_string());
        }
    }
    .map_err(|e| e.to_string())?;
    for s in &blobs.skipped {
        tracing::warn!(reason = %s, "rpmdb: record skipped");
    }
    Ok(rpm_components(
        blobs
            .headers
            .into_iter()
            .map(|h| (i64::from(h.instance), h.blob)),
        distro,
    ))
}

/// Components of rpm header blobs (instance number, blob); bad headers are
/// logged and skipped, `gpg-pubkey` entries left out.
fn rpm_components(
    rows: impl IntoIterator<Item = (i64, Vec<u8>)>,
    distro: Option<&Distro>,
) -> Vec<Component> {
    let ns = distro.map(|d| match d.id.as_str() {
        "rhel" => "redhat".to_string(),
        "opensuse-leap" | "opensuse-tumbleweed" => "opensuse".to_string(),
        "sles" => "suse".to_string(),
        other => other.to_string(),
    });
    let ns = ns.as_deref().unwrap_or("redhat");
    let mut out = Vec::new();
    for (hnum, blob) in rows {
        let h = match rpm_header(&blob) {
            Ok(h) => h,
            Err(e) => {
                tracing::warn!(hnum, error = %e, "rpmdb: bad header skipped");
                continue;
            }
        };
        let (Some(name), Some(ver), Some(rel)) = (
            h.get(&RPMTAG_NAME),
            h.get(&RPMTAG_VERSION),
            h.get(&RPMTAG_RELEASE),
        ) else {
            continue;
        };
        // gpg-pubkey entries are keys, not packages.
        if name == "gpg-pubkey" {
            continue;
        }
        let version = match h.get(&RPMTAG_EPOCH) {
            Some(e) if e != "0" => format!("{e}:{ver}-{rel}"),
            _ => format!("{ver}-{rel}"),
        };
        let mut c = os_component(
            OsPkg {
                ty: "rpm",
                namespace: ns,
                name,
                version: &version,
                arch: h.get(&RPMTAG_ARCH).map(String::as_str),
                upstream: None,
                license: h.get(&RPMTAG_LICENSE).map(String::as_str),
            },
            distro,
        );
        // RPM distro advisories (Red Hat, Alma, Rocky, SUSE) name binary
        // packages; the source rpm is kept for reference only.
        if let Some(src) = h.get(&RPMTAG_SOURCERPM).and_then(|s| srpm_name(s))
            && let Some(p) = c.purl.as_deref().and_then(|p| Purl::parse(p).ok())
        {
            let mut p = p;
            p.qualifiers.insert("srpm".into(), src.to_string());
            c.purl = Some(p.to_string());
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(normalize_path("./a//b/./c").as_deref(), Some("a/b/c"));
        assert_eq!(normalize_path("/a/../b"), None);
        assert!(is_interesting(
            "usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA"
        ));
        assert!(is_interesting("app/node_modules/@babel/core/package.json"));
        assert!(!is_interesting(
            "app/node_modules/@babel/core/lib/package.json"
        ));
        assert!(is_interesting("app/package-lock.json"));
        assert!(!is_interesting("app/node_modules/x/package-lock.json"));
        assert!(is_interesting("var/lib/dpkg/status.d/base"));
        assert!(!is_interesting("var/lib/dpkg/status.d/base.md5sums"));
        assert_eq!(
            resolve_within("etc", "../usr/lib/os-release").as_deref(),
            Some("usr/lib/os-release")
        );
        assert_eq!(resolve_within("etc", "../../../x").as_deref(), Some("x"));
        assert_eq!(srpm_name("bash-5.1.8-6.el9.src.rpm"), Some("bash"));
        assert_eq!(
            srpm_name("python-six-1.15.0-9.el9.src.rpm"),
            Some("python-six")
        );
    }

    #[test]
    fn distros() {
        let d = Distro::from_os_release(
            "PRETTY_NAME=\"Ubuntu 22.04.4 LTS\"\nID=ubuntu\nVERSION_ID=\"22.04\"\n",
        )
        .unwrap();
        assert_eq!(d.osv_ecosystem().as_deref(), Some("Ubuntu:22.04:LTS"));
        let d = Distro::from_os_release("ID=alpine\nVERSION_ID=3.19.1\n").unwrap();
        assert_eq!(d.osv_ecosystem().as_deref(), Some("Alpine:v3.19"));
        assert_eq!(d.purl_distro(), "alpine-3.19.1");
        let d =
            Distro::from_os_release("ID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n")
                .unwrap();
        assert_eq!(d.osv_ecosystem().as_deref(), Some("Debian:12"));
        let d = Distro::from_os_release("ID=\"almalinux\"\nVERSION_ID=\"9.3\"\n").unwrap();
        assert_eq!(d.osv_ecosystem().as_deref(), Some("AlmaLinux:9"));
        assert!(Distro::from_os_release("NAME=x\n").is_none());
    }

    #[test]
    fn dpkg_and_apk() {
        let d = Distro::from_os_release("ID=debian\nVERSION_ID=\"12\"\n").unwrap();
        let st = "Package: libssl3\nStatus: install ok installed\nArchitecture: amd64\nSource: openssl (3.0.11-1~deb12u2)\nVersion: 3.0.11-1~deb12u2\nDescription: x\n multi\n\nPackage: gone\nStatus: deinstall ok config-files\nVersion: 1\n\nPackage: zlib1g\nStatus: install ok installed\nSource: zlib\nVersion: 1:1.2.13.dfsg-1\n";
        let c = dpkg_status(st, Some(&d));
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].name, "libssl3");
        assert_eq!(c[0].ecosystem.as_deref(), Some("Debian:12"));
        assert_eq!(
            c[0].purl.as_deref(),
            Some(
                "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12&upstream=openssl"
            )
        );
        assert_eq!(
            c[1].purl.as_deref(),
            Some("pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?distro=debian-12&upstream=zlib")
        );
        let a = Distro::from_os_release("ID=alpine\nVERSION_ID=3.19.1\n").unwrap();
        let inst = "C:Q1x=\nP:libcrypto3\nV:3.1.4-r5\nA:x86_64\nL:Apache-2.0\no:openssl\n\nP:musl\nV:1.2.4_git20230717-r4\no:musl\n";
        let c = apk_installed(inst, Some(&a));
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].ecosystem.as_deref(), Some("Alpine:v3.19"));
        assert_eq!(c[0].licenses, vec!["Apache-2.0".to_string()]);
        assert!(c[0].purl.as_deref().unwrap().contains("upstream=openssl"));
        assert!(!c[1].purl.as_deref().unwrap().contains("upstream"));
    }

    #[test]
    fn language_packages() {
        let c = python_metadata(
            "Metadata-Version: 2.1\nName: Jinja2\nVersion: 3.1.2\n\nName: not-this\n",
        )
        .unwrap();
        assert_eq!(
            (c.name.as_str(), c.version.as_deref()),
            ("Jinja2", Some("3.1.2"))
        );
        let g = gemspec("nokogiri-1.15.4-x86_64-linux.gemspec", "").unwrap();
        assert_eq!(
            (g.name.as_str(), g.version.as_deref()),
            ("nokogiri", Some("1.15.4"))
        );
        let g = gemspec(
            "x-1.gemspec",
            "  s.name = \"rack-test\".freeze\n  s.version = \"2.1.0\".freeze\n",
        )
        .unwrap();
        assert_eq!(
            (g.name.as_str(), g.version.as_deref()),
            ("rack-test", Some("2.1.0"))
        );
    }

    #[test]
    fn rpm_header_blob() {
        assert!(rpm_header(&[0, 0, 0, 9, 0, 0, 0, 1]).is_err());
        assert!(rpm_header(&[0, 0]).is_err());
    }
}
