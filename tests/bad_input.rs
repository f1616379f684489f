//! Hostile and broken input: every case is counted or handled, nothing panics, tables stay bounded.

use std::io::{self, Read};

use chrono::{TimeZone, Utc};
use clickchain::{Config, Engine};
use clickchain_adapters::native::NativeReader;

const NOW: i64 = 1_716_000_000_000; // 2024-05-18

fn engine(config: Config) -> Engine {
    let mut e = Engine::new(config).unwrap();
    e.set_now(Utc.timestamp_millis_opt(NOW).unwrap());
    e
}

/// Runs native lines through an engine; returns it finished.
fn run(config: Config, lines: &str) -> Engine {
    let mut e = engine(config);
    for r in NativeReader::new("t.ndjson", lines.as_bytes()) {
        e.push(r.expect("test lines are valid"));
    }
    e.finish();
    e
}

fn start(t: u32, proc: &str, parent: &str, image: &str) -> String {
    format!(
        r#"{{"time":"2024-05-14T09:{:02}:{:02}Z","host":"h","os":"linux","kind":"process_start","proc":"{proc}","parent":"{parent}","image":"{image}","command_line":"{image} https://x.example.top/"}}"#,
        t / 60,
        t % 60
    )
}

#[test]
fn parent_cycle_is_cut_and_link_root_follows_the_late_parent() {
    // a claims parent b before b exists; then b claims parent a; then a process claims itself.
    let lines = [
        start(0, "a", "b", "/usr/lib/firefox/firefox"),
        start(1, "b", "a", "/usr/lib/firefox/firefox"),
        start(2, "c", "c", "/usr/lib/firefox/firefox"),
        r#"{"time":"2024-05-14T09:00:03Z","host":"h","kind":"connect","proc":"a","dst_ip":"203.0.113.9","dst_port":443,"domain":"x.example.top"}"#.to_owned(),
        r#"{"time":"2024-05-14T09:00:04Z","host":"h","kind":"file_write","proc":"b","path":"/home/u/Downloads/x.sh"}"#.to_owned(),
    ]
    .join("\n");
    let mut e = run(Config::default(), &lines);
    let s = e.stats().clone();
    assert_eq!(s.anomalies.orphan_parent, 1, "a's parent b was unknown");
    assert_eq!(s.anomalies.parent_cycle, 2, "b -> a -> b, and c -> c");
    // b keeps no parent, so b is a root and a is its child: the chain still resolves once.
    assert_eq!(e.drain().len(), 1);
}

#[test]
fn implausible_times_are_dropped_and_counted() {
    let lines = [
        r#"{"time":"3024-05-14T09:00:00Z","host":"h","kind":"process_end","proc":"a"}"#,
        r#"{"time":"1970-01-02T00:00:00Z","host":"h","kind":"process_end","proc":"a"}"#,
        r#"{"time":"2024-05-14T09:00:00Z","host":"h","kind":"process_end","proc":"a"}"#,
    ]
    .join("\n");
    let e = run(Config::default(), &lines);
    assert_eq!(e.stats().dropped.implausible_time, 2);
    assert_eq!(e.stats().events_processed, 1);
}

#[test]
fn late_events_are_dropped_and_counted() {
    let lines = [
        r#"{"time":"2024-05-14T09:10:00Z","host":"h","kind":"process_end","proc":"a"}"#,
        r#"{"time":"2024-05-14T09:09:56Z","host":"h","kind":"process_end","proc":"b"}"#,
        r#"{"time":"2024-05-14T09:09:54Z","host":"h","kind":"process_end","proc":"c"}"#,
    ]
    .join("\n");
    let e = run(Config::default(), &lines);
    assert_eq!(e.stats().dropped.late, 1, "4 s behind is within the 5 s lateness; 6 s is not");
}

#[test]
fn process_table_stays_bounded() {
    let mut config = Config::default();
    config.engine.max_processes_per_host = 1_000;
    let mut e = engine(config);
    let lines: String = (0..20_000u32)
        .map(|i| {
            format!(
                "{{\"time\":{},\"host\":\"h\",\"os\":\"linux\",\"kind\":\"process_start\",\"proc\":{},\"image\":\"/usr/bin/true\"}}\n",
                1_715_677_200_000u64 + u64::from(i) * 10,
                i % 30_000
            )
        })
        .collect();
    for r in NativeReader::new("t", lines.as_bytes()) {
        e.push(r.unwrap());
        assert!(e.live_processes() <= 1_000);
    }
    e.finish();
    assert!(e.stats().dropped.process_evicted >= 19_000, "{:?}", e.stats().dropped);
}

#[test]
fn host_cap_is_counted() {
    let mut config = Config::default();
    config.engine.max_hosts = 3;
    let lines: String = (0..10)
        .map(|i| {
            format!("{{\"time\":{},\"host\":\"h{i}\",\"kind\":\"process_end\",\"proc\":1}}\n", 1_715_677_200_000u64 + i)
        })
        .collect();
    let e = run(config, &lines);
    assert_eq!(e.stats().dropped.host_cap, 7);
}

/// 100 MB of one line, produced on the fly: never held in memory.
struct HugeLine {
    left: u64,
    tail: &'static [u8],
}

impl Read for HugeLine {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left > 0 {
            let n = (buf.len() as u64).min(self.left) as usize;
            buf[..n].fill(b'a');
            self.left -= n as u64;
            return Ok(n);
        }
        let n = buf.len().min(self.tail.len());
        buf[..n].copy_from_slice(&self.tail[..n]);
        self.tail = &self.tail[n..];
        Ok(n)
    }
}

#[test]
fn hundred_megabyte_line_is_rejected_and_reading_goes_on() {
    let tail = b"\n{\"time\":\"2024-05-14T09:00:00Z\",\"host\":\"h\",\"kind\":\"process_end\",\"proc\":\"a\"}\n";
    let input = io::BufReader::new(HugeLine { left: 100 << 20, tail });
    let results: Vec<_> = NativeReader::new("huge.ndjson", input).collect();
    assert_eq!(results.len(), 2);
    let err = results[0].as_ref().unwrap_err();
    assert_eq!(err.reason(), "too_long");
    assert!(err.to_string().starts_with("huge.ndjson:line 1: record of 104857601 bytes"), "{err}");
    assert!(results[1].is_ok());
}

#[test]
fn orphans_and_unknown_processes_still_work() {
    // The browser's parent never appears; the writer was never seen starting (no lineage).
    let lines = [
        start(0, "br", "never-seen", "/usr/lib/firefox/firefox"),
        r#"{"time":"2024-05-14T09:00:03Z","host":"h","kind":"connect","proc":"br","dst_ip":"203.0.113.9","dst_port":443,"domain":"x.example.top"}"#.to_owned(),
        r#"{"time":"2024-05-14T09:00:04Z","host":"h","kind":"file_write","proc":"ghost","path":"/home/u/Downloads/y.sh"}"#.to_owned(),
        r#"{"time":"2024-05-14T09:00:05Z","host":"h","kind":"file_write","proc":"br","path":"/home/u/Downloads/x.sh"}"#.to_owned(),
    ]
    .join("\n");
    let mut e = run(Config::default(), &lines);
    assert_eq!(e.stats().anomalies.orphan_parent, 1);
    assert_eq!(e.stats().anomalies.unknown_process, 1);
    let records = e.drain();
    assert_eq!(records.len(), 1);
    assert!(records[0].to_json().contains("/home/u/Downloads/x.sh"));
}
