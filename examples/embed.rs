//! Embedding the engine synchronously: push events, let time pass, drain records.
//!
//! `cargo run --example embed -- [FILE.ndjson]` (default: the quickstart sample).

use clickchain::adapters::native::NativeReader;
use clickchain::{Config, Engine, Record};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).unwrap_or_else(|| "data/samples/quickstart.ndjson".into());
    let file = std::io::BufReader::new(std::fs::File::open(&path)?);
    let mut engine = Engine::new(Config::default())?;
    let mut pushed = 0u64;
    for record in NativeReader::new(path.as_str(), file) {
        match record {
            Ok(event) => engine.push(event),
            Err(bad) => eprintln!("skipped {bad}"),
        }
        pushed += 1;
        // A live agent drains as it goes (and calls `advance_to(now)` on a timer when quiet).
        if pushed.is_multiple_of(1024) {
            print(engine.drain());
        }
    }
    engine.finish(); // end of input: whatever is pending is evaluated
    print(engine.drain());
    let stats = engine.stats();
    eprintln!("{} events, {} alerts, {} follow-ons", stats.events_in, stats.alerts, stats.follow_ons);
    Ok(())
}

fn print(records: Vec<Record>) {
    for record in records {
        println!("{}", record.to_json());
    }
}
