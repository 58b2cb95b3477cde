//! `mcpsec scan`, `mcpsec sbom`, `mcpsec ingest` and `mcpsec db`:
//! supply-chain scanning of SBOMs, lockfiles and directories against OSV
//! data — from files (`--osv`, no store needed) or from the vulnerability
//! database in the store (`mcpsec db import`) — scanner-report ingest, VEX
//! and ignore files, and the outputs.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use mcpsec_core::domain::Severity;
use mcpsec_core::store::Store;
use mcpsec_vuln::feeds::{self, Batch, FeedReader};
use mcpsec_vuln::inputs::{self, Collected};
use mcpsec_vuln::osv::{OsvDatabase, OsvSeverity};
use mcpsec_vuln::scan::{self, Criticality, Enrichment, Epss, Finding, Kev, ScanReport};
use mcpsec_vuln::{output, reports, sbom, vex};

use crate::config::Config;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScanFormat {
    Table,
    Json,
    Sarif,
    Junit,
    Cyclonedx,
    Openvex,
    Markdown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
pub enum FailOn {
    Low,
    Medium,
    High,
    Critical,
}

impl FailOn {
    fn severity(self) -> Severity {
        match self {
            FailOn::Low => Severity::Low,
            FailOn::Medium => Severity::Medium,
            FailOn::High => Severity::High,
            FailOn::Critical => Severity::Critical,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CriticalityArg {
    Low,
    Medium,
    High,
    Critical,
}

impl From<CriticalityArg> for Criticality {
    fn from(c: CriticalityArg) -> Criticality {
        match c {
            CriticalityArg::Low => Criticality::Low,
            CriticalityArg::Medium => Criticality::Medium,
            CriticalityArg::High => Criticality::High,
            CriticalityArg::Critical => Criticality::Critical,
        }
    }
}

/// Options shared by `scan` and `ingest`: data, enrichment, VEX, output.
#[derive(Debug, Args)]
pub struct ReportOpts {
    /// OSV data: a directory of OSV JSON records, an OSV `all.zip`, or a JSON
    /// file (repeatable). Without it, the store's database is used (`mcpsec db import`).
    #[arg(long = "osv")]
    pub osv: Vec<PathBuf>,
    /// CISA KEV catalog JSON, to flag known-exploited vulnerabilities.
    #[arg(long)]
    pub kev: Option<PathBuf>,
    /// EPSS scores CSV (optionally gzipped).
    #[arg(long)]
    pub epss: Option<PathBuf>,
    /// OpenVEX or CycloneDX VEX document to apply (repeatable).
    #[arg(long)]
    pub vex: Vec<PathBuf>,
    /// Ignore file (default: `.mcpsec-ignore.yaml` in the current directory,
    /// or in the scanned directory, when it exists).
    #[arg(long)]
    pub ignore_file: Option<PathBuf>,
    /// Also list suppressed findings (VEX not_affected/fixed, ignored), with their justification.
    #[arg(long)]
    pub show_suppressed: bool,
    /// How critical the scanned asset is; scales the risk score.
    #[arg(long, value_enum, default_value = "medium")]
    pub criticality: CriticalityArg,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: ScanFormat,
    /// Exit with status 1 when an unsuppressed finding has at least this severity.
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,
    /// Only report findings that have a fixed version.
    #[arg(long)]
    pub only_fixed: bool,
}

/// Scan an SBOM, a lockfile or a directory for known vulnerabilities.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// SBOM (CycloneDX JSON/XML, SPDX 2 JSON/tag-value, SPDX 3 JSON-LD), lockfile, or directory to walk.
    pub path: PathBuf,
    #[command(flatten)]
    pub opts: ReportOpts,
}

/// Normalise scanner reports (Trivy, Grype, SARIF, CycloneDX, osv-scanner,
/// Dependency-Track) into mcpsec findings, deduplicated (with a native scan
/// when `--scan` is given).
#[derive(Debug, Args)]
pub struct IngestArgs {
    /// Report files, or directories walked for `*.json` / `*.sarif` reports.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Also scan this SBOM, lockfile or directory natively and merge.
    #[arg(long)]
    pub scan: Option<PathBuf>,
    #[command(flatten)]
    pub opts: ReportOpts,
}

impl IngestArgs {
    /// Whether the command needs the store (a native scan without `--osv`).
    pub fn needs_store(&self) -> bool {
        self.scan.is_some() && self.opts.osv.is_empty()
    }
}

/// The vulnerability database in the store.
#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Import OSV (directory, all.zip, JSON), CISA KEV JSON, EPSS CSV and NVD
    /// CVE JSON 2.0 files (the kind is detected from the content); incremental.
    Import {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Records per store transaction.
        #[arg(long, default_value_t = 1000)]
        batch: usize,
    },
    /// Counts per source and ecosystem, and the age of the data.
    Status {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SbomFormatArg {
    Cyclonedx,
    Spdx,
}

/// Write the SBOM of what mcpsec finds in PATH.
#[derive(Debug, Args)]
pub struct SbomArgs {
    /// SBOM, lockfile or directory.
    pub path: PathBuf,
    /// Output SBOM format.
    #[arg(long, value_enum, default_value = "cyclonedx")]
    pub format: SbomFormatArg,
    /// Write to this file instead of standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
}

fn collect(path: &Path) -> anyhow::Result<Collected> {
    let c = inputs::collect(path)?;
    for e in &c.errors {
        eprintln!("warning: skipped {}: {}", e.path, e.error);
    }
    if let Some(i) = &c.image {
        eprintln!(
            "image: {} with {} layer(s){}",
            i.format,
            i.layers,
            if i.repo_tags.is_empty() {
                String::new()
            } else {
                format!(" ({})", i.repo_tags.join(", "))
            }
        );
    }
    if let Some(d) = &c.distro {
        eprintln!(
            "distribution: {} (OSV ecosystem {})",
            d.pretty_name.as_deref().unwrap_or(&d.id),
            d.osv_ecosystem().as_deref().unwrap_or("unknown")
        );
    }
    Ok(c)
}

/// Matching data from files (`--osv`, `--kev`, `--epss`).
fn load_files(opts: &ReportOpts) -> anyhow::Result<(OsvDatabase, Option<Kev>, Option<Epss>)> {
    let db = OsvDatabase::load_paths(&opts.osv).context("loading OSV data")?;
    for r in db.rejected.iter().take(20) {
        eprintln!("warning: OSV record skipped: {}: {}", r.source, r.reason);
    }
    if db.rejected.len() > 20 {
        eprintln!(
            "warning: … and {} more OSV records skipped",
            db.rejected.len() - 20
        );
    }
    let (kev, epss) = load_enrichment_files(opts)?;
    Ok((db, kev, epss))
}

fn load_enrichment_files(opts: &ReportOpts) -> anyhow::Result<(Option<Kev>, Option<Epss>)> {
    let kev = match &opts.kev {
        Some(p) => Some(Kev::load(p)?),
        None => None,
    };
    let epss = match &opts.epss {
        Some(p) => {
            let (e, bad) = Epss::load(p)?;
            for b in bad.iter().take(5) {
                eprintln!("warning: {}: {b}", p.display());
            }
            Some(e)
        }
        None => None,
    };
    Ok((kev, epss))
}

/// A native scan's result with what enrichment needs.
struct Native {
    collected: Collected,
    report: ScanReport,
    records: usize,
    kev: Option<Kev>,
    epss: Option<Epss>,
    nvd: HashMap<String, Vec<OsvSeverity>>,
}

fn native_from_files(path: &Path, opts: &ReportOpts) -> anyhow::Result<Native> {
    let collected = collect(path)?;
    let (db, kev, epss) = load_files(opts)?;
    let report = scan::scan(&collected.components, &db, None);
    Ok(Native {
        collected,
        report,
        records: db.records.len(),
        kev,
        epss,
        nvd: HashMap::new(),
    })
}

/// Loads only the advisories of the components' packages from the store,
/// matches, then looks up KEV, EPSS and NVD CVSS of the findings' CVEs.
async fn native_from_store(
    store: &dyn Store,
    path: &Path,
    opts: &ReportOpts,
) -> anyhow::Result<Native> {
    let collected = collect(path)?;
    let status = store.vulndb_status().await?;
    if status.advisories.iter().all(|s| s.source != "osv") {
        anyhow::bail!(
            "the vulnerability database in the store has no OSV advisories: run `mcpsec db import` \
             or pass --osv"
        );
    }
    let keys = feeds::package_keys(&collected.components);
    let recs = store
        .advisories_for_packages(&keys)
        .await
        .context("reading advisories from the store")?;
    let db = feeds::database_from_advisories(&recs);
    for r in db.rejected.iter().take(20) {
        eprintln!(
            "warning: stored advisory skipped: {}: {}",
            r.source, r.reason
        );
    }
    let report = scan::scan(&collected.components, &db, None);
    let (kev_file, epss_file) = load_enrichment_files(opts)?;
    let mut cves: Vec<String> = report
        .findings
        .iter()
        .flat_map(|f| f.ids().map(str::to_string).collect::<Vec<_>>())
        .filter(|i| i.starts_with("CVE-"))
        .collect();
    cves.sort();
    cves.dedup();
    let nvd = feeds::nvd_cvss(&store.advisories_by_id(&cves).await?);
    let mut kev = Kev::from_entries(&store.kev_entries(&cves).await?);
    if let Some(k) = kev_file {
        kev.cves.extend(k.cves);
    }
    let mut epss = Epss::from_scores(&store.epss_scores(&cves).await?);
    if let Some(e) = epss_file {
        epss.scores.extend(e.scores);
    }
    Ok(Native {
        collected,
        report,
        records: recs.len(),
        kev: Some(kev),
        epss: Some(epss),
        nvd,
    })
}

/// `mcpsec scan` with `--osv` (no store).
pub fn scan(args: &ScanArgs) -> anyhow::Result<()> {
    let native = native_from_files(&args.path, &args.opts)?;
    finish(&args.opts, Some(&args.path), native, Vec::new())
}

/// `mcpsec scan` against the store's database.
pub async fn scan_with_store(cfg: &Config, args: &ScanArgs) -> anyhow::Result<()> {
    let store = crate::backends::build_store(cfg).await?;
    let native = native_from_store(store.as_ref(), &args.path, &args.opts).await?;
    finish(&args.opts, Some(&args.path), native, Vec::new())
}

/// Reads report files (directories walked for `*.json`, `*.sarif`).
fn read_reports(
    paths: &[PathBuf],
) -> anyhow::Result<(
    Vec<Finding>,
    Vec<inputs::InputFile>,
    Vec<inputs::InputError>,
)> {
    let mut files = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).with_context(|| format!("{}", p.display()))?;
        if meta.is_dir() {
            let mut found = Vec::new();
            walk_reports(p, &mut found);
            found.sort();
            files.extend(found.into_iter().map(|f| (f, false)));
        } else {
            files.push((p.clone(), true));
        }
    }
    let mut findings = Vec::new();
    let mut read = Vec::new();
    let mut errors = Vec::new();
    for (f, explicit) in files {
        let name = f.display().to_string();
        let parsed = std::fs::read(&f)
            .map_err(|e| e.to_string())
            .and_then(|b| reports::parse(&b).map_err(|e| e.to_string()));
        match parsed {
            Ok(r) => {
                for s in r.skipped.iter().take(5) {
                    eprintln!("warning: {name}: skipped {s}");
                }
                read.push(inputs::InputFile {
                    path: name,
                    format: format!("{:?}", r.format),
                    components: r.findings.len(),
                });
                let folded = reports::merge(&mut findings, r.findings);
                if folded > 0 {
                    eprintln!("{folded} duplicate finding(s) merged");
                }
            }
            Err(e) => {
                eprintln!("warning: skipped {name}: {e}");
                errors.push(inputs::InputError {
                    path: name,
                    error: e,
                });
                if explicit && paths.len() == 1 {
                    anyhow::bail!("{}: {}", f.display(), errors[0].error);
                }
            }
        }
    }
    Ok((findings, read, errors))
}

fn walk_reports(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let Ok(ft) = e.file_type() else { continue };
        let p = e.path();
        if ft.is_dir() {
            walk_reports(&p, out);
        } else if ft.is_file() {
            let n = e.file_name().to_string_lossy().to_ascii_lowercase();
            if n.ends_with(".json") || n.ends_with(".sarif") || n.ends_with(".xml") {
                out.push(p);
            }
        }
    }
}

/// `mcpsec ingest` (optionally with a native scan from `--osv` or the store).
pub async fn ingest(store: Option<&dyn Store>, args: &IngestArgs) -> anyhow::Result<()> {
    let (ingested, files, errors) = read_reports(&args.paths)?;
    let native = match (&args.scan, store) {
        (Some(p), Some(store)) if args.opts.osv.is_empty() => {
            native_from_store(store, p, &args.opts).await?
        }
        (Some(p), _) => native_from_files(p, &args.opts)?,
        (None, _) => {
            let (kev, epss) = load_enrichment_files(&args.opts)?;
            Native {
                collected: Collected::default(),
                report: ScanReport::default(),
                records: 0,
                kev,
                epss,
                nvd: HashMap::new(),
            }
        }
    };
    let mut native = native;
    native.collected.files.extend(files);
    native.collected.errors.extend(errors);
    finish(&args.opts, args.scan.as_deref(), native, ingested)
}

/// `mcpsec ingest` without the store.
pub fn ingest_offline(args: &IngestArgs) -> anyhow::Result<()> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(ingest(None, args))
}

