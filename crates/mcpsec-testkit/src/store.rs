//! Conformance suite for [`Store`] implementations.
//!
//! Call [`run_store_conformance`] from a backend's integration test; it runs
//! every behaviour below in turn. Each behaviour is also a `pub async fn` so a
//! failing one can be run alone. Every function works in fresh tenants from
//! [`unique_tenant`](crate::unique_tenant) and fresh advisory ids, so several
//! runs can share one database, even at the same time.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, TimeZone, Utc};
use mcpsec_core::TenantId;
use mcpsec_core::domain::{
    Alert, Asset, AssetKind, Component, Finding, FindingStatus, Severity, Tenant, Vulnerability,
};
use mcpsec_core::event::{Event, EventType};
use mcpsec_core::store::{AlertFilter, FindingFilter, Page, Store, StoreError};
use serde_json::json;

/// Runs every behaviour of the store contract against `store`.
pub async fn run_store_conformance(store: &dyn Store) {
    ping(store).await;
    tenants(store).await;
    assets_upsert_get(store).await;
    assets_pagination(store).await;
    components(store).await;
    vulnerabilities(store).await;
    findings_upsert_get(store).await;
    findings_filters(store).await;
    findings_lifecycle(store).await;
    findings_concurrent_transition(store).await;
    alerts_insert(store).await;
    alerts_filters(store).await;
    events_idempotent(store).await;
    events_round_trip(store).await;
    events_large_batch(store).await;
    events_concurrent(store).await;
    tenant_isolation(store).await;
}

// ---------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------

/// A fixed, whole-second base time plus `secs` seconds.
pub fn t(secs: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0)
        .single()
        .expect("valid date")
        + Duration::seconds(secs)
}

pub fn asset(tenant: &TenantId, id: &str) -> Asset {
    Asset {
        tenant: tenant.clone(),
        id: id.to_string(),
        name: format!("asset {id}"),
        kind: AssetKind::Repository,
        criticality: Severity::High,
        labels: BTreeMap::from([("team".to_string(), "core".to_string())]),
        created_at: t(0),
        updated_at: t(1),
    }
}

pub fn component(tenant: &TenantId, asset_id: &str, id: &str) -> Component {
    Component {
        tenant: tenant.clone(),
        id: id.to_string(),
        asset_id: asset_id.to_string(),
        name: format!("pkg-{id}"),
        version: "1.0.0".to_string(),
        purl: Some(format!("pkg:npm/pkg-{id}@1.0.0")),
        ecosystem: Some("npm".to_string()),
        licenses: vec!["MIT".to_string()],
    }
}

pub fn vulnerability(id: &str) -> Vulnerability {
    Vulnerability {
        id: id.to_string(),
        aliases: vec![format!("CVE-{id}")],
        summary: "prototype pollution".to_string(),
        severity: Severity::High,
        cvss_score: Some(7.5),
        published: Some(t(-86_400)),
        modified: t(0),
    }
}

pub fn finding(
    tenant: &TenantId,
    id: &str,
    asset_id: &str,
    severity: Severity,
    status: FindingStatus,
) -> Finding {
    Finding {
        tenant: tenant.clone(),
        id: id.to_string(),
        asset_id: asset_id.to_string(),
        component_id: Some("c1".to_string()),
        rule_id: "GHSA-xxxx-yyyy-zzzz".to_string(),
        title: format!("finding {id}"),
        severity,
        status,
        status_reason: None,
        first_seen: t(0),
        last_seen: t(10),
        updated_at: t(10),
        kev: false,
        epss: None,
        fixed_versions: Vec::new(),
        risk_score: None,
    }
}

pub fn alert(
    tenant: &TenantId,
    id: &str,
    rule_id: &str,
    severity: Severity,
    entity: Option<&str>,
    created_at: DateTime<Utc>,
) -> Alert {
    Alert {
        tenant: tenant.clone(),
        id: id.to_string(),
        rule_id: rule_id.to_string(),
        title: format!("alert {id}"),
        severity,
        entity: entity.map(str::to_string),
        techniques: vec!["T1059.001".to_string()],
        event_ids: vec!["e1".to_string(), "e2".to_string()],
        created_at,
    }
}

pub fn event(tenant: &TenantId, id: &str) -> Event {
    Event {
        id: id.to_string(),
        event_type: EventType::LogReceived,
        source: "mcpsec://testkit".to_string(),
        tenant: tenant.clone(),
        time: t(5),
        schema_version: 1,
        subject: Some("host:web-1".to_string()),
        data: json!({"format": "json", "host": "web-1", "record": {"EventID": 4688}, "raw": null}),
    }
}

fn ids<T>(items: &[T], id: impl Fn(&T) -> &str) -> Vec<String> {
    items.iter().map(|x| id(x).to_string()).collect()
}

fn page(after: Option<&str>, limit: u32) -> Page {
    Page {
        after: after.map(str::to_string),
        limit,
    }
}

/// A unique id suffix for shared (not tenant-scoped) records.
fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4().simple())
}

#[track_caller]
fn assert_conflict<T: std::fmt::Debug>(r: Result<T, StoreError>, what: &str) {
    match r {
        Err(StoreError::Conflict(_)) => {}
        other => panic!("{what}: expected Conflict, got {other:?}"),
    }
}

