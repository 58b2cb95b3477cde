//! CEF (ArcSight Common Event Format) and LEEF (IBM QRadar Log Event
//! Extended Format, 1.0 and 2.0) messages, bare or inside a syslog line.
//!
//! Both become a flat record (field name → JSON value) that the rest of the
//! engine reads like any JSON event:
//!
//! - CEF `CEF:Version|Device Vendor|Device Product|Device Version|Device Event
//!   Class ID|Name|Severity|Extension` gives `cef_version`, `DeviceVendor`,
//!   `DeviceProduct`, `DeviceVersion`, `DeviceEventClassID`, `Name`,
//!   `Severity`, and one field per extension key (`src`, `suser`, `act`…).
//!   Custom fields with a label (`cs1Label=Rule cs1=Block-All`) also appear
//!   under their label (`Rule`). Header escapes: `\|` and `\\`; extension
//!   escapes: `\=`, `\\`, `\n`, `\r`. An unescaped `=` that does not follow a
//!   space-separated key (`request=http://x/?a=b`) stays in the value.
//! - LEEF `LEEF:1.0|Vendor|Product|Version|EventID|attrs` (tab-separated
//!   `key=value`) and `LEEF:2.0|Vendor|Product|Version|EventID|Delimiter|attrs`
//!   (the delimiter a character, or its hex code as `x5E`/`0x5E`; empty: tab)
//!   give `leef_version`, `DeviceVendor`, `DeviceProduct`, `DeviceVersion`,
//!   `EventID` and one field per attribute. LEEF 1.0 lines whose attributes
//!   hold no tab (senders that replaced tabs with spaces) are split like a
//!   CEF extension.
//!
//! A syslog header before the message (`<134>Sep 19 08:26:10 host app:
//! CEF:0|…`, RFC 3164 or 5424, with or without `<PRI>`) adds `hostname`,
//! `timestamp`, `app_name`, `facility`… ([`crate::syslog`]). The event time
//! is CEF `rt` (else `end`, `start`) or LEEF `devTime` (read with
//! `devTimeFormat` when given), else the syslog time.
//!
//! Parsing never panics; a message that is not CEF/LEEF is an error naming
//! the cause, and [`parse_line`] falls back to plain syslog.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::{Value as Json, json};

/// Why a line is not CEF/LEEF.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    #[error("not a CEF or LEEF message")]
    NotCefOrLeef,
    #[error("{format} header: expected {expected} `|`-separated fields, found {found}")]
    Header {
        format: &'static str,
        expected: usize,
        found: usize,
    },
    #[error("LEEF delimiter {0:?} is not a character or a hex code")]
    Delimiter(String),
}

/// A parsed line: its format, host, time and record.
#[derive(Debug, Clone, PartialEq)]
pub struct LineRecord {
    /// `cef`, `leef`, `rfc5424`, `rfc3164` or `unknown` (raw text).
    pub format: &'static str,
    pub hostname: Option<String>,
    pub timestamp: Option<DateTime<Utc>>,
    pub record: BTreeMap<String, Json>,
}

/// Splits `s` on unescaped `|` into at most `n` fields (the last one holds
/// the rest, unescaped later by the caller). Header fields are unescaped
/// (`\|` → `|`, `\\` → `\`).
fn split_header(s: &str, n: usize) -> Vec<String> {
    let mut out = Vec::with_capacity(n);
    let mut cur = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        if out.len() + 1 == n {
            out.push(s[i..].to_string());
            return out;
        }
        match c {
            '\\' => match chars.clone().next() {
                Some((_, e @ ('|' | '\\'))) => {
                    cur.push(e);
                    chars.next();
                }
                _ => cur.push('\\'),
            },
            '|' => out.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    if out.len() + 1 == n {
        // The header ended with its last `|`: empty remainder.
        out.push(String::new());
    } else {
        out.push(cur);
    }
    out
}

fn is_key_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'[' | b']')
}

/// Whether the byte at `i` is preceded by an odd number of backslashes.
fn escaped(b: &[u8], i: usize) -> bool {
    let mut n = 0;
    let mut j = i;
    while j > 0 && b[j - 1] == b'\\' {
        n += 1;
        j -= 1;
    }
    n % 2 == 1
}

