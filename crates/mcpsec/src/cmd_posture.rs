//! `mcpsec posture …` and `mcpsec policy …`: scan infrastructure definitions
//! with Rego policies, evaluate compliance frameworks, run policy tests.
//! Needs no store or configuration; all logic is in `mcpsec-posture`.

use std::io::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use mcpsec_core::domain::Severity;
use mcpsec_posture::framework::{self, Framework};
use mcpsec_posture::inputs::{Target, image as img, load_paths};
use mcpsec_posture::policy::{PolicyMeta, PolicySet};
use mcpsec_posture::report::{self, Format};
use mcpsec_posture::scan::{ScanOptions, ScanReport, scan_targets};

#[derive(Debug, Clone, Copy, ValueEnum)]
enum OutFormat {
    Table,
    Json,
    Sarif,
    Junit,
    Markdown,
}

impl From<OutFormat> for Format {
    fn from(f: OutFormat) -> Format {
        match f {
            OutFormat::Table => Format::Table,
            OutFormat::Json => Format::Json,
            OutFormat::Sarif => Format::Sarif,
            OutFormat::Junit => Format::Junit,
            OutFormat::Markdown => Format::Markdown,
        }
    }
}

#[derive(Debug, Args)]
struct PolicyArgs {
    /// Extra policy directory or `.rego` file (repeatable); a policy with the id of a built-in one replaces it.
    #[arg(long = "policies", value_name = "DIR")]
    policies: Vec<PathBuf>,
    /// Do not load the built-in policy pack.
    #[arg(long)]
    no_builtin: bool,
    /// Time limit of one policy evaluation, in milliseconds.
    #[arg(long, default_value_t = 2000)]
    eval_timeout_ms: u64,
}

#[derive(Debug, Args)]
pub struct PostureArgs {
    #[command(subcommand)]
    command: PostureCommand,
}

#[derive(Debug, Subcommand)]
enum PostureCommand {
    /// Scan Kubernetes manifests, Dockerfiles, Terraform, GitHub Actions and GitLab CI
    /// pipelines, AWS/Azure/GCP inventory exports, and container images (`docker save`
    /// tarballs, OCI archives or layout directories).
    Scan {
        /// Files or directories.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        policy: PolicyArgs,
        /// Evaluate a compliance framework (built-in id or YAML file; repeatable).
        #[arg(long = "framework", value_name = "NAME")]
        frameworks: Vec<String>,
        #[arg(long, value_enum, default_value = "table")]
        format: OutFormat,
        /// Exit with status 1 when a finding is at least this severe.
        #[arg(long, value_name = "SEVERITY")]
        fail_on: Option<Severity>,
        /// Worker threads (default: available cores).
        #[arg(long)]
        threads: Option<usize>,
    },
    /// List the checks of the policy pack.
    Checks {
        #[command(flatten)]
        policy: PolicyArgs,
        #[arg(long, value_enum, default_value = "table")]
        format: OutFormat,
    },
    /// List the built-in compliance frameworks.
    Frameworks,
}

#[derive(Debug, Args)]
pub struct PolicyCmdArgs {
    #[command(subcommand)]
    command: PolicyCommand,
}

#[derive(Debug, Subcommand)]
enum PolicyCommand {
    /// Run the `test_*` rules of the Rego files under DIR (like `opa test`).
    Test {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Only tests whose name contains this text.
        #[arg(long)]
        run: Option<String>,
        /// Time limit of one test, in milliseconds.
        #[arg(long, default_value_t = 5000)]
        timeout_ms: u64,
        /// Print passing tests too.
        #[arg(short, long)]
        verbose: bool,
    },
}

/// Reads a container image with the vulnerability capability's image reader
/// into the posture input document.
fn image_target(path: &std::path::Path) -> Result<Target, mcpsec_vuln::image::ImageError> {
    let c = mcpsec_vuln::image::read_image_contents(path, &img::wants_content)?;
    let facts = img::ImageFacts {
        name: c
            .info
            .repo_tags
            .first()
            .cloned()
            .unwrap_or_else(|| path.display().to_string()),
        format: c.info.format.clone(),
        config: img::ConfigFacts {
            present: c.config.present,
            user: c.config.user,
            env: c.config.env,
            exposed_ports: c.config.exposed_ports,
            entrypoint: c.config.entrypoint,
            cmd: c.config.cmd,
            history: c
                .config
                .history
                .into_iter()
                .map(|h| (h.created_by, h.empty_layer))
                .collect(),
        },
        files: c
            .entries
            .into_iter()
            .map(|e| img::FileFacts {
                path: e.path,
                size: e.size,
                mode: e.mode,
                kind: e.kind.to_string(),
                content: e.content,
            })
            .collect(),
        truncated: c.truncated,
    };
    Ok(img::target(
        &path.display().to_string(),
        img::document(&facts),
    ))
}

