//! Bulk read (export) and bulk write (import), typed: the job endpoints, their models and, with
//! the `bulk` feature, the zip/CSV files they exchange ([`file`](mod@file)).
//!
//! A bulk read creates a job ([`CreateBulkReadJob`]), polls it ([`GetBulkReadJob`]) until
//! `COMPLETED`, downloads a zip holding one CSV ([`DownloadBulkReadResult`]) and, while
//! `more_records` is true, creates the job of the next page ([`CreateBulkReadJob::next_page`]):
//! 200,000 records per page. A bulk write builds a zip of one CSV ([`file::BulkWriteFile`]),
//! uploads it to the data centre's content host ([`UploadBulkFile`], with the `feature:
//! bulk-write` and `X-CRM-ORG` headers), creates the job ([`CreateBulkWriteJob`]), polls it
//! ([`GetBulkWriteJob`]) and downloads the result report ([`DownloadBulkWriteResult`]) whose
//! rows tell each input row's fate ([`file::RowOutcome`]).
//!
//! These endpoints only describe requests and parse answers. The transports run the whole
//! sequence with bounded memory: downloads stream to a file ([`crate::stream`]) and rows are
//! decoded one at a time.
//!
//! Ids live under `bulk.*`; the generated, untyped endpoints stay under `bulk_read.*` and
//! `bulk_write.*`.
//!
//! # Example
//!
//! ```
//! use zohocrm_core::bulk::CreateBulkReadJob;
//! use zohocrm_core::{assemble, Context, DataCenter, Endpoint, Environment};
//!
//! let job = CreateBulkReadJob::new("Leads").fields(["Last_Name", "Email"]);
//! let ctx = Context::new(DataCenter::Eu, Environment::Production);
//! let request = assemble(&ctx, &job.parts()?)?;
//! assert_eq!(request.method(), "POST");
//! assert_eq!(request.uri().path(), "/crm/bulk/v8/read");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::endpoint::Endpoint;
use crate::error::{BuildError, Error};
use crate::jobs::{JobError, JobPhase, JobState, JobStatus};
use crate::models::Reference;
use crate::outputs::{Download, FilePart};
use crate::pagination::{cursor_key, PageGuard, PageStop};
use crate::request::{Body, Multipart, Part, RequestParts};
use crate::response::{decode_action_results, decode_json, error_from_response};
use crate::Host;

#[cfg(feature = "bulk")]
pub mod file;
#[cfg(feature = "bulk")]
pub mod resume;
#[cfg(feature = "bulk")]
mod write_plan;

#[cfg(feature = "bulk")]
pub use write_plan::{BulkWrite, BulkWriteReport, FilledFile};

/// Records per bulk read result page (Zoho's limit).
pub const READ_PAGE_SIZE: u64 = 200_000;
/// Records per bulk write CSV file (Zoho's limit).
pub const MAX_WRITE_ROWS: usize = 25_000;
/// Bytes per bulk write upload (Zoho's limit: 25 MB).
pub const MAX_UPLOAD_BYTES: u64 = 25 * 1024 * 1024;

/// `{"api_name": "..."}`, as bulk bodies name modules and fields.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ApiName {
    /// The API name.
    pub api_name: String,
    /// The id, when Zoho sends it back.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::models::lenient_string::option"
    )]
    pub id: Option<String>,
}

impl ApiName {
    /// `{"api_name": name}`.
    pub fn new(name: impl Into<String>) -> Self {
        ApiName {
            api_name: name.into(),
            id: None,
        }
    }
}

/// Where Zoho POSTs the job's status when it finishes: `{"url": ..., "method": "post"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Callback {
    /// The URL.
    pub url: String,
    /// The method; Zoho accepts only `post`.
    #[serde(default = "post")]
    pub method: String,
}

fn post() -> String {
    "post".into()
}

impl Callback {
    /// A POST callback to `url`.
    pub fn post(url: impl Into<String>) -> Self {
        Callback {
            url: url.into(),
            method: post(),
        }
    }
}

/// A comparator of bulk read criteria.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Comparator {
    /// `equal`
    Equal,
    /// `not_equal`
    NotEqual,
    /// `in` (value: an array)
    In,
    /// `not_in` (value: an array)
    NotIn,
    /// `less_than`
    LessThan,
    /// `less_equal`
    LessEqual,
    /// `greater_than`
    GreaterThan,
    /// `greater_equal`
    GreaterEqual,
    /// `contains`
    Contains,
    /// `not_contains`
    NotContains,
    /// `starts_with`
    StartsWith,
    /// `ends_with`
    EndsWith,
    /// `between` (value: `[from, to]`)
    Between,
    /// `not_between` (value: `[from, to]`)
    NotBetween,
}

impl Comparator {
    /// The API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Comparator::Equal => "equal",
            Comparator::NotEqual => "not_equal",
            Comparator::In => "in",
            Comparator::NotIn => "not_in",
            Comparator::LessThan => "less_than",
            Comparator::LessEqual => "less_equal",
            Comparator::GreaterThan => "greater_than",
            Comparator::GreaterEqual => "greater_equal",
            Comparator::Contains => "contains",
            Comparator::NotContains => "not_contains",
            Comparator::StartsWith => "starts_with",
            Comparator::EndsWith => "ends_with",
            Comparator::Between => "between",
            Comparator::NotBetween => "not_between",
        }
    }
}

