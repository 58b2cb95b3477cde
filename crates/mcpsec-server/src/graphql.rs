//! GraphQL at `/graphql` (async-graphql) over the same domain and the same
//! permission model as REST, with a playground at `/graphql/playground`.
//!
//! - Authentication: `POST /graphql` passes the same [`enforce`] middleware
//!   as every REST route (policy `Authenticated`); subscriptions
//!   (`GET /graphql`, WebSocket, `graphql-transport-ws` or `graphql-ws`)
//!   authenticate with the `Authorization` header of the upgrade or, for
//!   browsers, `{"Authorization": "Bearer …"}` (or `{"token": …}`) in the
//!   `connection_init` payload. The credential is checked again every
//!   `stream.reauth_interval_secs` and whenever one is revoked in this
//!   process: a revoked or expired key, an ended session, a disabled user or
//!   an expired OIDC token closes the connection with `4401`, changed
//!   permissions with `4403`.
//! - Authorization: every resolver that reads or changes tenant data calls
//!   [`Principal::authorize`] with the permission the equivalent REST route
//!   needs, on the tenant of the data, so a role sees exactly what it sees
//!   over REST. Denials are GraphQL errors with `extensions.code =
//!   "forbidden"`; other fields of the same query still resolve.
//! - Limits: query depth [`MAX_DEPTH`], complexity [`MAX_COMPLEXITY`] (list
//!   fields count `first × child`), page size at most 1000.
//! - Batching: a finding's asset, component and advisory and an alert's
//!   events are loaded through per-request [`DataLoader`]s, one batch per
//!   kind per level of the query (counted in
//!   `mcpsec_graphql_loader_batches_total` / `_keys_total`).
//!
//! [`enforce`]: crate::auth::enforce

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use async_graphql::connection::{Connection, Edge};
use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::http::{ALL_WEBSOCKET_PROTOCOLS, GraphQLPlaygroundConfig, playground_source};
use async_graphql::{
    Context, Data, Enum, ErrorExtensions, Json, Object, Schema, SimpleObject, Subscription,
};
use async_graphql_axum::{GraphQLProtocol, GraphQLRequest, GraphQLResponse, GraphQLWebSocket};
use axum::Router;
use axum::extract::ws::{CloseFrame, Message};
use axum::extract::{Extension, State, WebSocketUpgrade};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};
use futures::{SinkExt, Stream, StreamExt};
use mcpsec_core::auth::{Denied, Permission, Principal};
use mcpsec_core::domain::{Alert, Asset, Component, Finding, Tenant, Vulnerability};
use mcpsec_core::event::Event;
use mcpsec_core::store::{AlertFilter, FindingFilter, Page, Store};
use mcpsec_core::{ErrorCode, TenantId};

use crate::api::AppState;
use crate::auth::Authenticator;
use crate::error::ApiError;
use crate::stream::{StreamFilter, StreamHub, StreamItem, StreamKind};

/// Deepest accepted query (the introspection query of the playground needs
/// about 13).
pub const MAX_DEPTH: usize = 15;
/// Largest accepted query complexity.
pub const MAX_COMPLEXITY: usize = 20_000;

/// The schema type.
pub type McpsecSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// Builds the schema (also used to print the SDL).
pub(crate) fn schema(state: Arc<AppState>, hub: Arc<StreamHub>) -> McpsecSchema {
    Schema::build(QueryRoot, MutationRoot, SubscriptionRoot)
        .data(state)
        .data(hub)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
        .finish()
}

#[derive(Clone)]
struct GqlState {
    schema: McpsecSchema,
    auth: Arc<Authenticator>,
    store: Arc<dyn Store>,
    /// How often a subscription connection's credential is checked again.
    reauth_interval: std::time::Duration,
}

/// The GraphQL routes (policies in `auth::ROUTE_POLICY`).
pub(crate) fn router(
    state: Arc<AppState>,
    auth: Arc<Authenticator>,
    hub: Arc<StreamHub>,
) -> Router {
    let store = state.backends.store.clone();
    let reauth_interval = hub.settings.reauth_interval;
    let schema = schema(state, hub);
    Router::new()
        .route("/graphql", get(graphql_ws).post(graphql_post))
        .route("/graphql/playground", get(playground))
        .with_state(GqlState {
            schema,
            auth,
            store,
            reauth_interval,
        })
}

/// The per-request data every resolver finds: the caller and the loaders.
fn request_data(principal: Principal, store: &Arc<dyn Store>) -> Data {
    let mut data = Data::default();
    data.insert(principal);
    data.insert(DataLoader::new(Loaders(store.clone()), tokio::spawn));
    data
}

async fn graphql_post(
    State(s): State<GqlState>,
    Extension(principal): Extension<Principal>,
    req: GraphQLRequest,
) -> GraphQLResponse {
    let mut req = req.into_inner();
    req.data = request_data(principal, &s.store);
    s.schema.execute(req).await.into()
}

