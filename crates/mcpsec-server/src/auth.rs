//! Authentication and authorization of the HTTP API, enforced in one place.
//!
//! Every route of [`router_with`](crate::api::router_with) has an entry in
//! [`ROUTE_POLICY`]: public, any authenticated caller, or a [`Permission`] on
//! the `{tenant}` of the path, on the platform, or per item (event ingest,
//! where each event's tenant is checked by the handler through
//! [`Principal::authorize`]). The [`enforce`] middleware runs after routing,
//! authenticates `Authorization: Bearer <token>`, applies the route's policy
//! and the per-credential rate limit, and hands the [`Principal`] to the
//! handler as a request extension. A route without a policy is refused
//! (fail closed), so a new route must be added to the table.
//!
//! Credentials: API keys and login sessions (`mcpsec_<id>_<secret>`, stored as
//! SHA-256 of the secret, verified in constant time, cached for
//! [`AuthSettings::cache_ttl`]), the configured bootstrap key (a
//! platform-admin credential for first setup and tests), JWT bearer tokens
//! of the configured OIDC provider ([`oidc`]), and, without an
//! `Authorization` header, the session cookie of a browser ([`session`];
//! unsafe methods then need the CSRF token).
//!
//! Also here: the login, MFA, API-key, user, role and audit routes
//! ([`routes`]), Argon2id passwords ([`password`]), TOTP ([`totp`]) and the
//! rate limiter, in memory or shared through Redis ([`ratelimit`]).

pub mod oidc;
pub mod password;
pub mod ratelimit;
pub mod routes;
pub mod session;
pub mod totp;

pub(crate) use mcpsec_core::auth::constant_time_eq;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, RawPathParams, Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use mcpsec_core::auth::{
    ApiKeyRecord, BuiltinRole, KeyKind, NewAuditRecord, Permission, PermissionSet, Principal,
    format_key, hash_secret, parse_key, verify_secret,
};
use mcpsec_core::store::Store;
use mcpsec_core::{ErrorCode, Secret, TenantId};

use crate::error::ApiError;

/// Access-control settings of the API.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    /// A credential accepted as `platform-admin` (`auth.bootstrap_api_key`).
    pub bootstrap_api_key: Option<Secret>,
    /// Lifetime of a login session.
    pub session_ttl: Duration,
    /// How long a verified key is trusted without reading the store again
    /// (revocation through another process takes effect within this time).
    pub cache_ttl: Duration,
    /// Failed logins before the account is locked.
    pub lockout_threshold: u32,
    /// First lockout; each further failure doubles it, up to `lockout_max`.
    pub lockout_base: Duration,
    pub lockout_max: Duration,
    /// Requests per second per credential (0: unlimited) and burst size.
    pub rate_limit_per_second: u32,
    pub rate_limit_burst: u32,
    /// Requests per second per tenant, over all its credentials (0: no
    /// tenant limit) and burst size.
    pub rate_limit_tenant_per_second: u32,
    pub rate_limit_tenant_burst: u32,
    /// Keep the rate-limit buckets in this Redis server (shared by all API
    /// processes) instead of in memory.
    pub rate_limit_redis_url: Option<Secret>,
    /// The OIDC provider for JWT bearer tokens and browser login.
    pub oidc: Option<oidc::OidcSettings>,
    /// Session cookies get `Secure` and the `__Host-` prefix (turn off only
    /// for plain-http development).
    pub cookie_secure: bool,
    /// The `[secrets]` keyring: users' TOTP secrets are stored as envelopes
    /// under it (in plain base32 when no key is configured).
    pub keyring: Option<Arc<mcpsec_secrets::Keyring>>,
}

