//! `mcpsec bench …`: throughput and latency measurements of the service on
//! this machine, with embedded backends in a temporary directory. Results and
//! how to reproduce them are recorded in `docs/benchmarks.md`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Subcommand;
use mcpsec_server::{ApiLimits, EventWorker, WorkerConfig};

use crate::config::{Config, Overrides};

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// POST /api/v1/events in batches and wait until the worker has stored every event.
    Ingest {
        #[arg(long, default_value_t = 200_000)]
        events: usize,
        #[arg(long, default_value_t = 1000)]
        batch: usize,
        /// Concurrent HTTP clients.
        #[arg(long, default_value_t = 4)]
        concurrency: usize,
        /// Worker batch size (messages per poll; the shipped `worker.batch_size`).
        #[arg(long, default_value_t = 5000)]
        worker_batch: usize,
        /// Consumer-group members in the worker.
        #[arg(long, default_value_t = 2)]
        consumers: usize,
        /// How the benchmark sees that every event is stored: `metrics`
        /// reads the worker's processed counter from `/metrics` (then checks
        /// the stored count once); `count` asks for the stored count every
        /// 20 ms, a full scan of the events table each time that competes
        /// with the writer for the CPU.
        #[arg(long, value_enum, default_value_t = DonePoll::Metrics)]
        poll: DonePoll,
    },
    /// Publish + consume throughput of an event-bus backend.
    Bus(crate::bench_bus::BusBenchArgs),
    /// How fast a new alert reaches many WebSocket subscribers of /api/v1/stream.
    Stream(crate::bench_stream::StreamBenchArgs),
    /// Authenticated GET of a finding by id at a fixed request rate, and the
    /// cost of API-key verification (cached and uncached).
    ApiGet(crate::bench_api::ApiGetArgs),
    /// GET /healthz at a fixed request rate and report latency percentiles.
    Healthz {
        #[arg(long, default_value_t = 1000)]
        rate: u64,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
    },
}

/// How `bench ingest` waits for the worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DonePoll {
    Metrics,
    Count,
}

/// Starts an all-role server with embedded backends in `dir` on its own
/// runtime thread; returns its address.
pub(crate) fn start_server(
    dir: &std::path::Path,
    worker: WorkerConfig,
) -> anyhow::Result<std::net::SocketAddr> {
    let overrides = Overrides {
        data_dir: Some(dir.to_path_buf()),
        log_format: None,
    };
    let cfg = Config::load(Some(&empty_config(dir)?), &overrides)?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let started = async {
                let b = crate::backends::build(&cfg).await?;
                let worker = EventWorker::new(b.clone(), worker);
                tokio::spawn(worker.run(std::future::pending()));
                let limits = ApiLimits {
                    auth: mcpsec_server::auth::AuthSettings {
                        bootstrap_api_key: Some(mcpsec_core::Secret::new(BENCH_KEY)),
                        rate_limit_per_second: 0,
                        ..Default::default()
                    },
                    ..ApiLimits::default()
                };
                let app = mcpsec_server::router(b, limits);
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
                anyhow::Ok((listener, app))
            }
            .await;
            match started {
                Ok((listener, app)) => {
                    let _ = tx.send(listener.local_addr().map_err(anyhow::Error::from));
                    let _ = axum::serve(listener, app).await;
                }
                Err(e) => {
                    let _ = tx.send(Err(e));
                }
            }
        });
    });
    rx.recv().context("server thread died")?
}

/// The bootstrap key of the throwaway benchmark server (platform admin;
/// rate limiting off so it does not shape the measurement).
pub(crate) const BENCH_KEY: &str = "mcpsec-bench-bootstrap-key-not-secret";

fn empty_config(dir: &std::path::Path) -> anyhow::Result<std::path::PathBuf> {
    let p = dir.join("bench.toml");
    std::fs::write(&p, "")?;
    Ok(p)
}

pub async fn run(cmd: BenchCommand) -> anyhow::Result<()> {
    let cmd = match cmd {
        BenchCommand::Bus(args) => return crate::bench_bus::run(args).await,
        BenchCommand::Stream(args) => return crate::bench_stream::run(args).await,
        BenchCommand::ApiGet(args) => return crate::bench_api::run(args).await,
        other => other,
    };
    let dir = tempfile::tempdir()?;
    let worker = match &cmd {
        BenchCommand::Ingest {
            worker_batch,
            consumers,
            ..
        } => WorkerConfig {
            batch_size: *worker_batch,
            consumers: *consumers,
            ..WorkerConfig::default()
        },
        BenchCommand::Healthz { .. }
        | BenchCommand::Bus(_)
        | BenchCommand::ApiGet(_)
        | BenchCommand::Stream(_) => WorkerConfig::default(),
    };
    let addr = start_server(dir.path(), worker)?;
    let base = format!("http://{addr}");
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {BENCH_KEY}").parse()?,
    );
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .default_headers(headers)
        .build()?;
    match cmd {
        BenchCommand::Ingest {
            events,
            batch,
            concurrency,
            poll,
            ..
        } => ingest(&client, &base, events, batch, concurrency, poll).await,
        BenchCommand::Healthz { rate, seconds } => healthz(&client, &base, rate, seconds).await,
        BenchCommand::Bus(_) | BenchCommand::ApiGet(_) | BenchCommand::Stream(_) => {
            unreachable!("handled above")
        }
    }
}

