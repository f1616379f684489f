//! One synthetic host: process identities (pid reuse on pid keys), event helpers and the
//! long-lived processes. The episodes are in `episodes.rs`, the injected chains in `chain.rs`.
//!
//! Every episode emits all events of the processes it starts, including their ends, so that a
//! process is never referred to after it ended (pid reuse stays coherent).

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use chrono::DateTime;
use clickchain_adapters::{AttrChange, Event, EventKind, FileOp, Origin, Os, Position, ProcKey, SourceRef};

use crate::catalog::{catalog, Browser, Catalog};
use crate::rng::Rng;
use crate::Decoy;

/// Lowest pid handed out (below are kernel threads and early daemons).
const PID_MIN: u32 = 300;

/// Placeholder for the long-lived processes before [`HostSim::setup`]; as a parent: none.
const NO_PROC: ProcKey = ProcKey::Pid(0);

/// An event before sorting: its arrival time (its event time unless an evasion delays it), its
/// host and its place in that host's output.
pub(crate) struct Timed {
    pub arrive: i64,
    pub host: u32,
    pub seq: u32,
    pub event: Event,
}

/// Linux-style sequential pid allocation with wrap-around; a pid is reused only once the
/// process that held it has ended.
struct Pids {
    next: u32,
    max: u32,
    /// pid -> end time of its current holder (`i64::MAX` while it runs for good).
    held: HashMap<u32, i64>,
}

impl Pids {
    fn alloc(&mut self, start: i64, end: i64) -> u32 {
        for _ in PID_MIN..self.max {
            let pid = self.next;
            self.next = if self.next + 1 >= self.max { PID_MIN } else { self.next + 1 };
            if self.held.get(&pid).is_none_or(|&e| e < start) {
                self.held.insert(pid, end);
                return pid;
            }
        }
        panic!("pid space of {} exhausted: raise pid_max", self.max);
    }

    /// Takes `pid` for a process from `start` to `end` if its last holder ended before `start`.
    fn take(&mut self, pid: u32, start: i64, end: i64) -> bool {
        let free = self.held.get(&pid).is_none_or(|&e| e < start);
        if free {
            self.held.insert(pid, end);
        }
        free
    }
}

pub(crate) struct HostSim {
    pub idx: u32,
    pub name: String,
    pub os: Os,
    pub user: String,
    pub cat: &'static Catalog,
    pub browser: &'static Browser,
    pub rng: Rng,
    pub out: Vec<Timed>,
    pub decoys: Vec<Decoy>,
    /// Depth of benign admin process trees ([`crate::Params::depth`]).
    pub depth: usize,
    /// The pid the next pid-keyed process takes, if free (pid reuse).
    pub reuse_pid: Option<u32>,
    pids: Pids,
    serial: u64,
    input: Arc<str>,
    pub services: ProcKey,
    pub shell: ProcKey,
    pub terminal: ProcKey,
    pub root: ProcKey,
    pub net: ProcKey,
    pub mail: ProcKey,
    counter: u64,
    /// The risky registrable domains drawn on this host (what a default policy finds untrusted).
    pub risky: HashSet<String>,
    /// Event time of the latest chained archive or disk-image download on this host.
    pub last_container_ms: Option<i64>,
}

/// A stable public-looking IPv4 address for a name (never in a private or reserved range).
pub(crate) fn ip_of(name: &str) -> IpAddr {
    const FIRST: [u8; 12] = [13, 23, 34, 35, 52, 54, 104, 142, 151, 157, 185, 199];
    let h = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    let first = FIRST[(h % FIRST.len() as u64) as usize];
    IpAddr::V4(Ipv4Addr::new(first, (h >> 8) as u8, (h >> 16) as u8, ((h >> 24) as u8).max(1)))
}

