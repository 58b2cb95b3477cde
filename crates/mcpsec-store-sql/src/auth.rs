//! [`AuthStore`] for [`SqlStore`]: users (`auth_users`), API keys and sessions
//! (`auth_api_keys`), custom roles (`auth_roles`) and the audit hash chain
//! (`audit_log`). Migrations: `0002_auth.sql`.
//!
//! Platform-scope records are stored with `tenant_id = ''`. Audit records are
//! only ever inserted: an append reads the last record (locked until commit on
//! PostgreSQL; SQLite's `BEGIN IMMEDIATE` serializes writers) and inserts the
//! next `seq`; when two PostgreSQL processes race, the loser's insert hits the
//! primary key and it retries on the new head.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use mcpsec_core::TenantId;
use mcpsec_core::auth::{
    ApiKeyRecord, AuditRecord, AuthStore, CustomRole, GENESIS_HASH, NewAuditRecord, User,
    UserUpdate,
};
use mcpsec_core::store::{StoreError, StoreResult};

use crate::backend::{Backend, BodyRow};
use crate::query::{Arg, Statement, stmt, text};
use crate::{SqlStore, record};

/// How often an audit append retries after losing a race for the next `seq`.
const AUDIT_APPEND_ATTEMPTS: usize = 50;

/// The `tenant_id` column value of a scope.
fn scope(tenant: Option<&TenantId>) -> Arg {
    text(tenant.map(|t| t.as_str()).unwrap_or(""))
}

fn upsert_user(user: &User) -> StoreResult<Statement> {
    let body = record::encode("auth_users", &user.id, user)?;
    Ok(stmt(|p| {
        let (i, t, u, b) = (
            p(text(&user.id)),
            p(scope(user.tenant.as_ref())),
            p(text(&user.username)),
            p(Arg::Text(body)),
        );
        format!(
            "INSERT INTO auth_users (id, tenant_id, username, body) VALUES ({i}, {t}, {u}, {b}) \
             ON CONFLICT (id) DO UPDATE SET body = excluded.body"
        )
    }))
}

fn upsert_key(key: &ApiKeyRecord, on_conflict_update: bool) -> StoreResult<Statement> {
    let body = record::encode("auth_api_keys", &key.id, key)?;
    Ok(stmt(|p| {
        let (i, t, b) = (
            p(text(&key.id)),
            p(scope(key.tenant.as_ref())),
            p(Arg::Text(body)),
        );
        let conflict = if on_conflict_update {
            " ON CONFLICT (id) DO UPDATE SET body = excluded.body"
        } else {
            ""
        };
        format!("INSERT INTO auth_api_keys (id, tenant_id, body) VALUES ({i}, {t}, {b}){conflict}")
    }))
}

fn select_key(tenant: Option<Option<&TenantId>>, id: &str, lock: &str) -> Statement {
    stmt(|p| {
        let i = p(text(id));
        match tenant {
            Some(t) => {
                let t = p(scope(t));
                format!(
                    "SELECT id, body FROM auth_api_keys WHERE id = {i} AND tenant_id = {t}{lock}"
                )
            }
            None => format!("SELECT id, body FROM auth_api_keys WHERE id = {i}{lock}"),
        }
    })
}

fn insert_audit(r: &AuditRecord) -> StoreResult<Statement> {
    let seq = i64::try_from(r.seq)
        .map_err(|_| StoreError::Internal(format!("audit seq {} out of range", r.seq)))?;
    let body = record::encode("audit_log", &r.seq.to_string(), r)?;
    Ok(stmt(|p| {
        let (s, t, b) = (
            p(Arg::Int(seq)),
            p(scope(r.tenant.as_ref())),
            p(Arg::Text(body)),
        );
        format!("INSERT INTO audit_log (seq, tenant_id, body) VALUES ({s}, {t}, {b})")
    }))
}

#[async_trait]
impl<B: Backend> AuthStore for SqlStore<B> {
    async fn create_user(&self, user: &User) -> StoreResult<()> {
        let op = self.op("create_user");
        op.run(async {
            let body = record::encode("auth_users", &user.id, user)?;
            let insert = stmt(|p| {
                let (i, t, u, b) = (
                    p(text(&user.id)),
                    p(scope(user.tenant.as_ref())),
                    p(text(&user.username)),
                    p(Arg::Text(body)),
                );
                format!(
                    "INSERT INTO auth_users (id, tenant_id, username, body) VALUES ({i}, {t}, {u}, {b})"
                )
            });
            match self.backend.execute(&insert).await {
                Ok(_) => Ok(()),
                Err(e) => match op.sql(e) {
                    StoreError::Conflict(_) => Err(StoreError::Conflict(format!(
                        "user {:?} already exists",
                        user.username
                    ))),
                    other => Err(other),
                },
            }
        })
        .await
    }

