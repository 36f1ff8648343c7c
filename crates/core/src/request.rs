//! Request descriptions as plain data ([`RequestParts`]) and the one function that turns them
//! into `http::Request` values ([`assemble`]).
//!
//! Endpoints only describe *what* to send; `assemble` owns hosts, percent-encoding and the
//! standard headers, once, for every endpoint. It is deliberately not generic.

use std::borrow::Cow;

use http::header::{HeaderName, HeaderValue, ACCEPT, CONTENT_TYPE, USER_AGENT};
use http::Method;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use crate::context::{Context, Host};
use crate::error::BuildError;

/// Characters left as they are in path parameters and query values: RFC 3986 unreserved.
const STRICT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Query values additionally keep `,` readable (id and field lists); it means the same encoded or not.
const QUERY_VALUE: &AsciiSet = &STRICT.remove(b',');

/// Literal template text keeps `/` and the sub-delimiters that are valid in a path.
const PATH_LITERAL: &AsciiSet = &STRICT
    .remove(b'/')
    .remove(b'$')
    .remove(b'@')
    .remove(b':')
    .remove(b',')
    .remove(b'=');

/// A request body.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Body {
    /// No body.
    Empty,
    /// A serialised JSON document (`application/json`).
    Json(Vec<u8>),
    /// `application/x-www-form-urlencoded` pairs.
    Form(Vec<(Cow<'static, str>, String)>),
    /// `multipart/form-data`.
    Multipart(Multipart),
    /// Raw bytes with their content type.
    Bytes {
        /// The `Content-Type` header value.
        content_type: String,
        /// The bytes.
        data: Vec<u8>,
    },
}

impl std::fmt::Debug for Body {
    // Bodies can hold secrets (token endpoint forms), so Debug shows only their shape.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Body::Empty => f.write_str("Empty"),
            Body::Json(b) => write!(f, "Json({} bytes)", b.len()),
            Body::Form(p) => {
                let names: Vec<&str> = p.iter().map(|(k, _)| k.as_ref()).collect();
                write!(f, "Form({names:?})")
            }
            Body::Multipart(m) => write!(f, "Multipart({} parts)", m.parts.len()),
            Body::Bytes { content_type, data } => {
                write!(f, "Bytes({content_type}, {} bytes)", data.len())
            }
        }
    }
}

/// One part of a multipart body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// The form field name.
    pub name: String,
    /// The file name, for file parts.
    pub file_name: Option<String>,
    /// The part's content type.
    pub content_type: Option<String>,
    /// The part's bytes.
    pub data: Vec<u8>,
}

/// A `multipart/form-data` body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Multipart {
    /// The parts, in order.
    pub parts: Vec<Part>,
}

impl Multipart {
    /// A boundary that does not occur in any part. Deterministic, so request snapshots are stable.
    pub fn boundary(&self) -> String {
        let mut n = 0u32;
        loop {
            let candidate = format!("zohocrm-rs-boundary-{n:08x}");
            if !self
                .parts
                .iter()
                .any(|p| contains(&p.data, candidate.as_bytes()))
            {
                return candidate;
            }
            n += 1;
        }
    }

    /// The encoded body for `boundary`.
    pub fn encode(&self, boundary: &str) -> Vec<u8> {
        let mut out = Vec::new();
        for part in &self.parts {
            out.extend_from_slice(b"--");
            out.extend_from_slice(boundary.as_bytes());
            out.extend_from_slice(b"\r\nContent-Disposition: form-data; name=\"");
            out.extend_from_slice(escape_quoted(&part.name).as_bytes());
            out.push(b'"');
            if let Some(file) = &part.file_name {
                out.extend_from_slice(b"; filename=\"");
                out.extend_from_slice(escape_quoted(file).as_bytes());
                out.push(b'"');
            }
            out.extend_from_slice(b"\r\n");
            if let Some(ct) = &part.content_type {
                out.extend_from_slice(b"Content-Type: ");
                out.extend_from_slice(ct.as_bytes());
                out.extend_from_slice(b"\r\n");
            }
            out.extend_from_slice(b"\r\n");
            out.extend_from_slice(&part.data);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"--");
        out.extend_from_slice(boundary.as_bytes());
        out.extend_from_slice(b"--\r\n");
        out
    }
}

