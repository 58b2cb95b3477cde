//! TOTP secrets at rest: with a `[secrets]` key the enrolment stores an
//! envelope (the user record never holds the base32 secret), login with a
//! code still works, a record written before encryption (plain base32) is
//! encrypted on the next login, and `admin rotate-key --store` re-wraps the
//! secrets under a new key (and encrypts plain ones) so the old key can go.

mod common;

use std::path::Path;

use common::*;
use mcpsec_server::auth::totp;
use serde_json::{Value, json};

async fn status(r: reqwest::RequestBuilder) -> (u16, Value) {
    let r = r.send().await.unwrap();
    let st = r.status().as_u16();
    (st, r.json().await.unwrap_or(Value::Null))
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

async fn login(base: &str, username: &str, pw: &str, code: Option<String>) -> (u16, Value) {
    let mut body = json!({"username": username, "password": pw});
    if let Some(c) = code {
        body["totp_code"] = json!(c);
    }
    status(
        anonymous_client()
            .post(format!("{base}/api/v1/auth/login"))
            .json(&body),
    )
    .await
}

async fn db(data: &Path) -> sqlx::SqlitePool {
    sqlx::SqlitePool::connect(&format!("sqlite://{}", data.join("mcpsec.db").display()))
        .await
        .unwrap()
}

/// The stored TOTP secret of `username` (the `secret_b32` of the record).
async fn stored_secret(data: &Path, username: &str) -> (String, String) {
    let pool = db(data).await;
    let body: String = sqlx::query_scalar("SELECT body FROM auth_users WHERE username = ?")
        .bind(username)
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    let v: Value = serde_json::from_str(&body).unwrap();
    (v["totp"]["secret_b32"].as_str().unwrap().to_string(), body)
}

/// Rewrites the user's record (server stopped): optionally a plain secret
/// (as written before encryption), and the replay counter reset so the
/// current step's code is accepted again.
async fn rewrite(data: &Path, username: &str, plain_secret: Option<&str>) {
    let (_, body) = stored_secret(data, username).await;
    let mut v: Value = serde_json::from_str(&body).unwrap();
    if let Some(p) = plain_secret {
        v["totp"]["secret_b32"] = json!(p);
    }
    v["totp"]["last_step"] = json!(0);
    let pool = db(data).await;
    sqlx::query("UPDATE auth_users SET body = ? WHERE username = ?")
        .bind(v.to_string())
        .bind(username)
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
}

fn key_env(dir: &Path, active: &str, keys: &[&str]) -> Vec<(&'static str, String)> {
    let mut env = vec![("MCPSEC_SECRETS__ACTIVE_KEY", active.to_string())];
    for k in keys {
        let var: &'static str = match *k {
            "k1" => "MCPSEC_SECRETS__KEYS__K1__FILE",
            _ => "MCPSEC_SECRETS__KEYS__K2__FILE",
        };
        env.push((var, dir.join(k).display().to_string()));
    }
    env
}

