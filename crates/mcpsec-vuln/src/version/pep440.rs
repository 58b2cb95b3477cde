//! PEP 440 versions and specifiers, following `packaging.version` and
//! `packaging.specifiers` (pypa/packaging).

use std::cmp::Ordering;
use std::fmt;
use std::sync::LazyLock;

use regex::Regex;

static VERSION_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)^\s*v?
        (?:
            (?:(?P<epoch>[0-9]+)!)?
            (?P<release>[0-9]+(?:\.[0-9]+)*)
            (?P<pre>[-_\.]?(?P<pre_l>alpha|a|beta|b|preview|pre|c|rc)[-_\.]?(?P<pre_n>[0-9]+)?)?
            (?P<post>(?:-(?P<post_n1>[0-9]+))|(?:[-_\.]?(?P<post_l>post|rev|r)[-_\.]?(?P<post_n2>[0-9]+)?))?
            (?P<dev>[-_\.]?(?P<dev_l>dev)[-_\.]?(?P<dev_n>[0-9]+)?)?
        )
        (?:\+(?P<local>[a-z0-9]+(?:[-_\.][a-z0-9]+)*))?
        \s*$",
    )
    .expect("static regex")
});

/// Pre-release phase, ordered a < b < rc.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Pre {
    A,
    B,
    Rc,
}

/// One segment of a local version label.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Local {
    Num(u64),
    Str(String),
}

impl Ord for Local {
    fn cmp(&self, o: &Self) -> Ordering {
        match (self, o) {
            (Local::Num(a), Local::Num(b)) => a.cmp(b),
            (Local::Num(_), Local::Str(_)) => Ordering::Greater,
            (Local::Str(_), Local::Num(_)) => Ordering::Less,
            (Local::Str(a), Local::Str(b)) => a.cmp(b),
        }
    }
}
impl PartialOrd for Local {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}

/// A PEP 440 version.
#[derive(Debug, Clone)]
pub struct Pep440 {
    pub epoch: u64,
    pub release: Vec<u64>,
    pub pre: Option<(Pre, u64)>,
    pub post: Option<u64>,
    pub dev: Option<u64>,
    pub local: Option<Vec<Local>>,
}

fn num(s: Option<regex::Match<'_>>) -> Option<Option<u64>> {
    match s {
        None => Some(None),
        Some(m) => m.as_str().parse::<u64>().ok().map(Some),
    }
}

impl Pep440 {
    /// Parses a version; `None` when it is not valid PEP 440 (or a number
    /// overflows 64 bits).
    pub fn parse(s: &str) -> Option<Pep440> {
        // Surrounding (Unicode) whitespace is allowed; the version itself is ASCII.
        let s = s.trim();
        if s.len() > 512 || !s.is_ascii() {
            return None;
        }
        let c = VERSION_RE.captures(s)?;
        let epoch = num(c.name("epoch"))?.unwrap_or(0);
        let release: Option<Vec<u64>> = c["release"].split('.').map(|x| x.parse().ok()).collect();
        let release = release?;
        let pre = match c.name("pre_l") {
            Some(l) => {
                let p = match l.as_str().to_ascii_lowercase().as_str() {
                    "a" | "alpha" => Pre::A,
                    "b" | "beta" => Pre::B,
                    _ => Pre::Rc,
                };
                Some((p, num(c.name("pre_n"))?.unwrap_or(0)))
            }
            None => None,
        };
        let post = if c.name("post").is_some() {
            Some(num(c.name("post_n1").or(c.name("post_n2")))?.unwrap_or(0))
        } else {
            None
        };
        let dev = if c.name("dev").is_some() {
            Some(num(c.name("dev_n"))?.unwrap_or(0))
        } else {
            None
        };
        let local = c.name("local").map(|l| {
            l.as_str()
                .split(['-', '_', '.'])
                .map(|p| match p.parse::<u64>() {
                    Ok(n) if p.bytes().all(|b| b.is_ascii_digit()) => Local::Num(n),
                    _ => Local::Str(p.to_ascii_lowercase()),
                })
                .collect()
        });
        Some(Pep440 {
            epoch,
            release,
            pre,
            post,
            dev,
            local,
        })
    }

    pub fn is_prerelease(&self) -> bool {
        self.pre.is_some() || self.dev.is_some()
    }
    pub fn is_postrelease(&self) -> bool {
        self.post.is_some()
    }
    pub fn is_devrelease(&self) -> bool {
        self.dev.is_some()
    }

