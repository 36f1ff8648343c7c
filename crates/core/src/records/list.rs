//! Listing records (`GET /crm/v8/{module}`) and getting one (`GET /crm/v8/{module}/{id}`).

use http::HeaderName;
use serde::{Deserialize, Serialize};

use super::{
    check_fields, check_module, check_paging, parse_record_page, RecordPage, MAX_PER_PAGE,
    MAX_REACHABLE, PAGE_NUMBER_REACH,
};
use crate::endpoint::{Endpoint, Paginated};
use crate::error::{BuildError, Error};
use crate::pagination::{next_record_cursor, Cursor};
use crate::record::Record;
use crate::request::RequestParts;

/// `sort_order`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SortOrder {
    /// Ascending.
    Asc,
    /// Descending (Zoho's default).
    Desc,
}

impl SortOrder {
    fn as_str(self) -> &'static str {
        match self {
            SortOrder::Asc => "asc",
            SortOrder::Desc => "desc",
        }
    }
}

/// Lists records of a module, one page per call (`GET /crm/v8/{module}`).
///
/// `fields` is required (at most 50). Paginate with [`Paginated::next_page`] (or a client's
/// `pages`/`records` helpers): page numbers up to record 2,000, then `page_token`, up to
/// Zoho's 100,000; the other parameters never change between pages (tokens are bound to them).
///
/// ```
/// use zohocrm_core::records::ListRecords;
/// use zohocrm_core::Endpoint;
///
/// let parts = ListRecords::new("Leads", ["Last_Name", "Email"]).per_page(200).parts().unwrap();
/// assert_eq!(parts.encoded_query(), "fields=Last_Name,Email&per_page=200");
/// assert!(ListRecords::new("Leads", Vec::<String>::new()).parts().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[must_use]
#[serde(deny_unknown_fields)]
pub struct ListRecords {
    #[serde(rename = "module_api_name", alias = "module")]
    module: String,
    #[serde(default, deserialize_with = "crate::models::string_list::deserialize")]
    fields: Vec<String>,
    #[serde(default, deserialize_with = "crate::models::string_list::deserialize")]
    ids: Vec<String>,
    #[serde(default)]
    cvid: Option<String>,
    #[serde(default)]
    sort_by: Option<String>,
    #[serde(default)]
    sort_order: Option<SortOrder>,
    #[serde(default)]
    page: Option<u32>,
    #[serde(default)]
    per_page: Option<u32>,
    #[serde(default)]
    page_token: Option<String>,
    #[serde(default)]
    converted: Option<String>,
    #[serde(default)]
    approved: Option<String>,
    #[serde(default)]
    territory_id: Option<String>,
    #[serde(default)]
    include_child: Option<bool>,
    #[serde(default, rename = "If-Modified-Since")]
    if_modified_since: Option<String>,
    /// Records fetched by the previous pages of this iteration (stops at Zoho's 100,000).
    #[serde(skip)]
    fetched: u64,
}

impl ListRecords {
    /// The first page of `module` with these fields.
    pub fn new<S: Into<String>>(
        module: impl Into<String>,
        fields: impl IntoIterator<Item = S>,
    ) -> Self {
        ListRecords {
            module: module.into(),
            fields: fields.into_iter().map(Into::into).collect(),
            ids: Vec::new(),
            cvid: None,
            sort_by: None,
            sort_order: None,
            page: None,
            per_page: None,
            page_token: None,
            converted: None,
            approved: None,
            territory_id: None,
            include_child: None,
            if_modified_since: None,
            fetched: 0,
        }
    }

    /// Records per page (1–200; Zoho's default is 200).
    pub fn per_page(mut self, n: u32) -> Self {
        self.per_page = Some(n);
        self
    }

    /// Starts at this page number (pages reach record 2,000).
    pub fn page(mut self, n: u32) -> Self {
        self.page = Some(n);
        self.page_token = None;
        self
    }

    /// Starts at this `page_token` (from a previous answer's `next_page_token`).
    pub fn page_token(mut self, token: impl Into<String>) -> Self {
        self.page_token = Some(token.into());
        self.page = None;
        self
    }

    /// Only these record ids.
    pub fn ids<S: Into<String>>(mut self, ids: impl IntoIterator<Item = S>) -> Self {
        self.ids = ids.into_iter().map(Into::into).collect();
        self
    }

    /// Records of this custom view (not with `sort_by`).
    pub fn cvid(mut self, cvid: impl Into<String>) -> Self {
        self.cvid = Some(cvid.into());
        self
    }

    /// Sorts by `id` (default), `Created_Time` or `Modified_Time`.
    pub fn sort(mut self, by: impl Into<String>, order: SortOrder) -> Self {
        self.sort_by = Some(by.into());
        self.sort_order = Some(order);
        self
    }

    /// Converted leads: `"true"`, `"false"` (default) or `"both"`.
    pub fn converted(mut self, converted: impl Into<String>) -> Self {
        self.converted = Some(converted.into());
        self
    }

    /// Approved records: `"true"` (default), `"false"` or `"both"`.
    pub fn approved(mut self, approved: impl Into<String>) -> Self {
        self.approved = Some(approved.into());
        self
    }

    /// Records of this territory (and its children with `include_child`).
    pub fn territory(mut self, territory_id: impl Into<String>, include_child: bool) -> Self {
        self.territory_id = Some(territory_id.into());
        self.include_child = Some(include_child);
        self
    }

    /// Only records modified after this time (`yyyy-MM-ddTHH:mm:ss±HH:mm`); Zoho answers
    /// `304 Not Modified` (an empty page with `not_modified`) when none was.
    pub fn if_modified_since(mut self, time: impl Into<String>) -> Self {
        self.if_modified_since = Some(time.into());
        self
    }

