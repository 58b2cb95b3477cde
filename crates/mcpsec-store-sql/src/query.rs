//! The SQL of every store operation, shared by both backends.
//!
//! Statements use numbered `$N` placeholders, which PostgreSQL and sqlx's
//! SQLite driver both understand, and carry their bind values as [`Arg`]s so
//! a backend can run them on its own pool. Every tenant-owned query filters
//! on `tenant_id`; list queries page by `id > after ORDER BY id LIMIT n`.

use mcpsec_core::TenantId;
use mcpsec_core::domain::{Alert, Asset, Component, Finding, FindingChange, Tenant, Vulnerability};
use mcpsec_core::event::Event;
use mcpsec_core::store::{AlertFilter, FindingFilter, FindingSort, Page, StoreResult, risk_rank};

use crate::record;

/// A bind value.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    Text(String),
    OptText(Option<String>),
    Int(i64),
}

/// Builds a statement: `build` receives a placeholder factory that records a
/// bind value and returns its placeholder (`$1`, `$2`, … in order).
pub fn stmt(build: impl FnOnce(&mut dyn FnMut(Arg) -> String) -> String) -> Statement {
    let mut args = Vec::new();
    let sql = build(&mut |a| {
        args.push(a);
        format!("${}", args.len())
    });
    Statement { sql, args }
}

/// A text bind value.
pub fn text(s: &str) -> Arg {
    Arg::Text(s.to_string())
}

/// SQL text and its bind values, in placeholder order.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub sql: String,
    pub args: Vec<Arg>,
}

impl Statement {
    fn new(sql: impl Into<String>) -> Statement {
        Statement {
            sql: sql.into(),
            args: Vec::new(),
        }
    }

    /// Adds a bind value and returns its placeholder.
    fn arg(&mut self, arg: Arg) -> String {
        self.args.push(arg);
        format!("${}", self.args.len())
    }

    fn text(&mut self, s: &str) -> String {
        self.arg(Arg::Text(s.to_string()))
    }
}

/// How many rows of `columns` bind values one multi-row statement may carry.
pub fn rows_per_statement(max_bind_params: usize, columns: usize) -> usize {
    (max_bind_params / columns).clamp(1, 500)
}

fn values_list(stmt: &mut Statement, rows: impl IntoIterator<Item = Vec<Arg>>) {
    let mut first = true;
    for row in rows {
        let placeholders: Vec<String> = row.into_iter().map(|a| stmt.arg(a)).collect();
        if !first {
            stmt.sql.push(',');
        }
        first = false;
        stmt.sql.push('(');
        stmt.sql.push_str(&placeholders.join(", "));
        stmt.sql.push(')');
    }
}

fn page_clause(stmt: &mut Statement, page: &Page) {
    if let Some(after) = &page.after {
        let p = stmt.text(after);
        stmt.sql.push_str(&format!(" AND id > {p}"));
    }
    let limit = i64::from(page.limit.clamp(1, Page::MAX_LIMIT));
    let p = stmt.arg(Arg::Int(limit));
    stmt.sql.push_str(&format!(" ORDER BY id LIMIT {p}"));
}

/// `SELECT id, body FROM <table> WHERE tenant_id = $1 AND id = $2`.
fn get_by_id(table: &str, tenant: &TenantId, id: &str) -> Statement {
    let mut stmt = Statement::new("");
    let t = stmt.text(tenant.as_str());
    let i = stmt.text(id);
    stmt.sql = format!("SELECT id, body FROM {table} WHERE tenant_id = {t} AND id = {i}");
    stmt
}

pub fn ping() -> Statement {
    Statement::new("SELECT CAST(1 AS BIGINT)")
}

// Tenants ------------------------------------------------------------------

