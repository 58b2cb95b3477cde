//! Syslog input: RFC 5424 and RFC 3164 (BSD) messages parsed into a flat
//! record whose field names Sigma rules can use (`facility`, `severity`,
//! `timestamp`, `hostname`, `app_name`, `procid`, `msgid`, `message`, and
//! each structured-data parameter as `<sd-id>.<name>`).
//!
//! Parsing never fails: a line that fits neither format becomes a record with
//! only `message` (and `format: "unknown"`).

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveDateTime, TimeZone, Utc};
use serde_json::{Value, json};

const FACILITIES: &[&str] = &[
    "kern",
    "user",
    "mail",
    "daemon",
    "auth",
    "syslog",
    "lpr",
    "news",
    "uucp",
    "cron",
    "authpriv",
    "ftp",
    "ntp",
    "security",
    "console",
    "solaris-cron",
    "local0",
    "local1",
    "local2",
    "local3",
    "local4",
    "local5",
    "local6",
    "local7",
];
const SEVERITIES: &[&str] = &[
    "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
];

/// A parsed syslog message.
#[derive(Debug, Clone, PartialEq)]
pub struct SyslogMessage {
    /// `rfc5424`, `rfc3164` or `unknown`.
    pub format: &'static str,
    pub hostname: Option<String>,
    pub timestamp: Option<DateTime<Utc>>,
    /// The record: field name → value.
    pub record: BTreeMap<String, Value>,
}

fn nil(s: &str) -> Option<&str> {
    (s != "-" && !s.is_empty()).then_some(s)
}

/// Splits `<PRI>` off; returns (facility, severity, rest).
fn pri(line: &str) -> Option<(u8, u8, &str)> {
    let rest = line.strip_prefix('<')?;
    let end = rest.find('>')?;
    if end == 0 || end > 3 {
        return None;
    }
    let p: u16 = rest[..end].parse().ok()?;
    if p > 191 {
        return None;
    }
    Some(((p / 8) as u8, (p % 8) as u8, &rest[end + 1..]))
}

fn next_token(s: &str) -> Option<(&str, &str)> {
    let s = s.trim_start_matches(' ');
    if s.is_empty() {
        return None;
    }
    match s.find(' ') {
        Some(i) => Some((&s[..i], &s[i + 1..])),
        None => Some((s, "")),
    }
}

/// Parses RFC 5424 structured data at the start of `s`; returns the
/// parameters and the rest.
fn structured_data(s: &str) -> Option<(Vec<(String, String)>, &str)> {
    if let Some(rest) = s.strip_prefix('-') {
        return Some((Vec::new(), rest));
    }
    let mut params = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && b[i] == b'[' {
        i += 1;
        let id_start = i;
        while i < b.len() && b[i] != b' ' && b[i] != b']' {
            i += 1;
        }
        let id = &s[id_start..i];
        loop {
            while i < b.len() && b[i] == b' ' {
                i += 1;
            }
            if i >= b.len() {
                return None;
            }
            if b[i] == b']' {
                i += 1;
                break;
            }
            let name_start = i;
            while i < b.len() && b[i] != b'=' {
                i += 1;
            }
            let name = &s[name_start..i];
            i += 1;
            if i >= b.len() || b[i] != b'"' {
                return None;
            }
            i += 1;
            let mut value = String::new();
            while i < b.len() && b[i] != b'"' {
                if b[i] == b'\\' && i + 1 < b.len() && matches!(b[i + 1], b'"' | b'\\' | b']') {
                    i += 1;
                }
                let ch = s[i..].chars().next()?;
                value.push(ch);
                i += ch.len_utf8();
            }
            i += 1;
            params.push((format!("{id}.{name}"), value));
        }
    }
    if i == 0 {
        return None;
    }
    Some((params, &s[i.min(s.len())..]))
}

fn rfc5424(fac: u8, sev: u8, rest: &str) -> Option<SyslogMessage> {
    let rest = rest.strip_prefix("1 ")?;
    let (ts, rest) = next_token(rest)?;
    let (host, rest) = next_token(rest)?;
    let (app, rest) = next_token(rest)?;
    let (procid, rest) = next_token(rest)?;
    let (msgid, rest) = next_token(rest)?;
    let (sd, rest) = structured_data(rest.trim_start_matches(' '))?;
    let msg = rest.strip_prefix(' ').unwrap_or(rest);
    let msg = msg.strip_prefix('\u{feff}').unwrap_or(msg);
    let timestamp = nil(ts).and_then(|t| DateTime::parse_from_rfc3339(t).ok().map(|d| d.to_utc()));
    let mut record = BTreeMap::new();
    for (k, v) in [
        ("hostname", nil(host)),
        ("app_name", nil(app)),
        ("procid", nil(procid)),
        ("msgid", nil(msgid)),
    ] {
        if let Some(v) = v {
            record.insert(k.to_string(), json!(v));
        }
    }
    for (k, v) in sd {
        record.insert(k, json!(v));
    }
    record.insert("message".into(), json!(msg));
    Some(finish("rfc5424", fac, sev, nil(host), timestamp, record))
}

