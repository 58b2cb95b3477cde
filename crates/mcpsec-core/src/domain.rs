//! The domain model: what the platform stores about each tenant.
//!
//! Every tenant-owned record carries its [`TenantId`]; the store scopes every
//! query by it. Vulnerability advisories ([`Vulnerability`]) are the one kind
//! of shared reference data: they describe public packages, not a tenant's
//! systems, and are imported once for all tenants.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::TenantId;

macro_rules! string_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident => $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
                 schemars::JsonSchema, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vm])* $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $s),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.as_str()) }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($s => Ok($name::$variant),)+
                    other => Err(format!(
                        "unknown {} {other:?}; expected one of: {}",
                        stringify!($name),
                        [$($s),+].join(", ")
                    )),
                }
            }
        }
    };
}

string_enum!(
    /// Severity shared by findings, alerts and rules; ordered from least to most severe.
    Severity {
        Info => "info",
        Low => "low",
        Medium => "medium",
        High => "high",
        Critical => "critical",
    }
);

string_enum!(
    /// What kind of thing an asset is.
    AssetKind {
        Repository => "repository",
        ContainerImage => "container_image",
        Host => "host",
        Cluster => "cluster",
        CloudAccount => "cloud_account",
        McpServer => "mcp_server",
        Application => "application",
        Other => "other",
    }
);

string_enum!(
    /// The lifecycle of a finding.
    FindingStatus {
        /// Newly found, nobody has looked at it.
        Open => "open",
        /// Someone looked at it and confirmed it needs work.
        Triaged => "triaged",
        /// Not a real issue.
        FalsePositive => "false_positive",
        /// Real, but the risk is accepted (usually until an expiry).
        AcceptedRisk => "accepted_risk",
        /// No longer present.
        Fixed => "fixed",
    }
);

impl FindingStatus {
    /// Whether a finding may move from `self` to `to`.
    ///
    /// A fixed finding reopens when it comes back; any closed state can be
    /// reopened by a person; moving to the same state is not a transition.
    pub fn can_transition_to(self, to: FindingStatus) -> bool {
        use FindingStatus::*;
        match (self, to) {
            (a, b) if a == b => false,
            (Open, _) => true,
            (Triaged, _) => true,
            (FalsePositive, Open | Triaged) => true,
            (AcceptedRisk, Open | Triaged | Fixed) => true,
            (Fixed, Open) => true,
            _ => false,
        }
    }

    /// Whether the finding still needs attention.
    pub fn is_active(self) -> bool {
        matches!(self, FindingStatus::Open | FindingStatus::Triaged)
    }
}

/// A customer of the platform. All other records hang off a tenant.
#[derive(
    Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema, utoipa::ToSchema,
)]
pub struct Tenant {
    pub id: TenantId,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

/// Something a tenant owns and wants secured: a repository, an image, a host,
/// a cluster, an MCP server… Projects are assets of kind `application`.
#[derive(
    Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema, utoipa::ToSchema,
)]
pub struct Asset {
    pub tenant: TenantId,
    pub id: String,
    pub name: String,
    pub kind: AssetKind,
    /// How much it matters to the business; feeds risk scores.
    pub criticality: Severity,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A software component found in an asset (a package, a library, an OS package).
#[derive(
    Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema, utoipa::ToSchema,
)]
pub struct Component {
    pub tenant: TenantId,
    pub id: String,
    pub asset_id: String,
    pub name: String,
    pub version: String,
    /// Package URL, when known.
    pub purl: Option<String>,
    /// OSV ecosystem name, when known (e.g. `npm`, `PyPI`, `Debian:12`).
    pub ecosystem: Option<String>,
    #[serde(default)]
    pub licenses: Vec<String>,
}

/// A public vulnerability advisory (shared reference data, not tenant-owned).
#[derive(
    Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema, utoipa::ToSchema,
)]
pub struct Vulnerability {
    pub id: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    pub summary: String,
    pub severity: Severity,
    pub cvss_score: Option<f64>,
    pub published: Option<DateTime<Utc>>,
    pub modified: DateTime<Utc>,
}