    /// The version without its local label.
    pub fn public(&self) -> Pep440 {
        Pep440 {
            local: None,
            ..self.clone()
        }
    }

    /// Epoch and release only (`base_version`).
    pub fn base(&self) -> Pep440 {
        Pep440 {
            epoch: self.epoch,
            release: self.release.clone(),
            pre: None,
            post: None,
            dev: None,
            local: None,
        }
    }

    pub fn local_str(&self) -> Option<String> {
        self.local.as_ref().map(|l| {
            l.iter()
                .map(|p| match p {
                    Local::Num(n) => n.to_string(),
                    Local::Str(s) => s.clone(),
                })
                .collect::<Vec<_>>()
                .join(".")
        })
    }

    fn release_trimmed(&self) -> &[u64] {
        let mut n = self.release.len();
        while n > 0 && self.release[n - 1] == 0 {
            n -= 1;
        }
        &self.release[..n]
    }
}

/// Sort key of the pre-release slot: -inf (dev-only), the phase, +inf.
fn pre_key(v: &Pep440) -> (i8, Option<(Pre, u64)>) {
    match (v.pre, v.post, v.dev) {
        (None, None, Some(_)) => (-1, None),
        (None, _, _) => (1, None),
        (Some(p), _, _) => (0, Some(p)),
    }
}

impl Ord for Pep440 {
    fn cmp(&self, o: &Self) -> Ordering {
        self.epoch
            .cmp(&o.epoch)
            .then_with(|| self.release_trimmed().cmp(o.release_trimmed()))
            .then_with(|| pre_key(self).cmp(&pre_key(o)))
            .then_with(|| {
                // post: absent sorts first
                match (self.post, o.post) {
                    (None, None) => Ordering::Equal,
                    (None, Some(_)) => Ordering::Less,
                    (Some(_), None) => Ordering::Greater,
                    (Some(a), Some(b)) => a.cmp(&b),
                }
            })
            .then_with(|| match (self.dev, o.dev) {
                // dev: absent sorts last
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Greater,
                (Some(_), None) => Ordering::Less,
                (Some(a), Some(b)) => a.cmp(&b),
            })
            .then_with(|| match (&self.local, &o.local) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Less,
                (Some(_), None) => Ordering::Greater,
                (Some(a), Some(b)) => a.cmp(b),
            })
    }
}
impl PartialOrd for Pep440 {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl PartialEq for Pep440 {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}
impl Eq for Pep440 {}

impl fmt::Display for Pep440 {
    /// The normalised form (`str(Version(...))`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.epoch != 0 {
            write!(f, "{}!", self.epoch)?;
        }
        let r: Vec<String> = self.release.iter().map(ToString::to_string).collect();
        f.write_str(&r.join("."))?;
        if let Some((p, n)) = self.pre {
            let l = match p {
                Pre::A => "a",
                Pre::B => "b",
                Pre::Rc => "rc",
            };
            write!(f, "{l}{n}")?;
        }
        if let Some(p) = self.post {
            write!(f, ".post{p}")?;
        }
        if let Some(d) = self.dev {
            write!(f, ".dev{d}")?;
        }
        if let Some(l) = self.local_str() {
            write!(f, "+{l}")?;
        }
        Ok(())
    }
}

// ------------------------------------------------------------ specifiers

/// A specifier operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpecOp {
    Compatible,
    Eq,
    Ne,
    Le,
    Ge,
    Lt,
    Gt,
    Arbitrary,
}

/// One PEP 440 specifier such as `>=1.0` or `==2.1.*`.
#[derive(Debug, Clone)]
pub struct Specifier {
    pub op: SpecOp,
    /// The version text as written (without the operator), e.g. `2.1.*`.
    pub version: String,
    /// Explicit pre-release policy; `None` = derived from the specifier.
    pub prereleases: Option<bool>,
}

