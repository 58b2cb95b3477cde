//! End to end: streaming Sigma detection in `mcpsec serve` — built-in rules
//! from `detection.rules_dir`, alerts with rule, techniques, entity and event
//! ids, idempotent redelivery, per-tenant rules through the API (hot
//! reload), the entity view, and correlation state across a restart.

mod common;

use std::path::Path;

use common::*;
use serde_json::{Value, json};

const WHOAMI: &str = r#"title: Whoami Execution
id: e2e-whoami
level: medium
tags: [attack.discovery, attack.t1033]
logsource: {product: windows, category: process_creation}
detection:
  selection:
    Image|endswith: '\whoami.exe'
  condition: selection
"#;

const FAILED_LOGON: &str = r#"title: Failed Logon
id: e2e-failed-logon
name: failed-logon
level: low
logsource: {product: windows, service: security}
detection:
  selection:
    EventID: 4625
  condition: selection
---
title: Brute Force Against One Account
id: e2e-brute-force
level: high
tags: [attack.credential_access, attack.t1110]
correlation:
  type: event_count
  rules: [failed-logon]
  group-by: [TargetUserName]
  timespan: 10m
  condition: {gte: 3}
"#;

fn rules_dir(dir: &Path) -> String {
    let rules = dir.join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::write(rules.join("whoami.yml"), WHOAMI).unwrap();
    std::fs::write(rules.join("brute_force.yml"), FAILED_LOGON).unwrap();
    rules.display().to_string()
}

fn log(tenant: &str, id: &str, record: Value) -> Value {
    json!({
        "id": id, "type": "log.received", "source": "e2e-detection", "tenant": tenant,
        "data": {"format": "json", "host": null, "record": record}
    })
}

fn whoami(tenant: &str, id: &str, host: &str) -> Value {
    log(
        tenant,
        id,
        json!({"Channel": "Security", "EventID": 4688, "Computer": host,
               "NewProcessName": "C:\\Windows\\System32\\whoami.exe", "CommandLine": "whoami /all",
               "SubjectUserName": "alice"}),
    )
}

fn failed_logon(tenant: &str, id: &str, user: &str, minute: u32) -> Value {
    log(
        tenant,
        id,
        json!({"Channel": "Security", "EventID": 4625, "Computer": "dc01", "TargetUserName": user,
               "TimeCreated_SystemTime": format!("2024-05-01T10:{minute:02}:00Z")}),
    )
}

