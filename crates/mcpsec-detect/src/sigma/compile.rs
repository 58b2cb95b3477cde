//! Compiling a parsed Sigma detection into a fast matcher.
//!
//! Each rule is compiled once: string values are parsed for wildcards,
//! transformed by their modifiers, lowercased (unless `cased`) and turned
//! into the cheapest matcher that fits (exact, prefix, suffix, substring via
//! `memchr`, or a wildcard matcher); long lists of substrings share one
//! Aho-Corasick automaton; regexes use the linear-time `regex` crate with a
//! size limit; CIDR values become `ipnet` networks. The condition is
//! resolved to search indices so that evaluation does no name look-ups.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

use aho_corasick::{AhoCorasick, AhoCorasickKind};
use chrono::{Datelike, Timelike};
use ipnet::IpNet;
use regex::{Regex, RegexBuilder};

use super::condition::{Condition, Selector, selector_matches};
use super::modifier::{Modifier, TransformOptions, apply_transforms};
use super::prefilter::{FieldLits, ItemPre, Prefilter, Required};
use super::rule::{CmpOp, Detection, DetectionItem, Search, SigmaValue};
use super::wildcard::{GlobTok, Piece, StrMatcher, parse_pattern};
use crate::error::{RuleErrorKind, RuleIssue};
use crate::event::{LogEvent, Value};

/// Options for compiling rules.
#[derive(Debug, Clone)]
pub struct CompileOptions {
    pub transforms: TransformOptions,
    /// Compiled size limit of one regular expression, in bytes.
    pub regex_size_limit: usize,
}

