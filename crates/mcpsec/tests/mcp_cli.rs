//! End-to-end tests of the live `mcpsec mcp` commands with the real binary:
//! `mcpsec mcp serve` is the MCP server under test (stdio and HTTP), scanned
//! and pinned live, and put behind `mcpsec mcp proxy` with a policy that
//! blocks a call. The poisoned/changed variants use mcpsec-mcp's
//! `mcp-test-server` when it has been built (`cargo build -p mcpsec-mcp
//! --bins`); those parts are skipped visibly otherwise (the library's own
//! tests in crates/mcpsec-mcp/tests/{live,proxy}.rs always run them).

use std::io::{BufRead as _, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_mcpsec");

fn mcpsec(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env("MCPSEC_LOG", "warn")
        .output()
        .expect("run mcpsec")
}

fn json_out(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: stdout {} stderr {}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    })
}

fn test_server() -> Option<PathBuf> {
    let p = Path::new(BIN).with_file_name("mcp-test-server");
    p.exists().then_some(p)
}

fn write_config(dir: &Path, name: &str, servers: Value) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, json!({ "mcpServers": servers }).to_string()).unwrap();
    p
}

#[test]
fn live_scan_and_pin_over_stdio() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(
        dir.path(),
        "a.json",
        json!({"mcpsec": {"command": BIN, "args": ["mcp", "serve"]},
               "broken": {"command": "/nonexistent/server"}}),
    );
    let cfg = cfg.to_str().unwrap();
    let o = mcpsec(
        dir.path(),
        &["mcp", "scan", cfg, "--format", "json", "--timeout", "10"],
    );
    assert!(o.status.success(), "{o:?}");
    let r = json_out(&o);
    assert_eq!(r["summary"]["tools"], 3, "{r}");
    assert!(
        r["errors"].to_string().contains("broken"),
        "failing server reported: {r}"
    );
    assert!(
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["severity"] != "critical"),
        "{r}"
    );
    // Offline: no connection, no tools.
    let o = mcpsec(
        dir.path(),
        &["mcp", "scan", cfg, "--offline", "--format", "json"],
    );
    assert_eq!(json_out(&o)["summary"]["tools"], 0);

    // Pin live, then a scan with the pins reports no change.
    let o = mcpsec(dir.path(), &["mcp", "pin", cfg, "--pins", "pins.json"]);
    assert!(o.status.success(), "{o:?}");
    let pins: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("pins.json")).unwrap())
            .unwrap();
    assert_eq!(
        pins["servers"]["mcpsec"]["tools"]
            .as_object()
            .unwrap()
            .len(),
        3
    );
    let o = mcpsec(
        dir.path(),
        &[
            "mcp",
            "scan",
            cfg,
            "--pins",
            "pins.json",
            "--format",
            "json",
        ],
    );
    assert_eq!(json_out(&o)["tool_changes"], json!([]));

    // Rug pull: the same server name now serves other tools.
    let Some(ts) = test_server() else {
        eprintln!(
            "SKIPPED: rug-pull part: mcp-test-server not built (cargo build -p mcpsec-mcp --bins)"
        );
        return;
    };
    let cfg2 = write_config(
        dir.path(),
        "b.json",
        json!({"mcpsec": {"command": ts, "args": ["poisoned"]}}),
    );
    let o = mcpsec(
        dir.path(),
        &[
            "mcp",
            "scan",
            cfg2.to_str().unwrap(),
            "--pins",
            "pins.json",
            "--format",
            "json",
        ],
    );
    let r = json_out(&o);
    let rules: Vec<&str> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"MCP-003"), "poisoned live tool: {rules:?}");
    assert!(
        rules.contains(&"MCP-301") && rules.contains(&"MCP-302"),
        "{rules:?}"
    );
}

#[test]
fn live_scan_over_http() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Command::new(BIN)
        .args(["mcp", "serve", "--listen", "127.0.0.1:0"])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    // Notes (e.g. that MCP-020 is off) may come before the address line.
    let mut stderr = BufReader::new(server.stderr.take().unwrap());
    let mut line = String::new();
    while !line.contains("MCP server on") {
        line.clear();
        assert!(stderr.read_line(&mut line).unwrap() > 0, "server exited");
    }
    let url = line.split_whitespace().last().unwrap().to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{line}");
    let cfg = write_config(
        dir.path(),
        "c.json",
        json!({"remote": {"type": "http", "url": url}}),
    );
    let o = mcpsec(
        dir.path(),
        &["mcp", "scan", cfg.to_str().unwrap(), "--format", "json"],
    );
    server.kill().ok();
    server.wait().ok();
    let r = json_out(&o);
    assert_eq!(r["summary"]["tools"], 3, "{r}");
    assert_eq!(r["errors"], json!([]), "{r}");
}

