//! `clickchain-bench auditd`: lines/s of `scan` on a raw auditd log against a bare line split
//! of the same file, measured one after the other in one run.
//!
//! The log is synthetic (written by [`write_log`], not timed): per round, a shell forks a child
//! that execs a program (SYSCALL, EXECVE, CWD, two PATH, PROCTITLE, EOE), a browser connects,
//! creates a file in ~/Downloads, and an unrelated USER_* record passes by; every 200th round is
//! a browser click chain (an alert). Rounds interleave two serials so the grouping buffer works.

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use clickchain::input::{self, InputOptions};
use clickchain::{Config, Engine};
use clickchain_adapters::lines::{Line, LineReader};
use clickchain_bench::rss;

/// Writes about `lines` lines of auditd text to `path`; returns the lines written.
pub fn write_log(path: &Path, lines: u64) -> anyhow::Result<u64> {
    let mut w = BufWriter::new(File::create(path).with_context(|| format!("creating {}", path.display()))?);
    let mut n = 0u64;
    let mut serial = 1000u64;
    let mut round = 0u64;
    let mut t_ms: u64 = 1_719_651_600_000;
    let hex = |s: &str| s.bytes().map(|b| format!("{b:02X}")).collect::<String>();
    while n < lines {
        round += 1;
        let shell = 2000 + (round % 50) as u32;
        let child = 10_000 + (round % 30_000) as u32;
        let (s1, s2) = (serial, serial + 1);
        serial += 2;
        let st = |t: u64, s: u64| format!("{}.{:03}:{s}", t / 1000, t % 1000);
        let (a, b) = (st(t_ms, s1), st(t_ms + 1, s2));
        let chain = round.is_multiple_of(200);
        let (prog, arg) = if chain {
            ("/usr/lib/firefox/firefox", format!("https://dl{round}.invoice-share.top/x"))
        } else {
            ("/usr/bin/ls", "-la".to_owned())
        };
        let parent = if chain { 400 } else { shell };
        let rec = [
            format!("type=SYSCALL msg=audit({a}): arch=c000003e syscall=56 success=yes exit={child} a0=1200011 a1=0 a2=0 a3=7f0c2a1b9a10 items=0 ppid=1 pid={parent} auid=1000 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 egid=1000 sgid=1000 fsgid=1000 tty=pts1 ses=3 comm=\"bash\" exe=\"/usr/bin/bash\" subj=unconfined key=\"fork\""),
            format!("type=SYSCALL msg=audit({b}): arch=c000003e syscall=59 success=yes exit=0 a0=55d0c1e0a2f0 a1=55d0c1e0a330 a2=55d0c1e0a360 a3=8 items=2 ppid={parent} pid={child} auid=1000 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 egid=1000 sgid=1000 fsgid=1000 tty=pts1 ses=3 comm=\"x\" exe=\"{prog}\" subj=unconfined key=\"exec\""),
            format!("type=EOE msg=audit({a}): "),
            format!("type=EXECVE msg=audit({b}): argc=2 a0=\"{prog}\" a1=\"{arg}\""),
            format!("type=CWD msg=audit({b}): cwd=\"/home/alice\""),
            format!("type=PATH msg=audit({b}): item=0 name=\"{prog}\" inode=131220 dev=fd:01 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0"),
            format!("type=PATH msg=audit({b}): item=1 name=\"/lib64/ld-linux-x86-64.so.2\" inode=131012 dev=fd:01 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0"),
            format!("type=PROCTITLE msg=audit({b}): proctitle={}", hex(&format!("{prog}\0{arg}"))),
            format!("type=EOE msg=audit({b}): "),
            format!("type=SYSCALL msg=audit({}): arch=c000003e syscall=42 success=no exit=-115 a0=5c a1=7ffd3a2b1c40 a2=10 a3=0 items=0 ppid={parent} pid={child} auid=1000 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 egid=1000 sgid=1000 fsgid=1000 tty=(none) ses=3 comm=\"Socket Thread\" exe=\"{prog}\" subj=unconfined key=\"net\"", st(t_ms + 5, s2 + 100_000_000)),
            format!("type=SOCKADDR msg=audit({}): saddr=020001BBCB00{:02X}{:02X}0000000000000000", st(t_ms + 5, s2 + 100_000_000), (round / 256) % 256, round % 256),
            format!("type=EOE msg=audit({}): ", st(t_ms + 5, s2 + 100_000_000)),
            format!("type=SYSCALL msg=audit({}): arch=c000003e syscall=257 success=yes exit=77 a0=ffffff9c a1=7f2c18a3e0c0 a2=241 a3=1a4 items=2 ppid={parent} pid={child} auid=1000 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 egid=1000 sgid=1000 fsgid=1000 tty=(none) ses=3 comm=\"DOM Worker\" exe=\"{prog}\" subj=unconfined key=\"userfile\"", st(t_ms + 9, s2 + 200_000_000)),
            format!("type=CWD msg=audit({}): cwd=\"/home/alice\"", st(t_ms + 9, s2 + 200_000_000)),
            format!("type=PATH msg=audit({}): item=0 name=\"Downloads/\" inode=393217 dev=fd:01 mode=040755 ouid=1000 ogid=1000 rdev=00:00 nametype=PARENT cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0", st(t_ms + 9, s2 + 200_000_000)),
            format!("type=PATH msg=audit({}): item=1 name=\"Downloads/r{round}.sh\" inode=394102 dev=fd:01 mode=0100644 ouid=1000 ogid=1000 rdev=00:00 nametype=CREATE cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0", st(t_ms + 9, s2 + 200_000_000)),
            format!("type=EOE msg=audit({}): ", st(t_ms + 9, s2 + 200_000_000)),
            format!("type=USER_ACCT msg=audit({}): pid={shell} uid=0 auid=1000 ses=3 subj=unconfined msg='op=PAM:accounting grantors=pam_permit acct=\"alice\" exe=\"/usr/bin/sudo\" hostname=? addr=? terminal=/dev/pts/1 res=success'", st(t_ms + 12, s2 + 300_000_000)),
            format!("type=SYSCALL msg=audit({}): arch=c000003e syscall=231 success=yes exit=0 a0=0 a1=0 a2=0 a3=0 items=0 ppid={parent} pid={child} auid=1000 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 egid=1000 sgid=1000 fsgid=1000 tty=pts1 ses=3 comm=\"x\" exe=\"{prog}\" subj=unconfined key=\"exit\"", st(t_ms + 20, s2 + 400_000_000)),
            format!("type=EOE msg=audit({}): ", st(t_ms + 20, s2 + 400_000_000)),
        ];
        for r in &rec {
            writeln!(w, "{r}")?;
        }
        n += rec.len() as u64;
        t_ms += 50;
    }
    w.flush()?;
    Ok(n)
}

