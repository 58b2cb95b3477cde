//! Sigma rule documents parsed into validated types.
//!
//! A file may hold several YAML documents (`---`): detection rules,
//! correlation rules ([`CorrelationRule`]) and filters ([`FilterRule`]).
//! Parsing checks the shape (required keys, types, known modifiers, a
//! condition that parses and names existing searches); compiling into a
//! matcher is [`crate::sigma::compile`].

use std::collections::BTreeMap;
use std::time::Duration;

use mcpsec_core::domain::Severity;
use yaml_rust2::{Yaml, YamlLoader};

use super::condition::{Condition, parse_condition};
use super::modifier::Modifier;
use crate::error::{RuleErrorKind, RuleIssue};

/// A scalar value of a detection item as written in the rule.
#[derive(Debug, Clone, PartialEq)]
pub enum SigmaValue {
    /// A string, with Sigma wildcards and escapes still in it.
    String(String),
    Int(i64),
    /// A float as written.
    Float(String),
    Bool(bool),
    /// `null`: the field is absent or null.
    Null,
}

impl SigmaValue {
    /// The value as text (what string matching compares against).
    pub fn text(&self) -> Option<String> {
        match self {
            SigmaValue::String(s) => Some(s.clone()),
            SigmaValue::Int(i) => Some(i.to_string()),
            SigmaValue::Float(f) => Some(f.clone()),
            SigmaValue::Bool(b) => Some(b.to_string()),
            SigmaValue::Null => None,
        }
    }
}

/// `field|mod1|mod2: values` — one item of a selection map.
#[derive(Debug, Clone, PartialEq)]
pub struct DetectionItem {
    /// `None` for keyless items (`'|all': [...]`) which search every field.
    pub field: Option<String>,
    pub modifiers: Vec<Modifier>,
    pub values: Vec<SigmaValue>,
}

