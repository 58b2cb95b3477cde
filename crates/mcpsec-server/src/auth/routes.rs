//! The access-control routes: login (with lockout and TOTP), logout, whoami,
//! TOTP enrollment, and per tenant: API keys, users and their roles, custom
//! roles and the audit log. Their policies are in
//! [`ROUTE_POLICY`](super::ROUTE_POLICY); handlers that grant a role also
//! check that the caller holds every permission of it ([`check_grant`]).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Extension, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use chrono::{DateTime, Duration as ChronoDuration, Utc};
use mcpsec_core::auth::{
    ApiKeyRecord, AuditRecord, BuiltinRole, CustomRole, KeyKind, NewAuditRecord, Permission,
    PermissionSet, Principal, TotpState, User, hash_secret, validate_role_name,
};
use mcpsec_core::store::StoreError;
use mcpsec_core::{ErrorCode, TenantId};
use serde::{Deserialize, Serialize};

use zeroize::Zeroizing;

use super::{Authenticator, audit, audit_record, check_grant, new_key, password, totp};
use crate::api::{json_body, tenant_param};
use crate::error::ApiError;

type Auth = State<Arc<Authenticator>>;

/// The routes, with their state.
pub fn router(auth: Arc<Authenticator>) -> Router {
    Router::new()
        .route("/api/v1/auth/login", post(login))
        .route("/api/v1/auth/oidc/login", get(oidc_login))
        .route("/api/v1/auth/oidc/callback", get(oidc_callback))
        .route("/api/v1/auth/logout", post(logout))
        .route("/api/v1/auth/whoami", get(whoami))
        .route("/api/v1/auth/mfa/totp/enroll", post(totp_enroll))
        .route("/api/v1/auth/mfa/totp/confirm", post(totp_confirm))
        .route(
            "/api/v1/tenants/{tenant}/api-keys",
            get(list_keys).post(create_key),
        )
        .route("/api/v1/tenants/{tenant}/api-keys/{id}", delete(revoke_key))
        .route(
            "/api/v1/tenants/{tenant}/users",
            get(list_users).post(create_user),
        )
        .route(
            "/api/v1/tenants/{tenant}/users/{id}/role",
            put(set_user_role),
        )
        .route("/api/v1/tenants/{tenant}/roles", get(list_roles))
        .route("/api/v1/tenants/{tenant}/roles/{name}", put(put_role))
        .route("/api/v1/tenants/{tenant}/audit", get(list_audit))
        .with_state(auth)
}

fn unauthenticated(msg: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::Unauthenticated, msg)
}

// ---------------------------------------------------------------------------
// Login
// ---------------------------------------------------------------------------

/// Credentials for `POST /api/v1/auth/login`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
    /// The current TOTP code, when the user has MFA enabled.
    pub totp_code: Option<String>,
    /// A single-use recovery code instead of the TOTP code.
    pub recovery_code: Option<String>,
}

/// A session: send `token` as `Authorization: Bearer <token>`, or (in a
/// browser) rely on the session cookie set with it and send `csrf_token` in
/// the `X-CSRF-Token` header of state-changing requests.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SessionResponse {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub user: UserView,
    pub csrf_token: String,
}

/// Adds the session cookies to a response.
fn with_session_cookies(
    a: &Authenticator,
    mut r: Response,
    token: &str,
    expires: DateTime<Utc>,
) -> Response {
    let max_age = (expires - Utc::now()).num_seconds().max(0);
    for v in a.cookies.login(token, max_age) {
        r.headers_mut().append(axum::http::header::SET_COOKIE, v);
    }
    r
}

/// A user, without secrets.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UserView {
    pub id: String,
    pub username: String,
    #[schema(value_type = Option<String>)]
    pub tenant: Option<TenantId>,
    pub role: String,
    pub mfa_enabled: bool,
    pub locked_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<&User> for UserView {
    fn from(u: &User) -> Self {
        UserView {
            id: u.id.clone(),
            username: u.username.clone(),
            tenant: u.tenant.clone(),
            role: u.role.clone(),
            mfa_enabled: u.mfa_enabled(),
            locked_until: u.locked_until,
            created_at: u.created_at,
        }
    }
}

fn login_audit(user: &str, tenant: Option<&TenantId>, outcome: &str, why: &str) -> NewAuditRecord {
    NewAuditRecord {
        at: Utc::now(),
        tenant: tenant.cloned(),
        actor: format!("user:{user}"),
        action: "auth.login".into(),
        target: Some(user.to_string()),
        outcome: outcome.into(),
        details: [("reason".to_string(), why.to_string())].into(),
    }
}

/// Logs in with a password (and a TOTP or recovery code when MFA is on).
/// After `lockout_threshold` failures in a row the account is locked for a
/// doubling time (answered with 429 and `Retry-After`).
#[utoipa::path(post, path = "/api/v1/auth/login", request_body = LoginRequest, tag = "auth",
    responses((status = 200, body = SessionResponse),
        (status = 401, description = "Wrong credentials or a missing/wrong second factor", body = crate::error::ErrorBody),
        (status = 429, description = "Locked after too many failures", body = crate::error::ErrorBody)))]
