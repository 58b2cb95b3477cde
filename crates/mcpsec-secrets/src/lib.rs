//! Secrets at rest: AES-256-GCM envelope encryption.
//!
//! Each secret is encrypted with its own random 256-bit data key (DEK); the
//! DEK is wrapped by a key-encryption key (KEK) from the [`Keyring`]. The
//! result is one printable string, an [`Envelope`]:
//!
//! ```text
//! mcpsec:enc:v1:<kek id>:<wrapped DEK>:<nonce>:<ciphertext>   (base64url)
//! ```
//!
//! The ciphertext is bound to a *context* (for example
//! `auth.oidc.client_secret`) through the AES-GCM associated data, so an
//! envelope copied to another field does not decrypt there.
//!
//! KEKs come from a file or an environment variable (32 bytes: raw, 64 hex
//! digits or base64), or are held by HashiCorp Vault's transit engine
//! ([`vault::VaultTransit`]; the DEK is sent to Vault to be wrapped and
//! unwrapped, the KEK never leaves Vault). Rotation: add a new KEK, make it
//! the active one and [`Keyring::rewrap`] every envelope — only the DEK is
//! re-wrapped, the data ciphertext stays as it is; then retire the old KEK.
//!
//! Configuration values may also be references to Vault's KV v2 engine,
//! `vault-kv:<mount>/data/<path>#<field>` ([`vault::VaultKv`]), read at start.

pub mod vault;

use std::collections::BTreeMap;
use std::path::PathBuf;

use aes_gcm::aead::{Aead, KeyInit, OsRng, Payload};
use aes_gcm::{AeadCore, Aes256Gcm, Key, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD as B64};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// The prefix of every envelope.
pub const PREFIX: &str = "mcpsec:enc:v1:";

/// What went wrong.
#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    #[error("secrets configuration: {0}")]
    Config(String),
    #[error("key {id:?}: {why}")]
    Key { id: String, why: String },
    #[error("not an mcpsec envelope: {0}")]
    Malformed(String),
    #[error("no key {0:?} in the keyring (was it retired before every envelope was re-wrapped?)")]
    UnknownKey(String),
    #[error(
        "decryption failed: wrong key, wrong context or tampered ciphertext (context {context:?})"
    )]
    Decrypt { context: String },
    #[error("Vault: {0}")]
    Vault(String),
}

type Result<T> = std::result::Result<T, SecretsError>;

/// Whether `s` is an envelope (rather than a plain value).
pub fn is_envelope(s: &str) -> bool {
    s.starts_with(PREFIX)
}

/// The parts of an envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    pub kek_id: String,
    pub wrapped_dek: Vec<u8>,
    pub nonce: Vec<u8>,
    pub ciphertext: Vec<u8>,
}

impl Envelope {
    pub fn parse(s: &str) -> Result<Envelope> {
        let rest = s
            .trim()
            .strip_prefix(PREFIX)
            .ok_or_else(|| SecretsError::Malformed(format!("does not start with {PREFIX}")))?;
        let parts: Vec<&str> = rest.split(':').collect();
        let [kek_id, dek, nonce, ct] = parts.as_slice() else {
            return Err(SecretsError::Malformed(format!(
                "expected 4 fields after the prefix, found {}",
                parts.len()
            )));
        };
        validate_key_id(kek_id).map_err(SecretsError::Malformed)?;
        let dec = |name: &str, v: &str| {
            B64.decode(v)
                .map_err(|e| SecretsError::Malformed(format!("{name}: {e}")))
        };
        let nonce = dec("nonce", nonce)?;
        if nonce.len() != 12 {
            return Err(SecretsError::Malformed("nonce must be 12 bytes".into()));
        }
        Ok(Envelope {
            kek_id: kek_id.to_string(),
            wrapped_dek: dec("wrapped key", dek)?,
            nonce,
            ciphertext: dec("ciphertext", ct)?,
        })
    }
}

impl std::fmt::Display for Envelope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{PREFIX}{}:{}:{}:{}",
            self.kek_id,
            B64.encode(&self.wrapped_dek),
            B64.encode(&self.nonce),
            B64.encode(&self.ciphertext)
        )
    }
}

