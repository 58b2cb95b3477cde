//! OSV schema 1.x advisories: validated parsing, loading from a directory or
//! an OSV `all.zip`, and matching of package versions against `affected`
//! ranges exactly as the OSV specification evaluates them.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::version::{Scheme, Version};

/// Why one record was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OsvError {
    #[error("not valid JSON: {0}")]
    Json(String),
    #[error("invalid record: {0}")]
    Invalid(String),
}

/// A record that was reported and skipped during loading.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejected {
    /// File (or `zip!entry`) the record came from.
    pub source: String,
    pub reason: String,
}

/// `null` where an array is expected is read as an empty array (seen in
/// real exports).
fn null_as_empty<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// Kinds of a range's events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    Introduced(String),
    Fixed(String),
    LastAffected(String),
    Limit(String),
}

impl Event {
    pub fn version(&self) -> &str {
        match self {
            Event::Introduced(v) | Event::Fixed(v) | Event::LastAffected(v) | Event::Limit(v) => v,
        }
    }
}

/// Range types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RangeType {
    #[serde(rename = "SEMVER")]
    Semver,
    #[serde(rename = "ECOSYSTEM")]
    Ecosystem,
    #[serde(rename = "GIT")]
    Git,
}

/// An `affected[].ranges[]` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OsvRange {
    #[serde(rename = "type")]
    pub kind: RangeType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    pub events: Vec<Event>,
}

/// `affected[].package`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    pub ecosystem: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
}

/// A severity entry (`{type, score}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OsvSeverity {
    #[serde(rename = "type")]
    pub kind: String,
    pub score: String,
}

/// One `affected` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Affected {
    #[serde(default)]
    pub package: Option<Package>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub severity: Vec<OsvSeverity>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub ranges: Vec<OsvRange>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub versions: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecosystem_specific: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_specific: Option<Value>,
}

/// A reference link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    #[serde(rename = "type")]
    pub kind: String,
    pub url: String,
}

/// An OSV record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OsvRecord {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_version: Option<String>,
    pub id: String,
    pub modified: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawn: Option<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub aliases: Vec<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub related: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub severity: Vec<OsvSeverity>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub affected: Vec<Affected>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub references: Vec<Reference>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_specific: Option<Value>,
}

/// OSV ecosystem names (the part before any `:`), as listed by the OSV schema.
pub const KNOWN_ECOSYSTEMS: &[&str] = &[
    "AlmaLinux",
    "Alpaquita",
    "Alpine",
    "Android",
    "Azure Linux",
    "BellSoft Hardened Containers",
    "Bioconductor",
    "Bitnami",
    "Chainguard",
    "CleanStart",
    "ConanCenter",
    "CRAN",
    "crates.io",
    "Debian",
    "Echo",
    "GHC",
    "GitHub Actions",
    "GIT",
    "Go",
    "Hackage",
    "Hex",
    "Julia",
    "Kubernetes",
    "Linux",
    "Mageia",
    "Maven",
    "MinimOS",
    "npm",
    "NuGet",
    "openEuler",
    "openSUSE",
    "OSS-Fuzz",
    "Packagist",
    "Photon OS",
    "Pub",
    "PyPI",
    "Red Hat",
    "Rocky Linux",
    "RubyGems",
    "SUSE",
    "SwiftURL",
    "Ubuntu",
    "VSCode",
    "Wolfi",
];

/// The canonical spelling of an ecosystem (`bitnami` → `Bitnami`), or
/// `None` when the base name is not an OSV ecosystem.
pub fn canonical_ecosystem(eco: &str) -> Option<String> {
    let (base, rest) = match eco.split_once(':') {
        Some((b, r)) => (b, Some(r)),
        None => (eco, None),
    };
    let known = KNOWN_ECOSYSTEMS
        .iter()
        .find(|k| k.eq_ignore_ascii_case(base.trim()))?;
    Some(match rest {
        Some(r) => format!("{known}:{r}"),
        None => (*known).to_string(),
    })
}