/// What one run measured.
pub struct AuditdRun {
    pub lines: u64,
    pub bytes: u64,
    pub split_secs: f64,
    /// The auditd reader alone (records → events, no engine).
    pub read_secs: f64,
    pub scan_secs: f64,
    pub events: u64,
    pub rejected: u64,
    pub alerts: u64,
    pub peak_kib: u64,
}

/// Splits the file into lines (the floor), then scans it as the CLI does (detect, read, group,
/// map, engine, finish).
pub fn measure(path: &Path) -> anyhow::Result<AuditdRun> {
    let bytes = std::fs::metadata(path)?.len();
    let start = Instant::now();
    let mut lines = 0u64;
    let mut reader = LineReader::new(BufReader::with_capacity(256 * 1024, File::open(path)?), 64 << 10);
    while let Some((_, l)) = reader.next_line()? {
        lines += u64::from(matches!(l, Line::Text(t) if !t.is_empty()));
    }
    let split_secs = start.elapsed().as_secs_f64();

    let start = Instant::now();
    let mut read_events = 0u64;
    let options = InputOptions { default_host: "bench-host".into(), ..InputOptions::default() };
    for r in input::open(path, &options, Arc::default())?.records {
        read_events += u64::from(r.is_ok());
    }
    std::hint::black_box(read_events);
    let read_secs = start.elapsed().as_secs_f64();

    let start = Instant::now();
    let records = input::open(path, &options, Arc::default())?.records;
    let mut engine = Engine::new(Config::default())?;
    let (mut events, mut rejected) = (0u64, 0u64);
    for r in records {
        match r {
            Ok(e) => {
                events += 1;
                engine.push(e);
            }
            Err(_) => rejected += 1,
        }
        if events % 4096 == 0 {
            engine.drain();
        }
    }
    engine.finish();
    let alerts = engine.stats().alerts;
    drop(engine.drain());
    let scan_secs = start.elapsed().as_secs_f64();
    let peak_kib = rss::read().map_or(0, |r| r.peak_kib);
    Ok(AuditdRun { lines, bytes, split_secs, read_secs, scan_secs, events, rejected, alerts, peak_kib })
}

/// The report, as markdown.
pub fn report(r: &AuditdRun) -> String {
    let split = r.lines as f64 / r.split_secs;
    let scan = r.lines as f64 / r.scan_secs;
    format!(
        "| input | lines | MiB | line split (lines/s) | reader only (lines/s) | scan (lines/s) | scan / split | events | rejected | alerts | peak RSS (MiB) |\n\
         |---|---|---|---|---|---|---|---|---|---|---|\n\
         | synthetic auditd | {} | {:.1} | {:.2} M | {:.0} k | {:.0} k | {:.3} | {} | {} | {} | {:.1} |\n",
        r.lines,
        r.bytes as f64 / (1 << 20) as f64,
        split / 1e6,
        r.lines as f64 / r.read_secs / 1e3,
        scan / 1e3,
        scan / split,
        r.events,
        r.rejected,
        r.alerts,
        r.peak_kib as f64 / 1024.0
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bench's log is valid auditd: every line read, nothing rejected, one alert per chain.
    #[test]
    fn synthetic_log_scans_cleanly_with_one_alert_per_chain() {
        let dir = std::env::temp_dir().join(format!("cc-bench-auditd-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("a.log");
        let lines = write_log(&file, 20 * 401).unwrap();
        let r = measure(&file).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!((r.lines, r.rejected), (lines, 0));
        // Per round: fork, exec, connect, create, exit.
        assert_eq!(r.events, 5 * 401);
        assert_eq!(r.alerts, 2);
    }
}
