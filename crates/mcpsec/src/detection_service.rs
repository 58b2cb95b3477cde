//! Streaming detection in the platform: the worker's [`EventHandler`] for
//! `log.received` events, and the API's [`DetectionCapability`] (rule
//! validation, ATT&CK tactics), both over `mcpsec-detect`.
//!
//! Each tenant's compiled rule set is the built-in set (`detection.rules_dir`)
//! plus the tenant's own rules from the store; the handler checks the
//! tenant's rule version once per batch and recompiles when it moved, so a
//! rule added through the API matches from the next batch on, in every worker.
//!
//! Alerts get deterministic ids (a hash of tenant, rule and event ids), so a
//! redelivered batch stores nothing twice; `alert.created` events carry the
//! alert id as their event id, so the store deduplicates them as well.
//! Correlation state is loaded from the store before a batch and saved after
//! its alerts are stored: a crash in between recomputes the same alerts (same
//! ids), and a restart resumes the windows where they were.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::Context;
use chrono::{DateTime, Utc};
use mcpsec_core::TenantId;
use mcpsec_core::bus::BusMessage;
use mcpsec_core::detection::{CorrelationState, CorrelationWrite, SaveOutcome};
use mcpsec_core::domain::{Alert, Severity};
use mcpsec_core::event::{AlertCreated, Event, EventType, LogReceived};
use mcpsec_core::store::{Store, StoreError};
use mcpsec_detect::LogEvent;
use mcpsec_detect::attack::Attack;
use mcpsec_detect::input;
use mcpsec_detect::logsource::LogSourceMap;
use mcpsec_detect::ruleset::{DispatchCache, LoadOptions, RuleSet};
use mcpsec_detect::sigma::rule::{RuleDocument, parse_documents};
use mcpsec_detect::stream::{CorrelationInput, GroupState, Member, StreamRules, rule_identity};
use mcpsec_server::{
    Backends, DetectionCapability, EventHandler, HandlerError, RuleCheck, TacticInfo,
};
use sha2::{Digest, Sha256};

use crate::config::DetectionConfig;

/// ATT&CK Enterprise tactics in kill-chain order.
const KILL_CHAIN: &[&str] = &[
    "reconnaissance",
    "resource-development",
    "initial-access",
    "execution",
    "persistence",
    "privilege-escalation",
    "defense-evasion",
    "credential-access",
    "discovery",
    "lateral-movement",
    "collection",
    "command-and-control",
    "exfiltration",
    "impact",
];

/// Record fields naming the host, in order of preference (after the
/// payload's own `host`).
const HOST_FIELDS: &[&str] = &[
    "Computer",
    "host.name",
    "hostname",
    "host",
    "Hostname",
    "dvchost",
    "identHostName",
];
/// Record fields naming the user.
const USER_FIELDS: &[&str] = &[
    "TargetUserName",
    "SubjectUserName",
    "User",
    "user.name",
    "UserName",
    "user",
    "username",
    // CEF, LEEF, CloudTrail.
    "suser",
    "duser",
    "usrName",
    "userIdentity.userName",
    "userIdentity.arn",
];

/// The rules every tenant gets, read once at start.
#[derive(Clone, Default)]
pub struct BuiltinRules {
    sources: Arc<Vec<(PathBuf, String)>>,
    options: LoadOptions,
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for e in std::fs::read_dir(dir)? {
        let p = e?.path();
        if p.is_dir() {
            walk(&p, out)?;
        } else if matches!(p.extension().and_then(|e| e.to_str()), Some("yml" | "yaml")) {
            out.push(p);
        }
    }
    Ok(())
}

impl BuiltinRules {
    /// Reads `detection.rules_dir` (a directory searched recursively, or a
    /// file) and `detection.mapping`; rules that do not load are logged.
    pub fn load(cfg: &DetectionConfig) -> anyhow::Result<BuiltinRules> {
        let mut options = LoadOptions::default();
        if let Some(m) = &cfg.mapping {
            let text = std::fs::read_to_string(m)
                .with_context(|| format!("reading detection.mapping {}", m.display()))?;
            let mut map = LogSourceMap::builtin();
            map.merge(
                LogSourceMap::from_yaml(&text)
                    .with_context(|| format!("detection.mapping {}", m.display()))?,
            );
            options.mapping = Some(map);
        }
        let mut sources = Vec::new();
        if let Some(dir) = &cfg.rules_dir {
            let mut files = Vec::new();
            if dir.is_dir() {
                walk(dir, &mut files)
                    .with_context(|| format!("reading detection.rules_dir {}", dir.display()))?;
            } else {
                files.push(dir.clone());
            }
            files.sort();
            for f in files {
                match std::fs::read_to_string(&f) {
                    Ok(text) => sources.push((f, text)),
                    Err(e) => tracing::warn!(path = %f.display(), error = %e, "rule file skipped"),
                }
            }
        }
        let b = BuiltinRules {
            sources: Arc::new(sources),
            options,
        };
        let (set, errors) = b.compile(&[]);
        for e in &errors {
            tracing::warn!(error = %e, "built-in rule rejected");
        }
        tracing::info!(
            rules = set.len(),
            correlations = set.correlations().len(),
            rejected = errors.len(),
            "detection rules loaded"
        );
        Ok(b)
    }

