//! Browser sessions end to end: a password login sets a `__Host-` session
//! cookie (HttpOnly, Secure, SameSite=Lax) and a CSRF cookie; the cookie
//! authenticates; state-changing requests by cookie need the session's CSRF
//! token in `X-CSRF-Token` (a missing, wrong or other session's token is
//! refused), bearer requests are exempt; logout revokes and clears.

mod common;

use std::collections::HashMap;

use common::*;
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery staple";

fn cookies(r: &reqwest::Response) -> (HashMap<String, String>, Vec<String>) {
    let raw: Vec<String> = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    let map = raw
        .iter()
        .filter_map(|l| l.split(';').next()?.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    (map, raw)
}

async fn login(base: &str, user: &str) -> (Value, HashMap<String, String>, Vec<String>) {
    let r = anonymous_client()
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": user, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (map, raw) = cookies(&r);
    (r.json().await.unwrap(), map, raw)
}

async fn setup(s: &Server) {
    create_tenant(&client(), &s.base, "acme").await;
    for user in ["alice", "bob"] {
        let r = client()
            .post(s.url("/api/v1/tenants/acme/users"))
            .json(&json!({"username": user, "password": PASSWORD, "role": "admin"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn cookie_sessions_need_the_csrf_token_for_changes() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir.path().join("data"), &[], &[]);
    setup(&s).await;
    let (body, jar, raw) = login(&s.base, "alice").await;
    let session = jar["__Host-mcpsec_session"].clone();
    let csrf = jar["__Host-mcpsec_csrf"].clone();
    assert_eq!(session, body["token"].as_str().unwrap());
    assert_eq!(csrf, body["csrf_token"].as_str().unwrap());
    let line = |name: &str| raw.iter().find(|l| l.starts_with(name)).unwrap().clone();
    let session_line = line("__Host-mcpsec_session=");
    for attr in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/", "Max-Age="] {
        assert!(session_line.contains(attr), "{session_line}");
    }
    assert!(
        !session_line.contains("Domain="),
        "__Host- cookies have no Domain"
    );
    assert!(
        !line("__Host-mcpsec_csrf=").contains("HttpOnly"),
        "the page's script reads the CSRF cookie"
    );

    let http = anonymous_client();
    let cookie = format!("__Host-mcpsec_session={session}");
    // Reads by cookie need no CSRF token.
    let r = http
        .get(s.url("/api/v1/auth/whoami"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let create = |csrf: Option<String>| {
        let mut r = http
            .post(s.url("/api/v1/tenants/acme/api-keys"))
            .header("cookie", &cookie)
            .json(&json!({"name": "k", "role": "viewer"}));
        if let Some(c) = csrf {
            r = r.header("x-csrf-token", c);
        }
        r.send()
    };
    // Changes by cookie: missing, wrong, or another session's token refused.
    let (_, bob_jar, _) = login(&s.base, "bob").await;
    for bad in [
        None,
        Some(String::new()),
        Some("x".repeat(43)),
        Some(bob_jar["__Host-mcpsec_csrf"].clone()),
    ] {
        let r = create(bad.clone()).await.unwrap();
        assert_eq!(r.status(), 403, "{bad:?}");
        let v: Value = r.json().await.unwrap();
        assert!(
            v["error"]["message"].as_str().unwrap().contains("CSRF"),
            "{v}"
        );
    }
    assert_eq!(create(Some(csrf.clone())).await.unwrap().status(), 201);
    // A CSRF cookie alone (no header) is not the header: the browser sends
    // cookies on cross-site requests, so the cookie proves nothing.
    let r = http
        .post(s.url("/api/v1/tenants/acme/api-keys"))
        .header("cookie", format!("{cookie}; __Host-mcpsec_csrf={csrf}"))
        .json(&json!({"name": "k", "role": "viewer"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // A cookie without the __Host- prefix is not the session cookie.
    let r = http
        .get(s.url("/api/v1/auth/whoami"))
        .header("cookie", format!("mcpsec_session={session}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // Bearer requests carry no ambient credential: no CSRF token needed.
    let r = client_with_key(&session)
        .post(s.url("/api/v1/tenants/acme/api-keys"))
        .json(&json!({"name": "k2", "role": "viewer"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);

    // Logout needs the token too, then revokes the session and clears cookies.
    let logout = |csrf: Option<String>| {
        let mut r = http
            .post(s.url("/api/v1/auth/logout"))
            .header("cookie", &cookie);
        if let Some(c) = csrf {
            r = r.header("x-csrf-token", c);
        }
        r.send()
    };
    assert_eq!(logout(None).await.unwrap().status(), 403);
    let r = logout(Some(csrf)).await.unwrap();
    assert_eq!(r.status(), 204);
    let (cleared, raw) = cookies(&r);
    assert_eq!(cleared["__Host-mcpsec_session"], "");
    assert!(raw.iter().all(|l| l.contains("Max-Age=0")), "{raw:?}");
    let r = http
        .get(s.url("/api/v1/auth/whoami"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // Bob's session is untouched.
    let r = http
        .get(s.url("/api/v1/auth/whoami"))
        .header(
            "cookie",
            format!("__Host-mcpsec_session={}", bob_jar["__Host-mcpsec_session"]),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn plain_http_development_cookies() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(
        &dir.path().join("data"),
        &[],
        &[("MCPSEC_AUTH__COOKIE_SECURE", "false".into())],
    );
    setup(&s).await;
    let (_, jar, raw) = login(&s.base, "alice").await;
    assert!(jar.contains_key("mcpsec_session"), "{raw:?}");
    assert!(raw.iter().all(|l| !l.contains("Secure")), "{raw:?}");
    let r = anonymous_client()
        .get(s.url("/api/v1/auth/whoami"))
        .header(
            "cookie",
            format!("mcpsec_session={}", jar["mcpsec_session"]),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}
