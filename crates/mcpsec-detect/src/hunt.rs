//! Hunting: running a compiled rule set over log files.
//!
//! Files are processed in parallel (one task per file, rayon); within a
//! file, each event is dispatched only to the rules whose log source fits.
//! Matches of rules referenced by correlation rules are collected and the
//! correlations (`event_count`, `value_count`, `temporal`,
//! `temporal_ordered`) evaluated per group over time once all files are read.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Utc};
use rayon::prelude::*;
use serde::Serialize;

use crate::attack::AttackRef;
use crate::event::LogEvent;
use crate::input::{self, InputStats};
use crate::ruleset::{CorrRef, DispatchCache, RuleSet};
use crate::sigma::rule::{CmpOp, CorrelationType, Level, RuleMeta, level_name};

#[derive(Debug, Clone, Default)]
pub struct HuntOptions {
    /// Report only rules at or above this level (rules without a level are
    /// reported only when this is `None`).
    pub min_level: Option<Level>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// Read every file in this format (detected per file when `None`).
    pub format: Option<input::InputFormat>,
}

/// The rule part of a detection.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RuleRef {
    pub id: Option<String>,
    pub title: String,
    pub level: Option<&'static str>,
    pub tags: Vec<String>,
    pub path: PathBuf,
}

impl RuleRef {
    fn new(meta: &RuleMeta, path: &Path) -> RuleRef {
        RuleRef {
            id: meta.id.clone(),
            title: meta.title.clone(),
            level: meta.level.map(level_name),
            tags: meta.tags.clone(),
            path: path.to_path_buf(),
        }
    }
}

/// Where an event came from.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SourceRef {
    pub file: PathBuf,
    pub record_id: u64,
}

/// What a correlation grouped.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CorrelationInfo {
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Group-by field → value.
    pub group: BTreeMap<String, String>,
    /// Events counted (event_count) or distinct values (value_count).
    pub count: u64,
    pub first: Option<DateTime<Utc>>,
    /// The contributing events.
    pub events: Vec<SourceRef>,
}

/// One detection: a rule that matched an event, or a correlation that fired.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Detection {
    pub rule: RuleRef,
    pub timestamp: Option<DateTime<Utc>>,
    pub source: Option<SourceRef>,
    /// The matched event (flattened as the rule saw it); absent for correlations.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<serde_json::Value>,
    pub techniques: Vec<AttackRef>,
    pub tactics: Vec<AttackRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub correlation: Option<CorrelationInfo>,
    #[serde(skip)]
    pub level: Option<Level>,
}

