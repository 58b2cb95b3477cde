//! JSON / CloudTrail reader on arbitrary input: must never panic.
//! Run: `cd crates/mcpsec-detect/fuzz && cargo +nightly fuzz run read_json`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = mcpsec_detect::input::read_json_bytes(data, false, &mut |r| {
        let _ = r.event.get("userIdentity.type");
    });
});
