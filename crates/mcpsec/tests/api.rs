//! End to end over HTTP against `mcpsec serve` with the embedded backends.

mod common;

use common::*;
use serde_json::json;

#[tokio::test]
async fn health_ready_metrics_and_docs() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir.path().join("data"), &[], &[]);
    let c = client();

    let r = c.get(s.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);

    let r = c.get(s.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["status"], "ready");
    assert_eq!(v["checks"]["store:sqlite"], "ok");
    assert_eq!(v["checks"]["bus:embedded"], "ok");
    assert_eq!(v["checks"]["objects:local"], "ok");

    let metrics = c
        .get(s.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("mcpsec_http_requests_total"), "{metrics}");
    assert!(metrics.contains(r#"route="/healthz""#), "{metrics}");
    assert!(
        metrics.contains("mcpsec_http_request_duration_seconds_bucket"),
        "{metrics}"
    );

    let spec: serde_json::Value = c
        .get(s.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(spec["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/healthz",
        "/readyz",
        "/metrics",
        "/api/v1/events",
        "/api/v1/tenants",
        "/api/v1/tenants/{tenant}/findings",
    ] {
        assert!(
            spec["paths"].get(path).is_some(),
            "{path} missing from OpenAPI"
        );
    }
    let docs = c.get(s.url("/api/docs/")).send().await.unwrap();
    assert_eq!(docs.status(), 200);
    assert!(
        docs.text()
            .await
            .unwrap()
            .to_lowercase()
            .contains("swagger")
    );
}

#[tokio::test]
async fn ingest_publishes_and_worker_stores_each_event_once() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir.path().join("data"), &[], &[]);
    let c = client();
    create_tenant(&c, &s.base, "acme").await;

    let batch: Vec<_> = (0..500)
        .map(|i| log_event("acme", &format!("e-{i}"), &format!("h{}", i % 7)))
        .collect();
    let r = c
        .post(s.url("/api/v1/events"))
        .json(&json!({ "events": batch }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202, "{}", r.text().await.unwrap());
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["accepted"], 500);
    // The same batch again (a client retry) must not duplicate anything.
    let r = c
        .post(s.url("/api/v1/events"))
        .json(&batch)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);

    eventually(30, "500 events stored", || async {
        count(&c, &s.base, "acme").await == 500
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(count(&c, &s.base, "acme").await, 500);

    let e: serde_json::Value = c
        .get(s.url("/api/v1/tenants/acme/events/e-42"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(e["type"], "log.received");
    assert_eq!(e["data"]["host"], "h0");
    assert_eq!(e["schema_version"], 1);
}

#[tokio::test]
async fn bad_input_gets_machine_readable_errors() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(
        &dir.path().join("data"),
        &[],
        &[
            ("MCPSEC_SERVER__MAX_BODY_BYTES", "65536".into()),
            ("MCPSEC_SERVER__MAX_BATCH_EVENTS", "300".into()),
        ],
    );
    let c = client();
    create_tenant(&c, &s.base, "acme").await;
    let post = |body: String| {
        let c = c.clone();
        let url = s.url("/api/v1/events");
        async move {
            let r = c
                .post(url)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let v: serde_json::Value = r.json().await.unwrap();
            (status, v)
        }
    };

    let (st, v) = post("{not json".into()).await;
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (400, Some("malformed_request"))
    );

    let mut e = log_event("acme", "x1", "h");
    e["type"] = json!("log.exploded");
    let (st, v) = post(json!([log_event("acme", "ok", "h"), e]).to_string()).await;
    assert_eq!(st, 400);
    assert_eq!(v["error"]["code"], "unknown_event_type");
    assert_eq!(v["error"]["details"][0]["index"], 1);

    let mut e = log_event("acme", "x2", "h");
    e["data"]["record"] = json!("a string");
    let (st, v) = post(json!([e]).to_string()).await;
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (400, Some("invalid_event"))
    );

    let (st, v) = post(json!([log_event("nobody", "x3", "h")]).to_string()).await;
    assert_eq!(st, 400);
    assert_eq!(
        v["error"]["details"][0]["message"], "tenant \"nobody\" does not exist",
        "{v}"
    );

    // Over the body limit (64 KiB), but small enough to fit the socket
    // buffers, so the early 413 reaches the client intact.
    let big = json!(
        (0..500)
            .map(|i| log_event("acme", &format!("big-{i}"), "h"))
            .collect::<Vec<_>>()
    )
    .to_string();
    assert!(big.len() > 65536 && big.len() < 100_000, "{}", big.len());
    let (st, v) = post(big).await;
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (413, Some("payload_too_large"))
    );
    // Under the body limit but over the batch limit (300 events).
    let many = json!(
        (0..301)
            .map(|i| log_event("acme", &format!("m-{i}"), "h"))
            .collect::<Vec<_>>()
    )
    .to_string();
    assert!(many.len() < 65536);
    let (st, v) = post(many).await;
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (413, Some("payload_too_large"))
    );
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("limit is 300"),
        "{v}"
    );

    let (st, v) = post("[]".into()).await;
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (400, Some("invalid_argument"))
    );

    // Nothing of the rejected batches was published: only nothing at all.
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    assert_eq!(count(&c, &s.base, "acme").await, 0);

    let r = c.get(s.url("/api/v1/nope")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    let r = c
        .get(s.url("/api/v1/tenants/acme/findings?status=bogus"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "invalid_argument");
}

#[tokio::test]
async fn demo_mode_seeds_data_and_finding_lifecycle_works() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir.path().join("data"), &["--demo"], &[]);
    let c = client();

    let v: serde_json::Value = c
        .get(s.url("/api/v1/tenants/demo/findings"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(v["items"].as_array().unwrap().len() >= 4, "{v}");
    let v: serde_json::Value = c
        .get(s.url("/api/v1/tenants/demo/findings?status=open&min_severity=critical"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let items = v["items"].as_array().unwrap();
    assert!(!items.is_empty());
    assert!(
        items
            .iter()
            .all(|f| f["status"] == "open" && f["severity"] == "critical"),
        "{v}"
    );

    let r = c
        .post(s.url("/api/v1/tenants/demo/findings/f-log4shell/status"))
        .json(&json!({"status": "triaged", "reason": "upgrade scheduled"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let f: serde_json::Value = r.json().await.unwrap();
    assert_eq!(f["status"], "triaged");
    assert_eq!(f["status_reason"], "upgrade scheduled");
    // fixed -> accepted_risk is not a lifecycle transition.
    let r = c
        .post(s.url("/api/v1/tenants/demo/findings/f-log4shell/status"))
        .json(&json!({"status": "fixed"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = c
        .post(s.url("/api/v1/tenants/demo/findings/f-log4shell/status"))
        .json(&json!({"status": "accepted_risk"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);

    // Other tenants see none of it.
    create_tenant(&c, &s.base, "other").await;
    let v: serde_json::Value = c
        .get(s.url("/api/v1/tenants/other/findings"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["items"].as_array().unwrap().len(), 0);
    let r = c
        .post(s.url("/api/v1/tenants/other/findings/f-log4shell/status"))
        .json(&json!({"status": "triaged"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);

    let v: serde_json::Value = c
        .get(s.url("/api/v1/tenants/demo/alerts?min_severity=critical"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["items"].as_array().unwrap().len(), 1, "{v}");
    // The demo's log events went through the bus to the worker.
    eventually(30, "demo events stored", || async {
        count(&c, &s.base, "demo").await >= 3
    })
    .await;
}

/// Acknowledged events survive a SIGKILL of the server: after a restart the
/// worker stores every one of them.
#[tokio::test]
async fn acknowledged_events_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let c = client();
    let mut acked = 0;
    {
        // Run as API only, so nothing is consumed before the kill.
        let mut s = Server::start(&data, &["--role", "api"], &[]);
        create_tenant(&c, &s.base, "acme").await;
        for b in 0..20 {
            let batch: Vec<_> = (0..100)
                .map(|i| log_event("acme", &format!("k-{b}-{i}"), "h"))
                .collect();
            let r = c
                .post(s.url("/api/v1/events"))
                .json(&batch)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 202);
            acked += 100;
        }
        s.kill();
    }
    let s = Server::start(&data, &["--role", "all"], &[]);
    eventually(
        60,
        "all acknowledged events stored after restart",
        || async { count(&c, &s.base, "acme").await == acked },
    )
    .await;
}
