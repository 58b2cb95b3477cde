//! The supply-chain capability as a service: the binary's implementation of
//! [`VulnCapability`] over `mcpsec-vuln` (SBOM / scanner-report sniffing and
//! parsing for `POST /api/v1/tenants/{tenant}/projects/{id}/sboms`) and the
//! worker's [`VulnService`] handler of `sbom.ingested`: it loads the upload
//! from the object store, records the project's components, matches them
//! against the store's vulnerability database and keeps the project's
//! findings in step (`finding.created` for new ones, `finding.resolved` (status
//! `fixed`) for ones whose component disappeared or was upgraded; history is
//! kept, nothing is deleted). The project's component set is replaced by the
//! upload's. Findings carry KEV, EPSS, fixed versions and the risk score.
//!
//! The same handler consumes `vulndb.updated` (published per tenant by
//! [`run_vulndb_publisher`] from the store's outbox of `mcpsec db import`
//! changes) and re-matches the latest upload of every affected project.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::Utc;
use mcpsec_core::TenantId;
use mcpsec_core::bus::BusMessage;
use mcpsec_core::domain::{Component as StoredComponent, Finding, FindingStatus, Severity};
use mcpsec_core::event::{
    Event, EventPayload, EventType, FindingCreated, FindingResolved, FindingUpdated, SbomIngested,
    VulndbUpdated,
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
    kev: bool,
    epss: Option<f64>,
    fixed_versions: Vec<String>,
    risk: f64,
}

/// Who the worker's lifecycle changes are recorded as in finding history.
const AUTHOR: &str = "mcpsec://vuln";

