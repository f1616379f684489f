//! Reading ECS fields tolerantly: nested objects or dotted keys (`"process.pid": 1`), arrays
//! where a scalar is expected (the first element is taken) and the reverse, numbers as strings.

use serde_json::{Map, Value};

/// The value at dotted `path`, looking up nested objects and dotted keys at every level.
pub(super) fn get<'a>(doc: &'a Map<String, Value>, path: &str) -> Option<&'a Value> {
    if let Some(v) = doc.get(path) {
        return Some(v);
    }
    let mut rest = path;
    while let Some(i) = rest.find('.') {
        let (head, tail) = (&path[..path.len() - rest.len() + i], &rest[i + 1..]);
        if let Some(Value::Object(inner)) = doc.get(head) {
            if let Some(v) = get(inner, tail) {
                return Some(v);
            }
        }
        rest = tail;
    }
    None
}

/// The first scalar of a value that may be an array.
fn scalar(v: &Value) -> Option<&Value> {
    match v {
        Value::Array(items) => items.iter().find(|i| !i.is_null()),
        Value::Null => None,
        other => Some(other),
    }
}

/// A string field (numbers and booleans are written out).
pub(super) fn string(doc: &Map<String, Value>, path: &str) -> Option<String> {
    match scalar(get(doc, path)?)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// An unsigned integer field (also from a numeric string).
pub(super) fn number(doc: &Map<String, Value>, path: &str) -> Option<u64> {
    match scalar(get(doc, path)?)? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A list of strings (a lone string counts as a list of one).
pub(super) fn strings(doc: &Map<String, Value>, path: &str) -> Vec<String> {
    match get(doc, path) {
        Some(Value::Array(items)) => items.iter().filter_map(|i| i.as_str().map(str::to_owned)).collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

/// Whether a keyword field (string or array of strings) holds `word`.
pub(super) fn has(doc: &Map<String, Value>, path: &str, word: &str) -> bool {
    strings(doc, path).iter().any(|s| s.eq_ignore_ascii_case(word))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn nested_dotted_and_mixed() {
        let d = doc(
            json!({"process": {"pid": 7, "parent.pid": "8", "args": "ls"}, "host.name": ["a", "b"], "event": {"category": "process"}}),
        );
        assert_eq!(number(&d, "process.pid"), Some(7));
        assert_eq!(number(&d, "process.parent.pid"), Some(8));
        assert_eq!(string(&d, "host.name").as_deref(), Some("a"));
        assert_eq!(strings(&d, "process.args"), ["ls"]);
        assert!(has(&d, "event.category", "PROCESS"));
        assert_eq!(string(&d, "process.missing"), None);
    }
}
