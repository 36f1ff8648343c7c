//! Generated operations as data: an [`OpSpec`] per operation (method, path, parameters, body and
//! output kind) and the one interpreter that builds requests, reads and writes JSON inputs and
//! parses responses from it.
//!
//! Each generated endpoint is a newtype over [`Args`] plus a `const SPEC`; everything it does goes
//! through the non-generic functions here, so 400-odd endpoints cost little to compile. Typed
//! models live in the hand-written modules, not here.

use std::fmt;

use http::header::HeaderName;
use http::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::context::Host;
use crate::error::{BuildError, Error};
use crate::outputs::FilePart;
use crate::request::{Body, Multipart, Part, RequestParts};

/// An HTTP method of a generated operation (`http::Method` cannot live in a `const`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    /// `GET`
    Get,
    /// `POST`
    Post,
    /// `PUT`
    Put,
    /// `PATCH`
    Patch,
    /// `DELETE`
    Delete,
}

impl Verb {
    /// The `http::Method`.
    pub fn method(self) -> Method {
        match self {
            Verb::Get => Method::GET,
            Verb::Post => Method::POST,
            Verb::Put => Method::PUT,
            Verb::Patch => Method::PATCH,
            Verb::Delete => Method::DELETE,
        }
    }
}

/// Where a parameter goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loc {
    /// A `{placeholder}` of the path template (always required).
    Path,
    /// A query parameter.
    Query,
    /// A header.
    Header,
}

/// The value type of a parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Text (also JSON-valued parameters such as `filters`, as their JSON text).
    Str,
    /// An integer.
    Int,
    /// A boolean.
    Bool,
}

/// One parameter of an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Param {
    /// The API name (`per_page`, `X-EXTERNAL`, `module_api_name`), also its JSON input key.
    pub name: &'static str,
    /// Where it goes.
    pub loc: Loc,
    /// Its value type.
    pub kind: Kind,
    /// Whether a request without it is invalid.
    pub required: bool,
}

impl Param {
    /// A path parameter.
    pub const fn path(name: &'static str) -> Self {
        Param {
            name,
            loc: Loc::Path,
            kind: Kind::Str,
            required: true,
        }
    }

    /// An optional query parameter.
    pub const fn query(name: &'static str, kind: Kind) -> Self {
        Param {
            name,
            loc: Loc::Query,
            kind,
            required: false,
        }
    }

    /// An optional header.
    pub const fn header(name: &'static str, kind: Kind) -> Self {
        Param {
            name,
            loc: Loc::Header,
            kind,
            required: false,
        }
    }

    /// The same parameter, required.
    pub const fn required(mut self) -> Self {
        self.required = true;
        self
    }
}

/// The request body of an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    /// No body.
    None,
    /// A JSON document, set with `.body(..)` (input key `body`).
    Json {
        /// Whether a request without it is invalid.
        required: bool,
    },
    /// `multipart/form-data` file parts named `file`, added with `.file(..)` (input key `file`).
    Files {
        /// Whether at least one file is required.
        required: bool,
    },
}

/// Where an operation's request goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The API domain.
    Api,
    /// The content/upload domain.
    Content,
    /// The single path parameter is a whole URL from an earlier answer (`/{download_url}`).
    DownloadUrl,
}

/// What a response is parsed into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputKind {
    /// The generated model of the operation's answer.
    Typed,
    /// Per-item outcomes ([`ActionResults`](crate::ActionResults)) of the status objects under
    /// this key (`""`: a bare status object).
    Outcomes(&'static str),
    /// [`Download`](crate::outputs::Download).
    Download,
    /// [`ApiResponse`](crate::outputs::ApiResponse): the spec declares no JSON answer (204-only operations).
    Untyped,
    /// A hand-written endpoint type stands for the operation (records, bulk, territories, ...):
    /// its own `Output`.
    HandWritten,
}

