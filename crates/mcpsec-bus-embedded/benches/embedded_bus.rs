//! Publish + consume throughput of the embedded bus with fsync on: batches of
//! 1,000 events with ~200-byte payloads, each batch published (one fsync per
//! touched partition), polled back by a consumer-group member and committed.
//!
//! `cargo bench -p mcpsec-bus-embedded --bench embedded_bus`

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mcpsec_bus_embedded::{EmbeddedBus, EmbeddedBusConfig};
use mcpsec_core::bus::{BusConsumer, BusMessage, EventBus};

const BATCH: usize = 1000;
const PAYLOAD: usize = 200;

fn batch(topic: &str, round: u64) -> Vec<BusMessage> {
    (0..BATCH)
        .map(|i| {
            let mut headers = BTreeMap::new();
            headers.insert("schema".to_string(), "v1".to_string());
            let mut payload = format!("{{\"round\":{round},\"i\":{i},\"data\":\"").into_bytes();
            payload.resize(PAYLOAD - 2, b'x');
            payload.extend_from_slice(b"\"}");
            BusMessage {
                topic: topic.to_string(),
                key: format!("tenant-{}/asset-{}", i % 7, i % 64),
                headers,
                payload: Bytes::from(payload),
            }
        })
        .collect()
}

async fn consume(c: &mut dyn BusConsumer, n: usize) {
    let mut got = 0;
    while got < n {
        let d = c
            .poll(4 * BATCH, Duration::from_secs(10))
            .await
            .expect("poll");
        assert!(!d.is_empty(), "consumer starved");
        got += d.len();
        c.commit(&d).await.expect("commit");
        black_box(&d);
    }
}

async fn open(dir: &std::path::Path) -> EmbeddedBus {
    EmbeddedBusConfig::new(dir).build().await.expect("open")
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let tmp = tempfile::tempdir().expect("tempdir");
    let bus = rt.block_on(open(tmp.path()));
    let topic = "bench-events".to_string();
    rt.block_on(bus.ensure_topics(std::slice::from_ref(&topic)))
        .expect("topic");

    let mut g = c.benchmark_group("embedded_bus_fsync");
    g.throughput(Throughput::Elements(BATCH as u64));
    g.sample_size(20);
    g.measurement_time(Duration::from_secs(10));

    // One publisher, one consumer, strictly alternating: publish a batch,
    // poll it back, commit it.
    let mut consumer = rt
        .block_on(bus.subscribe("bench-seq", std::slice::from_ref(&topic)))
        .expect("subscribe");
    let mut round = 0u64;
    g.bench_function("publish_consume_commit_1000", |b| {
        b.iter_custom(|iters| {
            let msgs: Vec<_> = (0..iters).map(|i| batch(&topic, round + i)).collect();
            round += iters;
            rt.block_on(async {
                let start = Instant::now();
                for m in msgs {
                    bus.publish(m).await.expect("publish");
                    consume(&mut *consumer, BATCH).await;
                }
                start.elapsed()
            })
        })
    });
    drop(consumer);

    // Four concurrent publishers (sharing fsyncs through group commit) and
    // one consumer running at the same time; an element is one event
    // published and consumed.
    const PUBLISHERS: u64 = 4;
    let mut consumer = rt
        .block_on(bus.subscribe("bench-conc", std::slice::from_ref(&topic)))
        .expect("subscribe");
    // Skip what the first benchmark left in the topic.
    rt.block_on(async {
        loop {
            let d = consumer
                .poll(100_000, Duration::from_millis(200))
                .await
                .expect("poll");
            if d.is_empty() {
                break;
            }
            consumer.commit(&d).await.expect("commit");
        }
    });
    g.throughput(Throughput::Elements(BATCH as u64 * PUBLISHERS));
    g.bench_function("4_concurrent_publishers_1000_each", |b| {
        b.iter_custom(|iters| {
            let msgs: Vec<Vec<_>> = (0..PUBLISHERS)
                .map(|_| {
                    (0..iters)
                        .map(|i| {
                            round += 1;
                            batch(&topic, round + i)
                        })
                        .collect()
                })
                .collect();
            rt.block_on(async {
                let start = Instant::now();
                let mut tasks = Vec::new();
                for batches in msgs {
                    let bus = bus.clone();
                    tasks.push(tokio::spawn(async move {
                        for m in batches {
                            bus.publish(m).await.expect("publish");
                        }
                    }));
                }
                consume(&mut *consumer, BATCH * PUBLISHERS as usize * iters as usize).await;
                for t in tasks {
                    t.await.expect("publisher");
                }
                start.elapsed()
            })
        })
    });
    g.finish();
    drop(consumer);
}

criterion_group!(benches, bench);
criterion_main!(benches);
