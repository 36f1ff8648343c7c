//! [`Record`]: one CRM record as field API name → JSON value, decoded on access.
//!
//! A record keeps the JSON text Zoho sent and an index of its top-level fields. Reading a page
//! therefore costs one validation pass and a scan, not a `serde_json::Value` tree; and one bad
//! value (a malformed date-time, a number where a string was expected) fails only the accessor
//! that reads it, never the page. Keys are kept as sent, `$`-prefixed system keys included.
//!
//! ```
//! use zohocrm_core::Record;
//!
//! let r: Record = serde_json::from_str(r#"{
//!     "id": "4150868000000225013",
//!     "Last_Name": "Boyle",
//!     "Owner": {"name": "Patricia Boyle", "id": "4150868000000225001", "email": "p@x.test"},
//!     "Created_Time": "2019-09-11T16:21:15+05:30",
//!     "Modified_Time": "not a date",
//!     "Languages": ["English", "German"],
//!     "$approval_state": "approved"
//! }"#).unwrap();
//! assert_eq!(r.id().as_deref(), Some("4150868000000225013"));
//! assert_eq!(r.owner().unwrap().unwrap().name.as_deref(), Some("Patricia Boyle"));
//! assert_eq!(r.created_time().unwrap().unwrap().offset().whole_minutes(), 330);
//! assert!(r.modified_time().is_err()); // only this accessor fails
//! assert_eq!(r.multi_select("Languages").unwrap(), ["English", "German"]);
//! assert_eq!(r.str("$approval_state").unwrap().as_deref(), Some("approved"));
//! ```

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;

use serde::de::{DeserializeOwned, Error as _};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;
use time::{Date, Month, OffsetDateTime};

/// Why reading one field of a [`Record`] failed. The rest of the record is unaffected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("field `{field}`: {reason}")]
pub struct FieldError {
    /// The field's API name.
    pub field: String,
    /// What was wrong, e.g. `expected a date-time (yyyy-MM-ddTHH:mm:ss±HH:mm), got "x"`.
    pub reason: String,
}

impl FieldError {
    fn new(field: &str, reason: impl Into<String>) -> Self {
        FieldError {
            field: field.to_owned(),
            reason: reason.into(),
        }
    }
}

/// A lookup field's value: `{"id": "...", "name": "..."}` (Owner, Account_Name, Layout, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lookup {
    /// The referenced record's id.
    #[serde(deserialize_with = "crate::models::lenient_string::or_default")]
    pub id: String,
    /// Its display name, when Zoho sends it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The email, sent for user lookups such as `Owner`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Any other keys Zoho sent (`display_label`, `zuid`, `$se_module`, ...), kept so that a
    /// round trip loses nothing.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Lookup {
    /// A lookup to the record `id`, as written in request bodies.
    pub fn id(id: impl Into<String>) -> Self {
        Lookup {
            id: id.into(),
            name: None,
            email: None,
            extra: Map::new(),
        }
    }
}

/// One field in the record's text: the quoted key and the value's JSON text.
#[derive(Debug, Clone)]
struct Slot {
    key: Range<u32>,
    value: Range<u32>,
    /// The key contains a backslash escape, so comparisons need decoding.
    escaped_key: bool,
}

/// One CRM record: field API names mapped to JSON values, decoded on access.
///
/// Build one with [`Record::new`] and [`set`](Record::set), from a user struct with
/// [`from_serialize`](Record::from_serialize), or parse one with `serde_json`. Read values with
/// the typed accessors; each returns `Ok(None)` for a missing or `null` field and a
/// [`FieldError`] only for a value of the wrong shape.
#[derive(Clone, Default)]
pub struct Record {
    /// JSON text holding every key and value the slots point into (values replaced by `set` are
    /// appended; the old text is left unused).
    text: String,
    slots: Vec<Slot>,
    /// `text` is exactly the parsed object (no field set or removed since).
    pristine: bool,
}

impl Record {
    /// An empty record.
    pub fn new() -> Self {
        Record::default()
    }

    /// Parses a record from the JSON text of an object.
    pub fn from_json(text: impl Into<String>) -> Result<Self, serde_json::Error> {
        let text = text.into();
        // Validate first: the scanner below relies on well-formed JSON.
        serde_json::from_str::<&RawValue>(&text)?;
        Record::from_valid_json(text)
    }

