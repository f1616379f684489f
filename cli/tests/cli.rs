//! Golden tests of the `clickchain` command line (assert_cmd + insta snapshots).

use std::io::Write;
use std::path::Path;
use std::process::{Command as StdCommand, Stdio};

use assert_cmd::Command;
use predicates::prelude::*;

/// The repository root: the samples and test data live there, and the commands run in it.
const REPO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
const SAMPLE: &str = "data/samples/sample.ndjson";

fn clickchain() -> Command {
    let mut c = Command::cargo_bin("clickchain").unwrap();
    c.current_dir(REPO);
    c
}

fn stdout_of(args: &[&str]) -> String {
    let out = clickchain().args(args).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn sample_alerts_ndjson() {
    let out = stdout_of(&["scan", "--quiet", SAMPLE]);
    insta::assert_snapshot!("sample_ndjson", out);
}

#[test]
fn sample_alerts_text() {
    let out = stdout_of(&["scan", "--quiet", "--output", "text", SAMPLE]);
    insta::assert_snapshot!("sample_text", out);
    // `--format` is the input format only: the old output shorthand points at `--output`.
    clickchain()
        .args(["scan", "--quiet", "--format", "text", SAMPLE])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains("for the output use --output text"));
}

#[test]
fn summary_goes_to_stderr_only() {
    clickchain()
        .args(["scan", SAMPLE])
        .assert()
        .success()
        .stderr(predicate::str::contains("282 events read, 0 rejected, 0 late, 4 alerts, 6 follow-ons"))
        .stdout(predicate::str::contains("clickchain:").not());
}

#[test]
fn fail_on_alert_exits_1() {
    clickchain().args(["scan", "-q", "--fail-on-alert", SAMPLE]).assert().code(1);
    let quiet = tempfile::NamedTempFile::new().unwrap();
    clickchain().args(["scan", "-q", "--fail-on-alert"]).arg(quiet.path()).assert().code(0).stdout("");
}

#[test]
fn stdin_equals_file() {
    let sample = std::fs::read(format!("{}/{SAMPLE}", REPO)).unwrap();
    let from_stdin = clickchain().args(["scan", "-q", "-"]).write_stdin(sample).output().unwrap();
    let from_file = stdout_of(&["scan", "-q", SAMPLE]);
    // Same records; only the input name in the evidence differs.
    assert_eq!(
        String::from_utf8(from_stdin.stdout).unwrap().replace("\"input\":\"-\"", &format!("\"input\":\"{SAMPLE}\"")),
        from_file
    );
}

#[test]
fn inputs_split_by_host_merge_to_the_same_alerts() {
    let dir = tempfile::tempdir().unwrap();
    let sample = std::fs::read_to_string(format!("{}/{SAMPLE}", REPO)).unwrap();
    for host in ["WS-042", "dev-laptop", "mbp-7"] {
        let sub = dir.path().join(if host == "mbp-7" { "nested/deeper" } else { "" });
        std::fs::create_dir_all(&sub).unwrap();
        let lines: String =
            sample.lines().filter(|l| l.contains(&format!("\"host\":\"{host}\""))).map(|l| format!("{l}\n")).collect();
        std::fs::write(sub.join(format!("{host}.ndjson")), lines).unwrap();
    }
    let out = clickchain().args(["scan", "-q"]).arg(dir.path()).output().unwrap();
    assert!(out.status.success());
    let strip = |s: &str| -> Vec<String> {
        let mut v: Vec<String> = s
            .lines()
            .map(|l| {
                let mut r: serde_json::Value = serde_json::from_str(l).unwrap();
                r.as_object_mut().unwrap().remove("evidence");
                r.as_object_mut().unwrap().remove("evidence_by_role");
                r.to_string()
            })
            .collect();
        v.sort();
        v
    };
    assert_eq!(strip(&String::from_utf8(out.stdout).unwrap()), strip(&stdout_of(&["scan", "-q", SAMPLE])));
}

#[test]
fn bad_records_are_named_counted_and_the_rest_is_kept() {
    let sample = std::fs::read_to_string(format!("{}/data/samples/quickstart.ndjson", REPO)).unwrap();
    let mut f = tempfile::Builder::new().suffix(".ndjson").tempfile().unwrap();
    let mut lines: Vec<&str> = sample.lines().collect();
    lines.insert(2, "{\"time\":\"2024-05-14T09:00:06Z\",\"kind\":\"teleport\",\"proc\":\"x\"}");
    lines.insert(4, "{broken");
    lines.insert(6, "{\"time\":\"3024-05-14T09:00:06Z\",\"kind\":\"process_end\",\"proc\":\"x\"}");
    for l in lines {
        writeln!(f, "{l}").unwrap();
    }
    let name = f.path().display().to_string();
    clickchain()
        .args(["scan", &name])
        .assert()
        .code(0)
        .stderr(predicate::str::contains(format!("warning: {name}:line 3: unknown event kind `teleport`")))
        .stderr(predicate::str::contains(format!("{name}:line 5: malformed JSON")))
        .stderr(predicate::str::contains("2 rejected (malformed_json=1, unknown_kind=1)"))
        .stdout(predicate::str::contains("\"analytic\":\"AN0178\""));
    // With --strict they are errors: the same records, and exit 2 (even with -q, the reason).
    clickchain()
        .args(["scan", "--strict", "-q", &name])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("error: --strict: 2 records rejected, 0 inputs left out"))
        .stdout(predicate::str::contains("\"analytic\":\"AN0178\""));
}