#[track_caller]
fn assert_not_found<T: std::fmt::Debug>(r: Result<T, StoreError>, what: &str) {
    match r {
        Err(StoreError::NotFound(_)) => {}
        other => panic!("{what}: expected NotFound, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------
// Behaviours
// ---------------------------------------------------------------------------

/// `ping` succeeds on a healthy store and `backend` names it.
pub async fn ping(store: &dyn Store) {
    store.ping().await.expect("ping");
    assert!(
        !store.backend().is_empty(),
        "backend() must name the backend"
    );
}

/// Tenants: create, get, list; a duplicate id is a `Conflict`.
pub async fn tenants(store: &dyn Store) {
    let a = unique_tenant_record("tn");
    let b = unique_tenant_record("tn");
    store.create_tenant(&a).await.expect("create tenant a");
    store.create_tenant(&b).await.expect("create tenant b");

    assert_eq!(store.get_tenant(&a.id).await.unwrap().as_ref(), Some(&a));
    let missing = crate::unique_tenant("tn-missing");
    assert_eq!(store.get_tenant(&missing).await.unwrap(), None);

    let mut dup = a.clone();
    dup.name = "someone else".to_string();
    assert_conflict(store.create_tenant(&dup).await, "creating a tenant twice");
    assert_eq!(
        store.get_tenant(&a.id).await.unwrap().map(|t| t.name),
        Some(a.name.clone()),
        "a rejected duplicate must not overwrite the tenant"
    );

    let all = store.list_tenants().await.expect("list tenants");
    assert!(all.contains(&a), "list_tenants must include {}", a.id);
    assert!(all.contains(&b), "list_tenants must include {}", b.id);
    let unique_ids: BTreeSet<_> = all.iter().map(|t| &t.id).collect();
    assert_eq!(
        unique_ids.len(),
        all.len(),
        "list_tenants returned a tenant twice"
    );
}

fn unique_tenant_record(prefix: &str) -> Tenant {
    let id = crate::unique_tenant(prefix);
    Tenant {
        name: format!("Tenant {id}"),
        id,
        created_at: t(0),
    }
}

/// Assets: upsert inserts then replaces; get round-trips every field.
pub async fn assets_upsert_get(store: &dyn Store) {
    let tenant = crate::unique_tenant("as");
    let mut a = asset(&tenant, "repo-1");
    store.upsert_asset(&a).await.expect("upsert asset");
    assert_eq!(
        store.get_asset(&tenant, "repo-1").await.unwrap().as_ref(),
        Some(&a)
    );
    assert_eq!(store.get_asset(&tenant, "nope").await.unwrap(), None);

    a.name = "renamed".to_string();
    a.kind = AssetKind::McpServer;
    a.criticality = Severity::Critical;
    a.labels.insert("env".to_string(), "prod".to_string());
    a.updated_at = t(100);
    store.upsert_asset(&a).await.expect("re-upsert asset");
    assert_eq!(
        store.get_asset(&tenant, "repo-1").await.unwrap().as_ref(),
        Some(&a)
    );
    let all = store.list_assets(&tenant, &Page::default()).await.unwrap();
    assert_eq!(all, vec![a], "re-upsert must replace, not add");
}

/// Assets: cursor pagination in ascending id order, no gaps or duplicates.
pub async fn assets_pagination(store: &dyn Store) {
    let tenant = crate::unique_tenant("ap");
    // Insert out of order, with ids whose byte order differs from insertion order.
    let mut expected = Vec::new();
    for i in [
        13, 2, 24, 0, 7, 19, 5, 11, 22, 1, 16, 9, 3, 20, 14, 6, 23, 10, 18, 4, 12, 21, 8, 17, 15,
    ] {
        let id = format!("asset-{i:02}");
        store
            .upsert_asset(&asset(&tenant, &id))
            .await
            .expect("upsert");
        expected.push(id);
    }
    // A mixed-case id sorts before lowercase ones in byte order.
    store.upsert_asset(&asset(&tenant, "Zed")).await.unwrap();
    expected.push("Zed".to_string());
    expected.sort();

    let all = store.list_assets(&tenant, &page(None, 1000)).await.unwrap();
    assert_eq!(
        ids(&all, |a| &a.id),
        expected,
        "list_assets must return ascending ids"
    );

    for limit in [1, 7, 26, 100] {
        let mut seen = Vec::new();
        let mut after: Option<String> = None;
        let mut pages = 0;
        loop {
            let got = store
                .list_assets(&tenant, &page(after.as_deref(), limit))
                .await
                .unwrap();
            assert!(
                got.len() <= limit as usize,
                "page longer than limit {limit}"
            );
            pages += 1;
            assert!(pages <= 30, "pagination does not terminate");
            if got.is_empty() {
                break;
            }
            after = Some(got.last().unwrap().id.clone());
            let short = got.len() < limit as usize;
            seen.extend(got.into_iter().map(|a| a.id));
            if short {
                break;
            }
        }
        assert_eq!(
            seen, expected,
            "paging with limit {limit} must visit every asset once, in order"
        );
    }

    // `after` need not be an existing id.
    let got = store
        .list_assets(&tenant, &page(Some("asset-10x"), 3))
        .await
        .unwrap();
    assert_eq!(ids(&got, |a| &a.id), ["asset-11", "asset-12", "asset-13"]);
    let got = store
        .list_assets(&tenant, &page(Some("zzz"), 3))
        .await
        .unwrap();
    assert!(got.is_empty());
}

/// Components: upsert (insert, replace), list per asset with pagination;
/// a component of another tenant is rejected.
pub async fn components(store: &dyn Store) {
    let tenant = crate::unique_tenant("co");
    store.upsert_asset(&asset(&tenant, "app")).await.unwrap();
    store.upsert_asset(&asset(&tenant, "other")).await.unwrap();
    let mut batch: Vec<Component> = (0..12)
        .rev()
        .map(|i| component(&tenant, "app", &format!("c{i:02}")))
        .collect();
    batch.push(component(&tenant, "other", "c00"));
    store
        .upsert_components(&tenant, &batch)
        .await
        .expect("upsert components");
    store
        .upsert_components(&tenant, &[])
        .await
        .expect("empty batch is fine");

    let app = store
        .list_components(&tenant, "app", &page(None, 1000))
        .await
        .unwrap();
    let want: Vec<String> = (0..12).map(|i| format!("c{i:02}")).collect();
    assert_eq!(ids(&app, |c| &c.id), want);
    assert!(app.iter().all(|c| c.asset_id == "app"));
    assert_eq!(
        app[0],
        component(&tenant, "app", "c00"),
        "component must round-trip"
    );

    let other = store
        .list_components(&tenant, "other", &Page::default())
        .await
        .unwrap();
    assert_eq!(other, vec![component(&tenant, "other", "c00")]);
    assert!(
        store
            .list_components(&tenant, "none", &Page::default())
            .await
            .unwrap()
            .is_empty()
    );

    // Pagination.
    let p1 = store
        .list_components(&tenant, "app", &page(None, 5))
        .await
        .unwrap();
    let p2 = store
        .list_components(&tenant, "app", &page(Some(&p1[4].id), 5))
        .await
        .unwrap();
    let p3 = store
        .list_components(&tenant, "app", &page(Some(&p2[4].id), 5))
        .await
        .unwrap();
    let paged: Vec<String> = [p1, p2, p3].concat().into_iter().map(|c| c.id).collect();
    assert_eq!(paged, want);

    // Replace.
    let mut c = component(&tenant, "app", "c03");
    c.version = "2.0.0".to_string();
    c.licenses = vec![];
    c.purl = None;
    store
        .upsert_components(&tenant, std::slice::from_ref(&c))
        .await
        .unwrap();
    let app = store
        .list_components(&tenant, "app", &page(None, 1000))
        .await
        .unwrap();
    assert_eq!(app.len(), 12, "replacing must not add a row");
    assert_eq!(app[3], c);

    // A component that belongs to another tenant must not be written under this one.
    let stranger = crate::unique_tenant("co-x");
    let foreign = component(&stranger, "app", "c99");
    let r = store.upsert_components(&tenant, &[foreign]).await;
    assert!(
        matches!(r, Err(StoreError::Invalid(_))),
        "component of another tenant must be Invalid, got {r:?}"
    );
    assert_eq!(
        store
            .list_components(&tenant, "app", &page(None, 1000))
            .await
            .unwrap()
            .len(),
        12
    );
    assert!(
        store
            .list_components(&stranger, "app", &Page::default())
            .await
            .unwrap()
            .is_empty()
    );
}

/// Vulnerabilities: upsert, get, replace on re-upsert.
pub async fn vulnerabilities(store: &dyn Store) {
    let id1 = unique("GHSA");
    let id2 = unique("GHSA");
    let mut v1 = vulnerability(&id1);
    let mut v2 = vulnerability(&id2);
    v2.published = None;
    v2.cvss_score = None;
    store
        .upsert_vulnerabilities(&[v1.clone(), v2.clone()])
        .await
        .expect("upsert vulns");
    store
        .upsert_vulnerabilities(&[])
        .await
        .expect("empty batch is fine");
    assert_eq!(
        store.get_vulnerability(&id1).await.unwrap().as_ref(),
        Some(&v1)
    );
    assert_eq!(
        store.get_vulnerability(&id2).await.unwrap().as_ref(),
        Some(&v2)
    );
    assert_eq!(
        store
            .get_vulnerability(&unique("GHSA-missing"))
            .await
            .unwrap(),
        None
    );

    v1.summary = "updated summary".to_string();
    v1.severity = Severity::Critical;
    v1.aliases.push("OSV-1".to_string());
    v1.modified = t(500);
    store
        .upsert_vulnerabilities(std::slice::from_ref(&v1))
        .await
        .unwrap();
    assert_eq!(
        store.get_vulnerability(&id1).await.unwrap().as_ref(),
        Some(&v1)
    );
    assert_eq!(
        store.get_vulnerability(&id2).await.unwrap().as_ref(),
        Some(&v2)
    );
}

/// Findings: upsert inserts then replaces; get round-trips every field.
pub async fn findings_upsert_get(store: &dyn Store) {
    let tenant = crate::unique_tenant("fi");
    let mut f = finding(&tenant, "f1", "app", Severity::High, FindingStatus::Open);
    f.component_id = None;
    store.upsert_finding(&f).await.expect("upsert finding");
    assert_eq!(
        store.get_finding(&tenant, "f1").await.unwrap().as_ref(),
        Some(&f)
    );
    assert_eq!(store.get_finding(&tenant, "f2").await.unwrap(), None);

    f.title = "new title".to_string();
    f.severity = Severity::Low;
    f.status = FindingStatus::Triaged;
    f.status_reason = Some("looked at it".to_string());
    f.last_seen = t(99);
    store.upsert_finding(&f).await.unwrap();
    assert_eq!(
        store.get_finding(&tenant, "f1").await.unwrap().as_ref(),
        Some(&f)
    );
    let all = store
        .list_findings(&tenant, &FindingFilter::default())
        .await
        .unwrap();
    assert_eq!(all, vec![f.clone()], "re-upsert must replace, not add");
    // The filter columns follow the replacement.
    let filter = FindingFilter {
        min_severity: Some(Severity::High),
        ..Default::default()
    };
    assert!(
        store
            .list_findings(&tenant, &filter)
            .await
            .unwrap()
            .is_empty()
    );
    let filter = FindingFilter {
        status: Some(FindingStatus::Triaged),
        ..Default::default()
    };
    assert_eq!(
        store.list_findings(&tenant, &filter).await.unwrap().len(),
        1
    );
}

/// Findings: filters by asset, status and minimum severity, combined, with pagination.
pub async fn findings_filters(store: &dyn Store) {
    use FindingStatus::*;
    use Severity::*;
    let tenant = crate::unique_tenant("ff");
    let rows = [
        ("f01", "a1", Info, Open),
        ("f02", "a1", Low, Triaged),
        ("f03", "a1", Medium, Fixed),
        ("f04", "a1", High, Open),
        ("f05", "a1", Critical, AcceptedRisk),
        ("f06", "a2", Critical, Open),
        ("f07", "a2", High, FalsePositive),
        ("f08", "a2", Low, Open),
        ("f09", "a3", Medium, Open),
        ("f10", "a3", Critical, Fixed),
    ];
    for (id, asset_id, sev, status) in rows.iter().rev() {
        store
            .upsert_finding(&finding(&tenant, id, asset_id, *sev, *status))
            .await
            .unwrap();
    }
    let tn = &tenant;
    let list = |filter: FindingFilter| async move {
        let got = store
            .list_findings(tn, &filter)
            .await
            .expect("list findings");
        got.into_iter().map(|f| f.id).collect::<Vec<_>>()
    };
    let all: Vec<String> = rows.iter().map(|r| r.0.to_string()).collect();
    assert_eq!(list(FindingFilter::default()).await, all);
    assert_eq!(
        list(FindingFilter {
            asset_id: Some("a2".into()),
            ..Default::default()
        })
        .await,
        ["f06", "f07", "f08"]
    );
    assert_eq!(
        list(FindingFilter {
            status: Some(Open),
            ..Default::default()
        })
        .await,
        ["f01", "f04", "f06", "f08", "f09"]
    );
    assert_eq!(
        list(FindingFilter {
            min_severity: Some(High),
            ..Default::default()
        })
        .await,
        ["f04", "f05", "f06", "f07", "f10"]
    );
    assert_eq!(
        list(FindingFilter {
            min_severity: Some(Info),
            ..Default::default()
        })
        .await,
        all
    );
    assert_eq!(
        list(FindingFilter {
            min_severity: Some(Critical),
            ..Default::default()
        })
        .await,
        ["f05", "f06", "f10"]
    );
    assert_eq!(
        list(FindingFilter {
            asset_id: Some("a1".into()),
            status: Some(Open),
            min_severity: Some(Medium),
            ..Default::default()
        })
        .await,
        ["f04"]
    );
    assert!(
        list(FindingFilter {
            asset_id: Some("zz".into()),
            ..Default::default()
        })
        .await
        .is_empty()
    );
    // Pagination composes with filters.
    let open_p1 = list(FindingFilter {
        status: Some(Open),
        page: page(None, 2),
        ..Default::default()
    })
    .await;
    assert_eq!(open_p1, ["f01", "f04"]);
    let open_p2 = list(FindingFilter {
        status: Some(Open),
        page: page(Some("f04"), 2),
        ..Default::default()
    })
    .await;
    assert_eq!(open_p2, ["f06", "f08"]);
    let open_p3 = list(FindingFilter {
        status: Some(Open),
        page: page(Some("f08"), 2),
        ..Default::default()
    })
    .await;
    assert_eq!(open_p3, ["f09"]);
    // Component: exact id, or the id without its version; `_` is literal.
    let comps = [
        ("c01", "pkg:npm/lodash@4.17.20"),
        ("c02", "pkg:npm/lodash@4.17.21"),
        ("c03", "pkg:npm/lodash-es@4.17.20"),
        ("c04", "pkg:pypi/foo_bar@1.0"),
        ("c05", "pkg:pypi/fooxbar@1.0"),
    ];
    for (id, comp) in comps {
        let mut f = finding(&tenant, id, "a4", High, Open);
        f.component_id = Some(comp.into());
        store.upsert_finding(&f).await.unwrap();
    }
    let by = |c: &str| FindingFilter {
        component: Some(c.into()),
        ..Default::default()
    };
    assert_eq!(list(by("pkg:npm/lodash")).await, ["c01", "c02"]);
    assert_eq!(list(by("pkg:npm/lodash@4.17.21")).await, ["c02"]);
    assert_eq!(list(by("pkg:pypi/foo_bar")).await, ["c04"]);
    assert!(list(by("pkg:npm/lod")).await.is_empty());
    // The component id follows an update of the finding.
    let mut f = finding(&tenant, "c02", "a4", High, Open);
    f.component_id = Some("pkg:npm/lodash-es@5.0.0".into());
    store.upsert_finding(&f).await.unwrap();
    assert_eq!(list(by("pkg:npm/lodash")).await, ["c01"]);
    assert_eq!(list(by("pkg:npm/lodash-es")).await, ["c02", "c03"]);
    assert_eq!(
        list(FindingFilter {
            component: Some("pkg:npm/lodash".into()),
            asset_id: Some("a1".into()),
            ..Default::default()
        })
        .await,
        Vec::<String>::new()
    );
}

/// Findings: the lifecycle through `transition_finding`.
pub async fn findings_lifecycle(store: &dyn Store) {
    let tenant = crate::unique_tenant("fl");
    let f = finding(&tenant, "f1", "app", Severity::High, FindingStatus::Open);
    store.upsert_finding(&f).await.unwrap();

    // Allowed: open -> triaged.
    let updated = store
        .transition_finding(
            &tenant,
            "f1",
            FindingStatus::Triaged,
            Some("confirmed".into()),
            t(20),
        )
        .await
        .expect("open -> triaged is allowed");
    let mut want = f.clone();
    want.status = FindingStatus::Triaged;
    want.status_reason = Some("confirmed".into());
    want.updated_at = t(20);
    assert_eq!(updated, want, "transition must return the updated finding");
    assert_eq!(
        store.get_finding(&tenant, "f1").await.unwrap().as_ref(),
        Some(&want)
    );
    // The status filter column follows the transition.
    let filter = FindingFilter {
        status: Some(FindingStatus::Triaged),
        ..Default::default()
    };
    assert_eq!(
        store.list_findings(&tenant, &filter).await.unwrap(),
        vec![want.clone()]
    );
    let filter = FindingFilter {
        status: Some(FindingStatus::Open),
        ..Default::default()
    };
    assert!(
        store
            .list_findings(&tenant, &filter)
            .await
            .unwrap()
            .is_empty()
    );

    // Allowed: triaged -> fixed, without a reason (the reason is cleared).
    let updated = store
        .transition_finding(&tenant, "f1", FindingStatus::Fixed, None, t(30))
        .await
        .expect("triaged -> fixed is allowed");
    assert_eq!(updated.status, FindingStatus::Fixed);
    assert_eq!(updated.status_reason, None);
    assert_eq!(updated.updated_at, t(30));

    // Forbidden: fixed -> accepted_risk, and fixed -> fixed.
    assert_conflict(
        store
            .transition_finding(
                &tenant,
                "f1",
                FindingStatus::AcceptedRisk,
                Some("no".into()),
                t(40),
            )
            .await,
        "fixed -> accepted_risk",
    );
    assert_conflict(
        store
            .transition_finding(&tenant, "f1", FindingStatus::Fixed, None, t(40))
            .await,
        "fixed -> fixed",
    );
    let now = store.get_finding(&tenant, "f1").await.unwrap().unwrap();
    assert_eq!(now, updated, "a refused transition must change nothing");

    // Reopen.
    let reopened = store
        .transition_finding(
            &tenant,
            "f1",
            FindingStatus::Open,
            Some("came back".into()),
            t(50),
        )
        .await
        .expect("fixed -> open is allowed");
    assert_eq!(reopened.status, FindingStatus::Open);

    // Every pair of states follows FindingStatus::can_transition_to.
    for (n, from) in FindingStatus::ALL.iter().enumerate() {
        for to in FindingStatus::ALL {
            let id = format!("m-{n}-{to}");
            store
                .upsert_finding(&finding(&tenant, &id, "app", Severity::Low, *from))
                .await
                .unwrap();
            let r = store
                .transition_finding(&tenant, &id, *to, None, t(60))
                .await;
            if from.can_transition_to(*to) {
                assert_eq!(r.expect("allowed transition").status, *to, "{from} -> {to}");
            } else {
                assert_conflict(r, &format!("{from} -> {to}"));
                assert_eq!(
                    store
                        .get_finding(&tenant, &id)
                        .await
                        .unwrap()
                        .unwrap()
                        .status,
                    *from
                );
            }
        }
    }

    // Unknown id.
    assert_not_found(
        store
            .transition_finding(&tenant, "nope", FindingStatus::Triaged, None, t(70))
            .await,
        "transition of an unknown finding",
    );
}

/// Findings: `transition_finding` is atomic. Eight callers moving the same
/// open finding to triaged at once: exactly one wins, the others see the
/// finding already triaged and get `Conflict`.
pub async fn findings_concurrent_transition(store: &dyn Store) {
    let tenant = crate::unique_tenant("fc");
    store
        .upsert_finding(&finding(
            &tenant,
            "race",
            "app",
            Severity::High,
            FindingStatus::Open,
        ))
        .await
        .unwrap();
    let go = |i: i64| {
        store.transition_finding(
            &tenant,
            "race",
            FindingStatus::Triaged,
            Some(format!("caller {i}")),
            t(100 + i),
        )
    };
    let (r0, r1, r2, r3, r4, r5, r6, r7) =
        tokio::join!(go(0), go(1), go(2), go(3), go(4), go(5), go(6), go(7));
    let results = [r0, r1, r2, r3, r4, r5, r6, r7];
    let winners: Vec<&Finding> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(
        winners.len(),
        1,
        "exactly one concurrent transition may win: {results:?}"
    );
    for r in &results {
        if let Err(e) = r {
            assert!(
                matches!(e, StoreError::Conflict(_)),
                "losers must get Conflict, got {e:?}"
            );
        }
    }
    let stored = store.get_finding(&tenant, "race").await.unwrap().unwrap();
    assert_eq!(&stored, winners[0], "the stored finding is the winner's");
}

/// Alerts: insert returns true, a duplicate id returns false and keeps the original.
pub async fn alerts_insert(store: &dyn Store) {
    let tenant = crate::unique_tenant("al");
    let a = alert(
        &tenant,
        "a1",
        "sigma-1",
        Severity::High,
        Some("host:web-1"),
        t(0),
    );
    assert!(store.insert_alert(&a).await.expect("insert alert"));
    let mut dup = a.clone();
    dup.title = "different".into();
    assert!(
        !store.insert_alert(&dup).await.expect("duplicate insert"),
        "duplicate id must return false"
    );
    let all = store
        .list_alerts(&tenant, &AlertFilter::default())
        .await
        .unwrap();
    assert_eq!(all, vec![a], "the original alert must stay, round-tripped");

    let mut b = alert(&tenant, "a2", "sigma-1", Severity::Low, None, t(1));
    b.techniques.clear();
    b.event_ids.clear();
    assert!(store.insert_alert(&b).await.unwrap());
    let all = store
        .list_alerts(&tenant, &AlertFilter::default())
        .await
        .unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[1], b);
}

/// Alerts: filters by rule, minimum severity, entity and time, with pagination.
pub async fn alerts_filters(store: &dyn Store) {
    use Severity::*;
    let tenant = crate::unique_tenant("af");
    let rows = [
        ("a01", "r1", Info, Some("host:a"), 0),
        ("a02", "r1", High, Some("host:b"), 10),
        ("a03", "r2", Critical, Some("host:a"), 20),
        ("a04", "r2", Medium, None, 30),
        ("a05", "r1", Critical, Some("user:x"), 40),
        ("a06", "r3", Low, Some("host:a"), 50),
    ];
    for (id, rule, sev, entity, at) in rows.iter().rev() {
        assert!(
            store
                .insert_alert(&alert(&tenant, id, rule, *sev, *entity, t(*at)))
                .await
                .unwrap()
        );
    }
    let tn = &tenant;
    let list = |filter: AlertFilter| async move {
        let got = store.list_alerts(tn, &filter).await.expect("list alerts");
        got.into_iter().map(|a| a.id).collect::<Vec<_>>()
    };
    assert_eq!(
        list(AlertFilter::default()).await,
        ["a01", "a02", "a03", "a04", "a05", "a06"]
    );
    assert_eq!(
        list(AlertFilter {
            rule_id: Some("r1".into()),
            ..Default::default()
        })
        .await,
        ["a01", "a02", "a05"]
    );
    assert_eq!(
        list(AlertFilter {
            min_severity: Some(High),
            ..Default::default()
        })
        .await,
        ["a02", "a03", "a05"]
    );
    assert_eq!(
        list(AlertFilter {
            entity: Some("host:a".into()),
            ..Default::default()
        })
        .await,
        ["a01", "a03", "a06"]
    );
    // `since` is inclusive.
    assert_eq!(
        list(AlertFilter {
            since: Some(t(30)),
            ..Default::default()
        })
        .await,
        ["a04", "a05", "a06"]
    );
    assert_eq!(
        list(AlertFilter {
            since: Some(t(30) + Duration::milliseconds(1)),
            ..Default::default()
        })
        .await,
        ["a05", "a06"]
    );
    assert!(
        list(AlertFilter {
            since: Some(t(51)),
            ..Default::default()
        })
        .await
        .is_empty()
    );
    assert_eq!(
        list(AlertFilter {
            rule_id: Some("r2".into()),
            min_severity: Some(Critical),
            entity: Some("host:a".into()),
            since: Some(t(0)),
            ..Default::default()
        })
        .await,
        ["a03"]
    );
    assert_eq!(
        list(AlertFilter {
            entity: Some("host:a".into()),
            page: page(Some("a01"), 1),
            ..Default::default()
        })
        .await,
        ["a03"]
    );
}

/// Events: recording is idempotent by `(tenant, id)`.
pub async fn events_idempotent(store: &dyn Store) {
    let tenant = crate::unique_tenant("ev");
    let batch: Vec<Event> = (0..10).map(|i| event(&tenant, &format!("e{i}"))).collect();
    assert_eq!(store.record_events(&batch).await.expect("record"), 10);
    assert_eq!(store.count_events(&tenant).await.unwrap(), 10);
    assert_eq!(
        store.record_events(&batch).await.expect("record again"),
        0,
        "second time: nothing new"
    );
    assert_eq!(store.count_events(&tenant).await.unwrap(), 10);
    assert_eq!(store.record_events(&[]).await.unwrap(), 0);

    // A batch overlapping the old one, with a duplicate inside itself.
    let mut more: Vec<Event> = (5..15).map(|i| event(&tenant, &format!("e{i}"))).collect();
    more.push(event(&tenant, "e14"));
    assert_eq!(store.record_events(&more).await.unwrap(), 5);
    assert_eq!(store.count_events(&tenant).await.unwrap(), 15);

    // A replayed event with different content does not replace the first.
    let mut changed = event(&tenant, "e0");
    changed.source = "mcpsec://elsewhere".into();
    assert_eq!(store.record_events(&[changed]).await.unwrap(), 0);
    assert_eq!(
        store
            .get_event(&tenant, "e0")
            .await
            .unwrap()
            .unwrap()
            .source,
        "mcpsec://testkit"
    );

    // One batch may span tenants; the same id in another tenant is another event.
    let other = crate::unique_tenant("ev");
    let mixed = vec![
        event(&tenant, "e0"),
        event(&other, "e0"),
        event(&other, "e1"),
    ];
    assert_eq!(store.record_events(&mixed).await.unwrap(), 2);
    assert_eq!(store.count_events(&other).await.unwrap(), 2);
    assert_eq!(store.count_events(&tenant).await.unwrap(), 15);
}

/// Events: `get_event` round-trips every field of the envelope.
pub async fn events_round_trip(store: &dyn Store) {
    let tenant = crate::unique_tenant("er");
    let full = Event {
        id: "evt-\u{e9}t\u{e9}-01".to_string(),
        event_type: EventType::PostureScanned,
        source: "syslog://10.0.0.5".to_string(),
        tenant: tenant.clone(),
        time: Utc
            .timestamp_opt(1_772_366_400, 123_456_789)
            .single()
            .expect("valid time"),
        schema_version: 1,
        subject: Some("asset/k8s-prod".to_string()),
        data: json!({"asset_id": "k8s-prod", "scan_id": "s-1", "passed": 41, "failed": 2, "score": 95.3488,
                     "nested": {"list": [1, "two", null, true], "quote": "it's \"quoted\""}}),
    };
    let mut bare = event(&tenant, "bare");
    bare.subject = None;
    bare.event_type = EventType::FindingCreated;
    bare.data = json!({});
    assert_eq!(
        store
            .record_events(&[full.clone(), bare.clone()])
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        store.get_event(&tenant, &full.id).await.unwrap().as_ref(),
        Some(&full)
    );
    assert_eq!(
        store.get_event(&tenant, "bare").await.unwrap().as_ref(),
        Some(&bare)
    );
    assert_eq!(store.get_event(&tenant, "missing").await.unwrap(), None);
}

/// Events: a batch of 1,000 is stored in one call (and replayed as nothing new).
pub async fn events_large_batch(store: &dyn Store) {
    let tenant = crate::unique_tenant("eb");
    let batch: Vec<Event> = (0..1000)
        .map(|i| event(&tenant, &format!("big-{i:04}")))
        .collect();
    let start = std::time::Instant::now();
    assert_eq!(store.record_events(&batch).await.unwrap(), 1000);
    let first = start.elapsed();
    assert_eq!(store.record_events(&batch).await.unwrap(), 0);
    assert_eq!(store.count_events(&tenant).await.unwrap(), 1000);
    eprintln!(
        "{}: record_events of 1,000 events took {first:?}",
        store.backend()
    );
    assert_eq!(
        store.get_event(&tenant, "big-0999").await.unwrap().as_ref(),
        Some(&batch[999])
    );
}

/// Events: 8 concurrent callers recording overlapping batches store each id once.
pub async fn events_concurrent(store: &dyn Store) {
    let tenant = crate::unique_tenant("ec");
    // Caller i records ids 10*i .. 10*i + 40: every id is in up to four batches.
    let batches: Vec<Vec<Event>> = (0..8)
        .map(|i| {
            (10 * i..10 * i + 40)
                .map(|n| event(&tenant, &format!("c-{n:03}")))
                .collect()
        })
        .collect();
    let rec = |i: usize| store.record_events(&batches[i]);
    let (r0, r1, r2, r3, r4, r5, r6, r7) = tokio::join!(
        rec(0),
        rec(1),
        rec(2),
        rec(3),
        rec(4),
        rec(5),
        rec(6),
        rec(7)
    );
    let mut total = 0;
    for r in [r0, r1, r2, r3, r4, r5, r6, r7] {
        total += r.expect("concurrent record_events");
    }
    let distinct = 10 * 7 + 40;
    assert_eq!(
        total, distinct,
        "the new counts of all callers must add up to the distinct ids"
    );
    assert_eq!(store.count_events(&tenant).await.unwrap(), distinct);
}

/// Tenant isolation: nothing written under tenant A is visible or changeable
/// through tenant B, for every kind of record.
pub async fn tenant_isolation(store: &dyn Store) {
    let a = crate::unique_tenant("iso-a");
    let b = crate::unique_tenant("iso-b");

    // Assets.
    let asset_a = asset(&a, "shared-id");
    store.upsert_asset(&asset_a).await.unwrap();
    assert_eq!(store.get_asset(&b, "shared-id").await.unwrap(), None);
    assert!(
        store
            .list_assets(&b, &Page::default())
            .await
            .unwrap()
            .is_empty()
    );

    // Components.
    store
        .upsert_components(&a, &[component(&a, "shared-id", "c1")])
        .await
        .unwrap();
    assert!(
        store
            .list_components(&b, "shared-id", &Page::default())
            .await
            .unwrap()
            .is_empty()
    );

    // Findings: invisible, and a transition through B neither finds nor changes it.
    let finding_a = finding(
        &a,
        "f1",
        "shared-id",
        Severity::Critical,
        FindingStatus::Open,
    );
    store.upsert_finding(&finding_a).await.unwrap();
    assert_eq!(store.get_finding(&b, "f1").await.unwrap(), None);
    assert!(
        store
            .list_findings(&b, &FindingFilter::default())
            .await
            .unwrap()
            .is_empty()
    );
    assert_not_found(
        store
            .transition_finding(
                &b,
                "f1",
                FindingStatus::FalsePositive,
                Some("b says so".into()),
                t(99),
            )
            .await,
        "transition of tenant A's finding through tenant B",
    );
    assert_eq!(
        store.get_finding(&a, "f1").await.unwrap().as_ref(),
        Some(&finding_a),
        "A's finding unchanged"
    );

    // Alerts.
    assert!(
        store
            .insert_alert(&alert(&a, "al1", "r", Severity::High, Some("host:a"), t(0)))
            .await
            .unwrap()
    );
    assert!(
        store
            .list_alerts(&b, &AlertFilter::default())
            .await
            .unwrap()
            .is_empty()
    );
    // The same alert id in tenant B is a different alert.
    assert!(
        store
            .insert_alert(&alert(&b, "al1", "r", Severity::Low, None, t(1)))
            .await
            .unwrap()
    );
    assert_eq!(
        store
            .list_alerts(&a, &AlertFilter::default())
            .await
            .unwrap()[0]
            .severity,
        Severity::High
    );

    // Events.
    assert_eq!(store.record_events(&[event(&a, "e1")]).await.unwrap(), 1);
    assert_eq!(store.get_event(&b, "e1").await.unwrap(), None);
    assert_eq!(store.count_events(&b).await.unwrap(), 0);

    // B writing the same ids creates B's own records and leaves A's alone.
    let mut asset_b = asset(&b, "shared-id");
    asset_b.name = "B's asset".into();
    store.upsert_asset(&asset_b).await.unwrap();
    let mut comp_b = component(&b, "shared-id", "c1");
    comp_b.version = "9.9.9".into();
    store
        .upsert_components(&b, std::slice::from_ref(&comp_b))
        .await
        .unwrap();
    let mut finding_b = finding(&b, "f1", "shared-id", Severity::Low, FindingStatus::Fixed);
    finding_b.title = "B's finding".into();
    store.upsert_finding(&finding_b).await.unwrap();
    let mut event_b = event(&b, "e1");
    event_b.source = "b".into();
    assert_eq!(
        store
            .record_events(std::slice::from_ref(&event_b))
            .await
            .unwrap(),
        1
    );

    assert_eq!(
        store.get_asset(&a, "shared-id").await.unwrap().as_ref(),
        Some(&asset_a)
    );
    assert_eq!(
        store.list_assets(&a, &Page::default()).await.unwrap(),
        vec![asset_a]
    );
    assert_eq!(
        store.get_asset(&b, "shared-id").await.unwrap().as_ref(),
        Some(&asset_b)
    );
    assert_eq!(
        store
            .list_components(&a, "shared-id", &Page::default())
            .await
            .unwrap(),
        vec![component(&a, "shared-id", "c1")]
    );
    assert_eq!(
        store
            .list_components(&b, "shared-id", &Page::default())
            .await
            .unwrap(),
        vec![comp_b]
    );
    assert_eq!(
        store.get_finding(&a, "f1").await.unwrap().as_ref(),
        Some(&finding_a)
    );
    assert_eq!(
        store
            .list_findings(&a, &FindingFilter::default())
            .await
            .unwrap(),
        vec![finding_a]
    );
    assert_eq!(
        store.get_finding(&b, "f1").await.unwrap().as_ref(),
        Some(&finding_b)
    );
    // B's finding is fixed: reopening it must not touch A's open one.
    store
        .transition_finding(&b, "f1", FindingStatus::Open, None, t(100))
        .await
        .unwrap();
    assert_eq!(
        store
            .get_finding(&a, "f1")
            .await
            .unwrap()
            .unwrap()
            .updated_at,
        t(10)
    );
    assert_eq!(
        store.get_event(&a, "e1").await.unwrap().unwrap().source,
        "mcpsec://testkit"
    );
    assert_eq!(
        store.get_event(&b, "e1").await.unwrap().as_ref(),
        Some(&event_b)
    );
    assert_eq!(store.count_events(&a).await.unwrap(), 1);
    assert_eq!(store.count_events(&b).await.unwrap(), 1);
}
