//! The variant shapes as the rules expect them, checked on generated streams.

use std::collections::HashMap;

use clickchain_adapters::{AttrChange, Event, EventKind, FileOp, Os, ProcKey};

use crate::{generate, Anchor, Chain, DecoyKind, Evasions, Params, Stream, Variant};

fn with_variants(seed: u64) -> Params {
    Params {
        hosts: 3,
        events: 60_000,
        seed,
        chains_per_million: 100.0,
        evasions: Evasions::none(),
        variants: Variant::ALL.to_vec(),
        variant_chains: 4,
        ..Params::default()
    }
}

/// The process starts of a host: key → (image, command line, parent, time ms).
fn starts<'a>(s: &'a Stream, host: &str) -> Vec<(&'a ProcKey, &'a str, &'a str, Option<&'a ProcKey>, i64)> {
    s.events
        .iter()
        .filter(|e| e.host == host)
        .filter_map(|e| match &e.kind {
            EventKind::ProcessStart { proc, image, command_line, parent, .. } => {
                Some((proc, image.as_str(), command_line.as_deref().unwrap_or(""), parent.as_ref(), ms(e)))
            }
            _ => None,
        })
        .collect()
}

fn ms(e: &Event) -> i64 {
    e.time.timestamp_millis()
}

fn positives(s: &Stream, v: Variant) -> Vec<&Chain> {
    s.chains.iter().filter(|c| c.variant == Some(v)).collect()
}

/// A process starts with `image` on the chain's host within `hold` ms after its write.
fn runs_within(s: &Stream, c: &Chain, hold: i64, image: impl Fn(&str) -> bool) -> bool {
    starts(s, &c.host).iter().any(|&(_, i, _, _, t)| image(i) && t > c.write_ms && t - c.write_ms <= hold)
}

#[test]
fn every_variant_has_positives_naming_its_rule_and_near_misses() {
    let s = generate(&with_variants(3));
    for v in Variant::ALL {
        let pos = positives(&s, v);
        assert!(pos.len() >= 2, "{v}: {} positives", pos.len());
        assert!(pos.iter().all(|c| c.rules.contains(&v.as_str()) && v.applies_to(c.os)), "{v}");
        let near = s.decoys.iter().filter(|d| d.kind == DecoyKind::NearMiss(v)).count();
        assert!(near >= 2, "{v}: {near} near misses");
        for c in &pos {
            assert!(c.rules.windows(2).all(|w| w[0] < w[1]), "{:?}", c.rules);
            let base = !matches!(v, Variant::TerminalCradle | Variant::HtmlSmuggling);
            assert!(!base || c.rules.contains(&"chain"), "{v}: {:?}", c.rules);
            assert!(v != Variant::TerminalCradle || !c.rules.contains(&"chain"));
        }
    }
    // Same seed, same stream and labels.
    let again = generate(&with_variants(3));
    assert_eq!((&again.events, &again.chains, &again.decoys), (&s.events, &s.chains, &s.decoys));
    let labels = s.labels();
    let first = &labels["chains"].as_array().unwrap()[0];
    assert!(first["rules"].as_array().unwrap().iter().any(|r| r == "chain"), "{first}");
    assert!(first["rules_in"]["native"].is_array(), "{first}");
    assert!(labels["decoys"].as_array().unwrap().iter().any(|d| d["near_miss_of"] == "container-run"));
}

