//! The event bus trait: durable, partitioned, consumer groups, at-least-once.
//!
//! Implementations: `mcpsec-bus-embedded` (a durable log on local disk, the
//! default) and `mcpsec-bus-kafka` (any Kafka-protocol broker). The shared
//! conformance suite in `mcpsec-testkit` runs against both.
//!
//! Contract:
//! - [`EventBus::publish`] returns only once every message is durable (fsynced
//!   locally, or acknowledged by all in-sync replicas). An error means none of
//!   the batch may be assumed delivered; a retry may duplicate, so consumers
//!   deduplicate by event id.
//! - Messages with the same key go to the same partition and are delivered in
//!   publish order.
//! - Consumers in one group share the partitions; a message is redelivered to
//!   the group until a member commits it. A consumer dropped without
//!   committing (a crash) leaves its messages to the next member.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;

use crate::ErrorCode;

/// A message to publish.
#[derive(Debug, Clone, PartialEq)]
pub struct BusMessage {
    pub topic: String,
    /// Partitioning key: same key, same partition, same order.
    pub key: String,
    /// Small string headers (e.g. W3C `traceparent`, schema version).
    pub headers: BTreeMap<String, String>,
    pub payload: Bytes,
}

/// A message received by a consumer.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub topic: String,
    pub partition: u32,
    pub offset: u64,
    pub key: String,
    pub headers: BTreeMap<String, String>,
    pub payload: Bytes,
}

/// Bus failures.
#[derive(Debug, thiserror::Error)]
pub enum BusError {
    #[error("bus unavailable: {0}")]
    Unavailable(String),
    #[error("invalid bus request: {0}")]
    Invalid(String),
    #[error("bus data corrupt: {0}")]
    Corrupt(String),
    #[error("bus error: {0}")]
    Internal(String),
}

impl BusError {
    pub fn code(&self) -> ErrorCode {
        match self {
            BusError::Unavailable(_) => ErrorCode::BusUnavailable,
            BusError::Invalid(_) => ErrorCode::InvalidArgument,
            BusError::Corrupt(_) | BusError::Internal(_) => ErrorCode::Internal,
        }
    }
}

pub type BusResult<T> = Result<T, BusError>;

/// A durable publish/subscribe log.
#[async_trait]
pub trait EventBus: Send + Sync + 'static {
    /// A short backend name (`embedded`, `kafka`).
    fn backend(&self) -> &'static str;

    /// Creates topics that do not exist yet.
    async fn ensure_topics(&self, topics: &[String]) -> BusResult<()>;

    /// Publishes a batch; returns once all of it is durable.
    async fn publish(&self, messages: Vec<BusMessage>) -> BusResult<()>;

    /// Joins consumer group `group` on `topics`.
    async fn subscribe(&self, group: &str, topics: &[String]) -> BusResult<Box<dyn BusConsumer>>;

    /// Cheap health check.
    async fn ping(&self) -> BusResult<()>;
}

/// One member of a consumer group.
#[async_trait]
pub trait BusConsumer: Send {
    /// Waits up to `timeout` for messages and returns at most `max` of them
    /// (possibly none).
    async fn poll(&mut self, max: usize, timeout: Duration) -> BusResult<Vec<Delivery>>;

    /// Commits the given deliveries: for each partition, everything up to and
    /// including the highest offset given is marked as consumed by the group.
    async fn commit(&mut self, deliveries: &[Delivery]) -> BusResult<()>;

    /// Messages published but not yet committed by this group on the
    /// partitions this member holds, when the backend can tell.
    async fn lag(&mut self) -> BusResult<Option<u64>>;
}

/// Highest offset per (topic, partition) in a set of deliveries; the shape
/// both backends need for commits.
pub fn highest_offsets(deliveries: &[Delivery]) -> BTreeMap<(String, u32), u64> {
    let mut out: BTreeMap<(String, u32), u64> = BTreeMap::new();
    for d in deliveries {
        let e = out
            .entry((d.topic.clone(), d.partition))
            .or_insert(d.offset);
        if d.offset > *e {
            *e = d.offset;
        }
    }
    out
}

/// Stable partition for a key (FNV-1a); the embedded bus uses it, and tests use
/// it to reason about ordering.
pub fn partition_for(key: &str, partitions: u32) -> u32 {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in key.as_bytes() {
        h ^= *b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    (h % partitions.max(1) as u64) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn highest_offsets_per_partition() {
        let d = |p, o| Delivery {
            topic: "t".into(),
            partition: p,
            offset: o,
            key: String::new(),
            headers: BTreeMap::new(),
            payload: Bytes::new(),
        };
        let h = highest_offsets(&[d(0, 3), d(0, 7), d(1, 2), d(0, 5)]);
        assert_eq!(h[&("t".to_string(), 0)], 7);
        assert_eq!(h[&("t".to_string(), 1)], 2);
    }

    #[test]
    fn partitioning_is_stable_and_in_range() {
        for k in ["a", "tenant/asset", ""] {
            let p = partition_for(k, 8);
            assert!(p < 8);
            assert_eq!(p, partition_for(k, 8));
        }
        assert_eq!(partition_for("x", 0), 0);
    }
}