async fn ingest(
    client: &reqwest::Client,
    base: &str,
    events: usize,
    batch: usize,
    concurrency: usize,
    poll: DonePoll,
) -> anyhow::Result<()> {
    let tenant = "bench";
    let r = client
        .post(format!("{base}/api/v1/tenants"))
        .json(&serde_json::json!({"id": tenant}))
        .send()
        .await?;
    if !r.status().is_success() {
        bail!("creating tenant: {}", r.text().await?);
    }
    // Pre-render the request bodies so the client does not dominate the measurement.
    let mut bodies = Vec::new();
    let mut n = 0;
    while n < events {
        let size = batch.min(events - n);
        let items: Vec<serde_json::Value> = (n..n + size)
            .map(|i| {
                serde_json::json!({
                    "id": format!("ev-{i:09}"), "type": "log.received", "source": "bench", "tenant": tenant,
                    "subject": format!("host-{}", i % 64),
                    "data": {"format": "json", "host": format!("host-{}", i % 64),
                             "record": {"EventID": 4688, "CommandLine": "cmd.exe /c whoami", "User": "alice"}}
                })
            })
            .collect();
        bodies.push(serde_json::to_vec(&serde_json::json!({ "events": items }))?);
        n += size;
    }
    let bodies = Arc::new(tokio::sync::Mutex::new(bodies));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency.max(1) {
        let bodies = bodies.clone();
        let client = client.clone();
        let url = format!("{base}/api/v1/events");
        tasks.push(tokio::spawn(async move {
            loop {
                let Some(body) = bodies.lock().await.pop() else {
                    return anyhow::Ok(());
                };
                let r = client
                    .post(&url)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await?;
                if r.status().as_u16() != 202 {
                    bail!("ingest answered {}: {}", r.status(), r.text().await?);
                }
            }
        }));
    }
    for t in tasks {
        t.await??;
    }
    let published = start.elapsed();
    let deadline = Instant::now() + Duration::from_secs(600);
    if poll == DonePoll::Metrics {
        // The worker counts an event as processed once its batch is
        // committed in the store.
        loop {
            let text = client
                .get(format!("{base}/metrics"))
                .send()
                .await?
                .text()
                .await?;
            if processed(&text) >= events as u64 {
                break;
            }
            if Instant::now() > deadline {
                bail!(
                    "worker processed {} of {events} events in 10 minutes",
                    processed(&text)
                );
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    loop {
        let v: serde_json::Value = client
            .get(format!("{base}/api/v1/tenants/{tenant}/events/count"))
            .send()
            .await?
            .json()
            .await?;
        if v["count"].as_u64() == Some(events as u64) {
            break;
        }
        if Instant::now() > deadline {
            bail!(
                "worker stored {} of {events} events in 10 minutes",
                v["count"]
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let stored = start.elapsed();
    println!("ingest: {events} events in batches of {batch}, {concurrency} clients");
    println!(
        "  published durably: {:>8.2} s  {:>10.0} events/s",
        published.as_secs_f64(),
        events as f64 / published.as_secs_f64()
    );
    println!(
        "  stored end to end: {:>8.2} s  {:>10.0} events/s",
        stored.as_secs_f64(),
        events as f64 / stored.as_secs_f64()
    );
    Ok(())
}

/// The sum of `mcpsec_worker_events_processed_total` over event types.
fn processed(metrics: &str) -> u64 {
    metrics
        .lines()
        .filter(|l| l.starts_with("mcpsec_worker_events_processed_total"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64
}

async fn healthz(
    client: &reqwest::Client,
    base: &str,
    rate: u64,
    seconds: u64,
) -> anyhow::Result<()> {
    let url = format!("{base}/healthz");
    // Warm the connection pool.
    for _ in 0..100 {
        client.get(&url).send().await?.error_for_status()?;
    }
    let total = rate * seconds;
    let interval = Duration::from_nanos(1_000_000_000 / rate.max(1));
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut handles = Vec::with_capacity(total as usize);
    let start = Instant::now();
    for _ in 0..total {
        ticker.tick().await;
        let client = client.clone();
        let url = url.clone();
        handles.push(tokio::spawn(async move {
            let t = Instant::now();
            let r = client.get(&url).send().await?;
            let ok = r.status().is_success();
            r.bytes().await?;
            anyhow::Ok((t.elapsed(), ok))
        }));
    }
    let mut lat = Vec::with_capacity(handles.len());
    let mut failures = 0;
    for h in handles {
        let (d, ok) = h.await??;
        if !ok {
            failures += 1;
        }
        lat.push(d);
    }
    let wall = start.elapsed();
    lat.sort();
    let pct = |p: f64| lat[((lat.len() as f64 * p).ceil() as usize).clamp(1, lat.len()) - 1];
    println!(
        "healthz: {total} requests at {rate}/s over {:.1} s, {failures} failures",
        wall.as_secs_f64()
    );
    println!(
        "  p50 {:?}  p95 {:?}  p99 {:?}  max {:?}",
        pct(0.50),
        pct(0.95),
        pct(0.99),
        lat.last().copied().unwrap_or_default()
    );
    Ok(())
}
