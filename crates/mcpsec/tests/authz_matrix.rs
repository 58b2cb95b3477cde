//! The authorization matrix against the running binary: every route × every
//! role (built-in, custom, platform admin, anonymous) × own tenant and a
//! foreign tenant → allowed or denied, as specified here independently of
//! the server's own policy table. A route the server documents but this
//! table does not list fails the test, so new routes must be added here.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::*;
use serde_json::{Value, json};

/// Who may call a route, per the specification in docs/security.md.
#[derive(Debug, Clone, Copy)]
enum Need {
    Public,
    /// A permission on the tenant in the path.
    Tenant(&'static str),
    /// A permission at platform scope.
    Platform(&'static str),
    /// A permission; each event's tenant must be the caller's.
    Events(&'static str),
}

/// Every route: method, template, need. Routes tested elsewhere (login,
/// logout, MFA) are listed in `ELSEWHERE`.
const ROUTES: &[(&str, &str, Need)] = &[
    ("GET", "/healthz", Need::Public),
    ("GET", "/readyz", Need::Public),
    ("GET", "/metrics", Need::Public),
    ("GET", "/api/v1/openapi.json", Need::Public),
    ("POST", "/api/v1/events", Need::Events("events:write")),
    ("POST", "/api/v1/tenants", Need::Platform("tenants:admin")),
    ("GET", "/api/v1/tenants", Need::Platform("tenants:admin")),
    (
        "GET",
        "/api/v1/tenants/{tenant}/assets",
        Need::Tenant("assets:read"),
    ),
    (
        "GET",
        "/api/v1/tenants/{tenant}/findings",
        Need::Tenant("findings:read"),
    ),
    (
        "GET",
        "/api/v1/tenants/{tenant}/findings/{id}",
        Need::Tenant("findings:read"),
    ),
    (
        "POST",
        "/api/v1/tenants/{tenant}/findings/{id}/status",
        Need::Tenant("findings:triage"),
    ),
    (
        "GET",
        "/api/v1/tenants/{tenant}/findings/{id}/history",
        Need::Tenant("findings:read"),
    ),
    (
        "GET",
        "/api/v1/tenants/{tenant}/alerts",
        Need::Tenant("alerts:read"),
    ),
    (
        "GET",
        "/api/v1/tenants/{tenant}/events/count",
        Need::Tenant("events:read"),
    ),
    (
        "GET",
        "/api/v1/tenants/{tenant}/events/{id}",
        Need::Tenant("events:read"),
    ),
    (
        "GET",
        "/api/v1/tenants/{tenant}/rules",
        Need::Tenant("rules:read"),
    ),
    (
        "GET",
        "/api/v1/tenants/{tenant}/rules/{id}",
        Need::Tenant("rules:read"),
    ),
    (
        "PUT",
        "/api/v1/tenants/{tenant}/rules/{id}",
        Need::Tenant("rules:write"),
    ),
    (
        "DELETE",
        "/api/v1/tenants/{tenant}/rules/{id}",
        Need::Tenant("rules:write"),
    ),
    (
        "GET",
        "/api/v1/tenants/{tenant}/entities",
        Need::Tenant("alerts:read"),
    ),
    (
        "POST",
        "/api/v1/tenants/{tenant}/mcp/inventories",
        Need::Tenant("events:write"),
    ),
    (
        "GET",
        "/api/v1/tenants/{tenant}/mcp/servers",
        Need::Tenant("findings:read"),
    ),
    (
        "GET",
        "/api/v1/tenants/{tenant}/mcp/servers/{server}",
        Need::Tenant("findings:read"),
    ),
    (
        "GET",
        "/api/v1/tenants/{tenant}/mcp/servers/{server}/tools",
        Need::Tenant("findings:read"),
    ),
    (
        "GET",
        "/api/v1/tenants/{tenant}/assets/{asset}/posture",
        Need::Tenant("findings:read"),
    ),
    (
        "GET",
        "/api/v1/tenants/{tenant}/assets/{asset}/posture/scans",
        Need::Tenant("findings:read"),
    ),
    (
        "POST",
        "/api/v1/tenants/{tenant}/assets/{asset}/posture/scans",
        Need::Tenant("events:write"),
    ),
    (
        "GET",
        "/api/v1/tenants/{tenant}/posture/policies",
        Need::Tenant("rules:read"),
    ),
    (
        "PUT",
        "/api/v1/tenants/{tenant}/posture/policies/{id}",
        Need::Tenant("rules:write"),
    ),
    (
        "DELETE",
        "/api/v1/tenants/{tenant}/posture/policies/{id}",
        Need::Tenant("rules:write"),
    ),
    (
        "POST",
        "/api/v1/tenants/{tenant}/projects/{id}/sboms",
        Need::Tenant("events:write"),
    ),
    (
        "POST",
        "/api/v1/tenants/{tenant}/rematch",
        Need::Tenant("events:write"),
    ),
    (
        "GET",
        "/api/v1/tenants/{tenant}/compliance/{framework}",
        Need::Tenant("findings:read"),
    ),
    (
        "GET",
        "/api/v1/tenants/{tenant}/api-keys",
        Need::Tenant("keys:manage"),
    ),
    (
        "POST",
        "/api/v1/tenants/{tenant}/api-keys",
        Need::Tenant("keys:manage"),
    ),
    (
        "DELETE",
        "/api/v1/tenants/{tenant}/api-keys/{id}",
        Need::Tenant("keys:manage"),
    ),
    (
        "GET",
        "/api/v1/tenants/{tenant}/users",
        Need::Tenant("users:manage"),
    ),
    (
        "POST",
        "/api/v1/tenants/{tenant}/users",
        Need::Tenant("users:manage"),
    ),
    (
        "PUT",
        "/api/v1/tenants/{tenant}/users/{id}/role",
        Need::Tenant("users:manage"),
    ),
    (
        "GET",
        "/api/v1/tenants/{tenant}/roles",
        Need::Tenant("users:manage"),
    ),
    (
        "PUT",
        "/api/v1/tenants/{tenant}/roles/{name}",
        Need::Tenant("roles:manage"),
    ),
    (
        "GET",
        "/api/v1/tenants/{tenant}/audit",
        Need::Tenant("audit:read"),
    ),
];

/// Authentication routes with their own tests in `auth.rs`.
const ELSEWHERE: &[(&str, &str)] = &[
    ("POST", "/api/v1/auth/login"),
    ("POST", "/api/v1/auth/logout"),
    ("GET", "/api/v1/auth/whoami"),
    ("POST", "/api/v1/auth/mfa/totp/enroll"),
    ("POST", "/api/v1/auth/mfa/totp/confirm"),
    // Public OIDC login flow, tested with a fake provider in `oidc.rs`.
    ("GET", "/api/v1/auth/oidc/login"),
    ("GET", "/api/v1/auth/oidc/callback"),
];

const TENANT_PERMS: &[&str] = &[
    "events:write",
    "events:read",
    "assets:read",
    "findings:read",
    "findings:triage",
    "alerts:read",
    "rules:read",
    "rules:write",
    "audit:read",
    "keys:manage",
    "users:manage",
    "roles:manage",
];

/// The specified permissions of each role.
fn role_permissions(role: &str) -> BTreeSet<&'static str> {
    let all: BTreeSet<_> = TENANT_PERMS.iter().copied().collect();
    match role {
        "platform-admin" => {
            let mut p = all;
            p.insert("tenants:admin");
            p
        }
        "owner" => all,
        "admin" => all.into_iter().filter(|p| *p != "roles:manage").collect(),
        "analyst" => [
            "events:read",
            "assets:read",
            "findings:read",
            "findings:triage",
            "alerts:read",
            "rules:read",
            "rules:write",
        ]
        .into(),
        "viewer" => [
            "events:read",
            "assets:read",
            "findings:read",
            "alerts:read",
            "rules:read",
        ]
        .into(),
        "ingest-only" => ["events:write"].into(),
        "triager" => ["findings:read", "findings:triage"].into(),
        other => panic!("no specification for role {other}"),
    }
}

fn unique(prefix: &str) -> String {
    format!(
        "{prefix}-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..10]
    )
}

async fn call(
    c: &reqwest::Client,
    base: &str,
    method: &str,
    template: &str,
    tenant: &str,
) -> (u16, String) {
    let path = template
        .replace("{tenant}", tenant)
        .replace("{id}", "does-not-exist")
        .replace("{name}", "matrix-role")
        .replace("{asset}", "matrix-asset")
        .replace("{server}", "matrix-server")
        .replace("{framework}", "cis-kubernetes");
    let url = format!("{base}{path}");
    let req = match method {
        "GET" => c.get(&url),
        "POST" => c.post(&url),
        "PUT" => c.put(&url),
        "DELETE" => c.delete(&url),
        m => panic!("method {m}"),
    };
    let req = match (method, template) {
        ("POST", "/api/v1/events") => req.json(&json!([log_event(tenant, &unique("ev"), "h")])),
        ("POST", "/api/v1/tenants") => req.json(&json!({ "id": unique("new") })),
        ("POST", t) if t.ends_with("/status") => req.json(&json!({"status": "triaged"})),
        ("PUT", t) if t.contains("/rules/") => req
            .header("content-type", "application/yaml")
            .body("title: matrix\n"),
        ("POST", t) if t.ends_with("/api-keys") => {
            req.json(&json!({"name": "matrix", "role": "viewer"}))
        }
        ("POST", t) if t.ends_with("/users") => req.json(&json!({
            "username": unique("matrix-user"), "password": "a long enough password", "role": "viewer"
        })),
        ("POST", t) if t.ends_with("/mcp/inventories") => req.json(&json!({"servers": [
            {"server": "matrix-server", "tools": [{"name": "t", "description": "d"}]}
        ]})),
        ("POST", t) if t.ends_with("/posture/scans") => req.json(&json!({"files": {
            "pod.yaml": "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: nginx}]}\n"
        }})),
        ("POST", t) if t.ends_with("/sboms") => req.body(
            r#"{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{"type":"library","name":"lodash","version":"4.17.20","purl":"pkg:npm/lodash@4.17.20"}]}"#,
        ),
        ("PUT", t) if t.ends_with("/role") => req.json(&json!({"role": "viewer"})),
        ("PUT", t) if t.contains("/roles/") => {
            req.json(&json!({"permissions": ["findings:read"]}))
        }
        _ => req,
    };
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.text().await.unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread")]
async fn every_route_every_role_own_and_foreign_tenant() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let s = Server::start(&data, &[], &[]);
    let admin = client();
    create_tenant(&admin, &s.base, "acme").await;
    create_tenant(&admin, &s.base, "other").await;

    // The route table covers every documented route.
    let spec: Value = admin
        .get(s.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut documented = BTreeSet::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            documented.insert((method.to_uppercase(), path.clone()));
        }
    }
    let listed: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(m, p, _)| (m.to_string(), p.to_string()))
        .chain(
            ELSEWHERE
                .iter()
                .map(|(m, p)| (m.to_string(), p.to_string())),
        )
        .collect();
    let missing: Vec<_> = documented.difference(&listed).collect();
    assert!(
        missing.is_empty(),
        "routes without a matrix entry: {missing:?}"
    );

