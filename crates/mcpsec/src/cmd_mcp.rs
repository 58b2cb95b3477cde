//! `mcpsec mcp …`: MCP client config discovery, live and offline tool
//! scanning, pinning, the guard proxy, `install-proxy` and `serve`. Needs no
//! store or configuration; all logic is in `mcpsec-mcp`.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::{Args, Subcommand, ValueEnum};
use mcpsec_core::domain::Severity;
use std::time::Duration;

use mcpsec_mcp::config::{DiscoveryEnv, ParsedConfig, ServerConfig, discover, parse_config_file};
use mcpsec_mcp::connect::{ConnectError, Inventory, Limits, inventory_all};
use mcpsec_mcp::install::{ProxyCommand, install};
use mcpsec_mcp::pin::{DEFAULT_PIN_FILE, PinFile};
use mcpsec_mcp::report::{self, Format, Report};
use mcpsec_mcp::scan::{
    read_surface_file, read_surfaces_dir, read_tools_dir, read_tools_file, scan_with_surfaces,
};
use mcpsec_mcp::{Analyzer, RuleSet};

#[derive(Debug, Args)]
pub struct McpArgs {
    #[command(subcommand)]
    command: McpCommand,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum OutFormat {
    Table,
    Json,
    Sarif,
}

impl From<OutFormat> for Format {
    fn from(f: OutFormat) -> Format {
        match f {
            OutFormat::Table => Format::Table,
            OutFormat::Json => Format::Json,
            OutFormat::Sarif => Format::Sarif,
        }
    }
}

#[derive(Debug, Args)]
struct RuleArgs {
    /// Extra rule file(s) (YAML); rules override built-in ones by id.
    #[arg(long = "rules", value_name = "FILE")]
    rules: Vec<PathBuf>,
    /// Sentence-embedding model directory (all-MiniLM-L6-v2: config.json,
    /// tokenizer.json, model.safetensors) for the semantic detector MCP-020.
    #[arg(long, value_name = "DIR", env = "MCPSEC_EMBEDDING_MODEL")]
    embedding_model: Option<PathBuf>,
    /// Model file for the learned classifier MCP-022 instead of the built-in
    /// one (written by crates/mcpsec-mcp/scripts/train_learned.py).
    #[arg(long, value_name = "FILE", env = "MCPSEC_LEARNED_MODEL")]
    learned_model: Option<PathBuf>,
    /// Optional LLM judge (rule MCP-030, off by default; scan and check-tools):
    /// OpenAI-compatible endpoint (base URL or …/v1/chat/completions). Tool
    /// metadata is SENT to it. API key from env MCPSEC_LLM_JUDGE_API_KEY.
    #[arg(long = "llm-judge", value_name = "URL", env = "MCPSEC_LLM_JUDGE_URL")]
    llm_judge: Option<String>,
    /// Model name for --llm-judge.
    #[arg(
        long = "llm-judge-model",
        value_name = "NAME",
        env = "MCPSEC_LLM_JUDGE_MODEL"
    )]
    llm_judge_model: Option<String>,
    /// Minimum confidence of a malicious verdict for an MCP-030 finding.
    #[arg(long = "llm-judge-threshold", value_name = "0..1", default_value_t = mcpsec_mcp::judge::DEFAULT_THRESHOLD)]
    llm_judge_threshold: f64,
    /// Per-request timeout of the LLM judge, in seconds.
    #[arg(
        long = "llm-judge-timeout",
        value_name = "SECONDS",
        default_value_t = 30
    )]
    llm_judge_timeout: u64,
    /// Requests to the LLM judge in flight at once.
    #[arg(long = "llm-judge-concurrency", value_name = "N", default_value_t = mcpsec_mcp::judge::DEFAULT_CONCURRENCY)]
    llm_judge_concurrency: usize,
}

#[derive(Debug, Args)]
struct OutputArgs {
    #[arg(long, value_enum, default_value = "table")]
    format: OutFormat,
    /// Exit with status 1 when a finding is at least this severe.
    #[arg(long, value_name = "SEVERITY")]
    fail_on: Option<Severity>,
}

