//! A record out of a source ([`Raw`]), mapping it apart from the reader's sequential steps
//! ([`premap`]), and where a parsing thread leaves that work to the reading thread ([`MapWhere`]).

use super::map::{self, Mapped};
use super::midlife;
use super::record::{Provider, WinRecord};
use crate::error::RecordError;
use crate::event::Position;

/// One record out of a source, before mapping.
#[derive(Debug)]
pub enum Raw {
    /// A record and where it is.
    Record(Position, WinRecord),
    /// A record already mapped where it was parsed (on a parsing thread), and where it is.
    Mapped(Position, Box<Premapped>),
    /// A record that could not be read.
    Bad(Position, RecordError),
    /// Not a record: a part of the input that holds none (counted as skipped, by reason).
    Skip(&'static str),
    /// The input cannot be read further.
    Io(std::io::Error),
}

/// The part of reading a record that needs nothing but the record ([`premap`]): its mapping
/// and what the reader's sequential steps (clock, partial downloads, mid-life starts, default
/// host) still need of it. Parsing threads do it, or share it with the reading thread.
#[derive(Debug)]
pub struct Premapped {
    pub(super) mapped: Result<Mapped, RecordError>,
    pub(super) time_created: Option<chrono::DateTime<chrono::Utc>>,
    /// nxlog's `EventTime` (local time read as UTC).
    pub(super) local_time: Option<chrono::DateTime<chrono::Utc>>,
    pub(super) computer: Option<String>,
    /// The acting image (and user), for an event a mid-life start may be built for
    /// ([`midlife::actor_text`]).
    pub(super) image: Option<Box<str>>,
    /// `UtcTime` as written, when the record has no usable time (for the error).
    pub(super) utc_text: Option<Box<str>>,
    /// A Sysmon process start's `UtcTime`: with `TimeCreated` (or `EventTime`), a sample for
    /// the clock's estimate.
    pub(super) start_utc: Option<chrono::DateTime<chrono::Utc>>,
}

/// Maps a record: everything of reading it that does not depend on the records before it.
pub fn premap(r: WinRecord) -> Premapped {
    let mapped = map::map(&r);
    let process_start = r.event_id == 1 && matches!(r.provider_kind(), Provider::Sysmon | Provider::LinuxSysmon);
    let (utc_time, image) = match &mapped {
        Ok(Mapped::Event { kind, utc_time, .. }) => {
            (*utc_time, midlife::image_field(kind).and_then(|f| r.value(f)).map(|i| midlife::actor_text(kind, i, &r)))
        }
        _ if process_start => (r.value("UtcTime").and_then(crate::native::parse_time), None),
        _ => (None, None),
    };
    let start_utc = if process_start { utc_time } else { None };
    let utc_text = match &mapped {
        Ok(Mapped::Event { utc_time: None, .. }) if r.time_created.is_none() => r.get("UtcTime").map(Box::from),
        _ => None,
    };
    Premapped {
        mapped,
        time_created: r.time_created,
        local_time: r.local_time,
        computer: r.computer,
        image,
        utc_text,
        start_utc,
    }
}

/// A record mapped where it was read (on a parsing thread); anything else as it is.
pub(super) fn premapped(raw: Raw) -> Raw {
    match raw {
        Raw::Record(at, r) => Raw::Mapped(at, Box::new(premap(r))),
        other => other,
    }
}

/// Where a parsing thread's records get mapped. Several parsing threads map what they parse
/// (the reading thread serves them all). A single one shares the mapping with the reading
/// thread: it maps only while finished blocks wait for that thread, so each side takes
/// whatever work the other has no time for: of the three ways, this one shares the work most
/// evenly (`docs/performance.md`).
pub(super) struct MapWhere {
    several: bool,
    backlog: crate::parallel::Backlog,
}

/// Blocks waiting from which a single parsing thread maps its records (the fastest setting
/// measured: `docs/performance.md`).
pub(super) const MAP_FROM_BACKLOG: usize = 2;

impl MapWhere {
    pub(super) fn new(workers: usize, backlog: crate::parallel::Backlog) -> Self {
        MapWhere { several: workers > 1, backlog }
    }

    /// `raw`, mapped here when this thread should.
    #[inline]
    pub(super) fn premapped(&self, raw: Raw) -> Raw {
        if self.several || self.backlog.waiting() >= MAP_FROM_BACKLOG {
            premapped(raw)
        } else {
            raw
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_single_parsing_thread_maps_only_while_blocks_wait_for_the_reader() {
        let record = || Raw::Record(crate::event::Position::Line(1), WinRecord::default());
        let backlog = crate::parallel::Backlog::default();
        let one = MapWhere::new(1, backlog.clone());
        for waiting in 0..MAP_FROM_BACKLOG {
            assert!(matches!(one.premapped(record()), Raw::Record(..)), "{waiting} blocks waiting");
            backlog.add();
        }
        assert!(matches!(one.premapped(record()), Raw::Mapped(..)));
        let several = MapWhere::new(2, crate::parallel::Backlog::default());
        assert!(matches!(several.premapped(record()), Raw::Mapped(..)));
    }
}
