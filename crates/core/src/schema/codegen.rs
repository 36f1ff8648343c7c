//! [`generate`]: the Rust source of typed record structs from [`ModuleFields`].
//!
//! The output is items only (no inner attributes), so it can be a module file of its own
//! (`mod zoho;`) or be `include!`d into one from `OUT_DIR`. Every name, label and value that
//! comes from the org is sanitised into an identifier, a `{:?}` string literal, or a doc line
//! with no control characters: metadata can never inject code.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;

use super::{FieldMeta, ModuleFields, PicklistValue, SchemaError, ValueKind};

/// Options of [`generate`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CodegenOptions {
    /// The path of `zohocrm-core` in the crate that compiles the output: `::zohocrm_core`
    /// (default), or e.g. `::zohocrm_ureq::zohocrm_core` when only a transport crate is a
    /// dependency.
    pub core_path: String,
    /// Struct names by module API name; a module not listed gets its API name in CamelCase,
    /// made singular (`Leads` → `Lead`, `Price_Books` → `PriceBook`, `Properties` → `Property`).
    pub struct_names: BTreeMap<String, String>,
    /// A line saying how the file was made (e.g. the command), put in the header comment.
    pub generated_by: Option<String>,
}

impl Default for CodegenOptions {
    fn default() -> Self {
        CodegenOptions {
            core_path: "::zohocrm_core".into(),
            struct_names: BTreeMap::new(),
            generated_by: None,
        }
    }
}

impl CodegenOptions {
    /// Sets [`core_path`](Self::core_path).
    #[must_use]
    pub fn core_path(mut self, path: impl Into<String>) -> Self {
        self.core_path = path.into();
        self
    }

    /// Names the struct of `module`.
    #[must_use]
    pub fn struct_name(mut self, module: impl Into<String>, name: impl Into<String>) -> Self {
        self.struct_names.insert(module.into(), name.into());
        self
    }

    /// Sets [`generated_by`](Self::generated_by).
    #[must_use]
    pub fn generated_by(mut self, how: impl Into<String>) -> Self {
        self.generated_by = Some(how.into());
        self
    }
}

/// Names the generated items must not take: the prelude (used unqualified by the output) and
/// keywords.
const RESERVED_TYPES: &[&str] = &[
    "Option",
    "Some",
    "None",
    "Result",
    "Ok",
    "Err",
    "String",
    "Vec",
    "Box",
    "ToString",
    "ToOwned",
    "Clone",
    "Copy",
    "Default",
    "Debug",
    "Send",
    "Sync",
    "Sized",
    "Drop",
    "Fn",
    "FnMut",
    "FnOnce",
    "Iterator",
    "IntoIterator",
    "Extend",
    "From",
    "Into",
    "TryFrom",
    "TryInto",
    "AsRef",
    "AsMut",
    "PartialEq",
    "Eq",
    "PartialOrd",
    "Ord",
    "Hash",
    "Self",
    "Unpin",
    "DoubleEndedIterator",
    "ExactSizeIterator",
];

const KEYWORDS: &[&str] = &[
    "as", "break", "const", "continue", "crate", "else", "enum", "extern", "false", "fn", "for",
    "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return",
    "self", "Self", "static", "struct", "super", "trait", "true", "type", "unsafe", "use", "where",
    "while", "async", "await", "dyn", "abstract", "become", "box", "do", "final", "macro",
    "override", "priv", "typeof", "unsized", "virtual", "yield", "try", "gen", "union",
];

/// Hands out names, each once.
#[derive(Default)]
struct Names(HashSet<String>);

impl Names {
    fn with(reserved: &[&str]) -> Names {
        Names(reserved.iter().map(|s| (*s).to_owned()).collect())
    }

    /// `base`, or `base` + `suffix`, or that with a number, whichever is free first.
    fn claim(&mut self, base: &str, suffix: &str) -> String {
        let plain = [base.to_owned(), format!("{base}{suffix}")];
        let numbered = (2..).map(|n| format!("{base}{suffix}{n}"));
        // Ends: the set is finite, so some number is free.
        let name = plain
            .into_iter()
            .chain(numbered)
            .find(|c| !self.0.contains(c))
            .unwrap_or_default();
        self.0.insert(name.clone());
        name
    }
}