impl HostSim {
    pub fn new(idx: u32, os: Os, rng: Rng, p: &crate::Params) -> HostSim {
        let pid_max = p.mix.pid_max;
        const USERS: [&str; 12] =
            ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory", "oscar"];
        let cat = catalog(os);
        let mut rng = rng;
        let browser = rng.pick(cat.browsers);
        let name = match os {
            Os::Windows => format!("WS-{idx:04}"),
            Os::Linux => format!("lnx-{idx:04}"),
            Os::Macos => format!("mbp-{idx:04}"),
        };
        let max = pid_max.max(PID_MIN + 64);
        let start = rng.range(PID_MIN.into(), i64::from(max) - 1) as u32;
        HostSim {
            idx,
            name,
            os,
            user: USERS[idx as usize % USERS.len()].to_owned(),
            cat,
            browser,
            rng,
            out: Vec::new(),
            decoys: Vec::new(),
            depth: p.depth,
            reuse_pid: None,
            pids: Pids { next: start, max, held: HashMap::new() },
            serial: 0,
            input: Arc::from("synth"),
            services: NO_PROC,
            shell: NO_PROC,
            terminal: NO_PROC,
            root: NO_PROC,
            net: NO_PROC,
            mail: NO_PROC,
            counter: 0,
            risky: HashSet::new(),
            last_container_ms: None,
        }
    }

    /// Emits `kind` at `t` (ms); returns its sequence number on this host.
    pub fn emit(&mut self, t: i64, kind: EventKind) -> u32 {
        let seq = self.out.len() as u32;
        let time = DateTime::from_timestamp_millis(t).expect("time in range");
        let source = SourceRef { input: Arc::clone(&self.input), pos: Position::Record(0) };
        let event = Event { time, host: self.name.clone(), os: Some(self.os), source, kind };
        self.out.push(Timed { arrive: t, host: self.idx, seq, event });
        seq
    }

    /// Makes the event `seq` of this host arrive `ms` after its event time.
    pub fn delay(&mut self, seq: u32, ms: i64) {
        let t = &mut self.out[seq as usize];
        t.arrive = t.event.time.timestamp_millis() + ms;
    }

    /// A risky registrable domain ([`crate::chain::risky_name`]), remembered as untrusted.
    pub fn risky(&mut self, malicious: bool) -> String {
        let name = crate::chain::risky_name(&mut self.rng, malicious);
        self.risky.insert(name.clone());
        name
    }

    /// A fresh number for file names and ids.
    pub fn next_n(&mut self) -> u64 {
        self.counter += 1;
        self.counter
    }

    /// Replaces a leading `~` by the home folder and `{u}` by the user.
    pub fn path(&self, template: &str) -> String {
        let t = match template.strip_prefix('~') {
            Some(rest) => format!("{}{rest}", self.cat.home),
            None => template.to_owned(),
        };
        t.replace("{u}", &self.user)
    }

    pub fn downloads(&self, file: &str) -> String {
        let sep = self.cat.sep;
        format!("{}{sep}Downloads{sep}{file}", self.path("~"))
    }

    fn user_field(&self, system: bool) -> String {
        match (self.os, system) {
            (Os::Windows, true) => r"NT AUTHORITY\SYSTEM".to_owned(),
            (Os::Windows, false) => format!(r"CORP\{}", self.user),
            (_, true) => "root".to_owned(),
            (_, false) => self.user.clone(),
        }
    }

    /// A new process identity valid from `start` to `end` (`None`: runs for good).
    fn key(&mut self, start: i64, end: Option<i64>) -> ProcKey {
        self.serial += 1;
        if let Some(pid) = self.reuse_pid.take() {
            if self.os == Os::Linux && self.pids.take(pid, start, end.unwrap_or(i64::MAX)) {
                return ProcKey::Pid(pid);
            }
        }
        match self.os {
            Os::Windows => ProcKey::Id(format!(
                "{{{:08X}-66A1-11EF-{:04X}-{:012X}}}",
                0x5EED_0000 + self.idx,
                self.serial >> 40,
                self.serial
            )),
            Os::Linux => ProcKey::Pid(self.pids.alloc(start, end.unwrap_or(i64::MAX))),
            Os::Macos => {
                let pid = self.pids.alloc(start, end.unwrap_or(i64::MAX));
                ProcKey::Id(format!("{pid}:{}", 1000 + self.serial))
            }
        }
    }

