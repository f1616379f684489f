//! Native event lines written in code, and a run of them through one engine: the helpers of
//! the adversarial and evasion tests.

#![allow(dead_code)] // each test file uses its own part

use chrono::{DateTime, TimeZone, Utc};
use clickchain::{Config, Engine, Record, Stats};
use clickchain_adapters::native::NativeReader;

/// 2024-06-29T09:00:00Z in ms.
pub const T0: i64 = 1_719_651_600_000;
/// A day in ms.
pub const DAY: i64 = 86_400_000;

/// A stream of native lines; each line is `(time ms, host, os, body)`.
#[derive(Default, Clone)]
pub struct Lines {
    pub lines: Vec<(i64, String, String, String)>,
}

impl Lines {
    /// Adds an event at `T0 + ms` on `host` (`os`: linux, windows or macos).
    pub fn at(&mut self, ms: i64, host: &str, os: &str, body: &str) -> &mut Self {
        self.lines.push((T0 + ms, host.to_owned(), os.to_owned(), body.to_owned()));
        self
    }

    /// Every event of `host` moved by `shift` ms.
    pub fn shifted(&self, host: &str, shift: i64) -> Lines {
        let mut out = self.clone();
        for l in out.lines.iter_mut().filter(|l| l.1 == host) {
            l.0 += shift;
        }
        out
    }

    /// The NDJSON text, in the order the events were added.
    pub fn text(&self) -> String {
        self.lines
            .iter()
            .map(|(t, host, os, body)| format!("{{\"time\":{t},\"host\":\"{host}\",\"os\":\"{os}\",{body}}}\n"))
            .collect()
    }

    /// The newest event time.
    pub fn newest(&self) -> i64 {
        self.lines.iter().map(|l| l.0).max().unwrap_or(T0)
    }
}

/// What a run gave: one summary line per record, and the counters.
pub struct Run {
    pub records: Vec<String>,
    pub stats: Stats,
}

impl Run {
    /// The paths that alerted.
    pub fn alerted(&self) -> Vec<&str> {
        self.records.iter().filter_map(|r| r.strip_prefix("alert ")).filter_map(|r| r.rsplit(" path=").next()).collect()
    }
}

/// `ms` since the epoch as a time.
pub fn time(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().expect("in range")
}

/// Runs `lines` through a new engine whose wall clock is `now` ms (plausibility bound).
pub fn run_at(config: Config, lines: &Lines, now: i64) -> Run {
    let mut engine = Engine::new(config).expect("engine");
    engine.set_now(time(now));
    for event in NativeReader::new("t.ndjson", lines.text().as_bytes()) {
        engine.push(event.expect("valid line"));
    }
    engine.finish();
    let records = engine.drain().iter().map(summary).collect();
    Run { records, stats: engine.stats().clone() }
}

/// Runs `lines` with the default configuration, the wall clock a minute after the newest event.
pub fn run(lines: &Lines) -> Run {
    run_at(Config::default(), lines, lines.newest() + 60_000)
}

/// `alert <strength> host=<host> domain=<domain> lineage=<a>b> path=<file>` or
/// `follow_on <kind> by <image>`.
pub fn summary(r: &Record) -> String {
    match r {
        Record::Alert(a) => format!(
            "alert {} host={} domain={} lineage={} path={}",
            a.strength.map_or("-".into(), |s| s.to_string()),
            a.host,
            a.egress.as_ref().map_or("-".into(), |e| e.domain.clone().unwrap_or_else(|| e.ip.to_string())),
            a.lineage.iter().map(|p| p.rsplit(['/', '\\']).next().unwrap_or(p)).collect::<Vec<_>>().join(">"),
            a.write.path
        ),
        Record::FollowOn(f) => format!("follow_on {} by {}", f.kind, f.process),
    }
}

/// A Linux link lineage on `host` at `ms`: a desktop shell (pid 100), Thunderbird (200) and
/// Firefox (210) opened with `url`.
pub fn linux_browser(l: &mut Lines, ms: i64, host: &str, url: &str) {
    l.at(ms, host, "linux", r#""kind":"process_start","proc":100,"image":"/usr/bin/gnome-shell""#);
    l.at(
        ms + 10,
        host,
        "linux",
        r#""kind":"process_start","proc":200,"parent":100,"image":"/usr/lib/thunderbird/thunderbird""#,
    );
    l.at(
        ms + 20,
        host,
        "linux",
        &format!(r#""kind":"process_start","proc":210,"parent":200,"image":"/usr/lib/firefox/firefox","command_line":"/usr/lib/firefox/firefox {url}""#),
    );
}

/// Firefox starts as `pid` under `parent` at `ms`, with `https://docs-share.top/q3` on its
/// command line (a click).
pub fn firefox(l: &mut Lines, ms: i64, host: &str, pid: u32, parent: u32) {
    let image = "/usr/lib/firefox/firefox";
    let start = format!(r#""kind":"process_start","proc":{pid},"parent":{parent},"image":"{image}""#);
    l.at(ms, host, "linux", &format!(r#"{start},"command_line":"{image} https://docs-share.top/q3""#));
}

/// Pid `pid` connects to `ip`:443 at `ms`, the connect naming `domain` when given.
pub fn connect(l: &mut Lines, ms: i64, host: &str, pid: u32, ip: &str, domain: Option<&str>) {
    let name = domain.map_or(String::new(), |d| format!(r#","domain":"{d}""#));
    l.at(ms, host, "linux", &format!(r#""kind":"connect","proc":{pid},"dst_ip":"{ip}","dst_port":443{name}"#));
}

/// Pid `pid` creates `path` at `ms`, with its origin URL when given.
pub fn create(l: &mut Lines, ms: i64, host: &str, pid: u32, path: &str, origin: Option<&str>) {
    let origin = origin.map_or(String::new(), |u| format!(r#","origin":{{"url":"{u}"}}"#));
    l.at(ms, host, "linux", &format!(r#""kind":"file_write","proc":{pid},"path":"{path}","op":"create"{origin}"#));
}

/// Pid `pid` connects to `domain` (at 203.0.113.77) at `ms`, and creates `path` `write_after`
/// ms later.
pub fn egress_and_write(l: &mut Lines, ms: i64, host: &str, pid: u32, domain: &str, path: &str, write_after: i64) {
    connect(l, ms, host, pid, "203.0.113.77", Some(domain));
    create(l, ms + write_after, host, pid, path, None);
}

/// The plain Linux chain on `host`: click at `ms`, egress 1 s later, a script written 5 s after.
pub fn linux_chain(l: &mut Lines, ms: i64, host: &str, path: &str) {
    linux_browser(l, ms, host, "https://docs-share.top/q3");
    egress_and_write(l, ms + 1_000, host, 210, "docs-share.top", path, 5_000);
}
