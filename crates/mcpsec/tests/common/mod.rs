//! Helpers for end-to-end tests: run the real `mcpsec` binary as a child
//! process and talk to it over HTTP.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_mcpsec");

/// A running `mcpsec serve` process; killed on drop.
pub struct Server {
    pub child: Child,
    pub base: String,
}

impl Server {
    /// Starts `mcpsec serve --listen 127.0.0.1:0 <args>` with `data_dir` and
    /// extra environment; waits for its "listening" line.
    pub fn start(data_dir: &Path, args: &[&str], env: &[(&str, String)]) -> Server {
        let mut cmd = Command::new(BIN);
        cmd.arg("serve")
            .arg("--listen")
            .arg("127.0.0.1:0")
            .arg("--data-dir")
            .arg(data_dir)
            .args(args)
            .current_dir(data_dir.parent().unwrap_or(data_dir))
            .env("RUST_LOG", "warn")
            .env_remove("MCPSEC_CONFIG")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn mcpsec");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut sent = false;
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if !sent && let Some(rest) = line.strip_prefix("mcpsec listening on ") {
                    let url = rest
                        .split_whitespace()
                        .next()
                        .unwrap_or_default()
                        .to_string();
                    let _ = tx.send(url);
                    sent = true;
                }
            }
        });
        let base = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(b) => b,
            Err(_) => {
                let _ = child.kill();
                let status = child.wait().ok();
                panic!("mcpsec serve did not start (exit: {status:?})");
            }
        };
        Server { child, base }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// SIGKILL, no cleanup.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

/// Polls `check` until it returns true or `secs` pass.
pub async fn eventually<F, Fut>(secs: u64, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out after {secs}s waiting for: {what}");
}

pub fn log_event(tenant: &str, id: &str, host: &str) -> serde_json::Value {
    serde_json::json!({
        "id": id, "type": "log.received", "source": "e2e-test", "tenant": tenant, "subject": host,
        "data": {"format": "json", "host": host, "record": {"EventID": 4688, "CommandLine": "whoami"}}
    })
}

pub async fn create_tenant(c: &reqwest::Client, base: &str, id: &str) {
    let r = c
        .post(format!("{base}/api/v1/tenants"))
        .json(&serde_json::json!({ "id": id }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
}

pub async fn count(c: &reqwest::Client, base: &str, tenant: &str) -> u64 {
    let v: serde_json::Value = c
        .get(format!("{base}/api/v1/tenants/{tenant}/events/count"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["count"].as_u64().expect("count")
}