    /// Indexes the JSON text of an object already validated by serde_json.
    pub(crate) fn from_valid_json(text: String) -> Result<Self, serde_json::Error> {
        let slots = scan_object(text.as_bytes())
            .ok_or_else(|| serde_json::Error::custom("a record must be a JSON object"))?;
        if text.len() > u32::MAX as usize {
            return Err(serde_json::Error::custom("record larger than 4 GiB"));
        }
        Ok(Record {
            text,
            slots,
            pristine: true,
        })
    }

    /// A record from a user struct (or any value serialising to a JSON object).
    pub fn from_serialize<T: Serialize + ?Sized>(value: &T) -> Result<Self, serde_json::Error> {
        Record::from_valid_json(serde_json::to_string(value)?)
    }

    /// The record as a user struct. Fails if a field the struct needs is missing or malformed.
    pub fn deserialize<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        match self.original_text() {
            Some(text) => serde_json::from_str(text),
            None => serde_json::from_str(&self.to_json()),
        }
    }

    /// The record as a `serde_json` map (decodes every value). Fails, naming the field, on a
    /// value a `serde_json::Value` cannot hold: nested deeper than serde_json's limit (128) or a
    /// number beyond `f64`. [`to_json`](Self::to_json) and [`raw`](Self::raw) keep such values
    /// exactly.
    pub fn to_map(&self) -> Result<Map<String, Value>, FieldError> {
        self.iter()
            .map(|(k, v)| {
                let value = serde_json::from_str(v)
                    .map_err(|e| FieldError::new(&k, format!("cannot decode the value: {e}")))?;
                Ok((k.into_owned(), value))
            })
            .collect()
    }

    /// The record's JSON text.
    pub fn to_json(&self) -> String {
        if let Some(text) = self.original_text() {
            return text.to_owned();
        }
        let mut out = String::with_capacity(self.text.len() + 2);
        out.push('{');
        for (i, slot) in self.slots.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&self.text[range(&slot.key)]);
            out.push(':');
            out.push_str(&self.text[range(&slot.value)]);
        }
        out.push('}');
        out
    }

    /// The text as parsed when nothing was changed since (so it can be reused as is).
    fn original_text(&self) -> Option<&str> {
        self.pristine.then_some(self.text.as_str())
    }

    /// The number of fields.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether the record has no field.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// The fields in order: API name and the value's JSON text.
    pub fn iter(&self) -> impl Iterator<Item = (Cow<'_, str>, &str)> + '_ {
        self.slots
            .iter()
            .map(|s| (self.key_of(s), &self.text[range(&s.value)]))
    }

    /// The field API names in order.
    pub fn keys(&self) -> impl Iterator<Item = Cow<'_, str>> + '_ {
        self.slots.iter().map(|s| self.key_of(s))
    }

    fn key_of(&self, slot: &Slot) -> Cow<'_, str> {
        let quoted = &self.text[range(&slot.key)];
        if slot.escaped_key {
            Cow::Owned(serde_json::from_str(quoted).unwrap_or_default())
        } else {
            Cow::Borrowed(&quoted[1..quoted.len() - 1])
        }
    }

    fn position(&self, name: &str) -> Option<usize> {
        self.slots.iter().position(|s| {
            if s.escaped_key {
                self.key_of(s) == name
            } else {
                let quoted = &self.text[range(&s.key)];
                quoted.len() == name.len() + 2 && &quoted[1..quoted.len() - 1] == name
            }
        })
    }

    /// Whether the field is present (even if `null`).
    pub fn contains(&self, name: &str) -> bool {
        self.position(name).is_some()
    }

    /// The field's raw JSON text, e.g. `"\"Boyle\""` or `{"id":"1"}`.
    pub fn raw(&self, name: &str) -> Option<&str> {
        self.position(name)
            .map(|i| &self.text[range(&self.slots[i].value)])
    }

    /// The raw text, or `None` when absent or `null`.
    fn present(&self, name: &str) -> Option<&str> {
        self.raw(name).filter(|v| *v != "null")
    }

    /// Any field decoded as `T` (`Ok(None)` when missing or `null`).
    pub fn get<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>, FieldError> {
        match self.present(name) {
            None => Ok(None),
            Some(raw) => serde_json::from_str(raw).map(Some).map_err(|e| {
                FieldError::new(
                    name,
                    format!(
                        "expected {}, got {}: {e}",
                        std::any::type_name::<T>(),
                        short(raw)
                    ),
                )
            }),
        }
    }

    /// A text field. Borrowed from the record when it holds no escape.
    pub fn str(&self, name: &str) -> Result<Option<Cow<'_, str>>, FieldError> {
        let Some(raw) = self.present(name) else {
            return Ok(None);
        };
        if raw.len() >= 2 && raw.starts_with('"') && !raw.contains('\\') {
            return Ok(Some(Cow::Borrowed(&raw[1..raw.len() - 1])));
        }
        self.get::<String>(name).map(|s| s.map(Cow::Owned))
    }

    /// The record id (`id`). Zoho ids are numeric strings; a bare number is accepted too.
    pub fn id(&self) -> Option<Cow<'_, str>> {
        match self.present("id") {
            Some(raw) if raw.starts_with(|c: char| c.is_ascii_digit()) => Some(Cow::Borrowed(raw)),
            _ => self.str("id").ok().flatten(),
        }
    }

    /// A date-time field (`yyyy-MM-ddTHH:mm:ss±HH:mm`) with its offset.
    pub fn datetime(&self, name: &str) -> Result<Option<OffsetDateTime>, FieldError> {
        let Some(text) = self.str(name)? else {
            return Ok(None);
        };
        OffsetDateTime::parse(&text, &Rfc3339)
            .map(Some)
            .map_err(|e| {
                FieldError::new(
                    name,
                    format!(
                        "expected a date-time (yyyy-MM-ddTHH:mm:ss±HH:mm), got {:?}: {e}",
                        short(&text)
                    ),
                )
            })
    }

    /// A date field (`yyyy-MM-dd`).
    pub fn date(&self, name: &str) -> Result<Option<Date>, FieldError> {
        let Some(text) = self.str(name)? else {
            return Ok(None);
        };
        parse_date(&text).map(Some).ok_or_else(|| {
            FieldError::new(
                name,
                format!("expected a date (yyyy-MM-dd), got {:?}", short(&text)),
            )
        })
    }

    /// A lookup field (`{"id", "name"}`).
    pub fn lookup(&self, name: &str) -> Result<Option<Lookup>, FieldError> {
        self.get(name)
    }

    /// A multi-select picklist (an array of strings; `null` or missing is empty).
    pub fn multi_select(&self, name: &str) -> Result<Vec<String>, FieldError> {
        Ok(self.get(name)?.unwrap_or_default())
    }

    /// A subform or multi-select lookup: its rows as records (`null` or missing is empty).
    pub fn subform(&self, name: &str) -> Result<Vec<Record>, FieldError> {
        Ok(self.get(name)?.unwrap_or_default())
    }

    /// `Owner`, the user owning the record.
    pub fn owner(&self) -> Result<Option<Lookup>, FieldError> {
        self.lookup("Owner")
    }

    /// `Created_Time`.
    pub fn created_time(&self) -> Result<Option<OffsetDateTime>, FieldError> {
        self.datetime("Created_Time")
    }

    /// `Modified_Time`.
    pub fn modified_time(&self) -> Result<Option<OffsetDateTime>, FieldError> {
        self.datetime("Modified_Time")
    }

    /// Sets a field (replacing it in place, or appending it).
    pub fn set(&mut self, name: &str, value: impl Into<Value>) -> &mut Self {
        let text = value.into().to_string();
        self.set_raw_text(name, &text);
        self
    }

    /// Sets a field to any serialisable value (a struct, a [`Lookup`], a date...).
    pub fn set_serialized<T: Serialize + ?Sized>(
        &mut self,
        name: &str,
        value: &T,
    ) -> Result<&mut Self, FieldError> {
        let text =
            serde_json::to_string(value).map_err(|e| FieldError::new(name, e.to_string()))?;
        self.set_raw_text(name, &text);
        Ok(self)
    }

    /// Builder form of [`set`](Record::set).
    #[must_use]
    pub fn with(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.set(name, value);
        self
    }

    /// Sets a date-time field in Zoho's format (second precision, with the value's offset).
    pub fn set_datetime(&mut self, name: &str, value: OffsetDateTime) -> &mut Self {
        let value = value.replace_nanosecond(0).unwrap_or(value);
        match value.format(&Rfc3339) {
            Ok(text) => self.set(name, text),
            Err(_) => self.set(name, Value::Null), // only for years outside 0..=9999
        }
    }

    /// Removes a field, returning whether it was present.
    pub fn remove(&mut self, name: &str) -> bool {
        match self.position(name) {
            Some(i) => {
                self.slots.remove(i);
                self.pristine = false;
                true
            }
            None => false,
        }
    }

    fn set_raw_text(&mut self, name: &str, value_json: &str) {
        // The text must stay addressable by u32 offsets.
        if self.text.len() + name.len() + value_json.len() + 8 > u32::MAX as usize {
            return;
        }
        self.pristine = false;
        let value = self.append(value_json);
        match self.position(name) {
            Some(i) => self.slots[i].value = value,
            None => {
                let quoted = serde_json::to_string(name).unwrap_or_else(|_| "\"\"".into());
                let escaped_key = quoted.contains('\\');
                let key = self.append(&quoted);
                self.slots.push(Slot {
                    key,
                    value,
                    escaped_key,
                });
            }
        }
    }

    fn append(&mut self, s: &str) -> Range<u32> {
        let start = self.text.len() as u32;
        self.text.push_str(s);
        start..self.text.len() as u32
    }
}

