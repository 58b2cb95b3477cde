//! `mcpsec mcp serve --tenant T`: the platform exposed to agents. Beside the
//! offline checks of `mcpsec_mcp::serve` (`check_tools`, `check_config`,
//! `list_rules`) the server offers, for one tenant of the configured store:
//!
//! - `list_findings`: the tenant's vulnerability findings (filters: status,
//!   minimum severity, asset, component; newest risk first when asked);
//! - `list_alerts`: the tenant's detection alerts (minimum severity, rule,
//!   ATT&CK technique, entity, since);
//! - `scan_sbom`: scans an SBOM or lockfile passed as text against the
//!   vulnerability database in the store and returns the JSON report of
//!   `mcpsec scan --format json` (the same program run as a child process, so
//!   the contract is identical and the MCP stdio channel stays clean).
//!
//! All three are read-only. The tenant is fixed when the server starts: an
//! agent cannot name another one.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use mcpsec_core::TenantId;
use mcpsec_core::domain::{FindingStatus, Severity};
use mcpsec_core::store::{AlertFilter, FindingFilter, Page, Store};
use mcpsec_mcp::analyze::Analyzer;
use mcpsec_mcp::serve::PlatformServer;
use mcpsec_mcp::server::{McpHandler, RpcError, text_result};
use serde_json::{Value, json};

use crate::config::Config;

/// Largest SBOM accepted by `scan_sbom`.
const MAX_SBOM_BYTES: usize = 32 * 1024 * 1024;
/// Time allowed for one `scan_sbom`.
const SCAN_TIMEOUT: Duration = Duration::from_secs(120);
/// Records per list call at most.
const MAX_LIMIT: u32 = 500;

/// How to run `mcpsec scan` against the same store as this process.
#[derive(Debug, Clone)]
pub struct SelfInvocation {
    pub exe: PathBuf,
    /// `--config`/`--data-dir` as given to this process.
    pub global_args: Vec<String>,
}

/// The `mcp serve --tenant` handler.
pub struct PlatformTools {
    checks: PlatformServer,
    store: Arc<dyn Store>,
    tenant: TenantId,
    scanner: SelfInvocation,
}

impl PlatformTools {
    pub fn new(
        checks: PlatformServer,
        store: Arc<dyn Store>,
        tenant: TenantId,
        scanner: SelfInvocation,
    ) -> PlatformTools {
        PlatformTools {
            checks,
            store,
            tenant,
            scanner,
        }
    }

    async fn list_findings(&self, args: &Value) -> Result<Value, RpcError> {
        let filter = FindingFilter {
            asset_id: opt_str(args, "asset_id"),
            status: opt_enum::<FindingStatus>(args, "status")?,
            min_severity: opt_enum::<Severity>(args, "min_severity")?,
            component: opt_str(args, "component"),
            page: page(args)?,
            ..Default::default()
        };
        let items = self
            .store
            .list_findings(&self.tenant, &filter)
            .await
            .map_err(|e| internal(format!("reading findings: {e}")))?;
        Ok(json_result(
            &json!({"tenant": self.tenant, "findings": items}),
        ))
    }

    async fn list_alerts(&self, args: &Value) -> Result<Value, RpcError> {
        let since = match opt_str(args, "since") {
            Some(s) => Some(
                chrono::DateTime::parse_from_rfc3339(&s)
                    .map_err(|e| RpcError::invalid_params(format!("since {s:?}: {e}")))?
                    .to_utc(),
            ),
            None => None,
        };
        let filter = AlertFilter {
            rule_id: opt_str(args, "rule_id"),
            technique: opt_str(args, "technique"),
            min_severity: opt_enum::<Severity>(args, "min_severity")?,
            entity: opt_str(args, "entity"),
            since,
            page: page(args)?,
        };
        let items = self
            .store
            .list_alerts(&self.tenant, &filter)
            .await
            .map_err(|e| internal(format!("reading alerts: {e}")))?;
        Ok(json_result(
            &json!({"tenant": self.tenant, "alerts": items}),
        ))
    }

