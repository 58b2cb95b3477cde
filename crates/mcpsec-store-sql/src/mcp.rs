//! [`McpInventoryStore`] for [`SqlStore`]: the latest inventory of each MCP
//! server (`mcp_inventories`, keyed by tenant and server name). Migrations:
//! `0010_mcp_inventories.sql`.

use async_trait::async_trait;
use mcpsec_core::TenantId;
use mcpsec_core::mcp::{McpInventory, McpInventoryStore};
use mcpsec_core::store::{Page, StoreError, StoreResult};

use crate::backend::{Backend, BodyRow};
use crate::query::{Arg, Statement, stmt, text};
use crate::{SqlStore, record};

const TABLE: &str = "mcp_inventories";

/// `INSERT` of `inv`; with `replace`, an `UPDATE` of the existing row instead.
fn write(inv: &McpInventory, replace: bool) -> StoreResult<Statement> {
    let body = record::encode(TABLE, &inv.server, inv)?;
    let at = record::unix_nanos(TABLE, &inv.server, inv.updated_at)?;
    Ok(stmt(|p| {
        let (t, s, a, b) = (
            p(text(inv.tenant.as_str())),
            p(text(&inv.server)),
            p(Arg::Int(at)),
            p(Arg::Text(body)),
        );
        if replace {
            format!(
                "UPDATE {TABLE} SET updated_at_ns = {a}, body = {b} \
                 WHERE tenant_id = {t} AND server = {s}"
            )
        } else {
            format!(
                "INSERT INTO {TABLE} (tenant_id, server, updated_at_ns, body) \
                 VALUES ({t}, {s}, {a}, {b}) ON CONFLICT (tenant_id, server) DO NOTHING"
            )
        }
    }))
}

#[async_trait]
impl<B: Backend> McpInventoryStore for SqlStore<B> {
    async fn put_mcp_inventory(&self, inv: &McpInventory) -> StoreResult<Option<McpInventory>> {
        let op = self.op("put_mcp_inventory");
        op.run(async {
            // A new server: the insert wins and nothing was replaced.
            let insert = write(inv, false)?;
            if self.backend.execute(&insert).await.map_err(|e| op.sql(e))? == 1 {
                return Ok(None);
            }
            // An existing one: read it (locked) and replace it in one transaction.
            let select = stmt(|p| {
                let (t, s) = (p(text(inv.tenant.as_str())), p(text(&inv.server)));
                format!(
                    "SELECT server AS id, body FROM {TABLE} WHERE tenant_id = {t} AND server = {s}{}",
                    B::LOCK_FOR_UPDATE
                )
            });
            let update = write(inv, true)?;
            let apply = move |row: BodyRow| {
                let old: McpInventory = record::decode(TABLE, &row.id, &row.body)?;
                Ok((update, old))
            };
            match self
                .backend
                .read_modify_write(&select, apply)
                .await
                .map_err(|e| op.sql(e))?
            {
                Some(result) => result.map(Some),
                // Rows are never deleted, so the row the insert collided with exists.
                None => Err(StoreError::Internal(format!(
                    "MCP inventory of server {:?} vanished while being replaced",
                    inv.server
                ))),
            }
        })
        .await
    }

    async fn get_mcp_inventory(
        &self,
        tenant: &TenantId,
        server: &str,
    ) -> StoreResult<Option<McpInventory>> {
        let op = self.op("get_mcp_inventory");
        let s = stmt(|p| {
            let (t, s) = (p(text(tenant.as_str())), p(text(server)));
            format!("SELECT server AS id, body FROM {TABLE} WHERE tenant_id = {t} AND server = {s}")
        });
        op.run(async {
            Ok(self
                .fetch::<McpInventory>(&op, TABLE, &s)
                .await?
                .into_iter()
                .next())
        })
        .await
    }

    async fn list_mcp_inventories(
        &self,
        tenant: &TenantId,
        page: &Page,
    ) -> StoreResult<Vec<McpInventory>> {
        let op = self.op("list_mcp_inventories");
        let s = stmt(|p| {
            let t = p(text(tenant.as_str()));
            let after = match &page.after {
                Some(after) => format!(" AND server > {}", p(text(after))),
                None => String::new(),
            };
            let l = p(Arg::Int(i64::from(page.limit)));
            format!(
                "SELECT server AS id, body FROM {TABLE} WHERE tenant_id = {t}{after} \
                 ORDER BY server LIMIT {l}"
            )
        });
        op.run(self.fetch(&op, TABLE, &s)).await
    }
}
