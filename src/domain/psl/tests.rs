use super::*;

fn parse(name: &str) -> DomainName {
    Psl::vendored().parse(name).unwrap_or_else(|e| panic!("{name:?}: {e}"))
}

fn check(input: &str, name: &str, registrable: Option<&str>, suffix: &str, known: bool, private: bool) {
    let d = parse(input);
    assert_eq!(d.name, name, "name of {input:?}");
    assert_eq!(d.registrable.as_deref(), registrable, "registrable of {input:?}");
    assert_eq!(d.suffix, suffix, "suffix of {input:?}");
    assert_eq!(d.suffix_is_known, known, "suffix_is_known of {input:?}");
    assert_eq!(d.private_section, private, "private_section of {input:?}");
}

#[test]
fn vendored_list_parses_and_has_both_sections() {
    let psl = Psl::vendored();
    assert!(std::ptr::eq(psl, Psl::vendored()), "parsed once");
    assert!(!psl.parse("a.co.uk").unwrap().private_section);
    assert!(psl.parse("a.blogspot.com").unwrap().private_section);
    let text = std::str::from_utf8(VENDORED_PSL).unwrap();
    assert!(text.contains("===BEGIN ICANN DOMAINS==="));
    assert!(text.contains("===BEGIN PRIVATE DOMAINS==="));
}

#[test]
fn registrable_and_suffix() {
    check("files.example.org", "files.example.org", Some("example.org"), "org", true, false);
    check("a.b.example.co.uk", "a.b.example.co.uk", Some("example.co.uk"), "co.uk", true, false);
    check("x.github.io", "x.github.io", Some("x.github.io"), "github.io", true, true);
    check("a.x.github.io", "a.x.github.io", Some("x.github.io"), "github.io", true, true);
    check("github.io", "github.io", None, "github.io", true, true);
    check("foo.duckdns.org", "foo.duckdns.org", Some("foo.duckdns.org"), "duckdns.org", true, true);
    check("co.uk", "co.uk", None, "co.uk", true, false);
    // Wildcard and exception rules: `*.ck`, `!www.ck`.
    check("a.b.ck", "a.b.ck", Some("a.b.ck"), "b.ck", true, false);
    check("www.ck", "www.ck", Some("www.ck"), "ck", true, false);
}

#[test]
fn case_whitespace_and_trailing_dot() {
    check("WWW.Example.COM.", "www.example.com", Some("example.com"), "com", true, false);
    check("  Example.Org\t", "example.org", Some("example.org"), "org", true, false);
    assert!(matches!(Psl::vendored().parse("example.com.."), Err(DomainError::BadLabel { .. })));
}

#[test]
fn idn_becomes_punycode() {
    // `example` is a reserved TLD, not in the list: default rule.
    check("bücher.example", "xn--bcher-kva.example", Some("xn--bcher-kva.example"), "example", false, false);
    check("münchen.de", "xn--mnchen-3ya.de", Some("xn--mnchen-3ya.de"), "de", true, false);
    // An ideographic full stop at the end is a trailing dot too.
    check("münchen.de\u{3002}", "xn--mnchen-3ya.de", Some("xn--mnchen-3ya.de"), "de", true, false);
    check("WWW.MÜNCHEN.DE.", "www.xn--mnchen-3ya.de", Some("xn--mnchen-3ya.de"), "de", true, false);
    // Already-punycode input stays as it is; IDN suffixes from the list match in punycode.
    check("XN--MNCHEN-3YA.de", "xn--mnchen-3ya.de", Some("xn--mnchen-3ya.de"), "de", true, false);
    check("пример.рф", "xn--e1afmkfd.xn--p1ai", Some("xn--e1afmkfd.xn--p1ai"), "xn--p1ai", true, false);
    assert!(parse("xn--bcher-kva.example").is_punycode());
    assert!(!parse("example.com").is_punycode());
}

#[test]
fn unknown_tld_uses_default_rule() {
    check("foo.invalidtld", "foo.invalidtld", Some("foo.invalidtld"), "invalidtld", false, false);
    check("a.b.foo.invalidtld", "a.b.foo.invalidtld", Some("foo.invalidtld"), "invalidtld", false, false);
    check("localhost", "localhost", None, "localhost", false, false);
}

#[test]
fn registrable_label() {
    assert_eq!(parse("a.b.example.co.uk").registrable_label(), Some("example"));
    assert_eq!(parse("x.github.io").registrable_label(), Some("x"));
    assert_eq!(parse("co.uk").registrable_label(), None);
}

#[test]
fn ip_literals_are_reported_as_ips() {
    let cases: &[(&str, &str)] = &[
        ("1.2.3.4", "1.2.3.4"),
        (" 1.2.3.4. ", "1.2.3.4"),
        ("::1", "::1"),
        ("[::1]", "::1"),
        ("[2001:db8::7]", "2001:db8::7"),
        ("fe80::1%eth0", "fe80::1"),
        ("::ffff:203.0.113.7", "::ffff:203.0.113.7"),
        ("１.２.３.４", "1.2.3.4"),
    ];
    for (input, ip) in cases {
        match Psl::vendored().parse(input) {
            Err(DomainError::IpLiteral { ip: got }) => {
                assert_eq!(got, ip.parse::<IpAddr>().unwrap())
            }
            other => panic!("{input:?}: expected IpLiteral, got {other:?}"),
        }
    }
}

