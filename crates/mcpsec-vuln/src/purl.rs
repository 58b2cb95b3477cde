//! Package URLs (purl), parsed, normalised and built per the purl
//! specification (ECMA-427) and the registered type definitions.
//!
//! [`Purl::parse`] accepts non-canonical input and normalises it (scheme and
//! type case, `pkg:///` slashes, qualifier key case, type-specific name rules);
//! [`Purl::parse_strict`] additionally rejects qualifier keys that are not
//! lowercase. [`Purl::to_string`] (via `Display`) always gives the canonical
//! form.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// Why a purl could not be parsed or built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PurlError {
    /// The string does not follow the purl syntax.
    #[error("invalid purl syntax: {0}")]
    Syntax(String),
    /// The purl is syntactically valid but breaks a rule of its type.
    #[error("invalid purl for type {ty}: {reason}")]
    Type { ty: String, reason: String },
}

fn syntax(msg: impl Into<String>) -> PurlError {
    PurlError::Syntax(msg.into())
}

/// A decoded Package URL.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Purl {
    pub ty: String,
    pub namespace: Option<String>,
    pub name: String,
    pub version: Option<String>,
    pub qualifiers: BTreeMap<String, String>,
    pub subpath: Option<String>,
}

impl Purl {
    /// Parses and normalises a purl string.
    pub fn parse(s: &str) -> Result<Purl, PurlError> {
        parse(s, false)
    }

    /// Like [`Purl::parse`], but rejects qualifier keys that are not in
    /// lowercase instead of lowercasing them.
    pub fn parse_strict(s: &str) -> Result<Purl, PurlError> {
        parse(s, true)
    }

    /// Builds a purl from decoded components, validating and normalising them.
    pub fn build(
        ty: &str,
        namespace: Option<&str>,
        name: &str,
        version: Option<&str>,
        qualifiers: impl IntoIterator<Item = (String, String)>,
        subpath: Option<&str>,
    ) -> Result<Purl, PurlError> {
        let ty = ty.to_ascii_lowercase();
        validate_type(&ty)?;
        let namespace = namespace
            .map(|ns| {
                ns.split('/')
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
                    .join("/")
            })
            .filter(|s| !s.is_empty());
        let mut q = BTreeMap::new();
        for (k, v) in qualifiers {
            let k = k.to_ascii_lowercase();
            validate_qualifier_key(&k)?;
            if !v.is_empty() {
                q.insert(k, v);
            }
        }
        let subpath = subpath.map(clean_subpath_decoded).filter(|s| !s.is_empty());
        let mut p = Purl {
            ty,
            namespace,
            name: name.to_string(),
            version: version.filter(|v| !v.is_empty()).map(str::to_string),
            qualifiers: q,
            subpath,
        };
        normalize_and_validate(&mut p)?;
        Ok(p)
    }

    /// A purl without version, qualifiers and subpath: identifies the package.
    pub fn package_key(&self) -> String {
        let mut p = self.clone();
        p.version = None;
        p.qualifiers.clear();
        p.subpath = None;
        p.to_string()
    }

    /// The OSV ecosystem this purl type corresponds to, when there is one.
    pub fn osv_ecosystem(&self) -> Option<String> {
        let distro = || self.qualifiers.get("distro").cloned();
        Some(match self.ty.as_str() {
            "npm" => "npm".into(),
            "pypi" => "PyPI".into(),
            "maven" => "Maven".into(),
            "golang" => "Go".into(),
            "cargo" => "crates.io".into(),
            "gem" => "RubyGems".into(),
            "nuget" => "NuGet".into(),
            "composer" => "Packagist".into(),
            "hex" => "Hex".into(),
            "pub" => "Pub".into(),
            "swift" => "SwiftURL".into(),
            "bitnami" => "Bitnami".into(),
            "cran" => "CRAN".into(),
            "hackage" => "Hackage".into(),
            "julia" => "Julia".into(),
            "deb" => {
                let ns = self.namespace.as_deref().unwrap_or("debian");
                let base = if ns.eq_ignore_ascii_case("ubuntu") {
                    "Ubuntu"
                } else {
                    "Debian"
                };
                match distro().and_then(|d| debian_release_number(&d)) {
                    Some(n) => format!("{base}:{n}"),
                    None => base.into(),
                }
            }
            "apk" => match distro() {
                Some(d) => {
                    // alpine-3.18.4 / 3.18 → Alpine:v3.18
                    let d = d.trim_start_matches("alpine-").trim_start_matches('v');
                    let mm: Vec<&str> = d.split('.').take(2).collect();
                    if mm.len() == 2 {
                        format!("Alpine:v{}.{}", mm[0], mm[1])
                    } else {
                        "Alpine".into()
                    }
                }
                None => "Alpine".into(),
            },
            "rpm" => {
                let ns = self.namespace.as_deref().unwrap_or("").to_ascii_lowercase();
                let base = match ns.as_str() {
                    "almalinux" => "AlmaLinux",
                    "rocky-linux" | "rocky" => "Rocky Linux",
                    "redhat" => "Red Hat",
                    "opensuse" => "openSUSE",
                    "suse" => "SUSE",
                    _ => return None,
                };
                base.into()
            }
            _ => return None,
        })
    }
}

