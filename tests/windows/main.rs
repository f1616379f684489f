//! Real Windows logs: each input goes through `--format auto` detection
//! (`clickchain::input::open`), the Windows adapter and the engine at default settings.
//!
//! Fixtures in `tests/data/windows/` are permissively licensed copies (see ATTRIBUTION.md
//! there). The Sigma regression events (DRL 1.1) and the larger OTRF recording are read from
//! `../shared/data/windows` (see `tests/common/shared_data.rs` for when they are skipped).
//!
//! `damaged.rs`: EVTX files cut short or corrupted; `linux.rs`: Sysmon for Linux;
//! `lineage.rs`: parents that started before the log.
//!
//! Pinned counts were checked against an independent count of the same files (a Python pass
//! over the raw records by EventID, Channel, `Initiated`, `QueryResults` and `TargetFilename`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use clickchain::input::{self, InputOptions};
use clickchain::{Config, Engine, Record};
use clickchain_adapters::winevent::TallyData;
use clickchain_adapters::{AttrChange, Event, EventKind, ProcKey};
use shared_data::shared_data;

#[path = "../common/shared_data.rs"]
mod shared_data;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/windows").join(name)
}

/// A file of ../shared/data/windows (see `shared_data`).
fn shared(rel: &str) -> Option<PathBuf> {
    shared_data(&format!("windows/{rel}"))
}

/// Everything one input gave.
struct Outcome {
    events: Vec<Event>,
    rejected: Vec<String>,
    rejected_by_reason: BTreeMap<&'static str, u64>,
    tally: TallyData,
}

impl Outcome {
    fn kinds(&self) -> BTreeMap<&'static str, u64> {
        let mut m = BTreeMap::new();
        for e in &self.events {
            *m.entry(e.kind.tag()).or_default() += 1;
        }
        m
    }

    fn skipped(&self) -> Vec<(&'static str, u64)> {
        self.tally.skipped.iter().map(|(k, v)| (*k, *v)).collect()
    }
}

fn read(path: &Path) -> Outcome {
    let opened = input::open(path, &InputOptions::default(), Arc::new(AtomicU64::new(0))).unwrap();
    // An EVTX file whose header cannot be read is one error and no reader (no tally).
    let tally_handle = opened.tally;
    let mut out = Outcome {
        events: Vec::new(),
        rejected: Vec::new(),
        rejected_by_reason: BTreeMap::new(),
        tally: TallyData::default(),
    };
    for r in opened.records {
        match r {
            Ok(e) => out.events.push(e),
            Err(e) => {
                *out.rejected_by_reason.entry(e.reason()).or_default() += 1;
                out.rejected.push(e.to_string());
            }
        }
    }
    out.tally = tally_handle.map(|t| t.snapshot()).unwrap_or_default();
    out
}

/// The engine's records for these events at default settings.
fn alerts(events: &[Event]) -> Vec<Record> {
    run_engine(events).0
}

/// The engine's records and counters for these events at default settings.
fn run_engine(events: &[Event]) -> (Vec<Record>, clickchain::Stats) {
    let mut engine = Engine::new(Config::default()).unwrap();
    engine.set_now("2030-01-01T00:00:00Z".parse().unwrap());
    for e in events {
        engine.push(e.clone());
    }
    engine.finish();
    assert_eq!(engine.stats().dropped.late, 0, "the reader's reorder buffer keeps these inputs in order");
    let records = engine.drain();
    (records, engine.stats().clone())
}

fn t(s: &str) -> DateTime<Utc> {
    clickchain_adapters::native::parse_time(s).unwrap()
}

fn image_of<'a>(events: &'a [Event], proc: &ProcKey) -> Option<&'a str> {
    events.iter().find_map(|e| match &e.kind {
        EventKind::ProcessStart { proc: p, image, .. } if p == proc => Some(image.as_str()),
        _ => None,
    })
}

/// Process starts of an image (case-insensitive suffix), as (time, key, parent image).
fn starts_of<'a>(events: &'a [Event], suffix: &str) -> Vec<(DateTime<Utc>, &'a ProcKey, Option<&'a str>)> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::ProcessStart { proc, parent, image, .. }
                if image.to_lowercase().ends_with(&suffix.to_lowercase()) =>
            {
                Some((e.time, proc, parent.as_ref().and_then(|p| image_of(events, p))))
            }
            _ => None,
        })
        .collect()
}

