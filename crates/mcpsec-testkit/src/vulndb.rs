//! Conformance suite for [`VulnDbStore`]: incremental advisory upserts
//! (newer replaces, older or equal is skipped), package-key lookup, withdrawn
//! records, status counts, KEV and EPSS. The data is global (no tenant), so
//! every check uses ids, package names and a source name unique to this run;
//! suites can share one database.

use chrono::{DateTime, NaiveDate, Utc};
use mcpsec_core::store::Store;
use mcpsec_core::vulndb::{AdvisoryRecord, EpssScore, KevEntry, PackageKey, UpsertCounts};
use serde_json::json;

/// Runs every vulnerability-database check against `store`.
pub async fn run_vulndb_conformance(store: &dyn Store) {
    advisories_incremental(store).await;
    withdrawn_and_status(store).await;
    many_packages(store).await;
    kev_and_epss(store).await;
    changed_ids_and_change_outbox(store).await;
    findings_exploitation_filters(store).await;
    findings_triage_history(store).await;
    components_replace(store).await;
}

fn run_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..10].to_string()
}

fn at(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_700_000_000 + secs, 0).unwrap()
}

pub fn advisory(
    id: &str,
    source: &str,
    packages: &[(&str, &str)],
    modified: DateTime<Utc>,
) -> AdvisoryRecord {
    AdvisoryRecord {
        id: id.to_string(),
        source: source.to_string(),
        ecosystems: packages.iter().map(|(e, _)| e.to_string()).collect(),
        packages: packages
            .iter()
            .map(|(e, n)| PackageKey::new(e.split(':').next().unwrap(), *n))
            .collect(),
        modified,
        withdrawn: None,
        raw: json!({"id": id, "modified": modified.to_rfc3339(), "summary": "s"}),
    }
}

fn ids(recs: &[AdvisoryRecord]) -> Vec<String> {
    recs.iter().map(|r| r.id.clone()).collect()
}

pub async fn advisories_incremental(store: &dyn Store) {
    let run = run_id();
    let src = format!("test-{run}");
    let pkg = format!("left-pad-{run}");
    let a = advisory(&format!("A-{run}"), &src, &[("npm", &pkg)], at(10));
    let b = advisory(
        &format!("B-{run}"),
        &src,
        &[("npm", &pkg), ("PyPI", &pkg)],
        at(10),
    );
    let counts = store
        .upsert_advisories(&[a.clone(), b.clone()])
        .await
        .unwrap();
    assert_eq!(
        counts,
        UpsertCounts {
            inserted: 2,
            updated: 0,
            unchanged: 0
        }
    );
    let found = store
        .advisories_for_packages(&[PackageKey::new("npm", &pkg)])
        .await
        .unwrap();
    assert_eq!(ids(&found), [a.id.clone(), b.id.clone()], "both, by id");
    assert_eq!(found[0], a, "stored unchanged (raw JSON included)");
    let found = store
        .advisories_for_packages(&[PackageKey::new("PyPI", &pkg), PackageKey::new("npm", &pkg)])
        .await
        .unwrap();
    assert_eq!(found.len(), 2, "deduplicated across keys");
    assert!(
        store
            .advisories_for_packages(&[PackageKey::new("Go", &pkg)])
            .await
            .unwrap()
            .is_empty(),
        "ecosystem is part of the key"
    );
    assert!(store.advisories_for_packages(&[]).await.unwrap().is_empty());

    // Re-import of the same data: unchanged.
    let counts = store
        .upsert_advisories(&[a.clone(), b.clone()])
        .await
        .unwrap();
    assert_eq!(counts.unchanged, 2);
    assert_eq!(counts.inserted + counts.updated, 0);

    // An older version is skipped; a newer one replaces the record and its packages.
    let mut a_old = a.clone();
    a_old.modified = at(5);
    a_old.raw = json!({"id": a.id, "summary": "older"});
    let mut b_new = advisory(&b.id, &src, &[("Go", &pkg)], at(20));
    b_new.raw = json!({"id": b.id, "summary": "newer"});
    let counts = store
        .upsert_advisories(&[a_old, b_new.clone()])
        .await
        .unwrap();
    assert_eq!(
        counts,
        UpsertCounts {
            inserted: 0,
            updated: 1,
            unchanged: 1
        }
    );
    let got = store
        .advisories_by_id(&[b.id.clone(), a.id.clone(), "nope".into()])
        .await
        .unwrap();
    assert_eq!(ids(&got), [a.id.clone(), b.id.clone()]);
    assert_eq!(got[0], a, "older import did not overwrite");
    assert_eq!(got[1], b_new, "newer import replaced");
    assert_eq!(
        ids(&store
            .advisories_for_packages(&[PackageKey::new("npm", &pkg)])
            .await
            .unwrap()),
        [a.id.as_str()],
        "old package keys of a replaced record are gone"
    );
    assert_eq!(
        ids(&store
            .advisories_for_packages(&[PackageKey::new("Go", &pkg)])
            .await
            .unwrap()),
        [b.id.as_str()]
    );

    // Duplicates in one call: the newest wins.
    let c1 = advisory(&format!("C-{run}"), &src, &[("npm", &pkg)], at(30));
    let mut c2 = c1.clone();
    c2.modified = at(31);
    let counts = store.upsert_advisories(&[c2.clone(), c1]).await.unwrap();
    assert_eq!(counts.inserted, 1);
    assert_eq!(
        store.advisories_by_id(&[c2.id.clone()]).await.unwrap(),
        [c2]
    );
    assert_eq!(
        store.upsert_advisories(&[]).await.unwrap(),
        UpsertCounts::default()
    );
}

