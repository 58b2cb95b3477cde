//! OpenID Connect: validation of JWT bearer tokens with the provider's JWKS
//! (SSO and service-to-service), and browser login with the authorization
//! code flow and PKCE.
//!
//! The provider is found through `{issuer}/.well-known/openid-configuration`
//! (fetched once, on first use). Its signing keys (`jwks_uri`) are cached for
//! [`OidcSettings::jwks_cache_secs`] and fetched again when a token names an
//! unknown key id (at most once per [`OidcSettings::jwks_min_refresh_secs`],
//! so random key ids cannot make the server hammer the provider).
//!
//! A token is accepted when its signature verifies with the key of its
//! `kid` under an asymmetric algorithm (RS256/384/512, PS256/384/512,
//! ES256/384; `none` and HMAC are refused), the key's declared `alg` (if
//! any) matches, `iss` is the configured issuer, `aud` contains the
//! configured audience, and `exp` and `nbf` hold (with
//! [`OidcSettings::leeway_secs`]). Its claims are mapped to a tenant and a
//! role ([`OidcSettings::tenant_claim`], [`OidcSettings::role_claim`],
//! [`OidcSettings::role_map`]) and the role resolved like any other.

use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use mcpsec_core::Secret;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::sync::RwLock;

/// `[auth.oidc]`: the OpenID Connect provider (see `docs/security.md`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcSettings {
    /// The provider's issuer URL, exactly as in its tokens' `iss` (https;
    /// plain http only on loopback, for tests).
    pub issuer: String,
    /// This application's client id at the provider.
    pub client_id: String,
    /// The client secret for the code exchange (confidential clients); a
    /// public client relies on PKCE alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<Secret>,
    /// The `aud` bearer tokens must carry (default: `client_id`). ID tokens
    /// from the login flow must always name `client_id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    /// Where the provider sends the browser back: this server's
    /// `/api/v1/auth/oidc/callback` URL as registered at the provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_url: Option<String>,
    /// Scopes asked for at login.
    #[serde(default = "default_scopes")]
    pub scopes: Vec<String>,
    /// The claim that holds the tenant id.
    #[serde(default = "default_tenant_claim")]
    pub tenant_claim: String,
    /// The claim that holds the role (a string or a list, e.g. `groups`).
    #[serde(default = "default_role_claim")]
    pub role_claim: String,
    /// Provider values of `role_claim` → mcpsec roles. When set, only mapped
    /// values count; when empty, the value must be a tenant role name
    /// (`platform-admin` can only be granted through this map).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub role_map: BTreeMap<String, String>,
    /// The tenant when the token has no `tenant_claim`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_tenant: Option<String>,
    /// The role when no value of `role_claim` maps to one (none: refused).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_role: Option<String>,
    /// Clock skew allowed on `exp`/`nbf`, in seconds.
    #[serde(default = "default_leeway")]
    pub leeway_secs: u64,
    /// How long fetched keys are used before fetching them again.
    #[serde(default = "default_jwks_cache")]
    pub jwks_cache_secs: u64,
    /// The least time between fetches caused by unknown key ids.
    #[serde(default = "default_jwks_min_refresh")]
    pub jwks_min_refresh_secs: u64,
    /// Where the browser goes after login when the login did not name a page.
    #[serde(default = "default_after_login")]
    pub after_login: String,
}

fn default_scopes() -> Vec<String> {
    vec!["openid".into(), "profile".into(), "email".into()]
}
fn default_tenant_claim() -> String {
    "tenant".into()
}
fn default_role_claim() -> String {
    "role".into()
}
fn default_leeway() -> u64 {
    30
}
fn default_jwks_cache() -> u64 {
    3600
}
fn default_jwks_min_refresh() -> u64 {
    10
}
fn default_after_login() -> String {
    "/".into()
}

impl OidcSettings {
    /// Settings with defaults for `issuer` and `client_id`.
    pub fn new(issuer: impl Into<String>, client_id: impl Into<String>) -> OidcSettings {
        OidcSettings {
            issuer: issuer.into(),
            client_id: client_id.into(),
            client_secret: None,
            audience: None,
            redirect_url: None,
            scopes: default_scopes(),
            tenant_claim: default_tenant_claim(),
            role_claim: default_role_claim(),
            role_map: BTreeMap::new(),
            default_tenant: None,
            default_role: None,
            leeway_secs: default_leeway(),
            jwks_cache_secs: default_jwks_cache(),
            jwks_min_refresh_secs: default_jwks_min_refresh(),
            after_login: default_after_login(),
        }
    }

