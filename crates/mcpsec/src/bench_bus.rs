//! `mcpsec bench bus`: publish + consume throughput of an event-bus backend
//! through the `EventBus` trait, the way the platform uses it (batches
//! published durably, consumed and committed by one group member).

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::bail;
use mcpsec_bus_embedded::EmbeddedBusConfig;
use mcpsec_bus_kafka::KafkaBusConfig;
use mcpsec_core::bus::{BusMessage, EventBus};

#[derive(Debug, clap::Args)]
pub struct BusBenchArgs {
    /// `embedded` (in a temporary directory) or `kafka`.
    #[arg(long, default_value = "embedded")]
    backend: String,
    /// Kafka bootstrap servers (for `--backend kafka`).
    #[arg(long)]
    brokers: Option<String>,
    #[arg(long, default_value_t = 200_000)]
    messages: usize,
    #[arg(long, default_value_t = 1000)]
    batch: usize,
    #[arg(long, default_value_t = 200)]
    payload_bytes: usize,
    /// Kafka only: use librdkafka's default producer settings (acks=all
    /// is still librdkafka's default, but no idempotence, default linger and
    /// partitioner), the peer figure for our tuned defaults.
    #[arg(long)]
    rdkafka_defaults: bool,
}

pub async fn run(args: BusBenchArgs) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let bus: Arc<dyn EventBus> = match args.backend.as_str() {
        "embedded" => Arc::new(
            EmbeddedBusConfig::new(dir.path().join("bus"))
                .build()
                .await?,
        ),
        "kafka" => {
            let Some(brokers) = &args.brokers else {
                bail!("--brokers is required for kafka")
            };
            let mut cfg = KafkaBusConfig::new(brokers.clone());
            if args.rdkafka_defaults {
                for (k, v) in [
                    ("enable.idempotence", "false"),
                    ("linger.ms", "5"),
                    ("partitioner", "consistent_random"),
                ] {
                    cfg.extra.insert(k.into(), v.into());
                }
            }
            Arc::new(cfg.build().await?)
        }
        other => bail!("unknown backend {other:?}; expected embedded or kafka"),
    };
    let topic = format!("bench-{}", uuid::Uuid::new_v4().simple());
    bus.ensure_topics(std::slice::from_ref(&topic)).await?;
    let mut consumer = bus
        .subscribe(&format!("g-{topic}"), std::slice::from_ref(&topic))
        .await?;
    let payload: bytes::Bytes = vec![b'x'; args.payload_bytes].into();
    let total = args.messages;
    let start = Instant::now();
    let consume = tokio::spawn(async move {
        let mut got = 0usize;
        let deadline = Instant::now() + Duration::from_secs(600);
        while got < total {
            let d = consumer.poll(5000, Duration::from_millis(200)).await?;
            got += d.len();
            consumer.commit(&d).await?;
            if Instant::now() > deadline {
                bail!("consumed {got} of {total} in 10 minutes");
            }
        }
        anyhow::Ok(Instant::now())
    });
    let mut sent = 0;
    while sent < total {
        let n = args.batch.min(total - sent);
        let batch = (sent..sent + n)
            .map(|i| BusMessage {
                topic: topic.clone(),
                key: format!("k{}", i % 64),
                headers: Default::default(),
                payload: payload.clone(),
            })
            .collect();
        bus.publish(batch).await?;
        sent += n;
    }
    let published = start.elapsed();
    let consumed = consume.await??.duration_since(start);
    println!(
        "bus {}{}: {total} messages of {} bytes in batches of {}",
        args.backend,
        if args.rdkafka_defaults {
            " (rdkafka defaults)"
        } else {
            ""
        },
        args.payload_bytes,
        args.batch
    );
    println!(
        "  published durably: {:>8.2} s  {:>10.0} msg/s",
        published.as_secs_f64(),
        total as f64 / published.as_secs_f64()
    );
    println!(
        "  consumed+committed:{:>8.2} s  {:>10.0} msg/s",
        consumed.as_secs_f64(),
        total as f64 / consumed.as_secs_f64()
    );
    Ok(())
}