/// Like `scan_paths`, with image tarballs and OCI layout directories among
/// the paths read as container images.
fn scan_with_images(
    pack: &mcpsec_posture::CompiledPack,
    paths: &[PathBuf],
    opts: &ScanOptions,
) -> ScanReport {
    let start = std::time::Instant::now();
    let (images, rest): (Vec<PathBuf>, Vec<PathBuf>) = paths.iter().cloned().partition(|p| {
        if p.is_dir() {
            mcpsec_vuln::image::is_oci_dir(p)
        } else {
            mcpsec_vuln::image::is_tarball(p)
        }
    });
    let mut loaded = load_paths(&rest);
    for p in &images {
        loaded.files += 1;
        match image_target(p) {
            Ok(t) => {
                tracing::info!(image = %p.display(), "container image read");
                loaded.targets.push(t);
            }
            Err(e) => loaded.errors.push(mcpsec_posture::InputError {
                file: p.display().to_string(),
                reason: format!("container image: {e}"),
            }),
        }
    }
    let mut report = scan_targets(pack, &loaded.targets, opts);
    report.files = loaded.files;
    report.input_errors = loaded.errors;
    report.input_warnings = loaded.warnings;
    report.duration_ms = start.elapsed().as_millis() as u64;
    report
}

fn policy_set(args: &PolicyArgs) -> anyhow::Result<PolicySet> {
    let mut set = if args.no_builtin {
        PolicySet::empty()
    } else {
        PolicySet::builtin()
    };
    for d in &args.policies {
        set.load_dir(d)
            .with_context(|| format!("reading policies from {}", d.display()))?;
    }
    Ok(set)
}

pub fn posture(args: &PostureArgs) -> anyhow::Result<()> {
    match &args.command {
        PostureCommand::Scan {
            paths,
            policy,
            frameworks,
            format,
            fail_on,
            threads,
        } => {
            let pack = policy_set(policy)?.compile(Duration::from_millis(policy.eval_timeout_ms));
            for e in &pack.errors {
                eprintln!("warning: policy skipped: {e}");
            }
            let mut opts = ScanOptions {
                timeout: Duration::from_millis(policy.eval_timeout_ms),
                ..ScanOptions::default()
            };
            if let Some(t) = threads {
                opts.threads = *t;
            }
            let report = scan_with_images(&pack, paths, &opts);
            let metas: Vec<PolicyMeta> = pack.metas().cloned().collect();
            let mut fw_reports = Vec::new();
            for name in frameworks {
                let mut fw = Framework::resolve(name)?;
                fw.merge_policy_mappings(metas.iter());
                fw_reports.push(framework::evaluate(&fw, &report));
            }
            let text = report::render(&report, &fw_reports, &metas, (*format).into());
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(text.as_bytes())?;
            stdout.flush()?;
            if let (Some(min), Some(max)) = (fail_on, report.max_severity())
                && max >= *min
            {
                eprintln!("failing: a finding is {max} (--fail-on {min})");
                std::process::exit(1);
            }
            Ok(())
        }
        PostureCommand::Checks { policy, format } => {
            let set = policy_set(policy)?;
            for e in &set.errors {
                eprintln!("warning: policy skipped: {e}");
            }
            match format {
                OutFormat::Table | OutFormat::Markdown => {
                    for p in &set.policies {
                        let m = &p.meta;
                        println!("{}\t{}\t{}\t{}", m.id, m.severity, m.input, m.title);
                    }
                    println!("{} check(s)", set.policies.len());
                }
                _ => {
                    let metas: Vec<&PolicyMeta> = set.policies.iter().map(|p| &p.meta).collect();
                    println!("{}", serde_json::to_string_pretty(&metas)?);
                }
            }
            Ok(())
        }
        PostureCommand::Frameworks => {
            for f in Framework::builtin() {
                let mapped = f.controls.iter().filter(|c| !c.checks.is_empty()).count();
                println!(
                    "{}\t{}\t{} control(s), {} mapped to checks",
                    f.id,
                    f.title,
                    f.controls.len(),
                    mapped
                );
            }
            Ok(())
        }
    }
}

pub fn policy(args: &PolicyCmdArgs) -> anyhow::Result<()> {
    match &args.command {
        PolicyCommand::Test {
            paths,
            run,
            timeout_ms,
            verbose,
        } => {
            let r = mcpsec_posture::ptest::run(
                paths,
                Duration::from_millis(*timeout_ms),
                run.as_deref(),
            )?;
            for (f, e) in &r.load_errors {
                println!("ERROR  {f}: {e}");
            }
            let mut failed = 0;
            for t in &r.results {
                let ok = t.status == mcpsec_posture::ptest::TestStatus::Pass;
                if !ok {
                    failed += 1;
                }
                if !ok || *verbose {
                    println!(
                        "{:<5}  {} ({}) {}µs{}",
                        match t.status {
                            mcpsec_posture::ptest::TestStatus::Pass => "PASS",
                            mcpsec_posture::ptest::TestStatus::Fail => "FAIL",
                            mcpsec_posture::ptest::TestStatus::Error => "ERROR",
                        },
                        t.name,
                        t.file,
                        t.duration_us,
                        t.message
                            .as_deref()
                            .map(|m| format!(": {m}"))
                            .unwrap_or_default()
                    );
                }
            }
            println!(
                "{} passed, {} failed, {} file error(s)",
                r.results.len() - failed,
                failed,
                r.load_errors.len()
            );
            if !r.ok() {
                std::process::exit(1);
            }
            Ok(())
        }
    }
}
