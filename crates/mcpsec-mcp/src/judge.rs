//! Optional LLM-judge mode (rule MCP-030): each tool's metadata is sent to an
//! OpenAI-compatible `/v1/chat/completions` endpoint with a fixed system
//! prompt (`data/judge_prompt.txt`), and the model answers with a strict
//! JSON verdict. Off unless a URL is given; the default scan makes no
//! network call.
//!
//! The judge runs before analysis ([`Judge::judge`], async, bounded
//! concurrency, timeouts, retries with backoff on 429/5xx, size caps); its
//! verdicts are handed to the analyzer with
//! [`Analyzer::with_judge`](crate::Analyzer::with_judge), which turns
//! confident malicious verdicts into findings. A tool whose request or
//! answer fails gets a per-tool error; the scan goes on.
//!
//! The API key is sent as `Authorization: Bearer …` and never logged,
//! printed or put in an error message.

use std::collections::HashMap;
use std::time::Duration;

use futures::StreamExt as _;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::analyze::ServerTools;
use crate::surface::Surface;
use crate::tools::{Tool, schema_texts};

/// The system prompt sent with every request (shipped as data).
pub const SYSTEM_PROMPT: &str = include_str!("../data/judge_prompt.txt");

/// Default confidence threshold for a finding.
pub const DEFAULT_THRESHOLD: f64 = 0.7;
/// Default per-request timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default number of requests in flight.
pub const DEFAULT_CONCURRENCY: usize = 4;
/// Default number of retries after a 429/5xx or connection error.
pub const DEFAULT_RETRIES: u32 = 3;
/// Each text of a tool is cut to this many characters in the request.
pub const MAX_TEXT_CHARS: usize = 4_000;
/// The tool part of a request is cut to this many bytes.
pub const MAX_REQUEST_BYTES: usize = 32 * 1024;
/// Responses larger than this are rejected.
pub const MAX_RESPONSE_BYTES: usize = 256 * 1024;
/// Evidence fallback length when the quoted substring is not in the text.
pub const FALLBACK_EVIDENCE_CHARS: usize = 200;

/// Errors of the judge (per tool, or when building the client).
#[derive(Debug, thiserror::Error)]
pub enum JudgeError {
    #[error("LLM judge configuration: {0}")]
    Config(String),
    #[error("LLM judge request timed out after {0:?}")]
    Timeout(Duration),
    #[error("LLM judge endpoint answered HTTP {status}: {body}")]
    Http { status: u16, body: String },
    #[error("LLM judge request failed: {0}")]
    Transport(String),
    #[error("LLM judge response larger than {MAX_RESPONSE_BYTES} bytes")]
    TooLarge,
    #[error("LLM judge answer is not a valid verdict: {0}")]
    BadVerdict(String),
}

/// What the judge is told to answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    HiddenInstruction,
    Exfiltration,
    SensitiveFile,
    Shadowing,
    Concealment,
    Other,
    None,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::HiddenInstruction => "hidden_instruction",
            Category::Exfiltration => "exfiltration",
            Category::SensitiveFile => "sensitive_file",
            Category::Shadowing => "shadowing",
            Category::Concealment => "concealment",
            Category::Other => "other",
            Category::None => "none",
        }
    }
}

/// A validated verdict.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    pub malicious: bool,
    pub category: Category,
    pub evidence: String,
    pub confidence: f64,
}

/// Settings of the judge.
#[derive(Clone)]
pub struct JudgeConfig {
    /// Endpoint: a base URL (`http://host:port` or `…/v1`) or the full
    /// `…/chat/completions` URL.
    pub url: String,
    pub model: String,
    /// Sent as a Bearer token; never printed.
    pub api_key: Option<String>,
    pub timeout: Duration,
    pub concurrency: usize,
    pub retries: u32,
    /// First backoff delay (doubled on each retry; `Retry-After` wins, up to 30 s).
    pub backoff: Duration,
    pub threshold: f64,
}

impl std::fmt::Debug for JudgeConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JudgeConfig")
            .field("url", &self.url)
            .field("model", &self.model)
            .field("api_key", &self.api_key.as_ref().map(|_| "[redacted]"))
            .field("timeout", &self.timeout)
            .field("concurrency", &self.concurrency)
            .field("retries", &self.retries)
            .field("threshold", &self.threshold)
            .finish()
    }
}

