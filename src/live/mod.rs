//! Running an engine live, for an agent: events go in through a channel, records come out
//! through another, event time keeps moving while the sources are quiet (so a quiet host is
//! still evaluated), and a [`LiveHandle`] asks the running engine for its counters, a
//! checkpoint, a configuration reload, a save of its newly-observed-domain store, or a clean
//! shutdown. [`spawn`] runs it on a tokio task; [`spawn_thread`] on a thread of its own, for a
//! program without an async runtime. Either runs an [`Engine`](crate::Engine) or a
//! [`ShardedEngine`](crate::ShardedEngine).
//!
//! Back-pressure, never drops: the event, record and command channels are bounded
//! ([`Options::capacity`], and [`COMMANDS`]). When the event channel is full, sending waits
//! until the engine takes an event; when the record channel is full, the engine waits until
//! the caller takes a record, and meanwhile takes no events and answers no commands. So keep
//! reading records (or drop the record receiver: records are then discarded, and counted as
//! emitted) while awaiting an answer.
//!
//! ```
//! use clickchain::{live, Config, Engine, Record};
//! use clickchain_adapters::native::NativeReader;
//! use tokio_stream::StreamExt;
//!
//! # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
//! let engine = Engine::new(Config::default()).unwrap();
//! let mut live = live::spawn(engine, live::Options::default());
//! let sample = include_str!("../../data/samples/quickstart.ndjson");
//! for event in NativeReader::new("quickstart.ndjson", sample.as_bytes()) {
//!     live.events.send(event.unwrap()).await.unwrap();
//! }
//! assert_eq!(live.handle.stats().await.unwrap().events_in, 10);
//! drop(live.events); // end of input: the task finishes the engine
//! let records: Vec<Record> = live.records.collect().await;
//! assert_eq!(records.len(), 1);
//! assert_eq!(live.task.await.unwrap().alerts, 1);
//! # });
//! ```

use std::time::Duration;

use chrono::{DateTime, Utc};
use clickchain_adapters::Event;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::{self, Instant, MissedTickBehavior};
use tokio_stream::wrappers::ReceiverStream;

use crate::{AnyEngine, Record, Stats};

mod handle;
#[cfg(test)]
mod tests;
mod thread;

use handle::{serve, Command};
pub use handle::{LiveError, LiveHandle, Shutdown};
pub use thread::{spawn_thread, LiveThread};

/// Commands queued for a running engine before a caller waits.
pub const COMMANDS: usize = 16;

/// How the task runs.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Capacity of the event and record channels (back-pressure beyond it).
    pub capacity: usize,
    /// How often a quiet engine's event time is moved on, and the wall clock read again.
    pub tick: Duration,
    /// The wall clock the plausibility bound follows.
    pub clock: Clock,
}

impl Default for Options {
    fn default() -> Self {
        Options { capacity: 1024, tick: Duration::from_secs(1), clock: Clock::System }
    }
}

/// The wall clock of a live engine: events later than its time plus `max_future_skew` are
/// implausible.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Clock {
    /// The system's clock (it keeps counting while the machine sleeps).
    #[default]
    System,
    /// Starts at the given time and moves with tokio's clock, which a test can pause and
    /// advance (`tokio::time::pause`), or a replay at live pace can start in the past.
    StartingAt(DateTime<Utc>),
}

/// A [`Clock`] being read by the live loop.
struct Reading {
    clock: Clock,
    started: Instant,
}

impl Reading {
    fn new(clock: Clock) -> Reading {
        Reading { clock, started: Instant::now() }
    }

    fn now(&self) -> DateTime<Utc> {
        match self.clock {
            Clock::System => Utc::now(),
            Clock::StartingAt(t) => {
                let elapsed = chrono::Duration::from_std(self.started.elapsed()).unwrap_or(chrono::Duration::MAX);
                t.checked_add_signed(elapsed).unwrap_or(DateTime::<Utc>::MAX_UTC)
            }
        }
    }
}

/// A running engine: send events, read records, command it through its handle, await the
/// task for the final counters.
pub struct LiveEngine {
    /// Where events go; dropping it (and its clones) ends the input: the engine is finished
    /// and the task ends.
    pub events: mpsc::Sender<Event>,
    /// Alerts and follow-on records, in order.
    pub records: ReceiverStream<Record>,
    /// Asks the running engine for counters, checkpoints, reloads, or a shutdown.
    pub handle: LiveHandle,
    /// The task; it returns the engine's counters.
    pub task: JoinHandle<Stats>,
}

