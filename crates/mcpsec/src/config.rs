//! The one typed configuration of mcpsec: `mcpsec.toml` plus `MCPSEC_*`
//! environment variables (nested keys joined with `__`, e.g.
//! `MCPSEC_STORE__BACKEND=postgres`), plus command-line flags, in that order
//! of precedence (flags win). Unknown keys are rejected everywhere.
//!
//! Relative paths in backend sections are resolved against `data_dir`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

use mcpsec_bus_embedded::EmbeddedBusConfig;
use mcpsec_bus_kafka::KafkaBusConfig;
use mcpsec_objstore::ObjectStoreConfig;
use mcpsec_store_sql::{PostgresConfig, SqliteConfig};

/// Environment variables with this prefix are read as configuration.
pub const ENV_PREFIX: &str = "MCPSEC_";
/// `MCPSEC_*` variables that are not configuration keys (test harness, config
/// file location).
const ENV_IGNORED: &[&str] = &["test_", "config"];

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where embedded backends keep their files.
    #[serde(default = "default_data_dir")]
    pub data_dir: PathBuf,
    #[serde(default)]
    pub log_format: LogFormat,
    /// A `tracing` filter (e.g. `info`, `mcpsec_server=debug`); `RUST_LOG` overrides it.
    #[serde(default = "default_log_level")]
    pub log_level: String,
    /// OTLP/HTTP endpoint for trace export (e.g. `http://collector:4318`).
    #[serde(default)]
    pub otlp_endpoint: Option<String>,
    #[serde(default)]
    pub server: ServerConfig,
    #[serde(default)]
    pub worker: WorkerSettings,
    #[serde(default)]
    pub store: StoreConfig,
    #[serde(default)]
    pub bus: BusConfig,
    #[serde(default)]
    pub objects: ObjectStoreConfig,
    #[serde(default)]
    pub auth: AuthConfig,
    /// `[secrets]`: keys for encrypted configuration values (`mcpsec:enc:v1:...`).
    #[serde(default)]
    pub secrets: mcpsec_secrets::SecretsConfig,
    #[serde(default)]
    pub detection: DetectionConfig,
    /// `[stream]`: the live stream and GraphQL subscriptions.
    #[serde(default)]
    pub stream: StreamConfig,
}

/// `[stream]`: queue sizes of the live stream hub and how often open
/// WebSocket connections (`/api/v1/stream`, GraphQL subscriptions) check
/// their credential again (see `docs/graphql-and-stream.md`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreamConfig {
    /// The hub's fan-out queue, shared by every subscriber of the process:
    /// how many events one subscriber may fall behind before it gets
    /// `lagged` (close code 4408).
    #[serde(default = "default_stream_queue")]
    pub queue: usize,
    /// Events of each kind kept for resumption with `after`.
    #[serde(default = "default_stream_replay")]
    pub replay_per_kind: usize,
    /// Seconds between re-checks of a connection's credential (revocation,
    /// expiry, disabled users; revocations in the same process are seen at once).
    #[serde(default = "default_stream_reauth")]
    pub reauth_interval_secs: u64,
    /// A send to a client blocked longer than this (seconds) drops it.
    #[serde(default = "default_stream_write_timeout")]
    pub write_timeout_secs: u64,
}

fn default_stream_queue() -> usize {
    4096
}
fn default_stream_replay() -> usize {
    10_000
}
fn default_stream_reauth() -> u64 {
    60
}
fn default_stream_write_timeout() -> u64 {
    10
}

impl Default for StreamConfig {
    fn default() -> Self {
        StreamConfig {
            queue: default_stream_queue(),
            replay_per_kind: default_stream_replay(),
            reauth_interval_secs: default_stream_reauth(),
            write_timeout_secs: default_stream_write_timeout(),
        }
    }
}

impl StreamConfig {
    /// Checks the ranges.
    pub fn validate(&self) -> anyhow::Result<()> {
        if !(1..=1_000_000).contains(&self.queue) {
            bail!("stream.queue must be 1 to 1000000, not {}", self.queue);
        }
        if self.replay_per_kind > 1_000_000 {
            bail!(
                "stream.replay_per_kind must be at most 1000000, not {}",
                self.replay_per_kind
            );
        }
        if !(1..=3600).contains(&self.reauth_interval_secs) {
            bail!(
                "stream.reauth_interval_secs must be 1 to 3600, not {}",
                self.reauth_interval_secs
            );
        }
        if !(1..=600).contains(&self.write_timeout_secs) {
            bail!(
                "stream.write_timeout_secs must be 1 to 600, not {}",
                self.write_timeout_secs
            );
        }
        Ok(())
    }

