//! [`FieldCache`]: an opt-in, bounded cache of modules' field metadata, and the checks of a
//! record against it before a write ([`ModuleFields::validate`]).
//!
//! Nothing consults it on its own: the client never fetches metadata unless asked, so the
//! first call of a program stays one token request and one data request. Whoever wants
//! checks fetches `settings/fields` when [`FieldCache::get`] says a module is missing or
//! stale, and [`insert`](FieldCache::insert)s the answer. Time is passed in (the core reads
//! no clock).
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use zohocrm_core::schema::{FieldCache, ModuleFields, Violation, WriteMode};
//! use zohocrm_core::Record;
//!
//! let mut cache = FieldCache::new(8, Duration::from_secs(3600));
//! let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
//! assert!(cache.get("Leads", now).is_none()); // fetch settings/fields?module=Leads, then:
//! let fields = ModuleFields::from_json("Leads", r#"{"fields": [
//!   {"api_name": "Last_Name", "data_type": "text", "length": 5, "system_mandatory": true},
//!   {"api_name": "Lead_Status", "data_type": "picklist",
//!    "pick_list_values": [{"actual_value": "Contacted", "display_value": "Contacted"}]}]}"#).unwrap();
//! cache.insert(fields, now);
//!
//! let lead = Record::new().with("Lead_Status", "Contaced");
//! let problems = cache.validate("Leads", &lead, WriteMode::Insert, now).unwrap();
//! assert_eq!(problems.len(), 2);
//! assert!(matches!(&problems[0], Violation::MissingMandatory { field } if field == "Last_Name"));
//! ```

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::decimal::Decimal;
use crate::field_value::{Choice, FieldValue, FileEntry};
use crate::record::{Lookup, Record};
use serde_json::Value;
use time::{Date, OffsetDateTime};

use super::{FieldMeta, ModuleFields, ValueKind};

/// The kind of write a record is checked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum WriteMode {
    /// An insert (or an upsert that may insert): mandatory fields must have a value.
    Insert,
    /// An update: a mandatory field that is present must not be emptied.
    Update,
}

/// One problem of a record found before writing it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Violation {
    /// A mandatory field is missing or empty (Zoho: `MANDATORY_NOT_FOUND`).
    MissingMandatory {
        /// The field's API name.
        field: String,
    },
    /// The module has no field of this name (Zoho ignores such keys: a typo, often).
    UnknownField {
        /// The key.
        field: String,
    },
    /// The field is read-only (Zoho ignores the value).
    ReadOnly {
        /// The field's API name.
        field: String,
    },
    /// A picklist value the org does not define (Zoho may add it, or refuse it).
    NotAChoice {
        /// The field's API name.
        field: String,
        /// The value given.
        value: String,
    },
    /// A text longer than the field allows, or a number with more digits (Zoho:
    /// `INVALID_DATA` with `maximum_length`).
    TooLong {
        /// The field's API name.
        field: String,
        /// Characters (text) or digits (numbers) given.
        length: u64,
        /// The field's maximum.
        max: u64,
    },
    /// A value of the wrong type (Zoho: `INVALID_DATA` with `expected_data_type`).
    WrongType {
        /// The field's API name.
        field: String,
        /// What was expected and found.
        reason: String,
    },
}

impl Violation {
    /// The field (or key) the violation is about.
    pub fn field(&self) -> &str {
        match self {
            Violation::MissingMandatory { field }
            | Violation::UnknownField { field }
            | Violation::ReadOnly { field }
            | Violation::NotAChoice { field, .. }
            | Violation::TooLong { field, .. }
            | Violation::WrongType { field, .. } => field,
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Violation::MissingMandatory { field } => write!(f, "`{field}` is mandatory"),
            Violation::UnknownField { field } => write!(f, "the module has no field `{field}`"),
            Violation::ReadOnly { field } => write!(f, "`{field}` is read-only"),
            Violation::NotAChoice { field, value } => {
                write!(f, "`{field}`: {value:?} is not one of the org's values")
            }
            Violation::TooLong { field, length, max } => {
                write!(f, "`{field}`: {length} long, at most {max}")
            }
            Violation::WrongType { field, reason } => write!(f, "`{field}`: {reason}"),
        }
    }
}