/// Bulk read criteria: one condition, or a group of criteria joined by `and`/`or`. `${EMPTY}`
/// as a value means empty.
///
/// ```
/// use zohocrm_core::bulk::{BulkCriteria, Comparator};
///
/// let c = BulkCriteria::and([
///     BulkCriteria::field("Last_Name", Comparator::Equal, "Boyle"),
///     BulkCriteria::field("Lead_Source", Comparator::In, vec!["Web", "Ads"]),
/// ]);
/// let json = serde_json::to_value(&c).unwrap();
/// assert_eq!(json["group_operator"], "and");
/// assert_eq!(json["group"][1]["comparator"], "in");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum BulkCriteria {
    /// Criteria joined by `group_operator`.
    Group {
        /// `and` or `or`.
        group_operator: String,
        /// The members.
        group: Vec<BulkCriteria>,
    },
    /// One condition.
    Condition {
        /// The field.
        field: ApiName,
        /// The comparator's API spelling.
        comparator: String,
        /// The value (a string, number, boolean or array).
        value: Value,
    },
}

impl BulkCriteria {
    /// `field comparator value`.
    pub fn field(field: &str, comparator: Comparator, value: impl Into<Value>) -> Self {
        BulkCriteria::Condition {
            field: ApiName::new(field),
            comparator: comparator.as_str().into(),
            value: value.into(),
        }
    }

    /// Every member must hold.
    pub fn and(members: impl IntoIterator<Item = BulkCriteria>) -> Self {
        BulkCriteria::Group {
            group_operator: "and".into(),
            group: members.into_iter().collect(),
        }
    }

    /// One member must hold.
    pub fn or(members: impl IntoIterator<Item = BulkCriteria>) -> Self {
        BulkCriteria::Group {
            group_operator: "or".into(),
            group: members.into_iter().collect(),
        }
    }

    fn check(&self) -> Result<(), BuildError> {
        match self {
            BulkCriteria::Group {
                group_operator,
                group,
            } => {
                if !matches!(group_operator.to_ascii_lowercase().as_str(), "and" | "or") {
                    return Err(BuildError::Invalid {
                        param: "criteria",
                        reason: format!(
                            "group_operator must be `and` or `or`, got `{group_operator}`"
                        ),
                    });
                }
                if group.len() < 2 {
                    return Err(BuildError::Invalid {
                        param: "criteria",
                        reason: "a group needs at least two members".into(),
                    });
                }
                group.iter().try_for_each(BulkCriteria::check)
            }
            BulkCriteria::Condition { field, .. } => {
                BuildError::require("criteria", &field.api_name)
            }
        }
    }
}

/// The file type of a bulk read result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileType {
    /// A CSV file (the default; Zoho's body omits `file_type`).
    #[default]
    Csv,
    /// An iCalendar file, for Events (Meetings) only.
    Ics,
}

/// The `query` of a bulk read job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BulkQuery {
    /// The module.
    pub module: ApiName,
    /// A custom view whose filter applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cvid: Option<String>,
    /// The fields (API names; `Owner.last_name` style for lookup fields); all when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<String>,
    /// Which records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub criteria: Option<BulkCriteria>,
    /// The result page (200,000 records each), from 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<u32>,
    /// The token of the next page, from the previous job's result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_token: Option<String>,
}

/// Creates a bulk read job (`POST /crm/bulk/v8/read`).
///
/// ```
/// use zohocrm_core::bulk::{CreateBulkReadJob, BulkCriteria, Comparator};
/// use zohocrm_core::Endpoint;
///
/// let job = CreateBulkReadJob::new("Leads")
///     .fields(["Last_Name", "Email"])
///     .criteria(BulkCriteria::field("Lead_Status", Comparator::Equal, "Contacted"));
/// let parts = job.parts().unwrap();
/// assert_eq!(parts.path, "/crm/bulk/v8/read");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[must_use]
#[serde(deny_unknown_fields)]
pub struct CreateBulkReadJob {
    /// Where Zoho POSTs the job when it finishes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback: Option<Callback>,
    /// What to read.
    pub query: BulkQuery,
    /// The result's file type (`None`: CSV).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_type: Option<FileType>,
    /// The cursors of the jobs before this one in a chain of [`next_page`](Self::next_page)
    /// (never sent).
    #[serde(skip)]
    history: CursorHistory,
}

/// The cursors a chain of bulk read jobs has followed. Not part of a job's identity: two jobs
/// asking for the same page are equal whatever came before them.
#[derive(Debug, Clone, Default)]
struct CursorHistory(PageGuard);

impl PartialEq for CursorHistory {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl CreateBulkReadJob {
    /// Every record of `module`, every field, first page, as CSV.
    pub fn new(module: impl Into<String>) -> Self {
        CreateBulkReadJob {
            callback: None,
            query: BulkQuery {
                module: ApiName::new(module),
                cvid: None,
                fields: Vec::new(),
                criteria: None,
                page: None,
                page_token: None,
            },
            file_type: None,
            history: CursorHistory::default(),
        }
    }

    /// Only these fields.
    pub fn fields<S: Into<String>>(mut self, fields: impl IntoIterator<Item = S>) -> Self {
        self.query.fields = fields.into_iter().map(Into::into).collect();
        self
    }

    /// Only records matching `criteria`.
    pub fn criteria(mut self, criteria: BulkCriteria) -> Self {
        self.query.criteria = Some(criteria);
        self
    }

    /// Only records of the custom view `cvid`.
    pub fn cvid(mut self, cvid: impl Into<String>) -> Self {
        self.query.cvid = Some(cvid.into());
        self
    }

    /// The result page (from 1).
    pub fn page(mut self, page: u32) -> Self {
        self.query.page = Some(page);
        self.query.page_token = None;
        self
    }

