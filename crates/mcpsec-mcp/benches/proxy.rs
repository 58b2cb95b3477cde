//! Guard proxy overhead per message, as percentiles (criterion reports no P95).
//!
//! `cargo bench -p mcpsec-mcp --bench proxy`
//!
//! 1. Guard only: `on_client` for a `tools/call` (rules with roots and
//!    argument patterns, a rate limit), `on_server` for its result (secret
//!    redaction) and for a 3-tool and a 50-tool `tools/list` (full analysis).
//! 2. End to end over stdio: `ping` round trips client → test server
//!    directly and through `run_stdio`; the difference of the percentiles is
//!    the added latency.

use std::sync::Arc;
use std::time::{Duration, Instant};

use mcpsec_mcp::Analyzer;
use mcpsec_mcp::proxy::{Guard, Pending, Policy, run_stdio};
use serde_json::json;
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};

const POLICY: &str = r#"
calls:
  - tool: "delete_*"
    action: deny
  - tool: read_file
    action: allow
    roots: ["/srv/project"]
    deny_args: {path: '\.env$'}
rate_limits:
  - tool: "*"
    max_calls: 1000000000
    per_seconds: 60
"#;

fn pct(mut v: Vec<Duration>) -> (Duration, Duration, Duration) {
    v.sort();
    let at = |q: f64| v[((v.len() as f64 - 1.0) * q).round() as usize];
    (at(0.5), at(0.95), at(0.99))
}

fn report(name: &str, v: Vec<Duration>) -> (Duration, Duration, Duration) {
    let n = v.len();
    let (p50, p95, p99) = pct(v);
    println!("{name:<44} n={n:<6} p50={p50:>10.1?} p95={p95:>10.1?} p99={p99:>10.1?}");
    (p50, p95, p99)
}

fn time<F: FnMut()>(n: usize, mut f: F) -> Vec<Duration> {
    for _ in 0..n / 10 {
        f();
    }
    (0..n)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect()
}

fn tools(n: usize) -> String {
    let tools: Vec<_> = (0..n)
        .map(|i| {
            json!({"name": format!("tool_{i}"), "description": format!(
                "Reads the issue number {i} of a repository and returns its title, body, labels and comments."),
                "inputSchema": {"type": "object", "properties": {"owner": {"type": "string",
                "description": "Repository owner"}, "repo": {"type": "string"}, "n": {"type": "integer"}}}})
        })
        .collect();
    json!({"jsonrpc": "2.0", "id": 1, "result": {"tools": tools}}).to_string()
}

fn main() {
    let guard = Guard::new(
        "bench",
        Policy::parse(POLICY, "bench").unwrap(),
        Analyzer::builtin(),
        None,
    );
    let call =
        json!({"jsonrpc": "2.0", "id": 9, "method": "tools/call", "params": {"name": "read_file",
        "arguments": {"path": "/srv/project/src/main.rs"}}})
        .to_string();
    report(
        "guard on_client tools/call (allowed)",
        time(20_000, || {
            std::hint::black_box(guard.on_client(&call));
        }),
    );
    let result = json!({"jsonrpc": "2.0", "id": 9, "result": {"content": [{"type": "text",
        "text": "fn main() {}\n".repeat(100) + "token ghp_abcdefghijklmnopqrstuvwxyz0123456789AB"}]}})
    .to_string();
    let pending = Pending::ToolsCall {
        tool: "read_file".into(),
    };
    report(
        "guard on_server tools/call result (1.3 KiB)",
        time(20_000, || {
            std::hint::black_box(guard.on_server(&result, Some(&pending)));
        }),
    );
    let note = r#"{"jsonrpc":"2.0","method":"notifications/progress","params":{"progress":1}}"#;
    report(
        "guard on_server notification",
        time(20_000, || {
            std::hint::black_box(guard.on_server(note, None));
        }),
    );
    for n in [3, 50] {
        let list = tools(n);
        report(
            &format!("guard on_server tools/list ({n} tools)"),
            time(2_000, || {
                std::hint::black_box(guard.on_server(&list, Some(&Pending::ToolsList)));
            }),
        );
    }

    // End to end over stdio.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let server = env!("CARGO_BIN_EXE_mcp-test-server");
        let n = 5_000;
        // Direct.
        let mut child = tokio::process::Command::new(server)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let mut w = child.stdin.take().unwrap();
        let mut r = BufReader::new(child.stdout.take().unwrap());
        let direct = pings(&mut w, &mut r, n).await;
        drop(w);
        let _ = child.wait().await;
        // Through the proxy.
        let (client, proxy_side) = tokio::io::duplex(1 << 20);
        let (pin, pout) = tokio::io::split(proxy_side);
        let g = Arc::new(Guard::new(
            "bench",
            Policy::parse(POLICY, "bench").unwrap(),
            Analyzer::builtin(),
            None,
        ));
        let task = tokio::spawn(run_stdio(g, server.into(), vec![], pin, pout));
        let (cr, mut cw) = tokio::io::split(client);
        let mut cr = BufReader::new(cr);
        let proxied = pings(&mut cw, &mut cr, n).await;
        drop(cw);
        drop(cr);
        let _ = tokio::time::timeout(Duration::from_secs(5), task).await;
        let d = report("stdio round trip, direct", direct);
        let p = report("stdio round trip, through the proxy", proxied);
        println!(
            "added by the proxy: p50={:.1?} p95={:.1?} p99={:.1?}",
            p.0.saturating_sub(d.0),
            p.1.saturating_sub(d.1),
            p.2.saturating_sub(d.2)
        );
    });
}

async fn pings<W, R>(w: &mut W, r: &mut R, n: usize) -> Vec<Duration>
where
    W: tokio::io::AsyncWrite + Unpin,
    R: tokio::io::AsyncBufRead + Unpin,
{
    let mut out = Vec::with_capacity(n);
    let mut line = String::new();
    for i in 0..n + n / 10 {
        let msg = format!(
            "{{\"jsonrpc\":\"2.0\",\"id\":{i},\"method\":\"tools/call\",\"params\":{{\"name\":\"add\",\"arguments\":{{\"a\":1,\"b\":2}}}}}}\n"
        );
        let t = Instant::now();
        w.write_all(msg.as_bytes()).await.unwrap();
        w.flush().await.unwrap();
        line.clear();
        r.read_line(&mut line).await.unwrap();
        if i >= n / 10 {
            out.push(t.elapsed());
        }
    }
    out
}
