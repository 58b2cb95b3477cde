//! The live event stream: `GET /api/v1/stream` (WebSocket) and the
//! in-process fan-out hub it shares with GraphQL subscriptions.
//!
//! The [`StreamHub`] consumes the stream topics of the bus (alerts, findings,
//! scan progress, logs) with a consumer group of its own per process, keeps
//! the last [`StreamSettings::replay_per_kind`] events of each kind for
//! resumption and hands every event to the subscribers through one bounded
//! broadcast queue ([`StreamSettings::queue`]). A subscriber that falls more
//! than the queue behind is told (`lagged`) and disconnected: it resumes from
//! the last event id it received, so memory stays bounded however slow a
//! client is. On start the hub reads the stream topics from the beginning of
//! the bus retention, so resumption also works across API restarts.
//!
//! The wire protocol is documented in `docs/graphql-and-stream.md`.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures::stream::{SplitSink, SplitStream};
use futures::{SinkExt, Stream, StreamExt};
use mcpsec_core::auth::{Denied, Principal};
use mcpsec_core::bus::EventBus;
use mcpsec_core::domain::Severity;
use mcpsec_core::event::{Event, EventType};
use mcpsec_core::{ErrorCode, TenantId};
use serde::{Deserialize, Serialize};
use tokio::sync::{OnceCell, broadcast, watch};

use crate::auth::Authenticator;
use crate::error::ApiError;

/// What a subscriber can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StreamKind {
    /// `alert.created`
    Alerts,
    /// `finding.created`, `finding.updated`
    Findings,
    /// `posture.scanned`, `sbom.ingested`
    ScanProgress,
    /// `log.received`
    Logs,
}

impl StreamKind {
    pub const ALL: [StreamKind; 4] = [
        StreamKind::Alerts,
        StreamKind::Findings,
        StreamKind::ScanProgress,
        StreamKind::Logs,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            StreamKind::Alerts => "alerts",
            StreamKind::Findings => "findings",
            StreamKind::ScanProgress => "scan_progress",
            StreamKind::Logs => "logs",
        }
    }

    /// The kind an event type streams as, if it streams at all.
    pub fn of(t: EventType) -> Option<StreamKind> {
        match t {
            EventType::AlertCreated => Some(StreamKind::Alerts),
            EventType::FindingCreated | EventType::FindingUpdated | EventType::FindingResolved => {
                Some(StreamKind::Findings)
            }
            EventType::PostureScanned | EventType::SbomIngested => Some(StreamKind::ScanProgress),
            EventType::LogReceived => Some(StreamKind::Logs),
            EventType::McpToolChanged | EventType::VulndbUpdated => None,
        }
    }

    /// The permission a subscriber needs on the tenant (the same as the REST
    /// list endpoints of the kind).
    pub fn permission(self) -> mcpsec_core::auth::Permission {
        use mcpsec_core::auth::Permission;
        match self {
            StreamKind::Alerts => Permission::AlertsRead,
            StreamKind::Findings => Permission::FindingsRead,
            StreamKind::ScanProgress => Permission::AssetsRead,
            StreamKind::Logs => Permission::EventsRead,
        }
    }

    fn index(self) -> usize {
        self as usize
    }

    /// The bus topics the hub consumes.
    pub fn topics() -> Vec<String> {
        let mut t: Vec<String> = EventType::ALL
            .iter()
            .filter(|t| StreamKind::of(**t).is_some())
            .map(|t| t.topic())
            .collect();
        t.sort();
        t
    }
}

/// One event as the hub distributes it.
#[derive(Debug)]
pub struct StreamItem {
    /// Position in this process's hub (not stable across processes).
    pub seq: u64,
    pub kind: StreamKind,
    /// The payload's `severity`, when it has one.
    pub severity: Option<Severity>,
    pub event: Event,
    /// The event as JSON, encoded once for every subscriber.
    pub json: String,
}

/// Which events a subscription receives.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamFilter {
    pub kinds: Vec<StreamKind>,
    /// `None`: every tenant (platform credentials only).
    pub tenant: Option<TenantId>,
    /// Events that carry a severity must have at least this one; events
    /// without one (`finding.updated`, scans, logs) are not filtered by it.
    pub min_severity: Option<Severity>,
    /// Only events about this subject (a host, an asset id).
    pub subject: Option<String>,
}