    /// The page after a previous job's result, by its `next_page_token`.
    pub fn page_token(mut self, token: impl Into<String>) -> Self {
        self.query.page_token = Some(token.into());
        self.query.page = None;
        self
    }

    /// An iCalendar result instead of CSV (Events only).
    pub fn ics(mut self) -> Self {
        self.file_type = Some(FileType::Ics);
        self
    }

    /// Zoho POSTs the finished job to `url`.
    pub fn callback(mut self, url: impl Into<String>) -> Self {
        self.callback = Some(Callback::post(url));
        self
    }

    /// The job of the page after `result`, or `None` when `more_records` is false. Uses
    /// `next_page_token` when Zoho gave one, else the next page number.
    ///
    /// Each job remembers the cursors of the jobs before it (not sent), so a chain of
    /// `next_page` calls stops with [`JobError::Paging`] instead of creating jobs forever when
    /// Zoho says more records follow but the page was empty, or short of a full page (only the
    /// last page may be: `per_page`, or 200,000 when not given), or the token repeats or leads
    /// back to a page already read.
    pub fn next_page(&self, result: &BulkReadResult) -> Result<Option<Self>, JobError> {
        if !result.more_records {
            return Ok(None);
        }
        let mut history = self.history.clone();
        if history.0.pages() == 0 {
            // The first job of the chain: its own cursor is the first one followed.
            let _ = history.0.admit_key(self.cursor_key());
        }
        let page = history.0.pages();
        if result.count == 0 {
            return Err(JobError::Paging(PageStop::EmptyPage { page }));
        }
        let per_page = result.per_page.filter(|n| *n > 0).unwrap_or(READ_PAGE_SIZE);
        if result.count < per_page {
            return Err(JobError::Paging(PageStop::ShortPage {
                page,
                count: result.count,
                per_page,
            }));
        }
        let mut next = match &result.next_page_token {
            Some(t) if !t.is_empty() => self.clone().page_token(t.clone()),
            _ => {
                let current = self.query.page.unwrap_or(1).max(result.page.unwrap_or(1));
                let n = current
                    .checked_add(1)
                    .ok_or(JobError::Paging(PageStop::Stuck { page }))?;
                self.clone().page(n)
            }
        };
        history
            .0
            .admit_key(next.cursor_key())
            .map_err(JobError::Paging)?;
        next.history = history;
        Ok(Some(next))
    }

    /// The key of this job's cursor (its page token, or its page number) in the history.
    fn cursor_key(&self) -> u64 {
        match &self.query.page_token {
            Some(t) => cursor_key(&format!("token:{t}")),
            None => cursor_key(&format!("page:{}", self.query.page.unwrap_or(1))),
        }
    }

    /// The file type (CSV unless [`ics`](Self::ics)).
    pub fn file_type_or_default(&self) -> FileType {
        self.file_type.unwrap_or_default()
    }
}

impl Endpoint for CreateBulkReadJob {
    const ID: &'static str = Self::SPEC.id;
    const OP_SPEC: Option<&'static crate::op_spec::OpSpec> = Some(&Self::SPEC);
    type Output = BulkJobCreated;

    fn parts(&self) -> Result<RequestParts, BuildError> {
        let q = &self.query;
        BuildError::require("module", &q.module.api_name)?;
        if let Some(i) = q.fields.iter().position(|f| f.trim().is_empty()) {
            return Err(BuildError::Invalid {
                param: "fields",
                reason: format!("field {i} is blank"),
            });
        }
        if q.page == Some(0) {
            return Err(BuildError::Invalid {
                param: "page",
                reason: "pages start at 1".into(),
            });
        }
        if q.page.is_some() && q.page_token.is_some() {
            return Err(BuildError::Invalid {
                param: "page_token",
                reason: "give `page` or `page_token`, not both".into(),
            });
        }
        if let Some(c) = &q.criteria {
            c.check()?;
        }
        if self.file_type == Some(FileType::Ics)
            && !matches!(
                q.module.api_name.to_ascii_lowercase().as_str(),
                "events" | "meetings"
            )
        {
            return Err(BuildError::Invalid {
                param: "file_type",
                reason: "ics is only for Events (Meetings)".into(),
            });
        }
        if let Some(cb) = &self.callback {
            BuildError::require("callback.url", &cb.url)?;
        }
        RequestParts::post("/crm/bulk/v8/read").json(self)
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<BulkJobCreated, Error> {
        job_created(Self::ID, &response)
    }
}

/// The answer to creating a bulk job: its id and first state.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct BulkJobCreated {
    /// The job id.
    #[serde(deserialize_with = "crate::models::lenient_string::or_default")]
    pub id: String,
    /// `read` for bulk reads (absent for bulk writes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
    /// The state (`ADDED`; absent for bulk writes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<JobState>,
    /// Who created it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_by: Option<Reference>,
    /// When.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_time: Option<String>,
}

/// Bulk read answers `{"data": [status]}`; bulk write answers a bare status object.
fn job_created(
    endpoint: &'static str,
    resp: &http::Response<&[u8]>,
) -> Result<BulkJobCreated, Error> {
    let status = resp.status().as_u16();
    let results = decode_action_results(endpoint, "data", resp)?;
    let item = results.items.into_iter().next().ok_or_else(|| {
        crate::response::decode_error(
            endpoint,
            status,
            resp.body(),
            ".".into(),
            "no job in the answer",
        )
    })?;
    let success = item.map_err(|error| Error::Api { status, error })?;
    serde_json::from_value(success.details).map_err(|e| {
        crate::response::decode_error(endpoint, status, resp.body(), ".details".into(), e)
    })
}

/// One bulk read result page.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct BulkReadResult {
    /// The page number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<u32>,
    /// Records per page (200,000).
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::models::lenient_u64::option"
    )]
    pub per_page: Option<u64>,
    /// Records in this page.
    #[serde(deserialize_with = "crate::models::lenient_u64::or_zero")]
    pub count: u64,
    /// The result's path (`/crm/bulk/v8/read/{job_id}/result`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub download_url: Option<String>,
    /// Whether another page follows.
    pub more_records: bool,
    /// The token of the next page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_page_token: Option<String>,
    /// Why the job failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_message: Option<Value>,
}

