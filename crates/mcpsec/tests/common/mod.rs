//! Helpers for end-to-end tests: run the real `mcpsec` binary as a child
//! process and talk to it over HTTP.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_mcpsec");

/// The bootstrap (platform-admin) key every test server accepts; [`client`]
/// sends it on every request. Tests of access control use [`anonymous_client`]
/// or [`client_with_key`] instead.
pub const TEST_BOOTSTRAP_KEY: &str = "mcpsec-e2e-bootstrap-key-0123456789";

/// A running `mcpsec serve` process; killed on drop.
pub struct Server {
    pub child: Child,
    pub base: String,
}

impl Server {
    /// Starts `mcpsec serve --listen 127.0.0.1:0 <args>` with `data_dir` and
    /// extra environment (with [`TEST_BOOTSTRAP_KEY`] as the bootstrap key and
    /// rate limiting off, unless `env` says otherwise); waits for its
    /// "listening" line.
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
            .env("MCPSEC_AUTH__BOOTSTRAP_API_KEY", TEST_BOOTSTRAP_KEY)
            .env("MCPSEC_AUTH__RATE_LIMIT_PER_SECOND", "0")
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

/// A client that authenticates as the platform admin ([`TEST_BOOTSTRAP_KEY`]).
pub fn client() -> reqwest::Client {
    client_with_key(TEST_BOOTSTRAP_KEY)
}

/// A client that sends `Authorization: Bearer <key>` on every request.
pub fn client_with_key(key: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {key}").parse().unwrap(),
    );
    reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .default_headers(headers)
        .build()
        .unwrap()
}

/// A client without credentials.
pub fn anonymous_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

/// Runs `mcpsec <args>` against `data_dir` (as the CLI of the server there)
/// and returns its stdout; panics with stderr when it fails.
pub fn cli(data_dir: &Path, args: &[&str], env: &[(&str, &str)]) -> String {
    let mut cmd = Command::new(BIN);
    cmd.arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .current_dir(data_dir.parent().unwrap_or(data_dir))
        .env("RUST_LOG", "warn")
        .env_remove("MCPSEC_CONFIG");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run mcpsec");
    assert!(
        out.status.success(),
        "mcpsec {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
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

/// Creates an API key of `role` in `tenant` with the credentials of `c`;
/// returns its id and the key (shown once).
pub async fn create_key(
    c: &reqwest::Client,
    base: &str,
    tenant: &str,
    role: &str,
) -> (String, String) {
    let r = c
        .post(format!("{base}/api/v1/tenants/{tenant}/api-keys"))
        .json(&serde_json::json!({"name": format!("test {role}"), "role": role}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let v: serde_json::Value = r.json().await.unwrap();
    (
        v["id"].as_str().unwrap().to_string(),
        v["key"].as_str().unwrap().to_string(),
    )
}

/// Sends `r`; returns the status and the JSON body (`Null` when the body is
/// not JSON).
pub async fn send(r: reqwest::RequestBuilder) -> (u16, serde_json::Value) {
    let r = r.send().await.unwrap();
    let st = r.status().as_u16();
    (st, r.json().await.unwrap_or(serde_json::Value::Null))
}

/// `GET url`, asserting 200; returns the JSON body.
pub async fn get_json(c: &reqwest::Client, url: String) -> serde_json::Value {
    let r = c.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 200, "{url}");
    r.json().await.unwrap()
}

/// Asserts the answer of a route whose `{tenant}` does not exist: 404
/// `not_found` with the server's one message naming the tenant.
pub fn assert_no_such_tenant(status: u16, body: &serde_json::Value, tenant: &str) {
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error"]["code"], "not_found", "{body}");
    assert_eq!(
        body["error"]["message"],
        format!("tenant {tenant:?} does not exist"),
        "{body}"
    );
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