impl StreamFilter {
    pub fn matches(&self, item: &StreamItem) -> bool {
        self.kinds.contains(&item.kind)
            && self.tenant.as_ref().is_none_or(|t| *t == item.event.tenant)
            && match (self.min_severity, item.severity) {
                (Some(min), Some(s)) => s >= min,
                _ => true,
            }
            && self
                .subject
                .as_ref()
                .is_none_or(|s| item.event.subject.as_deref() == Some(s.as_str()))
    }

    /// Scopes the filter to the principal's tenant when it names none, then
    /// checks the principal may read every kind there (the same decision as
    /// the REST list endpoints).
    pub fn authorize(&mut self, principal: &Principal) -> Result<(), Denied> {
        if self.tenant.is_none() {
            self.tenant = principal.tenant.clone();
        }
        for k in &self.kinds {
            principal.authorize(k.permission(), self.tenant.as_ref())?;
        }
        Ok(())
    }
}

/// Settings of the hub.
#[derive(Debug, Clone)]
pub struct StreamSettings {
    /// Events of each kind kept for resumption.
    pub replay_per_kind: usize,
    /// Depth of the broadcast queue: how far a subscriber may fall behind
    /// before it is disconnected.
    pub queue: usize,
    /// How long a new subscriber waits for the hub to catch up with the bus.
    pub ready_timeout: Duration,
    /// A send to a client that takes longer than this drops the client.
    pub write_timeout: Duration,
    /// How often a connection's credential is checked again (revocation).
    pub reauth_interval: Duration,
}

impl Default for StreamSettings {
    fn default() -> Self {
        StreamSettings {
            replay_per_kind: 10_000,
            queue: 4096,
            ready_timeout: Duration::from_secs(30),
            write_timeout: Duration::from_secs(10),
            reauth_interval: Duration::from_secs(60),
        }
    }
}

struct HubState {
    next_seq: u64,
    buffers: [VecDeque<Arc<StreamItem>>; 4],
    /// `tenant \0 event id` → seq, for deduplication and resumption.
    index: HashMap<String, u64>,
}

/// Where a new subscription starts.
#[derive(Debug, Default)]
pub struct Position {
    /// Buffered events after the resume point, oldest first.
    pub replay: Vec<Arc<StreamItem>>,
    /// Live events up to this seq are already covered by `replay`.
    pub skip_upto: u64,
    /// The resume id was not in the buffer: `replay` is everything buffered
    /// and older events may be missing.
    pub gap: bool,
}

/// The in-process fan-out of bus events to live subscribers.
pub struct StreamHub {
    bus: Arc<dyn EventBus>,
    pub settings: StreamSettings,
    tx: broadcast::Sender<Arc<StreamItem>>,
    state: Mutex<HubState>,
    started: OnceCell<()>,
    ready: watch::Sender<bool>,
}

fn index_key(tenant: &TenantId, id: &str) -> String {
    format!("{tenant}\u{0}{id}")
}

impl StreamHub {
    pub fn new(bus: Arc<dyn EventBus>, settings: StreamSettings) -> Arc<StreamHub> {
        let (tx, _) = broadcast::channel(settings.queue.max(1));
        Arc::new(StreamHub {
            bus,
            settings,
            tx,
            state: Mutex::new(HubState {
                next_seq: 0,
                buffers: Default::default(),
                index: HashMap::new(),
            }),
            started: OnceCell::new(),
            ready: watch::Sender::new(false),
        })
    }

