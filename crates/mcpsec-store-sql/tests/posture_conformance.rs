//! The posture-store conformance suite on SQLite and PostgreSQL.

use mcpsec_core::Secret;
use mcpsec_core::store::Store;
use mcpsec_store_sql::{PostgresConfig, SqliteConfig};
use mcpsec_testkit::posture::run_posture_conformance;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_posture_conformance() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteConfig::in_data_dir(dir.path())
        .build()
        .await
        .expect("open SQLite store");
    assert_eq!(store.backend(), "sqlite");
    run_posture_conformance(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_posture_conformance() {
    let Some(url) =
        mcpsec_testkit::service_env("MCPSEC_TEST_POSTGRES_URL", "postgres_posture_conformance")
    else {
        return;
    };
    let store = PostgresConfig::new(Secret::new(url))
        .build()
        .await
        .expect("connect to PostgreSQL");
    assert_eq!(store.backend(), "postgres");
    run_posture_conformance(&store).await;
}
