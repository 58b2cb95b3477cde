//! Secrets at rest in the configuration: values written as envelopes
//! (`mcpsec:enc:v1:...`, see `mcpsec-secrets`) are decrypted with the
//! `[secrets]` keyring when the server starts; `mcpsec admin generate-key`,
//! `encrypt-secret` and `rotate-key` manage them.
//!
//! Each value's context is its configuration key (e.g.
//! `auth.oidc.client_secret`), so an envelope only decrypts in its place.
//!
//! The same values may instead be references to Vault's KV v2 engine,
//! `vault-kv:<mount>/data/<path>#<field>`, read at start from the Vault of
//! `[secrets.vault_kv]` (token auth). Resolved values are never logged.

use std::io::BufRead;
use std::path::Path;

use anyhow::{Context, bail};
use mcpsec_core::Secret;
use mcpsec_secrets::vault::{KvReference, VaultKv, is_kv_reference};
use mcpsec_secrets::{Keyring, PREFIX, is_envelope};

use crate::config::Config;

/// The configuration keys whose values may be envelopes.
pub const ENCRYPTABLE: &[&str] = &[
    "auth.bootstrap_api_key",
    "auth.rate_limit_redis_url",
    "auth.oidc.client_secret",
];

fn keyring(cfg: &Config) -> anyhow::Result<Option<Keyring>> {
    Keyring::from_config(&cfg.secrets).map_err(anyhow::Error::from)
}

/// Where encrypted values and Vault KV references are opened.
struct Opener<'a> {
    ring: Option<&'a Keyring>,
    cfg: &'a Config,
    kv: Option<VaultKv>,
}

impl Opener<'_> {
    async fn open(&mut self, value: &mut Option<Secret>, key: &str) -> anyhow::Result<()> {
        if let Some(v) = value.as_ref().filter(|v| is_kv_reference(v.expose())) {
            let reference = KvReference::parse(v.expose()).with_context(|| key.to_string())?;
            if self.kv.is_none() {
                let Some(c) = &self.cfg.secrets.vault_kv else {
                    bail!(
                        "{key} refers to Vault KV ({reference}) but [secrets.vault_kv] configures no Vault"
                    );
                };
                self.kv = Some(VaultKv::new(c.clone()).context("[secrets.vault_kv]")?);
            }
            let kv = self.kv.as_ref().expect("set above");
            let plain = kv
                .read(&reference)
                .await
                .with_context(|| format!("reading {key} from Vault KV"))?;
            tracing::info!(key, %reference, "configuration value read from Vault KV");
            *value = Some(Secret::new(plain.as_str()));
            return Ok(());
        }
        open(self.ring, value, key).await
    }
}

async fn open(ring: Option<&Keyring>, value: &mut Option<Secret>, key: &str) -> anyhow::Result<()> {
    let Some(v) = value.as_ref().filter(|v| is_envelope(v.expose())) else {
        return Ok(());
    };
    let Some(ring) = ring else {
        bail!("{key} is encrypted but [secrets] configures no key");
    };
    let plain = ring
        .decrypt_string(v.expose(), key)
        .await
        .with_context(|| format!("decrypting {key}"))?;
    *value = Some(Secret::new(plain.as_str()));
    Ok(())
}

/// The server's auth settings, with encrypted values decrypted.
pub async fn auth_settings(cfg: &Config) -> anyhow::Result<mcpsec_server::auth::AuthSettings> {
    let mut s = cfg.auth.settings();
    let ring = keyring(cfg)?.map(std::sync::Arc::new);
    let mut opener = Opener {
        ring: ring.as_deref(),
        cfg,
        kv: None,
    };
    opener
        .open(&mut s.bootstrap_api_key, "auth.bootstrap_api_key")
        .await?;
    opener
        .open(&mut s.rate_limit_redis_url, "auth.rate_limit_redis_url")
        .await?;
    if let Some(o) = &mut s.oidc {
        opener
            .open(&mut o.client_secret, "auth.oidc.client_secret")
            .await?;
    }
    // TOTP secrets of users are kept encrypted with the same keyring.
    s.keyring = ring;
    mcpsec_server::auth::validate_settings(&s).map_err(anyhow::Error::msg)?;
    Ok(s)
}

/// `admin generate-key`: a new random KEK, base64, for a key file or variable.
pub fn generate_key() {
    println!("{}", mcpsec_secrets::generate_key_base64());
}

