//! Published version-comparison vectors: node-semver fixtures, pypa/packaging
//! PEP 440 parametrisations, univers per-scheme comparison JSON, rpm's
//! rpmvercmp.at and apk-tools' version data. Every applicable vector runs;
//! failures are listed precisely.

mod common;

use std::cmp::Ordering;

use mcpsec_vuln::version::Scheme;
use mcpsec_vuln::version::apk::apk_compare;
use mcpsec_vuln::version::pep440::{Pep440, Specifier, SpecifierSet};
use mcpsec_vuln::version::rpm::rpmvercmp;
use mcpsec_vuln::version::semver::{Range, RangeOptions, SemVer};
use serde_json::Value;

struct Tally {
    name: String,
    total: usize,
    failures: Vec<String>,
}

impl Tally {
    fn new(name: &str) -> Tally {
        Tally {
            name: name.into(),
            total: 0,
            failures: Vec::new(),
        }
    }
    fn check(&mut self, ok: bool, what: impl FnOnce() -> String) {
        self.total += 1;
        if !ok {
            self.failures.push(what());
        }
    }
    fn finish(self) -> (usize, usize) {
        eprintln!(
            "{}: {}/{} pass",
            self.name,
            self.total - self.failures.len(),
            self.total
        );
        for f in &self.failures {
            eprintln!("  FAIL {f}");
        }
        (self.total, self.failures.len())
    }
}

fn opts(v: Option<&Value>) -> RangeOptions {
    match v {
        Some(Value::Bool(b)) => RangeOptions {
            loose: *b,
            include_prerelease: false,
        },
        Some(Value::Object(o)) => RangeOptions {
            loose: o.get("loose").and_then(Value::as_bool).unwrap_or(false),
            include_prerelease: o
                .get("includePrerelease")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        },
        _ => RangeOptions::default(),
    }
}

fn rows(dir: &std::path::Path, f: &str) -> Vec<Vec<Value>> {
    let v = common::read_json(&dir.join(f));
    v.as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_array().unwrap().clone())
        .collect()
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

#[test]
fn node_semver_fixtures() {
    let Some(dir) = common::vuln_data("version-vectors/node-semver") else {
        return;
    };
    let mut t = Tally::new("node-semver");
    for r in rows(&dir, "comparisons.json") {
        let o = opts(r.get(2));
        let (a, b) = (
            SemVer::parse_opts(s(&r[0]), o.loose),
            SemVer::parse_opts(s(&r[1]), o.loose),
        );
        t.check(
            matches!((&a, &b), (Some(a), Some(b)) if a.cmp(b) == Ordering::Greater && b.cmp(a) == Ordering::Less),
            || format!("comparisons {r:?}"),
        );
    }
    for r in rows(&dir, "equality.json") {
        let o = opts(r.get(2));
        let (a, b) = (
            SemVer::parse_opts(s(&r[0]), o.loose),
            SemVer::parse_opts(s(&r[1]), o.loose),
        );
        t.check(matches!((&a, &b), (Some(a), Some(b)) if a == b), || {
            format!("equality {r:?}")
        });
    }
    for r in rows(&dir, "valid-versions.json") {
        let v = SemVer::parse(s(&r[0]));
        let ok = v.as_ref().is_some_and(|v| {
            let pre: Vec<String> = v.pre.iter().map(ToString::to_string).collect();
            let want_pre: Vec<String> = r[4]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.to_string().trim_matches('"').to_string())
                .collect();
            let want_build: Vec<String> = r[5]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| s(x).to_string())
                .collect();
            Some(v.major) == r[1].as_u64()
                && Some(v.minor) == r[2].as_u64()
                && Some(v.patch) == r[3].as_u64()
                && pre == want_pre
                && v.build == want_build
        });
        t.check(ok, || format!("valid-versions {r:?} got {v:?}"));
    }
    for r in rows(&dir, "invalid-versions.json") {
        let o = opts(r.get(2));
        let ok = match &r[0] {
            Value::String(x) => SemVer::parse_opts(x, o.loose).is_none(),
            _ => true, // non-strings (objects, numbers) cannot be passed in Rust
        };
        t.check(ok, || format!("invalid-versions {r:?}"));
    }
    for (file, want) in [("range-include.json", true), ("range-exclude.json", false)] {
        for r in rows(&dir, file) {
            let o = opts(r.get(2));
            let got = Range::satisfies(s(&r[1]), s(&r[0]), o);
            t.check(got == want, || format!("{file} {r:?}"));
        }
    }
    for r in rows(&dir, "range-parse.json") {
        let o = opts(r.get(2));
        let got = Range::parse(s(&r[0]), o).map(|x| x.to_string());
        let want = r[1].as_str().map(str::to_string);
        t.check(got == want, || format!("range-parse {r:?} got {got:?}"));
    }
    for (file, hilo, want) in [
        ("version-gt-range.json", Ordering::Greater, true),
        ("version-lt-range.json", Ordering::Less, true),
        ("version-not-gt-range.json", Ordering::Greater, false),
        ("version-not-lt-range.json", Ordering::Less, false),
    ] {
        for r in rows(&dir, file) {
            let o = opts(r.get(2));
            let got = match (
                Range::parse(s(&r[0]), o),
                SemVer::parse_opts(s(&r[1]), o.loose),
            ) {
                (Some(range), Some(v)) => range.outside(&v, hilo),
                _ => false,
            };
            t.check(got == want, || format!("{file} {r:?}"));
        }
    }
    let (total, failed) = t.finish();
    assert!(total >= 734, "{total}");
    assert_eq!(failed, 0, "node-semver vectors fail");
}

