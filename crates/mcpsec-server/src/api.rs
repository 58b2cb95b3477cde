//! The HTTP API: health, readiness, metrics, OpenAPI, event ingest and the
//! tenant-scoped read and triage endpoints.
//!
//! Where to add a route: write the handler here (or in a capability's own
//! module in this crate), annotate it with `#[utoipa::path]`, list it in
//! [`ApiDoc`] and in [`router`]. A test in `crates/mcpsec/tests` checks that
//! every route in the router is documented in the OpenAPI output.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Extension, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use mcpsec_core::auth::{Permission, Principal};
use mcpsec_core::bus::BusMessage;
use mcpsec_core::domain::{Alert, Asset, Finding, FindingStatus, Severity, Tenant};
use mcpsec_core::event::{Event, EventType, FindingUpdated, RawEvent};
use mcpsec_core::store::{AlertFilter, FindingFilter, Page};
use mcpsec_core::{ErrorCode, TenantId};
use serde::{Deserialize, Serialize};
use tracing::Instrument;
use utoipa::OpenApi;

use crate::Backends;
use crate::detection::DetectionCapability;
use crate::error::{ApiError, ErrorBody, ItemError};

mod detection_routes;
mod mcp_routes;
mod posture_routes;
mod vuln_routes;
pub use detection_routes::{
    EntityList, EntityTactic, EntityView, RuleList, risk_score, severity_weight,
};
pub use posture_routes::{
    AssetControl, ComplianceControl, ComplianceReport, FrameworkScore, PolicyList, ScanHistory,
    ScanSummary, compliance,
};
pub use vuln_routes::{FindingHistory, FindingOrder, Rematch, SbomUpload, sbom_object_key};

/// Request limits and access-control settings of the API.
#[derive(Debug, Clone)]
pub struct ApiLimits {
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// Most events in one `POST /api/v1/events` batch.
    pub max_batch_events: usize,
    /// Time limit for each backend check of `/readyz`.
    pub ready_timeout: Duration,
    /// Authentication, lockout and rate limits (see [`crate::auth`]).
    pub auth: crate::auth::AuthSettings,
    /// Live stream and GraphQL subscriptions: queue sizes, credential re-checks.
    pub stream: crate::stream::StreamSettings,
}

impl Default for ApiLimits {
    fn default() -> Self {
        ApiLimits {
            max_body_bytes: 16 * 1024 * 1024,
            max_batch_events: 10_000,
            ready_timeout: Duration::from_secs(2),
            auth: crate::auth::AuthSettings::default(),
            stream: crate::stream::StreamSettings::default(),
        }
    }
}

pub(crate) struct AppState {
    pub(crate) backends: Backends,
    pub(crate) limits: ApiLimits,
    metrics: metrics_exporter_prometheus::PrometheusHandle,
    known_tenants: RwLock<HashSet<TenantId>>,
    /// Rule validation and ATT&CK lookups, when the binary wires detection in.
    detection: Option<Arc<dyn DetectionCapability>>,
    /// Posture scans, when the binary wires posture in.
    posture: Option<Arc<dyn crate::posture::PostureCapability>>,
    /// SBOM / report upload checks, when the binary wires supply chain in.
    vuln: Option<Arc<dyn crate::vuln::VulnCapability>>,
}

