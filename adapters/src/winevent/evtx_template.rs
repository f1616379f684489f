//! EVTX template definitions: which substitution holds each `System` value and each
//! `<Data Name>` of `EventData` (see [`super::evtx_fast`]).
//!
//! A definition is stored in each chunk that uses it, at an offset of that chunk. Parsing one
//! is a large share of the EVTX reader's own work, and a Sysmon file repeats
//! the same few definitions in every chunk; so a definition is parsed once per reader: it is
//! looked up by its token stream with names and texts resolved (not by offset, GUID or hash,
//! which could name another definition), which is all the parse reads.

use std::collections::HashMap;
use std::sync::Arc;

use super::binxml_bytes::{u16_at, u32_at, utf16};
use super::record::mapped_slot;

/// Definitions remembered across chunks at most (both kinds); then the memory is cleared.
const MAX_KNOWN: usize = 1024;

/// Where a `System` value comes from.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Source {
    Absent,
    Sub(u16),
    Static(String),
}

/// What a template definition says about the fields the mapping reads.
#[derive(Debug)]
pub struct Template {
    pub(super) event_id: Source,
    pub(super) provider: Source,
    pub(super) time_created: Source,
    pub(super) record_id: Source,
    pub(super) channel: Source,
    pub(super) computer: Source,
    /// `EventData`: in the template, or a substitution holding a BinXML fragment (Sysmon's
    /// layout) of one template instance whose definition is `<EventData>…</EventData>`.
    pub(super) data: Data,
    /// The substitutions the elements read here depend on: an element whose dependency is a
    /// `NullType` is not rendered (MS-EVEN6 2.2.12), so such a record is left to the crate.
    pub(super) deps: Vec<u16>,
}

/// Where `EventData` is.
#[derive(Debug)]
pub(super) enum Data {
    Inline(DataTemplate),
    Nested(u16),
}

/// Every `<Data Name>` of an `EventData`: its substitution and its place in
/// [`SORTED_FIELDS`](super::record::SORTED_FIELDS) when the mapping reads it; and the substitutions its elements depend on.
#[derive(Debug, Default)]
pub struct DataTemplate {
    pub(super) fields: Vec<(u16, Option<usize>)>,
    pub(super) deps: Vec<u16>,
}

/// Template definitions, by offset in the current chunk and by content across chunks (`None`:
/// a layout this module leaves alone).
#[derive(Default)]
pub struct Templates {
    by_offset: Vec<(u32, Option<Arc<Template>>)>,
    data_by_offset: Vec<(u32, Option<Arc<DataTemplate>>)>,
    known: HashMap<Box<[u8]>, Option<Arc<Template>>>,
    known_data: HashMap<Box<[u8]>, Option<Arc<DataTemplate>>>,
    /// The token stream of the definition being looked up (reused).
    scratch: Vec<u8>,
}

/// A definition's parse, from this chunk's offsets, else from another chunk's same tokens,
/// else parsed (and remembered in both).
fn lookup<T>(
    by_offset: &mut Vec<(u32, Option<Arc<T>>)>,
    known: &mut HashMap<Box<[u8]>, Option<Arc<T>>>,
    scratch: &mut Vec<u8>,
    (chunk, def): (&[u8], u32),
    parse: impl FnOnce(&[Node]) -> Option<T>,
) -> Option<Arc<T>> {
    if let Some((_, t)) = by_offset.iter().find(|(o, _)| *o == def) {
        return t.clone();
    }
    scratch.clear();
    let keyed = walk(chunk, def, |token| token.write(scratch)).is_some();
    let t = match known.get(&scratch[..]) {
        Some(t) if keyed => t.clone(),
        _ => {
            let t = parse_definition(chunk, def).as_deref().and_then(parse).map(Arc::new);
            if keyed {
                known.insert(scratch.as_slice().into(), t.clone());
            }
            t
        }
    };
    by_offset.push((def, t.clone()));
    t
}

impl Templates {
    /// Forgets the previous chunk's offsets (not the definitions seen).
    pub fn clear(&mut self) {
        self.by_offset.clear();
        self.data_by_offset.clear();
        if self.known.len() + self.known_data.len() >= MAX_KNOWN {
            self.known.clear();
            self.known_data.clear();
        }
    }

