//! Live connections to MCP servers with the official Rust SDK (`rmcp`):
//! spawn a stdio server (clean environment, timeout) or connect to a
//! streamable HTTP or legacy HTTP+SSE server, and fetch its server info, tools, prompts and
//! resources into an [`Inventory`].
//!
//! Everything is bounded: one overall timeout per server (spawn, handshake
//! and every list call), at most [`Limits::max_items`] tools/prompts/resources,
//! descriptions cut at [`Limits::max_description`] bytes (the analyzer still
//! sees that the text was oversized), JSON responses of streamable HTTP
//! servers capped at [`Limits::max_response`] bytes and lines of stdio
//! servers at 16 MiB (rmcp's codec limit). A server that fails, hangs or
//! crashes yields a [`ConnectError`] naming it; callers go on with the others.
//!
//! Legacy HTTP+SSE servers (MCP 2024-11-05) are connected with
//! [`crate::sse::SseClientTransport`] (rmcp 3 has no SSE client): when the
//! config says `sse`, and as a fallback when a streamable HTTP URL answers
//! `POST` with 404 or 405.

use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::Duration;

use rmcp::ServiceExt;
use rmcp::transport::TokioChildProcess;
use rmcp::transport::streamable_http_client::{
    StreamableHttpClientTransport, StreamableHttpClientTransportConfig,
};
use serde::Serialize;
use serde_json::Value;

use crate::analyze::ServerTools;
use crate::config::{ServerConfig, Transport};
use crate::tools::{Tool, parse_tools_value};

/// Environment variables a spawned stdio server inherits from mcpsec (the
/// same list the official TypeScript SDK's `getDefaultEnvironment` passes);
/// everything else comes from the server's configured `env`.
#[cfg(unix)]
pub const INHERITED_ENV: &[&str] = &["HOME", "LOGNAME", "PATH", "SHELL", "TERM", "USER"];
#[cfg(windows)]
pub const INHERITED_ENV: &[&str] = &[
    "APPDATA",
    "HOMEDRIVE",
    "HOMEPATH",
    "LOCALAPPDATA",
    "PATH",
    "PROCESSOR_ARCHITECTURE",
    "SYSTEMDRIVE",
    "SYSTEMROOT",
    "TEMP",
    "USERNAME",
    "USERPROFILE",
    "PROGRAMFILES",
];
#[cfg(not(any(unix, windows)))]
pub const INHERITED_ENV: &[&str] = &["PATH"];

/// Bounds for one server connection.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Overall time for spawning/connecting, the handshake and all list calls.
    pub timeout: Duration,
    /// Longest description/title kept, in bytes.
    pub max_description: usize,
    /// Most tools, prompts and resources kept (each).
    pub max_items: usize,
    /// Largest JSON response accepted from a streamable HTTP server, in bytes.
    pub max_response: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            timeout: Duration::from_secs(20),
            max_description: 64 * 1024,
            max_items: 5_000,
            max_response: 16 * 1024 * 1024,
        }
    }
}

/// Why a server could not be inventoried.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("server `{server}`: {what} timed out after {secs} s")]
    Timeout {
        server: String,
        what: &'static str,
        secs: u64,
    },
    #[error("server `{server}`: cannot start `{command}`: {source}")]
    Spawn {
        server: String,
        command: String,
        source: std::io::Error,
    },
    #[error("server `{server}`: {what}: {message}")]
    Protocol {
        server: String,
        what: &'static str,
        message: String,
    },
    #[error("server `{server}`: {message}")]
    Unsupported { server: String, message: String },
}

/// What a live server exposes.
#[derive(Debug, Clone, Serialize)]
pub struct Inventory {
    pub server: String,
    /// `serverInfo` / capabilities from the `initialize` result (JSON).
    pub server_info: Value,
    pub tools: Vec<Tool>,
    pub prompts: Vec<Value>,
    pub resources: Vec<Value>,
    /// `resources/templates/list` (`uriTemplate`, `name`, `description`…).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resource_templates: Vec<Value>,
    /// Non-fatal problems (a list call the server does not support, truncation).
    pub warnings: Vec<String>,
}

impl Inventory {
    /// The prompts, resources and resource templates.
    pub fn surface(&self) -> crate::surface::Surface {
        crate::surface::Surface {
            prompts: self.prompts.clone(),
            resources: self.resources.clone(),
            resource_templates: self.resource_templates.clone(),
        }
    }

    /// The tools as the analyzer's input.
    pub fn server_tools(&self) -> ServerTools {
        ServerTools {
            server: self.server.clone(),
            source: Some(format!("live:{}", self.server)),
            tools: self.tools.clone(),
        }
    }
}

