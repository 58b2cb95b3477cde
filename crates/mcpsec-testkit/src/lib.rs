//! Conformance suites shared by every backend, in the manner of Quickwit's
//! metastore tests: one suite per trait, generic over the implementation. A
//! new backend is done when its suite passes.
//!
//! Backend tests that need a real service read its address from an
//! `MCPSEC_TEST_*` variable (see [`service_env`]). When the variable is absent
//! the test prints a visible `SKIPPED` line and returns, so plain `cargo test`
//! passes without services; `scripts/test.sh` sets `MCPSEC_TEST_REQUIRE_SERVICES=1`,
//! which turns a missing variable into a failure.
//!
//! Depends only on `mcpsec-core`; never on a backend crate.

pub mod auth;
pub mod bus;
pub mod detection;
pub mod mcp;
pub mod objstore;
pub mod posture;
pub mod store;
pub mod vulndb;

/// Reads the test-service variable `name`. Returns `None` (after printing a
/// visible skip notice naming `test`) when it is unset, unless
/// `MCPSEC_TEST_REQUIRE_SERVICES=1`, in which case it panics.
pub fn service_env(name: &str, test: &str) -> Option<String> {
    match std::env::var(name) {
        Ok(v) if !v.is_empty() => Some(v),
        _ => {
            if std::env::var("MCPSEC_TEST_REQUIRE_SERVICES").as_deref() == Ok("1") {
                panic!("{test}: {name} is not set but MCPSEC_TEST_REQUIRE_SERVICES=1");
            }
            eprintln!("SKIPPED {test}: set {name} to run it (scripts/test.sh starts the service)");
            None
        }
    }
}

/// A fresh tenant id that no other test uses, so suites can share one database.
pub fn unique_tenant(prefix: &str) -> mcpsec_core::TenantId {
    let suffix = uuid::Uuid::new_v4().simple().to_string();
    mcpsec_core::TenantId::new(format!("{prefix}-{}", &suffix[..12])).expect("valid tenant id")
}
