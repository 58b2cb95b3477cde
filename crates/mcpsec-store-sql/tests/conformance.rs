//! The shared store conformance suite against SQLite (always) and PostgreSQL
//! (when `MCPSEC_TEST_POSTGRES_URL` is set), plus SQLite file behaviour.

use mcpsec_core::Secret;
use mcpsec_core::domain::Tenant;
use mcpsec_core::store::{Store, StoreError};
use mcpsec_store_sql::{PostgresConfig, SqliteConfig};
use mcpsec_testkit::detection::run_detection_conformance;
use mcpsec_testkit::mcp::run_mcp_conformance;
use mcpsec_testkit::posture::run_posture_conformance;
use mcpsec_testkit::store::run_store_conformance;
use mcpsec_testkit::vulndb::run_vulndb_conformance;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_conformance() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteConfig::in_data_dir(dir.path())
        .build()
        .await
        .expect("open SQLite store");
    assert_eq!(store.backend(), "sqlite");
    run_store_conformance(&store).await;
    mcpsec_testkit::auth::run_auth_conformance(&store).await;
    run_detection_conformance(&store).await;
    run_vulndb_conformance(&store).await;
    run_posture_conformance(&store).await;
    run_mcp_conformance(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_conformance() {
    let Some(url) = mcpsec_testkit::service_env("MCPSEC_TEST_POSTGRES_URL", "postgres_conformance")
    else {
        return;
    };
    let store = PostgresConfig::new(Secret::new(url))
        .build()
        .await
        .expect("connect to PostgreSQL");
    assert_eq!(store.backend(), "postgres");
    run_store_conformance(&store).await;
    mcpsec_testkit::auth::run_auth_conformance(&store).await;
    run_detection_conformance(&store).await;
    run_vulndb_conformance(&store).await;
    run_posture_conformance(&store).await;
    run_mcp_conformance(&store).await;
}

/// Two stores built at once on one fresh database both migrate it safely,
/// and building again is a no-op.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_concurrent_build_and_remigrate() {
    let Some(url) = mcpsec_testkit::service_env(
        "MCPSEC_TEST_POSTGRES_URL",
        "postgres_concurrent_build_and_remigrate",
    ) else {
        return;
    };
    let config = PostgresConfig::new(Secret::new(url));
    let (a, b) = tokio::join!(config.build(), config.build());
    let (a, b) = (a.expect("first build"), b.expect("second build"));
    let count = |pool| async move {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM _sqlx_migrations")
            .fetch_one(pool)
            .await
            .unwrap()
    };
    let before = count(a.pool()).await;
    assert!(before >= 1);
    let c = config.build().await.expect("third build");
    assert_eq!(
        count(c.pool()).await,
        before,
        "re-running migrations must be a no-op"
    );
    b.ping().await.unwrap();
}

/// The wrong password is refused with `Unavailable`, and the message does not
/// contain the password.
#[tokio::test]
async fn postgres_wrong_password_is_unavailable() {
    let Some(url) = mcpsec_testkit::service_env(
        "MCPSEC_TEST_POSTGRES_URL",
        "postgres_wrong_password_is_unavailable",
    ) else {
        return;
    };
    let Some((head, tail)) = url.split_once('@') else {
        panic!("MCPSEC_TEST_POSTGRES_URL must have user:password@");
    };
    let user = head.rsplit_once(':').map(|(u, _)| u).unwrap_or(head);
    let wrong = format!("{user}:not-the-password-xyzzy@{tail}");
    let mut config = PostgresConfig::new(Secret::new(wrong));
    config.connect_timeout_secs = 2;
    let err = match config.build().await {
        Ok(_) => panic!("a wrong password must be refused"),
        Err(e) => e,
    };
    let msg = err.to_string();
    assert!(matches!(err, StoreError::Unavailable(_)), "{msg}");
    assert!(!msg.contains("not-the-password-xyzzy"), "{msg}");
    eprintln!("wrong password: {msg}");
}

async fn migrations(pool: &sqlx::SqlitePool) -> Vec<(i64, Vec<u8>, bool)> {
    sqlx::query_as("SELECT version, checksum, success FROM _sqlx_migrations ORDER BY version")
        .fetch_all(pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn sqlite_reopen_keeps_data_and_remigrating_is_a_noop() {
    let dir = tempfile::tempdir().unwrap();
    let config = SqliteConfig {
        path: dir.path().join("nested/dir/store.db"),
        max_connections: 2,
    };
    let tenant = Tenant {
        id: mcpsec_testkit::unique_tenant("reopen"),
        name: "Reopen".into(),
        created_at: mcpsec_testkit::store::t(0),
    };

    let store = config.build().await.expect("create");
    store.create_tenant(&tenant).await.unwrap();
    let event = mcpsec_testkit::store::event(&tenant.id, "e1");
    assert_eq!(
        store
            .record_events(std::slice::from_ref(&event))
            .await
            .unwrap(),
        1
    );
    let applied = migrations(store.pool()).await;
    assert!(!applied.is_empty());
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    store.close().await;
    drop(store);

    let store = config.build().await.expect("reopen");
    assert_eq!(
        store.get_tenant(&tenant.id).await.unwrap(),
        Some(tenant.clone())
    );
    assert_eq!(
        store.get_event(&tenant.id, "e1").await.unwrap(),
        Some(event.clone())
    );
    assert_eq!(
        store.record_events(&[event]).await.unwrap(),
        0,
        "still idempotent after reopening"
    );
    assert_eq!(
        migrations(store.pool()).await,
        applied,
        "re-running migrations must be a no-op"
    );
}

#[tokio::test]
async fn sqlite_corrupt_body_is_internal_error_naming_table_and_id() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteConfig::in_data_dir(dir.path()).build().await.unwrap();
    let tenant = mcpsec_testkit::unique_tenant("corrupt");
    sqlx::query(
        "INSERT INTO assets (tenant_id, id, body) VALUES ($1, 'broken-asset', '{\"id\": 7')",
    )
    .bind(tenant.as_str())
    .execute(store.pool())
    .await
    .unwrap();
    for result in [
        store.get_asset(&tenant, "broken-asset").await.map(drop),
        store
            .list_assets(&tenant, &Default::default())
            .await
            .map(drop),
    ] {
        match result {
            Err(StoreError::Internal(msg)) => {
                assert!(
                    msg.contains("assets") && msg.contains("broken-asset"),
                    "{msg}"
                )
            }
            other => panic!("expected Internal, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn sqlite_unopenable_path_is_unavailable() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"not a directory").unwrap();
    // The parent "directory" is a regular file.
    let config = SqliteConfig {
        path: file.join("store.db"),
        max_connections: 1,
    };
    match config.build().await {
        Err(StoreError::Unavailable(msg)) => assert!(msg.contains("a-file"), "{msg}"),
        Err(other) => panic!("expected Unavailable, got {other}"),
        Ok(_) => panic!("expected an error"),
    }
}

#[test]
fn sqlite_config_rejects_unknown_fields() {
    let c: SqliteConfig = serde_json::from_str(r#"{"path": "/var/lib/mcpsec/mcpsec.db"}"#).unwrap();
    assert_eq!(c.max_connections, 4);
    let c: SqliteConfig = serde_json::from_str("{}").unwrap();
    assert_eq!(c, SqliteConfig::default());
    assert_eq!(
        c.path,
        std::path::Path::new("mcpsec.db"),
        "relative to the data directory by default"
    );
    let err = serde_json::from_str::<SqliteConfig>(r#"{"path": "x", "wal": true}"#).unwrap_err();
    assert!(err.to_string().contains("unknown field"), "{err}");
}