/// How an operation pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paging {
    /// One answer.
    None,
    /// `page` (and `per_page`) with `info.more_records`.
    Page,
    /// `page` up to Zoho's limit, then `page_token` from `info.next_page_token`.
    PageToken,
}

/// The API credits one call costs (Zoho's published values; most calls cost 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Credits {
    /// The least a call costs.
    pub min: u16,
    /// The most a call costs (e.g. 10 for an insert of 100 records).
    pub max: u16,
}

impl Credits {
    /// One credit per call.
    pub const ONE: Credits = Credits { min: 1, max: 1 };
}

/// One generated operation, as data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpSpec {
    /// The endpoint id, e.g. `record.get_record`.
    pub id: &'static str,
    /// The method.
    pub verb: Verb,
    /// The path template, e.g. `/crm/v8/{module_api_name}/{id}`.
    pub path: &'static str,
    /// Where the request goes.
    pub target: Target,
    /// Path parameters in template order, then query and header parameters in spec order.
    pub params: &'static [Param],
    /// The body.
    pub body: BodyKind,
    /// The output.
    pub output: OutputKind,
    /// The OAuth scopes the spec lists (any one of them grants the call).
    pub scopes: &'static [&'static str],
    /// Whether replaying the request after an ambiguous failure (5xx, timeout, reset) is safe:
    /// GET, PUT and DELETE, except a PUT that performs an action (`/actions/...`).
    pub idempotent: bool,
    /// How the operation pages.
    pub paging: Paging,
    /// Whether Zoho counts the call against its sub-concurrency limit for resource-intensive
    /// APIs (COQL, bulk jobs, conversions, mass actions, mail, composite).
    pub heavy: bool,
    /// The credits one call costs.
    pub credits: Credits,
}

/// A parameter value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    /// Text.
    Str(String),
    /// An integer.
    Int(i64),
    /// A boolean.
    Bool(bool),
}

impl From<String> for Arg {
    fn from(v: String) -> Self {
        Arg::Str(v)
    }
}

impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Arg::Int(v)
    }
}

impl From<bool> for Arg {
    fn from(v: bool) -> Self {
        Arg::Bool(v)
    }
}

impl Arg {
    fn text(&self) -> String {
        match self {
            Arg::Str(s) => s.clone(),
            Arg::Int(n) => n.to_string(),
            Arg::Bool(b) => b.to_string(),
        }
    }

    fn to_json(&self) -> Value {
        match self {
            Arg::Str(s) => Value::String(s.clone()),
            Arg::Int(n) => Value::from(*n),
            Arg::Bool(b) => Value::Bool(*b),
        }
    }
}

/// The parameter values of one request of a generated operation, indexed like its
/// [`OpSpec::params`], plus the body.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Args {
    values: Vec<Option<Arg>>,
    /// The JSON body, serialised when it was set (or the serialisation error, reported by
    /// [`parts`](Args::parts)).
    body: Option<Result<Vec<u8>, String>>,
    files: Vec<FilePart>,
}

impl Args {
    /// No values set.
    pub fn new(spec: &OpSpec) -> Self {
        Args {
            values: vec![None; spec.params.len()],
            body: None,
            files: Vec::new(),
        }
    }

    /// Sets parameter number `index`.
    pub fn set(mut self, index: usize, value: impl Into<Arg>) -> Self {
        if let Some(slot) = self.values.get_mut(index) {
            *slot = Some(value.into());
        }
        self
    }

    /// Sets the JSON body from any serialisable value (a generated model, or JSON).
    pub fn body<T: Serialize + ?Sized>(mut self, body: &T) -> Self {
        self.body = Some(serde_json::to_vec(body).map_err(|e| e.to_string()));
        self
    }

    /// The JSON body as a value, when one is set.
    fn body_value(&self) -> Option<Value> {
        match &self.body {
            Some(Ok(bytes)) => serde_json::from_slice(bytes).ok(),
            _ => None,
        }
    }