async fn login(State(a): Auth, body: Result<Bytes, BytesRejection>) -> Result<Response, ApiError> {
    let req: LoginRequest = json_body(body)?;
    let store = a.store().clone();
    let failed = || unauthenticated("wrong user name, password or second factor");
    let Some(user) = store.find_user_by_username(&req.username).await? else {
        let pw = req.password.clone();
        let _ = tokio::task::spawn_blocking(move || password::verify_dummy(&pw)).await;
        audit(
            store.as_ref(),
            login_audit(&req.username, None, "failure", "unknown user"),
        )
        .await;
        return Err(failed());
    };
    let now = Utc::now();
    let tenant = user.tenant.clone();
    if let Some(until) = user.locked_until.filter(|u| *u > now) {
        audit(
            store.as_ref(),
            login_audit(&user.username, tenant.as_ref(), "failure", "locked"),
        )
        .await;
        let secs = (until - now).num_seconds().max(1);
        let mut r = ApiError::new(
            ErrorCode::RateLimited,
            format!("too many failed logins; the account is locked for {secs} s"),
        )
        .into_response();
        if let Ok(v) = secs.to_string().parse() {
            r.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
        }
        return Ok(r);
    }
    let (pw, hash) = (req.password.clone(), user.password_hash.clone());
    let password_ok = tokio::task::spawn_blocking(move || password::verify_password(&pw, &hash))
        .await
        .unwrap_or(false);

    // The TOTP secret is decrypted before the atomic change below (Vault may
    // be asked); a secret still stored in plain is encrypted on this login.
    let keyring = a.settings.keyring.clone();
    let mut totp_secret = None;
    let mut sealed = None;
    if let Some(t) = user.totp.as_ref().filter(|t| t.enabled) {
        let secret = totp::open(keyring.as_deref(), &user.id, &t.secret_b32)
            .await
            .map_err(|e| {
                tracing::error!(user = %user.id, error = %e, "TOTP secret unusable");
                ApiError::new(ErrorCode::Internal, "the second factor cannot be checked")
            })?;
        if keyring.is_some() && !mcpsec_secrets::is_envelope(&t.secret_b32) {
            let b32 = Zeroizing::new(totp::base32_encode(&secret));
            match totp::seal(keyring.as_deref(), &user.id, &b32).await {
                Ok(e) => sealed = Some(e),
                Err(e) => {
                    tracing::warn!(user = %user.id, error = %e, "TOTP secret stays unencrypted")
                }
            }
        }
        totp_secret = Some(secret);
    }

    // Decide and record the outcome in one atomic change of the user, so
    // concurrent guesses all count and a recovery code works once.
    let settings = a.settings.clone();
    let (totp_code, recovery) = (req.totp_code.clone(), req.recovery_code.clone());
    let unix = now.timestamp().max(0) as u64;
    let outcome: Arc<std::sync::Mutex<Result<(), &'static str>>> =
        Arc::new(std::sync::Mutex::new(Err("not evaluated")));
    let out = outcome.clone();
    let updated = store
        .modify_user(
            tenant.as_ref(),
            &user.id,
            Box::new(move |u: &mut User| {
                let verdict = (|| {
                    if !password_ok {
                        return Err("wrong password");
                    }
                    if u.disabled {
                        return Err("disabled");
                    }
                    if let Some(t) = u.totp.as_mut().filter(|t| t.enabled) {
                        // The secret of an enabled factor does not change
                        // (enrollment is refused while MFA is on).
                        let secret = totp_secret.as_deref().ok_or("second factor required")?;
                        if let Some(e) = sealed
                            .take()
                            .filter(|_| !mcpsec_secrets::is_envelope(&t.secret_b32))
                        {
                            t.secret_b32 = e;
                        }
                        if let Some(code) = &totp_code {
                            let step = totp::verify(secret, code, unix, t.last_step)
                                .ok_or("wrong TOTP code")?;
                            t.last_step = step;
                        } else if let Some(code) = &recovery {
                            let h = hash_secret(code.trim());
                            let before = u.recovery_code_hashes.len();
                            u.recovery_code_hashes.retain(|x| *x != h);
                            if u.recovery_code_hashes.len() == before {
                                return Err("wrong recovery code");
                            }
                        } else {
                            return Err("second factor required");
                        }
                    }
                    Ok(())
                })();
                match verdict {
                    Ok(()) => {
                        u.failed_logins = 0;
                        u.locked_until = None;
                    }
                    Err("second factor required") => {}
                    Err(_) => {
                        u.failed_logins = u.failed_logins.saturating_add(1);
                        if u.failed_logins >= settings.lockout_threshold {
                            let n = u.failed_logins - settings.lockout_threshold;
                            let secs = settings
                                .lockout_base
                                .as_secs()
                                .saturating_mul(1u64 << n.min(20))
                                .min(settings.lockout_max.as_secs());
                            u.locked_until = Some(now + ChronoDuration::seconds(secs as i64));
                        }
                    }
                }
                u.updated_at = now;
                *out.lock().expect("lock") = verdict;
                Ok(())
            }),
        )
        .await?;
    let verdict = *outcome.lock().expect("lock");
    if let Err(why) = verdict {
        audit(
            store.as_ref(),
            login_audit(&user.username, tenant.as_ref(), "failure", why),
        )
        .await;
        return Err(if why == "second factor required" {
            unauthenticated("this account needs a second factor: send totp_code or recovery_code")
        } else {
            failed()
        });
    }
    let expires = now + ChronoDuration::from_std(a.settings.session_ttl).unwrap_or_default();
    let (record, token) = new_key(
        tenant.clone(),
        &updated.role,
        &format!("session of {}", updated.username),
        KeyKind::Session,
        Some(updated.id.clone()),
        Some(expires),
    );
    store.create_api_key(&record).await?;
    let how = if req.recovery_code.is_some() && updated.mfa_enabled() {
        "password+recovery_code"
    } else if updated.mfa_enabled() {
        "password+totp"
    } else {
        "password"
    };
    let mut rec = login_audit(&updated.username, tenant.as_ref(), "success", how);
    rec.details.insert("session".into(), record.id.clone());
    audit(store.as_ref(), rec).await;
    let r = Json(SessionResponse {
        csrf_token: super::session::csrf_token(&token),
        token: token.clone(),
        expires_at: expires,
        user: UserView::from(&updated),
    })
    .into_response();
    Ok(with_session_cookies(&a, r, &token, expires))
}

