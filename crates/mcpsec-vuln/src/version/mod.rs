//! Exact version ordering per ecosystem.
//!
//! [`Scheme`] names a version scheme; [`Scheme::for_ecosystem`] maps an OSV
//! ecosystem name (including release suffixes such as `Debian:12`,
//! `Alpine:v3.18`, `AlmaLinux:9`) to the scheme that orders its versions.
//! [`Version`] is a parsed version of one scheme; versions of one scheme are
//! totally ordered.

pub mod apk;
pub mod composer;
pub mod dpkg;
pub mod gem;
pub mod maven;
pub mod nuget;
pub mod pep440;
pub mod rpm;
pub mod semver;

use std::cmp::Ordering;
use std::fmt;

/// A version scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scheme {
    /// SemVer 2.0.0 precedence (crates.io, Hex, Pub, OSV `SEMVER` ranges);
    /// lenient about a `v` prefix and missing minor/patch.
    Semver,
    /// npm: node-semver (loose parsing).
    Npm,
    /// Go modules: semver with a `v` prefix, pseudo-versions, `+incompatible`.
    Go,
    /// PyPI: PEP 440.
    Pep440,
    /// Maven: `ComparableVersion`.
    Maven,
    /// RubyGems: `Gem::Version`.
    RubyGems,
    /// NuGet: NuGet.Versioning.
    NuGet,
    /// Packagist: Composer normalisation + PHP `version_compare`.
    Composer,
    /// Debian and Ubuntu: dpkg.
    Dpkg,
    /// Alpine, Wolfi, Chainguard: apk-tools.
    Apk,
    /// Red Hat, AlmaLinux, Rocky, SUSE, openSUSE…: rpm EVR.
    Rpm,
    /// Anything else: natural ordering of digit and non-digit runs.
    Generic,
}

impl Scheme {
    /// The scheme of an OSV ecosystem name; unknown ecosystems get
    /// [`Scheme::Generic`].
    pub fn for_ecosystem(ecosystem: &str) -> Scheme {
        let base = ecosystem.split(':').next().unwrap_or(ecosystem).trim();
        match base {
            "npm" => Scheme::Npm,
            "crates.io" | "Hex" | "Pub" | "SwiftURL" | "Bitnami" | "bitnami" => Scheme::Semver,
            "Go" => Scheme::Go,
            "PyPI" => Scheme::Pep440,
            "Maven" => Scheme::Maven,
            "RubyGems" => Scheme::RubyGems,
            "NuGet" => Scheme::NuGet,
            "Packagist" => Scheme::Composer,
            "Debian" | "Ubuntu" => Scheme::Dpkg,
            "Alpine" | "Wolfi" | "Chainguard" | "Alpaquita" | "BellSoft Hardened Containers" => {
                Scheme::Apk
            }
            "AlmaLinux" | "Rocky Linux" | "Red Hat" | "SUSE" | "openSUSE" | "Mageia"
            | "openEuler" | "Azure Linux" | "MinimOS" => Scheme::Rpm,
            _ => Scheme::Generic,
        }
    }

