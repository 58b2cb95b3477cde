//! Sentence embeddings of tool texts, for experiments with classifiers over
//! all-MiniLM-L6-v2 vectors (compare `scripts/train_learned.py`):
//!
//! `embed_texts [--head N --tail M] MODEL_DIR IN.jsonl OUT.jsonl [IN2.jsonl OUT2.jsonl ...]`
//!
//! `MODEL_DIR` holds `config.json`, `tokenizer.json` and `model.safetensors`.
//! Every input line is a JSON object with `id` and `text` (as printed by
//! `learned_data texts`). For each item the output line is
//! `{"id", "whole", "mean", "max"}`: `whole` embeds the whole text (cut at
//! the embedder's token limit), `mean` and `max` pool the vectors of its
//! sentences (`split_sentences` on each line). With `--head N --tail M` only
//! the first N and last M sentences of a tool are embedded. Sentences are
//! embedded once per run even when several tools or files share them.
//! Floats are rounded to 5 digits. Timings go to stderr.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::time::Instant;

use mcpsec_mcp::semantic::{BertEmbedder, Embedder, split_sentences};
use serde_json::{Value, json};

const DIM: usize = 384;

fn round(v: &[f32]) -> Vec<Value> {
    v.iter()
        .map(|x| json!(((*x as f64) * 1e5).round() / 1e5))
        .collect()
}

/// The sentences of a tool text, at most `head` + `tail` of them when capped.
fn sentences(text: &str, cap: Option<(usize, usize)>) -> Vec<String> {
    let all: Vec<String> = text
        .lines()
        .flat_map(|l| {
            split_sentences(l)
                .into_iter()
                .map(|(_, _, s)| s.to_string())
        })
        .filter(|s| !s.is_empty())
        .collect();
    match cap {
        Some((h, t)) if all.len() > h + t => {
            let mut v = all[..h].to_vec();
            v.extend_from_slice(&all[all.len() - t..]);
            v
        }
        _ => all,
    }
}

fn pool(vs: &[&Vec<f32>]) -> (Vec<f32>, Vec<f32>) {
    if vs.is_empty() {
        return (vec![0.0; DIM], vec![0.0; DIM]);
    }
    let mut mean = vec![0.0f32; DIM];
    let mut max = vec![f32::NEG_INFINITY; DIM];
    for v in vs {
        for (i, x) in v.iter().enumerate() {
            mean[i] += x / vs.len() as f32;
            max[i] = max[i].max(*x);
        }
    }
    (mean, max)
}

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut flag = |name: &str| -> Option<usize> {
        let k = args.iter().position(|a| a == name)?;
        let v = args
            .get(k + 1)
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{name} needs a number"));
        args.drain(k..k + 2);
        Some(v)
    };
    let cap = match (flag("--head"), flag("--tail")) {
        (None, None) => None,
        (h, t) => Some((h.unwrap_or(0), t.unwrap_or(0))),
    };
    if args.len() < 3 || args.len().is_multiple_of(2) {
        eprintln!(
            "usage: embed_texts [--head N --tail M] MODEL_DIR IN.jsonl OUT.jsonl [IN OUT ...]"
        );
        std::process::exit(2);
    }
    let embedder = BertEmbedder::load(Path::new(&args[0])).unwrap_or_else(|e| panic!("{e}"));
    let mut cache: HashMap<String, Vec<f32>> = HashMap::new();
    for pair in args[1..].chunks(2) {
        let (input, output) = (&pair[0], &pair[1]);
        let s = std::fs::read_to_string(input).unwrap_or_else(|e| panic!("{input}: {e}"));
        let mut items: Vec<(Value, String)> = Vec::new();
        for (i, l) in s.lines().enumerate() {
            if l.trim().is_empty() {
                continue;
            }
            match serde_json::from_str::<Value>(l) {
                Ok(v) => {
                    let text = v["text"].as_str().unwrap_or_default().to_string();
                    items.push((v["id"].clone(), text));
                }
                Err(e) => eprintln!("{input}:{}: skipped: {e}", i + 1),
            }
        }
        let texts: Vec<&str> = items.iter().map(|(_, t)| t.as_str()).collect();
        let t0 = Instant::now();
        let whole = embedder.embed(&texts).unwrap_or_else(|e| panic!("{e}"));
        let t_whole = t0.elapsed().as_secs_f64();

        let per_tool: Vec<Vec<String>> = texts.iter().map(|t| sentences(t, cap)).collect();
        let mut new: Vec<&str> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for s in per_tool.iter().flatten() {
            if !cache.contains_key(s) && seen.insert(s.as_str()) {
                new.push(s);
            }
        }
        let t1 = Instant::now();
        for chunk in new.chunks(2048) {
            let vs = embedder.embed(chunk).unwrap_or_else(|e| panic!("{e}"));
            for (s, v) in chunk.iter().zip(vs) {
                cache.insert(s.to_string(), v);
            }
        }
        let t_sent = t1.elapsed().as_secs_f64();
        let n_sent: usize = per_tool.iter().map(Vec::len).sum();
        eprintln!(
            "{input}: {} tools, whole {:.1}s ({:.1} tools/s); {} sentences ({} new) {:.1}s ({:.1} new sentences/s, {:.1} tools/s)",
            items.len(),
            t_whole,
            items.len() as f64 / t_whole.max(1e-9),
            n_sent,
            new.len(),
            t_sent,
            new.len() as f64 / t_sent.max(1e-9),
            items.len() as f64 / t_sent.max(1e-9),
        );

        let mut out = std::io::BufWriter::new(
            std::fs::File::create(output).unwrap_or_else(|e| panic!("{output}: {e}")),
        );
        for (((id, _), w), ss) in items.iter().zip(&whole).zip(&per_tool) {
            let vs: Vec<&Vec<f32>> = ss.iter().filter_map(|s| cache.get(s)).collect();
            let (mean, max) = pool(&vs);
            let line =
                json!({"id": id, "whole": round(w), "mean": round(&mean), "max": round(&max)});
            writeln!(out, "{line}").unwrap_or_else(|e| panic!("{output}: {e}"));
        }
        out.flush().unwrap_or_else(|e| panic!("{output}: {e}"));
    }
}