/// `admin encrypt-secret`: encrypts stdin's first line for `context`.
pub async fn encrypt_secret(cfg: &Config, context: &str) -> anyhow::Result<()> {
    let Some(ring) = keyring(cfg)? else {
        bail!(
            "configure a key first: [secrets] keys.<id> = {{ file = ... }} (see docs/security.md)"
        );
    };
    if !ENCRYPTABLE.contains(&context) {
        eprintln!(
            "note: {context:?} is not one of the keys the server decrypts ({})",
            ENCRYPTABLE.join(", ")
        );
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let value = line.trim_end_matches(['\r', '\n']);
    if value.is_empty() {
        bail!("no value on stdin");
    }
    println!("{}", ring.encrypt(value.as_bytes(), context).await?);
    Ok(())
}

/// The envelopes in `text`, as byte ranges.
fn envelopes(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = text[from..].find(PREFIX) {
        let start = from + i;
        let len = text[start..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, ':' | '.' | '_' | '-')))
            .unwrap_or(text.len() - start);
        out.push((start, start + len));
        from = start + len;
    }
    out
}

/// `admin rotate-key`: re-wraps every envelope in `file` under the active
/// key (the data ciphertexts stay as they are) and writes the file back.
pub async fn rotate_key(cfg: &Config, file: &Path) -> anyhow::Result<()> {
    let Some(ring) = keyring(cfg)? else {
        bail!("[secrets] configures no key");
    };
    let text = std::fs::read_to_string(file).with_context(|| format!("{}", file.display()))?;
    let mut out = String::with_capacity(text.len());
    let (mut last, mut changed, mut total) = (0, 0, 0);
    for (start, end) in envelopes(&text) {
        total += 1;
        out.push_str(&text[last..start]);
        match ring.rewrap(&text[start..end]).await.with_context(|| {
            let line = text[..start].lines().count().max(1);
            format!("{}:{line}: re-wrapping", file.display())
        })? {
            Some(new) => {
                out.push_str(&new);
                changed += 1;
            }
            None => out.push_str(&text[start..end]),
        }
        last = end;
    }
    out.push_str(&text[last..]);
    if changed > 0 {
        let tmp = file.with_extension("rotate.tmp");
        std::fs::write(&tmp, &out).with_context(|| format!("{}", tmp.display()))?;
        #[cfg(unix)]
        if let Ok(meta) = std::fs::metadata(file) {
            let _ = std::fs::set_permissions(&tmp, meta.permissions());
        }
        std::fs::rename(&tmp, file).with_context(|| format!("{}", file.display()))?;
    }
    println!(
        "{changed} of {total} encrypted values re-wrapped under key {:?} in {}",
        ring.active(),
        file.display()
    );
    Ok(())
}

/// `admin rotate-key --store`: every user's TOTP secret in the store is
/// re-wrapped under the active key, or encrypted when still in plain.
pub async fn rotate_store(cfg: &Config) -> anyhow::Result<()> {
    let Some(ring) = keyring(cfg)? else {
        bail!("[secrets] configures no key");
    };
    let store = crate::backends::build_store(cfg).await?;
    let mut scopes = vec![None];
    scopes.extend(store.list_tenants().await?.into_iter().map(|t| Some(t.id)));
    let (mut rewrapped, mut encrypted, mut total) = (0, 0, 0);
    for scope in &scopes {
        for user in store.list_users(scope.as_ref()).await? {
            let Some(t) = &user.totp else { continue };
            total += 1;
            let old = t.secret_b32.clone();
            let new =
                if is_envelope(&old) {
                    match ring.rewrap(&old).await.with_context(|| {
                        format!("re-wrapping the TOTP secret of user {}", user.id)
                    })? {
                        Some(n) => {
                            rewrapped += 1;
                            n
                        }
                        None => continue,
                    }
                } else {
                    encrypted += 1;
                    ring.encrypt(
                        old.as_bytes(),
                        &mcpsec_server::auth::totp::secret_context(&user.id),
                    )
                    .await
                    .with_context(|| format!("encrypting the TOTP secret of user {}", user.id))?
                };
            store
                .modify_user(
                    scope.as_ref(),
                    &user.id,
                    Box::new(move |u| {
                        // Unless it was re-enrolled meanwhile.
                        if let Some(t) = u.totp.as_mut().filter(|t| t.secret_b32 == old) {
                            t.secret_b32 = new;
                        }
                        Ok(())
                    }),
                )
                .await
                .with_context(|| format!("user {}", user.id))?;
        }
    }
    println!(
        "{rewrapped} TOTP secrets re-wrapped and {encrypted} encrypted (of {total}) under key {:?}",
        ring.active()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_envelopes_in_toml() {
        let t = "a = \"mcpsec:enc:v1:k:AA:BB:CC\"\nb = 'x'\nc = \"mcpsec:enc:v1:k2:A-_:B:C\"";
        let found: Vec<&str> = envelopes(t).iter().map(|(s, e)| &t[*s..*e]).collect();
        assert_eq!(
            found,
            ["mcpsec:enc:v1:k:AA:BB:CC", "mcpsec:enc:v1:k2:A-_:B:C"]
        );
        assert!(envelopes("nothing").is_empty());
    }
}