/// The asset criticality factor of the risk score.
fn criticality(s: Severity) -> scan::Criticality {
    match s {
        Severity::Info | Severity::Low => scan::Criticality::Low,
        Severity::Medium => scan::Criticality::Medium,
        Severity::High => scan::Criticality::High,
        Severity::Critical => scan::Criticality::Critical,
    }
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
        let Some(key) = data.object_key.as_deref() else {
            return Err(HandlerError::Failed(format!(
                "sbom.ingested {}: no object_key, nothing to match",
                event.id
            )));
        };
        self.sync(b, &event.tenant, &data.asset_id, key, &event.id)
            .await
    }

    /// Re-matches the latest upload of every project of the event's tenant
    /// that has a component in a changed ecosystem (every project when KEV
    /// or EPSS data changed, or the change is too large to name).
    async fn vulndb_updated(&self, b: &Backends, event: &Event) -> Result<(), HandlerError> {
        let data: VulndbUpdated = event
            .payload()
            .map_err(|e| HandlerError::Failed(format!("vulndb.updated {}: {e}", event.id)))?;
        let tenant = &event.tenant;
        let everything = data.truncated || data.kev_entries > 0 || data.epss_scores > 0;
        let ecosystems: HashSet<&str> = data.ecosystems.iter().map(String::as_str).collect();
        let cause = format!("vulndb-{}", data.change);
        let mut rematched = 0usize;
        for (project, key) in latest_uploads(b, tenant).await? {
            if !everything
                && !project_in_ecosystems(b.store.as_ref(), tenant, &project, &ecosystems).await?
            {
                continue;
            }
            match self.sync(b, tenant, &project, &key, &cause).await {
                Ok(()) => rematched += 1,
                Err(HandlerError::Failed(m)) => {
                    tracing::error!(%tenant, project, error = %m, "project not re-matched; skipped");
                }
                Err(u) => return Err(u),
            }
        }
        tracing::info!(%tenant, change = data.change, rematched, "vulnerability database changed; projects re-matched");
        Ok(())
    }

    /// Matches the upload at `key` for `project` and brings the project's
    /// findings in step; `cause` (the triggering event) makes the ids of the
    /// events it publishes deterministic.
    async fn sync(
        &self,
        b: &Backends,
        tenant: &TenantId,
        project: &str,
        key: &str,
        cause: &str,
    ) -> Result<(), HandlerError> {
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
                    f.title = m.title.clone();
                    f.kev = m.kev;
                    f.epss = m.epss;
                    f.fixed_versions = m.fixed_versions.clone();
                    f.risk_score = Some(m.risk);
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
                            format!("{id}:reopened:{cause}"),
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
                        kev: m.kev,
                        epss: m.epss,
                        fixed_versions: m.fixed_versions.clone(),
                        risk_score: Some(m.risk),
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
            let reason = if cause.starts_with("vulndb-") {
                format!(
                    "no longer affected after vulnerability-database change {cause} (upload {key})"
                )
            } else {
                format!("component removed or upgraded in upload {key}")
            };
            writes.push(Write::Transition(
                f.id.clone(),
                FindingStatus::Fixed,
                reason.clone(),
            ));
            messages.push(message(
                tenant,
                project,
                format!("{}:resolved:{cause}", f.id),
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
                        .transition_finding_by(
                            tenant,
                            &id,
                            to,
                            Some(reason),
                            Some(AUTHOR.to_string()),
                            now,
                        )
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

    /// Parses the upload, records its components (an SBOM's, or the
    /// packages a scanner report names) and matches them (SBOM) or takes the
    /// scanner's findings (report).
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
            record_components(store, tenant, project, &comps).await?;
            let keys = feeds::package_keys(&comps);
            let recs = store
                .advisories_for_packages(&keys)
                .await
                .map_err(store_err)?;
            let db = feeds::database_from_advisories(&recs);
            scan::scan(&comps, &db, None).findings
        } else {
            let report = reports::parse(bytes)
                .map_err(|e| HandlerError::Failed(format!("upload for {project}: {e}")))?;
            record_components(store, tenant, project, &report.components).await?;
            report.findings
        };
        let mut cves: Vec<String> = findings
            .iter()
            .flat_map(|f| f.ids().map(str::to_string).collect::<Vec<_>>())
            .filter(|i| i.starts_with("CVE-"))
            .collect();
        cves.sort();
        cves.dedup();
        let kev = Kev::from_entries(&store.kev_entries(&cves).await.map_err(store_err)?);
        let epss: HashMap<String, f64> = store
            .epss_scores(&cves)
            .await
            .map_err(store_err)?
            .into_iter()
            .map(|e| (e.cve, e.score))
            .collect();
        let crit = store
            .get_asset(tenant, project)
            .await
            .map_err(store_err)?
            .map(|a| criticality(a.criticality))
            .unwrap_or_default();
        let mut out: HashMap<(String, String), Matched> = HashMap::new();
        for f in findings {
            let in_kev = f.vulnerability.kev || f.ids().any(|i| kev.cves.contains(i));
            let f_epss = f
                .ids()
                .filter_map(|i| epss.get(i).copied())
                .chain(f.vulnerability.epss.as_ref().map(|e| e.score))
                .fold(None, |m: Option<f64>, s| Some(m.map_or(s, |m| m.max(s))));
            let risk = scan::risk_score_full(
                f.vulnerability.severity,
                &f.vulnerability.cvss,
                in_kev,
                f_epss,
                crit,
            );
            let mut fixed_versions: Vec<String> = f.smallest_fix.iter().cloned().collect();
            for v in &f.fixed_versions {
                if !fixed_versions.contains(v) {
                    fixed_versions.push(v.clone());
                }
            }
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
                    kev: in_kev,
                    epss: f_epss,
                    fixed_versions,
                    risk,
                },
            );
        }
        let mut v: Vec<Matched> = out.into_values().collect();
        v.sort_by(|a, b| (&a.vuln, &a.component_key).cmp(&(&b.vuln, &b.component_key)));
        Ok(v)
    }
}

/// Makes `comps` the project's whole component set (the upload is the
/// project's state now; components no longer in it are removed).
async fn record_components(
    store: &dyn Store,
    tenant: &TenantId,
    project: &str,
    comps: &[sbom::Component],
) -> Result<(), HandlerError> {
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
    let gone = store
        .replace_components(tenant, project, &stored)
        .await
        .map_err(store_err)?;
    if !gone.is_empty() {
        tracing::info!(%tenant, project, removed = gone.len(), "components no longer in the project");
    }
    Ok(())
}