    /// Checks the settings; the message names the field.
    pub fn validate(&self) -> Result<(), String> {
        check_url("auth.oidc.issuer", &self.issuer)?;
        if let Some(r) = &self.redirect_url {
            check_url("auth.oidc.redirect_url", r)?;
        }
        if self.client_id.is_empty() {
            return Err("auth.oidc.client_id must not be empty".into());
        }
        if !self.after_login.starts_with('/') || self.after_login.starts_with("//") {
            return Err("auth.oidc.after_login must be a path on this server (`/...`)".into());
        }
        Ok(())
    }

    fn audience(&self) -> &str {
        self.audience.as_deref().unwrap_or(&self.client_id)
    }
}

/// https, or http on a loopback host.
fn check_url(field: &str, raw: &str) -> Result<url::Url, String> {
    let u = url::Url::parse(raw).map_err(|e| format!("{field} {raw:?}: {e}"))?;
    let loopback = matches!(
        u.host(),
        Some(url::Host::Domain("localhost"))
            | Some(url::Host::Ipv4(std::net::Ipv4Addr::LOCALHOST))
            | Some(url::Host::Ipv6(std::net::Ipv6Addr::LOCALHOST))
    );
    match u.scheme() {
        "https" => Ok(u),
        "http" if loopback => Ok(u),
        s => Err(format!(
            "{field} {raw:?}: scheme {s} is not allowed (https, or http on loopback)"
        )),
    }
}

/// Why a token or login was refused.
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("the bearer token is not a valid JWT from the OIDC provider: {0}")]
    Invalid(String),
    #[error("the OIDC provider cannot be reached or answered badly: {0}")]
    Provider(String),
    #[error("the token's claims do not map to an mcpsec tenant and role: {0}")]
    Mapping(String),
}

/// The parts of the discovery document used here.
#[derive(Debug, Clone, Deserialize)]
pub struct Discovery {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
    #[serde(default)]
    pub token_endpoint_auth_methods_supported: Vec<String>,
}

struct Key {
    alg: Option<Algorithm>,
    key: DecodingKey,
}

#[derive(Default)]
struct KeyCache {
    keys: HashMap<String, Key>,
    fetched: Option<Instant>,
}

/// The validated claims of a token.
pub type Claims = serde_json::Map<String, Value>;

/// An OIDC provider: discovery, keys and token validation.
pub struct OidcProvider {
    pub settings: OidcSettings,
    http: reqwest::Client,
    discovery: RwLock<Option<Discovery>>,
    keys: RwLock<KeyCache>,
    /// When an unknown key id last caused a fetch.
    last_forced: Mutex<Option<Instant>>,
}

const ALLOWED: &[Algorithm] = &[
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
];

/// An HTTP client for the provider (rustls, 10 s timeout, no redirects).
pub fn http_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_default()
}

impl OidcProvider {
    pub fn new(settings: OidcSettings) -> OidcProvider {
        OidcProvider {
            settings,
            http: http_client(),
            discovery: RwLock::new(None),
            keys: RwLock::new(KeyCache::default()),
            last_forced: Mutex::new(None),
        }
    }

    async fn get_json(&self, url: &str) -> Result<Value, OidcError> {
        let r = self
            .http
            .get(url)
            .header("accept", "application/json")
            .send()
            .await
            .map_err(|e| OidcError::Provider(format!("GET {url}: {e}")))?;
        let status = r.status();
        let body = r
            .bytes()
            .await
            .map_err(|e| OidcError::Provider(format!("GET {url}: {e}")))?;
        if !status.is_success() {
            return Err(OidcError::Provider(format!("GET {url}: HTTP {status}")));
        }
        serde_json::from_slice(&body)
            .map_err(|e| OidcError::Provider(format!("GET {url}: not JSON: {e}")))
    }

