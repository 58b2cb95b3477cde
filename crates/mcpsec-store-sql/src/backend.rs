//! What a SQL backend contributes to [`SqlStore`](crate::SqlStore): a pool
//! that runs the shared [`Statement`]s, and the few facts in which SQLite and
//! PostgreSQL differ (bind-parameter limit, row locking, how a write
//! transaction begins).

use async_trait::async_trait;
use mcpsec_core::store::StoreResult;
use sqlx::query::Query;
use sqlx::{ColumnIndex, Database, Decode, Encode, Row, Type};

use crate::query::{Arg, Statement};

/// One row of a `SELECT id, body` statement.
#[derive(Debug, Clone)]
pub struct BodyRow {
    pub id: String,
    pub body: String,
}

/// A SQL database that can run the store's statements.
///
/// Implemented by [`SqliteBackend`](crate::SqliteBackend) and
/// [`PostgresBackend`](crate::PostgresBackend) only; the trait is not
/// exported, so other crates cannot add backends to [`SqlStore`](crate::SqlStore).
#[async_trait]
pub trait Backend: Send + Sync + 'static {
    /// The name in logs, errors and the `backend` metric label.
    const NAME: &'static str;
    /// The bind parameters one multi-row statement carries at most: the
    /// protocol's limit, or less where large statements are slow.
    const STATEMENT_PARAMS: usize;
    /// The same for the event insert, the ingest hot path.
    const EVENT_STATEMENT_PARAMS: usize = Self::STATEMENT_PARAMS;
    /// Appended to a `SELECT` that reads a row the same transaction updates.
    const LOCK_FOR_UPDATE: &'static str;

    async fn fetch_rows(&self, stmt: &Statement) -> Result<Vec<BodyRow>, sqlx::Error>;
    async fn fetch_count(&self, stmt: &Statement) -> Result<i64, sqlx::Error>;
    /// Runs one statement; returns the number of rows it changed.
    async fn execute(&self, stmt: &Statement) -> Result<u64, sqlx::Error>;
    /// Runs `stmts` in one write transaction; returns the rows they changed.
    async fn execute_all(&self, stmts: &[Statement]) -> Result<u64, sqlx::Error>;
    /// Runs `stmts` in one write transaction and, only if each changed at
    /// least one row, then `then` (whatever they change) and commits; returns
    /// the indices of the `stmts` that changed none (empty: committed).
    async fn execute_all_or_none(
        &self,
        stmts: &[Statement],
        then: &[Statement],
    ) -> Result<Vec<usize>, sqlx::Error>;
    /// In one write transaction: reads the row `select` names (its row is
    /// locked until commit), lets `update` decide what to write, writes it and
    /// commits. `Ok(None)` when the row does not exist; the inner error is
    /// `update`'s refusal, after which nothing is written.
    async fn read_modify_write<T, F>(
        &self,
        select: &Statement,
        update: F,
    ) -> Result<Option<StoreResult<T>>, sqlx::Error>
    where
        T: Send + 'static,
        F: FnOnce(BodyRow) -> StoreResult<(Statement, T)> + Send + 'static,
    {
        self.read_modify_write_all(select, move |row| {
            update(row).map(|(write, value)| (vec![write], value))
        })
        .await
    }
    /// [`Backend::read_modify_write`] with several writes, run in order.
    async fn read_modify_write_all<T, F>(
        &self,
        select: &Statement,
        update: F,
    ) -> Result<Option<StoreResult<T>>, sqlx::Error>
    where
        T: Send + 'static,
        F: FnOnce(BodyRow) -> StoreResult<(Vec<Statement>, T)> + Send + 'static;
}

/// A sqlx query for `stmt` with its arguments bound, for any database that
/// can encode text and 64-bit integers.
pub fn bind<'q, DB>(stmt: &'q Statement) -> Query<'q, DB, <DB as Database>::Arguments<'q>>
where
    DB: Database,
    &'q str: Encode<'q, DB> + Type<DB>,
    Option<&'q str>: Encode<'q, DB> + Type<DB>,
    i64: Encode<'q, DB> + Type<DB>,
{
    bind_sql(&stmt.sql, stmt)
}

/// Like [`bind`], with `sql` as the text (the statement's SQL rewritten for
/// the backend, same placeholders in the same order).
pub fn bind_sql<'q, DB>(
    sql: &'q str,
    stmt: &'q Statement,
) -> Query<'q, DB, <DB as Database>::Arguments<'q>>
where
    DB: Database,
    &'q str: Encode<'q, DB> + Type<DB>,
    Option<&'q str>: Encode<'q, DB> + Type<DB>,
    i64: Encode<'q, DB> + Type<DB>,
{
    let mut q = sqlx::query(sql);
    for arg in &stmt.args {
        q = match arg {
            Arg::Text(s) => q.bind(s.as_str()),
            Arg::OptText(s) => q.bind(s.as_deref()),
            Arg::Int(n) => q.bind(*n),
        };
    }
    q
}

/// Reads a row of a `SELECT id, body` statement.
pub fn body_row<'r, R>(row: &'r R) -> Result<BodyRow, sqlx::Error>
where
    R: Row,
    usize: ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
{
    Ok(BodyRow {
        id: row.try_get(0)?,
        body: row.try_get(1)?,
    })
}
