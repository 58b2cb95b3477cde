//! Supply-chain routes: SBOM / scanner-report uploads per project. The issue
//! names `POST /api/v1/projects/{id}/sboms`; tenancy lives in the path in this
//! API, so the route is `POST /api/v1/tenants/{tenant}/projects/{id}/sboms`,
//! and a project is an [`Asset`] (kind `application` when first seen).

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use mcpsec_core::ErrorCode;
use mcpsec_core::domain::{Asset, AssetKind, FindingChange, Severity};
use mcpsec_core::event::{Event, SbomIngested};
use mcpsec_core::objstore::ObjectKey;
use mcpsec_core::posture::valid_asset_id;
use serde::{Deserialize, Serialize};

use super::{Shared, tenant_param};
use crate::error::{ApiError, ErrorBody};
use crate::vuln::VulnCapability;

fn capability(s: &super::AppState) -> Result<std::sync::Arc<dyn VulnCapability>, ApiError> {
    s.vuln.clone().ok_or_else(|| {
        ApiError::new(
            ErrorCode::Internal,
            "the supply-chain capability is not enabled in this server",
        )
    })
}

/// Object-store key of an upload: `sboms/{project}/{upload}`.
pub fn sbom_object_key(project: &str, upload: &str) -> String {
    format!("sboms/{project}/{upload}")
}

/// What `POST …/sboms` answers (202: stored, matching runs in a worker).
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SbomUpload {
    pub upload_id: String,
    pub project: String,
    pub format: String,
    pub spec_version: Option<String>,
    pub component_count: u64,
    pub object_key: String,
    /// Id of the `sbom.ingested` event.
    pub event_id: String,
}

/// Uploads an SBOM (CycloneDX JSON/XML, SPDX 2 JSON/tag-value, SPDX 3
/// JSON-LD) or scanner report (Trivy, Grype, SARIF, …) to a project. The
/// document is checked, kept in the object store, the project (asset)
/// upserted and `sbom.ingested` published; a worker matches it against the
/// vulnerability database and records findings.
#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/projects/{id}/sboms",
    params(("tenant" = String, Path), ("id" = String, Path, description = "Project (asset) id")),
    request_body(content = String, content_type = "application/json", description = "SBOM or scanner report"),
    responses(
        (status = 202, description = "Stored; matching runs asynchronously", body = SbomUpload),
        (status = 400, description = "Unknown format or malformed document; the message names the position", body = ErrorBody),
        (status = 404, description = "No such tenant", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody)))]
pub(super) async fn upload_sbom(
    State(s): Shared,
    Path((tenant, project)): Path<(String, String)>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let tenant = s.existing_tenant(&tenant).await?;
    if !valid_asset_id(&project) {
        return Err(ApiError::new(
            ErrorCode::InvalidArgument,
            format!(
                "project {project:?}: 1 to 128 characters of letters, digits, '-', '_', '.' and ':'"
            ),
        ));
    }
    let bytes = super::body_bytes(body)?;
    if bytes.is_empty() {
        return Err(ApiError::new(
            ErrorCode::InvalidArgument,
            "empty body: expected an SBOM or scanner report",
        ));
    }
    let cap = capability(&s)?;
    let doc = bytes.clone();
    let check = tokio::task::spawn_blocking(move || cap.check_upload(&doc))
        .await
        .map_err(|e| ApiError::new(ErrorCode::Internal, format!("reading the upload: {e}")))?
        .map_err(|reason| ApiError::new(ErrorCode::InvalidArgument, format!("upload: {reason}")))?;
    let upload_id = uuid::Uuid::now_v7().to_string();
    let key_text = sbom_object_key(&project, &upload_id);
    let key = ObjectKey::new(&key_text)
        .map_err(|e| ApiError::new(ErrorCode::InvalidArgument, format!("object key: {e}")))?;
    s.backends
        .objects
        .put(&tenant, &key, bytes)
        .await
        .map_err(|e| ApiError::new(e.code(), format!("storing the upload: {e}")))?;
    let now = Utc::now();
    let asset = match s.backends.store.get_asset(&tenant, &project).await? {
        Some(mut a) => {
            a.updated_at = now;
            a
        }
        None => Asset {
            tenant: tenant.clone(),
            id: project.clone(),
            name: project.clone(),
            kind: AssetKind::Application,
            criticality: Severity::Medium,
            labels: Default::default(),
            created_at: now,
            updated_at: now,
        },
    };
    s.backends.store.upsert_asset(&asset).await?;
    let event = Event::new(
        tenant.clone(),
        "mcpsec://sbom-upload",
        Some(project.clone()),
        &SbomIngested {
            asset_id: project.clone(),
            format: check.format.clone(),
            spec_version: check.spec_version.clone(),
            component_count: check.component_count,
            object_key: Some(key_text.clone()),
        },
    );
    s.publish(std::slice::from_ref(&event)).await?;
    tracing::info!(%tenant, project = %project, upload = %upload_id, format = %check.format, components = check.component_count, "sbom stored");
    Ok((
        StatusCode::ACCEPTED,
        Json(SbomUpload {
            upload_id,
            project,
            format: check.format,
            spec_version: check.spec_version,
            component_count: check.component_count,
            object_key: key_text,
            event_id: event.id,
        }),
    )
        .into_response())
}