/// Words of a name: split on anything that is not an ASCII letter or digit, and between a
/// lower-case letter or digit and an upper-case one. Non-ASCII letters are dropped.
fn words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            if c.is_ascii_uppercase() && prev_lower && !word.is_empty() {
                out.push(std::mem::take(&mut word));
            }
            prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
            word.push(c);
        } else if c.is_ascii() {
            if !word.is_empty() {
                out.push(std::mem::take(&mut word));
            }
            prev_lower = false;
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

/// `UpperCamelCase` of `name` (an acronym word becomes `Crm`), or `fallback` when nothing is
/// left; a leading digit gets `prefix`.
fn camel(name: &str, fallback: &str, prefix: &str) -> String {
    let mut out = String::new();
    for w in words(name) {
        let all_upper = w.chars().all(|c| !c.is_ascii_lowercase());
        let mut chars = w.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            let rest: String = chars.collect();
            out.push_str(&if all_upper {
                rest.to_ascii_lowercase()
            } else {
                rest
            });
        }
    }
    if out.is_empty() {
        return fallback.to_owned();
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert_str(0, prefix);
    }
    out
}

/// `snake_case` of an API name; keywords get a trailing `_`, a leading digit `f_`.
fn snake(name: &str, fallback: &str) -> String {
    let mut out = words(name)
        .iter()
        .map(|w| w.to_ascii_lowercase())
        .collect::<Vec<_>>()
        .join("_");
    if out.is_empty() {
        out = fallback.to_owned();
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert_str(0, "f_");
    }
    if KEYWORDS.contains(&out.as_str()) {
        out.push('_');
    }
    out
}

/// A module's default struct name: CamelCase, made singular.
fn struct_name(module: &str) -> String {
    let name = camel(module, "Module", "M");
    let lower = name.to_ascii_lowercase();
    let cut = |n: usize, add: &str| format!("{}{add}", &name[..name.len() - n]);
    if lower.ends_with("ies") && name.len() > 3 {
        cut(3, "y")
    } else if ["sses", "xes", "ches", "shes"]
        .iter()
        .any(|s| lower.ends_with(s))
    {
        cut(2, "")
    } else if lower.ends_with('s')
        && !lower.ends_with("ss")
        && !lower.ends_with("us")
        && name.len() > 1
    {
        cut(1, "")
    } else {
        name
    }
}