    /// Adds demo rules (for `serve --demo`).
    pub fn with_extra(mut self, extra: Vec<(PathBuf, String)>) -> BuiltinRules {
        let mut v = (*self.sources).clone();
        v.extend(extra);
        self.sources = Arc::new(v);
        self
    }

    /// The built-in rules plus `more`.
    fn compile(&self, more: &[(PathBuf, String)]) -> (RuleSet, Vec<mcpsec_detect::RuleError>) {
        let mut all = (*self.sources).clone();
        all.extend(more.iter().cloned());
        RuleSet::from_sources(all, &self.options)
    }
}

fn tenant_rule_path(id: &str) -> PathBuf {
    PathBuf::from(format!("tenant-rules/{id}.yml"))
}

/// The API side: validates uploaded rules, looks up ATT&CK tactics.
pub struct DetectionApi {
    builtin: BuiltinRules,
}

impl DetectionApi {
    pub fn new(builtin: BuiltinRules) -> DetectionApi {
        DetectionApi { builtin }
    }
}

impl DetectionCapability for DetectionApi {
    fn check_rule(
        &self,
        yaml: &str,
        tenant_rules: &[(String, String)],
    ) -> Result<RuleCheck, String> {
        let docs = parse_documents(yaml).map_err(|e| e.to_string())?;
        let meta = match docs.first() {
            Some(RuleDocument::Detection(r)) => &r.meta,
            Some(RuleDocument::Correlation(c)) => &c.meta,
            Some(RuleDocument::Filter(f)) => &f.meta,
            None => return Err("schema: the file holds no rule".into()),
        };
        let check = RuleCheck {
            title: meta.title.clone(),
            level: meta.level,
        };
        // Compile in context (built-in and the tenant's other rules), so a
        // correlation may name rules defined elsewhere; report only this
        // file's problems.
        let marker = PathBuf::from("uploaded rule");
        let mut more: Vec<(PathBuf, String)> = tenant_rules
            .iter()
            .map(|(id, y)| (tenant_rule_path(id), y.clone()))
            .collect();
        more.push((marker.clone(), yaml.to_string()));
        let (_, errors) = self.builtin.compile(&more);
        let mine: Vec<String> = errors
            .iter()
            .filter(|e| e.path == marker)
            .map(|e| match &e.title {
                Some(t) => format!("{t:?}: {}", e.issue),
                None => e.issue.to_string(),
            })
            .collect();
        if mine.is_empty() {
            Ok(check)
        } else {
            Err(mine.join("; "))
        }
    }

    fn tactics_of(&self, technique: &str) -> Vec<TacticInfo> {
        let attack = Attack::embedded();
        let tech = attack.technique(technique).or_else(|| {
            technique
                .split_once('.')
                .and_then(|(parent, _)| attack.technique(parent))
        });
        let Some(tech) = tech else {
            return Vec::new();
        };
        tech.tactics
            .iter()
            .filter_map(|short| {
                let t = attack.tactic_by_shortname(short)?;
                Some(TacticInfo {
                    id: t.id.clone(),
                    name: t.name.clone(),
                    order: KILL_CHAIN
                        .iter()
                        .position(|k| k == short)
                        .unwrap_or(KILL_CHAIN.len()),
                })
            })
            .collect()
    }
}

/// The worker side: evaluates `log.received` events.
pub struct DetectionService {
    builtin: BuiltinRules,
    builtin_engine: Arc<StreamRules>,
    /// Per tenant: the rule version compiled and its engine.
    tenants: Mutex<HashMap<TenantId, (u64, Arc<StreamRules>)>>,
    /// One batch at a time per process, so the group members of this worker
    /// never update one correlation state concurrently.
    batch_lock: tokio::sync::Mutex<()>,
}

fn unavailable_or_failed(e: StoreError) -> HandlerError {
    match e {
        StoreError::Unavailable(m) => HandlerError::Unavailable(m),
        other => HandlerError::Failed(other.to_string()),
    }
}

fn hash_id(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0u8]);
    }
    let d = h.finalize();
    d[..16].iter().map(|b| format!("{b:02x}")).collect()
}

