//! The vendored OCSF 1.8.0 schema files, resolved the way the OCSF server compiles them:
//! `extends` chains merged (a child's settings override its parent's, enums are unions),
//! `$include`d profile attributes added (required only when their profile is applied), and each
//! attribute's type, array-ness and enum taken from the dictionary unless overridden.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

/// One attribute of a class or object, resolved.
#[derive(Debug, Clone, Default)]
pub struct Attribute {
    pub type_name: String,
    pub is_array: bool,
    pub required: bool,
    /// The profile that adds this attribute, when it is not the class's own.
    pub profile: Option<String>,
    /// Allowed integer values with their captions; empty when the attribute has no enum.
    pub enum_values: BTreeMap<i64, String>,
    /// The attribute holding this one's caption (`severity` for `severity_id`).
    pub sibling: Option<String>,
}

/// A class or object: its attributes and its `at_least_one` / `just_one` constraints.
#[derive(Debug, Clone, Default)]
pub struct Shape {
    pub name: String,
    pub attributes: BTreeMap<String, Attribute>,
    pub at_least_one: Vec<String>,
    pub just_one: Vec<String>,
}

/// The schema folder and what was read from it.
pub struct Schema {
    root: PathBuf,
    dictionary: Map<String, Value>,
    types: Map<String, Value>,
    /// Every `observable` number the vendored files define (the valid `observable.type_id`s).
    pub observable_ids: BTreeSet<i64>,
}