    /// Adds an event (deduplicated by tenant and id) and hands it to the
    /// subscribers.
    pub fn push(&self, event: Event) {
        let Some(kind) = StreamKind::of(event.event_type) else {
            return;
        };
        let json = match serde_json::to_string(&event) {
            Ok(j) => j,
            Err(e) => {
                tracing::warn!(id = %event.id, error = %e, "event not streamable");
                return;
            }
        };
        let severity = event
            .data
            .get("severity")
            .and_then(|v| Severity::deserialize(v).ok());
        let key = index_key(&event.tenant, &event.id);
        let mut st = self.state.lock().expect("lock");
        if st.index.contains_key(&key) {
            return;
        }
        st.next_seq += 1;
        let item = Arc::new(StreamItem {
            seq: st.next_seq,
            kind,
            severity,
            event,
            json,
        });
        let HubState { buffers, index, .. } = &mut *st;
        let buf = &mut buffers[kind.index()];
        buf.push_back(item.clone());
        index.insert(key, item.seq);
        if buf.len() > self.settings.replay_per_kind
            && let Some(old) = buf.pop_front()
        {
            let k = index_key(&old.event.tenant, &old.event.id);
            if index.get(&k) == Some(&old.seq) {
                index.remove(&k);
            }
        }
        metrics::counter!("mcpsec_stream_events_total", "kind" => kind.as_str()).increment(1);
        // Sent under the lock, so a snapshot taken by `position` and the
        // queue a subscriber attached before it never miss an event.
        let _ = self.tx.send(item);
    }

    /// Starts consuming the bus (once) and waits until the hub has caught up.
    pub async fn ensure_started(self: &Arc<Self>) -> Result<(), ApiError> {
        self.started
            .get_or_init(|| async {
                tokio::spawn(self.clone().run());
            })
            .await;
        let mut ready = self.ready.subscribe();
        match tokio::time::timeout(self.settings.ready_timeout, ready.wait_for(|r| *r)).await {
            Ok(Ok(_)) => Ok(()),
            _ => Err(ApiError::new(
                ErrorCode::BusUnavailable,
                "the live stream is not available: the event bus cannot be read",
            )),
        }
    }

    /// A queue of every event pushed from now on.
    pub async fn attach(
        self: &Arc<Self>,
    ) -> Result<broadcast::Receiver<Arc<StreamItem>>, ApiError> {
        self.ensure_started().await?;
        Ok(self.tx.subscribe())
    }

    /// Where a subscription with `filter` starts: after the event `after`
    /// (replaying what the buffer holds since), or now.
    pub fn position(&self, filter: &StreamFilter, after: Option<&str>) -> Position {
        let st = self.state.lock().expect("lock");
        let Some(after) = after else {
            return Position {
                replay: Vec::new(),
                skip_upto: st.next_seq,
                gap: false,
            };
        };
        let from = match &filter.tenant {
            Some(t) => st.index.get(&index_key(t, after)).copied(),
            None => st
                .buffers
                .iter()
                .flat_map(|b| b.iter())
                .find(|i| i.event.id == after)
                .map(|i| i.seq),
        };
        let mut replay: Vec<Arc<StreamItem>> = st
            .buffers
            .iter()
            .flat_map(|b| b.iter())
            .filter(|i| from.is_none_or(|f| i.seq > f) && filter.matches(i))
            .cloned()
            .collect();
        replay.sort_by_key(|i| i.seq);
        Position {
            replay,
            skip_upto: st.next_seq,
            gap: from.is_none(),
        }
    }

    /// The consumer loop: a consumer group of its own (from the start of the
    /// retention), never committed; restarts on bus errors.
    async fn run(self: Arc<Self>) {
        let topics = StreamKind::topics();
        let mut backoff = Duration::from_millis(200);
        loop {
            let group = format!("mcpsec-stream-{}", uuid::Uuid::new_v4().simple());
            let consumer = match self.bus.ensure_topics(&topics).await {
                Ok(()) => self.bus.subscribe(&group, &topics).await,
                Err(e) => Err(e),
            };
            let mut consumer = match consumer {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(error = %e, "live stream cannot subscribe to the bus; retrying");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                    continue;
                }
            };
            tracing::info!(%group, "live stream hub consuming");
            loop {
                match consumer.poll(1000, Duration::from_millis(200)).await {
                    Ok(batch) => {
                        backoff = Duration::from_millis(200);
                        if batch.is_empty() {
                            self.ready.send_if_modified(|r| !std::mem::replace(r, true));
                            continue;
                        }
                        for d in batch {
                            match serde_json::from_slice::<Event>(&d.payload) {
                                Ok(e) => self.push(e),
                                Err(e) => {
                                    tracing::debug!(topic = %d.topic, offset = d.offset, error = %e, "undecodable message not streamed")
                                }
                            }
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "live stream poll failed; resubscribing");
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(Duration::from_secs(5));
                        break;
                    }
                }
            }
        }
    }

    /// One subscription as a stream: the replay, then live events that
    /// match; ends with `Err(missed)` when the subscriber fell behind.
    pub fn subscription(
        rx: broadcast::Receiver<Arc<StreamItem>>,
        filter: StreamFilter,
        position: Position,
    ) -> impl Stream<Item = Result<Arc<StreamItem>, u64>> + Send + 'static {
        let skip = position.skip_upto;
        let replay = futures::stream::iter(position.replay.into_iter().map(Ok));
        let live = futures::stream::unfold(Some(rx), move |rx| {
            let filter = filter.clone();
            async move {
                let mut rx = rx?;
                loop {
                    match rx.recv().await {
                        Ok(item) if item.seq > skip && filter.matches(&item) => {
                            return Some((Ok(item), Some(rx)));
                        }
                        Ok(_) => continue,
                        Err(broadcast::error::RecvError::Lagged(n)) => {
                            metrics::counter!("mcpsec_stream_dropped_total").increment(1);
                            return Some((Err(n), None));
                        }
                        Err(broadcast::error::RecvError::Closed) => return None,
                    }
                }
            }
        });
        replay.chain(live)
    }
}