type Shared = State<Arc<AppState>>;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "mcpsec API",
        description = "Security platform for software supply chains, infrastructure and MCP environments."
    ),
    paths(
        healthz,
        readyz,
        metrics_text,
        ingest_events,
        create_tenant,
        list_tenants,
        list_assets,
        list_findings,
        get_finding,
        transition_finding,
        list_alerts,
        get_event,
        count_events,
        detection_routes::put_rule,
        detection_routes::get_rule,
        detection_routes::delete_rule,
        detection_routes::list_rules,
        detection_routes::list_entities,
        mcp_routes::submit_inventories,
        mcp_routes::list_servers,
        mcp_routes::get_server,
        mcp_routes::get_server_tools,
        posture_routes::create_scan,
        posture_routes::latest_posture,
        posture_routes::list_scans,
        posture_routes::get_compliance,
        posture_routes::put_policy,
        posture_routes::list_policies,
        posture_routes::delete_policy,
        vuln_routes::upload_sbom,
        vuln_routes::rematch,
        vuln_routes::finding_history
    ),
    components(schemas(
        ErrorBody,
        ErrorCode,
        RawEvent,
        Event,
        EventType,
        Tenant,
        Asset,
        Finding,
        FindingStatus,
        Severity,
        Alert,
        IngestRequest,
        IngestResponse,
        ReadyResponse,
        NewTenant,
        TransitionRequest,
        CountResponse,
        AssetList,
        FindingList,
        AlertList,
        mcpsec_core::detection::TenantRule,
        RuleList,
        EntityList,
        EntityView,
        EntityTactic,
        mcpsec_core::mcp::McpInventory,
        mcpsec_core::mcp::McpStoredTool,
        mcp_routes::InventorySubmission,
        mcp_routes::ServerSubmission,
        mcp_routes::SubmissionResult,
        mcp_routes::ServerResult,
        mcp_routes::ServerSummary,
        mcp_routes::ServerList,
        mcpsec_core::posture::PostureScan,
        mcpsec_core::posture::PostureFinding,
        mcpsec_core::posture::FrameworkOutcome,
        mcpsec_core::posture::ControlOutcome,
        posture_routes::ScanFiles,
        posture_routes::PolicyList,
        mcpsec_core::posture::PosturePolicy,
        vuln_routes::SbomUpload,
        vuln_routes::Rematch,
        vuln_routes::FindingHistory,
        vuln_routes::FindingOrder,
        mcpsec_core::domain::FindingChange,
        ScanSummary,
        FrameworkScore,
        ScanHistory,
        ComplianceReport,
        ComplianceControl,
        AssetControl
    ))
)]
pub struct ApiDoc;

fn app_state(
    backends: Backends,
    limits: &ApiLimits,
    detection: Option<Arc<dyn DetectionCapability>>,
    posture: Option<Arc<dyn crate::posture::PostureCapability>>,
    vuln: Option<Arc<dyn crate::vuln::VulnCapability>>,
) -> Arc<AppState> {
    Arc::new(AppState {
        backends,
        metrics: crate::metrics::install(),
        known_tenants: RwLock::new(HashSet::new()),
        limits: limits.clone(),
        detection,
        posture,
        vuln,
    })
}

/// The operations endpoints only (`/healthz`, `/readyz`, `/metrics`), for
/// processes that run the worker role without the API.
pub fn ops_router(backends: Backends, limits: ApiLimits) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
        .with_state(app_state(backends, &limits, None, None, None))
        .fallback(not_found)
        .layer(axum::middleware::from_fn(crate::metrics::track_http))
}

/// Builds the full API router over `backends` (detection routes answer
/// that detection is not enabled; see [`router_with`]).
pub fn router(backends: Backends, limits: ApiLimits) -> Router {
    router_with(backends, limits, None)
}

/// Builds the full API router, with the detection capability the binary
/// wires in (rule validation, ATT&CK lookups).
pub fn router_with(
    backends: Backends,
    limits: ApiLimits,
    detection: Option<Arc<dyn DetectionCapability>>,
) -> Router {
    router_with_posture(backends, limits, detection, None)
}

/// Like [`router_with`], with the posture capability too (posture scans;
/// without it `POST …/posture/scans` answers that posture is not enabled).
pub fn router_with_posture(
    backends: Backends,
    limits: ApiLimits,
    detection: Option<Arc<dyn DetectionCapability>>,
    posture: Option<Arc<dyn crate::posture::PostureCapability>>,
) -> Router {
    router_with_capabilities(backends, limits, detection, posture, None)
}