fn debian_release_number(distro: &str) -> Option<String> {
    let d = distro
        .trim_start_matches("debian-")
        .trim_start_matches("ubuntu-");
    let named = match d {
        "buster" => "10",
        "bullseye" => "11",
        "bookworm" => "12",
        "trixie" => "13",
        "stretch" => "9",
        "jessie" => "8",
        _ => "",
    };
    if !named.is_empty() {
        return Some(named.into());
    }
    let major = d.split('.').next()?;
    if major.chars().all(|c| c.is_ascii_digit()) && !major.is_empty() {
        Some(major.into())
    } else {
        None
    }
}

impl FromStr for Purl {
    type Err = PurlError;
    fn from_str(s: &str) -> Result<Purl, PurlError> {
        Purl::parse(s)
    }
}

fn percent_decode(s: &str) -> Result<String, PurlError> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = |c: u8| (c as char).to_digit(16);
            match (
                b.get(i + 1).copied().and_then(hex),
                b.get(i + 2).copied().and_then(hex),
            ) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 3;
                }
                _ => return Err(syntax(format!("invalid percent-encoding in {s:?}"))),
            }
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| syntax(format!("percent-decoded {s:?} is not UTF-8")))
}

fn percent_encode(s: &str, out: &mut String) {
    for &c in s.as_bytes() {
        if c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~' | b':') {
            out.push(c as char);
        } else {
            out.push_str(&format!("%{c:02X}"));
        }
    }
}

fn validate_type(ty: &str) -> Result<(), PurlError> {
    let first = ty.chars().next().ok_or_else(|| syntax("missing type"))?;
    if first.is_ascii_digit() {
        return Err(syntax(format!("type {ty:?} starts with a digit")));
    }
    if !ty
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '-'))
    {
        return Err(syntax(format!(
            "type {ty:?} has a character outside [a-z0-9.+-]"
        )));
    }
    Ok(())
}

fn validate_qualifier_key(k: &str) -> Result<(), PurlError> {
    let first = k
        .chars()
        .next()
        .ok_or_else(|| syntax("empty qualifier key"))?;
    if first.is_ascii_digit() {
        return Err(syntax(format!("qualifier key {k:?} starts with a digit")));
    }
    if !k
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
    {
        return Err(syntax(format!(
            "qualifier key {k:?} has a character outside [a-z0-9._-]"
        )));
    }
    Ok(())
}

fn clean_subpath_decoded(s: &str) -> String {
    s.split('/')
        .filter(|seg| !seg.is_empty() && *seg != "." && *seg != "..")
        .collect::<Vec<_>>()
        .join("/")
}