fn range(r: &Range<u32>) -> Range<usize> {
    r.start as usize..r.end as usize
}

/// `s` cut to 80 bytes (at a character boundary) with `…`, for error messages.
pub(crate) fn short(s: &str) -> String {
    const MAX: usize = 80;
    if s.len() <= MAX {
        return s.to_owned();
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

pub(crate) fn parse_date(s: &str) -> Option<Date> {
    let mut it = s.splitn(3, '-');
    let (y, m, d) = (it.next()?, it.next()?, it.next()?);
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    let month = Month::try_from(m.parse::<u8>().ok()?).ok()?;
    Date::from_calendar_date(y.parse().ok()?, month, d.parse().ok()?).ok()
}

/// The top-level fields of a well-formed JSON object, or `None` if the text is not an object.
fn scan_object(b: &[u8]) -> Option<Vec<Slot>> {
    let mut i = skip_ws(b, 0);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    i = skip_ws(b, i + 1);
    let mut slots = Vec::with_capacity(16);
    if b.get(i) == Some(&b'}') {
        return Some(slots);
    }
    loop {
        let key_start = i;
        let (key_end, escaped_key) = skip_string(b, i)?;
        i = skip_ws(b, key_end);
        if b.get(i) != Some(&b':') {
            return None;
        }
        let value_start = skip_ws(b, i + 1);
        let value_end = skip_value(b, value_start)?;
        slots.push(Slot {
            key: key_start as u32..key_end as u32,
            value: value_start as u32..value_end as u32,
            escaped_key,
        });
        i = skip_ws(b, value_end);
        match b.get(i) {
            Some(b',') => i = skip_ws(b, i + 1),
            Some(b'}') => return Some(slots),
            _ => return None,
        }
    }
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while matches!(b.get(i), Some(b' ' | b'\n' | b'\r' | b'\t')) {
        i += 1;
    }
    i
}

/// Skips the string starting at `i` (a `"`); returns the index after it and whether it had an
/// escape.
fn skip_string(b: &[u8], i: usize) -> Option<(usize, bool)> {
    if b.get(i) != Some(&b'"') {
        return None;
    }
    let mut j = i + 1;
    let mut escaped = false;
    loop {
        match b.get(j)? {
            b'"' => return Some((j + 1, escaped)),
            b'\\' => {
                escaped = true;
                j += 2;
            }
            _ => j += 1,
        }
    }
}

/// Skips the value starting at `i`; returns the index after it.
fn skip_value(b: &[u8], i: usize) -> Option<usize> {
    match b.get(i)? {
        b'"' => skip_string(b, i).map(|(end, _)| end),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut j = i;
            loop {
                match b.get(j)? {
                    b'"' => {
                        j = skip_string(b, j)?.0;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
        }
        _ => {
            let mut j = i;
            while let Some(c) = b.get(j) {
                if matches!(c, b',' | b'}' | b']' | b' ' | b'\n' | b'\r' | b'\t') {
                    break;
                }
                j += 1;
            }
            (j > i).then_some(j)
        }
    }
}

impl<'de> Deserialize<'de> for Record {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // One copy of the object's text, validated by serde_json; no value is decoded here.
        let raw = Box::<RawValue>::deserialize(d)?;
        let text: Box<str> = raw.into();
        Record::from_valid_json(text.into_string()).map_err(D::Error::custom)
    }
}

impl Serialize for Record {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::Error as _;
        let mut map = serializer.serialize_map(Some(self.slots.len()))?;
        for (key, value) in self.iter() {
            let raw: &RawValue = serde_json::from_str(value).map_err(S::Error::custom)?;
            map.serialize_entry(&key, raw)?;
        }
        map.end()
    }
}

impl fmt::Debug for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Record")?;
        f.write_str(&self.to_json())
    }
}

