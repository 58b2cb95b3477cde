//! OIDC end to end against `mcpsec serve` and a fake OpenID provider run by
//! the test (discovery, JWKS, token endpoint; RSA and P-256 keys generated
//! here): JWT bearer tokens accepted or refused (expired, not yet valid,
//! wrong audience, wrong issuer, bad signature, unknown key, HMAC), claims
//! mapped to tenant and role, key rotation picked up, and the browser login
//! with authorization code + PKCE ending in a cookie session.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use common::*;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const CLIENT_ID: &str = "mcpsec-web";
const CLIENT_SECRET: &str = "fake-provider-client-secret";
const API_AUDIENCE: &str = "mcpsec-api";

struct SigningKey {
    kid: String,
    alg: Algorithm,
    encoding: EncodingKey,
    jwk: Value,
}

fn rsa_key(kid: &str) -> SigningKey {
    use rsa::pkcs1::EncodeRsaPrivateKey;
    use rsa::traits::PublicKeyParts;
    let key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).unwrap();
    let der = key.to_pkcs1_der().unwrap();
    SigningKey {
        kid: kid.into(),
        alg: Algorithm::RS256,
        encoding: EncodingKey::from_rsa_der(der.as_bytes()),
        jwk: json!({"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
            "n": B64.encode(key.n().to_bytes_be()), "e": B64.encode(key.e().to_bytes_be())}),
    }
}

fn ec_key(kid: &str) -> SigningKey {
    use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
    let pair =
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng).unwrap();
    let point = pair.public_key().as_ref();
    SigningKey {
        kid: kid.into(),
        alg: Algorithm::ES256,
        encoding: EncodingKey::from_ec_der(pkcs8.as_ref()),
        jwk: json!({"kty": "EC", "kid": kid, "use": "sig", "alg": "ES256", "crv": "P-256",
            "x": B64.encode(&point[1..33]), "y": B64.encode(&point[33..65])}),
    }
}

