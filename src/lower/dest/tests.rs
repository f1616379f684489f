use proptest::prelude::*;

use super::*;
use crate::config::Config;
use crate::domain::{explain_with, FirstSeen};
use crate::stats::Classified;
use clickchain_adapters::Os;

fn profile(config: &Config) -> Profile {
    Profile::new(Os::Windows, &config.windows, config).unwrap()
}

fn lab_config() -> Config {
    let mut config = Config::default();
    config.windows.untrusted_cidrs = vec!["10.66.0.0/16".into(), "198.51.100.0/24".into()];
    config
}

/// A store whose warm-up never ends: nothing is newly observed, as in `clickchain domain`.
fn no_nod() -> NodStore {
    NodStore::Own(FirstSeen::new(i64::MAX, 1_000))
}

fn label() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z]{1,12}",
        "[a-z0-9]{6,24}",
        "[a-z]{1,5}-[a-z0-9]{1,5}-[a-z]{1,5}",
        "[a-zаеорсх]{3,9}",
        "[аеорсху]{3,8}",
        "(micr|paypal|apple|google)[оаеі]{0,2}",
        "[a-zäöüß]{2,10}",
        "[日本語銀行ソニー]{1,4}",
    ]
}

fn name() -> impl Strategy<Value = String> {
    let suffix = prop::sample::select(vec![
        "com",
        "top",
        "xyz",
        "org",
        "co.uk",
        "github.io",
        "duckdns.org",
        "microsoft.com",
        "рф",
        "jp",
        "de",
        "lab",
    ]);
    (prop::collection::vec(label(), 1..3), suffix).prop_map(|(labels, suffix)| format!("{}.{suffix}", labels.join(".")))
}