async fn graphql_ws(
    State(s): State<GqlState>,
    headers: HeaderMap,
    protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
) -> Response {
    let from_header = match crate::stream::bearer(&headers) {
        Some(token) => match s.auth.authenticate(token).await {
            Ok(p) => Some((p, token.to_string())),
            Err(e) => return crate::stream::challenge(e),
        },
        None => None,
    };
    let GqlState {
        schema,
        auth,
        store,
        reauth_interval,
    } = s;
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .max_message_size(crate::stream::MAX_CLIENT_MESSAGE)
        .on_upgrade(move |socket| async move {
            // The credential the connection was opened with, once known.
            let credential: Arc<std::sync::Mutex<Option<(Principal, String)>>> =
                Arc::new(std::sync::Mutex::new(from_header.clone()));
            let (mut ws_sink, ws_source) = socket.split();
            // The protocol writes into a channel that is pumped to the
            // socket, so the watchdog below can close the socket itself.
            let (tx, mut rx) = futures::channel::mpsc::channel::<Message>(16);
            let tx = tx.sink_map_err(|_| axum::Error::new("connection closed"));
            let init_auth = auth.clone();
            let init_credential = credential.clone();
            let gql = GraphQLWebSocket::new_with_pair(tx, ws_source, schema, protocol)
                .on_connection_init(move |payload: serde_json::Value| async move {
                    let (principal, token) = match from_header {
                        Some(p) => p,
                        None => {
                            let token = payload
                                .get("Authorization")
                                .or_else(|| payload.get("authorization"))
                                .and_then(|v| v.as_str())
                                .map(|v| v.strip_prefix("Bearer ").unwrap_or(v))
                                .or_else(|| payload.get("token").and_then(|v| v.as_str()))
                                .ok_or_else(|| {
                                    async_graphql::Error::new(
                                        "authentication required: send {\"Authorization\": \"Bearer <token>\"} in connection_init",
                                    )
                                })?
                                .trim()
                                .to_string();
                            let p = init_auth
                                .authenticate(&token)
                                .await
                                .map_err(|e| async_graphql::Error::new(e.message))?;
                            (p, token)
                        }
                    };
                    *init_credential.lock().expect("lock") = Some((principal.clone(), token));
                    Ok(request_data(principal, &store))
                })
                .serve();
            let pump = async {
                while let Some(m) = rx.next().await {
                    if ws_sink.send(m).await.is_err() {
                        break;
                    }
                }
            };
            let watchdog = watch_credential(&auth, &credential, reauth_interval);
            let closing = tokio::select! {
                _ = async { futures::join!(gql, pump) } => None,
                reason = watchdog => Some(reason),
            };
            if let Some((code, reason)) = closing {
                metrics::counter!("mcpsec_graphql_subscriptions_ended_total", "reason" => "credential").increment(1);
                let bye = ws_sink.send(Message::Close(Some(CloseFrame {
                    code,
                    reason: reason.into(),
                })));
                let _ = tokio::time::timeout(std::time::Duration::from_secs(1), bye).await;
            }
        })
}

/// Re-checks the connection's credential every `interval` and whenever a
/// credential is revoked in this process; returns the close code and reason
/// once it is no longer valid (`4401`) or no longer grants what the
/// connection was opened with (`4403`: reconnect to get the new rights).
async fn watch_credential(
    auth: &Authenticator,
    credential: &std::sync::Mutex<Option<(Principal, String)>>,
    interval: std::time::Duration,
) -> (u16, String) {
    let mut tick = tokio::time::interval(interval.max(std::time::Duration::from_secs(1)));
    tick.tick().await;
    let mut revoked = auth.revocations();
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = revoked.changed() => {}
        }
        let Some((before, token)) = credential.lock().expect("lock").clone() else {
            continue;
        };
        match auth.revalidate(&token).await {
            Ok(now) if now.permissions == before.permissions && now.tenant == before.tenant => {}
            Ok(_) => {
                return (
                    crate::stream::close::FORBIDDEN,
                    "the credential's permissions changed; reconnect".into(),
                );
            }
            Err(e) if matches!(e.code, ErrorCode::Unauthenticated | ErrorCode::Forbidden) => {
                let mut reason = format!("credential no longer valid: {}", e.message);
                // A close reason holds at most 123 bytes.
                while reason.len() > 120 {
                    reason.pop();
                }
                return (crate::stream::close::UNAUTHENTICATED, reason);
            }
            Err(e) => {
                tracing::warn!(error = %e.message, "GraphQL subscription: credential re-check failed");
            }
        }
    }
}

async fn playground() -> impl IntoResponse {
    Html(playground_source(
        GraphQLPlaygroundConfig::new("/graphql").subscription_endpoint("/graphql"),
    ))
}

// ---------------------------------------------------------------------------
// Errors and authorization
// ---------------------------------------------------------------------------

