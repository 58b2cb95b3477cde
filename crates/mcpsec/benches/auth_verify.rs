//! API-key verification cost (`Authenticator::authenticate`): cached (the
//! default: a map lookup and a constant-time comparison of the secret's
//! SHA-256), uncached (cache TTL zero: a store lookup and role resolution on
//! every call, SQLite) and the bootstrap key. Target (issue 8): the cached
//! path adds < 50 µs per request. Results in docs/benchmarks.md.
//!
//! Lives in the binary crate because it needs a real store backend, which
//! `mcpsec-server` does not depend on. Run:
//! `cargo bench -j2 -p mcpsec --bench auth_verify`.

use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use mcpsec_core::TenantId;
use mcpsec_core::auth::KeyKind;
use mcpsec_core::domain::Tenant;
use mcpsec_core::store::Store;
use mcpsec_server::auth::{AuthSettings, Authenticator};
use mcpsec_store_sql::SqliteConfig;

const BOOTSTRAP: &str = "mcpsec-bench-bootstrap-key-not-secret";

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (store, token) = rt.block_on(async {
        let store: Arc<dyn Store> =
            Arc::new(SqliteConfig::in_data_dir(dir.path()).build().await.unwrap());
        let tenant = TenantId::new("bench").unwrap();
        store
            .create_tenant(&Tenant {
                id: tenant.clone(),
                name: "bench".into(),
                created_at: chrono::Utc::now(),
            })
            .await
            .unwrap();
        let (record, token) = mcpsec_server::auth::new_key(
            Some(tenant),
            "viewer",
            "bench",
            KeyKind::ApiKey,
            None,
            None,
        );
        store.create_api_key(&record).await.unwrap();
        (store, token)
    });
    let settings = |ttl: Duration| AuthSettings {
        cache_ttl: ttl,
        bootstrap_api_key: Some(mcpsec_core::Secret::new(BOOTSTRAP)),
        ..Default::default()
    };
    let cached = Authenticator::new(store.clone(), settings(Duration::from_secs(3600)));
    let uncached = Authenticator::new(store.clone(), settings(Duration::ZERO));
    rt.block_on(cached.authenticate(&token)).unwrap();

    let mut g = c.benchmark_group("api_key_verification");
    g.bench_function("cached", |b| {
        b.to_async(&rt)
            .iter(|| async { cached.authenticate(&token).await.unwrap() })
    });
    g.bench_function("bootstrap_key", |b| {
        b.to_async(&rt)
            .iter(|| async { cached.authenticate(BOOTSTRAP).await.unwrap() })
    });
    g.bench_function("uncached_sqlite", |b| {
        b.to_async(&rt)
            .iter(|| async { uncached.authenticate(&token).await.unwrap() })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
