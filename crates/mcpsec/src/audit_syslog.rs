//! `mcpsec audit export --syslog URL`: audit records as RFC 5424 syslog
//! messages over UDP (one datagram each) or TCP (one message per line,
//! RFC 6587 non-transparent framing), for a SIEM or a central syslog.
//!
//! Each message: facility `authpriv` (10), severity `notice` (5), or
//! `warning` (4) for outcomes other than `success`; APP-NAME `mcpsec`,
//! MSGID `audit`; structured data `[mcpsec-audit@32473 seq tenant action
//! outcome actor]` for filtering; the message is the record's JSON
//! (including its chain hashes), so it can be verified downstream.

use std::io::Write;
use std::net::{TcpStream, ToSocketAddrs, UdpSocket};
use std::time::Duration;

use anyhow::{Context, bail};
use mcpsec_core::auth::AuditRecord;

/// The private enterprise number used for our SD-ID (the documentation
/// example number of RFC 5424; we have no registered one).
const SD_ID: &str = "mcpsec-audit@32473";
/// Largest UDP message we send (larger records are refused with an error,
/// rather than truncated: truncation would break their hash).
const MAX_UDP: usize = 65_000;

/// Where messages go.
pub enum SyslogSink {
    Udp(UdpSocket),
    Tcp(std::io::BufWriter<TcpStream>),
}

impl SyslogSink {
    /// Connects to `udp://host:port` or `tcp://host:port`.
    pub fn connect(url: &str) -> anyhow::Result<SyslogSink> {
        let (scheme, addr) = url.split_once("://").with_context(|| {
            format!("syslog target {url:?}: expected udp://host:port or tcp://host:port")
        })?;
        let target = addr
            .to_socket_addrs()
            .with_context(|| format!("syslog target {url:?}: cannot resolve {addr:?}"))?
            .next()
            .with_context(|| format!("syslog target {url:?}: no address"))?;
        match scheme {
            "udp" => {
                let bind = if target.is_ipv4() {
                    "0.0.0.0:0"
                } else {
                    "[::]:0"
                };
                let s = UdpSocket::bind(bind).context("opening a UDP socket")?;
                s.connect(target)
                    .with_context(|| format!("syslog target {url}"))?;
                Ok(SyslogSink::Udp(s))
            }
            "tcp" => {
                let s = TcpStream::connect_timeout(&target, Duration::from_secs(10))
                    .with_context(|| format!("connecting to syslog at {url}"))?;
                Ok(SyslogSink::Tcp(std::io::BufWriter::new(s)))
            }
            other => bail!("syslog target {url:?}: unknown scheme {other:?} (udp or tcp)"),
        }
    }

    pub fn send(&mut self, message: &str) -> anyhow::Result<()> {
        match self {
            SyslogSink::Udp(s) => {
                if message.len() > MAX_UDP {
                    bail!(
                        "audit message of {} bytes is too large for UDP syslog; use tcp://",
                        message.len()
                    );
                }
                s.send(message.as_bytes())
                    .context("sending syslog datagram")?;
            }
            SyslogSink::Tcp(w) => {
                w.write_all(message.as_bytes())?;
                w.write_all(b"\n").context("writing to syslog")?;
            }
        }
        Ok(())
    }

    pub fn flush(&mut self) -> anyhow::Result<()> {
        if let SyslogSink::Tcp(w) = self {
            w.flush().context("flushing syslog connection")?;
        }
        Ok(())
    }
}

/// This machine's host name for the HOSTNAME field (`-` when unknown).
pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty() && h.is_ascii() && !h.contains(' '))
        .unwrap_or_else(|| "-".to_string())
}

/// An SD-PARAM value with `"`, `\` and `]` escaped (RFC 5424 §6.3.3).
fn sd_escape(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        if matches!(c, '"' | '\\' | ']') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// One audit record as an RFC 5424 message.
pub fn format_record(r: &AuditRecord, host: &str) -> anyhow::Result<String> {
    const AUTHPRIV: u8 = 10;
    let severity = if r.outcome == "success" { 5 } else { 4 };
    let pri = AUTHPRIV * 8 + severity;
    let json = serde_json::to_string(r).context("encoding audit record")?;
    let tenant = r.tenant.as_ref().map(|t| t.as_str()).unwrap_or("-");
    Ok(format!(
        "<{pri}>1 {ts} {host} mcpsec {pid} audit [{SD_ID} seq=\"{seq}\" tenant=\"{tenant}\" action=\"{action}\" outcome=\"{outcome}\" actor=\"{actor}\"] {json}",
        ts = r.at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        pid = std::process::id(),
        seq = r.seq,
        tenant = sd_escape(tenant),
        action = sd_escape(&r.action),
        outcome = sd_escape(&r.outcome),
        actor = sd_escape(&r.actor),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use std::collections::BTreeMap;

    fn record(outcome: &str, actor: &str) -> AuditRecord {
        AuditRecord {
            seq: 42,
            at: "2026-11-26T10:00:00.123456Z".parse().unwrap(),
            tenant: Some(mcpsec_core::TenantId::new("acme").unwrap()),
            actor: actor.into(),
            action: "api_key.create".into(),
            target: Some("k1".into()),
            outcome: outcome.into(),
            details: BTreeMap::from([("role".into(), "viewer".into())]),
            prev_hash: "0".repeat(64),
            hash: "a".repeat(64),
        }
    }

    #[test]
    fn messages_parse_as_rfc5424_with_the_record_intact() {
        let r = record("success", "user:al\"ice]");
        let line = format_record(&r, "host-1").unwrap();
        let m = mcpsec_detect::syslog::parse(&line, Utc::now());
        assert_eq!(m.format, "rfc5424", "{line}");
        assert_eq!(m.hostname.as_deref(), Some("host-1"));
        let f = &m.record;
        assert_eq!(f["facility"], "authpriv");
        assert_eq!(f["severity"], "notice");
        assert_eq!(f["app_name"], "mcpsec");
        assert_eq!(f["msgid"], "audit");
        assert_eq!(f[&format!("{SD_ID}.seq")], "42");
        assert_eq!(f[&format!("{SD_ID}.actor")], "user:al\"ice]");
        assert_eq!(f[&format!("{SD_ID}.tenant")], "acme");
        let back: AuditRecord = serde_json::from_str(f["message"].as_str().unwrap()).unwrap();
        assert_eq!(back, r);
        let failed = format_record(&record("denied", "x"), "-").unwrap();
        let m = mcpsec_detect::syslog::parse(&failed, Utc::now());
        assert_eq!(m.record["severity"], "warning");
        assert_eq!(m.hostname, None);
    }

    #[test]
    fn bad_targets_are_named() {
        for (url, want) in [
            ("127.0.0.1:514", "expected udp://"),
            ("http://127.0.0.1:514", "unknown scheme"),
            ("udp://nonsense", "cannot resolve"),
        ] {
            let err = SyslogSink::connect(url).err().unwrap();
            assert!(format!("{err:#}").contains(want), "{url}: {err:#}");
        }
    }
}
