//! OpenTelemetry: spans are exported over OTLP/HTTP, and a caller's trace
//! context flows from the HTTP request through the bus to the worker.

mod common;

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::routing::post;
use common::*;

fn contains(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .filter(|w| *w == needle)
        .count()
}

#[tokio::test(flavor = "multi_thread")]
async fn trace_context_crosses_the_bus_and_spans_reach_the_collector() {
    // A minimal OTLP/HTTP collector that keeps every request body.
    let bodies: Arc<Mutex<Vec<Bytes>>> = Arc::default();
    let keep = bodies.clone();
    let app = axum::Router::new().route(
        "/v1/traces",
        post(move |body: Bytes| {
            let keep = keep.clone();
            async move {
                keep.lock().unwrap().push(body);
                ""
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let collector = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });

    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(
        &dir.path().join("data"),
        &[],
        &[
            ("MCPSEC_OTLP_ENDPOINT", collector),
            ("OTEL_BSP_SCHEDULE_DELAY", "200".into()),
            ("RUST_LOG", "info".into()),
        ],
    );
    let c = client();
    create_tenant(&c, &s.base, "acme").await;
    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let r = c
        .post(s.url("/api/v1/events"))
        .header("traceparent", format!("00-{trace_id}-00f067aa0ba902b7-01"))
        .json(&vec![log_event("acme", "traced-1", "h")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    eventually(30, "event stored", || async {
        count(&c, &s.base, "acme").await == 1
    })
    .await;

    let id_bytes: Vec<u8> = (0..16)
        .map(|i| u8::from_str_radix(&trace_id[2 * i..2 * i + 2], 16).unwrap())
        .collect();
    // The API's ingest span and the worker's batch span both belong to the caller's trace.
    eventually(
        30,
        "ingest and worker spans exported with the caller's trace id",
        || {
            let bodies = bodies.clone();
            let id_bytes = id_bytes.clone();
            async move {
                let all = bodies.lock().unwrap();
                let spans: usize = all.iter().map(|b| contains(b, &id_bytes)).sum();
                let names = all.iter().any(|b| contains(b, b"ingest_events") > 0)
                    && all.iter().any(|b| contains(b, b"handle_batch") > 0);
                spans >= 2 && names
            }
        },
    )
    .await;
}
