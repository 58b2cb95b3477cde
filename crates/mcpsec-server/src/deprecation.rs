//! Deprecation signalling for REST routes (docs/api.md, "Versioning and
//! deprecation"): a deprecated route keeps working until its sunset date and
//! answers with `Deprecation` (RFC 9745: `@<unix seconds>` of when it was
//! deprecated), `Sunset` (RFC 8594: the HTTP date after which it may be
//! removed) and, when there is one, `Link: <successor>; rel="successor-version"`.
//! Its OpenAPI operation is marked `deprecated: true` as well.
//!
//! The table is [`DEPRECATED`]; it is empty while every `/api/v1` route is
//! current.

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;

/// One deprecated route.
#[derive(Debug, Clone, Copy)]
pub struct Deprecated {
    pub method: &'static str,
    /// The route pattern as registered (`/api/v1/tenants/{tenant}/…`).
    pub path: &'static str,
    /// When it was deprecated, Unix seconds.
    pub since_unix: i64,
    /// When it may be removed, Unix seconds.
    pub sunset_unix: i64,
    /// The route that replaces it, if any.
    pub successor: Option<&'static str>,
}

/// Routes of this version that are deprecated (none at present).
pub const DEPRECATED: &[Deprecated] = &[];

/// Adds the deprecation headers of `table` to matching responses of `router`.
pub fn layer(router: Router, table: &'static [Deprecated]) -> Router {
    if table.is_empty() {
        return router;
    }
    router.layer(axum::middleware::from_fn_with_state(table, annotate))
}

async fn annotate(
    State(table): State<&'static [Deprecated]>,
    req: Request,
    next: Next,
) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string());
    let method = req.method().clone();
    let mut resp = next.run(req).await;
    let Some(route) = route else {
        return resp;
    };
    let Some(d) = table.iter().find(|d| {
        d.path == route && Method::from_bytes(d.method.as_bytes()).ok() == Some(method.clone())
    }) else {
        return resp;
    };
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&format!("@{}", d.since_unix)) {
        h.insert("deprecation", v);
    }
    if let Some(date) = chrono::DateTime::from_timestamp(d.sunset_unix, 0)
        && let Ok(v) = HeaderValue::from_str(&date.format("%a, %d %b %Y %H:%M:%S GMT").to_string())
    {
        h.insert("sunset", v);
    }
    if let Some(s) = d.successor
        && let Ok(v) = HeaderValue::from_str(&format!("<{s}>; rel=\"successor-version\""))
    {
        h.append(axum::http::header::LINK, v);
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::routing::get;

    static TABLE: &[Deprecated] = &[Deprecated {
        method: "GET",
        path: "/api/v1/old/{id}",
        since_unix: 1_767_225_600,
        sunset_unix: 1_782_864_000,
        successor: Some("/api/v1/new/{id}"),
    }];

    async fn call(router: &Router, method: &str, uri: &str) -> Response {
        let req = Request::builder()
            .method(method)
            .uri(uri)
            .body(Body::empty())
            .unwrap();
        tower::Service::call(&mut router.clone(), req)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn deprecated_routes_carry_the_headers_others_do_not() {
        let router = layer(
            Router::new()
                .route(
                    "/api/v1/old/{id}",
                    get(|| async { "old" }).post(|| async { "p" }),
                )
                .route("/api/v1/new/{id}", get(|| async { "new" })),
            TABLE,
        );
        let r = call(&router, "GET", "/api/v1/old/7").await;
        assert_eq!(r.headers()["deprecation"], "@1767225600");
        assert_eq!(r.headers()["sunset"], "Wed, 01 Jul 2026 00:00:00 GMT");
        assert_eq!(
            r.headers()["link"],
            "</api/v1/new/{id}>; rel=\"successor-version\""
        );
        for (m, uri) in [("GET", "/api/v1/new/7"), ("POST", "/api/v1/old/7")] {
            let r = call(&router, m, uri).await;
            assert!(!r.headers().contains_key("deprecation"), "{m} {uri}");
            assert!(!r.headers().contains_key("sunset"));
        }
    }
}
