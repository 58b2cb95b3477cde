//! The WebSocket live stream `/api/v1/stream` against the running binary:
//! authentication (header and first message), per-tenant authorization,
//! delivery of a newly ingested alert with filters, and resumption after a
//! reconnect from the last event id.

mod common;

use std::time::Duration;

use common::*;
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

fn ws_url(s: &Server, path: &str) -> String {
    s.url(path).replacen("http://", "ws://", 1)
}

async fn connect(s: &Server, path: &str, key: Option<&str>) -> Ws {
    try_connect(s, path, key).await.expect("websocket connect")
}

async fn try_connect(
    s: &Server,
    path: &str,
    key: Option<&str>,
) -> Result<Ws, tokio_tungstenite::tungstenite::Error> {
    let mut req = ws_url(s, path).into_client_request().unwrap();
    if let Some(k) = key {
        req.headers_mut()
            .insert("authorization", format!("Bearer {k}").parse().unwrap());
    }
    tokio_tungstenite::connect_async(req)
        .await
        .map(|(ws, _)| ws)
}

async fn send(ws: &mut Ws, v: Value) {
    ws.send(Message::Text(v.to_string().into())).await.unwrap();
}

/// The next JSON message; `None` when the server closed (with its close code).
async fn recv(ws: &mut Ws) -> Result<Value, Option<u16>> {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(20), ws.next())
            .await
            .expect("no message from the stream within 20 s");
        match msg {
            Some(Ok(Message::Text(t))) => return Ok(serde_json::from_str(&t).unwrap()),
            Some(Ok(Message::Close(frame))) => return Err(frame.map(|f| u16::from(f.code))),
            Some(Ok(_)) => continue,
            Some(Err(_)) | None => return Err(None),
        }
    }
}

async fn expect(ws: &mut Ws, kind: &str) -> Value {
    let v = recv(ws)
        .await
        .unwrap_or_else(|c| panic!("closed ({c:?}) waiting for {kind}"));
    assert_eq!(v["type"], kind, "{v}");
    v
}

fn alert(tenant: &str, id: &str, severity: &str) -> Value {
    json!({
        "id": id, "type": "alert.created", "source": "e2e-test", "tenant": tenant,
        "data": {"alert_id": id, "rule_id": "r-1", "title": format!("alert {id}"),
                 "severity": severity, "entity": "host:web-1"}
    })
}

async fn ingest(base: &str, events: Value) {
    let r = client()
        .post(format!("{base}/api/v1/events"))
        .json(&events)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202, "{}", r.text().await.unwrap());
}

fn start() -> (tempfile::TempDir, Server) {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir.path().join("data"), &[], &[]);
    (dir, s)
}

