//! Conformance suite for [`DetectionStore`]: tenant rules with their version
//! counter, correlation state per group key, the alert `technique` filter,
//! and tenant isolation of all of it.

use mcpsec_core::TenantId;
use mcpsec_core::detection::{CorrelationWrite, SaveOutcome, TenantRule};
use mcpsec_core::domain::Severity;
use mcpsec_core::store::{AlertFilter, Store};
use serde_json::json;

use crate::store::{alert, t};

/// Runs every detection-store check against `store`.
pub async fn run_detection_conformance(store: &dyn Store) {
    rules_crud_and_version(store).await;
    correlation_states(store).await;
    correlation_alert_outbox(store).await;
    alert_technique_filter(store).await;
    detection_tenant_isolation(store).await;
}

pub fn rule(tenant: &TenantId, id: &str, title: &str) -> TenantRule {
    TenantRule {
        tenant: tenant.clone(),
        id: id.to_string(),
        title: title.to_string(),
        level: Some(Severity::High),
        yaml: format!(
            "title: {title}\nlogsource: {{product: test}}\ndetection: {{s: {{a: 1}}, condition: s}}\n"
        ),
        updated_at: t(5),
    }
}

pub async fn rules_crud_and_version(store: &dyn Store) {
    let tenant = crate::unique_tenant("rules");
    assert_eq!(store.rules_version(&tenant).await.unwrap(), 0);
    assert!(store.list_rules(&tenant).await.unwrap().is_empty());
    assert_eq!(store.get_rule(&tenant, "r1").await.unwrap(), None);

    let r1 = rule(&tenant, "r1", "one");
    store.put_rule(&r1).await.unwrap();
    let v1 = store.rules_version(&tenant).await.unwrap();
    assert!(v1 >= 1);
    assert_eq!(
        store.get_rule(&tenant, "r1").await.unwrap(),
        Some(r1.clone())
    );

    let mut r1b = rule(&tenant, "r1", "one, changed");
    r1b.updated_at = t(6);
    store.put_rule(&r1b).await.unwrap();
    let v2 = store.rules_version(&tenant).await.unwrap();
    assert!(v2 > v1, "replacing a rule bumps the version");
    store.put_rule(&rule(&tenant, "a0", "zero")).await.unwrap();
    let ids: Vec<String> = store
        .list_rules(&tenant)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(ids, ["a0", "r1"], "listed by id");
    assert_eq!(store.get_rule(&tenant, "r1").await.unwrap(), Some(r1b));

    let v3 = store.rules_version(&tenant).await.unwrap();
    assert!(store.delete_rule(&tenant, "r1").await.unwrap());
    let v4 = store.rules_version(&tenant).await.unwrap();
    assert!(v4 > v3, "deleting bumps the version");
    assert!(!store.delete_rule(&tenant, "r1").await.unwrap());
    assert_eq!(store.get_rule(&tenant, "r1").await.unwrap(), None);
    assert_eq!(store.list_rules(&tenant).await.unwrap().len(), 1);
}

fn write(key: &str, state: Option<serde_json::Value>, expected: Option<u64>) -> CorrelationWrite {
    CorrelationWrite {
        key: key.to_string(),
        state,
        expected_version: expected,
        expires_at: None,
    }
}

async fn version_of(store: &dyn Store, tenant: &TenantId, key: &str) -> Option<u64> {
    store
        .load_correlation_states(tenant, &[key.to_string()])
        .await
        .unwrap()
        .pop()
        .map(|s| s.version)
}

