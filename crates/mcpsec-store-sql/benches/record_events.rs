//! `Store::record_events` on the embedded SQLite store: the write path of
//! event ingest (`POST /api/v1/events` → bus → worker → store).
//!
//! `cargo bench -p mcpsec-store-sql --bench record_events`

use std::time::Duration;

use chrono::Utc;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use mcpsec_core::TenantId;
use mcpsec_core::event::{Event, EventType};
use mcpsec_core::store::Store;
use mcpsec_store_sql::SqliteConfig;
use serde_json::json;

const BATCH: usize = 1000;

fn batch(tenant: &TenantId, start: u64) -> Vec<Event> {
    (start..start + BATCH as u64)
        .map(|i| Event {
            id: uuid::Uuid::now_v7().to_string(),
            event_type: EventType::LogReceived,
            source: "mcpsec://bench".to_string(),
            tenant: tenant.clone(),
            time: Utc::now(),
            schema_version: 1,
            subject: Some(format!("host:web-{}", i % 50)),
            data: json!({
                "format": "json",
                "host": format!("web-{}", i % 50),
                "record": {"EventID": 4688, "Image": "C:\\Windows\\System32\\cmd.exe", "seq": i},
                "raw": null
            }),
        })
        .collect()
}

fn record_events(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let store = rt
        .block_on(SqliteConfig::in_data_dir(dir.path()).build())
        .expect("sqlite store");
    let tenant = TenantId::new("bench").expect("tenant id");
    let mut group = c.benchmark_group("sqlite_record_events");
    group.throughput(Throughput::Elements(BATCH as u64));
    group.measurement_time(Duration::from_secs(8));
    let mut next = 0u64;
    group.bench_function(BenchmarkId::from_parameter(BATCH), |b| {
        b.iter_batched(
            || {
                next += BATCH as u64;
                batch(&tenant, next)
            },
            |events| {
                let n = rt.block_on(store.record_events(&events)).expect("record");
                assert_eq!(n, BATCH as u64);
            },
            criterion::BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group!(benches, record_events);
criterion_main!(benches);
