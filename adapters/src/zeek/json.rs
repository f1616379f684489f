//! Zeek JSON logs (`@load policy/tuning/json-logs`): one object per line, dotted field names.

use serde::Deserialize;

use super::Entry;
use crate::error::RecordError;

#[derive(Deserialize)]
struct Wire {
    ts: Option<serde_json::Value>,
    #[serde(rename = "id.orig_h")]
    client: Option<String>,
    query: Option<String>,
    #[serde(default)]
    answers: Vec<String>,
}

pub(super) fn entry(text: &str) -> Result<Entry, RecordError> {
    let w: Wire = serde_json::from_str(text).map_err(|e| RecordError::Json(e.to_string()))?;
    let ts = match w.ts {
        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
        Some(serde_json::Value::String(s)) => Some(s),
        Some(other) => return Err(RecordError::BadTimestamp(other.to_string())),
        None => None,
    };
    Ok(Entry { ts, client: w.client, query: w.query, answers: w.answers })
}
