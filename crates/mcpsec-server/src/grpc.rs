//! The gRPC API (tonic): streaming event ingest, streaming tenant queries and
//! server reflection, served on the API port next to REST (HTTP/2; the port
//! speaks HTTP/1.1 and HTTP/2 with and without TLS-less prior knowledge).
//!
//! The services are defined in `proto/mcpsec/v1/mcpsec.proto`, compiled at
//! build time with protox (no system `protoc`). Access control is the REST
//! API's: every method has an entry in [`GRPC_POLICY`] (a method without one
//! is refused), the [`authenticate`] layer verifies `authorization: Bearer`
//! metadata with the same [`Authenticator`] (same keys, cache, expiry,
//! revocation and per-credential rate limit) and checks the permission; the
//! handlers then check the tenant named in the request with
//! [`Principal::authorize`], the same decision the REST middleware makes.
//! Ingest goes through the same validation and durable publish as
//! `POST /api/v1/events` ([`AppState::ingest`]).

use std::pin::Pin;
use std::sync::Arc;

use axum::extract::State;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use futures::Stream;
use mcpsec_core::auth::{Permission, Principal};
use mcpsec_core::domain::{Alert, Finding};
use mcpsec_core::event::{Event, RawEvent};
use mcpsec_core::store::{AlertFilter, FindingFilter, Page};
use mcpsec_core::{ErrorCode, TenantId};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response as GrpcResponse, Status, Streaming};
use tracing::Instrument;

use crate::api::AppState;
use crate::auth::{Authenticator, Policy};
use crate::error::{ApiError, ItemError};

/// The code generated from `proto/mcpsec/v1/mcpsec.proto` (messages, servers
/// and clients).
pub mod pb {
    #![allow(clippy::all, missing_docs)]
    tonic::include_proto!("mcpsec.v1");
}

/// The encoded file descriptor set of the mcpsec protos (what reflection serves).
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/mcpsec_descriptor.bin"));

const INGEST: &str = "/mcpsec.v1.EventService/Ingest";
const STREAM_FINDINGS: &str = "/mcpsec.v1.QueryService/StreamFindings";
const GET_FINDING: &str = "/mcpsec.v1.QueryService/GetFinding";
const GET_FINDING_HISTORY: &str = "/mcpsec.v1.QueryService/GetFindingHistory";
const STREAM_ALERTS: &str = "/mcpsec.v1.QueryService/StreamAlerts";
const STREAM_EVENTS: &str = "/mcpsec.v1.QueryService/StreamEvents";
const COUNT_EVENTS: &str = "/mcpsec.v1.QueryService/CountEvents";

/// The access policy of every gRPC method: `(path, policy)`. `Tenant`
/// methods name their tenant in the request message; the layer checks that
/// the credential holds the permission at all, the handler checks it for
/// that tenant. Reflection is public, like `/api/v1/openapi.json`.
pub const GRPC_POLICY: &[(&str, Policy)] = {
    use Permission::*;
    use Policy::*;
    &[
        (INGEST, PerItem(EventsWrite)),
        (STREAM_FINDINGS, Tenant(FindingsRead)),
        (GET_FINDING, Tenant(FindingsRead)),
        (GET_FINDING_HISTORY, Tenant(FindingsRead)),
        (STREAM_ALERTS, Tenant(AlertsRead)),
        (STREAM_EVENTS, Tenant(EventsRead)),
        (COUNT_EVENTS, Tenant(EventsRead)),
        (
            "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
            Public,
        ),
        (
            "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
            Public,
        ),
    ]
};

/// The policy of a gRPC method path, `None` when it has none (refused).
pub fn grpc_policy(path: &str) -> Option<Policy> {
    GRPC_POLICY
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, policy)| *policy)
}

/// The gRPC status of an API error; the mcpsec error code travels in the
/// `mcpsec-error-code` metadata, per-item errors in the message.
pub fn status(e: ApiError) -> Status {
    use tonic::Code;
    let code = match e.code {
        ErrorCode::MalformedRequest
        | ErrorCode::UnknownEventType
        | ErrorCode::InvalidEvent
        | ErrorCode::InvalidArgument => Code::InvalidArgument,
        ErrorCode::PayloadTooLarge | ErrorCode::RateLimited => Code::ResourceExhausted,
        ErrorCode::NotFound => Code::NotFound,
        ErrorCode::Conflict | ErrorCode::PreconditionFailed => Code::FailedPrecondition,
        ErrorCode::Unauthenticated => Code::Unauthenticated,
        ErrorCode::Forbidden => Code::PermissionDenied,
        ErrorCode::BusUnavailable
        | ErrorCode::StoreUnavailable
        | ErrorCode::ObjectStoreUnavailable => Code::Unavailable,
        ErrorCode::Internal => Code::Internal,
    };
    let mut message = e.message;
    for d in e.details.iter().take(20) {
        message.push_str(&format!("; event {}: {}", d.index, d.message));
    }
    let mut st = Status::new(code, message);
    if let Ok(v) = e.code.to_string().parse() {
        st.metadata_mut().insert("mcpsec-error-code", v);
    }
    st
}

