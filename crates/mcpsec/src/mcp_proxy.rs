//! `mcpsec mcp proxy` and `mcpsec mcp serve`: runtime wiring of the guard
//! proxy and the MCP server of `mcpsec-mcp`. Logs go to stderr (stdout is the
//! MCP channel for stdio).

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, bail};
use mcpsec_mcp::Analyzer;
use mcpsec_mcp::pin::PinFile;
use mcpsec_mcp::proxy::{
    Guard, HttpProxy, Policy, http_router, post_events, run_stdio, submit_inventories,
};
use mcpsec_mcp::serve::PlatformServer;

pub(crate) fn init_stderr_logs() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("MCPSEC_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .try_init();
}

pub fn load_policy(path: &Path) -> anyhow::Result<Policy> {
    Ok(Policy::load(path)?)
}

#[allow(clippy::too_many_arguments)]
pub fn run(
    policy_path: &Path,
    server: &str,
    pins: Option<&Path>,
    listen: Option<&str>,
    upstream: Option<&str>,
    platform: Option<&str>,
    api_key: Option<&str>,
    tenant: &str,
    analyzer: Analyzer,
    command: &[String],
) -> anyhow::Result<()> {
    init_stderr_logs();
    let policy = load_policy(policy_path)?;
    // Pins: --pins, else the policy's `tools_list.pins` relative to the policy file.
    let pins_path = pins.map(Path::to_path_buf).or_else(|| {
        policy.tools_list.pins.as_ref().map(|p| {
            policy_path
                .parent()
                .map(|d| d.join(p))
                .unwrap_or_else(|| p.clone())
        })
    });
    let pins = match pins_path {
        Some(p) => Some(PinFile::load(&p).with_context(|| format!("pins {}", p.display()))?),
        None => None,
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let mut guard = Guard::new(server, policy, analyzer, pins);
        let mut inventories = None;
        let poster = match (platform, api_key) {
            (Some(url), Some(key)) => {
                let (tx, rx) = tokio::sync::mpsc::channel(10_000);
                // The server's lists go to the platform's inventories too.
                let (g, feed) = guard.with_events(tx).with_inventory_submission();
                guard = g;
                inventories = Some(tokio::spawn(submit_inventories(
                    feed,
                    url.to_string(),
                    key.to_string(),
                    tenant.to_string(),
                )));
                Some(tokio::spawn(post_events(
                    rx,
                    url.to_string(),
                    key.to_string(),
                    tenant.to_string(),
                )))
            }
            _ => None,
        };
        let guard = Arc::new(guard);
        match (listen, upstream) {
            (Some(addr), Some(up)) => {
                let listener = tokio::net::TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("listening on {addr}"))?;
                tracing::info!(addr = %listener.local_addr()?, upstream = up, "mcp proxy listening");
                eprintln!(
                    "mcpsec mcp proxy listening on http://{}/mcp -> {up}",
                    listener.local_addr()?
                );
                let state = HttpProxy::new(guard, up).map_err(anyhow::Error::msg)?;
                axum::serve(listener, http_router(state)).await?;
            }
            _ => {
                let Some((cmd, args)) = command.split_first() else {
                    bail!("give the server to start after `--`, or --listen ADDR --upstream URL");
                };
                let status = run_stdio(
                    guard,
                    cmd.clone(),
                    args.to_vec(),
                    tokio::io::stdin(),
                    tokio::io::stdout(),
                )
                .await
                .with_context(|| format!("starting `{cmd}`"))?;
                tracing::info!(status = ?status, "proxied server exited");
            }
        }
        if let Some(p) = poster {
            // The guard (and its sender) is gone: the poster flushes and ends.
            let _ = tokio::time::timeout(std::time::Duration::from_secs(5), p).await;
        }
        if let Some(p) = inventories {
            let _ = tokio::time::timeout(std::time::Duration::from_secs(5), p).await;
        }
        Ok(())
    })
}

pub fn serve(analyzer: Analyzer, listen: Option<&str>) -> anyhow::Result<()> {
    init_stderr_logs();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let h = Arc::new(PlatformServer::new(analyzer));
    rt.block_on(async move {
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
