//! Tool pinning: a SHA-256 of each tool's name, description and input
//! schema (canonical JSON), kept per server in a pin file; later tool lists
//! are compared with the pins to report added, removed and changed tools
//! (rug pulls).
//!
//! Pin file (JSON):
//!
//! ```json
//! {"version": 1,
//!  "servers": {"github": {"tools": {"create_issue": {"hash": "sha256:…"}}}}}
//! ```
//!
//! The hash covers `{"description": …, "inputSchema": …, "name": …}`
//! serialized with object keys sorted and no whitespace, so reordering keys
//! (which JSON does not give meaning to) does not change it.

use std::collections::BTreeMap;
use std::path::Path;

use mcpsec_core::event::{McpToolChanged, ToolChange};
use serde::{Deserialize, Serialize};

use crate::analyze::{Analyzer, ServerTools};
use crate::error::PinError;
use crate::finding::Finding;
use crate::rules::Detector;
use crate::tools::Tool;

/// The default pin file name (in the current directory).
pub const DEFAULT_PIN_FILE: &str = "mcpsec-mcp-pins.json";
pub const PIN_FILE_VERSION: u32 = 1;

/// One pinned tool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolPin {
    /// `sha256:<hex>` of the canonical definition.
    pub hash: String,
}

/// The pinned tools of one server.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerPins {
    pub tools: BTreeMap<String, ToolPin>,
    /// Prompts and resources (`prompt:<name>`, `resource:<uri>`,
    /// `resource-template:<uriTemplate>`); absent in pin files written
    /// before they were pinned, and then not compared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub surface: Option<BTreeMap<String, ToolPin>>,
}

/// A pin file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PinFile {
    pub version: u32,
    pub servers: BTreeMap<String, ServerPins>,
}

impl Default for PinFile {
    fn default() -> Self {
        PinFile {
            version: PIN_FILE_VERSION,
            servers: BTreeMap::new(),
        }
    }
}

/// Canonical JSON (object keys sorted, no whitespace): the form pin hashes
/// are computed over; shared with the platform (`mcpsec_core::mcp`).
pub use mcpsec_core::mcp::canonical_json;

/// The pin hash of a tool: `sha256:<hex>`.
pub fn tool_hash(tool: &Tool) -> String {
    mcpsec_core::mcp::tool_hash(&tool.name, tool.description.as_deref(), &tool.input_schema)
}

impl PinFile {
    /// Reads a pin file; a missing file is an empty pin set.
    pub fn load(path: &Path) -> Result<PinFile, PinError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(PinFile::default()),
            Err(source) => {
                return Err(PinError::Io {
                    path: path.into(),
                    source,
                });
            }
        };
        let f: PinFile = serde_json::from_str(&text).map_err(|e| PinError::Format {
            path: path.into(),
            message: e.to_string(),
        })?;
        if f.version != PIN_FILE_VERSION {
            return Err(PinError::Format {
                path: path.into(),
                message: format!(
                    "version {} is not supported (expected {PIN_FILE_VERSION})",
                    f.version
                ),
            });
        }
        Ok(f)
    }

    /// Writes the pin file atomically (temporary file, then rename).
    pub fn save(&self, path: &Path) -> Result<(), PinError> {
        let text = serde_json::to_string_pretty(self).expect("pins serialize") + "\n";
        let tmp = path.with_extension("json.tmp");
        let io = |source| PinError::Io {
            path: path.into(),
            source,
        };
        std::fs::write(&tmp, text).map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)
    }

    /// Replaces the pins of `server` with its current tools.
    pub fn pin(&mut self, server: &str, tools: &[Tool]) {
        let pins = ServerPins {
            tools: tools
                .iter()
                .map(|t| (t.name.clone(), ToolPin { hash: tool_hash(t) }))
                .collect(),
            surface: None,
        };
        self.servers.insert(server.to_string(), pins);
    }

    /// How `tools` differ from the pins of `server`; `None` when the server
    /// has no pins. Sorted by tool name.
    pub fn diff(&self, server: &str, tools: &[Tool]) -> Option<Vec<McpToolChanged>> {
        let pins = self.servers.get(server)?;
        let now: BTreeMap<String, String> = tools
            .iter()
            .map(|t| (t.name.clone(), tool_hash(t)))
            .collect();
        Some(diff_maps(server, &pins.tools, &now))
    }

    /// Records the prompts and resources of `server` (after [`PinFile::pin`]
    /// of its tools, which starts the server's pins afresh).
    pub fn pin_surface(&mut self, server: &str, surface: &crate::surface::Surface) {
        let entry = self.servers.entry(server.to_string()).or_default();
        entry.surface = Some(
            crate::surface::pin_hashes(surface)
                .into_iter()
                .map(|(k, hash)| (k, ToolPin { hash }))
                .collect(),
        );
    }

    /// How the prompts and resources differ from the pins of `server`
    /// (`tool` is the item name, e.g. `prompt:summarize`); `None` when they
    /// were never pinned.
    pub fn diff_surface(
        &self,
        server: &str,
        surface: &crate::surface::Surface,
    ) -> Option<Vec<McpToolChanged>> {
        let pins = self.servers.get(server)?.surface.as_ref()?;
        Some(diff_maps(
            server,
            pins,
            &crate::surface::pin_hashes(surface),
        ))
    }
}

/// Added, changed and removed entries of `now` against `pins`, by name.
fn diff_maps(
    server: &str,
    pins: &BTreeMap<String, ToolPin>,
    now: &BTreeMap<String, String>,
) -> Vec<McpToolChanged> {
    let mut out = Vec::new();
    for (name, hash) in now {
        match pins.get(name) {
            None => out.push(McpToolChanged {
                server: server.into(),
                tool: name.to_string(),
                change: ToolChange::Added,
                old_hash: None,
                new_hash: Some(hash.clone()),
            }),
            Some(p) if &p.hash != hash => out.push(McpToolChanged {
                server: server.into(),
                tool: name.to_string(),
                change: ToolChange::Changed,
                old_hash: Some(p.hash.clone()),
                new_hash: Some(hash.clone()),
            }),
            Some(_) => {}
        }
    }
    for (name, p) in pins {
        if !now.contains_key(name.as_str()) {
            out.push(McpToolChanged {
                server: server.into(),
                tool: name.clone(),
                change: ToolChange::Removed,
                old_hash: Some(p.hash.clone()),
                new_hash: None,
            });
        }
    }
    out.sort_by(|a, b| a.tool.cmp(&b.tool));
    out
}

/// Findings for tool changes, using the `tool_added`, `tool_removed` and
/// `tool_changed` rules.
pub fn change_findings(
    analyzer: &Analyzer,
    st: &ServerTools,
    changes: &[McpToolChanged],
) -> Vec<Finding> {
    let rules = analyzer.rules();
    changes
        .iter()
        .filter_map(|c| {
            let d = match c.change {
                ToolChange::Added => Detector::ToolAdded,
                ToolChange::Removed => Detector::ToolRemoved,
                ToolChange::Changed => Detector::ToolChanged,
            };
            let rule = rules.with_detector(d).next()?;
            let evidence = match (&c.old_hash, &c.new_hash) {
                (Some(o), Some(n)) => format!("{o} -> {n}"),
                (None, Some(n)) => format!("new {n}"),
                (Some(o), None) => format!("was {o}"),
                (None, None) => String::new(),
            };
            Some(Analyzer::finding(
                rule,
                &c.server,
                Some(&c.tool),
                st.source.as_deref(),
                None,
                rule.message.clone(),
                evidence,
            ))
        })
        .collect()
}
