//! The object store trait: reports, SBOMs and other artifacts, per tenant.
//!
//! Implementation: `mcpsec-objstore` (local filesystem by default, any
//! S3-compatible service when configured), built on the `object_store` crate.
//! Keys are validated [`ObjectKey`]s and always live under the tenant's prefix.

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};

use crate::{ErrorCode, TenantId};

/// A validated object key: 1 to 512 characters, `/`-separated segments of
/// `[A-Za-z0-9._-]`, no empty, `.` or `..` segment.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectKey(String);

impl ObjectKey {
    pub fn new(s: &str) -> Result<ObjectKey, ObjectStoreError> {
        let bad = |why: &str| Err(ObjectStoreError::InvalidKey(format!("{s:?}: {why}")));
        if s.is_empty() || s.len() > 512 {
            return bad("must be 1 to 512 characters");
        }
        for seg in s.split('/') {
            if seg.is_empty() || seg == "." || seg == ".." {
                return bad("empty, '.' or '..' path segment");
            }
            if let Some(c) = seg
                .chars()
                .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
            {
                return bad(&format!("character {c:?} is not allowed"));
            }
        }
        Ok(ObjectKey(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What `list` returns per object.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectInfo {
    pub key: ObjectKey,
    pub size: u64,
    pub last_modified: DateTime<Utc>,
}

#[derive(Debug, thiserror::Error)]
pub enum ObjectStoreError {
    #[error("invalid object key {0}")]
    InvalidKey(String),
    #[error("object store unavailable: {0}")]
    Unavailable(String),
    #[error("object store error: {0}")]
    Internal(String),
}

impl ObjectStoreError {
    pub fn code(&self) -> ErrorCode {
        match self {
            ObjectStoreError::InvalidKey(_) => ErrorCode::InvalidArgument,
            ObjectStoreError::Unavailable(_) => ErrorCode::ObjectStoreUnavailable,
            ObjectStoreError::Internal(_) => ErrorCode::Internal,
        }
    }
}

pub type ObjectStoreResult<T> = Result<T, ObjectStoreError>;

/// Tenant-scoped blob storage.
#[async_trait]
pub trait ArtifactStore: Send + Sync + 'static {
    fn backend(&self) -> &'static str;
    async fn put(&self, tenant: &TenantId, key: &ObjectKey, body: Bytes) -> ObjectStoreResult<()>;
    /// `None` when the object does not exist.
    async fn get(&self, tenant: &TenantId, key: &ObjectKey) -> ObjectStoreResult<Option<Bytes>>;
    /// Objects whose key starts with `prefix` (a whole-segment prefix, or all
    /// objects when `None`), sorted by key.
    async fn list(
        &self,
        tenant: &TenantId,
        prefix: Option<&ObjectKey>,
    ) -> ObjectStoreResult<Vec<ObjectInfo>>;
    /// Deleting a missing object is not an error.
    async fn delete(&self, tenant: &TenantId, key: &ObjectKey) -> ObjectStoreResult<()>;
    async fn ping(&self) -> ObjectStoreResult<()>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        assert!(ObjectKey::new("reports/2026/scan-1.json").is_ok());
        for bad in ["", "/abs", "a//b", "../x", "a/./b", "a b", "x\u{0}"] {
            assert!(ObjectKey::new(bad).is_err(), "{bad:?} must be rejected");
        }
    }
}
