//! Posture routes: scans of an asset's infrastructure definitions (run by the
//! binary's [`PostureCapability`](crate::posture::PostureCapability), stored
//! through [`PostureStore`](mcpsec_core::posture::PostureStore), announced as
//! `posture.scanned`), the asset's latest posture and score history, and
//! compliance per framework across the tenant's latest scans, and the
//! tenant's custom Rego policies (`…/posture/policies`), compiled on upload
//! and evaluated next to the built-in pack in that tenant's scans only.
//!
//! Request body of `POST …/posture/scans` (see docs/posture.md):
//! - one file as the raw body, named by `?filename=deploy.yaml` or typed by
//!   `?kind=kubernetes|dockerfile|terraform|terraform-plan|github-actions|gitlab-ci|cloud`;
//! - or, without either parameter, a JSON object `{"files": {"name": "content", …}}`
//!   for several files (e.g. a Terraform module with its `.tfvars`).

use std::collections::BTreeMap;

use axum::Extension;
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use mcpsec_core::ErrorCode;
use mcpsec_core::auth::Principal;
use mcpsec_core::event::{Event, PostureScanned};
use mcpsec_core::posture::{
    FrameworkOutcome, MAX_POLICIES_PER_TENANT, MAX_POLICY_SOURCE_LEN, PosturePolicy, PostureScan,
    valid_asset_id,
};
use serde::{Deserialize, Serialize};

use super::{Shared, query, tenant_param};
use crate::error::{ApiError, ErrorBody};
use crate::posture::{CustomPolicy, PostureCapability, PostureInput};

/// Most files in one scan request.
pub const MAX_SCAN_FILES: usize = 1000;

fn capability(s: &super::AppState) -> Result<std::sync::Arc<dyn PostureCapability>, ApiError> {
    s.posture.clone().ok_or_else(|| {
        ApiError::new(
            ErrorCode::Internal,
            "posture scanning is not enabled in this server",
        )
    })
}

fn asset_param(raw: &str) -> Result<String, ApiError> {
    if valid_asset_id(raw) {
        Ok(raw.to_string())
    } else {
        Err(ApiError::new(
            ErrorCode::InvalidArgument,
            format!("asset {raw:?}: 1 to 128 characters of letters, digits, '-', '_', '.' and ':'"),
        ))
    }
}

/// A file name from the request: relative, `/`-separated, no `..`.
fn file_name_param(raw: &str) -> Result<String, ApiError> {
    let bad = |why: &str| {
        ApiError::new(
            ErrorCode::InvalidArgument,
            format!("file name {raw:?}: {why}"),
        )
    };
    if raw.is_empty() || raw.len() > 512 {
        return Err(bad("1 to 512 characters"));
    }
    if raw.starts_with('/') || raw.contains('\\') || raw.contains('\0') {
        return Err(bad("must be a relative path with '/' separators"));
    }
    if raw
        .split('/')
        .any(|c| c.is_empty() || c == "." || c == "..")
    {
        return Err(bad("empty, '.' or '..' path components are not allowed"));
    }
    Ok(raw.to_string())
}

/// The file name a `?kind=` stands for (the scanner picks parsers by name,
/// then by content).
fn kind_file_name(kind: &str) -> Result<&'static str, ApiError> {
    Ok(match kind.to_ascii_lowercase().as_str() {
        "kubernetes" | "k8s" | "github-actions" => "input.yaml",
        "cloud" | "aws" | "azure" | "gcp" | "terraform-plan" | "json" => "input.json",
        "ndjson" | "jsonl" => "input.ndjson",
        "dockerfile" => "Dockerfile",
        "terraform" | "hcl" => "main.tf",
        "gitlab-ci" => ".gitlab-ci.yml",
        other => {
            return Err(ApiError::new(
                ErrorCode::InvalidArgument,
                format!(
                    "kind {other:?}: expected one of kubernetes, dockerfile, terraform, \
                     terraform-plan, github-actions, gitlab-ci, cloud"
                ),
            ));
        }
    })
}

