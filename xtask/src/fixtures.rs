//! `fixtures generate`: one success (and, where the spec declares errors, one error) fixture per
//! operation, synthesised from the OpenAPI schema; `fixtures check`; `coverage`.
//!
//! Requests are built by the endpoints themselves (through the registry and `assemble`), from
//! sample values for the required parameters, so a fixture's request is what the SDK sends.
//! Responses are synthesised from the 2xx (or 4xx) schema: minimal (required properties, the
//! envelope's keys, one array item) and valid; the spec errors are handled by the patch table
//! and the rules in `patches::RULES`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};
use zohocrm_core::{assemble, Context, DataCenter, Environment};

use crate::model::{BodyKind, Loc, Op, OutputKind};
use crate::spec::Spec;

/// The case names this generator owns (and may rewrite).
const SUCCESS_CASE: &str = "openapi_success";
const ERROR_CASE: &str = "openapi_error";

/// Server-generated fields that request bodies must not be required to send (§2.7).
const SERVER_FIELDS: &[&str] = &[
    "created_time",
    "modified_time",
    "created_by",
    "modified_by",
    "Created_Time",
    "Modified_Time",
    "Created_By",
    "Modified_By",
];

const SAMPLE_ID: &str = "1000000000000000001";

fn fixtures_dir() -> PathBuf {
    crate::workspace_root().join("fixtures")
}

/// Schema → sample JSON.
struct Synth<'a> {
    spec: &'a Spec,
    /// Refs being expanded (recursion guard).
    stack: Vec<String>,
    /// Request bodies: server-generated fields are not required; `id` is dropped on POST.
    request: bool,
    post: bool,
    /// Prefer `oneOf` members that are errors (error fixtures) rather than successes.
    want_error: bool,
}

fn contains_error(v: &Value) -> bool {
    match v {
        Value::Object(o) => {
            o.get("status").and_then(Value::as_str) == Some("error")
                || o.values().any(contains_error)
        }
        Value::Array(a) => a.iter().any(contains_error),
        _ => false,
    }
}

fn is_error_member(v: &Value) -> bool {
    match v {
        Value::Object(o) if o.get("status").and_then(Value::as_str) == Some("error") => true,
        Value::Object(o) => o.values().any(|x| match x {
            Value::Array(a) => a.first().is_some_and(is_error_member),
            Value::Object(_) => is_error_member(x),
            _ => false,
        }),
        _ => false,
    }
}

fn sample_string(name: &str, schema: &Value) -> Value {
    let lower = name.to_ascii_lowercase();
    match schema.get("format").and_then(Value::as_str) {
        Some("date-time") => return json!("2024-01-15T10:30:00+05:30"),
        Some("date") => return json!("2024-01-15"),
        _ => {}
    }
    if lower == "id"
        || lower.ends_with("_id")
        || lower.ends_with("id") && lower.len() > 2 && name.ends_with("Id")
    {
        json!(SAMPLE_ID)
    } else if lower.contains("email") {
        json!("user@example.test")
    } else if lower == "module"
        || lower == "module_api_name"
        || lower == "module_name"
        || lower == "modulename"
    {
        json!("Leads")
    } else {
        json!("sample")
    }
}

