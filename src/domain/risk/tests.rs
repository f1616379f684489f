use super::*;
use crate::domain::Psl;

const HOUR: i64 = 3_600_000;

fn name(s: &str) -> DomainName {
    Psl::vendored().parse(s).unwrap()
}

fn policy() -> RiskPolicy {
    RiskPolicy::new(RiskSettings::default()).unwrap()
}

/// Lexical score only: the store is in its warm-up, so nothing is newly observed.
fn assess_warm(p: &RiskPolicy, n: &str) -> Verdict {
    let mut fs = FirstSeen::new(HOUR, 1000);
    p.assess(Destination { ip: None, name: Some(&name(n)) }, &mut fs, 0)
}

fn assess_ip(p: &RiskPolicy, ip: &str) -> Verdict {
    let mut fs = FirstSeen::new(0, 1000);
    p.assess(Destination { ip: Some(ip.parse().unwrap()), name: None }, &mut fs, 0)
}

#[test]
fn example_scores() {
    let p = policy();
    let bad = assess_warm(&p, "login-update-secure-account.top");
    assert_eq!(bad.score, 65, "{bad:?}");
    assert_eq!(bad.reasons, [Reason::SuspiciousTld, Reason::ManyHyphens, Reason::LongName, Reason::RiskAtThreshold]);
    assert!(bad.untrusted && !bad.allowlisted);

    let dga = assess_warm(&p, "x7kq2m9vz4hd1w.com");
    assert_eq!(dga.score, 65, "{dga:?}");
    assert_eq!(dga.reasons, [Reason::HighEntropy, Reason::ManyDigits, Reason::RiskAtThreshold]);
    assert!(dga.untrusted);

    for benign in ["github.com", "microsoft.com", "example.org", "wikipedia.org", "mozilla.net"] {
        let v = assess_warm(&p, benign);
        assert!(v.score <= 20, "{benign}: {v:?}");
        assert!(!v.untrusted, "{benign}: {v:?}");
    }
    for benign in ["github.com", "example.org", "wikipedia.org", "mcdonalds.com", "office365.com"] {
        assert!(assess_warm(&p, benign).score <= 25, "{benign}");
    }
    // microsoft.com and mozilla.net are allowlisted outright.
    assert!(assess_warm(&p, "microsoft.com").allowlisted);
    assert!(assess_warm(&p, "mozilla.net").allowlisted);
    // With the allowlists emptied they are still scored low.
    let bare = RiskPolicy::new(RiskSettings { allowed_cdns: vec![], ..RiskSettings::default() }).unwrap();
    assert_eq!(assess_warm(&bare, "microsoft.com").score, 0);
    assert_eq!(assess_warm(&bare, "mozilla.net").score, 0);
}

#[test]
fn individual_signals() {
    let p = policy();
    let v = assess_warm(&p, "foo.duckdns.org");
    assert_eq!((v.score, v.reasons.as_slice()), (30, &[Reason::DynamicDns][..]));
    assert!(!v.untrusted, "dynamic DNS alone is below the threshold");
    // FreeDNS names are not PSL suffixes: matched as parent domains.
    assert!(assess_warm(&p, "x.freedns.afraid.org").has(Reason::DynamicDns));
    assert!(!assess_warm(&p, "afraid.org").has(Reason::DynamicDns));

    // A Cyrillic "а" among Latin letters spelling apple: a lookalike on both counts.
    let v = assess_warm(&p, "xn--pple-43d.com");
    let lookalike = [Reason::Punycode, Reason::MixedScript, Reason::BrandLookalike, Reason::RiskAtThreshold];
    assert_eq!((v.score, v.reasons.as_slice()), (100, &lookalike[..]));
    assert!(v.untrusted);
    assert!(assess_warm(&p, "xn--80ak6aa92e.com").has(Reason::BrandLookalike));
    // A single-script IDN that spells no brand is only punycode.
    let v = assess_warm(&p, "www.xn--mnchen-3ya.de");
    assert_eq!((v.score, v.reasons.as_slice()), (20, &[Reason::Punycode][..]));

    assert_eq!(assess_warm(&p, "a-b-c.net").reasons, [Reason::ManyHyphens]);
    assert!(assess_warm(&p, "a-b.net").reasons.is_empty());
    assert_eq!(assess_warm(&p, "abcdefghijabcdefghijab.net").reasons, [Reason::LongName]);
    assert!(assess_warm(&p, "abcdefghijabcdefghij.net").reasons.is_empty(), "20 chars");
    assert_eq!(assess_warm(&p, "shop123.net").reasons, [Reason::ManyDigits]);
    assert!(assess_warm(&p, "shop12.net").reasons.is_empty());
    // Only the registrable label is scored, not random-looking subdomains.
    assert!(assess_warm(&p, "x7kq2m9vz4hd1w.example.org").reasons.is_empty());
    // Suspicious TLD also below a public-suffix rule of that TLD.
    assert!(assess_warm(&p, "a.b.cf").has(Reason::SuspiciousTld));
    let v = assess_warm(&p, "bit.top");
    assert_eq!(v.score, 30);
    assert!(v.untrusted, "a suspicious TLD is untrusted whatever the score");
}

