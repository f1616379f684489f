//! EVTX records read straight from their BinXML, without rendering them to JSON and parsing
//! that again: a record that is one template instance (what Sysmon and Security write) names
//! its template; the template's definition (parsed once per chunk) says which substitution
//! holds `EventID`, `Provider@Name`, `TimeCreated@SystemTime`, `EventRecordID`, `Channel`,
//! `Computer` and each `<Data Name="…">` of `EventData`; only the mapped ones are decoded.
//!
//! Anything this does not know for certain renders the way [`super::json::parse_evtx_json`]
//! reads it (a template of another layout, a `NullType`, an empty or non-UTF-16 mapped value,
//! a value type not listed in [`text_of`], a repeated name …) gives `None`, and the caller
//! takes the rendering path. A test reads every record of every EVTX fixture both ways.
//!
//! Records come from the crate's own record iterator, which has already built and checked
//! them (a record it cannot read is still its error). A record read here is not rendered, so
//! it does not spend the chunk's render budget; the layout taken here (scalar values, one
//! template) renders far below that budget anyway.

use chrono::{DateTime, Utc};

use super::binxml_bytes::{u16_at, u32_at, u64_at, utf16_into};
use super::evtx_template::{Data, DataTemplate, Source, Templates};
use super::record::{log_name, parse_event_id, Fields, LogName, WinRecord, COMMON_LOG_NAMES, SORTED_FIELDS};

/// A value's type byte and bytes.
type Value<'a> = (u8, &'a [u8]);

/// A value as the evtx crate's JSON renders it (the text `raw_text` gets back); `None` for
/// `NullType` and the types not listed here.
fn text_of(v: Value<'_>) -> Option<String> {
    let mut text = String::new();
    text_into(v, &mut text)?;
    Some(text)
}

/// [`text_of`], appended to `out` (part of it may be appended when it fails).
fn text_into((ty, b): Value<'_>, out: &mut String) -> Option<()> {
    use std::fmt::Write as _;
    let fixed = |n: usize| (b.len() == n).then_some(());
    let start = out.len();
    let done = match ty {
        0x01 if !b.is_empty() => {
            utf16_into(b, out)?;
            return (out.len() > start).then_some(());
        }
        0x03 => write!(out, "{}", (fixed(1).map(|()| b[0] as i8))?),
        0x04 => write!(out, "{}", (fixed(1).map(|()| b[0]))?),
        0x05 => write!(out, "{}", (fixed(2).and_then(|()| u16_at(b, 0)).map(|v| v as i16))?),
        0x06 => write!(out, "{}", (fixed(2).and_then(|()| u16_at(b, 0)))?),
        0x07 => write!(out, "{}", (fixed(4).and_then(|()| u32_at(b, 0)).map(|v| v as i32))?),
        0x08 => write!(out, "{}", (fixed(4).and_then(|()| u32_at(b, 0)))?),
        0x09 => write!(out, "{}", (fixed(8).and_then(|()| u64_at(b, 0)).map(|v| v as i64))?),
        0x0a => write!(out, "{}", (fixed(8).and_then(|()| u64_at(b, 0)))?),
        // 0 and 1 are booleans; the crate renders any other value as the number it is.
        0x0d => match (fixed(4).and_then(|()| u32_at(b, 0)).map(|v| v as i32))? {
            0 => out.write_str("false"),
            1 => out.write_str("true"),
            n => write!(out, "{n}"),
        },
        0x0f => {
            fixed(16)?;
            // As the crate writes it: `{` the fields in their byte order, lowercase, `}`.
            let order = [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15];
            let hex = |n: u8| b"0123456789abcdef"[usize::from(n)];
            let mut text = [b'-'; 38];
            (text[0], text[37]) = (b'{', b'}');
            let mut at = 1;
            for (i, &idx) in order.iter().enumerate() {
                at += usize::from(matches!(i, 4 | 6 | 8 | 10));
                (text[at], text[at + 1]) = (hex(b[idx] >> 4), hex(b[idx] & 0x0f));
                at += 2;
            }
            out.write_str(std::str::from_utf8(&text).ok()?)
        }
        0x14 => write!(out, "{:#x}", (fixed(4).and_then(|()| u32_at(b, 0)))?),
        0x15 => write!(out, "{:#x}", (fixed(8).and_then(|()| u64_at(b, 0)))?),
        _ => return None,
    };
    done.ok()
}