fn escape_quoted(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace(['\r', '\n'], " ")
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Everything needed to build one HTTP request, as plain data.
#[derive(Clone, PartialEq, Eq)]
#[must_use]
pub struct RequestParts {
    /// The HTTP method.
    pub method: Method,
    /// Which host to send to.
    pub host: Host,
    /// The path template, e.g. `/crm/v8/settings/territories/{id}`; each `{...}` is replaced in
    /// order by the next entry of `path_params`, percent-encoded.
    pub path: Cow<'static, str>,
    /// Values for the template's placeholders, in order.
    pub path_params: Vec<String>,
    /// Query parameters, in order; names and values are percent-encoded by [`assemble`].
    pub query: Vec<(Cow<'static, str>, String)>,
    /// Extra headers (e.g. `X-EXTERNAL`, `If-Modified-Since`).
    pub headers: Vec<(HeaderName, String)>,
    /// The body.
    pub body: Body,
    /// Whether the request carries the `Authorization: Zoho-oauthtoken` header.
    pub authenticated: bool,
    /// Whether replaying the request after an ambiguous failure is safe.
    pub idempotent: bool,
}

impl std::fmt::Debug for RequestParts {
    // The revoke request carries the refresh token in its query: such values are redacted.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let query: Vec<(&str, &str)> = self
            .query
            .iter()
            .map(|(k, v)| {
                let secret = SECRET_QUERY_NAMES.iter().any(|s| k.eq_ignore_ascii_case(s));
                (k.as_ref(), if secret { "<redacted>" } else { v.as_str() })
            })
            .collect();
        f.debug_struct("RequestParts")
            .field("method", &self.method)
            .field("host", &self.host)
            .field("path", &self.path)
            .field("path_params", &self.path_params)
            .field("query", &query)
            .field("headers", &self.headers)
            .field("body", &self.body)
            .field("authenticated", &self.authenticated)
            .field("idempotent", &self.idempotent)
            .finish()
    }
}

impl RequestParts {
    /// A request on `host` with `path` (a template), authenticated, idempotent unless the method is POST or PATCH.
    pub fn new(method: Method, host: Host, path: impl Into<Cow<'static, str>>) -> Self {
        let idempotent = !matches!(method, Method::POST | Method::PATCH);
        RequestParts {
            method,
            host,
            path: path.into(),
            path_params: Vec::new(),
            query: Vec::new(),
            headers: Vec::new(),
            body: Body::Empty,
            authenticated: true,
            idempotent,
        }
    }

    /// A GET on the API host.
    pub fn get(path: impl Into<Cow<'static, str>>) -> Self {
        Self::new(Method::GET, Host::Api, path)
    }

    /// A POST on the API host.
    pub fn post(path: impl Into<Cow<'static, str>>) -> Self {
        Self::new(Method::POST, Host::Api, path)
    }

    /// A PUT on the API host.
    pub fn put(path: impl Into<Cow<'static, str>>) -> Self {
        Self::new(Method::PUT, Host::Api, path)
    }

    /// A DELETE on the API host.
    pub fn delete(path: impl Into<Cow<'static, str>>) -> Self {
        Self::new(Method::DELETE, Host::Api, path)
    }

    /// A PATCH on the API host.
    pub fn patch(path: impl Into<Cow<'static, str>>) -> Self {
        Self::new(Method::PATCH, Host::Api, path)
    }

    /// Adds the value of the next path placeholder. Empty values are rejected by [`assemble`].
    pub fn path_param(mut self, value: impl Into<String>) -> Self {
        self.path_params.push(value.into());
        self
    }

    /// Adds a query parameter.
    pub fn query(mut self, name: impl Into<Cow<'static, str>>, value: impl ToString) -> Self {
        self.query.push((name.into(), value.to_string()));
        self
    }

    /// Adds a query parameter when `value` is `Some`.
    pub fn query_opt<V: ToString>(
        self,
        name: impl Into<Cow<'static, str>>,
        value: Option<V>,
    ) -> Self {
        match value {
            Some(v) => self.query(name, v),
            None => self,
        }
    }

    /// Adds a comma-joined list as one query parameter when the list is not empty.
    pub fn query_list<S: AsRef<str>>(
        self,
        name: impl Into<Cow<'static, str>>,
        values: &[S],
    ) -> Self {
        if values.is_empty() {
            return self;
        }
        let joined = values
            .iter()
            .map(AsRef::as_ref)
            .collect::<Vec<_>>()
            .join(",");
        self.query(name, joined)
    }

    /// Adds a header.
    pub fn header(mut self, name: HeaderName, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// Adds a header when `value` is `Some`.
    pub fn header_opt(self, name: HeaderName, value: Option<impl Into<String>>) -> Self {
        match value {
            Some(v) => self.header(name, v),
            None => self,
        }
    }

    /// Sets a JSON body serialised from `value`.
    pub fn json<T: serde::Serialize + ?Sized>(mut self, value: &T) -> Result<Self, BuildError> {
        let bytes = serde_json::to_vec(value).map_err(|e| BuildError::Body(e.to_string()))?;
        self.body = Body::Json(bytes);
        Ok(self)
    }

    /// Sets a form body.
    pub fn form(mut self, pairs: Vec<(Cow<'static, str>, String)>) -> Self {
        self.body = Body::Form(pairs);
        self
    }

    /// Sets a body.
    pub fn body(mut self, body: Body) -> Self {
        self.body = body;
        self
    }

    /// Marks the request as not carrying the OAuth header (token endpoints, downloads).
    pub fn unauthenticated(mut self) -> Self {
        self.authenticated = false;
        self
    }

    /// Overrides whether the request may be replayed after an ambiguous failure.
    pub fn idempotent(mut self, idempotent: bool) -> Self {
        self.idempotent = idempotent;
        self
    }

    /// The path with placeholders replaced and everything percent-encoded.
    pub fn encoded_path(&self) -> Result<String, BuildError> {
        let mut out = String::with_capacity(self.path.len() + 32);
        let mut params = self.path_params.iter();
        let mut rest: &str = &self.path;
        while let Some(open) = rest.find('{') {
            out.extend(utf8_percent_encode(&rest[..open], PATH_LITERAL));
            let close = rest[open..].find('}').ok_or_else(|| {
                BuildError::InvalidConfig(format!("unclosed placeholder in path `{}`", self.path))
            })? + open;
            let name = &rest[open + 1..close];
            let value = params.next().ok_or_else(|| {
                BuildError::InvalidConfig(format!(
                    "no value for path parameter `{name}` in `{}`",
                    self.path
                ))
            })?;
            if value.is_empty() {
                return Err(BuildError::Invalid {
                    param: "path",
                    reason: format!("path parameter `{name}` is empty"),
                });
            }
            if value.bytes().all(|b| b == b'.') {
                // `.` and `..` are dot segments: sent as they are, they would climb the path
                // (`/crm/v8/Leads/..` is `/crm/v8`). Encoded, they are just a value.
                out.extend(std::iter::repeat_n("%2E", value.len()));
            } else {
                out.extend(utf8_percent_encode(value, STRICT));
            }
            rest = &rest[close + 1..];
        }
        out.extend(utf8_percent_encode(rest, PATH_LITERAL));
        if params.next().is_some() {
            return Err(BuildError::InvalidConfig(format!(
                "too many path parameters for `{}`",
                self.path
            )));
        }
        Ok(out)
    }

    /// The encoded query string without the leading `?` (empty when there are no parameters).
    pub fn encoded_query(&self) -> String {
        encode_pairs(&self.query, QUERY_VALUE)
    }
}

fn encode_pairs(pairs: &[(Cow<'static, str>, String)], set: &'static AsciiSet) -> String {
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.extend(utf8_percent_encode(k, STRICT));
        out.push('=');
        out.extend(utf8_percent_encode(v, set));
    }
    out
}

/// Joins a [`Context`] and [`RequestParts`] into an `http::Request`: host, encoded path and
/// query, `User-Agent`, `Accept: application/json`, `Content-Type` and the body bytes.
/// The `Authorization` header is not added here (the exchange adds it), so the result holds no token.
pub fn assemble(ctx: &Context, parts: &RequestParts) -> Result<http::Request<Vec<u8>>, BuildError> {
    let mut uri = String::with_capacity(128);
    let path = parts.encoded_path()?;
    // The path is joined to a configured origin, so it must start a path: `.evil.example/x` or
    // `@evil.example` would otherwise change the host (and take the token along).
    if !path.starts_with('/') || path.starts_with("//") {
        return Err(BuildError::Invalid {
            param: "path",
            reason: format!("`{}` must start with a single `/`", parts.path),
        });
    }
    uri.push_str(ctx.origin(parts.host));
    uri.push_str(&path);
    if !parts.query.is_empty() {
        uri.push('?');
        uri.push_str(&parts.encoded_query());
    }
    let (content_type, body): (Option<String>, Vec<u8>) = match &parts.body {
        Body::Empty => (None, Vec::new()),
        Body::Json(b) => (Some("application/json".into()), b.clone()),
        Body::Form(pairs) => (
            Some("application/x-www-form-urlencoded".into()),
            encode_pairs(pairs, STRICT).into_bytes(),
        ),
        Body::Multipart(m) => {
            let boundary = m.boundary();
            (
                Some(format!("multipart/form-data; boundary={boundary}")),
                m.encode(&boundary),
            )
        }
        Body::Bytes { content_type, data } => (Some(content_type.clone()), data.clone()),
    };
    let mut builder = http::Request::builder()
        .method(parts.method.clone())
        .uri(&uri)
        .header(USER_AGENT, header_value(ctx.user_agent())?)
        .header(ACCEPT, HeaderValue::from_static("application/json"));
    if let Some(ct) = content_type {
        builder = builder.header(CONTENT_TYPE, header_value(&ct)?);
    }
    let mut req = builder
        .body(body)
        .map_err(|e| BuildError::InvalidConfig(format!("cannot build request for `{uri}`: {e}")))?;
    for (name, value) in &parts.headers {
        req.headers_mut().insert(name.clone(), header_value(value)?);
    }
    Ok(req)
}

/// Query parameters whose values are secrets (the revoke endpoint takes the refresh token in the
/// query string).
const SECRET_QUERY_NAMES: &[&str] = &[
    "token",
    "refresh_token",
    "access_token",
    "client_secret",
    "code",
];

/// `uri` for messages and `Debug`: the values of secret-bearing query parameters replaced by
/// `<redacted>`.
pub fn redacted_uri(uri: &http::Uri) -> String {
    let Some(query) = uri.query() else {
        return uri.to_string();
    };
    let base = uri.to_string();
    let base = base.split_once('?').map_or(base.as_str(), |(b, _)| b);
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, _)) if SECRET_QUERY_NAMES.iter().any(|s| k.eq_ignore_ascii_case(s)) => {
                format!("{k}=<redacted>")
            }
            _ => pair.to_owned(),
        })
        .collect();
    format!("{base}?{}", pairs.join("&"))
}

