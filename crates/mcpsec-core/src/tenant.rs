//! Tenant identifiers. Every record in mcpsec belongs to exactly one tenant.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A validated tenant identifier: 1 to 63 characters of lowercase ASCII
/// letters, digits and `-`, starting with a letter or digit.
///
/// The restriction keeps tenant ids safe to embed in object-store keys, bus
/// message keys and log lines without escaping.
#[derive(
    Debug,
    Clone,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
    utoipa::ToSchema,
)]
#[serde(try_from = "String", into = "String")]
#[schemars(with = "String")]
#[schema(value_type = String, example = "acme")]
pub struct TenantId(String);

/// Why a string is not a valid tenant id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidTenantId {
    #[error("tenant id is empty")]
    Empty,
    #[error("tenant id is {0} characters long; the limit is 63")]
    TooLong(usize),
    #[error("tenant id contains {0:?}; only a-z, 0-9 and '-' are allowed")]
    BadChar(char),
    #[error("tenant id must start with a letter or digit")]
    BadStart,
}

impl TenantId {
    pub const MAX_LEN: usize = 63;

    pub fn new(s: impl Into<String>) -> Result<Self, InvalidTenantId> {
        let s = s.into();
        if s.is_empty() {
            return Err(InvalidTenantId::Empty);
        }
        if s.len() > Self::MAX_LEN {
            return Err(InvalidTenantId::TooLong(s.len()));
        }
        if let Some(c) = s
            .chars()
            .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
        {
            return Err(InvalidTenantId::BadChar(c));
        }
        if s.starts_with('-') {
            return Err(InvalidTenantId::BadStart);
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for TenantId {
    type Err = InvalidTenantId;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

impl TryFrom<String> for TenantId {
    type Error = InvalidTenantId;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::new(s)
    }
}

impl From<TenantId> for String {
    fn from(t: TenantId) -> String {
        t.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_and_rejects() {
        assert!(TenantId::new("acme-1").is_ok());
        assert_eq!(TenantId::new(""), Err(InvalidTenantId::Empty));
        assert_eq!(TenantId::new("Acme"), Err(InvalidTenantId::BadChar('A')));
        assert_eq!(TenantId::new("-a"), Err(InvalidTenantId::BadStart));
        assert_eq!(TenantId::new("a/b"), Err(InvalidTenantId::BadChar('/')));
        assert!(matches!(
            TenantId::new("a".repeat(64)),
            Err(InvalidTenantId::TooLong(64))
        ));
    }

    #[test]
    fn serde_validates() {
        let ok: TenantId = serde_json::from_str("\"demo\"").unwrap();
        assert_eq!(ok.as_str(), "demo");
        assert!(serde_json::from_str::<TenantId>("\"../etc\"").is_err());
    }

    proptest! {
        #[test]
        fn valid_ids_round_trip(s in "[a-z0-9][a-z0-9-]{0,62}") {
            let t = TenantId::new(s.clone()).unwrap();
            let json = serde_json::to_string(&t).unwrap();
            let back: TenantId = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(back.as_str(), s.as_str());
        }

        #[test]
        fn never_panics(s in ".*") {
            let _ = TenantId::new(s);
        }
    }
}