/// The common log name (see [`log_name`]) that UTF-16 text `b` is, as [`utf16`](super::binxml_bytes::utf16) would read it
/// (up to its first NUL).
fn common_log_name(b: &[u8]) -> Option<&'static str> {
    COMMON_LOG_NAMES.iter().copied().find(|n| {
        let end = n.len() * 2;
        matches!(b.get(end..end + 2), None | Some([0, 0]))
            && b.len() >= end
            && n.bytes().zip(b.chunks_exact(2)).all(|(c, unit)| unit == [c, 0])
    })
}

/// An integer value (types 0x03 to 0x0a, of their size) as the number its text is.
fn integer_of((ty, b): Value<'_>) -> Option<i128> {
    Some(match (ty, b.len()) {
        (0x03, 1) => i128::from(b[0] as i8),
        (0x04, 1) => i128::from(b[0]),
        (0x05, 2) => i128::from(u16_at(b, 0)? as i16),
        (0x06, 2) => i128::from(u16_at(b, 0)?),
        (0x07, 4) => i128::from(u32_at(b, 0)? as i32),
        (0x08, 4) => i128::from(u32_at(b, 0)?),
        (0x09, 8) => i128::from(u64_at(b, 0)? as i64),
        (0x0a, 8) => i128::from(u64_at(b, 0)?),
        _ => return None,
    })
}

/// A FILETIME as a time (years 1601–9999, where the crate's 100 ns text reads back exactly).
fn filetime((ty, b): Value<'_>) -> Option<DateTime<Utc>> {
    if ty != 0x11 || b.len() != 8 {
        return None;
    }
    let ticks = u64_at(b, 0)?;
    let secs = i64::try_from(ticks / 10_000_000).ok()? - 11_644_473_600;
    let t = DateTime::from_timestamp(secs, (ticks % 10_000_000) as u32 * 100)?;
    (t.timestamp() < 253_402_300_800).then_some(t)
}

/// The template instance whose token (`0x0c`) is at `pos` in `chunk`: its definition's offset,
/// its values (scalars, and BinXML fragments), and where it ends.
fn instance(chunk: &[u8], mut pos: usize) -> Option<(u32, Vec<Value<'_>>, usize)> {
    if chunk.get(pos) != Some(&0x0c) {
        return None;
    }
    pos += 1 + 1 + 4;
    let def = u32_at(chunk, pos)?;
    pos += 4;
    if def as usize == pos {
        pos += 24 + u32_at(chunk, pos + 20)? as usize;
    }
    let count = u32_at(chunk, pos)? as usize;
    pos += 4;
    let descriptors = chunk.get(pos..pos.checked_add(count.checked_mul(4)?)?)?;
    pos += count * 4;
    let mut values: Vec<Value<'_>> = Vec::with_capacity(count);
    for d in descriptors.chunks_exact(4) {
        // Scalars and BinXML only: arrays and the rest are left to the crate.
        if d[2] > 0x15 && d[2] != 0x21 {
            return None;
        }
        let len = usize::from(u16::from_le_bytes([d[0], d[1]]));
        values.push((d[2], chunk.get(pos..pos + len)?));
        pos += len;
    }
    Some((def, values, pos))
}

/// A fragment (with or without its `0x0f` header) of one template instance filling `chunk[start..end]` (an EOF
/// token may follow it): its definition's offset and values.
fn fragment(chunk: &[u8], start: usize, end: usize) -> Option<(u32, Vec<Value<'_>>)> {
    // With a fragment header or without (as the crate takes both).
    let at = match chunk.get(start)? {
        0x0f => start + 4,
        _ => start,
    };
    let (def, values, after) = instance(chunk, at)?;
    (after <= end && matches!(chunk.get(after..end)?, [] | [0x00, ..])).then_some((def, values))
}