fn text_of(ev: &LogEvent, fields: &[&str]) -> Option<String> {
    fields.iter().find_map(|f| {
        ev.get(f)
            .and_then(|v| v.as_text())
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty() && t != "-")
    })
}

/// `host:<host>` from the payload or the record, else `user:<user>`.
fn entity_of(payload_host: Option<&str>, ev: &LogEvent) -> Option<String> {
    if let Some(h) = payload_host.map(str::trim).filter(|h| !h.is_empty()) {
        return Some(format!("host:{h}"));
    }
    if let Some(h) = text_of(ev, HOST_FIELDS) {
        return Some(format!("host:{h}"));
    }
    text_of(ev, USER_FIELDS).map(|u| format!("user:{u}"))
}

/// The entity of a correlation: a user or host group-by field, else the
/// entity of its newest event.
fn correlation_entity(group: &[(String, String)], members: &[Member]) -> Option<String> {
    for (field, value) in group {
        let f = field.to_ascii_lowercase();
        if value.is_empty() {
            continue;
        }
        if f.contains("user") {
            return Some(format!("user:{value}"));
        }
        if f.contains("computer") || f.contains("host") || f.contains("workstation") {
            return Some(format!("host:{value}"));
        }
    }
    members.iter().rev().find_map(|m| m.entity.clone())
}

impl DetectionService {
    pub fn new(builtin: BuiltinRules) -> DetectionService {
        let (set, _) = builtin.compile(&[]);
        DetectionService {
            builtin_engine: Arc::new(StreamRules::new(set)),
            builtin,
            tenants: Mutex::new(HashMap::new()),
            batch_lock: tokio::sync::Mutex::new(()),
        }
    }

    /// The tenant's engine, recompiled when its rule version moved.
    async fn engine_for(
        &self,
        store: &dyn Store,
        tenant: &TenantId,
    ) -> Result<Arc<StreamRules>, HandlerError> {
        let version = store
            .rules_version(tenant)
            .await
            .map_err(unavailable_or_failed)?;
        if version == 0 {
            return Ok(self.builtin_engine.clone());
        }
        if let Some((v, e)) = self.tenants.lock().expect("lock").get(tenant)
            && *v == version
        {
            return Ok(e.clone());
        }
        let rules = store
            .list_rules(tenant)
            .await
            .map_err(unavailable_or_failed)?;
        let more: Vec<(PathBuf, String)> = rules
            .into_iter()
            .map(|r| (tenant_rule_path(&r.id), r.yaml))
            .collect();
        let builtin = self.builtin.clone();
        let (set, errors) = tokio::task::spawn_blocking(move || builtin.compile(&more))
            .await
            .map_err(|e| HandlerError::Failed(format!("compiling rules: {e}")))?;
        for e in errors.iter().filter(|e| e.path.starts_with("tenant-rules")) {
            tracing::warn!(%tenant, error = %e, "tenant rule rejected");
        }
        tracing::info!(%tenant, version, rules = set.len(), "tenant rules reloaded");
        metrics::counter!("mcpsec_detection_rule_reloads_total").increment(1);
        let engine = Arc::new(StreamRules::new(set));
        self.tenants
            .lock()
            .expect("lock")
            .insert(tenant.clone(), (version, engine.clone()));
        Ok(engine)
    }

