//! Log inputs: EVTX files, JSON (one object, an array, or a CloudTrail
//! `{"Records": [...]}` file), NDJSON, and line-based logs (syslog, CEF,
//! LEEF; see [`crate::cef`]). JSON, NDJSON and line files may be gzip'd
//! (detected by their magic bytes, e.g. CloudTrail's `.json.gz`).
//!
//! Windows records are flattened so that Sigma field names resolve directly:
//! `Event.System` becomes `EventID`, `Channel`, `Computer`, `Provider_Name`,
//! `TimeCreated_SystemTime`, `EventRecordID`, `Execution_ProcessID`,
//! `Security_UserID`…; `Event.EventData` (and the element inside
//! `Event.UserData`) contribute their fields by name (`Image`,
//! `CommandLine`…). The same flattening applies to JSON exports of EVTX
//! (`{"Event": {"System": …}}`) and Winlogbeat events (`winlog.event_data`).
//!
//! Bad input never stops a run: a corrupt EVTX chunk or an unparsable JSON
//! line is counted and reported in [`InputStats::errors`], and reading goes on.

use std::io::{BufRead, BufReader, Read, Seek};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde_json::Value as Json;

use crate::error::DetectError;
use crate::event::{LogEvent, Text, Value};

/// A file format this module reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputFormat {
    Evtx,
    /// One JSON value: an object, or an array of objects (concatenated values also work).
    Json,
    /// One JSON object per line.
    Ndjson,
    /// AWS CloudTrail: a `{"Records": [...]}` file, an array of records or
    /// NDJSON records; every event is tagged `cloudtrail`.
    CloudTrail,
    /// One message per line, each CEF, LEEF (bare or after a syslog
    /// header), syslog (RFC 5424/3164) or raw text.
    Syslog,
    /// One CEF message per line (optionally after a syslog header); other lines are errors.
    Cef,
    /// One LEEF message per line (optionally after a syslog header); other lines are errors.
    Leef,
}

/// Input kinds an event can be tagged with (the `inputs:` keys of the log
/// source mapping).
pub const INPUT_KINDS: &[&str] = &["cloudtrail", "cef", "leef", "syslog"];

/// The static name of an input kind (`None` when unknown).
pub fn input_kind(name: &str) -> Option<&'static str> {
    let n = name.to_ascii_lowercase();
    let n = match n.as_str() {
        "rfc5424" | "rfc3164" => "syslog",
        other => other,
    };
    INPUT_KINDS.iter().copied().find(|k| *k == n)
}

impl std::str::FromStr for InputFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "evtx" => InputFormat::Evtx,
            "json" => InputFormat::Json,
            "ndjson" | "jsonl" => InputFormat::Ndjson,
            "cloudtrail" => InputFormat::CloudTrail,
            "syslog" => InputFormat::Syslog,
            "cef" => InputFormat::Cef,
            "leef" => InputFormat::Leef,
            other => {
                return Err(format!(
                    "unknown input format {other:?} (evtx, json, ndjson, cloudtrail, syslog, cef, leef)"
                ));
            }
        })
    }
}

/// One event read from a file.
#[derive(Debug, Clone)]
pub struct Record {
    pub event: LogEvent,
    /// EVTX record id, or the 1-based record number in a JSON file.
    pub record_id: u64,
    pub timestamp: Option<DateTime<Utc>>,
}

/// What reading one file produced.
#[derive(Debug, Clone, Default)]
pub struct InputStats {
    pub records: u64,
    pub error_count: u64,
    /// The first errors (at most [`MAX_REPORTED_ERRORS`]).
    pub errors: Vec<String>,
}

pub const MAX_REPORTED_ERRORS: usize = 20;

impl InputStats {
    fn error(&mut self, e: String) {
        self.error_count += 1;
        if self.errors.len() < MAX_REPORTED_ERRORS {
            self.errors.push(e);
        }
    }
}

