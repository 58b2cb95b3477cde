//! The store trait: durable records of every tenant.
//!
//! Implementations: `mcpsec-store-sql` (SQLite embedded default, PostgreSQL).
//! Every method that touches tenant data takes the [`TenantId`] and must scope
//! its query by it; the shared conformance suite in `mcpsec-testkit` checks
//! that one tenant never sees another's records.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::auth::AuthStore;
use crate::detection::DetectionStore;
use crate::domain::{
    Alert, Asset, Component, Finding, FindingChange, FindingStatus, Severity, Tenant, Vulnerability,
};
use crate::event::Event;
use crate::mcp::McpInventoryStore;
use crate::posture::PostureStore;
use crate::vulndb::VulnDbStore;
use crate::{ErrorCode, TenantId};

/// Store failures.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found: {0}")]
    NotFound(String),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("invalid: {0}")]
    Invalid(String),
    #[error("store unavailable: {0}")]
    Unavailable(String),
    #[error("store error: {0}")]
    Internal(String),
}

impl StoreError {
    pub fn code(&self) -> ErrorCode {
        match self {
            StoreError::NotFound(_) => ErrorCode::NotFound,
            StoreError::Conflict(_) => ErrorCode::Conflict,
            StoreError::Invalid(_) => ErrorCode::InvalidArgument,
            StoreError::Unavailable(_) => ErrorCode::StoreUnavailable,
            StoreError::Internal(_) => ErrorCode::Internal,
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Cursor pagination: records are returned in ascending id order, starting
/// after `after`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub after: Option<String>,
    pub limit: u32,
}

impl Page {
    pub const MAX_LIMIT: u32 = 1000;

    pub fn first(limit: u32) -> Page {
        Page {
            after: None,
            limit: limit.clamp(1, Self::MAX_LIMIT),
        }
    }
}

impl Default for Page {
    fn default() -> Self {
        Page::first(100)
    }
}

/// Filters for [`Store::list_findings`].
#[derive(Debug, Clone, Default)]
pub struct FindingFilter {
    pub asset_id: Option<String>,
    pub status: Option<FindingStatus>,
    pub min_severity: Option<Severity>,
    /// The finding's component: its exact id (a purl with version, or
    /// `name@version`), or that without the version (`pkg:npm/lodash`
    /// matches every version).
    pub component: Option<String>,
    /// Exactly this severity.
    pub severity: Option<Severity>,
    /// Only findings in (`true`) or not in (`false`) CISA KEV.
    pub kev: Option<bool>,
    /// Only findings with (`true`) or without (`false`) a known fixed version.
    pub fixable: Option<bool>,
    /// Only findings whose risk score is at least this (0–10; resolution 0.01).
    pub min_risk: Option<f64>,
    pub sort: FindingSort,
    pub page: Page,
}

/// The order of [`Store::list_findings`]; paging (`page.after`) is by the
/// last finding id seen in either order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FindingSort {
    /// Ascending id.
    #[default]
    Id,
    /// "Fix first": highest risk score first, then ascending id.
    Risk,
}

/// Risk score as the store indexes it: hundredths, rounded (`7.25` → 725).
pub fn risk_rank(score: Option<f64>) -> i64 {
    score
        .filter(|s| s.is_finite())
        .map(|s| (s.clamp(0.0, 100.0) * 100.0).round() as i64)
        .unwrap_or(0)
}

/// Filters for [`Store::list_alerts`].
#[derive(Debug, Clone, Default)]
pub struct AlertFilter {
    pub rule_id: Option<String>,
    /// An ATT&CK technique id; matches the technique and its sub-techniques
    /// (`T1059` matches `T1059.001`), case-insensitively.
    pub technique: Option<String>,
    pub min_severity: Option<Severity>,
    pub entity: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub page: Page,
}

/// The platform's durable record store.
#[async_trait]
pub trait Store:
    AuthStore + DetectionStore + VulnDbStore + PostureStore + McpInventoryStore + Send + Sync + 'static
{
    /// A short backend name for logs and metrics (`sqlite`, `postgres`).
    fn backend(&self) -> &'static str;

    /// Cheap round trip to the backend, for readiness checks.
    async fn ping(&self) -> StoreResult<()>;

    /// Creates a tenant; `Conflict` if the id exists.
    async fn create_tenant(&self, tenant: &Tenant) -> StoreResult<()>;
    async fn get_tenant(&self, id: &TenantId) -> StoreResult<Option<Tenant>>;
    async fn list_tenants(&self) -> StoreResult<Vec<Tenant>>;

    /// Inserts or replaces an asset (keyed by tenant and id).
    async fn upsert_asset(&self, asset: &Asset) -> StoreResult<()>;
    async fn get_asset(&self, tenant: &TenantId, id: &str) -> StoreResult<Option<Asset>>;
    async fn list_assets(&self, tenant: &TenantId, page: &Page) -> StoreResult<Vec<Asset>>;

    /// Inserts or replaces components; each must belong to `tenant`.
    async fn upsert_components(
        &self,
        tenant: &TenantId,
        components: &[Component],
    ) -> StoreResult<()>;
    async fn list_components(
        &self,
        tenant: &TenantId,
        asset_id: &str,
        page: &Page,
    ) -> StoreResult<Vec<Component>>;

    /// Inserts or replaces shared vulnerability advisories.
    async fn upsert_vulnerabilities(&self, vulns: &[Vulnerability]) -> StoreResult<()>;
    async fn get_vulnerability(&self, id: &str) -> StoreResult<Option<Vulnerability>>;

    /// Inserts or replaces a finding (keyed by tenant and id).
    async fn upsert_finding(&self, finding: &Finding) -> StoreResult<()>;
    async fn get_finding(&self, tenant: &TenantId, id: &str) -> StoreResult<Option<Finding>>;
    async fn list_findings(
        &self,
        tenant: &TenantId,
        filter: &FindingFilter,
    ) -> StoreResult<Vec<Finding>>;
    /// Moves a finding to a new status, enforcing the lifecycle rules
    /// (`Conflict` when the transition is not allowed, `NotFound` when the
    /// finding does not exist in this tenant). Returns the updated finding.
    async fn transition_finding(
        &self,
        tenant: &TenantId,
        id: &str,
        to: FindingStatus,
        reason: Option<String>,
        at: DateTime<Utc>,
    ) -> StoreResult<Finding> {
        self.transition_finding_by(tenant, id, to, reason, None, at)
            .await
    }
    /// [`Store::transition_finding`] recording `author` in the finding's
    /// history; the change and its history entry are written atomically.
    async fn transition_finding_by(
        &self,
        tenant: &TenantId,
        id: &str,
        to: FindingStatus,
        reason: Option<String>,
        author: Option<String>,
        at: DateTime<Utc>,
    ) -> StoreResult<Finding>;
    /// Every lifecycle change of a finding, oldest first: its creation (by
    /// [`Store::upsert_finding`] of a new id, `from: None`) and each
    /// transition. Empty when the finding does not exist in this tenant.
    async fn finding_history(&self, tenant: &TenantId, id: &str)
    -> StoreResult<Vec<FindingChange>>;

    /// Makes `components` the asset's whole component set: upserts them and
    /// deletes the asset's components whose id is not among them, in one
    /// transaction. Each must belong to `tenant` and `asset_id`. Returns the
    /// ids deleted.
    async fn replace_components(
        &self,
        tenant: &TenantId,
        asset_id: &str,
        components: &[Component],
    ) -> StoreResult<Vec<String>>;

    /// Stores an alert; returns false if an alert with this id already exists.
    async fn insert_alert(&self, alert: &Alert) -> StoreResult<bool>;
    async fn list_alerts(&self, tenant: &TenantId, filter: &AlertFilter)
    -> StoreResult<Vec<Alert>>;

    /// Records processed events, idempotently by `(tenant, id)`: an event seen
    /// before is ignored. Returns how many were new.
    async fn record_events(&self, events: &[Event]) -> StoreResult<u64>;
    async fn get_event(&self, tenant: &TenantId, id: &str) -> StoreResult<Option<Event>>;
    async fn count_events(&self, tenant: &TenantId) -> StoreResult<u64>;
}
