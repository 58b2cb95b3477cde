//! A client of HashiCorp Vault's transit secrets engine, used as a KEK: data
//! keys are sent to `POST /v1/<mount>/encrypt/<key>` to be wrapped and to
//! `POST /v1/<mount>/decrypt/<key>` to be unwrapped; the KEK stays in Vault
//! (and Vault's own key versions rotate it underneath; `vault:vN:` is part
//! of the wrapped value).
//!
//! [`VaultKv`] reads configuration values from Vault's KV v2 engine:
//! a reference `vault-kv:<API path>#<field>` (for example
//! `vault-kv:secret/data/mcpsec#db_password`) is `GET /v1/<API path>` with
//! token auth, and the value is `data.data.<field>` of the answer.
//!
//! Tested against a fake transit endpoint and a fake KV v2 endpoint in this
//! crate's tests (Vault itself is not installable in the test environment).

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use mcpsec_core::Secret;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use zeroize::Zeroizing;

use crate::SecretsError;

/// A Vault transit key.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VaultConfig {
    /// Vault's address, e.g. `https://vault.example.com:8200`.
    pub address: String,
    /// The transit key's name.
    pub key: String,
    /// The transit engine's mount path.
    #[serde(default = "default_mount")]
    pub mount: String,
    /// The token; when unset, read from the variable `token_env`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<Secret>,
    /// The variable holding the token (default `VAULT_TOKEN`).
    #[serde(default = "default_token_env")]
    pub token_env: String,
    /// Vault Enterprise namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

fn default_mount() -> String {
    "transit".into()
}

fn default_token_env() -> String {
    "VAULT_TOKEN".into()
}

impl VaultConfig {
    pub fn new(address: impl Into<String>, key: impl Into<String>) -> VaultConfig {
        VaultConfig {
            address: address.into(),
            key: key.into(),
            mount: default_mount(),
            token: None,
            token_env: default_token_env(),
            namespace: None,
        }
    }
}

/// A transit key to wrap and unwrap data keys with.
pub struct VaultTransit {
    config: VaultConfig,
    token: Secret,
    http: reqwest::Client,
}

fn vault_err(msg: impl Into<String>) -> SecretsError {
    SecretsError::Vault(msg.into())
}

/// The token (given, or from the variable `token_env`) and an HTTP client
/// for the Vault at `address`.
fn connect(
    address: &str,
    token: Option<&Secret>,
    token_env: &str,
) -> Result<(Secret, reqwest::Client), SecretsError> {
    let token = match token {
        Some(t) => t.clone(),
        None => Secret::new(std::env::var(token_env).map_err(|_| {
            vault_err(format!(
                "no token: set vault.token or the variable {token_env}"
            ))
        })?),
    };
    let u =
        reqwest::Url::parse(address).map_err(|e| vault_err(format!("address {address:?}: {e}")))?;
    if !matches!(u.scheme(), "http" | "https") {
        return Err(vault_err(format!("address {address:?}: not http(s)")));
    }
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| vault_err(e.to_string()))?;
    Ok((token, http))
}

/// Vault's error messages from an answer (`{"errors": [...]}`).
fn vault_errors(v: &Value) -> String {
    v.get("errors")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join("; ")
        })
        .unwrap_or_default()
}

impl VaultTransit {
    pub fn new(config: VaultConfig) -> Result<VaultTransit, SecretsError> {
        let (token, http) = connect(&config.address, config.token.as_ref(), &config.token_env)?;
        for (what, v) in [("mount", &config.mount), ("key", &config.key)] {
            if v.is_empty() || v.contains(['?', '#']) || v.split('/').any(|s| s == "..") {
                return Err(vault_err(format!("{what} {v:?} is not a path segment")));
            }
        }
        Ok(VaultTransit {
            config,
            token,
            http,
        })
    }