impl JudgeConfig {
    /// Defaults for everything but the endpoint and model.
    pub fn new(url: impl Into<String>, model: impl Into<String>) -> JudgeConfig {
        JudgeConfig {
            url: url.into(),
            model: model.into(),
            api_key: None,
            timeout: DEFAULT_TIMEOUT,
            concurrency: DEFAULT_CONCURRENCY,
            retries: DEFAULT_RETRIES,
            backoff: Duration::from_millis(500),
            threshold: DEFAULT_THRESHOLD,
        }
    }

    /// The chat-completions URL derived from [`JudgeConfig::url`].
    pub fn endpoint(&self) -> String {
        let u = self.url.trim_end_matches('/');
        if u.ends_with("/chat/completions") {
            u.to_string()
        } else if u.ends_with("/v1") {
            format!("{u}/chat/completions")
        } else {
            format!("{u}/v1/chat/completions")
        }
    }
}

/// The verdicts of one run, keyed by [`tool_key`], plus per-tool errors.
#[derive(Debug, Clone, Default)]
pub struct JudgeVerdicts {
    pub threshold: f64,
    pub verdicts: HashMap<String, Verdict>,
    /// `server/tool: error` lines for the report.
    pub errors: Vec<String>,
    /// Requests sent (including retries).
    pub requests: usize,
}

impl JudgeVerdicts {
    /// The verdict for `tool`, if one was obtained.
    pub fn get(&self, tool: &Tool) -> Option<&Verdict> {
        self.verdicts.get(&tool_key(tool))
    }

    /// The verdict for a prompt or resource (`kind` as in [`item_payload`]).
    pub fn get_item(&self, kind: &str, item: &Value) -> Option<&Verdict> {
        self.verdicts.get(&item_key(kind, item))
    }
}

/// What is sent for a tool (the user message): name, title, description,
/// annotation title, parameter descriptions and schema values, each cut to
/// [`MAX_TEXT_CHARS`], the whole cut to [`MAX_REQUEST_BYTES`].
pub fn tool_payload(tool: &Tool) -> String {
    let cut = |s: &str| -> String { s.chars().take(MAX_TEXT_CHARS).collect() };
    let mut texts = Vec::new();
    for st in schema_texts(&tool.input_schema, "inputSchema") {
        texts.push(json!({"location": st.location, "text": cut(st.text)}));
    }
    let v = json!({
        "name": cut(&tool.name),
        "title": tool.title.as_deref().map(cut),
        "description": tool.description.as_deref().map(cut),
        "annotations_title": tool.annotations.as_ref().and_then(|a| a.title.as_deref()).map(cut),
        "schema_texts": texts,
    });
    cap(format!("Tool metadata to judge (JSON):\n{v}"))
}

/// The cache key of a tool: SHA-256 of its payload.
pub fn tool_key(tool: &Tool) -> String {
    hex::encode(Sha256::digest(tool_payload(tool).as_bytes()))
}

/// The tool's texts joined, where the quoted evidence is looked for.
pub(crate) fn tool_text(tool: &Tool) -> String {
    let mut parts: Vec<&str> = vec![&tool.name];
    parts.extend(tool.title.as_deref());
    parts.extend(tool.description.as_deref());
    parts.extend(tool.annotations.as_ref().and_then(|a| a.title.as_deref()));
    let schema = schema_texts(&tool.input_schema, "inputSchema");
    parts.extend(schema.iter().map(|s| s.text));
    parts.join("\n")
}

/// What is sent for a prompt, resource or resource template (`kind`) of a
/// server: the item's JSON without `_meta`, each string cut to
/// [`MAX_TEXT_CHARS`], the whole cut to [`MAX_REQUEST_BYTES`].
pub fn item_payload(kind: &str, item: &Value) -> String {
    fn cut(v: &Value, depth: usize) -> Value {
        match v {
            Value::String(s) => Value::String(s.chars().take(MAX_TEXT_CHARS).collect()),
            Value::Array(a) if depth < 16 => {
                Value::Array(a.iter().map(|x| cut(x, depth + 1)).collect())
            }
            Value::Object(o) if depth < 16 => Value::Object(
                o.iter()
                    .filter(|(k, _)| k.as_str() != "_meta")
                    .map(|(k, x)| (k.clone(), cut(x, depth + 1)))
                    .collect(),
            ),
            Value::Array(_) | Value::Object(_) => Value::Null,
            other => other.clone(),
        }
    }
    cap(format!(
        "MCP {kind} metadata to judge (JSON):\n{}",
        cut(item, 0)
    ))
}

