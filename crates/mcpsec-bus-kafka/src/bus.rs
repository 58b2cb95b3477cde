//! The [`EventBus`] implementation on rdkafka.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use futures::FutureExt;
use mcpsec_core::bus::{
    BusConsumer, BusError, BusMessage, BusResult, Delivery, EventBus, highest_offsets,
};
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{BorrowedMessage, Header, Headers, Message, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use tokio::time::Instant;

use crate::KafkaBusConfig;

const BACKEND: &str = "kafka";
/// Timeout of metadata, admin, commit and watermark requests.
const OP_TIMEOUT: Duration = Duration::from_secs(10);

/// Defaults every client gets (before `extra`).
const PRODUCER_DEFAULTS: &[(&str, &str)] = &[
    // publish returns once all in-sync replicas have the batch.
    ("acks", "all"),
    // Keeps per-partition order across retries.
    ("enable.idempotence", "true"),
    // Same key, same partition, also for the empty key (librdkafka's default
    // `consistent_random` spreads empty keys randomly).
    ("partitioner", "murmur2"),
    // Give up (and fail the publish) after 30 s instead of librdkafka's 300 s.
    ("message.timeout.ms", "30000"),
    ("linger.ms", "2"),
];

const CONSUMER_DEFAULTS: &[(&str, &str)] = &[
    ("enable.auto.commit", "false"),
    ("enable.auto.offset.store", "false"),
    ("auto.offset.reset", "earliest"),
    ("enable.partition.eof", "false"),
    // Fairly short so a crashed member's partitions move on quickly;
    // override through `extra`.
    ("session.timeout.ms", "10000"),
    ("heartbeat.interval.ms", "1000"),
];

fn unavailable(what: &str, e: impl std::fmt::Display) -> BusError {
    BusError::Unavailable(format!("kafka {what}: {e}"))
}

fn join_err(e: tokio::task::JoinError) -> BusError {
    BusError::Internal(format!("blocking kafka call failed: {e}"))
}

fn client_config(config: &KafkaBusConfig, defaults: &[(&str, &str)]) -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", &config.brokers);
    c.set("client.id", &config.client_id);
    for (k, v) in defaults {
        c.set(*k, *v);
    }
    for (k, v) in &config.extra {
        c.set(k, v);
    }
    c
}