pub async fn withdrawn_and_status(store: &dyn Store) {
    let run = run_id();
    let src = format!("status-{run}");
    let pkg = format!("pkg-{run}");
    let a = advisory(&format!("W1-{run}"), &src, &[("Debian:12", &pkg)], at(1));
    let b = advisory(&format!("W2-{run}"), &src, &[("Debian:11", &pkg)], at(7));
    let c = advisory(&format!("W3-{run}"), &src, &[("npm", &pkg)], at(3));
    let nvd = AdvisoryRecord {
        ecosystems: vec![],
        packages: vec![],
        ..advisory(&format!("CVE-{run}"), &src, &[], at(2))
    };
    store
        .upsert_advisories(&[a.clone(), b.clone(), c.clone(), nvd.clone()])
        .await
        .unwrap();
    let key = PackageKey::new("Debian", &pkg);
    assert_eq!(
        store
            .advisories_for_packages(std::slice::from_ref(&key))
            .await
            .unwrap()
            .len(),
        2,
        "releases share the ecosystem base key"
    );

    // A newer withdrawn version stops matching but stays counted.
    let mut w = a.clone();
    w.modified = at(9);
    w.withdrawn = Some(at(9));
    assert_eq!(
        store
            .upsert_advisories(std::slice::from_ref(&w))
            .await
            .unwrap()
            .updated,
        1
    );
    assert_eq!(
        ids(&store.advisories_for_packages(&[key]).await.unwrap()),
        [b.id.as_str()],
        "withdrawn records match nothing"
    );
    assert_eq!(store.advisories_by_id(&[w.id.clone()]).await.unwrap(), [w]);

    let status = store.vulndb_status().await.unwrap();
    let mine: Vec<_> = status
        .advisories
        .iter()
        .filter(|s| s.source == src)
        .collect();
    assert_eq!(mine.len(), 3, "{mine:?}");
    assert_eq!(
        mine[0].ecosystem, "",
        "records without ecosystem sort first"
    );
    assert_eq!(mine[0].records, 1);
    assert_eq!(mine[1].ecosystem, "Debian");
    assert_eq!(mine[1].records, 2);
    assert_eq!(mine[1].withdrawn, 1);
    assert_eq!(mine[1].newest_modified, Some(at(9)));
    assert_eq!(mine[2].ecosystem, "npm");
    assert_eq!((mine[2].records, mine[2].withdrawn), (1, 0));
    assert_eq!(mine[2].newest_modified, Some(at(3)));
}

pub async fn many_packages(store: &dyn Store) {
    let run = run_id();
    let src = format!("many-{run}");
    let recs: Vec<AdvisoryRecord> = (0..1500)
        .map(|i| {
            let name = format!("p{i}-{run}");
            advisory(&format!("M{i:05}-{run}"), &src, &[("PyPI", &name)], at(i))
        })
        .collect();
    let counts = store.upsert_advisories(&recs).await.unwrap();
    assert_eq!(counts.inserted, 1500);
    let keys: Vec<PackageKey> = (0..1500)
        .step_by(2)
        .map(|i| PackageKey::new("PyPI", format!("p{i}-{run}")))
        .collect();
    assert_eq!(
        store.advisories_for_packages(&keys).await.unwrap().len(),
        750,
        "lookups are chunked under the bind-parameter limit"
    );
    let counts = store.upsert_advisories(&recs).await.unwrap();
    assert_eq!(counts.unchanged, 1500);
}

