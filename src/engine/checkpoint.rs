//! An engine's state as a checkpoint, and back (`docs/design.md`, "Checkpoints").
//!
//! Hosts are written whole: process tables with their slots and serials as they are (a slot
//! names the same process after a restore), carried summaries, pending writes, alert dedup keys.
//! Caches (image names, folder flags, destination verdicts) start again empty. Buffered events
//! are written in the native line form with their source, records not yet drained as JSON.

use std::path::Path;
use std::sync::Arc;

use clickchain_adapters::{native, SourceRef};
use serde::{Deserialize, Serialize};

use super::any::AnyEngine;
use super::sharded::ShardedEngine;
use super::streaming::{Engine, PslHandle};
use crate::alert::Record;
use crate::checkpoint::{read_framed, write_framed, CheckpointError};
use crate::config::Config;
use crate::domain::Psl;
use crate::host::Host;
use crate::stats::Stats;

/// What a checkpoint holds: the configuration it was taken with (its canonical TOML), and an
/// engine's state.
#[derive(Serialize, Deserialize)]
struct Saved {
    config: String,
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

/// Which configuration a checkpoint is taken with: its canonical TOML.
pub(super) fn canonical(config: &Config) -> Arc<str> {
    config.to_toml(None).into()
}

fn write(w: &mut (impl std::io::Write + ?Sized), config: &str, engine: EngineKind) -> Result<(), CheckpointError> {
    let saved = postcard::to_stdvec(&Saved { config: config.to_owned(), engine })?;
    write_framed(w, &saved)
}

/// A checkpoint's state, and the configuration it was taken with when that differs from
/// `config` (the state is then restored under its own configuration and `config` swapped in
/// as a reload, so that a restart with an edited config behaves as a hot reload would).
fn read(config: &Config, r: impl std::io::Read) -> Result<(EngineKind, Option<Config>), CheckpointError> {
    let saved: Saved = postcard::from_bytes(&read_framed(r)?)?;
    if *saved.config == *canonical(config) {
        return Ok((saved.engine, None));
    }
    let taken_with = Config::from_toml_str(&saved.config, "<checkpoint>")
        .map_err(|e| CheckpointError::OtherConfig(e.to_string()))?;
    Ok((saved.engine, Some(taken_with)))
}

/// Restores one engine's `state` under the configuration it was taken with, then swaps in
/// `config` when that differs.
fn one_engine(
    config: Config,
    taken_with: Option<Config>,
    psl: PslHandle,
    state: &[u8],
) -> Result<Engine, CheckpointError> {
    let reload = taken_with.is_some();
    let mut engine = Engine::build(taken_with.unwrap_or_else(|| config.clone()), psl, None)?;
    engine.apply_state(postcard::from_bytes(state)?)?;
    if reload {
        engine.reload(config)?;
    }
    Ok(engine)
}

fn sharded_engine(
    config: Config,
    taken_with: Option<Config>,
    psl: PslHandle,
    state: RouterState,
) -> Result<ShardedEngine, CheckpointError> {
    let reload = taken_with.is_some();
    let mut engine = ShardedEngine::from_state(taken_with.unwrap_or_else(|| config.clone()), psl, state)?;
    if reload {
        engine.reload(config)?;
    }
    Ok(engine)
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
        write(w, self.config_text(), EngineKind::One(state))
    }

    /// An engine with `config` and the state checkpointed in `r`. A checkpoint taken with
    /// another configuration is restored under that one, then `config` is swapped in as by
    /// [`Engine::reload`] (`docs/config.md`, "Reloading"); one whose configuration this build
    /// cannot read is refused ([`CheckpointError::OtherConfig`]). The plausibility bound is the
    /// wall clock's again.
    pub fn restore(config: Config, r: impl std::io::Read) -> Result<Engine, CheckpointError> {
        Engine::restore_psl(config, PslHandle::Vendored(Psl::vendored()), r)
    }

    /// As [`Engine::restore`], with the given Public Suffix List (as [`Engine::with_psl`]).
    pub fn restore_with_psl(config: Config, psl: Arc<Psl>, r: impl std::io::Read) -> Result<Engine, CheckpointError> {
        Engine::restore_psl(config, PslHandle::Shared(psl), r)
    }

    fn restore_psl(config: Config, psl: PslHandle, r: impl std::io::Read) -> Result<Engine, CheckpointError> {
        let (saved, taken_with) = read(&config, r)?;
        let EngineKind::One(state) = saved else {
            return Err(CheckpointError::OtherEngine { found: shards_of(&saved), expected: "one engine".into() });
        };
        one_engine(config, taken_with, psl, &state)
    }
}

impl ShardedEngine {
    /// As [`Engine::checkpoint`]: the router's state and every shard's (each shard writes its
    /// own after the events routed to it so far).
    pub fn checkpoint(&mut self, w: &mut (impl std::io::Write + ?Sized)) -> Result<(), CheckpointError> {
        let state = self.router_state()?;
        write(w, self.config_text(), EngineKind::Sharded(Box::new(state)))
    }

    /// As [`Engine::restore`], with as many shards as the checkpoint's engine had.
    pub fn restore(config: Config, r: impl std::io::Read) -> Result<ShardedEngine, CheckpointError> {
        ShardedEngine::restore_psl(config, PslHandle::Vendored(Psl::vendored()), r)
    }

    /// As [`ShardedEngine::restore`], with the given Public Suffix List.
    pub fn restore_with_psl(
        config: Config,
        psl: Arc<Psl>,
        r: impl std::io::Read,
    ) -> Result<ShardedEngine, CheckpointError> {
        ShardedEngine::restore_psl(config, PslHandle::Shared(psl), r)
    }

    fn restore_psl(config: Config, psl: PslHandle, r: impl std::io::Read) -> Result<ShardedEngine, CheckpointError> {
        match read(&config, r)? {
            (EngineKind::Sharded(state), taken_with) => sharded_engine(config, taken_with, psl, *state),
            (one, _) => {
                Err(CheckpointError::OtherEngine { found: shards_of(&one), expected: "a sharded engine".into() })
            }
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
        AnyEngine::restore_with_psl(config, None, r)
    }

    /// As [`AnyEngine::restore`], with the given Public Suffix List (none: the vendored one).
    pub fn restore_with_psl(
        config: Config,
        psl: Option<Arc<Psl>>,
        r: impl std::io::Read,
    ) -> Result<AnyEngine, CheckpointError> {
        let psl = psl.map_or(PslHandle::Vendored(Psl::vendored()), PslHandle::Shared);
        Ok(match read(&config, r)? {
            (EngineKind::One(state), taken_with) => {
                AnyEngine::One(Box::new(one_engine(config, taken_with, psl, &state)?))
            }
            (EngineKind::Sharded(state), taken_with) => {
                AnyEngine::Sharded(Box::new(sharded_engine(config, taken_with, psl, *state)?))
            }
        })
    }
}