    /// The hub's settings.
    pub fn settings(&self) -> mcpsec_server::stream::StreamSettings {
        use std::time::Duration;
        mcpsec_server::stream::StreamSettings {
            queue: self.queue,
            replay_per_kind: self.replay_per_kind,
            reauth_interval: Duration::from_secs(self.reauth_interval_secs),
            write_timeout: Duration::from_secs(self.write_timeout_secs),
            ..Default::default()
        }
    }
}

/// `[detection]`: streaming Sigma detection in the worker.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DetectionConfig {
    /// Sigma rules every tenant gets: a directory (searched recursively for
    /// `.yml`/`.yaml`) or one file. Tenants add their own through the API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules_dir: Option<PathBuf>,
    /// A log-source mapping that overrides or extends the built-in one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mapping: Option<PathBuf>,
    /// Listen for syslog (RFC 5424/3164) over UDP on this address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub syslog_udp: Option<SocketAddr>,
    /// Listen for syslog over TCP (one message per line) on this address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub syslog_tcp: Option<SocketAddr>,
    /// The tenant syslog messages belong to (required with a listener).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub syslog_tenant: Option<String>,
    /// Seconds between detection maintenance rounds of a worker: deleting
    /// correlation groups idle past their timespan and republishing
    /// correlation alerts a crash left unpublished. 0 turns it off.
    #[serde(default = "default_maintenance_secs")]
    pub maintenance_interval_secs: u64,
}

fn default_maintenance_secs() -> u64 {
    60
}

impl Default for DetectionConfig {
    fn default() -> Self {
        DetectionConfig {
            rules_dir: None,
            mapping: None,
            syslog_udp: None,
            syslog_tcp: None,
            syslog_tenant: None,
            maintenance_interval_secs: default_maintenance_secs(),
        }
    }
}

/// `[auth]`: authentication, login lockout and rate limits of the API
/// (see `docs/security.md`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    /// A key the server accepts as a `platform-admin` credential, for first
    /// setup and automation (`MCPSEC_AUTH__BOOTSTRAP_API_KEY`); at least 24
    /// characters. Prefer `mcpsec admin create-api-key` keys for everything else.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bootstrap_api_key: Option<mcpsec_core::Secret>,
    /// Lifetime of a login session, in minutes.
    #[serde(default = "default_session_minutes")]
    pub session_ttl_minutes: u64,
    /// How long a verified key is trusted before the store is read again.
    #[serde(default = "default_cache_secs")]
    pub key_cache_secs: u64,
    /// Failed logins in a row before the account is locked.
    #[serde(default = "default_lockout_threshold")]
    pub lockout_threshold: u32,
    /// First lockout in seconds; it doubles with each further failure.
    #[serde(default = "default_lockout_base")]
    pub lockout_base_secs: u64,
    /// Longest lockout in seconds.
    #[serde(default = "default_lockout_max")]
    pub lockout_max_secs: u64,
    /// Requests per second per API key or session (0: unlimited).
    #[serde(default = "default_rate")]
    pub rate_limit_per_second: u32,
    /// Requests a credential may burst above the rate.
    #[serde(default = "default_burst")]
    pub rate_limit_burst: u32,
    /// Requests per second per tenant over all its credentials (0: none).
    #[serde(default)]
    pub rate_limit_tenant_per_second: u32,
    /// Requests a tenant may burst above its rate.
    #[serde(default)]
    pub rate_limit_tenant_burst: u32,
    /// Keep rate-limit state in this Redis server (`redis://host:port/db`) so
    /// all API processes share the limits; in memory when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit_redis_url: Option<mcpsec_core::Secret>,
    /// Session cookies with `Secure` and the `__Host-` prefix; set false only
    /// for plain-http development.
    #[serde(default = "default_true")]
    pub cookie_secure: bool,
    /// `[auth.oidc]`: SSO with an OpenID Connect provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oidc: Option<mcpsec_server::auth::oidc::OidcSettings>,
}

fn default_true() -> bool {
    true
}