#[test]
fn stdio_proxy_blocks_a_call_by_policy() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("policy.yaml"),
        "calls:\n  - tool: list_rules\n    action: deny\n    reason: not for agents\n",
    )
    .unwrap();
    let mut proxy = Command::new(BIN)
        .args([
            "mcp",
            "proxy",
            "--policy",
            "policy.yaml",
            "--server",
            "mcpsec",
            "--",
            BIN,
            "mcp",
            "serve",
        ])
        .current_dir(dir.path())
        .env("MCPSEC_LOG", "info")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = proxy.stdin.take().unwrap();
    let mut stdout = BufReader::new(proxy.stdout.take().unwrap());
    let mut rpc = |msg: Value| -> Value {
        writeln!(stdin, "{msg}").unwrap();
        stdin.flush().unwrap();
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"))
    };
    let init = rpc(
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params":
        {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}),
    );
    assert_eq!(init["result"]["serverInfo"]["name"], "mcpsec");
    let list = rpc(json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}));
    assert_eq!(list["result"]["tools"].as_array().unwrap().len(), 3);
    let denied = rpc(json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call",
        "params": {"name": "list_rules", "arguments": {}}}));
    assert_eq!(denied["error"]["code"], -32001, "{denied}");
    assert!(
        denied["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not for agents")
    );
    let allowed = rpc(json!({"jsonrpc": "2.0", "id": 4, "method": "tools/call",
        "params": {"name": "check_tools", "arguments": {"tools": []}}}));
    assert_eq!(allowed["result"]["isError"], false, "{allowed}");
    let garbage = rpc(json!("not an object"));
    assert_eq!(garbage["error"]["code"], -32600);
    drop(stdin);
    let out = proxy.wait_with_output().unwrap();
    assert!(out.status.success());
    let logs = String::from_utf8_lossy(&out.stderr);
    assert!(
        logs.contains("decision=Denied") && logs.contains("list_rules"),
        "{logs}"
    );
}

#[test]
fn install_proxy_rewrites_config() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("policy.yaml"), "default: allow\n").unwrap();
    let cfg = write_config(
        dir.path(),
        "d.json",
        json!({"s": {"command": "node", "args": ["x.js"]}}),
    );
    let o = mcpsec(
        dir.path(),
        &[
            "mcp",
            "install-proxy",
            cfg.to_str().unwrap(),
            "--policy",
            "policy.yaml",
        ],
    );
    assert!(o.status.success(), "{o:?}");
    let new: Value = serde_json::from_str(&std::fs::read_to_string(&cfg).unwrap()).unwrap();
    assert_eq!(new["mcpServers"]["s"]["command"], BIN);
    assert!(dir.path().join("d.json.mcpsec-backup").exists());
    // A bad policy is refused before anything is written.
    std::fs::write(dir.path().join("bad.yaml"), "default: maybe\n").unwrap();
    let o = mcpsec(
        dir.path(),
        &[
            "mcp",
            "install-proxy",
            cfg.to_str().unwrap(),
            "--policy",
            "bad.yaml",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
}

/// A fake platform: accepts HTTP requests, answers 202, hands each request
/// (head + body) to the returned channel.
fn fake_platform() -> (String, std::sync::mpsc::Receiver<String>) {
    use std::io::Read as _;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut c) = conn else { return };
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            loop {
                let n = c.read(&mut chunk).unwrap_or(0);
                if n == 0 {
                    break;
                }
                buf.extend_from_slice(&chunk[..n]);
                let text = String::from_utf8_lossy(&buf).to_string();
                if let Some(h) = text.find("\r\n\r\n") {
                    let len = text[..h]
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                        })
                        .unwrap_or(0);
                    if buf.len() >= h + 4 + len {
                        break;
                    }
                }
            }
            let _ = c.write_all(
                b"HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
            );
            let _ = tx.send(String::from_utf8_lossy(&buf).to_string());
        }
    });
    (url, rx)
}

