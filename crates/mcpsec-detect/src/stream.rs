//! Streaming evaluation: one event at a time, with correlation state per
//! group key kept outside the engine (so the platform can persist it and a
//! correlation survives a worker restart).
//!
//! [`StreamRules`] wraps a compiled [`RuleSet`] and tells, for one event,
//! which rules report an alert of their own and which correlation group
//! states the event feeds. [`GroupState::apply`] advances one group's state
//! with one member and returns the windows that fired. States serialize to
//! JSON; the caller loads them before a batch and saves them after it.
//!
//! Semantics follow the offline engine ([`crate::hunt`]) with the window
//! ending at the newest event of the group: lower-bound counts and temporal
//! correlations fire as soon as the condition holds and then start afresh;
//! upper-bound-only counts use tumbling windows from the first event, and a
//! window is judged when the first event after it arrives. Members already
//! seen (by event id) are ignored, so a redelivered batch does not count
//! twice; the ids of fired members are remembered for one timespan.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::event::LogEvent;
use crate::hunt::match_event;
use crate::ruleset::{CompiledRule, CorrRef, DispatchCache, LoadedCorrelation, RuleSet};
use crate::sigma::rule::{CmpOp, CorrelationType};

/// One event counted by a correlation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Member {
    /// The event id.
    pub id: String,
    /// Which of the correlation's rules matched (as the correlation names it).
    pub rule: String,
    pub time: DateTime<Utc>,
    /// `value_count`: the counted field's value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// The entity of the event (`host:…`, `user:…`), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity: Option<String>,
}

/// The state of one correlation for one group key.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GroupState {
    /// Events in the current window, by time.
    #[serde(default)]
    pub members: Vec<Member>,
    /// Events that already fired, with their time (kept one timespan, so a
    /// redelivered event is not counted again).
    #[serde(default)]
    pub consumed: Vec<(String, DateTime<Utc>)>,
}

/// What one event contributes to a correlation.
#[derive(Debug, Clone)]
pub struct CorrelationInput {
    /// Index into [`RuleSet::correlations`].
    pub correlation: usize,
    /// The state key: correlation identity and group-by values.
    pub key: String,
    /// Group-by field → value.
    pub group: Vec<(String, String)>,
    pub member: Member,
}

/// The outcome of one event.
#[derive(Debug, Clone, Default)]
pub struct Evaluation {
    /// Rules that report this event themselves (indices into [`RuleSet::rules`]).
    pub alerts: Vec<usize>,
    pub correlations: Vec<CorrelationInput>,
}

/// A rule set prepared for streaming.
#[derive(Debug)]
pub struct StreamRules {
    set: RuleSet,
    /// Detection rule → (correlation, the name the correlation uses for it).
    corr_users: HashMap<usize, Vec<(usize, String)>>,
    /// Rules that only feed correlations.
    suppressed: HashSet<usize>,
    /// Correlation → (correlation chained on it, the name it uses for it).
    chained_users: HashMap<usize, Vec<(usize, String)>>,
    /// Correlations that only feed other correlations.
    corr_suppressed: HashSet<usize>,
}

/// The state key of a correlation group: correlation identity and group-by values.
fn state_key(c: &crate::sigma::rule::CorrelationRule, group: &[(String, String)]) -> String {
    let values: Vec<&str> = group.iter().map(|(_, v)| v.as_str()).collect();
    format!(
        "{}|{}",
        rule_identity(&c.meta),
        serde_json::to_string(&values).unwrap_or_default()
    )
}

/// The identity of a rule in alerts: its `id`, else its `name`, else its title.
pub fn rule_identity(meta: &crate::sigma::rule::RuleMeta) -> String {
    meta.id
        .clone()
        .or_else(|| meta.name.clone())
        .unwrap_or_else(|| meta.title.clone())
}

