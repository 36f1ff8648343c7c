//! The records API: a store of module records (Leads, Contacts, Accounts, Deals, Notes), their
//! recycle bin, tags and attachments, and the dispatcher for `/crm/v8/{module}/...`. The
//! handlers live in the submodules, one per concept; territories of records stay in
//! `territories.rs` but use this store.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{json, Map, Value};

use crate::org::{make_id, Assignment, Org, Routed};
use crate::schema::{self, Field, Kind};
use crate::util::{invalid_method, invalid_module, invalid_url, Request};

mod actions;
mod demo;
mod list;
mod related;
mod search;
mod write;

pub(crate) use demo::Plan;

/// Records per insert, update, upsert or delete call (and ids per delete).
pub(crate) const MAX_WRITE: usize = 100;

/// A record of a module.
#[derive(Debug, Clone)]
pub(crate) struct Record {
    pub module: &'static str,
    pub id: String,
    /// Every field, system ones included (`id`, `Owner`, `Created_Time`, ...).
    pub fields: Map<String, Value>,
    /// Territories (Accounts, Contacts and Deals only).
    pub territories: Vec<Assignment>,
}

/// The store's key: ids compare as numbers (by length, then digits), so id order is strict.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Key(usize, String);

impl Key {
    pub fn of(id: &str) -> Key {
        Key(id.len(), id.to_owned())
    }
}

/// What the mock knows of a module: its fields (the schema, see `schema.rs`) and how the records
/// API treats it.
#[derive(Debug)]
pub(crate) struct Spec {
    pub name: &'static str,
    /// The singular label (`Lead`), for the metadata endpoints.
    pub singular: &'static str,
    /// The module's own id (`module.id` in duplicate errors and `Parent_Id`).
    pub id_n: u64,
    /// Every field, in layout order.
    pub fields: &'static [Field],
    /// Related lists served under `/{module}/{id}/{related}`.
    pub related: &'static [&'static str],
    /// Fields that make the record's display name, joined by a space.
    pub display: &'static [&'static str],
}

impl Spec {
    pub fn module_id(&self) -> String {
        make_id(self.id_n)
    }

    pub fn index(&self) -> usize {
        SPECS
            .iter()
            .position(|s| s.name == self.name)
            .unwrap_or_default()
    }

    /// The field of that API name (exact spelling, as Zoho compares field names).
    pub fn field(&self, api_name: &str) -> Option<&'static Field> {
        self.fields.iter().find(|f| f.api_name == api_name)
    }

    /// Fields an insert must carry.
    pub fn mandatory(&self) -> impl Iterator<Item = &'static Field> {
        self.fields.iter().filter(|f| f.mandatory)
    }

    /// The system unique field (duplicate check on insert, default upsert check).
    pub fn unique(&self) -> Option<&'static str> {
        self.fields.iter().find(|f| f.unique).map(|f| f.api_name)
    }

    /// Lookup fields and the module each points to.
    pub fn lookups(&self) -> impl Iterator<Item = (&'static str, &'static str)> {
        self.fields.iter().filter_map(|f| match f.kind {
            Kind::Lookup(target) => Some((f.api_name, target)),
            _ => None,
        })
    }

    pub fn lookup_target(&self, field: &str) -> Option<&'static str> {
        self.lookups().find(|(f, _)| *f == field).map(|(_, m)| m)
    }
}

pub(crate) const SPECS: [Spec; 5] = [
    Spec {
        name: "Leads",
        singular: "Lead",
        id_n: 200_001,
        fields: schema::LEADS,
        related: &["Notes", "Attachments"],
        display: &["First_Name", "Last_Name"],
    },
    Spec {
        name: "Contacts",
        singular: "Contact",
        id_n: 200_002,
        fields: schema::CONTACTS,
        related: &["Deals", "Notes", "Attachments"],
        display: &["First_Name", "Last_Name"],
    },
    Spec {
        name: "Accounts",
        singular: "Account",
        id_n: 200_003,
        fields: schema::ACCOUNTS,
        related: &["Contacts", "Deals", "Notes", "Attachments"],
        display: &["Account_Name"],
    },
    Spec {
        name: "Deals",
        singular: "Deal",
        id_n: 200_004,
        fields: schema::DEALS,
        related: &["Notes", "Attachments"],
        display: &["Deal_Name"],
    },
    Spec {
        name: "Notes",
        singular: "Note",
        id_n: 200_005,
        fields: schema::NOTES,
        related: &[],
        display: &["Note_Title"],
    },
];

