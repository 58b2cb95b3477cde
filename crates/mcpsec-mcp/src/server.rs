//! A minimal MCP server core at the JSON-RPC message level: `initialize`,
//! `ping`, `tools/list`, `tools/call`, `prompts/list`, `resources/list` and
//! `resources/templates/list` (empty unless the handler has some), over
//! newline-delimited stdio, streamable HTTP (JSON responses) or the legacy
//! HTTP+SSE transport ([`sse_router`]). Used by `mcpsec mcp serve` and by the test server of the
//! end-to-end tests. Malformed messages get JSON-RPC errors, never a panic.

use std::sync::Arc;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _};

/// Protocol version answered when the client asks for one we do not know.
pub const PROTOCOL_VERSION: &str = "2025-06-18";
const KNOWN_VERSIONS: &[&str] = &["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"];

/// Longest message a server built on this core reads (bytes).
pub const MAX_MESSAGE: usize = 16 * 1024 * 1024;

/// A JSON-RPC error (`code`, `message`).
#[derive(Debug, Clone, PartialEq)]
pub struct RpcError {
    pub code: i64,
    pub message: String,
}

impl RpcError {
    pub fn invalid_params(m: impl Into<String>) -> RpcError {
        RpcError {
            code: -32602,
            message: m.into(),
        }
    }
}

/// What a server built on this core provides.
pub trait McpHandler: Send + Sync + 'static {
    /// `serverInfo`: `{"name", "version"}`.
    fn server_info(&self) -> Value;
    /// Optional `instructions` for the client.
    fn instructions(&self) -> Option<String> {
        None
    }
    /// The `tools` array of `tools/list`.
    fn tools(&self) -> Vec<Value>;
    /// Runs a tool: the `CallToolResult` (`{"content": [...], "isError"?}`).
    fn call_tool(&self, name: &str, arguments: &Value) -> Result<Value, RpcError>;
    /// The `prompts` array of `prompts/list` (the `prompts` capability is
    /// announced when non-empty).
    fn prompts(&self) -> Vec<Value> {
        Vec::new()
    }
    /// The `resources` array of `resources/list`.
    fn resources(&self) -> Vec<Value> {
        Vec::new()
    }
    /// The `resourceTemplates` array of `resources/templates/list`.
    fn resource_templates(&self) -> Vec<Value> {
        Vec::new()
    }
}

/// Handles one incoming message (text); returns the response text, if any
/// (notifications and responses get none).
pub fn handle_text<H: McpHandler + ?Sized>(h: &H, text: &str) -> Option<String> {
    let msg: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            return Some(
                error_response(&Value::Null, -32700, &format!("parse error: {e}")).to_string(),
            );
        }
    };
    handle(h, &msg).map(|v| v.to_string())
}

/// Handles one decoded message.
pub fn handle<H: McpHandler + ?Sized>(h: &H, msg: &Value) -> Option<Value> {
    let Some(obj) = msg.as_object() else {
        return Some(error_response(
            &Value::Null,
            -32600,
            "invalid request: expected a JSON object",
        ));
    };
    let id = obj.get("id").cloned();
    let Some(method) = obj.get("method").and_then(Value::as_str) else {
        // A response or garbage without a method: nothing to answer.
        return match id {
            Some(id) if !obj.contains_key("result") && !obj.contains_key("error") => {
                Some(error_response(&id, -32600, "invalid request: no `method`"))
            }
            _ => None,
        };
    };
    let id = id?; // a notification
    let params = obj.get("params").cloned().unwrap_or(Value::Null);
    let result = match method {
        "initialize" => {
            let asked = params
                .get("protocolVersion")
                .and_then(Value::as_str)
                .unwrap_or(PROTOCOL_VERSION);
            let version = if KNOWN_VERSIONS.contains(&asked) {
                asked
            } else {
                PROTOCOL_VERSION
            };
            let mut r = json!({
                "protocolVersion": version,
                "capabilities": {"tools": {"listChanged": false}},
                "serverInfo": h.server_info(),
            });
            if !h.prompts().is_empty() {
                r["capabilities"]["prompts"] = json!({"listChanged": false});
            }
            if !h.resources().is_empty() || !h.resource_templates().is_empty() {
                r["capabilities"]["resources"] = json!({"listChanged": false});
            }
            if let Some(i) = h.instructions() {
                r["instructions"] = Value::String(i);
            }
            Ok(r)
        }
        "ping" => Ok(json!({})),
        "tools/list" => Ok(json!({"tools": h.tools()})),
        "tools/call" => match params.get("name").and_then(Value::as_str) {
            Some(name) => h.call_tool(
                name,
                params
                    .get("arguments")
                    .unwrap_or(&Value::Object(Default::default())),
            ),
            None => Err(RpcError::invalid_params("tools/call: `name` is missing")),
        },
        "prompts/list" => Ok(json!({"prompts": h.prompts()})),
        "resources/list" => Ok(json!({"resources": h.resources()})),
        "resources/templates/list" => Ok(json!({"resourceTemplates": h.resource_templates()})),
        other => Err(RpcError {
            code: -32601,
            message: format!("method not found: {other}"),
        }),
    };
    Some(match result {
        Ok(r) => json!({"jsonrpc": "2.0", "id": id, "result": r}),
        Err(e) => error_response(&id, e.code, &e.message),
    })
}

