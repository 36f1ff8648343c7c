//! Know the org before you call: an org's field metadata (`GET /crm/v8/settings/fields`) as
//! data ([`ModuleFields`]), the Rust source of typed structs generated from it ([`generate`],
//! usable from a `build.rs`), and an opt-in, bounded cache of it for checking records before
//! a write ([`FieldCache`]). Pure: nothing here sends a request or reads a clock.
//!
//! Records are org-specific (custom fields, the org's own picklist values), so no SDK can ship
//! a `Lead` struct that fits every org. Generate one from your org's metadata instead:
//!
//! ```
//! use zohocrm_core::schema::{generate, CodegenOptions, ModuleFields};
//!
//! // The body of `GET /crm/v8/settings/fields?module=Leads` (trimmed).
//! let body = r#"{"fields": [
//!   {"api_name": "Last_Name", "data_type": "text", "length": 80, "system_mandatory": true},
//!   {"api_name": "Annual_Revenue", "data_type": "currency"},
//!   {"api_name": "Lead_Status", "data_type": "picklist", "pick_list_values": [
//!     {"display_value": "-None-", "actual_value": "-None-"},
//!     {"display_value": "Contacted", "actual_value": "Contacted"}]},
//!   {"api_name": "Created_Time", "data_type": "datetime", "read_only": true}
//! ]}"#;
//! let leads = ModuleFields::from_json("Leads", body).unwrap();
//! let source = generate(&[leads], &CodegenOptions::default()).unwrap();
//! assert!(source.contains("pub struct Lead {"));
//! assert!(source.contains("pub annual_revenue: Option<::zohocrm_core::Decimal>,"));
//! assert!(source.contains("pub enum LeadStatus {"));
//! ```
//!
//! The generated structs work wherever a `serde` type does: `Typed<ListRecords, Lead>` pages,
//! `record.deserialize::<Lead>()`, `Record::from_serialize(&lead)` for inserts and updates, and
//! bulk files (`CsvZip::records()` then `deserialize`). See [`generate`] for what they hold.

mod cache;
mod codegen;
pub mod support;

pub use cache::{FieldCache, Violation, WriteMode};
pub use codegen::{generate, CodegenOptions};

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::field_value::FieldValue;
use crate::record::Record;

/// A struct made by [`generate`] for one module: what generic code (a helper listing any
/// module, a validation step) needs to know about it.
///
/// ```
/// use zohocrm_core::records::{ListRecords, Typed};
/// use zohocrm_core::schema::ModuleRecord;
///
/// /// The first page of any generated module, typed.
/// fn first_page<T: ModuleRecord>() -> Typed<ListRecords, T> {
///     // `FIELDS` can be longer than the 50 a list call takes: take what you need.
///     Typed::new(ListRecords::new(T::MODULE, T::FIELDS.iter().take(50).copied()))
/// }
/// ```
pub trait ModuleRecord: Serialize + DeserializeOwned + FieldValue {
    /// The module's API name.
    const MODULE: &'static str;
    /// The API names of the modelled fields, in the org's order (`id` not included).
    const FIELDS: &'static [&'static str];
    /// The fields that are read but never written.
    const READ_ONLY: &'static [&'static str];

    /// The typed view of a record; a value that does not fit its field's type stays in
    /// `extra`.
    fn from_record(record: Record) -> Self;

    /// The modelled fields whose value did not fit their type (kept in `extra`).
    fn undecoded(&self) -> Vec<&'static str>;
}

/// Why field metadata or generator options were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SchemaError {
    /// The metadata is not JSON, or not a `fields` list.
    #[error("field metadata of `{module}`: {reason}")]
    Metadata {
        /// The module the metadata was given for.
        module: String,
        /// What was wrong.
        reason: String,
    },
    /// A generator option is invalid.
    #[error("invalid option: {0}")]
    Option(String),
}

/// A field's `data_type` in `settings/fields`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DataType {
    /// `text`.
    Text,
    /// `textarea` (plain or rich text).
    TextArea,
    /// `email`.
    Email,
    /// `phone`.
    Phone,
    /// `website`.
    Website,
    /// `picklist`.
    Picklist,
    /// `multiselectpicklist`.
    MultiSelectPicklist,
    /// `date` (`yyyy-MM-dd`).
    Date,
    /// `datetime` (with an offset).
    DateTime,
    /// `integer`.
    Integer,
    /// `bigint` (also `long`).
    BigInt,
    /// `double`.
    Double,
    /// `currency`.
    Currency,
    /// `decimal`.
    Decimal,
    /// `percent`.
    Percent,
    /// `boolean`.
    Boolean,
    /// `lookup`.
    Lookup,
    /// `ownerlookup`.
    OwnerLookup,
    /// `userlookup`.
    UserLookup,
    /// `multi_module_lookup`.
    MultiModuleLookup,
    /// `multiselectlookup`.
    MultiSelectLookup,
    /// `multiuserlookup`.
    MultiUserLookup,
    /// `subform`.
    Subform,
    /// `fileupload`.
    FileUpload,
    /// `imageupload`.
    ImageUpload,
    /// `formula` (read-only; its value has the formula's `return_type`).
    Formula,
    /// `rollup_summary` (read-only; its value has the rollup's `return_type`).
    RollupSummary,
    /// `autonumber` (read-only text).
    AutoNumber,
    /// Any other type, as Zoho names it.
    Other(String),
}