/// Like [`router_with_posture`], with the supply-chain capability too (SBOM
/// uploads; without it `POST …/projects/{id}/sboms` answers that it is not
/// enabled).
pub fn router_with_capabilities(
    backends: Backends,
    limits: ApiLimits,
    detection: Option<Arc<dyn DetectionCapability>>,
    posture: Option<Arc<dyn crate::posture::PostureCapability>>,
    vuln: Option<Arc<dyn crate::vuln::VulnCapability>>,
) -> Router {
    let authenticator = Arc::new(crate::auth::Authenticator::new(
        backends.store.clone(),
        limits.auth.clone(),
    ));
    let hub = crate::stream::StreamHub::new(backends.bus.clone(), limits.stream.clone());
    let state = app_state(backends, &limits, detection, posture, vuln);
    let docs = swagger_ui_dist::ApiDefinition {
        uri_prefix: "/api/docs",
        api_definition: swagger_ui_dist::OpenApiSource::Uri("/api/v1/openapi.json"),
        title: Some("mcpsec API"),
    };
    let app = Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
        .route("/api/v1/openapi.json", get(openapi_json))
        .route("/api/v1/events", post(ingest_events))
        .route("/api/v1/tenants", post(create_tenant).get(list_tenants))
        .route("/api/v1/tenants/{tenant}/assets", get(list_assets))
        .route("/api/v1/tenants/{tenant}/findings", get(list_findings))
        .route("/api/v1/tenants/{tenant}/findings/{id}", get(get_finding))
        .route(
            "/api/v1/tenants/{tenant}/findings/{id}/status",
            post(transition_finding),
        )
        .route(
            "/api/v1/tenants/{tenant}/findings/{id}/history",
            get(vuln_routes::finding_history),
        )
        .route("/api/v1/tenants/{tenant}/alerts", get(list_alerts))
        .route("/api/v1/tenants/{tenant}/events/count", get(count_events))
        .route("/api/v1/tenants/{tenant}/events/{id}", get(get_event))
        .route(
            "/api/v1/tenants/{tenant}/rules",
            get(detection_routes::list_rules),
        )
        .route(
            "/api/v1/tenants/{tenant}/rules/{id}",
            put(detection_routes::put_rule)
                .get(detection_routes::get_rule)
                .delete(detection_routes::delete_rule),
        )
        .route(
            "/api/v1/tenants/{tenant}/entities",
            get(detection_routes::list_entities),
        )
        .route(
            "/api/v1/tenants/{tenant}/mcp/inventories",
            post(mcp_routes::submit_inventories),
        )
        .route(
            "/api/v1/tenants/{tenant}/mcp/servers",
            get(mcp_routes::list_servers),
        )
        .route(
            "/api/v1/tenants/{tenant}/mcp/servers/{server}",
            get(mcp_routes::get_server),
        )
        .route(
            "/api/v1/tenants/{tenant}/mcp/servers/{server}/tools",
            get(mcp_routes::get_server_tools),
        )
        .route(
            "/api/v1/tenants/{tenant}/assets/{asset}/posture",
            get(posture_routes::latest_posture),
        )
        .route(
            "/api/v1/tenants/{tenant}/assets/{asset}/posture/scans",
            post(posture_routes::create_scan).get(posture_routes::list_scans),
        )
        .route(
            "/api/v1/tenants/{tenant}/compliance/{framework}",
            get(posture_routes::get_compliance),
        )
        .route(
            "/api/v1/tenants/{tenant}/posture/policies",
            get(posture_routes::list_policies),
        )
        .route(
            "/api/v1/tenants/{tenant}/posture/policies/{id}",
            put(posture_routes::put_policy).delete(posture_routes::delete_policy),
        )
        .route(
            "/api/v1/tenants/{tenant}/projects/{id}/sboms",
            post(vuln_routes::upload_sbom),
        )
        .route(
            "/api/v1/tenants/{tenant}/rematch",
            post(vuln_routes::rematch),
        )
        .with_state(state.clone())
        .merge(crate::auth::routes::router(authenticator.clone()))
        .merge(crate::graphql::router(
            state.clone(),
            authenticator.clone(),
            hub.clone(),
        ))
        .merge(crate::stream::router(hub, authenticator.clone()))
        // Every route above passes the access policy (`auth::ROUTE_POLICY`);
        // the Swagger UI below and unknown routes do not need it.
        .route_layer(axum::middleware::from_fn_with_state(
            authenticator.clone(),
            crate::auth::enforce,
        ))
        // gRPC on the same port (HTTP/2), with its own policy table and
        // authentication layer (`grpc::GRPC_POLICY`).
        .merge(crate::grpc::router(state, authenticator))
        .merge(swagger_ui_dist::generate_routes(docs))
        .fallback(not_found);
    // ETags and If-None-Match/If-Match (`etag`), answered inside the limits.
    let app = crate::deprecation::layer(app, crate::deprecation::DEPRECATED);
    crate::etag::layer(app)
        .layer(DefaultBodyLimit::max(limits.max_body_bytes))
        .layer(axum::middleware::from_fn(crate::metrics::track_http))
}

async fn not_found() -> ApiError {
    ApiError::new(ErrorCode::NotFound, "no such route")
}