impl Default for AuthSettings {
    fn default() -> Self {
        AuthSettings {
            bootstrap_api_key: None,
            session_ttl: Duration::from_secs(12 * 3600),
            cache_ttl: Duration::from_secs(10),
            lockout_threshold: 5,
            lockout_base: Duration::from_secs(30),
            lockout_max: Duration::from_secs(15 * 60),
            rate_limit_per_second: 100,
            rate_limit_burst: 1000,
            rate_limit_tenant_per_second: 0,
            rate_limit_tenant_burst: 0,
            rate_limit_redis_url: None,
            oidc: None,
            cookie_secure: true,
            keyring: None,
        }
    }
}

/// The shortest bootstrap key accepted.
pub const MIN_BOOTSTRAP_KEY_LEN: usize = 24;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// No credential needed.
    Public,
    /// Any valid credential (the handler decides the rest, e.g. `whoami`).
    Authenticated,
    /// The permission on the `{tenant}` path parameter.
    Tenant(Permission),
    /// The permission at platform scope (platform-admin credentials only).
    Platform(Permission),
    /// The permission; the handler authorizes each item's tenant.
    PerItem(Permission),
}

/// The access policy of every route: `(method, route template, policy)`.
pub const ROUTE_POLICY: &[(&str, &str, Policy)] = {
    use Permission::*;
    use Policy::*;
    &[
        ("GET", "/healthz", Public),
        ("GET", "/readyz", Public),
        ("GET", "/metrics", Public),
        ("GET", "/api/v1/openapi.json", Public),
        ("POST", "/api/v1/auth/login", Public),
        ("GET", "/api/v1/auth/oidc/login", Public),
        ("GET", "/api/v1/auth/oidc/callback", Public),
        ("POST", "/api/v1/auth/logout", Authenticated),
        ("GET", "/api/v1/auth/whoami", Authenticated),
        ("POST", "/api/v1/auth/mfa/totp/enroll", Authenticated),
        ("POST", "/api/v1/auth/mfa/totp/confirm", Authenticated),
        ("POST", "/api/v1/events", PerItem(EventsWrite)),
        // GraphQL: resolvers authorize each field on its tenant
        // (`graphql.rs`). The WebSocket upgrades (GraphQL subscriptions and
        // the live stream) authenticate in the handler, from the header or
        // the first message (browsers cannot set headers on a WebSocket),
        // and authorize each subscription.
        ("POST", "/graphql", Authenticated),
        ("GET", "/graphql", Public),
        ("GET", "/graphql/playground", Public),
        ("GET", "/api/v1/stream", Public),
        ("POST", "/api/v1/tenants", Platform(TenantsAdmin)),
        ("GET", "/api/v1/tenants", Platform(TenantsAdmin)),
        ("GET", "/api/v1/tenants/{tenant}/assets", Tenant(AssetsRead)),
        (
            "GET",
            "/api/v1/tenants/{tenant}/findings",
            Tenant(FindingsRead),
        ),
        (
            "GET",
            "/api/v1/tenants/{tenant}/findings/{id}",
            Tenant(FindingsRead),
        ),
        (
            "POST",
            "/api/v1/tenants/{tenant}/findings/{id}/status",
            Tenant(FindingsTriage),
        ),
        (
            "GET",
            "/api/v1/tenants/{tenant}/findings/{id}/history",
            Tenant(FindingsRead),
        ),
        ("GET", "/api/v1/tenants/{tenant}/alerts", Tenant(AlertsRead)),
        (
            "GET",
            "/api/v1/tenants/{tenant}/events/count",
            Tenant(EventsRead),
        ),
        (
            "GET",
            "/api/v1/tenants/{tenant}/events/{id}",
            Tenant(EventsRead),
        ),
        ("GET", "/api/v1/tenants/{tenant}/rules", Tenant(RulesRead)),
        (
            "GET",
            "/api/v1/tenants/{tenant}/rules/{id}",
            Tenant(RulesRead),
        ),
        (
            "PUT",
            "/api/v1/tenants/{tenant}/rules/{id}",
            Tenant(RulesWrite),
        ),
        (
            "DELETE",
            "/api/v1/tenants/{tenant}/rules/{id}",
            Tenant(RulesWrite),
        ),
        (
            "GET",
            "/api/v1/tenants/{tenant}/entities",
            Tenant(AlertsRead),
        ),
        (
            "POST",
            "/api/v1/tenants/{tenant}/mcp/inventories",
            Tenant(EventsWrite),
        ),
        (
            "GET",
            "/api/v1/tenants/{tenant}/mcp/servers",
            Tenant(FindingsRead),
        ),
        (
            "GET",
            "/api/v1/tenants/{tenant}/mcp/servers/{server}",
            Tenant(FindingsRead),
        ),
        (
            "GET",
            "/api/v1/tenants/{tenant}/mcp/servers/{server}/tools",
            Tenant(FindingsRead),
        ),
        (
            "GET",
            "/api/v1/tenants/{tenant}/assets/{asset}/posture",
            Tenant(FindingsRead),
        ),
        (
            "GET",
            "/api/v1/tenants/{tenant}/assets/{asset}/posture/scans",
            Tenant(FindingsRead),
        ),
        (
            "POST",
            "/api/v1/tenants/{tenant}/assets/{asset}/posture/scans",
            Tenant(EventsWrite),
        ),
        (
            "GET",
            "/api/v1/tenants/{tenant}/posture/policies",
            Tenant(RulesRead),
        ),
        (
            "PUT",
            "/api/v1/tenants/{tenant}/posture/policies/{id}",
            Tenant(RulesWrite),
        ),
        (
            "DELETE",
            "/api/v1/tenants/{tenant}/posture/policies/{id}",
            Tenant(RulesWrite),
        ),
        (
            "POST",
            "/api/v1/tenants/{tenant}/projects/{id}/sboms",
            Tenant(EventsWrite),
        ),
        (
            "POST",
            "/api/v1/tenants/{tenant}/rematch",
            Tenant(EventsWrite),
        ),
        (
            "GET",
            "/api/v1/tenants/{tenant}/compliance/{framework}",
            Tenant(FindingsRead),
        ),
        (
            "GET",
            "/api/v1/tenants/{tenant}/api-keys",
            Tenant(KeysManage),
        ),
        (
            "POST",
            "/api/v1/tenants/{tenant}/api-keys",
            Tenant(KeysManage),
        ),
        (
            "DELETE",
            "/api/v1/tenants/{tenant}/api-keys/{id}",
            Tenant(KeysManage),
        ),
        ("GET", "/api/v1/tenants/{tenant}/users", Tenant(UsersManage)),
        (
            "POST",
            "/api/v1/tenants/{tenant}/users",
            Tenant(UsersManage),
        ),
        (
            "PUT",
            "/api/v1/tenants/{tenant}/users/{id}/role",
            Tenant(UsersManage),
        ),
        ("GET", "/api/v1/tenants/{tenant}/roles", Tenant(UsersManage)),
        (
            "PUT",
            "/api/v1/tenants/{tenant}/roles/{name}",
            Tenant(RolesManage),
        ),
        ("GET", "/api/v1/tenants/{tenant}/audit", Tenant(AuditRead)),
    ]
};

