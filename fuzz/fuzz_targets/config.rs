//! The config loader: no panic on any text; a config it accepts is written back as TOML that
//! it accepts again and writes identically, and an engine starts from it.
#![no_main]

use clickchain::{Config, Engine};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let Ok(config) = Config::from_toml_str(text, "fuzz.toml") else { return };
    let written = config.to_toml(None);
    let again = Config::from_toml_str(&written, "written.toml").expect("a written config reads back");
    assert_eq!(again.to_toml(None), written, "the written config changed on reading");
    drop(Engine::new(config));
});
