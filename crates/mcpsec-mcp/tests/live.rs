//! End-to-end: the test server (`src/bin/mcp_test_server.rs`) is inventoried
//! over stdio and streamable HTTP with rmcp, analysed, pinned and changed;
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
    use std::io::BufRead as _;
    let mut child = std::process::Command::new(TEST_SERVER)
        .args([variant, "--http", "127.0.0.1:0"])
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
    assert!(matches!(out[4], Err(ConnectError::Unsupported { .. })));
    let good = out[5].as_ref().unwrap();
    assert_eq!(good.tools.len(), 3);
    for (r, s) in out.iter().zip(&servers) {
        if let Err(e) = r {
            assert!(e.to_string().contains(&s.name), "{e}");
        }
    }
}
