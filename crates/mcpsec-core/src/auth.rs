//! Who may do what: the authentication and authorization model of mcpsec.
//!
//! - [`Permission`]s name single capabilities (`findings:triage`, `keys:manage`…).
//! - A role is a set of permissions. The built-in roles ([`BuiltinRole`]) are
//!   defined as data in [`ROLE_TABLE`]; tenants may define custom roles
//!   ([`CustomRole`]) from any subset of the tenant permissions.
//! - A [`Principal`] is an authenticated caller (an API key, a user session,
//!   the bootstrap key) with its tenant scope and permission set;
//!   [`Principal::authorize`] is the one authorization decision every API
//!   surface calls.
//! - [`ApiKeyRecord`] and [`User`] are what the [`AuthStore`] keeps; secrets are
//!   stored only as hashes (SHA-256 for random API-key secrets, Argon2id for
//!   passwords, computed by the server).
//! - [`AuditRecord`]s form an append-only hash chain: each record's hash is
//!   `SHA-256(previous hash ‖ canonical JSON of the record)`, so
//!   [`verify_chain`] finds any record that was altered, removed or reordered.
//!
//! Platform scope: records whose tenant is `None` belong to the platform (the
//! operators of the installation), not to a customer tenant. Only the
//! `platform-admin` role lives there, and only it may cross tenants.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::TenantId;
use crate::store::StoreResult;

macro_rules! permissions {
    ($($variant:ident => $s:literal : $doc:literal),+ $(,)?) => {
        /// One capability. Serialized as `area:verb`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Permission { $(#[doc = $doc] $variant),+ }

        impl Permission {
            pub const ALL: &'static [Permission] = &[$(Permission::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $(Permission::$variant => $s),+ }
            }
            pub fn description(self) -> &'static str {
                match self { $(Permission::$variant => $doc),+ }
            }
        }

        impl FromStr for Permission {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($s => Ok(Permission::$variant),)+
                    other => Err(format!(
                        "unknown permission {other:?}; expected one of: {}",
                        [$($s),+].join(", ")
                    )),
                }
            }
        }
    };
}