fn motw_removals(events: &[Event]) -> Vec<(DateTime<Utc>, &str, Option<&str>)> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::FileAttr { proc, path, attr: AttrChange::MotwRemoved } => {
                Some((e.time, path.as_str(), image_of(events, proc)))
            }
            _ => None,
        })
        .collect()
}

/// BUILT_BY: the expected counts of built starts were computed apart from the reader, by a
/// Python one-off over each file's records: (GUIDs of mapped non-start Sysmon events that name
/// an `Image`, plus parent GUIDs of EID 1 records that name a `ParentImage`) less the GUIDs of
/// EID 1 records. Its actor-only counts equal the counts pinned before parents were built.
/// Creators from a 4688's `ParentProcessName`: another one-off, over the 4688s in time order
/// (`TimeCreated` plus the file's clock offset), counts the creator pids that no record named
/// at or before that time (a Sysmon record's `ProcessId` or EID 1 `ParentProcessId`, a 4688's
/// `NewProcessId`, a 4689's `ProcessId`, an earlier creator): auditpol 3, the others none.
const PAYLOAD: &str = r"C:\Users\pedro\Downloads\payload.exe";

#[test]
fn otrf_auditpol_motw_removed_then_payload_runs_from_downloads() {
    let o = read(&fixture("slim_auditpol_system_user_auditpolicy_modification.jsonl"));
    assert_eq!(o.tally.records, 96);
    assert!(o.rejected.is_empty(), "{:?}", o.rejected);
    assert_eq!(o.skipped(), [("dns_no_address", 2), ("file_delete", 12)]);
    assert_eq!(
        o.kinds(),
        BTreeMap::from([
            ("connect", 2),
            ("file_attr", 1),
            ("file_write", 14),
            ("process_end", 26),
            ("process_start", 46)
        ])
    );
    // 39 starts logged + 7 built: 3 for processes first seen mid-life (Explorer among them), 1
    // for a parent first seen in its child's `ParentImage`, 3 for creators first seen in their
    // child's 4688 (`ParentProcessName`; BUILT_BY below).
    assert_eq!(o.tally.starts_built, 7);
    let creators: Vec<(u32, &str)> = o
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::ProcessStart { proc: ProcKey::Pid(pid), parent: None, image, .. } => {
                Some((*pid, image.as_str()))
            }
            _ => None,
        })
        .collect();
    let svchost = r"C:\Windows\System32\svchost.exe";
    assert_eq!(creators, [(768, svchost), (600, r"C:\Windows\System32\services.exe"), (1696, svchost)]);
    // Step: Explorer deletes the MotW (SmartScreen / "Unblock") …
    let removals = motw_removals(&o.events);
    assert_eq!(removals.len(), 1);
    assert_eq!(removals[0].0, t("2022-08-18 13:56:18.445"));
    assert_eq!(removals[0].1, format!("{PAYLOAD}:Zone.Identifier"));
    // … then the file runs from Downloads, seen by Sysmon (GUID) and by Security 4688 (pid):
    // once TimeCreated's local time (+7 h) is corrected the two agree to within a second.
    let runs = starts_of(&o.events, PAYLOAD);
    assert_eq!(runs.len(), 2, "{runs:?}");
    // Sysmon names it by GUID and pid (3432), Security by the pid alone (0xd68).
    assert!(runs.iter().any(|(_, k, _)| matches!(k, ProcKey::IdAndPid(_, 3432))));
    assert!(runs.iter().any(|(_, k, _)| matches!(k, ProcKey::Pid(3432))));
    for (time, _, _) in &runs {
        assert!((*time - t("2022-08-18 13:56:26.334")).num_milliseconds().abs() < 1000, "{time}");
    }
    assert_eq!(o.tally.warnings.len(), 1, "{:?}", o.tally.warnings);
    assert!(o.tally.warnings[0].contains("+7.00h"), "{:?}", o.tally.warnings);
    // No download was recorded: nothing to alert on.
    assert!(alerts(&o.events).is_empty());
}

