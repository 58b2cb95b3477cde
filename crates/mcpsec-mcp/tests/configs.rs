//! Client config parsing for every client shape, discovery, and config risks.

mod common;
use common::*;
use mcpsec_mcp::config::{
    DiscoveryEnv, Os, ParsedConfig, Transport, candidate_paths, discover, parse_config_file,
};
use mcpsec_mcp::{Analyzer, Finding};

fn parse(name: &str) -> ParsedConfig {
    parse_config_file(&fixture(&format!("configs/{name}")), None).unwrap()
}

fn findings(p: &ParsedConfig) -> Vec<Finding> {
    let a = Analyzer::builtin();
    p.servers.iter().flat_map(|s| a.check_config(s)).collect()
}

/// (server, rule, location, evidence)
fn cfg_summary(f: &[Finding]) -> Vec<(String, String, String, String)> {
    let mut v: Vec<_> = f
        .iter()
        .map(|f| {
            (
                f.server.clone(),
                f.rule.clone(),
                f.location.clone().unwrap_or_default(),
                f.evidence.clone(),
            )
        })
        .collect();
    v.sort();
    v
}

fn t(a: &str, b: &str, c: &str, d: &str) -> (String, String, String, String) {
    (a.into(), b.into(), c.into(), d.into())
}

#[test]
fn claude_desktop() {
    let p = parse("claude_desktop_config.json");
    assert_eq!(p.servers.len(), 4);
    assert!(
        p.servers
            .iter()
            .all(|s| s.client == "claude-desktop" && s.transport == Transport::Stdio)
    );
    assert_eq!(
        cfg_summary(&findings(&p)),
        vec![
            t("fetch", "MCP-102", "command", "uvx mcp-server-fetch"),
            t(
                "filesystem",
                "MCP-102",
                "command",
                "npx -y @modelcontextprotocol/server-filesystem /Users/alice"
            ),
            t("filesystem", "MCP-105", "args[2]", "/Users/alice"),
            t(
                "github",
                "MCP-101",
                "env.GITHUB_PERSONAL_ACCESS_TOKEN",
                "GITHUB_PERSONAL_ACCESS_TOKEN=ghp_***redacted***"
            ),
            t(
                "installer",
                "MCP-104",
                "command",
                "bash -c curl -fsSL https://get.example.net/mcp.sh | sh"
            ),
        ]
    );
}

#[test]
fn cursor_remote_and_headers() {
    let p = parse("cursor-mcp.json");
    let remote = p.servers.iter().find(|s| s.name == "remote-tools").unwrap();
    assert_eq!(remote.transport, Transport::Sse);
    assert_eq!(
        p.servers
            .iter()
            .find(|s| s.name == "local-dev")
            .unwrap()
            .transport,
        Transport::Http
    );
    assert_eq!(
        cfg_summary(&findings(&p)),
        vec![
            t(
                "linear",
                "MCP-101",
                "headers.Authorization",
                "Authorization: ***redacted***"
            ),
            t(
                "postgres",
                "MCP-101",
                "env.DATABASE_URL",
                "DATABASE_URL=postgresql://***redacted***@db.internal:5432/app"
            ),
            t(
                "remote-tools",
                "MCP-103",
                "url",
                "http://mcp.example.net/sse"
            ),
        ]
    );
}

#[test]
fn vscode_settings_with_comments_and_inputs() {
    let p = parse("vscode-settings.json");
    assert_eq!(p.servers.len(), 1);
    let s = &p.servers[0];
    assert_eq!((s.client.as_str(), s.name.as_str()), ("vscode", "github"));
    // `${input:…}` is a reference, not a secret; the image has no tag.
    assert_eq!(
        cfg_summary(&findings(&p)),
        vec![t(
            "github",
            "MCP-102",
            "command",
            "docker run -i --rm -e GITHUB_PERSONAL_ACCESS_TOKEN ghcr.io/github/github-mcp-server"
        )]
    );

    let p = parse("vscode-mcp.json");
    assert_eq!(p.servers.len(), 2);
    assert_eq!(
        p.servers
            .iter()
            .find(|s| s.name == "remote")
            .unwrap()
            .transport,
        Transport::Http
    );
    assert!(findings(&p).is_empty(), "{:#?}", findings(&p));
}