/// A doc-comment-safe text: control characters become spaces, backticks quotes, at most 200
/// characters.
fn doc_text(s: &str) -> String {
    let cleaned: String = s
        .chars()
        .map(|c| match c {
            '`' => '\'',
            c if c.is_control() => ' ',
            c => c,
        })
        .take(200)
        .collect();
    cleaned.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A Rust string literal of `s`.
fn lit(s: &str) -> String {
    format!("{s:?}")
}

fn is_rust_path(p: &str) -> bool {
    let body = p.strip_prefix("::").unwrap_or(p);
    !body.is_empty()
        && body.split("::").all(|seg| {
            !seg.is_empty()
                && seg.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                && seg.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
}

/// One picklist enum to emit.
struct PickEnum {
    name: String,
    values: Vec<PicklistValue>,
    /// `Module.Field` of every field using it.
    used_by: Vec<String>,
}

/// One struct to emit.
struct StructPlan<'a> {
    name: String,
    module: &'a ModuleFields,
    /// Field, its Rust field name, its Rust type.
    fields: Vec<(&'a FieldMeta, String, String)>,
}

/// Generates the Rust source of one struct per module of `modules`, typed by the org's fields.
///
/// Each struct (`Leads` → `Lead`) holds `id: Option<String>` and one `Option` per field, typed
/// by `data_type`:
///
/// | `data_type` | Rust type |
/// | --- | --- |
/// | text, textarea, email, phone, website, autonumber | `String` |
/// | picklist | an enum of the org's values plus `Unknown(String)` |
/// | multiselectpicklist | `Vec` of that enum |
/// | integer, bigint | `i64` |
/// | double | `f64` |
/// | currency, decimal, percent | [`Decimal`](crate::Decimal) (exact) |
/// | boolean | `bool` |
/// | date / datetime | `time::Date` / `time::OffsetDateTime` (offset kept) |
/// | lookup, ownerlookup, userlookup, multi_module_lookup | [`Lookup`](crate::Lookup) |
/// | subform | `Vec` of the subform's struct when its module is among `modules`, else `Vec<Record>` |
/// | multiselectlookup, multiuserlookup | `Vec<Record>` (the linking records) |
/// | fileupload, imageupload | `Vec<`[`FileEntry`](crate::FileEntry)`>` |
/// | formula, rollup_summary | the type of their `return_type`, read-only |
/// | anything else, and text fields sent as JSON arrays (`Tag`) | `serde_json::Value` |
///
/// Reading is lenient and loses nothing: numbers may come as strings, `true` as `"true"`, a
/// lookup as a bare id; a value that fits none of its type's forms stays in the struct's
/// `extra` (a [`Record`](crate::Record), exact text) and `undecoded()` names it. Keys the struct
/// does not model stay in `extra` too. Writing sends the fields that are `Some` (never the
/// read-only ones) and then `extra`, so a record read and written back is sent as it came,
/// minus its read-only fields. Picklist enums are shared by fields with the same API name and
/// the same values (`Lead_Source` of Leads and Deals).
pub fn generate(modules: &[ModuleFields], options: &CodegenOptions) -> Result<String, SchemaError> {
    let core = options.core_path.trim();
    if !is_rust_path(core) {
        return Err(SchemaError::Option(format!(
            "core path `{}` is not a Rust path",
            doc_text(core)
        )));
    }
    let rt = format!("{core}::schema::support");
    let mut type_names = Names::with(RESERVED_TYPES);
    for k in KEYWORDS {
        type_names.0.insert((*k).to_owned());
    }

    // Struct names first: they are what users type most.
    let mut structs: Vec<StructPlan> = Vec::new();
    let mut seen_modules: HashSet<&str> = HashSet::new();
    for m in modules {
        if !seen_modules.insert(m.module.as_str()) {
            continue;
        }
        let wanted = match options.struct_names.get(&m.module) {
            Some(name) => {
                let clean = camel(name, "Module", "M");
                if &clean != name {
                    return Err(SchemaError::Option(format!(
                        "struct name `{}` for `{}` is not an UpperCamelCase identifier",
                        doc_text(name),
                        doc_text(&m.module)
                    )));
                }
                clean
            }
            None => struct_name(&m.module),
        };
        structs.push(StructPlan {
            name: type_names.claim(&wanted, "Record"),
            module: m,
            fields: Vec::new(),
        });
    }
    let row_struct: BTreeMap<String, String> = structs
        .iter()
        .map(|s| (s.module.module.clone(), s.name.clone()))
        .collect();

    // Picklist enums: one per (API name, values); the field name alone when that is unique.
    let mut value_sets: BTreeMap<&str, Vec<&[PicklistValue]>> = BTreeMap::new();
    for s in &structs {
        for f in &s.module.fields {
            if matches!(f.value_kind(), ValueKind::Choice | ValueKind::Choices) {
                let sets = value_sets.entry(f.api_name.as_str()).or_default();
                if !sets.contains(&f.picklist.as_slice()) {
                    sets.push(&f.picklist);
                }
            }
        }
    }
    let mut enums: Vec<PickEnum> = Vec::new();
    for s in &mut structs {
        let mut field_names = Names::with(&["id", "extra"]);
        for f in &s.module.fields {
            if f.api_name == "id" {
                continue;
            }
            let rust_name = field_names.claim(&snake(&f.api_name, "field"), "_");
            let kind = f.value_kind();
            let ty = match &kind {
                ValueKind::Choice | ValueKind::Choices => {
                    let used = format!("{}.{}", s.module.module, f.api_name);
                    let shared = value_sets.get(f.api_name.as_str()).map_or(1, Vec::len) == 1;
                    let existing = enums.iter_mut().find(|e| {
                        e.values == f.picklist
                            && e.used_by.iter().any(|u| {
                                u.rsplit_once('.').map(|(_, field)| field) == Some(&f.api_name)
                            })
                    });
                    let name = match existing {
                        Some(e) => {
                            e.used_by.push(used);
                            e.name.clone()
                        }
                        None => {
                            let field = camel(&f.api_name, "Picklist", "P");
                            let base = if shared {
                                field
                            } else {
                                format!("{}{field}", s.name)
                            };
                            let name = type_names.claim(&base, "Choice");
                            enums.push(PickEnum {
                                name: name.clone(),
                                values: f.picklist.clone(),
                                used_by: vec![used],
                            });
                            name
                        }
                    };
                    if kind == ValueKind::Choices {
                        format!("Vec<{name}>")
                    } else {
                        name
                    }
                }
                other => rust_type(other, core, &row_struct),
            };
            s.fields.push((f, rust_name, ty));
        }
    }

    let mut out = String::new();
    header(&mut out, modules, options);
    for s in &structs {
        emit_struct(&mut out, s, core, &rt);
    }
    for e in &enums {
        emit_enum(&mut out, e, &rt);
    }
    Ok(out)
}

fn rust_type(kind: &ValueKind, core: &str, row_struct: &BTreeMap<String, String>) -> String {
    match kind {
        ValueKind::Text => "String".into(),
        ValueKind::Integer => "i64".into(),
        ValueKind::Double => "f64".into(),
        ValueKind::Decimal => format!("{core}::Decimal"),
        ValueKind::Boolean => "bool".into(),
        ValueKind::Date => format!("{core}::time::Date"),
        ValueKind::DateTime => format!("{core}::time::OffsetDateTime"),
        ValueKind::Lookup => format!("{core}::Lookup"),
        ValueKind::Rows(Some(module)) if row_struct.contains_key(module) => {
            format!("Vec<{}>", row_struct[module])
        }
        ValueKind::Rows(_) | ValueKind::LinkRows => format!("Vec<{core}::Record>"),
        ValueKind::Files => format!("Vec<{core}::FileEntry>"),
        // Choices are typed by the caller; anything else is JSON.
        ValueKind::Choice | ValueKind::Choices | ValueKind::Json => {
            format!("{core}::schema::support::serde_json::Value")
        }
    }
}

fn header(out: &mut String, modules: &[ModuleFields], options: &CodegenOptions) {
    out.push_str("// @generated from the org's field metadata (GET /crm/v8/settings/fields) — do not edit.\n");
    if let Some(how) = &options.generated_by {
        let _ = writeln!(out, "// Generated by: {}", doc_text(how));
    }
    out.push_str("// Regenerate when the org's fields change; values added since are kept (`Unknown`, `extra`).\n");
    let list: Vec<String> = modules
        .iter()
        .map(|m| format!("{} ({} fields)", doc_text(&m.module), m.fields.len()))
        .collect();
    let _ = writeln!(out, "// Modules: {}.", list.join(", "));
}

fn field_doc(f: &FieldMeta) -> String {
    let mut doc = format!("`{}`", doc_text(&f.api_name));
    if let Some(label) = &f.label {
        let _ = write!(doc, " ({})", doc_text(label));
    }
    let _ = write!(doc, ": {}", doc_text(f.data_type.as_str()));
    if let Some(rt) = &f.return_type {
        let _ = write!(doc, " of {}", doc_text(rt.as_str()));
    }
    match f.value_kind() {
        ValueKind::Text => {
            if let Some(n) = f.length {
                let _ = write!(doc, ", at most {n} characters");
            }
        }
        ValueKind::Lookup => {
            if let Some(m) = &f.lookup_module {
                let _ = write!(doc, " to {}", doc_text(m));
            }
        }
        ValueKind::Rows(Some(m)) => {
            let _ = write!(doc, " of {}", doc_text(&m));
        }
        ValueKind::Json => {
            if let Some(json) = &f.json_type {
                let _ = write!(doc, " (JSON: {})", doc_text(json));
            }
        }
        _ => {}
    }
    if f.mandatory {
        doc.push_str(", mandatory");
    }
    if f.read_only {
        doc.push_str(", read-only (never written)");
    }
    doc.push('.');
    doc
}

fn emit_struct(out: &mut String, s: &StructPlan, core: &str, rt: &str) {
    let module = doc_text(&s.module.module);
    let name = &s.name;
    let _ = write!(
        out,
        "
/// A record of `{module}`, typed by the org's fields.
///
/// Every field is an `Option`: a list may ask for some fields only, and Zoho sends `null` for
/// empty ones. `extra` keeps the rest as Zoho sent it (fields added since, `$` keys, `null`s,
/// values that did not fit their type: see [`undecoded`](Self::undecoded)) and is written back
/// unchanged; read-only fields are never written.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct {name} {{
    /// `id`: the record id.
    pub id: Option<String>,
"
    );
    for (f, rust_name, ty) in &s.fields {
        let _ = writeln!(out, "    /// {}", field_doc(f));
        let _ = writeln!(out, "    pub {rust_name}: Option<{ty}>,");
    }
    let _ = write!(
        out,
        "    /// Everything else, as Zoho sent it.
    pub extra: {core}::Record,
}}

impl {name} {{
    /// The module's API name.
    pub const MODULE: &'static str = {module_lit};
    /// The API names of the fields above, in the org's order.
    pub const FIELDS: &'static [&'static str] = &[",
        module_lit = lit(&s.module.module),
    );
    write_list(out, s.fields.iter().map(|(f, _, _)| f.api_name.as_str()));
    out.push_str(
        "];
    /// The fields that are read but never written.
    pub const READ_ONLY: &'static [&'static str] = &[",
    );
    write_list(
        out,
        s.fields
            .iter()
            .filter(|(f, _, _)| f.read_only)
            .map(|(f, _, _)| f.api_name.as_str()),
    );
    let _ = write!(
        out,
        "];

    /// The typed view of a record; a value that does not fit its field's type stays in
    /// `extra`.
    pub fn from_record(mut record: {core}::Record) -> Self {{
        {name} {{
            id: {rt}::take(&mut record, \"id\"),
"
    );
    for (f, rust_name, _) in &s.fields {
        let _ = writeln!(
            out,
            "            {rust_name}: {rt}::take(&mut record, {}),",
            lit(&f.api_name)
        );
    }
    let _ = write!(
        out,
        "            extra: record,
        }}
    }}

    /// The modelled fields whose value did not fit their type (kept in `extra`).
    pub fn undecoded(&self) -> Vec<&'static str> {{
        {rt}::undecoded(&self.extra, Self::FIELDS)
    }}
}}

impl {rt}::serde::Serialize for {name} {{
    fn serialize<S: {rt}::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {{
        let mut w = {rt}::RecordWriter::new(serializer, &self.extra, Self::READ_ONLY)?;
        w.field(\"id\", &self.id)?;
"
    );
    for (f, rust_name, _) in &s.fields {
        if f.read_only {
            continue;
        }
        let _ = writeln!(
            out,
            "        w.field({}, &self.{rust_name})?;",
            lit(&f.api_name)
        );
    }
    let _ = write!(
        out,
        "        w.end()
    }}
}}

impl<'de> {rt}::serde::Deserialize<'de> for {name} {{
    fn deserialize<D: {rt}::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {{
        {rt}::deserialize_record(deserializer).map(Self::from_record)
    }}
}}

impl {rt}::ModuleRecord for {name} {{
    const MODULE: &'static str = {name}::MODULE;
    const FIELDS: &'static [&'static str] = {name}::FIELDS;
    const READ_ONLY: &'static [&'static str] = {name}::READ_ONLY;

    fn from_record(record: {core}::Record) -> Self {{
        {name}::from_record(record)
    }}

    fn undecoded(&self) -> Vec<&'static str> {{
        {name}::undecoded(self)
    }}
}}

