//! Semantic versions with node-semver's parsing (strict and loose) and its
//! range grammar (`^`, `~`, x-ranges, hyphen ranges, `||`), ported from
//! npm/node-semver so that `satisfies` agrees with npm. SemVer 2.0.0
//! precedence is used for ordering, which is also the ordering of crates.io,
//! Go modules (after the `v` prefix), Hex and Pub.

use std::cmp::Ordering;
use std::fmt;
use std::sync::LazyLock;

use regex::{Captures, Regex};

/// Largest integer node-semver accepts in a version component.
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;
/// Longest version string node-semver accepts.
pub const MAX_LENGTH: usize = 256;

/// One dot-separated pre-release identifier.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Ident {
    Num(u64),
    Alpha(String),
}

impl Ord for Ident {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Ident::Num(a), Ident::Num(b)) => a.cmp(b),
            (Ident::Num(_), Ident::Alpha(_)) => Ordering::Less,
            (Ident::Alpha(_), Ident::Num(_)) => Ordering::Greater,
            (Ident::Alpha(a), Ident::Alpha(b)) => a.cmp(b),
        }
    }
}
impl PartialOrd for Ident {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Ident {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ident::Num(n) => write!(f, "{n}"),
            Ident::Alpha(s) => f.write_str(s),
        }
    }
}

/// A semantic version. Equality and ordering ignore build metadata.
#[derive(Debug, Clone)]
pub struct SemVer {
    pub major: u64,
    pub minor: u64,
    pub patch: u64,
    pub pre: Vec<Ident>,
    pub build: Vec<String>,
}

impl PartialEq for SemVer {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for SemVer {}
impl Ord for SemVer {
    fn cmp(&self, o: &Self) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(o.major, o.minor, o.patch))
            .then_with(|| match (self.pre.is_empty(), o.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => self.pre.cmp(&o.pre),
            })
    }
}
impl PartialOrd for SemVer {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for SemVer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        if !self.pre.is_empty() {
            let p: Vec<String> = self.pre.iter().map(ToString::to_string).collect();
            write!(f, "-{}", p.join("."))?;
        }
        Ok(())
    }
}

// Regex sources, as in node-semver internal/re.js.
const NUM: &str = r"0|[1-9][0-9]*";
const NUM_LOOSE: &str = r"[0-9]+";
const NONNUM: &str = r"[0-9]*[a-zA-Z-][a-zA-Z0-9-]*";
const BUILD: &str = r"(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))";

fn prerelease(loose: bool) -> String {
    let id = if loose {
        format!("(?:{NUM_LOOSE}|{NONNUM})")
    } else {
        format!("(?:{NUM}|{NONNUM})")
    };
    if loose {
        format!(r"(?:-?({id}(?:\.{id})*))")
    } else {
        format!(r"(?:-({id}(?:\.{id})*))")
    }
}

fn mainversion(loose: bool) -> String {
    let n = if loose { NUM_LOOSE } else { NUM };
    format!(r"({n})\.({n})\.({n})")
}

fn fullplain(loose: bool) -> String {
    if loose {
        format!(r"[v=\s]*{}{}?{BUILD}?", mainversion(true), prerelease(true))
    } else {
        format!(r"v?{}{}?{BUILD}?", mainversion(false), prerelease(false))
    }
}

fn xrangeplain(loose: bool) -> String {
    let id = if loose {
        format!(r"{NUM_LOOSE}|x|X|\*")
    } else {
        format!(r"{NUM}|x|X|\*")
    };
    format!(
        r"[v=\s]*({id})(?:\.({id})(?:\.({id})(?:{})?{BUILD}?)?)?",
        prerelease(loose)
    )
}

struct Res {
    full: Regex,
    hyphen: Regex,
    comparator_trim: Regex,
    tilde_trim: Regex,
    caret_trim: Regex,
    tilde: Regex,
    caret: Regex,
    xrange: Regex,
    star: Regex,
    gte0: Regex,
    gte0pre: Regex,
    comparator: Regex,
    build: Regex,
}

