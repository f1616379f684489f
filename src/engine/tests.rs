//! Engine tests that need no input files.

use chrono::{DateTime, Utc};
use clickchain_adapters::native::NativeReader;

use super::Engine;
use crate::alert::Record;
use crate::config::Config;

/// A browser clicks, reaches an untrusted host, and a process `depth` generations below it
/// writes a download.
fn deep_chain(depth: u32) -> String {
    let mut lines = String::from(
        r#"{"time":"2024-06-29T09:05:00.000Z","host":"h","os":"linux","kind":"process_start","proc":1,"image":"/usr/lib/firefox/firefox","command_line":"/usr/lib/firefox/firefox https://a.top/x"}
{"time":"2024-06-29T09:05:01.000Z","host":"h","kind":"connect","proc":1,"dst_ip":"203.0.113.77","dst_port":443}
"#,
    );
    for n in 2..depth + 2 {
        lines.push_str(&format!(
            r#"{{"time":"2024-06-29T09:05:02.000Z","host":"h","kind":"process_start","proc":{n},"parent":{},"image":"/usr/bin/sh"}}"#,
            n - 1
        ));
        lines.push('\n');
    }
    lines.push_str(&format!(
        r#"{{"time":"2024-06-29T09:05:07.000Z","host":"h","kind":"file_write","proc":{},"path":"/home/a/Downloads/x.sh","op":"create"}}"#,
        depth + 1
    ));
    lines
}

#[test]
fn a_download_any_depth_below_the_browser_alerts() {
    for depth in [1, 100, 10_000] {
        let mut engine = Engine::new(Config::default()).unwrap();
        engine.set_now("2025-01-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap());
        for event in NativeReader::new("deep.ndjson", deep_chain(depth).as_bytes()) {
            engine.push(event.unwrap());
        }
        engine.finish();
        let alerts: Vec<_> = engine
            .drain()
            .into_iter()
            .filter_map(|r| match r {
                Record::Alert(a) => Some(a),
                Record::FollowOn(_) => None,
            })
            .collect();
        assert_eq!(alerts.len(), 1, "depth {depth}");
        assert_eq!(alerts[0].lineage.len(), depth as usize + 1, "the whole lineage, browser first");
        assert_eq!(alerts[0].lineage[0], "/usr/lib/firefox/firefox");
    }
}