/// Whether a value counts as empty for a mandatory field.
fn is_blank(raw: Option<&str>) -> bool {
    match raw.map(str::trim) {
        None | Some("null" | "\"\"" | "[]") => true,
        Some(s) if s.starts_with('"') => serde_json::from_str::<String>(s)
            .map(|t| t.trim().is_empty())
            .unwrap_or(false),
        Some(_) => false,
    }
}

/// Digits before the decimal point, without leading zeros.
fn integer_digits(d: &Decimal) -> u64 {
    let text = d.as_str().trim_start_matches('-');
    text.split('.')
        .next()
        .unwrap_or("")
        .trim_start_matches('0')
        .len() as u64
}

impl ModuleFields {
    /// Checks `record` for a write of `mode`: mandatory fields, unknown and read-only keys,
    /// picklist values, lengths and value types. `id` and `$` keys are not checked. An empty
    /// list means no problem was found (Zoho may still refuse the record for reasons metadata
    /// does not show: duplicates, lookups to missing records, validation rules).
    pub fn validate(&self, record: &Record, mode: WriteMode) -> Vec<Violation> {
        let mut out = Vec::new();
        for f in self.fields.iter().filter(|f| f.mandatory && !f.read_only) {
            let raw = record.raw(&f.api_name);
            let required = mode == WriteMode::Insert || raw.is_some();
            if required && is_blank(raw) {
                out.push(Violation::MissingMandatory {
                    field: f.api_name.clone(),
                });
            }
        }
        for (key, raw) in record.iter() {
            if key == "id" || key.starts_with('$') {
                continue;
            }
            let Some(f) = self.field(&key) else {
                out.push(Violation::UnknownField {
                    field: key.into_owned(),
                });
                continue;
            };
            if f.read_only {
                out.push(Violation::ReadOnly {
                    field: f.api_name.clone(),
                });
                continue;
            }
            if raw.trim() != "null" {
                check_value(f, raw, &mut out);
            }
        }
        out
    }
}

fn check_value(f: &FieldMeta, raw: &str, out: &mut Vec<Violation>) {
    let field = || f.api_name.clone();
    let wrong = |reason: String| Violation::WrongType {
        field: field(),
        reason,
    };
    let too_long = |length: u64| match f.length {
        Some(max) if length > max => Some(Violation::TooLong {
            field: field(),
            length,
            max,
        }),
        _ => None,
    };
    let choice = |c: &Choice| {
        let known = f.picklist.is_empty()
            || f.picklist
                .iter()
                .any(|p| p.actual_value == c.as_str() || p.display_value == c.as_str());
        (!known).then(|| Violation::NotAChoice {
            field: field(),
            value: c.as_str().to_owned(),
        })
    };
    let result: Result<Vec<Violation>, String> = match f.value_kind() {
        ValueKind::Text => String::from_json(raw).map(|s| {
            let mut v: Vec<Violation> = too_long(s.chars().count() as u64).into_iter().collect();
            if f.data_type == super::DataType::Email && !looks_like_email(&s) && !s.is_empty() {
                v.push(wrong(format!("expected an email address, got {s:?}")));
            }
            v
        }),
        ValueKind::Choice => Choice::from_json(raw).map(|c| choice(&c).into_iter().collect()),
        ValueKind::Choices => {
            Vec::<Choice>::from_json(raw).map(|cs| cs.iter().filter_map(choice).collect())
        }
        ValueKind::Integer => i64::from_json(raw).map(|n| {
            too_long(n.unsigned_abs().to_string().len() as u64)
                .into_iter()
                .collect()
        }),
        ValueKind::Double => f64::from_json(raw).map(|_| Vec::new()),
        ValueKind::Decimal => Decimal::from_json(raw).map(|d| {
            let mut v = Vec::new();
            let places =
                d.as_str()
                    .split_once('.')
                    .map_or(0, |(_, frac)| frac.trim_end_matches('0').len()) as u64;
            if let Some(max) = f.decimal_place.filter(|max| places > *max) {
                v.push(wrong(format!(
                    "at most {max} decimal places, got {}",
                    d.as_str()
                )));
            }
            // `length` of a number field bounds its integer digits.
            v.extend(too_long(integer_digits(&d)));
            v
        }),
        ValueKind::Boolean => bool::from_json(raw).map(|_| Vec::new()),
        ValueKind::Date => Date::from_json(raw).map(|_| Vec::new()),
        ValueKind::DateTime => OffsetDateTime::from_json(raw).map(|_| Vec::new()),
        ValueKind::Lookup => Lookup::from_json(raw).map(|_| Vec::new()),
        ValueKind::Rows(_) | ValueKind::LinkRows => {
            Vec::<Record>::from_json(raw).map(|_| Vec::new())
        }
        ValueKind::Files => Vec::<FileEntry>::from_json(raw).map(|_| Vec::new()),
        ValueKind::Json => Value::from_json(raw).map(|_| Vec::new()),
    };
    match result {
        Ok(found) => out.extend(found),
        Err(reason) => out.push(wrong(reason)),
    }
}