fn default_session_minutes() -> u64 {
    12 * 60
}
fn default_cache_secs() -> u64 {
    10
}
fn default_lockout_threshold() -> u32 {
    5
}
fn default_lockout_base() -> u64 {
    30
}
fn default_lockout_max() -> u64 {
    900
}
fn default_rate() -> u32 {
    100
}
fn default_burst() -> u32 {
    1000
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            bootstrap_api_key: None,
            session_ttl_minutes: default_session_minutes(),
            key_cache_secs: default_cache_secs(),
            lockout_threshold: default_lockout_threshold(),
            lockout_base_secs: default_lockout_base(),
            lockout_max_secs: default_lockout_max(),
            rate_limit_per_second: default_rate(),
            rate_limit_burst: default_burst(),
            rate_limit_tenant_per_second: 0,
            rate_limit_tenant_burst: 0,
            rate_limit_redis_url: None,
            cookie_secure: true,
            oidc: None,
        }
    }
}

impl AuthConfig {
    /// The server's settings.
    pub fn settings(&self) -> mcpsec_server::auth::AuthSettings {
        use std::time::Duration;
        mcpsec_server::auth::AuthSettings {
            bootstrap_api_key: self.bootstrap_api_key.clone(),
            session_ttl: Duration::from_secs(self.session_ttl_minutes * 60),
            cache_ttl: Duration::from_secs(self.key_cache_secs),
            lockout_threshold: self.lockout_threshold,
            lockout_base: Duration::from_secs(self.lockout_base_secs),
            lockout_max: Duration::from_secs(self.lockout_max_secs),
            rate_limit_per_second: self.rate_limit_per_second,
            rate_limit_burst: self.rate_limit_burst,
            rate_limit_tenant_per_second: self.rate_limit_tenant_per_second,
            rate_limit_tenant_burst: self.rate_limit_tenant_burst,
            rate_limit_redis_url: self.rate_limit_redis_url.clone(),
            oidc: self.oidc.clone(),
            cookie_secure: self.cookie_secure,
            keyring: None,
        }
    }
}

fn default_data_dir() -> PathBuf {
    PathBuf::from("./mcpsec-data")
}

fn default_log_level() -> String {
    "info".into()
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// Which parts of the service a process runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// HTTP API only: validates and publishes.
    Api,
    /// Event pipeline only (plus health and metrics endpoints).
    Worker,
    /// Both, in one process.
    #[default]
    All,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    #[serde(default)]
    pub role: Role,
    /// Largest request body, in bytes.
    #[serde(default = "default_max_body")]
    pub max_body_bytes: usize,
    /// Most events per ingest batch.
    #[serde(default = "default_max_batch")]
    pub max_batch_events: usize,
}

fn default_listen() -> SocketAddr {
    "127.0.0.1:8080".parse().expect("valid address")
}
fn default_max_body() -> usize {
    16 * 1024 * 1024
}
fn default_max_batch() -> usize {
    10_000
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: default_listen(),
            role: Role::default(),
            max_body_bytes: default_max_body(),
            max_batch_events: default_max_batch(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkerSettings {
    #[serde(default = "default_group")]
    pub group: String,
    #[serde(default = "default_batch")]
    pub batch_size: usize,
    /// Consumer-group members per worker process.
    #[serde(default = "default_consumers")]
    pub consumers: usize,
}

fn default_group() -> String {
    "mcpsec-workers".into()
}
/// Messages per worker poll: 5,000 stored 1.3× more events/s than 1,000
/// end to end on the embedded backends (docs/benchmarks.md, ingest).
fn default_batch() -> usize {
    5000
}
fn default_consumers() -> usize {
    2
}

impl Default for WorkerSettings {
    fn default() -> Self {
        WorkerSettings {
            group: default_group(),
            batch_size: default_batch(),
            consumers: default_consumers(),
        }
    }
}

/// The record store backend.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "backend", rename_all = "lowercase")]
pub enum StoreConfig {
    /// Embedded SQLite file (default: `<data_dir>/mcpsec.db`).
    Sqlite(SqliteConfig),
    /// PostgreSQL.
    Postgres(PostgresConfig),
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig::Sqlite(SqliteConfig::default())
    }
}

/// The event bus backend.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "backend", rename_all = "lowercase")]
pub enum BusConfig {
    /// Embedded durable log (default: `<data_dir>/bus`).
    Embedded(EmbeddedBusConfig),
    /// A Kafka-protocol broker.
    Kafka(KafkaBusConfig),
}

impl Default for BusConfig {
    fn default() -> Self {
        BusConfig::Embedded(EmbeddedBusConfig::default())
    }
}

/// Command-line values that override the file and the environment.
#[derive(Debug, Default, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_format: Option<LogFormat>,
}

