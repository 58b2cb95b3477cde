//! mcpsec's [`ArtifactStore`] (reports, SBOMs and other artifacts) on the
//! `object_store` crate: a local directory by default, or any S3-compatible
//! service. Build one from an [`ObjectStoreConfig`]. Every tenant's objects
//! live under `tenants/<tenant>/`, so one tenant can never name another's.
//!
//! This crate depends on `mcpsec-core` only, never on another backend crate
//! (store, bus) or on the server.

mod config;
mod error;

use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use futures::TryStreamExt;
use mcpsec_core::TenantId;
use mcpsec_core::objstore::{
    ArtifactStore, ObjectInfo, ObjectKey, ObjectStoreError, ObjectStoreResult,
};
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

pub use config::{ObjectStoreConfig, S3Config};

/// The prefix under which every tenant's objects live.
const TENANTS: &str = "tenants";

/// An [`ArtifactStore`] on any `object_store` backend.
#[derive(Debug, Clone)]
pub struct ObjectArtifactStore {
    inner: Arc<dyn ObjectStore>,
    backend: &'static str,
}

impl ObjectArtifactStore {
    /// Wraps an `object_store` implementation; `backend` names it in logs.
    pub fn new(inner: Arc<dyn ObjectStore>, backend: &'static str) -> ObjectArtifactStore {
        ObjectArtifactStore { inner, backend }
    }

    fn tenant_root(tenant: &TenantId) -> Path {
        Path::from(TENANTS).join(tenant.as_str())
    }

    /// `tenants/<tenant>/<key>`. Valid tenant ids and object keys are always
    /// valid paths; the error is there so a bug cannot become a panic.
    fn location(tenant: &TenantId, key: &ObjectKey) -> ObjectStoreResult<Path> {
        Path::parse(format!("{TENANTS}/{}/{}", tenant.as_str(), key.as_str()))
            .map_err(|e| ObjectStoreError::InvalidKey(format!("{:?}: {e}", key.as_str())))
    }

    fn err(&self, op: &str, e: object_store::Error) -> ObjectStoreError {
        error::map(self.backend, op, e)
    }
}

#[async_trait]
impl ArtifactStore for ObjectArtifactStore {
    fn backend(&self) -> &'static str {
        self.backend
    }

    async fn put(&self, tenant: &TenantId, key: &ObjectKey, body: Bytes) -> ObjectStoreResult<()> {
        let location = Self::location(tenant, key)?;
        self.inner
            .put(&location, PutPayload::from_bytes(body))
            .await
            .map(drop)
            .map_err(|e| self.err("put", e))
    }

    async fn get(&self, tenant: &TenantId, key: &ObjectKey) -> ObjectStoreResult<Option<Bytes>> {
        let location = Self::location(tenant, key)?;
        let result = match self.inner.get(&location).await {
            Ok(result) => result,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(self.err("get", e)),
        };
        match result.bytes().await {
            Ok(body) => Ok(Some(body)),
            // Deleted between the request and reading the body.
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(self.err("get", e)),
        }
    }

    async fn list(
        &self,
        tenant: &TenantId,
        prefix: Option<&ObjectKey>,
    ) -> ObjectStoreResult<Vec<ObjectInfo>> {
        let root = Self::tenant_root(tenant);
        let search = match prefix {
            Some(p) => Self::location(tenant, p)?,
            None => root.clone(),
        };
        let metas: Vec<_> = self
            .inner
            .list(Some(&search))
            .try_collect()
            .await
            .map_err(|e| self.err("list", e))?;
        let mut out = Vec::with_capacity(metas.len());
        for meta in metas {
            let Some(parts) = meta.location.prefix_match(&root) else {
                continue;
            };
            let rel = parts
                .map(|p| p.as_ref().to_string())
                .collect::<Vec<_>>()
                .join("/");
            match ObjectKey::new(&rel) {
                Ok(key) => out.push(ObjectInfo {
                    key,
                    size: meta.size,
                    last_modified: meta.last_modified,
                }),
                // Put there by something else; not addressable through this API.
                Err(_) => {
                    tracing::warn!(backend = self.backend, location = %meta.location, "skipping object with an invalid key")
                }
            }
        }
        out.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(out)
    }

    async fn delete(&self, tenant: &TenantId, key: &ObjectKey) -> ObjectStoreResult<()> {
        let location = Self::location(tenant, key)?;
        match self.inner.delete(&location).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(self.err("delete", e)),
        }
    }

    async fn ping(&self) -> ObjectStoreResult<()> {
        self.inner
            .list_with_delimiter(Some(&Path::from(TENANTS)))
            .await
            .map(drop)
            .map_err(|e| self.err("ping", e))
    }
}