/// Largest JSON document read whole (JSON files; NDJSON is streamed).
pub const MAX_JSON_FILE: u64 = 1 << 30;

/// Whether a path looks like an input file (by extension).
pub fn is_input_file(p: &Path) -> bool {
    matches!(
        p.extension()
            .and_then(|e| e.to_str())
            .map(|e| e.to_ascii_lowercase())
            .as_deref(),
        Some("evtx" | "json" | "jsonl" | "ndjson" | "cef" | "leef" | "log" | "syslog" | "gz")
    )
}

/// Expands directories (recursively) into their input files, sorted.
pub fn collect_inputs(paths: &[PathBuf]) -> Result<Vec<PathBuf>, DetectError> {
    let mut out = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| DetectError::Io {
            path: p.clone(),
            source: e,
        })?;
        if meta.is_dir() {
            let mut stack = vec![p.clone()];
            while let Some(d) = stack.pop() {
                let rd = std::fs::read_dir(&d).map_err(|e| DetectError::Io {
                    path: d.clone(),
                    source: e,
                })?;
                for entry in rd.flatten() {
                    let path = entry.path();
                    if path.is_dir() {
                        stack.push(path);
                    } else if is_input_file(&path) {
                        out.push(path);
                    }
                }
            }
        } else {
            out.push(p.clone());
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// Opens a file, decompressing it when it starts with the gzip magic bytes.
fn open(path: &Path) -> Result<Box<dyn Read + Send>, DetectError> {
    let io = |e| DetectError::Io {
        path: path.into(),
        source: e,
    };
    let mut f = std::fs::File::open(path).map_err(io)?;
    let mut magic = [0u8; 2];
    let n = f.read(&mut magic).map_err(io)?;
    f.rewind().map_err(io)?;
    if n == 2 && magic == [0x1f, 0x8b] {
        Ok(Box::new(flate2::read::MultiGzDecoder::new(BufReader::new(
            f,
        ))))
    } else {
        Ok(Box::new(f))
    }
}

/// The first bytes of a (possibly gzip'd) file.
fn head(path: &Path) -> Result<Vec<u8>, DetectError> {
    let mut r = open(path)?.take(4096);
    let mut head = Vec::with_capacity(4096);
    // A truncated gzip stream still gives what it decoded.
    let _ = r.read_to_end(&mut head);
    Ok(head)
}

/// Detects the format from the extension (ignoring `.gz`), then from the
/// first bytes.
pub fn detect_format(path: &Path) -> Result<InputFormat, DetectError> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    let ext = Path::new(name).extension().and_then(|e| e.to_str());
    match ext {
        Some("evtx") => return Ok(InputFormat::Evtx),
        Some("jsonl" | "ndjson") => return Ok(InputFormat::Ndjson),
        Some("cef") => return Ok(InputFormat::Cef),
        Some("leef") => return Ok(InputFormat::Leef),
        _ => {}
    }
    let head = head(path)?;
    if head.starts_with(b"ElfFile\0") {
        return Ok(InputFormat::Evtx);
    }
    let text = String::from_utf8_lossy(&head);
    let t = text.trim_start();
    if t.starts_with('[') {
        return Ok(InputFormat::Json);
    }
    if t.starts_with('{') {
        if t.starts_with("{\"Records\"") {
            return Ok(InputFormat::CloudTrail);
        }
        // NDJSON when the first line is a complete object by itself.
        let first = t.lines().next().unwrap_or("");
        if serde_json::from_str::<Json>(first).is_ok() {
            return Ok(InputFormat::Ndjson);
        }
        return Ok(InputFormat::Json);
    }
    let first = t.lines().next().unwrap_or("");
    if first.starts_with("CEF:")
        || first.starts_with("LEEF:")
        || first.starts_with('<')
        || matches!(ext, Some("log" | "syslog"))
        || crate::cef::try_cef_or_leef(first, Utc::now()).is_ok()
    {
        return Ok(InputFormat::Syslog);
    }
    Err(DetectError::Input {
        path: path.into(),
        message: "not EVTX, JSON, NDJSON, CloudTrail, syslog, CEF or LEEF".into(),
    })
}