#[test]
fn pep440_vectors() {
    let Some(dir) = common::vuln_data("version-vectors/pep440") else {
        return;
    };
    let ver = common::read_json(&dir.join("version.json"));
    let spec = common::read_json(&dir.join("specifiers.json"));
    let mut t = Tally::new("pep440");
    let cases = |doc: &Value, name: &str| -> Vec<Value> {
        doc["tests"][name]["cases"].as_array().unwrap().clone()
    };

    // Ordering: VERSIONS is sorted ascending; every pair must compare by index.
    let versions: Vec<String> = ver["constants"]["VERSIONS"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| s(v).to_string())
        .collect();
    let parsed: Vec<Option<Pep440>> = versions.iter().map(|v| Pep440::parse(v)).collect();
    for i in 0..versions.len() {
        for j in 0..versions.len() {
            let ok = match (&parsed[i], &parsed[j]) {
                (Some(a), Some(b)) => a.cmp(b) == i.cmp(&j),
                _ => false,
            };
            t.check(ok, || format!("order {} vs {}", versions[i], versions[j]));
        }
    }
    for c in cases(&ver, "TestVersion.test_valid_versions") {
        t.check(Pep440::parse(s(&c)).is_some(), || format!("valid {c}"));
    }
    for c in cases(&ver, "TestVersion.test_invalid_versions") {
        t.check(Pep440::parse(s(&c)).is_none(), || format!("invalid {c}"));
    }
    for c in cases(&ver, "TestVersion.test_oversized_version_raises_valueerror") {
        t.check(Pep440::parse(s(&c)).is_none(), || "oversized".into());
    }
    for name in [
        "TestVersion.test_normalized_versions",
        "TestVersion.test_version_str_repr",
    ] {
        for c in cases(&ver, name) {
            let got = Pep440::parse(s(&c[0])).map(|v| v.to_string());
            t.check(got.as_deref() == c[1].as_str(), || {
                format!("{name} {c} got {got:?}")
            });
        }
    }
    for c in cases(&ver, "TestVersion.test_version_public") {
        let got = Pep440::parse(s(&c[0])).map(|v| v.public().to_string());
        t.check(got.as_deref() == c[1].as_str(), || format!("public {c}"));
    }
    for c in cases(&ver, "TestVersion.test_version_base_version") {
        let got = Pep440::parse(s(&c[0])).map(|v| v.base().to_string());
        t.check(got.as_deref() == c[1].as_str(), || {
            format!("base_version {c}")
        });
    }
    for c in cases(&ver, "TestVersion.test_version_epoch") {
        t.check(
            Pep440::parse(s(&c[0])).map(|v| v.epoch) == c[1].as_u64(),
            || format!("epoch {c}"),
        );
    }
    for c in cases(&ver, "TestVersion.test_version_release") {
        let want: Vec<u64> = c[1]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_u64)
            .collect();
        t.check(
            Pep440::parse(s(&c[0])).map(|v| v.release) == Some(want),
            || format!("release {c}"),
        );
    }
    for c in cases(&ver, "TestVersion.test_version_local") {
        let got = Pep440::parse(s(&c[0])).and_then(|v| v.local_str());
        t.check(got.as_deref() == c[1].as_str(), || format!("local {c}"));
    }
    for c in cases(&ver, "TestVersion.test_version_pre") {
        let got = Pep440::parse(s(&c[0])).and_then(|v| v.pre).map(|(p, n)| {
            let l = match p {
                mcpsec_vuln::version::pep440::Pre::A => "a",
                mcpsec_vuln::version::pep440::Pre::B => "b",
                mcpsec_vuln::version::pep440::Pre::Rc => "rc",
            };
            serde_json::json!([l, n])
        });
        let want = if c[1].is_null() {
            None
        } else {
            Some(c[1].clone())
        };
        t.check(got == want, || format!("pre {c}"));
    }
    for c in cases(&ver, "TestVersion.test_version_dev") {
        t.check(
            Pep440::parse(s(&c[0])).and_then(|v| v.dev) == c[1].as_u64(),
            || format!("dev {c}"),
        );
    }
    for c in cases(&ver, "TestVersion.test_version_post") {
        t.check(
            Pep440::parse(s(&c[0])).and_then(|v| v.post) == c[1].as_u64(),
            || format!("post {c}"),
        );
    }
    for (name, f) in [
        (
            "TestVersion.test_version_is_prerelease",
            Pep440::is_prerelease as fn(&Pep440) -> bool,
        ),
        (
            "TestVersion.test_version_is_devrelease",
            Pep440::is_devrelease,
        ),
        (
            "TestVersion.test_version_is_postrelease",
            Pep440::is_postrelease,
        ),
    ] {
        for c in cases(&ver, name) {
            t.check(
                Pep440::parse(s(&c[0])).map(|v| f(&v)) == c[1].as_bool(),
                || format!("{name} {c}"),
            );
        }
    }

    // Specifiers.
    for c in cases(&spec, "TestSpecifier.test_specifiers_valid") {
        t.check(Specifier::parse(s(&c)).is_some(), || {
            format!("spec valid {c}")
        });
    }
    for c in cases(&spec, "TestSpecifier.test_specifiers_invalid") {
        t.check(Specifier::parse(s(&c)).is_none(), || {
            format!("spec invalid {c}")
        });
    }
    // packaging builds these with `Specifier(spec, prereleases=True)`.
    for name in [
        "TestSpecifier.test_specifiers",
        "TestSpecifier.test_arbitrary_equality",
    ] {
        for c in cases(&spec, name) {
            let got = Specifier::parse(s(&c[1])).map(|sp| sp.contains_with(s(&c[0]), Some(true)));
            t.check(got == c[2].as_bool(), || format!("{name} {c} got {got:?}"));
        }
    }
    for c in cases(&spec, "TestSpecifier.test_invalid_version") {
        let got = Specifier::parse(s(&c[0])).map(|sp| sp.contains(s(&c[1])));
        t.check(got == c[2].as_bool(), || format!("invalid_version {c}"));
    }
    for c in cases(&spec, "TestSpecifierSet.test_comparison_ignores_local") {
        let got = SpecifierSet::parse(s(&c[1])).map(|sp| sp.contains(s(&c[0]), None));
        t.check(got == c[2].as_bool(), || format!("ignores_local {c}"));
    }
    for c in cases(&spec, "TestSpecifier.test_specifier_prereleases_detection") {
        let got = Specifier::parse(s(&c[0])).map(|sp| sp.prereleases());
        t.check(got == c[1].as_bool(), || {
            format!("prereleases_detection {c} got {got:?}")
        });
    }
    let (total, failed) = t.finish();
    assert!(total > 9000, "{total}");
    assert_eq!(failed, 0, "PEP 440 vectors fail");
}