/// A bulk read job's details.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct BulkReadJob {
    /// The job id.
    #[serde(deserialize_with = "crate::models::lenient_string::or_default")]
    pub id: String,
    /// `read`.
    pub operation: Option<String>,
    /// `ADDED`, `QUEUED`, `IN PROGRESS`, `COMPLETED` or `FAILED`.
    pub state: JobState,
    /// The job's query, as Zoho echoes it.
    pub query: Option<Value>,
    /// Who created it.
    pub created_by: Option<Reference>,
    /// When.
    pub created_time: Option<String>,
    /// `csv` or `ics`.
    pub file_type: Option<String>,
    /// The result, once the job is done.
    pub result: Option<BulkReadResult>,
    /// Any other keys.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl JobStatus for BulkReadJob {
    fn job_phase(&self) -> JobPhase {
        match self.state.phase() {
            JobPhase::Failed(why) => JobPhase::Failed(
                self.result
                    .as_ref()
                    .and_then(|r| r.error_message.as_ref())
                    .map(describe_error)
                    .unwrap_or(why),
            ),
            other => other,
        }
    }

    fn job_id(&self) -> Option<&str> {
        Some(&self.id)
    }

    fn job_state(&self) -> String {
        self.state.to_string()
    }
}

fn describe_error(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Object(o) => {
            let code = o.get("code").and_then(Value::as_str).unwrap_or("");
            let msg = o.get("message").and_then(Value::as_str).unwrap_or("");
            format!("{code}: {msg}")
        }
        other => other.to_string(),
    }
}

/// A bulk read job's details (`GET /crm/bulk/v8/read/{job_id}`); `None` on 204.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[must_use]
#[serde(deny_unknown_fields)]
pub struct GetBulkReadJob {
    job_id: String,
}

impl GetBulkReadJob {
    /// The job `job_id`.
    pub fn new(job_id: impl Into<String>) -> Self {
        GetBulkReadJob {
            job_id: job_id.into(),
        }
    }
}

#[derive(Deserialize)]
struct DataOf<T> {
    #[serde(default = "Vec::new")]
    data: Vec<T>,
}

impl Endpoint for GetBulkReadJob {
    const ID: &'static str = Self::SPEC.id;
    const OP_SPEC: Option<&'static crate::op_spec::OpSpec> = Some(&Self::SPEC);
    type Output = Option<BulkReadJob>;

    fn parts(&self) -> Result<RequestParts, BuildError> {
        BuildError::require("job_id", &self.job_id)?;
        Ok(RequestParts::get("/crm/bulk/v8/read/{job_id}").path_param(self.job_id.clone()))
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<Option<BulkReadJob>, Error> {
        Ok(decode_json::<DataOf<BulkReadJob>>(Self::ID, &response)?
            .and_then(|d| d.data.into_iter().next()))
    }
}

/// The result of a completed bulk read job (`GET /crm/bulk/v8/read/{job_id}/result`): a zip
/// holding `{job_id}.csv` (or `.ics`). As an [`Endpoint`] it reads the file into memory; the
/// transports' `download` streams it to a file instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[must_use]
#[serde(deny_unknown_fields)]
pub struct DownloadBulkReadResult {
    job_id: String,
}

impl DownloadBulkReadResult {
    /// The result of job `job_id`.
    pub fn new(job_id: impl Into<String>) -> Self {
        DownloadBulkReadResult {
            job_id: job_id.into(),
        }
    }
}

impl Endpoint for DownloadBulkReadResult {
    const ID: &'static str = Self::SPEC.id;
    const OP_SPEC: Option<&'static crate::op_spec::OpSpec> = Some(&Self::SPEC);
    type Output = Download;

