//! `mcpsec bench api-get`: authenticated `GET /api/v1/tenants/{t}/findings/{id}`
//! at a fixed request rate (open loop: requests are sent on schedule whether
//! or not earlier ones have answered, so a slow server shows up as latency,
//! not as a lower rate), with a tenant-scoped API key, against an all-role
//! server with embedded backends in a temporary directory. Then the cost of
//! API-key verification itself, cached and uncached, measured in process.
//! Results are recorded in `docs/benchmarks.md`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::Utc;
use clap::Args;
use mcpsec_core::TenantId;
use mcpsec_core::auth::KeyKind;
use mcpsec_core::domain::{Finding, FindingStatus, Severity, Tenant};
use mcpsec_core::store::Store;
use mcpsec_server::ApiLimits;
use mcpsec_server::auth::{AuthSettings, Authenticator};

use crate::config::{Config, Overrides};

#[derive(Debug, Args)]
pub struct ApiGetArgs {
    /// Requests per second.
    #[arg(long, default_value_t = 2000)]
    pub rate: u64,
    /// Duration of the measured run.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Findings seeded in the tenant (requests cycle through them).
    #[arg(long, default_value_t = 1000)]
    pub findings: usize,
    /// Calls of the in-process API-key verification measurement.
    #[arg(long, default_value_t = 200_000)]
    pub verify_calls: u32,
}

const TENANT: &str = "bench";

/// Seeds the tenant, its findings and a viewer API key; returns the key.
async fn seed(store: &dyn Store, findings: usize) -> anyhow::Result<String> {
    let tenant = TenantId::new(TENANT)?;
    store
        .create_tenant(&Tenant {
            id: tenant.clone(),
            name: "bench".into(),
            created_at: Utc::now(),
        })
        .await?;
    let now = Utc::now();
    for i in 0..findings {
        store
            .upsert_finding(&Finding {
                tenant: tenant.clone(),
                id: finding_id(i),
                asset_id: format!("asset-{}", i % 50),
                component_id: None,
                rule_id: format!("GHSA-bench-{i:05}"),
                title: format!("bench finding {i}"),
                severity: Severity::High,
                status: FindingStatus::Open,
                status_reason: None,
                first_seen: now,
                last_seen: now,
                updated_at: now,
                kev: false,
                epss: None,
                fixed_versions: Vec::new(),
                risk_score: None,
            })
            .await?;
    }
    let (record, token) =
        mcpsec_server::auth::new_key(Some(tenant), "viewer", "bench", KeyKind::ApiKey, None, None);
    store.create_api_key(&record).await?;
    Ok(token)
}

fn finding_id(i: usize) -> String {
    format!("finding-{i:06}")
}

/// Starts the server on its own runtime thread; returns its address, the
/// store and the tenant key.
fn start(
    dir: &std::path::Path,
    findings: usize,
) -> anyhow::Result<(std::net::SocketAddr, Arc<dyn Store>, String)> {
    let overrides = Overrides {
        data_dir: Some(dir.to_path_buf()),
        log_format: None,
    };
    let cfg_path = dir.join("bench.toml");
    std::fs::write(&cfg_path, "")?;
    let cfg = Config::load(Some(&cfg_path), &overrides)?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let started = async {
                let b = crate::backends::build(&cfg).await?;
                let key = seed(b.store.as_ref(), findings).await?;
                let limits = ApiLimits {
                    auth: AuthSettings {
                        rate_limit_per_second: 0,
                        ..Default::default()
                    },
                    ..ApiLimits::default()
                };
                let store = b.store.clone();
                let app = mcpsec_server::router(b, limits);
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
                anyhow::Ok((listener, app, store, key))
            }
            .await;
            match started {
                Ok((listener, app, store, key)) => {
                    let addr = listener.local_addr().map_err(anyhow::Error::from);
                    let _ = tx.send(addr.map(|a| (a, store, key)));
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

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

pub async fn run(args: ApiGetArgs) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let (addr, store, key) = start(dir.path(), args.findings.max(1))?;
    let base = format!("http://{addr}/api/v1/tenants/{TENANT}/findings");
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {key}").parse()?,
    );
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .default_headers(headers)
        .build()?;
    // Warm-up: connections, the key cache, SQLite's page cache.
    for i in 0..args.findings.min(500) {
        let r = client
            .get(format!("{base}/{}", finding_id(i)))
            .send()
            .await?;
        if !r.status().is_success() {
            bail!("warm-up GET answered {}: {}", r.status(), r.text().await?);
        }
    }
    let total = args.rate * args.seconds;
    let mut ticker = tokio::time::interval(Duration::from_nanos(1_000_000_000 / args.rate.max(1)));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut handles = Vec::with_capacity(total as usize);
    let start = Instant::now();
    for n in 0..total {
        ticker.tick().await;
        let client = client.clone();
        let url = format!("{base}/{}", finding_id(n as usize % args.findings.max(1)));
        handles.push(tokio::spawn(async move {
            let t = Instant::now();
            let r = client.get(&url).send().await?;
            let ok = r.status().is_success();
            r.bytes().await?;
            anyhow::Ok((t.elapsed(), ok))
        }));
    }
    let sent = start.elapsed();
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
    println!(
        "api-get: {total} authenticated GET /api/v1/tenants/{{t}}/findings/{{id}} at {}/s \
         (tenant viewer API key, {} findings), {failures} failures",
        args.rate, args.findings
    );
    println!(
        "  offered {:.0}/s over {:.1} s (all answered after {:.1} s)",
        total as f64 / sent.as_secs_f64(),
        sent.as_secs_f64(),
        wall.as_secs_f64()
    );
    println!(
        "  p50 {:?}  p95 {:?}  p99 {:?}  max {:?}",
        percentile(&lat, 0.50),
        percentile(&lat, 0.95),
        percentile(&lat, 0.99),
        lat.last().copied().unwrap_or_default()
    );

    // API-key verification in process: cached (the default) and uncached
    // (cache TTL zero: every call reads the key record from the store).
    for (label, ttl, calls) in [
        (
            "cached",
            AuthSettings::default().cache_ttl,
            args.verify_calls.max(1),
        ),
        ("uncached", Duration::ZERO, (args.verify_calls / 20).max(1)),
    ] {
        let auth = Authenticator::new(
            store.clone(),
            AuthSettings {
                cache_ttl: ttl,
                ..Default::default()
            },
        );
        auth.authenticate(&key)
            .await
            .map_err(|e| anyhow::anyhow!("verifying the bench key: {}", e.message))?;
        let mut each = Vec::with_capacity(calls as usize);
        let t = Instant::now();
        for _ in 0..calls {
            let c = Instant::now();
            let p = auth
                .authenticate(&key)
                .await
                .map_err(|e| anyhow::anyhow!("verifying the bench key: {}", e.message))?;
            each.push(c.elapsed());
            std::hint::black_box(p);
        }
        let mean = t.elapsed() / calls;
        each.sort();
        println!(
            "  API-key verification, {label}: mean {:?}  p50 {:?}  p99 {:?}  ({calls} calls)",
            mean,
            percentile(&each, 0.50),
            percentile(&each, 0.99)
        );
    }
    Ok(())
}
