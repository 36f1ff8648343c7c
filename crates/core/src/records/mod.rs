//! The records data plane, typed: list, get, insert, update, upsert, delete, search, counts,
//! deleted records, COQL, related records, notes, tags, attachments, lead conversion and mass
//! update, over [`Record`]s.
//!
//! These endpoints validate Zoho's documented limits before sending (`fields` required and at
//! most 50 when listing, 100 records or ids per write, 200 records per page) and parse pages
//! without building a `serde_json::Value` tree. Writes of any size go through
//! [`batch`]: split into calls of 100, with one outcome per input item, in input order.
//!
//! Their ids live under `records.*` (e.g. `records.list`); the generated, untyped endpoints of
//! the same API operations stay available under `record.*` in the registry (feature `registry`).
//!
//! # Example
//!
//! Every endpoint is plain data: its request is built and its answer parsed without IO (a client
//! does both around the network):
//!
//! ```
//! use zohocrm_core::http::Response;
//! use zohocrm_core::records::ListRecords;
//! use zohocrm_core::{assemble, Context, DataCenter, Endpoint, Environment};
//!
//! let ctx = Context::new(DataCenter::Eu, Environment::Production);
//! let list = ListRecords::new("Leads", ["Last_Name", "Email"]).per_page(200);
//! let request = assemble(&ctx, &list.parts()?)?;
//! assert_eq!(request.uri().host(), Some("www.zohoapis.eu"));
//! assert_eq!(request.uri().path(), "/crm/v8/Leads");
//!
//! let body = br#"{"data":[{"id":"1","Last_Name":"Lovelace","Email":null}],
//!     "info":{"more_records":false,"per_page":200,"page":1,"count":1}}"#;
//! let page = list.parse(Response::builder().status(200).body(&body[..])?)?;
//! assert_eq!(page.records[0].str("Last_Name")?.as_deref(), Some("Lovelace"));
//! assert_eq!(page.records[0].str("Email")?, None);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::marker::PhantomData;

use serde::de::{DeserializeOwned, IgnoredAny};
use serde::{Deserialize, Serialize};

use crate::endpoint::{Endpoint, Paginated};
use crate::error::{BuildError, Error};
use crate::record::Record;
use crate::request::RequestParts;
use crate::response::{decode_json, error_from_response, from_json, is_empty_body, PageInfo};

pub mod batch;
pub mod changes;
pub mod coql;
mod flatten;
mod list;
mod related;
mod search;
mod write;

pub use batch::{Batch, BatchError, Chunked};
pub use coql::{Cond, Coql, CoqlQuery, Literal, RawLimit, Select};
pub use flatten::RecordCursor;
pub use list::{GetRecord, ListRecords, SortOrder};
pub use related::{
    AddNotes, AddTags, ConvertLead, ConvertedLead, DelinkRelatedRecords, DownloadAttachment,
    GetRelatedRecords, ListAttachments, MassUpdateRecords, MassUpdateStatus, MassUpdateStatusQuery,
    RemoveTags, UpdateRelatedRecords, UploadAttachment,
};
pub use search::{Count, CountRecords, Criteria, DeletedKind, DeletedRecords, SearchRecords};
pub use write::{DeleteRecords, InsertRecords, Trigger, UpdateRecords, UpsertRecords};

/// Records per insert, update, upsert or delete call (Zoho's limit).
pub const MAX_RECORDS_PER_CALL: usize = 100;
/// Fields per list call (Zoho's limit).
pub const MAX_FIELDS: usize = 50;
/// Records per page (Zoho's limit and default).
pub const MAX_PER_PAGE: u32 = 200;
/// Records reachable with `page` numbers; past this, `page_token` is needed.
pub const PAGE_NUMBER_REACH: u64 = 2_000;
/// Records reachable in all through `page_token` (and through COQL's offset).
pub const MAX_REACHABLE: u64 = 100_000;

/// One page of records: [`Record`]s by default, or a user type with [`Typed`]. (Its JSON form,
/// `{"records", "info", "not_modified"}`, is what calls by id answer and page from.)
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound(deserialize = "T: Deserialize<'de>"))]
pub struct Page<T = Record> {
    /// The records of this page (empty on 204).
    pub records: Vec<T>,
    /// Zoho's paging information.
    #[serde(default)]
    pub info: PageInfo,
    /// True when Zoho answered `304 Not Modified` to `If-Modified-Since`.
    #[serde(default)]
    pub not_modified: bool,
}

impl<T> Default for Page<T> {
    fn default() -> Self {
        Page {
            records: Vec::new(),
            info: PageInfo::default(),
            not_modified: false,
        }
    }
}

/// A page of [`Record`]s.
pub type RecordPage = Page<Record>;

/// The shape of a page body; `code` reveals an error object sent with a 2xx status.
#[derive(Deserialize)]
#[serde(bound(deserialize = "T: Deserialize<'de>"))]
struct RawPage<T> {
    #[serde(default)]
    data: Option<Vec<T>>,
    #[serde(default)]
    info: Option<PageInfo>,
    #[serde(default)]
    code: Option<IgnoredAny>,
}