    async fn handle_tenant(
        &self,
        b: &Backends,
        tenant: &TenantId,
        events: &[&Event],
    ) -> Result<(), HandlerError> {
        let engine = self.engine_for(b.store.as_ref(), tenant).await?;
        let mut cache = DispatchCache::default();
        let mut alerts: Vec<Alert> = Vec::new();
        let mut inputs = Vec::new();
        let now = Utc::now();
        for e in events {
            let payload: LogReceived = match e.payload() {
                Ok(p) => p,
                Err(err) => {
                    tracing::warn!(event = %e.id, error = %err, "log.received payload skipped");
                    continue;
                }
            };
            let record = serde_json::Value::Object(payload.record.into_iter().collect());
            // CloudTrail records are recognised by shape; CEF/LEEF/syslog by the
            // payload's format (set by the syslog listener).
            let mut ev = input::event_from_json(&record);
            if ev.input().is_none() {
                ev.set_input(input::input_kind(&payload.format));
            }
            let time = input::event_time(&ev).unwrap_or(e.time);
            let entity = entity_of(payload.host.as_deref(), &ev);
            let out = engine.evaluate(&mut cache, &mut ev, &e.id, time, entity.as_deref());
            for i in out.alerts {
                let r = engine.rule(i);
                let rule_id = rule_identity(&r.meta);
                alerts.push(Alert {
                    tenant: tenant.clone(),
                    id: hash_id(&[tenant.as_str(), "rule", &rule_id, &e.id]),
                    rule_id,
                    title: r.meta.title.clone(),
                    severity: r.meta.level.unwrap_or(Severity::Medium),
                    entity: entity.clone(),
                    techniques: r.attack.techniques.iter().map(|t| t.id.clone()).collect(),
                    event_ids: vec![e.id.clone()],
                    created_at: now,
                });
            }
            inputs.extend(out.correlations);
        }
        metrics::counter!("mcpsec_detection_events_total").increment(events.len() as u64);

        // Correlations: load the touched group states with their versions,
        // advance them in event time order and save them only if nobody else
        // changed them meanwhile (optimistic concurrency). On a conflict the
        // states are reloaded and the batch's members re-applied: members are
        // idempotent by event id and firings deterministic, so the result
        // equals applying both writers' members serially. The correlation
        // alerts are stored in the same transaction as the states, pending
        // publication (a redelivered batch would not fire them again), and
        // marked published once `alert.created` is on the bus; the
        // maintenance task republishes any a crash left pending.
        let mut stored: Vec<Alert> = Vec::new();
        if !inputs.is_empty() {
            inputs.sort_by_key(|i| i.member.time);
            let mut attempt = 0u32;
            loop {
                attempt += 1;
                let (corr_alerts, writes) =
                    advance_correlations(b, tenant, &engine, &inputs, now).await?;
                if writes.is_empty() && corr_alerts.is_empty() {
                    break;
                }
                match b
                    .store
                    .save_correlation_states(tenant, &writes, &corr_alerts)
                    .await
                    .map_err(unavailable_or_failed)?
                {
                    SaveOutcome::Saved => {
                        stored = corr_alerts;
                        break;
                    }
                    SaveOutcome::Conflict(keys) => {
                        metrics::counter!("mcpsec_detection_state_conflicts_total").increment(1);
                        if attempt >= STATE_SAVE_ATTEMPTS {
                            tracing::warn!(%tenant, attempt, keys = ?keys, "correlation state conflicts persist; batch will be redelivered");
                            return Err(HandlerError::Unavailable(format!(
                                "correlation state changed concurrently {attempt} times: {}",
                                keys.join(", ")
                            )));
                        }
                        tracing::debug!(%tenant, attempt, keys = ?keys, "correlation state conflict; retrying");
                        tokio::time::sleep(conflict_backoff(attempt)).await;
                    }
                }
            }
        }

        let mut messages = Vec::with_capacity(alerts.len() + stored.len());
        for a in &alerts {
            if b.store
                .insert_alert(a)
                .await
                .map_err(unavailable_or_failed)?
            {
                metrics::counter!("mcpsec_detection_alerts_total").increment(1);
            }
            messages.push(alert_message(a)?);
        }
        metrics::counter!("mcpsec_detection_alerts_total").increment(stored.len() as u64);
        for a in &stored {
            messages.push(alert_message(a)?);
        }
        if !messages.is_empty() {
            // Published on every delivery (at least once); the event id is the
            // alert id, so the store records each alert.created once.
            b.bus
                .publish(messages)
                .await
                .map_err(|e| HandlerError::Unavailable(e.to_string()))?;
        }
        mark_published(b.store.as_ref(), tenant, &stored).await;
        Ok(())
    }
}

/// Clears the pending mark of alerts whose `alert.created` was published. A
/// failure only means the maintenance task publishes them once more (the
/// event id is the alert id, so consumers see one alert).
async fn mark_published(store: &dyn Store, tenant: &TenantId, alerts: &[Alert]) {
    if alerts.is_empty() {
        return;
    }
    let ids: Vec<String> = alerts.iter().map(|a| a.id.clone()).collect();
    if let Err(err) = store.mark_alerts_published(tenant, &ids).await {
        tracing::warn!(%tenant, error = %err, alerts = ids.len(), "marking alerts published failed; the maintenance task will republish them");
    }
}

/// What the detection maintenance task does each round.
#[derive(Debug, Clone, Copy)]
pub struct MaintenanceConfig {
    /// Time between rounds.
    pub interval: std::time::Duration,
    /// How old a pending alert must be before it is republished (leaves the
    /// handler that stored it time to publish it itself).
    pub pending_grace: std::time::Duration,
    /// Pending alerts republished per round at most.
    pub batch: usize,
}

/// What one maintenance round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct MaintenanceRound {
    /// Idle correlation groups deleted.
    pub expired_states: u64,
    /// Pending alerts published again.
    pub republished_alerts: u64,
}