impl StreamRules {
    pub fn new(set: RuleSet) -> StreamRules {
        let mut corr_users: HashMap<usize, Vec<(usize, String)>> = HashMap::new();
        let mut chained_users: HashMap<usize, Vec<(usize, String)>> = HashMap::new();
        let mut suppressed = HashSet::new();
        let mut generated = HashSet::new();
        let mut corr_suppressed = HashSet::new();
        let mut corr_generated = HashSet::new();
        for (ci, c) in set.correlations().iter().enumerate() {
            for (pos, r) in c.refs.iter().enumerate() {
                if c.position(*r) != Some(pos) {
                    continue;
                }
                let name = c.rule.rules.get(pos).cloned().unwrap_or_default();
                let (users, sup, gen_) = match *r {
                    CorrRef::Rule(i) => (
                        corr_users.entry(i).or_default(),
                        &mut suppressed,
                        &mut generated,
                    ),
                    CorrRef::Correlation(j) => (
                        chained_users.entry(j).or_default(),
                        &mut corr_suppressed,
                        &mut corr_generated,
                    ),
                };
                let target = match *r {
                    CorrRef::Rule(i) | CorrRef::Correlation(i) => i,
                };
                users.push((ci, name));
                if c.rule.generate {
                    gen_.insert(target);
                } else {
                    sup.insert(target);
                }
            }
        }
        for r in generated {
            suppressed.remove(&r);
        }
        for r in corr_generated {
            corr_suppressed.remove(&r);
        }
        StreamRules {
            set,
            corr_users,
            chained_users,
            suppressed,
            corr_suppressed,
        }
    }

    /// Whether a correlation reports its firings as alerts (`false` when it
    /// only feeds correlations chained on it without `generate: true`).
    pub fn correlation_reports(&self, ci: usize) -> bool {
        !self.corr_suppressed.contains(&ci)
    }

    /// What a firing of correlation `ci` (its group and window, `fired_id`
    /// a stable id of the firing, e.g. its alert id) feeds to the
    /// correlations chained on it. The outer correlation's group-by fields
    /// and `value_count` field are read from this one's group-by values.
    pub fn chained_inputs(
        &self,
        ci: usize,
        group: &[(String, String)],
        window: &[Member],
        fired_id: &str,
    ) -> Vec<CorrelationInput> {
        let Some(users) = self.chained_users.get(&ci) else {
            return Vec::new();
        };
        let Some(last) = window.last() else {
            return Vec::new();
        };
        let lookup = |f: &str| group.iter().find(|(k, _)| k == f).map(|(_, v)| v.clone());
        users
            .iter()
            .map(|(o, name)| {
                let oc = &self.set.correlations()[*o].rule;
                let inner = &self.set.correlations()[ci].rule.meta;
                let names: Vec<&str> = [
                    Some(name.as_str()),
                    inner.id.as_deref(),
                    inner.name.as_deref(),
                ]
                .into_iter()
                .flatten()
                .collect();
                let og: Vec<(String, String)> = oc
                    .group_by
                    .iter()
                    .map(|g| {
                        (
                            g.clone(),
                            lookup(oc.group_field(g, &names)).unwrap_or_default(),
                        )
                    })
                    .collect();
                CorrelationInput {
                    correlation: *o,
                    key: state_key(oc, &og),
                    group: og,
                    member: Member {
                        id: fired_id.to_string(),
                        rule: name.clone(),
                        time: last.time,
                        value: oc.field.as_deref().and_then(lookup),
                        entity: last.entity.clone(),
                    },
                }
            })
            .collect()
    }

    pub fn set(&self) -> &RuleSet {
        &self.set
    }

    pub fn rule(&self, i: usize) -> &CompiledRule {
        &self.set.rules()[i]
    }

    pub fn correlation(&self, i: usize) -> &LoadedCorrelation {
        &self.set.correlations()[i]
    }

