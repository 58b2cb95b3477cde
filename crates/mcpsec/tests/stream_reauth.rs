//! Long-lived WebSocket connections check their credential again: on the
//! live stream `/api/v1/stream` and on GraphQL subscriptions, a key revoked
//! through the API (at once, a revocation event), a key revoked by another
//! process (the CLI; within `stream.reauth_interval_secs`), an ended session
//! and a changed custom role end the connection with a clear close code and
//! reason. Also: the `[stream]` settings are read from `MCPSEC_STREAM__*`.

mod common;

use std::time::{Duration, Instant};

use common::*;
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(s: &Server, path: &str, key: Option<&str>, protocol: Option<&str>) -> Ws {
    let mut req = s
        .url(path)
        .replacen("http://", "ws://", 1)
        .into_client_request()
        .unwrap();
    if let Some(k) = key {
        req.headers_mut()
            .insert("authorization", format!("Bearer {k}").parse().unwrap());
    }
    if let Some(p) = protocol {
        req.headers_mut()
            .insert("sec-websocket-protocol", p.parse().unwrap());
    }
    tokio_tungstenite::connect_async(req).await.unwrap().0
}

async fn send(ws: &mut Ws, v: Value) {
    ws.send(Message::Text(v.to_string().into())).await.unwrap();
}

/// Reads until the server closes; returns the close code and reason and the
/// JSON messages seen before.
async fn until_closed(ws: &mut Ws, within: Duration) -> (Option<u16>, String, Vec<Value>) {
    let mut seen = Vec::new();
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let m = tokio::time::timeout(left, ws.next())
            .await
            .unwrap_or_else(|_| panic!("not closed within {within:?}; saw {seen:?}"));
        match m {
            Some(Ok(Message::Text(t))) => seen.push(serde_json::from_str(&t).unwrap()),
            Some(Ok(Message::Close(f))) => {
                return (
                    f.as_ref().map(|f| u16::from(f.code)),
                    f.map(|f| f.reason.to_string()).unwrap_or_default(),
                    seen,
                );
            }
            Some(Ok(_)) => continue,
            Some(Err(_)) | None => return (None, String::new(), seen),
        }
    }
}

async fn next_json(ws: &mut Ws) -> Value {
    loop {
        let m = tokio::time::timeout(Duration::from_secs(20), ws.next())
            .await
            .expect("no message within 20 s");
        match m {
            Some(Ok(Message::Text(t))) => return serde_json::from_str(&t).unwrap(),
            Some(Ok(Message::Close(f))) => panic!("closed: {f:?}"),
            Some(Ok(_)) => continue,
            other => panic!("connection ended: {other:?}"),
        }
    }
}

async fn revoke(base: &str, tenant: &str, id: &str) {
    let r = client()
        .delete(format!("{base}/api/v1/tenants/{tenant}/api-keys/{id}"))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
}

/// A stream connection with one `alerts` subscription.
async fn stream_subscribed(s: &Server, key: &str) -> Ws {
    let mut ws = connect(s, "/api/v1/stream", Some(key), None).await;
    assert_eq!(next_json(&mut ws).await["type"], "welcome");
    send(
        &mut ws,
        json!({"type": "subscribe", "id": "a", "kinds": ["alerts"]}),
    )
    .await;
    assert_eq!(next_json(&mut ws).await["type"], "subscribed");
    ws
}

/// A GraphQL (`graphql-transport-ws`) connection with an `alerts` subscription.
async fn graphql_subscribed(s: &Server, key: &str) -> Ws {
    let mut ws = connect(s, "/graphql", None, Some("graphql-transport-ws")).await;
    send(
        &mut ws,
        json!({"type": "connection_init", "payload": {"Authorization": format!("Bearer {key}")}}),
    )
    .await;
    assert_eq!(next_json(&mut ws).await["type"], "connection_ack");
    send(
        &mut ws,
        json!({"id": "1", "type": "subscribe", "payload": {"query": "subscription { alerts { id } }"}}),
    )
    .await;
    // Let the subscription attach.
    tokio::time::sleep(Duration::from_millis(300)).await;
    ws
}

