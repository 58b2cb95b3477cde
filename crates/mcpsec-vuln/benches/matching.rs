//! Matching N components against the full OSV sample set in shared/data.
//!
//! `cargo bench -p mcpsec-vuln --bench matching -j2`

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use mcpsec_vuln::osv::{Event, OsvDatabase};
use mcpsec_vuln::sbom::Component;
use mcpsec_vuln::scan::scan;

fn osv_dir() -> Option<PathBuf> {
    let p = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/vuln/osv"
    ));
    if p.exists() {
        Some(p)
    } else {
        eprintln!("SKIPPED: {} is absent", p.display());
        None
    }
}

/// `n` components: half name packages the database knows (at versions taken
/// from their events, so many match), half unknown packages.
fn components(db: &OsvDatabase, n: usize) -> Vec<Component> {
    let mut known = Vec::new();
    for r in &db.records {
        for a in &r.affected {
            let Some(p) = &a.package else { continue };
            for ev in a.ranges.iter().flat_map(|r| r.events.iter()) {
                if let Event::Introduced(v) | Event::Fixed(v) = ev
                    && v != "0"
                {
                    known.push((p.ecosystem.clone(), p.name.clone(), v.clone()));
                }
            }
        }
    }
    (0..n)
        .map(|i| {
            if i % 2 == 0 && !known.is_empty() {
                let (e, name, v) = &known[(i / 2) % known.len()];
                Component {
                    name: name.clone(),
                    version: Some(v.clone()),
                    purl: None,
                    ecosystem: Some(e.clone()),
                    licenses: vec![],
                }
            } else {
                Component {
                    name: format!("unknown-pkg-{i}"),
                    version: Some("1.0.0".into()),
                    purl: None,
                    ecosystem: Some("npm".into()),
                    licenses: vec![],
                }
            }
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let Some(dir) = osv_dir() else { return };
    let mut g = c.benchmark_group("osv");
    g.sample_size(10);
    g.bench_function("load_1431_records", |b| {
        b.iter(|| black_box(OsvDatabase::load_paths(std::slice::from_ref(&dir)).unwrap()))
    });
    let db = OsvDatabase::load_paths(&[dir]).unwrap();
    for n in [1_000usize, 10_000] {
        let comps = components(&db, n);
        let t = std::time::Instant::now();
        let found = scan(&comps, &db, None).findings.len();
        eprintln!(
            "{n} components: {found} findings, one scan {:?}",
            t.elapsed()
        );
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(
            BenchmarkId::new("scan_components", n),
            &comps,
            |b, comps| b.iter(|| black_box(scan(comps, &db, None).findings.len())),
        );
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
