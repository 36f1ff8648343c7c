//! Schema → Rust types for the generated models: which structs and enums exist, and what each
//! operation takes as its body and returns as its output.
//!
//! Rules (the why is in `crates/core/src/lenient.rs`, which decodes what this emits):
//! - A component schema is one type in the module of the file that declares it; an inline object
//!   is a type named after where it sits (`UsersCustomizeInfo`, `GetUsersResponse`), shared when
//!   the same inline shape repeats in one file.
//! - Error objects are not modelled: Zoho errors are found by the envelope probe before a body is
//!   decoded (`response.rs`). `oneOf` members that are error objects are dropped; of the rest, one
//!   member is that member, objects merge into one struct with every member's fields (all fields
//!   are optional anyway, so any member decodes into it), and mixed kinds are JSON.
//! - Success answers that are status objects (`{code, details, message, status}`) bare, under a
//!   key, or as an array under a key are per-item outcomes (`ActionResults`), not models.
//! - `info` objects are the one hand-written `PageInfo`; module records are `Record`; token-like
//!   fields are `Secret` (redacted `Debug`); date-times and dates keep their text.
//! - String enums with two or more values become enums with `Unknown(String)`; single-value enums,
//!   enums on `message` texts and values that are not names (`#57B1FD`) stay strings.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::clusters::feature_of;
use crate::model::{BodyKind, Op, OutputKind};
use crate::names::{camel, rust_ident, snake};
use crate::spec::Spec;

/// A field or output type.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Ty {
    /// `String`.
    Str,
    /// `i64`.
    Int,
    /// `serde_json::Number` (integers stay integers, `0` is not written back as `0.0`).
    Num,
    /// `bool`.
    Bool,
    /// `lenient::DateTime`.
    DateTime,
    /// `lenient::Date`.
    Date,
    /// `lenient::Secret`.
    Secret,
    /// `serde_json::Value` (free-form objects, mixed `oneOf`s).
    Json,
    /// `Vec<T>`.
    Array(Box<Ty>),
    /// A generated struct.
    Model(usize),
    /// `Box<T>`: a model that contains itself (directly or through other models).
    Boxed(Box<Ty>),
    /// A generated enum.
    Enum(usize),
    /// `crate::PageInfo`.
    PageInfo,
    /// `crate::Record`.
    Record,
}

/// One field of a model.
#[derive(Debug, Clone)]
pub struct Field {
    /// The JSON key.
    pub key: String,
    /// The Rust field name.
    pub ident: String,
    /// Its type.
    pub ty: Ty,
}

/// A generated struct.
#[derive(Debug, Clone)]
pub struct Model {
    /// The spec file (and Rust module) it belongs to.
    pub module: String,
    /// The Rust name.
    pub name: String,
    /// Where it comes from, for the doc comment (`users.json#/components/schemas/users`).
    pub source: String,
    /// The fields, in spec order.
    pub fields: Vec<Field>,
    /// Cluster features of the operations that use it.
    pub features: BTreeSet<String>,
}

/// A generated enum.
#[derive(Debug, Clone)]
pub struct EnumDef {
    /// The spec file (and Rust module) it belongs to.
    pub module: String,
    /// The Rust name.
    pub name: String,
    /// (variant, value) pairs.
    pub variants: Vec<(String, String)>,
    /// Cluster features of the operations that use it.
    pub features: BTreeSet<String>,
}

/// What an operation's response decodes into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// A typed answer.
    Typed(Ty),
    /// Per-item outcomes, the items under this key (`None`: a bare status object).
    Outcomes(Option<String>),
    /// A file.
    Download,
    /// No JSON answer is declared (204-only operations): the lenient `ApiResponse`.
    Untyped,
}

/// The typed view of every operation.
#[derive(Debug, Default)]
pub struct TypeSet {
    /// Every struct.
    pub models: Vec<Model>,
    /// Every enum.
    pub enums: Vec<EnumDef>,
    /// Per operation id: the body type (`None` without a JSON body).
    pub bodies: BTreeMap<String, Option<Ty>>,
    /// Per operation id: the output.
    pub outputs: BTreeMap<String, Output>,
    /// Component schemas already typed: (file, name) → type.
    components: BTreeMap<(String, String), Ty>,
    /// Inline object shapes already typed: (module, canonical JSON) → model.
    inline: BTreeMap<(String, String), usize>,
    /// Names taken per module (operation types included).
    names: BTreeMap<String, BTreeSet<String>>,
}