/// Reads every record of a file, calling `f` for each.
pub fn read_file(path: &Path, f: &mut dyn FnMut(Record)) -> Result<InputStats, DetectError> {
    read_file_as(path, None, f)
}

/// Reads every record of a file in the given format (detected when `None`).
pub fn read_file_as(
    path: &Path,
    format: Option<InputFormat>,
    f: &mut dyn FnMut(Record),
) -> Result<InputStats, DetectError> {
    let format = match format {
        Some(x) => x,
        None => detect_format(path)?,
    };
    match format {
        InputFormat::Evtx => read_evtx(path, f),
        InputFormat::Json => read_json(path, false, f),
        InputFormat::CloudTrail => read_json(path, true, f),
        InputFormat::Ndjson => read_ndjson(path, f),
        InputFormat::Syslog | InputFormat::Cef | InputFormat::Leef => {
            let now = std::fs::metadata(path)
                .and_then(|m| m.modified())
                .map(DateTime::<Utc>::from)
                .unwrap_or_else(|_| Utc::now());
            read_lines_from(
                BufReader::with_capacity(1 << 20, open(path)?),
                format,
                now,
                f,
            )
        }
    }
}

fn read_evtx(path: &Path, f: &mut dyn FnMut(Record)) -> Result<InputStats, DetectError> {
    let settings = evtx::ParserSettings::new().num_threads(1);
    let mut parser = evtx::EvtxParser::from_path(path)
        .map_err(|e| DetectError::Input {
            path: path.into(),
            message: e.to_string(),
        })?
        .with_configuration(settings);
    let mut stats = InputStats::default();
    for r in parser.records_json_value() {
        match r {
            Ok(rec) => {
                stats.records += 1;
                let ts = DateTime::<Utc>::from_timestamp(
                    rec.timestamp.as_second(),
                    rec.timestamp.subsec_nanosecond().max(0) as u32,
                );
                let event = LogEvent::new(normalize(&rec.data));
                // Some files (e.g. rewritten or carved ones) leave the record
                // header's FILETIME at 0 (1601-01-01): use the event's own
                // `TimeCreated` then.
                let ts = ts
                    .filter(|t| t.timestamp() > FILETIME_EPOCH_UNIX_SECS)
                    .or_else(|| event_time(&event));
                f(Record {
                    event,
                    record_id: rec.event_record_id,
                    timestamp: ts,
                });
            }
            Err(e) => stats.error(e.to_string()),
        }
    }
    Ok(stats)
}

/// Whether a JSON record is an AWS CloudTrail record.
pub fn is_cloudtrail(v: &Json) -> bool {
    v.get("eventSource")
        .and_then(Json::as_str)
        .is_some_and(|s| s.ends_with(".amazonaws.com"))
        && v.get("eventName").is_some()
        && (v.get("eventVersion").is_some() || v.get("awsRegion").is_some())
}

/// A JSON record as an event: Windows shapes flattened, CloudTrail records
/// tagged `cloudtrail`.
pub fn event_from_json(v: &Json) -> LogEvent {
    let mut event = LogEvent::new(normalize(v));
    if is_cloudtrail(v) {
        event.set_input(Some("cloudtrail"));
    }
    event
}

/// 1601-01-01T00:00:00Z (FILETIME 0) in Unix seconds.
const FILETIME_EPOCH_UNIX_SECS: i64 = -11_644_473_600;

fn json_record(v: &Json, n: u64) -> Record {
    record_of(event_from_json(v), n)
}

