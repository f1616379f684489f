//! Small builders of engine events for the stress runners (floods, the agent bench): events
//! are made in memory, one at a time, so that a flood of millions never sits in memory whole.

use std::net::IpAddr;
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use clickchain_adapters::{Event, EventKind, FileOp, Os, Position, ProcKey, SourceRef};

/// 2024-06-29T09:00:00Z in ms: the start of every stress stream's event time.
pub const T0_MS: i64 = 1_719_651_600_000;

/// Builds events of one input, numbering them as lines.
pub struct Maker {
    input: Arc<str>,
    line: u64,
}

impl Maker {
    /// A maker whose events name `input` as their source.
    pub fn new(input: &str) -> Maker {
        Maker { input: Arc::from(input), line: 0 }
    }

    /// An event at `ms` (milliseconds since the epoch) on `host`.
    pub fn at(&mut self, ms: i64, host: &str, os: Os, kind: EventKind) -> Event {
        self.line += 1;
        Event {
            time: time(ms),
            host: host.to_owned(),
            os: Some(os),
            source: SourceRef { input: Arc::clone(&self.input), pos: Position::Line(self.line) },
            kind,
        }
    }
}

/// `ms` since the epoch as a time (saturating at the ends of chrono's range).
pub fn time(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// A process start of `pid` under `parent` (Linux-style pid keys).
pub fn start(pid: u32, parent: Option<u32>, image: &str, command_line: Option<String>) -> EventKind {
    EventKind::ProcessStart {
        proc: ProcKey::Pid(pid),
        parent: parent.map(ProcKey::Pid),
        image: image.to_owned(),
        command_line,
        user: None,
        session: None,
        forked: false,
        built: false,
    }
}

/// The end of `pid`.
pub fn end(pid: u32) -> EventKind {
    EventKind::ProcessEnd { proc: ProcKey::Pid(pid) }
}

/// A DNS answer for `query` asked by `pid`.
pub fn dns(pid: Option<u32>, query: &str, ip: IpAddr) -> EventKind {
    EventKind::DnsAnswer { proc: pid.map(ProcKey::Pid), query: query.to_owned(), answers: vec![ip] }
}

/// A connect by `pid` to `ip:443`, named `domain` when given.
pub fn connect(pid: u32, ip: IpAddr, domain: Option<&str>) -> EventKind {
    EventKind::Connect { proc: ProcKey::Pid(pid), dst_ip: ip, dst_port: 443, domain: domain.map(str::to_owned) }
}

/// A file created by `pid`.
pub fn create(pid: u32, path: String) -> EventKind {
    EventKind::FileWrite { proc: ProcKey::Pid(pid), path, op: FileOp::Create, origin: None }
}

/// A public documentation-range address numbered `i` (203.0.113.0/24 and 198.51.100.0/24
/// count as public to the engine).
pub fn public_ip(i: u32) -> IpAddr {
    IpAddr::from([203, 0, 113, (i % 250) as u8 + 1])
}