/// Ends the calling session (or revokes the calling API key) and clears the
/// session cookies.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    responses((status = 204, description = "Revoked")))]
async fn logout(State(a): Auth, Extension(p): Extension<Principal>) -> Result<Response, ApiError> {
    if let Some(id) = &p.key_id {
        a.store()
            .revoke_api_key(p.tenant.as_ref(), id, Utc::now())
            .await?;
        a.forget(id);
        audit(
            a.store().as_ref(),
            audit_record(&p, p.tenant.as_ref(), "auth.logout", Some(id), &[]),
        )
        .await;
    }
    let mut r = StatusCode::NO_CONTENT.into_response();
    for v in a.cookies.logout() {
        r.headers_mut().append(axum::http::header::SET_COOKIE, v);
    }
    Ok(r)
}

// ---------------------------------------------------------------------------
// OIDC login (authorization code + PKCE)
// ---------------------------------------------------------------------------

/// Where to go after an OIDC login.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct OidcLoginParams {
    /// A path on this server (default: `auth.oidc.after_login`).
    pub return_to: Option<String>,
}

/// The provider's answer.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct OidcCallbackParams {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

fn oidc_provider(a: &Authenticator) -> Result<Arc<super::oidc::OidcProvider>, ApiError> {
    a.oidc.clone().ok_or_else(|| {
        ApiError::new(
            ErrorCode::NotFound,
            "OIDC login is not configured (auth.oidc)",
        )
    })
}

fn oidc_unavailable(e: super::oidc::OidcError) -> ApiError {
    match e {
        super::oidc::OidcError::Provider(_) => {
            tracing::warn!(error = %e, "OIDC provider unavailable");
            ApiError::new(ErrorCode::InvalidArgument, e.to_string())
        }
        _ => unauthenticated(e.to_string()),
    }
}

/// Starts a browser login at the OIDC provider: redirects there with
/// `state`, `nonce` and a PKCE S256 challenge, remembered in a short-lived
/// `HttpOnly` cookie until the callback.
#[utoipa::path(get, path = "/api/v1/auth/oidc/login", tag = "auth", params(OidcLoginParams),
    responses((status = 303, description = "Redirect to the provider"),
        (status = 400, description = "return_to is not a path on this server, or the provider cannot be reached", body = crate::error::ErrorBody),
        (status = 404, description = "OIDC is not configured", body = crate::error::ErrorBody)))]
async fn oidc_login(
    State(a): Auth,
    q: Result<Query<OidcLoginParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let provider = oidc_provider(&a)?;
    let Query(q) = q.map_err(|e| ApiError::new(ErrorCode::InvalidArgument, e.body_text()))?;
    let return_to = match q.return_to {
        Some(r) if r.starts_with('/') && !r.starts_with("//") && !r.contains('\\') => r,
        Some(r) => {
            return Err(ApiError::new(
                ErrorCode::InvalidArgument,
                format!("return_to {r:?} must be a path on this server"),
            ));
        }
        None => provider.settings.after_login.clone(),
    };
    let (state, nonce, verifier) = (
        password::random_token(32),
        password::random_token(32),
        password::random_token(64),
    );
    let location = provider
        .authorization_url(&state, &nonce, &verifier)
        .await
        .map_err(oidc_unavailable)?;
    use base64::Engine as _;
    let back = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(return_to.as_bytes());
    let mut r = (
        StatusCode::SEE_OTHER,
        [(axum::http::header::LOCATION, location)],
    )
        .into_response();
    if let Some(c) = a.cookies.transient(
        &a.cookies.oidc_name(),
        &format!("{state}.{nonce}.{verifier}.{back}"),
        600,
    ) {
        r.headers_mut().append(axum::http::header::SET_COOKIE, c);
    }
    Ok(r)
}

