//! [`SqlStore`]: the one implementation of the [`Store`] trait, over either backend.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::Instant;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use mcpsec_core::TenantId;
use mcpsec_core::domain::{
    Alert, Asset, Component, Finding, FindingChange, FindingStatus, Tenant, Vulnerability,
};
use mcpsec_core::event::Event;
use mcpsec_core::store::{AlertFilter, FindingFilter, Page, Store, StoreError, StoreResult};
use serde::de::DeserializeOwned;

use crate::backend::{Backend, BodyRow};
use crate::{error, query, record};

/// The store on a SQL backend; use [`SqliteStore`](crate::SqliteStore) or
/// [`PostgresStore`](crate::PostgresStore), built from their configs.
pub struct SqlStore<B> {
    pub(crate) backend: B,
}

/// One timed store operation: names the operation in error messages and
/// records its latency in `mcpsec_store_op_duration_seconds{backend, op}`.
pub(crate) struct Op {
    backend: &'static str,
    name: &'static str,
}

impl Op {
    pub(crate) fn sql(&self, e: sqlx::Error) -> StoreError {
        error::from_sqlx(self.backend, self.name, e)
    }

    pub(crate) async fn run<T>(&self, f: impl Future<Output = StoreResult<T>>) -> StoreResult<T> {
        let start = Instant::now();
        let result = f.await;
        metrics::histogram!(
            "mcpsec_store_op_duration_seconds",
            "backend" => self.backend,
            "op" => self.name,
        )
        .record(start.elapsed().as_secs_f64());
        if let Err(e) = &result {
            tracing::debug!(backend = self.backend, op = self.name, error = %e, "store operation failed");
        }
        result
    }
}

impl<B: Backend> SqlStore<B> {
    pub(crate) fn op(&self, name: &'static str) -> Op {
        Op {
            backend: B::NAME,
            name,
        }
    }

    pub(crate) async fn fetch<T: DeserializeOwned>(
        &self,
        op: &Op,
        table: &str,
        stmt: &query::Statement,
    ) -> StoreResult<Vec<T>> {
        let rows = self.backend.fetch_rows(stmt).await.map_err(|e| op.sql(e))?;
        rows.iter()
            .map(|r| record::decode(table, &r.id, &r.body))
            .collect()
    }

    async fn fetch_one<T: DeserializeOwned>(
        &self,
        op: &Op,
        table: &str,
        stmt: &query::Statement,
    ) -> StoreResult<Option<T>> {
        Ok(self.fetch(op, table, stmt).await?.into_iter().next())
    }

    /// Runs multi-row statements in one transaction, each carrying at most
    /// as many rows as the backend's bind-parameter limit allows.
    async fn write_chunked<R>(
        &self,
        op: &Op,
        rows: &[&R],
        max_params: usize,
        columns: usize,
        build: impl Fn(&[&R]) -> StoreResult<query::Statement>,
    ) -> StoreResult<u64> {
        if rows.is_empty() {
            return Ok(0);
        }
        let per = query::rows_per_statement(max_params, columns);
        let stmts = rows
            .chunks(per)
            .map(build)
            .collect::<StoreResult<Vec<_>>>()?;
        self.backend
            .execute_all(&stmts)
            .await
            .map_err(|e| op.sql(e))
    }
}

