//! Parents that started before the log: Sysmon names them only in their children's EID 1
//! (`ParentProcessGuid`, `ParentImage`), Security only in their children's 4688 (creator pid,
//! `ParentProcessName`), and the reader builds their start from that.

use super::*;

/// Who logged the process starts.
#[derive(Clone, Copy)]
enum Starts {
    /// Sysmon EID 1 (the corpus's `.sysmon.jsonl`).
    Sysmon,
    /// Security 4688 (the corpus's `.4688-starts.jsonl`).
    Security,
}

/// The image names of each alert's lineage, and the starts the reader built, for the corpus's
/// Outlook -> Edge chain with the start records of Explorer and Outlook dropped (both started
/// at logon, before the log began) and the parent images of the other starts kept or removed.
fn lineages(starts: Starts, keep_parent_image: bool) -> (Vec<Vec<String>>, u64) {
    let (suffix, eid, image_field, parent_image) = match starts {
        Starts::Sysmon => ("sysmon", 1, "Image", "ParentImage"),
        Starts::Security => ("4688-starts", 4688, "NewProcessName", "ParentProcessName"),
    };
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("tests/scenarios/an0178-outlook-edge-crdownload-motw.{suffix}.jsonl"));
    let text = std::fs::read_to_string(&corpus).unwrap();
    let mut lines = Vec::new();
    for line in text.lines() {
        let mut r: serde_json::Value = serde_json::from_str(line).unwrap();
        let image = r[image_field].as_str().unwrap_or_default().to_ascii_lowercase();
        if r["EventID"] == eid && (image.ends_with(r"\explorer.exe") || image.ends_with(r"\outlook.exe")) {
            continue;
        }
        if !keep_parent_image {
            r.as_object_mut().unwrap().remove(parent_image);
        }
        lines.push(r.to_string());
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("outlook-before-the-log.jsonl");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let o = read(&path);
    let (records, _) = run_engine(&o.events);
    let lineages = records
        .iter()
        .filter_map(|r| match r {
            Record::Alert(a) => Some(a.lineage.iter().map(|p| p.rsplit('\\').next().unwrap_or(p).to_owned()).collect()),
            _ => None,
        })
        .collect();
    (lineages, o.tally.starts_built)
}

#[test]
fn mail_client_started_before_the_log_is_still_the_link_root() {
    // Outlook gets a start from msedge's ParentImage: the link is Outlook's, as when its EID 1
    // is in the log (the corpus's expected lineage).
    let (with, built) = lineages(Starts::Sysmon, true);
    assert_eq!(with, [vec!["OUTLOOK.EXE".to_owned(), "msedge.exe".to_owned()]]);
    assert_eq!(built, 1, "Outlook; Explorer is named by no record left");
    // Without ParentImage, Outlook is a placeholder without an image: the browser is the root.
    let (without, built) = lineages(Starts::Sysmon, false);
    assert_eq!(without, [vec!["msedge.exe".to_owned()]]);
    assert_eq!(built, 0);
}

#[test]
fn mail_client_started_before_a_security_only_log_is_still_the_link_root() {
    // Outlook gets a start from msedge's 4688 (`ParentProcessName` and the creator pid).
    let (with, built) = lineages(Starts::Security, true);
    assert_eq!(with, [vec!["OUTLOOK.EXE".to_owned(), "msedge.exe".to_owned()]]);
    // Outlook from the 4688; Edge and its network-service child from their first Sysmon event
    // (no EID 1: these join the two 4688 starts). Explorer is named by no record left.
    assert_eq!(built, 3);
    // Before Windows 10 a 4688 has no `ParentProcessName`: the browser is the root.
    let (without, built) = lineages(Starts::Security, false);
    assert_eq!(without, [vec!["msedge.exe".to_owned()]]);
    assert_eq!(built, 2);
}
