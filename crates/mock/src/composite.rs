//! Composite requests (`POST /crm/v8/__composite_requests`): up to five sub-requests run
//! through the org's own router, one after the other.
//!
//! Choices where Zoho's documents are silent or disagree:
//! - the concurrency flag is read under both names, `parallel_execution` (the v8 overview) and
//!   `concurrent_execution` (the v8 OpenAPI file); sub-requests always run in order;
//! - references `@{sub_request_id:$.path}` (paths of `.key` and `[index]` steps) are resolved
//!   in `uri`, `params` and string values of `body` against earlier answers; an unknown id or
//!   path is `INVALID_REFERENCE` for that sub-request;
//! - a sub-request failed when its status is 400 or more or its body has an item with
//!   `status: "error"`. With `rollback_on_fail`, the first failure restores the records,
//!   territories and recycle bin as they were, the sub-requests run so far answer
//!   `ROLLBACK_PERFORMED` and the rest `PROCESSING_STOPPED`, with HTTP 400;
//! - only `/crm/v8/...` sub-requests are served; a higher version is `NOT_SUPPORTED`, bulk and
//!   upload paths are `NOT_ALLOWED`, as are `authorization` and `x-crm-org` headers.

use serde_json::{json, Map, Value};

use crate::org::{Org, Routed};
use crate::util::{api_error, error_obj, json_body, Request, Response};

const MAX: usize = 5;

/// A header or parameter value: strings as they are, anything else as JSON text.
fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn sub_error(code: &str, message: &str, details: Value) -> Value {
    error_obj(code, message, details)
}

/// Follows `$.a.b[0].c` in `v`.
fn follow<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    let mut cur = v;
    let rest = path.strip_prefix('$')?;
    let mut chars = rest.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '.' => {
                let mut key = String::new();
                while let Some(&n) = chars.peek() {
                    if n == '.' || n == '[' {
                        break;
                    }
                    key.push(n);
                    chars.next();
                }
                cur = cur.get(&key)?;
            }
            '[' => {
                let mut idx = String::new();
                for n in chars.by_ref() {
                    if n == ']' {
                        break;
                    }
                    idx.push(n);
                }
                cur = cur.get(idx.parse::<usize>().ok()?)?;
            }
            _ => return None,
        }
    }
    Some(cur)
}

/// Replaces every `@{id:$.path}` in `s`; `Err(reference)` when one cannot be resolved.
fn resolve(s: &str, done: &[(String, Value)]) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = s;
    while let Some(start) = rest.find("@{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            return Err(rest[start..].to_owned());
        };
        let reference = &after[..end];
        let (id, path) = reference
            .split_once(':')
            .ok_or_else(|| reference.to_owned())?;
        let value = done
            .iter()
            .find(|(i, _)| i == id)
            .and_then(|(_, body)| follow(body, path))
            .ok_or_else(|| format!("@{{{reference}}}"))?;
        match value {
            Value::String(s) => out.push_str(s),
            other => out.push_str(&other.to_string()),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn resolve_value(v: &Value, done: &[(String, Value)]) -> Result<Value, String> {
    Ok(match v {
        Value::String(s) => Value::String(resolve(s, done)?),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|i| resolve_value(i, done))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, v)| Ok((k.clone(), resolve_value(v, done)?)))
                .collect::<Result<Map<_, _>, String>>()?,
        ),
        other => other.clone(),
    })
}

fn failed(resp: &Response) -> bool {
    if resp.status >= 400 {
        return true;
    }
    let Ok(v) = serde_json::from_slice::<Value>(&resp.body) else {
        return false;
    };
    v.as_object().is_some_and(|o| {
        o.values().any(|items| {
            items
                .as_array()
                .is_some_and(|a| a.iter().any(|i| i["status"] == "error"))
        })
    })
}