/// An NDJSON line as a record: parsed straight into the event tree (see
/// [`crate::jsonparse`]); Windows shapes (`Event.System`, `winlog`) are
/// flattened through the `serde_json` path, so every line gives the event
/// [`json_record`] would.
fn ndjson_record(t: &[u8], n: u64) -> Result<Record, String> {
    let root = crate::jsonparse::parse_value(t).map_err(|e| e.to_string())?;
    if !matches!(root, Value::Object(_)) {
        return Err("not a JSON object".into());
    }
    let windows_shape = root
        .key("Event")
        .is_some_and(|ev| ev.key("System").is_some())
        || root
            .key("winlog")
            .is_some_and(|w| matches!(w, Value::Object(_)));
    if windows_shape {
        let v = serde_json::from_slice::<Json>(t).map_err(|e| e.to_string())?;
        return Ok(json_record(&v, n));
    }
    let cloudtrail = is_cloudtrail_value(&root);
    let mut event = LogEvent::new(root);
    if cloudtrail {
        event.set_input(Some("cloudtrail"));
    }
    Ok(record_of(event, n))
}

/// [`is_cloudtrail`] over the event tree.
fn is_cloudtrail_value(v: &Value) -> bool {
    matches!(v.key("eventSource"), Some(Value::String(s)) if s.raw().ends_with(".amazonaws.com"))
        && v.key("eventName").is_some()
        && (v.key("eventVersion").is_some() || v.key("awsRegion").is_some())
}

fn record_of(event: LogEvent, n: u64) -> Record {
    let record_id = ["EventRecordID", "record_id"]
        .iter()
        .find_map(|k| event.get(k).and_then(|v| v.as_f64()))
        .map(|x| x as u64)
        .unwrap_or(n);
    let timestamp = event_time(&event);
    Record {
        event,
        record_id,
        timestamp,
    }
}

/// The time of an event from its usual fields.
pub fn event_time(event: &LogEvent) -> Option<DateTime<Utc>> {
    [
        "TimeCreated_SystemTime",
        "@timestamp",
        "timestamp",
        "time",
        "eventTime",
        "UtcTime",
    ]
    .iter()
    .find_map(|k| {
        event
            .get(k)
            .and_then(|v| v.as_text())
            .and_then(|t| crate::sigma::compile::parse_time(&t))
    })
}

fn read_json(
    path: &Path,
    cloudtrail: bool,
    f: &mut dyn FnMut(Record),
) -> Result<InputStats, DetectError> {
    let mut bytes = Vec::new();
    open(path)?
        .take(MAX_JSON_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| DetectError::Input {
            path: path.into(),
            message: format!("reading: {e}"),
        })?;
    if bytes.len() as u64 > MAX_JSON_FILE {
        return Err(DetectError::Input {
            path: path.into(),
            message: "JSON file too large; use NDJSON".into(),
        });
    }
    Ok(read_json_bytes(&bytes, cloudtrail, f))
}

/// Reads JSON text: objects, arrays of objects, CloudTrail `{"Records":
/// [...]}` documents (each record an event), concatenated or not.
pub fn read_json_bytes(bytes: &[u8], cloudtrail: bool, f: &mut dyn FnMut(Record)) -> InputStats {
    let mut stats = InputStats::default();
    let mut n = 0u64;
    let mut emit = |v: &Json, stats: &mut InputStats| {
        n += 1;
        if v.is_object() {
            stats.records += 1;
            let mut r = json_record(v, n);
            if cloudtrail {
                r.event.set_input(Some("cloudtrail"));
            }
            f(r);
        } else {
            stats.error(format!("value {n} is not an object"));
        }
    };
    for v in serde_json::Deserializer::from_slice(bytes).into_iter::<Json>() {
        match v {
            Ok(Json::Array(items)) => {
                for it in &items {
                    emit(it, &mut stats);
                }
            }
            Ok(Json::Object(o)) if o.len() == 1 && o.get("Records").is_some_and(Json::is_array) => {
                if let Some(Json::Array(items)) = o.get("Records") {
                    for it in items {
                        emit(it, &mut stats);
                    }
                }
            }
            Ok(v) => emit(&v, &mut stats),
            Err(e) => {
                stats.error(e.to_string());
                break;
            }
        }
    }
    stats
}