/// Key ids: 1 to 64 of `A-Z a-z 0-9 . _ -`.
pub fn validate_key_id(id: &str) -> std::result::Result<(), String> {
    if id.is_empty()
        || id.len() > 64
        || !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    {
        return Err(format!(
            "key id {id:?} must be 1 to 64 of A-Z a-z 0-9 . _ -"
        ));
    }
    Ok(())
}

/// `[secrets]`: the key-encryption keys.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretsConfig {
    /// The id of the KEK new envelopes (and re-wraps) use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_key: Option<String>,
    /// Every KEK that may still be needed to decrypt, by id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub keys: BTreeMap<String, KeySource>,
    /// `[secrets.vault_kv]`: where `vault-kv:<path>#<field>` configuration
    /// values are read from (Vault KV v2, token auth).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vault_kv: Option<vault::VaultKvConfig>,
}

/// Where a KEK comes from (exactly one).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeySource {
    /// A file holding 32 bytes (raw, 64 hex digits or base64).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<PathBuf>,
    /// An environment variable holding 32 bytes as hex or base64.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<String>,
    /// A Vault transit key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vault: Option<vault::VaultConfig>,
}

/// Reads 32 key bytes from raw bytes, 64 hex digits or base64.
pub fn parse_key_material(raw: &[u8]) -> std::result::Result<Zeroizing<[u8; 32]>, String> {
    let mut out = Zeroizing::new([0u8; 32]);
    if raw.len() == 32 {
        out.copy_from_slice(raw);
        return Ok(out);
    }
    let text = std::str::from_utf8(raw)
        .map_err(|_| format!("{} bytes that are not text (need 32 raw bytes)", raw.len()))?
        .trim();
    if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        for (i, chunk) in text.as_bytes().chunks(2).enumerate() {
            let s = std::str::from_utf8(chunk).map_err(|e| e.to_string())?;
            out[i] = u8::from_str_radix(s, 16).map_err(|e| e.to_string())?;
        }
        return Ok(out);
    }
    let bytes = Zeroizing::new(
        STANDARD
            .decode(text)
            .or_else(|_| B64.decode(text.trim_end_matches('=')))
            .map_err(|_| "not 32 raw bytes, 64 hex digits or base64".to_string())?,
    );
    if bytes.len() != 32 {
        return Err(format!(
            "base64 of {} bytes; an AES-256 key is 32 bytes",
            bytes.len()
        ));
    }
    out.copy_from_slice(&bytes);
    Ok(out)
}

/// A new random 256-bit key as base64 (for a key file or variable).
pub fn generate_key_base64() -> String {
    let key = Aes256Gcm::generate_key(OsRng);
    STANDARD.encode(key.as_slice())
}

enum Kek {
    Local(Box<Aes256Gcm>),
    Vault(vault::VaultTransit),
}

/// The KEKs by id, and which one is active.
pub struct Keyring {
    active: String,
    keks: BTreeMap<String, Kek>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring")
            .field("active", &self.active)
            .field("keys", &self.keks.keys().collect::<Vec<_>>())
            .finish()
    }
}

fn dek_aad(kek_id: &str) -> Vec<u8> {
    format!("mcpsec-dek-v1:{kek_id}").into_bytes()
}

