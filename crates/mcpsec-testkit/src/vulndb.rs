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