fn gql_error(code: ErrorCode, message: impl Into<String>) -> async_graphql::Error {
    async_graphql::Error::new(message).extend_with(|_, e| e.set("code", code.as_str()))
}

impl From<ApiError> for async_graphql::Error {
    fn from(e: ApiError) -> Self {
        gql_error(e.code, e.message)
    }
}

fn denied(d: Denied) -> async_graphql::Error {
    metrics::counter!("mcpsec_auth_denied_total", "route" => "/graphql").increment(1);
    gql_error(ErrorCode::Forbidden, d.to_string())
}

fn principal<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Principal> {
    ctx.data_opt::<Principal>()
        .ok_or_else(|| gql_error(ErrorCode::Unauthenticated, "authentication required"))
}

/// The one authorization decision, as for REST: `permission` on `tenant`.
fn allow<'a>(
    ctx: &Context<'a>,
    permission: Permission,
    tenant: &TenantId,
) -> async_graphql::Result<&'a Principal> {
    let p = principal(ctx)?;
    p.authorize(permission, Some(tenant)).map_err(denied)?;
    Ok(p)
}

fn tenant_id(raw: &str) -> async_graphql::Result<TenantId> {
    TenantId::new(raw)
        .map_err(|e| gql_error(ErrorCode::InvalidArgument, format!("tenant {raw:?}: {e}")))
}

fn store<'a>(ctx: &Context<'a>) -> &'a Arc<dyn Store> {
    &ctx.data_unchecked::<Arc<AppState>>().backends.store
}

fn loader<'a>(ctx: &Context<'a>) -> &'a DataLoader<Loaders> {
    ctx.data_unchecked::<DataLoader<Loaders>>()
}

fn page(first: Option<i32>, after: Option<String>) -> Page {
    Page {
        after,
        limit: first.unwrap_or(100).clamp(1, Page::MAX_LIMIT as i32) as u32,
    }
}

fn connection<T: async_graphql::OutputType>(
    items: Vec<T>,
    page: &Page,
    id: impl Fn(&T) -> String,
) -> Connection<String, T> {
    let full = items.len() as u32 >= page.limit;
    let mut c = Connection::new(page.after.is_some(), full);
    c.edges
        .extend(items.into_iter().map(|item| Edge::new(id(&item), item)));
    c
}

fn list_complexity(child: usize, first: Option<i32>) -> usize {
    (first.unwrap_or(100).clamp(1, Page::MAX_LIMIT as i32) as usize).saturating_mul(child.max(1))
}

// ---------------------------------------------------------------------------
// Enums
// ---------------------------------------------------------------------------

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "Severity", remote = "mcpsec_core::domain::Severity")]
enum GSeverity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

/// The order of `findings`.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "FindingOrder")]
enum GFindingOrder {
    /// Ascending id.
    Id,
    /// "Fix first": highest risk score first, then ascending id.
    Risk,
}

/// One lifecycle change of a finding.
struct GFindingChange(mcpsec_core::domain::FindingChange);

#[Object(name = "FindingChange")]
impl GFindingChange {
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }
    /// The authenticated principal, or the service (`mcpsec://vuln`).
    async fn author(&self) -> Option<&str> {
        self.0.author.as_deref()
    }
    /// `null` for the creation of the finding.
    async fn from(&self) -> Option<GFindingStatus> {
        self.0.from.map(Into::into)
    }
    async fn to(&self) -> GFindingStatus {
        self.0.to.into()
    }
    async fn reason(&self) -> Option<&str> {
        self.0.reason.as_deref()
    }
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "FindingStatus", remote = "mcpsec_core::domain::FindingStatus")]
enum GFindingStatus {
    Open,
    Triaged,
    FalsePositive,
    AcceptedRisk,
    Fixed,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "AssetKind", remote = "mcpsec_core::domain::AssetKind")]
enum GAssetKind {
    Repository,
    ContainerImage,
    Host,
    Cluster,
    CloudAccount,
    McpServer,
    Application,
    Other,
}

// ---------------------------------------------------------------------------
// Data loaders
// ---------------------------------------------------------------------------

/// The per-request loaders (one type, several key types).
struct Loaders(Arc<dyn Store>);

#[derive(Clone, PartialEq, Eq, Hash)]
struct AssetKey(TenantId, String);
#[derive(Clone, PartialEq, Eq, Hash)]
struct ComponentKey(TenantId, String, String);
#[derive(Clone, PartialEq, Eq, Hash)]
struct EventKey(TenantId, String);
#[derive(Clone, PartialEq, Eq, Hash)]
struct VulnKey(String);

fn count_batch(loader: &'static str, keys: usize) {
    metrics::counter!("mcpsec_graphql_loader_batches_total", "loader" => loader).increment(1);
    metrics::counter!("mcpsec_graphql_loader_keys_total", "loader" => loader)
        .increment(keys as u64);
}

