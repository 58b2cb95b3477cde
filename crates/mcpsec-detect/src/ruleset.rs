//! A loaded, compiled set of Sigma rules with log-source dispatch.
//!
//! Loading never fails as a whole: every file that does not parse or
//! compile becomes a [`RuleError`] (path, category, reason) and the rest
//! loads. Each event is dispatched only to the rules whose log source fits
//! its channel and event ID (see [`crate::logsource`]).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::attack::{Attack, AttackMapping};
use crate::error::{RuleError, RuleErrorKind, RuleIssue};
use crate::event::{FieldAliases, LogEvent};
use crate::logsource::{LogSourceMap, SourceFilter};
use crate::sigma::compile::{CompileOptions, CompiledDetection};
use crate::sigma::rule::{
    CorrelationRule, FilterRule, LogSource, RuleDocument, RuleMeta, SigmaRule, parse_documents,
};

/// A compiled detection rule.
#[derive(Debug, Clone)]
pub struct CompiledRule {
    pub meta: RuleMeta,
    pub logsource: LogSource,
    pub path: PathBuf,
    pub attack: AttackMapping,
    pub source: SourceFilter,
    detection: CompiledDetection,
    /// Meta filters that apply to this rule: their conditions are AND-ed with
    /// the rule's (a filter usually says `condition: not selection`).
    filters: Vec<CompiledDetection>,
}

impl CompiledRule {
    /// Whether the event matches the rule's detection and every filter
    /// condition (log source dispatch is the rule set's job).
    pub fn matches(&self, ev: &LogEvent) -> bool {
        self.detection.matches(ev) && self.filters.iter().all(|f| f.matches(ev))
    }
}

/// What a correlation's `rules:` entry resolved to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CorrRef {
    /// A detection rule (index into [`RuleSet::rules`]).
    Rule(usize),
    /// Another correlation (index into [`RuleSet::correlations`]; always
    /// lower than the referring correlation's own index).
    Correlation(usize),
}

/// A correlation rule with its references resolved.
#[derive(Debug, Clone)]
pub struct LoadedCorrelation {
    pub rule: CorrelationRule,
    pub path: PathBuf,
    pub attack: AttackMapping,
    /// Indices of the detection rules it correlates directly.
    pub rule_indices: Vec<usize>,
    /// Each `rules:` entry resolved, in the order the rule names them.
    pub refs: Vec<CorrRef>,
}

impl LoadedCorrelation {
    /// The position in `rules:` of a reference (its first occurrence).
    pub fn position(&self, r: CorrRef) -> Option<usize> {
        self.refs.iter().position(|x| *x == r)
    }
}

/// How to load rules.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    pub compile: CompileOptions,
    /// Log source mapping; the built-in one when `None`.
    pub mapping: Option<LogSourceMap>,
    /// Skip the shared literal prefilter (results are the same; for
    /// benchmarks comparing with and without it).
    pub no_prefilter: bool,
}

/// Windows-event dispatch of rules by (channel, event ID).
#[derive(Debug, Default, Clone)]
struct Dispatch {
    by_key: HashMap<(String, u32), Vec<usize>>,
    by_channel: HashMap<String, Vec<usize>>,
    windows_any: Vec<usize>,
    non_windows: Vec<usize>,
    /// Per input kind of the mapping: the non-Windows rules that fit it.
    by_input: HashMap<&'static str, Vec<usize>>,
}

/// What dispatch looks at in an event.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum EventKey {
    /// A Windows event: lowercase channel and event ID (`u32::MAX` when absent).
    Windows(String, u32),
    /// A non-Windows event whose input kind is known.
    Input(&'static str),
    /// Any other event.
    Other,
}

#[derive(Debug, Default, Clone)]
pub struct RuleSet {
    rules: Vec<CompiledRule>,
    correlations: Vec<LoadedCorrelation>,
    aliases: HashMap<(String, u32), FieldAliases>,
    dispatch: Dispatch,
    inputs: std::collections::BTreeMap<String, LogSource>,
    /// Field aliases per input kind.
    input_aliases: HashMap<&'static str, FieldAliases>,
    /// The shared literal prefilter (see [`crate::sigma::prefilter`]).
    prefilter: Option<Arc<crate::sigma::prefilter::Prefilter>>,
    /// Rules for `product: windows` whose service or category is not in the mapping.
    pub unmapped_windows: usize,
}

