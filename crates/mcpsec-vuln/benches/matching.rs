//! Matching N components against the full OSV sample set in shared/data,
//! and reading + matching a 10,000-component CycloneDX SBOM made of the real
//! package names and versions in that set (written to
//! `target/tmp/bench-sbom/sbom-10k.cdx.json`, also used for the CLI figures
//! in docs/benchmarks.md).
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
                    reachability: Default::default(),
                }
            } else {
                Component {
                    name: format!("unknown-pkg-{i}"),
                    version: Some("1.0.0".into()),
                    purl: None,
                    ecosystem: Some("npm".into()),
                    licenses: vec![],
                    reachability: Default::default(),
                }
            }
        })
        .collect()
}

/// A CycloneDX 1.6 JSON SBOM of `n` components: every (ecosystem, name,
/// version) the OSV records name (listed `versions` and range events) that
/// has a purl, then the same names at version `0.0.<i>` until `n`.
fn cyclonedx(db: &OsvDatabase, n: usize) -> (String, usize) {
    let mut seen = std::collections::HashSet::new();
    let mut names = Vec::new();
    let mut comps = Vec::new();
    for r in &db.records {
        for a in &r.affected {
            let Some(p) = &a.package else { continue };
            let evs = a
                .ranges
                .iter()
                .flat_map(|r| r.events.iter())
                .filter_map(|e| match e {
                    Event::Introduced(v) | Event::Fixed(v) if v != "0" => Some(v),
                    _ => None,
                });
            for v in a.versions.iter().chain(evs) {
                let c = Component::from_parts(&p.ecosystem, &p.name, v);
                if let Some(purl) = c.purl
                    && seen.insert(purl.clone())
                {
                    if names.len() < 5000 && !names.contains(&(p.ecosystem.clone(), p.name.clone()))
                    {
                        names.push((p.ecosystem.clone(), p.name.clone()));
                    }
                    comps.push(purl);
                }
            }
        }
    }
    let real = comps.len().min(n);
    comps.truncate(n);
    let mut i = 0;
    while comps.len() < n && !names.is_empty() {
        let (e, name) = &names[i % names.len()];
        if let Some(p) = Component::from_parts(e, name, &format!("0.0.{i}")).purl {
            comps.push(p);
        }
        i += 1;
    }
    let components: Vec<serde_json::Value> = comps
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let c = Component::from_purl(p, vec![]).unwrap();
            serde_json::json!({"type": "library", "bom-ref": format!("c{i}"), "name": c.name,
                "version": c.version, "purl": p})
        })
        .collect();
    let doc = serde_json::json!({"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
        "components": components});
    (serde_json::to_string_pretty(&doc).unwrap(), real)
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
    // 10,000-component CycloneDX SBOM of real names: parse + match.
    let (sbom, real) = cyclonedx(&db, 10_000);
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bench-sbom");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("sbom-10k.cdx.json"), &sbom).unwrap();
    let (_, comps) = mcpsec_vuln::sbom::parse(sbom.as_bytes()).unwrap();
    assert_eq!(comps.len(), 10_000);
    let found = scan(&comps, &db, None).findings.len();
    eprintln!(
        "CycloneDX SBOM: {} bytes, 10000 components ({real} real name/version pairs), {found} findings",
        sbom.len()
    );
    g.throughput(Throughput::Elements(10_000));
    g.bench_function("cyclonedx_10k_parse_and_scan", |b| {
        b.iter(|| {
            let (_, comps) = mcpsec_vuln::sbom::parse(sbom.as_bytes()).unwrap();
            black_box(scan(&comps, &db, None).findings.len())
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