/// The policy of a route, `None` when the route has none (refused).
pub fn policy_for(method: &Method, route: &str) -> Option<Policy> {
    // HEAD is answered by the GET handler (without the body).
    let method = if method == Method::HEAD {
        "GET"
    } else {
        method.as_str()
    };
    ROUTE_POLICY
        .iter()
        .find(|(m, r, _)| *r == route && method == *m)
        .map(|(_, _, p)| *p)
}

/// A verified key, trusted until `until`.
#[derive(Clone)]
struct CachedKey {
    secret_hash: String,
    principal: Principal,
    expires_at: Option<DateTime<Utc>>,
    until: Instant,
}

/// Verifies credentials and resolves roles; shared by every request.
pub struct Authenticator {
    store: Arc<dyn Store>,
    pub settings: AuthSettings,
    bootstrap_hash: Option<String>,
    cache: Mutex<HashMap<String, CachedKey>>,
    /// When each key's last use was last written (written at most once a minute).
    touched: Mutex<HashMap<String, Instant>>,
    /// Per-credential/user buckets (in memory or Redis).
    principal_limiter: ratelimit::Limiter,
    /// Per-tenant buckets, when a tenant limit is set.
    tenant_limiter: Option<ratelimit::Limiter>,
    pub(crate) oidc: Option<Arc<oidc::OidcProvider>>,
    pub(crate) cookies: session::Cookies,
    /// Bumped whenever a credential is revoked in this process, so open
    /// WebSocket connections re-check theirs at once.
    revocations: tokio::sync::watch::Sender<u64>,
}

