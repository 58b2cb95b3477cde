//! What streaming detection keeps in the store: each tenant's own Sigma rules
//! (managed through the API, with a version counter that workers poll to
//! hot-reload), and the correlation state per group key, so a correlation
//! whose events arrive across a worker restart still fires.
//!
//! [`DetectionStore`] is a supertrait of [`Store`](crate::store::Store): every
//! store backend implements it, and the shared conformance suite in
//! `mcpsec-testkit` (`detection`) checks it, tenant isolation included.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::TenantId;
use crate::domain::{Alert, Severity};
use crate::store::StoreResult;

/// Longest accepted rule id (the `{id}` of `/tenants/{tenant}/rules/{id}`).
pub const MAX_RULE_ID_LEN: usize = 128;
/// Largest accepted rule text, in bytes.
pub const MAX_RULE_BYTES: usize = 256 * 1024;

/// Whether `id` is an acceptable tenant rule id: 1 to 128 characters of
/// ASCII letters, digits, `-`, `_` and `.`.
pub fn valid_rule_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_RULE_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// A Sigma rule (one YAML file, possibly several documents) that a tenant
/// manages through the API.
#[derive(
    Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema, utoipa::ToSchema,
)]
pub struct TenantRule {
    pub tenant: TenantId,
    /// The id in the URL (not necessarily the Sigma `id:` inside the YAML).
    pub id: String,
    /// Title of the rule's first document.
    pub title: String,
    /// Level of the rule's first document, when it has one.
    pub level: Option<Severity>,
    /// The Sigma YAML as it was uploaded.
    pub yaml: String,
    pub updated_at: DateTime<Utc>,
}

/// The correlation state of one group key, as the detection engine wrote it
/// (opaque JSON to the store).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CorrelationState {
    /// Correlation rule and group-by values, as the engine builds it.
    pub key: String,
    pub state: serde_json::Value,
    /// The row version the next save must expect (optimistic concurrency).
    pub version: u64,
}

/// One write of [`DetectionStore::save_correlation_states`].
#[derive(Debug, Clone, PartialEq)]
pub struct CorrelationWrite {
    pub key: String,
    /// The new state; `None` deletes the key.
    pub state: Option<serde_json::Value>,
    /// The version loaded for the key; `None`: the key must not exist.
    pub expected_version: Option<u64>,
    /// When the group is idle and may be swept (newest member + timespan).
    pub expires_at: Option<DateTime<Utc>>,
}

/// The result of [`DetectionStore::save_correlation_states`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SaveOutcome {
    /// Every write applied.
    Saved,
    /// These keys were changed by someone else since loaded (or exist though
    /// expected absent); nothing was written.
    Conflict(Vec<String>),
}

/// Detection records of every tenant.
#[async_trait]
pub trait DetectionStore: Send + Sync + 'static {
    /// Inserts or replaces a tenant rule and bumps the tenant's rule version.
    async fn put_rule(&self, rule: &TenantRule) -> StoreResult<()>;
    async fn get_rule(&self, tenant: &TenantId, id: &str) -> StoreResult<Option<TenantRule>>;
    /// Every rule of the tenant, by id.
    async fn list_rules(&self, tenant: &TenantId) -> StoreResult<Vec<TenantRule>>;
    /// Deletes a rule (bumping the version); false if there was none.
    async fn delete_rule(&self, tenant: &TenantId, id: &str) -> StoreResult<bool>;
    /// A counter that grows on every rule change of the tenant (0: never changed).
    async fn rules_version(&self, tenant: &TenantId) -> StoreResult<u64>;

    /// The stored states among `keys` (missing keys are absent from the result).
    async fn load_correlation_states(
        &self,
        tenant: &TenantId,
        keys: &[String],
    ) -> StoreResult<Vec<CorrelationState>>;
    /// Writes states in one transaction, each only if its row still has the
    /// expected version (bumping it); a `None` state deletes its key. On any
    /// mismatch nothing is written and the conflicting keys are returned.
    ///
    /// `alerts` (the correlation alerts these states fired, all of `tenant`)
    /// are stored in the same transaction, idempotently by id, marked
    /// *pending publication* until [`mark_alerts_published`] is called: a
    /// crash between saving the states and publishing `alert.created` leaves
    /// them for [`pending_alerts`] instead of losing them (redelivered members
    /// are already in the saved state and would not fire again).
    ///
    /// [`mark_alerts_published`]: DetectionStore::mark_alerts_published
    /// [`pending_alerts`]: DetectionStore::pending_alerts
    async fn save_correlation_states(
        &self,
        tenant: &TenantId,
        writes: &[CorrelationWrite],
        alerts: &[Alert],
    ) -> StoreResult<SaveOutcome>;
    /// Deletes states whose `expires_at` is before `now`; returns how many.
    async fn delete_expired_correlation_states(&self, now: DateTime<Utc>) -> StoreResult<u64>;
    /// Alerts of any tenant still pending publication that were created
    /// before `created_before`, oldest first, at most `limit`.
    async fn pending_alerts(
        &self,
        created_before: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<Vec<Alert>>;
    /// Clears the pending mark of these alerts; returns how many changed.
    async fn mark_alerts_published(&self, tenant: &TenantId, ids: &[String]) -> StoreResult<u64>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_ids() {
        assert!(valid_rule_id("proc-whoami_1.v2"));
        assert!(!valid_rule_id(""));
        assert!(!valid_rule_id("a/b"));
        assert!(!valid_rule_id("a b"));
        assert!(!valid_rule_id(&"x".repeat(129)));
    }
}