    /// The request for the page after an answer whose paging object is `info` (`had_items`: the
    /// answer held at least one item), or `None` at the end or when the cursor would not move.
    pub fn next_page(
        &self,
        spec: &OpSpec,
        info: Option<&crate::response::PageInfo>,
        had_items: bool,
    ) -> Option<Self> {
        let index = |name: &str| {
            spec.params
                .iter()
                .position(|p| p.name == name && p.loc == Loc::Query)
        };
        let page_at = index("page");
        let token_at = index("page_token");
        let page = page_at.and_then(|i| match self.value(i) {
            Some(Arg::Int(n)) => u32::try_from(*n).ok(),
            _ => None,
        });
        let token = token_at.and_then(|i| match self.value(i) {
            Some(Arg::Str(t)) => Some(t.as_str()),
            _ => None,
        });
        let tokens = spec.paging == Paging::PageToken && token_at.is_some();
        let mut next = self.clone();
        match crate::pagination::next_cursor(page, token, info, had_items, tokens)? {
            crate::pagination::Cursor::Page(n) => {
                next.values[page_at?] = Some(Arg::Int(i64::from(n)));
            }
            crate::pagination::Cursor::Token(t) => {
                next.values[token_at?] = Some(Arg::Str(t));
                if let Some(i) = page_at {
                    next.values[i] = None;
                }
            }
        }
        (next != *self).then_some(next)
    }

    /// Adds a file part.
    pub fn file(mut self, file: FilePart) -> Self {
        self.files.push(file);
        self
    }

    fn value(&self, index: usize) -> Option<&Arg> {
        self.values.get(index).and_then(Option::as_ref)
    }

    /// The request, validated: empty path parameters, missing required parameters and a missing
    /// required body fail before any IO.
    pub fn parts(&self, spec: &OpSpec) -> Result<RequestParts, BuildError> {
        for (i, p) in spec.params.iter().enumerate() {
            if p.loc == Loc::Path && self.value(i).is_none_or(|v| v.text().trim().is_empty()) {
                return Err(BuildError::Missing(p.name));
            }
        }
        let method = spec.verb.method();
        let mut parts = match spec.target {
            Target::DownloadUrl => {
                let url = spec
                    .params
                    .iter()
                    .position(|p| p.loc == Loc::Path)
                    .and_then(|i| self.value(i))
                    .map(Arg::text)
                    .unwrap_or_default();
                download_url_parts(method, &url)?
            }
            Target::Content => RequestParts::new(method, Host::Content, spec.path),
            Target::Api => RequestParts::new(method, Host::Api, spec.path),
        }
        .idempotent(spec.idempotent);
        for (i, p) in spec.params.iter().enumerate() {
            let value = self.value(i).map(Arg::text);
            match (p.loc, value) {
                (Loc::Path, _) if spec.target == Target::DownloadUrl => {}
                (Loc::Path, Some(v)) => parts = parts.path_param(v),
                (_, None) if p.required => return Err(BuildError::Missing(p.name)),
                (_, None) => {}
                (Loc::Query, Some(v)) => parts = parts.query(p.name, v),
                (Loc::Header, Some(v)) => {
                    let name = HeaderName::from_bytes(p.name.to_ascii_lowercase().as_bytes())
                        .map_err(|_| {
                            BuildError::InvalidConfig(format!("bad header `{}`", p.name))
                        })?;
                    parts = parts.header(name, v);
                }
            }
        }
        match spec.body {
            BodyKind::None => Ok(parts),
            BodyKind::Json { required } => match &self.body {
                Some(Ok(bytes)) => Ok(parts.body(Body::Json(bytes.clone()))),
                Some(Err(e)) => Err(BuildError::Body(e.clone())),
                None if required => Err(BuildError::Missing("body")),
                None => Ok(parts),
            },
            BodyKind::Files { required } => {
                if self.files.is_empty() {
                    return if required {
                        Err(BuildError::Missing("file"))
                    } else {
                        Ok(parts)
                    };
                }
                let parts_list = self
                    .files
                    .iter()
                    .map(|f| Part {
                        name: "file".to_owned(),
                        file_name: Some(f.file_name.clone()),
                        content_type: f.content_type.clone(),
                        data: f.data.clone(),
                    })
                    .collect();
                Ok(parts.body(Body::Multipart(Multipart { parts: parts_list })))
            }
        }
    }

