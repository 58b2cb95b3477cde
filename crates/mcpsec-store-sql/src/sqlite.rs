//! The SQLite backend: the embedded default, one database file (WAL mode)
//! under the data directory.

use std::path::{Path, PathBuf};
use std::time::Duration;

use async_trait::async_trait;
use mcpsec_core::store::{StoreError, StoreResult};
use serde::{Deserialize, Serialize};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Row, Sqlite};

use crate::backend::{Backend, BodyRow, bind, body_row};
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
            .connect_with(options.pragma("cache_size", "-32768"))
            .await
            .map_err(|e| unavailable(e.to_string()))?;
        MIGRATOR.run(&pool).await.map_err(|e| {
            error::from_sqlx(
                SqliteBackend::NAME,
                "migrate",
                sqlx::Error::Migrate(Box::new(e)),
            )
        })?;
        tracing::info!(path = %self.path.display(), "SQLite store ready");
        Ok(SqlStore {
            backend: SqliteBackend { pool, writer },
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

/// The SQLite side of [`SqliteStore`].
pub struct SqliteBackend {
    /// Readers.
    pool: SqlitePool,
    /// The one writer connection.
    writer: SqlitePool,
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
    /// `BEGIN IMMEDIATE` already holds the only write lock.
    const LOCK_FOR_UPDATE: &'static str = "";

    async fn fetch_rows(&self, stmt: &Statement) -> Result<Vec<BodyRow>, sqlx::Error> {
        let rows = bind::<Sqlite>(stmt).fetch_all(&self.pool).await?;
        rows.iter().map(body_row).collect()
    }

    async fn fetch_count(&self, stmt: &Statement) -> Result<i64, sqlx::Error> {
        bind::<Sqlite>(stmt).fetch_one(&self.pool).await?.try_get(0)
    }

    async fn execute(&self, stmt: &Statement) -> Result<u64, sqlx::Error> {
        Ok(bind::<Sqlite>(stmt)
            .execute(&self.writer)
            .await?
            .rows_affected())
    }

    async fn execute_all(&self, stmts: &[Statement]) -> Result<u64, sqlx::Error> {
        let mut tx = self.begin_write().await?;
        let mut changed = 0;
        for stmt in stmts {
            changed += bind::<Sqlite>(stmt)
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
            if bind::<Sqlite>(stmt)
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
                bind::<Sqlite>(stmt).execute(&mut *tx).await?;
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
        let mut tx = self.begin_write().await?;
        let Some(row) = bind::<Sqlite>(select).fetch_optional(&mut *tx).await? else {
            return Ok(None);
        };
        match update(body_row(&row)?) {
            Ok((writes, value)) => {
                for write in &writes {
                    bind::<Sqlite>(write).execute(&mut *tx).await?;
                }
                tx.commit().await?;
                Ok(Some(Ok(value)))
            }
            Err(refused) => Ok(Some(Err(refused))),
        }
    }
}
