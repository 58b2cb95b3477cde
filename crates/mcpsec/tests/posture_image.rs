//! End-to-end: `mcpsec posture scan` on container images built here as
//! `docker save` tarballs (and an OCI layout directory) with the tar crate.
//! A bad image (no USER, a private key, a secret in ENV, apt/dpkg, an extra
//! setuid binary, a remote ADD) gets the matching findings without any
//! secret value in the output; a file deleted by a later layer's whiteout is
//! not reported; a clean image passes every check.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_mcpsec");

const KEY_BODY: &str = "MIIEpAIBAAKCAQEAnotarealkeyjusttestbytes0123456789";
const ENV_SECRET: &str = "hunter2-not-real-9f8e7d";

fn tmp(name: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("posture-image-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// `(path, mode, content)` entries as a layer tar.
fn layer(entries: &[(&str, u32, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (p, mode, data) in entries {
        let mut h = tar::Header::new_gnu();
        h.set_mode(*mode);
        h.set_size(data.len() as u64);
        h.set_entry_type(tar::EntryType::Regular);
        b.append_data(&mut h, p, *data).unwrap();
    }
    b.into_inner().unwrap()
}

/// A `docker save` tarball with a config and the given layers.
fn docker_save(path: &Path, tag: &str, config: &Value, layers: &[Vec<u8>]) {
    let mut b = tar::Builder::new(Vec::new());
    let mut add = |name: &str, data: &[u8]| {
        let mut h = tar::Header::new_gnu();
        h.set_mode(0o644);
        h.set_size(data.len() as u64);
        h.set_entry_type(tar::EntryType::Regular);
        b.append_data(&mut h, name, data).unwrap();
    };
    let names: Vec<String> = (0..layers.len())
        .map(|i| format!("l{i}/layer.tar"))
        .collect();
    for (n, l) in names.iter().zip(layers) {
        add(n, l);
    }
    add("config.json", config.to_string().as_bytes());
    let manifest = json!([{"Config": "config.json", "RepoTags": [tag], "Layers": names}]);
    add("manifest.json", manifest.to_string().as_bytes());
    std::fs::write(path, b.into_inner().unwrap()).unwrap();
}

fn scan(args: &[&str]) -> (Output, Value) {
    let o = Command::new(BIN)
        .args(["posture", "scan", "--format", "json"])
        .args(args)
        .env("MCPSEC_LOG", "warn")
        .output()
        .expect("run mcpsec");
    let v = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: stdout {} stderr {}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    });
    (o, v)
}

fn bad_image(dir: &Path) -> PathBuf {
    let key =
        format!("-----BEGIN RSA PRIVATE KEY-----\n{KEY_BODY}\n-----END RSA PRIVATE KEY-----\n");
    let l1 = layer(&[
        ("usr/bin/apt-get", 0o755, b"ELF"),
        ("usr/bin/dpkg", 0o755, b"ELF"),
        ("usr/bin/passwd", 0o4755, b"ELF"),
        ("usr/local/bin/helper", 0o4755, b"ELF"),
        ("root/.ssh/id_rsa", 0o600, key.as_bytes()),
        ("app/.env", 0o644, b"DB_PASSWORD=deleted-later-secret\n"),
        ("root/.cache/pip/http/0/1/2/abc", 0o644, b"cached wheel"),
    ]);
    // The second layer deletes app/.env with a whiteout.
    let l2 = layer(&[("app/.wh..env", 0o644, b""), ("app/server", 0o755, b"ELF")]);
    let config = json!({
        "config": {"Env": ["PATH=/usr/bin", format!("DB_PASSWORD={ENV_SECRET}")], "Cmd": ["/app/server"]},
        "history": [
            {"created_by": "/bin/sh -c #(nop) ADD https://example.com/helper /usr/local/bin/helper"},
            {"created_by": "COPY server /app/server # buildkit"}
        ]
    });
    let p = dir.join("bad.tar");
    docker_save(&p, "bad:1", &config, &[l1, l2]);
    p
}

#[test]
fn bad_image_findings_without_secret_values() {
    let dir = tmp("bad");
    let img = bad_image(&dir);
    let (o, r) = scan(&[img.to_str().unwrap(), "--framework", "cis-docker"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(r["input_errors"].as_array().unwrap().is_empty(), "{r}");
    assert!(r["eval_errors"].as_array().unwrap().is_empty(), "{r}");
    let findings = r["findings"].as_array().unwrap();
    let ids: Vec<&str> = findings
        .iter()
        .map(|f| f["check_id"].as_str().unwrap())
        .collect();
    for want in [
        "IMG-001", "IMG-002", "IMG-003", "IMG-004", "IMG-007", "IMG-008", "IMG-009",
    ] {
        assert!(ids.contains(&want), "{want} missing in {ids:?}");
    }
    for f in findings {
        assert_eq!(f["resource"], "bad:1");
        assert_eq!(f["input"], "container-image");
    }
    let secrets: Vec<&str> = findings
        .iter()
        .filter(|f| f["check_id"] == "IMG-002")
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert_eq!(secrets.len(), 1, "{secrets:?}");
    assert!(secrets[0].contains("root/.ssh/id_rsa"), "{secrets:?}");
    // passwd is in the setuid baseline; the extra helper is not.
    let setuid: Vec<&str> = findings
        .iter()
        .filter(|f| f["check_id"] == "IMG-007")
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert_eq!(setuid.len(), 1, "{setuid:?}");
    assert!(setuid[0].contains("usr/local/bin/helper"));
    // No secret value anywhere in the report; the whited-out file is gone.
    for secret in [KEY_BODY, ENV_SECRET, "deleted-later-secret"] {
        assert!(!out.contains(secret), "{secret} leaked");
    }
    assert!(!out.contains("app/.env"));
    // CIS Docker section 4: 4.1 (user), 4.3 (packages), 4.8 (setuid) fail.
    let fw = &r["frameworks"][0];
    assert_eq!(fw["id"], "cis-docker");
    for c in fw["controls"].as_array().unwrap() {
        if ["4.1", "4.3", "4.8", "4.9", "4.10"].contains(&c["id"].as_str().unwrap()) {
            assert_eq!(c["status"], "fail", "{c}");
        }
    }

    // --fail-on high fails the run.
    let o = Command::new(BIN)
        .args(["posture", "scan", "--fail-on", "high"])
        .arg(&img)
        .env("MCPSEC_LOG", "warn")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let table = String::from_utf8_lossy(&o.stdout);
    assert!(!table.contains(KEY_BODY) && !table.contains(ENV_SECRET));
}

#[test]
fn clean_image_passes() {
    let dir = tmp("clean");
    let l1 = layer(&[
        ("app/server", 0o755, b"ELF"),
        ("usr/bin/passwd", 0o4755, b"ELF"),
        (
            "etc/ssl/certs/ca.pem",
            0o644,
            b"-----BEGIN CERTIFICATE-----\nx\n",
        ),
    ]);
    let config = json!({
        "config": {"User": "10001:10001", "Env": ["PATH=/usr/bin", "TOKEN_FILE=/run/secrets/token"], "Entrypoint": ["/app/server"]},
        "history": [{"created_by": "COPY server /app/server # buildkit"}]
    });
    let img = dir.join("clean.tar");
    docker_save(&img, "clean:1", &config, &[l1]);
    let (o, r) = scan(&["--fail-on", "low", img.to_str().unwrap()]);
    assert!(o.status.success(), "{r}");
    assert!(r["input_errors"].as_array().unwrap().is_empty(), "{r}");
    assert_eq!(r["findings"].as_array().unwrap().len(), 0, "{r}");
    let evaluated: u64 = r["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["input"] == "container-image")
        .map(|c| c["evaluated"].as_u64().unwrap())
        .sum();
    assert!(evaluated >= 8, "image checks did not run: {r}");
}

#[test]
fn broken_image_is_reported_and_scan_completes() {
    let dir = tmp("broken");
    // A tar without manifest.json or index.json.
    let img = dir.join("notimage.tar");
    std::fs::write(&img, layer(&[("hello.txt", 0o644, b"hi")])).unwrap();
    let dockerfile = dir.join("Dockerfile");
    std::fs::write(&dockerfile, "FROM alpine:3.20\nUSER 10001\n").unwrap();
    let (_o, r) = scan(&[img.to_str().unwrap(), dockerfile.to_str().unwrap()]);
    let errs = r["input_errors"].as_array().unwrap();
    assert_eq!(errs.len(), 1, "{r}");
    assert!(
        errs[0]["reason"]
            .as_str()
            .unwrap()
            .contains("not a container image")
    );
    assert_eq!(
        r["summary"]["resources"], 1,
        "the Dockerfile is still scanned: {r}"
    );
}