pub fn insert_tenant(tenant: &Tenant) -> StoreResult<Statement> {
    let body = record::encode("tenants", tenant.id.as_str(), tenant)?;
    let mut stmt = Statement::new("");
    let i = stmt.text(tenant.id.as_str());
    let b = stmt.arg(Arg::Text(body));
    stmt.sql = format!("INSERT INTO tenants (id, body) VALUES ({i}, {b})");
    Ok(stmt)
}

pub fn get_tenant(id: &TenantId) -> Statement {
    let mut stmt = Statement::new("");
    let i = stmt.text(id.as_str());
    stmt.sql = format!("SELECT id, body FROM tenants WHERE id = {i}");
    stmt
}

pub fn list_tenants() -> Statement {
    Statement::new("SELECT id, body FROM tenants ORDER BY id")
}

// Assets -------------------------------------------------------------------

pub fn upsert_asset(asset: &Asset) -> StoreResult<Statement> {
    let body = record::encode("assets", &asset.id, asset)?;
    let mut stmt = Statement::new("");
    let t = stmt.text(asset.tenant.as_str());
    let i = stmt.text(&asset.id);
    let b = stmt.arg(Arg::Text(body));
    stmt.sql = format!(
        "INSERT INTO assets (tenant_id, id, body) VALUES ({t}, {i}, {b}) \
         ON CONFLICT (tenant_id, id) DO UPDATE SET body = excluded.body"
    );
    Ok(stmt)
}

pub fn get_asset(tenant: &TenantId, id: &str) -> Statement {
    get_by_id("assets", tenant, id)
}

pub fn list_assets(tenant: &TenantId, page: &Page) -> Statement {
    let mut stmt = Statement::new("");
    let t = stmt.text(tenant.as_str());
    stmt.sql = format!("SELECT id, body FROM assets WHERE tenant_id = {t}");
    page_clause(&mut stmt, page);
    stmt
}

// Components ---------------------------------------------------------------

pub const COMPONENT_COLUMNS: usize = 4;

/// One multi-row upsert; `components` must hold no two rows with the same key.
pub fn upsert_components(components: &[&Component]) -> StoreResult<Statement> {
    let mut rows = Vec::with_capacity(components.len());
    for c in components {
        let body = record::encode("components", &c.id, c)?;
        rows.push(vec![
            Arg::Text(c.tenant.to_string()),
            Arg::Text(c.asset_id.clone()),
            Arg::Text(c.id.clone()),
            Arg::Text(body),
        ]);
    }
    let mut stmt = Statement::new("INSERT INTO components (tenant_id, asset_id, id, body) VALUES ");
    values_list(&mut stmt, rows);
    stmt.sql
        .push_str(" ON CONFLICT (tenant_id, asset_id, id) DO UPDATE SET body = excluded.body");
    Ok(stmt)
}

pub fn list_components(tenant: &TenantId, asset_id: &str, page: &Page) -> Statement {
    let mut stmt = Statement::new("");
    let t = stmt.text(tenant.as_str());
    let a = stmt.text(asset_id);
    stmt.sql = format!("SELECT id, body FROM components WHERE tenant_id = {t} AND asset_id = {a}");
    page_clause(&mut stmt, page);
    stmt
}

// Vulnerabilities ----------------------------------------------------------

pub const VULNERABILITY_COLUMNS: usize = 2;

/// One multi-row upsert; `vulns` must hold no two rows with the same id.
pub fn upsert_vulnerabilities(vulns: &[&Vulnerability]) -> StoreResult<Statement> {
    let mut rows = Vec::with_capacity(vulns.len());
    for v in vulns {
        let body = record::encode("vulnerabilities", &v.id, v)?;
        rows.push(vec![Arg::Text(v.id.clone()), Arg::Text(body)]);
    }
    let mut stmt = Statement::new("INSERT INTO vulnerabilities (id, body) VALUES ");
    values_list(&mut stmt, rows);
    stmt.sql
        .push_str(" ON CONFLICT (id) DO UPDATE SET body = excluded.body");
    Ok(stmt)
}