    async fn get_user(&self, tenant: Option<&TenantId>, id: &str) -> StoreResult<Option<User>> {
        let op = self.op("get_user");
        let select = stmt(|p| {
            let (i, t) = (p(text(id)), p(scope(tenant)));
            format!("SELECT id, body FROM auth_users WHERE id = {i} AND tenant_id = {t}")
        });
        op.run(async { Ok(self.fetch(&op, "auth_users", &select).await?.pop()) })
            .await
    }

    async fn find_user_by_username(&self, username: &str) -> StoreResult<Option<User>> {
        let op = self.op("find_user_by_username");
        let select = stmt(|p| {
            let u = p(text(username));
            format!("SELECT id, body FROM auth_users WHERE username = {u}")
        });
        op.run(async { Ok(self.fetch(&op, "auth_users", &select).await?.pop()) })
            .await
    }

    async fn list_users(&self, tenant: Option<&TenantId>) -> StoreResult<Vec<User>> {
        let op = self.op("list_users");
        let select = stmt(|p| {
            let t = p(scope(tenant));
            format!("SELECT id, body FROM auth_users WHERE tenant_id = {t} ORDER BY id")
        });
        op.run(self.fetch(&op, "auth_users", &select)).await
    }

    async fn modify_user(
        &self,
        tenant: Option<&TenantId>,
        id: &str,
        update: UserUpdate,
    ) -> StoreResult<User> {
        let op = self.op("modify_user");
        op.run(async {
            let select = stmt(|p| {
                let (i, t) = (p(text(id)), p(scope(tenant)));
                format!(
                    "SELECT id, body FROM auth_users WHERE id = {i} AND tenant_id = {t}{}",
                    B::LOCK_FOR_UPDATE
                )
            });
            let apply = move |row: BodyRow| {
                let mut user: User = record::decode("auth_users", &row.id, &row.body)?;
                let (id, tenant, username) =
                    (user.id.clone(), user.tenant.clone(), user.username.clone());
                update(&mut user)?;
                if user.id != id || user.tenant != tenant || user.username != username {
                    return Err(StoreError::Invalid(
                        "a user's id, tenant and username cannot change".into(),
                    ));
                }
                Ok((upsert_user(&user)?, user))
            };
            match self
                .backend
                .read_modify_write(&select, apply)
                .await
                .map_err(|e| op.sql(e))?
            {
                Some(result) => result,
                None => Err(StoreError::NotFound(format!("user {id}"))),
            }
        })
        .await
    }

    async fn create_api_key(&self, key: &ApiKeyRecord) -> StoreResult<()> {
        let op = self.op("create_api_key");
        op.run(async {
            let insert = upsert_key(key, false)?;
            self.backend
                .execute(&insert)
                .await
                .map(drop)
                .map_err(|e| op.sql(e))
        })
        .await
    }

    async fn find_api_key(&self, id: &str) -> StoreResult<Option<ApiKeyRecord>> {
        let op = self.op("find_api_key");
        let select = select_key(None, id, "");
        op.run(async { Ok(self.fetch(&op, "auth_api_keys", &select).await?.pop()) })
            .await
    }

    async fn list_api_keys(&self, tenant: Option<&TenantId>) -> StoreResult<Vec<ApiKeyRecord>> {
        let op = self.op("list_api_keys");
        let select = stmt(|p| {
            let t = p(scope(tenant));
            format!("SELECT id, body FROM auth_api_keys WHERE tenant_id = {t} ORDER BY id")
        });
        op.run(self.fetch(&op, "auth_api_keys", &select)).await
    }

