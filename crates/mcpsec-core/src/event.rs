//! The versioned event envelope and the payload type of every event.
//!
//! Every event the platform publishes or consumes travels in one envelope:
//! `{id, type, source, tenant, time, schema_version, subject?, data}`. The
//! envelope arrives untrusted as a [`RawEvent`] and becomes an [`Event`] only
//! through [`RawEvent::validate`], which checks the type is known, the schema
//! version is supported and `data` matches the payload type.
//!
//! JSON Schemas for every event type are generated from these Rust types
//! ([`event_schemas`]) and checked into `docs/events/`; a test fails when the
//! types change without the files. Adding an event type: add a variant to
//! [`EventType`], its payload struct below, a line in `EventType::validate_data`
//! and `event_schemas`, then regenerate the schemas
//! (`cargo run -- schema export docs/events`).

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::domain::{FindingStatus, Severity};
use crate::{ErrorCode, TenantId};

/// Every event type the platform knows.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
pub enum EventType {
    #[serde(rename = "sbom.ingested")]
    SbomIngested,
    #[serde(rename = "finding.created")]
    FindingCreated,
    #[serde(rename = "finding.updated")]
    FindingUpdated,
    #[serde(rename = "finding.resolved")]
    FindingResolved,
    #[serde(rename = "log.received")]
    LogReceived,
    #[serde(rename = "alert.created")]
    AlertCreated,
    #[serde(rename = "mcp.tool_changed")]
    McpToolChanged,
    #[serde(rename = "posture.scanned")]
    PostureScanned,
    #[serde(rename = "vulndb.updated")]
    VulndbUpdated,
}