fn is_rule_file(p: &Path) -> bool {
    matches!(p.extension().and_then(|e| e.to_str()), Some("yml" | "yaml"))
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>, errors: &mut Vec<RuleError>) {
    match std::fs::read_dir(dir) {
        Ok(rd) => {
            for e in rd.flatten() {
                let p = e.path();
                if p.is_dir() {
                    walk(&p, out, errors);
                } else if is_rule_file(&p) {
                    out.push(p);
                }
            }
        }
        Err(e) => errors.push(RuleError {
            path: dir.into(),
            title: None,
            issue: RuleIssue::new(RuleErrorKind::Io, e.to_string()),
        }),
    }
}

impl RuleSet {
    /// Loads every `.yml`/`.yaml` file below `path` with the built-in mapping.
    pub fn load_dir(path: impl AsRef<Path>) -> (RuleSet, Vec<RuleError>) {
        RuleSet::load_paths(&[path.as_ref().to_path_buf()], &LoadOptions::default())
    }

    /// Loads rule files and directories.
    pub fn load_paths(paths: &[PathBuf], opts: &LoadOptions) -> (RuleSet, Vec<RuleError>) {
        let mut errors = Vec::new();
        let mut files = Vec::new();
        for p in paths {
            if p.is_dir() {
                walk(p, &mut files, &mut errors);
            } else {
                files.push(p.clone());
            }
        }
        files.sort();
        let mut sources = Vec::with_capacity(files.len());
        for f in files {
            match std::fs::read(&f) {
                Ok(bytes) => match String::from_utf8(bytes) {
                    Ok(text) => sources.push((f, text)),
                    Err(_) => errors.push(RuleError {
                        path: f,
                        title: None,
                        issue: RuleIssue::new(RuleErrorKind::Yaml, "file is not UTF-8"),
                    }),
                },
                Err(e) => errors.push(RuleError {
                    path: f,
                    title: None,
                    issue: RuleIssue::new(RuleErrorKind::Io, e.to_string()),
                }),
            }
        }
        let (set, mut more) = RuleSet::from_sources(sources, opts);
        errors.append(&mut more);
        (set, errors)
    }

    /// Builds a rule set from (path, YAML text) pairs.
    pub fn from_sources(
        sources: Vec<(PathBuf, String)>,
        opts: &LoadOptions,
    ) -> (RuleSet, Vec<RuleError>) {
        let mapping = opts.mapping.clone().unwrap_or_else(LogSourceMap::builtin);
        let attack = Attack::embedded();
        let mut errors = Vec::new();
        let mut detections: Vec<(PathBuf, SigmaRule)> = Vec::new();
        let mut correlations: Vec<(PathBuf, CorrelationRule)> = Vec::new();
        let mut filters: Vec<(PathBuf, FilterRule)> = Vec::new();
        for (path, text) in sources {
            match parse_documents(&text) {
                Ok(docs) => {
                    for d in docs {
                        match d {
                            RuleDocument::Detection(r) => detections.push((path.clone(), r)),
                            RuleDocument::Correlation(c) => correlations.push((path.clone(), c)),
                            RuleDocument::Filter(f) => filters.push((path.clone(), f)),
                        }
                    }
                }
                Err(issue) => errors.push(RuleError {
                    path,
                    title: None,
                    issue,
                }),
            }
        }
        let mut set = RuleSet {
            aliases: mapping.aliases(),
            inputs: mapping.inputs.clone(),
            input_aliases: mapping
                .input_fields
                .iter()
                .filter_map(|(k, f)| {
                    let kind = crate::input::input_kind(k)?;
                    let m: HashMap<String, String> =
                        f.iter().map(|(a, b)| (a.clone(), b.clone())).collect();
                    Some((kind, Arc::new(m)))
                })
                .collect(),
            ..RuleSet::default()
        };
        for (path, r) in detections {
            match CompiledDetection::compile(&r.detection, &opts.compile) {
                Ok(detection) => {
                    let source = mapping.resolve(&r.logsource);
                    if matches!(
                        source,
                        SourceFilter::NonWindows {
                            unmapped_windows: true
                        }
                    ) {
                        set.unmapped_windows += 1;
                    }
                    set.rules.push(CompiledRule {
                        attack: attack.map_tags(&r.meta.tags),
                        meta: r.meta,
                        logsource: r.logsource,
                        path,
                        source,
                        detection,
                        filters: Vec::new(),
                    });
                }
                Err(issue) => errors.push(RuleError {
                    path,
                    title: Some(r.meta.title),
                    issue,
                }),
            }
        }
        let lookup = |set: &RuleSet, name: &str| -> Option<usize> {
            set.rules.iter().position(|r| {
                r.meta.id.as_deref() == Some(name) || r.meta.name.as_deref() == Some(name)
            })
        };
        for (path, f) in filters {
            let compiled = match CompiledDetection::compile(&f.detection, &opts.compile) {
                Ok(c) => c,
                Err(issue) => {
                    errors.push(RuleError {
                        path,
                        title: Some(f.meta.title),
                        issue,
                    });
                    continue;
                }
            };
            for name in &f.rules {
                match lookup(&set, name) {
                    Some(i) => set.rules[i].filters.push(compiled.clone()),
                    None => errors.push(RuleError {
                        path: path.clone(),
                        title: Some(f.meta.title.clone()),
                        issue: RuleIssue::new(
                            RuleErrorKind::UnknownReference,
                            format!("filter names unknown rule {name:?}"),
                        ),
                    }),
                }
            }
        }
        set.resolve_correlations(correlations, attack, &mut errors);
        if !opts.no_prefilter {
            set.build_prefilter();
        }
        set.build_dispatch();
        (set, errors)
    }