    fn parts(&self) -> Result<RequestParts, BuildError> {
        BuildError::require("job_id", &self.job_id)?;
        Ok(RequestParts::get("/crm/bulk/v8/read/{job_id}/result").path_param(self.job_id.clone()))
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<Download, Error> {
        Download::parse(Self::ID, response)
    }
}

// ---------------------------------------------------------------------------------------------
// Bulk write

/// The answer of the upload host: the file's id for [`CreateBulkWriteJob`].
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct UploadedFile {
    /// The file id.
    #[serde(deserialize_with = "crate::models::lenient_string::or_default")]
    pub file_id: String,
    /// When it was uploaded.
    pub created_time: Option<String>,
}

/// Parses the upload host's answer: `{status, code: FILE_UPLOAD_SUCCESS, details: {file_id}}`.
pub fn parse_upload(
    endpoint: &'static str,
    response: &http::Response<&[u8]>,
) -> Result<UploadedFile, Error> {
    let status = response.status().as_u16();
    if !response.status().is_success() {
        return Err(error_from_response(response));
    }
    let body: Value = match decode_json::<Value>(endpoint, response)? {
        Some(v) => v,
        None => {
            return Err(crate::response::decode_error(
                endpoint,
                status,
                response.body(),
                ".".into(),
                "empty answer from the upload host",
            ))
        }
    };
    if body.get("ERROR_CODE").is_some() || body.get("x-error").is_some() {
        return Err(error_from_response(
            &http::Response::builder()
                .status(if status < 400 { 400 } else { status })
                .body(*response.body())
                .unwrap_or_else(|_| http::Response::new(*response.body())),
        ));
    }
    let details = body.get("details").cloned().unwrap_or(Value::Null);
    let file: UploadedFile = serde_json::from_value(details).map_err(|e| {
        crate::response::decode_error(endpoint, status, response.body(), ".details".into(), e)
    })?;
    if file.file_id.is_empty() {
        return Err(crate::response::decode_error(
            endpoint,
            status,
            response.body(),
            ".details.file_id".into(),
            "no file id",
        ));
    }
    Ok(file)
}

/// The `feature` header value of bulk write uploads.
pub const BULK_WRITE_FEATURE: &str = "bulk-write";

fn check_org(org_id: &str) -> Result<(), BuildError> {
    BuildError::require("X-CRM-ORG", org_id)?;
    if !org_id.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(BuildError::Invalid {
            param: "X-CRM-ORG",
            reason: "the org id holds characters not allowed in a header".into(),
        });
    }
    Ok(())
}

/// The upload request without its body: `POST {content host}/crm/v8/upload` with `feature:
/// bulk-write` and `X-CRM-ORG: {org_id}`.
pub fn upload_parts(org_id: &str) -> Result<RequestParts, BuildError> {
    check_org(org_id)?;
    Ok(
        RequestParts::new(http::Method::POST, Host::Content, "/crm/v8/upload")
            .header(http::HeaderName::from_static("feature"), BULK_WRITE_FEATURE)
            .header(http::HeaderName::from_static("x-crm-org"), org_id),
    )
}

/// Uploads a zip for a bulk write to the data centre's content host (`POST /crm/v8/upload`,
/// multipart field `file`), held in memory. The transports' `upload_bulk_file` streams a file
/// from disk instead ([`crate::stream::FileUpload`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[must_use]
#[serde(deny_unknown_fields)]
pub struct UploadBulkFile {
    /// The org id (`zgid` of the Organization API), sent as `X-CRM-ORG`.
    #[serde(rename = "X-CRM-ORG", alias = "org_id")]
    org_id: String,
    /// The zip (the generated operations' input form, a list of one file part, is accepted).
    #[serde(deserialize_with = "one_file")]
    file: FilePart,
    /// The `feature` header: always `bulk-write` (sent whether given or not; any other value
    /// is refused).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    feature: Option<String>,
}

/// A file part, or a list holding exactly one.
fn one_file<'de, D: serde::Deserializer<'de>>(d: D) -> Result<FilePart, D::Error> {
    use serde::de::Error as _;
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrList {
        One(FilePart),
        List(Vec<FilePart>),
    }
    match OneOrList::deserialize(d)? {
        OneOrList::One(f) => Ok(f),
        OneOrList::List(mut list) if list.len() == 1 => Ok(list.remove(0)),
        OneOrList::List(list) => Err(D::Error::custom(format!(
            "one zip per upload, got {}",
            list.len()
        ))),
    }
}

impl UploadBulkFile {
    /// Uploads `zip` (named `file_name`) for org `org_id`.
    pub fn new(org_id: impl Into<String>, file_name: impl Into<String>, zip: Vec<u8>) -> Self {
        UploadBulkFile {
            org_id: org_id.into(),
            file: FilePart::new(file_name, zip).content_type("application/zip"),
            feature: None,
        }
    }
}

impl Endpoint for UploadBulkFile {
    const ID: &'static str = Self::SPEC.id;
    const OP_SPEC: Option<&'static crate::op_spec::OpSpec> = Some(&Self::SPEC);
    type Output = UploadedFile;

    fn parts(&self) -> Result<RequestParts, BuildError> {
        if self.feature.as_deref().is_some_and(|f| f != "bulk-write") {
            return Err(BuildError::Invalid {
                param: "feature",
                reason: "the upload host takes only `bulk-write`".into(),
            });
        }
        if self.file.data.len() as u64 > MAX_UPLOAD_BYTES {
            return Err(BuildError::Invalid {
                param: "file",
                reason: format!("at most {MAX_UPLOAD_BYTES} bytes"),
            });
        }
        BuildError::require("file", &self.file.file_name)?;
        Ok(upload_parts(&self.org_id)?.body(Body::Multipart(Multipart {
            parts: vec![Part {
                name: "file".into(),
                file_name: Some(self.file.file_name.clone()),
                content_type: Some(
                    self.file
                        .content_type
                        .clone()
                        .unwrap_or_else(|| "application/zip".into()),
                ),
                data: self.file.data.clone(),
            }],
        })))
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<UploadedFile, Error> {
        parse_upload(Self::ID, &response)
    }
}

/// The upload of [`UploadBulkFile`] with the zip streamed from disk: the request has an empty
/// body and the multipart content type of `upload`; [`crate::stream::upload_blocking`] (or
/// [`crate::stream::upload`]) sends the file.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct UploadBulkFileStream {
    org_id: String,
    upload: crate::stream::FileUpload,
}

impl UploadBulkFileStream {
    /// Uploads the file described by `upload` for org `org_id`.
    pub fn new(org_id: impl Into<String>, upload: crate::stream::FileUpload) -> Self {
        UploadBulkFileStream {
            org_id: org_id.into(),
            upload,
        }
    }