    async fn call(&self, op: &str, body: Value) -> Result<Value, SecretsError> {
        let url = format!(
            "{}/v1/{}/{op}/{}",
            self.config.address.trim_end_matches('/'),
            self.config.mount.trim_matches('/'),
            self.config.key
        );
        let mut req = self
            .http
            .post(&url)
            .header("x-vault-token", self.token.expose())
            .header("content-type", "application/json")
            .body(body.to_string());
        if let Some(ns) = &self.config.namespace {
            req = req.header("x-vault-namespace", ns);
        }
        let r = req
            .send()
            .await
            .map_err(|e| vault_err(format!("POST {url}: {e}")))?;
        let status = r.status();
        let bytes = r
            .bytes()
            .await
            .map_err(|e| vault_err(format!("POST {url}: {e}")))?;
        let v: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        if !status.is_success() {
            let errors = vault_errors(&v);
            return Err(vault_err(format!("POST {url}: HTTP {status}: {errors}")));
        }
        v.get("data")
            .cloned()
            .ok_or_else(|| vault_err(format!("POST {url}: no `data` in the answer")))
    }

    /// Wraps `plaintext`; returns Vault's ciphertext (`vault:vN:...`).
    pub async fn encrypt(&self, plaintext: &[u8], _aad: &[u8]) -> Result<String, SecretsError> {
        let data = self
            .call(
                "encrypt",
                json!({ "plaintext": STANDARD.encode(plaintext) }),
            )
            .await?;
        data.get("ciphertext")
            .and_then(Value::as_str)
            .filter(|c| c.starts_with("vault:"))
            .map(str::to_string)
            .ok_or_else(|| vault_err("encrypt: no ciphertext in the answer"))
    }

    /// Unwraps Vault's ciphertext.
    pub async fn decrypt(
        &self,
        ciphertext: &str,
        _aad: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, SecretsError> {
        let data = self
            .call("decrypt", json!({ "ciphertext": ciphertext }))
            .await?;
        let b64 = Zeroizing::new(
            data.get("plaintext")
                .and_then(Value::as_str)
                .ok_or_else(|| vault_err("decrypt: no plaintext in the answer"))?
                .to_string(),
        );
        STANDARD
            .decode(b64.as_bytes())
            .map(Zeroizing::new)
            .map_err(|e| vault_err(format!("decrypt: plaintext is not base64: {e}")))
    }
}

/// The prefix of a Vault KV v2 reference in the configuration.
pub const KV_PREFIX: &str = "vault-kv:";

/// Whether `s` is a Vault KV reference (rather than a plain value).
pub fn is_kv_reference(s: &str) -> bool {
    s.starts_with(KV_PREFIX)
}

/// `[secrets.vault_kv]`: the Vault that `vault-kv:` references are read from.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VaultKvConfig {
    /// Vault's address, e.g. `https://vault.example.com:8200`.
    pub address: String,
    /// The token; when unset, read from the variable `token_env`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<Secret>,
    /// The variable holding the token (default `VAULT_TOKEN`).
    #[serde(default = "default_token_env")]
    pub token_env: String,
    /// Vault Enterprise namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

impl VaultKvConfig {
    pub fn new(address: impl Into<String>) -> VaultKvConfig {
        VaultKvConfig {
            address: address.into(),
            token: None,
            token_env: default_token_env(),
            namespace: None,
        }
    }
}

/// A parsed `vault-kv:<API path>#<field>` reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KvReference {
    /// The KV v2 API path under `/v1/`, e.g. `secret/data/mcpsec`.
    pub path: String,
    /// The key inside the secret's data, e.g. `db_password`.
    pub field: String,
}

impl KvReference {
    pub fn parse(s: &str) -> Result<KvReference, SecretsError> {
        let bad = |why: &str| {
            SecretsError::Malformed(format!(
                "Vault KV reference {s:?}: {why} (expected vault-kv:<mount>/data/<path>#<field>)"
            ))
        };
        let rest = s
            .trim()
            .strip_prefix(KV_PREFIX)
            .ok_or_else(|| bad("no vault-kv: prefix"))?;
        let (path, field) = rest.split_once('#').ok_or_else(|| bad("no #<field>"))?;
        let path = path.trim_matches('/');
        if path.is_empty()
            || path.contains(['?', '#', ' ', '%'])
            || path
                .split('/')
                .any(|seg| seg.is_empty() || seg == "." || seg == "..")
        {
            return Err(bad(
                "the path must be non-empty segments without . .. ? % or spaces",
            ));
        }
        if !path.split('/').skip(1).any(|seg| seg == "data") {
            return Err(bad("a KV v2 path has /data/ after the mount"));
        }
        if field.is_empty() {
            return Err(bad("empty field"));
        }
        Ok(KvReference {
            path: path.to_string(),
            field: field.to_string(),
        })
    }
}