/// A route's `{tenant}` segment as a validated id (400 when invalid).
pub(crate) fn tenant_param(raw: &str) -> Result<TenantId, ApiError> {
    TenantId::new(raw)
        .map_err(|e| ApiError::new(ErrorCode::InvalidArgument, format!("tenant {raw:?}: {e}")))
}

/// The one message for a tenant that does not exist (a route's `{tenant}`
/// or an event's `tenant`).
fn no_such_tenant(tenant: &TenantId) -> String {
    format!("tenant {:?} does not exist", tenant.as_str())
}

fn query<T>(q: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    q.map(|Query(v)| v)
        .map_err(|e| ApiError::new(ErrorCode::InvalidArgument, e.body_text()))
}

/// A request body, or the error for a body over the limit (413) or one that
/// could not be read (400).
fn body_bytes(body: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(ErrorCode::PayloadTooLarge, e.body_text())
        } else {
            ApiError::new(ErrorCode::MalformedRequest, e.body_text())
        }
    })
}

/// A JSON request body (413 over the limit, 400 when unreadable or invalid).
pub(crate) fn json_body<T: serde::de::DeserializeOwned>(
    body: Result<Bytes, BytesRejection>,
) -> Result<T, ApiError> {
    let bytes = body_bytes(body)?;
    serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::new(ErrorCode::MalformedRequest, format!("request body: {e}")))
}

/// Liveness: the process is up.
#[utoipa::path(get, path = "/healthz", responses((status = 200, description = "The process is alive")))]
async fn healthz() -> Response {
    (
        StatusCode::OK,
        [("content-type", "application/json")],
        r#"{"status":"ok"}"#,
    )
        .into_response()
}

/// Result of the readiness checks.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReadyResponse {
    /// `ready` or `unavailable`.
    pub status: String,
    /// Per backend: `ok` or the error.
    pub checks: BTreeMap<String, String>,
}

/// Readiness: every backend answers.
#[utoipa::path(get, path = "/readyz", responses(
    (status = 200, description = "All backends reachable", body = ReadyResponse),
    (status = 503, description = "A backend is unreachable", body = ReadyResponse)))]
async fn readyz(State(s): Shared) -> Response {
    let t = s.limits.ready_timeout;
    let b = &s.backends;
    let (store, bus, objects) = tokio::join!(
        tokio::time::timeout(t, b.store.ping()),
        tokio::time::timeout(t, b.bus.ping()),
        tokio::time::timeout(t, b.objects.ping()),
    );
    fn verdict<E: std::fmt::Display>(
        r: Result<Result<(), E>, tokio::time::error::Elapsed>,
    ) -> String {
        match r {
            Ok(Ok(())) => "ok".into(),
            Ok(Err(e)) => e.to_string(),
            Err(_) => "timed out".into(),
        }
    }
    let checks: BTreeMap<String, String> = [
        (format!("store:{}", b.store.backend()), verdict(store)),
        (format!("bus:{}", b.bus.backend()), verdict(bus)),
        (format!("objects:{}", b.objects.backend()), verdict(objects)),
    ]
    .into_iter()
    .collect();
    let ready = checks.values().all(|v| v == "ok");
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = ReadyResponse {
        status: if ready { "ready" } else { "unavailable" }.into(),
        checks,
    };
    (status, Json(body)).into_response()
}

/// Prometheus metrics in the text exposition format.
#[utoipa::path(get, path = "/metrics", responses((status = 200, description = "Prometheus text format", content_type = "text/plain")))]
async fn metrics_text(State(s): Shared) -> Response {
    (
        StatusCode::OK,
        [("content-type", "text/plain; version=0.0.4")],
        s.metrics.render(),
    )
        .into_response()
}

async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(with_error_responses(crate::auth::routes::with_auth_docs(
        ApiDoc::openapi(),
    )))
}