/// Splits a CEF extension into raw (still escaped) key/value pairs.
fn split_extension(s: &str) -> Vec<(&str, &str)> {
    let b = s.as_bytes();
    // (key start, key end = position of '=')
    let mut keys: Vec<(usize, usize)> = Vec::new();
    for (i, &c) in b.iter().enumerate() {
        if c != b'=' || escaped(b, i) {
            continue;
        }
        let mut k = i;
        while k > 0 && is_key_byte(b[k - 1]) {
            k -= 1;
        }
        if k == i || (k > 0 && b[k - 1] != b' ') {
            continue;
        }
        if let Some(&(_, prev_eq)) = keys.last()
            && k <= prev_eq
        {
            continue;
        }
        keys.push((k, i));
    }
    let mut out = Vec::with_capacity(keys.len());
    for (n, &(k, eq)) in keys.iter().enumerate() {
        let end = keys.get(n + 1).map_or(b.len(), |&(next, _)| next);
        let value = s[eq + 1..end].trim_end_matches(' ');
        out.push((&s[k..eq], value));
    }
    out
}

/// Unescapes a CEF extension value.
fn unescape_value(v: &str) -> String {
    if !v.contains('\\') {
        return v.to_string();
    }
    let mut out = String::with_capacity(v.len());
    let mut chars = v.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.clone().next() {
            Some(e @ ('=' | '\\' | '|')) => {
                out.push(e);
                chars.next();
            }
            Some('n') => {
                out.push('\n');
                chars.next();
            }
            Some('r') => {
                out.push('\r');
                chars.next();
            }
            _ => out.push('\\'),
        }
    }
    out
}

fn insert_absent(rec: &mut BTreeMap<String, Json>, k: &str, v: Json) {
    rec.entry(k.to_string()).or_insert(v);
}

/// Parses a bare CEF message (starting with `CEF:`).
pub fn parse_cef(msg: &str) -> Result<BTreeMap<String, Json>, FormatError> {
    let rest = msg.strip_prefix("CEF:").ok_or(FormatError::NotCefOrLeef)?;
    let f = split_header(rest, 8);
    if f.len() < 7 {
        return Err(FormatError::Header {
            format: "CEF",
            expected: 8,
            found: f.len(),
        });
    }
    let mut rec = BTreeMap::new();
    for (name, v) in [
        "cef_version",
        "DeviceVendor",
        "DeviceProduct",
        "DeviceVersion",
        "DeviceEventClassID",
        "Name",
        "Severity",
    ]
    .iter()
    .zip(&f)
    {
        rec.insert(name.to_string(), json!(v.trim()));
    }
    let ext = f.get(7).map(String::as_str).unwrap_or("");
    let pairs: Vec<(String, String)> = split_extension(ext)
        .into_iter()
        .map(|(k, v)| (k.to_string(), unescape_value(v)))
        .collect();
    for (k, v) in &pairs {
        // Header fields keep their names; a clashing extension key wins (it is more specific).
        rec.insert(k.clone(), json!(v));
    }
    for (k, v) in &pairs {
        if let Some(base) = k.strip_suffix("Label")
            && !v.is_empty()
            && let Some(val) = rec.get(base).cloned()
        {
            insert_absent(&mut rec, v, val);
        }
    }
    if let Some(t) = ["rt", "end", "start"]
        .iter()
        .find_map(|k| rec.get(*k).and_then(Json::as_str).and_then(parse_log_time))
    {
        insert_absent(&mut rec, "timestamp", json!(t.to_rfc3339()));
    }
    Ok(rec)
}

fn leef_delimiter(d: &str) -> Result<char, FormatError> {
    let t = d.trim();
    if t.is_empty() {
        return Ok('\t');
    }
    let mut cs = t.chars();
    if let (Some(c), None) = (cs.next(), cs.next()) {
        return Ok(c);
    }
    if t == "\\t" {
        return Ok('\t');
    }
    let hex = t
        .strip_prefix("0x")
        .or_else(|| t.strip_prefix("0X"))
        .or_else(|| t.strip_prefix('x'))
        .or_else(|| t.strip_prefix('X'))
        .ok_or_else(|| FormatError::Delimiter(t.to_string()))?;
    u32::from_str_radix(hex, 16)
        .ok()
        .filter(|_| hex.len() <= 4)
        .and_then(char::from_u32)
        .ok_or_else(|| FormatError::Delimiter(t.to_string()))
}

