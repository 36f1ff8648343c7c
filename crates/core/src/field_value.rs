//! Field types of CRM records: [`FieldValue`] (one lenient decoder and one exact writer per
//! Zoho field type), picklist values ([`Choice`], [`Picklist`]), file-upload entries
//! ([`FileEntry`]), and the [`Record`] accessors built on them (`decimal`, `choice`, `choices`,
//! `files`, `attach_file`). The decimal type itself lives in [`crate::decimal`].
//!
//! Zoho's values drift from their field's type: numbers arrive as strings, booleans as
//! `"true"`, multi-select values as one `"a;b"` text in bulk files, lookups as a bare id. The
//! decoders accept those forms; a value that fits none of them is an error for that field only.
//!
//! ```
//! use zohocrm_core::{Choice, Decimal, Record};
//!
//! let r = Record::from_json(r#"{"Amount": 12345678901234.567, "Stage": "Closed Won",
//!     "Interests": ["CRM", "Mail"], "Count": "12"}"#).unwrap();
//! assert_eq!(r.decimal("Amount").unwrap().unwrap().as_str(), "12345678901234.567");
//! assert_eq!(r.choice("Stage").unwrap().unwrap(), "Closed Won");
//! assert_eq!(r.choices("Interests").unwrap(), [Choice::from("CRM"), Choice::from("Mail")]);
//! assert_eq!(r.value::<i64>("Count").unwrap(), Some(12));
//! ```

use std::fmt;

use serde::ser::{Error as _, SerializeSeq};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};

use crate::decimal::Decimal;
use crate::record::{parse_date, short, FieldError, Lookup, Record};

/// A value of one Zoho field type: decoded leniently from the JSON text Zoho sent, written
/// exactly in the form Zoho takes.
///
/// Implemented for `String` (text, email, phone, website, textarea), `i64` (integer, bigint),
/// `f64` (double), [`Decimal`] (currency, decimal, percent), `bool`, [`time::Date`],
/// [`time::OffsetDateTime`] (offset kept), [`Lookup`], [`Choice`], [`FileEntry`], [`Record`]
/// (a subform row), `serde_json::Value` (anything else) and `Vec` of any of them; generated
/// picklist enums and subform rows implement it too.
pub trait FieldValue: Sized {
    /// Decodes a value from its JSON text (never `null`: a `null` field is `None` before this
    /// is called).
    fn from_json(raw: &str) -> Result<Self, String>;

    /// Writes the value as Zoho takes it.
    fn write<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error>;
}

/// Serialises a [`FieldValue`] through its [`write`](FieldValue::write).
pub struct Written<'a, T>(pub &'a T);

impl<T: FieldValue> Serialize for Written<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.write(serializer)
    }
}

/// The JSON shape of a value's text, from its first character.
#[derive(PartialEq)]
enum Shape {
    String,
    Number,
    Bool,
    Object,
    Array,
    Null,
}

fn shape(raw: &str) -> Shape {
    match raw.trim_start().as_bytes().first() {
        Some(b'"') => Shape::String,
        Some(b'{') => Shape::Object,
        Some(b'[') => Shape::Array,
        Some(b't' | b'f') => Shape::Bool,
        Some(b'n') | None => Shape::Null,
        Some(_) => Shape::Number,
    }
}

/// The text of a JSON string value.
fn text_of(raw: &str) -> Result<String, String> {
    serde_json::from_str(raw).map_err(|e| e.to_string())
}

fn expected(what: &str, raw: &str) -> String {
    format!("expected {what}, got {}", short(raw))
}

impl FieldValue for String {
    /// A string; a number or a boolean as its text.
    fn from_json(raw: &str) -> Result<Self, String> {
        match shape(raw) {
            Shape::String => text_of(raw),
            Shape::Number | Shape::Bool => Ok(raw.trim().to_owned()),
            _ => Err(expected("text", raw)),
        }
    }

    fn write<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self)
    }
}

