//! # clickchain
//!
//! An embedded detection engine for MITRE ATT&CK T1204.001 (User Execution: Malicious Link),
//! following MITRE's detection strategy DET0066 and its analytics AN0178 (Windows), AN0179
//! (Linux) and AN0180 (macOS): a browser, Office or mail app handles a link, its process lineage
//! connects to an untrusted domain, and a file lands in a user-writable folder within a window.
//!
//! Events ([`Event`]) go into an [`Engine`]; it classifies them at ingest
//! (user paths, download-like files, domain risk over the Public Suffix List), carries compact
//! per-host summaries, and evaluates the crepe rules of [`logic`] on micro-batches
//! of event time. Alerts and follow-on records come out as [`Record`]s.
//!
//! This crate is the only dependency an embedding program needs: the event model and the
//! input readers are re-exported as [`adapters`], the fact types and rules as [`logic`].
//!
//! ```
//! use clickchain::adapters::native::NativeReader;
//! use clickchain::{Config, Engine, Event, Record};
//!
//! let sample = include_str!("../data/samples/quickstart.ndjson");
//! let mut engine = Engine::new(Config::default()).unwrap();
//! for event in NativeReader::new("quickstart.ndjson", sample.as_bytes()) {
//!     let event: Event = event.unwrap();
//!     engine.push(event);
//! }
//! engine.finish();
//! let Record::Alert(alert) = &engine.drain()[0] else { panic!("expected an alert") };
//! assert_eq!(alert.analytic, "AN0178");
//! assert_eq!(alert.egress.as_ref().unwrap().registrable_domain.as_deref(), Some("invoice-portal.top"));
//! ```
#![deny(missing_docs)]

pub mod alert;
pub mod checkpoint;
pub mod config;
mod decision;
pub mod domain;
mod engine;
mod host;
pub mod input;
mod intern;
pub mod live;
mod lower;
pub mod merge;
pub mod missing_data;
pub mod paths;
mod profile;
pub mod sink;
pub mod stats;

/// The event model and the input-format readers (the `clickchain-adapters` crate).
pub use clickchain_adapters as adapters;
/// The fact types and the crepe Datalog rules (the `clickchain-logic` crate).
pub use clickchain_logic as logic;

pub use alert::Record;
pub use clickchain_adapters::{Event, EventKind, Os, ProcKey, ReadError, RecordError, SourceRef};
pub use config::Config;
pub use engine::{analytic, AnyEngine, BatchLatency, Engine, EngineError, ShardedEngine};
pub use missing_data::{missing_data, MissingData};
pub use stats::Stats;

/// The README's examples, compiled and run as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
