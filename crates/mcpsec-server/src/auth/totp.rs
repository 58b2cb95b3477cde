//! TOTP (RFC 6238: HMAC-SHA-1, 30-second steps, 6 digits) and the RFC 4648
//! base32 encoding authenticator apps use for the shared secret.

use hmac::{Hmac, Mac};
use mcpsec_secrets::{Keyring, is_envelope};
use sha1::Sha1;
use zeroize::Zeroizing;

/// Seconds per time step.
pub const STEP_SECS: u64 = 30;
/// Steps of clock drift accepted either side of now.
pub const SKEW_STEPS: u64 = 1;
const DIGITS: u32 = 6;

const B32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// The encryption context of a user's TOTP secret (the envelope only
/// decrypts for this user).
pub fn secret_context(user_id: &str) -> String {
    format!("auth.users.{user_id}.totp_secret")
}

/// Errors of sealing and opening stored TOTP secrets.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error(
        "the TOTP secret of user {0} is encrypted but [secrets] configures no key to decrypt it"
    )]
    NoKeyring(String),
    #[error("the TOTP secret of user {user}: {source}")]
    Secrets {
        user: String,
        #[source]
        source: mcpsec_secrets::SecretsError,
    },
    #[error("the stored TOTP secret of user {0} is not base32")]
    NotBase32(String),
}

/// What to store for a new base32 secret: an envelope under the keyring's
/// active key, or the base32 itself when no key is configured.
pub async fn seal(
    keyring: Option<&Keyring>,
    user_id: &str,
    secret_b32: &str,
) -> Result<String, SealError> {
    match keyring {
        Some(k) => k
            .encrypt(secret_b32.as_bytes(), &secret_context(user_id))
            .await
            .map_err(|source| SealError::Secrets {
                user: user_id.into(),
                source,
            }),
        None => Ok(secret_b32.to_string()),
    }
}

/// The secret's bytes from what is stored (an envelope or, for records
/// written before encryption or without a key, base32).
pub async fn open(
    keyring: Option<&Keyring>,
    user_id: &str,
    stored: &str,
) -> Result<Zeroizing<Vec<u8>>, SealError> {
    let b32 = if is_envelope(stored) {
        let k = keyring.ok_or_else(|| SealError::NoKeyring(user_id.into()))?;
        k.decrypt_string(stored, &secret_context(user_id))
            .await
            .map_err(|source| SealError::Secrets {
                user: user_id.into(),
                source,
            })?
    } else {
        Zeroizing::new(stored.to_string())
    };
    base32_decode(&b32)
        .map(Zeroizing::new)
        .ok_or_else(|| SealError::NotBase32(user_id.into()))
}