impl Config {
    /// Loads `file` (or `./mcpsec.toml` when present), then `MCPSEC_*`
    /// variables, then `overrides`; validates the result.
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> anyhow::Result<Config> {
        let mut fig = Figment::new();
        match file {
            Some(path) => {
                if !path.exists() {
                    bail!("config file {} does not exist", path.display());
                }
                fig = fig.merge(Toml::file_exact(path));
            }
            None => fig = fig.merge(Toml::file_exact("mcpsec.toml").nested_if_exists()),
        }
        fig = fig
            .merge(Env::prefixed(ENV_PREFIX).split("__").filter(|k| {
                let k = k.as_str().to_ascii_lowercase();
                !ENV_IGNORED.iter().any(|p| k.starts_with(p))
            }))
            .merge(Serialized::defaults(overrides));
        let mut cfg: Config = fig.extract().map_err(|e| {
            let msgs: Vec<String> = e.into_iter().map(|e| e.to_string()).collect();
            anyhow::anyhow!("invalid configuration:\n  {}", msgs.join("\n  "))
        })?;
        cfg.resolve_paths();
        cfg.validate()?;
        Ok(cfg)
    }

    fn resolve_paths(&mut self) {
        let base = self.data_dir.clone();
        let under = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        };
        if let StoreConfig::Sqlite(s) = &mut self.store {
            under(&mut s.path);
        }
        if let BusConfig::Embedded(b) = &mut self.bus {
            under(&mut b.dir);
        }
        if let ObjectStoreConfig::Local { dir } = &mut self.objects {
            under(dir);
        }
    }

    /// Checks beyond the types.
    pub fn validate(&self) -> anyhow::Result<()> {
        if self.server.max_body_bytes < 1024 {
            bail!("server.max_body_bytes must be at least 1024");
        }
        if self.server.max_batch_events == 0 {
            bail!("server.max_batch_events must be at least 1");
        }
        if self.worker.batch_size == 0 {
            bail!("worker.batch_size must be at least 1");
        }
        if !(1..=64).contains(&self.worker.consumers) {
            bail!("worker.consumers must be between 1 and 64");
        }
        if self.worker.group.is_empty() {
            bail!("worker.group must not be empty");
        }
        let d = &self.detection;
        if d.syslog_udp.is_some() || d.syslog_tcp.is_some() {
            match &d.syslog_tenant {
                None => bail!("detection.syslog_tenant is required with a syslog listener"),
                Some(t) => {
                    mcpsec_core::TenantId::new(t.clone())
                        .with_context(|| format!("detection.syslog_tenant {t:?}"))?;
                }
            }
        }
        self.stream.validate()?;
        if let Some(k) = &self.auth.bootstrap_api_key
            && !mcpsec_secrets::vault::is_kv_reference(k.expose())
            && k.expose().len() < mcpsec_server::auth::MIN_BOOTSTRAP_KEY_LEN
        {
            bail!(
                "auth.bootstrap_api_key must have at least {} characters",
                mcpsec_server::auth::MIN_BOOTSTRAP_KEY_LEN
            );
        }
        if self.auth.session_ttl_minutes == 0 || self.auth.lockout_threshold == 0 {
            bail!("auth.session_ttl_minutes and auth.lockout_threshold must be at least 1");
        }
        mcpsec_server::auth::validate_settings(&self.auth.settings())
            .map_err(anyhow::Error::msg)?;
        tracing_subscriber::EnvFilter::try_new(&self.log_level)
            .with_context(|| format!("log_level {:?}", self.log_level))?;
        Ok(())
    }

    /// The effective configuration as TOML, secrets redacted.
    pub fn to_redacted_toml(&self) -> anyhow::Result<String> {
        Ok(toml::to_string_pretty(self)?)
    }
}

trait NestedIfExists {
    fn nested_if_exists(self) -> Self;
}