impl Keyring {
    /// Loads the keys of `config` (reading files and variables now; Vault
    /// is contacted at first use). `None` when no key is configured.
    pub fn from_config(config: &SecretsConfig) -> Result<Option<Keyring>> {
        if config.keys.is_empty() {
            if let Some(a) = &config.active_key {
                return Err(SecretsError::Config(format!(
                    "secrets.active_key is {a:?} but secrets.keys is empty"
                )));
            }
            return Ok(None);
        }
        let mut keks = BTreeMap::new();
        for (id, src) in &config.keys {
            validate_key_id(id).map_err(SecretsError::Config)?;
            let err = |why: String| SecretsError::Key {
                id: id.clone(),
                why,
            };
            let kek = match (&src.file, &src.env, &src.vault) {
                (Some(path), None, None) => {
                    let raw = Zeroizing::new(
                        std::fs::read(path).map_err(|e| err(format!("{}: {e}", path.display())))?,
                    );
                    let key = parse_key_material(&raw)
                        .map_err(|e| err(format!("{}: {e}", path.display())))?;
                    Kek::Local(Box::new(Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(
                        key.as_slice(),
                    ))))
                }
                (None, Some(var), None) => {
                    let raw = Zeroizing::new(
                        std::env::var(var)
                            .map_err(|_| err(format!("environment variable {var} is not set")))?,
                    );
                    let key = parse_key_material(raw.as_bytes())
                        .map_err(|e| err(format!("${var}: {e}")))?;
                    Kek::Local(Box::new(Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(
                        key.as_slice(),
                    ))))
                }
                (None, None, Some(v)) => {
                    Kek::Vault(vault::VaultTransit::new(v.clone()).map_err(|e| err(e.to_string()))?)
                }
                _ => return Err(err("give exactly one of file, env or vault".into())),
            };
            keks.insert(id.clone(), kek);
        }
        let active = match &config.active_key {
            Some(a) => a.clone(),
            None if keks.len() == 1 => keks.keys().next().cloned().unwrap_or_default(),
            None => {
                return Err(SecretsError::Config(
                    "secrets.active_key must name one of several keys".into(),
                ));
            }
        };
        if !keks.contains_key(&active) {
            return Err(SecretsError::Config(format!(
                "secrets.active_key {active:?} is not in secrets.keys"
            )));
        }
        Ok(Some(Keyring { active, keks }))
    }

    /// A keyring with one local key (tests, tools).
    pub fn with_local_key(id: &str, key: &[u8; 32]) -> Result<Keyring> {
        validate_key_id(id).map_err(SecretsError::Config)?;
        let mut keks = BTreeMap::new();
        keks.insert(
            id.to_string(),
            Kek::Local(Box::new(Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key)))),
        );
        Ok(Keyring {
            active: id.to_string(),
            keks,
        })
    }

    /// The id of the active KEK.
    pub fn active(&self) -> &str {
        &self.active
    }

    async fn wrap(&self, kek_id: &str, dek: &[u8]) -> Result<Vec<u8>> {
        match self.keks.get(kek_id) {
            Some(Kek::Local(k)) => {
                let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
                let ct = k
                    .encrypt(
                        &nonce,
                        Payload {
                            msg: dek,
                            aad: &dek_aad(kek_id),
                        },
                    )
                    .map_err(|_| SecretsError::Key {
                        id: kek_id.into(),
                        why: "wrapping failed".into(),
                    })?;
                let mut out = nonce.to_vec();
                out.extend_from_slice(&ct);
                Ok(out)
            }
            Some(Kek::Vault(v)) => Ok(v.encrypt(dek, &dek_aad(kek_id)).await?.into_bytes()),
            None => Err(SecretsError::UnknownKey(kek_id.into())),
        }
    }

    async fn unwrap(&self, kek_id: &str, wrapped: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        let fail = || SecretsError::Decrypt {
            context: format!("data key under {kek_id}"),
        };
        let dek = match self.keks.get(kek_id) {
            Some(Kek::Local(k)) => {
                if wrapped.len() < 12 + 16 {
                    return Err(fail());
                }
                let (nonce, ct) = wrapped.split_at(12);
                Zeroizing::new(
                    k.decrypt(
                        Nonce::from_slice(nonce),
                        Payload {
                            msg: ct,
                            aad: &dek_aad(kek_id),
                        },
                    )
                    .map_err(|_| fail())?,
                )
            }
            Some(Kek::Vault(v)) => {
                let ct = std::str::from_utf8(wrapped).map_err(|_| fail())?;
                v.decrypt(ct, &dek_aad(kek_id)).await?
            }
            None => return Err(SecretsError::UnknownKey(kek_id.into())),
        };
        if dek.len() != 32 {
            return Err(fail());
        }
        Ok(dek)
    }

    /// Encrypts `plaintext` for `context` under the active KEK.
    pub async fn encrypt(&self, plaintext: &[u8], context: &str) -> Result<String> {
        let mut dek = Zeroizing::new([0u8; 32]);
        dek.copy_from_slice(&Aes256Gcm::generate_key(OsRng));
        let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(dek.as_slice()));
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let ciphertext = cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| SecretsError::Decrypt {
                context: context.into(),
            })?;
        let wrapped_dek = self.wrap(&self.active, dek.as_slice()).await?;
        Ok(Envelope {
            kek_id: self.active.clone(),
            wrapped_dek,
            nonce: nonce.to_vec(),
            ciphertext,
        }
        .to_string())
    }

    /// Decrypts an envelope made for `context`.
    pub async fn decrypt(&self, envelope: &str, context: &str) -> Result<Zeroizing<Vec<u8>>> {
        let env = Envelope::parse(envelope)?;
        let dek = self.unwrap(&env.kek_id, &env.wrapped_dek).await?;
        let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&dek));
        cipher
            .decrypt(
                Nonce::from_slice(&env.nonce),
                Payload {
                    msg: &env.ciphertext,
                    aad: context.as_bytes(),
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| SecretsError::Decrypt {
                context: context.into(),
            })
    }

    /// Decrypts an envelope to a UTF-8 string.
    pub async fn decrypt_string(&self, envelope: &str, context: &str) -> Result<Zeroizing<String>> {
        let bytes = self.decrypt(envelope, context).await?;
        String::from_utf8(bytes.to_vec())
            .map(Zeroizing::new)
            .map_err(|_| SecretsError::Decrypt {
                context: format!("{context} (not UTF-8)"),
            })
    }

    /// Re-wraps the envelope's data key under the active KEK (the data
    /// ciphertext is unchanged). Returns `None` when it already uses the
    /// active KEK.
    pub async fn rewrap(&self, envelope: &str) -> Result<Option<String>> {
        let mut env = Envelope::parse(envelope)?;
        if env.kek_id == self.active {
            return Ok(None);
        }
        let dek = self.unwrap(&env.kek_id, &env.wrapped_dek).await?;
        env.wrapped_dek = self.wrap(&self.active, &dek).await?;
        env.kek_id = self.active.clone();
        Ok(Some(env.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(b: u8) -> [u8; 32] {
        [b; 32]
    }

    #[tokio::test]
    async fn round_trip_context_binding_and_tampering() {
        let ring = Keyring::with_local_key("k1", &key(1)).unwrap();
        let e = ring
            .encrypt(b"hunter2", "oidc.client_secret")
            .await
            .unwrap();
        assert!(is_envelope(&e) && e.starts_with("mcpsec:enc:v1:k1:"), "{e}");
        assert!(!e.contains("hunter2"));
        assert_eq!(
            &*ring.decrypt_string(&e, "oidc.client_secret").await.unwrap(),
            "hunter2"
        );
        // Each encryption uses a fresh data key and nonce.
        assert_ne!(
            e,
            ring.encrypt(b"hunter2", "oidc.client_secret")
                .await
                .unwrap()
        );
        // Another context does not decrypt.
        assert!(matches!(
            ring.decrypt(&e, "webhook.secret").await,
            Err(SecretsError::Decrypt { .. })
        ));
        // A flipped ciphertext bit is detected.
        let mut env = Envelope::parse(&e).unwrap();
        env.ciphertext[0] ^= 1;
        assert!(
            ring.decrypt(&env.to_string(), "oidc.client_secret")
                .await
                .is_err()
        );
        // A flipped wrapped-key bit too.
        let mut env = Envelope::parse(&e).unwrap();
        env.wrapped_dek[20] ^= 1;
        assert!(
            ring.decrypt(&env.to_string(), "oidc.client_secret")
                .await
                .is_err()
        );
        // Another KEK under the same id does not decrypt.
        let other = Keyring::with_local_key("k1", &key(2)).unwrap();
        assert!(other.decrypt(&e, "oidc.client_secret").await.is_err());
        // Malformed envelopes are named as such.
        for bad in [
            "plain",
            "mcpsec:enc:v1:k1:a:b",
            "mcpsec:enc:v1:k 1:a:b:c",
            "mcpsec:enc:v1:k1:!!:AAAAAAAAAAAAAAAA:a",
        ] {
            assert!(
                matches!(
                    ring.decrypt(bad, "x").await,
                    Err(SecretsError::Malformed(_))
                ),
                "{bad}"
            );
        }
    }

    #[tokio::test]
    async fn rotation_rewraps_only_the_data_key() {
        let dir = tempfile::tempdir().unwrap();
        let (old, new) = (dir.path().join("old.key"), dir.path().join("new.key"));
        std::fs::write(&old, generate_key_base64()).unwrap();
        std::fs::write(&new, key(7)).unwrap(); // raw bytes
        let mut cfg = SecretsConfig {
            active_key: Some("2026-01".into()),
            keys: BTreeMap::new(),
            vault_kv: None,
        };
        cfg.keys.insert(
            "2026-01".into(),
            KeySource {
                file: Some(old.clone()),
                ..Default::default()
            },
        );
        let ring1 = Keyring::from_config(&cfg).unwrap().unwrap();
        let e1 = ring1.encrypt(b"webhook-secret", "ctx").await.unwrap();

        cfg.keys.insert(
            "2026-06".into(),
            KeySource {
                file: Some(new),
                ..Default::default()
            },
        );
        cfg.active_key = Some("2026-06".into());
        let ring2 = Keyring::from_config(&cfg).unwrap().unwrap();
        assert_eq!(
            &*ring2.decrypt(&e1, "ctx").await.unwrap(),
            b"webhook-secret"
        );
        let e2 = ring2.rewrap(&e1).await.unwrap().expect("re-wrapped");
        assert!(e2.starts_with("mcpsec:enc:v1:2026-06:"));
        let (p1, p2) = (Envelope::parse(&e1).unwrap(), Envelope::parse(&e2).unwrap());
        assert_eq!(p1.ciphertext, p2.ciphertext, "data not re-encrypted");
        assert_ne!(p1.wrapped_dek, p2.wrapped_dek);
        assert!(
            ring2.rewrap(&e2).await.unwrap().is_none(),
            "already current"
        );

        // Retire the old key: the re-wrapped envelope still decrypts, the
        // old one names the missing key.
        cfg.keys.remove("2026-01");
        let ring3 = Keyring::from_config(&cfg).unwrap().unwrap();
        assert_eq!(
            &*ring3.decrypt(&e2, "ctx").await.unwrap(),
            b"webhook-secret"
        );
        assert!(matches!(
            ring3.decrypt(&e1, "ctx").await,
            Err(SecretsError::UnknownKey(k)) if k == "2026-01"
        ));
    }

    #[test]
    fn key_material_and_config_errors() {
        let hex = "00".repeat(31) + "ff";
        assert_eq!(parse_key_material(hex.as_bytes()).unwrap()[31], 0xff);
        assert_eq!(
            parse_key_material(generate_key_base64().as_bytes())
                .unwrap()
                .len(),
            32
        );
        assert!(parse_key_material(b"short").is_err());
        assert!(parse_key_material(STANDARD.encode([1u8; 16]).as_bytes()).is_err());

        // SAFETY: the variable name is unique to this test.
        unsafe { std::env::set_var("MCPSEC_SECRETS_TEST_KEK", &hex) };
        let mut cfg = SecretsConfig::default();
        assert!(Keyring::from_config(&cfg).unwrap().is_none());
        cfg.keys.insert(
            "env".into(),
            KeySource {
                env: Some("MCPSEC_SECRETS_TEST_KEK".into()),
                ..Default::default()
            },
        );
        assert_eq!(Keyring::from_config(&cfg).unwrap().unwrap().active(), "env");
        cfg.active_key = Some("missing".into());
        assert!(
            Keyring::from_config(&cfg)
                .unwrap_err()
                .to_string()
                .contains("missing")
        );
        cfg.active_key = None;
        cfg.keys.insert(
            "both".into(),
            KeySource {
                env: Some("X".into()),
                file: Some("/x".into()),
                ..Default::default()
            },
        );
        assert!(
            Keyring::from_config(&cfg)
                .unwrap_err()
                .to_string()
                .contains("exactly one")
        );
        cfg.keys.remove("both");
        cfg.keys.insert(
            "unset".into(),
            KeySource {
                env: Some("MCPSEC_SECRETS_TEST_UNSET".into()),
                ..Default::default()
            },
        );
        assert!(
            Keyring::from_config(&cfg)
                .unwrap_err()
                .to_string()
                .contains("not set")
        );
    }
}
