//! Reading records: listing a module (fields, sorting, `page` and `page_token` paging,
//! `If-Modified-Since`), one record by id, and the recycle bin. The paging machinery here is
//! shared with related lists and search.

use serde_json::{json, Map, Value};

use super::{Key, Record, Spec};
use crate::org::{Org, TERRITORY_MODULES};
use crate::util::{
    api_error, fnv64, format_unix, hex_decode, hex_encode, id_list, invalid_param, page_of, paging,
    param_limit_exceeded, parse_datetime, required_param, unix_now, Request, Response, MSG_INVALID,
};

/// Names in `fields`.
pub(super) const MAX_FIELDS: usize = 50;
/// Records per page.
pub(super) const MAX_PER_PAGE: usize = 200;
/// Records reachable with `page` (page × per_page).
pub(super) const DISCRETE_LIMIT: usize = 2000;
/// Records reachable with `page_token`.
pub(super) const TOKEN_LIMIT: usize = 100_000;
/// Lifetime of a page token.
const TOKEN_TTL: i64 = 86_400;
/// Ids in the `ids` parameter.
const MAX_IDS: usize = 100;

/// The order of a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SortBy {
    Id,
    Created,
    Modified,
}

impl SortBy {
    fn name(self) -> &'static str {
        match self {
            SortBy::Id => "id",
            SortBy::Created => "Created_Time",
            SortBy::Modified => "Modified_Time",
        }
    }
}

/// Where a record sits in a listing: its sort field as Unix seconds (`None` for `id` order or
/// a missing or malformed date-time), then its id.
pub(super) type SortKey = (Option<i64>, Key);

/// A page token's content: how many records came before, and the last one of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Cursor {
    pub count: usize,
    pub last: Option<SortKey>,
}

#[derive(Debug)]
pub(super) enum Mode {
    Page(usize),
    Token(Cursor),
}

/// A parsed listing request.
#[derive(Debug)]
pub(super) struct Listing {
    pub fields: Option<Vec<String>>,
    pub per_page: usize,
    pub mode: Mode,
    pub sort_by: SortBy,
    pub desc: bool,
    pub since: Option<i64>,
    bind: u64,
}

/// What a listing accepts.
#[derive(Debug, Clone, Copy)]
pub(super) struct Accepts {
    pub fields_required: bool,
    pub tokens: bool,
    pub sorting: bool,
}

pub(super) const LIST: Accepts = Accepts {
    fields_required: true,
    tokens: true,
    sorting: true,
};

fn ambiguity(params: &[&str], message: &str) -> Response {
    let due: Vec<Value> = params.iter().map(|p| json!({"param_name": p})).collect();
    api_error(
        400,
        "AMBIGUITY_DURING_PROCESSING",
        message,
        json!({"ambiguity_due_to": due}),
    )
}

pub(super) fn not_modified() -> Response {
    Response {
        status: 304,
        headers: Vec::new(),
        body: Vec::new(),
    }
}

fn invalid_token() -> Response {
    api_error(
        400,
        "INVALID_DATA",
        MSG_INVALID,
        json!({"param_name": "page_token"}),
    )
}

/// The `fields` parameter: names in order, without duplicates.
pub(super) fn parse_fields(req: &Request, required: bool) -> Result<Option<Vec<String>>, Response> {
    let Some(raw) = req.param("fields") else {
        return if required {
            Err(required_param("fields"))
        } else {
            Ok(None)
        };
    };
    let mut names: Vec<String> = Vec::new();
    for name in raw.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if !names.iter().any(|n| n == name) {
            names.push(name.to_owned());
        }
    }
    if names.is_empty() {
        return if required {
            Err(required_param("fields"))
        } else {
            Ok(None)
        };
    }
    if names.len() > MAX_FIELDS {
        return Err(param_limit_exceeded("fields", MAX_FIELDS));
    }
    Ok(Some(names))
}

/// `If-Modified-Since`, if sent.
pub(super) fn since(req: &Request) -> Result<Option<i64>, Response> {
    match req.header("if-modified-since") {
        None => Ok(None),
        Some(v) => parse_datetime(v).map(Some).ok_or_else(|| {
            api_error(
                400,
                "INVALID_DATA",
                MSG_INVALID,
                json!({"header_name": "If-Modified-Since"}),
            )
        }),
    }
}

