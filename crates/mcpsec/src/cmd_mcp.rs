//! `mcpsec mcp …`: MCP client config discovery, offline tool scanning,
//! pinning. Needs no store or configuration; all logic is in `mcpsec-mcp`.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::{Args, Subcommand, ValueEnum};
use mcpsec_core::domain::Severity;
use mcpsec_mcp::config::{DiscoveryEnv, ParsedConfig, discover, parse_config_file};
use mcpsec_mcp::pin::{DEFAULT_PIN_FILE, PinFile};
use mcpsec_mcp::report::{self, Format, Report};
use mcpsec_mcp::scan::{read_tools_dir, read_tools_file, scan};
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
    /// Scan client configs (discovered when none are given) and the saved tools lists of their servers.
    Scan {
        /// Client config files.
        configs: Vec<PathBuf>,
        /// Directory of `<server>.json` files holding each server's `tools/list` result.
        #[arg(long)]
        tools_dir: Option<PathBuf>,
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
    /// List the detection rules.
    Rules {
        #[command(flatten)]
        rules: RuleArgs,
        #[arg(long, value_enum, default_value = "table")]
        format: OutFormat,
    },
}

pub fn run(args: &McpArgs) -> anyhow::Result<()> {
    match &args.command {
        McpCommand::Discover { path, format } => discover_cmd(path, *format),
        McpCommand::Scan {
            configs,
            tools_dir,
            pins,
            rules,
            out,
        } => {
            let analyzer = analyzer(rules)?;
            let mut errors = Vec::new();
            let parsed = load_configs(configs, &mut errors)?;
            let tools = match tools_dir {
                Some(d) => read_tools_dir(d).with_context(|| format!("reading {}", d.display()))?,
                None => BTreeMap::new(),
            };
            let pins = pins.as_deref().map(load_pins).transpose()?;
            let report = scan(&analyzer, &parsed, &tools, pins.as_ref(), errors);
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
            let tools = BTreeMap::from([(server, Ok(st))]);
            let report = scan(&analyzer, &[], &tools, pins.as_ref(), Vec::new());
            emit(&analyzer, &report, out)
        }
        McpCommand::Pin {
            tools_dir,
            tools,
            server,
            pins,
        } => {
            let mut file = load_pins(pins)?;
            let mut n = 0;
            if let Some(d) = tools_dir {
                for (name, st) in
                    read_tools_dir(d).with_context(|| format!("reading {}", d.display()))?
                {
                    let st = st.map_err(anyhow::Error::msg)?;
                    file.pin(&name, &st.tools);
                    println!("pinned {name}: {} tool(s)", st.tools.len());
                    n += 1;
                }
            }
            if let (Some(t), Some(s)) = (tools, server) {
                let st = read_tools_file(t, s).map_err(anyhow::Error::msg)?;
                file.pin(s, &st.tools);
                println!("pinned {s}: {} tool(s)", st.tools.len());
                n += 1;
            }
            if n == 0 {
                bail!("nothing to pin: give --tools-dir DIR or --tools FILE --server NAME");
            }
            file.save(pins)
                .with_context(|| format!("writing {}", pins.display()))?;
            println!("wrote {}", pins.display());
            Ok(())
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

fn analyzer(args: &RuleArgs) -> anyhow::Result<Analyzer> {
    let mut rules = RuleSet::builtin();
    for f in &args.rules {
        for e in rules.load_file(f)? {
            eprintln!("warning: rule skipped: {e}");
        }
    }
    Ok(Analyzer::new(
        rules,
        mcpsec_mcp::flows::CapabilityModel::builtin(),
    ))
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
