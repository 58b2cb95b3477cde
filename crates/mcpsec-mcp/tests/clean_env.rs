//! Stdio servers start with a cleared environment: only the configured env
//! and the few inherited variables. One test in this binary, so setting a
//! variable of the test process races with no other thread.

use std::collections::BTreeMap;

use mcpsec_core::Secret;
use mcpsec_mcp::config::{ServerConfig, Transport};
use mcpsec_mcp::connect::stdio_command;

#[tokio::test(flavor = "current_thread")]
async fn spawned_server_sees_only_configured_env() {
    // SAFETY: single-threaded test binary; nothing else reads the environment concurrently.
    unsafe { std::env::set_var("MCPSEC_LEAKY_PARENT_SECRET", "should-not-leak") };
    let cfg = ServerConfig {
        name: "env".into(),
        client: "test".into(),
        source: "t".into(),
        scope: None,
        transport: Transport::Stdio,
        command: Some("env".into()),
        args: vec![],
        env: BTreeMap::from([("CONFIGURED_VAR".to_string(), Secret::new("yes"))]),
        url: None,
        headers: BTreeMap::new(),
        cwd: None,
        disabled: false,
    };
    let out = stdio_command("env", &cfg).output().await.expect("run env");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("CONFIGURED_VAR=yes"), "{text}");
    assert!(!text.contains("MCPSEC_LEAKY_PARENT_SECRET"), "{text}");
    let names: Vec<&str> = text.lines().filter_map(|l| l.split('=').next()).collect();
    for n in &names {
        assert!(
            *n == "CONFIGURED_VAR" || mcpsec_mcp::connect::INHERITED_ENV.contains(n),
            "unexpected variable {n} in {names:?}"
        );
    }
}