/// An OSV timestamp (RFC 3339, or without offset, read as UTC).
pub fn parse_timestamp(s: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&chrono::Utc))
        .ok()
        .or_else(|| {
            chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
                .ok()
                .map(|t| t.and_utc())
        })
}

fn valid_timestamp(s: &str) -> bool {
    chrono::DateTime::parse_from_rfc3339(s).is_ok()
        || chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f").is_ok()
}

impl OsvRecord {
    /// Parses and validates one record.
    pub fn from_json(bytes: &[u8]) -> Result<OsvRecord, OsvError> {
        let v: Value = serde_json::from_slice(bytes).map_err(|e| OsvError::Json(e.to_string()))?;
        OsvRecord::from_value(v)
    }

    /// Validates a JSON value as an OSV record.
    pub fn from_value(v: Value) -> Result<OsvRecord, OsvError> {
        let inv = |m: String| OsvError::Invalid(m);
        if !v.is_object() {
            return Err(inv("top level is not an object".into()));
        }
        // Check each event object has exactly one key before serde's enum decoding.
        if let Some(aff) = v.get("affected").and_then(Value::as_array) {
            for (i, a) in aff.iter().enumerate() {
                for (j, r) in a
                    .get("ranges")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .enumerate()
                {
                    if r.get("type").is_none() {
                        return Err(inv(format!("affected[{i}].ranges[{j}] has no type")));
                    }
                    for (k, e) in r
                        .get("events")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .enumerate()
                    {
                        if e.as_object().map(|o| o.len()) != Some(1) {
                            return Err(inv(format!(
                                "affected[{i}].ranges[{j}].events[{k}] must have exactly one key"
                            )));
                        }
                    }
                }
            }
        }
        let mut rec: OsvRecord = serde_json::from_value(v).map_err(|e| inv(e.to_string()))?;
        if rec.id.trim().is_empty() {
            return Err(inv("empty id".into()));
        }
        if !valid_timestamp(&rec.modified) {
            return Err(inv(format!(
                "modified {:?} is not an RFC 3339 timestamp",
                rec.modified
            )));
        }
        for (name, t) in [("published", &rec.published), ("withdrawn", &rec.withdrawn)] {
            if let Some(t) = t
                && !valid_timestamp(t)
            {
                return Err(inv(format!("{name} {t:?} is not an RFC 3339 timestamp")));
            }
        }
        for (i, a) in rec.affected.iter_mut().enumerate() {
            if let Some(p) = &mut a.package {
                match canonical_ecosystem(&p.ecosystem) {
                    Some(c) => p.ecosystem = c,
                    None => {
                        return Err(inv(format!(
                            "affected[{i}]: unknown ecosystem {:?}",
                            p.ecosystem
                        )));
                    }
                }
                if p.name.is_empty() {
                    return Err(inv(format!("affected[{i}]: empty package name")));
                }
            }
            for (j, r) in a.ranges.iter().enumerate() {
                if r.events.is_empty() {
                    return Err(inv(format!("affected[{i}].ranges[{j}] has no events")));
                }
                if !r.events.iter().any(|e| matches!(e, Event::Introduced(_))) {
                    return Err(inv(format!(
                        "affected[{i}].ranges[{j}] has no introduced event"
                    )));
                }
                if r.kind == RangeType::Git && r.repo.is_none() {
                    return Err(inv(format!(
                        "affected[{i}].ranges[{j}]: GIT range without repo"
                    )));
                }
                if r.kind != RangeType::Git && a.package.is_none() {
                    return Err(inv(format!(
                        "affected[{i}].ranges[{j}]: {:?} range without package",
                        r.kind
                    )));
                }
            }
        }
        Ok(rec)
    }