/// The spec of a module the records API serves (case-insensitive).
pub(crate) fn spec(name: &str) -> Option<&'static Spec> {
    SPECS.iter().find(|s| s.name.eq_ignore_ascii_case(name))
}

pub(crate) fn spec_of(name: &str) -> &'static Spec {
    spec(name).unwrap_or(&SPECS[0])
}

/// A record in the recycle bin.
#[derive(Debug, Clone)]
pub(crate) struct Binned {
    pub module: &'static str,
    pub id: String,
    pub display_name: String,
    pub created_by: Value,
    pub deleted_by: Value,
    pub deleted_time: String,
}

/// A tag of the org.
#[derive(Debug, Clone)]
pub(crate) struct TagDef {
    pub id: String,
    pub name: String,
    pub color_code: Value,
}

impl TagDef {
    pub fn to_json(&self) -> Value {
        json!({"name": self.name, "id": self.id, "color_code": self.color_code})
    }
}

/// A file or link attached to a record.
#[derive(Debug, Clone)]
pub(crate) struct Attachment {
    pub id: String,
    pub module: &'static str,
    pub parent: String,
    pub file_name: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
    pub link_url: Option<String>,
    pub created_time: String,
    pub owner: String,
}

/// A mass update job (the change is applied when it is scheduled).
#[derive(Debug, Clone)]
pub(crate) struct MassJob {
    pub id: String,
    pub module: &'static str,
    pub updated: usize,
    pub failed: usize,
    pub total: usize,
}

/// A module's records by id. Records are shared copy-on-write, so every mock of a process
/// starts from the same generated demo records without generating them again.
pub(crate) type Records = BTreeMap<Key, Arc<Record>>;

/// The records of every module, plus what hangs off them.
#[derive(Debug, Clone)]
pub(crate) struct Store {
    modules: Vec<Records>,
    loaded: Vec<bool>,
    plan: Option<Plan>,
    next_id: u64,
    pub bin: Vec<Binned>,
    pub tags: Vec<TagDef>,
    pub attachments: BTreeMap<Key, Attachment>,
    pub jobs: Vec<MassJob>,
    /// Records created, updated or deleted by successful write items.
    pub writes: u64,
}

impl Store {
    /// An empty store, or one that fills itself with demo records module by module on first use.
    pub fn new(plan: Option<Plan>) -> Self {
        let next_id = plan.as_ref().map_or(600_001, Plan::first_free_id);
        let tags = plan.as_ref().map(demo::tags).unwrap_or_default();
        Store {
            modules: SPECS.iter().map(|_| BTreeMap::new()).collect(),
            loaded: vec![false; SPECS.len()],
            plan,
            next_id,
            bin: Vec::new(),
            tags,
            attachments: BTreeMap::new(),
            jobs: Vec::new(),
            writes: 0,
        }
    }

    pub fn new_id(&mut self) -> String {
        let id = make_id(self.next_id);
        self.next_id += 1;
        id
    }

    /// Generates the demo records of every module not generated yet.
    pub fn ensure_all(&mut self) {
        for i in 0..SPECS.len() {
            self.ensure(i);
        }
    }

    fn ensure(&mut self, i: usize) {
        if self.loaded[i] {
            return;
        }
        self.loaded[i] = true;
        if let Some(plan) = &self.plan {
            self.modules[i] = demo::records_cached(plan, &SPECS[i]);
        }
    }

    /// The records of a module, in id order (call [`Store::ensure_all`] first).
    pub fn map(&self, module: &str) -> &Records {
        &self.modules[spec_of(module).index()]
    }

    /// The records of a module, in id order (call [`Store::ensure_all`] first).
    pub fn records(&self, module: &str) -> impl Iterator<Item = &Record> {
        self.map(module).values().map(|r| &**r)
    }