impl DataType {
    /// The type named `name` (case-insensitive).
    pub fn parse(name: &str) -> DataType {
        match name.trim().to_ascii_lowercase().as_str() {
            "text" => DataType::Text,
            "textarea" => DataType::TextArea,
            "email" => DataType::Email,
            "phone" => DataType::Phone,
            "website" => DataType::Website,
            "picklist" => DataType::Picklist,
            "multiselectpicklist" => DataType::MultiSelectPicklist,
            "date" => DataType::Date,
            "datetime" => DataType::DateTime,
            "integer" => DataType::Integer,
            "bigint" | "long" => DataType::BigInt,
            "double" => DataType::Double,
            "currency" => DataType::Currency,
            "decimal" => DataType::Decimal,
            "percent" => DataType::Percent,
            "boolean" => DataType::Boolean,
            "lookup" => DataType::Lookup,
            "ownerlookup" => DataType::OwnerLookup,
            "userlookup" => DataType::UserLookup,
            "multi_module_lookup" => DataType::MultiModuleLookup,
            "multiselectlookup" => DataType::MultiSelectLookup,
            "multiuserlookup" => DataType::MultiUserLookup,
            "subform" => DataType::Subform,
            "fileupload" => DataType::FileUpload,
            "imageupload" => DataType::ImageUpload,
            "formula" => DataType::Formula,
            "rollup_summary" => DataType::RollupSummary,
            "autonumber" => DataType::AutoNumber,
            _ => DataType::Other(name.to_owned()),
        }
    }

    /// Zoho's name for the type.
    pub fn as_str(&self) -> &str {
        match self {
            DataType::Text => "text",
            DataType::TextArea => "textarea",
            DataType::Email => "email",
            DataType::Phone => "phone",
            DataType::Website => "website",
            DataType::Picklist => "picklist",
            DataType::MultiSelectPicklist => "multiselectpicklist",
            DataType::Date => "date",
            DataType::DateTime => "datetime",
            DataType::Integer => "integer",
            DataType::BigInt => "bigint",
            DataType::Double => "double",
            DataType::Currency => "currency",
            DataType::Decimal => "decimal",
            DataType::Percent => "percent",
            DataType::Boolean => "boolean",
            DataType::Lookup => "lookup",
            DataType::OwnerLookup => "ownerlookup",
            DataType::UserLookup => "userlookup",
            DataType::MultiModuleLookup => "multi_module_lookup",
            DataType::MultiSelectLookup => "multiselectlookup",
            DataType::MultiUserLookup => "multiuserlookup",
            DataType::Subform => "subform",
            DataType::FileUpload => "fileupload",
            DataType::ImageUpload => "imageupload",
            DataType::Formula => "formula",
            DataType::RollupSummary => "rollup_summary",
            DataType::AutoNumber => "autonumber",
            DataType::Other(name) => name,
        }
    }
}

/// What a field's values are, which decides their Rust type (see [`generate`]) and how
/// [`FieldCache`] checks them.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ValueKind {
    /// Text (`String`).
    Text,
    /// One picklist value (a generated enum, or [`Choice`](crate::Choice)).
    Choice,
    /// Multi-select picklist values (`Vec` of the enum).
    Choices,
    /// A whole number (`i64`).
    Integer,
    /// A floating-point number (`f64`).
    Double,
    /// An exact decimal ([`Decimal`](crate::Decimal)).
    Decimal,
    /// `bool`.
    Boolean,
    /// `time::Date`.
    Date,
    /// `time::OffsetDateTime`.
    DateTime,
    /// A reference to a record or a user ([`Lookup`](crate::Lookup)).
    Lookup,
    /// Subform rows of the named subform module (a generated row struct, or
    /// [`Record`]s).
    Rows(Option<String>),
    /// Linking records of a multi-select or multi-user lookup ([`Record`]s).
    LinkRows,
    /// Files of a file-upload or image-upload field ([`FileEntry`](crate::FileEntry)).
    Files,
    /// Anything else (`serde_json::Value`).
    Json,
}