/// Per-file outcome.
#[derive(Debug, Clone, Default)]
pub struct FileReport {
    pub path: PathBuf,
    pub stats: InputStats,
    /// The file could not be read at all.
    pub failed: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct HuntReport {
    pub detections: Vec<Detection>,
    pub files: Vec<FileReport>,
    /// Events read (after the time window).
    pub events: u64,
}

/// A match of a rule used by a correlation.
#[derive(Debug, Clone)]
struct CorrEvent {
    rule: usize,
    time: DateTime<Utc>,
    source: SourceRef,
    /// Per correlation using this rule: (correlation index, group values, value_count value).
    keys: Vec<(usize, Vec<String>, Option<String>)>,
}

fn level_ok(min: Option<Level>, l: Option<Level>) -> bool {
    match min {
        None => true,
        Some(m) => l.is_some_and(|l| l >= m),
    }
}

/// Matches one event against the rule set: the indices of the rules that match.
pub fn match_event(set: &RuleSet, cache: &mut DispatchCache, ev: &mut LogEvent) -> Vec<usize> {
    let cands = cache.prepare(set, ev);
    cands
        .iter()
        .copied()
        .filter(|&i| set.rules()[i].matches(ev))
        .collect()
}

struct FileOutput {
    report: FileReport,
    detections: Vec<Detection>,
    corr: Vec<CorrEvent>,
    events: u64,
}

fn hunt_file(
    set: &RuleSet,
    path: &Path,
    opts: &HuntOptions,
    corr_users: &HashMap<usize, Vec<usize>>,
    suppressed: &HashSet<usize>,
    counter: &AtomicU64,
) -> FileOutput {
    let mut cache = DispatchCache::default();
    let mut detections = Vec::new();
    let mut corr = Vec::new();
    let mut events = 0u64;
    let res = input::read_file_as(path, opts.format, &mut |rec| {
        if opts.from.is_some() || opts.to.is_some() {
            let Some(t) = rec.timestamp else { return };
            if opts.from.is_some_and(|f| t < f) || opts.to.is_some_and(|to| t > to) {
                return;
            }
        }
        events += 1;
        if events.is_multiple_of(1024) {
            counter.fetch_add(1024, Ordering::Relaxed);
        }
        let mut ev = rec.event;
        let hits = match_event(set, &mut cache, &mut ev);
        if hits.is_empty() {
            return;
        }
        let source = SourceRef {
            file: path.to_path_buf(),
            record_id: rec.record_id,
        };
        let mut json = None;
        for i in hits {
            let r = &set.rules()[i];
            if let Some(users) = corr_users.get(&i)
                && let Some(time) = rec.timestamp
            {
                let keys = users
                    .iter()
                    .map(|&c| {
                        let lc = &set.correlations()[c];
                        let cr = &lc.rule;
                        // The names this rule is known by, for `aliases`.
                        let reference = lc
                            .position(CorrRef::Rule(i))
                            .and_then(|p| cr.rules.get(p))
                            .map(String::as_str);
                        let names: Vec<&str> =
                            [reference, r.meta.id.as_deref(), r.meta.name.as_deref()]
                                .into_iter()
                                .flatten()
                                .collect();
                        let group = cr
                            .group_by
                            .iter()
                            .map(|g| {
                                ev.get(cr.group_field(g, &names))
                                    .and_then(|v| v.as_text())
                                    .map(|t| t.into_owned())
                                    .unwrap_or_default()
                            })
                            .collect();
                        let value = cr
                            .field
                            .as_ref()
                            .and_then(|f| ev.get(f))
                            .and_then(|v| v.as_text())
                            .map(|t| t.into_owned());
                        (c, group, value)
                    })
                    .collect();
                corr.push(CorrEvent {
                    rule: i,
                    time,
                    source: source.clone(),
                    keys,
                });
            }
            if suppressed.contains(&i) || !level_ok(opts.min_level, r.meta.level) {
                continue;
            }
            let event = json.get_or_insert_with(|| ev.to_json()).clone();
            detections.push(Detection {
                rule: RuleRef::new(&r.meta, &r.path),
                timestamp: rec.timestamp,
                source: Some(source.clone()),
                event: Some(event),
                techniques: r.attack.techniques.clone(),
                tactics: r.attack.tactics.clone(),
                correlation: None,
                level: r.meta.level,
            });
        }
    });
    counter.fetch_add(events % 1024, Ordering::Relaxed);
    let report = match res {
        Ok(stats) => FileReport {
            path: path.to_path_buf(),
            stats,
            failed: None,
        },
        Err(e) => FileReport {
            path: path.to_path_buf(),
            stats: InputStats::default(),
            failed: Some(e.to_string()),
        },
    };
    FileOutput {
        report,
        detections,
        corr,
        events,
    }
}

/// Hunts over files (directories must already be expanded, see
/// [`input::collect_inputs`]). `events_read` is updated as events are read,
/// for progress reporting.
pub fn hunt(
    set: &RuleSet,
    files: &[PathBuf],
    opts: &HuntOptions,
    events_read: &AtomicU64,
) -> HuntReport {
    // Which correlations use each rule; which rules only feed correlations.
    let mut corr_users: HashMap<usize, Vec<usize>> = HashMap::new();
    let mut suppressed = HashSet::new();
    for (ci, c) in set.correlations().iter().enumerate() {
        for &r in &c.rule_indices {
            corr_users.entry(r).or_default().push(ci);
            if !c.rule.generate {
                suppressed.insert(r);
            }
        }
    }
    for c in set.correlations() {
        if c.rule.generate {
            for r in &c.rule_indices {
                suppressed.remove(r);
            }
        }
    }
    let outputs: Vec<FileOutput> = files
        .par_iter()
        .map(|f| hunt_file(set, f, opts, &corr_users, &suppressed, events_read))
        .collect();
    let mut report = HuntReport::default();
    let mut corr = Vec::new();
    for o in outputs {
        report.files.push(o.report);
        report.detections.extend(o.detections);
        corr.extend(o.corr);
        report.events += o.events;
    }
    report
        .detections
        .extend(evaluate_correlations(set, corr, opts));
    report.detections.sort_by(|a, b| {
        (a.timestamp, &a.source, &a.rule.title).cmp(&(b.timestamp, &b.source, &b.rule.title))
    });
    report
}

/// A correlated event: a detection rule's match, or the firing of a
/// correlation this one is chained on.
#[derive(Debug, Clone)]
struct Member {
    time: DateTime<Utc>,
    /// Position of the matching rule in the correlation's `rules:`.
    pos: usize,
    /// The events it stands for (one for a rule match).
    sources: Vec<SourceRef>,
    /// `value_count`: the counted field's value.
    value: Option<String>,
}

fn count_ok(conds: &[(CmpOp, f64)], n: u64) -> bool {
    conds.iter().all(|(op, v)| op.holds(n as f64, *v))
}

/// Correlations that only feed other correlations (referenced without
/// `generate: true`), as detection rules referenced by correlations are.
fn suppressed_correlations(set: &RuleSet) -> HashSet<usize> {
    let mut suppressed = HashSet::new();
    let mut generated = HashSet::new();
    for c in set.correlations() {
        for r in &c.refs {
            if let CorrRef::Correlation(j) = r {
                if c.rule.generate {
                    generated.insert(*j);
                } else {
                    suppressed.insert(*j);
                }
            }
        }
    }
    &suppressed - &generated
}

fn evaluate_correlations(
    set: &RuleSet,
    events: Vec<CorrEvent>,
    opts: &HuntOptions,
) -> Vec<Detection> {
    let mut out = Vec::new();
    let suppressed = suppressed_correlations(set);
    // Correlation → (group values, member) from the correlations it is chained on.
    let mut chained: HashMap<usize, Vec<(Vec<String>, Member)>> = HashMap::new();
    // Correlations come after those they refer to, so one pass suffices.
    for (ci, c) in set.correlations().iter().enumerate() {
        let cr = &c.rule;
        let report = level_ok(opts.min_level, cr.meta.level) && !suppressed.contains(&ci);
        // Who is chained on this one: (outer correlation, position in its rules).
        let outers: Vec<(usize, usize)> = set
            .correlations()
            .iter()
            .enumerate()
            .filter_map(|(o, oc)| oc.position(CorrRef::Correlation(ci)).map(|p| (o, p)))
            .collect();
        if !report && outers.is_empty() {
            continue;
        }
        // Group this correlation's members.
        let mut groups: BTreeMap<Vec<String>, Vec<Member>> = BTreeMap::new();
        for e in &events {
            for (k, group, value) in &e.keys {
                if *k == ci
                    && let Some(pos) = c.position(CorrRef::Rule(e.rule))
                {
                    groups.entry(group.clone()).or_default().push(Member {
                        time: e.time,
                        pos,
                        sources: vec![e.source.clone()],
                        value: value.clone(),
                    });
                }
            }
        }
        for (group, m) in chained.remove(&ci).unwrap_or_default() {
            groups.entry(group).or_default().push(m);
        }
        let span = chrono::Duration::from_std(cr.timespan).unwrap_or(chrono::Duration::MAX);
        let kind_name = match cr.kind {
            CorrelationType::EventCount => "event_count",
            CorrelationType::ValueCount => "value_count",
            CorrelationType::Temporal => "temporal",
            CorrelationType::TemporalOrdered => "temporal_ordered",
        };
        for (group, mut evs) in groups {
            evs.sort_by(|a, b| (a.time, &a.sources).cmp(&(b.time, &b.sources)));
            let group_map: BTreeMap<String, String> = cr
                .group_by
                .iter()
                .cloned()
                .zip(group.iter().cloned())
                .collect();
            let mut fire = |window: &[Member], count: u64| {
                let last = window.last().map(|w| w.time);
                let sources: Vec<SourceRef> = window
                    .iter()
                    .flat_map(|w| w.sources.iter().cloned())
                    .collect();
                for &(o, pos) in &outers {
                    let oc = &set.correlations()[o].rule;
                    let names: Vec<&str> = [
                        oc.rules.get(pos).map(String::as_str),
                        cr.meta.id.as_deref(),
                        cr.meta.name.as_deref(),
                    ]
                    .into_iter()
                    .flatten()
                    .collect();
                    // The outer correlation groups by this one's group-by values.
                    let og = oc
                        .group_by
                        .iter()
                        .map(|g| {
                            group_map
                                .get(oc.group_field(g, &names))
                                .cloned()
                                .unwrap_or_default()
                        })
                        .collect();
                    let value = oc.field.as_ref().and_then(|f| group_map.get(f).cloned());
                    if let Some(time) = last {
                        chained.entry(o).or_default().push((
                            og,
                            Member {
                                time,
                                pos,
                                sources: sources.clone(),
                                value,
                            },
                        ));
                    }
                }
                if !report {
                    return;
                }
                out.push(Detection {
                    rule: RuleRef::new(&cr.meta, &c.path),
                    timestamp: last,
                    source: None,
                    event: None,
                    techniques: c.attack.techniques.clone(),
                    tactics: c.attack.tactics.clone(),
                    correlation: Some(CorrelationInfo {
                        kind: kind_name,
                        group: group_map.clone(),
                        count,
                        first: window.first().map(|w| w.time),
                        events: sources,
                    }),
                    level: cr.meta.level,
                });
            };
            match cr.kind {
                CorrelationType::EventCount | CorrelationType::ValueCount => {
                    let measure = |w: &[Member]| -> u64 {
                        if cr.kind == CorrelationType::EventCount {
                            w.len() as u64
                        } else {
                            w.iter()
                                .filter_map(|e| e.value.as_deref())
                                .collect::<HashSet<_>>()
                                .len() as u64
                        }
                    };
                    let lower_bound = cr
                        .condition
                        .iter()
                        .any(|(op, _)| matches!(op, CmpOp::Gt | CmpOp::Gte | CmpOp::Eq));
                    if lower_bound {
                        // Sliding window; fire once the condition holds, then start after it.
                        let mut start = 0;
                        let mut end = 0;
                        while end < evs.len() {
                            while evs[end].time - evs[start].time > span {
                                start += 1;
                            }
                            let n = measure(&evs[start..=end]);
                            if count_ok(&cr.condition, n) {
                                fire(&evs[start..=end], n);
                                start = end + 1;
                                end = start;
                                continue;
                            }
                            end += 1;
                        }
                    } else {
                        // Upper bounds only: tumbling windows from the first event.
                        let mut start = 0;
                        while start < evs.len() {
                            let mut end = start;
                            while end + 1 < evs.len() && evs[end + 1].time - evs[start].time <= span
                            {
                                end += 1;
                            }
                            let n = measure(&evs[start..=end]);
                            if count_ok(&cr.condition, n) {
                                fire(&evs[start..=end], n);
                            }
                            start = end + 1;
                        }
                    }
                }
                CorrelationType::Temporal => {
                    let need = c.refs.len();
                    let mut start = 0;
                    let mut end = 0;
                    while end < evs.len() {
                        while evs[end].time - evs[start].time > span {
                            start += 1;
                        }
                        let seen: HashSet<usize> = evs[start..=end].iter().map(|e| e.pos).collect();
                        if (0..need).all(|p| seen.contains(&p) || c.position(c.refs[p]) != Some(p))
                        {
                            fire(&evs[start..=end], seen.len() as u64);
                            start = end + 1;
                            end = start;
                            continue;
                        }
                        end += 1;
                    }
                }
                CorrelationType::TemporalOrdered => {
                    let len = c.refs.len();
                    // Partial chains: (start index in evs, next position in `rules:`, member indices).
                    let mut chains: Vec<(usize, usize, Vec<usize>)> = Vec::new();
                    for (i, e) in evs.iter().enumerate() {
                        chains.retain(|(s, _, _)| e.time - evs[*s].time <= span);
                        let mut done = None;
                        for ch in chains.iter_mut() {
                            if ch.1 == e.pos {
                                ch.1 += 1;
                                ch.2.push(i);
                                if ch.1 == len {
                                    done = Some(ch.2.clone());
                                    break;
                                }
                            }
                        }
                        if done.is_none() && e.pos == 0 {
                            if len == 1 {
                                done = Some(vec![i]);
                            } else {
                                chains.push((i, 1, vec![i]));
                            }
                        }
                        if let Some(members) = done {
                            let window: Vec<_> = members.iter().map(|&m| evs[m].clone()).collect();
                            fire(&window, window.len() as u64);
                            chains.clear();
                        }
                    }
                }
            }
        }
    }
    out
}

/// Counts of detections per tactic and per technique (for `--summary`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub detections: u64,
    pub by_level: BTreeMap<String, u64>,
    pub by_tactic: BTreeMap<String, u64>,
    pub by_technique: BTreeMap<String, u64>,
    pub by_rule: BTreeMap<String, u64>,
}