    /// The file.
    pub fn upload(&self) -> &crate::stream::FileUpload {
        &self.upload
    }
}

impl Endpoint for UploadBulkFileStream {
    const ID: &'static str = UploadBulkFile::SPEC.id;
    const OP_SPEC: Option<&'static crate::op_spec::OpSpec> = Some(&UploadBulkFile::SPEC);
    type Output = UploadedFile;

    fn parts(&self) -> Result<RequestParts, BuildError> {
        if self.upload.len > MAX_UPLOAD_BYTES {
            return Err(BuildError::Invalid {
                param: "file",
                reason: format!("at most {MAX_UPLOAD_BYTES} bytes, got {}", self.upload.len),
            });
        }
        Ok(upload_parts(&self.org_id)?.header(
            http::header::CONTENT_TYPE,
            self.upload.content_type_header(),
        ))
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<UploadedFile, Error> {
        parse_upload(Self::ID, &response)
    }
}

/// What a bulk write job does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WriteOperation {
    /// Create records.
    Insert,
    /// Update records found by `find_by`.
    Update,
    /// Update records found by `find_by`, create the others.
    Upsert,
}

/// How one CSV column (or a constant) maps to a field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldMapping {
    /// The field's API name.
    pub api_name: String,
    /// The 0-based CSV column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<u32>,
    /// For lookups: the field of the looked-up module the value names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub find_by: Option<String>,
    /// The date or date-time format of the column (default `MM/dd/yyyy`, `MM/dd/yyyy HH:mm:ss`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    /// A constant for every row: `{"value": ...}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_value: Option<Value>,
}

impl FieldMapping {
    /// Column `index` holds field `api_name`.
    pub fn column(api_name: impl Into<String>, index: u32) -> Self {
        FieldMapping {
            api_name: api_name.into(),
            index: Some(index),
            find_by: None,
            format: None,
            default_value: None,
        }
    }

    /// Every row gets `value` for `api_name`.
    pub fn constant(api_name: impl Into<String>, value: impl Into<Value>) -> Self {
        FieldMapping {
            api_name: api_name.into(),
            index: None,
            find_by: None,
            format: None,
            default_value: Some(serde_json::json!({"value": value.into()})),
        }
    }

    /// For a lookup column: the value names the looked-up record by this field.
    #[must_use]
    pub fn find_by(mut self, field: impl Into<String>) -> Self {
        self.find_by = Some(field.into());
        self
    }

    /// The column's date or date-time format.
    #[must_use]
    pub fn format(mut self, format: impl Into<String>) -> Self {
        self.format = Some(format.into());
        self
    }
}

/// One file of a bulk write job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WriteResource {
    /// `data`.
    #[serde(rename = "type", default = "data_type")]
    pub kind: String,
    /// The module.
    pub module: ApiName,
    /// The uploaded file's id.
    #[serde(deserialize_with = "crate::models::lenient_string::or_default")]
    pub file_id: String,
    /// The field that finds existing records (mandatory for update and upsert).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub find_by: Option<String>,
    /// Column mappings; Zoho maps the CSV header names itself when absent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub field_mappings: Vec<FieldMapping>,
    /// Files of child records (parent-child imports).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_names: Option<Value>,
    /// The column linking children to their parent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_column_index: Option<u32>,
}

fn data_type() -> String {
    "data".into()
}

/// Creates a bulk write job (`POST /crm/bulk/v8/write`) over uploaded files.
///
/// ```
/// use zohocrm_core::bulk::{CreateBulkWriteJob, FieldMapping, WriteOperation};
/// use zohocrm_core::Endpoint;
///
/// let job = CreateBulkWriteJob::new(WriteOperation::Upsert, "Leads", "111111000001492610")
///     .find_by("Email")
///     .field_mappings([FieldMapping::column("Last_Name", 0), FieldMapping::column("Email", 1)]);
/// assert!(job.parts().is_ok());
/// assert!(CreateBulkWriteJob::new(WriteOperation::Update, "Leads", "1").parts().is_err()); // no find_by
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[must_use]
#[serde(deny_unknown_fields)]
pub struct CreateBulkWriteJob {
    /// `insert`, `update` or `upsert`.
    pub operation: WriteOperation,
    /// Whether empty cells leave fields unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ignore_empty: Option<bool>,
    /// The CSV's encoding (`UTF-8` by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub character_encoding: Option<String>,
    /// Where Zoho POSTs the job when it finishes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback: Option<Callback>,
    /// The files (the parent first for parent-child imports).
    pub resource: Vec<WriteResource>,
}

impl CreateBulkWriteJob {
    /// A job over the uploaded file `file_id` for `module`.
    pub fn new(
        operation: WriteOperation,
        module: impl Into<String>,
        file_id: impl Into<String>,
    ) -> Self {
        CreateBulkWriteJob {
            operation,
            ignore_empty: None,
            character_encoding: None,
            callback: None,
            resource: vec![WriteResource {
                kind: data_type(),
                module: ApiName::new(module),
                file_id: file_id.into(),
                find_by: None,
                field_mappings: Vec::new(),
                file_names: None,
                parent_column_index: None,
            }],
        }
    }

    fn first(&mut self) -> &mut WriteResource {
        &mut self.resource[0]
    }

    /// The field that finds existing records (update, upsert).
    pub fn find_by(mut self, field: impl Into<String>) -> Self {
        if !self.resource.is_empty() {
            self.first().find_by = Some(field.into());
        }
        self
    }

