//! # clickchain-bench
//!
//! Benchmarks for the clickchain engine on synthetic event streams (`docs/performance.md`):
//!
//! - [`synth`]: the `clickchain-synth` crate (re-exported): a seeded, deterministic generator
//!   of realistic event streams for a fleet of Windows, Linux and macOS hosts, with the injected
//!   true chains as ground truth, and its writers (native NDJSON, Sysmon JSON, ECS);
//! - [`score`]: recall and precision of alerts against that ground truth;
//! - [`rss`]: the process's resident and peak resident memory, from `/proc/self/status`;
//! - [`rng`]: the small PRNG the generator uses (no `rand` dependency; from `clickchain-synth`);
//! - [`peers`]: other implementations of the same detection, measured against the engine;
//! - [`flood`]: hostile volumes of one shape each, and [`mkevent`], the event builders they use;
//! - [`agent`]: the live agent's figures (alert latency, checkpoints, a simulated day).
//!
//! The `clickchain-bench` binary ties them together; see `bench/README.md`.
#![deny(missing_docs)]

pub mod agent;
pub mod flood;
pub mod mkevent;
pub mod peers;
pub use clickchain_synth as synth;
pub use clickchain_synth::rng;
pub mod rss;
pub mod score;
