// Shared by the targets: turn the first bytes of an input into a status and content type.

pub const STATUSES: [u16; 14] = [
    200, 201, 202, 204, 207, 304, 400, 401, 403, 404, 429, 500, 502, 503,
];

pub const CONTENT_TYPES: [&str; 4] = [
    "application/json",
    "application/json;charset=UTF-8",
    "text/html",
    "application/octet-stream",
];

/// `(status, content type, body)` from a fuzz input.
pub fn split(data: &[u8]) -> Option<(u16, &'static str, &[u8])> {
    let (&head, body) = data.split_first()?;
    let status = STATUSES[usize::from(head & 0x0f) % STATUSES.len()];
    let content_type = CONTENT_TYPES[usize::from(head >> 4) % CONTENT_TYPES.len()];
    Some((status, content_type, body))
}

pub fn response<'a>(status: u16, content_type: &str, body: &'a [u8]) -> http::Response<&'a [u8]> {
    http::Response::builder()
        .status(status)
        .header("content-type", content_type)
        .body(body)
        .expect("a valid status")
}