impl Specifier {
    /// Parses one specifier, validating it the way `packaging` does.
    pub fn parse(s: &str) -> Option<Specifier> {
        let s = s.trim();
        let ops = [
            ("===", SpecOp::Arbitrary),
            ("~=", SpecOp::Compatible),
            ("==", SpecOp::Eq),
            ("!=", SpecOp::Ne),
            ("<=", SpecOp::Le),
            (">=", SpecOp::Ge),
            ("<", SpecOp::Lt),
            (">", SpecOp::Gt),
        ];
        let (op, rest) = ops
            .iter()
            .find_map(|(t, op)| s.strip_prefix(t).map(|r| (*op, r.trim())))?;
        if rest.is_empty() {
            return None;
        }
        match op {
            SpecOp::Arbitrary => {
                if rest
                    .chars()
                    .any(|c| c.is_whitespace() || c == ';' || c == ',')
                {
                    return None;
                }
            }
            SpecOp::Eq | SpecOp::Ne => {
                if let Some(prefix) = rest.strip_suffix(".*") {
                    let v = Pep440::parse(prefix)?;
                    // A prefix match names an epoch and release only.
                    if v.pre.is_some()
                        || v.post.is_some()
                        || v.dev.is_some()
                        || v.local.is_some()
                        || prefix.trim() != prefix
                    {
                        return None;
                    }
                } else {
                    Pep440::parse(rest)?;
                    if rest.contains('*') {
                        return None;
                    }
                }
            }
            SpecOp::Compatible => {
                let v = Pep440::parse(rest)?;
                if v.local.is_some() || v.release.len() < 2 || rest.contains('*') {
                    return None;
                }
            }
            _ => {
                let v = Pep440::parse(rest)?;
                if v.local.is_some() || rest.contains('*') {
                    return None;
                }
            }
        }
        Some(Specifier {
            op,
            version: rest.to_string(),
            prereleases: None,
        })
    }

    /// Whether this specifier on its own admits pre-releases.
    pub fn prereleases(&self) -> bool {
        if let Some(p) = self.prereleases {
            return p;
        }
        match self.op {
            SpecOp::Ne => false,
            _ => {
                let v = self.version.strip_suffix(".*").unwrap_or(&self.version);
                Pep440::parse(v).is_some_and(|v| v.is_prerelease())
            }
        }
    }

    /// Whether `v` satisfies the operator (ignoring the pre-release policy).
    pub fn matches(&self, v: &Pep440, raw: &str) -> bool {
        match self.op {
            SpecOp::Arbitrary => raw.trim().eq_ignore_ascii_case(&self.version),
            SpecOp::Eq => self.equal(v),
            SpecOp::Ne => !self.equal(v),
            SpecOp::Compatible => {
                let Some(spec) = Pep440::parse(&self.version) else {
                    return false;
                };
                let mut prefix = spec.release.clone();
                prefix.pop();
                let prefix_spec = Pep440 {
                    epoch: spec.epoch,
                    release: prefix,
                    pre: None,
                    post: None,
                    dev: None,
                    local: None,
                };
                v.public() >= spec && prefix_match(v, &prefix_spec)
            }
            SpecOp::Le => Pep440::parse(&self.version).is_some_and(|s| v.public() <= s),
            SpecOp::Ge => Pep440::parse(&self.version).is_some_and(|s| v.public() >= s),
            SpecOp::Lt => {
                let Some(s) = Pep440::parse(&self.version) else {
                    return false;
                };
                if v.public() >= s {
                    return false;
                }
                if !s.is_prerelease() && v.is_prerelease() && v.base() == s.base() {
                    return false;
                }
                true
            }
            SpecOp::Gt => {
                let Some(s) = Pep440::parse(&self.version) else {
                    return false;
                };
                if v.public() <= s {
                    return false;
                }
                if !s.is_postrelease() && v.is_postrelease() && v.base() == s.base() {
                    return false;
                }
                true
            }
        }
    }

    fn equal(&self, v: &Pep440) -> bool {
        if let Some(prefix) = self.version.strip_suffix(".*") {
            let Some(spec) = Pep440::parse(prefix) else {
                return false;
            };
            prefix_match(v, &spec)
        } else {
            let Some(spec) = Pep440::parse(&self.version) else {
                return false;
            };
            if spec.local.is_some() {
                *v == spec
            } else {
                v.public() == spec
            }
        }
    }

    /// `Specifier.contains(version)` with the default pre-release policy.
    pub fn contains(&self, raw: &str) -> bool {
        self.contains_with(raw, None)
    }

