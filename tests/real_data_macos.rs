//! The macOS ECS dataset in ../shared/data (GPL: read from there, never copied into the repo).
//! See `tests/common/shared_data.rs` for when it is skipped.

use std::collections::BTreeMap;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use clickchain::input::{self, InputFormat, InputOptions};
use clickchain::merge::Merge;
use shared_data::shared_data;

#[path = "common/shared_data.rs"]
mod shared_data;

#[test]
fn ecs_documents_are_read_and_the_six_broken_files_rejected_by_name() {
    let Some(dir) = shared_data("macos/macos-attack-dataset") else { return };
    let (files, open_errors) = input::expand(&[dir]);
    assert!(open_errors.is_empty());
    assert_eq!(files.len(), 66);
    let options = InputOptions { format: InputFormat::Auto, ..InputOptions::default() };
    let sources: Vec<_> = files
        .iter()
        .map(|f| input::open(f, &options, Arc::new(AtomicU64::new(0))).expect("every file opens").records)
        .collect();
    let mut kinds: BTreeMap<&'static str, u64> = BTreeMap::new();
    let mut rejected: Vec<String> = Vec::new();
    for r in Merge::new(sources) {
        match r {
            Ok(e) => *kinds.entry(e.kind.tag()).or_default() += 1,
            Err(e) => {
                assert_eq!(e.reason(), "malformed_json", "{e}");
                let text = e.to_string();
                let name = text.split(".json").next().unwrap().rsplit('/').next().unwrap().to_owned();
                rejected.push(name);
            }
        }
    }
    rejected.sort();
    assert_eq!(
        rejected,
        [
            // Two broken documents: the first lacks its closing brace (cut where the second
            // starts, at line 131), the second has an unterminated string at line 164.
            "discovery_system_profile_sw_vers",
            "discovery_system_profile_sw_vers",
            "evasion_execution_electron_tcc_bypass_nodejs_childproc_osascript_apfell",
            "evasion_susp_zip_file_launchagent_for_office_sandbox_evasion",
            "execution_scripting_python",
            "lateral_movement_ssh_from_python_procexec",
            "persistence_execution_hidden_loginitem_creation_osascript",
        ]
    );
    let got: Vec<(&str, u64)> = kinds.into_iter().collect();
    assert_eq!(got, PINNED_KINDS, "events by kind");
}

/// Events by kind from the 60 readable files, counting the events inside EQL search responses
/// (`hits.events`, `hits.sequences`); measured: a change here is a change of the mapping.
const PINNED_KINDS: &[(&str, u64)] = &[("file_write", 21), ("process_end", 5), ("process_start", 78)];
