//! Matching throughput: the SigmaHQ Windows rules over the events of the
//! public EVTX samples, pre-parsed (matching only) and as NDJSON text
//! (parsing + matching), on one core, and matching without the shared literal
//! prefilter for comparison. Skipped when the shared data is absent.
//!
//! `cargo bench -p mcpsec-detect --bench hunt -j2`

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use criterion::{Criterion, Throughput};
use mcpsec_detect::hunt::match_event;
use mcpsec_detect::ruleset::DispatchCache;
use mcpsec_detect::{LoadOptions, LogEvent, RuleSet, input};

const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/sigma");

fn main() {
    let rules_dir = Path::new(SHARED).join("rules/windows");
    let samples = Path::new(SHARED).join("evtx-samples");
    if !rules_dir.is_dir() || !samples.is_dir() {
        eprintln!("SKIPPED hunt bench: {SHARED} is absent");
        return;
    }
    let t = std::time::Instant::now();
    let (set, _errors) = RuleSet::load_dir(&rules_dir);
    let with_ms = t.elapsed().as_secs_f64() * 1e3;
    let t = std::time::Instant::now();
    // The same rules without the shared literal prefilter, for the ratio within one run.
    let (plain, _) = RuleSet::load_paths(
        std::slice::from_ref(&rules_dir),
        &LoadOptions {
            no_prefilter: true,
            ..Default::default()
        },
    );
    let plain_ms = t.elapsed().as_secs_f64() * 1e3;
    let files = input::collect_inputs(&[samples]).expect("samples");
    let mut events: Vec<LogEvent> = Vec::new();
    let mut ndjson = String::new();
    for f in &files {
        let _ = input::read_file(f, &mut |r| {
            ndjson.push_str(&r.event.to_json().to_string());
            ndjson.push('\n');
            events.push(r.event);
        });
    }
    eprintln!(
        "{} rules, {} events; rule loading {with_ms:.0} ms with the prefilter, {plain_ms:.0} ms without",
        set.len(),
        events.len()
    );

    let mut c = Criterion::default()
        .sample_size(10)
        .measurement_time(Duration::from_secs(10))
        .configure_from_args();
    let mut g = c.benchmark_group("sigmahq_windows");
    g.throughput(Throughput::Elements(events.len() as u64));
    g.bench_function("match_preparsed", |b| {
        let mut cache = DispatchCache::default();
        let mut evs = events.clone();
        b.iter(|| {
            let mut hits = 0usize;
            for e in evs.iter_mut() {
                hits += match_event(&set, &mut cache, e).len();
            }
            black_box(hits)
        })
    });
    g.bench_function("match_preparsed_no_prefilter", |b| {
        let mut cache = DispatchCache::default();
        let mut evs = events.clone();
        b.iter(|| {
            let mut hits = 0usize;
            for e in evs.iter_mut() {
                hits += match_event(&plain, &mut cache, e).len();
            }
            black_box(hits)
        })
    });
    g.bench_function("ndjson_parse_and_match", |b| {
        b.iter(|| {
            let mut cache = DispatchCache::default();
            let mut hits = 0usize;
            input::read_ndjson_from(ndjson.as_bytes(), &mut |mut r| {
                hits += match_event(&set, &mut cache, &mut r.event).len();
            })
            .expect("ndjson");
            black_box(hits)
        })
    });
    // The parse path before the direct parser (serde_json::Value tree, then
    // converted), for the before/after ratio within one run.
    g.bench_function("ndjson_parse_and_match_via_serde_value", |b| {
        b.iter(|| {
            let mut cache = DispatchCache::default();
            let mut hits = 0usize;
            // `read_json_bytes` still goes through serde_json::Value (concatenated objects).
            let stats = input::read_json_bytes(ndjson.as_bytes(), false, &mut |mut r| {
                hits += match_event(&set, &mut cache, &mut r.event).len();
            });
            assert_eq!(stats.records as usize, events.len());
            black_box(hits)
        })
    });
    g.bench_function("ndjson_parse_only", |b| {
        b.iter(|| {
            let mut n = 0usize;
            input::read_ndjson_from(ndjson.as_bytes(), &mut |r| {
                n += r.record_id as usize & 1;
            })
            .expect("ndjson");
            black_box(n)
        })
    });
    g.finish();
    c.final_summary();
}
