//! Container images and root filesystems: image tarballs (`docker save`,
//! OCI layout) and root filesystem directories built here with the tar
//! crate, layers applied with whiteouts, OS package databases (dpkg, apk,
//! rpm sqlite) and language packages read, distro advisories matched on
//! source package names.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::write::GzEncoder;
use mcpsec_vuln::inputs;
use mcpsec_vuln::osv::{OsvDatabase, OsvRecord};
use mcpsec_vuln::rootfs;
use mcpsec_vuln::scan::scan;

fn tmp(name: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("images-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

enum E<'a> {
    File(&'a str, &'a [u8]),
    Dir(&'a str),
    Symlink(&'a str, &'a str),
    /// A path written raw into the header (bypassing the tar crate's checks).
    Raw(&'a str, &'a [u8]),
}

fn tar_bytes(entries: &[E]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for e in entries {
        let mut h = tar::Header::new_gnu();
        h.set_mode(0o644);
        match e {
            E::File(p, data) => {
                h.set_size(data.len() as u64);
                h.set_entry_type(tar::EntryType::Regular);
                b.append_data(&mut h, p, *data).unwrap();
            }
            E::Dir(p) => {
                h.set_size(0);
                h.set_entry_type(tar::EntryType::Directory);
                b.append_data(&mut h, p, &[][..]).unwrap();
            }
            E::Symlink(p, target) => {
                h.set_size(0);
                h.set_entry_type(tar::EntryType::Symlink);
                b.append_link(&mut h, p, target).unwrap();
            }
            E::Raw(p, data) => {
                h.set_size(data.len() as u64);
                h.set_entry_type(tar::EntryType::Regular);
                let name = &mut h.as_gnu_mut().unwrap().name;
                name[..p.len()].copy_from_slice(p.as_bytes());
                h.set_cksum();
                b.append(&h, *data).unwrap();
            }
        }
    }
    b.into_inner().unwrap()
}

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

const DEBIAN_OS_RELEASE: &[u8] = b"PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\nID=debian\n";

const DPKG_STATUS: &[u8] = b"Package: libssl3
Status: install ok installed
Priority: optional
Architecture: amd64
Source: openssl
Version: 3.0.11-1~deb12u2
Description: Secure Sockets Layer toolkit - shared libraries
 This package is part of the OpenSSL project's implementation.

Package: openssl
Status: install ok installed
Architecture: amd64
Version: 3.0.11-1~deb12u2

Package: zlib1g
Status: install ok installed
Architecture: amd64
Source: zlib
Version: 1:1.2.13.dfsg-1

Package: removed-pkg
Status: deinstall ok config-files
Architecture: amd64
Version: 1.0
";

fn osv(json: &str) -> OsvRecord {
    OsvRecord::from_json(json.as_bytes()).unwrap()
}

fn debian_db() -> OsvDatabase {
    let mut db = OsvDatabase::new();
    db.insert(
        "test".into(),
        osv(r#"{"id":"DSA-TEST-1","modified":"2024-01-01T00:00:00Z","aliases":["CVE-2024-0001"],
        "affected":[{"package":{"ecosystem":"Debian:12","name":"openssl"},
        "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"3.0.13-1~deb12u1"}]}]}]}"#),
    );
    // Same source name in another release: must not match.
    db.insert(
        "test".into(),
        osv(r#"{"id":"DSA-TEST-2","modified":"2024-01-01T00:00:00Z",
        "affected":[{"package":{"ecosystem":"Debian:11","name":"zlib"},
        "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1:1.2.13.dfsg-2"}]}]}]}"#),
    );
    db.insert(
        "test".into(),
        osv(r#"{"id":"GHSA-TEST-3","modified":"2024-01-01T00:00:00Z",
        "affected":[{"package":{"ecosystem":"npm","name":"minimist"},
        "ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.2.6"}]}]}]}"#),
    );
    db
}

