//! W3C trace context across HTTP and the bus: the API injects the current
//! span's context into each bus message's headers (`traceparent`), and the
//! worker continues the trace from them. With no OpenTelemetry layer
//! installed these are no-ops.

use std::collections::BTreeMap;

use opentelemetry::propagation::{Extractor, Injector};
use tracing_opentelemetry::OpenTelemetrySpanExt;

struct MapInjector<'a>(&'a mut BTreeMap<String, String>);

impl Injector for MapInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        self.0.insert(key.to_string(), value);
    }
}

struct MapExtractor<'a>(&'a BTreeMap<String, String>);

impl Extractor for MapExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }
    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(String::as_str).collect()
    }
}

struct HttpExtractor<'a>(&'a axum::http::HeaderMap);

impl Extractor for HttpExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }
    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|k| k.as_str()).collect()
    }
}

/// Writes the current span's trace context into `headers`.
pub fn inject_current(headers: &mut BTreeMap<String, String>) {
    let cx = tracing::Span::current().context();
    opentelemetry::global::get_text_map_propagator(|p| {
        p.inject_context(&cx, &mut MapInjector(headers))
    });
}

/// Makes `span` a child of the trace context found in bus message headers.
pub fn continue_from_bus(span: &tracing::Span, headers: &BTreeMap<String, String>) {
    let cx = opentelemetry::global::get_text_map_propagator(|p| p.extract(&MapExtractor(headers)));
    let _ = span.set_parent(cx);
}

/// Makes `span` a child of the trace context found in HTTP request headers.
pub fn continue_from_http(span: &tracing::Span, headers: &axum::http::HeaderMap) {
    let cx = opentelemetry::global::get_text_map_propagator(|p| p.extract(&HttpExtractor(headers)));
    let _ = span.set_parent(cx);
}