impl FieldValue for Decimal {
    /// A number, or a string holding one, exactly.
    fn from_json(raw: &str) -> Result<Self, String> {
        match shape(raw) {
            Shape::String | Shape::Number => Decimal::parse_json(raw).map_err(|e| e.to_string()),
            _ => Err(expected("a decimal number", raw)),
        }
    }

    fn write<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.serialize(s)
    }
}

impl FieldValue for i64 {
    /// A whole number, or a string holding one (`"12"`, `12.0`).
    fn from_json(raw: &str) -> Result<Self, String> {
        Decimal::from_json(raw)
            .ok()
            .and_then(|d| d.to_i64())
            .ok_or_else(|| expected("a whole number", raw))
    }

    fn write<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(*self)
    }
}

impl FieldValue for f64 {
    /// A number, or a string holding one.
    fn from_json(raw: &str) -> Result<Self, String> {
        Decimal::from_json(raw)
            .map(|d| d.to_f64())
            .map_err(|_| expected("a number", raw))
    }

    fn write<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(*self)
    }
}

impl FieldValue for bool {
    /// `true`/`false`, or those words as a string (any case).
    fn from_json(raw: &str) -> Result<Self, String> {
        let text = match shape(raw) {
            Shape::Bool => raw.trim().to_owned(),
            Shape::String => text_of(raw)?.trim().to_ascii_lowercase(),
            _ => return Err(expected("a boolean", raw)),
        };
        match text.as_str() {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err(expected("a boolean", raw)),
        }
    }

    fn write<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bool(*self)
    }
}

impl FieldValue for Date {
    /// `"yyyy-MM-dd"`.
    fn from_json(raw: &str) -> Result<Self, String> {
        let text = match shape(raw) {
            Shape::String => text_of(raw)?,
            _ => return Err(expected("a date (yyyy-MM-dd)", raw)),
        };
        parse_date(text.trim()).ok_or_else(|| expected("a date (yyyy-MM-dd)", raw))
    }

    fn write<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if !(0..=9999).contains(&self.year()) {
            return Err(S::Error::custom(format!(
                "date {self} is outside the years 0 to 9999"
            )));
        }
        s.collect_str(&format_args!(
            "{:04}-{:02}-{:02}",
            self.year(),
            self.month() as u8,
            self.day()
        ))
    }
}

impl FieldValue for OffsetDateTime {
    /// `"yyyy-MM-ddTHH:mm:ss±HH:mm"` (any RFC 3339 date-time), offset kept.
    fn from_json(raw: &str) -> Result<Self, String> {
        let text = match shape(raw) {
            Shape::String => text_of(raw)?,
            _ => return Err(expected("a date-time", raw)),
        };
        OffsetDateTime::parse(text.trim(), &Rfc3339)
            .map_err(|e| format!("{}: {e}", expected("a date-time", raw)))
    }

    /// Zoho's form, `yyyy-MM-ddTHH:mm:ss±HH:mm`: second precision, the value's own offset
    /// (`+00:00`, never `Z`).
    fn write<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match zoho_datetime(self) {
            Some(text) => s.collect_str(&text),
            None => Err(S::Error::custom(format!(
                "date-time {self} has no yyyy-MM-ddTHH:mm:ss±HH:mm form"
            ))),
        }
    }
}

/// `at` in Zoho's form, `yyyy-MM-ddTHH:mm:ss±HH:mm` (second precision, its own offset, never
/// `Z`); `None` for a year beyond 0–9999 or an offset with seconds.
pub(crate) fn zoho_datetime(at: &OffsetDateTime) -> Option<String> {
    let offset = at.offset();
    if !(0..=9999).contains(&at.year()) || offset.seconds_past_minute() != 0 {
        return None;
    }
    let sign = if offset.is_negative() { '-' } else { '+' };
    Some(format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{sign}{:02}:{:02}",
        at.year(),
        at.month() as u8,
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        offset.whole_hours().unsigned_abs(),
        offset.minutes_past_hour().unsigned_abs(),
    ))
}