fn res(loose: bool) -> Res {
    let x = xrangeplain(loose);
    let r = |s: String| Regex::new(&s).expect("static regex");
    Res {
        full: r(format!("^{}$", fullplain(loose))),
        hyphen: r(format!(r"^\s*({x})\s+-\s+({x})\s*$")),
        comparator_trim: r(format!(r"(\s*)((?:<|>)?=?)\s*({}|{x})", fullplain(true))),
        tilde_trim: r(r"(\s*)(?:~>?)\s+".into()),
        caret_trim: r(r"(\s*)(?:\^)\s+".into()),
        tilde: r(format!(r"^(?:~>?){x}$")),
        caret: r(format!(r"^(?:\^){x}$")),
        xrange: r(format!(r"^((?:<|>)?=?)\s*{x}$")),
        star: r(r"(<|>)?=?\s*\*".into()),
        gte0: r(r"^\s*>=\s*0\.0\.0\s*$".into()),
        gte0pre: r(r"^\s*>=\s*0\.0\.0-0\s*$".into()),
        comparator: r(format!(r"^((?:<|>)?=?)\s*({})$|^$", fullplain(loose))),
        build: r(BUILD.into()),
    }
}

static STRICT: LazyLock<Res> = LazyLock::new(|| res(false));
static LOOSE: LazyLock<Res> = LazyLock::new(|| res(true));

fn re(loose: bool) -> &'static Res {
    if loose { &LOOSE } else { &STRICT }
}

fn parse_num(s: &str) -> Option<u64> {
    let n: u64 = s.parse().ok()?;
    (n <= MAX_SAFE_INTEGER).then_some(n)
}

impl SemVer {
    /// Parses a version the way `new SemVer(v, { loose })` does.
    pub fn parse_opts(s: &str, loose: bool) -> Option<SemVer> {
        if s.len() > MAX_LENGTH {
            return None;
        }
        let c = re(loose).full.captures(s.trim())?;
        let pre = match c.get(4) {
            Some(p) => p
                .as_str()
                .split('.')
                .map(|id| {
                    if id.bytes().all(|b| b.is_ascii_digit()) {
                        match id.parse::<u64>() {
                            Ok(n) if n <= MAX_SAFE_INTEGER => Ident::Num(n),
                            _ => Ident::Alpha(id.to_string()),
                        }
                    } else {
                        Ident::Alpha(id.to_string())
                    }
                })
                .collect(),
            None => Vec::new(),
        };
        Some(SemVer {
            major: parse_num(&c[1])?,
            minor: parse_num(&c[2])?,
            patch: parse_num(&c[3])?,
            pre,
            build: c
                .get(5)
                .map(|b| b.as_str().split('.').map(str::to_string).collect())
                .unwrap_or_default(),
        })
    }

    /// Strict node-semver parse (a leading `v` is allowed).
    pub fn parse(s: &str) -> Option<SemVer> {
        SemVer::parse_opts(s, false)
    }

    /// Lenient parse for ecosystems whose versions are "mostly semver": tries
    /// strict, then loose, then pads `1` / `1.2` to three components.
    pub fn parse_lenient(s: &str) -> Option<SemVer> {
        let s = s.trim();
        if let Some(v) = SemVer::parse_opts(s, false).or_else(|| SemVer::parse_opts(s, true)) {
            return Some(v);
        }
        let t = s.trim_start_matches(['v', 'V']);
        let end = t.find(['-', '+']).unwrap_or(t.len());
        let (core, rest) = t.split_at(end);
        let parts: Vec<&str> = core.split('.').collect();
        if parts.is_empty()
            || parts.len() > 2
            || parts
                .iter()
                .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
        {
            return None;
        }
        let mut padded = parts.join(".");
        for _ in parts.len()..3 {
            padded.push_str(".0");
        }
        SemVer::parse_opts(&format!("{padded}{rest}"), true)
    }

    pub fn is_prerelease(&self) -> bool {
        !self.pre.is_empty()
    }
}

// ---------------------------------------------------------------- ranges

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
}

/// A comparator; `version == None` is the "any" comparator.
#[derive(Debug, Clone)]
pub struct Comparator {
    pub op: Op,
    pub version: Option<SemVer>,
}