#[derive(Debug, Subcommand)]
enum McpCommand {
    /// List the MCP servers configured in the known clients' config files.
    Discover {
        /// Config file(s) to read instead of the standard locations.
        #[arg(long)]
        path: Vec<PathBuf>,
        #[arg(long, value_enum, default_value = "table")]
        format: OutFormat,
    },
    /// Scan client configs (discovered when none are given): connect to their
    /// servers (unless --offline) and analyse the live tools, plus saved tools lists.
    Scan {
        /// Client config files.
        configs: Vec<PathBuf>,
        /// Directory of `<server>.json` files holding each server's `tools/list` result
        /// (used instead of connecting for the servers it has a file for).
        #[arg(long)]
        tools_dir: Option<PathBuf>,
        /// Do not start or connect to any server; only saved tools lists and config checks.
        #[arg(long, alias = "no-connect")]
        offline: bool,
        #[command(flatten)]
        live: LiveArgs,
        /// Submit every live server's inventory to this mcpsec platform
        /// (`POST URL/api/v1/tenants/T/mcp/inventories`, which publishes the changes
        /// against the stored inventory) and, with --pins, publish each tool change
        /// against the pins as an `mcp.tool_changed` event (`POST URL/api/v1/events`).
        #[arg(long, requires = "api_key")]
        platform: Option<String>,
        /// API key for --platform.
        #[arg(long, env = "MCPSEC_API_KEY", hide_env_values = true)]
        api_key: Option<String>,
        /// Tenant of the published events.
        #[arg(long, default_value = "default")]
        tenant: String,
        /// Compare with this pin file (reports added, removed and changed tools).
        #[arg(long)]
        pins: Option<PathBuf>,
        #[command(flatten)]
        rules: RuleArgs,
        #[command(flatten)]
        out: OutputArgs,
    },
    /// Analyse one saved tools list (`tools/list` result or a bare array of tools).
    CheckTools {
        file: PathBuf,
        /// Server name for the report (default: the file name).
        #[arg(long)]
        server: Option<String>,
        /// Compare with this pin file.
        #[arg(long)]
        pins: Option<PathBuf>,
        #[command(flatten)]
        rules: RuleArgs,
        #[command(flatten)]
        out: OutputArgs,
    },
    /// Record the hash of every tool into a pin file.
    Pin {
        /// Connect to the servers of these client configs and pin their live tools.
        configs: Vec<PathBuf>,
        #[command(flatten)]
        live: LiveArgs,
        /// Pin every `<server>.json` tools list in this directory.
        #[arg(long)]
        tools_dir: Option<PathBuf>,
        /// Pin one tools list (with --server).
        #[arg(long, requires = "server")]
        tools: Option<PathBuf>,
        #[arg(long)]
        server: Option<String>,
        /// Pin file to update.
        #[arg(long, default_value = DEFAULT_PIN_FILE)]
        pins: PathBuf,
    },
    /// Connect to the servers of client configs (discovered when none are given) and
    /// print their server info, tools, prompts and resources.
    Inventory {
        configs: Vec<PathBuf>,
        #[command(flatten)]
        live: LiveArgs,
    },
    /// Guard proxy between an MCP client and a server (stdio: `-- COMMAND ARGS...`;
    /// streamable HTTP: `--listen ADDR --upstream URL`).
    Proxy(Box<ProxyArgs>),
    /// Route a client config's stdio servers through `mcpsec mcp proxy` (keeps a backup).
    InstallProxy {
        /// The client config file to rewrite.
        config: PathBuf,
        /// Policy file for the proxies (made absolute).
        #[arg(long)]
        policy: PathBuf,
        /// Pin file for the proxies (made absolute).
        #[arg(long)]
        pins: Option<PathBuf>,
        /// Print the new config instead of writing it.
        #[arg(long)]
        dry_run: bool,
    },
    /// Serve mcpsec's checks as an MCP server (stdio, or streamable HTTP with --listen).
    Serve {
        /// Serve streamable HTTP at http://ADDR/mcp instead of stdio.
        #[arg(long)]
        listen: Option<String>,
        /// Also expose this tenant's findings and alerts and SBOM scanning
        /// (reads the store of --config/--data-dir; docs/mcp-security.md).
        #[arg(long)]
        tenant: Option<String>,
        #[command(flatten)]
        rules: RuleArgs,
    },
    /// List the detection rules.
    Rules {
        #[command(flatten)]
        rules: RuleArgs,
        #[arg(long, value_enum, default_value = "table")]
        format: OutFormat,
    },
}

