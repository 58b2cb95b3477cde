//! The event-pipeline worker: consumes every event topic in one consumer
//! group, records each event in the store (idempotent by `(tenant, id)`), then
//! commits its offsets. Delivery is at-least-once, the store effect exactly
//! once: a worker that dies before committing leaves its batch to another
//! member of the group, which records it again as a no-op.
//!
//! A message that is not a valid event is moved to the `mcpsec.deadletter`
//! topic with the reason in its headers, never silently dropped.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use mcpsec_core::bus::{BusConsumer, BusMessage, Delivery};
use mcpsec_core::event::{Event, EventType};
use mcpsec_core::store::StoreError;

use tracing::Instrument;

use crate::Backends;

/// The topic that receives messages the worker cannot decode.
pub const DEADLETTER_TOPIC: &str = "mcpsec.deadletter";

/// Worker settings.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Consumer group shared by all workers of a deployment.
    pub group: String,
    /// Most messages handled per poll.
    pub batch_size: usize,
    pub poll_timeout: Duration,
    /// How often consumer lag is published as a metric.
    pub lag_interval: Duration,
    /// Group members (consumers) this process runs; they split the
    /// partitions, so recording batches overlaps.
    pub consumers: usize,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            group: "mcpsec-workers".into(),
            batch_size: 1000,
            poll_timeout: Duration::from_millis(500),
            lag_interval: Duration::from_secs(5),
            consumers: 2,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    #[error(transparent)]
    Bus(#[from] mcpsec_core::bus::BusError),
}

/// One worker process's consumer loop.
pub struct EventWorker {
    backends: Backends,
    config: WorkerConfig,
    handlers: Vec<Arc<dyn EventHandler>>,
}

/// Why a handler failed.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    /// A dependency is down: the whole batch is retried (handlers must be
    /// idempotent) and not committed until it succeeds.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// The handler could not process these events; logged and counted, the
    /// pipeline moves on.
    #[error("{0}")]
    Failed(String),
}

/// A capability's consumer of bus events, run by the worker after each batch
/// is recorded in the store and before its offsets are committed.
///
/// Handlers see every delivery, including redeliveries after a crash, so they
/// must be idempotent (e.g. derive alert ids from rule and event ids).
/// Capabilities implement this in the binary's wiring, so the server crate
/// never depends on a capability crate.
#[async_trait::async_trait]
pub trait EventHandler: Send + Sync + 'static {
    /// Short name for logs and metrics.
    fn name(&self) -> &'static str;
    /// Whether this handler wants events of this type.
    fn handles(&self, event_type: EventType) -> bool;
    /// Processes a batch (only events of the types it handles).
    async fn handle(&self, backends: &Backends, events: &[Event]) -> Result<(), HandlerError>;
}

impl EventWorker {
    pub fn new(backends: Backends, config: WorkerConfig) -> EventWorker {
        EventWorker {
            backends,
            config,
            handlers: Vec::new(),
        }
    }

    /// Adds a capability's event handler.
    pub fn with_handler(mut self, handler: Arc<dyn EventHandler>) -> EventWorker {
        self.handlers.push(handler);
        self
    }