    /// Every fixed version named by an affected entry's ranges.
    pub fn fixed_versions(a: &Affected) -> Vec<String> {
        let mut out: Vec<String> = a
            .ranges
            .iter()
            .filter(|r| r.kind != RangeType::Git)
            .flat_map(|r| r.events.iter())
            .filter_map(|e| match e {
                Event::Fixed(v) => Some(v.clone()),
                _ => None,
            })
            .collect();
        out.dedup();
        out
    }
}

// ------------------------------------------------------------------ loading

/// Limits for reading archives.
#[derive(Debug, Clone, Copy)]
pub struct ZipLimits {
    pub max_entries: usize,
    pub max_entry_bytes: u64,
    pub max_total_bytes: u64,
}

impl Default for ZipLimits {
    fn default() -> Self {
        ZipLimits {
            max_entries: 2_000_000,
            max_entry_bytes: 32 << 20,
            max_total_bytes: 8 << 30,
        }
    }
}

/// Errors that stop loading altogether (unreadable path, corrupt archive).
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: not a readable zip archive: {reason}")]
    Zip { path: String, reason: String },
    #[error("{path}: {reason}")]
    Limit { path: String, reason: String },
}

/// The outcome of loading: good records and rejected ones.
#[derive(Debug, Default)]
pub struct Loaded {
    pub records: Vec<(String, OsvRecord)>,
    pub rejected: Vec<Rejected>,
}

impl Loaded {
    fn add(&mut self, source: String, bytes: &[u8]) {
        match OsvRecord::from_json(bytes) {
            Ok(r) => self.records.push((source, r)),
            Err(e) => self.rejected.push(Rejected {
                source,
                reason: e.to_string(),
            }),
        }
    }
}

/// Loads every `*.json` under a directory (recursively), or every JSON entry
/// of a zip archive, or a single JSON file.
pub fn load_path(path: &Path) -> Result<Loaded, LoadError> {
    let mut out = Loaded::default();
    load_into(path, &mut out)?;
    Ok(out)
}

/// Like [`load_path`], appending to `out`.
pub fn load_into(path: &Path, out: &mut Loaded) -> Result<(), LoadError> {
    let io = |e: std::io::Error| LoadError::Io {
        path: path.display().to_string(),
        source: e,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if meta.is_dir() {
        let mut files = Vec::new();
        walk_json(path, &mut files).map_err(io)?;
        files.sort();
        for f in files {
            match std::fs::read(&f) {
                Ok(b) => out.add(f.display().to_string(), &b),
                Err(e) => out.rejected.push(Rejected {
                    source: f.display().to_string(),
                    reason: e.to_string(),
                }),
            }
        }
        Ok(())
    } else if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("zip"))
    {
        load_zip(path, ZipLimits::default(), out)
    } else {
        let b = std::fs::read(path).map_err(io)?;
        // A JSON array of records (as in some exports) or a single record.
        if let Ok(Value::Array(items)) = serde_json::from_slice::<Value>(&b) {
            for (i, item) in items.into_iter().enumerate() {
                let src = format!("{}[{i}]", path.display());
                match OsvRecord::from_value(item) {
                    Ok(r) => out.records.push((src, r)),
                    Err(e) => out.rejected.push(Rejected {
                        source: src,
                        reason: e.to_string(),
                    }),
                }
            }
        } else {
            out.add(path.display().to_string(), &b);
        }
        Ok(())
    }
}

fn walk_json(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let ft = entry.file_type()?;
        let p = entry.path();
        if ft.is_dir() {
            walk_json(&p, out)?;
        } else if ft.is_file() && p.extension().is_some_and(|e| e == "json") {
            out.push(p);
        }
    }
    Ok(())
}

/// Loads the JSON entries of an OSV `all.zip`, bounded by `limits`.
pub fn load_zip(path: &Path, limits: ZipLimits, out: &mut Loaded) -> Result<(), LoadError> {
    visit_zip(path, limits, &mut |src, entry| match entry {
        Ok(buf) => out.add(src, &buf),
        Err(reason) => out.rejected.push(Rejected {
            source: src,
            reason,
        }),
    })
}

