//! `zcrm api METHOD PATH`: any API call (core `Raw`), and `zcrm call OP`: any registry
//! operation by id. Both print the response JSON.

use std::io::Write;

use serde_json::{Map, Value};
use zohocrm_core::raw::Raw;

use crate::cli::{ApiArgs, CallArgs};
use crate::error::{CliError, Exit};
use crate::input::read_json;
use crate::output::{write_value, Format};
use crate::App;

/// Decodes `%XX` escapes (a query written in the path); anything malformed is kept as is.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = |b: u8| (b as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn key_value(text: &str, what: &str) -> Result<(String, String), CliError> {
    text.split_once('=')
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .filter(|(k, _)| !k.is_empty())
        .ok_or_else(|| CliError::Usage(format!("{what} `{text}` is not of the form key=value")))
}

/// The `Raw` call of `zcrm api`: relative paths get `/crm/v8/`, a `?query` in the path is split
/// into parameters.
pub fn raw_call(args: &ApiArgs) -> Result<Raw, CliError> {
    let method = http::Method::from_bytes(args.method.trim().to_ascii_uppercase().as_bytes())
        .map_err(|_| CliError::Usage(format!("`{}` is not an HTTP method", args.method)))?;
    let (path, query) = match args.path.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (args.path.as_str(), None),
    };
    let path = if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("/crm/v8/{path}")
    };
    let mut raw = Raw::new(method, path);
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        raw = raw.query(percent_decode(k), percent_decode(v));
    }
    for q in &args.query {
        let (k, v) = key_value(q, "query parameter")?;
        raw = raw.query(k, v);
    }
    if let Some(input) = &args.input {
        raw = raw.body(read_json(input)?);
    }
    Ok(raw)
}

/// Sends the call and prints the body (nothing for 204); the status goes to stderr when it is
/// not 200.
pub fn run(app: &App, args: ApiArgs) -> Result<(), CliError> {
    let raw = raw_call(&args)?;
    let response = app.client()?.send(&raw)?;
    if response.status != 200 {
        crate::term::say(format!("HTTP {}", response.status));
    }
    let format = if app.explicit_format {
        app.format
    } else {
        Format::Json
    };
    let mut out = app.stdout();
    if let Some(body) = &response.body {
        write_value(format, &mut out, body)?;
    }
    out.flush()?;
    Ok(())
}

/// `zcrm call OP`: the input is `--input` (a JSON object) and/or `-p name=value` pairs. A value
/// is sent as text where the operation declares a text parameter (`-p id=2276164000001054258`
/// stays a string, whatever its digits), as JSON elsewhere when it parses (`-p per_page=10`).
/// The output is the operation's typed value as JSON; the exit code is 1 when any item of a
/// batch failed or a composite call was rolled back, whatever the HTTP status.
pub fn call(app: &App, args: CallArgs) -> Result<(), CliError> {
    let mut input = match &args.input {
        Some(path) => match read_json(path)? {
            Value::Object(o) => o,
            _ => {
                return Err(CliError::Usage(
                    "the --input of `call` must be a JSON object".into(),
                ))
            }
        },
        None => Map::new(),
    };
    let Some(op) = zohocrm_core::registry::find(&args.op) else {
        return Err(CliError::Usage(format!(
            "unknown operation `{}`; list them with `zcrm ops {}`",
            args.op,
            args.op.split('.').next().unwrap_or("")
        )));
    };
    for p in &args.params {
        let (k, v) = key_value(p, "parameter")?;
        let text_param = op.op_spec().is_some_and(|spec| {
            spec.params
                .iter()
                .any(|p| p.name == k && p.kind == zohocrm_core::op_spec::Kind::Str)
        });
        let value = if text_param {
            Value::String(v)
        } else {
            serde_json::from_str(&v).unwrap_or(Value::String(v))
        };
        input.insert(k, value);
    }
    let input = if input.is_empty() {
        Value::Null
    } else {
        Value::Object(input)
    };
    let output = app.client()?.call(&args.op, input)?;
    let format = if app.explicit_format {
        app.format
    } else {
        Format::Json
    };
    let mut out = app.stdout();
    write_value(format, &mut out, &output)?;
    out.flush()?;
    let (failed, total) = item_failures(&output);
    if failed > 0 {
        eprintln!("zcrm: {failed} of {total} items failed (see their errors above)");
        return Err(CliError::Reported(Exit::Api));
    }
    Ok(())
}

/// (failed, total) items of a per-item answer (`{"items": [{"ok": ..} | {"error": ..}]}`: batch
/// actions and composite calls, a rolled-back composite's items included).
fn item_failures(output: &Value) -> (usize, usize) {
    let items = output
        .get("items")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let failed = items.iter().filter(|i| i.get("error").is_some()).count();
    (failed, items.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(method: &str, path: &str, query: &[&str]) -> ApiArgs {
        ApiArgs {
            method: method.into(),
            path: path.into(),
            query: query.iter().map(|s| s.to_string()).collect(),
            input: None,
        }
    }

    #[test]
    fn paths_and_queries() {
        let raw = raw_call(&args(
            "get",
            "Leads?fields=Last_Name%2CEmail",
            &["per_page=5"],
        ))
        .unwrap();
        assert_eq!(raw.method, "GET");
        assert_eq!(raw.path, "/crm/v8/Leads");
        assert_eq!(
            raw.query,
            vec![
                ("fields".to_string(), "Last_Name,Email".to_string()),
                ("per_page".to_string(), "5".to_string())
            ]
        );
        assert!(raw_call(&args("GET", "/crm/v8/Leads", &["novalue"])).is_err());
        assert!(raw_call(&args("NOT A METHOD", "/x", &[])).is_err());
        assert_eq!(percent_decode("a%2"), "a%2");
    }
}
