//! Windows binary event logs: no panic, whether the header, a chunk or a record is damaged.
#![no_main]

use clickchain::adapters::winevent::WinEventReader;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(reader) = WinEventReader::evtx("fuzz", std::io::Cursor::new(data.to_vec())) {
        reader.for_each(drop);
    }
});
