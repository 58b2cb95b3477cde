//! Conformance suite for [`McpInventoryStore`](mcpsec_core::mcp::McpInventoryStore):
//! the first inventory of a server replaces nothing, a later one returns the
//! one it replaced, listing by server name with cursor pages, concurrent
//! submissions each see the previous one, and tenant isolation.

use mcpsec_core::TenantId;
use mcpsec_core::mcp::{McpInventory, McpStoredTool, diff_tools};
use mcpsec_core::store::{Page, Store};
use serde_json::json;

use crate::store::t;

/// Runs every MCP-inventory-store check against `store`.
pub async fn run_mcp_conformance(store: &dyn Store) {
    put_get_and_replace(store).await;
    list_pages(store).await;
    concurrent_submissions_see_each_other(store).await;
    mcp_tenant_isolation(store).await;
}

/// An inventory of `server` whose tools are `(name, hash)`; `n` orders times.
pub fn inventory(tenant: &TenantId, server: &str, n: i64, tools: &[(&str, &str)]) -> McpInventory {
    McpInventory {
        tenant: tenant.clone(),
        server: server.to_string(),
        updated_at: t(n),
        source: Some("mcp-scan".into()),
        server_info: json!({"serverInfo": {"name": server, "version": "1.0.0"}}),
        tools: tools
            .iter()
            .map(|(name, hash)| McpStoredTool {
                name: name.to_string(),
                hash: hash.to_string(),
                definition: json!({"name": name, "description": format!("{name} tool"),
                    "inputSchema": {"type": "object"}}),
            })
            .collect(),
        prompts: vec![json!({"name": "summarize", "description": "Summarize"})],
        resources: vec![json!({"uri": "file:///workspace/README.md", "name": "readme"})],
        resource_templates: vec![],
    }
}

pub async fn put_get_and_replace(store: &dyn Store) {
    let tenant = crate::unique_tenant("mcp");
    assert_eq!(
        store.get_mcp_inventory(&tenant, "github").await.unwrap(),
        None
    );
    let first = inventory(
        &tenant,
        "github",
        1,
        &[("create_issue", "sha256:a"), ("search", "sha256:b")],
    );
    assert_eq!(
        store.put_mcp_inventory(&first).await.unwrap(),
        None,
        "a new server replaces nothing"
    );
    assert_eq!(
        store
            .get_mcp_inventory(&tenant, "github")
            .await
            .unwrap()
            .as_ref(),
        Some(&first),
        "the inventory comes back as stored"
    );
    let second = inventory(
        &tenant,
        "github",
        2,
        &[("create_issue", "sha256:c"), ("list_prs", "sha256:d")],
    );
    let old = store.put_mcp_inventory(&second).await.unwrap();
    assert_eq!(
        old.as_ref(),
        Some(&first),
        "the replaced inventory is returned"
    );
    assert_eq!(
        store
            .get_mcp_inventory(&tenant, "github")
            .await
            .unwrap()
            .as_ref(),
        Some(&second)
    );
    assert_eq!(diff_tools(old.as_ref(), &second).len(), 3);
    // Names are compared exactly.
    assert_eq!(
        store.get_mcp_inventory(&tenant, "GitHub").await.unwrap(),
        None
    );
}

pub async fn list_pages(store: &dyn Store) {
    let tenant = crate::unique_tenant("mcp");
    for (i, s) in ["zeta", "alpha", "mid dle", "beta"].iter().enumerate() {
        store
            .put_mcp_inventory(&inventory(&tenant, s, i as i64, &[("t", "sha256:x")]))
            .await
            .unwrap();
    }
    let page = |after: Option<&str>| Page {
        after: after.map(str::to_string),
        limit: 2,
    };
    let names = |v: Vec<McpInventory>| v.into_iter().map(|i| i.server).collect::<Vec<_>>();
    let p1 = names(
        store
            .list_mcp_inventories(&tenant, &page(None))
            .await
            .unwrap(),
    );
    assert_eq!(p1, ["alpha", "beta"]);
    let p2 = names(
        store
            .list_mcp_inventories(&tenant, &page(Some("beta")))
            .await
            .unwrap(),
    );
    assert_eq!(p2, ["mid dle", "zeta"]);
    let p3 = names(
        store
            .list_mcp_inventories(&tenant, &page(Some("zeta")))
            .await
            .unwrap(),
    );
    assert!(p3.is_empty());
}

pub async fn concurrent_submissions_see_each_other(store: &dyn Store) {
    let tenant = crate::unique_tenant("mcp");
    store
        .put_mcp_inventory(&inventory(&tenant, "srv", 0, &[("t", "sha256:0")]))
        .await
        .unwrap();
    // Ten submissions at once: each replaces a distinct previous one, so
    // every hash is replaced exactly once (no change is reported twice or lost).
    let invs: Vec<McpInventory> = (1..=10)
        .map(|i| {
            let h = format!("sha256:{i}");
            inventory(&tenant, "srv", i, &[("t", h.as_str())])
        })
        .collect();
    let olds = futures::future::join_all(invs.iter().map(|i| store.put_mcp_inventory(i))).await;
    let mut replaced: Vec<String> = olds
        .into_iter()
        .map(|o| {
            o.unwrap().expect("replaces something").tools[0]
                .hash
                .clone()
        })
        .collect();
    replaced.sort();
    replaced.dedup();
    assert_eq!(
        replaced.len(),
        10,
        "each previous inventory is replaced once"
    );
}

pub async fn mcp_tenant_isolation(store: &dyn Store) {
    let a = crate::unique_tenant("mcp-a");
    let b = crate::unique_tenant("mcp-b");
    store
        .put_mcp_inventory(&inventory(&a, "github", 1, &[("t", "sha256:a")]))
        .await
        .unwrap();
    assert_eq!(store.get_mcp_inventory(&b, "github").await.unwrap(), None);
    assert!(
        store
            .list_mcp_inventories(
                &b,
                &Page {
                    after: None,
                    limit: 10
                }
            )
            .await
            .unwrap()
            .is_empty()
    );
    // The same server name in another tenant is a new server there.
    assert_eq!(
        store
            .put_mcp_inventory(&inventory(&b, "github", 2, &[("t", "sha256:b")]))
            .await
            .unwrap(),
        None
    );
    let a_inv = store
        .get_mcp_inventory(&a, "github")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a_inv.tools[0].hash, "sha256:a");
}