impl EventType {
    pub const ALL: &'static [EventType] = &[
        EventType::SbomIngested,
        EventType::FindingCreated,
        EventType::FindingUpdated,
        EventType::FindingResolved,
        EventType::LogReceived,
        EventType::AlertCreated,
        EventType::McpToolChanged,
        EventType::PostureScanned,
        EventType::VulndbUpdated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::SbomIngested => "sbom.ingested",
            EventType::FindingCreated => "finding.created",
            EventType::FindingUpdated => "finding.updated",
            EventType::FindingResolved => "finding.resolved",
            EventType::LogReceived => "log.received",
            EventType::AlertCreated => "alert.created",
            EventType::McpToolChanged => "mcp.tool_changed",
            EventType::PostureScanned => "posture.scanned",
            EventType::VulndbUpdated => "vulndb.updated",
        }
    }

    pub fn parse(s: &str) -> Option<EventType> {
        EventType::ALL.iter().copied().find(|t| t.as_str() == s)
    }

    /// The newest schema version of this type's payload. Older versions that
    /// are still accepted are listed in [`EventType::supported_versions`].
    pub fn current_version(self) -> u32 {
        1
    }

    pub fn supported_versions(self) -> std::ops::RangeInclusive<u32> {
        1..=self.current_version()
    }

    /// The bus topic that carries this event type.
    pub fn topic(self) -> String {
        format!("mcpsec.{}", self.as_str())
    }

    pub fn all_topics() -> Vec<String> {
        EventType::ALL.iter().map(|t| t.topic()).collect()
    }

    /// Checks that `data` is a valid payload of this type and version.
    fn validate_data(self, data: &serde_json::Value) -> Result<(), String> {
        fn check<T: DeserializeOwned>(v: &serde_json::Value) -> Result<(), String> {
            T::deserialize(v).map(|_| ()).map_err(|e| e.to_string())
        }
        match self {
            EventType::SbomIngested => check::<SbomIngested>(data),
            EventType::FindingCreated => check::<FindingCreated>(data),
            EventType::FindingUpdated => check::<FindingUpdated>(data),
            EventType::FindingResolved => check::<FindingResolved>(data),
            EventType::LogReceived => check::<LogReceived>(data),
            EventType::AlertCreated => check::<AlertCreated>(data),
            EventType::McpToolChanged => check::<McpToolChanged>(data),
            EventType::PostureScanned => check::<PostureScanned>(data),
            EventType::VulndbUpdated => check::<VulndbUpdated>(data),
        }
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An event as it arrives on the wire, before validation.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RawEvent {
    /// Unique id chosen by the producer; the platform deduplicates by `(tenant, id)`.
    /// Generated (UUIDv7) when absent.
    #[serde(default)]
    pub id: Option<String>,
    #[serde(rename = "type")]
    pub event_type: String,
    /// Who produced the event (e.g. `mcpsec://cli`, `syslog://10.0.0.5`).
    pub source: String,
    pub tenant: String,
    /// When it happened; defaults to the time of receipt.
    #[serde(default)]
    pub time: Option<DateTime<Utc>>,
    /// Payload schema version; defaults to the current version of the type.
    #[serde(default)]
    pub schema_version: Option<u32>,
    /// What the event is about (an asset id, a host name); used as the bus key
    /// so events about one subject stay in order.
    #[serde(default)]
    pub subject: Option<String>,
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

/// A validated event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Event {
    pub id: String,
    #[serde(rename = "type")]
    pub event_type: EventType,
    pub source: String,
    pub tenant: TenantId,
    pub time: DateTime<Utc>,
    pub schema_version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

/// Why an event was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error("unknown event type {0:?}")]
    UnknownType(String),
    #[error("invalid event: {0}")]
    Invalid(String),
}

impl EventError {
    pub fn code(&self) -> ErrorCode {
        match self {
            EventError::UnknownType(_) => ErrorCode::UnknownEventType,
            EventError::Invalid(_) => ErrorCode::InvalidEvent,
        }
    }
}

/// Limits on the free-form string fields of an envelope.
pub const MAX_ID_LEN: usize = 128;
pub const MAX_SOURCE_LEN: usize = 512;

impl RawEvent {
    /// Validates the envelope and its payload, filling defaults for `id`,
    /// `time` and `schema_version`.
    pub fn validate(self, now: DateTime<Utc>) -> Result<Event, EventError> {
        let event_type = EventType::parse(&self.event_type)
            .ok_or_else(|| EventError::UnknownType(self.event_type.clone()))?;
        let tenant = TenantId::new(self.tenant.clone())
            .map_err(|e| EventError::Invalid(format!("tenant {:?}: {e}", self.tenant)))?;
        let id = match self.id {
            Some(id) => {
                if id.is_empty() || id.len() > MAX_ID_LEN || id.chars().any(|c| c.is_control()) {
                    return Err(EventError::Invalid(format!(
                        "id must be 1 to {MAX_ID_LEN} printable characters"
                    )));
                }
                id
            }
            None => uuid::Uuid::now_v7().to_string(),
        };
        if self.source.is_empty() || self.source.len() > MAX_SOURCE_LEN {
            return Err(EventError::Invalid(format!(
                "source must be 1 to {MAX_SOURCE_LEN} characters"
            )));
        }
        if let Some(subject) = &self.subject
            && (subject.is_empty() || subject.len() > MAX_SOURCE_LEN)
        {
            return Err(EventError::Invalid(format!(
                "subject must be 1 to {MAX_SOURCE_LEN} characters"
            )));
        }
        let schema_version = self
            .schema_version
            .unwrap_or_else(|| event_type.current_version());
        if !event_type.supported_versions().contains(&schema_version) {
            return Err(EventError::Invalid(format!(
                "{event_type} schema_version {schema_version} is not supported (supported: {:?})",
                event_type.supported_versions()
            )));
        }
        event_type
            .validate_data(&self.data)
            .map_err(|e| EventError::Invalid(format!("data of {event_type}: {e}")))?;
        Ok(Event {
            id,
            event_type,
            source: self.source,
            tenant,
            time: self.time.unwrap_or(now),
            schema_version,
            subject: self.subject,
            data: self.data,
        })
    }
}

impl Event {
    /// Builds an event from a typed payload (for producers inside the platform).
    pub fn new<T: EventPayload>(
        tenant: TenantId,
        source: &str,
        subject: Option<String>,
        data: &T,
    ) -> Event {
        Event {
            id: uuid::Uuid::now_v7().to_string(),
            event_type: T::TYPE,
            source: source.to_string(),
            tenant,
            time: Utc::now(),
            schema_version: T::TYPE.current_version(),
            subject,
            data: serde_json::to_value(data).expect("event payloads serialize to JSON"),
        }
    }

    /// The bus partitioning key: events with the same key keep their order.
    pub fn bus_key(&self) -> String {
        match &self.subject {
            Some(s) => format!("{}/{}", self.tenant, s),
            None => self.tenant.to_string(),
        }
    }

    /// Decodes the payload as its typed struct.
    pub fn payload<T: EventPayload>(&self) -> Result<T, EventError> {
        if self.event_type != T::TYPE {
            return Err(EventError::Invalid(format!(
                "event is {} not {}",
                self.event_type,
                T::TYPE
            )));
        }
        T::deserialize(&self.data).map_err(|e| EventError::Invalid(e.to_string()))
    }
}

/// A typed event payload.
pub trait EventPayload: Serialize + DeserializeOwned + JsonSchema {
    const TYPE: EventType;
}

macro_rules! payload {
    ($t:ty => $v:expr) => {
        impl EventPayload for $t {
            const TYPE: EventType = $v;
        }
    };
}

/// `sbom.ingested`: an SBOM or lockfile was read for an asset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SbomIngested {
    pub asset_id: String,
    /// `cyclonedx`, `spdx`, a lockfile name…
    pub format: String,
    pub spec_version: Option<String>,
    pub component_count: u64,
    /// Where the original document is kept in the object store.
    pub object_key: Option<String>,
}
payload!(SbomIngested => EventType::SbomIngested);

