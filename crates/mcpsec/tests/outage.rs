//! A backend outage at run time: `/readyz` reports it and publishing answers
//! 503 without acknowledging anything. The test runs its own Kafka-protocol
//! broker (tansu) so it can kill it without disturbing other tests.

mod common;

use std::process::{Command, Stdio};

use common::*;
use mcpsec_testkit::service_env;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test(flavor = "multi_thread")]
async fn broker_outage_fails_readiness_and_publishing_with_503() {
    let Some(tansu) = service_env("MCPSEC_TEST_TANSU_BIN", "broker_outage") else {
        return;
    };
    let port = free_port();
    let listener = format!("tcp://127.0.0.1:{port}");
    let mut broker = Command::new(&tansu)
        .args([
            "broker",
            "--cluster-id",
            "mcpsec-outage",
            "--listener-url",
            &listener,
        ])
        .args([
            "--advertised-listener-url",
            &listener,
            "--storage-engine",
            "memory://tansu/",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start tansu");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("mcpsec.toml"),
        format!(
            "[bus]\nbackend = \"kafka\"\nbrokers = \"127.0.0.1:{port}\"\n[bus.extra]\n\"message.timeout.ms\" = \"3000\"\n\"batch.num.messages\" = \"1\"\n"
        ),
    )
    .unwrap();
    // Wait for the broker to listen.
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let s = Server::start(&dir.path().join("data"), &[], &[]);
    let c = client();
    create_tenant(&c, &s.base, "acme").await;
    let r = c
        .post(s.url("/api/v1/events"))
        .json(&vec![log_event("acme", "before", "h")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202, "{}", r.text().await.unwrap());
    assert_eq!(c.get(s.url("/readyz")).send().await.unwrap().status(), 200);

    broker.kill().unwrap();
    broker.wait().unwrap();

    let r = c.get(s.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), 503);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_ne!(v["checks"]["bus:kafka"], "ok", "{v}");
    assert_eq!(v["checks"]["store:sqlite"], "ok", "{v}");

    let r = c
        .post(s.url("/api/v1/events"))
        .json(&vec![log_event("acme", "during", "h")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "bus_unavailable");
}
