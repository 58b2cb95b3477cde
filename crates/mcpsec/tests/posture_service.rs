//! End to end: posture as a service in `mcpsec serve` — a scan posted for an
//! asset is stored, announced as `posture.scanned` and answered with its
//! summary; the asset's latest posture has findings and framework scores;
//! the scan history shows the trend after a fix; compliance aggregates the
//! tenant's latest scans; other tenants and read-only keys are refused; bad
//! input is a 400 that says why.

mod common;

use common::*;
use serde_json::{Value, json};

const FAILING: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      hostNetwork: true
      hostPID: true
      containers:
        - name: web
          image: nginx:latest
          securityContext:
            privileged: true
            allowPrivilegeEscalation: true
            capabilities: {add: [SYS_ADMIN, NET_ADMIN]}
          env:
            - name: DB_PASSWORD
              value: hunter2
"#;

const FIXED: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      automountServiceAccountToken: false
      securityContext:
        runAsNonRoot: true
        runAsUser: 10001
        seccompProfile: {type: RuntimeDefault}
      containers:
        - name: web
          image: nginx@sha256:0d17b565c37bcbd895e9d92315a05c1c3c9a29f762b011a10c54a66cd53c9b31
          imagePullPolicy: Always
          securityContext:
            privileged: false
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            runAsNonRoot: true
            capabilities: {drop: [ALL]}
          resources:
            limits: {cpu: 500m, memory: 256Mi}
            requests: {cpu: 100m, memory: 128Mi}
          livenessProbe: {httpGet: {path: /, port: 8080}}
          readinessProbe: {httpGet: {path: /, port: 8080}}
"#;