/// Longest NDJSON line accepted.
pub const MAX_LINE: usize = 16 << 20;

fn read_ndjson(path: &Path, f: &mut dyn FnMut(Record)) -> Result<InputStats, DetectError> {
    read_ndjson_from(BufReader::with_capacity(1 << 20, open(path)?), f)
}

/// Reads line-based logs (syslog, CEF, LEEF; see [`InputFormat::Syslog`]).
/// `now` fills the year of RFC 3164 timestamps. Invalid UTF-8 is replaced.
pub fn read_lines_from(
    mut r: impl BufRead,
    format: InputFormat,
    now: DateTime<Utc>,
    f: &mut dyn FnMut(Record),
) -> Result<InputStats, DetectError> {
    let mut stats = InputStats::default();
    let mut line = Vec::new();
    let mut n = 0u64;
    loop {
        line.clear();
        let read = r
            .read_until(b'\n', &mut line)
            .map_err(|e| DetectError::Io {
                path: PathBuf::new(),
                source: e,
            })?;
        if read == 0 {
            break;
        }
        n += 1;
        if line.len() > MAX_LINE {
            stats.error(format!("line {n}: longer than {MAX_LINE} bytes"));
            continue;
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n', '\0']);
        if text.trim().is_empty() {
            continue;
        }
        let parsed = match format {
            InputFormat::Cef | InputFormat::Leef => match crate::cef::try_cef_or_leef(text, now) {
                Ok(p) if (p.format == "cef") == (format == InputFormat::Cef) => p,
                Ok(p) => {
                    let want = if format == InputFormat::Cef {
                        "CEF"
                    } else {
                        "LEEF"
                    };
                    stats.error(format!(
                        "line {n}: {} message where {want} was expected",
                        p.format.to_uppercase()
                    ));
                    continue;
                }
                Err(e) => {
                    stats.error(format!("line {n}: {e}"));
                    continue;
                }
            },
            _ => crate::cef::parse_line(text, now),
        };
        stats.records += 1;
        f(line_record(parsed, n));
    }
    Ok(stats)
}

/// A parsed line as a record (tagged with its input kind).
pub fn line_record(p: crate::cef::LineRecord, n: u64) -> Record {
    let kind = input_kind(p.format).or(Some("syslog"));
    let record = Json::Object(p.record.into_iter().collect());
    let mut event = LogEvent::new(Value::from(&record));
    event.set_input(kind);
    Record {
        event,
        record_id: n,
        timestamp: p.timestamp,
    }
}

/// Reads NDJSON from any reader (one object per line; blank lines skipped).
pub fn read_ndjson_from(
    mut r: impl BufRead,
    f: &mut dyn FnMut(Record),
) -> Result<InputStats, DetectError> {
    let mut stats = InputStats::default();
    let mut line = Vec::new();
    let mut n = 0u64;
    loop {
        line.clear();
        let read = r
            .read_until(b'\n', &mut line)
            .map_err(|e| DetectError::Io {
                path: PathBuf::new(),
                source: e,
            })?;
        if read == 0 {
            break;
        }
        n += 1;
        let t = line.trim_ascii();
        if t.is_empty() {
            continue;
        }
        if t.len() > MAX_LINE {
            stats.error(format!("line {n}: longer than {MAX_LINE} bytes"));
            continue;
        }
        match ndjson_record(t, n) {
            Ok(r) => {
                stats.records += 1;
                f(r);
            }
            Err(e) => stats.error(format!("line {n}: {e}")),
        }
    }
    Ok(stats)
}

fn push(fields: &mut Vec<(Box<str>, Value)>, k: &str, v: Value) {
    if !fields.iter().any(|(e, _)| &**e == k) {
        fields.push((k.into(), v));
    }
}

/// `{"#text": x}` → x; objects with only attributes stay objects.
fn leaf(v: &Json) -> Value {
    if let Json::Object(o) = v
        && let Some(t) = o.get("#text")
    {
        return match t {
            Json::Array(parts) => Value::String(Text::new(
                &parts
                    .iter()
                    .map(|p| {
                        p.as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| p.to_string())
                    })
                    .collect::<Vec<_>>()
                    .join(""),
            )),
            other => Value::from(other),
        };
    }
    Value::from(v)
}