/// The cache key of a prompt or resource: SHA-256 of its payload.
pub fn item_key(kind: &str, item: &Value) -> String {
    hex::encode(Sha256::digest(item_payload(kind, item).as_bytes()))
}

/// Every string of an item joined (where the quoted evidence is looked for).
pub(crate) fn item_text(item: &Value) -> String {
    fn walk<'a>(v: &'a Value, out: &mut Vec<&'a str>, depth: usize) {
        match v {
            Value::String(s) => out.push(s),
            Value::Array(a) if depth < 16 => a.iter().for_each(|x| walk(x, out, depth + 1)),
            Value::Object(o) if depth < 16 => o
                .iter()
                .filter(|(k, _)| k.as_str() != "_meta")
                .for_each(|(_, x)| walk(x, out, depth + 1)),
            _ => {}
        }
    }
    let mut parts = Vec::new();
    walk(item, &mut parts, 0);
    parts.join("\n")
}

fn cap(mut s: String) -> String {
    if s.len() > MAX_REQUEST_BYTES {
        let mut end = MAX_REQUEST_BYTES;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
        s.push_str("\n[truncated]");
    }
    s
}

/// An HTTP client for the judge endpoint.
pub struct Judge {
    cfg: JudgeConfig,
    client: reqwest::Client,
}

impl std::fmt::Debug for Judge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Judge").field("cfg", &self.cfg).finish()
    }
}

impl Judge {
    pub fn new(cfg: JudgeConfig) -> Result<Judge, JudgeError> {
        if cfg.model.trim().is_empty() {
            return Err(JudgeError::Config("no model name".into()));
        }
        let endpoint = cfg.endpoint();
        if !(endpoint.starts_with("http://") || endpoint.starts_with("https://")) {
            return Err(JudgeError::Config(format!(
                "endpoint must be an http(s) URL, got {:?}",
                cfg.url
            )));
        }
        if !(0.0..=1.0).contains(&cfg.threshold) {
            return Err(JudgeError::Config(format!(
                "threshold {} is not between 0 and 1",
                cfg.threshold
            )));
        }
        crate::connect::install_crypto_provider();
        let client = reqwest::Client::builder()
            .connect_timeout(cfg.timeout)
            .build()
            .map_err(|e| JudgeError::Config(format!("HTTP client: {e}")))?;
        Ok(Judge { cfg, client })
    }

    pub fn config(&self) -> &JudgeConfig {
        &self.cfg
    }

    /// Judges every tool of `servers` (each distinct tool once), at most
    /// `concurrency` requests at a time.
    pub async fn judge(&self, servers: &[ServerTools]) -> JudgeVerdicts {
        self.judge_with_surfaces(servers, &std::collections::BTreeMap::new())
            .await
    }

    /// Like [`Judge::judge`], and also every prompt, resource and resource
    /// template of `surfaces` (server name → its prompts and resources).
    pub async fn judge_with_surfaces(
        &self,
        servers: &[ServerTools],
        surfaces: &std::collections::BTreeMap<String, Surface>,
    ) -> JudgeVerdicts {
        // Unique items by key, with the first server/item name for errors.
        let mut todo: Vec<(String, String, String)> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut push = |label: String, payload: String| {
            let key = hex::encode(Sha256::digest(payload.as_bytes()));
            if seen.insert(key.clone()) {
                todo.push((key, label, payload));
            }
        };
        for st in servers {
            for t in &st.tools {
                push(format!("{}/{}", st.server, t.name), tool_payload(t));
            }
        }
        for (server, sf) in surfaces {
            for (name, v, kind) in crate::surface::judged_items(sf) {
                push(format!("{server}/{name}"), item_payload(kind, v));
            }
        }
        let results: Vec<_> = futures::stream::iter(todo)
            .map(|(key, label, payload)| async move {
                let (r, n) = self.ask(&payload).await;
                (key, label, r, n)
            })
            .buffer_unordered(self.cfg.concurrency.max(1))
            .collect()
            .await;
        let mut out = JudgeVerdicts {
            threshold: self.cfg.threshold,
            ..Default::default()
        };
        for (key, label, r, n) in results {
            out.requests += n;
            match r {
                Ok(v) => {
                    out.verdicts.insert(key, v);
                }
                Err(e) => {
                    let msg = self.redact(&e.to_string());
                    tracing::warn!(tool = %label, error = %msg, "LLM judge failed on a tool");
                    out.errors.push(format!("{label}: {msg}"));
                }
            }
        }
        out.errors.sort();
        out
    }

