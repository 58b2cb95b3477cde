//! The Kafka event bus backend: an [`EventBus`] on any Kafka-protocol broker
//! (Apache Kafka, Redpanda, tansu, …) through rdkafka with a bundled,
//! statically linked librdkafka. For deployments that outgrow the embedded
//! bus or already run Kafka.
//!
//! Publishing waits for `acks=all`; consumers are Kafka consumer-group members
//! that never auto-commit, so a message is redelivered to the group until a
//! member commits it.
//!
//! Depends only on `mcpsec-core` (never on another backend crate such as
//! `mcpsec-bus-embedded`, nor on the server).
//!
//! [`EventBus`]: mcpsec_core::bus::EventBus

mod bus;
mod config;

pub use bus::KafkaBus;
pub use config::KafkaBusConfig;