    /// Resolves correlation references (to detection rules first, then to
    /// other correlations: chaining) and orders correlations so that every
    /// correlation comes after those it refers to. A correlation naming an
    /// unknown or rejected rule, or part of a reference cycle, is rejected.
    fn resolve_correlations(
        &mut self,
        correlations: Vec<(PathBuf, CorrelationRule)>,
        attack: &Attack,
        errors: &mut Vec<RuleError>,
    ) {
        #[derive(Clone, Copy, PartialEq)]
        enum Pending {
            Rule(usize),
            Corr(usize),
        }
        let names = |c: &CorrelationRule, name: &str| {
            c.meta.id.as_deref() == Some(name) || c.meta.name.as_deref() == Some(name)
        };
        // Resolve names: detection rules first, then correlations (by position in `correlations`).
        let mut resolved: Vec<Option<Vec<Pending>>> = Vec::with_capacity(correlations.len());
        for (path, c) in &correlations {
            let mut refs = Vec::new();
            let mut ok = true;
            for name in &c.rules {
                let rule = self.rules.iter().position(|r| {
                    r.meta.id.as_deref() == Some(name.as_str())
                        || r.meta.name.as_deref() == Some(name.as_str())
                });
                match rule {
                    Some(i) => refs.push(Pending::Rule(i)),
                    None => match correlations.iter().position(|(_, o)| names(o, name)) {
                        Some(j) => refs.push(Pending::Corr(j)),
                        None => {
                            errors.push(RuleError {
                                path: path.clone(),
                                title: Some(c.meta.title.clone()),
                                issue: RuleIssue::new(
                                    RuleErrorKind::UnknownReference,
                                    format!("correlation names unknown rule {name:?}"),
                                ),
                            });
                            ok = false;
                            break;
                        }
                    },
                }
            }
            resolved.push(ok.then_some(refs));
        }
        // Topological order; a correlation whose dependency is rejected (or
        // that sits on a cycle) is rejected too.
        let n = correlations.len();
        let mut order: Vec<usize> = Vec::with_capacity(n);
        let mut placed: Vec<Option<usize>> = vec![None; n];
        let mut failed = vec![false; n];
        for (i, r) in resolved.iter().enumerate() {
            failed[i] = r.is_none();
        }
        loop {
            let mut progress = false;
            for i in 0..n {
                if placed[i].is_some() || failed[i] {
                    continue;
                }
                let deps = resolved[i].as_ref().expect("not failed");
                let mut ready = true;
                for d in deps {
                    if let Pending::Corr(j) = *d {
                        if failed[j] {
                            let (path, c) = &correlations[i];
                            let dep = &correlations[j].1.meta.title;
                            errors.push(RuleError {
                                path: path.clone(),
                                title: Some(c.meta.title.clone()),
                                issue: RuleIssue::new(
                                    RuleErrorKind::UnknownReference,
                                    format!("chained correlation {dep:?} was rejected"),
                                ),
                            });
                            failed[i] = true;
                            progress = true;
                            ready = false;
                            break;
                        }
                        if placed[j].is_none() {
                            ready = false;
                        }
                    }
                }
                if ready && !failed[i] {
                    placed[i] = Some(order.len());
                    order.push(i);
                    progress = true;
                }
            }
            if !progress {
                break;
            }
        }
        for i in 0..n {
            if placed[i].is_none() && !failed[i] {
                let (path, c) = &correlations[i];
                errors.push(RuleError {
                    path: path.clone(),
                    title: Some(c.meta.title.clone()),
                    issue: RuleIssue::new(
                        RuleErrorKind::InvalidValue,
                        "correlation references form a cycle",
                    ),
                });
            }
        }
        let mut correlations: Vec<Option<(PathBuf, CorrelationRule)>> =
            correlations.into_iter().map(Some).collect();
        for i in order {
            let (path, c) = correlations[i].take().expect("placed once");
            let refs: Vec<CorrRef> = resolved[i]
                .as_ref()
                .expect("placed")
                .iter()
                .map(|p| match *p {
                    Pending::Rule(r) => CorrRef::Rule(r),
                    Pending::Corr(j) => CorrRef::Correlation(placed[j].expect("dependency placed")),
                })
                .collect();
            let rule_indices = refs
                .iter()
                .filter_map(|r| match r {
                    CorrRef::Rule(i) => Some(*i),
                    CorrRef::Correlation(_) => None,
                })
                .collect();
            self.correlations.push(LoadedCorrelation {
                attack: attack.map_tags(&c.meta.tags),
                rule: c,
                path,
                rule_indices,
                refs,
            });
        }
    }