    // A custom role, and a key per role in tenant acme; a platform key from the CLI.
    let r = admin
        .put(s.url("/api/v1/tenants/acme/roles/triager"))
        .json(&json!({"permissions": ["findings:read", "findings:triage"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let mut keys: BTreeMap<&str, String> = BTreeMap::new();
    for role in [
        "owner",
        "admin",
        "analyst",
        "viewer",
        "ingest-only",
        "triager",
    ] {
        let r = admin
            .post(s.url("/api/v1/tenants/acme/api-keys"))
            .json(&json!({"name": format!("matrix {role}"), "role": role}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{role}: {}", r.text().await.unwrap());
        let v: Value = r.json().await.unwrap();
        keys.insert(role, v["key"].as_str().unwrap().to_string());
    }
    let platform_key = cli(
        &data,
        &[
            "admin",
            "create-api-key",
            "--role",
            "platform-admin",
            "--name",
            "matrix",
        ],
        &[],
    );
    keys.insert("platform-admin", platform_key.trim().to_string());

    let anonymous = anonymous_client();
    let mut failures = Vec::new();
    let mut checked = 0;
    for (method, template, need) in ROUTES {
        // Anonymous callers: public routes only.
        let (st, body) = call(&anonymous, &s.base, method, template, "acme").await;
        let public = matches!(need, Need::Public);
        if public == (st == 401) {
            failures.push(format!("anonymous {method} {template}: {st} {body}"));
        }
        checked += 1;
        for (role, key) in &keys {
            let c = client_with_key(key);
            let perms = role_permissions(role);
            let platform = *role == "platform-admin";
            let targets: &[(&str, bool)] = match need {
                Need::Platform(_) | Need::Public => &[("acme", true)],
                _ => &[("acme", true), ("other", false)],
            };
            for (tenant, own) in targets {
                let allowed = match need {
                    Need::Public => true,
                    Need::Platform(p) => platform && perms.contains(p),
                    Need::Tenant(p) | Need::Events(p) => perms.contains(p) && (*own || platform),
                };
                let (st, body) = call(&c, &s.base, method, template, tenant).await;
                checked += 1;
                let ok = if allowed {
                    st != 401 && st != 403 && st < 500
                } else {
                    st == 403
                };
                if !ok {
                    failures.push(format!(
                        "{role} on {tenant} {method} {template}: expected {}, got {st} {body}",
                        if allowed { "allowed" } else { "403" }
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} checks failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!("authorization matrix: {checked} checks passed");
}

/// GraphQL fields and live-stream kinds: the permission each needs on its
/// tenant (docs/graphql-and-stream.md), independently of the server's code.
const GRAPHQL_FIELDS: &[(&str, &str)] = &[
    (
        r#"{ tenant(id: "$T") { assets(first: 1) { edges { cursor } } } }"#,
        "assets:read",
    ),
    (
        r#"{ tenant(id: "$T") { findings(first: 1) { edges { cursor } } } }"#,
        "findings:read",
    ),
    (
        r#"{ tenant(id: "$T") { alerts(first: 1) { edges { cursor } } } }"#,
        "alerts:read",
    ),
    (r#"{ tenant(id: "$T") { eventCount } }"#, "events:read"),
    (r#"{ tenant(id: "$T") { rules { id } } }"#, "rules:read"),
    (
        r#"mutation { transitionFinding(tenant: "$T", id: "does-not-exist", status: TRIAGED) { id } }"#,
        "findings:triage",
    ),
];

const STREAM_KINDS: &[(&str, &str)] = &[
    ("alerts", "alerts:read"),
    ("findings", "findings:read"),
    ("scan_progress", "assets:read"),
    ("logs", "events:read"),
];

#[tokio::test(flavor = "multi_thread")]
async fn graphql_and_stream_every_role_own_and_foreign_tenant() {
    use futures::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;

    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let s = Server::start(&data, &[], &[]);
    let admin = client();
    create_tenant(&admin, &s.base, "acme").await;
    create_tenant(&admin, &s.base, "other").await;
    let r = admin
        .put(s.url("/api/v1/tenants/acme/roles/triager"))
        .json(&json!({"permissions": ["findings:read", "findings:triage"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let mut keys: BTreeMap<&str, String> = BTreeMap::new();
    for role in [
        "owner",
        "admin",
        "analyst",
        "viewer",
        "ingest-only",
        "triager",
    ] {
        let r = admin
            .post(s.url("/api/v1/tenants/acme/api-keys"))
            .json(&json!({"name": format!("matrix {role}"), "role": role}))
            .send()
            .await
            .unwrap();
        let v: Value = r.json().await.unwrap();
        keys.insert(role, v["key"].as_str().unwrap().to_string());
    }
    let platform_key = cli(
        &data,
        &[
            "admin",
            "create-api-key",
            "--role",
            "platform-admin",
            "--name",
            "matrix",
        ],
        &[],
    );
    keys.insert("platform-admin", platform_key.trim().to_string());

    let mut failures = Vec::new();
    let mut checked = 0;
    // Anonymous GraphQL: 401.
    let r = anonymous_client()
        .post(s.url("/graphql"))
        .json(&json!({"query": "{ me { subject } }"}))
        .send()
        .await
        .unwrap();
    if r.status() != 401 {
        failures.push(format!("anonymous POST /graphql: {}", r.status()));
    }
    for (role, key) in &keys {
        let perms = role_permissions(role);
        let platform = *role == "platform-admin";
        let c = client_with_key(key);
        let mut req = s
            .url("/api/v1/stream")
            .replacen("http://", "ws://", 1)
            .into_client_request()
            .unwrap();
        req.headers_mut()
            .insert("authorization", format!("Bearer {key}").parse().unwrap());
        let (mut ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
        for (tenant, own) in [("acme", true), ("other", false)] {
            for (query, perm) in GRAPHQL_FIELDS {
                let allowed = perms.contains(perm) && (own || platform);
                let r = c
                    .post(s.url("/graphql"))
                    .json(&json!({"query": query.replace("$T", tenant)}))
                    .send()
                    .await
                    .unwrap();
                let status = r.status().as_u16();
                let v: Value = r.json().await.unwrap_or(Value::Null);
                let forbidden = v["errors"]
                    .as_array()
                    .is_some_and(|e| e.iter().any(|e| e["extensions"]["code"] == "forbidden"));
                checked += 1;
                if status != 200 || forbidden == allowed {
                    failures.push(format!(
                        "{role} on {tenant} GraphQL {query}: expected {}, got {status} {v}",
                        if allowed { "allowed" } else { "forbidden" }
                    ));
                }
            }
            for (kind, perm) in STREAM_KINDS {
                let allowed = perms.contains(perm) && (own || platform);
                let id = format!("{tenant}-{kind}");
                let msg = json!({"type": "subscribe", "id": id, "kinds": [kind], "tenant": tenant});
                ws.send(Message::Text(msg.to_string().into()))
                    .await
                    .unwrap();
                let answer = loop {
                    let m = tokio::time::timeout(std::time::Duration::from_secs(20), ws.next())
                        .await
                        .expect("stream answer")
                        .expect("stream open")
                        .unwrap();
                    if let Message::Text(t) = m {
                        let v: Value = serde_json::from_str(&t).unwrap();
                        if v["subscription"] == id.as_str() {
                            break v;
                        }
                    }
                };
                checked += 1;
                let got_allowed = answer["type"] == "subscribed";
                let got_forbidden = answer["type"] == "error" && answer["code"] == "forbidden";
                if !(allowed && got_allowed || !allowed && got_forbidden) {
                    failures.push(format!(
                        "{role} on {tenant} stream {kind}: expected {}, got {answer}",
                        if allowed { "subscribed" } else { "forbidden" }
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} checks failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!("GraphQL and stream authorization matrix: {checked} checks passed");
}
