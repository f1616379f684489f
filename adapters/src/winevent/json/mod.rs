//! The JSON shapes Windows events come in, detected per record by key presence:
//!
//! * **A, flattened** (OTRF/Logstash, nxlog `im_msvistalog`): `EventID` and every `EventData`
//!   field at the top level;
//! * **B, Winlogbeat / Elastic Agent**: `winlog.event_id`, `winlog.event_data.*`;
//! * **C, evtx crate / pyevtx**: `Event.System.EventID`, `Event.EventData.{Name: value}`;
//! * **D, xmltodict / PowerShell**: `Event.EventData.Data` = `[{"@Name", "#text"}]`;
//! * **E, XML in a JSON wrapper**: a string value holding an `<Event>` (`SyslogMessage`,
//!   `event.original`, Splunk `_raw`).

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::record::{log_name, mapped_name, mapped_slot, parse_event_id, Fields, LogName, WinRecord, SORTED_FIELDS};
use super::xml;

mod ecs_moved;
use crate::error::RecordError;
use crate::json_scan::{unescape, unescape_into};

/// A flattened record (shape A) read without building a `Value` or a map: one pass over the
/// line's keys, borrowed from it; values the mapping reads are taken as raw JSON (unescaped only
/// when they hold an escape), the rest skipped. `None` when the line is another shape (or not an
/// object): the caller parses it as a `Value`.
pub fn parse_flat_line(line: &[u8]) -> Result<Option<WinRecord>, serde_json::Error> {
    let mut scanned = flat::Flat::default();
    let parsed;
    let flat = match flat::scan_into(line, &mut scanned) {
        Some(()) => &scanned,
        None => {
            use serde::de::Deserializer as _;
            let mut de = serde_json::Deserializer::from_slice(line);
            // Keys are borrowed: a key with escapes fails as a data error and the general path
            // reads the line, as for valid JSON of another type (an array).
            parsed = match de.deserialize_map(flat::FlatVisitor).and_then(|f| de.end().map(|()| f)) {
                Ok(f) => f,
                Err(e) if e.classify() == serde_json::error::Category::Data => return Ok(None),
                Err(e) => return Err(e),
            };
            &parsed
        }
    };
    let Some(id) = flat.event_id.or(flat.event_id_alt) else { return Ok(None) };
    if flat.other_shape {
        return Ok(None);
    }
    // Texts only read here are borrowed from the line (no copy unless unescaped).
    fn borrow(r: Option<flat::Raw<'_>>) -> Option<Cow<'_, str>> {
        r.and_then(raw_cow).filter(|s| !s.is_empty())
    }
    let get = |r| borrow(r).map(Cow::into_owned);
    let Some(event_id) = raw_cow(id).as_deref().and_then(parse_event_id) else { return Ok(None) };
    let time = |r| borrow(r).and_then(|t| xml::parse_system_time(&t));
    // In key order (the slots are sorted), as a map of the line would give them.
    let bytes = flat.data.iter().flatten().map(|r| r.text.len()).sum();
    let mut data = Fields::with_capacity(flat.data.iter().flatten().count(), bytes);
    for (slot, r) in flat.data.iter().copied().enumerate() {
        // A value with no text (`null`, an array) is an empty field, as a map of the line gives.
        if r.is_some_and(|r| data.push_slot_with(slot, |out| raw_into(r, out)).is_none()) {
            data.push_slot(slot, "");
        }
    }
    if event_id == 4689 {
        mend_exit_pid(&mut data, borrow(flat.message).as_deref());
    }
    Ok(Some(WinRecord {
        provider: borrow(flat.source_name).or_else(|| borrow(flat.provider_name)).map(|p| log_name(&p)),
        channel: borrow(flat.channel).map(|c| log_name(&c)),
        event_id,
        computer: get(flat.hostname).or_else(|| get(flat.computer)),
        time_created: time(flat.time_created).or_else(|| time(flat.timestamp)),
        local_time: borrow(flat.event_time).and_then(|t| crate::native::parse_time(&t)),
        record_id: borrow(flat.record_id).or_else(|| borrow(flat.record_number)).and_then(|t| t.parse().ok()),
        has_data: true,
        data,
    }))
}

use serde_json::value::RawValue;

/// A Security 4689 whose `ProcessId` a shipper lost (nxlog's own `ProcessID` field collides
/// with it in some pipelines) gets it back from the rendered `Message` ("Process ID: 0x4e0").
fn mend_exit_pid(data: &mut Fields, message: Option<&str>) {
    if data.get("ProcessId").is_some() {
        return;
    }
    let pid = message.and_then(|m| {
        let (_, after) = m.split_once("Process ID:")?;
        after.split_whitespace().next().filter(|t| t.starts_with("0x") || t.bytes().all(|b| b.is_ascii_digit()))
    });
    if let Some(pid) = pid {
        data.push("ProcessId", pid);
    }
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
fn fields(obj: &Map<String, Value>) -> (bool, Fields) {
    let data = obj.iter().filter_map(|(k, v)| Some((mapped_name(k)?, text(v)?))).collect();
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
    let (has_data, mut data) = fields(obj);
    let event_id = event_id(id)?;
    if event_id == 4689 {
        mend_exit_pid(&mut data, obj.get("Message").and_then(Value::as_str));
    }
    Ok(WinRecord {
        provider: get("SourceName").or_else(|| get("ProviderName")).map(LogName::Owned),
        channel: get("Channel").map(LogName::Owned),
        event_id,
        computer: get("Hostname").or_else(|| get("Computer")),
        time_created: time_at(obj.get("TimeCreated")).or_else(|| time_at(obj.get("@timestamp"))),
        // nxlog's `EventTime`: local time without a zone (the reader estimates the zone).
        local_time: obj.get("EventTime").and_then(text).and_then(|t| crate::native::parse_time(&t)),
        record_id: get("EventRecordID").or_else(|| get("RecordNumber")).and_then(|t| t.parse().ok()),
        has_data,
        data,
    })
}

/// Shape B: Winlogbeat's `winlog` object; the raw XML in `event.original` when there is no
/// `event_data`.
fn from_winlog(root: &Value, winlog: &Value) -> Result<WinRecord, RecordError> {
    let (mut has_data, mut data) = match winlog.get("event_data").and_then(Value::as_object) {
        Some(d) => fields(d),
        None => {
            if let Some(xml) = str_at(root, &["event", "original"]).and_then(Value::as_str) {
                return xml::parse_event(xml);
            }
            (false, Fields::default())
        }
    };
    if ecs_moved::moved_to_ecs(root, &data) {
        ecs_moved::read_back(root, &mut data);
        has_data = true;
    }
    let get = |v: Option<&Value>| v.and_then(text).filter(|s| !s.is_empty());
    Ok(WinRecord {
        provider: get(winlog.get("provider_name")).map(LogName::Owned),
        channel: get(winlog.get("channel")).map(LogName::Owned),
        event_id: event_id(&winlog["event_id"])?,
        computer: get(winlog.get("computer_name")).or_else(|| get(str_at(root, &["host", "name"]))),
        time_created: time_at(root.get("@timestamp")),
        local_time: None,
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
        let named: Vec<(&str, String)> = match ed.get("Data") {
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
            record.data = named.into_iter().filter_map(|(k, v)| Some((mapped_name(k)?, v))).collect();
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
        provider: provider.and_then(text).map(LogName::Owned),
        channel: get("Channel").map(LogName::Owned),
        event_id: event_id(id)?,
        computer: get("Computer"),
        time_created: time_at(created),
        local_time: None,
        record_id: get("EventRecordID").and_then(|t| t.parse().ok()),
        has_data: false,
        data: Fields::default(),
    })
}

/// The evtx crate's JSON of one record (shape C) with `System` as a `Value` but `EventData`
/// read as borrowed names and raw values, unescaping only the fields the mapping reads. Other
/// layouts (a `Data` list, no object) go through [`parse_value`].
pub fn parse_evtx_json(text: &str) -> Result<WinRecord, RecordError> {
    #[derive(serde::Deserialize)]
    struct Doc<'a> {
        #[serde(rename = "Event", borrow)]
        event: Inner<'a>,
    }
    #[derive(serde::Deserialize)]
    struct Inner<'a> {
        #[serde(rename = "System", borrow)]
        system: SystemRaw<'a>,
        #[serde(rename = "EventData", borrow, default)]
        event_data: Option<EventDataRaw<'a>>,
    }
    let doc = match serde_json::from_str::<Doc<'_>>(text) {
        Ok(d) if d.event.event_data.as_ref().is_none_or(|m| !m.has_data_key) => d,
        _ => {
            let v: Value = serde_json::from_str(text).map_err(|e| RecordError::Json(e.to_string()))?;
            return parse_value(&v);
        }
    };
    let mut record = from_system(&doc.event.system.to_value())?;
    if let Some(map) = doc.event.event_data {
        record.has_data = map.any;
        let bytes = map.slots.iter().flatten().map(|r| r.get().len()).sum();
        record.data = Fields::with_capacity(map.slots.iter().flatten().count(), bytes);
        for (slot, raw) in map.slots.into_iter().enumerate() {
            if let Some(t) = raw.and_then(|r| raw_cow(flat::Raw { text: r.get(), plain: false })) {
                record.data.push_slot(slot, &t);
            }
        }
    }
    Ok(record)
}

