//! How long the engine keeps processes: ended ones that nothing refers to leave after a short
//! grace, whatever the correlation window, so memory does not grow with the window;
//! the processes a chain needs are kept by its facts and still alert.

use chrono::{DateTime, Utc};
use clickchain::{Config, Engine, Record};
use clickchain_adapters::native::NativeReader;

const T0: i64 = 1_719_651_600_000; // 2024-06-29T09:00:00Z

fn config(window_minutes: u32) -> Config {
    let gap = window_minutes.min(2);
    let mut text = String::new();
    for os in ["windows", "linux", "macos"] {
        text.push_str(&format!("[{os}]\ntime_window = \"{window_minutes}m\"\ndownload_gap = \"{gap}m\"\n\n"));
    }
    Config::from_toml_str(&text, "test").expect("valid configuration")
}

fn line(ms: i64, body: &str) -> String {
    format!("{{\"time\":{},\"host\":\"dev-laptop\",\"os\":\"linux\",{body}}}\n", T0 + ms)
}

const SHELL: &str = r#""kind":"process_start","proc":100,"image":"/usr/bin/bash""#;

/// From `from` ms on, for `seconds`, the shell (pid 100) runs one short command a second.
fn churn(from: i64, seconds: i64) -> String {
    let mut s = String::new();
    for i in 0..seconds {
        let (pid, t) = (1_000 + i, from + i * 1_000);
        s += &line(t, &format!(r#""kind":"process_start","proc":{pid},"parent":100,"image":"/usr/bin/ls""#));
        s += &line(t + 500, &format!(r#""kind":"process_end","proc":{pid}"#));
    }
    s
}

/// Runs `lines` and returns the most processes held at any time, and the records.
fn run(config: Config, lines: &str) -> (usize, Vec<Record>) {
    let mut engine = Engine::new(config).expect("engine");
    engine.set_now("2025-01-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap());
    let mut most = 0;
    for event in NativeReader::new("t", lines.as_bytes()) {
        engine.push(event.expect("valid line"));
        most = most.max(engine.live_processes());
    }
    engine.finish();
    (most, engine.drain())
}

#[test]
fn ended_processes_leave_whatever_the_window() {
    let lines = line(0, SHELL) + &churn(1_000, 2_400);
    let (short, _) = run(config(1), &lines);
    let (long, _) = run(config(60), &lines);
    // One command a second, each kept for the grace (2 min) plus the lateness and up to one
    // sweep interval (1 min): about 185, not the 2,400 of a 60-minute window.
    assert!(long <= 200, "{long} processes held with a 60-minute window");
    assert_eq!(short, long, "the window does not decide how many processes are held");
}

#[test]
fn a_chain_whose_processes_ended_long_ago_still_alerts() {
    // The browser resolves, connects and downloads, then ends; 10 minutes and 580 other
    // processes later (far past the grace, within the window) bash runs the download: it is the
    // alert's follow-on (the alert pins what it names).
    let mut s = line(0, SHELL);
    s += &line(1_000, r#""kind":"process_start","proc":200,"parent":100,"image":"/usr/lib/thunderbird/thunderbird""#);
    s += &line(
        2_000,
        r#""kind":"process_start","proc":210,"parent":200,"image":"/usr/lib/firefox/firefox","command_line":"/usr/lib/firefox/firefox https://docs-share.xyz/d/q3""#,
    );
    s += &line(3_000, r#""kind":"dns_answer","query":"docs-share.xyz","answers":["198.51.100.66"]"#);
    s += &line(3_300, r#""kind":"connect","proc":210,"dst_ip":"198.51.100.66","dst_port":443"#);
    s += &line(5_000, r#""kind":"file_write","proc":210,"path":"/home/bob/Downloads/q3-report.sh","op":"create""#);
    s += &line(6_000, r#""kind":"process_end","proc":210"#);
    s += &churn(10_000, 580);
    s += &line(
        600_000,
        r#""kind":"process_start","proc":9000,"parent":100,"image":"/usr/bin/bash","command_line":"bash /home/bob/Downloads/q3-report.sh""#,
    );
    let (_, records) = run(config(15), &s);
    let kinds: Vec<String> = records
        .iter()
        .map(|r| match r {
            Record::Alert(a) => a.lineage.join(" > "),
            Record::FollowOn(f) => f.kind.to_string(),
        })
        .collect();
    assert_eq!(
        kinds,
        ["/usr/lib/thunderbird/thunderbird > /usr/lib/firefox/firefox", "lolbin_with_file"],
        "{records:?}"
    );
}