/// Reads every distinct key concurrently with `read` (one store lookup per
/// key); absent records are left out of the map.
async fn read_each<'a, K, V, F, Fut>(
    keys: &'a [K],
    read: F,
) -> Result<HashMap<K, V>, async_graphql::Error>
where
    K: Clone + Eq + std::hash::Hash,
    F: Fn(&'a K) -> Fut,
    Fut: std::future::Future<Output = mcpsec_core::store::StoreResult<Option<V>>>,
{
    let reads = keys.iter().map(|k| {
        let read = read(k);
        async move { (k.clone(), read.await) }
    });
    let mut out = HashMap::new();
    for (k, v) in futures::future::join_all(reads).await {
        if let Some(v) = v.map_err(ApiError::from)? {
            out.insert(k, v);
        }
    }
    Ok(out)
}

impl Loader<AssetKey> for Loaders {
    type Value = Asset;
    type Error = async_graphql::Error;

    /// One batch per query level; the distinct keys are read concurrently.
    async fn load(&self, keys: &[AssetKey]) -> Result<HashMap<AssetKey, Asset>, Self::Error> {
        count_batch("asset", keys.len());
        read_each(keys, |k| self.0.get_asset(&k.0, &k.1)).await
    }
}

impl Loader<ComponentKey> for Loaders {
    type Value = Component;
    type Error = async_graphql::Error;

    /// Reads the components of each distinct asset once.
    async fn load(
        &self,
        keys: &[ComponentKey],
    ) -> Result<HashMap<ComponentKey, Component>, Self::Error> {
        count_batch("component", keys.len());
        let wanted: HashSet<&ComponentKey> = keys.iter().collect();
        let assets: HashSet<(TenantId, String)> =
            keys.iter().map(|k| (k.0.clone(), k.1.clone())).collect();
        let mut out = HashMap::new();
        for (tenant, asset) in assets {
            let mut page = Page::first(Page::MAX_LIMIT);
            loop {
                let batch = self
                    .0
                    .list_components(&tenant, &asset, &page)
                    .await
                    .map_err(ApiError::from)?;
                let full = batch.len() as u32 >= page.limit;
                page.after = batch.last().map(|c| c.id.clone());
                for c in batch {
                    let k = ComponentKey(tenant.clone(), asset.clone(), c.id.clone());
                    if wanted.contains(&k) {
                        out.insert(k, c);
                    }
                }
                if !full {
                    break;
                }
            }
        }
        Ok(out)
    }
}

impl Loader<EventKey> for Loaders {
    type Value = Event;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[EventKey]) -> Result<HashMap<EventKey, Event>, Self::Error> {
        count_batch("event", keys.len());
        read_each(keys, |k| self.0.get_event(&k.0, &k.1)).await
    }
}

impl Loader<VulnKey> for Loaders {
    type Value = Vulnerability;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[VulnKey]) -> Result<HashMap<VulnKey, Vulnerability>, Self::Error> {
        count_batch("vulnerability", keys.len());
        read_each(keys, |k| self.0.get_vulnerability(&k.0)).await
    }
}

// ---------------------------------------------------------------------------
// Object types
// ---------------------------------------------------------------------------

/// The authenticated caller.
#[derive(SimpleObject)]
struct Me {
    subject: String,
    role: String,
    /// `null`: a platform-scope credential.
    tenant: Option<String>,
    permissions: Vec<String>,
}

/// A customer of the platform.
struct GTenant(Tenant);