    /// The module.
    pub fn module(&self) -> &str {
        &self.module
    }
}

impl Endpoint for ListRecords {
    const ID: &'static str = Self::SPEC.id;
    const OP_SPEC: Option<&'static crate::op_spec::OpSpec> = Some(&Self::SPEC);
    type Output = RecordPage;

    fn parts(&self) -> Result<RequestParts, BuildError> {
        check_module(&self.module)?;
        check_fields(&self.fields, true)?;
        check_paging(self.page, self.per_page)?;
        if self.page.is_some() && self.page_token.is_some() {
            return Err(BuildError::Invalid {
                param: "page_token",
                reason: "not together with page".into(),
            });
        }
        if self.cvid.is_some() && self.sort_by.is_some() {
            return Err(BuildError::Invalid {
                param: "sort_by",
                reason: "not together with cvid".into(),
            });
        }
        let mut parts = RequestParts::get("/crm/v8/{module_api_name}")
            .path_param(self.module.clone())
            .query_list("fields", &self.fields);
        if !self.ids.is_empty() {
            parts = parts.query_list("ids", &self.ids);
        }
        Ok(parts
            .query_opt("cvid", self.cvid.as_ref())
            .query_opt("sort_by", self.sort_by.as_ref())
            .query_opt("sort_order", self.sort_order.map(SortOrder::as_str))
            .query_opt("converted", self.converted.as_ref())
            .query_opt("approved", self.approved.as_ref())
            .query_opt("territory_id", self.territory_id.as_ref())
            .query_opt("include_child", self.include_child)
            .query_opt("page", self.page)
            .query_opt("per_page", self.per_page)
            .query_opt("page_token", self.page_token.as_ref())
            .header_opt(
                HeaderName::from_static("if-modified-since"),
                self.if_modified_since.clone(),
            ))
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<RecordPage, Error> {
        parse_record_page(Self::ID, &response)
    }
}

impl Paginated for ListRecords {
    fn next_page(&self, output: &RecordPage) -> Option<Self> {
        let fetched = self.fetched + output.records.len() as u64;
        if fetched >= MAX_REACHABLE {
            return None;
        }
        let cursor = next_record_cursor(
            self.page,
            self.page_token.as_deref(),
            self.per_page.unwrap_or(MAX_PER_PAGE),
            PAGE_NUMBER_REACH,
            &output.info,
            !output.records.is_empty(),
        )?;
        let mut next = self.clone();
        next.fetched = fetched;
        match cursor {
            Cursor::Page(n) => next.page = Some(n),
            Cursor::Token(t) => {
                next.page = None;
                next.page_token = Some(t);
            }
        }
        Some(next)
    }
}

/// One record by id (`GET /crm/v8/{module}/{id}`), or by an external id with
/// [`external`](GetRecord::external). `None` when Zoho answers 204 (no such record) or 304
/// (not modified, with [`if_modified_since`](GetRecord::if_modified_since)).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[must_use]
#[serde(deny_unknown_fields)]
pub struct GetRecord {
    #[serde(rename = "module_api_name", alias = "module")]
    module: String,
    id: String,
    #[serde(default, deserialize_with = "crate::models::string_list::deserialize")]
    fields: Vec<String>,
    #[serde(default, rename = "X-EXTERNAL")]
    external: Option<String>,
    #[serde(default, rename = "If-Modified-Since")]
    if_modified_since: Option<String>,
}

impl GetRecord {
    /// The record `id` of `module`.
    pub fn new(module: impl Into<String>, id: impl Into<String>) -> Self {
        GetRecord {
            module: module.into(),
            id: id.into(),
            fields: Vec::new(),
            external: None,
            if_modified_since: None,
        }
    }

    /// Only these fields (at most 50).
    pub fn fields<S: Into<String>>(mut self, fields: impl IntoIterator<Item = S>) -> Self {
        self.fields = fields.into_iter().map(Into::into).collect();
        self
    }

    /// Addresses the record by an external-id field: `field` is `Module.External_Field`
    /// (the `X-EXTERNAL` header) and the id given to [`new`](GetRecord::new) is its value.
    pub fn external(mut self, field: impl Into<String>) -> Self {
        self.external = Some(field.into());
        self
    }

    /// Only if modified after this time; `None` (304) otherwise.
    pub fn if_modified_since(mut self, time: impl Into<String>) -> Self {
        self.if_modified_since = Some(time.into());
        self
    }
}

impl Endpoint for GetRecord {
    const ID: &'static str = Self::SPEC.id;
    const OP_SPEC: Option<&'static crate::op_spec::OpSpec> = Some(&Self::SPEC);
    type Output = Option<Record>;

    fn parts(&self) -> Result<RequestParts, BuildError> {
        check_module(&self.module)?;
        BuildError::require("id", &self.id)?;
        check_fields(&self.fields, false)?;
        let mut parts = RequestParts::get("/crm/v8/{module_api_name}/{id}")
            .path_param(self.module.clone())
            .path_param(self.id.clone());
        if !self.fields.is_empty() {
            parts = parts.query_list("fields", &self.fields);
        }
        Ok(parts
            .header_opt(HeaderName::from_static("x-external"), self.external.clone())
            .header_opt(
                HeaderName::from_static("if-modified-since"),
                self.if_modified_since.clone(),
            ))
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<Option<Record>, Error> {
        Ok(parse_record_page(Self::ID, &response)?
            .records
            .into_iter()
            .next())
    }
}
