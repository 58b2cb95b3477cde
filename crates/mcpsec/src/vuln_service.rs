//! The supply-chain capability as a service: the binary's implementation of
//! [`VulnCapability`] over `mcpsec-vuln` (SBOM / scanner-report sniffing and
//! parsing for `POST /api/v1/tenants/{tenant}/projects/{id}/sboms`) and the
//! worker's [`VulnService`] handler of `sbom.ingested`: it loads the upload
//! from the object store, records the project's components, matches them
//! against the store's vulnerability database and keeps the project's
//! findings in step (`finding.created` for new ones, `finding.resolved` (status
//! `fixed`) for ones whose component disappeared or was upgraded; history is
//! kept, nothing is deleted).

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::Utc;
use mcpsec_core::TenantId;
use mcpsec_core::bus::BusMessage;
use mcpsec_core::domain::{Component as StoredComponent, Finding, FindingStatus};
use mcpsec_core::event::{
    Event, EventPayload, EventType, FindingCreated, FindingResolved, FindingUpdated, SbomIngested,
};
use mcpsec_core::objstore::ObjectKey;
use mcpsec_core::store::{FindingFilter, Page, Store, StoreError};
use mcpsec_server::worker::{EventHandler, HandlerError};
use mcpsec_server::{Backends, SbomCheck, VulnCapability};
use mcpsec_vuln::scan::{self, Kev};
use mcpsec_vuln::{feeds, reports, sbom};
use sha2::{Digest, Sha256};

/// Checks uploads with `mcpsec-vuln`'s format detection and parsers.
#[derive(Debug, Default)]
pub struct VulnApi;

impl VulnApi {
    pub fn new() -> VulnApi {
        VulnApi
    }
}

fn sbom_format_name(f: sbom::SbomFormat) -> &'static str {
    match f {
        sbom::SbomFormat::CycloneDxJson => "cyclonedx-json",
        sbom::SbomFormat::CycloneDxXml => "cyclonedx-xml",
        sbom::SbomFormat::Spdx2Json => "spdx-json",
        sbom::SbomFormat::Spdx2TagValue => "spdx-tag-value",
        sbom::SbomFormat::Spdx3JsonLd => "spdx3-jsonld",
    }
}

/// The `specVersion` / `spdxVersion` of a JSON SBOM, when it says.
fn spec_version(bytes: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    ["specVersion", "spdxVersion"]
        .iter()
        .find_map(|k| v.get(*k).and_then(|x| x.as_str()).map(str::to_string))
}

fn looks_like_json(bytes: &[u8]) -> bool {
    let t = String::from_utf8_lossy(&bytes[..bytes.len().min(64)]);
    let t = t.trim_start_matches('\u{feff}').trim_start();
    t.starts_with('{') || t.starts_with('[')
}

impl VulnCapability for VulnApi {
    fn check_upload(&self, bytes: &[u8]) -> Result<SbomCheck, String> {
        if let Some(f) = sbom::detect(bytes) {
            let (_, comps) = sbom::parse(bytes).map_err(|e| e.to_string())?;
            return Ok(SbomCheck {
                format: sbom_format_name(f).to_string(),
                spec_version: spec_version(bytes),
                component_count: comps.len() as u64,
            });
        }
        match reports::parse(bytes) {
            Ok(r) => Ok(SbomCheck {
                format: r.format.source_name().to_string(),
                spec_version: None,
                component_count: r.findings.len() as u64,
            }),
            Err(reports::ReportError::Json(m)) if looks_like_json(bytes) => {
                Err(format!("malformed JSON: {m}"))
            }
            Err(reports::ReportError::Unknown | reports::ReportError::Json(_)) => Err(
                "unknown format: expected CycloneDX JSON/XML, SPDX 2 JSON/tag-value, SPDX 3 \
                 JSON-LD, or a Trivy/Grype/SARIF/osv-scanner/Dependency-Track report"
                    .to_string(),
            ),
            Err(e) => Err(e.to_string()),
        }
    }
}

