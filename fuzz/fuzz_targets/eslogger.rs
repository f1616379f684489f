//! macOS Endpoint Security JSON lines: no panic, and at most three results a line (a gap, a
//! write and an executable flag).
#![no_main]

use clickchain::adapters::eslogger::EsloggerReader;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let lines = data.iter().filter(|&&b| b == b'\n').count() + 1;
    let records = EsloggerReader::new("fuzz", data).default_host("h").count();
    assert!(records <= 3 * lines, "{records} results from {lines} lines");
});