/// `finding.created`: a new finding was recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FindingCreated {
    pub finding_id: String,
    pub asset_id: String,
    pub rule_id: String,
    pub title: String,
    pub severity: Severity,
}
payload!(FindingCreated => EventType::FindingCreated);

/// `finding.updated`: a finding moved through its lifecycle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FindingUpdated {
    pub finding_id: String,
    pub from: FindingStatus,
    pub to: FindingStatus,
    pub reason: Option<String>,
}
payload!(FindingUpdated => EventType::FindingUpdated);

/// `finding.resolved`: a finding's cause went away (its component was
/// removed or upgraded in a newer upload); the finding is kept as `fixed`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FindingResolved {
    pub finding_id: String,
    pub asset_id: String,
    pub rule_id: String,
    /// The component (purl with version, or `name@version`) it was on.
    pub component: Option<String>,
    /// The status it had before (`open`, `triaged`, `accepted_risk`).
    pub from: FindingStatus,
    pub reason: Option<String>,
}
payload!(FindingResolved => EventType::FindingResolved);

/// `log.received`: one log record arrived for detection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LogReceived {
    /// `json`, `syslog`, `evtx`, `cef`, `leef`, `cloudtrail`…
    pub format: String,
    pub host: Option<String>,
    /// The parsed record, as field names to values (nested objects allowed).
    pub record: BTreeMap<String, serde_json::Value>,
    /// The original line, when the record was parsed from text.
    pub raw: Option<String>,
}
payload!(LogReceived => EventType::LogReceived);

/// `alert.created`: a detection fired.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertCreated {
    pub alert_id: String,
    pub rule_id: String,
    pub title: String,
    pub severity: Severity,
    pub entity: Option<String>,
    #[serde(default)]
    pub techniques: Vec<String>,
    #[serde(default)]
    pub event_ids: Vec<String>,
}
payload!(AlertCreated => EventType::AlertCreated);

/// How an MCP tool changed since it was last seen or pinned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ToolChange {
    Added,
    Removed,
    Changed,
}

/// `mcp.tool_changed`: an MCP server's tool appeared, disappeared or changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct McpToolChanged {
    pub server: String,
    pub tool: String,
    pub change: ToolChange,
    pub old_hash: Option<String>,
    pub new_hash: Option<String>,
}
payload!(McpToolChanged => EventType::McpToolChanged);

