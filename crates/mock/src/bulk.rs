//! Bulk read and bulk write: jobs whose state advances with each status poll, result zips of
//! one CSV, and the upload host (`POST /crm/v8/upload` with `feature: bulk-write` and
//! `X-CRM-ORG`).
//!
//! Jobs and uploaded files live as long as the server: a client killed and started again finds
//! its jobs where they were (resumable bulk jobs rely on it, as they do on Zoho's keeping jobs
//! and results for a day). An uploaded file is consumed by the write job created from it.
//!
//! Choices where Zoho's documents are silent:
//! - a read job answers `ADDED` when created, `IN PROGRESS` at the first status poll and
//!   `COMPLETED` from the second on; a write job answers `ADDED`, then `INPROGRESS` (the
//!   samples' spelling), then `COMPLETED`. A result downloaded before completion is
//!   `RESOURCE_NOT_FOUND` (400);
//! - a read job reads the store when it completes; with `MockConfig::bulk_read_rows` it reads
//!   that many generated rows instead, made on the fly while the zip is written (no record is
//!   held in memory). Its CSV has the `id` column first, then the requested fields (`Owner.name`
//!   style fields read into lookups; lookups are written as their id; multi-selects joined by
//!   `;`; null as an empty cell). Criteria support `equal`, `not_equal`, `in`, `not_in`,
//!   `contains`, `not_contains`, `starts_with`, `ends_with`, `greater_than`, `greater_equal`,
//!   `less_than`, `less_equal`, `between` and groups; `next_page_token` is `p{page}.{hash}`;
//! - a write job runs its rows when it is created, through the records API in calls of 100
//!   (so every validation of the records API applies); the report holds the CSV's columns plus
//!   `STATUS` (`ADDED`, `UPDATED` or `SKIPPED`), `RECORD_ID` and `ERRORS` (`CODE-field`). Its
//!   `download_url` is `/crm/bulk/v8/write/{job_id}/result` on the API host;
//! - the upload host answers a missing or wrong `feature`/`X-CRM-ORG` header with HTTP 400
//!   `{"ERROR_CODE": 400, "ERROR_MESSAGE": "Bad Request", "x-error": ...}`.

use std::collections::BTreeMap;
use std::io::{Cursor, Read, Write};

use serde_json::{json, Map, Value};

use crate::org::{make_id, module_name, Org, Routed};
use crate::util::{api_error, fnv64, invalid_method, invalid_url, json_body, Request, Response};
use crate::MockConfig;

const ZIP: &str = "application/x-download";
/// Rows per bulk write file (Zoho's limit).
const MAX_WRITE_ROWS: usize = 25_000;
/// Bytes per upload (Zoho's limit).
const MAX_UPLOAD: usize = 25 * 1024 * 1024;

#[derive(Debug, Clone)]
struct ReadJob {
    id: String,
    module: &'static str,
    fields: Vec<String>,
    criteria: Option<Value>,
    page: usize,
    query: Value,
    file_type: &'static str,
    created_time: String,
    polls: u32,
    /// Set when the job completes: (count on this page, more pages).
    done: Option<(usize, bool)>,
}

#[derive(Debug, Clone)]
struct WriteJob {
    id: String,
    module: &'static str,
    operation: String,
    field_mappings: Value,
    file_name: String,
    created_time: String,
    polls: u32,
    added: usize,
    updated: usize,
    skipped: usize,
    total: usize,
    report: Vec<u8>,
}

/// The bulk jobs and uploaded files of the org.
#[derive(Debug, Clone)]
pub(crate) struct BulkState {
    org_id: String,
    generated: Option<usize>,
    page_size: usize,
    reads: BTreeMap<String, ReadJob>,
    writes: BTreeMap<String, WriteJob>,
    files: BTreeMap<String, (String, Vec<u8>)>,
    next: u64,
}

impl BulkState {
    pub fn new(config: &MockConfig) -> Self {
        BulkState {
            org_id: config.org_id.clone(),
            generated: config.bulk_read_rows,
            page_size: config.bulk_page_size.max(1),
            reads: BTreeMap::new(),
            writes: BTreeMap::new(),
            files: BTreeMap::new(),
            next: 0,
        }
    }

