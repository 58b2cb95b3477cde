//! The guard proxy: sits between an MCP client and one server, at the
//! JSON-RPC message level, and
//! - runs the tool checks (and the pins, when given) on every `tools/list`
//!   response, flagging, hiding or blocking poisoned and changed tools;
//! - enforces a [`Policy`] on `tools/call`: allow/deny by server and tool,
//!   argument patterns, paths outside allowed roots, rate limits;
//! - redacts secrets in tool results;
//! - logs every call as a [`ProxyEvent`] (a `tracing` event, and optionally
//!   posted to the platform's `/api/v1/events` by [`post_events`]).
//!
//! Transports: [`run_stdio`] (newline-delimited JSON to a spawned server) and
//! [`http_router`] (streamable HTTP: POSTs forwarded to an upstream URL, JSON
//! and SSE responses filtered). Malformed messages never crash the proxy:
//! a client message that is not JSON is answered with a parse error, a server
//! line that is not JSON is dropped and logged.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mcpsec_core::domain::Severity;
use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::analyze::{Analyzer, ServerTools};
use crate::pin::PinFile;
use crate::server::error_response;
use crate::tools::parse_tools_value;

/// JSON-RPC error code of calls and lists the proxy refuses.
pub const POLICY_ERROR: i64 = -32001;

/// Built-in secret patterns redacted from results (data, embedded).
const REDACT_YAML: &str = include_str!("../rules/redact.yaml");

/// What to do with a tool in a `tools/list` response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ListAction {
    /// Pass the tool, log it and prefix its description with a warning.
    Flag,
    /// Remove the tool from the list; calls to it are denied.
    Hide,
    /// Answer the whole `tools/list` with an error.
    Block,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CallAction {
    Allow,
    Deny,
}

/// The proxy policy (YAML, see docs/mcp-security.md).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Decision for `tools/call` no rule matches.
    #[serde(default = "allow")]
    pub default: CallAction,
    #[serde(default)]
    pub tools_list: ListPolicy,
    /// First matching rule decides.
    #[serde(default)]
    pub calls: Vec<CallRule>,
    #[serde(default)]
    pub rate_limits: Vec<RateLimit>,
    /// Redact secrets (built-in patterns plus `redact_patterns`) in tool results.
    #[serde(default = "yes")]
    pub redact_secrets: bool,
    #[serde(default)]
    pub redact_patterns: Vec<String>,
}

fn allow() -> CallAction {
    CallAction::Allow
}
fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListPolicy {
    /// For tools with a finding at least `min_severity` severe.
    #[serde(default = "hide")]
    pub action: ListAction,
    #[serde(default = "high")]
    pub min_severity: Severity,
    /// Pin file to compare with (changed and added tools).
    #[serde(default)]
    pub pins: Option<PathBuf>,
    /// For tools that changed or appeared since pinned.
    #[serde(default = "hide")]
    pub on_change: ListAction,
}

fn hide() -> ListAction {
    ListAction::Hide
}
fn high() -> Severity {
    Severity::High
}

impl Default for ListPolicy {
    fn default() -> ListPolicy {
        ListPolicy {
            action: ListAction::Hide,
            min_severity: Severity::High,
            pins: None,
            on_change: ListAction::Hide,
        }
    }
}

/// One `tools/call` rule. `server` and `tool` are globs (`*`, `?`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallRule {
    #[serde(default = "star")]
    pub server: String,
    #[serde(default = "star")]
    pub tool: String,
    pub action: CallAction,
    /// Every path-like argument must lie inside one of these roots
    /// (`~` expanded; existing paths are resolved through symlinks).
    #[serde(default)]
    pub roots: Vec<String>,
    /// Argument name (`*` = any) → regex; a matching string value denies the call.
    #[serde(default)]
    pub deny_args: BTreeMap<String, String>,
    /// Shown to the client when the rule denies.
    #[serde(default)]
    pub reason: Option<String>,
}

fn star() -> String {
    "*".into()
}

/// At most `max_calls` calls of matching tools per `per_seconds` (sliding window).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimit {
    #[serde(default = "star")]
    pub server: String,
    #[serde(default = "star")]
    pub tool: String,
    pub max_calls: u32,
    pub per_seconds: u64,
}

/// Why a policy file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
}

impl Policy {
    /// Parses a YAML policy; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Policy, PolicyError> {
        let err = |message: String| PolicyError::Invalid {
            path: origin.to_string(),
            message,
        };
        let p: Policy = serde_yaml::from_str(text).map_err(|e| err(e.to_string()))?;
        for (i, r) in p.calls.iter().enumerate() {
            for (arg, re) in &r.deny_args {
                Regex::new(re).map_err(|e| err(format!("calls[{i}].deny_args.{arg}: {e}")))?;
            }
        }
        for (i, re) in p.redact_patterns.iter().enumerate() {
            Regex::new(re).map_err(|e| err(format!("redact_patterns[{i}]: {e}")))?;
        }
        for (i, r) in p.rate_limits.iter().enumerate() {
            if r.max_calls == 0 || r.per_seconds == 0 {
                return Err(err(format!(
                    "rate_limits[{i}]: max_calls and per_seconds must be > 0"
                )));
            }
        }
        Ok(p)
    }

    pub fn load(path: &Path) -> Result<Policy, PolicyError> {
        let text = std::fs::read_to_string(path).map_err(|e| PolicyError::Invalid {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        Policy::parse(&text, &path.display().to_string())
    }
}

fn glob(p: &str) -> Regex {
    let mut re = String::from("^");
    for c in p.chars() {
        match c {
            '*' => re.push_str(".*"),
            '?' => re.push('.'),
            c => re.push_str(&regex::escape(&c.to_string())),
        }
    }
    re.push('$');
    Regex::new(&re).expect("escaped glob is a valid regex")
}

struct CompiledRule {
    server: Regex,
    tool: Regex,
    action: CallAction,
    roots: Vec<PathBuf>,
    deny_args: Vec<(String, Regex)>,
    reason: Option<String>,
}

/// What the proxy did with a message, for the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Allowed,
    Denied,
    Flagged,
    Hidden,
    Blocked,
    Redacted,
    Malformed,
}