permissions! {
    TenantsAdmin => "tenants:admin": "Create and list tenants (platform scope only).",
    EventsWrite => "events:write": "Publish events with POST /api/v1/events.",
    EventsRead => "events:read": "Read processed events and counts.",
    AssetsRead => "assets:read": "List assets and components.",
    FindingsRead => "findings:read": "List and read findings.",
    FindingsTriage => "findings:triage": "Move findings through their lifecycle.",
    AlertsRead => "alerts:read": "List and read alerts.",
    RulesRead => "rules:read": "Read detection rules.",
    RulesWrite => "rules:write": "Create, change and delete detection rules.",
    AuditRead => "audit:read": "Read the tenant's audit log.",
    KeysManage => "keys:manage": "Create, list and revoke the tenant's API keys.",
    UsersManage => "users:manage": "Create users, list them and change their roles.",
    RolesManage => "roles:manage": "Define custom roles.",
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Permission {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Permission {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl Permission {
    /// Whether the permission can be held inside a tenant (all but the
    /// platform-level ones). Custom roles may only use these.
    pub fn is_tenant_level(self) -> bool {
        !matches!(self, Permission::TenantsAdmin)
    }

    fn bit(self) -> u32 {
        1 << (self as u32)
    }
}

/// A set of permissions (a bit set; serialized as a sorted list of names).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct PermissionSet(u32);

impl PermissionSet {
    pub const EMPTY: PermissionSet = PermissionSet(0);

    pub fn of(perms: &[Permission]) -> PermissionSet {
        PermissionSet(perms.iter().fold(0, |acc, p| acc | p.bit()))
    }

    pub fn all() -> PermissionSet {
        PermissionSet::of(Permission::ALL)
    }

    pub fn contains(self, p: Permission) -> bool {
        self.0 & p.bit() != 0
    }

    /// Whether every permission of `other` is in `self` (no privilege escalation
    /// when `self` grants `other`).
    pub fn includes(self, other: PermissionSet) -> bool {
        self.0 & other.0 == other.0
    }

    pub fn iter(self) -> impl Iterator<Item = Permission> {
        Permission::ALL
            .iter()
            .copied()
            .filter(move |p| self.contains(*p))
    }

    pub fn to_vec(self) -> Vec<Permission> {
        self.iter().collect()
    }
}

impl Serialize for PermissionSet {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for PermissionSet {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Vec::<Permission>::deserialize(d)?;
        Ok(PermissionSet::of(&v))
    }
}

/// The built-in roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BuiltinRole {
    /// Operates the installation: every permission, every tenant. Platform scope only.
    PlatformAdmin,
    /// Everything inside the tenant, including defining custom roles.
    Owner,
    /// Everything inside the tenant except defining custom roles.
    Admin,
    /// Reads everything, triages findings, writes detection rules.
    Analyst,
    /// Reads everything, changes nothing.
    Viewer,
    /// Publishes events and nothing else (for agents, CI and collectors).
    IngestOnly,
}

/// The permissions of each built-in role: the one place that defines them
/// (documented in `docs/security.md`).
pub const ROLE_TABLE: &[(BuiltinRole, &str, &[Permission])] = {
    use Permission::*;
    &[
        (
            BuiltinRole::PlatformAdmin,
            "platform-admin",
            &[
                TenantsAdmin,
                EventsWrite,
                EventsRead,
                AssetsRead,
                FindingsRead,
                FindingsTriage,
                AlertsRead,
                RulesRead,
                RulesWrite,
                AuditRead,
                KeysManage,
                UsersManage,
                RolesManage,
            ],
        ),
        (
            BuiltinRole::Owner,
            "owner",
            &[
                EventsWrite,
                EventsRead,
                AssetsRead,
                FindingsRead,
                FindingsTriage,
                AlertsRead,
                RulesRead,
                RulesWrite,
                AuditRead,
                KeysManage,
                UsersManage,
                RolesManage,
            ],
        ),
        (
            BuiltinRole::Admin,
            "admin",
            &[
                EventsWrite,
                EventsRead,
                AssetsRead,
                FindingsRead,
                FindingsTriage,
                AlertsRead,
                RulesRead,
                RulesWrite,
                AuditRead,
                KeysManage,
                UsersManage,
            ],
        ),
        (
            BuiltinRole::Analyst,
            "analyst",
            &[
                EventsRead,
                AssetsRead,
                FindingsRead,
                FindingsTriage,
                AlertsRead,
                RulesRead,
                RulesWrite,
            ],
        ),
        (
            BuiltinRole::Viewer,
            "viewer",
            &[EventsRead, AssetsRead, FindingsRead, AlertsRead, RulesRead],
        ),
        (BuiltinRole::IngestOnly, "ingest-only", &[EventsWrite]),
    ]
};

impl BuiltinRole {
    pub const ALL: &'static [BuiltinRole] = &[
        BuiltinRole::PlatformAdmin,
        BuiltinRole::Owner,
        BuiltinRole::Admin,
        BuiltinRole::Analyst,
        BuiltinRole::Viewer,
        BuiltinRole::IngestOnly,
    ];

    fn entry(self) -> &'static (BuiltinRole, &'static str, &'static [Permission]) {
        ROLE_TABLE
            .iter()
            .find(|(r, _, _)| *r == self)
            .expect("every built-in role is in ROLE_TABLE")
    }

    pub fn as_str(self) -> &'static str {
        self.entry().1
    }

    pub fn permissions(self) -> PermissionSet {
        PermissionSet::of(self.entry().2)
    }

    /// The built-in role with this name, if any.
    pub fn parse(name: &str) -> Option<BuiltinRole> {
        ROLE_TABLE
            .iter()
            .find(|(_, n, _)| *n == name)
            .map(|(r, _, _)| *r)
    }
}

