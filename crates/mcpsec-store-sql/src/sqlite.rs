//! The SQLite backend: the embedded default, one database file (WAL mode)
//! under the data directory.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::time::Duration;

use async_trait::async_trait;
use mcpsec_core::store::{StoreError, StoreResult};
use serde::{Deserialize, Serialize};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Row, Sqlite};

use crate::backend::{Backend, BodyRow, bind_sql, body_row};
use crate::query::Statement;
use crate::{SqlStore, error};

/// The store on an SQLite file.
pub type SqliteStore = SqlStore<SqliteBackend>;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");

/// How long a connection waits for another one's write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// `store.sqlite` in the server config.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SqliteConfig {
    /// The database file; it and its directory are created when missing.
    /// A relative path is relative to the data directory (the server resolves it).
    #[serde(default = "SqliteConfig::default_path")]
    pub path: PathBuf,
    /// Connections in the pool (readers run in parallel; writers take turns).
    #[serde(default = "SqliteConfig::default_max_connections")]
    pub max_connections: u32,
}

impl SqliteConfig {
    /// The file name used under the data directory.
    pub const FILE_NAME: &'static str = "mcpsec.db";

    fn default_max_connections() -> u32 {
        4
    }

    fn default_path() -> PathBuf {
        PathBuf::from(Self::FILE_NAME)
    }

    /// The default: `mcpsec.db` in `data_dir`.
    pub fn in_data_dir(data_dir: &Path) -> SqliteConfig {
        SqliteConfig {
            path: data_dir.join(Self::FILE_NAME),
            max_connections: Self::default_max_connections(),
        }
    }

    /// Opens (creating if missing) the database and applies pending migrations.
    pub async fn build(&self) -> StoreResult<SqliteStore> {
        if self.max_connections == 0 {
            return Err(StoreError::Invalid(
                "store.sqlite.max_connections must be at least 1".into(),
            ));
        }
        let unavailable = |what: String| {
            StoreError::Unavailable(format!(
                "cannot open SQLite database {}: {what}",
                self.path.display()
            ))
        };
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            tokio::fs::create_dir_all(dir).await.map_err(|e| {
                unavailable(format!("cannot create directory {}: {e}", dir.display()))
            })?;
        }
        let options = SqliteConnectOptions::new()
            .filename(&self.path)
            .create_if_missing(true)
            .page_size(PAGE_SIZE)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(self.max_connections)
            .acquire_timeout(BUSY_TIMEOUT * 2)
            .connect_with(options.clone())
            .await
            .map_err(|e| unavailable(e.to_string()))?;
        // Every write goes through one long-lived connection. SQLite takes
        // writes one at a time anyway; a single writer keeps its page cache
        // valid between transactions, where writers alternating over the
        // pool each found their cache stale (another connection had
        // written) and read the pages back from the WAL, about two `pread`
        // calls per inserted event. 32 MiB of cache instead of 2 MiB keeps a
        // large table's upper B-tree levels in memory.
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .acquire_timeout(BUSY_TIMEOUT * 2)
            .connect_with(
                options
                    .pragma("cache_size", "-32768")
                    .pragma("wal_autocheckpoint", "16384"),
            )
            .await
            .map_err(|e| unavailable(e.to_string()))?;
        let (stop_checkpoints, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(checkpoint_wal(pool.clone(), stopped));
        MIGRATOR.run(&pool).await.map_err(|e| {
            error::from_sqlx(
                SqliteBackend::NAME,
                "migrate",
                sqlx::Error::Migrate(Box::new(e)),
            )
        })?;
        tracing::info!(path = %self.path.display(), "SQLite store ready");
        Ok(SqlStore {
            backend: SqliteBackend {
                pool,
                writer,
                _stop_checkpoints: stop_checkpoints,
            },
        })
    }
}

impl Default for SqliteConfig {
    /// `mcpsec.db`, relative to the data directory.
    fn default() -> Self {
        SqliteConfig {
            path: Self::default_path(),
            max_connections: Self::default_max_connections(),
        }
    }
}

impl SqlStore<SqliteBackend> {
    /// The connection pool, for tests and maintenance.
    pub fn pool(&self) -> &SqlitePool {
        &self.backend.pool
    }

    /// Closes every connection (checkpointing the WAL); the store fails afterwards.
    pub async fn close(&self) {
        self.backend.writer.close().await;
        self.backend.pool.close().await;
    }
}

/// The page size of a new database file (SQLite's default is 4 KiB; an
/// existing file keeps the size it was created with). Larger pages mean
/// fewer WAL frames, so fewer `pwrite` calls and checksums per stored event.
const PAGE_SIZE: u32 = 16384;