/// A named search of `detection`.
#[derive(Debug, Clone, PartialEq)]
pub enum Search {
    /// A list of maps: OR over maps, each map an AND over its items. A plain
    /// map is a list of one.
    Maps(Vec<Vec<DetectionItem>>),
    /// A list of plain values: keywords searched in every field (OR).
    Keywords(Vec<SigmaValue>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Detection {
    /// Searches in rule order.
    pub searches: Vec<(String, Search)>,
    /// The condition(s); several are OR-ed.
    pub condition: Condition,
    pub timeframe: Option<Duration>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogSource {
    pub product: Option<String>,
    pub service: Option<String>,
    pub category: Option<String>,
}

/// Rule level; `informational` is [`Severity::Info`].
pub type Level = Severity;

pub fn parse_level(s: &str) -> Option<Level> {
    Some(match s.trim().to_ascii_lowercase().as_str() {
        "informational" | "info" => Severity::Info,
        "low" => Severity::Low,
        "medium" => Severity::Medium,
        "high" => Severity::High,
        "critical" => Severity::Critical,
        _ => return None,
    })
}

/// Level name as Sigma writes it.
pub fn level_name(l: Level) -> &'static str {
    match l {
        Severity::Info => "informational",
        other => other.as_str(),
    }
}

/// Descriptive fields shared by every rule kind.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RuleMeta {
    pub title: String,
    pub id: Option<String>,
    /// `name:`, how correlation rules may refer to a rule.
    pub name: Option<String>,
    pub status: Option<String>,
    pub level: Option<Level>,
    pub description: Option<String>,
    pub author: Option<String>,
    pub date: Option<String>,
    pub tags: Vec<String>,
    pub references: Vec<String>,
    pub falsepositives: Vec<String>,
    pub fields: Vec<String>,
}

/// A detection rule.
#[derive(Debug, Clone, PartialEq)]
pub struct SigmaRule {
    pub meta: RuleMeta,
    pub logsource: LogSource,
    pub detection: Detection,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CorrelationType {
    EventCount,
    ValueCount,
    Temporal,
    TemporalOrdered,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Gt,
    Gte,
    Lt,
    Lte,
    Eq,
    Neq,
}

impl CmpOp {
    pub fn holds(self, a: f64, b: f64) -> bool {
        match self {
            CmpOp::Gt => a > b,
            CmpOp::Gte => a >= b,
            CmpOp::Lt => a < b,
            CmpOp::Lte => a <= b,
            CmpOp::Eq => a == b,
            CmpOp::Neq => a != b,
        }
    }
}

/// A correlation rule (Sigma correlation specification).
#[derive(Debug, Clone, PartialEq)]
pub struct CorrelationRule {
    pub meta: RuleMeta,
    pub kind: CorrelationType,
    /// Ids or names of the rules (or correlations) it correlates.
    pub rules: Vec<String>,
    pub group_by: Vec<String>,
    pub timespan: Duration,
    /// Count conditions, all of which must hold (empty for temporal: all rules seen).
    pub condition: Vec<(CmpOp, f64)>,
    /// `value_count`: the field whose distinct values are counted.
    pub field: Option<String>,
    /// Whether the correlated rules also report their own matches.
    pub generate: bool,
    /// Field name aliases: alias (used in `group-by`) → rule name → the
    /// field of that rule's events.
    pub aliases: BTreeMap<String, BTreeMap<String, String>>,
}

impl CorrelationRule {
    /// The event field behind a `group-by` name for events of a rule known
    /// by any of `names` (its reference in `rules:`, its `id`, its `name`).
    pub fn group_field<'a>(&'a self, group_by: &'a str, names: &[&str]) -> &'a str {
        self.aliases
            .get(group_by)
            .and_then(|m| names.iter().find_map(|n| m.get(*n)))
            .map(String::as_str)
            .unwrap_or(group_by)
    }
}

/// A meta filter: excludes events matching its detection from the named rules.
#[derive(Debug, Clone, PartialEq)]
pub struct FilterRule {
    pub meta: RuleMeta,
    pub logsource: LogSource,
    pub rules: Vec<String>,
    pub detection: Detection,
}

/// One YAML document of a rule file.
#[derive(Debug, Clone, PartialEq)]
pub enum RuleDocument {
    Detection(SigmaRule),
    Correlation(CorrelationRule),
    Filter(FilterRule),
}

/// Parses every document of a rule file.
pub fn parse_documents(text: &str) -> Result<Vec<RuleDocument>, RuleIssue> {
    let docs = YamlLoader::load_from_str(text)
        .map_err(|e| RuleIssue::new(RuleErrorKind::Yaml, e.to_string()))?;
    if docs.is_empty() {
        return Err(RuleIssue::new(RuleErrorKind::Schema, "empty document"));
    }
    docs.iter()
        .filter(|d| !matches!(d, Yaml::Null))
        .map(parse_document)
        .collect()
}

/// Parses one detection rule (single document).
pub fn parse_rule(text: &str) -> Result<SigmaRule, RuleIssue> {
    match parse_documents(text)?.into_iter().next() {
        Some(RuleDocument::Detection(r)) => Ok(r),
        _ => Err(RuleIssue::new(
            RuleErrorKind::Schema,
            "not a detection rule",
        )),
    }
}

fn schema(msg: impl Into<String>) -> RuleIssue {
    RuleIssue::new(RuleErrorKind::Schema, msg)
}

fn get<'a>(y: &'a Yaml, key: &str) -> Option<&'a Yaml> {
    match y {
        Yaml::Hash(h) => h
            .get(&Yaml::String(key.to_string()))
            .filter(|v| !matches!(v, Yaml::Null)),
        _ => None,
    }
}

