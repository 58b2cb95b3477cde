//! Authentication end to end against `mcpsec serve`: missing and bad
//! credentials, API-key expiry and revocation, cross-tenant guessing,
//! privilege escalation, login with lockout, TOTP MFA with replay and
//! recovery codes, role changes, rate limiting, and the audit chain with
//! `mcpsec audit verify` detecting a row altered directly in SQLite.

mod common;

use common::*;
use serde_json::{Value, json};

async fn status(r: reqwest::RequestBuilder) -> (u16, Value) {
    let r = r.send().await.unwrap();
    let st = r.status().as_u16();
    (st, r.json().await.unwrap_or(Value::Null))
}

async fn login(base: &str, body: Value) -> (u16, Value) {
    status(
        anonymous_client()
            .post(format!("{base}/api/v1/auth/login"))
            .json(&body),
    )
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn keys_expiry_revocation_tenants_and_escalation() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let s = Server::start(&data, &[], &[("MCPSEC_AUTH__KEY_CACHE_SECS", "0".into())]);
    let root = client();
    create_tenant(&root, &s.base, "acme").await;
    create_tenant(&root, &s.base, "other").await;

    // No credential, a malformed one, an unknown one: 401 with a challenge.
    let r = anonymous_client()
        .get(s.url("/api/v1/tenants/acme/findings"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.headers().contains_key("www-authenticate"));
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "unauthenticated");
    for bad in [
        "garbage",
        "mcpsec_nokey_nosecret",
        "mcpsec-e2e-bootstrap-key-012345678",
    ] {
        let (st, _) =
            status(client_with_key(bad).get(s.url("/api/v1/tenants/acme/findings"))).await;
        assert_eq!(st, 401, "{bad}");
    }
    // Public routes need nothing.
    for path in [
        "/healthz",
        "/readyz",
        "/metrics",
        "/api/v1/openapi.json",
        "/api/docs/",
    ] {
        let r = anonymous_client().get(s.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
    }

    // A key works until revoked; its last use is recorded.
    let (id, key) = create_key(&root, &s.base, "acme", "viewer").await;
    let viewer = client_with_key(&key);
    let (st, _) = status(viewer.get(s.url("/api/v1/tenants/acme/findings"))).await;
    assert_eq!(st, 200);
    let (st, who) = status(viewer.get(s.url("/api/v1/auth/whoami"))).await;
    assert_eq!(st, 200);
    assert_eq!(who["tenant"], "acme");
    assert_eq!(who["role"], "viewer");
    // A wrong secret for a real key id is refused.
    let (kid, _) = mcpsec_core::auth::parse_key(&key).unwrap();
    let forged = format!("mcpsec_{kid}_{}", "A".repeat(43));
    let (st, _) =
        status(client_with_key(&forged).get(s.url("/api/v1/tenants/acme/findings"))).await;
    assert_eq!(st, 401);

    // Cross-tenant ID guessing: 403, whatever the id.
    for path in [
        "/api/v1/tenants/other/events/e-1",
        "/api/v1/tenants/other/findings",
        "/api/v1/tenants/other/findings/f-1/status",
    ] {
        let (st, v) = status(viewer.get(s.url(path))).await;
        assert!(st == 403 || st == 405, "{path}: {st} {v}");
    }
    // Ingest: each event's tenant must be the key's.
    let (_, ingest_key) = create_key(&root, &s.base, "acme", "ingest-only").await;
    let ingest = client_with_key(&ingest_key);
    let (st, v) = status(ingest.post(s.url("/api/v1/events")).json(&json!([
        log_event("acme", "ok-1", "h"),
        log_event("other", "x-1", "h")
    ])))
    .await;
    assert_eq!(st, 403, "{v}");
    assert_eq!(v["error"]["code"], "forbidden");
    assert_eq!(v["error"]["details"][0]["index"], 1);
    let (st, _) = status(
        ingest
            .post(s.url("/api/v1/events"))
            .json(&json!([log_event("acme", "ok-1", "h")])),
    )
    .await;
    assert_eq!(st, 202);
    let (st, _) = status(ingest.get(s.url("/api/v1/tenants/acme/findings"))).await;
    assert_eq!(st, 403, "ingest-only cannot read");

    // No privilege escalation: an admin cannot mint an owner key or define
    // roles; a tenant owner cannot create tenants.
    let (_, admin_key) = create_key(&root, &s.base, "acme", "admin").await;
    let admin = client_with_key(&admin_key);
    let (st, v) = status(
        admin
            .post(s.url("/api/v1/tenants/acme/api-keys"))
            .json(&json!({"name": "x", "role": "owner"})),
    )
    .await;
    assert_eq!(st, 403, "{v}");
    let (st, _) = status(
        admin
            .post(s.url("/api/v1/tenants/acme/api-keys"))
            .json(&json!({"name": "x", "role": "platform-admin"})),
    )
    .await;
    assert_eq!(st, 400);
    let (_, owner_key) = create_key(&root, &s.base, "acme", "owner").await;
    let (st, _) = status(
        client_with_key(&owner_key)
            .post(s.url("/api/v1/tenants"))
            .json(&json!({"id": "mine"})),
    )
    .await;
    assert_eq!(st, 403);

    // Revocation through the API takes effect at once.
    let (st, v) = status(admin.delete(s.url(&format!("/api/v1/tenants/acme/api-keys/{id}")))).await;
    assert_eq!(st, 200, "{v}");
    assert!(v["revoked_at"].is_string());
    assert!(v["last_used_at"].is_string(), "last use recorded: {v}");
    let (st, v) = status(viewer.get(s.url("/api/v1/tenants/acme/findings"))).await;
    assert_eq!(st, 401);
    assert!(
        v["error"]["message"].as_str().unwrap().contains("revoked"),
        "{v}"
    );
    // Another tenant's admin cannot revoke acme's keys.
    let (other_id, _) = create_key(&root, &s.base, "acme", "viewer").await;
    let (_, other_admin) = create_key(&root, &s.base, "other", "admin").await;
    let (st, _) = status(
        client_with_key(&other_admin)
            .delete(s.url(&format!("/api/v1/tenants/other/api-keys/{other_id}"))),
    )
    .await;
    assert_eq!(st, 404);

    // Through the CLI (another process): expired at once, and revoked.
    let expired = cli(
        &data,
        &[
            "admin",
            "create-api-key",
            "--tenant",
            "acme",
            "--role",
            "viewer",
            "--expires",
            "0",
        ],
        &[],
    );
    let (st, v) =
        status(client_with_key(expired.trim()).get(s.url("/api/v1/tenants/acme/findings"))).await;
    assert_eq!(st, 401);
    assert!(
        v["error"]["message"].as_str().unwrap().contains("expired"),
        "{v}"
    );
    let cli_key = cli(
        &data,
        &[
            "admin",
            "create-api-key",
            "--tenant",
            "acme",
            "--role",
            "analyst",
            "--expires",
            "7",
        ],
        &[],
    );
    let cli_key = cli_key.trim();
    let (st, _) =
        status(client_with_key(cli_key).get(s.url("/api/v1/tenants/acme/findings"))).await;
    assert_eq!(st, 200);
    cli(&data, &["admin", "revoke-api-key", cli_key], &[]);
    let (st, _) =
        status(client_with_key(cli_key).get(s.url("/api/v1/tenants/acme/findings"))).await;
    assert_eq!(st, 401);
}

#[tokio::test(flavor = "multi_thread")]
async fn login_lockout_mfa_and_role_change() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let s = Server::start(
        &data,
        &[],
        &[("MCPSEC_AUTH__LOCKOUT_THRESHOLD", "3".into())],
    );
    let root = client();
    create_tenant(&root, &s.base, "acme").await;
    let pw = "correct horse battery staple";
    let (st, v) = status(root.post(s.url("/api/v1/tenants/acme/users")).json(&json!({
        "username": "alice", "password": pw, "role": "analyst"
    })))
    .await;
    assert_eq!(st, 201, "{v}");
    let alice_id = v["id"].as_str().unwrap().to_string();
    assert!(v.get("password_hash").is_none());
    let (st, _) = status(root.post(s.url("/api/v1/tenants/acme/users")).json(&json!({
        "username": "bob", "password": "short", "role": "viewer"
    })))
    .await;
    assert_eq!(st, 400, "password policy");

    // Login gives a session that acts as the user's role.
    let (st, v) = login(&s.base, json!({"username": "alice", "password": pw})).await;
    assert_eq!(st, 200, "{v}");
    let session = client_with_key(v["token"].as_str().unwrap());
    let (st, who) = status(session.get(s.url("/api/v1/auth/whoami"))).await;
    assert_eq!(st, 200);
    assert_eq!(who["subject"], format!("user:{alice_id}"));
    assert_eq!(who["role"], "analyst");
    let (st, _) = status(session.get(s.url("/api/v1/tenants/acme/findings"))).await;
    assert_eq!(st, 200);

    // Unknown user and wrong password look the same.
    let (st, a) = login(&s.base, json!({"username": "nobody", "password": pw})).await;
    let (st2, b) = login(
        &s.base,
        json!({"username": "alice", "password": "wrong password!"}),
    )
    .await;
    assert_eq!((st, st2), (401, 401));
    assert_eq!(a["error"]["message"], b["error"]["message"]);
    // Two more failures (three in a row) lock the account, even for the right password.
    for _ in 0..2 {
        let (st, _) = login(
            &s.base,
            json!({"username": "alice", "password": "wrong again!!"}),
        )
        .await;
        assert_eq!(st, 401);
    }
    let r = anonymous_client()
        .post(s.url("/api/v1/auth/login"))
        .json(&json!({"username": "alice", "password": pw}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));

    // MFA on another user.
    let (st, _) = status(root.post(s.url("/api/v1/tenants/acme/users")).json(&json!({
        "username": "carol", "password": pw, "role": "viewer"
    })))
    .await;
    assert_eq!(st, 201);
    let (_, v) = login(&s.base, json!({"username": "carol", "password": pw})).await;
    let carol = client_with_key(v["token"].as_str().unwrap());
    // API keys cannot enroll MFA; sessions can.
    let (st, _) = status(root.post(s.url("/api/v1/auth/mfa/totp/enroll"))).await;
    assert_eq!(st, 403);
    let (st, enroll) = status(carol.post(s.url("/api/v1/auth/mfa/totp/enroll"))).await;
    assert_eq!(st, 200, "{enroll}");
    assert!(
        enroll["otpauth_uri"]
            .as_str()
            .unwrap()
            .starts_with("otpauth://totp/")
    );
    let secret =
        mcpsec_server::auth::totp::base32_decode(enroll["secret"].as_str().unwrap()).unwrap();
    let recovery: Vec<String> = enroll["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    let now = || chrono::Utc::now().timestamp() as u64;
    let step = mcpsec_server::auth::totp::step_of(now());
    let (st, _) = status(
        carol
            .post(s.url("/api/v1/auth/mfa/totp/confirm"))
            .json(&json!({"code": "000000"})),
    )
    .await;
    assert_eq!(st, 400, "a wrong code does not enable MFA");
    let (st, v) = status(
        carol
            .post(s.url("/api/v1/auth/mfa/totp/confirm"))
            .json(&json!({
                "code": mcpsec_server::auth::totp::code_at(&secret, step - 1)
            })),
    )
    .await;
    assert_eq!(st, 204, "{v}");
    // Password alone is no longer enough; a wrong or replayed code fails.
    let (st, v) = login(&s.base, json!({"username": "carol", "password": pw})).await;
    assert_eq!(st, 401);
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("second factor"),
        "{v}"
    );
    let (st, _) = login(
        &s.base,
        json!({"username": "carol", "password": pw, "totp_code": "123456x"}),
    )
    .await;
    assert_eq!(st, 401);
    let (st, _) = login(
        &s.base,
        json!({"username": "carol", "password": pw,
        "totp_code": mcpsec_server::auth::totp::code_at(&secret, step - 1)}),
    )
    .await;
    assert_eq!(st, 401, "a code is accepted once");
    let code =
        mcpsec_server::auth::totp::code_at(&secret, mcpsec_server::auth::totp::step_of(now()) + 1);
    let (st, v) = login(
        &s.base,
        json!({"username": "carol", "password": pw, "totp_code": code}),
    )
    .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["user"]["mfa_enabled"], true);
    // A recovery code works once, and not with a wrong password.
    let (st, _) = login(
        &s.base,
        json!({"username": "carol", "password": "not the password", "recovery_code": recovery[0]}),
    )
    .await;
    assert_eq!(st, 401);
    let (st, _) = login(
        &s.base,
        json!({"username": "carol", "password": pw, "recovery_code": recovery[0]}),
    )
    .await;
    assert_eq!(st, 200);
    let (st, _) = login(
        &s.base,
        json!({"username": "carol", "password": pw, "recovery_code": recovery[0]}),
    )
    .await;
    assert_eq!(st, 401);

    // A role change revokes the user's sessions.
    let (st, _) = status(carol.get(s.url("/api/v1/tenants/acme/findings"))).await;
    assert_eq!(st, 200);
    let users: Value = root
        .get(s.url("/api/v1/tenants/acme/users"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let carol_id = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "carol")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (st, v) = status(
        root.put(s.url(&format!("/api/v1/tenants/acme/users/{carol_id}/role")))
            .json(&json!({"role": "ingest-only"})),
    )
    .await;
    assert_eq!(st, 200, "{v}");
    let (st, _) = status(carol.get(s.url("/api/v1/tenants/acme/findings"))).await;
    assert_eq!(st, 401);

    // Logout ends a session.
    let (_, v) = login(
        &s.base,
        json!({"username": "bob-does-not-exist", "password": pw}),
    )
    .await;
    assert_eq!(v["error"]["code"], "unauthenticated");
    let code =
        mcpsec_server::auth::totp::code_at(&secret, mcpsec_server::auth::totp::step_of(now()));
    let (st, v) = login(
        &s.base,
        json!({"username": "carol", "password": pw, "totp_code": code}),
    )
    .await;
    if st == 200 {
        let c = client_with_key(v["token"].as_str().unwrap());
        let (st, _) = status(c.post(s.url("/api/v1/auth/logout"))).await;
        assert_eq!(st, 204);
        let (st, _) = status(c.get(s.url("/api/v1/auth/whoami"))).await;
        assert_eq!(st, 401);
    }

    // The audit log holds the logins, MFA and role change, chained.
    let audit: Value = root
        .get(s.url("/api/v1/tenants/acme/audit?limit=1000"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let actions: Vec<(String, String)> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["action"].as_str().unwrap().to_string(),
                r["outcome"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for expected in [
        ("tenant.create", "success"),
        ("user.create", "success"),
        ("auth.login", "success"),
        ("auth.login", "failure"),
        ("mfa.enable", "success"),
        ("user.role_change", "success"),
    ] {
        assert!(
            actions.contains(&(expected.0.to_string(), expected.1.to_string())),
            "{expected:?} missing from {actions:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn audit_chain_verifies_and_detects_tampering() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let s = Server::start(&data, &["--demo"], &[]);
    let c = client();
    let r = c
        .post(s.url("/api/v1/tenants/demo/findings/f-log4shell/status"))
        .json(&json!({"status": "triaged", "reason": "audit test"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = c
        .get(s.url("/api/v1/tenants/demo/audit"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let triage = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["action"] == "finding.transition")
        .expect("triage is audited")
        .clone();
    assert_eq!(triage["target"], "f-log4shell");
    assert_eq!(triage["details"]["to"], "triaged");
    assert_eq!(triage["actor"], "bootstrap");
    drop(s);

    let out = cli(&data, &["audit", "verify"], &[]);
    assert!(out.contains("audit chain intact"), "{out}");
    let export = cli(&data, &["audit", "export", "--tenant", "demo"], &[]);
    let lines: Vec<Value> = export
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(lines.len() >= 3, "{export}");
    assert!(lines.iter().all(|r| r["tenant"] == "demo"));

    // Rewrite who triaged the finding, directly in the database.
    let seq = triage["seq"].as_i64().unwrap();
    let db = data.join("mcpsec.db");
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    let body: String = sqlx::query_scalar("SELECT body FROM audit_log WHERE seq = $1")
        .bind(seq)
        .fetch_one(&pool)
        .await
        .unwrap();
    let forged = body.replace("\"actor\":\"bootstrap\"", "\"actor\":\"key:someone-else\"");
    assert_ne!(forged, body);
    sqlx::query("UPDATE audit_log SET body = $1 WHERE seq = $2")
        .bind(&forged)
        .bind(seq)
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let out = std::process::Command::new(BIN)
        .args(["--data-dir"])
        .arg(&data)
        .args(["audit", "verify"])
        .env_remove("MCPSEC_CONFIG")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("broken at record {seq}")), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn rate_limit_answers_429_with_headers() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(
        &dir.path().join("data"),
        &[],
        &[
            ("MCPSEC_AUTH__RATE_LIMIT_PER_SECOND", "1".into()),
            ("MCPSEC_AUTH__RATE_LIMIT_BURST", "3".into()),
        ],
    );
    let c = client();
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let r = c.get(s.url("/api/v1/tenants")).send().await.unwrap();
        if r.status() == 200 {
            assert!(r.headers().contains_key("ratelimit-remaining"));
            assert_eq!(r.headers()["ratelimit-limit"], "3");
        } else {
            assert!(r.headers().contains_key("retry-after"));
        }
        statuses.push(r.status().as_u16());
    }
    assert_eq!(&statuses[..3], &[200, 200, 200], "{statuses:?}");
    assert!(statuses[3..].contains(&429), "{statuses:?}");
    // Health checks are not limited.
    for _ in 0..10 {
        assert_eq!(c.get(s.url("/healthz")).send().await.unwrap().status(), 200);
    }
}