impl {rt}::FieldValue for {name} {{
    fn from_json(raw: &str) -> Result<Self, String> {{
        {rt}::record_from_json(raw).map(Self::from_record)
    }}

    fn write<S: {rt}::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {{
        {rt}::serde::Serialize::serialize(self, serializer)
    }}
}}
"
    );
}

/// Writes `"a", "b"` (wrapped, one per line when long).
fn write_list<'a>(out: &mut String, items: impl Iterator<Item = &'a str>) {
    let items: Vec<String> = items.map(lit).collect();
    if items.is_empty() {
        return;
    }
    out.push('\n');
    for item in items {
        let _ = writeln!(out, "        {item},");
    }
    out.push_str("    ");
}

fn emit_enum(out: &mut String, e: &PickEnum, rt: &str) {
    let name = &e.name;
    let mut variants = Names::with(&["Unknown", "Self"]);
    let named: Vec<(String, &PicklistValue)> = e
        .values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let base = camel(&v.actual_value, &format!("Value{}", i + 1), "V");
            (variants.claim(&base, "Value"), v)
        })
        .collect();
    let used_by: Vec<String> = e
        .used_by
        .iter()
        .map(|u| format!("`{}`", doc_text(u)))
        .collect();
    let _ = write!(
        out,
        "
/// The values of the picklist {} as the org defines them; `Unknown` keeps any other value
/// (added since, or sent through the API) and writes it back as it came.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum {name} {{
",
        used_by.join(", ")
    );
    for (variant, v) in &named {
        if v.display_value != v.actual_value {
            let _ = writeln!(
                out,
                "    /// `{}` (shown as `{}`).",
                doc_text(&v.actual_value),
                doc_text(&v.display_value)
            );
        } else {
            let _ = writeln!(out, "    /// `{}`.", doc_text(&v.actual_value));
        }
        let _ = writeln!(out, "    {variant},");
    }
    let _ = write!(
        out,
        "    /// A value the org did not list when this code was generated.
    Unknown(String),
}}