#[test]
fn otrf_wevtutil_stale_connect_times_and_edge_background_noise() {
    let o = read(&fixture("slim_cmd_wevtutil_modify_security_eventlog_path.jsonl"));
    assert_eq!(o.tally.records, 706);
    assert!(o.rejected.is_empty(), "{:?}", o.rejected);
    assert_eq!(
        o.skipped(),
        [("dns_no_address", 5), ("file_delete", 163), ("inbound_connection", 29), ("other_provider", 1)]
    );
    assert_eq!(
        o.kinds(),
        BTreeMap::from([
            ("connect", 83),
            ("dns_answer", 26),
            ("file_attr", 1),
            ("file_write", 318),
            ("process_end", 42),
            ("process_start", 63)
        ])
    );
    let removals = motw_removals(&o.events);
    assert_eq!(
        removals.iter().map(|r| (r.0, r.1.to_owned())).collect::<Vec<_>>(),
        [(t("2022-07-05 21:00:51.159"), format!("{PAYLOAD}:Zone.Identifier"))]
    );
    let runs = starts_of(&o.events, PAYLOAD);
    let sysmon_run = runs.iter().find(|(_, k, _)| matches!(k, ProcKey::IdAndPid(..))).expect("payload.exe EID 1");
    assert_eq!(sysmon_run.0, t("2022-07-05 21:00:55.183"));
    // payload.exe's connections carry UtcTime 2022-07-01 (stale after a snapshot restore); from
    // TimeCreated + the estimated +19 h they land after the process started, not 4 days before.
    let connects: Vec<DateTime<Utc>> = o
        .events
        .iter()
        .filter(|e| matches!(&e.kind, EventKind::Connect { proc, .. } if proc == sysmon_run.1))
        .map(|e| e.time)
        .collect();
    assert!(!connects.is_empty());
    for c in &connects {
        let after = (*c - sysmon_run.0).num_seconds();
        assert!((0..3600).contains(&after), "connect at {c}, {after} s after the start");
    }
    assert!(o.tally.warnings[0].contains("+19.00h"), "{:?}", o.tally.warnings);
    // Edge runs in the background (DNS for msn.com, edge.microsoft.com …): its 28 outbound
    // connections are named from its EID 22 answers (both carry the stale UtcTime, both are
    // re-timed from TimeCreated) and are all to allowlisted names. No alert.
    let (records, stats) = run_engine(&o.events);
    assert!(records.is_empty());
    assert_eq!((stats.classified.egress_trusted, stats.classified.egress_untrusted), (28, 0));
}

#[test]
fn otrf_cmd_disable_payload_seen_by_sysmon_and_4688() {
    const PAYLOAD: &str = r"C:\Users\IT01-Pedro\Downloads\payload.exe";
    let o = read(&fixture("slim_cmd_disable_eventlog_service_startuptype_modification_via_registry.jsonl"));
    assert_eq!(o.tally.records, 51);
    assert!(o.rejected.is_empty(), "{:?}", o.rejected);
    assert_eq!(o.skipped(), [("dns_no_address", 3), ("file_delete", 5)]);
    assert_eq!(
        o.kinds(),
        BTreeMap::from([
            ("connect", 2),
            ("file_attr", 1),
            ("file_write", 14),
            ("process_end", 10),
            ("process_start", 22)
        ])
    );
    // 4 for actors first seen mid-life, 2 for parents (BUILT_BY below).
    assert_eq!(o.tally.starts_built, 6);
    let runs = starts_of(&o.events, PAYLOAD);
    assert_eq!(runs.len(), 2);
    assert!((runs[0].0 - runs[1].0).num_milliseconds().abs() < 1000, "{runs:?}");
    assert_eq!(motw_removals(&o.events).len(), 1);
    assert!(alerts(&o.events).is_empty());
}

#[test]
fn otrf_mshta_lolbin_without_link_or_download_is_quiet() {
    let o = read(&fixture("slim_cmd_mshta_javascript_getobject_sct_2020-10-2202214475.jsonl"));
    assert_eq!(o.tally.records, 24);
    assert!(o.rejected.is_empty(), "{:?}", o.rejected);
    assert_eq!(o.skipped(), [("file_delete", 1), ("no_process_guid", 2)]);
    assert_eq!(o.kinds(), BTreeMap::from([("file_write", 5), ("process_end", 6), ("process_start", 14)]));
    assert!(alerts(&o.events).is_empty());
}

