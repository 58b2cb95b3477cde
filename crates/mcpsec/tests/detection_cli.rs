//! `mcpsec hunt` on the new inputs: CEF/LEEF/syslog lines and CloudTrail,
//! detected by content or forced with `--input-format`.

use std::path::PathBuf;
use std::process::Command;

fn fixtures() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../mcpsec-detect/tests/fixtures"
    ))
}

fn hunt(args: &[&str]) -> (bool, serde_json::Value, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_mcpsec"))
        .arg("hunt")
        .args(args)
        .output()
        .expect("run mcpsec");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let json = serde_json::from_str(&stdout).unwrap_or(serde_json::Value::Null);
    (
        out.status.success(),
        json,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn hunt_reads_cef_leef_and_cloudtrail() {
    let f = fixtures();
    let rules = f.join("rules-inputs");
    let events = f.join("events");
    let (ok, json, stderr) = hunt(&[
        events.join("firewall.cef").to_str().unwrap(),
        events.join("qradar.leef").to_str().unwrap(),
        events.join("cloudtrail.json").to_str().unwrap(),
        "-r",
        rules.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert!(ok, "{stderr}");
    let titles: Vec<&str> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["rule"]["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        [
            "Firewall Blocked A Threat For A Corp User",
            "QRadar Exfiltration Category"
        ],
        "{stderr}"
    );
    assert_eq!(json[0]["event"]["Rule"], "Block Malware");
    assert!(
        stderr.contains("firewall.cef: 1 unreadable records"),
        "{stderr}"
    );

    // Forced: every file read as LEEF; the CEF lines are reported, LEEF still matches.
    let (ok, json, stderr) = hunt(&[
        events.join("firewall.cef").to_str().unwrap(),
        events.join("qradar.leef").to_str().unwrap(),
        "-r",
        rules.to_str().unwrap(),
        "--format",
        "json",
        "--input-format",
        "leef",
    ]);
    assert!(ok, "{stderr}");
    assert_eq!(json.as_array().unwrap().len(), 1, "{json}");
    assert!(
        stderr.contains("CEF message where LEEF was expected"),
        "{stderr}"
    );

    // An unknown format is a usage error.
    let (ok, _, stderr) = hunt(&[
        events.join("firewall.cef").to_str().unwrap(),
        "-r",
        rules.to_str().unwrap(),
        "--input-format",
        "xml",
    ]);
    assert!(!ok);
    assert!(stderr.contains("unknown input format"), "{stderr}");
}
