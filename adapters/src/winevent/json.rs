//! The JSON shapes Windows events come in (FORMATS.md §1.2), detected per record by key presence:
//!
//! * **A, flattened** (OTRF/Logstash, nxlog `im_msvistalog`): `EventID` and every `EventData`
//!   field at the top level;
//! * **B, Winlogbeat / Elastic Agent**: `winlog.event_id`, `winlog.event_data.*`;
//! * **C, evtx crate / pyevtx**: `Event.System.EventID`, `Event.EventData.{Name: value}`;
//! * **D, xmltodict / PowerShell**: `Event.EventData.Data` = `[{"@Name", "#text"}]`;
//! * **E, XML in a JSON wrapper**: a string value holding an `<Event>` (`SyslogMessage`,
//!   `event.original`, Splunk `_raw`).

use serde_json::{Map, Value};

use super::record::{is_mapped_field, parse_event_id, WinRecord};
use super::xml;
use crate::error::RecordError;

/// A flattened record (shape A) read without building a `Value`: keys borrowed from the line,
/// values left as raw JSON until the mapping needs them (most are never looked at). `None` when
/// the line is another shape (or not an object): the caller parses it as a `Value`.
pub fn parse_flat_line(line: &[u8]) -> Result<Option<WinRecord>, serde_json::Error> {
    use serde_json::value::RawValue;
    use std::collections::BTreeMap;
    // Borrowed keys: serde's `Cow<str>` would copy every key. A key with escapes does not
    // borrow and fails as a data error: the general path below then reads the line.
    let map: BTreeMap<&str, &RawValue> = match serde_json::from_slice(line) {
        Ok(m) => m,
        // Valid JSON of another type (an array): the general path handles it.
        Err(e) if e.classify() == serde_json::error::Category::Data => return Ok(None),
        Err(e) => return Err(e),
    };
    let Some(id) = map.get("EventID").or_else(|| map.get("EventId")) else { return Ok(None) };
    if map.contains_key("Event") || map.contains_key("winlog") {
        return Ok(None);
    }
    let get = |k: &str| map.get(k).and_then(|r| raw_text(r)).filter(|s| !s.is_empty());
    let event_id = raw_text(id).as_deref().and_then(parse_event_id);
    let Some(event_id) = event_id else { return Ok(None) };
    let time = |k: &str| get(k).and_then(|t| xml::parse_system_time(&t));
    Ok(Some(WinRecord {
        provider: get("SourceName").or_else(|| get("ProviderName")),
        channel: get("Channel"),
        event_id,
        computer: get("Hostname").or_else(|| get("Computer")),
        time_created: time("TimeCreated").or_else(|| time("@timestamp")),
        record_id: get("EventRecordID").or_else(|| get("RecordNumber")).and_then(|t| t.parse().ok()),
        has_data: true,
        // One pass over the line's fields (a few dozen), not a lookup per mapped field.
        data: map
            .iter()
            .filter(|(k, _)| is_mapped_field(k))
            .map(|(k, r)| ((*k).to_owned(), raw_text(r).filter(|s| !s.is_empty()).unwrap_or_default()))
            .collect(),
    }))
}

/// A JSON value as the string Windows wrote (numbers and booleans are typed in some shapes).
fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        // `{"#text": …}` (an element with attributes, in shapes C and D).
        Value::Object(o) => o.get("#text").and_then(text),
        _ => None,
    }
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v, |v, k| v.get(k))
}

fn time_at(v: Option<&Value>) -> Option<chrono::DateTime<chrono::Utc>> {
    v.and_then(text).and_then(|t| xml::parse_system_time(&t))
}

/// The fields the mapping reads, and whether there were any fields at all.
fn fields(obj: &Map<String, Value>) -> (bool, Vec<(String, String)>) {
    let data =
        obj.iter().filter(|(k, _)| is_mapped_field(k)).filter_map(|(k, v)| text(v).map(|t| (k.clone(), t))).collect();
    (!obj.is_empty(), data)
}

