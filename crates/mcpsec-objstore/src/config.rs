//! `objects` in the server config: which object store to use.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use mcpsec_core::Secret;
use mcpsec_core::objstore::{ObjectStoreError, ObjectStoreResult};
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::{BackoffConfig, ClientOptions, RetryConfig};
use serde::{Deserialize, Serialize};

use crate::ObjectArtifactStore;

/// The object store backend, tagged by `backend`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "backend", rename_all = "lowercase", deny_unknown_fields)]
pub enum ObjectStoreConfig {
    /// A directory on the local filesystem (created when missing). A
    /// relative path is relative to the data directory (the server resolves it).
    /// As on any filesystem, one key cannot be both an object and the prefix
    /// of another (`a` and `a/b`); S3 allows it.
    Local { dir: PathBuf },
    /// An S3-compatible service (AWS S3, SeaweedFS, MinIO, Ceph…).
    S3(S3Config),
}

impl Default for ObjectStoreConfig {
    /// `objects/` under the data directory.
    fn default() -> Self {
        ObjectStoreConfig::Local {
            dir: PathBuf::from("objects"),
        }
    }
}

/// An S3 bucket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct S3Config {
    /// The service URL (e.g. `http://127.0.0.1:8333`); AWS when absent.
    #[serde(default)]
    pub endpoint: Option<String>,
    pub bucket: String,
    #[serde(default = "S3Config::default_region")]
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: Secret,
    /// Allow a plain `http://` endpoint (test services, a private network).
    #[serde(default)]
    pub allow_http: bool,
    /// Path-style URLs (`endpoint/bucket/key`) rather than virtual-hosted
    /// (`bucket.endpoint/key`); most self-hosted services need path style.
    #[serde(default = "S3Config::default_path_style")]
    pub path_style: bool,
}

impl S3Config {
    fn default_region() -> String {
        "us-east-1".into()
    }

    fn default_path_style() -> bool {
        true
    }

    /// A config with the default region and path-style addressing.
    pub fn new(
        bucket: impl Into<String>,
        access_key_id: impl Into<String>,
        secret_access_key: Secret,
    ) -> S3Config {
        S3Config {
            endpoint: None,
            bucket: bucket.into(),
            region: Self::default_region(),
            access_key_id: access_key_id.into(),
            secret_access_key,
            allow_http: false,
            path_style: Self::default_path_style(),
        }
    }
}

/// Time to open a connection to S3.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Time for a whole request (a 5 MiB upload fits easily).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

impl ObjectStoreConfig {
    /// The backend name of the store this config builds.
    pub fn backend(&self) -> &'static str {
        match self {
            ObjectStoreConfig::Local { .. } => "local",
            ObjectStoreConfig::S3(_) => "s3",
        }
    }

    /// Builds the store. This does not contact S3; call
    /// [`ping`](mcpsec_core::objstore::ArtifactStore::ping) to check it.
    pub async fn build(&self) -> ObjectStoreResult<ObjectArtifactStore> {
        match self {
            ObjectStoreConfig::Local { dir } => {
                tokio::fs::create_dir_all(dir).await.map_err(|e| {
                    ObjectStoreError::Unavailable(format!(
                        "cannot create object directory {}: {e}",
                        dir.display()
                    ))
                })?;
                let fs = LocalFileSystem::new_with_prefix(dir)
                    .map_err(|e| {
                        ObjectStoreError::Unavailable(format!(
                            "cannot use object directory {}: {e}",
                            dir.display()
                        ))
                    })?
                    .with_automatic_cleanup(true);
                Ok(ObjectArtifactStore::new(Arc::new(fs), "local"))
            }
            ObjectStoreConfig::S3(s3) => {
                let mut builder = AmazonS3Builder::new()
                    .with_bucket_name(&s3.bucket)
                    .with_region(&s3.region)
                    .with_access_key_id(&s3.access_key_id)
                    .with_secret_access_key(s3.secret_access_key.expose())
                    .with_allow_http(s3.allow_http)
                    .with_virtual_hosted_style_request(!s3.path_style)
                    .with_client_options(
                        ClientOptions::new()
                            .with_allow_http(s3.allow_http)
                            .with_connect_timeout(CONNECT_TIMEOUT)
                            .with_timeout(REQUEST_TIMEOUT),
                    )
                    .with_retry(RetryConfig {
                        backoff: BackoffConfig::default(),
                        max_retries: 3,
                        retry_timeout: Duration::from_secs(30),
                    });
                if let Some(endpoint) = &s3.endpoint {
                    builder = builder.with_endpoint(endpoint);
                }
                let s3_store = builder.build().map_err(|e| {
                    ObjectStoreError::Internal(format!(
                        "invalid S3 configuration for bucket {}: {e}",
                        s3.bucket
                    ))
                })?;
                Ok(ObjectArtifactStore::new(Arc::new(s3_store), "s3"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_defaults_and_redaction() {
        let c: ObjectStoreConfig = serde_json::from_str(
            r#"{"backend": "s3", "bucket": "b", "access_key_id": "AK", "secret_access_key": "hunter22"}"#,
        )
        .unwrap();
        let ObjectStoreConfig::S3(s3) = &c else {
            panic!("{c:?}")
        };
        assert_eq!(s3.region, "us-east-1");
        assert!(s3.path_style);
        assert!(!s3.allow_http);
        assert_eq!(s3.endpoint, None);
        assert_eq!(c.backend(), "s3");
        assert!(!format!("{c:?}").contains("hunter22"));
        assert!(!serde_json::to_string(&c).unwrap().contains("hunter22"));
    }

    #[test]
    fn unknown_fields_are_rejected() {
        for bad in [
            r#"{"backend": "local", "dir": "x", "size": 1}"#,
            r#"{"backend": "s3", "bucket": "b", "access_key_id": "AK", "secret_access_key": "s", "pathstyle": true}"#,
            r#"{"backend": "gcs", "bucket": "b"}"#,
        ] {
            assert!(
                serde_json::from_str::<ObjectStoreConfig>(bad).is_err(),
                "{bad} must be rejected"
            );
        }
        let c: ObjectStoreConfig =
            serde_json::from_str(r#"{"backend": "local", "dir": "/srv/objects"}"#).unwrap();
        assert_eq!(
            c,
            ObjectStoreConfig::Local {
                dir: "/srv/objects".into()
            }
        );
        assert_eq!(ObjectStoreConfig::default().backend(), "local");
    }

    #[tokio::test]
    async fn s3_config_errors_do_not_leak_the_secret() {
        let mut s3 = S3Config::new("b", "AK", Secret::new("hunter22"));
        s3.endpoint = Some("not a url".into());
        let r = ObjectStoreConfig::S3(s3).build().await;
        if let Err(e) = r {
            assert!(!e.to_string().contains("hunter22"), "{e}");
        }
    }
}