/// A JSON-RPC error response.
pub fn error_response(id: &Value, code: i64, message: &str) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}})
}

/// A successful tool result with one text block.
pub fn text_result(text: impl Into<String>, is_error: bool) -> Value {
    json!({"content": [{"type": "text", "text": text.into()}], "isError": is_error})
}

/// Serves `h` over stdin/stdout (newline-delimited JSON) until stdin closes.
pub async fn serve_stdio<H: McpHandler>(h: Arc<H>) -> std::io::Result<()> {
    let mut stdin = tokio::io::BufReader::new(tokio::io::stdin());
    let mut stdout = tokio::io::stdout();
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = (&mut stdin)
            .take(MAX_MESSAGE as u64 + 1)
            .read_until(b'\n', &mut line)
            .await?;
        if n == 0 {
            return Ok(());
        }
        if line.len() > MAX_MESSAGE && !line.ends_with(b"\n") {
            // Skip the rest of an oversized line.
            let mut rest = Vec::new();
            stdin.read_until(b'\n', &mut rest).await?;
            let e = error_response(&Value::Null, -32600, "message too large");
            stdout.write_all(format!("{e}\n").as_bytes()).await?;
            stdout.flush().await?;
            continue;
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        if let Some(resp) = handle_text(&*h, text) {
            stdout.write_all(resp.as_bytes()).await?;
            stdout.write_all(b"\n").await?;
            stdout.flush().await?;
        }
    }
}

/// An axum router serving `h` as a streamable HTTP MCP endpoint at `path`
/// (POST answers with `application/json`; GET is 405 as the spec allows).
pub fn http_router<H: McpHandler>(h: Arc<H>, path: &str) -> axum::Router {
    use axum::http::{StatusCode, header};
    use axum::response::IntoResponse;
    let post = move |body: axum::body::Bytes| {
        let h = h.clone();
        async move {
            let text = String::from_utf8_lossy(&body);
            match handle_text(&*h, &text) {
                Some(resp) => (
                    StatusCode::OK,
                    [
                        (header::CONTENT_TYPE, "application/json"),
                        (header::HeaderName::from_static("mcp-session-id"), "mcpsec"),
                    ],
                    resp,
                )
                    .into_response(),
                None => StatusCode::ACCEPTED.into_response(),
            }
        }
    };
    axum::Router::new().route(
        path,
        axum::routing::post(post)
            .get(|| async { StatusCode::METHOD_NOT_ALLOWED })
            .delete(|| async { StatusCode::OK }),
    )
}

/// An axum router serving `h` over the legacy HTTP+SSE transport (MCP
/// 2024-11-05): `GET sse_path` opens an event stream whose first event,
/// `endpoint`, names `messages_path?sessionId=N`; messages `POST`ed there are
/// answered with 202 and their responses sent on that stream as `message`
/// events. `POST sse_path` answers 405, as legacy servers do.
pub fn sse_router<H: McpHandler>(h: Arc<H>, sse_path: &str, messages_path: &str) -> axum::Router {
    use std::collections::HashMap;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicU64, Ordering};

    use axum::http::{StatusCode, Uri};
    use axum::response::IntoResponse;
    use axum::response::sse::{Event, Sse};
    use tokio::sync::mpsc;

    type Sessions = Arc<Mutex<HashMap<u64, mpsc::Sender<String>>>>;
    let sessions: Sessions = Arc::default();
    let next = Arc::new(AtomicU64::new(1));
    let get = {
        let sessions = sessions.clone();
        let messages_path = messages_path.to_string();
        move || {
            let sessions = sessions.clone();
            let id = next.fetch_add(1, Ordering::Relaxed);
            let (tx, rx) = mpsc::channel::<String>(64);
            sessions.lock().expect("sessions lock").insert(id, tx);
            let first = Event::default()
                .event("endpoint")
                .data(format!("{messages_path}?sessionId={id}"));
            let rest = futures::stream::unfold(rx, |mut rx| async move {
                let msg = rx.recv().await?;
                Some((Event::default().event("message").data(msg), rx))
            });
            let stream = futures::StreamExt::map(
                futures::StreamExt::chain(futures::stream::once(async { first }), rest),
                Ok::<_, std::convert::Infallible>,
            );
            async move { Sse::new(stream) }
        }
    };
    let post = move |uri: Uri, body: axum::body::Bytes| {
        let h = h.clone();
        let sessions = sessions.clone();
        async move {
            let id = uri
                .query()
                .unwrap_or_default()
                .split('&')
                .find_map(|kv| kv.strip_prefix("sessionId="))
                .and_then(|v| v.parse::<u64>().ok());
            let tx = id.and_then(|id| sessions.lock().expect("sessions lock").get(&id).cloned());
            let Some(tx) = tx else {
                return (StatusCode::NOT_FOUND, "unknown session").into_response();
            };
            if let Some(resp) = handle_text(&*h, &String::from_utf8_lossy(&body))
                && tx.send(resp).await.is_err()
            {
                return (StatusCode::GONE, "session closed").into_response();
            }
            StatusCode::ACCEPTED.into_response()
        }
    };
    axum::Router::new()
        .route(sse_path, axum::routing::get(get))
        .route(messages_path, axum::routing::post(post))
}