/// Completes an OIDC login: checks `state` against the login cookie,
/// exchanges the code (with the PKCE verifier) at the token endpoint,
/// validates the ID token (signature, issuer, audience, expiry, nonce),
/// maps its claims to a tenant and role, and starts a session (cookies as
/// for a password login), then redirects to the page the login named.
#[utoipa::path(get, path = "/api/v1/auth/oidc/callback", tag = "auth", params(OidcCallbackParams),
    responses((status = 303, description = "Logged in; redirect to the app"),
        (status = 400, description = "Bad parameters, or the provider cannot be reached", body = crate::error::ErrorBody),
        (status = 401, description = "The login failed", body = crate::error::ErrorBody),
        (status = 404, description = "OIDC is not configured", body = crate::error::ErrorBody),
        (status = 403, description = "The identity maps to no usable tenant role", body = crate::error::ErrorBody)))]
async fn oidc_callback(
    State(a): Auth,
    headers: axum::http::HeaderMap,
    q: Result<Query<OidcCallbackParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let provider = oidc_provider(&a)?;
    let Query(q) = q.map_err(|e| ApiError::new(ErrorCode::InvalidArgument, e.body_text()))?;
    let store = a.store().clone();
    let fail = |why: String| {
        let store = store.clone();
        async move {
            audit(store.as_ref(), login_audit("oidc", None, "failure", &why)).await;
            unauthenticated(format!("OIDC login failed: {why}"))
        }
    };
    if let Some(e) = &q.error {
        let d = q.error_description.as_deref().unwrap_or_default();
        return Err(fail(format!("the provider answered {e}: {d}")).await);
    }
    let cookie_name = a.cookies.oidc_name();
    let saved = super::session::cookie(&headers, &cookie_name).unwrap_or_default();
    let parts: Vec<&str> = saved.split('.').collect();
    let (Some(code), Some(state), [saved_state, nonce, verifier, back]) =
        (q.code.as_deref(), q.state.as_deref(), parts.as_slice())
    else {
        return Err(fail(
            "missing code, state or login cookie (start at /api/v1/auth/oidc/login)".into(),
        )
        .await);
    };
    if !super::constant_time_eq(state.as_bytes(), saved_state.as_bytes()) {
        return Err(fail("state does not match this browser's login".into()).await);
    }
    let claims = match provider.exchange(code, verifier, nonce).await {
        Ok(c) => c,
        Err(e @ super::oidc::OidcError::Provider(_)) => return Err(oidc_unavailable(e)),
        Err(e) => return Err(fail(e.to_string()).await),
    };
    let principal = a.oidc_principal(&provider, &claims).await?;
    use base64::Engine as _;
    let return_to = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(back)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .filter(|r| r.starts_with('/') && !r.starts_with("//"))
        .unwrap_or_else(|| provider.settings.after_login.clone());
    let now = Utc::now();
    // ID tokens live for minutes; the session gets the configured lifetime.
    let expires = now + ChronoDuration::from_std(a.settings.session_ttl).unwrap_or_default();
    let sub = claims
        .get("sub")
        .and_then(|v| v.as_str())
        .unwrap_or_default();
    let (record, token) = new_key(
        principal.tenant.clone(),
        &principal.role,
        &format!("oidc session of {sub}"),
        KeyKind::Session,
        principal.user_id.clone(),
        Some(expires),
    );
    store.create_api_key(&record).await?;
    let mut rec = login_audit(sub, principal.tenant.as_ref(), "success", "oidc");
    rec.actor = principal.subject.clone();
    rec.details.insert("session".into(), record.id.clone());
    rec.details.insert("role".into(), principal.role.clone());
    audit(store.as_ref(), rec).await;
    let r = (
        StatusCode::SEE_OTHER,
        [(axum::http::header::LOCATION, return_to)],
    )
        .into_response();
    let mut r = with_session_cookies(&a, r, &token, expires);
    if let Some(c) = a.cookies.transient(&cookie_name, "", 0) {
        r.headers_mut().append(axum::http::header::SET_COOKIE, c);
    }
    Ok(r)
}

/// The caller.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WhoAmI {
    pub subject: String,
    /// `null` for platform scope.
    pub tenant: Option<String>,
    pub role: String,
    pub permissions: Vec<String>,
}

/// Who the credential belongs to and what it may do.
#[utoipa::path(get, path = "/api/v1/auth/whoami", tag = "auth", responses((status = 200, body = WhoAmI)))]
async fn whoami(Extension(p): Extension<Principal>) -> Json<WhoAmI> {
    Json(WhoAmI {
        subject: p.subject,
        tenant: p.tenant.map(String::from),
        role: p.role,
        permissions: p.permissions.iter().map(|x| x.to_string()).collect(),
    })
}

// ---------------------------------------------------------------------------
// TOTP
// ---------------------------------------------------------------------------

