//! MCP routes: inventories of a tenant's MCP servers, submitted by
//! `mcpsec mcp scan --platform` (or any client) and stored through
//! [`McpInventoryStore`](mcpsec_core::mcp::McpInventoryStore); every tool,
//! prompt or resource added, removed or changed against the stored inventory
//! is published as `mcp.tool_changed` (source `mcpsec://mcp-inventory`,
//! subject = server; prompts and resources are named `prompt:<name>`,
//! `resource:<uri>`, `resource-template:<uriTemplate>` in `tool`).
//!
//! Order per server: read the stored inventory, publish the changes against
//! it, then replace it. A failed publish stores nothing (the client retries
//! and the same changes are published again: at least once, and with the
//! same event ids — derived from the tenant, the replaced inventory's
//! `updated_at` and the change — so the worker records them once). If another
//! submission replaced the inventory in between, the changes against the
//! one actually replaced that were not published yet are published too.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use mcpsec_core::ErrorCode;
use mcpsec_core::event::{Event, McpToolChanged};
use mcpsec_core::mcp::{
    INVENTORY_EVENT_SOURCE, MAX_SERVER_NAME_LEN, McpInventory, McpStoredTool, diff_inventories,
    stored_tool, tool_change_event, valid_server_name,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Shared, query, tenant_param};
use crate::error::{ApiError, ErrorBody};

/// Most servers in one submission.
pub const MAX_SERVERS: usize = 1000;
/// Most tools, prompts, resources and resource templates per server (each).
pub const MAX_ITEMS: usize = 5000;

fn server_param(raw: &str) -> Result<String, ApiError> {
    if valid_server_name(raw) {
        Ok(raw.to_string())
    } else {
        Err(ApiError::new(
            ErrorCode::InvalidArgument,
            format!(
                "server {raw:?}: 1 to {MAX_SERVER_NAME_LEN} characters, no control characters or '/'"
            ),
        ))
    }
}

/// One server's inventory as a client saw it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServerSubmission {
    /// The server's name in the client configuration.
    pub server: String,
    /// `serverInfo` and capabilities from `initialize`.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub server_info: Value,
    /// MCP Tool objects as listed by `tools/list`.
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub tools: Vec<Value>,
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub prompts: Vec<Value>,
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub resources: Vec<Value>,
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub resource_templates: Vec<Value>,
}

/// Body of `POST …/mcp/inventories`: the servers one scan or proxy saw.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InventorySubmission {
    /// Who submits (e.g. `mcp-scan`, `mcp-proxy`, a host name).
    #[serde(default)]
    pub source: Option<String>,
    pub servers: Vec<ServerSubmission>,
}

/// What a submission changed for one server.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ServerResult {
    pub server: String,
    /// The server had no stored inventory before.
    pub new_server: bool,
    pub tools: usize,
    /// Tools, prompts and resources added, removed or changed against the
    /// stored inventory.
    #[schema(value_type = Vec<Object>)]
    pub changes: Vec<McpToolChanged>,
    /// Ids of the `mcp.tool_changed` events published.
    pub event_ids: Vec<String>,
}

/// Answer to `POST …/mcp/inventories`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SubmissionResult {
    pub servers: Vec<ServerResult>,
}

/// A stored inventory without the tool, prompt and resource bodies.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ServerSummary {
    pub server: String,
    pub updated_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// `serverInfo.name` and `.version`, when the server sent them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    pub tools: usize,
    pub prompts: usize,
    pub resources: usize,
    pub resource_templates: usize,
}

impl ServerSummary {
    fn of(i: &McpInventory) -> ServerSummary {
        let info = i.server_info.get("serverInfo").unwrap_or(&i.server_info);
        let s = |k: &str| info.get(k).and_then(Value::as_str).map(str::to_string);
        ServerSummary {
            server: i.server.clone(),
            updated_at: i.updated_at,
            source: i.source.clone(),
            name: s("name"),
            version: s("version"),
            tools: i.tools.len(),
            prompts: i.prompts.len(),
            resources: i.resources.len(),
            resource_templates: i.resource_templates.len(),
        }
    }
}