/// Names that generated code must not shadow.
const RESERVED: &[&str] = &[
    "Option",
    "Result",
    "String",
    "Vec",
    "Box",
    "Value",
    "Map",
    "Extra",
    "DateTime",
    "Date",
    "Secret",
    "Record",
    "PageInfo",
    "Default",
    "Some",
    "None",
    "Ok",
    "Err",
    "Self",
    "Args",
    "BodyKind",
    "Kind",
    "OpSpec",
    "OutputKind",
    "Param",
    "Target",
    "Verb",
    "Paging",
];

/// Whether a (resolved) schema is an object with properties.
fn properties(schema: &Value) -> Option<&serde_json::Map<String, Value>> {
    schema
        .get("properties")
        .and_then(Value::as_object)
        .filter(|p| !p.is_empty())
}

fn enum_strings(schema: &Value) -> Vec<String> {
    schema
        .get("enum")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

impl TypeSet {
    /// Types every operation of `ops`.
    pub fn build(spec: &Spec, ops: &[Op]) -> Result<TypeSet, String> {
        let mut set = TypeSet::default();
        for op in ops {
            set.names
                .entry(op.group.clone())
                .or_default()
                .insert(op.type_name.clone());
        }
        for op in ops {
            if crate::overrides::of(&op.id()).is_some() {
                // A hand-written type stands for it: no generated body or answer model.
                continue;
            }
            let body = match &op.body {
                BodyKind::Json {
                    schema: Some((file, schema)),
                    ..
                } => Some(set.ty(
                    spec,
                    file,
                    schema,
                    &op.group,
                    &format!("{}Body", op.type_name),
                    0,
                )),
                BodyKind::Json { schema: None, .. } => Some(Ty::Json),
                _ => None,
            };
            let output = set.output(spec, op);
            let feature = feature_of(&op.group)
                .ok_or_else(|| format!("{} has no cluster", op.group))?
                .to_owned();
            let mut roots = Vec::new();
            roots.extend(body.clone());
            if let Output::Typed(t) = &output {
                roots.push(t.clone());
            }
            for root in roots {
                set.mark(&root, &feature);
            }
            set.bodies.insert(op.id(), body);
            set.outputs.insert(op.id(), output);
        }
        set.box_cycles();
        Ok(set)
    }

    /// Boxes every field whose model leads back to the model holding it (outside a `Vec`, a
    /// recursive struct would have infinite size).
    fn box_cycles(&mut self) {
        for i in 0..self.models.len() {
            for f in 0..self.models[i].fields.len() {
                if let Ty::Model(j) = self.models[i].fields[f].ty {
                    if self.reaches(j, i, &mut BTreeSet::new()) {
                        self.models[i].fields[f].ty = Ty::Boxed(Box::new(Ty::Model(j)));
                    }
                }
            }
        }
    }

    /// Whether model `from` holds model `to` inline (not through a `Vec` or a `Box`).
    fn reaches(&self, from: usize, to: usize, seen: &mut BTreeSet<usize>) -> bool {
        if from == to {
            return true;
        }
        if !seen.insert(from) {
            return false;
        }
        self.models[from].fields.iter().any(|f| match f.ty {
            Ty::Model(k) => self.reaches(k, to, seen),
            _ => false,
        })
    }

    /// Classes of structurally equal models (same keys, same field types up to equal models):
    /// `class[i]` is the index of the first model of model `i`'s class.
    pub fn classes(&self) -> Vec<usize> {
        let n = self.models.len();
        let mut class: Vec<usize> = vec![0; n];
        loop {
            let mut sigs: BTreeMap<String, usize> = BTreeMap::new();
            let mut next = Vec::with_capacity(n);
            for model in &self.models {
                let sig: Vec<String> = model
                    .fields
                    .iter()
                    .map(|f| format!("{}:{}", f.key, self.sig(&f.ty, &class)))
                    .collect();
                let sig = sig.join(",");
                let len = sigs.len();
                next.push(*sigs.entry(sig).or_insert(len));
            }
            if next == class {
                break;
            }
            class = next;
        }
        // Representative: the first model of each class.
        let mut first: BTreeMap<usize, usize> = BTreeMap::new();
        (0..n)
            .map(|i| *first.entry(class[i]).or_insert(i))
            .collect()
    }

    fn sig(&self, ty: &Ty, class: &[usize]) -> String {
        match ty {
            Ty::Model(i) => format!("M{}", class[*i]),
            Ty::Array(t) => format!("[{}]", self.sig(t, class)),
            Ty::Boxed(t) => format!("B{}", self.sig(t, class)),
            Ty::Enum(i) => format!("E{:?}", self.enums[*i].variants),
            other => format!("{other:?}"),
        }
    }

    /// Adds `feature` to every type reachable from `ty`.
    fn mark(&mut self, ty: &Ty, feature: &str) {
        match ty {
            Ty::Array(inner) | Ty::Boxed(inner) => self.mark(inner, feature),
            Ty::Enum(i) => {
                self.enums[*i].features.insert(feature.to_owned());
            }
            Ty::Model(i) if self.models[*i].features.insert(feature.to_owned()) => {
                let fields: Vec<Ty> = self.models[*i]
                    .fields
                    .iter()
                    .map(|f| f.ty.clone())
                    .collect();
                for f in fields {
                    self.mark(&f, feature);
                }
            }
            _ => {}
        }
    }

    /// A free name in `module`, from `want`.
    fn name(&mut self, module: &str, want: &str) -> String {
        let taken = self.names.entry(module.to_owned()).or_default();
        let mut base = if want.is_empty() {
            "Object".to_owned()
        } else if want.starts_with(|c: char| c.is_ascii_digit()) {
            format!("T{want}")
        } else {
            want.to_owned()
        };
        if RESERVED.contains(&base.as_str()) {
            base.push_str("Model");
        }
        let mut name = base.clone();
        let mut n = 2;
        while taken.contains(&name) {
            name = format!("{base}{n}");
            n += 1;
        }
        taken.insert(name.clone());
        name
    }

    /// The output of an operation.
    fn output(&mut self, spec: &Spec, op: &Op) -> Output {
        if op.output == OutputKind::Download {
            return Output::Download;
        }
        let mut schemas: Vec<(String, Value)> = Vec::new();
        if let Some(responses) = op.raw.get("responses").and_then(Value::as_object) {
            for (code, resp) in responses {
                if !code.starts_with('2') {
                    continue;
                }
                let Some((file, resp)) = spec.resolve(&op.group, resp) else {
                    continue;
                };
                if let Some(schema) = resp.pointer("/content/application~1json/schema") {
                    let schema = schema.clone();
                    if !schemas.iter().any(|(f, s)| f == file && *s == schema) {
                        schemas.push((file.to_owned(), schema));
                    }
                }
            }
        }
        if schemas.is_empty() {
            return Output::Untyped;
        }
        // Per-item outcomes win: a batch answer is outcomes whatever else the spec lists.
        for (file, schema) in &schemas {
            if let Some(key) = self.outcomes_key(spec, file, schema) {
                return Output::Outcomes(key);
            }
        }
        let hint = format!("{}Response", op.type_name);
        let ty = if schemas.len() == 1 {
            let (file, schema) = &schemas[0];
            self.ty(spec, file, schema, &op.group, &hint, 0)
        } else {
            let members: Vec<Value> = schemas
                .iter()
                .map(|(f, s)| serde_json::json!({"$file": f, "schema": s}))
                .collect();
            self.union(spec, &op.group, &members, &op.group, &hint)
        };
        Output::Typed(ty)
    }

    /// `Some(key)` when `schema` (a success answer) is a batch of status objects: `Some(None)` for
    /// a bare status object, `Some(Some(key))` for `{key: [status, ...]}` or `{key: status}`.
    fn outcomes_key(&self, spec: &Spec, file: &str, schema: &Value) -> Option<Option<String>> {
        let members = self.success_members(spec, file, schema);
        if members.is_empty() {
            return None;
        }
        let mut key: Option<Option<String>> = None;
        for (mfile, m) in members {
            let this = if self.is_status(spec, mfile, m) {
                None
            } else {
                let props = properties(m)?;
                let (k, v) = props.iter().find(|(_, v)| {
                    let Some((vf, v)) = spec.resolve(mfile, v) else {
                        return false;
                    };
                    self.holds_status(spec, vf, v)
                })?;
                let _ = v;
                Some(k.clone())
            };
            match &key {
                None => key = Some(this),
                Some(k) if *k == this => {}
                Some(_) => return None,
            }
        }
        key
    }

    /// The non-error members of a (possibly `oneOf`) schema, resolved.
    fn success_members<'a>(
        &self,
        spec: &'a Spec,
        file: &'a str,
        schema: &'a Value,
    ) -> Vec<(&'a str, &'a Value)> {
        let Some((file, schema)) = spec.resolve(file, schema) else {
            return Vec::new();
        };
        if let Some(list) = schema
            .get("oneOf")
            .or_else(|| schema.get("anyOf"))
            .and_then(Value::as_array)
        {
            return list
                .iter()
                .flat_map(|m| self.success_members(spec, file, m))
                .collect();
        }
        if self.is_error(spec, file, schema) {
            return Vec::new();
        }
        vec![(file, schema)]
    }

    /// A status object: `code` plus `status` or `message`, nothing that looks like data.
    fn is_status(&self, spec: &Spec, file: &str, schema: &Value) -> bool {
        let Some((_, schema)) = spec.resolve(file, schema) else {
            return false;
        };
        let Some(props) = properties(schema) else {
            return false;
        };
        const STATUS_KEYS: &[&str] = &[
            "code",
            "details",
            "message",
            "status",
            "action",
            "duplicate_field",
        ];
        props.contains_key("code")
            && (props.contains_key("status") || props.contains_key("message"))
            && props.keys().all(|k| STATUS_KEYS.contains(&k.as_str()))
    }

    /// An error object (`status` enum `["error"]`), an error wrapper, or a `oneOf` of them.
    fn is_error(&self, spec: &Spec, file: &str, schema: &Value) -> bool {
        self.is_error_depth(spec, file, schema, 0)
    }

    fn is_error_depth(&self, spec: &Spec, file: &str, schema: &Value, depth: usize) -> bool {
        if depth > 6 {
            return false;
        }
        let Some((file, schema)) = spec.resolve(file, schema) else {
            return false;
        };
        if let Some(list) = schema
            .get("oneOf")
            .or_else(|| schema.get("anyOf"))
            .and_then(Value::as_array)
        {
            return !list.is_empty()
                && list
                    .iter()
                    .all(|m| self.is_error_depth(spec, file, m, depth + 1));
        }
        if let Some(items) = schema.get("items") {
            return self.is_error_depth(spec, file, items, depth + 1);
        }
        let Some(props) = properties(schema) else {
            return false;
        };
        if props.contains_key("code") {
            let status = props
                .get("status")
                .and_then(|s| spec.resolve(file, s))
                .map(|(_, s)| enum_strings(s))
                .unwrap_or_default();
            return status.iter().any(|s| s.eq_ignore_ascii_case("error"))
                && !status.iter().any(|s| s.eq_ignore_ascii_case("success"));
        }
        if props.contains_key("ERROR_CODE") || props.contains_key("x-error") {
            return true;
        }
        // A wrapper whose every property is an error (or a list of errors).
        props
            .values()
            .all(|v| self.is_error_depth(spec, file, v, depth + 1))
    }

    /// Whether `schema` is a status object or an array of them (success or error members).
    fn holds_status(&self, spec: &Spec, file: &str, schema: &Value) -> bool {
        let Some((file, schema)) = spec.resolve(file, schema) else {
            return false;
        };
        let target = match schema.get("items") {
            Some(items) => match spec.resolve(file, items) {
                // The spec's array-of-array variant.
                Some((f, i)) if i.get("items").is_some() => spec.resolve(f, &i["items"]),
                other => other,
            },
            None => Some((file, schema)),
        };
        let Some((file, target)) = target else {
            return false;
        };
        let members: Vec<(&str, &Value)> = match target
            .get("oneOf")
            .or_else(|| target.get("anyOf"))
            .and_then(Value::as_array)
        {
            Some(list) => list.iter().filter_map(|m| spec.resolve(file, m)).collect(),
            None => vec![(file, target)],
        };
        !members.is_empty() && members.iter().all(|(f, m)| self.is_status(spec, f, m))
    }

    /// The type of `schema` (written in `file`); new types go into `module`, named from `hint`.
    pub fn ty(
        &mut self,
        spec: &Spec,
        file: &str,
        schema: &Value,
        module: &str,
        hint: &str,
        depth: usize,
    ) -> Ty {
        if depth > 48 {
            return Ty::Json;
        }
        if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
            let Some((tfile, target)) = spec.target(file, r) else {
                return Ty::Json;
            };
            let Some(name) = r
                .split_once("#/components/schemas/")
                .map(|(_, n)| n.to_owned())
            else {
                return self.ty(spec, tfile, target, module, hint, depth + 1);
            };
            let key = (tfile.to_owned(), name.clone());
            if let Some(t) = override_of(tfile, &name) {
                return t;
            }
            if let Some(t) = self.components.get(&key) {
                return t.clone();
            }
            let tfile = tfile.to_owned();
            // Objects get their model reserved first: components can refer to themselves.
            if properties(target).is_some()
                && target.get("oneOf").is_none()
                && target.get("allOf").is_none()
            {
                let name_rs = self.name(&tfile, &camel(&name));
                let id = self.models.len();
                self.models.push(Model {
                    module: tfile.clone(),
                    name: name_rs.clone(),
                    source: format!("{tfile}.json#/components/schemas/{name}"),
                    fields: Vec::new(),
                    features: BTreeSet::new(),
                });
                self.components.insert(key, Ty::Model(id));
                let fields = self.fields(spec, &tfile, target, &name_rs, &tfile, depth);
                self.models[id].fields = fields;
                return Ty::Model(id);
            }
            let t = self.ty(spec, &tfile, target, &tfile, &camel(&name), depth + 1);
            self.components.insert(key, t.clone());
            return t;
        }
        for word in ["oneOf", "anyOf"] {
            if let Some(list) = schema.get(word).and_then(Value::as_array) {
                let members: Vec<Value> = list
                    .iter()
                    .filter(|m| !self.is_error(spec, file, m))
                    .map(|m| serde_json::json!({"$file": file, "schema": m}))
                    .collect();
                return self.union(spec, file, &members, module, hint);
            }
        }
        if let Some(list) = schema.get("allOf").and_then(Value::as_array) {
            let members: Vec<Value> = list
                .iter()
                .map(|m| serde_json::json!({"$file": file, "schema": m}))
                .collect();
            return self.union(spec, file, &members, module, hint);
        }
        let ty = schema.get("type").and_then(Value::as_str);
        match ty {
            Some("string") => {
                match schema.get("format").and_then(Value::as_str) {
                    Some("date-time") => return Ty::DateTime,
                    Some("date") => return Ty::Date,
                    _ => {}
                }
                let values = enum_strings(schema);
                self.string_enum(module, hint, &values)
            }
            Some("integer") => Ty::Int,
            Some("number") => Ty::Num,
            Some("boolean") => Ty::Bool,
            Some("array") => {
                let Some(items) = schema.get("items") else {
                    return Ty::Array(Box::new(Ty::Json));
                };
                // The spec's array-of-array schemas describe arrays of objects (§2.2#5).
                let items = match spec.resolve(file, items) {
                    Some((_, i)) if i.get("type").and_then(Value::as_str) == Some("array") => {
                        i.get("items").unwrap_or(items)
                    }
                    _ => items,
                };
                Ty::Array(Box::new(self.ty(
                    spec,
                    file,
                    items,
                    module,
                    hint,
                    depth + 1,
                )))
            }
            _ => {
                if properties(schema).is_some() {
                    self.inline_model(spec, file, schema, module, hint, depth)
                } else {
                    Ty::Json
                }
            }
        }
    }

    fn inline_model(
        &mut self,
        spec: &Spec,
        file: &str,
        schema: &Value,
        module: &str,
        hint: &str,
        depth: usize,
    ) -> Ty {
        let shape = (module.to_owned(), format!("{file}:{schema}"));
        if let Some(id) = self.inline.get(&shape) {
            return Ty::Model(*id);
        }
        let name = self.name(module, hint);
        let id = self.models.len();
        self.models.push(Model {
            module: module.to_owned(),
            name: name.clone(),
            source: format!("inline in {file}.json"),
            fields: Vec::new(),
            features: BTreeSet::new(),
        });
        self.inline.insert(shape, id);
        let fields = self.fields(spec, file, schema, &name, module, depth);
        self.models[id].fields = fields;
        Ty::Model(id)
    }

    /// The union of `oneOf`/`allOf` members (each `{"$file", "schema"}`).
    fn union(
        &mut self,
        spec: &Spec,
        _file: &str,
        members: &[Value],
        module: &str,
        hint: &str,
    ) -> Ty {
        let resolved: Vec<(String, Value)> = members
            .iter()
            .filter_map(|m| {
                let f = m["$file"].as_str()?;
                Some((f.to_owned(), m["schema"].clone()))
            })
            .collect();
        match resolved.as_slice() {
            [] => Ty::Json,
            [(f, s)] => self.ty(spec, f, s, module, hint, 1),
            _ => {
                let types: Vec<Ty> = resolved
                    .iter()
                    .map(|(f, s)| self.ty(spec, f, s, module, hint, 1))
                    .collect();
                if types.windows(2).all(|w| w[0] == w[1]) {
                    return types[0].clone();
                }
                // Objects: one struct with every member's fields.
                let mut props = serde_json::Map::new();
                for (f, s) in &resolved {
                    let Some((rf, rs)) = spec.resolve(f, s) else {
                        return Ty::Json;
                    };
                    let Some(p) = properties(rs) else {
                        return Ty::Json;
                    };
                    for (k, v) in p {
                        let v = serde_json::json!({"$file": rf, "schema": v});
                        match props.get(k) {
                            Some(existing) if *existing != v => {
                                // Same key, another schema: decide below from the types.
                                let mut both = match existing {
                                    Value::Array(a) => a.clone(),
                                    one => vec![one.clone()],
                                };
                                both.push(v);
                                props.insert(k.clone(), Value::Array(both));
                            }
                            Some(_) => {}
                            None => {
                                props.insert(k.clone(), v);
                            }
                        }
                    }
                }
                let canonical = format!("union:{}", Value::Object(props.clone()));
                let shape = (module.to_owned(), canonical);
                if let Some(id) = self.inline.get(&shape) {
                    return Ty::Model(*id);
                }
                let name = self.name(module, hint);
                let id = self.models.len();
                self.models.push(Model {
                    module: module.to_owned(),
                    name: name.clone(),
                    source: "a oneOf of objects, merged".to_owned(),
                    fields: Vec::new(),
                    features: BTreeSet::new(),
                });
                self.inline.insert(shape, id);
                let mut fields = Vec::new();
                let mut idents = BTreeSet::new();
                for (k, v) in &props {
                    let field_hint = format!("{name}{}", camel(k));
                    let ty = match v {
                        Value::Array(alts) => {
                            let tys: Vec<Ty> = alts
                                .iter()
                                .map(|a| {
                                    let f = a["$file"].as_str().unwrap_or(module).to_owned();
                                    self.field_ty(spec, &f, k, &a["schema"], module, &field_hint, 2)
                                })
                                .collect();
                            if tys.windows(2).all(|w| w[0] == w[1]) {
                                tys[0].clone()
                            } else {
                                Ty::Json
                            }
                        }
                        one => {
                            let f = one["$file"].as_str().unwrap_or(module).to_owned();
                            self.field_ty(spec, &f, k, &one["schema"], module, &field_hint, 2)
                        }
                    };
                    fields.push(Field {
                        key: k.clone(),
                        ident: field_ident(k, &mut idents),
                        ty,
                    });
                }
                self.models[id].fields = fields;
                Ty::Model(id)
            }
        }
    }

    fn fields(
        &mut self,
        spec: &Spec,
        file: &str,
        schema: &Value,
        model: &str,
        module: &str,
        depth: usize,
    ) -> Vec<Field> {
        let Some(props) = properties(schema) else {
            return Vec::new();
        };
        let props = props.clone();
        let mut idents = BTreeSet::new();
        let mut out = Vec::new();
        for (key, sub) in &props {
            let hint = format!("{model}{}", camel(key));
            let ty = self.field_ty(spec, file, key, sub, module, &hint, depth + 1);
            out.push(Field {
                key: key.clone(),
                ident: field_ident(key, &mut idents),
                ty,
            });
        }
        out
    }

    /// A property's type, with the rules that depend on its name.
    #[allow(clippy::too_many_arguments)]
    fn field_ty(
        &mut self,
        spec: &Spec,
        file: &str,
        key: &str,
        schema: &Value,
        module: &str,
        hint: &str,
        depth: usize,
    ) -> Ty {
        let resolved = spec
            .resolve(file, schema)
            .map(|(_, s)| s.clone())
            .unwrap_or(Value::Null);
        let kind = resolved.get("type").and_then(Value::as_str);
        if key == "info" && (kind == Some("object") || properties(&resolved).is_some()) {
            return Ty::PageInfo;
        }
        if matches!(
            key,
            "token" | "access_token" | "refresh_token" | "client_secret" | "verification_token"
        ) && kind == Some("string")
        {
            return Ty::Secret;
        }
        if key == "message" && kind == Some("string") {
            return Ty::Str;
        }
        // Zoho's record and metadata ids are strings (ids past 2^53 lose digits as numbers); a
        // few schemas say integer (`blueprint` transitions and fields, `cadences` custom views,
        // `record_locking`). Small positional ids (`section_id: 5`) stay numbers.
        if (key == "id" || key == "field_id") && kind == Some("integer") {
            return Ty::Str;
        }
        // Counts are numbers in Zoho's answers and both official SDKs; two schemas say string
        // (`record_count`, `users_count`).
        if key == "count" && kind == Some("string") && resolved.get("format").is_none() {
            return Ty::Int;
        }
        // Enums are named after the property, not after the parent model.
        let t = if kind == Some("string")
            && resolved.get("enum").is_some()
            && schema.get("$ref").is_none()
        {
            let values = enum_strings(&resolved);
            self.string_enum(module, &camel(key), &values)
        } else {
            self.ty(spec, file, schema, module, hint, depth)
        };
        t
    }

    fn string_enum(&mut self, module: &str, hint: &str, values: &[String]) -> Ty {
        let named = values.len() >= 2
            && values.len() <= 64
            && values.iter().all(|v| {
                v.chars().any(|c| c.is_ascii_alphabetic())
                    && camel(v).starts_with(|c: char| c.is_ascii_alphabetic())
            });
        if !named {
            return Ty::Str;
        }
        // The same values under the same wanted name share one enum.
        for (i, e) in self.enums.iter().enumerate() {
            if e.module == module
                && (e.name == hint
                    || e.name.starts_with(hint)
                        && e.name[hint.len()..].chars().all(|c| c.is_ascii_digit()))
                && e.variants.iter().map(|(_, v)| v).eq(values.iter())
            {
                return Ty::Enum(i);
            }
        }
        let name = self.name(module, hint);
        let mut seen = BTreeSet::new();
        let variants = values
            .iter()
            .map(|v| {
                let mut variant = camel(v);
                if matches!(variant.as_str(), "Unknown" | "Self") {
                    variant.push_str("Value");
                }
                let base = variant.clone();
                let mut n = 2;
                while !seen.insert(variant.clone()) {
                    variant = format!("{base}{n}");
                    n += 1;
                }
                (variant, v.clone())
            })
            .collect();
        self.enums.push(EnumDef {
            module: module.to_owned(),
            name,
            variants,
            features: BTreeSet::new(),
        });
        Ty::Enum(self.enums.len() - 1)
    }
}

/// A Rust field name for a JSON key, unique in its struct.
fn field_ident(key: &str, taken: &mut BTreeSet<String>) -> String {
    let mut ident = rust_ident(key);
    if key.starts_with('$') {
        ident = format!("dollar_{}", snake(key));
    }
    if ident == "extra" {
        ident = "extra_".to_owned();
    }
    let base = ident.clone();
    let mut n = 2;
    while !taken.insert(ident.clone()) {
        ident = format!("{}_{n}", base.trim_start_matches("r#"));
        n += 1;
    }
    ident
}

/// Schemas typed by hand-written types.
fn override_of(file: &str, name: &str) -> Option<Ty> {
    match (file, name) {
        // The module record: org-specific fields, decoded on access.
        ("record", "Record") | ("module_search", "Record") => Some(Ty::Record),
        _ => None,
    }
}
