//! Detection routes: per-tenant Sigma rules (validated by the binary's
//! [`DetectionCapability`](crate::detection::DetectionCapability), stored
//! through [`DetectionStore`](mcpsec_core::detection::DetectionStore) and
//! hot-reloaded by the workers) and the entity view (alerts per host and
//! user, kill-chain progression, risk score).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use mcpsec_core::ErrorCode;
use mcpsec_core::detection::{MAX_RULE_BYTES, TenantRule, valid_rule_id};
use mcpsec_core::domain::Severity;
use mcpsec_core::store::{AlertFilter, Page};
use serde::{Deserialize, Serialize};

use super::{Shared, query, tenant_param};
use crate::detection::DetectionCapability;
use crate::error::{ApiError, ErrorBody};

/// Most alerts the entity view reads per request (newest tenants rarely get
/// near it; beyond it the view covers the first alerts by id).
pub const ENTITY_VIEW_MAX_ALERTS: usize = 100_000;

fn capability(s: &super::AppState) -> Result<&dyn DetectionCapability, ApiError> {
    s.detection.as_deref().ok_or_else(|| {
        ApiError::new(
            ErrorCode::Internal,
            "detection is not enabled in this server",
        )
    })
}

fn rule_id_param(id: &str) -> Result<(), ApiError> {
    if valid_rule_id(id) {
        Ok(())
    } else {
        Err(ApiError::new(
            ErrorCode::InvalidArgument,
            format!("rule id {id:?}: 1 to 128 characters of letters, digits, '-', '_' and '.'"),
        ))
    }
}

/// The tenant's rules.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RuleList {
    pub items: Vec<TenantRule>,
}

/// Creates or replaces a tenant rule from its Sigma YAML (the request body,
/// `application/yaml` or text). The rule is parsed and compiled first; the
/// workers pick the change up on their next batch.
#[utoipa::path(put, path = "/api/v1/tenants/{tenant}/rules/{id}",
    params(("tenant" = String, Path), ("id" = String, Path)),
    request_body(content = String, content_type = "application/yaml", description = "Sigma rule YAML (one file, possibly several documents)"),
    responses(
        (status = 201, description = "Created", body = TenantRule),
        (status = 200, description = "Replaced", body = TenantRule),
        (status = 400, description = "The rule does not parse or compile; the message says why", body = ErrorBody),
        (status = 404, description = "No such tenant", body = ErrorBody)))]
pub(super) async fn put_rule(
    State(s): Shared,
    Path((tenant, id)): Path<(String, String)>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let tenant = s.existing_tenant(&tenant).await?;
    rule_id_param(&id)?;
    let bytes = super::body_bytes(body)?;
    if bytes.len() > MAX_RULE_BYTES {
        return Err(ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!(
                "rule is {} bytes; the limit is {MAX_RULE_BYTES}",
                bytes.len()
            ),
        ));
    }
    let yaml = String::from_utf8(bytes.to_vec())
        .map_err(|_| ApiError::new(ErrorCode::InvalidArgument, "rule is not UTF-8"))?;
    let others: Vec<(String, String)> = s
        .backends
        .store
        .list_rules(&tenant)
        .await?
        .into_iter()
        .filter(|r| r.id != id)
        .map(|r| (r.id, r.yaml))
        .collect();
    // Compiling in context can take a while with a large built-in set.
    let cap = s.detection.clone();
    capability(&s)?;
    let checked = {
        let yaml = yaml.clone();
        tokio::task::spawn_blocking(move || {
            cap.map(|c| c.check_rule(&yaml, &others))
                .unwrap_or_else(|| Err("detection is not enabled".into()))
        })
        .await
        .map_err(|e| ApiError::new(ErrorCode::Internal, format!("checking the rule: {e}")))?
    };
    let check = checked.map_err(|reason| {
        ApiError::new(ErrorCode::InvalidArgument, format!("rule {id:?}: {reason}"))
    })?;
    let existed = s.backends.store.get_rule(&tenant, &id).await?.is_some();
    let rule = TenantRule {
        tenant,
        id,
        title: check.title,
        level: check.level,
        yaml,
        updated_at: Utc::now(),
    };
    s.backends.store.put_rule(&rule).await?;
    let status = if existed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(rule)).into_response())
}

/// One tenant rule.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/rules/{id}",
    params(("tenant" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = TenantRule), (status = 404, body = ErrorBody)))]