/// The record a JSON value holds, whatever its shape.
pub fn parse_value(v: &Value) -> Result<WinRecord, RecordError> {
    let Some(obj) = v.as_object() else {
        return Err(RecordError::UnknownShape("not a JSON object".into()));
    };
    if let Some(event) = obj.get("Event").filter(|e| e.get("System").is_some()) {
        return from_event_object(event);
    }
    if let Some(winlog) = obj.get("winlog").filter(|w| w.get("event_id").is_some()) {
        return from_winlog(v, winlog);
    }
    if let Some(id) = obj.get("EventID").or_else(|| obj.get("EventId")) {
        return from_flat(obj, id);
    }
    if let Some(xml) = embedded_xml(obj) {
        return xml::parse_event(xml);
    }
    let keys: Vec<&str> = obj.keys().take(6).map(String::as_str).collect();
    Err(RecordError::UnknownShape(format!("no Windows event in an object with keys {keys:?}")))
}

fn event_id(v: &Value) -> Result<u32, RecordError> {
    let t = text(v).unwrap_or_default();
    parse_event_id(&t).ok_or(RecordError::BadValue { field: "EventID", message: format!("`{t}` is not a number") })
}

/// Shape A: everything at the top level.
fn from_flat(obj: &Map<String, Value>, id: &Value) -> Result<WinRecord, RecordError> {
    let get = |k: &str| obj.get(k).and_then(text).filter(|s| !s.is_empty());
    let (has_data, data) = fields(obj);
    Ok(WinRecord {
        provider: get("SourceName").or_else(|| get("ProviderName")),
        channel: get("Channel"),
        event_id: event_id(id)?,
        computer: get("Hostname").or_else(|| get("Computer")),
        // `EventTime` (nxlog) is local time without a zone: never used.
        time_created: time_at(obj.get("TimeCreated")).or_else(|| time_at(obj.get("@timestamp"))),
        record_id: get("EventRecordID").or_else(|| get("RecordNumber")).and_then(|t| t.parse().ok()),
        has_data,
        data,
    })
}

/// Shape B: Winlogbeat's `winlog` object; the raw XML in `event.original` when there is no
/// `event_data`.
fn from_winlog(root: &Value, winlog: &Value) -> Result<WinRecord, RecordError> {
    let (has_data, data) = match winlog.get("event_data").and_then(Value::as_object) {
        Some(d) => fields(d),
        None => {
            if let Some(xml) = str_at(root, &["event", "original"]).and_then(Value::as_str) {
                return xml::parse_event(xml);
            }
            (false, Vec::new())
        }
    };
    let get = |v: Option<&Value>| v.and_then(text).filter(|s| !s.is_empty());
    Ok(WinRecord {
        provider: get(winlog.get("provider_name")),
        channel: get(winlog.get("channel")),
        event_id: event_id(&winlog["event_id"])?,
        computer: get(winlog.get("computer_name")).or_else(|| get(str_at(root, &["host", "name"]))),
        time_created: time_at(root.get("@timestamp")),
        record_id: get(winlog.get("record_id")).and_then(|t| t.parse().ok()),
        has_data,
        data,
    })
}

/// An attribute of an element in shapes C (`{"#attributes": {"Name": …}}`) and D (`{"@Name": …}`).
fn attribute<'a>(element: Option<&'a Value>, name: &str) -> Option<&'a Value> {
    let e = element?;
    e.get("#attributes").and_then(|a| a.get(name)).or_else(|| e.get(format!("@{name}").as_str()))
}

/// Shapes C and D: `{"Event": {"System": …, "EventData": …}}`.
fn from_event_object(event: &Value) -> Result<WinRecord, RecordError> {
    let mut record = from_system(&event["System"])?;
    if let Some(ed) = event.get("EventData").and_then(Value::as_object) {
        let named: Vec<(String, String)> = match ed.get("Data") {
            // Shape D: a list of named values (or one, when there is a single field).
            Some(Value::Array(items)) => items.iter().filter_map(named_value).collect(),
            Some(one @ Value::Object(o)) if o.contains_key("@Name") => named_value(one).into_iter().collect(),
            _ => {
                (record.has_data, record.data) = fields(ed);
                Vec::new()
            }
        };
        if !named.is_empty() {
            record.has_data = true;
            record.data = named.into_iter().filter(|(k, _)| is_mapped_field(k)).collect();
        }
    }
    Ok(record)
}