#[derive(Debug, Args)]
struct LiveArgs {
    /// Seconds allowed per server for starting/connecting, the handshake and listing.
    #[arg(long, default_value_t = 20)]
    timeout: u64,
    /// Servers contacted at the same time.
    #[arg(long, default_value_t = 4)]
    parallel: usize,
}

impl LiveArgs {
    fn limits(&self) -> Limits {
        Limits {
            timeout: Duration::from_secs(self.timeout.max(1)),
            ..Limits::default()
        }
    }
}

#[derive(Debug, Args)]
struct ProxyArgs {
    /// Policy file (YAML; see docs/mcp-security.md).
    #[arg(long)]
    policy: PathBuf,
    /// Name of the proxied server (in policy rules, pins and logs).
    #[arg(long, default_value = "server")]
    server: String,
    /// Pin file (overrides `tools_list.pins` of the policy).
    #[arg(long)]
    pins: Option<PathBuf>,
    /// Listen address for the streamable HTTP proxy (e.g. 127.0.0.1:8931).
    #[arg(long, requires = "upstream")]
    listen: Option<String>,
    /// Upstream streamable HTTP MCP endpoint URL.
    #[arg(long, requires = "listen")]
    upstream: Option<String>,
    /// Also post every event to this mcpsec platform (`POST URL/api/v1/events`) and
    /// submit the server's inventory whenever a relayed list changed it
    /// (`POST URL/api/v1/tenants/T/mcp/inventories`).
    #[arg(long, requires = "api_key")]
    platform: Option<String>,
    /// API key for --platform.
    #[arg(long, env = "MCPSEC_API_KEY", hide_env_values = true)]
    api_key: Option<String>,
    /// Tenant of the posted events.
    #[arg(long, default_value = "default")]
    tenant: String,
    #[command(flatten)]
    rules: RuleArgs,
    /// The stdio server to start: `-- COMMAND ARGS...`.
    #[arg(last = true)]
    command: Vec<String>,
}