/// A present key's raw value, `null` included (`Option<&RawValue>` would read `null` as absent).
fn some_raw<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<&'de RawValue>, D::Error> {
    <&'de RawValue as serde::Deserialize>::deserialize(d).map(Some)
}

/// The keys of the evtx crate's `System` that [`from_system`] reads, as raw values; the rest
/// (`Execution`, `Security`, `Keywords` …) is skipped without building a `Value`.
#[derive(serde::Deserialize)]
struct SystemRaw<'a> {
    #[serde(rename = "EventID", borrow, default, deserialize_with = "some_raw")]
    event_id: Option<&'a RawValue>,
    #[serde(rename = "Provider", borrow, default, deserialize_with = "some_raw")]
    provider: Option<&'a RawValue>,
    #[serde(rename = "Provider_attributes", borrow, default, deserialize_with = "some_raw")]
    provider_attributes: Option<&'a RawValue>,
    #[serde(rename = "TimeCreated", borrow, default, deserialize_with = "some_raw")]
    time_created: Option<&'a RawValue>,
    #[serde(rename = "TimeCreated_attributes", borrow, default, deserialize_with = "some_raw")]
    time_created_attributes: Option<&'a RawValue>,
    #[serde(rename = "Channel", borrow, default, deserialize_with = "some_raw")]
    channel: Option<&'a RawValue>,
    #[serde(rename = "Computer", borrow, default, deserialize_with = "some_raw")]
    computer: Option<&'a RawValue>,
    #[serde(rename = "EventRecordID", borrow, default, deserialize_with = "some_raw")]
    record_id: Option<&'a RawValue>,
}

