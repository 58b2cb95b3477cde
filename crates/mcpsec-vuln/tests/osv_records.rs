//! The 1,431 real OSV records in shared/data: every record parses or is
//! reported, and hand-verified matches read from the records themselves.

mod common;

use mcpsec_vuln::osv::{OsvDatabase, load_path};

fn db() -> Option<OsvDatabase> {
    let dir = common::vuln_data("osv")?;
    Some(OsvDatabase::from_loaded(load_path(&dir).unwrap()))
}

#[test]
fn every_record_parses_or_is_reported() {
    let Some(dir) = common::vuln_data("osv") else {
        return;
    };
    let loaded = load_path(&dir).unwrap();
    let total = loaded.records.len() + loaded.rejected.len();
    eprintln!(
        "OSV: {} records parsed, {} rejected of {total} files",
        loaded.records.len(),
        loaded.rejected.len()
    );
    for r in &loaded.rejected {
        eprintln!("  rejected {}: {}", r.source, r.reason);
    }
    // 1,428 records + 3 invalid fixtures.
    assert_eq!(total, 1431);
    // The three deliberately invalid fixtures are rejected for their ecosystem.
    let invalid: Vec<_> = loaded
        .rejected
        .iter()
        .filter(|r| r.source.contains("_invalid-fixtures"))
        .collect();
    assert_eq!(invalid.len(), 3, "{invalid:?}");
    assert!(
        invalid
            .iter()
            .all(|r| r.reason.contains("unknown ecosystem")),
        "{invalid:?}"
    );
    // Every rejection names its file and a reason.
    assert!(
        loaded
            .rejected
            .iter()
            .all(|r| r.source.ends_with(".json") && !r.reason.is_empty())
    );
    // JavaScript (not an OSV ecosystem) and kubernetes (a range without type) are the
    // two real records rejected besides the fixtures.
    assert!(
        loaded.rejected.len() == 5,
        "unexpected rejections: {:?}",
        loaded.rejected
    );
}

fn hit(db: &OsvDatabase, eco: &str, name: &str, v: &str, id: &str) -> bool {
    db.is_affected(eco, name, v).iter().any(|m| m.id == id)
}