impl fmt::Display for BuiltinRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Checks a role name: 1 to 63 characters of `a-z`, `0-9` and `-`.
pub fn validate_role_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > 63 {
        return Err(format!("role name {name:?} must be 1 to 63 characters"));
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err(format!(
            "role name {name:?} may only contain a-z, 0-9 and '-'"
        ));
    }
    Ok(())
}

/// A tenant-defined role.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CustomRole {
    pub tenant: TenantId,
    pub name: String,
    #[schema(value_type = Vec<String>)]
    pub permissions: PermissionSet,
    pub created_at: DateTime<Utc>,
}

/// What kind of bearer credential an [`ApiKeyRecord`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum KeyKind {
    /// A long-lived API key created by an administrator.
    ApiKey,
    /// A login session of a user (short-lived; revoked on logout).
    Session,
}

/// A stored bearer credential: an API key or a user session. The secret
/// itself is never stored, only its SHA-256 ([`hash_secret`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiKeyRecord {
    /// The public part of the key (`mcpsec_<id>_<secret>`).
    pub id: String,
    /// `None`: platform scope.
    pub tenant: Option<TenantId>,
    /// A built-in role name or a custom role of the tenant.
    pub role: String,
    /// Hex SHA-256 of the secret part.
    pub secret_hash: String,
    pub name: String,
    pub kind: KeyKind,
    /// The user a session belongs to.
    pub user_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

impl ApiKeyRecord {
    /// Why the key may not be used at `now`, if it may not.
    pub fn unusable(&self, now: DateTime<Utc>) -> Option<&'static str> {
        if self.revoked_at.is_some() {
            Some("revoked")
        } else if self.expires_at.is_some_and(|e| e <= now) {
            Some("expired")
        } else {
            None
        }
    }
}

/// TOTP second factor of a user (RFC 6238, SHA-1, 6 digits, 30 s).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TotpState {
    /// The shared secret, base32 (RFC 4648, no padding).
    pub secret_b32: String,
    /// False between enrollment and the first correct code.
    pub enabled: bool,
    /// The last time step a code was accepted for (replay protection).
    #[serde(default)]
    pub last_step: u64,
}

/// A local user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: String,
    /// `None`: a platform user.
    pub tenant: Option<TenantId>,
    /// Unique across the installation; what the user logs in with.
    pub username: String,
    pub role: String,
    /// Argon2id PHC string.
    pub password_hash: String,
    pub totp: Option<TotpState>,
    /// Hex SHA-256 of each unused recovery code.
    #[serde(default)]
    pub recovery_code_hashes: Vec<String>,
    /// Consecutive failed logins (reset by a successful one).
    #[serde(default)]
    pub failed_logins: u32,
    /// No login is attempted before this time.
    pub locked_until: Option<DateTime<Utc>>,
    #[serde(default)]
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl User {
    pub fn mfa_enabled(&self) -> bool {
        self.totp.as_ref().is_some_and(|t| t.enabled)
    }
}

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq)]
pub struct Principal {
    /// Who, for logs and the audit log: `key:<id>`, `user:<name>`, `bootstrap`.
    pub subject: String,
    /// `None`: platform scope.
    pub tenant: Option<TenantId>,
    pub role: String,
    pub permissions: PermissionSet,
    /// The key or session that authenticated the request.
    pub key_id: Option<String>,
    pub user_id: Option<String>,
}

/// Why a principal may not do something.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    #[error("role {role:?} lacks the permission {permission}")]
    MissingPermission {
        role: String,
        permission: Permission,
    },
    #[error("this credential belongs to tenant {own:?} and may not act on tenant {requested:?}")]
    ForeignTenant { own: String, requested: String },
    #[error("this operation needs a platform-scope credential")]
    PlatformOnly,
}

impl Principal {
    /// Whether the principal acts for the whole platform (may cross tenants).
    pub fn is_platform(&self) -> bool {
        self.tenant.is_none()
    }

