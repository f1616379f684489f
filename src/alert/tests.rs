use clickchain_adapters::native::NativeReader;
use proptest::prelude::*;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::*;
use crate::{Config, Engine};

/// The shipped sample's records: every analytic, both findings, every follow-on kind.
fn sample_records() -> Vec<Record> {
    let sample = include_str!("../../data/samples/sample.ndjson");
    let mut engine = Engine::new(Config::default()).unwrap();
    for event in NativeReader::new("data/samples/sample.ndjson", sample.as_bytes()) {
        engine.push(event.unwrap());
    }
    engine.finish();
    engine.drain()
}

#[test]
fn sample_records_read_back_equal_and_write_the_same_line() {
    let records = sample_records();
    let kinds: Vec<FollowOnKind> =
        records.iter().filter_map(|r| if let Record::FollowOn(f) = r { Some(f.kind) } else { None }).collect();
    assert!(kinds.contains(&FollowOnKind::ProtectionRemoved) && kinds.contains(&FollowOnKind::LolbinWithFile));
    assert!(records.iter().any(|r| matches!(r, Record::Alert(a) if a.finding == Finding::QuarantineMissing)));
    for record in &records {
        let line = record.to_json();
        let back = Record::from_json(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert_eq!(&back, record);
        assert_eq!(back.to_json(), line);
    }
}

/// `value`'s JSON is its quoted `name`, `name` reads back as `value`, and `Display` is `name`.
fn check_name<T>(value: T, name: &str)
where
    T: Serialize + DeserializeOwned + std::fmt::Display + std::fmt::Debug + PartialEq,
{
    assert_eq!(serde_json::to_string(&value).unwrap(), format!("\"{name}\""));
    assert_eq!(serde_json::from_str::<T>(&format!("\"{name}\"")).unwrap(), value);
    assert_eq!(value.to_string(), name);
}

#[test]
fn every_value_has_one_name_in_json_display_and_as_str() {
    for a in Analytic::ALL {
        check_name(a, a.as_str());
        assert_eq!(Analytic::for_os(a.os()), a);
        assert!(a == a.as_str());
    }
    assert_eq!(Analytic::ALL.map(Analytic::as_str), ["AN0178", "AN0179", "AN0180"]);
    for f in Finding::ALL {
        check_name(f, f.as_str());
    }
    assert_eq!(Finding::ALL.map(Finding::as_str), ["chain", "quarantine_missing"]);
    for d in DomainSource::ALL {
        check_name(d, d.as_str());
    }
    assert_eq!(DomainSource::ALL.map(DomainSource::as_str), ["event", "dns", "click_url", "none"]);
    for (s, name) in [(Strength::Strong, "strong"), (Strength::Medium, "medium"), (Strength::Weak, "weak")] {
        assert_eq!(s.as_str(), name);
        check_name(s, name);
    }
    let kinds = [
        (FollowOnKind::Executed, "executed"),
        (FollowOnKind::LolbinWithFile, "lolbin_with_file"),
        (FollowOnKind::LolbinChild, "lolbin_child"),
        (FollowOnKind::ProtectionRemoved, "protection_removed"),
    ];
    for (k, name) in kinds {
        assert_eq!(k.as_str(), name);
        check_name(k, name);
    }
    for r in [Reason::SuspiciousTld, Reason::NewlyObserved, Reason::IpNoName, Reason::RiskAtThreshold] {
        check_name(r, r.as_str());
    }
}

/// Whether `name` reads as a `T` exactly when some value's name is `name`.
fn reads_only_its_names<T: DeserializeOwned + std::fmt::Display>(name: &str, names: &[&str]) -> bool {
    match serde_json::from_str::<T>(&serde_json::to_string(name).unwrap()) {
        Ok(v) => v.to_string() == name && names.contains(&name),
        Err(_) => !names.contains(&name),
    }
}

proptest! {
    #[test]
    fn names_read_back_and_nothing_else_does(name in "(AN01[0-9]{2}|[a-z_]{0,20}|chain|dns|strong|executed)") {
        prop_assert!(reads_only_its_names::<Analytic>(&name, &Analytic::ALL.map(Analytic::as_str)));
        prop_assert!(reads_only_its_names::<Finding>(&name, &Finding::ALL.map(Finding::as_str)));
        prop_assert!(reads_only_its_names::<DomainSource>(&name, &DomainSource::ALL.map(DomainSource::as_str)));
        prop_assert!(reads_only_its_names::<Strength>(&name, &["weak", "medium", "strong"]));
        let kinds = ["executed", "lolbin_with_file", "lolbin_child", "protection_removed"];
        prop_assert!(reads_only_its_names::<FollowOnKind>(&name, &kinds));
    }
}

#[test]
fn malformed_records_are_errors() {
    let good = sample_records()[0].to_json();
    let bad = [
        good.replace(r#""type":"alert""#, r#""type":"alarm""#),
        good.replace(r#""analytic":"AN0178""#, r#""analytic":"AN9999""#),
        good.replace(r#""finding":"chain""#, r#""finding":"maybe""#),
        good.replace(r#""strength":"strong""#, r#""strength":"STRONG""#),
        good.replace(r#""domain_source":"dns""#, r#""domain_source":"whois""#),
        good.replace(r#""reasons":["suspicious_tld"]"#, r#""reasons":["spooky"]"#),
        good.replace(r#""time":"2024-05-14T09:10:12.000Z""#, r#""time":"yesterday""#),
        good.replace(r#""line":7"#, r#""line":7,"offset":9"#),
        good.replace(r#""line":7"#, r#""row":7"#),
        good.replace(r#""score":93"#, r#""score":930"#),
        good.replace(r#""type":"alert","#, ""),
        good[..good.len() / 2].to_owned(),
        "[]".to_owned(),
    ];
    for line in bad {
        assert_ne!(line, good, "the replacement must apply");
        assert!(Record::from_json(&line).is_err(), "{line}");
    }
}

#[test]
fn records_with_a_derivation_read_back_equal() {
    let sample = include_str!("../../data/samples/sample.ndjson");
    let mut config = Config::default();
    config.rules.explain = true;
    config.rules.enabled = vec!["chain".into(), "mail-payload".into(), "redirect-chain".into()];
    let mut engine = Engine::new(config).unwrap();
    for event in NativeReader::new("data/samples/sample.ndjson", sample.as_bytes()) {
        engine.push(event.unwrap());
    }
    engine.finish();
    let records = engine.drain();
    let mut derived = 0;
    for record in &records {
        if let Record::Alert(a) = record {
            let d = a.derivation.as_ref().expect("every alert explained");
            assert_eq!(d.rule, a.rule);
            // Every fact kind the shipped rules read has its explanation.
            assert!(d.facts.iter().all(|f| f.holds == Some(true)), "{:?}", d.facts);
            derived += 1;
        }
        let line = record.to_json();
        let back = Record::from_json(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert_eq!(&back, record);
        assert_eq!(back.to_json(), line);
    }
    assert!(derived >= 4, "{derived}");
}

#[test]
fn a_window_test_reads_as_its_numbers() {
    let t = WindowTest {
        from: "egress".into(),
        click_before_egress: None,
        egress_before_write: true,
        egress_to_write_ms: 903_000,
        elapsed_ms: 903_000,
        time_window_ms: 900_000,
        holds: false,
    };
    assert_eq!(
        t.to_words(),
        "egress ≤ write (click inferred at the egress); write − egress = 903 s > time_window 900 s: fails"
    );
}