impl std::fmt::Display for KvReference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{KV_PREFIX}{}#{}", self.path, self.field)
    }
}

/// A client of Vault's KV v2 engine for `vault-kv:` references.
pub struct VaultKv {
    config: VaultKvConfig,
    token: Secret,
    http: reqwest::Client,
}

impl VaultKv {
    pub fn new(config: VaultKvConfig) -> Result<VaultKv, SecretsError> {
        let (token, http) = connect(&config.address, config.token.as_ref(), &config.token_env)?;
        Ok(VaultKv {
            config,
            token,
            http,
        })
    }

    /// Reads the referenced value (the latest version of the secret). The
    /// value never appears in errors or logs.
    pub async fn read(&self, reference: &KvReference) -> Result<Zeroizing<String>, SecretsError> {
        let url = format!(
            "{}/v1/{}",
            self.config.address.trim_end_matches('/'),
            reference.path
        );
        let mut req = self
            .http
            .get(&url)
            .header("x-vault-token", self.token.expose());
        if let Some(ns) = &self.config.namespace {
            req = req.header("x-vault-namespace", ns);
        }
        let r = req
            .send()
            .await
            .map_err(|e| vault_err(format!("GET {url}: {e}")))?;
        let status = r.status();
        let bytes = Zeroizing::new(
            r.bytes()
                .await
                .map_err(|e| vault_err(format!("GET {url}: {e}")))?
                .to_vec(),
        );
        let v: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        if !status.is_success() {
            return Err(vault_err(format!(
                "GET {url}: HTTP {status}: {}",
                vault_errors(&v)
            )));
        }
        let data = v
            .get("data")
            .and_then(|d| d.get("data"))
            .and_then(Value::as_object)
            .ok_or_else(|| {
                vault_err(format!(
                    "GET {url}: no data.data in the answer (is {} a KV v2 path, with /data/?)",
                    reference.path
                ))
            })?;
        match data.get(&reference.field) {
            Some(Value::String(s)) => Ok(Zeroizing::new(s.clone())),
            Some(Value::Number(n)) => Ok(Zeroizing::new(n.to_string())),
            Some(Value::Bool(b)) => Ok(Zeroizing::new(b.to_string())),
            Some(_) => Err(vault_err(format!(
                "{reference}: the field is not a string, number or boolean"
            ))),
            None => Err(vault_err(format!(
                "{reference}: the secret has no field {:?} (fields: {})",
                reference.field,
                data.keys().cloned().collect::<Vec<_>>().join(", ")
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashMap};
    use std::sync::{Arc, Mutex};

    use axum::extract::{Path, State};
    use axum::http::{HeaderMap, StatusCode};
    use axum::routing::post;
    use axum::{Json, Router};

    use super::*;
    use crate::{KeySource, Keyring, SecretsConfig};

    /// A fake transit engine: "encrypts" by storing the plaintext under a
    /// counter (so nothing here is real cryptography) and checks the token.
    #[derive(Default)]
    struct Fake {
        stored: HashMap<String, String>,
        calls: Vec<String>,
    }

    async fn transit(
        State(s): State<Arc<Mutex<Fake>>>,
        Path((op, key)): Path<(String, String)>,
        headers: HeaderMap,
        Json(body): Json<Value>,
    ) -> (StatusCode, Json<Value>) {
        let mut f = s.lock().unwrap();
        f.calls.push(format!("{op}/{key}"));
        if headers.get("x-vault-token").map(|v| v.as_bytes()) != Some(b"s.test-token") {
            return (
                StatusCode::FORBIDDEN,
                Json(json!({"errors": ["permission denied"]})),
            );
        }
        match op.as_str() {
            "encrypt" => {
                let ct = format!("vault:v1:{key}-{}", f.stored.len());
                let pt = body["plaintext"].as_str().unwrap().to_string();
                f.stored.insert(ct.clone(), pt);
                (
                    StatusCode::OK,
                    Json(json!({"data": {"ciphertext": ct, "key_version": 1}})),
                )
            }
            "decrypt" => match f.stored.get(body["ciphertext"].as_str().unwrap_or("")) {
                Some(pt) => (StatusCode::OK, Json(json!({"data": {"plaintext": pt}}))),
                None => (
                    StatusCode::BAD_REQUEST,
                    Json(json!({"errors": ["cipher: message authentication failed"]})),
                ),
            },
            _ => (StatusCode::NOT_FOUND, Json(json!({"errors": []}))),
        }
    }

    async fn fake_vault() -> (String, Arc<Mutex<Fake>>) {
        let state = Arc::new(Mutex::new(Fake::default()));
        let app = Router::new()
            .route("/v1/transit/{op}/{key}", post(transit))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (addr, state)
    }

    #[tokio::test]
    async fn envelopes_with_a_vault_transit_kek() {
        let (addr, state) = fake_vault().await;
        let mut vc = VaultConfig::new(&addr, "mcpsec-kek");
        vc.token = Some(Secret::new("s.test-token"));
        let mut cfg = SecretsConfig {
            active_key: Some("vault".into()),
            keys: BTreeMap::new(),
            vault_kv: None,
        };
        cfg.keys.insert(
            "vault".into(),
            KeySource {
                vault: Some(vc.clone()),
                ..Default::default()
            },
        );
        let ring = Keyring::from_config(&cfg).unwrap().unwrap();
        let e = ring.encrypt(b"smtp-password", "notify.smtp").await.unwrap();
        assert!(e.starts_with("mcpsec:enc:v1:vault:"));
        assert_eq!(
            &*ring.decrypt(&e, "notify.smtp").await.unwrap(),
            b"smtp-password"
        );
        assert_eq!(
            state.lock().unwrap().calls,
            ["encrypt/mcpsec-kek", "decrypt/mcpsec-kek"]
        );
        // The data key sent to Vault is not the secret itself.
        assert!(
            state
                .lock()
                .unwrap()
                .stored
                .values()
                .all(|v| STANDARD.decode(v).unwrap().len() == 32)
        );

        // Rotation from Vault to a local key and back.
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("k");
        std::fs::write(&f, crate::generate_key_base64()).unwrap();
        cfg.keys.insert(
            "local".into(),
            KeySource {
                file: Some(f),
                ..Default::default()
            },
        );
        cfg.active_key = Some("local".into());
        let ring2 = Keyring::from_config(&cfg).unwrap().unwrap();
        let local = ring2.rewrap(&e).await.unwrap().unwrap();
        assert!(local.starts_with("mcpsec:enc:v1:local:"));
        cfg.active_key = Some("vault".into());
        let ring3 = Keyring::from_config(&cfg).unwrap().unwrap();
        let back = ring3.rewrap(&local).await.unwrap().unwrap();
        assert_eq!(
            &*ring3.decrypt(&back, "notify.smtp").await.unwrap(),
            b"smtp-password"
        );

        // Vault's errors are reported, with its message.
        let mut bad = vc.clone();
        bad.token = Some(Secret::new("s.wrong"));
        let t = VaultTransit::new(bad).unwrap();
        let err = t.encrypt(b"x", b"").await.unwrap_err().to_string();
        assert!(
            err.contains("403") && err.contains("permission denied"),
            "{err}"
        );
        let t = VaultTransit::new(vc.clone()).unwrap();
        let err = t
            .decrypt("vault:v1:nope", b"")
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("authentication failed"), "{err}");
        // Unreachable Vault.
        let mut down = vc.clone();
        down.address = "http://127.0.0.1:1".into();
        assert!(
            VaultTransit::new(down)
                .unwrap()
                .encrypt(b"x", b"")
                .await
                .is_err()
        );
        // No token anywhere.
        let mut none = vc;
        none.token = None;
        none.token_env = "MCPSEC_TEST_NO_SUCH_VAULT_TOKEN".into();
        assert!(VaultTransit::new(none).is_err());
    }

    /// A fake KV v2 engine holding `secret/data/mcpsec`.
    async fn kv_get(Path(path): Path<String>, headers: HeaderMap) -> (StatusCode, Json<Value>) {
        if headers.get("x-vault-token").map(|v| v.as_bytes()) != Some(b"s.kv-token") {
            return (
                StatusCode::FORBIDDEN,
                Json(json!({"errors": ["permission denied"]})),
            );
        }
        match path.as_str() {
            "secret/data/mcpsec" => (
                StatusCode::OK,
                Json(json!({"data": {
                    "data": {"db_password": "pg-secret-value", "port": 5432, "nested": {"a": 1}},
                    "metadata": {"version": 3}
                }})),
            ),
            "secret/metadata/mcpsec" => (StatusCode::OK, Json(json!({"data": {"versions": {}}}))),
            _ => (StatusCode::NOT_FOUND, Json(json!({"errors": []}))),
        }
    }

    #[tokio::test]
    async fn kv_references_are_read_from_vault_kv_v2() {
        use axum::routing::get;
        let app = Router::new().route("/v1/{*path}", get(kv_get));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

        let mut cfg = VaultKvConfig::new(&addr);
        cfg.token = Some(Secret::new("s.kv-token"));
        let kv = VaultKv::new(cfg.clone()).unwrap();
        let r = KvReference::parse("vault-kv:secret/data/mcpsec#db_password").unwrap();
        assert_eq!(r.path, "secret/data/mcpsec");
        assert_eq!(r.to_string(), "vault-kv:secret/data/mcpsec#db_password");
        assert_eq!(&*kv.read(&r).await.unwrap(), "pg-secret-value");
        let port = KvReference::parse("vault-kv:secret/data/mcpsec#port").unwrap();
        assert_eq!(&*kv.read(&port).await.unwrap(), "5432");

        // Errors name the reference and Vault's answer, never a value.
        let missing = KvReference::parse("vault-kv:secret/data/mcpsec#nope").unwrap();
        let e = kv.read(&missing).await.unwrap_err().to_string();
        assert!(
            e.contains("no field \"nope\"") && e.contains("db_password"),
            "{e}"
        );
        assert!(!e.contains("pg-secret-value"), "{e}");
        let nested = KvReference::parse("vault-kv:secret/data/mcpsec#nested").unwrap();
        assert!(kv.read(&nested).await.is_err());
        let absent = KvReference::parse("vault-kv:secret/data/other#x").unwrap();
        let e = kv.read(&absent).await.unwrap_err().to_string();
        assert!(e.contains("404"), "{e}");
        // A KV v1-style answer (no data.data) is explained.
        let v1 = KvReference::parse("vault-kv:secret/metadata/mcpsec#x");
        assert!(v1.is_err(), "metadata path has no /data/");
        let mut wrong = cfg.clone();
        wrong.token = Some(Secret::new("s.wrong"));
        let e = VaultKv::new(wrong)
            .unwrap()
            .read(&r)
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains("403") && e.contains("permission denied"), "{e}");

        // Malformed references.
        for bad in [
            "secret/data/mcpsec#x",
            "vault-kv:secret/data/mcpsec",
            "vault-kv:secret/data/mcpsec#",
            "vault-kv:secret/mcpsec#x",
            "vault-kv:secret/data/../sys#x",
            "vault-kv:#x",
        ] {
            assert!(
                matches!(KvReference::parse(bad), Err(SecretsError::Malformed(_))),
                "{bad}"
            );
        }
        assert!(is_kv_reference("vault-kv:secret/data/a#b"));
        assert!(!is_kv_reference("mcpsec:enc:v1:k:a:b:c"));
    }
}
