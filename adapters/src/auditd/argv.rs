//! argv of an exec: from EXECVE records (whole, split `aN[i]`, continued over several records)
//! or, without them, from PROCTITLE; and as one command line the engine can tokenise.

use std::collections::BTreeMap;

use super::group::{at, Fail, Group, RecordKind};
use super::line::{field, fields};
use super::values;

/// argv from the EXECVE records: whole `aN` values, or `aN[i]` pieces of long ones.
pub(super) fn argv(g: &Group) -> Result<Option<Vec<Vec<u8>>>, Fail> {
    let mut pieces: BTreeMap<(u32, u32), Vec<u8>> = BTreeMap::new();
    let mut seen = false;
    for r in g.records.iter().filter(|r| r.kind == RecordKind::Execve) {
        seen = true;
        for (key, raw) in fields(&r.body) {
            let Some(rest) = key.strip_prefix('a') else { continue };
            let (n, piece) = match rest.split_once('[') {
                Some((n, i)) => (n, i.strip_suffix(']').and_then(|i| i.parse::<u32>().ok())),
                None => (rest, Some(0)),
            };
            let (Ok(n), Some(piece)) = (n.parse::<u32>(), piece) else { continue };
            let bytes = values::string("EXECVE argument", raw).map_err(at(r))?.unwrap_or_default();
            pieces.entry((n, piece)).or_default().extend_from_slice(&bytes);
        }
    }
    if !seen {
        return Ok(None);
    }
    let mut args: Vec<Vec<u8>> = Vec::new();
    let mut last = None;
    for ((n, _), bytes) in pieces {
        if last == Some(n) {
            args.last_mut().expect("an argument was started").extend_from_slice(&bytes);
        } else {
            args.push(bytes);
            last = Some(n);
        }
    }
    Ok(Some(args))
}

/// argv from PROCTITLE (NUL-separated, truncated to 128 bytes by the kernel).
pub(super) fn proctitle(g: &Group) -> Result<Option<Vec<Vec<u8>>>, Fail> {
    let Some(r) = g.records.iter().find(|r| r.kind == RecordKind::Proctitle) else { return Ok(None) };
    let Some(raw) = field(&r.body, "proctitle") else { return Ok(None) };
    let bytes = values::string("proctitle", raw).map_err(at(r))?.unwrap_or_default();
    Ok(Some(bytes.split(|&b| b == 0).filter(|a| !a.is_empty()).map(<[u8]>::to_vec).collect()))
}

/// argv as one command line: arguments with whitespace (or empty ones) in double quotes, so that
/// the engine's whitespace tokenising still sees a standalone URL as its own token.
pub fn command_line(argv: &[Vec<u8>]) -> String {
    let mut out = String::new();
    for (i, a) in argv.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let a = String::from_utf8_lossy(a);
        if a.is_empty() || a.chars().any(char::is_whitespace) {
            out.push('"');
            out.push_str(&a);
            out.push('"');
        } else {
            out.push_str(&a);
        }
    }
    out
}
