//! What the detection capability lends the HTTP API. The server crate does
//! not depend on the detection engine: the binary implements
//! [`DetectionCapability`] over `mcpsec-detect` and passes it to
//! [`router_with`](crate::api::router_with), so rule uploads are parsed and
//! compiled before they are stored (a bad rule is a 400 with the reason) and
//! the entity view can order ATT&CK tactics along the kill chain.

use mcpsec_core::domain::Severity;

/// A rule file that parsed and compiled.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleCheck {
    /// Title of the first document.
    pub title: String,
    pub level: Option<Severity>,
}

/// An ATT&CK tactic with its position in the kill chain (0 = reconnaissance).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TacticInfo {
    pub id: String,
    pub name: String,
    pub order: usize,
}

/// Rule validation and ATT&CK lookups, implemented by the binary.
pub trait DetectionCapability: Send + Sync + 'static {
    /// Parses and compiles a Sigma rule file (one or more YAML documents) in
    /// the context of the built-in rules and the tenant's other rules
    /// (`(id, yaml)`), so correlations may name rules defined there; the
    /// error is the reason it is rejected.
    fn check_rule(
        &self,
        yaml: &str,
        tenant_rules: &[(String, String)],
    ) -> Result<RuleCheck, String>;
    /// The tactics of a technique (a sub-technique has its parent's).
    fn tactics_of(&self, technique: &str) -> Vec<TacticInfo>;
}