    fn new_id(&mut self) -> String {
        self.next += 1;
        make_id(7_000_000 + self.next)
    }
}

fn not_found() -> Response {
    api_error(
        400,
        "RESOURCE_NOT_FOUND",
        "The requested resource doesn't exist.",
        json!({}),
    )
}

fn invalid(message: &str, details: Value) -> Response {
    api_error(400, "INVALID_DATA", message, details)
}

fn mandatory(api_name: &str, path: &str) -> Response {
    api_error(
        400,
        "MANDATORY_NOT_FOUND",
        "required field not found",
        json!({"api_name": api_name, "json_path": path}),
    )
}

/// A zip of one file.
fn zip_of(name: &str, write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(false);
    let result = zip
        .start_file(name, options)
        .map_err(std::io::Error::other)
        .and_then(|()| {
            let mut buffered = std::io::BufWriter::with_capacity(64 * 1024, &mut zip);
            write(&mut buffered)?;
            buffered.flush()
        });
    if result.is_err() {
        return Vec::new();
    }
    zip.finish().map(Cursor::into_inner).unwrap_or_default()
}

/// The CSV cell of a JSON value.
fn cell(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Object(o)) => o.get("id").map(|id| cell(Some(id))).unwrap_or_default(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| cell(Some(i)))
            .collect::<Vec<_>>()
            .join(";"),
        Some(other) => other.to_string(),
    }
}

/// A field of a record, `Lookup.field` reading into lookups.
fn field_of<'a>(record: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    if let Some(v) = record.get(name) {
        return Some(v);
    }
    let (lookup, inner) = name.split_once('.')?;
    record.get(lookup)?.get(inner)
}

fn as_text(v: Option<&Value>) -> String {
    cell(v)
}

fn compare(a: &str, b: &str) -> std::cmp::Ordering {
    match (a.parse::<f64>(), b.parse::<f64>()) {
        (Ok(x), Ok(y)) => x.partial_cmp(&y).unwrap_or(std::cmp::Ordering::Equal),
        _ => a.cmp(b),
    }
}

/// Whether a record matches bulk read criteria.
fn matches(record: &Map<String, Value>, criteria: &Value) -> bool {
    if let Some(group) = criteria.get("group").and_then(Value::as_array) {
        let or = criteria
            .get("group_operator")
            .and_then(Value::as_str)
            .is_some_and(|o| o.eq_ignore_ascii_case("or"));
        return if or {
            group.iter().any(|c| matches(record, c))
        } else {
            group.iter().all(|c| matches(record, c))
        };
    }
    let Some(field) = criteria
        .get("field")
        .and_then(|f| f.get("api_name"))
        .and_then(Value::as_str)
    else {
        return true;
    };
    let have = as_text(field_of(record, field));
    let want = criteria.get("value").cloned().unwrap_or(Value::Null);
    let list: Vec<String> = match &want {
        Value::Array(items) => items.iter().map(|i| as_text(Some(i))).collect(),
        other => vec![as_text(Some(other))],
    };
    let first = list.first().cloned().unwrap_or_default();
    let first = if first == "${EMPTY}" {
        String::new()
    } else {
        first
    };
    let lower = |s: &str| s.to_lowercase();
    use std::cmp::Ordering::{Greater, Less};
    match criteria
        .get("comparator")
        .and_then(Value::as_str)
        .unwrap_or("equal")
    {
        "equal" => lower(&have) == lower(&first),
        "not_equal" => lower(&have) != lower(&first),
        "in" => list.iter().any(|v| lower(v) == lower(&have)),
        "not_in" => !list.iter().any(|v| lower(v) == lower(&have)),
        "contains" => lower(&have).contains(&lower(&first)),
        "not_contains" => !lower(&have).contains(&lower(&first)),
        "starts_with" => lower(&have).starts_with(&lower(&first)),
        "ends_with" => lower(&have).ends_with(&lower(&first)),
        "greater_than" => compare(&have, &first) == Greater,
        "greater_equal" => compare(&have, &first) != Less,
        "less_than" => compare(&have, &first) == Less,
        "less_equal" => compare(&have, &first) != Greater,
        "between" | "not_between" => {
            let inside = list.len() == 2
                && compare(&have, &list[0]) != Less
                && compare(&have, &list[1]) != Greater;
            inside == (criteria["comparator"] == "between")
        }
        _ => false,
    }
}

