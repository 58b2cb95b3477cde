//! Reading and scanning a generated container image / root filesystem:
//! Debian 12 with 5,000 dpkg packages (one source package per 2 binaries),
//! 2,000 npm packages in `node_modules` and 1,000 Python dist-infos, in a
//! `docker save` tarball (gzip layer 1, plain layer 2 with whiteouts) and
//! unpacked; scanned against 2,500 synthetic Debian:12 advisories (one per
//! source package, half of them affecting the installed version).
//!
//! `cargo bench -p mcpsec-vuln --bench image -j2`

use std::hint::black_box;
use std::io::Write;
use std::path::{Path, PathBuf};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mcpsec_vuln::inputs;
use mcpsec_vuln::osv::{OsvDatabase, OsvRecord};
use mcpsec_vuln::scan::scan;

const DPKG: usize = 5_000;
const NPM: usize = 2_000;
const PY: usize = 1_000;

fn files() -> Vec<(String, Vec<u8>)> {
    let mut status = String::new();
    for i in 0..DPKG {
        status.push_str(&format!(
            "Package: lib{i}\nStatus: install ok installed\nPriority: optional\nArchitecture: amd64\n\
             Source: src{}\nVersion: 1.{}.0-1\nDescription: package {i}\n a longer description line\n\n",
            i / 2,
            i % 7
        ));
    }
    let mut v = vec![
        (
            "etc/os-release".to_string(),
            b"PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n"
                .to_vec(),
        ),
        ("var/lib/dpkg/status".to_string(), status.into_bytes()),
    ];
    for i in 0..NPM {
        v.push((
            format!("app/node_modules/pkg-{i}/package.json"),
            format!(r#"{{"name":"pkg-{i}","version":"1.0.{i}","license":"MIT"}}"#).into_bytes(),
        ));
        // Non-package files in the same tree, as real node_modules have.
        v.push((
            format!("app/node_modules/pkg-{i}/index.js"),
            vec![b'x'; 2048],
        ));
    }
    for i in 0..PY {
        v.push((
            format!("usr/lib/python3/dist-packages/py_{i}-2.0.dist-info/METADATA"),
            format!("Metadata-Version: 2.1\nName: py-{i}\nVersion: 2.0\n\nlong text\n")
                .into_bytes(),
        ));
    }
    v
}

fn tar_of(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (p, data) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        b.append_data(&mut h, p, &data[..]).unwrap();
    }
    b.into_inner().unwrap()
}

fn setup(dir: &Path) -> (PathBuf, PathBuf) {
    let fs = files();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&tar_of(&fs)).unwrap();
    let l1 = gz.finish().unwrap();
    let l2 = tar_of(&[(
        "usr/lib/python3/dist-packages/.wh.py_0-2.0.dist-info".to_string(),
        Vec::new(),
    )]);
    let img = dir.join("image.tar");
    std::fs::write(
        &img,
        tar_of(&[
            (
                "manifest.json".into(),
                br#"[{"Layers":["l1.tar","l2.tar"]}]"#.to_vec(),
            ),
            ("l1.tar".into(), l1),
            ("l2.tar".into(), l2),
        ]),
    )
    .unwrap();
    let root = dir.join("rootfs");
    for (p, data) in &fs {
        let f = root.join(p);
        std::fs::create_dir_all(f.parent().unwrap()).unwrap();
        std::fs::write(f, data).unwrap();
    }
    (img, root)
}

fn db() -> OsvDatabase {
    let mut db = OsvDatabase::new();
    for s in 0..DPKG / 2 {
        // Installed versions are 1.0.0-1 … 1.6.0-1; fixed 1.3.0-1 affects about half.
        let rec = format!(
            r#"{{"id":"DSA-B-{s}","modified":"2024-01-01T00:00:00Z","affected":[{{"package":{{"ecosystem":"Debian:12","name":"src{s}"}},"ranges":[{{"type":"ECOSYSTEM","events":[{{"introduced":"0"}},{{"fixed":"1.3.0-1"}}]}}]}}]}}"#
        );
        db.insert(
            "bench".into(),
            OsvRecord::from_json(rec.as_bytes()).unwrap(),
        );
    }
    db
}

fn bench(c: &mut Criterion) {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bench-image");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (img, root) = setup(&dir);
    let db = db();
    let n = (DPKG + NPM + PY) as u64;
    let collected = inputs::collect(&img).unwrap();
    let findings = scan(&collected.components, &db, None).findings.len();
    eprintln!(
        "image {} bytes: {} components, {findings} findings",
        std::fs::metadata(&img).unwrap().len(),
        collected.components.len()
    );
    let mut g = c.benchmark_group("image");
    g.sample_size(10);
    g.throughput(Throughput::Elements(n));
    g.bench_function("read_docker_save_8000_packages", |b| {
        b.iter(|| black_box(inputs::collect(&img).unwrap().components.len()))
    });
    g.bench_function("read_rootfs_dir_8000_packages", |b| {
        b.iter(|| black_box(inputs::collect(&root).unwrap().components.len()))
    });
    g.bench_function("read_and_scan_docker_save", |b| {
        b.iter(|| {
            let c = inputs::collect(&img).unwrap();
            black_box(scan(&c.components, &db, None).findings.len())
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
