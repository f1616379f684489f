//! The checkpoint loader: no panic on any bytes. Raw inputs reach the header checks; mutation
//! scripts edit a real checkpoint's state and re-frame it with a valid checksum, so they reach
//! the state decoder. A checkpoint that restores is usable: the rest of the stream goes in,
//! records come out, and it checkpoints and restores again.
#![no_main]

use std::sync::OnceLock;

use arbitrary::Arbitrary;
use clickchain::adapters::native::NativeReader;
use clickchain::checkpoint::{MAGIC, VERSION};
use clickchain::{Config, Engine, Event};
use libfuzzer_sys::fuzz_target;

const QUICKSTART: &str = include_str!("../../data/samples/quickstart.ndjson");

#[derive(Arbitrary, Debug)]
enum Input {
    /// Bytes given as they are.
    Raw(Vec<u8>),
    /// A real checkpoint's state taken after `split` events, edited, then framed again.
    Edited { split: u8, edits: Vec<(u16, u8)>, cut: Option<u16> },
}

fn events() -> Vec<Event> {
    NativeReader::new("quickstart.ndjson", QUICKSTART.as_bytes()).filter_map(Result::ok).collect()
}

/// The state of a checkpoint taken after the first `split` events (the framing removed).
fn state_after(split: usize) -> &'static [u8] {
    static STATES: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    let states = STATES.get_or_init(|| {
        let events = events();
        (0..=events.len())
            .map(|n| {
                let mut engine = Engine::new(Config::default()).expect("the default config");
                for e in events[..n].iter().cloned() {
                    engine.push(e);
                }
                let mut bytes = Vec::new();
                engine.checkpoint(&mut bytes).expect("a checkpoint");
                bytes[HEADER..].to_vec()
            })
            .collect()
    });
    &states[split % states.len()]
}

/// Magic, version (u32), length (u64), CRC-32 (u32).
const HEADER: usize = 8 + 4 + 8 + 4;

fn framed(state: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER + state.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&(state.len() as u64).to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(state).to_le_bytes());
    out.extend_from_slice(state);
    out
}

fuzz_target!(|input: Input| {
    let (bytes, split) = match input {
        Input::Raw(bytes) => (bytes, 0),
        Input::Edited { split, edits, cut } => {
            let mut state = state_after(split as usize).to_vec();
            for (at, xor) in edits {
                let len = state.len().max(1);
                if let Some(b) = state.get_mut(at as usize % len) {
                    *b ^= xor;
                }
            }
            if let Some(cut) = cut {
                state.truncate(cut as usize);
            }
            (framed(&state), split as usize)
        }
    };
    let Ok(mut engine) = Engine::restore(Config::default(), &bytes[..]) else { return };
    let events = events();
    for e in events.into_iter().skip(split % 11) {
        engine.push(e);
    }
    let mut again = Vec::new();
    engine.checkpoint(&mut again).expect("a restored engine checkpoints");
    engine.finish();
    drop(engine.drain());
    Engine::restore(Config::default(), &again[..]).expect("a checkpoint of a restored engine restores");
});
