//! osv-scalibr lockfile test data: every file of the supported extractors
//! parses or errors cleanly; counts and entries verified by hand.

mod common;

use mcpsec_vuln::lockfile::{self, LockfileKind};

const DIRS: &[(&str, LockfileKind)] = &[
    ("language/javascript/packagelockjson", LockfileKind::NpmLock),
    ("language/javascript/yarnlock", LockfileKind::YarnLock),
    ("language/javascript/pnpmlock", LockfileKind::PnpmLock),
    ("language/rust/cargolock", LockfileKind::CargoLock),
    ("language/python/poetrylock", LockfileKind::PoetryLock),
    ("language/python/requirements", LockfileKind::Requirements),
    ("language/golang/gomod", LockfileKind::GoMod),
    ("language/ruby/gemfilelock", LockfileKind::GemfileLock),
    ("language/php/composerlock", LockfileKind::ComposerLock),
    ("language/python/uvlock", LockfileKind::UvLock),
    ("language/python/pipfilelock", LockfileKind::PipfileLock),
    ("language/java/pomxml", LockfileKind::PomXml),
    ("language/java/gradlelockfile", LockfileKind::GradleLockfile),
    (
        "language/dotnet/packageslockjson/valid",
        LockfileKind::NugetLock,
    ),
    (
        "language/dotnet/packageslockjson/invalid",
        LockfileKind::NugetLock,
    ),
];

fn parse(
    rel: &str,
    kind: LockfileKind,
) -> Option<Result<Vec<(String, String)>, lockfile::LockfileError>> {
    let p = common::vuln_data(&format!("lockfiles/osv-scalibr/{rel}"))?;
    Some(lockfile::parse(kind, &std::fs::read(p).unwrap()).map(|cs| {
        cs.into_iter()
            .map(|c| (c.name, c.version.unwrap_or_default()))
            .collect()
    }))
}

#[test]
fn every_lockfile_parses_or_errors() {
    let Some(root) = common::vuln_data("lockfiles/osv-scalibr") else {
        return;
    };
    let (mut ok, mut err) = (0, 0);
    for (dir, kind) in DIRS {
        let mut files: Vec<_> = std::fs::read_dir(root.join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for f in files.iter().filter(|f| f.is_file()) {
            let name = f.file_name().unwrap().to_string_lossy().to_string();
            match lockfile::parse(*kind, &std::fs::read(f).unwrap()) {
                Ok(c) => {
                    ok += 1;
                    eprintln!("{dir}/{name}: {} packages", c.len());
                }
                Err(e) => {
                    err += 1;
                    eprintln!("{dir}/{name}: error: {e}");
                    // Only deliberately broken inputs may fail.
                    assert!(
                        name.contains("not-")
                            || name.contains("invalid")
                            || name.contains("null")
                            || name.contains("empty-file"),
                        "{dir}/{name} failed: {e}"
                    );
                }
            }
        }
    }
    eprintln!("lockfiles: {ok} parsed, {err} rejected");
    assert!(ok > 100);
}

/// `resolved` entries in the sample (all frameworks, `Project` entries excluded), counted by hand.
const NUGET_VALID: usize = 8;

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

/// Entries read by hand from the files.
#[test]
fn hand_verified_entries() {
    use LockfileKind::*;
    type Case<'a> = (&'a str, LockfileKind, &'a [(&'a str, &'a str)]);
    let cases: &[Case] = &[
        (
            "language/rust/cargolock/two-packages-with-local.lock",
            CargoLock,
            &[("addr2line", "0.15.2")],
        ),
        (
            "language/golang/gomod/replace-one.mod",
            GoMod,
            &[("example.com/fork/net", "v1.4.5")],
        ),
        (
            "language/javascript/yarnlock/with-aliases.v1.lock",
            YarnLock,
            &[
                ("ansi-regex", "5.0.1"),
                ("ansi-regex", "6.0.1"),
                ("@babel/helper-validator-identifier", "7.22.20"),
            ],
        ),
        (
            "language/javascript/pnpmlock/one-package.v9.yaml",
            PnpmLock,
            &[("acorn", "8.11.3")],
        ),
        (
            "language/python/uvlock/source-git.lock",
            UvLock,
            &[("ruff", "0.8.1")],
        ),
        (
            "language/python/uvlock/names-outside-package-block.lock",
            UvLock,
            &[("first-pkg", "1.0.0"), ("second-pkg", "2.0.0")],
        ),
        (
            "language/python/pipfilelock/two-packages.json",
            PipfileLock,
            &[("itsdangerous", "2.1.2"), ("markupsafe", "2.1.1")],
        ),
        (
            "language/java/pomxml/interpolation.xml",
            PomXml,
            &[
                ("org.mine:mypackage", "1.0.0"),
                ("org.mine:my.package", "2.3.4"),
            ],
        ),
        (
            "language/java/pomxml/with-dependency-management.xml",
            PomXml,
            &[
                ("io.netty:netty-all", "4.1.9"),
                ("org.slf4j:slf4j-log4j12", "1.7.25"),
            ],
        ),
        (
            // alice, bob from a property, chuck from dependencyManagement;
            // frank's version is only in the parent POM.
            "language/java/pomxml/with-parent.xml",
            PomXml,
            &[
                ("org.alice:alice", "1.0.0"),
                ("org.bob:bob", "2.0.0"),
                ("org.chuck:chuck", "3.0.0"),
            ],
        ),
        (
            "language/java/gradlelockfile/with-bad-pkg",
            GradleLockfile,
            &[
                (
                    "org.springframework.boot:spring-boot-autoconfigure",
                    "2.7.4",
                ),
                (
                    "org.springframework.boot:spring-boot-configuration-processor",
                    "2.7.5",
                ),
            ],
        ),
    ];
    for (rel, kind, want) in cases {
        let Some(got) = parse(rel, *kind) else { return };
        assert_eq!(got.unwrap(), pairs(want), "{rel}");
    }
    let counts: &[(&str, LockfileKind, usize)] = &[
        (
            "language/javascript/packagelockjson/two-packages.v1.json",
            NpmLock,
            2,
        ),
        (
            "language/javascript/packagelockjson/two-packages.v2.json",
            NpmLock,
            2,
        ),
        (
            "language/javascript/packagelockjson/scoped-packages.v2.json",
            NpmLock,
            2,
        ),
        ("language/rust/cargolock/many-packages.lock", CargoLock, 6),
        (
            "language/python/poetrylock/two-packages.lock",
            PoetryLock,
            2,
        ),
        ("language/ruby/gemfilelock/rails.lock", GemfileLock, 46),
        (
            "language/php/composerlock/two-packages.json",
            ComposerLock,
            2,
        ),
        ("language/golang/gomod/two-packages.mod", GoMod, 3), // two modules + the `go` directive (stdlib)
        // 14 registry packages; the virtual project is left out.
        ("language/python/uvlock/grouped-packages.lock", UvLock, 14),
        ("language/java/gradlelockfile/5-pkg", GradleLockfile, 5),
        (
            "language/java/gradlelockfile/only-comments",
            GradleLockfile,
            0,
        ),
        ("language/java/pomxml/transitive.xml", PomXml, 3),
        (
            "language/dotnet/packageslockjson/valid/packages.lock.json",
            NugetLock,
            NUGET_VALID,
        ),
    ];
    for (rel, kind, n) in counts {
        let Some(got) = parse(rel, *kind) else { return };
        assert_eq!(got.unwrap().len(), *n, "{rel}");
    }
}