// ---------------------------------------------------------------------------
// WebSocket endpoint
// ---------------------------------------------------------------------------

/// Most subscriptions one connection may hold.
pub const MAX_SUBSCRIPTIONS: usize = 32;
/// How long a connection without an `Authorization` header has to send its
/// `auth` message.
pub const AUTH_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest client message, in bytes.
pub const MAX_CLIENT_MESSAGE: usize = 64 * 1024;

/// Close codes (4000-4999 are the application's).
pub mod close {
    /// No or a bad credential, or it was revoked meanwhile.
    pub const UNAUTHENTICATED: u16 = 4401;
    /// The credential's permissions changed (GraphQL subscriptions): reconnect.
    pub const FORBIDDEN: u16 = 4403;
    /// The client fell behind the queue; resume with the last event id.
    pub const TOO_SLOW: u16 = 4408;
    /// The stream cannot read the bus.
    pub const UNAVAILABLE: u16 = 1011;
}

#[derive(Clone)]
struct StreamState {
    hub: Arc<StreamHub>,
    auth: Arc<Authenticator>,
}

/// The routes of the live stream (authentication happens in the handler:
/// browsers cannot send an `Authorization` header on a WebSocket).
pub(crate) fn router(hub: Arc<StreamHub>, auth: Arc<Authenticator>) -> Router {
    Router::new()
        .route("/api/v1/stream", get(stream_ws))
        .with_state(StreamState { hub, auth })
}

/// `?after=<event id>`: resume point for subscriptions that name none.
#[derive(Debug, Deserialize)]
struct StreamQuery {
    after: Option<String>,
}

/// A message from the client.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
enum ClientMessage {
    Auth {
        token: String,
    },
    Subscribe {
        #[serde(default)]
        id: Option<String>,
        kinds: Vec<StreamKind>,
        #[serde(default)]
        tenant: Option<String>,
        #[serde(default)]
        min_severity: Option<Severity>,
        #[serde(default)]
        subject: Option<String>,
        #[serde(default)]
        after: Option<String>,
    },
    Unsubscribe {
        id: String,
    },
    Ping,
}

pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

pub(crate) fn challenge(e: ApiError) -> Response {
    let mut r = e.into_response();
    r.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"mcpsec\""),
    );
    r
}

async fn stream_ws(
    State(s): State<StreamState>,
    headers: HeaderMap,
    q: Result<Query<StreamQuery>, axum::extract::rejection::QueryRejection>,
    ws: WebSocketUpgrade,
) -> Response {
    let after = match q {
        Ok(Query(q)) => q.after,
        Err(e) => return ApiError::new(ErrorCode::InvalidArgument, e.body_text()).into_response(),
    };
    // A header credential is checked before the upgrade (401 on failure).
    let authed = match bearer(&headers) {
        Some(token) => match s.auth.authenticate(token).await {
            Ok(p) => Some((p, token.to_string())),
            Err(e) => return challenge(e),
        },
        None => None,
    };
    ws.max_message_size(MAX_CLIENT_MESSAGE)
        .on_upgrade(move |socket| async move {
            let (sink, source) = socket.split();
            let mut conn = Connection {
                sink,
                source,
                hub: s.hub,
                auth: s.auth,
                default_after: after,
                subs: Vec::new(),
                last_sent: None,
            };
            conn.run(authed).await;
        })
}

