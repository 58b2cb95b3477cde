//! End-to-end: `mcpsec mcp serve --tenant T` over stdio exposes the
//! tenant's findings and alerts and scans SBOMs against the store's
//! vulnerability database (fixtures: tests/fixtures/vuln).

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};

use common::{BIN, Server};
use serde_json::{Value, json};

fn fixtures() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/vuln")
}

/// The JSON document in a tool result's text content.
fn tool_json(resp: &Value) -> Value {
    assert_eq!(resp["result"]["isError"], false, "{resp}");
    let text = resp["result"]["content"][0]["text"].as_str().unwrap();
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

#[test]
fn platform_tools_over_stdio() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // The demo tenant has findings and alerts.
    drop(Server::start(&data, &["--demo"], &[]));
    let import = Command::new(BIN)
        .arg("--data-dir")
        .arg(&data)
        .args(["db", "import"])
        .arg(fixtures().join("osv"))
        .output()
        .unwrap();
    assert!(
        import.status.success(),
        "{}",
        String::from_utf8_lossy(&import.stderr)
    );

    // An unknown tenant is refused at start.
    let bad = Command::new(BIN)
        .arg("--data-dir")
        .arg(&data)
        .args(["mcp", "serve", "--tenant", "nobody"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("no such tenant"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );

    let mut server = Command::new(BIN)
        .arg("--data-dir")
        .arg(&data)
        .args(["mcp", "serve", "--tenant", "demo"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = server.stdin.take().unwrap();
    let mut stdout = BufReader::new(server.stdout.take().unwrap());
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
    assert!(
        init["result"]["instructions"]
            .as_str()
            .unwrap()
            .contains("tenant demo")
    );
    let list = rpc(json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}));
    let names: Vec<&str> = list["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    for n in [
        "check_tools",
        "check_config",
        "list_rules",
        "list_findings",
        "list_alerts",
        "scan_sbom",
    ] {
        assert!(names.contains(&n), "{n}: {names:?}");
    }
    let mut id = 2;
    let mut call = |name: &str, arguments: Value| -> Value {
        id += 1;
        rpc(json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
                   "params": {"name": name, "arguments": arguments}}))
    };

    // Findings of the demo tenant, filtered by severity.
    let all = tool_json(&call("list_findings", json!({})));
    assert_eq!(all["tenant"], "demo");
    let all = all["findings"].as_array().unwrap().clone();
    assert!(!all.is_empty());
    assert!(all.iter().all(|f| f["tenant"] == "demo"));
    let high = tool_json(&call(
        "list_findings",
        json!({"min_severity": "high", "limit": 500}),
    ));
    let high = high["findings"].as_array().unwrap();
    assert!(
        high.iter()
            .all(|f| matches!(f["severity"].as_str(), Some("high" | "critical"))),
        "{high:?}"
    );
    assert!(high.len() <= all.len());
    let one = tool_json(&call("list_findings", json!({"limit": 1})));
    assert_eq!(one["findings"].as_array().unwrap().len(), 1);
    let bad = call("list_findings", json!({"status": "bogus"}));
    assert_eq!(bad["error"]["code"], -32602, "{bad}");
    let bad = call("list_findings", json!({"limit": 0}));
    assert_eq!(bad["error"]["code"], -32602, "{bad}");

    // Alerts.
    let alerts = tool_json(&call("list_alerts", json!({})));
    let alerts = alerts["alerts"].as_array().unwrap();
    assert!(!alerts.is_empty());
    let since = call("list_alerts", json!({"since": "yesterday"}));
    assert_eq!(since["error"]["code"], -32602, "{since}");
    let future = tool_json(&call(
        "list_alerts",
        json!({"since": "2999-01-01T00:00:00Z"}),
    ));
    assert_eq!(future["alerts"], json!([]));

    // An npm lockfile scanned against the imported OSV records.
    let lock = std::fs::read_to_string(fixtures().join("project/package-lock.json")).unwrap();
    let report = tool_json(&call(
        "scan_sbom",
        json!({"sbom": lock, "filename": "../../package-lock.json"}),
    ));
    let mut ids: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["vulnerability"]["id"].as_str().unwrap())
        .collect();
    ids.sort();
    assert_eq!(ids, ["TEST-2024-0001", "TEST-2024-0003"], "{report}");
    let broken = call(
        "scan_sbom",
        json!({"sbom": "{ not json", "filename": "package-lock.json"}),
    );
    assert_eq!(broken["result"]["isError"], true, "{broken}");
    let missing = call("scan_sbom", json!({}));
    assert_eq!(missing["error"]["code"], -32602, "{missing}");

    // The offline checks are still there.
    let checked = tool_json(&call("check_tools", json!({"tools": []})));
    assert!(checked["findings"].is_array(), "{checked}");

    drop(stdin);
    let out = server.wait_with_output().unwrap();
    assert!(out.status.success());
}
