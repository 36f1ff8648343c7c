//! The runtime of the generated models: lenient decoding, unknown keys kept, exact re-encoding.
//!
//! Zoho's answers drift from its OpenAPI schemas, so every generated model decodes leniently by
//! construction:
//!
//! - every field is an `Option`, and `null` reads as `None`;
//! - a value of another kind than declared (an object where a string was declared, `"abc"` for
//!   an integer) does not fail the answer: the field stays `None` and the value is kept verbatim
//!   in the model's `extra` map under its key, so a read-modify-write round trip loses nothing;
//! - unknown keys are kept in `extra` too, and written back after the known fields;
//! - numbers that arrive as strings (`"42"` for an integer) are read as numbers, and numbers that
//!   arrive for a text field are kept as their text (`12.50` reads as `"12.50"`);
//! - enum strings the SDK does not know are kept as `Unknown(String)`;
//! - an array with one element of another kind is kept whole in `extra` (typed access to that
//!   array is `None`): never dropped, never a failure of the page.
//!
//! Date-times and dates are kept as sent ([`DateTime`], [`Date`]) and parsed on access, so a
//! malformed one fails only its accessor and the offset Zoho sent is never rewritten.
//!
//! Models read the answer's text with the small validating [`Reader`] rather than through
//! serde's generic `Deserializer`: each model's reader is one ordinary function instead of a
//! copy of serde_json's parser per model, which keeps 600-odd models cheap to compile. They
//! still implement `Deserialize` (through a `serde_json::Value`) and `Serialize`.
//!
//! ```
//! use zohocrm_core::lenient::{decode, DateTime};
//! # #[cfg(feature = "users")] {
//! use zohocrm_core::generated::users::ResponseWrapper;
//!
//! let page: ResponseWrapper = decode(r#"{
//!     "users": [{"id": "1", "full_name": "A", "created_time": "2024-01-15T10:30:00+05:30",
//!                "offset": "19800000", "time_format": "HH:mm", "shiny_new_key": [1]}],
//!     "info": {"per_page": 200, "count": 1, "page": 1, "more_records": false}
//! }"#).unwrap();
//! let user = &page.users.as_ref().unwrap()[0];
//! assert_eq!(user.offset, Some(19_800_000)); // a number sent as a string
//! assert_eq!(user.created_time.as_ref().unwrap().parse().unwrap().offset().whole_minutes(), 330);
//! assert_eq!(user.extra["shiny_new_key"], serde_json::json!([1])); // unknown keys are kept
//! # }
//! ```

mod reader;

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

pub use reader::{JsonError, Reader};

/// Keys of a model that are not fields of its schema, and values of fields that arrived with
/// another kind than declared, as sent.
pub type Extra = Map<String, Value>;

/// What reading one JSON value as a `T` gave.
#[derive(Debug)]
pub enum Read<T> {
    /// `null`.
    Null,
    /// A value of the declared kind.
    Value(T),
    /// A value of another kind, kept as sent.
    Raw(Value),
}