fn build_limiter(
    settings: &AuthSettings,
    prefix: &str,
    rate: u32,
    burst: u32,
) -> ratelimit::Limiter {
    if let Some(url) = settings
        .rate_limit_redis_url
        .as_ref()
        .filter(|u| !u.expose().is_empty())
    {
        match ratelimit::RedisLimiter::new(url.expose(), prefix, rate, burst) {
            Ok(l) => return ratelimit::Limiter::Redis(Box::new(l)),
            Err(e) => tracing::error!(error = %e, "rate limits stay in memory"),
        }
    }
    ratelimit::Limiter::Memory(ratelimit::RateLimiter::new(rate, burst))
}

/// Checks the settings that cannot be checked by their types.
pub fn validate_settings(settings: &AuthSettings) -> Result<(), String> {
    if let Some(url) = settings
        .rate_limit_redis_url
        .as_ref()
        .filter(|u| !u.expose().starts_with("mcpsec:enc:") && !u.expose().starts_with("vault-kv:"))
    {
        ratelimit::RedisLimiter::new(url.expose(), "", 1, 1).map_err(|e| e.to_string())?;
    }
    if let Some(o) = &settings.oidc {
        o.validate()?;
    }
    Ok(())
}

fn unauthenticated(msg: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::Unauthenticated, msg)
}

fn forbidden(msg: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::Forbidden, msg)
}

const BAD_CREDENTIAL: &str =
    "invalid credential: send `Authorization: Bearer <API key or session token>`";

impl Authenticator {
    pub fn new(store: Arc<dyn Store>, settings: AuthSettings) -> Authenticator {
        let bootstrap_hash = settings
            .bootstrap_api_key
            .as_ref()
            .filter(|k| !k.expose().is_empty())
            .map(|k| hash_secret(k.expose()));
        let principal_limiter = build_limiter(
            &settings,
            "mcpsec:rl:p:",
            settings.rate_limit_per_second,
            settings.rate_limit_burst,
        );
        let tenant_limiter = (settings.rate_limit_tenant_per_second > 0).then(|| {
            build_limiter(
                &settings,
                "mcpsec:rl:t:",
                settings.rate_limit_tenant_per_second,
                settings.rate_limit_tenant_burst,
            )
        });
        let oidc = settings
            .oidc
            .clone()
            .map(|o| Arc::new(oidc::OidcProvider::new(o)));
        let cookies = session::Cookies {
            secure: settings.cookie_secure,
        };
        Authenticator {
            store,
            settings,
            bootstrap_hash,
            cache: Mutex::new(HashMap::new()),
            touched: Mutex::new(HashMap::new()),
            principal_limiter,
            tenant_limiter,
            oidc,
            cookies,
            revocations: tokio::sync::watch::Sender::new(0),
        }
    }

    /// Notified (a new value) whenever a credential is revoked in this
    /// process.
    pub fn revocations(&self) -> tokio::sync::watch::Receiver<u64> {
        self.revocations.subscribe()
    }