/// `posture.scanned`: a posture scan of an asset finished.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PostureScanned {
    pub asset_id: String,
    pub scan_id: String,
    pub passed: u64,
    pub failed: u64,
    /// Share of passed checks, 0 to 100.
    pub score: f64,
}
payload!(PostureScanned => EventType::PostureScanned);

/// `vulndb.updated`: the vulnerability database changed (`mcpsec db
/// import`). The database is global; the service publishes the change to
/// every tenant (one event each, id `vulndb-{change}`), and the worker
/// re-matches that tenant's projects in the named ecosystems (all projects
/// when KEV or EPSS data changed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VulndbUpdated {
    /// The change's sequence number in the store (the same for every tenant).
    pub change: u64,
    /// Ecosystem bases (`npm`, `Debian`) of the advisories added, updated or withdrawn.
    pub ecosystems: Vec<String>,
    /// Ids of those advisories (at most 10,000; `truncated` when there were more).
    pub advisory_ids: Vec<String>,
    #[serde(default)]
    pub truncated: bool,
    /// KEV entries written.
    #[serde(default)]
    pub kev_entries: u64,
    /// EPSS scores written.
    #[serde(default)]
    pub epss_scores: u64,
}
payload!(VulndbUpdated => EventType::VulndbUpdated);

/// The envelope as a JSON Schema, with `data` typed as `T`.
#[derive(JsonSchema)]
#[allow(dead_code)]
struct EnvelopeSchema<T> {
    /// Unique id chosen by the producer; deduplication key within a tenant.
    id: String,
    /// The event type.
    #[serde(rename = "type")]
    event_type: String,
    /// Who produced the event.
    source: String,
    /// The tenant the event belongs to.
    tenant: String,
    /// When it happened (RFC 3339).
    time: DateTime<Utc>,
    /// Payload schema version.
    schema_version: u32,
    /// What the event is about; the bus ordering key.
    subject: Option<String>,
    data: T,
}

fn schema_for<T: EventPayload>() -> (String, serde_json::Value) {
    let t = T::TYPE;
    let mut schema =
        serde_json::to_value(schemars::schema_for!(EnvelopeSchema<T>)).expect("schemas serialize");
    let obj = schema.as_object_mut().expect("schema is an object");
    obj.insert(
        "$id".into(),
        format!(
            "https://mcpsec.dev/schemas/events/{}.v{}.json",
            t.as_str(),
            t.current_version()
        )
        .into(),
    );
    obj.insert(
        "title".into(),
        format!("{} v{}", t.as_str(), t.current_version()).into(),
    );
    obj.insert(
        "description".into(),
        format!(
            "An mcpsec event envelope carrying a `{}` payload in `data`.",
            t.as_str()
        )
        .into(),
    );
    let props = obj
        .get_mut("properties")
        .and_then(|p| p.as_object_mut())
        .expect("envelope has properties");
    props.insert("type".into(), serde_json::json!({ "const": t.as_str() }));
    props.insert(
        "schema_version".into(),
        serde_json::json!({ "const": t.current_version() }),
    );
    (
        format!("{}.v{}.schema.json", t.as_str(), t.current_version()),
        schema,
    )
}

