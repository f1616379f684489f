use super::*;

fn run(input: &str) -> Result<DomainVerdict, ExplainError> {
    explain(&Config::default(), Os::Windows, input)
}

fn reasons(v: &DomainVerdict) -> Vec<&'static str> {
    v.signals.iter().map(|s| s.reason.as_str()).collect()
}

#[test]
fn a_risky_name_shows_its_signals_score_and_verdict() {
    let v = run("https://Login-Update-Secure.TOP/path?q=1").unwrap();
    assert_eq!(v.name.as_deref(), Some("login-update-secure.top"));
    assert_eq!((v.registrable.as_deref(), v.suffix.as_deref()), (Some("login-update-secure.top"), Some("top")));
    assert_eq!(v.suffix_section, Some(SuffixSection::Icann));
    assert!(reasons(&v).starts_with(&["suspicious_tld", "many_hyphens"]), "{:?}", reasons(&v));
    assert_eq!(v.signals[0].weight, 30);
    assert_eq!(v.score, 50);
    assert_eq!(v.threshold, 60);
    assert!(v.untrusted && !v.allowlisted);
    assert_eq!(v.verdict, "untrusted");
    assert_eq!(v.untrusted_by, [Reason::SuspiciousTld]);
    assert_eq!(v.matches, [ListMatch { list: "suspicious_tlds", entry: "top".into() }]);
}

#[test]
fn an_allowlisted_name_names_its_entry() {
    let v = run("download.windowsupdate.com").unwrap();
    assert_eq!(v.verdict, "allowlisted");
    assert_eq!(v.score, 0);
    assert!(v.matches.iter().any(|m| m.list == "allowed_cdns"), "{:?}", v.matches);
}

#[test]
fn private_section_and_unlisted_suffixes_are_told_apart() {
    let v = run("someone.github.io").unwrap();
    assert_eq!((v.suffix.as_deref(), v.suffix_section), (Some("github.io"), Some(SuffixSection::Private)));
    let v = run("host.internal-lab").unwrap();
    assert_eq!(v.suffix_section, Some(SuffixSection::Unlisted));
}

#[test]
fn an_ordinary_name_is_trusted() {
    let v = run("www.example.org").unwrap();
    assert_eq!((v.verdict, v.score, v.untrusted), ("trusted", 0, false));
    assert!(v.signals.is_empty());
}

#[test]
fn a_lookalike_shows_its_unicode_and_brand() {
    let v = run("xn--80ak6aa92e.com").unwrap();
    assert_eq!(v.unicode.as_deref(), Some("аррӏе.com"));
    assert!(reasons(&v).contains(&"brand_lookalike"));
    assert!(v.matches.contains(&ListMatch { list: "lookalike_brands", entry: "apple".into() }));
    assert!(v.untrusted);
}

#[test]
fn an_address_is_judged_as_reached_without_a_name() {
    let v = run("203.0.113.9").unwrap();
    assert_eq!((v.name.as_deref(), v.ip), (None, Some("203.0.113.9".parse().unwrap())));
    assert_eq!(reasons(&v), ["ip_no_name"]);
    assert!(v.untrusted, "a public address without a name is untrusted whatever its score");
    let v = run("http://[::1]:8080/x").unwrap();
    assert_eq!(v.verdict, "allowlisted");
    assert!(v.matches.iter().any(|m| m.list == "allowed_cidrs"));
}

#[test]
fn untrusted_cidrs_come_before_allowlists_in_the_explanation() {
    let mut config = Config::default();
    config.windows.untrusted_cidrs = vec!["10.66.0.0/16".into()];
    let policy = RiskPolicy::new(config.windows.risk_settings()).unwrap();
    let ip = Some("10.66.1.2".parse().unwrap());
    let v = explain_with(&policy, Psl::vendored(), Os::Windows, "intranet.example.com", ip).unwrap();
    assert_eq!((v.verdict, v.score), ("untrusted", 100));
    assert_eq!(reasons(&v), ["untrusted_cidr"]);
    assert!(v.matches.iter().any(|m| m.list == "untrusted_cidrs"));
    assert!(v.matches.iter().any(|m| m.list == "allowed_cidrs"), "also listed, but checked later");
}

#[test]
fn bad_input_is_a_clear_error() {
    assert!(matches!(run("  "), Err(ExplainError::Empty)));
    let e = run("https:///nothing").unwrap_err();
    assert!(matches!(e, ExplainError::NoHost { .. }), "{e}");
    assert!(e.to_string().contains("without a host"), "{e}");
    let e = run("bad name!.com").unwrap_err();
    assert!(e.to_string().starts_with("\"bad name!.com\""), "{e}");
}

#[test]
fn json_form_has_stable_names() {
    let v = run("a-b-c.xyz").unwrap();
    let json = serde_json::to_value(&v).unwrap();
    assert_eq!(json["os"], "windows");
    assert_eq!(json["suffix_section"], "icann");
    assert_eq!(json["signals"][0]["reason"], "suspicious_tld");
    assert_eq!(json["signals"][0]["weight"], 30);
    assert_eq!(json["verdict"], "untrusted");
}
