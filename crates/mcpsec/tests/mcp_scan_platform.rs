//! End to end: `mcpsec mcp scan --platform` against a running `mcpsec
//! serve`: without --pins it submits every live server's inventory (stored,
//! listed by the platform); with --pins the changes against the pins are
//! published as `mcp.tool_changed` events whose ids are deterministic, so
//! scanning the same deviation twice records it once.

mod common;

use std::path::Path;

use common::*;
use serde_json::{Value, json};

fn scan(dir: &Path, args: &[&str]) {
    let o = std::process::Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env_remove("MCPSEC_API_KEY")
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[tokio::test]
async fn scan_submits_inventories_and_pin_changes_once() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir.path().join("data"), &[], &[]);
    let c = client();
    create_tenant(&c, &s.base, "acme").await;
    // mcpsec's own MCP server is the scanned server.
    let cfg = dir.path().join("client.json");
    std::fs::write(
        &cfg,
        json!({"mcpServers": {"mcpsec": {"command": BIN, "args": ["mcp", "serve"]}}}).to_string(),
    )
    .unwrap();
    let cfg = cfg.to_str().unwrap();
    let platform = [
        "--platform",
        &s.base,
        "--api-key",
        TEST_BOOTSTRAP_KEY,
        "--tenant",
        "acme",
        "--format",
        "json",
    ];

    // No pins: the inventory is submitted and stored.
    let mut args = vec!["mcp", "scan", cfg];
    args.extend(platform);
    scan(dir.path(), &args);
    let r = c
        .get(s.url("/api/v1/tenants/acme/mcp/servers/mcpsec/tools"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let tools: Value = r.json().await.unwrap();
    assert!(!tools.as_array().unwrap().is_empty(), "{tools}");

    // Pins with one tampered hash: one pin change, published with a
    // deterministic id; scanning again records nothing new.
    scan(dir.path(), &["mcp", "pin", cfg, "--pins", "pins.json"]);
    let p = dir.path().join("pins.json");
    let mut pins: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
    let tool = tools[0]["name"].as_str().unwrap().to_string();
    let hash = tools[0]["hash"].as_str().unwrap().to_string();
    pins["servers"]["mcpsec"]["tools"][&tool]["hash"] = json!("sha256:00");
    std::fs::write(&p, pins.to_string()).unwrap();
    let change = mcpsec_core::event::McpToolChanged {
        server: "mcpsec".into(),
        tool: tool.clone(),
        change: mcpsec_core::event::ToolChange::Changed,
        old_hash: Some("sha256:00".into()),
        new_hash: Some(hash),
    };
    let id = mcpsec_core::mcp::tool_change_event_id(
        "acme",
        mcpsec_core::mcp::PINS_EVENT_SOURCE,
        None,
        &change,
    );
    let mut args = vec!["mcp", "scan", cfg, "--pins", "pins.json"];
    args.extend(platform);
    scan(dir.path(), &args);
    let url = s.url(&format!("/api/v1/tenants/acme/events/{id}"));
    eventually(30, "the pin change recorded under its id", || {
        let (c, u) = (c.clone(), url.clone());
        async move { c.get(u).send().await.unwrap().status() == 200 }
    })
    .await;
    let ev: Value = c.get(&url).send().await.unwrap().json().await.unwrap();
    assert_eq!(ev["data"]["tool"], tool.as_str(), "{ev}");
    let n = count(&c, &s.base, "acme").await;

    // The same scan again, then a sentinel on the same subject (processed
    // after it): only the sentinel is new.
    scan(dir.path(), &args);
    let sentinel = json!({"id": "sentinel-scan", "type": "mcp.tool_changed",
        "source": "test", "tenant": "acme", "subject": "mcpsec",
        "data": {"server": "mcpsec", "tool": "x", "change": "added",
                 "old_hash": null, "new_hash": "sha256:00"}});
    let r = c
        .post(s.url("/api/v1/events"))
        .json(&json!({"events": [sentinel]}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    let url = s.url("/api/v1/tenants/acme/events/sentinel-scan");
    eventually(30, "sentinel recorded", || {
        let (c, u) = (c.clone(), url.clone());
        async move { c.get(u).send().await.unwrap().status() == 200 }
    })
    .await;
    assert_eq!(count(&c, &s.base, "acme").await, n + 1);
}
