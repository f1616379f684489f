//! Damaged EVTX files: each damage is one counted error naming its place; the rest is read.

use super::*;

/// A copy of sysmon.evtx changed by `edit`, read through `--format auto`.
fn read_edited_evtx(edit: impl FnOnce(&mut Vec<u8>)) -> Outcome {
    let mut bytes = std::fs::read(fixture("sysmon.evtx")).unwrap();
    edit(&mut bytes);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("edited.evtx");
    std::fs::write(&path, bytes).unwrap();
    read(&path)
}

#[test]
fn evtx_truncated_inside_a_chunk_reports_it_and_keeps_the_whole_chunks() {
    // Header + 2 whole chunks + 30000 bytes of the third.
    let o = read_edited_evtx(|b| b.truncate(4096 + 2 * 65536 + 30_000));
    assert_eq!(o.rejected_by_reason, BTreeMap::from([("corrupt_evtx", 1)]));
    assert!(
        o.rejected[0]
            .ends_with("edited.evtx:offset 135168: corrupt EVTX: file ends 30000 bytes into a chunk (truncated)"),
        "{:?}",
        o.rejected
    );
    assert!(!o.events.is_empty());
    let whole = read(&fixture("sysmon.evtx"));
    assert!(o.events.len() < whole.events.len());
    // What was read is the same as the start of the whole file.
    same_events(&o.events, &whole.events[..o.events.len()]);
}

#[test]
fn evtx_bad_chunk_checksum_loses_that_chunk_only() {
    let whole = read(&fixture("sysmon.evtx"));
    // A byte inside the second chunk's records.
    let o = read_edited_evtx(|b| b[4096 + 65536 + 20_000] ^= 0xff);
    assert_eq!(o.rejected_by_reason, BTreeMap::from([("corrupt_evtx", 1)]));
    assert!(o.rejected.iter().any(|e| e.contains("edited.evtx:offset 69632: corrupt EVTX")), "{:?}", o.rejected);
    assert!(o.events.len() < whole.events.len() && o.events.len() > whole.events.len() / 2);
}

#[test]
fn evtx_with_only_a_header_magic_is_one_error() {
    let o = read_edited_evtx(|b| b.truncate(100));
    assert_eq!(o.rejected_by_reason, BTreeMap::from([("corrupt_evtx", 1)]));
    assert!(o.events.is_empty());
}

/// CRC-32 (IEEE), as EVTX chunk headers store it.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

#[test]
fn evtx_record_that_cannot_be_rendered_is_named_by_its_record_id() {
    let whole = read(&fixture("sysmon.evtx"));
    let o = read_edited_evtx(|b| {
        // Break the first record's BinXML, then fix the chunk's checksums so that only the
        // record, not the chunk, is bad.
        let c = 4096;
        b[c + 512 + 24 + 10] ^= 0xff;
        b[c + 512 + 24 + 11] ^= 0xff;
        let free = u32::from_le_bytes(b[c + 48..c + 52].try_into().unwrap()) as usize;
        let data_crc = crc32(&b[c + 512..c + free]);
        b[c + 52..c + 56].copy_from_slice(&data_crc.to_le_bytes());
        let header: Vec<u8> = b[c..c + 120].iter().chain(&b[c + 128..c + 512]).copied().collect();
        let header_crc = crc32(&header);
        b[c + 124..c + 128].copy_from_slice(&header_crc.to_le_bytes());
    });
    assert_eq!(o.rejected_by_reason, BTreeMap::from([("corrupt_evtx", 1)]));
    assert!(o.rejected[0].contains("edited.evtx:record 1742: corrupt EVTX"), "{:?}", o.rejected);
    // Only that record is lost; the rest of its chunk is read.
    assert_eq!(o.tally.records, whole.tally.records);
    assert_eq!(o.events.len(), whole.events.len() - 1);
}

#[test]
fn evtx_cut_anywhere_never_panics() {
    let whole = std::fs::read(fixture("sysmon.evtx")).unwrap();
    for cut in [0, 7, 8, 100, 4095, 4096, 4097, 4096 + 512, 4096 + 30_000, 4096 + 65_535, 4096 + 65_536, 4096 + 65_537]
    {
        let o = read_edited_evtx(|b| b.truncate(cut));
        assert!(o.events.len() < 300, "cut at {cut}");
    }
    // Garbage after a valid header: no chunk was ever written there.
    let o = read_edited_evtx(|b| {
        for (i, x) in b.iter_mut().enumerate().skip(4096) {
            *x = (i * 7919 % 251) as u8;
        }
    });
    assert!(o.events.is_empty() && o.rejected.is_empty(), "{:?}", o.rejected);
    assert_eq!(o.skipped(), [("unused_evtx_chunk", 17)]);
    assert!(!whole.is_empty());
}