    /// Runs until `shutdown` resolves; each member finishes the batch in hand
    /// first.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> Result<(), WorkerError> {
        let mut topics = EventType::all_topics();
        self.backends.bus.ensure_topics(&topics).await?;
        topics.sort();
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let this = Arc::new(self);
        let mut members = tokio::task::JoinSet::new();
        for member in 0..this.config.consumers.max(1) {
            let consumer = this
                .backends
                .bus
                .subscribe(&this.config.group, &topics)
                .await?;
            let this = this.clone();
            let mut stop = stop_rx.clone();
            members.spawn(async move {
                this.consume(member, consumer, async move {
                    let _ = stop.wait_for(|s| *s).await;
                })
                .await
            });
        }
        tracing::info!(group = %this.config.group, topics = topics.len(), members = this.config.consumers, "worker started");
        tokio::select! {
            _ = shutdown => {}
            // A member only returns early on a bug; stop the others too.
            Some(r) = members.join_next() => {
                tracing::error!(result = ?r.map(|_| ()), "a worker member stopped unexpectedly");
            }
        }
        let _ = stop_tx.send(true);
        while members.join_next().await.is_some() {}
        tracing::info!("worker stopped");
        Ok(())
    }

    /// One group member's loop.
    async fn consume(
        &self,
        member: usize,
        mut consumer: Box<dyn BusConsumer>,
        stop: impl Future<Output = ()>,
    ) {
        tokio::pin!(stop);
        let mut last_lag = Instant::now();
        loop {
            let polled = tokio::select! {
                _ = &mut stop => break,
                r = consumer.poll(self.config.batch_size, self.config.poll_timeout) => r,
            };
            let deliveries = match polled {
                Ok(d) => d,
                Err(e) => {
                    tracing::warn!(member, error = %e, "poll failed; retrying");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    continue;
                }
            };
            if !deliveries.is_empty() {
                self.handle_batch(consumer.as_mut(), &deliveries).await;
            }
            if last_lag.elapsed() >= self.config.lag_interval {
                last_lag = Instant::now();
                if let Ok(Some(lag)) = consumer.lag().await {
                    metrics::gauge!("mcpsec_worker_consumer_lag", "group" => self.config.group.clone(), "member" => member.to_string())
                        .set(lag as f64);
                }
            }
        }
    }

    /// Records a batch, retrying while the store is unavailable, then commits.
    async fn handle_batch(&self, consumer: &mut dyn BusConsumer, deliveries: &[Delivery]) {
        let span = tracing::info_span!("handle_batch", messages = deliveries.len());
        crate::trace::continue_from_bus(&span, &deliveries[0].headers);
        self.record_and_commit(consumer, deliveries)
            .instrument(span)
            .await
    }

    async fn record_and_commit(&self, consumer: &mut dyn BusConsumer, deliveries: &[Delivery]) {
        let mut events = Vec::with_capacity(deliveries.len());
        let mut decoded = Vec::with_capacity(deliveries.len());
        let mut dead = Vec::new();
        for d in deliveries {
            match serde_json::from_slice::<Event>(&d.payload) {
                Ok(e) => {
                    events.push(e);
                    decoded.push(d);
                }
                Err(err) => {
                    tracing::warn!(topic = %d.topic, partition = d.partition, offset = d.offset, error = %err, "undecodable message moved to dead-letter topic");
                    dead.push(deadletter(d, &err.to_string()));
                }
            }
        }
        let mut backoff = Duration::from_millis(100);
        let mut rejected_attempts = 0;
        loop {
            match self.try_record(&events, &dead).await {
                Ok(new) => {
                    let mut per_type: BTreeMap<&'static str, u64> = BTreeMap::new();
                    for e in &events {
                        *per_type.entry(e.event_type.as_str()).or_default() += 1;
                    }
                    for (t, n) in per_type {
                        metrics::counter!("mcpsec_worker_events_processed_total", "type" => t)
                            .increment(n);
                    }
                    metrics::counter!("mcpsec_worker_events_duplicate_total")
                        .increment(events.len() as u64 - new);
                    metrics::counter!("mcpsec_worker_deadletter_total")
                        .increment(dead.len() as u64);
                    break;
                }
                Err(Failure::Rejected(e)) if rejected_attempts + 1 >= MAX_REJECTED_ATTEMPTS => {
                    // The store keeps refusing this batch: park it on the
                    // dead-letter topic with the reason rather than block the
                    // partition forever.
                    tracing::error!(error = %e, events = events.len(), "store rejects the batch; moving it to the dead-letter topic");
                    dead.extend(decoded.drain(..).map(|d| deadletter(d, &e)));
                    events.clear();
                }
                Err(failure) => {
                    let e = match failure {
                        Failure::Rejected(e) => {
                            rejected_attempts += 1;
                            e
                        }
                        Failure::Unavailable(e) => e,
                    };
                    tracing::warn!(error = %e, backoff_ms = backoff.as_millis() as u64, "recording batch failed; retrying before commit");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                }
            }
        }
        if let Err(e) = consumer.commit(deliveries).await {
            // Not fatal: the batch will be redelivered and recorded again as a no-op.
            tracing::warn!(error = %e, "commit failed; the batch may be redelivered");
        }
    }

    async fn try_record(&self, events: &[Event], dead: &[BusMessage]) -> Result<u64, Failure> {
        if !dead.is_empty() {
            self.backends
                .bus
                .ensure_topics(&[DEADLETTER_TOPIC.to_string()])
                .await
                .map_err(|e| Failure::Unavailable(e.to_string()))?;
            self.backends
                .bus
                .publish(dead.to_vec())
                .await
                .map_err(|e| Failure::Unavailable(e.to_string()))?;
        }
        if events.is_empty() {
            return Ok(0);
        }
        let new = self
            .backends
            .store
            .record_events(events)
            .await
            .map_err(|e| match e {
                StoreError::Unavailable(m) => Failure::Unavailable(m),
                other => Failure::Rejected(other.to_string()),
            })?;
        for h in &self.handlers {
            let mine: Vec<Event> = events
                .iter()
                .filter(|e| h.handles(e.event_type))
                .cloned()
                .collect();
            if mine.is_empty() {
                continue;
            }
            match h.handle(&self.backends, &mine).await {
                Ok(()) => {}
                Err(HandlerError::Unavailable(m)) => {
                    return Err(Failure::Unavailable(format!("handler {}: {m}", h.name())));
                }
                Err(HandlerError::Failed(m)) => {
                    tracing::error!(handler = h.name(), error = %m, events = mine.len(), "handler failed; continuing");
                    metrics::counter!("mcpsec_worker_handler_errors_total", "handler" => h.name())
                        .increment(1);
                }
            }
        }
        Ok(new)
    }
}

/// How often a batch the store rejects (not merely unavailable) is retried
/// before it is moved to the dead-letter topic.
const MAX_REJECTED_ATTEMPTS: u32 = 5;

enum Failure {
    /// A dependency is down: retry until it is back; nothing is lost.
    Unavailable(String),
    /// The store refused the data.
    Rejected(String),
}

fn deadletter(d: &Delivery, error: &str) -> BusMessage {
    let mut headers = d.headers.clone();
    headers.insert("mcpsec-error".into(), error.to_string());
    headers.insert(
        "mcpsec-origin".into(),
        format!("{}/{}/{}", d.topic, d.partition, d.offset),
    );
    BusMessage {
        topic: DEADLETTER_TOPIC.into(),
        key: d.key.clone(),
        headers,
        payload: d.payload.clone(),
    }
}