    /// Parses `s` as a version of this scheme.
    pub fn parse(self, s: &str) -> Result<Version, VersionError> {
        let err = || VersionError {
            scheme: self,
            input: s.chars().take(80).collect(),
        };
        if s.len() > 1024 {
            return Err(err());
        }
        Ok(match self {
            Scheme::Semver => Version::Semver(semver::SemVer::parse_lenient(s).ok_or_else(err)?),
            Scheme::Npm => Version::Semver(
                semver::SemVer::parse_opts(s, true)
                    .or_else(|| semver::SemVer::parse_lenient(s))
                    .ok_or_else(err)?,
            ),
            Scheme::Go => {
                let t = s.trim();
                let t = t.strip_suffix("+incompatible").unwrap_or(t);
                Version::Semver(semver::SemVer::parse_lenient(t).ok_or_else(err)?)
            }
            Scheme::Pep440 => Version::Pep440(pep440::Pep440::parse(s).ok_or_else(err)?),
            Scheme::Maven => {
                if s.trim().is_empty() {
                    return Err(err());
                }
                Version::Maven(maven::MavenVersion::parse(s.trim()))
            }
            Scheme::RubyGems => Version::Gem(gem::GemVersion::parse(s).ok_or_else(err)?),
            Scheme::NuGet => Version::NuGet(nuget::NuGetVersion::parse(s).ok_or_else(err)?),
            Scheme::Composer => {
                let t = s.trim();
                if t.is_empty()
                    || !t
                        .trim_start_matches(['v', 'V'])
                        .starts_with(|c: char| c.is_ascii_digit())
                {
                    return Err(err());
                }
                Version::Composer(composer::normalize(t))
            }
            Scheme::Dpkg => Version::Dpkg(dpkg::DebVersion::parse(s).ok_or_else(err)?),
            Scheme::Apk => {
                let t = s.trim();
                if !apk::apk_valid(t) {
                    return Err(err());
                }
                Version::Apk(t.to_string())
            }
            Scheme::Rpm => Version::Rpm(rpm::RpmVersion::parse(s).ok_or_else(err)?),
            Scheme::Generic => {
                let t = s.trim();
                if t.is_empty() {
                    return Err(err());
                }
                Version::Generic(t.to_string())
            }
        })
    }

    /// Compares two version strings of this scheme; `None` if either does
    /// not parse.
    pub fn compare(self, a: &str, b: &str) -> Option<Ordering> {
        Some(self.parse(a).ok()?.cmp(&self.parse(b).ok()?))
    }
}

/// A string that is not a valid version of its scheme.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{input:?} is not a valid {scheme:?} version")]
pub struct VersionError {
    pub scheme: Scheme,
    pub input: String,
}

/// A parsed version. Versions of the same scheme compare by that scheme's
/// rules; versions of different schemes order by scheme (never mixed in
/// practice).
#[derive(Debug, Clone)]
pub enum Version {
    Semver(semver::SemVer),
    Pep440(pep440::Pep440),
    Maven(maven::MavenVersion),
    Gem(gem::GemVersion),
    NuGet(nuget::NuGetVersion),
    /// Composer-normalised string.
    Composer(String),
    Dpkg(dpkg::DebVersion),
    Apk(String),
    Rpm(rpm::RpmVersion),
    Generic(String),
}

impl Version {
    fn rank(&self) -> u8 {
        match self {
            Version::Semver(_) => 0,
            Version::Pep440(_) => 1,
            Version::Maven(_) => 2,
            Version::Gem(_) => 3,
            Version::NuGet(_) => 4,
            Version::Composer(_) => 5,
            Version::Dpkg(_) => 6,
            Version::Apk(_) => 7,
            Version::Rpm(_) => 8,
            Version::Generic(_) => 9,
        }
    }
}

impl Ord for Version {
    fn cmp(&self, o: &Self) -> Ordering {
        match (self, o) {
            (Version::Semver(a), Version::Semver(b)) => a.cmp(b),
            (Version::Pep440(a), Version::Pep440(b)) => a.cmp(b),
            (Version::Maven(a), Version::Maven(b)) => a.cmp(b),
            (Version::Gem(a), Version::Gem(b)) => a.cmp(b),
            (Version::NuGet(a), Version::NuGet(b)) => a.cmp(b),
            (Version::Composer(a), Version::Composer(b)) => composer::php_version_compare(a, b),
            (Version::Dpkg(a), Version::Dpkg(b)) => a.cmp(b),
            (Version::Apk(a), Version::Apk(b)) => apk::apk_compare(a, b),
            (Version::Rpm(a), Version::Rpm(b)) => a.cmp(b),
            (Version::Generic(a), Version::Generic(b)) => natural_cmp(a, b),
            _ => self.rank().cmp(&o.rank()),
        }
    }
}
impl PartialOrd for Version {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl PartialEq for Version {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}
impl Eq for Version {}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Version::Semver(v) => v.fmt(f),
            Version::Pep440(v) => v.fmt(f),
            Version::Composer(s) | Version::Apk(s) | Version::Generic(s) => f.write_str(s),
            other => write!(f, "{other:?}"),
        }
    }
}