/// Spawns `engine` (an [`Engine`](crate::Engine), a [`ShardedEngine`](crate::ShardedEngine)
/// or an [`AnyEngine`]) on the current tokio runtime.
///
/// While events arrive, event time is theirs. When none arrived for a tick, event time is taken
/// to move with the wall clock from the newest event seen, less AllowedLateness
/// (`Engine::advance_to(newest + quiet - lateness)`): pending micro-batches close and quiet
/// hosts are evaluated, and a record that a shipper delivers within AllowedLateness of its time
/// is still on time. A replay of old data at full speed never goes quiet for a whole tick, so
/// it is unaffected. At every tick the engine's plausibility bound is moved to the clock's
/// time (`Engine::set_now`), so weeks of uptime do not make new events look implausible.
pub fn spawn(engine: impl Into<AnyEngine>, options: Options) -> LiveEngine {
    let (parts, run) = prepare(engine.into(), options);
    let task = tokio::spawn(run.run());
    LiveEngine { events: parts.events, records: ReceiverStream::new(parts.records), handle: parts.handle, task }
}

/// The caller's ends of a live engine's channels.
struct Ends {
    events: mpsc::Sender<Event>,
    records: mpsc::Receiver<Record>,
    handle: LiveHandle,
}

/// The engine's ends, and what its loop needs.
struct Run {
    engine: AnyEngine,
    options: Options,
    clock: Reading,
    incoming: mpsc::Receiver<Event>,
    commands: mpsc::Receiver<Command>,
    out: mpsc::Sender<Record>,
}

fn prepare(engine: AnyEngine, options: Options) -> (Ends, Run) {
    let (events, incoming) = mpsc::channel::<Event>(options.capacity.max(1));
    let (out, records) = mpsc::channel::<Record>(options.capacity.max(1));
    let (commands, command_rx) = mpsc::channel::<Command>(COMMANDS);
    // Read from now on, not from when the loop first runs.
    let clock = Reading::new(options.clock);
    let ends = Ends { events, records, handle: LiveHandle { commands } };
    (ends, Run { engine, options, clock, incoming, commands: command_rx, out })
}

impl Run {
    async fn run(mut self) -> Stats {
        let engine = &mut self.engine;
        engine.set_now(self.clock.now());
        let mut ticker = time::interval(self.options.tick);
        ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut newest: Option<(DateTime<Utc>, Instant)> = None;
        let mut receiver_gone = false;
        loop {
            tokio::select! {
                event = self.incoming.recv() => match event {
                    Some(e) => take(engine, &mut newest, e),
                    None => break,
                },
                Some(command) = self.commands.recv() => match command {
                    Command::Shutdown(reply) => {
                        // The events already queued are taken, then no more.
                        self.incoming.close();
                        while let Some(e) = self.incoming.recv().await {
                            take(engine, &mut newest, e);
                        }
                        engine.finish();
                        let stats = engine.stats().clone();
                        let _ = reply.send(Shutdown { stats: stats.clone(), records: engine.drain() });
                        return stats;
                    }
                    Command::Ask(request) => {
                        // A command is answered after the events queued before it, and after
                        // their records were sent (so a checkpoint holds none of them).
                        while let Ok(e) = self.incoming.try_recv() {
                            take(engine, &mut newest, e);
                        }
                        if !receiver_gone {
                            receiver_gone = forward(engine, &self.out).await;
                        }
                        serve(engine, request)
                    }
                },
                _ = ticker.tick() => {
                    engine.set_now(self.clock.now());
                    if let Some((t, seen)) = newest {
                        let quiet = seen.elapsed();
                        if quiet >= self.options.tick {
                            engine.advance_to(quiet_time(t, quiet, engine.allowed_lateness()));
                        }
                    }
                }
            }
            if !receiver_gone {
                receiver_gone = forward(engine, &self.out).await;
            }
        }
        engine.finish();
        if !receiver_gone {
            forward(engine, &self.out).await;
        }
        engine.stats().clone()
    }
}

/// Pushes `e`, noting when the newest event time was first seen.
fn take(engine: &mut AnyEngine, newest: &mut Option<(DateTime<Utc>, Instant)>, e: Event) {
    if !matches!(newest, Some((t, _)) if e.time <= *t) {
        *newest = Some((e.time, Instant::now()));
    }
    engine.push(e);
}

/// Event time after `quiet` without events since the newest one, `newest`: it moved with the
/// wall clock, but a record may still come up to `lateness` behind it.
fn quiet_time(newest: DateTime<Utc>, quiet: Duration, lateness: Duration) -> DateTime<Utc> {
    let signed = |d: Duration| chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX);
    // Never past `newest - lateness + quiet`: an earlier time only releases less (advance_to
    // never moves back).
    newest.checked_add_signed(signed(quiet) - signed(lateness)).unwrap_or(newest)
}

/// Sends the engine's new records; `true` when nobody listens any more (records are then
/// dropped, and counted by the engine as emitted).
async fn forward(engine: &mut AnyEngine, out: &mpsc::Sender<Record>) -> bool {
    for r in engine.drain() {
        if out.send(r).await.is_err() {
            return true;
        }
    }
    false
}