#[Object(name = "Tenant")]
impl GTenant {
    async fn id(&self) -> &str {
        self.0.id.as_str()
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// Assets, in id order (`assets:read`).
    #[graphql(complexity = "list_complexity(child_complexity, first)")]
    async fn assets(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, GAsset>> {
        allow(ctx, Permission::AssetsRead, &self.0.id)?;
        let page = page(first, after);
        let items = store(ctx)
            .list_assets(&self.0.id, &page)
            .await
            .map_err(ApiError::from)?;
        Ok(connection(
            items.into_iter().map(GAsset).collect(),
            &page,
            |a| a.0.id.clone(),
        ))
    }

    /// One asset (`assets:read`).
    async fn asset(&self, ctx: &Context<'_>, id: String) -> async_graphql::Result<Option<GAsset>> {
        allow(ctx, Permission::AssetsRead, &self.0.id)?;
        Ok(loader(ctx)
            .load_one(AssetKey(self.0.id.clone(), id))
            .await?
            .map(GAsset))
    }

    /// Findings, in id order (or `order: RISK`, "fix first"), filtered
    /// (`findings:read`); the same filters as `GET …/findings`.
    #[graphql(complexity = "list_complexity(child_complexity, first)")]
    #[allow(clippy::too_many_arguments)]
    async fn findings(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        status: Option<GFindingStatus>,
        min_severity: Option<GSeverity>,
        asset_id: Option<String>,
        severity: Option<GSeverity>,
        kev: Option<bool>,
        fixable: Option<bool>,
        min_risk: Option<f64>,
        order: Option<GFindingOrder>,
    ) -> async_graphql::Result<Connection<String, GFinding>> {
        allow(ctx, Permission::FindingsRead, &self.0.id)?;
        let page = page(first, after);
        if let Some(r) = min_risk.filter(|r| !(0.0..=10.0).contains(r)) {
            return Err(ApiError::new(
                mcpsec_core::ErrorCode::InvalidArgument,
                format!("minRisk {r}: expected a risk score from 0 to 10"),
            )
            .into());
        }
        let filter = FindingFilter {
            asset_id,
            status: status.map(Into::into),
            min_severity: min_severity.map(Into::into),
            severity: severity.map(Into::into),
            kev,
            fixable,
            min_risk,
            sort: match order {
                Some(GFindingOrder::Risk) => mcpsec_core::store::FindingSort::Risk,
                _ => mcpsec_core::store::FindingSort::Id,
            },
            page: page.clone(),
            ..Default::default()
        };
        let items = store(ctx)
            .list_findings(&self.0.id, &filter)
            .await
            .map_err(ApiError::from)?;
        Ok(connection(
            items.into_iter().map(GFinding).collect(),
            &page,
            |f| f.0.id.clone(),
        ))
    }

    /// One finding (`findings:read`).
    async fn finding(
        &self,
        ctx: &Context<'_>,
        id: String,
    ) -> async_graphql::Result<Option<GFinding>> {
        allow(ctx, Permission::FindingsRead, &self.0.id)?;
        Ok(store(ctx)
            .get_finding(&self.0.id, &id)
            .await
            .map_err(ApiError::from)?
            .map(GFinding))
    }

    /// Alerts, in id order, filtered (`alerts:read`).
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "list_complexity(child_complexity, first)")]
    async fn alerts(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        rule_id: Option<String>,
        technique: Option<String>,
        min_severity: Option<GSeverity>,
        entity: Option<String>,
        since: Option<DateTime<Utc>>,
    ) -> async_graphql::Result<Connection<String, GAlert>> {
        allow(ctx, Permission::AlertsRead, &self.0.id)?;
        let page = page(first, after);
        let filter = AlertFilter {
            rule_id,
            technique,
            min_severity: min_severity.map(Into::into),
            entity,
            since,
            page: page.clone(),
        };
        let items = store(ctx)
            .list_alerts(&self.0.id, &filter)
            .await
            .map_err(ApiError::from)?;
        Ok(connection(
            items.into_iter().map(GAlert).collect(),
            &page,
            |a| a.0.id.clone(),
        ))
    }

    /// A processed event (`events:read`).
    async fn event(&self, ctx: &Context<'_>, id: String) -> async_graphql::Result<Option<GEvent>> {
        allow(ctx, Permission::EventsRead, &self.0.id)?;
        Ok(loader(ctx)
            .load_one(EventKey(self.0.id.clone(), id))
            .await?
            .map(GEvent))
    }

    /// How many events the workers have processed (`events:read`).
    async fn event_count(&self, ctx: &Context<'_>) -> async_graphql::Result<u64> {
        allow(ctx, Permission::EventsRead, &self.0.id)?;
        Ok(store(ctx)
            .count_events(&self.0.id)
            .await
            .map_err(ApiError::from)?)
    }

