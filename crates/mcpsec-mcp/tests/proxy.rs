//! End-to-end guard proxy: an rmcp client talks to the test server through
//! the proxy (stdio and streamable HTTP); poisoned and changed tools are
//! hidden, calls are denied by policy, secrets in results are redacted.

use std::sync::Arc;

use mcpsec_mcp::Analyzer;
use mcpsec_mcp::pin::PinFile;
use mcpsec_mcp::proxy::{
    ClientAction, Decision, Guard, HttpProxy, Pending, Policy, ProxyEvent, http_router, run_stdio,
};
use rmcp::ServiceExt as _;
use rmcp::model::CallToolRequestParams;
use serde_json::{Value, json};

const TEST_SERVER: &str = env!("CARGO_BIN_EXE_mcp-test-server");

const POLICY: &str = r#"
default: allow
tools_list:
  action: hide
  min_severity: high
  on_change: hide
calls:
  - tool: read_file
    action: allow
    roots: ["/srv/project"]
    deny_args: {path: '\.env$'}
  - tool: "delete_*"
    action: deny
    reason: destructive tools are not allowed
rate_limits:
  - tool: send_message
    max_calls: 1
    per_seconds: 3600
"#;

fn args(v: Value) -> CallToolRequestParams {
    let (name, a) = (
        v["name"].as_str().unwrap().to_string(),
        v["arguments"].clone(),
    );
    CallToolRequestParams::new(name).with_arguments(a.as_object().unwrap().clone())
}

fn guard(pins: Option<PinFile>) -> (Guard, tokio::sync::mpsc::Receiver<ProxyEvent>) {
    let (tx, rx) = tokio::sync::mpsc::channel(1000);
    let g = Guard::new(
        "calc",
        Policy::parse(POLICY, "test policy").unwrap(),
        Analyzer::builtin(),
        pins,
    )
    .with_events(tx);
    (g, rx)
}

fn drain(rx: &mut tokio::sync::mpsc::Receiver<ProxyEvent>) -> Vec<ProxyEvent> {
    let mut v = Vec::new();
    while let Ok(e) = rx.try_recv() {
        v.push(e);
    }
    v
}

#[tokio::test]
async fn stdio_proxy_hides_poisoned_tools_and_enforces_policy() {
    let (g, mut events) = guard(None);
    let g = Arc::new(g);
    let (client_side, proxy_side) = tokio::io::duplex(1 << 20);
    let (proxy_in, proxy_out) = tokio::io::split(proxy_side);
    let proxy = tokio::spawn(run_stdio(
        g.clone(),
        "env".to_string(),
        vec![
            "MCP_TEST_SECRET=ghp_abcdefghijklmnopqrstuvwxyz0123456789AB".to_string(),
            TEST_SERVER.to_string(),
            "poisoned".to_string(),
        ],
        proxy_in,
        proxy_out,
    ));
    let (cr, cw) = tokio::io::split(client_side);
    let client = ().serve((cr, cw)).await.expect("initialize through the proxy");
    let tools = client.list_all_tools().await.unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    assert_eq!(
        names,
        ["read_file", "send_message"],
        "poisoned `add` hidden"
    );

    // The hidden tool cannot be called.
    let e = client
        .call_tool(args(json!({"name": "add", "arguments": {"a": 1, "b": 2}})))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("hidden"), "{e}");

    // Path outside the allowed roots, and a denied argument pattern.
    let e = client
        .call_tool(args(
            json!({"name": "read_file", "arguments": {"path": "/etc/passwd"}}),
        ))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("outside the allowed roots"), "{e}");
    let e = client
        .call_tool(args(
            json!({"name": "read_file", "arguments": {"path": "/srv/project/../project/.env"}}),
        ))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("denied pattern"), "{e}");
    let e = client
        .call_tool(args(
            json!({"name": "read_file", "arguments": {"path": "/srv/project/../../etc/shadow"}}),
        ))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("outside"), "{e}");

    // Allowed: the GitHub token in the result is redacted.
    let r = client
        .call_tool(args(
            json!({"name": "read_file", "arguments": {"path": "/srv/project/notes.txt"}}),
        ))
        .await
        .unwrap();
    let text = serde_json::to_string(&r).unwrap();
    assert!(
        text.contains("contents of /srv/project/notes.txt"),
        "{text}"
    );
    assert!(text.contains("***redacted***"), "{text}");
    assert!(!text.contains("ghp_abcdefghij"), "{text}");

    // Rate limit: one send_message per hour.
    client
        .call_tool(args(
            json!({"name": "send_message", "arguments": {"channel": "c", "text": "hi"}}),
        ))
        .await
        .unwrap();
    let e = client
        .call_tool(args(
            json!({"name": "send_message", "arguments": {"channel": "c", "text": "again"}}),
        ))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("rate limit"), "{e}");

    client.cancel().await.unwrap();
    let status = proxy.await.unwrap().unwrap();
    assert!(status.is_some());

    let ev = drain(&mut events);
    let count = |d: Decision| ev.iter().filter(|e| e.decision == d).count();
    assert_eq!(count(Decision::Hidden), 1, "{ev:?}");
    assert_eq!(count(Decision::Denied), 5, "{ev:?}");
    assert_eq!(count(Decision::Redacted), 1, "{ev:?}");
    assert_eq!(count(Decision::Allowed), 2, "{ev:?}");
}