fn scalar_text(y: &Yaml) -> Option<String> {
    match y {
        Yaml::String(s) | Yaml::Real(s) => Some(s.clone()),
        Yaml::Integer(i) => Some(i.to_string()),
        Yaml::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

fn opt_string(y: &Yaml, key: &str) -> Result<Option<String>, RuleIssue> {
    match get(y, key) {
        None => Ok(None),
        Some(v) => scalar_text(v)
            .map(Some)
            .ok_or_else(|| schema(format!("`{key}` must be a string"))),
    }
}

fn string_list(y: &Yaml, key: &str) -> Result<Vec<String>, RuleIssue> {
    match get(y, key) {
        None => Ok(Vec::new()),
        Some(Yaml::Array(a)) => a
            .iter()
            .filter(|v| !matches!(v, Yaml::Null))
            .map(|v| {
                scalar_text(v).ok_or_else(|| schema(format!("`{key}` must be a list of strings")))
            })
            .collect(),
        Some(v) => scalar_text(v)
            .map(|s| vec![s])
            .ok_or_else(|| schema(format!("`{key}` must be a list"))),
    }
}

fn parse_meta(y: &Yaml) -> Result<RuleMeta, RuleIssue> {
    let title = opt_string(y, "title")?.ok_or_else(|| schema("missing `title`"))?;
    let level = match opt_string(y, "level")? {
        None => None,
        Some(l) => Some(parse_level(&l).ok_or_else(|| schema(format!("unknown level {l:?}")))?),
    };
    Ok(RuleMeta {
        title,
        id: opt_string(y, "id")?,
        name: opt_string(y, "name")?,
        status: opt_string(y, "status")?,
        level,
        description: opt_string(y, "description")?,
        author: opt_string(y, "author")?,
        date: opt_string(y, "date")?,
        tags: string_list(y, "tags")?,
        references: string_list(y, "references")?,
        falsepositives: string_list(y, "falsepositives")?,
        fields: string_list(y, "fields")?,
    })
}

fn parse_logsource(y: &Yaml) -> Result<LogSource, RuleIssue> {
    let ls = get(y, "logsource").ok_or_else(|| schema("missing `logsource`"))?;
    if !matches!(ls, Yaml::Hash(_)) {
        return Err(schema("`logsource` must be a map"));
    }
    let norm = |k: &str| -> Result<Option<String>, RuleIssue> {
        Ok(opt_string(ls, k)?.map(|s| s.to_ascii_lowercase()))
    };
    Ok(LogSource {
        product: norm("product")?,
        service: norm("service")?,
        category: norm("category")?,
    })
}

fn parse_document(y: &Yaml) -> Result<RuleDocument, RuleIssue> {
    if !matches!(y, Yaml::Hash(_)) {
        return Err(schema("a rule must be a YAML map"));
    }
    if let Some(a) = opt_string(y, "action")? {
        return Err(RuleIssue::new(
            RuleErrorKind::Unsupported,
            format!("legacy multi-document `action: {a}` rule collections are not supported"),
        ));
    }
    if get(y, "correlation").is_some() {
        return parse_correlation(y).map(RuleDocument::Correlation);
    }
    if let Some(f) = get(y, "filter") {
        let meta = parse_meta(y)?;
        let logsource = parse_logsource(y)?;
        let rules = string_list(f, "rules")?;
        let detection = parse_detection(f)?;
        return Ok(RuleDocument::Filter(FilterRule {
            meta,
            logsource,
            rules,
            detection,
        }));
    }
    let meta = parse_meta(y)?;
    let logsource = parse_logsource(y)?;
    let det = get(y, "detection").ok_or_else(|| schema("missing `detection`"))?;
    let detection = parse_detection(det)?;
    Ok(RuleDocument::Detection(SigmaRule {
        meta,
        logsource,
        detection,
    }))
}

/// Parses a Sigma duration (`30s`, `5m`, `1h`, `2d`, `1w`; months/years unsupported).
pub fn parse_timespan(s: &str) -> Option<Duration> {
    let s = s.trim();
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit())?);
    let n: u64 = num.parse().ok()?;
    let secs = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 604_800,
        _ => return None,
    };
    Some(Duration::from_secs(n.checked_mul(secs)?))
}