fn parse(s: &str, strict: bool) -> Result<Purl, PurlError> {
    let (rest, subpath) = match s.rsplit_once('#') {
        Some((r, sp)) => {
            let mut segs = Vec::new();
            for seg in sp.split('/') {
                if seg.is_empty() || seg == "." || seg == ".." {
                    continue;
                }
                let d = percent_decode(seg)?;
                if d.contains('/') {
                    return Err(syntax("subpath segment contains '/'"));
                }
                segs.push(d);
            }
            (
                r,
                if segs.is_empty() {
                    None
                } else {
                    Some(segs.join("/"))
                },
            )
        }
        None => (s, None),
    };
    let (rest, qualifiers) = match rest.rsplit_once('?') {
        Some((r, qs)) => {
            let mut q = BTreeMap::new();
            for pair in qs.split('&').filter(|p| !p.is_empty()) {
                let (k, v) = pair
                    .split_once('=')
                    .ok_or_else(|| syntax(format!("qualifier {pair:?} has no '='")))?;
                if strict && k.chars().any(|c| c.is_ascii_uppercase()) {
                    return Err(syntax(format!("qualifier key {k:?} is not lowercase")));
                }
                let k = k.to_ascii_lowercase();
                validate_qualifier_key(&k)?;
                let v = percent_decode(v)?;
                if v.is_empty() {
                    continue;
                }
                if q.insert(k.clone(), v).is_some() {
                    return Err(syntax(format!("duplicate qualifier key {k:?}")));
                }
            }
            (r, q)
        }
        None => (rest, BTreeMap::new()),
    };
    let (scheme, rest) = rest
        .split_once(':')
        .ok_or_else(|| syntax("missing 'pkg:' scheme"))?;
    if !scheme.eq_ignore_ascii_case("pkg") {
        return Err(syntax(format!("scheme is {scheme:?}, not 'pkg'")));
    }
    let rest = rest.trim_start_matches('/');
    let (ty, rest) = rest
        .split_once('/')
        .ok_or_else(|| syntax("missing type or name"))?;
    let ty = ty.to_ascii_lowercase();
    validate_type(&ty)?;
    let rest = rest.trim_matches('/');
    // The version separator is the last '@' of the last path segment, so
    // that an unencoded npm scope (`@babel/core`) is not taken for one.
    let (path, version) = {
        let seg_start = rest.rfind('/').map(|i| i + 1).unwrap_or(0);
        match rest[seg_start..].rfind('@') {
            Some(i) => {
                let at = seg_start + i;
                if at == 0 || rest[..at].ends_with('/') {
                    return Err(syntax("missing name before '@'"));
                }
                let v = percent_decode(&rest[at + 1..])?;
                (&rest[..at], if v.is_empty() { None } else { Some(v) })
            }
            None => (rest, None),
        }
    };
    let mut segs = Vec::new();
    for seg in path.split('/').filter(|s| !s.is_empty()) {
        let d = percent_decode(seg)?;
        if d.contains('/') {
            return Err(syntax("namespace or name segment contains an encoded '/'"));
        }
        segs.push(d);
    }
    let name = segs.pop().ok_or_else(|| syntax("missing name"))?;
    let (namespace, name) = if ty == "git" && !segs.is_empty() {
        // git: the namespace is the host, the name is the repository path.
        let host = segs.remove(0);
        segs.push(name);
        (Some(host), segs.join("/"))
    } else {
        (
            if segs.is_empty() {
                None
            } else {
                Some(segs.join("/"))
            },
            name,
        )
    };
    let mut p = Purl {
        ty,
        namespace,
        name,
        version,
        qualifiers,
        subpath,
    };
    normalize_and_validate(&mut p)?;
    Ok(p)
}

fn type_err(p: &Purl, reason: impl Into<String>) -> PurlError {
    PurlError::Type {
        ty: p.ty.clone(),
        reason: reason.into(),
    }
}