#[tokio::test]
async fn http_proxy_hides_changed_tool_and_denies_it() {
    use std::io::BufRead as _;
    mcpsec_mcp::connect::install_crypto_provider();
    // Pin the benign tools, then serve the changed variant (rug pull).
    let benign: Vec<mcpsec_mcp::Tool> = {
        let inv = mcpsec_mcp::connect::inventory(
            &mcpsec_mcp::config::ServerConfig {
                name: "calc".into(),
                client: "test".into(),
                source: "t".into(),
                scope: None,
                transport: mcpsec_mcp::config::Transport::Stdio,
                command: Some(TEST_SERVER.into()),
                args: vec!["benign".into()],
                env: Default::default(),
                url: None,
                headers: Default::default(),
                cwd: None,
                disabled: false,
            },
            &Default::default(),
        )
        .await
        .unwrap();
        inv.tools
    };
    let mut pins = PinFile::default();
    pins.pin("calc", &benign);

    let mut child = std::process::Command::new(TEST_SERVER)
        .args(["changed", "--http", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut upstream = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut upstream)
        .unwrap();
    let (g, mut events) = guard(Some(pins));
    let state = HttpProxy {
        guard: Arc::new(g),
        upstream: upstream.trim().to_string(),
        client: reqwest::Client::new(),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, http_router(state)).await });

    let transport =
        rmcp::transport::StreamableHttpClientTransport::from_uri(format!("http://{addr}/mcp"));
    let client = ().serve(transport).await.expect("initialize via HTTP proxy");
    let tools = client.list_all_tools().await.unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    assert_eq!(names, ["add", "read_file"], "changed send_message hidden");
    let e = client
        .call_tool(args(
            json!({"name": "send_message", "arguments": {"channel": "c", "text": "x"}}),
        ))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("hidden"), "{e}");
    let r = client
        .call_tool(args(json!({"name": "add", "arguments": {"a": 2, "b": 3}})))
        .await
        .unwrap();
    assert!(serde_json::to_string(&r).unwrap().contains("\"5\""));
    let _ = client.cancel().await;
    child.kill().ok();
    child.wait().ok();
    let ev = drain(&mut events);
    assert!(
        ev.iter()
            .any(|e| e.decision == Decision::Hidden && e.reason.contains("changed since pinned")),
        "{ev:?}"
    );
}

