//! [`VulnDbStore`] for [`SqlStore`]: advisories (`vuln_advisories`, the
//! whole [`AdvisoryRecord`] as JSON in `body`), their package keys
//! (`vuln_advisory_packages`) and ecosystems (`vuln_advisory_ecosystems`),
//! KEV entries (`vuln_kev`) and EPSS scores (`vuln_epss`). Migrations:
//! `0004_vulndb.sql`.
//!
//! Global reference data: no table here has a `tenant_id` (see
//! [`mcpsec_core::vulndb`]).

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use mcpsec_core::store::{StoreError, StoreResult};
use mcpsec_core::vulndb::{
    AdvisoryRecord, EpssScore, KevEntry, PackageKey, SourceCount, UpsertCounts, VulnDbChange,
    VulnDbStatus, VulnDbStore,
};

use crate::backend::Backend;
use crate::query::{Arg, Statement, rows_per_statement};
use crate::{SqlStore, record};

/// A statement whose SQL is `head` followed by `(…),(…)` rows and `tail`.
/// Placeholders are numbered in order, so SQLite binds them as anonymous `?`
/// parameters (no quadratic name lookup; see `sqlite::sqlite_sql`).
fn multi_row(head: &str, rows: impl IntoIterator<Item = Vec<Arg>>, tail: &str) -> Statement {
    let mut args = Vec::new();
    let mut sql = String::from(head);
    for (i, row) in rows.into_iter().enumerate() {
        if i > 0 {
            sql.push(',');
        }
        sql.push('(');
        for (j, a) in row.into_iter().enumerate() {
            if j > 0 {
                sql.push_str(", ");
            }
            args.push(a);
            let _ = write!(sql, "${}", args.len());
        }
        sql.push(')');
    }
    sql.push_str(tail);
    Statement { sql, args }
}

/// `head` + `(v1, v2, …)` + `tail`: an `IN` list of text values.
fn in_list(head: &str, values: &[&str], tail: &str) -> Statement {
    let args: Vec<Arg> = values.iter().map(|v| Arg::Text(v.to_string())).collect();
    let ph: Vec<String> = (1..=args.len()).map(|i| format!("${i}")).collect();
    Statement {
        sql: format!("{head}({}){tail}", ph.join(", ")),
        args,
    }
}

fn multi_row_chunks(
    head: &str,
    rows: Vec<Vec<Arg>>,
    tail: &str,
    max_params: usize,
) -> Vec<Statement> {
    let Some(cols) = rows.first().map(Vec::len) else {
        return Vec::new();
    };
    let per = rows_per_statement(max_params, cols);
    let mut out = Vec::with_capacity(rows.len().div_ceil(per));
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        out.push(multi_row(head, rows.by_ref().take(per), tail));
    }
    out
}

fn parse_u64(what: &str, s: &str) -> StoreResult<u64> {
    s.trim()
        .parse()
        .map_err(|_| StoreError::Internal(format!("vulndb status: bad {what} {s:?}")))
}

fn nanos_to_time(n: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_nanos(n)
}

fn date_of(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}

impl<B: Backend> SqlStore<B> {
    /// Stored `modified_ns` of the ids that exist.
    async fn stored_modified(
        &self,
        op: &crate::store::Op,
        ids: &[&str],
    ) -> StoreResult<HashMap<String, i64>> {
        let mut out = HashMap::new();
        for chunk in ids.chunks(rows_per_statement(B::STATEMENT_PARAMS, 1)) {
            let s = in_list(
                "SELECT id, CAST(modified_ns AS TEXT) FROM vuln_advisories WHERE id IN ",
                chunk,
                "",
            );
            for r in self.backend.fetch_rows(&s).await.map_err(|e| op.sql(e))? {
                let n = r.body.trim().parse::<i64>().map_err(|_| {
                    StoreError::Internal(format!("vuln_advisories {:?}: bad modified_ns", r.id))
                })?;
                out.insert(r.id, n);
            }
        }
        Ok(out)
    }

    async fn advisories_where_id_in(
        &self,
        op: &crate::store::Op,
        head: &str,
        ids: &[&str],
        tail: &str,
    ) -> StoreResult<BTreeMap<String, AdvisoryRecord>> {
        let mut out = BTreeMap::new();
        for chunk in ids.chunks(rows_per_statement(B::STATEMENT_PARAMS, 1)) {
            let s = in_list(head, chunk, tail);
            for r in self.backend.fetch_rows(&s).await.map_err(|e| op.sql(e))? {
                let rec: AdvisoryRecord = record::decode("vuln_advisories", &r.id, &r.body)?;
                out.insert(r.id, rec);
            }
        }
        Ok(out)
    }