/// One logged proxy event.
#[derive(Debug, Clone, Serialize)]
pub struct ProxyEvent {
    pub server: String,
    pub method: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
    pub decision: Decision,
    pub reason: String,
}

/// What a client request is waiting for (to filter its response).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pending {
    ToolsList,
    ToolsCall {
        tool: String,
    },
    /// Only tracked when inventories are submitted
    /// ([`Guard::with_inventory_submission`]): responses passed through
    /// unchanged, recorded for the inventory.
    Initialize,
    PromptsList,
    ResourcesList,
    ResourceTemplatesList,
}

/// Most items per list the proxy records for an inventory (the platform's
/// limit per server and list).
pub const MAX_INVENTORY_ITEMS: usize = 5000;

/// What the proxy has seen of its server, submitted to the platform's
/// `POST …/mcp/inventories` by [`submit_inventories`]. A list the proxy has
/// not seen (`None`) is taken from the platform's stored inventory, so a
/// client that never lists prompts does not make them look removed.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SeenInventory {
    pub server: String,
    /// The `initialize` result (`serverInfo`, `capabilities`…).
    pub server_info: Option<Value>,
    pub tools: Vec<Value>,
    pub prompts: Option<Vec<Value>>,
    pub resources: Option<Vec<Value>>,
    pub resource_templates: Option<Vec<Value>>,
}

impl SeenInventory {
    /// `sha256:` of the canonical JSON: equal for the same lists in any key order.
    pub fn hash(&self) -> String {
        use sha2::Digest as _;
        let v = serde_json::to_value(self).unwrap_or(Value::Null);
        let d = sha2::Sha256::digest(mcpsec_core::mcp::canonical_json(&v).as_bytes());
        let hex: String = d.iter().map(|b| format!("{b:02x}")).collect();
        format!("sha256:{hex}")
    }
}

/// The receiving end of [`Guard::with_inventory_submission`], for
/// [`submit_inventories`].
pub struct InventoryFeed {
    rx: tokio::sync::watch::Receiver<Option<SeenInventory>>,
    submitted: Arc<Mutex<Option<String>>>,
}

/// The guard's side of inventory submission: the latest complete inventory
/// (a `watch` channel holds one value: bounded, the newest wins) and the
/// hash of the last one the platform accepted.
struct InventorySink {
    tx: tokio::sync::watch::Sender<Option<SeenInventory>>,
    submitted: Arc<Mutex<Option<String>>>,
}

/// Lists being recorded for the inventory.
#[derive(Default)]
struct Seen {
    inv: SeenInventory,
    tools_seen: bool,
    /// Pages of a paginated list so far, per list kind.
    pages: HashMap<&'static str, Vec<Value>>,
    /// Ids of list requests that carried a `cursor` (later pages).
    continued: HashSet<String>,
}

/// What to do with a client message.
#[derive(Debug, Clone, PartialEq)]
pub enum ClientAction {
    /// Send this text to the server (the original message); `pending` is set
    /// for requests whose response the guard filters.
    Forward {
        text: String,
        id: Option<Value>,
        pending: Option<Pending>,
    },
    /// Do not forward; answer the client with this text.
    Reply(String),
}

/// The policy engine, shared by all connections of one proxy.
pub struct Guard {
    server: String,
    policy: Policy,
    rules: Vec<CompiledRule>,
    limits: Vec<(Regex, Regex, u32, Duration)>,
    redact: Vec<Regex>,
    analyzer: Analyzer,
    pins: Option<PinFile>,
    state: Mutex<State>,
    events: Option<tokio::sync::mpsc::Sender<ProxyEvent>>,
    inventory: Option<InventorySink>,
    seen: Mutex<Seen>,
}

#[derive(Default)]
struct State {
    hidden: HashSet<String>,
    calls: HashMap<usize, VecDeque<Instant>>,
}

impl Guard {
    /// A guard for server `server` (its name in rules and logs).
    pub fn new(server: &str, policy: Policy, analyzer: Analyzer, pins: Option<PinFile>) -> Guard {
        let rules = policy
            .calls
            .iter()
            .map(|r| CompiledRule {
                server: glob(&r.server),
                tool: glob(&r.tool),
                action: r.action,
                roots: r.roots.iter().map(|p| normalize(p)).collect(),
                deny_args: r
                    .deny_args
                    .iter()
                    .map(|(k, v)| (k.clone(), Regex::new(v).expect("validated at parse")))
                    .collect(),
                reason: r.reason.clone(),
            })
            .collect();
        let limits = policy
            .rate_limits
            .iter()
            .map(|l| {
                (
                    glob(&l.server),
                    glob(&l.tool),
                    l.max_calls,
                    Duration::from_secs(l.per_seconds),
                )
            })
            .collect();
        let mut redact = Vec::new();
        if policy.redact_secrets {
            let builtin: Vec<String> =
                serde_yaml::from_str(REDACT_YAML).expect("embedded redact.yaml is valid");
            for p in builtin.iter().chain(&policy.redact_patterns) {
                redact.push(Regex::new(p).expect("validated patterns"));
            }
        }
        Guard {
            server: server.to_string(),
            policy,
            rules,
            limits,
            redact,
            analyzer,
            pins,
            state: Mutex::new(State::default()),
            events: None,
            inventory: None,
            seen: Mutex::new(Seen::default()),
        }
    }