    /// `Specifier.contains(version, prereleases)`; `None` uses the
    /// specifier's own policy.
    pub fn contains_with(&self, raw: &str, prereleases: Option<bool>) -> bool {
        let Some(v) = Pep440::parse(raw) else {
            return self.op == SpecOp::Arbitrary && self.matches(&Pep440::default_zero(), raw);
        };
        if v.is_prerelease() && !prereleases.unwrap_or_else(|| self.prereleases()) {
            return false;
        }
        self.matches(&v, raw)
    }
}

impl Pep440 {
    fn default_zero() -> Pep440 {
        Pep440 {
            epoch: 0,
            release: vec![0],
            pre: None,
            post: None,
            dev: None,
            local: None,
        }
    }
}

/// `==prefix.*` semantics: the version's public part, split into epoch,
/// release components and suffix items, padded with zeros to the prefix
/// length, must start with the prefix.
fn prefix_match(v: &Pep440, spec: &Pep440) -> bool {
    fn split(v: &Pep440) -> (u64, Vec<u64>, Vec<String>) {
        let mut suffix = Vec::new();
        if let Some((p, n)) = v.pre {
            let l = match p {
                Pre::A => "a",
                Pre::B => "b",
                Pre::Rc => "rc",
            };
            suffix.push(format!("{l}{n}"));
        }
        if let Some(p) = v.post {
            suffix.push(format!("post{p}"));
        }
        if let Some(d) = v.dev {
            suffix.push(format!("dev{d}"));
        }
        (v.epoch, v.release.clone(), suffix)
    }
    let (ve, mut vr, vs) = split(v);
    let (se, sr, ss) = split(spec);
    if ve != se {
        return false;
    }
    while vr.len() < sr.len() {
        vr.push(0);
    }
    if vr[..sr.len()] != sr[..] {
        return false;
    }
    if ss.is_empty() {
        return true;
    }
    // The spec has a suffix: the version must have exactly the spec's
    // release length and start with the same suffix items.
    vr.len() == sr.len() && vs.len() >= ss.len() && vs[..ss.len()] == ss[..]
}

/// A comma-separated set of specifiers (`SpecifierSet`).
#[derive(Debug, Clone, Default)]
pub struct SpecifierSet {
    pub specs: Vec<Specifier>,
}

impl SpecifierSet {
    pub fn parse(s: &str) -> Option<SpecifierSet> {
        let mut specs = Vec::new();
        for part in s.split(',') {
            if part.trim().is_empty() {
                continue;
            }
            specs.push(Specifier::parse(part)?);
        }
        Some(SpecifierSet { specs })
    }

    /// Whether `raw` satisfies every specifier. Pre-releases are admitted
    /// when `prereleases` is true, when any specifier names a pre-release,
    /// or (with `prereleases == None`) never otherwise.
    pub fn contains(&self, raw: &str, prereleases: Option<bool>) -> bool {
        let Some(v) = Pep440::parse(raw) else {
            return !self.specs.is_empty()
                && self
                    .specs
                    .iter()
                    .all(|s| s.op == SpecOp::Arbitrary && s.matches(&Pep440::default_zero(), raw));
        };
        let allow_pre =
            prereleases.unwrap_or_else(|| self.specs.iter().any(Specifier::prereleases));
        if v.is_prerelease() && !allow_pre {
            return false;
        }
        self.specs.iter().all(|s| s.matches(&v, raw))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_and_normalise() {
        let p = |s: &str| Pep440::parse(s).unwrap();
        assert!(p("1.0.dev1") < p("1.0a1"));
        assert!(p("1.0a1") < p("1.0"));
        assert!(p("1.0") < p("1.0.post1"));
        assert!(p("1.0") < p("1.0+local"));
        assert_eq!(p("1.0"), p("1.0.0"));
        assert_eq!(p("1.0-1").to_string(), "1.0.post1");
        assert_eq!(p("v1.0RC1").to_string(), "1.0rc1");
        assert!(Pep440::parse("french toast").is_none());
    }

    #[test]
    fn specifiers() {
        let s = |spec: &str, v: &str| SpecifierSet::parse(spec).unwrap().contains(v, None);
        assert!(s("~=2.2", "2.3"));
        assert!(!s("~=2.2", "3.0"));
        assert!(s("==2.1.*", "2.1.5"));
        assert!(!s("<2.0", "2.0a1"));
        assert!(s(">=1.0,<2.0", "1.5"));
    }
}
