//! Rate limits end to end: two API processes against one Redis server share
//! one bucket per credential (needs `MCPSEC_TEST_REDIS_URL`, started by
//! `scripts/test.sh`; SKIPPED without it, failing when
//! `MCPSEC_TEST_REQUIRE_SERVICES=1`), and the per-tenant limit holds across
//! the tenant's API keys (in memory, no service needed).

mod common;

use std::io::{Read, Write};
use std::time::Instant;

use common::*;
use serde_json::json;

/// Deletes `key` with a raw RESP command (so the test needs no Redis client).
fn redis_del(url: &str, key: &str) {
    let u = url::Url::parse(url).expect("MCPSEC_TEST_REDIS_URL");
    let addr = format!(
        "{}:{}",
        u.host_str().unwrap_or("127.0.0.1"),
        u.port().unwrap_or(6379)
    );
    let mut s = std::net::TcpStream::connect(addr).expect("connect to Redis");
    let db = u.path().trim_start_matches('/');
    if !db.is_empty() {
        write!(s, "*2\r\n$6\r\nSELECT\r\n${}\r\n{db}\r\n", db.len()).unwrap();
    }
    write!(s, "*2\r\n$3\r\nDEL\r\n${}\r\n{key}\r\n", key.len()).unwrap();
    let mut buf = [0u8; 64];
    let _ = s.read(&mut buf);
}

async fn get(c: &reqwest::Client, url: String) -> (u16, Option<u32>, bool) {
    let r = c.get(url).send().await.unwrap();
    let remaining = r
        .headers()
        .get("ratelimit-remaining")
        .and_then(|v| v.to_str().ok()?.parse().ok());
    let retry = r.headers().contains_key("retry-after");
    if r.status() == 200 {
        assert!(r.headers().contains_key("ratelimit-policy"));
        assert!(r.headers().contains_key("ratelimit"));
    }
    (r.status().as_u16(), remaining, retry)
}

#[tokio::test(flavor = "multi_thread")]
async fn two_api_processes_share_one_limit_through_redis() {
    let Some(url) = mcpsec_testkit::service_env(
        "MCPSEC_TEST_REDIS_URL",
        "two_api_processes_share_one_limit_through_redis",
    ) else {
        return;
    };
    // The bootstrap credential's bucket; start from a full one.
    redis_del(&url, "mcpsec:rl:p:bootstrap");
    let env = [
        ("MCPSEC_AUTH__RATE_LIMIT_PER_SECOND", "1".to_string()),
        ("MCPSEC_AUTH__RATE_LIMIT_BURST", "6".to_string()),
        ("MCPSEC_AUTH__RATE_LIMIT_REDIS_URL", url.clone()),
    ];
    let dir = tempfile::tempdir().unwrap();
    let a = Server::start(&dir.path().join("a"), &["--role", "api"], &env);
    let b = Server::start(&dir.path().join("b"), &["--role", "api"], &env);
    let c = client();
    let started = Instant::now();
    let mut results = Vec::new();
    for i in 0..12 {
        let s = if i % 2 == 0 { &a } else { &b };
        results.push(get(&c, s.url("/api/v1/tenants")).await);
    }
    let elapsed = started.elapsed().as_secs();
    // One bucket: the remaining count goes down across both processes
    // (each alone would start at 5).
    assert_eq!(results[0], (200, Some(5), false), "{results:?}");
    assert_eq!(results[1], (200, Some(4), false), "{results:?}");
    let ok = results.iter().filter(|r| r.0 == 200).count() as u64;
    assert!(
        ok <= 6 + elapsed + 1,
        "{ok} allowed in {elapsed} s with burst 6 and 1/s: {results:?}"
    );
    for (i, name) in [(0, "a"), (1, "b")] {
        let refused: Vec<_> = results
            .iter()
            .skip(i)
            .step_by(2)
            .filter(|r| r.0 == 429)
            .collect();
        assert!(
            !refused.is_empty(),
            "process {name} never refused: {results:?}"
        );
        assert!(refused.iter().all(|r| r.2), "429 without Retry-After");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn tenant_limit_holds_across_the_tenants_keys() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(
        &dir.path().join("data"),
        &[],
        &[
            ("MCPSEC_AUTH__RATE_LIMIT_PER_SECOND", "100".into()),
            ("MCPSEC_AUTH__RATE_LIMIT_BURST", "100".into()),
            ("MCPSEC_AUTH__RATE_LIMIT_TENANT_PER_SECOND", "1".into()),
            ("MCPSEC_AUTH__RATE_LIMIT_TENANT_BURST", "4".into()),
        ],
    );
    create_tenant(&client(), &s.base, "acme").await;
    create_tenant(&client(), &s.base, "globex").await;
    let mut keys = Vec::new();
    for t in ["acme", "acme", "globex"] {
        let r = client()
            .post(s.url(&format!("/api/v1/tenants/{t}/api-keys")))
            .json(&json!({"name": "k", "role": "viewer"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let v: serde_json::Value = r.json().await.unwrap();
        keys.push(client_with_key(v["key"].as_str().unwrap()));
    }
    let started = Instant::now();
    let mut acme = Vec::new();
    for i in 0..10 {
        let (st, _, _) = get(&keys[i % 2], s.url("/api/v1/tenants/acme/findings")).await;
        acme.push(st);
    }
    let elapsed = started.elapsed().as_secs();
    let ok = acme.iter().filter(|s| **s == 200).count() as u64;
    assert!(ok >= 4 && ok <= 4 + elapsed + 1, "{acme:?}");
    assert!(acme.contains(&429), "{acme:?}");
    // Another tenant has its own bucket.
    let (st, _, _) = get(&keys[2], s.url("/api/v1/tenants/globex/findings")).await;
    assert_eq!(st, 200);
}
