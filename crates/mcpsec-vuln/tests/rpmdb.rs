//! rpm package databases: the BerkeleyDB `Packages` and NDB `Packages.db`
//! readers on self-made fixtures (tests/fixtures/rpmdb, see make.sh: real
//! rpmbuild packages, installed by rpm 4.18 into rpmdb.sqlite, loaded by
//! BerkeleyDB 5.3's db_load into hash databases), corruption handling, and
//! the same packages from all three formats.

use std::path::{Path, PathBuf};

use mcpsec_vuln::rootfs::{self, Distro};
use mcpsec_vuln::rpmdb::{self, RpmDbError, RpmDbFormat};
use proptest::prelude::*;

fn fixture(name: &str) -> Vec<u8> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/rpmdb")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn alma() -> Distro {
    Distro::from_os_release("ID=\"almalinux\"\nVERSION_ID=\"9.3\"\n").unwrap()
}

/// name@version?arch of each component, sorted.
fn nevra(c: &[mcpsec_vuln::sbom::Component]) -> Vec<String> {
    let mut v: Vec<String> = c
        .iter()
        .map(|c| {
            let p = mcpsec_vuln::purl::Purl::parse(c.purl.as_deref().unwrap()).unwrap();
            format!(
                "{}@{} {} srpm={}",
                c.name,
                c.version.as_deref().unwrap_or(""),
                p.qualifiers.get("arch").map(String::as_str).unwrap_or("-"),
                p.qualifiers.get("srpm").map(String::as_str).unwrap_or("-"),
            )
        })
        .collect();
    v.sort();
    v
}

const EXPECTED: [&str; 5] = [
    "bash@5.1.8-6.el9 x86_64 srpm=bash",
    "bigdesc@1.0-1 noarch srpm=bigdesc",
    "openssl-libs@1:3.0.7-27.el9 x86_64 srpm=openssl",
    "openssl@1:3.0.7-27.el9 x86_64 srpm=openssl",
    "tzdata@2024a-1.el9 noarch srpm=tzdata",
];

#[test]
fn bdb_little_endian_4k_pages() {
    let b = fixture("Packages");
    assert_eq!(rpmdb::detect(&b), Some(RpmDbFormat::BerkeleyDbHash));
    let blobs = rpmdb::bdb_headers(&b).unwrap();
    assert!(blobs.skipped.is_empty(), "{:?}", blobs.skipped);
    let mut inst: Vec<u32> = blobs.headers.iter().map(|h| h.instance).collect();
    inst.sort();
    // Record 0 (rpm's instance counter) is not a package.
    assert_eq!(inst, [1, 2, 3, 4, 5]);
    // bigdesc's header (14,044 bytes) spans several overflow pages.
    assert!(blobs.headers.iter().any(|h| h.blob.len() == 14_044));
    let c = rootfs::rpm_legacy_db(&b, Some(&alma())).unwrap();
    assert_eq!(nevra(&c), EXPECTED);
    let ssl = c.iter().find(|c| c.name == "openssl-libs").unwrap();
    assert_eq!(ssl.ecosystem.as_deref(), Some("AlmaLinux:9"));
    assert_eq!(
        ssl.purl.as_deref(),
        Some(
            "pkg:rpm/almalinux/openssl-libs@1:3.0.7-27.el9?arch=x86_64&distro=almalinux-9.3&srpm=openssl"
        )
    );
    assert_eq!(ssl.licenses, ["Apache-2.0"]);
}

#[test]
fn bdb_big_endian_512_byte_pages() {
    let b = fixture("Packages-be512");
    let blobs = rpmdb::bdb_headers(&b).unwrap();
    assert!(blobs.skipped.is_empty(), "{:?}", blobs.skipped);
    // The same header blobs as the little-endian file.
    let mut a: Vec<_> = blobs.headers;
    let mut l = rpmdb::bdb_headers(&fixture("Packages")).unwrap().headers;
    a.sort_by_key(|h| h.instance);
    l.sort_by_key(|h| h.instance);
    assert_eq!(a, l);
}

