//! Reachability hints: direct/transitive and runtime/development from
//! lockfiles, imports from the scanned source tree, and their effect on the
//! risk score.

use mcpsec_vuln::inputs;
use mcpsec_vuln::lockfile::{self, LockfileKind};
use mcpsec_vuln::osv::{OsvDatabase, OsvRecord};
use mcpsec_vuln::reachability::{Reachability, Scope};
use mcpsec_vuln::sbom::Component;
use mcpsec_vuln::scan::scan;

fn find<'a>(c: &'a [Component], name: &str) -> &'a Reachability {
    &c.iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("{name} missing"))
        .reachability
}

fn r(direct: Option<bool>, scope: Option<Scope>) -> Reachability {
    Reachability {
        direct,
        scope,
        imported: None,
    }
}

const NPM_LOCK: &str = r#"{
  "name": "app", "lockfileVersion": 3,
  "packages": {
    "": { "name": "app", "dependencies": { "express": "^4" }, "devDependencies": { "jest": "^29" } },
    "node_modules/express": { "version": "4.17.1" },
    "node_modules/qs": { "version": "6.7.0" },
    "node_modules/jest": { "version": "29.0.0", "dev": true },
    "node_modules/jest/node_modules/semver": { "version": "6.3.0", "dev": true },
    "node_modules/semver": { "version": "7.5.0" }
  }
}"#;

#[test]
fn npm_lock_v3() {
    let c = lockfile::parse(LockfileKind::NpmLock, NPM_LOCK.as_bytes()).unwrap();
    use Scope::*;
    assert_eq!(*find(&c, "express"), r(Some(true), Some(Runtime)));
    assert_eq!(*find(&c, "qs"), r(Some(false), Some(Runtime)));
    assert_eq!(*find(&c, "jest"), r(Some(true), Some(Development)));
    let semver: Vec<_> = c.iter().filter(|c| c.name == "semver").collect();
    assert_eq!(semver.len(), 2);
    assert!(
        semver
            .iter()
            .any(|s| s.reachability == r(Some(false), Some(Development)))
    );
}

#[test]
fn npm_lock_v1_dev_flag() {
    let c = lockfile::parse(
        LockfileKind::NpmLock,
        br#"{"lockfileVersion":1,"dependencies":{"a":{"version":"1.0.0","dev":true},"b":{"version":"2.0.0"}}}"#,
    )
    .unwrap();
    assert_eq!(*find(&c, "a"), r(None, Some(Scope::Development)));
    assert_eq!(*find(&c, "b"), r(None, Some(Scope::Runtime)));
}

#[test]
fn pnpm_importers_and_dev_flags() {
    let v9 = "lockfileVersion: '9.0'\nimporters:\n  .:\n    dependencies:\n      lodash:\n        specifier: ^4\n        version: 4.17.20\n    devDependencies:\n      vitest:\n        specifier: ^1\n        version: 1.0.0\npackages:\n  lodash@4.17.20:\n    resolution: {integrity: x}\n  vitest@1.0.0:\n    resolution: {integrity: y}\n  tinypool@0.8.0:\n    resolution: {integrity: z}\nsnapshots:\n  lodash@4.17.20: {}\n  vitest@1.0.0: {}\n  tinypool@0.8.0: {}\n";
    let c = lockfile::parse(LockfileKind::PnpmLock, v9.as_bytes()).unwrap();
    assert_eq!(*find(&c, "lodash"), r(Some(true), Some(Scope::Runtime)));
    assert_eq!(*find(&c, "vitest"), r(Some(true), Some(Scope::Development)));
    assert_eq!(*find(&c, "tinypool"), r(Some(false), None));
    let v5 = "lockfileVersion: 5.4\nspecifiers:\n  a: ^1\ndependencies:\n  a: 1.0.0\npackages:\n  /a/1.0.0:\n    dependencies:\n      b: 2.0.0\n    dev: false\n  /b/2.0.0:\n    dev: false\n  /c/3.0.0:\n    dev: true\n";
    let c = lockfile::parse(LockfileKind::PnpmLock, v5.as_bytes()).unwrap();
    assert_eq!(*find(&c, "a"), r(Some(true), Some(Scope::Runtime)));
    assert_eq!(*find(&c, "b"), r(Some(false), Some(Scope::Runtime)));
    assert_eq!(*find(&c, "c"), r(Some(false), Some(Scope::Development)));
}