/// The ignore file to use: `--ignore-file`, else `.mcpsec-ignore.yaml` in
/// the current directory, else in the scanned directory.
fn ignore_file(opts: &ReportOpts, scanned: Option<&Path>) -> Option<PathBuf> {
    if let Some(p) = &opts.ignore_file {
        return Some(p.clone());
    }
    let cwd = PathBuf::from(vex::IGNORE_FILE);
    if cwd.is_file() {
        return Some(cwd);
    }
    let dir = scanned?;
    let dir = if dir.is_dir() { dir } else { dir.parent()? };
    let p = dir.join(vex::IGNORE_FILE);
    p.is_file().then_some(p)
}

/// Merges ingested findings into the native ones, applies VEX and the
/// ignore file, enriches and scores, filters, prints, and exits 1 on `--fail-on`.
fn finish(
    opts: &ReportOpts,
    scanned: Option<&Path>,
    native: Native,
    ingested: Vec<Finding>,
) -> anyhow::Result<()> {
    let Native {
        collected,
        mut report,
        records,
        kev,
        epss,
        nvd,
    } = native;
    let from_reports = ingested.len();
    let folded = reports::merge(&mut report.findings, ingested);
    if folded > 0 {
        eprintln!("{folded} reported finding(s) merged with native matches");
    }
    // VEX, then the ignore file (a VEX suppression is not overridden).
    let mut statements = Vec::new();
    for p in &opts.vex {
        let doc = vex::load(p)?;
        for s in doc.skipped.iter().take(10) {
            eprintln!("warning: VEX: {s}");
        }
        statements.extend(doc.statements);
    }
    if !statements.is_empty() {
        let n = vex::apply_vex(&mut report.findings, &statements);
        eprintln!(
            "{n} finding(s) covered by {} VEX statement(s)",
            statements.len()
        );
    }
    if let Some(p) = ignore_file(opts, scanned) {
        let text =
            std::fs::read_to_string(&p).with_context(|| format!("reading {}", p.display()))?;
        let rules = vex::parse_ignore(&text, &p.display().to_string())?;
        let today = chrono::Utc::now().date_naive();
        let (n, expired) = vex::apply_ignore(
            &mut report.findings,
            &rules,
            &p.display().to_string(),
            today,
        );
        for r in expired {
            eprintln!(
                "warning: {}: ignore rule for {} expired on {}; it no longer applies",
                p.display(),
                r.id,
                r.expires.map(|d| d.to_string()).unwrap_or_default()
            );
        }
        if n > 0 {
            eprintln!("{n} finding(s) ignored by {}", p.display());
        }
    }
    scan::enrich(
        &mut report.findings,
        &Enrichment {
            kev: kev.as_ref(),
            epss: epss.as_ref(),
            nvd: Some(&nvd),
            criticality: opts.criticality.into(),
        },
    );
    if opts.only_fixed {
        report.findings.retain(|f| !f.fixed_versions.is_empty());
    }
    let suppressed = report
        .findings
        .iter()
        .filter(|f| f.suppression.is_some())
        .count();
    // OpenVEX states every finding; the other formats hide suppressed ones
    // unless asked.
    if !opts.show_suppressed && opts.format != ScanFormat::Openvex {
        report.findings.retain(|f| f.suppression.is_none());
    }
    eprintln!(
        "scanned {} components from {} file(s) against {} advisories; {} from reports: {} finding(s), {} suppressed",
        report.components_scanned,
        collected.files.len(),
        records,
        from_reports,
        report
            .findings
            .iter()
            .filter(|f| f.suppression.is_none())
            .count(),
        suppressed
    );
    let out = match opts.format {
        ScanFormat::Json => {
            serde_json::to_string_pretty(&json_report(&report, &collected, suppressed))? + "\n"
        }
        ScanFormat::Sarif => serde_json::to_string_pretty(&sarif(&report))? + "\n",
        ScanFormat::Markdown => markdown(&report),
        ScanFormat::Table => table(&report),
        ScanFormat::Junit => output::junit(&report.findings, report.components_scanned),
        ScanFormat::Cyclonedx => {
            serde_json::to_string_pretty(&output::cyclonedx(
                &report.findings,
                &collected.components,
            ))? + "\n"
        }
        ScanFormat::Openvex => {
            serde_json::to_string_pretty(&vex::to_openvex(
                &report.findings,
                "mcpsec",
                chrono::Utc::now(),
            ))? + "\n"
        }
    };
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(out.as_bytes())?;
    stdout.flush()?;
    if let Some(threshold) = opts.fail_on
        && report
            .findings
            .iter()
            .any(|f| f.suppression.is_none() && f.vulnerability.severity >= threshold.severity())
    {
        eprintln!("failing: findings at or above {:?}", threshold.severity());
        std::process::exit(1);
    }
    Ok(())
}

