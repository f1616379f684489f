//! The streaming engine (`docs/design.md`, "Streaming"): reorder buffer and watermark,
//! per-host micro-batches of event time, delta-anchored crepe evaluation, bounded carried state.
//!
//! `scan` (batch replay) and live use run this same code: a replay is a stream that ends.
//! [`Engine`] is one engine on the caller's thread; [`ShardedEngine`] routes hosts to engines
//! on threads; [`AnyEngine`] is either.

mod any;
mod chain;
mod checkpoint;
mod derive;
mod emit;
mod emit_detail;
mod evaluate;
mod fact_kinds;
mod facts_a;
mod facts_b;
mod follow_on;
mod latency;
mod local;
#[cfg(feature = "naive")]
mod naive;
/// Without the `naive` feature no engine evaluates naively: the windows cannot exist.
#[cfg(not(feature = "naive"))]
mod naive {
    use super::local::Emitted;
    use crate::host::Host;
    use crate::profile::Profile;

    pub(super) enum NaiveWindows {}

    impl NaiveWindows {
        pub(super) fn evaluate_host(
            &mut self,
            _: u32,
            _: &mut Host,
            _: &Profile,
            _: i64,
            _: bool,
            _: &mut Emitted<'_>,
        ) {
            match *self {}
        }
    }
}
mod reorder;
mod sharded;
mod streaming;
#[cfg(test)]
mod tests;
mod unmatched;

pub use any::AnyEngine;
pub use latency::BatchLatency;
pub use sharded::ShardedEngine;
pub use streaming::Engine;

pub use crate::profile::{analytic, EngineError};