pub async fn correlation_states(store: &dyn Store) {
    let tenant = crate::unique_tenant("corr");
    let keys = vec!["c1/bob".to_string(), "c1/alice".to_string()];
    assert!(
        store
            .load_correlation_states(&tenant, &keys)
            .await
            .unwrap()
            .is_empty()
    );
    let saved = store
        .save_correlation_states(
            &tenant,
            &[
                write("c1/bob", Some(json!({"members": [1, 2]})), None),
                write("c1/alice", Some(json!({"members": []})), None),
            ],
            &[],
        )
        .await
        .unwrap();
    assert_eq!(saved, SaveOutcome::Saved);
    let mut got = store
        .load_correlation_states(&tenant, &["c1/bob".to_string(), "nope".to_string()])
        .await
        .unwrap();
    assert_eq!(got.len(), 1);
    let s = got.pop().unwrap();
    assert_eq!(s.key, "c1/bob");
    assert_eq!(s.state, json!({"members": [1, 2]}));
    let bob_v = s.version;
    let alice_v = version_of(store, &tenant, "c1/alice").await.unwrap();

    // Overwrite one, delete the other, in one call.
    let saved = store
        .save_correlation_states(
            &tenant,
            &[
                write("c1/bob", Some(json!({"members": [3]})), Some(bob_v)),
                write("c1/alice", None, Some(alice_v)),
            ],
            &[],
        )
        .await
        .unwrap();
    assert_eq!(saved, SaveOutcome::Saved);
    let got = store.load_correlation_states(&tenant, &keys).await.unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].state, json!({"members": [3]}));
    assert_ne!(got[0].version, bob_v, "a save bumps the version");

    // Many keys at once (chunked under the bind-parameter limit).
    let many: Vec<CorrelationWrite> = (0..1200)
        .map(|i| write(&format!("k{i:05}"), Some(json!(i)), None))
        .collect();
    assert_eq!(
        store
            .save_correlation_states(&tenant, &many, &[])
            .await
            .unwrap(),
        SaveOutcome::Saved
    );
    let keys: Vec<String> = many.iter().map(|w| w.key.clone()).collect();
    assert_eq!(
        store
            .load_correlation_states(&tenant, &keys)
            .await
            .unwrap()
            .len(),
        1200
    );
    assert_eq!(
        store
            .save_correlation_states(&tenant, &[], &[])
            .await
            .unwrap(),
        SaveOutcome::Saved
    );
    correlation_version_conflicts(store).await;
}

/// Optimistic concurrency: two saves expecting the same version, two inserts
/// of the same new key, stale deletes; a conflicting batch writes nothing.
pub async fn correlation_version_conflicts(store: &dyn Store) {
    let tenant = crate::unique_tenant("corrv");
    let s = |k: &str, v: serde_json::Value, e: Option<u64>| write(k, Some(v), e);

    // Insert-if-absent race: both expect absence, one wins.
    let (wa, wb) = ([s("g", json!("a"), None)], [s("g", json!("b"), None)]);
    let (a, b) = tokio::join!(
        store.save_correlation_states(&tenant, &wa, &[]),
        store.save_correlation_states(&tenant, &wb, &[]),
    );
    let outcomes = [a.unwrap(), b.unwrap()];
    let conflicts = outcomes
        .iter()
        .filter(|o| **o == SaveOutcome::Conflict(vec!["g".to_string()]))
        .count();
    assert_eq!(conflicts, 1, "exactly one insert conflicts: {outcomes:?}");
    let v = version_of(store, &tenant, "g").await.unwrap();

    // Two updates expecting the same version: exactly one conflict.
    let (wa, wb) = (
        [s("g", json!("a2"), Some(v))],
        [s("g", json!("b2"), Some(v))],
    );
    let (a, b) = tokio::join!(
        store.save_correlation_states(&tenant, &wa, &[]),
        store.save_correlation_states(&tenant, &wb, &[]),
    );
    let outcomes = [a.unwrap(), b.unwrap()];
    let winner = match &outcomes {
        [SaveOutcome::Saved, SaveOutcome::Conflict(k)] if k == &["g"] => json!("a2"),
        [SaveOutcome::Conflict(k), SaveOutcome::Saved] if k == &["g"] => json!("b2"),
        other => panic!("expected exactly one conflict, got {other:?}"),
    };
    let now = store
        .load_correlation_states(&tenant, &["g".to_string()])
        .await
        .unwrap()
        .pop()
        .unwrap();
    assert_eq!(now.state, winner);
    assert_ne!(now.version, v);

    // A batch with one stale key writes nothing, and lists only that key.
    let fresh = now.version;
    let out = store
        .save_correlation_states(
            &tenant,
            &[s("new", json!(1), None), s("g", json!("stale"), Some(v))],
            &[],
        )
        .await
        .unwrap();
    assert_eq!(out, SaveOutcome::Conflict(vec!["g".to_string()]));
    assert_eq!(version_of(store, &tenant, "new").await, None, "rolled back");
    assert_eq!(version_of(store, &tenant, "g").await, Some(fresh));

    // Deletes are conditional too: a stale one conflicts, a fresh one works,
    // deleting an already deleted key conflicts.
    assert_eq!(
        store
            .save_correlation_states(&tenant, &[write("g", None, Some(v))], &[])
            .await
            .unwrap(),
        SaveOutcome::Conflict(vec!["g".to_string()])
    );
    assert_eq!(version_of(store, &tenant, "g").await, Some(fresh));
    assert_eq!(
        store
            .save_correlation_states(&tenant, &[write("g", None, Some(fresh))], &[])
            .await
            .unwrap(),
        SaveOutcome::Saved
    );
    assert_eq!(version_of(store, &tenant, "g").await, None);
    assert_eq!(
        store
            .save_correlation_states(&tenant, &[write("g", None, Some(fresh))], &[])
            .await
            .unwrap(),
        SaveOutcome::Conflict(vec!["g".to_string()])
    );
    // Absent and staying absent is a no-op.
    assert_eq!(
        store
            .save_correlation_states(&tenant, &[write("g", None, None)], &[])
            .await
            .unwrap(),
        SaveOutcome::Saved
    );

    // Expiry sweep: only rows whose expiry passed.
    let mut old = s("old", json!(1), None);
    old.expires_at = Some(t(1));
    let mut live = s("live", json!(1), None);
    live.expires_at = Some(t(1) + chrono::Duration::days(36500));
    let keep = s("keep", json!(1), None);
    store
        .save_correlation_states(&tenant, &[old, live, keep], &[])
        .await
        .unwrap();
    let swept = store.delete_expired_correlation_states(t(2)).await.unwrap();
    assert!(swept >= 1);
    assert_eq!(version_of(store, &tenant, "old").await, None);
    assert!(version_of(store, &tenant, "live").await.is_some());
    assert!(version_of(store, &tenant, "keep").await.is_some());
}

