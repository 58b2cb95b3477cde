//! A client of HashiCorp Vault's transit secrets engine, used as a KEK: data
//! keys are sent to `POST /v1/<mount>/encrypt/<key>` to be wrapped and to
//! `POST /v1/<mount>/decrypt/<key>` to be unwrapped; the KEK stays in Vault
//! (and Vault's own key versions rotate it underneath; `vault:vN:` is part
//! of the wrapped value).
//!
//! Tested against a fake transit endpoint in this crate's tests (Vault itself
//! is not installable in the test environment).

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

impl VaultTransit {
    pub fn new(config: VaultConfig) -> Result<VaultTransit, SecretsError> {
        let token = match &config.token {
            Some(t) => t.clone(),
            None => Secret::new(std::env::var(&config.token_env).map_err(|_| {
                vault_err(format!(
                    "no token: set vault.token or the variable {}",
                    config.token_env
                ))
            })?),
        };
        let u = reqwest::Url::parse(&config.address)
            .map_err(|e| vault_err(format!("address {:?}: {e}", config.address)))?;
        if !matches!(u.scheme(), "http" | "https") {
            return Err(vault_err(format!(
                "address {:?}: not http(s)",
                config.address
            )));
        }
        for (what, v) in [("mount", &config.mount), ("key", &config.key)] {
            if v.is_empty() || v.contains(['?', '#']) || v.split('/').any(|s| s == "..") {
                return Err(vault_err(format!("{what} {v:?} is not a path segment")));
            }
        }
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| vault_err(e.to_string()))?;
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
            let errors = v
                .get("errors")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join("; ")
                })
                .unwrap_or_default();
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
}
