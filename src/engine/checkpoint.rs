//! An engine's state as a checkpoint, and back (`docs/design.md`, "Checkpoints").
//!
//! Hosts are written whole: process tables with their slots and serials as they are (a slot
//! names the same process after a restore), carried summaries, pending writes, alert dedup keys.
//! Caches (image names, folder flags, destination verdicts) start again empty. Buffered events
//! are written in the native line form with their source, records not yet drained as JSON.

use std::path::Path;

use clickchain_adapters::{native, SourceRef};
use serde::{Deserialize, Serialize};

use super::any::AnyEngine;
use super::sharded::ShardedEngine;
use super::streaming::Engine;
use crate::alert::Record;
use crate::checkpoint::{read_framed, write_framed, CheckpointError};
use crate::config::Config;
use crate::host::Host;
use crate::stats::Stats;

/// What a checkpoint holds: the configuration it was taken with, and an engine's state.
#[derive(Serialize, Deserialize)]
struct Saved {
    config: u32,
    engine: EngineKind,
}

#[derive(Serialize, Deserialize)]
enum EngineKind {
    One(Vec<u8>),
    Sharded(Box<RouterState>),
}

/// A sharded engine's router and its shards' states.
#[derive(Serialize, Deserialize)]
pub(super) struct RouterState {
    pub route: Vec<(String, u32)>,
    pub max_seen: i64,
    pub watermark: i64,
    pub stats: Stats,
    pub first_seen: Vec<u8>,
    pub shards: Vec<Vec<u8>>,
    /// Records collected from the shards and not yet drained.
    pub out: Vec<String>,
}

/// Where an engine's event time stands.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub(super) struct Progress {
    pub seq: u64,
    pub max_seen: i64,
    pub watermark: i64,
    pub bucket: Option<i64>,
    pub last_sweep: i64,
}

/// An event waiting in the reorder buffer.
#[derive(Serialize, Deserialize)]
pub(super) struct Waiting {
    time: i64,
    rank: u8,
    seq: u64,
    source: SourceRef,
    line: String,
}

/// One engine's state, borrowed to be written.
#[derive(Serialize)]
pub(super) struct StateOut<'a> {
    pub hosts: &'a [Host],
    pub dirty: &'a [u32],
    pub reorder: Vec<Waiting>,
    pub progress: Progress,
    pub out: Vec<String>,
    pub stats: &'a Stats,
    /// The newly-observed-domain store in its file form; none for a shard (the router has it).
    pub first_seen: Option<Vec<u8>>,
}

/// One engine's state, read back (the fields of [`StateOut`], in its order).
#[derive(Deserialize)]
pub(super) struct StateIn {
    pub hosts: Vec<Host>,
    pub dirty: Vec<u32>,
    pub reorder: Vec<Waiting>,
    pub progress: Progress,
    pub out: Vec<String>,
    pub stats: Stats,
    pub first_seen: Option<Vec<u8>>,
}

pub(super) fn waiting((time, rank, seq, event): (i64, u8, u64, clickchain_adapters::Event)) -> Waiting {
    Waiting { time, rank, seq, line: native::to_line(&event), source: event.source }
}

impl Waiting {
    pub fn into_event(self) -> Result<(i64, u8, u64, clickchain_adapters::Event), CheckpointError> {
        let event = native::parse_line(self.line.as_bytes(), "", self.source)
            .map_err(|e| CheckpointError::Decode(format!("a buffered event: {e}")))?;
        Ok((self.time, self.rank, self.seq, event))
    }
}

pub(super) fn records_out(records: &[Record]) -> Vec<String> {
    records.iter().map(Record::to_json).collect()
}

pub(super) fn records_in(lines: Vec<String>) -> Result<Vec<Record>, CheckpointError> {
    lines
        .iter()
        .map(|l| Record::from_json(l).map_err(|e| CheckpointError::Decode(format!("a pending record: {e}"))))
        .collect()
}

/// The newly-observed-domain store's file form.
pub(super) fn first_seen_out(store: &crate::domain::FirstSeen) -> Result<Vec<u8>, CheckpointError> {
    let mut bytes = Vec::new();
    store.write_to(&mut bytes)?;
    Ok(bytes)
}