/// `mcpsec db import|status`.
pub async fn db(cfg: &Config, command: &DbCommand) -> anyhow::Result<()> {
    let store = crate::backends::build_store(cfg).await?;
    match command {
        DbCommand::Import { paths, batch } => import(store, paths, *batch).await,
        DbCommand::Status { json } => status(store.as_ref(), *json).await,
    }
}

async fn import(
    store: std::sync::Arc<dyn Store>,
    paths: &[PathBuf],
    batch: usize,
) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    // Files are read on a blocking thread; batches go to the store here.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Batch>(4);
    let paths_owned = paths.to_vec();
    let reader = tokio::task::spawn_blocking(move || {
        let mut sink = |b: Batch| {
            // The receiver only goes away on a store error, reported below.
            let _ = tx.blocking_send(b);
        };
        let mut r = FeedReader::new(batch, &mut sink);
        for p in &paths_owned {
            r.read_path(p);
        }
        r.flush();
        r.summary
    });
    let mut counts = mcpsec_core::vulndb::UpsertCounts::default();
    let (mut kev, mut epss) = (0u64, 0u64);
    // What changed, for `vulndb.updated` (published by the service).
    let mut ecosystems = std::collections::BTreeSet::new();
    let mut changed_ids: Vec<String> = Vec::new();
    let mut truncated = false;
    while let Some(b) = rx.recv().await {
        match b {
            Batch::Advisories(recs) => {
                let (c, changed) = store
                    .upsert_advisories_changed(&recs)
                    .await
                    .context("writing advisories")?;
                counts.add(c);
                if !changed.is_empty() {
                    let changed: std::collections::HashSet<&str> =
                        changed.iter().map(String::as_str).collect();
                    for r in recs.iter().filter(|r| changed.contains(r.id.as_str())) {
                        ecosystems.extend(
                            r.ecosystems
                                .iter()
                                .map(|e| e.split(':').next().unwrap_or(e).to_string()),
                        );
                        if changed_ids.len() < mcpsec_core::vulndb::VulnDbChange::MAX_IDS {
                            changed_ids.push(r.id.clone());
                        } else {
                            truncated = true;
                        }
                    }
                }
            }
            Batch::Kev(e) => kev += store.upsert_kev(&e).await.context("writing KEV")?,
            Batch::Epss(e) => epss += store.upsert_epss(&e).await.context("writing EPSS")?,
        }
    }
    let summary = reader.await?;
    changed_ids.sort();
    changed_ids.dedup();
    let change = mcpsec_core::vulndb::VulnDbChange {
        seq: 0,
        at: chrono::Utc::now(),
        ecosystems: ecosystems.into_iter().collect(),
        advisory_ids: changed_ids,
        truncated,
        kev_entries: kev,
        epss_scores: epss,
    };
    if !change.is_empty() {
        // A running service publishes it as `vulndb.updated` and re-matches
        // the affected projects of every tenant.
        store
            .record_vulndb_change(&change)
            .await
            .context("recording the database change")?;
    }
    for e in summary.errors.iter().take(50) {
        eprintln!("warning: skipped {}: {}", e.source, e.reason);
    }
    if summary.errors.len() > 50 {
        eprintln!("warning: … and {} more skipped", summary.errors.len() - 50);
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "read {} file(s): {} OSV records, {} NVD records, {} KEV entries, {} EPSS scores; {} skipped",
        summary.files,
        summary.osv_records,
        summary.nvd_records,
        summary.kev_entries,
        summary.epss_scores,
        summary.errors.len()
    );
    println!(
        "advisories: {} new, {} updated, {} unchanged; KEV {kev} written, EPSS {epss} written ({secs:.1}s)",
        counts.inserted, counts.updated, counts.unchanged
    );
    let total =
        summary.osv_records + summary.nvd_records + summary.kev_entries + summary.epss_scores;
    if total == 0 && !summary.errors.is_empty() {
        anyhow::bail!("nothing imported: every input was skipped");
    }
    Ok(())
}

