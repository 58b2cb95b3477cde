//! A whole offline scan: client configs, the tools lists saved for their
//! servers, pins, and every check, into one [`Report`].

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::Path;

use crate::analyze::{Analyzer, ServerTools};
use crate::config::ParsedConfig;
use crate::finding::Finding;
use crate::pin::{PinFile, change_findings};
use crate::report::Report;
use crate::surface::{Surface, check_surface};
use crate::tools::parse_tools;

/// Reads `<dir>/<server>.json` tools files: server name → tools (or the
/// error that file produced).
pub fn read_tools_dir(
    dir: &Path,
) -> Result<BTreeMap<String, Result<ServerTools, String>>, std::io::Error> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") || !path.is_file() {
            continue;
        }
        let Some(server) = path
            .file_stem()
            .and_then(|s| s.to_str())
            .map(str::to_string)
        else {
            continue;
        };
        out.insert(server.clone(), read_tools_file(&path, &server));
    }
    Ok(out)
}

/// The prompts and resources saved in the tools files of `dir` (files
/// with a `prompts`, `resources` or `resourceTemplates` array), by server.
/// Files that cannot be read are skipped ([`read_tools_dir`] reports them).
pub fn read_surfaces_dir(dir: &Path) -> BTreeMap<String, Surface> {
    let mut out = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for path in entries.flatten().map(|e| e.path()) {
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        if let (Some(server), Some(sf)) = (
            path.file_stem().and_then(|s| s.to_str()),
            read_surface_file(&path),
        ) {
            out.insert(server.to_string(), sf);
        }
    }
    out
}

/// The prompts and resources in a saved JSON file, if it has any.
pub fn read_surface_file(path: &Path) -> Option<Surface> {
    let text = std::fs::read_to_string(path).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    let sf = Surface::from_json(&v);
    (!sf.is_empty()).then_some(sf)
}

/// Reads one tools file for `server`; errors name the file.
pub fn read_tools_file(path: &Path, server: &str) -> Result<ServerTools, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let tools = parse_tools(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(ServerTools {
        server: server.to_string(),
        source: Some(path.display().to_string()),
        tools,
    })
}

/// Scans client configs with the tools lists available for their servers.
///
/// Each config file is one agent: its enabled servers' tools are analysed
/// together (collisions, cross-server references, toxic flows). Tools lists
/// that match no configured server are analysed as one extra group. Pins,
/// when given, are compared for every server with a tools list.
pub fn scan(
    analyzer: &Analyzer,
    configs: &[ParsedConfig],
    tools: &BTreeMap<String, Result<ServerTools, String>>,
    pins: Option<&PinFile>,
    errors: Vec<String>,
) -> Report {
    scan_with_surfaces(analyzer, configs, tools, &BTreeMap::new(), pins, errors)
}

/// [`scan`] with the prompts and resources of servers (by server name): they
/// are analysed ([`check_surface`]) and compared with their pins, for every
/// server that is scanned.
pub fn scan_with_surfaces(
    analyzer: &Analyzer,
    configs: &[ParsedConfig],
    tools: &BTreeMap<String, Result<ServerTools, String>>,
    surfaces: &BTreeMap<String, Surface>,
    pins: Option<&PinFile>,
    mut errors: Vec<String>,
) -> Report {
    let mut findings = Vec::new();
    let mut servers_seen = BTreeSet::new();
    let mut tools_seen = BTreeSet::new();
    let mut used_tools = HashSet::new();
    let mut reported_errors = HashSet::new();
    let mut groups: Vec<Vec<ServerTools>> = Vec::new();
    for cfg in configs {
        errors.extend(cfg.warnings.iter().cloned());
        let mut group = Vec::new();
        for s in &cfg.servers {
            servers_seen.insert(s.name.clone());
            findings.extend(analyzer.check_config(s));
            if s.disabled {
                continue;
            }
            match tools.get(&s.name) {
                Some(Ok(st)) => {
                    used_tools.insert(s.name.clone());
                    group.push(st.clone());
                }
                Some(Err(e)) => {
                    used_tools.insert(s.name.clone());
                    if reported_errors.insert(e.clone()) {
                        errors.push(e.clone());
                    }
                }
                None => {}
            }
        }
        groups.push(group);
    }
    let mut rest = Vec::new();
    for (name, t) in tools {
        if used_tools.contains(name) {
            continue;
        }
        servers_seen.insert(name.clone());
        match t {
            Ok(st) => rest.push(st.clone()),
            Err(e) => errors.push(e.clone()),
        }
    }
    if !rest.is_empty() {
        groups.push(rest);
    }
    let mut changes = Vec::new();
    let mut pinned = HashSet::new();
    for group in &groups {
        findings.extend(analyzer.check_toolset(group));
        for st in group {
            for t in &st.tools {
                tools_seen.insert((st.server.clone(), t.name.clone()));
            }
            let first = pinned.insert(st.server.clone());
            if let Some(p) = pins
                && first
                && let Some(c) = p.diff(&st.server, &st.tools)
            {
                findings.extend(change_findings(analyzer, st, &c));
                changes.extend(c);
            }
            if first && let Some(sf) = surfaces.get(&st.server) {
                findings.extend(check_surface(
                    analyzer,
                    &st.server,
                    st.source.as_deref(),
                    sf,
                ));
                if let Some(c) = pins.and_then(|p| p.diff_surface(&st.server, sf)) {
                    findings.extend(change_findings(analyzer, st, &c));
                    changes.extend(c);
                }
            }
        }
    }
    dedup(&mut findings);
    Report::new(
        findings,
        servers_seen.len(),
        tools_seen.len(),
        changes,
        errors,
    )
}

/// Drops exact repeats (a server listed by several clients is analysed once per client).
pub fn dedup(findings: &mut Vec<Finding>) {
    let mut seen = HashSet::new();
    findings.retain(|f| {
        seen.insert((
            f.server.clone(),
            f.tool.clone(),
            f.rule.clone(),
            f.location.clone(),
            f.evidence.clone(),
        ))
    });
}
