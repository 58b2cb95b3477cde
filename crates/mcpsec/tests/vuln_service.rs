//! End to end: the supply-chain capability as a service. OSV advisories are
//! imported into the server's store with `mcpsec db import`; CycloneDX SBOMs
//! are uploaded to a project through `POST …/projects/{id}/sboms`; the worker
//! matches them and keeps findings in step (an upgrade resolves a finding);
//! `POST …/rematch` after a new import raises findings on stored uploads;
//! triage keeps the comment; another tenant's key is denied.

mod common;

use std::path::Path;

use common::*;
use serde_json::{Value, json};

fn osv(id: &str, pkg: &str, fixed: &str) -> String {
    json!({
        "schema_version": "1.6.0",
        "id": id,
        "modified": "2024-03-01T00:00:00Z",
        "aliases": [],
        "summary": format!("{pkg}: test advisory"),
        "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
        "affected": [{
            "package": {"ecosystem": "npm", "name": pkg},
            "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": fixed}]}]
        }]
    })
    .to_string()
}

fn import(data: &Path, dir: &Path, id: &str, pkg: &str, fixed: &str) {
    let d = dir.join(id);
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join(format!("{id}.json")), osv(id, pkg, fixed)).unwrap();
    cli(data, &["db", "import", d.to_str().unwrap()], &[]);
}