impl Comparator {
    fn parse(s: &str, loose: bool) -> Option<Comparator> {
        let c = re(loose).comparator.captures(s)?;
        let op = match c.get(1).map(|m| m.as_str()).unwrap_or("") {
            "<" => Op::Lt,
            "<=" => Op::Le,
            ">" => Op::Gt,
            ">=" => Op::Ge,
            _ => Op::Eq,
        };
        let version = match c.get(2) {
            Some(v) => Some(SemVer::parse_opts(v.as_str(), loose)?),
            None => None,
        };
        Some(Comparator { op, version })
    }

    pub fn test(&self, v: &SemVer) -> bool {
        let Some(c) = &self.version else { return true };
        let o = v.cmp(c);
        match self.op {
            Op::Eq => o == Ordering::Equal,
            Op::Lt => o == Ordering::Less,
            Op::Le => o != Ordering::Greater,
            Op::Gt => o == Ordering::Greater,
            Op::Ge => o != Ordering::Less,
        }
    }

    fn is_null_set(&self) -> bool {
        self.op == Op::Lt
            && self.version.as_ref().is_some_and(|v| {
                v.major == 0 && v.minor == 0 && v.patch == 0 && v.pre == [Ident::Num(0)]
            })
    }
}

impl fmt::Display for Comparator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(v) = &self.version else {
            return Ok(());
        };
        let op = match self.op {
            Op::Eq => "",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
        };
        write!(f, "{op}{v}")
    }
}

/// Options of node-semver ranges.
#[derive(Debug, Clone, Copy, Default)]
pub struct RangeOptions {
    pub loose: bool,
    pub include_prerelease: bool,
}

/// A node-semver range: a union of comparator sets.
#[derive(Debug, Clone)]
pub struct Range {
    pub set: Vec<Vec<Comparator>>,
    pub options: RangeOptions,
}

fn is_x(s: Option<&str>) -> bool {
    match s {
        None => true,
        Some(s) => s.is_empty() || s == "x" || s == "X" || s == "*",
    }
}

fn plus1(s: &str) -> String {
    s.parse::<u64>()
        .map(|n| (n + 1).to_string())
        .unwrap_or_else(|_| s.to_string())
}

fn g<'a>(c: &'a Captures, i: usize) -> Option<&'a str> {
    c.get(i).map(|m| m.as_str())
}

/// An x-range part followed by a concrete part (`1.x.5`, `x.1`) is invalid.
fn x_then_number(parts: [Option<&str>; 3]) -> bool {
    let mut seen_x = false;
    for p in parts.into_iter().flatten() {
        if is_x(Some(p)) {
            seen_x = true;
        } else if seen_x {
            return true;
        }
    }
    false
}

const INVALID: &str = "\u{0}invalid";

fn replace_tilde(comp: &str, o: RangeOptions) -> String {
    let z = if o.include_prerelease { "-0" } else { "" };
    re(o.loose)
        .tilde
        .replace(comp, |c: &Captures| {
            let (mj, mn, p, pr) = (g(c, 1), g(c, 2), g(c, 3), g(c, 4));
            let (mjs, mns, ps) = (mj.unwrap_or(""), mn.unwrap_or(""), p.unwrap_or(""));
            if x_then_number([mj, mn, p]) {
                INVALID.to_string()
            } else if is_x(mj) {
                String::new()
            } else if is_x(mn) {
                format!(">={mjs}.0.0{z} <{}.0.0-0", plus1(mjs))
            } else if is_x(p) {
                format!(">={mjs}.{mns}.0{z} <{mjs}.{}.0-0", plus1(mns))
            } else if let Some(pr) = pr {
                format!(">={mjs}.{mns}.{ps}-{pr} <{mjs}.{}.0-0", plus1(mns))
            } else {
                format!(">={mjs}.{mns}.{ps} <{mjs}.{}.0-0", plus1(mns))
            }
        })
        .into_owned()
}