impl Default for CompileOptions {
    fn default() -> Self {
        CompileOptions {
            transforms: TransformOptions::default(),
            regex_size_limit: 2 << 20,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TimePart {
    Minute,
    Hour,
    Day,
    Week,
    Month,
    Year,
}

#[derive(Debug, Clone)]
enum ValueMatcher {
    /// Case-insensitive (pattern lowercased) unless `cased`.
    Str {
        m: StrMatcher,
        cased: bool,
    },
    Regex(Regex),
    Cidr(IpNet),
    Num(CmpOp, f64),
    Time(TimePart, i64),
    /// `null`: absent or null.
    Null,
}

#[derive(Debug, Clone)]
enum ItemKind {
    Values {
        all: bool,
        matchers: Vec<ValueMatcher>,
        /// Any-of substrings (lowercased) in one automaton, checked before `matchers`.
        ac: Option<AhoCorasick>,
    },
    Exists(bool),
    FieldRef {
        other: Box<str>,
        how: RefHow,
        cased: bool,
    },
}

#[derive(Debug, Clone, Copy)]
enum RefHow {
    Eq,
    Contains,
    Starts,
    Ends,
}

#[derive(Debug, Clone)]
struct Item {
    /// `None`: search every field (keywords).
    field: Option<Box<str>>,
    kind: ItemKind,
    /// Literals the field must contain for the item to match (see [`super::prefilter`]).
    req: Option<Required>,
    /// `req` resolved against the rule set's prefilter.
    pre: Option<ItemPre>,
}

#[derive(Debug, Clone)]
enum CExpr {
    Search(usize),
    Not(Box<CExpr>),
    And(Vec<CExpr>),
    Or(Vec<CExpr>),
    AtLeast(usize, Vec<usize>),
    All(Vec<usize>),
}

/// A compiled detection: searches (OR of AND of items) and a resolved condition.
#[derive(Debug, Clone)]
pub struct CompiledDetection {
    searches: Vec<Vec<Vec<Item>>>,
    cond: CExpr,
}

const SUBSTRING_AUTOMATON_MIN: usize = 4;
/// Largest literal set of one field scanned with a DFA in the prefilter
/// (faster scans, slower to build; larger sets use a contiguous NFA).
const PREFILTER_DFA_MAX: usize = 500;

impl CompiledDetection {
    pub fn compile(det: &Detection, opts: &CompileOptions) -> Result<CompiledDetection, RuleIssue> {
        let mut searches = Vec::with_capacity(det.searches.len());
        for (_, s) in &det.searches {
            searches.push(match s {
                Search::Maps(maps) => maps
                    .iter()
                    .map(|m| {
                        m.iter()
                            .map(|i| compile_item(i, opts))
                            .collect::<Result<Vec<_>, _>>()
                    })
                    .collect::<Result<Vec<_>, _>>()?,
                Search::Keywords(values) => {
                    let item = DetectionItem {
                        field: None,
                        modifiers: vec![],
                        values: values.clone(),
                    };
                    vec![vec![compile_item(&item, opts)?]]
                }
            });
        }
        let names: Vec<&str> = det.searches.iter().map(|(n, _)| n.as_str()).collect();
        let cond = resolve(&det.condition, &names)?;
        Ok(CompiledDetection { searches, cond })
    }

    /// Whether the event satisfies the condition.
    pub fn matches(&self, ev: &LogEvent) -> bool {
        self.eval(&self.cond, ev)
    }

    fn search(&self, i: usize, ev: &LogEvent) -> bool {
        self.searches[i]
            .iter()
            .any(|map| map.iter().all(|item| item_matches(item, ev)))
    }

    fn eval(&self, e: &CExpr, ev: &LogEvent) -> bool {
        match e {
            CExpr::Search(i) => self.search(*i, ev),
            CExpr::Not(c) => !self.eval(c, ev),
            CExpr::And(cs) => cs.iter().all(|c| self.eval(c, ev)),
            CExpr::Or(cs) => cs.iter().any(|c| self.eval(c, ev)),
            CExpr::AtLeast(n, ids) => {
                let mut hits = 0;
                for &i in ids {
                    if self.search(i, ev) {
                        hits += 1;
                        if hits >= *n {
                            return true;
                        }
                    }
                }
                false
            }
            CExpr::All(ids) => ids.iter().all(|&i| self.search(i, ev)),
        }
    }
}

fn resolve(c: &Condition, names: &[&str]) -> Result<CExpr, RuleIssue> {
    let err = |m: String| RuleIssue::new(RuleErrorKind::Condition, m);
    let select = |s: &Selector| -> Result<Vec<usize>, RuleIssue> {
        let ids: Vec<usize> = names
            .iter()
            .enumerate()
            .filter(|(_, n)| selector_matches(s, n))
            .map(|(i, _)| i)
            .collect();
        if ids.is_empty() {
            Err(err(format!("pattern {s} matches no search")))
        } else {
            Ok(ids)
        }
    };
    Ok(match c {
        Condition::Search(n) => CExpr::Search(
            names
                .iter()
                .position(|x| x == n)
                .ok_or_else(|| err(format!("unknown search {n:?}")))?,
        ),
        Condition::Not(c) => CExpr::Not(Box::new(resolve(c, names)?)),
        Condition::And(cs) => CExpr::And(
            cs.iter()
                .map(|c| resolve(c, names))
                .collect::<Result<_, _>>()?,
        ),
        Condition::Or(cs) => CExpr::Or(
            cs.iter()
                .map(|c| resolve(c, names))
                .collect::<Result<_, _>>()?,
        ),
        Condition::AtLeast(n, s) => CExpr::AtLeast(*n as usize, select(s)?),
        Condition::All(s) => CExpr::All(select(s)?),
    })
}

fn invalid(m: impl Into<String>) -> RuleIssue {
    RuleIssue::new(RuleErrorKind::InvalidValue, m)
}

fn normalize(pieces: Vec<Piece>) -> Vec<Piece> {
    let mut out: Vec<Piece> = Vec::with_capacity(pieces.len());
    for p in pieces {
        match (p, out.last_mut()) {
            (Piece::Star, Some(Piece::Star)) => {}
            (Piece::Lit(l), Some(Piece::Lit(prev))) => prev.push_str(&l),
            (Piece::Lit(l), _) if l.is_empty() => {}
            (p, _) => out.push(p),
        }
    }
    out
}

fn compile_item(item: &DetectionItem, opts: &CompileOptions) -> Result<Item, RuleIssue> {
    use Modifier::*;
    let mods = &item.modifiers;
    let has = |m: Modifier| mods.contains(&m);
    let match_types: Vec<Modifier> = mods
        .iter()
        .copied()
        .filter(|m| {
            matches!(
                m,
                Contains
                    | StartsWith
                    | EndsWith
                    | Re
                    | Cidr
                    | Lt
                    | Lte
                    | Gt
                    | Gte
                    | Exists
                    | FieldRef
                    | Minute
                    | Hour
                    | Day
                    | Week
                    | Month
                    | Year
            )
        })
        .collect();
    let field = item.field.as_deref().map(Box::<str>::from);
    // `fieldref` may be combined with one string position modifier.
    let fieldref = has(FieldRef);
    let positional: Vec<Modifier> = match_types
        .iter()
        .copied()
        .filter(|m| matches!(m, Contains | StartsWith | EndsWith))
        .collect();
    if fieldref {
        if match_types.len() - positional.len() > 1 || positional.len() > 1 {
            return Err(invalid("`fieldref` combined with another match modifier"));
        }
        let how = match positional.first() {
            None => RefHow::Eq,
            Some(Contains) => RefHow::Contains,
            Some(StartsWith) => RefHow::Starts,
            _ => RefHow::Ends,
        };
        let [SigmaValue::String(other)] = item.values.as_slice() else {
            return Err(invalid("`fieldref` needs exactly one field name"));
        };
        if field.is_none() {
            return Err(invalid("`fieldref` needs a field"));
        }
        return Ok(Item {
            field,
            kind: ItemKind::FieldRef {
                other: other.as_str().into(),
                how,
                cased: has(Cased),
            },
            req: None,
            pre: None,
        });
    }
    if match_types.len() > 1 {
        let names: Vec<&str> = match_types.iter().map(|m| m.name()).collect();
        return Err(invalid(format!(
            "conflicting modifiers {}",
            names.join("|")
        )));
    }
    let mt = match_types.first().copied();
    if (has(ReIgnoreCase) || has(ReMultiline) || has(ReDotAll)) && mt != Some(Re) {
        return Err(invalid("regex flags `i`, `m`, `s` need `re`"));
    }
    if mt == Some(Exists) {
        let [SigmaValue::Bool(b)] = item.values.as_slice() else {
            return Err(invalid("`exists` needs true or false"));
        };
        if field.is_none() {
            return Err(invalid("`exists` needs a field"));
        }
        return Ok(Item {
            field,
            kind: ItemKind::Exists(*b),
            req: None,
            pre: None,
        });
    }
    let cased = has(Cased);
    let mut matchers = Vec::new();
    for v in &item.values {
        compile_value(
            v,
            mt,
            mods,
            cased,
            item.field.is_none(),
            opts,
            &mut matchers,
        )?;
    }
    let all = has(All);
    let req = required_literals(&matchers, all);
    let mut ac = None;
    if !all {
        let subs: Vec<String> = matchers
            .iter()
            .filter_map(|m| match m {
                ValueMatcher::Str {
                    m: StrMatcher::Contains(s),
                    cased: false,
                } => Some(s.as_str().to_string()),
                _ => None,
            })
            .collect();
        if subs.len() >= SUBSTRING_AUTOMATON_MIN {
            let kind = if subs.len() <= 256 {
                AhoCorasickKind::DFA
            } else {
                AhoCorasickKind::ContiguousNFA
            };
            let automaton = AhoCorasick::builder()
                .kind(Some(kind))
                .build(&subs)
                .map_err(|e| invalid(e.to_string()))?;
            matchers.retain(|m| {
                !matches!(
                    m,
                    ValueMatcher::Str {
                        m: StrMatcher::Contains(_),
                        cased: false
                    }
                )
            });
            ac = Some(automaton);
        }
    }
    // Cheapest matchers first.
    matchers.sort_by_key(|m| match m {
        ValueMatcher::Null => 0,
        ValueMatcher::Str {
            m: StrMatcher::Exact(_),
            ..
        } => 1,
        ValueMatcher::Str {
            m: StrMatcher::Prefix(_) | StrMatcher::Suffix(_) | StrMatcher::PrefixSuffix(..),
            ..
        } => 2,
        ValueMatcher::Num(..) | ValueMatcher::Cidr(_) | ValueMatcher::Time(..) => 3,
        ValueMatcher::Str {
            m: StrMatcher::Contains(_),
            ..
        } => 4,
        ValueMatcher::Str { .. } => 5,
        ValueMatcher::Regex(_) => 6,
    });
    Ok(Item {
        field,
        kind: ItemKind::Values { all, matchers, ac },
        req,
        pre: None,
    })
}

/// The literal a matcher needs in the (lowercase) text, if any.
fn required_literal(m: &ValueMatcher) -> Option<String> {
    let ValueMatcher::Str { m, cased: false } = m else {
        return None;
    };
    let lit = match m {
        StrMatcher::Exact(s) | StrMatcher::Prefix(s) | StrMatcher::Suffix(s) => s.clone(),
        StrMatcher::Contains(sub) => sub.as_str().to_string(),
        StrMatcher::PrefixSuffix(a, b) => {
            if a.len() >= b.len() {
                a.clone()
            } else {
                b.clone()
            }
        }
        StrMatcher::Glob(toks) => {
            let mut best = String::new();
            let mut cur = String::new();
            for t in toks {
                match t {
                    GlobTok::Char(c) => cur.push(*c),
                    _ => {
                        if cur.len() > best.len() {
                            best = std::mem::take(&mut cur);
                        }
                        cur.clear();
                    }
                }
            }
            if cur.len() > best.len() {
                best = cur;
            }
            best
        }
    };
    (lit.len() >= 2).then_some(lit)
}

/// What an item needs before its matchers can match: any-of items need one
/// literal of every matcher (else no requirement), `all` items every literal.
fn required_literals(matchers: &[ValueMatcher], all: bool) -> Option<Required> {
    if matchers.is_empty() || matchers.iter().any(|m| matches!(m, ValueMatcher::Null)) {
        return None;
    }
    let lits: Vec<Option<String>> = matchers.iter().map(required_literal).collect();
    let every = lits.iter().all(Option::is_some);
    let exact = every
        && matchers.iter().all(|m| {
            matches!(
                m,
                ValueMatcher::Str {
                    m: StrMatcher::Contains(_),
                    cased: false
                }
            )
        });
    if !all && !every {
        return None;
    }
    let lits: Vec<String> = lits.into_iter().flatten().collect();
    (!lits.is_empty()).then_some(Required { all, exact, lits })
}

/// Builds the literal prefilter of a set of compiled detections and points
/// their items at it.
/// The prefilter's pseudo-field for keyword searches (every string of the event).
pub(crate) const KEYWORDS: &str = "\u{0}keywords";

/// A field's literals while building: name, literals, literal → id.
type FieldBuild = (Box<str>, Vec<String>, HashMap<String, u32>);
/// An item's place (search, map, item), slot, `all`, literal ids.
type ItemBuild = (usize, usize, usize, u32, bool, bool, Vec<u32>);

pub(crate) fn build_prefilter(dets: &mut [&mut CompiledDetection]) -> Arc<Prefilter> {
    let mut fields: Vec<FieldBuild> = Vec::new();
    let mut slot_of: HashMap<Box<str>, u32> = HashMap::new();
    // Pass 1: intern literals.
    let mut resolved: Vec<Vec<ItemBuild>> = Vec::new();
    for det in dets.iter() {
        let mut per = Vec::new();
        for (si, maps) in det.searches.iter().enumerate() {
            for (mi, items) in maps.iter().enumerate() {
                for (ii, item) in items.iter().enumerate() {
                    let Some(req) = &item.req else {
                        continue;
                    };
                    // Keywords search every string of the event: one pseudo-field.
                    let field: &str = item.field.as_deref().unwrap_or(KEYWORDS);
                    let slot = *slot_of.entry(field.into()).or_insert_with(|| {
                        fields.push((field.into(), Vec::new(), HashMap::new()));
                        (fields.len() - 1) as u32
                    });
                    let (_, lits, ids) = &mut fields[slot as usize];
                    let (all, exact, want) = (req.all, req.exact, &req.lits);
                    let idx = want
                        .iter()
                        .map(|l| {
                            *ids.entry(l.clone()).or_insert_with(|| {
                                lits.push(l.clone());
                                (lits.len() - 1) as u32
                            })
                        })
                        .collect();
                    per.push((si, mi, ii, slot, all, exact, idx));
                }
            }
        }
        resolved.push(per);
    }
    // Pass 2: automata (a field whose automaton does not build gets no prefilter).
    // Built in parallel (rule loading time).
    use rayon::prelude::*;
    let built: Vec<Option<FieldLits>> = fields
        .into_par_iter()
        .map(|(field, lits, _)| {
            let count = lits.len();
            // A DFA is the fastest to scan with; large literal sets use the
            // (much smaller) contiguous NFA.
            let kind = if count <= PREFILTER_DFA_MAX {
                AhoCorasickKind::DFA
            } else {
                AhoCorasickKind::ContiguousNFA
            };
            AhoCorasick::builder()
                .kind(Some(kind))
                .build(&lits)
                .ok()
                .map(|ac| FieldLits { field, ac, count })
        })
        .collect();
    let ok: Vec<bool> = built.iter().map(Option::is_some).collect();
    let pre = Prefilter::new(
        built
            .into_iter()
            .map(|f| {
                f.unwrap_or_else(|| FieldLits {
                    field: "".into(),
                    ac: AhoCorasick::new(Vec::<&str>::new()).expect("empty automaton"),
                    count: 0,
                })
            })
            .collect(),
    );
    for (det, per) in dets.iter_mut().zip(resolved) {
        for (si, mi, ii, slot, all, exact, lits) in per {
            det.searches[si][mi][ii].pre = ok[slot as usize].then(|| ItemPre {
                set: pre.id,
                slot,
                all,
                exact,
                lits: lits.into_boxed_slice(),
            });
        }
    }
    pre
}

fn compile_value(
    v: &SigmaValue,
    mt: Option<Modifier>,
    mods: &[Modifier],
    cased: bool,
    keyword: bool,
    opts: &CompileOptions,
    out: &mut Vec<ValueMatcher>,
) -> Result<(), RuleIssue> {
    use Modifier::*;
    if *v == SigmaValue::Null {
        if mt.is_some() || mods.iter().any(|m| m.is_transform()) {
            return Err(invalid("`null` with a modifier"));
        }
        out.push(ValueMatcher::Null);
        return Ok(());
    }
    let text = v.text().unwrap_or_default();
    match mt {
        Some(Lt | Lte | Gt | Gte) => {
            let n = crate::event::parse_number(&text)
                .ok_or_else(|| invalid(format!("{text:?} is not a number")))?;
            let op = match mt {
                Some(Lt) => CmpOp::Lt,
                Some(Lte) => CmpOp::Lte,
                Some(Gt) => CmpOp::Gt,
                _ => CmpOp::Gte,
            };
            out.push(ValueMatcher::Num(op, n));
        }
        Some(Minute | Hour | Day | Week | Month | Year) => {
            let n: i64 = text
                .trim()
                .parse()
                .map_err(|_| invalid(format!("{text:?} is not an integer")))?;
            let part = match mt {
                Some(Minute) => TimePart::Minute,
                Some(Hour) => TimePart::Hour,
                Some(Day) => TimePart::Day,
                Some(Week) => TimePart::Week,
                Some(Month) => TimePart::Month,
                _ => TimePart::Year,
            };
            out.push(ValueMatcher::Time(part, n));
        }
        Some(Cidr) => {
            let net = text
                .trim()
                .parse::<IpNet>()
                .or_else(|_| text.trim().parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| invalid(format!("{text:?} is not a CIDR network")))?;
            out.push(ValueMatcher::Cidr(net));
        }
        Some(Re) => {
            if mods.iter().any(|m| m.is_transform()) {
                return Err(invalid("`re` combined with a value transformation"));
            }
            let re = RegexBuilder::new(&pcre_ascii_classes(&text))
                .case_insensitive(mods.contains(&ReIgnoreCase))
                .multi_line(mods.contains(&ReMultiline))
                .dot_matches_new_line(mods.contains(&ReDotAll))
                .size_limit(opts.regex_size_limit)
                .build()
                .map_err(|e| {
                    let msg = match e {
                        regex::Error::Syntax(s) => s
                            .lines()
                            .rev()
                            .find_map(|l| l.strip_prefix("error: "))
                            .unwrap_or("syntax error")
                            .to_string(),
                        regex::Error::CompiledTooBig(n) => {
                            format!("compiled regex exceeds the size limit of {n} bytes")
                        }
                        other => other.to_string(),
                    };
                    RuleIssue::new(RuleErrorKind::Regex, format!("{text:?}: {msg}"))
                })?;
            out.push(ValueMatcher::Regex(re));
        }
        _ => {
            let pieces = if matches!(v, SigmaValue::String(_)) {
                parse_pattern(&text)
            } else {
                vec![Piece::Lit(text)]
            };
            for alt in apply_transforms(pieces, mods, &opts.transforms)? {
                let mut p = alt;
                let (pre, post) = match mt {
                    Some(Contains) => (true, true),
                    Some(StartsWith) => (false, true),
                    Some(EndsWith) => (true, false),
                    _ if keyword => (true, true),
                    _ => (false, false),
                };
                if pre {
                    p.insert(0, Piece::Star);
                }
                if post {
                    p.push(Piece::Star);
                }
                if !cased {
                    for piece in &mut p {
                        if let Piece::Lit(l) = piece {
                            *l = l.to_lowercase();
                        }
                    }
                }
                out.push(ValueMatcher::Str {
                    m: StrMatcher::new(&normalize(p)),
                    cased,
                });
            }
        }
    }
    Ok(())
}

/// Rewrites the Perl classes `\d`, `\w`, `\s` (and their negations outside
/// brackets) to their ASCII meaning, as in PCRE, which Sigma regexes follow.
/// This also keeps `\w{1,64}` small: the Unicode class repeated 64 times
/// exceeds the compiled-size limit.
pub fn pcre_ascii_classes(re: &str) -> String {
    let mut out = String::with_capacity(re.len() + 16);
    let mut chars = re.chars().peekable();
    let mut in_class = false;
    let mut class_start = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(n) = chars.next() else {
                    out.push('\\');
                    break;
                };
                let rep = match (n, in_class) {
                    ('d', false) => Some("[0-9]"),
                    ('w', false) => Some("[0-9A-Za-z_]"),
                    ('s', false) => Some("[\\t\\n\\x0B\\f\\r ]"),
                    ('D', false) => Some("[^0-9]"),
                    ('W', false) => Some("[^0-9A-Za-z_]"),
                    ('S', false) => Some("[^\\t\\n\\x0B\\f\\r ]"),
                    ('d', true) => Some("0-9"),
                    ('w', true) => Some("0-9A-Za-z_"),
                    ('s', true) => Some("\\t\\n\\x0B\\f\\r "),
                    _ => None,
                };
                match rep {
                    Some(r) => out.push_str(r),
                    None => {
                        out.push('\\');
                        out.push(n);
                    }
                }
                class_start = false;
            }
            '[' if !in_class => {
                in_class = true;
                class_start = true;
                out.push(c);
                if chars.peek() == Some(&'^') {
                    out.push('^');
                    chars.next();
                }
                continue;
            }
            ']' if in_class && !class_start => {
                in_class = false;
                out.push(c);
            }
            _ => {
                out.push(c);
                class_start = false;
            }
        }
    }
    out
}