/// One value of a picklist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PicklistValue {
    /// The value records carry and the API takes.
    pub actual_value: String,
    /// The label the org shows.
    pub display_value: String,
}

/// One field of a module, from `settings/fields`: what typing and checking a value needs.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct FieldMeta {
    /// The API name (the key in records).
    pub api_name: String,
    /// The label shown in the org (`display_label`, else `field_label`).
    pub label: Option<String>,
    /// The `data_type`.
    pub data_type: DataType,
    /// The `json_type` (`string`, `double`, `jsonobject`, `jsonarray`, ...).
    pub json_type: Option<String>,
    /// The maximum length (characters of text; digits of numbers).
    pub length: Option<u64>,
    /// Digits after the decimal point (`decimal_place`) of numbers.
    pub decimal_place: Option<u64>,
    /// Never written: `read_only`, `field_read_only`, formulas, rollups and auto-numbers, or
    /// an `operation_type` allowing neither API creates nor API updates.
    pub read_only: bool,
    /// `system_mandatory`: an insert must carry a value.
    pub mandatory: bool,
    /// `custom_field`.
    pub custom: bool,
    /// The picklist's values (picklists and multi-select picklists; `-None-` left out).
    pub picklist: Vec<PicklistValue>,
    /// The module a lookup points to (`lookup.module.api_name`).
    pub lookup_module: Option<String>,
    /// The subform module of a subform field (`subform.module`).
    pub subform_module: Option<String>,
    /// The type of a formula's or rollup's value (`formula.return_type`,
    /// `rollup_summary.return_type`).
    pub return_type: Option<DataType>,
}

impl FieldMeta {
    /// A field of `data_type` with nothing else set (for tests and hand-written metadata).
    pub fn new(api_name: impl Into<String>, data_type: DataType) -> Self {
        FieldMeta {
            api_name: api_name.into(),
            label: None,
            data_type,
            json_type: None,
            length: None,
            decimal_place: None,
            read_only: false,
            mandatory: false,
            custom: false,
            picklist: Vec::new(),
            lookup_module: None,
            subform_module: None,
            return_type: None,
        }
    }

    /// One entry of `settings/fields`, leniently: `None` only when it has no `api_name`.
    pub fn from_value(v: &Value) -> Option<FieldMeta> {
        let text = |key: &str| match v.get(key) {
            Some(Value::String(s)) if !s.trim().is_empty() => Some(s.clone()),
            _ => None,
        };
        let flag = |key: &str| match v.get(key) {
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
            _ => false,
        };
        let number = |key: &str| match v.get(key) {
            Some(Value::Number(n)) => n.as_u64(),
            Some(Value::String(s)) => s.trim().parse().ok(),
            _ => None,
        };
        let nested = |outer: &str, inner: &str| match v.get(outer).and_then(|o| o.get(inner)) {
            Some(Value::String(s)) if !s.trim().is_empty() => Some(s.clone()),
            Some(Value::Object(o)) => o
                .get("api_name")
                .and_then(Value::as_str)
                .filter(|s| !s.trim().is_empty())
                .map(str::to_owned),
            _ => None,
        };
        let api_name = text("api_name")?;
        let data_type = DataType::parse(&text("data_type").unwrap_or_default());
        let return_type = nested("formula", "return_type")
            .or_else(|| nested("rollup_summary", "return_type"))
            .map(|t| DataType::parse(&t));
        let mut picklist: Vec<PicklistValue> = Vec::new();
        for p in v
            .get("pick_list_values")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let actual = p.get("actual_value").and_then(Value::as_str);
            let display = p.get("display_value").and_then(Value::as_str);
            let Some(actual) = actual.or(display).map(str::to_owned) else {
                continue;
            };
            if actual == "-None-" || picklist.iter().any(|x| x.actual_value == actual) {
                continue;
            }
            picklist.push(PicklistValue {
                display_value: display.map_or_else(|| actual.clone(), str::to_owned),
                actual_value: actual,
            });
        }
        let api_writes = v.get("operation_type").map(|o| {
            let allowed = |k: &str| o.get(k).and_then(Value::as_bool).unwrap_or(true);
            allowed("api_create") || allowed("api_update")
        });
        let computed = matches!(
            data_type,
            DataType::Formula | DataType::RollupSummary | DataType::AutoNumber
        );
        Some(FieldMeta {
            label: text("display_label").or_else(|| text("field_label")),
            json_type: text("json_type"),
            length: number("length"),
            decimal_place: number("decimal_place"),
            read_only: flag("read_only")
                || flag("field_read_only")
                || computed
                || api_writes == Some(false),
            mandatory: flag("system_mandatory"),
            custom: flag("custom_field"),
            picklist,
            lookup_module: nested("lookup", "module"),
            subform_module: nested("subform", "module"),
            return_type,
            api_name,
            data_type,
        })
    }

    /// What the field's values are.
    pub fn value_kind(&self) -> ValueKind {
        let data_type = match (&self.data_type, &self.return_type) {
            (DataType::Formula | DataType::RollupSummary, Some(t)) => t,
            (DataType::Formula | DataType::RollupSummary, None) => return ValueKind::Json,
            (t, _) => t,
        };
        // A text type whose JSON is structured (e.g. `Tag`: text, jsonarray) is not text.
        let structured = matches!(self.json_type.as_deref(), Some("jsonarray" | "jsonobject"));
        match data_type {
            DataType::Text
            | DataType::TextArea
            | DataType::Email
            | DataType::Phone
            | DataType::Website
            | DataType::AutoNumber
                if structured =>
            {
                ValueKind::Json
            }
            DataType::Text
            | DataType::TextArea
            | DataType::Email
            | DataType::Phone
            | DataType::Website
            | DataType::AutoNumber => ValueKind::Text,
            DataType::Picklist => ValueKind::Choice,
            DataType::MultiSelectPicklist => ValueKind::Choices,
            DataType::Integer | DataType::BigInt => ValueKind::Integer,
            DataType::Double => ValueKind::Double,
            DataType::Currency | DataType::Decimal | DataType::Percent => ValueKind::Decimal,
            DataType::Boolean => ValueKind::Boolean,
            DataType::Date => ValueKind::Date,
            DataType::DateTime => ValueKind::DateTime,
            DataType::Lookup
            | DataType::OwnerLookup
            | DataType::UserLookup
            | DataType::MultiModuleLookup => ValueKind::Lookup,
            DataType::Subform => ValueKind::Rows(self.subform_module.clone()),
            DataType::MultiSelectLookup | DataType::MultiUserLookup => ValueKind::LinkRows,
            DataType::FileUpload | DataType::ImageUpload => ValueKind::Files,
            DataType::Formula | DataType::RollupSummary | DataType::Other(_) => ValueKind::Json,
        }
    }
}