fn sign(key: &SigningKey, claims: &Value) -> String {
    let mut h = Header::new(key.alg);
    h.kid = Some(key.kid.clone());
    jsonwebtoken::encode(&h, claims, &key.encoding).unwrap()
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// A code the fake provider issued: what the token request must match.
struct Grant {
    challenge: String,
    redirect_uri: String,
    nonce: String,
    sub: String,
    groups: Vec<String>,
}

#[derive(Default)]
struct ProviderState {
    issuer: String,
    jwks: Vec<Value>,
    grants: HashMap<String, Grant>,
    /// The key that signs ID tokens.
    id_key: Option<Arc<SigningKey>>,
    token_requests: u32,
}

type Shared = Arc<Mutex<ProviderState>>;

async fn discovery(State(s): State<Shared>) -> Response {
    let iss = s.lock().unwrap().issuer.clone();
    axum::Json(json!({
        "issuer": iss,
        "authorization_endpoint": format!("{iss}/authorize"),
        "token_endpoint": format!("{iss}/token"),
        "jwks_uri": format!("{iss}/jwks"),
        "response_types_supported": ["code"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic"],
        "code_challenge_methods_supported": ["S256"],
    }))
    .into_response()
}

async fn jwks(State(s): State<Shared>) -> Response {
    let keys = s.lock().unwrap().jwks.clone();
    axum::Json(json!({ "keys": keys })).into_response()
}

fn token_error(code: &str) -> Response {
    (StatusCode::BAD_REQUEST, axum::Json(json!({"error": code}))).into_response()
}

/// The token endpoint: client authentication (basic), single-use codes,
/// redirect URI and PKCE S256 verification, then a signed ID token.
async fn token(State(s): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let mut st = s.lock().unwrap();
    st.token_requests += 1;
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"))
    );
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(expected.as_str()) {
        return token_error("invalid_client");
    }
    if form.get("grant_type").map(String::as_str) != Some("authorization_code") {
        return token_error("unsupported_grant_type");
    }
    let Some(grant) = form.get("code").and_then(|c| st.grants.remove(c)) else {
        return token_error("invalid_grant");
    };
    let verifier = form.get("code_verifier").cloned().unwrap_or_default();
    if B64.encode(Sha256::digest(verifier.as_bytes())) != grant.challenge
        || form.get("redirect_uri") != Some(&grant.redirect_uri)
    {
        return token_error("invalid_grant");
    }
    let key = st.id_key.clone().unwrap();
    let id_token = sign(
        &key,
        &json!({"iss": st.issuer, "aud": CLIENT_ID, "sub": grant.sub, "nonce": grant.nonce,
            "iat": now(), "exp": now() + 300, "tenant": "acme", "groups": grant.groups}),
    );
    axum::Json(json!({"access_token": "opaque", "token_type": "Bearer", "expires_in": 300, "id_token": id_token}))
        .into_response()
}

struct Provider {
    state: Shared,
    issuer: String,
    _task: tokio::task::JoinHandle<()>,
}

async fn start_provider(keys: &[&SigningKey]) -> Provider {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    let state: Shared = Arc::new(Mutex::new(ProviderState {
        issuer: issuer.clone(),
        jwks: keys.iter().map(|k| k.jwk.clone()).collect(),
        ..Default::default()
    }));
    let app = Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/jwks", get(jwks))
        .route("/token", post(token))
        .with_state(state.clone());
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    Provider {
        state,
        issuer,
        _task: task,
    }
}

fn oidc_env(issuer: &str) -> Vec<(&'static str, String)> {
    vec![
        ("MCPSEC_AUTH__OIDC__ISSUER", issuer.to_string()),
        ("MCPSEC_AUTH__OIDC__CLIENT_ID", CLIENT_ID.into()),
        ("MCPSEC_AUTH__OIDC__CLIENT_SECRET", CLIENT_SECRET.into()),
        ("MCPSEC_AUTH__OIDC__AUDIENCE", API_AUDIENCE.into()),
        ("MCPSEC_AUTH__OIDC__ROLE_CLAIM", "groups".into()),
        (
            "MCPSEC_AUTH__OIDC__ROLE_MAP__SEC-ANALYSTS",
            "analyst".into(),
        ),
        ("MCPSEC_AUTH__OIDC__ROLE_MAP__SEC-ADMINS", "admin".into()),
        ("MCPSEC_AUTH__OIDC__JWKS_MIN_REFRESH_SECS", "0".into()),
        ("MCPSEC_AUTH__OIDC__LEEWAY_SECS", "5".into()),
    ]
}

async fn call(base: &str, path: &str, token: &str) -> (u16, Value) {
    let r = client_with_key(token)
        .get(format!("{base}{path}"))
        .send()
        .await
        .unwrap();
    let st = r.status().as_u16();
    (st, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread")]
async fn jwt_bearer_tokens_are_validated_against_the_jwks() {
    let (rsa, ec) = (rsa_key("rsa-1"), ec_key("ec-1"));
    let provider = start_provider(&[&rsa, &ec]).await;
    let dir = tempfile::tempdir().unwrap();
    let mut env = oidc_env(&provider.issuer);
    // Exercise the redirect URL validation too (not used by bearer tokens).
    env.push((
        "MCPSEC_AUTH__OIDC__REDIRECT_URL",
        "http://127.0.0.1:9/api/v1/auth/oidc/callback".into(),
    ));
    let s = Server::start(&dir.path().join("data"), &[], &env);
    create_tenant(&client(), &s.base, "acme").await;
    create_tenant(&client(), &s.base, "globex").await;
    let iss = provider.issuer.clone();
    let claims = |extra: Value| {
        let mut c = json!({"iss": iss, "aud": API_AUDIENCE, "sub": "svc-1", "iat": now(),
            "exp": now() + 600, "tenant": "acme", "groups": ["staff", "sec-analysts"]});
        for (k, v) in extra.as_object().unwrap() {
            c[k] = v.clone();
        }
        c
    };

    // Valid RS256 and ES256 tokens: mapped to tenant acme, role analyst.
    for key in [&rsa, &ec] {
        let (st, v) = call(
            &s.base,
            "/api/v1/auth/whoami",
            &sign(key, &claims(json!({}))),
        )
        .await;
        assert_eq!(st, 200, "{:?}: {v}", key.alg);
        assert_eq!(v["subject"], "oidc:svc-1");
        assert_eq!(v["tenant"], "acme");
        assert_eq!(v["role"], "analyst");
    }
    let good = sign(&rsa, &claims(json!({})));
    assert_eq!(
        call(&s.base, "/api/v1/tenants/acme/findings", &good)
            .await
            .0,
        200
    );
    let (st, _) = call(&s.base, "/api/v1/tenants/globex/findings", &good).await;
    assert_eq!(st, 403, "another tenant");
    let (st, _) = call(&s.base, "/api/v1/tenants/acme/api-keys", &good).await;
    assert_eq!(st, 403, "analyst lacks keys:manage");
    // An array audience that contains ours is fine.
    let multi = sign(&rsa, &claims(json!({"aud": ["other", API_AUDIENCE]})));
    assert_eq!(call(&s.base, "/api/v1/auth/whoami", &multi).await.0, 200);

    // Refused: 401 with a reason.
    let other_rsa = rsa_key("rsa-1"); // same kid, different key
    let mut hs_header = Header::new(Algorithm::HS256);
    hs_header.kid = Some("rsa-1".into());
    let hs = jsonwebtoken::encode(
        &hs_header,
        &claims(json!({})),
        &EncodingKey::from_secret(b"guessable"),
    )
    .unwrap();
    let refused = [
        ("expired", sign(&rsa, &claims(json!({"exp": now() - 3600})))),
        (
            "not yet valid",
            sign(&ec, &claims(json!({"nbf": now() + 3600}))),
        ),
        (
            "wrong audience",
            sign(&rsa, &claims(json!({"aud": "someone-else"}))),
        ),
        (
            "wrong issuer",
            sign(&rsa, &claims(json!({"iss": "http://127.0.0.1:1"}))),
        ),
        ("no exp", {
            let mut c = claims(json!({}));
            c.as_object_mut().unwrap().remove("exp");
            sign(&rsa, &c)
        }),
        ("bad signature", sign(&other_rsa, &claims(json!({})))),
        (
            "unknown kid",
            sign(&ec_key("ec-unknown"), &claims(json!({}))),
        ),
        ("HMAC", hs),
        ("tampered", {
            let t = sign(&rsa, &claims(json!({})));
            let parts: Vec<&str> = t.split('.').collect();
            let body =
                B64.encode(serde_json::to_vec(&claims(json!({"tenant": "globex"}))).unwrap());
            format!("{}.{}.{}", parts[0], body, parts[2])
        }),
    ];
    for (what, token) in &refused {
        let (st, v) = call(&s.base, "/api/v1/auth/whoami", token).await;
        assert_eq!(st, 401, "{what}: {v}");
        assert_eq!(v["error"]["code"], "unauthenticated", "{what}: {v}");
    }

    // Valid, but the claims map to nothing usable: 403.
    let unmapped = sign(&rsa, &claims(json!({"groups": ["staff"]})));
    let (st, v) = call(&s.base, "/api/v1/auth/whoami", &unmapped).await;
    assert_eq!(st, 403, "{v}");
    let bad_tenant = sign(&rsa, &claims(json!({"tenant": "Not A Tenant!"})));
    assert_eq!(
        call(&s.base, "/api/v1/auth/whoami", &bad_tenant).await.0,
        403
    );

    // Key rotation: a token signed by a key added to the JWKS later is
    // accepted once the server refetches on the unknown kid.
    let rotated = ec_key("ec-2");
    provider
        .state
        .lock()
        .unwrap()
        .jwks
        .push(rotated.jwk.clone());
    let t = sign(&rotated, &claims(json!({"groups": ["sec-admins"]})));
    let (st, v) = call(&s.base, "/api/v1/auth/whoami", &t).await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["role"], "admin");
    // A key removed from the JWKS stops working after the next refetch.
    provider
        .state
        .lock()
        .unwrap()
        .jwks
        .retain(|k| k["kid"] != "rsa-1");
    let _ = call(
        &s.base,
        "/api/v1/auth/whoami",
        &sign(&ec_key("ec-x"), &claims(json!({}))),
    )
    .await;
    assert_eq!(
        call(
            &s.base,
            "/api/v1/auth/whoami",
            &sign(&rsa, &claims(json!({})))
        )
        .await
        .0,
        401
    );
}

fn set_cookies(r: &reqwest::Response) -> HashMap<String, String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| {
            let (pair, _) = v.split_once(';').unwrap_or((v, ""));
            pair.split_once('=')
                .map(|(k, v)| (k.to_string(), v.to_string()))
        })
        .collect()
}