async fn status(store: &dyn Store, as_json: bool) -> anyhow::Result<()> {
    let st = store.vulndb_status().await?;
    if as_json {
        println!("{}", serde_json::to_string_pretty(&st)?);
        return Ok(());
    }
    let now = chrono::Utc::now();
    let age = |t: Option<chrono::DateTime<chrono::Utc>>| match t {
        Some(t) => {
            let d = now.signed_duration_since(t);
            format!("{} ({} days ago)", t.format("%Y-%m-%d"), d.num_days())
        }
        None => "-".into(),
    };
    println!(
        "{:<8} {:<24} {:>10} {:>10}  NEWEST MODIFIED",
        "SOURCE", "ECOSYSTEM", "RECORDS", "WITHDRAWN"
    );
    for s in &st.advisories {
        println!(
            "{:<8} {:<24} {:>10} {:>10}  {}",
            s.source,
            if s.ecosystem.is_empty() {
                "-"
            } else {
                &s.ecosystem
            },
            s.records,
            s.withdrawn,
            age(s.newest_modified)
        );
    }
    if st.advisories.is_empty() {
        println!("(no advisories: run `mcpsec db import`)");
    }
    let day = |d: Option<chrono::NaiveDate>| {
        d.map(|d| {
            format!(
                "{d} ({} days ago)",
                now.date_naive().signed_duration_since(d).num_days()
            )
        })
        .unwrap_or_else(|| "-".into())
    };
    println!(
        "KEV:  {} entries, newest added {}",
        st.kev_entries,
        day(st.kev_newest_date_added)
    );
    println!(
        "EPSS: {} scores, score date {}",
        st.epss_scores,
        day(st.epss_newest_date)
    );
    Ok(())
}