    /// Also records what the server lists (`initialize`, `tools/list`,
    /// `prompts/list`, `resources/list`, `resources/templates/list`, pages
    /// joined) and, after each complete `tools/list` (or another list once
    /// the tools are known) whose inventory differs from the last one the
    /// platform accepted, hands it to the returned feed for
    /// [`submit_inventories`]. Never blocks or changes the relayed messages.
    pub fn with_inventory_submission(mut self) -> (Guard, InventoryFeed) {
        let (tx, rx) = tokio::sync::watch::channel(None);
        let submitted: Arc<Mutex<Option<String>>> = Arc::default();
        self.inventory = Some(InventorySink {
            tx,
            submitted: submitted.clone(),
        });
        (self, InventoryFeed { rx, submitted })
    }

    /// Records a list response (or `initialize`) for the inventory.
    fn record(&self, pending: &Pending, msg: &Value) {
        let Some(sink) = &self.inventory else { return };
        let Some(result) = msg.get("result") else {
            return;
        };
        let (kind, key) = match pending {
            Pending::ToolsList => ("tools", "tools"),
            Pending::PromptsList => ("prompts", "prompts"),
            Pending::ResourcesList => ("resources", "resources"),
            Pending::ResourceTemplatesList => ("resource_templates", "resourceTemplates"),
            Pending::Initialize => {
                let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
                seen.inv.server_info = Some(result.clone());
                return;
            }
            Pending::ToolsCall { .. } => return,
        };
        let Some(Value::Array(items)) = result.get(key) else {
            return;
        };
        let id = msg.get("id").map(Value::to_string).unwrap_or_default();
        let more = result
            .get("nextCursor")
            .is_some_and(|c| c.as_str().is_some_and(|c| !c.is_empty()));
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        let continued = seen.continued.remove(&id);
        let page = seen.pages.entry(kind).or_default();
        if !continued {
            page.clear();
        }
        page.extend(items.iter().cloned());
        page.truncate(MAX_INVENTORY_ITEMS);
        if more {
            return;
        }
        let list = std::mem::take(page);
        match kind {
            "tools" => {
                seen.inv.tools = list;
                seen.tools_seen = true;
            }
            "prompts" => seen.inv.prompts = Some(list),
            "resources" => seen.inv.resources = Some(list),
            _ => seen.inv.resource_templates = Some(list),
        }
        if !seen.tools_seen {
            return;
        }
        seen.inv.server = self.server.clone();
        let hash = seen.inv.hash();
        let submitted = sink.submitted.lock().unwrap_or_else(|e| e.into_inner());
        if submitted.as_deref() != Some(hash.as_str()) {
            sink.tx.send_replace(Some(seen.inv.clone()));
        }
    }

    /// Also sends every event to `tx` (dropped when the channel is full).
    pub fn with_events(mut self, tx: tokio::sync::mpsc::Sender<ProxyEvent>) -> Guard {
        self.events = Some(tx);
        self
    }

    fn log(&self, method: &str, tool: Option<&str>, decision: Decision, reason: String) {
        tracing::info!(
            target: "mcpsec::mcp::proxy",
            server = %self.server,
            method,
            tool,
            decision = ?decision,
            reason = %reason,
            "mcp proxy event"
        );
        if let Some(tx) = &self.events {
            let _ = tx.try_send(ProxyEvent {
                server: self.server.clone(),
                method: method.to_string(),
                tool: tool.map(str::to_string),
                decision,
                reason,
            });
        }
    }