#[tokio::test(flavor = "multi_thread")]
async fn revoked_credentials_end_stream_and_graphql_connections() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // A long interval: revocations through the API must act at once.
    let s = Server::start(
        &data,
        &[],
        &[("MCPSEC_STREAM__REAUTH_INTERVAL_SECS", "3600".into())],
    );
    create_tenant(&client(), &s.base, "acme").await;

    // Live stream: revoking the key through the API closes it (4401).
    let (id, key) = create_key(&client(), &s.base, "acme", "viewer").await;
    let mut ws = stream_subscribed(&s, &key).await;
    let t = Instant::now();
    revoke(&s.base, "acme", &id).await;
    let (code, reason, seen) = until_closed(&mut ws, Duration::from_secs(10)).await;
    assert_eq!(code, Some(4401), "{reason} {seen:?}");
    assert!(reason.contains("no longer valid"), "{reason}");
    assert!(
        seen.iter()
            .any(|m| m["type"] == "error" && m["code"] == "unauthenticated"),
        "{seen:?}"
    );
    assert!(t.elapsed() < Duration::from_secs(10));

    // GraphQL subscription: the same.
    let (id, key) = create_key(&client(), &s.base, "acme", "viewer").await;
    let mut ws = graphql_subscribed(&s, &key).await;
    revoke(&s.base, "acme", &id).await;
    let (code, reason, _) = until_closed(&mut ws, Duration::from_secs(10)).await;
    assert_eq!(code, Some(4401), "{reason}");
    assert!(reason.contains("credential no longer valid"), "{reason}");
    assert!(reason.contains("revoked"), "{reason}");

    // A session ends with logout, on both.
    let pw = "correct horse battery staple";
    let r = client()
        .post(s.url("/api/v1/tenants/acme/users"))
        .json(&json!({"username": "erin", "password": pw, "role": "viewer"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let session = |_: ()| async {
        let v: Value = anonymous_client()
            .post(s.url("/api/v1/auth/login"))
            .json(&json!({"username": "erin", "password": pw}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v["token"].as_str().unwrap().to_string()
    };
    let (t1, t2) = (session(()).await, session(()).await);
    let mut stream_ws = stream_subscribed(&s, &t1).await;
    let mut gql_ws = graphql_subscribed(&s, &t2).await;
    for t in [&t1, &t2] {
        let r = client_with_key(t)
            .post(s.url("/api/v1/auth/logout"))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{}", r.status());
    }
    let (code, reason, _) = until_closed(&mut stream_ws, Duration::from_secs(10)).await;
    assert_eq!(code, Some(4401), "{reason}");
    let (code, reason, _) = until_closed(&mut gql_ws, Duration::from_secs(10)).await;
    assert_eq!(code, Some(4401), "{reason}");

    // A custom role losing `alerts:read`: the GraphQL connection is closed
    // (4403, reconnect), the stream subscription is ended with `forbidden`.
    let put_role = |perms: Value| {
        client()
            .put(s.url("/api/v1/tenants/acme/roles/watcher"))
            .json(&json!({"permissions": perms}))
            .send()
    };
    assert!(
        put_role(json!(["alerts:read", "findings:read"]))
            .await
            .unwrap()
            .status()
            .is_success()
    );
    let (_, key) = create_key(&client(), &s.base, "acme", "watcher").await;
    let mut gql_ws = graphql_subscribed(&s, &key).await;
    let mut stream_ws = stream_subscribed(&s, &key).await;
    assert!(
        put_role(json!(["findings:read"]))
            .await
            .unwrap()
            .status()
            .is_success()
    );
    // Role changes are not revocations: they are seen at the next re-check,
    // prompted here by revoking an unrelated key.
    let (other, _) = create_key(&client(), &s.base, "acme", "viewer").await;
    revoke(&s.base, "acme", &other).await;
    let (code, reason, _) = until_closed(&mut gql_ws, Duration::from_secs(10)).await;
    assert_eq!(code, Some(4403), "{reason}");
    assert!(reason.contains("permissions changed"), "{reason}");
    let v = next_json(&mut stream_ws).await;
    assert_eq!(v["code"], "forbidden", "{v}");
}

#[tokio::test(flavor = "multi_thread")]
async fn revocation_by_another_process_is_seen_within_the_interval() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let s = Server::start(
        &data,
        &[],
        &[
            ("MCPSEC_STREAM__REAUTH_INTERVAL_SECS", "1".into()),
            ("MCPSEC_STREAM__QUEUE", "64".into()),
        ],
    );
    create_tenant(&client(), &s.base, "acme").await;
    let (id1, key1) = create_key(&client(), &s.base, "acme", "viewer").await;
    let (id2, key2) = create_key(&client(), &s.base, "acme", "viewer").await;
    let mut stream_ws = stream_subscribed(&s, &key1).await;
    let mut gql_ws = graphql_subscribed(&s, &key2).await;
    // Still open after a few re-checks with a valid key.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let r = client()
        .post(s.url("/api/v1/events"))
        .json(
            &json!([{"id": "a-1", "type": "alert.created", "source": "e2e", "tenant": "acme",
            "data": {"alert_id": "a-1", "rule_id": "r", "title": "t", "severity": "high"}}]),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    assert_eq!(next_json(&mut stream_ws).await["type"], "event");
    assert_eq!(next_json(&mut gql_ws).await["type"], "next");

    // The CLI (another process, no revocation event here) revokes both.
    for id in [&id1, &id2] {
        cli(&data, &["admin", "revoke-api-key", id], &[]);
    }
    let t = Instant::now();
    let (code, reason, _) = until_closed(&mut stream_ws, Duration::from_secs(10)).await;
    assert_eq!(code, Some(4401), "{reason}");
    let (code, reason, _) = until_closed(&mut gql_ws, Duration::from_secs(10)).await;
    assert_eq!(code, Some(4401), "{reason}");
    assert!(t.elapsed() < Duration::from_secs(8), "{:?}", t.elapsed());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_open_grpc_ingest_stream_ends_when_its_key_is_revoked() {
    use mcpsec_server::grpc::pb;
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(
        &dir.path().join("data"),
        &[],
        &[("MCPSEC_STREAM__REAUTH_INTERVAL_SECS", "3600".into())],
    );
    create_tenant(&client(), &s.base, "acme").await;
    let (id, key) = create_key(&client(), &s.base, "acme", "ingest-only").await;
    let channel = tonic::transport::Channel::from_shared(s.base.clone())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut events = pb::event_service_client::EventServiceClient::new(channel);
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    let mut req = tonic::Request::new(tokio_stream::wrappers::ReceiverStream::new(rx));
    req.metadata_mut()
        .insert("authorization", format!("Bearer {key}").parse().unwrap());
    let batch = |n: &str| pb::IngestRequest {
        events: vec![pb::EventInput {
            id: n.into(),
            r#type: "log.received".into(),
            source: "grpc-test".into(),
            tenant: "acme".into(),
            subject: "web-1".into(),
            data_json: json!({"format": "json", "host": "web-1", "record": {"EventID": 1}})
                .to_string(),
            ..Default::default()
        }],
    };
    tx.send(batch("g-1")).await.unwrap();
    let mut acks = events.ingest(req).await.unwrap().into_inner();
    let first = acks.message().await.unwrap().expect("first ack");
    assert_eq!(first.accepted, 1, "{first:?}");
    revoke(&s.base, "acme", &id).await;
    tx.send(batch("g-2")).await.unwrap();
    let err = acks.message().await.unwrap_err();
    assert_eq!(err.code(), tonic::Code::Unauthenticated, "{err:?}");
    assert!(
        err.message().contains("no longer valid") && err.message().contains("revoked"),
        "{err:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_method_a_route_does_not_have_is_405_with_allow() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir.path().join("data"), &[], &[]);
    create_tenant(&client(), &s.base, "acme").await;
    let r = anonymous_client()
        .delete(s.url("/api/v1/tenants/acme/findings"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    assert_eq!(r.headers()["allow"], "GET");
    // HEAD works like GET (same policy: a credential is needed).
    let r = anonymous_client()
        .head(s.url("/api/v1/tenants/acme/findings"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = client()
        .head(s.url("/api/v1/tenants/acme/findings"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_replay_buffer_size_comes_from_the_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(
        &dir.path().join("data"),
        &[],
        &[("MCPSEC_STREAM__REPLAY_PER_KIND", "2".into())],
    );
    create_tenant(&client(), &s.base, "acme").await;
    let live = stream_subscribed(&s, TEST_BOOTSTRAP_KEY).await;
    let mut live = live;
    let alerts: Vec<Value> = (1..=5)
        .map(|i| {
            json!({"id": format!("r-{i}"), "type": "alert.created", "source": "e2e", "tenant": "acme",
                "data": {"alert_id": format!("r-{i}"), "rule_id": "r", "title": "t", "severity": "high"}})
        })
        .collect();
    let r = client()
        .post(s.url("/api/v1/events"))
        .json(&alerts)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    for _ in 0..5 {
        assert_eq!(next_json(&mut live).await["type"], "event");
    }
    // Resuming after r-1: only the last 2 alerts are held (r-4, r-5), and
    // r-1 is no longer known, so the answer says there may be a gap.
    let mut ws = connect(&s, "/api/v1/stream", Some(TEST_BOOTSTRAP_KEY), None).await;
    assert_eq!(next_json(&mut ws).await["type"], "welcome");
    send(
        &mut ws,
        json!({"type": "subscribe", "kinds": ["alerts"], "tenant": "acme", "after": "r-1"}),
    )
    .await;
    let v = next_json(&mut ws).await;
    assert_eq!(v["type"], "subscribed", "{v}");
    assert_eq!(v["replayed"], 2, "{v}");
    assert_eq!(v["gap"], true, "{v}");
    let ids: Vec<Value> = vec![
        next_json(&mut ws).await["id"].clone(),
        next_json(&mut ws).await["id"].clone(),
    ];
    assert_eq!(ids, [json!("r-4"), json!("r-5")]);
}

#[test]
fn stream_settings_are_typed_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let run = |env: &[(&str, &str)]| {
        let mut cmd = std::process::Command::new(BIN);
        cmd.arg("--data-dir")
            .arg(&data)
            .args(["config", "check"])
            .env_remove("MCPSEC_CONFIG");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr),
        )
    };
    let (ok, out) = run(&[
        ("MCPSEC_STREAM__QUEUE", "128"),
        ("MCPSEC_STREAM__REPLAY_PER_KIND", "500"),
        ("MCPSEC_STREAM__REAUTH_INTERVAL_SECS", "5"),
    ]);
    assert!(ok, "{out}");
    assert!(out.contains("[stream]"), "{out}");
    assert!(out.contains("queue = 128"), "{out}");
    assert!(out.contains("replay_per_kind = 500"), "{out}");
    assert!(out.contains("reauth_interval_secs = 5"), "{out}");
    let (ok, out) = run(&[("MCPSEC_STREAM__QUEUE", "0")]);
    assert!(!ok && out.contains("stream.queue"), "{out}");
    let (ok, out) = run(&[("MCPSEC_STREAM__REAUTH_INTERVAL_SECS", "0")]);
    assert!(!ok && out.contains("stream.reauth_interval_secs"), "{out}");
    let (ok, out) = run(&[("MCPSEC_STREAM__SUBSCRIBER_BUFFER", "5")]);
    assert!(!ok && out.contains("subscriber_buffer"), "{out}");
}