    /// The JSON input: parameters by API name, the body under `body`, files under `file`.
    pub fn to_input(&self, spec: &OpSpec) -> Map<String, Value> {
        let mut input = Map::new();
        for (i, p) in spec.params.iter().enumerate() {
            if let Some(v) = self.value(i) {
                input.insert(p.name.to_owned(), v.to_json());
            }
        }
        if let Some(body) = self.body_value() {
            input.insert("body".to_owned(), body);
        }
        if !self.files.is_empty() {
            let files = serde_json::to_value(&self.files).unwrap_or(Value::Null);
            input.insert("file".to_owned(), files);
        }
        input
    }

    /// Reads a JSON input (an object, or `null` for none). Unknown keys are rejected, so a
    /// misspelt parameter is an error.
    pub fn from_input(spec: &OpSpec, input: Value) -> Result<Self, String> {
        let mut map = match input {
            Value::Null => Map::new(),
            Value::Object(map) => map,
            other => return Err(format!("expected an object, got {other}")),
        };
        let mut args = Args::new(spec);
        for (i, p) in spec.params.iter().enumerate() {
            let value = match map.remove(p.name) {
                None | Some(Value::Null) if p.loc == Loc::Path => {
                    return Err(format!("missing path parameter `{}`", p.name))
                }
                None | Some(Value::Null) => continue,
                Some(v) => read_arg(p, v)?,
            };
            args.values[i] = Some(value);
        }
        match spec.body {
            BodyKind::None => {}
            BodyKind::Json { .. } => {
                if let Some(body) = map.remove("body").filter(|v| !v.is_null()) {
                    args = args.body(&body);
                }
            }
            BodyKind::Files { .. } => {
                let files = match map.remove("file") {
                    None | Some(Value::Null) => Vec::new(),
                    Some(Value::Array(items)) => items,
                    Some(one) => vec![one],
                };
                args.files = files
                    .into_iter()
                    .map(|v| serde_json::from_value(v).map_err(|e| format!("`file`: {e}")))
                    .collect::<Result<_, _>>()?;
            }
        }
        match map.keys().next() {
            None => Ok(args),
            Some(key) => Err(format!("`{}` has no parameter `{key}`", spec.id)),
        }
    }

    /// `Name { param: value, .. }` with the API's parameter names.
    pub fn debug(&self, spec: &OpSpec, name: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct(name);
        for (i, p) in spec.params.iter().enumerate() {
            if let Some(v) = self.value(i) {
                s.field(p.name, v);
            }
        }
        if let Some(body) = self.body_value() {
            s.field("body", &body);
        }
        if !self.files.is_empty() {
            s.field("file", &self.files);
        }
        s.finish()
    }
}