fn address() -> impl Strategy<Value = IpAddr> {
    prop_oneof![
        (0u8..=255, 0u8..=255).prop_map(|(c, d)| IpAddr::from([203, 0, c, d])),
        (0u8..=255, 0u8..=255).prop_map(|(c, d)| IpAddr::from([10, 66, c, d])),
        (0u8..=255, 0u8..=255).prop_map(|(c, d)| IpAddr::from([192, 168, c, d])),
        (0u8..=255).prop_map(|d| IpAddr::from([198, 51, 100, d])),
        Just(IpAddr::from([127, 0, 0, 1])),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// `clickchain domain` never disagrees with the engine's classification (one source of
    /// truth), with or without the address, cached or not.
    #[test]
    fn the_explanation_is_the_engines_decision(name in name(), ip in address(), twice in any::<bool>()) {
        let config = lab_config();
        let profile = profile(&config);
        let psl = Psl::vendored();
        let mut cache = DestCache::new(64);
        let mut nod = no_nod();
        let mut stats = Classified::default();
        let mut dest = cache.classify(&profile, psl, &mut nod, "", ip, Some(name.as_str()), 0, &mut stats);
        if twice {
            dest = cache.classify(&profile, psl, &mut nod, "", ip, Some(name.as_str()), 1, &mut stats);
        }
        match explain_with(&profile.risk, psl, Os::Windows, &name, Some(ip)) {
            Ok(v) => {
                prop_assert_eq!(v.untrusted, dest.untrusted);
                prop_assert_eq!(v.score, dest.risk);
                let reasons: Vec<Reason> = v.signals.iter().map(|s| s.reason).collect();
                prop_assert_eq!(&reasons, &dest.reasons);
                prop_assert_eq!(v.name, dest.domain.clone());
            }
            // A name the engine cannot parse is judged by its address alone, as explained for it.
            Err(_) => {
                let v = explain_with(&profile.risk, psl, Os::Windows, &ip.to_string(), None).unwrap();
                prop_assert_eq!(v.untrusted, dest.untrusted);
                prop_assert_eq!(v.score, dest.risk);
            }
        }
    }
}

#[test]
fn untrusted_cidrs_win_over_the_allowlists_and_are_counted() {
    let config = lab_config();
    let profile = profile(&config);
    let mut cache = DestCache::new(8);
    let mut stats = Classified::default();
    let lab: IpAddr = "10.66.3.4".parse().unwrap();
    let d =
        cache.classify(&profile, Psl::vendored(), &mut no_nod(), "", lab, Some("update.microsoft.com"), 0, &mut stats);
    assert!(d.untrusted);
    assert_eq!(d.reasons, [Reason::UntrustedCidr]);
    let d = cache.classify(&profile, Psl::vendored(), &mut no_nod(), "", lab, None, 0, &mut stats);
    assert!(d.untrusted, "a private address without a name too");
    assert_eq!(cache.len(), 0, "verdicts decided by the address are not cached by name");
    // The same name at another private address is allowlisted.
    let other: IpAddr = "10.1.2.3".parse().unwrap();
    let d = cache.classify(
        &profile,
        Psl::vendored(),
        &mut no_nod(),
        "",
        other,
        Some("update.microsoft.com"),
        0,
        &mut stats,
    );
    assert!(!d.untrusted);
    assert_eq!((stats.egress_untrusted_cidr, stats.egress_allowlisted, stats.egress_trusted_by_score), (2, 1, 0));
}

#[test]
fn allowlisted_and_trusted_by_score_are_counted_apart() {
    let config = Config::default();
    let profile = profile(&config);
    let mut cache = DestCache::new(8);
    let mut stats = Classified::default();
    let public: IpAddr = "203.0.113.5".parse().unwrap();
    for name in ["www.example.org", "www.example.org", "update.microsoft.com", "x-y-z.top"] {
        cache.classify(&profile, Psl::vendored(), &mut no_nod(), "", public, Some(name), 0, &mut stats);
    }
    assert_eq!((stats.egress_allowlisted, stats.egress_trusted_by_score), (1, 2), "cached verdicts count too");
}

#[test]
fn newly_observed_without_history_is_a_score_signal_and_counted() {
    let mut config = Config::default();
    config.engine.nod_warmup = std::time::Duration::from_secs(3_600);
    let profile = profile(&config);
    let ip: IpAddr = "203.0.113.5".parse().unwrap();
    let hour = 3_600_000;
    // A replay with no store: the warm-up passes, and later sites are new, but not untrusted.
    let mut replay = NodStore::Own(crate::lower::nod::new_store(&config));
    let mut cache = DestCache::new(8);
    let mut stats = Classified::default();
    cache.classify(&profile, Psl::vendored(), &mut replay, "", ip, Some("first.example.org"), 0, &mut stats);
    let d =
        cache.classify(&profile, Psl::vendored(), &mut replay, "", ip, Some("news.example.net"), 2 * hour, &mut stats);
    assert_eq!(d.reasons, [Reason::NewlyObservedNoHistory]);
    assert!(!d.untrusted);
    assert_eq!(d.risk, 25);
    assert_eq!(stats.nod_without_history, 1);
    // With a store that saw two hours before this run, the same site is untrusted.
    let mut seen = crate::lower::nod::new_store(&config);
    let saved = "{\"clickchain_first_seen\":1,\"start_ms\":0,\"last_ms\":7200000}\n{\"domain\":\"first.example.org\",\"first_ms\":0}\n";
    seen.read_from(saved.as_bytes(), std::path::Path::new("nod.ndjson")).unwrap();
    let mut warmed = NodStore::Own(seen);
    let d =
        cache.classify(&profile, Psl::vendored(), &mut warmed, "", ip, Some("news.example.net"), 3 * hour, &mut stats);
    assert_eq!(d.reasons, [Reason::NewlyObserved]);
    assert!(d.untrusted);
    assert_eq!(stats.nod_without_history, 1);
}

#[test]
fn newly_observed_is_untrusted_only_for_hosts_whose_history_the_store_holds() {
    let mut config = Config::default();
    config.engine.nod_warmup = std::time::Duration::from_secs(3_600);
    let profile = profile(&config);
    let ip: IpAddr = "203.0.113.5".parse().unwrap();
    let hour = 3_600_000;
    // Two hours of ws-a's egress; nothing of ws-b's.
    let mut seen = crate::lower::nod::new_store(&config);
    let saved = "{\"clickchain_first_seen\":2,\"start_ms\":0,\"last_ms\":7200000}\n\
                 {\"host\":\"ws-a\",\"start_ms\":0,\"last_ms\":7200000}\n\
                 {\"domain\":\"first.example.org\",\"first_ms\":0}\n";
    seen.read_from(saved.as_bytes(), std::path::Path::new("nod.ndjson")).unwrap();
    let mut store = NodStore::Own(seen);
    let mut cache = DestCache::new(8);
    let mut stats = Classified::default();
    let classify = |cache: &mut DestCache, store: &mut NodStore, stats: &mut Classified, host: &str, t: i64| {
        cache.classify(&profile, Psl::vendored(), store, host, ip, Some("news.example.net"), t, stats)
    };
    let on_b = classify(&mut cache, &mut store, &mut stats, "ws-b", 3 * hour);
    assert_eq!((on_b.reasons.as_slice(), on_b.untrusted), ([Reason::NewlyObservedNoHistory].as_slice(), false));
    assert_eq!(stats.nod_without_history, 1);
    let on_a = classify(&mut cache, &mut store, &mut stats, "ws-a", 3 * hour + 1);
    assert_eq!((on_a.reasons.as_slice(), on_a.untrusted), ([Reason::NewlyObserved].as_slice(), true));
    // Every classification widened its host's span, for the next run.
    store.with(|s| {
        let spans: Vec<(String, i64, i64)> = s.hosts().map(|(h, sp)| (h.to_owned(), sp.start_ms, sp.last_ms)).collect();
        assert!(spans.contains(&("ws-b".to_owned(), 3 * hour, 3 * hour)), "{spans:?}");
        assert!(spans.contains(&("ws-a".to_owned(), 0, 3 * hour + 1)), "{spans:?}");
    });
}