/// Calls `visit` with every `*.json` entry of a zip archive (its source
/// `archive!entry` and its bytes, or why it was skipped), one at a time,
/// bounded by `limits`: the whole archive is never held in memory.
pub fn visit_zip(
    path: &Path,
    limits: ZipLimits,
    visit: &mut dyn FnMut(String, Result<Vec<u8>, String>),
) -> Result<(), LoadError> {
    let p = path.display().to_string();
    let f = std::fs::File::open(path).map_err(|e| LoadError::Io {
        path: p.clone(),
        source: e,
    })?;
    let mut z = zip::ZipArchive::new(f).map_err(|e| LoadError::Zip {
        path: p.clone(),
        reason: e.to_string(),
    })?;
    if z.len() > limits.max_entries {
        return Err(LoadError::Limit {
            path: p,
            reason: format!(
                "{} entries exceed the limit {}",
                z.len(),
                limits.max_entries
            ),
        });
    }
    let mut total: u64 = 0;
    for i in 0..z.len() {
        let mut e = match z.by_index(i) {
            Ok(e) => e,
            Err(err) => {
                visit(format!("{p}!#{i}"), Err(err.to_string()));
                continue;
            }
        };
        let name = e
            .name()
            .map(|n| n.to_string())
            .unwrap_or_else(|_| format!("#{i}"));
        let src = format!("{p}!{name}");
        if !e.is_file() || !name.ends_with(".json") {
            continue;
        }
        if e.enclosed_name().is_none() {
            visit(src, Err("unsafe entry path".into()));
            continue;
        }
        if e.size() > limits.max_entry_bytes {
            visit(
                src,
                Err(format!("entry of {} bytes exceeds the limit", e.size())),
            );
            continue;
        }
        let mut buf = Vec::with_capacity(e.size().min(1 << 20) as usize);
        // Bound the actual decompressed bytes too (a lying header is a bomb).
        if let Err(err) = (&mut e)
            .take(limits.max_entry_bytes + 1)
            .read_to_end(&mut buf)
        {
            visit(src, Err(err.to_string()));
            continue;
        }
        if buf.len() as u64 > limits.max_entry_bytes {
            visit(src, Err("entry decompresses beyond the limit".into()));
            continue;
        }
        total += buf.len() as u64;
        if total > limits.max_total_bytes {
            return Err(LoadError::Limit {
                path: p,
                reason: "archive decompresses beyond the total limit".into(),
            });
        }
        visit(src, Ok(buf));
    }
    Ok(())
}

// ----------------------------------------------------------------- matching

/// The name under which a package is indexed: PyPI names per PEP 503,
/// NuGet and Packagist case-insensitively, others as written.
pub fn normalize_name(ecosystem_base: &str, name: &str) -> String {
    match ecosystem_base {
        "PyPI" => {
            let mut out = String::with_capacity(name.len());
            let mut sep = false;
            for c in name.trim().chars() {
                if matches!(c, '-' | '_' | '.') {
                    sep = true;
                } else {
                    if sep && !out.is_empty() {
                        out.push('-');
                    }
                    sep = false;
                    out.push(c.to_ascii_lowercase());
                }
            }
            out
        }
        "NuGet" | "Packagist" => name.trim().to_ascii_lowercase(),
        _ => name.trim().to_string(),
    }
}

fn eco_base(e: &str) -> &str {
    e.split(':').next().unwrap_or(e)
}

/// Whether a component's ecosystem matches an advisory's: same base; when
/// both name a release (`Debian:12`), the releases must be equal.
pub fn ecosystem_matches(component: &str, advisory: &str) -> bool {
    let (cb, cr) = component
        .split_once(':')
        .map(|(a, b)| (a, Some(b)))
        .unwrap_or((component, None));
    let (ab, ar) = advisory
        .split_once(':')
        .map(|(a, b)| (a, Some(b)))
        .unwrap_or((advisory, None));
    if !cb.eq_ignore_ascii_case(ab) {
        return false;
    }
    match (cr, ar) {
        (Some(c), Some(a)) => c.trim_start_matches('v') == a.trim_start_matches('v'),
        _ => true,
    }
}