    fn build_prefilter(&mut self) {
        let mut dets: Vec<&mut CompiledDetection> = Vec::new();
        for r in &mut self.rules {
            dets.push(&mut r.detection);
            dets.extend(r.filters.iter_mut());
        }
        self.prefilter = Some(crate::sigma::compile::build_prefilter(&mut dets));
    }

    /// The shared literal prefilter, when built.
    pub fn prefilter(&self) -> Option<&Arc<crate::sigma::prefilter::Prefilter>> {
        self.prefilter.as_ref()
    }

    fn build_dispatch(&mut self) {
        let mut d = Dispatch::default();
        for (i, r) in self.rules.iter().enumerate() {
            match &r.source {
                SourceFilter::Windows(alts) => {
                    for (ch, ids) in alts {
                        if ids.is_empty() {
                            d.by_channel.entry(ch.clone()).or_default().push(i);
                        } else {
                            for id in ids {
                                d.by_key.entry((ch.clone(), *id)).or_default().push(i);
                            }
                        }
                    }
                }
                SourceFilter::WindowsAny => d.windows_any.push(i),
                SourceFilter::NonWindows { .. } => d.non_windows.push(i),
            }
        }
        for (name, ls) in &self.inputs {
            if let Some(kind) = crate::input::input_kind(name) {
                let fit = d
                    .non_windows
                    .iter()
                    .copied()
                    .filter(|&i| self.rules[i].logsource.fits(ls))
                    .collect();
                d.by_input.insert(kind, fit);
            }
        }
        self.dispatch = d;
    }

    pub fn rules(&self) -> &[CompiledRule] {
        &self.rules
    }

    pub fn correlations(&self) -> &[LoadedCorrelation] {
        &self.correlations
    }

    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Keeps only the rules `keep` accepts (before any hunting), e.g. by level.
    /// Correlations whose rules are dropped are dropped too.
    pub fn retain(&mut self, keep: impl Fn(&CompiledRule) -> bool) {
        let mut map = Vec::with_capacity(self.rules.len());
        let mut kept = Vec::new();
        let needed: HashSet<usize> = self
            .correlations
            .iter()
            .flat_map(|c| c.rule_indices.iter().copied())
            .collect();
        for (i, r) in std::mem::take(&mut self.rules).into_iter().enumerate() {
            if keep(&r) || needed.contains(&i) {
                map.push(Some(kept.len()));
                kept.push(r);
            } else {
                map.push(None);
            }
        }
        self.rules = kept;
        for c in &mut self.correlations {
            c.rule_indices = c.rule_indices.iter().filter_map(|&i| map[i]).collect();
            for r in &mut c.refs {
                if let CorrRef::Rule(i) = r {
                    *i = map[*i].expect("rules used by correlations are kept");
                }
            }
        }
        self.build_dispatch();
    }

    /// The dispatch key of an event.
    pub fn event_key(ev: &LogEvent) -> EventKey {
        match ev.get("Channel").and_then(|v| v.as_lower_text()) {
            Some(ch) => {
                let id = ev
                    .get("EventID")
                    .and_then(|v| v.as_f64())
                    .map(|v| v as u32)
                    .unwrap_or(u32::MAX);
                EventKey::Windows(ch.to_string(), id)
            }
            None => match ev.input() {
                Some(k) => EventKey::Input(k),
                None => EventKey::Other,
            },
        }
    }

