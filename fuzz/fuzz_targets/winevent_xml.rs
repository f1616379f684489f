//! Rendered Windows event XML (bare, pretty-printed, or after a syslog prefix): no panic.
#![no_main]

use clickchain::adapters::winevent::WinEventReader;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    WinEventReader::xml("fuzz", std::io::Cursor::new(data.to_vec())).for_each(drop);
});
