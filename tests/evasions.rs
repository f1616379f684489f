//! Evasions on record: each test is one row of `docs/evasions.md`, and pins its verdict:
//! caught (an alert) or a known limit (no alert, and why). A change of verdict fails here and
//! must be carried into the table.

#[path = "common/lines.rs"]
mod lines;

use clickchain::Config;
use lines::{connect, create, egress_and_write, firefox, linux_browser, run, run_at, Lines};

const FILE: &str = "/home/bob/Downloads/q3-report.sh";

/// The Linux chain with the connect naming `domain` (no DNS), the click on `url`.
fn chain_to(url: &str, domain: &str) -> Lines {
    let mut l = Lines::default();
    linux_browser(&mut l, 0, "h", url);
    egress_and_write(&mut l, 1_000, "h", 210, domain, FILE, 5_000);
    l
}

/// The same, with the egress an address reached without any name, and no URL on the click.
fn chain_to_ip(ip: &str) -> Lines {
    let mut l = Lines::default();
    linux_browser(&mut l, 0, "h", "");
    connect(&mut l, 1_000, "h", 210, ip, None);
    create(&mut l, 6_000, "h", 210, FILE, None);
    l
}

fn alerts(l: &Lines) -> Vec<String> {
    run(l).records.into_iter().filter(|r| r.starts_with("alert")).collect()
}

#[test]
fn control_plain_chain_is_caught() {
    assert_eq!(alerts(&chain_to("https://docs-share.top/q3", "docs-share.top")).len(), 1);
}

#[test]
fn idn_homograph_on_a_suspicious_tld_is_caught() {
    // Cyrillic "а" in "pаypal": the name is converted to punycode, then scored.
    let a = alerts(&chain_to("https://xn--pypal-4ve.top/login", "pаypal.top"));
    assert_eq!(a.len(), 1, "{a:?}");
    assert!(a[0].contains("domain=xn--pypal-4ve.top") || a[0].contains("domain=pаypal.top"), "{a:?}");
}

#[test]
fn idn_homograph_of_a_brand_on_com_is_caught() {
    // No risky TLD and no newly-observed history: the label folds to a listed brand.
    let a = alerts(&chain_to("https://xn--pypal-4ve.com/login", "pаypal.com"));
    assert_eq!(a.len(), 1, "{a:?}");
    assert!(a[0].contains("domain=xn--pypal-4ve.com"), "{a:?}");
}

#[test]
fn trailing_dot_is_caught() {
    assert_eq!(alerts(&chain_to("https://docs-share.top./q3", "docs-share.top.")).len(), 1);
}

#[test]
fn uppercase_is_caught() {
    assert_eq!(alerts(&chain_to("https://DOCS-SHARE.TOP/q3", "DOCS-SHARE.TOP")).len(), 1);
}

#[test]
fn public_ipv6_without_a_name_is_caught() {
    let a = alerts(&chain_to_ip("2a00:1450:4001:80b::200e"));
    assert_eq!(a.len(), 1, "{a:?}");
}

#[test]
fn ipv4_mapped_public_address_is_caught() {
    let a = alerts(&chain_to_ip("::ffff:203.0.113.77"));
    assert_eq!(a.len(), 1, "{a:?}");
}

#[test]
fn ipv4_mapped_private_address_stays_allowlisted() {
    assert!(alerts(&chain_to_ip("::ffff:10.20.30.40")).is_empty());
}

/// `https://trusted.com@evil.top/`: the host is after the `@`.
#[test]
fn url_userinfo_in_the_click_is_caught() {
    // No DNS and no name on the connect: the destination is named by the click URL's host.
    let mut l = Lines::default();
    linux_browser(&mut l, 0, "h", "https://www.microsoft.com@docs-share.top/q3");
    connect(&mut l, 1_000, "h", 210, "203.0.113.77", None);
    create(&mut l, 6_000, "h", 210, FILE, None);
    let a = alerts(&l);
    assert_eq!(a.len(), 1, "{a:?}");
    assert!(a[0].contains("domain=docs-share.top"), "{a:?}");
}

#[test]
fn url_userinfo_in_the_origin_is_caught() {
    // The file's origin pretends to be Microsoft's (allowlisted) before the `@`.
    let mut l = Lines::default();
    linux_browser(&mut l, 0, "h", "");
    connect(&mut l, 1_000, "h", 210, "203.0.113.77", Some("docs-share.top"));
    // 3 minutes later (beyond download_gap): only the origin can make the link strong.
    create(&mut l, 181_000, "h", 210, FILE, Some("https://download.microsoft.com@dl.docs-share.top/q3.sh"));
    let a = alerts(&l);
    assert_eq!(a.len(), 1, "{a:?}");
    assert!(a[0].starts_with("alert strong"), "{a:?}");
}