/// The fields of one module, as `settings/fields` lists them.
#[derive(Debug, Clone, PartialEq)]
pub struct ModuleFields {
    /// The module's API name (`Leads`, a custom module, a subform module).
    pub module: String,
    /// Its fields, in the org's order; entries without an API name are left out, and a
    /// repeated API name keeps its first entry.
    pub fields: Vec<FieldMeta>,
}

impl ModuleFields {
    /// From the JSON text of a `settings/fields` answer (`{"fields": [...]}`) or of the bare
    /// list.
    pub fn from_json(module: &str, json: &str) -> Result<ModuleFields, SchemaError> {
        let value: Value = serde_json::from_str(json).map_err(|e| SchemaError::Metadata {
            module: module.to_owned(),
            reason: e.to_string(),
        })?;
        ModuleFields::from_value(module, &value)
    }

    /// From a decoded `settings/fields` answer (`{"fields": [...]}`) or the bare list.
    pub fn from_value(module: &str, value: &Value) -> Result<ModuleFields, SchemaError> {
        let list = match value {
            Value::Array(list) => list,
            Value::Object(o) => match o.get("fields") {
                Some(Value::Array(list)) => list,
                _ => {
                    return Err(SchemaError::Metadata {
                        module: module.to_owned(),
                        reason: "expected a `fields` list".into(),
                    })
                }
            },
            _ => {
                return Err(SchemaError::Metadata {
                    module: module.to_owned(),
                    reason: "expected an object with a `fields` list".into(),
                })
            }
        };
        let mut fields: Vec<FieldMeta> = Vec::with_capacity(list.len());
        for field in list.iter().filter_map(FieldMeta::from_value) {
            if !fields.iter().any(|f| f.api_name == field.api_name) {
                fields.push(field);
            }
        }
        Ok(ModuleFields {
            module: module.to_owned(),
            fields,
        })
    }

    /// The field with this API name.
    pub fn field(&self, api_name: &str) -> Option<&FieldMeta> {
        self.fields.iter().find(|f| f.api_name == api_name)
    }

    /// The subform modules its subform fields use, in field order, without repeats.
    pub fn subform_modules(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for f in &self.fields {
            if let Some(m) = f.subform_module.as_deref() {
                if f.data_type == DataType::Subform && !out.contains(&m) {
                    out.push(m);
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests;