/// One maintenance round at `now`: deletes correlation states idle past their
/// timespan and publishes `alert.created` for correlation alerts a crash
/// left pending (stored with their state, never published).
pub async fn maintenance_round(
    b: &Backends,
    cfg: &MaintenanceConfig,
    now: chrono::DateTime<Utc>,
) -> anyhow::Result<MaintenanceRound> {
    let expired_states = b.store.delete_expired_correlation_states(now).await?;
    let grace = chrono::Duration::from_std(cfg.pending_grace)?;
    let pending = b.store.pending_alerts(now - grace, cfg.batch).await?;
    let mut by_tenant: HashMap<TenantId, Vec<Alert>> = HashMap::new();
    for a in pending {
        by_tenant.entry(a.tenant.clone()).or_default().push(a);
    }
    let mut republished_alerts = 0;
    for (tenant, alerts) in by_tenant {
        let messages = alerts
            .iter()
            .map(alert_message)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        b.bus.publish(messages).await?;
        republished_alerts += alerts.len() as u64;
        mark_published(b.store.as_ref(), &tenant, &alerts).await;
    }
    metrics::counter!("mcpsec_detection_states_expired_total").increment(expired_states);
    metrics::counter!("mcpsec_detection_alerts_republished_total").increment(republished_alerts);
    Ok(MaintenanceRound {
        expired_states,
        republished_alerts,
    })
}