#[test]
fn download_to_a_non_standard_user_folder_is_a_known_limit() {
    // ~/Music is none of the Linux user paths.
    let mut l = Lines::default();
    linux_browser(&mut l, 0, "h", "https://docs-share.top/q3");
    egress_and_write(&mut l, 1_000, "h", 210, "docs-share.top", "/home/bob/Music/q3-report.sh", 5_000);
    assert!(alerts(&l).is_empty());
}

#[test]
fn download_to_tmp_with_a_risky_extension_is_caught() {
    let mut l = Lines::default();
    linux_browser(&mut l, 0, "h", "https://docs-share.top/q3");
    egress_and_write(&mut l, 1_000, "h", 210, "docs-share.top", "/tmp/q3-report.sh", 5_000);
    assert_eq!(alerts(&l).len(), 1);
}

/// A partial renamed through several names: Downloads/q.part -> ~/.local/share/q.dat (a user
/// path, not download-like) -> Downloads/q3-report.sh.
fn rename_chain(final_by: u32) -> Lines {
    let mut l = Lines::default();
    l.at(0, "h", "linux", r#""kind":"process_start","proc":1610,"image":"/usr/bin/bash""#);
    linux_browser(&mut l, 10, "h", "https://docs-share.top/q3");
    connect(&mut l, 1_000, "h", 210, "203.0.113.77", Some("docs-share.top"));
    l.at(2_000, "h", "linux", r#""kind":"file_write","proc":210,"path":"/home/bob/Downloads/q.part","op":"create""#);
    l.at(
        3_000,
        "h",
        "linux",
        r#""kind":"file_write","proc":210,"path":"/home/bob/.local/share/q.dat","op":"rename","from":"/home/bob/Downloads/q.part""#,
    );
    l.at(3_500, "h", "linux", r#""kind":"process_start","proc":1700,"parent":1610,"image":"/usr/bin/mv""#);
    l.at(
        4_000,
        "h",
        "linux",
        &format!(r#""kind":"file_write","proc":{final_by},"path":"{FILE}","op":"rename","from":"/home/bob/.local/share/q.dat""#),
    );
    l
}

#[test]
fn rename_chain_by_the_browser_is_caught() {
    let a = alerts(&rename_chain(210));
    assert_eq!(a.len(), 1, "{a:?}");
}

#[test]
fn rename_chain_finished_by_a_process_outside_the_lineage_is_a_known_limit() {
    // `mv` from the user's shell gives the file its final name: the writer is not the lineage.
    assert!(alerts(&rename_chain(1700)).is_empty());
}

#[test]
fn write_by_a_descendant_many_generations_down_is_caught() {
    let mut l = Lines::default();
    linux_browser(&mut l, 0, "h", "https://docs-share.top/q3");
    let mut parent = 210;
    for g in 0..300 {
        let pid = 5_000 + g;
        l.at(
            100 + i64::from(g),
            "h",
            "linux",
            &format!(r#""kind":"process_start","proc":{pid},"parent":{parent},"image":"/usr/bin/helper""#),
        );
        parent = pid;
    }
    egress_and_write(&mut l, 1_000, "h", parent, "docs-share.top", FILE, 5_000);
    assert_eq!(alerts(&l).len(), 1);
}

#[test]
fn download_by_a_lolbin_the_browser_launched_is_caught() {
    let mut l = Lines::default();
    linux_browser(&mut l, 0, "h", "https://docs-share.top/q3");
    l.at(
        500,
        "h",
        "linux",
        r#""kind":"process_start","proc":300,"parent":210,"image":"/usr/bin/bash","command_line":"bash -c curl""#,
    );
    l.at(600, "h", "linux", r#""kind":"process_start","proc":310,"parent":300,"image":"/usr/bin/curl","command_line":"curl -o /home/bob/Downloads/q3-report.sh https://docs-share.top/x""#);
    egress_and_write(&mut l, 1_000, "h", 310, "docs-share.top", FILE, 2_000);
    let a = alerts(&l);
    assert_eq!(a.len(), 1, "{a:?}");
    assert!(a[0].contains("lineage=thunderbird>firefox>bash>curl"), "{a:?}");
}

#[test]
fn dns_over_https_with_a_clicked_url_is_caught() {
    // No DNS events: the resolver is reached over HTTPS, then the server by address only.
    let mut l = Lines::default();
    linux_browser(&mut l, 0, "h", "https://docs-share.top/q3");
    connect(&mut l, 500, "h", 210, "1.1.1.1", None);
    connect(&mut l, 1_000, "h", 210, "203.0.113.77", None);
    create(&mut l, 6_000, "h", 210, FILE, None);
    let a = alerts(&l);
    assert_eq!(a.len(), 1, "{a:?}");
}

#[test]
fn dns_over_https_with_a_trusted_origin_is_a_known_limit() {
    // Nameless egress, and a file whose origin names a trusted site: the link is weak by design.
    let mut l = Lines::default();
    linux_browser(&mut l, 0, "h", "");
    connect(&mut l, 1_000, "h", 210, "203.0.113.77", None);
    create(&mut l, 6_000, "h", 210, FILE, Some("https://github.com/x/y/q3-report.sh"));
    assert!(alerts(&l).is_empty());
}

/// Click at 20 ms, egress 1 s later, the write `delay` ms after the click.
fn delayed(delay: i64) -> Lines {
    let mut l = Lines::default();
    linux_browser(&mut l, 0, "h", "https://docs-share.top/q3");
    connect(&mut l, 1_000, "h", 210, "203.0.113.77", Some("docs-share.top"));
    create(&mut l, 20 + delay, "h", 210, FILE, Some("https://docs-share.top/q3.sh"));
    l
}

#[test]
fn delay_just_inside_the_window_is_caught() {
    assert_eq!(alerts(&delayed(15 * 60_000)).len(), 1);
}

#[test]
fn delay_just_outside_the_window_is_a_known_limit() {
    assert!(alerts(&delayed(15 * 60_000 + 1)).is_empty());
}

/// The chain, then a busy minute; the connect is delivered `behind` ms behind the newest event.
fn delivered_late(behind: i64) -> (Lines, i64) {
    let mut l = Lines::default();
    linux_browser(&mut l, 0, "h", "https://docs-share.top/q3");
    l.at(1_000 + behind, "h", "linux", r#""kind":"process_start","proc":900,"parent":100,"image":"/usr/bin/ls""#);
    connect(&mut l, 1_000, "h", 210, "203.0.113.77", Some("docs-share.top"));
    create(&mut l, 20_000, "h", 210, FILE, None);
    let newest = l.newest();
    (l, newest)
}

#[test]
fn event_delivered_just_inside_allowed_lateness_is_caught() {
    let (l, newest) = delivered_late(5_000);
    let r = run_at(Config::default(), &l, newest);
    assert_eq!(r.stats.dropped.late, 0);
    assert_eq!(r.alerted().len(), 1, "{:?}", r.records);
}

#[test]
fn event_delivered_just_outside_allowed_lateness_is_a_known_limit() {
    let (l, newest) = delivered_late(5_001);
    let r = run_at(Config::default(), &l, newest);
    assert_eq!(r.stats.dropped.late, 1);
    assert!(r.alerted().is_empty(), "{:?}", r.records);
}

/// Five domains browsed after the warm-up, then the chain to a plain `.com` that only the
/// newly-observed signal makes untrusted. `capacity` is the store's.
fn after_browsing(capacity: usize) -> Vec<String> {
    let config = Config::from_toml_str(&format!("[engine]\nnod_warmup = \"0s\"\nnod_capacity = {capacity}\n"), "nod")
        .expect("valid configuration");
    let mut l = Lines::default();
    linux_browser(&mut l, 0, "h", "");
    for i in 0..5 {
        l.at(
            1_000 + i,
            "h",
            "linux",
            &format!(r#""kind":"connect","proc":210,"dst_ip":"203.0.113.{i}","dst_port":443,"domain":"site{i}.com""#),
        );
    }
    // Five minutes later: beyond download_gap, the earlier egress makes only weak links.
    egress_and_write(&mut l, 300_000, "h", 210, "toolkit-portal.com", FILE, 5_000);
    let now = l.newest() + 60_000;
    run_at(config, &l, now).records
}

#[test]
fn newly_observed_domain_store_filled_is_a_known_limit() {
    assert_eq!(after_browsing(100).len(), 1, "the control: a store with room");
    // A full store records no new domain and calls none new: filling it (here with 5 domains,
    // by default with 10^6) turns the signal off.
    let full = after_browsing(5);
    assert!(full.is_empty(), "{full:?}");
}

/// A page makes the browser reach 200 untrusted domains (past `max_egress_per_host`, here 50),
/// then a second Firefox window downloads from another untrusted domain.
#[test]
fn egress_flood_before_the_chain_is_caught() {
    let config = Config::from_toml_str("[engine]\nmax_egress_per_host = 50\n", "cap").expect("valid configuration");
    let mut l = Lines::default();
    linux_browser(&mut l, 0, "h", "https://news-digest.top/");
    for i in 0..200 {
        connect(&mut l, 1_000 + i * 10, "h", 210, "203.0.113.9", Some(&format!("ad{i}.top")));
    }
    firefox(&mut l, 10_000, "h", 300, 100);
    egress_and_write(&mut l, 11_000, "h", 300, "docs-share.top", FILE, 5_000);
    let now = l.newest() + 60_000;
    let r = run_at(config, &l, now);
    assert_eq!(r.stats.dropped.egress_cap, 151, "the oldest made room: {:?}", r.stats.dropped);
    let alerts: Vec<&String> = r.records.iter().filter(|x| x.contains("docs-share.top")).collect();
    assert_eq!(alerts.len(), 1, "{:?}", r.records);
}
