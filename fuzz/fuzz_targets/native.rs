//! The native NDJSON reader: no panic on any bytes, at most one record per line, and every
//! event it yields reads back unchanged from its own native line.
#![no_main]

use std::sync::Arc;

use clickchain::adapters::native::{parse_line, to_line, NativeReader};
use clickchain::adapters::{Position, SourceRef};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let lines = data.iter().filter(|&&b| b == b'\n').count() + 1;
    let mut records = 0;
    for record in NativeReader::new("fuzz", data).default_host("h") {
        records += 1;
        let Ok(event) = record else { continue };
        let at = SourceRef { input: Arc::clone(&event.source.input), pos: Position::Line(0) };
        let line = to_line(&event);
        let again = parse_line(line.as_bytes(), "h", at.clone()).expect("a written native line reads back");
        assert_eq!(again, clickchain::Event { source: at, ..event }, "round trip through {line}");
    }
    assert!(records <= lines, "{records} records from {lines} lines");
});
