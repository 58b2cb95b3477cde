//! What the posture service keeps in the store: every scan of an asset (its
//! findings and per-framework control results), so the API can show the
//! latest posture of an asset, its trend over time, and compliance across a
//! tenant's assets.
//!
//! [`PostureStore`] is a supertrait of [`Store`](crate::store::Store): every
//! store backend implements it, and the shared conformance suite in
//! `mcpsec-testkit` (`posture`) checks it, tenant isolation included.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::TenantId;
use crate::domain::Severity;
use crate::store::{Page, StoreResult};

/// Longest accepted asset id in posture routes.
pub const MAX_ASSET_ID_LEN: usize = 128;

/// Whether `id` is an acceptable asset id for posture scans: 1 to 128
/// characters of ASCII letters, digits, `-`, `_`, `.` and `:`.
pub fn valid_asset_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ASSET_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// One failed check on one resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PostureFinding {
    pub check_id: String,
    pub title: String,
    pub severity: Severity,
    /// Input kind (`kubernetes`, `terraform`, `dockerfile`…).
    pub input: String,
    pub file: String,
    pub line: u32,
    pub resource: String,
    pub message: String,
}

/// One control of a framework in one scan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ControlOutcome {
    pub id: String,
    pub title: String,
    /// `pass`, `fail` or `manual` (no mapped check applied).
    pub status: String,
    /// Failing resources (`file:line resource`) of the control's checks.
    #[serde(default)]
    pub evidence: Vec<String>,
}

/// A compliance framework evaluated against one scan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FrameworkOutcome {
    pub id: String,
    pub title: String,
    pub passed: u64,
    pub failed: u64,
    pub manual: u64,
    /// Passing share of the controls that are pass or fail, 0 to 100.
    pub score: f64,
    #[serde(default)]
    pub controls: Vec<ControlOutcome>,
}

/// A stored posture scan of one asset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PostureScan {
    pub tenant: TenantId,
    pub asset_id: String,
    /// Time-ordered id (UUIDv7): later scans of an asset have greater ids.
    pub id: String,
    pub created_at: DateTime<Utc>,
    pub files: u64,
    pub resources: u64,
    /// Passed and failed (check, resource) evaluations.
    pub passed: u64,
    pub failed: u64,
    /// Share of passed evaluations, 0 to 100.
    pub score: f64,
    pub findings: Vec<PostureFinding>,
    pub frameworks: Vec<FrameworkOutcome>,
    /// Inputs that could not be read (skipped), `file: reason`.
    #[serde(default)]
    pub input_errors: Vec<String>,
}

/// Longest accepted custom policy module, in bytes.
pub const MAX_POLICY_SOURCE_LEN: usize = 256 * 1024;

/// Most custom policies one tenant may keep.
pub const MAX_POLICIES_PER_TENANT: usize = 200;

/// A tenant's custom Rego policy, evaluated next to the built-in pack in that
/// tenant's scans only. Its id is the check id of its METADATA.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PosturePolicy {
    pub tenant: TenantId,
    /// Check id (`custom.id` of the METADATA), unique per tenant.
    pub id: String,
    pub title: String,
    pub severity: Severity,
    /// Input kind the check looks at (`kubernetes`, `terraform`…).
    pub input: String,
    /// Rego package of the module.
    pub package: String,
    /// The module as uploaded.
    pub source: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Posture records of every tenant.
#[async_trait]
pub trait PostureStore: Send + Sync + 'static {
    /// Stores a scan; `Conflict` if its id exists for the asset.
    async fn insert_posture_scan(&self, scan: &PostureScan) -> StoreResult<()>;
    /// The asset's scans by id (oldest first), after `page.after`.
    async fn list_posture_scans(
        &self,
        tenant: &TenantId,
        asset_id: &str,
        page: &Page,
    ) -> StoreResult<Vec<PostureScan>>;
    /// The asset's newest scan.
    async fn latest_posture_scan(
        &self,
        tenant: &TenantId,
        asset_id: &str,
    ) -> StoreResult<Option<PostureScan>>;
    /// The newest scan of each of the tenant's assets, by asset id.
    async fn latest_posture_scans(&self, tenant: &TenantId) -> StoreResult<Vec<PostureScan>>;
    /// Stores a custom policy, replacing the tenant's policy of the same id;
    /// `true` when it was new.
    async fn put_posture_policy(&self, policy: &PosturePolicy) -> StoreResult<bool>;
    /// The tenant's custom policies, by id.
    async fn list_posture_policies(&self, tenant: &TenantId) -> StoreResult<Vec<PosturePolicy>>;
    /// Deletes a custom policy; `false` when the tenant has none of that id.
    async fn delete_posture_policy(&self, tenant: &TenantId, id: &str) -> StoreResult<bool>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asset_ids() {
        assert!(valid_asset_id("cluster-prod.eu:web_1"));
        assert!(!valid_asset_id(""));
        assert!(!valid_asset_id("a/b"));
        assert!(!valid_asset_id(&"x".repeat(129)));
    }
}