/// Documents the error responses every operation can give (all with an
/// [`ErrorBody`]) where its own annotation does not: 401/403/429 for
/// authenticated routes, 400 for operations with parameters or a body, 413
/// for a body, 503 for a backend outage. Checked by the Schemathesis run
/// (`crates/mcpsec/tests/schemathesis.rs`).
pub fn with_error_responses(mut doc: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    let error = |description: &str| {
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ErrorBody")))
                    .build(),
            )
            .build()
    };
    for (path, item) in doc.paths.paths.iter_mut() {
        let ops = [
            ("GET", &mut item.get),
            ("POST", &mut item.post),
            ("PUT", &mut item.put),
            ("DELETE", &mut item.delete),
            ("PATCH", &mut item.patch),
        ];
        for (method, op) in ops {
            let Some(op) = op else { continue };
            let m = axum::http::Method::from_bytes(method.as_bytes()).expect("method");
            let public = matches!(
                crate::auth::policy_for(&m, path),
                Some(crate::auth::Policy::Public)
            );
            let has_params = op.parameters.as_ref().is_some_and(|p| !p.is_empty());
            let has_body = op.request_body.is_some();
            let mut add = |code: &str, description: &str| {
                op.responses
                    .responses
                    .entry(code.to_string())
                    .or_insert_with(|| error(description).into());
            };
            if has_params || has_body {
                add("400", "Malformed request or invalid parameter");
            }
            if has_body {
                add("413", "Request body too large");
            }
            if !public {
                add("401", "No valid credential");
                add(
                    "403",
                    "The credential may not do this (permission or tenant)",
                );
                add("429", "Rate limit exceeded");
            }
            if path.starts_with("/api/v1/") && !public {
                add("503", "A backend is unavailable; retry later");
            }
        }
    }
    doc
}

/// A batch of events: either `{"events": [...]}` or a bare array.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum IngestRequest {
    Wrapped { events: Vec<RawEvent> },
    Bare(Vec<RawEvent>),
}

/// The events were published durably.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct IngestResponse {
    pub accepted: usize,
    /// The ids of the events, in request order (generated where absent).
    pub ids: Vec<String>,
}

impl AppState {
    async fn tenant_exists(&self, tenant: &TenantId) -> Result<bool, ApiError> {
        if self.known_tenants.read().expect("lock").contains(tenant) {
            return Ok(true);
        }
        let found = self.backends.store.get_tenant(tenant).await?.is_some();
        if found {
            self.known_tenants
                .write()
                .expect("lock")
                .insert(tenant.clone());
        }
        Ok(found)
    }

    /// The tenant named by a route's `{tenant}`, resolved first (before the
    /// route's other parameters and its body): 400 `invalid_argument` if it
    /// is not a valid tenant id, 404 `not_found` if no such tenant exists.
    async fn existing_tenant(&self, raw: &str) -> Result<TenantId, ApiError> {
        let tenant = tenant_param(raw)?;
        if !self.tenant_exists(&tenant).await? {
            return Err(ApiError::new(ErrorCode::NotFound, no_such_tenant(&tenant)));
        }
        Ok(tenant)
    }

    /// Publishes events; returns once the bus has made them durable.
    async fn publish(&self, events: &[Event]) -> Result<(), ApiError> {
        let mut messages = Vec::with_capacity(events.len());
        let mut trace_headers = BTreeMap::new();
        crate::trace::inject_current(&mut trace_headers);
        for e in events {
            let mut headers = trace_headers.clone();
            headers.insert("mcpsec-event-type".into(), e.event_type.as_str().into());
            headers.insert("mcpsec-schema-version".into(), e.schema_version.to_string());
            headers.insert("mcpsec-tenant".into(), e.tenant.to_string());
            let payload = serde_json::to_vec(e).map_err(|err| {
                ApiError::new(ErrorCode::Internal, format!("encoding event: {err}"))
            })?;
            messages.push(BusMessage {
                topic: e.event_type.topic(),
                key: e.bus_key(),
                headers,
                payload: payload.into(),
            });
        }
        self.backends.bus.publish(messages).await?;
        for e in events {
            metrics::counter!("mcpsec_events_accepted_total", "type" => e.event_type.as_str())
                .increment(1);
        }
        Ok(())
    }