/// One input value: strings as they are, numbers and booleans as text for string parameters, a
/// list of strings or numbers joined with commas (`ids`, `api_names`), other JSON (e.g. `filters`)
/// as its JSON text; numeric and boolean strings for integer and boolean parameters.
fn read_arg(p: &Param, v: Value) -> Result<Arg, String> {
    match (p.kind, v) {
        (Kind::Str, Value::String(s)) => Ok(Arg::Str(s)),
        // A list of names or ids: Zoho's list parameters are comma-separated.
        (Kind::Str, Value::Array(items))
            if items.iter().all(|i| i.is_string() || i.is_number()) =>
        {
            let texts: Vec<String> = items
                .iter()
                .map(|i| match i {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect();
            Ok(Arg::Str(texts.join(",")))
        }
        (Kind::Str, other) => Ok(Arg::Str(other.to_string())),
        (Kind::Int, Value::Number(n)) if n.is_i64() => Ok(Arg::Int(n.as_i64().unwrap_or_default())),
        (Kind::Int, Value::String(s)) if s.trim().parse::<i64>().is_ok() => {
            Ok(Arg::Int(s.trim().parse().unwrap_or_default()))
        }
        (Kind::Bool, Value::Bool(b)) => Ok(Arg::Bool(b)),
        (Kind::Bool, Value::String(s)) if s == "true" || s == "false" => Ok(Arg::Bool(s == "true")),
        (Kind::Int, other) => Err(format!("`{}` must be an integer, got {other}", p.name)),
        (Kind::Bool, other) => Err(format!("`{}` must be a boolean, got {other}", p.name)),
    }
}

fn input_error(reason: String) -> BuildError {
    BuildError::InvalidConfig(format!("invalid input: {reason}"))
}

/// Builds the request of `spec` from a JSON input (the registry's build function).
pub fn build_from_input(spec: &OpSpec, input: &Value) -> Result<RequestParts, BuildError> {
    Args::from_input(spec, input.clone())
        .map_err(input_error)?
        .parts(spec)
}

/// Parses a response of `spec` whose output is not a generated model (the registry's parse for
/// per-item outcomes, downloads and operations without a declared JSON answer).
#[cfg(feature = "registry")]
pub fn parse_untyped(
    spec: &OpSpec,
    response: http::Response<&[u8]>,
) -> Result<Box<dyn crate::registry::TypedOutput>, Error> {
    Ok(match spec.output {
        OutputKind::Typed | OutputKind::Untyped | OutputKind::HandWritten => {
            Box::new(crate::outputs::ApiResponse::parse(spec.id, response)?)
        }
        OutputKind::Outcomes(key) => Box::new(crate::response::decode_action_results(
            spec.id, key, &response,
        )?),
        OutputKind::Download => Box::new(crate::outputs::Download::parse(spec.id, response)?),
    })
}

/// Parses a response into the generated model `T` (the `parse` of typed generated endpoints).
///
/// 204, 304 and empty bodies give `T::default()`; Zoho errors (whatever the status, in any of the
/// envelopes) are [`Error::Api`]; everything else decodes leniently (see [`crate::lenient`]).
pub fn parse_typed<T: crate::lenient::FieldType + Default>(
    endpoint: &'static str,
    response: http::Response<&[u8]>,
) -> Result<T, Error> {
    crate::response::decode_model(endpoint, &response).map(Option::unwrap_or_default)
}

/// [`parse_typed`] for the registry: the typed value behind a [`TypedOutput`](crate::registry::TypedOutput).
#[cfg(feature = "registry")]
pub fn parse_typed_output<T>(
    spec: &OpSpec,
    response: http::Response<&[u8]>,
) -> Result<Box<dyn crate::registry::TypedOutput>, Error>
where
    T: crate::lenient::FieldType + Default + Serialize + fmt::Debug + Send + 'static,
{
    Ok(Box::new(parse_typed::<T>(spec.id, response)?))
}

/// Deserialises [`Args`] for `spec` (the body of generated `Deserialize` impls).
pub fn deserialize_args<'de, D: serde::Deserializer<'de>>(
    spec: &OpSpec,
    d: D,
) -> Result<Args, D::Error> {
    let input = Option::<Value>::deserialize(d)?.unwrap_or(Value::Null);
    Args::from_input(spec, input).map_err(serde::de::Error::custom)
}

/// Serialises [`Args`] for `spec` (the body of generated `Serialize` impls).
pub fn serialize_args<S: serde::Serializer>(
    spec: &OpSpec,
    args: &Args,
    s: S,
) -> Result<S::Ok, S::Error> {
    args.to_input(spec).serialize(s)
}

/// A request for a download URL from an earlier answer (`GET /{download_url}`): the URL is never
/// percent-encoded as one path segment. Its path and query are re-encoded segment by segment on
/// the API host (or the content host for `content.` URLs). URLs on hosts outside Zoho's API hosts
/// are rejected: fetch those with the transport directly.
pub fn download_url_parts(method: Method, url: &str) -> Result<RequestParts, BuildError> {
    let invalid = |reason: String| BuildError::Invalid {
        param: "download_url",
        reason,
    };
    let (host, rest) = match url.split_once("://") {
        Some((_, after)) => {
            let (authority, rest) = after.split_at(after.find('/').unwrap_or(after.len()));
            // Only a Zoho API host of some data centre (exactly, not as a prefix of another
            // domain); the request then goes to this session's own host of that kind.
            let name = authority.rsplit('@').next().unwrap_or(authority);
            let name = name.split(':').next().unwrap_or(name).to_ascii_lowercase();
            let zoho = crate::context::DataCenter::ALL.iter().any(|dc| {
                let api = dc.api_domain(crate::context::Environment::Production);
                let tld = api.trim_start_matches("https://www.zohoapis.");
                name.strip_suffix(tld)
                    .and_then(|n| n.strip_suffix(".zohoapis."))
                    .is_some_and(|sub| matches!(sub, "www" | "sandbox" | "developer" | "content"))
            });
            if !zoho {
                return Err(invalid(format!(
                    "`{authority}` is not a Zoho API host; fetch this URL with the transport directly"
                )));
            }
            let host = if name.starts_with("content.zohoapis.") {
                crate::context::Host::Content
            } else {
                crate::context::Host::Api
            };
            (host, rest)
        }
        None => (crate::context::Host::Api, url),
    };
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8_lossy()
            .into_owned()
    };
    let segments: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(decode)
        .collect();
    if segments.is_empty() {
        return Err(invalid(format!("`{url}` has no path")));
    }
    let template = "/{segment}".repeat(segments.len());
    let mut parts = RequestParts::new(method, host, template);
    for segment in segments {
        parts = parts.path_param(segment);
    }
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        parts = parts.query(decode(k), decode(v));
    }
    Ok(parts)
}