/// `mcpsec sbom`.
pub fn sbom(args: &SbomArgs) -> anyhow::Result<()> {
    let collected = collect(&args.path)?;
    let doc = match args.format {
        SbomFormatArg::Cyclonedx => sbom::to_cyclonedx(&collected.components),
        SbomFormatArg::Spdx => {
            let name = args
                .path
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_else(|| "sbom".into());
            sbom::to_spdx(
                &collected.components,
                &name,
                &chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            )
        }
    };
    let text = serde_json::to_string_pretty(&doc)? + "\n";
    match &args.output {
        Some(p) => std::fs::write(p, text).with_context(|| format!("writing {}", p.display()))?,
        None => std::io::stdout().lock().write_all(text.as_bytes())?,
    }
    eprintln!(
        "{} components from {} file(s)",
        collected.components.len(),
        collected.files.len()
    );
    Ok(())
}

/// The JSON output contract (docs/supply-chain.md).
fn json_report(r: &ScanReport, c: &Collected, suppressed: usize) -> serde_json::Value {
    serde_json::json!({
        "findings": r.findings,
        "summary": {
            "components_scanned": r.components_scanned,
            "components_skipped": r.components_skipped,
            "findings": r.findings.iter().filter(|f| f.suppression.is_none()).count(),
            "suppressed": suppressed,
            "inputs": c.files,
            "input_errors": c.errors,
            "distro": c.distro,
            "image": c.image,
            "source_files": c.source_files,
        }
    })
}