#[test]
fn other_lockfiles() {
    let go = "module x\n\ngo 1.21\n\nrequire (\n\tgithub.com/a/b v1.0.0\n\tgithub.com/c/d v0.2.0 // indirect\n)\n";
    let c = lockfile::parse(LockfileKind::GoMod, go.as_bytes()).unwrap();
    assert_eq!(find(&c, "github.com/a/b").direct, Some(true));
    assert_eq!(find(&c, "github.com/c/d").direct, Some(false));

    let cargo = "version = 3\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\"serde\", \"rand 0.8.5\"]\n\n[[package]]\nname = \"serde\"\nversion = \"1.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n\n[[package]]\nname = \"rand\"\nversion = \"0.8.5\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\ndependencies = [\"libc\"]\n\n[[package]]\nname = \"libc\"\nversion = \"0.2.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n";
    let c = lockfile::parse(LockfileKind::CargoLock, cargo.as_bytes()).unwrap();
    assert_eq!(find(&c, "serde").direct, Some(true));
    assert_eq!(find(&c, "rand").direct, Some(true));
    assert_eq!(find(&c, "libc").direct, Some(false));

    let poetry = "[[package]]\nname = \"requests\"\nversion = \"2.31.0\"\ncategory = \"main\"\n\n[[package]]\nname = \"pytest\"\nversion = \"7.0.0\"\ncategory = \"dev\"\n\n[[package]]\nname = \"black\"\nversion = \"24.1.0\"\ngroups = [\"lint\"]\n";
    let c = lockfile::parse(LockfileKind::PoetryLock, poetry.as_bytes()).unwrap();
    assert_eq!(find(&c, "requests").scope, Some(Scope::Runtime));
    assert_eq!(find(&c, "pytest").scope, Some(Scope::Development));
    assert_eq!(find(&c, "black").scope, Some(Scope::Development));

    let pipfile = r#"{"_meta":{},"default":{"flask":{"version":"==2.0.0"}},"develop":{"pytest":{"version":"==7.0.0"}}}"#;
    let c = lockfile::parse(LockfileKind::PipfileLock, pipfile.as_bytes()).unwrap();
    assert_eq!(find(&c, "flask").scope, Some(Scope::Runtime));
    assert_eq!(find(&c, "pytest").scope, Some(Scope::Development));

    let composer = r#"{"packages":[{"name":"a/b","version":"1.0.0"}],"packages-dev":[{"name":"phpunit/phpunit","version":"9.0.0"}]}"#;
    let c = lockfile::parse(LockfileKind::ComposerLock, composer.as_bytes()).unwrap();
    assert_eq!(find(&c, "a/b").scope, Some(Scope::Runtime));
    assert_eq!(find(&c, "phpunit/phpunit").scope, Some(Scope::Development));

    let gem = "GEM\n  remote: https://rubygems.org/\n  specs:\n    rack (2.2.8)\n    rails (7.0.0)\n      rack (>= 2)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  rails (~> 7.0)\n";
    let c = lockfile::parse(LockfileKind::GemfileLock, gem.as_bytes()).unwrap();
    assert_eq!(find(&c, "rails").direct, Some(true));
    assert_eq!(find(&c, "rack").direct, Some(false));

    let gradle = "# lock\ncom.a:x:1.0=compileClasspath,runtimeClasspath\njunit:junit:4.12=testCompileClasspath,testRuntimeClasspath\nempty=\n";
    let c = lockfile::parse(LockfileKind::GradleLockfile, gradle.as_bytes()).unwrap();
    assert_eq!(find(&c, "com.a:x").scope, Some(Scope::Runtime));
    assert_eq!(find(&c, "junit:junit").scope, Some(Scope::Development));

    let nuget = r#"{"version":1,"dependencies":{"net8.0":{"A":{"type":"Direct","resolved":"1.0.0"},"B":{"type":"Transitive","resolved":"2.0.0"}}}}"#;
    let c = lockfile::parse(LockfileKind::NugetLock, nuget.as_bytes()).unwrap();
    assert_eq!(find(&c, "A").direct, Some(true));
    assert_eq!(find(&c, "B").direct, Some(false));
}

