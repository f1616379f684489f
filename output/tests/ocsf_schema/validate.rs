//! Checks a JSON event against a resolved class: required attributes present (recursively in
//! objects), no attribute the schema does not define, types, enum values, enum captions, and
//! object constraints.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::schema::{Attribute, Schema, Shape};

/// What a class accepts beyond its attributes: the compiled classification values.
pub struct ClassRules {
    pub shape: Shape,
    pub class_uid: i64,
    pub category_uid: i64,
}

impl ClassRules {
    /// The rules of the class in `events/<path>.json`.
    pub fn load(schema: &Schema, path: &str) -> Result<ClassRules, String> {
        let mut shape = schema.class(path)?;
        let (uid, category, caption) = schema.class_header(path)?;
        let (category_uid, category_caption) = schema.category(&category)?;
        let class_uid = category_uid * 1000 + uid;
        // The server compiles these enums from the class's place in the schema.
        let activities: Vec<(i64, String)> =
            shape.attributes["activity_id"].enum_values.iter().map(|(k, v)| (*k, v.clone())).collect();
        let set = |shape: &mut Shape, attr: &str, values: Vec<(i64, String)>| {
            if let Some(a) = shape.attributes.get_mut(attr) {
                a.enum_values = values.into_iter().collect();
            }
        };
        set(&mut shape, "class_uid", vec![(class_uid, caption.clone())]);
        set(&mut shape, "category_uid", vec![(category_uid, category_caption)]);
        let type_uids =
            activities.iter().map(|(a, activity)| (class_uid * 100 + a, format!("{caption}: {activity}"))).collect();
        set(&mut shape, "type_uid", type_uids);
        Ok(ClassRules { shape, class_uid, category_uid })
    }
}

/// Every problem found in `event`, each prefixed by its path; empty when it conforms.
pub fn validate(schema: &Schema, rules: &ClassRules, event: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    let Some(map) = event.as_object() else {
        return vec!["the event is not a JSON object".into()];
    };
    let profiles: BTreeSet<String> = map
        .get("metadata")
        .and_then(|m| m.get("profiles"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|p| p.as_str().map(str::to_owned))
        .collect();
    let mut v = Validator { schema, profiles, errors: &mut errors };
    v.shape(&rules.shape, map, "");
    if let (Some(c), Some(a), Some(t)) = (map.get("class_uid"), map.get("activity_id"), map.get("type_uid")) {
        if let (Some(c), Some(a), Some(t)) = (c.as_i64(), a.as_i64(), t.as_i64()) {
            if t != c * 100 + a {
                errors.push(format!("type_uid: {t} is not class_uid * 100 + activity_id ({})", c * 100 + a));
            }
        }
    }
    errors
}

struct Validator<'a> {
    schema: &'a Schema,
    profiles: BTreeSet<String>,
    errors: &'a mut Vec<String>,
}