fn rfc3164(fac: u8, sev: u8, rest: &str, now: DateTime<Utc>) -> SyslogMessage {
    let mut record = BTreeMap::new();
    let mut timestamp = None;
    let mut hostname = None;
    let mut body = rest;
    // "Mmm dd hh:mm:ss" (day padded with a space when below 10).
    if rest.len() >= 16 && rest.as_bytes()[15] == b' ' {
        let text = format!("{} {}", now.year(), &rest[..15].replace("  ", " "));
        if let Ok(t) = NaiveDateTime::parse_from_str(&text, "%Y %b %d %H:%M:%S") {
            let mut t = Utc.from_utc_datetime(&t);
            // A December message read in January belongs to last year.
            if t > now + chrono::Duration::days(1)
                && let Some(prev) = t.with_year(now.year() - 1)
            {
                t = prev;
            }
            timestamp = Some(t);
            body = &rest[16..];
            if let Some((h, r)) = next_token(body)
                && !h.ends_with(':')
            {
                hostname = Some(h.to_string());
                body = r;
            }
        }
    }
    // TAG[pid]: message
    let tag_end = body
        .find(|c: char| !(c.is_ascii_alphanumeric() || "-_./[]".contains(c)))
        .unwrap_or(body.len());
    if tag_end > 0 && body[tag_end..].starts_with(':') {
        let tag = &body[..tag_end];
        let (app, pid) = match tag.split_once('[') {
            Some((a, p)) => (a, p.strip_suffix(']')),
            None => (tag, None),
        };
        record.insert("app_name".into(), json!(app));
        if let Some(p) = pid {
            record.insert("procid".into(), json!(p));
        }
        body = body[tag_end + 1..].trim_start_matches(' ');
    }
    if let Some(h) = &hostname {
        record.insert("hostname".into(), json!(h));
    }
    record.insert("message".into(), json!(body));
    finish("rfc3164", fac, sev, hostname.as_deref(), timestamp, record)
}

fn finish(
    format: &'static str,
    fac: u8,
    sev: u8,
    host: Option<&str>,
    timestamp: Option<DateTime<Utc>>,
    mut record: BTreeMap<String, Value>,
) -> SyslogMessage {
    record.insert(
        "facility".into(),
        json!(FACILITIES.get(fac as usize).copied().unwrap_or("unknown")),
    );
    record.insert(
        "severity".into(),
        json!(SEVERITIES.get(sev as usize).copied().unwrap_or("unknown")),
    );
    if let Some(t) = timestamp {
        record.insert("timestamp".into(), json!(t.to_rfc3339()));
    }
    SyslogMessage {
        format,
        hostname: host.map(str::to_string),
        timestamp,
        record,
    }
}

/// Parses one syslog message (RFC 5424, else RFC 3164, else raw text);
/// `now` fills the year RFC 3164 timestamps lack.
pub fn parse(line: &str, now: DateTime<Utc>) -> SyslogMessage {
    let line = line.trim_end_matches(['\r', '\n', '\0']);
    match pri(line) {
        Some((fac, sev, rest)) => {
            rfc5424(fac, sev, rest).unwrap_or_else(|| rfc3164(fac, sev, rest, now))
        }
        None => SyslogMessage {
            format: "unknown",
            hostname: None,
            timestamp: None,
            record: BTreeMap::from([("message".to_string(), json!(line))]),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2024-05-02T00:00:00Z".parse().unwrap()
    }

    #[test]
    fn rfc5424_with_structured_data() {
        let m = parse(
            r#"<165>1 2024-05-01T10:00:00.003Z web-1 sshd 4242 ID47 [exampleSDID@32473 iut="3" eventSource="App\"lication"][meta x="y"] Failed password for root"#,
            now(),
        );
        assert_eq!(m.format, "rfc5424");
        assert_eq!(m.hostname.as_deref(), Some("web-1"));
        assert_eq!(
            m.timestamp.unwrap().to_rfc3339(),
            "2024-05-01T10:00:00.003+00:00"
        );
        let r = &m.record;
        assert_eq!(r["facility"], "local4");
        assert_eq!(r["severity"], "notice");
        assert_eq!(r["app_name"], "sshd");
        assert_eq!(r["procid"], "4242");
        assert_eq!(r["msgid"], "ID47");
        assert_eq!(r["exampleSDID@32473.eventSource"], "App\"lication");
        assert_eq!(r["meta.x"], "y");
        assert_eq!(r["message"], "Failed password for root");
        let m = parse("<13>1 - - - - - -", now());
        assert_eq!(m.format, "rfc5424");
        assert_eq!(m.record["message"], "");
    }

    #[test]
    fn rfc3164() {
        let m = parse(
            "<38>May  1 10:00:00 bastion sshd[811]: Accepted publickey for alice",
            now(),
        );
        assert_eq!(m.format, "rfc3164");
        assert_eq!(m.hostname.as_deref(), Some("bastion"));
        assert_eq!(
            m.timestamp.unwrap().to_rfc3339(),
            "2024-05-01T10:00:00+00:00"
        );
        assert_eq!(m.record["facility"], "auth");
        assert_eq!(m.record["severity"], "info");
        assert_eq!(m.record["app_name"], "sshd");
        assert_eq!(m.record["procid"], "811");
        assert_eq!(m.record["message"], "Accepted publickey for alice");
        let m = parse("<13>Dec 31 23:59:59 h cron: x", now());
        assert_eq!(
            m.timestamp.unwrap().to_rfc3339(),
            "2023-12-31T23:59:59+00:00"
        );
        let m = parse("<13>no timestamp here", now());
        assert_eq!(m.record["message"], "no timestamp here");
    }

    #[test]
    fn garbage_never_panics() {
        for s in [
            "",
            "<",
            "<>",
            "<999>x",
            "<13>1 ",
            "<13>1 a b c d e [x",
            "<13>1 a b c d e [x y=\"",
            "plain text",
            "<13>Jan",
            "<13>1 - - - - - [é a=\"é\"] é",
        ] {
            let _ = parse(s, now());
        }
        assert_eq!(parse("plain", now()).format, "unknown");
    }
}
