//! GraphQL at `/graphql` against the running binary (demo data): the same
//! authentication and per-tenant permissions as REST, cursor pagination,
//! batched loading (no N+1), depth and complexity limits, the triage
//! mutation with its audit record, and subscriptions over graphql-ws.

mod common;

use std::time::Duration;

use common::*;
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

fn start_demo() -> (tempfile::TempDir, Server) {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir.path().join("data"), &["--demo"], &[]);
    (dir, s)
}

async fn gql(c: &reqwest::Client, s: &Server, query: &str, variables: Value) -> (u16, Value) {
    let r = c
        .post(s.url("/graphql"))
        .json(&json!({"query": query, "variables": variables}))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

fn error_codes(v: &Value) -> Vec<String> {
    v["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| e["extensions"]["code"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// The value of a Prometheus counter with these labels (0 when absent).
async fn counter(s: &Server, name: &str, label: &str) -> f64 {
    let text = anonymous_client()
        .get(s.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find(|l| l.starts_with(name) && l.contains(label))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test(flavor = "multi_thread")]
async fn graphql_needs_a_credential_and_serves_a_playground() {
    let (_dir, s) = start_demo();
    let (st, _) = gql(&anonymous_client(), &s, "{ me { subject } }", json!({})).await;
    assert_eq!(st, 401);
    let (st, _) = gql(
        &client_with_key("mcpsec_bad_bad"),
        &s,
        "{ me { subject } }",
        json!({}),
    )
    .await;
    assert_eq!(st, 401);
    let (st, v) = gql(&client(), &s, "{ me { subject role tenant } }", json!({})).await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["data"]["me"]["role"], "platform-admin", "{v}");

    let page = anonymous_client()
        .get(s.url("/graphql/playground"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("GraphQL Playground"));
}

#[tokio::test(flavor = "multi_thread")]
async fn graphql_reads_the_domain_with_cursor_pages_and_batched_loads() {
    let (_dir, s) = start_demo();
    let c = client();
    let rest: Value = c
        .get(s.url("/api/v1/tenants/demo/findings?limit=1000"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let rest_ids: Vec<&str> = rest["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert!(rest_ids.len() >= 4);
    let distinct_assets: std::collections::BTreeSet<&str> = rest["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["asset_id"].as_str().unwrap())
        .collect();

    // Every finding with its asset and component: one batch per loader.
    let batches_before = counter(&s, "mcpsec_graphql_loader_batches_total", "asset").await;
    let keys_before = counter(&s, "mcpsec_graphql_loader_keys_total", "asset").await;
    let q = r#"{ tenant(id: "demo") { id findings(first: 1000) {
        edges { cursor node { id assetId severity status asset { id name } component { id name version } } }
        pageInfo { hasNextPage } } } }"#;
    let (st, v) = gql(&c, &s, q, json!({})).await;
    assert_eq!(st, 200, "{v}");
    assert!(v.get("errors").is_none(), "{v}");
    let edges = v["data"]["tenant"]["findings"]["edges"].as_array().unwrap();
    let ids: Vec<&str> = edges
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, rest_ids);
    for e in edges {
        assert_eq!(e["node"]["asset"]["id"], e["node"]["assetId"], "{e}");
        assert_eq!(e["cursor"], e["node"]["id"]);
    }
    assert!(
        edges
            .iter()
            .any(|e| e["node"]["component"]["version"].is_string())
    );
    let batches =
        counter(&s, "mcpsec_graphql_loader_batches_total", "asset").await - batches_before;
    let keys = counter(&s, "mcpsec_graphql_loader_keys_total", "asset").await - keys_before;
    assert_eq!(batches, 1.0, "the assets of all findings load in one batch");
    assert_eq!(
        keys as usize,
        distinct_assets.len(),
        "each asset is read once"
    );

    // Cursor pages of two walk the same list.
    let mut after: Option<String> = None;
    let mut paged = Vec::new();
    loop {
        let (_, v) = gql(
            &c,
            &s,
            r#"query($after: String) { tenant(id: "demo") { findings(first: 2, after: $after) {
                edges { node { id } } pageInfo { hasNextPage endCursor } } } }"#,
            json!({"after": after}),
        )
        .await;
        let f = &v["data"]["tenant"]["findings"];
        for e in f["edges"].as_array().unwrap() {
            paged.push(e["node"]["id"].as_str().unwrap().to_string());
        }
        if !f["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            break;
        }
        after = f["pageInfo"]["endCursor"].as_str().map(str::to_string);
        assert!(paged.len() <= rest_ids.len() + 2, "pagination does not end");
    }
    assert_eq!(paged, rest_ids);

    // Filters, assets, alerts.
    let (_, v) = gql(
        &c,
        &s,
        r#"{ tenant(id: "demo") {
            critical: findings(minSeverity: CRITICAL, status: OPEN) { edges { node { severity status } } }
            assets { edges { node { id kind components(first: 5) { edges { node { name } } } } } }
            alerts { edges { node { id severity techniques } } }
            eventCount } }"#,
        json!({}),
    )
    .await;
    assert!(v.get("errors").is_none(), "{v}");
    let t = &v["data"]["tenant"];
    for e in t["critical"]["edges"].as_array().unwrap() {
        assert_eq!(e["node"]["severity"], "CRITICAL");
        assert_eq!(e["node"]["status"], "OPEN");
    }
    assert!(!t["assets"]["edges"].as_array().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn graphql_enforces_tenant_permissions_like_rest_and_audits_triage() {
    let (_dir, s) = start_demo();
    create_tenant(&client(), &s.base, "other").await;
    let viewer = client_with_key(&create_key(&client(), &s.base, "demo", "viewer").await.1);
    let analyst_key = create_key(&client(), &s.base, "demo", "analyst").await.1;
    let analyst = client_with_key(&analyst_key);
    let foreign = client_with_key(&create_key(&client(), &s.base, "other", "owner").await.1);
    let triager_role = client()
        .put(s.url("/api/v1/tenants/demo/roles/triager"))
        .json(&json!({"permissions": ["findings:read", "findings:triage"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(triager_role.status(), 200);
    let triager = client_with_key(&create_key(&client(), &s.base, "demo", "triager").await.1);

    // Another tenant's data: denied, whatever the role.
    let (st, v) = gql(&foreign, &s, r#"{ tenant(id: "demo") { id } }"#, json!({})).await;
    assert_eq!(st, 200);
    assert_eq!(error_codes(&v), ["forbidden"], "{v}");
    assert!(v["data"]["tenant"].is_null(), "{v}");
    let (_, v) = gql(&foreign, &s, "{ tenants { id } }", json!({})).await;
    assert_eq!(v["data"]["tenants"], json!([{"id": "other"}]), "{v}");
    let (_, v) = gql(
        &foreign,
        &s,
        r#"mutation { transitionFinding(tenant: "demo", id: "f-log4shell", status: TRIAGED) { id } }"#,
        json!({}),
    )
    .await;
    assert_eq!(error_codes(&v), ["forbidden"], "{v}");

    // Per-field permissions: a custom role without assets:read reads
    // findings but not their assets (only that field is null).
    let (_, v) = gql(
        &triager,
        &s,
        r#"{ tenant(id: "demo") { findings(first: 1) { edges { node { id asset { id } } } } } }"#,
        json!({}),
    )
    .await;
    assert_eq!(error_codes(&v), ["forbidden"], "{v}");
    let node = &v["data"]["tenant"]["findings"]["edges"][0]["node"];
    assert!(node["id"].is_string() && node["asset"].is_null(), "{v}");
    let (_, v) = gql(
        &triager,
        &s,
        r#"{ tenant(id: "demo") { assets { edges { node { id } } } } }"#,
        json!({}),
    )
    .await;
    assert_eq!(error_codes(&v), ["forbidden"], "{v}");

    // Viewers may not triage; analysts may, and it is audited.
    let triage = r#"mutation($reason: String) { transitionFinding(tenant: "demo", id: "f-log4shell", status: TRIAGED, reason: $reason) { id status statusReason } }"#;
    let (_, v) = gql(&viewer, &s, triage, json!({"reason": "no"})).await;
    assert_eq!(error_codes(&v), ["forbidden"], "{v}");
    let (_, v) = gql(&analyst, &s, triage, json!({"reason": "patch next sprint"})).await;
    assert!(v.get("errors").is_none(), "{v}");
    assert_eq!(v["data"]["transitionFinding"]["status"], "TRIAGED");
    assert_eq!(
        v["data"]["transitionFinding"]["statusReason"],
        "patch next sprint"
    );
    // The lifecycle rules hold (triaged → triaged is no transition).
    let (_, v) = gql(&analyst, &s, triage, json!({})).await;
    assert_eq!(error_codes(&v), ["conflict"], "{v}");
    let audit: Value = client()
        .get(s.url("/api/v1/tenants/demo/audit"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let text = audit.to_string();
    assert!(text.contains("finding.transition"), "{text}");
    assert!(text.contains("patch next sprint"), "{text}");
    let rest: Value = client()
        .get(s.url("/api/v1/tenants/demo/findings?status=triaged"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(rest.to_string().contains("f-log4shell"), "{rest}");
}

#[tokio::test(flavor = "multi_thread")]
async fn graphql_rejects_too_deep_and_too_complex_queries() {
    let (_dir, s) = start_demo();
    let c = client();
    let deep = format!(
        "{{ __schema {{ types {{ fields {{ type {{ {} name {} }} }} }} }} }}",
        "ofType { ".repeat(12),
        "} ".repeat(12)
    );
    let (_, v) = gql(&c, &s, &deep, json!({})).await;
    assert!(v["data"].is_null(), "{v}");
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("too deep"),
        "{v}"
    );
    let complex = r#"{ tenant(id: "demo") { findings(first: 1000) { edges { node { id asset { components(first: 1000) { edges { node { id name } } } } } } } } }"#;
    let (_, v) = gql(&c, &s, complex, json!({})).await;
    assert!(v["data"].is_null(), "{v}");
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("complex"),
        "{v}"
    );
    // The playground's introspection query stays within the limits.
    let (_, v) = gql(
        &c,
        &s,
        "{ __schema { queryType { name } types { name kind fields { name args { name type { name kind ofType { name kind ofType { name kind ofType { name } } } } } } } } }",
        json!({}),
    )
    .await;
    assert!(v.get("errors").is_none(), "{v}");
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn graphql_ws(s: &Server) -> Ws {
    let mut req = s
        .url("/graphql")
        .replacen("http://", "ws://", 1)
        .into_client_request()
        .unwrap();
    req.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    tokio_tungstenite::connect_async(req).await.unwrap().0
}

async fn next_json(ws: &mut Ws) -> Option<Value> {
    loop {
        let m = tokio::time::timeout(Duration::from_secs(20), ws.next())
            .await
            .expect("no graphql-ws message within 20 s");
        match m {
            Some(Ok(Message::Text(t))) => return Some(serde_json::from_str(&t).unwrap()),
            Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return None,
            Some(Ok(_)) => continue,
        }
    }
}

async fn send(ws: &mut Ws, v: Value) {
    ws.send(Message::Text(v.to_string().into())).await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn graphql_subscription_delivers_a_new_alert_and_needs_a_credential() {
    let (_dir, s) = start_demo();
    create_tenant(&client(), &s.base, "other").await;
    let viewer = create_key(&client(), &s.base, "demo", "viewer").await.1;

    // No credential in connection_init: no ack.
    let mut ws = graphql_ws(&s).await;
    send(&mut ws, json!({"type": "connection_init", "payload": {}})).await;
    assert!(
        next_json(&mut ws).await.is_none(),
        "connection must be closed"
    );

    let mut ws = graphql_ws(&s).await;
    send(
        &mut ws,
        json!({"type": "connection_init", "payload": {"Authorization": format!("Bearer {viewer}")}}),
    )
    .await;
    assert_eq!(next_json(&mut ws).await.unwrap()["type"], "connection_ack");
    // Another tenant's alerts: an error for that operation.
    send(
        &mut ws,
        json!({"id": "x", "type": "subscribe", "payload": {"query": r#"subscription { alerts(tenant: "other") { id } }"#}}),
    )
    .await;
    let v = next_json(&mut ws).await.unwrap();
    assert_eq!(v["id"], "x", "{v}");
    assert!(v.to_string().contains("forbidden"), "{v}");

    send(
        &mut ws,
        json!({"id": "1", "type": "subscribe", "payload": {"query": "subscription { alerts(minSeverity: HIGH) { id tenant title severity alertId } }"}}),
    )
    .await;
    // Let the subscription attach before the alert is published.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let alert = |tenant: &str, id: &str, sev: &str| {
        json!({"id": id, "type": "alert.created", "source": "e2e-test", "tenant": tenant,
               "data": {"alert_id": id, "rule_id": "r", "title": format!("alert {id}"), "severity": sev}})
    };
    let r = client()
        .post(s.url("/api/v1/events"))
        .json(&json!([
            alert("demo", "low-1", "low"),
            alert("other", "o-1", "critical"),
            alert("demo", "crit-1", "critical")
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let v = loop {
        let v = next_json(&mut ws).await.unwrap();
        if v["id"] == "1" {
            break v;
        }
        // The end of the refused operation "x".
        assert_eq!(v["id"], "x", "{v}");
    };
    assert_eq!(v["type"], "next", "{v}");
    let a = &v["payload"]["data"]["alerts"];
    assert_eq!(a["id"], "crit-1", "{v}");
    assert_eq!(a["tenant"], "demo");
    assert_eq!(a["severity"], "CRITICAL");
    assert_eq!(a["alertId"], "crit-1");
}