/// univers `schema/*_version_cmp.json` for the schemes mcpsec matches on.
#[test]
fn univers_scheme_vectors() {
    let Some(dir) = common::vuln_data("univers/tests/data/schema") else {
        return;
    };
    let files = [
        ("maven_version_cmp.json", Scheme::Maven),
        ("nuget_version_cmp.json", Scheme::NuGet),
        ("alpine_version_cmp.json", Scheme::Apk),
        ("deb_version_python_pkg_test.json", Scheme::Dpkg),
    ];
    let mut failed = 0;
    let mut total = 0;
    for (f, scheme) in files {
        let mut t = Tally::new(&format!("univers {f}"));
        for case in common::read_json(&dir.join(f)).as_array().unwrap() {
            let vs: Vec<&str> = case["input"]["versions"]
                .as_array()
                .unwrap()
                .iter()
                .map(s)
                .collect();
            let out = &case["expected_output"];
            match case["test_type"].as_str().unwrap() {
                "comparison" => {
                    let want: Vec<&str> = out.as_array().unwrap().iter().map(s).collect();
                    // Sorted order: each consecutive pair ascending; ties keep input order.
                    let ok = want.windows(2).all(|w| match scheme.compare(w[0], w[1]) {
                        Some(Ordering::Less) => true,
                        Some(Ordering::Equal) => vs == want,
                        _ => false,
                    });
                    t.check(ok, || format!("{vs:?} expected order {want:?}"));
                }
                "equality" => {
                    let want = out.as_bool().unwrap();
                    let got = scheme.compare(vs[0], vs[1]).map(|o| o == Ordering::Equal);
                    t.check(got == Some(want), || {
                        format!("{vs:?} equal? want {want}, got {got:?}")
                    });
                }
                other => t.check(false, || format!("unknown test_type {other}")),
            }
        }
        let (n, fl) = t.finish();
        total += n;
        failed += fl;
    }
    assert!(total > 1700, "{total}");
    assert_eq!(failed, 0, "univers vectors fail");
}