#[test]
fn score_is_capped_at_100() {
    let p = policy();
    let v = assess_warm(&p, "q7x-k2z-9vw4-mn8b-zzq1x.top");
    let sum: u32 = v.reasons.iter().map(|r| u32::from(r.weight())).sum();
    assert!(sum > 100, "{v:?}");
    assert_eq!(v.score, 100);
}

#[test]
fn allowlist_subdomains_and_suffixes() {
    let p = policy();
    let v = assess_warm(&p, "update.microsoft.com");
    assert!(v.allowlisted && !v.untrusted);
    assert_eq!((v.score, v.reasons.as_slice()), (0, &[Reason::AllowedCdn][..]));
    let evil = assess_warm(&p, "microsoft.com.evil.top");
    assert!(!evil.allowlisted && evil.untrusted);
    assert!(!assess_warm(&p, "notmicrosoft.com").allowlisted);
    // akamaized.net is a PSL suffix: customer names match through the suffix.
    assert!(assess_warm(&p, "a123.dl.akamaized.net").allowlisted);

    let custom = RiskPolicy::new(RiskSettings {
        allowed_cdns: vec![" .Example.CO.uk. ".into(), "*.corp.example".into(), "bücher.example".into()],
        ..RiskSettings::default()
    })
    .unwrap();
    assert!(custom.is_allowed_cdn(&name("www.example.co.uk")));
    assert!(!custom.is_allowed_cdn(&name("other.co.uk")));
    assert!(custom.is_allowed_cdn(&name("a.corp.example")));
    assert!(custom.is_allowed_cdn(&name("www.bücher.example")));
}

#[test]
fn cidr_allowlist() {
    let p = policy();
    let v = assess_ip(&p, "10.1.2.3");
    assert!(v.allowlisted && !v.untrusted);
    assert_eq!(v.reasons, [Reason::AllowedCidr]);
    for ip in [
        "127.0.0.1",
        "192.168.1.1",
        "169.254.1.1",
        "100.64.0.1",
        "::1",
        "fe80::1",
        "fd00::1",
        "ff02::1",
        "::ffff:10.1.2.3",
        "255.255.255.255",
        "0.0.0.0",
        "::",
    ] {
        assert!(assess_ip(&p, ip).allowlisted, "{ip}");
    }
    let v = assess_ip(&p, "203.0.113.7");
    assert!(!v.allowlisted && v.untrusted);
    assert_eq!(v.reasons, [Reason::IpNoName]);
    assert_eq!(v.score, 40);
    for ip in ["198.51.100.1", "192.0.2.1", "2001:db8::1", "::ffff:203.0.113.7", "8.8.8.8"] {
        assert!(assess_ip(&p, ip).untrusted, "{ip}");
    }
    // A named destination on an allowlisted address is allowlisted.
    let mut fs = FirstSeen::new(0, 10);
    let n = name("intranet.evil.top");
    let v = p.assess(Destination { ip: "10.0.0.5".parse().ok(), name: Some(&n) }, &mut fs, 0);
    assert!(v.allowlisted && !v.untrusted);
    assert!(fs.is_empty(), "allowlisted destinations are not recorded");
    // Without the allowlist, private addresses are still not "public".
    let none = RiskPolicy::new(RiskSettings { allowed_cidrs: vec![], ..RiskSettings::default() }).unwrap();
    let v = assess_ip(&none, "10.1.2.3");
    assert!(!v.allowlisted && !v.untrusted && v.reasons.is_empty());
}