fn fix_text(f: &Finding) -> String {
    match (&f.smallest_fix, f.fixed_versions.is_empty()) {
        (Some(v), _) => v.clone(),
        (None, false) => f.fixed_versions.join(", "),
        (None, true) => "-".into(),
    }
}

/// Suppression or VEX status, for the table.
fn note(f: &Finding) -> String {
    match (&f.suppression, &f.vex_status) {
        (Some(s), _) => format!(
            "suppressed ({} {}{})",
            s.kind,
            s.status,
            s.justification
                .as_ref()
                .or(s.statement.as_ref())
                .map(|j| format!(": {j}"))
                .unwrap_or_default()
        ),
        (None, Some(v)) => format!("vex: {v}"),
        _ => String::new(),
    }
}

fn table(r: &ScanReport) -> String {
    let mut rows = vec![[
        "SEVERITY".to_string(),
        "RISK".into(),
        "ID".into(),
        "PACKAGE".into(),
        "VERSION".into(),
        "FIX".into(),
        "KEV".into(),
        "EPSS".into(),
        "REACH".into(),
        "NOTE".into(),
    ]];
    for f in &r.findings {
        rows.push([
            f.vulnerability.severity.to_string(),
            format!("{:.1}", f.risk_score),
            f.vulnerability.id.clone(),
            format!("{} ({})", f.component.name, f.component.ecosystem),
            f.component.version.clone(),
            fix_text(f),
            if f.vulnerability.kev {
                "yes".into()
            } else {
                String::new()
            },
            f.vulnerability
                .epss
                .map(|e| format!("{:.3}", e.score))
                .unwrap_or_default(),
            f.reachability.label(),
            note(f),
        ]);
    }
    let mut widths = [0usize; 10];
    for row in &rows {
        for (i, c) in row.iter().enumerate() {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let mut out = String::new();
    for row in &rows {
        let line: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c:<w$}", w = widths[i]))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    if r.findings.is_empty() {
        out.push_str("no known vulnerabilities found\n");
    }
    out
}

fn markdown(r: &ScanReport) -> String {
    let mut out = String::from("# Vulnerability scan\n\n");
    out.push_str(&format!(
        "{} components scanned, {} findings.\n\n",
        r.components_scanned,
        r.findings.len()
    ));
    if r.findings.is_empty() {
        return out;
    }
    out.push_str("| Severity | Risk | ID | Package | Version | Fixed in | KEV |\n|---|---|---|---|---|---|---|\n");
    for f in &r.findings {
        out.push_str(&format!(
            "| {} | {:.1} | {} | {} ({}) | {} | {} | {} |\n",
            f.vulnerability.severity,
            f.risk_score,
            f.vulnerability.id,
            f.component.name.replace('|', "\\|"),
            f.component.ecosystem,
            f.component.version,
            fix_text(f),
            if f.vulnerability.kev { "yes" } else { "" }
        ));
    }
    out
}

fn sarif(r: &ScanReport) -> serde_json::Value {
    let level = |s: Severity| match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        _ => "note",
    };
    let mut rule_ids = std::collections::BTreeMap::new();
    for f in &r.findings {
        rule_ids.entry(f.vulnerability.id.clone()).or_insert_with(|| {
            serde_json::json!({
                "id": f.vulnerability.id,
                "shortDescription": { "text": f.vulnerability.summary.clone().unwrap_or_else(|| f.vulnerability.id.clone()) },
                "properties": { "security-severity": format!("{:.1}", f.risk_score), "aliases": f.vulnerability.aliases },
            })
        });
    }
    let results: Vec<serde_json::Value> = r
        .findings
        .iter()
        .map(|f| {
            serde_json::json!({
                "ruleId": f.vulnerability.id,
                "level": level(f.vulnerability.severity),
                "message": { "text": format!("{} {} is affected by {}; fixed in: {}", f.component.name, f.component.version, f.vulnerability.id, fix_text(f)) },
                "locations": [{ "logicalLocations": [{ "name": f.component.purl.clone().unwrap_or_else(|| f.component.name.clone()), "kind": "package" }] }],
                "properties": { "fixed_versions": f.fixed_versions, "kev": f.vulnerability.kev, "risk_score": f.risk_score, "sources": f.sources, "reachability": f.reachability },
                "suppressions": f.suppression.as_ref().map(|s| vec![serde_json::json!({
                    "kind": "external",
                    "status": "accepted",
                    "justification": format!("{} {}: {}", s.kind, s.status, s.justification.clone().or(s.statement.clone()).unwrap_or_default()),
                })]).unwrap_or_default(),
            })
        })
        .collect();
    serde_json::json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": { "name": "mcpsec", "informationUri": "https://github.com/mcpsec/mcpsec", "rules": rule_ids.into_values().collect::<Vec<_>>() } },
            "results": results,
        }],
    })
}