#[tokio::test(flavor = "multi_thread")]
async fn totp_secrets_are_encrypted_at_rest_migrated_and_rotated() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    for k in ["k1", "k2"] {
        std::fs::write(dir.path().join(k), mcpsec_secrets::generate_key_base64()).unwrap();
    }
    let pw = "correct horse battery staple";
    let k1 = key_env(dir.path(), "k1", &["k1"]);

    // Enrol with key k1: the record holds an envelope, never the secret.
    let secret_b32 = {
        let s = Server::start(&data, &[], &k1);
        create_tenant(&client(), &s.base, "acme").await;
        let (st, v) = status(
            client()
                .post(s.url("/api/v1/tenants/acme/users"))
                .json(&json!({
                    "username": "dana", "password": pw, "role": "viewer"
                })),
        )
        .await;
        assert_eq!(st, 201, "{v}");
        let (st, v) = login(&s.base, "dana", pw, None).await;
        assert_eq!(st, 200, "{v}");
        let session = client_with_key(v["token"].as_str().unwrap());
        let (st, enroll) = status(session.post(s.url("/api/v1/auth/mfa/totp/enroll"))).await;
        assert_eq!(st, 200, "{enroll}");
        let b32 = enroll["secret"].as_str().unwrap().to_string();
        let secret = totp::base32_decode(&b32).unwrap();
        let (stored, body) = stored_secret(&data, "dana").await;
        assert!(stored.starts_with("mcpsec:enc:v1:k1:"), "{stored}");
        assert!(!body.contains(&b32), "the record holds the base32 secret");

        let step = totp::step_of(now());
        let (st, v) = status(
            session
                .post(s.url("/api/v1/auth/mfa/totp/confirm"))
                .json(&json!({"code": totp::code_at(&secret, step - 1)})),
        )
        .await;
        assert_eq!(st, 204, "{v}");
        // Login needs the code, and a correct one works.
        let (st, _) = login(&s.base, "dana", pw, None).await;
        assert_eq!(st, 401);
        let (st, v) = login(&s.base, "dana", pw, Some(totp::code_at(&secret, step))).await;
        assert_eq!(st, 200, "{v}");
        let (stored, body) = stored_secret(&data, "dana").await;
        assert!(stored.starts_with("mcpsec:enc:v1:k1:"), "{stored}");
        assert!(!body.contains(&b32));
        b32
    };
    let secret = totp::base32_decode(&secret_b32).unwrap();

    // A record from before encryption (plain base32) is encrypted on the
    // next login, which works.
    rewrite(&data, "dana", Some(&secret_b32)).await;
    {
        let s = Server::start(&data, &[], &k1);
        let code = totp::code_at(&secret, totp::step_of(now()));
        let (st, v) = login(&s.base, "dana", pw, Some(code)).await;
        assert_eq!(st, 200, "{v}");
        let (stored, body) = stored_secret(&data, "dana").await;
        assert!(stored.starts_with("mcpsec:enc:v1:k1:"), "{stored}");
        assert!(!body.contains(&secret_b32));
    }

    // Rotation to k2: `rotate-key --store` re-wraps the envelope (and a
    // plain record would be encrypted); then k1 is retired.
    let k12 = key_env(dir.path(), "k2", &["k1", "k2"]);
    let env: Vec<(&str, &str)> = k12.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let out = cli(&data, &["admin", "rotate-key", "--store"], &env);
    assert!(out.contains("1 TOTP secrets re-wrapped"), "{out}");
    let (stored, _) = stored_secret(&data, "dana").await;
    assert!(stored.starts_with("mcpsec:enc:v1:k2:"), "{stored}");
    // Plain records are encrypted by the same command.
    rewrite(&data, "dana", Some(&secret_b32)).await;
    let out = cli(&data, &["admin", "rotate-key", "--store"], &env);
    assert!(out.contains("1 encrypted"), "{out}");
    let (stored, body) = stored_secret(&data, "dana").await;
    assert!(stored.starts_with("mcpsec:enc:v1:k2:"), "{stored}");
    assert!(!body.contains(&secret_b32));

    rewrite(&data, "dana", None).await;
    let k2 = key_env(dir.path(), "k2", &["k2"]);
    let s = Server::start(&data, &[], &k2);
    let (st, _) = login(&s.base, "dana", pw, Some("000000".into())).await;
    assert_eq!(st, 401, "a wrong code is still refused");
    let code = totp::code_at(&secret, totp::step_of(now()));
    let (st, v) = login(&s.base, "dana", pw, Some(code)).await;
    assert_eq!(st, 200, "login with only the new key: {v}");
    drop(s);

    // Without the key the factor cannot be checked: an error, not a bypass.
    rewrite(&data, "dana", None).await;
    let s = Server::start(&data, &[], &[]);
    let code = totp::code_at(&secret, totp::step_of(now()));
    let (st, v) = login(&s.base, "dana", pw, Some(code)).await;
    assert_eq!(st, 500, "{v}");
    assert!(v.get("token").is_none());
}
