//! What lowering an event needs besides its host.

use super::dest::DestCache;
use super::late_dns::LateDns;
use super::nod::NodStore;
use crate::domain::Psl;
use crate::profile::{Limits, Profile};
use crate::stats::Stats;

/// What lowering needs besides the host.
pub(crate) struct Ctx<'a> {
    pub profile: &'a Profile,
    pub psl: &'a Psl,
    pub first_seen: &'a mut NodStore,
    pub dests: &'a mut DestCache,
    /// Answers that arrived but are not released yet (for connections logged before them).
    pub late_dns: &'a LateDns,
    pub stats: &'a mut Stats,
    pub limits: &'a Limits,
    /// Ended processes that nothing refers to may leave when they ended before this.
    pub ended_before: i64,
}