fn to_delivery(m: &BorrowedMessage<'_>) -> Delivery {
    let headers = m
        .headers()
        .map(|hs| {
            hs.iter()
                .map(|h| {
                    (
                        h.key.to_owned(),
                        h.value
                            .map(|v| String::from_utf8_lossy(v).into_owned())
                            .unwrap_or_default(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    Delivery {
        topic: m.topic().to_owned(),
        partition: m.partition().max(0) as u32,
        offset: m.offset().max(0) as u64,
        key: m
            .key()
            .map(|k| String::from_utf8_lossy(k).into_owned())
            .unwrap_or_default(),
        headers,
        payload: m.payload().map(Bytes::copy_from_slice).unwrap_or_default(),
    }
}

struct Inner {
    config: KafkaBusConfig,
    producer: FutureProducer,
    admin: AdminClient<DefaultClientContext>,
}

/// The Kafka bus: one shared producer and admin client; one consumer per
/// [`EventBus::subscribe`]. Cheap to clone.
#[derive(Clone)]
pub struct KafkaBus {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for KafkaBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KafkaBus")
            .field("brokers", &self.inner.config.brokers)
            .finish_non_exhaustive()
    }
}

impl KafkaBus {
    /// Creates the clients (no network round trip yet).
    pub fn new(config: KafkaBusConfig) -> BusResult<KafkaBus> {
        config.validate()?;
        let producer: FutureProducer = client_config(&config, PRODUCER_DEFAULTS)
            .create()
            .map_err(|e| BusError::Invalid(format!("kafka producer configuration: {e}")))?;
        let admin: AdminClient<DefaultClientContext> = client_config(&config, &[])
            .create()
            .map_err(|e| BusError::Invalid(format!("kafka admin configuration: {e}")))?;
        tracing::info!(brokers = %config.brokers, "kafka bus configured");
        Ok(KafkaBus {
            inner: Arc::new(Inner {
                config,
                producer,
                admin,
            }),
        })
    }

    /// The configuration the bus was built with.
    pub fn config(&self) -> &KafkaBusConfig {
        &self.inner.config
    }

    /// Waits until the brokers' metadata lists `topic` with its partitions
    /// (topic creation propagates asynchronously).
    async fn wait_for_topic(&self, topic: &str) -> BusResult<()> {
        let deadline = Instant::now() + OP_TIMEOUT;
        loop {
            let inner = self.inner.clone();
            let t = topic.to_owned();
            let seen = tokio::task::spawn_blocking(move || {
                inner
                    .producer
                    .client()
                    .fetch_metadata(Some(&t), Duration::from_secs(5))
                    .map(|md| {
                        md.topics().iter().any(|mt| {
                            mt.name() == t && mt.error().is_none() && !mt.partitions().is_empty()
                        })
                    })
            })
            .await
            .map_err(join_err)?;
            match seen {
                Ok(true) => return Ok(()),
                Ok(false) | Err(_) if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Ok(false) => {
                    return Err(BusError::Unavailable(format!(
                        "kafka topic {topic} did not appear in metadata within {OP_TIMEOUT:?}"
                    )));
                }
                Err(e) => return Err(unavailable("metadata", e)),
            }
        }
    }
}

#[async_trait]
impl EventBus for KafkaBus {
    fn backend(&self) -> &'static str {
        BACKEND
    }

    async fn ensure_topics(&self, topics: &[String]) -> BusResult<()> {
        if topics.is_empty() {
            return Ok(());
        }
        let cfg = &self.inner.config;
        let new: Vec<NewTopic<'_>> = topics
            .iter()
            .map(|t| {
                NewTopic::new(
                    t,
                    cfg.partitions,
                    TopicReplication::Fixed(cfg.replication_factor),
                )
            })
            .collect();
        let opts = AdminOptions::new()
            .operation_timeout(Some(OP_TIMEOUT))
            .request_timeout(Some(OP_TIMEOUT));
        let results = self
            .inner
            .admin
            .create_topics(&new, &opts)
            .await
            .map_err(|e| unavailable("create topics", e))?;
        for r in results {
            match r {
                Ok(name) => {
                    tracing::info!(topic = %name, partitions = cfg.partitions, "kafka topic created")
                }
                Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
                Err((
                    name,
                    code @ (RDKafkaErrorCode::InvalidTopic
                    | RDKafkaErrorCode::InvalidPartitions
                    | RDKafkaErrorCode::InvalidReplicationFactor
                    | RDKafkaErrorCode::InvalidConfig),
                )) => {
                    return Err(BusError::Invalid(format!(
                        "kafka create topic {name}: {code}"
                    )));
                }
                Err((name, code)) => {
                    return Err(unavailable(&format!("create topic {name}"), code));
                }
            }
        }
        for t in topics {
            self.wait_for_topic(t).await?;
        }
        Ok(())
    }

    async fn publish(&self, messages: Vec<BusMessage>) -> BusResult<()> {
        if messages.is_empty() {
            return Ok(());
        }
        let queue_deadline = Instant::now() + OP_TIMEOUT;
        let mut pending = Vec::with_capacity(messages.len());
        // Enqueue in order (librdkafka keeps per-partition order), then wait
        // for every delivery report.
        for m in &messages {
            let mut headers = OwnedHeaders::new_with_capacity(m.headers.len());
            for (k, v) in &m.headers {
                headers = headers.insert(Header {
                    key: k,
                    value: Some(v.as_str()),
                });
            }
            let mut record: FutureRecord<'_, str, [u8]> = FutureRecord::to(&m.topic)
                .key(m.key.as_str())
                .payload(&m.payload[..])
                .headers(headers);
            loop {
                match self.inner.producer.send_result(record) {
                    Ok(f) => {
                        pending.push(f);
                        break;
                    }
                    Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), r))
                        if Instant::now() < queue_deadline =>
                    {
                        record = r;
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                    Err((e, _)) => return Err(unavailable("enqueue", e)),
                }
            }
        }
        let mut failure = None;
        for r in futures::future::join_all(pending).await {
            match r {
                Ok(Ok(_)) => {}
                Ok(Err((e, _))) => failure = Some(unavailable("delivery", e)),
                Err(_) => {
                    failure = Some(BusError::Unavailable(
                        "kafka producer dropped a delivery".into(),
                    ))
                }
            }
        }
        if let Some(e) = failure {
            return Err(e);
        }
        let mut per_topic: BTreeMap<&str, u64> = BTreeMap::new();
        for m in &messages {
            *per_topic.entry(m.topic.as_str()).or_default() += 1;
        }
        for (topic, n) in per_topic {
            metrics::counter!("mcpsec_bus_published_total", "backend" => BACKEND, "topic" => topic.to_owned())
                .increment(n);
        }
        Ok(())
    }

    async fn subscribe(&self, group: &str, topics: &[String]) -> BusResult<Box<dyn BusConsumer>> {
        if group.is_empty() {
            return Err(BusError::Invalid("consumer group name is empty".into()));
        }
        if topics.is_empty() {
            return Err(BusError::Invalid(
                "subscribe needs at least one topic".into(),
            ));
        }
        let mut cfg = client_config(&self.inner.config, CONSUMER_DEFAULTS);
        cfg.set("group.id", group);
        let consumer: StreamConsumer = cfg
            .create()
            .map_err(|e| BusError::Invalid(format!("kafka consumer configuration: {e}")))?;
        let names: Vec<&str> = topics.iter().map(String::as_str).collect();
        consumer
            .subscribe(&names)
            .map_err(|e| unavailable("subscribe", e))?;
        tracing::debug!(group, ?topics, "kafka consumer subscribed");
        Ok(Box::new(KafkaConsumer {
            consumer: Some(Arc::new(consumer)),
            group: group.to_owned(),
            committed: HashMap::new(),
        }))
    }

    async fn ping(&self) -> BusResult<()> {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            inner
                .producer
                .client()
                .fetch_metadata(None, Duration::from_secs(5))
                .map(|_| ())
        })
        .await
        .map_err(join_err)?
        .map_err(|e| unavailable("ping", e))
    }
}