    pub fn map_mut(&mut self, module: &str) -> &mut Records {
        let i = spec_of(module).index();
        self.ensure(i);
        &mut self.modules[i]
    }

    pub fn get(&self, module: &str, id: &str) -> Option<&Record> {
        self.map(module).get(&Key::of(id)).map(|r| &**r)
    }

    /// A record to change (loads its module first; copies it if a mock shares it).
    pub fn get_mut(&mut self, module: &str, id: &str) -> Option<&mut Record> {
        self.map_mut(module)
            .get_mut(&Key::of(id))
            .map(Arc::make_mut)
    }

    /// Removes a territory from every record that has it.
    pub fn drop_territory(&mut self, territory: &str) {
        for m in crate::org::TERRITORY_MODULES {
            for r in self.map_mut(m).values_mut() {
                if r.territories.iter().any(|a| a.territory == territory) {
                    Arc::make_mut(r)
                        .territories
                        .retain(|a| a.territory != territory);
                }
            }
        }
    }

    pub fn insert(&mut self, rec: Record) {
        self.map_mut(rec.module)
            .insert(Key::of(&rec.id), Arc::new(rec));
    }

    pub fn remove(&mut self, module: &str, id: &str) -> Option<Record> {
        self.map_mut(module)
            .remove(&Key::of(id))
            .map(Arc::unwrap_or_clone)
    }

    /// The first record of `module` whose `field` equals `value` (strings compare
    /// case-insensitively, ignoring surrounding spaces).
    pub fn find_by(&self, module: &str, field: &str, value: &Value) -> Option<&Record> {
        self.records(module)
            .find(|r| r.fields.get(field).is_some_and(|v| same_value(v, value)))
    }

    /// The display name of a record.
    pub fn display_name(&self, module: &str, id: &str) -> Value {
        match self.get(module, id) {
            Some(r) => json!(display_of(spec_of(module), &r.fields)),
            None => Value::Null,
        }
    }

    pub fn tag_by_name(&self, name: &str) -> Option<&TagDef> {
        self.tags
            .iter()
            .find(|t| t.name.eq_ignore_ascii_case(name.trim()))
    }
}

/// Whether two field values are the same for duplicate checks.
pub(crate) fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(a), Value::String(b)) => a.trim().eq_ignore_ascii_case(b.trim()),
        (Value::Null, _) | (_, Value::Null) => false,
        (a, b) => a == b,
    }
}

/// A record's display name from its fields.
pub(crate) fn display_of(spec: &Spec, fields: &Map<String, Value>) -> String {
    let parts: Vec<&str> = spec
        .display
        .iter()
        .filter_map(|f| fields.get(*f).and_then(Value::as_str))
        .filter(|s| !s.is_empty())
        .collect();
    if parts.is_empty() && spec.name == "Notes" {
        return fields
            .get("Note_Content")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .chars()
            .take(50)
            .collect();
    }
    parts.join(" ")
}

/// An id given as a JSON string or number, or inside `{"id": ...}`.
pub(crate) fn id_value(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        Value::Object(o) => id_value(o.get("id")),
        _ => None,
    }
}

/// The external field named by `X-EXTERNAL: {Module}.{Field}` for `module`, if any.
pub(crate) fn external_field(req: &Request, module: &str) -> Option<String> {
    req.header("x-external")?.split(',').find_map(|entry| {
        let (m, f) = entry.trim().split_once('.')?;
        (m.eq_ignore_ascii_case(module) && !f.is_empty() && !f.contains('.')).then(|| f.to_owned())
    })
}

impl Org {
    /// `{"name","id"}` of a user (the `Created_By` shape of write answers).
    pub(crate) fn user_name_id(&self, id: &str) -> Value {
        match self.user(id) {
            Some(u) => json!({"name": u.full_name(), "id": u.id}),
            None => json!({"name": Value::Null, "id": id}),
        }
    }

    /// Resolves a record id given in the path, honouring `X-EXTERNAL`.
    pub(crate) fn path_record(&self, req: &Request, module: &str, segment: &str) -> Option<String> {
        match external_field(req, module) {
            Some(field) => self
                .records
                .find_by(module, &field, &json!(segment))
                .map(|r| r.id.clone()),
            None => self.records.get(module, segment).map(|r| r.id.clone()),
        }
    }