/// A type a generated model field can hold: read leniently from any JSON value.
pub trait FieldType: Sized {
    /// Reads one value: [`Read::Raw`] instead of an error when the value has another kind.
    /// Errors are only for malformed JSON.
    fn read(r: &mut Reader<'_>) -> Result<Read<Self>, JsonError>;
}

/// A generated model: a struct of optional fields plus its [`Extra`] keys. (Object-safe, so
/// that the object reader is one function for every model.)
pub trait Model {
    /// Reads the value of `key` into its field; `false` when `key` is not a field (the value
    /// is then still to be read).
    fn read_field(&mut self, key: &str, r: &mut Reader<'_>) -> Result<bool, JsonError>;

    /// The unknown keys.
    fn extra_mut(&mut self) -> &mut Extra;
}

/// Decodes a JSON text into `T`: a model, or any field type. `null` gives `T::default()`; a
/// value of another kind than `T` (an array where an object is expected) is an error.
pub fn decode<T: FieldType + Default>(text: &str) -> Result<T, JsonError> {
    let mut r = Reader::new(text);
    let out = match T::read(&mut r)? {
        Read::Value(v) => v,
        Read::Null => T::default(),
        Read::Raw(v) => {
            return Err(JsonError::new(
                format!("expected another kind of JSON value, got {}", kind(&v)),
                0,
            ))
        }
    };
    r.end()?;
    Ok(out)
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Reads an object into a model (positioned on its `{`).
pub fn read_object<M: Model + Default>(r: &mut Reader<'_>) -> Result<M, JsonError> {
    let mut out = M::default();
    read_fields(&mut out, r)?;
    Ok(out)
}

fn read_fields(out: &mut dyn Model, r: &mut Reader<'_>) -> Result<(), JsonError> {
    r.begin_object()?;
    let mut first = true;
    while let Some(key) = r.next_key(&mut first)? {
        let known = match out.read_field(&key, r) {
            Ok(known) => known,
            Err(e) => return Err(e.in_key(&key)),
        };
        if !known {
            match r.value() {
                Ok(value) => {
                    out.extra_mut().insert(key.into_owned(), value);
                }
                Err(e) => return Err(e.in_key(&key)),
            }
        }
    }
    Ok(())
}

/// Reads one field's value into `slot`, or into `extra` when it has another kind.
pub fn read_slot<T: FieldType>(
    r: &mut Reader<'_>,
    key: &str,
    slot: &mut Option<T>,
    extra: &mut Extra,
) -> Result<(), JsonError> {
    match T::read(r)? {
        Read::Value(v) => *slot = Some(v),
        Read::Null => *slot = None,
        Read::Raw(v) => {
            *slot = None;
            extra.insert(key.to_owned(), v);
        }
    }
    Ok(())
}

/// What kind of value comes next, for the field readers: the declared container, `null`
/// (consumed), or another kind (kept as sent, consumed).
enum Next {
    Declared,
    Null,
    Other(Value),
}

fn next_is(r: &mut Reader<'_>, open: u8) -> Result<Next, JsonError> {
    match r.peek() {
        Some(c) if c == open => Ok(Next::Declared),
        Some(b'n') => {
            r.null()?;
            Ok(Next::Null)
        }
        _ => Ok(Next::Other(r.value()?)),
    }
}

/// Reads a field that holds a model: objects decode, `null` is `None`, anything else is kept.
pub fn read_model_field<M: Model + Default>(r: &mut Reader<'_>) -> Result<Read<M>, JsonError> {
    Ok(match next_is(r, b'{')? {
        Next::Declared => Read::Value(read_object(r)?),
        Next::Null => Read::Null,
        Next::Other(v) => Read::Raw(v),
    })
}

/// A model from any serde `Deserializer` (through a `Value`: the fast path is [`decode`]).
pub fn deserialize_model<'de, T: FieldType + Default, D: Deserializer<'de>>(
    d: D,
) -> Result<T, D::Error> {
    let value = Value::deserialize(d)?;
    decode(&value.to_string()).map_err(serde::de::Error::custom)
}

/// Whether the next value is `null` (consumed), else `None` without consuming anything.
fn null_or<T>(r: &mut Reader<'_>) -> Result<Option<Read<T>>, JsonError> {
    if r.peek() == Some(b'n') {
        r.null()?;
        return Ok(Some(Read::Null));
    }
    Ok(None)
}

impl FieldType for String {
    fn read(r: &mut Reader<'_>) -> Result<Read<Self>, JsonError> {
        Ok(match r.peek() {
            Some(b'"') => Read::Value(r.string()?.into_owned()),
            // A number or boolean for a text field: its text as sent.
            Some(b'-' | b'0'..=b'9') => Read::Value(r.number()?.to_owned()),
            Some(b't' | b'f') => Read::Value(r.boolean()?.to_string()),
            Some(b'n') => {
                r.null()?;
                Read::Null
            }
            _ => Read::Raw(r.value()?),
        })
    }
}

/// Reads a number (or a numeric string) with `parse`; anything else is kept as sent.
fn read_number<T>(r: &mut Reader<'_>, parse: fn(&str) -> Option<T>) -> Result<Read<T>, JsonError> {
    if let Some(null) = null_or(r)? {
        return Ok(null);
    }
    Ok(match r.peek() {
        Some(b'-' | b'0'..=b'9') => {
            let at = r.position().0;
            let text = r.number()?;
            match parse(text) {
                Some(n) => Read::Value(n),
                None => match serde_json::from_str(text) {
                    Ok(v) => Read::Raw(v),
                    Err(e) => return Err(JsonError::new(e.to_string(), at)),
                },
            }
        }
        Some(b'"') => {
            let text = r.string()?;
            match parse(text.trim()) {
                Some(n) => Read::Value(n),
                None => Read::Raw(Value::String(text.into_owned())),
            }
        }
        _ => Read::Raw(r.value()?),
    })
}

impl FieldType for i64 {
    fn read(r: &mut Reader<'_>) -> Result<Read<Self>, JsonError> {
        read_number(r, |s| {
            s.parse().ok().or_else(|| {
                // `12.0` or `1e3` for an integer: whole values inside i64's range only.
                let f: f64 = s.parse().ok()?;
                (f.fract() == 0.0 && f >= i64::MIN as f64 && f < i64::MAX as f64)
                    .then_some(f as i64)
            })
        })
    }
}

impl FieldType for f64 {
    fn read(r: &mut Reader<'_>) -> Result<Read<Self>, JsonError> {
        read_number(r, |s| s.parse().ok().filter(|f: &f64| f.is_finite()))
    }
}

impl FieldType for serde_json::Number {
    fn read(r: &mut Reader<'_>) -> Result<Read<Self>, JsonError> {
        read_number(r, |s| {
            serde_json::from_str::<serde_json::Number>(s)
                .ok()
                .filter(|n| n.as_f64().is_some_and(f64::is_finite))
        })
    }
}

impl FieldType for bool {
    fn read(r: &mut Reader<'_>) -> Result<Read<Self>, JsonError> {
        Ok(match r.peek() {
            Some(b't' | b'f') => Read::Value(r.boolean()?),
            Some(b'n') => {
                r.null()?;
                Read::Null
            }
            Some(b'"') => {
                let text = r.string()?;
                match &*text {
                    "true" => Read::Value(true),
                    "false" => Read::Value(false),
                    _ => Read::Raw(Value::String(text.into_owned())),
                }
            }
            _ => Read::Raw(r.value()?),
        })
    }
}

impl FieldType for Value {
    fn read(r: &mut Reader<'_>) -> Result<Read<Self>, JsonError> {
        Ok(match r.value()? {
            Value::Null => Read::Null,
            v => Read::Value(v),
        })
    }
}

impl<T: FieldType> FieldType for Box<T> {
    #[inline]
    fn read(r: &mut Reader<'_>) -> Result<Read<Self>, JsonError> {
        Ok(match T::read(r)? {
            Read::Value(v) => Read::Value(Box::new(v)),
            Read::Null => Read::Null,
            Read::Raw(v) => Read::Raw(v),
        })
    }
}

impl<T: FieldType> FieldType for Vec<T> {
    fn read(r: &mut Reader<'_>) -> Result<Read<Self>, JsonError> {
        let start = r.position();
        match next_is(r, b'[')? {
            Next::Declared => {}
            Next::Null => return Ok(Read::Null),
            Next::Other(v) => return Ok(Read::Raw(v)),
        }
        let mut items = Vec::new();
        let all_declared = read_elements(r, &mut |r| match T::read(r)? {
            Read::Value(v) => {
                items.push(v);
                Ok(true)
            }
            _ => Ok(false),
        })?;
        if all_declared {
            return Ok(Read::Value(items));
        }
        // One element of another kind: keep the whole array as sent.
        r.rewind(start);
        Ok(Read::Raw(r.value()?))
    }
}

/// Reads the elements of an array (positioned on its `[`) with `element`, which says whether
/// the element had the declared kind; stops at the first that had not (`false`).
fn read_elements(
    r: &mut Reader<'_>,
    element: &mut dyn FnMut(&mut Reader<'_>) -> Result<bool, JsonError>,
) -> Result<bool, JsonError> {
    r.begin_array()?;
    let mut first = true;
    let mut index = 0;
    while r.next_element(&mut first)? {
        match element(r) {
            Ok(true) => index += 1,
            Ok(false) => return Ok(false),
            Err(e) => return Err(e.in_index(index)),
        }
    }
    Ok(true)
}

impl FieldType for crate::record::Record {
    fn read(r: &mut Reader<'_>) -> Result<Read<Self>, JsonError> {
        match next_is(r, b'{')? {
            Next::Declared => {
                // A record keeps its JSON text: cut it out (validated) and index it.
                let at = r.position().0;
                let text = r.skip()?;
                match crate::record::Record::from_valid_json(text.to_owned()) {
                    Ok(record) => Ok(Read::Value(record)),
                    Err(e) => Err(JsonError::new(e.to_string(), at)),
                }
            }
            Next::Null => Ok(Read::Null),
            Next::Other(v) => Ok(Read::Raw(v)),
        }
    }
}

impl FieldType for crate::response::PageInfo {
    #[inline(never)]
    fn read(r: &mut Reader<'_>) -> Result<Read<Self>, JsonError> {
        // Once per page: through a `Value`.
        Ok(match r.value()? {
            Value::Null => Read::Null,
            v => match serde_json::from_value::<Self>(v.clone()) {
                Ok(info) => Read::Value(info),
                Err(_) => Read::Raw(v),
            },
        })
    }
}

/// A date-time as Zoho sent it (`2024-01-15T10:30:00+05:30`), parsed on access so that a
/// malformed one fails only its reader and the offset is never rewritten.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DateTime(pub String);

impl DateTime {
    /// The text as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The date-time with its offset.
    pub fn parse(&self) -> Result<time::OffsetDateTime, time::error::Parse> {
        time::OffsetDateTime::parse(&self.0, &time::format_description::well_known::Rfc3339)
    }
}

impl From<time::OffsetDateTime> for DateTime {
    fn from(t: time::OffsetDateTime) -> Self {
        // Zoho's form: seconds precision, numeric offset.
        let t = t.replace_nanosecond(0).unwrap_or(t);
        DateTime(
            t.format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
        )
    }
}

/// A date as Zoho sent it (`2024-01-15`), parsed on access.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Date(pub String);

impl Date {
    /// The text as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The calendar date, `None` when the text is not a `yyyy-MM-dd` date.
    pub fn parse(&self) -> Option<time::Date> {
        crate::record::parse_date(&self.0)
    }
}

/// Text that must never reach a log line: a channel or verification token inside a model.
/// `Debug` shows `<redacted>`; serialisation writes the value (it is part of the wire format).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Secret(pub String);

impl Secret {
    /// The secret value itself.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

macro_rules! text_types {
    ($($ty:ident),*) => {$(
        impl FieldType for $ty {
            fn read(r: &mut Reader<'_>) -> Result<Read<Self>, JsonError> {
                Ok(match String::read(r)? {
                    Read::Value(s) => Read::Value($ty(s)),
                    Read::Null => Read::Null,
                    Read::Raw(v) => Read::Raw(v),
                })
            }
        }

        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                String::deserialize(d).map($ty)
            }
        }

        impl From<&str> for $ty {
            fn from(s: &str) -> Self {
                $ty(s.to_owned())
            }
        }

        impl From<String> for $ty {
            fn from(s: String) -> Self {
                $ty(s)
            }
        }
    )*};
}

text_types!(DateTime, Date, Secret);

impl fmt::Debug for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Debug for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Reads a string enum value (generated enums): strings map through `from`, anything else is
/// kept as sent.
pub fn read_enum<T: for<'a> From<&'a str>>(r: &mut Reader<'_>) -> Result<Read<T>, JsonError> {
    Ok(match r.peek() {
        Some(b'"') => Read::Value(T::from(&r.string()?)),
        Some(b'n') => {
            r.null()?;
            Read::Null
        }
        _ => Read::Raw(r.value()?),
    })
}

/// Adds a model's [`Extra`] keys to its `Debug` output, as JSON, when there are any.
pub fn debug_extra(d: &mut fmt::DebugStruct<'_, '_>, extra: &Extra) {
    struct AsJson<'a>(&'a Extra);
    impl fmt::Debug for AsJson<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            let text = serde_json::to_string(self.0).map_err(|_| fmt::Error)?;
            f.write_str(&text)
        }
    }
    if !extra.is_empty() {
        d.field("extra", &AsJson(extra));
    }
}