fn scalar_matches(m: &ValueMatcher, v: &Value) -> bool {
    match m {
        ValueMatcher::Null => v.is_null(),
        ValueMatcher::Str { m, cased: false } => v.as_lower_text().is_some_and(|t| m.is_match(t)),
        ValueMatcher::Str { m, cased: true } => v.as_text().is_some_and(|t| m.is_match(&t)),
        ValueMatcher::Regex(re) => v.as_text().is_some_and(|t| re.is_match(&t)),
        ValueMatcher::Num(op, n) => v.as_f64().is_some_and(|x| op.holds(x, *n)),
        ValueMatcher::Cidr(net) => v.as_text().and_then(|t| parse_ip(&t)).is_some_and(|ip| {
            net.contains(&ip)
                || match ip {
                    IpAddr::V6(v6) => v6
                        .to_ipv4_mapped()
                        .is_some_and(|v4| net.contains(&IpAddr::V4(v4))),
                    IpAddr::V4(_) => false,
                }
        }),
        ValueMatcher::Time(part, n) => v.as_text().and_then(|t| parse_time(&t)).is_some_and(|t| {
            let x = match part {
                TimePart::Minute => t.minute() as i64,
                TimePart::Hour => t.hour() as i64,
                TimePart::Day => t.day() as i64,
                TimePart::Week => t.iso_week().week() as i64,
                TimePart::Month => t.month() as i64,
                TimePart::Year => t.year() as i64,
            };
            x == *n
        }),
    }
}