    /// Validates a batch of events and publishes it durably (all or
    /// nothing); returns the event ids in order. Shared by REST and gRPC
    /// ingest.
    pub(crate) async fn ingest(
        &self,
        principal: &Principal,
        raw: Vec<RawEvent>,
    ) -> Result<Vec<String>, ApiError> {
        if raw.is_empty() {
            return Err(ApiError::new(
                ErrorCode::InvalidArgument,
                "the batch is empty",
            ));
        }
        if raw.len() > self.limits.max_batch_events {
            return Err(ApiError::new(
                ErrorCode::PayloadTooLarge,
                format!(
                    "{} events in one batch; the limit is {}",
                    raw.len(),
                    self.limits.max_batch_events
                ),
            ));
        }
        let now = Utc::now();
        let mut events = Vec::with_capacity(raw.len());
        let mut errors = Vec::new();
        let mut forbidden = Vec::new();
        for (index, r) in raw.into_iter().enumerate() {
            match r.validate(now) {
                Ok(e) => {
                    // Each event's tenant must be the credential's (or the
                    // credential is platform-wide).
                    if let Err(denied) =
                        principal.authorize(Permission::EventsWrite, Some(&e.tenant))
                    {
                        forbidden.push(ItemError {
                            index,
                            code: ErrorCode::Forbidden,
                            message: denied.to_string(),
                        });
                    }
                    events.push(e)
                }
                Err(e) => errors.push(ItemError {
                    index,
                    code: e.code(),
                    message: e.to_string(),
                }),
            }
        }
        if !forbidden.is_empty() {
            let mut err = ApiError::new(
                ErrorCode::Forbidden,
                format!(
                    "{} of the events belong to another tenant; nothing was published",
                    forbidden.len()
                ),
            );
            err.details = forbidden;
            return Err(err);
        }
        let mut checked: HashSet<TenantId> = HashSet::new();
        for (index, e) in events.iter().enumerate() {
            if !checked.contains(&e.tenant) {
                if self.tenant_exists(&e.tenant).await? {
                    checked.insert(e.tenant.clone());
                } else {
                    errors.push(ItemError {
                        index,
                        code: ErrorCode::InvalidEvent,
                        message: no_such_tenant(&e.tenant),
                    });
                }
            }
        }
        if !errors.is_empty() {
            let code = errors[0].code;
            let mut err = ApiError::new(
                code,
                format!(
                    "{} of the events were rejected; nothing was published",
                    errors.len()
                ),
            );
            err.details = errors;
            return Err(err);
        }
        self.publish(&events).await?;
        Ok(events.into_iter().map(|e| e.id).collect())
    }
}

/// Validates a batch of events and publishes it on the bus. Answers only once
/// the publish is durable; on any validation error nothing is published and
/// the response lists every rejected event.
#[utoipa::path(post, path = "/api/v1/events", request_body = IngestRequest, responses(
    (status = 202, description = "Published durably", body = IngestResponse),
    (status = 400, description = "Malformed or invalid events", body = ErrorBody),
    (status = 413, description = "Body too large", body = ErrorBody),
    (status = 503, description = "Bus unavailable; nothing was accepted", body = ErrorBody)))]
async fn ingest_events(
    State(s): Shared,
    Extension(principal): Extension<Principal>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let span = tracing::info_span!("ingest_events", events = tracing::field::Empty);
    crate::trace::continue_from_http(&span, &headers);
    async move {
        let req: IngestRequest = json_body(body)?;
        let raw = match req {
            IngestRequest::Wrapped { events } | IngestRequest::Bare(events) => events,
        };
        tracing::Span::current().record("events", raw.len());
        let ids = s.ingest(&principal, raw).await?;
        Ok((
            StatusCode::ACCEPTED,
            Json(IngestResponse {
                accepted: ids.len(),
                ids,
            }),
        )
            .into_response())
    }
    .instrument(span)
    .await
}

/// A tenant to create.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTenant {
    pub id: String,
    pub name: Option<String>,
}

/// Creates a tenant.
#[utoipa::path(post, path = "/api/v1/tenants", request_body = NewTenant, responses(
    (status = 201, description = "Created", body = Tenant),
    (status = 409, description = "Exists", body = ErrorBody)))]
async fn create_tenant(
    State(s): Shared,
    Extension(principal): Extension<Principal>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let req: NewTenant = json_body(body)?;
    let id = tenant_param(&req.id)?;
    let tenant = Tenant {
        name: req.name.unwrap_or_else(|| id.to_string()),
        id,
        created_at: Utc::now(),
    };
    s.backends.store.create_tenant(&tenant).await?;
    crate::auth::audit(
        s.backends.store.as_ref(),
        crate::auth::audit_record(
            &principal,
            Some(&tenant.id),
            "tenant.create",
            Some(tenant.id.as_str()),
            &[],
        ),
    )
    .await;
    Ok((StatusCode::CREATED, Json(tenant)).into_response())
}

/// Lists tenants.
#[utoipa::path(get, path = "/api/v1/tenants", responses((status = 200, body = Vec<Tenant>)))]
async fn list_tenants(State(s): Shared) -> Result<Json<Vec<Tenant>>, ApiError> {
    Ok(Json(s.backends.store.list_tenants().await?))
}