/// The JSON Schema of every event type, as `(file name, schema)`.
pub fn event_schemas() -> Vec<(String, serde_json::Value)> {
    let v = vec![
        schema_for::<SbomIngested>(),
        schema_for::<FindingCreated>(),
        schema_for::<FindingUpdated>(),
        schema_for::<FindingResolved>(),
        schema_for::<LogReceived>(),
        schema_for::<AlertCreated>(),
        schema_for::<McpToolChanged>(),
        schema_for::<PostureScanned>(),
        schema_for::<VulndbUpdated>(),
    ];
    debug_assert_eq!(v.len(), EventType::ALL.len());
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn raw(v: serde_json::Value) -> RawEvent {
        serde_json::from_value(v).unwrap()
    }

    fn log_event() -> serde_json::Value {
        json!({
            "id": "e1", "type": "log.received", "source": "test", "tenant": "acme",
            "data": {"format": "json", "host": "web-1", "record": {"EventID": 1}, "raw": null}
        })
    }

    #[test]
    fn valid_event_gets_defaults() {
        let now = Utc::now();
        let e = raw(log_event()).validate(now).unwrap();
        assert_eq!(e.event_type, EventType::LogReceived);
        assert_eq!(e.time, now);
        assert_eq!(e.schema_version, 1);
        assert_eq!(e.bus_key(), "acme");
        let p: LogReceived = e.payload().unwrap();
        assert_eq!(p.host.as_deref(), Some("web-1"));
    }

    #[test]
    fn unknown_type_is_its_own_error() {
        let mut v = log_event();
        v["type"] = json!("log.exploded");
        let err = raw(v).validate(Utc::now()).unwrap_err();
        assert_eq!(err.code(), ErrorCode::UnknownEventType);
    }

    #[test]
    fn bad_payload_names_the_field() {
        let mut v = log_event();
        v["data"] = json!({"format": "json", "record": "not a map"});
        let err = raw(v).validate(Utc::now()).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidEvent);
        assert!(err.to_string().contains("log.received"), "{err}");
    }

    #[test]
    fn unknown_payload_fields_are_rejected() {
        let mut v = log_event();
        v["data"]["surprise"] = json!(1);
        assert!(raw(v).validate(Utc::now()).is_err());
    }

    #[test]
    fn unsupported_version_and_bad_tenant() {
        let mut v = log_event();
        v["schema_version"] = json!(99);
        assert!(
            raw(v)
                .validate(Utc::now())
                .unwrap_err()
                .to_string()
                .contains("99")
        );
        let mut v = log_event();
        v["tenant"] = json!("Not Valid");
        assert!(raw(v).validate(Utc::now()).is_err());
    }

    #[test]
    fn every_type_has_a_schema_and_topic() {
        let schemas = event_schemas();
        assert_eq!(schemas.len(), EventType::ALL.len());
        for t in EventType::ALL {
            assert_eq!(EventType::parse(t.as_str()), Some(*t));
            assert!(schemas.iter().any(|(name, _)| name.starts_with(t.as_str())));
            assert_eq!(serde_json::to_value(t).unwrap(), t.as_str());
        }
    }

    /// The checked-in schemas in docs/events must match the Rust types.
    /// Regenerate with `cargo run -p mcpsec -- schema export docs/events`
    /// (or `MCPSEC_BLESS_SCHEMAS=1 cargo test -p mcpsec-core`).
    #[test]
    fn checked_in_schemas_are_current() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/events");
        let bless = std::env::var("MCPSEC_BLESS_SCHEMAS").as_deref() == Ok("1");
        for (name, schema) in event_schemas() {
            let path = dir.join(&name);
            if bless {
                let text = serde_json::to_string_pretty(&schema).unwrap() + "\n";
                std::fs::write(&path, text).unwrap();
            }
            let on_disk = std::fs::read_to_string(&path).unwrap_or_else(|e| {
                panic!(
                    "{}: {e}; regenerate with `cargo run -p mcpsec -- schema export docs/events`",
                    path.display()
                )
            });
            let on_disk: serde_json::Value = serde_json::from_str(&on_disk).unwrap();
            assert_eq!(
                on_disk, schema,
                "{name} is out of date with the Rust types; regenerate with `cargo run -p mcpsec -- schema export docs/events`"
            );
        }
    }

    proptest! {
        #[test]
        fn validate_never_panics(t in ".{0,20}", tenant in ".{0,10}", id in proptest::option::of(".{0,200}")) {
            let r = RawEvent {
                id, event_type: t, source: "s".into(), tenant, time: None,
                schema_version: None, subject: None, data: json!({}),
            };
            let _ = r.validate(Utc::now());
        }
    }
}
