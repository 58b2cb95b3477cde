//! Property tests: parsers never panic, and every version scheme is a total
//! order (antisymmetric, transitive) on the versions it parses.

use std::cmp::Ordering;

use mcpsec_vuln::version::Scheme;
use proptest::prelude::*;

const SCHEMES: &[Scheme] = &[
    Scheme::Semver,
    Scheme::Npm,
    Scheme::Go,
    Scheme::Pep440,
    Scheme::Maven,
    Scheme::RubyGems,
    Scheme::NuGet,
    Scheme::Composer,
    Scheme::Dpkg,
    Scheme::Apk,
    Scheme::Rpm,
    Scheme::Generic,
];

/// Version-like strings: digits, letters and the separators schemes use.
fn version_str() -> impl Strategy<Value = String> {
    proptest::string::string_regex("v?[0-9]{1,3}([.~^_+:-]?([0-9]{1,3}|a|b|rc|alpha|beta|pre|post|dev|p|r|sp|final|SNAPSHOT|x)){0,6}")
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn parsers_never_panic(s in "\\PC{0,64}") {
        for sc in SCHEMES {
            let _ = sc.parse(&s);
        }
        let _ = mcpsec_vuln::purl::Purl::parse(&s);
        let _ = mcpsec_vuln::version::semver::Range::parse(&s, Default::default());
        let _ = mcpsec_vuln::version::pep440::SpecifierSet::parse(&s);
        let _ = mcpsec_vuln::cvss::score(&s);
        let _ = mcpsec_vuln::osv::OsvRecord::from_json(s.as_bytes());
        let _ = mcpsec_vuln::sbom::parse(s.as_bytes());
        for k in [
            mcpsec_vuln::lockfile::LockfileKind::NpmLock,
            mcpsec_vuln::lockfile::LockfileKind::YarnLock,
            mcpsec_vuln::lockfile::LockfileKind::PnpmLock,
            mcpsec_vuln::lockfile::LockfileKind::GoMod,
            mcpsec_vuln::lockfile::LockfileKind::Requirements,
            mcpsec_vuln::lockfile::LockfileKind::GemfileLock,
            mcpsec_vuln::lockfile::LockfileKind::UvLock,
            mcpsec_vuln::lockfile::LockfileKind::PipfileLock,
            mcpsec_vuln::lockfile::LockfileKind::PomXml,
            mcpsec_vuln::lockfile::LockfileKind::GradleLockfile,
            mcpsec_vuln::lockfile::LockfileKind::NugetLock,
        ] {
            let _ = mcpsec_vuln::lockfile::parse(k, s.as_bytes());
        }
    }

    #[test]
    fn purl_roundtrip_is_stable(s in "pkg:[a-z]{1,8}/([a-zA-Z0-9%@._-]{1,10}/){0,2}[a-zA-Z0-9%._-]{1,10}(@[a-zA-Z0-9.%:+-]{1,10})?") {
        if let Ok(p) = mcpsec_vuln::purl::Purl::parse(&s) {
            let canon = p.to_string();
            let again = mcpsec_vuln::purl::Purl::parse(&canon).expect("canonical form parses");
            prop_assert_eq!(again.to_string(), canon);
        }
    }

    #[test]
    fn total_order(a in version_str(), b in version_str(), c in version_str()) {
        for sc in SCHEMES {
            let (Ok(x), Ok(y), Ok(z)) = (sc.parse(&a), sc.parse(&b), sc.parse(&c)) else { continue };
            prop_assert_eq!(x.cmp(&y), y.cmp(&x).reverse(), "{:?} antisymmetry {} {}", sc, a, b);
            prop_assert_eq!(x.cmp(&x), Ordering::Equal);
            if x <= y && y <= z {
                prop_assert!(x <= z, "{:?} transitivity {} <= {} <= {}", sc, a, b, c);
            }
            if x == y && y == z {
                prop_assert_eq!(x.cmp(&z), Ordering::Equal);
            }
        }
    }
}
