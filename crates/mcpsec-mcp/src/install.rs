//! `mcpsec mcp install-proxy`: rewrite a client config so its stdio servers
//! are started through `mcpsec mcp proxy` (the original command follows `--`).

use std::path::Path;

use serde_json::{Map, Value};

use crate::text::strip_jsonc;

/// Result of a rewrite.
#[derive(Debug, Clone, PartialEq)]
pub struct Rewrite {
    /// The new config text (pretty JSON).
    pub text: String,
    /// Servers now routed through the proxy.
    pub proxied: Vec<String>,
    /// Servers left alone, with the reason.
    pub skipped: Vec<(String, String)>,
}

/// How the proxy is started.
#[derive(Debug, Clone)]
pub struct ProxyCommand {
    /// The mcpsec executable.
    pub exe: String,
    /// Policy file (absolute path recommended: clients start servers from anywhere).
    pub policy: String,
    /// Optional pin file.
    pub pins: Option<String>,
}

/// Rewrites config `text` (comments and trailing commas allowed). Server
/// maps: `mcpServers` (most clients), `servers` (VS Code `mcp.json`),
/// `mcp.servers` (VS Code settings), Claude Code's `projects.*.mcpServers`.
pub fn rewrite(text: &str, proxy: &ProxyCommand) -> Result<Rewrite, String> {
    let mut root: Value =
        serde_json::from_str(&strip_jsonc(text)).map_err(|e| format!("not valid JSON: {e}"))?;
    let mut proxied = Vec::new();
    let mut skipped = Vec::new();
    let mut maps: Vec<&mut Map<String, Value>> = Vec::new();
    let Some(obj) = root.as_object_mut() else {
        return Err("the config is not a JSON object".into());
    };
    let mut projects = None;
    let mut mcp_servers = None;
    let mut servers = None;
    let mut vscode = None;
    for (k, v) in obj.iter_mut() {
        match k.as_str() {
            "mcpServers" => mcp_servers = v.as_object_mut(),
            "servers" => servers = v.as_object_mut(),
            "mcp" => vscode = v.get_mut("servers").and_then(Value::as_object_mut),
            "projects" => projects = v.as_object_mut(),
            _ => {}
        }
    }
    maps.extend(mcp_servers);
    maps.extend(servers);
    maps.extend(vscode);
    if let Some(p) = projects {
        for proj in p.values_mut() {
            if let Some(m) = proj.get_mut("mcpServers").and_then(Value::as_object_mut) {
                maps.push(m);
            }
        }
    }
    if maps.is_empty() {
        return Err("no `mcpServers`, `servers` or `mcp.servers` map found".into());
    }
    for m in maps {
        for (name, s) in m.iter_mut() {
            let Some(s) = s.as_object_mut() else {
                skipped.push((name.clone(), "not an object".into()));
                continue;
            };
            let Some(cmd) = s.get("command").and_then(Value::as_str).map(str::to_string) else {
                skipped.push((
                    name.clone(),
                    "remote server: run `mcpsec mcp proxy --listen ADDR --upstream URL` \
                     and point the client at it"
                        .into(),
                ));
                continue;
            };
            let old_args: Vec<Value> = s
                .get("args")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            if cmd == proxy.exe
                && old_args.first().and_then(Value::as_str) == Some("mcp")
                && old_args.get(1).and_then(Value::as_str) == Some("proxy")
            {
                skipped.push((name.clone(), "already proxied".into()));
                continue;
            }
            let mut args: Vec<Value> = ["mcp", "proxy", "--policy", &proxy.policy]
                .iter()
                .map(|a| Value::String(a.to_string()))
                .collect();
            args.push("--server".into());
            args.push(name.clone().into());
            if let Some(p) = &proxy.pins {
                args.push("--pins".into());
                args.push(p.clone().into());
            }
            args.push("--".into());
            args.push(cmd.into());
            args.extend(old_args);
            s.insert("command".into(), proxy.exe.clone().into());
            s.insert("args".into(), Value::Array(args));
            proxied.push(name.clone());
        }
    }
    let text = serde_json::to_string_pretty(&root).map_err(|e| e.to_string())? + "\n";
    Ok(Rewrite {
        text,
        proxied,
        skipped,
    })
}

/// Rewrites the file at `path` in place, first copying the original to
/// `<path>.mcpsec-backup` (kept when it already exists, so the first
/// original survives repeated installs). Returns the rewrite and the backup path.
pub fn install(
    path: &Path,
    proxy: &ProxyCommand,
    dry_run: bool,
) -> Result<(Rewrite, std::path::PathBuf), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let r = rewrite(&text, proxy).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut backup = path.as_os_str().to_owned();
    backup.push(".mcpsec-backup");
    let backup = std::path::PathBuf::from(backup);
    if dry_run || r.proxied.is_empty() {
        return Ok((r, backup));
    }
    if !backup.exists() {
        std::fs::write(&backup, &text).map_err(|e| format!("{}: {e}", backup.display()))?;
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".mcpsec-tmp");
    let tmp = std::path::PathBuf::from(tmp);
    std::fs::write(&tmp, &r.text).map_err(|e| format!("{}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok((r, backup))
}