/// Implements `Endpoint`, `Serialize`, `Deserialize` and `Debug` (and with `default`, `Default`)
/// for a generated endpoint `struct $ty(Args)` that has an associated `const SPEC: OpSpec`.
///
/// The output is one of `typed Model` (a generated model, optionally `paged field` where `field`
/// is the list whose emptiness ends the paging), `outcomes` (per-item outcomes), `download` or
/// `untyped`. `spec_endpoint!(@default $ty)` implements `Default` through `new()`.
#[allow(unused_macros)] // a build without API clusters has no generated endpoints
macro_rules! spec_endpoint {
    (@endpoint $ty:ident, $output:ty, |$self_:ident, $resp:ident| $parse:expr) => {
        impl $crate::endpoint::Endpoint for $ty {
            const ID: &'static str = Self::SPEC.id;
            type Output = $output;
            const OP_SPEC: Option<&'static $crate::op_spec::OpSpec> = Some(&Self::SPEC);

            #[inline]
            fn parts(&self) -> Result<$crate::request::RequestParts, $crate::error::BuildError> {
                self.0.parts(&Self::SPEC)
            }

            #[inline]
            fn parse(
                &$self_,
                $resp: http::Response<&[u8]>,
            ) -> Result<Self::Output, $crate::error::Error> {
                $parse
            }
        }

        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                $crate::op_spec::serialize_args(&Self::SPEC, &self.0, s)
            }
        }

        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                $crate::op_spec::deserialize_args(&Self::SPEC, d).map(Self)
            }
        }

        impl std::fmt::Debug for $ty {
            #[inline]
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.debug(&Self::SPEC, stringify!($ty), f)
            }
        }
    };
    ($ty:ident, typed $model:ty $(, paged $list:ident)?) => {
        $crate::op_spec::spec_endpoint!(@endpoint $ty, $model, |self, response| {
            $crate::op_spec::parse_typed(Self::ID, response)
        });
        $(
            impl $crate::endpoint::Paginated for $ty {
                #[inline]
                fn next_page(&self, output: &$model) -> Option<Self> {
                    let had_items = output.$list.as_ref().is_some_and(|items| !items.is_empty());
                    self.0
                        .next_page(&Self::SPEC, output.info.as_ref(), had_items)
                        .map(Self)
                }
            }
        )?
    };
    ($ty:ident, outcomes) => {
        $crate::op_spec::spec_endpoint!(@endpoint $ty, $crate::response::ActionResults, |self, response| {
            let key = match Self::SPEC.output {
                $crate::op_spec::OutputKind::Outcomes(key) => key,
                _ => "",
            };
            $crate::response::decode_action_results(Self::ID, key, &response)
        });
    };
    ($ty:ident, download) => {
        $crate::op_spec::spec_endpoint!(@endpoint $ty, $crate::outputs::Download, |self, response| {
            $crate::outputs::Download::parse(Self::ID, response)
        });
    };
    ($ty:ident, untyped) => {
        $crate::op_spec::spec_endpoint!(@endpoint $ty, $crate::outputs::ApiResponse, |self, response| {
            $crate::outputs::ApiResponse::parse(Self::ID, response)
        });
    };
    (@default $ty:ident) => {
        impl Default for $ty {
            #[inline]
            fn default() -> Self {
                Self::new()
            }
        }
    };
}
#[allow(unused_imports)]
pub(crate) use spec_endpoint;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::{Context, DataCenter, Environment};
    use crate::request::assemble;

    #[test]
    fn download_url_is_not_one_segment() {
        let ctx = Context::new(DataCenter::Us, Environment::Production);
        let parts = download_url_parts(
            Method::GET,
            "https://www.zohoapis.com/crm/v8/files/a%20b.zip?x=1&y=%26",
        )
        .unwrap();
        let req = assemble(&ctx, &parts).unwrap();
        assert_eq!(
            req.uri().to_string(),
            "https://www.zohoapis.com/crm/v8/files/a%20b.zip?x=1&y=%26"
        );
        assert!(download_url_parts(Method::GET, "https://evil.example/x").is_err());
        for evil in [
            "https://www.zohoapis.com.evil.example/x",
            "https://zohoapis.evil.example/x",
            "https://evil.example/www.zohoapis.com/x",
            "https://www.zohoapis.com@evil.example/x",
        ] {
            assert!(download_url_parts(Method::GET, evil).is_err(), "{evil}");
        }
        assert!(download_url_parts(Method::GET, "https://sandbox.zohoapis.com.au/a").is_ok());
        assert!(download_url_parts(Method::GET, "https://content.zohoapis.eu/a").is_ok());
    }

    /// Generated endpoints: percent-encoding round trip, build-time validation and the JSON
    /// input contract (names as the API spells them).
    #[cfg(feature = "records")]
    mod generated {
        use super::*;
        use crate::endpoint::Endpoint;
        use crate::generated::{module_search, record};
        use crate::registry;

        fn decode(s: &str) -> String {
            percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .unwrap()
                .into_owned()
        }

        #[test]
        fn path_and_query_values_round_trip() {
            let nasty = "a&b+c#d/e?f%g h";
            let ep = record::GetRecordUsingExternalId::new("httpLogs__c", nasty)
                .fields(nasty)
                .if_modified_since("2024-01-15T10:30:00+05:30")
                .x_external("Leads.Ext_Id");
            let ctx = Context::new(DataCenter::Us, Environment::Production);
            let req = assemble(&ctx, &ep.parts().unwrap()).unwrap();
            let segs: Vec<&str> = req.uri().path().split('/').collect();
            assert_eq!(segs[3], "httpLogs__c");
            assert_eq!(decode(segs[4]), nasty);
            let query = req.uri().query().unwrap();
            assert_eq!(decode(query.strip_prefix("fields=").unwrap()), nasty);
            assert_eq!(
                req.headers()["if-modified-since"],
                "2024-01-15T10:30:00+05:30"
            );
            assert_eq!(req.headers()["x-external"], "Leads.Ext_Id");
        }

        #[test]
        fn build_validates_required_values() {
            // Required values are constructor arguments; what is left to check at build time
            // is their content, and the JSON input path (where anything can be missing).
            assert_eq!(
                record::GetRecordUsingExternalId::new("Leads", " ")
                    .parts()
                    .unwrap_err(),
                BuildError::Missing("external_field_value")
            );
            let search = module_search::SearchModule::new("Leads", 200);
            assert_eq!(search.parts().unwrap().query[0].1, "200");
            let op = crate::registry::find("module_search.search_module").unwrap();
            assert_eq!(
                op.build(&serde_json::json!({"module": "Leads"}))
                    .unwrap_err(),
                BuildError::Missing("per_page")
            );
            let op = crate::registry::find("record.update_record_using_external_id").unwrap();
            assert_eq!(
                op.build(
                    &serde_json::json!({"module_api_name": "Leads", "external_field_value": "x"})
                )
                .unwrap_err(),
                BuildError::Missing("body")
            );
            let upload = record::UploadPhoto::new(
                "Leads",
                "1",
                FilePart::new("a.png", vec![0x89, b'P']).content_type("image/png"),
            );
            assert!(matches!(upload.parts().unwrap().body, Body::Multipart(_)));
            // A typed body is sent as its JSON, unknown keys included.
            let mut row = record::BodyWrapper::default();
            row.extra.insert(
                "skip_feature_execution".into(),
                serde_json::json!([{"name": "cadences"}]),
            );
            let update = record::UpdateRecordUsingExternalId::new("Leads", "x", row);
            let Body::Json(bytes) = update.parts().unwrap().body else {
                panic!("a JSON body")
            };
            assert_eq!(
                serde_json::from_slice::<Value>(&bytes).unwrap(),
                serde_json::json!({"skip_feature_execution": [{"name": "cadences"}]})
            );
        }

        #[test]
        fn json_input_uses_api_names() {
            let input = serde_json::json!({
                "module_api_name": "Leads",
                "external_field_value": "42",
                "fields": "Last_Name",
                "If-Modified-Since": "2024-01-15T10:30:00+05:30",
                "X-EXTERNAL": "Leads.Ext_Id"
            });
            let ep: record::GetRecordUsingExternalId =
                serde_json::from_value(input.clone()).unwrap();
            assert_eq!(
                ep,
                record::GetRecordUsingExternalId::new("Leads", "42")
                    .fields("Last_Name")
                    .if_modified_since("2024-01-15T10:30:00+05:30")
                    .x_external("Leads.Ext_Id")
            );
            assert_eq!(serde_json::to_value(&ep).unwrap(), input);
            // Through the registry: same input, and unknown keys are rejected.
            let op = registry::find("record.get_record_using_external_id").unwrap();
            assert_eq!(op.build(&input).unwrap(), ep.parts().unwrap());
            let typo = serde_json::json!({"module_api_name": "Leads", "external_field_value": "1", "feilds": "x"});
            assert!(op.build(&typo).is_err());
            let ints = serde_json::json!({"per_page": "2"});
            let users: crate::generated::users::GetUsers = serde_json::from_value(ints).unwrap();
            assert_eq!(users, crate::generated::users::GetUsers::new().per_page(2));
        }
    }
}
