//! The operations of the (patched) spec, as the generator and the fixture synthesiser see them.

use serde_json::Value;

use crate::names::{camel, rust_ident, snake};
use crate::spec::Spec;

/// Where a parameter goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loc {
    /// A `{placeholder}` of the path template.
    Path,
    /// A query parameter.
    Query,
    /// A header.
    Header,
}

/// The Rust type of a query or header value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    /// `String` (strings, and JSON-valued parameters such as `filters`, as text).
    Str,
    /// `i64`.
    Int,
    /// `bool`.
    Bool,
}

/// One parameter.
#[derive(Debug, Clone)]
pub struct Param {
    /// The API name (`per_page`, `X-EXTERNAL`, `module_api_name`).
    pub name: String,
    /// The Rust field and setter name.
    pub ident: String,
    /// Where it goes.
    pub loc: Loc,
    /// Whether the spec requires it.
    pub required: bool,
    /// The value type.
    pub ty: Ty,
    /// The resolved schema (for sample values).
    pub schema: Value,
}

/// The request body.
#[derive(Debug, Clone)]
pub enum BodyKind {
    /// No body.
    None,
    /// `application/json`; the schema (resolved lazily by the synthesiser) with its file.
    Json {
        /// Whether the body is required.
        required: bool,
        /// The schema as written, and the file it is written in.
        schema: Option<(String, Value)>,
    },
    /// `multipart/form-data` with file parts.
    Multipart {
        /// Whether the body is required.
        required: bool,
    },
}

/// What a success is parsed into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputKind {
    /// `outputs::ApiResponse` (JSON envelopes, 204/304 as `None`).
    Json,
    /// `outputs::Download` (bytes, content type, file name).
    Download,
}

/// One operation.
#[derive(Debug, Clone)]
pub struct Op {
    /// The spec file stem.
    pub group: String,
    /// The operationId as written.
    pub operation_id: String,
    /// `snake(operationId)` (with a deterministic suffix on a collision inside the group).
    pub snake: String,
    /// The Rust type name.
    pub type_name: String,
    /// Upper-case method.
    pub method: String,
    /// The path template as written.
    pub path: String,
    /// Parameters: path ones in template order, then query and header ones in spec order.
    pub params: Vec<Param>,
    /// The body.
    pub body: BodyKind,
    /// The output kind.
    pub output: OutputKind,
    /// OAuth scopes (trimmed, empty ones dropped).
    pub scopes: Vec<String>,
    /// Whether the operation is served by the content (upload) host.
    pub content_host: bool,
    /// The path parameter that holds a whole URL (`/{download_url}`), if any.
    pub absolute_url: Option<String>,
    /// The operation object (patched), for the fixture synthesiser.
    pub raw: Value,
}

impl Op {
    /// The stable endpoint id: `<group>.<snake>`.
    pub fn id(&self) -> String {
        format!("{}.{}", self.group, self.snake)
    }
}

const METHODS: &[&str] = &["get", "post", "put", "patch", "delete"];

const DOWNLOAD_TYPES: &[&str] = &[
    "application/octet-stream",
    "application/x-download",
    "multipart/form-data",
];

fn is_download_type(media: &str) -> bool {
    DOWNLOAD_TYPES.contains(&media) || media.starts_with("image/")
}

/// Every operation of every file except `common.json`, sorted by group, path, method.
pub fn operations(spec: &Spec) -> Result<Vec<Op>, String> {
    let mut ops = Vec::new();
    for (group, doc) in &spec.docs {
        if group == "common" {
            continue;
        }
        let mut group_ops = Vec::new();
        let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
            continue;
        };
        for (path, item) in paths {
            for method in METHODS {
                let Some(op) = item.get(*method) else {
                    continue;
                };
                group_ops.push(operation(spec, group, doc, path, method, op)?);
            }
        }
        group_ops.sort_by(|a, b| (&a.path, &a.method).cmp(&(&b.path, &b.method)));
        // Deterministic suffixes for names that still collide inside a group (none today).
        let mut seen: std::collections::BTreeMap<String, usize> = Default::default();
        for op in &mut group_ops {
            let n = seen.entry(op.snake.clone()).or_insert(0);
            *n += 1;
            if *n > 1 {
                op.snake = format!("{}_{}", op.snake, n);
                op.type_name = format!("{}{}", op.type_name, n);
            }
        }
        ops.extend(group_ops);
    }
    Ok(ops)
}