impl SystemRaw<'_> {
    /// A `System` object of only these keys, for [`from_system`].
    fn to_value(&self) -> Value {
        let keys = [
            ("EventID", self.event_id),
            ("Provider", self.provider),
            ("Provider_attributes", self.provider_attributes),
            ("TimeCreated", self.time_created),
            ("TimeCreated_attributes", self.time_created_attributes),
            ("Channel", self.channel),
            ("Computer", self.computer),
            ("EventRecordID", self.record_id),
        ];
        let mut map = Map::new();
        for (k, raw) in keys {
            if let Some(v) = raw.and_then(|r| serde_json::from_str::<Value>(r.get()).ok()) {
                map.insert(k.to_owned(), v);
            }
        }
        Value::Object(map)
    }
}

/// The evtx crate's `EventData` object: the mapped fields as raw values (the last of a repeated
/// key), whether it has any key, and whether it has a `Data` key (another layout).
struct EventDataRaw<'a> {
    slots: [Option<&'a RawValue>; SORTED_FIELDS.len()],
    any: bool,
    has_data_key: bool,
}

impl<'de: 'a, 'a> serde::Deserialize<'de> for EventDataRaw<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(EventDataVisitor(std::marker::PhantomData))
    }
}

struct EventDataVisitor<'a>(std::marker::PhantomData<&'a ()>);

