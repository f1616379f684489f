//! The markdown report of `clickchain-bench engine`.

use std::fmt::Write as _;

use clickchain_adapters::Os;
use clickchain_bench::rss::Rss;
use clickchain_bench::score::Score;
use clickchain_bench::synth::Chain;
use serde_json::Value;

use crate::phases::Measured;

/// What was generated, and what it cost (not part of any measurement).
pub struct StreamInfo {
    pub events: usize,
    pub hosts: Vec<Os>,
    pub span_ms: i64,
    pub rate: f64,
    pub bytes: u64,
    pub gen_secs: f64,
    pub write_secs: f64,
    pub gen_rss: Rss,
    pub seed: u64,
}

/// `1234567` -> `1,234,567`.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn mib(kib: u64) -> String {
    format!("{:.1}", kib as f64 / 1024.0)
}

fn what(phase: &str) -> &'static str {
    match phase {
        "parse" => "file -> `serde_json` into a small borrowed struct",
        "scan" => "file -> `NativeReader` -> `Engine::push` + `finish()`",
        "naive" => "`Vec<Event>` -> `Engine` in naive mode (crepe over the whole window each batch)",
        "imperative" => "`Vec<Event>` -> hand-written imperative correlator (`peers::imperative`)",
        _ => "`Vec<Event>` in memory -> `Engine::push` + `finish()`",
    }
}

fn fastest(runs: &[Measured]) -> &Measured {
    runs.iter().max_by(|a, b| a.rate().total_cmp(&b.rate())).expect("at least one run")
}

/// Non-zero leaves of a counters object, as `a.b=n`.
fn nonzero(prefix: &str, v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => m.iter().for_each(|(k, v)| nonzero(&format!("{prefix}{k}."), v, out)),
        Value::Number(n) if n.as_u64() != Some(0) => out.push(format!("{}={n}", prefix.trim_end_matches('.'))),
        _ => {}
    }
}