pub fn run(args: &McpArgs) -> anyhow::Result<()> {
    match &args.command {
        McpCommand::Discover { path, format } => discover_cmd(path, *format),
        McpCommand::Scan {
            configs,
            tools_dir,
            offline,
            live,
            platform,
            api_key,
            tenant,
            pins,
            rules,
            out,
        } => {
            let analyzer = analyzer(rules)?;
            let mut errors = Vec::new();
            let parsed = load_configs(configs, &mut errors)?;
            let mut tools = match tools_dir {
                Some(d) => read_tools_dir(d).with_context(|| format!("reading {}", d.display()))?,
                None => BTreeMap::new(),
            };
            let mut surfaces = tools_dir
                .as_deref()
                .map(read_surfaces_dir)
                .unwrap_or_default();
            let mut live_inventories = Vec::new();
            if !offline {
                let servers: Vec<ServerConfig> = parsed
                    .iter()
                    .flat_map(|c| c.servers.iter())
                    .filter(|s| !s.disabled && !tools.contains_key(&s.name))
                    .cloned()
                    .collect();
                for r in connect_all(dedup_servers(servers), live)? {
                    match r {
                        Ok(inv) => {
                            errors.extend(inv.warnings.iter().cloned());
                            tools.insert(inv.server.clone(), Ok(inv.server_tools()));
                            surfaces.insert(inv.server.clone(), inv.surface());
                            live_inventories.push(inv);
                        }
                        Err(e) => errors.push(e.to_string()),
                    }
                }
            }
            let pins = pins.as_deref().map(load_pins).transpose()?;
            let analyzer = judge_tools(rules, analyzer, &tools, &surfaces, &mut errors)?;
            let report =
                scan_with_surfaces(&analyzer, &parsed, &tools, &surfaces, pins.as_ref(), errors);
            if let (Some(url), Some(key)) = (platform, api_key) {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()?;
                // The live inventories are stored per tenant; the platform
                // publishes a change event for every tool that changed since.
                let n = rt
                    .block_on(mcpsec_mcp::connect::post_inventories(
                        url,
                        key,
                        tenant,
                        "mcp-scan",
                        &live_inventories,
                    ))
                    .map_err(anyhow::Error::msg)
                    .context("submitting MCP inventories")?;
                if !live_inventories.is_empty() {
                    eprintln!(
                        "submitted {} inventory(ies) to {url}: {n} tool change(s) since the stored ones",
                        live_inventories.len()
                    );
                }
                if pins.is_some() {
                    let n = rt
                        .block_on(mcpsec_mcp::proxy::post_tool_changes(
                            url,
                            key,
                            tenant,
                            &report.tool_changes,
                        ))
                        .map_err(anyhow::Error::msg)
                        .context("publishing mcp.tool_changed events")?;
                    eprintln!("published {n} mcp.tool_changed event(s) to {url}");
                }
            }
            emit(&analyzer, &report, out)
        }
        McpCommand::CheckTools {
            file,
            server,
            pins,
            rules,
            out,
        } => {
            let analyzer = analyzer(rules)?;
            let server = server.clone().unwrap_or_else(|| {
                file.file_stem()
                    .and_then(|s| s.to_str())
                    .unwrap_or("server")
                    .to_string()
            });
            let st = read_tools_file(file, &server).map_err(anyhow::Error::msg)?;
            let pins = pins.as_deref().map(load_pins).transpose()?;
            let surfaces: BTreeMap<String, _> = read_surface_file(file)
                .map(|sf| (server.clone(), sf))
                .into_iter()
                .collect();
            let tools = BTreeMap::from([(server, Ok(st))]);
            let mut errors = Vec::new();
            let analyzer = judge_tools(rules, analyzer, &tools, &surfaces, &mut errors)?;
            let report =
                scan_with_surfaces(&analyzer, &[], &tools, &surfaces, pins.as_ref(), errors);
            emit(&analyzer, &report, out)
        }
        McpCommand::Pin {
            configs,
            live,
            tools_dir,
            tools,
            server,
            pins,
        } => {
            let mut file = load_pins(pins)?;
            let mut n = 0;
            if !configs.is_empty() {
                let mut errors = Vec::new();
                let parsed = load_configs(configs, &mut errors)?;
                let servers: Vec<ServerConfig> = parsed
                    .iter()
                    .flat_map(|c| c.servers.iter())
                    .filter(|s| !s.disabled)
                    .cloned()
                    .collect();
                for r in connect_all(dedup_servers(servers), live)? {
                    match r {
                        Ok(inv) => {
                            file.pin(&inv.server, &inv.tools);
                            file.pin_surface(&inv.server, &inv.surface());
                            println!("pinned {}: {} tool(s) (live)", inv.server, inv.tools.len());
                            n += 1;
                        }
                        Err(e) => eprintln!("warning: not pinned: {e}"),
                    }
                }
            }
            if let Some(d) = tools_dir {
                for (name, st) in
                    read_tools_dir(d).with_context(|| format!("reading {}", d.display()))?
                {
                    let st = st.map_err(anyhow::Error::msg)?;
                    file.pin(&name, &st.tools);
                    if let Some(sf) = st
                        .source
                        .as_deref()
                        .and_then(|p| read_surface_file(Path::new(p)))
                    {
                        file.pin_surface(&name, &sf);
                    }
                    println!("pinned {name}: {} tool(s)", st.tools.len());
                    n += 1;
                }
            }
            if let (Some(t), Some(s)) = (tools, server) {
                let st = read_tools_file(t, s).map_err(anyhow::Error::msg)?;
                file.pin(s, &st.tools);
                if let Some(sf) = read_surface_file(t) {
                    file.pin_surface(s, &sf);
                }
                println!("pinned {s}: {} tool(s)", st.tools.len());
                n += 1;
            }
            if n == 0 {
                bail!(
                    "nothing to pin: give client CONFIG files (live), --tools-dir DIR or --tools FILE --server NAME"
                );
            }
            file.save(pins)
                .with_context(|| format!("writing {}", pins.display()))?;
            println!("wrote {}", pins.display());
            Ok(())
        }
        McpCommand::Inventory { configs, live } => {
            let mut errors = Vec::new();
            let parsed = load_configs(configs, &mut errors)?;
            let servers: Vec<ServerConfig> = parsed
                .iter()
                .flat_map(|c| c.servers.iter())
                .filter(|s| !s.disabled)
                .cloned()
                .collect();
            let mut inventories = Vec::new();
            for r in connect_all(dedup_servers(servers), live)? {
                match r {
                    Ok(inv) => inventories.push(inv),
                    Err(e) => errors.push(e.to_string()),
                }
            }
            let v = serde_json::json!({"servers": inventories, "errors": errors});
            println!("{}", serde_json::to_string_pretty(&v)?);
            Ok(())
        }
        McpCommand::Proxy(p) => crate::mcp_proxy::run(
            &p.policy,
            &p.server,
            p.pins.as_deref(),
            p.listen.as_deref(),
            p.upstream.as_deref(),
            p.platform.as_deref(),
            p.api_key.as_deref(),
            &p.tenant,
            analyzer_without_judge(&p.rules)?,
            &p.command,
        ),
        McpCommand::InstallProxy {
            config,
            policy,
            pins,
            dry_run,
        } => {
            let abs = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
            let exe = std::env::current_exe().context("cannot tell the mcpsec executable path")?;
            let proxy = ProxyCommand {
                exe: exe.display().to_string(),
                policy: abs(policy).display().to_string(),
                pins: pins.as_deref().map(|p| abs(p).display().to_string()),
            };
            crate::mcp_proxy::load_policy(policy)?;
            let (r, backup) = install(config, &proxy, *dry_run).map_err(anyhow::Error::msg)?;
            if *dry_run {
                print!("{}", r.text);
            }
            for s in &r.proxied {
                eprintln!("proxied: {s}");
            }
            for (s, why) in &r.skipped {
                eprintln!("skipped: {s}: {why}");
            }
            if !dry_run && !r.proxied.is_empty() {
                eprintln!(
                    "wrote {} (original kept in {})",
                    config.display(),
                    backup.display()
                );
            }
            Ok(())
        }
        McpCommand::Serve { listen, rules, .. } => {
            crate::mcp_proxy::serve(analyzer_without_judge(rules)?, listen.as_deref())
        }
        McpCommand::Rules { rules, format } => {
            let analyzer = analyzer(rules)?;
            match format {
                OutFormat::Table => {
                    for r in analyzer.rules().all() {
                        println!(
                            "{}\t{}\t{}\t{}{}",
                            r.id,
                            r.severity,
                            r.owasp.join(","),
                            r.title,
                            if r.enabled { "" } else { " (disabled)" }
                        );
                    }
                }
                _ => {
                    let v = report::sarif(&Report::default(), analyzer.rules());
                    println!(
                        "{}",
                        serde_json::to_string_pretty(&v["runs"][0]["tool"]["driver"]["rules"])?
                    );
                }
            }
            Ok(())
        }
    }
}

