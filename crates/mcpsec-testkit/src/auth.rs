//! Conformance suite for [`AuthStore`] implementations: users, API keys,
//! custom roles, the audit hash chain, and tenant isolation of all of them.
//!
//! Call [`run_auth_conformance`] from a backend's integration test. Every
//! function works in fresh tenants and unique user names, so several runs can
//! share one database at the same time (the audit chain is global, so the
//! chain checks only assume that *their* records are chained, in order).

use std::collections::BTreeMap;

use chrono::Utc;
use mcpsec_core::TenantId;
use mcpsec_core::auth::{
    ApiKeyRecord, AuthStore, BuiltinRole, ChainVerifier, CustomRole, KeyKind, NewAuditRecord,
    Permission, PermissionSet, TotpState, User, hash_secret,
};
use mcpsec_core::store::StoreError;

use crate::store::t;
use crate::unique_tenant;

/// Runs every behaviour of the auth store contract against `store`.
pub async fn run_auth_conformance(store: &dyn AuthStore) {
    users(store).await;
    user_modify_is_atomic(store).await;
    api_keys(store).await;
    roles(store).await;
    audit_chain(store).await;
    audit_concurrent_appends(store).await;
    auth_tenant_isolation(store).await;
}

fn unique(prefix: &str) -> String {
    format!(
        "{prefix}-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    )
}

pub fn user(tenant: Option<&TenantId>, username: &str, role: BuiltinRole) -> User {
    User {
        id: unique("u"),
        tenant: tenant.cloned(),
        username: username.to_string(),
        role: role.as_str().to_string(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo".into(),
        totp: None,
        recovery_code_hashes: vec![hash_secret("code-1"), hash_secret("code-2")],
        failed_logins: 0,
        locked_until: None,
        disabled: false,
        created_at: t(0),
        updated_at: t(0),
    }
}

pub fn api_key(tenant: Option<&TenantId>, role: BuiltinRole) -> ApiKeyRecord {
    ApiKeyRecord {
        id: unique("k").replace('-', ""),
        tenant: tenant.cloned(),
        role: role.as_str().to_string(),
        secret_hash: hash_secret("secret"),
        name: "ci".into(),
        kind: KeyKind::ApiKey,
        user_id: None,
        created_at: t(0),
        expires_at: Some(t(3600)),
        revoked_at: None,
        last_used_at: None,
    }
}

fn audit(tenant: Option<&TenantId>, action: &str, target: &str) -> NewAuditRecord {
    NewAuditRecord {
        at: Utc::now(),
        tenant: tenant.cloned(),
        actor: "conformance".into(),
        action: action.into(),
        target: Some(target.into()),
        outcome: "success".into(),
        details: BTreeMap::from([("k".into(), "v".into())]),
    }
}

pub async fn users(store: &dyn AuthStore) {
    let tenant = unique_tenant("users");
    let name = unique("alice");
    let u = user(Some(&tenant), &name, BuiltinRole::Analyst);
    store.create_user(&u).await.unwrap();
    assert_eq!(
        store.get_user(Some(&tenant), &u.id).await.unwrap(),
        Some(u.clone())
    );
    assert_eq!(
        store.find_user_by_username(&name).await.unwrap(),
        Some(u.clone())
    );
    assert_eq!(
        store
            .find_user_by_username(&unique("nobody"))
            .await
            .unwrap(),
        None
    );
    // Usernames are unique across tenants.
    let other = unique_tenant("users-other");
    let dup = user(Some(&other), &name, BuiltinRole::Viewer);
    assert!(matches!(
        store.create_user(&dup).await,
        Err(StoreError::Conflict(_))
    ));
    let second = user(Some(&tenant), &unique("bob"), BuiltinRole::Viewer);
    store.create_user(&second).await.unwrap();
    let listed = store.list_users(Some(&tenant)).await.unwrap();
    let mut ids: Vec<_> = [u.id.clone(), second.id.clone()].into();
    ids.sort();
    assert_eq!(listed.iter().map(|u| u.id.clone()).collect::<Vec<_>>(), ids);

    let updated = store
        .modify_user(
            Some(&tenant),
            &u.id,
            Box::new(|u| {
                u.role = "viewer".into();
                u.totp = Some(TotpState {
                    secret_b32: "JBSWY3DPEHPK3PXP".into(),
                    enabled: true,
                    last_step: 7,
                });
                Ok(())
            }),
        )
        .await
        .unwrap();
    assert_eq!(updated.role, "viewer");
    assert_eq!(
        store.get_user(Some(&tenant), &u.id).await.unwrap(),
        Some(updated)
    );
    // A refused update writes nothing.
    let err = store
        .modify_user(
            Some(&tenant),
            &u.id,
            Box::new(|u| {
                u.role = "owner".into();
                Err(StoreError::Conflict("refused".into()))
            }),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err}");
    assert_eq!(
        store
            .get_user(Some(&tenant), &u.id)
            .await
            .unwrap()
            .unwrap()
            .role,
        "viewer"
    );
    let err = store
        .modify_user(
            Some(&tenant),
            &u.id,
            Box::new(|u| {
                u.username = "renamed".into();
                Ok(())
            }),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err}");
    assert!(matches!(
        store
            .modify_user(Some(&tenant), "no-such-user", Box::new(|_| Ok(())))
            .await,
        Err(StoreError::NotFound(_))
    ));

    // Platform users live in the platform scope only.
    let admin = user(None, &unique("root"), BuiltinRole::PlatformAdmin);
    store.create_user(&admin).await.unwrap();
    assert_eq!(
        store.get_user(None, &admin.id).await.unwrap(),
        Some(admin.clone())
    );
    assert_eq!(
        store.get_user(Some(&tenant), &admin.id).await.unwrap(),
        None
    );
    assert!(
        store
            .list_users(None)
            .await
            .unwrap()
            .iter()
            .all(|u| u.tenant.is_none())
    );
}

/// Concurrent read-modify-write of one user loses no update (the lockout
/// counter and single-use recovery codes depend on it).
pub async fn user_modify_is_atomic(store: &dyn AuthStore) {
    let tenant = unique_tenant("atomic");
    let u = user(Some(&tenant), &unique("carol"), BuiltinRole::Viewer);
    store.create_user(&u).await.unwrap();
    let n = 20;
    let results = futures_join(
        (0..n)
            .map(|_| {
                store.modify_user(
                    Some(&tenant),
                    &u.id,
                    Box::new(|u| {
                        u.failed_logins += 1;
                        Ok(())
                    }),
                )
            })
            .collect(),
    )
    .await;
    for r in results {
        r.unwrap();
    }
    let stored = store.get_user(Some(&tenant), &u.id).await.unwrap().unwrap();
    assert_eq!(stored.failed_logins, n);
}

async fn futures_join<F: std::future::Future>(futs: Vec<F>) -> Vec<F::Output> {
    // Poll all at once without a dependency on the futures crate.
    let mut out = Vec::with_capacity(futs.len());
    let handles: Vec<_> = futs.into_iter().map(Box::pin).collect();
    let mut pending: Vec<Option<std::pin::Pin<Box<F>>>> = handles.into_iter().map(Some).collect();
    let mut results: Vec<Option<F::Output>> = (0..pending.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut done = true;
        for (i, slot) in pending.iter_mut().enumerate() {
            if let Some(f) = slot {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => {
                        results[i] = Some(v);
                        *slot = None;
                    }
                    std::task::Poll::Pending => done = false,
                }
            }
        }
        if done {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    out.extend(results.into_iter().map(|r| r.expect("completed")));
    out
}

pub async fn api_keys(store: &dyn AuthStore) {
    let tenant = unique_tenant("keys");
    let k = api_key(Some(&tenant), BuiltinRole::IngestOnly);
    store.create_api_key(&k).await.unwrap();
    assert!(matches!(
        store.create_api_key(&k).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(store.find_api_key(&k.id).await.unwrap(), Some(k.clone()));
    assert_eq!(store.find_api_key("nokey").await.unwrap(), None);
    let mut session = api_key(Some(&tenant), BuiltinRole::Viewer);
    session.kind = KeyKind::Session;
    session.user_id = Some("u-1".into());
    store.create_api_key(&session).await.unwrap();
    let listed = store.list_api_keys(Some(&tenant)).await.unwrap();
    let mut expected = vec![k.clone(), session.clone()];
    expected.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(listed, expected);

    let used = t(60);
    store.touch_api_key(&k.id, used).await.unwrap();
    store.touch_api_key(&k.id, t(30)).await.unwrap();
    let stored = store.find_api_key(&k.id).await.unwrap().unwrap();
    assert_eq!(stored.last_used_at, Some(used), "last use never goes back");
    assert!(stored.unusable(t(10)).is_none());
    assert_eq!(stored.unusable(t(3600)), Some("expired"));

    let revoked = store
        .revoke_api_key(Some(&tenant), &k.id, t(100))
        .await
        .unwrap();
    assert_eq!(revoked.revoked_at, Some(t(100)));
    let again = store
        .revoke_api_key(Some(&tenant), &k.id, t(200))
        .await
        .unwrap();
    assert_eq!(
        again.revoked_at,
        Some(t(100)),
        "first revocation time stays"
    );
    let stored = store.find_api_key(&k.id).await.unwrap().unwrap();
    assert_eq!(stored.unusable(t(10)), Some("revoked"));
    assert_eq!(stored.last_used_at, Some(used));
    assert!(matches!(
        store.revoke_api_key(Some(&tenant), "nokey", t(1)).await,
        Err(StoreError::NotFound(_))
    ));

    let platform = api_key(None, BuiltinRole::PlatformAdmin);
    store.create_api_key(&platform).await.unwrap();
    assert!(
        store
            .list_api_keys(None)
            .await
            .unwrap()
            .iter()
            .any(|k| k.id == platform.id)
    );
    assert!(
        !store
            .list_api_keys(Some(&tenant))
            .await
            .unwrap()
            .iter()
            .any(|k| k.id == platform.id)
    );
}

pub async fn roles(store: &dyn AuthStore) {
    let tenant = unique_tenant("roles");
    let role = CustomRole {
        tenant: tenant.clone(),
        name: "triager".into(),
        permissions: PermissionSet::of(&[Permission::FindingsRead, Permission::FindingsTriage]),
        created_at: t(0),
    };
    store.put_role(&role).await.unwrap();
    assert_eq!(
        store.get_role(&tenant, "triager").await.unwrap(),
        Some(role.clone())
    );
    let mut changed = role.clone();
    changed.permissions = PermissionSet::of(&[Permission::FindingsRead]);
    store.put_role(&changed).await.unwrap();
    let other = CustomRole {
        name: "auditor".into(),
        permissions: PermissionSet::of(&[Permission::AuditRead]),
        ..role.clone()
    };
    store.put_role(&other).await.unwrap();
    assert_eq!(
        store.list_roles(&tenant).await.unwrap(),
        vec![other, changed]
    );
    assert_eq!(store.get_role(&tenant, "nope").await.unwrap(), None);
}

pub async fn audit_chain(store: &dyn AuthStore) {
    let tenant = unique_tenant("audit");
    let mut mine = Vec::new();
    for i in 0..5 {
        let r = store
            .append_audit(audit(Some(&tenant), "api_key.create", &format!("k{i}")))
            .await
            .unwrap();
        assert_eq!(r.hash, r.compute_hash());
        mine.push(r);
    }
    let platform = store
        .append_audit(audit(None, "tenant.create", tenant.as_str()))
        .await
        .unwrap();
    assert!(platform.seq > mine[4].seq);
    for w in mine.windows(2) {
        assert!(w[1].seq > w[0].seq);
    }
    let listed = store.list_audit(Some(&tenant), 0, 100).await.unwrap();
    assert_eq!(listed, mine, "the tenant's records, in order");
    let page = store
        .list_audit(Some(&tenant), mine[1].seq, 2)
        .await
        .unwrap();
    assert_eq!(page, mine[2..4].to_vec());

    // The whole chain (every tenant, shared with concurrent runs) verifies
    // from the first record.
    let mut v = ChainVerifier::default();
    let mut after = 0;
    loop {
        let page = store.list_audit(None, after, 500).await.unwrap();
        let Some(last) = page.last() else { break };
        after = last.seq;
        for r in &page {
            v.push(r).unwrap_or_else(|e| panic!("{e}"));
        }
    }
    assert!(v.count() >= platform.seq);
}

pub async fn audit_concurrent_appends(store: &dyn AuthStore) {
    let tenant = unique_tenant("audit-race");
    let results = futures_join(
        (0..20)
            .map(|i| store.append_audit(audit(Some(&tenant), "auth.login", &format!("u{i}"))))
            .collect(),
    )
    .await;
    let mut seqs: Vec<u64> = results.into_iter().map(|r| r.unwrap().seq).collect();
    seqs.sort();
    seqs.dedup();
    assert_eq!(seqs.len(), 20, "every append gets its own position");
    let listed = store.list_audit(Some(&tenant), 0, 100).await.unwrap();
    assert_eq!(listed.len(), 20);
    // Each of them links to the record right before it in the chain.
    for r in &listed {
        if r.seq > 1 {
            let prev = store.list_audit(None, r.seq - 2, 1).await.unwrap();
            assert_eq!(prev[0].seq, r.seq - 1);
            assert_eq!(prev[0].hash, r.prev_hash);
        }
    }
}

pub async fn auth_tenant_isolation(store: &dyn AuthStore) {
    let a = unique_tenant("iso-a");
    let b = unique_tenant("iso-b");
    let ua = user(Some(&a), &unique("ann"), BuiltinRole::Owner);
    store.create_user(&ua).await.unwrap();
    let ka = api_key(Some(&a), BuiltinRole::Owner);
    store.create_api_key(&ka).await.unwrap();
    store
        .put_role(&CustomRole {
            tenant: a.clone(),
            name: "secret-role".into(),
            permissions: PermissionSet::of(&[Permission::AuditRead]),
            created_at: t(0),
        })
        .await
        .unwrap();
    store
        .append_audit(audit(Some(&a), "user.create", &ua.id))
        .await
        .unwrap();

    assert_eq!(store.get_user(Some(&b), &ua.id).await.unwrap(), None);
    assert!(store.list_users(Some(&b)).await.unwrap().is_empty());
    assert!(matches!(
        store
            .modify_user(
                Some(&b),
                &ua.id,
                Box::new(|u| {
                    u.role = "viewer".into();
                    Ok(())
                })
            )
            .await,
        Err(StoreError::NotFound(_))
    ));
    assert!(store.list_api_keys(Some(&b)).await.unwrap().is_empty());
    assert!(matches!(
        store.revoke_api_key(Some(&b), &ka.id, t(1)).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.revoke_api_key(None, &ka.id, t(1)).await,
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(
        store
            .find_api_key(&ka.id)
            .await
            .unwrap()
            .unwrap()
            .revoked_at,
        None
    );
    assert_eq!(store.get_role(&b, "secret-role").await.unwrap(), None);
    assert!(store.list_roles(&b).await.unwrap().is_empty());
    assert!(store.list_audit(Some(&b), 0, 100).await.unwrap().is_empty());
}