    /// Starts a process at `t` and ends it at `end` (both emitted now).
    pub fn spawn(
        &mut self,
        t: i64,
        end: Option<i64>,
        parent: &ProcKey,
        image: &str,
        cmd: Option<String>,
        system: bool,
    ) -> ProcKey {
        let proc = self.key(t, end);
        let image = self.path(image);
        let command_line = cmd.map(|c| self.path(&c.replace("{img}", &image)));
        let user = Some(self.user_field(system));
        let parent = Some(parent.clone()).filter(|p| *p != NO_PROC);
        self.emit(
            t,
            EventKind::ProcessStart {
                proc: proc.clone(),
                parent,
                image,
                command_line,
                user,
                session: None,
                forked: false,
                built: false,
            },
        );
        if let Some(e) = end {
            self.emit(e, EventKind::ProcessEnd { proc: proc.clone() });
        }
        proc
    }

    pub fn dns(&mut self, t: i64, proc: Option<ProcKey>, name: &str) -> IpAddr {
        let ip = ip_of(name);
        // Linux browsers resolve through systemd-resolved: the asking process is unknown.
        let proc = if self.os == Os::Linux { None } else { proc };
        self.emit(t, EventKind::DnsAnswer { proc, query: name.to_owned(), answers: vec![ip] });
        ip
    }

    pub fn connect(&mut self, t: i64, proc: &ProcKey, ip: IpAddr, domain: Option<&str>) {
        let domain = domain.map(str::to_owned);
        self.emit(t, EventKind::Connect { proc: proc.clone(), dst_ip: ip, dst_port: 443, domain });
    }

    pub fn write(&mut self, t: i64, proc: &ProcKey, path: String, op: FileOp, origin: Option<Origin>) -> u32 {
        self.emit(t, EventKind::FileWrite { proc: proc.clone(), path, op, origin: origin.map(Box::new) })
    }

    pub fn attr(&mut self, t: i64, proc: &ProcKey, path: String, attr: AttrChange) -> u32 {
        self.emit(t, EventKind::FileAttr { proc: proc.clone(), path, attr })
    }

    /// Long-lived processes: service manager, session shell, terminal, browser, mail app.
    pub fn setup(&mut self, t: i64) {
        let cat = self.cat;
        self.pids.held.insert(1, i64::MAX);
        self.services = match self.os {
            Os::Linux => ProcKey::Pid(1),
            Os::Macos => ProcKey::Id("1:100".to_owned()),
            Os::Windows => self.key(t, None),
        };
        let services = self.services.clone();
        self.emit(
            t,
            EventKind::ProcessStart {
                proc: services.clone(),
                parent: None,
                image: cat.services.to_owned(),
                command_line: None,
                user: Some(self.user_field(true)),
                session: None,
                forked: false,
                built: false,
            },
        );
        self.shell = self.spawn(t + 500, None, &services, cat.shell, Some(cat.shell.to_owned()), false);
        let shell = self.shell.clone();
        self.terminal = match cat.terminal {
            Some(term) => self.spawn(t + 900, None, &shell, term, Some(term.to_owned()), false),
            None => shell.clone(),
        };
        let b = self.browser;
        self.root = self.spawn(t + 2_000, None, &shell, b.image, Some(format!("\"{}\"", b.image)), false);
        let root = self.root.clone();
        self.net = self.spawn(t + 2_400, None, &root, b.child, Some(b.net_cmd.to_owned()), false);
        self.mail = self.spawn(t + 3_000, None, &shell, cat.mail, Some(cat.mail.to_owned()), false);
    }

    pub fn cache_path(&mut self) -> String {
        let n = self.next_n();
        let sep = self.cat.sep;
        format!("{}{sep}f_{n:06x}", self.path(self.browser.cache))
    }
}