fn replace_caret(comp: &str, o: RangeOptions) -> String {
    let z = if o.include_prerelease { "-0" } else { "" };
    re(o.loose)
        .caret
        .replace(comp, |c: &Captures| {
            let (mj, mn, p, pr) = (g(c, 1), g(c, 2), g(c, 3), g(c, 4));
            let (m, n, pp) = (mj.unwrap_or(""), mn.unwrap_or(""), p.unwrap_or(""));
            if x_then_number([mj, mn, p]) {
                INVALID.to_string()
            } else if is_x(mj) {
                String::new()
            } else if is_x(mn) {
                format!(">={m}.0.0{z} <{}.0.0-0", plus1(m))
            } else if is_x(p) {
                if m == "0" {
                    format!(">={m}.{n}.0{z} <{m}.{}.0-0", plus1(n))
                } else {
                    format!(">={m}.{n}.0{z} <{}.0.0-0", plus1(m))
                }
            } else if let Some(pr) = pr {
                if m == "0" {
                    if n == "0" {
                        format!(">={m}.{n}.{pp}-{pr} <{m}.{n}.{}-0", plus1(pp))
                    } else {
                        format!(">={m}.{n}.{pp}-{pr} <{m}.{}.0-0", plus1(n))
                    }
                } else {
                    format!(">={m}.{n}.{pp}-{pr} <{}.0.0-0", plus1(m))
                }
            } else if m == "0" {
                if n == "0" {
                    format!(">={m}.{n}.{pp} <{m}.{n}.{}-0", plus1(pp))
                } else {
                    format!(">={m}.{n}.{pp} <{m}.{}.0-0", plus1(n))
                }
            } else {
                format!(">={m}.{n}.{pp} <{}.0.0-0", plus1(m))
            }
        })
        .into_owned()
}

fn replace_xrange(comp: &str, o: RangeOptions) -> String {
    let comp = comp.trim();
    re(o.loose)
        .xrange
        .replace(comp, |c: &Captures| {
            let whole = c.get(0).map(|m| m.as_str()).unwrap_or("").to_string();
            let mut gtlt = g(c, 1).unwrap_or("").to_string();
            let (mj, mn, p) = (g(c, 2), g(c, 3), g(c, 4));
            let xm_major = is_x(mj);
            let xm = xm_major || is_x(mn);
            let xp = xm || is_x(p);
            let any_x = xp;
            if gtlt == "=" && any_x {
                gtlt.clear();
            }
            let mut pr = if o.include_prerelease { "-0" } else { "" }.to_string();
            let mut big = mj.unwrap_or("").to_string();
            let mut min = mn.unwrap_or("").to_string();
            let mut pat;
            if x_then_number([mj, mn, p]) {
                INVALID.to_string()
            } else if xm_major {
                if gtlt == ">" || gtlt == "<" {
                    "<0.0.0-0".to_string()
                } else {
                    "*".to_string()
                }
            } else if !gtlt.is_empty() && any_x {
                if xm {
                    min = "0".into();
                }
                pat = "0".to_string();
                if gtlt == ">" {
                    gtlt = ">=".into();
                    if xm {
                        big = plus1(&big);
                        min = "0".into();
                    } else {
                        min = plus1(&min);
                    }
                    pat = "0".into();
                } else if gtlt == "<=" {
                    gtlt = "<".into();
                    if xm {
                        big = plus1(&big);
                    } else {
                        min = plus1(&min);
                    }
                }
                if gtlt == "<" {
                    pr = "-0".into();
                }
                format!("{gtlt}{big}.{min}.{pat}{pr}")
            } else if xm {
                format!(">={big}.0.0{pr} <{}.0.0-0", plus1(&big))
            } else if xp {
                format!(">={big}.{min}.0{pr} <{big}.{}.0-0", plus1(&min))
            } else {
                whole
            }
        })
        .into_owned()
}

