//! End-to-end tests of the gRPC API (tonic, HTTP/2 on the API port) against
//! the real binary: authentication and per-tenant authorization, streaming
//! ingest that lands in the store, streaming queries and server reflection.

mod common;

use common::*;
use mcpsec_server::grpc::pb;
use pb::event_service_client::EventServiceClient;
use pb::query_service_client::QueryServiceClient;
use serde_json::{Value, json};
use tonic::transport::Channel;
use tonic::{Code, Request};

async fn channel(s: &Server) -> Channel {
    Channel::from_shared(s.base.clone())
        .unwrap()
        .connect()
        .await
        .expect("gRPC connect")
}

fn with_key<T>(msg: T, key: &str) -> Request<T> {
    let mut r = Request::new(msg);
    r.metadata_mut()
        .insert("authorization", format!("Bearer {key}").parse().unwrap());
    r
}

/// A request for one finding of the demo tenant, with the bootstrap key.
fn demo_finding(id: &str) -> Request<pb::GetFindingRequest> {
    with_key(
        pb::GetFindingRequest {
            tenant: "demo".into(),
            id: id.into(),
        },
        TEST_BOOTSTRAP_KEY,
    )
}

fn log_input(tenant: &str, id: &str) -> pb::EventInput {
    pb::EventInput {
        id: id.into(),
        r#type: "log.received".into(),
        source: "grpc-test".into(),
        tenant: tenant.into(),
        subject: "web-1".into(),
        data_json: json!({"format": "json", "host": "web-1", "record": {"EventID": 4688, "CommandLine": "hostname"}})
            .to_string(),
        ..Default::default()
    }
}