#[test]
fn office_lolbin_runs_a_lolbin_with_the_url_from_office_or_outlook() {
    let s = generate(&with_variants(5));
    for c in positives(&s, Variant::OfficeLolbin) {
        assert!(["WINWORD.EXE", "EXCEL.EXE", "POWERPNT.EXE", "OUTLOOK.EXE"].iter().any(|o| c.root_image.ends_with(o)));
        let procs = starts(&s, &c.host);
        let (lolbin, ..) = procs.iter().find(|p| p.2.contains(&c.url) && p.3 == Some(&c.root)).expect("LOLBIN child");
        let connects = s.events.iter().any(|e| matches!(&e.kind, EventKind::Connect { proc, .. } if proc == *lolbin));
        let writes = s.events.iter().any(
            |e| matches!(&e.kind, EventKind::FileWrite { proc, path, .. } if proc == *lolbin && *path == c.final_path),
        );
        assert!(connects && writes, "{c:?}");
        assert!(c.final_path.contains(r"\Users\"), "a user folder: {}", c.final_path);
    }
}

#[test]
fn terminal_cradle_anchors_on_the_shell_below_a_browser_terminal() {
    let s = generate(&with_variants(7));
    let pos = positives(&s, Variant::TerminalCradle);
    assert!(!pos.is_empty());
    for c in pos {
        assert_eq!((c.anchor, c.rules.as_slice()), (Anchor::Process, ["terminal-cradle"].as_slice()));
        let procs = starts(&s, &c.host);
        let by_key: HashMap<&ProcKey, &str> = procs.iter().map(|p| (p.0, p.1)).collect();
        let shell = procs.iter().find(|p| p.1 == c.final_path && p.4 == c.write_ms).expect("anchor shell");
        assert!(shell.2.contains("curl") || shell.2.contains("wget"), "{}", shell.2);
        let terminal = by_key[shell.3.expect("parent")];
        assert!(["terminal", "konsole", "xterm", "alacritty", "kitty"].iter().any(|t| terminal.contains(t)));
    }
}

#[test]
fn motw_and_quarantine_removed_then_run_within_the_hold() {
    let s = generate(&with_variants(9));
    for (v, attr) in [
        (Variant::MotwRemovedRun, AttrChange::MotwRemoved),
        (Variant::MacosQuarantineStripped, AttrChange::QuarantineRemoved),
    ] {
        let pos = positives(&s, v);
        assert!(!pos.is_empty(), "{v}");
        for c in pos {
            let removed = s.events.iter().find(
                |e| matches!(&e.kind, EventKind::FileAttr { path, attr: a, .. } if *path == c.final_path && *a == attr),
            );
            let removed = ms(removed.unwrap_or_else(|| panic!("{v}: no removal of {}", c.final_path)));
            let runs = |i: &str| match v {
                Variant::MotwRemovedRun => i == c.final_path,
                _ => i.starts_with("/Volumes/") || i.contains("/Downloads/"),
            };
            assert!(runs_within(&s, c, 10 * 60_000, runs), "{v}: {c:?}");
            let run = starts(&s, &c.host).into_iter().find(|p| runs(p.1) && p.4 > c.write_ms).map(|p| p.4);
            assert!(run.is_some_and(|r| r > removed), "{v}: the run follows the removal");
        }
    }
}

#[test]
fn container_run_starts_a_process_from_inside_the_container() {
    let s = generate(&with_variants(11));
    let inside = |i: &str| {
        i.contains(r"\Temp1_")
            || i.contains(r"\7zO")
            || i.starts_with("/Volumes/")
            || i.starts_with("/media/")
            || i.starts_with("/run/media/")
            || (i.len() > 2 && &i[1..3] == r":\" && !i.starts_with('C'))
            || i.contains("/Downloads/")
            || i.contains(r"\Downloads\")
    };
    let pos = positives(&s, Variant::ContainerRun);
    assert!(pos.iter().any(|c| c.os == Os::Windows) && pos.iter().any(|c| c.os == Os::Linux));
    for c in pos {
        assert!(crate::shapes::is_container(&c.final_path), "{}", c.final_path);
        assert!(runs_within(&s, c, 10 * 60_000, inside), "{c:?}");
    }
    // A volume run with no container download before it on its host.
    for d in s
        .decoys
        .iter()
        .filter(|d| d.kind == DecoyKind::NearMiss(Variant::ContainerRun) && !crate::shapes::is_container(&d.path))
    {
        let earlier = s.events.iter().any(|e| {
            e.host == d.host
                && ms(e) <= d.time_ms
                && matches!(&e.kind, EventKind::FileWrite { path, op: FileOp::Rename { .. }, .. } if crate::shapes::is_container(path))
        });
        assert!(!earlier, "{d:?}");
    }
}

#[test]
fn html_smuggling_payloads_come_from_blob_or_data_or_are_opened_html() {
    let s = generate(&with_variants(13));
    let pos = positives(&s, Variant::HtmlSmuggling);
    assert!(!pos.is_empty());
    for c in pos {
        let origin = s.events.iter().find_map(|e| match &e.kind {
            EventKind::FileWrite { path, origin: Some(o), .. } if *path == c.final_path => o.url.clone(),
            _ => None,
        });
        let origin = origin.expect("an origin");
        let html = ["html", "htm", "svg", "shtml", "xhtml"].contains(&crate::shapes::ext_of(&c.final_path).as_str());
        if html {
            assert!(c.rules == ["html-smuggling"], "{:?}", c.rules);
            assert!(starts(&s, &c.host).iter().any(|p| p.2.contains(&c.final_path)), "opened");
            let reached =
                s.events.iter().any(|e| matches!(&e.kind, EventKind::DnsAnswer { query, .. } if *query == c.domain));
            assert!(!reached, "the origin's domain is never reached");
        } else {
            assert!(origin.starts_with("blob:") || origin.starts_with("data:"), "{origin}");
            assert!(c.rules.contains(&"chain"));
        }
    }
}

/// `variant_chains` positives and as many near misses per variant on each host it applies to;
/// only the selected variants are injected.
#[test]
fn variant_chains_per_host_and_only_the_selected_variants() {
    let p = Params {
        variants: vec![Variant::OfficeLolbin, Variant::TerminalCradle],
        variant_chains: 3,
        ..with_variants(17)
    };
    let s = generate(&p);
    for v in [Variant::OfficeLolbin, Variant::TerminalCradle] {
        let hosts = s.hosts.iter().filter(|(_, os)| v.applies_to(*os)).count();
        assert_eq!(positives(&s, v).len(), 3 * hosts, "{v}");
        assert_eq!(s.decoys.iter().filter(|d| d.kind == DecoyKind::NearMiss(v)).count(), 3 * hosts, "{v}");
    }
    assert!(s.chains.iter().all(|c| matches!(c.variant, None | Some(Variant::OfficeLolbin | Variant::TerminalCradle))));
    assert!(s.decoys.iter().all(|d| !matches!(d.kind, DecoyKind::NearMiss(Variant::ContainerRun))));
}
