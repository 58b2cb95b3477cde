//! Secrets at rest in the configuration: values written as envelopes
//! (`mcpsec:enc:v1:...`, see `mcpsec-secrets`) are decrypted with the
//! `[secrets]` keyring when the server starts; `mcpsec admin generate-key`,
//! `encrypt-secret` and `rotate-key` manage them.
//!
//! Each value's context is its configuration key (e.g.
//! `auth.oidc.client_secret`), so an envelope only decrypts in its place.

use std::io::BufRead;
use std::path::Path;

use anyhow::{Context, bail};
use mcpsec_core::Secret;
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
    let ring = keyring(cfg)?;
    let ring = ring.as_ref();
    open(ring, &mut s.bootstrap_api_key, "auth.bootstrap_api_key").await?;
    open(
        ring,
        &mut s.rate_limit_redis_url,
        "auth.rate_limit_redis_url",
    )
    .await?;
    if let Some(o) = &mut s.oidc {
        open(ring, &mut o.client_secret, "auth.oidc.client_secret").await?;
    }
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
