//! `serve --demo`: seeds a `demo` tenant so a new user sees something at
//! once. Seeding is idempotent: an existing demo tenant is left as it is.
//! Capabilities add their demo data here.

use std::collections::BTreeMap;

use chrono::{Duration, Utc};
use mcpsec_core::TenantId;
use mcpsec_core::bus::BusMessage;
use mcpsec_core::domain::{
    Alert, Asset, AssetKind, Component, Finding, FindingStatus, Severity, Tenant, Vulnerability,
};
use mcpsec_core::event::{Event, LogReceived};
use mcpsec_core::objstore::ObjectKey;
use mcpsec_server::Backends;

pub const DEMO_TENANT: &str = "demo";

/// Our own small Sigma rules, loaded for every tenant by `serve --demo` so
/// the demo log events below produce real alerts.
pub fn rules() -> Vec<(std::path::PathBuf, String)> {
    [
        (
            "proc_encoded_powershell.yml",
            include_str!("../demo/rules/proc_encoded_powershell.yml"),
        ),
        (
            "proc_whoami.yml",
            include_str!("../demo/rules/proc_whoami.yml"),
        ),
        (
            "proc_net_user_add.yml",
            include_str!("../demo/rules/proc_net_user_add.yml"),
        ),
        (
            "corr_discovery_then_account.yml",
            include_str!("../demo/rules/corr_discovery_then_account.yml"),
        ),
    ]
    .into_iter()
    .map(|(name, text)| {
        (
            std::path::PathBuf::from("demo/rules").join(name),
            text.to_string(),
        )
    })
    .collect()
}