fn parse_detection(det: &Yaml) -> Result<Detection, RuleIssue> {
    let Yaml::Hash(h) = det else {
        return Err(schema("`detection` must be a map"));
    };
    let mut searches = Vec::new();
    let mut conditions: Vec<String> = Vec::new();
    let mut timeframe = None;
    for (k, v) in h {
        let key = scalar_text(k).ok_or_else(|| schema("detection keys must be strings"))?;
        match key.as_str() {
            "condition" => match v {
                Yaml::Array(a) => {
                    for c in a {
                        conditions.push(
                            scalar_text(c).ok_or_else(|| schema("condition must be a string"))?,
                        );
                    }
                }
                other => conditions
                    .push(scalar_text(other).ok_or_else(|| schema("condition must be a string"))?),
            },
            "timeframe" => {
                let t = scalar_text(v).ok_or_else(|| schema("timeframe must be a string"))?;
                timeframe = Some(
                    parse_timespan(&t).ok_or_else(|| schema(format!("invalid timeframe {t:?}")))?,
                );
            }
            _ => searches.push((key.clone(), parse_search(&key, v)?)),
        }
    }
    if conditions.is_empty() {
        return Err(schema("missing `detection.condition`"));
    }
    let mut parsed = Vec::with_capacity(conditions.len());
    for c in &conditions {
        if c.contains('|') {
            return Err(RuleIssue::new(
                RuleErrorKind::Unsupported,
                format!("aggregation in condition ({c:?}); use a correlation rule"),
            ));
        }
        let cond = parse_condition(c)
            .map_err(|e| RuleIssue::new(RuleErrorKind::Condition, format!("{c:?}: {e}")))?;
        parsed.push(cond);
    }
    let condition = if parsed.len() == 1 {
        parsed.pop().expect("one")
    } else {
        Condition::Or(parsed)
    };
    let names: Vec<&str> = searches.iter().map(|(n, _)| n.as_str()).collect();
    condition
        .check_identifiers(&names)
        .map_err(|e| RuleIssue::new(RuleErrorKind::Condition, e))?;
    Ok(Detection {
        searches,
        condition,
        timeframe,
    })
}

fn parse_value(y: &Yaml) -> Result<SigmaValue, RuleIssue> {
    Ok(match y {
        Yaml::String(s) => SigmaValue::String(s.clone()),
        Yaml::Integer(i) => SigmaValue::Int(*i),
        Yaml::Real(r) => SigmaValue::Float(r.clone()),
        Yaml::Boolean(b) => SigmaValue::Bool(*b),
        Yaml::Null => SigmaValue::Null,
        _ => {
            return Err(schema(
                "a detection value must be a scalar or a list of scalars",
            ));
        }
    })
}

fn parse_values(y: &Yaml) -> Result<Vec<SigmaValue>, RuleIssue> {
    match y {
        Yaml::Array(a) => {
            if a.is_empty() {
                return Err(schema("empty value list"));
            }
            a.iter().map(parse_value).collect()
        }
        other => Ok(vec![parse_value(other)?]),
    }
}

