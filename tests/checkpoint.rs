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

/// `engine` after the quickstart's clicks and egress, and the writes still to come.
fn before_the_writes(mut engine: Engine) -> (Engine, Vec<Event>) {
    let mut events = quickstart();
    let writes = events.split_off(8);
    for e in events {
        engine.push(e);
    }
    (engine, writes)
}

#[test]
fn a_chain_whose_click_and_egress_came_before_a_restart_alerts_once_after_it() {
    let (mut before, writes) = before_the_writes(Engine::new(Config::default()).unwrap());
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

    let mut sharded = ShardedEngine::new(Config::default(), 2).unwrap();
    let mut bytes = Vec::new();
    sharded.checkpoint(&mut bytes).unwrap();
    sharded.finish();
    let err = restore(&bytes).unwrap_err();
    assert_eq!(err.to_string(), "taken from 2 shards, restored into one engine");
}

/// A restart with an edited configuration keeps the state (as a hot reload would) and the
/// edit takes effect: the chain begun before the restart alerts under the new settings.
#[test]
fn a_restart_with_an_edited_configuration_keeps_the_state_and_applies_the_edit() {
    let (mut before, writes) = before_the_writes(Engine::new(Config::default()).unwrap());
    let bytes = checkpoint_of(&mut before);

    // The edit excludes the user's Downloads folder, where the quickstart chain writes: no alert.
    let mut stricter = Config::default();
    stricter.windows.excluded_paths.push(r"C:\Users\alice\Downloads".into());
    let mut after = Engine::restore(stricter.clone(), &bytes[..]).unwrap();
    assert!(after.live_processes() > 0, "the process table came back under the edited config");
    for e in writes.iter().cloned() {
        after.push(e);
    }
    after.finish();
    assert_eq!(alerts(&after.drain()), 0, "the edited window applies after the restart");

    // A checkpoint taken after the edit restores under the edited config as it is.
    let mut edited = Engine::restore(stricter.clone(), &bytes[..]).unwrap();
    let again = checkpoint_of(&mut edited);
    let mut restored = Engine::restore(Config::default(), &again[..]).unwrap();
    for e in writes {
        restored.push(e);
    }
    restored.finish();
    assert_eq!(alerts(&restored.drain()), 1, "and back under the default config the chain alerts");
}

/// The configuration inside a checkpoint is read as a config file is: one this build refuses
/// (here a window below the parser's bound, set through the API) refuses the checkpoint.
#[test]
fn a_checkpoint_whose_configuration_cannot_be_read_is_refused_naming_the_setting() {
    let mut odd = Config::default();
    odd.windows.time_window = std::time::Duration::from_millis(1);
    let mut engine = Engine::new(odd).unwrap();
    let bytes = checkpoint_of(&mut engine);
    let err = Engine::restore(Config::default(), &bytes[..]).map(drop).unwrap_err();
    assert!(matches!(err, CheckpointError::OtherConfig(_)), "{err}");
    assert!(err.to_string().contains("windows.time_window"), "{err}");
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

/// An agent with its own Public Suffix List restores with it: the alert names the registrable
/// domain that list gives, not the vendored list's.
#[test]
fn a_checkpoint_restored_with_a_public_suffix_list_uses_it() {
    use std::sync::Arc;
    // `invoice-portal.top` a public suffix: `dl.invoice-portal.top` becomes registrable.
    let psl = Arc::new(
        clickchain::domain::Psl::from_bytes(
            b"// ===BEGIN ICANN DOMAINS===\ntop\ninvoice-portal.top\n// ===END ICANN DOMAINS===\n",
        )
        .unwrap(),
    );
    let domains = |records: &[Record]| -> Vec<Option<String>> {
        records
            .iter()
            .filter_map(|r| match r {
                Record::Alert(a) => Some(a.egress.as_ref().and_then(|e| e.registrable_domain.clone())),
                _ => None,
            })
            .collect()
    };
    let run = |mut engine: Engine, events: Vec<Event>| {
        for e in events {
            engine.push(e);
        }
        engine.finish();
        domains(&engine.drain())
    };
    let whole = run(Engine::with_psl(Config::default(), Arc::clone(&psl)).unwrap(), quickstart());
    let vendored = run(Engine::new(Config::default()).unwrap(), quickstart());
    assert_ne!(whole, vendored, "the list changes the alert");

    let (mut before, writes) = before_the_writes(Engine::with_psl(Config::default(), Arc::clone(&psl)).unwrap());
    let bytes = checkpoint_of(&mut before);
    let after = Engine::restore_with_psl(Config::default(), psl, &bytes[..]).unwrap();
    assert_eq!(run(after, writes), whole);
}
