//! Format detection, as `clickchain` runs on an input of unknown format, then the reader it
//! picks: no panic on any bytes.
#![no_main]

use std::io::Cursor;

use clickchain::adapters::auditd::AuditdReader;
use clickchain::adapters::ecs::EcsReader;
use clickchain::adapters::eslogger::EsloggerReader;
use clickchain::adapters::native::NativeReader;
use clickchain::adapters::winevent::WinEventReader;
use clickchain::adapters::zeek::ZeekDnsReader;
use clickchain::input::{detect, InputFormat};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(format) = detect(&mut &data[..], "fuzz") else { return };
    let owned = || Cursor::new(data.to_vec());
    match format {
        InputFormat::Evtx => {
            if let Ok(reader) = WinEventReader::evtx("fuzz", owned()) {
                reader.for_each(drop);
            }
        }
        InputFormat::Xml => WinEventReader::xml("fuzz", owned()).for_each(drop),
        InputFormat::WinJson => WinEventReader::json("fuzz", owned()).for_each(drop),
        InputFormat::Auditd => AuditdReader::new("fuzz", data).for_each(drop),
        InputFormat::ZeekDns => ZeekDnsReader::new("fuzz", data).for_each(drop),
        InputFormat::Eslogger => EsloggerReader::new("fuzz", data).for_each(drop),
        InputFormat::Ecs => EcsReader::new("fuzz", data).for_each(drop),
        _ => NativeReader::new("fuzz", data).for_each(drop),
    }
});