/// Connects to a configured server and fetches its inventory within `limits`.
pub async fn inventory(cfg: &ServerConfig, limits: &Limits) -> Result<Inventory, ConnectError> {
    let secs = limits.timeout.as_secs().max(1);
    let server = cfg.name.clone();
    let fut = async {
        match cfg.transport {
            Transport::Stdio => inventory_stdio(cfg, limits).await,
            Transport::Http | Transport::Sse => {
                let url = cfg.url.clone().ok_or_else(|| ConnectError::Protocol {
                    server: cfg.name.clone(),
                    what: "config",
                    message: "no URL".into(),
                })?;
                let headers: BTreeMap<String, String> = cfg
                    .headers
                    .iter()
                    .map(|(k, v)| (k.clone(), v.expose().to_string()))
                    .collect();
                if cfg.transport == Transport::Sse {
                    inventory_sse(&cfg.name, &url, &headers, limits).await
                } else {
                    inventory_http(&cfg.name, &url, &headers, limits).await
                }
            }
        }
    };
    match tokio::time::timeout(limits.timeout, fut).await {
        Ok(r) => r,
        Err(_) => Err(ConnectError::Timeout {
            server,
            what: "connecting and listing",
            secs,
        }),
    }
}

async fn inventory_stdio(cfg: &ServerConfig, limits: &Limits) -> Result<Inventory, ConnectError> {
    let command = cfg.command.clone().ok_or_else(|| ConnectError::Protocol {
        server: cfg.name.clone(),
        what: "config",
        message: "no command".into(),
    })?;
    let cmd = stdio_command(&command, cfg);
    let (transport, _stderr) = TokioChildProcess::builder(cmd)
        .stderr(Stdio::null())
        .spawn()
        .map_err(|source| ConnectError::Spawn {
            server: cfg.name.clone(),
            command: command.clone(),
            source,
        })?;
    list_all(&cfg.name, transport, limits).await
}

/// The command that starts stdio server `cfg`: its args, a cleared
/// environment plus [`INHERITED_ENV`] and the configured `env`, its `cwd`.
pub fn stdio_command(command: &str, cfg: &ServerConfig) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(command);
    cmd.args(&cfg.args).env_clear().kill_on_drop(true);
    for k in INHERITED_ENV {
        if let Some(v) = std::env::var_os(k) {
            cmd.env(k, v);
        }
    }
    for (k, v) in &cfg.env {
        cmd.env(k, v.expose());
    }
    if let Some(cwd) = &cfg.cwd {
        cmd.current_dir(cwd);
    }
    cmd
}

/// Connects to a streamable HTTP server at `url` (`headers` are sent with
/// every request) and fetches its inventory. When that fails and the server
/// answers a `POST` with 404 or 405, it is a legacy HTTP+SSE server (as the
/// MCP clients do, the same URL is then tried with `GET` as an SSE stream).
pub async fn inventory_http(
    server: &str,
    url: &str,
    headers: &BTreeMap<String, String>,
    limits: &Limits,
) -> Result<Inventory, ConnectError> {
    install_crypto_provider();
    let proto = |message: String| ConnectError::Protocol {
        server: server.to_string(),
        what: "config",
        message,
    };
    let mut config = StreamableHttpClientTransportConfig::with_uri(url.to_string())
        .max_json_response_size(limits.max_response)
        .max_sse_event_size(limits.max_response);
    let mut custom = std::collections::HashMap::new();
    for (k, v) in headers {
        if k.eq_ignore_ascii_case("authorization") {
            let token = v.strip_prefix("Bearer ").unwrap_or(v);
            config = config.auth_header(token.to_string());
            continue;
        }
        let name = reqwest::header::HeaderName::from_bytes(k.as_bytes())
            .map_err(|e| proto(format!("header {k}: {e}")))?;
        let value = reqwest::header::HeaderValue::from_str(v)
            .map_err(|e| proto(format!("header {k}: {e}")))?;
        custom.insert(name, value);
    }
    let config = config.custom_headers(custom);
    let client = http_client(server, limits)?;
    let transport = StreamableHttpClientTransport::with_client(client.clone(), config);
    match list_all(server, transport, limits).await {
        Ok(inv) => Ok(inv),
        Err(e @ ConnectError::Protocol { .. }) => {
            if legacy_sse_status(&client, url, headers).await {
                tracing::debug!(server, url, "POST answered 404/405: trying legacy HTTP+SSE");
                let mut inv = inventory_sse(server, url, headers, limits).await?;
                inv.warnings.push(format!(
                    "server `{server}`: not streamable HTTP (POST answered 404/405); \
                     connected with the legacy HTTP+SSE transport"
                ));
                Ok(inv)
            } else {
                Err(e)
            }
        }
        Err(e) => Err(e),
    }
}

