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
/// to move with the wall clock from the newest event seen, less AllowedLateness
/// (`Engine::advance_to(newest + quiet - lateness)`): pending micro-batches close and quiet
/// hosts are evaluated, and a record that a shipper delivers within AllowedLateness of its time
/// is still on time. A replay of old data at full speed never goes quiet for a whole tick, so
/// it is unaffected. At every tick the engine's plausibility bound is moved to the clock's
/// time (`Engine::set_now`), so weeks of uptime do not make new events look implausible.
pub fn spawn(mut engine: Engine, options: Options) -> LiveEngine {
    let (events, mut incoming) = mpsc::channel::<Event>(options.capacity.max(1));
    let (out, records) = mpsc::channel::<Record>(options.capacity.max(1));
    // Read from now on, not from when the task first runs.
    let clock = Reading::new(options.clock);
    let task = tokio::spawn(async move {
        engine.set_now(clock.now());
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
                    engine.set_now(clock.now());
                    if let Some((t, seen)) = newest {
                        let quiet = seen.elapsed();
                        if quiet >= options.tick {
                            engine.advance_to(quiet_time(t, quiet, engine.allowed_lateness()));
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

    const QUICKSTART: &str = include_str!("../data/samples/quickstart.ndjson");

    /// The quickstart chain, moved so that it starts at `start`.
    fn quickstart_at(start: DateTime<Utc>) -> Vec<Event> {
        let events: Vec<Event> = NativeReader::new("q", QUICKSTART.as_bytes()).map(|e| e.unwrap()).collect();
        let shift = start - events[0].time;
        events.into_iter().map(|e| Event { time: e.time + shift, ..e }).collect()
    }

    async fn next_alert(live: &mut LiveEngine, within: Duration) -> Box<crate::alert::Alert> {
        let first = tokio::time::timeout(within, live.records.next()).await;
        let Ok(Some(Record::Alert(a))) = first else { panic!("expected an alert, got {first:?}") };
        a
    }

    #[tokio::test(start_paused = true)]
    async fn a_quiet_source_still_gets_its_alert() {
        let engine = Engine::new(Config::default()).unwrap();
        let mut live = spawn(engine, Options { capacity: 16, tick: Duration::from_millis(500), ..Options::default() });
        for event in NativeReader::new("q", QUICKSTART.as_bytes()) {
            live.events.send(event.unwrap()).await.unwrap();
        }
        // No more events, and the input stays open: only the ticks can close the batch.
        assert_eq!(next_alert(&mut live, Duration::from_secs(30)).await.analytic, "AN0178");
        drop(live.events);
        assert_eq!(live.task.await.unwrap().alerts, 1);
    }

    #[tokio::test(start_paused = true)]
    async fn after_30_days_of_uptime_new_events_are_not_implausible() {
        let start = Utc::now();
        let engine = Engine::new(Config::default()).unwrap();
        let options = Options { capacity: 16, tick: Duration::from_secs(1), clock: Clock::StartingAt(start) };
        let mut live = spawn(engine, options);
        let month = Duration::from_secs(30 * 86_400);
        tokio::time::sleep(Duration::from_secs(2)).await; // the task is running
        tokio::time::advance(month).await;
        tokio::time::sleep(Duration::from_secs(2)).await;
        for event in quickstart_at(start + month) {
            live.events.send(event).await.unwrap();
        }
        assert_eq!(next_alert(&mut live, Duration::from_secs(60)).await.analytic, "AN0178");
        drop(live.events);
        let stats = live.task.await.unwrap();
        assert_eq!(stats.dropped.implausible_time, 0);
        assert_eq!(stats.alerts, 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_record_delivered_within_allowed_lateness_after_a_pause_is_not_late() {
        let start: DateTime<Utc> = "2024-05-14T09:00:00Z".parse().unwrap();
        let engine = Engine::new(Config::default()).unwrap();
        assert_eq!(engine.allowed_lateness(), Duration::from_secs(5));
        let options = Options { capacity: 16, tick: Duration::from_millis(500), clock: Clock::StartingAt(start) };
        let mut live = spawn(engine, options);
        let mut events = quickstart_at(start);
        let (click_and_egress, writes) = (events.drain(..8).collect::<Vec<_>>(), events);
        for event in click_and_egress {
            live.events.send(event).await.unwrap();
        }
        // The shipper stalls: the writes (09:10:09 and :12) come 4.7 s after the newest event
        // (09:10:08.3), the first of them 4 s behind the wall clock.
        tokio::time::sleep(Duration::from_millis(4_700)).await;
        for event in writes {
            live.events.send(event).await.unwrap();
        }
        assert_eq!(next_alert(&mut live, Duration::from_secs(60)).await.analytic, "AN0178");
        drop(live.events);
        let stats = live.task.await.unwrap();
        assert_eq!(stats.dropped.late, 0);
        assert_eq!(stats.alerts, 1);
    }

    #[test]
    fn quiet_time_keeps_allowed_lateness_behind_the_wall_clock() {
        let newest: DateTime<Utc> = "2024-05-14T09:00:00Z".parse().unwrap();
        let at = |quiet_ms, lateness_ms| {
            quiet_time(newest, Duration::from_millis(quiet_ms), Duration::from_millis(lateness_ms)) - newest
        };
        assert_eq!(at(10_000, 5_000), chrono::Duration::seconds(5));
        assert_eq!(at(1_000, 5_000), chrono::Duration::seconds(-4));
        assert_eq!(at(1_000, 0), chrono::Duration::seconds(1));
    }
}