pub async fn kev_and_epss(store: &dyn Store) {
    let run = run_id().to_uppercase();
    let cve = |i: u32| format!("CVE-{run}-{i}");
    let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    let k1 = KevEntry {
        cve: cve(1),
        date_added: Some(d("2021-12-10")),
        known_ransomware: true,
        vendor_project: Some("Apache".into()),
        product: Some("Log4j2".into()),
        due_date: Some(d("2021-12-24")),
    };
    let mut k2 = KevEntry {
        cve: cve(2),
        date_added: Some(d("2022-01-01")),
        known_ransomware: false,
        vendor_project: None,
        product: None,
        due_date: None,
    };
    assert_eq!(
        store.upsert_kev(&[k1.clone(), k2.clone()]).await.unwrap(),
        2
    );
    k2.known_ransomware = true;
    assert_eq!(store.upsert_kev(&[k2.clone()]).await.unwrap(), 1);
    let got = store
        .kev_entries(&[cve(2), cve(1), cve(3), cve(1)])
        .await
        .unwrap();
    assert_eq!(got, [k1, k2], "replaced, by CVE, missing absent");

    let e1 = EpssScore {
        cve: cve(1),
        score: 0.97,
        percentile: 0.9999,
        date: Some(d("2025-08-25")),
        model_version: Some("v2025.03.14".into()),
    };
    let e2 = EpssScore {
        cve: cve(2),
        score: 0.0004,
        percentile: 0.1,
        date: None,
        model_version: None,
    };
    assert_eq!(
        store.upsert_epss(&[e1.clone(), e2.clone()]).await.unwrap(),
        2
    );
    assert_eq!(
        store.epss_scores(&[cve(1), cve(2)]).await.unwrap(),
        [e1, e2]
    );
    let bad = EpssScore {
        cve: cve(9),
        score: 1.5,
        percentile: 0.5,
        date: None,
        model_version: None,
    };
    assert!(
        store.upsert_epss(&[bad]).await.is_err(),
        "score outside 0..1"
    );

    let status = store.vulndb_status().await.unwrap();
    assert!(status.kev_entries >= 2);
    assert!(status.epss_scores >= 2);
    assert!(status.kev_newest_date_added.is_some());
    assert!(status.epss_newest_date >= Some(d("2025-08-25")));
}

// ---------------------------------------------------------------------------
// Supply-chain service records: changed ids and the `vulndb.updated` outbox,
// findings' KEV/EPSS/fix/risk fields and filters, triage history, replacing
// a project's component set. The tenant-owned ones check tenant isolation.
// ---------------------------------------------------------------------------

/// `upsert_advisories_changed` names what it inserted or updated; changes
/// recorded for publication are pending until marked published.
pub async fn changed_ids_and_change_outbox(store: &dyn Store) {
    use mcpsec_core::vulndb::VulnDbChange;
    let run = run_id();
    let src = format!("conf-out-{run}");
    let a = format!("OUT-{run}-A");
    let b = format!("OUT-{run}-B");
    let recs = [
        advisory(&a, &src, &[("npm", "left-pad")], at(0)),
        advisory(&b, &src, &[("PyPI", "requests")], at(0)),
    ];
    let (counts, changed) = store.upsert_advisories_changed(&recs).await.unwrap();
    assert_eq!(counts.inserted, 2);
    assert_eq!(changed, vec![a.clone(), b.clone()]);
    // Same again: nothing changed; a newer B: only B.
    let (_, changed) = store.upsert_advisories_changed(&recs).await.unwrap();
    assert!(changed.is_empty(), "{changed:?}");
    let newer = advisory(&b, &src, &[("PyPI", "requests")], at(10));
    let (counts, changed) = store
        .upsert_advisories_changed(&[recs[0].clone(), newer])
        .await
        .unwrap();
    assert_eq!((counts.updated, counts.unchanged), (1, 1));
    assert_eq!(changed, vec![b.clone()]);

    let change = VulnDbChange {
        seq: 0,
        at: at(20),
        ecosystems: vec!["PyPI".into()],
        advisory_ids: vec![b.clone()],
        truncated: false,
        kev_entries: 3,
        epss_scores: 0,
    };
    store.record_vulndb_change(&change).await.unwrap();
    let mine = |cs: Vec<VulnDbChange>| -> Vec<VulnDbChange> {
        cs.into_iter()
            .filter(|c| c.advisory_ids.contains(&b))
            .collect()
    };
    let pending = mine(store.pending_vulndb_changes(1000).await.unwrap());
    assert_eq!(pending.len(), 1, "{pending:?}");
    let got = &pending[0];
    assert!(got.seq > 0, "the store assigns a sequence number");
    assert_eq!(
        (got.at, &got.ecosystems, got.kev_entries),
        (at(20), &change.ecosystems, 3)
    );
    // Sequence numbers ascend.
    store.record_vulndb_change(&change).await.unwrap();
    let pending = mine(store.pending_vulndb_changes(1000).await.unwrap());
    assert_eq!(pending.len(), 2);
    assert!(pending[0].seq < pending[1].seq);
    for c in &pending {
        store.mark_vulndb_change_published(c.seq).await.unwrap();
        // Idempotent.
        store.mark_vulndb_change_published(c.seq).await.unwrap();
    }
    assert!(mine(store.pending_vulndb_changes(1000).await.unwrap()).is_empty());
}

