//! The `mcpsec` binary: command line, configuration, wiring of backends and
//! capabilities. Business logic lives in the library crates; this crate only
//! connects them.

/// mimalloc instead of the system allocator: the event pipeline allocates per
/// event (JSON values, statements) and glibc malloc/free took about a fifth of
/// the ingest profile (docs/benchmarks.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod audit_syslog;
mod backends;
mod bench;
mod bench_api;
mod bench_bus;
mod bench_stream;
mod cmd_admin;
mod cmd_detect;
mod cmd_mcp;
mod cmd_posture;
mod cmd_secrets;
mod cmd_vuln;
mod config;
mod demo;
mod detection_service;
mod mcp_platform;
mod mcp_proxy;
mod posture_service;
mod syslog_listener;
mod telemetry;
mod vuln_service;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use mcpsec_core::TenantId;
use mcpsec_core::domain::Tenant;
use mcpsec_core::event::EventType;
use mcpsec_server::{ApiLimits, EventWorker, WorkerConfig};

use crate::config::{Config, LogFormat, Overrides, Role};

#[derive(Debug, Parser)]
#[command(
    name = "mcpsec",
    version,
    about = "Security for software supply chains, infrastructure and MCP environments"
)]
struct Cli {
    /// Configuration file (default: ./mcpsec.toml when it exists).
    #[arg(long, global = true, env = "MCPSEC_CONFIG")]
    config: Option<PathBuf>,
    /// Directory of the embedded backends' files (default ./mcpsec-data).
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// Log output format.
    #[arg(long, global = true, value_enum)]
    log_format: Option<LogFormat>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the service: HTTP API and/or event worker.
    Serve {
        /// Address to listen on (default 127.0.0.1:8080; port 0 picks a free port).
        #[arg(long)]
        listen: Option<std::net::SocketAddr>,
        /// Which parts to run.
        #[arg(long, value_enum)]
        role: Option<Role>,
        /// Seed a `demo` tenant with sample data.
        #[arg(long)]
        demo: bool,
    },
    /// Configuration commands.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Event schema commands.
    Schema {
        #[command(subcommand)]
        command: SchemaCommand,
    },
    /// Bootstrap administration: tenants, users, API keys.
    Admin {
        #[command(subcommand)]
        command: cmd_admin::AdminCommand,
    },
    /// The audit log: verify the hash chain, export records.
    Audit {
        #[command(subcommand)]
        command: cmd_admin::AuditCommand,
    },
    /// Tenant administration.
    Tenant {
        #[command(subcommand)]
        command: TenantCommand,
    },
    /// Benchmarks of this machine and build.
    Bench {
        #[command(subcommand)]
        command: bench::BenchCommand,
    },
    /// Sigma rule commands.
    Rules {
        #[command(subcommand)]
        command: cmd_detect::RulesCommand,
    },
    /// Hunt for threats in log files (EVTX, JSON, NDJSON) with Sigma rules.
    Hunt(cmd_detect::HuntArgs),
    /// MCP security: discover client configs, scan tools, pin them.
    Mcp(cmd_mcp::McpArgs),
    /// Scan an SBOM, lockfile or directory for known vulnerabilities (OSV files or the store's database).
    Scan(cmd_vuln::ScanArgs),
    /// Write the SBOM (CycloneDX or SPDX) of the components found in a path.
    Sbom(cmd_vuln::SbomArgs),
    /// Normalise scanner reports (Trivy, Grype, SARIF, CycloneDX VEX…) into findings.
    Ingest(cmd_vuln::IngestArgs),
    /// The vulnerability database in the store: import feeds, show status.
    Db {
        #[command(subcommand)]
        command: cmd_vuln::DbCommand,
    },
    /// Posture and compliance: scan IaC with Rego policies, evaluate frameworks.
    Posture(cmd_posture::PostureArgs),
    /// Rego policy commands (tests).
    Policy(cmd_posture::PolicyCmdArgs),
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Validate the configuration and print the effective values (secrets redacted).
    Check,
}

#[derive(Debug, Subcommand)]
enum SchemaCommand {
    /// Write the JSON Schema of every event type into DIR.
    Export { dir: PathBuf },
}

