//! `multipart/form-data` bodies: attachment and bulk uploads, and token requests (the Node SDK
//! sends its token parameters as form data).

/// A multipart part: its name, file name, type and bytes.
#[derive(Debug)]
pub(crate) struct Part {
    pub name: String,
    pub file_name: Option<String>,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

/// Files may be this large (attachments and the file store).
pub(crate) const MAX_FILE: usize = 20 * 1024 * 1024;

/// The parts of a multipart request body (none when it is not one).
pub(crate) fn of_request(req: &crate::util::Request) -> Vec<Part> {
    req.header("content-type")
        .and_then(|ct| parts(ct, &req.body))
        .unwrap_or_default()
}

/// Zoho's answer to a file above [`MAX_FILE`].
pub(crate) fn file_too_large() -> crate::util::Response {
    crate::util::api_error(
        400,
        "FILE_SIZE_MORE_THAN_ALLOWED_SIZE",
        "file size is more than the allowed size",
        serde_json::json!({ "limit": MAX_FILE }),
    )
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    (from..=hay.len() - needle.len()).find(|&i| &hay[i..i + needle.len()] == needle)
}

/// A parameter of a header value (`boundary=...`, `filename="..."`), unquoted.
fn header_param(value: &str, name: &str) -> Option<String> {
    let mut rest = value;
    while let Some(i) = rest.find(';') {
        rest = rest[i + 1..].trim_start();
        let (k, v) = rest.split_once('=')?;
        if k.trim().eq_ignore_ascii_case(name) {
            let v = v.trim_start();
            return Some(if let Some(q) = v.strip_prefix('"') {
                let mut out = String::new();
                let mut chars = q.chars();
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => out.extend(chars.next()),
                        '"' => break,
                        c => out.push(c),
                    }
                }
                out
            } else {
                v.split(';').next().unwrap_or("").trim().to_owned()
            });
        }
    }
    None
}

/// `filename*=UTF-8''...` (RFC 5987).
fn ext_file_name(disposition: &str) -> Option<String> {
    let v = header_param(disposition, "filename*")?;
    let (charset, rest) = v.split_once('\'')?;
    let (_, encoded) = rest.split_once('\'')?;
    charset
        .eq_ignore_ascii_case("utf-8")
        .then(|| crate::util::decode(encoded, false))
}

/// The parts of a `multipart/form-data` body.
pub(crate) fn parts(content_type: &str, body: &[u8]) -> Option<Vec<Part>> {
    if !content_type
        .trim_start()
        .to_ascii_lowercase()
        .starts_with("multipart/form-data")
    {
        return None;
    }
    let boundary = header_param(content_type, "boundary")?;
    let delim = format!("--{boundary}").into_bytes();
    let mut parts = Vec::new();
    let mut pos = find(body, &delim, 0)? + delim.len();
    loop {
        if body[pos..].starts_with(b"--") {
            return Some(parts);
        }
        let head_start = find(body, b"\r\n", pos)? + 2;
        let head_end = find(body, b"\r\n\r\n", head_start.saturating_sub(2))?;
        let head = String::from_utf8_lossy(&body[head_start.min(head_end)..head_end]).into_owned();
        let content_start = head_end + 4;
        let mut next_delim = b"\r\n".to_vec();
        next_delim.extend_from_slice(&delim);
        let content_end = find(body, &next_delim, content_start)?;
        let mut part = Part {
            name: String::new(),
            file_name: None,
            content_type: None,
            body: body[content_start..content_end].to_vec(),
        };
        for line in head.split("\r\n") {
            let Some((k, v)) = line.split_once(':') else {
                continue;
            };
            if k.trim().eq_ignore_ascii_case("content-disposition") {
                part.name = header_param(v, "name").unwrap_or_default();
                part.file_name = ext_file_name(v).or_else(|| header_param(v, "filename"));
            } else if k.trim().eq_ignore_ascii_case("content-type") {
                part.content_type = Some(v.trim().to_owned());
            }
        }
        parts.push(part);
        pos = content_end + next_delim.len();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_parts() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nhello\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"quote \\\"final\\\".pdf\"\r\nContent-Type: application/pdf\r\n\r\n%PDF\r\n-x\r\n--XyZ--\r\n";
        let got = parts("multipart/form-data; boundary=\"XyZ\"", body).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].name, "title");
        assert_eq!(got[0].body, b"hello");
        assert_eq!(got[1].file_name.as_deref(), Some("quote \"final\".pdf"));
        assert_eq!(got[1].content_type.as_deref(), Some("application/pdf"));
        assert_eq!(got[1].body, b"%PDF\r\n-x");
        assert!(parts("application/json", body).is_none());
        let utf8 = b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.txt\"; filename*=UTF-8''%C3%A9t%C3%A9.txt\r\n\r\n\r\n--b--";
        let got = parts("multipart/form-data; boundary=b", utf8).unwrap();
        assert_eq!(got[0].file_name.as_deref(), Some("été.txt"));
        assert_eq!(got[0].body, b"");
    }
}
