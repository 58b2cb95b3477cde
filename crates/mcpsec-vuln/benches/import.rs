//! The read side of `mcpsec db import`: an OSV `all.zip`-style export of
//! synthetic records of realistic shape (npm, PyPI, Maven, Go, crates.io,
//! Debian; aliases, details, references, CVSS, ranges, version lists), read,
//! validated and turned into store records (package keys) by `FeedReader`,
//! in batches of 1,000. The store write is not included (see
//! docs/supply-chain.md).
//!
//! `cargo bench -p mcpsec-vuln --bench import -j2`; `IMPORT_BENCH_RECORDS=N`
//! sets the number of records (default 60,000). The file is left in
//! `target/tmp/bench-import/all.zip` for timing `mcpsec db import` on it.

use std::hint::black_box;
use std::io::Write;
use std::path::{Path, PathBuf};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mcpsec_vuln::feeds::{Batch, FeedReader};

/// Records in the generated export (`IMPORT_BENCH_RECORDS`, default 60,000).
fn records() -> usize {
    std::env::var("IMPORT_BENCH_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60_000)
}

fn record(i: usize) -> String {
    let (eco, name, range_type) = match i % 6 {
        0 => ("npm", format!("@scope{}/pkg-{i}", i % 50), "SEMVER"),
        1 => ("PyPI", format!("py-package-{i}"), "ECOSYSTEM"),
        2 => (
            "Maven",
            format!("org.example{}:artifact-{i}", i % 100),
            "ECOSYSTEM",
        ),
        3 => ("Go", format!("github.com/org{}/mod{i}", i % 80), "SEMVER"),
        4 => ("crates.io", format!("crate-{i}"), "SEMVER"),
        _ => ("Debian:12", format!("srcpkg{i}"), "ECOSYSTEM"),
    };
    let versions: Vec<String> = (0..8).map(|v| format!("\"1.{v}.{}\"", i % 10)).collect();
    let details = "A flaw was found in the parsing of crafted input which allows a remote \
        attacker to cause a denial of service or possibly execute arbitrary code. "
        .repeat(3);
    format!(
        r#"{{"schema_version":"1.6.0","id":"GHSA-{i:04x}-bench-{j}","modified":"2024-0{m}-1{d}T10:00:00Z",
"published":"2023-0{m}-0{m}T10:00:00Z","aliases":["CVE-2023-{i}"],
"summary":"Denial of service in {name}","details":"{details}",
"severity":[{{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}}],
"affected":[{{"package":{{"ecosystem":"{eco}","name":"{name}"}},
"ranges":[{{"type":"{range_type}","events":[{{"introduced":"0"}},{{"fixed":"1.8.{f}"}}]}}],
"versions":[{versions}],
"database_specific":{{"source":"https://example.invalid/advisories/{i}.json"}}}}],
"references":[{{"type":"ADVISORY","url":"https://example.invalid/a/{i}"}},
{{"type":"WEB","url":"https://example.invalid/b/{i}"}},{{"type":"PACKAGE","url":"https://example.invalid/p/{i}"}}],
"database_specific":{{"cwe_ids":["CWE-400"],"severity":"HIGH","github_reviewed":true}}}}"#,
        j = i % 7,
        m = 1 + i % 9,
        d = i % 10,
        f = i % 10,
        versions = versions.join(","),
    )
}

fn write_zip(path: &Path) -> u64 {
    let f = std::fs::File::create(path).unwrap();
    let mut z = zip::ZipWriter::new(f);
    let opts = zip::write::SimpleFileOptions::default();
    let mut bytes = 0u64;
    for i in 0..records() {
        let r = record(i);
        bytes += r.len() as u64;
        z.start_file(format!("GHSA-{i:04x}-bench.json"), opts)
            .unwrap();
        z.write_all(r.as_bytes()).unwrap();
    }
    z.finish().unwrap();
    bytes
}

fn read(zip: &Path) -> usize {
    let mut n = 0usize;
    let mut sink = |b: Batch| {
        if let Batch::Advisories(a) = b {
            n += a.len();
        }
    };
    let mut r = FeedReader::new(1000, &mut sink);
    r.read_path(zip);
    r.flush();
    assert!(r.summary.errors.is_empty(), "{:?}", &r.summary.errors[..1]);
    drop(r);
    n
}

fn bench(c: &mut Criterion) {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bench-import");
    std::fs::create_dir_all(&dir).unwrap();
    let zip = dir.join("all.zip");
    let raw = write_zip(&zip);
    eprintln!(
        "{} records, {raw} bytes of JSON, zip {} bytes",
        records(),
        std::fs::metadata(&zip).unwrap().len()
    );
    assert_eq!(read(&zip), records());
    let mut g = c.benchmark_group("import");
    g.sample_size(10);
    g.throughput(Throughput::Elements(records() as u64));
    g.bench_function("read_osv_zip_60000_records", |b| {
        b.iter(|| black_box(read(&zip)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