#[test]
fn rpmvercmp_at() {
    let Some(p) = common::vuln_data("univers/tests/data/rpmvercmp.at") else {
        return;
    };
    let text = std::fs::read_to_string(p).unwrap();
    let mut t = Tally::new("rpmvercmp.at");
    for line in text.lines().filter(|l| l.starts_with("RPMVERCMP(")) {
        let inner = &line["RPMVERCMP(".len()..line.len() - 1];
        let parts: Vec<&str> = inner.split(", ").collect();
        let [a, b, r] = parts[..] else {
            panic!("bad line {line}")
        };
        let want = match r {
            "-1" => Ordering::Less,
            "0" => Ordering::Equal,
            _ => Ordering::Greater,
        };
        t.check(rpmvercmp(a, b) == want, || {
            format!("rpmvercmp({a}, {b}) want {r}")
        });
    }
    let (total, failed) = t.finish();
    assert!(total >= 90, "{total}");
    assert_eq!(failed, 0);
}

#[test]
fn apk_version_data() {
    let Some(p) = common::vuln_data("univers/tests/data/alpine_test.txt") else {
        return;
    };
    let text = std::fs::read_to_string(p).unwrap();
    let mut t = Tally::new("alpine_test.txt");
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let parts: Vec<&str> = line.split_whitespace().collect();
        let [a, op, b] = parts[..] else { continue };
        let want = match op {
            "<" => Ordering::Less,
            "=" => Ordering::Equal,
            _ => Ordering::Greater,
        };
        t.check(apk_compare(a, b) == want, || format!("{a} {op} {b}"));
    }
    let (total, failed) = t.finish();
    assert!(total > 700);
    assert_eq!(failed, 0);
}