#[async_trait]
impl<B: Backend> Store for SqlStore<B> {
    fn backend(&self) -> &'static str {
        B::NAME
    }

    async fn ping(&self) -> StoreResult<()> {
        let op = self.op("ping");
        op.run(async {
            self.backend
                .fetch_count(&query::ping())
                .await
                .map(drop)
                .map_err(|e| op.sql(e))
        })
        .await
    }

    async fn create_tenant(&self, tenant: &Tenant) -> StoreResult<()> {
        let op = self.op("create_tenant");
        op.run(async {
            let stmt = query::insert_tenant(tenant)?;
            match self.backend.execute(&stmt).await {
                Ok(_) => Ok(()),
                Err(e) => match op.sql(e) {
                    StoreError::Conflict(_) => Err(StoreError::Conflict(format!(
                        "tenant {} already exists",
                        tenant.id
                    ))),
                    other => Err(other),
                },
            }
        })
        .await
    }

    async fn get_tenant(&self, id: &TenantId) -> StoreResult<Option<Tenant>> {
        let op = self.op("get_tenant");
        op.run(self.fetch_one(&op, "tenants", &query::get_tenant(id)))
            .await
    }

    async fn list_tenants(&self) -> StoreResult<Vec<Tenant>> {
        let op = self.op("list_tenants");
        op.run(self.fetch(&op, "tenants", &query::list_tenants()))
            .await
    }

    async fn upsert_asset(&self, asset: &Asset) -> StoreResult<()> {
        let op = self.op("upsert_asset");
        op.run(async {
            let stmt = query::upsert_asset(asset)?;
            self.backend
                .execute(&stmt)
                .await
                .map(drop)
                .map_err(|e| op.sql(e))
        })
        .await
    }

    async fn get_asset(&self, tenant: &TenantId, id: &str) -> StoreResult<Option<Asset>> {
        let op = self.op("get_asset");
        op.run(self.fetch_one(&op, "assets", &query::get_asset(tenant, id)))
            .await
    }

    async fn list_assets(&self, tenant: &TenantId, page: &Page) -> StoreResult<Vec<Asset>> {
        let op = self.op("list_assets");
        op.run(self.fetch(&op, "assets", &query::list_assets(tenant, page)))
            .await
    }

    async fn upsert_components(
        &self,
        tenant: &TenantId,
        components: &[Component],
    ) -> StoreResult<()> {
        let op = self.op("upsert_components");
        op.run(async {
            if let Some(c) = components.iter().find(|c| &c.tenant != tenant) {
                return Err(StoreError::Invalid(format!(
                    "component {} belongs to tenant {}, not {tenant}",
                    c.id, c.tenant
                )));
            }
            // One row per key, the last one winning, as if upserted one by one.
            let unique: BTreeMap<(&str, &str), &Component> = components
                .iter()
                .map(|c| ((c.asset_id.as_str(), c.id.as_str()), c))
                .collect();
            let rows: Vec<&Component> = unique.into_values().collect();
            self.write_chunked(
                &op,
                &rows,
                B::STATEMENT_PARAMS,
                query::COMPONENT_COLUMNS,
                query::upsert_components,
            )
            .await
            .map(drop)
        })
        .await
    }

    async fn list_components(
        &self,
        tenant: &TenantId,
        asset_id: &str,
        page: &Page,
    ) -> StoreResult<Vec<Component>> {
        let op = self.op("list_components");
        op.run(self.fetch(
            &op,
            "components",
            &query::list_components(tenant, asset_id, page),
        ))
        .await
    }

    async fn upsert_vulnerabilities(&self, vulns: &[Vulnerability]) -> StoreResult<()> {
        let op = self.op("upsert_vulnerabilities");
        op.run(async {
            let unique: BTreeMap<&str, &Vulnerability> =
                vulns.iter().map(|v| (v.id.as_str(), v)).collect();
            let rows: Vec<&Vulnerability> = unique.into_values().collect();
            self.write_chunked(
                &op,
                &rows,
                B::STATEMENT_PARAMS,
                query::VULNERABILITY_COLUMNS,
                query::upsert_vulnerabilities,
            )
            .await
            .map(drop)
        })
        .await
    }

    async fn get_vulnerability(&self, id: &str) -> StoreResult<Option<Vulnerability>> {
        let op = self.op("get_vulnerability");
        op.run(self.fetch_one(&op, "vulnerabilities", &query::get_vulnerability(id)))
            .await
    }

    async fn upsert_finding(&self, finding: &Finding) -> StoreResult<()> {
        let op = self.op("upsert_finding");
        op.run(async {
            // The creation (first upsert of an id) goes into the history.
            let stmts = [
                query::insert_finding_created(finding)?,
                query::upsert_finding(finding)?,
            ];
            self.backend
                .execute_all(&stmts)
                .await
                .map(drop)
                .map_err(|e| op.sql(e))
        })
        .await
    }

    async fn finding_history(
        &self,
        tenant: &TenantId,
        id: &str,
    ) -> StoreResult<Vec<FindingChange>> {
        let op = self.op("finding_history");
        op.run(self.fetch(&op, "finding_history", &query::finding_history(tenant, id)))
            .await
    }

    async fn replace_components(
        &self,
        tenant: &TenantId,
        asset_id: &str,
        components: &[Component],
    ) -> StoreResult<Vec<String>> {
        let op = self.op("replace_components");
        op.run(async {
            if let Some(c) = components
                .iter()
                .find(|c| &c.tenant != tenant || c.asset_id != asset_id)
            {
                return Err(StoreError::Invalid(format!(
                    "component {} belongs to {}/{}, not {tenant}/{asset_id}",
                    c.id, c.tenant, c.asset_id
                )));
            }
            let unique: BTreeMap<&str, &Component> =
                components.iter().map(|c| (c.id.as_str(), c)).collect();
            let existing = self
                .backend
                .fetch_rows(&query::component_ids(tenant, asset_id))
                .await
                .map_err(|e| op.sql(e))?;
            let gone: Vec<String> = existing
                .into_iter()
                .map(|r| r.id)
                .filter(|id| !unique.contains_key(id.as_str()))
                .collect();
            let mut stmts = Vec::new();
            let gone_refs: Vec<&str> = gone.iter().map(String::as_str).collect();
            for chunk in gone_refs.chunks(query::rows_per_statement(B::STATEMENT_PARAMS, 1)) {
                stmts.push(query::delete_components(tenant, asset_id, chunk));
            }
            let rows: Vec<&Component> = unique.into_values().collect();
            for chunk in rows.chunks(query::rows_per_statement(
                B::STATEMENT_PARAMS,
                query::COMPONENT_COLUMNS,
            )) {
                stmts.push(query::upsert_components(chunk)?);
            }
            if !stmts.is_empty() {
                self.backend
                    .execute_all(&stmts)
                    .await
                    .map_err(|e| op.sql(e))?;
            }
            Ok(gone)
        })
        .await
    }

    async fn get_finding(&self, tenant: &TenantId, id: &str) -> StoreResult<Option<Finding>> {
        let op = self.op("get_finding");
        op.run(self.fetch_one(&op, "findings", &query::get_finding(tenant, id)))
            .await
    }

    async fn list_findings(
        &self,
        tenant: &TenantId,
        filter: &FindingFilter,
    ) -> StoreResult<Vec<Finding>> {
        let op = self.op("list_findings");
        op.run(self.fetch(&op, "findings", &query::list_findings(tenant, filter)))
            .await
    }

    async fn transition_finding_by(
        &self,
        tenant: &TenantId,
        id: &str,
        to: FindingStatus,
        reason: Option<String>,
        author: Option<String>,
        at: DateTime<Utc>,
    ) -> StoreResult<Finding> {
        let op = self.op("transition_finding");
        op.run(async {
            let select = query::get_finding_for_update(tenant, id, B::LOCK_FOR_UPDATE);
            let update = move |row: BodyRow| {
                let mut finding: Finding = record::decode("findings", &row.id, &row.body)?;
                if !finding.status.can_transition_to(to) {
                    return Err(StoreError::Conflict(format!(
                        "finding {}: moving from {} to {to} is not allowed",
                        row.id, finding.status
                    )));
                }
                let change = FindingChange {
                    finding_id: finding.id.clone(),
                    at,
                    author,
                    from: Some(finding.status),
                    to,
                    reason: reason.clone(),
                };
                finding.status = to;
                finding.status_reason = reason;
                finding.updated_at = at;
                let writes = vec![
                    query::upsert_finding(&finding)?,
                    query::insert_finding_change(&finding.tenant, &change)?,
                ];
                Ok((writes, finding))
            };
            match self
                .backend
                .read_modify_write_all(&select, update)
                .await
                .map_err(|e| op.sql(e))?
            {
                Some(result) => result,
                None => Err(StoreError::NotFound(format!(
                    "finding {id} in tenant {tenant}"
                ))),
            }
        })
        .await
    }

    async fn insert_alert(&self, alert: &Alert) -> StoreResult<bool> {
        let op = self.op("insert_alert");
        op.run(async {
            // The alert and its techniques (for the `technique` filter) in one
            // transaction; both inserts are no-ops for a known alert.
            let mut stmts = vec![query::insert_alert(alert)?];
            stmts.extend(query::insert_alert_techniques(alert));
            let changed = self
                .backend
                .execute_all(&stmts)
                .await
                .map_err(|e| op.sql(e))?;
            Ok(changed > 0)
        })
        .await
    }

    async fn list_alerts(
        &self,
        tenant: &TenantId,
        filter: &AlertFilter,
    ) -> StoreResult<Vec<Alert>> {
        let op = self.op("list_alerts");
        op.run(self.fetch(&op, "alerts", &query::list_alerts(tenant, filter)))
            .await
    }

    async fn record_events(&self, events: &[Event]) -> StoreResult<u64> {
        let op = self.op("record_events");
        op.run(async {
            // Sorted by key, so concurrent batches lock rows in one order
            // (no deadlocks), and without repeats, the first one winning.
            let mut rows: Vec<&Event> = events.iter().collect();
            rows.sort_by(|a, b| (&a.tenant, &a.id).cmp(&(&b.tenant, &b.id)));
            rows.dedup_by(|b, a| a.tenant == b.tenant && a.id == b.id);
            self.write_chunked(
                &op,
                &rows,
                B::EVENT_STATEMENT_PARAMS,
                query::EVENT_COLUMNS,
                query::insert_events,
            )
            .await
        })
        .await
    }

    async fn get_event(&self, tenant: &TenantId, id: &str) -> StoreResult<Option<Event>> {
        let op = self.op("get_event");
        op.run(self.fetch_one(&op, "events", &query::get_event(tenant, id)))
            .await
    }

    async fn count_events(&self, tenant: &TenantId) -> StoreResult<u64> {
        let op = self.op("count_events");
        op.run(async {
            let n = self
                .backend
                .fetch_count(&query::count_events(tenant))
                .await
                .map_err(|e| op.sql(e))?;
            u64::try_from(n)
                .map_err(|_| StoreError::Internal(format!("events: negative count {n}")))
        })
        .await
    }
}