/// How often a reader connection checkpoints the WAL into the database.
const CHECKPOINT_INTERVAL: Duration = Duration::from_millis(100);

/// Copies committed WAL frames into the database file every
/// [`CHECKPOINT_INTERVAL`] (`wal_checkpoint(PASSIVE)`: it never waits for
/// or blocks the writer), until `stop` is dropped or the pool closes.
///
/// This keeps checkpoint I/O off the writer connection, whose automatic
/// checkpoint (every 1,000 pages by default) otherwise ran inside a commit,
/// on the thread every write waits for. The writer keeps an automatic
/// checkpoint at 16,384 pages as a backstop should this task fall behind.
/// Durability is unchanged: a commit is in the WAL (and, with
/// `synchronous = NORMAL`, on disk at the next WAL sync) whether or not it
/// has been checkpointed.
async fn checkpoint_wal(pool: SqlitePool, stop: tokio::sync::oneshot::Receiver<()>) {
    let mut tick = tokio::time::interval(CHECKPOINT_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(stop);
    loop {
        tokio::select! {
            _ = &mut stop => break,
            _ = tick.tick() => {}
        }
        match sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&pool)
            .await
        {
            Ok(_) => {}
            Err(sqlx::Error::PoolClosed) => break,
            Err(e) => tracing::debug!(error = %e, "background WAL checkpoint failed"),
        }
    }
}

/// A sqlx query on SQLite for `stmt`, with `sql` (from [`sqlite_sql`]) as its text.
fn bind_sqlite<'q>(
    sql: &'q str,
    stmt: &'q Statement,
) -> sqlx::query::Query<'q, Sqlite, sqlx::sqlite::SqliteArguments<'q>> {
    bind_sql::<Sqlite>(sql, stmt)
}

/// The statement's SQL with anonymous `?` placeholders when its `$N`
/// placeholders appear exactly once each, in order (every statement that
/// does not reuse a value); otherwise the `$N` text unchanged.
///
/// sqlx binds SQLite parameters by asking `sqlite3_bind_parameter_name` for
/// each one, and SQLite answers that by scanning the list of named
/// parameters, so binding a statement with `$N` names costs O(parameters²)
/// (a quarter of the writer thread's time during event ingest with 250
/// parameters per statement). Anonymous parameters have no name to look up.
fn sqlite_sql(stmt: &Statement) -> Cow<'_, str> {
    let sql = stmt.sql.as_str();
    let bytes = sql.as_bytes();
    let mut out = String::with_capacity(sql.len());
    let mut expected = 1usize;
    let mut in_literal = false;
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\'' => in_literal = !in_literal,
            b'$' if !in_literal => {
                let digits = bytes[i + 1..]
                    .iter()
                    .take_while(|b| b.is_ascii_digit())
                    .count();
                if digits == 0 {
                    return Cow::Borrowed(sql);
                }
                match sql[i + 1..i + 1 + digits].parse::<usize>() {
                    Ok(n) if n == expected => {}
                    _ => return Cow::Borrowed(sql),
                }
                out.push_str(&sql[copied..i]);
                out.push('?');
                expected += 1;
                i += 1 + digits;
                copied = i;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    if expected - 1 != stmt.args.len() {
        return Cow::Borrowed(sql);
    }
    out.push_str(&sql[copied..]);
    Cow::Owned(out)
}

/// The SQLite side of [`SqliteStore`].
pub struct SqliteBackend {
    /// Readers.
    pool: SqlitePool,
    /// The one writer connection.
    writer: SqlitePool,
    /// Dropping it ends the background checkpoint task.
    _stop_checkpoints: tokio::sync::oneshot::Sender<()>,
}

impl SqliteBackend {
    /// Write transactions take the database write lock up front, so a
    /// read-then-write transaction never fails to upgrade its lock.
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, Sqlite>, sqlx::Error> {
        self.writer.begin_with("BEGIN IMMEDIATE").await
    }
}

#[async_trait]
impl Backend for SqliteBackend {
    const NAME: &'static str = "sqlite";
    /// Far below `SQLITE_MAX_VARIABLE_NUMBER` (32,766): binding looks each
    /// parameter up by name in a list (`sqlite3_bind_parameter_name`), so the
    /// cost of one statement grows with the square of its parameters. With
    /// 5,000 parameters per statement that lookup took a third of the time
    /// of event ingest; a few hundred keeps it negligible.
    const STATEMENT_PARAMS: usize = 250;
    /// Event inserts number their placeholders in order, so they bind as
    /// anonymous `?` parameters (see [`sqlite_sql`]) without the quadratic
    /// lookup; 500 rows per statement halve the statements per 1,000-event
    /// batch compared with 50.
    const EVENT_STATEMENT_PARAMS: usize = 2500;
    /// `BEGIN IMMEDIATE` already holds the only write lock.
    const LOCK_FOR_UPDATE: &'static str = "";

