//! Reading vulnerability feeds for the store's database (`mcpsec db
//! import`): OSV records (directory, `all.zip`, single record or array), the
//! CISA KEV catalog (JSON), FIRST EPSS scores (CSV, optionally gzipped) and
//! NVD CVE JSON 2.0 (turned into CVSS-only advisories of source `nvd`). The
//! kind of each file is detected from its content, not its name.
//!
//! Reading is streaming: records are handed to a sink in batches, so a full
//! OSV export is never held in memory. One bad file or record is reported
//! (with its file, `zip!entry` or CSV line) and skipped; the rest is read.
//!
//! Also here: turning stored advisories back into an [`OsvDatabase`] and
//! CVSS vectors, and the package keys the store is queried with.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use mcpsec_core::vulndb::{AdvisoryRecord, EpssScore, KevEntry, PackageKey, source};
use serde::Serialize;
use serde_json::{Value, json};

use crate::osv::{
    self, OsvDatabase, OsvError, OsvRecord, OsvSeverity, Rejected, ZipLimits, normalize_name,
};
use crate::sbom::Component;

/// Largest feed file read (a decompressed EPSS CSV is ≈ 10 MB; NVD yearly
/// feeds ≈ 300 MB).
pub const MAX_FEED_BYTES: u64 = 1 << 30;

/// What a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FeedKind {
    OsvRecord,
    OsvArray,
    OsvZip,
    Kev,
    Epss,
    Nvd,
}

/// A batch of records for the store.
#[derive(Debug, Clone)]
pub enum Batch {
    Advisories(Vec<AdvisoryRecord>),
    Kev(Vec<KevEntry>),
    Epss(Vec<EpssScore>),
}

/// Totals of one import.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ReadSummary {
    pub files: usize,
    pub osv_records: usize,
    pub nvd_records: usize,
    pub kev_entries: usize,
    pub epss_scores: usize,
    /// Files or records that were reported and skipped.
    pub errors: Vec<Rejected>,
}

/// Detects the kind of a feed from its first bytes (after decompression).
pub fn detect(bytes: &[u8]) -> Option<FeedKind> {
    if bytes.starts_with(b"PK\x03\x04") {
        return Some(FeedKind::OsvZip);
    }
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(8192)]);
    let t = head.trim_start_matches('\u{feff}').trim_start();
    if t.starts_with("#model_version") || t.to_ascii_lowercase().starts_with("cve,epss") {
        return Some(FeedKind::Epss);
    }
    if t.starts_with('[') {
        return Some(FeedKind::OsvArray);
    }
    if !t.starts_with('{') {
        return None;
    }
    let v: Value = serde_json::from_slice(bytes).ok()?;
    detect_json(&v)
}

/// Classifies a JSON document by its keys.
pub fn detect_json(v: &Value) -> Option<FeedKind> {
    match v {
        Value::Array(_) => Some(FeedKind::OsvArray),
        Value::Object(o) => {
            let first = o
                .get("vulnerabilities")
                .and_then(Value::as_array)
                .and_then(|a| a.first());
            if o.contains_key("catalogVersion") || first.is_some_and(|x| x.get("cveID").is_some()) {
                Some(FeedKind::Kev)
            } else if o.get("format").and_then(Value::as_str) == Some("NVD_CVE")
                || first.is_some_and(|x| x.get("cve").is_some_and(Value::is_object))
            {
                Some(FeedKind::Nvd)
            } else if o.contains_key("id") && o.contains_key("modified") {
                Some(FeedKind::OsvRecord)
            } else {
                None
            }
        }
        _ => None,
    }
}

fn eco_base(e: &str) -> &str {
    e.split(':').next().unwrap_or(e)
}

/// An OSV record (validated) as a stored advisory, raw JSON kept.
pub fn advisory_from_osv(raw: Value) -> Result<AdvisoryRecord, OsvError> {
    let rec = OsvRecord::from_value(raw.clone())?;
    advisory_from_parsed(&rec, raw)
}

