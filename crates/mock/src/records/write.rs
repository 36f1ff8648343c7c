//! Writing records: insert, update, upsert and delete, with Zoho's per-item validation
//! (mandatory fields, e-mail fields, lookups, owners, the system unique field) and per-item
//! answers (207 when some items fail, 400 when all do).

use serde_json::{json, Map, Value};

use super::{
    display_of, external_field, id_value, same_value, spec_of, Binned, Record, Spec, TagDef,
    MAX_WRITE,
};
use crate::org::Org;
use crate::schema::{self, Kind, Misfit};
use crate::util::{
    api_error, batch, body_array, error_obj, invalid_path_id, json_body, limit_exceeded,
    now_string, parse_datetime, success_obj, target_ids, Request, Response, MSG_DUPLICATE,
    MSG_INVALID, MSG_INVALID_ID, MSG_MANDATORY,
};

/// The automations `trigger` may name.
const TRIGGERS: [&str; 5] = [
    "workflow",
    "approval",
    "blueprint",
    "pathfinder",
    "orchestration",
];

pub(super) fn mandatory(field: &str, path: &str) -> Value {
    error_obj(
        "MANDATORY_NOT_FOUND",
        MSG_MANDATORY,
        json!({"api_name": field, "json_path": format!("{path}.{field}")}),
    )
}

pub(super) fn invalid(field: &str, path: &str, expected: Option<&str>) -> Value {
    let mut details = json!({"api_name": field, "json_path": format!("{path}.{field}")});
    if let Some(t) = expected {
        details["expected_data_type"] = json!(t);
    }
    error_obj("INVALID_DATA", MSG_INVALID, details)
}

/// A text longer than the field allows.
fn too_long(field: &str, path: &str, max: u32) -> Value {
    error_obj(
        "INVALID_DATA",
        MSG_INVALID,
        json!({"api_name": field, "json_path": format!("{path}.{field}"), "maximum_length": max}),
    )
}

fn not_an_object(path: &str) -> Value {
    error_obj(
        "INVALID_DATA",
        MSG_INVALID,
        json!({"api_name": "data", "json_path": path, "expected_data_type": "jsonobject"}),
    )
}

/// A plausible e-mail address: one `@`, a local part, a dotted domain, no spaces.
pub(super) fn valid_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.chars().any(char::is_whitespace)
}

fn is_blank(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.trim().is_empty(),
        Some(Value::Array(a)) => a.is_empty(),
        _ => false,
    }
}

/// The body's `trigger`: absent, or an array of known automation names.
pub(super) fn check_trigger(body: &Map<String, Value>) -> Result<(), Response> {
    let bad = |path: String| {
        api_error(
            400,
            "INVALID_DATA",
            MSG_INVALID,
            json!({"api_name": "trigger", "json_path": path, "supported_values": TRIGGERS}),
        )
    };
    match body.get("trigger") {
        None | Some(Value::Null) => Ok(()),
        Some(Value::Array(items)) => {
            for (i, t) in items.iter().enumerate() {
                if !t.as_str().is_some_and(|t| TRIGGERS.contains(&t)) {
                    return Err(bad(format!("$.trigger[{i}]")));
                }
            }
            Ok(())
        }
        Some(_) => Err(bad("$.trigger".into())),
    }
}

/// The body of a write: its `data` (at most [`MAX_WRITE`] items) and the whole object.
pub(super) fn write_body(req: &Request) -> Result<(Map<String, Value>, Vec<Value>), Response> {
    let body = json_body(req)?;
    let items = body_array(&body, "data")?;
    if items.len() > MAX_WRITE {
        return Err(limit_exceeded("data", MAX_WRITE));
    }
    check_trigger(&body)?;
    Ok((body, items))
}

/// A tag named in a write: one the org has, or a new one.
#[derive(Debug, Clone)]
pub(super) enum TagWant {
    Known(TagDef),
    New(String),
}

/// What an item sets, once validated.
#[derive(Debug, Default)]
pub(super) struct Prepared {
    pub set: Map<String, Value>,
    pub tags: Option<Vec<TagWant>>,
}