    /// The one authorization decision: may this principal use `permission`
    /// on `tenant` (`None`: a platform-level operation)?
    pub fn authorize(
        &self,
        permission: Permission,
        tenant: Option<&TenantId>,
    ) -> Result<(), Denied> {
        if !self.permissions.contains(permission) {
            return Err(Denied::MissingPermission {
                role: self.role.clone(),
                permission,
            });
        }
        match (&self.tenant, tenant) {
            (None, _) => Ok(()),
            (Some(_), None) => Err(Denied::PlatformOnly),
            (Some(own), Some(requested)) if own == requested => Ok(()),
            (Some(own), Some(requested)) => Err(Denied::ForeignTenant {
                own: own.to_string(),
                requested: requested.to_string(),
            }),
        }
    }
}

// ---------------------------------------------------------------------------
// Key format and hashing
// ---------------------------------------------------------------------------

/// Prefix of every API key and session token.
pub const KEY_PREFIX: &str = "mcpsec_";

/// The two parts of a presented key `mcpsec_<id>_<secret>`.
pub fn parse_key(token: &str) -> Option<(&str, &str)> {
    let rest = token.strip_prefix(KEY_PREFIX)?;
    let (id, secret) = rest.split_once('_')?;
    let ok = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric());
    (ok(id) && ok(secret)).then_some((id, secret))
}

/// Formats a key from its parts.
pub fn format_key(id: &str, secret: &str) -> String {
    format!("{KEY_PREFIX}{id}_{secret}")
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// Hex SHA-256 of a high-entropy secret (API-key secret, recovery code).
pub fn hash_secret(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

/// Compares two byte strings in time independent of where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Whether `secret` matches the stored `hash` (constant time).
pub fn verify_secret(secret: &str, hash: &str) -> bool {
    constant_time_eq(hash_secret(secret).as_bytes(), hash.as_bytes())
}

// ---------------------------------------------------------------------------
// Audit log
// ---------------------------------------------------------------------------

/// The `prev_hash` of the first record.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// An audit record before the store chains it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewAuditRecord {
    pub at: DateTime<Utc>,
    /// The tenant acted on; `None` for platform-level actions.
    pub tenant: Option<TenantId>,
    /// The principal's subject (`key:…`, `user:…`, `cli`, `bootstrap`).
    pub actor: String,
    /// What happened, e.g. `auth.login`, `api_key.create`, `finding.transition`.
    pub action: String,
    /// What it happened to (a key id, a user, a finding id…).
    pub target: Option<String>,
    /// `success` or `failure`.
    pub outcome: String,
    #[serde(default)]
    pub details: BTreeMap<String, String>,
}

/// A chained audit record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditRecord {
    /// Position in the chain, from 1, without gaps.
    pub seq: u64,
    pub at: DateTime<Utc>,
    #[schema(value_type = Option<String>)]
    pub tenant: Option<TenantId>,
    pub actor: String,
    pub action: String,
    pub target: Option<String>,
    pub outcome: String,
    pub details: BTreeMap<String, String>,
    /// `hash` of the record before (all zeros for the first).
    pub prev_hash: String,
    /// Hex `SHA-256(prev_hash ‖ canonical JSON of the other fields)`.
    pub hash: String,
}

/// The hashed content of a record: every field but `hash`, in a fixed order
/// (struct field order; `details` is a sorted map), serialized compactly.
#[derive(Serialize)]
struct CanonicalAudit<'a> {
    seq: u64,
    at: &'a DateTime<Utc>,
    tenant: Option<&'a str>,
    actor: &'a str,
    action: &'a str,
    target: Option<&'a str>,
    outcome: &'a str,
    details: &'a BTreeMap<String, String>,
    prev_hash: &'a str,
}

impl AuditRecord {
    /// Chains `new` after a record with `prev_hash` at position `seq`.
    pub fn chain(new: NewAuditRecord, seq: u64, prev_hash: &str) -> AuditRecord {
        let mut r = AuditRecord {
            seq,
            at: new.at,
            tenant: new.tenant,
            actor: new.actor,
            action: new.action,
            target: new.target,
            outcome: new.outcome,
            details: new.details,
            prev_hash: prev_hash.to_string(),
            hash: String::new(),
        };
        r.hash = r.compute_hash();
        r
    }

