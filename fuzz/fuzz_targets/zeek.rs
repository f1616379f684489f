//! Zeek `dns.log`, JSON or tab-separated: no panic, and no more records than lines.
#![no_main]

use clickchain::adapters::zeek::ZeekDnsReader;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let lines = data.iter().filter(|&&b| b == b'\n').count() + 1;
    let records = ZeekDnsReader::new("fuzz", data).default_host("h").count();
    assert!(records <= lines, "{records} records from {lines} lines");
});