fn advisory_from_parsed(rec: &OsvRecord, raw: Value) -> Result<AdvisoryRecord, OsvError> {
    let modified = osv::parse_timestamp(&rec.modified)
        .ok_or_else(|| OsvError::Invalid(format!("modified {:?}", rec.modified)))?;
    let withdrawn = rec.withdrawn.as_deref().and_then(osv::parse_timestamp);
    let mut ecosystems = Vec::new();
    let mut packages = Vec::new();
    for a in &rec.affected {
        if let Some(p) = &a.package {
            if !ecosystems.contains(&p.ecosystem) {
                ecosystems.push(p.ecosystem.clone());
            }
            let base = eco_base(&p.ecosystem);
            let key = PackageKey::new(base, normalize_name(base, &p.name));
            if !packages.contains(&key) {
                packages.push(key);
            }
        }
    }
    Ok(AdvisoryRecord {
        id: rec.id.clone(),
        source: source::OSV.into(),
        ecosystems,
        packages,
        modified,
        withdrawn,
        raw,
    })
}

/// Parses the CISA KEV catalog.
pub fn parse_kev(bytes: &[u8]) -> Result<(Vec<KevEntry>, Vec<String>), String> {
    let v: Value = serde_json::from_slice(bytes).map_err(|e| format!("not valid JSON: {e}"))?;
    parse_kev_value(&v)
}

/// [`parse_kev`] of a parsed document.
pub fn parse_kev_value(v: &Value) -> Result<(Vec<KevEntry>, Vec<String>), String> {
    let list = v
        .get("vulnerabilities")
        .and_then(Value::as_array)
        .ok_or("no vulnerabilities array")?;
    let date = |x: &Value, k: &str| {
        x.get(k)
            .and_then(Value::as_str)
            .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
    };
    let text = |x: &Value, k: &str| x.get(k).and_then(Value::as_str).map(str::to_string);
    let mut out = Vec::with_capacity(list.len());
    let mut bad = Vec::new();
    for (i, x) in list.iter().enumerate() {
        let Some(cve) = x.get("cveID").and_then(Value::as_str) else {
            bad.push(format!("vulnerabilities[{i}]: no cveID"));
            continue;
        };
        out.push(KevEntry {
            cve: cve.trim().to_string(),
            date_added: date(x, "dateAdded"),
            known_ransomware: x
                .get("knownRansomwareCampaignUse")
                .and_then(Value::as_str)
                .is_some_and(|s| s.eq_ignore_ascii_case("known")),
            vendor_project: text(x, "vendorProject"),
            product: text(x, "product"),
            due_date: date(x, "dueDate"),
        });
    }
    Ok((out, bad))
}

/// Parses an EPSS CSV (`cve,epss,percentile`, with an optional
/// `#model_version:…,score_date:…` comment line). Bad lines are returned
/// as `line N: reason`.
pub fn parse_epss(text: &str) -> (Vec<EpssScore>, Vec<String>) {
    let mut model_version = None;
    let mut date = None;
    let mut out = Vec::new();
    let mut bad = Vec::new();
    let mut cols: Option<(usize, usize, usize)> = None;
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_start_matches('\u{feff}').trim();
        if line.is_empty() {
            continue;
        }
        if let Some(meta) = line.strip_prefix('#') {
            for kv in meta.split(',') {
                match kv.split_once(':') {
                    Some(("model_version", v)) => model_version = Some(v.trim().to_string()),
                    Some(("score_date", v)) => {
                        date = v
                            .get(..10)
                            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
                    }
                    _ => {}
                }
            }
            continue;
        }
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        if cols.is_none() {
            let pos = |n: &str| fields.iter().position(|f| f.eq_ignore_ascii_case(n));
            match (pos("cve"), pos("epss"), pos("percentile")) {
                (Some(c), Some(e), Some(p)) => {
                    cols = Some((c, e, p));
                    continue;
                }
                _ => {
                    bad.push(format!(
                        "line {}: expected the header cve,epss,percentile",
                        i + 1
                    ));
                    return (out, bad);
                }
            }
        }
        let (c, e, p) = cols.unwrap_or((0, 1, 2));
        let get = |k: usize| fields.get(k).copied().unwrap_or("");
        let num = |s: &str| s.parse::<f64>().ok().filter(|x| (0.0..=1.0).contains(x));
        match (get(c), num(get(e)), num(get(p))) {
            (cve, Some(score), Some(percentile)) if cve.starts_with("CVE-") => {
                out.push(EpssScore {
                    cve: cve.to_string(),
                    score,
                    percentile,
                    date,
                    model_version: model_version.clone(),
                })
            }
            _ => bad.push(format!(
                "line {}: expected CVE id, score and percentile in 0..1",
                i + 1
            )),
        }
    }
    (out, bad)
}

