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
//! This crate depends on `mcpsec-core` only among the workspace crates: it
//! knows no store, bus, web framework or async runtime, does no network I/O
//! and never prints secret values from client configurations.

pub mod analyze;
pub mod config;
pub mod error;
pub mod finding;
pub mod flows;
pub mod pin;
pub mod report;
pub mod rules;
pub mod scan;
pub mod text;
pub mod tools;

pub use analyze::{Analyzer, ServerTools};
pub use error::{ConfigError, PinError, RuleError, ToolsError};
pub use finding::Finding;
pub use rules::RuleSet;
pub use tools::{Tool, ToolAnnotations, parse_tools};