fn write_docker_save(dir: &Path) -> PathBuf {
    let layer1 = gz(&tar_bytes(&[
        E::Dir("etc/"),
        E::File("usr/lib/os-release", DEBIAN_OS_RELEASE),
        E::Symlink("etc/os-release", "../usr/lib/os-release"),
        E::File("var/lib/dpkg/status", DPKG_STATUS),
        E::File(
            "usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA",
            b"Metadata-Version: 2.1\nName: six\nVersion: 1.16.0\n",
        ),
        E::File(
            "usr/lib/python3/dist-packages/idna-3.3.dist-info/METADATA",
            b"Metadata-Version: 2.1\nName: idna\nVersion: 3.3\n",
        ),
        E::File(
            "app/node_modules/lodash/package.json",
            br#"{"name":"lodash","version":"4.17.20"}"#,
        ),
        E::File("app/requirements.txt", b"Django==4.2.1\n"),
    ]));
    // Layer 2 deletes six, makes node_modules opaque and adds minimist.
    let layer2 = tar_bytes(&[
        E::File(
            "usr/lib/python3/dist-packages/.wh.six-1.16.0.dist-info",
            b"",
        ),
        E::File("app/node_modules/.wh..wh..opq", b""),
        E::File(
            "app/node_modules/minimist/package.json",
            br#"{"name":"minimist","version":"1.2.5","license":"MIT"}"#,
        ),
        E::File(
            "app/node_modules/minimist/lib/package.json",
            br#"{"name":"not-a-package","version":"0.0.1"}"#,
        ),
        E::Raw("../../outside/package-lock.json", b"{}"),
    ]);
    let manifest = br#"[{"Config":"config.json","RepoTags":["example/app:1"],"Layers":["l1/layer.tar","l2/layer.tar"]}]"#;
    let outer = tar_bytes(&[
        E::File("manifest.json", manifest),
        E::File("config.json", b"{}"),
        E::File("l1/layer.tar", &layer1),
        E::File("l2/layer.tar", &layer2),
    ]);
    let p = dir.join("image.tar");
    std::fs::write(&p, outer).unwrap();
    p
}

fn names(c: &inputs::Collected) -> Vec<String> {
    let mut v: Vec<String> = c
        .components
        .iter()
        .map(|c| format!("{}@{}", c.name, c.version.as_deref().unwrap_or("")))
        .collect();
    v.sort();
    v
}

#[test]
fn docker_save_layers_whiteouts_and_matching() {
    let dir = tmp("docker");
    let img = write_docker_save(&dir);
    let c = inputs::collect(&img).unwrap();
    assert_eq!(
        names(&c),
        [
            "Django@4.2.1",
            "idna@3.3",
            "libssl3@3.0.11-1~deb12u2",
            "minimist@1.2.5",
            "openssl@3.0.11-1~deb12u2",
            "zlib1g@1:1.2.13.dfsg-1",
        ]
    );
    let info = c.image.as_ref().unwrap();
    assert_eq!(info.format, "docker-archive");
    assert_eq!(info.layers, 2);
    assert_eq!(info.repo_tags, ["example/app:1"]);
    assert_eq!(info.unsafe_entries, 1);
    assert!(
        c.errors
            .iter()
            .any(|e| e.path.contains("../../outside") && e.error.contains("unsafe"))
    );
    let d = c.distro.as_ref().unwrap();
    assert_eq!(d.osv_ecosystem().as_deref(), Some("Debian:12"));
    let ssl = c.components.iter().find(|c| c.name == "libssl3").unwrap();
    assert_eq!(
        ssl.purl.as_deref(),
        Some(
            "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12&upstream=openssl"
        )
    );
    assert!(
        c.files
            .iter()
            .any(|f| f.path.ends_with("image.tar!var/lib/dpkg/status")
                && f.format == "dpkg"
                && f.components == 3)
    );

    let r = scan(&c.components, &debian_db(), None);
    let mut got: Vec<String> = r
        .findings
        .iter()
        .map(|f| {
            format!(
                "{} {} {}",
                f.vulnerability.id, f.component.name, f.component.version
            )
        })
        .collect();
    got.sort();
    // libssl3 matches the openssl advisory through its source package;
    // zlib's advisory is for Debian 11 only.
    assert_eq!(
        got,
        [
            "DSA-TEST-1 libssl3 3.0.11-1~deb12u2",
            "DSA-TEST-1 openssl 3.0.11-1~deb12u2",
            "GHSA-TEST-3 minimist 1.2.5",
        ]
    );
    let f = r
        .findings
        .iter()
        .find(|f| f.component.name == "libssl3")
        .unwrap();
    assert_eq!(f.smallest_fix.as_deref(), Some("3.0.13-1~deb12u1"));
    assert_eq!(f.component.ecosystem, "Debian:12");
}