#[derive(Debug, Subcommand)]
enum TenantCommand {
    /// Create a tenant.
    Create {
        id: String,
        #[arg(long)]
        name: Option<String>,
    },
    /// List tenants.
    List,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let overrides = Overrides {
        data_dir: cli.data_dir.clone(),
        log_format: cli.log_format,
    };
    // Commands that need no configuration.
    if let Command::Schema {
        command: SchemaCommand::Export { dir },
    } = &cli.command
    {
        return export_schemas(dir);
    }
    match &cli.command {
        Command::Rules { command } => return cmd_detect::rules(command),
        Command::Hunt(args) => return cmd_detect::hunt(args),
        _ => {}
    }
    if let Command::Mcp(args) = &cli.command {
        if let Some((tenant, listen, analyzer)) = cmd_mcp::platform_serve(args)? {
            let cfg = Config::load(cli.config.as_deref(), &overrides)?;
            let mut global_args = Vec::new();
            if let Some(c) = &cli.config {
                global_args.extend(["--config".to_string(), c.display().to_string()]);
            }
            global_args.extend(["--data-dir".to_string(), cfg.data_dir.display().to_string()]);
            let scanner = mcp_platform::SelfInvocation {
                exe: std::env::current_exe().context("locating the mcpsec executable")?,
                global_args,
            };
            return mcp_platform::serve(cfg, scanner, &tenant, listen.as_deref(), analyzer);
        }
        return cmd_mcp::run(args);
    }
    match &cli.command {
        Command::Posture(args) => return cmd_posture::posture(args),
        Command::Policy(args) => return cmd_posture::policy(args),
        _ => {}
    }
    match &cli.command {
        Command::Scan(args) if !args.opts.osv.is_empty() => return cmd_vuln::scan(args),
        Command::Ingest(args) if !args.needs_store() => return cmd_vuln::ingest_offline(args),
        Command::Sbom(args) => return cmd_vuln::sbom(args),
        _ => {}
    }
    let cfg = Config::load(cli.config.as_deref(), &overrides)?;
    if let Command::Config {
        command: ConfigCommand::Check,
    } = &cli.command
    {
        print!("{}", cfg.to_redacted_toml()?);
        eprintln!("configuration is valid");
        return Ok(());
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let _telemetry =
            telemetry::init(cfg.log_format, &cfg.log_level, cfg.otlp_endpoint.as_deref())?;
        match cli.command {
            Command::Serve { listen, role, demo } => serve(cfg, listen, role, demo).await,
            Command::Tenant { command } => tenant(cfg, command).await,
            Command::Admin { command } => cmd_admin::admin(cfg, command).await,
            Command::Audit { command } => cmd_admin::audit(cfg, command).await,
            Command::Bench { command } => bench::run(command).await,
            Command::Rules { .. } | Command::Hunt(_) => unreachable!("handled above"),
            Command::Config { .. } | Command::Schema { .. } | Command::Mcp(_) => {
                unreachable!("handled above")
            }
            Command::Scan(args) => cmd_vuln::scan_with_store(&cfg, &args).await,
            Command::Ingest(args) => {
                let store = backends::build_store(&cfg).await?;
                cmd_vuln::ingest(Some(store.as_ref()), &args).await
            }
            Command::Db { command } => cmd_vuln::db(&cfg, &command).await,
            Command::Sbom(_) => unreachable!("handled above"),
            Command::Posture(_) | Command::Policy(_) => unreachable!("handled above"),
        }
    })
}

fn export_schemas(dir: &std::path::Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    // Keys sorted, so the output does not depend on whether a dependency
    // turned on serde_json's `preserve_order` (evtx does).
    fn sorted(v: serde_json::Value) -> serde_json::Value {
        match v {
            serde_json::Value::Object(m) => {
                let mut entries: Vec<_> = m.into_iter().collect();
                entries.sort_by(|a, b| a.0.cmp(&b.0));
                serde_json::Value::Object(
                    entries.into_iter().map(|(k, v)| (k, sorted(v))).collect(),
                )
            }
            serde_json::Value::Array(a) => {
                serde_json::Value::Array(a.into_iter().map(sorted).collect())
            }
            other => other,
        }
    }
    for (name, schema) in mcpsec_core::event::event_schemas() {
        let path = dir.join(&name);
        let text = serde_json::to_string_pretty(&sorted(schema))? + "\n";
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
        println!("{}", path.display());
    }
    Ok(())
}

async fn tenant(cfg: Config, command: TenantCommand) -> anyhow::Result<()> {
    let store = backends::build_store(&cfg).await?;
    match command {
        TenantCommand::Create { id, name } => {
            let id = TenantId::new(id.clone()).with_context(|| format!("tenant id {id:?}"))?;
            let tenant = Tenant {
                name: name.unwrap_or_else(|| id.to_string()),
                id,
                created_at: chrono::Utc::now(),
            };
            store.create_tenant(&tenant).await?;
            println!("created tenant {}", tenant.id);
        }
        TenantCommand::List => {
            for t in store.list_tenants().await? {
                println!("{}\t{}\t{}", t.id, t.name, t.created_at.to_rfc3339());
            }
        }
    }
    Ok(())
}

async fn shutdown_signal(mut rx: tokio::sync::watch::Receiver<bool>) {
    let _ = rx.wait_for(|stop| *stop).await;
}