    /// Inspects a message from the client.
    pub fn on_client(&self, text: &str) -> ClientAction {
        let msg: Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(e) => {
                self.log("?", None, Decision::Malformed, format!("client: {e}"));
                return ClientAction::Reply(
                    error_response(&Value::Null, -32700, &format!("parse error: {e}")).to_string(),
                );
            }
        };
        let Some(obj) = msg.as_object() else {
            self.log(
                "?",
                None,
                Decision::Denied,
                "client sent a batch or non-object".into(),
            );
            return ClientAction::Reply(
                error_response(
                    &Value::Null,
                    -32600,
                    "mcpsec proxy: JSON-RPC batches and non-object messages are not supported",
                )
                .to_string(),
            );
        };
        let id = obj.get("id").cloned();
        let method = obj.get("method").and_then(Value::as_str).unwrap_or("");
        let forward = |pending| ClientAction::Forward {
            text: text.to_string(),
            id: id.clone(),
            pending,
        };
        if self.inventory.is_some()
            && let Some(id) = &id
            && method.ends_with("/list")
            && obj
                .get("params")
                .and_then(|p| p.get("cursor"))
                .is_some_and(|c| !c.is_null())
        {
            let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
            if seen.continued.len() >= 1024 {
                seen.continued.clear();
            }
            seen.continued.insert(id.to_string());
        }
        let listed = |p| forward(self.inventory.as_ref().and(id.as_ref()).map(|_| p));
        match method {
            "tools/list" if id.is_some() => forward(Some(Pending::ToolsList)),
            "initialize" => listed(Pending::Initialize),
            "prompts/list" => listed(Pending::PromptsList),
            "resources/list" => listed(Pending::ResourcesList),
            "resources/templates/list" => listed(Pending::ResourceTemplatesList),
            "tools/call" => {
                let params = obj.get("params").cloned().unwrap_or(Value::Null);
                let tool = params
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                let args = params.get("arguments").cloned().unwrap_or(Value::Null);
                match self.decide_call(&tool, &args) {
                    Ok(()) => {
                        self.log(method, Some(&tool), Decision::Allowed, "policy".into());
                        forward(Some(Pending::ToolsCall { tool }))
                    }
                    Err(reason) => {
                        self.log(method, Some(&tool), Decision::Denied, reason.clone());
                        let id = id.unwrap_or(Value::Null);
                        ClientAction::Reply(
                            error_response(
                                &id,
                                POLICY_ERROR,
                                &format!("mcpsec policy denied `{tool}`: {reason}"),
                            )
                            .to_string(),
                        )
                    }
                }
            }
            _ => forward(None),
        }
    }

    /// The policy decision for a call: `Err(reason)` denies.
    pub fn decide_call(&self, tool: &str, args: &Value) -> Result<(), String> {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if st.hidden.contains(tool) {
            return Err("the tool was hidden by the tools/list checks".into());
        }
        let mut decision = None;
        for r in &self.rules {
            if !(r.server.is_match(&self.server) && r.tool.is_match(tool)) {
                continue;
            }
            if r.action == CallAction::Deny {
                return Err(r.reason.clone().unwrap_or_else(|| {
                    format!("denied by rule for server `{}` tool `{tool}`", self.server)
                }));
            }
            let mut strings = Vec::new();
            collect_strings("", args, &mut strings);
            for (name, re) in &r.deny_args {
                for (arg, v) in &strings {
                    if (name == "*" || arg == name || arg.ends_with(&format!(".{name}")))
                        && re.is_match(v)
                    {
                        return Err(r.reason.clone().unwrap_or_else(|| {
                            format!("argument `{arg}` matches a denied pattern")
                        }));
                    }
                }
            }
            if !r.roots.is_empty() {
                for (arg, v) in &strings {
                    if looks_like_path(arg, v) {
                        let p = normalize(v);
                        if !r.roots.iter().any(|root| p.starts_with(root)) {
                            return Err(r.reason.clone().unwrap_or_else(|| {
                                format!("argument `{arg}` is a path outside the allowed roots")
                            }));
                        }
                    }
                }
            }
            decision = Some(CallAction::Allow);
            break;
        }
        if decision.unwrap_or(self.policy.default) == CallAction::Deny {
            return Err("no rule allows it (default: deny)".into());
        }
        let now = Instant::now();
        for (i, (s, t, max, per)) in self.limits.iter().enumerate() {
            if !(s.is_match(&self.server) && t.is_match(tool)) {
                continue;
            }
            let q = st.calls.entry(i).or_default();
            while q.front().is_some_and(|t| now.duration_since(*t) >= *per) {
                q.pop_front();
            }
            if q.len() >= *max as usize {
                return Err(format!(
                    "rate limit: at most {max} call(s) per {} s",
                    per.as_secs()
                ));
            }
        }
        for (i, (s, t, _, _)) in self.limits.iter().enumerate() {
            if s.is_match(&self.server) && t.is_match(tool) {
                st.calls.entry(i).or_default().push_back(now);
            }
        }
        Ok(())
    }

    /// Filters a message from the server; `pending` is what the request it
    /// answers was (None for notifications and unrelated responses).
    /// Returns None when the message is dropped.
    pub fn on_server(&self, text: &str, pending: Option<&Pending>) -> Option<String> {
        let Some(pending) = pending else {
            // Fast path: nothing to filter; still refuse non-JSON lines.
            if serde_json::from_str::<serde::de::IgnoredAny>(text).is_err() {
                self.log(
                    "?",
                    None,
                    Decision::Malformed,
                    "server sent non-JSON".into(),
                );
                return None;
            }
            return Some(text.to_string());
        };
        let mut msg: Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(e) => {
                self.log("?", None, Decision::Malformed, format!("server: {e}"));
                return None;
            }
        };
        if msg.get("result").is_none() {
            return Some(text.to_string());
        }
        match pending {
            Pending::ToolsList => {
                self.record(pending, &msg);
                self.filter_list(&mut msg)
            }
            Pending::ToolsCall { tool } => self.filter_result(&mut msg, tool),
            _ => {
                self.record(pending, &msg);
                return Some(text.to_string());
            }
        }
        Some(msg.to_string())
    }

    fn filter_list(&self, msg: &mut Value) {
        let id = msg.get("id").cloned().unwrap_or(Value::Null);
        let tools = match parse_tools_value(&msg["result"]) {
            Ok(t) => t,
            Err(e) => {
                self.log(
                    "tools/list",
                    None,
                    Decision::Blocked,
                    format!("malformed tools list: {e}"),
                );
                *msg = error_response(
                    &id,
                    POLICY_ERROR,
                    &format!("mcpsec blocked a malformed tools/list: {e}"),
                );
                return;
            }
        };
        let st = ServerTools {
            server: self.server.clone(),
            source: None,
            tools,
        };
        // tool name -> (action, reason)
        let mut verdicts: BTreeMap<String, (ListAction, String)> = BTreeMap::new();
        for f in self.analyzer.check_tools(&st) {
            if f.severity < self.policy.tools_list.min_severity {
                continue;
            }
            if let Some(t) = &f.tool {
                let e = verdicts
                    .entry(t.clone())
                    .or_insert((self.policy.tools_list.action, String::new()));
                if !e.1.is_empty() {
                    e.1.push_str("; ");
                }
                e.1.push_str(&format!("{} {}", f.rule, f.message));
            }
        }
        if let Some(changes) = self
            .pins
            .as_ref()
            .and_then(|p| p.diff(&self.server, &st.tools))
        {
            for c in changes {
                if c.new_hash.is_none() {
                    continue; // removed tools are not in the list anyway
                }
                let action = self.policy.tools_list.on_change;
                let e = verdicts
                    .entry(c.tool.clone())
                    .or_insert((action, String::new()));
                e.0 = stricter(e.0, action);
                if !e.1.is_empty() {
                    e.1.push_str("; ");
                }
                e.1.push_str(&format!("{:?} since pinned", c.change).to_lowercase());
            }
        }
        if let Some((tool, (_, reason))) = verdicts.iter().find(|(_, v)| v.0 == ListAction::Block) {
            self.log("tools/list", Some(tool), Decision::Blocked, reason.clone());
            *msg = error_response(
                &id,
                POLICY_ERROR,
                &format!("mcpsec blocked tools/list: tool `{tool}`: {reason}"),
            );
            return;
        }
        let mut st_lock = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(Value::Array(arr)) = msg["result"].get_mut("tools") {
            arr.retain_mut(|t| {
                let name = t.get("name").and_then(Value::as_str).unwrap_or("");
                match verdicts.get(name) {
                    Some((ListAction::Hide, reason)) => {
                        st_lock.hidden.insert(name.to_string());
                        self.log("tools/list", Some(name), Decision::Hidden, reason.clone());
                        false
                    }
                    Some((_, reason)) => {
                        self.log("tools/list", Some(name), Decision::Flagged, reason.clone());
                        let d = t.get("description").and_then(Value::as_str).unwrap_or("");
                        t["description"] = Value::String(format!("[mcpsec warning: {reason}] {d}"));
                        true
                    }
                    None => {
                        st_lock.hidden.remove(name);
                        true
                    }
                }
            });
        }
    }

    fn filter_result(&self, msg: &mut Value, tool: &str) {
        if self.redact.is_empty() {
            return;
        }
        let mut n = 0;
        redact_value(&mut msg["result"], &self.redact, &mut n);
        if n > 0 {
            self.log(
                "tools/call",
                Some(tool),
                Decision::Redacted,
                format!("{n} secret(s) redacted from the result"),
            );
        }
    }
}