impl<'de: 'a, 'a> serde::de::Visitor<'de> for EventDataVisitor<'a> {
    type Value = EventDataRaw<'a>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an EventData object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<EventDataRaw<'a>, A::Error> {
        let mut out = EventDataRaw { slots: Default::default(), any: false, has_data_key: false };
        while let Some(key) = map.next_key::<FieldKey>()? {
            out.any = true;
            match key {
                FieldKey::Mapped(i) => out.slots[i] = Some(map.next_value::<&'de RawValue>()?),
                FieldKey::Data => {
                    out.has_data_key = true;
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
                FieldKey::Other => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        Ok(out)
    }
}

/// A key of `EventData`, told apart without keeping it (escaped keys included).
enum FieldKey {
    Mapped(usize),
    Data,
    Other,
}

impl<'de> serde::Deserialize<'de> for FieldKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl serde::de::Visitor<'_> for KeyVisitor {
            type Value = FieldKey;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a field name")
            }
            fn visit_str<E: serde::de::Error>(self, k: &str) -> Result<FieldKey, E> {
                Ok(match (mapped_slot(k), k) {
                    (Some(i), _) => FieldKey::Mapped(i),
                    (None, "Data") => FieldKey::Data,
                    (None, _) => FieldKey::Other,
                })
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

/// A raw JSON value (valid JSON) as the string Windows wrote (numbers and booleans as their
/// text).
#[cfg(test)]
fn raw_text(t: &str) -> Option<String> {
    raw_cow(flat::Raw { text: t, plain: false }).map(Cow::into_owned)
}

/// [`raw_cow`], appended to `out` (part of it may be appended when it fails): an escaped
/// string is unescaped straight into a record's buffer.
fn raw_into(raw: flat::Raw<'_>, out: &mut String) -> Option<()> {
    let t = raw.text;
    match t.as_bytes().first() {
        Some(b'"') if !raw.plain => unescape_into(t.get(1..t.len() - 1)?, out),
        _ => {
            out.push_str(&raw_cow(raw)?);
            Some(())
        }
    }
}

/// A raw JSON value (valid JSON) as the string Windows wrote (numbers and booleans as their
/// text), borrowed from the raw text where nothing is unescaped.
fn raw_cow(raw: flat::Raw<'_>) -> Option<Cow<'_, str>> {
    let t = raw.text;
    match t.as_bytes().first() {
        // A string without escapes is its text between the quotes.
        Some(b'"') => {
            let inner = t.get(1..t.len() - 1)?;
            match raw.plain || memchr::memchr(b'\\', inner.as_bytes()).is_none() {
                true => Some(Cow::Borrowed(inner)),
                false => unescape(inner).map(Cow::Owned),
            }
        }
        Some(b'{') => serde_json::from_str::<Value>(t).ok().as_ref().and_then(text).map(Cow::Owned),
        Some(b'[') | None => None,
        Some(_) if t == "null" => None,
        Some(_) => Some(Cow::Borrowed(t)),
    }
}

fn named_value(item: &Value) -> Option<(&str, String)> {
    let name = item.get("@Name")?.as_str()?;
    Some((name, item.get("#text").and_then(text).unwrap_or_default()))
}

/// Shape E: the first string value (top level, or `event.original`) holding an `<Event>`.
fn embedded_xml(obj: &Map<String, Value>) -> Option<&str> {
    let is_xml = |s: &&str| s.trim_start().starts_with("<Event");
    obj.values()
        .filter_map(Value::as_str)
        .find(is_xml)
        .or_else(|| obj.get("event").and_then(|e| e.get("original")).and_then(Value::as_str).filter(is_xml))
}

mod flat;

#[cfg(test)]
mod tests;