#[test]
fn scan_and_proxy_publish_events_to_the_platform() {
    let dir = tempfile::tempdir().unwrap();
    let (url, rx) = fake_platform();
    let cfg = write_config(
        dir.path(),
        "a.json",
        json!({"mcpsec": {"command": BIN, "args": ["mcp", "serve"]}}),
    );
    let cfg = cfg.to_str().unwrap();
    let o = mcpsec(dir.path(), &["mcp", "pin", cfg, "--pins", "pins.json"]);
    assert!(o.status.success(), "{o:?}");
    // Tamper with one pin: the live tool now differs from it.
    let p = dir.path().join("pins.json");
    let mut pins: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
    pins["servers"]["mcpsec"]["tools"]["list_rules"]["hash"] = json!("sha256:00");
    std::fs::write(&p, pins.to_string()).unwrap();
    let o = mcpsec(
        dir.path(),
        &[
            "mcp",
            "scan",
            cfg,
            "--pins",
            "pins.json",
            "--platform",
            &url,
            "--api-key",
            "k1",
            "--tenant",
            "acme",
            "--format",
            "json",
        ],
    );
    assert!(o.status.success(), "{o:?}");
    // First the live inventory (stored per tenant by the platform) …
    let req = rx.recv_timeout(std::time::Duration::from_secs(10)).unwrap();
    assert!(
        req.starts_with("POST /api/v1/tenants/acme/mcp/inventories"),
        "{req}"
    );
    let body: Value = serde_json::from_str(&req[req.find("\r\n\r\n").unwrap() + 4..]).unwrap();
    assert_eq!(body["source"], "mcp-scan");
    assert_eq!(body["servers"][0]["server"], "mcpsec");
    assert_eq!(body["servers"][0]["tools"].as_array().unwrap().len(), 3);
    // … then the changes against the local pins as events.
    let req = rx.recv_timeout(std::time::Duration::from_secs(10)).unwrap();
    assert!(req.starts_with("POST /api/v1/events"), "{req}");
    assert!(
        req.to_ascii_lowercase()
            .contains("authorization: bearer k1"),
        "{req}"
    );
    let body: Value = serde_json::from_str(&req[req.find("\r\n\r\n").unwrap() + 4..]).unwrap();
    let ev = &body["events"][0];
    assert_eq!(ev["type"], "mcp.tool_changed");
    assert_eq!(ev["tenant"], "acme");
    assert_eq!(ev["data"]["tool"], "list_rules");
    assert_eq!(ev["data"]["change"], "changed");

    // The proxy posts its decisions as log.received events.
    std::fs::write(
        dir.path().join("policy.yaml"),
        "calls:\n  - tool: list_rules\n    action: deny\n",
    )
    .unwrap();
    let mut proxy = Command::new(BIN)
        .args([
            "mcp",
            "proxy",
            "--policy",
            "policy.yaml",
            "--server",
            "mcpsec",
            "--platform",
            &url,
            "--api-key",
            "k2",
            "--",
            BIN,
            "mcp",
            "serve",
        ])
        .current_dir(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = proxy.stdin.take().unwrap();
    writeln!(
        stdin,
        "{}",
        json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "list_rules", "arguments": {}}})
    )
    .unwrap();
    let mut line = String::new();
    BufReader::new(proxy.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.contains("-32001"), "{line}");
    drop(stdin);
    assert!(proxy.wait().unwrap().success());
    let req = rx.recv_timeout(std::time::Duration::from_secs(10)).unwrap();
    let body: Value = serde_json::from_str(&req[req.find("\r\n\r\n").unwrap() + 4..]).unwrap();
    let ev = &body["events"][0];
    assert_eq!(ev["type"], "log.received");
    assert_eq!(ev["data"]["format"], "mcp-proxy");
    assert_eq!(ev["data"]["record"]["decision"], "denied");
    assert_eq!(ev["data"]["record"]["tool"], "list_rules");
}

/// `--learned-model FILE` replaces the built-in MCP-022 model; a bad file is
/// an error naming the option and the cause.
#[test]
fn learned_model_option() {
    let dir = tempfile::tempdir().unwrap();
    let tools = dir.path().join("tools.json");
    std::fs::write(
        &tools,
        json!({"tools": [{"name": "add", "description": "Adds two numbers.",
            "inputSchema": {"type": "object", "properties": {"a": {"type": "number"}}}}]})
        .to_string(),
    )
    .unwrap();
    let t = tools.to_str().unwrap();
    // The built-in model does not flag a plain tool.
    let o = mcpsec(dir.path(), &["mcp", "check-tools", t, "--format", "json"]);
    let rules = |o: &Output| -> Vec<String> {
        json_out(o)["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["rule"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(
        !rules(&o).contains(&"MCP-022".to_string()),
        "{:?}",
        rules(&o)
    );
    // A model whose bias alone is above its threshold flags everything.
    let model = dir.path().join("m.bin");
    let mut b = b"MCPSEC-LINEAR-1\n".to_vec();
    b.extend_from_slice(
        br#"{"bits":4,"bias":5.0,"threshold":0.5,"bigrams":false,"char_ngrams":[],"n":0}"#,
    );
    b.push(b'\n');
    std::fs::write(&model, &b).unwrap();
    let m = model.to_str().unwrap();
    let o = mcpsec(
        dir.path(),
        &[
            "mcp",
            "check-tools",
            t,
            "--format",
            "json",
            "--learned-model",
            m,
        ],
    );
    assert!(
        rules(&o).contains(&"MCP-022".to_string()),
        "{:?}",
        rules(&o)
    );
    // A broken file: exit code 2 or 1 with the option and the cause named.
    std::fs::write(&model, b"not a model").unwrap();
    let o = mcpsec(dir.path(), &["mcp", "check-tools", t, "--learned-model", m]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("--learned-model") && err.contains("MCPSEC-LINEAR-1"),
        "{err}"
    );
}