fn operation(
    spec: &Spec,
    group: &str,
    doc: &Value,
    path: &str,
    method: &str,
    op: &Value,
) -> Result<Op, String> {
    let where_ = format!("{group}.json {} {path}", method.to_uppercase());
    let operation_id = op
        .get("operationId")
        .and_then(Value::as_str)
        .ok_or_else(|| format!("{where_}: no operationId"))?
        .to_owned();
    let mut declared = Vec::new();
    let item_params = doc
        .pointer(&format!(
            "/paths/{}/parameters",
            path.replace('~', "~0").replace('/', "~1")
        ))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let op_params = op
        .get("parameters")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for p in item_params.iter().chain(op_params.iter()) {
        let (file, p) = spec
            .resolve(group, p)
            .ok_or_else(|| format!("{where_}: unresolvable parameter {p}"))?;
        let name = p
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("{where_}: parameter without name"))?;
        let loc = match p.get("in").and_then(Value::as_str) {
            Some("path") => Loc::Path,
            Some("query") => Loc::Query,
            Some("header") => Loc::Header,
            other => return Err(format!("{where_}: parameter {name} in {other:?}")),
        };
        let schema = p
            .get("schema")
            .and_then(|s| spec.resolve(file, s))
            .map(|(_, s)| s.clone())
            .unwrap_or(Value::Null);
        let ty = match schema.get("type").and_then(Value::as_str) {
            Some("integer") => Ty::Int,
            Some("boolean") => Ty::Bool,
            _ => Ty::Str,
        };
        let required =
            loc == Loc::Path || p.get("required").and_then(Value::as_bool).unwrap_or(false);
        declared.push(Param {
            name: name.to_owned(),
            ident: rust_ident(name),
            loc,
            required,
            ty,
            schema,
        });
    }
    // Path parameters in template order (RequestParts fills placeholders in order).
    let mut params = Vec::new();
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        let close = rest[open..]
            .find('}')
            .ok_or_else(|| format!("{where_}: unclosed placeholder"))?
            + open;
        let name = &rest[open + 1..close];
        let p = declared
            .iter()
            .find(|p| p.loc == Loc::Path && p.name == name)
            .ok_or_else(|| format!("{where_}: placeholder {name} not declared"))?;
        params.push(p.clone());
        rest = &rest[close + 1..];
    }
    params.extend(declared.iter().filter(|p| p.loc != Loc::Path).cloned());
    // Rust names must be unique; so must the JSON input names.
    let mut idents = std::collections::BTreeSet::from(["body".to_owned(), "file".to_owned()]);
    let mut names = std::collections::BTreeSet::from(["body".to_owned(), "file".to_owned()]);
    for p in &mut params {
        if !names.insert(p.name.clone()) {
            return Err(format!("{where_}: two parameters are named {}", p.name));
        }
        if !idents.insert(p.ident.clone()) {
            let suffix = match p.loc {
                Loc::Path => "_path",
                Loc::Query => "_query",
                Loc::Header => "_header",
            };
            p.ident = format!("{}{suffix}", p.ident.trim_start_matches("r#"));
            if !idents.insert(p.ident.clone()) {
                return Err(format!("{where_}: cannot name parameter {}", p.name));
            }
        }
    }
    // Body.
    let body = match op.get("requestBody") {
        None => BodyKind::None,
        Some(rb) => {
            let (file, rb) = spec
                .resolve(group, rb)
                .ok_or_else(|| format!("{where_}: unresolvable requestBody"))?;
            let required = rb.get("required").and_then(Value::as_bool).unwrap_or(false);
            let content = rb
                .get("content")
                .and_then(Value::as_object)
                .ok_or_else(|| format!("{where_}: body without content"))?;
            if content.contains_key("multipart/form-data") {
                BodyKind::Multipart { required }
            } else if let Some(json) = content.get("application/json") {
                BodyKind::Json {
                    required,
                    schema: json.get("schema").map(|s| (file.to_owned(), s.clone())),
                }
            } else {
                return Err(format!(
                    "{where_}: unsupported body media types {:?}",
                    content.keys().collect::<Vec<_>>()
                ));
            }
        }
    };
    // Output: a download when a 2xx response declares a binary media type.
    let mut output = OutputKind::Json;
    if let Some(responses) = op.get("responses").and_then(Value::as_object) {
        for (code, resp) in responses {
            if !code.starts_with('2') {
                continue;
            }
            let Some((_, resp)) = spec.resolve(group, resp) else {
                continue;
            };
            if let Some(content) = resp.get("content").and_then(Value::as_object) {
                if content.keys().any(|k| is_download_type(k)) {
                    output = OutputKind::Download;
                }
            }
        }
    }
    // Scopes: operation-level security, else the file's.
    let security = op.get("security").or_else(|| doc.get("security"));
    let mut scopes: Vec<String> = Vec::new();
    if let Some(reqs) = security.and_then(Value::as_array) {
        for req in reqs {
            if let Some(obj) = req.as_object() {
                for list in obj.values() {
                    for s in list
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                    {
                        let s = s.trim();
                        if !s.is_empty() && !scopes.iter().any(|x| x == s) {
                            scopes.push(s.to_owned());
                        }
                    }
                }
            }
        }
    }
    let content_host = op
        .get("servers")
        .and_then(Value::as_array)
        .and_then(|s| s.first())
        .and_then(|s| s.get("url"))
        .and_then(Value::as_str)
        .is_some_and(|u| u.contains("content.zohoapis"));
    let absolute_url =
        (path.starts_with("/{") && path.ends_with('}') && path.matches('{').count() == 1)
            .then(|| path[2..path.len() - 1].to_owned());
    Ok(Op {
        group: group.to_owned(),
        snake: snake(&operation_id),
        type_name: camel(&operation_id),
        operation_id,
        method: method.to_uppercase(),
        path: path.to_owned(),
        params,
        body,
        output,
        scopes,
        content_host,
        absolute_url,
        raw: op.clone(),
    })
}