fn parse_ip(t: &str) -> Option<IpAddr> {
    let t = t.trim();
    t.parse::<IpAddr>()
        .ok()
        .or_else(|| t.trim_start_matches('[').trim_end_matches(']').parse().ok())
}

/// Parses the timestamps found in logs (RFC 3339, or `YYYY-MM-DD HH:MM:SS[.f]` as UTC).
pub fn parse_time(t: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let t = t.trim();
    if let Ok(d) = chrono::DateTime::parse_from_rfc3339(t) {
        return Some(d.to_utc());
    }
    for f in [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
    ] {
        if let Ok(n) = chrono::NaiveDateTime::parse_from_str(t, f) {
            return Some(n.and_utc());
        }
    }
    chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|n| n.and_utc())
}

fn values_match(
    all: bool,
    matchers: &[ValueMatcher],
    ac: Option<&AhoCorasick>,
    v: Option<&Value>,
) -> bool {
    let Some(v) = v else {
        // Missing field: only `null` matches.
        return if all {
            ac.is_none()
                && !matchers.is_empty()
                && matchers.iter().all(|m| matches!(m, ValueMatcher::Null))
        } else {
            matchers.iter().any(|m| matches!(m, ValueMatcher::Null))
        };
    };
    let deep = false;
    if all {
        matchers.iter().all(|m| {
            if matches!(m, ValueMatcher::Null) {
                return v.is_null();
            }
            v.any_scalar(deep, &mut |s| scalar_matches(m, s))
        })
    } else {
        if let Some(ac) = ac
            && v.any_scalar(deep, &mut |s| {
                s.as_lower_text().is_some_and(|t| ac.is_match(t))
            })
        {
            return true;
        }
        matchers.iter().any(|m| {
            if matches!(m, ValueMatcher::Null) {
                return v.is_null();
            }
            v.any_scalar(deep, &mut |s| scalar_matches(m, s))
        })
    }
}