/// How to read the body of `POST …/posture/scans`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ScanParams {
    /// Name of the single file in the body (picks the parser).
    pub filename: Option<String>,
    /// Input kind of the single file in the body (when no `filename`):
    /// kubernetes, dockerfile, terraform, terraform-plan, github-actions,
    /// gitlab-ci, cloud.
    pub kind: Option<String>,
}

/// Several files in one scan.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScanFiles {
    /// File name (relative path) → content.
    pub files: BTreeMap<String, String>,
}

/// A framework's score in one scan.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FrameworkScore {
    pub id: String,
    pub score: f64,
    pub passed: u64,
    pub failed: u64,
    pub manual: u64,
}

/// A scan without its findings and control details.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ScanSummary {
    pub id: String,
    pub asset_id: String,
    pub created_at: DateTime<Utc>,
    pub files: u64,
    pub resources: u64,
    pub passed: u64,
    pub failed: u64,
    pub score: f64,
    /// Findings per severity.
    pub by_severity: BTreeMap<String, u64>,
    pub frameworks: Vec<FrameworkScore>,
    pub input_errors: Vec<String>,
    /// The `posture.scanned` event (only in the answer to a new scan).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
}

impl ScanSummary {
    fn of(s: &PostureScan) -> ScanSummary {
        let mut by_severity = BTreeMap::new();
        for f in &s.findings {
            *by_severity.entry(f.severity.to_string()).or_default() += 1;
        }
        ScanSummary {
            id: s.id.clone(),
            asset_id: s.asset_id.clone(),
            created_at: s.created_at,
            files: s.files,
            resources: s.resources,
            passed: s.passed,
            failed: s.failed,
            score: s.score,
            by_severity,
            frameworks: s
                .frameworks
                .iter()
                .map(|f| FrameworkScore {
                    id: f.id.clone(),
                    score: f.score,
                    passed: f.passed,
                    failed: f.failed,
                    manual: f.manual,
                })
                .collect(),
            input_errors: s.input_errors.clone(),
            event_id: None,
        }
    }
}

/// A page of scan summaries, oldest first; pass `next_cursor` as `after`.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ScanHistory {
    pub items: Vec<ScanSummary>,
    pub next_cursor: Option<String>,
}

fn read_inputs(
    body: Result<Bytes, BytesRejection>,
    q: ScanParams,
) -> Result<Vec<PostureInput>, ApiError> {
    let bytes = super::body_bytes(body)?;
    if bytes.is_empty() {
        return Err(ApiError::new(
            ErrorCode::InvalidArgument,
            "empty body: send one file (with ?filename= or ?kind=) or {\"files\": {name: content}}",
        ));
    }
    let single = match (&q.filename, &q.kind) {
        (Some(f), _) => Some(file_name_param(f)?),
        (None, Some(k)) => Some(kind_file_name(k)?.to_string()),
        (None, None) => None,
    };
    if let Some(name) = single {
        let content = String::from_utf8(bytes.to_vec())
            .map_err(|_| ApiError::new(ErrorCode::InvalidArgument, format!("{name}: not UTF-8")))?;
        return Ok(vec![PostureInput { name, content }]);
    }
    let files: ScanFiles = serde_json::from_slice(&bytes).map_err(|e| {
        ApiError::new(
            ErrorCode::InvalidArgument,
            format!(
                "body is not {{\"files\": {{name: content}}}} ({e}); to send one file, \
                 name it with ?filename= or type it with ?kind="
            ),
        )
    })?;
    if files.files.is_empty() {
        return Err(ApiError::new(ErrorCode::InvalidArgument, "files is empty"));
    }
    if files.files.len() > MAX_SCAN_FILES {
        return Err(ApiError::new(
            ErrorCode::InvalidArgument,
            format!(
                "{} files; at most {MAX_SCAN_FILES} per scan",
                files.files.len()
            ),
        ));
    }
    files
        .files
        .into_iter()
        .map(|(name, content)| {
            Ok(PostureInput {
                name: file_name_param(&name)?,
                content,
            })
        })
        .collect()
}