    /// The provider's discovery document (fetched once).
    pub async fn discovery(&self) -> Result<Discovery, OidcError> {
        if let Some(d) = self.discovery.read().await.as_ref() {
            return Ok(d.clone());
        }
        let url = format!(
            "{}/.well-known/openid-configuration",
            self.settings.issuer.trim_end_matches('/')
        );
        let d: Discovery = serde_json::from_value(self.get_json(&url).await?)
            .map_err(|e| OidcError::Provider(format!("{url}: {e}")))?;
        if d.issuer != self.settings.issuer {
            return Err(OidcError::Provider(format!(
                "{url} names issuer {:?}, not the configured {:?}",
                d.issuer, self.settings.issuer
            )));
        }
        for (field, u) in [
            ("authorization_endpoint", &d.authorization_endpoint),
            ("token_endpoint", &d.token_endpoint),
            ("jwks_uri", &d.jwks_uri),
        ] {
            check_url(field, u).map_err(OidcError::Provider)?;
        }
        *self.discovery.write().await = Some(d.clone());
        Ok(d)
    }

    async fn fetch_keys(&self) -> Result<(), OidcError> {
        let d = self.discovery().await?;
        let set = self.get_json(&d.jwks_uri).await?;
        let mut keys = HashMap::new();
        for (i, raw) in set
            .get("keys")
            .and_then(Value::as_array)
            .ok_or_else(|| OidcError::Provider(format!("{}: no `keys` array", d.jwks_uri)))?
            .iter()
            .enumerate()
        {
            let kid = raw.get("kid").and_then(Value::as_str).unwrap_or_default();
            if raw
                .get("use")
                .and_then(Value::as_str)
                .is_some_and(|u| u != "sig")
            {
                continue;
            }
            let parsed = (|| {
                let alg = match raw.get("alg").and_then(Value::as_str) {
                    Some(a) => Some(Algorithm::from_str(a).map_err(|e| format!("alg {a}: {e}"))?),
                    None => None,
                };
                let jwk: jsonwebtoken::jwk::Jwk =
                    serde_json::from_value(raw.clone()).map_err(|e| e.to_string())?;
                let key = DecodingKey::from_jwk(&jwk).map_err(|e| e.to_string())?;
                Ok::<_, String>(Key { alg, key })
            })();
            match parsed {
                Ok(k) => {
                    keys.insert(kid.to_string(), k);
                }
                Err(e) => {
                    tracing::warn!(jwks = %d.jwks_uri, index = i, kid, error = %e, "skipping an unusable JWKS key")
                }
            }
        }
        let mut cache = self.keys.write().await;
        cache.keys = keys;
        cache.fetched = Some(Instant::now());
        tracing::debug!(count = cache.keys.len(), "OIDC signing keys fetched");
        Ok(())
    }

    /// Validates `token` for `audience`; returns its claims.
    async fn validate_for(&self, token: &str, audience: &str) -> Result<Claims, OidcError> {
        let header =
            jsonwebtoken::decode_header(token).map_err(|e| OidcError::Invalid(e.to_string()))?;
        if !ALLOWED.contains(&header.alg) {
            return Err(OidcError::Invalid(format!(
                "algorithm {:?} is not accepted",
                header.alg
            )));
        }
        let kid = header.kid.clone().unwrap_or_default();
        let stale = {
            let cache = self.keys.read().await;
            cache
                .fetched
                .is_none_or(|t| t.elapsed() > Duration::from_secs(self.settings.jwks_cache_secs))
        };
        if stale {
            self.fetch_keys().await?;
        }
        if !stale && !self.keys.read().await.keys.contains_key(&kid) {
            // Maybe the provider rotated its keys.
            let may = {
                let mut last = self.last_forced.lock().expect("lock");
                let ok = last.is_none_or(|t| {
                    t.elapsed() >= Duration::from_secs(self.settings.jwks_min_refresh_secs)
                });
                if ok {
                    *last = Some(Instant::now());
                }
                ok
            };
            if may {
                self.fetch_keys().await?;
            }
        }
        let cache = self.keys.read().await;
        let key = cache
            .keys
            .get(&kid)
            .ok_or_else(|| OidcError::Invalid(format!("unknown signing key id {kid:?}")))?;
        if key.alg.is_some_and(|a| a != header.alg) {
            return Err(OidcError::Invalid(format!(
                "key {kid:?} is not for {:?}",
                header.alg
            )));
        }
        let mut v = Validation::new(header.alg);
        v.algorithms = vec![header.alg];
        v.leeway = self.settings.leeway_secs;
        v.validate_nbf = true;
        v.set_issuer(&[&self.settings.issuer]);
        v.set_audience(&[audience]);
        v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        let data = jsonwebtoken::decode::<Claims>(token, &key.key, &v)
            .map_err(|e| OidcError::Invalid(e.to_string()))?;
        Ok(data.claims)
    }