fn hyphen_replace(c: &Captures, inc_pr: bool) -> String {
    let from = g(c, 1).unwrap_or("");
    let (fm, fmn, fp, fpr) = (g(c, 2), g(c, 3), g(c, 4), g(c, 5));
    let to = g(c, 7).unwrap_or("");
    let (tm, tmn, tp, tpr) = (g(c, 8), g(c, 9), g(c, 10), g(c, 11));
    let z = if inc_pr { "-0" } else { "" };
    let from = if is_x(fm) {
        String::new()
    } else if is_x(fmn) {
        format!(">={}.0.0{z}", fm.unwrap_or(""))
    } else if is_x(fp) {
        format!(">={}.{}.0{z}", fm.unwrap_or(""), fmn.unwrap_or(""))
    } else if fpr.is_some() {
        format!(">={from}")
    } else {
        format!(">={from}{z}")
    };
    let to = if is_x(tm) {
        String::new()
    } else if is_x(tmn) {
        format!("<{}.0.0-0", plus1(tm.unwrap_or("")))
    } else if is_x(tp) {
        format!("<{}.{}.0-0", tm.unwrap_or(""), plus1(tmn.unwrap_or("")))
    } else if let Some(tpr) = tpr {
        format!(
            "<={}.{}.{}-{tpr}",
            tm.unwrap_or(""),
            tmn.unwrap_or(""),
            tp.unwrap_or("")
        )
    } else if inc_pr {
        format!(
            "<{}.{}.{}-0",
            tm.unwrap_or(""),
            tmn.unwrap_or(""),
            plus1(tp.unwrap_or(""))
        )
    } else {
        format!("<={to}")
    };
    format!("{from} {to}").trim().to_string()
}

fn parse_comparator(comp: &str, o: RangeOptions) -> String {
    let r = re(o.loose);
    let comp = r.build.replace_all(comp, "");
    let comp: String = comp
        .split_whitespace()
        .map(|c| replace_caret(c, o))
        .collect::<Vec<_>>()
        .join(" ");
    let comp: String = comp
        .split_whitespace()
        .map(|c| replace_tilde(c, o))
        .collect::<Vec<_>>()
        .join(" ");
    let comp: String = comp
        .split_whitespace()
        .map(|c| replace_xrange(c, o))
        .collect::<Vec<_>>()
        .join(" ");
    r.star.replace_all(comp.trim(), "").into_owned()
}

impl Range {
    /// Parses a range like `new Range(range, options)`; `None` if invalid.
    pub fn parse(range: &str, o: RangeOptions) -> Option<Range> {
        if range.len() > 4 * MAX_LENGTH {
            return None;
        }
        let raw = range.split_whitespace().collect::<Vec<_>>().join(" ");
        let mut set: Vec<Vec<Comparator>> = Vec::new();
        for part in raw.split("||") {
            let cs = Range::parse_set(part.trim(), o)?;
            if !cs.is_empty() {
                set.push(cs);
            }
        }
        if set.is_empty() {
            return None;
        }
        if set.len() > 1 {
            let first = set[0].clone();
            set.retain(|c| !c[0].is_null_set());
            if set.is_empty() {
                set = vec![first];
            } else if set.len() > 1
                && let Some(any) = set.iter().find(|c| c.len() == 1 && c[0].version.is_none())
            {
                set = vec![any.clone()];
            }
        }
        Some(Range { set, options: o })
    }

    fn parse_set(range: &str, o: RangeOptions) -> Option<Vec<Comparator>> {
        let r = re(o.loose);
        let range = r
            .hyphen
            .replace(range, |c: &Captures| {
                hyphen_replace(c, o.include_prerelease)
            })
            .into_owned();
        let range = r.comparator_trim.replace_all(&range, "$1$2$3").into_owned();
        let range = r.tilde_trim.replace_all(&range, "$1~").into_owned();
        let range = r.caret_trim.replace_all(&range, "$1^").into_owned();
        let joined: Vec<String> = range.split(' ').map(|c| parse_comparator(c, o)).collect();
        let joined = joined.join(" ");
        let gte0 = if o.include_prerelease {
            &r.gte0pre
        } else {
            &r.gte0
        };
        let mut list: Vec<String> = joined
            .split_whitespace()
            .map(|c| gte0.replace(c.trim(), "").into_owned())
            .collect();
        if joined.trim().is_empty() {
            list = vec![String::new()];
        }
        if o.loose {
            list.retain(|c| LOOSE.comparator.is_match(c));
        }
        let mut out: Vec<Comparator> = Vec::new();
        let mut seen: Vec<String> = Vec::new();
        for c in &list {
            let comp = Comparator::parse(c, o.loose)?;
            if comp.is_null_set() {
                return Some(vec![comp]);
            }
            let key = comp.to_string();
            if let Some(i) = seen.iter().position(|k| *k == key) {
                out[i] = comp;
            } else {
                seen.push(key);
                out.push(comp);
            }
        }
        if out.len() > 1
            && let Some(i) = seen.iter().position(String::is_empty)
        {
            out.remove(i);
        }
        Some(out)
    }