/// The hash a page token is bound to: the resource and every query parameter but `page` and
/// `page_token`.
fn bind_hash(req: &Request, scope: &str) -> u64 {
    let mut pairs: Vec<(&str, &str)> = req
        .params()
        .iter()
        .filter(|(k, _)| k != "page" && k != "page_token")
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    pairs.sort_unstable();
    let mut text = scope.to_ascii_lowercase();
    for (k, v) in pairs {
        text.push('\n');
        text.push_str(k);
        text.push('=');
        text.push_str(v);
    }
    fnv64(text.as_bytes())
}

const TOKEN_SALT: &str = "zohocrm-mock page token v1";

fn encode_token(c: &Cursor, bind: u64, minted: i64) -> String {
    let (has, sort, id) = match &c.last {
        None => ("0", String::new(), String::new()),
        Some((s, k)) => (
            "1",
            s.map(|s| s.to_string()).unwrap_or_default(),
            k.1.clone(),
        ),
    };
    let payload = format!("{}.{bind:016x}.{minted}.{has}.{sort}.{id}", c.count);
    let check = fnv64(format!("{TOKEN_SALT}{payload}").as_bytes());
    format!("{}{check:016x}", hex_encode(payload.as_bytes()))
}

fn decode_token(t: &str) -> Option<(Cursor, u64, i64)> {
    if t.len() < 18 || !t.is_ascii() {
        return None;
    }
    let (body, check) = t.split_at(t.len() - 16);
    let payload = String::from_utf8(hex_decode(body)?).ok()?;
    if u64::from_str_radix(check, 16).ok()? != fnv64(format!("{TOKEN_SALT}{payload}").as_bytes()) {
        return None;
    }
    let mut parts = payload.splitn(6, '.');
    let count = parts.next()?.parse().ok()?;
    let bind = u64::from_str_radix(parts.next()?, 16).ok()?;
    let minted = parts.next()?.parse().ok()?;
    let has = parts.next()?;
    let sort = parts.next()?;
    let id = parts.next()?;
    let last = match has {
        "0" => None,
        "1" => {
            let sort = if sort.is_empty() {
                None
            } else {
                Some(sort.parse().ok()?)
            };
            Some((sort, Key::of(id)))
        }
        _ => return None,
    };
    Some((Cursor { count, last }, bind, minted))
}

/// Parses paging, fields and order of a listing of `scope` (the path after `/crm/v8/`).
pub(super) fn parse_listing(
    req: &Request,
    scope: &str,
    accepts: Accepts,
) -> Result<Listing, Response> {
    let token = if accepts.tokens {
        req.param("page_token")
    } else {
        None
    };
    if token.is_some() && req.param("page").is_some() {
        return Err(ambiguity(
            &["page", "page_token"],
            "either page or page_token can be given, not both",
        ));
    }
    if accepts.sorting && req.param("cvid").is_some() && req.param("sort_by").is_some() {
        return Err(ambiguity(
            &["cvid", "sort_by"],
            "either cvid or sort_by can be given, not both",
        ));
    }
    let fields = parse_fields(req, accepts.fields_required)?;
    let per_page = match req.param("per_page") {
        None => MAX_PER_PAGE,
        Some(v) => match v.trim().parse::<usize>() {
            Ok(n) if (1..=MAX_PER_PAGE).contains(&n) => n,
            _ => return Err(invalid_param("per_page")),
        },
    };
    let (sort_by, desc) = if accepts.sorting {
        let by = match req.param("sort_by") {
            None | Some("id") => SortBy::Id,
            Some("Created_Time") => SortBy::Created,
            Some("Modified_Time") => SortBy::Modified,
            Some(_) => return Err(invalid_param("sort_by")),
        };
        let desc = match req.param("sort_order") {
            None | Some("desc") => true,
            Some("asc") => false,
            Some(_) => return Err(invalid_param("sort_order")),
        };
        (by, desc)
    } else {
        (SortBy::Id, true)
    };
    let since = since(req)?;
    let bind = bind_hash(req, scope);
    let mode = match token {
        Some(t) => {
            let (cursor, bound, minted) = decode_token(t).ok_or_else(invalid_token)?;
            if bound != bind {
                return Err(api_error(
                    400,
                    "TOKEN_BOUND_DATA_MISMATCH",
                    "The page_token given seems to be invalid or input param is added or altered or deleted",
                    json!({"param_name": "page_token"}),
                ));
            }
            if unix_now() > minted + TOKEN_TTL {
                return Err(api_error(
                    400,
                    "EXPIRED_VALUE",
                    "Page token expired",
                    json!({"param_name": "page_token"}),
                ));
            }
            if cursor.count >= TOKEN_LIMIT {
                return Err(api_error(
                    400,
                    "PAGINATION_LIMIT_EXCEEDED",
                    "You can only get up to first 100000 records using page_token param.",
                    json!({"limit": TOKEN_LIMIT}),
                ));
            }
            Mode::Token(cursor)
        }
        None => {
            let page = match req.param("page") {
                None => 1,
                Some(v) => match v.trim().parse::<usize>() {
                    Ok(n) if n >= 1 => n,
                    _ => return Err(invalid_param("page")),
                },
            };
            if page.saturating_mul(per_page) > DISCRETE_LIMIT {
                return Err(api_error(
                    400,
                    "DISCRETE_PAGINATION_LIMIT_EXCEEDED",
                    "You can only get the first 2000 records without using page_token param.",
                    json!({"limit": DISCRETE_LIMIT}),
                ));
            }
            Mode::Page(page)
        }
    };
    Ok(Listing {
        fields,
        per_page,
        mode,
        sort_by,
        desc,
        since,
        bind,
    })
}