#[derive(Debug, Clone)]
enum Bound {
    /// `introduced: "0"`.
    Zero,
    V(Version),
    /// The version did not parse in the range's scheme.
    Unparsed,
}

#[derive(Debug, Clone)]
struct CompiledRange {
    scheme: Scheme,
    /// (event, parsed version), sorted by version.
    events: Vec<(Event, Bound)>,
}

fn cmp_bound(a: &Bound, b: &Bound) -> std::cmp::Ordering {
    use std::cmp::Ordering::*;
    match (a, b) {
        (Bound::Zero, Bound::Zero) => Equal,
        (Bound::Zero, _) => Less,
        (_, Bound::Zero) => Greater,
        (Bound::V(x), Bound::V(y)) => x.cmp(y),
        (Bound::Unparsed, Bound::Unparsed) => Equal,
        (Bound::Unparsed, _) => Greater,
        (_, Bound::Unparsed) => Less,
    }
}

impl CompiledRange {
    fn compile(r: &OsvRange, eco_scheme: Scheme) -> Option<CompiledRange> {
        let scheme = match r.kind {
            RangeType::Git => return None,
            RangeType::Semver => Scheme::Semver,
            RangeType::Ecosystem => eco_scheme,
        };
        let mut events: Vec<(Event, Bound)> = r
            .events
            .iter()
            .map(|e| {
                let b = match e {
                    Event::Introduced(v) if v == "0" => Bound::Zero,
                    Event::Limit(v) if v == "*" => Bound::Unparsed,
                    _ => scheme
                        .parse(e.version())
                        .map(Bound::V)
                        .unwrap_or(Bound::Unparsed),
                };
                (e.clone(), b)
            })
            .collect();
        events.sort_by(|a, b| cmp_bound(&a.1, &b.1));
        Some(CompiledRange { scheme, events })
    }

    /// OSV evaluation: walk the sorted events; `introduced` ≤ v turns the
    /// status on, `fixed` ≤ v or `last_affected` < v turns it off; a `limit`
    /// ≤ v excludes the version from the range.
    fn contains(&self, v: &Version) -> bool {
        let mut affected = false;
        for (e, b) in &self.events {
            let ord = match b {
                Bound::Zero => std::cmp::Ordering::Less,
                Bound::V(x) => x.cmp(v),
                Bound::Unparsed => continue,
            };
            match e {
                Event::Introduced(_) if ord != std::cmp::Ordering::Greater => affected = true,
                Event::Fixed(_) if ord != std::cmp::Ordering::Greater => affected = false,
                Event::LastAffected(_) if ord == std::cmp::Ordering::Less => affected = false,
                _ => {}
            }
        }
        if affected {
            for (e, b) in &self.events {
                if let (Event::Limit(_), Bound::V(l)) = (e, b)
                    && v >= l
                {
                    return false;
                }
            }
        }
        affected
    }
}

#[derive(Debug, Clone)]
struct IndexedAffected {
    record: usize,
    ecosystem: String,
    scheme: Scheme,
    ranges: Vec<CompiledRange>,
    /// The `versions` list, raw and parsed (sorted), for fast lookups.
    versions_raw: std::collections::HashSet<String>,
    versions_parsed: Vec<Version>,
    /// Fixed versions of the entry's ranges, parsed in the entry's scheme.
    fixed: Vec<(String, Option<Version>)>,
}

/// Why a version matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Match {
    /// Index into [`OsvDatabase::records`].
    pub record: usize,
    pub id: String,
    /// Fixed versions named by the matching affected entry.
    pub fixed_versions: Vec<String>,
    /// The smallest fixed version above the installed one that the record
    /// does not list as affected, when there is one.
    pub smallest_fix: Option<String>,
}