impl Validator<'_> {
    fn shape(&mut self, shape: &Shape, map: &Map<String, Value>, path: &str) {
        let at = |name: &str| if path.is_empty() { name.to_owned() } else { format!("{path}.{name}") };
        for (name, attr) in &shape.attributes {
            let applies = attr.profile.as_ref().is_none_or(|p| self.profiles.contains(p));
            if attr.required && applies && !map.contains_key(name) {
                self.errors.push(format!("{}: required by {} but missing", at(name), shape.name));
            }
        }
        for (name, value) in map {
            match shape.attributes.get(name) {
                None => self.errors.push(format!("{}: not an attribute of {}", at(name), shape.name)),
                Some(attr) => self.attribute(attr, value, &at(name), map),
            }
        }
        let present = |names: &[String]| names.iter().filter(|n| map.contains_key(n.as_str())).count();
        if !shape.at_least_one.is_empty() && present(&shape.at_least_one) == 0 {
            self.errors.push(format!("{path}: {} needs at least one of {:?}", shape.name, shape.at_least_one));
        }
        if !shape.just_one.is_empty() && present(&shape.just_one) != 1 {
            self.errors.push(format!("{path}: {} needs exactly one of {:?}", shape.name, shape.just_one));
        }
    }

    fn attribute(&mut self, attr: &Attribute, value: &Value, path: &str, parent: &Map<String, Value>) {
        if value.is_null() {
            self.errors.push(format!("{path}: null (leave the attribute out instead)"));
            return;
        }
        if attr.is_array {
            match value.as_array() {
                Some(items) => {
                    for (i, item) in items.iter().enumerate() {
                        self.value(attr, item, &format!("{path}[{i}]"), parent);
                    }
                }
                None => self.errors.push(format!("{path}: expected an array of {}", attr.type_name)),
            }
        } else {
            self.value(attr, value, path, parent);
        }
    }

    fn value(&mut self, attr: &Attribute, value: &Value, path: &str, parent: &Map<String, Value>) {
        let Some(base) = self.schema.scalar_base(&attr.type_name) else {
            return self.object(&attr.type_name, value, path);
        };
        let ok = match base.as_str() {
            "string_t" => value.is_string(),
            "integer_t" => value.as_i64().is_some_and(|n| i32::try_from(n).is_ok()),
            "long_t" => value.is_i64() || value.is_u64(),
            "float_t" => value.is_number(),
            "boolean_t" => value.is_boolean(),
            "json_t" => true,
            other => {
                self.errors.push(format!("{path}: unknown base type {other}"));
                return;
            }
        };
        if !ok {
            self.errors.push(format!("{path}: {value} is not a {} ({base})", attr.type_name));
            return;
        }
        for (rule, spec) in self.schema.scalar_rules(&attr.type_name) {
            if !obeys(value, &spec, &rule) {
                self.errors.push(format!("{path}: {value} breaks {rule} {spec}"));
            }
        }
        let is_observable_type = path.ends_with("type_id") && path.contains("observables[");
        if is_observable_type {
            if !value.as_i64().is_some_and(|n| self.schema.observable_ids.contains(&n)) {
                self.errors.push(format!("{path}: {value} is not an observable type"));
            }
        } else if !attr.enum_values.is_empty() {
            match value.as_i64().and_then(|n| attr.enum_values.get(&n).map(|c| (n, c))) {
                None => self.errors.push(format!("{path}: {value} is not one of {:?}", attr.enum_values.keys())),
                Some((n, caption)) => self.caption(attr, n, caption, path, parent),
            }
        }
    }

    /// A sibling caption (`severity` beside `severity_id`) must name the value, unless Other.
    fn caption(&mut self, attr: &Attribute, n: i64, caption: &str, path: &str, parent: &Map<String, Value>) {
        let Some(sibling) = &attr.sibling else { return };
        let Some(written) = parent.get(sibling).and_then(Value::as_str) else { return };
        if n != 99 && written != caption {
            self.errors.push(format!("{path}: {n} is `{caption}`, but {sibling} says `{written}`"));
        }
    }

    fn object(&mut self, type_name: &str, value: &Value, path: &str) {
        let Some(map) = value.as_object() else {
            self.errors.push(format!("{path}: {value} is not a {type_name} object"));
            return;
        };
        // `object` is the open base object (`unmapped`): any content.
        if type_name == "object" {
            return;
        }
        match self.schema.object(type_name) {
            Ok(shape) => self.shape(&shape, map, path),
            Err(e) => self.errors.push(format!("{path}: {e}")),
        }
    }
}

/// Whether `value` obeys a type's `regex`, `range` or `max_len` (`rule` ends with which).
fn obeys(value: &Value, spec: &Value, rule: &str) -> bool {
    if rule.ends_with(".regex") {
        let (Some(text), Some(pattern)) = (value.as_str(), spec.as_str()) else { return true };
        return regex::Regex::new(pattern).is_ok_and(|re| re.is_match(text));
    }
    if rule.ends_with(".range") {
        let bounds: Vec<i64> = spec.as_array().into_iter().flatten().filter_map(Value::as_i64).collect();
        return match (value.as_i64(), bounds.as_slice()) {
            (Some(n), [min, max]) => (*min..=*max).contains(&n),
            _ => false,
        };
    }
    match (value.as_str(), spec.as_u64()) {
        (Some(text), Some(max)) => text.chars().count() as u64 <= max,
        _ => true,
    }
}
