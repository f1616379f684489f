//! Live mode: time, the handle, the thread.

use super::*;
use crate::Config;
use crate::Engine;
use clickchain_adapters::native::NativeReader;
use tokio_stream::StreamExt;

const QUICKSTART: &str = include_str!("../../data/samples/quickstart.ndjson");

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

/// Sends the quickstart chain's click and egress, then checks every command, then the writes:
/// the chain alerts once, across a reload.
async fn commands_while_running(live: LiveEngine) {
    let start: DateTime<Utc> = "2024-05-14T09:00:00Z".parse().unwrap();
    let mut events = quickstart_at(start);
    let writes = events.split_off(8);
    for event in events {
        live.events.send(event).await.unwrap();
    }
    assert_eq!(live.handle.stats().await.unwrap().events_in, 8);

    let mut bad = Config::default();
    bad.windows.allowed_cidrs.push("not a cidr".into());
    let refused = live.handle.reload(bad).await;
    assert!(matches!(refused, Err(LiveError::Reload(_))), "{refused:?}");
    live.handle.reload(Config::default()).await.unwrap();

    let dir = tempfile::tempdir().unwrap();
    live.handle.save_first_seen(dir.path().join("nod")).await.unwrap();
    let saved = std::fs::read_to_string(dir.path().join("nod")).unwrap();
    assert!(saved.contains("invoice-portal.top"), "{saved}");

    for event in writes {
        live.events.send(event).await.unwrap();
    }
    let end = live.handle.shutdown().await.unwrap();
    assert_eq!(end.stats.events_in, 10);
    assert_eq!(end.stats.alerts, 1);
    let sent: Vec<Record> = live.records.collect().await;
    let alerts = sent.iter().chain(&end.records).filter(|r| matches!(r, Record::Alert(_))).count();
    assert_eq!(alerts, 1);
    assert_eq!(live.task.await.unwrap(), end.stats);
    assert!(matches!(live.handle.stats().await, Err(LiveError::Stopped)));
}

#[tokio::test]
async fn the_handle_answers_while_the_engine_runs() {
    let options = Options { capacity: 4, ..Options::default() };
    commands_while_running(spawn(Engine::new(Config::default()).unwrap(), options)).await;
}

#[tokio::test]
async fn the_handle_answers_for_a_sharded_engine() {
    let engine = crate::ShardedEngine::new(Config::default(), 2).unwrap();
    commands_while_running(spawn(engine, Options::default())).await;
}

#[test]
fn a_live_thread_answers_blocking_commands() {
    let live = spawn_thread(Engine::new(Config::default()).unwrap(), Options::default()).unwrap();
    for event in NativeReader::new("q", QUICKSTART.as_bytes()) {
        live.events.blocking_send(event.unwrap()).unwrap();
    }
    assert_eq!(live.handle.blocking_stats().unwrap().events_in, 10);
    live.handle.blocking_reload(Config::default()).unwrap();
    let mut records = live.records;
    let end = live.handle.blocking_shutdown().unwrap();
    let sent = std::iter::from_fn(|| records.blocking_recv()).count();
    assert_eq!(sent + end.records.len(), 1);
    assert_eq!(live.thread.join().unwrap().alerts, 1);
}

#[tokio::test]
async fn a_live_engine_restarted_from_its_checkpoint_mid_chain_alerts_once() {
    let start: DateTime<Utc> = "2024-05-14T09:00:00Z".parse().unwrap();
    let mut events = quickstart_at(start);
    let writes = events.split_off(8);
    let first = spawn(Engine::new(Config::default()).unwrap(), Options::default());
    for event in events {
        first.events.send(event).await.unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("engine.ckpt");
    first.handle.save_checkpoint(&path).await.unwrap();
    let end = first.handle.shutdown().await.unwrap();
    let before: Vec<Record> = first.records.collect().await;
    assert_eq!(before.len() + end.records.len(), 0, "no alert before the writes");

    let restored = crate::checkpoint::load_file(&path, |r| AnyEngine::restore(Config::default(), r)).unwrap();
    let second = spawn(restored, Options::default());
    for event in writes {
        second.events.send(event).await.unwrap();
    }
    drop(second.events);
    let after: Vec<Record> = second.records.collect().await;
    assert_eq!(after.iter().filter(|r| matches!(r, Record::Alert(_))).count(), 1);
    assert_eq!(second.task.await.unwrap().events_in, 10);
}
