//! Configuration values from Vault KV v2: `mcpsec serve` resolves a
//! `vault-kv:<path>#<field>` reference (here the bootstrap key) at start
//! through the Vault HTTP API with token auth, against a fake Vault run in
//! the test (a real Vault is not installable in this environment); a wrong
//! token or a missing field stops the start with an error that names the
//! reference and never the value.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use common::*;

const VALUE: &str = "bootstrap-key-from-vault-kv-0123456789";

/// A fake KV v2 engine: `secret/data/mcpsec` with one field.
async fn kv(
    State(seen): State<Arc<Mutex<Vec<String>>>>,
    Path(path): Path<String>,
    headers: HeaderMap,
) -> (StatusCode, String) {
    seen.lock().unwrap().push(path.clone());
    if headers.get("x-vault-token").map(|v| v.as_bytes()) != Some(b"s.e2e-token") {
        return (
            StatusCode::FORBIDDEN,
            r#"{"errors":["permission denied"]}"#.into(),
        );
    }
    if path != "secret/data/mcpsec" {
        return (StatusCode::NOT_FOUND, r#"{"errors":[]}"#.into());
    }
    (
        StatusCode::OK,
        format!(r#"{{"data":{{"data":{{"bootstrap":"{VALUE}"}},"metadata":{{"version":1}}}}}}"#),
    )
}

/// Starts `mcpsec serve` with `config`; `Ok(base url)` or `Err(stderr)`.
fn serve(
    config: &std::path::Path,
    data: &std::path::Path,
    token: &str,
) -> Result<(std::process::Child, String), String> {
    let mut child = Command::new(BIN)
        .arg("--config")
        .arg(config)
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data)
        .env("RUST_LOG", "info")
        .env("VAULT_TOKEN", token)
        .env_remove("MCPSEC_CONFIG")
        .env_remove("MCPSEC_AUTH__BOOTSTRAP_API_KEY")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(rest) = line.strip_prefix("mcpsec listening on ") {
                let _ = tx.send(
                    rest.split_whitespace()
                        .next()
                        .unwrap_or_default()
                        .to_string(),
                );
            }
        }
    });
    let log = Arc::new(Mutex::new(String::new()));
    let l = log.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            l.lock().unwrap().push_str(&(line + "\n"));
        }
    });
    match rx.recv_timeout(std::time::Duration::from_secs(60)) {
        Ok(base) => {
            // Give the log a moment, then hand back what it said so far.
            std::thread::sleep(std::time::Duration::from_millis(300));
            let text = log.lock().unwrap().clone();
            assert!(!text.contains(VALUE), "the value was logged: {text}");
            Ok((child, base))
        }
        Err(_) => {
            let _ = child.wait();
            std::thread::sleep(std::time::Duration::from_millis(300));
            Err(log.lock().unwrap().clone())
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn config_values_are_read_from_vault_kv_at_start() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let app = Router::new()
        .route("/v1/{*path}", get(kv))
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let vault = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("mcpsec.toml");
    let write = |reference: &str| {
        std::fs::write(
            &config,
            format!(
                "[auth]\nbootstrap_api_key = \"{reference}\"\n\n[secrets.vault_kv]\naddress = \"{vault}\"\n"
            ),
        )
        .unwrap();
    };
    write("vault-kv:secret/data/mcpsec#bootstrap");

    // `config check` shows the reference, not a value.
    let out = Command::new(BIN)
        .arg("--config")
        .arg(&config)
        .args(["config", "check"])
        .env_remove("MCPSEC_CONFIG")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains(VALUE));

    let (mut child, base) = serve(&config, &dir.path().join("d1"), "s.e2e-token")
        .unwrap_or_else(|log| panic!("did not start: {log}"));
    let ok = client_with_key(VALUE)
        .get(format!("{base}/api/v1/auth/whoami"))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200, "the key from Vault is the bootstrap key");
    // The reference itself is not a credential.
    let r = client_with_key("vault-kv:secret/data/mcpsec#bootstrap")
        .get(format!("{base}/api/v1/auth/whoami"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        seen.lock()
            .unwrap()
            .iter()
            .any(|p| p == "secret/data/mcpsec")
    );

    // A wrong token: no start, Vault's answer in the error.
    let log = serve(&config, &dir.path().join("d2"), "s.wrong").unwrap_err();
    assert!(
        log.contains("auth.bootstrap_api_key") && log.contains("403"),
        "{log}"
    );
    // A missing field: named, with the reference.
    write("vault-kv:secret/data/mcpsec#nope");
    let log = serve(&config, &dir.path().join("d3"), "s.e2e-token").unwrap_err();
    assert!(log.contains("nope") && !log.contains(VALUE), "{log}");
}
