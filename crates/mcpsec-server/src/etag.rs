//! Conditional requests for the REST API (RFC 9110 §8.8.3, §13).
//!
//! - Every successful `GET` under `/api/v1/` (except the live stream) gets a
//!   strong `ETag`: a hash of the exact response body, so two bodies that
//!   differ in one byte differ in tag. `If-None-Match` with a matching tag
//!   (or `*`) answers `304 Not Modified` without a body. Responses also get
//!   `Cache-Control: private, no-cache` unless the handler set one: clients
//!   may keep them, shared caches may not, and a reuse must be revalidated.
//! - A `PUT`, `PATCH`, `DELETE` or `POST` with `If-Match` is checked against
//!   the current representation of the record it changes — the same
//!   router answers an internal `GET` of the record's path with the caller's
//!   own credentials — and refused with `412 precondition_failed` when the
//!   tag differs (or the record does not exist). The check and the change are
//!   two steps, not one transaction: it stops lost updates between clients
//!   that read, edit and write back, not two writes within microseconds.
//!
//! The record a mutation changes is the request path itself, except for
//! action sub-resources (`…/findings/{id}/status`), whose record is the
//! parent (`…/findings/{id}`).

use std::sync::Arc;

use axum::Router;
use axum::body::{Body, HttpBody};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use mcpsec_core::ErrorCode;
use sha2::{Digest, Sha256};

use crate::error::ApiError;

/// Bodies larger than this are passed through without a tag.
const MAX_TAGGED_BODY: u64 = 32 * 1024 * 1024;

/// Path suffixes naming an action on the record above them.
const ACTION_SUFFIXES: &[&str] = &["/status"];

/// Wraps `router` with conditional request handling; `If-Match` checks are
/// answered by `router` itself (authentication included).
pub fn layer(router: Router) -> Router {
    let inner = Arc::new(router.clone());
    router.layer(axum::middleware::from_fn_with_state(inner, conditional))
}

/// The strong entity tag of a body: 128 bits of its SHA-256, quoted.
pub fn tag_of(body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    format!(
        "\"{}\"",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest[..16])
    )
}

fn applies(path: &str) -> bool {
    path.starts_with("/api/v1/") && path != "/api/v1/stream"
}

async fn conditional(State(inner): State<Arc<Router>>, req: Request, next: Next) -> Response {
    if !applies(req.uri().path()) {
        return next.run(req).await;
    }
    match *req.method() {
        Method::GET | Method::HEAD => tag_response(req, next).await,
        Method::PUT | Method::PATCH | Method::DELETE | Method::POST
            if req.headers().contains_key(header::IF_MATCH) =>
        {
            let (path, headers) = (req.uri().path().to_string(), req.headers().clone());
            match check_if_match(&inner, &path, &headers).await {
                Ok(()) => next.run(req).await,
                Err(refused) => refused,
            }
        }
        _ => next.run(req).await,
    }
}