/// A new TOTP secret and recovery codes, shown once.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TotpEnrollment {
    pub secret: String,
    pub otpauth_uri: String,
    /// Single-use codes for when the authenticator is lost; shown only now.
    pub recovery_codes: Vec<String>,
}

/// A TOTP code.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TotpCode {
    pub code: String,
}

fn session_user(p: &Principal) -> Result<&str, ApiError> {
    p.user_id.as_deref().ok_or_else(|| {
        ApiError::new(
            ErrorCode::Forbidden,
            "MFA belongs to users: log in and use the session token",
        )
    })
}

/// Starts TOTP enrollment for the logged-in user; MFA is enforced once a
/// code is confirmed.
#[utoipa::path(post, path = "/api/v1/auth/mfa/totp/enroll", tag = "auth",
    responses((status = 200, body = TotpEnrollment), (status = 409, description = "MFA is already enabled", body = crate::error::ErrorBody)))]
async fn totp_enroll(
    State(a): Auth,
    Extension(p): Extension<Principal>,
) -> Result<Json<TotpEnrollment>, ApiError> {
    let user_id = session_user(&p)?;
    let secret = totp::base32_encode(&password::random_bytes(20));
    let codes: Vec<String> = (0..10).map(|_| password::random_token(10)).collect();
    let hashes: Vec<String> = codes.iter().map(|c| hash_secret(c)).collect();
    // Stored encrypted under the [secrets] keyring (when one is configured).
    let s = totp::seal(a.settings.keyring.as_deref(), user_id, &secret)
        .await
        .map_err(|e| {
            tracing::error!(user = %user_id, error = %e, "TOTP secret cannot be encrypted");
            ApiError::new(
                ErrorCode::Internal,
                "the second factor cannot be stored: the secrets key is unavailable",
            )
        })?;
    let user = a
        .store()
        .modify_user(
            p.tenant.as_ref(),
            user_id,
            Box::new(move |u| {
                if u.mfa_enabled() {
                    return Err(StoreError::Conflict("MFA is already enabled".into()));
                }
                u.totp = Some(TotpState {
                    secret_b32: s,
                    enabled: false,
                    last_step: 0,
                });
                u.recovery_code_hashes = hashes;
                Ok(())
            }),
        )
        .await?;
    audit(
        a.store().as_ref(),
        audit_record(
            &p,
            p.tenant.as_ref(),
            "mfa.enroll",
            Some(&user.username),
            &[],
        ),
    )
    .await;
    Ok(Json(TotpEnrollment {
        otpauth_uri: totp::otpauth_uri("mcpsec", &user.username, &secret),
        secret,
        recovery_codes: codes,
    }))
}

/// Confirms enrollment with a first code; from now on login needs a code.
#[utoipa::path(post, path = "/api/v1/auth/mfa/totp/confirm", tag = "auth", request_body = TotpCode,
    responses((status = 204, description = "MFA enabled"), (status = 400, body = crate::error::ErrorBody)))]
async fn totp_confirm(
    State(a): Auth,
    Extension(p): Extension<Principal>,
    body: Result<Bytes, BytesRejection>,
) -> Result<StatusCode, ApiError> {
    let req: TotpCode = json_body(body)?;
    let user_id = session_user(&p)?;
    let unix = Utc::now().timestamp().max(0) as u64;
    // Decrypted before the atomic change (Vault may be asked); the change
    // checks that the enrollment is still the one decrypted.
    let stored = a
        .store()
        .get_user(p.tenant.as_ref(), user_id)
        .await?
        .and_then(|u| u.totp)
        .map(|t| t.secret_b32)
        .ok_or_else(|| ApiError::new(ErrorCode::InvalidArgument, "enroll first"))?;
    let secret = totp::open(a.settings.keyring.as_deref(), user_id, &stored)
        .await
        .map_err(|e| {
            tracing::error!(user = %user_id, error = %e, "TOTP secret unusable");
            ApiError::new(ErrorCode::Internal, "the second factor cannot be checked")
        })?;
    let user = a
        .store()
        .modify_user(
            p.tenant.as_ref(),
            user_id,
            Box::new(move |u| {
                let t = u
                    .totp
                    .as_mut()
                    .ok_or_else(|| StoreError::Invalid("enroll first".into()))?;
                if t.secret_b32 != stored {
                    return Err(StoreError::Conflict(
                        "the enrollment changed meanwhile; confirm with a code of the new secret"
                            .into(),
                    ));
                }
                let step = totp::verify(&secret, &req.code, unix, t.last_step)
                    .ok_or_else(|| StoreError::Invalid("wrong TOTP code".into()))?;
                t.last_step = step;
                t.enabled = true;
                Ok(())
            }),
        )
        .await?;
    audit(
        a.store().as_ref(),
        audit_record(
            &p,
            p.tenant.as_ref(),
            "mfa.enable",
            Some(&user.username),
            &[],
        ),
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}

// ---------------------------------------------------------------------------
// API keys
// ---------------------------------------------------------------------------

/// A key to create.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApiKey {
    pub name: String,
    /// A built-in role (`owner`, `admin`, `analyst`, `viewer`, `ingest-only`) or a custom role.
    pub role: String,
    /// Days until the key expires (none: never).
    pub expires_in_days: Option<u32>,
}