    /// The candidate rules for an event key (see [`RuleSet::event_key`]), sorted.
    pub fn candidates(&self, key: &EventKey) -> Vec<usize> {
        let d = &self.dispatch;
        let (ch, id) = match key {
            EventKey::Other => return d.non_windows.clone(),
            EventKey::Input(k) => {
                return d.by_input.get(k).unwrap_or(&d.non_windows).clone();
            }
            EventKey::Windows(ch, id) => (ch, *id),
        };
        let mut v: Vec<usize> = Vec::new();
        if let Some(x) = d.by_key.get(&(ch.clone(), id)) {
            v.extend(x);
        }
        if let Some(x) = d.by_channel.get(ch) {
            v.extend(x);
        }
        v.extend(&d.windows_any);
        v.sort_unstable();
        v.dedup();
        v
    }

    /// Field aliases for an event key.
    pub fn aliases_for(&self, key: &EventKey) -> Option<FieldAliases> {
        match key {
            EventKey::Windows(ch, id) => self.aliases.get(&(ch.clone(), *id)).cloned(),
            EventKey::Input(k) => self.input_aliases.get(k).cloned(),
            EventKey::Other => None,
        }
    }
}

type CacheEntry = (Arc<Vec<usize>>, Option<FieldAliases>);

/// A per-thread cache of candidate lists by event key. Looked up without
/// allocating: a linear scan over the keys seen (a log file has few
/// channel/event ID pairs), a hash map beyond [`DispatchCache::SCAN`].
#[derive(Debug, Default)]
pub struct DispatchCache {
    recent: Vec<(EventKey, CacheEntry)>,
    map: HashMap<EventKey, CacheEntry>,
}

impl DispatchCache {
    /// Keys kept in the linear-scan list.
    pub const SCAN: usize = 64;