impl Listing {
    /// A record's place in this listing's order.
    pub fn key_of(&self, fields: &Map<String, Value>, id: &str) -> SortKey {
        let field = match self.sort_by {
            SortBy::Id => None,
            SortBy::Created => Some("Created_Time"),
            SortBy::Modified => Some("Modified_Time"),
        };
        let t = field
            .and_then(|f| fields.get(f))
            .and_then(Value::as_str)
            .and_then(parse_datetime);
        (t, Key::of(id))
    }

    /// One page of `rows` (any order) under `key` with Zoho's `info`, or 204 when the page is
    /// empty. `project` turns a row into what the page shows.
    pub fn respond<T>(
        &self,
        key: &str,
        mut rows: Vec<(SortKey, T)>,
        project: impl Fn(T) -> Value,
    ) -> Response {
        rows.sort_by(|a, b| a.0.cmp(&b.0));
        if self.desc {
            rows.reverse();
        }
        let total = rows.len();
        let (start, before, cap) = match &self.mode {
            Mode::Page(p) => {
                let start = (p - 1).saturating_mul(self.per_page);
                (start, start, self.per_page)
            }
            Mode::Token(c) => {
                let start = match &c.last {
                    None => 0,
                    Some(k) if self.desc => rows.partition_point(|(rk, _)| rk >= k),
                    Some(k) => rows.partition_point(|(rk, _)| rk <= k),
                };
                (
                    start,
                    c.count,
                    self.per_page.min(TOKEN_LIMIT.saturating_sub(c.count)),
                )
            }
        };
        if start >= total {
            return Response::no_content();
        }
        let end = start.saturating_add(cap).min(total);
        let more = end < total;
        let now = unix_now();
        let next = more.then(|| {
            encode_token(
                &Cursor {
                    count: before + (end - start),
                    last: Some(rows[end - 1].0.clone()),
                },
                self.bind,
                now,
            )
        });
        let previous = (start > 0 && before > 0).then(|| {
            let back = self.per_page.min(start).min(before);
            let prev_start = start - back;
            encode_token(
                &Cursor {
                    count: before - back,
                    last: (prev_start > 0).then(|| rows[prev_start - 1].0.clone()),
                },
                self.bind,
                now,
            )
        });
        let expiry = (next.is_some() || previous.is_some()).then(|| format_unix(now + TOKEN_TTL));
        let count = end - start;
        let items: Vec<Value> = rows
            .into_iter()
            .skip(start)
            .take(count)
            .map(|(_, row)| project(row))
            .collect();
        let mut info = json!({
            "per_page": self.per_page,
            "count": count,
            "sort_by": self.sort_by.name(),
            "sort_order": if self.desc { "desc" } else { "asc" },
            "more_records": more,
            "next_page_token": next,
            "previous_page_token": previous,
            "page_token_expiry": expiry,
            "call": false,
            "email": false,
        });
        if let Mode::Page(p) = self.mode {
            info["page"] = json!(p);
        }
        Response::json(200, &json!({ key: items, "info": info }))
    }
}

/// Whether a record was modified after `since`.
pub(super) fn modified_after(fields: &Map<String, Value>, since: i64) -> bool {
    fields
        .get("Modified_Time")
        .and_then(Value::as_str)
        .and_then(parse_datetime)
        .is_some_and(|t| t > since)
}