/// Cursor pagination parameters.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct PageParams {
    /// Return records with an id greater than this cursor.
    pub after: Option<String>,
    /// Page size, 1 to 1000 (default 100).
    pub limit: Option<u32>,
}

impl PageParams {
    fn page(&self) -> Page {
        page(self.after.clone(), self.limit)
    }
}

/// The page a cursor and an optional size ask for (default 100, at most
/// `Page::MAX_LIMIT`); shared by every list endpoint's parameters.
fn page(after: Option<String>, limit: Option<u32>) -> Page {
    Page {
        after,
        limit: limit.unwrap_or(100).clamp(1, Page::MAX_LIMIT),
    }
}

macro_rules! list_type {
    ($name:ident, $item:ty) => {
        /// A page of records; pass `next_cursor` as `after` for the next page.
        #[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
        pub struct $name {
            pub items: Vec<$item>,
            pub next_cursor: Option<String>,
        }

        impl $name {
            fn new(items: Vec<$item>, page: &Page) -> Self {
                let next_cursor = if items.len() as u32 >= page.limit {
                    items.last().map(|i| i.id.clone())
                } else {
                    None
                };
                $name { items, next_cursor }
            }
        }
    };
}
list_type!(AssetList, Asset);
list_type!(FindingList, Finding);
list_type!(AlertList, Alert);

/// Lists a tenant's assets.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/assets", params(("tenant" = String, Path), PageParams),
    responses((status = 200, body = AssetList)))]
async fn list_assets(
    State(s): Shared,
    Path(tenant): Path<String>,
    q: Result<Query<PageParams>, QueryRejection>,
) -> Result<Json<AssetList>, ApiError> {
    let tenant = tenant_param(&tenant)?;
    let page = query(q)?.page();
    let items = s.backends.store.list_assets(&tenant, &page).await?;
    Ok(Json(AssetList::new(items, &page)))
}

/// Finding filters.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct FindingParams {
    pub asset_id: Option<String>,
    pub status: Option<FindingStatus>,
    pub min_severity: Option<Severity>,
    /// Component id (purl with version), or a purl without version for all versions.
    pub component: Option<String>,
    /// Exactly this severity.
    pub severity: Option<Severity>,
    /// `true`: only findings in CISA KEV; `false`: only those not in it.
    pub kev: Option<bool>,
    /// `true`: only findings with a known fixed version; `false`: only those without.
    pub fixable: Option<bool>,
    /// Only findings whose risk score is at least this (0–10).
    pub min_risk: Option<f64>,
    /// `id` (default) or `risk`: "fix first", highest risk score first.
    pub sort: Option<FindingOrder>,
    pub after: Option<String>,
    pub limit: Option<u32>,
}

/// Lists a tenant's findings.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/findings", params(("tenant" = String, Path), FindingParams),
    responses((status = 200, body = FindingList)))]
async fn list_findings(
    State(s): Shared,
    Path(tenant): Path<String>,
    q: Result<Query<FindingParams>, QueryRejection>,
) -> Result<Json<FindingList>, ApiError> {
    let tenant = tenant_param(&tenant)?;
    let q = query(q)?;
    let page = page(q.after, q.limit);
    let filter = FindingFilter {
        asset_id: q.asset_id,
        status: q.status,
        min_severity: q.min_severity,
        component: q.component,
        severity: q.severity,
        kev: q.kev,
        fixable: q.fixable,
        min_risk: vuln_routes::min_risk(q.min_risk)?,
        sort: q.sort.unwrap_or_default().into(),
        page: page.clone(),
    };
    let items = s.backends.store.list_findings(&tenant, &filter).await?;
    Ok(Json(FindingList::new(items, &page)))
}

/// One finding of a tenant.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/findings/{id}",
    params(("tenant" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = Finding), (status = 404, body = ErrorBody)))]
async fn get_finding(
    State(s): Shared,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<Json<Finding>, ApiError> {
    let tenant = tenant_param(&tenant)?;
    s.backends
        .store
        .get_finding(&tenant, &id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound, format!("finding {id:?}")))
}

/// A lifecycle transition.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionRequest {
    pub status: FindingStatus,
    pub reason: Option<String>,
}