impl {name} {{
    /// Every value the org defines, in its order.
    pub const VALUES: &'static [&'static str] = &["
    );
    write_list(out, named.iter().map(|(_, v)| v.actual_value.as_str()));
    let _ = write!(
        out,
        "];
}}

impl {rt}::Picklist for {name} {{
    fn from_value(value: &str) -> Self {{
        match value {{
"
    );
    for (variant, v) in &named {
        let _ = writeln!(
            out,
            "            {} => {name}::{variant},",
            lit(&v.actual_value)
        );
    }
    let _ = write!(
        out,
        "            other => {name}::Unknown(other.to_owned()),
        }}
    }}

    fn as_str(&self) -> &str {{
        match self {{
"
    );
    for (variant, v) in &named {
        let _ = writeln!(
            out,
            "            {name}::{variant} => {},",
            lit(&v.actual_value)
        );
    }
    let _ = write!(
        out,
        "            {name}::Unknown(value) => value,
        }}
    }}
}}

impl ::std::fmt::Display for {name} {{
    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {{
        f.write_str({rt}::Picklist::as_str(self))
    }}
}}

impl {rt}::FieldValue for {name} {{
    fn from_json(raw: &str) -> Result<Self, String> {{
        {rt}::picklist_from_json(raw)
    }}