fn advisory(id: &str, name: &str) -> OsvRecord {
    OsvRecord::from_value(serde_json::json!({
        "id": id, "modified": "2024-01-01T00:00:00Z",
        "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"}],
        "affected": [{"package": {"ecosystem": "npm", "name": name},
            "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "99.0.0"}]}]}]
    }))
    .unwrap()
}

/// A project directory: the lockfile above, source importing express and
/// semver (a transitive package), not qs or jest.
#[test]
fn directory_scan_imports_and_risk() {
    let dir = std::env::temp_dir().join(format!("mcpsec-reach-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::create_dir_all(dir.join("node_modules/express")).unwrap();
    std::fs::write(dir.join("package-lock.json"), NPM_LOCK).unwrap();
    std::fs::write(
        dir.join("src/index.ts"),
        "import express from 'express';\nconst semver = require(\"semver/functions/gt\");\n",
    )
    .unwrap();
    // node_modules is not the project's source.
    std::fs::write(dir.join("node_modules/express/index.js"), "require('qs')\n").unwrap();
    let c = inputs::collect(&dir).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(c.source_files, 1);
    assert_eq!(find(&c.components, "express").imported, Some(true));
    assert_eq!(find(&c.components, "qs").imported, Some(false));
    assert_eq!(find(&c.components, "jest").imported, Some(false));

    let mut db = OsvDatabase::new();
    for (id, n) in [("A-1", "express"), ("A-2", "qs"), ("A-3", "jest")] {
        db.insert("t".into(), advisory(id, n));
    }
    let rep = scan(&c.components, &db, None);
    let risk = |id: &str| {
        rep.findings
            .iter()
            .find(|f| f.vulnerability.id == id)
            .unwrap()
    };
    // CVSS 7.5: direct + imported keeps it; transitive qs not imported keeps
    // it; jest is direct, dev-only and not imported: 7.5 × 0.5 × 0.75.
    assert_eq!(risk("A-1").risk_score, 7.5);
    assert_eq!(risk("A-2").risk_score, 7.5);
    assert_eq!(risk("A-3").risk_score, 2.8);
    assert_eq!(
        risk("A-3").reachability.label(),
        "direct, dev, not imported"
    );
    // The JSON finding carries the hint.
    let j = serde_json::to_value(risk("A-3")).unwrap();
    assert_eq!(
        j["reachability"],
        serde_json::json!({"direct": true, "scope": "development", "imported": false})
    );
    // Fix-first order puts the dev-only finding last.
    assert_eq!(rep.findings.last().unwrap().vulnerability.id, "A-3");
}

#[test]
fn sbom_without_hints_is_unchanged() {
    let c = vec![Component::from_parts("npm", "qs", "6.7.0")];
    let mut db = OsvDatabase::new();
    db.insert("t".into(), advisory("A-2", "qs"));
    let rep = scan(&c, &db, None);
    assert_eq!(rep.findings[0].risk_score, 7.5);
    let j = serde_json::to_value(&rep.findings[0]).unwrap();
    assert!(j.get("reachability").is_none());
}

#[test]
fn pip_compile_and_uv_lock() {
    let req = "#\n# pip-compile\n#\nclick==8.1.7\n    # via flask\nflask==3.0.0\n    # via -r requirements.in\njinja2==3.1.2\n    # via\n    #   -r requirements.in\n    #   flask\n";
    let c = lockfile::parse(LockfileKind::Requirements, req.as_bytes()).unwrap();
    assert_eq!(find(&c, "click").direct, Some(false));
    assert_eq!(find(&c, "flask").direct, Some(true));
    assert_eq!(find(&c, "jinja2").direct, Some(true));
    // Plain pins say nothing.
    let c = lockfile::parse(LockfileKind::Requirements, b"flask==3.0.0\n").unwrap();
    assert_eq!(find(&c, "flask").direct, None);

    let uv = "version = 1\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\nsource = { virtual = \".\" }\ndependencies = [\n    { name = \"requests\" },\n]\n\n[package.dev-dependencies]\ndev = [\n    { name = \"pytest\" },\n]\n\n[[package]]\nname = \"requests\"\nversion = \"2.31.0\"\nsource = { registry = \"https://pypi.org/simple\" }\n\n[[package]]\nname = \"urllib3\"\nversion = \"2.0.0\"\nsource = { registry = \"https://pypi.org/simple\" }\n\n[[package]]\nname = \"pytest\"\nversion = \"8.0.0\"\nsource = { registry = \"https://pypi.org/simple\" }\n";
    let c = lockfile::parse(LockfileKind::UvLock, uv.as_bytes()).unwrap();
    assert_eq!(*find(&c, "requests"), r(Some(true), Some(Scope::Runtime)));
    assert_eq!(*find(&c, "pytest"), r(Some(true), Some(Scope::Development)));
    assert_eq!(*find(&c, "urllib3"), r(Some(false), None));
    assert_eq!(c.len(), 3);
}

mod common;

/// Real lockfiles from osv-scalibr's test data (shared/data), hints read by
/// hand from the files.
#[test]
fn osv_scalibr_lockfiles() {
    let base = "lockfiles/osv-scalibr/language";
    let (Some(pnpm9), Some(pnpm54), Some(npm), Some(gomod)) = (
        common::vuln_data(&format!("{base}/javascript/pnpmlock/mixed-groups.v9.yaml")),
        common::vuln_data(&format!("{base}/javascript/pnpmlock/mixed-groups.v54.yaml")),
        common::vuln_data(&format!(
            "{base}/javascript/packagelockjson/same-package-different-groups.v2.json"
        )),
        common::vuln_data(&format!("{base}/golang/gomod/indirect-packages.mod")),
    ) else {
        return;
    };
    use Scope::*;
    for p in [pnpm9, pnpm54] {
        let c = lockfile::parse(LockfileKind::PnpmLock, &std::fs::read(&p).unwrap()).unwrap();
        assert_eq!(c.len(), 3, "{}", p.display());
        assert_eq!(*find(&c, "ansi-regex"), r(Some(true), Some(Runtime)));
        assert_eq!(*find(&c, "uuid"), r(Some(true), Some(Runtime)));
        assert_eq!(*find(&c, "is-number"), r(Some(true), Some(Development)));
    }
    // The root declares nothing, so everything is transitive; ajv 5.5.2 is
    // dev at the top and under eslint but a runtime dependency of table:
    // the copies combine to runtime.
    let c = lockfile::parse(LockfileKind::NpmLock, &std::fs::read(&npm).unwrap()).unwrap();
    assert_eq!(*find(&c, "ajv"), r(Some(false), Some(Runtime)));
    assert_eq!(*find(&c, "eslint"), r(Some(false), Some(Development)));
    assert_eq!(*find(&c, "table"), r(Some(false), Some(Runtime)));
    let c = lockfile::parse(LockfileKind::GoMod, &std::fs::read(&gomod).unwrap()).unwrap();
    let direct: Vec<&str> = c
        .iter()
        .filter(|c| c.reachability.direct == Some(true))
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(direct, ["github.com/BurntSushi/toml", "gopkg.in/yaml.v2"]);
    assert_eq!(
        c.iter()
            .filter(|c| c.reachability.direct == Some(false))
            .count(),
        3
    );
}

#[test]
fn cyclonedx_scope_and_dependency_graph() {
    let doc = br#"{"bomFormat":"CycloneDX","specVersion":"1.6",
      "metadata":{"component":{"type":"application","name":"app","bom-ref":"app"}},
      "components":[
        {"type":"library","name":"a","version":"1.0.0","purl":"pkg:npm/a@1.0.0","bom-ref":"a","scope":"required"},
        {"type":"library","name":"b","version":"2.0.0","purl":"pkg:npm/b@2.0.0","bom-ref":"b"},
        {"type":"library","name":"t","version":"3.0.0","purl":"pkg:npm/t@3.0.0","bom-ref":"t","scope":"excluded"}],
      "dependencies":[{"ref":"app","dependsOn":["a","t"]},{"ref":"a","dependsOn":["b"]}]}"#;
    let (_, c) = mcpsec_vuln::sbom::parse(doc).unwrap();
    assert_eq!(*find(&c, "a"), r(Some(true), Some(Scope::Runtime)));
    assert_eq!(*find(&c, "b"), r(Some(false), None));
    assert_eq!(*find(&c, "t"), r(Some(true), Some(Scope::Development)));
    // Without a graph naming the subject, `direct` stays unknown.
    let (_, c) = mcpsec_vuln::sbom::parse(
        br#"{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{"type":"library","name":"a","version":"1.0.0","purl":"pkg:npm/a@1.0.0"}]}"#,
    )
    .unwrap();
    assert!(find(&c, "a").is_unknown());
}
