//! Core of mcpsec: the domain model, the versioned event envelope and its
//! payload types, the traits every backend implements (store, event bus,
//! object store) and the table of error codes shared by every API.
//!
//! This crate must stay small: it depends on no backend, no web framework and
//! no runtime. Capability crates and backend crates depend on it; it depends on
//! none of them.

pub mod auth;
pub mod bus;
pub mod detection;
pub mod domain;
pub mod error;
pub mod event;
pub mod mcp;
pub mod objstore;
pub mod posture;
pub mod secret;
pub mod store;
pub mod tenant;
pub mod vulndb;

pub use error::{ErrorCode, ErrorKind};
pub use secret::Secret;
pub use tenant::TenantId;