struct Sub {
    id: String,
    filter: StreamFilter,
    skip_upto: u64,
}

struct Connection {
    sink: SplitSink<WebSocket, Message>,
    source: SplitStream<WebSocket>,
    hub: Arc<StreamHub>,
    auth: Arc<Authenticator>,
    default_after: Option<String>,
    subs: Vec<Sub>,
    /// Id of the last event sent, for the `lagged` notice.
    last_sent: Option<String>,
}

/// The reason a connection ends.
struct Closing(u16, String);

impl Connection {
    async fn send_json(&mut self, v: &serde_json::Value) -> Result<(), Closing> {
        self.send_text(v.to_string()).await
    }

    async fn send_text(&mut self, text: String) -> Result<(), Closing> {
        match tokio::time::timeout(
            self.hub.settings.write_timeout,
            self.sink.send(Message::Text(text.into())),
        )
        .await
        {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(Closing(1000, String::new())),
            Err(_) => {
                metrics::counter!("mcpsec_stream_dropped_total").increment(1);
                Err(Closing(close::TOO_SLOW, "write timed out".into()))
            }
        }
    }

    async fn error(
        &mut self,
        code: ErrorCode,
        message: &str,
        sub: Option<&str>,
    ) -> Result<(), Closing> {
        self.send_json(&serde_json::json!({
            "type": "error", "code": code.as_str(), "message": message, "subscription": sub,
        }))
        .await
    }

    async fn run(&mut self, authed: Option<(Principal, String)>) {
        metrics::gauge!("mcpsec_stream_connections").increment(1.0);
        let end = self.session(authed).await;
        metrics::gauge!("mcpsec_stream_connections").decrement(1.0);
        // A client that does not read may block these too: bounded.
        let bye = async {
            if let Err(Closing(code, reason)) = end {
                let _ = self
                    .sink
                    .send(Message::Close(Some(CloseFrame {
                        code,
                        reason: reason.into(),
                    })))
                    .await;
            }
            let _ = self.sink.close().await;
        };
        let _ = tokio::time::timeout(Duration::from_secs(1), bye).await;
    }

    /// Waits for `{"type":"auth","token":…}`.
    async fn first_message_auth(&mut self) -> Result<(Principal, String), Closing> {
        let deny = |m: &str| Closing(close::UNAUTHENTICATED, m.to_string());
        let msg = match tokio::time::timeout(AUTH_TIMEOUT, self.next_text()).await {
            Ok(Some(t)) => t,
            Ok(None) => return Err(Closing(1000, String::new())),
            Err(_) => {
                let _ = self
                    .error(ErrorCode::Unauthenticated, "authentication timed out", None)
                    .await;
                return Err(deny("authentication timed out"));
            }
        };
        match serde_json::from_str::<ClientMessage>(&msg) {
            Ok(ClientMessage::Auth { token }) => match self.auth.authenticate(&token).await {
                Ok(p) => Ok((p, token)),
                Err(e) => {
                    let _ = self
                        .error(ErrorCode::Unauthenticated, &e.message, None)
                        .await;
                    Err(deny("invalid credential"))
                }
            },
            _ => {
                let m = "authentication required: send `Authorization: Bearer <token>` on the upgrade or {\"type\":\"auth\",\"token\":…} first";
                let _ = self.error(ErrorCode::Unauthenticated, m, None).await;
                Err(deny("authentication required"))
            }
        }
    }

    /// The next text message (pings and pongs skipped); `None` at the end.
    async fn next_text(&mut self) -> Option<String> {
        loop {
            match self.source.next().await? {
                Ok(Message::Text(t)) => return Some(t.to_string()),
                Ok(Message::Binary(b)) => return Some(String::from_utf8_lossy(&b).into_owned()),
                Ok(Message::Close(_)) | Err(_) => return None,
                Ok(_) => continue,
            }
        }
    }