/// Idempotent finding id: the same vulnerability on the same component of
/// the same project is one finding across uploads and redeliveries.
pub fn finding_id(tenant: &TenantId, project: &str, vuln: &str, component: &str) -> String {
    let mut h = Sha256::new();
    for p in [tenant.as_str(), project, vuln, component] {
        h.update(p.as_bytes());
        h.update([0u8]);
    }
    let d = h.finalize();
    format!(
        "vuln-{}",
        d[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    )
}

fn store_err(e: StoreError) -> HandlerError {
    match e {
        StoreError::Unavailable(m) => HandlerError::Unavailable(m),
        other => HandlerError::Failed(other.to_string()),
    }
}

fn message<T: EventPayload>(
    tenant: &TenantId,
    subject: &str,
    id: String,
    data: &T,
) -> Result<BusMessage, HandlerError> {
    let mut e = Event::new(
        tenant.clone(),
        "mcpsec://vuln",
        Some(subject.to_string()),
        data,
    );
    e.id = id;
    let headers = BTreeMap::from([
        (
            "mcpsec-event-type".to_string(),
            e.event_type.as_str().to_string(),
        ),
        (
            "mcpsec-schema-version".to_string(),
            e.schema_version.to_string(),
        ),
        ("mcpsec-tenant".to_string(), e.tenant.to_string()),
    ]);
    let payload = serde_json::to_vec(&e)
        .map_err(|err| HandlerError::Failed(format!("encoding {}: {err}", e.event_type)))?;
    Ok(BusMessage {
        topic: e.event_type.topic(),
        key: e.bus_key(),
        headers,
        payload: payload.into(),
    })
}

/// A store write of [`VulnService::ingest`], applied after its events are
/// published.
enum Write {
    Upsert(Box<Finding>),
    /// Finding id, new status, reason.
    Transition(String, FindingStatus, String),
}

/// One matched vulnerability on one component of an upload.
struct Matched {
    vuln: String,
    component_key: String,
    severity: mcpsec_core::domain::Severity,
    title: String,
}

/// The worker handler of `sbom.ingested`.
#[derive(Debug, Default)]
pub struct VulnService {
    batch_lock: tokio::sync::Mutex<()>,
}

impl VulnService {
    pub fn new() -> VulnService {
        VulnService::default()
    }

    /// Matches one upload and brings the project's findings in step.
    async fn ingest(&self, b: &Backends, event: &Event) -> Result<(), HandlerError> {
        let data: SbomIngested = serde_json::from_value(event.data.clone())
            .map_err(|e| HandlerError::Failed(format!("sbom.ingested {}: {e}", event.id)))?;
        let tenant = &event.tenant;
        let project = data.asset_id.as_str();
        let Some(key) = data.object_key.as_deref() else {
            return Err(HandlerError::Failed(format!(
                "sbom.ingested {}: no object_key, nothing to match",
                event.id
            )));
        };
        let okey = ObjectKey::new(key)
            .map_err(|e| HandlerError::Failed(format!("object key {key:?}: {e}")))?;
        let bytes = b
            .objects
            .get(tenant, &okey)
            .await
            .map_err(|e| HandlerError::Unavailable(e.to_string()))?
            .ok_or_else(|| HandlerError::Failed(format!("upload {key:?} is missing")))?;
        let matched = self
            .match_upload(b.store.as_ref(), tenant, project, &bytes)
            .await?;
        let now = Utc::now();
        // Events are published before the writes they announce (their ids
        // are deterministic, so a redelivery republishes the same ids and the
        // store records each once); were it the other way round, a crash
        // between write and publish would lose the event for good.
        let mut messages = Vec::new();
        let mut writes = Vec::new();
        let mut current = HashSet::new();
        for m in &matched {
            let id = finding_id(tenant, project, &m.vuln, &m.component_key);
            current.insert(id.clone());
            let existing = b.store.get_finding(tenant, &id).await.map_err(store_err)?;
            match existing {
                Some(mut f) => {
                    f.last_seen = now;
                    f.severity = m.severity;
                    let was_fixed = f.status == FindingStatus::Fixed;
                    writes.push(Write::Upsert(Box::new(f)));
                    if was_fixed {
                        let reason = format!("present again in upload {key}");
                        writes.push(Write::Transition(
                            id.clone(),
                            FindingStatus::Open,
                            reason.clone(),
                        ));
                        messages.push(message(
                            tenant,
                            project,
                            format!("{id}:reopened:{}", event.id),
                            &FindingUpdated {
                                finding_id: id.clone(),
                                from: FindingStatus::Fixed,
                                to: FindingStatus::Open,
                                reason: Some(reason),
                            },
                        )?);
                    }
                }
                None => {
                    let f = Finding {
                        tenant: tenant.clone(),
                        id: id.clone(),
                        asset_id: project.to_string(),
                        component_id: Some(m.component_key.clone()),
                        rule_id: m.vuln.clone(),
                        title: m.title.clone(),
                        severity: m.severity,
                        status: FindingStatus::Open,
                        status_reason: None,
                        first_seen: now,
                        last_seen: now,
                        updated_at: now,
                    };
                    writes.push(Write::Upsert(Box::new(f)));
                    messages.push(message(
                        tenant,
                        project,
                        format!("{id}:created"),
                        &FindingCreated {
                            finding_id: id.clone(),
                            asset_id: project.to_string(),
                            rule_id: m.vuln.clone(),
                            title: m.title.clone(),
                            severity: m.severity,
                        },
                    )?);
                }
            }
        }
        // Findings of this project whose component is gone or upgraded.
        let mut page = Page::first(500);
        let mut stale = Vec::new();
        loop {
            let filter = FindingFilter {
                asset_id: Some(project.to_string()),
                page: page.clone(),
                ..FindingFilter::default()
            };
            let batch = b
                .store
                .list_findings(tenant, &filter)
                .await
                .map_err(store_err)?;
            let n = batch.len();
            let last = batch.last().map(|f| f.id.clone());
            for f in batch {
                if f.id.starts_with("vuln-")
                    && f.status.can_transition_to(FindingStatus::Fixed)
                    && f.status != FindingStatus::FalsePositive
                    && !current.contains(&f.id)
                {
                    stale.push(f);
                }
            }
            if n < page.limit as usize {
                break;
            }
            page.after = last;
        }
        for f in stale {
            let reason = format!("component removed or upgraded in upload {key}");
            writes.push(Write::Transition(
                f.id.clone(),
                FindingStatus::Fixed,
                reason.clone(),
            ));
            messages.push(message(
                tenant,
                project,
                format!("{}:resolved:{}", f.id, event.id),
                &FindingResolved {
                    finding_id: f.id.clone(),
                    asset_id: project.to_string(),
                    rule_id: f.rule_id.clone(),
                    component: f.component_id.clone(),
                    from: f.status,
                    reason: Some(reason),
                },
            )?);
        }
        tracing::info!(%tenant, project, upload = key, matched = matched.len(), events = messages.len(), "sbom matched");
        if !messages.is_empty() {
            b.bus
                .publish(messages)
                .await
                .map_err(|e| HandlerError::Unavailable(e.to_string()))?;
        }
        for w in writes {
            match w {
                Write::Upsert(f) => b.store.upsert_finding(&f).await.map_err(store_err)?,
                Write::Transition(id, to, reason) => {
                    match b
                        .store
                        .transition_finding(tenant, &id, to, Some(reason), now)
                        .await
                    {
                        Ok(_) => {}
                        // Someone triaged it meanwhile: their status stands.
                        Err(StoreError::Conflict(m)) => {
                            tracing::warn!(%tenant, finding = %id, to = %to, reason = %m, "finding not moved");
                        }
                        Err(e) => return Err(store_err(e)),
                    }
                }
            }
        }
        Ok(())
    }

    /// Parses the upload, records its components and matches them (SBOM) or
    /// takes the scanner's findings (report).
    async fn match_upload(
        &self,
        store: &dyn Store,
        tenant: &TenantId,
        project: &str,
        bytes: &[u8],
    ) -> Result<Vec<Matched>, HandlerError> {
        let findings = if sbom::detect(bytes).is_some() {
            let (_, comps) = sbom::parse(bytes)
                .map_err(|e| HandlerError::Failed(format!("upload for {project}: {e}")))?;
            let stored: Vec<StoredComponent> = comps
                .iter()
                .map(|c| {
                    let version = c.version.clone().unwrap_or_default();
                    let key = component_key(&c.name, &version, c.purl.as_deref());
                    StoredComponent {
                        tenant: tenant.clone(),
                        id: format!("{project}:{key}"),
                        asset_id: project.to_string(),
                        name: c.name.clone(),
                        version,
                        purl: c.purl.clone(),
                        ecosystem: c.ecosystem.clone(),
                        licenses: c.licenses.clone(),
                    }
                })
                .collect();
            store
                .upsert_components(tenant, &stored)
                .await
                .map_err(store_err)?;
            let keys = feeds::package_keys(&comps);
            let recs = store
                .advisories_for_packages(&keys)
                .await
                .map_err(store_err)?;
            let db = feeds::database_from_advisories(&recs);
            scan::scan(&comps, &db, None).findings
        } else {
            reports::parse(bytes)
                .map_err(|e| HandlerError::Failed(format!("upload for {project}: {e}")))?
                .findings
        };
        let mut cves: Vec<String> = findings
            .iter()
            .flat_map(|f| f.ids().map(str::to_string).collect::<Vec<_>>())
            .filter(|i| i.starts_with("CVE-"))
            .collect();
        cves.sort();
        cves.dedup();
        let kev = Kev::from_entries(&store.kev_entries(&cves).await.map_err(store_err)?);
        let mut out: HashMap<(String, String), Matched> = HashMap::new();
        for f in findings {
            let in_kev = f.vulnerability.kev || f.ids().any(|i| kev.cves.contains(i));
            let risk = scan::risk_score(f.vulnerability.severity, &f.vulnerability.cvss, in_kev);
            let ck = component_key(
                &f.component.name,
                &f.component.version,
                f.component.purl.as_deref(),
            );
            let fix = f
                .smallest_fix
                .as_deref()
                .map(|v| format!(", fixed in {v}"))
                .unwrap_or_default();
            let title = format!(
                "{} in {}@{}{fix} (risk {risk:.1}{})",
                f.vulnerability.id,
                f.component.name,
                f.component.version,
                if in_kev { ", KEV" } else { "" }
            );
            out.insert(
                (f.vulnerability.id.clone(), ck.clone()),
                Matched {
                    vuln: f.vulnerability.id,
                    component_key: ck,
                    severity: f.vulnerability.severity,
                    title,
                },
            );
        }
        let mut v: Vec<Matched> = out.into_values().collect();
        v.sort_by(|a, b| (&a.vuln, &a.component_key).cmp(&(&b.vuln, &b.component_key)));
        Ok(v)
    }
}

/// What identifies a component across uploads: its purl with the version
/// (an upgrade is a different component), else `name@version`.
fn component_key(name: &str, version: &str, purl: Option<&str>) -> String {
    match purl {
        Some(p) if p.contains('@') => p.to_string(),
        Some(p) => format!("{p}@{version}"),
        None => format!("{name}@{version}"),
    }
}

#[async_trait::async_trait]
impl EventHandler for VulnService {
    fn name(&self) -> &'static str {
        "vuln"
    }

    fn handles(&self, event_type: EventType) -> bool {
        event_type == EventType::SbomIngested
    }

    async fn handle(&self, b: &Backends, events: &[Event]) -> Result<(), HandlerError> {
        let _one_at_a_time = self.batch_lock.lock().await;
        for e in events {
            match self.ingest(b, e).await {
                Ok(()) => {}
                Err(HandlerError::Failed(m)) => {
                    tracing::error!(tenant = %e.tenant, event = %e.id, error = %m, "sbom not matched; skipped");
                }
                Err(u) => return Err(u),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_cyclonedx_and_rejects_garbage() {
        let doc = br#"{"bomFormat":"CycloneDX","specVersion":"1.5","components":[
            {"type":"library","name":"lodash","version":"4.17.20","purl":"pkg:npm/lodash@4.17.20"}]}"#;
        let c = VulnApi::new().check_upload(doc).unwrap();
        assert_eq!(c.format, "cyclonedx-json");
        assert_eq!(c.spec_version.as_deref(), Some("1.5"));
        assert_eq!(c.component_count, 1);
        let err = VulnApi::new().check_upload(b"hello").unwrap_err();
        assert!(err.contains("unknown format"), "{err}");
        let err = VulnApi::new()
            .check_upload(br#"{"bomFormat":"CycloneDX","components":[{"name":"#)
            .unwrap_err();
        assert!(err.contains("line") || err.contains("column"), "{err}");
    }
}