fn sbom(components: &[(&str, &str)]) -> String {
    let comps: Vec<Value> = components
        .iter()
        .map(|(n, v)| json!({"type": "library", "name": n, "version": v, "purl": format!("pkg:npm/{n}@{v}")}))
        .collect();
    json!({"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1, "components": comps})
        .to_string()
}

async fn findings(c: &reqwest::Client, base: &str, tenant: &str) -> Vec<Value> {
    let v: Value = c
        .get(format!(
            "{base}/api/v1/tenants/{tenant}/findings?asset_id=web"
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["items"].as_array().cloned().unwrap_or_default()
}

fn find<'a>(fs: &'a [Value], rule: &str) -> Option<&'a Value> {
    fs.iter().find(|f| f["rule_id"] == rule)
}

async fn upload(c: &reqwest::Client, base: &str, tenant: &str, body: String) -> (u16, Value) {
    send(
        c.post(format!("{base}/api/v1/tenants/{tenant}/projects/web/sboms"))
            .header("content-type", "application/json")
            .body(body),
    )
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn sbom_upload_findings_resolution_rematch_and_triage() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    import(&data, dir.path(), "TEST-SVC-0001", "lodash", "4.17.21");
    let s = Server::start(&data, &[], &[]);
    let c = client();
    create_tenant(&c, &s.base, "acme").await;
    create_tenant(&c, &s.base, "other").await;

    // Bad input: a clear 400 naming the cause and position.
    let (st, v) = upload(&c, &s.base, "acme", "hello".into()).await;
    assert_eq!(st, 400, "{v}");
    assert!(v.to_string().contains("unknown format"), "{v}");
    let (st, v) = upload(
        &c,
        &s.base,
        "acme",
        r#"{"bomFormat":"CycloneDX","components":[{"name":"#.into(),
    )
    .await;
    assert_eq!(st, 400, "{v}");
    assert!(v.to_string().contains("line"), "{v}");

    // A tenant that does not exist: 404 naming it.
    let (st, v) = upload(&c, &s.base, "nope", sbom(&[("lodash", "4.17.20")])).await;
    assert_no_such_tenant(st, &v, "nope");
    let (st, v) = send(c.post(s.url("/api/v1/tenants/nope/rematch"))).await;
    assert_no_such_tenant(st, &v, "nope");

    // First upload: lodash 4.17.20 is vulnerable.
    let (st, v) = upload(
        &c,
        &s.base,
        "acme",
        sbom(&[("lodash", "4.17.20"), ("minimist", "1.2.5")]),
    )
    .await;
    assert_eq!(st, 202, "{v}");
    assert_eq!(v["format"], "cyclonedx-json");
    assert_eq!(v["component_count"], 2);
    assert!(v["upload_id"].as_str().is_some_and(|u| !u.is_empty()));
    eventually(30, "finding for lodash", || async {
        let fs = findings(&c, &s.base, "acme").await;
        find(&fs, "TEST-SVC-0001")
            .is_some_and(|f| f["status"] == "open" && f["severity"] == "critical")
    })
    .await;
    let fs = findings(&c, &s.base, "acme").await;
    let lodash_id = find(&fs, "TEST-SVC-0001").unwrap()["id"].clone();
    // The project is an asset.
    let assets: Value = c
        .get(s.url("/api/v1/tenants/acme/assets"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(assets.to_string().contains("\"web\""), "{assets}");

    // Upgrade: the finding is resolved (fixed), not deleted.
    let (st, v) = upload(
        &c,
        &s.base,
        "acme",
        sbom(&[("lodash", "4.17.21"), ("minimist", "1.2.5")]),
    )
    .await;
    assert_eq!(st, 202, "{v}");
    let second_upload_event = v["event_id"].as_str().unwrap().to_string();
    eventually(30, "lodash finding fixed", || async {
        let fs = findings(&c, &s.base, "acme").await;
        find(&fs, "TEST-SVC-0001").is_some_and(|f| {
            f["status"] == "fixed"
                && f["status_reason"]
                    .as_str()
                    .is_some_and(|r| r.contains("upgraded"))
        })
    })
    .await;

    // finding.created and finding.resolved were published (and recorded).
    let lid = lodash_id.as_str().unwrap();
    for (id, ty) in [
        (format!("{lid}:created"), "finding.created"),
        (
            format!("{lid}:resolved:{second_upload_event}"),
            "finding.resolved",
        ),
    ] {
        let url = s.url(&format!("/api/v1/tenants/acme/events/{id}"));
        eventually(30, ty, || async {
            let r = c.get(&url).send().await.unwrap();
            r.status() == 200 && r.json::<Value>().await.unwrap()["type"] == ty
        })
        .await;
    }

    // A new advisory + rematch raises a finding on the stored upload, and
    // does not reopen the upgraded component's finding.
    import(&data, dir.path(), "TEST-SVC-0002", "minimist", "1.2.6");
    let (st, v) = send(c.post(s.url("/api/v1/tenants/acme/rematch"))).await;
    assert_eq!(st, 202, "{v}");
    assert_eq!(v["projects"], 1, "{v}");
    eventually(30, "finding for minimist after rematch", || async {
        let fs = findings(&c, &s.base, "acme").await;
        find(&fs, "TEST-SVC-0002").is_some()
    })
    .await;
    let fs = findings(&c, &s.base, "acme").await;
    let minimist_id = find(&fs, "TEST-SVC-0002").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(find(&fs, "TEST-SVC-0001").unwrap()["status"], "fixed");
    assert_eq!(fs.len(), 2, "{fs:?}");
    assert_ne!(lodash_id, json!(minimist_id));

    // Findings filter by component (all versions of a purl) and status.
    let v: Value = c
        .get(s.url("/api/v1/tenants/acme/findings?component=pkg:npm/lodash&status=fixed"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let items = v["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{v}");
    assert_eq!(items[0]["component_id"], "pkg:npm/lodash@4.17.20");
    let v: Value = c
        .get(s.url("/api/v1/tenants/acme/findings?component=pkg:npm/minimist@1.2.5"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["items"].as_array().unwrap().len(), 1, "{v}");

    // Triage with a comment.
    let r = c
        .post(s.url(&format!(
            "/api/v1/tenants/acme/findings/{minimist_id}/status"
        )))
        .json(&json!({"status": "triaged", "reason": "upgrade planned next sprint"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let f: Value = c
        .get(s.url(&format!("/api/v1/tenants/acme/findings/{minimist_id}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(f["status"], "triaged");
    assert_eq!(f["status_reason"], "upgrade planned next sprint");

    // Another tenant's key can neither upload to nor re-match acme.
    let (_, key) = create_key(&c, &s.base, "other", "admin").await;
    let other = client_with_key(&key);
    let (st, _) = upload(&other, &s.base, "acme", sbom(&[("lodash", "1.0.0")])).await;
    assert!(st == 403 || st == 404, "cross-tenant upload got {st}");
    let (st, _) = send(other.post(s.url("/api/v1/tenants/acme/rematch"))).await;
    assert!(matches!(st, 403 | 404), "cross-tenant rematch got {st}");
    // Its own tenant works, and sees none of acme's findings.
    let (st, v) = upload(&other, &s.base, "other", sbom(&[("left-pad", "1.0.0")])).await;
    assert_eq!(st, 202, "{v}");
    assert!(findings(&other, &s.base, "acme").await.is_empty());
}

fn osv_aliased(id: &str, cve: &str, pkg: &str, fixed: &str, cvss: &str) -> String {
    json!({
        "schema_version": "1.6.0",
        "id": id,
        "modified": "2024-03-01T00:00:00Z",
        "aliases": [cve],
        "summary": format!("{pkg}: test advisory"),
        "severity": [{"type": "CVSS_V3", "score": cvss}],
        "affected": [{
            "package": {"ecosystem": "npm", "name": pkg},
            "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": fixed}]}]
        }]
    })
    .to_string()
}

fn rules(v: &Value) -> Vec<String> {
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap().to_string())
        .collect()
}

/// `mcpsec db import` while the service runs: the import is recorded in the
/// store, published as `vulndb.updated` to every tenant, and the worker
/// re-matches the affected projects without any `rematch` call — a new
/// advisory raises a finding on an old upload, a KEV import flags it. The
/// findings carry KEV, EPSS, fixed versions and risk, and filter and sort
/// on them (REST and GraphQL); triage is kept in the history with author;
/// a new upload replaces the component set and resolves what left.
#[tokio::test(flavor = "multi_thread")]
async fn vulndb_update_rematches_without_rematch_call() {
    const HIGH: &str = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"; // 7.5
    const CRIT: &str = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"; // 9.8
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let feeds = dir.path().join("feeds");
    std::fs::create_dir_all(&feeds).unwrap();
    // Something unrelated in the database, so it is not empty.
    let f0 = feeds.join("0.json");
    std::fs::write(
        &f0,
        osv_aliased("TEST-UPD-0000", "CVE-2099-0000", "not-used", "1.0.0", HIGH),
    )
    .unwrap();
    cli(&data, &["db", "import", f0.to_str().unwrap()], &[]);
    let s = Server::start(&data, &[], &[]);
    let c = client();
    create_tenant(&c, &s.base, "acme").await;
    create_tenant(&c, &s.base, "other").await;

    let (st, v) = upload(
        &c,
        &s.base,
        "acme",
        sbom(&[
            ("lodash", "4.17.20"),
            ("minimist", "1.2.5"),
            ("left-pad", "1.0.0"),
        ]),
    )
    .await;
    assert_eq!(st, 202, "{v}");
    let (st, v) = upload(&c, &s.base, "other", sbom(&[("lodash", "4.17.20")])).await;
    assert_eq!(st, 202, "{v}");
    // The upload was handled (components stored; no findings yet) before
    // the import, so what follows is the re-match, not the upload.
    eventually(30, "upload handled", || async {
        components(&c, &s, "acme").await.len() == 3 && components(&c, &s, "other").await.len() == 1
    })
    .await;
    assert!(findings(&c, &s.base, "acme").await.is_empty());

    // New advisories arrive while the service runs: no rematch call.
    let f1 = feeds.join("1.json");
    std::fs::write(
        &f1,
        format!(
            "[{},{}]",
            osv_aliased("TEST-UPD-0001", "CVE-2099-0001", "lodash", "4.17.21", CRIT),
            osv_aliased("TEST-UPD-0002", "CVE-2099-0002", "minimist", "1.2.6", HIGH)
        ),
    )
    .unwrap();
    let out = cli(&data, &["db", "import", f1.to_str().unwrap()], &[]);
    assert!(out.contains("2 new"), "{out}");
    eventually(30, "findings raised by vulndb.updated", || async {
        let fs = findings(&c, &s.base, "acme").await;
        find(&fs, "TEST-UPD-0001").is_some() && find(&fs, "TEST-UPD-0002").is_some()
    })
    .await;
    // Every tenant's project was re-matched.
    eventually(30, "other tenant's finding", || async {
        find(&findings(&c, &s.base, "other").await, "TEST-UPD-0001").is_some()
    })
    .await;
    let fs = findings(&c, &s.base, "acme").await;
    let lodash = find(&fs, "TEST-UPD-0001").unwrap().clone();
    assert_eq!(lodash["status"], "open");
    assert_eq!(lodash["kev"], false);
    assert_eq!(lodash["fixed_versions"], json!(["4.17.21"]));
    // risk = CVSS 9.8, no exploitation, medium criticality.
    assert_eq!(lodash["risk_score"], 9.8);
    let lodash_id = lodash["id"].as_str().unwrap().to_string();
    // The vulndb.updated event of each tenant is recorded.
    let ev = get_json(&c, s.url("/api/v1/tenants/acme/events/vulndb-2")).await;
    assert_eq!(ev["type"], "vulndb.updated", "{ev}");
    assert_eq!(ev["data"]["ecosystems"], json!(["npm"]));
    assert_eq!(
        ev["data"]["advisory_ids"],
        json!(["TEST-UPD-0001", "TEST-UPD-0002"])
    );
    // And the finding's created event, without a rematch call.
    let created = s.url(&format!("/api/v1/tenants/acme/events/{lodash_id}:created"));
    eventually(30, "finding.created", || async {
        c.get(&created).send().await.unwrap().status() == 200
    })
    .await;

    // KEV (and EPSS) imports re-score existing findings.
    let kev = feeds.join("kev.json");
    std::fs::write(
        &kev,
        json!({"catalogVersion": "2099.01.01", "dateReleased": "2099-01-01T00:00:00.000Z", "count": 1,
               "vulnerabilities": [{"cveID": "CVE-2099-0002", "vendorProject": "x", "product": "minimist",
                 "vulnerabilityName": "t", "dateAdded": "2099-01-01", "shortDescription": "t",
                 "requiredAction": "patch", "dueDate": "2099-01-22", "knownRansomwareCampaignUse": "Unknown",
                 "notes": "", "cwes": []}]})
        .to_string(),
    )
    .unwrap();
    let epss = feeds.join("epss.csv");
    std::fs::write(
        &epss,
        "#model_version:v2025.03.14,score_date:2099-01-01T00:00:00+0000\ncve,epss,percentile\nCVE-2099-0001,0.25000,0.90000\n",
    )
    .unwrap();
    cli(
        &data,
        &[
            "db",
            "import",
            kev.to_str().unwrap(),
            epss.to_str().unwrap(),
        ],
        &[],
    );
    eventually(30, "KEV flag on minimist", || async {
        let fs = findings(&c, &s.base, "acme").await;
        find(&fs, "TEST-UPD-0002").is_some_and(|f| f["kev"] == true)
            && find(&fs, "TEST-UPD-0001").is_some_and(|f| f["epss"] == 0.25)
    })
    .await;
    let fs = findings(&c, &s.base, "acme").await;
    // 7.5 + 2 × 1 (KEV) = 9.5; 9.8 + 2 × 0.25 → capped at 10.
    assert_eq!(find(&fs, "TEST-UPD-0002").unwrap()["risk_score"], 9.5);
    assert_eq!(find(&fs, "TEST-UPD-0001").unwrap()["risk_score"], 10.0);

    // Filters and "fix first" order.
    let q = |query: &str| s.url(&format!("/api/v1/tenants/acme/findings?{query}"));
    assert_eq!(rules(&get_json(&c, q("kev=true")).await), ["TEST-UPD-0002"]);
    assert_eq!(
        rules(&get_json(&c, q("kev=false")).await),
        ["TEST-UPD-0001"]
    );
    assert_eq!(rules(&get_json(&c, q("fixable=true")).await).len(), 2);
    assert!(rules(&get_json(&c, q("fixable=false")).await).is_empty());
    assert_eq!(
        rules(&get_json(&c, q("min_risk=9.9")).await),
        ["TEST-UPD-0001"]
    );
    assert_eq!(
        rules(&get_json(&c, q("severity=high")).await),
        ["TEST-UPD-0002"]
    );
    assert_eq!(
        rules(&get_json(&c, q("sort=risk")).await),
        ["TEST-UPD-0001", "TEST-UPD-0002"]
    );
    let page1 = get_json(&c, q("sort=risk&limit=1")).await;
    assert_eq!(rules(&page1), ["TEST-UPD-0001"]);
    let next = page1["next_cursor"].as_str().unwrap();
    assert_eq!(
        rules(&get_json(&c, q(&format!("sort=risk&limit=1&after={next}"))).await),
        ["TEST-UPD-0002"]
    );
    let r = c.get(q("min_risk=11")).send().await.unwrap();
    assert_eq!(r.status(), 400);
    let r = c.get(q("sort=sideways")).send().await.unwrap();
    assert_eq!(r.status(), 400);

    // Triage is kept in the history with its author.
    let r = c
        .post(s.url(&format!("/api/v1/tenants/acme/findings/{lodash_id}/status")))
        .json(&json!({"status": "accepted_risk", "reason": "not reachable; revisit in Q3"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let h = get_json(
        &c,
        s.url(&format!(
            "/api/v1/tenants/acme/findings/{lodash_id}/history"
        )),
    )
    .await;
    let items = h["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{h}");
    assert_eq!(items[0]["from"], Value::Null);
    assert_eq!(items[0]["to"], "open");
    assert_eq!(items[1]["from"], "open");
    assert_eq!(items[1]["to"], "accepted_risk");
    assert_eq!(items[1]["author"], "bootstrap");
    assert_eq!(items[1]["reason"], "not reachable; revisit in Q3");
    assert!(items[1]["at"].as_str().is_some());
    let r = c
        .get(s.url("/api/v1/tenants/acme/findings/nope/history"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);

    // GraphQL: the same fields, filters, order and history.
    let gql = json!({"query": r#"{ tenant(id: "acme") { findings(kev: false, order: RISK) { edges { node {
        ruleId kev epss fixable fixedVersions riskScore history { author from to reason } } } } } }"#});
    let v: Value = c
        .post(s.url("/graphql"))
        .json(&gql)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let node = &v["data"]["tenant"]["findings"]["edges"][0]["node"];
    assert_eq!(node["ruleId"], "TEST-UPD-0001", "{v}");
    assert_eq!(node["fixable"], true);
    assert_eq!(node["fixedVersions"], json!(["4.17.21"]));
    assert_eq!(node["epss"], 0.25);
    assert_eq!(node["history"][1]["author"], "bootstrap");
    assert_eq!(node["history"][1]["to"], "ACCEPTED_RISK");

    // A new upload replaces the component set: minimist left, its open
    // finding is resolved (by the service, in the history).
    let (st, _) = upload(
        &c,
        &s.base,
        "acme",
        sbom(&[("lodash", "4.17.20"), ("left-pad", "1.0.0")]),
    )
    .await;
    assert_eq!(st, 202);
    eventually(30, "minimist resolved", || async {
        let fs = findings(&c, &s.base, "acme").await;
        find(&fs, "TEST-UPD-0002").is_some_and(|f| f["status"] == "fixed")
    })
    .await;
    let fs = findings(&c, &s.base, "acme").await;
    let mid = find(&fs, "TEST-UPD-0002").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let h = get_json(
        &c,
        s.url(&format!("/api/v1/tenants/acme/findings/{mid}/history")),
    )
    .await;
    let last = h["items"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["author"], "mcpsec://vuln", "{h}");
    assert_eq!(last["to"], "fixed");
    // The accepted risk on lodash stands.
    assert_eq!(
        find(&fs, "TEST-UPD-0001").unwrap()["status"],
        "accepted_risk"
    );
    // The project's components are the new upload's.
    let mut names = components(&c, &s, "acme").await;
    names.sort();
    assert_eq!(names, ["left-pad", "lodash"]);

    // The advisory is withdrawn: the re-match resolves its findings.
    let f2 = feeds.join("2.json");
    let mut withdrawn: Value = serde_json::from_str(&osv_aliased(
        "TEST-UPD-0001",
        "CVE-2099-0001",
        "lodash",
        "4.17.21",
        CRIT,
    ))
    .unwrap();
    withdrawn["modified"] = json!("2024-04-01T00:00:00Z");
    withdrawn["withdrawn"] = json!("2024-04-01T00:00:00Z");
    std::fs::write(&f2, withdrawn.to_string()).unwrap();
    cli(&data, &["db", "import", f2.to_str().unwrap()], &[]);
    eventually(30, "withdrawn advisory resolves its findings", || async {
        let acme = findings(&c, &s.base, "acme").await;
        let fs = findings(&c, &s.base, "other").await;
        find(&acme, "TEST-UPD-0001").is_some_and(|f| f["status"] == "fixed")
            && find(&fs, "TEST-UPD-0001").is_some_and(|f| {
                f["status"] == "fixed"
                    && f["status_reason"]
                        .as_str()
                        .is_some_and(|r| r.contains("vulnerability-database change vulndb-"))
            })
    })
    .await;
    let h = get_json(
        &c,
        s.url(&format!(
            "/api/v1/tenants/acme/findings/{lodash_id}/history"
        )),
    )
    .await;
    let items = h["items"].as_array().unwrap();
    assert_eq!(items.len(), 3, "{h}");
    assert_eq!(items[2]["from"], "accepted_risk");
    assert_eq!(items[2]["to"], "fixed");
    assert_eq!(items[2]["author"], "mcpsec://vuln");
}

/// Names of the components of project `web` (GraphQL).
async fn components(c: &reqwest::Client, s: &Server, tenant: &str) -> Vec<String> {
    let q = format!(
        r#"{{ tenant(id: "{tenant}") {{ asset(id: "web") {{ components {{ edges {{ node {{ name }} }} }} }} }} }}"#
    );
    let v: Value = c
        .post(s.url("/graphql"))
        .json(&json!({ "query": q }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["data"]["tenant"]["asset"]["components"]["edges"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| e["node"]["name"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// A scanner report uploaded to a project: its findings are the project's
/// findings and the packages it names are the project's components; a later
/// report replaces both (what left is resolved).
#[tokio::test(flavor = "multi_thread")]
async fn scanner_report_upload_records_components() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let s = Server::start(&data, &[], &[]);
    let c = client();
    create_tenant(&c, &s.base, "acme").await;

    // Trivy with the whole package list (`--list-all-pkgs`): 3 packages, one
    // of them vulnerable twice.
    let trivy = json!({"SchemaVersion": 2, "ArtifactName": ".", "Results": [{
    "Target": "package-lock.json", "Type": "npm",
    "Packages": [
        {"Name": "lodash", "Version": "4.17.15", "Identifier": {"PURL": "pkg:npm/lodash@4.17.15"}, "Licenses": ["MIT"]},
        {"Name": "minimist", "Version": "1.2.5", "Identifier": {"PURL": "pkg:npm/minimist@1.2.5"}},
        {"Name": "ms", "Version": "2.1.3", "Identifier": {"PURL": "pkg:npm/ms@2.1.3"}}
    ],
    "Vulnerabilities": [
        {"VulnerabilityID": "CVE-2020-8203", "PkgName": "lodash", "InstalledVersion": "4.17.15",
         "PkgIdentifier": {"PURL": "pkg:npm/lodash@4.17.15"}, "FixedVersion": "4.17.19", "Severity": "HIGH"},
        {"VulnerabilityID": "CVE-2021-23337", "PkgName": "lodash", "InstalledVersion": "4.17.15",
         "PkgIdentifier": {"PURL": "pkg:npm/lodash@4.17.15"}, "FixedVersion": "4.17.21", "Severity": "HIGH"}
    ]}]});
    let (st, v) = upload(&c, &s.base, "acme", trivy.to_string()).await;
    assert_eq!(st, 202, "{v}");
    eventually(30, "report handled", || async {
        components(&c, &s, "acme").await.len() == 3
            && findings(&c, &s.base, "acme").await.len() == 2
    })
    .await;
    let mut names = components(&c, &s, "acme").await;
    names.sort();
    assert_eq!(names, ["lodash", "minimist", "ms"]);
    let fs = findings(&c, &s.base, "acme").await;
    assert!(
        fs.iter().all(|f| f["status"] == "open"
            && f["rule_id"].as_str().is_some_and(|r| r.starts_with("CVE-"))),
        "{fs:#?}"
    );

    // Grype, later: only minimist (vulnerable). lodash's findings resolve,
    // and the components are the new report's.
    let grype = json!({"source": {"type": "directory", "target": "."}, "matches": [{
        "vulnerability": {"id": "GHSA-xvch-5gv4-984h", "severity": "Critical", "fix": {"versions": ["1.2.6"], "state": "fixed"}},
        "relatedVulnerabilities": [{"id": "CVE-2021-44906"}],
        "artifact": {"name": "minimist", "version": "1.2.5", "type": "npm", "purl": "pkg:npm/minimist@1.2.5"}}]});
    let (st, v) = upload(&c, &s.base, "acme", grype.to_string()).await;
    assert_eq!(st, 202, "{v}");
    eventually(30, "second report handled", || async {
        let fs = findings(&c, &s.base, "acme").await;
        components(&c, &s, "acme").await == ["minimist"]
            && find(&fs, "CVE-2020-8203").is_some_and(|f| f["status"] == "fixed")
            && fs.iter().any(|f| f["status"] == "open")
    })
    .await;
}