pub(super) async fn get_rule(
    State(s): Shared,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<Json<TenantRule>, ApiError> {
    let tenant = tenant_param(&tenant)?;
    s.backends
        .store
        .get_rule(&tenant, &id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound, format!("rule {id:?}")))
}

/// Deletes a tenant rule; the workers drop it on their next batch.
#[utoipa::path(delete, path = "/api/v1/tenants/{tenant}/rules/{id}",
    params(("tenant" = String, Path), ("id" = String, Path)),
    responses((status = 204, description = "Deleted"), (status = 404, body = ErrorBody)))]
pub(super) async fn delete_rule(
    State(s): Shared,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let tenant = tenant_param(&tenant)?;
    if s.backends.store.delete_rule(&tenant, &id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::new(ErrorCode::NotFound, format!("rule {id:?}")))
    }
}

/// The tenant's own rules (the built-in rule directory is not listed).
#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/rules",
    params(("tenant" = String, Path)),
    responses((status = 200, body = RuleList)))]
pub(super) async fn list_rules(
    State(s): Shared,
    Path(tenant): Path<String>,
) -> Result<Json<RuleList>, ApiError> {
    let tenant = tenant_param(&tenant)?;
    Ok(Json(RuleList {
        items: s.backends.store.list_rules(&tenant).await?,
    }))
}

/// An ATT&CK tactic an entity's alerts reached.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EntityTactic {
    pub id: String,
    pub name: String,
    /// Alerts of this entity with a technique of this tactic.
    pub alerts: u64,
}

/// A host or user with its alerts.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EntityView {
    /// `host:web-1`, `user:alice`…
    pub entity: String,
    /// The part before the colon (`host`, `user`).
    pub kind: String,
    pub alerts: u64,
    pub max_severity: Severity,
    /// Alerts per severity.
    pub by_severity: BTreeMap<String, u64>,
    /// Tactics reached, in kill-chain order (reconnaissance first).
    pub tactics: Vec<EntityTactic>,
    pub techniques: Vec<String>,
    /// Distinct rules that fired.
    pub rules: u64,
    pub first_alert: DateTime<Utc>,
    pub last_alert: DateTime<Utc>,
    /// Cumulative risk score (see docs/detection.md).
    pub risk: f64,
}

/// Entities by risk, highest first.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EntityList {
    pub items: Vec<EntityView>,
    /// True when the tenant has more alerts than the view reads.
    pub truncated: bool,
}

/// Entity view parameters.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct EntityParams {
    /// Only alerts created at or after this time (RFC 3339).
    pub since: Option<DateTime<Utc>>,
    /// `host` or `user` (or another entity kind).
    pub kind: Option<String>,
    /// Most entities returned (default 100).
    pub limit: Option<usize>,
}

/// Severity weight in the risk score.
pub fn severity_weight(s: Severity) -> f64 {
    match s {
        Severity::Info => 1.0,
        Severity::Low => 2.0,
        Severity::Medium => 5.0,
        Severity::High => 10.0,
        Severity::Critical => 20.0,
    }
}

/// The risk of an entity: per rule, its highest severity weight times
/// `1 + log2(alerts of the rule)` (repeats add, with diminishing returns),
/// summed over rules, times `1 + 0.5 × (tactics reached − 1)` (progress
/// along the kill chain multiplies).
pub fn risk_score(per_rule: &[(Severity, u64)], tactics: usize) -> f64 {
    let base: f64 = per_rule
        .iter()
        .map(|(s, n)| severity_weight(*s) * (1.0 + (*n.max(&1) as f64).log2()))
        .sum();
    let breadth = 1.0 + 0.5 * (tactics.max(1) - 1) as f64;
    (base * breadth * 10.0).round() / 10.0
}

#[derive(Default)]
struct Acc {
    alerts: u64,
    max: Option<Severity>,
    by_severity: BTreeMap<String, u64>,
    tactics: HashMap<String, (usize, String, u64)>,
    techniques: BTreeSet<String>,
    rules: HashMap<String, (Severity, u64)>,
    first: Option<DateTime<Utc>>,
    last: Option<DateTime<Utc>>,
}

/// Hosts and users with their alert counts, ATT&CK tactics in kill-chain
/// order and a cumulative risk score, highest risk first.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/entities",
    params(("tenant" = String, Path), EntityParams),
    responses((status = 200, body = EntityList)))]
