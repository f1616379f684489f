//! Raw auditd text: no panic, and no more records than lines.
#![no_main]

use clickchain::adapters::auditd::AuditdReader;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let lines = data.iter().filter(|&&b| b == b'\n').count() + 1;
    let records = AuditdReader::new("fuzz", data).default_host("h").count();
    assert!(records <= lines, "{records} records from {lines} lines");
});
