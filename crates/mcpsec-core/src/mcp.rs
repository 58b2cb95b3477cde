//! What the MCP service keeps in the store: the latest inventory of each MCP
//! server per tenant (server info, tools with their pin hashes, prompts,
//! resources), submitted by `mcpsec mcp scan --platform` or the guard proxy.
//! Each submission is compared with the stored one; every added, removed or
//! changed tool becomes an `mcp.tool_changed` event ([`diff_tools`]).
//!
//! [`McpInventoryStore`] is a supertrait of [`Store`](crate::store::Store):
//! every store backend implements it, and the shared conformance suite in
//! `mcpsec-testkit` (`mcp`) checks it, tenant isolation included.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::TenantId;
use crate::event::{McpToolChanged, ToolChange};
use crate::store::{Page, StoreResult};

/// Longest accepted MCP server name.
pub const MAX_SERVER_NAME_LEN: usize = 128;

/// Whether `name` is an acceptable server name: 1 to 128 characters, no
/// control characters and no `/` (it is a path segment of the API).
pub fn valid_server_name(name: &str) -> bool {
    !name.is_empty()
        && name.chars().count() <= MAX_SERVER_NAME_LEN
        && !name.chars().any(|c| c.is_control() || c == '/')
}

/// One tool of a stored inventory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct McpStoredTool {
    pub name: String,
    /// `sha256:` of the canonical `{name, description, inputSchema}` (the pin hash).
    pub hash: String,
    /// The tool as the server listed it (`name`, `description`, `inputSchema`, …).
    #[schema(value_type = Object)]
    pub definition: Value,
}

/// The latest inventory of one MCP server of a tenant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct McpInventory {
    pub tenant: TenantId,
    /// The server's name in the client configuration.
    pub server: String,
    pub updated_at: DateTime<Utc>,
    /// Who submitted it (e.g. `mcp-scan`, `mcp-proxy`, a host name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// `serverInfo` and capabilities from `initialize`.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub server_info: Value,
    #[serde(default)]
    pub tools: Vec<McpStoredTool>,
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

/// Canonical JSON: object keys sorted by their bytes, no insignificant
/// whitespace, strings escaped as `serde_json` does (the form pin hashes are
/// computed over, independent of key order in the server's output).
pub fn canonical_json(v: &Value) -> String {
    let mut out = String::new();
    write_canonical(v, &mut out);
    out
}