pub fn summarize(detections: &[Detection]) -> Summary {
    let mut s = Summary::default();
    for d in detections {
        s.detections += 1;
        *s.by_level
            .entry(d.rule.level.unwrap_or("none").to_string())
            .or_default() += 1;
        *s.by_rule.entry(d.rule.title.clone()).or_default() += 1;
        for t in &d.tactics {
            *s.by_tactic
                .entry(format!("{} {}", t.id, t.name))
                .or_default() += 1;
        }
        for t in &d.techniques {
            let label = if t.name.is_empty() {
                t.id.clone()
            } else {
                format!("{} {}", t.id, t.name)
            };
            *s.by_technique.entry(label).or_default() += 1;
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RuleErrorKind;
    use crate::ruleset::LoadOptions;

    fn write(dir: &Path, name: &str, lines: &[serde_json::Value]) -> PathBuf {
        let p = dir.join(name);
        let text: String = lines.iter().map(|l| l.to_string() + "\n").collect();
        std::fs::write(&p, text).unwrap();
        p
    }

    fn rules(texts: &[&str]) -> RuleSet {
        let (set, errs) = RuleSet::from_sources(
            texts
                .iter()
                .enumerate()
                .map(|(i, t)| (PathBuf::from(format!("r{i}.yml")), t.to_string()))
                .collect(),
            &LoadOptions::default(),
        );
        assert!(errs.is_empty(), "{errs:?}");
        set
    }

    const FAILED: &str = "title: failed logon\nname: failed\nlevel: low\nlogsource: {product: test}\ndetection: {s: {action: fail}, condition: s}\n";

    fn logons(dir: &Path) -> PathBuf {
        let mut lines = Vec::new();
        for (i, (user, ip, min)) in [
            ("bob", "1", 0),
            ("bob", "2", 1),
            ("bob", "3", 2),
            ("alice", "1", 3),
            ("bob", "4", 30),
            ("alice", "9", 31),
        ]
        .iter()
        .enumerate()
        {
            lines.push(serde_json::json!({"time": format!("2024-01-01T00:{min:02}:00Z"), "action": "fail", "user": user, "ip": ip, "n": i}));
        }
        lines.push(
            serde_json::json!({"time": "2024-01-01T00:32:00Z", "action": "ok", "user": "alice"}),
        );
        write(dir, "logons.ndjson", &lines)
    }

    #[test]
    fn detections_with_time_window_and_levels() {
        let dir = tempfile::tempdir().unwrap();
        let f = logons(dir.path());
        let set = rules(&[
            FAILED,
            "title: ok\nlevel: high\ntags: [attack.t1078, attack.initial_access]\nlogsource: {product: test}\ndetection: {s: {action: ok}, condition: s}\n",
        ]);
        let n = AtomicU64::new(0);
        let r = hunt(&set, std::slice::from_ref(&f), &HuntOptions::default(), &n);
        assert_eq!(r.events, 7);
        assert_eq!(n.load(Ordering::Relaxed), 7);
        assert_eq!(r.detections.len(), 7);
        let last = r.detections.last().unwrap();
        assert_eq!(last.rule.title, "ok");
        assert_eq!(last.source.as_ref().unwrap().record_id, 7);
        assert_eq!(last.techniques[0].id, "T1078");
        assert_eq!(last.tactics[0].id, "TA0001");
        let opts = HuntOptions {
            min_level: Some(Level::Medium),
            ..Default::default()
        };
        assert_eq!(
            hunt(&set, std::slice::from_ref(&f), &opts, &n)
                .detections
                .len(),
            1
        );
        let opts = HuntOptions {
            from: Some("2024-01-01T00:02:00Z".parse().unwrap()),
            to: Some("2024-01-01T00:30:00Z".parse().unwrap()),
            ..Default::default()
        };
        let r = hunt(&set, std::slice::from_ref(&f), &opts, &n);
        assert_eq!((r.events, r.detections.len()), (3, 3));
        let s = summarize(&hunt(&set, &[f], &HuntOptions::default(), &n).detections);
        assert_eq!(s.by_tactic.get("TA0001 Initial Access"), Some(&1));
        assert_eq!(s.by_level.get("low"), Some(&6));
    }

    #[test]
    fn event_count_and_value_count() {
        let dir = tempfile::tempdir().unwrap();
        let f = logons(dir.path());
        let set = rules(&[
            FAILED,
            "title: brute force\nlevel: high\ncorrelation: {type: event_count, rules: [failed], group-by: [user], timespan: 5m, condition: {gte: 3}}\n",
            "title: spray\nlevel: high\ncorrelation: {type: value_count, rules: [failed], group-by: [user], timespan: 1h, condition: {field: ip, gte: 4}}\n",
        ]);
        let n = AtomicU64::new(0);
        let r = hunt(&set, &[f], &HuntOptions::default(), &n);
        // The base rule only feeds correlations (generate: false): not reported itself.
        assert!(
            r.detections.iter().all(|d| d.correlation.is_some()),
            "{:#?}",
            r.detections
        );
        let bf: Vec<_> = r
            .detections
            .iter()
            .filter(|d| d.rule.title == "brute force")
            .collect();
        assert_eq!(bf.len(), 1);
        let c = bf[0].correlation.as_ref().unwrap();
        assert_eq!(c.group.get("user").map(String::as_str), Some("bob"));
        assert_eq!(c.count, 3);
        assert_eq!(
            c.events.iter().map(|e| e.record_id).collect::<Vec<_>>(),
            vec![1, 2, 3]
        );
        let spray: Vec<_> = r
            .detections
            .iter()
            .filter(|d| d.rule.title == "spray")
            .collect();
        assert_eq!(spray.len(), 1);
        assert_eq!(spray[0].correlation.as_ref().unwrap().count, 4);
    }

    /// Chained correlations (a correlation of correlations), as in the
    /// specification's "failed logins followed by a successful login".
    #[test]
    fn chained_correlations() {
        let dir = tempfile::tempdir().unwrap();
        let mut lines = Vec::new();
        let mut ev = |min: u32, user: &str, action: &str| {
            lines.push(serde_json::json!({"time": format!("2024-01-01T00:{min:02}:00Z"), "action": action, "user": user}));
        };
        // bob: a burst of 3 failures, then a success; later a second burst.
        for m in [0, 1, 2] {
            ev(m, "bob", "fail");
        }
        ev(3, "bob", "ok");
        for m in [20, 21, 22] {
            ev(m, "bob", "fail");
        }
        // alice: one failure then a success (no burst).
        ev(3, "alice", "fail");
        ev(4, "alice", "ok");
        // carol: success first, burst afterwards (wrong order).
        ev(5, "carol", "ok");
        for m in [10, 11, 12] {
            ev(m, "carol", "fail");
        }
        let f = write(dir.path(), "chain.ndjson", &lines);
        let set = rules(&[
            // Outer correlations first: references resolve regardless of order.
            "title: burst then success\nlevel: high\ncorrelation: {type: temporal_ordered, rules: [many_failed, ok], group-by: [user], timespan: 10m}\n",
            "title: two bursts\nlevel: critical\ncorrelation: {type: event_count, rules: [many_failed], group-by: [user], timespan: 1h, condition: {gte: 2}}\n",
            "title: many failed\nname: many_failed\nlevel: medium\ncorrelation: {type: event_count, rules: [failed], group-by: [user], timespan: 5m, condition: {gte: 3}}\n",
            FAILED,
            "title: ok\nname: ok\nlogsource: {product: test}\ndetection: {s: {action: ok}, condition: s}\n",
        ]);
        assert_eq!(set.correlations().len(), 3);
        // Dependencies come first.
        assert_eq!(set.correlations()[0].rule.meta.title, "many failed");
        let r = hunt(&set, &[f], &HuntOptions::default(), &AtomicU64::new(0));
        let got: Vec<(String, String, Vec<u64>)> = r
            .detections
            .iter()
            .map(|d| {
                let c = d.correlation.as_ref().expect("only correlations report");
                (
                    d.rule.title.clone(),
                    c.group["user"].clone(),
                    c.events.iter().map(|e| e.record_id).collect(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                // The inner correlation is referenced without `generate`: not reported.
                ("burst then success".into(), "bob".into(), vec![1, 2, 3, 4]),
                ("two bursts".into(), "bob".into(), vec![1, 2, 3, 5, 6, 7]),
            ],
            "{got:?}"
        );
        let burst = r
            .detections
            .iter()
            .find(|d| d.rule.title == "burst then success")
            .unwrap();
        assert_eq!(
            burst.timestamp.unwrap().to_rfc3339(),
            "2024-01-01T00:03:00+00:00"
        );

        // With `generate: true` the inner correlation reports too (bob twice, carol once).
        let set = rules(&[
            "title: two bursts\ncorrelation: {type: event_count, rules: [many_failed], group-by: [user], timespan: 1h, condition: {gte: 2}, generate: true}\n",
            "title: many failed\nname: many_failed\ncorrelation: {type: event_count, rules: [failed], group-by: [user], timespan: 5m, condition: {gte: 3}}\n",
            FAILED,
        ]);
        let f = dir.path().join("chain.ndjson");
        let r = hunt(&set, &[f], &HuntOptions::default(), &AtomicU64::new(0));
        let n = |t: &str| r.detections.iter().filter(|d| d.rule.title == t).count();
        assert_eq!((n("many failed"), n("two bursts")), (3, 1));
    }

    /// Field name aliases, as in the specification's example: the internal
    /// address is the destination of one rule's events and the source of the
    /// other's.
    #[test]
    fn correlation_aliases() {
        let dir = tempfile::tempdir().unwrap();
        let err = |t: &str, dst: &str, src: &str| serde_json::json!({"time": t, "http": {"response": {"status_code": 500}}, "destination": {"ip": dst}, "source": {"ip": src}});
        let conn = |t: &str, src: &str, dst: &str| serde_json::json!({"time": t, "event": {"category": "network", "type": "connection", "outcome": "success"}, "source": {"ip": src}, "destination": {"ip": dst}});
        let f = write(
            dir.path(),
            "net.ndjson",
            &[
                err("2024-01-01T00:00:00Z", "10.0.0.1", "203.0.113.9"),
                conn("2024-01-01T00:00:05Z", "10.0.0.1", "203.0.113.9"),
                err("2024-01-01T00:01:00Z", "10.0.0.2", "203.0.113.9"),
                conn("2024-01-01T00:01:05Z", "10.0.0.3", "203.0.113.9"),
            ],
        );
        let set = rules(&[
            "title: internal error\nname: internal_error\nlogsource: {product: test}\ndetection: {selection: {http.response.status_code: 500}, condition: selection}\n",
            "title: new connection\nname: new_network_connection\nlogsource: {product: test}\ndetection: {selection: {event.category: network, event.type: connection, event.outcome: success}, condition: selection}\n",
            "title: error then callback\ncorrelation:\n  type: temporal\n  rules: [internal_error, new_network_connection]\n  group-by: [internal_ip, remote_ip]\n  timespan: 10s\n  aliases:\n    internal_ip: {internal_error: destination.ip, new_network_connection: source.ip}\n    remote_ip: {internal_error: source.ip, new_network_connection: destination.ip}\n",
        ]);
        assert_eq!(
            set.correlations()[0]
                .rule
                .group_field("internal_ip", &["internal_error"]),
            "destination.ip"
        );
        let r = hunt(&set, &[f], &HuntOptions::default(), &AtomicU64::new(0));
        assert_eq!(r.detections.len(), 1, "{:#?}", r.detections);
        let c = r.detections[0].correlation.as_ref().unwrap();
        assert_eq!(c.group["internal_ip"], "10.0.0.1");
        assert_eq!(c.group["remote_ip"], "203.0.113.9");
        assert_eq!(
            c.events.iter().map(|e| e.record_id).collect::<Vec<_>>(),
            vec![1, 2]
        );
        // A malformed alias map is a schema error.
        let (_, errs) = RuleSet::from_sources(
            vec![(
                PathBuf::from("bad.yml"),
                "title: b\ncorrelation: {type: temporal, rules: [x], group-by: [a], timespan: 1m, aliases: {a: [1]}}\n".into(),
            )],
            &LoadOptions::default(),
        );
        assert_eq!(errs[0].kind(), RuleErrorKind::Schema);
    }

    #[test]
    fn chained_correlation_errors() {
        let (set, errs) = RuleSet::from_sources(
            vec![
                (PathBuf::from("f.yml"), FAILED.to_string()),
                (PathBuf::from("a.yml"), "title: a\nname: a\ncorrelation: {type: temporal, rules: [b, failed], group-by: [user], timespan: 1m}\n".into()),
                (PathBuf::from("b.yml"), "title: b\nname: b\ncorrelation: {type: temporal, rules: [a, failed], group-by: [user], timespan: 1m}\n".into()),
                (PathBuf::from("c.yml"), "title: c\nname: c\ncorrelation: {type: event_count, rules: [nope], group-by: [user], timespan: 1m, condition: {gte: 1}}\n".into()),
                (PathBuf::from("d.yml"), "title: d\ncorrelation: {type: event_count, rules: [c], group-by: [user], timespan: 1m, condition: {gte: 1}}\n".into()),
                (PathBuf::from("e.yml"), "title: e\ncorrelation: {type: event_count, rules: [failed], group-by: [user], timespan: 1m, condition: {gte: 1}}\n".into()),
            ],
            &LoadOptions::default(),
        );
        assert_eq!(set.correlations().len(), 1, "only e loads");
        let mut got: Vec<(String, RuleErrorKind)> = errs
            .iter()
            .map(|e| (e.path.display().to_string(), e.kind()))
            .collect();
        got.sort();
        assert_eq!(
            got,
            vec![
                ("a.yml".into(), RuleErrorKind::InvalidValue),
                ("b.yml".into(), RuleErrorKind::InvalidValue),
                ("c.yml".into(), RuleErrorKind::UnknownReference),
                ("d.yml".into(), RuleErrorKind::UnknownReference),
            ]
        );
        assert!(errs.iter().any(|e| e.issue.message.contains("cycle")));
        assert!(
            errs.iter()
                .any(|e| e.issue.message.contains("\"c\" was rejected"))
        );
    }

    #[test]
    fn temporal_and_ordered() {
        let dir = tempfile::tempdir().unwrap();
        let f = logons(dir.path());
        let ok = "title: ok\nname: ok\nlogsource: {product: test}\ndetection: {s: {action: ok}, condition: s}\n";
        let set = rules(&[
            FAILED,
            ok,
            "title: fail then ok\ncorrelation: {type: temporal_ordered, rules: [failed, ok], group-by: [user], timespan: 5m}\n",
            "title: ok then fail\ncorrelation: {type: temporal_ordered, rules: [ok, failed], group-by: [user], timespan: 5m}\n",
            "title: both\ncorrelation: {type: temporal, rules: [ok, failed], group-by: [user], timespan: 2m}\n",
        ]);
        let r = hunt(&set, &[f], &HuntOptions::default(), &AtomicU64::new(0));
        let titles: Vec<_> = r.detections.iter().map(|d| d.rule.title.as_str()).collect();
        assert_eq!(
            titles.iter().filter(|t| **t == "fail then ok").count(),
            1,
            "{titles:?}"
        );
        assert_eq!(
            titles.iter().filter(|t| **t == "ok then fail").count(),
            0,
            "{titles:?}"
        );
        assert_eq!(
            titles.iter().filter(|t| **t == "both").count(),
            1,
            "{titles:?}"
        );
        let d = r
            .detections
            .iter()
            .find(|d| d.rule.title == "fail then ok")
            .unwrap();
        assert_eq!(d.correlation.as_ref().unwrap().group["user"], "alice");
    }

    #[test]
    fn unreadable_files_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let bad = dir.path().join("x.evtx");
        std::fs::write(&bad, b"not an evtx file at all").unwrap();
        let set = rules(&[FAILED]);
        let r = hunt(
            &set,
            &[bad, dir.path().join("missing.json")],
            &HuntOptions::default(),
            &AtomicU64::new(0),
        );
        assert_eq!(r.files.len(), 2);
        assert!(r.files.iter().all(|f| f.failed.is_some()));
    }
}