/// NVD CVE JSON 2.0 → CVSS-only advisories (source `nvd`): the id, dates,
/// English description as summary and every CVSS vector as OSV `severity`.
/// `vulnStatus: Rejected` becomes `withdrawn`.
pub fn parse_nvd(bytes: &[u8]) -> Result<(Vec<AdvisoryRecord>, Vec<String>), String> {
    let v: Value = serde_json::from_slice(bytes).map_err(|e| format!("not valid JSON: {e}"))?;
    parse_nvd_value(&v)
}

/// [`parse_nvd`] of a parsed document.
pub fn parse_nvd_value(v: &Value) -> Result<(Vec<AdvisoryRecord>, Vec<String>), String> {
    let list = v
        .get("vulnerabilities")
        .and_then(Value::as_array)
        .ok_or("no vulnerabilities array")?;
    let mut out = Vec::new();
    let mut bad = Vec::new();
    for (i, item) in list.iter().enumerate() {
        let Some(cve) = item.get("cve") else {
            bad.push(format!("vulnerabilities[{i}]: no cve object"));
            continue;
        };
        let Some(id) = cve.get("id").and_then(Value::as_str) else {
            bad.push(format!("vulnerabilities[{i}]: no cve.id"));
            continue;
        };
        let Some(modified) = cve
            .get("lastModified")
            .or_else(|| cve.get("published"))
            .and_then(Value::as_str)
            .and_then(osv::parse_timestamp)
        else {
            bad.push(format!("{id}: no valid lastModified"));
            continue;
        };
        let mut severity = Vec::new();
        if let Some(metrics) = cve.get("metrics").and_then(Value::as_object) {
            for (key, ty) in [
                ("cvssMetricV40", "CVSS_V4"),
                ("cvssMetricV31", "CVSS_V3"),
                ("cvssMetricV30", "CVSS_V3"),
                ("cvssMetricV2", "CVSS_V2"),
            ] {
                // Primary (NVD's own) metrics first within each version.
                let mut ms: Vec<&Value> = metrics
                    .get(key)
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .collect();
                ms.sort_by_key(|m| m.get("type").and_then(Value::as_str) != Some("Primary"));
                for m in ms {
                    if let Some(vec) = m.pointer("/cvssData/vectorString").and_then(Value::as_str) {
                        let entry = json!({"type": ty, "score": vec});
                        if !severity.contains(&entry) {
                            severity.push(entry);
                        }
                    }
                }
            }
        }
        let summary = cve
            .get("descriptions")
            .and_then(Value::as_array)
            .and_then(|d| {
                d.iter()
                    .find(|x| x.get("lang").and_then(Value::as_str) == Some("en"))
            })
            .and_then(|x| x.get("value"))
            .and_then(Value::as_str)
            .map(|s| s.chars().take(500).collect::<String>());
        let withdrawn =
            (cve.get("vulnStatus").and_then(Value::as_str) == Some("Rejected")).then_some(modified);
        let mut raw = json!({
            "id": id,
            "modified": modified.to_rfc3339(),
            "severity": severity,
        });
        if let Some(p) = cve
            .get("published")
            .and_then(Value::as_str)
            .and_then(osv::parse_timestamp)
        {
            raw["published"] = json!(p.to_rfc3339());
        }
        if let Some(s) = summary {
            raw["summary"] = json!(s);
        }
        if let Some(w) = withdrawn {
            raw["withdrawn"] = json!(w.to_rfc3339());
        }
        out.push(AdvisoryRecord {
            id: id.to_string(),
            source: source::NVD.into(),
            ecosystems: vec![],
            packages: vec![],
            modified,
            withdrawn,
            raw,
        });
    }
    Ok((out, bad))
}

/// Reads feed files and hands their records to a sink in batches.
pub struct FeedReader<'a> {
    batch_size: usize,
    pending: Vec<AdvisoryRecord>,
    sink: &'a mut dyn FnMut(Batch),
    pub summary: ReadSummary,
}

