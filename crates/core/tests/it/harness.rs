//! Shared pieces: a JSON-driven endpoint, result rendering, request rendering.

use serde_json::{json, Value};
use zohocrm_core::registry::Operation;
use zohocrm_core::{BuildError, Endpoint, Error, RequestParts};

/// Drives a registry operation with a JSON input through the typed Endpoint machinery.
pub struct Dyn {
    pub op: Operation,
    pub input: Value,
}

impl Endpoint for Dyn {
    const ID: &'static str = "test.dyn";
    type Output = Value;

    fn parts(&self) -> Result<RequestParts, BuildError> {
        self.op.build(&self.input)
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<Value, Error> {
        self.op.parse(&self.input, response)
    }
}

pub fn find_op(id: &str) -> Operation {
    zohocrm_core::registry::find(id).unwrap_or_else(|| panic!("no operation with id `{id}`"))
}

pub fn render_result(result: &Result<Value, Error>) -> Value {
    match result {
        Ok(v) => json!({ "ok": v }),
        Err(e) => render_error(e),
    }
}

pub fn render_error(e: &Error) -> Value {
    let kind = match e {
        Error::Api { .. } => "api",
        Error::Http { .. } => "http",
        Error::Auth(_) => "auth",
        Error::Transport(_) => "transport",
        Error::Decode(_) => "decode",
        Error::Build(_) => "build",
        _ => "other",
    };
    let mut out = json!({ "error": { "kind": kind, "display": e.to_string() } });
    if let Some(code) = e.api_code() {
        out["error"]["code"] = json!(code.as_str());
    }
    if let Some(status) = e.status() {
        out["error"]["status"] = json!(status);
    }
    if let Error::Api { error, .. } = e {
        if !error.details.is_null() {
            out["error"]["details"] = error.details.clone();
        }
    }
    out
}

/// A request as shown in snapshots: method, URI, the headers that carry meaning, and the body.
pub fn render_request(req: &http::Request<Vec<u8>>) -> Value {
    let mut headers = serde_json::Map::new();
    for (name, value) in req.headers() {
        if name == http::header::USER_AGENT {
            continue;
        }
        let v = if value.is_sensitive() {
            // Scenario tokens are fakes, but keep the rule visible: only the prefix is shown.
            let s = value.to_str().unwrap_or("");
            format!(
                "{}…",
                &s[..s.len().min("Zoho-oauthtoken fake-access".len())]
            )
        } else {
            value.to_str().unwrap_or("<binary>").to_owned()
        };
        headers.insert(name.as_str().to_owned(), Value::String(v));
    }
    let body = req.body();
    let body = if body.is_empty() {
        Value::Null
    } else if let Ok(v) = serde_json::from_slice::<Value>(body) {
        v
    } else if req
        .headers()
        .get(http::header::CONTENT_TYPE)
        .is_some_and(|c| {
            c.as_bytes()
                .starts_with(b"application/x-www-form-urlencoded")
        })
    {
        let pairs = zohocrm_fixtures::form_pairs(body);
        let mut form = serde_json::Map::new();
        for (k, v) in pairs {
            let secret = matches!(k.as_str(), "client_secret" | "refresh_token" | "code");
            form.insert(
                k,
                Value::String(if secret { "<redacted>".into() } else { v }),
            );
        }
        json!({ "form": form })
    } else {
        json!({ "text": String::from_utf8_lossy(body) })
    };
    json!({
        "method": req.method().as_str(),
        "uri": req.uri().to_string(),
        "headers": headers,
        "body": body,
    })
}
