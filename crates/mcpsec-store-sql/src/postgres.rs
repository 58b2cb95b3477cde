//! The PostgreSQL backend, for deployments that share one database between
//! several servers.

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use mcpsec_core::Secret;
use mcpsec_core::store::{StoreError, StoreResult};
use serde::{Deserialize, Serialize};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{ConnectOptions, Postgres, Row};

use crate::backend::{Backend, BodyRow, bind, body_row};
use crate::query::Statement;
use crate::{SqlStore, error};

/// The store on a PostgreSQL database.
pub type PostgresStore = SqlStore<PostgresBackend>;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// `store.postgres` in the server config.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostgresConfig {
    /// `postgres://user:password@host:port/database`; a secret because it
    /// usually holds the password.
    pub url: Secret,
    #[serde(default = "PostgresConfig::default_max_connections")]
    pub max_connections: u32,
    /// How long to wait for a connection, at start-up and from the pool.
    #[serde(default = "PostgresConfig::default_connect_timeout_secs")]
    pub connect_timeout_secs: u64,
}

impl PostgresConfig {
    fn default_max_connections() -> u32 {
        10
    }

    fn default_connect_timeout_secs() -> u64 {
        5
    }

    /// A config with the default pool settings.
    pub fn new(url: Secret) -> PostgresConfig {
        PostgresConfig {
            url,
            max_connections: Self::default_max_connections(),
            connect_timeout_secs: Self::default_connect_timeout_secs(),
        }
    }

    /// Connects and applies pending migrations. Errors never contain the
    /// URL's password.
    pub async fn build(&self) -> StoreResult<PostgresStore> {
        if self.max_connections == 0 {
            return Err(StoreError::Invalid(
                "store.postgres.max_connections must be at least 1".into(),
            ));
        }
        if self.connect_timeout_secs == 0 {
            return Err(StoreError::Invalid(
                "store.postgres.connect_timeout_secs must be at least 1".into(),
            ));
        }
        let options = PgConnectOptions::from_str(self.url.expose())
            .map_err(|e| {
                StoreError::Invalid(self.redact(format!(
                    "store.postgres.url is not a valid PostgreSQL URL: {e}"
                )))
            })?
            .application_name("mcpsec");
        let target = describe(&options);
        let timeout = Duration::from_secs(self.connect_timeout_secs);
        let pool = match PgPoolOptions::new()
            .max_connections(self.max_connections)
            .acquire_timeout(timeout)
            .connect_with(options.clone())
            .await
        {
            Ok(pool) => pool,
            Err(e) => {
                // The pool retries refused connections until the timeout and
                // then only says it timed out; one direct attempt tells why.
                let cause = match e {
                    sqlx::Error::PoolTimedOut => {
                        match tokio::time::timeout(timeout, options.connect()).await {
                            Ok(Err(direct)) => direct.to_string(),
                            _ => format!("no connection within {}s", self.connect_timeout_secs),
                        }
                    }
                    other => other.to_string(),
                };
                return Err(StoreError::Unavailable(self.redact(format!(
                    "cannot connect to PostgreSQL at {target}: {cause}"
                ))));
            }
        };
        MIGRATOR.run(&pool).await.map_err(|e| {
            let e = error::from_sqlx(
                PostgresBackend::NAME,
                "migrate",
                sqlx::Error::Migrate(Box::new(e)),
            );
            match e {
                StoreError::Unavailable(m) => StoreError::Unavailable(self.redact(m)),
                StoreError::NotFound(m)
                | StoreError::Conflict(m)
                | StoreError::Invalid(m)
                | StoreError::Internal(m) => StoreError::Internal(self.redact(m)),
            }
        })?;
        tracing::info!(target = %target, "PostgreSQL store ready");
        Ok(SqlStore {
            backend: PostgresBackend { pool },
        })
    }

    /// Removes the password from a message, should a driver ever echo it.
    fn redact(&self, msg: String) -> String {
        match url_password(self.url.expose()) {
            Some(p) if p.len() >= 3 => msg.replace(&p, Secret::REDACTED),
            _ => msg,
        }
    }
}

/// `user@host:port/database`, for messages.
fn describe(options: &PgConnectOptions) -> String {
    let place = match options.get_socket() {
        Some(socket) => socket.display().to_string(),
        None => format!("{}:{}", options.get_host(), options.get_port()),
    };
    format!(
        "{}@{place}/{}",
        options.get_username(),
        options.get_database().unwrap_or(options.get_username())
    )
}

/// The password in a `scheme://user:password@host/...` URL, as written.
fn url_password(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?']).next()?;
    let userinfo = authority.rsplit_once('@')?.0;
    let password = userinfo.split_once(':')?.1;
    (!password.is_empty()).then(|| password.to_string())
}