    /// One verdict, with retries; also returns the number of requests sent.
    async fn ask(&self, payload: &str) -> (Result<Verdict, JudgeError>, usize) {
        let mut json_mode = true;
        let mut sent = 0;
        let mut attempt = 0u32;
        loop {
            sent += 1;
            let (r, retry_after) = self.once(payload, json_mode).await;
            match r {
                Ok(body) => return (parse_response(&body), sent),
                Err(JudgeError::Http {
                    status: 400,
                    ref body,
                }) if json_mode && body.contains("response_format") => {
                    // The endpoint does not support JSON mode: ask again without it.
                    json_mode = false;
                    continue;
                }
                Err(e @ (JudgeError::Http { .. } | JudgeError::Transport(_)))
                    if attempt < self.cfg.retries && retryable(&e) =>
                {
                    let delay = retry_after
                        .unwrap_or(self.cfg.backoff * 2u32.saturating_pow(attempt))
                        .min(Duration::from_secs(30));
                    tracing::debug!(attempt, ?delay, error = %self.redact(&e.to_string()), "LLM judge retry");
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                }
                Err(e) => return (Err(e), sent),
            }
        }
    }

    async fn once(
        &self,
        payload: &str,
        json_mode: bool,
    ) -> (Result<Vec<u8>, JudgeError>, Option<Duration>) {
        let mut body = json!({
            "model": self.cfg.model,
            "temperature": 0,
            "messages": [
                {"role": "system", "content": SYSTEM_PROMPT},
                {"role": "user", "content": payload},
            ],
        });
        if json_mode {
            body["response_format"] = json!({"type": "json_object"});
        }
        let mut req = self
            .client
            .post(self.cfg.endpoint())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_string());
        if let Some(k) = &self.cfg.api_key {
            req = req.bearer_auth(k);
        }
        let fut = async {
            let mut resp = req
                .send()
                .await
                .map_err(|e| (JudgeError::Transport(chain(e.without_url())), None))?;
            let status = resp.status();
            let retry_after = resp
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            let mut buf = Vec::new();
            while let Some(chunk) = resp
                .chunk()
                .await
                .map_err(|e| (JudgeError::Transport(chain(e.without_url())), None))?
            {
                if buf.len() + chunk.len() > MAX_RESPONSE_BYTES {
                    return Err((JudgeError::TooLarge, None));
                }
                buf.extend_from_slice(&chunk);
            }
            if !status.is_success() {
                let text: String = String::from_utf8_lossy(&buf).chars().take(300).collect();
                return Err((
                    JudgeError::Http {
                        status: status.as_u16(),
                        body: text,
                    },
                    retry_after,
                ));
            }
            Ok(buf)
        };
        match tokio::time::timeout(self.cfg.timeout, fut).await {
            Err(_) => (Err(JudgeError::Timeout(self.cfg.timeout)), None),
            Ok(Ok(b)) => (Ok(b), None),
            Ok(Err((e, ra))) => (Err(e), ra),
        }
    }

    /// `s` with the API key (if any) replaced.
    fn redact(&self, s: &str) -> String {
        match &self.cfg.api_key {
            Some(k) if !k.is_empty() => s.replace(k.as_str(), "[redacted]"),
            _ => s.to_string(),
        }
    }
}

/// An error with its sources (reqwest's own message is terse).
fn chain(e: reqwest::Error) -> String {
    let mut m = e.to_string();
    let mut src = std::error::Error::source(&e);
    while let Some(s) = src {
        m.push_str(": ");
        m.push_str(&s.to_string());
        src = s.source();
    }
    m
}