/// A tenant-scoped API key with `role`, created through the REST API.
async fn tenant_key(s: &Server, tenant: &str, role: &str) -> String {
    let r = client()
        .post(s.url(&format!("/api/v1/tenants/{tenant}/api-keys")))
        .json(&json!({"name": format!("grpc {role}"), "role": role}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let v: Value = r.json().await.unwrap();
    v["key"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_ingest_query_auth_and_reflection() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let s = Server::start(&data, &["--role", "all"], &[]);
    let c = client();
    create_tenant(&c, &s.base, "acme").await;
    create_tenant(&c, &s.base, "other").await;
    let owner = tenant_key(&s, "acme", "owner").await;
    let ingest_only = tenant_key(&s, "acme", "ingest-only").await;
    let ch = channel(&s).await;
    let mut events = EventServiceClient::new(ch.clone());
    let mut query = QueryServiceClient::new(ch.clone());

    // No credential, a bad credential: unauthenticated.
    let err = query
        .count_events(pb::CountEventsRequest {
            tenant: "acme".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated, "{err:?}");
    let err = query
        .count_events(with_key(
            pb::CountEventsRequest {
                tenant: "acme".into(),
            },
            "mcpsec_nope_nope",
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated, "{err:?}");
    let err = events
        .ingest(tokio_stream::iter(vec![pb::IngestRequest {
            events: vec![log_input("acme", "anon-1")],
        }]))
        .await
        .map(|_| ())
        .unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated, "{err:?}");

    // A key of acme may not read or write another tenant.
    let err = query
        .count_events(with_key(
            pb::CountEventsRequest {
                tenant: "other".into(),
            },
            &owner,
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied, "{err:?}");
    let err = query
        .stream_findings(with_key(
            pb::StreamFindingsRequest {
                tenant: "other".into(),
                ..Default::default()
            },
            &owner,
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied, "{err:?}");
    let mut resp = events
        .ingest(with_key(
            tokio_stream::iter(vec![pb::IngestRequest {
                events: vec![log_input("acme", "x-1"), log_input("other", "x-2")],
            }]),
            &owner,
        ))
        .await
        .unwrap()
        .into_inner();
    let err = resp.message().await.unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied, "{err:?}");
    assert!(err.message().contains("nothing was published"), "{err:?}");
    // ingest-only may publish but not read.
    let err = query
        .count_events(with_key(
            pb::CountEventsRequest {
                tenant: "acme".into(),
            },
            &ingest_only,
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied, "{err:?}");

    // Streaming ingest: 5 batches of 40 events, each acknowledged in order.
    let batches: Vec<pb::IngestRequest> = (0..5)
        .map(|b| pb::IngestRequest {
            events: (0..40)
                .map(|i| log_input("acme", &format!("grpc-{b}-{i:03}")))
                .collect(),
        })
        .collect();
    let mut acks = events
        .ingest(with_key(tokio_stream::iter(batches), &ingest_only))
        .await
        .unwrap()
        .into_inner();
    let mut ids = Vec::new();
    while let Some(ack) = acks.message().await.unwrap() {
        assert_eq!(ack.accepted, 40);
        ids.extend(ack.ids);
    }
    assert_eq!(ids.len(), 200);
    assert_eq!(ids[0], "grpc-0-000");
    assert_eq!(ids[199], "grpc-4-039");

    // The same validation as REST: a bad batch ends the stream, the batch
    // before it stays published.
    let mut bad = log_input("acme", "bad-1");
    bad.r#type = "no.such.type".into();
    let mut acks = events
        .ingest(with_key(
            tokio_stream::iter(vec![
                pb::IngestRequest {
                    events: vec![log_input("acme", "grpc-5-000")],
                },
                pb::IngestRequest { events: vec![bad] },
            ]),
            &owner,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(acks.message().await.unwrap().unwrap().accepted, 1);
    let err = acks.message().await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument, "{err:?}");
    assert_eq!(
        err.metadata().get("mcpsec-error-code").unwrap(),
        "unknown_event_type"
    );
    ids.push("grpc-5-000".into());

    // The worker stores them; gRPC and REST agree on the count.
    let q = query.clone();
    let key = owner.clone();
    eventually(60, "201 events stored", move || {
        let mut q = q.clone();
        let key = key.clone();
        async move {
            q.count_events(with_key(
                pb::CountEventsRequest {
                    tenant: "acme".into(),
                },
                &key,
            ))
            .await
            .map(|r| r.into_inner().count == 201)
            .unwrap_or(false)
        }
    })
    .await;
    assert_eq!(count(&c, &s.base, "acme").await, 201);

    // Server-streaming query returns every ingested event.
    let mut wanted = ids.clone();
    wanted.push("never-sent".into());
    let mut stream = query
        .stream_events(with_key(
            pb::StreamEventsRequest {
                tenant: "acme".into(),
                ids: wanted,
            },
            &owner,
        ))
        .await
        .unwrap()
        .into_inner();
    let mut got = Vec::new();
    while let Some(e) = stream.message().await.unwrap() {
        assert_eq!(e.tenant, "acme");
        assert_eq!(e.r#type, "log.received");
        let data: Value = serde_json::from_str(&e.data_json).unwrap();
        assert_eq!(data["record"]["EventID"], 4688);
        got.push(e.id);
    }
    assert_eq!(got, ids);

    // Findings and alerts stream like the REST lists (empty for acme here,
    // with a working filter parser).
    let mut findings = query
        .stream_findings(with_key(
            pb::StreamFindingsRequest {
                tenant: "acme".into(),
                min_severity: "high".into(),
                ..Default::default()
            },
            &owner,
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(findings.message().await.unwrap().is_none());
    let err = query
        .stream_findings(with_key(
            pb::StreamFindingsRequest {
                tenant: "acme".into(),
                min_severity: "urgent".into(),
                ..Default::default()
            },
            &owner,
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument, "{err:?}");

    // Reflection lists the services (no credential needed, like the OpenAPI document).
    use tonic_reflection::pb::v1::ServerReflectionRequest;
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
    let mut reflection = ServerReflectionClient::new(ch.clone());
    let mut replies = reflection
        .server_reflection_info(tokio_stream::iter(vec![ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::ListServices(String::new())),
        }]))
        .await
        .unwrap()
        .into_inner();
    let reply = replies
        .message()
        .await
        .unwrap()
        .expect("a reflection reply");
    let Some(MessageResponse::ListServicesResponse(list)) = reply.message_response else {
        panic!("unexpected reflection reply: {reply:?}");
    };
    let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    assert!(
        names.contains(&"mcpsec.v1.EventService".to_string())
            && names.contains(&"mcpsec.v1.QueryService".to_string()),
        "{names:?}"
    );

    // A key revoked through REST stops working over gRPC at once (one
    // authenticator and key cache for both).
    let id = ingest_only.split('_').nth(1).unwrap();
    let r = client()
        .delete(s.url(&format!("/api/v1/tenants/acme/api-keys/{id}")))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    let err = events
        .ingest(with_key(
            tokio_stream::iter(vec![pb::IngestRequest {
                events: vec![log_input("acme", "after-revoke")],
            }]),
            &ingest_only,
        ))
        .await
        .map(|_| ())
        .unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated, "{err:?}");
    assert!(err.message().contains("revoked"), "{err:?}");

    // REST still answers on the same port (HTTP/1.1).
    let r = anonymous_client()
        .get(s.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_streams_demo_findings_like_rest() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let s = Server::start(&data, &["--role", "api", "--demo"], &[]);
    let rest: Value = client()
        .get(s.url("/api/v1/tenants/demo/findings?limit=1000"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let rest_ids: Vec<String> = rest["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect();
    assert!(!rest_ids.is_empty(), "the demo seeds findings");
    let ch = channel(&s).await;
    let mut query = QueryServiceClient::new(ch);
    let mut stream = query
        .stream_findings(with_key(
            pb::StreamFindingsRequest {
                tenant: "demo".into(),
                ..Default::default()
            },
            TEST_BOOTSTRAP_KEY,
        ))
        .await
        .unwrap()
        .into_inner();
    let mut ids = Vec::new();
    while let Some(f) = stream.message().await.unwrap() {
        let whole: Value = serde_json::from_str(&f.json).unwrap();
        assert_eq!(whole["id"], f.id.as_str());
        assert_eq!(whole["severity"], f.severity.as_str());
        ids.push(f.id);
    }
    assert_eq!(ids, rest_ids);
    // Paging: `limit` and `after` behave like the REST cursor.
    let mut stream = query
        .stream_findings(with_key(
            pb::StreamFindingsRequest {
                tenant: "demo".into(),
                after: rest_ids[0].clone(),
                limit: 2,
                ..Default::default()
            },
            TEST_BOOTSTRAP_KEY,
        ))
        .await
        .unwrap()
        .into_inner();
    let mut page = Vec::new();
    while let Some(f) = stream.message().await.unwrap() {
        page.push(f.id);
    }
    let expected: Vec<String> = rest_ids.iter().skip(1).take(2).cloned().collect();
    assert_eq!(page, expected);
    // One finding by id; unknown ids are NOT_FOUND.
    let one = query
        .get_finding(demo_finding(&rest_ids[0]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(one.id, rest_ids[0]);
    let err = query
        .get_finding(demo_finding("no-such-finding"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound, "{err:?}");
    // A finding's history, after a triage through REST, is the REST one.
    let url = |p: &str| s.url(&format!("/api/v1/tenants/demo/findings/{}{p}", rest_ids[0]));
    let (st, v) = send(
        client()
            .post(url("/status"))
            .json(&json!({"status": "accepted_risk", "reason": "not reachable"})),
    )
    .await;
    assert_eq!(st, 200, "{v}");
    let rest_h = get_json(&client(), url("/history")).await;
    let h = query
        .get_finding_history(demo_finding(&rest_ids[0]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(h.finding_id, rest_ids[0]);
    let rest_items = rest_h["items"].as_array().unwrap();
    assert!(rest_items.len() >= 2, "{rest_h}");
    assert_eq!(h.items.len(), rest_items.len());
    let last = h.items.last().unwrap();
    assert_eq!(last.to, "accepted_risk");
    assert_eq!(last.reason, "not reachable");
    assert_eq!(
        last.from,
        rest_items.last().unwrap()["from"].as_str().unwrap()
    );
    assert_eq!(
        last.author,
        rest_items.last().unwrap()["author"].as_str().unwrap()
    );
    assert_eq!(h.items[0].from, "", "the first change is the creation");
    let err = query
        .get_finding_history(demo_finding("no-such-finding"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound, "{err:?}");
    // The demo's alerts stream too.
    let mut alerts = query
        .stream_alerts(with_key(
            pb::StreamAlertsRequest {
                tenant: "demo".into(),
                ..Default::default()
            },
            TEST_BOOTSTRAP_KEY,
        ))
        .await
        .unwrap()
        .into_inner();
    let mut n = 0;
    while let Some(a) = alerts.message().await.unwrap() {
        assert_eq!(a.tenant, "demo");
        n += 1;
    }
    let rest_alerts: Value = client()
        .get(s.url("/api/v1/tenants/demo/alerts?limit=1000"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(n, rest_alerts["items"].as_array().unwrap().len());
}