async fn tag_response(req: Request, next: Next) -> Response {
    let if_none_match = req.headers().get(header::IF_NONE_MATCH).cloned();
    let resp = next.run(req).await;
    if resp.status() != StatusCode::OK {
        return resp;
    }
    let streaming = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/event-stream"));
    let size = resp.body().size_hint().exact();
    if streaming || size.is_none_or(|n| n > MAX_TAGGED_BODY) {
        return resp;
    }
    let (mut parts, body) = resp.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_TAGGED_BODY as usize).await {
        Ok(b) => b,
        Err(e) => {
            return ApiError::new(ErrorCode::Internal, format!("reading response body: {e}"))
                .into_response();
        }
    };
    let tag = tag_of(&bytes);
    let tag_value = HeaderValue::from_str(&tag).expect("base64 is a valid header value");
    parts.headers.insert(header::ETAG, tag_value.clone());
    parts
        .headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("private, no-cache"));
    if if_none_match.is_some_and(|v| matches_any(&v, &tag, true)) {
        let mut not_modified = Response::new(Body::empty());
        *not_modified.status_mut() = StatusCode::NOT_MODIFIED;
        for name in [header::ETAG, header::CACHE_CONTROL, header::VARY] {
            if let Some(v) = parts.headers.get(&name) {
                not_modified.headers_mut().insert(name, v.clone());
            }
        }
        return not_modified;
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// Whether a comma-separated list of entity tags (`If-Match`,
/// `If-None-Match`) contains `tag` or `*`. `weak`: `W/"x"` matches `"x"`
/// (the weak comparison `If-None-Match` uses); `If-Match` compares strongly.
fn matches_any(list: &HeaderValue, tag: &str, weak: bool) -> bool {
    let Ok(list) = list.to_str() else {
        return false;
    };
    list.split(',').map(str::trim).any(|t| {
        if t == "*" {
            return true;
        }
        match t.strip_prefix("W/") {
            Some(inner) => weak && inner == tag,
            None => t == tag,
        }
    })
}

/// The path of the record a mutation of `path` changes.
fn record_path(path: &str) -> &str {
    ACTION_SUFFIXES
        .iter()
        .find_map(|s| path.strip_suffix(s))
        .unwrap_or(path)
}

/// Headers of the caller that identify it, for the internal `GET`.
fn credentials(headers: &HeaderMap) -> HeaderMap {
    let mut out = HeaderMap::new();
    for name in [header::AUTHORIZATION, header::COOKIE] {
        if let Some(v) = headers.get(&name) {
            out.insert(name, v.clone());
        }
    }
    out
}

async fn check_if_match(
    inner: &Router,
    request_path: &str,
    headers: &HeaderMap,
) -> Result<(), Response> {
    let Some(if_match) = headers.get(header::IF_MATCH).cloned() else {
        return Ok(());
    };
    let path = record_path(request_path).to_string();
    let mut get = Request::new(Body::empty());
    *get.method_mut() = Method::GET;
    *get.uri_mut() = path
        .parse()
        .map_err(|_| ApiError::new(ErrorCode::InvalidArgument, "unusable path").into_response())?;
    *get.headers_mut() = credentials(headers);
    let current = tower::Service::call(&mut inner.clone(), get)
        .await
        .unwrap_or_else(|never| match never {});
    match current.status() {
        StatusCode::OK => {}
        StatusCode::NOT_FOUND => {
            return Err(ApiError::new(
                ErrorCode::PreconditionFailed,
                format!("If-Match: {path} does not exist"),
            )
            .into_response());
        }
        // Not allowed to read it, or no such readable record: the request
        // itself decides (and is refused the same way if it must be).
        _ => return Ok(()),
    }
    let bytes = axum::body::to_bytes(current.into_body(), MAX_TAGGED_BODY as usize)
        .await
        .map_err(|e| {
            ApiError::new(ErrorCode::Internal, format!("reading {path}: {e}")).into_response()
        })?;
    let tag = tag_of(&bytes);
    if matches_any(&if_match, &tag, false) {
        Ok(())
    } else {
        Err(ApiError::new(
            ErrorCode::PreconditionFailed,
            format!("If-Match: {path} changed since it was read (current ETag {tag})"),
        )
        .into_response())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_differ_per_body_and_are_quoted() {
        let a = tag_of(b"{\"a\":1}");
        assert_eq!(a, tag_of(b"{\"a\":1}"));
        assert_ne!(a, tag_of(b"{\"a\":2}"));
        assert!(a.starts_with('"') && a.ends_with('"'));
        assert_eq!(a.len(), 2 + 22);
    }

    #[test]
    fn tag_lists() {
        let t = tag_of(b"x");
        let hv = |s: &str| HeaderValue::from_str(s).unwrap();
        assert!(matches_any(&hv(&t), &t, false));
        assert!(matches_any(&hv(&format!("\"other\", {t}")), &t, false));
        assert!(matches_any(&hv("*"), &t, false));
        assert!(!matches_any(&hv("\"other\""), &t, true));
        // Weak tags match only in the weak comparison (If-None-Match).
        assert!(matches_any(&hv(&format!("W/{t}")), &t, true));
        assert!(!matches_any(&hv(&format!("W/{t}")), &t, false));
    }

    #[test]
    fn record_of_actions_is_the_parent() {
        assert_eq!(
            record_path("/api/v1/tenants/a/findings/f1/status"),
            "/api/v1/tenants/a/findings/f1"
        );
        assert_eq!(
            record_path("/api/v1/tenants/a/rules/r1"),
            "/api/v1/tenants/a/rules/r1"
        );
        assert!(applies("/api/v1/tenants/a/rules/r1"));
        assert!(!applies("/api/v1/stream"));
        assert!(!applies("/graphql"));
    }
}