    async fn fetch_rows(&self, stmt: &Statement) -> Result<Vec<BodyRow>, sqlx::Error> {
        let rows = bind_sqlite(&sqlite_sql(stmt), stmt)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(body_row).collect()
    }

    async fn fetch_count(&self, stmt: &Statement) -> Result<i64, sqlx::Error> {
        bind_sqlite(&sqlite_sql(stmt), stmt)
            .fetch_one(&self.pool)
            .await?
            .try_get(0)
    }

    async fn execute(&self, stmt: &Statement) -> Result<u64, sqlx::Error> {
        Ok(bind_sqlite(&sqlite_sql(stmt), stmt)
            .execute(&self.writer)
            .await?
            .rows_affected())
    }

    async fn execute_all(&self, stmts: &[Statement]) -> Result<u64, sqlx::Error> {
        let mut tx = self.begin_write().await?;
        let mut changed = 0;
        for stmt in stmts {
            changed += bind_sqlite(&sqlite_sql(stmt), stmt)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        }
        tx.commit().await?;
        Ok(changed)
    }

    async fn execute_all_or_none(
        &self,
        stmts: &[Statement],
        then: &[Statement],
    ) -> Result<Vec<usize>, sqlx::Error> {
        let mut tx = self.begin_write().await?;
        let mut unchanged = Vec::new();
        for (i, stmt) in stmts.iter().enumerate() {
            if bind_sqlite(&sqlite_sql(stmt), stmt)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                == 0
            {
                unchanged.push(i);
            }
        }
        if unchanged.is_empty() {
            for stmt in then {
                bind_sqlite(&sqlite_sql(stmt), stmt)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        } else {
            tx.rollback().await?;
        }
        Ok(unchanged)
    }

    async fn read_modify_write_all<T, F>(
        &self,
        select: &Statement,
        update: F,
    ) -> Result<Option<StoreResult<T>>, sqlx::Error>
    where
        T: Send + 'static,
        F: FnOnce(BodyRow) -> StoreResult<(Vec<Statement>, T)> + Send + 'static,
    {
        let select_sql = sqlite_sql(select);
        let mut tx = self.begin_write().await?;
        let Some(row) = bind_sqlite(&select_sql, select)
            .fetch_optional(&mut *tx)
            .await?
        else {
            return Ok(None);
        };
        match update(body_row(&row)?) {
            Ok((writes, value)) => {
                for write in &writes {
                    bind_sqlite(&sqlite_sql(write), write)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(Some(Ok(value)))
            }
            Err(refused) => Ok(Some(Err(refused))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::Arg;

    fn stmt(sql: &str, args: usize) -> Statement {
        Statement {
            sql: sql.into(),
            args: (0..args).map(|i| Arg::Int(i as i64)).collect(),
        }
    }

    #[test]
    fn sequential_placeholders_become_anonymous() {
        let s = stmt(
            "INSERT INTO t (a, b) VALUES ($1, $2),($3, $4) ON CONFLICT DO NOTHING",
            4,
        );
        assert_eq!(
            sqlite_sql(&s),
            "INSERT INTO t (a, b) VALUES (?, ?),(?, ?) ON CONFLICT DO NOTHING"
        );
        let s = stmt(
            "SELECT id FROM t WHERE a = $1 AND b LIKE $2 ESCAPE '\\' LIMIT $3",
            3,
        );
        assert_eq!(
            sqlite_sql(&s),
            "SELECT id FROM t WHERE a = ? AND b LIKE ? ESCAPE '\\' LIMIT ?"
        );
        assert_eq!(sqlite_sql(&stmt("SELECT 1", 0)), "SELECT 1");
    }

    #[test]
    fn reused_or_out_of_order_placeholders_stay_numbered() {
        for (sql, args) in [
            ("SELECT 1 WHERE a = $1 OR b = $1", 1),
            ("SELECT 1 WHERE a = $2 AND b = $1", 2),
            ("SELECT 1 WHERE a = $1", 2),
            ("SELECT 1 WHERE a = $1 AND b = '$2'", 2),
            ("SELECT 1 WHERE a = $1 AND b = $x", 1),
        ] {
            let s = stmt(sql, args);
            assert_eq!(sqlite_sql(&s), sql, "{sql}");
        }
        // `$` inside a literal is text, not a placeholder.
        let s = stmt("SELECT '$9' WHERE a = $1", 1);
        assert_eq!(sqlite_sql(&s), "SELECT '$9' WHERE a = ?");
    }
}