fn sc_finding(
    tenant: &mcpsec_core::TenantId,
    id: &str,
    severity: mcpsec_core::domain::Severity,
    kev: bool,
    fixed: &[&str],
    risk: Option<f64>,
) -> mcpsec_core::domain::Finding {
    use mcpsec_core::domain::{Finding, FindingStatus};
    Finding {
        tenant: tenant.clone(),
        id: id.to_string(),
        asset_id: "proj".into(),
        component_id: Some(format!("pkg:npm/{id}@1.0.0")),
        rule_id: format!("GHSA-{id}"),
        title: format!("finding {id}"),
        severity,
        status: FindingStatus::Open,
        status_reason: None,
        first_seen: at(0),
        last_seen: at(0),
        updated_at: at(0),
        kev,
        epss: kev.then_some(0.5),
        fixed_versions: fixed.iter().map(|v| v.to_string()).collect(),
        risk_score: risk,
    }
}

/// KEV, EPSS, fixed versions and risk score round-trip; the `kev`,
/// `fixable`, `min_risk` and `severity` filters and the risk order, with
/// cursor paging in that order.
pub async fn findings_exploitation_filters(store: &dyn Store) {
    use mcpsec_core::domain::Severity::*;
    use mcpsec_core::store::{FindingFilter, FindingSort, Page};
    let tenant = crate::unique_tenant("scf");
    let other = crate::unique_tenant("scf");
    let fs = [
        sc_finding(&tenant, "f1", Critical, true, &["2.0.0"], Some(9.8)),
        sc_finding(&tenant, "f2", High, false, &[], Some(7.5)),
        sc_finding(&tenant, "f3", Medium, true, &["1.0.1", "1.1.0"], Some(7.5)),
        sc_finding(&tenant, "f4", Low, false, &["1.0.2"], Some(2.25)),
        sc_finding(&tenant, "f5", High, false, &[], None),
    ];
    for f in &fs {
        store.upsert_finding(f).await.unwrap();
    }
    // Another tenant's KEV finding never shows.
    store
        .upsert_finding(&sc_finding(
            &other,
            "f9",
            Critical,
            true,
            &["9"],
            Some(10.0),
        ))
        .await
        .unwrap();
    let got = store.get_finding(&tenant, "f3").await.unwrap().unwrap();
    assert_eq!(got, fs[2]);
    assert!(got.fixable());
    let t = &tenant;
    let list = move |f: FindingFilter| async move {
        store
            .list_findings(t, &f)
            .await
            .unwrap()
            .into_iter()
            .map(|f| f.id)
            .collect::<Vec<_>>()
    };
    let kev = |k| FindingFilter {
        kev: Some(k),
        ..Default::default()
    };
    assert_eq!(list(kev(true)).await, ["f1", "f3"]);
    assert_eq!(list(kev(false)).await, ["f2", "f4", "f5"]);
    let fixable = |x| FindingFilter {
        fixable: Some(x),
        ..Default::default()
    };
    assert_eq!(list(fixable(true)).await, ["f1", "f3", "f4"]);
    assert_eq!(list(fixable(false)).await, ["f2", "f5"]);
    let min_risk = |r| FindingFilter {
        min_risk: Some(r),
        ..Default::default()
    };
    assert_eq!(list(min_risk(7.5)).await, ["f1", "f2", "f3"]);
    assert_eq!(list(min_risk(7.51)).await, ["f1"]);
    assert_eq!(list(min_risk(2.25)).await, ["f1", "f2", "f3", "f4"]);
    assert_eq!(
        list(FindingFilter {
            severity: Some(High),
            ..Default::default()
        })
        .await,
        ["f2", "f5"]
    );
    assert_eq!(
        list(FindingFilter {
            kev: Some(true),
            fixable: Some(true),
            min_risk: Some(8.0),
            ..Default::default()
        })
        .await,
        ["f1"]
    );
    // "Fix first": risk descending, ties by id; unknown risk last.
    let by_risk = |after: Option<&str>, limit| FindingFilter {
        sort: FindingSort::Risk,
        page: Page {
            after: after.map(str::to_string),
            limit,
        },
        ..Default::default()
    };
    assert_eq!(
        list(by_risk(None, 100)).await,
        ["f1", "f2", "f3", "f4", "f5"]
    );
    assert_eq!(list(by_risk(None, 2)).await, ["f1", "f2"]);
    assert_eq!(list(by_risk(Some("f2"), 2)).await, ["f3", "f4"]);
    assert_eq!(list(by_risk(Some("f4"), 2)).await, ["f5"]);
    // Filters combine with the risk order.
    let mut f = by_risk(None, 100);
    f.kev = Some(false);
    assert_eq!(list(f).await, ["f2", "f4", "f5"]);
    // The flags follow an update of the finding.
    let mut f4 = fs[3].clone();
    f4.kev = true;
    f4.fixed_versions.clear();
    f4.risk_score = Some(9.9);
    store.upsert_finding(&f4).await.unwrap();
    assert_eq!(list(kev(true)).await, ["f1", "f3", "f4"]);
    assert_eq!(list(fixable(true)).await, ["f1", "f3"]);
    assert_eq!(list(by_risk(None, 1)).await, ["f4"]);
}

