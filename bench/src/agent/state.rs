//! Checkpoint size and save/restore time of an engine holding many live processes.

use std::time::Instant;

use clickchain::{checkpoint, Config, Engine};
use clickchain_adapters::Os;
use serde::Serialize;

use crate::mkevent::{start, Maker, T0_MS};

/// A checkpoint's figures.
#[derive(Debug, Clone, Serialize)]
pub struct Checkpoint {
    /// Processes the engine held when it was saved.
    pub processes: usize,
    /// Hosts they ran on.
    pub hosts: u32,
    /// Bytes of the checkpoint.
    pub bytes: usize,
    /// Milliseconds to write it into memory (`Engine::checkpoint`).
    pub save_ms: f64,
    /// Milliseconds to save it to a file (`checkpoint::save_file`: write, sync, rename).
    pub save_file_ms: f64,
    /// Milliseconds to restore it (`Engine::restore`).
    pub restore_ms: f64,
    /// Processes held by the restored engine.
    pub restored_processes: usize,
}

/// Starts `processes` processes that never exit on `hosts` hosts, then checkpoints and
/// restores the engine.
pub fn checkpoint(processes: u32, hosts: u32) -> anyhow::Result<Checkpoint> {
    let hosts = hosts.max(1);
    let mut engine = Engine::new(Config::default())?;
    let mut m = Maker::new("checkpoint");
    for i in 0..processes {
        let (h, k) = (i % hosts, i / hosts);
        let parent = (k > 0).then_some(1_000);
        let command_line = Some(format!("/usr/bin/sleep {i}"));
        engine.push(m.at(
            T0_MS + i64::from(i),
            &format!("host-{h}"),
            Os::Linux,
            start(1_000 + k, parent, "/usr/bin/sleep", command_line),
        ));
    }
    engine.advance_to(crate::mkevent::time(T0_MS + i64::from(processes) + 10_000));
    let held = engine.live_processes();
    let t = Instant::now();
    let mut bytes = Vec::new();
    engine.checkpoint(&mut bytes)?;
    let save_ms = t.elapsed().as_secs_f64() * 1e3;
    let path = std::env::temp_dir().join(format!("clickchain-bench-{}.ckpt", std::process::id()));
    let t = Instant::now();
    checkpoint::save_file(&path, |w| engine.checkpoint(w))?;
    let save_file_ms = t.elapsed().as_secs_f64() * 1e3;
    let _ = std::fs::remove_file(&path);
    let t = Instant::now();
    let restored = Engine::restore(Config::default(), &bytes[..])?;
    let restore_ms = t.elapsed().as_secs_f64() * 1e3;
    Ok(Checkpoint {
        processes: held,
        hosts,
        bytes: bytes.len(),
        save_ms,
        save_file_ms,
        restore_ms,
        restored_processes: restored.live_processes(),
    })
}