impl Org {
    /// `POST /crm/v8/__composite_requests`.
    pub(crate) fn composite(&mut self, req: &Request) -> Response {
        let body = match json_body(req) {
            Ok(b) => b,
            Err(r) => return r,
        };
        let Some(items) = body.get("__composite_requests").and_then(Value::as_array) else {
            return api_error(
                400,
                "MANDATORY_NOT_FOUND",
                "required field not found",
                json!({"api_name": "__composite_requests", "json_path": "$.__composite_requests"}),
            );
        };
        if items.is_empty() || items.len() > MAX {
            return api_error(
                400,
                "INVALID_DATA",
                "invalid data",
                json!({"api_name": "__composite_requests", "json_path": "$.__composite_requests", "maximum_length": MAX}),
            );
        }
        let rollback = body.get("rollback_on_fail").and_then(Value::as_bool) == Some(true);
        let parallel = body
            .get("parallel_execution")
            .or_else(|| body.get("concurrent_execution"))
            .and_then(Value::as_bool);
        if rollback && parallel == Some(true) {
            let which = if body.contains_key("parallel_execution") {
                "parallel_execution"
            } else {
                "concurrent_execution"
            };
            return api_error(
                400,
                "AMBIGUITY_DURING_PROCESSING",
                "ambiguity while processing the request",
                json!({"ambiguity_due_to": [
                    {"api_name": "rollback_on_fail", "json_path": "$.rollback_on_fail"},
                    {"api_name": which, "json_path": format!("$.{which}")}
                ]}),
            );
        }
        let mut ids = Vec::new();
        for (i, item) in items.iter().enumerate() {
            if let Some(id) = item.get("sub_request_id").and_then(Value::as_str) {
                if ids.contains(&id) {
                    return api_error(
                        400,
                        "DUPLICATE_DATA",
                        "duplicate data",
                        json!({"api_name": "sub_request_id", "json_path": format!("$.__composite_requests[{i}].sub_request_id")}),
                    );
                }
                ids.push(id);
            }
        }
        let snapshot = rollback.then(|| {
            (
                self.records.clone(),
                self.territories.clone(),
                self.deleted.clone(),
            )
        });
        let mut out: Vec<Value> = Vec::with_capacity(items.len());
        let mut done: Vec<(String, Value)> = Vec::new();
        let mut rolled_back_by: Option<usize> = None;
        for (i, item) in items.iter().enumerate() {
            if let Some(by) = rolled_back_by {
                out.push(sub_error(
                    "PROCESSING_STOPPED",
                    "processing stopped",
                    json!({"rollbacked_by_sub_request_index": by}),
                ));
                continue;
            }
            let id = item
                .get("sub_request_id")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .unwrap_or_else(|| (i + 1).to_string());
            let (resp, answer) = match self.sub_request(item, &done) {
                Ok(resp) => {
                    let body: Value = serde_json::from_slice(&resp.body).unwrap_or(Value::Null);
                    let headers: Map<String, Value> = resp
                        .headers
                        .iter()
                        .filter(|(k, _)| k != "content-length")
                        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                        .collect();
                    let answer = json!({
                        "code": "SUCCESS",
                        "details": {"response": {"headers": headers, "status_code": resp.status, "body": body}},
                        "message": "composite sub request executed successfully",
                        "status": "success",
                    });
                    done.push((id, body));
                    (Some(resp), answer)
                }
                Err(error) => (None, error),
            };
            let bad = resp.as_ref().is_none_or(failed);
            out.push(answer);
            if rollback && bad {
                rolled_back_by = Some(i);
            }
        }
        if let (Some(by), Some((records, territories, deleted))) = (rolled_back_by, snapshot) {
            self.records = records;
            self.territories = territories;
            self.deleted = deleted;
            for item in out.iter_mut().take(by + 1) {
                *item = sub_error(
                    "ROLLBACK_PERFORMED",
                    "rollback performed",
                    json!({"rollbacked_by_sub_request_index": by}),
                );
            }
            return Response::json(400, &json!({"__composite_requests": out}));
        }
        Response::json(200, &json!({"__composite_requests": out}))
    }