#[test]
fn ndb() {
    let b = fixture("Packages.db");
    assert_eq!(rpmdb::detect(&b), Some(RpmDbFormat::Ndb));
    let blobs = rpmdb::ndb_headers(&b).unwrap();
    assert!(blobs.skipped.is_empty(), "{:?}", blobs.skipped);
    assert_eq!(blobs.headers.len(), 5);
    let c = rootfs::rpm_legacy_db(&b, Some(&alma())).unwrap();
    assert_eq!(nevra(&c), EXPECTED);
}

#[test]
fn three_formats_agree() {
    let dir = std::env::temp_dir().join(format!("mcpsec-rpmdb-agree-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let sqlite = dir.join("rpmdb.sqlite");
    std::fs::write(&sqlite, fixture("rpmdb.sqlite")).unwrap();
    let from_sqlite = rootfs::rpm_sqlite_file(&sqlite, Some(&alma())).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(nevra(&from_sqlite), EXPECTED);
    for f in ["Packages", "Packages-be512", "Packages.db"] {
        let c = rootfs::rpm_legacy_db(&fixture(f), Some(&alma())).unwrap();
        let purls = |c: &[mcpsec_vuln::sbom::Component]| {
            let mut v: Vec<_> = c.iter().map(|c| c.purl.clone()).collect();
            v.sort();
            v
        };
        assert_eq!(purls(&c), purls(&from_sqlite), "{f}");
    }
}

fn rootfs_with(db_path: &str, bytes: &[u8]) -> PathBuf {
    let root = std::env::temp_dir().join(format!(
        "mcpsec-rpmdb-rootfs-{}-{}",
        std::process::id(),
        db_path.replace('/', "_")
    ));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::write(
        root.join("etc/os-release"),
        "NAME=\"openSUSE Leap\"\nID=\"opensuse-leap\"\nVERSION_ID=\"15.5\"\n",
    )
    .unwrap();
    let f = root.join(db_path);
    std::fs::create_dir_all(f.parent().unwrap()).unwrap();
    std::fs::write(f, bytes).unwrap();
    root
}

#[test]
fn rootfs_directories_with_legacy_databases() {
    for (path, file) in [
        ("var/lib/rpm/Packages", "Packages"),
        ("usr/lib/sysimage/rpm/Packages.db", "Packages.db"),
    ] {
        let root = rootfs_with(path, &fixture(file));
        let c = mcpsec_vuln::inputs::collect(&root).unwrap();
        let _ = std::fs::remove_dir_all(&root);
        assert!(c.errors.is_empty(), "{path}: {:?}", c.errors);
        assert_eq!(c.components.len(), 5, "{path}");
        let bash = c.components.iter().find(|c| c.name == "bash").unwrap();
        assert!(
            bash.ecosystem.as_deref().unwrap().starts_with("openSUSE"),
            "{path}"
        );
        assert!(
            bash.purl
                .as_deref()
                .unwrap()
                .starts_with("pkg:rpm/opensuse/bash@5.1.8-6.el9")
        );
    }
}

#[test]
fn corrupt_databases_are_errors_or_skipped_records() {
    // Truncated to the metadata page: no records, no panic.
    let b = fixture("Packages");
    assert!(rpmdb::bdb_headers(&b[..4096]).unwrap().headers.is_empty());
    // Truncated in the middle: the overflow chains that point past the end
    // are reported, whatever is complete is still returned.
    let r = rpmdb::bdb_headers(&b[..b.len() / 2]).unwrap();
    assert!(r.headers.len() < 5);
    // A btree is not what rpm uses.
    let mut bt = b.clone();
    bt[12..16].copy_from_slice(&0x053162u32.to_le_bytes());
    assert!(matches!(rpmdb::bdb_headers(&bt), Err(RpmDbError::Bdb(m)) if m.contains("btree")));
    // A bad page size.
    let mut ps = b.clone();
    ps[20..24].copy_from_slice(&1000u32.to_le_bytes());
    assert!(rpmdb::bdb_headers(&ps).is_err());

    // NDB: a flipped byte inside a blob fails its checksum and only that
    // package is skipped.
    let n = fixture("Packages.db");
    let mut bad = n.clone();
    bad[4096 + 100] ^= 0xff;
    let r = rpmdb::ndb_headers(&bad).unwrap();
    assert_eq!(r.headers.len(), 4);
    assert!(
        r.skipped.iter().any(|s| s.contains("adler32")),
        "{:?}",
        r.skipped
    );
    // A slot pointing past the end of the file.
    let mut past = n.clone();
    past[32 + 8..32 + 12].copy_from_slice(&0x00ff_ffffu32.to_le_bytes());
    let r = rpmdb::ndb_headers(&past).unwrap();
    assert_eq!(r.headers.len(), 4);
    assert!(
        r.skipped.iter().any(|s| s.contains("past the end")),
        "{:?}",
        r.skipped
    );
    // Truncated slot page.
    assert!(
        matches!(rpmdb::ndb_headers(&n[..2000]), Err(RpmDbError::Ndb(m)) if m.contains("shorter"))
    );
    // Unknown content in a root filesystem is reported with the reason.
    assert!(
        rootfs::rpm_legacy_db(b"hello", None)
            .unwrap_err()
            .contains("not an rpm database")
    );
}

#[test]
fn bdb_generated_with_many_records() {
    // A larger database (several buckets, overflow chains interleaved) when
    // BerkeleyDB's db_load is installed (Debian: db5.3-util); skipped otherwise.
    let Ok(out) = std::process::Command::new("db5.3_load").arg("-V").output() else {
        eprintln!("SKIPPED: db5.3_load is not installed (apt-get install db5.3-util)");
        return;
    };
    assert!(out.status.success());
    let blobs = rpmdb::bdb_headers(&fixture("Packages")).unwrap().headers;
    let dir = std::env::temp_dir().join(format!("mcpsec-rpmdb-many-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut dump =
        String::from("VERSION=3\nformat=bytevalue\ntype=hash\ndb_pagesize=1024\nHEADER=END\n");
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    for i in 1..=300u32 {
        let blob = &blobs[(i as usize) % blobs.len()].blob;
        dump.push_str(&format!(" {}\n {}\n", hex(&i.to_le_bytes()), hex(blob)));
    }
    dump.push_str("DATA=END\n");
    std::fs::write(dir.join("dump"), dump).unwrap();
    let st = std::process::Command::new("db5.3_load")
        .arg("-f")
        .arg(dir.join("dump"))
        .arg(dir.join("Packages"))
        .status()
        .unwrap();
    assert!(st.success());
    let r = rpmdb::bdb_headers(&std::fs::read(dir.join("Packages")).unwrap()).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(r.skipped.is_empty(), "{:?}", r.skipped);
    let mut inst: Vec<u32> = r.headers.iter().map(|h| h.instance).collect();
    inst.sort();
    assert_eq!(inst, (1..=300).collect::<Vec<_>>());
    for h in &r.headers {
        assert_eq!(h.blob, blobs[(h.instance as usize) % blobs.len()].blob);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    /// Arbitrary bytes, and the real fixtures with random bytes overwritten,
    /// never panic either reader.
    #[test]
    fn readers_never_panic(
        b in proptest::collection::vec(any::<u8>(), 0..6000),
        edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..16),
        which in 0usize..3,
    ) {
        let _ = rpmdb::bdb_headers(&b);
        let _ = rpmdb::ndb_headers(&b);
        let _ = rootfs::rpm_legacy_db(&b, None);
        let mut f = fixture(["Packages", "Packages-be512", "Packages.db"][which]);
        for (at, v) in edits {
            let n = f.len();
            f[at % n] = v;
        }
        let _ = rootfs::rpm_legacy_db(&f, None);
        let _ = rpmdb::bdb_headers(&f);
        let _ = rpmdb::ndb_headers(&f);
    }
}