/// Moves a finding through its lifecycle (open → triaged → fixed…) and
/// publishes `finding.updated`.
#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/findings/{id}/status",
    params(("tenant" = String, Path), ("id" = String, Path)), request_body = TransitionRequest,
    responses((status = 200, body = Finding), (status = 404, body = ErrorBody), (status = 409, description = "Transition not allowed", body = ErrorBody)))]
async fn transition_finding(
    State(s): Shared,
    Extension(principal): Extension<Principal>,
    Path((tenant, id)): Path<(String, String)>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Finding>, ApiError> {
    let tenant = tenant_param(&tenant)?;
    let req: TransitionRequest = json_body(body)?;
    let after = s
        .triage(&principal, tenant, &id, req.status, req.reason)
        .await?;
    Ok(Json(after))
}

impl AppState {
    /// Moves a finding through its lifecycle, audits it and publishes
    /// `finding.updated`; shared by REST and GraphQL (the caller has checked
    /// `findings:triage` on the tenant).
    pub(crate) async fn triage(
        &self,
        principal: &Principal,
        tenant: TenantId,
        id: &str,
        status: FindingStatus,
        reason: Option<String>,
    ) -> Result<Finding, ApiError> {
        let before = self
            .backends
            .store
            .get_finding(&tenant, id)
            .await?
            .ok_or_else(|| ApiError::new(ErrorCode::NotFound, format!("finding {id:?}")))?;
        let after = self
            .backends
            .store
            .transition_finding_by(
                &tenant,
                id,
                status,
                reason.clone(),
                Some(principal.subject.clone()),
                Utc::now(),
            )
            .await?;
        crate::auth::audit(
            self.backends.store.as_ref(),
            crate::auth::audit_record(
                principal,
                Some(&tenant),
                "finding.transition",
                Some(id),
                &[
                    ("from", before.status.as_str()),
                    ("to", after.status.as_str()),
                    ("reason", reason.as_deref().unwrap_or("")),
                ],
            ),
        )
        .await;
        let event = Event::new(
            tenant,
            "mcpsec://api",
            Some(after.asset_id.clone()),
            &FindingUpdated {
                finding_id: id.to_string(),
                from: before.status,
                to: after.status,
                reason,
            },
        );
        self.publish(std::slice::from_ref(&event)).await?;
        Ok(after)
    }
}

/// Alert filters.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct AlertParams {
    pub rule_id: Option<String>,
    /// ATT&CK technique id; `T1059` also matches its sub-techniques (`T1059.001`).
    pub technique: Option<String>,
    pub min_severity: Option<Severity>,
    pub entity: Option<String>,
    /// Only alerts created at or after this time (RFC 3339).
    pub since: Option<DateTime<Utc>>,
    pub after: Option<String>,
    pub limit: Option<u32>,
}

/// Lists a tenant's alerts.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/alerts", params(("tenant" = String, Path), AlertParams),
    responses((status = 200, body = AlertList)))]
async fn list_alerts(
    State(s): Shared,
    Path(tenant): Path<String>,
    q: Result<Query<AlertParams>, QueryRejection>,
) -> Result<Json<AlertList>, ApiError> {
    let tenant = tenant_param(&tenant)?;
    let q = query(q)?;
    let page = page(q.after, q.limit);
    let filter = AlertFilter {
        rule_id: q.rule_id,
        technique: q.technique,
        min_severity: q.min_severity,
        entity: q.entity,
        since: q.since,
        page: page.clone(),
    };
    let items = s.backends.store.list_alerts(&tenant, &filter).await?;
    Ok(Json(AlertList::new(items, &page)))
}

/// A processed event, as stored by the worker.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/events/{id}",
    params(("tenant" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = Event), (status = 404, body = ErrorBody)))]
async fn get_event(
    State(s): Shared,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<Json<Event>, ApiError> {
    let tenant = tenant_param(&tenant)?;
    s.backends
        .store
        .get_event(&tenant, &id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound, format!("event {id:?}")))
}

/// A count.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CountResponse {
    pub count: u64,
}

/// How many events of this tenant the workers have processed.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/events/count", params(("tenant" = String, Path)),
    responses((status = 200, body = CountResponse)))]
async fn count_events(
    State(s): Shared,
    Path(tenant): Path<String>,
) -> Result<Json<CountResponse>, ApiError> {
    let tenant = tenant_param(&tenant)?;
    Ok(Json(CountResponse {
        count: s.backends.store.count_events(&tenant).await?,
    }))
}