    /// Prepares an event (sets its field aliases and the rule set's
    /// prefilter) and returns its candidate rules.
    pub fn prepare(&mut self, set: &RuleSet, ev: &mut LogEvent) -> Arc<Vec<usize>> {
        let channel = ev.get("Channel").and_then(|v| v.as_lower_text());
        let id = channel.map(|_| {
            ev.get("EventID")
                .and_then(|v| v.as_f64())
                .map(|v| v as u32)
                .unwrap_or(u32::MAX)
        });
        let input = ev.input();
        let same = |k: &EventKey| match (k, channel) {
            (EventKey::Windows(c, i), Some(ch)) => Some(*i) == id && c == ch,
            (EventKey::Input(k), None) => input == Some(*k),
            (EventKey::Other, None) => input.is_none(),
            _ => false,
        };
        let found = self
            .recent
            .iter()
            .find(|(k, _)| same(k))
            .map(|(_, e)| e.clone());
        let (cands, aliases) = match found {
            Some(e) => e,
            None => {
                let key = RuleSet::event_key(ev);
                match self.map.get(&key) {
                    Some(e) => e.clone(),
                    None => {
                        let e = (Arc::new(set.candidates(&key)), set.aliases_for(&key));
                        if self.recent.len() < Self::SCAN {
                            self.recent.push((key, e.clone()));
                        } else {
                            self.map.insert(key, e.clone());
                        }
                        e
                    }
                }
            }
        };
        ev.set_aliases(aliases);
        ev.set_prefilter(set.prefilter.clone());
        cands
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn src(name: &str, text: &str) -> (PathBuf, String) {
        (PathBuf::from(name), text.to_string())
    }

    #[test]
    fn bad_rules_are_reported_and_skipped() {
        let (set, errs) = RuleSet::from_sources(
            vec![
                src(
                    "good.yml",
                    "title: g\nid: g1\nlogsource: {product: windows, category: process_creation}\ndetection: {s: {Image|endswith: '\\x.exe'}, condition: s}\n",
                ),
                src("yaml.yml", "title: [\n"),
                src(
                    "regex.yml",
                    "title: r\nlogsource: {product: windows}\ndetection: {s: {a|re: '(?!x)'}, condition: s}\n",
                ),
                src(
                    "expand.yml",
                    "title: e\nlogsource: {product: windows}\ndetection: {s: {a|expand: '%x%'}, condition: s}\n",
                ),
            ],
            &LoadOptions::default(),
        );
        assert_eq!(set.len(), 1);
        let kinds: Vec<_> = errs
            .iter()
            .map(|e| (e.path.to_str().unwrap().to_string(), e.kind()))
            .collect();
        assert!(
            kinds.contains(&("yaml.yml".into(), RuleErrorKind::Yaml)),
            "{kinds:?}"
        );
        assert!(
            kinds.contains(&("regex.yml".into(), RuleErrorKind::Regex)),
            "{kinds:?}"
        );
        assert!(
            kinds.contains(&("expand.yml".into(), RuleErrorKind::Unsupported)),
            "{kinds:?}"
        );
        assert_eq!(errs[0].title, None);
        assert!(errs.iter().any(|e| e.title.as_deref() == Some("r")));
    }

    #[test]
    fn dispatch_by_channel_and_event_id() {
        let (set, errs) = RuleSet::from_sources(
            vec![
                src(
                    "a.yml",
                    "title: proc\nlogsource: {product: windows, category: process_creation}\ndetection: {s: {Image|endswith: '\\whoami.exe'}, condition: s}\n",
                ),
                src(
                    "b.yml",
                    "title: sec\nlogsource: {product: windows, service: security}\ndetection: {s: {EventID: 4625}, condition: s}\n",
                ),
                src(
                    "c.yml",
                    "title: any\nlogsource: {product: windows}\ndetection: {k: [mimikatz], condition: k}\n",
                ),
                src(
                    "d.yml",
                    "title: linux\nlogsource: {product: linux}\ndetection: {s: {cmd|contains: whoami}, condition: s}\n",
                ),
            ],
            &LoadOptions::default(),
        );
        assert!(errs.is_empty(), "{errs:?}");
        let mut cache = DispatchCache::default();
        let names = |ev: serde_json::Value, cache: &mut DispatchCache| -> Vec<String> {
            let mut e = LogEvent::from_json(&ev);
            let c = cache.prepare(&set, &mut e);
            c.iter()
                .filter(|&&i| set.rules()[i].matches(&e))
                .map(|&i| set.rules()[i].meta.title.clone())
                .collect()
        };
        // Security 4688 gets field translation: NewProcessName -> Image.
        assert_eq!(
            names(
                json!({"Channel": "Security", "EventID": 4688, "NewProcessName": "C:\\Windows\\whoami.exe"}),
                &mut cache
            ),
            vec!["proc"]
        );
        assert_eq!(
            names(
                json!({"Channel": "Microsoft-Windows-Sysmon/Operational", "EventID": 1, "Image": "C:\\whoami.exe"}),
                &mut cache
            ),
            vec!["proc"]
        );
        // Same fields, wrong event ID: not dispatched to the process_creation rule.
        assert!(names(json!({"Channel": "Microsoft-Windows-Sysmon/Operational", "EventID": 3, "Image": "C:\\whoami.exe"}), &mut cache).is_empty());
        assert_eq!(
            names(
                json!({"Channel": "Security", "EventID": 4625, "x": "mimikatz"}),
                &mut cache
            ),
            vec!["sec", "any"]
        );
        assert_eq!(
            names(json!({"cmd": "whoami", "x": "mimikatz"}), &mut cache),
            vec!["linux"]
        );
    }

    #[test]
    fn filters_and_correlation_references() {
        let (set, errs) = RuleSet::from_sources(
            vec![
                src(
                    "r.yml",
                    "title: r\nid: rid\nlogsource: {product: test}\ndetection: {s: {a: 1}, condition: s}\n",
                ),
                src(
                    "f.yml",
                    "title: f\nlogsource: {product: test}\nfilter:\n  rules: [rid]\n  sel: {b: 1}\n  condition: not sel\n",
                ),
                src(
                    "c.yml",
                    "title: c\ncorrelation: {type: event_count, rules: [rid], group-by: [u], timespan: 1m, condition: {gte: 2}}\n",
                ),
                src(
                    "c2.yml",
                    "title: c2\ncorrelation: {type: temporal, rules: [rid, nope], timespan: 1m}\n",
                ),
            ],
            &LoadOptions::default(),
        );
        assert_eq!(set.correlations().len(), 1);
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].kind(), RuleErrorKind::UnknownReference);
        let r = &set.rules()[0];
        assert!(r.matches(&LogEvent::from_json(&json!({"a": 1}))));
        assert!(
            !r.matches(&LogEvent::from_json(&json!({"a": 1, "b": 1}))),
            "filter `not sel` excludes b = 1"
        );
    }
}