/// Writes the [`Extra`] keys of a model after its fields, skipping a key whose field is set (a
/// field set by the user wins over the value kept from the answer).
pub fn serialize_extra<M: serde::ser::SerializeMap>(
    map: &mut M,
    extra: &Extra,
    is_set: &dyn Fn(&str) -> bool,
) -> Result<(), M::Error> {
    for (key, value) in extra {
        if !is_set(key) {
            map.serialize_entry(key, value)?;
        }
    }
    Ok(())
}

/// Defines a generated model: a struct of optional fields named by their JSON keys, plus
/// [`Extra`], with a lenient reader, exact `Serialize`, and `Deserialize`.
#[allow(unused_macros)] // a build without API clusters has no models
macro_rules! model {
    (
        $(#[$meta:meta])*
        pub struct $name:ident { $($key:literal => $field:ident: $ty:ty),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Default, PartialEq)]
        pub struct $name {
            $(
                #[doc = concat!("`", $key, "`")]
                pub $field: ::core::option::Option<$ty>,
            )+
            /// Keys the schema does not list, and values of another kind than declared, as sent.
            pub extra: $crate::lenient::Extra,
        }

        impl $name {
            #[inline]
            fn has_value(&self, key: &str) -> bool {
                match key {
                    $($key => self.$field.is_some(),)+
                    _ => false,
                }
            }
        }

        impl ::std::fmt::Debug for $name {
            // Only the fields Zoho sent: a 60-field model with three values shows three lines.
            #[inline]
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                let mut d = f.debug_struct(stringify!($name));
                $(
                    if let Some(v) = &self.$field {
                        d.field(stringify!($field), v);
                    }
                )+
                $crate::lenient::debug_extra(&mut d, &self.extra);
                d.finish()
            }
        }

        impl $crate::lenient::Model for $name {
            #[inline]
            fn read_field(
                &mut self,
                key: &str,
                r: &mut $crate::lenient::Reader<'_>,
            ) -> ::core::result::Result<bool, $crate::lenient::JsonError> {
                match key {
                    $($key => $crate::lenient::read_slot(r, key, &mut self.$field, &mut self.extra)?,)+
                    _ => return Ok(false),
                }
                Ok(true)
            }

            #[inline]
            fn extra_mut(&mut self) -> &mut $crate::lenient::Extra {
                &mut self.extra
            }
        }

        impl $crate::lenient::FieldType for $name {
            #[inline]
            fn read(
                r: &mut $crate::lenient::Reader<'_>,
            ) -> ::core::result::Result<$crate::lenient::Read<Self>, $crate::lenient::JsonError> {
                $crate::lenient::read_model_field(r)
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> ::core::result::Result<Self, D::Error> {
                $crate::lenient::deserialize_model(d)
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> ::core::result::Result<S::Ok, S::Error> {
                use ::serde::ser::SerializeMap as _;
                let mut map = s.serialize_map(None)?;
                $(
                    if let Some(v) = &self.$field {
                        map.serialize_entry($key, v)?;
                    }
                )+
                $crate::lenient::serialize_extra(&mut map, &self.extra, &|k| self.has_value(k))?;
                map.end()
            }
        }
    };
}
#[allow(unused_imports)]
pub(crate) use model;

/// Defines a generated string enum: one variant per documented value plus `Unknown(String)`
/// for values the SDK does not know (kept as sent).
#[allow(unused_macros)]
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident { $($variant:ident = $value:literal),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $(
                #[doc = concat!("`", $value, "`")]
                $variant,
            )+
            /// A value this SDK does not know, as sent.
            Unknown(::std::string::String),
        }

        impl $name {
            /// The value as Zoho spells it.
            #[inline]
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $value,)+
                    Self::Unknown(s) => s,
                }
            }
        }

        impl ::core::convert::From<&str> for $name {
            #[inline]
            fn from(s: &str) -> Self {
                match s {
                    $($value => Self::$variant,)+
                    other => Self::Unknown(other.to_owned()),
                }
            }
        }

        impl ::std::fmt::Display for $name {
            #[inline]
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> ::core::result::Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> ::core::result::Result<Self, D::Error> {
                let s = <::std::borrow::Cow<'de, str>>::deserialize(d)?;
                Ok(Self::from(&*s))
            }
        }

        impl $crate::lenient::FieldType for $name {
            #[inline]
            fn read(
                r: &mut $crate::lenient::Reader<'_>,
            ) -> ::core::result::Result<$crate::lenient::Read<Self>, $crate::lenient::JsonError> {
                $crate::lenient::read_enum(r)
            }
        }
    };
}
#[allow(unused_imports)]
pub(crate) use string_enum;

#[cfg(test)]
mod tests;
