//! Small shared model pieces: lenient number decoding and `{name, id}` references.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Deserialisers that accept a number or a numeric string (Zoho sends counts both ways).
pub mod lenient_u64 {
    use serde::{Deserialize, Deserializer};
    use serde_json::Value;

    fn from_value(v: Value) -> Option<u64> {
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
