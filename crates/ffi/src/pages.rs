//! The next-page rule of the core (`pagination::next_cursor`), applied to JSON params and output.

use serde_json::{Map, Value};
use zohocrm_core::pagination::{next_cursor, Cursor};
use zohocrm_core::registry::{self, Operation};
use zohocrm_core::PageInfo;

use crate::render::FfiError;

fn number(v: Option<&Value>) -> Option<u32> {
    match v? {
        Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Whether the operation sends a `page_token` parameter (record lists do, settings lists don't).
fn accepts_page_token(op: &Operation, params: &Map<String, Value>) -> bool {
    let mut probe = params.clone();
    probe.remove("page");
    probe.insert("page_token".into(), Value::String("zcrm-probe".into()));
    op.build(&Value::Object(probe))
        .is_ok_and(|parts| parts.query.iter().any(|(k, _)| k == "page_token"))
}

/// The params of the page after `output` (the `output` of a `done` step of `op_id` called with
/// `params`), or `Value::Null` when there is none.
///
/// A page had items when the output has a non-empty top-level array (or no array at all); the
/// iteration ends when `info.more_records` is false, a page is empty, or the cursor would not move.
pub fn next_page(op_id: &str, params: Value, output: &Value) -> Result<Value, FfiError> {
    let op = registry::find(op_id).ok_or_else(|| {
        FfiError::ffi("unknown_operation", format!("unknown operation `{op_id}`"))
    })?;
    let params = match params {
        Value::Null => Map::new(),
        Value::Object(m) => m,
        _ => {
            return Err(FfiError::ffi(
                "invalid_argument",
                "params must be a JSON object or null",
            ))
        }
    };
    let info: Option<PageInfo> = output
        .get("info")
        .filter(|v| v.is_object())
        .and_then(|v| serde_json::from_value(v.clone()).ok());
    let had_items = match output {
        Value::Object(m) => {
            let mut arrays = m
                .iter()
                .filter(|(k, _)| k.as_str() != "info")
                .filter_map(|(_, v)| v.as_array())
                .peekable();
            arrays.peek().is_none() || arrays.any(|a| !a.is_empty())
        }
        _ => false,
    };
    let page = number(params.get("page"));
    let page_token = params.get("page_token").and_then(Value::as_str);
    let tokens = accepts_page_token(&op, &params);
    let Some(cursor) = next_cursor(page, page_token, info.as_ref(), had_items, tokens) else {
        return Ok(Value::Null);
    };
    let mut next = params.clone();
    match cursor {
        Cursor::Page(n) => {
            next.remove("page_token");
            next.insert("page".into(), Value::from(n));
        }
        Cursor::Token(t) => {
            next.remove("page");
            next.insert("page_token".into(), Value::String(t));
        }
    }
    Ok(Value::Object(next))
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