fn parse_map(h: &yaml_rust2::yaml::Hash) -> Result<Vec<DetectionItem>, RuleIssue> {
    let mut items = Vec::with_capacity(h.len());
    for (k, v) in h {
        let key = scalar_text(k).ok_or_else(|| schema("field names must be strings"))?;
        let mut parts = key.split('|');
        let field = parts.next().unwrap_or_default();
        let field = if field.is_empty() {
            None
        } else {
            Some(field.to_string())
        };
        let modifiers = parts
            .map(|m| {
                Modifier::parse(m).ok_or_else(|| {
                    RuleIssue::new(
                        RuleErrorKind::UnknownModifier,
                        format!("unknown modifier {m:?} in {key:?}"),
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        items.push(DetectionItem {
            field,
            modifiers,
            values: parse_values(v)?,
        });
    }
    Ok(items)
}

fn parse_search(name: &str, y: &Yaml) -> Result<Search, RuleIssue> {
    match y {
        Yaml::Hash(h) => Ok(Search::Maps(vec![parse_map(h)?])),
        Yaml::Array(a) if a.iter().all(|i| matches!(i, Yaml::Hash(_))) && !a.is_empty() => {
            let maps = a
                .iter()
                .map(|i| match i {
                    Yaml::Hash(h) => parse_map(h),
                    _ => unreachable!("checked"),
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Search::Maps(maps))
        }
        Yaml::Array(a) if !a.is_empty() => {
            if a.iter()
                .any(|i| matches!(i, Yaml::Hash(_) | Yaml::Array(_)))
            {
                return Err(schema(format!(
                    "search {name:?} mixes maps and plain values"
                )));
            }
            Ok(Search::Keywords(
                a.iter().map(parse_value).collect::<Result<_, _>>()?,
            ))
        }
        Yaml::String(_) | Yaml::Integer(_) | Yaml::Real(_) => {
            Ok(Search::Keywords(vec![parse_value(y)?]))
        }
        _ => Err(schema(format!(
            "search {name:?} must be a map, a list of maps or a list of keywords"
        ))),
    }
}

fn parse_correlation(y: &Yaml) -> Result<CorrelationRule, RuleIssue> {
    let meta = parse_meta(y)?;
    let c = get(y, "correlation").expect("checked");
    let kind = match opt_string(c, "type")?.as_deref() {
        Some("event_count") => CorrelationType::EventCount,
        Some("value_count") => CorrelationType::ValueCount,
        Some("temporal") => CorrelationType::Temporal,
        Some("temporal_ordered") => CorrelationType::TemporalOrdered,
        Some(other) => {
            return Err(RuleIssue::new(
                RuleErrorKind::Unsupported,
                format!("correlation type {other:?}"),
            ));
        }
        None => return Err(schema("missing `correlation.type`")),
    };
    let rules = string_list(c, "rules")?;
    if rules.is_empty() {
        return Err(schema("missing `correlation.rules`"));
    }
    let group_by = string_list(c, "group-by")?;
    let ts = opt_string(c, "timespan")?
        .or(opt_string(c, "timeframe")?)
        .ok_or_else(|| schema("missing `correlation.timespan`"))?;
    let timespan = parse_timespan(&ts).ok_or_else(|| schema(format!("invalid timespan {ts:?}")))?;
    let generate = matches!(get(c, "generate"), Some(Yaml::Boolean(true)));
    let mut condition = Vec::new();
    let mut field = None;
    match get(c, "condition") {
        None => {}
        Some(Yaml::Hash(h)) => {
            for (k, v) in h {
                let key = scalar_text(k).unwrap_or_default();
                let op = match key.as_str() {
                    "gt" => CmpOp::Gt,
                    "gte" => CmpOp::Gte,
                    "lt" => CmpOp::Lt,
                    "lte" => CmpOp::Lte,
                    "eq" => CmpOp::Eq,
                    "neq" => CmpOp::Neq,
                    "field" => {
                        field = Some(
                            scalar_text(v)
                                .ok_or_else(|| schema("condition.field must be a string"))?,
                        );
                        continue;
                    }
                    other => {
                        return Err(schema(format!(
                            "unknown correlation condition operator {other:?}"
                        )));
                    }
                };
                let n = scalar_text(v)
                    .and_then(|t| t.parse::<f64>().ok())
                    .ok_or_else(|| schema(format!("correlation condition {key} needs a number")))?;
                condition.push((op, n));
            }
        }
        Some(Yaml::String(s))
            if matches!(
                kind,
                CorrelationType::Temporal | CorrelationType::TemporalOrdered
            ) =>
        {
            return Err(RuleIssue::new(
                RuleErrorKind::Unsupported,
                format!("temporal condition expression {s:?}"),
            ));
        }
        Some(_) => return Err(schema("correlation condition must be a map")),
    }
    match kind {
        CorrelationType::EventCount | CorrelationType::ValueCount if condition.is_empty() => {
            return Err(schema(
                "event_count/value_count correlations need a condition",
            ));
        }
        CorrelationType::ValueCount if field.is_none() => {
            return Err(schema("value_count correlations need condition.field"));
        }
        _ => {}
    }
    let mut aliases = BTreeMap::new();
    match get(c, "aliases") {
        None | Some(Yaml::Null) => {}
        Some(Yaml::Hash(h)) => {
            for (alias, m) in h {
                let alias =
                    scalar_text(alias).ok_or_else(|| schema("alias names must be strings"))?;
                let Yaml::Hash(m) = m else {
                    return Err(schema(format!(
                        "alias {alias:?} must map rule names to fields"
                    )));
                };
                let mut per = BTreeMap::new();
                for (rule, f) in m {
                    let (Some(rule), Some(f)) = (scalar_text(rule), scalar_text(f)) else {
                        return Err(schema(format!(
                            "alias {alias:?} must map rule names to field names"
                        )));
                    };
                    per.insert(rule, f);
                }
                aliases.insert(alias, per);
            }
        }
        Some(_) => return Err(schema("correlation.aliases must be a map")),
    }
    Ok(CorrelationRule {
        meta,
        kind,
        rules,
        group_by,
        timespan,
        condition,
        field,
        generate,
        aliases,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_full_rule() {
        let r = parse_rule(
            r#"
title: Whoami
id: 11111111-2222-3333-4444-555555555555
status: test
level: high
tags: [attack.discovery, attack.t1033]
logsource: {product: windows, category: process_creation}
detection:
    selection:
        Image|endswith: '\whoami.exe'
        CommandLine|contains|all: ['/all', '/priv']
    filter:
        - User: SYSTEM
        - User: null
    keywords: ['evil', 42]
    condition: selection and not filter or keywords
falsepositives: [Admins]
fields: [CommandLine]
"#,
        )
        .unwrap();
        assert_eq!(r.meta.level, Some(Severity::High));
        assert_eq!(r.meta.tags.len(), 2);
        assert_eq!(r.logsource.category.as_deref(), Some("process_creation"));
        assert_eq!(r.detection.searches.len(), 3);
        let Search::Maps(m) = &r.detection.searches[0].1 else {
            panic!()
        };
        assert_eq!(m[0][1].modifiers, vec![Modifier::Contains, Modifier::All]);
        let Search::Maps(f) = &r.detection.searches[1].1 else {
            panic!()
        };
        assert_eq!(f.len(), 2);
        assert_eq!(f[1][0].values, vec![SigmaValue::Null]);
        let Search::Keywords(k) = &r.detection.searches[2].1 else {
            panic!()
        };
        assert_eq!(k[1], SigmaValue::Int(42));
    }

    #[test]
    fn reports_problems() {
        let e = parse_rule("title: x\nlogsource: {}\ndetection: {sel: {a: 1}}\n").unwrap_err();
        assert_eq!(e.kind, RuleErrorKind::Schema);
        let e =
            parse_rule("title: x\nlogsource: {}\ndetection: {sel: {a|nope: 1}, condition: sel}\n")
                .unwrap_err();
        assert_eq!(e.kind, RuleErrorKind::UnknownModifier);
        let e = parse_rule(
            "title: x\nlogsource: {}\ndetection: {sel: {a: 1}, condition: sel and other}\n",
        )
        .unwrap_err();
        assert_eq!(e.kind, RuleErrorKind::Condition);
        let e = parse_rule(
            "title: x\nlogsource: {}\ndetection: {sel: {a: 1}, condition: sel | count() > 5}\n",
        )
        .unwrap_err();
        assert_eq!(e.kind, RuleErrorKind::Unsupported);
        let e = parse_rule("title: [x\n").unwrap_err();
        assert_eq!(e.kind, RuleErrorKind::Yaml);
        assert!(
            parse_rule(
                "title: x\nlevel: urgent\nlogsource: {}\ndetection: {s: {a: 1}, condition: s}\n"
            )
            .is_err()
        );
    }

    #[test]
    fn parses_correlations() {
        let docs = parse_documents(
            r#"
title: Many failed logons
name: failed_logon
logsource: {product: windows, service: security}
detection: {selection: {EventID: 4625}, condition: selection}
---
title: Brute force
correlation:
    type: event_count
    rules: [failed_logon]
    group-by: [TargetUserName]
    timespan: 5m
    condition: {gte: 10}
level: high
"#,
        )
        .unwrap();
        assert_eq!(docs.len(), 2);
        let RuleDocument::Correlation(c) = &docs[1] else {
            panic!()
        };
        assert_eq!(c.kind, CorrelationType::EventCount);
        assert_eq!(c.timespan, Duration::from_secs(300));
        assert_eq!(c.condition, vec![(CmpOp::Gte, 10.0)]);
        assert_eq!(c.group_by, vec!["TargetUserName".to_string()]);
    }

    #[test]
    fn timespans() {
        assert_eq!(parse_timespan("30s"), Some(Duration::from_secs(30)));
        assert_eq!(parse_timespan("2h"), Some(Duration::from_secs(7200)));
        assert_eq!(parse_timespan("1M"), None);
        assert_eq!(parse_timespan("h"), None);
    }
}
