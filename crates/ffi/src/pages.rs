//! The next page of a call by id: the core's one paging rule ([`Operation::next_input`]).

use serde_json::Value;
use zohocrm_core::registry;

use crate::render::FfiError;

/// The params of the page after `output` (the `output` of a `done` step of `op_id` called with
/// `params`), or `Value::Null` when there is none: at the last page, after an empty page, when
/// the cursor would not move, or for an operation that does not page.
pub fn next_page(op_id: &str, params: Value, output: &Value) -> Result<Value, FfiError> {
    let op = registry::find(op_id).ok_or_else(|| {
        FfiError::ffi("unknown_operation", format!("unknown operation `{op_id}`"))
    })?;
    let params = match params {
        Value::Null => Value::Object(serde_json::Map::new()),
        Value::Object(m) => Value::Object(m),
        _ => {
            return Err(FfiError::ffi(
                "invalid_argument",
                "params must be a JSON object or null",
            ))
        }
    };
    Ok(op.next_input(&params, output).unwrap_or(Value::Null))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn territories_page_on_until_more_records_is_false() {
        let out = json!({"territories": [{"id": "1"}], "info": {"page": 1, "more_records": true}});
        let next = next_page("territories.get_territories", json!({"per_page": 1}), &out).unwrap();
        assert_eq!(next, json!({"per_page": 1, "page": 2}));
        let last =
            json!({"territories": [{"id": "2"}], "info": {"page": 2, "more_records": false}});
        assert_eq!(
            next_page("territories.get_territories", next, &last).unwrap(),
            Value::Null
        );
        let empty = json!({"territories": [], "info": {"page": 3, "more_records": true}});
        assert_eq!(
            next_page("territories.get_territories", json!({"page": 3}), &empty).unwrap(),
            Value::Null
        );
        assert!(next_page("no.such_op", Value::Null, &out).is_err());
    }
}