fn retryable(e: &JudgeError) -> bool {
    match e {
        JudgeError::Http { status, .. } => *status == 429 || *status >= 500,
        JudgeError::Transport(_) => true,
        _ => false,
    }
}

/// Parses a chat-completions response body into a verdict.
pub fn parse_response(body: &[u8]) -> Result<Verdict, JudgeError> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| JudgeError::BadVerdict(format!("response is not JSON: {e}")))?;
    let content = v
        .pointer("/choices/0/message/content")
        .and_then(Value::as_str)
        .ok_or_else(|| JudgeError::BadVerdict("no choices[0].message.content".into()))?;
    parse_verdict(content)
}

/// Parses the model's answer (a JSON object, possibly inside a code fence
/// or surrounded by prose) into a validated verdict.
pub fn parse_verdict(content: &str) -> Result<Verdict, JudgeError> {
    let bad = |m: String| JudgeError::BadVerdict(m);
    let start = content.find('{');
    let end = content.rfind('}');
    let obj = match (start, end) {
        (Some(s), Some(e)) if s < e => &content[s..=e],
        _ => {
            let head: String = content.chars().take(80).collect();
            return Err(bad(format!("no JSON object in the answer {head:?}")));
        }
    };
    let v: Value = serde_json::from_str(obj).map_err(|e| bad(format!("invalid JSON: {e}")))?;
    let malicious = v
        .get("malicious")
        .and_then(Value::as_bool)
        .ok_or_else(|| bad("\"malicious\" missing or not a boolean".into()))?;
    let category = match v.get("category") {
        None | Some(Value::Null) => Category::None,
        Some(c) => {
            serde_json::from_value(c.clone()).map_err(|_| bad(format!("unknown category {c}")))?
        }
    };
    let confidence = v
        .get("confidence")
        .and_then(Value::as_f64)
        .ok_or_else(|| bad("\"confidence\" missing or not a number".into()))?;
    if !(0.0..=1.0).contains(&confidence) {
        return Err(bad(format!("confidence {confidence} not in 0..1")));
    }
    let evidence = v
        .get("evidence")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    Ok(Verdict {
        malicious,
        category,
        evidence,
        confidence,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_fenced_and_rejects_bad() {
        let v = parse_verdict("```json\n{\"malicious\": true, \"category\": \"exfiltration\", \"evidence\": \"x\", \"confidence\": 0.9}\n```").unwrap();
        assert!(v.malicious);
        assert_eq!(v.category, Category::Exfiltration);
        assert!(parse_verdict("I think it is fine").is_err());
        assert!(parse_verdict("{\"malicious\": \"yes\", \"confidence\": 1}").is_err());
        assert!(
            parse_verdict("{\"malicious\": true, \"category\": \"evil\", \"confidence\": 1}")
                .is_err()
        );
        assert!(parse_verdict("{\"malicious\": true, \"confidence\": 1.5}").is_err());
        assert!(parse_response(b"<html>").is_err());
        assert!(parse_response(b"{\"choices\": []}").is_err());
    }

    #[test]
    fn endpoint_and_debug_redaction() {
        let mut c = JudgeConfig::new("http://h:1", "m");
        assert_eq!(c.endpoint(), "http://h:1/v1/chat/completions");
        c.url = "http://h:1/v1/".into();
        assert_eq!(c.endpoint(), "http://h:1/v1/chat/completions");
        c.url = "http://h:1/x/chat/completions".into();
        assert_eq!(c.endpoint(), "http://h:1/x/chat/completions");
        c.api_key = Some("sk-secret-123".into());
        assert!(!format!("{c:?}").contains("sk-secret-123"));
        assert!(Judge::new(JudgeConfig::new("ftp://x", "m")).is_err());
        assert!(Judge::new(JudgeConfig::new("http://x", " ")).is_err());
    }

    #[test]
    fn payload_is_capped() {
        let t = Tool::new("big", "a".repeat(100_000));
        let p = tool_payload(&t);
        assert!(p.len() <= MAX_REQUEST_BYTES + 20);
        assert_eq!(tool_key(&t), tool_key(&t.clone()));
    }
}