    /// The column mappings of the (first) file.
    pub fn field_mappings(mut self, mappings: impl IntoIterator<Item = FieldMapping>) -> Self {
        if !self.resource.is_empty() {
            self.first().field_mappings = mappings.into_iter().collect();
        }
        self
    }

    /// Whether empty cells leave fields unchanged.
    pub fn ignore_empty(mut self, ignore: bool) -> Self {
        self.ignore_empty = Some(ignore);
        self
    }

    /// Zoho POSTs the finished job to `url`.
    pub fn callback(mut self, url: impl Into<String>) -> Self {
        self.callback = Some(Callback::post(url));
        self
    }

    /// The same job over another uploaded file (the next chunk of a large import).
    pub fn with_file_id(&self, file_id: impl Into<String>) -> Self {
        let mut next = self.clone();
        if !next.resource.is_empty() {
            next.first().file_id = file_id.into();
        }
        next
    }
}

impl Endpoint for CreateBulkWriteJob {
    const ID: &'static str = Self::SPEC.id;
    const OP_SPEC: Option<&'static crate::op_spec::OpSpec> = Some(&Self::SPEC);
    type Output = BulkJobCreated;

    fn parts(&self) -> Result<RequestParts, BuildError> {
        if self.resource.is_empty() {
            return Err(BuildError::Missing("resource"));
        }
        for r in &self.resource {
            BuildError::require("module", &r.module.api_name)?;
            BuildError::require("file_id", &r.file_id)?;
            if self.operation != WriteOperation::Insert
                && r.find_by.as_deref().is_none_or(|f| f.trim().is_empty())
            {
                return Err(BuildError::Invalid {
                    param: "find_by",
                    reason: "mandatory for update and upsert".into(),
                });
            }
            let mut seen = std::collections::BTreeSet::new();
            for m in &r.field_mappings {
                BuildError::require("field_mappings.api_name", &m.api_name)?;
                if m.index.is_none() && m.default_value.is_none() {
                    return Err(BuildError::Invalid {
                        param: "field_mappings",
                        reason: format!("`{}` needs an index or a default_value", m.api_name),
                    });
                }
                if let Some(i) = m.index {
                    if !seen.insert(i) {
                        return Err(BuildError::Invalid {
                            param: "field_mappings",
                            reason: format!("column {i} is mapped twice"),
                        });
                    }
                }
            }
        }
        if let Some(cb) = &self.callback {
            BuildError::require("callback.url", &cb.url)?;
        }
        RequestParts::post("/crm/bulk/v8/write").json(self)
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<BulkJobCreated, Error> {
        job_created(Self::ID, &response)
    }
}

/// Counts of one file of a bulk write job.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct WriteFileStatus {
    /// The file's state.
    pub status: Option<JobState>,
    /// The file name.
    pub name: Option<String>,
    /// Rows inserted.
    #[serde(deserialize_with = "crate::models::lenient_u64::or_zero")]
    pub added_count: u64,
    /// Rows skipped.
    #[serde(deserialize_with = "crate::models::lenient_u64::or_zero")]
    pub skipped_count: u64,
    /// Rows updated.
    #[serde(deserialize_with = "crate::models::lenient_u64::or_zero")]
    pub updated_count: u64,
    /// Rows in the file.
    #[serde(deserialize_with = "crate::models::lenient_u64::or_zero")]
    pub total_count: u64,
}

/// One resource of a bulk write job, as its details report it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct WriteResourceStatus {
    /// `IN PROGRESS`, `COMPLETED`, `SKIPPED`, `FAILED`.
    pub status: Option<JobState>,
    /// `data`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// A code explaining the state.
    pub code: Option<String>,
    /// The module.
    pub module: Option<ApiName>,
    /// The mappings used.
    pub field_mappings: Option<Value>,
    /// The file's counts.
    pub file: Option<WriteFileStatus>,
    /// Any other keys.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The report of a finished bulk write job.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct WriteJobResult {
    /// The report's location (a path on the API host, or a full URL).
    pub download_url: Option<String>,
}

/// A bulk write job's details.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct BulkWriteJob {
    /// The job id.
    #[serde(deserialize_with = "crate::models::lenient_string::or_default")]
    pub id: String,
    /// `ADDED`, `IN PROGRESS` (also `INPROGRESS`), `COMPLETED` or `FAILED`.
    pub status: JobState,
    /// `insert`, `update` or `upsert`.
    pub operation: Option<String>,
    /// The CSV encoding.
    pub character_encoding: Option<String>,
    /// The files.
    pub resource: Vec<WriteResourceStatus>,
    /// The report, once done.
    pub result: Option<WriteJobResult>,
    /// Who created it.
    pub created_by: Option<Reference>,
    /// When.
    pub created_time: Option<String>,
    /// Any other keys.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl BulkWriteJob {
    /// The report's location, once the job is done.
    pub fn download_url(&self) -> Option<&str> {
        self.result.as_ref()?.download_url.as_deref()
    }
}

impl JobStatus for BulkWriteJob {
    fn job_phase(&self) -> JobPhase {
        match self.status.phase() {
            JobPhase::Failed(why) => {
                let code = self.resource.iter().find_map(|r| r.code.clone());
                JobPhase::Failed(code.unwrap_or(why))
            }
            other => other,
        }
    }

    fn job_id(&self) -> Option<&str> {
        Some(&self.id)
    }

    fn job_state(&self) -> String {
        self.status.to_string()
    }
}

/// A bulk write job's details (`GET /crm/bulk/v8/write/{job_id}`); `None` on 204.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[must_use]
#[serde(deny_unknown_fields)]
pub struct GetBulkWriteJob {
    job_id: String,
}