fn stricter(a: ListAction, b: ListAction) -> ListAction {
    let rank = |x| match x {
        ListAction::Flag => 0,
        ListAction::Hide => 1,
        ListAction::Block => 2,
    };
    if rank(a) >= rank(b) { a } else { b }
}

fn redact_value(v: &mut Value, res: &[Regex], n: &mut usize) {
    match v {
        Value::String(s) => {
            for re in res {
                if re.is_match(s) {
                    *n += re.find_iter(s).count();
                    *s = re
                        .replace_all(s, mcpsec_core::Secret::REDACTED)
                        .into_owned();
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| redact_value(x, res, n)),
        Value::Object(o) => o.values_mut().for_each(|x| redact_value(x, res, n)),
        _ => {}
    }
}

/// (dotted argument path, string value) of every string in `v`.
fn collect_strings(prefix: &str, v: &Value, out: &mut Vec<(String, String)>) {
    match v {
        Value::String(s) => out.push((prefix.to_string(), s.clone())),
        Value::Array(a) => a.iter().for_each(|x| collect_strings(prefix, x, out)),
        Value::Object(o) => {
            for (k, x) in o {
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                collect_strings(&p, x, out);
            }
        }
        _ => {}
    }
}

fn looks_like_path(arg: &str, v: &str) -> bool {
    static NAME: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let name = NAME.get_or_init(|| {
        Regex::new(r"(?i)(path|file|dir|folder|root|source|destination|dest|target|cwd)")
            .expect("valid regex")
    });
    let last = arg.rsplit('.').next().unwrap_or(arg);
    v.starts_with('/')
        || v.starts_with('~')
        || v.starts_with("./")
        || v.starts_with("../")
        || v.starts_with("file://")
        || (v.len() > 2 && v.as_bytes()[1] == b':' && v.as_bytes()[0].is_ascii_alphabetic())
        || (name.is_match(last) && !v.contains("://"))
}

/// An absolute, lexically normalised path (`~` expanded, `.`/`..` resolved),
/// resolved through symlinks when it exists.
pub fn normalize(p: &str) -> PathBuf {
    let p = p.strip_prefix("file://").unwrap_or(p);
    let expanded = if let Some(rest) = p.strip_prefix('~') {
        let home = std::env::var_os("HOME")
            .or_else(|| std::env::var_os("USERPROFILE"))
            .unwrap_or_default();
        PathBuf::from(home).join(rest.trim_start_matches(['/', '\\']))
    } else {
        PathBuf::from(p)
    };
    let abs = if expanded.is_absolute() {
        expanded
    } else {
        std::env::current_dir().unwrap_or_default().join(expanded)
    };
    if let Ok(c) = abs.canonicalize() {
        return c;
    }
    let mut out = PathBuf::new();
    for c in abs.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            c => out.push(c.as_os_str()),
        }
    }
    // Resolve the longest existing prefix (symlinked parent directories).
    let mut existing = out.clone();
    let mut rest = Vec::new();
    while !existing.exists() {
        match existing.file_name() {
            Some(n) => rest.push(n.to_os_string()),
            None => return out,
        }
        if !existing.pop() {
            return out;
        }
    }
    let mut base = existing.canonicalize().unwrap_or(existing);
    for n in rest.into_iter().rev() {
        base.push(n);
    }
    base
}

/// Largest message the proxy reads from either side (bytes).
pub const MAX_MESSAGE: usize = 16 * 1024 * 1024;