fn looks_like_email(s: &str) -> bool {
    match s.trim().split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !s.trim().contains(char::is_whitespace)
                && !domain.contains('@')
        }
        None => false,
    }
}

#[derive(Debug)]
struct Entry {
    fields: Arc<ModuleFields>,
    loaded: SystemTime,
}

/// Field metadata of at most `capacity` modules, each fresh for `max_age` after it was
/// inserted; the least recently used module leaves first.
#[derive(Debug)]
pub struct FieldCache {
    capacity: usize,
    max_age: Duration,
    /// Least recently used first.
    entries: Vec<Entry>,
}

impl FieldCache {
    /// A cache of at most `capacity` modules (at least 1) whose metadata is fresh for
    /// `max_age`.
    pub fn new(capacity: usize, max_age: Duration) -> Self {
        FieldCache {
            capacity: capacity.max(1),
            max_age,
            entries: Vec::new(),
        }
    }

    fn position(&self, module: &str) -> Option<usize> {
        self.entries
            .iter()
            .position(|e| e.fields.module.eq_ignore_ascii_case(module))
    }

    fn fresh(&self, entry: &Entry, now: SystemTime) -> bool {
        // A clock that went back makes the age unknown: treat the entry as stale.
        now.duration_since(entry.loaded)
            .is_ok_and(|age| age < self.max_age)
    }

    /// Stores a module's metadata loaded at `now`, replacing what the cache held for it; the
    /// least recently used module is dropped when the cache is full.
    pub fn insert(&mut self, fields: ModuleFields, now: SystemTime) -> Arc<ModuleFields> {
        if let Some(i) = self.position(&fields.module) {
            self.entries.remove(i);
        }
        while self.entries.len() >= self.capacity {
            self.entries.remove(0);
        }
        let fields = Arc::new(fields);
        self.entries.push(Entry {
            fields: fields.clone(),
            loaded: now,
        });
        fields
    }

    /// A module's metadata when it is cached and fresh at `now` (marking it recently used);
    /// `None` means: fetch it and [`insert`](Self::insert) it.
    pub fn get(&mut self, module: &str, now: SystemTime) -> Option<Arc<ModuleFields>> {
        let i = self.position(module)?;
        if !self.fresh(&self.entries[i], now) {
            return None;
        }
        let entry = self.entries.remove(i);
        let fields = entry.fields.clone();
        self.entries.push(entry);
        Some(fields)
    }

    /// A module's metadata even when stale (e.g. to keep checking while a refresh fails).
    pub fn get_stale(&self, module: &str) -> Option<Arc<ModuleFields>> {
        self.position(module)
            .map(|i| self.entries[i].fields.clone())
    }

    /// Whether the module is cached and fresh at `now`.
    pub fn is_fresh(&self, module: &str, now: SystemTime) -> bool {
        self.position(module)
            .is_some_and(|i| self.fresh(&self.entries[i], now))
    }

    /// Forgets a module (e.g. after Zoho answered `INVALID_DATA` about a field it lists);
    /// returns whether it was cached.
    pub fn invalidate(&mut self, module: &str) -> bool {
        match self.position(module) {
            Some(i) => {
                self.entries.remove(i);
                true
            }
            None => false,
        }
    }

    /// Forgets every module.
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// The cached modules, least recently used first (stale ones included).
    pub fn modules(&self) -> impl Iterator<Item = &str> + '_ {
        self.entries.iter().map(|e| e.fields.module.as_str())
    }

    /// [`ModuleFields::validate`] with the module's fresh metadata; `None` when it is not
    /// cached or stale (fetch and insert it, then check again).
    pub fn validate(
        &mut self,
        module: &str,
        record: &Record,
        mode: WriteMode,
        now: SystemTime,
    ) -> Option<Vec<Violation>> {
        self.get(module, now).map(|f| f.validate(record, mode))
    }
}