#[test]
fn missing_input_is_a_warning_and_others_still_run() {
    clickchain()
        .args(["scan", "no/such/file.ndjson", SAMPLE])
        .assert()
        .code(0)
        .stderr(predicate::str::contains("warning: no/such/file.ndjson: No such file"))
        .stderr(predicate::str::contains("clickchain: 1 inputs, 1 left out (unreadable_input=1), 282 events read"))
        .stdout(predicate::str::contains("AN0180"));
    clickchain()
        .args(["scan", "-q", "no/such/file.ndjson"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("error: no input could be read"));
}

#[test]
fn unknown_input_format_is_reported() {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    writeln!(f, "time,host,kind").unwrap();
    clickchain()
        .arg("scan")
        .arg(f.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unrecognised input format"));
}

/// Raw auditd is detected by `--format auto`; a truncated record is named with its line and
/// counted, and the run goes on.
#[test]
fn auditd_is_detected_and_bad_records_are_named() {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    writeln!(f, "type=SYSCALL msg=audit(1715678001.204:88120): arch=c000003e").unwrap();
    writeln!(f, "type=EOE msg=audit(1715678001.204:88120):").unwrap();
    let events = Path::new(REPO).join("tests/scenarios/an0179-auditd-thunderbird-xdg-open-firefox-part.audit.log");
    clickchain()
        .arg("scan")
        .arg(f.path())
        .arg(&events)
        .assert()
        .code(0)
        .stderr(predicate::str::contains(":line 1: SYSCALL needs field `syscall`"))
        .stderr(predicate::str::contains("missing_field=1"))
        .stdout(predicate::str::contains("\"analytic\":\"AN0179\""));
}

#[test]
fn closed_stdout_is_not_an_error() {
    let mut child = StdCommand::new(assert_cmd::cargo::cargo_bin("clickchain"))
        .current_dir(REPO)
        .args(["scan", "-q", SAMPLE, SAMPLE, SAMPLE])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn default_config_prints_and_parses_back() {
    for os in ["windows", "linux", "macos"] {
        let text = stdout_of(&["config", "--print-default", "--os", os]);
        assert!(text.contains(&format!("[{os}]")));
        assert!(text.contains("time_window = "));
        let parsed = clickchain::Config::from_toml_str(&text, "printed").unwrap();
        assert_eq!(parsed, clickchain::Config::default());
    }
}

#[test]
fn bad_config_key_is_named() {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    writeln!(f, "[linux]\ntime_windw = \"10m\"").unwrap();
    clickchain()
        .args(["scan", "--config"])
        .arg(f.path())
        .arg(SAMPLE)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown key `linux.time_windw`"));
    clickchain().args(["config", "--check"]).arg(f.path()).assert().code(2);
}

#[test]
fn a_config_variant_changes_the_result() {
    // Weak links allowed: the Chrome download twelve minutes after a risky visit now alerts.
    let mut f = tempfile::NamedTempFile::new().unwrap();
    writeln!(f, "[windows]\nmin_strength = \"weak\"").unwrap();
    let out = clickchain().args(["scan", "-q", "--config"]).arg(f.path()).arg(SAMPLE).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("python-3.12.3-amd64.exe"), "{text}");
    assert!(text.contains("\"strength\":\"weak\""));
}

/// auditd has no names: with a Zeek DNS log of the same host merged by time, the egress is named
/// by the DNS answer (`domain_source: dns`) instead of the click URL.
#[test]
fn auditd_with_zeek_dns_names_the_egress_from_dns() {
    let root = Path::new(REPO);
    let audit = root.join("tests/scenarios/an0179-auditd-thunderbird-xdg-open-firefox-part.audit.log");
    let dns = root.join("tests/data/zeek/dns-invoice-share.log");
    clickchain()
        .args(["scan", "--host", "dev-laptop"])
        .arg(&audit)
        .arg(&dns)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("\"domain\":\"invoice-share.top\",\"domain_source\":\"dns\""))
        .stdout(predicate::str::contains("\"evidence\":[").and(predicate::str::contains("dns-invoice-share.log")));
    // Without --host the answers belong to the client address, another host: the click URL names it.
    clickchain()
        .arg("scan")
        .arg(&audit)
        .arg(&dns)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("\"domain_source\":\"click_url\""));
}

/// `--stats` shows what the auditd adapter left out, by reason: here the setxattr whose
/// attribute and value auditd does not log.
#[test]
fn stats_show_auditd_skips_by_reason() {
    let audit = Path::new(REPO).join("tests/scenarios/an0179-auditd-thunderbird-xdg-open-firefox-part.audit.log");
    clickchain()
        .args(["scan", "--stats"])
        .arg(&audit)
        .assert()
        .code(0)
        .stderr(predicate::str::contains("\"adapters\""))
        .stderr(predicate::str::contains("\"xattr_value_not_logged\": 1"))
        .stderr(predicate::str::contains("\"events\": 18"));
}