/// The `System` part of shapes C and D (no `EventData` yet).
fn from_system(system: &Value) -> Result<WinRecord, RecordError> {
    let id = system.get("EventID").ok_or(RecordError::MissingField { kind: "event", field: "EventID" })?;
    let get = |k: &str| system.get(k).and_then(text).filter(|s| !s.is_empty());
    // The evtx crate with `separate_json_attributes` puts attributes beside the element.
    let created = attribute(system.get("TimeCreated"), "SystemTime")
        .or_else(|| str_at(system, &["TimeCreated_attributes", "SystemTime"]));
    let provider =
        attribute(system.get("Provider"), "Name").or_else(|| str_at(system, &["Provider_attributes", "Name"]));
    Ok(WinRecord {
        provider: provider.and_then(text),
        channel: get("Channel"),
        event_id: event_id(id)?,
        computer: get("Computer"),
        time_created: time_at(created),
        record_id: get("EventRecordID").and_then(|t| t.parse().ok()),
        has_data: false,
        data: Vec::new(),
    })
}

/// The evtx crate's JSON of one record (shape C) with `System` as a `Value` but `EventData`
/// read as borrowed names and raw values, unescaping only the fields the mapping reads. Other
/// layouts (a `Data` list, no object) go through [`parse_value`].
pub fn parse_evtx_json(text: &str) -> Result<WinRecord, RecordError> {
    use serde_json::value::RawValue;
    use std::borrow::Cow;
    use std::collections::BTreeMap;
    #[derive(serde::Deserialize)]
    struct Doc<'a> {
        #[serde(rename = "Event", borrow)]
        event: Inner<'a>,
    }
    #[derive(serde::Deserialize)]
    struct Inner<'a> {
        #[serde(rename = "System")]
        system: Value,
        #[serde(rename = "EventData", borrow, default)]
        event_data: Option<BTreeMap<Cow<'a, str>, &'a RawValue>>,
    }
    let doc = match serde_json::from_str::<Doc<'_>>(text) {
        Ok(d) if d.event.event_data.as_ref().is_none_or(|m| !m.contains_key("Data")) => d,
        _ => {
            let v: Value = serde_json::from_str(text).map_err(|e| RecordError::Json(e.to_string()))?;
            return parse_value(&v);
        }
    };
    let mut record = from_system(&doc.event.system)?;
    if let Some(map) = doc.event.event_data {
        record.has_data = !map.is_empty();
        record.data = map
            .iter()
            .filter(|(k, _)| is_mapped_field(k))
            .filter_map(|(k, raw)| raw_text(raw).map(|t| (k.to_string(), t)))
            .collect();
    }
    Ok(record)
}

/// A raw JSON value as the string Windows wrote (numbers and booleans as their text).
fn raw_text(raw: &serde_json::value::RawValue) -> Option<String> {
    let t = raw.get();
    match t.as_bytes().first() {
        Some(b'"') => serde_json::from_str::<String>(t).ok(),
        Some(b'{') => serde_json::from_str::<Value>(t).ok().as_ref().and_then(text),
        Some(b'[') | None => None,
        Some(_) if t == "null" => None,
        Some(_) => Some(t.to_owned()),
    }
}

fn named_value(item: &Value) -> Option<(String, String)> {
    let name = item.get("@Name")?.as_str()?;
    Some((name.to_owned(), item.get("#text").and_then(text).unwrap_or_default()))
}

/// Shape E: the first string value (top level, or `event.original`) holding an `<Event>`.
fn embedded_xml(obj: &Map<String, Value>) -> Option<&str> {
    let is_xml = |s: &&str| s.trim_start().starts_with("<Event");
    obj.values()
        .filter_map(Value::as_str)
        .find(is_xml)
        .or_else(|| obj.get("event").and_then(|e| e.get("original")).and_then(Value::as_str).filter(is_xml))
}

#[cfg(test)]
mod tests;
