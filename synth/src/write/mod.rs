//! Writers of a [`Stream`](crate::Stream) in the formats clickchain reads, so that adapters are
//! measured too: flattened Sysmon JSON ([`sysmon()`], the Windows events) and ECS NDJSON ([`ecs()`],
//! every host). The native NDJSON writer is [`Stream::write_ndjson`](crate::Stream::write_ndjson).
//!
//! A format cannot carry every native event: each writer counts what it left out, by reason.
//! [`to_dir`] writes a stream in the chosen [`Format`]s and its labels into a folder.

mod ecs;
mod files;
mod sysmon;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

pub use ecs::{ecs, to_ecs};
pub use files::{to_dir, FileWritten, Format};
pub use sysmon::{sysmon, to_sysmon};

/// What a writer wrote and what it left out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Written {
    /// Records written (one line each).
    pub records: u64,
    /// Events not written, by reason (`not_windows`, `url_open`, `file_attr`, ...).
    pub dropped: BTreeMap<&'static str, u64>,
}

impl Written {
    fn drop(&mut self, reason: &'static str) {
        *self.dropped.entry(reason).or_default() += 1;
    }

    /// Events not written, all reasons.
    pub fn dropped_total(&self) -> u64 {
        self.dropped.values().sum()
    }

    /// `N records[, M events not written: reason k, ...]`.
    pub fn summary(&self) -> String {
        if self.dropped.is_empty() {
            return format!("{} records", self.records);
        }
        let reasons: Vec<String> = self.dropped.iter().map(|(r, n)| format!("{r} {n}")).collect();
        format!("{} records, {} events not written: {}", self.records, self.dropped_total(), reasons.join(", "))
    }
}