/// Correlation alerts are saved with their states in one transaction and
/// stay pending publication until marked; a conflicting save stores neither.
pub async fn correlation_alert_outbox(store: &dyn Store) {
    let tenant = crate::unique_tenant("outbox");
    let other = crate::unique_tenant("outbox-other");
    let mine = |a: &mcpsec_core::domain::Alert| a.tenant == tenant;
    let a1 = alert(
        &tenant,
        "corr-1",
        "c1",
        Severity::High,
        Some("host:a"),
        t(1),
    );
    let a2 = alert(
        &tenant,
        "corr-2",
        "c1",
        Severity::High,
        Some("host:b"),
        t(2),
    );
    let listed = |filter: AlertFilter| {
        let tenant = tenant.clone();
        async move { store.list_alerts(&tenant, &filter).await.unwrap() }
    };

    assert_eq!(
        store
            .save_correlation_states(
                &tenant,
                &[write("g", Some(json!(1)), None)],
                std::slice::from_ref(&a1)
            )
            .await
            .unwrap(),
        SaveOutcome::Saved
    );
    let v = version_of(store, &tenant, "g").await.unwrap();
    assert_eq!(listed(AlertFilter::default()).await, vec![a1.clone()]);
    // The technique index is written in the same transaction.
    let by_technique = AlertFilter {
        technique: Some("T1059".into()),
        ..Default::default()
    };
    assert_eq!(listed(by_technique).await.len(), 1);

    // A stale save conflicts and stores neither its state nor its alert.
    assert_eq!(
        store
            .save_correlation_states(
                &tenant,
                &[write("g", Some(json!(2)), Some(v + 7))],
                std::slice::from_ref(&a2)
            )
            .await
            .unwrap(),
        SaveOutcome::Conflict(vec!["g".to_string()])
    );
    assert_eq!(listed(AlertFilter::default()).await.len(), 1);

    // An alert of another tenant is refused, nothing written.
    let foreign = alert(&other, "corr-x", "c1", Severity::Low, None, t(1));
    assert!(
        store
            .save_correlation_states(&tenant, &[write("g", Some(json!(3)), Some(v))], &[foreign])
            .await
            .is_err()
    );
    assert_eq!(version_of(store, &tenant, "g").await, Some(v));
    assert!(listed(AlertFilter::default()).await.iter().all(mine));

    // Pending until marked; only those created before the cut-off.
    let pending: Vec<_> = store
        .pending_alerts(t(2), 1000)
        .await
        .unwrap()
        .into_iter()
        .filter(mine)
        .collect();
    assert_eq!(pending, vec![a1.clone()]);
    store
        .save_correlation_states(&tenant, &[], std::slice::from_ref(&a2))
        .await
        .unwrap();
    let ids = |v: Vec<mcpsec_core::domain::Alert>| -> Vec<String> {
        v.into_iter().filter(mine).map(|a| a.id).collect()
    };
    assert_eq!(
        ids(store.pending_alerts(t(3), 1000).await.unwrap()),
        vec!["corr-1", "corr-2"]
    );
    // Alerts stored the plain way are not pending.
    let plain = alert(&tenant, "rule-1", "r1", Severity::Low, None, t(1));
    assert!(store.insert_alert(&plain).await.unwrap());
    assert_eq!(
        ids(store.pending_alerts(t(3), 1000).await.unwrap()),
        vec!["corr-1", "corr-2"]
    );
    // Marking is per tenant: another tenant's call changes nothing.
    assert_eq!(
        store
            .mark_alerts_published(&other, &["corr-1".to_string()])
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        store
            .mark_alerts_published(&tenant, &["corr-1".to_string(), "nope".to_string()])
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        ids(store.pending_alerts(t(3), 1000).await.unwrap()),
        vec!["corr-2"]
    );
    // Saving an already stored alert again (a redelivery) keeps one copy and
    // does not make a published alert pending again.
    store
        .save_correlation_states(&tenant, &[], std::slice::from_ref(&a1))
        .await
        .unwrap();
    assert_eq!(
        ids(store.pending_alerts(t(3), 1000).await.unwrap()),
        vec!["corr-2"]
    );
    assert_eq!(listed(AlertFilter::default()).await.len(), 3);
    assert_eq!(store.mark_alerts_published(&tenant, &[]).await.unwrap(), 0);
}