#[test]
fn hand_verified_matches() {
    let Some(db) = db() else { return };
    // DSA-5474-1 intel-microcode: Debian:11 fixed 3.20230808.1~deb11u1, Debian:12 fixed …~deb12u1.
    let id = "DSA-5474-1";
    assert!(hit(
        &db,
        "Debian:11",
        "intel-microcode",
        "3.20230512.1~deb11u1",
        id
    ));
    assert!(!hit(
        &db,
        "Debian:11",
        "intel-microcode",
        "3.20230808.1~deb11u1",
        id
    ));
    assert!(
        hit(
            &db,
            "Debian:12",
            "intel-microcode",
            "3.20230808.1~deb11u1",
            id
        ),
        "~deb11u1 < ~deb12u1"
    );
    assert!(
        !hit(&db, "Debian:12", "intel-microcode", "3.20230808.1", id),
        "~ sorts before the release"
    );
    let m = db.is_affected("Debian:12", "intel-microcode", "3.20230512.1~deb12u1");
    let m = m.iter().find(|m| m.id == id).unwrap();
    assert_eq!(m.smallest_fix.as_deref(), Some("3.20230808.1~deb12u1"));

    // CVE-2018-5407 openssl on Alpine:v3.4: fixed 1.0.2q-r0.
    let id = "CVE-2018-5407";
    assert!(hit(&db, "Alpine:v3.4", "openssl", "1.0.2p-r0", id));
    assert!(!hit(&db, "Alpine:v3.4", "openssl", "1.0.2q-r0", id));
    assert!(!hit(&db, "Alpine:v3.4", "openssl", "1.0.2q-r1", id));

    // GHSA-fhjf-83wg-r2j9 mixin-deep: unsorted SEMVER events 0,2.0.0 / fixed 2.0.1,1.3.2.
    let id = "GHSA-fhjf-83wg-r2j9";
    assert!(hit(&db, "npm", "mixin-deep", "1.3.1", id));
    assert!(!hit(&db, "npm", "mixin-deep", "1.3.2", id));
    assert!(hit(&db, "npm", "mixin-deep", "2.0.0", id));
    assert!(!hit(&db, "npm", "mixin-deep", "2.0.1", id));
    let m = db.is_affected("npm", "mixin-deep", "1.3.1");
    assert_eq!(m[0].smallest_fix.as_deref(), Some("1.3.2"));

    // AQUA-2024-0001 ultralytics: [8.3.41, 8.3.43) and [8.3.45, 8.3.47).
    let id = "AQUA-2024-0001";
    for (v, want) in [
        ("8.3.40", false),
        ("8.3.41", true),
        ("8.3.43", false),
        ("8.3.46", true),
        ("8.3.47", false),
    ] {
        assert_eq!(
            hit(&db, "PyPI", "ultralytics", v, id),
            want,
            "ultralytics {v}"
        );
    }
    assert_eq!(
        db.is_affected("PyPI", "ultralytics", "8.3.46")[0]
            .smallest_fix
            .as_deref(),
        Some("8.3.47")
    );

    // GHSA-9v2f-6vcg-3hgv Gradio: only a versions list; PyPI names are normalised.
    assert!(hit(&db, "PyPI", "gradio", "4.36.1", "GHSA-9v2f-6vcg-3hgv"));
    assert!(!hit(&db, "PyPI", "gradio", "4.36.2", "GHSA-9v2f-6vcg-3hgv"));

    // BIT-joomla-2021-26033: SEMVER introduced 3.0.0, last_affected 3.9.26.
    let id = "BIT-joomla-2021-26033";
    assert!(!hit(&db, "Bitnami", "joomla", "2.9.9", id));
    assert!(hit(&db, "Bitnami", "joomla", "3.9.26", id));
    assert!(!hit(&db, "Bitnami", "joomla", "3.9.27", id));

    // ALBA-2019:0973 oci-systemd-hook on AlmaLinux:8, rpm EVR with epoch 1.
    let id = "ALBA-2019:0973";
    assert!(hit(
        &db,
        "AlmaLinux:8",
        "oci-systemd-hook",
        "1:0.1.15-1.el8",
        id
    ));
    assert!(!hit(
        &db,
        "AlmaLinux:8",
        "oci-systemd-hook",
        "2:0.1.0-1.el8",
        id
    ));
    assert!(
        !hit(&db, "AlmaLinux:9", "oci-systemd-hook", "1:0.1.15-1.el8", id),
        "release must match"
    );

    // GHSA-4v7x-pqxf-cx7m Go stdlib net/http: [0, 1.21.9) and [1.22.0-0, 1.22.2).
    let id = "GHSA-4v7x-pqxf-cx7m";
    assert!(hit(&db, "Go", "net/http", "1.21.8", id));
    assert!(!hit(&db, "Go", "net/http", "v1.21.9", id));
    assert!(hit(&db, "Go", "net/http", "1.22.1", id));
    assert!(!hit(&db, "Go", "net/http", "1.22.2", id));

    // GHSA-mp6f-p9gp-vpj9 sized-chunks (crates.io) fixed 0.6.3.
    assert!(hit(
        &db,
        "crates.io",
        "sized-chunks",
        "0.6.2",
        "GHSA-mp6f-p9gp-vpj9"
    ));
    assert!(!hit(
        &db,
        "crates.io",
        "sized-chunks",
        "0.6.3",
        "GHSA-mp6f-p9gp-vpj9"
    ));

    // GO-2024-2447 teleport (introduced 0, no fix) is withdrawn: never matches.
    assert!(db.get("GO-2024-2447").unwrap().withdrawn.is_some());
    assert!(!hit(
        &db,
        "Go",
        "github.com/gravitational/teleport",
        "v15.0.0",
        "GO-2024-2447"
    ));

    // Unknown package: nothing.
    assert!(
        db.is_affected("npm", "surely-not-a-package", "1.0.0")
            .is_empty()
    );
}

#[test]
fn zip_archive_loads_like_a_directory() {
    let Some(dir) = common::vuln_data("osv/npm") else {
        return;
    };
    let tmp = std::env::temp_dir().join(format!("mcpsec-vuln-osv-{}.zip", std::process::id()));
    {
        let f = std::fs::File::create(&tmp).unwrap();
        let mut z = zip::ZipWriter::new(f);
        let opts = zip::write::SimpleFileOptions::default();
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            z.start_file(p.file_name().unwrap().to_string_lossy(), opts)
                .unwrap();
            std::io::Write::write_all(&mut z, &std::fs::read(&p).unwrap()).unwrap();
        }
        z.start_file("broken.json", opts).unwrap();
        std::io::Write::write_all(&mut z, b"{\"id\": ").unwrap();
        z.finish().unwrap();
    }
    let loaded = load_path(&tmp).unwrap();
    std::fs::remove_file(&tmp).ok();
    assert_eq!(loaded.records.len(), 6);
    assert_eq!(loaded.rejected.len(), 1);
    assert!(
        loaded.rejected[0].source.ends_with("!broken.json"),
        "{:?}",
        loaded.rejected
    );
}