#[test]
fn windsurf_gemini_zed_claude_code_cline() {
    let w = parse("windsurf-mcp_config.json");
    assert_eq!(
        w.servers
            .iter()
            .find(|s| s.name == "remote")
            .unwrap()
            .url
            .as_deref(),
        Some("https://mcp.example.com/sse")
    );
    assert_eq!(
        cfg_summary(&findings(&w)),
        vec![t(
            "slack",
            "MCP-101",
            "env.SLACK_BOT_TOKEN",
            "SLACK_BOT_TOKEN=xoxb***redacted***"
        )]
    );

    let g = parse("gemini-settings.json");
    let kinds: Vec<_> = g
        .servers
        .iter()
        .map(|s| (s.name.as_str(), s.transport))
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("legacy", Transport::Sse),
            ("python", Transport::Stdio),
            ("streamable", Transport::Http)
        ]
    );
    assert_eq!(
        cfg_summary(&findings(&g)),
        vec![t(
            "python",
            "MCP-101",
            "env.OPENAI_API_KEY",
            "OPENAI_API_KEY=sk-p***redacted***"
        )]
    );

    let z = parse("zed-settings.json");
    assert_eq!(z.servers.len(), 2);
    assert_eq!(
        z.warnings.len(),
        1,
        "extension-provided server is skipped with a warning"
    );
    let old = z.servers.iter().find(|s| s.name == "old-shape").unwrap();
    assert_eq!(old.command.as_deref(), Some("uvx"));
    assert_eq!(
        cfg_summary(&findings(&z)),
        vec![t("old-shape", "MCP-105", "args[2]", "/")]
    );

    let c = parse("claude.json");
    let names: Vec<_> = c
        .servers
        .iter()
        .map(|s| (s.name.as_str(), s.scope.as_deref()))
        .collect();
    assert_eq!(
        names,
        vec![
            ("sequential-thinking", None),
            ("db", Some("/home/alice/app")),
            ("sentry", Some("/home/alice/app"))
        ]
    );
    assert_eq!(
        cfg_summary(&findings(&c)),
        vec![
            t(
                "db",
                "MCP-101",
                "env.DB_PASSWORD",
                "DB_PASSWORD=***redacted***"
            ),
            t("db", "MCP-102", "command", "pipx run postgres-mcp")
        ]
    );

    let cl = parse("cline_mcp_settings.json");
    assert!(cl.servers[0].disabled);
    assert_eq!(cl.servers[0].client, "cline");
    assert_eq!(
        cfg_summary(&findings(&cl)),
        vec![t(
            "brave-search",
            "MCP-101",
            "env.BRAVE_API_KEY",
            "BRAVE_API_KEY=***redacted***"
        )]
    );
}

#[test]
fn clean_config_has_no_findings() {
    let p = parse("clean.json");
    assert_eq!(p.servers.len(), 4);
    assert!(findings(&p).is_empty(), "{:#?}", findings(&p));
}

#[test]
fn broken_config_names_the_place() {
    let e = parse_config_file(&fixture("configs/broken.json"), None)
        .unwrap_err()
        .to_string();
    assert!(
        e.ends_with("broken.json: mcpServers.x: args: expected an array, found a string"),
        "{e}"
    );
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("mcp.json");
    std::fs::write(
        &p,
        "{\n  \"mcpServers\": {\n    \"a\": {\"command\": \"x\"\n}",
    )
    .unwrap();
    let e = parse_config_file(&p, None).unwrap_err().to_string();
    assert!(e.contains("invalid JSON at line 4"), "{e}");
}

#[test]
fn secrets_never_appear_in_output() {
    for f in [
        "claude_desktop_config.json",
        "cursor-mcp.json",
        "windsurf-mcp_config.json",
        "gemini-settings.json",
        "claude.json",
        "cline_mcp_settings.json",
    ] {
        let p = parse(f);
        let json = serde_json::to_string(&p.servers).unwrap();
        let debug = format!("{:?}", p.servers);
        let found = serde_json::to_string(&findings(&p)).unwrap();
        for secret in [
            "0000FAKE0000FAKE",
            "FAKE0FAKE0FAKE0",
            "s3cr3tPassw0rd",
            "hunter22",
            "BSAfake9Qm2",
        ] {
            assert!(!json.contains(secret), "{f}: JSON leaks {secret}: {json}");
            assert!(!debug.contains(secret), "{f}: Debug leaks {secret}");
            assert!(!found.contains(secret), "{f}: findings leak {secret}");
        }
    }
    // Env values are serialized as names only.
    let p = parse("claude_desktop_config.json");
    let v = serde_json::to_value(&p.servers).unwrap();
    let gh = v
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "github")
        .unwrap();
    assert_eq!(
        gh["env"],
        serde_json::json!(["GITHUB_PERSONAL_ACCESS_TOKEN"])
    );
}

#[test]
fn discovery_finds_standard_locations() {
    let home = tempfile::tempdir().unwrap();
    let cwd = tempfile::tempdir().unwrap();
    let env = DiscoveryEnv {
        os: Os::Linux,
        home: home.path().into(),
        cwd: cwd.path().into(),
        appdata: None,
        xdg_config: None,
    };
    let put = |p: std::path::PathBuf| {
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, "{\"mcpServers\": {}}").unwrap();
    };
    put(home.path().join(".cursor/mcp.json"));
    put(home
        .path()
        .join(".config/Claude/claude_desktop_config.json"));
    put(home.path().join(".codeium/windsurf/mcp_config.json"));
    put(home.path().join(".gemini/settings.json"));
    put(home.path().join(
        ".config/Code/User/globalStorage/saoudrizwan.claude-dev/settings/cline_mcp_settings.json",
    ));
    put(cwd.path().join(".vscode/mcp.json"));
    put(cwd.path().join(".mcp.json"));
    let mut found: Vec<_> = discover(&env).into_iter().map(|k| k.client).collect();
    found.sort();
    assert_eq!(
        found,
        vec![
            "claude-code",
            "claude-desktop",
            "cline",
            "cursor",
            "gemini-cli",
            "vscode",
            "windsurf"
        ]
    );

    let mac = DiscoveryEnv {
        os: Os::MacOs,
        ..env.clone()
    };
    assert!(candidate_paths(&mac).iter().any(|k| {
        k.path
            .ends_with("Library/Application Support/Claude/claude_desktop_config.json")
    }));
    let win = DiscoveryEnv {
        os: Os::Windows,
        appdata: Some("C:/Users/a/AppData/Roaming".into()),
        ..env
    };
    assert!(
        candidate_paths(&win).iter().any(|k| k.path
            == std::path::Path::new("C:/Users/a/AppData/Roaming/Code/User/settings.json"))
    );
}
