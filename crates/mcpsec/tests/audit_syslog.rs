//! End-to-end: `mcpsec audit export --syslog` sends the audit chain as RFC
//! 5424 messages over UDP and TCP; the records arrive whole (hashes intact)
//! and `--after` forwards only newer ones.

mod common;

use std::io::{BufRead, BufReader};
use std::net::{TcpListener, UdpSocket};
use std::time::Duration;

use common::cli;
use serde_json::Value;

/// The JSON record carried by one syslog message (after the structured data).
fn record_of(line: &str) -> Value {
    assert!(line.starts_with("<85>1 "), "{line}");
    assert!(line.contains(" mcpsec "), "{line}");
    let json = &line[line.find("] {").expect("structured data then JSON") + 2..];
    serde_json::from_str(json).unwrap()
}

#[test]
fn audit_records_go_to_syslog_over_udp_and_tcp() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    cli(&data, &["admin", "create-tenant", "acme"], &[]);
    cli(&data, &["admin", "create-tenant", "globex"], &[]);

    // UDP: one datagram per record.
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    udp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let url = format!("udp://{}", udp.local_addr().unwrap());
    cli(&data, &["audit", "export", "--syslog", &url], &[]);
    let mut buf = vec![0u8; 70_000];
    let mut got = Vec::new();
    for _ in 0..2 {
        let n = udp.recv(&mut buf).unwrap();
        got.push(record_of(std::str::from_utf8(&buf[..n]).unwrap()));
    }
    assert_eq!(got[0]["seq"], 1);
    assert_eq!(got[1]["seq"], 2);
    assert_eq!(got[0]["tenant"], "acme");
    assert_eq!(
        got[1]["prev_hash"], got[0]["hash"],
        "the chain arrives intact"
    );

    // The same records as JSON lines equal what syslog carried.
    let jsonl = cli(&data, &["audit", "export"], &[]);
    let lines: Vec<Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines, got);

    // TCP, incrementally after seq 1 and for one tenant.
    let tcp = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("tcp://{}", tcp.local_addr().unwrap());
    let reader = std::thread::spawn(move || {
        let (conn, _) = tcp.accept().unwrap();
        BufReader::new(conn)
            .lines()
            .map(|l| l.unwrap())
            .collect::<Vec<String>>()
    });
    cli(
        &data,
        &[
            "audit", "export", "--syslog", &url, "--after", "1", "--tenant", "globex",
        ],
        &[],
    );
    let lines = reader.join().unwrap();
    assert_eq!(lines.len(), 1, "{lines:?}");
    let r = record_of(&lines[0]);
    assert_eq!(r["seq"], 2);
    assert_eq!(r["tenant"], "globex");
    assert!(lines[0].contains("tenant=\"globex\""), "{}", lines[0]);
}