/// Parses a bare LEEF 1.0 or 2.0 message (starting with `LEEF:`).
pub fn parse_leef(msg: &str) -> Result<BTreeMap<String, Json>, FormatError> {
    let rest = msg.strip_prefix("LEEF:").ok_or(FormatError::NotCefOrLeef)?;
    let v2 = !rest.starts_with("1.");
    let n = if v2 { 7 } else { 6 };
    let f = split_header(rest, n);
    if f.len() < n - 1 {
        return Err(FormatError::Header {
            format: "LEEF",
            expected: n,
            found: f.len(),
        });
    }
    let mut rec = BTreeMap::new();
    for (name, v) in [
        "leef_version",
        "DeviceVendor",
        "DeviceProduct",
        "DeviceVersion",
        "EventID",
    ]
    .iter()
    .zip(&f)
    {
        rec.insert(name.to_string(), json!(v.trim()));
    }
    let (delim, attrs) = if v2 {
        let d = f.get(5).map(String::as_str).unwrap_or("");
        (
            leef_delimiter(d)?,
            f.get(6).map(String::as_str).unwrap_or(""),
        )
    } else {
        ('\t', f.get(5).map(String::as_str).unwrap_or(""))
    };
    let mut pairs: Vec<(String, String)> = Vec::new();
    if delim == '\t' && !attrs.contains('\t') {
        pairs.extend(
            split_extension(attrs)
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string())),
        );
    } else {
        for part in attrs.split(delim) {
            match part.split_once('=') {
                Some((k, v)) if !k.trim().is_empty() => {
                    pairs.push((k.trim().to_string(), v.to_string()))
                }
                // A piece without a key: the delimiter was part of the previous value.
                _ => {
                    if let Some(last) = pairs.last_mut() {
                        last.1.push(delim);
                        last.1.push_str(part);
                    }
                }
            }
        }
    }
    for (k, v) in pairs {
        rec.insert(k, json!(v));
    }
    let fmt = rec
        .get("devTimeFormat")
        .and_then(Json::as_str)
        .map(str::to_string);
    if let Some(t) = rec.get("devTime").and_then(Json::as_str).and_then(|t| {
        fmt.as_deref()
            .and_then(|f| parse_java_time(t, f))
            .or_else(|| parse_log_time(t))
    }) {
        insert_absent(&mut rec, "timestamp", json!(t.to_rfc3339()));
    }
    Ok(rec)
}

/// Converts a Java `SimpleDateFormat` pattern (as LEEF `devTimeFormat` uses)
/// to chrono and parses `t` with it.
fn parse_java_time(t: &str, pattern: &str) -> Option<DateTime<Utc>> {
    let mut f = String::new();
    let p: Vec<char> = pattern.chars().collect();
    let mut i = 0;
    let mut has_zone = false;
    while i < p.len() {
        let c = p[i];
        let mut n = 1;
        while i + n < p.len() && p[i + n] == c {
            n += 1;
        }
        match c {
            'y' => f.push_str(if n == 2 { "%y" } else { "%Y" }),
            'M' => f.push_str(match n {
                1 | 2 => "%m",
                3 => "%b",
                _ => "%B",
            }),
            'd' => f.push_str("%d"),
            'H' => f.push_str("%H"),
            'h' => f.push_str("%I"),
            'a' => f.push_str("%p"),
            'm' => f.push_str("%M"),
            's' => f.push_str("%S"),
            'S' => f.push_str("%.f"),
            'E' => f.push_str(if n <= 3 { "%a" } else { "%A" }),
            'Z' | 'X' | 'z' => {
                has_zone = true;
                f.push_str(if c == 'z' { "%Z" } else { "%z" })
            }
            '\'' => {
                // Quoted literal.
                let mut j = i + 1;
                while j < p.len() && p[j] != '\'' {
                    f.push(p[j]);
                    j += 1;
                }
                i = j + 1;
                continue;
            }
            '%' => f.push_str("%%"),
            other => {
                for _ in 0..n {
                    f.push(other);
                }
            }
        }
        i += n;
    }
    // `%.f` must follow the seconds' dot; Java writes `ss.SSS`.
    let f = f.replace(".%.f", "%.f");
    if has_zone && let Ok(d) = DateTime::parse_from_str(t, &f) {
        return Some(d.to_utc());
    }
    NaiveDateTime::parse_from_str(t, &f)
        .ok()
        .map(|n| n.and_utc())
}