fn grpc_error(st: Status) -> Response {
    st.into_http::<axum::body::Body>().into_response()
}

fn bearer(headers: &axum::http::HeaderMap) -> Option<&str> {
    let value = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The layer in front of every gRPC method: applies [`GRPC_POLICY`],
/// authenticates the bearer metadata, checks the permission and the rate
/// limit, and hands the [`Principal`] to the handler (request extension).
pub async fn authenticate(
    State(auth): State<Arc<Authenticator>>,
    mut req: axum::extract::Request,
    next: Next,
) -> Response {
    let path = req.uri().path().to_string();
    let Some(policy) = grpc_policy(&path) else {
        return grpc_error(Status::unimplemented(format!(
            "{path} is not a method of this server"
        )));
    };
    if policy == Policy::Public {
        return next.run(req).await;
    }
    let principal = match bearer(req.headers()) {
        Some(token) => match auth.authenticate(token).await {
            Ok(p) => p,
            Err(e) => return grpc_error(status(e)),
        },
        None => {
            return grpc_error(Status::unauthenticated(
                "authentication required: send `authorization: Bearer <API key or session token>` metadata",
            ));
        }
    };
    let decision = match policy {
        Policy::Public | Policy::Authenticated => Ok(()),
        Policy::Platform(p) => principal.authorize(p, None),
        Policy::Tenant(p) | Policy::PerItem(p) => {
            if principal.permissions.contains(p) {
                Ok(())
            } else {
                Err(mcpsec_core::auth::Denied::MissingPermission {
                    role: principal.role.clone(),
                    permission: p,
                })
            }
        }
    };
    if let Err(denied) = decision {
        metrics::counter!("mcpsec_auth_denied_total", "route" => path).increment(1);
        return grpc_error(Status::permission_denied(denied.to_string()));
    }
    // The same buckets as REST (per key/user and tenant; shared through
    // Redis when configured).
    let verdict = auth.rate_check(&principal).await;
    if !verdict.allowed {
        return grpc_error(Status::resource_exhausted(format!(
            "rate limit of {} requests per second exceeded; retry after {} s",
            auth.settings.rate_limit_per_second, verdict.reset_secs
        )));
    }
    req.extensions_mut().insert(principal);
    if let Some(token) = bearer(req.headers()) {
        let token = BearerToken(token.to_string());
        req.extensions_mut().insert(token);
    }
    next.run(req).await
}

/// The bearer token a call was authenticated with, for re-checks during a
/// long-lived stream.
#[derive(Clone)]
struct BearerToken(String);

fn principal<T>(req: &Request<T>) -> Result<Principal, Status> {
    req.extensions()
        .get::<Principal>()
        .cloned()
        .ok_or_else(|| Status::unauthenticated("no credential"))
}

/// Checks the method's permission on the request's tenant (see [`GRPC_POLICY`]).
fn tenant_scope<T>(req: &Request<T>, method: &str, raw: &str) -> Result<TenantId, Status> {
    let principal = principal(req)?;
    let tenant =
        TenantId::new(raw).map_err(|e| Status::invalid_argument(format!("tenant {raw:?}: {e}")))?;
    let Some(Policy::Tenant(p)) = grpc_policy(method) else {
        return Err(Status::internal(format!(
            "{method} has no tenant policy (a server bug)"
        )));
    };
    principal.authorize(p, Some(&tenant)).map_err(|denied| {
        metrics::counter!("mcpsec_auth_denied_total", "route" => method.to_string()).increment(1);
        Status::permission_denied(denied.to_string())
    })?;
    Ok(tenant)
}

fn opt(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

/// Parses an enum field by its JSON name (`high`, `triaged`); empty is `None`.
fn parse_enum<T: serde::de::DeserializeOwned>(field: &str, raw: &str) -> Result<Option<T>, Status> {
    if raw.is_empty() {
        return Ok(None);
    }
    serde_json::from_value(serde_json::Value::String(raw.to_string()))
        .map(Some)
        .map_err(|e| Status::invalid_argument(format!("{field} {raw:?}: {e}")))
}

fn parse_time(field: &str, raw: &str) -> Result<Option<DateTime<Utc>>, String> {
    if raw.is_empty() {
        return Ok(None);
    }
    DateTime::parse_from_rfc3339(raw)
        .map(|t| Some(t.with_timezone(&Utc)))
        .map_err(|e| format!("{field} {raw:?} is not an RFC 3339 time: {e}"))
}

/// The wire event as the REST API's [`RawEvent`].
fn raw_event(e: pb::EventInput) -> Result<RawEvent, String> {
    if e.data_json.is_empty() {
        return Err("data_json is required (the payload as a JSON object)".into());
    }
    let data = serde_json::from_str(&e.data_json).map_err(|err| format!("data_json: {err}"))?;
    Ok(RawEvent {
        id: opt(e.id),
        event_type: e.r#type,
        source: e.source,
        tenant: e.tenant,
        time: parse_time("time", &e.time)?,
        schema_version: (e.schema_version != 0).then_some(e.schema_version),
        subject: opt(e.subject),
        data,
    })
}

fn pb_event(e: &Event) -> pb::Event {
    pb::Event {
        id: e.id.clone(),
        r#type: e.event_type.as_str().to_string(),
        source: e.source.clone(),
        tenant: e.tenant.to_string(),
        time: e.time.to_rfc3339(),
        schema_version: e.schema_version,
        subject: e.subject.clone().unwrap_or_default(),
        data_json: e.data.to_string(),
    }
}

fn pb_finding(f: &Finding) -> pb::Finding {
    pb::Finding {
        tenant: f.tenant.to_string(),
        id: f.id.clone(),
        asset_id: f.asset_id.clone(),
        rule_id: f.rule_id.clone(),
        title: f.title.clone(),
        severity: f.severity.as_str().to_string(),
        status: f.status.as_str().to_string(),
        json: serde_json::to_string(f).unwrap_or_default(),
    }
}

fn pb_alert(a: &Alert) -> pb::Alert {
    pb::Alert {
        tenant: a.tenant.to_string(),
        id: a.id.clone(),
        rule_id: a.rule_id.clone(),
        title: a.title.clone(),
        severity: a.severity.as_str().to_string(),
        entity: a.entity.clone().unwrap_or_default(),
        techniques: a.techniques.clone(),
        created_at: a.created_at.to_rfc3339(),
        json: serde_json::to_string(a).unwrap_or_default(),
    }
}

type GrpcStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

/// Streams the pages `fetch` returns (ascending ids, cursor after the last
/// id) until a short page or `limit` records (0: no limit).
fn paged<T, F, Fut>(after: Option<String>, limit: u32, fetch: F) -> GrpcStream<T>
where
    T: Send + 'static,
    F: Fn(Page) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<Vec<(String, T)>, ApiError>> + Send,
{
    let (tx, rx) = mpsc::channel(64);
    tokio::spawn(async move {
        let mut after = after;
        let mut left = if limit == 0 { u64::MAX } else { limit as u64 };
        while left > 0 {
            let page = Page {
                after: after.clone(),
                limit: left.min(Page::MAX_LIMIT as u64) as u32,
            };
            let items = match fetch(page.clone()).await {
                Ok(items) => items,
                Err(e) => {
                    let _ = tx.send(Err(status(e))).await;
                    return;
                }
            };
            let full = items.len() as u32 >= page.limit;
            for (id, item) in items {
                after = Some(id);
                left -= 1;
                if tx.send(Ok(item)).await.is_err() {
                    return; // the client went away
                }
            }
            if !full {
                break;
            }
        }
    });
    Box::pin(ReceiverStream::new(rx))
}

/// `mcpsec.v1.EventService`.
pub struct EventApi {
    state: Arc<AppState>,
    auth: Arc<Authenticator>,
}

#[tonic::async_trait]
impl pb::event_service_server::EventService for EventApi {
    type IngestStream = GrpcStream<pb::IngestResponse>;

    async fn ingest(
        &self,
        request: Request<Streaming<pb::IngestRequest>>,
    ) -> Result<GrpcResponse<Self::IngestStream>, Status> {
        let principal = principal(&request)?;
        let token = request.extensions().get::<BearerToken>().cloned();
        let mut input = request.into_inner();
        let state = self.state.clone();
        let auth = self.auth.clone();
        let (tx, rx) = mpsc::channel(4);
        tokio::spawn(async move {
            // The credential is checked again before a batch once
            // `stream.reauth_interval` has passed or a credential was revoked
            // in this process, so a revoked key cannot keep an open stream.
            let interval = state.limits.stream.reauth_interval;
            let mut revoked = auth.revocations();
            let mut checked = std::time::Instant::now();
            loop {
                let batch = match input.message().await {
                    Ok(Some(b)) => b,
                    Ok(None) => return,
                    Err(e) => {
                        let _ = tx.send(Err(e)).await;
                        return;
                    }
                };
                if let Some(BearerToken(token)) = &token
                    && (checked.elapsed() >= interval || revoked.has_changed().unwrap_or(false))
                {
                    revoked.borrow_and_update();
                    let ended = match auth.revalidate(token).await {
                        Ok(p)
                            if p.permissions == principal.permissions
                                && p.tenant == principal.tenant =>
                        {
                            checked = std::time::Instant::now();
                            None
                        }
                        Ok(_) => Some(Status::permission_denied(
                            "the credential's permissions changed; open a new stream",
                        )),
                        Err(e)
                            if matches!(
                                e.code,
                                ErrorCode::Unauthenticated | ErrorCode::Forbidden
                            ) =>
                        {
                            Some(Status::unauthenticated(format!(
                                "credential no longer valid: {}",
                                e.message
                            )))
                        }
                        Err(e) => {
                            tracing::warn!(error = %e.message, "gRPC ingest: credential re-check failed");
                            None
                        }
                    };
                    if let Some(status) = ended {
                        let _ = tx.send(Err(status)).await;
                        return;
                    }
                }
                let result = ingest_batch(&state, &principal, batch).await;
                let stop = result.is_err();
                if tx.send(result).await.is_err() || stop {
                    return;
                }
            }
        });
        Ok(GrpcResponse::new(Box::pin(ReceiverStream::new(rx))))
    }
}

async fn ingest_batch(
    state: &AppState,
    principal: &Principal,
    batch: pb::IngestRequest,
) -> Result<pb::IngestResponse, Status> {
    let span = tracing::info_span!("grpc_ingest", events = batch.events.len());
    let mut raw = Vec::with_capacity(batch.events.len());
    let mut errors = Vec::new();
    for (index, e) in batch.events.into_iter().enumerate() {
        match raw_event(e) {
            Ok(r) => raw.push(r),
            Err(message) => errors.push(ItemError {
                index,
                code: ErrorCode::MalformedRequest,
                message,
            }),
        }
    }
    if !errors.is_empty() {
        let mut err = ApiError::new(
            ErrorCode::MalformedRequest,
            format!(
                "{} of the events are malformed; nothing was published",
                errors.len()
            ),
        );
        err.details = errors;
        return Err(status(err));
    }
    let ids = state
        .ingest(principal, raw)
        .instrument(span)
        .await
        .map_err(status)?;
    Ok(pb::IngestResponse {
        accepted: ids.len() as u32,
        ids,
    })
}

/// `mcpsec.v1.QueryService`.
pub struct QueryApi {
    state: Arc<AppState>,
}

#[tonic::async_trait]
impl pb::query_service_server::QueryService for QueryApi {
    type StreamFindingsStream = GrpcStream<pb::Finding>;
    type StreamAlertsStream = GrpcStream<pb::Alert>;
    type StreamEventsStream = GrpcStream<pb::Event>;

    async fn stream_findings(
        &self,
        request: Request<pb::StreamFindingsRequest>,
    ) -> Result<GrpcResponse<Self::StreamFindingsStream>, Status> {
        let tenant = tenant_scope(&request, STREAM_FINDINGS, &request.get_ref().tenant)?;
        let q = request.into_inner();
        let status_filter = parse_enum("status", &q.status)?;
        let min_severity = parse_enum("min_severity", &q.min_severity)?;
        let asset_id = opt(q.asset_id);
        let store = self.state.backends.store.clone();
        Ok(GrpcResponse::new(paged(
            opt(q.after),
            q.limit,
            move |page| {
                let filter = FindingFilter {
                    asset_id: asset_id.clone(),
                    status: status_filter,
                    min_severity,
                    page,
                    ..Default::default()
                };
                let store = store.clone();
                let tenant = tenant.clone();
                async move {
                    let items = store.list_findings(&tenant, &filter).await?;
                    Ok(items
                        .iter()
                        .map(|f| (f.id.clone(), pb_finding(f)))
                        .collect())
                }
            },
        )))
    }

    async fn get_finding(
        &self,
        request: Request<pb::GetFindingRequest>,
    ) -> Result<GrpcResponse<pb::Finding>, Status> {
        let tenant = tenant_scope(&request, GET_FINDING, &request.get_ref().tenant)?;
        let id = &request.get_ref().id;
        let finding = self
            .state
            .backends
            .store
            .get_finding(&tenant, id)
            .await
            .map_err(|e| status(e.into()))?
            .ok_or_else(|| Status::not_found(format!("finding {id:?}")))?;
        Ok(GrpcResponse::new(pb_finding(&finding)))
    }

    async fn get_finding_history(
        &self,
        request: Request<pb::GetFindingRequest>,
    ) -> Result<GrpcResponse<pb::FindingHistory>, Status> {
        let tenant = tenant_scope(&request, GET_FINDING_HISTORY, &request.get_ref().tenant)?;
        let id = &request.get_ref().id;
        let store = &self.state.backends.store;
        if store
            .get_finding(&tenant, id)
            .await
            .map_err(|e| status(e.into()))?
            .is_none()
        {
            return Err(Status::not_found(format!("finding {id:?}")));
        }
        let items = store
            .finding_history(&tenant, id)
            .await
            .map_err(|e| status(e.into()))?
            .into_iter()
            .map(|c| pb::FindingChange {
                at: c.at.to_rfc3339(),
                author: c.author.unwrap_or_default(),
                from: c.from.map(|f| f.as_str().to_string()).unwrap_or_default(),
                to: c.to.as_str().to_string(),
                reason: c.reason.unwrap_or_default(),
            })
            .collect();
        Ok(GrpcResponse::new(pb::FindingHistory {
            finding_id: id.clone(),
            items,
        }))
    }

    async fn stream_alerts(
        &self,
        request: Request<pb::StreamAlertsRequest>,
    ) -> Result<GrpcResponse<Self::StreamAlertsStream>, Status> {
        let tenant = tenant_scope(&request, STREAM_ALERTS, &request.get_ref().tenant)?;
        let q = request.into_inner();
        let min_severity = parse_enum("min_severity", &q.min_severity)?;
        let since = parse_time("since", &q.since).map_err(Status::invalid_argument)?;
        let (rule_id, technique, entity) = (opt(q.rule_id), opt(q.technique), opt(q.entity));
        let store = self.state.backends.store.clone();
        Ok(GrpcResponse::new(paged(
            opt(q.after),
            q.limit,
            move |page| {
                let filter = AlertFilter {
                    rule_id: rule_id.clone(),
                    technique: technique.clone(),
                    min_severity,
                    entity: entity.clone(),
                    since,
                    page,
                };
                let store = store.clone();
                let tenant = tenant.clone();
                async move {
                    let items = store.list_alerts(&tenant, &filter).await?;
                    Ok(items.iter().map(|a| (a.id.clone(), pb_alert(a))).collect())
                }
            },
        )))
    }

    async fn stream_events(
        &self,
        request: Request<pb::StreamEventsRequest>,
    ) -> Result<GrpcResponse<Self::StreamEventsStream>, Status> {
        let tenant = tenant_scope(&request, STREAM_EVENTS, &request.get_ref().tenant)?;
        let ids = request.into_inner().ids;
        let max = self.state.limits.max_batch_events;
        if ids.len() > max {
            return Err(Status::invalid_argument(format!(
                "{} ids in one request; the limit is {max}",
                ids.len()
            )));
        }
        let store = self.state.backends.store.clone();
        let (tx, rx) = mpsc::channel(64);
        tokio::spawn(async move {
            for id in ids {
                let item = match store.get_event(&tenant, &id).await {
                    Ok(Some(e)) => Ok(pb_event(&e)),
                    Ok(None) => continue,
                    Err(e) => Err(status(e.into())),
                };
                let stop = item.is_err();
                if tx.send(item).await.is_err() || stop {
                    return;
                }
            }
        });
        Ok(GrpcResponse::new(Box::pin(ReceiverStream::new(rx))))
    }

    async fn count_events(
        &self,
        request: Request<pb::CountEventsRequest>,
    ) -> Result<GrpcResponse<pb::CountEventsResponse>, Status> {
        let tenant = tenant_scope(&request, COUNT_EVENTS, &request.get_ref().tenant)?;
        let count = self
            .state
            .backends
            .store
            .count_events(&tenant)
            .await
            .map_err(|e| status(e.into()))?;
        Ok(GrpcResponse::new(pb::CountEventsResponse { count }))
    }
}

/// The gRPC routes (mcpsec services and reflection) behind the
/// [`authenticate`] layer, to merge into the API router.
pub(crate) fn router(state: Arc<AppState>, auth: Arc<Authenticator>) -> axum::Router {
    use pb::event_service_server::EventServiceServer;
    use pb::query_service_server::QueryServiceServer;
    use tonic::server::NamedService;
    let max = state.limits.max_body_bytes;
    let events = EventServiceServer::new(EventApi {
        state: state.clone(),
        auth: auth.clone(),
    })
    .max_decoding_message_size(max);
    let query = QueryServiceServer::new(QueryApi { state }).max_decoding_message_size(max);
    let reflection = || {
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(FILE_DESCRIPTOR_SET)
    };
    let mut router = axum::Router::new()
        .route_service(
            &format!("/{}/{{*rest}}", EventServiceServer::<EventApi>::NAME),
            events,
        )
        .route_service(
            &format!("/{}/{{*rest}}", QueryServiceServer::<QueryApi>::NAME),
            query,
        );
    match reflection().build_v1() {
        Ok(svc) => {
            router = router.route_service("/grpc.reflection.v1.ServerReflection/{*rest}", svc)
        }
        Err(e) => tracing::error!(error = %e, "gRPC reflection (v1) is off"),
    }
    match reflection().build_v1alpha() {
        Ok(svc) => {
            router = router.route_service("/grpc.reflection.v1alpha.ServerReflection/{*rest}", svc)
        }
        Err(e) => tracing::error!(error = %e, "gRPC reflection (v1alpha) is off"),
    }
    router.route_layer(axum::middleware::from_fn_with_state(auth, authenticate))
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message;

    #[test]
    fn every_method_has_a_policy() {
        let fds = prost_types::FileDescriptorSet::decode(FILE_DESCRIPTOR_SET).unwrap();
        let mut n = 0;
        for file in &fds.file {
            for svc in &file.service {
                for m in &svc.method {
                    let path = format!("/{}.{}/{}", file.package(), svc.name(), m.name());
                    assert!(
                        grpc_policy(&path).is_some(),
                        "{path} has no GRPC_POLICY entry"
                    );
                    n += 1;
                }
            }
        }
        assert_eq!(n, 7);
        assert_eq!(grpc_policy("/mcpsec.v1.QueryService/Nope"), None);
    }

    #[test]
    fn api_errors_map_to_grpc_codes() {
        let mut e = ApiError::new(ErrorCode::InvalidEvent, "2 of the events were rejected");
        e.details.push(ItemError {
            index: 1,
            code: ErrorCode::InvalidEvent,
            message: "bad data".into(),
        });
        let st = status(e);
        assert_eq!(st.code(), tonic::Code::InvalidArgument);
        assert!(
            st.message().contains("event 1: bad data"),
            "{}",
            st.message()
        );
        assert_eq!(
            st.metadata().get("mcpsec-error-code").unwrap(),
            "invalid_event"
        );
        assert_eq!(
            status(ApiError::new(ErrorCode::Forbidden, "x")).code(),
            tonic::Code::PermissionDenied
        );
    }

    #[test]
    fn wire_events_convert_with_clear_errors() {
        let ok = raw_event(pb::EventInput {
            r#type: "log.received".into(),
            tenant: "acme".into(),
            time: "2026-01-02T03:04:05Z".into(),
            data_json: r#"{"n": 4688}"#.into(),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(ok.id, None);
        assert_eq!(ok.schema_version, None);
        assert_eq!(ok.data["n"], 4688);
        assert!(ok.time.is_some());
        let err = raw_event(pb::EventInput {
            data_json: "{".into(),
            ..Default::default()
        })
        .unwrap_err();
        assert!(err.starts_with("data_json:"), "{err}");
        let err = raw_event(pb::EventInput {
            time: "yesterday".into(),
            data_json: "{}".into(),
            ..Default::default()
        })
        .unwrap_err();
        assert!(err.contains("RFC 3339"), "{err}");
    }
}
