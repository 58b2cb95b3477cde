//! How records are stored: the whole record as JSON in a `body` column, plus
//! the scalar filter columns (severity rank, timestamps as Unix nanoseconds).
//!
//! Decoding never panics: a body that does not parse is a
//! [`StoreError::Internal`] naming the table and the row's id.

use chrono::{DateTime, Utc};
use mcpsec_core::domain::Severity;
use mcpsec_core::store::{StoreError, StoreResult};
use serde::Serialize;
use serde::de::DeserializeOwned;

pub fn encode<T: Serialize>(table: &str, id: &str, record: &T) -> StoreResult<String> {
    serde_json::to_string(record)
        .map_err(|e| StoreError::Internal(format!("cannot encode {table} row {id:?} as JSON: {e}")))
}

pub fn decode<T: DeserializeOwned>(table: &str, id: &str, body: &str) -> StoreResult<T> {
    serde_json::from_str(body).map_err(|e| {
        StoreError::Internal(format!(
            "corrupt {table} row {id:?}: body is not a valid record: {e}"
        ))
    })
}

/// The integer stored for a severity, so `>=` filters work in SQL.
pub fn severity_rank(s: Severity) -> i64 {
    match s {
        Severity::Info => 0,
        Severity::Low => 1,
        Severity::Medium => 2,
        Severity::High => 3,
        Severity::Critical => 4,
    }
}

/// A timestamp as stored in a filter column; `Invalid` outside 1677–2262.
pub fn unix_nanos(table: &str, id: &str, t: DateTime<Utc>) -> StoreResult<i64> {
    t.timestamp_nanos_opt().ok_or_else(|| {
        StoreError::Invalid(format!(
            "{table} {id:?}: timestamp {t} is out of range (1677 to 2262)"
        ))
    })
}

/// A timestamp bound for a filter, clamped into the storable range.
pub fn unix_nanos_saturating(t: DateTime<Utc>) -> i64 {
    t.timestamp_nanos_opt().unwrap_or(if t.timestamp() < 0 {
        i64::MIN
    } else {
        i64::MAX
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use mcpsec_core::domain::Tenant;

    #[test]
    fn corrupt_body_names_table_and_id() {
        let err = decode::<Tenant>("tenants", "acme", "{not json").unwrap_err();
        assert!(matches!(err, StoreError::Internal(_)));
        let msg = err.to_string();
        assert!(msg.contains("tenants") && msg.contains("acme"), "{msg}");
        let err = decode::<Tenant>("tenants", "acme", r#"{"id": "Bad Id"}"#).unwrap_err();
        assert!(matches!(err, StoreError::Internal(_)), "{err}");
    }

    #[test]
    fn ranks_follow_severity_order() {
        for w in Severity::ALL.windows(2) {
            assert!(severity_rank(w[0]) < severity_rank(w[1]));
        }
    }

    #[test]
    fn timestamps() {
        let t = Utc.timestamp_opt(1, 5).unwrap();
        assert_eq!(unix_nanos("alerts", "a", t).unwrap(), 1_000_000_005);
        let far = Utc.with_ymd_and_hms(3000, 1, 1, 0, 0, 0).unwrap();
        assert!(matches!(
            unix_nanos("alerts", "a", far),
            Err(StoreError::Invalid(_))
        ));
        assert_eq!(unix_nanos_saturating(far), i64::MAX);
        let early = Utc.with_ymd_and_hms(1000, 1, 1, 0, 0, 0).unwrap();
        assert_eq!(unix_nanos_saturating(early), i64::MIN);
    }
}