    /// The record template defined at `def` in `chunk`.
    pub(super) fn event(&mut self, chunk: &[u8], def: u32) -> Option<Arc<Template>> {
        lookup(&mut self.by_offset, &mut self.known, &mut self.scratch, (chunk, def), template_of)
    }

    /// The `EventData` template (Sysmon's nested fragment) defined at `def` in `chunk`.
    pub(super) fn data(&mut self, chunk: &[u8], def: u32) -> Option<Arc<DataTemplate>> {
        lookup(&mut self.data_by_offset, &mut self.known_data, &mut self.scratch, (chunk, def), |roots| match roots {
            [Node::Element { name, attrs, children, dependency }] if name == "EventData" && attrs.is_empty() => {
                let mut d = data_template(children)?;
                d.deps.extend(*dependency);
                Some(d)
            }
            _ => None,
        })
    }
}

/// The `<Data Name="…">%n</Data>` children of an `EventData` (at least one, names unique and
/// not `Data`, which the JSON reader takes for another layout).
fn data_template(children: &[Node]) -> Option<DataTemplate> {
    let mut d = DataTemplate::default();
    let mut names: Vec<&str> = Vec::new();
    for child in children {
        let Node::Element { name, attrs, children, dependency } = child else { return None };
        d.deps.extend(*dependency);
        let [(key, value)] = &attrs[..] else { return None };
        let ([Node::Text(field)], "Data", "Name", [Node::Sub(id)]) =
            (&value[..], name.as_str(), key.as_str(), &children[..])
        else {
            return None;
        };
        if field == "Data" || names.contains(&field.as_str()) {
            return None;
        }
        names.push(field);
        d.fields.push((*id, mapped_slot(field)));
    }
    (!d.fields.is_empty()).then_some(d)
}

/// One token of a definition, as the parse reads it: names and texts as their UTF-16 bytes.
enum Token<'a> {
    Open {
        name: &'a [u8],
        dependency: Option<u16>,
    },
    /// The end of an element's start tag (its attributes).
    StartEnd,
    Close,
    Attribute {
        name: &'a [u8],
    },
    Text(&'a [u8]),
    Sub(u16),
}

impl Token<'_> {
    /// Appends the token to a definition's key (a tag, then lengths and bytes).
    fn write(&self, out: &mut Vec<u8>) -> Option<()> {
        let mut bytes = |tag: u8, b: &[u8]| {
            out.push(tag);
            out.extend_from_slice(&(b.len() as u32).to_le_bytes());
            out.extend_from_slice(b);
        };
        match *self {
            Token::Open { name, .. } => bytes(1, name),
            Token::StartEnd => bytes(2, &[]),
            Token::Close => bytes(3, &[]),
            Token::Attribute { name } => bytes(6, name),
            Token::Text(t) => bytes(5, t),
            Token::Sub(id) => bytes(0x0d, &id.to_le_bytes()),
        }
        if let Token::Open { dependency, .. } = self {
            out.extend_from_slice(&dependency.unwrap_or(0xffff).to_le_bytes());
            out.push(u8::from(dependency.is_some()));
        }
        Some(())
    }
}

/// The UTF-16 bytes of the chunk string-table name at `offset`.
fn name_at(chunk: &[u8], offset: u32) -> Option<&[u8]> {
    let at = offset as usize;
    let len = usize::from(u16_at(chunk, at + 6)?);
    chunk.get(at + 8..at + 8 + len * 2)
}

/// Reads a name reference at `*pos`, skipping the name when it is stored right there.
fn name_ref<'a>(chunk: &'a [u8], pos: &mut usize) -> Option<&'a [u8]> {
    let offset = u32_at(chunk, *pos)?;
    *pos += 4;
    if offset as usize == *pos {
        let len = usize::from(u16_at(chunk, *pos + 6)?);
        *pos += 6 + 2 + len * 2 + 2;
    }
    name_at(chunk, offset)
}