async fn post_events(c: &reqwest::Client, s: &Server, events: Vec<Value>) {
    let r = c
        .post(s.url("/api/v1/events"))
        .json(&json!({ "events": events }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202, "{}", r.text().await.unwrap());
}

async fn alerts(c: &reqwest::Client, s: &Server, tenant: &str, query: &str) -> Vec<Value> {
    let v: Value = c
        .get(s.url(&format!("/api/v1/tenants/{tenant}/alerts?{query}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["items"].as_array().cloned().unwrap_or_default()
}

async fn put_rule(
    c: &reqwest::Client,
    s: &Server,
    tenant: &str,
    id: &str,
    yaml: &str,
) -> (u16, Value) {
    let r = c
        .put(s.url(&format!("/api/v1/tenants/{tenant}/rules/{id}")))
        .header("content-type", "application/yaml")
        .body(yaml.to_string())
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn alerts_dedup_rules_api_and_entities() {
    let dir = tempfile::tempdir().unwrap();
    let env = [("MCPSEC_DETECTION__RULES_DIR", rules_dir(dir.path()))];
    let s = Server::start(&dir.path().join("data"), &[], &env);
    let c = client();
    create_tenant(&c, &s.base, "det").await;

    // A matching and a non-matching event.
    let mut other = whoami("det", "e2", "ws01");
    other["data"]["record"]["NewProcessName"] = json!("C:\\Windows\\notepad.exe");
    post_events(&c, &s, vec![whoami("det", "e1", "ws01"), other]).await;
    eventually(30, "whoami alert", || async {
        !alerts(&c, &s, "det", "rule_id=e2e-whoami").await.is_empty()
    })
    .await;
    let a = &alerts(&c, &s, "det", "rule_id=e2e-whoami").await[0];
    assert_eq!(a["title"], "Whoami Execution");
    assert_eq!(a["severity"], "medium");
    assert_eq!(a["techniques"], json!(["T1033"]));
    assert_eq!(a["entity"], "host:ws01");
    assert_eq!(a["event_ids"], json!(["e1"]));
    let alert_id = a["id"].as_str().unwrap().to_string();

    // The alert was published as alert.created (its event id is the alert id).
    eventually(30, "alert.created recorded", || async {
        let r = c
            .get(s.url(&format!("/api/v1/tenants/det/events/{alert_id}")))
            .send()
            .await
            .unwrap();
        if r.status() != 200 {
            return false;
        }
        let e: Value = r.json().await.unwrap();
        e["type"] == "alert.created" && e["data"]["rule_id"] == "e2e-whoami"
    })
    .await;

    // Duplicate delivery of e1 (with a new event after it): no second alert.
    post_events(
        &c,
        &s,
        vec![whoami("det", "e1", "ws01"), whoami("det", "e3", "ws02")],
    )
    .await;
    eventually(30, "alert for e3", || async {
        !alerts(&c, &s, "det", "entity=host:ws02").await.is_empty()
    })
    .await;
    let all = alerts(&c, &s, "det", "rule_id=e2e-whoami").await;
    assert_eq!(all.len(), 2, "{all:?}");

    // Technique filter (sub-technique aware) and entity filter.
    assert_eq!(alerts(&c, &s, "det", "technique=T1033").await.len(), 2);
    assert_eq!(alerts(&c, &s, "det", "technique=t1033").await.len(), 2);
    assert!(alerts(&c, &s, "det", "technique=T1110").await.is_empty());
    assert_eq!(
        alerts(&c, &s, "det", "technique=T1033&entity=host:ws01")
            .await
            .len(),
        1
    );

    // Rules API: bad YAML and a bad rule are refused with the reason.
    let (status, body) = put_rule(&c, &s, "det", "bad", "title: [\n").await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "invalid_argument", "{body}");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("yaml"),
        "{body}"
    );
    let (status, body) = put_rule(
        &c,
        &s,
        "det",
        "bad2",
        "title: t\nlogsource: {product: windows}\ndetection: {s: {a|frobnicate: 1}, condition: s}\n",
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("frobnicate"),
        "{body}"
    );
    let (status, body) = put_rule(&c, &s, "nope", "r", WHOAMI).await;
    assert_no_such_tenant(status, &body, "nope");

    // A rule added through the API matches without a restart.
    let mimikatz = "title: Mimikatz Command Line\nid: e2e-api-mimikatz\nlevel: critical\ntags: [attack.credential_access, attack.t1003.001]\nlogsource: {product: windows, category: process_creation}\ndetection: {s: {CommandLine|contains: 'sekurlsa::'}, condition: s}\n";
    let (status, body) = put_rule(&c, &s, "det", "mimikatz", mimikatz).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["title"], "Mimikatz Command Line");
    assert_eq!(body["level"], "critical");
    let (status, _) = put_rule(&c, &s, "det", "mimikatz", mimikatz).await;
    assert_eq!(status, 200, "replacing answers 200");
    let list: Value = c
        .get(s.url("/api/v1/tenants/det/rules"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");
    let mut ev = whoami("det", "e4", "ws01");
    ev["data"]["record"]["CommandLine"] = json!("mimikatz.exe sekurlsa::logonpasswords");
    post_events(&c, &s, vec![ev]).await;
    eventually(30, "alert from the API rule", || async {
        !alerts(&c, &s, "det", "rule_id=e2e-api-mimikatz")
            .await
            .is_empty()
    })
    .await;
    assert_eq!(
        alerts(&c, &s, "det", "technique=T1003").await.len(),
        1,
        "T1003 matches T1003.001"
    );
    // Other tenants do not get it.
    create_tenant(&c, &s.base, "det2").await;
    let mut ev = whoami("det2", "x1", "ws09");
    ev["data"]["record"]["CommandLine"] = json!("sekurlsa::logonpasswords");
    post_events(&c, &s, vec![ev]).await;
    eventually(30, "det2 whoami alert", || async {
        !alerts(&c, &s, "det2", "rule_id=e2e-whoami")
            .await
            .is_empty()
    })
    .await;
    assert!(
        alerts(&c, &s, "det2", "rule_id=e2e-api-mimikatz")
            .await
            .is_empty()
    );

    // Entity view: ws01 has discovery and credential access, in kill-chain order.
    let v: Value = c
        .get(s.url("/api/v1/tenants/det/entities"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let items = v["items"].as_array().unwrap();
    assert_eq!(items[0]["entity"], "host:ws01", "{v}");
    assert_eq!(items[0]["kind"], "host");
    // e1 (whoami) and e4 (whoami.exe running mimikatz: both rules).
    assert_eq!(items[0]["alerts"], 3);
    assert_eq!(items[0]["max_severity"], "critical");
    let tactics: Vec<&str> = items[0]["tactics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(tactics, ["Credential Access", "Discovery"], "{v}");
    assert!(items[0]["risk"].as_f64().unwrap() > items[1]["risk"].as_f64().unwrap());
    assert_eq!(items[1]["entity"], "host:ws02");

    // Delete: the rule is gone.
    let r = c
        .delete(s.url("/api/v1/tenants/det/rules/mimikatz"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = c
        .get(s.url("/api/v1/tenants/det/rules/mimikatz"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);

    // The routes are documented.
    let spec: Value = c
        .get(s.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for path in [
        "/api/v1/tenants/{tenant}/rules",
        "/api/v1/tenants/{tenant}/rules/{id}",
        "/api/v1/tenants/{tenant}/entities",
    ] {
        assert!(spec["paths"].get(path).is_some(), "{path} missing");
    }
}

fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .filter(|l| l.starts_with(name))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

async fn metrics_text(c: &reqwest::Client, s: &Server) -> String {
    c.get(s.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// Stops the server with SIGTERM (graceful: the worker commits its batch).
fn terminate(s: &mut Server) {
    let pid = s.child.id().to_string();
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while std::time::Instant::now() < deadline {
        if let Ok(Some(_)) = s.child.try_wait() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    s.kill();
}

#[tokio::test]
async fn correlation_fires_across_a_worker_restart() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let env = [("MCPSEC_DETECTION__RULES_DIR", rules_dir(dir.path()))];
    let c = client();
    {
        let mut s = Server::start(&data, &[], &env);
        create_tenant(&c, &s.base, "corr").await;
        post_events(
            &c,
            &s,
            vec![
                failed_logon("corr", "f1", "bob", 0),
                failed_logon("corr", "f2", "bob", 1),
                failed_logon("corr", "f3", "alice", 1),
            ],
        )
        .await;
        eventually(30, "three failed logons evaluated", || async {
            metric(&metrics_text(&c, &s).await, "mcpsec_detection_events_total") >= 3.0
        })
        .await;
        // Below the threshold: no alert, and the base rule only feeds the correlation.
        assert!(alerts(&c, &s, "corr", "").await.is_empty());
        terminate(&mut s);
    }
    let s = Server::start(&data, &[], &env);
    post_events(&c, &s, vec![failed_logon("corr", "f4", "bob", 3)]).await;
    eventually(30, "brute-force alert after the restart", || async {
        !alerts(&c, &s, "corr", "rule_id=e2e-brute-force")
            .await
            .is_empty()
    })
    .await;
    let a = &alerts(&c, &s, "corr", "rule_id=e2e-brute-force").await[0];
    assert_eq!(a["entity"], "user:bob");
    assert_eq!(a["severity"], "high");
    assert_eq!(a["techniques"], json!(["T1110"]));
    assert_eq!(a["event_ids"], json!(["f1", "f2", "f4"]));
    // Only f4 was evaluated by the new process: f1 and f2 came from the
    // persisted correlation state, not from a redelivery.
    assert_eq!(
        metric(&metrics_text(&c, &s).await, "mcpsec_detection_events_total"),
        1.0
    );
    assert_eq!(alerts(&c, &s, "corr", "").await.len(), 1);
}

const CHAINED: &str = r#"title: Brute Force Followed By Success
id: e2e-bf-success
level: critical
correlation:
  type: temporal_ordered
  rules: [many-failed, logon-ok]
  group-by: [TargetUserName]
  timespan: 30m
---
title: Many Failed Logons
id: e2e-many-failed
name: many-failed
level: high
correlation:
  type: event_count
  rules: [failed-logon]
  group-by: [TargetUserName]
  timespan: 10m
  condition: {gte: 3}
---
title: Failed Logon
id: e2e-failed-logon
name: failed-logon
logsource: {product: windows, service: security}
detection: {selection: {EventID: 4625}, condition: selection}
---
title: Successful Logon
id: e2e-logon-ok
name: logon-ok
logsource: {product: windows, service: security}
detection: {selection: {EventID: 4624}, condition: selection}
"#;

/// A chained correlation (a correlation of a correlation and a rule) over
/// the bus: the inner correlation only feeds the outer one.
#[tokio::test]
async fn chained_correlation_streams() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::write(rules.join("chained.yml"), CHAINED).unwrap();
    let env = [("MCPSEC_DETECTION__RULES_DIR", rules.display().to_string())];
    let c = client();
    let s = Server::start(&dir.path().join("data"), &[], &env);
    create_tenant(&c, &s.base, "chain").await;
    let ok = log(
        "chain",
        "s1",
        json!({"Channel": "Security", "EventID": 4624, "Computer": "dc01", "TargetUserName": "bob",
               "TimeCreated_SystemTime": "2024-05-01T10:05:00Z"}),
    );
    post_events(
        &c,
        &s,
        vec![
            failed_logon("chain", "f1", "bob", 0),
            failed_logon("chain", "f2", "bob", 1),
            failed_logon("chain", "f3", "bob", 2),
        ],
    )
    .await;
    // Separate batch: the inner state is read back from the store.
    eventually(30, "failed logons evaluated", || async {
        metric(&metrics_text(&c, &s).await, "mcpsec_detection_events_total") >= 3.0
    })
    .await;
    post_events(&c, &s, vec![ok]).await;
    eventually(30, "chained alert", || async {
        !alerts(&c, &s, "chain", "rule_id=e2e-bf-success")
            .await
            .is_empty()
    })
    .await;
    let all = alerts(&c, &s, "chain", "").await;
    assert_eq!(all.len(), 1, "the inner correlation only feeds: {all:?}");
    let a = &all[0];
    assert_eq!(a["severity"], "critical");
    assert_eq!(a["entity"], "user:bob");
    let ids = a["event_ids"].as_array().unwrap();
    assert_eq!(ids.len(), 2, "{a}");
    assert_eq!(ids[1], "s1");
}

#[tokio::test]
async fn demo_rules_turn_demo_logs_into_alerts() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir.path().join("data"), &["--demo"], &[]);
    let c = client();
    for rule in [
        "demo-encoded-powershell",
        "demo-whoami",
        "demo-net-user-add",
        "demo-discovery-then-account",
    ] {
        eventually(30, rule, || async {
            !alerts(&c, &s, "demo", &format!("rule_id={rule}"))
                .await
                .is_empty()
        })
        .await;
    }
    let a = &alerts(&c, &s, "demo", "rule_id=demo-discovery-then-account").await[0];
    assert_eq!(a["entity"], "host:build-01");
    assert_eq!(a["event_ids"].as_array().unwrap().len(), 2);
    let v: Value = c
        .get(s.url("/api/v1/tenants/demo/entities"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["items"][0]["entity"], "host:build-01", "{v}");
}

#[tokio::test]
async fn syslog_udp_and_tcp_feed_detection() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::write(
        rules.join("ssh.yml"),
        "title: SSH Password Failure\nid: e2e-ssh-fail\nlevel: low\ntags: [attack.credential_access, attack.t1110.001]\nlogsource: {product: linux, service: sshd}\ndetection: {s: {app_name: sshd, message|contains: 'Failed password'}, condition: s}\n",
    )
    .unwrap();
    std::fs::write(
        rules.join("cef.yml"),
        "title: Firewall Blocked Threat\nid: e2e-cef-block\nlevel: high\nlogsource: {product: firewall}\ndetection: {s: {DeviceVendor: Palo Alto Networks, act: blocked, Rule: Block Malware}, condition: s}\n",
    )
    .unwrap();
    let free = |udp: bool| -> String {
        if udp {
            let s = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
            s.local_addr().unwrap().to_string()
        } else {
            let s = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            s.local_addr().unwrap().to_string()
        }
    };
    let (udp, tcp) = (free(true), free(false));
    let env = [
        ("MCPSEC_DETECTION__RULES_DIR", rules.display().to_string()),
        ("MCPSEC_DETECTION__SYSLOG_UDP", udp.clone()),
        ("MCPSEC_DETECTION__SYSLOG_TCP", tcp.clone()),
        ("MCPSEC_DETECTION__SYSLOG_TENANT", "sys".to_string()),
    ];
    let s = Server::start(&dir.path().join("data"), &[], &env);
    let c = client();
    create_tenant(&c, &s.base, "sys").await;

    let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.send_to(
        b"<38>1 2024-05-01T10:00:00Z bastion sshd 811 - - Failed password for root from 10.0.0.9",
        &udp,
    )
    .unwrap();
    {
        use std::io::Write;
        let mut t = std::net::TcpStream::connect(&tcp).unwrap();
        t.write_all(b"<38>May  1 10:00:01 jump sshd[9]: Failed password for admin\n<38>May  1 10:00:02 jump sshd[9]: Accepted password for admin\n")
            .unwrap();
        // CEF inside a syslog line: header fields, extension keys and a custom label.
        t.write_all(b"<134>May  1 10:00:03 fw01 CEF:0|Palo Alto Networks|PAN-OS|10.1|threat|virus|8|src=10.1.1.20 act=blocked cs1Label=Rule cs1=Block Malware\n")
            .unwrap();
    }
    eventually(30, "CEF alert", || async {
        alerts(&c, &s, "sys", "rule_id=e2e-cef-block").await.len() == 1
    })
    .await;
    assert_eq!(
        alerts(&c, &s, "sys", "rule_id=e2e-cef-block").await[0]["entity"],
        "host:fw01"
    );
    eventually(30, "syslog alerts", || async {
        alerts(&c, &s, "sys", "rule_id=e2e-ssh-fail").await.len() == 2
    })
    .await;
    let mut entities: Vec<String> = alerts(&c, &s, "sys", "rule_id=e2e-ssh-fail")
        .await
        .iter()
        .map(|a| a["entity"].as_str().unwrap().to_string())
        .collect();
    entities.sort();
    assert_eq!(entities, ["host:bastion", "host:jump"]);
    eventually(30, "all four syslog events stored", || async {
        count(&c, &s.base, "sys").await >= 4
    })
    .await;
}