fn write_canonical(v: &Value, out: &mut String) {
    match v {
        Value::Object(o) => {
            let mut keys: Vec<&String> = o.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String((*k).clone()).to_string());
                out.push(':');
                write_canonical(&o[k.as_str()], out);
            }
            out.push('}');
        }
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(x, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// The pin hash of a tool: `sha256:` of the canonical JSON of
/// `{"name", "description", "inputSchema"}` (a missing description is `null`).
pub fn tool_hash(name: &str, description: Option<&str>, input_schema: &Value) -> String {
    use sha2::Digest as _;
    let doc = serde_json::json!({
        "name": name,
        "description": description,
        "inputSchema": input_schema,
    });
    let digest = sha2::Sha256::digest(canonical_json(&doc).as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// A tool of a `tools/list` result as stored: its name and pin hash (a
/// missing or `null` `inputSchema` counts as `{"type": "object"}`, as the
/// scanner reads it). The error names the problem.
pub fn stored_tool(definition: &Value) -> Result<McpStoredTool, String> {
    let o = definition
        .as_object()
        .ok_or("a tool must be a JSON object")?;
    let name = match o.get("name") {
        Some(Value::String(n)) if !n.is_empty() => n.clone(),
        _ => return Err("a tool needs a non-empty string `name`".into()),
    };
    let description = match o.get("description") {
        None | Some(Value::Null) => None,
        Some(Value::String(d)) => Some(d.as_str()),
        Some(_) => return Err(format!("tool {name:?}: `description` must be a string")),
    };
    let default_schema = serde_json::json!({"type": "object"});
    let schema = match o.get("inputSchema") {
        None | Some(Value::Null) => &default_schema,
        Some(s @ Value::Object(_)) => s,
        Some(_) => return Err(format!("tool {name:?}: `inputSchema` must be an object")),
    };
    Ok(McpStoredTool {
        hash: tool_hash(&name, description, schema),
        name,
        definition: definition.clone(),
    })
}

/// The tool changes from `old` (none: every tool is added) to `new`, sorted
/// by tool name: added, removed and changed (different hash) tools.
pub fn diff_tools(old: Option<&McpInventory>, new: &McpInventory) -> Vec<McpToolChanged> {
    let before: BTreeMap<&str, &str> = old
        .map(|o| {
            o.tools
                .iter()
                .map(|t| (t.name.as_str(), t.hash.as_str()))
                .collect()
        })
        .unwrap_or_default();
    let after: BTreeMap<&str, &str> = new
        .tools
        .iter()
        .map(|t| (t.name.as_str(), t.hash.as_str()))
        .collect();
    let mut out = Vec::new();
    let names: std::collections::BTreeSet<&str> =
        before.keys().chain(after.keys()).copied().collect();
    for name in names {
        let (change, o, n) = match (before.get(name), after.get(name)) {
            (None, Some(n)) => (ToolChange::Added, None, Some(*n)),
            (Some(o), None) => (ToolChange::Removed, Some(*o), None),
            (Some(o), Some(n)) if o != n => (ToolChange::Changed, Some(*o), Some(*n)),
            _ => continue,
        };
        out.push(McpToolChanged {
            server: new.server.clone(),
            tool: name.to_string(),
            change,
            old_hash: o.map(str::to_string),
            new_hash: n.map(str::to_string),
        });
    }
    out
}

/// Pin hashes of prompts, resources and resource templates: item name
/// (`prompt:<name>`, `resource:<uri>`, `resource-template:<uriTemplate>`,
/// falling back to the name, then `#<index>`) → `sha256:` of the canonical
/// JSON of the fields the model reads (prompts: name, title, description,
/// arguments; resources: uri or uriTemplate, name, title, description,
/// mimeType — volatile fields such as `size` or annotations are left out).
pub fn surface_hashes(
    prompts: &[Value],
    resources: &[Value],
    resource_templates: &[Value],
) -> BTreeMap<String, String> {
    use sha2::Digest as _;
    let s = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    let groups: [(&[Value], &str, &str, &[&str]); 3] = [
        (
            prompts,
            "prompt",
            "name",
            &["name", "title", "description", "arguments"],
        ),
        (
            resources,
            "resource",
            "uri",
            &["uri", "name", "title", "description", "mimeType"],
        ),
        (
            resource_templates,
            "resource-template",
            "uriTemplate",
            &["uriTemplate", "name", "title", "description", "mimeType"],
        ),
    ];
    let mut out = BTreeMap::new();
    for (items, prefix, id_key, keys) in groups {
        for (i, v) in items.iter().enumerate() {
            let id = s(v, id_key)
                .or_else(|| s(v, "name"))
                .unwrap_or_else(|| format!("#{i}"));
            let mut doc = serde_json::Map::new();
            for k in keys {
                if let Some(x) = v.get(*k) {
                    doc.insert((*k).to_string(), x.clone());
                }
            }
            let digest = sha2::Sha256::digest(canonical_json(&Value::Object(doc)).as_bytes());
            let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
            out.insert(format!("{prefix}:{id}"), format!("sha256:{hex}"));
        }
    }
    out
}

/// Every change from `old` (none: everything is added) to `new`: its tools
/// ([`diff_tools`]), then its prompts and resources, named as in
/// [`surface_hashes`] (`prompt:summarize`), each sorted by name.
pub fn diff_inventories(old: Option<&McpInventory>, new: &McpInventory) -> Vec<McpToolChanged> {
    let mut out = diff_tools(old, new);
    let hashes = |i: &McpInventory| surface_hashes(&i.prompts, &i.resources, &i.resource_templates);
    let before = old.map(hashes).unwrap_or_default();
    let after = hashes(new);
    for (name, n) in &after {
        match before.get(name) {
            None => out.push(change(new, name, ToolChange::Added, None, Some(n))),
            Some(o) if o != n => out.push(change(new, name, ToolChange::Changed, Some(o), Some(n))),
            Some(_) => {}
        }
    }
    for (name, o) in &before {
        if !after.contains_key(name) {
            out.push(change(new, name, ToolChange::Removed, Some(o), None));
        }
    }
    out
}

fn change(
    inv: &McpInventory,
    item: &str,
    change: ToolChange,
    old: Option<&String>,
    new: Option<&String>,
) -> McpToolChanged {
    McpToolChanged {
        server: inv.server.clone(),
        tool: item.to_string(),
        change,
        old_hash: old.cloned(),
        new_hash: new.cloned(),
    }
}

/// Source of the `mcp.tool_changed` events the platform publishes for
/// submitted inventories.
pub const INVENTORY_EVENT_SOURCE: &str = "mcpsec://mcp-inventory";
/// Source of the `mcp.tool_changed` events `mcpsec mcp scan` publishes for
/// changes against a local pin file.
pub const PINS_EVENT_SOURCE: &str = "mcpsec://mcp-scan";

/// The id of the `mcp.tool_changed` event announcing `change`: a UUIDv8
/// made of the first 16 bytes of SHA-256 over the tenant, the event
/// source, the `basis` of the comparison, the server, the item (`tool`,
/// `prompt:<name>`…), the change kind and the old and new hashes (each
/// length-prefixed). Publishing the same change again — a client retrying
/// a submission whose store failed, a scan re-run against the same pins —
/// gives the same id, and the platform records an event once per
/// `(tenant, id)`.
///
/// `basis` names what was compared against: the platform passes the
/// replaced inventory's `updated_at` (`None` for a new server), so a change
/// that happens again later (A→B, back to A, then A→B again) is a new
/// event; pin comparisons pass `None` (the same deviation from the same
/// pins is one event, however often it is scanned).
pub fn tool_change_event_id(
    tenant: &str,
    source: &str,
    basis: Option<&str>,
    change: &McpToolChanged,
) -> String {
    use sha2::Digest as _;
    let mut h = sha2::Sha256::new();
    let mut field = |v: Option<&str>| match v {
        None => h.update([0u8]),
        Some(s) => {
            h.update([1u8]);
            h.update((s.len() as u64).to_be_bytes());
            h.update(s.as_bytes());
        }
    };
    let kind = match change.change {
        ToolChange::Added => "added",
        ToolChange::Removed => "removed",
        ToolChange::Changed => "changed",
    };
    field(Some("mcp.tool_changed/v1"));
    field(Some(tenant));
    field(Some(source));
    field(basis);
    field(Some(&change.server));
    field(Some(&change.tool));
    field(Some(kind));
    field(change.old_hash.as_deref());
    field(change.new_hash.as_deref());
    let digest = h.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_custom_bytes(bytes)
        .into_uuid()
        .to_string()
}

/// The `mcp.tool_changed` event announcing `change` (subject = the
/// server), with the id of [`tool_change_event_id`].
pub fn tool_change_event(
    tenant: &TenantId,
    source: &str,
    basis: Option<&str>,
    change: &McpToolChanged,
) -> crate::event::Event {
    let mut e =
        crate::event::Event::new(tenant.clone(), source, Some(change.server.clone()), change);
    e.id = tool_change_event_id(tenant.as_str(), source, basis, change);
    e
}

/// MCP inventories of every tenant.
#[async_trait]
pub trait McpInventoryStore: Send + Sync + 'static {
    /// Stores `inv` as the server's latest inventory and returns the one it
    /// replaced (`None` for a new server). The swap is atomic per (tenant,
    /// server): of two concurrent submissions, the second sees the first.
    async fn put_mcp_inventory(&self, inv: &McpInventory) -> StoreResult<Option<McpInventory>>;
    /// The server's latest inventory.
    async fn get_mcp_inventory(
        &self,
        tenant: &TenantId,
        server: &str,
    ) -> StoreResult<Option<McpInventory>>;
    /// The tenant's inventories by server name, after `page.after` (a server name).
    async fn list_mcp_inventories(
        &self,
        tenant: &TenantId,
        page: &Page,
    ) -> StoreResult<Vec<McpInventory>>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inv(tools: &[(&str, &str)]) -> McpInventory {
        McpInventory {
            tenant: TenantId::new("acme").unwrap(),
            server: "gh".into(),
            updated_at: Utc::now(),
            source: None,
            server_info: Value::Null,
            tools: tools
                .iter()
                .map(|(n, h)| McpStoredTool {
                    name: n.to_string(),
                    hash: h.to_string(),
                    definition: Value::Null,
                })
                .collect(),
            prompts: vec![],
            resources: vec![],
            resource_templates: vec![],
        }
    }

    #[test]
    fn diff_reports_added_removed_changed() {
        let old = inv(&[("a", "h1"), ("b", "h2"), ("c", "h3")]);
        let new = inv(&[("a", "h1"), ("c", "h9"), ("d", "h4")]);
        let d = diff_tools(Some(&old), &new);
        let got: Vec<(&str, ToolChange)> = d.iter().map(|c| (c.tool.as_str(), c.change)).collect();
        assert_eq!(
            got,
            [
                ("b", ToolChange::Removed),
                ("c", ToolChange::Changed),
                ("d", ToolChange::Added)
            ]
        );
        assert_eq!(d[1].old_hash.as_deref(), Some("h3"));
        assert_eq!(d[1].new_hash.as_deref(), Some("h9"));
        assert_eq!(diff_tools(None, &old).len(), 3);
        assert!(diff_tools(Some(&old), &old).is_empty());
    }

    #[test]
    fn hashes_ignore_key_order() {
        let a = stored_tool(&serde_json::json!({"name": "t", "description": "d",
            "inputSchema": {"type": "object", "properties": {"x": {"type": "string"}}}}))
        .unwrap();
        let b: Value = serde_json::from_str(
            r#"{"inputSchema": {"properties": {"x": {"type": "string"}}, "type": "object"},
                "description": "d", "name": "t"}"#,
        )
        .unwrap();
        assert_eq!(a.hash, stored_tool(&b).unwrap().hash);
        assert!(a.hash.starts_with("sha256:") && a.hash.len() == 71);
        let c = stored_tool(&serde_json::json!({"name": "t", "description": "e"})).unwrap();
        assert_ne!(a.hash, c.hash);
        assert!(stored_tool(&serde_json::json!({"description": "no name"})).is_err());
        assert!(stored_tool(&serde_json::json!({"name": "t", "inputSchema": "x"})).is_err());
    }

    #[test]
    fn prompt_and_resource_changes() {
        let mut old = inv(&[("a", "h1")]);
        old.prompts = vec![serde_json::json!({"name": "p", "description": "d"})];
        old.resources = vec![serde_json::json!({"uri": "file:///x", "name": "x", "size": 1})];
        let mut new = old.clone();
        assert!(diff_inventories(Some(&old), &new).is_empty());
        new.resources[0]["size"] = serde_json::json!(2);
        assert!(
            diff_inventories(Some(&old), &new).is_empty(),
            "size is volatile"
        );
        new.prompts[0]["description"] = serde_json::json!("changed");
        new.resource_templates = vec![serde_json::json!({"uriTemplate": "file:///{p}"})];
        let got: Vec<(String, ToolChange)> = diff_inventories(Some(&old), &new)
            .into_iter()
            .map(|c| (c.tool, c.change))
            .collect();
        assert_eq!(
            got,
            [
                ("prompt:p".to_string(), ToolChange::Changed),
                (
                    "resource-template:file:///{p}".to_string(),
                    ToolChange::Added
                )
            ]
        );
        assert_eq!(diff_inventories(None, &old).len(), 3);
    }

    #[test]
    fn tool_change_event_ids_are_deterministic() {
        let c = McpToolChanged {
            server: "gh".into(),
            tool: "create_issue".into(),
            change: ToolChange::Changed,
            old_hash: Some("sha256:aa".into()),
            new_hash: Some("sha256:bb".into()),
        };
        let id = |t: &str, s: &str, b: Option<&str>, c: &McpToolChanged| {
            tool_change_event_id(t, s, b, c)
        };
        let base = id("acme", INVENTORY_EVENT_SOURCE, Some("t1"), &c);
        // The same change gives the same id, and it is a valid UUIDv8.
        assert_eq!(base, id("acme", INVENTORY_EVENT_SOURCE, Some("t1"), &c));
        let u = uuid::Uuid::parse_str(&base).unwrap();
        assert_eq!(u.get_version_num(), 8);
        assert_eq!(u.get_variant(), uuid::Variant::RFC4122);
        // Anything that identifies the change changes the id.
        let mut others = vec![
            id("other", INVENTORY_EVENT_SOURCE, Some("t1"), &c),
            id("acme", PINS_EVENT_SOURCE, Some("t1"), &c),
            id("acme", INVENTORY_EVENT_SOURCE, Some("t2"), &c),
            id("acme", INVENTORY_EVENT_SOURCE, None, &c),
        ];
        let variants: [fn(&mut McpToolChanged); 6] = [
            |c| c.server = "gl".into(),
            |c| c.tool = "prompt:create_issue".into(),
            |c| c.change = ToolChange::Added,
            |c| c.old_hash = Some("sha256:ab".into()),
            |c| c.new_hash = Some("sha256:bc".into()),
            |c| c.old_hash = None,
        ];
        for f in variants {
            let mut d = c.clone();
            f(&mut d);
            others.push(id("acme", INVENTORY_EVENT_SOURCE, Some("t1"), &d));
        }
        // Field boundaries are unambiguous ("ab" + "c" vs "a" + "bc").
        let mut d = c.clone();
        d.server = "g".into();
        d.tool = "hcreate_issue".into();
        others.push(id("acme", INVENTORY_EVENT_SOURCE, Some("t1"), &d));
        let distinct: std::collections::BTreeSet<&String> = others.iter().collect();
        assert_eq!(distinct.len(), others.len(), "{others:?}");
        assert!(!others.contains(&base));
        // The event carries the id.
        let tenant = TenantId::new("acme").unwrap();
        let e = tool_change_event(&tenant, INVENTORY_EVENT_SOURCE, Some("t1"), &c);
        assert_eq!(e.id, base);
        assert_eq!(e.subject.as_deref(), Some("gh"));
        assert_eq!(e.source, INVENTORY_EVENT_SOURCE);
        assert_eq!(e.event_type, crate::event::EventType::McpToolChanged);
    }

    #[test]
    fn server_names() {
        assert!(valid_server_name("github"));
        assert!(valid_server_name("My Server (prod)"));
        assert!(!valid_server_name(""));
        assert!(!valid_server_name("a/b"));
        assert!(!valid_server_name("a\nb"));
        assert!(!valid_server_name(&"x".repeat(129)));
    }
}
