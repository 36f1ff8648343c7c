//! A small HTTP/1.1 server side: reading one request (Content-Length or chunked bodies,
//! `Expect: 100-continue`, keep-alive) and writing a response. Hand-written rather than hyper so
//! that faults can control every byte (no answer at all, a lying `Content-Length`).

use std::io;

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::util::Response;

const MAX_LINE: u64 = 16 * 1024;
const MAX_HEAD: usize = 64 * 1024;
const MAX_HEADERS: usize = 128;
const MAX_BODY: usize = 32 * 1024 * 1024;

/// A request as read from the wire.
#[derive(Debug)]
pub(crate) struct RawRequest {
    pub method: String,
    pub target: String,
    pub keep_alive: bool,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// Why no request could be read.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// The connection failed or ended mid-request: close without answering.
    Io,
    /// A malformed request: answer with this status, then close.
    Bad(u16, &'static str),
}

fn trim_eol(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Reads one line (with its `\n`) into `buf`; `Ok(0)` at a clean end of stream.
async fn read_line<R: AsyncBufRead + Unpin>(
    r: &mut R,
    buf: &mut Vec<u8>,
) -> Result<usize, ReadError> {
    buf.clear();
    let n = (&mut *r)
        .take(MAX_LINE)
        .read_until(b'\n', buf)
        .await
        .map_err(|_| ReadError::Io)?;
    if n > 0 && buf.last() != Some(&b'\n') {
        return Err(if n as u64 >= MAX_LINE {
            ReadError::Bad(431, "request line or header too long")
        } else {
            ReadError::Io
        });
    }
    Ok(n)
}

fn header_values<'a>(
    headers: &'a [(String, String)],
    name: &'a str,
) -> impl Iterator<Item = &'a str> {
    headers
        .iter()
        .filter(move |(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Reads the next request; `Ok(None)` when the client closed the connection between requests.
pub(crate) async fn read_request<R, W>(
    r: &mut R,
    w: &mut W,
) -> Result<Option<RawRequest>, ReadError>
where
    R: AsyncBufRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut line = Vec::new();
    // Request line; RFC 9112 lets a server ignore empty lines before it.
    loop {
        if read_line(r, &mut line).await? == 0 {
            return Ok(None);
        }
        if !trim_eol(&line).is_empty() {
            break;
        }
    }
    let request_line = std::str::from_utf8(trim_eol(&line))
        .map_err(|_| ReadError::Bad(400, "request line is not UTF-8"))?
        .to_owned();
    let mut parts = request_line.split(' ');
    let (method, target, version) = match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(m), Some(t), Some(v), None) if is_token(m) && !t.is_empty() => {
            (m.to_owned(), t.to_owned(), v.to_owned())
        }
        _ => return Err(ReadError::Bad(400, "malformed request line")),
    };
    let http10 = match version.as_str() {
        "HTTP/1.1" => false,
        "HTTP/1.0" => true,
        _ => {
            return Err(ReadError::Bad(
                505,
                "only HTTP/1.0 and HTTP/1.1 are supported",
            ))
        }
    };

    let mut headers = Vec::new();
    let mut head_size = line.len();
    loop {
        let n = read_line(r, &mut line).await?;
        if n == 0 {
            return Err(ReadError::Io);
        }
        head_size += n;
        if head_size > MAX_HEAD || headers.len() > MAX_HEADERS {
            return Err(ReadError::Bad(431, "request headers too large"));
        }
        let raw = trim_eol(&line);
        if raw.is_empty() {
            break;
        }
        if raw[0] == b' ' || raw[0] == b'\t' {
            return Err(ReadError::Bad(400, "obsolete header line folding"));
        }
        let text = String::from_utf8_lossy(raw);
        let (name, value) = text
            .split_once(':')
            .ok_or(ReadError::Bad(400, "malformed header line"))?;
        if !is_token(name) {
            return Err(ReadError::Bad(400, "malformed header name"));
        }
        headers.push((name.to_ascii_lowercase(), value.trim().to_owned()));
    }