impl Synth<'_> {
    fn value(&mut self, file: &str, schema: &Value, name: &str, depth: usize) -> Value {
        if depth > 12 {
            return Value::Null;
        }
        if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
            let key = format!("{file}#{r}");
            if self.stack.contains(&key) {
                return Value::Null;
            }
            let Some((tfile, target)) = self.spec.target(file, r) else {
                return Value::Null;
            };
            self.stack.push(key);
            let v = self.value(tfile, target, name, depth);
            self.stack.pop();
            return v;
        }
        if let Some(members) = schema
            .get("oneOf")
            .or_else(|| schema.get("anyOf"))
            .and_then(Value::as_array)
        {
            let candidates: Vec<Value> = members
                .iter()
                .map(|m| self.value(file, m, name, depth))
                .collect();
            let pick = if self.want_error {
                candidates.iter().find(|c| is_error_member(c))
            } else {
                candidates.iter().find(|c| !contains_error(c))
            };
            return pick.or(candidates.first()).cloned().unwrap_or(Value::Null);
        }
        if let Some(members) = schema.get("allOf").and_then(Value::as_array) {
            let mut merged = Map::new();
            for m in members {
                if let Value::Object(o) = self.value(file, m, name, depth) {
                    merged.extend(o);
                }
            }
            return Value::Object(merged);
        }
        if let Some(first) = schema
            .get("enum")
            .and_then(Value::as_array)
            .and_then(|e| e.first())
        {
            return first.clone();
        }
        let ty = schema.get("type").and_then(Value::as_str).unwrap_or(
            if schema.get("properties").is_some() {
                "object"
            } else {
                ""
            },
        );
        match ty {
            "object" => self.object(file, schema, depth),
            "array" => match schema.get("items") {
                None => json!([]),
                Some(items) => {
                    let mut item = self.value(file, items, name, depth + 1);
                    // §2.2#5 array-of-array where the payload is an array of objects.
                    if let Value::Array(mut inner) = item {
                        item = if inner.is_empty() {
                            Value::Null
                        } else {
                            inner.remove(0)
                        };
                    }
                    if item.is_null() {
                        json!([])
                    } else {
                        json!([item])
                    }
                }
            },
            "string" => sample_string(name, schema),
            // Ids are strings whatever the schema says (types.rs reads them as strings).
            "integer" if name == "id" || name == "field_id" => json!(SAMPLE_ID),
            "integer" => json!(1),
            "number" => json!(1.5),
            "boolean" => json!(false),
            _ => Value::Null,
        }
    }

    fn object(&mut self, file: &str, schema: &Value, depth: usize) -> Value {
        let Some(props) = schema.get("properties").and_then(Value::as_object) else {
            return json!({});
        };
        let mut required: Vec<String> = schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .filter(|k| props.contains_key(*k))
            .map(str::to_owned)
            .collect();
        if self.request {
            required.retain(|k| !(SERVER_FIELDS.contains(&k.as_str()) || self.post && k == "id"));
        }
        let keys: Vec<String> = if depth == 0 {
            // The envelope: every key (wrapper arrays, `info`).
            props.keys().cloned().collect()
        } else if !required.is_empty() {
            required
        } else {
            // Nothing required: a readable minimum (`id`, `name`, or the first property).
            let preferred: Vec<String> = ["id", "name", "api_name"]
                .iter()
                .filter(|k| props.contains_key(**k))
                .map(|k| (*k).to_owned())
                .collect();
            if preferred.is_empty() {
                props.keys().take(1).cloned().collect()
            } else {
                preferred
            }
        };
        let mut out = Map::new();
        for k in keys {
            if self.request && self.post && k == "id" && depth > 0 {
                continue;
            }
            let v = self.value(file, &props[&k], &k, depth + 1);
            out.insert(k, v);
        }
        Value::Object(out)
    }
}

fn param_sample(p: &crate::model::Param) -> Value {
    if let Some(first) = p
        .schema
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|e| e.first())
    {
        return first.clone();
    }
    match p.schema.get("type").and_then(Value::as_str) {
        Some("integer") => return json!(1),
        Some("boolean") => return json!(true),
        _ => {}
    }
    let lower = p.name.to_ascii_lowercase();
    let s = match lower.as_str() {
        "download_url" => "https://www.zohoapis.com/crm/v8/download/sample.zip",
        "feature" => "bulk-write",
        "x-crm-org" => "1000000001",
        "fields" => "id",
        "ids" => SAMPLE_ID,
        "criteria" => "(Last_Name:equals:Sample)",
        "email" => "user@example.test",
        "job_id" => SAMPLE_ID,
        "module" | "module_api_name" | "module_name" | "modulename" => "Leads",
        "type" => "sample",
        _ if lower.contains("id")
            || [
                "record",
                "user",
                "territory",
                "group",
                "event",
                "masterrecordid",
            ]
            .contains(&lower.as_str()) =>
        {
            SAMPLE_ID
        }
        _ => "sample",
    };
    json!(s)
}