    /// Evaluates one event (`time`: its time; `entity`: its host or user).
    pub fn evaluate(
        &self,
        cache: &mut DispatchCache,
        ev: &mut LogEvent,
        event_id: &str,
        time: DateTime<Utc>,
        entity: Option<&str>,
    ) -> Evaluation {
        let mut out = Evaluation::default();
        for i in match_event(&self.set, cache, ev) {
            if !self.suppressed.contains(&i) {
                out.alerts.push(i);
            }
            let Some(users) = self.corr_users.get(&i) else {
                continue;
            };
            for (ci, name) in users {
                let c = &self.set.correlations()[*ci].rule;
                let meta = &self.set.rules()[i].meta;
                let names: Vec<&str> = [
                    Some(name.as_str()),
                    meta.id.as_deref(),
                    meta.name.as_deref(),
                ]
                .into_iter()
                .flatten()
                .collect();
                let group: Vec<(String, String)> = c
                    .group_by
                    .iter()
                    .map(|g| {
                        let v = ev
                            .get(c.group_field(g, &names))
                            .and_then(|v| v.as_text())
                            .map(|t| t.into_owned())
                            .unwrap_or_default();
                        (g.clone(), v)
                    })
                    .collect();
                let value = c
                    .field
                    .as_ref()
                    .and_then(|f| ev.get(f))
                    .and_then(|v| v.as_text())
                    .map(|t| t.into_owned());
                let key = state_key(c, &group);
                out.correlations.push(CorrelationInput {
                    correlation: *ci,
                    key,
                    group,
                    member: Member {
                        id: event_id.to_string(),
                        rule: name.clone(),
                        time,
                        value,
                        entity: entity.map(str::to_string),
                    },
                });
            }
        }
        out
    }
}

fn count_ok(conds: &[(CmpOp, f64)], n: u64) -> bool {
    conds.iter().all(|(op, v)| op.holds(n as f64, *v))
}

impl GroupState {
    pub fn is_empty(&self) -> bool {
        self.members.is_empty() && self.consumed.is_empty()
    }