    async fn revoke_api_key(
        &self,
        tenant: Option<&TenantId>,
        id: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<ApiKeyRecord> {
        let op = self.op("revoke_api_key");
        op.run(async {
            let select = select_key(Some(tenant), id, B::LOCK_FOR_UPDATE);
            let apply = move |row: BodyRow| {
                let mut key: ApiKeyRecord = record::decode("auth_api_keys", &row.id, &row.body)?;
                key.revoked_at.get_or_insert(at);
                Ok((upsert_key(&key, true)?, key))
            };
            match self
                .backend
                .read_modify_write(&select, apply)
                .await
                .map_err(|e| op.sql(e))?
            {
                Some(result) => result,
                None => Err(StoreError::NotFound(format!("API key {id}"))),
            }
        })
        .await
    }

    async fn touch_api_key(&self, id: &str, at: DateTime<Utc>) -> StoreResult<()> {
        let op = self.op("touch_api_key");
        op.run(async {
            let select = select_key(None, id, B::LOCK_FOR_UPDATE);
            let apply = move |row: BodyRow| {
                let mut key: ApiKeyRecord = record::decode("auth_api_keys", &row.id, &row.body)?;
                if key.last_used_at.is_none_or(|t| t < at) {
                    key.last_used_at = Some(at);
                }
                Ok((upsert_key(&key, true)?, ()))
            };
            match self
                .backend
                .read_modify_write(&select, apply)
                .await
                .map_err(|e| op.sql(e))?
            {
                Some(result) => result,
                None => Err(StoreError::NotFound(format!("API key {id}"))),
            }
        })
        .await
    }

    async fn put_role(&self, role: &CustomRole) -> StoreResult<()> {
        let op = self.op("put_role");
        op.run(async {
            let body = record::encode("auth_roles", &role.name, role)?;
            let upsert = stmt(|p| {
                let (t, n, b) = (
                    p(text(role.tenant.as_str())),
                    p(text(&role.name)),
                    p(Arg::Text(body)),
                );
                format!(
                    "INSERT INTO auth_roles (tenant_id, name, body) VALUES ({t}, {n}, {b}) \
                     ON CONFLICT (tenant_id, name) DO UPDATE SET body = excluded.body"
                )
            });
            self.backend
                .execute(&upsert)
                .await
                .map(drop)
                .map_err(|e| op.sql(e))
        })
        .await
    }

    async fn get_role(&self, tenant: &TenantId, name: &str) -> StoreResult<Option<CustomRole>> {
        let op = self.op("get_role");
        let select = stmt(|p| {
            let (t, n) = (p(text(tenant.as_str())), p(text(name)));
            format!("SELECT name, body FROM auth_roles WHERE tenant_id = {t} AND name = {n}")
        });
        op.run(async { Ok(self.fetch(&op, "auth_roles", &select).await?.pop()) })
            .await
    }

    async fn list_roles(&self, tenant: &TenantId) -> StoreResult<Vec<CustomRole>> {
        let op = self.op("list_roles");
        let select = stmt(|p| {
            let t = p(text(tenant.as_str()));
            format!("SELECT name, body FROM auth_roles WHERE tenant_id = {t} ORDER BY name")
        });
        op.run(self.fetch(&op, "auth_roles", &select)).await
    }

    async fn append_audit(&self, new: NewAuditRecord) -> StoreResult<AuditRecord> {
        let op = self.op("append_audit");
        op.run(async {
            let head = Statement {
                sql: format!(
                    "SELECT CAST(seq AS TEXT) AS seq_text, body FROM audit_log ORDER BY seq DESC LIMIT 1{}",
                    B::LOCK_FOR_UPDATE
                ),
                args: Vec::new(),
            };
            let mut last_err = None;
            for _ in 0..AUDIT_APPEND_ATTEMPTS {
                let for_closure = new.clone();
                let chain_after = move |row: BodyRow| {
                    let prev: AuditRecord = record::decode("audit_log", &row.id, &row.body)?;
                    let next = AuditRecord::chain(for_closure, prev.seq + 1, &prev.hash);
                    Ok((insert_audit(&next)?, next))
                };
                let attempt = match self.backend.read_modify_write(&head, chain_after).await {
                    Ok(Some(result)) => result,
                    Ok(None) => {
                        // The first record of the chain.
                        let first = AuditRecord::chain(new.clone(), 1, GENESIS_HASH);
                        let insert = insert_audit(&first)?;
                        self.backend
                            .execute(&insert)
                            .await
                            .map(|_| first)
                            .map_err(|e| op.sql(e))
                    }
                    Err(e) => Err(op.sql(e)),
                };
                match attempt {
                    Err(StoreError::Conflict(msg)) => {
                        last_err = Some(msg);
                        tokio::task::yield_now().await;
                    }
                    other => return other,
                }
            }
            Err(StoreError::Unavailable(format!(
                "audit append kept losing the race for the next record: {}",
                last_err.unwrap_or_default()
            )))
        })
        .await
    }

    async fn list_audit(
        &self,
        tenant: Option<&TenantId>,
        after_seq: u64,
        limit: u32,
    ) -> StoreResult<Vec<AuditRecord>> {
        let op = self.op("list_audit");
        let after = i64::try_from(after_seq).unwrap_or(i64::MAX);
        let limit = i64::from(limit.clamp(1, 10_000));
        let select = stmt(|p| {
            let a = p(Arg::Int(after));
            let filter = match tenant {
                Some(t) => format!(" AND tenant_id = {}", p(text(t.as_str()))),
                None => String::new(),
            };
            let l = p(Arg::Int(limit));
            format!(
                "SELECT CAST(seq AS TEXT) AS seq_text, body FROM audit_log WHERE seq > {a}{filter} \
                 ORDER BY seq LIMIT {l}"
            )
        });
        op.run(self.fetch(&op, "audit_log", &select)).await
    }
}
