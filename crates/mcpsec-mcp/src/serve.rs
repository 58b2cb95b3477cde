//! `mcpsec mcp serve`: mcpsec's MCP checks as MCP tools for agents.
//!
//! Tools: `check_tools` (analyse a tools list), `check_config` (analyse an
//! MCP client configuration, including the toxic flows of tools given for
//! its servers) and `list_rules`. Results are the JSON report of
//! `mcpsec mcp check-tools --format json`. Nothing here touches the network
//! or the file system: agents pass the documents in the arguments.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Value, json};

use crate::analyze::{Analyzer, ServerTools};
use crate::config::parse_config_str;
use crate::scan::scan;
use crate::server::{McpHandler, RpcError, text_result};
use crate::tools::parse_tools_value;

/// The `mcpsec mcp serve` tool handler.
pub struct PlatformServer {
    analyzer: Analyzer,
}

impl PlatformServer {
    pub fn new(analyzer: Analyzer) -> PlatformServer {
        PlatformServer { analyzer }
    }
}

fn report_result(r: &crate::report::Report) -> Value {
    text_result(
        serde_json::to_string_pretty(r).unwrap_or_else(|e| e.to_string()),
        false,
    )
}

impl McpHandler for PlatformServer {
    fn server_info(&self) -> Value {
        json!({"name": "mcpsec", "version": env!("CARGO_PKG_VERSION")})
    }

    fn instructions(&self) -> Option<String> {
        Some(
            "mcpsec security checks for MCP: call check_tools with the `tools` array of \
             another server's tools/list result before trusting it; check_config with an MCP \
             client configuration file's text."
                .into(),
        )
    }

    fn tools(&self) -> Vec<Value> {
        vec![
            json!({
                "name": "check_tools",
                "title": "Check MCP tools",
                "description": "Analyse an MCP server's tools (the result of tools/list) for tool \
                    poisoning, prompt injection, hidden Unicode, encoded payloads, shadowing and \
                    toxic flows. Returns a JSON report with a findings array.",
                "inputSchema": {"type": "object", "properties": {
                    "tools": {"description": "The tools/list result: an array of tools or an object with a tools array"},
                    "server": {"type": "string", "description": "Server name for the report"}
                }, "required": ["tools"]},
                "annotations": {"readOnlyHint": true, "openWorldHint": false}
            }),
            json!({
                "name": "check_config",
                "title": "Check an MCP client configuration",
                "description": "Analyse an MCP client configuration (Claude Desktop, Cursor, VS Code, ...) \
                    for inline secrets, unpinned package runners, plain HTTP, shell commands and \
                    over-broad file system access; with `tools` (server name to tools list) also \
                    the tools and their toxic flows. Returns a JSON report.",
                "inputSchema": {"type": "object", "properties": {
                    "config": {"type": "string", "description": "The configuration file's text"},
                    "client": {"type": "string", "description": "Client name (default: generic)"},
                    "tools": {"type": "object", "description": "Server name to its tools list"}
                }, "required": ["config"]},
                "annotations": {"readOnlyHint": true, "openWorldHint": false}
            }),
            json!({
                "name": "list_rules",
                "title": "List mcpsec MCP rules",
                "description": "List the detection rules with id, title, severity and OWASP LLM Top 10 mapping.",
                "inputSchema": {"type": "object", "properties": {}},
                "annotations": {"readOnlyHint": true, "openWorldHint": false}
            }),
        ]
    }

    fn call_tool(&self, name: &str, args: &Value) -> Result<Value, RpcError> {
        match name {
            "check_tools" => {
                let server = args["server"].as_str().unwrap_or("server").to_string();
                let tools = match parse_tools_value(&args["tools"]) {
                    Ok(t) => t,
                    Err(e) => return Ok(text_result(format!("invalid tools: {e}"), true)),
                };
                let st = ServerTools {
                    server: server.clone(),
                    source: None,
                    tools,
                };
                let map = BTreeMap::from([(server, Ok(st))]);
                Ok(report_result(&scan(
                    &self.analyzer,
                    &[],
                    &map,
                    None,
                    Vec::new(),
                )))
            }
            "check_config" => {
                let Some(text) = args["config"].as_str() else {
                    return Err(RpcError::invalid_params("`config` must be a string"));
                };
                let client = args["client"].as_str().unwrap_or("generic");
                let parsed = match parse_config_str(text, Path::new("config.json"), client) {
                    Ok(p) => p,
                    Err(e) => return Ok(text_result(format!("invalid config: {e}"), true)),
                };
                let mut map = BTreeMap::new();
                if let Some(obj) = args["tools"].as_object() {
                    for (s, t) in obj {
                        map.insert(
                            s.clone(),
                            parse_tools_value(t)
                                .map(|tools| ServerTools {
                                    server: s.clone(),
                                    source: None,
                                    tools,
                                })
                                .map_err(|e| format!("tools of {s}: {e}")),
                        );
                    }
                }
                Ok(report_result(&scan(
                    &self.analyzer,
                    &[parsed],
                    &map,
                    None,
                    Vec::new(),
                )))
            }
            "list_rules" => {
                let rules: Vec<Value> = self
                    .analyzer
                    .rules()
                    .all()
                    .iter()
                    .map(|r| {
                        json!({"id": r.id, "title": r.title, "severity": r.severity,
                               "owasp": r.owasp, "enabled": r.enabled})
                    })
                    .collect();
                Ok(text_result(
                    serde_json::to_string_pretty(&rules).unwrap_or_default(),
                    false,
                ))
            }
            other => Err(RpcError {
                code: -32602,
                message: format!("unknown tool: {other}"),
            }),
        }
    }
}