/// Whether `url` answers a JSON-RPC `POST` with 404 or 405, the sign of a
/// legacy HTTP+SSE server (its SSE URL accepts only `GET`).
async fn legacy_sse_status(
    client: &reqwest::Client,
    url: &str,
    headers: &BTreeMap<String, String>,
) -> bool {
    let Ok(headers) = header_map(headers) else {
        return false;
    };
    let probe = serde_json::json!({"jsonrpc": "2.0", "id": 0, "method": "ping"});
    match client
        .post(url)
        .headers(headers)
        .header(
            reqwest::header::ACCEPT,
            "application/json, text/event-stream",
        )
        .json(&probe)
        .send()
        .await
    {
        Ok(r) => matches!(r.status().as_u16(), 404 | 405),
        Err(_) => false,
    }
}

/// Connects to a legacy HTTP+SSE server (MCP 2024-11-05) whose event stream
/// is at `url` and fetches its inventory ([`crate::sse`]).
pub async fn inventory_sse(
    server: &str,
    url: &str,
    headers: &BTreeMap<String, String>,
    limits: &Limits,
) -> Result<Inventory, ConnectError> {
    install_crypto_provider();
    let client = http_client(server, limits)?;
    let headers = header_map(headers).map_err(|message| ConnectError::Protocol {
        server: server.to_string(),
        what: "config",
        message,
    })?;
    let transport =
        crate::sse::SseClientTransport::connect(client, url, headers, limits.max_response)
            .await
            .map_err(|e| ConnectError::Protocol {
                server: server.to_string(),
                what: "SSE connect",
                message: e.to_string(),
            })?;
    list_all(server, transport, limits).await
}

fn http_client(server: &str, limits: &Limits) -> Result<reqwest::Client, ConnectError> {
    reqwest::Client::builder()
        .connect_timeout(limits.timeout)
        .build()
        .map_err(|e| ConnectError::Protocol {
            server: server.to_string(),
            what: "config",
            message: format!("HTTP client: {e}"),
        })
}

/// The configured headers as a [`reqwest::header::HeaderMap`].
fn header_map(headers: &BTreeMap<String, String>) -> Result<reqwest::header::HeaderMap, String> {
    let mut map = reqwest::header::HeaderMap::new();
    for (k, v) in headers {
        let name = reqwest::header::HeaderName::from_bytes(k.as_bytes())
            .map_err(|e| format!("header {k}: {e}"))?;
        let value =
            reqwest::header::HeaderValue::from_str(v).map_err(|e| format!("header {k}: {e}"))?;
        map.insert(name, value);
    }
    Ok(map)
}

/// Installs the `ring` rustls provider once (reqwest is built without one).
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

async fn list_all<T, E, A>(
    server: &str,
    transport: T,
    limits: &Limits,
) -> Result<Inventory, ConnectError>
where
    T: rmcp::transport::IntoTransport<rmcp::RoleClient, E, A>,
    E: std::error::Error + Send + Sync + 'static,
{
    let proto = |what: &'static str, message: String| ConnectError::Protocol {
        server: server.to_string(),
        what,
        message,
    };
    let client = ().serve(transport).await.map_err(|e| proto("initialize", e.to_string()))?;
    let server_info = client
        .peer_info()
        .map(|i| serde_json::to_value(&*i).unwrap_or(Value::Null))
        .unwrap_or(Value::Null);
    let mut warnings = Vec::new();
    let has = |cap: &str| server_info["capabilities"].get(cap).is_some();
    let tools_v = if has("tools") {
        let tools = client
            .list_all_tools()
            .await
            .map_err(|e| proto("tools/list", e.to_string()))?;
        serde_json::to_value(&tools).unwrap_or(Value::Array(Vec::new()))
    } else {
        Value::Array(Vec::new())
    };
    let mut prompts = Vec::new();
    if has("prompts") {
        match client.list_all_prompts().await {
            Ok(p) => {
                prompts = p
                    .iter()
                    .filter_map(|p| serde_json::to_value(p).ok())
                    .collect()
            }
            Err(e) => warnings.push(format!("server `{server}`: prompts/list: {e}")),
        }
    }
    let mut resources = Vec::new();
    let mut resource_templates = Vec::new();
    if has("resources") {
        match client.list_all_resources().await {
            Ok(r) => {
                resources = r
                    .iter()
                    .filter_map(|r| serde_json::to_value(r).ok())
                    .collect()
            }
            Err(e) => warnings.push(format!("server `{server}`: resources/list: {e}")),
        }
        match client.list_all_resource_templates().await {
            Ok(r) => {
                resource_templates = r
                    .iter()
                    .filter_map(|r| serde_json::to_value(r).ok())
                    .collect()
            }
            Err(e) => warnings.push(format!("server `{server}`: resources/templates/list: {e}")),
        }
    }
    let _ = client.cancel().await;
    let mut tools =
        parse_tools_value(&tools_v).map_err(|e| proto("tools/list result", e.to_string()))?;
    for (what, n) in [
        ("tools", tools.len()),
        ("prompts", prompts.len()),
        ("resources", resources.len()),
        ("resource templates", resource_templates.len()),
    ] {
        if n > limits.max_items {
            warnings.push(format!(
                "server `{server}`: {n} {what}, only the first {} kept",
                limits.max_items
            ));
        }
    }
    tools.truncate(limits.max_items);
    prompts.truncate(limits.max_items);
    resources.truncate(limits.max_items);
    resource_templates.truncate(limits.max_items);
    for t in &mut tools {
        if let Some(d) = &mut t.description {
            truncate_utf8(d, limits.max_description);
        }
    }
    for v in prompts
        .iter_mut()
        .chain(&mut resources)
        .chain(&mut resource_templates)
    {
        truncate_strings(v, limits.max_description);
    }
    Ok(Inventory {
        server: server.to_string(),
        server_info,
        tools,
        prompts,
        resources,
        resource_templates,
        warnings,
    })
}