    /// Authenticates `token` again for a long-lived connection, reading the
    /// store instead of the key cache, so a revocation through another
    /// process, an expiry, a removed role or a disabled user is seen now.
    pub async fn revalidate(&self, token: &str) -> Result<Principal, ApiError> {
        self.authenticate_with(token, true).await
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The rate-limit verdict for one request of `principal`: its own bucket
    /// (per API key; per user for sessions and OIDC tokens) and its tenant's.
    pub async fn rate_check(&self, principal: &Principal) -> ratelimit::Verdict {
        let own = match (&principal.user_id, &principal.key_id) {
            (Some(u), _) => format!("user:{u}"),
            (None, Some(k)) => format!("key:{k}"),
            (None, None) => principal.subject.clone(),
        };
        let mut v = self.principal_limiter.check(&own).await;
        if v.allowed
            && let (Some(l), Some(t)) = (&self.tenant_limiter, &principal.tenant)
        {
            v = v.min(l.check(t.as_str()).await);
        }
        v
    }

    /// Maps validated OIDC claims to a principal.
    pub async fn oidc_principal(
        &self,
        provider: &oidc::OidcProvider,
        claims: &oidc::Claims,
    ) -> Result<Principal, ApiError> {
        let (tenant, roles) = provider
            .map_claims(claims)
            .map_err(|e| forbidden(e.to_string()))?;
        let tenant = match tenant {
            Some(t) => Some(TenantId::new(t.clone()).map_err(|e| {
                forbidden(format!("the token's tenant {t:?} is not a tenant id: {e}"))
            })?),
            None => None,
        };
        // Of several roles, the one with the most permissions.
        let mut best: Option<(String, PermissionSet)> = None;
        let mut last_err = None;
        for role in roles {
            match resolve_role(self.store.as_ref(), tenant.as_ref(), &role).await {
                Ok(p) => {
                    if best
                        .as_ref()
                        .is_none_or(|(_, b)| p.iter().count() > b.iter().count())
                    {
                        best = Some((role, p));
                    }
                }
                Err(e) => last_err = Some(e),
            }
        }
        let Some((role, permissions)) = best else {
            let why = last_err.map(|e| e.message).unwrap_or_default();
            return Err(forbidden(format!(
                "the token's role is not usable here: {why}"
            )));
        };
        let sub = claims
            .get("sub")
            .and_then(|v| v.as_str())
            .unwrap_or_default();
        Ok(Principal {
            subject: format!("oidc:{sub}"),
            tenant,
            role,
            permissions,
            key_id: None,
            user_id: Some(format!("oidc:{sub}")),
        })
    }

    /// Authenticates a bearer token.
    pub async fn authenticate(&self, token: &str) -> Result<Principal, ApiError> {
        self.authenticate_with(token, false).await
    }

    async fn authenticate_with(&self, token: &str, fresh: bool) -> Result<Principal, ApiError> {
        if let Some(provider) = &self.oidc
            && oidc::looks_like_jwt(token)
        {
            let claims = provider.validate_bearer(token).await.map_err(|e| {
                if let oidc::OidcError::Provider(_) = e {
                    tracing::warn!(error = %e, "OIDC provider unavailable");
                }
                unauthenticated(e.to_string())
            })?;
            return self.oidc_principal(provider, &claims).await;
        }
        if let Some(hash) = &self.bootstrap_hash
            && verify_secret(token, hash)
        {
            return Ok(Principal {
                subject: "bootstrap".into(),
                tenant: None,
                role: BuiltinRole::PlatformAdmin.as_str().into(),
                permissions: BuiltinRole::PlatformAdmin.permissions(),
                key_id: None,
                user_id: None,
            });
        }
        let (id, secret) = parse_key(token).ok_or_else(|| unauthenticated(BAD_CREDENTIAL))?;
        let now = Utc::now();
        let cached = self
            .cache
            .lock()
            .expect("lock")
            .get(id)
            .filter(|c| !fresh && c.until > Instant::now())
            .cloned();
        let entry = match cached {
            Some(c) => c,
            None => {
                let record = self
                    .store
                    .find_api_key(id)
                    .await?
                    .ok_or_else(|| unauthenticated(BAD_CREDENTIAL))?;
                if !verify_secret(secret, &record.secret_hash) {
                    return Err(unauthenticated(BAD_CREDENTIAL));
                }
                if let Some(why) = record.unusable(now) {
                    return Err(unauthenticated(format!("this credential is {why}")));
                }
                // A session ends with its local user (OIDC sessions have
                // no user record: `oidc:<sub>`).
                if let (KeyKind::Session, Some(uid)) = (record.kind, &record.user_id)
                    && !uid.starts_with("oidc:")
                {
                    match self.store.get_user(record.tenant.as_ref(), uid).await? {
                        None => {
                            return Err(unauthenticated("the session's user no longer exists"));
                        }
                        Some(u) if u.disabled => {
                            return Err(unauthenticated("the session's user is disabled"));
                        }
                        Some(_) => {}
                    }
                }
                let permissions =
                    resolve_role(self.store.as_ref(), record.tenant.as_ref(), &record.role)
                        .await
                        .map_err(|e| {
                            if e.code == ErrorCode::InvalidArgument {
                                unauthenticated(format!(
                                    "the credential's role is gone: {}",
                                    e.message
                                ))
                            } else {
                                e
                            }
                        })?;
                let subject = match (record.kind, &record.user_id) {
                    (KeyKind::Session, Some(u)) => format!("user:{u}"),
                    _ => format!("key:{}", record.id),
                };
                let entry = CachedKey {
                    secret_hash: record.secret_hash.clone(),
                    principal: Principal {
                        subject,
                        tenant: record.tenant.clone(),
                        role: record.role.clone(),
                        permissions,
                        key_id: Some(record.id.clone()),
                        user_id: record.user_id.clone(),
                    },
                    expires_at: record.expires_at,
                    until: Instant::now() + self.settings.cache_ttl,
                };
                self.cache
                    .lock()
                    .expect("lock")
                    .insert(id.to_string(), entry.clone());
                entry
            }
        };
        if !verify_secret(secret, &entry.secret_hash) {
            return Err(unauthenticated(BAD_CREDENTIAL));
        }
        if entry.expires_at.is_some_and(|e| e <= now) {
            return Err(unauthenticated("this credential is expired"));
        }
        self.touch(id, now);
        Ok(entry.principal)
    }

    /// Records the key's last use, at most once a minute per key.
    fn touch(&self, id: &str, now: DateTime<Utc>) {
        {
            let mut touched = self.touched.lock().expect("lock");
            if touched
                .get(id)
                .is_some_and(|t| t.elapsed() < Duration::from_secs(60))
            {
                return;
            }
            touched.insert(id.to_string(), Instant::now());
        }
        let store = self.store.clone();
        let id = id.to_string();
        tokio::spawn(async move {
            if let Err(e) = store.touch_api_key(&id, now).await {
                tracing::debug!(key = %id, error = %e, "recording key use failed");
            }
        });
    }

    /// Forgets a cached key (after revoking it).
    pub fn forget(&self, id: &str) {
        self.cache.lock().expect("lock").remove(id);
        self.revocations.send_modify(|n| *n = n.wrapping_add(1));
    }
}

/// The permissions of `role` in `tenant` (`None`: platform scope): a built-in
/// role, or a custom role of the tenant. `InvalidArgument` when there is no
/// such role in that scope.
pub async fn resolve_role(
    store: &dyn Store,
    tenant: Option<&TenantId>,
    role: &str,
) -> Result<PermissionSet, ApiError> {
    match (BuiltinRole::parse(role), tenant) {
        (Some(BuiltinRole::PlatformAdmin), None) => Ok(BuiltinRole::PlatformAdmin.permissions()),
        (Some(BuiltinRole::PlatformAdmin), Some(_)) => Err(ApiError::new(
            ErrorCode::InvalidArgument,
            "platform-admin is a platform-scope role; it cannot be given inside a tenant",
        )),
        (Some(_), None) => Err(ApiError::new(
            ErrorCode::InvalidArgument,
            format!("only platform-admin exists at platform scope, not {role:?}"),
        )),
        (Some(r), Some(_)) => Ok(r.permissions()),
        (None, None) => Err(ApiError::new(
            ErrorCode::InvalidArgument,
            format!("unknown role {role:?}"),
        )),
        (None, Some(t)) => match store.get_role(t, role).await? {
            Some(custom) => Ok(custom.permissions),
            None => Err(ApiError::new(
                ErrorCode::InvalidArgument,
                format!(
                    "unknown role {role:?}: not a built-in role ({}) nor a custom role of tenant {t}",
                    tenant_roles().join(", ")
                ),
            )),
        },
    }
}

/// Names of the built-in roles that exist inside a tenant.
pub fn tenant_roles() -> Vec<&'static str> {
    BuiltinRole::ALL
        .iter()
        .filter(|r| **r != BuiltinRole::PlatformAdmin)
        .map(|r| r.as_str())
        .collect()
}