/// Natural ordering: runs of digits compare numerically, other runs
/// lexically, digit runs sort after letter runs; separators are ignored.
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    fn tokens(s: &str) -> Vec<(bool, &str)> {
        let mut out = Vec::new();
        let b = s.as_bytes();
        let mut i = 0;
        while i < b.len() {
            let st = i;
            if b[i].is_ascii_digit() {
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
                out.push((true, &s[st..i]));
            } else if b[i].is_ascii_alphabetic() {
                while i < b.len() && b[i].is_ascii_alphabetic() {
                    i += 1;
                }
                out.push((false, &s[st..i]));
            } else {
                i += 1;
            }
        }
        out
    }
    let (ta, tb) = (tokens(a), tokens(b));
    for (x, y) in ta.iter().zip(&tb) {
        let c = match (x, y) {
            ((true, p), (true, q)) => {
                let (p, q) = (p.trim_start_matches('0'), q.trim_start_matches('0'));
                p.len().cmp(&q.len()).then_with(|| p.cmp(q))
            }
            ((true, _), (false, _)) => Ordering::Greater,
            ((false, _), (true, _)) => Ordering::Less,
            ((false, p), (false, q)) => p.cmp(q),
        };
        if c != Ordering::Equal {
            return c;
        }
    }
    ta.len().cmp(&tb.len()).then_with(|| a.cmp(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecosystems_map_to_schemes() {
        assert_eq!(Scheme::for_ecosystem("Debian:12"), Scheme::Dpkg);
        assert_eq!(Scheme::for_ecosystem("Alpine:v3.18"), Scheme::Apk);
        assert_eq!(Scheme::for_ecosystem("AlmaLinux:9"), Scheme::Rpm);
        assert_eq!(Scheme::for_ecosystem("Ubuntu:22.04:LTS"), Scheme::Dpkg);
        assert_eq!(Scheme::for_ecosystem("PyPI"), Scheme::Pep440);
    }

    #[test]
    fn per_scheme_basics() {
        use Ordering::*;
        assert_eq!(Scheme::Dpkg.compare("1.0~rc1-1", "1.0-1"), Some(Less));
        assert_eq!(Scheme::Dpkg.compare("1:0.5", "2.0"), Some(Greater));
        assert_eq!(Scheme::Rpm.compare("1.0~rc1", "1.0"), Some(Less));
        assert_eq!(Scheme::Rpm.compare("1.0^git1", "1.0"), Some(Greater));
        assert_eq!(Scheme::Apk.compare("1.1_rc1", "1.1"), Some(Less));
        assert_eq!(Scheme::Apk.compare("1.1-r1", "1.1"), Some(Greater));
        assert_eq!(Scheme::Maven.compare("1.0-SNAPSHOT", "1.0"), Some(Less));
        assert_eq!(Scheme::Maven.compare("1.0.RELEASE", "1.0"), Some(Equal));
        assert_eq!(
            Scheme::Go.compare("v0.0.0-20191109021931-daa7c04131f5", "0.1.0"),
            Some(Less)
        );
        assert_eq!(Scheme::RubyGems.compare("1.0.a", "1.0"), Some(Less));
        assert_eq!(
            Scheme::NuGet.compare("1.0.0-BETA", "1.0.0-beta"),
            Some(Equal)
        );
        assert_eq!(
            Scheme::Composer.compare("v2.0.0-beta1", "2.0.0"),
            Some(Less)
        );
        assert_eq!(Scheme::Pep440.compare("1.0rc1", "1.0"), Some(Less));
    }
}
