//! [`PostureStore`] for [`SqlStore`]: posture scans per asset
//! (`posture_scans`, keyed by tenant, asset and time-ordered scan id).
//! and custom policies per tenant (`posture_policies`, keyed by tenant and
//! check id). Migrations: `0006_posture.sql`, `0011_posture_policies.sql`.

use async_trait::async_trait;
use mcpsec_core::TenantId;
use mcpsec_core::posture::{PosturePolicy, PostureScan, PostureStore};
use mcpsec_core::store::{Page, StoreError, StoreResult};

use crate::backend::Backend;
use crate::query::{Arg, stmt, text};
use crate::{SqlStore, record};

#[async_trait]
impl<B: Backend> PostureStore for SqlStore<B> {
    async fn insert_posture_scan(&self, scan: &PostureScan) -> StoreResult<()> {
        let op = self.op("insert_posture_scan");
        op.run(async {
            let body = record::encode("posture_scans", &scan.id, scan)?;
            let at = record::unix_nanos("posture_scans", &scan.id, scan.created_at)?;
            let s = stmt(|p| {
                let (t, a, i, c, b) = (
                    p(text(scan.tenant.as_str())),
                    p(text(&scan.asset_id)),
                    p(text(&scan.id)),
                    p(Arg::Int(at)),
                    p(Arg::Text(body)),
                );
                format!(
                    "INSERT INTO posture_scans (tenant_id, asset_id, id, created_at_ns, body) \
                     VALUES ({t}, {a}, {i}, {c}, {b})"
                )
            });
            match self.backend.execute(&s).await {
                Ok(_) => Ok(()),
                Err(e) => match op.sql(e) {
                    StoreError::Conflict(_) => Err(StoreError::Conflict(format!(
                        "posture scan {} of asset {} already exists",
                        scan.id, scan.asset_id
                    ))),
                    other => Err(other),
                },
            }
        })
        .await
    }

    async fn list_posture_scans(
        &self,
        tenant: &TenantId,
        asset_id: &str,
        page: &Page,
    ) -> StoreResult<Vec<PostureScan>> {
        let op = self.op("list_posture_scans");
        let s = stmt(|p| {
            let (t, a) = (p(text(tenant.as_str())), p(text(asset_id)));
            let after = match &page.after {
                Some(after) => format!(" AND id > {}", p(text(after))),
                None => String::new(),
            };
            let l = p(Arg::Int(i64::from(page.limit)));
            format!(
                "SELECT id, body FROM posture_scans WHERE tenant_id = {t} AND asset_id = {a}\
                 {after} ORDER BY id LIMIT {l}"
            )
        });
        op.run(self.fetch(&op, "posture_scans", &s)).await
    }

    async fn latest_posture_scan(
        &self,
        tenant: &TenantId,
        asset_id: &str,
    ) -> StoreResult<Option<PostureScan>> {
        let op = self.op("latest_posture_scan");
        let s = stmt(|p| {
            let (t, a) = (p(text(tenant.as_str())), p(text(asset_id)));
            format!(
                "SELECT id, body FROM posture_scans WHERE tenant_id = {t} AND asset_id = {a} \
                 ORDER BY id DESC LIMIT 1"
            )
        });
        op.run(async {
            Ok(self
                .fetch::<PostureScan>(&op, "posture_scans", &s)
                .await?
                .into_iter()
                .next())
        })
        .await
    }

    async fn latest_posture_scans(&self, tenant: &TenantId) -> StoreResult<Vec<PostureScan>> {
        let op = self.op("latest_posture_scans");
        let s = stmt(|p| {
            let t = p(text(tenant.as_str()));
            format!(
                "SELECT p.id, p.body FROM posture_scans p WHERE p.tenant_id = {t} AND p.id = \
                 (SELECT MAX(q.id) FROM posture_scans q WHERE q.tenant_id = p.tenant_id \
                 AND q.asset_id = p.asset_id) ORDER BY p.asset_id"
            )
        });
        op.run(self.fetch(&op, "posture_scans", &s)).await
    }

    async fn put_posture_policy(&self, policy: &PosturePolicy) -> StoreResult<bool> {
        let op = self.op("put_posture_policy");
        op.run(async {
            let body = record::encode("posture_policies", &policy.id, policy)?;
            let at = record::unix_nanos("posture_policies", &policy.id, policy.updated_at)?;
            let update = stmt(|p| {
                let (b, u, t, i) = (
                    p(Arg::Text(body.clone())),
                    p(Arg::Int(at)),
                    p(text(policy.tenant.as_str())),
                    p(text(&policy.id)),
                );
                format!(
                    "UPDATE posture_policies SET body = {b}, updated_at_ns = {u} \
                     WHERE tenant_id = {t} AND id = {i}"
                )
            });
            if self.backend.execute(&update).await.map_err(|e| op.sql(e))? > 0 {
                return Ok(false);
            }
            let insert = stmt(|p| {
                let (t, i, u, b) = (
                    p(text(policy.tenant.as_str())),
                    p(text(&policy.id)),
                    p(Arg::Int(at)),
                    p(Arg::Text(body.clone())),
                );
                format!(
                    "INSERT INTO posture_policies (tenant_id, id, updated_at_ns, body) \
                     VALUES ({t}, {i}, {u}, {b})"
                )
            });
            match self.backend.execute(&insert).await {
                Ok(_) => Ok(true),
                Err(e) => match op.sql(e) {
                    // Inserted meanwhile by another writer: replace it.
                    StoreError::Conflict(_) => {
                        self.backend.execute(&update).await.map_err(|e| op.sql(e))?;
                        Ok(false)
                    }
                    other => Err(other),
                },
            }
        })
        .await
    }

    async fn list_posture_policies(&self, tenant: &TenantId) -> StoreResult<Vec<PosturePolicy>> {
        let op = self.op("list_posture_policies");
        let s = stmt(|p| {
            let t = p(text(tenant.as_str()));
            format!("SELECT id, body FROM posture_policies WHERE tenant_id = {t} ORDER BY id")
        });
        op.run(self.fetch(&op, "posture_policies", &s)).await
    }

    async fn delete_posture_policy(&self, tenant: &TenantId, id: &str) -> StoreResult<bool> {
        let op = self.op("delete_posture_policy");
        let s = stmt(|p| {
            let (t, i) = (p(text(tenant.as_str())), p(text(id)));
            format!("DELETE FROM posture_policies WHERE tenant_id = {t} AND id = {i}")
        });
        op.run(async { Ok(self.backend.execute(&s).await.map_err(|e| op.sql(e))? > 0) })
            .await
    }
}
