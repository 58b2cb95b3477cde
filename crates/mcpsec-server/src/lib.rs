//! The mcpsec service runtime: the HTTP API (axum) and the event-pipeline
//! worker, each a role `mcpsec serve --role api|worker|all` can run.
//!
//! The crate receives its backends as trait objects ([`Backends`]) and never
//! names a concrete backend: wiring happens in the `mcpsec` binary. Routes,
//! their OpenAPI description and the error mapping live here; capability
//! crates add their routes through the binary.

pub mod api;
pub mod auth;
pub mod deprecation;
pub mod detection;
pub mod error;
pub mod etag;
pub mod graphql;
pub mod grpc;
pub mod metrics;
pub mod posture;
pub mod stream;
pub mod trace;
pub mod vuln;
pub mod worker;

use std::sync::Arc;

use mcpsec_core::bus::EventBus;
use mcpsec_core::objstore::ArtifactStore;
use mcpsec_core::store::Store;

pub use api::{
    ApiLimits, ops_router, router, router_with, router_with_capabilities, router_with_posture,
};
pub use detection::{DetectionCapability, RuleCheck, TacticInfo};
pub use posture::{CheckedPolicy, CustomPolicy, PostureCapability, PostureInput, PostureOutcome};
pub use vuln::{SbomCheck, VulnCapability};
pub use worker::{EventHandler, EventWorker, HandlerError, WorkerConfig};

/// The backends a process works with.
#[derive(Clone)]
pub struct Backends {
    pub store: Arc<dyn Store>,
    pub bus: Arc<dyn EventBus>,
    pub objects: Arc<dyn ArtifactStore>,
}