/// A key, without its secret.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ApiKeyView {
    pub id: String,
    pub name: String,
    #[schema(value_type = Option<String>)]
    pub tenant: Option<TenantId>,
    pub role: String,
    pub kind: KeyKind,
    pub user_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

impl From<&ApiKeyRecord> for ApiKeyView {
    fn from(k: &ApiKeyRecord) -> Self {
        ApiKeyView {
            id: k.id.clone(),
            name: k.name.clone(),
            tenant: k.tenant.clone(),
            role: k.role.clone(),
            kind: k.kind,
            user_id: k.user_id.clone(),
            created_at: k.created_at,
            expires_at: k.expires_at,
            revoked_at: k.revoked_at,
            last_used_at: k.last_used_at,
        }
    }
}

/// A created key: `key` is shown only in this response.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CreatedApiKey {
    pub key: String,
    #[serde(flatten)]
    pub record: ApiKeyView,
}

/// Creates an API key in the tenant with a role no stronger than the caller's.
#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/api-keys", tag = "auth",
    params(("tenant" = String, Path)), request_body = NewApiKey,
    responses((status = 201, body = CreatedApiKey), (status = 403, body = crate::error::ErrorBody)))]
async fn create_key(
    State(a): Auth,
    Extension(p): Extension<Principal>,
    Path(tenant): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let tenant = tenant_param(&tenant)?;
    let req: NewApiKey = json_body(body)?;
    if req.name.trim().is_empty() || req.name.len() > 200 {
        return Err(ApiError::new(
            ErrorCode::InvalidArgument,
            "name must be 1 to 200 characters",
        ));
    }
    check_grant(a.store().as_ref(), &p, Some(&tenant), &req.role).await?;
    let expires = req
        .expires_in_days
        .map(|d| Utc::now() + ChronoDuration::days(i64::from(d)));
    let (record, key) = new_key(
        Some(tenant.clone()),
        &req.role,
        &req.name,
        KeyKind::ApiKey,
        None,
        expires,
    );
    a.store().create_api_key(&record).await?;
    audit(
        a.store().as_ref(),
        audit_record(
            &p,
            Some(&tenant),
            "api_key.create",
            Some(&record.id),
            &[("role", &req.role), ("name", &req.name)],
        ),
    )
    .await;
    Ok((
        StatusCode::CREATED,
        Json(CreatedApiKey {
            key,
            record: ApiKeyView::from(&record),
        }),
    )
        .into_response())
}

/// The tenant's API keys and sessions (never their secrets).
#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/api-keys", tag = "auth",
    params(("tenant" = String, Path)), responses((status = 200, body = Vec<ApiKeyView>)))]
async fn list_keys(
    State(a): Auth,
    Path(tenant): Path<String>,
) -> Result<Json<Vec<ApiKeyView>>, ApiError> {
    let tenant = tenant_param(&tenant)?;
    let keys = a.store().list_api_keys(Some(&tenant)).await?;
    Ok(Json(keys.iter().map(ApiKeyView::from).collect()))
}

/// Revokes a key of the tenant (idempotent).
#[utoipa::path(delete, path = "/api/v1/tenants/{tenant}/api-keys/{id}", tag = "auth",
    params(("tenant" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = ApiKeyView), (status = 404, body = crate::error::ErrorBody)))]
async fn revoke_key(
    State(a): Auth,
    Extension(p): Extension<Principal>,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<Json<ApiKeyView>, ApiError> {
    let tenant = tenant_param(&tenant)?;
    let record = a
        .store()
        .revoke_api_key(Some(&tenant), &id, Utc::now())
        .await?;
    a.forget(&id);
    audit(
        a.store().as_ref(),
        audit_record(&p, Some(&tenant), "api_key.revoke", Some(&id), &[]),
    )
    .await;
    Ok(Json(ApiKeyView::from(&record)))
}

// ---------------------------------------------------------------------------
// Users and roles
// ---------------------------------------------------------------------------

/// A user to create.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub username: String,
    /// At least 12 characters.
    pub password: String,
    pub role: String,
}

/// Validates a user name: 1 to 128 characters, no whitespace or control characters.
pub fn validate_username(name: &str) -> Result<(), ApiError> {
    if name.is_empty()
        || name.len() > 128
        || name.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(ApiError::new(
            ErrorCode::InvalidArgument,
            "username must be 1 to 128 characters without spaces",
        ));
    }
    Ok(())
}

/// Creates a user of the tenant.
#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/users", tag = "auth",
    params(("tenant" = String, Path)), request_body = NewUser,
    responses((status = 201, body = UserView), (status = 409, body = crate::error::ErrorBody)))]