/// The tenant's custom policies, as the capability takes them.
async fn custom_policies(
    s: &super::AppState,
    tenant: &mcpsec_core::TenantId,
) -> Result<Vec<CustomPolicy>, ApiError> {
    Ok(s.backends
        .store
        .list_posture_policies(tenant)
        .await?
        .into_iter()
        .map(|p| CustomPolicy {
            id: p.id,
            source: p.source,
        })
        .collect())
}

/// Scans an asset's infrastructure definitions with the built-in policy
/// pack and the tenant's custom policies, evaluates every built-in compliance framework, stores the scan and
/// publishes `posture.scanned` (durably) before answering.
#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/assets/{asset}/posture/scans",
    params(("tenant" = String, Path), ("asset" = String, Path), ScanParams),
    request_body(content = String, description = "One file (name it with ?filename= or type it with ?kind=), or {\"files\": {name: content}}"),
    responses(
        (status = 201, description = "Scanned and stored", body = ScanSummary),
        (status = 400, description = "Bad parameters or body, or no input could be read; the message says why", body = ErrorBody),
        (status = 404, description = "No such tenant", body = ErrorBody)))]
pub(super) async fn create_scan(
    State(s): Shared,
    Path((tenant, asset)): Path<(String, String)>,
    q: Result<Query<ScanParams>, QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let tenant = s.existing_tenant(&tenant).await?;
    let asset = asset_param(&asset)?;
    let q = query(q)?;
    let inputs = read_inputs(body, q)?;
    let cap = capability(&s)?;
    let custom = custom_policies(&s, &tenant).await?;
    let outcome = tokio::task::spawn_blocking(move || cap.scan(&inputs, &custom))
        .await
        .map_err(|e| ApiError::new(ErrorCode::Internal, format!("scanning: {e}")))?
        .map_err(|reason| ApiError::new(ErrorCode::InvalidArgument, reason))?;
    if outcome.resources == 0 && !outcome.input_errors.is_empty() {
        return Err(ApiError::new(
            ErrorCode::InvalidArgument,
            format!(
                "no input could be read: {}",
                outcome.input_errors.join("; ")
            ),
        ));
    }
    if outcome.resources == 0 {
        return Err(ApiError::new(
            ErrorCode::InvalidArgument,
            "no resource found in the input (not a Kubernetes manifest, Terraform, Dockerfile, \
             CI workflow or cloud inventory?)",
        ));
    }
    let scan = PostureScan {
        tenant: tenant.clone(),
        asset_id: asset.clone(),
        id: uuid::Uuid::now_v7().to_string(),
        created_at: Utc::now(),
        files: outcome.files,
        resources: outcome.resources,
        passed: outcome.passed,
        failed: outcome.failed,
        score: outcome.score,
        findings: outcome.findings,
        frameworks: outcome.frameworks,
        input_errors: outcome.input_errors,
    };
    s.backends.store.insert_posture_scan(&scan).await?;
    let event = Event::new(
        tenant.clone(),
        "mcpsec://posture",
        Some(asset.clone()),
        &PostureScanned {
            asset_id: asset,
            scan_id: scan.id.clone(),
            passed: scan.passed,
            failed: scan.failed,
            score: scan.score,
        },
    );
    s.publish(std::slice::from_ref(&event)).await?;
    tracing::info!(%tenant, asset = %scan.asset_id, scan = %scan.id, score = scan.score, findings = scan.findings.len(), "posture scan stored");
    let mut summary = ScanSummary::of(&scan);
    summary.event_id = Some(event.id);
    Ok((StatusCode::CREATED, Json(summary)).into_response())
}

/// The asset's latest scan with its findings and per-framework controls.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/assets/{asset}/posture",
    params(("tenant" = String, Path), ("asset" = String, Path)),
    responses((status = 200, body = PostureScan), (status = 404, description = "The asset was never scanned", body = ErrorBody)))]