    fn write<S: {rt}::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {{
        serializer.serialize_str({rt}::Picklist::as_str(self))
    }}
}}

impl {rt}::serde::Serialize for {name} {{
    fn serialize<S: {rt}::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {{
        serializer.serialize_str({rt}::Picklist::as_str(self))
    }}
}}

impl<'de> {rt}::serde::Deserialize<'de> for {name} {{
    fn deserialize<D: {rt}::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {{
        {rt}::deserialize_picklist(deserializer)
    }}
}}
"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers() {
        assert_eq!(snake("Last_Name", "f"), "last_name");
        assert_eq!(snake("No_of_Employees", "f"), "no_of_employees");
        assert_eq!(snake("Locked__s", "f"), "locked_s");
        assert_eq!(snake("AccountName", "f"), "account_name");
        assert_eq!(snake("Type", "f"), "type_");
        assert_eq!(snake("1st_Call", "f"), "f_1st_call");
        assert_eq!(snake("日本", "field"), "field");
        assert_eq!(
            camel("Attempted to Contact", "V", "V"),
            "AttemptedToContact"
        );
        assert_eq!(camel("CRM", "V", "V"), "Crm");
        assert_eq!(
            camel("ERP (Enterprise Resource Planning)", "V", "V"),
            "ErpEnterpriseResourcePlanning"
        );
        assert_eq!(
            camel("Proposal/Price Quote", "V", "V"),
            "ProposalPriceQuote"
        );
        assert_eq!(camel("1-10", "V", "V"), "V110");
        assert_eq!(camel("García", "V", "V"), "Garca");
        assert_eq!(camel("!!", "Value3", "V"), "Value3");
        assert_eq!(struct_name("Leads"), "Lead");
        assert_eq!(struct_name("Price_Books"), "PriceBook");
        assert_eq!(struct_name("Properties"), "Property");
        assert_eq!(struct_name("Addresses"), "Address");
        assert_eq!(struct_name("Cases"), "Case");
        assert_eq!(struct_name("Status"), "Status");
        assert_eq!(struct_name("Subform_1"), "Subform1");
        assert!(is_rust_path("::zohocrm_ureq::zohocrm_core"));
        assert!(is_rust_path("zohocrm_core"));
        assert!(!is_rust_path("zohocrm_core; fn x(){}"));
        assert!(!is_rust_path("::"));
        let mut names = Names::with(&["Option"]);
        assert_eq!(names.claim("Option", "Choice"), "OptionChoice");
        assert_eq!(names.claim("Option", "Choice"), "OptionChoice2");
        assert_eq!(doc_text("a\n`b`\u{7}  c"), "a 'b' c");
    }
}