async fn create_user(
    State(a): Auth,
    Extension(p): Extension<Principal>,
    Path(tenant): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let tenant = tenant_param(&tenant)?;
    let req: NewUser = json_body(body)?;
    validate_username(&req.username)?;
    check_grant(a.store().as_ref(), &p, Some(&tenant), &req.role).await?;
    let pw = req.password.clone();
    let hash = tokio::task::spawn_blocking(move || password::hash_password(&pw))
        .await
        .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?
        .map_err(|e| ApiError::new(ErrorCode::InvalidArgument, e.to_string()))?;
    let now = Utc::now();
    let user = User {
        id: format!("u-{}", password::random_token(12).to_lowercase()),
        tenant: Some(tenant.clone()),
        username: req.username.clone(),
        role: req.role.clone(),
        password_hash: hash,
        totp: None,
        recovery_code_hashes: Vec::new(),
        failed_logins: 0,
        locked_until: None,
        disabled: false,
        created_at: now,
        updated_at: now,
    };
    a.store().create_user(&user).await?;
    audit(
        a.store().as_ref(),
        audit_record(
            &p,
            Some(&tenant),
            "user.create",
            Some(&user.username),
            &[("role", &user.role)],
        ),
    )
    .await;
    Ok((StatusCode::CREATED, Json(UserView::from(&user))).into_response())
}

/// The tenant's users.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/users", tag = "auth",
    params(("tenant" = String, Path)), responses((status = 200, body = Vec<UserView>)))]
async fn list_users(
    State(a): Auth,
    Path(tenant): Path<String>,
) -> Result<Json<Vec<UserView>>, ApiError> {
    let tenant = tenant_param(&tenant)?;
    let users = a.store().list_users(Some(&tenant)).await?;
    Ok(Json(users.iter().map(UserView::from).collect()))
}

/// A role change.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleChange {
    pub role: String,
}

/// Changes a user's role; the user's sessions are revoked so the new role
/// applies at the next login. Neither the old nor the new role may exceed
/// the caller's.
#[utoipa::path(put, path = "/api/v1/tenants/{tenant}/users/{id}/role", tag = "auth",
    params(("tenant" = String, Path), ("id" = String, Path)), request_body = RoleChange,
    responses((status = 200, body = UserView), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
async fn set_user_role(
    State(a): Auth,
    Extension(p): Extension<Principal>,
    Path((tenant, id)): Path<(String, String)>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<UserView>, ApiError> {
    let tenant = tenant_param(&tenant)?;
    let req: RoleChange = json_body(body)?;
    let store = a.store().clone();
    let current = store
        .get_user(Some(&tenant), &id)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound, format!("user {id:?}")))?;
    // The current role may be a custom role that was since removed; then
    // only the new role is checked.
    if let Ok(old) = super::resolve_role(store.as_ref(), Some(&tenant), &current.role).await
        && !p.permissions.includes(old)
    {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            format!("the user's role {:?} exceeds yours", current.role),
        ));
    }
    check_grant(store.as_ref(), &p, Some(&tenant), &req.role).await?;
    let role = req.role.clone();
    let user = store
        .modify_user(
            Some(&tenant),
            &id,
            Box::new(move |u| {
                u.role = role;
                u.updated_at = Utc::now();
                Ok(())
            }),
        )
        .await?;
    let now = Utc::now();
    for k in store.list_api_keys(Some(&tenant)).await? {
        if k.kind == KeyKind::Session && k.user_id.as_deref() == Some(&id) && k.revoked_at.is_none()
        {
            store.revoke_api_key(Some(&tenant), &k.id, now).await?;
            a.forget(&k.id);
        }
    }
    audit(
        store.as_ref(),
        audit_record(
            &p,
            Some(&tenant),
            "user.role_change",
            Some(&user.username),
            &[("from", &current.role), ("to", &user.role)],
        ),
    )
    .await;
    Ok(Json(UserView::from(&user)))
}

/// A role and its permissions.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RoleView {
    pub name: String,
    pub builtin: bool,
    pub permissions: Vec<String>,
}

/// The built-in roles and the tenant's custom roles.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/roles", tag = "auth",
    params(("tenant" = String, Path)), responses((status = 200, body = Vec<RoleView>)))]
async fn list_roles(
    State(a): Auth,
    Path(tenant): Path<String>,
) -> Result<Json<Vec<RoleView>>, ApiError> {
    let tenant = tenant_param(&tenant)?;
    let mut out: Vec<RoleView> = BuiltinRole::ALL
        .iter()
        .filter(|r| **r != BuiltinRole::PlatformAdmin)
        .map(|r| RoleView {
            name: r.as_str().into(),
            builtin: true,
            permissions: r.permissions().iter().map(|p| p.to_string()).collect(),
        })
        .collect();
    for r in a.store().list_roles(&tenant).await? {
        out.push(RoleView {
            name: r.name,
            builtin: false,
            permissions: r.permissions.iter().map(|p| p.to_string()).collect(),
        });
    }
    Ok(Json(out))
}

/// A custom role's permissions.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleDefinition {
    /// Permission names, e.g. `["findings:read", "findings:triage"]`.
    pub permissions: Vec<String>,
}