fn input_for(op: &Op, synth: &mut Synth<'_>) -> Value {
    let mut input = Map::new();
    for p in &op.params {
        if p.required {
            input.insert(p.name.clone(), param_sample(p));
        }
    }
    match &op.body {
        BodyKind::None => {}
        BodyKind::Json { required, schema } => {
            if *required {
                let body = match schema {
                    Some((file, s)) => {
                        synth.request = true;
                        synth.post = op.method == "POST";
                        let v = synth.value(file, s, "body", 0);
                        synth.request = false;
                        v
                    }
                    None => json!({}),
                };
                input.insert("body".into(), if body.is_null() { json!({}) } else { body });
            }
        }
        BodyKind::Multipart { .. } => {
            let (name, ct) = if op.path.ends_with("/photo") {
                ("sample.png", "image/png")
            } else {
                ("sample.zip", "application/zip")
            };
            input.insert(
                "file".into(),
                json!([{ "file_name": name, "content_type": ct, "data": "sample file content" }]),
            );
        }
    }
    if input.is_empty() {
        Value::Null
    } else {
        Value::Object(input)
    }
}

/// The response of a case: (status, response JSON for the fixture).
fn response_for(spec: &Spec, op: &Op, synth: &mut Synth<'_>, error: bool) -> Option<(u16, Value)> {
    let responses = op.raw.get("responses")?.as_object()?;
    let mut codes: Vec<&String> = responses
        .keys()
        .filter(|c| {
            if error {
                c.starts_with('4')
            } else {
                c.starts_with('2')
            }
        })
        .collect();
    codes.sort_by_key(|c| match c.as_str() {
        "200" => 0,
        "201" => 1,
        "202" => 2,
        "207" => 3,
        "204" => 9,
        _ => 5,
    });
    for code in codes {
        let status: u16 = code.parse().ok()?;
        let (file, resp) = spec.resolve(&op.group, &responses[code])?;
        let content = resp.get("content").and_then(Value::as_object);
        let Some(content) = content.filter(|c| !c.is_empty()) else {
            if error {
                continue;
            }
            return Some((status, json!({ "status": status })));
        };
        if !error && op.output == OutputKind::Download {
            let Some(media) = content.keys().find(|k| !k.contains("json")) else {
                continue;
            };
            let body = if media.starts_with("image/") {
                json!({ "base64": "iVBORw0KGgo=" })
            } else {
                json!({ "text": "sample file content" })
            };
            let ext = if media.starts_with("image/") {
                "png"
            } else {
                "zip"
            };
            return Some((
                status,
                json!({
                    "status": status,
                    "headers": { "content-type": media, "content-disposition": format!("attachment; filename=\"sample.{ext}\"") },
                    "body": body,
                }),
            ));
        }
        let Some(media) = content.get("application/json") else {
            continue;
        };
        synth.want_error = error;
        let body = match media.get("schema") {
            Some(schema) => synth.value(file, schema, "body", 0),
            // §2.2#3 media type without schema.
            None => json!({}),
        };
        synth.want_error = false;
        if error && !is_error_member(&body) {
            continue;
        }
        return Some((
            status,
            json!({
                "status": status,
                "headers": { "content-type": "application/json;charset=UTF-8" },
                "body": body,
            }),
        ));
    }
    None
}

fn lowercase_headers(req: &http::Request<Vec<u8>>, op: &Op) -> Map<String, Value> {
    let mut headers = Map::new();
    let mut wanted: Vec<String> = op
        .params
        .iter()
        .filter(|p| p.loc == Loc::Header)
        .map(|p| p.name.to_ascii_lowercase())
        .collect();
    wanted.push("content-type".into());
    for name in wanted {
        if let Some(v) = req
            .headers()
            .get(name.as_str())
            .and_then(|v| v.to_str().ok())
        {
            headers.insert(name, json!(v));
        }
    }
    headers
}

