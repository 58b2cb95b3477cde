//! [`DetectionStore`] for [`SqlStore`]: tenant rules (`detection_rules`, with
//! a per-tenant counter in `detection_rule_versions` bumped in the same
//! transaction as every change) and correlation state per group key
//! (`correlation_states`). Migrations: `0003_detection.sql`.

use async_trait::async_trait;
use mcpsec_core::TenantId;
use mcpsec_core::detection::{CorrelationState, DetectionStore, TenantRule};
use mcpsec_core::store::{StoreError, StoreResult};

use crate::backend::Backend;
use crate::query::{Arg, Statement, rows_per_statement};
use crate::{SqlStore, record};

/// Builds a statement: `build` receives a placeholder factory.
fn stmt(build: impl FnOnce(&mut dyn FnMut(Arg) -> String) -> String) -> Statement {
    let mut args = Vec::new();
    let sql = build(&mut |a| {
        args.push(a);
        format!("${}", args.len())
    });
    Statement { sql, args }
}

fn text(s: &str) -> Arg {
    Arg::Text(s.to_string())
}

fn bump_version(tenant: &TenantId) -> Statement {
    stmt(|p| {
        let t = p(text(tenant.as_str()));
        format!(
            "INSERT INTO detection_rule_versions (tenant_id, version) VALUES ({t}, 1) \
             ON CONFLICT (tenant_id) DO UPDATE SET version = detection_rule_versions.version + 1"
        )
    })
}

#[async_trait]
impl<B: Backend> DetectionStore for SqlStore<B> {
    async fn put_rule(&self, rule: &TenantRule) -> StoreResult<()> {
        let op = self.op("put_rule");
        op.run(async {
            let body = record::encode("detection_rules", &rule.id, rule)?;
            let at = record::unix_nanos("detection_rules", &rule.id, rule.updated_at)?;
            let upsert = stmt(|p| {
                let (t, i, u, b) = (
                    p(text(rule.tenant.as_str())),
                    p(text(&rule.id)),
                    p(Arg::Int(at)),
                    p(Arg::Text(body)),
                );
                format!(
                    "INSERT INTO detection_rules (tenant_id, id, updated_at_ns, body) \
                     VALUES ({t}, {i}, {u}, {b}) ON CONFLICT (tenant_id, id) DO UPDATE \
                     SET updated_at_ns = excluded.updated_at_ns, body = excluded.body"
                )
            });
            self.backend
                .execute_all(&[upsert, bump_version(&rule.tenant)])
                .await
                .map(drop)
                .map_err(|e| op.sql(e))
        })
        .await
    }

    async fn get_rule(&self, tenant: &TenantId, id: &str) -> StoreResult<Option<TenantRule>> {
        let op = self.op("get_rule");
        let s = stmt(|p| {
            let (t, i) = (p(text(tenant.as_str())), p(text(id)));
            format!("SELECT id, body FROM detection_rules WHERE tenant_id = {t} AND id = {i}")
        });
        op.run(async {
            Ok(self
                .fetch::<TenantRule>(&op, "detection_rules", &s)
                .await?
                .into_iter()
                .next())
        })
        .await
    }

    async fn list_rules(&self, tenant: &TenantId) -> StoreResult<Vec<TenantRule>> {
        let op = self.op("list_rules");
        let s = stmt(|p| {
            let t = p(text(tenant.as_str()));
            format!("SELECT id, body FROM detection_rules WHERE tenant_id = {t} ORDER BY id")
        });
        op.run(self.fetch(&op, "detection_rules", &s)).await
    }

    async fn delete_rule(&self, tenant: &TenantId, id: &str) -> StoreResult<bool> {
        let op = self.op("delete_rule");
        let del = stmt(|p| {
            let (t, i) = (p(text(tenant.as_str())), p(text(id)));
            format!("DELETE FROM detection_rules WHERE tenant_id = {t} AND id = {i}")
        });
        op.run(async {
            // The version row always changes (1 row); the rule row when it existed.
            let changed = self
                .backend
                .execute_all(&[del, bump_version(tenant)])
                .await
                .map_err(|e| op.sql(e))?;
            Ok(changed > 1)
        })
        .await
    }

    async fn rules_version(&self, tenant: &TenantId) -> StoreResult<u64> {
        let op = self.op("rules_version");
        let s = stmt(|p| {
            let t = p(text(tenant.as_str()));
            format!(
                "SELECT CAST(COALESCE(MAX(version), 0) AS BIGINT) FROM detection_rule_versions \
                 WHERE tenant_id = {t}"
            )
        });
        op.run(async {
            let n = self.backend.fetch_count(&s).await.map_err(|e| op.sql(e))?;
            u64::try_from(n).map_err(|_| StoreError::Internal(format!("rule version {n}")))
        })
        .await
    }

    async fn load_correlation_states(
        &self,
        tenant: &TenantId,
        keys: &[String],
    ) -> StoreResult<Vec<CorrelationState>> {
        let op = self.op("load_correlation_states");
        op.run(async {
            let mut out = Vec::new();
            let mut keys: Vec<&String> = keys.iter().collect();
            keys.sort();
            keys.dedup();
            for chunk in keys.chunks(rows_per_statement(B::STATEMENT_PARAMS, 1)) {
                let s = stmt(|p| {
                    let t = p(text(tenant.as_str()));
                    let list: Vec<String> = chunk.iter().map(|k| p(text(k))).collect();
                    format!(
                        "SELECT key, body FROM correlation_states WHERE tenant_id = {t} \
                         AND key IN ({})",
                        list.join(", ")
                    )
                });
                let rows = self.backend.fetch_rows(&s).await.map_err(|e| op.sql(e))?;
                for r in rows {
                    let state = record::decode("correlation_states", &r.id, &r.body)?;
                    out.push(CorrelationState { key: r.id, state });
                }
            }
            Ok(out)
        })
        .await
    }

    async fn save_correlation_states(
        &self,
        tenant: &TenantId,
        states: &[(String, Option<serde_json::Value>)],
    ) -> StoreResult<()> {
        let op = self.op("save_correlation_states");
        op.run(async {
            let mut stmts = Vec::with_capacity(states.len());
            for (key, state) in states {
                stmts.push(match state {
                    Some(v) => {
                        let body = record::encode("correlation_states", key, v)?;
                        stmt(|p| {
                            let (t, k, b) =
                                (p(text(tenant.as_str())), p(text(key)), p(Arg::Text(body)));
                            format!(
                                "INSERT INTO correlation_states (tenant_id, key, body) \
                                 VALUES ({t}, {k}, {b}) ON CONFLICT (tenant_id, key) \
                                 DO UPDATE SET body = excluded.body"
                            )
                        })
                    }
                    None => stmt(|p| {
                        let (t, k) = (p(text(tenant.as_str())), p(text(key)));
                        format!(
                            "DELETE FROM correlation_states WHERE tenant_id = {t} AND key = {k}"
                        )
                    }),
                });
            }
            if stmts.is_empty() {
                return Ok(());
            }
            self.backend
                .execute_all(&stmts)
                .await
                .map(drop)
                .map_err(|e| op.sql(e))
        })
        .await
    }
}
