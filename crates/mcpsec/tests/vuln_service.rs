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
    let r = c
        .post(format!("{base}/api/v1/tenants/{tenant}/projects/web/sboms"))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let st = r.status().as_u16();
    (st, r.json().await.unwrap_or(Value::Null))
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
    let r = c
        .post(s.url("/api/v1/tenants/acme/rematch"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let v: Value = r.json().await.unwrap();
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
    let r = c
        .post(s.url("/api/v1/tenants/other/api-keys"))
        .json(&json!({"name": "other admin", "role": "admin"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let key: Value = r.json().await.unwrap();
    let other = client_with_key(key["key"].as_str().unwrap());
    let (st, _) = upload(&other, &s.base, "acme", sbom(&[("lodash", "1.0.0")])).await;
    assert!(st == 403 || st == 404, "cross-tenant upload got {st}");
    let r = other
        .post(s.url("/api/v1/tenants/acme/rematch"))
        .send()
        .await
        .unwrap();
    assert!(matches!(r.status().as_u16(), 403 | 404));
    // Its own tenant works, and sees none of acme's findings.
    let (st, v) = upload(&other, &s.base, "other", sbom(&[("left-pad", "1.0.0")])).await;
    assert_eq!(st, 202, "{v}");
    assert!(findings(&other, &s.base, "acme").await.is_empty());
}