#[tokio::test(flavor = "multi_thread")]
async fn stream_requires_authentication_and_authorizes_each_subscription() {
    let (_dir, s) = start();
    create_tenant(&client(), &s.base, "acme").await;
    create_tenant(&client(), &s.base, "other").await;
    let viewer = create_key(&client(), &s.base, "acme", "viewer").await.1;
    let ingest_only = create_key(&client(), &s.base, "acme", "ingest-only")
        .await
        .1;

    // A bad header credential is refused before the upgrade.
    let err = try_connect(&s, "/api/v1/stream", Some("mcpsec_nope_nope"))
        .await
        .expect_err("upgrade must fail");
    match err {
        tokio_tungstenite::tungstenite::Error::Http(r) => assert_eq!(r.status(), 401),
        other => panic!("expected HTTP 401, got {other}"),
    }

    // Without credentials the first message must authenticate.
    let mut ws = connect(&s, "/api/v1/stream", None).await;
    send(&mut ws, json!({"type": "subscribe", "kinds": ["alerts"]})).await;
    let v = expect(&mut ws, "error").await;
    assert_eq!(v["code"], "unauthenticated", "{v}");
    assert_eq!(recv(&mut ws).await.unwrap_err(), Some(4401));

    let mut ws = connect(&s, "/api/v1/stream", None).await;
    send(&mut ws, json!({"type": "auth", "token": "mcpsec_bad_bad"})).await;
    let v = expect(&mut ws, "error").await;
    assert_eq!(v["code"], "unauthenticated", "{v}");

    // First-message authentication (browsers).
    let mut ws = connect(&s, "/api/v1/stream", None).await;
    send(&mut ws, json!({"type": "auth", "token": viewer})).await;
    let v = expect(&mut ws, "welcome").await;
    assert_eq!(v["tenant"], "acme");
    // Another tenant's stream is forbidden...
    send(
        &mut ws,
        json!({"type": "subscribe", "id": "x", "kinds": ["alerts"], "tenant": "other"}),
    )
    .await;
    let v = expect(&mut ws, "error").await;
    assert_eq!(v["code"], "forbidden", "{v}");
    assert_eq!(v["subscription"], "x");
    // ...the own tenant is the default.
    send(
        &mut ws,
        json!({"type": "subscribe", "id": "mine", "kinds": ["alerts", "findings", "logs", "scan_progress"]}),
    )
    .await;
    let v = expect(&mut ws, "subscribed").await;
    assert_eq!(v["tenant"], "acme", "{v}");
    // Malformed messages are answered, not fatal.
    send(&mut ws, json!({"type": "subscribe", "kinds": ["nope"]})).await;
    let v = expect(&mut ws, "error").await;
    assert_eq!(v["code"], "malformed_request", "{v}");
    send(&mut ws, json!({"type": "ping"})).await;
    expect(&mut ws, "pong").await;

    // A role without alerts:read may not subscribe to alerts.
    let mut ws = connect(&s, "/api/v1/stream", Some(&ingest_only)).await;
    expect(&mut ws, "welcome").await;
    send(&mut ws, json!({"type": "subscribe", "kinds": ["alerts"]})).await;
    let v = expect(&mut ws, "error").await;
    assert_eq!(v["code"], "forbidden", "{v}");
    assert!(
        v["message"].as_str().unwrap().contains("alerts:read"),
        "{v}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn stream_delivers_new_alerts_by_filter_and_resumes_after_reconnect() {
    let (_dir, s) = start();
    create_tenant(&client(), &s.base, "acme").await;
    create_tenant(&client(), &s.base, "other").await;
    let viewer = create_key(&client(), &s.base, "acme", "viewer").await.1;

    let mut ws = connect(&s, "/api/v1/stream", Some(&viewer)).await;
    expect(&mut ws, "welcome").await;
    send(
        &mut ws,
        json!({"type": "subscribe", "id": "hi", "kinds": ["alerts"], "min_severity": "high"}),
    )
    .await;
    let v = expect(&mut ws, "subscribed").await;
    assert_eq!(v["replayed"], 0);

    // Below the threshold, another tenant's, then a match.
    ingest(&s.base, json!([alert("acme", "a-low", "low")])).await;
    ingest(&s.base, json!([alert("other", "o-crit", "critical")])).await;
    ingest(&s.base, json!([alert("acme", "a1", "high")])).await;
    let v = expect(&mut ws, "event").await;
    assert_eq!(v["id"], "a1", "{v}");
    assert_eq!(v["subscription"], "hi");
    assert_eq!(v["kind"], "alerts");
    assert_eq!(v["event"]["tenant"], "acme");
    assert_eq!(v["event"]["data"]["severity"], "high");
    drop(ws);

    // Missed while disconnected.
    ingest(
        &s.base,
        json!([
            alert("acme", "a2", "critical"),
            alert("acme", "a-low2", "info")
        ]),
    )
    .await;
    ingest(&s.base, json!([alert("acme", "a3", "high")])).await;
    // Give the hub time to read them from the bus.
    tokio::time::sleep(Duration::from_millis(1500)).await;

    let mut ws = connect(&s, "/api/v1/stream?after=a1", Some(&viewer)).await;
    expect(&mut ws, "welcome").await;
    send(
        &mut ws,
        json!({"type": "subscribe", "id": "hi", "kinds": ["alerts"], "min_severity": "high"}),
    )
    .await;
    let v = expect(&mut ws, "subscribed").await;
    assert_eq!(v["gap"], false, "{v}");
    assert_eq!(v["replayed"], 2, "{v}");
    assert_eq!(expect(&mut ws, "event").await["id"], "a2");
    assert_eq!(expect(&mut ws, "event").await["id"], "a3");
    // Live again after the replay, without duplicates.
    ingest(&s.base, json!([alert("acme", "a4", "critical")])).await;
    assert_eq!(expect(&mut ws, "event").await["id"], "a4");

    // A resume point the server does not know: everything buffered, flagged.
    send(
        &mut ws,
        json!({"type": "subscribe", "id": "old", "kinds": ["alerts"], "after": "never-seen"}),
    )
    .await;
    let v = expect(&mut ws, "subscribed").await;
    assert_eq!(v["gap"], true, "{v}");
    let mut ids = Vec::new();
    for _ in 0..v["replayed"].as_u64().unwrap() {
        ids.push(
            expect(&mut ws, "event").await["id"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    assert_eq!(ids, ["a-low", "a1", "a2", "a-low2", "a3", "a4"]);

    // Unsubscribed: no more events for that subscription.
    send(&mut ws, json!({"type": "unsubscribe", "id": "old"})).await;
    expect(&mut ws, "unsubscribed").await;
    ingest(&s.base, json!([alert("acme", "a5", "low")])).await;
    send(&mut ws, json!({"type": "ping"})).await;
    expect(&mut ws, "pong").await;
}
