//! Small shared pieces: the request and response types of the handlers, Zoho's error envelopes,
//! query decoding and timestamps. No routing here.

use std::sync::{Mutex, MutexGuard};

use serde_json::{json, Value};

/// A request as the handlers see it.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    pub method: String,
    /// The raw path (still percent-encoded).
    pub path: String,
    /// The raw query, without `?`.
    pub query: Option<String>,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    segments: Vec<String>,
    params: Vec<(String, String)>,
}

impl Request {
    pub fn new(
        method: String,
        path: String,
        query: Option<String>,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    ) -> Self {
        let segments = path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|s| decode(s, false))
            .collect();
        let params = query.as_deref().map(parse_query).unwrap_or_default();
        Request {
            method,
            path,
            query,
            headers,
            body,
            segments,
            params,
        }
    }

    /// The decoded, non-empty path segments.
    pub fn segments(&self) -> &[String] {
        &self.segments
    }

    /// The decoded query pairs.
    pub fn params(&self) -> &[(String, String)] {
        &self.params
    }

    /// The first query parameter of that name.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first header of that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn is_get(&self) -> bool {
        self.method == "GET"
    }
}

/// A response to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

pub(crate) const JSON: &str = "application/json;charset=UTF-8";

impl Response {
    pub fn json(status: u16, value: &Value) -> Self {
        Response {
            status,
            headers: vec![("content-type".into(), JSON.into())],
            body: serde_json::to_vec(value).unwrap_or_default(),
        }
    }

    /// A file download: its type and `Content-Disposition` with its name.
    pub fn file(name: &str, content_type: &str, bytes: Vec<u8>) -> Self {
        Response {
            status: 200,
            headers: vec![
                ("content-type".into(), content_type.into()),
                ("content-disposition".into(), disposition(name)),
            ],
            body: bytes,
        }
    }