/// A page of server summaries by name; pass `next_cursor` as `after`.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ServerList {
    pub items: Vec<ServerSummary>,
    pub next_cursor: Option<String>,
}

/// Validates one server of a submission into the inventory to store.
fn inventory_of(
    tenant: &mcpsec_core::TenantId,
    source: Option<&str>,
    at: &str,
    s: ServerSubmission,
) -> Result<McpInventory, ApiError> {
    let bad = |m: String| ApiError::new(ErrorCode::InvalidArgument, format!("{at}: {m}"));
    server_param(&s.server).map_err(|e| bad(e.message))?;
    for (what, n) in [
        ("tools", s.tools.len()),
        ("prompts", s.prompts.len()),
        ("resources", s.resources.len()),
        ("resource_templates", s.resource_templates.len()),
    ] {
        if n > MAX_ITEMS {
            return Err(bad(format!("{n} {what}; at most {MAX_ITEMS}")));
        }
    }
    let mut tools: Vec<McpStoredTool> = Vec::with_capacity(s.tools.len());
    for (j, t) in s.tools.iter().enumerate() {
        let st = stored_tool(t).map_err(|m| bad(format!("tools[{j}]: {m}")))?;
        if tools.iter().any(|x| x.name == st.name) {
            return Err(bad(format!(
                "tools[{j}]: tool {:?} is listed twice",
                st.name
            )));
        }
        tools.push(st);
    }
    Ok(McpInventory {
        tenant: tenant.clone(),
        server: s.server,
        updated_at: Utc::now(),
        source: source.map(str::to_string),
        server_info: s.server_info,
        tools,
        prompts: s.prompts,
        resources: s.resources,
        resource_templates: s.resource_templates,
    })
}

/// The events announcing `changes` against `basis` (the inventory they were
/// computed from): their ids are derived from the tenant, the basis's
/// `updated_at` and the change ([`tool_change_event_id`]), so a client
/// retrying a submission whose store failed publishes the same ids again
/// and the worker records each change once.
///
/// [`tool_change_event_id`]: mcpsec_core::mcp::tool_change_event_id
fn change_events(
    tenant: &mcpsec_core::TenantId,
    basis: Option<&McpInventory>,
    changes: &[McpToolChanged],
) -> Vec<Event> {
    let basis = basis.map(|b| {
        b.updated_at
            .to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)
    });
    changes
        .iter()
        .map(|c| tool_change_event(tenant, INVENTORY_EVENT_SOURCE, basis.as_deref(), c))
        .collect()
}

/// Stores the inventories of the submitted servers and publishes an
/// `mcp.tool_changed` event for every tool, prompt or resource added,
/// removed or changed against each server's stored inventory (a new
/// server's items are all `added`).
#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/mcp/inventories",
    params(("tenant" = String, Path)),
    request_body = InventorySubmission,
    responses(
        (status = 200, description = "Stored; the changes per server", body = SubmissionResult),
        (status = 400, description = "Bad body; the message names the server and item", body = ErrorBody),
        (status = 404, description = "No such tenant", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody)))]
