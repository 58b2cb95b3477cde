//! Mapping of `object_store` errors to [`ObjectStoreError`].
//!
//! Not-found is handled by the callers (it is `Ok(None)` / `Ok(())` in the
//! trait). A service that cannot be reached, times out, or refuses our
//! credentials, and a local disk that fails, are `Unavailable`; anything else
//! is `Internal`.

use std::error::Error as _;

use mcpsec_core::objstore::ObjectStoreError;
use object_store::client::{HttpError, HttpErrorKind};

pub fn map(backend: &str, op: &str, e: object_store::Error) -> ObjectStoreError {
    let msg = format!("{backend} {op}: {e}");
    match &e {
        object_store::Error::PermissionDenied { .. }
        | object_store::Error::Unauthenticated { .. } => {
            ObjectStoreError::Unavailable(format!("{msg} (check the credentials)"))
        }
        object_store::Error::InvalidPath { .. } => ObjectStoreError::InvalidKey(msg),
        _ if is_unreachable(&e) => ObjectStoreError::Unavailable(msg),
        _ => ObjectStoreError::Internal(msg),
    }
}

/// Whether a connection, timeout or I/O failure is somewhere in the cause chain.
fn is_unreachable(e: &object_store::Error) -> bool {
    let mut cause = e.source();
    while let Some(c) = cause {
        if let Some(http) = c.downcast_ref::<HttpError>() {
            return matches!(
                http.kind(),
                HttpErrorKind::Connect
                    | HttpErrorKind::Request
                    | HttpErrorKind::Timeout
                    | HttpErrorKind::Interrupted
            );
        }
        if c.downcast_ref::<std::io::Error>().is_some() {
            return true;
        }
        cause = c.source();
    }
    false
}