/// Cuts every string inside `v` to at most `max` bytes.
fn truncate_strings(v: &mut Value, max: usize) {
    match v {
        Value::String(s) => truncate_utf8(s, max),
        Value::Array(a) => a.iter_mut().for_each(|x| truncate_strings(x, max)),
        Value::Object(o) => o.values_mut().for_each(|x| truncate_strings(x, max)),
        _ => {}
    }
}

/// Cuts `s` to at most `max` bytes on a character boundary.
pub fn truncate_utf8(s: &mut String, max: usize) {
    if s.len() <= max {
        return;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.truncate(end);
}

/// Inventories many servers concurrently (at most `parallel` at a time);
/// results come back in input order, failures as errors.
pub async fn inventory_all(
    servers: &[ServerConfig],
    limits: &Limits,
    parallel: usize,
) -> Vec<Result<Inventory, ConnectError>> {
    use futures::StreamExt as _;
    futures::stream::iter(servers.iter().map(|s| inventory(s, limits)))
        .buffered(parallel.max(1))
        .collect()
        .await
}

/// Submits live inventories to the platform's
/// `POST {platform}/api/v1/tenants/{tenant}/mcp/inventories` (batches of
/// 100 servers), which stores them and publishes `mcp.tool_changed` for every
/// tool added, removed or changed against the stored inventory. Returns the
/// number of changes the platform reported.
/// An HTTP client for mcpsec's platform API with `timeout`.
pub(crate) fn platform_client(timeout: Duration) -> Result<reqwest::Client, String> {
    install_crypto_provider();
    reqwest::Client::builder()
        .timeout(timeout)
        .build()
        .map_err(|e| format!("cannot build the HTTP client for the platform: {e}"))
}

/// POSTs `body` as JSON to the platform with the API key; returns the
/// answer's JSON (`Null` when it is not JSON), or an error naming the URL and
/// what the platform answered.
pub(crate) async fn post_platform_json(
    client: &reqwest::Client,
    url: &str,
    api_key: &str,
    body: &Value,
) -> Result<Value, String> {
    let r = client
        .post(url)
        .bearer_auth(api_key)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .map_err(|e| format!("POST {url}: {e}"))?;
    let status = r.status();
    let text = r.text().await.unwrap_or_default();
    if !status.is_success() {
        return Err(format!(
            "POST {url}: platform answered {status}: {}",
            text.chars().take(300).collect::<String>()
        ));
    }
    Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
}

pub async fn post_inventories(
    platform: &str,
    api_key: &str,
    tenant: &str,
    source: &str,
    inventories: &[Inventory],
) -> Result<usize, String> {
    if inventories.is_empty() {
        return Ok(0);
    }
    let client = platform_client(Duration::from_secs(60))?;
    let url = format!(
        "{}/api/v1/tenants/{tenant}/mcp/inventories",
        platform.trim_end_matches('/')
    );
    let mut changes = 0;
    for chunk in inventories.chunks(100) {
        let servers: Vec<Value> = chunk
            .iter()
            .map(|i| {
                serde_json::json!({
                    "server": i.server,
                    "server_info": i.server_info,
                    "tools": i.tools,
                    "prompts": i.prompts,
                    "resources": i.resources,
                    "resource_templates": i.resource_templates,
                })
            })
            .collect();
        let body = serde_json::json!({"source": source, "servers": servers});
        let v = post_platform_json(&client, &url, api_key, &body).await?;
        changes += v["servers"]
            .as_array()
            .map(|s| {
                s.iter()
                    .filter_map(|x| x["changes"].as_array().map(Vec::len))
                    .sum::<usize>()
            })
            .unwrap_or(0);
    }
    Ok(changes)
}
