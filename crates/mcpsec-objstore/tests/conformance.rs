//! The shared object store conformance suite against a local directory
//! (always) and S3 (when `MCPSEC_TEST_S3_ENDPOINT` is set).

use mcpsec_core::Secret;
use mcpsec_core::objstore::{ArtifactStore, ObjectStoreError};
use mcpsec_objstore::{ObjectStoreConfig, S3Config};
use mcpsec_testkit::objstore::{key, run_objstore_conformance};

#[tokio::test]
async fn local_conformance() {
    let dir = tempfile::tempdir().unwrap();
    let config = ObjectStoreConfig::Local {
        dir: dir.path().join("objects"),
    };
    let store = config.build().await.expect("local store");
    assert_eq!(store.backend(), "local");
    run_objstore_conformance(&store).await;
    // Objects live under tenants/<tenant>/ on disk.
    assert!(dir.path().join("objects/tenants").is_dir());
}

/// The S3 settings from the environment, or `None` (with a SKIPPED line).
fn s3_config(test: &str) -> Option<S3Config> {
    let endpoint = mcpsec_testkit::service_env("MCPSEC_TEST_S3_ENDPOINT", test)?;
    let var = |name: &str| {
        std::env::var(name)
            .unwrap_or_else(|_| panic!("{name} must be set with MCPSEC_TEST_S3_ENDPOINT"))
    };
    let mut config = S3Config::new(
        var("MCPSEC_TEST_S3_BUCKET"),
        var("MCPSEC_TEST_S3_ACCESS_KEY"),
        Secret::new(var("MCPSEC_TEST_S3_SECRET_KEY")),
    );
    config.allow_http = endpoint.starts_with("http://");
    config.endpoint = Some(endpoint);
    Some(config)
}

#[tokio::test]
async fn s3_conformance() {
    let Some(config) = s3_config("s3_conformance") else {
        return;
    };
    let store = ObjectStoreConfig::S3(config)
        .build()
        .await
        .expect("S3 store");
    assert_eq!(store.backend(), "s3");
    run_objstore_conformance(&store).await;
}

#[tokio::test]
async fn s3_wrong_secret_key_is_refused() {
    let Some(mut config) = s3_config("s3_wrong_secret_key_is_refused") else {
        return;
    };
    config.secret_access_key = Secret::new("definitely-not-the-secret-key");
    let store = ObjectStoreConfig::S3(config)
        .build()
        .await
        .expect("building does not contact S3");
    let tenant = mcpsec_testkit::unique_tenant("os-auth");
    let put = store
        .put(&tenant, &key("x"), bytes::Bytes::from_static(b"x"))
        .await;
    let err = put.expect_err("a wrong secret key must be refused");
    let msg = err.to_string();
    assert!(matches!(err, ObjectStoreError::Unavailable(_)), "{msg}");
    assert!(!msg.contains("definitely-not-the-secret-key"), "{msg}");
    assert!(
        store.ping().await.is_err(),
        "ping with a wrong key must fail"
    );
    assert!(
        store.get(&tenant, &key("x")).await.is_err(),
        "get with a wrong key must fail, not be None"
    );
    eprintln!("wrong secret key: {msg}");
}

#[tokio::test]
async fn s3_unreachable_is_unavailable() {
    let mut config = S3Config::new("b", "AK", Secret::new("SK"));
    config.endpoint = Some("http://127.0.0.1:1".into());
    config.allow_http = true;
    let store = ObjectStoreConfig::S3(config).build().await.unwrap();
    let started = std::time::Instant::now();
    let err = store.ping().await.expect_err("nothing listens on port 1");
    assert!(matches!(err, ObjectStoreError::Unavailable(_)), "{err}");
    assert!(
        started.elapsed().as_secs() < 60,
        "gave up after {:?}",
        started.elapsed()
    );
    eprintln!("unreachable: {err} (after {:?})", started.elapsed());
}

#[tokio::test]
async fn local_unusable_dir_is_unavailable() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"x").unwrap();
    let err = ObjectStoreConfig::Local {
        dir: file.join("objects"),
    }
    .build()
    .await
    .expect_err("parent is a file");
    assert!(matches!(err, ObjectStoreError::Unavailable(_)), "{err}");
}