/// The record whose BinXML is `chunk[offset..offset + size]`, or `None` when it is not one
/// this module reads with certainty.
pub fn read(chunk: &[u8], offset: usize, size: usize, templates: &mut Templates) -> Option<WinRecord> {
    let end = offset.checked_add(size)?;
    let (def, values) = fragment(chunk, offset, end)?;
    let template = templates.event(chunk, def)?;
    // Where `EventData`'s values are (a nested fragment's own values, or the record's).
    let nested;
    let (data, data_values): (&DataTemplate, &[Value<'_>]) = match &template.data {
        Data::Inline(d) => (d, &values),
        Data::Nested(id) => {
            let (ty, bytes) = *values.get(usize::from(*id))?;
            if ty != 0x21 {
                return None;
            }
            let start = bytes.as_ptr() as usize - chunk.as_ptr() as usize;
            let (def, inner) = fragment(chunk, start, start + bytes.len())?;
            // No fragment inside the fragment.
            if inner.iter().any(|v| v.0 == 0x21) {
                return None;
            }
            nested = (templates.data(chunk, def)?, inner);
            (&*nested.0, &nested.1)
        }
    };
    // Any other fragment is rendered by the crate only.
    let nested_slot = match template.data {
        Data::Nested(id) => usize::from(id),
        Data::Inline(_) => usize::MAX,
    };
    if values.iter().enumerate().any(|(i, v)| v.0 == 0x21 && i != nested_slot) {
        return None;
    }
    let value = |id: u16| values.get(usize::from(id)).copied();
    if template.deps.iter().any(|&d| value(d).is_none_or(|v| v.0 == 0x00)) {
        return None;
    }
    let text = |s: &Source| -> Option<Option<String>> {
        Some(match s {
            Source::Absent => None,
            Source::Static(t) => Some(t.clone()),
            // A NullType or a type not read here: the rendering path decides.
            Source::Sub(id) => Some(text_of(value(*id)?)?),
        })
    };
    // Numbers (what Sysmon and Security write) are read without writing and parsing their text.
    let integer = |s: &Source| match s {
        Source::Sub(id) => value(*id).and_then(integer_of),
        _ => None,
    };
    let event_id = match integer(&template.event_id) {
        Some(n) => u32::try_from(n).ok()?,
        None => parse_event_id(&text(&template.event_id)??)?,
    };
    // A common provider or channel name is matched in its UTF-16 form, not decoded and copied.
    let name = |s: &Source| -> Option<Option<LogName>> {
        match s {
            Source::Sub(id) => match value(*id)? {
                (0x01, b) => match common_log_name(b) {
                    Some(n) => Some(Some(LogName::Borrowed(n))),
                    None => Some(text(s)?.map(LogName::Owned)),
                },
                _ => Some(text(s)?.map(LogName::Owned)),
            },
            Source::Static(t) => Some(Some(log_name(t))),
            Source::Absent => Some(None),
        }
    };
    let provider = name(&template.provider)?;
    let channel = name(&template.channel)?.filter(|s| !s.is_empty());
    let computer = text(&template.computer)?.filter(|s| !s.is_empty());
    let record_id = match integer(&template.record_id) {
        Some(n) => Some(u64::try_from(n).ok()?),
        None => match text(&template.record_id)? {
            Some(t) => Some(t.parse().ok()?),
            None => None,
        },
    };
    let time_created = match &template.time_created {
        Source::Absent => None,
        Source::Sub(id) => Some(filetime(value(*id)?)?),
        Source::Static(_) => return None,
    };
    let data_value = |id: u16| data_values.get(usize::from(id)).copied();
    if data.deps.iter().any(|&d| data_value(d).is_none_or(|v| v.0 == 0x00)) {
        return None;
    }
    let mut slots: [Option<Value<'_>>; SORTED_FIELDS.len()] = Default::default();
    for &(id, slot) in &data.fields {
        let v = data_value(id)?;
        // Unmapped values: only a NullType is a doubt (the crate may leave the field out).
        if v.0 == 0x00 {
            return None;
        }
        if let Some(i) = slot {
            slots[i] = Some(v);
        }
    }
    // Written straight into the record's buffer (UTF-16 text takes at most its byte length).
    let bytes = slots.iter().flatten().map(|v| v.1.len().max(38)).sum();
    let mut data = Fields::with_capacity(slots.iter().flatten().count(), bytes);
    for (slot, v) in slots.into_iter().enumerate() {
        if let Some(v) = v {
            data.push_slot_with(slot, |out| text_into(v, out))?;
        }
    }
    Some(WinRecord {
        provider,
        channel,
        event_id,
        computer,
        time_created,
        local_time: None,
        record_id,
        has_data: true,
        data,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::winevent::binxml_bytes::utf16;
    use std::path::{Path, PathBuf};
    use std::sync::Arc;

    fn evtx_files(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                evtx_files(&p, out);
            } else if p.extension().is_some_and(|x| x == "evtx") {
                out.push(p);
            }
        }
    }

    /// Every record read from its BinXML equals what the rendering path reads from the crate's
    /// JSON, on the fixture and (when it is there) every EVTX file of ../shared/data/windows.
    /// One set of templates serves all files, as a reader's serves all chunks: a definition
    /// found by its tokens in another chunk or file must read as the chunk's own would.
    #[test]
    fn fast_records_equal_rendered_records_on_real_files() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut files = vec![root.join("tests/data/windows/sysmon.evtx")];
        if let Some(shared) = crate::shared_data::shared_data("windows") {
            evtx_files(&shared, &mut files);
            assert!(files.len() > 1, "EVTX files under {}", shared.display());
        }
        let settings = Arc::new(::evtx::ParserSettings::new().validate_checksums(true).indent(false));
        let (mut fast_total, mut all_total) = (0, 0);
        let mut templates = Templates::default();
        for path in &files {
            let mut parser = ::evtx::EvtxParser::from_path(path).unwrap().with_configuration((*settings).clone());
            let (mut fast, mut all) = (0, 0);
            for mut data in parser.chunks().flatten() {
                let Ok(mut chunk) = data.parse(Arc::clone(&settings)) else { continue };
                templates.clear();
                for r in chunk.iter().flatten() {
                    all += 1;
                    let read = read(r.chunk.data, r.binxml_offset as usize, r.binxml_size as usize, &mut templates);
                    let Some(mut got) = read else { continue };
                    fast += 1;
                    let json = r.clone().into_json().unwrap().data;
                    let mut want = super::super::json::parse_evtx_json(&json).unwrap();
                    got.data.sort();
                    want.data.sort();
                    assert_eq!(format!("{got:?}"), format!("{want:?}"), "{}: {json}", path.display());
                }
            }
            eprintln!("{}: {fast} of {all} records read from BinXML", path.display());
            fast_total += fast;
            all_total += all;
        }
        // The fixture's Sysmon records all take the fast path.
        assert!(fast_total * 10 >= all_total * 9, "{fast_total} of {all_total}");
    }

    fn units(s: &[u16]) -> Vec<u8> {
        s.iter().flat_map(|u| u.to_le_bytes()).collect()
    }

    proptest::proptest! {
        /// A common name is found in UTF-16 exactly where decoding gives it.
        #[test]
        fn common_log_names_match_as_decoded(
            name in proptest::sample::select(vec!["Security", "Securit", "Securityx", "Microsoft-Windows-Sysmon", "Microsoft-Windows-Sysmon/Operational", "Linux-Sysmon", "", "Sécurity"]),
            tail in proptest::sample::select(vec![vec![], vec![0u16], vec![0, 65], vec![65], vec![0xd800]]),
            odd in proptest::bool::ANY,
        ) {
            let mut wide: Vec<u16> = name.encode_utf16().collect();
            wide.extend(tail);
            let mut bytes = units(&wide);
            if odd {
                bytes.push(0);
            }
            let decoded = utf16(&bytes);
            let expected = decoded.as_deref().and_then(|d| COMMON_LOG_NAMES.iter().copied().find(|n| *n == d));
            proptest::prop_assert_eq!(common_log_name(&bytes), expected);
        }

        /// An integer read as a number is the number its text says (and only integers are).
        #[test]
        fn integers_are_their_text(ty in 0u8..0x16, bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..9)) {
            let v = (ty, &bytes[..]);
            let from_text = text_of(v).filter(|_| (0x03..=0x0a).contains(&ty)).and_then(|t| t.parse::<i128>().ok());
            proptest::prop_assert_eq!(integer_of(v), from_text);
        }
    }

    #[test]
    fn values_render_as_the_crate_writes_them() {
        let guid = [0x5f, 0x38, 0x70, 0x57, 0x2a, 0xc2, 0xe0, 0x43, 0xbf, 0x4c, 0x06, 0xf5, 0x69, 0x8f, 0xfb, 0xd9];
        assert_eq!(text_of((0x0f, &guid)).as_deref(), Some("{5770385f-c22a-43e0-bf4c-06f5698ffbd9}"));
        assert_eq!(text_of((0x0d, &2i32.to_le_bytes())).as_deref(), Some("2"));
        assert_eq!(text_of((0x0d, &1i32.to_le_bytes())).as_deref(), Some("true"));
        assert_eq!(text_of((0x15, &0x1d2cu64.to_le_bytes())).as_deref(), Some("0x1d2c"));
        assert_eq!(text_of((0x07, &(-5i32).to_le_bytes())).as_deref(), Some("-5"));
        // A size that is not the type's: left to the crate.
        assert_eq!(text_of((0x08, &[1, 0])), None);
        assert_eq!(text_of((0x00, &[])), None);
    }
}