#[test]
fn gzipped_image_archive_and_bad_images() {
    let dir = tmp("gzimg");
    let img = write_docker_save(&dir);
    let gzp = dir.join("image.tar.gz");
    std::fs::write(&gzp, gz(&std::fs::read(&img).unwrap())).unwrap();
    let c = inputs::collect(&gzp).unwrap();
    assert_eq!(c.components.len(), 6);

    // A tarball that is no image: clear error naming the file.
    let other = dir.join("other.tar");
    std::fs::write(&other, tar_bytes(&[E::File("readme.txt", b"hi")])).unwrap();
    let e = inputs::collect(&other).unwrap_err().to_string();
    assert!(
        e.contains("other.tar") && e.contains("not a container image"),
        "{e}"
    );

    // A layer that is missing from the archive.
    let bad = dir.join("bad.tar");
    std::fs::write(
        &bad,
        tar_bytes(&[E::File(
            "manifest.json",
            br#"[{"Layers":["nope/layer.tar"]}]"#,
        )]),
    )
    .unwrap();
    let e = inputs::collect(&bad).unwrap_err().to_string();
    assert!(e.contains("nope/layer.tar"), "{e}");

    // A truncated layer.
    let layer = gz(&tar_bytes(&[E::File("var/lib/dpkg/status", DPKG_STATUS)]));
    let trunc = dir.join("trunc.tar");
    std::fs::write(
        &trunc,
        tar_bytes(&[
            E::File("manifest.json", br#"[{"Layers":["l.tar"]}]"#),
            E::File("l.tar", &layer[..layer.len() / 2]),
        ]),
    )
    .unwrap();
    let e = inputs::collect(&trunc).unwrap_err().to_string();
    assert!(e.contains("trunc.tar") && e.contains("l.tar"), "{e}");
}

const APK_INSTALLED: &[u8] = b"C:Q1abc=
P:libcrypto3
V:3.1.4-r5
A:x86_64
L:Apache-2.0
o:openssl
t:1700000000

C:Q1def=
P:busybox
V:1.36.1-r15
A:x86_64
L:GPL-2.0-only
o:busybox
";

#[test]
fn oci_layout_alpine() {
    let dir = tmp("oci");
    // A zstd layer (as containerd/podman write with zstd compression).
    let layer = ruzstd::encoding::compress_to_vec(
        &tar_bytes(&[
            E::File(
                "etc/os-release",
                b"NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.19.1\n",
            ),
            E::File("lib/apk/db/installed", APK_INSTALLED),
        ])[..],
        ruzstd::encoding::CompressionLevel::Fastest,
    );
    assert_eq!(&layer[..4], &[0x28, 0xb5, 0x2f, 0xfd]);
    // Any hex names will do: the reader does not verify digests.
    let (lh, mh) = (format!("{:064x}", 2), format!("{:064x}", 1));
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"digest":"sha256:{lh}"}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar+zstd","digest":"sha256:{lh}"}}]}}"#
    );
    let index = format!(
        r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:{mh}","platform":{{"os":"linux","architecture":"amd64"}}}}]}}"#
    );
    let layout = dir.join("layout");
    std::fs::create_dir_all(layout.join("blobs/sha256")).unwrap();
    std::fs::write(
        layout.join("oci-layout"),
        br#"{"imageLayoutVersion":"1.0.0"}"#,
    )
    .unwrap();
    std::fs::write(layout.join("index.json"), &index).unwrap();
    std::fs::write(layout.join(format!("blobs/sha256/{mh}")), &manifest).unwrap();
    std::fs::write(layout.join(format!("blobs/sha256/{lh}")), &layer).unwrap();

    // As a directory and as a tarball of the layout.
    let tarball = dir.join("oci.tar");
    std::fs::write(
        &tarball,
        tar_bytes(&[
            E::File("oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#),
            E::File("index.json", index.as_bytes()),
            E::File(&format!("blobs/sha256/{mh}"), manifest.as_bytes()),
            E::File(&format!("blobs/sha256/{lh}"), &layer),
        ]),
    )
    .unwrap();
    let mut db = OsvDatabase::new();
    db.insert(
        "test".into(),
        osv(r#"{"id":"CVE-2024-TEST","modified":"2024-01-01T00:00:00Z",
        "affected":[{"package":{"ecosystem":"Alpine:v3.19","name":"openssl"},
        "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"3.1.4-r6"}]}]}]}"#),
    );
    for (input, format) in [(&layout, "oci-layout"), (&tarball, "oci-archive")] {
        let c = inputs::collect(input).unwrap();
        assert_eq!(c.image.as_ref().unwrap().format, format);
        assert_eq!(names(&c), ["busybox@1.36.1-r15", "libcrypto3@3.1.4-r5"]);
        let lc = c
            .components
            .iter()
            .find(|c| c.name == "libcrypto3")
            .unwrap();
        assert_eq!(lc.ecosystem.as_deref(), Some("Alpine:v3.19"));
        assert_eq!(
            lc.purl.as_deref(),
            Some(
                "pkg:apk/alpine/libcrypto3@3.1.4-r5?arch=x86_64&distro=alpine-3.19.1&upstream=openssl"
            )
        );
        let r = scan(&c.components, &db, None);
        assert_eq!(r.findings.len(), 1, "{format}");
        assert_eq!(r.findings[0].component.name, "libcrypto3");
        assert_eq!(r.findings[0].smallest_fix.as_deref(), Some("3.1.4-r6"));
    }
}

#[test]
fn rootfs_directory() {
    let root = tmp("rootfs");
    for (p, data) in [
        ("etc/os-release", DEBIAN_OS_RELEASE),
        ("var/lib/dpkg/status.d/base", b"Package: base-files\nVersion: 12.4+deb12u5\nArchitecture: amd64\n" as &[u8]),
        ("var/lib/dpkg/status.d/base.md5sums", b"d41d8cd98f00b204e9800998ecf8427e  etc/x\n"),
        ("usr/local/lib/python3.11/site-packages/requests-2.31.0.dist-info/METADATA", b"Name: requests\nVersion: 2.31.0\n"),
        ("srv/app/node_modules/@babel/core/package.json", br#"{"name":"@babel/core","version":"7.22.0"}"#),
        ("usr/lib/ruby/gems/3.1.0/specifications/rack-2.2.8.gemspec", b"Gem::Specification.new do |s|\n  s.name = \"rack\".freeze\n  s.version = \"2.2.8\"\nend\n"),
        ("var/lib/rpm/Packages", b"\x00\x06\x15\x61"),
        ("opt/app/app.jar", &fat_jar()),
        ("opt/app/broken.jar", b"PK\x03\x04 not really"),
    ] {
        let f = root.join(p);
        std::fs::create_dir_all(f.parent().unwrap()).unwrap();
        std::fs::write(f, data).unwrap();
    }
    let c = inputs::collect(&root).unwrap();
    assert_eq!(
        names(&c),
        [
            "@babel/core@7.22.0",
            "base-files@12.4+deb12u5",
            "com.example:app@1.0.0",
            "org.yaml:snakeyaml@1.33",
            "rack@2.2.8",
            "requests@2.31.0"
        ]
    );
    // The broken jar is reported, the rest is read.
    assert!(
        c.errors
            .iter()
            .any(|e| e.path.ends_with("opt/app/broken.jar"))
    );
    // A broken BerkeleyDB rpm database is reported, the rest is read.
    assert!(
        c.errors
            .iter()
            .any(|e| e.path.ends_with("var/lib/rpm/Packages") && e.error.contains("BerkeleyDB")),
        "{:?}",
        c.errors
    );
    let base = c
        .components
        .iter()
        .find(|c| c.name == "base-files")
        .unwrap();
    assert_eq!(base.ecosystem.as_deref(), Some("Debian:12"));
}

fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in entries {
        w.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// A Spring-Boot-style jar: its own pom.properties and a nested library jar.
fn fat_jar() -> Vec<u8> {
    let inner = zip_of(&[(
        "META-INF/maven/org.yaml/snakeyaml/pom.properties",
        b"#Generated by Maven\ngroupId=org.yaml\nartifactId=snakeyaml\nversion=1.33\n",
    )]);
    zip_of(&[
        (
            "META-INF/maven/com.example/app/pom.properties",
            b"artifactId=app\ngroupId=com.example\nversion=1.0.0\n",
        ),
        ("BOOT-INF/lib/snakeyaml-1.33.jar", &inner),
        ("BOOT-INF/classes/App.class", b"\xca\xfe\xba\xbe"),
    ])
}

/// An rpm header blob: NAME, VERSION, RELEASE, EPOCH, ARCH, SOURCERPM, LICENSE.
fn rpm_blob(name: &str, ver: &str, rel: &str, epoch: Option<u32>, srpm: &str) -> Vec<u8> {
    let mut index: Vec<[u32; 4]> = Vec::new();
    let mut data: Vec<u8> = Vec::new();
    let mut s = |tag: u32, v: &str, index: &mut Vec<[u32; 4]>| {
        index.push([tag, 6, data.len() as u32, 1]);
        data.extend_from_slice(v.as_bytes());
        data.push(0);
    };
    s(1000, name, &mut index);
    s(1001, ver, &mut index);
    s(1002, rel, &mut index);
    s(1022, "x86_64", &mut index);
    s(1044, srpm, &mut index);
    s(1014, "GPLv3+", &mut index);
    if let Some(e) = epoch {
        while !data.len().is_multiple_of(4) {
            data.push(0);
        }
        index.push([1003, 4, data.len() as u32, 1]);
        data.extend_from_slice(&e.to_be_bytes());
    }
    let mut out = Vec::new();
    out.extend_from_slice(&(index.len() as u32).to_be_bytes());
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    for e in &index {
        for x in e {
            out.extend_from_slice(&x.to_be_bytes());
        }
    }
    out.extend_from_slice(&data);
    out
}

#[test]
fn rpm_sqlite_database() {
    let root = tmp("rpm");
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::create_dir_all(root.join("var/lib/rpm")).unwrap();
    std::fs::write(
        root.join("etc/os-release"),
        b"NAME=\"AlmaLinux\"\nID=\"almalinux\"\nVERSION_ID=\"9.3\"\n",
    )
    .unwrap();
    {
        let conn = rusqlite::Connection::open(root.join("var/lib/rpm/rpmdb.sqlite")).unwrap();
        conn.execute_batch(
            "CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL);",
        )
        .unwrap();
        for blob in [
            rpm_blob("bash", "5.1.8", "6.el9", None, "bash-5.1.8-6.el9.src.rpm"),
            rpm_blob(
                "openssl-libs",
                "3.0.7",
                "24.el9",
                Some(1),
                "openssl-3.0.7-24.el9.src.rpm",
            ),
            rpm_blob("gpg-pubkey", "b86b3716", "61e69f29", None, ""),
            vec![0, 0, 0, 200, 0, 0, 0, 1], // a corrupt header: skipped
        ] {
            conn.execute("INSERT INTO Packages (blob) VALUES (?1)", [blob])
                .unwrap();
        }
    }
    let c = inputs::collect(&root).unwrap();
    assert_eq!(
        names(&c),
        ["bash@5.1.8-6.el9", "openssl-libs@1:3.0.7-24.el9"]
    );
    let ssl = c
        .components
        .iter()
        .find(|c| c.name == "openssl-libs")
        .unwrap();
    assert_eq!(ssl.ecosystem.as_deref(), Some("AlmaLinux:9"));
    assert_eq!(
        ssl.purl.as_deref(),
        Some(
            "pkg:rpm/almalinux/openssl-libs@1:3.0.7-24.el9?arch=x86_64&distro=almalinux-9.3&srpm=openssl"
        )
    );
    assert_eq!(ssl.licenses, ["GPLv3+"]);
    let mut db = OsvDatabase::new();
    db.insert(
        "test".into(),
        osv(r#"{"id":"ALSA-TEST","modified":"2024-01-01T00:00:00Z",
        "affected":[{"package":{"ecosystem":"AlmaLinux:9","name":"openssl-libs"},
        "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1:3.0.7-25.el9_3"}]}]}]}"#),
    );
    let r = scan(&c.components, &db, None);
    assert_eq!(r.findings.len(), 1);
    assert_eq!(r.findings[0].component.name, "openssl-libs");
}

#[test]
fn osv_scalibr_os_databases() {
    let (Some(dpkg), Some(apk)) = (
        common::vuln_data("lockfiles/osv-scalibr/os/dpkg/dpkg/valid"),
        common::vuln_data("lockfiles/osv-scalibr/os/apk/installed"),
    ) else {
        return;
    };
    let text = std::fs::read_to_string(&dpkg).unwrap();
    let installed = text
        .split("\n\n")
        .filter(|p| p.contains("Status: install ok installed") && p.contains("\nVersion:"))
        .count();
    let c = rootfs::dpkg_status(&text, None);
    assert!(installed > 0);
    assert_eq!(c.len(), installed);
    let text = std::fs::read_to_string(&apk).unwrap();
    let c = rootfs::apk_installed(&text, None);
    assert_eq!(
        c.len(),
        text.matches("\nP:").count() + usize::from(text.starts_with("P:"))
    );
    assert!(c.iter().all(|c| c.ecosystem.as_deref() == Some("Alpine")));
}

#[test]
fn this_machines_dpkg_status() {
    let p = Path::new("/var/lib/dpkg/status");
    let Ok(text) = std::fs::read_to_string(p) else {
        eprintln!("SKIPPED: /var/lib/dpkg/status is absent");
        return;
    };
    let installed = text
        .split("\n\n")
        .filter(|p| {
            p.lines()
                .any(|l| l.starts_with("Status:") && l.ends_with(" installed"))
        })
        .count();
    let c = rootfs::dpkg_status(&text, None);
    eprintln!("/var/lib/dpkg/status: {} installed packages", c.len());
    assert_eq!(c.len(), installed);
    assert!(
        c.iter()
            .all(|c| c.purl.as_deref().is_some_and(|p| p.starts_with("pkg:deb/")))
    );
}

/// Real OSV distro records from shared/data: DSA-5474-1 (intel-microcode,
/// Debian 11 and 12, source package) and CVE-2018-5407 (Alpine openssl,
/// v3.3–v3.8, fixed 1.0.2q-r0), matched from root filesystems written here.
#[test]
fn real_distro_advisories_match_on_source_packages() {
    let (Some(deb), Some(alp)) = (
        common::vuln_data("osv/Debian"),
        common::vuln_data("osv/Alpine"),
    ) else {
        return;
    };
    let db = OsvDatabase::load_paths(&[deb, alp]).unwrap();
    let root = tmp("real-debian");
    let f = root.join("var/lib/dpkg/status");
    std::fs::create_dir_all(f.parent().unwrap()).unwrap();
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::write(root.join("etc/os-release"), DEBIAN_OS_RELEASE).unwrap();
    // The binary package has the source's name here; nginx's DSA is for Debian 7 only.
    std::fs::write(
        &f,
        "Package: intel-microcode\nStatus: install ok installed\nArchitecture: amd64\nVersion: 3.20230512.1\n\n\
         Package: nginx-common\nStatus: install ok installed\nSource: nginx\nVersion: 1.2.1-2.2+wheezy2\n",
    )
    .unwrap();
    let c = inputs::collect(&root).unwrap();
    let r = scan(&c.components, &db, None);
    let got: Vec<_> = r
        .findings
        .iter()
        .map(|f| {
            (
                f.vulnerability.id.as_str(),
                f.component.name.as_str(),
                f.smallest_fix.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [(
            "DSA-5474-1",
            "intel-microcode",
            Some("3.20230808.1~deb12u1")
        )]
    );

    let root = tmp("real-alpine");
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::create_dir_all(root.join("lib/apk/db")).unwrap();
    std::fs::write(root.join("etc/os-release"), "ID=alpine\nVERSION_ID=3.8.5\n").unwrap();
    std::fs::write(
        root.join("lib/apk/db/installed"),
        "P:libcrypto1.0\nV:1.0.2p-r0\nA:x86_64\no:openssl\n\nP:libssl1.0\nV:1.0.2q-r0\no:openssl\n",
    )
    .unwrap();
    let c = inputs::collect(&root).unwrap();
    let r = scan(&c.components, &db, None);
    let got: Vec<_> = r
        .findings
        .iter()
        .map(|f| {
            (
                f.vulnerability.id.as_str(),
                f.component.name.as_str(),
                f.smallest_fix.as_deref(),
            )
        })
        .collect();
    // libssl1.0 already has the fix.
    assert_eq!(got, [("CVE-2018-5407", "libcrypto1.0", Some("1.0.2q-r0"))]);
}