    /// Adds `m` and returns the windows that fired (each a list of members).
    pub fn apply(&mut self, c: &LoadedCorrelation, m: Member) -> Vec<Vec<Member>> {
        if self
            .members
            .iter()
            .any(|x| x.id == m.id && x.rule == m.rule)
            || self.consumed.iter().any(|(id, _)| *id == m.id)
        {
            return Vec::new();
        }
        let cr = &c.rule;
        let span = chrono::Duration::from_std(cr.timespan).unwrap_or(chrono::Duration::MAX);
        let pos = self.members.partition_point(|x| x.time <= m.time);
        self.members.insert(pos, m);
        let newest = self.members.last().map(|x| x.time).expect("just added");
        let horizon = newest.checked_sub_signed(span);
        let in_span = |t: DateTime<Utc>| horizon.is_none_or(|h| t >= h);
        let mut fired = Vec::new();
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
                    self.members.retain(|x| in_span(x.time));
                    if count_ok(&cr.condition, measure(&self.members)) {
                        fired.push(std::mem::take(&mut self.members));
                    }
                } else {
                    // Tumbling windows from the first member: judge each
                    // window once an event after it arrived.
                    while let Some(first) = self.members.first().map(|x| x.time) {
                        let end = first.checked_add_signed(span);
                        let Some(end) = end else { break };
                        if newest <= end {
                            break;
                        }
                        let n = self.members.partition_point(|x| x.time <= end);
                        let window: Vec<Member> = self.members.drain(..n).collect();
                        if count_ok(&cr.condition, measure(&window)) {
                            fired.push(window);
                        }
                    }
                }
            }
            CorrelationType::Temporal => {
                self.members.retain(|x| in_span(x.time));
                let seen: HashSet<&str> = self.members.iter().map(|x| x.rule.as_str()).collect();
                if cr.rules.iter().all(|r| seen.contains(r.as_str())) {
                    fired.push(std::mem::take(&mut self.members));
                }
            }
            CorrelationType::TemporalOrdered => {
                self.members.retain(|x| in_span(x.time));
                let mut picked = Vec::new();
                let mut next = 0;
                for (i, x) in self.members.iter().enumerate() {
                    if cr.rules.get(next) == Some(&x.rule) {
                        picked.push(i);
                        next += 1;
                        if next == cr.rules.len() {
                            break;
                        }
                    }
                }
                if next == cr.rules.len() && !cr.rules.is_empty() {
                    let window = picked.iter().map(|&i| self.members[i].clone()).collect();
                    self.members.clear();
                    fired.push(window);
                }
            }
        }
        for w in &fired {
            self.consumed
                .extend(w.iter().map(|x| (x.id.clone(), x.time)));
        }
        self.consumed.retain(|(_, t)| in_span(*t));
        fired
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ruleset::LoadOptions;
    use serde_json::json;
    use std::path::PathBuf;

    fn rules(texts: &[&str]) -> StreamRules {
        let (set, errs) = RuleSet::from_sources(
            texts
                .iter()
                .enumerate()
                .map(|(i, t)| (PathBuf::from(format!("r{i}.yml")), t.to_string()))
                .collect(),
            &LoadOptions::default(),
        );
        assert!(errs.is_empty(), "{errs:?}");
        StreamRules::new(set)
    }

    const FAILED: &str = "title: failed logon\nname: failed\nlogsource: {product: test}\ndetection: {s: {action: fail}, condition: s}\n";
    const OK: &str = "title: ok\nname: ok\nlogsource: {product: test}\ndetection: {s: {action: ok}, condition: s}\n";

    /// Feeds events through `evaluate` and `apply`, with the state
    /// round-tripped through JSON after every event (as the platform does).
    fn run(sr: &StreamRules, events: &[(&str, &str, &str, i64)]) -> Vec<(String, Vec<String>)> {
        let mut states: HashMap<String, serde_json::Value> = HashMap::new();
        let mut cache = DispatchCache::default();
        let mut out = Vec::new();
        for (id, user, action, min) in events {
            let time: DateTime<Utc> = format!("2024-01-01T00:{min:02}:00Z").parse().unwrap();
            let mut ev = LogEvent::from_json(&json!({"user": user, "action": action, "ip": id}));
            let e = sr.evaluate(&mut cache, &mut ev, id, time, None);
            // Firings feed the correlations chained on them right away (depth first).
            let mut work: std::collections::VecDeque<CorrelationInput> =
                e.correlations.into_iter().collect();
            while let Some(ci) = work.pop_front() {
                let mut st: GroupState = states
                    .get(&ci.key)
                    .map(|v| serde_json::from_value(v.clone()).unwrap())
                    .unwrap_or_default();
                for w in st.apply(sr.correlation(ci.correlation), ci.member) {
                    let ids: Vec<String> = w.iter().map(|m| m.id.clone()).collect();
                    let fired = format!("{}:{}", ci.correlation, ids.join("+"));
                    for next in sr
                        .chained_inputs(ci.correlation, &ci.group, &w, &fired)
                        .into_iter()
                        .rev()
                    {
                        work.push_front(next);
                    }
                    if sr.correlation_reports(ci.correlation) {
                        out.push((sr.correlation(ci.correlation).rule.meta.title.clone(), ids));
                    }
                }
                states.insert(ci.key, serde_json::to_value(&st).unwrap());
            }
        }
        out
    }

    #[test]
    fn event_count_fires_once_and_ignores_redelivery() {
        let sr = rules(&[
            FAILED,
            "title: brute\ncorrelation: {type: event_count, rules: [failed], group-by: [user], timespan: 5m, condition: {gte: 3}}\n",
        ]);
        let fired = run(
            &sr,
            &[
                ("e1", "bob", "fail", 0),
                ("e2", "bob", "fail", 1),
                ("e2", "bob", "fail", 1),
                ("e3", "alice", "fail", 1),
                ("e4", "bob", "fail", 9),
                ("e5", "bob", "fail", 10),
                ("e6", "bob", "fail", 11),
                ("e6", "bob", "fail", 11),
                ("e5", "bob", "fail", 10),
            ],
        );
        assert_eq!(
            fired,
            vec![(
                "brute".to_string(),
                vec!["e4".into(), "e5".into(), "e6".into()]
            )],
            "e1/e2 fall out of the window; duplicates never count"
        );
    }

    #[test]
    fn temporal_ordered_and_unordered() {
        let sr = rules(&[
            FAILED,
            OK,
            "title: fail then ok\ncorrelation: {type: temporal_ordered, rules: [failed, ok], group-by: [user], timespan: 5m}\n",
            "title: ok then fail\ncorrelation: {type: temporal_ordered, rules: [ok, failed], group-by: [user], timespan: 5m}\n",
            "title: both\ncorrelation: {type: temporal, rules: [ok, failed], group-by: [user], timespan: 2m}\n",
        ]);
        let fired = run(
            &sr,
            &[
                ("e1", "alice", "fail", 0),
                ("e2", "alice", "ok", 1),
                ("e3", "bob", "ok", 10),
                ("e4", "bob", "fail", 20),
            ],
        );
        let titles: Vec<&str> = fired.iter().map(|f| f.0.as_str()).collect();
        assert_eq!(titles.iter().filter(|t| **t == "fail then ok").count(), 1);
        assert_eq!(
            titles.iter().filter(|t| **t == "ok then fail").count(),
            0,
            "bob's events are 10 minutes apart: {titles:?}"
        );
        assert_eq!(titles.iter().filter(|t| **t == "both").count(), 1);
    }

    #[test]
    fn chained_correlations() {
        let sr = rules(&[
            "title: burst then success\ncorrelation: {type: temporal_ordered, rules: [many_failed, ok], group-by: [user], timespan: 10m}\n",
            "title: many failed\nname: many_failed\ncorrelation: {type: event_count, rules: [failed], group-by: [user], timespan: 5m, condition: {gte: 3}}\n",
            FAILED,
            OK,
        ]);
        let got = run(
            &sr,
            &[
                ("e1", "bob", "fail", 0),
                ("e2", "bob", "fail", 1),
                ("e2", "bob", "fail", 1), // redelivered: not counted twice
                ("e3", "alice", "ok", 1),
                ("e4", "bob", "fail", 2),
                ("e5", "bob", "ok", 3),
                ("e6", "carol", "ok", 4),
                ("e7", "carol", "fail", 5),
                ("e8", "carol", "fail", 6),
                ("e9", "carol", "fail", 7),
            ],
        );
        // "many failed" only feeds the chained correlation; carol's burst
        // comes after her success.
        assert_eq!(
            got,
            vec![(
                "burst then success".to_string(),
                vec!["0:e1+e2+e4".to_string(), "e5".to_string()]
            )]
        );
    }

    #[test]
    fn aliases_map_group_fields_per_rule() {
        // `who` is the user of failed logons and the `ip` field of successes.
        let sr = rules(&[
            "title: fail then ok\ncorrelation: {type: temporal_ordered, rules: [failed, ok], group-by: [who], timespan: 10m, aliases: {who: {failed: user, ok: ip}}}\n",
            FAILED,
            OK,
        ]);
        let got = run(&sr, &[("bob", "bob", "fail", 0), ("bob", "alice", "ok", 1)]);
        assert_eq!(
            got,
            vec![(
                "fail then ok".to_string(),
                vec!["bob".to_string(), "bob".to_string()]
            )]
        );
    }

    #[test]
    fn value_count_and_upper_bound() {
        let sr = rules(&[
            FAILED,
            "title: spray\ncorrelation: {type: value_count, rules: [failed], group-by: [user], timespan: 1h, condition: {field: ip, gte: 3}}\n",
            "title: quiet\ncorrelation: {type: event_count, rules: [failed], group-by: [user], timespan: 5m, condition: {lt: 2}}\n",
        ]);
        let fired = run(
            &sr,
            &[
                ("a", "bob", "fail", 0),
                ("b", "bob", "fail", 1),
                ("c", "bob", "fail", 2),
                ("d", "bob", "fail", 30),
            ],
        );
        assert!(fired.contains(&("spray".into(), vec!["a".into(), "b".into(), "c".into()])));
        // Window [0, 5m] has 3 events (not < 2); it is judged when d arrives.
        assert!(!fired.iter().any(|f| f.0 == "quiet"), "{fired:?}");
    }

    #[test]
    fn suppressed_rules_only_feed_correlations() {
        let sr = rules(&[
            FAILED,
            OK,
            "title: c\ncorrelation: {type: event_count, rules: [failed], group-by: [user], timespan: 5m, condition: {gte: 2}}\n",
        ]);
        let mut cache = DispatchCache::default();
        let mut ev = LogEvent::from_json(&json!({"user": "x", "action": "fail"}));
        let e = sr.evaluate(&mut cache, &mut ev, "e1", Utc::now(), Some("user:x"));
        assert!(e.alerts.is_empty());
        assert_eq!(e.correlations.len(), 1);
        assert_eq!(e.correlations[0].group, vec![("user".into(), "x".into())]);
        assert_eq!(e.correlations[0].member.entity.as_deref(), Some("user:x"));
        let mut ev = LogEvent::from_json(&json!({"user": "x", "action": "ok"}));
        let e = sr.evaluate(&mut cache, &mut ev, "e2", Utc::now(), None);
        assert_eq!(e.alerts.len(), 1);
        assert!(e.correlations.is_empty());
    }
}