pub(super) async fn list_entities(
    State(s): Shared,
    Path(tenant): Path<String>,
    q: Result<Query<EntityParams>, QueryRejection>,
) -> Result<Json<EntityList>, ApiError> {
    let tenant = tenant_param(&tenant)?;
    let q = query(q)?;
    let cap = capability(&s)?;
    let mut accs: HashMap<String, Acc> = HashMap::new();
    let mut filter = AlertFilter {
        since: q.since,
        page: Page::first(Page::MAX_LIMIT),
        ..Default::default()
    };
    let mut read = 0usize;
    let mut truncated = false;
    let mut tactic_cache: HashMap<String, Vec<crate::detection::TacticInfo>> = HashMap::new();
    loop {
        let page = s.backends.store.list_alerts(&tenant, &filter).await?;
        let full = page.len() as u32 >= filter.page.limit;
        filter.page.after = page.last().map(|a| a.id.clone());
        for a in page {
            read += 1;
            let Some(entity) = a.entity.clone() else {
                continue;
            };
            let kind = entity.split_once(':').map(|(k, _)| k).unwrap_or("other");
            if q.kind.as_deref().is_some_and(|k| k != kind) {
                continue;
            }
            let acc = accs.entry(entity).or_default();
            acc.alerts += 1;
            acc.max = acc.max.max(Some(a.severity));
            *acc.by_severity.entry(a.severity.to_string()).or_default() += 1;
            let r = acc
                .rules
                .entry(a.rule_id.clone())
                .or_insert((a.severity, 0));
            r.0 = r.0.max(a.severity);
            r.1 += 1;
            acc.first = Some(acc.first.map_or(a.created_at, |f| f.min(a.created_at)));
            acc.last = Some(acc.last.map_or(a.created_at, |l| l.max(a.created_at)));
            let mut seen = BTreeSet::new();
            for t in &a.techniques {
                acc.techniques.insert(t.to_ascii_uppercase());
                let tactics = tactic_cache
                    .entry(t.to_ascii_uppercase())
                    .or_insert_with(|| cap.tactics_of(t));
                for ti in tactics.iter() {
                    if seen.insert(ti.id.clone()) {
                        let e = acc.tactics.entry(ti.id.clone()).or_insert((
                            ti.order,
                            ti.name.clone(),
                            0,
                        ));
                        e.2 += 1;
                    }
                }
            }
        }
        if !full {
            break;
        }
        if read >= ENTITY_VIEW_MAX_ALERTS {
            truncated = true;
            break;
        }
    }
    let mut items: Vec<EntityView> = accs
        .into_iter()
        .map(|(entity, acc)| {
            let mut tactics: Vec<(String, (usize, String, u64))> =
                acc.tactics.into_iter().collect();
            tactics.sort_by_key(|(id, (order, _, _))| (*order, id.clone()));
            let per_rule: Vec<(Severity, u64)> = acc.rules.values().copied().collect();
            let risk = risk_score(&per_rule, tactics.len());
            EntityView {
                kind: entity
                    .split_once(':')
                    .map(|(k, _)| k.to_string())
                    .unwrap_or_else(|| "other".into()),
                entity,
                alerts: acc.alerts,
                max_severity: acc.max.unwrap_or(Severity::Info),
                by_severity: acc.by_severity,
                tactics: tactics
                    .into_iter()
                    .map(|(id, (_, name, alerts))| EntityTactic { id, name, alerts })
                    .collect(),
                techniques: acc.techniques.into_iter().collect(),
                rules: per_rule.len() as u64,
                first_alert: acc.first.unwrap_or_default(),
                last_alert: acc.last.unwrap_or_default(),
                risk,
            }
        })
        .collect();
    items.sort_by(|a, b| {
        b.risk
            .total_cmp(&a.risk)
            .then(b.alerts.cmp(&a.alerts))
            .then(a.entity.cmp(&b.entity))
    });
    items.truncate(q.limit.unwrap_or(100).clamp(1, 10_000));
    Ok(Json(EntityList { items, truncated }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn risk_grows_with_severity_repeats_and_tactics() {
        let one_high = risk_score(&[(Severity::High, 1)], 1);
        assert_eq!(one_high, 10.0);
        assert_eq!(risk_score(&[(Severity::High, 4)], 1), 30.0);
        assert_eq!(risk_score(&[(Severity::High, 1)], 3), 20.0);
        assert!(risk_score(&[(Severity::Critical, 1)], 0) > one_high);
        assert!(
            risk_score(&[(Severity::Low, 1000)], 1) < risk_score(&[(Severity::Critical, 1)], 2),
            "a noisy low rule does not outrank a critical one across tactics"
        );
    }
}