pub(super) async fn latest_posture(
    State(s): Shared,
    Path((tenant, asset)): Path<(String, String)>,
) -> Result<Json<PostureScan>, ApiError> {
    let tenant = tenant_param(&tenant)?;
    let asset = asset_param(&asset)?;
    s.backends
        .store
        .latest_posture_scan(&tenant, &asset)
        .await?
        .map(Json)
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::NotFound,
                format!("asset {asset:?} has no posture scan"),
            )
        })
}

/// The asset's scans, oldest first, with the score per framework of each
/// (the trend over time).
#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/assets/{asset}/posture/scans",
    params(("tenant" = String, Path), ("asset" = String, Path), super::PageParams),
    responses((status = 200, body = ScanHistory)))]
pub(super) async fn list_scans(
    State(s): Shared,
    Path((tenant, asset)): Path<(String, String)>,
    q: Result<Query<super::PageParams>, QueryRejection>,
) -> Result<Json<ScanHistory>, ApiError> {
    let tenant = tenant_param(&tenant)?;
    let asset = asset_param(&asset)?;
    let page = query(q)?.page();
    let scans = s
        .backends
        .store
        .list_posture_scans(&tenant, &asset, &page)
        .await?;
    let next_cursor = if scans.len() as u32 >= page.limit {
        scans.last().map(|x| x.id.clone())
    } else {
        None
    };
    Ok(Json(ScanHistory {
        items: scans.iter().map(ScanSummary::of).collect(),
        next_cursor,
    }))
}

/// One asset's result for a control.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AssetControl {
    pub asset_id: String,
    pub scan_id: String,
    pub status: String,
    pub evidence: Vec<String>,
}

/// A control across the tenant's assets: `fail` if it fails on any asset,
/// `pass` if it passes on at least one and fails on none, else `manual`.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ComplianceControl {
    pub id: String,
    pub title: String,
    pub status: String,
    pub assets: Vec<AssetControl>,
}

/// A framework across the tenant's latest scan of each asset.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ComplianceReport {
    pub framework: String,
    pub title: String,
    /// Assets with a scan.
    pub assets: u64,
    pub passed: u64,
    pub failed: u64,
    pub manual: u64,
    /// Passing share of the controls that are pass or fail, 0 to 100.
    pub score: f64,
    pub controls: Vec<ComplianceControl>,
}

/// Aggregates one framework over the latest scans (one per asset).
pub fn compliance(framework: &str, title: &str, latest: &[PostureScan]) -> ComplianceReport {
    let mut controls: Vec<ComplianceControl> = Vec::new();
    let mut title = title.to_string();
    for scan in latest {
        let Some(fw) = scan
            .frameworks
            .iter()
            .find(|f| f.id.eq_ignore_ascii_case(framework))
        else {
            continue;
        };
        let FrameworkOutcome {
            title: t,
            controls: cs,
            ..
        } = fw;
        if title.is_empty() {
            title = t.clone();
        }
        for c in cs {
            let idx = match controls.iter().position(|x| x.id == c.id) {
                Some(i) => i,
                None => {
                    controls.push(ComplianceControl {
                        id: c.id.clone(),
                        title: c.title.clone(),
                        status: "manual".into(),
                        assets: Vec::new(),
                    });
                    controls.len() - 1
                }
            };
            let cc = &mut controls[idx];
            cc.status = match (cc.status.as_str(), c.status.as_str()) {
                ("fail", _) | (_, "fail") => "fail",
                ("pass", _) | (_, "pass") => "pass",
                _ => "manual",
            }
            .to_string();
            cc.assets.push(AssetControl {
                asset_id: scan.asset_id.clone(),
                scan_id: scan.id.clone(),
                status: c.status.clone(),
                evidence: c.evidence.clone(),
            });
        }
    }
    let count = |st: &str| controls.iter().filter(|c| c.status == st).count() as u64;
    let (passed, failed, manual) = (count("pass"), count("fail"), count("manual"));
    let score = if passed + failed == 0 {
        0.0
    } else {
        (passed as f64 * 1000.0 / (passed + failed) as f64).round() / 10.0
    };
    ComplianceReport {
        framework: framework.to_string(),
        title,
        assets: latest.len() as u64,
        passed,
        failed,
        manual,
        score,
        controls,
    }
}

