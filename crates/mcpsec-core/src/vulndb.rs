//! The vulnerability database in the store: advisories (OSV records, and
//! CVSS-only records derived from NVD CVE JSON), CISA KEV entries and EPSS
//! scores, imported offline by `mcpsec db import` and read by `mcpsec scan`.
//!
//! **Global reference data.** Everything here describes public packages and
//! public CVEs, not a tenant's systems: it is imported once for the whole
//! installation and read by every tenant, so no method takes a
//! [`TenantId`](crate::TenantId) and no row carries one (like
//! [`Vulnerability`](crate::domain::Vulnerability)). Tenant-owned results of
//! matching (findings) live in the tenant tables.
//!
//! The store does not interpret advisories: callers (`mcpsec-vuln`) parse and
//! validate the OSV JSON, compute the package keys (ecosystem without its
//! `:release` suffix, name normalised the way the matcher looks it up) and
//! hand over the raw JSON, which the store returns unchanged.
//!
//! [`VulnDbStore`] is a supertrait of [`Store`](crate::store::Store); the
//! conformance suite `mcpsec-testkit::vulndb` checks every backend.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::store::StoreResult;

/// Where an advisory came from (the `source` column; free text, these are
/// the values mcpsec writes).
pub mod source {
    /// OSV records (osv.dev exports, GHSA, distro feeds in OSV format).
    pub const OSV: &str = "osv";
    /// CVSS-only records derived from NVD CVE JSON 2.0.
    pub const NVD: &str = "nvd";
}

/// A package an advisory affects, as the matcher looks it up.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PackageKey {
    /// OSV ecosystem without release suffix (`Debian`, not `Debian:12`).
    pub ecosystem: String,
    /// Package name, normalised by the caller (PEP 503 for PyPI…).
    pub name: String,
}

impl PackageKey {
    pub fn new(ecosystem: impl Into<String>, name: impl Into<String>) -> PackageKey {
        PackageKey {
            ecosystem: ecosystem.into(),
            name: name.into(),
        }
    }
}

/// One stored advisory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdvisoryRecord {
    /// The advisory id (`GHSA-…`, `GO-…`, `CVE-…`); unique across sources.
    pub id: String,
    /// [`source::OSV`], [`source::NVD`], or another importer's name.
    pub source: String,
    /// Ecosystems of the record as written (`Debian:12` included), for status.
    pub ecosystems: Vec<String>,
    /// Packages it affects; empty for a withdrawn record (it matches nothing).
    pub packages: Vec<PackageKey>,
    pub modified: DateTime<Utc>,
    pub withdrawn: Option<DateTime<Utc>>,
    /// The record as imported.
    pub raw: serde_json::Value,
}

/// What an [`VulnDbStore::upsert_advisories`] call did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct UpsertCounts {
    /// New ids.
    pub inserted: u64,
    /// Known ids whose stored `modified` was older.
    pub updated: u64,
    /// Known ids whose stored `modified` was newer or equal: left alone.
    pub unchanged: u64,
}

impl UpsertCounts {
    pub fn add(&mut self, o: UpsertCounts) {
        self.inserted += o.inserted;
        self.updated += o.updated;
        self.unchanged += o.unchanged;
    }
}

/// One CISA Known Exploited Vulnerabilities catalog entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KevEntry {
    pub cve: String,
    pub date_added: Option<NaiveDate>,
    /// `knownRansomwareCampaignUse` is `Known`.
    pub known_ransomware: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor_project: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_date: Option<NaiveDate>,
}

/// One FIRST EPSS score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpssScore {
    pub cve: String,
    /// Probability of exploitation activity in the next 30 days, 0–1.
    pub score: f64,
    /// Percentile among all scored CVEs, 0–1.
    pub percentile: f64,
    /// The score date (`score_date` of the CSV header), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_version: Option<String>,
}

/// Advisory counts of one source and ecosystem.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceCount {
    pub source: String,
    /// Ecosystem base (`Debian`); empty for records without packages.
    pub ecosystem: String,
    /// Advisories (withdrawn ones included).
    pub records: u64,
    pub withdrawn: u64,
    pub newest_modified: Option<DateTime<Utc>>,
}

