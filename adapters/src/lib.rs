//! # clickchain-adapters
//!
//! The OS-neutral [`Event`] model that every clickchain input becomes, and the readers that turn
//! input formats into it. A reader yields one `Result` per record: a bad record is an error value
//! naming its input and position ([`ReadError`]), and reading goes on with the next record.
//!
//! Readers: [`native`] (clickchain's NDJSON schema), [`winevent`] (Sysmon and Security 4688
//! from EVTX, rendered XML and the JSON shapes Windows events are exported in; Sysmon for
//! Linux too), [`auditd`] (raw Linux audit logs), [`zeek`] (Zeek `dns.log`, the DNS answers
//! auditd lacks), [`eslogger`] (macOS Endpoint Security) and [`ecs`] (Elastic Common Schema).
//!
//! [`parallel`] parses one-record-per-line inputs on several threads, records still in input
//! order with their line numbers (the native, ECS and Windows JSON readers offer it).
//!
//! This crate knows nothing of the detection engine; the engine depends on it.
//!
//! ```
//! use clickchain_adapters::{native::NativeReader, EventKind};
//!
//! let line = br#"{"time":"2024-05-14T09:12:38Z","host":"ws-1","kind":"connect","proc":"g-2","dst_ip":"203.0.113.7","dst_port":443}"#;
//! let event = NativeReader::new("net.ndjson", &line[..]).next().unwrap().unwrap();
//! assert!(matches!(event.kind, EventKind::Connect { dst_port: 443, .. }));
//! assert_eq!(event.source.to_string(), "net.ndjson:line 1");
//! ```
#![deny(missing_docs)]

pub mod auditd;
pub mod ecs;
mod error;
pub mod eslogger;
mod event;
mod json_scan;
pub mod jsondocs;
pub mod lines;
pub mod native;
pub mod parallel;
pub mod reorder;
mod session;
pub mod winevent;
pub mod zeek;

// One helper for every test of the workspace that reads the data set beside it.
#[cfg(test)]
#[path = "../../tests/common/shared_data.rs"]
mod shared_data;

pub use error::{ReadError, RecordError};
pub use event::{AttrChange, Event, EventKind, FileOp, Origin, Os, Position, ProcKey, SourceRef};
pub use session::{known_session, parse_session};