async fn serve(
    mut cfg: Config,
    listen: Option<std::net::SocketAddr>,
    role: Option<Role>,
    demo: bool,
) -> anyhow::Result<()> {
    if let Some(l) = listen {
        cfg.server.listen = l;
    }
    if let Some(r) = role {
        cfg.server.role = r;
    }
    // Encrypted configuration values are decrypted before anything starts.
    let auth_settings = cmd_secrets::auth_settings(&cfg).await?;
    let role = cfg.server.role;
    let b = backends::build(&cfg).await?;
    b.bus
        .ensure_topics(&EventType::all_topics())
        .await
        .context("creating event topics")?;
    if demo {
        if demo::seed(&b).await? {
            tracing::info!(tenant = demo::DEMO_TENANT, "demo data seeded");
        } else {
            tracing::info!(
                tenant = demo::DEMO_TENANT,
                "demo tenant exists; left as it is"
            );
        }
    }
    let demo_credentials = if demo {
        Some(cmd_admin::demo_credentials(b.store.as_ref(), demo::DEMO_TENANT).await?)
    } else {
        None
    };

    let mut builtin_rules = detection_service::BuiltinRules::load(&cfg.detection)?;
    if demo {
        builtin_rules = builtin_rules.with_extra(demo::rules());
    }

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        let ctrl_c = tokio::signal::ctrl_c();
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler");
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
        tracing::info!("shutting down");
        let _ = stop_tx.send(true);
    });

    let worker = if matches!(role, Role::Worker | Role::All) {
        let wc = WorkerConfig {
            group: cfg.worker.group.clone(),
            batch_size: cfg.worker.batch_size,
            consumers: cfg.worker.consumers,
            ..WorkerConfig::default()
        };
        let w = EventWorker::new(b.clone(), wc)
            .with_handler(Arc::new(detection_service::DetectionService::new(
                builtin_rules.clone(),
            )))
            .with_handler(Arc::new(vuln_service::VulnService::new()));
        // `mcpsec db import` changes → `vulndb.updated` for every tenant.
        tokio::spawn(vuln_service::run_vulndb_publisher(
            b.clone(),
            std::time::Duration::from_secs(2),
            shutdown_signal(stop_rx.clone()),
        ));
        if cfg.detection.maintenance_interval_secs > 0 {
            let mc = detection_service::MaintenanceConfig {
                interval: std::time::Duration::from_secs(cfg.detection.maintenance_interval_secs),
                pending_grace: std::time::Duration::from_secs(30),
                batch: 1000,
            };
            tokio::spawn(detection_service::run_maintenance(
                b.clone(),
                mc,
                shutdown_signal(stop_rx.clone()),
            ));
        }
        Some(tokio::spawn(w.run(shutdown_signal(stop_rx.clone()))))
    } else {
        None
    };

    let limits = ApiLimits {
        max_body_bytes: cfg.server.max_body_bytes,
        max_batch_events: cfg.server.max_batch_events,
        auth: auth_settings,
        stream: cfg.stream.settings(),
        ..ApiLimits::default()
    };
    let app = match role {
        Role::Worker => mcpsec_server::ops_router(b.clone(), limits),
        Role::Api | Role::All => mcpsec_server::router_with_capabilities(
            b.clone(),
            limits,
            Some(Arc::new(detection_service::DetectionApi::new(
                builtin_rules.clone(),
            ))),
            Some(Arc::new(posture_service::PostureApi::new())),
            Some(Arc::new(vuln_service::VulnApi::new())),
        ),
    };
    let d = &cfg.detection;
    if matches!(role, Role::Api | Role::All) && (d.syslog_udp.is_some() || d.syslog_tcp.is_some()) {
        let tenant = TenantId::new(d.syslog_tenant.clone().unwrap_or_default())?;
        let (udp, tcp) =
            syslog_listener::start(b.bus.clone(), tenant, d.syslog_udp, d.syslog_tcp).await?;
        for (proto, a) in [("udp", udp), ("tcp", tcp)] {
            if let Some(a) = a {
                println!("syslog listening on {proto}://{a}");
            }
        }
    }
    let listener = tokio::net::TcpListener::bind(cfg.server.listen)
        .await
        .with_context(|| format!("listening on {}", cfg.server.listen))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, role = ?role, store = b.store.backend(), bus = b.bus.backend(), objects = b.objects.backend(), "mcpsec serving");
    println!("mcpsec listening on http://{addr} (role {role:?})");
    if let Some(c) = &demo_credentials {
        println!(
            "demo API key (owner of tenant demo, valid 30 days): {}",
            c.api_key
        );
        println!(
            "demo tenant: curl -H 'Authorization: Bearer {}' http://{addr}/api/v1/tenants/demo/findings ; API docs: http://{addr}/api/docs",
            c.api_key
        );
        if let Some((user, pw)) = &c.owner_login {
            println!(
                "demo login: user {user}, password {pw} (POST /api/v1/auth/login; shown once)"
            );
        }
    }
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal(stop_rx))
        .await?;
    if let Some(w) = worker {
        w.await??;
    }
    Ok(())
}
