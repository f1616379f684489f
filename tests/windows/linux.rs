//! Sysmon for Linux: the same XML schema, provider `Linux-Sysmon`, os linux.

use super::*;

/// A file of ../shared/data/linux (see `shared_data`).
fn shared_linux(rel: &str) -> Option<PathBuf> {
    shared_data(&format!("linux/{rel}"))
}

#[test]
fn linux_sysmon_xml_lines_and_azure_syslog_wrapper_map_with_os_linux() {
    if let Some(p) = shared_linux("splunk-attack-data/linux_post_exploitation_linpeasdataset.log") {
        let o = read(&p);
        assert_eq!((o.tally.records, o.rejected.len()), (114, 0));
        // 114 logged + 2 built for parents first named by a child's `ParentImage` (BUILT_BY).
        assert_eq!(o.kinds(), BTreeMap::from([("process_start", 116)]));
        assert_eq!(o.tally.starts_built, 2);
        assert!(o.events.iter().all(|e| e.os == Some(clickchain_adapters::Os::Linux) && e.host == "sysmonlinux-51"));
    }
    let Some(p) = shared_linux(
        "otrf-security-datasets/syslog_sysmon_log4shell_cve2021_44228_jndi_reference_2022-05-11181020.json",
    ) else {
        return;
    };
    let o = read(&p);
    // 93 syslog rows; the XML of line 8 was cut at the syslog line limit.
    assert_eq!(o.tally.records, 93);
    assert_eq!(o.rejected_by_reason, BTreeMap::from([("malformed_xml", 1)]));
    assert!(o.rejected[0].contains(".json:line 8: malformed XML"), "{:?}", o.rejected);
    assert_eq!(o.skipped(), [("file_delete", 2), ("no_process_guid", 2)]);
    // 88 mapped records + 6 starts built: 4 for processes first seen mid-life (java among
    // them), 2 for parents first named by a child's `ParentImage` (BUILT_BY).
    assert_eq!((o.events.len(), o.tally.starts_built), (94, 6));
    // java's connection to the attacker's LDAP server (the Log4Shell callback).
    let java = o.events.iter().any(
        |e| matches!(&e.kind, EventKind::Connect { dst_ip, dst_port: 1389, .. } if dst_ip.to_string() == "192.168.2.6"),
    );
    assert!(java);
    assert!(o.events.iter().all(|e| e.os == Some(clickchain_adapters::Os::Linux)));
}
