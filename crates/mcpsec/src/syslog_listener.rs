//! Syslog listeners (`detection.syslog_udp`, `detection.syslog_tcp`): each
//! message is parsed (CEF or LEEF, bare or after a syslog header; else RFC
//! 5424, RFC 3164; `mcpsec_detect::cef::parse_line`) into a
//! `log.received` event for `detection.syslog_tenant` and published on the
//! bus in small batches (at most 500 messages or 200 ms), like the API does.
//! TCP carries one message per line (non-transparent framing, RFC 6587).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use chrono::Utc;
use mcpsec_core::TenantId;
use mcpsec_core::bus::{BusMessage, EventBus};
use mcpsec_core::event::{Event, LogReceived};
use std::sync::Arc;
use tokio::io::{AsyncBufReadExt, AsyncReadExt};
use tokio::sync::mpsc;

/// Longest message accepted (longer lines are cut).
const MAX_MESSAGE: usize = 64 * 1024;
const BATCH: usize = 500;

fn to_event(tenant: &TenantId, peer: SocketAddr, line: &str) -> Option<BusMessage> {
    let line = line.trim_end_matches(['\r', '\n', '\0']);
    if line.trim().is_empty() {
        return None;
    }
    let now = Utc::now();
    let m = mcpsec_detect::cef::parse_line(line, now);
    // `cef`, `leef`, or `syslog` for RFC 5424/3164 and raw lines.
    let format = match m.format {
        f @ ("cef" | "leef") => f,
        _ => "syslog",
    };
    let mut e = Event::new(
        tenant.clone(),
        &format!("syslog://{}", peer.ip()),
        m.hostname.clone(),
        &LogReceived {
            format: format.into(),
            host: m.hostname.clone(),
            record: m.record,
            raw: Some(line.to_string()),
        },
    );
    if let Some(t) = m.timestamp {
        e.time = t;
    }
    let payload = serde_json::to_vec(&e).ok()?;
    Some(BusMessage {
        topic: e.event_type.topic(),
        key: e.bus_key(),
        headers: BTreeMap::from([
            ("mcpsec-event-type".into(), e.event_type.as_str().into()),
            ("mcpsec-schema-version".into(), e.schema_version.to_string()),
            ("mcpsec-tenant".into(), e.tenant.to_string()),
        ]),
        payload: payload.into(),
    })
}

/// Publishes what the listeners send, batching.
async fn publisher(bus: Arc<dyn EventBus>, mut rx: mpsc::Receiver<BusMessage>) {
    let mut batch = Vec::with_capacity(BATCH);
    loop {
        let first = match rx.recv().await {
            Some(m) => m,
            None => return,
        };
        batch.push(first);
        let deadline = tokio::time::sleep(Duration::from_millis(200));
        tokio::pin!(deadline);
        while batch.len() < BATCH {
            tokio::select! {
                m = rx.recv() => match m { Some(m) => batch.push(m), None => break },
                _ = &mut deadline => break,
            }
        }
        let n = batch.len();
        let mut backoff = Duration::from_millis(100);
        loop {
            match bus.publish(batch.clone()).await {
                Ok(()) => break,
                Err(e) => {
                    tracing::warn!(error = %e, messages = n, "publishing syslog messages failed; retrying");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                }
            }
        }
        metrics::counter!("mcpsec_syslog_messages_total").increment(n as u64);
        batch.clear();
    }
}

/// Starts the configured listeners; returns the bound addresses (UDP, TCP).
pub async fn start(
    bus: Arc<dyn EventBus>,
    tenant: TenantId,
    udp: Option<SocketAddr>,
    tcp: Option<SocketAddr>,
) -> anyhow::Result<(Option<SocketAddr>, Option<SocketAddr>)> {
    let (tx, rx) = mpsc::channel::<BusMessage>(10_000);
    tokio::spawn(publisher(bus, rx));
    let mut bound = (None, None);
    if let Some(addr) = udp {
        let sock = tokio::net::UdpSocket::bind(addr)
            .await
            .with_context(|| format!("binding syslog UDP {addr}"))?;
        bound.0 = Some(sock.local_addr()?);
        let (tx, tenant) = (tx.clone(), tenant.clone());
        tokio::spawn(async move {
            let mut buf = vec![0u8; MAX_MESSAGE];
            loop {
                let (n, peer) = match sock.recv_from(&mut buf).await {
                    Ok(r) => r,
                    Err(e) => {
                        tracing::warn!(error = %e, "syslog UDP receive failed");
                        continue;
                    }
                };
                let text = String::from_utf8_lossy(&buf[..n]);
                if let Some(m) = to_event(&tenant, peer, &text)
                    && tx.send(m).await.is_err()
                {
                    return;
                }
            }
        });
    }
    if let Some(addr) = tcp {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("binding syslog TCP {addr}"))?;
        bound.1 = Some(listener.local_addr()?);
        tokio::spawn(async move {
            loop {
                let (stream, peer) = match listener.accept().await {
                    Ok(r) => r,
                    Err(e) => {
                        tracing::warn!(error = %e, "syslog TCP accept failed");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                };
                let (tx, tenant) = (tx.clone(), tenant.clone());
                tokio::spawn(async move {
                    let mut reader = tokio::io::BufReader::new(stream);
                    let mut line = Vec::new();
                    loop {
                        line.clear();
                        match (&mut reader)
                            .take(MAX_MESSAGE as u64)
                            .read_until(b'\n', &mut line)
                            .await
                        {
                            Ok(0) => return,
                            Ok(_) => {
                                let text = String::from_utf8_lossy(&line);
                                if let Some(m) = to_event(&tenant, peer, &text)
                                    && tx.send(m).await.is_err()
                                {
                                    return;
                                }
                            }
                            Err(e) => {
                                tracing::debug!(%peer, error = %e, "syslog TCP connection closed");
                                return;
                            }
                        }
                    }
                });
            }
        });
    }
    Ok(bound)
}