#[test]
fn sysmon_evtx_unused_tail_chunks_and_benign_firefox_download() {
    let o = read(&fixture("sysmon.evtx"));
    // 358 readable records (PROVENANCE.md) + 8 trailing chunks never written (no chunk magic),
    // each counted as skipped, not rejected.
    assert_eq!(o.tally.records, 366);
    assert!(o.rejected.is_empty(), "{:?}", o.rejected);
    // 1=227 mapped; 10, 12, 13, 16 (93) not; EID 11 on the MotW stream is not a file.
    assert_eq!(o.skipped(), [("stream_create", 1), ("unmapped_event_id", 93), ("unused_evtx_chunk", 8)]);
    assert_eq!(o.kinds(), BTreeMap::from([("connect", 2), ("file_write", 35), ("process_start", 238)]));
    // 227 logged + 11 built (BUILT_BY below): 4 for actors first seen mid-life (Firefox ran
    // before the log starts, so its writes count as a browser's: 3 download-like writes reach
    // the engine; none follows an untrusted egress) and 7 for parents.
    assert_eq!(o.tally.starts_built, 11);
    let firefox = starts_of(&o.events, r"\firefox.exe");
    assert_eq!(firefox.len(), 1);
    // EVTX's Sysmon records name processes by GUID and pid, as the JSON shapes do.
    assert!(matches!(firefox[0].1, ProcKey::IdAndPid(..)), "{:?}", firefox[0].1);
    let starts = o.events.iter().filter(|e| matches!(e.kind, EventKind::ProcessStart { .. }));
    assert!(starts.clone().all(|e| matches!(&e.kind, EventKind::ProcessStart { proc: ProcKey::IdAndPid(..), .. })));
    assert_eq!(starts.count(), 238);
    // The download: Firefox writes ProcessMonitor.zip in Downloads, then its MotW stream.
    let zip = r"C:\Users\tony\Downloads\ProcessMonitor.zip";
    let writes: Vec<DateTime<Utc>> = o
        .events
        .iter()
        .filter(|e| matches!(&e.kind, EventKind::FileWrite { path, .. } if path == zip))
        .map(|e| e.time)
        .collect();
    assert_eq!(writes, [t("2017-12-26 13:17:52.735"), t("2017-12-26 13:17:52.891"), t("2017-12-26 13:17:52.907")]);
    assert!(o.events.iter().all(|e| e.host == "DESKTOP-2KGM189"));
    // A benign download from a well-known site and an updater: no alert at default settings.
    assert!(alerts(&o.events).is_empty(), "{:?}", alerts(&o.events));
}

/// The same records through EVTX, XML and JSON must give the same events.
fn same_events(a: &[Event], b: &[Event]) {
    // pyevtx renders SystemTime with 6 fractional digits, the evtx crate with 7.
    let key = |e: &Event| (e.time.timestamp_micros(), e.host.clone(), e.os, e.kind.clone());
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(b) {
        assert_eq!(key(x), key(y), "{} vs {}", x.source, y.source);
    }
}

#[test]
fn sysmon_evtx_and_its_xml_rendering_agree() {
    let Some(xml) = shared("ocsf-examples/sysmon.records.xml") else { return };
    let from_xml = read(&xml);
    assert!(from_xml.rejected.is_empty());
    same_events(&read(&fixture("sysmon.evtx")).events, &from_xml.events);
}