/// A fake platform for inventory submissions: the first `POST
/// …/mcp/inventories` answers 503, later ones 200; each body (with its
/// path) is handed to the returned channel. `GET …/mcp/servers/calc`
/// answers a stored inventory with one prompt.
async fn fake_platform() -> (
    String,
    tokio::sync::mpsc::UnboundedReceiver<(String, Value)>,
) {
    use axum::extract::{Path, State};
    use axum::http::StatusCode;
    use std::sync::atomic::{AtomicUsize, Ordering};
    type St = (
        tokio::sync::mpsc::UnboundedSender<(String, Value)>,
        Arc<AtomicUsize>,
    );
    async fn submit(
        State((tx, n)): State<St>,
        Path(tenant): Path<String>,
        headers: axum::http::HeaderMap,
        body: axum::body::Bytes,
    ) -> (StatusCode, String) {
        let mut v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        v["authorization"] = json!(headers.get("authorization").and_then(|h| h.to_str().ok()));
        tx.send((tenant, v)).unwrap();
        if n.fetch_add(1, Ordering::SeqCst) == 0 {
            (StatusCode::SERVICE_UNAVAILABLE, "{}".into())
        } else {
            (
                StatusCode::OK,
                json!({"servers": [{"changes": []}]}).to_string(),
            )
        }
    }
    async fn stored(Path((_, server)): Path<(String, String)>) -> (StatusCode, String) {
        if server != "calc" {
            return (StatusCode::NOT_FOUND, "{}".into());
        }
        let inv = json!({"server": "calc", "server_info": {"old": true}, "tools": [],
            "prompts": [{"name": "stored-prompt"}], "resources": [], "resource_templates": []});
        (StatusCode::OK, inv.to_string())
    }
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let app = axum::Router::new()
        .route(
            "/api/v1/tenants/{tenant}/mcp/inventories",
            axum::routing::post(submit),
        )
        .route(
            "/api/v1/tenants/{tenant}/mcp/servers/{server}",
            axum::routing::get(stored),
        )
        .with_state((tx, Arc::new(AtomicUsize::new(0))));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    (url, rx)
}

async fn next_submission(
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<(String, Value)>,
) -> (String, Value) {
    tokio::time::timeout(std::time::Duration::from_secs(20), rx.recv())
        .await
        .expect("an inventory submission")
        .unwrap()
}

fn names(v: &Value) -> Vec<String> {
    let mut n: Vec<String> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect();
    n.sort();
    n
}

#[tokio::test]
async fn stdio_proxy_submits_changed_inventories_to_the_platform() {
    let (url, mut subs) = fake_platform().await;
    let (g, _events) = guard(None);
    let (g, feed) = g.with_inventory_submission();
    let poster = tokio::spawn(mcpsec_mcp::proxy::submit_inventories(
        feed,
        url,
        "k1".into(),
        "acme".into(),
    ));
    let g = Arc::new(g);
    let (client_side, proxy_side) = tokio::io::duplex(1 << 20);
    let (proxy_in, proxy_out) = tokio::io::split(proxy_side);
    let proxy = tokio::spawn(run_stdio(
        g.clone(),
        TEST_SERVER.to_string(),
        vec!["poisoned".to_string()],
        proxy_in,
        proxy_out,
    ));
    let (cr, cw) = tokio::io::split(client_side);
    let client = ().serve((cr, cw)).await.expect("initialize through the proxy");

    // The first tools/list: submitted (the platform answers 503).
    let tools = client.list_all_tools().await.unwrap();
    assert_eq!(
        tools.len(),
        2,
        "the poisoned tool is hidden from the client"
    );
    let (tenant, body) = next_submission(&mut subs).await;
    assert_eq!(tenant, "acme");
    assert_eq!(body["authorization"], "Bearer k1");
    assert_eq!(body["source"], "mcp-proxy");
    let server = &body["servers"][0];
    assert_eq!(server["server"], "calc");
    // What the server lists, the tool the proxy hid included.
    assert_eq!(
        names(&server["tools"]),
        ["add", "read_file", "send_message"]
    );
    assert_eq!(
        server["server_info"]["serverInfo"]["name"],
        "mcpsec-test-server"
    );
    // Prompts the proxy has not seen come from the stored inventory.
    assert_eq!(names(&server["prompts"]), ["stored-prompt"]);
    let first = body.clone();

    // The submission failed: the same list is submitted again, and accepted.
    client.list_all_tools().await.unwrap();
    let (_, body) = next_submission(&mut subs).await;
    assert_eq!(body, first);
    // Unchanged since accepted: not submitted again (the next submission
    // is the one after the prompts were listed).
    client.list_all_tools().await.unwrap();
    let prompts = client.list_all_prompts().await.unwrap();
    assert_eq!(prompts.len(), 1);
    let (_, body) = next_submission(&mut subs).await;
    let server = &body["servers"][0];
    assert_eq!(names(&server["prompts"]), ["summarize"]);
    assert!(
        server["prompts"][0]["description"]
            .as_str()
            .unwrap()
            .contains("id_rsa"),
        "{server}"
    );
    assert_eq!(
        names(&server["tools"]),
        ["add", "read_file", "send_message"]
    );

    let _ = client.cancel().await;
    let _ = tokio::time::timeout(std::time::Duration::from_secs(10), proxy).await;
    drop(g);
    tokio::time::timeout(std::time::Duration::from_secs(10), poster)
        .await
        .expect("the poster ends with the guard")
        .unwrap();
    assert!(subs.try_recv().is_err(), "no other submission");
}

