//! RESULTS.md: the machine, the command, the tables, the targets and the plots.

use std::fmt::Write as _;
use std::process::Command;

use clickchain_bench::score::Score;

use super::{Point, Results, Row};
use crate::report::thousands;

fn mib(kib: u64) -> String {
    format!("{:.1}", kib as f64 / 1024.0)
}

fn first_line_of(cmd: &str, args: &[&str]) -> String {
    Command::new(cmd)
        .args(args)
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.lines().next().map(str::to_owned))
        .unwrap_or_else(|| "unknown".to_owned())
}

/// CPU model, cores and memory, from /proc.
fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name")?.split(':').nth(1).map(str::trim))
        .unwrap_or("unknown CPU");
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines().find_map(|l| l.strip_prefix("MemTotal:")?.trim().strip_suffix("kB")?.trim().parse::<u64>().ok())
        })
        .map_or("unknown".to_owned(), |kib| format!("{:.0} GiB", kib as f64 / 1024.0 / 1024.0));
    format!("{model}, {cores} cores, {mem} RAM")
}

fn f1(s: &Score) -> f64 {
    let (p, r) = (s.precision(), s.recall());
    if p + r == 0.0 {
        0.0
    } else {
        2.0 * p * r / (p + r)
    }
}

fn detection(s: &Score) -> String {
    format!("{}/{} | {}/{} | {:.3}", s.found, s.injected, s.matching, s.alerts, f1(s))
}

fn batches(m: &crate::phases::Measured) -> String {
    match m.batches {
        Some([n, p50, p99, max]) if n > 0.0 => format!("{p50:.0} / {p99:.0} / {max:.0}"),
        _ => "-".to_owned(),
    }
}

fn row<'a>(rows: &'a [Row], label: &str) -> Option<&'a Row> {
    rows.iter().find(|r| r.label == label)
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "met"
    } else {
        "**missed**"
    }
}

fn sweep(o: &mut String, title: &str, x: &str, points: &[Point], fmt_x: &dyn Fn(f64) -> String) {
    let missed: Vec<String> =
        points.iter().flat_map(|p| p.missed.iter().map(move |m| format!("at {}: {m}", fmt_x(p.x)))).collect();
    let _ = writeln!(o, "\n### {title}\n");
    let with_parse = points.iter().any(|p| p.parse.is_some());
    let _ = write!(o, "| {x} | scan events/s | peak RSS (MiB) | batch p99 (µs) | recall | precision |");
    let _ = writeln!(o, "{}", if with_parse { " parse floor events/s | scan / parse |" } else { "" });
    let _ = writeln!(o, "|---:|---:|---:|---:|---:|---:|{}", if with_parse { "---:|---:|" } else { "" });
    for p in points {
        let _ = write!(
            o,
            "| {} | {} | {} | {} | {}/{} | {}/{} |",
            fmt_x(p.x),
            thousands(p.scan.rate() as u64),
            mib(p.scan.peak_kib),
            p.scan.batches.map_or("-".to_owned(), |b| format!("{:.0}", b[2])),
            p.score.found,
            p.score.injected,
            p.score.matching,
            p.score.alerts
        );
        match &p.parse {
            Some(parse) => {
                let _ = writeln!(o, " {} | {:.2} |", thousands(parse.rate() as u64), p.scan.rate() / parse.rate());
            }
            None => {
                let _ = writeln!(o, "{}", if with_parse { " - | - |" } else { "" });
            }
        }
    }
    if !missed.is_empty() {
        let _ = writeln!(o, "\nMissed chains:");
        for m in missed.iter().take(20) {
            let _ = writeln!(o, "- {m}");
        }
    }
}

