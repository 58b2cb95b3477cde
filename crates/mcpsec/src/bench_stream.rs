//! `mcpsec bench stream`: how fast a new alert reaches many WebSocket
//! subscribers of `/api/v1/stream`.
//!
//! Starts an all-role server with embedded backends, connects `--subscribers`
//! clients (each subscribes to the alerts of one tenant), then publishes
//! `--alerts` `alert.created` events one at a time through
//! `POST /api/v1/events`. The latency of one delivery is the time from just
//! before the POST (so it includes the durable publish) to the moment the
//! subscriber has read and decoded the event; the report gives percentiles
//! over every (alert, subscriber) pair and counts deliveries that never came.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use futures::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

#[derive(Debug, clap::Args)]
pub struct StreamBenchArgs {
    /// Concurrent WebSocket subscribers.
    #[arg(long, default_value_t = 1000)]
    pub subscribers: usize,
    /// Alerts published, one at a time.
    #[arg(long, default_value_t = 20)]
    pub alerts: usize,
    /// Pause between two alerts, in milliseconds.
    #[arg(long, default_value_t = 250)]
    pub interval_ms: u64,
}

const TENANT: &str = "bench";

pub async fn run(args: StreamBenchArgs) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let addr = crate::bench::start_server(dir.path(), mcpsec_server::WorkerConfig::default())?;
    let base = format!("http://{addr}");
    let key = crate::bench::BENCH_KEY;
    let client = reqwest::Client::builder()
        .default_headers(
            [(
                reqwest::header::AUTHORIZATION,
                format!("Bearer {key}").parse()?,
            )]
            .into_iter()
            .collect(),
        )
        .build()?;
    let r = client
        .post(format!("{base}/api/v1/tenants"))
        .json(&serde_json::json!({"id": TENANT}))
        .send()
        .await?;
    if !r.status().is_success() {
        bail!("creating tenant: {}", r.text().await?);
    }

    // Connect and subscribe every client (a few at a time), then let them
    // read in the background, reporting (alert number, arrival time).
    let (arrivals_tx, mut arrivals) = tokio::sync::mpsc::unbounded_channel::<(usize, Instant)>();
    let connect_limit = Arc::new(tokio::sync::Semaphore::new(64));
    let ws_url = format!("ws://{addr}/api/v1/stream");
    let started = Instant::now();
    let mut connecting = Vec::with_capacity(args.subscribers);
    for _ in 0..args.subscribers {
        let limit = connect_limit.clone();
        let url = ws_url.clone();
        connecting.push(tokio::spawn(async move {
            let _permit = limit.acquire_owned().await?;
            subscribe(&url, key).await
        }));
    }
    let mut readers = Vec::with_capacity(args.subscribers);
    for c in connecting {
        let ws = c.await??;
        let tx = arrivals_tx.clone();
        readers.push(tokio::spawn(read_alerts(ws, tx)));
    }
    drop(arrivals_tx);
    println!(
        "stream: {} subscribers connected and subscribed in {:.2} s",
        args.subscribers,
        started.elapsed().as_secs_f64()
    );

    let mut sent_at: HashMap<usize, Instant> = HashMap::new();
    for n in 0..args.alerts {
        let id = format!("bench-alert-{n}");
        let event = serde_json::json!([{
            "id": id, "type": "alert.created", "source": "bench", "tenant": TENANT,
            "data": {"alert_id": id, "rule_id": "bench", "title": "bench alert", "severity": "high"}
        }]);
        sent_at.insert(n, Instant::now());
        let r = client
            .post(format!("{base}/api/v1/events"))
            .json(&event)
            .send()
            .await?;
        if r.status().as_u16() != 202 {
            bail!("ingest answered {}: {}", r.status(), r.text().await?);
        }
        tokio::time::sleep(Duration::from_millis(args.interval_ms)).await;
    }

    let expected = args.subscribers * args.alerts;
    let mut lat = Vec::with_capacity(expected);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while lat.len() < expected {
        match tokio::time::timeout_at(deadline, arrivals.recv()).await {
            Ok(Some((n, at))) => {
                if let Some(t0) = sent_at.get(&n) {
                    lat.push(at.saturating_duration_since(*t0));
                }
            }
            Ok(None) | Err(_) => break,
        }
    }
    for r in readers {
        r.abort();
    }
    if lat.is_empty() {
        bail!("no subscriber received any alert");
    }
    lat.sort();
    let pct = |p: f64| lat[((lat.len() as f64 * p).ceil() as usize).clamp(1, lat.len()) - 1];
    println!(
        "stream: {} alerts × {} subscribers: {} deliveries, {} missing",
        args.alerts,
        args.subscribers,
        lat.len(),
        expected - lat.len()
    );
    println!(
        "  publish → subscriber: p50 {:?}  p95 {:?}  p99 {:?}  max {:?}",
        pct(0.50),
        pct(0.95),
        pct(0.99),
        lat.last().copied().unwrap_or_default()
    );
    Ok(())
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Connects with the bearer header and subscribes to the tenant's alerts;
/// returns once the server confirmed the subscription.
async fn subscribe(url: &str, key: &str) -> anyhow::Result<Ws> {
    let mut req = url.into_client_request()?;
    req.headers_mut()
        .insert("authorization", format!("Bearer {key}").parse()?);
    let (mut ws, _) = tokio_tungstenite::connect_async(req)
        .await
        .context("connecting to /api/v1/stream")?;
    ws.send(Message::Text(
        serde_json::json!({"type": "subscribe", "kinds": ["alerts"], "tenant": TENANT})
            .to_string()
            .into(),
    ))
    .await?;
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(60), ws.next())
            .await
            .context("no answer to subscribe within 60 s")?;
        match msg {
            Some(Ok(Message::Text(t))) => {
                let v: serde_json::Value = serde_json::from_str(&t)?;
                match v["type"].as_str() {
                    Some("subscribed") => return Ok(ws),
                    Some("error") => bail!("subscribe refused: {v}"),
                    _ => continue,
                }
            }
            Some(Ok(_)) => continue,
            Some(Err(e)) => return Err(e.into()),
            None => bail!("the server closed the stream"),
        }
    }
}

/// Reads events and reports each bench alert's arrival; the alert number is
/// taken from the text without a full JSON decode, so the client side costs
/// little CPU next to the server it measures.
async fn read_alerts(mut ws: Ws, tx: tokio::sync::mpsc::UnboundedSender<(usize, Instant)>) {
    const MARK: &str = "\"id\":\"bench-alert-";
    while let Some(Ok(msg)) = ws.next().await {
        let Message::Text(t) = msg else { continue };
        let at = Instant::now();
        let Some(i) = t.find(MARK) else { continue };
        let digits: String = t[i + MARK.len()..]
            .chars()
            .take_while(|c| c.is_ascii_digit())
            .collect();
        if let Ok(n) = digits.parse()
            && tx.send((n, at)).is_err()
        {
            return;
        }
    }
}