/// What `POST …/rematch` answers.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Rematch {
    /// Projects whose latest upload was queued for matching again.
    pub projects: u64,
    /// Ids of the `sbom.ingested` events published.
    pub event_ids: Vec<String>,
}

/// Re-matches the latest upload of every project of the tenant against the
/// current vulnerability database (run it after `mcpsec db import`), so a new
/// advisory raises findings on old uploads. Publishes one `sbom.ingested`
/// per project; the worker does the matching.
#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/rematch",
    params(("tenant" = String, Path)),
    responses(
        (status = 202, description = "Queued", body = Rematch),
        (status = 404, description = "No such tenant", body = ErrorBody)))]
pub(super) async fn rematch(
    State(s): Shared,
    Path(tenant): Path<String>,
) -> Result<Response, ApiError> {
    let tenant = s.existing_tenant(&tenant).await?;
    let cap = capability(&s)?;
    let prefix = ObjectKey::new("sboms")
        .map_err(|e| ApiError::new(ErrorCode::Internal, format!("object key: {e}")))?;
    let objects = s
        .backends
        .objects
        .list(&tenant, Some(&prefix))
        .await
        .map_err(|e| ApiError::new(e.code(), format!("listing uploads: {e}")))?;
    // Keys are `sboms/{project}/{uuid v7}`, sorted: the last per project is
    // its latest upload.
    let mut latest: std::collections::BTreeMap<String, ObjectKey> = Default::default();
    for o in objects {
        let mut parts = o.key.as_str().splitn(3, '/');
        if let (Some("sboms"), Some(project), Some(_)) = (parts.next(), parts.next(), parts.next())
        {
            latest.insert(project.to_string(), o.key.clone());
        }
    }
    let mut events = Vec::with_capacity(latest.len());
    for (project, key) in latest {
        let Some(bytes) = s
            .backends
            .objects
            .get(&tenant, &key)
            .await
            .map_err(|e| ApiError::new(e.code(), format!("reading {}: {e}", key.as_str())))?
        else {
            continue;
        };
        let c = cap.clone();
        let check = tokio::task::spawn_blocking(move || c.check_upload(&bytes))
            .await
            .map_err(|e| ApiError::new(ErrorCode::Internal, format!("reading the upload: {e}")))?;
        let check = match check {
            Ok(c) => c,
            Err(reason) => {
                tracing::warn!(%tenant, project = %project, key = key.as_str(), %reason, "stored upload no longer reads; not re-matched");
                continue;
            }
        };
        events.push(Event::new(
            tenant.clone(),
            "mcpsec://rematch",
            Some(project.clone()),
            &SbomIngested {
                asset_id: project,
                format: check.format,
                spec_version: check.spec_version,
                component_count: check.component_count,
                object_key: Some(key.as_str().to_string()),
            },
        ));
    }
    if !events.is_empty() {
        s.publish(&events).await?;
    }
    tracing::info!(%tenant, projects = events.len(), "rematch queued");
    Ok((
        StatusCode::ACCEPTED,
        Json(Rematch {
            projects: events.len() as u64,
            event_ids: events.into_iter().map(|e| e.id).collect(),
        }),
    )
        .into_response())
}

/// The order of `GET …/findings` (`sort=`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FindingOrder {
    /// Ascending id (the default).
    #[default]
    Id,
    /// "Fix first": highest risk score first, then ascending id.
    Risk,
}

impl From<FindingOrder> for mcpsec_core::store::FindingSort {
    fn from(o: FindingOrder) -> Self {
        match o {
            FindingOrder::Id => mcpsec_core::store::FindingSort::Id,
            FindingOrder::Risk => mcpsec_core::store::FindingSort::Risk,
        }
    }
}

/// Checks `min_risk=`: a number from 0 to 10.
pub(super) fn min_risk(v: Option<f64>) -> Result<Option<f64>, ApiError> {
    match v {
        Some(r) if !(0.0..=10.0).contains(&r) => Err(ApiError::new(
            ErrorCode::InvalidArgument,
            format!("min_risk {r}: expected a risk score from 0 to 10"),
        )),
        other => Ok(other),
    }
}

/// A finding's triage history.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FindingHistory {
    pub finding_id: String,
    /// Every lifecycle change, oldest first; the first is the creation.
    pub items: Vec<FindingChange>,
}

/// The lifecycle history of a finding: its creation and every status change
/// (open, triaged, false positive, accepted risk, fixed) with author (the
/// authenticated principal, or the service), time, old and new status and
/// the justification given.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/findings/{id}/history",
    params(("tenant" = String, Path), ("id" = String, Path)),
    responses(
        (status = 200, body = FindingHistory),
        (status = 404, description = "No such finding", body = ErrorBody)))]
pub(super) async fn finding_history(
    State(s): Shared,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<Json<FindingHistory>, ApiError> {
    let tenant = tenant_param(&tenant)?;
    if s.backends.store.get_finding(&tenant, &id).await?.is_none() {
        return Err(ApiError::new(
            ErrorCode::NotFound,
            format!("finding {id:?}"),
        ));
    }
    let items = s.backends.store.finding_history(&tenant, &id).await?;
    Ok(Json(FindingHistory {
        finding_id: id,
        items,
    }))
}