/// A problem found in a tenant's asset: a vulnerable component, a
/// misconfiguration, a risky MCP tool. Findings have a lifecycle.
#[derive(
    Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema, utoipa::ToSchema,
)]
pub struct Finding {
    pub tenant: TenantId,
    pub id: String,
    pub asset_id: String,
    pub component_id: Option<String>,
    /// The advisory or rule behind the finding (e.g. `GHSA-…`, `CVE-…`, a policy id).
    pub rule_id: String,
    pub title: String,
    pub severity: Severity,
    pub status: FindingStatus,
    /// Why the status was last changed (a triage note, a VEX justification…).
    pub status_reason: Option<String>,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The vulnerability (or an alias) is in CISA's Known Exploited
    /// Vulnerabilities catalog.
    #[serde(default)]
    pub kev: bool,
    /// FIRST EPSS probability of exploitation in the next 30 days (0–1), when known.
    #[serde(default)]
    pub epss: Option<f64>,
    /// Versions that fix it, smallest upgrade first; empty when no fix is known.
    #[serde(default)]
    pub fixed_versions: Vec<String>,
    /// The documented risk score (0–10; severity/CVSS, KEV, EPSS, asset
    /// criticality — docs/supply-chain.md), for "fix first" ordering.
    #[serde(default)]
    pub risk_score: Option<f64>,
}

impl Finding {
    /// Whether a fixed version is known.
    pub fn fixable(&self) -> bool {
        !self.fixed_versions.is_empty()
    }
}

/// One lifecycle change of a finding: its triage history, oldest first.
/// The creation of a finding is a change with `from: None`.
#[derive(
    Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema, utoipa::ToSchema,
)]
pub struct FindingChange {
    pub finding_id: String,
    pub at: DateTime<Utc>,
    /// Who made it: the authenticated principal (`user:alice`, `key:…`) or
    /// the service (`mcpsec://vuln`); `None` when not known.
    pub author: Option<String>,
    /// The status before; `None` when the finding was created.
    pub from: Option<FindingStatus>,
    pub to: FindingStatus,
    /// The justification or comment given with the change.
    pub reason: Option<String>,
}

/// A detection that fired: a Sigma rule match, an IOC hit, a correlation.
#[derive(
    Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema, utoipa::ToSchema,
)]
pub struct Alert {
    pub tenant: TenantId,
    pub id: String,
    pub rule_id: String,
    pub title: String,
    pub severity: Severity,
    /// The host or user the alert is about, when known (`host:web-1`, `user:alice`).
    pub entity: Option<String>,
    /// MITRE ATT&CK technique ids (e.g. `T1059.001`).
    #[serde(default)]
    pub techniques: Vec<String>,
    /// Ids of the events that contributed.
    #[serde(default)]
    pub event_ids: Vec<String>,
    pub created_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_orders() {
        assert!(Severity::Critical > Severity::High);
        assert!(Severity::Info < Severity::Low);
        assert_eq!("high".parse::<Severity>(), Ok(Severity::High));
        let err = "urgent".parse::<Severity>().unwrap_err();
        assert!(err.contains("expected one of"), "{err}");
    }

    #[test]
    fn lifecycle_rules() {
        use FindingStatus::*;
        assert!(Open.can_transition_to(Triaged));
        assert!(Open.can_transition_to(Fixed));
        assert!(Fixed.can_transition_to(Open));
        assert!(!Fixed.can_transition_to(AcceptedRisk));
        assert!(!FalsePositive.can_transition_to(Fixed));
        for s in FindingStatus::ALL {
            assert!(
                !s.can_transition_to(*s),
                "{s} -> {s} must not be a transition"
            );
        }
        assert!(Triaged.is_active());
        assert!(!Fixed.is_active());
    }

    #[test]
    fn status_serde_matches_display() {
        for s in FindingStatus::ALL {
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
    }
}