    async fn by_cve<T: serde::de::DeserializeOwned>(
        &self,
        op: &crate::store::Op,
        table: &str,
        cves: &[String],
    ) -> StoreResult<Vec<T>> {
        let mut cves: Vec<&str> = cves.iter().map(String::as_str).collect();
        cves.sort_unstable();
        cves.dedup();
        let mut out = Vec::new();
        for chunk in cves.chunks(rows_per_statement(B::STATEMENT_PARAMS, 1)) {
            let s = in_list(
                &format!("SELECT cve, body FROM {table} WHERE cve IN "),
                chunk,
                " ORDER BY cve",
            );
            for r in self.backend.fetch_rows(&s).await.map_err(|e| op.sql(e))? {
                out.push(record::decode(table, &r.id, &r.body)?);
            }
        }
        Ok(out)
    }
}

fn eco_base(e: &str) -> &str {
    e.split(':').next().unwrap_or(e)
}

#[async_trait]
impl<B: Backend> VulnDbStore for SqlStore<B> {
    async fn upsert_advisories_changed(
        &self,
        records: &[AdvisoryRecord],
    ) -> StoreResult<(UpsertCounts, Vec<String>)> {
        let op = self.op("upsert_advisories");
        op.run(async {
            // One record per id, the newest `modified` winning.
            let mut unique: BTreeMap<&str, (&AdvisoryRecord, i64)> = BTreeMap::new();
            for r in records {
                // Clamped: real feeds hold dates like 0001-01-01 (the body keeps them).
                let ns = record::unix_nanos_saturating(r.modified);
                match unique.get(r.id.as_str()) {
                    Some((_, old)) if *old >= ns => {}
                    _ => {
                        unique.insert(r.id.as_str(), (r, ns));
                    }
                }
            }
            if unique.is_empty() {
                return Ok((UpsertCounts::default(), Vec::new()));
            }
            let ids: Vec<&str> = unique.keys().copied().collect();
            let stored = self.stored_modified(&op, &ids).await?;
            let mut counts = UpsertCounts::default();
            let mut write: Vec<(&AdvisoryRecord, i64)> = Vec::new();
            let mut replaced: Vec<&str> = Vec::new();
            for (id, (r, ns)) in &unique {
                match stored.get(*id) {
                    None => {
                        counts.inserted += 1;
                        write.push((r, *ns));
                    }
                    Some(old) if *old < *ns => {
                        counts.updated += 1;
                        replaced.push(id);
                        write.push((r, *ns));
                    }
                    Some(_) => counts.unchanged += 1,
                }
            }
            if write.is_empty() {
                return Ok((counts, Vec::new()));
            }
            let changed: Vec<String> = write.iter().map(|(r, _)| r.id.clone()).collect();
            let mut stmts = Vec::new();
            for chunk in replaced.chunks(rows_per_statement(B::STATEMENT_PARAMS, 1)) {
                stmts.push(in_list(
                    "DELETE FROM vuln_advisory_packages WHERE advisory_id IN ",
                    chunk,
                    "",
                ));
                stmts.push(in_list(
                    "DELETE FROM vuln_advisory_ecosystems WHERE advisory_id IN ",
                    chunk,
                    "",
                ));
            }
            // New ids and newer versions go in separate statements: on SQLite
            // new rows use `INSERT OR IGNORE`, which needs no statement
            // journal (an `ON CONFLICT … DO UPDATE` statement may abort
            // half-way, so SQLite journals every page it touches first).
            let mut new_rows = Vec::with_capacity(write.len());
            let mut newer_rows = Vec::with_capacity(replaced.len());
            let mut pkg_rows = Vec::new();
            let mut eco_rows = Vec::new();
            for (r, ns) in &write {
                let body = record::encode("vuln_advisories", &r.id, r)?;
                let row = vec![
                    Arg::Text(r.id.clone()),
                    Arg::Text(r.source.clone()),
                    Arg::Int(*ns),
                    Arg::Int(i64::from(r.withdrawn.is_some())),
                    Arg::Text(body),
                ];
                if stored.contains_key(r.id.as_str()) {
                    newer_rows.push(row);
                } else {
                    new_rows.push(row);
                }
                if r.withdrawn.is_none() {
                    let mut pk: Vec<&PackageKey> = r.packages.iter().collect();
                    pk.sort();
                    pk.dedup();
                    for p in pk {
                        pkg_rows.push(vec![
                            Arg::Text(p.ecosystem.clone()),
                            Arg::Text(p.name.clone()),
                            Arg::Text(r.id.clone()),
                        ]);
                    }
                }
                let mut ecos: Vec<&str> = r.ecosystems.iter().map(|e| eco_base(e)).collect();
                ecos.sort_unstable();
                ecos.dedup();
                for e in ecos {
                    eco_rows.push(vec![Arg::Text(r.id.clone()), Arg::Text(e.to_string())]);
                }
            }
            // Sequential placeholders: SQLite binds them anonymously, so the
            // larger event-insert statements apply (fewer round trips to the
            // writer thread).
            let params = B::EVENT_STATEMENT_PARAMS;
            let sqlite = B::NAME == "sqlite";
            const UPSERT_TAIL: &str = " ON CONFLICT (id) DO UPDATE SET source = excluded.source, \
                 modified_ns = excluded.modified_ns, withdrawn = excluded.withdrawn, \
                 body = excluded.body WHERE vuln_advisories.modified_ns < excluded.modified_ns";
            const ADV_COLS: &str =
                "vuln_advisories (id, source, modified_ns, withdrawn, body) VALUES ";
            // A new id another writer stored since `stored_modified` read:
            // PostgreSQL keeps the newer version; SQLite keeps the stored one
            // until the next import of a newer version.
            if sqlite {
                stmts.extend(multi_row_chunks(
                    &format!("INSERT OR IGNORE INTO {ADV_COLS}"),
                    new_rows,
                    "",
                    params,
                ));
            } else {
                stmts.extend(multi_row_chunks(
                    &format!("INSERT INTO {ADV_COLS}"),
                    new_rows,
                    UPSERT_TAIL,
                    params,
                ));
            }
            stmts.extend(multi_row_chunks(
                &format!("INSERT INTO {ADV_COLS}"),
                newer_rows,
                UPSERT_TAIL,
                params,
            ));
            // Same meaning on both: a duplicate key row is skipped (the values
            // are never NULL, so `OR IGNORE` skips nothing else).
            let (ins, skip) = if sqlite {
                ("INSERT OR IGNORE INTO", "")
            } else {
                ("INSERT INTO", " ON CONFLICT DO NOTHING")
            };
            stmts.extend(multi_row_chunks(
                &format!("{ins} vuln_advisory_packages (ecosystem, name, advisory_id) VALUES "),
                pkg_rows,
                skip,
                params,
            ));
            stmts.extend(multi_row_chunks(
                &format!("{ins} vuln_advisory_ecosystems (advisory_id, ecosystem) VALUES "),
                eco_rows,
                skip,
                params,
            ));
            self.backend
                .execute_all(&stmts)
                .await
                .map_err(|e| op.sql(e))?;
            Ok((counts, changed))
        })
        .await
    }