/// Compliance with a framework across the tenant's latest scan of each
/// asset: per control pass/fail/manual with the evidence of each asset, and
/// a score.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/compliance/{framework}",
    params(("tenant" = String, Path), ("framework" = String, Path, description = "Framework id, e.g. cis-kubernetes, soc2, pci-dss")),
    responses((status = 200, body = ComplianceReport), (status = 404, description = "Unknown framework", body = ErrorBody)))]
pub(super) async fn get_compliance(
    State(s): Shared,
    Path((tenant, framework)): Path<(String, String)>,
) -> Result<Json<ComplianceReport>, ApiError> {
    let tenant = tenant_param(&tenant)?;
    let latest = s.backends.store.latest_posture_scans(&tenant).await?;
    let known: Vec<(String, String)> = s
        .posture
        .as_ref()
        .map(|c| c.frameworks())
        .unwrap_or_default();
    let title = known
        .iter()
        .find(|(id, _)| id.eq_ignore_ascii_case(&framework))
        .map(|(_, t)| t.clone());
    let in_scans = latest.iter().any(|sc| {
        sc.frameworks
            .iter()
            .any(|f| f.id.eq_ignore_ascii_case(&framework))
    });
    if title.is_none() && !in_scans {
        let ids: Vec<&str> = known.iter().map(|(id, _)| id.as_str()).collect();
        return Err(ApiError::new(
            ErrorCode::NotFound,
            format!(
                "framework {framework:?} is unknown; known: {}",
                ids.join(", ")
            ),
        ));
    }
    let id = known
        .iter()
        .find(|(id, _)| id.eq_ignore_ascii_case(&framework))
        .map(|(id, _)| id.clone())
        .unwrap_or(framework);
    Ok(Json(compliance(
        &id,
        title.as_deref().unwrap_or(""),
        &latest,
    )))
}

/// A policy id in a route: 1 to 64 characters of letters, digits, `-`,
/// `_` and `.`.
fn policy_id_param(raw: &str) -> Result<String, ApiError> {
    if !raw.is_empty()
        && raw.len() <= 64
        && raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        Ok(raw.to_string())
    } else {
        Err(ApiError::new(
            ErrorCode::InvalidArgument,
            format!("policy id {raw:?}: 1 to 64 characters of letters, digits, '-', '_' and '.'"),
        ))
    }
}

/// The tenant's custom policies.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PolicyList {
    pub items: Vec<PosturePolicy>,
}

/// Creates or replaces a custom policy of the tenant from its Rego module
/// (the request body). The module needs a METADATA block whose `custom.id`
/// is the `{id}` of the route (plus `custom.severity` and `custom.input`);
/// it is compiled with the built-in libraries first and refused, with the
/// line of the error, if it does not compile. The tenant's next scans
/// evaluate it next to the built-in pack; other tenants never see it.
#[utoipa::path(put, path = "/api/v1/tenants/{tenant}/posture/policies/{id}",
    params(("tenant" = String, Path), ("id" = String, Path, description = "Check id, as in the module's METADATA custom.id")),
    request_body(content = String, content_type = "text/plain", description = "Rego module with a METADATA block"),
    responses(
        (status = 201, description = "Created", body = PosturePolicy),
        (status = 200, description = "Replaced", body = PosturePolicy),
        (status = 400, description = "The module does not parse or compile (the message names the policy and line), its id differs from the route's, or the tenant has too many policies", body = ErrorBody),
        (status = 404, description = "No such tenant", body = ErrorBody),
        (status = 413, description = "Module larger than 256 KiB", body = ErrorBody)))]