/// Reads the time formats CEF and LEEF senders use: epoch milliseconds (or
/// seconds), RFC 3339, `MMM dd yyyy HH:mm:ss[.SSS]` (optionally followed by a
/// zone name, read as UTC) and the formats of Sigma time values.
pub fn parse_log_time(t: &str) -> Option<DateTime<Utc>> {
    let t = t.trim();
    if !t.is_empty() && t.len() <= 16 && t.bytes().all(|b| b.is_ascii_digit()) {
        let n: i64 = t.parse().ok()?;
        return if t.len() >= 12 {
            DateTime::from_timestamp_millis(n)
        } else {
            DateTime::from_timestamp(n, 0)
        };
    }
    if let Some(d) = crate::sigma::compile::parse_time(t) {
        return Some(d);
    }
    // Drop a trailing zone name (`UTC`, `GMT`, `CET`…): read as UTC.
    let base = match t.rsplit_once(' ') {
        Some((b, z)) if z.chars().all(|c| c.is_ascii_uppercase()) && !z.is_empty() => b,
        _ => t,
    };
    [
        "%b %d %Y %H:%M:%S%.f",
        "%b %d %Y %H:%M:%S",
        "%d %b %Y %H:%M:%S",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(base, f).ok())
    .map(|n| n.and_utc())
}