    /// Runs one sub-request; `Err` is the error object of a sub-request that did not run.
    fn sub_request(&mut self, item: &Value, done: &[(String, Value)]) -> Result<Response, Value> {
        let method = item
            .get("method")
            .and_then(Value::as_str)
            .map(str::to_ascii_uppercase)
            .ok_or_else(|| {
                sub_error(
                    "MANDATORY_NOT_FOUND",
                    "required field not found",
                    json!({"api_name": "method"}),
                )
            })?;
        let uri = item.get("uri").and_then(Value::as_str).ok_or_else(|| {
            sub_error(
                "MANDATORY_NOT_FOUND",
                "required field not found",
                json!({"api_name": "uri"}),
            )
        })?;
        let invalid_ref = |reference: String| {
            sub_error(
                "INVALID_REFERENCE",
                "invalid reference",
                json!({"api_name": "uri", "reference": reference}),
            )
        };
        let uri = resolve(uri, done).map_err(invalid_ref)?;
        let (path, inline_query) = match uri.split_once('?') {
            Some((p, q)) => (p.to_owned(), Some(q.to_owned())),
            None => (uri.clone(), None),
        };
        let Some(rest) = path.strip_prefix("/crm/v8/") else {
            let newer = path
                .strip_prefix("/crm/v")
                .and_then(|r| r.split('/').next())
                .and_then(|v| v.parse::<u32>().ok())
                .is_some_and(|v| v > 8);
            return Err(if newer {
                sub_error(
                    "NOT_SUPPORTED",
                    "the sub request version is higher than the composite request's",
                    json!({"sub_request_version": 9, "composite_request_version": 8}),
                )
            } else {
                sub_error(
                    "NOT_ALLOWED",
                    "the api is not allowed in composite requests",
                    json!({"api_name": "uri"}),
                )
            });
        };
        if rest.starts_with("upload") || rest.starts_with("__composite_requests") {
            return Err(sub_error(
                "NOT_ALLOWED",
                "the api is not allowed in composite requests",
                json!({"api_name": "uri"}),
            ));
        }
        let mut headers = vec![("content-type".to_owned(), "application/json".to_owned())];
        if let Some(h) = item.get("headers").and_then(Value::as_object) {
            for (k, v) in h {
                if k.eq_ignore_ascii_case("authorization") || k.eq_ignore_ascii_case("x-crm-org") {
                    return Err(sub_error(
                        "NOT_ALLOWED",
                        "restricted headers",
                        json!({"api_name": "headers", "restricted_headers": [k]}),
                    ));
                }
                headers.push((k.to_ascii_lowercase(), text_of(v)));
            }
        }
        let mut query: Vec<String> = inline_query.into_iter().collect();
        if let Some(params) = item.get("params").and_then(Value::as_object) {
            for (k, v) in params {
                let v = resolve_value(v, done).map_err(invalid_ref)?;
                let text = text_of(&v);
                query.push(format!(
                    "{}={}",
                    percent_encoding::utf8_percent_encode(k, percent_encoding::NON_ALPHANUMERIC),
                    percent_encoding::utf8_percent_encode(
                        &text,
                        percent_encoding::NON_ALPHANUMERIC
                    )
                ));
            }
        }
        let body = match item.get("body") {
            None | Some(Value::Null) => Vec::new(),
            Some(b) => serde_json::to_vec(&resolve_value(b, done).map_err(invalid_ref)?)
                .unwrap_or_default(),
        };
        let sub = Request::new(
            method,
            path.clone(),
            (!query.is_empty()).then(|| query.join("&")),
            headers,
            body,
        );
        let tail: Vec<String> = sub.segments().iter().skip(2).cloned().collect();
        let tail: Vec<&str> = tail.iter().map(String::as_str).collect();
        Ok(match self.route(&sub, &tail) {
            Routed::Handled(r) | Routed::Rejected(r) | Routed::Unserved(r) => r,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references() {
        let done = vec![("1".to_owned(), json!({"data": [{"details": {"id": "42"}}]}))];
        assert_eq!(
            resolve("/crm/v8/Leads/@{1:$.data[0].details.id}", &done).unwrap(),
            "/crm/v8/Leads/42"
        );
        assert!(resolve("@{2:$.data}", &done).is_err());
        assert!(resolve("@{1:$.nope}", &done).is_err());
    }
}