pub async fn alert_technique_filter(store: &dyn Store) {
    let tenant = crate::unique_tenant("tech");
    let mut a1 = alert(&tenant, "a1", "r1", Severity::High, Some("host:a"), t(1));
    a1.techniques = vec!["T1059.001".into(), "T1027".into()];
    let mut a2 = alert(&tenant, "a2", "r1", Severity::High, Some("host:a"), t(2));
    a2.techniques = vec!["T1059".into()];
    let mut a3 = alert(&tenant, "a3", "r2", Severity::Low, None, t(3));
    a3.techniques = vec![];
    let mut a4 = alert(&tenant, "a4", "r2", Severity::Low, None, t(4));
    a4.techniques = vec!["t1105".into()];
    for a in [&a1, &a2, &a3, &a4] {
        assert!(store.insert_alert(a).await.unwrap());
        assert!(
            !store.insert_alert(a).await.unwrap(),
            "insert is idempotent"
        );
    }
    let list = |technique: &str| {
        let filter = AlertFilter {
            technique: Some(technique.to_string()),
            ..Default::default()
        };
        let tenant = tenant.clone();
        async move {
            store
                .list_alerts(&tenant, &filter)
                .await
                .unwrap()
                .into_iter()
                .map(|a| a.id)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(list("T1059").await, ["a1", "a2"], "sub-techniques match");
    assert_eq!(list("t1059.001").await, ["a1"]);
    assert_eq!(list("T1027").await, ["a1"]);
    assert_eq!(list("T1105").await, ["a4"], "stored ids are uppercased");
    assert!(
        list("T105").await.is_empty(),
        "no prefix match inside an id"
    );
    assert!(list("T1059%").await.is_empty());
    let filter = AlertFilter {
        technique: Some("T1059".into()),
        rule_id: Some("r1".into()),
        since: Some(t(2)),
        ..Default::default()
    };
    let got: Vec<String> = store
        .list_alerts(&tenant, &filter)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.id)
        .collect();
    assert_eq!(got, ["a2"], "combines with the other filters");
}

pub async fn detection_tenant_isolation(store: &dyn Store) {
    let a = crate::unique_tenant("deta");
    let b = crate::unique_tenant("detb");
    store.put_rule(&rule(&a, "r1", "a's rule")).await.unwrap();
    assert_eq!(store.get_rule(&b, "r1").await.unwrap(), None);
    assert!(store.list_rules(&b).await.unwrap().is_empty());
    assert_eq!(store.rules_version(&b).await.unwrap(), 0);
    assert!(!store.delete_rule(&b, "r1").await.unwrap());
    assert!(store.get_rule(&a, "r1").await.unwrap().is_some());

    store
        .save_correlation_states(&a, &[write("k", Some(json!(1)), None)], &[])
        .await
        .unwrap();
    let a_v = version_of(store, &a, "k").await;
    assert!(
        store
            .load_correlation_states(&b, &["k".to_string()])
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store
            .save_correlation_states(&b, &[write("k", None, a_v)], &[])
            .await
            .unwrap(),
        SaveOutcome::Conflict(vec!["k".to_string()]),
        "another tenant's row is not there to delete"
    );
    assert_eq!(
        store
            .load_correlation_states(&a, &["k".to_string()])
            .await
            .unwrap()
            .len(),
        1,
        "another tenant's delete leaves it alone"
    );

    let mut al = alert(&a, "x1", "r", Severity::High, None, t(1));
    al.techniques = vec!["T1003".into()];
    store.insert_alert(&al).await.unwrap();
    let filter = AlertFilter {
        technique: Some("T1003".into()),
        ..Default::default()
    };
    assert!(store.list_alerts(&b, &filter).await.unwrap().is_empty());
    assert_eq!(store.list_alerts(&a, &filter).await.unwrap().len(), 1);
}
