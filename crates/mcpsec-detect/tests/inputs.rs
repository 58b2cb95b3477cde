//! CEF, LEEF, syslog and CloudTrail inputs end to end: format detection,
//! field access by name and nested path, log-source dispatch for CloudTrail,
//! and SigmaHQ AWS rules firing on a hand-written CloudTrail file.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;

use mcpsec_detect::RuleSet;
use mcpsec_detect::hunt::{HuntOptions, hunt};
use mcpsec_detect::input::{self, InputFormat, Record};
use mcpsec_detect::ruleset::LoadOptions;

fn fixtures() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures"))
}

fn shared() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"))
}

fn read(path: &Path, format: Option<InputFormat>) -> (Vec<Record>, input::InputStats) {
    let mut out = Vec::new();
    let st = input::read_file_as(path, format, &mut |r| out.push(r)).unwrap();
    (out, st)
}

fn text(r: &Record, field: &str) -> Option<String> {
    r.event
        .get(field)
        .and_then(|v| v.as_text())
        .map(|t| t.into_owned())
}

fn titles(report: &mcpsec_detect::HuntReport) -> Vec<(String, u64)> {
    let mut v: Vec<(String, u64)> = report
        .detections
        .iter()
        .map(|d| {
            (
                d.rule.title.clone(),
                d.source.as_ref().map_or(0, |s| s.record_id),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn formats_are_detected() {
    let ev = fixtures().join("events");
    for (f, want) in [
        ("cloudtrail.json", InputFormat::CloudTrail),
        ("firewall.cef", InputFormat::Cef),
        ("qradar.leef", InputFormat::Leef),
        ("mixed.log", InputFormat::Syslog),
        ("windows.ndjson", InputFormat::Ndjson),
    ] {
        assert_eq!(input::detect_format(&ev.join(f)).unwrap(), want, "{f}");
    }
    // By content, whatever the name.
    let dir = tempfile::tempdir().unwrap();
    for (content, want) in [
        ("CEF:0|a|b|1|x|y|1|k=v\n", InputFormat::Syslog),
        ("<13>May  1 10:00:00 h app: x\n", InputFormat::Syslog),
        (
            "May  1 10:00:00 h LEEF:1.0|a|b|1|x|k=v\n",
            InputFormat::Syslog,
        ),
        ("{\"Records\": []}", InputFormat::CloudTrail),
    ] {
        let p = dir.path().join("noext");
        std::fs::write(&p, content).unwrap();
        assert_eq!(input::detect_format(&p).unwrap(), want, "{content}");
    }
    assert!(input::is_input_file(Path::new("x/ct.json.gz")));
    assert!(input::is_input_file(Path::new("fw.cef")));
    assert_eq!("leef".parse::<InputFormat>(), Ok(InputFormat::Leef));
    assert!("xml".parse::<InputFormat>().is_err());
}

#[test]
fn cef_file_fields_and_errors() {
    let (recs, st) = read(&fixtures().join("events/firewall.cef"), None);
    assert_eq!(recs.len(), 2);
    assert_eq!(st.error_count, 1, "the non-CEF line: {:?}", st.errors);
    assert!(st.errors[0].starts_with("line 4"), "{:?}", st.errors);
    let r = &recs[0];
    assert_eq!(
        text(r, "DeviceVendor").as_deref(),
        Some("Palo Alto Networks")
    );
    assert_eq!(text(r, "suser").as_deref(), Some("corp\\bob"));
    assert_eq!(text(r, "Rule").as_deref(), Some("Block Malware"));
    assert_eq!(
        text(r, "request").as_deref(),
        Some("https://bad.example/dl?id=1&x=2")
    );
    assert_eq!(
        r.timestamp.unwrap().to_rfc3339(),
        "2024-05-01T10:00:00+00:00"
    );
    assert_eq!(r.record_id, 1);
    assert_eq!(r.event.input(), Some("cef"));
    let r = &recs[1];
    assert_eq!(text(r, "hostname").as_deref(), Some("fw01"));
    assert_eq!(
        text(r, "msg").as_deref(),
        Some("Pipe | and equals = in a value")
    );
    assert_eq!(r.record_id, 2);
    // Read as syslog, the non-CEF line is a raw record instead of an error.
    let (recs, st) = read(
        &fixtures().join("events/firewall.cef"),
        Some(InputFormat::Syslog),
    );
    assert_eq!((recs.len(), st.error_count), (3, 0));
    // Read as LEEF, every CEF line is an error.
    let (recs, st) = read(
        &fixtures().join("events/firewall.cef"),
        Some(InputFormat::Leef),
    );
    assert_eq!((recs.len(), st.error_count), (0, 3));
}

#[test]
fn leef_and_mixed_syslog_files() {
    let (recs, st) = read(&fixtures().join("events/qradar.leef"), None);
    assert_eq!((recs.len(), st.error_count), (2, 0), "{:?}", st.errors);
    assert_eq!(text(&recs[0], "usrName").as_deref(), Some("alice"));
    assert_eq!(text(&recs[0], "cat").as_deref(), Some("logon failure"));
    assert_eq!(
        recs[0].timestamp.unwrap().to_rfc3339(),
        "2024-05-01T10:02:00+00:00"
    );
    assert_eq!(
        text(&recs[1], "DeviceProduct").as_deref(),
        Some("StealthWatch")
    );
    assert_eq!(text(&recs[1], "hostname").as_deref(), Some("qradar-relay"));
    assert_eq!(
        recs[1].timestamp.unwrap().to_rfc3339(),
        "2024-05-01T10:03:00+00:00"
    );

    let (recs, st) = read(&fixtures().join("events/mixed.log"), None);
    assert_eq!((recs.len(), st.error_count), (4, 0));
    let kinds: Vec<_> = recs.iter().map(|r| r.event.input()).collect();
    assert_eq!(
        kinds,
        [Some("syslog"), Some("cef"), Some("leef"), Some("syslog")]
    );
    assert_eq!(text(&recs[0], "app_name").as_deref(), Some("sshd"));
    assert_eq!(text(&recs[1], "suser").as_deref(), Some("corp\\eve"));
    assert_eq!(text(&recs[2], "usrName").as_deref(), Some("eve"));
    assert_eq!(
        text(&recs[3], "message").as_deref(),
        Some("plain text with no header")
    );
}

#[test]
fn cloudtrail_records_plain_and_gzip() {
    let path = fixtures().join("events/cloudtrail.json");
    let (recs, st) = read(&path, None);
    assert_eq!((recs.len(), st.error_count), (3, 0));
    let r = &recs[1];
    assert_eq!(r.event.input(), Some("cloudtrail"));
    assert_eq!(text(r, "userIdentity.type").as_deref(), Some("Root"));
    assert_eq!(
        text(r, "responseElements.ConsoleLogin").as_deref(),
        Some("Success")
    );
    assert_eq!(
        text(r, "additionalEventData.MFAUsed").as_deref(),
        Some("No")
    );
    assert_eq!(
        r.timestamp.unwrap().to_rfc3339(),
        "2024-05-01T10:05:00+00:00"
    );
    assert_eq!(r.record_id, 2);

    // The same file gzip'd, as CloudTrail delivers it to S3.
    let dir = tempfile::tempdir().unwrap();
    let gz = dir
        .path()
        .join("111122223333_CloudTrail_us-east-1_20240501T1000Z_abc.json.gz");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::fast(),
    );
    enc.write_all(&std::fs::read(&path).unwrap()).unwrap();
    enc.finish().unwrap();
    assert_eq!(input::detect_format(&gz).unwrap(), InputFormat::CloudTrail);
    let (recs, _) = read(&gz, None);
    assert_eq!(recs.len(), 3);
    assert_eq!(text(&recs[0], "eventName").as_deref(), Some("StopLogging"));
    let files = input::collect_inputs(&[dir.path().to_path_buf()]).unwrap();
    assert_eq!(files, vec![gz.clone()]);

    // CloudTrail records as NDJSON (e.g. exported from a SIEM) are recognised by shape.
    let nd = dir.path().join("ct.ndjson");
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let lines: String = v["Records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.to_string() + "\n")
        .collect();
    std::fs::write(&nd, lines).unwrap();
    let (recs, _) = read(&nd, None);
    assert!(recs.iter().all(|r| r.event.input() == Some("cloudtrail")));
}

#[test]
fn cef_leef_rules_fire_and_cloudtrail_gets_only_fitting_rules() {
    let (set, errs) = RuleSet::load_dir(fixtures().join("rules-inputs"));
    assert!(errs.is_empty(), "{errs:?}");
    let ev = fixtures().join("events");
    let files: Vec<PathBuf> = [
        "firewall.cef",
        "qradar.leef",
        "mixed.log",
        "cloudtrail.json",
    ]
    .iter()
    .map(|f| ev.join(f))
    .collect();
    let report = hunt(&set, &files, &HuntOptions::default(), &AtomicU64::new(0));
    assert_eq!(
        titles(&report),
        vec![
            ("Firewall Blocked A Threat For A Corp User".to_string(), 1),
            ("Firewall Blocked A Threat For A Corp User".to_string(), 2),
            ("QRadar Exfiltration Category".to_string(), 2),
        ],
        "the linux keyword rule must not run on CloudTrail events"
    );
    // The same CloudTrail record without its shape markers is untyped JSON: every non-Windows rule runs.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("generic.json");
    std::fs::write(&p, r#"{"eventName": "StopLogging"}"#).unwrap();
    let report = hunt(&set, &[p], &HuntOptions::default(), &AtomicU64::new(0));
    assert_eq!(titles(&report).len(), 1);
}

#[test]
fn sigmahq_aws_rules_fire_on_cloudtrail_fixture() {
    let rules = shared().join("sigma/rules/cloud/aws/cloudtrail");
    if !rules.is_dir() {
        eprintln!("SKIPPED: {} not present", rules.display());
        return;
    }
    // The AWS rules together with the Windows ones (dispatch keeps them apart).
    let mut paths = vec![rules.clone()];
    let win = shared().join("sigma/rules/windows/process_creation");
    if win.is_dir() {
        paths.push(win);
    }
    let (set, errs) = RuleSet::load_paths(&paths, &LoadOptions::default());
    assert!(errs.iter().all(|e| !e.path.starts_with(&rules)), "{errs:?}");
    let report = hunt(
        &set,
        &[fixtures().join("events/cloudtrail.json")],
        &HuntOptions::default(),
        &AtomicU64::new(0),
    );
    // Exactly these: StopLogging by an IAM user; a root console login
    // without MFA (two rules); an assumed role's API call (a low-level hunting
    // rule). No Windows rule runs on CloudTrail records.
    assert_eq!(
        titles(&report),
        vec![
            ("AWS CloudTrail Important Change".to_string(), 1),
            ("AWS Root Credentials".to_string(), 2),
            ("AWS STS AssumeRole Misuse".to_string(), 3),
            ("AWS Successful Console Login Without MFA".to_string(), 2),
        ]
    );
    let d = report
        .detections
        .iter()
        .find(|d| d.rule.title == "AWS CloudTrail Important Change")
        .unwrap();
    assert_eq!(
        d.event.as_ref().unwrap()["userIdentity"]["userName"],
        "mallory"
    );
}

#[test]
fn cef_full_key_names_resolve() {
    let (set, errs) = RuleSet::from_sources(
        vec![(
            PathBuf::from("full.yml"),
            "title: full names\nlogsource: {product: firewall}\ndetection: {s: {deviceAction: blocked, sourceUserName|startswith: 'corp\\', sourceAddress|cidr: 10.0.0.0/8, deviceCustomString1: Block Malware}, condition: s}\n".into(),
        )],
        &LoadOptions::default(),
    );
    assert!(errs.is_empty(), "{errs:?}");
    let files = [
        fixtures().join("events/firewall.cef"),
        fixtures().join("events/cloudtrail.json"),
    ];
    let report = hunt(&set, &files, &HuntOptions::default(), &AtomicU64::new(0));
    assert_eq!(titles(&report), vec![("full names".to_string(), 1)]);
}

/// EVTX records whose header time is FILETIME 0 (1601-01-01) take the
/// event's own `TimeCreated` (DeepBlueCLI's rewritten sample files).
#[test]
fn evtx_zero_header_time_falls_back_to_time_created() {
    let path = shared()
        .join("sigma/evtx-samples/DeepBlueCLI/metasploit-psexec-native-target-security.evtx");
    if !path.is_file() {
        eprintln!(
            "SKIPPED evtx_zero_header_time_falls_back_to_time_created: {} is absent",
            path.display()
        );
        return;
    }
    let (records, st) = read(&path, None);
    assert!(st.records > 0);
    for r in &records {
        let ts = r.timestamp.expect("every record has a time");
        assert!(ts.timestamp() > 0, "record {} at {ts}", r.record_id);
    }
    // Record 4's header time is 0; its TimeCreated is in 2016.
    let r = records.iter().find(|r| r.record_id == 4).expect("record 4");
    let created = text(r, "TimeCreated_SystemTime").unwrap();
    assert!(created.starts_with("2016-"), "{created}");
    assert_eq!(r.timestamp, input::event_time(&r.event));
}
