//! Running an engine on a tokio task, for an async agent: events go in through a channel,
//! records come out as a `Stream`, and event time keeps moving while the sources are quiet, so
//! a quiet host is still evaluated.
//!
//! ```
//! use clickchain::{live, Config, Engine, Record};
//! use clickchain_adapters::native::NativeReader;
//! use tokio_stream::StreamExt;
//!
//! # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
//! let engine = Engine::new(Config::default()).unwrap();
//! let mut live = live::spawn(engine, live::Options::default());
//! let sample = include_str!("../data/samples/quickstart.ndjson");
//! for event in NativeReader::new("quickstart.ndjson", sample.as_bytes()) {
//!     live.events.send(event.unwrap()).await.unwrap();
//! }
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

use crate::{Engine, Record, Stats};

/// How the task runs.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Capacity of the event and record channels (back-pressure beyond it).
    pub capacity: usize,
    /// How often a quiet engine's event time is moved on.
    pub tick: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options { capacity: 1024, tick: Duration::from_secs(1) }
    }
}

/// A running engine: send events, read records, await the task for the final counters.
pub struct LiveEngine {
    /// Where events go; dropping it ends the input (the engine is finished and the task ends).
    pub events: mpsc::Sender<Event>,
    /// Alerts and follow-on records, in order.
    pub records: ReceiverStream<Record>,
    /// The task; it returns the engine's counters.
    pub task: JoinHandle<Stats>,
}

/// Spawns `engine` on the current tokio runtime.
///
/// While events arrive, event time is theirs. When none arrived for a tick, event time is taken
/// to move with the wall clock from the newest event seen (`Engine::advance_to`), so pending
/// micro-batches close and quiet hosts are evaluated. A replay of old data at full speed never
/// goes quiet for a whole tick, so it is unaffected.
pub fn spawn(mut engine: Engine, options: Options) -> LiveEngine {
    let (events, mut incoming) = mpsc::channel::<Event>(options.capacity.max(1));
    let (out, records) = mpsc::channel::<Record>(options.capacity.max(1));
    let task = tokio::spawn(async move {
        let mut ticker = time::interval(options.tick);
        ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut newest: Option<(DateTime<Utc>, Instant)> = None;
        let mut receiver_gone = false;
        loop {
            tokio::select! {
                event = incoming.recv() => match event {
                    Some(e) => {
                        if !matches!(newest, Some((t, _)) if e.time <= t) {
                            newest = Some((e.time, Instant::now()));
                        }
                        engine.push(e);
                    }
                    None => break,
                },
                _ = ticker.tick() => {
                    if let Some((t, seen)) = newest {
                        let quiet = seen.elapsed();
                        if quiet >= options.tick {
                            let moved = chrono::Duration::from_std(quiet).unwrap_or_default();
                            engine.advance_to(t + moved);
                        }
                    }
                }
            }
            if !receiver_gone {
                receiver_gone = forward(&mut engine, &out).await;
            }
        }
        engine.finish();
        if !receiver_gone {
            forward(&mut engine, &out).await;
        }
        engine.stats().clone()
    });
    LiveEngine { events, records: ReceiverStream::new(records), task }
}

/// Sends the engine's new records; `true` when nobody listens any more (records are then
/// dropped, and counted by the engine as emitted).
async fn forward(engine: &mut Engine, out: &mpsc::Sender<Record>) -> bool {
    for r in engine.drain() {
        if out.send(r).await.is_err() {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Config;
    use clickchain_adapters::native::NativeReader;
    use tokio_stream::StreamExt;

    #[tokio::test(start_paused = true)]
    async fn a_quiet_source_still_gets_its_alert() {
        let engine = Engine::new(Config::default()).unwrap();
        let mut live = spawn(engine, Options { capacity: 16, tick: Duration::from_millis(500) });
        let sample = include_str!("../data/samples/quickstart.ndjson");
        for event in NativeReader::new("q", sample.as_bytes()) {
            live.events.send(event.unwrap()).await.unwrap();
        }
        // No more events, and the input stays open: only the ticks can close the batch.
        let first = tokio::time::timeout(Duration::from_secs(30), live.records.next()).await;
        let Ok(Some(Record::Alert(a))) = first else { panic!("expected an alert, got {first:?}") };
        assert_eq!(a.analytic, "AN0178");
        drop(live.events);
        assert_eq!(live.task.await.unwrap().alerts, 1);
    }
}
