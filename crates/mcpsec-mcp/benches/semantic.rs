//! `MCPSEC_TEST_EMBEDDING_MODEL=DIR cargo bench -p mcpsec-mcp --bench semantic`:
//! throughput of the semantic detector (MCP-020) with a real embedding model
//! (all-MiniLM-L6-v2), on the 180 tools of the labelled tuning set (benign
//! and poisoned, each analysed alone as in the labelled tests), compared with
//! the same analysis without it; and raw sentence embedding. Prints SKIPPED
//! without a model directory.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mcpsec_mcp::semantic::{BertEmbedder, Embedder, SemanticDetector, split_sentences};
use mcpsec_mcp::tools::parse_tools_value;
use mcpsec_mcp::{Analyzer, ServerTools};
use serde_json::Value;

fn labelled() -> Vec<ServerTools> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/labelled");
    ["poisoned.jsonl", "benign.jsonl"]
        .iter()
        .flat_map(|f| {
            std::fs::read_to_string(dir.join(f))
                .unwrap()
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| serde_json::from_str::<Value>(l).unwrap())
                .collect::<Vec<_>>()
        })
        .map(|it| ServerTools {
            server: it["server"].as_str().unwrap().into(),
            source: None,
            tools: parse_tools_value(&Value::Array(vec![it["tool"].clone()])).unwrap(),
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let Some(dir) = std::env::var_os("MCPSEC_TEST_EMBEDDING_MODEL") else {
        eprintln!(
            "SKIPPED: semantic bench: set MCPSEC_TEST_EMBEDDING_MODEL to an all-MiniLM-L6-v2 directory"
        );
        return;
    };
    let dir = std::path::PathBuf::from(dir);
    let servers = labelled();
    let n = servers.len() as u64;
    let plain = Analyzer::builtin();
    let semantic = Analyzer::builtin().with_semantic(SemanticDetector::load(&dir).unwrap());

    let mut g = c.benchmark_group("labelled_tools");
    g.sample_size(10);
    g.throughput(Throughput::Elements(n));
    g.bench_function("without_semantic", |b| {
        b.iter(|| {
            servers
                .iter()
                .map(|s| plain.check_tools(s).len())
                .sum::<usize>()
        })
    });
    g.bench_function("with_semantic", |b| {
        b.iter(|| {
            servers
                .iter()
                .map(|s| semantic.check_tools(s).len())
                .sum::<usize>()
        })
    });
    g.finish();

    // Raw embedding of every sentence of the descriptions, in batches of 32.
    let embedder = BertEmbedder::load(&dir).unwrap();
    let texts: Vec<String> = servers
        .iter()
        .flat_map(|s| s.tools.iter().filter_map(|t| t.description.clone()))
        .collect();
    let sentences: Vec<&str> = texts
        .iter()
        .flat_map(|t| split_sentences(t).into_iter().map(|x| x.2))
        .collect();
    let mut g = c.benchmark_group("embed_sentences");
    g.sample_size(10);
    g.throughput(Throughput::Elements(sentences.len() as u64));
    g.bench_function(format!("{}", sentences.len()), |b| {
        b.iter(|| embedder.embed(&sentences).unwrap().len())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