    async fn record_vulndb_change(&self, change: &VulnDbChange) -> StoreResult<()> {
        let op = self.op("record_vulndb_change");
        op.run(async {
            let body = record::encode("vulndb_changes", "new", change)?;
            let stmt = Statement {
                sql: "INSERT INTO vulndb_changes (published, body) VALUES (0, $1)".into(),
                args: vec![Arg::Text(body)],
            };
            self.backend
                .execute(&stmt)
                .await
                .map(drop)
                .map_err(|e| op.sql(e))
        })
        .await
    }

    async fn pending_vulndb_changes(&self, limit: u32) -> StoreResult<Vec<VulnDbChange>> {
        let op = self.op("pending_vulndb_changes");
        op.run(async {
            let stmt = Statement {
                sql: "SELECT CAST(seq AS TEXT), body FROM vulndb_changes WHERE published = 0 \
                      ORDER BY seq LIMIT $1"
                    .into(),
                args: vec![Arg::Int(i64::from(limit.clamp(1, 1000)))],
            };
            let rows = self
                .backend
                .fetch_rows(&stmt)
                .await
                .map_err(|e| op.sql(e))?;
            rows.iter()
                .map(|r| {
                    let mut c: VulnDbChange = record::decode("vulndb_changes", &r.id, &r.body)?;
                    c.seq = parse_u64("vulndb_changes seq", &r.id)?;
                    Ok(c)
                })
                .collect()
        })
        .await
    }