pub(super) async fn submit_inventories(
    State(s): Shared,
    Path(tenant): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let tenant = s.existing_tenant(&tenant).await?;
    let bytes = super::body_bytes(body)?;
    let sub: InventorySubmission = serde_json::from_slice(&bytes).map_err(|e| {
        ApiError::new(
            ErrorCode::InvalidArgument,
            format!("body is not an inventory submission ({{\"servers\": [...]}}): {e}"),
        )
    })?;
    if sub.servers.is_empty() || sub.servers.len() > MAX_SERVERS {
        return Err(ApiError::new(
            ErrorCode::InvalidArgument,
            format!("servers: 1 to {MAX_SERVERS} servers per submission"),
        ));
    }
    // Validate everything before storing anything.
    let mut invs = Vec::with_capacity(sub.servers.len());
    for (i, server) in sub.servers.into_iter().enumerate() {
        let inv = inventory_of(
            &tenant,
            sub.source.as_deref(),
            &format!("servers[{i}]"),
            server,
        )?;
        if invs.iter().any(|x: &McpInventory| x.server == inv.server) {
            return Err(ApiError::new(
                ErrorCode::InvalidArgument,
                format!("servers[{i}]: server {:?} is listed twice", inv.server),
            ));
        }
        invs.push(inv);
    }
    let store = &s.backends.store;
    let mut out = Vec::with_capacity(invs.len());
    for inv in invs {
        let before = store.get_mcp_inventory(&tenant, &inv.server).await?;
        let mut changes = diff_inventories(before.as_ref(), &inv);
        let mut events = change_events(&tenant, before.as_ref(), &changes);
        s.publish(&events).await?;
        let replaced = store.put_mcp_inventory(&inv).await?;
        if replaced != before {
            // Another submission came in between: announce what differs from
            // the inventory actually replaced and was not announced yet.
            let extra: Vec<McpToolChanged> = diff_inventories(replaced.as_ref(), &inv)
                .into_iter()
                .filter(|c| !changes.contains(c))
                .collect();
            let more = change_events(&tenant, replaced.as_ref(), &extra);
            if let Err(e) = s.publish(&more).await {
                tracing::warn!(%tenant, server = %inv.server, error = %e.message, "publishing tool changes of a concurrent submission failed");
            } else {
                changes.extend(extra);
                events.extend(more);
            }
        }
        tracing::info!(%tenant, server = %inv.server, tools = inv.tools.len(), changes = changes.len(), "MCP inventory stored");
        out.push(ServerResult {
            server: inv.server.clone(),
            new_server: replaced.is_none(),
            tools: inv.tools.len(),
            changes,
            event_ids: events.into_iter().map(|e| e.id).collect(),
        });
    }
    Ok((StatusCode::OK, Json(SubmissionResult { servers: out })).into_response())
}

/// The tenant's MCP servers with a stored inventory, by name.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/mcp/servers",
    params(("tenant" = String, Path), super::PageParams),
    responses((status = 200, body = ServerList)))]
pub(super) async fn list_servers(
    State(s): Shared,
    Path(tenant): Path<String>,
    q: Result<Query<super::PageParams>, QueryRejection>,
) -> Result<Json<ServerList>, ApiError> {
    let tenant = tenant_param(&tenant)?;
    let page = query(q)?.page();
    let invs = s
        .backends
        .store
        .list_mcp_inventories(&tenant, &page)
        .await?;
    let next_cursor = if invs.len() as u32 >= page.limit {
        invs.last().map(|x| x.server.clone())
    } else {
        None
    };
    Ok(Json(ServerList {
        items: invs.iter().map(ServerSummary::of).collect(),
        next_cursor,
    }))
}

async fn stored(s: &super::AppState, tenant: &str, server: &str) -> Result<McpInventory, ApiError> {
    let tenant = tenant_param(tenant)?;
    let server = server_param(server)?;
    s.backends
        .store
        .get_mcp_inventory(&tenant, &server)
        .await?
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::NotFound,
                format!("MCP server {server:?} has no stored inventory"),
            )
        })
}

/// A server's stored inventory: server info, tools with their pin hashes,
/// prompts, resources and resource templates.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/mcp/servers/{server}",
    params(("tenant" = String, Path), ("server" = String, Path)),
    responses((status = 200, body = McpInventory), (status = 404, description = "No inventory for this server", body = ErrorBody)))]
pub(super) async fn get_server(
    State(s): Shared,
    Path((tenant, server)): Path<(String, String)>,
) -> Result<Json<McpInventory>, ApiError> {
    Ok(Json(stored(&s, &tenant, &server).await?))
}

/// A server's stored tools with their pin hashes.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/mcp/servers/{server}/tools",
    params(("tenant" = String, Path), ("server" = String, Path)),
    responses((status = 200, body = Vec<McpStoredTool>), (status = 404, description = "No inventory for this server", body = ErrorBody)))]
pub(super) async fn get_server_tools(
    State(s): Shared,
    Path((tenant, server)): Path<(String, String)>,
) -> Result<Json<Vec<McpStoredTool>>, ApiError> {
    Ok(Json(stored(&s, &tenant, &server).await?.tools))
}
