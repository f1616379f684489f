//! An endpoint agent: follows a native NDJSON log, hands alerts to a callback, and on Ctrl-C
//! saves one checkpoint (engine state and file position) so that a restart goes on from there.
//!
//! `cargo run --example agent -- LOG.ndjson STATE.ckpt`

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use clickchain::adapters::{native, Position, SourceRef};
use clickchain::checkpoint::{self, CheckpointError};
use clickchain::{live, AnyEngine, Config, Engine, Record};
use clickchain_follow::{FollowConfig, FollowEvent, Follower};

fn on_record(record: &Record) {
    println!("{}", record.to_json()); // an agent would ship it to its console
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args_os().skip(1).map(PathBuf::from);
    let (Some(log), Some(state)) = (args.next(), args.next()) else { return Err("usage: agent LOG STATE".into()) };
    let config = Config::default();
    // One file holds both: the engine's checkpoint, then the follower's position as JSON.
    let (engine, resume) = if state.exists() {
        checkpoint::load_file(&state, |r| {
            let engine = AnyEngine::restore(config.clone(), &mut *r)?;
            let position = serde_json::from_reader(r).map_err(|e| CheckpointError::Decode(e.to_string()))?;
            Ok((engine, Some(position)))
        })?
    } else {
        (Engine::new(config)?.into(), None)
    };
    let mut follower = Follower::new(FollowConfig { resume, ..FollowConfig::default() })?;
    follower.add(&log);
    let live = live::spawn(engine, live::Options::default());

    // The follower blocks while it waits for changes: it runs on a thread of its own.
    let stop = Arc::new(AtomicBool::new(false));
    // A clone: the engine keeps running (for the checkpoint) after the follower's thread ends.
    let (events, stopping) = (live.events.clone(), Arc::clone(&stop));
    let tail = std::thread::spawn(move || {
        while !stopping.load(Ordering::Relaxed) {
            follower.wait_and_poll(Duration::from_millis(200), |event| match event {
                FollowEvent::Line(line) => {
                    let at =
                        SourceRef { input: line.path.to_string_lossy().into(), pos: Position::Offset(line.offset) };
                    match native::parse_line(&line.text, "localhost", at) {
                        Ok(event) => drop(events.blocking_send(event)),
                        Err(bad) => eprintln!("skipped {bad}"),
                    }
                }
                FollowEvent::Error(e) => eprintln!("{e}"),
            });
        }
        follower.checkpoint() // after the last line it sent
    });

    let mut records = live.records;
    let mut tail = tokio::task::spawn_blocking(move || tail.join());
    let mut ctrl_c = std::pin::pin!(tokio::signal::ctrl_c());
    let position = loop {
        tokio::select! {
            Some(record) = tokio_stream::StreamExt::next(&mut records) => on_record(&record),
            _ = &mut ctrl_c, if !stop.load(Ordering::Relaxed) => stop.store(true, Ordering::Relaxed),
            joined = &mut tail => break joined?.map_err(|_| "the follower thread panicked")?,
        }
    };
    // Answered after every line the follower sent: the two positions agree.
    let engine = live.handle.checkpoint().await?;
    checkpoint::save_file(&state, |w| {
        w.write_all(&engine)?;
        serde_json::to_writer(w, &position).map_err(|e| CheckpointError::Decode(e.to_string()))
    })?;
    eprintln!("saved {}", state.display());
    Ok(())
}