/// Proxies newline-delimited JSON-RPC between `client_in`/`client_out` and a
/// spawned server (`command args`, inheriting this process's environment
/// and stderr). Returns when either side closes; the server is killed if it
/// does not exit within 5 s after its stdin closes.
pub async fn run_stdio<R, W>(
    guard: Arc<Guard>,
    command: String,
    args: Vec<String>,
    client_in: R,
    client_out: W,
) -> std::io::Result<Option<std::process::ExitStatus>>
where
    R: tokio::io::AsyncRead + Unpin + Send + 'static,
    W: tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    use futures::{SinkExt as _, StreamExt as _};
    use tokio_util::codec::{FramedRead, FramedWrite, LinesCodec, LinesCodecError};

    let mut child = tokio::process::Command::new(&command)
        .args(&args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .kill_on_drop(true)
        .spawn()?;
    let child_in = child.stdin.take().expect("piped stdin");
    let child_out = child.stdout.take().expect("piped stdout");
    let pending: Arc<Mutex<HashMap<String, Pending>>> = Arc::default();
    let (tx, mut rx) = tokio::sync::mpsc::channel::<String>(256);

    let writer = tokio::spawn(async move {
        let mut out = FramedWrite::new(client_out, LinesCodec::new());
        while let Some(line) = rx.recv().await {
            if out.send(line).await.is_err() {
                break;
            }
        }
    });

    let g = guard.clone();
    let p = pending.clone();
    let reply_tx = tx.clone();
    let upstream = tokio::spawn(async move {
        let mut lines = FramedRead::new(client_in, LinesCodec::new_with_max_length(MAX_MESSAGE));
        let mut sink = FramedWrite::new(child_in, LinesCodec::new());
        while let Some(line) = lines.next().await {
            let line = match line {
                Ok(l) => l,
                Err(LinesCodecError::MaxLineLengthExceeded) => {
                    let e = error_response(&Value::Null, -32600, "message too large");
                    let _ = reply_tx.send(e.to_string()).await;
                    continue;
                }
                Err(LinesCodecError::Io(_)) => break,
            };
            if line.trim().is_empty() {
                continue;
            }
            match g.on_client(&line) {
                ClientAction::Forward { text, id, pending } => {
                    if let (Some(id), Some(pd)) = (id, pending) {
                        p.lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .insert(id.to_string(), pd);
                    }
                    if sink.send(text).await.is_err() {
                        break;
                    }
                }
                ClientAction::Reply(r) => {
                    if reply_tx.send(r).await.is_err() {
                        break;
                    }
                }
            }
        }
        // Dropping the sink closes the server's stdin.
    });

    let g = guard.clone();
    let downstream = tokio::spawn(async move {
        let mut lines = FramedRead::new(child_out, LinesCodec::new_with_max_length(MAX_MESSAGE));
        while let Some(line) = lines.next().await {
            let line = match line {
                Ok(l) => l,
                Err(LinesCodecError::MaxLineLengthExceeded) => {
                    g.log(
                        "?",
                        None,
                        Decision::Malformed,
                        "server message too large".into(),
                    );
                    continue;
                }
                Err(LinesCodecError::Io(_)) => break,
            };
            let pd = serde_json::from_str::<IdOnly>(&line)
                .ok()
                .and_then(|m| m.id)
                .and_then(|id| {
                    pending
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .remove(&id.to_string())
                });
            if let Some(out) = g.on_server(&line, pd.as_ref())
                && tx.send(out).await.is_err()
            {
                break;
            }
        }
    });

    let status = tokio::select! {
        _ = upstream => {
            match tokio::time::timeout(Duration::from_secs(5), child.wait()).await {
                Ok(s) => s.ok(),
                Err(_) => { let _ = child.kill().await; child.wait().await.ok() }
            }
        }
        s = child.wait() => s.ok(),
    };
    let _ = tokio::time::timeout(Duration::from_secs(2), downstream).await;
    let _ = tokio::time::timeout(Duration::from_secs(2), writer).await;
    Ok(status)
}

#[derive(Deserialize)]
struct IdOnly {
    #[serde(default)]
    id: Option<Value>,
}

/// State of the HTTP proxy.
#[derive(Clone)]
pub struct HttpProxy {
    pub guard: Arc<Guard>,
    pub upstream: String,
    pub client: reqwest::Client,
}

impl HttpProxy {
    /// A proxy to `upstream` with a default HTTP client (rustls with `ring`).
    pub fn new(guard: Arc<Guard>, upstream: &str) -> Result<HttpProxy, String> {
        crate::connect::install_crypto_provider();
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| format!("HTTP client: {e}"))?;
        Ok(HttpProxy {
            guard,
            upstream: upstream.to_string(),
            client,
        })
    }
}

/// Request headers forwarded to the upstream server.
const FORWARD_HEADERS: &[&str] = &[
    "accept",
    "content-type",
    "authorization",
    "mcp-session-id",
    "mcp-protocol-version",
    "last-event-id",
];

/// Response headers returned to the client.
const RETURN_HEADERS: &[&str] = &["content-type", "mcp-session-id"];

/// An axum router proxying streamable HTTP MCP to `upstream`: every path is
/// forwarded to the upstream URL. POST bodies go through the guard; JSON and
/// SSE responses are filtered (an SSE response is read to its end, at most
/// [`MAX_MESSAGE`] bytes, before it is returned). GET (server-initiated
/// streams) answers 405, which clients treat as "no stream"; DELETE is forwarded.
pub fn http_router(p: HttpProxy) -> axum::Router {
    axum::Router::new()
        .fallback(http_handler)
        .with_state(p)
        .layer(axum::extract::DefaultBodyLimit::max(MAX_MESSAGE))
}

