//! Logging and tracing setup: `tracing` to stderr as text or JSON, and, when
//! an OTLP endpoint is configured, span export over OTLP/HTTP. The W3C trace
//! context propagator is always installed so a caller's `traceparent` flows
//! through the API and the bus to the workers.

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use crate::config::LogFormat;

/// Keeps the tracer provider alive; flushes spans on drop.
pub struct TelemetryGuard {
    provider: SdkTracerProvider,
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        if let Err(e) = self.provider.shutdown() {
            eprintln!("mcpsec: flushing traces failed: {e}");
        }
    }
}

/// Installs the global subscriber. `otlp_endpoint` is the OTLP/HTTP base URL
/// (`/v1/traces` is appended).
pub fn init(
    format: LogFormat,
    level: &str,
    otlp_endpoint: Option<&str>,
) -> anyhow::Result<TelemetryGuard> {
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    let mut builder = SdkTracerProvider::builder();
    if let Some(endpoint) = otlp_endpoint {
        let url = format!("{}/v1/traces", endpoint.trim_end_matches('/'));
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_endpoint(url)
            .build()?;
        builder = builder.with_batch_exporter(exporter);
    }
    let resource = opentelemetry_sdk::Resource::builder()
        .with_service_name("mcpsec")
        .build();
    let provider = builder.with_resource(resource).build();
    let tracer = provider.tracer("mcpsec");
    opentelemetry::global::set_tracer_provider(provider.clone());

    let filter = EnvFilter::try_from_default_env().or_else(|_| EnvFilter::try_new(level))?;
    let fmt = match format {
        LogFormat::Text => tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .boxed(),
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .with_current_span(true)
            .with_writer(std::io::stderr)
            .boxed(),
    };
    tracing_subscriber::registry()
        .with(filter)
        .with(fmt)
        .with(tracing_opentelemetry::layer().with_tracer(tracer))
        .try_init()?;
    Ok(TelemetryGuard { provider })
}
