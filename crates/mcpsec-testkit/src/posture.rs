//! Conformance suite for [`PostureStore`](mcpsec_core::posture::PostureStore):
//! scans per asset in id order with cursor pages, the latest scan of an
//! asset and of every asset of a tenant, duplicate ids, tenant isolation, and
//! custom policies per tenant (put/replace, list, delete, isolation).

use mcpsec_core::TenantId;
use mcpsec_core::domain::Severity;
use mcpsec_core::posture::{
    ControlOutcome, FrameworkOutcome, PostureFinding, PosturePolicy, PostureScan,
};
use mcpsec_core::store::{Page, Store, StoreError};

use crate::store::t;

/// Runs every posture-store check against `store`.
pub async fn run_posture_conformance(store: &dyn Store) {
    scans_history_and_latest(store).await;
    posture_tenant_isolation(store).await;
    custom_policies(store).await;
}

/// A custom policy `id` of `tenant`; `n` sets its times.
pub fn policy(tenant: &TenantId, id: &str, n: i64) -> PosturePolicy {
    PosturePolicy {
        tenant: tenant.clone(),
        id: id.to_string(),
        title: format!("custom check {id}"),
        severity: Severity::Medium,
        input: "kubernetes".into(),
        package: format!("acme.{}", id.to_ascii_lowercase().replace('-', "_")),
        source: format!("# METADATA\n# custom:\n#   id: {id}\npackage acme.x\n"),
        created_at: t(n),
        updated_at: t(n),
    }
}

pub async fn custom_policies(store: &dyn Store) {
    let a = crate::unique_tenant("posture-pol-a");
    let b = crate::unique_tenant("posture-pol-b");
    assert!(store.list_posture_policies(&a).await.unwrap().is_empty());
    assert!(
        store
            .put_posture_policy(&policy(&a, "ACME-2", 1))
            .await
            .unwrap()
    );
    assert!(
        store
            .put_posture_policy(&policy(&a, "ACME-1", 2))
            .await
            .unwrap()
    );
    // The same id in another tenant is another policy.
    assert!(
        store
            .put_posture_policy(&policy(&b, "ACME-1", 3))
            .await
            .unwrap()
    );
    let list = store.list_posture_policies(&a).await.unwrap();
    assert_eq!(
        list.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(),
        ["ACME-1", "ACME-2"]
    );
    assert_eq!(list[0], policy(&a, "ACME-1", 2), "round trip");
    // Putting an existing id replaces it.
    let mut changed = policy(&a, "ACME-1", 2);
    changed.source.push_str("deny contains 1 if true\n");
    changed.updated_at = t(9);
    assert!(!store.put_posture_policy(&changed).await.unwrap());
    let list = store.list_posture_policies(&a).await.unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0], changed);
    // Deleting: only the tenant's own policy, once.
    assert!(store.delete_posture_policy(&a, "ACME-1").await.unwrap());
    assert!(!store.delete_posture_policy(&a, "ACME-1").await.unwrap());
    assert!(!store.delete_posture_policy(&a, "NOPE").await.unwrap());
    assert_eq!(
        store
            .list_posture_policies(&a)
            .await
            .unwrap()
            .iter()
            .map(|p| p.id.as_str())
            .collect::<Vec<_>>(),
        ["ACME-2"]
    );
    let lb = store.list_posture_policies(&b).await.unwrap();
    assert_eq!(lb, vec![policy(&b, "ACME-1", 3)]);
    let other = crate::unique_tenant("posture-pol-c");
    assert!(!store.delete_posture_policy(&other, "ACME-2").await.unwrap());
    assert_eq!(store.list_posture_policies(&a).await.unwrap().len(), 1);
}

/// A scan of `asset` with score `score`; `n` orders ids and times.
pub fn scan(tenant: &TenantId, asset: &str, n: i64, score: f64) -> PostureScan {
    PostureScan {
        tenant: tenant.clone(),
        asset_id: asset.to_string(),
        id: format!("0190-{n:04}-{asset}"),
        created_at: t(n),
        files: 1,
        resources: 2,
        passed: 10,
        failed: 1,
        score,
        findings: vec![PostureFinding {
            check_id: "K8S_001".into(),
            title: "privileged".into(),
            severity: Severity::High,
            input: "kubernetes".into(),
            file: "deploy.yaml".into(),
            line: 7,
            resource: "Deployment/web".into(),
            message: "privileged container".into(),
        }],
        frameworks: vec![FrameworkOutcome {
            id: "cis-kubernetes".into(),
            title: "CIS Kubernetes".into(),
            passed: 3,
            failed: 1,
            manual: 2,
            score: 75.0,
            controls: vec![ControlOutcome {
                id: "5.2.1".into(),
                title: "privileged".into(),
                status: "fail".into(),
                evidence: vec!["deploy.yaml:7 Deployment/web".into()],
            }],
        }],
        input_errors: vec![],
    }
}

pub async fn scans_history_and_latest(store: &dyn Store) {
    let tenant = crate::unique_tenant("posture");
    assert!(
        store
            .latest_posture_scan(&tenant, "web")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .latest_posture_scans(&tenant)
            .await
            .unwrap()
            .is_empty()
    );
    // Inserted out of order: listing is by id.
    for n in [2, 1, 3] {
        store
            .insert_posture_scan(&scan(&tenant, "web", n, 50.0 + n as f64))
            .await
            .unwrap();
    }
    store
        .insert_posture_scan(&scan(&tenant, "db", 1, 90.0))
        .await
        .unwrap();
    let dup = store
        .insert_posture_scan(&scan(&tenant, "web", 2, 0.0))
        .await
        .unwrap_err();
    assert!(matches!(dup, StoreError::Conflict(_)), "{dup:?}");

    let first = store
        .list_posture_scans(&tenant, "web", &Page::first(2))
        .await
        .unwrap();
    assert_eq!(
        first.iter().map(|s| s.score).collect::<Vec<_>>(),
        [51.0, 52.0]
    );
    assert_eq!(first[0], scan(&tenant, "web", 1, 51.0), "round trip");
    let rest = store
        .list_posture_scans(
            &tenant,
            "web",
            &Page {
                after: Some(first[1].id.clone()),
                limit: 2,
            },
        )
        .await
        .unwrap();
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0].score, 53.0);

    let latest = store
        .latest_posture_scan(&tenant, "web")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(latest.score, 53.0);
    let all = store.latest_posture_scans(&tenant).await.unwrap();
    assert_eq!(
        all.iter()
            .map(|s| (s.asset_id.as_str(), s.score))
            .collect::<Vec<_>>(),
        [("db", 90.0), ("web", 53.0)]
    );
}

pub async fn posture_tenant_isolation(store: &dyn Store) {
    let a = crate::unique_tenant("posture-a");
    let b = crate::unique_tenant("posture-b");
    store
        .insert_posture_scan(&scan(&a, "web", 1, 40.0))
        .await
        .unwrap();
    // The same asset and scan id in another tenant is a different record.
    store
        .insert_posture_scan(&scan(&b, "web", 1, 80.0))
        .await
        .unwrap();
    let la = store.latest_posture_scan(&a, "web").await.unwrap().unwrap();
    assert_eq!((la.tenant.clone(), la.score), (a.clone(), 40.0));
    let other = crate::unique_tenant("posture-c");
    assert!(
        store
            .list_posture_scans(&other, "web", &Page::first(10))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(store.latest_posture_scans(&other).await.unwrap().is_empty());
    let lb = store.latest_posture_scans(&b).await.unwrap();
    assert_eq!(lb.len(), 1);
    assert_eq!(lb[0].score, 80.0);
}