async fn http_handler(
    axum::extract::State(p): axum::extract::State<HttpProxy>,
    method: axum::http::Method,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> axum::response::Response {
    use axum::http::StatusCode;
    use axum::response::IntoResponse;
    let json_reply = |text: String| {
        (
            StatusCode::OK,
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            text,
        )
            .into_response()
    };
    let mut pending = None;
    let body = if method == axum::http::Method::POST {
        let text = String::from_utf8_lossy(&body);
        match p.guard.on_client(&text) {
            ClientAction::Reply(r) => return json_reply(r),
            ClientAction::Forward {
                text, pending: pd, ..
            } => {
                pending = pd;
                text.into_bytes()
            }
        }
    } else if method == axum::http::Method::DELETE {
        Vec::new()
    } else {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    };
    let mut req = p.client.request(
        reqwest::Method::from_bytes(method.as_str().as_bytes()).unwrap_or(reqwest::Method::POST),
        &p.upstream,
    );
    for h in FORWARD_HEADERS {
        if let Some(v) = headers.get(*h) {
            req = req.header(*h, v.as_bytes());
        }
    }
    let resp = match req.body(body).send().await {
        Ok(r) => r,
        Err(e) => {
            p.guard.log(
                "?",
                None,
                Decision::Malformed,
                format!("upstream unreachable: {e}"),
            );
            return (StatusCode::BAD_GATEWAY, format!("upstream: {e}")).into_response();
        }
    };
    let status = StatusCode::from_u16(resp.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    let mut out_headers = axum::http::HeaderMap::new();
    for h in RETURN_HEADERS {
        if let Some(v) = resp.headers().get(*h)
            && let Ok(v) = axum::http::HeaderValue::from_bytes(v.as_bytes())
        {
            out_headers.insert(*h, v);
        }
    }
    let ctype = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let bytes = match read_limited(resp, MAX_MESSAGE).await {
        Ok(b) => b,
        Err(e) => {
            p.guard
                .log("?", None, Decision::Malformed, format!("upstream: {e}"));
            return (StatusCode::BAD_GATEWAY, e).into_response();
        }
    };
    let text = String::from_utf8_lossy(&bytes);
    let filtered = if ctype.starts_with("text/event-stream") {
        filter_sse(&p.guard, &text, pending.as_ref())
    } else if ctype.starts_with("application/json") && !text.trim().is_empty() {
        p.guard
            .on_server(&text, pending.as_ref())
            .unwrap_or_else(|| {
                error_response(&Value::Null, -32603, "malformed upstream response").to_string()
            })
    } else {
        text.into_owned()
    };
    (status, out_headers, filtered).into_response()
}

async fn read_limited(mut resp: reqwest::Response, max: usize) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| e.to_string())? {
        if out.len() + chunk.len() > max {
            return Err(format!("upstream response larger than {max} bytes"));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// Filters the `data:` JSON of every SSE event.
fn filter_sse(guard: &Guard, text: &str, pending: Option<&Pending>) -> String {
    let mut out = String::with_capacity(text.len());
    for event in text.split("\n\n") {
        if event.trim().is_empty() {
            continue;
        }
        let mut data = String::new();
        let mut other = Vec::new();
        for line in event.lines() {
            if let Some(d) = line.strip_prefix("data:") {
                if !data.is_empty() {
                    data.push('\n');
                }
                data.push_str(d.strip_prefix(' ').unwrap_or(d));
            } else {
                other.push(line);
            }
        }
        for l in other {
            out.push_str(l);
            out.push('\n');
        }
        if !data.is_empty()
            && let Some(d) = guard.on_server(&data, pending)
        {
            out.push_str("data: ");
            out.push_str(&d);
            out.push('\n');
        }
        out.push('\n');
    }
    out
}

/// Posts one batch of raw events (`{"type", "source", "tenant", "data", …}`)
/// to `url` (the platform's `/api/v1/events`) with a bearer API key.
pub async fn post_batch(
    client: &reqwest::Client,
    url: &str,
    api_key: &str,
    events: Vec<Value>,
) -> Result<(), String> {
    let body = json!({ "events": events });
    crate::connect::post_platform_json(client, url, api_key, &body)
        .await
        .map(|_| ())
}

/// Posts `mcp.tool_changed` events (one per change) to `platform`.
pub async fn post_tool_changes(
    platform: &str,
    api_key: &str,
    tenant: &str,
    changes: &[mcpsec_core::event::McpToolChanged],
) -> Result<usize, String> {
    if changes.is_empty() {
        return Ok(0);
    }
    let client = crate::connect::platform_client(Duration::from_secs(30))?;
    let url = format!("{}/api/v1/events", platform.trim_end_matches('/'));
    // Deterministic ids: re-running the scan (or retrying this post) with
    // the same deviation from the same pins is recorded once.
    let src = mcpsec_core::mcp::PINS_EVENT_SOURCE;
    let events: Vec<Value> = changes
        .iter()
        .map(|c| {
            let id = mcpsec_core::mcp::tool_change_event_id(tenant, src, None, c);
            json!({"id": id, "type": "mcp.tool_changed", "source": src, "tenant": tenant,
                   "subject": c.server, "data": c})
        })
        .collect();
    for chunk in events.chunks(500) {
        post_batch(&client, &url, api_key, chunk.to_vec()).await?;
    }
    Ok(changes.len())
}

/// The platform client of a background sender (10 s timeout), or `None`
/// after a warning naming what will not be sent.
fn background_client(not_sent: &str) -> Option<reqwest::Client> {
    crate::connect::platform_client(Duration::from_secs(10))
        .map_err(|e| tracing::warn!(error = %e, "{not_sent}"))
        .ok()
}

/// Posts proxy events to the platform's `POST {platform}/api/v1/events` as
/// `log.received` events (format `mcp-proxy`), in batches of up to 100 or
/// every second. Failures are logged and the batch dropped.
pub async fn post_events(
    mut rx: tokio::sync::mpsc::Receiver<ProxyEvent>,
    platform: String,
    api_key: String,
    tenant: String,
) {
    let Some(client) = background_client("platform events not sent") else {
        return;
    };
    let url = format!("{}/api/v1/events", platform.trim_end_matches('/'));
    let mut batch = Vec::new();
    loop {
        let ev = tokio::time::timeout(Duration::from_secs(1), rx.recv()).await;
        let closed = matches!(ev, Ok(None));
        let idle = ev.is_err();
        if let Ok(Some(e)) = ev {
            batch.push(json!({
                "type": "log.received",
                "source": "mcpsec://mcp-proxy",
                "tenant": tenant,
                "subject": e.server,
                "data": {"format": "mcp-proxy", "host": null, "raw": null,
                         "record": serde_json::to_value(&e).unwrap_or(Value::Null)},
            }));
        }
        if !batch.is_empty()
            && (batch.len() >= 100 || idle || closed)
            && let Err(e) = post_batch(&client, &url, &api_key, std::mem::take(&mut batch)).await
        {
            tracing::warn!(error = %e, "cannot post proxy events");
        }
        if closed {
            return;
        }
    }
}

/// Submits the inventories a guard records
/// ([`Guard::with_inventory_submission`]) to the platform's
/// `POST {platform}/api/v1/tenants/{tenant}/mcp/inventories` (source
/// `mcp-proxy`), one at a time, the newest only, skipping one equal to the
/// last accepted. Lists the proxy has not seen are taken from the
/// platform's stored inventory (`GET …/mcp/servers/{server}`; none when it
/// answers 404 or cannot be read). Failures are logged as warnings; the
/// next list the proxy relays tries again. Ends when the guard is dropped.
pub async fn submit_inventories(
    mut feed: InventoryFeed,
    platform: String,
    api_key: String,
    tenant: String,
) {
    let Some(client) = background_client("MCP inventories not sent") else {
        return;
    };
    let base = format!(
        "{}/api/v1/tenants/{tenant}/mcp",
        platform.trim_end_matches('/')
    );
    // The platform's stored inventory, read once (for the lists not seen).
    let mut stored: Option<Value> = None;
    while feed.rx.changed().await.is_ok() {
        let Some(inv) = feed.rx.borrow_and_update().clone() else {
            continue;
        };
        let hash = inv.hash();
        if feed
            .submitted
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_deref()
            == Some(hash.as_str())
        {
            continue;
        }
        let unseen = inv.server_info.is_none()
            || inv.prompts.is_none()
            || inv.resources.is_none()
            || inv.resource_templates.is_none();
        if unseen && stored.is_none() {
            stored = Some(stored_inventory(&client, &base, &api_key, &inv.server).await);
        }
        let st = stored.as_ref().unwrap_or(&Value::Null);
        let or_stored = |v: &Option<Vec<Value>>, k: &str| match v {
            Some(v) => Value::Array(v.clone()),
            None => st.get(k).cloned().unwrap_or_else(|| json!([])),
        };
        let body = json!({"source": "mcp-proxy", "servers": [{
            "server": inv.server,
            "server_info": inv.server_info.clone()
                .unwrap_or_else(|| st.get("server_info").cloned().unwrap_or(Value::Null)),
            "tools": inv.tools,
            "prompts": or_stored(&inv.prompts, "prompts"),
            "resources": or_stored(&inv.resources, "resources"),
            "resource_templates": or_stored(&inv.resource_templates, "resource_templates"),
        }]});
        let url = format!("{base}/inventories");
        match crate::connect::post_platform_json(&client, &url, &api_key, &body).await {
            Ok(v) => {
                let changes = v["servers"][0]["changes"].as_array().map_or(0, Vec::len);
                tracing::info!(server = %inv.server, tools = inv.tools.len(), changes, "MCP inventory submitted to the platform");
                *feed.submitted.lock().unwrap_or_else(|e| e.into_inner()) = Some(hash);
            }
            Err(e) => {
                tracing::warn!(server = %inv.server, error = %e, "cannot submit the MCP inventory to the platform")
            }
        }
    }
}

/// The platform's stored inventory of `server` (`Null` when there is none
/// or it cannot be read; the latter is logged).
async fn stored_inventory(
    client: &reqwest::Client,
    base: &str,
    api_key: &str,
    server: &str,
) -> Value {
    let mut url = match reqwest::Url::parse(&format!("{base}/servers")) {
        Ok(u) => u,
        Err(e) => {
            tracing::warn!(base, error = %e, "bad platform URL");
            return Value::Null;
        }
    };
    if let Ok(mut segs) = url.path_segments_mut() {
        segs.push(server);
    }
    let url = url.to_string();
    match client.get(&url).bearer_auth(api_key).send().await {
        Ok(r) if r.status().is_success() => r.json().await.unwrap_or(Value::Null),
        Ok(r) if r.status() == reqwest::StatusCode::NOT_FOUND => Value::Null,
        Ok(r) => {
            tracing::warn!(%url, status = %r.status(), "cannot read the stored MCP inventory; unseen lists are submitted empty");
            Value::Null
        }
        Err(e) => {
            tracing::warn!(%url, error = %e, "cannot read the stored MCP inventory; unseen lists are submitted empty");
            Value::Null
        }
    }
}