/// Every lifecycle change is in the finding's history with author, time,
/// old and new status and reason; creation is the first entry; a refused
/// transition adds nothing; other tenants see nothing.
pub async fn findings_triage_history(store: &dyn Store) {
    use mcpsec_core::domain::{FindingStatus::*, Severity};
    let tenant = crate::unique_tenant("sch");
    let other = crate::unique_tenant("sch");
    let f = sc_finding(&tenant, "h1", Severity::High, false, &[], Some(5.0));
    store.upsert_finding(&f).await.unwrap();
    // An update of an existing finding is not a lifecycle change.
    let mut again = f.clone();
    again.last_seen = at(5);
    store.upsert_finding(&again).await.unwrap();
    store
        .transition_finding_by(
            &tenant,
            "h1",
            Triaged,
            Some("confirmed, reachable".into()),
            Some("user:alice".into()),
            at(10),
        )
        .await
        .unwrap();
    store
        .transition_finding_by(
            &tenant,
            "h1",
            AcceptedRisk,
            Some("behind the VPN until Q3".into()),
            Some("key:k1".into()),
            at(20),
        )
        .await
        .unwrap();
    // Refused: accepted_risk -> false_positive is not a transition.
    assert!(
        store
            .transition_finding_by(&tenant, "h1", FalsePositive, None, Some("x".into()), at(25))
            .await
            .is_err()
    );
    // Without author (the plain trait method).
    store
        .transition_finding(&tenant, "h1", Fixed, Some("upgraded".into()), at(30))
        .await
        .unwrap();
    let h = store.finding_history(&tenant, "h1").await.unwrap();
    let summary: Vec<_> = h
        .iter()
        .map(|c| (c.from, c.to, c.author.as_deref(), c.reason.as_deref(), c.at))
        .collect();
    assert_eq!(
        summary,
        vec![
            (None, Open, None, None, at(0)),
            (
                Some(Open),
                Triaged,
                Some("user:alice"),
                Some("confirmed, reachable"),
                at(10)
            ),
            (
                Some(Triaged),
                AcceptedRisk,
                Some("key:k1"),
                Some("behind the VPN until Q3"),
                at(20)
            ),
            (Some(AcceptedRisk), Fixed, None, Some("upgraded"), at(30)),
        ]
    );
    assert!(h.iter().all(|c| c.finding_id == "h1"));
    // Tenant isolation: same finding id elsewhere has its own history.
    assert!(
        store
            .finding_history(&other, "h1")
            .await
            .unwrap()
            .is_empty()
    );
    store
        .upsert_finding(&sc_finding(&other, "h1", Severity::Low, false, &[], None))
        .await
        .unwrap();
    assert_eq!(store.finding_history(&other, "h1").await.unwrap().len(), 1);
    assert_eq!(store.finding_history(&tenant, "h1").await.unwrap().len(), 4);
    assert!(
        store
            .finding_history(&tenant, "nope")
            .await
            .unwrap()
            .is_empty()
    );
}