impl GetBulkWriteJob {
    /// The job `job_id`.
    pub fn new(job_id: impl Into<String>) -> Self {
        GetBulkWriteJob {
            job_id: job_id.into(),
        }
    }
}

impl Endpoint for GetBulkWriteJob {
    const ID: &'static str = Self::SPEC.id;
    const OP_SPEC: Option<&'static crate::op_spec::OpSpec> = Some(&Self::SPEC);
    type Output = Option<BulkWriteJob>;

    fn parts(&self) -> Result<RequestParts, BuildError> {
        BuildError::require("job_id", &self.job_id)?;
        Ok(RequestParts::get("/crm/bulk/v8/write/{job_id}").path_param(self.job_id.clone()))
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<Option<BulkWriteJob>, Error> {
        // Zoho answers the job as a bare object; a `data` wrapper is accepted too.
        let v = decode_json::<Value>(Self::ID, &response)?;
        let v = match v {
            Some(Value::Object(mut o)) if o.contains_key("data") && !o.contains_key("id") => {
                match o.remove("data") {
                    Some(Value::Array(items)) => items.into_iter().next(),
                    other => other,
                }
            }
            other => other,
        };
        v.map(|v| {
            serde_json::from_value(v).map_err(|e| {
                crate::response::decode_error(
                    Self::ID,
                    response.status().as_u16(),
                    response.body(),
                    ".".into(),
                    e,
                )
            })
        })
        .transpose()
    }
}

/// The report of a bulk write job: a zip holding a CSV with the mapped columns plus `STATUS`,
/// `RECORD_ID` and `ERRORS`. As an [`Endpoint`] it reads the file into memory; the transports'
/// `download` streams it to a file instead.
///
/// Where the `download_url` lives is not settled by Zoho's documents: a path (`/crm/...`) goes to
/// the API host, as the OpenAPI file models it; a full URL is accepted when its origin is the
/// session's API or content host ([`DownloadBulkWriteResult::for_context`]). Other hosts are
/// refused rather than sent the token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[must_use]
#[serde(deny_unknown_fields)]
pub struct DownloadBulkWriteResult {
    download_url: String,
    #[serde(skip)]
    host: Option<Host>,
}

impl DownloadBulkWriteResult {
    /// The report at `download_url` (a path on the API host).
    pub fn new(download_url: impl Into<String>) -> Self {
        DownloadBulkWriteResult {
            download_url: download_url.into(),
            host: None,
        }
    }

    /// The report at `download_url`, which may be a full URL on the API or content host of
    /// `context`.
    pub fn for_context(context: &crate::Context, download_url: &str) -> Result<Self, BuildError> {
        let url = download_url.trim();
        if url.starts_with('/') {
            return Ok(Self::new(url));
        }
        for host in [Host::Api, Host::Content] {
            let origin = context.origin(host);
            if let Some(path) = url.strip_prefix(origin) {
                if path.starts_with('/') {
                    return Ok(DownloadBulkWriteResult {
                        download_url: path.to_owned(),
                        host: Some(host),
                    });
                }
            }
        }
        Err(BuildError::Invalid {
            param: "download_url",
            reason: format!("`{url}` is not on the session's API or content host"),
        })
    }
}

impl Endpoint for DownloadBulkWriteResult {
    const ID: &'static str = Self::SPEC.id;
    const OP_SPEC: Option<&'static crate::op_spec::OpSpec> = Some(&Self::SPEC);
    type Output = Download;

    fn parts(&self) -> Result<RequestParts, BuildError> {
        let url = self.download_url.trim();
        BuildError::require("download_url", url)?;
        if self.host.is_none() && url.contains("://") {
            // A full URL on a Zoho API host of any data centre goes to this session's host of
            // that kind (the token never leaves Zoho); other hosts are refused.
            return crate::op_spec::download_url_parts(http::Method::GET, url);
        }
        if !url.starts_with('/') || url.starts_with("//") {
            return Err(BuildError::Invalid {
                param: "download_url",
                reason: "a path on the API host, or a Zoho API URL, is expected".into(),
            });
        }
        let (path, query) = match url.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (url, None),
        };
        // The path is Zoho's, already encoded: keep it, without re-encoding `%`.
        let decoded = percent_encoding::percent_decode_str(path)
            .decode_utf8()
            .map_err(|_| BuildError::Invalid {
                param: "download_url",
                reason: "not UTF-8".into(),
            })?;
        // A dot segment would climb out of the path Zoho named (`/crm/bulk/../x`).
        if decoded.split('/').any(|seg| seg == "." || seg == "..") {
            return Err(BuildError::Invalid {
                param: "download_url",
                reason: "`.` and `..` segments are not allowed".into(),
            });
        }
        // Braces would read as placeholders; Zoho's paths have none.
        let template: String = decoded
            .chars()
            .filter(|c| !matches!(c, '{' | '}'))
            .collect();
        let mut parts =
            RequestParts::new(http::Method::GET, self.host.unwrap_or(Host::Api), template);
        for (k, v) in query
            .into_iter()
            .flat_map(|q| q.split('&'))
            .filter_map(|kv| {
                let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                let k = percent_encoding::percent_decode_str(k).decode_utf8().ok()?;
                let v = percent_encoding::percent_decode_str(v).decode_utf8().ok()?;
                Some((k.into_owned(), v.into_owned()))
            })
        {
            parts = parts.query(k, v);
        }
        Ok(parts)
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<Download, Error> {
        Download::parse(Self::ID, response)
    }
}

#[cfg(test)]
mod tests;
