//! Elastic Common Schema documents (NDJSON, pretty-printed, or search hits): no panic.
#![no_main]

use clickchain::adapters::ecs::EcsReader;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    EcsReader::new("fuzz", data).default_host("h").for_each(drop);
});