/// Calls `f` on each token of the definition at `offset`; `None` for tokens it does not take
/// (or when `f` says so).
fn walk<'a>(chunk: &'a [u8], offset: u32, mut f: impl FnMut(Token<'a>) -> Option<()>) -> Option<()> {
    let start = offset as usize + 24;
    let size = u32_at(chunk, offset as usize + 20)? as usize;
    let end = start.checked_add(size)?;
    if end > chunk.len() {
        return None;
    }
    let mut pos = start;
    while pos < end {
        let token = chunk[pos];
        pos += 1;
        match token {
            0x00 => break,
            0x0f => pos += 3,
            0x01 | 0x41 => {
                let dependency = Some(u16_at(chunk, pos)?).filter(|&d| d != 0xffff);
                pos += 2 + 4;
                let name = name_ref(chunk, &mut pos)?;
                if token == 0x41 {
                    pos += 4;
                }
                f(Token::Open { name, dependency })?;
            }
            0x02 => f(Token::StartEnd)?,
            0x03 | 0x04 => f(Token::Close)?,
            0x06 | 0x46 => f(Token::Attribute { name: name_ref(chunk, &mut pos)? })?,
            0x05 | 0x45 => {
                // Only string values (type 1, u16 count, UTF-16).
                if chunk.get(pos) != Some(&0x01) {
                    return None;
                }
                let len = usize::from(u16_at(chunk, pos + 1)?);
                let text = chunk.get(pos + 3..pos + 3 + len * 2)?;
                pos += 3 + len * 2;
                f(Token::Text(text))?;
            }
            0x0d | 0x0e => {
                let id = u16_at(chunk, pos)?;
                pos += 3;
                f(Token::Sub(id))?;
            }
            _ => return None,
        }
    }
    Some(())
}

/// One node of a template definition, as far as this module cares.
#[derive(Debug)]
enum Node {
    Element { name: String, attrs: Vec<(String, Vec<Node>)>, children: Vec<Node>, dependency: Option<u16> },
    Text(String),
    Sub(u16),
}

/// Parses the template definition at `offset` into a tree; `None` for tokens it does not take.
fn parse_definition(chunk: &[u8], offset: u32) -> Option<Vec<Node>> {
    // A stack of open elements; the bottom one collects the roots.
    let mut stack: Vec<Node> =
        vec![Node::Element { name: String::new(), attrs: Vec::new(), children: Vec::new(), dependency: None }];
    // Whether the attribute being read is the last one of the open element (its value follows).
    let mut in_attr = false;
    let push = |stack: &mut Vec<Node>, in_attr: bool, node: Node| {
        if let Some(Node::Element { attrs, children, .. }) = stack.last_mut() {
            match (in_attr, attrs.last_mut()) {
                (true, Some((_, value))) => value.push(node),
                _ => children.push(node),
            }
        }
    };
    walk(chunk, offset, |token| {
        match token {
            Token::Open { name, dependency } => {
                stack.push(Node::Element { name: utf16(name)?, attrs: Vec::new(), children: Vec::new(), dependency });
                in_attr = false;
            }
            Token::StartEnd => in_attr = false,
            Token::Close => {
                in_attr = false;
                let done = stack.pop()?;
                if stack.is_empty() {
                    return None;
                }
                push(&mut stack, false, done);
            }
            Token::Attribute { name } => {
                let name = utf16(name)?;
                if let Some(Node::Element { attrs, .. }) = stack.last_mut() {
                    attrs.push((name, Vec::new()));
                }
                in_attr = true;
            }
            Token::Text(t) => push(&mut stack, in_attr, Node::Text(utf16(t)?)),
            Token::Sub(id) => push(&mut stack, in_attr, Node::Sub(id)),
        }
        Some(())
    })?;
    match (stack.len(), stack.pop()) {
        (1, Some(Node::Element { children, .. })) => Some(children),
        _ => None,
    }
}

/// A single substitution or static text, as the whole content of an element or attribute.
fn source(nodes: &[Node]) -> Option<Source> {
    match nodes {
        [] => Some(Source::Absent),
        [Node::Sub(id)] => Some(Source::Sub(*id)),
        [Node::Text(t)] => Some(Source::Static(t.clone())),
        _ => None,
    }
}

