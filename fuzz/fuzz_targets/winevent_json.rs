//! Windows events as JSON (every shape the reader knows, detected per record): no panic.
#![no_main]

use clickchain::adapters::winevent::WinEventReader;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    WinEventReader::json("fuzz", std::io::Cursor::new(data.to_vec())).for_each(drop);
});