/// Seeds the demo tenant; returns false when it already existed.
pub async fn seed(b: &Backends) -> anyhow::Result<bool> {
    let tenant = TenantId::new(DEMO_TENANT)?;
    if b.store.get_tenant(&tenant).await?.is_some() {
        return Ok(false);
    }
    let now = Utc::now();
    b.store
        .create_tenant(&Tenant {
            id: tenant.clone(),
            name: "Demo Corp".into(),
            created_at: now,
        })
        .await?;

    let asset = |id: &str, name: &str, kind: AssetKind, crit: Severity| Asset {
        tenant: tenant.clone(),
        id: id.into(),
        name: name.into(),
        kind,
        criticality: crit,
        labels: BTreeMap::from([("team".to_string(), "platform".to_string())]),
        created_at: now,
        updated_at: now,
    };
    for a in [
        asset(
            "asset-payments-api",
            "payments-api (git)",
            AssetKind::Repository,
            Severity::Critical,
        ),
        asset(
            "asset-web-image",
            "registry.demo/web:1.4.2",
            AssetKind::ContainerImage,
            Severity::High,
        ),
        asset(
            "asset-build-01",
            "build-01",
            AssetKind::Host,
            Severity::Medium,
        ),
        asset(
            "asset-mcp-filesystem",
            "MCP server: filesystem",
            AssetKind::McpServer,
            Severity::High,
        ),
    ] {
        b.store.upsert_asset(&a).await?;
    }

    let comp =
        |id: &str, asset: &str, name: &str, version: &str, purl: &str, eco: &str| Component {
            tenant: tenant.clone(),
            id: id.into(),
            asset_id: asset.into(),
            name: name.into(),
            version: version.into(),
            purl: Some(purl.into()),
            ecosystem: Some(eco.into()),
            licenses: vec!["MIT".into()],
        };
    b.store
        .upsert_components(
            &tenant,
            &[
                comp(
                    "c-lodash",
                    "asset-payments-api",
                    "lodash",
                    "4.17.11",
                    "pkg:npm/lodash@4.17.11",
                    "npm",
                ),
                comp(
                    "c-log4j",
                    "asset-payments-api",
                    "log4j-core",
                    "2.14.1",
                    "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
                    "Maven",
                ),
                comp(
                    "c-requests",
                    "asset-web-image",
                    "requests",
                    "2.30.0",
                    "pkg:pypi/requests@2.30.0",
                    "PyPI",
                ),
                comp(
                    "c-commons-text",
                    "asset-web-image",
                    "commons-text",
                    "1.9",
                    "pkg:maven/org.apache.commons/commons-text@1.9",
                    "Maven",
                ),
            ],
        )
        .await?;

    let vuln = |id: &str, alias: &str, summary: &str, sev: Severity, score: f64| Vulnerability {
        id: id.into(),
        aliases: vec![alias.into()],
        summary: summary.into(),
        severity: sev,
        cvss_score: Some(score),
        published: None,
        modified: now,
    };
    b.store
        .upsert_vulnerabilities(&[
            vuln(
                "GHSA-jf85-cpcp-j695",
                "CVE-2019-10744",
                "Prototype pollution in lodash before 4.17.12",
                Severity::Critical,
                9.1,
            ),
            vuln(
                "GHSA-jfh8-c2jp-5v3q",
                "CVE-2021-44228",
                "Remote code execution through JNDI lookups in log4j-core (Log4Shell)",
                Severity::Critical,
                10.0,
            ),
            vuln(
                "GHSA-j8r2-6x86-q33q",
                "CVE-2023-32681",
                "requests leaks Proxy-Authorization headers on redirects",
                Severity::Medium,
                6.1,
            ),
            vuln(
                "GHSA-599f-7c49-w659",
                "CVE-2022-42889",
                "Arbitrary code execution through string interpolation in commons-text",
                Severity::Critical,
                9.8,
            ),
        ])
        .await?;

    let finding = |id: &str,
                   asset: &str,
                   comp: &str,
                   rule: &str,
                   title: &str,
                   sev: Severity,
                   status: FindingStatus,
                   days: i64| Finding {
        tenant: tenant.clone(),
        id: id.into(),
        asset_id: asset.into(),
        component_id: Some(comp.into()),
        rule_id: rule.into(),
        title: title.into(),
        severity: sev,
        status,
        status_reason: None,
        first_seen: now - Duration::days(days),
        last_seen: now,
        updated_at: now,
        kev: false,
        epss: None,
        fixed_versions: Vec::new(),
        risk_score: None,
    };
    for f in [
        finding(
            "f-log4shell",
            "asset-payments-api",
            "c-log4j",
            "GHSA-jfh8-c2jp-5v3q",
            "log4j-core 2.14.1 is vulnerable to Log4Shell; upgrade to 2.17.1",
            Severity::Critical,
            FindingStatus::Open,
            3,
        ),
        finding(
            "f-lodash",
            "asset-payments-api",
            "c-lodash",
            "GHSA-jf85-cpcp-j695",
            "lodash 4.17.11 prototype pollution; upgrade to 4.17.12",
            Severity::Critical,
            FindingStatus::Triaged,
            10,
        ),
        finding(
            "f-requests",
            "asset-web-image",
            "c-requests",
            "GHSA-j8r2-6x86-q33q",
            "requests 2.30.0 leaks proxy credentials; upgrade to 2.31.0",
            Severity::Medium,
            FindingStatus::AcceptedRisk,
            30,
        ),
        finding(
            "f-commons-text",
            "asset-web-image",
            "c-commons-text",
            "GHSA-599f-7c49-w659",
            "commons-text 1.9 string interpolation RCE; upgrade to 1.10.0",
            Severity::Critical,
            FindingStatus::Open,
            1,
        ),
    ] {
        b.store.upsert_finding(&f).await?;
    }

    let alert = |id: &str,
                 rule: &str,
                 title: &str,
                 sev: Severity,
                 entity: &str,
                 tech: &[&str],
                 mins: i64| Alert {
        tenant: tenant.clone(),
        id: id.into(),
        rule_id: rule.into(),
        title: title.into(),
        severity: sev,
        entity: Some(entity.into()),
        techniques: tech.iter().map(|t| t.to_string()).collect(),
        event_ids: vec![],
        created_at: now - Duration::minutes(mins),
    };
    for a in [
        alert(
            "a-1",
            "demo-encoded-powershell",
            "PowerShell started with an encoded command",
            Severity::High,
            "host:build-01",
            &["T1059.001", "T1027"],
            42,
        ),
        alert(
            "a-2",
            "demo-lsass-access",
            "Process opened LSASS memory",
            Severity::Critical,
            "host:build-01",
            &["T1003.001"],
            17,
        ),
        alert(
            "a-3",
            "demo-mcp-tool-poisoning",
            "MCP tool description asks the model to read ~/.ssh",
            Severity::High,
            "mcp:filesystem",
            &[],
            5,
        ),
    ] {
        b.store.insert_alert(&a).await?;
    }

    // A few log records through the bus, so the worker has something to do.
    let mut messages = Vec::new();
    for (i, line) in [
        "powershell.exe -NoP -W Hidden -EncodedCommand SQBFAFgA",
        "whoami /all",
        "net user backup P@ss /add",
    ]
    .iter()
    .enumerate()
    {
        let record = BTreeMap::from([
            ("EventID".to_string(), serde_json::json!(1)),
            (
                "Channel".to_string(),
                serde_json::json!("Microsoft-Windows-Sysmon/Operational"),
            ),
            ("Computer".to_string(), serde_json::json!("build-01")),
            (
                "UtcTime".to_string(),
                serde_json::json!((now + Duration::seconds(i as i64)).to_rfc3339()),
            ),
            (
                "Image".to_string(),
                serde_json::json!("C:\\Windows\\System32\\cmd.exe"),
            ),
            ("CommandLine".to_string(), serde_json::json!(line)),
            ("RecordNumber".to_string(), serde_json::json!(i)),
        ]);
        let payload = LogReceived {
            format: "json".into(),
            host: Some("build-01".into()),
            record,
            raw: None,
        };
        let e = Event::new(
            tenant.clone(),
            "mcpsec://demo",
            Some("build-01".into()),
            &payload,
        );
        messages.push(BusMessage {
            topic: e.event_type.topic(),
            key: e.bus_key(),
            headers: BTreeMap::new(),
            payload: serde_json::to_vec(&e)?.into(),
        });
    }
    b.bus
        .ensure_topics(&mcpsec_core::event::EventType::all_topics())
        .await?;
    b.bus.publish(messages).await?;

    b.objects
        .put(
            &tenant,
            &ObjectKey::new("reports/welcome.md")?,
            "# Welcome to mcpsec\n\nThis demo tenant has assets, findings, alerts and a few log events.\n".into(),
        )
        .await?;
    Ok(true)
}