#[test]
fn untrusted_rules() {
    let p = policy();
    let ip = "203.0.113.9".parse().ok();
    let mut fs = FirstSeen::new(HOUR, 1000);
    let plain = name("files.example.org");
    let v = p.assess(Destination { ip, name: Some(&plain) }, &mut fs, 0);
    assert!(!v.untrusted, "known-looking name during warm-up: {v:?}");
    // Public IP WITH a name is not `ip_no_name`.
    assert!(!v.has(Reason::IpNoName));

    // After the warm-up a new registrable domain is newly observed, but this run's store has no
    // history from before it: a score signal only.
    let fresh = name("cdn.fresh-site.org");
    let v = p.assess(Destination { ip, name: Some(&fresh) }, &mut fs, HOUR);
    assert!(!v.untrusted && v.has(Reason::NewlyObservedNoHistory), "{v:?}");
    assert_eq!(v.score, 25);

    // With a store that covered the warm-up before this run, a new domain is untrusted.
    let mut fs = FirstSeen::new(HOUR, 1000);
    let store = format!(
        "{{\"clickchain_first_seen\":1,\"start_ms\":{},\"last_ms\":0}}\n{{\"domain\":\"example.org\",\"first_ms\":{}}}\n",
        -HOUR, -HOUR
    );
    fs.read_from(store.as_bytes(), std::path::Path::new("nod.ndjson")).unwrap();
    assert!(fs.has_history());
    let v = p.assess(Destination { ip, name: Some(&fresh) }, &mut fs, HOUR);
    assert!(v.untrusted && v.has(Reason::NewlyObserved), "{v:?}");
    assert_eq!(v.score, 25);
    let again = name("www.fresh-site.org");
    let v = p.assess(Destination { ip, name: Some(&again) }, &mut fs, HOUR + 1);
    assert!(v.untrusted, "the same registrable domain stays new within its window: {v:?}");
    let v = p.assess(Destination { ip, name: Some(&again) }, &mut fs, HOUR + 25 * HOUR);
    assert!(!v.untrusted, "not new a day later: {v:?}");
    // The domain seen during warm-up stays known.
    let v = p.assess(Destination { ip, name: Some(&plain) }, &mut fs, 2 * HOUR);
    assert!(!v.untrusted);

    // Nothing known at all.
    assert_eq!(p.assess(Destination::default(), &mut fs, 0), Verdict::default());

    // Threshold: a lower one turns dynamic DNS (30) into untrusted.
    let low = RiskPolicy::new(RiskSettings { risk_threshold: 30, ..RiskSettings::default() }).unwrap();
    assert_eq!(low.threshold(), 30);
    let v = assess_warm(&low, "foo.duckdns.org");
    assert!(v.untrusted && v.has(Reason::RiskAtThreshold));
}

#[test]
fn settings_errors_name_the_entry() {
    let err = RiskPolicy::new(RiskSettings {
        allowed_cidrs: vec!["10.0.0.0/8".into(), "10.0.0.0/33".into()],
        ..RiskSettings::default()
    })
    .unwrap_err();
    assert!(matches!(&err, DomainError::BadCidr { entry, .. } if entry == "10.0.0.0/33"));
    assert!(err.to_string().contains("10.0.0.0/33"), "{err}");
    assert!(RiskPolicy::new(RiskSettings { allowed_cidrs: vec!["bogus".into()], ..RiskSettings::default() }).is_err());
    // Bare addresses are host routes.
    let host = RiskPolicy::new(RiskSettings { allowed_cidrs: vec![" 203.0.113.7 ".into()], ..RiskSettings::default() })
        .unwrap();
    assert!(host.is_allowed_ip("203.0.113.7".parse().unwrap()));
    assert!(!host.is_allowed_ip("203.0.113.8".parse().unwrap()));

    let err =
        RiskPolicy::new(RiskSettings { suspicious_tlds: vec!["to p".into()], ..RiskSettings::default() }).unwrap_err();
    assert!(matches!(&err, DomainError::BadListEntry { list: "suspicious_tlds", entry, .. } if entry == "to p"));
    assert!(err.to_string().contains("suspicious_tlds") && err.to_string().contains("to p"));
    for list in [0, 1, 2] {
        let mut s = RiskSettings::default();
        let bad = vec!["..".to_string()];
        match list {
            0 => s.suspicious_tlds = bad,
            1 => s.allowed_cdns = bad,
            _ => s.dynamic_dns_suffixes = bad,
        }
        assert!(matches!(RiskPolicy::new(s), Err(DomainError::BadListEntry { .. })));
    }
    let err = RiskPolicy::new(RiskSettings { risk_threshold: 101, ..RiskSettings::default() }).unwrap_err();
    assert!(matches!(err, DomainError::BadThreshold { value: 101 }));
    // Mixed case and leading dots are normalised.
    let tld =
        RiskPolicy::new(RiskSettings { suspicious_tlds: vec![".TOP".into()], ..RiskSettings::default() }).unwrap();
    assert!(assess_warm(&tld, "a.top").has(Reason::SuspiciousTld));
}

#[test]
fn reason_names_are_stable() {
    let all = [
        (Reason::AllowedCdn, "allowed_cdn"),
        (Reason::AllowedCidr, "allowed_cidr"),
        (Reason::SuspiciousTld, "suspicious_tld"),
        (Reason::NewlyObserved, "newly_observed"),
        (Reason::DynamicDns, "dynamic_dns"),
        (Reason::Punycode, "punycode"),
        (Reason::HighEntropy, "high_entropy"),
        (Reason::ManyDigits, "many_digits"),
        (Reason::ManyHyphens, "many_hyphens"),
        (Reason::LongName, "long_name"),
        (Reason::IpNoName, "ip_no_name"),
        (Reason::RiskAtThreshold, "risk_at_threshold"),
    ];
    for (r, s) in all {
        assert_eq!(r.as_str(), s);
        assert_eq!(r.to_string(), s);
        assert_eq!(serde_json::to_string(&r).unwrap(), format!("\"{s}\""));
    }
}