fn build_case(
    op: &Op,
    input: &Value,
    response: Value,
    description: String,
) -> Result<Value, String> {
    let registry_op = zohocrm_core::registry::find(&op.id())
        .ok_or_else(|| format!("{}: not in the registry", op.id()))?;
    let parts = registry_op
        .build(input)
        .map_err(|e| format!("{}: cannot build: {e}", op.id()))?;
    let ctx = Context::new(DataCenter::Us, Environment::Production);
    let req = assemble(&ctx, &parts).map_err(|e| format!("{}: cannot assemble: {e}", op.id()))?;
    let mut request = Map::new();
    request.insert("method".into(), json!(req.method().as_str()));
    request.insert("uri".into(), json!(req.uri().to_string()));
    let headers = lowercase_headers(&req, op);
    if !headers.is_empty() {
        request.insert("headers".into(), Value::Object(headers));
    }
    if !req.body().is_empty() {
        let body = match serde_json::from_slice::<Value>(req.body()) {
            Ok(v) if matches!(parts.body, zohocrm_core::Body::Json(_)) => v,
            _ => json!({ "text": String::from_utf8_lossy(req.body()) }),
        };
        request.insert("body".into(), body);
    }
    let mut fixture = Map::new();
    fixture.insert("operation".into(), json!(op.id()));
    fixture.insert("description".into(), json!(description));
    if !input.is_null() {
        fixture.insert("input".into(), input.clone());
    }
    fixture.insert(
        "exchanges".into(),
        json!([{ "request": request, "response": response }]),
    );
    Ok(Value::Object(fixture))
}

fn parse_outcome(fixture: &Value) -> Result<Result<Value, zohocrm_core::Error>, String> {
    let f: zohocrm_fixtures::Fixture =
        serde_json::from_value(fixture.clone()).map_err(|e| e.to_string())?;
    let op = zohocrm_core::registry::find(&f.operation).ok_or("unknown operation")?;
    let exchange = f.exchanges.first().ok_or("no exchange")?;
    let resp = exchange.response.to_http().map_err(|e| e.0)?;
    let (head, body) = resp.into_parts();
    Ok(op.parse(&f.input, http::Response::from_parts(head, body.as_slice())))
}

fn write_json(path: &Path, v: &Value) -> Result<(), String> {
    std::fs::create_dir_all(path.parent().expect("has a parent")).map_err(|e| e.to_string())?;
    // Through the fixture type, so keys come in the documented order (operation first).
    let typed: zohocrm_fixtures::Fixture =
        serde_json::from_value(v.clone()).map_err(|e| e.to_string())?;
    let text = serde_json::to_string_pretty(&typed).map_err(|e| e.to_string())? + "\n";
    if std::fs::read_to_string(path).ok().as_deref() == Some(text.as_str()) {
        return Ok(());
    }
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Whether `dir` holds a fixture this generator did not write.
fn has_other_cases(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries.flatten().any(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name != format!("{SUCCESS_CASE}.json") && name != format!("{ERROR_CASE}.json")
        })
    })
}

/// `cargo xtask fixtures generate --spec <dir>`.
pub fn generate(args: &[String]) -> Result<bool, String> {
    let spec = crate::load_spec(args)?;
    let ops = crate::model::operations(&spec)?;
    let dir = fixtures_dir();
    let mut problems = Vec::new();
    let (mut written, mut errors_written) = (0, 0);
    for op in &ops {
        let id = op.id();
        let op_dir = dir.join(&op.group).join(&op.snake);
        if crate::overrides::of(&id).is_some() && has_other_cases(&op_dir) {
            // A hand-written endpoint type with documentation-sample fixtures: its input is
            // its own, and the samples are the better test. One without any still gets one.
            continue;
        }
        let mut synth = Synth {
            spec: &spec,
            stack: Vec::new(),
            request: false,
            post: false,
            want_error: false,
        };
        let input = input_for(op, &mut synth);
        let where_ = format!("v8.0/{}.json, {} {}", op.group, op.method, op.path);
        // Success case.
        match response_for(&spec, op, &mut synth, false) {
            None => problems.push(format!("{id}: no 2xx response to synthesise")),
            Some((status, response)) => {
                let description = format!(
                    "Success ({status}) synthesised from the 2xx schema; source: OpenAPI schema ({where_}); request built from sample values for the required parameters"
                );
                let fixture = build_case(op, &input, response, description)?;
                match parse_outcome(&fixture)? {
                    Ok(_) => {
                        write_json(
                            &dir.join(&op.group)
                                .join(&op.snake)
                                .join(format!("{SUCCESS_CASE}.json")),
                            &fixture,
                        )?;
                        written += 1;
                    }
                    Err(e) => {
                        problems.push(format!("{id}: synthesised success does not parse: {e}"))
                    }
                }
            }
        }
        // Error case, where the spec declares a JSON 4xx.
        if let Some((status, response)) = response_for(&spec, op, &mut synth, true) {
            let description = format!(
                "Error ({status}) synthesised from the first declared error schema; source: OpenAPI schema ({where_}); request built from sample values for the required parameters"
            );
            let fixture = build_case(op, &input, response, description)?;
            // A Zoho error, or (batch operations) per-item outcomes that hold the error.
            let outcome = parse_outcome(&fixture)?;
            let item_errors = matches!(&outcome, Ok(v) if v.get("items").and_then(Value::as_array)
                .is_some_and(|items| items.iter().any(|i| i.get("error").is_some())));
            match outcome {
                _ if item_errors => {
                    write_json(
                        &dir.join(&op.group)
                            .join(&op.snake)
                            .join(format!("{ERROR_CASE}.json")),
                        &fixture,
                    )?;
                    errors_written += 1;
                }
                Err(zohocrm_core::Error::Api { .. }) => {
                    write_json(
                        &dir.join(&op.group)
                            .join(&op.snake)
                            .join(format!("{ERROR_CASE}.json")),
                        &fixture,
                    )?;
                    errors_written += 1;
                }
                other => problems.push(format!(
                    "{id}: synthesised error is not an API error: {other:?}"
                )),
            }
        }
    }
    println!("{written} success and {errors_written} error fixtures generated (existing cases of other names untouched)");
    for p in &problems {
        eprintln!("problem: {p}");
    }
    Ok(problems.is_empty())
}