/// Base32 without padding.
pub fn base32_encode(data: &[u8]) -> String {
    let mut out = String::new();
    let (mut buf, mut bits) = (0u32, 0u32);
    for &b in data {
        buf = (buf << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(B32[((buf >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(B32[((buf << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// Decodes base32 (case-insensitive, padding and spaces ignored).
pub fn base32_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let (mut buf, mut bits) = (0u32, 0u32);
    for c in s.chars().filter(|c| *c != '=' && !c.is_whitespace()) {
        let v = B32
            .iter()
            .position(|&x| x as char == c.to_ascii_uppercase())? as u32;
        buf = (buf << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buf >> bits) as u8);
        }
    }
    Some(out)
}

/// The code for time step `step`.
pub fn code_at(secret: &[u8], step: u64) -> String {
    let mut mac = Hmac::<Sha1>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(&step.to_be_bytes());
    let h = mac.finalize().into_bytes();
    let offset = (h[h.len() - 1] & 0x0f) as usize;
    let bin = u32::from_be_bytes([
        h[offset] & 0x7f,
        h[offset + 1],
        h[offset + 2],
        h[offset + 3],
    ]);
    format!(
        "{:0width$}",
        bin % 10u32.pow(DIGITS),
        width = DIGITS as usize
    )
}

/// The step a Unix time falls in.
pub fn step_of(unix_secs: u64) -> u64 {
    unix_secs / STEP_SECS
}

/// The step whose code matches, within the allowed skew and strictly after
/// `last_step` (a code is accepted once); `None` when none does.
pub fn verify(secret: &[u8], code: &str, unix_secs: u64, last_step: u64) -> Option<u64> {
    let code = code.trim();
    if code.len() != DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let now = step_of(unix_secs);
    (now.saturating_sub(SKEW_STEPS)..=now + SKEW_STEPS)
        .filter(|s| *s > last_step)
        .find(|s| {
            mcpsec_core::auth::constant_time_eq(code_at(secret, *s).as_bytes(), code.as_bytes())
        })
}

/// The `otpauth://` URI authenticator apps import (usually as a QR code).
pub fn otpauth_uri(issuer: &str, account: &str, secret_b32: &str) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect::<String>()
    };
    format!(
        "otpauth://totp/{}:{}?secret={secret_b32}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECS}",
        enc(issuer),
        enc(account),
        enc(issuer)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sealed_secrets_open_only_for_their_user() {
        let ring = Keyring::with_local_key("k1", &[7u8; 32]).unwrap();
        let b32 = base32_encode(b"12345678901234567890");
        let sealed = seal(Some(&ring), "u-1", &b32).await.unwrap();
        assert!(sealed.starts_with("mcpsec:enc:v1:k1:") && !sealed.contains(&b32));
        assert_eq!(
            &*open(Some(&ring), "u-1", &sealed).await.unwrap(),
            b"12345678901234567890"
        );
        // Another user's record, no key, another key: errors, never the secret.
        assert!(matches!(
            open(Some(&ring), "u-2", &sealed).await,
            Err(SealError::Secrets { .. })
        ));
        assert!(matches!(
            open(None, "u-1", &sealed).await,
            Err(SealError::NoKeyring(_))
        ));
        let other = Keyring::with_local_key("k1", &[8u8; 32]).unwrap();
        assert!(open(Some(&other), "u-1", &sealed).await.is_err());
        // Without a key: stored as base32; plain records still open.
        assert_eq!(seal(None, "u-1", &b32).await.unwrap(), b32);
        assert_eq!(
            &*open(Some(&ring), "u-1", &b32).await.unwrap(),
            b"12345678901234567890"
        );
        assert!(matches!(
            open(None, "u-1", "not base32!").await,
            Err(SealError::NotBase32(_))
        ));
    }

    /// RFC 6238 appendix B, SHA-1 (8-digit values, last 6 digits here).
    #[test]
    fn rfc6238_vectors() {
        let secret = b"12345678901234567890";
        for (t, expected) in [
            (59u64, "94287082"),
            (1111111109, "07081804"),
            (1111111111, "14050471"),
            (1234567890, "89005924"),
            (2000000000, "69279037"),
            (20000000000, "65353130"),
        ] {
            assert_eq!(code_at(secret, step_of(t)), expected[2..], "t = {t}");
        }
    }

    #[test]
    fn verify_accepts_skew_once() {
        let secret = b"12345678901234567890";
        let t = 1_234_567_890;
        let code = code_at(secret, step_of(t) - 1);
        assert_eq!(verify(secret, &code, t, 0), Some(step_of(t) - 1));
        assert_eq!(verify(secret, &code, t, step_of(t) - 1), None, "replay");
        assert_eq!(verify(secret, &code, t + 120, 0), None, "too old");
        assert_eq!(verify(secret, "12345", t, 0), None);
        assert_eq!(verify(secret, "abcdef", t, 0), None);
    }

    #[test]
    fn base32_round_trip() {
        assert_eq!(base32_encode(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32_decode("MZXW6YTBOI======").unwrap(), b"foobar");
        assert_eq!(base32_decode("mzxw6ytboi").unwrap(), b"foobar");
        assert_eq!(base32_decode("1"), None);
        let data: Vec<u8> = (0..=255).collect();
        assert_eq!(base32_decode(&base32_encode(&data)).unwrap(), data);
    }
}
