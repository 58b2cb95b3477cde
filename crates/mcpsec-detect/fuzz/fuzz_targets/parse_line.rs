//! CEF, LEEF and syslog line parsers on arbitrary input: must never panic,
//! and every parsed record must be usable as an event.
//! Run: `cd crates/mcpsec-detect/fuzz && cargo +nightly fuzz run parse_line`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mcpsec_detect::input::{InputFormat, read_lines_from};

fuzz_target!(|data: &[u8]| {
    let now = chrono::DateTime::from_timestamp(1_714_557_600, 0).unwrap_or_default();
    for format in [InputFormat::Syslog, InputFormat::Cef, InputFormat::Leef] {
        let _ = read_lines_from(data, format, now, &mut |r| {
            let _ = r.event.get("src");
            let _ = r.event.to_json();
        });
    }
});