/// The latest upload of every project of the tenant: object keys are
/// `sboms/{project}/{uuid v7}`, so the last key per project (sorted) is it.
async fn latest_uploads(
    b: &Backends,
    tenant: &TenantId,
) -> Result<BTreeMap<String, String>, HandlerError> {
    let prefix =
        ObjectKey::new("sboms").map_err(|e| HandlerError::Failed(format!("object key: {e}")))?;
    let objects = b
        .objects
        .list(tenant, Some(&prefix))
        .await
        .map_err(|e| HandlerError::Unavailable(e.to_string()))?;
    let mut latest = BTreeMap::new();
    for o in objects {
        let mut parts = o.key.as_str().splitn(3, '/');
        if let (Some("sboms"), Some(project), Some(upload)) =
            (parts.next(), parts.next(), parts.next())
        {
            let newer = latest
                .get(project)
                .is_none_or(|k: &String| k.as_str() < o.key.as_str());
            if newer && !upload.is_empty() {
                latest.insert(project.to_string(), o.key.as_str().to_string());
            }
        }
    }
    Ok(latest)
}

/// Whether any of the project's stored components is in one of `ecosystems`
/// (bases: `Debian` for `Debian:12`).
async fn project_in_ecosystems(
    store: &dyn Store,
    tenant: &TenantId,
    project: &str,
    ecosystems: &HashSet<&str>,
) -> Result<bool, HandlerError> {
    if ecosystems.is_empty() {
        return Ok(false);
    }
    let mut page = Page::first(1000);
    loop {
        let batch = store
            .list_components(tenant, project, &page)
            .await
            .map_err(store_err)?;
        if batch.iter().any(|c| {
            c.ecosystem
                .as_deref()
                .is_some_and(|e| ecosystems.contains(e.split(':').next().unwrap_or(e)))
        }) {
            return Ok(true);
        }
        if batch.len() < page.limit as usize {
            return Ok(false);
        }
        page.after = batch.last().map(|c| c.id.clone());
    }
}

/// Publishes the store's pending vulnerability-database changes (recorded by
/// `mcpsec db import`) as `vulndb.updated`, one event per tenant with the
/// deterministic id `vulndb-{seq}`, then marks them published. Returns how
/// many changes it published. A crash between publish and mark republishes
/// the same ids (the event store records each once; re-matching is idempotent).
pub async fn publish_vulndb_changes(b: &Backends) -> Result<usize, HandlerError> {
    let pending = b
        .store
        .pending_vulndb_changes(100)
        .await
        .map_err(store_err)?;
    if pending.is_empty() {
        return Ok(0);
    }
    let tenants = b.store.list_tenants().await.map_err(store_err)?;
    for change in &pending {
        let data = VulndbUpdated {
            change: change.seq,
            ecosystems: change.ecosystems.clone(),
            advisory_ids: change.advisory_ids.clone(),
            truncated: change.truncated,
            kev_entries: change.kev_entries,
            epss_scores: change.epss_scores,
        };
        let mut messages = Vec::with_capacity(tenants.len());
        for t in &tenants {
            messages.push(message(
                &t.id,
                "vulndb",
                format!("vulndb-{}", change.seq),
                &data,
            )?);
        }
        if !messages.is_empty() {
            b.bus
                .publish(messages)
                .await
                .map_err(|e| HandlerError::Unavailable(e.to_string()))?;
        }
        b.store
            .mark_vulndb_change_published(change.seq)
            .await
            .map_err(store_err)?;
        tracing::info!(change = change.seq, tenants = tenants.len(), ecosystems = ?change.ecosystems, "vulndb.updated published");
    }
    Ok(pending.len())
}

/// Runs [`publish_vulndb_changes`] every `interval` until `stop`.
pub async fn run_vulndb_publisher(
    b: Backends,
    interval: std::time::Duration,
    stop: impl std::future::Future<Output = ()>,
) {
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(stop);
    loop {
        tokio::select! {
            _ = &mut stop => return,
            _ = tick.tick() => {}
        }
        if let Err(e) = publish_vulndb_changes(&b).await {
            tracing::warn!(error = ?e, "publishing vulnerability-database changes failed; retried");
        }
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
        matches!(
            event_type,
            EventType::SbomIngested | EventType::VulndbUpdated
        )
    }

    async fn handle(&self, b: &Backends, events: &[Event]) -> Result<(), HandlerError> {
        let _one_at_a_time = self.batch_lock.lock().await;
        for e in events {
            let done = match e.event_type {
                EventType::VulndbUpdated => self.vulndb_updated(b, e).await,
                _ => self.ingest(b, e).await,
            };
            match done {
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
