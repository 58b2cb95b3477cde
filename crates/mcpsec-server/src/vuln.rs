//! What the supply-chain capability lends the HTTP API. The server crate does
//! not depend on `mcpsec-vuln`: the binary implements [`VulnCapability`] and
//! passes it to [`router_with_capabilities`](crate::api::router_with_capabilities),
//! so `POST …/projects/{id}/sboms` recognises and checks an upload (SBOM or
//! scanner report) before it is stored and `sbom.ingested` is published.

/// What an upload was recognised as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SbomCheck {
    /// `cyclonedx-json`, `spdx-tag-value`, `trivy`, …
    pub format: String,
    pub spec_version: Option<String>,
    /// Components (SBOM) or findings (scanner report) read.
    pub component_count: u64,
}

/// Upload checks, implemented by the binary.
pub trait VulnCapability: Send + Sync + 'static {
    /// Recognises and parses the document; the error names the cause and,
    /// where the parser knows it, the position.
    fn check_upload(&self, bytes: &[u8]) -> Result<SbomCheck, String>;
}