#[test]
fn malformed_messages_are_answered_not_fatal() {
    let (g, _rx) = guard(None);
    match g.on_client("{not json") {
        ClientAction::Reply(r) => assert!(r.contains("-32700"), "{r}"),
        other => panic!("{other:?}"),
    }
    match g.on_client(r#"[{"jsonrpc":"2.0","id":1,"method":"tools/call"}]"#) {
        ClientAction::Reply(r) => assert!(r.contains("batches"), "{r}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(g.on_server("garbage", None), None);
    assert_eq!(g.on_server("garbage", Some(&Pending::ToolsList)), None);
    // A tools/list result that is not a tools list is blocked, not forwarded.
    let out = g
        .on_server(
            r#"{"jsonrpc":"2.0","id":1,"result":{"tools":"nope"}}"#,
            Some(&Pending::ToolsList),
        )
        .unwrap();
    assert!(out.contains("-32001"), "{out}");
    // Notifications and other messages pass unchanged.
    let n = r#"{"jsonrpc":"2.0","method":"notifications/progress","params":{}}"#;
    assert_eq!(g.on_server(n, None).as_deref(), Some(n));
}

#[test]
fn policy_errors_name_the_place() {
    let e = Policy::parse(
        "calls:\n  - tool: x\n    action: deny\n    bogus: 1\n",
        "p.yaml",
    )
    .unwrap_err();
    assert!(e.to_string().starts_with("p.yaml:"), "{e}");
    let e = Policy::parse(
        "calls:\n  - tool: x\n    action: allow\n    deny_args: {path: '('}\n",
        "p.yaml",
    )
    .unwrap_err();
    assert!(e.to_string().contains("calls[0].deny_args.path"), "{e}");
    let e = Policy::parse("default: maybe\n", "p.yaml").unwrap_err();
    assert!(e.to_string().contains("p.yaml"), "{e}");
}

#[test]
fn default_deny_and_server_globs() {
    let p = Policy::parse(
        "default: deny\ncalls:\n  - server: 'calc*'\n    tool: add\n    action: allow\n",
        "p",
    )
    .unwrap();
    let g = Guard::new("calculator", p.clone(), Analyzer::builtin(), None);
    assert!(g.decide_call("add", &json!({})).is_ok());
    assert!(g.decide_call("sub", &json!({})).is_err());
    let g = Guard::new("other", p, Analyzer::builtin(), None);
    assert!(g.decide_call("add", &json!({})).is_err());
}