fn item_matches(item: &Item, ev: &LogEvent) -> bool {
    if let Some(p) = &item.pre
        && let Some(pass) = ev.prefilter_check(p)
        && (!pass || p.exact)
    {
        return pass;
    }
    match &item.kind {
        ItemKind::Exists(want) => {
            ev.get(item.field.as_deref().unwrap_or_default()).is_some() == *want
        }
        ItemKind::FieldRef { other, how, cased } => {
            let (Some(a), Some(b)) = (
                ev.get(item.field.as_deref().unwrap_or_default()),
                ev.get(other),
            ) else {
                return false;
            };
            let (a, b) = if *cased {
                (
                    a.as_text().map(|c| c.into_owned()),
                    b.as_text().map(|c| c.into_owned()),
                )
            } else {
                (
                    a.as_lower_text().map(str::to_owned),
                    b.as_lower_text().map(str::to_owned),
                )
            };
            let (Some(a), Some(b)) = (a, b) else {
                return false;
            };
            match how {
                RefHow::Eq => a == b,
                RefHow::Contains => a.contains(&b),
                RefHow::Starts => a.starts_with(&b),
                RefHow::Ends => a.ends_with(&b),
            }
        }
        ItemKind::Values { all, matchers, ac } => match &item.field {
            Some(f) => values_match(*all, matchers, ac.as_ref(), ev.get(f)),
            None => {
                // Keywords: any string anywhere in the event.
                let root = ev.root();
                let one = |m: &ValueMatcher| root.any_scalar(true, &mut |s| scalar_matches(m, s));
                let ac_hit = || {
                    ac.as_ref().is_some_and(|ac| {
                        root.any_scalar(true, &mut |s| {
                            s.as_lower_text().is_some_and(|t| ac.is_match(t))
                        })
                    })
                };
                if *all {
                    matchers.iter().all(one)
                } else {
                    ac_hit() || matchers.iter().any(one)
                }
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sigma::rule::parse_rule;
    use serde_json::json;

    fn det(detection: &str) -> CompiledDetection {
        let text = format!("title: t\nlogsource: {{product: windows}}\ndetection:\n{detection}");
        let r = parse_rule(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        CompiledDetection::compile(&r.detection, &CompileOptions::default()).unwrap()
    }

    fn compile_err(detection: &str) -> RuleIssue {
        let text = format!("title: t\nlogsource: {{product: windows}}\ndetection:\n{detection}");
        match parse_rule(&text) {
            Err(e) => e,
            Ok(r) => {
                CompiledDetection::compile(&r.detection, &CompileOptions::default()).unwrap_err()
            }
        }
    }

    fn ev(v: serde_json::Value) -> LogEvent {
        LogEvent::from_json(&v)
    }

    #[test]
    fn equality_is_case_insensitive_with_wildcards() {
        let d = det("  sel:\n    Image: 'C:\\Windows\\\\*\\CMD.exe'\n  condition: sel\n");
        assert!(d.matches(&ev(json!({"Image": "c:\\windows\\system32\\cmd.EXE"}))));
        assert!(!d.matches(&ev(json!({"Image": "c:\\windows\\system32\\cmd.exe.bak"}))));
        assert!(!d.matches(&ev(json!({"Other": "x"}))));
        let d = det("  sel:\n    EventID: 4688\n  condition: sel\n");
        assert!(d.matches(&ev(json!({"EventID": 4688}))));
        assert!(d.matches(&ev(json!({"EventID": "4688"}))));
        assert!(!d.matches(&ev(json!({"EventID": 46880}))));
    }

    #[test]
    fn contains_startswith_endswith() {
        let d = det("  sel:\n    CommandLine|contains: 'DownloadString'\n  condition: sel\n");
        assert!(d.matches(&ev(
            json!({"CommandLine": "iex (new-object net.webclient).downloadstring('x')"})
        )));
        assert!(!d.matches(&ev(json!({"CommandLine": "download string"}))));
        let d = det("  sel:\n    Image|startswith: 'C:\\Users\\'\n  condition: sel\n");
        assert!(d.matches(&ev(json!({"Image": "c:\\users\\bob\\a.exe"}))));
        assert!(!d.matches(&ev(json!({"Image": "d:\\c:\\users\\"}))));
        let d = det(
            "  sel:\n    Image|endswith:\n      - '\\a.exe'\n      - '\\b.exe'\n  condition: sel\n",
        );
        assert!(d.matches(&ev(json!({"Image": "x\\B.exe"}))));
        assert!(!d.matches(&ev(json!({"Image": "x\\c.exe"}))));
    }

    #[test]
    fn many_substrings_use_one_automaton_and_still_match() {
        let d = det(
            "  sel:\n    CommandLine|contains: [aaa, bbb, ccc, ddd, 'e*e']\n  condition: sel\n",
        );
        assert!(d.matches(&ev(json!({"CommandLine": "xxCCCxx"}))));
        assert!(d.matches(&ev(json!({"CommandLine": "xxexxex"}))));
        assert!(!d.matches(&ev(json!({"CommandLine": "xxabxx"}))));
    }

    #[test]
    fn all_modifier() {
        let d = det("  sel:\n    CommandLine|contains|all: [' -a', ' -b']\n  condition: sel\n");
        assert!(d.matches(&ev(json!({"CommandLine": "x -b -a"}))));
        assert!(!d.matches(&ev(json!({"CommandLine": "x -a"}))));
    }

    #[test]
    fn regex_with_flags() {
        let d = det("  sel:\n    CommandLine|re: '^a.c$'\n  condition: sel\n");
        assert!(d.matches(&ev(json!({"CommandLine": "abc"}))));
        assert!(
            !d.matches(&ev(json!({"CommandLine": "ABC"}))),
            "re is case-sensitive by default"
        );
        let d = det("  sel:\n    CommandLine|re|i: '^a.c$'\n  condition: sel\n");
        assert!(d.matches(&ev(json!({"CommandLine": "ABC"}))));
        let d = det("  sel:\n    CommandLine|re|m: '^b$'\n  condition: sel\n");
        assert!(d.matches(&ev(json!({"CommandLine": "a\nb\nc"}))));
        let d = det("  sel:\n    CommandLine|re|s: 'a.b'\n  condition: sel\n");
        assert!(d.matches(&ev(json!({"CommandLine": "a\nb"}))));
        let d = det("  sel:\n    CommandLine|re: 'a.b'\n  condition: sel\n");
        assert!(!d.matches(&ev(json!({"CommandLine": "a\nb"}))));
        assert_eq!(
            compile_err("  sel:\n    x|re: '(?<=a)b'\n  condition: sel\n").kind,
            RuleErrorKind::Regex
        );
        assert_eq!(
            compile_err("  sel:\n    x|i: 'a'\n  condition: sel\n").kind,
            RuleErrorKind::InvalidValue
        );
    }

    #[test]
    fn regex_classes_are_ascii_like_pcre() {
        assert_eq!(
            pcre_ascii_classes(r"\d+\w\s"),
            r"[0-9]+[0-9A-Za-z_][\t\n\x0B\f\r ]"
        );
        assert_eq!(pcre_ascii_classes(r"[\w.-]\\w"), r"[0-9A-Za-z_.-]\\w");
        assert_eq!(pcre_ascii_classes(r"[]\d]"), r"[]0-9]");
        assert_eq!(pcre_ascii_classes(r"[^\W]x\"), r"[^\W]x\");
        // The SigmaHQ svchost rule: the Unicode version is too big to compile.
        let d = det(
            "  sel:\n    CommandLine|re: '-k\\s\\w{1,64}(?:\\s?(?:-p|-s))?'\n  condition: sel\n",
        );
        assert!(d.matches(&ev(json!({"CommandLine": "svchost.exe -k netsvcs -p"}))));
        assert!(!d.matches(&ev(json!({"CommandLine": "svchost.exe -k \u{e9}"}))));
    }

    #[test]
    fn base64_modifiers() {
        use base64::Engine;
        let enc = base64::engine::general_purpose::STANDARD.encode("powershell -nop -w hidden");
        let d = det("  sel:\n    CommandLine|base64offset|contains: '-nop'\n  condition: sel\n");
        assert!(d.matches(&ev(json!({"CommandLine": format!("cmd /c {enc}")}))));
        let d = det(
            "  sel:\n    CommandLine|base64|contains: 'powershell -nop -w hidden'\n  condition: sel\n",
        );
        assert!(d.matches(&ev(json!({"CommandLine": format!("x {enc}")}))));
        let wide = base64::engine::general_purpose::STANDARD.encode(
            "IEX (New"
                .encode_utf16()
                .flat_map(|u| u.to_le_bytes())
                .collect::<Vec<u8>>(),
        );
        let d = det(
            "  sel:\n    ScriptBlockText|wide|base64offset|contains: 'IEX'\n  condition: sel\n",
        );
        assert!(d.matches(&ev(json!({"ScriptBlockText": format!("-enc {wide}")}))));
        let d = det("  sel:\n    CommandLine|utf16le|base64|contains: 'IEX'\n  condition: sel\n");
        assert!(d.matches(&ev(json!({"CommandLine": format!("-enc {}", &wide[..8])}))));
        let d = det("  sel:\n    CommandLine|utf16be|base64: 'a'\n  condition: sel\n");
        assert!(d.matches(&ev(json!({"CommandLine": "AGE="}))));
    }

    #[test]
    fn windash_modifier() {
        let d =
            det("  sel:\n    CommandLine|windash|contains: ' -exec bypass'\n  condition: sel\n");
        for cl in [
            "p.exe -exec bypass",
            "p.exe /exec bypass",
            "p.exe \u{2013}exec bypass",
            "p.exe \u{2014}exec bypass",
            "p.exe \u{2015}exec bypass",
        ] {
            assert!(d.matches(&ev(json!({ "CommandLine": cl }))), "{cl}");
        }
        assert!(!d.matches(&ev(json!({"CommandLine": "p.exe +exec bypass"}))));
    }

    #[test]
    fn cidr_modifier() {
        let d = det(
            "  sel:\n    DestinationIp|cidr: ['10.0.0.0/8', 'fe80::/10', '192.168.1.1']\n  condition: sel\n",
        );
        assert!(d.matches(&ev(json!({"DestinationIp": "10.2.3.4"}))));
        assert!(d.matches(&ev(json!({"DestinationIp": "::ffff:10.2.3.4"}))));
        assert!(d.matches(&ev(json!({"DestinationIp": "fe80::1"}))));
        assert!(d.matches(&ev(json!({"DestinationIp": "192.168.1.1"}))));
        assert!(!d.matches(&ev(json!({"DestinationIp": "11.0.0.1"}))));
        assert!(!d.matches(&ev(json!({"DestinationIp": "not an ip"}))));
        assert_eq!(
            compile_err("  sel:\n    x|cidr: '10.0.0.0/99'\n  condition: sel\n").kind,
            RuleErrorKind::InvalidValue
        );
    }

    #[test]
    fn numeric_comparisons() {
        let d = det("  sel:\n    Size|gte: 100\n    Size|lt: 200\n  condition: sel\n");
        assert!(d.matches(&ev(json!({"Size": 100}))));
        assert!(d.matches(&ev(json!({"Size": "150"}))));
        assert!(!d.matches(&ev(json!({"Size": 200}))));
        assert!(!d.matches(&ev(json!({"Size": "x"}))));
        let d = det("  sel:\n    a|gt: 1\n    b|lte: '0x10'\n  condition: sel\n");
        assert!(d.matches(&ev(json!({"a": 2, "b": "0x0f"}))));
        assert!(!d.matches(&ev(json!({"a": 1, "b": 0}))));
    }

    #[test]
    fn exists_and_null() {
        let d = det("  sel:\n    User|exists: true\n  condition: sel\n");
        assert!(d.matches(&ev(json!({"User": ""}))));
        assert!(!d.matches(&ev(json!({"Other": 1}))));
        let d = det("  sel:\n    User|exists: false\n  condition: sel\n");
        assert!(d.matches(&ev(json!({"Other": 1}))));
        let d = det("  sel:\n    User: null\n  condition: sel\n");
        assert!(d.matches(&ev(json!({"Other": 1}))));
        assert!(d.matches(&ev(json!({"User": null}))));
        assert!(!d.matches(&ev(json!({"User": "x"}))));
        let d = det("  sel:\n    User: ''\n  condition: sel\n");
        assert!(d.matches(&ev(json!({"User": ""}))));
        assert!(!d.matches(&ev(json!({"Other": 1}))));
    }

    #[test]
    fn fieldref_modifier() {
        let d = det("  sel:\n    SourceUser|fieldref: TargetUser\n  condition: sel\n");
        assert!(d.matches(&ev(json!({"SourceUser": "Bob", "TargetUser": "bob"}))));
        assert!(!d.matches(&ev(json!({"SourceUser": "Bob", "TargetUser": "alice"}))));
        assert!(!d.matches(&ev(json!({"SourceUser": "Bob"}))));
        let d = det("  sel:\n    CommandLine|fieldref|contains: User\n  condition: sel\n");
        assert!(d.matches(&ev(json!({"CommandLine": "run as BOB now", "User": "bob"}))));
        let d = det("  sel:\n    a|fieldref|endswith: b\n  condition: sel\n");
        assert!(d.matches(&ev(json!({"a": "xyz", "b": "yz"}))));
        let d = det("  sel:\n    a|fieldref|startswith|cased: b\n  condition: sel\n");
        assert!(d.matches(&ev(json!({"a": "Xyz", "b": "Xy"}))));
        assert!(!d.matches(&ev(json!({"a": "xyz", "b": "Xy"}))));
    }

    #[test]
    fn cased_modifier() {
        let d = det("  sel:\n    a|cased: 'AbC'\n  condition: sel\n");
        assert!(d.matches(&ev(json!({"a": "AbC"}))));
        assert!(!d.matches(&ev(json!({"a": "abc"}))));
        let d = det("  sel:\n    a|contains|cased: 'B'\n  condition: sel\n");
        assert!(d.matches(&ev(json!({"a": "aBc"}))));
        assert!(!d.matches(&ev(json!({"a": "abc"}))));
    }

    #[test]
    fn expand_is_reported_without_map() {
        assert_eq!(
            compile_err("  sel:\n    User|expand: '%Admins%'\n  condition: sel\n").kind,
            RuleErrorKind::Unsupported
        );
    }

    #[test]
    fn time_parts() {
        let d =
            det("  sel:\n    TimeCreated|hour: 3\n    TimeCreated|month: 12\n  condition: sel\n");
        assert!(d.matches(&ev(json!({"TimeCreated": "2024-12-01T03:15:00Z"}))));
        assert!(!d.matches(&ev(json!({"TimeCreated": "2024-12-01T04:15:00Z"}))));
        let d = det(
            "  sel:\n    t|year: 2024\n    t|day: 25\n    t|minute: 15\n    t|week: 48\n  condition: sel\n",
        );
        assert!(d.matches(&ev(json!({"t": "2024-11-25 03:15:00.123"}))));
        assert!(!d.matches(&ev(json!({"t": "2024-11-26 03:15:00.123"}))));
        assert!(!d.matches(&ev(json!({"t": "not a time"}))));
    }

    #[test]
    fn keywords_and_keyless_all() {
        let d = det("  keywords:\n    - 'mimikatz'\n    - 'sekurlsa::'\n  condition: keywords\n");
        assert!(d.matches(&ev(json!({"a": {"b": "run Mimikatz.exe"}}))));
        assert!(d.matches(&ev(json!({"list": ["x", "sekurlsa::logonpasswords"]}))));
        assert!(!d.matches(&ev(json!({"a": "mimi"}))));
        let d = det("  sel:\n    '|all': ['foo', 'bar']\n  condition: sel\n");
        assert!(d.matches(&ev(json!({"a": "FOO", "b": "xbarx"}))));
        assert!(!d.matches(&ev(json!({"a": "foo"}))));
    }

    #[test]
    fn lists_of_maps_and_arrays() {
        let d = det("  sel:\n    - a: 1\n      b: 2\n    - c: 3\n  condition: sel\n");
        assert!(d.matches(&ev(json!({"a": 1, "b": 2}))));
        assert!(d.matches(&ev(json!({"c": 3}))));
        assert!(!d.matches(&ev(json!({"a": 1, "b": 3}))));
        let d = det("  sel:\n    tags: 'x'\n  condition: sel\n");
        assert!(d.matches(&ev(json!({"tags": ["y", "X"]}))));
    }

    #[test]
    fn conditions_evaluate() {
        let d = det(
            "  sel_a:\n    a: 1\n  sel_b:\n    b: 1\n  filter_x:\n    x: 1\n  condition: (1 of sel_*) and not filter_x\n",
        );
        assert!(d.matches(&ev(json!({"b": 1}))));
        assert!(!d.matches(&ev(json!({"b": 1, "x": 1}))));
        assert!(!d.matches(&ev(json!({"c": 1}))));
        let d = det("  sel_a:\n    a: 1\n  sel_b:\n    b: 1\n  condition: all of sel_*\n");
        assert!(d.matches(&ev(json!({"a": 1, "b": 1}))));
        assert!(!d.matches(&ev(json!({"a": 1}))));
        let d = det("  a:\n    a: 1\n  b:\n    b: 1\n  _c:\n    c: 1\n  condition: all of them\n");
        assert!(d.matches(&ev(json!({"a": 1, "b": 1}))));
        let d = det("  a:\n    a: 1\n  b:\n    b: 1\n  condition: 1 of them\n");
        assert!(d.matches(&ev(json!({"b": 1}))));
        let d = det("  a:\n    a: 1\n  b:\n    b: 1\n  c:\n    c: 1\n  condition: 2 of them\n");
        assert!(d.matches(&ev(json!({"b": 1, "c": 1}))));
        assert!(!d.matches(&ev(json!({"b": 1}))));
        let d = det("  a:\n    a: 1\n  b:\n    b: 1\n  condition:\n    - a\n    - b\n");
        assert!(d.matches(&ev(json!({"b": 1}))));
    }

    #[test]
    fn conflicting_modifiers_rejected() {
        assert_eq!(
            compile_err("  sel:\n    a|contains|startswith: x\n  condition: sel\n").kind,
            RuleErrorKind::InvalidValue
        );
        assert_eq!(
            compile_err("  sel:\n    a|exists: yes please\n  condition: sel\n").kind,
            RuleErrorKind::InvalidValue
        );
        assert_eq!(
            compile_err("  sel:\n    a|gt: abc\n  condition: sel\n").kind,
            RuleErrorKind::InvalidValue
        );
    }
}