    async fn scan_sbom(&self, args: &Value) -> Result<Value, RpcError> {
        let Some(text) = args["sbom"].as_str() else {
            return Err(RpcError::invalid_params("`sbom` must be a string"));
        };
        if text.len() > MAX_SBOM_BYTES {
            return Ok(text_result(
                format!(
                    "SBOM of {} bytes is over the {MAX_SBOM_BYTES}-byte limit",
                    text.len()
                ),
                true,
            ));
        }
        // The file name tells formats apart that content alone does not
        // (`requirements.txt`, `yarn.lock`, …); only its last component is used.
        let name = opt_str(args, "filename")
            .and_then(|n| {
                std::path::Path::new(&n)
                    .file_name()
                    .map(|f| f.to_string_lossy().into_owned())
            })
            .filter(|n| !n.is_empty() && n != "." && n != "..")
            .unwrap_or_else(|| "sbom.json".to_string());
        let dir = tempfile::tempdir().map_err(|e| internal(e.to_string()))?;
        let path = dir.path().join(&name);
        std::fs::write(&path, text).map_err(|e| internal(e.to_string()))?;
        let mut cmd = tokio::process::Command::new(&self.scanner.exe);
        cmd.args(&self.scanner.global_args)
            .arg("scan")
            .arg(&path)
            .args(["--format", "json"])
            .stdin(std::process::Stdio::null())
            .kill_on_drop(true);
        let out = match tokio::time::timeout(SCAN_TIMEOUT, cmd.output()).await {
            Ok(r) => r.map_err(|e| internal(format!("running mcpsec scan: {e}")))?,
            Err(_) => {
                return Ok(text_result(
                    format!("scan timed out after {} s", SCAN_TIMEOUT.as_secs()),
                    true,
                ));
            }
        };
        if !out.status.success() {
            let err = String::from_utf8_lossy(&out.stderr);
            let last = err
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("");
            return Ok(text_result(format!("scan failed: {last}"), true));
        }
        let report: Value = serde_json::from_slice(&out.stdout)
            .map_err(|e| internal(format!("scan output: {e}")))?;
        Ok(json_result(&report))
    }
}

fn internal(message: impl Into<String>) -> RpcError {
    RpcError {
        code: -32603,
        message: message.into(),
    }
}

fn json_result(v: &Value) -> Value {
    text_result(
        serde_json::to_string_pretty(v).unwrap_or_else(|e| e.to_string()),
        false,
    )
}

fn opt_str(args: &Value, key: &str) -> Option<String> {
    args.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn opt_enum<T: serde::de::DeserializeOwned>(
    args: &Value,
    key: &str,
) -> Result<Option<T>, RpcError> {
    match args.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => serde_json::from_value(v.clone())
            .map(Some)
            .map_err(|e| RpcError::invalid_params(format!("{key}: {e}"))),
    }
}

fn page(args: &Value) -> Result<Page, RpcError> {
    let limit = match args.get("limit") {
        None | Some(Value::Null) => 50,
        Some(v) => v
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| RpcError::invalid_params(format!("limit: 1 to {MAX_LIMIT}")))?,
    };
    Ok(Page {
        after: opt_str(args, "after"),
        limit,
    })
}

fn severity_schema() -> Value {
    json!({"type": "string", "enum": ["info", "low", "medium", "high", "critical"]})
}

impl McpHandler for PlatformTools {
    fn server_info(&self) -> Value {
        self.checks.server_info()
    }

    fn instructions(&self) -> Option<String> {
        Some(format!(
            "{} Platform data of tenant {}: list_findings, list_alerts, and scan_sbom (an SBOM \
             or lockfile's text against the vulnerability database).",
            self.checks.instructions().unwrap_or_default(),
            self.tenant
        ))
    }