    async fn mark_vulndb_change_published(&self, seq: u64) -> StoreResult<()> {
        let op = self.op("mark_vulndb_change_published");
        op.run(async {
            let seq = i64::try_from(seq)
                .map_err(|_| StoreError::Invalid(format!("vulndb change {seq}: out of range")))?;
            let stmt = Statement {
                sql: "UPDATE vulndb_changes SET published = 1 WHERE seq = $1".into(),
                args: vec![Arg::Int(seq)],
            };
            self.backend
                .execute(&stmt)
                .await
                .map(drop)
                .map_err(|e| op.sql(e))
        })
        .await
    }

    async fn advisories_for_packages(
        &self,
        packages: &[PackageKey],
    ) -> StoreResult<Vec<AdvisoryRecord>> {
        let op = self.op("advisories_for_packages");
        op.run(async {
            let mut keys: Vec<&PackageKey> = packages.iter().collect();
            keys.sort();
            keys.dedup();
            let mut out: BTreeMap<String, AdvisoryRecord> = BTreeMap::new();
            for chunk in keys.chunks(rows_per_statement(B::STATEMENT_PARAMS, 2).min(200)) {
                let mut args = Vec::new();
                let mut conds = Vec::new();
                for k in chunk {
                    args.push(Arg::Text(k.ecosystem.clone()));
                    args.push(Arg::Text(k.name.clone()));
                    conds.push(format!(
                        "(ecosystem = ${} AND name = ${})",
                        args.len() - 1,
                        args.len()
                    ));
                }
                let s = Statement {
                    sql: format!(
                        "SELECT id, body FROM vuln_advisories WHERE id IN \
                         (SELECT advisory_id FROM vuln_advisory_packages WHERE {}) ORDER BY id",
                        conds.join(" OR ")
                    ),
                    args,
                };
                for r in self.backend.fetch_rows(&s).await.map_err(|e| op.sql(e))? {
                    if let std::collections::btree_map::Entry::Vacant(slot) = out.entry(r.id) {
                        let rec = record::decode("vuln_advisories", slot.key(), &r.body)?;
                        slot.insert(rec);
                    }
                }
            }
            Ok(out.into_values().collect())
        })
        .await
    }

    async fn advisories_by_id(&self, ids: &[String]) -> StoreResult<Vec<AdvisoryRecord>> {
        let op = self.op("advisories_by_id");
        op.run(async {
            let mut ids: Vec<&str> = ids.iter().map(String::as_str).collect();
            ids.sort_unstable();
            ids.dedup();
            Ok(self
                .advisories_where_id_in(
                    &op,
                    "SELECT id, body FROM vuln_advisories WHERE id IN ",
                    &ids,
                    "",
                )
                .await?
                .into_values()
                .collect())
        })
        .await
    }

    async fn upsert_kev(&self, entries: &[KevEntry]) -> StoreResult<u64> {
        let op = self.op("upsert_kev");
        op.run(async {
            let unique: BTreeMap<&str, &KevEntry> =
                entries.iter().map(|e| (e.cve.as_str(), e)).collect();
            let mut rows = Vec::with_capacity(unique.len());
            for (cve, e) in &unique {
                rows.push(vec![
                    Arg::Text(cve.to_string()),
                    Arg::OptText(e.date_added.map(|d| d.format("%Y-%m-%d").to_string())),
                    Arg::Text(record::encode("vuln_kev", cve, e)?),
                ]);
            }
            let n = rows.len() as u64;
            let stmts = multi_row_chunks(
                "INSERT INTO vuln_kev (cve, date_added, body) VALUES ",
                rows,
                " ON CONFLICT (cve) DO UPDATE SET date_added = excluded.date_added, \
                 body = excluded.body",
                B::STATEMENT_PARAMS,
            );
            if !stmts.is_empty() {
                self.backend
                    .execute_all(&stmts)
                    .await
                    .map_err(|e| op.sql(e))?;
            }
            Ok(n)
        })
        .await
    }

    async fn kev_entries(&self, cves: &[String]) -> StoreResult<Vec<KevEntry>> {
        let op = self.op("kev_entries");
        op.run(self.by_cve(&op, "vuln_kev", cves)).await
    }