    async fn session(&mut self, authed: Option<(Principal, String)>) -> Result<(), Closing> {
        let (mut principal, token) = match authed {
            Some(a) => a,
            None => self.first_message_auth().await?,
        };
        if !self.auth.rate_check(&principal).await.allowed {
            self.error(ErrorCode::RateLimited, "rate limit exceeded", None)
                .await?;
            return Err(Closing(1008, "rate limited".into()));
        }
        let mut rx = match self.hub.attach().await {
            Ok(rx) => rx,
            Err(e) => {
                self.error(e.code, &e.message, None).await?;
                return Err(Closing(close::UNAVAILABLE, "stream unavailable".into()));
            }
        };
        self.send_json(&serde_json::json!({
            "type": "welcome",
            "subject": principal.subject,
            "tenant": principal.tenant,
            "kinds": StreamKind::ALL,
        }))
        .await?;
        let mut reauth = tokio::time::interval(self.auth_interval());
        reauth.tick().await;
        let mut revoked = self.auth.revocations();
        loop {
            tokio::select! {
                msg = self.next_text() => {
                    let Some(msg) = msg else { return Ok(()) };
                    self.handle(&principal, &msg).await?;
                }
                item = rx.recv() => match item {
                    Ok(item) => self.deliver(&item).await?,
                    Err(broadcast::error::RecvError::Lagged(missed)) => {
                        metrics::counter!("mcpsec_stream_dropped_total").increment(1);
                        let last = self.last_sent.clone();
                        self.send_json(&serde_json::json!({
                            "type": "lagged", "missed": missed, "resume_after": last,
                        })).await?;
                        return Err(Closing(close::TOO_SLOW, "too slow; resume with after=<last event id>".into()));
                    }
                    Err(broadcast::error::RecvError::Closed) => return Err(Closing(1001, "shutting down".into())),
                },
                // Every `reauth_interval`, and at once when a credential is
                // revoked in this process (the sender lives in `self.auth`).
                _ = async {
                    tokio::select! {
                        _ = reauth.tick() => {}
                        _ = revoked.changed() => {}
                    }
                } => {
                    match self.auth.revalidate(&token).await {
                        Ok(p) => {
                            principal = p;
                            // A role change may have removed permissions.
                            let before = self.subs.len();
                            self.subs.retain_mut(|s| s.filter.authorize(&principal).is_ok());
                            if self.subs.len() != before {
                                self.error(ErrorCode::Forbidden, "subscriptions the credential may no longer read were ended", None).await?;
                            }
                        }
                        Err(e) if !matches!(e.code, ErrorCode::Unauthenticated | ErrorCode::Forbidden) => {
                            // The store is unavailable: keep the connection, check again later.
                            tracing::warn!(error = %e.message, "live stream: credential re-check failed");
                        }
                        Err(e) => {
                            self.error(ErrorCode::Unauthenticated, &e.message, None).await?;
                            return Err(Closing(close::UNAUTHENTICATED, "credential no longer valid".into()));
                        }
                    }
                }
            }
        }
    }

    fn auth_interval(&self) -> Duration {
        self.hub
            .settings
            .reauth_interval
            .max(Duration::from_secs(1))
    }

    async fn deliver(&mut self, item: &StreamItem) -> Result<(), Closing> {
        let ids: Vec<String> = self
            .subs
            .iter()
            .filter(|s| item.seq > s.skip_upto && s.filter.matches(item))
            .map(|s| s.id.clone())
            .collect();
        for id in ids {
            self.send_event(&id, item).await?;
        }
        Ok(())
    }

    async fn send_event(&mut self, sub: &str, item: &StreamItem) -> Result<(), Closing> {
        let text = format!(
            r#"{{"type":"event","subscription":{},"kind":"{}","id":{},"event":{}}}"#,
            serde_json::Value::from(sub),
            item.kind.as_str(),
            serde_json::Value::from(item.event.id.as_str()),
            item.json
        );
        self.send_text(text).await?;
        self.last_sent = Some(item.event.id.clone());
        Ok(())
    }