/// `mcp serve --tenant T`: the tenant, the listen address and the analyzer
/// (the caller loads the configuration and serves the platform tools).
pub fn platform_serve(
    args: &McpArgs,
) -> anyhow::Result<Option<(String, Option<String>, Analyzer)>> {
    match &args.command {
        McpCommand::Serve {
            listen,
            tenant: Some(tenant),
            rules,
        } => Ok(Some((
            tenant.clone(),
            listen.clone(),
            analyzer_without_judge(rules)?,
        ))),
        _ => Ok(None),
    }
}

fn analyzer(args: &RuleArgs) -> anyhow::Result<Analyzer> {
    let mut rules = RuleSet::builtin();
    for f in &args.rules {
        for e in rules.load_file(f)? {
            eprintln!("warning: rule skipped: {e}");
        }
    }
    let mut a = Analyzer::new(rules, mcpsec_mcp::flows::CapabilityModel::builtin());
    if let Some(f) = &args.learned_model {
        let bytes = std::fs::read(f).with_context(|| format!("--learned-model {}", f.display()))?;
        let m = mcpsec_mcp::learned::LinearModel::from_bytes(&bytes)
            .with_context(|| format!("--learned-model {}", f.display()))?;
        a = a.with_learned_model(m);
    }
    Ok(match &args.embedding_model {
        Some(dir) => {
            let d = mcpsec_mcp::semantic::SemanticDetector::load(dir)
                .with_context(|| "--embedding-model / MCPSEC_EMBEDDING_MODEL")?;
            a.with_semantic(d)
        }
        None => {
            eprintln!(
                "note: semantic detector MCP-020 off (no --embedding-model DIR or MCPSEC_EMBEDDING_MODEL)"
            );
            a
        }
    })
}