fn header_value(v: &str) -> Result<HeaderValue, BuildError> {
    HeaderValue::from_str(v).map_err(|_| BuildError::Invalid {
        param: "header",
        reason: format!("`{v}` is not a valid header value"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::{DataCenter, Environment};

    fn decode(s: &str) -> String {
        percent_encoding::percent_decode_str(s)
            .decode_utf8()
            .unwrap()
            .into_owned()
    }

    #[test]
    fn path_and_query_values_round_trip() {
        let nasty = "a&b+c#d/e?f%g h";
        let parts = RequestParts::get("/crm/v8/{module}/{id}")
            .path_param("httpLogs__c")
            .path_param(nasty)
            .query("criteria", nasty)
            .query("ids", "1,2");
        let ctx = Context::new(DataCenter::Us, Environment::Production);
        let req = assemble(&ctx, &parts).unwrap();
        let uri = req.uri().clone();
        assert_eq!(uri.host(), Some("www.zohoapis.com"));
        let segs: Vec<_> = uri.path().split('/').collect();
        assert_eq!(segs[3], "httpLogs__c");
        assert_eq!(decode(segs[4]), nasty);
        let q = uri.query().unwrap();
        let (crit, ids) = q.split_once('&').unwrap();
        assert_eq!(decode(crit.strip_prefix("criteria=").unwrap()), nasty);
        assert_eq!(ids, "ids=1,2");
    }

    #[test]
    fn dot_segments_in_values_are_encoded() {
        for (value, encoded) in [(".", "%2E"), ("..", "%2E%2E"), ("...", "%2E%2E%2E")] {
            let path = RequestParts::get("/crm/v8/Leads/{id}")
                .path_param(value)
                .encoded_path()
                .unwrap();
            assert_eq!(path, format!("/crm/v8/Leads/{encoded}"));
        }
        // Dots inside a value are plain characters.
        let path = RequestParts::get("/crm/v8/{module}/{id}")
            .path_param("a..b")
            .path_param("x.")
            .encoded_path()
            .unwrap();
        assert_eq!(path, "/crm/v8/a..b/x.");
    }

    #[test]
    fn placeholders_must_match_params() {
        assert!(RequestParts::get("/a/{id}").encoded_path().is_err());
        assert!(RequestParts::get("/a")
            .path_param("x")
            .encoded_path()
            .is_err());
        assert!(RequestParts::get("/a/{id}")
            .path_param("")
            .encoded_path()
            .is_err());
    }

    #[test]
    fn multipart_boundary_avoids_content() {
        let m = Multipart {
            parts: vec![Part {
                name: "file".into(),
                file_name: Some("a.zip".into()),
                content_type: Some("application/zip".into()),
                data: b"zohocrm-rs-boundary-00000000".to_vec(),
            }],
        };
        assert_eq!(m.boundary(), "zohocrm-rs-boundary-00000001");
        let body = String::from_utf8(m.encode("B")).unwrap();
        assert!(body.starts_with(
            "--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.zip\"\r\n"
        ));
        assert!(body.ends_with("--B--\r\n"));
    }
}
