//! `mcpsec rules check DIR` and `mcpsec hunt PATH… --rules DIR`: Sigma
//! detection over log files (EVTX, JSON, NDJSON) with `mcpsec-detect`.
//! Neither command needs the configuration, a store or a bus.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use clap::{Args, Subcommand, ValueEnum};
use mcpsec_detect::hunt::{Detection, HuntOptions, summarize};
use mcpsec_detect::logsource::LogSourceMap;
use mcpsec_detect::sigma::rule::{Level, parse_level};
use mcpsec_detect::{LoadOptions, RuleSet, input};

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Load a directory of Sigma rules and report every rejected file with its reason.
    Check {
        /// Rule files or directories (searched recursively for .yml/.yaml).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Exit with status 1 when any rule is rejected.
        #[arg(long)]
        strict: bool,
        /// Log source mapping file overriding the built-in one.
        #[arg(long)]
        mapping: Option<PathBuf>,
        /// YAML map of placeholder values for the `expand` modifier.
        #[arg(long)]
        placeholders: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum OutputFormat {
    Table,
    Json,
    Jsonl,
    Csv,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum MinLevel {
    Informational,
    Low,
    Medium,
    High,
    Critical,
}

#[derive(Debug, Args)]
pub struct HuntArgs {
    /// Log files or directories (EVTX, JSON, NDJSON, CloudTrail, syslog, CEF,
    /// LEEF, optionally gzip'd; directories are searched recursively).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Sigma rule files or directories (repeatable).
    #[arg(long, short = 'r', required = true)]
    pub rules: Vec<PathBuf>,
    #[arg(long, value_enum, default_value = "table")]
    pub format: OutputFormat,
    /// Read every input as this format instead of detecting it per file
    /// (evtx, json, ndjson, cloudtrail, syslog, cef, leef).
    #[arg(long, value_parser = parse_input_format)]
    pub input_format: Option<input::InputFormat>,
    /// Report only rules at or above this level.
    #[arg(long, value_enum)]
    pub min_level: Option<MinLevel>,
    /// Only events at or after this time (RFC 3339, `YYYY-MM-DD HH:MM:SS` or `YYYY-MM-DD`, UTC).
    #[arg(long)]
    pub from: Option<String>,
    /// Only events at or before this time.
    #[arg(long)]
    pub to: Option<String>,
    /// Print detection counts per tactic, technique and level (to stdout after table output; to stderr otherwise).
    #[arg(long)]
    pub summary: bool,
    /// Log source mapping file overriding the built-in one.
    #[arg(long)]
    pub mapping: Option<PathBuf>,
    /// YAML map of placeholder values for the `expand` modifier
    /// (rules using `expand` are rejected without it).
    #[arg(long)]
    pub placeholders: Option<PathBuf>,
    /// Write the output to a file instead of stdout.
    #[arg(long, short = 'o')]
    pub output: Option<PathBuf>,
}

fn parse_input_format(s: &str) -> Result<input::InputFormat, String> {
    s.parse()
}

fn load_options(
    mapping: Option<&PathBuf>,
    placeholders: Option<&PathBuf>,
) -> anyhow::Result<LoadOptions> {
    let mut opts = LoadOptions::default();
    if let Some(p) = placeholders {
        let text =
            std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
        let map = mcpsec_detect::sigma::modifier::parse_placeholders(&text)
            .map_err(|e| anyhow::anyhow!("placeholders {}: {e}", p.display()))?;
        opts.compile.transforms.placeholders = Some(map);
    }
    if let Some(m) = mapping {
        let text =
            std::fs::read_to_string(m).with_context(|| format!("reading {}", m.display()))?;
        let mut map = LogSourceMap::builtin();
        map.merge(
            LogSourceMap::from_yaml(&text)
                .with_context(|| format!("log source mapping {}", m.display()))?,
        );
        opts.mapping = Some(map);
    }
    Ok(opts)
}

/// `mcpsec rules …`. `check --strict` exits with status 1 when a rule is rejected.
pub fn rules(cmd: &RulesCommand) -> anyhow::Result<()> {
    match cmd {
        RulesCommand::Check {
            paths,
            strict,
            mapping,
            placeholders,
        } => {
            for p in paths {
                if !p.exists() {
                    bail!("{} does not exist", p.display());
                }
            }
            let opts = load_options(mapping.as_ref(), placeholders.as_ref())?;
            let started = Instant::now();
            let (set, errors) = RuleSet::load_paths(paths, &opts);
            let mut by_kind: BTreeMap<&str, usize> = BTreeMap::new();
            for e in &errors {
                *by_kind.entry(e.kind().as_str()).or_default() += 1;
                let title = e
                    .title
                    .as_deref()
                    .map(|t| format!(" ({t})"))
                    .unwrap_or_default();
                println!("rejected {}{title}: {}", e.path.display(), e.issue);
            }
            println!(
                "loaded {} detection rules and {} correlation rules in {:.2} s; rejected {} ({}); {} windows rules have no log source mapping and run only on non-Windows events",
                set.len(),
                set.correlations().len(),
                started.elapsed().as_secs_f64(),
                errors.len(),
                if by_kind.is_empty() {
                    "none".to_string()
                } else {
                    by_kind
                        .iter()
                        .map(|(k, n)| format!("{k}: {n}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                },
                set.unmapped_windows,
            );
            if *strict && !errors.is_empty() {
                std::io::stdout().flush()?;
                std::process::exit(1);
            }
            Ok(())
        }
    }
}

fn parse_time_arg(s: &str) -> anyhow::Result<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.to_utc());
    }
    for f in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, f) {
            return Ok(t.and_utc());
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(d.and_hms_opt(0, 0, 0).expect("midnight").and_utc());
    }
    bail!("invalid time {s:?}: expected RFC 3339, `YYYY-MM-DD HH:MM:SS` or `YYYY-MM-DD`")
}

fn min_level(l: MinLevel) -> Level {
    let name = match l {
        MinLevel::Informational => "informational",
        MinLevel::Low => "low",
        MinLevel::Medium => "medium",
        MinLevel::High => "high",
        MinLevel::Critical => "critical",
    };
    parse_level(name).expect("known level")
}

/// Runs `mcpsec hunt`.
pub fn hunt(args: &HuntArgs) -> anyhow::Result<()> {
    let opts = load_options(args.mapping.as_ref(), args.placeholders.as_ref())?;
    let from = args.from.as_deref().map(parse_time_arg).transpose()?;
    let to = args.to.as_deref().map(parse_time_arg).transpose()?;
    let min = args.min_level.map(min_level);
    for p in args.rules.iter().chain(&args.paths) {
        if !p.exists() {
            bail!("{} does not exist", p.display());
        }
    }
    let started = Instant::now();
    let (mut set, errors) = RuleSet::load_paths(&args.rules, &opts);
    if let Some(m) = min {
        set.retain(|r| r.meta.level.is_some_and(|l| l >= m));
    }
    eprintln!(
        "loaded {} rules ({} correlations), {} rejected (see `mcpsec rules check`) in {:.2} s",
        set.len(),
        set.correlations().len(),
        errors.len(),
        started.elapsed().as_secs_f64()
    );
    let files = input::collect_inputs(&args.paths)?;
    if files.is_empty() {
        bail!(
            "no log files (.evtx, .json, .jsonl, .ndjson, .cef, .leef, .log, .syslog, .gz) in the given paths"
        );
    }
    let hunt_opts = HuntOptions {
        min_level: min,
        from,
        to,
        format: args.input_format,
    };
    let counter = AtomicU64::new(0);
    let done = AtomicBool::new(false);
    let hunt_started = Instant::now();
    let report = std::thread::scope(|s| {
        if std::io::stderr().is_terminal() {
            let total_bytes: u64 = files
                .iter()
                .filter_map(|f| std::fs::metadata(f).ok())
                .map(|m| m.len())
                .sum();
            let bar = indicatif::ProgressBar::new_spinner();
            bar.set_style(
                indicatif::ProgressStyle::with_template("{spinner} {elapsed} {msg}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
            );
            let (counter, done) = (&counter, &done);
            let n_files = files.len();
            s.spawn(move || {
                while !done.load(Ordering::Relaxed) {
                    bar.set_message(format!(
                        "{} events read from {n_files} files ({:.1} MiB)",
                        counter.load(Ordering::Relaxed),
                        total_bytes as f64 / 1048576.0
                    ));
                    bar.tick();
                    std::thread::sleep(Duration::from_millis(100));
                }
                bar.finish_and_clear();
            });
        }
        let r = mcpsec_detect::hunt(&set, &files, &hunt_opts, &counter);
        done.store(true, Ordering::Relaxed);
        r
    });
    let secs = hunt_started.elapsed().as_secs_f64();
    for f in &report.files {
        if let Some(e) = &f.failed {
            eprintln!("warning: {}: {e}", f.path.display());
        } else if f.stats.error_count > 0 {
            eprintln!(
                "warning: {}: {} unreadable records (first: {})",
                f.path.display(),
                f.stats.error_count,
                f.stats.errors.first().map(String::as_str).unwrap_or("")
            );
        }
    }
    eprintln!(
        "{} detections in {} events from {} files in {:.2} s ({:.0} events/s)",
        report.detections.len(),
        report.events,
        files.len(),
        secs,
        report.events as f64 / secs.max(1e-9)
    );

    let mut out: Box<dyn Write> = match &args.output {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    write_detections(&mut out, args.format, &report.detections)?;
    if args.summary {
        let text = summary_text(&report.detections);
        if args.format == OutputFormat::Table {
            writeln!(out, "\n{text}")?;
        } else {
            eprint!("{text}");
        }
    }
    out.flush()?;
    Ok(())
}

fn write_detections(
    out: &mut dyn Write,
    format: OutputFormat,
    ds: &[Detection],
) -> anyhow::Result<()> {
    match format {
        OutputFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, ds)?;
            writeln!(out)?;
        }
        OutputFormat::Jsonl => {
            for d in ds {
                serde_json::to_writer(&mut *out, d)?;
                writeln!(out)?;
            }
        }
        OutputFormat::Csv => {
            writeln!(
                out,
                "timestamp,level,rule_id,rule_title,file,record_id,computer,tactics,techniques,event"
            )?;
            for d in ds {
                let row = [
                    d.timestamp.map(|t| t.to_rfc3339()).unwrap_or_default(),
                    d.rule.level.unwrap_or("").to_string(),
                    d.rule.id.clone().unwrap_or_default(),
                    d.rule.title.clone(),
                    d.source
                        .as_ref()
                        .map(|s| s.file.display().to_string())
                        .unwrap_or_default(),
                    d.source
                        .as_ref()
                        .map(|s| s.record_id.to_string())
                        .unwrap_or_default(),
                    computer(d),
                    d.tactics
                        .iter()
                        .map(|t| t.id.as_str())
                        .collect::<Vec<_>>()
                        .join(";"),
                    d.techniques
                        .iter()
                        .map(|t| t.id.as_str())
                        .collect::<Vec<_>>()
                        .join(";"),
                    d.event
                        .as_ref()
                        .map(|e| e.to_string())
                        .or_else(|| {
                            d.correlation
                                .as_ref()
                                .and_then(|c| serde_json::to_string(c).ok())
                        })
                        .unwrap_or_default(),
                ];
                writeln!(
                    out,
                    "{}",
                    row.iter()
                        .map(|c| csv_field(c))
                        .collect::<Vec<_>>()
                        .join(",")
                )?;
            }
        }
        OutputFormat::Table => {
            let header = ["TIMESTAMP", "LEVEL", "RULE", "COMPUTER", "SOURCE"];
            writeln!(
                out,
                "{:<25} {:<13} {:<60} {:<16} {}",
                header[0], header[1], header[2], header[3], header[4]
            )?;
            for d in ds {
                let src = match (&d.source, &d.correlation) {
                    (Some(s), _) => format!("{}#{}", s.file.display(), s.record_id),
                    (None, Some(c)) => {
                        format!("{} of {} events {:?}", c.kind, c.events.len(), c.group)
                    }
                    _ => String::new(),
                };
                writeln!(
                    out,
                    "{:<25} {:<13} {:<60} {:<16} {}",
                    d.timestamp
                        .map(|t| t.format("%Y-%m-%d %H:%M:%S%.3f").to_string())
                        .unwrap_or_else(|| "-".into()),
                    d.rule.level.unwrap_or("-"),
                    truncate(&d.rule.title, 60),
                    truncate(&computer(d), 16),
                    src
                )?;
            }
        }
    }
    Ok(())
}

fn computer(d: &Detection) -> String {
    d.event
        .as_ref()
        .and_then(|e| {
            // Windows, generic JSON, syslog/CEF/LEEF, CloudTrail.
            [
                "Computer",
                "host",
                "hostname",
                "dvchost",
                "recipientAccountId",
            ]
            .iter()
            .find_map(|k| e.get(*k).and_then(|v| v.as_str()))
        })
        .unwrap_or("")
        .to_string()
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        s.chars().take(n - 1).collect::<String>() + "…"
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn summary_text(ds: &[Detection]) -> String {
    let s = summarize(ds);
    let mut t = format!("summary: {} detections\n", s.detections);
    let section = |t: &mut String, name: &str, m: &BTreeMap<String, u64>| {
        t.push_str(&format!("by {name}:\n"));
        let mut v: Vec<_> = m.iter().collect();
        v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        for (k, n) in v {
            t.push_str(&format!("  {n:>7}  {k}\n"));
        }
    };
    section(&mut t, "level", &s.by_level);
    section(&mut t, "tactic", &s.by_tactic);
    section(&mut t, "technique", &s.by_technique);
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_arguments() {
        assert_eq!(
            parse_time_arg("2024-01-02").unwrap().to_rfc3339(),
            "2024-01-02T00:00:00+00:00"
        );
        assert_eq!(
            parse_time_arg("2024-01-02 03:04:05").unwrap().to_rfc3339(),
            "2024-01-02T03:04:05+00:00"
        );
        assert_eq!(
            parse_time_arg("2024-01-02T03:04:05+02:00")
                .unwrap()
                .to_rfc3339(),
            "2024-01-02T01:04:05+00:00"
        );
        assert!(parse_time_arg("yesterday").is_err());
    }

    #[test]
    fn csv_escaping() {
        assert_eq!(csv_field("a"), "a");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