impl<'a> FeedReader<'a> {
    pub fn new(batch_size: usize, sink: &'a mut dyn FnMut(Batch)) -> FeedReader<'a> {
        FeedReader {
            batch_size: batch_size.max(1),
            pending: Vec::new(),
            sink,
            summary: ReadSummary::default(),
        }
    }

    fn error(&mut self, source: impl Into<String>, reason: impl Into<String>) {
        self.summary.errors.push(Rejected {
            source: source.into(),
            reason: reason.into(),
        });
    }

    fn push_advisory(&mut self, a: AdvisoryRecord) {
        self.pending.push(a);
        if self.pending.len() >= self.batch_size {
            self.flush();
        }
    }

    /// Sends what is pending.
    pub fn flush(&mut self) {
        if !self.pending.is_empty() {
            (self.sink)(Batch::Advisories(std::mem::take(&mut self.pending)));
        }
    }

    /// Reads a file, a directory (recursively: `*.json`, `*.csv`, `*.gz`,
    /// `*.zip`; symlinks not followed) or a zip. Errors are recorded in the
    /// summary; the reading goes on.
    pub fn read_path(&mut self, path: &Path) {
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) => return self.error(path.display().to_string(), e.to_string()),
        };
        if meta.is_dir() {
            let mut files = Vec::new();
            let mut errs = Vec::new();
            walk(path, &mut files, &mut errs);
            files.sort();
            for (p, e) in errs {
                self.error(p, e);
            }
            for f in files {
                self.read_file(&f);
            }
        } else {
            self.read_file(path);
        }
    }

    fn read_file(&mut self, path: &Path) {
        let p = path.display().to_string();
        self.summary.files += 1;
        let mut head = [0u8; 4];
        let n = std::fs::File::open(path)
            .and_then(|mut f| f.read(&mut head))
            .unwrap_or(0);
        if n == 4 && &head == b"PK\x03\x04" {
            // Entries are parsed one at a time as the archive is read.
            let res = osv::visit_zip(path, ZipLimits::default(), &mut |src, r| match r {
                Ok(bytes) => self.osv_bytes(src, &bytes),
                Err(e) => self.error(src, e),
            });
            if let Err(e) = res {
                self.error(p, e.to_string());
            }
            return;
        }
        let bytes = match read_bounded(path) {
            Ok(b) => b,
            Err(e) => return self.error(p, e),
        };
        if detect(&bytes) == Some(FeedKind::Epss) {
            let (scores, bad) = parse_epss(&String::from_utf8_lossy(&bytes));
            for b in bad {
                self.error(&p, b);
            }
            self.summary.epss_scores += scores.len();
            for chunk in scores.chunks(20_000) {
                (self.sink)(Batch::Epss(chunk.to_vec()));
            }
            return;
        }
        let v: Value = match serde_json::from_slice(&bytes) {
            Ok(v) => v,
            Err(e) => {
                return self.error(
                    p,
                    format!("not a feed: neither EPSS CSV nor valid JSON ({e})"),
                );
            }
        };
        drop(bytes);
        match detect_json(&v) {
            Some(FeedKind::OsvRecord) => self.osv_value(p, v),
            Some(FeedKind::OsvArray) => {
                if let Value::Array(items) = v {
                    for (i, item) in items.into_iter().enumerate() {
                        self.osv_value(format!("{p}[{i}]"), item);
                    }
                }
            }
            Some(FeedKind::Kev) => match parse_kev_value(&v) {
                Ok((entries, bad)) => {
                    for b in bad {
                        self.error(&p, b);
                    }
                    self.summary.kev_entries += entries.len();
                    (self.sink)(Batch::Kev(entries));
                }
                Err(e) => self.error(p, format!("KEV catalog: {e}")),
            },
            Some(FeedKind::Nvd) => match parse_nvd_value(&v) {
                Ok((recs, bad)) => {
                    for b in bad {
                        self.error(&p, b);
                    }
                    self.summary.nvd_records += recs.len();
                    for r in recs {
                        self.push_advisory(r);
                    }
                }
                Err(e) => self.error(p, format!("NVD CVE JSON: {e}")),
            },
            _ => self.error(
                p,
                "unknown feed format: expected OSV JSON (record with id and modified, array or \
                 all.zip), CISA KEV JSON, EPSS CSV or NVD CVE JSON 2.0",
            ),
        }
    }

    fn osv_bytes(&mut self, src: String, bytes: &[u8]) {
        match serde_json::from_slice::<Value>(bytes) {
            Ok(v) => self.osv_value(src, v),
            Err(e) => self.error(src, format!("not valid JSON: {e}")),
        }
    }

    fn osv_value(&mut self, src: String, v: Value) {
        match advisory_from_osv(v) {
            Ok(a) => {
                self.summary.osv_records += 1;
                self.push_advisory(a);
            }
            Err(e) => self.error(src, e.to_string()),
        }
    }
}

