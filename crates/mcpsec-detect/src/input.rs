//! Log inputs: EVTX files, JSON (one object or an array) and NDJSON.
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

use std::io::{BufRead, BufReader, Read};
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
        Some("evtx" | "json" | "jsonl" | "ndjson")
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

/// Detects the format from the extension, then from the first bytes.
pub fn detect_format(path: &Path) -> Result<InputFormat, DetectError> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase());
    match ext.as_deref() {
        Some("evtx") => return Ok(InputFormat::Evtx),
        Some("jsonl" | "ndjson") => return Ok(InputFormat::Ndjson),
        _ => {}
    }
    let mut head = [0u8; 4096];
    let mut f = std::fs::File::open(path).map_err(|e| DetectError::Io {
        path: path.into(),
        source: e,
    })?;
    let n = f.read(&mut head).map_err(|e| DetectError::Io {
        path: path.into(),
        source: e,
    })?;
    let head = &head[..n];
    if head.starts_with(b"ElfFile\0") {
        return Ok(InputFormat::Evtx);
    }
    let text = String::from_utf8_lossy(head);
    let t = text.trim_start();
    if t.starts_with('[') {
        return Ok(InputFormat::Json);
    }
    if t.starts_with('{') {
        // NDJSON when the first line is a complete object by itself.
        let first = t.lines().next().unwrap_or("");
        if serde_json::from_str::<Json>(first).is_ok() {
            return Ok(InputFormat::Ndjson);
        }
        return Ok(InputFormat::Json);
    }
    Err(DetectError::Input {
        path: path.into(),
        message: "not EVTX, JSON or NDJSON".into(),
    })
}

/// Reads every record of a file, calling `f` for each.
pub fn read_file(path: &Path, f: &mut dyn FnMut(Record)) -> Result<InputStats, DetectError> {
    match detect_format(path)? {
        InputFormat::Evtx => read_evtx(path, f),
        InputFormat::Json => read_json(path, f),
        InputFormat::Ndjson => read_ndjson(path, f),
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
                let root = normalize(&rec.data);
                f(Record {
                    event: LogEvent::new(root),
                    record_id: rec.event_record_id,
                    timestamp: ts,
                });
            }
            Err(e) => stats.error(e.to_string()),
        }
    }
    Ok(stats)
}

fn json_record(v: &Json, n: u64) -> Record {
    let root = normalize(v);
    let event = LogEvent::new(root);
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

fn read_json(path: &Path, f: &mut dyn FnMut(Record)) -> Result<InputStats, DetectError> {
    let meta = std::fs::metadata(path).map_err(|e| DetectError::Io {
        path: path.into(),
        source: e,
    })?;
    if meta.len() > MAX_JSON_FILE {
        return Err(DetectError::Input {
            path: path.into(),
            message: "JSON file too large; use NDJSON".into(),
        });
    }
    let bytes = std::fs::read(path).map_err(|e| DetectError::Io {
        path: path.into(),
        source: e,
    })?;
    let mut stats = InputStats::default();
    let mut n = 0u64;
    let mut emit = |v: &Json, stats: &mut InputStats| {
        if v.is_object() {
            n += 1;
            stats.records += 1;
            f(json_record(v, n));
        } else {
            stats.error(format!("value {} is not an object", n + 1));
        }
    };
    for v in serde_json::Deserializer::from_slice(&bytes).into_iter::<Json>() {
        match v {
            Ok(Json::Array(items)) => {
                for it in &items {
                    emit(it, &mut stats);
                }
            }
            Ok(v) => emit(&v, &mut stats),
            Err(e) => {
                stats.error(e.to_string());
                break;
            }
        }
    }
    Ok(stats)
}

/// Longest NDJSON line accepted.
pub const MAX_LINE: usize = 16 << 20;

fn read_ndjson(path: &Path, f: &mut dyn FnMut(Record)) -> Result<InputStats, DetectError> {
    let file = std::fs::File::open(path).map_err(|e| DetectError::Io {
        path: path.into(),
        source: e,
    })?;
    read_ndjson_from(BufReader::with_capacity(1 << 20, file), f)
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
        match serde_json::from_slice::<Json>(t) {
            Ok(v) if v.is_object() => {
                stats.records += 1;
                f(json_record(&v, n));
            }
            Ok(_) => stats.error(format!("line {n}: not a JSON object")),
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
        let bad = dir.path().join("d.log");
        std::fs::write(&bad, "hello").unwrap();
        assert!(detect_format(&bad).is_err());
        let fake = dir.path().join("e.evtx");
        std::fs::write(&fake, b"ElfFile\0garbage").unwrap();
        assert!(read_file(&fake, &mut |_| {}).is_err());
        let files = collect_inputs(&[dir.path().to_path_buf()]).unwrap();
        assert_eq!(files.len(), 4, "{files:?}");
    }
}