impl Org {
    /// The `Territories` of a record, as `GET /{module}/{id}` shows them.
    fn territories_json(&self, rec: &Record) -> Value {
        let items: Vec<Value> = rec
            .territories
            .iter()
            .map(|a| {
                json!({
                    "Name": self.territory(&a.territory).map(|t| t.name.clone()),
                    "id": a.territory,
                    "$assigned_by": self.user_ref(a.by.as_deref()),
                    "$assigned_time": a.time,
                    "$assigned": if a.manual { "manually" } else { "automatically" },
                })
            })
            .collect();
        Value::Array(items)
    }

    /// A record as a response shows it: every field, or `id` plus the requested ones (`null`
    /// when the record has no value).
    pub(super) fn project(&self, rec: &Record, fields: Option<&[String]>) -> Value {
        let with_territories = TERRITORY_MODULES.contains(&rec.module);
        match fields {
            None => {
                let mut v = rec.fields.clone();
                if with_territories {
                    v.insert("Territories".into(), self.territories_json(rec));
                }
                Value::Object(v)
            }
            Some(names) => {
                let mut v = Map::new();
                v.insert("id".into(), json!(rec.id));
                for name in names {
                    let value = if name == "Territories" && with_territories {
                        self.territories_json(rec)
                    } else {
                        rec.fields.get(name).cloned().unwrap_or(Value::Null)
                    };
                    v.insert(name.clone(), value);
                }
                Value::Object(v)
            }
        }
    }

    /// `GET /{module}`.
    pub(super) fn list_records(&self, req: &Request, spec: &Spec) -> Response {
        match self.list_inner(req, spec) {
            Ok(r) | Err(r) => r,
        }
    }

    fn list_inner(&self, req: &Request, spec: &Spec) -> Result<Response, Response> {
        let listing = parse_listing(req, spec.name, LIST)?;
        let converted = converted_filter(req)?;
        tri_state(req, "approved")?;
        let ids = match req.param("ids") {
            None => None,
            Some(raw) => {
                let ids = id_list(raw);
                if ids.len() > MAX_IDS {
                    return Err(param_limit_exceeded("ids", MAX_IDS));
                }
                Some(ids)
            }
        };
        let territory = req.param("territory_id");
        let mut rows: Vec<&Record> = self
            .records
            .records(spec.name)
            .filter(|r| spec.name != "Leads" || converted.is_none_or(|c| is_converted(r) == c))
            .filter(|r| ids.as_ref().is_none_or(|ids| ids.contains(&r.id)))
            .filter(|r| territory.is_none_or(|t| r.territories.iter().any(|a| a.territory == t)))
            .collect();
        if rows.is_empty() {
            return Ok(Response::no_content());
        }
        if let Some(since) = listing.since {
            rows.retain(|r| modified_after(&r.fields, since));
            if rows.is_empty() {
                return Ok(not_modified());
            }
        }
        let rows = rows
            .into_iter()
            .map(|r| (listing.key_of(&r.fields, &r.id), r))
            .collect();
        let fields = listing.fields.as_deref();
        Ok(listing.respond("data", rows, |r| self.project(r, fields)))
    }

    /// `GET /{module}/{id}`: `None` when there is no such record.
    pub(super) fn get_record(&self, req: &Request, spec: &Spec, segment: &str) -> Option<Response> {
        let id = self.path_record(req, spec.name, segment)?;
        let rec = self.records.get(spec.name, &id)?;
        let answer = (|| {
            let fields = parse_fields(req, false)?;
            if let Some(since) = since(req)? {
                if !modified_after(&rec.fields, since) {
                    return Ok(not_modified());
                }
            }
            Ok(Response::json(
                200,
                &json!({"data": [self.project(rec, fields.as_deref())]}),
            ))
        })();
        Some(answer.unwrap_or_else(|e: Response| e))
    }

