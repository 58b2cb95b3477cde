//! The embedded durable event bus: mcpsec's default [`EventBus`] backend, for
//! single-node deployments that should not need a Kafka cluster.
//!
//! Every topic has a fixed number of partitions (a key picks its partition
//! with [`mcpsec_core::bus::partition_for`]); each partition is an append-only
//! log of segment files under `<dir>/topics/<topic>/<partition>/`, made of
//! CRC-checked frames. [`EventBus::publish`] returns after the batch is
//! fsynced; concurrent publishers share fsyncs through one writer thread
//! (group commit). Opening the bus recovers every partition, truncating a torn
//! tail. Consumer groups live in this process (members share partitions,
//! round-robin); their committed offsets are replaced atomically under
//! `<dir>/groups/`. One process at a time may open a directory (`<dir>/LOCK`).
//!
//! Depends only on `mcpsec-core` (never on another backend crate such as
//! `mcpsec-bus-kafka`, nor on the server).
//!
//! [`EventBus`]: mcpsec_core::bus::EventBus
//! [`EventBus::publish`]: mcpsec_core::bus::EventBus::publish

mod bus;
mod config;
mod group;
mod log;
mod record;

pub use bus::EmbeddedBus;
pub use config::EmbeddedBusConfig;