    /// Whether `v` satisfies the range (`Range.test`).
    pub fn test(&self, v: &SemVer) -> bool {
        self.set.iter().any(|set| test_set(set, v, self.options))
    }

    /// `semver.satisfies(version, range)` on strings.
    pub fn satisfies(version: &str, range: &str, o: RangeOptions) -> bool {
        match (SemVer::parse_opts(version, o.loose), Range::parse(range, o)) {
            (Some(v), Some(r)) => r.test(&v),
            _ => false,
        }
    }

    /// Whether `v` is greater (`Greater`) or less (`Less`) than every version
    /// in the range (node-semver `outside`).
    pub fn outside(&self, v: &SemVer, hilo: Ordering) -> bool {
        if self.test(v) {
            return false;
        }
        let (gtfn, ltfn, comp, ecomp) = match hilo {
            Ordering::Greater => (Ordering::Greater, Ordering::Less, Op::Gt, Op::Ge),
            _ => (Ordering::Less, Ordering::Greater, Op::Lt, Op::Le),
        };
        let zero = SemVer {
            major: 0,
            minor: 0,
            patch: 0,
            pre: vec![],
            build: vec![],
        };
        let any = zero.clone();
        for set in &self.set {
            let mut high: Option<Comparator> = None;
            let mut low: Option<Comparator> = None;
            for c in set {
                let c = if c.version.is_none() {
                    Comparator {
                        op: Op::Ge,
                        version: Some(zero.clone()),
                    }
                } else {
                    c.clone()
                };
                let cv = c.version.clone().unwrap_or_else(|| zero.clone());
                let h = high.get_or_insert_with(|| c.clone());
                let l = low.get_or_insert_with(|| c.clone());
                if cv.cmp(h.version.as_ref().unwrap_or(&zero)) == gtfn {
                    *h = c.clone();
                } else if cv.cmp(l.version.as_ref().unwrap_or(&zero)) == ltfn {
                    *l = c.clone();
                }
            }
            let (Some(high), Some(low)) = (high, low) else {
                continue;
            };
            if high.op == comp || high.op == ecomp {
                return false;
            }
            let lv = low.version.as_ref().unwrap_or(&any);
            let lte = {
                let o = v.cmp(lv);
                match hilo {
                    Ordering::Greater => o != Ordering::Greater,
                    _ => o != Ordering::Less,
                }
            };
            if ((low.op == Op::Eq || low.op == comp) && lte)
                || (low.op == ecomp && v.cmp(lv) == ltfn)
            {
                return false;
            }
        }
        true
    }
}

fn test_set(set: &[Comparator], v: &SemVer, o: RangeOptions) -> bool {
    if !set.iter().all(|c| c.test(v)) {
        return false;
    }
    if v.is_prerelease() && !o.include_prerelease {
        for c in set {
            if let Some(a) = &c.version
                && a.is_prerelease()
                && (a.major, a.minor, a.patch) == (v.major, v.minor, v.patch)
            {
                return true;
            }
        }
        return false;
    }
    true
}

impl fmt::Display for Range {
    /// The canonical range string (`Range.range` / `validRange`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s: Vec<String> = self
            .set
            .iter()
            .map(|cs| {
                cs.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(" ")
                    .trim()
                    .to_string()
            })
            .collect();
        let s = s.join("||");
        f.write_str(if s.is_empty() { "*" } else { &s })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caret_and_tilde() {
        let o = RangeOptions::default();
        assert!(Range::satisfies("1.9.9", "^1.2.3", o));
        assert!(!Range::satisfies("2.0.0", "^1.2.3", o));
        assert!(!Range::satisfies("1.3.0-beta", "^1.2.3", o));
        assert!(Range::satisfies("1.2.9", "~1.2.3", o));
        assert_eq!(
            Range::parse("1.0.0 - 2.0.0", o).unwrap().to_string(),
            ">=1.0.0 <=2.0.0"
        );
    }
}