    /// Validates a bearer access token (audience: `audience` or `client_id`).
    pub async fn validate_bearer(&self, token: &str) -> Result<Claims, OidcError> {
        self.validate_for(token, self.settings.audience()).await
    }

    /// The tenant and role the claims map to (see [`OidcSettings`]).
    pub fn map_claims(&self, claims: &Claims) -> Result<(Option<String>, Vec<String>), OidcError> {
        let s = &self.settings;
        let tenant = match claims.get(&s.tenant_claim) {
            Some(Value::String(t)) => Some(t.clone()),
            Some(Value::Null) | None => s.default_tenant.clone(),
            Some(other) => {
                return Err(OidcError::Mapping(format!(
                    "claim {:?} is not a string: {other}",
                    s.tenant_claim
                )));
            }
        };
        let values: Vec<String> = match claims.get(&s.role_claim) {
            Some(Value::String(r)) => vec![r.clone()],
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        };
        let mut roles: Vec<String> = if s.role_map.is_empty() {
            values
                .into_iter()
                .filter(|r| r != mcpsec_core::auth::BuiltinRole::PlatformAdmin.as_str())
                .collect()
        } else {
            values
                .iter()
                .filter_map(|v| s.role_map.get(v).cloned())
                .collect()
        };
        if roles.is_empty()
            && let Some(d) = &s.default_role
        {
            roles.push(d.clone());
        }
        if roles.is_empty() {
            return Err(OidcError::Mapping(format!(
                "no role: claim {:?} is missing or has no mapped value, and there is no default_role",
                s.role_claim
            )));
        }
        Ok((tenant, roles))
    }

    /// The authorization URL for a login with `state`, `nonce` and PKCE
    /// `verifier`.
    pub async fn authorization_url(
        &self,
        state: &str,
        nonce: &str,
        verifier: &str,
    ) -> Result<String, OidcError> {
        let d = self.discovery().await?;
        let redirect = self.redirect_url()?;
        let mut u = url::Url::parse(&d.authorization_endpoint)
            .map_err(|e| OidcError::Provider(format!("authorization_endpoint: {e}")))?;
        u.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.settings.client_id)
            .append_pair("redirect_uri", redirect)
            .append_pair("scope", &self.settings.scopes.join(" "))
            .append_pair("state", state)
            .append_pair("nonce", nonce)
            .append_pair("code_challenge", &pkce_challenge(verifier))
            .append_pair("code_challenge_method", "S256");
        Ok(u.into())
    }

    fn redirect_url(&self) -> Result<&str, OidcError> {
        self.settings.redirect_url.as_deref().ok_or_else(|| {
            OidcError::Provider("auth.oidc.redirect_url is not configured; login is off".into())
        })
    }

    /// Exchanges an authorization code at the token endpoint and validates
    /// the ID token it returns (audience `client_id`, `nonce`).
    pub async fn exchange(
        &self,
        code: &str,
        verifier: &str,
        nonce: &str,
    ) -> Result<Claims, OidcError> {
        let d = self.discovery().await?;
        let redirect = self.redirect_url()?;
        let s = &self.settings;
        let basic = s.client_secret.is_some()
            && (d.token_endpoint_auth_methods_supported.is_empty()
                || d.token_endpoint_auth_methods_supported
                    .iter()
                    .any(|m| m == "client_secret_basic"));
        let body = {
            let mut form = url::form_urlencoded::Serializer::new(String::new());
            form.append_pair("grant_type", "authorization_code")
                .append_pair("code", code)
                .append_pair("redirect_uri", redirect)
                .append_pair("client_id", &s.client_id)
                .append_pair("code_verifier", verifier);
            if let Some(secret) = s.client_secret.as_ref().filter(|_| !basic) {
                form.append_pair("client_secret", secret.expose());
            }
            form.finish()
        };
        let mut req = self
            .http
            .post(&d.token_endpoint)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json");
        if let Some(secret) = s.client_secret.as_ref().filter(|_| basic) {
            let enc =
                |v: &str| url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>();
            let creds = base64::engine::general_purpose::STANDARD.encode(format!(
                "{}:{}",
                enc(&s.client_id),
                enc(secret.expose())
            ));
            req = req.header("authorization", format!("Basic {creds}"));
        }
        let r = req
            .body(body)
            .send()
            .await
            .map_err(|e| OidcError::Provider(format!("token endpoint: {e}")))?;
        let status = r.status();
        let body = r
            .bytes()
            .await
            .map_err(|e| OidcError::Provider(format!("token endpoint: {e}")))?;
        let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        if !status.is_success() {
            let err = v
                .get("error")
                .and_then(Value::as_str)
                .unwrap_or("no error code");
            return Err(OidcError::Invalid(format!(
                "the token endpoint refused the code: HTTP {status} ({err})"
            )));
        }
        let id_token = v
            .get("id_token")
            .and_then(Value::as_str)
            .ok_or_else(|| OidcError::Provider("the token response has no id_token".into()))?;
        let claims = self.validate_for(id_token, &s.client_id).await?;
        let got = claims
            .get("nonce")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if !super::constant_time_eq(got.as_bytes(), nonce.as_bytes()) {
            return Err(OidcError::Invalid(
                "the ID token's nonce does not match".into(),
            ));
        }
        Ok(claims)
    }
}