pub fn render(
    info: &StreamInfo,
    results: &[(&str, Vec<Measured>)],
    scores: &[(&str, Score)],
    chains: &[Chain],
) -> String {
    let mut o = String::new();
    let count = |os: Os| info.hosts.iter().filter(|&&h| h == os).count();
    let _ = writeln!(
        o,
        "### clickchain-bench: {} events, {} hosts ({} windows, {} linux, {} macos), seed {}\n",
        thousands(info.events as u64),
        info.hosts.len(),
        count(Os::Windows),
        count(Os::Linux),
        count(Os::Macos),
        info.seed
    );
    let _ = writeln!(
        o,
        "Stream: {:.1} min of event time ({} events/s per host), {:.1} MB of native NDJSON; generated in {:.1} s (parent RSS {} MiB), \
         written in {:.1} s. Each phase ran in its own process.\n",
        info.span_ms as f64 / 60_000.0,
        info.rate,
        info.bytes as f64 / 1e6,
        info.gen_secs,
        mib(info.gen_rss.now_kib),
        info.write_secs
    );
    let _ = writeln!(o, "| phase | timed | events/s | time (s) | RSS before (MiB) | peak RSS (MiB) | alerts |");
    let _ = writeln!(o, "|---|---|---:|---:|---:|---:|---:|");
    for (phase, runs) in results {
        let m = fastest(runs);
        let alerts = if *phase == "parse" { "-".to_owned() } else { m.alerts.to_string() };
        let _ = writeln!(
            o,
            "| {phase} | {} | {} | {:.3} | {} | {} | {alerts} |",
            what(phase),
            thousands(m.rate() as u64),
            m.secs,
            mib(m.rss_before_kib),
            mib(m.peak_kib)
        );
    }
    let rate = |name: &str| results.iter().find(|(p, _)| *p == name).map(|(_, r)| fastest(r).rate());
    let _ = writeln!(o);
    if let (Some(scan), Some(parse)) = (rate("scan"), rate("parse")) {
        let _ = writeln!(o, "- scan / parse = **{:.2}** (target: >= 0.70)", scan / parse);
    }
    if let Some(engine) = rate("engine") {
        let _ = writeln!(o, "- engine only: **{:.2} M events/s** (target: >= 2 M/s per core)", engine / 1e6);
        if let Some(parse) = rate("parse") {
            let _ = writeln!(o, "- engine / parse = {:.2}", engine / parse);
        }
    }
    if let (Some(engine), Some(naive)) = (rate("engine"), rate("naive")) {
        let _ = writeln!(
            o,
            "- engine / naive = **{:.0}x** (delta-anchored evaluation against crepe over the whole window each batch)",
            engine / naive
        );
    }
    if let (Some(engine), Some(imperative)) = (rate("engine"), rate("imperative")) {
        let _ = writeln!(
            o,
            "- engine / imperative = **{:.2}** (the hand-written correlator: the practical speed limit)",
            engine / imperative
        );
    }
    if results.iter().any(|(_, r)| r.len() > 1) {
        for (phase, runs) in results {
            let all: Vec<String> = runs.iter().map(|m| thousands(m.rate() as u64)).collect();
            let _ = writeln!(o, "- {phase} runs (events/s): {} (table: fastest)", all.join(", "));
        }
    }
    for (phase, runs) in results {
        let m = fastest(runs);
        if m.errors > 0 {
            let _ = writeln!(o, "- {phase}: {} lines did not parse", m.errors);
        }
        if let Some(stats) = &m.stats {
            let mut counters = Vec::new();
            nonzero("", stats, &mut counters);
            let _ = writeln!(
                o,
                "- {phase}: {} live processes in the engine at the end, {} follow-on records; counters: {}",
                thousands(m.live_processes),
                m.follow_ons,
                counters.join(", ")
            );
            if let Some([n, p50, p99, max]) = m.batches {
                let _ = writeln!(
                    o,
                    "- {phase}: {} micro-batches evaluated; evaluation time p50 <= {p50:.0} µs, p99 <= {p99:.0} µs, max {max:.0} µs (log2 buckets: upper bounds)",
                    thousands(n as u64)
                );
            }
            if !m.samples.is_empty() {
                let live: Vec<String> = m.samples.iter().map(|x| thousands(x.live_processes)).collect();
                let rss: Vec<String> = m.samples.iter().map(|x| mib(x.rss_kib)).collect();
                let _ = writeln!(
                    o,
                    "- {phase}, every {} events: live processes {}; RSS (MiB) {}",
                    thousands(m.samples[0].events),
                    live.join(", "),
                    rss.join(", ")
                );
            }
            if *phase == "engine" || *phase == "naive" {
                let _ = writeln!(
                    o,
                    "- {phase}: peak RSS - RSS with the events loaded = {} MiB (the engine's own share; a lower \
                     bound, as memory freed by consumed events is reused)",
                    mib(m.peak_kib.saturating_sub(m.rss_before_kib))
                );
            }
        }
    }
    for (phase, runs) in results.iter().filter(|(p, _)| *p == "imperative") {
        let m = fastest(runs);
        let live: Vec<String> = m.samples.iter().map(|x| thousands(x.live_processes)).collect();
        let rss: Vec<String> = m.samples.iter().map(|x| mib(x.rss_kib)).collect();
        let _ = writeln!(
            o,
            "- {phase}: {} processes held at the end; peak RSS - RSS with the events loaded = {} MiB; every tenth: \
             processes {}; RSS (MiB) {}",
            thousands(m.live_processes),
            mib(m.peak_kib.saturating_sub(m.rss_before_kib)),
            live.join(", "),
            rss.join(", ")
        );
    }
    let mut shown: Vec<(String, &Score)> = Vec::new();
    for (phase, s) in scores {
        match shown.iter_mut().find(|(_, t)| *t == s) {
            Some((name, _)) => *name = format!("{name} = {phase}"),
            None => shown.push((phase.to_string(), s)),
        }
    }
    for (phase, s) in shown {
        let _ = writeln!(
            o,
            "\nDetection ({phase}): recall **{}/{}** injected chains alerted ({:.1} %), precision **{}/{}** \
             alerts match a chain ({:.1} %), {} matched with a different link root.",
            s.found,
            s.injected,
            100.0 * s.recall(),
            s.matching,
            s.alerts,
            100.0 * s.precision(),
            s.wrong_root
        );
        for &i in &s.missed {
            let c = &chains[i];
            let _ = writeln!(o, "- missed: {} {:?} {} ({})", c.host, c.via, c.final_path, c.domain);
        }
        for (what, n) in &s.unexpected {
            let _ = writeln!(o, "- unexpected: {n} x {what}");
        }
        for e in &s.examples {
            let _ = writeln!(o, "  - e.g. {e}");
        }
    }
    o
}
