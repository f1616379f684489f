//! The OCSF findings of the shipped sample validated against the OCSF 1.8.0 Detection Finding
//! class (vendored in `tests/data/ocsf-1.8.0`, see its PROVENANCE.md), and the validator shown to
//! reject broken findings.

#[path = "../common/sample.rs"]
mod sample;
mod schema;
mod validate;

use std::path::Path;

use clickchain::sink::Sink;
use clickchain::Record;
use clickchain_output::ocsf::{finding, CLASS_UID};
use clickchain_output::{FinishSink, OcsfFindings};
use serde_json::{json, Value};

use schema::Schema;
use validate::{validate, ClassRules};

fn schema() -> (Schema, ClassRules) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/ocsf-1.8.0");
    let schema = Schema::load(&root).unwrap_or_else(|e| panic!("schema: {e}"));
    let rules = ClassRules::load(&schema, "findings/detection_finding").unwrap_or_else(|e| panic!("class: {e}"));
    (schema, rules)
}

fn sample_findings() -> Vec<Value> {
    let mut out = Vec::new();
    {
        let mut sink = OcsfFindings::new(&mut out);
        for r in sample::sample_records() {
            sink.emit(r).unwrap();
        }
        FinishSink::finish(&mut sink).unwrap();
    }
    String::from_utf8(out).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[test]
fn the_class_resolves_to_2004_with_its_inherited_requirements() {
    let (_, rules) = schema();
    assert_eq!(rules.class_uid, i64::from(CLASS_UID));
    assert_eq!(rules.category_uid, 2);
    let required: Vec<&str> = rules
        .shape
        .attributes
        .iter()
        .filter(|(_, a)| a.required && a.profile.is_none())
        .map(|(n, _)| n.as_str())
        .collect();
    // From base_event (activity_id, category_uid, class_uid, metadata, severity_id, time,
    // type_uid) and finding (finding_info).
    for name in
        ["activity_id", "category_uid", "class_uid", "finding_info", "metadata", "severity_id", "time", "type_uid"]
    {
        assert!(required.contains(&name), "{name} not required: {required:?}");
    }
    // Profile attributes are known but required only where their profile is applied.
    assert_eq!(rules.shape.attributes["cloud"].profile.as_deref(), Some("cloud"));
}

#[test]
fn every_sample_finding_conforms() {
    let (schema, rules) = schema();
    let findings = sample_findings();
    let records = sample::sample_records();
    assert_eq!(findings.len(), records.len());
    for f in &findings {
        let errors = validate(&schema, &rules, f);
        assert!(errors.is_empty(), "{errors:#?}\n{f:#}");
    }
    // Alerts are Create, follow-ons Update of their alert's finding.
    let creates = findings.iter().filter(|f| f["activity_id"] == 1).count();
    assert_eq!(creates, sample::sample_alerts(&records).len());
    let first = &findings[0];
    assert_eq!(first["class_uid"], 2004);
    assert_eq!(first["finding_info"]["attacks"][0]["sub_technique"]["uid"], "T1204.001");
    assert_eq!(first["finding_info"]["attacks"][0]["tactic"]["uid"], "TA0002");
    let observed: Vec<i64> =
        first["observables"].as_array().unwrap().iter().map(|o| o["type_id"].as_i64().unwrap()).collect();
    for type_id in [1, 2, 45, 9] {
        assert!(observed.contains(&type_id), "observable type {type_id} missing: {observed:?}");
    }
    let roles: Vec<&str> = first["evidences"].as_array().unwrap().iter().map(|e| e["name"].as_str().unwrap()).collect();
    assert_eq!(roles, ["click", "egress", "write"]);
}

#[test]
fn the_first_sample_alert_as_a_finding() {
    let records = sample::sample_records();
    let f = finding(&records[0]);
    assert_eq!(f["finding_info"]["uid"], "9faab42e41c7a2cc");
    assert_eq!(
        f["evidences"][1]["dst_endpoint"],
        json!({"ip": "203.0.113.78", "port": 443, "hostname": "dl.invoice-portal.top"})
    );
    assert_eq!(f["severity_id"], 4);
    assert_eq!(f["confidence_id"], 3);
}

#[test]
fn hostile_strings_stay_valid_findings() {
    let (schema, rules) = schema();
    let records = sample::sample_records();
    let f = finding(&Record::Alert(Box::new(sample::hostile_alert(&records))));
    assert_eq!(validate(&schema, &rules, &f), Vec::<String>::new());
}

/// Breaks the first sample finding with `edit` and returns the validator's complaints.
fn errors_after(edit: impl FnOnce(&mut Value)) -> Vec<String> {
    let (schema, rules) = schema();
    let mut f = sample_findings().remove(0);
    edit(&mut f);
    validate(&schema, &rules, &f)
}

fn assert_rejected(errors: &[String], expected: &str) {
    assert!(errors.iter().any(|e| e.contains(expected)), "expected `{expected}` in {errors:#?}");
}

#[test]
fn the_validator_rejects_broken_findings() {
    let missing = errors_after(|f| {
        f.as_object_mut().unwrap().remove("finding_info");
    });
    assert_rejected(&missing, "finding_info: required by detection_finding but missing");

    let nested = errors_after(|f| {
        f["finding_info"].as_object_mut().unwrap().remove("uid");
    });
    assert_rejected(&nested, "finding_info.uid: required by finding_info but missing");

    let deep = errors_after(|f| {
        f["device"]["os"].as_object_mut().unwrap().remove("type_id");
    });
    assert_rejected(&deep, "device.os.type_id: required by os but missing");

    assert_rejected(&errors_after(|f| f["class_uid"] = json!("2004")), "class_uid: \"2004\" is not a integer_t");
    assert_rejected(&errors_after(|f| f["class_uid"] = json!(2005)), "class_uid: 2005 is not one of");
    assert_rejected(
        &errors_after(|f| f["time"] = json!("2024-05-14T09:10:12Z")),
        "time: \"2024-05-14T09:10:12Z\" is not a timestamp_t",
    );
    assert_rejected(&errors_after(|f| f["severity_id"] = json!(7)), "severity_id: 7 is not one of");
    assert_rejected(
        &errors_after(|f| f["severity"] = json!("Low")),
        "severity_id: 4 is `High`, but severity says `Low`",
    );
    assert_rejected(
        &errors_after(|f| f["type_uid"] = json!(200403)),
        "type_uid: 200403 is not class_uid * 100 + activity_id",
    );
    assert_rejected(&errors_after(|f| f["is_alert"] = json!("yes")), "is_alert: \"yes\" is not a boolean_t");
    assert_rejected(
        &errors_after(|f| f["observables"][0]["type_id"] = json!(999)),
        "observables[0].type_id: 999 is not an observable type",
    );
    assert_rejected(
        &errors_after(|f| f["evidences"] = json!({"name": "x"})),
        "evidences: expected an array of evidences",
    );
    assert_rejected(
        &errors_after(|f| f["evidences"][0] = json!({"name": "x"})),
        "evidences[0]: evidences needs at least one of",
    );
    assert_rejected(
        &errors_after(|f| f["finding_info"]["attacks"][0]["tactic"] = json!("TA0002")),
        "is not a tactic object",
    );
    assert_rejected(
        &errors_after(|f| f["finding_info"]["titel"] = json!("typo")),
        "finding_info.titel: not an attribute of finding_info",
    );
    assert_rejected(
        &errors_after(|f| f["evidences"][1]["dst_endpoint"]["port"] = json!(70000)),
        "70000 breaks port_t.range",
    );
    assert_rejected(
        &errors_after(|f| f["evidences"][1]["dst_endpoint"]["ip"] = json!("203.0.113.300")),
        "breaks ip_t.regex",
    );
    // A profile's required attribute becomes required once the profile is applied.
    assert_rejected(
        &errors_after(|f| f["metadata"]["profiles"] = json!(["cloud"])),
        "cloud: required by detection_finding but missing",
    );
}