    /// The canonical JSON that is hashed.
    pub fn canonical_json(&self) -> String {
        serde_json::to_string(&CanonicalAudit {
            seq: self.seq,
            at: &self.at,
            tenant: self.tenant.as_ref().map(|t| t.as_str()),
            actor: &self.actor,
            action: &self.action,
            target: self.target.as_deref(),
            outcome: &self.outcome,
            details: &self.details,
            prev_hash: &self.prev_hash,
        })
        .expect("audit records serialize")
    }

    /// Recomputes the hash from the content.
    pub fn compute_hash(&self) -> String {
        let mut h = Sha256::new();
        h.update(self.prev_hash.as_bytes());
        h.update(self.canonical_json().as_bytes());
        hex(&h.finalize())
    }
}

/// The first record that breaks the chain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("audit chain broken at record {seq}: {reason}")]
pub struct ChainBreak {
    pub seq: u64,
    pub reason: String,
}

/// Incremental verification of an audit chain, fed records in `seq` order
/// (so a long chain can be checked page by page).
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    next_seq: u64,
    prev_hash: String,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        ChainVerifier {
            next_seq: 1,
            prev_hash: GENESIS_HASH.to_string(),
        }
    }
}

impl ChainVerifier {
    pub fn push(&mut self, r: &AuditRecord) -> Result<(), ChainBreak> {
        let fail = |reason: String| ChainBreak { seq: r.seq, reason };
        if r.seq != self.next_seq {
            return Err(ChainBreak {
                seq: self.next_seq,
                reason: format!(
                    "record {} is missing (the next stored record is {})",
                    self.next_seq, r.seq
                ),
            });
        }
        if r.prev_hash != self.prev_hash {
            return Err(fail(format!(
                "prev_hash {} does not match the hash {} of record {} (this record or the one before was altered)",
                r.prev_hash,
                self.prev_hash,
                r.seq.saturating_sub(1)
            )));
        }
        let computed = r.compute_hash();
        if !constant_time_eq(computed.as_bytes(), r.hash.as_bytes()) {
            return Err(fail(format!(
                "content does not match its hash (stored {}, computed {computed})",
                r.hash
            )));
        }
        self.next_seq += 1;
        self.prev_hash = r.hash.clone();
        Ok(())
    }

    /// How many records were verified.
    pub fn count(&self) -> u64 {
        self.next_seq - 1
    }

    /// The hash of the last verified record (anchor it elsewhere to detect
    /// truncation of the tail).
    pub fn head(&self) -> &str {
        &self.prev_hash
    }
}

/// Verifies a whole chain; returns the number of records and the head hash.
pub fn verify_chain<'a>(
    records: impl IntoIterator<Item = &'a AuditRecord>,
) -> Result<(u64, String), ChainBreak> {
    let mut v = ChainVerifier::default();
    for r in records {
        v.push(r)?;
    }
    Ok((v.count(), v.head().to_string()))
}

// ---------------------------------------------------------------------------
// The store
// ---------------------------------------------------------------------------

/// A change to a stored user, applied atomically by [`AuthStore::modify_user`]
/// (its error aborts the change).
pub type UserUpdate = Box<dyn FnOnce(&mut User) -> StoreResult<()> + Send>;