fn comp(tenant: &mcpsec_core::TenantId, asset: &str, id: &str) -> mcpsec_core::domain::Component {
    mcpsec_core::domain::Component {
        tenant: tenant.clone(),
        id: id.to_string(),
        asset_id: asset.to_string(),
        name: id.to_string(),
        version: "1.0.0".into(),
        purl: Some(format!("pkg:npm/{id}@1.0.0")),
        ecosystem: Some("npm".into()),
        licenses: vec![],
    }
}

/// `replace_components` makes the given set the asset's whole set and
/// names what it deleted; other assets and tenants are untouched.
pub async fn components_replace(store: &dyn Store) {
    use mcpsec_core::store::Page;
    let tenant = crate::unique_tenant("scr");
    let other = crate::unique_tenant("scr");
    let ids = |v: Vec<mcpsec_core::domain::Component>| -> Vec<String> {
        v.into_iter().map(|c| c.id).collect()
    };
    store
        .upsert_components(
            &tenant,
            &[
                comp(&tenant, "p1", "a"),
                comp(&tenant, "p1", "b"),
                comp(&tenant, "p2", "a"),
            ],
        )
        .await
        .unwrap();
    store
        .upsert_components(&other, &[comp(&other, "p1", "a")])
        .await
        .unwrap();
    let mut c2 = comp(&tenant, "p1", "c");
    c2.version = "2.0.0".into();
    let gone = store
        .replace_components(&tenant, "p1", &[comp(&tenant, "p1", "b"), c2.clone()])
        .await
        .unwrap();
    assert_eq!(gone, ["a"]);
    let p1 = store
        .list_components(&tenant, "p1", &Page::default())
        .await
        .unwrap();
    assert_eq!(ids(p1.clone()), ["b", "c"]);
    assert_eq!(p1[1], c2);
    // Other asset and other tenant untouched.
    assert_eq!(
        ids(store
            .list_components(&tenant, "p2", &Page::default())
            .await
            .unwrap()),
        ["a"]
    );
    assert_eq!(
        ids(store
            .list_components(&other, "p1", &Page::default())
            .await
            .unwrap()),
        ["a"]
    );
    // Replacing with the same set deletes nothing; with nothing, everything.
    let gone = store
        .replace_components(&tenant, "p1", &[comp(&tenant, "p1", "b"), c2])
        .await
        .unwrap();
    assert!(gone.is_empty(), "{gone:?}");
    let gone = store.replace_components(&tenant, "p1", &[]).await.unwrap();
    assert_eq!(gone, ["b", "c"]);
    assert!(
        store
            .list_components(&tenant, "p1", &Page::default())
            .await
            .unwrap()
            .is_empty()
    );
    // A component of another tenant or asset is refused, nothing written.
    let err = store
        .replace_components(&tenant, "p2", &[comp(&other, "p2", "z")])
        .await
        .unwrap_err();
    assert!(
        matches!(err, mcpsec_core::store::StoreError::Invalid(_)),
        "{err}"
    );
    let err = store
        .replace_components(&tenant, "p2", &[comp(&tenant, "p1", "z")])
        .await
        .unwrap_err();
    assert!(
        matches!(err, mcpsec_core::store::StoreError::Invalid(_)),
        "{err}"
    );
    assert_eq!(
        ids(store
            .list_components(&tenant, "p2", &Page::default())
            .await
            .unwrap()),
        ["a"]
    );
    // Many components (several statements, one transaction).
    let many: Vec<_> = (0..1200)
        .map(|i| comp(&tenant, "p3", &format!("m{i:05}")))
        .collect();
    store
        .replace_components(&tenant, "p3", &many)
        .await
        .unwrap();
    let gone = store
        .replace_components(&tenant, "p3", &many[..100])
        .await
        .unwrap();
    assert_eq!(gone.len(), 1100);
    let mut all = Vec::new();
    let mut page = Page::first(1000);
    loop {
        let b = store.list_components(&tenant, "p3", &page).await.unwrap();
        let n = b.len();
        page.after = b.last().map(|c| c.id.clone());
        all.extend(b);
        if n < 1000 {
            break;
        }
    }
    assert_eq!(all.len(), 100);
}