pub(super) fn first_seen_in(store: &mut crate::domain::FirstSeen, bytes: &[u8]) -> Result<(), CheckpointError> {
    store
        .read_history_from(bytes, Path::new("<checkpoint>"), crate::domain::HistoryFrom::Checkpoint)
        .map(drop)
        .map_err(|e| CheckpointError::Decode(format!("the newly-observed-domain store: {e}")))
}

/// Which configuration a checkpoint was taken with: its canonical TOML's checksum.
pub(super) fn fingerprint(config: &Config) -> u32 {
    crc32fast::hash(config.to_toml(None).as_bytes())
}

fn write(w: &mut (impl std::io::Write + ?Sized), config: u32, engine: EngineKind) -> Result<(), CheckpointError> {
    let saved = postcard::to_stdvec(&Saved { config, engine })?;
    write_framed(w, &saved)
}

fn read(config: &Config, r: impl std::io::Read) -> Result<EngineKind, CheckpointError> {
    let saved: Saved = postcard::from_bytes(&read_framed(r)?)?;
    if saved.config != fingerprint(config) {
        return Err(CheckpointError::OtherConfig);
    }
    Ok(saved.engine)
}

fn shards_of(engine: &EngineKind) -> String {
    match engine {
        EngineKind::One(_) => "one engine".into(),
        EngineKind::Sharded(r) => format!("{} shards", r.shards.len()),
    }
}

impl Engine {
    /// Writes the engine's state to `w` (see [`crate::checkpoint`]): it can go on after a
    /// restart with [`Engine::restore`], as if it had not stopped. Records not yet drained are
    /// in it too.
    pub fn checkpoint(&mut self, w: &mut (impl std::io::Write + ?Sized)) -> Result<(), CheckpointError> {
        let state = self.state_bytes(true)?;
        write(w, self.fingerprint(), EngineKind::One(state))
    }

    /// An engine with `config` and the state checkpointed in `r`, which must have been taken
    /// with an equal configuration (else [`CheckpointError::OtherConfig`]: restore with the old
    /// one, then [`Engine::reload`]). The plausibility bound is the wall clock's again.
    pub fn restore(config: Config, r: impl std::io::Read) -> Result<Engine, CheckpointError> {
        let saved = read(&config, r)?;
        let EngineKind::One(state) = saved else {
            return Err(CheckpointError::OtherEngine { found: shards_of(&saved), expected: "one engine".into() });
        };
        let mut engine = Engine::new(config)?;
        engine.apply_state(postcard::from_bytes(&state)?)?;
        Ok(engine)
    }
}

impl ShardedEngine {
    /// As [`Engine::checkpoint`]: the router's state and every shard's (each shard writes its
    /// own after the events routed to it so far).
    pub fn checkpoint(&mut self, w: &mut (impl std::io::Write + ?Sized)) -> Result<(), CheckpointError> {
        let state = self.router_state()?;
        write(w, self.fingerprint(), EngineKind::Sharded(Box::new(state)))
    }

    /// As [`Engine::restore`], with as many shards as the checkpoint's engine had.
    pub fn restore(config: Config, r: impl std::io::Read) -> Result<ShardedEngine, CheckpointError> {
        match read(&config, r)? {
            EngineKind::Sharded(state) => ShardedEngine::from_state(config, *state),
            one => Err(CheckpointError::OtherEngine { found: shards_of(&one), expected: "a sharded engine".into() }),
        }
    }
}

impl AnyEngine {
    /// As [`Engine::checkpoint`].
    pub fn checkpoint(&mut self, w: &mut (impl std::io::Write + ?Sized)) -> Result<(), CheckpointError> {
        match self {
            AnyEngine::One(e) => e.checkpoint(w),
            AnyEngine::Sharded(e) => e.checkpoint(w),
        }
    }

    /// As [`Engine::restore`]: one engine or shards, as the checkpoint's was.
    pub fn restore(config: Config, r: impl std::io::Read) -> Result<AnyEngine, CheckpointError> {
        Ok(match read(&config, r)? {
            EngineKind::One(state) => {
                let mut engine = Engine::new(config)?;
                engine.apply_state(postcard::from_bytes(&state)?)?;
                AnyEngine::One(Box::new(engine))
            }
            EngineKind::Sharded(state) => AnyEngine::Sharded(Box::new(ShardedEngine::from_state(config, *state)?)),
        })
    }
}