/// The analyzer for the proxy and `serve`, whose per-message path stays
/// local: `--llm-judge` is not used there (said once on stderr).
fn analyzer_without_judge(args: &RuleArgs) -> anyhow::Result<Analyzer> {
    if args.llm_judge.is_some() {
        eprintln!(
            "note: --llm-judge / MCPSEC_LLM_JUDGE_URL is ignored here (only scan and check-tools use it)"
        );
    }
    analyzer(args)
}

/// Runs the optional LLM judge (MCP-030) over `tools` when `--llm-judge URL`
/// is given, and hands its verdicts to the analyzer; per-tool failures go to
/// `errors`. Without the flag nothing is sent anywhere.
fn judge_tools(
    args: &RuleArgs,
    analyzer: Analyzer,
    tools: &BTreeMap<String, Result<mcpsec_mcp::ServerTools, String>>,
    surfaces: &BTreeMap<String, mcpsec_mcp::surface::Surface>,
    errors: &mut Vec<String>,
) -> anyhow::Result<Analyzer> {
    let Some(url) = &args.llm_judge else {
        return Ok(analyzer);
    };
    let Some(model) = args
        .llm_judge_model
        .as_deref()
        .filter(|m| !m.trim().is_empty())
    else {
        bail!("--llm-judge needs --llm-judge-model NAME (or MCPSEC_LLM_JUDGE_MODEL)");
    };
    let mut cfg = mcpsec_mcp::judge::JudgeConfig::new(url.clone(), model);
    cfg.api_key = std::env::var("MCPSEC_LLM_JUDGE_API_KEY")
        .ok()
        .filter(|k| !k.is_empty());
    cfg.threshold = args.llm_judge_threshold;
    cfg.timeout = std::time::Duration::from_secs(args.llm_judge_timeout.max(1));
    cfg.concurrency = args.llm_judge_concurrency.max(1);
    let judge = mcpsec_mcp::judge::Judge::new(cfg).context("--llm-judge")?;
    let servers: Vec<mcpsec_mcp::ServerTools> = tools
        .values()
        .filter_map(|r| r.as_ref().ok().cloned())
        .collect();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let verdicts = rt.block_on(judge.judge_with_surfaces(&servers, surfaces));
    eprintln!(
        "LLM judge (model {model}): {} item(s) judged (tools, prompts, resources), {} request(s), {} error(s) (tool metadata is sent to the endpoint)",
        verdicts.verdicts.len(),
        verdicts.requests,
        verdicts.errors.len()
    );
    errors.extend(verdicts.errors.iter().map(|e| format!("LLM judge: {e}")));
    Ok(analyzer.with_judge(verdicts))
}

