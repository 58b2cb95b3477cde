//! End-to-end: `mcpsec scan` / `mcpsec sbom` on an unpacked root filesystem
//! (Debian, dpkg status with a binary package built from `openssl`) and on a
//! project directory with the newer lockfile kinds (pom.xml, uv.lock,
//! Pipfile.lock, gradle.lockfile, packages.lock.json). All inputs are written
//! by the test.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn tmp(name: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("vuln-rootfs-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn write(root: &Path, files: &[(&str, &str)]) {
    for (p, data) in files {
        let f = root.join(p);
        std::fs::create_dir_all(f.parent().unwrap()).unwrap();
        std::fs::write(f, data).unwrap();
    }
}

fn mcpsec(dir: &Path, args: &[&str]) -> Output {
    Command::new(common::BIN)
        .args(args)
        .current_dir(dir)
        .env("RUST_LOG", "warn")
        .env_remove("MCPSEC_CONFIG")
        .env_remove("MCPSEC_STORE__BACKEND")
        .output()
        .expect("run mcpsec")
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    })
}

const OSV_OPENSSL: &str = r#"{"id":"DSA-9999-1","modified":"2024-02-01T00:00:00Z","aliases":["CVE-2099-0001"],
"summary":"openssl: test advisory",
"severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
"affected":[{"package":{"ecosystem":"Debian:12","name":"openssl"},
"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"3.0.13-1~deb12u1"}]}]}]}"#;

const OSV_JACKSON: &str = r#"{"id":"GHSA-test-jack","modified":"2024-02-01T00:00:00Z",
"affected":[{"package":{"ecosystem":"Maven","name":"com.fasterxml.jackson.core:jackson-databind"},
"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"2.9.0"},{"fixed":"2.9.10.8"}]}]}]}"#;

#[test]
fn scan_and_sbom_of_a_root_filesystem() {
    let dir = tmp("rootfs");
    write(
        &dir,
        &[
            ("osv/DSA-9999-1.json", OSV_OPENSSL),
            (
                "root/etc/os-release",
                "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n",
            ),
            (
                "root/var/lib/dpkg/status",
                "Package: libssl3\nStatus: install ok installed\nArchitecture: amd64\nSource: openssl\nVersion: 3.0.11-1~deb12u2\n\n\
                 Package: bash\nStatus: install ok installed\nArchitecture: amd64\nVersion: 5.2.15-2+b2\n",
            ),
        ],
    );
    let o = mcpsec(
        &dir,
        &[
            "scan",
            "root",
            "--osv",
            "osv",
            "--format",
            "json",
            "--fail-on",
            "high",
        ],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(
        o.status.code(),
        Some(1),
        "critical finding fails the gate: {err}"
    );
    assert!(err.contains("Debian:12"), "{err}");
    let v = json(&o);
    let f = v["findings"].as_array().unwrap();
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["vulnerability"]["id"], "DSA-9999-1");
    assert_eq!(f[0]["component"]["name"], "libssl3");
    assert_eq!(f[0]["component"]["version"], "3.0.11-1~deb12u2");
    assert_eq!(f[0]["fixed_versions"][0], "3.0.13-1~deb12u1");
    assert_eq!(v["summary"]["components_scanned"], 2);
    assert_eq!(v["summary"]["distro"]["id"], "debian");
    assert_eq!(v["summary"]["inputs"][0]["format"], "dpkg");

    let o = mcpsec(&dir, &["sbom", "root", "--format", "cyclonedx"]);
    assert!(o.status.success());
    let bom = json(&o);
    let purls: Vec<&str> = bom["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["purl"].as_str())
        .collect();
    assert!(
        purls.contains(
            &"pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12&upstream=openssl"
        ),
        "{purls:?}"
    );
    // The SBOM scans to the same finding.
    std::fs::write(dir.join("bom.cdx.json"), &o.stdout).unwrap();
    let o = mcpsec(
        &dir,
        &["scan", "bom.cdx.json", "--osv", "osv", "--format", "json"],
    );
    assert!(o.status.success());
    let v = json(&o);
    assert_eq!(v["findings"][0]["component"]["name"], "libssl3");
}

#[test]
fn project_directory_with_newer_lockfiles() {
    let dir = tmp("project");
    write(
        &dir,
        &[
            ("osv/GHSA-test-jack.json", OSV_JACKSON),
            (
                "proj/svc/pom.xml",
                "<project><properties><jackson.version>2.9.10</jackson.version></properties>\
                 <dependencies><dependency><groupId>com.fasterxml.jackson.core</groupId>\
                 <artifactId>jackson-databind</artifactId><version>${jackson.version}</version>\
                 </dependency></dependencies></project>",
            ),
            (
                "proj/py/uv.lock",
                "version = 1\n[[package]]\nname = \"requests\"\nversion = \"2.31.0\"\nsource = { registry = \"https://pypi.org/simple\" }\n\
                 [[package]]\nname = \"me\"\nversion = \"0.1.0\"\nsource = { virtual = \".\" }\n",
            ),
            (
                "proj/py2/Pipfile.lock",
                r#"{"default":{"django":{"version":"==4.2.1"}},"develop":{}}"#,
            ),
            (
                "proj/gr/gradle.lockfile",
                "# comment\norg.yaml:snakeyaml:1.33=runtimeClasspath\nempty=\n",
            ),
            (
                "proj/net/packages.lock.json",
                r#"{"version":1,"dependencies":{"net8.0":{"Newtonsoft.Json":{"type":"Direct","resolved":"13.0.1"},"My.Lib":{"type":"Project"}}}}"#,
            ),
            ("proj/bad/pom.xml", "<project><dependencies>"),
        ],
    );
    let o = mcpsec(&dir, &["scan", "proj", "--osv", "osv", "--format", "json"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    // The broken pom.xml is reported with its path and skipped.
    assert!(err.contains("bad/pom.xml"), "{err}");
    let v = json(&o);
    let mut formats: Vec<&str> = v["summary"]["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["format"].as_str().unwrap())
        .collect();
    formats.sort();
    assert_eq!(
        formats,
        [
            "GradleLockfile",
            "NugetLock",
            "PipfileLock",
            "PomXml",
            "UvLock"
        ]
    );
    assert_eq!(v["summary"]["components_scanned"], 5);
    let f = v["findings"].as_array().unwrap();
    assert_eq!(f.len(), 1);
    assert_eq!(
        f[0]["component"]["purl"],
        "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.9.10"
    );
}