/// An in-memory set of OSV records indexed by package.
#[derive(Debug, Default)]
pub struct OsvDatabase {
    pub records: Vec<OsvRecord>,
    /// Where each record came from.
    pub sources: Vec<String>,
    pub rejected: Vec<Rejected>,
    index: HashMap<(String, String), Vec<IndexedAffected>>,
    by_id: HashMap<String, usize>,
}

impl OsvDatabase {
    pub fn new() -> OsvDatabase {
        OsvDatabase::default()
    }

    /// Builds a database from loaded records; a later record with the same
    /// id replaces an earlier one when its `modified` is not older.
    pub fn from_loaded(loaded: Loaded) -> OsvDatabase {
        let mut db = OsvDatabase {
            rejected: loaded.rejected,
            ..OsvDatabase::default()
        };
        for (src, r) in loaded.records {
            db.insert(src, r);
        }
        db
    }

    /// Loads several paths (directories, zips, files).
    pub fn load_paths<P: AsRef<Path>>(paths: &[P]) -> Result<OsvDatabase, LoadError> {
        let mut loaded = Loaded::default();
        for p in paths {
            load_into(p.as_ref(), &mut loaded)?;
        }
        Ok(OsvDatabase::from_loaded(loaded))
    }

    /// Adds one record (see [`OsvDatabase::from_loaded`] for replacement).
    pub fn insert(&mut self, source: String, rec: OsvRecord) {
        if let Some(&i) = self.by_id.get(&rec.id) {
            if self.records[i].modified <= rec.modified {
                self.records[i] = rec;
                self.sources[i] = source;
                self.reindex();
            }
            return;
        }
        let idx = self.records.len();
        self.by_id.insert(rec.id.clone(), idx);
        self.index_record(idx, &rec);
        self.records.push(rec);
        self.sources.push(source);
    }

    fn reindex(&mut self) {
        self.index.clear();
        let recs = std::mem::take(&mut self.records);
        for (i, r) in recs.iter().enumerate() {
            self.index_record(i, r);
        }
        self.records = recs;
    }

    fn index_record(&mut self, idx: usize, rec: &OsvRecord) {
        if rec.withdrawn.is_some() {
            return;
        }
        for a in &rec.affected {
            let Some(p) = &a.package else { continue };
            let base = eco_base(&p.ecosystem).to_string();
            let scheme = Scheme::for_ecosystem(&p.ecosystem);
            let ranges = a
                .ranges
                .iter()
                .filter_map(|r| CompiledRange::compile(r, scheme))
                .collect();
            let versions_raw = a.versions.iter().cloned().collect();
            let mut versions_parsed: Vec<Version> = a
                .versions
                .iter()
                .filter_map(|v| scheme.parse(v).ok())
                .collect();
            versions_parsed.sort();
            let fixed = OsvRecord::fixed_versions(a)
                .into_iter()
                .map(|f| {
                    let p = scheme.parse(&f).ok();
                    (f, p)
                })
                .collect();
            let key = (base.clone(), normalize_name(&base, &p.name));
            self.index.entry(key).or_default().push(IndexedAffected {
                record: idx,
                ecosystem: p.ecosystem.clone(),
                scheme,
                ranges,
                versions_raw,
                versions_parsed,
                fixed,
            });
        }
    }

    /// The record with this id.
    pub fn get(&self, id: &str) -> Option<&OsvRecord> {
        self.by_id.get(id).map(|&i| &self.records[i])
    }

    /// Number of distinct packages indexed.
    pub fn package_count(&self) -> usize {
        self.index.len()
    }