pub fn get_vulnerability(id: &str) -> Statement {
    let mut stmt = Statement::new("");
    let i = stmt.text(id);
    stmt.sql = format!("SELECT id, body FROM vulnerabilities WHERE id = {i}");
    stmt
}

// Findings -----------------------------------------------------------------

pub fn upsert_finding(f: &Finding) -> StoreResult<Statement> {
    let body = record::encode("findings", &f.id, f)?;
    let mut stmt = Statement::new("");
    let t = stmt.text(f.tenant.as_str());
    let i = stmt.text(&f.id);
    let a = stmt.text(&f.asset_id);
    let s = stmt.text(f.status.as_str());
    let r = stmt.arg(Arg::Int(record::severity_rank(f.severity)));
    let c = stmt.arg(Arg::OptText(f.component_id.clone()));
    let k = stmt.arg(Arg::Int(i64::from(f.kev)));
    let x = stmt.arg(Arg::Int(i64::from(f.fixable())));
    let rr = stmt.arg(Arg::Int(risk_rank(f.risk_score)));
    let b = stmt.arg(Arg::Text(body));
    stmt.sql = format!(
        "INSERT INTO findings (tenant_id, id, asset_id, status, severity_rank, component_id, \
         kev, fixable, risk_rank, body) \
         VALUES ({t}, {i}, {a}, {s}, {r}, {c}, {k}, {x}, {rr}, {b}) \
         ON CONFLICT (tenant_id, id) DO UPDATE SET asset_id = excluded.asset_id, \
         status = excluded.status, severity_rank = excluded.severity_rank, \
         component_id = excluded.component_id, kev = excluded.kev, \
         fixable = excluded.fixable, risk_rank = excluded.risk_rank, body = excluded.body"
    );
    Ok(stmt)
}

/// Records `change` in the finding's history (migration 0009).
pub fn insert_finding_change(tenant: &TenantId, change: &FindingChange) -> StoreResult<Statement> {
    let body = record::encode("finding_history", &change.finding_id, change)?;
    let mut stmt = Statement::new("");
    let t = stmt.text(tenant.as_str());
    let i = stmt.text(&change.finding_id);
    let b = stmt.arg(Arg::Text(body));
    stmt.sql =
        format!("INSERT INTO finding_history (tenant_id, finding_id, body) VALUES ({t}, {i}, {b})");
    Ok(stmt)
}

/// Records the creation of `f` in its history, only if no finding with its
/// id exists yet (run before the upsert, in the same transaction).
pub fn insert_finding_created(f: &Finding) -> StoreResult<Statement> {
    let change = FindingChange {
        finding_id: f.id.clone(),
        at: f.first_seen,
        author: None,
        from: None,
        to: f.status,
        reason: f.status_reason.clone(),
    };
    let body = record::encode("finding_history", &f.id, &change)?;
    let mut stmt = Statement::new("");
    let t = stmt.text(f.tenant.as_str());
    let i = stmt.text(&f.id);
    let b = stmt.arg(Arg::Text(body));
    stmt.sql = format!(
        "INSERT INTO finding_history (tenant_id, finding_id, body) SELECT {t}, {i}, {b} \
         WHERE NOT EXISTS (SELECT 1 FROM findings WHERE tenant_id = {t} AND id = {i})"
    );
    Ok(stmt)
}

/// A finding's history, oldest first.
pub fn finding_history(tenant: &TenantId, id: &str) -> Statement {
    let mut stmt = Statement::new("");
    let t = stmt.text(tenant.as_str());
    let i = stmt.text(id);
    stmt.sql = format!(
        "SELECT CAST(seq AS TEXT), body FROM finding_history \
         WHERE tenant_id = {t} AND finding_id = {i} ORDER BY seq"
    );
    stmt
}

pub fn get_finding(tenant: &TenantId, id: &str) -> Statement {
    get_by_id("findings", tenant, id)
}