fn read_bounded(path: &Path) -> Result<Vec<u8>, String> {
    let f = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut raw = Vec::new();
    f.take(MAX_FEED_BYTES + 1)
        .read_to_end(&mut raw)
        .map_err(|e| e.to_string())?;
    if raw.len() as u64 > MAX_FEED_BYTES {
        return Err(format!("larger than the {MAX_FEED_BYTES}-byte limit"));
    }
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(&raw[..])
            .take(MAX_FEED_BYTES + 1)
            .read_to_end(&mut out)
            .map_err(|e| format!("gzip: {e}"))?;
        if out.len() as u64 > MAX_FEED_BYTES {
            return Err(format!(
                "decompresses beyond the {MAX_FEED_BYTES}-byte limit"
            ));
        }
        return Ok(out);
    }
    Ok(raw)
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>, errors: &mut Vec<(String, String)>) {
    let rd = match std::fs::read_dir(dir) {
        Ok(r) => r,
        Err(e) => return errors.push((dir.display().to_string(), e.to_string())),
    };
    for e in rd.flatten() {
        let Ok(ft) = e.file_type() else { continue };
        let p = e.path();
        if ft.is_dir() {
            walk(&p, files, errors);
        } else if ft.is_file() {
            let name = e.file_name().to_string_lossy().to_ascii_lowercase();
            if [".json", ".csv", ".gz", ".zip"]
                .iter()
                .any(|x| name.ends_with(x))
            {
                files.push(p);
            }
        }
    }
}

// ------------------------------------------------------- reading it back

/// The OSV database of stored advisories (source `osv`; others ignored).
/// Records whose raw JSON no longer validates are in `rejected`.
pub fn database_from_advisories(recs: &[AdvisoryRecord]) -> OsvDatabase {
    let mut db = OsvDatabase::new();
    for a in recs.iter().filter(|a| a.source == source::OSV) {
        match OsvRecord::from_value(a.raw.clone()) {
            Ok(r) => db.insert(format!("store:{}", a.id), r),
            Err(e) => db.rejected.push(Rejected {
                source: format!("store:{}", a.id),
                reason: e.to_string(),
            }),
        }
    }
    db
}

/// CVSS vectors of NVD advisories, by CVE id.
pub fn nvd_cvss(recs: &[AdvisoryRecord]) -> HashMap<String, Vec<OsvSeverity>> {
    let mut out = HashMap::new();
    for a in recs
        .iter()
        .filter(|a| a.source == source::NVD && a.withdrawn.is_none())
    {
        let sev: Vec<OsvSeverity> = a
            .raw
            .get("severity")
            .cloned()
            .and_then(|v| serde_json::from_value(v).ok())
            .unwrap_or_default();
        if !sev.is_empty() {
            out.insert(a.id.clone(), sev);
        }
    }
    out
}

