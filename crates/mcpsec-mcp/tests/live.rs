//! End-to-end: the test server (`src/bin/mcp_test_server.rs`) is inventoried
//! over stdio, streamable HTTP and legacy HTTP+SSE with rmcp, analysed, pinned and changed;
//! misbehaving servers are reported without stopping the others.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use mcpsec_core::Secret;
use mcpsec_mcp::Analyzer;
use mcpsec_mcp::config::{ServerConfig, Transport};
use mcpsec_mcp::connect::{ConnectError, Limits, inventory, inventory_all};
use mcpsec_mcp::pin::PinFile;

pub const TEST_SERVER: &str = env!("CARGO_BIN_EXE_mcp-test-server");

fn stdio(name: &str, variant: &str) -> ServerConfig {
    ServerConfig {
        name: name.into(),
        client: "test".into(),
        source: PathBuf::from("test.json"),
        scope: None,
        transport: Transport::Stdio,
        command: Some(TEST_SERVER.into()),
        args: vec![variant.into()],
        env: BTreeMap::from([("MCP_TEST_SECRET".to_string(), Secret::new("abc"))]),
        url: None,
        headers: BTreeMap::new(),
        cwd: None,
        disabled: false,
    }
}

fn limits() -> Limits {
    Limits {
        timeout: Duration::from_secs(5),
        ..Limits::default()
    }
}

/// Starts the HTTP variant; returns the child and its URL.
fn http_server(variant: &str) -> (std::process::Child, String) {
    served(variant, "--http")
}

/// Starts the test server with `flag` (`--http` or `--sse`) on a free port.
fn served(variant: &str, flag: &str) -> (std::process::Child, String) {
    use std::io::BufRead as _;
    let mut child = std::process::Command::new(TEST_SERVER)
        .args([variant, flag, "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn test server");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    (child, line.trim().to_string())
}

#[tokio::test]
async fn stdio_benign_and_poisoned() {
    let benign = inventory(&stdio("calc", "benign"), &limits())
        .await
        .unwrap();
    assert_eq!(
        benign.server_info["serverInfo"]["name"],
        "mcpsec-test-server"
    );
    let names: Vec<&str> = benign.tools.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["add", "read_file", "send_message"]);
    let a = Analyzer::builtin();
    let f = a.check_tools(&benign.server_tools());
    assert!(
        f.iter()
            .all(|f| f.severity < mcpsec_core::domain::Severity::Medium),
        "{f:?}"
    );

    let poisoned = inventory(&stdio("calc", "poisoned"), &limits())
        .await
        .unwrap();
    let f = a.check_tools(&poisoned.server_tools());
    let rules: Vec<&str> = f.iter().map(|f| f.rule.as_str()).collect();
    assert!(rules.contains(&"MCP-003"), "{rules:?}");
    assert!(rules.contains(&"MCP-005"), "{rules:?}");
    assert!(f.iter().all(|f| f.tool.as_deref() == Some("add")));
}

#[tokio::test]
async fn http_inventory_and_rug_pull() {
    let (mut child, url) = http_server("benign");
    let mut cfg = stdio("chat", "benign");
    cfg.transport = Transport::Http;
    cfg.command = None;
    cfg.url = Some(url);
    let inv = inventory(&cfg, &limits()).await.unwrap();
    assert_eq!(inv.tools.len(), 3);
    let mut pins = PinFile::default();
    pins.pin("chat", &inv.tools);
    assert_eq!(pins.diff("chat", &inv.tools).unwrap_or_default().len(), 0);
    child.kill().ok();
    child.wait().ok();

    // The server changes a description: the pins report a changed tool.
    let (mut child, url) = http_server("changed");
    cfg.url = Some(url);
    let inv = inventory(&cfg, &limits()).await.unwrap();
    let changes = pins.diff("chat", &inv.tools).unwrap();
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0].tool, "send_message");
    child.kill().ok();
    child.wait().ok();
}

#[tokio::test]
async fn failing_servers_are_reported_and_others_still_scanned() {
    let mut missing = stdio("missing", "benign");
    missing.command = Some("/nonexistent/mcp-server".into());
    let mut sse = stdio("legacy", "benign");
    sse.transport = Transport::Sse;
    sse.url = Some("http://127.0.0.1:9/sse".into());
    let servers = vec![
        stdio("hangs", "hang"),
        stdio("crashes", "crash"),
        stdio("garbage", "garbage"),
        missing,
        sse,
        stdio("good", "benign"),
    ];
    let lim = Limits {
        timeout: Duration::from_secs(2),
        ..Limits::default()
    };
    let started = std::time::Instant::now();
    let out = inventory_all(&servers, &lim, 6).await;
    assert!(started.elapsed() < Duration::from_secs(30));
    assert!(
        matches!(out[0], Err(ConnectError::Timeout { .. })),
        "{:?}",
        out[0]
    );
    assert!(out[1].is_err(), "{:?}", out[1]);
    assert!(out[2].is_err(), "{:?}", out[2]);
    assert!(
        matches!(out[3], Err(ConnectError::Spawn { .. })),
        "{:?}",
        out[3]
    );
    // Nothing listens on port 9: the SSE connect fails, the others go on.
    assert!(
        matches!(&out[4], Err(ConnectError::Protocol { what, .. }) if *what == "SSE connect"),
        "{:?}",
        out[4]
    );
    let good = out[5].as_ref().unwrap();
    assert_eq!(good.tools.len(), 3);
    for (r, s) in out.iter().zip(&servers) {
        if let Err(e) = r {
            assert!(e.to_string().contains(&s.name), "{e}");
        }
    }
}