/// Reads a finding inside a write transaction; `lock` is the backend's
/// row-lock suffix (`FOR UPDATE` on PostgreSQL).
pub fn get_finding_for_update(tenant: &TenantId, id: &str, lock: &str) -> Statement {
    let mut stmt = get_by_id("findings", tenant, id);
    stmt.sql.push_str(lock);
    stmt
}

pub fn list_findings(tenant: &TenantId, filter: &FindingFilter) -> Statement {
    let mut stmt = Statement::new("");
    let t = stmt.text(tenant.as_str());
    stmt.sql = format!("SELECT id, body FROM findings WHERE tenant_id = {t}");
    if let Some(asset_id) = &filter.asset_id {
        let p = stmt.text(asset_id);
        stmt.sql.push_str(&format!(" AND asset_id = {p}"));
    }
    if let Some(status) = filter.status {
        let p = stmt.text(status.as_str());
        stmt.sql.push_str(&format!(" AND status = {p}"));
    }
    if let Some(min) = filter.min_severity {
        let p = stmt.arg(Arg::Int(record::severity_rank(min)));
        stmt.sql.push_str(&format!(" AND severity_rank >= {p}"));
    }
    if let Some(component) = &filter.component {
        // Exact id, or the id without its version (`…@version`); no LIKE,
        // so `_` and `%` in purls match literally.
        let p = stmt.text(component);
        let v = stmt.text(&format!("{component}@"));
        stmt.sql.push_str(&format!(
            " AND (component_id = {p} OR substr(component_id, 1, length({v})) = {v})"
        ));
    }
    if let Some(sev) = filter.severity {
        let p = stmt.arg(Arg::Int(record::severity_rank(sev)));
        stmt.sql.push_str(&format!(" AND severity_rank = {p}"));
    }
    if let Some(kev) = filter.kev {
        let p = stmt.arg(Arg::Int(i64::from(kev)));
        stmt.sql.push_str(&format!(" AND kev = {p}"));
    }
    if let Some(fixable) = filter.fixable {
        let p = stmt.arg(Arg::Int(i64::from(fixable)));
        stmt.sql.push_str(&format!(" AND fixable = {p}"));
    }
    if let Some(min) = filter.min_risk {
        let p = stmt.arg(Arg::Int(risk_rank(Some(min))));
        stmt.sql.push_str(&format!(" AND risk_rank >= {p}"));
    }
    match filter.sort {
        FindingSort::Id => page_clause(&mut stmt, &filter.page),
        FindingSort::Risk => {
            // Keyset on (risk_rank DESC, id): the cursor is the last id seen,
            // its rank read back (a cursor finding that no longer exists
            // ends the listing).
            if let Some(after) = &filter.page.after {
                let t = stmt.text(tenant.as_str());
                let a = stmt.text(after);
                let rank =
                    format!("(SELECT risk_rank FROM findings WHERE tenant_id = {t} AND id = {a})");
                stmt.sql.push_str(&format!(
                    " AND (risk_rank < {rank} OR (risk_rank = {rank} AND id > {a}))"
                ));
            }
            let limit = i64::from(filter.page.limit.clamp(1, Page::MAX_LIMIT));
            let p = stmt.arg(Arg::Int(limit));
            stmt.sql
                .push_str(&format!(" ORDER BY risk_rank DESC, id LIMIT {p}"));
        }
    }
    stmt
}

// Components (replacement) ---------------------------------------------------

/// The ids of an asset's components.
pub fn component_ids(tenant: &TenantId, asset_id: &str) -> Statement {
    let mut stmt = Statement::new("");
    let t = stmt.text(tenant.as_str());
    let a = stmt.text(asset_id);
    stmt.sql = format!(
        "SELECT id, id FROM components WHERE tenant_id = {t} AND asset_id = {a} ORDER BY id"
    );
    stmt
}

