//! Secrets at rest end to end: `mcpsec admin generate-key`, `encrypt-secret`
//! and `rotate-key`; the server decrypts an encrypted configuration value
//! (the bootstrap key) at start, before and after a key rotation that
//! retires the old key.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};

use common::*;

fn mcpsec(
    config: &Path,
    args: &[&str],
    stdin: &str,
    env: &[(&str, &str)],
) -> (bool, String, String) {
    let mut cmd = Command::new(BIN);
    cmd.arg("--config")
        .arg(config)
        .args(args)
        .env("RUST_LOG", "warn")
        .env_remove("MCPSEC_CONFIG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// `mcpsec serve` with only the config file (no bootstrap key from the
/// environment, unlike [`Server::start`]).
fn serve(config: &Path, data: &Path, env: &[(&str, &str)]) -> Server {
    let mut cmd = Command::new(BIN);
    cmd.arg("--config")
        .arg(config)
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data)
        .env("RUST_LOG", "warn")
        .env_remove("MCPSEC_CONFIG")
        .env_remove("MCPSEC_AUTH__BOOTSTRAP_API_KEY")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    // Keep reading stdout (the server must not hit a closed pipe).
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
    let base = rx.recv_timeout(std::time::Duration::from_secs(60)).ok();
    let Some(base) = base else {
        let _ = child.kill();
        panic!("mcpsec serve did not start: {:?}", child.wait());
    };
    Server { child, base }
}

#[tokio::test(flavor = "multi_thread")]
async fn encrypted_config_values_decrypt_at_start_and_survive_rotation() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.toml");
    std::fs::write(&empty, "").unwrap();
    let (ok, key1, err) = mcpsec(&empty, &["admin", "generate-key"], "", &[]);
    assert!(ok, "{err}");
    let key1 = key1.trim().to_string();
    assert_eq!(key1.len(), 44, "base64 of 32 bytes: {key1}");
    let key_file = dir.path().join("kek-1");
    std::fs::write(&key_file, &key1).unwrap();

    let plain_key = "an-encrypted-bootstrap-key-0123456789";
    let secrets_1 = format!(
        "[secrets]\nactive_key = \"k1\"\nkeys.k1 = {{ file = \"{}\" }}\n",
        key_file.display()
    );
    let config = dir.path().join("mcpsec.toml");
    std::fs::write(&config, &secrets_1).unwrap();
    let (ok, envelope, err) = mcpsec(
        &config,
        &[
            "admin",
            "encrypt-secret",
            "--context",
            "auth.bootstrap_api_key",
        ],
        &format!("{plain_key}\n"),
        &[],
    );
    assert!(ok, "{err}");
    let envelope = envelope.trim().to_string();
    assert!(envelope.starts_with("mcpsec:enc:v1:k1:"), "{envelope}");
    assert!(!envelope.contains(plain_key));

    // The server gets the envelope as its bootstrap key and decrypts it.
    let write_config = |secrets: &str, envelope: &str| {
        std::fs::write(
            &config,
            format!(
                "# managed by the test\n[auth]\nbootstrap_api_key = \"{envelope}\"\n\n{secrets}"
            ),
        )
        .unwrap();
    };
    write_config(&secrets_1, &envelope);
    let start = |data: &str, env: &[(&str, &str)]| serve(&config, &dir.path().join(data), env);
    let whoami = |s: &Server, key: &str| {
        let (c, url) = (client_with_key(key), s.url("/api/v1/auth/whoami"));
        async move { c.get(url).send().await.unwrap().status().as_u16() }
    };
    {
        let s = start("data1", &[]);
        assert_eq!(whoami(&s, plain_key).await, 200);
        assert_eq!(
            whoami(&s, &envelope).await,
            401,
            "the envelope itself is no key"
        );
    }

    // Rotation: a second key (from a variable) becomes active; rotate-key
    // re-wraps the file's envelope; the first key is then retired.
    let (_, key2, _) = mcpsec(&empty, &["admin", "generate-key"], "", &[]);
    let key2 = key2.trim().to_string();
    let env2 = [("MCPSEC_TEST_KEK_2", key2.as_str())];
    let secrets_both = format!(
        "[secrets]\nactive_key = \"k2\"\nkeys.k1 = {{ file = \"{}\" }}\nkeys.k2 = {{ env = \"MCPSEC_TEST_KEK_2\" }}\n",
        key_file.display()
    );
    write_config(&secrets_both, &envelope);
    let (ok, out, err) = mcpsec(
        &config,
        &["admin", "rotate-key", "--file", config.to_str().unwrap()],
        "",
        &env2,
    );
    assert!(ok, "{err}");
    assert!(out.contains("1 of 1"), "{out}");
    let rotated = std::fs::read_to_string(&config).unwrap();
    assert!(
        rotated.starts_with("# managed by the test\n"),
        "comments kept"
    );
    assert!(rotated.contains("mcpsec:enc:v1:k2:") && !rotated.contains("mcpsec:enc:v1:k1:"));
    // Running it again changes nothing.
    let (ok, out, _) = mcpsec(
        &config,
        &["admin", "rotate-key", "--file", config.to_str().unwrap()],
        "",
        &env2,
    );
    assert!(ok && out.contains("0 of 1"), "{out}");

    // Retire k1.
    let with_k1 = rotated.clone();
    let retired = with_k1.replace(
        &format!("keys.k1 = {{ file = \"{}\" }}\n", key_file.display()),
        "",
    );
    assert_ne!(retired, with_k1);
    std::fs::write(&config, &retired).unwrap();
    {
        let s = start("data2", &env2);
        assert_eq!(whoami(&s, plain_key).await, 200);
    }

    // Without the key the server refuses to start, naming the value.
    std::fs::write(
        &config,
        retired
            .replace("active_key = \"k2\"\n", "")
            .replace("keys.k2 = { env = \"MCPSEC_TEST_KEK_2\" }\n", ""),
    )
    .unwrap();
    let (ok, _, err) = mcpsec(
        &config,
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
            dir.path().join("data3").to_str().unwrap(),
        ],
        "",
        &[],
    );
    assert!(!ok);
    assert!(err.contains("auth.bootstrap_api_key"), "{err}");
}