#[test]
fn sigma_regression_events_agree_across_evtx_json_and_xml() {
    let Some(root) = shared("sigma-regression") else { return };
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root).unwrap().map(|e| e.unwrap().path()).collect();
    dirs.sort();
    assert_eq!(dirs.len(), 7);
    let mut total = 0;
    for dir in dirs {
        let mut by_ext: BTreeMap<String, PathBuf> = BTreeMap::new();
        for f in std::fs::read_dir(&dir).unwrap() {
            let p = f.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            let ext = if name.ends_with(".records.xml") {
                "xml".to_owned()
            } else {
                name.rsplit('.').next().unwrap().to_owned()
            };
            by_ext.insert(ext, p);
        }
        let evtx = read(&by_ext["evtx"]);
        let json = read(&by_ext["json"]);
        let xml = read(&by_ext["xml"]);
        assert!(evtx.rejected.is_empty() && json.rejected.is_empty() && xml.rejected.is_empty(), "{dir:?}");
        // The .json holds the one matching record; the .evtx and .xml hold the whole log.
        // (plus a start built for its process when the log has no EID 1 for it)
        assert_eq!(json.events.len() as u64, 1 + json.tally.starts_built, "{dir:?}");
        let record = json.events.last().unwrap();
        assert!(evtx.events.iter().any(|e| (e.time, &e.kind) == (record.time, &record.kind)), "{dir:?}");
        same_events(&evtx.events, &xml.events);
        total += evtx.events.len();
    }
    assert!(total >= 7);
}

#[test]
fn sigma_browser_handling_a_link_is_an_observed_click_url() {
    let Some(dir) = shared("sigma-regression/proc_creation_win_browsers_inline_file_download") else { return };
    let json = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "json"))
        .unwrap();
    let o = read(&json);
    // The one record, after the start built for its parent from its `ParentImage`.
    assert_eq!(o.events.len(), 2);
    let EventKind::ProcessStart { image: parent_image, parent: None, .. } = &o.events[0].kind else { panic!() };
    assert_eq!(parent_image, r"C:\Windows\System32\cmd.exe");
    let EventKind::ProcessStart { image, command_line: Some(cmd), parent: Some(_), .. } = &o.events[1].kind else {
        panic!()
    };
    assert!(image.ends_with("msedge.exe"));
    assert!(cmd.contains("\"http://10.0.1.14/malware.zip\""));
}

#[test]
fn otrf_covenant_edge_backup_motw_is_parsed_and_quiet() {
    let Some(p) = shared("otrf-security-datasets/slim_covenant_dcom_iertutil_dll_hijack_2020-10-09183000.jsonl") else {
        return;
    };
    let o = read(&p);
    assert_eq!(o.tally.records, 2356);
    assert!(o.rejected.is_empty(), "{:?}", &o.rejected[..o.rejected.len().min(3)]);
    // EID 15 `Contents` exported by nxlog: CRLF became two spaces.
    let origins = o
        .events
        .iter()
        .filter(|e| matches!(&e.kind, EventKind::FileWrite { origin: Some(o), .. } if o.zone == Some(3)))
        .count();
    assert!(origins > 0);
    assert!(alerts(&o.events).is_empty());
}

mod damaged;
mod lineage;
mod linux;

/// Sysmon EID 1 and Security 4688 of one process become one process in the engine (joined by
/// pid, image and time). The expected counts are the 4688 records with an EID 1 of the same pid
/// and image within 10 s, once the file's clock shift is applied: counted from the JSON with a
/// Python one-off, not from the engine (auditpol's audiodg.exe has no EID 1). covenant's
/// Security log trails Sysmon by up to 6.2 s.
#[test]
fn otrf_sysmon_and_4688_starts_join_into_one_process() {
    let covenant = shared("otrf-security-datasets/slim_covenant_dcom_iertutil_dll_hijack_2020-10-09183000.jsonl");
    let files = [
        (Some(fixture("slim_cmd_wevtutil_modify_security_eventlog_path.jsonl")), 7),
        (Some(fixture("slim_auditpol_system_user_auditpolicy_modification.jsonl")), 19),
        (Some(fixture("slim_cmd_disable_eventlog_service_startuptype_modification_via_registry.jsonl")), 8),
        (Some(fixture("slim_cmd_mshta_javascript_getobject_sct_2020-10-2202214475.jsonl")), 5),
        (covenant, 35),
    ];
    for (path, twins) in files {
        let Some(path) = path else { continue };
        let o = read(&path);
        let (_, stats) = run_engine(&o.events);
        assert_eq!(stats.classified.joined_starts, twins, "{}", path.display());
        assert_eq!(stats.anomalies.duplicate_start, 0, "{}", path.display());
    }
}