/// Creates or replaces a custom role (not a built-in name; tenant-level
/// permissions the caller holds).
#[utoipa::path(put, path = "/api/v1/tenants/{tenant}/roles/{name}", tag = "auth",
    params(("tenant" = String, Path), ("name" = String, Path)), request_body = RoleDefinition,
    responses((status = 200, body = RoleView), (status = 400, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
async fn put_role(
    State(a): Auth,
    Extension(p): Extension<Principal>,
    Path((tenant, name)): Path<(String, String)>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<RoleView>, ApiError> {
    let tenant = tenant_param(&tenant)?;
    let req: RoleDefinition = json_body(body)?;
    let invalid = |m: String| ApiError::new(ErrorCode::InvalidArgument, m);
    validate_role_name(&name).map_err(invalid)?;
    if BuiltinRole::parse(&name).is_some() {
        return Err(invalid(format!("{name:?} is a built-in role")));
    }
    let perms: Vec<Permission> = req
        .permissions
        .iter()
        .map(|s| s.parse::<Permission>())
        .collect::<Result<_, _>>()
        .map_err(invalid)?;
    if let Some(p) = perms.iter().find(|p| !p.is_tenant_level()) {
        return Err(invalid(format!("{p} is a platform permission")));
    }
    let set = PermissionSet::of(&perms);
    if !p.permissions.includes(set) {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "a custom role cannot grant permissions you lack",
        ));
    }
    let role = CustomRole {
        tenant: tenant.clone(),
        name: name.clone(),
        permissions: set,
        created_at: Utc::now(),
    };
    a.store().put_role(&role).await?;
    let list: Vec<String> = set.iter().map(|p| p.to_string()).collect();
    audit(
        a.store().as_ref(),
        audit_record(
            &p,
            Some(&tenant),
            "role.put",
            Some(&name),
            &[("permissions", &list.join(","))],
        ),
    )
    .await;
    Ok(Json(RoleView {
        name,
        builtin: false,
        permissions: list,
    }))
}

// ---------------------------------------------------------------------------
// Audit log
// ---------------------------------------------------------------------------

/// Audit log paging.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct AuditParams {
    /// Records after this sequence number.
    pub after: Option<u64>,
    /// 1 to 1000 (default 100).
    pub limit: Option<u32>,
}

/// A page of audit records; pass `next_cursor` as `after`.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditList {
    pub items: Vec<AuditRecord>,
    pub next_cursor: Option<u64>,
}

/// The tenant's audit records, oldest first (each carries its chain hashes).
#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/audit", tag = "auth",
    params(("tenant" = String, Path), AuditParams), responses((status = 200, body = AuditList)))]
async fn list_audit(
    State(a): Auth,
    Path(tenant): Path<String>,
    q: Result<Query<AuditParams>, QueryRejection>,
) -> Result<Json<AuditList>, ApiError> {
    let tenant = tenant_param(&tenant)?;
    let Query(q) = q.map_err(|e| ApiError::new(ErrorCode::InvalidArgument, e.body_text()))?;
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let items = a
        .store()
        .list_audit(Some(&tenant), q.after.unwrap_or(0), limit)
        .await?;
    let next_cursor = if items.len() as u32 >= limit {
        items.last().map(|r| r.seq)
    } else {
        None
    };
    Ok(Json(AuditList { items, next_cursor }))
}

/// The OpenAPI description of these routes.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        login,
        logout,
        oidc_login,
        oidc_callback,
        whoami,
        totp_enroll,
        totp_confirm,
        create_key,
        list_keys,
        revoke_key,
        create_user,
        list_users,
        set_user_role,
        list_roles,
        put_role,
        list_audit
    ),
    components(schemas(
        LoginRequest,
        SessionResponse,
        UserView,
        WhoAmI,
        TotpEnrollment,
        TotpCode,
        NewApiKey,
        ApiKeyView,
        CreatedApiKey,
        NewUser,
        RoleChange,
        RoleView,
        RoleDefinition,
        AuditList,
        AuditRecord,
        KeyKind
    ))
)]
struct AuthDoc;

/// Adds these routes, the bearer security scheme and the per-route security
/// requirement (none on public routes) to the API description.
pub fn with_auth_docs(mut doc: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    use utoipa::OpenApi as _;
    use utoipa::openapi::security::{
        HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
    };
    doc.merge(AuthDoc::openapi());
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some(
                    "An API key or session token `mcpsec_<id>_<secret>` (see docs/security.md)",
                ))
                .build(),
        ),
    );
    for (path, item) in doc.paths.paths.iter_mut() {
        let ops = [
            ("GET", &mut item.get),
            ("POST", &mut item.post),
            ("PUT", &mut item.put),
            ("DELETE", &mut item.delete),
        ];
        for (method, op) in ops {
            let Some(op) = op else { continue };
            let m = axum::http::Method::from_bytes(method.as_bytes()).expect("method");
            match super::policy_for(&m, path) {
                Some(super::Policy::Public) => op.security = Some(Vec::new()),
                _ => {
                    op.security = Some(vec![SecurityRequirement::new(
                        "bearer",
                        Vec::<String>::new(),
                    )])
                }
            }
        }
    }
    doc
}