/// One entry per server name (a server listed by several clients is contacted once).
fn dedup_servers(mut servers: Vec<ServerConfig>) -> Vec<ServerConfig> {
    let mut seen = std::collections::HashSet::new();
    servers.retain(|s| seen.insert(s.name.clone()));
    servers
}

/// Inventories the servers on a fresh runtime; failures are results, not errors.
fn connect_all(
    servers: Vec<ServerConfig>,
    live: &LiveArgs,
) -> anyhow::Result<Vec<Result<Inventory, ConnectError>>> {
    if servers.is_empty() {
        return Ok(Vec::new());
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let limits = live.limits();
    let out = rt.block_on(inventory_all(&servers, &limits, live.parallel));
    // Do not wait for servers that ignore shutdown.
    rt.shutdown_timeout(Duration::from_secs(2));
    Ok(out)
}

fn load_pins(path: &Path) -> anyhow::Result<PinFile> {
    Ok(PinFile::load(path)?)
}

/// Parses the given configs, or the discovered ones when none are given.
/// Unreadable discovered files are reported and skipped; given files must parse.
fn load_configs(paths: &[PathBuf], errors: &mut Vec<String>) -> anyhow::Result<Vec<ParsedConfig>> {
    if !paths.is_empty() {
        return paths
            .iter()
            .map(|p| Ok(parse_config_file(p, None)?))
            .collect();
    }
    let env = DiscoveryEnv::from_process()
        .context("cannot tell the home directory (HOME / USERPROFILE unset)")?;
    let mut out = Vec::new();
    for k in discover(&env) {
        match parse_config_file(&k.path, Some(&k.client)) {
            Ok(p) => out.push(p),
            Err(e) => errors.push(e.to_string()),
        }
    }
    Ok(out)
}

fn emit(analyzer: &Analyzer, report: &Report, out: &OutputArgs) -> anyhow::Result<()> {
    let text = report::render(report, analyzer.rules(), out.format.into());
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()?;
    if let (Some(min), Some(max)) = (out.fail_on, report.max_severity())
        && max >= min
    {
        eprintln!("failing: a finding is {max} (--fail-on {min})");
        std::process::exit(1);
    }
    Ok(())
}

fn discover_cmd(paths: &[PathBuf], format: OutFormat) -> anyhow::Result<()> {
    let files: Vec<(String, PathBuf)> = if paths.is_empty() {
        let env = DiscoveryEnv::from_process()
            .context("cannot tell the home directory (HOME / USERPROFILE unset)")?;
        discover(&env)
            .into_iter()
            .map(|k| (k.client, k.path))
            .collect()
    } else {
        paths
            .iter()
            .map(|p| (mcpsec_mcp::config::guess_client(p), p.clone()))
            .collect()
    };
    let mut servers = Vec::new();
    let mut errors = Vec::new();
    for (client, path) in &files {
        match parse_config_file(path, Some(client)) {
            Ok(p) => {
                servers.extend(p.servers);
                errors.extend(p.warnings);
            }
            Err(e) => errors.push(e.to_string()),
        }
    }
    match format {
        OutFormat::Table => {
            if files.is_empty() {
                println!("no MCP client configuration found");
            }
            for s in &servers {
                let env: Vec<&str> = s.env.keys().map(String::as_str).collect();
                println!(
                    "{}\t{}\t{:?}\t{}{}{}\t{}",
                    s.client,
                    s.name,
                    s.transport,
                    s.display_target(),
                    if env.is_empty() {
                        String::new()
                    } else {
                        format!("  env: {}", env.join(","))
                    },
                    if s.disabled { "  (disabled)" } else { "" },
                    s.source.display()
                );
            }
            println!("{} server(s) in {} file(s)", servers.len(), files.len());
        }
        _ => {
            let v = serde_json::json!({"configs": files.iter().map(|(c, p)| serde_json::json!({"client": c, "path": p})).collect::<Vec<_>>(), "servers": servers, "errors": errors});
            println!("{}", serde_json::to_string_pretty(&v)?);
            return Ok(());
        }
    }
    for e in errors {
        eprintln!("warning: {e}");
    }
    Ok(())
}