    /// The dispatcher for `/crm/v8/{module}/...` of a module in [`SPECS`].
    pub(crate) fn route_records(&mut self, req: &Request, tail: &[&str]) -> Routed {
        use Routed::{Handled, Rejected, Unserved};
        let Some(spec) = tail.first().and_then(|m| spec(m)) else {
            return Unserved(invalid_module());
        };
        self.records.ensure_all();
        let method = req.method.as_str();
        match (method, &tail[1..]) {
            ("GET", []) => Handled(self.list_records(req, spec)),
            ("POST", []) => Handled(self.insert_records(req, spec, None)),
            ("PUT", []) => Handled(self.update_records(req, spec, None)),
            ("DELETE", []) => Handled(self.delete_records(req, spec, None)),
            (_, []) => Rejected(invalid_method()),
            ("POST", ["upsert"]) => Handled(self.upsert_records(req, spec)),
            ("GET", ["deleted"]) => Handled(self.deleted_records(req, spec)),
            ("GET", ["search"]) => Handled(self.search_records(req, spec)),
            ("GET", ["actions", "count"]) => Handled(self.count_records(req, spec)),
            ("POST", ["actions", action @ ("add_tags" | "remove_tags")]) => {
                Handled(self.record_tags(req, spec, None, *action == "add_tags"))
            }
            ("POST" | "GET", ["actions", "mass_update"]) => Handled(self.mass_update(req, spec)),
            (_, ["upsert"] | ["deleted"] | ["search"])
            | (_, ["actions", "count" | "add_tags" | "remove_tags" | "mass_update"]) => {
                Rejected(invalid_method())
            }
            // Other module actions (mass convert, mass delete, ...) are not modelled: a fixture
            // may answer.
            (_, ["actions", _]) => Unserved(invalid_url()),
            ("POST", [id, "actions", "convert"]) if spec.name == "Leads" => {
                Handled(self.convert_lead(req, id))
            }
            ("POST", [id, "actions", action @ ("add_tags" | "remove_tags")]) => {
                Handled(self.record_tags(req, spec, Some(id), *action == "add_tags"))
            }
            (_, [_, "actions", ..]) => Unserved(invalid_url()),
            ("GET", [id]) => match self.get_record(req, spec, id) {
                Some(resp) => Handled(resp),
                // A fixture may know it; else Zoho's empty answer.
                None => Unserved(crate::util::Response::no_content()),
            },
            ("PUT", [id]) => Handled(self.update_records(req, spec, Some(id))),
            ("DELETE", [id]) => Handled(self.delete_records(req, spec, Some(id))),
            (_, [_]) => Rejected(invalid_method()),
            (_, [id, related, rest @ ..]) if rest.len() <= 1 => {
                self.route_related(req, spec, id, related, rest.first().copied())
            }
            _ => Unserved(invalid_url()),
        }
    }

    /// `POST /crm/v8/coql`.
    pub(crate) fn coql(&mut self, req: &Request) -> crate::util::Response {
        self.records.ensure_all();
        let store = &self.records;
        let records_of = |module: &str| -> Option<Vec<crate::query::Record>> {
            let spec = spec(module)?;
            Some(store.records(spec.name).map(|r| r.fields.clone()).collect())
        };
        crate::query::coql(&req.body, &records_of)
    }

    /// Stores a record as given (the `put_raw_record` test hook); returns its id.
    pub(crate) fn put_raw_record(&mut self, module: &str, record: Value) -> Result<String, String> {
        let spec = spec(module).ok_or_else(|| format!("unknown module {module:?}"))?;
        let Value::Object(mut fields) = record else {
            return Err("a record must be a JSON object".into());
        };
        self.records.ensure_all();
        let id = match id_value(fields.get("id")) {
            Some(id) => id,
            None => self.records.new_id(),
        };
        fields.insert("id".into(), json!(id));
        self.records.insert(Record {
            module: spec.name,
            id: id.clone(),
            fields,
            territories: Vec::new(),
        });
        Ok(id)
    }
}
