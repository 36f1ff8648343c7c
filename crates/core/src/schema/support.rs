//! What the structs made by [`generate`](super::generate) call: taking typed fields out of a
//! [`Record`], writing them back with the record's other keys, and the crates they name
//! (`serde`, `serde_json`), re-exported so the generated code needs no dependency of its own.
//! Not meant to be called by hand.

use serde::ser::{Error as _, SerializeMap};
use serde::{Deserialize, Deserializer, Serializer};
use serde_json::value::RawValue;

pub use super::ModuleRecord;
pub use crate::field_value::{FieldValue, Picklist, Written};
use crate::record::Record;
pub use serde;
pub use serde_json;

/// Takes the field `name` out of `record`, decoded as `T`. A missing field is `None`; a `null`
/// is `None` and stays in `record` (so it is written back as sent); a value `T` cannot hold
/// stays in `record` as sent.
pub fn take<T: FieldValue>(record: &mut Record, name: &str) -> Option<T> {
    let raw = record.raw(name)?;
    if raw == "null" {
        return None;
    }
    let value = T::from_json(raw).ok()?;
    record.remove(name);
    Some(value)
}

/// The names of `fields` that `extra` still holds with a value other than `null`: values that
/// did not fit their field's type.
pub fn undecoded(extra: &Record, fields: &[&'static str]) -> Vec<&'static str> {
    fields
        .iter()
        .copied()
        .filter(|f| extra.raw(f).is_some_and(|raw| raw != "null"))
        .collect()
}

/// A record from a deserialiser (serde_json's: the record keeps its exact text).
pub fn deserialize_record<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Record, D::Error> {
    <Record as Deserialize>::deserialize(deserializer)
}

/// A record from the JSON text of an object (a subform row).
pub fn record_from_json(raw: &str) -> Result<Record, String> {
    <Record as FieldValue>::from_json(raw)
}

/// A picklist enum from the JSON text of its value.
pub fn picklist_from_json<P: Picklist>(raw: &str) -> Result<P, String> {
    crate::field_value::Choice::from_json(raw).map(|c| P::from_value(c.as_str()))
}

/// A picklist enum from a string.
pub fn deserialize_picklist<'de, D: Deserializer<'de>, P: Picklist>(
    deserializer: D,
) -> Result<P, D::Error> {
    String::deserialize(deserializer).map(|s| P::from_value(&s))
}

/// Writes a typed record: its fields that are `Some`, then the keys of `extra` that are neither
/// written already nor read-only.
pub struct RecordWriter<'a, M> {
    map: M,
    extra: &'a Record,
    read_only: &'static [&'static str],
    written: Vec<&'static str>,
}

impl<'a, M: SerializeMap> RecordWriter<'a, M> {
    /// Starts the map.
    pub fn new<S: Serializer<SerializeMap = M, Error = M::Error>>(
        serializer: S,
        extra: &'a Record,
        read_only: &'static [&'static str],
    ) -> Result<Self, M::Error> {
        Ok(RecordWriter {
            map: serializer.serialize_map(None)?,
            extra,
            read_only,
            written: Vec::new(),
        })
    }

    /// Writes `name` when `value` is `Some`.
    pub fn field<T: FieldValue>(
        &mut self,
        name: &'static str,
        value: &Option<T>,
    ) -> Result<(), M::Error> {
        if let Some(value) = value {
            self.map.serialize_entry(name, &Written(value))?;
            self.written.push(name);
        }
        Ok(())
    }

    /// Writes the rest of `extra` and ends the map.
    pub fn end(mut self) -> Result<M::Ok, M::Error> {
        for (key, raw) in self.extra.iter() {
            let key: &str = &key;
            if self.written.contains(&key) || self.read_only.contains(&key) {
                continue;
            }
            let raw: &RawValue = serde_json::from_str(raw).map_err(M::Error::custom)?;
            self.map.serialize_entry(key, raw)?;
        }
        self.map.end()
    }
}
