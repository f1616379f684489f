//! The fast path of the native reader: [`wire`] reads a line's [`Wire`] with the strict
//! scanner of [`crate::json_scan`] in the common shapes, and gives up (`None`) on anything
//! else, so that `serde_json` reads it, and decides and words any error. It never accepts what
//! the `serde_json` parse rejects and reads the same values (the property test below).

use std::borrow::Cow;

use super::wire::{Str, Wire, WireProc, WireTime};
use crate::event::{AttrChange, Os};
use crate::json_scan::{Scan, Value};

/// The line's wire form, or `None` to leave it to `serde_json`.
pub(super) fn wire(text: &str) -> Option<Wire<'_>> {
    let mut w = Wire::default();
    // serde's derived struct rejects a repeated field; a bit per known field finds one.
    let mut seen = 0u32;
    let mut scan = Scan::new(text);
    scan.object(|s, key| {
        let bit = match key {
            "time" => {
                w.time = match s.value()? {
                    Value::Str(t) => Some(WireTime::Text(Str(t))),
                    Value::Uint(m) => Some(WireTime::Millis(i64::try_from(m).ok()?)),
                    Value::Null => None,
                    Value::Bool(_) => return None,
                };
                0
            }
            "host" => set(&mut w.host, s, 1)?,
            "os" => {
                w.os = match s.value()? {
                    Value::Null => None,
                    Value::Str(os) => Some(match &*os {
                        "windows" => Os::Windows,
                        "linux" => Os::Linux,
                        "macos" => Os::Macos,
                        _ => return None,
                    }),
                    _ => return None,
                };
                2
            }
            "kind" => set(&mut w.kind, s, 3)?,
            "proc" => {
                w.proc = proc(s)?;
                4
            }
            "parent" => {
                w.parent = proc(s)?;
                5
            }
            "image" => set(&mut w.image, s, 6)?,
            "command_line" => set(&mut w.command_line, s, 7)?,
            "user" => set(&mut w.user, s, 8)?,
            "url" => set(&mut w.url, s, 9)?,
            "query" => set(&mut w.query, s, 10)?,
            "answers" => {
                if s.ws_peek()? == b'n' {
                    s.value()?;
                } else {
                    let mut answers = Vec::new();
                    s.array(|s| {
                        answers.push(Str(string(s)?));
                        Some(())
                    })?;
                    w.answers = Some(answers);
                }
                11
            }
            "dst_ip" => set(&mut w.dst_ip, s, 12)?,
            "dst_port" => {
                w.dst_port = match s.value()? {
                    Value::Uint(p) => Some(u16::try_from(p).ok()?),
                    Value::Null => None,
                    _ => return None,
                };
                13
            }
            "domain" => set(&mut w.domain, s, 14)?,
            "path" => set(&mut w.path, s, 15)?,
            "op" => set(&mut w.op, s, 16)?,
            "from" => set(&mut w.from, s, 17)?,
            // Provenance is rare and nested: serde reads it.
            "origin" => s.value().filter(|v| *v == Value::Null).map(|_| 18)?,
            "attr" => {
                w.attr = match s.value()? {
                    Value::Null => None,
                    Value::Str(a) => Some(match &*a {
                        "quarantine_set" => AttrChange::QuarantineSet,
                        "quarantine_removed" => AttrChange::QuarantineRemoved,
                        "motw_removed" => AttrChange::MotwRemoved,
                        "executable" => AttrChange::Executable,
                        _ => return None,
                    }),
                    _ => return None,
                };
                19
            }
            "fork" => {
                w.fork = match s.value()? {
                    Value::Bool(b) => b,
                    _ => return None,
                };
                20
            }
            "session" => {
                w.session = match s.value()? {
                    Value::Uint(n) => Some(n),
                    Value::Null => None,
                    _ => return None,
                };
                21
            }
            // Other fields are skipped, as serde skips them, when they are scalars.
            _ => {
                s.value()?;
                return Some(());
            }
        };
        let mask = 1u32 << bit;
        (seen & mask == 0).then(|| seen |= mask)
    })?;
    scan.end()?;
    Some(w)
}

/// A string value.
fn string<'a>(s: &mut Scan<'a>) -> Option<Cow<'a, str>> {
    match s.value()? {
        Value::Str(t) => Some(t),
        _ => None,
    }
}

/// Reads an optional string field into `slot`; returns its bit.
fn set<'a>(slot: &mut Option<Str<'a>>, s: &mut Scan<'a>, bit: u32) -> Option<u32> {
    *slot = match s.value()? {
        Value::Str(t) => Some(Str(t)),
        Value::Null => None,
        _ => return None,
    };
    Some(bit)
}

/// A process reference: an id string, a pid, `{"id": .., "pid": ..}`, or null.
fn proc<'a>(s: &mut Scan<'a>) -> Option<Option<WireProc<'a>>> {
    if s.ws_peek()? != b'{' {
        return match s.value()? {
            Value::Str(id) => Some(Some(WireProc::Id(Str(id)))),
            Value::Uint(pid) => Some(Some(WireProc::Pid(u32::try_from(pid).ok()?))),
            Value::Null => Some(None),
            Value::Bool(_) => None,
        };
    }
    // As the serde visitor: the last of a repeated key wins.
    let (mut id, mut pid) = (None, None);
    s.object(|s, key| {
        match key {
            "id" => id = Some(Str(string(s)?)),
            "pid" => match s.value()? {
                Value::Uint(p) => pid = Some(u32::try_from(p).ok()?),
                _ => return None,
            },
            _ => return None,
        }
        Some(())
    })?;
    Some(Some(match (id, pid) {
        (Some(i), Some(p)) => WireProc::IdAndPid(i, p),
        (Some(i), None) => WireProc::Id(i),
        (None, Some(p)) => WireProc::Pid(p),
        (None, None) => return None,
    }))
}

#[cfg(test)]
mod tests;