/// The layout this module reads: `<Event><System>…</System><EventData><Data Name="…">%n</Data>…`.
fn template_of(roots: &[Node]) -> Option<Template> {
    let [Node::Element { name, children: event, dependency, .. }] = roots else { return None };
    if name != "Event" {
        return None;
    }
    let mut t = Template {
        event_id: Source::Absent,
        provider: Source::Absent,
        time_created: Source::Absent,
        record_id: Source::Absent,
        channel: Source::Absent,
        computer: Source::Absent,
        data: Data::Nested(u16::MAX),
        deps: dependency.iter().copied().collect(),
    };
    let (mut system_seen, mut data_seen) = (false, false);
    for part in event {
        if let (Node::Sub(id), false) = (part, data_seen) {
            data_seen = true;
            t.data = Data::Nested(*id);
            continue;
        }
        let Node::Element { name, attrs, children, dependency } = part else { return None };
        match name.as_str() {
            "System" if !system_seen => {
                t.deps.extend(*dependency);
                system_seen = true;
                let mut seen: Vec<&str> = Vec::new();
                for field in children {
                    let Node::Element { name, attrs, children, dependency } = field else { return None };
                    let wanted = ["EventID", "Provider", "TimeCreated", "EventRecordID", "Channel", "Computer"];
                    if !wanted.contains(&name.as_str()) {
                        continue;
                    }
                    if seen.contains(&name.as_str()) {
                        return None;
                    }
                    t.deps.extend(*dependency);
                    seen.push(name);
                    let attr = |key: &str| match attrs.iter().filter(|(k, _)| k == key).collect::<Vec<_>>()[..] {
                        [] => Some(Source::Absent),
                        [(_, v)] => source(v),
                        _ => None,
                    };
                    match name.as_str() {
                        "Provider" => t.provider = attr("Name")?,
                        "TimeCreated" => t.time_created = attr("SystemTime")?,
                        "EventID" => t.event_id = source(children)?,
                        "EventRecordID" => t.record_id = source(children)?,
                        "Channel" => t.channel = source(children)?,
                        _ => t.computer = source(children)?,
                    }
                }
            }
            "EventData" if !data_seen && attrs.is_empty() => {
                data_seen = true;
                let mut d = data_template(children)?;
                d.deps.extend(*dependency);
                t.data = Data::Inline(d);
            }
            _ => return None,
        }
    }
    (system_seen && data_seen && matches!(t.event_id, Source::Sub(_) | Source::Static(_))).then_some(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A chunk holding the definition `<Event>%0</Event>` at `at`, its name stored inline or
    /// earlier in the chunk (at offset 8, as a name shared with another definition is).
    fn definition(at: usize, name: &str, inline: bool) -> Vec<u8> {
        let wide: Vec<u8> = name.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let name_struct = |out: &mut Vec<u8>| {
            out.extend([0; 6]);
            out.extend((wide.len() as u16 / 2).to_le_bytes());
            out.extend(&wide);
            out.extend([0, 0]);
        };
        let mut chunk = vec![0u8; 8];
        name_struct(&mut chunk);
        chunk.resize(at, 0);
        let mut body = vec![0x01, 0xff, 0xff, 0, 0, 0, 0];
        let after_offset = (at + 24 + body.len() + 4) as u32;
        body.extend((if inline { after_offset } else { 8 }).to_le_bytes());
        if inline {
            name_struct(&mut body);
        }
        body.extend([0x02, 0x0d, 0, 0, 0x01, 0x04, 0x00]);
        chunk.extend([0; 4]);
        chunk.extend([0xaa; 16]);
        chunk.extend((body.len() as u32).to_le_bytes());
        chunk.extend(body);
        chunk
    }

    fn key(chunk: &[u8], at: usize) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        walk(chunk, at as u32, |t| t.write(&mut out))?;
        Some(out)
    }

    /// The same definition at another offset, its name stored elsewhere, has the same key and
    /// parse; another name gives another key.
    #[test]
    fn a_definition_is_known_by_its_tokens_wherever_its_names_are_stored() {
        let (a, b, c) =
            (definition(100, "Event", true), definition(300, "Event", false), definition(100, "Evenz", true));
        assert!(key(&a, 100).is_some());
        assert_eq!(key(&a, 100), key(&b, 300));
        assert_ne!(key(&a, 100), key(&c, 100));
        let tree = |chunk: &[u8], at: u32| format!("{:?}", parse_definition(chunk, at));
        assert_eq!(tree(&a, 100), tree(&b, 300));
        assert_eq!(
            tree(&a, 100),
            r#"Some([Element { name: "Event", attrs: [], children: [Sub(0)], dependency: None }])"#
        );
    }

    /// A definition cut short (its size past the chunk's end) has no key and no parse.
    #[test]
    fn a_definition_past_the_chunk_end_is_not_read() {
        let a = definition(100, "Event", true);
        assert_eq!(key(&a[..a.len() - 1], 100), None);
        assert!(parse_definition(&a[..a.len() - 1], 100).is_none());
    }
}