#[test]
fn invalid_names_are_errors_with_context() {
    let psl = Psl::vendored();
    assert!(matches!(psl.parse(""), Err(DomainError::Empty)));
    assert!(matches!(psl.parse("   "), Err(DomainError::Empty)));
    assert!(matches!(psl.parse("."), Err(DomainError::Empty)));
    for bad in ["..", "a..b", ".a.com", "exa mple.com", "a/b.com", "a\0b.com", "[notip]", "[::1", "1.2.3"] {
        assert!(matches!(psl.parse(bad), Err(DomainError::BadLabel { .. })), "{bad:?}: {:?}", psl.parse(bad));
    }
    let long_label = format!("{}.com", "a".repeat(64));
    assert!(matches!(psl.parse(&long_label), Err(DomainError::BadLabel { .. })));
    let ok_label = format!("{}.com", "a".repeat(63));
    assert!(psl.parse(&ok_label).is_ok());
    let too_long = ["abcdefghi"; 30].join(".");
    assert_eq!(too_long.len(), 299);
    match psl.parse(&too_long) {
        Err(e @ DomainError::TooLong { len: 299, .. }) => {
            assert!(e.to_string().contains("abcdefghi"))
        }
        other => panic!("expected TooLong, got {other:?}"),
    }
    // 253 bytes is the limit.
    let max = format!("{}.{}.{}.{}", "a".repeat(63), "b".repeat(63), "c".repeat(63), "d".repeat(61));
    assert_eq!(max.len(), 253);
    assert!(psl.parse(&max).is_ok());
    assert!(psl.parse(&format!("{max}x")).is_err());
    for bad_punycode in ["xn--", "xn--.com", "a.xn--", "XN--.com"] {
        assert!(matches!(psl.parse(bad_punycode), Err(DomainError::Idna { .. })), "{bad_punycode:?}");
    }
    // A zero-width space is mapped away by UTS #46, leaving an empty label.
    assert!(matches!(psl.parse("\u{200b}.com"), Err(DomainError::BadLabel { .. })));
    let e = psl.parse("a\0b.com").unwrap_err().to_string();
    assert!(e.contains("a\\0b.com"), "NUL is escaped in messages: {e}");
    let e = psl.parse("a..b").unwrap_err().to_string();
    assert!(e.contains("a..b") && e.contains("empty label"), "{e}");
}

#[test]
fn weird_inputs_never_panic() {
    let long = "x".repeat(300);
    let long_dots = ".".repeat(300);
    let uni = "ü".repeat(300);
    let inputs: Vec<&str> = vec![
        "",
        " ",
        ".",
        "..",
        "...",
        "a..b",
        &long,
        &long_dots,
        &uni,
        "::1",
        "[::1]",
        "[",
        "]",
        "[]",
        "1.2.3.4",
        "1.2.3.4.5",
        "256.1.1.1",
        "xn--",
        "xn--.com",
        "xn--zz.com",
        "xn--a",
        "a.xn--",
        "trailing.",
        "trailing..",
        "\0",
        "a\0.com",
        "💩.la",
        "☃.net",
        "a.ü",
        "ß.de",
        "İ.com",
        "\u{200b}.com",
        "\u{feff}",
        "-",
        "-a-.com",
        "_srv._tcp.example.com",
        "a.-",
        "%",
        "a%b",
        "::",
        ":::",
        "[::ffff:1.2.3.4]",
        "http://x",
        "a:b",
        "@",
        "\u{3002}",
        "例え。テスト",
        "۰.com",
        "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v.w.x.y.z",
    ];
    for input in inputs {
        let _ = Psl::vendored().parse(input);
        let _ = crate::domain::host_of_url(input);
    }
    for n in 0..70 {
        let _ = Psl::vendored().parse(&"a.".repeat(n));
        let _ = Psl::vendored().parse(&"ü-".repeat(n * 5));
    }
}

#[test]
fn list_from_bytes_and_file() {
    let small = b"// ===BEGIN ICANN DOMAINS===\ncom\n// ===BEGIN PRIVATE DOMAINS===\nexample.com\n";
    let psl = Psl::from_bytes(small).unwrap();
    check_with(&psl, "a.b.example.com", Some("b.example.com"), "example.com", true);
    // `uk` is not in this list: the default rule makes `uk` the suffix.
    check_with(&psl, "a.b.co.uk", Some("co.uk"), "uk", false);

    match Psl::from_bytes(b"no sections at all\n") {
        Err(e @ DomainError::PslParse { .. }) => assert!(e.to_string().contains("bytes")),
        other => panic!("expected PslParse, got {other:?}"),
    }
    assert!(matches!(Psl::from_bytes(&[0xff, 0xfe]), Err(DomainError::PslParse { .. })));

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("list.dat");
    std::fs::write(&path, small).unwrap();
    let from_file = Psl::from_file(&path).unwrap();
    check_with(&from_file, "x.example.com", Some("x.example.com"), "example.com", true);
    let missing = dir.path().join("missing.dat");
    match Psl::from_file(&missing) {
        Err(e @ DomainError::PslIo { .. }) => assert!(e.to_string().contains("missing.dat")),
        other => panic!("expected PslIo, got {other:?}"),
    }
}

fn check_with(psl: &Psl, input: &str, registrable: Option<&str>, suffix: &str, known: bool) {
    let d = psl.parse(input).unwrap();
    assert_eq!(d.registrable.as_deref(), registrable, "{input}");
    assert_eq!(d.suffix, suffix, "{input}");
    assert_eq!(d.suffix_is_known, known, "{input}");
}
