//! The SQL implementations of mcpsec's [`Store`](mcpsec_core::store::Store):
//! [`SqliteStore`], the embedded default (one file under the data directory),
//! and [`PostgresStore`] for deployments that run several servers. Both are
//! built from their config ([`SqliteConfig`], [`PostgresConfig`]), which
//! connects and applies the backend's migrations (`migrations/sqlite`,
//! `migrations/postgres`, embedded at build time).
//!
//! Each record kind has one table keyed by tenant and id, holding the columns
//! that filters and sorting need (status, severity rank, asset, rule, entity,
//! time) and the whole record as JSON in a `body` column. Everything the two
//! backends have in common — the SQL text, the row encoding, the trait
//! implementation, error mapping and metrics — lives once in [`SqlStore`];
//! a backend only runs statements on its own connection pool.
//!
//! This crate depends on `mcpsec-core` only, never on another backend crate
//! (bus, object store) or on the server.

mod auth;
mod backend;
mod detection;
mod error;
mod mcp;
mod postgres;
mod posture;
mod query;
mod record;
mod sqlite;
mod store;
mod vulndb;

pub use postgres::{PostgresBackend, PostgresConfig, PostgresStore};
pub use sqlite::{SqliteBackend, SqliteConfig, SqliteStore};
pub use store::SqlStore;