    /// Whether `name@version` in `ecosystem` is affected by any record, with
    /// the fixed versions of each match.
    pub fn is_affected(&self, ecosystem: &str, name: &str, version: &str) -> Vec<Match> {
        let base = canonical_ecosystem(ecosystem).unwrap_or_else(|| ecosystem.to_string());
        let base = eco_base(&base).to_string();
        let Some(entries) = self.index.get(&(base.clone(), normalize_name(&base, name))) else {
            return Vec::new();
        };
        let mut out: Vec<Match> = Vec::new();
        // The installed version, parsed once per scheme.
        let mut parsed_by_scheme: Vec<(Scheme, Option<Version>)> = Vec::new();
        for ia in entries {
            if !ecosystem_matches(ecosystem, &ia.ecosystem) {
                continue;
            }
            let parsed = match parsed_by_scheme.iter().find(|(s, _)| *s == ia.scheme) {
                Some((_, p)) => p.clone(),
                None => {
                    let p = ia.scheme.parse(version).ok();
                    parsed_by_scheme.push((ia.scheme, p.clone()));
                    p
                }
            };
            if !affected_entry(ia, version, parsed.as_ref()) {
                continue;
            }
            let rec = &self.records[ia.record];
            let fixed: Vec<String> = ia.fixed.iter().map(|(f, _)| f.clone()).collect();
            let smallest_fix = parsed.as_ref().and_then(|v| {
                let mut cands: Vec<(&Version, &String)> = ia
                    .fixed
                    .iter()
                    .filter_map(|(f, p)| p.as_ref().map(|p| (p, f)))
                    .filter(|(p, _)| *p > v)
                    .collect();
                cands.sort_by(|x, y| x.0.cmp(y.0));
                cands
                    .into_iter()
                    .find(|(p, f)| !affected_entry(ia, f, Some(p)))
                    .map(|(_, f)| f.clone())
            });
            if let Some(m) = out.iter_mut().find(|m| m.record == ia.record) {
                for f in fixed {
                    if !m.fixed_versions.contains(&f) {
                        m.fixed_versions.push(f);
                    }
                }
                if m.smallest_fix.is_none() {
                    m.smallest_fix = smallest_fix;
                }
            } else {
                out.push(Match {
                    record: ia.record,
                    id: rec.id.clone(),
                    fixed_versions: fixed,
                    smallest_fix,
                });
            }
        }
        out
    }
}

fn affected_entry(ia: &IndexedAffected, raw: &str, parsed: Option<&Version>) -> bool {
    if ia.versions_raw.contains(raw) {
        return true;
    }
    if let Some(v) = parsed {
        if ia.versions_parsed.binary_search(v).is_ok() {
            return true;
        }
        if ia.ranges.iter().any(|r| r.contains(v)) {
            return true;
        }
    }
    // SEMVER ranges use their own scheme even when the ecosystem's differs.
    ia.ranges
        .iter()
        .any(|r| r.scheme != ia.scheme && r.scheme.parse(raw).ok().is_some_and(|v| r.contains(&v)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(json: &str) -> OsvRecord {
        OsvRecord::from_json(json.as_bytes()).unwrap()
    }

    #[test]
    fn event_evaluation() {
        let r = rec(
            r#"{"id":"T-1","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"PyPI","name":"Foo_Bar"},
            "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.2"},{"introduced":"2.0"},{"last_affected":"2.3"}]}]}]}"#,
        );
        let mut db = OsvDatabase::new();
        db.insert("t".into(), r);
        let hit = |v: &str| !db.is_affected("PyPI", "foo-bar", v).is_empty();
        assert!(hit("1.0"));
        assert!(hit("1.2rc1"));
        assert!(!hit("1.2"));
        assert!(!hit("1.9"));
        assert!(hit("2.0"));
        assert!(hit("2.3"));
        assert!(!hit("2.3.1"));
        let m = db.is_affected("PyPI", "foo.bar", "1.0");
        assert_eq!(m[0].smallest_fix.as_deref(), Some("1.2"));
    }

    #[test]
    fn rejects_bad_records() {
        assert!(OsvRecord::from_json(b"{").is_err());
        assert!(OsvRecord::from_json(br#"{"id":"x","modified":"yesterday"}"#).is_err());
        let e = OsvRecord::from_json(
            br#"{"id":"x","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"nope","name":"a"}}]}"#,
        )
        .unwrap_err();
        assert!(e.to_string().contains("unknown ecosystem"), "{e}");
    }
}
