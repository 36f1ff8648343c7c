//! Small shared model pieces: lenient number and string decoding, list parameters, tri-state
//! body fields and `{name, id}` / `{id}` references.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Deserialisers that accept a number or a numeric string (Zoho sends counts both ways).
pub mod lenient_u64 {
    use serde::{Deserialize, Deserializer};
    use serde_json::Value;

    /// A number (floats truncated, negatives as 0) or a numeric string; anything else is `None`.
    pub fn from_value(v: Value) -> Option<u64> {
        match v {
            Value::Number(n) => n.as_u64().or_else(|| n.as_f64().map(|f| f.max(0.0) as u64)),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// `Option<u64>` from a number, a numeric string or null; anything else becomes `None`.
    pub fn option<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
        Ok(Option::<Value>::deserialize(d)?.and_then(from_value))
    }

    /// `u64` from a number or a numeric string; null or anything else becomes `0`.
    pub fn or_zero<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        Ok(Option::<Value>::deserialize(d)?
            .and_then(from_value)
            .unwrap_or(0))
    }
}

/// A boolean from `true`/`false` or their text (`"false"` typed on a command line).
pub mod lenient_bool {
    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer};
    use serde_json::Value;

    /// `Option<bool>` from a boolean, `"true"`/`"false"` or null; anything else is an error.
    pub fn option<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
        match Option::<Value>::deserialize(d)? {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(b)),
            Some(Value::String(s)) if s == "true" || s == "false" => Ok(Some(s == "true")),
            Some(other) => Err(D::Error::custom(format!("expected a boolean, got {other}"))),
        }
    }
}

/// Deserialisers for strings that Zoho sometimes sends as numbers, booleans or null.
pub mod lenient_string {
    use serde::{Deserialize, Deserializer};
    use serde_json::Value;

    fn from_value(v: Value) -> Option<String> {
        match v {
            Value::String(s) => Some(s),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// `Option<String>` from a string, a number or a boolean; null, arrays and objects become `None`.
    pub fn option<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        Ok(Option::<Value>::deserialize(d)?.and_then(from_value))
    }

    /// `String` from a string, a number or a boolean; anything else becomes the empty string.
    pub fn or_default<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        Ok(Option::<Value>::deserialize(d)?
            .and_then(from_value)
            .unwrap_or_default())
    }
}

/// A list parameter given either as a JSON array of strings or as one comma-separated string
/// (`"1,2"` and `["1","2"]` mean the same); blank entries of a string are dropped.
pub mod string_list {
    use serde::{de::Error as _, Deserialize, Deserializer};
    use serde_json::Value;

    /// Deserialises `Vec<String>` from an array, a comma-separated string or null (empty).
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
        match Option::<Value>::deserialize(d)? {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::String(s)) => Ok(s
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect()),
            Some(Value::Array(items)) => items
                .into_iter()
                .map(|v| match v {
                    Value::String(s) => Ok(s),
                    Value::Number(n) => Ok(n.to_string()),
                    other => Err(D::Error::custom(format!(
                        "expected a string in the list, got {other}"
                    ))),
                })
                .collect(),
            Some(other) => Err(D::Error::custom(format!(
                "expected a list or a comma-separated string, got {other}"
            ))),
        }
    }
}

/// Tri-state optional fields of request bodies: absent (`None`), explicit `null` (`Some(None)`,
/// e.g. "remove the manager") or a value (`Some(Some(v))`). Use with
/// `#[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::models::double_option")]`.
pub fn double_option<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// A reference by id only, as request bodies send it: `{"id": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct IdRef {
    /// The id.
    #[serde(deserialize_with = "lenient_string::or_default")]
    pub id: String,
}

impl IdRef {
    /// A reference to `id`.
    pub fn new(id: impl Into<String>) -> Self {
        IdRef { id: id.into() }
    }
}

impl From<&str> for IdRef {
    fn from(id: &str) -> Self {
        IdRef::new(id)
    }
}

impl From<String> for IdRef {
    fn from(id: String) -> Self {
        IdRef::new(id)
    }
}

/// A reference to another object: `{"name": ..., "id": ...}` (manager, owner, created_by...).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Reference {
    /// The id.
    pub id: Option<String>,
    /// The display name (`name`, or `Name` in record fields).
    #[serde(alias = "Name")]
    pub name: Option<String>,
    /// Any other keys.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Reference {
    /// A reference by id only, as request bodies use.
    pub fn id(id: impl Into<String>) -> Self {
        Reference {
            id: Some(id.into()),
            ..Self::default()
        }
    }
}
