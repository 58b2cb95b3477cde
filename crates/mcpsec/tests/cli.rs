//! The command line: configuration checking and errors.

mod common;

use std::process::Command;

#[test]
fn config_check_prints_effective_config_with_secrets_redacted() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(common::BIN)
        .args(["config", "check"])
        .current_dir(dir.path())
        .env("MCPSEC_STORE__BACKEND", "postgres")
        .env("MCPSEC_STORE__URL", "postgres://u:topsecret@db:5432/x")
        .env("MCPSEC_SERVER__LISTEN", "0.0.0.0:9090")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("0.0.0.0:9090"), "{text}");
    assert!(text.contains("backend = \"postgres\""), "{text}");
    assert!(!text.contains("topsecret"), "secret leaked: {text}");
}

#[test]
fn invalid_config_exits_nonzero_with_the_cause() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("mcpsec.toml"),
        "[server]\nlisten = \"127.0.0.1:1\"\nport = 3\n",
    )
    .unwrap();
    let out = Command::new(common::BIN)
        .args(["config", "check"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("port"), "{err}");

    let out = Command::new(common::BIN)
        .args(["--config", "/nonexistent/mcpsec.toml", "config", "check"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not exist"));
}

#[test]
fn unreachable_backend_fails_serve_with_the_cause() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(common::BIN)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .current_dir(dir.path())
        .env("MCPSEC_STORE__BACKEND", "postgres")
        .env("MCPSEC_STORE__URL", "postgres://u:pw@127.0.0.1:1/x")
        .env("MCPSEC_STORE__CONNECT_TIMEOUT_SECS", "2")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("PostgreSQL"), "{err}");
    assert!(!err.contains(":pw@"), "password leaked: {err}");
}

#[test]
fn schema_export_writes_the_checked_in_schemas() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(common::BIN)
        .args(["schema", "export"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    let repo_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/events");
    let mut n = 0;
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let entry = entry.unwrap();
        let fresh = std::fs::read_to_string(entry.path()).unwrap();
        let checked_in = std::fs::read_to_string(repo_dir.join(entry.file_name())).unwrap();
        assert_eq!(fresh, checked_in, "{:?} differs", entry.file_name());
        n += 1;
    }
    assert!(n >= 5);
}