/// Deletes these components of an asset.
pub fn delete_components(tenant: &TenantId, asset_id: &str, ids: &[&str]) -> Statement {
    let mut stmt = Statement::new("");
    let t = stmt.text(tenant.as_str());
    let a = stmt.text(asset_id);
    let ph: Vec<String> = ids.iter().map(|i| stmt.text(i)).collect();
    stmt.sql = format!(
        "DELETE FROM components WHERE tenant_id = {t} AND asset_id = {a} AND id IN ({})",
        ph.join(", ")
    );
    stmt
}

// Alerts -------------------------------------------------------------------

pub fn insert_alert(a: &Alert) -> StoreResult<Statement> {
    insert_alert_marked(a, false)
}

/// [`insert_alert`], with the alert marked pending publication when
/// `pending` (the outbox of correlation alerts, migration 0013).
pub fn insert_alert_marked(a: &Alert, pending: bool) -> StoreResult<Statement> {
    let body = record::encode("alerts", &a.id, a)?;
    let created = record::unix_nanos("alerts", &a.id, a.created_at)?;
    let mut stmt = Statement::new("");
    let t = stmt.text(a.tenant.as_str());
    let i = stmt.text(&a.id);
    let r = stmt.text(&a.rule_id);
    let s = stmt.arg(Arg::Int(record::severity_rank(a.severity)));
    let e = stmt.arg(Arg::OptText(a.entity.clone()));
    let c = stmt.arg(Arg::Int(created));
    let b = stmt.arg(Arg::Text(body));
    let p = stmt.arg(Arg::Int(i64::from(pending)));
    stmt.sql = format!(
        "INSERT INTO alerts \
         (tenant_id, id, rule_id, severity_rank, entity, created_at_ns, body, pending_publish) \
         VALUES ({t}, {i}, {r}, {s}, {e}, {c}, {b}, {p}) ON CONFLICT (tenant_id, id) DO NOTHING"
    );
    Ok(stmt)
}

/// The alert's techniques (uppercase) into `alert_techniques`; `None`
/// when it has none.
pub fn insert_alert_techniques(a: &Alert) -> Option<Statement> {
    let mut techniques: Vec<String> = a
        .techniques
        .iter()
        .map(|t| t.trim().to_ascii_uppercase())
        .filter(|t| !t.is_empty())
        .collect();
    techniques.sort();
    techniques.dedup();
    if techniques.is_empty() {
        return None;
    }
    let rows = techniques.into_iter().map(|t| {
        vec![
            Arg::Text(a.tenant.to_string()),
            Arg::Text(t),
            Arg::Text(a.id.clone()),
        ]
    });
    let mut stmt =
        Statement::new("INSERT INTO alert_techniques (tenant_id, technique, alert_id) VALUES ");
    values_list(&mut stmt, rows);
    stmt.sql
        .push_str(" ON CONFLICT (tenant_id, technique, alert_id) DO NOTHING");
    Some(stmt)
}

pub fn list_alerts(tenant: &TenantId, filter: &AlertFilter) -> Statement {
    let mut stmt = Statement::new("");
    let t = stmt.text(tenant.as_str());
    stmt.sql = format!("SELECT id, body FROM alerts WHERE tenant_id = {t}");
    if let Some(rule_id) = &filter.rule_id {
        let p = stmt.text(rule_id);
        stmt.sql.push_str(&format!(" AND rule_id = {p}"));
    }
    if let Some(technique) = &filter.technique {
        let technique = technique.trim().to_ascii_uppercase();
        let exact = stmt.text(&technique);
        // Sub-techniques: `T1059.` followed by anything; `_` and `%` cannot
        // occur in a technique id the LIKE would misread, but escape them anyway.
        let escaped = technique
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        let sub = stmt.text(&format!("{escaped}.%"));
        stmt.sql.push_str(&format!(
            " AND id IN (SELECT alert_id FROM alert_techniques WHERE tenant_id = {t} \
             AND (technique = {exact} OR technique LIKE {sub} ESCAPE '\\'))"
        ));
    }
    if let Some(min) = filter.min_severity {
        let p = stmt.arg(Arg::Int(record::severity_rank(min)));
        stmt.sql.push_str(&format!(" AND severity_rank >= {p}"));
    }
    if let Some(entity) = &filter.entity {
        let p = stmt.text(entity);
        stmt.sql.push_str(&format!(" AND entity = {p}"));
    }
    if let Some(since) = filter.since {
        let p = stmt.arg(Arg::Int(record::unix_nanos_saturating(since)));
        stmt.sql.push_str(&format!(" AND created_at_ns >= {p}"));
    }
    page_clause(&mut stmt, &filter.page);
    stmt
}

