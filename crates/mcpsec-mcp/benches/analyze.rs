//! `cargo bench -p mcpsec-mcp`: analysis throughput on N tools built from the
//! test fixtures (benign and poisoned mixed), and parsing a tools file.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use mcpsec_mcp::{Analyzer, ServerTools, Tool, parse_tools};

fn fixture_tools() -> Vec<Tool> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tools");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    names
        .iter()
        .flat_map(|p| parse_tools(&std::fs::read_to_string(p).unwrap()).unwrap())
        .collect()
}

/// `n` tools in servers of 50, renamed so every name is unique.
fn servers(n: usize) -> Vec<ServerTools> {
    let base = fixture_tools();
    let tools: Vec<Tool> = (0..n)
        .map(|i| {
            let mut t = base[i % base.len()].clone();
            t.name = format!("{}_{i}", t.name);
            t
        })
        .collect();
    tools
        .chunks(50)
        .enumerate()
        .map(|(i, c)| ServerTools {
            server: format!("server{i}"),
            source: None,
            tools: c.to_vec(),
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let analyzer = Analyzer::builtin();
    let mut g = c.benchmark_group("check_toolset");
    g.sample_size(10);
    for n in [100usize, 1_000, 10_000] {
        let s = servers(n);
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::from_parameter(n), &s, |b, s| {
            b.iter(|| analyzer.check_toolset(s))
        });
    }
    g.finish();

    let tools: Vec<Tool> = servers(10_000).into_iter().flat_map(|s| s.tools).collect();
    let text = serde_json::json!({ "tools": tools }).to_string();
    let mut g = c.benchmark_group("parse_tools");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.bench_function("10000", |b| b.iter(|| parse_tools(&text).unwrap()));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
