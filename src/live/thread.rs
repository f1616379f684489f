//! A live engine on a thread of its own, for a program without an async runtime: the same
//! loop as [`super::spawn`], on a single-threaded tokio runtime the thread owns.

use std::thread::JoinHandle;

use clickchain_adapters::Event;
use tokio::sync::mpsc;

use super::{prepare, LiveHandle, Options};
use crate::{AnyEngine, Record, Stats};

/// A live engine on its thread. Send with `events.blocking_send(event)`, read with
/// `records.blocking_recv()`, command it with the handle's `blocking_` methods.
pub struct LiveThread {
    /// Where events go; dropping it ends the input (the engine is finished, the thread ends).
    pub events: mpsc::Sender<Event>,
    /// Alerts and follow-on records, in order.
    pub records: mpsc::Receiver<Record>,
    /// Asks the running engine for counters, checkpoints, reloads, or a shutdown.
    pub handle: LiveHandle,
    /// The thread; it returns the engine's counters.
    pub thread: JoinHandle<Stats>,
}

/// Runs `engine` live on a new thread (see [`super::spawn`] for how time moves).
///
/// ```
/// use clickchain::{live, Config, Engine, Record};
/// use clickchain::adapters::native::NativeReader;
///
/// let live = live::spawn_thread(Engine::new(Config::default()).unwrap(), live::Options::default()).unwrap();
/// let sample = include_str!("../../data/samples/quickstart.ndjson");
/// for event in NativeReader::new("quickstart.ndjson", sample.as_bytes()) {
///     live.events.blocking_send(event.unwrap()).unwrap();
/// }
/// let mut records = live.records;
/// let end = live.handle.blocking_shutdown().unwrap();
/// assert_eq!(end.stats.alerts, 1);
/// let sent = std::iter::from_fn(|| records.blocking_recv()).count();
/// assert_eq!(sent + end.records.len(), 1);
/// ```
pub fn spawn_thread(engine: impl Into<AnyEngine>, options: Options) -> std::io::Result<LiveThread> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build()?;
    let (ends, run) = prepare(engine.into(), options);
    let thread =
        std::thread::Builder::new().name("clickchain-live".into()).spawn(move || runtime.block_on(run.run()))?;
    Ok(LiveThread { events: ends.events, records: ends.records, handle: ends.handle, thread })
}