/// Durable users, credentials, custom roles and the audit log.
///
/// Scoping: management methods take the tenant (`None` for platform scope) and
/// only see records of that scope; the two lookups used to authenticate
/// ([`AuthStore::find_api_key`], [`AuthStore::find_user_by_username`]) are
/// global because the caller's tenant is not known before authentication.
#[async_trait]
pub trait AuthStore: Send + Sync {
    /// `Conflict` if the id or the username exists.
    async fn create_user(&self, user: &User) -> StoreResult<()>;
    async fn get_user(&self, tenant: Option<&TenantId>, id: &str) -> StoreResult<Option<User>>;
    /// For login only.
    async fn find_user_by_username(&self, username: &str) -> StoreResult<Option<User>>;
    async fn list_users(&self, tenant: Option<&TenantId>) -> StoreResult<Vec<User>>;
    /// Reads, changes and writes the user in one transaction; `NotFound` when
    /// no such user is in `tenant`. Returns the stored result.
    async fn modify_user(
        &self,
        tenant: Option<&TenantId>,
        id: &str,
        update: UserUpdate,
    ) -> StoreResult<User>;

    /// `Conflict` if the id exists.
    async fn create_api_key(&self, key: &ApiKeyRecord) -> StoreResult<()>;
    /// For authentication only.
    async fn find_api_key(&self, id: &str) -> StoreResult<Option<ApiKeyRecord>>;
    /// The scope's keys and sessions, in id order.
    async fn list_api_keys(&self, tenant: Option<&TenantId>) -> StoreResult<Vec<ApiKeyRecord>>;
    /// Marks the key revoked (idempotent: the first revocation time stays);
    /// `NotFound` when no such key is in `tenant`.
    async fn revoke_api_key(
        &self,
        tenant: Option<&TenantId>,
        id: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<ApiKeyRecord>;
    /// Records that the key was used at `at`.
    async fn touch_api_key(&self, id: &str, at: DateTime<Utc>) -> StoreResult<()>;

    /// Creates or replaces a custom role.
    async fn put_role(&self, role: &CustomRole) -> StoreResult<()>;
    async fn get_role(&self, tenant: &TenantId, name: &str) -> StoreResult<Option<CustomRole>>;
    async fn list_roles(&self, tenant: &TenantId) -> StoreResult<Vec<CustomRole>>;

    /// Appends to the hash chain (atomically: concurrent appends from several
    /// processes form one chain without gaps). Returns the chained record.
    async fn append_audit(&self, record: NewAuditRecord) -> StoreResult<AuditRecord>;
    /// Records with `seq > after_seq`, in order, at most `limit`; only the
    /// tenant's records when `tenant` is given, all records otherwise.
    async fn list_audit(
        &self,
        tenant: Option<&TenantId>,
        after_seq: u64,
        limit: u32,
    ) -> StoreResult<Vec<AuditRecord>>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(tenant: Option<&str>, role: BuiltinRole) -> Principal {
        Principal {
            subject: "test".into(),
            tenant: tenant.map(|t| TenantId::new(t).unwrap()),
            role: role.as_str().into(),
            permissions: role.permissions(),
            key_id: None,
            user_id: None,
        }
    }

    #[test]
    fn permission_names_round_trip_and_are_unique() {
        let mut names: Vec<_> = Permission::ALL.iter().map(|p| p.as_str()).collect();
        for p in Permission::ALL {
            assert_eq!(p.as_str().parse::<Permission>(), Ok(*p));
            assert_eq!(serde_json::to_value(p).unwrap(), p.as_str());
        }
        names.sort();
        names.dedup();
        assert_eq!(names.len(), Permission::ALL.len());
        assert!(Permission::ALL.len() <= 32, "PermissionSet is a u32");
    }

    #[test]
    fn role_table_is_complete_and_nested() {
        for r in BuiltinRole::ALL {
            assert_eq!(BuiltinRole::parse(r.as_str()), Some(*r));
        }
        let p = |r: BuiltinRole| r.permissions();
        assert_eq!(p(BuiltinRole::PlatformAdmin), PermissionSet::all());
        assert!(p(BuiltinRole::PlatformAdmin).includes(p(BuiltinRole::Owner)));
        assert!(p(BuiltinRole::Owner).includes(p(BuiltinRole::Admin)));
        assert!(!p(BuiltinRole::Admin).includes(p(BuiltinRole::Owner)));
        assert!(p(BuiltinRole::Admin).includes(p(BuiltinRole::Analyst)));
        assert!(p(BuiltinRole::Analyst).includes(p(BuiltinRole::Viewer)));
        assert!(!p(BuiltinRole::Viewer).contains(Permission::EventsWrite));
        assert_eq!(
            p(BuiltinRole::IngestOnly).to_vec(),
            vec![Permission::EventsWrite]
        );
        for (r, _, perms) in ROLE_TABLE {
            if *r != BuiltinRole::PlatformAdmin {
                assert!(perms.iter().all(|p| p.is_tenant_level()), "{r}");
            }
        }
        let json = serde_json::to_string(&p(BuiltinRole::IngestOnly)).unwrap();
        assert_eq!(json, r#"["events:write"]"#);
        let back: PermissionSet = serde_json::from_str(&json).unwrap();
        assert_eq!(back, p(BuiltinRole::IngestOnly));
    }

    #[test]
    fn authorize_checks_permission_and_tenant() {
        let acme = TenantId::new("acme").unwrap();
        let other = TenantId::new("other").unwrap();
        let analyst = principal(Some("acme"), BuiltinRole::Analyst);
        assert_eq!(
            analyst.authorize(Permission::FindingsTriage, Some(&acme)),
            Ok(())
        );
        assert!(matches!(
            analyst.authorize(Permission::FindingsTriage, Some(&other)),
            Err(Denied::ForeignTenant { .. })
        ));
        assert!(matches!(
            analyst.authorize(Permission::KeysManage, Some(&acme)),
            Err(Denied::MissingPermission { .. })
        ));
        let owner = principal(Some("acme"), BuiltinRole::Owner);
        assert!(owner.authorize(Permission::TenantsAdmin, None).is_err());
        let platform = principal(None, BuiltinRole::PlatformAdmin);
        assert_eq!(platform.authorize(Permission::TenantsAdmin, None), Ok(()));
        assert_eq!(
            platform.authorize(Permission::FindingsTriage, Some(&other)),
            Ok(())
        );
    }

    #[test]
    fn key_format() {
        let k = format_key("abc123", "S3cret");
        assert_eq!(parse_key(&k), Some(("abc123", "S3cret")));
        assert_eq!(parse_key("mcpsec_abc"), None);
        assert_eq!(parse_key("mcpsec__x"), None);
        assert_eq!(parse_key("other_a_b"), None);
        assert_eq!(parse_key("mcpsec_a_b c"), None);
        assert!(verify_secret("S3cret", &hash_secret("S3cret")));
        assert!(!verify_secret("S3cres", &hash_secret("S3cret")));
        assert_eq!(
            hash_secret("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    fn rec(i: u64) -> NewAuditRecord {
        NewAuditRecord {
            at: DateTime::from_timestamp(1_700_000_000 + i as i64, 0).unwrap(),
            tenant: Some(TenantId::new("acme").unwrap()),
            actor: "key:k1".into(),
            action: "api_key.create".into(),
            target: Some(format!("k{i}")),
            outcome: "success".into(),
            details: BTreeMap::from([("role".into(), "viewer".into())]),
        }
    }

    #[test]
    fn chain_detects_tampering() {
        let mut chain = Vec::new();
        let mut prev = GENESIS_HASH.to_string();
        for i in 1..=5 {
            let r = AuditRecord::chain(rec(i), i, &prev);
            prev = r.hash.clone();
            chain.push(r);
        }
        let (n, head) = verify_chain(&chain).unwrap();
        assert_eq!((n, head.as_str()), (5, prev.as_str()));

        let mut altered = chain.clone();
        altered[2].actor = "key:someone-else".into();
        assert_eq!(verify_chain(&altered).unwrap_err().seq, 3);

        // Re-hashing the altered record breaks the link to the next one.
        altered[2].hash = altered[2].compute_hash();
        assert_eq!(verify_chain(&altered).unwrap_err().seq, 4);

        let mut removed = chain.clone();
        removed.remove(1);
        assert_eq!(verify_chain(&removed).unwrap_err().seq, 2);
    }
}