// Events -------------------------------------------------------------------

pub const EVENT_COLUMNS: usize = 5;

/// One multi-row insert that skips events already stored.
pub fn insert_events(events: &[&Event]) -> StoreResult<Statement> {
    let mut rows = Vec::with_capacity(events.len());
    for e in events {
        let body = record::encode("events", &e.id, e)?;
        rows.push(vec![
            Arg::Text(e.tenant.to_string()),
            Arg::Text(e.id.clone()),
            Arg::Text(e.event_type.as_str().to_string()),
            Arg::Int(record::unix_nanos("events", &e.id, e.time)?),
            Arg::Text(body),
        ]);
    }
    let mut stmt =
        Statement::new("INSERT INTO events (tenant_id, id, event_type, time_ns, body) VALUES ");
    values_list(&mut stmt, rows);
    stmt.sql.push_str(" ON CONFLICT (tenant_id, id) DO NOTHING");
    Ok(stmt)
}

pub fn get_event(tenant: &TenantId, id: &str) -> Statement {
    get_by_id("events", tenant, id)
}

pub fn count_events(tenant: &TenantId) -> Statement {
    let mut stmt = Statement::new("");
    let t = stmt.text(tenant.as_str());
    stmt.sql = format!("SELECT COUNT(*) FROM events WHERE tenant_id = {t}");
    stmt
}

#[cfg(test)]
mod tests {
    use super::*;
    use mcpsec_core::domain::{FindingStatus, Severity};

    #[test]
    fn placeholders_follow_args() {
        let tenant = TenantId::new("acme").unwrap();
        let filter = FindingFilter {
            asset_id: Some("a1".into()),
            status: Some(FindingStatus::Open),
            min_severity: Some(Severity::High),
            page: Page {
                after: Some("f9".into()),
                limit: 5000,
            },
            ..Default::default()
        };
        let stmt = list_findings(&tenant, &filter);
        assert_eq!(
            stmt.sql,
            "SELECT id, body FROM findings WHERE tenant_id = $1 AND asset_id = $2 AND status = $3 \
             AND severity_rank >= $4 AND id > $5 ORDER BY id LIMIT $6"
        );
        assert_eq!(stmt.args.len(), 6);
        assert_eq!(stmt.args[3], Arg::Int(3));
        assert_eq!(
            stmt.args[5],
            Arg::Int(i64::from(Page::MAX_LIMIT)),
            "limit is clamped"
        );
    }

    #[test]
    fn multi_row_values() {
        let v = Vulnerability {
            id: "GHSA-1".into(),
            aliases: vec![],
            summary: "s".into(),
            severity: Severity::Low,
            cvss_score: None,
            published: None,
            modified: chrono::Utc::now(),
        };
        let mut w = v.clone();
        w.id = "GHSA-2".into();
        let stmt = upsert_vulnerabilities(&[&v, &w]).unwrap();
        assert!(
            stmt.sql.contains("VALUES ($1, $2),($3, $4) ON CONFLICT"),
            "{}",
            stmt.sql
        );
        assert_eq!(rows_per_statement(32766, EVENT_COLUMNS), 500);
        assert_eq!(rows_per_statement(999, EVENT_COLUMNS), 199);
        assert_eq!(rows_per_statement(1, EVENT_COLUMNS), 1);
    }
}
