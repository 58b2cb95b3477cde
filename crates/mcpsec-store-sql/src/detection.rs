//! [`DetectionStore`] for [`SqlStore`]: tenant rules (`detection_rules`, with
//! a per-tenant counter in `detection_rule_versions` bumped in the same
//! transaction as every change) and correlation state per group key
//! (`correlation_states`). Migrations: `0003_detection.sql`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use mcpsec_core::TenantId;
use mcpsec_core::detection::{
    CorrelationState, CorrelationWrite, DetectionStore, SaveOutcome, TenantRule,
};
use mcpsec_core::domain::Alert;
use mcpsec_core::store::{StoreError, StoreResult};

use crate::backend::Backend;
use crate::query::{Arg, Statement, rows_per_statement, stmt, text};
use crate::{SqlStore, query, record};

/// A nullable integer: a placeholder, or the literal `NULL` (a NULL bound as
/// text would not fit a PostgreSQL BIGINT column).
fn opt_int(p: &mut dyn FnMut(Arg) -> String, v: Option<i64>) -> String {
    match v {
        Some(n) => p(Arg::Int(n)),
        None => "NULL".to_string(),
    }
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
                // The version travels in front of the body (`<version>:<json>`)
                // so the shared `SELECT id, body` row reader fits.
                let s = stmt(|p| {
                    let t = p(text(tenant.as_str()));
                    let list: Vec<String> = chunk.iter().map(|k| p(text(k))).collect();
                    format!(
                        "SELECT key, CAST(version AS TEXT) || ':' || body FROM correlation_states \
                         WHERE tenant_id = {t} AND key IN ({})",
                        list.join(", ")
                    )
                });
                let rows = self.backend.fetch_rows(&s).await.map_err(|e| op.sql(e))?;
                for r in rows {
                    let (version, body) = r
                        .body
                        .split_once(':')
                        .and_then(|(v, b)| Some((v.parse::<u64>().ok()?, b)))
                        .ok_or_else(|| {
                            StoreError::Internal(format!(
                                "correlation_states {}: unreadable version",
                                r.id
                            ))
                        })?;
                    let state = record::decode("correlation_states", &r.id, body)?;
                    out.push(CorrelationState {
                        key: r.id,
                        state,
                        version,
                    });
                }
            }
            Ok(out)
        })
        .await
    }

    async fn save_correlation_states(
        &self,
        tenant: &TenantId,
        writes: &[CorrelationWrite],
        alerts: &[Alert],
    ) -> StoreResult<SaveOutcome> {
        let op = self.op("save_correlation_states");
        op.run(async {
            let mut then = Vec::with_capacity(alerts.len() * 2);
            for a in alerts {
                if a.tenant != *tenant {
                    return Err(StoreError::Invalid(format!(
                        "alert {} belongs to tenant {}, not {tenant}",
                        a.id, a.tenant
                    )));
                }
                then.push(query::insert_alert_marked(a, true)?);
                then.extend(query::insert_alert_techniques(a));
            }
            let mut stmts = Vec::with_capacity(writes.len());
            let mut keys = Vec::with_capacity(writes.len());
            for w in writes {
                let key = &w.key;
                let expires = match w.expires_at {
                    Some(at) => Some(record::unix_nanos("correlation_states", key, at)?),
                    None => None,
                };
                let version = |v: u64| {
                    i64::try_from(v).map_err(|_| {
                        StoreError::Invalid(format!("correlation_states {key}: version {v}"))
                    })
                };
                let s = match (&w.state, w.expected_version) {
                    // Absent and to stay absent: nothing to check or write.
                    (None, None) => continue,
                    (Some(v), None) => {
                        let body = record::encode("correlation_states", key, v)?;
                        stmt(|p| {
                            let (t, k, b, x) = (
                                p(text(tenant.as_str())),
                                p(text(key)),
                                p(Arg::Text(body)),
                                opt_int(p, expires),
                            );
                            format!(
                                "INSERT INTO correlation_states \
                                 (tenant_id, key, body, version, expires_at_ns) \
                                 VALUES ({t}, {k}, {b}, 1, {x}) \
                                 ON CONFLICT (tenant_id, key) DO NOTHING"
                            )
                        })
                    }
                    (Some(v), Some(expected)) => {
                        let body = record::encode("correlation_states", key, v)?;
                        let expected = version(expected)?;
                        stmt(|p| {
                            let (b, x, t, k, e) = (
                                p(Arg::Text(body)),
                                opt_int(p, expires),
                                p(text(tenant.as_str())),
                                p(text(key)),
                                p(Arg::Int(expected)),
                            );
                            format!(
                                "UPDATE correlation_states SET body = {b}, \
                                 version = version + 1, expires_at_ns = {x} \
                                 WHERE tenant_id = {t} AND key = {k} AND version = {e}"
                            )
                        })
                    }
                    (None, Some(expected)) => {
                        let expected = version(expected)?;
                        stmt(|p| {
                            let (t, k, e) = (
                                p(text(tenant.as_str())),
                                p(text(key)),
                                p(Arg::Int(expected)),
                            );
                            format!(
                                "DELETE FROM correlation_states \
                                 WHERE tenant_id = {t} AND key = {k} AND version = {e}"
                            )
                        })
                    }
                };
                stmts.push(s);
                keys.push(key.clone());
            }
            if stmts.is_empty() && then.is_empty() {
                return Ok(SaveOutcome::Saved);
            }
            let unchanged = self
                .backend
                .execute_all_or_none(&stmts, &then)
                .await
                .map_err(|e| op.sql(e))?;
            if unchanged.is_empty() {
                Ok(SaveOutcome::Saved)
            } else {
                Ok(SaveOutcome::Conflict(
                    unchanged.into_iter().map(|i| keys[i].clone()).collect(),
                ))
            }
        })
        .await
    }

    async fn delete_expired_correlation_states(&self, now: DateTime<Utc>) -> StoreResult<u64> {
        let op = self.op("delete_expired_correlation_states");
        op.run(async {
            let now = record::unix_nanos("correlation_states", "sweep", now)?;
            let s = stmt(|p| {
                let n = p(Arg::Int(now));
                format!(
                    "DELETE FROM correlation_states \
                     WHERE expires_at_ns IS NOT NULL AND expires_at_ns < {n}"
                )
            });
            self.backend.execute(&s).await.map_err(|e| op.sql(e))
        })
        .await
    }

    async fn pending_alerts(
        &self,
        created_before: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<Vec<Alert>> {
        let op = self.op("pending_alerts");
        op.run(async {
            let before = record::unix_nanos("alerts", "pending", created_before)?;
            let limit = i64::try_from(limit).unwrap_or(i64::MAX);
            let s = stmt(|p| {
                let (b, l) = (p(Arg::Int(before)), p(Arg::Int(limit)));
                format!(
                    "SELECT id, body FROM alerts WHERE pending_publish = 1 \
                     AND created_at_ns < {b} ORDER BY created_at_ns, tenant_id, id LIMIT {l}"
                )
            });
            self.fetch(&op, "alerts", &s).await
        })
        .await
    }

    async fn mark_alerts_published(&self, tenant: &TenantId, ids: &[String]) -> StoreResult<u64> {
        let op = self.op("mark_alerts_published");
        op.run(async {
            let mut stmts = Vec::new();
            for chunk in ids.chunks(
                rows_per_statement(B::STATEMENT_PARAMS, 1)
                    .saturating_sub(1)
                    .max(1),
            ) {
                stmts.push(stmt(|p| {
                    let t = p(text(tenant.as_str()));
                    let list: Vec<String> = chunk.iter().map(|i| p(text(i))).collect();
                    format!(
                        "UPDATE alerts SET pending_publish = 0 WHERE tenant_id = {t} \
                         AND pending_publish = 1 AND id IN ({})",
                        list.join(", ")
                    )
                }));
            }
            if stmts.is_empty() {
                return Ok(0);
            }
            self.backend
                .execute_all(&stmts)
                .await
                .map_err(|e| op.sql(e))
        })
        .await
    }
}