/// The S256 PKCE challenge of `verifier`.
pub fn pkce_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Whether `token` has the shape of a JWS (three base64url parts).
pub fn looks_like_jwt(token: &str) -> bool {
    let parts: Vec<&str> = token.split('.').collect();
    parts.len() == 3
        && parts[0].starts_with("eyJ")
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_matches_rfc7636_example() {
        // RFC 7636, appendix B.
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn jwt_shape_and_urls() {
        assert!(looks_like_jwt("eyJhbGciOi.eyJzdWIi.c2ln"));
        assert!(!looks_like_jwt("mcpsec_abc_def"));
        assert!(!looks_like_jwt("eyJ.a.b.c"));
        assert!(check_url("x", "https://idp.example.com").is_ok());
        assert!(check_url("x", "http://127.0.0.1:8080").is_ok());
        assert!(check_url("x", "http://idp.example.com").is_err());
        let mut s = OidcSettings::new("https://idp", "c");
        assert!(s.validate().is_ok());
        s.after_login = "//evil".into();
        assert!(s.validate().is_err());
    }

    #[test]
    fn claims_map_to_tenant_and_role() {
        let mut s = OidcSettings::new("https://idp", "c");
        let p = OidcProvider::new(s.clone());
        let c: Claims =
            serde_json::from_value(serde_json::json!({"tenant": "acme", "role": "analyst"}))
                .unwrap();
        assert_eq!(
            p.map_claims(&c).unwrap(),
            (Some("acme".into()), vec!["analyst".into()])
        );
        let c: Claims =
            serde_json::from_value(serde_json::json!({"role": "platform-admin"})).unwrap();
        assert!(
            p.map_claims(&c).is_err(),
            "platform-admin only through role_map"
        );
        s.role_claim = "groups".into();
        s.role_map.insert("sec-admins".into(), "admin".into());
        s.default_tenant = Some("acme".into());
        let p = OidcProvider::new(s);
        let c: Claims =
            serde_json::from_value(serde_json::json!({"groups": ["x", "sec-admins"]})).unwrap();
        assert_eq!(
            p.map_claims(&c).unwrap(),
            (Some("acme".into()), vec!["admin".into()])
        );
        let c: Claims = serde_json::from_value(serde_json::json!({"groups": ["analyst"]})).unwrap();
        assert!(p.map_claims(&c).is_err(), "unmapped values do not count");
    }
}