/// Everything `mcpsec db status` shows.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct VulnDbStatus {
    /// Ordered by source, then ecosystem.
    pub advisories: Vec<SourceCount>,
    pub kev_entries: u64,
    pub kev_newest_date_added: Option<NaiveDate>,
    pub epss_scores: u64,
    pub epss_newest_date: Option<NaiveDate>,
}

/// What one `mcpsec db import` changed, kept in the store (an outbox) until
/// the service has published it as `vulndb.updated` to every tenant.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct VulnDbChange {
    /// Assigned by the store ([`VulnDbStore::record_vulndb_change`]); ascending.
    #[serde(default)]
    pub seq: u64,
    pub at: DateTime<Utc>,
    /// Ecosystem bases (`Debian`, not `Debian:12`) of the advisories added,
    /// updated or withdrawn; sorted, unique.
    pub ecosystems: Vec<String>,
    /// Ids of those advisories (at most [`VulnDbChange::MAX_IDS`]; see `truncated`).
    pub advisory_ids: Vec<String>,
    /// More advisories changed than `advisory_ids` names.
    #[serde(default)]
    pub truncated: bool,
    /// KEV entries and EPSS scores written (they change the KEV flag, EPSS
    /// and risk score of existing findings in every ecosystem).
    #[serde(default)]
    pub kev_entries: u64,
    #[serde(default)]
    pub epss_scores: u64,
}

impl VulnDbChange {
    pub const MAX_IDS: usize = 10_000;

    /// Whether anything changed at all.
    pub fn is_empty(&self) -> bool {
        self.ecosystems.is_empty()
            && self.advisory_ids.is_empty()
            && !self.truncated
            && self.kev_entries == 0
            && self.epss_scores == 0
    }
}

/// The vulnerability reference data (global, not tenant-scoped).
#[async_trait]
pub trait VulnDbStore: Send + Sync + 'static {
    /// Inserts new advisories and replaces stored ones whose `modified` is
    /// older; a stored advisory with a newer or equal `modified` is left
    /// unchanged (so re-importing the same export is cheap and idempotent).
    /// A replaced advisory's package keys are replaced too. Duplicate ids in
    /// one call: the newest `modified` wins.
    async fn upsert_advisories(&self, records: &[AdvisoryRecord]) -> StoreResult<UpsertCounts> {
        Ok(self.upsert_advisories_changed(records).await?.0)
    }
    /// [`VulnDbStore::upsert_advisories`], also returning the ids it
    /// inserted or updated (sorted).
    async fn upsert_advisories_changed(
        &self,
        records: &[AdvisoryRecord],
    ) -> StoreResult<(UpsertCounts, Vec<String>)>;
    /// Every advisory affecting any of `packages` (deduplicated, by id).
    async fn advisories_for_packages(
        &self,
        packages: &[PackageKey],
    ) -> StoreResult<Vec<AdvisoryRecord>>;
    /// The advisories with these ids (missing ids are absent), by id.
    async fn advisories_by_id(&self, ids: &[String]) -> StoreResult<Vec<AdvisoryRecord>>;

    /// Inserts or replaces KEV entries (keyed by CVE); returns how many were written.
    async fn upsert_kev(&self, entries: &[KevEntry]) -> StoreResult<u64>;
    /// The KEV entries of these CVEs (missing ones absent).
    async fn kev_entries(&self, cves: &[String]) -> StoreResult<Vec<KevEntry>>;

    /// Inserts or replaces EPSS scores (keyed by CVE); returns how many were written.
    async fn upsert_epss(&self, scores: &[EpssScore]) -> StoreResult<u64>;
    /// The EPSS scores of these CVEs (missing ones absent).
    async fn epss_scores(&self, cves: &[String]) -> StoreResult<Vec<EpssScore>>;

    /// Counts per source and ecosystem with the newest `modified`, and the
    /// KEV and EPSS totals.
    async fn vulndb_status(&self) -> StoreResult<VulnDbStatus>;

    /// Keeps `change` (its `seq` is ignored; the store assigns the next one)
    /// as pending publication.
    async fn record_vulndb_change(&self, change: &VulnDbChange) -> StoreResult<()>;
    /// The oldest changes not yet marked published, at most `limit`, by `seq`.
    async fn pending_vulndb_changes(&self, limit: u32) -> StoreResult<Vec<VulnDbChange>>;
    /// Marks a change published (idempotent; unknown `seq` is not an error).
    async fn mark_vulndb_change_published(&self, seq: u64) -> StoreResult<()>;
}