    /// `GET /{module}/deleted`, newest first; with `If-Modified-Since`, only the records
    /// deleted after it.
    pub(super) fn deleted_records(&self, req: &Request, spec: &Spec) -> Response {
        let recycle = match req.param("type") {
            None | Some("all") | Some("recycle") => true,
            Some("permanent") => false,
            Some(_) => return invalid_param("type"),
        };
        let (page, per_page) = match paging(req, MAX_PER_PAGE, MAX_PER_PAGE) {
            Ok(p) => p,
            Err(r) => return r,
        };
        let since = match since(req) {
            Ok(s) => s,
            Err(r) => return r,
        };
        // Nothing is ever deleted permanently in the mock.
        let items: Vec<Value> = if recycle {
            self.records
                .bin
                .iter()
                .rev()
                .filter(|b| b.module == spec.name)
                .filter(|b| {
                    since.is_none_or(|s| parse_datetime(&b.deleted_time).is_some_and(|t| t > s))
                })
                .map(|b| {
                    json!({
                        "deleted_by": b.deleted_by,
                        "id": b.id,
                        "display_name": b.display_name,
                        "type": "recycle",
                        "created_by": b.created_by,
                        "deleted_time": b.deleted_time,
                    })
                })
                .collect()
        } else {
            Vec::new()
        };
        match page_of(&items, page, per_page) {
            Some((items, info)) => Response::json(200, &json!({"data": items, "info": info})),
            None => Response::no_content(),
        }
    }
}

/// Whether a lead is converted.
pub(super) fn is_converted(r: &Record) -> bool {
    r.fields.get("$converted") == Some(&Value::Bool(true))
}

/// `true`, `false` or `both` (`None`).
fn tri_state(req: &Request, name: &str) -> Result<Option<bool>, Response> {
    match req.param(name) {
        None | Some("false") => Ok(Some(false)),
        Some("true") => Ok(Some(true)),
        Some("both") => Ok(None),
        Some(_) => Err(invalid_param(name)),
    }
}

/// The `converted` filter of Leads (default: unconverted ones only).
pub(super) fn converted_filter(req: &Request) -> Result<Option<bool>, Response> {
    tri_state(req, "converted")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(query: &str) -> Request {
        Request::new(
            "GET".into(),
            "/crm/v8/Leads".into(),
            Some(query.into()),
            Vec::new(),
            Vec::new(),
        )
    }

    fn error_code(r: Result<Listing, Response>) -> Value {
        let err = r.unwrap_err();
        serde_json::from_slice::<Value>(&err.body).unwrap()["code"].clone()
    }

    #[test]
    fn tokens_stop_at_the_hundred_thousandth_record() {
        let rows: Vec<(SortKey, usize)> = (0..500)
            .map(|i| ((None, Key::of(&format!("{}", 1000 + i))), i))
            .collect();
        let base = get("fields=a&per_page=200");
        let bind = bind_hash(&base, "Leads");
        let token =
            |count: usize, minted: i64| encode_token(&Cursor { count, last: None }, bind, minted);
        let with = |t: &str| get(&format!("fields=a&per_page=200&page_token={t}"));
        let near = token(TOKEN_LIMIT - 100, unix_now());
        let listing = parse_listing(&with(&near), "Leads", LIST).unwrap();
        let resp = listing.respond("data", rows, |i| json!(i));
        let v: Value = serde_json::from_slice(&resp.body).unwrap();
        assert_eq!(v["info"]["count"], 100);
        assert_eq!(v["info"]["more_records"], true);
        let next = v["info"]["next_page_token"].as_str().unwrap();
        assert_eq!(
            error_code(parse_listing(&with(next), "Leads", LIST)),
            "PAGINATION_LIMIT_EXCEEDED"
        );
        // Another resource with the same parameters is another binding.
        assert_eq!(
            error_code(parse_listing(&with(&near), "Contacts", LIST)),
            "TOKEN_BOUND_DATA_MISMATCH"
        );
        assert_eq!(
            error_code(parse_listing(&with(&token(200, 0)), "Leads", LIST)),
            "EXPIRED_VALUE"
        );
    }

    #[test]
    fn tokens_round_trip_and_reject_tampering() {
        let c = Cursor {
            count: 2200,
            last: Some((Some(-5), Key::of("5725767000002000042"))),
        };
        let t = encode_token(&c, 0xabc, 1_736_935_200);
        assert_eq!(decode_token(&t), Some((c, 0xabc, 1_736_935_200)));
        let start = Cursor {
            count: 0,
            last: None,
        };
        let t2 = encode_token(&start, 1, 2);
        assert_eq!(decode_token(&t2), Some((start, 1, 2)));
        let mut bad = t.clone().into_bytes();
        bad[3] = if bad[3] == b'0' { b'1' } else { b'0' };
        assert_eq!(decode_token(&String::from_utf8(bad).unwrap()), None);
        assert_eq!(decode_token("garbage"), None);
        assert_eq!(decode_token("ééééééééééééééééééééé"), None);
    }
}