/// Checks that `principal` may hand out `role` in `tenant`: the role exists
/// there and grants nothing the principal does not hold itself.
pub async fn check_grant(
    store: &dyn Store,
    principal: &Principal,
    tenant: Option<&TenantId>,
    role: &str,
) -> Result<PermissionSet, ApiError> {
    let perms = resolve_role(store, tenant, role).await?;
    if !principal.permissions.includes(perms) {
        return Err(forbidden(format!(
            "role {role:?} has permissions your role {:?} lacks",
            principal.role
        )));
    }
    Ok(perms)
}

/// A new random API key or session: the record to store and the token to show once.
pub fn new_key(
    tenant: Option<TenantId>,
    role: &str,
    name: &str,
    kind: KeyKind,
    user_id: Option<String>,
    expires_at: Option<DateTime<Utc>>,
) -> (ApiKeyRecord, String) {
    let id = password::random_token(16);
    // 43 characters of 62 symbols: 256 bits, the size of a 32-byte secret.
    let secret = password::random_token(43);
    let record = ApiKeyRecord {
        id: id.clone(),
        tenant,
        role: role.to_string(),
        secret_hash: hash_secret(&secret),
        name: name.to_string(),
        kind,
        user_id,
        created_at: Utc::now(),
        expires_at,
        revoked_at: None,
        last_used_at: None,
    };
    (record, format_key(&id, &secret))
}

