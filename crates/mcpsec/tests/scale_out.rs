//! Scale-out: one `api` process and two `worker` processes over PostgreSQL
//! and Kafka share the work; one worker is SIGKILLed mid-way (and restarted,
//! as a supervisor would) and every event still ends up in the store exactly
//! once.

mod common;

use std::time::Duration;

use common::*;
use mcpsec_testkit::service_env;

async fn processed_by(c: &reqwest::Client, base: &str) -> f64 {
    let Ok(r) = c.get(format!("{base}/metrics")).send().await else {
        return 0.0;
    };
    let text = r.text().await.unwrap_or_default();
    text.lines()
        .filter(|l| l.starts_with("mcpsec_worker_events_processed_total"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

#[tokio::test(flavor = "multi_thread")]
async fn api_and_two_workers_store_10k_events_exactly_once_despite_a_killed_worker() {
    const TEST: &str = "scale_out";
    let Some(pg) = service_env("MCPSEC_TEST_POSTGRES_URL", TEST) else {
        return;
    };
    let Some(kafka) = service_env("MCPSEC_TEST_KAFKA_BROKERS", TEST) else {
        return;
    };
    let group = format!("scale-out-{}", uuid::Uuid::new_v4().simple());
    let env = vec![
        ("MCPSEC_STORE__BACKEND", "postgres".to_string()),
        ("MCPSEC_STORE__URL", pg),
        ("MCPSEC_WORKER__GROUP", group),
        ("MCPSEC_WORKER__BATCH_SIZE", "200".to_string()),
    ];
    let dir = tempfile::tempdir().unwrap();
    // The processes run in `dir` and share this file; a short session timeout
    // lets the group notice the killed worker quickly. `batch.num.messages = 1`
    // works around tansu 0.6.0 answering fetches only with batches that start
    // at or after the requested offset: a member resuming mid-batch after a
    // rebalance would stall. Harmless on real Kafka.
    std::fs::write(
        dir.path().join("mcpsec.toml"),
        format!(
            "[bus]\nbackend = \"kafka\"\nbrokers = \"{kafka}\"\n[bus.extra]\n\"session.timeout.ms\" = \"6000\"\n\"heartbeat.interval.ms\" = \"1000\"\n\"batch.num.messages\" = \"1\"\n"
        ),
    )
    .unwrap();
    let api = Server::start(&dir.path().join("api"), &["--role", "api"], &env);
    let mut w1 = Server::start(&dir.path().join("w1"), &["--role", "worker"], &env);
    let w2 = Server::start(&dir.path().join("w2"), &["--role", "worker"], &env);
    let c = client();
    let tenant = format!("scale-{}", &uuid::Uuid::new_v4().simple().to_string()[..10]);
    create_tenant(&c, &api.base, &tenant).await;

    let post_batch = |b: usize| {
        let c = c.clone();
        let url = api.url("/api/v1/events");
        let tenant = tenant.clone();
        async move {
            let batch: Vec<_> = (0..1000)
                .map(|i| log_event(&tenant, &format!("so-{b}-{i}"), &format!("host-{}", i % 97)))
                .collect();
            let r = c.post(url).json(&batch).send().await.unwrap();
            assert_eq!(r.status(), 202, "{}", r.text().await.unwrap());
        }
    };
    for b in 0..5 {
        post_batch(b).await;
    }
    // Both workers take part before one of them dies.
    eventually(120, "both workers processing", || async {
        processed_by(&c, &w1.base).await > 0.0 && processed_by(&c, &w2.base).await > 0.0
    })
    .await;
    w1.kill();
    for b in 5..10 {
        post_batch(b).await;
    }
    // A supervisor (systemd, Kubernetes) restarts the crashed worker. On
    // tansu 0.6.0 this join is also what makes the survivor rebalance: its
    // coordinator evicts a SIGKILLed member after the session timeout but
    // does not tell the remaining members to rejoin (heartbeats keep
    // answering "no error"), so without a join the dead member's partitions
    // stay unassigned. Apache Kafka rebalances on the eviction itself.
    let _w3 = Server::start(&dir.path().join("w3"), &["--role", "worker"], &env);
    eventually(180, "10,000 events stored", || async {
        count(&c, &api.base, &tenant).await >= 10_000
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        count(&c, &api.base, &tenant).await,
        10_000,
        "each event exactly once"
    );
    for id in ["so-0-0", "so-4-999", "so-9-500"] {
        let r = c
            .get(api.url(&format!("/api/v1/tenants/{tenant}/events/{id}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{id}");
    }
    drop(w2);
}