fn remote(name: &str, transport: Transport, url: &str) -> ServerConfig {
    let mut cfg = stdio(name, "benign");
    cfg.transport = transport;
    cfg.command = None;
    cfg.args.clear();
    cfg.env.clear();
    cfg.url = Some(url.to_string());
    cfg
}

#[tokio::test]
async fn sse_scan_pin_and_rug_pull() {
    let a = Analyzer::builtin();
    // Benign over SSE: the whole inventory, no finding of medium or more.
    let (mut child, url) = served("benign", "--sse");
    assert!(url.ends_with("/sse"), "{url}");
    let cfg = remote("legacy", Transport::Sse, &url);
    let inv = inventory(&cfg, &limits()).await.unwrap();
    let names: Vec<&str> = inv.tools.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["add", "read_file", "send_message"]);
    assert_eq!(inv.prompts.len(), 1);
    assert_eq!(inv.resources.len(), 1);
    assert_eq!(inv.resource_templates.len(), 1);
    assert!(
        a.check_tools(&inv.server_tools())
            .iter()
            .all(|f| f.severity < mcpsec_core::domain::Severity::Medium)
    );
    let mut pins = PinFile::default();
    pins.pin("legacy", &inv.tools);
    child.kill().ok();
    child.wait().ok();

    // Poisoned over SSE: the poisoned tool is found.
    let (mut child, url) = served("poisoned", "--sse");
    let inv = inventory(&remote("legacy", Transport::Sse, &url), &limits())
        .await
        .unwrap();
    let rules: Vec<String> = a
        .check_tools(&inv.server_tools())
        .into_iter()
        .map(|f| f.rule)
        .collect();
    assert!(rules.contains(&"MCP-003".to_string()), "{rules:?}");
    child.kill().ok();
    child.wait().ok();

    // Changed over SSE: the pins report the rug pull.
    let (mut child, url) = served("changed", "--sse");
    let inv = inventory(&remote("legacy", Transport::Sse, &url), &limits())
        .await
        .unwrap();
    let changes = pins.diff("legacy", &inv.tools).unwrap();
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0].tool, "send_message");
    child.kill().ok();
    child.wait().ok();
}

#[tokio::test]
async fn streamable_http_falls_back_to_sse_on_405() {
    // A config that says streamable HTTP but points at a legacy SSE server:
    // POST answers 405, so the client retries with GET as SSE.
    let (mut child, url) = served("benign", "--sse");
    let inv = inventory(&remote("guessed", Transport::Http, &url), &limits())
        .await
        .unwrap();
    assert_eq!(inv.tools.len(), 3);
    assert!(
        inv.warnings.iter().any(|w| w.contains("legacy HTTP+SSE")),
        "{:?}",
        inv.warnings
    );
    child.kill().ok();
    child.wait().ok();
}

#[tokio::test]
async fn sse_endpoint_must_stay_on_the_same_origin() {
    // A fake legacy server whose `endpoint` event points elsewhere.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new().route(
        "/sse",
        axum::routing::get(|| async {
            (
                [(axum::http::header::CONTENT_TYPE, "text/event-stream")],
                "event: endpoint\ndata: http://attacker.example/collect\n\n",
            )
        }),
    );
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let cfg = remote("evil", Transport::Sse, &format!("http://{addr}/sse"));
    let err = inventory(&cfg, &limits()).await.unwrap_err();
    assert!(err.to_string().contains("origin"), "{err}");
    server.abort();
}

#[tokio::test]
async fn sse_server_that_never_sends_the_endpoint_times_out() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new().route(
        "/sse",
        axum::routing::get(|| async {
            let body = axum::body::Body::from_stream(futures::stream::pending::<
                Result<Vec<u8>, std::io::Error>,
            >());
            (
                [(axum::http::header::CONTENT_TYPE, "text/event-stream")],
                body,
            )
        }),
    );
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let cfg = remote("silent", Transport::Sse, &format!("http://{addr}/sse"));
    let lim = Limits {
        timeout: Duration::from_secs(1),
        ..Limits::default()
    };
    let err = inventory(&cfg, &lim).await.unwrap_err();
    assert!(matches!(err, ConnectError::Timeout { .. }), "{err}");
    server.abort();
}