    pub fn no_content() -> Self {
        Response {
            status: 204,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }
}

/// `Content-Disposition` for a download: the plain name, plus RFC 5987 when it is not ASCII.
pub(crate) fn disposition(name: &str) -> String {
    let plain: String = name
        .chars()
        .map(|c| {
            if c.is_ascii() && c != '"' && c != '\\' && !c.is_ascii_control() {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("attachment; filename=\"{plain}\"; filename*=UTF-8''{encoded}")
}

/// Zoho's status object for an error: `{"code","details","message","status":"error"}`.
pub(crate) fn error_obj(code: &str, message: &str, details: Value) -> Value {
    json!({"code": code, "details": details, "message": message, "status": "error"})
}

/// Zoho's status object for a success.
pub(crate) fn success_obj(message: &str, details: Value) -> Value {
    json!({"code": "SUCCESS", "details": details, "message": message, "status": "success"})
}

/// A whole-request error.
pub(crate) fn api_error(status: u16, code: &str, message: &str, details: Value) -> Response {
    Response::json(status, &error_obj(code, message, details))
}

pub(crate) const MSG_INVALID_ID: &str = "the id given seems to be invalid";
pub(crate) const MSG_MANDATORY: &str = "required field not found";
pub(crate) const MSG_INVALID: &str = "invalid data";
pub(crate) const MSG_DUPLICATE: &str = "duplicate data";

pub(crate) fn invalid_url() -> Response {
    api_error(
        404,
        "INVALID_URL_PATTERN",
        "Please check if the URL trying to access is a correct one",
        json!({}),
    )
}

pub(crate) fn invalid_token() -> Response {
    api_error(401, "INVALID_TOKEN", "invalid oauth token", json!({}))
}

pub(crate) fn invalid_method() -> Response {
    api_error(
        400,
        "INVALID_REQUEST_METHOD",
        "The http request method type is not a valid one",
        json!({}),
    )
}

pub(crate) fn invalid_module() -> Response {
    api_error(
        400,
        "INVALID_MODULE",
        "the module name given seems to be invalid",
        json!({}),
    )
}

pub(crate) fn required_param(name: &str) -> Response {
    api_error(
        400,
        "REQUIRED_PARAM_MISSING",
        "One of the expected parameter is missing",
        json!({"param": name, "param_name": name}),
    )
}

pub(crate) fn invalid_param(name: &str) -> Response {
    api_error(
        400,
        "INVALID_DATA",
        MSG_INVALID,
        json!({"param_name": name}),
    )
}

/// The id in the URL path at `index` (counted after `/crm/v8/`) is unknown.
pub(crate) fn invalid_path_id(index: usize) -> Response {
    api_error(
        400,
        "INVALID_DATA",
        MSG_INVALID_ID,
        json!({"resource_path_index": index}),
    )
}

/// A per-item response: `{key: items}` with 400 when every item failed, 207 when some did,
/// `ok_status` otherwise.
pub(crate) fn batch(key: &str, items: Vec<Value>, ok_status: u16) -> Response {
    let failed = items.iter().filter(|i| i["status"] != "success").count();
    let status = if failed == 0 {
        ok_status
    } else if failed == items.len() {
        400
    } else {
        207
    };
    Response::json(status, &json!({ key: items }))
}

/// Parses a JSON body that must be an object, or answers Zoho's `INVALID_DATA` "body" error.
pub(crate) fn json_body(req: &Request) -> Result<serde_json::Map<String, Value>, Response> {
    match serde_json::from_slice::<Value>(&req.body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(api_error(
            400,
            "INVALID_DATA",
            "body",
            json!({"expected_data_type": "jsonobject"}),
        )),
    }
}

/// The array under `key` in a request body, or the whole-request error for it.
pub(crate) fn body_array(
    body: &serde_json::Map<String, Value>,
    key: &str,
) -> Result<Vec<Value>, Response> {
    match body.get(key) {
        None | Some(Value::Null) => Err(api_error(
            400,
            "MANDATORY_NOT_FOUND",
            MSG_MANDATORY,
            json!({"api_name": key, "json_path": format!("$.{key}")}),
        )),
        Some(Value::Array(items)) if !items.is_empty() => Ok(items.clone()),
        Some(Value::Array(_)) => Err(api_error(
            400,
            "MANDATORY_NOT_FOUND",
            MSG_MANDATORY,
            json!({"api_name": key, "json_path": format!("$.{key}")}),
        )),
        Some(_) => Err(api_error(
            400,
            "INVALID_DATA",
            MSG_INVALID,
            json!({"api_name": key, "json_path": format!("$.{key}"), "expected_data_type": "jsonarray"}),
        )),
    }
}

pub(crate) fn limit_exceeded(key: &str, limit: usize) -> Response {
    api_error(
        400,
        "LIMIT_EXCEEDED",
        "limit exceeded",
        json!({"api_name": key, "json_path": format!("$.{key}"), "limit": limit}),
    )
}

/// `page` and `per_page` from the query, with Zoho's defaults; `per_page` is capped at `max`.
pub(crate) fn paging(
    req: &Request,
    default_per_page: usize,
    max: usize,
) -> Result<(usize, usize), Response> {
    let num = |name: &str, default: usize| -> Result<usize, Response> {
        match req.param(name) {
            None => Ok(default),
            Some(v) => match v.trim().parse::<usize>() {
                Ok(n) if n >= 1 => Ok(n),
                _ => Err(invalid_param(name)),
            },
        }
    };
    let page = num("page", 1)?;
    let per_page = num("per_page", default_per_page)?.min(max);
    Ok((page, per_page))
}

/// One page of `items` plus Zoho's `info`, or `None` when the page is empty (204).
pub(crate) fn page_of<T: Clone>(
    items: &[T],
    page: usize,
    per_page: usize,
) -> Option<(Vec<T>, Value)> {
    let start = (page - 1).saturating_mul(per_page);
    if start >= items.len() {
        return None;
    }
    let end = start.saturating_add(per_page).min(items.len());
    let slice = items[start..end].to_vec();
    let info = json!({
        "per_page": per_page,
        "count": slice.len(),
        "page": page,
        "more_records": end < items.len(),
    });
    Some((slice, info))
}

/// A paged listing of `items` under `key` with Zoho's `info` (`page`/`per_page` from the query,
/// default and maximum 200), or 204 when the page is empty.
pub(crate) fn paged(req: &Request, key: &str, items: &[Value]) -> Response {
    let (page, per_page) = match paging(req, 200, 200) {
        Ok(p) => p,
        Err(r) => return r,
    };
    match page_of(items, page, per_page) {
        Some((items, info)) => Response::json(200, &json!({ key: items, "info": info })),
        None => Response::no_content(),
    }
}

/// Percent-decodes; `+` becomes a space when `plus_as_space` (query strings).
pub(crate) fn decode(s: &str, plus_as_space: bool) -> String {
    let s = if plus_as_space {
        std::borrow::Cow::Owned(s.replace('+', " "))
    } else {
        std::borrow::Cow::Borrowed(s)
    };
    percent_encoding::percent_decode_str(&s)
        .decode_utf8_lossy()
        .into_owned()
}

/// Decoded `k=v` pairs of a query string (the same rules as a form body).
pub(crate) fn parse_query(q: &str) -> Vec<(String, String)> {
    zohocrm_fixtures::form_pairs(q.as_bytes())
}

/// The ids an action applies to: the one in the path, else the `ids` query parameter (required,
/// at most `max`).
pub(crate) fn target_ids(
    req: &Request,
    path_id: Option<&str>,
    max: usize,
) -> Result<Vec<String>, Response> {
    let ids = match path_id {
        Some(id) => vec![id.to_owned()],
        None => match req.param("ids").map(id_list) {
            Some(ids) if !ids.is_empty() => ids,
            _ => return Err(required_param("ids")),
        },
    };
    if ids.len() > max {
        return Err(api_error(
            400,
            "LIMIT_EXCEEDED",
            "limit exceeded",
            json!({"param_name": "ids", "limit": max}),
        ));
    }
    Ok(ids)
}

/// Splits a comma-separated id list.
pub(crate) fn id_list(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Locks, ignoring poisoning: a panicking test thread must not take the mock down with it.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Now, as Zoho writes date-times (`2025-01-15T10:00:00+00:00`; the mock's org is on UTC).
pub(crate) fn now_string() -> String {
    format_unix(unix_now())
}

pub(crate) fn format_unix(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}+00:00",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Seconds since the Unix epoch, now.
pub(crate) fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// A whole-request `LIMIT_EXCEEDED` about a query parameter.
pub(crate) fn param_limit_exceeded(name: &str, limit: usize) -> Response {
    api_error(
        400,
        "LIMIT_EXCEEDED",
        "limit exceeded",
        json!({"param_name": name, "limit": limit}),
    )
}

/// A date-time as Unix seconds: ISO 8601 (`2025-01-15T10:00:00+05:30`, `...Z`, fractions
/// allowed; no offset means UTC) or an HTTP date (`Wed, 15 Jan 2025 10:00:00 GMT`).
pub(crate) fn parse_datetime(s: &str) -> Option<i64> {
    let s = s.trim();
    parse_iso(s).or_else(|| parse_http_date(s))
}

fn digits(s: &str) -> Option<i64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn civil_to_unix(y: i64, m: i64, d: i64, hh: i64, mm: i64, ss: i64) -> Option<i64> {
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let month_len = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if !(1..=month_len).contains(&d) || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    Some(days_from_civil(y, m as u32, d as u32) * 86_400 + hh * 3600 + mm * 60 + ss)
}

fn parse_iso(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let n = |r: std::ops::Range<usize>| s.get(r).and_then(digits);
    let t = civil_to_unix(
        n(0..4)?,
        n(5..7)?,
        n(8..10)?,
        n(11..13)?,
        n(14..16)?,
        n(17..19)?,
    )?;
    let mut rest = &s[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let end = frac
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(frac.len());
        if end == 0 {
            return None;
        }
        rest = &frac[end..];
    }
    let offset = match rest {
        "" | "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let hm = rest[1..].replace(':', "");
            if hm.len() != 4 {
                return None;
            }
            let h = digits(&hm[..2])?;
            let m = digits(&hm[2..])?;
            if h > 23 || m > 59 {
                return None;
            }
            sign * (h * 3600 + m * 60)
        }
    };
    Some(t - offset)
}

fn parse_http_date(s: &str) -> Option<i64> {
    // IMF-fixdate only: `Sun, 06 Nov 1994 08:49:37 GMT`.
    let (_, rest) = s.split_once(", ")?;
    let parts: Vec<&str> = rest.split(' ').collect();
    let [d, mon, y, time, "GMT"] = parts.as_slice() else {
        return None;
    };
    let m = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]
    .iter()
    .position(|x| x == mon)? as i64
        + 1;
    let hms: Vec<&str> = time.split(':').collect();
    let [hh, mm, ss] = hms.as_slice() else {
        return None;
    };
    civil_to_unix(
        digits(y)?,
        m,
        digits(d)?,
        digits(hh)?,
        digits(mm)?,
        digits(ss)?,
    )
}

/// Lowercase hex.
pub(crate) fn hex_encode(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Decodes hex (either case); `None` if malformed.
pub(crate) fn hex_decode(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 || !s.is_ascii() {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
        .collect()
}

// Howard Hinnant's civil-to-days algorithm.
pub(crate) fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// FNV-1a, 64 bits: a stable hash for page tokens (not for security).
pub(crate) fn fnv64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

// Howard Hinnant's days-to-civil algorithm.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dispositions() {
        assert_eq!(
            disposition("quote final.pdf"),
            "attachment; filename=\"quote final.pdf\"; filename*=UTF-8''quote%20final.pdf"
        );
        assert_eq!(
            disposition("été.txt"),
            "attachment; filename=\"_t_.txt\"; filename*=UTF-8''%C3%A9t%C3%A9.txt"
        );
    }

    #[test]
    fn dates() {
        assert_eq!(format_unix(0), "1970-01-01T00:00:00+00:00");
        assert_eq!(format_unix(1_736_935_200), "2025-01-15T10:00:00+00:00");
        assert_eq!(format_unix(951_782_400), "2000-02-29T00:00:00+00:00");
    }

    #[test]
    fn parses_datetimes() {
        assert_eq!(
            parse_datetime("2025-01-15T10:00:00+00:00"),
            Some(1_736_935_200)
        );
        assert_eq!(
            parse_datetime("2025-01-15T15:30:00+05:30"),
            Some(1_736_935_200)
        );
        assert_eq!(
            parse_datetime("2025-01-15T10:00:00.123Z"),
            Some(1_736_935_200)
        );
        assert_eq!(parse_datetime("2025-01-15T10:00:00"), Some(1_736_935_200));
        assert_eq!(
            parse_datetime("Wed, 15 Jan 2025 10:00:00 GMT"),
            Some(1_736_935_200)
        );
        assert_eq!(
            parse_datetime("2000-02-29T00:00:00+00:00"),
            Some(951_782_400)
        );
        for bad in [
            "",
            "2025-13-01T00:00:00Z",
            "2025-02-30T00:00:00Z",
            "yesterday",
            "2025-01-15T10:00:00+5",
        ] {
            assert_eq!(parse_datetime(bad), None, "{bad}");
        }
        for secs in [0, 951_782_400, 1_736_935_200, 4_102_444_800] {
            assert_eq!(parse_datetime(&format_unix(secs)), Some(secs));
        }
    }

    #[test]
    fn query() {
        assert_eq!(
            parse_query("a=1&b=x+y%2Cz&c"),
            vec![
                ("a".into(), "1".into()),
                ("b".into(), "x y,z".into()),
                ("c".into(), String::new())
            ]
        );
    }

    #[test]
    fn pages() {
        let v = [1, 2, 3, 4, 5];
        let (items, info) = page_of(&v, 2, 2).unwrap();
        assert_eq!(items, vec![3, 4]);
        assert_eq!(info["more_records"], true);
        assert!(page_of(&v, 4, 2).is_none());
        let (_, info) = page_of(&v, 3, 2).unwrap();
        assert_eq!(info["more_records"], false);
    }
}