    let get = |name: &'static str| header_values(&headers, name);
    let connection: Vec<String> = get("connection")
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().to_ascii_lowercase())
        .collect();
    let keep_alive = if http10 {
        connection.iter().any(|t| t == "keep-alive")
    } else {
        !connection.iter().any(|t| t == "close")
    };
    let chunked = match get("transfer-encoding").last() {
        None => false,
        Some(te)
            if te
                .rsplit(',')
                .next()
                .is_some_and(|c| c.trim().eq_ignore_ascii_case("chunked")) =>
        {
            true
        }
        Some(_) => return Err(ReadError::Bad(400, "unsupported transfer-encoding")),
    };
    let mut length = None;
    if !chunked {
        for v in get("content-length") {
            let n: usize = v
                .parse()
                .map_err(|_| ReadError::Bad(400, "malformed content-length"))?;
            if length.is_some_and(|l| l != n) {
                return Err(ReadError::Bad(400, "conflicting content-length headers"));
            }
            length = Some(n);
        }
    }
    if length.is_some_and(|n| n > MAX_BODY) {
        return Err(ReadError::Bad(413, "request body too large"));
    }
    let expects_body = chunked || length.is_some_and(|n| n > 0);
    if expects_body
        && get("expect")
            .last()
            .is_some_and(|e| e.eq_ignore_ascii_case("100-continue"))
    {
        w.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
            .await
            .map_err(|_| ReadError::Io)?;
        w.flush().await.map_err(|_| ReadError::Io)?;
    }

    let body = if chunked {
        read_chunked(r, &mut line).await?
    } else {
        let mut body = vec![0; length.unwrap_or(0)];
        r.read_exact(&mut body).await.map_err(|_| ReadError::Io)?;
        body
    };
    Ok(Some(RawRequest {
        method,
        target,
        keep_alive,
        headers,
        body,
    }))
}

async fn read_chunked<R: AsyncBufRead + Unpin>(
    r: &mut R,
    line: &mut Vec<u8>,
) -> Result<Vec<u8>, ReadError> {
    let mut body = Vec::new();
    loop {
        if read_line(r, line).await? == 0 {
            return Err(ReadError::Io);
        }
        let text = String::from_utf8_lossy(trim_eol(line)).into_owned();
        let size_text = text.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_text, 16)
            .map_err(|_| ReadError::Bad(400, "malformed chunk size"))?;
        if size == 0 {
            // Trailer section, up to the empty line.
            loop {
                if read_line(r, line).await? == 0 {
                    return Err(ReadError::Io);
                }
                if trim_eol(line).is_empty() {
                    return Ok(body);
                }
            }
        }
        if body.len().saturating_add(size) > MAX_BODY {
            return Err(ReadError::Bad(413, "request body too large"));
        }
        let start = body.len();
        body.resize(start + size, 0);
        r.read_exact(&mut body[start..])
            .await
            .map_err(|_| ReadError::Io)?;
        if read_line(r, line).await? == 0 || !trim_eol(line).is_empty() {
            return Err(ReadError::Bad(400, "malformed chunk"));
        }
    }
}

fn reason(status: u16) -> &'static str {
    http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Unknown")
}

fn head(resp: &Response, content_length: Option<usize>, close: bool) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {} {}\r\n", resp.status, reason(resp.status)).into_bytes();
    for (k, v) in &resp.headers {
        let lower = k.to_ascii_lowercase();
        if matches!(
            lower.as_str(),
            "content-length" | "transfer-encoding" | "connection"
        ) {
            continue;
        }
        // Header values come from fixtures and faults: never let them split the response.
        let v = v.replace(['\r', '\n'], " ");
        out.extend_from_slice(format!("{k}: {v}\r\n").as_bytes());
    }
    if let Some(n) = content_length {
        out.extend_from_slice(format!("content-length: {n}\r\n").as_bytes());
    }
    if close {
        out.extend_from_slice(b"connection: close\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out
}

fn bodiless(status: u16) -> bool {
    status == 204 || status == 304 || (100..200).contains(&status)
}

/// Writes a complete response (only its head for `HEAD` requests).
pub(crate) async fn write_response<W: AsyncWrite + Unpin>(
    w: &mut W,
    resp: &Response,
    keep_alive: bool,
    head_only: bool,
) -> io::Result<()> {
    let mut out = if bodiless(resp.status) {
        head(resp, None, !keep_alive)
    } else {
        head(resp, Some(resp.body.len()), !keep_alive)
    };
    if !bodiless(resp.status) && !head_only {
        out.extend_from_slice(&resp.body);
    }
    w.write_all(&out).await?;
    w.flush().await
}

/// Writes the head with the full `Content-Length` but only the first half of the body.
pub(crate) async fn write_truncated<W: AsyncWrite + Unpin>(
    w: &mut W,
    resp: &Response,
) -> io::Result<()> {
    let fallback;
    let resp = if bodiless(resp.status) || resp.body.len() < 2 {
        fallback = Response::json(
            200,
            &serde_json::json!({"data": [{"id": "5725767000000000001"}]}),
        );
        &fallback
    } else {
        resp
    };
    let mut out = head(resp, Some(resp.body.len()), true);
    out.extend_from_slice(&resp.body[..resp.body.len() / 2]);
    w.write_all(&out).await?;
    w.flush().await?;
    w.shutdown().await
}

/// A plain error answer for a request that could not be parsed.
pub(crate) fn bad_request(status: u16, why: &str) -> Response {
    crate::util::api_error(status, "INVALID_REQUEST", why, serde_json::json!({}))
}