/// Every fixture file: (path, operation id, loaded fixture or error).
fn all_fixtures() -> Result<Vec<(PathBuf, zohocrm_fixtures::Fixture)>, String> {
    zohocrm_fixtures::load_dir(&fixtures_dir()).map_err(|e| e.0)
}

/// `cargo xtask fixtures check`: every fixture loads, names a known operation, and (for
/// single-exchange cases) its request is what the endpoint builds; every operation has a fixture.
pub fn check(_args: &[String]) -> Result<bool, String> {
    let mut problems = Vec::new();
    let fixtures = all_fixtures()?;
    let ctx = Context::new(DataCenter::Us, Environment::Production);
    let known = zohocrm_core::registry::all();
    let mut covered: BTreeMap<&str, usize> = known.iter().map(|o| (o.id, 0)).collect();
    for (path, f) in &fixtures {
        let shown = path
            .strip_prefix(fixtures_dir())
            .unwrap_or(path)
            .display()
            .to_string();
        let Some(op) = known.iter().find(|o| o.id == f.operation) else {
            // Scenario fixtures may drive any operation; the id must still exist.
            problems.push(format!("{shown}: unknown operation `{}`", f.operation));
            continue;
        };
        *covered.entry(op.id).or_default() += 1;
        if f.exchanges.is_empty() {
            problems.push(format!("{shown}: no exchanges"));
            continue;
        }
        let scenario = path
            .strip_prefix(fixtures_dir())
            .is_ok_and(|p| p.starts_with("scenarios"));
        if !scenario && f.session.is_none() && f.exchanges.len() == 1 {
            match op.build(&f.input).and_then(|parts| assemble(&ctx, &parts)) {
                Ok(req) => {
                    if let Some(diff) = f.exchanges[0].request.mismatch(&req) {
                        problems.push(format!("{shown}: request differs: {diff}"));
                    }
                }
                Err(e) => problems.push(format!("{shown}: cannot build the request: {e}")),
            }
        }
        for (i, ex) in f.exchanges.iter().enumerate() {
            if ex.response.transport_error.is_none() {
                if let Err(e) = ex.response.to_http() {
                    problems.push(format!("{shown}: exchange {i}: {e}"));
                }
            }
        }
    }
    let uncovered: Vec<&str> = covered
        .iter()
        .filter(|(_, n)| **n == 0)
        .map(|(id, _)| *id)
        .collect();
    for id in &uncovered {
        problems.push(format!("operation {id} has no fixture"));
    }
    println!(
        "{} fixtures, {} operations, {} without a fixture",
        fixtures.len(),
        known.len(),
        uncovered.len()
    );
    for p in &problems {
        eprintln!("problem: {p}");
    }
    Ok(problems.is_empty())
}

/// `cargo xtask coverage --spec <dir>`: group, method, path template, endpoint type, fixtures.
/// One line of the coverage table.
struct CoverageRow {
    group: String,
    method: String,
    path: String,
    endpoint: String,
    fixtures: Vec<String>,
    output: String,
}