impl FieldValue for Lookup {
    /// `{"id", "name", ...}` (other keys kept), or a bare id (bulk files send those).
    fn from_json(raw: &str) -> Result<Self, String> {
        match shape(raw) {
            Shape::Object => serde_json::from_str(raw).map_err(|e| e.to_string()),
            Shape::String | Shape::Number => {
                let id = String::from_json(raw)?;
                if id.trim().is_empty() {
                    return Err(expected("a lookup", raw));
                }
                Ok(Lookup::id(id.trim()))
            }
            _ => Err(expected("a lookup", raw)),
        }
    }

    fn write<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.serialize(s)
    }
}

impl FieldValue for Value {
    /// Any JSON value (numbers through `serde_json`'s `Number`).
    fn from_json(raw: &str) -> Result<Self, String> {
        serde_json::from_str(raw).map_err(|e| e.to_string())
    }

    fn write<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.serialize(s)
    }
}

impl FieldValue for Record {
    /// A JSON object (a subform row, a multi-select lookup's linking record).
    fn from_json(raw: &str) -> Result<Self, String> {
        match shape(raw) {
            Shape::Object => Record::from_json(raw).map_err(|e| e.to_string()),
            _ => Err(expected("an object", raw)),
        }
    }

    fn write<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.serialize(s)
    }
}

impl<T: FieldValue> FieldValue for Vec<T> {
    /// An array of values; a string is split on `;` (bulk files join multi-select values so);
    /// an empty string is an empty list.
    fn from_json(raw: &str) -> Result<Self, String> {
        match shape(raw) {
            Shape::Array => {
                let items: Vec<&RawValue> = serde_json::from_str(raw).map_err(|e| e.to_string())?;
                items
                    .into_iter()
                    .enumerate()
                    .map(|(i, item)| T::from_json(item.get()).map_err(|e| format!("[{i}]: {e}")))
                    .collect()
            }
            Shape::String => text_of(raw)?
                .split(';')
                .map(str::trim)
                .filter(|part| !part.is_empty())
                .map(|part| T::from_json(&Value::from(part).to_string()))
                .collect(),
            _ => Err(expected("a list", raw)),
        }
    }

    fn write<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.len()))?;
        for item in self {
            seq.serialize_element(&Written(item))?;
        }
        seq.end()
    }
}

/// A picklist value as Zoho sends it (its `actual_value`): one value of a picklist, or one
/// entry of a multi-select picklist.
///
/// Unlike a plain `String`, it says what the field is, converts to a generated picklist enum
/// with [`to`](Choice::to), and can be checked against the org's values with
/// [`FieldCache`](crate::schema::FieldCache).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Choice(String);

impl Choice {
    /// A choice of `value`.
    pub fn new(value: impl Into<String>) -> Self {
        Choice(value.into())
    }

    /// The value.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The value, owned.
    pub fn into_string(self) -> String {
        self.0
    }

    /// The value as a generated picklist enum (an unknown value becomes its `Unknown`).
    pub fn to<P: Picklist>(&self) -> P {
        P::from_value(&self.0)
    }
}

impl FieldValue for Choice {
    /// A string; a number or a boolean as its text.
    fn from_json(raw: &str) -> Result<Self, String> {
        String::from_json(raw)
            .map(Choice)
            .map_err(|_| expected("a picklist value", raw))
    }

