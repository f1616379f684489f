//! Checkpoints: a chain across a restart, no alert twice, and what is not a good checkpoint.

use chrono::{DateTime, Utc};
use clickchain::adapters::native::NativeReader;
use clickchain::checkpoint::CheckpointError;
use clickchain::{AnyEngine, Config, Engine, Event, Record, ShardedEngine};

const QUICKSTART: &str = include_str!("../data/samples/quickstart.ndjson");

fn quickstart() -> Vec<Event> {
    NativeReader::new("quickstart.ndjson", QUICKSTART.as_bytes()).map(|e| e.unwrap()).collect()
}

fn alerts(records: &[Record]) -> usize {
    records.iter().filter(|r| matches!(r, Record::Alert(_))).count()
}

fn checkpoint_of(engine: &mut Engine) -> Vec<u8> {
    let mut bytes = Vec::new();
    engine.checkpoint(&mut bytes).unwrap();
    bytes
}

#[test]
fn a_chain_whose_click_and_egress_came_before_a_restart_alerts_once_after_it() {
    let mut events = quickstart();
    let writes = events.split_off(8);
    let mut before = Engine::new(Config::default()).unwrap();
    for e in events {
        before.push(e);
    }
    let bytes = checkpoint_of(&mut before);
    assert_eq!(alerts(&before.drain()), 0);
    drop(before);

    let mut after = Engine::restore(Config::default(), &bytes[..]).unwrap();
    assert!(after.live_processes() > 0, "the process table came back");
    for e in writes {
        after.push(e);
    }
    after.finish();
    assert_eq!(alerts(&after.drain()), 1);
    assert_eq!(after.stats().events_in, 10, "counters go on from the checkpoint's");
}

#[test]
fn an_alert_emitted_before_a_restart_is_not_emitted_again() {
    let events = quickstart();
    let last: DateTime<Utc> = events.last().unwrap().time;
    let mut before = Engine::new(Config::default()).unwrap();
    for e in events.iter().cloned() {
        before.push(e);
    }
    before.advance_to(last + chrono::Duration::seconds(10));
    assert_eq!(alerts(&before.drain()), 1);
    let bytes = checkpoint_of(&mut before);

    let mut after = Engine::restore(Config::default(), &bytes[..]).unwrap();
    // The same file is written again by the same lineage after the restart: the restored dedup
    // keys suppress it.
    let again = Event { time: last + chrono::Duration::seconds(20), ..events.last().unwrap().clone() };
    after.push(again);
    after.finish();
    assert_eq!(alerts(&after.drain()), 0);
    assert_eq!(after.stats().alerts, 1);
    assert_eq!(after.stats().duplicates_suppressed, 1);
}

#[test]
fn a_sharded_engine_restores_its_shards_and_goes_on() {
    let mut events = quickstart();
    let writes = events.split_off(8);
    let mut before = ShardedEngine::new(Config::default(), 3).unwrap();
    for e in events {
        before.push(e);
    }
    let mut bytes = Vec::new();
    before.checkpoint(&mut bytes).unwrap();
    before.finish();
    assert_eq!(alerts(&before.drain()), 0, "the chain is not complete before the restart");

    let restored = AnyEngine::restore(Config::default(), &bytes[..]).unwrap();
    let AnyEngine::Sharded(mut after) = restored else { panic!("a sharded checkpoint restores shards") };
    assert_eq!(after.shards(), 3);
    for e in writes {
        after.push(e);
    }
    after.finish();
    assert_eq!(alerts(&after.drain()), 1);
    assert_eq!(after.stats().events_in, 10);
}

#[test]
fn what_is_not_a_good_checkpoint_is_refused_with_what_is_wrong() {
    let mut engine = Engine::new(Config::default()).unwrap();
    for e in quickstart().into_iter().take(8) {
        engine.push(e);
    }
    let good = checkpoint_of(&mut engine);
    let restore = |bytes: &[u8]| Engine::restore(Config::default(), bytes).map(drop);

    for cut in (0..good.len()).step_by(good.len() / 37 + 1) {
        let err = restore(&good[..cut]).unwrap_err();
        assert!(
            matches!(err, CheckpointError::Truncated { .. } | CheckpointError::NotACheckpoint),
            "cut at {cut}: {err}"
        );
    }
    for at in (24..good.len()).step_by(good.len() / 41 + 1) {
        let mut flipped = good.clone();
        flipped[at] ^= 0x20;
        assert!(matches!(restore(&flipped), Err(CheckpointError::Checksum)), "byte {at}");
    }
    assert!(matches!(restore(b"not a checkpoint at all"), Err(CheckpointError::NotACheckpoint)));
    let mut newer = good.clone();
    newer[8] += 1;
    let next = clickchain::checkpoint::VERSION + 1;
    assert!(matches!(restore(&newer), Err(CheckpointError::Version { found }) if found == next));

    let mut other = Config::default();
    other.windows.time_window = std::time::Duration::from_secs(60);
    let foreign = Engine::restore(other, &good[..]).map(drop).unwrap_err();
    assert!(matches!(foreign, CheckpointError::OtherConfig), "{foreign}");

    let mut sharded = ShardedEngine::new(Config::default(), 2).unwrap();
    let mut bytes = Vec::new();
    sharded.checkpoint(&mut bytes).unwrap();
    sharded.finish();
    let err = restore(&bytes).unwrap_err();
    assert_eq!(err.to_string(), "taken from 2 shards, restored into one engine");
}

#[test]
fn a_checkpoint_taken_after_a_reload_names_the_new_configuration() {
    let mut engine = Engine::new(Config::default()).unwrap();
    let mut other = Config::default();
    other.linux.time_window = std::time::Duration::from_secs(120);
    engine.reload(other.clone()).unwrap();
    let bytes = checkpoint_of(&mut engine);
    assert!(Engine::restore(other, &bytes[..]).is_ok());
    assert!(matches!(Engine::restore(Config::default(), &bytes[..]), Err(CheckpointError::OtherConfig)));
}

/// A DNS answer logged just after the connection it names, both still in the reorder buffer at
/// the checkpoint: after the restore the answer still names the connection (a trusted site, so
/// no alert), as in a run without a restart.
#[test]
fn late_dns_answers_waiting_in_the_reorder_buffer_still_name_their_connection_after_a_restore() {
    let text = include_str!("scenarios/dns-after-connect-names-trusted.ndjson");
    let events: Vec<Event> = NativeReader::new("scenario.ndjson", text.as_bytes()).map(|e| e.unwrap()).collect();
    let answer = events.iter().position(|e| matches!(e.kind, clickchain::EventKind::DnsAnswer { .. })).unwrap();

    let mut straight = Engine::new(Config::default()).unwrap();
    for e in events.iter().cloned() {
        straight.push(e);
    }
    straight.finish();
    assert_eq!(alerts(&straight.drain()), 0);

    let mut before = Engine::new(Config::default()).unwrap();
    for e in events[..=answer].iter().cloned() {
        before.push(e);
    }
    let bytes = checkpoint_of(&mut before);
    let mut after = Engine::restore(Config::default(), &bytes[..]).unwrap();
    for e in events[answer + 1..].iter().cloned() {
        after.push(e);
    }
    after.finish();
    assert_eq!(alerts(&after.drain()), 0, "the answer named the connection after the restore");
    assert_eq!(after.stats().classified.dns_after_connect, straight.stats().classified.dns_after_connect);
}