/// Success `details` of a write: who and when.
pub(super) fn write_details(fields: &Map<String, Value>) -> Value {
    let name_id = |v: Option<&Value>| match v {
        Some(Value::Object(o)) => json!({"name": o.get("name"), "id": o.get("id")}),
        _ => Value::Null,
    };
    json!({
        "Modified_Time": fields.get("Modified_Time"),
        "Modified_By": name_id(fields.get("Modified_By")),
        "Created_Time": fields.get("Created_Time"),
        "id": fields.get("id"),
        "Created_By": name_id(fields.get("Created_By")),
    })
}

fn set_full_name(spec: &Spec, fields: &mut Map<String, Value>) {
    if matches!(spec.name, "Leads" | "Contacts") {
        let name = display_of(spec, fields);
        fields.insert("Full_Name".into(), json!(name));
    }
}

/// Where an update item's record comes from.
enum Target<'a> {
    /// The id (or external value) in the path.
    Path(&'a str),
    /// The item's `id`, or its external field.
    Item(Option<&'a str>),
}

impl Org {
    /// Validates an item's fields against the module's schema (`path` is `$.data[i]`);
    /// `creating` means mandatory fields must be present. Read-only fields, `$` keys and field
    /// names the module does not have are ignored, as Zoho ignores them.
    pub(super) fn prepare(
        &self,
        spec: &Spec,
        path: &str,
        obj: &Map<String, Value>,
        creating: bool,
    ) -> Result<Prepared, Value> {
        for field in spec.mandatory() {
            let v = obj.get(field.api_name);
            if (creating || v.is_some()) && is_blank(v) {
                return Err(mandatory(field.api_name, path));
            }
        }
        let mut out = Prepared::default();
        for (k, v) in obj {
            if schema::is_system_key(k) {
                continue;
            }
            let Some(field) = spec.field(k).filter(|f| !f.read_only) else {
                continue;
            };
            match field.check(v) {
                Ok(()) => {}
                Err(Misfit::Type) => return Err(invalid(k, path, Some(field.kind.expected()))),
                Err(Misfit::TooLong(max)) => return Err(too_long(k, path, max)),
            }
            let value = match field.kind {
                // A note's parent is resolved by `note_parent`.
                Kind::Parent => continue,
                Kind::Owner => {
                    let user = id_value(Some(v))
                        .and_then(|id| self.user(&id).map(|u| u.id.clone()))
                        .ok_or_else(|| invalid(k, path, None))?;
                    self.user_min(&user)
                }
                Kind::Tags => {
                    out.tags = Some(self.wanted_tags(v, &format!("{path}.Tag"))?);
                    continue;
                }
                Kind::Lookup(target) => match v {
                    Value::Null => Value::Null,
                    _ => {
                        let id = id_value(Some(v))
                            .filter(|id| self.records.get(target, id).is_some())
                            .ok_or_else(|| invalid(k, path, Some("lookup")))?;
                        json!({"name": self.records.display_name(target, &id), "id": id})
                    }
                },
                Kind::Email => match v {
                    Value::String(s) if s.is_empty() => Value::Null,
                    Value::String(s) if !valid_email(s) => {
                        return Err(invalid(k, path, Some("email")))
                    }
                    _ => v.clone(),
                },
                _ => v.clone(),
            };
            out.set.insert(k.clone(), value);
        }
        Ok(out)
    }

    /// Tags named in a body (`[{"name"}]` or `[{"id"}]`; the id wins).
    pub(super) fn wanted_tags(&self, v: &Value, path: &str) -> Result<Vec<TagWant>, Value> {
        let bad = |p: String| {
            error_obj(
                "INVALID_DATA",
                MSG_INVALID,
                json!({"api_name": "Tag", "json_path": p}),
            )
        };
        let Value::Array(items) = v else {
            return Err(error_obj(
                "INVALID_DATA",
                MSG_INVALID,
                json!({"api_name": "Tag", "json_path": path, "expected_data_type": "jsonarray"}),
            ));
        };
        let mut out = Vec::new();
        for (j, t) in items.iter().enumerate() {
            let p = format!("{path}[{j}]");
            let want = if let Some(id) = t.get("id").and_then(|_| id_value(t.get("id"))) {
                let def = self.records.tags.iter().find(|d| d.id == id);
                TagWant::Known(def.cloned().ok_or_else(|| bad(format!("{p}.id")))?)
            } else {
                let name = t
                    .get("name")
                    .and_then(Value::as_str)
                    .map(str::trim)
                    .filter(|n| !n.is_empty())
                    .ok_or_else(|| bad(format!("{p}.name")))?;
                if name.chars().count() > 25 {
                    return Err(error_obj(
                        "INVALID_DATA",
                        MSG_INVALID,
                        json!({"api_name": "name", "json_path": format!("{p}.name"), "maximum_length": 25}),
                    ));
                }
                match self.records.tag_by_name(name) {
                    Some(def) => TagWant::Known(def.clone()),
                    None => TagWant::New(name.to_owned()),
                }
            };
            out.push(want);
        }
        Ok(out)
    }

    /// Creates the new tags among `wants`; returns them all as `Tag` values, without repeats.
    pub(super) fn commit_tags(&mut self, wants: Vec<TagWant>) -> Vec<Value> {
        let mut out: Vec<Value> = Vec::new();
        for w in wants {
            let def = match w {
                TagWant::Known(d) => d,
                TagWant::New(name) => match self.records.tag_by_name(&name) {
                    Some(d) => d.clone(),
                    None => {
                        let d = TagDef {
                            id: self.records.new_id(),
                            name,
                            color_code: Value::Null,
                        };
                        self.records.tags.push(d.clone());
                        d
                    }
                },
            };
            if !out.iter().any(|t| t["id"] == def.id.as_str()) {
                out.push(def.to_json());
            }
        }
        out
    }

    /// `DUPLICATE_DATA` when another record of the module holds the unique value.
    fn check_unique(
        &self,
        spec: &Spec,
        path: &str,
        set: &Map<String, Value>,
        exclude: Option<&str>,
    ) -> Result<(), Value> {
        let Some(field) = spec.unique() else {
            return Ok(());
        };
        let Some(value) = set.get(field).filter(|v| !v.is_null()) else {
            return Ok(());
        };
        let clash = self.records.records(spec.name).find(|r| {
            Some(r.id.as_str()) != exclude
                && r.fields.get(field).is_some_and(|v| same_value(v, value))
        });
        match clash {
            None => Ok(()),
            Some(r) => Err(error_obj(
                "DUPLICATE_DATA",
                MSG_DUPLICATE,
                json!({
                    "api_name": field,
                    "json_path": format!("{path}.{field}"),
                    "duplicate_record": {
                        "module": {"api_name": spec.name, "id": spec.module_id()},
                        "id": r.id,
                        "Owner": match r.fields.get("Owner") {
                            Some(Value::Object(o)) => json!({"name": o.get("name"), "id": o.get("id")}),
                            _ => Value::Null,
                        },
                    }
                }),
            )),
        }
    }

    /// Stores a new record from validated input; returns its fields.
    pub(super) fn create(&mut self, spec: &Spec, prep: Prepared) -> Map<String, Value> {
        let id = self.records.new_id();
        let now = now_string();
        let me = self.user_min(&self.current_user);
        let mut f = Map::new();
        f.insert("id".into(), json!(id));
        f.insert("Owner".into(), me.clone());
        f.extend(prep.set);
        f.insert("Created_Time".into(), json!(now));
        f.insert("Modified_Time".into(), json!(now));
        f.insert("Created_By".into(), me.clone());
        f.insert("Modified_By".into(), me);
        let tags = prep.tags.map(|t| self.commit_tags(t)).unwrap_or_default();
        f.insert("Tag".into(), Value::Array(tags));
        if spec.name == "Leads" {
            f.insert("$converted".into(), json!(false));
        }
        set_full_name(spec, &mut f);
        self.records.insert(Record {
            module: spec.name,
            id: id.clone(),
            fields: f.clone(),
            territories: Vec::new(),
        });
        self.records.writes += 1;
        f
    }

    /// Applies validated input to a stored record; returns its fields.
    pub(super) fn apply(&mut self, spec: &Spec, id: &str, prep: Prepared) -> Map<String, Value> {
        let tags = prep.tags.map(|t| self.commit_tags(t));
        let me = self.user_min(&self.current_user);
        let Some(rec) = self.records.get_mut(spec.name, id) else {
            return Map::new();
        };
        rec.fields.extend(prep.set);
        if let Some(tags) = tags {
            rec.fields.insert("Tag".into(), Value::Array(tags));
        }
        rec.fields
            .insert("Modified_Time".into(), json!(now_string()));
        rec.fields.insert("Modified_By".into(), me);
        set_full_name(spec, &mut rec.fields);
        let fields = rec.fields.clone();
        self.records.writes += 1;
        fields
    }

    /// The `Parent_Id` of a note: from the path, or from the item.
    fn note_parent(
        &self,
        obj: &Map<String, Value>,
        parent: Option<(&'static str, &str)>,
        path: &str,
    ) -> Result<Value, Value> {
        let (module, id) = match parent {
            Some((m, id)) => (m, id.to_owned()),
            None => {
                let p = obj.get("Parent_Id").filter(|v| !v.is_null());
                let p = p.ok_or_else(|| mandatory("Parent_Id", path))?;
                let module_name = p
                    .get("module")
                    .and_then(|m| m.get("api_name").or(Some(m)))
                    .and_then(Value::as_str)
                    .or_else(|| obj.get("$se_module").and_then(Value::as_str))
                    .ok_or_else(|| mandatory("Parent_Id", path))?;
                let module = super::spec(module_name)
                    .filter(|s| s.name != "Notes")
                    .ok_or_else(|| invalid("Parent_Id", path, None))?;
                let id = id_value(Some(p)).ok_or_else(|| mandatory("Parent_Id", path))?;
                (module.name, id)
            }
        };
        if self.records.get(module, &id).is_none() {
            return Err(error_obj(
                "INVALID_DATA",
                MSG_INVALID_ID,
                json!({"api_name": "Parent_Id", "json_path": format!("{path}.Parent_Id")}),
            ));
        }
        Ok(json!({
            "module": {"api_name": module, "id": spec_of(module).module_id()},
            "id": id,
            "name": self.records.display_name(module, &id),
        }))
    }

    /// One insert item.
    pub(super) fn insert_one(
        &mut self,
        spec: &Spec,
        i: usize,
        item: &Value,
        parent: Option<(&'static str, &str)>,
    ) -> Result<Map<String, Value>, Value> {
        let path = format!("$.data[{i}]");
        let obj = item.as_object().ok_or_else(|| not_an_object(&path))?;
        let mut prep = self.prepare(spec, &path, obj, true)?;
        if spec.name == "Notes" {
            let p = self.note_parent(obj, parent, &path)?;
            prep.set
                .insert("$se_module".into(), p["module"]["api_name"].clone());
            prep.set.insert("Parent_Id".into(), p);
        }
        self.check_unique(spec, &path, &prep.set, None)?;
        Ok(self.create(spec, prep))
    }

    /// `POST /{module}` (and notes under a record: `parent`).
    pub(super) fn insert_records(
        &mut self,
        req: &Request,
        spec: &Spec,
        parent: Option<(&'static str, &str)>,
    ) -> Response {
        let items = match write_body(req) {
            Ok((_, items)) => items,
            Err(r) => return r,
        };
        let results = items
            .iter()
            .enumerate()
            .map(|(i, item)| match self.insert_one(spec, i, item, parent) {
                Ok(f) => success_obj("record added", write_details(&f)),
                Err(e) => e,
            })
            .collect();
        batch("data", results, 201)
    }

    /// Resolves and validates one update item; returns the record id and what to set.
    fn update_prepare(
        &self,
        req: &Request,
        spec: &Spec,
        i: usize,
        item: &Value,
        target: Target<'_>,
    ) -> Result<(String, Prepared), Value> {
        let path = format!("$.data[{i}]");
        let obj = item.as_object().ok_or_else(|| not_an_object(&path))?;
        let id = match target {
            Target::Path(id) => id.to_owned(),
            Target::Item(ext) => match ext {
                Some(field) if obj.get(field).is_some_and(|v| !v.is_null()) => self
                    .records
                    .find_by(spec.name, field, &obj[field])
                    .map(|r| r.id.clone())
                    .ok_or_else(|| {
                        error_obj(
                            "INVALID_DATA",
                            MSG_INVALID_ID,
                            json!({"api_name": field, "json_path": format!("{path}.{field}")}),
                        )
                    })?,
                _ => {
                    let id = id_value(obj.get("id")).ok_or_else(|| mandatory("id", &path))?;
                    if self.records.get(spec.name, &id).is_none() {
                        return Err(error_obj(
                            "INVALID_DATA",
                            MSG_INVALID_ID,
                            json!({"api_name": "id", "json_path": format!("{path}.id")}),
                        ));
                    }
                    id
                }
            },
        };
        let rec = self
            .records
            .get(spec.name, &id)
            .ok_or_else(|| mandatory("id", &path))?;
        if super::list::is_converted(rec) {
            return Err(error_obj(
                "CONVERTED_RECORD",
                "can't update the converted record",
                json!({"id": id}),
            ));
        }
        if let Some(limit) = req.header("if-unmodified-since").and_then(parse_datetime) {
            let modified = rec
                .fields
                .get("Modified_Time")
                .and_then(Value::as_str)
                .and_then(parse_datetime);
            if modified.is_some_and(|m| m > limit) {
                return Err(error_obj(
                    "ALREADY_MODIFIED",
                    "Record updated time has already passed if-unmodified-since time",
                    json!({"id": id}),
                ));
            }
        }
        let prep = self.prepare(spec, &path, obj, false)?;
        self.check_unique(spec, &path, &prep.set, Some(&id))?;
        Ok((id, prep))
    }

    /// `PUT /{module}` and `PUT /{module}/{id}`.
    pub(super) fn update_records(
        &mut self,
        req: &Request,
        spec: &Spec,
        path_id: Option<&str>,
    ) -> Response {
        let path_record = match path_id {
            None => None,
            Some(seg) => match self.path_record(req, spec.name, seg) {
                Some(id) => Some(id),
                None => return invalid_path_id(1),
            },
        };
        let items = match write_body(req) {
            Ok((_, items)) => items,
            Err(r) => return r,
        };
        let ext = external_field(req, spec.name);
        let mut results = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let target = match &path_record {
                Some(id) => Target::Path(id),
                None => Target::Item(ext.as_deref()),
            };
            results.push(match self.update_prepare(req, spec, i, item, target) {
                Ok((id, prep)) => success_obj(
                    "record updated",
                    write_details(&self.apply(spec, &id, prep)),
                ),
                Err(e) => e,
            });
        }
        let all_precondition =
            !results.is_empty() && results.iter().all(|r| r["code"] == "ALREADY_MODIFIED");
        let mut resp = batch("data", results, 200);
        if all_precondition {
            resp.status = 412;
        }
        resp
    }

    /// `POST /{module}/upsert`.
    pub(super) fn upsert_records(&mut self, req: &Request, spec: &Spec) -> Response {
        let (body, items) = match write_body(req) {
            Ok(b) => b,
            Err(r) => return r,
        };
        let mut check: Vec<String> = Vec::new();
        if let Some(f) = external_field(req, spec.name) {
            check.push(f);
        }
        match body.get("duplicate_check_fields") {
            None | Some(Value::Null) => check.extend(spec.unique().map(str::to_owned)),
            Some(Value::Array(fields)) if fields.iter().all(Value::is_string) => {
                check.extend(fields.iter().filter_map(Value::as_str).map(str::to_owned));
            }
            Some(_) => {
                return api_error(
                    400,
                    "INVALID_DATA",
                    MSG_INVALID,
                    json!({"api_name": "duplicate_check_fields", "json_path": "$.duplicate_check_fields", "expected_data_type": "jsonarray"}),
                )
            }
        }
        let mut results = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let found = item.as_object().and_then(|obj| {
                check.iter().find_map(|f| {
                    let v = obj.get(f).filter(|v| !v.is_null())?;
                    let rec = self.records.find_by(spec.name, f, v)?;
                    Some((f.clone(), rec.id.clone()))
                })
            });
            let result = match found {
                Some((field, id)) => self
                    .update_prepare(req, spec, i, item, Target::Path(&id))
                    .map(|(id, prep)| {
                        let mut ok = success_obj(
                            "record updated",
                            write_details(&self.apply(spec, &id, prep)),
                        );
                        ok["action"] = json!("update");
                        ok["duplicate_field"] = json!(field);
                        ok
                    }),
                None => self.insert_one(spec, i, item, None).map(|f| {
                    let mut ok = success_obj("record added", write_details(&f));
                    ok["action"] = json!("insert");
                    ok["duplicate_field"] = Value::Null;
                    ok
                }),
            };
            results.push(result.unwrap_or_else(|e| e));
        }
        batch("data", results, 200)
    }

    /// Removes a record to the recycle bin, with its notes and attachments; lookups to it are
    /// emptied.
    pub(super) fn remove_record(&mut self, spec: &Spec, id: &str) -> bool {
        let Some(rec) = self.records.remove(spec.name, id) else {
            return false;
        };
        let me = self.user_name_id(&self.current_user);
        let created_by = match rec.fields.get("Created_By") {
            Some(Value::Object(o)) => json!({"name": o.get("name"), "id": o.get("id")}),
            _ => Value::Null,
        };
        self.records.bin.push(Binned {
            module: spec.name,
            id: rec.id.clone(),
            display_name: display_of(spec, &rec.fields),
            created_by,
            deleted_by: me,
            deleted_time: now_string(),
        });
        self.records.writes += 1;
        let notes: Vec<String> = self
            .records
            .records("Notes")
            .filter(|n| n.fields.get("Parent_Id").and_then(|p| p.get("id")) == Some(&json!(id)))
            .map(|n| n.id.clone())
            .collect();
        for n in notes {
            self.records.remove("Notes", &n);
        }
        self.records.attachments.retain(|_, a| a.parent != id);
        for other in super::SPECS.iter() {
            for (field, target) in other.lookups() {
                if target != spec.name {
                    continue;
                }
                for r in self.records.map_mut(other.name).values_mut() {
                    if r.fields.get(field).and_then(|v| v.get("id")) == Some(&json!(id)) {
                        std::sync::Arc::make_mut(r)
                            .fields
                            .insert(field.into(), Value::Null);
                    }
                }
            }
        }
        true
    }

    /// `DELETE /{module}?ids=` and `DELETE /{module}/{id}`.
    pub(super) fn delete_records(
        &mut self,
        req: &Request,
        spec: &Spec,
        path_id: Option<&str>,
    ) -> Response {
        let given = match target_ids(req, path_id, MAX_WRITE) {
            Ok(ids) => ids,
            Err(r) => return r,
        };
        let results = given
            .iter()
            .map(|given| {
                let id = self
                    .path_record(req, spec.name, given)
                    .unwrap_or_else(|| given.clone());
                if self.remove_record(spec, &id) {
                    success_obj("record deleted", json!({"id": id}))
                } else {
                    error_obj("INVALID_DATA", MSG_INVALID_ID, json!({"id": given}))
                }
            })
            .collect();
        batch("data", results, 200)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        for ok in ["a@b.co", "first.last+tag@example.test"] {
            assert!(valid_email(ok), "{ok}");
        }
        for bad in [
            "", "a", "a@b", "@b.co", "a@@b.co", "a b@c.de", "a@.co", "a@co.",
        ] {
            assert!(!valid_email(bad), "{bad}");
        }
    }
}