const GEN_FIRST: [&str; 8] = [
    "Aiden", "Bella", "Carlos", "Dana", "Elif", "Farah", "Gustav", "Hana",
];
const GEN_SOURCES: [&str; 4] = ["Web", "Cold Call", "Partner", "Trade Show"];

/// Generated row `i` (the `bulk_read_rows` option): the fields of a Lead.
fn generated(i: usize) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("id".into(), json!(make_id(20_000_000 + i as u64)));
    m.insert("Last_Name".into(), json!(format!("Generated {i}")));
    m.insert("First_Name".into(), json!(GEN_FIRST[i % GEN_FIRST.len()]));
    m.insert("Email".into(), json!(format!("lead{i}@example.test")));
    m.insert("Company".into(), json!(format!("Company {}", i % 997)));
    m.insert(
        "Lead_Source".into(),
        json!(GEN_SOURCES[i % GEN_SOURCES.len()]),
    );
    m.insert("Annual_Revenue".into(), json!((i % 1000) as f64 * 1000.5));
    m.insert(
        "Created_Time".into(),
        json!(crate::util::format_unix(
            1_672_531_200 + (i as i64 % 78_796_800)
        )),
    );
    m
}

const DEFAULT_COLUMNS: [&str; 7] = [
    "Last_Name",
    "First_Name",
    "Email",
    "Company",
    "Lead_Source",
    "Annual_Revenue",
    "Created_Time",
];

fn token_hash(job: &ReadJob) -> u64 {
    let key = format!("{}|{}|{:?}", job.module, job.fields.join(","), job.criteria);
    fnv64(key.as_bytes())
}

/// The multipart part named `name`: (file name, bytes).
fn multipart_file(req: &Request, name: &str) -> Option<(String, Vec<u8>)> {
    let parts = crate::multipart::parts(req.header("content-type")?, &req.body)?;
    let part = parts.into_iter().find(|p| p.name == name)?;
    Some((part.file_name.unwrap_or_default(), part.body))
}

impl Org {
    /// `/crm/bulk/v8/...` (`tail` is what follows `v8`).
    pub(crate) fn route_bulk(&mut self, req: &Request, tail: &[&str]) -> Routed {
        let method = req.method.as_str();
        match (method, tail) {
            ("POST", ["read"]) => Routed::Handled(self.create_read_job(req)),
            ("GET", ["read", id]) => Routed::Handled(self.read_job(id)),
            ("GET", ["read", id, "result"]) => Routed::Handled(self.read_result(id)),
            ("POST", ["write"]) => Routed::Handled(self.create_write_job(req)),
            ("GET", ["write", id]) => Routed::Handled(self.write_job(id)),
            ("GET", ["write", id, "result"]) => Routed::Handled(self.write_result(id)),
            (_, ["read" | "write", ..]) => Routed::Rejected(invalid_method()),
            _ => Routed::Unserved(invalid_url()),
        }
    }