/// Appends to the audit log; a failure is logged, not returned (the action
/// it records has already happened).
pub async fn audit(store: &dyn Store, record: NewAuditRecord) {
    let action = record.action.clone();
    if let Err(e) = store.append_audit(record).await {
        tracing::error!(%action, error = %e, "writing the audit record failed");
    }
}

/// A new audit record of `principal` doing `action`.
pub fn audit_record(
    principal: &Principal,
    tenant: Option<&TenantId>,
    action: &str,
    target: Option<&str>,
    details: &[(&str, &str)],
) -> NewAuditRecord {
    NewAuditRecord {
        at: Utc::now(),
        tenant: tenant.cloned(),
        actor: principal.subject.clone(),
        action: action.to_string(),
        target: target.map(str::to_string),
        outcome: "success".into(),
        details: details
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    }
}

fn bearer(req: &Request) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The middleware that enforces [`ROUTE_POLICY`] (see the module docs).
pub async fn enforce(
    State(auth): State<Arc<Authenticator>>,
    params: Result<RawPathParams, axum::extract::rejection::RawPathParamsRejection>,
    mut req: Request,
    next: Next,
) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    let Some(policy) = policy_for(req.method(), &route) else {
        // A method the route does not have: 405 with the ones it has.
        let allowed: Vec<&str> = ROUTE_POLICY
            .iter()
            .filter(|(_, r, _)| *r == route)
            .map(|(m, _, _)| *m)
            .collect();
        if !allowed.is_empty() {
            return (
                axum::http::StatusCode::METHOD_NOT_ALLOWED,
                [(header::ALLOW, allowed.join(", "))],
            )
                .into_response();
        }
        tracing::error!(method = %req.method(), %route, "route has no access policy; add it to ROUTE_POLICY in mcpsec-server/src/auth.rs");
        return forbidden(format!(
            "{} {route} has no access policy (a server bug)",
            req.method()
        ))
        .into_response();
    };
    if policy == Policy::Public {
        return next.run(req).await;
    }
    let session_cookie = auth.cookies.session_name();
    let principal = match bearer(&req) {
        Some(token) => match auth.authenticate(token).await {
            Ok(p) => p,
            Err(e) => return challenge(e),
        },
        None => match session::cookie(req.headers(), &session_cookie) {
            Some(token) => {
                let p = match auth.authenticate(token).await {
                    Ok(p) => p,
                    Err(e) => return challenge(e),
                };
                if session::is_unsafe(req.method()) && !session::csrf_ok(req.headers(), token) {
                    metrics::counter!("mcpsec_auth_csrf_refused_total").increment(1);
                    return forbidden(format!(
                        "CSRF check failed: a request authenticated by the session cookie must send the `{}` cookie's value in the `X-CSRF-Token` header",
                        auth.cookies.csrf_name()
                    ))
                    .into_response();
                }
                p
            }
            None => {
                return challenge(unauthenticated(
                    "authentication required: send `Authorization: Bearer <API key or session token>`",
                ));
            }
        },
    };
    let tenant_param = params.ok().and_then(|p| {
        p.iter()
            .find(|(k, _)| *k == "tenant")
            .map(|(_, v)| v.to_string())
    });
    let decision = match policy {
        Policy::Public | Policy::Authenticated => Ok(()),
        Policy::Platform(p) => principal.authorize(p, None),
        Policy::PerItem(p) => {
            if principal.permissions.contains(p) {
                Ok(())
            } else {
                Err(mcpsec_core::auth::Denied::MissingPermission {
                    role: principal.role.clone(),
                    permission: p,
                })
            }
        }
        Policy::Tenant(p) => {
            let raw = tenant_param.unwrap_or_default();
            let tenant = match TenantId::new(raw.clone()) {
                Ok(t) => t,
                Err(e) => {
                    return ApiError::new(
                        ErrorCode::InvalidArgument,
                        format!("tenant {raw:?}: {e}"),
                    )
                    .into_response();
                }
            };
            principal.authorize(p, Some(&tenant))
        }
    };
    if let Err(denied) = decision {
        metrics::counter!("mcpsec_auth_denied_total", "route" => route).increment(1);
        return forbidden(denied.to_string()).into_response();
    }
    let verdict = auth.rate_check(&principal).await;
    if !verdict.allowed {
        let mut r = ApiError::new(
            ErrorCode::RateLimited,
            format!(
                "rate limit of {} requests (refilled over {} s) exceeded; retry after {} s",
                verdict.limit, verdict.window_secs, verdict.reset_secs
            ),
        )
        .into_response();
        verdict.apply(r.headers_mut());
        if let Ok(v) = HeaderValue::from_str(&verdict.reset_secs.to_string()) {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return r;
    }
    req.extensions_mut().insert(principal);
    let mut response = next.run(req).await;
    verdict.apply(response.headers_mut());
    response
}

fn challenge(e: ApiError) -> Response {
    let mut r = e.into_response();
    r.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"mcpsec\""),
    );
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_policy_entry_is_unique() {
        let mut seen = std::collections::HashSet::new();
        for (m, r, _) in ROUTE_POLICY {
            assert!(seen.insert((m, r)), "{m} {r} listed twice");
        }
        assert_eq!(
            policy_for(&Method::GET, "/api/v1/tenants/{tenant}/findings"),
            Some(Policy::Tenant(Permission::FindingsRead))
        );
        assert_eq!(policy_for(&Method::DELETE, "/healthz"), None);
        // HEAD has the policy of GET.
        assert_eq!(
            policy_for(&Method::HEAD, "/api/v1/tenants/{tenant}/findings"),
            policy_for(&Method::GET, "/api/v1/tenants/{tenant}/findings"),
        );
    }
}
