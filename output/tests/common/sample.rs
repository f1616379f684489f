//! The records of the shipped sample (`data/samples/sample.ndjson`), run through the engine.

#![allow(dead_code)]

use clickchain::adapters::native::NativeReader;
use clickchain::alert::Alert;
use clickchain::{Config, Engine, Record};

/// Every record the engine writes for the sample, in order.
pub fn sample_records() -> Vec<Record> {
    let sample = include_str!("../../../data/samples/sample.ndjson");
    let mut engine = Engine::new(Config::default()).expect("the default config is valid");
    for event in NativeReader::new("data/samples/sample.ndjson", sample.as_bytes()) {
        engine.push(event.expect("the sample's records are valid"));
    }
    engine.finish();
    let records = engine.drain();
    assert!(records.len() >= 4, "the sample gives alerts and follow-ons");
    records
}

/// The sample's alerts.
pub fn sample_alerts(records: &[Record]) -> Vec<&Alert> {
    records
        .iter()
        .filter_map(|r| match r {
            Record::Alert(a) => Some(&**a),
            Record::FollowOn(_) => None,
        })
        .collect()
}

/// The sample's first alert with hostile strings where the logs put attacker-controlled text.
pub fn hostile_alert(records: &[Record]) -> Alert {
    let mut a = sample_alerts(records)[0].clone();
    a.id = "hostile00000001".into();
    a.host = "WS-<b>bold</b>".into();
    a.write.path = r#"C:\Users\alice\Downloads\<script>document.body.id='pwned'</script>"'.exe"#.into();
    a.write.process = r#"C:\evil\</svg><img src=x onerror="document.body.id='pwned'">.exe"#.into();
    if let Some(e) = a.egress.as_mut() {
        e.domain = Some("x</svg><script>document.body.id='pwned'</script>.top".into());
    }
    if let Some(c) = a.click.as_mut() {
        c.url = Some("=HYPERLINK(\"http://evil.top\")".into());
    }
    a.lineage.push(r#"C:\a "quoted" 'single' & <tag>.exe"#.into());
    a
}