/// Runs [`maintenance_round`] every `cfg.interval` until `stop` resolves;
/// a failed round is logged and the next one tried.
pub async fn run_maintenance(
    b: Backends,
    cfg: MaintenanceConfig,
    stop: impl std::future::Future<Output = ()>,
) {
    let mut tick = tokio::time::interval(cfg.interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(stop);
    loop {
        tokio::select! {
            _ = &mut stop => return,
            _ = tick.tick() => {}
        }
        match maintenance_round(&b, &cfg, Utc::now()).await {
            Ok(r) if r != MaintenanceRound::default() => {
                tracing::info!(
                    expired_states = r.expired_states,
                    republished_alerts = r.republished_alerts,
                    "detection maintenance"
                )
            }
            Ok(_) => {}
            Err(err) => tracing::warn!(error = %err, "detection maintenance round failed"),
        }
    }
}

/// Saves of correlation state tried per batch before it fails (redelivered).
const STATE_SAVE_ATTEMPTS: u32 = 5;

/// Random delay before retry `attempt` (1-based): up to 10 ms × 2^attempt.
fn conflict_backoff(attempt: u32) -> std::time::Duration {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u32(attempt);
    let cap_ms = 10u64 << attempt.min(6);
    std::time::Duration::from_millis(h.finish() % (cap_ms + 1))
}

fn decode_states(
    tenant: &TenantId,
    loaded: Vec<CorrelationState>,
    states: &mut HashMap<String, GroupState>,
    versions: &mut HashMap<String, u64>,
) {
    for s in loaded {
        versions.insert(s.key.clone(), s.version);
        match serde_json::from_value::<GroupState>(s.state) {
            Ok(st) => {
                states.insert(s.key, st);
            }
            Err(err) => {
                tracing::warn!(%tenant, key = %s.key, error = %err, "unreadable correlation state reset")
            }
        }
    }
}

/// One attempt: loads the group states `inputs` touch (and those of chained
/// correlations on first use), applies the members in order and returns the
/// alerts that fired and the conditional writes of the changed states.
async fn advance_correlations(
    b: &Backends,
    tenant: &TenantId,
    engine: &StreamRules,
    inputs: &[CorrelationInput],
    now: DateTime<Utc>,
) -> Result<(Vec<Alert>, Vec<CorrelationWrite>), HandlerError> {
    let mut alerts = Vec::new();
    let mut keys: Vec<String> = inputs.iter().map(|i| i.key.clone()).collect();
    keys.sort();
    keys.dedup();
    let loaded = b
        .store
        .load_correlation_states(tenant, &keys)
        .await
        .map_err(unavailable_or_failed)?;
    let mut states: HashMap<String, GroupState> = HashMap::new();
    let mut versions: HashMap<String, u64> = HashMap::new();
    decode_states(tenant, loaded, &mut states, &mut versions);
    // A firing feeds the correlations chained on it right away (depth
    // first); their states are loaded on first use.
    let mut loaded_keys: std::collections::HashSet<String> = keys.into_iter().collect();
    let mut work: std::collections::VecDeque<_> = inputs.iter().cloned().collect();
    // Touched keys in first-touch order, with their correlation's timespan.
    let mut touched: Vec<(String, chrono::Duration)> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    while let Some(input) = work.pop_front() {
        if loaded_keys.insert(input.key.clone()) {
            let more = b
                .store
                .load_correlation_states(tenant, std::slice::from_ref(&input.key))
                .await
                .map_err(unavailable_or_failed)?;
            decode_states(tenant, more, &mut states, &mut versions);
        }
        let c = engine.correlation(input.correlation);
        let st = states.entry(input.key.clone()).or_default();
        for window in st.apply(c, input.member) {
            let rule_id = rule_identity(&c.rule.meta);
            let mut ids: Vec<String> = window.iter().map(|m| m.id.clone()).collect();
            let mut sorted = ids.clone();
            sorted.sort();
            ids.dedup();
            let alert_id = hash_id(&[
                tenant.as_str(),
                "correlation",
                &rule_id,
                &sorted.join("\u{1f}"),
            ]);
            for next in engine
                .chained_inputs(input.correlation, &input.group, &window, &alert_id)
                .into_iter()
                .rev()
            {
                work.push_front(next);
            }
            if !engine.correlation_reports(input.correlation) {
                continue;
            }
            alerts.push(Alert {
                tenant: tenant.clone(),
                id: alert_id,
                rule_id,
                title: c.rule.meta.title.clone(),
                severity: c.rule.meta.level.unwrap_or(Severity::Medium),
                entity: correlation_entity(&input.group, &window),
                techniques: c.attack.techniques.iter().map(|t| t.id.clone()).collect(),
                event_ids: ids,
                created_at: now,
            });
        }
        if seen.insert(input.key.clone()) {
            let span = chrono::Duration::from_std(c.rule.timespan).unwrap_or(chrono::Duration::MAX);
            touched.push((input.key.clone(), span));
        }
    }
    let mut writes = Vec::with_capacity(touched.len());
    for (key, span) in touched {
        let (state, expires_at) = match states.get(&key) {
            Some(st) if !st.is_empty() => {
                let newest = st
                    .members
                    .iter()
                    .map(|m| m.time)
                    .chain(st.consumed.iter().map(|(_, t)| *t))
                    .max();
                let value = serde_json::to_value(st).map_err(|e| {
                    HandlerError::Failed(format!("encoding correlation state: {e}"))
                })?;
                // Idle past its window in event time AND untouched for a
                // timespan of processing time: replayed or late logs (event
                // times in the past) keep their group while they arrive.
                let by_event = newest.and_then(|t| t.checked_add_signed(span));
                let by_processing = now.checked_add_signed(span);
                (Some(value), by_event.max(by_processing))
            }
            _ => (None, None),
        };
        writes.push(CorrelationWrite {
            expected_version: versions.get(&key).copied(),
            key,
            state,
            expires_at,
        });
    }
    Ok((alerts, writes))
}

fn alert_message(a: &Alert) -> Result<BusMessage, HandlerError> {
    let mut e = Event::new(
        a.tenant.clone(),
        "mcpsec://detection",
        a.entity.clone(),
        &AlertCreated {
            alert_id: a.id.clone(),
            rule_id: a.rule_id.clone(),
            title: a.title.clone(),
            severity: a.severity,
            entity: a.entity.clone(),
            techniques: a.techniques.clone(),
            event_ids: a.event_ids.clone(),
        },
    );
    e.id = a.id.clone();
    e.time = a.created_at;
    let headers = BTreeMap::from([
        (
            "mcpsec-event-type".to_string(),
            e.event_type.as_str().to_string(),
        ),
        (
            "mcpsec-schema-version".to_string(),
            e.schema_version.to_string(),
        ),
        ("mcpsec-tenant".to_string(), e.tenant.to_string()),
    ]);
    let payload = serde_json::to_vec(&e)
        .map_err(|err| HandlerError::Failed(format!("encoding alert.created: {err}")))?;
    Ok(BusMessage {
        topic: e.event_type.topic(),
        key: e.bus_key(),
        headers,
        payload: payload.into(),
    })
}

#[async_trait::async_trait]
impl EventHandler for DetectionService {
    fn name(&self) -> &'static str {
        "detection"
    }

    fn handles(&self, event_type: EventType) -> bool {
        event_type == EventType::LogReceived
    }

    async fn handle(&self, b: &Backends, events: &[Event]) -> Result<(), HandlerError> {
        let _one_at_a_time = self.batch_lock.lock().await;
        let mut by_tenant: Vec<(&TenantId, Vec<&Event>)> = Vec::new();
        for e in events {
            match by_tenant.iter_mut().find(|(t, _)| **t == e.tenant) {
                Some((_, v)) => v.push(e),
                None => by_tenant.push((&e.tenant, vec![e])),
            }
        }
        for (tenant, evs) in by_tenant {
            self.handle_tenant(b, tenant, &evs).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mcpsec_core::store::AlertFilter;
    use serde_json::json;

    #[test]
    fn entities_and_ids() {
        let ev = LogEvent::from_json(&json!({"Computer": "WS1", "TargetUserName": "bob"}));
        assert_eq!(entity_of(Some("web-1"), &ev).as_deref(), Some("host:web-1"));
        assert_eq!(entity_of(None, &ev).as_deref(), Some("host:WS1"));
        let ev = LogEvent::from_json(&json!({"user": "alice"}));
        assert_eq!(entity_of(None, &ev).as_deref(), Some("user:alice"));
        assert_eq!(entity_of(None, &LogEvent::from_json(&json!({}))), None);
        assert_eq!(hash_id(&["a", "b"]), hash_id(&["a", "b"]));
        assert_ne!(hash_id(&["a", "b"]), hash_id(&["ab", ""]));
        assert_eq!(hash_id(&["x"]).len(), 32);
    }

    const BRUTE_FORCE: &str = "title: Failed Logon
name: failed-logon
logsource: {product: windows, service: security}
detection: {selection: {EventID: 4625}, condition: selection}
---
title: Brute Force
id: conc-brute-force
level: high
correlation: {type: event_count, rules: [failed-logon], group-by: [TargetUserName], timespan: 10m, condition: {gte: 4}}
";

    fn failed_logon(tenant: &TenantId, user: &str, minute: u32) -> Event {
        let record = json!({"Channel": "Security", "EventID": 4625, "Computer": "dc01",
            "TargetUserName": user, "TimeCreated_SystemTime": format!("2024-05-01T10:{minute:02}:00Z")});
        let payload = LogReceived {
            format: "json".into(),
            host: None,
            record: record.as_object().unwrap().clone().into_iter().collect(),
            raw: None,
        };
        Event::new(tenant.clone(), "test", Some(user.into()), &payload)
    }

    /// Two workers (as two processes would) over one SQLite store receive
    /// the same users' failed logons at the same time, two each: neither
    /// alone reaches the threshold of 4. With compare-and-set saves every
    /// user gets exactly one alert over all four events; with last-writer-wins
    /// states an interleaved pair would lose members and fire nothing.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_workers_fire_one_threshold_alert() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.toml");
        std::fs::write(&file, "").unwrap();
        let rules = dir.path().join("rules.yml");
        std::fs::write(&rules, BRUTE_FORCE).unwrap();
        let overrides = crate::config::Overrides {
            data_dir: Some(dir.path().to_path_buf()),
            log_format: None,
        };
        let cfg = crate::config::Config::load(Some(&file), &overrides).unwrap();
        let b = crate::backends::build(&cfg).await.unwrap();
        let det = DetectionConfig {
            rules_dir: Some(rules),
            ..Default::default()
        };
        let w1 = Arc::new(DetectionService::new(BuiltinRules::load(&det).unwrap()));
        let w2 = Arc::new(DetectionService::new(BuiltinRules::load(&det).unwrap()));
        let tenant = TenantId::new("conc").unwrap();
        let users: Vec<String> = (0..12).map(|i| format!("user{i}")).collect();
        for user in &users {
            let mine: Vec<Event> = [1, 3].map(|m| failed_logon(&tenant, user, m)).into();
            let theirs: Vec<Event> = [2, 4].map(|m| failed_logon(&tenant, user, m)).into();
            let (b1, b2) = (b.clone(), b.clone());
            let (x, y) = (w1.clone(), w2.clone());
            let one = tokio::spawn(async move { x.handle(&b1, &mine).await });
            let two = tokio::spawn(async move { y.handle(&b2, &theirs).await });
            one.await.unwrap().unwrap();
            two.await.unwrap().unwrap();
        }
        let alerts = b
            .store
            .list_alerts(&tenant, &mcpsec_core::store::AlertFilter::default())
            .await
            .unwrap();
        for user in &users {
            let mine: Vec<&Alert> = alerts
                .iter()
                .filter(|a| a.entity.as_deref() == Some(&format!("user:{user}")))
                .collect();
            assert_eq!(mine.len(), 1, "{user}: {mine:?}");
            assert_eq!(mine[0].rule_id, "conc-brute-force");
            assert_eq!(mine[0].event_ids.len(), 4, "{user}: {:?}", mine[0]);
        }
        assert_eq!(alerts.len(), users.len());
    }

    /// A worker that stored a correlation alert with its state but died
    /// before publishing leaves it pending: the redelivered batch does not
    /// fire again (its members are in the saved state), the maintenance
    /// round publishes it once. Idle groups are swept.
    #[tokio::test]
    async fn maintenance_republishes_pending_alerts_and_sweeps_idle_groups() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.toml");
        std::fs::write(&file, "").unwrap();
        let rules = dir.path().join("rules.yml");
        std::fs::write(&rules, BRUTE_FORCE).unwrap();
        let overrides = crate::config::Overrides {
            data_dir: Some(dir.path().to_path_buf()),
            log_format: None,
        };
        let cfg = crate::config::Config::load(Some(&file), &overrides).unwrap();
        assert_eq!(cfg.detection.maintenance_interval_secs, 60);
        let b = crate::backends::build(&cfg).await.unwrap();
        let topic = EventType::AlertCreated.topic();
        b.bus
            .ensure_topics(std::slice::from_ref(&topic))
            .await
            .unwrap();
        let mut alerts_topic = b.bus.subscribe("test-alerts", &[topic]).await.unwrap();
        let det = DetectionConfig {
            rules_dir: Some(rules),
            ..Default::default()
        };
        let w = DetectionService::new(BuiltinRules::load(&det).unwrap());
        let tenant = TenantId::new("maint").unwrap();
        let mc = MaintenanceConfig {
            interval: std::time::Duration::from_secs(60),
            pending_grace: std::time::Duration::from_secs(30),
            batch: 100,
        };
        let later = Utc::now() + chrono::Duration::hours(1);

        // The normal path: the handler publishes and clears the mark.
        let four: Vec<Event> = (1..=4).map(|m| failed_logon(&tenant, "alice", m)).collect();
        w.handle(&b, &four).await.unwrap();
        let all = AlertFilter::default();
        assert_eq!(b.store.list_alerts(&tenant, &all).await.unwrap().len(), 1);
        assert!(b.store.pending_alerts(later, 100).await.unwrap().is_empty());
        let published = alerts_topic
            .poll(100, std::time::Duration::from_secs(5))
            .await
            .unwrap();
        assert_eq!(published.len(), 1);

        // The crash: state and alert saved, nothing published.
        let crashed = Alert {
            tenant: tenant.clone(),
            id: "corr-crashed".into(),
            rule_id: "conc-brute-force".into(),
            title: "brute force".into(),
            severity: Severity::High,
            entity: Some("user:bob".into()),
            techniques: vec![],
            event_ids: vec!["e1".into()],
            created_at: Utc::now(),
        };
        let saved = b
            .store
            .save_correlation_states(&tenant, &[], std::slice::from_ref(&crashed))
            .await
            .unwrap();
        assert_eq!(saved, SaveOutcome::Saved);
        // Two events of carol: a group below the threshold, idle since 2024.
        let two: Vec<Event> = (1..=2).map(|m| failed_logon(&tenant, "carol", m)).collect();
        w.handle(&b, &two).await.unwrap();

        // Within the grace period nothing is republished, and carol's group
        // (idle since 2024 in event time, but saved just now) is kept.
        let r = maintenance_round(&b, &mc, crashed.created_at)
            .await
            .unwrap();
        assert_eq!(r, MaintenanceRound::default());
        // An hour later (timespan 10 minutes) both happen.
        let r = maintenance_round(&b, &mc, later).await.unwrap();
        assert_eq!(r.republished_alerts, 1);
        assert!(r.expired_states >= 1, "{r:?}");
        let again = alerts_topic
            .poll(100, std::time::Duration::from_secs(5))
            .await
            .unwrap();
        let ids: Vec<String> = again
            .iter()
            .map(|d| {
                let e: Event = serde_json::from_slice(&d.payload).unwrap();
                e.payload::<AlertCreated>().unwrap().alert_id
            })
            .collect();
        assert_eq!(ids, vec!["corr-crashed".to_string()]);
        assert_eq!(
            maintenance_round(&b, &mc, later).await.unwrap(),
            MaintenanceRound::default()
        );
    }

    #[test]
    fn check_rule_reports_reasons_and_resolves_references() {
        let api = DetectionApi::new(BuiltinRules::default());
        let ok = api
            .check_rule(
                "title: t\nlevel: high\nlogsource: {product: test}\ndetection: {s: {a: 1}, condition: s}\n",
                &[],
            )
            .unwrap();
        assert_eq!(ok.title, "t");
        assert_eq!(ok.level, Some(Severity::High));
        let err = api.check_rule("title: [\n", &[]).unwrap_err();
        assert!(err.contains("yaml"), "{err}");
        let err = api
            .check_rule(
                "title: t\nlogsource: {product: test}\ndetection: {s: {a: 1}, condition: s and nope}\n",
                &[],
            )
            .unwrap_err();
        assert!(err.contains("nope"), "{err}");
        let corr = "title: c\ncorrelation: {type: event_count, rules: [base], group-by: [u], timespan: 1m, condition: {gte: 2}}\n";
        assert!(api.check_rule(corr, &[]).is_err());
        let base = "title: b\nname: base\nlogsource: {product: test}\ndetection: {s: {a: 1}, condition: s}\n";
        api.check_rule(corr, &[("base".into(), base.into())])
            .unwrap();
        let tactics = api.tactics_of("T1059.001");
        assert_eq!(tactics[0].id, "TA0002");
        assert_eq!(tactics[0].order, 3);
    }
}