pub(super) async fn put_policy(
    State(s): Shared,
    Extension(principal): Extension<Principal>,
    Path((tenant, id)): Path<(String, String)>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let tenant = s.existing_tenant(&tenant).await?;
    let id = policy_id_param(&id)?;
    let bytes = super::body_bytes(body)?;
    if bytes.len() > MAX_POLICY_SOURCE_LEN {
        return Err(ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!(
                "policy {id}: {} bytes; the limit is {MAX_POLICY_SOURCE_LEN}",
                bytes.len()
            ),
        ));
    }
    let source = String::from_utf8(bytes.to_vec()).map_err(|_| {
        ApiError::new(
            ErrorCode::InvalidArgument,
            format!("policy {id}: not UTF-8"),
        )
    })?;
    let existing = s.backends.store.list_posture_policies(&tenant).await?;
    let previous = existing.iter().find(|p| p.id == id).cloned();
    if previous.is_none() && existing.len() >= MAX_POLICIES_PER_TENANT {
        return Err(ApiError::new(
            ErrorCode::InvalidArgument,
            format!("the tenant has {MAX_POLICIES_PER_TENANT} custom policies, the most allowed"),
        ));
    }
    let others: Vec<CustomPolicy> = existing
        .into_iter()
        .filter(|p| p.id != id)
        .map(|p| CustomPolicy {
            id: p.id,
            source: p.source,
        })
        .collect();
    let cap = capability(&s)?;
    let name = format!("{id}.rego");
    let checked = {
        let source = source.clone();
        tokio::task::spawn_blocking(move || cap.check_policy(&name, &source, &others))
            .await
            .map_err(|e| ApiError::new(ErrorCode::Internal, format!("checking the policy: {e}")))?
    }
    .map_err(|reason| {
        ApiError::new(ErrorCode::InvalidArgument, format!("policy {id}: {reason}"))
    })?;
    if checked.id != id {
        return Err(ApiError::new(
            ErrorCode::InvalidArgument,
            format!(
                "policy {id}: the module's METADATA custom.id is {:?}; it must be the id of the route",
                checked.id
            ),
        ));
    }
    let now = Utc::now();
    let policy = PosturePolicy {
        tenant: tenant.clone(),
        id: id.clone(),
        title: checked.title,
        severity: checked.severity,
        input: checked.input,
        package: checked.package,
        source,
        created_at: previous.as_ref().map_or(now, |p| p.created_at),
        updated_at: now,
    };
    let created = s.backends.store.put_posture_policy(&policy).await?;
    crate::auth::audit(
        s.backends.store.as_ref(),
        crate::auth::audit_record(
            &principal,
            Some(&tenant),
            if created {
                "posture_policy.create"
            } else {
                "posture_policy.update"
            },
            Some(&id),
            &[("package", policy.package.as_str())],
        ),
    )
    .await;
    tracing::info!(%tenant, policy = %id, created, "posture policy stored");
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(policy)).into_response())
}

/// The tenant's custom policies, by id (the built-in pack is not listed).
#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/posture/policies",
    params(("tenant" = String, Path)),
    responses((status = 200, body = PolicyList)))]
pub(super) async fn list_policies(
    State(s): Shared,
    Path(tenant): Path<String>,
) -> Result<Json<PolicyList>, ApiError> {
    let tenant = tenant_param(&tenant)?;
    Ok(Json(PolicyList {
        items: s.backends.store.list_posture_policies(&tenant).await?,
    }))
}

/// Deletes a custom policy; the tenant's next scans no longer evaluate it.
#[utoipa::path(delete, path = "/api/v1/tenants/{tenant}/posture/policies/{id}",
    params(("tenant" = String, Path), ("id" = String, Path)),
    responses((status = 204, description = "Deleted"), (status = 404, description = "No such policy", body = ErrorBody)))]
pub(super) async fn delete_policy(
    State(s): Shared,
    Extension(principal): Extension<Principal>,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let tenant = tenant_param(&tenant)?;
    let id = policy_id_param(&id)?;
    if !s.backends.store.delete_posture_policy(&tenant, &id).await? {
        return Err(ApiError::new(
            ErrorCode::NotFound,
            format!("posture policy {id:?}"),
        ));
    }
    crate::auth::audit(
        s.backends.store.as_ref(),
        crate::auth::audit_record(
            &principal,
            Some(&tenant),
            "posture_policy.delete",
            Some(&id),
            &[],
        ),
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}
