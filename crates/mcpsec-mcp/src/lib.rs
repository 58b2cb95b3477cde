//! MCP (Model Context Protocol) security for mcpsec, offline: parse the tool
//! lists MCP servers expose (`tools/list`), find tool poisoning, prompt
//! injection, hidden Unicode, encoded payloads and tool shadowing in them;
//! discover and parse the MCP client configurations of the known agents
//! (Claude Desktop, Claude Code, Cursor, VS Code, Windsurf, Cline, Gemini CLI,
//! Zed…) and flag their risks; pin tool definitions to detect rug pulls;
//! classify tool capabilities to find toxic flows; render findings as a
//! table, JSON or SARIF. Detection rules and capability keywords are data
//! (`rules/*.yaml`, embedded), and users can load their own rule files.
//!
//! Live parts (tokio): [`connect`] inventories servers over stdio and
//! streamable HTTP with the official Rust SDK (`rmcp`), [`proxy`] is the guard
//! proxy (policy on `tools/list` and `tools/call`, secret redaction, call
//! events), [`server`] a minimal MCP server core used by `mcpsec mcp serve`
//! and the test server.
//!
//! This crate depends on `mcpsec-core` only among the workspace crates: it
//! knows no store or bus, and never prints secret values from client
//! configurations.

pub mod analyze;
pub mod config;
pub mod connect;
pub mod error;
pub mod finding;
pub mod flows;
pub mod install;
pub mod judge;
pub mod learned;
pub mod pin;
pub mod proxy;
pub mod report;
pub mod rules;
pub mod scan;
pub mod semantic;
pub mod serve;
pub mod server;
pub mod sse;
pub mod surface;
pub mod text;
pub mod tools;

pub use analyze::{Analyzer, ServerTools};
pub use error::{ConfigError, PinError, RuleError, ToolsError};
pub use finding::Finding;
pub use rules::RuleSet;
pub use tools::{Tool, ToolAnnotations, parse_tools};