fn read_json(path: &Path) -> Result<Value, String> {
    let text = fs::read_to_string(path).map_err(|e| format!("{}: {e} (not vendored?)", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

fn object_of(v: &Value, key: &str) -> Map<String, Value> {
    v.get(key).and_then(Value::as_object).cloned().unwrap_or_default()
}

fn enum_of(v: &Value) -> BTreeMap<i64, String> {
    let mut out = BTreeMap::new();
    for (k, e) in v.get("enum").and_then(Value::as_object).into_iter().flatten() {
        if let Ok(n) = k.parse() {
            out.insert(n, e.get("caption").and_then(Value::as_str).unwrap_or_default().to_owned());
        }
    }
    out
}

impl Schema {
    pub fn load(root: &Path) -> Result<Schema, String> {
        let dict = read_json(&root.join("dictionary.json"))?;
        let dictionary = object_of(&dict, "attributes");
        let types = dict.get("types").map(|t| object_of(t, "attributes")).unwrap_or_default();
        let mut observable_ids = BTreeSet::new();
        for v in types.values().chain(dictionary.values()) {
            observable_ids.extend(v.get("observable").and_then(Value::as_i64));
        }
        let mut schema = Schema { root: root.to_owned(), dictionary, types, observable_ids };
        let observable = read_json(&root.join("objects/observable.json"))?;
        schema.observable_ids.extend(enum_of(&observable["attributes"]["type_id"]).keys());
        for entry in fs::read_dir(root.join("objects")).map_err(|e| e.to_string())? {
            let object = read_json(&entry.map_err(|e| e.to_string())?.path())?;
            schema.observable_ids.extend(object.get("observable").and_then(Value::as_i64));
            for a in object_of(&object, "attributes").values() {
                schema.observable_ids.extend(a.get("observable").and_then(Value::as_i64));
            }
        }
        Ok(schema)
    }

    /// The base type of a scalar type name (`timestamp_t` → `long_t` ...), or `None` for an object.
    pub fn scalar_base(&self, type_name: &str) -> Option<String> {
        let mut name = type_name.to_owned();
        if !name.ends_with("_t") {
            return None;
        }
        while let Some(parent) = self.types.get(&name).and_then(|t| t.get("type")).and_then(Value::as_str) {
            name = parent.to_owned();
        }
        Some(name)
    }

    /// The constraints of a scalar type and the types it derives from: each `regex`, `range`
    /// (`[min, max]`) and `max_len`, with the name of the type that sets it.
    pub fn scalar_rules(&self, type_name: &str) -> Vec<(String, Value)> {
        let mut rules = Vec::new();
        let mut name = Some(type_name.to_owned());
        while let Some(n) = name {
            let t = self.types.get(&n);
            for key in ["regex", "range", "max_len"] {
                if let Some(rule) = t.and_then(|t| t.get(key)) {
                    rules.push((format!("{n}.{key}"), rule.clone()));
                }
            }
            name = t.and_then(|t| t.get("type")).and_then(Value::as_str).map(str::to_owned);
        }
        rules
    }

    /// The event class in `events/<path>.json`, with its `extends` chain resolved.
    pub fn class(&self, path: &str) -> Result<Shape, String> {
        self.resolve(
            &self.root.join("events").join(format!("{path}.json")),
            &|parent| {
                // Classes extend by name; the chain here is detection_finding → finding → base_event.
                if parent == "base_event" {
                    "base_event".to_owned()
                } else {
                    format!("findings/{parent}")
                }
            },
            "events",
        )
    }

    /// The object `name` (`objects/<name>.json`), with its `extends` chain resolved.
    pub fn object(&self, name: &str) -> Result<Shape, String> {
        self.resolve(&self.root.join("objects").join(format!("{name}.json")), &|p| p.to_owned(), "objects")
    }

    fn resolve(&self, file: &Path, parent_path: &dyn Fn(&str) -> String, folder: &str) -> Result<Shape, String> {
        let def = read_json(file)?;
        let name = def.get("name").and_then(Value::as_str).unwrap_or_default().to_owned();
        let mut shape = match def.get("extends").and_then(Value::as_str) {
            Some(parent) => {
                let path = self.root.join(folder).join(format!("{}.json", parent_path(parent)));
                self.resolve(&path, parent_path, folder)?
            }
            None => Shape::default(),
        };
        shape.name = name;
        let attributes = object_of(&def, "attributes");
        for include in attributes.get("$include").and_then(Value::as_array).into_iter().flatten() {
            let include = include.as_str().unwrap_or_default();
            let profile = read_json(&self.root.join(include))?;
            let profile_name = profile.get("name").and_then(Value::as_str).unwrap_or_default().to_owned();
            for (attr, spec) in object_of(&profile, "attributes") {
                if !shape.attributes.contains_key(&attr) {
                    self.merge(&mut shape, &attr, &spec, Some(&profile_name));
                }
            }
        }
        for (attr, spec) in attributes.iter().filter(|(a, _)| *a != "$include") {
            self.merge(&mut shape, attr, spec, None);
        }
        if let Some(c) = def.get("constraints") {
            let names = |key: &str| -> Vec<String> {
                c.get(key)
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            };
            // A child's constraints replace its parent's.
            shape.at_least_one = names("at_least_one");
            shape.just_one = names("just_one");
        }
        Ok(shape)
    }

    /// Adds or overrides `attr` in `shape` from `spec`; `profile` when a profile brings it in.
    fn merge(&self, shape: &mut Shape, attr: &str, spec: &Value, profile: Option<&str>) {
        let dict = self.dictionary.get(attr).cloned().unwrap_or(Value::Null);
        let entry = shape.attributes.entry(attr.to_owned()).or_insert_with(|| Attribute {
            type_name: dict.get("type").and_then(Value::as_str).unwrap_or_default().to_owned(),
            is_array: dict.get("is_array").and_then(Value::as_bool).unwrap_or(false),
            enum_values: enum_of(&dict),
            sibling: dict.get("sibling").and_then(Value::as_str).map(str::to_owned),
            profile: profile.map(str::to_owned),
            ..Attribute::default()
        });
        if let Some(t) = spec.get("type").and_then(Value::as_str) {
            entry.type_name = t.to_owned();
        }
        if let Some(a) = spec.get("is_array").and_then(Value::as_bool) {
            entry.is_array = a;
        }
        if let Some(r) = spec.get("requirement").and_then(Value::as_str) {
            entry.required = r == "required";
        }
        match spec.get("profile") {
            // `"profile": null` makes the attribute the class's own.
            Some(Value::Null) => entry.profile = None,
            Some(Value::String(p)) => entry.profile = Some(p.clone()),
            _ => {}
        }
        entry.enum_values.extend(enum_of(spec));
        if let Some(s) = spec.get("sibling").and_then(Value::as_str) {
            entry.sibling = Some(s.to_owned());
        }
    }

    /// The uid and caption of category `name` in `categories.json`.
    pub fn category(&self, name: &str) -> Result<(i64, String), String> {
        let categories = read_json(&self.root.join("categories.json"))?;
        let category = &categories["attributes"][name];
        let uid = category["uid"].as_i64().ok_or_else(|| format!("no category `{name}`"))?;
        Ok((uid, category["caption"].as_str().unwrap_or_default().to_owned()))
    }

    /// The `uid`, `category` and `caption` written in a class file (the category may be the
    /// parent's).
    pub fn class_header(&self, path: &str) -> Result<(i64, String, String), String> {
        let def = read_json(&self.root.join("events").join(format!("{path}.json")))?;
        let mut category = def.get("category").and_then(Value::as_str).map(str::to_owned);
        if category.is_none() {
            if let Some(parent) = def.get("extends").and_then(Value::as_str) {
                category = Some(self.class_header(&format!("findings/{parent}"))?.1);
            }
        }
        let caption = def.get("caption").and_then(Value::as_str).unwrap_or_default().to_owned();
        Ok((def["uid"].as_i64().unwrap_or_default(), category.unwrap_or_default(), caption))
    }
}