    fn write<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl fmt::Display for Choice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Choice {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Choice {
    fn from(value: &str) -> Self {
        Choice(value.to_owned())
    }
}

impl From<String> for Choice {
    fn from(value: String) -> Self {
        Choice(value)
    }
}

impl PartialEq<str> for Choice {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for Choice {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

/// A picklist enum generated from an org's values (see [`crate::schema`]): one variant per
/// value, plus `Unknown(String)` for values added since (kept as sent, written back as is).
pub trait Picklist: Sized {
    /// The variant of a value as Zoho sends it.
    fn from_value(value: &str) -> Self;

    /// The value as Zoho takes it.
    fn as_str(&self) -> &str;
}

/// One file of a file-upload or image-upload field, as Zoho sent it (`id`, `File_Name__s`,
/// `File_Id__s`, `Size__s`, ... every key kept), or a file to attach (`{"file_id"}`) or to
/// remove (`{"id", "_delete": null}`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FileEntry(pub Map<String, Value>);

impl FileEntry {
    /// A file uploaded to Zoho's file store (its encrypted id), to attach to the field on the
    /// next insert or update.
    pub fn attach(file_id: impl Into<String>) -> Self {
        let mut map = Map::new();
        map.insert("file_id".into(), Value::String(file_id.into()));
        FileEntry(map)
    }

    /// A request to remove the attached file `id` from the field on the next update.
    pub fn remove(id: impl Into<String>) -> Self {
        let mut map = Map::new();
        map.insert("id".into(), Value::String(id.into()));
        map.insert("_delete".into(), Value::Null);
        FileEntry(map)
    }

    fn text(&self, keys: &[&str]) -> Option<&str> {
        keys.iter()
            .find_map(|k| self.0.get(*k).and_then(Value::as_str))
    }

    /// The attachment's id in the record (`id`).
    pub fn id(&self) -> Option<&str> {
        self.text(&["id"])
    }

    /// The file's id in Zoho's file store (`file_id` or `File_Id__s`).
    pub fn file_id(&self) -> Option<&str> {
        self.text(&["file_id", "File_Id__s"])
    }

    /// The file name (`File_Name__s` or `file_Name`).
    pub fn file_name(&self) -> Option<&str> {
        self.text(&["File_Name__s", "file_Name", "file_name"])
    }
}

impl FieldValue for FileEntry {
    /// A JSON object.
    fn from_json(raw: &str) -> Result<Self, String> {
        match shape(raw) {
            Shape::Object => serde_json::from_str(raw)
                .map(FileEntry)
                .map_err(|e| e.to_string()),
            _ => Err(expected("a file entry (an object)", raw)),
        }
    }

    fn write<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

/// Field-type accessors (this module's types on the dynamic record).
impl Record {
    /// A field decoded as any [`FieldValue`], leniently (`Ok(None)` when missing or `null`).
    pub fn value<T: FieldValue>(&self, name: &str) -> Result<Option<T>, FieldError> {
        match self.raw(name).filter(|raw| shape(raw) != Shape::Null) {
            None => Ok(None),
            Some(raw) => T::from_json(raw).map(Some).map_err(|reason| FieldError {
                field: name.to_owned(),
                reason,
            }),
        }
    }

    /// A currency, decimal or percent field, exactly (from a number or a numeric string).
    pub fn decimal(&self, name: &str) -> Result<Option<Decimal>, FieldError> {
        self.value(name)
    }

    /// A picklist field.
    pub fn choice(&self, name: &str) -> Result<Option<Choice>, FieldError> {
        self.value(name)
    }

    /// A multi-select picklist (an array, or a `;`-joined text from a bulk file; `null` or
    /// missing is empty).
    pub fn choices(&self, name: &str) -> Result<Vec<Choice>, FieldError> {
        Ok(self.value(name)?.unwrap_or_default())
    }

    /// The files of a file-upload or image-upload field (`null` or missing is empty).
    pub fn files(&self, name: &str) -> Result<Vec<FileEntry>, FieldError> {
        Ok(self.value(name)?.unwrap_or_default())
    }

    /// Adds the uploaded file `file_id` (from [`UploadFiles`](crate::generated::files::UploadFiles))
    /// to a file-upload field: `{"file_id": ...}` appended to the entries already there.
    pub fn attach_file_id(
        &mut self,
        name: &str,
        file_id: impl Into<String>,
    ) -> Result<&mut Self, FieldError> {
        let mut files = self.files(name)?;
        files.push(FileEntry::attach(file_id));
        self.set_serialized(name, &Written(&files))
    }
}

#[cfg(feature = "files")]
mod upload {
    use super::*;
    use crate::error::Error;
    use crate::generated::files::UploadFiles;
    use crate::outputs::FilePart;
    use crate::response::ActionResults;

    impl UploadFiles {
        /// The file-store ids of the uploaded files (`data[i].details.id`), in upload order; a
        /// file Zoho refused is its error.
        pub fn file_ids(results: &ActionResults) -> Result<Vec<String>, Error> {
            let status = results.status;
            results
                .clone()
                .into_result()?
                .iter()
                .map(|ok| {
                    ok.id().map(str::to_owned).ok_or_else(|| {
                        crate::response::decode_error(
                            <UploadFiles as crate::Endpoint>::ID,
                            status,
                            &[],
                            ".data[].details.id".into(),
                            "an uploaded file without an id",
                        )
                    })
                })
                .collect()
        }
    }

    impl Record {
        /// Uploads `file` to Zoho's file store with `send` (one call:
        /// `|upload| client.send(upload)`), then adds its id to the file-upload field `name`
        /// ([`attach_file_id`](Record::attach_file_id)). Returns the file id. The record is
        /// unchanged when the upload fails.
        ///
        /// ```
        /// use zohocrm_core::{FilePart, Record};
        ///
        /// let mut lead = Record::new().with("Last_Name", "Boyle");
        /// let file_id = lead.attach_file("Resume", FilePart::new("cv.txt", "..."), |_upload| {
        ///     // client.send(upload) in real code; here, Zoho's answer.
        ///     let answer = br#"{"data": [{"code": "SUCCESS", "details": {"name": "cv.txt",
        ///         "id": "2cceafa"}, "message": "ok", "status": "success"}]}"#;
        ///     let response = http::Response::new(&answer[..]);
        ///     zohocrm_core::response::decode_action_results("files.upload_files", "data", &response)
        /// }).unwrap();
        /// assert_eq!(file_id, "2cceafa");
        /// assert_eq!(lead.raw("Resume"), Some(r#"[{"file_id":"2cceafa"}]"#));
        /// ```
        pub fn attach_file(
            &mut self,
            name: &str,
            file: FilePart,
            send: impl FnOnce(&UploadFiles) -> Result<ActionResults, Error>,
        ) -> Result<String, Error> {
            // Checked before the upload, so a bad field value does not leave an orphan file.
            self.files(name).map_err(field_error)?;
            let response = send(&UploadFiles::new(file))?;
            let mut ids = UploadFiles::file_ids(&response)?;
            let id = match ids.len() {
                1 => ids.remove(0),
                n => {
                    return Err(crate::response::decode_error(
                        <UploadFiles as crate::Endpoint>::ID,
                        response.status,
                        &[],
                        ".data".into(),
                        format!("expected one uploaded file, got {n}"),
                    ))
                }
            };
            self.attach_file_id(name, id.clone()).map_err(field_error)?;
            Ok(id)
        }
    }

    fn field_error(e: FieldError) -> Error {
        Error::Build(crate::error::BuildError::Invalid {
            param: "record",
            reason: e.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rec(v: Value) -> Record {
        Record::try_from(v).unwrap()
    }

    #[test]
    fn lenient_scalars() {
        let r = Record::from_json(
            r#"{"n": "12", "f": 12.0, "big": 9007199254740993, "bad": "12x", "b": "TRUE",
                "b2": false, "s": 5, "d": "2024-02-29", "dt": "2024-02-29T10:00:00-03:30",
                "nul": null, "obj": {"a": 1}}"#,
        )
        .unwrap();
        assert_eq!(r.value::<i64>("n").unwrap(), Some(12));
        assert_eq!(r.value::<i64>("f").unwrap(), Some(12));
        assert_eq!(r.value::<i64>("big").unwrap(), Some(9007199254740993));
        assert!(r.value::<i64>("bad").is_err());
        assert_eq!(r.value::<f64>("n").unwrap(), Some(12.0));
        assert_eq!(r.value::<bool>("b").unwrap(), Some(true));
        assert_eq!(r.value::<bool>("b2").unwrap(), Some(false));
        assert!(r.value::<bool>("n").is_err());
        assert_eq!(r.value::<String>("s").unwrap().as_deref(), Some("5"));
        assert!(r.value::<String>("obj").is_err());
        let date = r.value::<Date>("d").unwrap().unwrap();
        assert_eq!(date.to_string(), "2024-02-29");
        let dt = r.value::<OffsetDateTime>("dt").unwrap().unwrap();
        assert_eq!(dt.offset().whole_minutes(), -210);
        assert_eq!(r.value::<i64>("nul").unwrap(), None);
        assert_eq!(r.value::<i64>("missing").unwrap(), None);
        let e = r.value::<Date>("dt").unwrap_err();
        assert_eq!(e.field, "dt");
        assert!(e.reason.contains("yyyy-MM-dd"), "{e}");
    }

    #[test]
    fn writes_are_exact_and_in_zohos_form() {
        let write = |v: &dyn Fn(&mut serde_json::Serializer<&mut Vec<u8>>)| {
            let mut out = Vec::new();
            v(&mut serde_json::Serializer::new(&mut out));
            String::from_utf8(out).unwrap()
        };
        let dt = OffsetDateTime::parse("2019-07-25T15:26:49.123+05:30", &Rfc3339).unwrap();
        assert_eq!(
            write(&|s| {
                dt.write(s).unwrap();
            }),
            r#""2019-07-25T15:26:49+05:30""#
        );
        let utc = OffsetDateTime::parse("2025-06-30T13:18:04Z", &Rfc3339).unwrap();
        assert_eq!(
            write(&|s| {
                utc.write(s).unwrap();
            }),
            r#""2025-06-30T13:18:04+00:00""#
        );
        let west = OffsetDateTime::parse("2025-01-01T00:00:00-03:30", &Rfc3339).unwrap();
        assert_eq!(
            write(&|s| {
                west.write(s).unwrap();
            }),
            r#""2025-01-01T00:00:00-03:30""#
        );
        let date = parse_date("0999-01-02").unwrap();
        assert_eq!(
            write(&|s| {
                date.write(s).unwrap();
            }),
            r#""0999-01-02""#
        );
        let money = Decimal::parse("12345678901234.560").unwrap();
        assert_eq!(
            write(&|s| {
                vec![money.clone()].write(s).unwrap();
            }),
            "[12345678901234.560]"
        );
        let far = Date::from_calendar_date(10_000, time::Month::January, 1);
        if let Ok(far) = far {
            assert!(far
                .write(&mut serde_json::Serializer::new(Vec::new()))
                .is_err());
        }
    }

    #[test]
    fn decimals_choices_lists_and_lookups() {
        let r = rec(json!({
            "Amount": "1234.50", "Bad_Amount": [1], "Stage": "Closed Won", "Rating": 5,
            "Multi": ["CRM", "Books"], "Joined": "CRM; Books;", "Empty": "", "BadList": [1, {"x": 1}],
            "Owner": {"id": 9, "name": "P", "email": "p@x", "zuid": "77"}, "Account": "123",
        }));
        assert_eq!(r.decimal("Amount").unwrap().unwrap().as_str(), "1234.50");
        assert!(r.decimal("Bad_Amount").is_err());
        assert_eq!(r.choice("Stage").unwrap().unwrap(), "Closed Won");
        assert_eq!(r.choice("Rating").unwrap().unwrap().as_str(), "5");
        assert_eq!(
            r.choices("Multi").unwrap(),
            ["CRM", "Books"].map(Choice::from)
        );
        assert_eq!(
            r.choices("Joined").unwrap(),
            ["CRM", "Books"].map(Choice::from)
        );
        assert!(r.choices("Empty").unwrap().is_empty());
        assert!(r.choices("Missing").unwrap().is_empty());
        let e = r.choices("BadList").unwrap_err();
        assert!(e.reason.starts_with("[1]"), "{e}");
        let owner: Lookup = r.value("Owner").unwrap().unwrap();
        assert_eq!(owner.id, "9");
        assert_eq!(owner.extra.get("zuid"), Some(&json!("77")));
        let account: Lookup = r.value("Account").unwrap().unwrap();
        assert_eq!(account, Lookup::id("123"));
    }

    #[test]
    fn picklist_enums_through_choice() {
        #[derive(Debug, PartialEq)]
        enum Stage {
            Won,
            Unknown(String),
        }
        impl Picklist for Stage {
            fn from_value(value: &str) -> Self {
                match value {
                    "Closed Won" => Stage::Won,
                    other => Stage::Unknown(other.to_owned()),
                }
            }
            fn as_str(&self) -> &str {
                match self {
                    Stage::Won => "Closed Won",
                    Stage::Unknown(v) => v,
                }
            }
        }
        assert_eq!(Choice::from("Closed Won").to::<Stage>(), Stage::Won);
        let other = Choice::from("Lost?").to::<Stage>();
        assert_eq!(other.as_str(), "Lost?");
    }

    #[test]
    fn file_fields() {
        let mut r = rec(json!({
            "Resume": [{"id": "1", "File_Name__s": "a.pdf", "File_Id__s": "enc1", "Size__s": "12"}],
            "Photo": null, "Bad": "x"
        }));
        let files = r.files("Resume").unwrap();
        assert_eq!(files[0].id(), Some("1"));
        assert_eq!(files[0].file_name(), Some("a.pdf"));
        assert_eq!(files[0].file_id(), Some("enc1"));
        assert!(r.files("Photo").unwrap().is_empty());
        r.attach_file_id("Resume", "enc2").unwrap();
        r.attach_file_id("Photo", "enc3").unwrap();
        assert_eq!(
            r.to_map().unwrap()["Resume"],
            json!([{"id": "1", "File_Name__s": "a.pdf", "File_Id__s": "enc1", "Size__s": "12"},
                   {"file_id": "enc2"}])
        );
        assert_eq!(r.raw("Photo"), Some(r#"[{"file_id":"enc3"}]"#));
        // A field holding something else is not overwritten.
        assert!(r.attach_file_id("Bad", "enc4").is_err());
        assert_eq!(r.raw("Bad"), Some(r#""x""#));
        assert_eq!(
            serde_json::to_value(FileEntry::remove("1")).unwrap(),
            json!({"id": "1", "_delete": null})
        );
    }

    #[cfg(feature = "files")]
    #[test]
    fn attach_file_uploads_then_sets_the_field() {
        use crate::error::Error;
        use crate::outputs::FilePart;
        use crate::Endpoint;

        fn answer(status: u16, body: Value) -> Result<crate::ActionResults, Error> {
            let body = body.to_string();
            let response = http::Response::builder()
                .status(status)
                .body(body.as_bytes())
                .unwrap();
            crate::response::decode_action_results("files.upload_files", "data", &response)
        }

        let mut r = Record::new();
        let mut sent = None;
        let id = r
            .attach_file("Resume", FilePart::new("cv.txt", "hello"), |upload| {
                sent = Some(upload.parts().unwrap());
                answer(
                    200,
                    json!({"data": [{"code": "SUCCESS", "details": {"name": "cv.txt",
                        "id": "2cceafa"}, "message": "cv.txt uploaded", "status": "success"}]}),
                )
            })
            .unwrap();
        assert_eq!(id, "2cceafa");
        let parts = sent.unwrap();
        assert_eq!(parts.path, "/crm/v8/files");
        assert_eq!(r.raw("Resume"), Some(r#"[{"file_id":"2cceafa"}]"#));

        // A refused upload leaves the record as it was and reports Zoho's error.
        let mut r = Record::new();
        let err = r
            .attach_file("Resume", FilePart::new("v.exe", "x"), |_| {
                answer(
                    400,
                    json!({"data": [{"code": "VIRUS_DETECTED", "details": {},
                        "message": "virus detected", "status": "error"}]}),
                )
            })
            .unwrap_err();
        assert!(matches!(err, Error::Api { .. }), "{err:?}");
        assert!(!r.contains("Resume"));
        // The transport's error passes through; nothing is set.
        let err = r
            .attach_file("Resume", FilePart::new("a", "b"), |_| {
                Err(Error::Build(crate::error::BuildError::Missing("file")))
            })
            .unwrap_err();
        assert!(matches!(err, Error::Build(_)));
        assert!(!r.contains("Resume"));
    }
}