    fn tools(&self) -> Vec<Value> {
        let ro = json!({"readOnlyHint": true, "openWorldHint": false});
        let mut tools = self.checks.tools();
        tools.push(json!({
            "name": "list_findings",
            "title": "List vulnerability findings",
            "description": "The tenant's vulnerability findings, with component, vulnerability, \
                severity, status and risk. Page with `after` (the last id seen).",
            "inputSchema": {"type": "object", "properties": {
                "status": {"type": "string", "enum": ["open", "triaged", "false_positive", "accepted_risk", "fixed"]},
                "min_severity": severity_schema(),
                "asset_id": {"type": "string"},
                "component": {"type": "string", "description": "purl, with or without version"},
                "limit": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
                "after": {"type": "string"}
            }},
            "annotations": ro
        }));
        tools.push(json!({
            "name": "list_alerts",
            "title": "List detection alerts",
            "description": "The tenant's detection alerts (Sigma rules and correlations) with \
                severity, entity and ATT&CK techniques.",
            "inputSchema": {"type": "object", "properties": {
                "min_severity": severity_schema(),
                "rule_id": {"type": "string"},
                "technique": {"type": "string", "description": "ATT&CK id, e.g. T1059 (sub-techniques included)"},
                "entity": {"type": "string", "description": "host:NAME or user:NAME"},
                "since": {"type": "string", "format": "date-time"},
                "limit": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
                "after": {"type": "string"}
            }},
            "annotations": ro
        }));
        tools.push(json!({
            "name": "scan_sbom",
            "title": "Scan an SBOM for vulnerabilities",
            "description": "Match an SBOM (CycloneDX, SPDX) or lockfile, given as text, against \
                the platform's vulnerability database. Returns the JSON report of \
                `mcpsec scan --format json` (findings with severity, fix versions, KEV, EPSS, risk).",
            "inputSchema": {"type": "object", "properties": {
                "sbom": {"type": "string", "description": "The document's text"},
                "filename": {"type": "string", "description": "Its file name when the format depends on it (package-lock.json, yarn.lock, requirements.txt, bom.spdx, …); default sbom.json"}
            }, "required": ["sbom"]},
            "annotations": ro
        }));
        tools
    }

    fn call_tool(&self, name: &str, args: &Value) -> Result<Value, RpcError> {
        let run = |fut: std::pin::Pin<Box<dyn std::future::Future<Output = _> + Send + '_>>| {
            tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(fut))
        };
        match name {
            "list_findings" => run(Box::pin(self.list_findings(args))),
            "list_alerts" => run(Box::pin(self.list_alerts(args))),
            "scan_sbom" => run(Box::pin(self.scan_sbom(args))),
            _ => self.checks.call_tool(name, args),
        }
    }
}

/// Runs `mcp serve --tenant`: stdio, or streamable HTTP at `listen`.
pub fn serve(
    cfg: Config,
    scanner: SelfInvocation,
    tenant: &str,
    listen: Option<&str>,
    analyzer: Analyzer,
) -> anyhow::Result<()> {
    crate::mcp_proxy::init_stderr_logs();
    let tenant = TenantId::new(tenant).with_context(|| format!("--tenant {tenant:?}"))?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let store = crate::backends::build_store(&cfg).await?;
        if store.get_tenant(&tenant).await?.is_none() {
            anyhow::bail!("--tenant {tenant}: no such tenant in the store");
        }
        let h = Arc::new(PlatformTools::new(
            PlatformServer::new(analyzer),
            store,
            tenant,
            scanner,
        ));
        match listen {
            Some(addr) => {
                let listener = tokio::net::TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("listening on {addr}"))?;
                eprintln!("mcpsec MCP server on http://{}/mcp", listener.local_addr()?);
                axum::serve(listener, mcpsec_mcp::server::http_router(h, "/mcp")).await?;
            }
            None => mcpsec_mcp::server::serve_stdio(h).await?,
        }
        Ok(())
    })
}