impl SqlStore<PostgresBackend> {
    /// The connection pool, for tests and maintenance.
    pub fn pool(&self) -> &PgPool {
        &self.backend.pool
    }

    /// Closes every connection; the store fails afterwards.
    pub async fn close(&self) {
        self.backend.pool.close().await;
    }
}

/// The PostgreSQL side of [`PostgresStore`].
pub struct PostgresBackend {
    pool: PgPool,
}

#[async_trait]
impl Backend for PostgresBackend {
    const NAME: &'static str = "postgres";
    /// The protocol counts bind parameters in 16 bits.
    const STATEMENT_PARAMS: usize = 65_535;
    const LOCK_FOR_UPDATE: &'static str = " FOR UPDATE";

    async fn fetch_rows(&self, stmt: &Statement) -> Result<Vec<BodyRow>, sqlx::Error> {
        let rows = bind::<Postgres>(stmt).fetch_all(&self.pool).await?;
        rows.iter().map(body_row).collect()
    }

    async fn fetch_count(&self, stmt: &Statement) -> Result<i64, sqlx::Error> {
        bind::<Postgres>(stmt)
            .fetch_one(&self.pool)
            .await?
            .try_get(0)
    }

    async fn execute(&self, stmt: &Statement) -> Result<u64, sqlx::Error> {
        Ok(bind::<Postgres>(stmt)
            .execute(&self.pool)
            .await?
            .rows_affected())
    }

    async fn execute_all(&self, stmts: &[Statement]) -> Result<u64, sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        let mut changed = 0;
        for stmt in stmts {
            changed += bind::<Postgres>(stmt)
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
        let mut tx = self.pool.begin().await?;
        let mut unchanged = Vec::new();
        for (i, stmt) in stmts.iter().enumerate() {
            if bind::<Postgres>(stmt)
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
                bind::<Postgres>(stmt).execute(&mut *tx).await?;
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
        let mut tx = self.pool.begin().await?;
        let Some(row) = bind::<Postgres>(select).fetch_optional(&mut *tx).await? else {
            return Ok(None);
        };
        match update(body_row(&row)?) {
            Ok((writes, value)) => {
                for write in &writes {
                    bind::<Postgres>(write).execute(&mut *tx).await?;
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

    #[test]
    fn finds_the_password() {
        assert_eq!(
            url_password("postgres://u:s3cret@h:5432/db").as_deref(),
            Some("s3cret")
        );
        assert_eq!(
            url_password("postgres://u:p%40ss@h/db?sslmode=disable").as_deref(),
            Some("p%40ss")
        );
        assert_eq!(url_password("postgres://u@h/db"), None);
        assert_eq!(url_password("postgres://h/db"), None);
        assert_eq!(url_password("not a url"), None);
    }

    #[test]
    fn config_rejects_unknown_fields_and_hides_the_url() {
        let c: PostgresConfig =
            serde_json::from_str(r#"{"url": "postgres://u:hunter22@h/db"}"#).unwrap();
        assert_eq!(c.max_connections, 10);
        assert_eq!(c.connect_timeout_secs, 5);
        assert!(!format!("{c:?}").contains("hunter22"));
        assert!(!serde_json::to_string(&c).unwrap().contains("hunter22"));
        let err = serde_json::from_str::<PostgresConfig>(r#"{"url": "x", "pool": 3}"#).unwrap_err();
        assert!(err.to_string().contains("unknown field"), "{err}");
    }

    #[tokio::test]
    async fn unreachable_database_is_unavailable_without_password() {
        // Port 1 on loopback: nothing listens there.
        let config = PostgresConfig {
            url: Secret::new("postgres://mcpsec:hunter22@127.0.0.1:1/mcpsec"),
            max_connections: 1,
            connect_timeout_secs: 1,
        };
        let err = match config.build().await {
            Ok(_) => panic!("connecting to a closed port must fail"),
            Err(e) => e,
        };
        let msg = err.to_string();
        assert!(matches!(err, StoreError::Unavailable(_)), "{msg}");
        assert!(msg.contains("127.0.0.1:1"), "{msg}");
        assert!(!msg.contains("hunter22"), "{msg}");
        eprintln!("unreachable: {msg}");
    }

    #[tokio::test]
    async fn bad_url_is_invalid_without_password() {
        let config = PostgresConfig::new(Secret::new(
            "postgres://mcpsec:hunter22@127.0.0.1:notaport/db",
        ));
        let err = match config.build().await {
            Ok(_) => panic!("a bad URL must fail"),
            Err(e) => e,
        };
        assert!(matches!(err, StoreError::Invalid(_)), "{err}");
        assert!(!err.to_string().contains("hunter22"), "{err}");
    }
}
