//! The MCP-inventory-store conformance suite on SQLite and PostgreSQL.

use mcpsec_core::Secret;
use mcpsec_core::store::Store;
use mcpsec_store_sql::{PostgresConfig, SqliteConfig};
use mcpsec_testkit::mcp::run_mcp_conformance;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_mcp_conformance() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteConfig::in_data_dir(dir.path())
        .build()
        .await
        .expect("open SQLite store");
    assert_eq!(store.backend(), "sqlite");
    run_mcp_conformance(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_mcp_conformance() {
    let Some(url) =
        mcpsec_testkit::service_env("MCPSEC_TEST_POSTGRES_URL", "postgres_mcp_conformance")
    else {
        return;
    };
    let store = PostgresConfig::new(Secret::new(url))
        .build()
        .await
        .expect("connect to PostgreSQL");
    assert_eq!(store.backend(), "postgres");
    run_mcp_conformance(&store).await;
}