fn raw_set_cookies(r: &reqwest::Response) -> Vec<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect()
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn code_flow_with_pkce_starts_a_cookie_session() {
    let rsa = Arc::new(rsa_key("rsa-1"));
    let provider = start_provider(&[&rsa]).await;
    provider.state.lock().unwrap().id_key = Some(rsa.clone());
    let dir = tempfile::tempdir().unwrap();
    // The callback URL must be known before the server's port is: use a
    // fixed path on a reserved port and call the real server's callback
    // with the same query (the redirect URI is only compared, not fetched).
    let redirect = "https://mcpsec.example.com/api/v1/auth/oidc/callback";
    let mut env = oidc_env(&provider.issuer);
    env.push(("MCPSEC_AUTH__OIDC__REDIRECT_URL", redirect.into()));
    let s = Server::start(&dir.path().join("data"), &[], &env);
    create_tenant(&client(), &s.base, "acme").await;
    let http = no_redirects();

    // Login without OIDC redirect targets outside the server: refused.
    let r = http
        .get(s.url("/api/v1/auth/oidc/login?return_to=https://evil.example/"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);

    let start = |return_to: &'static str| {
        let http = http.clone();
        let url = s.url(&format!("/api/v1/auth/oidc/login?return_to={return_to}"));
        async move {
            let r = http.get(url).send().await.unwrap();
            assert_eq!(r.status(), 303);
            let location = url::Url::parse(r.headers()["location"].to_str().unwrap()).unwrap();
            let cookies = set_cookies(&r);
            let raw = raw_set_cookies(&r).join("\n");
            (location, cookies, raw)
        }
    };
    let (location, cookies, raw) = start("/app/findings").await;
    assert!(
        location
            .as_str()
            .starts_with(&format!("{}/authorize?", provider.issuer)),
        "{location}"
    );
    let q: HashMap<String, String> = location.query_pairs().into_owned().collect();
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["client_id"], CLIENT_ID);
    assert_eq!(q["redirect_uri"], redirect);
    assert_eq!(q["code_challenge_method"], "S256");
    assert!(q["scope"].split(' ').any(|x| x == "openid"));
    assert!(q["state"].len() >= 32 && q["nonce"].len() >= 32);
    let login_cookie = cookies
        .get("__Host-mcpsec_oidc")
        .expect("login cookie")
        .clone();
    assert!(raw.contains("HttpOnly") && raw.contains("Secure"), "{raw}");

    // The user authenticates at the provider, which issues a code.
    let grant = |code: &str, q: &HashMap<String, String>, groups: &[&str]| {
        provider.state.lock().unwrap().grants.insert(
            code.to_string(),
            Grant {
                challenge: q["code_challenge"].clone(),
                redirect_uri: q["redirect_uri"].clone(),
                nonce: q["nonce"].clone(),
                sub: "alice@example.com".into(),
                groups: groups.iter().map(|g| g.to_string()).collect(),
            },
        );
    };
    grant("code-1", &q, &["sec-admins"]);
    let callback = |code: &str, state: &str, cookie: Option<&str>| {
        let mut r = http.get(s.url(&format!(
            "/api/v1/auth/oidc/callback?code={code}&state={state}"
        )));
        if let Some(c) = cookie {
            r = r.header("cookie", format!("__Host-mcpsec_oidc={c}"));
        }
        r.send()
    };
    // Forged state, or no login cookie (a login CSRF attempt): refused
    // before the code is spent.
    let r = callback("code-1", "forged-state", Some(&login_cookie))
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = callback("code-1", &q["state"], None).await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(provider.state.lock().unwrap().token_requests, 0);
    // The provider reports an error.
    let r = http
        .get(s.url("/api/v1/auth/oidc/callback?error=access_denied&state=x"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    // The real callback: code exchanged with the PKCE verifier, session set.
    let r = callback("code-1", &q["state"], Some(&login_cookie))
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    assert_eq!(r.headers()["location"], "/app/findings");
    let raw = raw_set_cookies(&r);
    let cookies = set_cookies(&r);
    let session = cookies["__Host-mcpsec_session"].clone();
    let csrf = cookies["__Host-mcpsec_csrf"].clone();
    assert_eq!(cookies["__Host-mcpsec_oidc"], "", "login cookie cleared");
    let session_line = raw
        .iter()
        .find(|l| l.starts_with("__Host-mcpsec_session="))
        .unwrap();
    for attr in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/"] {
        assert!(session_line.contains(attr), "{session_line}");
    }

    // The code is single-use: replaying the callback fails at the provider.
    let r = callback("code-1", &q["state"], Some(&login_cookie))
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    // The session cookie authenticates; unsafe methods need the CSRF token.
    let cookie_header = format!("__Host-mcpsec_session={session}");
    let r = http
        .get(s.url("/api/v1/auth/whoami"))
        .header("cookie", &cookie_header)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["subject"], "user:oidc:alice@example.com");
    assert_eq!(v["tenant"], "acme");
    assert_eq!(v["role"], "admin");
    let create = |csrf: Option<&str>| {
        let mut r = http
            .post(s.url("/api/v1/tenants/acme/api-keys"))
            .header("cookie", &cookie_header)
            .json(&json!({"name": "from browser", "role": "viewer"}));
        if let Some(c) = csrf {
            r = r.header("x-csrf-token", c);
        }
        r.send()
    };
    assert_eq!(create(None).await.unwrap().status(), 403);
    assert_eq!(create(Some("wrong")).await.unwrap().status(), 403);
    assert_eq!(create(Some(&csrf)).await.unwrap().status(), 201);

    // The audit log records the OIDC login.
    let audit: Value = client()
        .get(s.url("/api/v1/tenants/acme/audit"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["action"] == "auth.login" && r["details"]["reason"] == "oidc"),
        "{audit}"
    );

    // A nonce mismatch (the ID token was issued for another login) fails.
    let (loc2, cookies2, _) = start("/").await;
    let mut q2: HashMap<String, String> = loc2.query_pairs().into_owned().collect();
    q2.insert("nonce".into(), "some-other-nonce".into());
    grant("code-2", &q2, &["sec-admins"]);
    let r = callback(
        "code-2",
        &q2["state"],
        Some(&cookies2["__Host-mcpsec_oidc"]),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 401);
    // A PKCE mismatch (a code stolen from another login) fails at the provider.
    let (loc3, cookies3, _) = start("/").await;
    let q3: HashMap<String, String> = loc3.query_pairs().into_owned().collect();
    let mut stolen = q3.clone();
    stolen.insert("code_challenge".into(), q["code_challenge"].clone());
    grant("code-3", &stolen, &["sec-admins"]);
    let r = callback(
        "code-3",
        &q3["state"],
        Some(&cookies3["__Host-mcpsec_oidc"]),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 401);
    // An identity whose groups map to no role gets no session.
    let (loc4, cookies4, _) = start("/").await;
    let q4: HashMap<String, String> = loc4.query_pairs().into_owned().collect();
    grant("code-4", &q4, &["staff"]);
    let r = callback(
        "code-4",
        &q4["state"],
        Some(&cookies4["__Host-mcpsec_oidc"]),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 403);
    assert!(!set_cookies(&r).contains_key("__Host-mcpsec_session"));

    // Logout (with the CSRF token) revokes the session and clears the cookies.
    let r = http
        .post(s.url("/api/v1/auth/logout"))
        .header("cookie", &cookie_header)
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(set_cookies(&r)["__Host-mcpsec_session"], "");
    let r = http
        .get(s.url("/api/v1/auth/whoami"))
        .header("cookie", &cookie_header)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test(flavor = "multi_thread")]
async fn unreachable_provider_and_unconfigured_login() {
    let dir = tempfile::tempdir().unwrap();
    // Nothing listens on port 1.
    let s = Server::start(
        &dir.path().join("data"),
        &[],
        &oidc_env("http://127.0.0.1:1"),
    );
    let ec = ec_key("k");
    let t = sign(
        &ec,
        &json!({"iss": "http://127.0.0.1:1", "aud": API_AUDIENCE, "sub": "x", "exp": now() + 60}),
    );
    let (st, v) = call(&s.base, "/api/v1/auth/whoami", &t).await;
    assert_eq!(st, 401, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("cannot be reached"),
        "{v}"
    );
    // API keys keep working while the provider is down.
    assert_eq!(
        call(&s.base, "/api/v1/auth/whoami", TEST_BOOTSTRAP_KEY)
            .await
            .0,
        200
    );
    drop(s);

    let s = Server::start(&dir.path().join("data2"), &[], &[]);
    let r = no_redirects()
        .get(s.url("/api/v1/auth/oidc/login"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}
