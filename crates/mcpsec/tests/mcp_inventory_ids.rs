//! End to end: the ids of the `mcp.tool_changed` events the platform
//! publishes for MCP inventory changes are deterministic
//! (`mcpsec_core::mcp::tool_change_event_id`): a retried publish of the same
//! change (what a client retry after a failed store republishes, or the
//! same event posted again) is recorded once, while the same change
//! happening again later (A→B, back to A, A→B again) and the same change in
//! another tenant are new events.

mod common;

use common::*;
use mcpsec_core::event::McpToolChanged;
use mcpsec_core::mcp::{INVENTORY_EVENT_SOURCE, tool_change_event_id};
use serde_json::{Value, json};

fn submission(description: &str) -> Value {
    json!({"source": "test", "servers": [{"server": "github", "tools": [
        {"name": "create_issue", "description": description,
         "inputSchema": {"type": "object"}}]}]})
}

fn ids(v: &Value) -> Vec<String> {
    v["servers"][0]["event_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().to_string())
        .collect()
}

fn changes(v: &Value) -> Vec<McpToolChanged> {
    serde_json::from_value(v["servers"][0]["changes"].clone()).unwrap()
}

/// The stored inventory's `updated_at`, in the form the route hashes.
async fn updated_at(c: &reqwest::Client, s: &Server, tenant: &str) -> String {
    let (st, inv) =
        send(c.get(s.url(&format!("/api/v1/tenants/{tenant}/mcp/servers/github")))).await;
    assert_eq!(st, 200, "{inv}");
    let t: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(inv["updated_at"].clone()).unwrap();
    t.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)
}

async fn wait_recorded(c: &reqwest::Client, s: &Server, tenant: &str, id: &str) {
    let url = s.url(&format!("/api/v1/tenants/{tenant}/events/{id}"));
    eventually(30, "event recorded", || {
        let (c, u) = (c.clone(), url.clone());
        async move { c.get(u).send().await.unwrap().status() == 200 }
    })
    .await;
}

#[tokio::test]
async fn tool_change_event_ids_are_stable_and_recorded_once() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir.path().join("data"), &[], &[]);
    let c = client();
    create_tenant(&c, &s.base, "acme").await;
    create_tenant(&c, &s.base, "other").await;
    let submit = s.url("/api/v1/tenants/acme/mcp/inventories");

    // A new server: the ids are those of the shared function, basis None.
    let (st, v) = send(c.post(&submit).json(&submission("A"))).await;
    assert_eq!(st, 200, "{v}");
    let first = ids(&v);
    let expected: Vec<String> = changes(&v)
        .iter()
        .map(|ch| tool_change_event_id("acme", INVENTORY_EVENT_SOURCE, None, ch))
        .collect();
    assert_eq!(first, expected);

    // A→B: the ids are computed against the replaced inventory.
    let basis = updated_at(&c, &s, "acme").await;
    let (st, v) = send(c.post(&submit).json(&submission("B"))).await;
    assert_eq!(st, 200, "{v}");
    let a_to_b = ids(&v);
    let a_to_b_changes = changes(&v);
    assert_eq!(a_to_b.len(), 1);
    assert_eq!(
        a_to_b[0],
        tool_change_event_id(
            "acme",
            INVENTORY_EVENT_SOURCE,
            Some(&basis),
            &a_to_b_changes[0]
        ),
        "a retry after a failed store (same stored inventory, same change) gives this id again"
    );
    wait_recorded(&c, &s, "acme", &a_to_b[0]).await;
    let (_, recorded) =
        send(c.get(s.url(&format!("/api/v1/tenants/acme/events/{}", a_to_b[0])))).await;
    let n0 = count(&c, &s.base, "acme").await;

    // The retry: the same event published again (same id, a later time) is
    // recorded once. A sentinel on the same subject (same bus key, so
    // processed after it) tells when the worker is past the duplicate.
    let dup = json!({"id": a_to_b[0], "type": "mcp.tool_changed",
        "source": INVENTORY_EVENT_SOURCE, "tenant": "acme", "subject": "github",
        "data": a_to_b_changes[0]});
    let sentinel = json!({"id": "sentinel-1", "type": "mcp.tool_changed",
        "source": "test", "tenant": "acme", "subject": "github",
        "data": {"server": "github", "tool": "x", "change": "added",
                 "old_hash": null, "new_hash": "sha256:00"}});
    let (st, r) = send(
        c.post(s.url("/api/v1/events"))
            .json(&json!({"events": [dup.clone(), dup]})),
    )
    .await;
    assert!(st == 202 || st == 200, "{st} {r}");
    let (st, r) = send(
        c.post(s.url("/api/v1/events"))
            .json(&json!({"events": [sentinel]})),
    )
    .await;
    assert!(st == 202 || st == 200, "{st} {r}");
    wait_recorded(&c, &s, "acme", "sentinel-1").await;
    assert_eq!(
        count(&c, &s.base, "acme").await,
        n0 + 1,
        "only the sentinel is new"
    );
    let (_, again) =
        send(c.get(s.url(&format!("/api/v1/tenants/acme/events/{}", a_to_b[0])))).await;
    assert_eq!(again, recorded, "the first record is kept");

    // Resubmitting B: nothing changed, nothing published.
    let (st, v) = send(c.post(&submit).json(&submission("B"))).await;
    assert_eq!(st, 200, "{v}");
    assert!(ids(&v).is_empty(), "{v}");

    // B→A, then A→B again: the second A→B is a new event.
    let (st, v) = send(c.post(&submit).json(&submission("A"))).await;
    assert_eq!(st, 200, "{v}");
    let b_to_a = ids(&v);
    let (st, v) = send(c.post(&submit).json(&submission("B"))).await;
    assert_eq!(st, 200, "{v}");
    let a_to_b_again = ids(&v);
    assert_eq!(changes(&v), a_to_b_changes, "the same change…");
    assert_ne!(a_to_b_again, a_to_b, "…happening again is another event");
    assert_ne!(b_to_a, a_to_b);
    wait_recorded(&c, &s, "acme", &a_to_b_again[0]).await;

    // The same change in another tenant: other ids.
    let other = s.url("/api/v1/tenants/other/mcp/inventories");
    let (st, v) = send(c.post(&other).json(&submission("A"))).await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(changes(&v).len(), 1);
    assert_ne!(ids(&v), first);
    assert_eq!(
        ids(&v)[0],
        tool_change_event_id("other", INVENTORY_EVENT_SOURCE, None, &changes(&v)[0])
    );
}