fn normalize_and_validate(p: &mut Purl) -> Result<(), PurlError> {
    if p.name.is_empty() {
        return Err(syntax("missing name"));
    }
    let lower_ns_name = |p: &mut Purl| {
        p.name = p.name.to_ascii_lowercase();
        if let Some(ns) = &mut p.namespace {
            *ns = ns.to_ascii_lowercase();
        }
    };
    match p.ty.as_str() {
        "bitbucket" | "github" | "gitlab" | "composer" | "brew" | "git" => lower_ns_name(p),
        "pypi" => p.name = p.name.to_ascii_lowercase().replace('_', "-"),
        "huggingface" => p.version = p.version.as_ref().map(|v| v.to_ascii_lowercase()),
        "mlflow"
            if p.qualifiers
                .get("repository_url")
                .is_some_and(|u| u.contains("azuredatabricks.net")) =>
        {
            p.name = p.name.to_ascii_lowercase();
        }
        "cpan" if p.name.contains("::") => {
            return Err(type_err(
                p,
                "a cpan distribution name must not contain '::'",
            ));
        }
        "chrome-extension" => {
            if p.name.len() != 32 || !p.name.bytes().all(|c| (b'a'..=b'p').contains(&c)) {
                return Err(type_err(p, "the extension id must be 32 characters a-p"));
            }
            if let Some(v) = &p.version {
                let parts: Vec<&str> = v.split('.').collect();
                if parts.len() > 4
                    || parts
                        .iter()
                        .any(|x| x.is_empty() || !x.bytes().all(|c| c.is_ascii_digit()))
                {
                    return Err(type_err(
                        p,
                        "the version must be 1 to 4 dot-separated integers",
                    ));
                }
            }
        }
        "julia" if !p.qualifiers.contains_key("uuid") => {
            return Err(type_err(p, "the uuid qualifier is required"));
        }
        "swift" | "vscode-extension" | "maven" if p.namespace.is_none() => {
            return Err(type_err(p, "a namespace is required"));
        }
        "otp" | "vcpkg" if p.namespace.is_some() => {
            return Err(type_err(p, "a namespace is not allowed"));
        }
        _ => {}
    }
    Ok(())
}

impl fmt::Display for Purl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::with_capacity(64);
        s.push_str("pkg:");
        s.push_str(&self.ty);
        s.push('/');
        if let Some(ns) = &self.namespace {
            for seg in ns.split('/').filter(|x| !x.is_empty()) {
                percent_encode(seg, &mut s);
                s.push('/');
            }
        }
        if self.ty == "git" {
            let segs: Vec<&str> = self.name.split('/').collect();
            for (i, seg) in segs.iter().enumerate() {
                if i > 0 {
                    s.push('/');
                }
                percent_encode(seg, &mut s);
            }
        } else {
            percent_encode(&self.name, &mut s);
        }
        if let Some(v) = &self.version {
            s.push('@');
            percent_encode(v, &mut s);
        }
        let mut first = true;
        for (k, v) in &self.qualifiers {
            if v.is_empty() {
                continue;
            }
            s.push(if first { '?' } else { '&' });
            first = false;
            s.push_str(k);
            s.push('=');
            percent_encode(v, &mut s);
        }
        if let Some(sp) = &self.subpath {
            s.push('#');
            for (i, seg) in sp.split('/').filter(|x| !x.is_empty()).enumerate() {
                if i > 0 {
                    s.push('/');
                }
                percent_encode(seg, &mut s);
            }
        }
        f.write_str(&s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_basic() {
        let p = Purl::parse("pkg:npm/%40angular/animation@12.3.1").unwrap();
        assert_eq!(p.namespace.as_deref(), Some("@angular"));
        assert_eq!(p.to_string(), "pkg:npm/%40angular/animation@12.3.1");
        let p = Purl::parse("pkg:npm/@babel/core").unwrap();
        assert_eq!(p.namespace.as_deref(), Some("@babel"));
        assert_eq!(p.version, None);
        let p = Purl::parse("pkg:brew/node@20@20.10.0").unwrap();
        assert_eq!(
            (p.name.as_str(), p.version.as_deref()),
            ("node@20", Some("20.10.0"))
        );
        assert_eq!(p.to_string(), "pkg:brew/node%4020@20.10.0");
    }

    #[test]
    fn ecosystems() {
        let e = |s: &str| Purl::parse(s).unwrap().osv_ecosystem();
        assert_eq!(
            e("pkg:deb/debian/curl@7.50.3-1?distro=bookworm").as_deref(),
            Some("Debian:12")
        );
        assert_eq!(
            e("pkg:apk/alpine/curl@7.83.0-r0?distro=3.18.4").as_deref(),
            Some("Alpine:v3.18")
        );
        assert_eq!(e("pkg:cargo/rand@0.7.2").as_deref(), Some("crates.io"));
        assert_eq!(e("pkg:generic/x@1"), None);
    }
}
