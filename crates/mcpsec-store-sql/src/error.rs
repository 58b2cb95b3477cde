//! Mapping of driver errors to [`StoreError`], the same for both backends:
//! a lost or unreachable database is `Unavailable` (retry later), a unique
//! key violation is `Conflict`, anything else is `Internal`.

use mcpsec_core::store::StoreError;

/// Maps a driver error from operation `op` on `backend`.
pub fn from_sqlx(backend: &str, op: &str, e: sqlx::Error) -> StoreError {
    let msg = format!("{backend} {op}: {e}");
    match &e {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => StoreError::Unavailable(msg),
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(msg),
        sqlx::Error::Database(db) if db.code().is_some_and(|c| is_transient_code(&c)) => {
            StoreError::Unavailable(msg)
        }
        sqlx::Error::Migrate(m) => match &**m {
            sqlx::migrate::MigrateError::Execute(inner)
            | sqlx::migrate::MigrateError::ExecuteMigration(inner, _)
                if matches!(
                    inner,
                    sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed
                ) =>
            {
                StoreError::Unavailable(msg)
            }
            _ => StoreError::Internal(msg),
        },
        _ => StoreError::Internal(msg),
    }
}

/// Database error codes that mean "not now" rather than "never".
///
/// SQLite result codes (busy, locked, I/O error, disk full, cannot open)
/// and PostgreSQL SQLSTATE classes (08 connection exception, 53 insufficient
/// resources, 57P operator intervention such as a shutdown) and the two
/// retryable transaction failures (serialization failure, deadlock).
fn is_transient_code(code: &str) -> bool {
    // Every SQLSTATE has five characters; SQLite's extended result codes
    // are all below 10,000.
    if code.len() == 5 {
        return code.starts_with("08")
            || code.starts_with("53")
            || code.starts_with("57P")
            || code == "40001"
            || code == "40P01";
    }
    // SQLite: the primary result code is the low byte of the extended code.
    match code.parse::<u32>() {
        Ok(n) => matches!(n & 0xff, 5 | 6 | 10 | 13 | 14),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transient_codes() {
        // PostgreSQL.
        for c in ["08006", "08001", "53300", "57P01", "40P01", "40001"] {
            assert!(is_transient_code(c), "{c}");
        }
        for c in ["23505", "42P01", "22P02", "42601"] {
            assert!(!is_transient_code(c), "{c}");
        }
        // SQLite: SQLITE_BUSY, SQLITE_BUSY_SNAPSHOT (517), SQLITE_LOCKED, SQLITE_IOERR_*, SQLITE_FULL.
        for c in ["5", "517", "6", "10", "266", "13", "14"] {
            assert!(is_transient_code(c), "{c}");
        }
        // SQLITE_CONSTRAINT_PRIMARYKEY (1555), SQLITE_ERROR, SQLITE_CORRUPT.
        for c in ["1555", "1", "11"] {
            assert!(!is_transient_code(c), "{c}");
        }
    }

    #[test]
    fn pool_timeout_is_unavailable() {
        let e = from_sqlx("postgres", "get_asset", sqlx::Error::PoolTimedOut);
        assert!(matches!(e, StoreError::Unavailable(_)), "{e}");
        assert!(e.to_string().contains("postgres get_asset"), "{e}");
        let e = from_sqlx("sqlite", "x", sqlx::Error::RowNotFound);
        assert!(matches!(e, StoreError::Internal(_)));
    }
}