    fn create_read_job(&mut self, req: &Request) -> Response {
        if !req
            .header("content-type")
            .is_some_and(|c| c.to_ascii_lowercase().contains("json"))
        {
            return api_error(
                415,
                "NOT_SUPPORTED",
                "the content type is not supported",
                json!({}),
            );
        }
        let body = match json_body(req) {
            Ok(b) => b,
            Err(r) => return r,
        };
        let Some(query) = body.get("query").and_then(Value::as_object) else {
            return mandatory("query", "$.query");
        };
        let Some(module) = query
            .get("module")
            .and_then(|m| m.get("api_name"))
            .and_then(Value::as_str)
        else {
            return mandatory("module", "$.query.module");
        };
        let Some(module) = module_name(module) else {
            return api_error(
                400,
                "INVALID_MODULE",
                "the module name given seems to be invalid",
                json!({"api_name": "module", "json_path": "$.query.module.api_name"}),
            );
        };
        let fields: Vec<String> = match query.get("fields") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|f| match f {
                    Value::String(s) => Some(s.clone()),
                    Value::Object(o) => {
                        o.get("api_name").and_then(Value::as_str).map(str::to_owned)
                    }
                    _ => None,
                })
                .collect(),
            Some(_) => {
                return invalid(
                    "invalid data",
                    json!({"api_name": "fields", "json_path": "$.query.fields"}),
                )
            }
        };
        let file_type = match body.get("file_type").and_then(Value::as_str) {
            None => "csv",
            Some("ics") => {
                return invalid(
                    "ics is available for Events only",
                    json!({"api_name": "file_type", "json_path": "$.file_type"}),
                )
            }
            Some("csv") => "csv",
            Some(_) => {
                return invalid(
                    "invalid data",
                    json!({"api_name": "file_type", "json_path": "$.file_type"}),
                )
            }
        };
        let criteria = query.get("criteria").cloned().filter(|c| !c.is_null());
        let mut job = ReadJob {
            id: String::new(),
            module,
            fields,
            criteria,
            page: 1,
            query: Value::Object(query.clone()),
            file_type,
            created_time: crate::util::now_string(),
            polls: 0,
            done: None,
        };
        if let Some(token) = query.get("page_token").and_then(Value::as_str) {
            let parsed = token
                .strip_prefix('p')
                .and_then(|t| t.split_once('.'))
                .and_then(|(p, h)| {
                    Some((p.parse::<usize>().ok()?, u64::from_str_radix(h, 16).ok()?))
                });
            match parsed {
                Some((page, hash)) if hash == token_hash(&job) && page >= 1 => job.page = page,
                _ => {
                    return invalid(
                        "invalid page token",
                        json!({"api_name": "page_token", "json_path": "$.query.page_token"}),
                    )
                }
            }
        } else if let Some(p) = query.get("page") {
            match p.as_u64() {
                Some(p) if p >= 1 => job.page = p as usize,
                _ => {
                    return invalid(
                        "invalid data",
                        json!({"api_name": "page", "json_path": "$.query.page"}),
                    )
                }
            }
        }
        job.id = self.bulk.new_id();
        let details = json!({
            "id": job.id,
            "operation": "read",
            "state": "ADDED",
            "created_by": self.user_name_id(&self.current_user.clone()),
            "created_time": job.created_time,
        });
        self.bulk.reads.insert(job.id.clone(), job);
        Response::json(
            201,
            &json!({"data": [{"status": "success", "code": "ADDED_SUCCESSFULLY", "message": "Added successfully.", "details": details}], "info": {}}),
        )
    }

    /// The records a read job exports, in id order (the store's; not for generated rows).
    fn read_rows(&mut self, job: &ReadJob) -> Vec<Map<String, Value>> {
        self.records.ensure_all();
        self.records
            .records(job.module)
            .filter(|r| job.criteria.as_ref().is_none_or(|c| matches(&r.fields, c)))
            .map(|r| r.fields.clone())
            .collect()
    }

    fn total_rows(&mut self, job: &ReadJob) -> usize {
        match self.bulk.generated {
            Some(n) => match &job.criteria {
                None => n,
                Some(c) => (0..n).filter(|i| matches(&generated(*i), c)).count(),
            },
            None => self.read_rows(job).len(),
        }
    }

    fn read_job(&mut self, id: &str) -> Response {
        let Some(mut job) = self.bulk.reads.get(id).cloned() else {
            return api_error(
                404,
                "RESOURCE_NOT_FOUND",
                "The requested resource doesn't exist.",
                json!({}),
            );
        };
        job.polls += 1;
        if job.polls >= 2 && job.done.is_none() {
            let total = self.total_rows(&job);
            let size = self.bulk.page_size;
            let offset = (job.page - 1).saturating_mul(size);
            let count = total.saturating_sub(offset).min(size);
            job.done = Some((count, offset + count < total));
        }
        let state = match (job.polls, job.done) {
            (_, Some(_)) => "COMPLETED",
            _ => "IN PROGRESS",
        };
        let mut data = json!({
            "id": job.id,
            "operation": "read",
            "state": state,
            "query": job.query,
            "created_by": self.user_name_id(&self.current_user.clone()),
            "created_time": job.created_time,
            "file_type": job.file_type,
        });
        if let Some((count, more)) = job.done {
            let mut result = json!({
                "page": job.page,
                "per_page": self.bulk.page_size,
                "count": count,
                "download_url": format!("/crm/bulk/v8/read/{}/result", job.id),
                "more_records": more,
            });
            if more {
                result["next_page_token"] =
                    json!(format!("p{}.{:x}", job.page + 1, token_hash(&job)));
            }
            data["result"] = result;
        }
        self.bulk.reads.insert(job.id.clone(), job);
        Response::json(200, &json!({"data": [data]}))
    }

    fn read_result(&mut self, id: &str) -> Response {
        let Some(job) = self.bulk.reads.get(id).cloned() else {
            return not_found();
        };
        let Some((count, _)) = job.done else {
            return not_found();
        };
        let size = self.bulk.page_size;
        let offset = (job.page - 1).saturating_mul(size);
        let mut columns: Vec<String> = vec!["id".into()];
        let requested: Vec<String> = if job.fields.is_empty() {
            DEFAULT_COLUMNS.iter().map(|s| s.to_string()).collect()
        } else {
            job.fields.clone()
        };
        columns.extend(requested.into_iter().filter(|f| f != "id"));
        let write_row = |csv: &mut csv::Writer<&mut dyn Write>, r: &Map<String, Value>| {
            csv.write_record(columns.iter().map(|c| cell(field_of(r, c))))
        };
        let bytes = match self.bulk.generated {
            Some(n) => zip_of(&format!("{}.csv", job.id), |w| {
                let mut csv = csv::Writer::from_writer(w);
                csv.write_record(&columns)?;
                let mut matched = 0usize;
                for i in 0..n {
                    let row = generated(i);
                    if !job.criteria.as_ref().is_none_or(|c| matches(&row, c)) {
                        continue;
                    }
                    matched += 1;
                    if matched <= offset {
                        continue;
                    }
                    if matched > offset + count {
                        break;
                    }
                    write_row(&mut csv, &row)?;
                }
                csv.flush()
            }),
            None => {
                let rows = self.read_rows(&job);
                zip_of(&format!("{}.csv", job.id), |w| {
                    let mut csv = csv::Writer::from_writer(w);
                    csv.write_record(&columns)?;
                    for row in rows.iter().skip(offset).take(count) {
                        write_row(&mut csv, row)?;
                    }
                    csv.flush()
                })
            }
        };
        Response {
            status: 200,
            headers: vec![
                ("content-type".into(), ZIP.into()),
                (
                    "content-disposition".into(),
                    format!("attachment; filename=\"{}.zip\"", job.id),
                ),
            ],
            body: bytes,
        }
    }

    /// `POST /crm/v8/upload` (the content host).
    pub(crate) fn bulk_upload(&mut self, req: &Request) -> Response {
        let feature_ok = req
            .header("feature")
            .is_some_and(|f| f.trim().eq_ignore_ascii_case("bulk-write"));
        let org_ok = req
            .header("x-crm-org")
            .is_some_and(|o| o.trim() == self.bulk.org_id);
        if !feature_ok || !org_ok {
            return Response::json(
                400,
                &json!({"ERROR_CODE": 400, "ERROR_MESSAGE": "Bad Request", "x-error": "check if headers [feature, X-CRM-ORG] are present and valid"}),
            );
        }
        if req.body.len() > MAX_UPLOAD + 4096 {
            return api_error(
                413,
                "FILE_TOO_LARGE",
                "File size too large to process",
                json!({}),
            );
        }
        let Some((name, bytes)) = multipart_file(req, "file") else {
            return mandatory("file", "$.file");
        };
        if !bytes.starts_with(b"PK\x03\x04") {
            return api_error(
                400,
                "INVALID_FILE_FORMAT",
                "invalid file format. only zip format is supported",
                json!({}),
            );
        }
        if bytes.len() > MAX_UPLOAD {
            return api_error(
                413,
                "FILE_TOO_LARGE",
                "File size too large to process",
                json!({}),
            );
        }
        let id = self.bulk.new_id();
        self.bulk.files.insert(id.clone(), (name, bytes));
        Response::json(
            200,
            &json!({"status": "success", "code": "FILE_UPLOAD_SUCCESS", "message": "file uploaded.",
                    "details": {"file_id": id, "created_time": crate::util::now_string()}}),
        )
    }

    fn create_write_job(&mut self, req: &Request) -> Response {
        let body = match json_body(req) {
            Ok(b) => b,
            Err(r) => return r,
        };
        let operation = match body.get("operation").and_then(Value::as_str) {
            None => return mandatory("operation", "$.operation"),
            Some(op @ ("insert" | "update" | "upsert")) => op.to_owned(),
            Some(_) => {
                return invalid(
                    "invalid data",
                    json!({"api_name": "operation", "json_path": "$.operation"}),
                )
            }
        };
        let ignore_empty = body.get("ignore_empty").and_then(Value::as_bool) == Some(true);
        let Some(resource) = body
            .get("resource")
            .and_then(Value::as_array)
            .and_then(|r| r.first())
            .cloned()
        else {
            return mandatory("resource", "$.resource");
        };
        let Some(module) = resource
            .get("module")
            .and_then(|m| m.get("api_name"))
            .and_then(Value::as_str)
            .and_then(module_name)
        else {
            return api_error(
                400,
                "MODULE_NOT_AVAILABLE",
                "Requested module is not available.",
                json!({"api_name": "module", "json_path": "$.resource[0].module"}),
            );
        };
        let file_id = match resource.get("file_id") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => return mandatory("file_id", "$.resource[0].file_id"),
        };
        let Some((file_name, zip_bytes)) = self.bulk.files.get(&file_id).cloned() else {
            return api_error(
                400,
                "INVALID_FILE_ID",
                "improper file id",
                json!({"api_name": "file_id", "json_path": "$.resource[0].file_id"}),
            );
        };
        let find_by = resource
            .get("find_by")
            .and_then(Value::as_str)
            .map(str::to_owned);
        if operation != "insert" && find_by.is_none() {
            return mandatory("find_by", "$.resource[0].find_by");
        }
        let Some((header, rows)) = read_csv(&zip_bytes) else {
            return api_error(
                400,
                "INVALID_FILE_FORMAT",
                "invalid file format. only zip format is supported",
                json!({}),
            );
        };
        if rows.len() > MAX_WRITE_ROWS {
            return api_error(
                400,
                "LIMIT_EXCEEDED",
                "limit exceeded",
                json!({"api_name": "file_id", "limit": MAX_WRITE_ROWS}),
            );
        }
        let mappings = resource
            .get("field_mappings")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        // (field, source): a column index or a constant.
        let mut plan: Vec<(String, Result<usize, Value>, Option<String>)> = Vec::new();
        if mappings.is_empty() {
            for (i, h) in header.iter().enumerate() {
                plan.push((h.clone(), Ok(i), None));
            }
        } else {
            for (n, m) in mappings.iter().enumerate() {
                let Some(api_name) = m.get("api_name").and_then(Value::as_str) else {
                    return mandatory("api_name", &format!("$.resource[0].field_mappings[{n}]"));
                };
                let find = m.get("find_by").and_then(Value::as_str).map(str::to_owned);
                match (
                    m.get("index").and_then(Value::as_u64),
                    m.get("default_value"),
                ) {
                    (Some(i), _) if (i as usize) < header.len() => {
                        plan.push((api_name.to_owned(), Ok(i as usize), find))
                    }
                    (Some(_), _) => {
                        return api_error(
                            400,
                            "COLUMN_INDEX_NOT_FOUND",
                            &format!(
                            "required key index for field {api_name} is not found in request body."
                        ),
                            json!({"api_name": api_name}),
                        )
                    }
                    (None, Some(d)) => plan.push((
                        api_name.to_owned(),
                        Err(d.get("value").cloned().unwrap_or(Value::Null)),
                        find,
                    )),
                    (None, None) => {
                        return mandatory("index", &format!("$.resource[0].field_mappings[{n}]"))
                    }
                }
            }
        }
        let id = self.bulk.new_id();
        let mut job = WriteJob {
            id: id.clone(),
            module,
            operation: operation.clone(),
            field_mappings: Value::Array(mappings),
            file_name,
            created_time: crate::util::now_string(),
            polls: 0,
            added: 0,
            updated: 0,
            skipped: 0,
            total: rows.len(),
            report: Vec::new(),
        };
        // Each row becomes a record; rows go through the records API 100 at a time.
        let mut outcomes: Vec<(String, String, String)> = Vec::with_capacity(rows.len());
        for chunk in rows.chunks(100) {
            let mut records = Vec::with_capacity(chunk.len());
            let mut pre_errors: Vec<Option<String>> = Vec::with_capacity(chunk.len());
            for row in chunk {
                let mut rec = Map::new();
                let mut error = None;
                for (field, source, find) in &plan {
                    let value = match source {
                        Ok(i) => {
                            let v = row.get(*i).cloned().unwrap_or_default();
                            if v.is_empty() {
                                if ignore_empty {
                                    continue;
                                }
                                Value::Null
                            } else {
                                // Cells are text: typed fields take them parsed.
                                crate::records::spec(module)
                                    .and_then(|s| s.field(field))
                                    .map_or(Value::String(v.clone()), |f| f.cell_value(&v))
                            }
                        }
                        Err(constant) => constant.clone(),
                    };
                    let value = match (
                        find,
                        crate::records::spec(module).and_then(|s| s.lookup_target(field)),
                    ) {
                        (Some(by), Some(target)) if !value.is_null() && by != "id" => {
                            self.records.ensure_all();
                            match self.records.find_by(target, by, &value) {
                                Some(r) => json!({"id": r.id}),
                                None => {
                                    error = Some(format!("INVALID_DATA-{field}"));
                                    Value::Null
                                }
                            }
                        }
                        (_, Some(_)) if !value.is_null() => json!({"id": value}),
                        _ => value,
                    };
                    rec.insert(field.clone(), value);
                }
                if operation == "update" {
                    if let Some(by) = find_by.as_deref().filter(|b| *b != "id") {
                        let key = rec.get(by).cloned().unwrap_or(Value::Null);
                        self.records.ensure_all();
                        match self.records.find_by(module, by, &key) {
                            Some(r) => {
                                rec.insert("id".into(), json!(r.id));
                            }
                            None => error = error.or(Some(format!("RESOURCE_NOT_FOUND-{by}"))),
                        }
                    }
                }
                pre_errors.push(error);
                records.push(Value::Object(rec));
            }
            let send: Vec<Value> = records
                .iter()
                .zip(&pre_errors)
                .filter(|(_, e)| e.is_none())
                .map(|(r, _)| r.clone())
                .collect();
            let mut answers = if send.is_empty() {
                Vec::new()
            } else {
                let (method, path, body) = match operation.as_str() {
                    "insert" => ("POST", format!("/crm/v8/{module}"), json!({"data": send})),
                    "update" => ("PUT", format!("/crm/v8/{module}"), json!({"data": send})),
                    _ => (
                        "POST",
                        format!("/crm/v8/{module}/upsert"),
                        json!({"data": send, "duplicate_check_fields": [find_by.clone().unwrap_or_default()]}),
                    ),
                };
                let sub = Request::new(
                    method.into(),
                    path,
                    None,
                    vec![("content-type".into(), "application/json".into())],
                    serde_json::to_vec(&body).unwrap_or_default(),
                );
                let tail: Vec<String> = sub.segments()[2..].to_vec();
                let tail: Vec<&str> = tail.iter().map(String::as_str).collect();
                let resp = match self.route(&sub, &tail) {
                    Routed::Handled(r) | Routed::Rejected(r) | Routed::Unserved(r) => r,
                };
                let v: Value = serde_json::from_slice(&resp.body).unwrap_or(Value::Null);
                match v.get("data").and_then(Value::as_array) {
                    Some(items) => items.clone(),
                    None => vec![v; send.len()],
                }
            }
            .into_iter();
            for pre in pre_errors {
                if let Some(e) = pre {
                    job.skipped += 1;
                    outcomes.push(("SKIPPED".into(), String::new(), e));
                    continue;
                }
                let item = answers.next().unwrap_or(Value::Null);
                if item["status"] == "success" {
                    let updated = operation == "update"
                        || item.get("action").and_then(Value::as_str) == Some("update");
                    if updated {
                        job.updated += 1;
                    } else {
                        job.added += 1;
                    }
                    outcomes.push((
                        if updated { "UPDATED" } else { "ADDED" }.into(),
                        as_text(item["details"].get("id")),
                        String::new(),
                    ));
                } else {
                    job.skipped += 1;
                    let code = item["code"].as_str().unwrap_or("CANNOT_PROCESS").to_owned();
                    let field = item["details"]["api_name"]
                        .as_str()
                        .unwrap_or("")
                        .to_owned();
                    outcomes.push(("SKIPPED".into(), String::new(), format!("{code}-{field}")));
                }
            }
        }
        job.report = zip_of(&format!("{id}.csv"), |w| {
            let mut csv = csv::Writer::from_writer(w);
            let mut head = header.clone();
            head.extend([
                "STATUS".to_owned(),
                "RECORD_ID".to_owned(),
                "ERRORS".to_owned(),
            ]);
            csv.write_record(&head)?;
            for (row, (status, rid, errors)) in rows.iter().zip(&outcomes) {
                let mut cells = row.clone();
                cells.resize(header.len(), String::new());
                cells.extend([status.clone(), rid.clone(), errors.clone()]);
                csv.write_record(&cells)?;
            }
            csv.flush()
        });
        self.bulk.files.remove(&file_id);
        let created_by = self.user_name_id(&self.current_user.clone());
        self.bulk.writes.insert(id.clone(), job);
        Response::json(
            201,
            &json!({"status": "success", "code": "SUCCESS", "message": "success",
                    "details": {"id": id, "created_by": created_by}}),
        )
    }

    fn write_job(&mut self, id: &str) -> Response {
        let created_by = self.user_name_id(&self.current_user.clone());
        let Some(job) = self.bulk.writes.get_mut(id) else {
            return not_found();
        };
        job.polls += 1;
        let done = job.polls >= 2;
        let status = if done { "COMPLETED" } else { "INPROGRESS" };
        let mut out = json!({
            "status": status,
            "character_encoding": "UTF-8",
            "resource": [{
                "status": status,
                "type": "data",
                "module": {"api_name": job.module, "id": crate::records::spec(job.module).map(|s| s.module_id())},
                "field_mappings": job.field_mappings,
                "file": {
                    "status": status,
                    "name": job.file_name,
                    "added_count": if done { job.added } else { 0 },
                    "skipped_count": if done { job.skipped } else { 0 },
                    "updated_count": if done { job.updated } else { 0 },
                    "total_count": job.total,
                }
            }],
            "id": job.id,
            "created_by": created_by,
            "operation": job.operation,
            "created_time": job.created_time,
        });
        if done {
            out["result"] =
                json!({"download_url": format!("/crm/bulk/v8/write/{}/result", job.id)});
        }
        Response::json(200, &out)
    }

    fn write_result(&mut self, id: &str) -> Response {
        match self.bulk.writes.get(id) {
            Some(job) if job.polls >= 2 => Response {
                status: 200,
                headers: vec![
                    ("content-type".into(), ZIP.into()),
                    (
                        "content-disposition".into(),
                        format!("attachment; filename=\"{id}.zip\""),
                    ),
                ],
                body: job.report.clone(),
            },
            _ => not_found(),
        }
    }
}

/// The header and rows of the first CSV in a zip.
fn read_csv(zip_bytes: &[u8]) -> Option<(Vec<String>, Vec<Vec<String>>)> {
    let mut archive = zip::ZipArchive::new(Cursor::new(zip_bytes)).ok()?;
    let index = (0..archive.len()).find(|i| {
        archive
            .by_index(*i)
            .is_ok_and(|f| f.name().to_ascii_lowercase().ends_with(".csv"))
    })?;
    let mut text = Vec::new();
    archive.by_index(index).ok()?.read_to_end(&mut text).ok()?;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_slice());
    let header: Vec<String> = reader
        .headers()
        .ok()?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_owned())
        .collect();
    let rows = reader
        .records()
        .map(|r| r.map(|r| r.iter().map(str::to_owned).collect()))
        .collect::<Result<Vec<Vec<String>>, _>>()
        .ok()?;
    Some((header, rows))
}