    /// Detection rules (`rules:read`).
    async fn rules(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<GRule>> {
        allow(ctx, Permission::RulesRead, &self.0.id)?;
        let rules = store(ctx)
            .list_rules(&self.0.id)
            .await
            .map_err(ApiError::from)?;
        Ok(rules
            .into_iter()
            .map(|r| GRule {
                id: r.id,
                title: r.title,
                level: r.level.map(Into::into),
                yaml: r.yaml,
                updated_at: r.updated_at,
            })
            .collect())
    }
}

/// A detection rule of the tenant.
#[derive(SimpleObject)]
#[graphql(name = "Rule")]
struct GRule {
    id: String,
    title: String,
    level: Option<GSeverity>,
    yaml: String,
    updated_at: DateTime<Utc>,
}

/// Something a tenant owns and wants secured.
struct GAsset(Asset);

#[Object(name = "Asset")]
impl GAsset {
    async fn id(&self) -> &str {
        &self.0.id
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn kind(&self) -> GAssetKind {
        self.0.kind.into()
    }
    async fn criticality(&self) -> GSeverity {
        self.0.criticality.into()
    }
    async fn labels(&self) -> Json<BTreeMap<String, String>> {
        Json(self.0.labels.clone())
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }

    /// Software components found in the asset (`assets:read`).
    #[graphql(complexity = "list_complexity(child_complexity, first)")]
    async fn components(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, GComponent>> {
        allow(ctx, Permission::AssetsRead, &self.0.tenant)?;
        let page = page(first, after);
        let items = store(ctx)
            .list_components(&self.0.tenant, &self.0.id, &page)
            .await
            .map_err(ApiError::from)?;
        Ok(connection(
            items.into_iter().map(GComponent).collect(),
            &page,
            |c| c.0.id.clone(),
        ))
    }
}

/// A software component of an asset.
struct GComponent(Component);

#[Object(name = "Component")]
impl GComponent {
    async fn id(&self) -> &str {
        &self.0.id
    }
    async fn asset_id(&self) -> &str {
        &self.0.asset_id
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn version(&self) -> &str {
        &self.0.version
    }
    async fn purl(&self) -> Option<&str> {
        self.0.purl.as_deref()
    }
    async fn ecosystem(&self) -> Option<&str> {
        self.0.ecosystem.as_deref()
    }
    async fn licenses(&self) -> &[String] {
        &self.0.licenses
    }
}

/// A public vulnerability advisory.
struct GVulnerability(Vulnerability);

#[Object(name = "Vulnerability")]
impl GVulnerability {
    async fn id(&self) -> &str {
        &self.0.id
    }
    async fn aliases(&self) -> &[String] {
        &self.0.aliases
    }
    async fn summary(&self) -> &str {
        &self.0.summary
    }
    async fn severity(&self) -> GSeverity {
        self.0.severity.into()
    }
    async fn cvss_score(&self) -> Option<f64> {
        self.0.cvss_score
    }
    async fn published(&self) -> Option<DateTime<Utc>> {
        self.0.published
    }
    async fn modified(&self) -> DateTime<Utc> {
        self.0.modified
    }
}

/// A problem found in an asset.
struct GFinding(Finding);

#[Object(name = "Finding")]
impl GFinding {
    async fn id(&self) -> &str {
        &self.0.id
    }
    async fn tenant(&self) -> &str {
        self.0.tenant.as_str()
    }
    async fn asset_id(&self) -> &str {
        &self.0.asset_id
    }
    async fn component_id(&self) -> Option<&str> {
        self.0.component_id.as_deref()
    }
    async fn rule_id(&self) -> &str {
        &self.0.rule_id
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn severity(&self) -> GSeverity {
        self.0.severity.into()
    }
    async fn status(&self) -> GFindingStatus {
        self.0.status.into()
    }
    async fn status_reason(&self) -> Option<&str> {
        self.0.status_reason.as_deref()
    }
    async fn first_seen(&self) -> DateTime<Utc> {
        self.0.first_seen
    }
    async fn last_seen(&self) -> DateTime<Utc> {
        self.0.last_seen
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// In CISA's Known Exploited Vulnerabilities catalog.
    async fn kev(&self) -> bool {
        self.0.kev
    }
    /// FIRST EPSS probability (0–1), when known.
    async fn epss(&self) -> Option<f64> {
        self.0.epss
    }
    /// Versions that fix it; empty when no fix is known.
    async fn fixed_versions(&self) -> &[String] {
        &self.0.fixed_versions
    }
    /// Whether a fixed version is known.
    async fn fixable(&self) -> bool {
        self.0.fixable()
    }
    /// Risk score (0–10) for "fix first" ordering.
    async fn risk_score(&self) -> Option<f64> {
        self.0.risk_score
    }
    /// Every lifecycle change, oldest first (`findings:read`).
    async fn history(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<GFindingChange>> {
        allow(ctx, Permission::FindingsRead, &self.0.tenant)?;
        Ok(store(ctx)
            .finding_history(&self.0.tenant, &self.0.id)
            .await
            .map_err(ApiError::from)?
            .into_iter()
            .map(GFindingChange)
            .collect())
    }

    /// The asset (`assets:read`; batched).
    async fn asset(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<GAsset>> {
        allow(ctx, Permission::AssetsRead, &self.0.tenant)?;
        Ok(loader(ctx)
            .load_one(AssetKey(self.0.tenant.clone(), self.0.asset_id.clone()))
            .await?
            .map(GAsset))
    }

    /// The affected component, when there is one (`assets:read`; batched).
    async fn component(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<GComponent>> {
        allow(ctx, Permission::AssetsRead, &self.0.tenant)?;
        let Some(c) = &self.0.component_id else {
            return Ok(None);
        };
        Ok(loader(ctx)
            .load_one(ComponentKey(
                self.0.tenant.clone(),
                self.0.asset_id.clone(),
                c.clone(),
            ))
            .await?
            .map(GComponent))
    }

    /// The advisory behind the finding, when `ruleId` names one (batched).
    async fn vulnerability(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<GVulnerability>> {
        allow(ctx, Permission::FindingsRead, &self.0.tenant)?;
        Ok(loader(ctx)
            .load_one(VulnKey(self.0.rule_id.clone()))
            .await?
            .map(GVulnerability))
    }
}

/// A detection that fired.
struct GAlert(Alert);

#[Object(name = "Alert")]
impl GAlert {
    async fn id(&self) -> &str {
        &self.0.id
    }
    async fn tenant(&self) -> &str {
        self.0.tenant.as_str()
    }
    async fn rule_id(&self) -> &str {
        &self.0.rule_id
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn severity(&self) -> GSeverity {
        self.0.severity.into()
    }
    async fn entity(&self) -> Option<&str> {
        self.0.entity.as_deref()
    }
    async fn techniques(&self) -> &[String] {
        &self.0.techniques
    }
    async fn event_ids(&self) -> &[String] {
        &self.0.event_ids
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// The events that contributed (`events:read`; batched).
    async fn events(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<GEvent>> {
        allow(ctx, Permission::EventsRead, &self.0.tenant)?;
        let keys = self
            .0
            .event_ids
            .iter()
            .map(|id| EventKey(self.0.tenant.clone(), id.clone()));
        let found = loader(ctx).load_many(keys).await?;
        Ok(self
            .0
            .event_ids
            .iter()
            .filter_map(|id| found.get(&EventKey(self.0.tenant.clone(), id.clone())))
            .cloned()
            .map(GEvent)
            .collect())
    }
}

/// A processed event.
struct GEvent(Event);

#[Object(name = "Event")]
impl GEvent {
    async fn id(&self) -> &str {
        &self.0.id
    }
    #[graphql(name = "type")]
    async fn event_type(&self) -> &str {
        self.0.event_type.as_str()
    }
    async fn source(&self) -> &str {
        &self.0.source
    }
    async fn tenant(&self) -> &str {
        self.0.tenant.as_str()
    }
    async fn time(&self) -> DateTime<Utc> {
        self.0.time
    }
    async fn schema_version(&self) -> u32 {
        self.0.schema_version
    }
    async fn subject(&self) -> Option<&str> {
        self.0.subject.as_deref()
    }
    async fn data(&self) -> Json<serde_json::Value> {
        Json(self.0.data.clone())
    }
}

// ---------------------------------------------------------------------------
// Roots
// ---------------------------------------------------------------------------

pub struct QueryRoot;

#[Object]
impl QueryRoot {
    /// The authenticated caller.
    async fn me(&self, ctx: &Context<'_>) -> async_graphql::Result<Me> {
        let p = principal(ctx)?;
        Ok(Me {
            subject: p.subject.clone(),
            role: p.role.clone(),
            tenant: p.tenant.as_ref().map(|t| t.to_string()),
            permissions: p
                .permissions
                .iter()
                .map(|x| x.as_str().to_string())
                .collect(),
        })
    }

    /// Every tenant (platform credentials with `tenants:admin`), or the
    /// caller's own.
    async fn tenants(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<GTenant>> {
        let p = principal(ctx)?;
        match &p.tenant {
            None => {
                p.authorize(Permission::TenantsAdmin, None)
                    .map_err(denied)?;
                let all = store(ctx).list_tenants().await.map_err(ApiError::from)?;
                Ok(all.into_iter().map(GTenant).collect())
            }
            Some(own) => Ok(store(ctx)
                .get_tenant(own)
                .await
                .map_err(ApiError::from)?
                .into_iter()
                .map(GTenant)
                .collect()),
        }
    }

    /// One tenant; its fields check the caller's permissions there. A
    /// tenant credential may only name its own tenant.
    async fn tenant(
        &self,
        ctx: &Context<'_>,
        id: String,
    ) -> async_graphql::Result<Option<GTenant>> {
        let p = principal(ctx)?;
        let id = tenant_id(&id)?;
        if let Some(own) = &p.tenant
            && *own != id
        {
            return Err(denied(Denied::ForeignTenant {
                own: own.to_string(),
                requested: id.to_string(),
            }));
        }
        Ok(store(ctx)
            .get_tenant(&id)
            .await
            .map_err(ApiError::from)?
            .map(GTenant))
    }
}

pub struct MutationRoot;

#[Object]
impl MutationRoot {
    /// Moves a finding through its lifecycle (`findings:triage`); audited and
    /// published as `finding.updated`, exactly like
    /// `POST /api/v1/tenants/{tenant}/findings/{id}/status`.
    async fn transition_finding(
        &self,
        ctx: &Context<'_>,
        tenant: String,
        id: String,
        status: GFindingStatus,
        reason: Option<String>,
    ) -> async_graphql::Result<GFinding> {
        let tenant = tenant_id(&tenant)?;
        let p = allow(ctx, Permission::FindingsTriage, &tenant)?;
        let state = ctx.data_unchecked::<Arc<AppState>>();
        let f = state.triage(p, tenant, &id, status.into(), reason).await?;
        Ok(GFinding(f))
    }
}

/// An `alert.created` event.
struct AlertEvent(Arc<StreamItem>);

#[Object]
impl AlertEvent {
    /// The event id (pass it as `after` to resume).
    async fn id(&self) -> &str {
        &self.0.event.id
    }
    async fn tenant(&self) -> &str {
        self.0.event.tenant.as_str()
    }
    async fn time(&self) -> DateTime<Utc> {
        self.0.event.time
    }
    async fn alert_id(&self) -> Option<&str> {
        self.0.event.data.get("alert_id").and_then(|v| v.as_str())
    }
    async fn rule_id(&self) -> Option<&str> {
        self.0.event.data.get("rule_id").and_then(|v| v.as_str())
    }
    async fn title(&self) -> Option<&str> {
        self.0.event.data.get("title").and_then(|v| v.as_str())
    }
    async fn severity(&self) -> Option<GSeverity> {
        self.0.severity.map(Into::into)
    }
    async fn entity(&self) -> Option<&str> {
        self.0.event.data.get("entity").and_then(|v| v.as_str())
    }
    /// The whole event payload.
    async fn data(&self) -> Json<serde_json::Value> {
        Json(self.0.event.data.clone())
    }
}

/// A `finding.created` or `finding.updated` event.
struct FindingEvent(Arc<StreamItem>);

#[Object]
impl FindingEvent {
    /// The event id (pass it as `after` to resume).
    async fn id(&self) -> &str {
        &self.0.event.id
    }
    #[graphql(name = "type")]
    async fn event_type(&self) -> &str {
        self.0.event.event_type.as_str()
    }
    async fn tenant(&self) -> &str {
        self.0.event.tenant.as_str()
    }
    async fn time(&self) -> DateTime<Utc> {
        self.0.event.time
    }
    async fn finding_id(&self) -> Option<&str> {
        self.0.event.data.get("finding_id").and_then(|v| v.as_str())
    }
    async fn severity(&self) -> Option<GSeverity> {
        self.0.severity.map(Into::into)
    }
    /// The whole event payload.
    async fn data(&self) -> Json<serde_json::Value> {
        Json(self.0.event.data.clone())
    }
    /// The finding as stored now (`findings:read`).
    async fn finding(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<GFinding>> {
        let tenant = &self.0.event.tenant;
        allow(ctx, Permission::FindingsRead, tenant)?;
        let Some(id) = self.0.event.data.get("finding_id").and_then(|v| v.as_str()) else {
            return Ok(None);
        };
        Ok(store(ctx)
            .get_finding(tenant, id)
            .await
            .map_err(ApiError::from)?
            .map(GFinding))
    }
}

pub struct SubscriptionRoot;

async fn live<T: Send + 'static>(
    ctx: &Context<'_>,
    kind: StreamKind,
    tenant: Option<String>,
    min_severity: Option<GSeverity>,
    after: Option<String>,
    wrap: fn(Arc<StreamItem>) -> T,
) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<T>> + use<T>> {
    let p = principal(ctx)?;
    let mut filter = StreamFilter {
        kinds: vec![kind],
        tenant: tenant.as_deref().map(tenant_id).transpose()?,
        min_severity: min_severity.map(Into::into),
        subject: None,
    };
    filter.authorize(p).map_err(denied)?;
    let hub = ctx.data_unchecked::<Arc<StreamHub>>();
    let rx = hub.attach().await?;
    let position = hub.position(&filter, after.as_deref());
    Ok(StreamHub::subscription(rx, filter, position).map(move |r| match r {
        Ok(item) => Ok(wrap(item)),
        Err(missed) => Err(gql_error(
            ErrorCode::RateLimited,
            format!(
                "the subscriber fell {missed} events behind and was stopped; subscribe again with `after` set to the last id received"
            ),
        )),
    }))
}

#[Subscription]
impl SubscriptionRoot {
    /// New alerts (`alerts:read`); `after`: resume after this event id.
    async fn alerts(
        &self,
        ctx: &Context<'_>,
        tenant: Option<String>,
        min_severity: Option<GSeverity>,
        after: Option<String>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<AlertEvent>> + use<>> {
        live(
            ctx,
            StreamKind::Alerts,
            tenant,
            min_severity,
            after,
            AlertEvent,
        )
        .await
    }

    /// Findings created or changed (`findings:read`).
    async fn findings(
        &self,
        ctx: &Context<'_>,
        tenant: Option<String>,
        min_severity: Option<GSeverity>,
        after: Option<String>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<FindingEvent>> + use<>>
    {
        live(
            ctx,
            StreamKind::Findings,
            tenant,
            min_severity,
            after,
            FindingEvent,
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sdl_has_the_domain_and_limits_hold() {
        let schema = Schema::build(QueryRoot, MutationRoot, SubscriptionRoot).finish();
        let sdl = schema.sdl();
        for needle in [
            "type Finding",
            "type FindingConnection",
            "transitionFinding",
            "type Subscription",
            "enum Severity",
        ] {
            assert!(sdl.contains(needle), "{needle} missing from SDL");
        }
        assert_eq!(list_complexity(3, Some(5000)), 3000);
        assert_eq!(list_complexity(0, None), 100);
    }
}