fn flatten_data(fields: &mut Vec<(Box<str>, Value)>, data: &Json) {
    match data {
        Json::Object(o) => {
            for (k, v) in o {
                if k == "#attributes" {
                    continue;
                }
                push(fields, k, leaf(v));
            }
        }
        Json::Null => {}
        other => push(fields, "Data", leaf(other)),
    }
}

/// Flattens Windows event shapes (EVTX JSON, Winlogbeat); other JSON is
/// converted as it is.
pub fn normalize(v: &Json) -> Value {
    if let Some(ev) = v.get("Event")
        && let Some(sys) = ev.get("System")
    {
        let mut fields: Vec<(Box<str>, Value)> = Vec::with_capacity(32);
        if let Json::Object(s) = sys {
            for (k, v) in s {
                match v {
                    Json::Object(o) => {
                        if let Some(t) = o.get("#text") {
                            push(&mut fields, k, Value::from(t));
                        }
                        if let Some(Json::Object(attrs)) = o.get("#attributes") {
                            for (a, av) in attrs {
                                push(&mut fields, &format!("{k}_{a}"), Value::from(av));
                            }
                        }
                    }
                    Json::Null => {}
                    other => push(&mut fields, k, Value::from(other)),
                }
            }
        }
        if let Some(d) = ev.get("EventData") {
            flatten_data(&mut fields, d);
        }
        if let Some(Json::Object(u)) = ev.get("UserData") {
            for inner in u.values() {
                flatten_data(&mut fields, inner);
            }
        }
        return Value::Object(fields);
    }
    if let Some(w) = v.get("winlog").filter(|w| w.is_object()) {
        let mut fields: Vec<(Box<str>, Value)> = Vec::with_capacity(32);
        for (src, dst) in [
            ("event_id", "EventID"),
            ("channel", "Channel"),
            ("provider_name", "Provider_Name"),
            ("computer_name", "Computer"),
            ("record_id", "EventRecordID"),
        ] {
            if let Some(x) = w.get(src) {
                push(&mut fields, dst, Value::from(x));
            }
        }
        if let Some(d) = w.get("event_data") {
            flatten_data(&mut fields, d);
        }
        if let Some(d) = w.get("user_data") {
            flatten_data(&mut fields, d);
        }
        if let Json::Object(o) = v {
            for (k, x) in o {
                push(&mut fields, k, Value::from(x));
            }
        }
        return Value::Object(fields);
    }
    Value::from(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn flattens_evtx_json() {
        let v = json!({"Event": {
            "#attributes": {"xmlns": "x"},
            "System": {
                "Provider": {"#attributes": {"Name": "Microsoft-Windows-Sysmon", "Guid": "G"}},
                "EventID": {"#attributes": {"Qualifiers": 0}, "#text": 1},
                "TimeCreated": {"#attributes": {"SystemTime": "2026-04-17T05:24:53.088849Z"}},
                "EventRecordID": 83237,
                "Correlation": null,
                "Channel": "Microsoft-Windows-Sysmon/Operational",
                "Computer": "host1"
            },
            "EventData": {"Image": "C:\\a.exe", "CommandLine": "a -x", "Channel": "spoof", "Hashes": {"#text": "MD5=1"}}
        }});
        let ev = LogEvent::new(normalize(&v));
        assert_eq!(ev.get("EventID").unwrap().as_text().unwrap(), "1");
        assert_eq!(
            ev.get("EventID_Qualifiers").unwrap().as_text().unwrap(),
            "0"
        );
        assert_eq!(
            ev.get("Provider_Name").unwrap().as_text().unwrap(),
            "Microsoft-Windows-Sysmon"
        );
        assert_eq!(
            ev.get("Channel").unwrap().as_text().unwrap(),
            "Microsoft-Windows-Sysmon/Operational"
        );
        assert_eq!(ev.get("Image").unwrap().as_text().unwrap(), "C:\\a.exe");
        assert_eq!(ev.get("Hashes").unwrap().as_text().unwrap(), "MD5=1");
        assert!(ev.get("Correlation").is_none());
        assert_eq!(
            event_time(&ev).unwrap().to_rfc3339(),
            "2026-04-17T05:24:53.088849+00:00"
        );
    }

    #[test]
    fn flattens_userdata_and_winlogbeat() {
        let v = json!({"Event": {"System": {"EventID": 104, "Channel": "System"},
            "UserData": {"LogFileCleared": {"#attributes": {"xmlns": "y"}, "SubjectUserName": "bob"}}}});
        let ev = LogEvent::new(normalize(&v));
        assert_eq!(ev.get("SubjectUserName").unwrap().as_text().unwrap(), "bob");
        let v = json!({"@timestamp": "2024-01-01T00:00:00Z", "winlog": {"event_id": 4688, "channel": "Security",
            "event_data": {"NewProcessName": "C:\\x.exe"}}, "host": {"name": "h"}});
        let ev = LogEvent::new(normalize(&v));
        assert_eq!(ev.get("EventID").unwrap().as_text().unwrap(), "4688");
        assert_eq!(
            ev.get("NewProcessName").unwrap().as_text().unwrap(),
            "C:\\x.exe"
        );
        assert_eq!(ev.get("host.name").unwrap().as_text().unwrap(), "h");
        assert_eq!(
            ev.get("winlog.channel").unwrap().as_text().unwrap(),
            "Security"
        );
        assert!(event_time(&ev).is_some());
    }

    #[test]
    fn ndjson_survives_bad_lines() {
        let data = b"{\"a\":1}\nnot json\n\n[1]\n{\"a\":2,\"EventRecordID\":77}\n{\"a\":\n";
        let mut seen = Vec::new();
        let stats = read_ndjson_from(&data[..], &mut |r| seen.push(r.record_id)).unwrap();
        assert_eq!(seen, vec![1, 77]);
        assert_eq!(stats.records, 2);
        assert_eq!(stats.error_count, 3);
        assert!(stats.errors[0].starts_with("line 2"), "{:?}", stats.errors);
    }

    #[test]
    fn json_arrays_objects_and_detection() {
        let dir = tempfile::tempdir().unwrap();
        let arr = dir.path().join("a.json");
        std::fs::write(&arr, r#"[{"x":1},{"x":2}, 3]"#).unwrap();
        assert_eq!(detect_format(&arr).unwrap(), InputFormat::Json);
        let mut n = 0;
        let st = read_file(&arr, &mut |_| n += 1).unwrap();
        assert_eq!((n, st.error_count), (2, 1));
        let one = dir.path().join("b.json");
        std::fs::write(&one, "{\n \"x\": 1\n}\n").unwrap();
        assert_eq!(detect_format(&one).unwrap(), InputFormat::Json);
        let nd = dir.path().join("c.json");
        std::fs::write(&nd, "{\"x\":1}\n{\"x\":2}\n").unwrap();
        assert_eq!(detect_format(&nd).unwrap(), InputFormat::Ndjson);
        let bad = dir.path().join("d.dat");
        std::fs::write(&bad, "hello").unwrap();
        assert!(detect_format(&bad).is_err());
        let fake = dir.path().join("e.evtx");
        std::fs::write(&fake, b"ElfFile\0garbage").unwrap();
        assert!(read_file(&fake, &mut |_| {}).is_err());
        let files = collect_inputs(&[dir.path().to_path_buf()]).unwrap();
        assert_eq!(files.len(), 4, "{files:?}");
    }
}