/// The whole RESULTS.md.
pub fn render(r: &Results) -> String {
    let mut o = String::new();
    let a = &r.args;
    let _ = writeln!(o, "# clickchain benchmark results\n");
    let _ = writeln!(
        o,
        "Written by `cargo run --release -p clickchain-bench -- results` (all of it, plots included, \
         in {:.0} s) on {}. Machine: {}; {}.\n",
        r.secs,
        first_line_of("date", &["-u", "+%Y-%m-%d"]),
        machine(),
        // The release, not the compiler's commit: "rustc 1.95.0 (hash date)" -> "rustc 1.95.0".
        first_line_of("rustc", &["-V"]).split(" (").next().unwrap_or_default()
    );
    let _ = writeln!(
        o,
        "Main stream: `clickchain-bench synth` seed {}, {} events on {} hosts, {:.1} min of event time, \
         {:.1} MB of native NDJSON, {} injected chains. Each runner is a child process; its peak RSS is its own. \
         Each figure is the fastest of {} runs, EQL's and DuckDB's too, except the naive peer's and the long \
         stream's (one run); the runs are interleaved (every runner once, then again), so that a slow spell \
         of the machine falls on all runners alike.\n",
        a.seed,
        thousands(a.events as u64),
        a.hosts,
        r.span_min,
        r.stream_bytes as f64 / 1e6,
        r.chains,
        a.runs
    );
    let floor = row(&r.main, "parse floor").map(|p| p.m.rate());
    // Same file: the ratio of times (a reader may skip records, so counts can differ).
    let floor_of = |x: &Row| r.main.iter().find(|f| f.floor && f.form == x.form).map(|f| f.m.secs);
    let _ = writeln!(
        o,
        "| runner | what is timed | events/s | parse floor's time / its time | batch p50 / p99 / max (µs) | peak RSS (MiB) | recall | precision | F1 |"
    );
    let _ = writeln!(o, "|---|---|---:|---:|---:|---:|---:|---:|---:|");
    for x in &r.main {
        let ratio = floor_of(x).map_or("-".to_owned(), |f| format!("{:.2}", f / x.m.secs));
        let det = x.score.as_ref().map_or("- | - | -".to_owned(), detection);
        let _ = writeln!(
            o,
            "| {} | {} | {} | {ratio} | {} | {} | {det} |",
            x.label,
            x.what,
            thousands(x.m.rate() as u64),
            batches(&x.m),
            mib(x.m.peak_kib)
        );
    }

    for x in r.main.iter().filter(|x| !x.missed.is_empty()) {
        let _ = writeln!(o, "\n{} missed {} chains:", x.label, x.missed.len());
        for m in x.missed.iter().take(20) {
            let _ = writeln!(o, "- {m}");
        }
    }
    for reason in &r.skipped {
        let _ = writeln!(o, "\nSkipped: {reason}.");
    }
    let _ = writeln!(
        o,
        "\nThe peers' semantics differ from clickchain's; `bench/peers/README.md` (EQL, DuckDB) and \
         `docs/performance.md` (naive, imperative) list every difference. EQL and DuckDB read the ECS form, so \
         they are compared with `clickchain scan (ECS)` and its `-j 2` row."
    );
    let _ = writeln!(o, "\n## Targets, from the figures above\n");
    let _ = writeln!(o, "Why a target is missed: `docs/performance.md`, section \"What limits them\".\n");
    let rate = |label: &str| row(&r.main, label).map(|x| x.m.rate());
    if let (Some(scan), Some(floor)) = (rate("clickchain scan"), floor) {
        let q = scan / floor;
        let _ = writeln!(o, "- scan / bare parse >= 0.70: {q:.2}, {}", verdict(q >= 0.70));
    }
    for (runner, how) in [("clickchain scan (default)", "the default"), ("clickchain scan -j 2", "-j 2")] {
        if let (Some(scan), Some(floor)) = (rate(runner), floor) {
            let q = scan / floor;
            let v = verdict(q >= 0.70);
            let _ = writeln!(o, "- scan ({how}) / bare parse (the parse on one thread) >= 0.70: {q:.2}, {v}");
        }
    }
    let peak = |label: &str| row(&r.main, label).map(|x| x.m.peak_kib as f64);
    // DuckDB runs on 2 threads: clickchain is compared on 1 thread and with `-j 2`.
    for (runner, how) in [
        ("clickchain scan (ECS)", "1 thread"),
        ("clickchain scan (ECS, default)", "the default: parsing beside the engine"),
        ("clickchain scan (ECS) -j 2", "`-j 2`"),
    ] {
        let c = rate(runner);
        if let (Some(c), Some(eql)) = (c, rate("peer: eql")) {
            let q = c / eql;
            let _ = writeln!(o, "- ECS end to end >= 30x EQL ({how}): {q:.1}x, {}", verdict(q >= 30.0));
        }
        if let (Some(c), Some(duck), Some(cr), Some(dr)) = (c, rate("peer: duckdb"), peak(runner), peak("peer: duckdb"))
        {
            let (q, m) = (c / duck, cr / dr);
            let _ = writeln!(
                o,
                "- ECS end to end >= 1.5x DuckDB at <= 1/10 of its peak RSS ({how}): {q:.2}x, RSS ratio {m:.3}, {}",
                verdict(q >= 1.5 && m <= 0.1)
            );
        }
    }
    if let (Some(c), Some(imp)) = (rate("clickchain engine only"), rate("peer: imperative correlator")) {
        let q = c / imp;
        let _ = writeln!(
            o,
            "- engine >= 50 % of the imperative correlator (both on events in memory): {q:.2}, {}",
            verdict(q >= 0.5)
        );
    }
    if let (Some(c), Some(n)) = (rate("clickchain engine only"), rate("peer: naive crepe re-run")) {
        let _ = writeln!(o, "- engine / naive crepe re-run: {:.0}x", c / n);
    }
    if let (Some(one), Some(two)) = (rate("clickchain scan"), rate("clickchain scan -j 2")) {
        let _ = writeln!(o, "- multi-core: `scan -j 2` / `scan -j 1` = {:.2}x on this machine's cores", two / one);
    }
    if let (Some(one), Some(two)) = (rate("clickchain scan"), rate("clickchain scan (default)")) {
        let _ = writeln!(o, "- multi-core: `scan` (default) / `scan -j 1` = {:.2}x on this machine's cores", two / one);
    }
    if let (Some(first), Some(last)) = (r.windows.first(), r.windows.last()) {
        let q = last.scan.rate() / first.scan.rate();
        let m = last.scan.peak_kib as f64 / first.scan.peak_kib.max(1) as f64;
        let _ = writeln!(
            o,
            "- events/s flat from a {:.0} to a {:.0} min window (ratio >= 0.8): {q:.2}, {}",
            first.x,
            last.x,
            verdict(q >= 0.8)
        );
        let _ = writeln!(
            o,
            "- peak RSS flat from a {:.0} to a {:.0} min window (ratio <= 1.25): {m:.2}, {}",
            first.x,
            last.x,
            verdict(m <= 1.25)
        );
    }
    if let (Some(first), Some(last)) = (r.lengths.first(), r.lengths.last()) {
        if r.lengths.len() > 1 {
            let m = last.scan.peak_kib as f64 / first.scan.peak_kib.max(1) as f64;
            let _ = writeln!(
                o,
                "- peak RSS flat from {} to {} events: {} -> {} MiB (ratio {m:.2}), {}",
                thousands(first.x as u64),
                thousands(last.x as u64),
                mib(first.scan.peak_kib),
                mib(last.scan.peak_kib),
                verdict(m <= 1.25)
            );
        }
    }
    if let Some(s) = row(&r.main, "clickchain scan").and_then(|x| x.score.as_ref()) {
        let _ = writeln!(
            o,
            "- recall 1.0 on injected chains: {}/{}, {}; precision {}/{} (unexpected alerts: {})",
            s.found,
            s.injected,
            verdict(s.found == s.injected),
            s.matching,
            s.alerts,
            if s.unexpected.is_empty() {
                "none".to_owned()
            } else {
                s.unexpected.iter().map(|(what, n)| format!("{n} x {what}")).collect::<Vec<_>>().join("; ")
            }
        );
    }

    let _ = writeln!(o, "\n## How cost grows (clickchain `scan`, 1 thread)");
    sweep(&mut o, "Window (same stream, `time_window` set for every OS)", "window (min)", &r.windows, &|x| {
        format!("{x:.0}")
    });
    let _ = writeln!(o, "\n![events/s against the window](results-window.svg)");
    sweep(&mut o, "Event rate (same event count and hosts)", "events/s per host", &r.rates, &|x| format!("{x:.0}"));
    let _ = writeln!(o, "\n![events/s against the event rate](results-rate.svg)");
    sweep(&mut o, "Host count (same event count)", "hosts", &r.hosts, &|x| format!("{x:.0}"));
    sweep(&mut o, "Stream length", "events", &r.lengths, &|x| thousands(x as u64));
    o.push_str(&r.rules_cost);
    if let Some(agent) = &r.agent {
        let _ = writeln!(
            o,
            "\n## The agent, live (`clickchain-bench agent`)\n\nAlert latency from the completing \
             event's sending to the alert's arrival through the live handle, at a steady rate; a \
             checkpoint of an engine holding that many processes; resident memory over a simulated \
             day of event time fed as fast as it goes.\n"
        );
        o.push_str(agent);
    }
    o
}