fn framework_score(summary: &Value, id: &str) -> f64 {
    summary["frameworks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == id)
        .unwrap_or_else(|| panic!("framework {id} in {summary}"))["score"]
        .as_f64()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posture_scans_trend_compliance_and_access() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let s = Server::start(&data, &[], &[]);
    let c = client();
    create_tenant(&c, &s.base, "acme").await;
    create_tenant(&c, &s.base, "other").await;
    let scans = s.url("/api/v1/tenants/acme/assets/cluster-prod/posture/scans");

    // A failing manifest: findings, a score below 100, framework scores.
    let (st, first) = send(
        c.post(format!("{scans}?filename=k8s/web.yaml"))
            .header("content-type", "application/yaml")
            .body(FAILING),
    )
    .await;
    assert_eq!(st, 201, "{first}");
    assert_eq!(first["asset_id"], "cluster-prod");
    assert_eq!(first["resources"], 1);
    assert!(first["failed"].as_u64().unwrap() > 0, "{first}");
    assert!(first["score"].as_f64().unwrap() < 100.0);
    assert!(!first["by_severity"].as_object().unwrap().is_empty());
    let cis_before = framework_score(&first, "cis-kubernetes");
    assert!(cis_before < 100.0, "{first}");

    let (st, latest) = send(c.get(s.url("/api/v1/tenants/acme/assets/cluster-prod/posture"))).await;
    assert_eq!(st, 200, "{latest}");
    assert_eq!(latest["id"], first["id"]);
    let findings = latest["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    assert!(
        findings
            .iter()
            .all(|f| f["file"] == "k8s/web.yaml" && f["line"].as_u64().unwrap() >= 1),
        "{findings:?}"
    );
    assert!(
        findings.iter().any(|f| f["message"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("privileged")
            || f["title"]
                .as_str()
                .unwrap()
                .to_lowercase()
                .contains("privileged")),
        "{findings:?}"
    );

    // `posture.scanned` went through the bus and the worker recorded it.
    let event_id = first["event_id"].as_str().unwrap().to_string();
    let event_url = s.url(&format!("/api/v1/tenants/acme/events/{event_id}"));
    eventually(30, "posture.scanned recorded", || {
        let (c, u) = (c.clone(), event_url.clone());
        async move { c.get(u).send().await.unwrap().status() == 200 }
    })
    .await;
    let (_, ev) = send(c.get(&event_url)).await;
    assert_eq!(ev["type"], "posture.scanned", "{ev}");
    assert_eq!(ev["data"]["scan_id"], first["id"]);
    assert_eq!(ev["data"]["asset_id"], "cluster-prod");

    // The fix, as a {files: …} body: the trend improves.
    let (st, second) = send(
        c.post(&scans)
            .json(&json!({"files": {"k8s/web.yaml": FIXED}})),
    )
    .await;
    assert_eq!(st, 201, "{second}");
    assert!(
        second["score"].as_f64().unwrap() > first["score"].as_f64().unwrap(),
        "{first}\n{second}"
    );
    assert!(second["failed"].as_u64().unwrap() < first["failed"].as_u64().unwrap());
    assert!(
        framework_score(&second, "cis-kubernetes") > cis_before,
        "{second}"
    );

    let (st, history) = send(c.get(&scans)).await;
    assert_eq!(st, 200, "{history}");
    let items = history["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["id"], first["id"]);
    assert_eq!(items[1]["id"], second["id"]);
    assert!(
        framework_score(&items[1], "cis-kubernetes") > framework_score(&items[0], "cis-kubernetes")
    );
    let (_, page) = send(c.get(format!("{scans}?limit=1"))).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    let cursor = page["next_cursor"].as_str().unwrap();
    let (_, page2) = send(c.get(format!("{scans}?limit=1&after={cursor}"))).await;
    assert_eq!(page2["items"][0]["id"], second["id"]);

    // Compliance across the tenant's latest scans (a second, failing asset).
    let (st, _) = send(
        c.post(s.url("/api/v1/tenants/acme/assets/cluster-dev/posture/scans?kind=kubernetes"))
            .body(FAILING),
    )
    .await;
    assert_eq!(st, 201);
    let (st, comp) = send(c.get(s.url("/api/v1/tenants/acme/compliance/cis-kubernetes"))).await;
    assert_eq!(st, 200, "{comp}");
    assert_eq!(comp["framework"], "cis-kubernetes");
    assert_eq!(comp["assets"], 2);
    assert!(comp["failed"].as_u64().unwrap() > 0, "{comp}");
    let failing = comp["controls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["status"] == "fail")
        .expect("a failing control");
    let dev = failing["assets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["asset_id"] == "cluster-dev")
        .expect("cluster-dev evidence");
    assert_eq!(dev["status"], "fail");
    assert!(!dev["evidence"].as_array().unwrap().is_empty(), "{failing}");
    let (st, v) = send(c.get(s.url("/api/v1/tenants/acme/compliance/no-such-framework"))).await;
    assert_eq!(st, 404, "{v}");

    // Bad input: a clear 400.
    let (st, v) = send(c.post(format!("{scans}?filename=bad.yaml")).body("a: [\n")).await;
    assert_eq!(st, 400, "{v}");
    let msg = v["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("bad.yaml") && msg.contains("invalid YAML"),
        "{msg}"
    );
    let (st, v) = send(c.post(&scans).body("not json")).await;
    assert_eq!(st, 400, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("?filename="),
        "{v}"
    );
    let (st, v) = send(
        c.post(format!("{scans}?filename=../etc/x.yaml"))
            .body(FIXED),
    )
    .await;
    assert_eq!(st, 400, "{v}");
    let (st, v) = send(c.post(format!("{scans}?kind=cobol")).body(FIXED)).await;
    assert_eq!(st, 400, "{v}");
    let (st, _) = send(
        c.post(s.url("/api/v1/tenants/acme/assets/a%2Fb/posture/scans?kind=kubernetes"))
            .body(FIXED),
    )
    .await;
    assert_eq!(st, 400);

    // A tenant that does not exist: 404 naming it, resolved before the
    // route's other parameters.
    let (st, v) = send(
        c.post(s.url("/api/v1/tenants/nope/assets/cluster-prod/posture/scans?kind=kubernetes"))
            .body(FIXED),
    )
    .await;
    assert_no_such_tenant(st, &v, "nope");
    let (st, v) = send(
        c.post(s.url("/api/v1/tenants/nope/assets/a%2Fb/posture/scans?kind=kubernetes"))
            .body(FIXED),
    )
    .await;
    assert_no_such_tenant(st, &v, "nope");

    // Access: another tenant's key and a read-only key.
    let other = client_with_key(&create_key(&c, &s.base, "other", "admin").await.1);
    let (st, _) = send(other.get(s.url("/api/v1/tenants/acme/assets/cluster-prod/posture"))).await;
    assert_eq!(st, 403);
    let (st, _) = send(other.get(&scans)).await;
    assert_eq!(st, 403);
    let (st, _) = send(other.post(format!("{scans}?kind=kubernetes")).body(FIXED)).await;
    assert_eq!(st, 403);
    let (st, _) = send(other.get(s.url("/api/v1/tenants/acme/compliance/cis-kubernetes"))).await;
    assert_eq!(st, 403);
    // Its own tenant has no scans.
    let (st, v) = send(other.get(s.url("/api/v1/tenants/other/compliance/cis-kubernetes"))).await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["assets"], 0);
    let viewer = client_with_key(&create_key(&c, &s.base, "acme", "viewer").await.1);
    let (st, _) = send(viewer.get(s.url("/api/v1/tenants/acme/assets/cluster-prod/posture"))).await;
    assert_eq!(st, 200);
    let (st, _) = send(viewer.post(format!("{scans}?kind=kubernetes")).body(FIXED)).await;
    assert_eq!(st, 403);
    let (st, _) = send(anonymous_client().get(&scans)).await;
    assert_eq!(st, 401);
}

const TEAM_LABEL: &str = r#"# METADATA
# title: Deployment without a team label
# custom:
#   id: ACME-001
#   severity: medium
#   input: kubernetes
#   selector: [Deployment]
package acme.team_label

import rego.v1

deny contains {"msg": "no team label", "path": "metadata.labels"} if {
	not input.metadata.labels.team
}
"#;

fn check_ids(scan: &Value) -> Vec<String> {
    scan["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["check_id"].as_str().unwrap().to_string())
        .collect()
}

/// Custom policies per tenant: uploaded (compiled first; a compile error is a
/// 400 naming the policy and line), listed, evaluated in that tenant's scans
/// only, deleted; every change audited; other tenants and viewers refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custom_policies_per_tenant() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let s = Server::start(&data, &[], &[]);
    let c = client();
    create_tenant(&c, &s.base, "acme").await;
    create_tenant(&c, &s.base, "other").await;
    let policies = s.url("/api/v1/tenants/acme/posture/policies");

    // A module that does not compile: 400 naming the policy and the line.
    let broken = TEAM_LABEL.replace("not input.metadata.labels.team", "not input.metadata ++ )");
    let (st, v) = send(c.put(format!("{policies}/ACME-001")).body(broken)).await;
    assert_eq!(st, 400, "{v}");
    let msg = v["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("ACME-001") && msg.contains("ACME-001.rego:13:"),
        "{msg}"
    );
    // The id of the route must be the METADATA id; built-in ids are refused.
    let (st, v) = send(c.put(format!("{policies}/ACME-002")).body(TEAM_LABEL)).await;
    assert_eq!(st, 400, "{v}");
    let (st, v) = send(
        c.put(format!("{policies}/K8S-001"))
            .body(TEAM_LABEL.replace("ACME-001", "K8S-001")),
    )
    .await;
    assert_eq!(st, 400, "{v}");
    assert!(
        v["error"]["message"].as_str().unwrap().contains("built-in"),
        "{v}"
    );
    let (st, v) = send(c.get(&policies)).await;
    assert_eq!((st, v["items"].as_array().unwrap().len()), (200, 0), "{v}");
    let (st, v) = send(
        c.put(s.url("/api/v1/tenants/nope/posture/policies/ACME-001"))
            .body(TEAM_LABEL),
    )
    .await;
    assert_no_such_tenant(st, &v, "nope");

    let (st, v) = send(c.put(format!("{policies}/ACME-001")).body(TEAM_LABEL)).await;
    assert_eq!(st, 201, "{v}");
    assert_eq!(
        (v["id"].as_str(), v["severity"].as_str()),
        (Some("ACME-001"), Some("medium"))
    );
    let (st, v) = send(c.put(format!("{policies}/ACME-001")).body(TEAM_LABEL)).await;
    assert_eq!(st, 200, "replaced: {v}");
    let (st, v) = send(c.get(&policies)).await;
    assert_eq!(st, 200);
    assert_eq!(v["items"][0]["id"], "ACME-001");
    assert_eq!(v["items"][0]["source"], TEAM_LABEL);

    // acme's scans run it; other's scans of the same manifest do not.
    let scan = |tenant: &str| {
        c.post(s.url(&format!(
            "/api/v1/tenants/{tenant}/assets/web/posture/scans?kind=kubernetes"
        )))
        .body(FIXED)
    };
    let (st, v) = send(scan("acme")).await;
    assert_eq!(st, 201, "{v}");
    let (_, latest) = send(c.get(s.url("/api/v1/tenants/acme/assets/web/posture"))).await;
    assert!(
        check_ids(&latest).contains(&"ACME-001".to_string()),
        "{latest}"
    );
    let (st, _) = send(scan("other")).await;
    assert_eq!(st, 201);
    let (_, latest) = send(c.get(s.url("/api/v1/tenants/other/assets/web/posture"))).await;
    assert!(
        !check_ids(&latest).contains(&"ACME-001".to_string()),
        "{latest}"
    );
    let (_, v) = send(c.get(s.url("/api/v1/tenants/other/posture/policies"))).await;
    assert_eq!(v["items"].as_array().unwrap().len(), 0);

    // Access: another tenant's admin and acme's viewer cannot change them.
    let other = client_with_key(&create_key(&c, &s.base, "other", "admin").await.1);
    let (st, _) = send(other.get(&policies)).await;
    assert_eq!(st, 403);
    let (st, _) = send(other.delete(format!("{policies}/ACME-001"))).await;
    assert_eq!(st, 403);
    let viewer = client_with_key(&create_key(&c, &s.base, "acme", "viewer").await.1);
    let (st, _) = send(viewer.put(format!("{policies}/ACME-001")).body(TEAM_LABEL)).await;
    assert_eq!(st, 403);

    // Deleted: the next scan no longer runs it; a second delete is a 404.
    let (st, _) = send(c.delete(format!("{policies}/ACME-001"))).await;
    assert_eq!(st, 204);
    let (st, _) = send(c.delete(format!("{policies}/ACME-001"))).await;
    assert_eq!(st, 404);
    let (st, _) = send(scan("acme")).await;
    assert_eq!(st, 201);
    let (_, latest) = send(c.get(s.url("/api/v1/tenants/acme/assets/web/posture"))).await;
    assert!(
        !check_ids(&latest).contains(&"ACME-001".to_string()),
        "{latest}"
    );

    // In the OpenAPI document.
    let (_, spec) = send(c.get(s.url("/api/v1/openapi.json"))).await;
    let one = &spec["paths"]["/api/v1/tenants/{tenant}/posture/policies/{id}"];
    assert!(one["put"].is_object() && one["delete"].is_object(), "{one}");
    assert!(spec["paths"]["/api/v1/tenants/{tenant}/posture/policies"]["get"].is_object());
    assert!(spec["components"]["schemas"]["PosturePolicy"].is_object());

    // Audited like other mutations.
    let (st, audit) = send(c.get(s.url("/api/v1/tenants/acme/audit?limit=1000"))).await;
    assert_eq!(st, 200, "{audit}");
    let actions: Vec<(String, String)> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["action"].as_str().unwrap_or_default().to_string(),
                r["target"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    for a in [
        "posture_policy.create",
        "posture_policy.update",
        "posture_policy.delete",
    ] {
        assert!(
            actions.contains(&(a.to_string(), "ACME-001".to_string())),
            "{a} in {actions:?}"
        );
    }
}
