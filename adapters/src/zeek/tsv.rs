//! Zeek's default log form: `#`-directives (`#separator`, `#fields`, …) then tab-separated rows.
//! `-` is unset, `(empty)` an empty set; set members are separated by `,`.

use super::Entry;
use crate::error::RecordError;

/// The columns the reader needs, from `#fields`.
#[derive(Debug, Clone, Default)]
pub(super) struct Header {
    ts: Option<usize>,
    client: Option<usize>,
    query: Option<usize>,
    answers: Option<usize>,
    width: usize,
}

/// Applies one directive line (without its `#`) to the header seen so far.
pub(super) fn header(current: Option<Header>, directive: &str) -> Result<Option<Header>, RecordError> {
    let Some(fields) = directive.strip_prefix("fields\t") else { return Ok(current) };
    let names: Vec<&str> = fields.split('\t').collect();
    let col = |n: &str| names.iter().position(|f| *f == n);
    let h = Header {
        ts: col("ts"),
        client: col("id.orig_h"),
        query: col("query"),
        answers: col("answers"),
        width: names.len(),
    };
    if h.ts.is_none() || h.query.is_none() {
        return Err(RecordError::Malformed("#fields without `ts` and `query`: not a DNS log".to_owned()));
    }
    Ok(Some(h))
}

impl Header {
    pub(super) fn entry(&self, row: &str) -> Result<Entry, RecordError> {
        let cols: Vec<&str> = row.split('\t').collect();
        if cols.len() != self.width {
            return Err(RecordError::Malformed(format!("{} columns, #fields names {}", cols.len(), self.width)));
        }
        let get = |i: Option<usize>| i.map(|i| cols[i]).filter(|v| *v != "-" && *v != "(empty)").map(str::to_owned);
        let answers = get(self.answers).map(|a| a.split(',').map(str::to_owned).collect()).unwrap_or_default();
        Ok(Entry { ts: get(self.ts), client: get(self.client), query: get(self.query), answers })
    }
}
