//! # clickchain-fleet
//!
//! Fleet mode (`docs/fleet.md`): many hosts' events in one NATS JetStream stream, partitioned by
//! host ([`subject`]); workers lease partitions in a key-value bucket ([`lease`]), run one engine
//! per partition ([`partition`]), checkpoint it with the stream sequence it covers
//! ([`checkpoint`]) and publish alerts with their id as the message id, so that a worker's death
//! loses no chain and repeats no alert.
#![deny(missing_docs)]

pub mod checkpoint;
pub mod chunks;
mod error;
pub mod lease;
pub mod partition;
pub mod publish;
pub mod server;
mod settings;
pub mod stats;
pub mod subject;
pub mod testing;
pub mod worker;

pub use error::FleetError;
pub use settings::FleetSettings;
