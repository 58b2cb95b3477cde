//! Configuration of the Kafka bus.

use std::collections::BTreeMap;

use mcpsec_core::bus::BusError;
use serde::{Deserialize, Serialize};

use crate::KafkaBus;

fn default_partitions() -> i32 {
    6
}

fn default_replication_factor() -> i32 {
    1
}

fn default_client_id() -> String {
    "mcpsec".to_string()
}

/// Configuration of the Kafka bus, e.g. in TOML:
///
/// ```toml
/// [bus.kafka]
/// brokers = "kafka-1:9092,kafka-2:9092"
/// partitions = 6            # for topics created by ensure_topics
/// replication_factor = 3
/// client_id = "mcpsec"
/// [bus.kafka.extra]         # passed to librdkafka as is, overriding defaults
/// "security.protocol" = "ssl"
/// "session.timeout.ms" = "30000"
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KafkaBusConfig {
    /// Bootstrap servers, comma separated `host:port`.
    pub brokers: String,
    /// Partitions of topics created through `ensure_topics`.
    #[serde(default = "default_partitions")]
    pub partitions: i32,
    /// Replication factor of topics created through `ensure_topics`.
    #[serde(default = "default_replication_factor")]
    pub replication_factor: i32,
    /// `client.id` reported to the brokers.
    #[serde(default = "default_client_id")]
    pub client_id: String,
    /// Extra librdkafka properties for producer, consumers and admin client;
    /// they override the backend's defaults.
    #[serde(default)]
    pub extra: BTreeMap<String, String>,
}

impl KafkaBusConfig {
    /// Defaults with the given bootstrap servers.
    pub fn new(brokers: impl Into<String>) -> Self {
        KafkaBusConfig {
            brokers: brokers.into(),
            partitions: default_partitions(),
            replication_factor: default_replication_factor(),
            client_id: default_client_id(),
            extra: BTreeMap::new(),
        }
    }

    /// Checks the values without connecting.
    pub fn validate(&self) -> Result<(), BusError> {
        if self.brokers.trim().is_empty() {
            return Err(BusError::Invalid("bus.kafka.brokers is empty".into()));
        }
        if self.partitions < 1 {
            return Err(BusError::Invalid(format!(
                "bus.kafka.partitions must be at least 1, got {}",
                self.partitions
            )));
        }
        if self.replication_factor < 1 {
            return Err(BusError::Invalid(format!(
                "bus.kafka.replication_factor must be at least 1, got {}",
                self.replication_factor
            )));
        }
        if self.client_id.is_empty() {
            return Err(BusError::Invalid("bus.kafka.client_id is empty".into()));
        }
        for key in ["group.id", "enable.auto.commit"] {
            if self.extra.contains_key(key) {
                return Err(BusError::Invalid(format!(
                    "bus.kafka.extra must not set {key:?}: the bus manages it"
                )));
            }
        }
        Ok(())
    }

    /// Creates the producer and admin clients. Does not wait for the
    /// brokers; use `ping` for that.
    pub async fn build(&self) -> Result<KafkaBus, BusError> {
        KafkaBus::new(self.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_defaults_and_unknown_fields() {
        let c: KafkaBusConfig = serde_json::from_str(r#"{"brokers":"k:9092"}"#).unwrap();
        assert_eq!(c, KafkaBusConfig::new("k:9092"));
        assert_eq!(
            (c.partitions, c.replication_factor, c.client_id.as_str()),
            (6, 1, "mcpsec")
        );
        let c: KafkaBusConfig =
            serde_json::from_str(r#"{"brokers":"k:9092","extra":{"linger.ms":"1"}}"#).unwrap();
        assert_eq!(c.extra["linger.ms"], "1");
        assert!(
            serde_json::from_str::<KafkaBusConfig>(r#"{"brokers":"k","partition":1}"#).is_err()
        );
        assert!(serde_json::from_str::<KafkaBusConfig>(r#"{}"#).is_err());
    }

    #[test]
    fn validation() {
        assert!(KafkaBusConfig::new("k:9092").validate().is_ok());
        assert!(KafkaBusConfig::new(" ").validate().is_err());
        let mut c = KafkaBusConfig::new("k:9092");
        c.partitions = 0;
        assert!(c.validate().is_err());
        let mut c = KafkaBusConfig::new("k:9092");
        c.extra.insert("enable.auto.commit".into(), "true".into());
        assert!(c.validate().is_err());
    }
}