impl PartialEq for Record {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().zip(other.iter()).all(|(a, b)| a == b)
    }
}

impl From<Map<String, Value>> for Record {
    fn from(map: Map<String, Value>) -> Self {
        let mut r = Record::new();
        for (k, v) in map {
            r.set(&k, v);
        }
        r
    }
}

impl TryFrom<Value> for Record {
    type Error = serde_json::Error;

    fn try_from(value: Value) -> Result<Self, Self::Error> {
        match value {
            Value::Object(map) => Ok(map.into()),
            _ => Err(serde_json::Error::custom("a record must be a JSON object")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fields_are_indexed_in_order_with_nested_values() {
        let r = Record::from_json(
            r#" { "a" : 1, "b":{"x":[1,{"y":"}"}]}, "c":"q\"uo\\te", "d\u0041":null, "e":[] } "#,
        )
        .unwrap();
        let keys: Vec<_> = r.keys().collect();
        assert_eq!(keys, ["a", "b", "c", "dA", "e"]);
        assert_eq!(r.raw("b"), Some(r#"{"x":[1,{"y":"}"}]}"#));
        assert_eq!(r.str("c").unwrap().as_deref(), Some("q\"uo\\te"));
        assert_eq!(r.get::<i64>("a").unwrap(), Some(1));
        assert_eq!(r.get::<i64>("dA").unwrap(), None);
        assert!(r.contains("dA"));
        assert_eq!(r.get::<i64>("missing").unwrap(), None);
    }

    #[test]
    fn one_bad_value_fails_only_its_accessor() {
        // Also readable from a `Value` (serde_json renders it as text first).
        let r: Record = serde_json::from_value(json!({
            "id": "1", "Created_Time": "2024-02-30T10:00:00+00:00", "Modified_Time": "2024-02-01T10:00:00-03:00",
            "Birth": "1990-13-01", "Close": "2024-02-29", "Amount": "abc"
        }))
        .unwrap();
        let e = r.created_time().unwrap_err();
        assert_eq!(e.field, "Created_Time");
        assert!(e.to_string().contains("2024-02-30"), "{e}");
        assert_eq!(
            r.modified_time().unwrap().unwrap().offset().whole_hours(),
            -3
        );
        assert!(r.date("Birth").is_err());
        assert_eq!(
            r.date("Close").unwrap(),
            Some(Date::from_calendar_date(2024, Month::February, 29).unwrap())
        );
        assert!(r.get::<f64>("Amount").is_err());
        assert_eq!(r.id().as_deref(), Some("1"));
    }

    #[test]
    fn set_replace_remove_and_round_trip() {
        let mut r = Record::from_json(r#"{"id":"7","Last_Name":"A","Tags":null}"#).unwrap();
        assert_eq!(r.to_json(), r#"{"id":"7","Last_Name":"A","Tags":null}"#);
        r.set("Last_Name", "B").set("New", json!({"k": [1, 2]}));
        assert!(r.remove("Tags"));
        assert!(!r.remove("Tags"));
        assert_eq!(
            r.to_json(),
            r#"{"id":"7","Last_Name":"B","New":{"k":[1,2]}}"#
        );
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"id":"7","Last_Name":"B","New":{"k":[1,2]}}"#
        );
        let back: Record = serde_json::from_str(&r.to_json()).unwrap();
        assert_eq!(back, r);
        assert_eq!(
            serde_json::to_value(&r).unwrap(),
            json!({"id":"7","Last_Name":"B","New":{"k":[1,2]}})
        );
    }

    #[test]
    fn user_structs_both_ways() {
        #[derive(Serialize, Deserialize, Debug, PartialEq)]
        struct Lead {
            #[serde(rename = "Last_Name")]
            last_name: String,
            #[serde(rename = "Email", default)]
            email: Option<String>,
        }
        let lead = Lead {
            last_name: "O'Brien".into(),
            email: None,
        };
        let r = Record::from_serialize(&lead).unwrap();
        assert_eq!(r.str("Last_Name").unwrap().as_deref(), Some("O'Brien"));
        assert_eq!(r.deserialize::<Lead>().unwrap(), lead);
        let mut r2 = r.clone();
        r2.set("Email", "a@b.test");
        assert_eq!(
            r2.deserialize::<Lead>().unwrap().email.as_deref(),
            Some("a@b.test")
        );
        assert!(Record::from_serialize(&[1, 2]).is_err());
    }

    #[test]
    fn lookups_subforms_and_multi_selects() {
        let r = Record::from_json(
            r#"{"Owner":{"name":"P","id":"9","email":"p@x"},"Account_Name":{"id":12},
                "Rows":[{"id":"1","Qty":2},{"id":"2","Qty":"x"}],"Pick":null}"#,
        )
        .unwrap();
        assert_eq!(r.owner().unwrap().unwrap().email.as_deref(), Some("p@x"));
        assert_eq!(r.lookup("Account_Name").unwrap().unwrap().id, "12");
        let rows = r.subform("Rows").unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].get::<u32>("Qty").unwrap(), Some(2));
        assert!(rows[1].get::<u32>("Qty").is_err());
        assert!(r.multi_select("Pick").unwrap().is_empty());
        assert!(r.multi_select("Owner").is_err());
    }

    #[test]
    fn values_serde_json_cannot_hold_are_errors_not_nulls() {
        let deep = format!("{}1{}", "[".repeat(100_000), "]".repeat(100_000));
        let huge = "9".repeat(10_000);
        let text = format!(r#"{{"id":"1","Deep":{deep},"Huge":{huge},"Ok":"x"}}"#);
        let r = Record::from_json(text.clone()).unwrap();
        let e = r.to_map().unwrap_err();
        assert_eq!(e.field, "Deep");
        assert!(e.reason.contains("recursion"), "{e}");
        // The values stay exact in the record's own text.
        assert_eq!(r.raw("Huge"), Some(huge.as_str()));
        assert_eq!(r.to_json(), text);
        let mut without_deep = r.clone();
        without_deep.remove("Deep");
        let e = without_deep.to_map().unwrap_err();
        assert_eq!(e.field, "Huge");
        assert!(e.reason.contains("out of range"), "{e}");
        without_deep.remove("Huge");
        assert_eq!(without_deep.to_map().unwrap()["Ok"], "x");
    }

    #[test]
    fn not_an_object_is_an_error_not_a_panic() {
        for bad in ["[]", "1", "\"x\"", "null", "{", "{\"a\":}", ""] {
            assert!(Record::from_json(bad).is_err(), "{bad}");
        }
        assert!(scan_object(b"{\"a\":1,}").is_none());
        assert!(scan_object(b"{\"a\" 1}").is_none());
    }

    #[test]
    fn datetimes_are_written_in_zoho_format() {
        let t = OffsetDateTime::parse("2019-07-25T15:26:49.123+05:30", &Rfc3339).unwrap();
        let mut r = Record::new();
        r.set_datetime("Due", t);
        assert_eq!(r.raw("Due"), Some("\"2019-07-25T15:26:49+05:30\""));
    }
}