/// Where a CEF/LEEF message starts in a line: at the start or after a space.
fn find_marker(line: &str) -> Option<(usize, &'static str)> {
    let mut best: Option<(usize, &'static str)> = None;
    for (marker, fmt) in [("CEF:", "cef"), ("LEEF:", "leef")] {
        let mut from = 0;
        while let Some(p) = line[from..].find(marker) {
            let i = from + p;
            let ok_before = i == 0 || line.as_bytes()[i - 1] == b' ';
            let ok_after = line
                .as_bytes()
                .get(i + marker.len())
                .is_some_and(|b| b.is_ascii_digit());
            if ok_before && ok_after {
                if best.is_none_or(|(b, _)| i < b) {
                    best = Some((i, fmt));
                }
                break;
            }
            from = i + marker.len();
        }
    }
    best
}

/// Parses one log line: CEF or LEEF (bare or after a syslog header), else
/// syslog (RFC 5424, RFC 3164), else raw text (`message` only). `now` fills
/// the year RFC 3164 timestamps lack.
pub fn parse_line(line: &str, now: DateTime<Utc>) -> LineRecord {
    let line = line.trim_end_matches(['\r', '\n', '\0']);
    if let Some(r) = parse_cef_or_leef_line(line, now) {
        return r;
    }
    let m = crate::syslog::parse(line, now);
    LineRecord {
        format: m.format,
        hostname: m.hostname,
        timestamp: m.timestamp,
        record: m.record,
    }
}

/// Parses a line only when it holds a CEF/LEEF message (bare or after a
/// syslog header); `None` otherwise (also when the message is malformed).
pub fn parse_cef_or_leef_line(line: &str, now: DateTime<Utc>) -> Option<LineRecord> {
    try_cef_or_leef(line, now).ok()
}

/// Like [`parse_cef_or_leef_line`], with the reason a line is not CEF/LEEF.
pub fn try_cef_or_leef(line: &str, now: DateTime<Utc>) -> Result<LineRecord, FormatError> {
    let line = line.trim_end_matches(['\r', '\n', '\0']);
    let (at, format) = find_marker(line).ok_or(FormatError::NotCefOrLeef)?;
    let prefix = line[..at].trim_end();
    let mut header = BTreeMap::new();
    let mut hostname = None;
    let mut syslog_time = None;
    if !prefix.is_empty() {
        let with_pri = !prefix.starts_with('<');
        let text = if with_pri {
            format!("<13>{prefix}")
        } else {
            prefix.to_string()
        };
        let m = crate::syslog::parse(&text, now);
        let msg_empty = m
            .record
            .get("message")
            .and_then(Json::as_str)
            .is_none_or(str::is_empty);
        if m.format == "unknown" || !msg_empty {
            // Text before the marker that is not a syslog header.
            return Err(FormatError::NotCefOrLeef);
        }
        header = m.record;
        header.remove("message");
        if with_pri {
            header.remove("facility");
            header.remove("severity");
        }
        hostname = m.hostname;
        syslog_time = m.timestamp;
    }
    let msg = &line[at..];
    let mut record = if format == "cef" {
        parse_cef(msg)?
    } else {
        parse_leef(msg)?
    };
    let timestamp = record
        .get("timestamp")
        .and_then(Json::as_str)
        .and_then(parse_log_time)
        .or(syslog_time);
    for (k, v) in header {
        record.entry(k).or_insert(v);
    }
    if let Some(t) = timestamp {
        insert_absent(&mut record, "timestamp", json!(t.to_rfc3339()));
    }
    let hostname = hostname.or_else(|| {
        ["dvchost", "shost", "identHostName"]
            .iter()
            .find_map(|k| record.get(*k).and_then(Json::as_str).map(str::to_string))
    });
    Ok(LineRecord {
        format,
        hostname,
        timestamp,
        record,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2024-05-02T00:00:00Z".parse().unwrap()
    }

    #[test]
    fn cef_header_and_extension_escapes() {
        let r = parse_cef(
            r"CEF:0|Security\|Corp|threat\\manager|1.0|100|worm successfully stopped|10|src=10.0.0.1 dst=2.1.2.2 spt=1232 msg=Detected a \= sign and a \\ and\nnewline request=http://x.test/?a=b&c=d act=blocked now",
        )
        .unwrap();
        assert_eq!(r["cef_version"], "0");
        assert_eq!(r["DeviceVendor"], "Security|Corp");
        assert_eq!(r["DeviceProduct"], "threat\\manager");
        assert_eq!(r["DeviceVersion"], "1.0");
        assert_eq!(r["DeviceEventClassID"], "100");
        assert_eq!(r["Name"], "worm successfully stopped");
        assert_eq!(r["Severity"], "10");
        assert_eq!(r["src"], "10.0.0.1");
        assert_eq!(r["dst"], "2.1.2.2");
        assert_eq!(r["spt"], "1232");
        assert_eq!(r["msg"], "Detected a = sign and a \\ and\nnewline");
        assert_eq!(r["request"], "http://x.test/?a=b&c=d");
        assert_eq!(r["act"], "blocked now");
    }

    #[test]
    fn cef_labels_time_and_empty_extension() {
        let r = parse_cef(
            "CEF:0|V|P|1|sig|N|Low|cs1Label=Policy Name cs1=Block All rt=1714557600000 cn1Label=Bytes cn1=42",
        )
        .unwrap();
        assert_eq!(r["cs1"], "Block All");
        assert_eq!(r["Policy Name"], "Block All");
        assert_eq!(r["Bytes"], "42");
        assert_eq!(r["timestamp"], "2024-05-01T10:00:00+00:00");
        let r = parse_cef("CEF:1|V|P|1|sig|N|5|").unwrap();
        assert_eq!(r["Severity"], "5");
        assert_eq!(r.len(), 7);
        let r = parse_cef("CEF:0|V|P|1|sig|N|5|rt=May 01 2024 10:00:00.250 UTC").unwrap();
        assert_eq!(r["timestamp"], "2024-05-01T10:00:00.250+00:00");
        assert!(matches!(
            parse_cef("CEF:0|V|P"),
            Err(FormatError::Header { found: 3, .. })
        ));
        assert_eq!(parse_cef("LEEF:1.0|a"), Err(FormatError::NotCefOrLeef));
    }

    #[test]
    fn leef_1_and_2() {
        let r = parse_leef(
            "LEEF:1.0|Microsoft|MSExchange|2016|15345|src=10.50.1.1\tdst=2.10.20.20\tspt=1200\tusrName=alice smith",
        )
        .unwrap();
        assert_eq!(r["leef_version"], "1.0");
        assert_eq!(r["DeviceVendor"], "Microsoft");
        assert_eq!(r["EventID"], "15345");
        assert_eq!(r["spt"], "1200");
        assert_eq!(r["usrName"], "alice smith");
        let r = parse_leef(
            "LEEF:2.0|Lancope|StealthWatch|1.0|41|^|src=10.0.1.8^dst=10.0.0.5^sev=5^msg=a^b",
        )
        .unwrap();
        assert_eq!(r["leef_version"], "2.0");
        assert_eq!(r["src"], "10.0.1.8");
        assert_eq!(r["sev"], "5");
        assert_eq!(
            r["msg"], "a^b",
            "a piece without `=` belongs to the previous value"
        );
        let r = parse_leef("LEEF:2.0|V|P|1|E|x7C|a=1|b=2").unwrap();
        assert_eq!((r["a"].as_str(), r["b"].as_str()), (Some("1"), Some("2")));
        let r = parse_leef("LEEF:2.0|V|P|1|E|0x09|a=1\tb=x=y").unwrap();
        assert_eq!(r["b"], "x=y");
        let r = parse_leef("LEEF:2.0|V|P|1|E||a=1\tb=2").unwrap();
        assert_eq!(r["b"], "2");
        // Tabs replaced by spaces in transit (LEEF 1.0).
        let r = parse_leef("LEEF:1.0|V|P|1|E|src=1.2.3.4 dst=5.6.7.8 usrName=bob").unwrap();
        assert_eq!(r["dst"], "5.6.7.8");
        assert!(matches!(
            parse_leef("LEEF:2.0|V|P|1|E|zz|a=1"),
            Err(FormatError::Delimiter(_))
        ));
        let r = parse_leef(
            "LEEF:2.0|V|P|1|E|^|devTime=2024-05-01 10:00:00.5^devTimeFormat=yyyy-MM-dd HH:mm:ss.SSS",
        )
        .unwrap();
        assert_eq!(r["timestamp"], "2024-05-01T10:00:00.500+00:00");
        let r = parse_leef(
            "LEEF:1.0|V|P|1|E|devTime=May 01 2024 10:00:00\tdevTimeFormat=MMM dd yyyy HH:mm:ss",
        )
        .unwrap();
        assert_eq!(r["timestamp"], "2024-05-01T10:00:00+00:00");
    }

    #[test]
    fn inside_syslog() {
        let l = parse_line(
            "<134>May  1 10:00:00 fw01 CEF:0|Palo Alto Networks|PAN-OS|10.1|THREAT|virus|8|src=10.1.1.1 suser=corp\\\\bob",
            now(),
        );
        assert_eq!(l.format, "cef");
        assert_eq!(l.hostname.as_deref(), Some("fw01"));
        assert_eq!(l.record["facility"], "local0");
        assert_eq!(l.record["severity"], "info");
        assert_eq!(l.record["Severity"], "8");
        assert_eq!(l.record["suser"], "corp\\bob");
        assert_eq!(
            l.timestamp.unwrap().to_rfc3339(),
            "2024-05-01T10:00:00+00:00"
        );
        let l = parse_line(
            "<13>1 2024-05-01T10:00:00Z qradar app 1 - - LEEF:2.0|IBM|QRadar|7|login|^|usrName=eve",
            now(),
        );
        assert_eq!(l.format, "leef");
        assert_eq!(l.record["usrName"], "eve");
        assert_eq!(l.record["app_name"], "app");
        let l = parse_line(
            "May  1 10:00:00 fw02 cef-relay[9]: CEF:0|V|P|1|s|n|3|dvchost=x",
            now(),
        );
        assert_eq!(l.format, "cef");
        assert_eq!(l.record["app_name"], "cef-relay");
        assert!(!l.record.contains_key("facility"));
        // A message that only mentions CEF stays syslog.
        let l = parse_line(
            "<13>May  1 10:00:00 h app: the CEF:0|x| parser failed",
            now(),
        );
        assert_eq!(l.format, "rfc3164");
        let l = parse_line("CEF:0|V|P|1|s|n|3|dvchost=h1", now());
        assert_eq!(l.hostname.as_deref(), Some("h1"));
        assert_eq!(parse_line("hello", now()).format, "unknown");
    }
}