/// The store keys under which the components' advisories are found.
pub fn package_keys(components: &[Component]) -> Vec<PackageKey> {
    let mut keys: Vec<PackageKey> = components
        .iter()
        .filter_map(crate::scan::match_key)
        .map(|(eco, name, _)| {
            let canon = osv::canonical_ecosystem(&eco).unwrap_or(eco);
            let base = eco_base(&canon).to_string();
            let name = normalize_name(&base, &name);
            PackageKey::new(base, name)
        })
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_kinds() {
        assert_eq!(
            detect(b"#model_version:v2023.03.01,score_date:2023-03-24T00:00:00+0000\ncve,epss,percentile\n"),
            Some(FeedKind::Epss)
        );
        assert_eq!(
            detect(b"cve,epss,percentile\nCVE-1-1,0.1,0.2"),
            Some(FeedKind::Epss)
        );
        assert_eq!(
            detect(
                br#"{"title":"CISA","catalogVersion":"1","vulnerabilities":[{"cveID":"CVE-1"}]}"#
            ),
            Some(FeedKind::Kev)
        );
        assert_eq!(
            detect(br#"{"format":"NVD_CVE","version":"2.0","vulnerabilities":[{"cve":{}}]}"#),
            Some(FeedKind::Nvd)
        );
        assert_eq!(
            detect(br#"{"id":"GHSA-1","modified":"2024-01-01T00:00:00Z"}"#),
            Some(FeedKind::OsvRecord)
        );
        assert_eq!(detect(b"[{}]"), Some(FeedKind::OsvArray));
        assert_eq!(detect(b"hello"), None);
    }

    #[test]
    fn epss_csv() {
        let (s, bad) = parse_epss(
            "#model_version:v2023.03.01,score_date:2023-03-24T00:00:00+0000\n\
             cve,epss,percentile\nCVE-1999-0001,0.01167,0.83077\nCVE-1999-0002,2.0,0.5\nbad\n",
        );
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].cve, "CVE-1999-0001");
        assert_eq!(s[0].score, 0.01167);
        assert_eq!(s[0].model_version.as_deref(), Some("v2023.03.01"));
        assert_eq!(s[0].date, NaiveDate::from_ymd_opt(2023, 3, 24));
        assert_eq!(bad.len(), 2, "{bad:?}");
        assert!(bad[0].starts_with("line 4"), "{bad:?}");
    }

    #[test]
    fn nvd_to_advisory() {
        let (recs, bad) = parse_nvd(
            br#"{"format":"NVD_CVE","version":"2.0","vulnerabilities":[
            {"cve":{"id":"CVE-2021-44228","published":"2021-12-10T10:15:09.143","lastModified":"2023-11-07T03:39:36.747",
             "vulnStatus":"Modified","descriptions":[{"lang":"en","value":"Log4Shell"}],
             "metrics":{"cvssMetricV31":[{"source":"nvd@nist.gov","type":"Primary","cvssData":{"version":"3.1","vectorString":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H","baseScore":10.0}}],
                        "cvssMetricV2":[{"source":"nvd@nist.gov","type":"Primary","cvssData":{"version":"2.0","vectorString":"AV:N/AC:M/Au:N/C:C/I:C/A:C"}}]}}},
            {"cve":{"id":"CVE-2000-1","lastModified":"2020-01-01T00:00:00","vulnStatus":"Rejected"}},
            {"nope":1}]}"#,
        )
        .unwrap();
        assert_eq!(recs.len(), 2);
        assert_eq!(bad.len(), 1);
        assert_eq!(recs[0].source, "nvd");
        assert_eq!(recs[0].raw["summary"], "Log4Shell");
        let cvss = nvd_cvss(&recs);
        assert_eq!(cvss["CVE-2021-44228"].len(), 2);
        assert_eq!(cvss["CVE-2021-44228"][0].kind, "CVSS_V3");
        assert!(recs[1].withdrawn.is_some());
        assert!(!cvss.contains_key("CVE-2000-1"));
    }

    #[test]
    fn osv_advisory_keys() {
        let a = advisory_from_osv(json!({"id":"PYSEC-1","modified":"2024-01-01T00:00:00Z",
            "affected":[{"package":{"ecosystem":"PyPI","name":"Foo_Bar"}},
                        {"package":{"ecosystem":"Debian:12","name":"openssl"}}]}))
        .unwrap();
        assert_eq!(
            a.packages,
            [
                PackageKey::new("PyPI", "foo-bar"),
                PackageKey::new("Debian", "openssl")
            ]
        );
        assert_eq!(a.ecosystems, ["PyPI", "Debian:12"]);
        let comps = [Component::from_parts("PyPI", "foo.bar", "1.0")];
        assert_eq!(package_keys(&comps), [PackageKey::new("PyPI", "foo-bar")]);
    }
}