    async fn upsert_epss(&self, scores: &[EpssScore]) -> StoreResult<u64> {
        let op = self.op("upsert_epss");
        op.run(async {
            let unique: BTreeMap<&str, &EpssScore> =
                scores.iter().map(|e| (e.cve.as_str(), e)).collect();
            let mut rows = Vec::with_capacity(unique.len());
            for (cve, e) in &unique {
                if !(0.0..=1.0).contains(&e.score) || !(0.0..=1.0).contains(&e.percentile) {
                    return Err(StoreError::Invalid(format!(
                        "EPSS {cve}: score and percentile must be within 0..1"
                    )));
                }
                rows.push(vec![
                    Arg::Text(cve.to_string()),
                    Arg::OptText(e.date.map(|d| d.format("%Y-%m-%d").to_string())),
                    Arg::Text(record::encode("vuln_epss", cve, e)?),
                ]);
            }
            let n = rows.len() as u64;
            let stmts = multi_row_chunks(
                "INSERT INTO vuln_epss (cve, score_date, body) VALUES ",
                rows,
                " ON CONFLICT (cve) DO UPDATE SET score_date = excluded.score_date, \
                 body = excluded.body",
                B::STATEMENT_PARAMS,
            );
            if !stmts.is_empty() {
                self.backend
                    .execute_all(&stmts)
                    .await
                    .map_err(|e| op.sql(e))?;
            }
            Ok(n)
        })
        .await
    }

    async fn epss_scores(&self, cves: &[String]) -> StoreResult<Vec<EpssScore>> {
        let op = self.op("epss_scores");
        op.run(self.by_cve(&op, "vuln_epss", cves)).await
    }

    async fn vulndb_status(&self) -> StoreResult<VulnDbStatus> {
        let op = self.op("vulndb_status");
        op.run(async {
            // Two text columns per row (the backend's row shape): the group
            // key and the space-separated numbers.
            let groups = Statement {
                sql: "SELECT a.source || '|' || COALESCE(e.ecosystem, ''), \
                      CAST(COUNT(*) AS TEXT) || ' ' || CAST(SUM(a.withdrawn) AS TEXT) || ' ' \
                      || CAST(MAX(a.modified_ns) AS TEXT) \
                      FROM vuln_advisories a LEFT JOIN vuln_advisory_ecosystems e \
                      ON e.advisory_id = a.id GROUP BY a.source, e.ecosystem"
                    .into(),
                args: vec![],
            };
            let mut advisories = Vec::new();
            for r in self
                .backend
                .fetch_rows(&groups)
                .await
                .map_err(|e| op.sql(e))?
            {
                let (source, ecosystem) = r.id.split_once('|').unwrap_or((&r.id, ""));
                let nums: Vec<&str> = r.body.split(' ').collect();
                let [count, withdrawn, newest] = nums[..] else {
                    return Err(StoreError::Internal(format!(
                        "vulndb status: bad row {:?}",
                        r.body
                    )));
                };
                advisories.push(SourceCount {
                    source: source.to_string(),
                    ecosystem: ecosystem.to_string(),
                    records: parse_u64("count", count)?,
                    withdrawn: parse_u64("withdrawn", withdrawn)?,
                    newest_modified: newest.parse::<i64>().ok().map(nanos_to_time),
                });
            }
            advisories.sort_by(|a, b| (&a.source, &a.ecosystem).cmp(&(&b.source, &b.ecosystem)));
            let count = |table: &str| Statement {
                sql: format!("SELECT COUNT(*) FROM {table}"),
                args: vec![],
            };
            let newest = |col: &str, table: &str| Statement {
                sql: format!(
                    "SELECT CAST('{table}' AS TEXT), COALESCE(MAX({col}), '') FROM {table}"
                ),
                args: vec![],
            };
            let n = |v: i64| u64::try_from(v).unwrap_or(0);
            let kev_entries = n(self
                .backend
                .fetch_count(&count("vuln_kev"))
                .await
                .map_err(|e| op.sql(e))?);
            let epss_scores = n(self
                .backend
                .fetch_count(&count("vuln_epss"))
                .await
                .map_err(|e| op.sql(e))?);
            let kev_newest = self
                .backend
                .fetch_rows(&newest("date_added", "vuln_kev"))
                .await
                .map_err(|e| op.sql(e))?;
            let epss_newest = self
                .backend
                .fetch_rows(&newest("score_date", "vuln_epss"))
                .await
                .map_err(|e| op.sql(e))?;
            Ok(VulnDbStatus {
                advisories,
                kev_entries,
                kev_newest_date_added: kev_newest.first().and_then(|r| date_of(&r.body)),
                epss_scores,
                epss_newest_date: epss_newest.first().and_then(|r| date_of(&r.body)),
            })
        })
        .await
    }
}