fn coverage_rows(args: &[String]) -> Result<Vec<CoverageRow>, String> {
    let ops = crate::load_ops(args)?;
    let fixtures = all_fixtures()?;
    let known = zohocrm_core::registry::all();
    Ok(ops
        .iter()
        .map(|op| {
            let id = op.id();
            let found = known.iter().find(|o| o.id == id);
            let endpoint = match found {
                Some(o) => match o.hand_written_type() {
                    Some(t) => format!("{} (hand-written)", public_path(t)),
                    None => format!("zohocrm_core::generated::{}::{}", op.group, op.type_name),
                },
                None => "-".to_owned(),
            };
            let output = found.map_or("-".to_owned(), |o| {
                let t = o.output_type();
                if t.contains("::generated::") {
                    t.to_owned()
                } else {
                    public_path(t)
                }
            });
            let fixtures = fixtures
                .iter()
                .filter(|(_, f)| f.operation == id)
                .map(|(p, _)| {
                    p.strip_prefix(fixtures_dir())
                        .unwrap_or(p)
                        .display()
                        .to_string()
                })
                .collect();
            CoverageRow {
                group: op.group.clone(),
                method: op.method.clone(),
                path: op.path.clone(),
                endpoint,
                fixtures,
                output,
            }
        })
        .collect())
}

/// The public path of a hand-written type: hand-written modules re-export their private
/// submodules' items (`zohocrm_core::territories::settings::X` is `zohocrm_core::territories::X`).
fn public_path(type_name: &str) -> String {
    let parts: Vec<&str> = type_name.split("::").collect();
    match parts.as_slice() {
        [krate, module, .., name] => format!("{krate}::{module}::{name}"),
        _ => type_name.to_owned(),
    }
}

/// `COVERAGE.md`: one table row per spec operation.
fn coverage_markdown(rows: &[CoverageRow]) -> String {
    let covered = rows
        .iter()
        .filter(|r| r.endpoint != "-" && !r.fixtures.is_empty())
        .count();
    let fixtures: usize = rows.iter().map(|r| r.fixtures.len()).sum();
    let mut out = format!(
        "<!-- @generated by cargo xtask coverage --write — do not edit -->\n\
         # Coverage of Zoho CRM v8\n\n\
         {covered} of {} operations of Zoho's OpenAPI files have an endpoint type and at least one \
         fixture ({fixtures} fixtures in all). Fixture paths are under `fixtures/`.\n\n\
         | group | method | path | endpoint | output | fixtures |\n| --- | --- | --- | --- | --- | --- |\n",
        rows.len()
    );
    for r in rows {
        let _ = writeln!(
            out,
            "| {} | {} | `{}` | `{}` | `{}` | {} |",
            r.group,
            r.method,
            r.path,
            r.endpoint,
            r.output,
            r.fixtures.join(", ")
        );
    }
    out
}

/// `cargo xtask coverage --spec DIR [--write | --check]`: the TSV on stdout, or `COVERAGE.md`
/// written or compared. Fails when an operation has no endpoint or no fixture.
pub fn coverage(args: &[String]) -> Result<bool, String> {
    let rows = coverage_rows(args)?;
    let complete = rows
        .iter()
        .all(|r| r.endpoint != "-" && !r.fixtures.is_empty());
    let path = crate::workspace_root().join("COVERAGE.md");
    if args.iter().any(|a| a == "--write" || a == "--check") {
        let text = coverage_markdown(&rows);
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        if args.iter().any(|a| a == "--check") {
            if current != text {
                eprintln!(
                    "COVERAGE.md is out of date: run cargo xtask coverage --spec <dir> --write"
                );
                return Ok(false);
            }
            println!("COVERAGE.md is up to date ({} operations)", rows.len());
        } else {
            std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
            println!("wrote {}", path.display());
        }
        return Ok(complete);
    }
    println!("group\tmethod\tpath\tendpoint\tfixtures\toutput");
    for r in &rows {
        println!(
            "{}\t{}\t{}\t{}\t{}\t{}",
            r.group,
            r.method,
            r.path,
            r.endpoint,
            r.fixtures.join(","),
            r.output
        );
    }
    Ok(complete)
}