/// Parses a page of records under `data`: 204 and 304 are empty pages; a Zoho error in any
/// envelope is an error. For [`Record`]s no value inside a record is decoded here.
pub fn parse_page<T: DeserializeOwned>(
    endpoint: &'static str,
    response: &http::Response<&[u8]>,
) -> Result<Page<T>, Error> {
    let status = response.status().as_u16();
    let body = *response.body();
    if status == 304 || (response.status().is_success() && is_empty_body(body)) {
        return Ok(Page {
            not_modified: status == 304,
            ..Page::default()
        });
    }
    if !response.status().is_success() {
        return Err(error_from_response(response));
    }
    let page: RawPage<T> = from_json(endpoint, status, body)?;
    if page.code.is_some() || page.data.is_none() {
        // Rare: an error object (or an unknown shape) in a 2xx body; let the envelope rules decide.
        decode_json::<serde_json::Value>(endpoint, response)?;
    }
    Ok(Page {
        records: page.data.unwrap_or_default(),
        info: page.info.unwrap_or_default(),
        not_modified: false,
    })
}

/// [`parse_page`] into [`Record`]s.
pub fn parse_record_page(
    endpoint: &'static str,
    response: &http::Response<&[u8]>,
) -> Result<RecordPage, Error> {
    parse_page(endpoint, response)
}

/// Any records endpoint with its rows decoded straight into a user type `T` (the fastest path:
/// one pass, no [`Record`]). Unlike [`Record`]s, one value that does not fit `T` fails the page.
///
/// ```
/// use zohocrm_core::records::{ListRecords, Typed};
/// use zohocrm_core::Endpoint;
///
/// #[derive(serde::Deserialize)]
/// struct Lead { id: String, #[serde(rename = "Last_Name")] last_name: String }
///
/// let list = Typed::<_, Lead>::new(ListRecords::new("Leads", ["Last_Name"]));
/// let body = br#"{"data":[{"id":"1","Last_Name":"Boyle"}],"info":{"more_records":false}}"#;
/// let page = list.parse(http::Response::new(&body[..])).unwrap();
/// assert_eq!(page.records[0].last_name, "Boyle");
/// ```
#[derive(Debug, Clone, PartialEq)]
#[must_use]
pub struct Typed<E, T> {
    inner: E,
    target: PhantomData<fn() -> T>,
}

impl<E, T> Typed<E, T> {
    /// `inner`, with its rows decoded as `T`.
    pub fn new(inner: E) -> Self {
        Typed {
            inner,
            target: PhantomData,
        }
    }

    /// The wrapped endpoint.
    pub fn inner(&self) -> &E {
        &self.inner
    }
}

impl<E: Endpoint<Output = RecordPage>, T: DeserializeOwned> Endpoint for Typed<E, T> {
    const ID: &'static str = E::ID;
    const OP_SPEC: Option<&'static crate::op_spec::OpSpec> = E::OP_SPEC;
    type Output = Page<T>;

    fn parts(&self) -> Result<RequestParts, BuildError> {
        self.inner.parts()
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<Page<T>, Error> {
        parse_page(Self::ID, &response)
    }
}

impl<E, T> Paginated for Typed<E, T>
where
    E: Paginated<Output = RecordPage>,
    T: DeserializeOwned,
{
    fn next_page(&self, output: &Page<T>) -> Option<Self> {
        // The cursor rules look only at the count of rows and at `info`.
        let shape = RecordPage {
            records: vec![Record::new(); output.records.len()],
            info: output.info.clone(),
            not_modified: output.not_modified,
        };
        self.inner.next_page(&shape).map(Typed::new)
    }
}

/// Checks a `fields` list: required when `required`, at most [`MAX_FIELDS`], no blank name.
pub(crate) fn check_fields(fields: &[String], required: bool) -> Result<(), BuildError> {
    if required && fields.is_empty() {
        return Err(BuildError::Missing("fields"));
    }
    if fields.len() > MAX_FIELDS {
        return Err(BuildError::Invalid {
            param: "fields",
            reason: format!("at most {MAX_FIELDS} fields per call, got {}", fields.len()),
        });
    }
    if let Some(i) = fields.iter().position(|f| f.trim().is_empty()) {
        return Err(BuildError::Invalid {
            param: "fields",
            reason: format!("field {i} is blank"),
        });
    }
    Ok(())
}

/// Checks `per_page` (1..=200) and that `page × per_page` stays within Zoho's 2,000.
pub(crate) fn check_paging(page: Option<u32>, per_page: Option<u32>) -> Result<(), BuildError> {
    if let Some(n) = per_page {
        if n == 0 || n > MAX_PER_PAGE {
            return Err(BuildError::Invalid {
                param: "per_page",
                reason: format!("between 1 and {MAX_PER_PAGE}, got {n}"),
            });
        }
    }
    if let Some(p) = page {
        if p == 0 {
            return Err(BuildError::Invalid {
                param: "page",
                reason: "pages start at 1".into(),
            });
        }
        let reach = u64::from(p) * u64::from(per_page.unwrap_or(MAX_PER_PAGE));
        if reach > PAGE_NUMBER_REACH {
            return Err(BuildError::Invalid {
                param: "page",
                reason: format!(
                    "page × per_page may not pass {PAGE_NUMBER_REACH} records; use page_token beyond"
                ),
            });
        }
    }
    Ok(())
}

/// Checks a module API name.
pub(crate) fn check_module(module: &str) -> Result<(), BuildError> {
    BuildError::require("module", module)
}

#[cfg(test)]
mod tests;