impl NestedIfExists for figment::providers::Data<Toml> {
    /// `Toml::file_exact` fails on a missing file; the default config file is
    /// optional, so point it at nothing when absent.
    fn nested_if_exists(self) -> Self {
        if Path::new("mcpsec.toml").exists() {
            self
        } else {
            Toml::string("")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // figment's Jail API fixes the closure's error type; the size is theirs.
    #[allow(clippy::result_large_err)]
    fn load_with(toml_text: &str, env: &[(&str, &str)]) -> anyhow::Result<Config> {
        let mut result = None;
        figment::Jail::expect_with(|jail| {
            jail.create_file("mcpsec.toml", toml_text)?;
            for (k, v) in env {
                jail.set_env(k, v);
            }
            result = Some(Config::load(None, &Overrides::default()).map_err(|e| e.to_string()));
            Ok(())
        });
        result.unwrap().map_err(|e| anyhow::anyhow!(e))
    }

    #[test]
    fn defaults_are_embedded_under_data_dir() {
        let cfg = load_with("", &[]).unwrap();
        assert_eq!(cfg.server.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(cfg.server.role, Role::All);
        match &cfg.store {
            StoreConfig::Sqlite(s) => assert!(s.path.starts_with("./mcpsec-data"), "{:?}", s.path),
            other => panic!("default store is {other:?}"),
        }
        assert!(matches!(cfg.bus, BusConfig::Embedded(_)));
    }

    #[test]
    fn env_overrides_file_and_nests_with_double_underscore() {
        let cfg = load_with(
            "data_dir = \"/srv/x\"\n[server]\nlisten = \"0.0.0.0:9000\"\n",
            &[
                ("MCPSEC_SERVER__LISTEN", "127.0.0.1:9999"),
                ("MCPSEC_TEST_IGNORED", "1"),
            ],
        )
        .unwrap();
        assert_eq!(cfg.server.listen.to_string(), "127.0.0.1:9999");
        assert_eq!(cfg.data_dir, PathBuf::from("/srv/x"));
    }

    #[test]
    fn unknown_keys_are_rejected_with_their_name() {
        let err = load_with("[server]\nlisten = \"127.0.0.1:1\"\nlisen = 2\n", &[]).unwrap_err();
        assert!(err.to_string().contains("lisen"), "{err}");
        let err = load_with("", &[("MCPSEC_SERVR__LISTEN", "x")]).unwrap_err();
        assert!(err.to_string().contains("servr"), "{err}");
    }

    #[test]
    fn postgres_from_env_and_secret_redacted() {
        let cfg = load_with(
            "",
            &[
                ("MCPSEC_STORE__BACKEND", "postgres"),
                ("MCPSEC_STORE__URL", "postgres://u:hunter2@db/x"),
            ],
        )
        .unwrap();
        assert!(matches!(cfg.store, StoreConfig::Postgres(_)));
        let printed = cfg.to_redacted_toml().unwrap();
        assert!(!printed.contains("hunter2"), "{printed}");
        assert!(printed.contains("redacted"), "{printed}");
    }

    #[test]
    fn bootstrap_key_from_env_is_a_redacted_secret() {
        let key = "bootstrap-key-0123456789abcdef";
        let cfg = load_with("", &[("MCPSEC_AUTH__BOOTSTRAP_API_KEY", key)]).unwrap();
        assert_eq!(
            cfg.auth.bootstrap_api_key.as_ref().map(|k| k.expose()),
            Some(key)
        );
        let printed = cfg.to_redacted_toml().unwrap();
        assert!(!printed.contains(key), "{printed}");
        let err = load_with("", &[("MCPSEC_AUTH__BOOTSTRAP_API_KEY", "short")]).unwrap_err();
        assert!(err.to_string().contains("bootstrap_api_key"), "{err}");
        let err = load_with("[auth]\nbootstrap_key = \"x\"\n", &[]).unwrap_err();
        assert!(err.to_string().contains("bootstrap_key"), "{err}");
    }

    #[test]
    fn bad_values_are_explained() {
        let err = load_with("[server]\nlisten = \"not an address\"\n", &[]).unwrap_err();
        assert!(err.to_string().contains("listen"), "{err}");
        let err = load_with("[server]\nmax_batch_events = 0\n", &[]).unwrap_err();
        assert!(err.to_string().contains("max_batch_events"), "{err}");
    }
}