const WINDOWS_FIXTURE: &str = "tests/data/windows/slim_auditpol_system_user_auditpolicy_modification.jsonl";

#[test]
fn windows_json_is_detected_skips_are_summarised_and_a_shifted_clock_warned_about() {
    let out = clickchain().args(["scan", WINDOWS_FIXTURE]).output().unwrap();
    assert!(out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("TimeCreated is +7.00h off UtcTime in 3 process starts"), "{err}");
    assert!(
        err.contains("89 events read (7 process starts built from other records), 14 records skipped (dns_no_address=2, file_delete=12), 0 rejected, 0 late"),
        "{err}"
    );
}

#[test]
fn time_offset_for_an_input_replaces_the_estimate() {
    let arg = format!("{WINDOWS_FIXTURE}=+7h");
    let out = clickchain().args(["scan", "--time-offset", &arg, WINDOWS_FIXTURE]).output().unwrap();
    assert!(out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(!err.contains("warning"), "{err}");
    let bad = clickchain().args(["scan", "--time-offset", "soon", WINDOWS_FIXTURE]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--time-offset: `soon` is not an offset"));
}

#[test]
fn evtx_with_unused_tail_chunks_is_read_and_exits_0() {
    // On one thread, and with its chunks parsed on two.
    for j in ["1", "2"] {
        let out = clickchain().args(["scan", "-j", j, "tests/data/windows/sysmon.evtx"]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "chunks never written are skipped, not rejected");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(
            err.contains("275 events read (11 process starts built from other records), 102 records skipped (stream_create=1, unmapped_event_id=93, unused_evtx_chunk=8), 0 rejected, 0 late, 0 alerts"),
            "-j {j}: {err}"
        );
        assert!(!err.contains("error"), "-j {j}: {err}");
        assert!(out.stdout.is_empty());
    }
}

/// Without `--threads`, inputs are parsed beside the engine (on a machine of two cores or more):
/// the output is that of one thread, byte for byte and in its order.
#[test]
fn threads_unset_give_the_output_of_one_thread_in_its_order() {
    let sysmon = "tests/scenarios/an0178-archive-member-7zip.sysmon.jsonl";
    for input in [SAMPLE, sysmon, "tests/data/windows/sysmon.evtx"] {
        let default = clickchain().args(["scan", input]).output().unwrap();
        let one = clickchain().args(["scan", "-j", "1", input]).output().unwrap();
        assert_eq!(default.stdout, one.stdout, "{input}");
        assert_eq!(default.status.code(), one.status.code(), "{input}");
        let summary = |out: &[u8]| {
            String::from_utf8_lossy(out).lines().last().map(|l| l.split(", ").take(5).collect::<Vec<_>>().join(", "))
        };
        assert_eq!(summary(&default.stderr), summary(&one.stderr), "{input}");
    }
    assert!(!stdout_of(&["scan", "--quiet", sysmon]).is_empty(), "the scenario's alert");
}

#[test]
fn threads_give_the_same_records_and_summary() {
    let sorted = |s: String| {
        let mut lines: Vec<String> = s.lines().map(str::to_owned).collect();
        lines.sort();
        lines
    };
    let sample = Path::new(REPO).join(SAMPLE);
    let one = sorted(stdout_of(&["scan", "--quiet", SAMPLE]));
    assert!(one.len() >= 4, "the sample alerts");
    for j in ["2", "3", "0"] {
        assert_eq!(sorted(stdout_of(&["scan", "--quiet", "-j", j, SAMPLE])), one, "-j {j}");
        let out = clickchain().args(["scan", "-j", j, SAMPLE]).output().unwrap();
        let summary = String::from_utf8(out.stderr).unwrap();
        assert!(summary.contains("282 events read, 0 rejected, 0 late, 4 alerts, 6 follow-ons"), "-j {j}: {summary}");
    }
    // From stdin too, where the input is parsed on several threads as well.
    let from_stdin = |j: &str| {
        let out = clickchain().args(["scan", "-q", "-j", j, "-"]).write_stdin(std::fs::read(&sample).unwrap()).output();
        sorted(String::from_utf8(out.unwrap().stdout).unwrap())
    };
    // More inputs than are parsed on threads each (8): read on the reading thread, same records.
    let dir = tempfile::tempdir().unwrap();
    for i in 0..10 {
        std::fs::copy(&sample, dir.path().join(format!("part-{i:02}.ndjson"))).unwrap();
    }
    let folder = dir.path().to_str().unwrap();
    let many_one = sorted(stdout_of(&["scan", "--quiet", folder]));
    assert!(!many_one.is_empty());
    assert_eq!(sorted(stdout_of(&["scan", "--quiet", "-j", "2", folder])), many_one, "10 inputs, -j 2");
    let stdin_one = from_stdin("1");
    assert_eq!(stdin_one.len(), one.len());
    assert_eq!(from_stdin("2"), stdin_one, "-j 2 from stdin");
}