    async fn handle(&mut self, principal: &Principal, msg: &str) -> Result<(), Closing> {
        let parsed = match serde_json::from_str::<ClientMessage>(msg) {
            Ok(m) => m,
            Err(e) => {
                return self
                    .error(ErrorCode::MalformedRequest, &format!("message: {e}"), None)
                    .await;
            }
        };
        match parsed {
            ClientMessage::Ping => self.send_json(&serde_json::json!({"type": "pong"})).await,
            ClientMessage::Auth { .. } => {
                self.error(ErrorCode::InvalidArgument, "already authenticated", None)
                    .await
            }
            ClientMessage::Unsubscribe { id } => {
                let before = self.subs.len();
                self.subs.retain(|s| s.id != id);
                if self.subs.len() == before {
                    return self
                        .error(ErrorCode::NotFound, "no such subscription", Some(&id))
                        .await;
                }
                self.send_json(&serde_json::json!({"type": "unsubscribed", "subscription": id}))
                    .await
            }
            ClientMessage::Subscribe {
                id,
                kinds,
                tenant,
                min_severity,
                subject,
                after,
            } => {
                let id = id.unwrap_or_else(|| format!("s{}", self.subs.len() + 1));
                if self.subs.iter().any(|s| s.id == id) {
                    return self
                        .error(
                            ErrorCode::Conflict,
                            "a subscription with this id exists",
                            Some(&id),
                        )
                        .await;
                }
                if self.subs.len() >= MAX_SUBSCRIPTIONS {
                    return self
                        .error(
                            ErrorCode::InvalidArgument,
                            &format!("at most {MAX_SUBSCRIPTIONS} subscriptions per connection"),
                            Some(&id),
                        )
                        .await;
                }
                if kinds.is_empty() {
                    return self
                        .error(
                            ErrorCode::InvalidArgument,
                            "kinds must name at least one of alerts, findings, scan_progress, logs",
                            Some(&id),
                        )
                        .await;
                }
                let tenant = match tenant.map(TenantId::new).transpose() {
                    Ok(t) => t,
                    Err(e) => {
                        return self
                            .error(
                                ErrorCode::InvalidArgument,
                                &format!("tenant: {e}"),
                                Some(&id),
                            )
                            .await;
                    }
                };
                let mut filter = StreamFilter {
                    kinds,
                    tenant,
                    min_severity,
                    subject,
                };
                if let Err(denied) = filter.authorize(principal) {
                    metrics::counter!("mcpsec_auth_denied_total", "route" => "/api/v1/stream")
                        .increment(1);
                    return self
                        .error(ErrorCode::Forbidden, &denied.to_string(), Some(&id))
                        .await;
                }
                let after = after.or_else(|| self.default_after.clone());
                let pos = self.hub.position(&filter, after.as_deref());
                self.send_json(&serde_json::json!({
                    "type": "subscribed",
                    "subscription": id,
                    "kinds": filter.kinds,
                    "tenant": filter.tenant,
                    "replayed": pos.replay.len(),
                    "gap": after.is_some() && pos.gap,
                }))
                .await?;
                for item in &pos.replay {
                    self.send_event(&id, item).await?;
                }
                self.subs.push(Sub {
                    id,
                    filter,
                    skip_upto: pos.skip_upto,
                });
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(tenant: &str, id: &str, t: EventType, severity: Option<&str>) -> Event {
        let mut data = serde_json::json!({});
        if let Some(s) = severity {
            data["severity"] = s.into();
        }
        Event {
            id: id.into(),
            event_type: t,
            source: "test".into(),
            tenant: TenantId::new(tenant).unwrap(),
            time: chrono::Utc::now(),
            schema_version: 1,
            subject: None,
            data,
        }
    }

    struct NoBus;
    #[async_trait::async_trait]
    impl EventBus for NoBus {
        fn backend(&self) -> &'static str {
            "none"
        }
        async fn ensure_topics(&self, _: &[String]) -> mcpsec_core::bus::BusResult<()> {
            Ok(())
        }
        async fn publish(
            &self,
            _: Vec<mcpsec_core::bus::BusMessage>,
        ) -> mcpsec_core::bus::BusResult<()> {
            Ok(())
        }
        async fn subscribe(
            &self,
            _: &str,
            _: &[String],
        ) -> mcpsec_core::bus::BusResult<Box<dyn mcpsec_core::bus::BusConsumer>> {
            Err(mcpsec_core::bus::BusError::Unavailable("none".into()))
        }
        async fn ping(&self) -> mcpsec_core::bus::BusResult<()> {
            Ok(())
        }
    }

    fn filter(kinds: &[StreamKind], tenant: Option<&str>) -> StreamFilter {
        StreamFilter {
            kinds: kinds.to_vec(),
            tenant: tenant.map(|t| TenantId::new(t).unwrap()),
            min_severity: None,
            subject: None,
        }
    }

    #[test]
    fn buffer_dedupes_evicts_and_resumes() {
        let hub = StreamHub::new(
            Arc::new(NoBus),
            StreamSettings {
                replay_per_kind: 3,
                ..Default::default()
            },
        );
        for i in 0..5 {
            hub.push(event(
                "a",
                &format!("e{i}"),
                EventType::AlertCreated,
                Some("high"),
            ));
        }
        // A redelivery is not a new event.
        hub.push(event("a", "e4", EventType::AlertCreated, Some("high")));
        hub.push(event("b", "x", EventType::LogReceived, None));
        let f = filter(&[StreamKind::Alerts], Some("a"));
        let ids = |p: &Position| {
            p.replay
                .iter()
                .map(|i| i.event.id.clone())
                .collect::<Vec<_>>()
        };
        let p = hub.position(&f, Some("e2"));
        assert!(!p.gap);
        assert_eq!(ids(&p), ["e3", "e4"]);
        // e0 was evicted: everything buffered, flagged as a gap.
        let p = hub.position(&f, Some("e0"));
        assert!(p.gap);
        assert_eq!(ids(&p), ["e2", "e3", "e4"]);
        let p = hub.position(&f, None);
        assert!(p.replay.is_empty());
        assert_eq!(p.skip_upto, 6);
        // Other tenants' events never match.
        let p = hub.position(&filter(&[StreamKind::Logs], Some("a")), Some("zzz"));
        assert!(p.replay.is_empty());
    }

    #[test]
    fn filters_by_severity_and_authorizes_per_kind() {
        let hub = StreamHub::new(Arc::new(NoBus), StreamSettings::default());
        hub.push(event("a", "low", EventType::AlertCreated, Some("low")));
        hub.push(event(
            "a",
            "crit",
            EventType::AlertCreated,
            Some("critical"),
        ));
        hub.push(event("a", "upd", EventType::FindingUpdated, None));
        let mut f = filter(&[StreamKind::Alerts, StreamKind::Findings], None);
        f.min_severity = Some(Severity::High);
        let viewer = Principal {
            subject: "key:v".into(),
            tenant: Some(TenantId::new("a").unwrap()),
            role: "viewer".into(),
            permissions: mcpsec_core::auth::BuiltinRole::Viewer.permissions(),
            key_id: None,
            user_id: None,
        };
        f.authorize(&viewer).unwrap();
        assert_eq!(f.tenant.as_ref().unwrap().as_str(), "a");
        let p = hub.position(&f, Some("missing"));
        let ids: Vec<_> = p.replay.iter().map(|i| i.event.id.as_str()).collect();
        assert_eq!(ids, ["crit", "upd"]);
        let mut foreign = filter(&[StreamKind::Alerts], Some("b"));
        assert!(matches!(
            foreign.authorize(&viewer),
            Err(Denied::ForeignTenant { .. })
        ));
        let ingest = Principal {
            permissions: mcpsec_core::auth::BuiltinRole::IngestOnly.permissions(),
            ..viewer
        };
        let mut logs = filter(&[StreamKind::Logs], None);
        assert!(matches!(
            logs.authorize(&ingest),
            Err(Denied::MissingPermission { .. })
        ));
    }

    #[tokio::test]
    async fn slow_subscriber_is_told_it_lagged() {
        let hub = StreamHub::new(
            Arc::new(NoBus),
            StreamSettings {
                queue: 4,
                ..Default::default()
            },
        );
        let rx = hub.tx.subscribe();
        let f = filter(&[StreamKind::Alerts], None);
        let pos = hub.position(&f, None);
        let mut s = Box::pin(StreamHub::subscription(rx, f, pos));
        for i in 0..10 {
            hub.push(event("a", &format!("e{i}"), EventType::AlertCreated, None));
        }
        assert_eq!(s.next().await.unwrap().unwrap_err(), 6);
        assert!(s.next().await.is_none());
    }
}