struct KafkaConsumer {
    /// `None` only while dropping.
    consumer: Option<Arc<StreamConsumer>>,
    group: String,
    /// Next offset this member committed per partition; commits never move
    /// an offset backwards.
    committed: HashMap<(String, u32), u64>,
}

impl KafkaConsumer {
    fn consumer(&self) -> BusResult<Arc<StreamConsumer>> {
        self.consumer
            .clone()
            .ok_or_else(|| BusError::Internal("kafka consumer already closed".into()))
    }
}

#[async_trait]
impl BusConsumer for KafkaConsumer {
    async fn poll(&mut self, max: usize, timeout: Duration) -> BusResult<Vec<Delivery>> {
        let c = self.consumer()?;
        let deadline = Instant::now() + timeout;
        let mut out: Vec<Delivery> = Vec::new();
        let mut last_error = None;
        while out.len() < max {
            let next = if out.is_empty() {
                // Wait for the first message.
                match tokio::time::timeout_at(deadline, c.recv()).await {
                    Ok(r) => r.map(|m| to_delivery(&m)),
                    Err(_) => break,
                }
            } else {
                // Then take what is already buffered, without waiting.
                match c.recv().now_or_never() {
                    Some(r) => r.map(|m| to_delivery(&m)),
                    None => break,
                }
            };
            match next {
                Ok(d) => out.push(d),
                Err(e) => {
                    // Transient conditions (a broker restarting, a topic not
                    // yet in metadata) surface here; keep waiting.
                    tracing::warn!(group = %self.group, error = %e, "kafka consumer error");
                    last_error = Some(e);
                    if !out.is_empty() {
                        break;
                    }
                    if Instant::now() >= deadline {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
        if out.is_empty()
            && let Some(e) = last_error
            && matches!(&e, KafkaError::MessageConsumptionFatal(_))
        {
            return Err(unavailable("consume", e));
        }
        let mut per_topic: BTreeMap<&str, u64> = BTreeMap::new();
        for d in &out {
            *per_topic.entry(d.topic.as_str()).or_default() += 1;
        }
        for (topic, n) in per_topic {
            metrics::counter!("mcpsec_bus_consumed_total", "backend" => BACKEND, "topic" => topic.to_owned())
                .increment(n);
        }
        Ok(out)
    }

    async fn commit(&mut self, deliveries: &[Delivery]) -> BusResult<()> {
        let mut tpl = TopicPartitionList::new();
        let mut updates = Vec::new();
        for ((topic, partition), offset) in highest_offsets(deliveries) {
            let next = offset + 1;
            let key = (topic, partition);
            if self.committed.get(&key).is_some_and(|c| *c >= next) {
                continue;
            }
            tpl.add_partition_offset(&key.0, partition as i32, Offset::Offset(next as i64))
                .map_err(|e| BusError::Invalid(format!("commit {}/{partition}: {e}", key.0)))?;
            updates.push((key, next));
        }
        if updates.is_empty() {
            return Ok(());
        }
        let c = self.consumer()?;
        tokio::task::spawn_blocking(move || c.commit(&tpl, CommitMode::Sync))
            .await
            .map_err(join_err)?
            .map_err(|e| unavailable("commit", e))?;
        self.committed.extend(updates);
        Ok(())
    }

    async fn lag(&mut self) -> BusResult<Option<u64>> {
        let c = self.consumer()?;
        let lag = tokio::task::spawn_blocking(move || -> Result<Option<u64>, KafkaError> {
            let assignment = c.assignment()?;
            if assignment.count() == 0 {
                return Ok(None);
            }
            let committed = c.committed_offsets(assignment, OP_TIMEOUT)?;
            let mut total = 0u64;
            for e in committed.elements() {
                let (low, high) = c.fetch_watermarks(e.topic(), e.partition(), OP_TIMEOUT)?;
                let from = match e.offset() {
                    Offset::Offset(o) => o,
                    _ => low,
                };
                total += (high - from).max(0) as u64;
            }
            Ok(Some(total))
        })
        .await
        .map_err(join_err)?;
        match lag {
            Ok(Some(l)) => {
                metrics::gauge!("mcpsec_bus_consumer_lag", "backend" => BACKEND, "group" => self.group.clone())
                    .set(l as f64);
                Ok(Some(l))
            }
            Ok(None) => Ok(None),
            Err(e) => {
                tracing::debug!(group = %self.group, error = %e, "kafka lag unavailable");
                Ok(None)
            }
        }
    }
}

impl Drop for KafkaConsumer {
    fn drop(&mut self) {
        // Closing leaves the group, which blocks; keep it off the runtime's
        // worker threads.
        if let Some(c) = self.consumer.take()
            && let Ok(handle) = tokio::runtime::Handle::try_current()
        {
            handle.spawn_blocking(move || drop(c));
        }
    }
}
