//! The calls users reach for after CRUD: related records (get, update, delink), notes, tags,
//! attachments (multipart upload, download with file name), lead conversion and mass update.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{
    check_fields, check_module, check_paging, parse_record_page, RecordPage, MAX_PER_PAGE,
    MAX_RECORDS_PER_CALL, PAGE_NUMBER_REACH,
};
use crate::endpoint::{Endpoint, Paginated};
use crate::error::{BuildError, Error};
use crate::outputs::{Download, FilePart};
use crate::pagination::{next_record_cursor, Cursor};
use crate::record::Record;
use crate::request::{Body, Multipart, Part, RequestParts};
use crate::response::{decode_action_results, decode_json, ActionResults};

fn check_ids(param: &'static str, ids: &[String], max: usize) -> Result<(), BuildError> {
    if ids.is_empty() {
        return Err(BuildError::Missing(param));
    }
    if ids.len() > max {
        return Err(BuildError::Invalid {
            param,
            reason: format!("at most {max} per call, got {}", ids.len()),
        });
    }
    if let Some(i) = ids.iter().position(|id| id.trim().is_empty()) {
        return Err(BuildError::Invalid {
            param,
            reason: format!("id {i} is blank"),
        });
    }
    Ok(())
}

/// Records of a related list of one record (`GET /crm/v8/{module}/{id}/{related_list}`), e.g.
/// the Contacts of an Account, or its Notes. Pages like [`ListRecords`](super::ListRecords).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[must_use]
#[serde(deny_unknown_fields)]
pub struct GetRelatedRecords {
    #[serde(rename = "module_api_name", alias = "module")]
    module: String,
    #[serde(rename = "record_id")]
    id: String,
    #[serde(rename = "related_list_api_name", alias = "related_list")]
    related_list: String,
    #[serde(default, deserialize_with = "crate::models::string_list::deserialize")]
    fields: Vec<String>,
    #[serde(default)]
    page: Option<u32>,
    #[serde(default)]
    per_page: Option<u32>,
    #[serde(default)]
    page_token: Option<String>,
}

impl GetRelatedRecords {
    /// The `related_list` records of record `id` of `module`, with these fields (required).
    pub fn new<S: Into<String>>(
        module: impl Into<String>,
        id: impl Into<String>,
        related_list: impl Into<String>,
        fields: impl IntoIterator<Item = S>,
    ) -> Self {
        GetRelatedRecords {
            module: module.into(),
            id: id.into(),
            related_list: related_list.into(),
            fields: fields.into_iter().map(Into::into).collect(),
            page: None,
            per_page: None,
            page_token: None,
        }
    }

    /// Records per page (1–200).
    pub fn per_page(mut self, n: u32) -> Self {
        self.per_page = Some(n);
        self
    }
}

impl Endpoint for GetRelatedRecords {
    const ID: &'static str = Self::SPEC.id;
    const OP_SPEC: Option<&'static crate::op_spec::OpSpec> = Some(&Self::SPEC);
    type Output = RecordPage;

    fn parts(&self) -> Result<RequestParts, BuildError> {
        check_module(&self.module)?;
        BuildError::require("record_id", &self.id)?;
        BuildError::require("related_list_api_name", &self.related_list)?;
        check_fields(&self.fields, true)?;
        check_paging(self.page, self.per_page)?;
        Ok(
            RequestParts::get("/crm/v8/{module_api_name}/{record_id}/{related_list_api_name}")
                .path_param(self.module.clone())
                .path_param(self.id.clone())
                .path_param(self.related_list.clone())
                .query_list("fields", &self.fields)
                .query_opt("page", self.page)
                .query_opt("per_page", self.per_page)
                .query_opt("page_token", self.page_token.as_ref()),
        )
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<RecordPage, Error> {
        parse_record_page(Self::ID, &response)
    }
}

impl Paginated for GetRelatedRecords {
    fn next_page(&self, output: &RecordPage) -> Option<Self> {
        let mut next = self.clone();
        match next_record_cursor(
            self.page,
            self.page_token.as_deref(),
            self.per_page.unwrap_or(MAX_PER_PAGE),
            PAGE_NUMBER_REACH,
            &output.info,
            !output.records.is_empty(),
        )? {
            Cursor::Page(n) => next.page = Some(n),
            Cursor::Token(t) => {
                next.page = None;
                next.page_token = Some(t);
            }
        }
        Some(next)
    }
}

/// Links records to a record's related list, or updates the relation's fields
/// (`PUT /crm/v8/{module}/{id}/{related_list}`, body `{"data": [{"id": ...}, ...]}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[must_use]
#[serde(deny_unknown_fields)]
pub struct UpdateRelatedRecords {
    #[serde(rename = "module_api_name", alias = "module")]
    module: String,
    #[serde(rename = "record_id")]
    id: String,
    #[serde(rename = "related_list_api_name", alias = "related_list")]
    related_list: String,
    data: Vec<Record>,
}

impl UpdateRelatedRecords {
    /// Links these related records (each with its `id`, plus any relation field).
    pub fn new(
        module: impl Into<String>,
        id: impl Into<String>,
        related_list: impl Into<String>,
        related: impl IntoIterator<Item = Record>,
    ) -> Self {
        UpdateRelatedRecords {
            module: module.into(),
            id: id.into(),
            related_list: related_list.into(),
            data: related.into_iter().collect(),
        }
    }
}

impl Endpoint for UpdateRelatedRecords {
    const ID: &'static str = Self::SPEC.id;
    const OP_SPEC: Option<&'static crate::op_spec::OpSpec> = Some(&Self::SPEC);
    type Output = ActionResults;

    fn parts(&self) -> Result<RequestParts, BuildError> {
        check_module(&self.module)?;
        BuildError::require("record_id", &self.id)?;
        BuildError::require("related_list_api_name", &self.related_list)?;
        let ids: Vec<String> = self
            .data
            .iter()
            .map(|r| r.id().map(|c| c.into_owned()).unwrap_or_default())
            .collect();
        check_ids("data", &ids, MAX_RECORDS_PER_CALL)?;
        RequestParts::put("/crm/v8/{module_api_name}/{record_id}/{related_list_api_name}")
            .path_param(self.module.clone())
            .path_param(self.id.clone())
            .path_param(self.related_list.clone())
            .json(&json!({ "data": self.data }))
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<ActionResults, Error> {
        decode_action_results(Self::ID, "data", &response)
    }
}

/// Unlinks related records (`DELETE /crm/v8/{module}/{id}/{related_list}?ids=...`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[must_use]
#[serde(deny_unknown_fields)]
pub struct DelinkRelatedRecords {
    #[serde(rename = "module_api_name", alias = "module")]
    module: String,
    #[serde(rename = "record_id")]
    id: String,
    #[serde(rename = "related_list_api_name", alias = "related_list")]
    related_list: String,
    #[serde(deserialize_with = "crate::models::string_list::deserialize")]
    ids: Vec<String>,
}

impl DelinkRelatedRecords {
    /// Unlinks the related records `ids` (at most 100).
    pub fn new<S: Into<String>>(
        module: impl Into<String>,
        id: impl Into<String>,
        related_list: impl Into<String>,
        ids: impl IntoIterator<Item = S>,
    ) -> Self {
        DelinkRelatedRecords {
            module: module.into(),
            id: id.into(),
            related_list: related_list.into(),
            ids: ids.into_iter().map(Into::into).collect(),
        }
    }
}

impl Endpoint for DelinkRelatedRecords {
    const ID: &'static str = Self::SPEC.id;
    const OP_SPEC: Option<&'static crate::op_spec::OpSpec> = Some(&Self::SPEC);
    type Output = ActionResults;

    fn parts(&self) -> Result<RequestParts, BuildError> {
        check_module(&self.module)?;
        BuildError::require("record_id", &self.id)?;
        BuildError::require("related_list_api_name", &self.related_list)?;
        check_ids("ids", &self.ids, MAX_RECORDS_PER_CALL)?;
        Ok(
            RequestParts::delete("/crm/v8/{module_api_name}/{record_id}/{related_list_api_name}")
                .path_param(self.module.clone())
                .path_param(self.id.clone())
                .path_param(self.related_list.clone())
                .query_list("ids", &self.ids),
        )
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<ActionResults, Error> {
        decode_action_results(Self::ID, "data", &response)
    }
}

/// Adds notes to records (`POST /crm/v8/Notes`, operation `notes.create_notes`), each with its
/// parent record (`Parent_Id`); list them with [`GetRelatedRecords`] on the `Notes` related list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[must_use]
#[serde(deny_unknown_fields)]
pub struct AddNotes {
    /// The parent's module, for notes built with [`new`](AddNotes::new) / [`and`](AddNotes::and).
    #[serde(
        rename = "module_api_name",
        alias = "module",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    module: Option<String>,
    /// The parent's id, likewise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    record_id: Option<String>,
    data: Vec<Record>,
}

impl AddNotes {
    /// One note with a title and content on record `record_id` of `module`.
    pub fn new(
        module: impl Into<String>,
        record_id: impl Into<String>,
        title: impl Into<String>,
        content: impl Into<String>,
    ) -> Self {
        AddNotes {
            module: Some(module.into()),
            record_id: Some(record_id.into()),
            data: Vec::new(),
        }
        .and(title, content)
    }

    /// Notes as records, each with its own `Parent_Id` (`{"module": {"api_name": ...}, "id": ...}`)
    /// and any other field of the Notes module.
    pub fn notes(notes: impl IntoIterator<Item = Record>) -> Self {
        AddNotes {
            module: None,
            record_id: None,
            data: notes.into_iter().collect(),
        }
    }

    /// Another note on the same record.
    pub fn and(mut self, title: impl Into<String>, content: impl Into<String>) -> Self {
        self.data.push(
            Record::new()
                .with("Note_Title", title.into())
                .with("Note_Content", content.into()),
        );
        self
    }
}

impl Endpoint for AddNotes {
    const ID: &'static str = Self::SPEC.id;
    const OP_SPEC: Option<&'static crate::op_spec::OpSpec> = Some(&Self::SPEC);
    type Output = ActionResults;

    fn parts(&self) -> Result<RequestParts, BuildError> {
        if self.data.is_empty() || self.data.len() > MAX_RECORDS_PER_CALL {
            return Err(BuildError::Invalid {
                param: "data",
                reason: format!("1 to {MAX_RECORDS_PER_CALL} notes per call"),
            });
        }
        let parent = match (&self.module, &self.record_id) {
            (Some(module), Some(id)) => {
                check_module(module)?;
                BuildError::require("record_id", id)?;
                Some(json!({ "module": { "api_name": module }, "id": id }))
            }
            (None, None) => None,
            _ => {
                return Err(BuildError::Invalid {
                    param: "record_id",
                    reason: "the parent needs both its module and its id".into(),
                })
            }
        };
        let mut notes = self.data.clone();
        for (i, note) in notes.iter_mut().enumerate() {
            if note.contains("Parent_Id") {
                continue;
            }
            match &parent {
                Some(p) => {
                    note.set("Parent_Id", p.clone());
                }
                None => {
                    return Err(BuildError::Invalid {
                        param: "data",
                        reason: format!("note {i} has no Parent_Id and no parent record was given"),
                    })
                }
            }
        }
        RequestParts::post("/crm/v8/Notes").json(&json!({ "data": notes }))
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<ActionResults, Error> {
        decode_action_results(Self::ID, "data", &response)
    }
}

/// A tag reference in tag bodies: its name, and any other key sent as given (`color_code`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct TagName {
    name: String,
    #[serde(flatten)]
    other: serde_json::Map<String, Value>,
}

/// The body of add/remove tags.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct TagsBody {
    tags: Vec<TagName>,
    ids: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    over_write: Option<bool>,
}

macro_rules! tags_endpoint {
    ($(#[$doc:meta])* $name:ident, $action:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[must_use]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            #[serde(rename = "module_api_name", alias = "module")]
            module: String,
            body: TagsBody,
        }

        impl $name {
            /// These tags (by name, at most 10) on these records (at most 100) of `module`.
            pub fn new<I: Into<String>, T: Into<String>>(
                module: impl Into<String>,
                ids: impl IntoIterator<Item = I>,
                tags: impl IntoIterator<Item = T>,
            ) -> Self {
                $name {
                    module: module.into(),
                    body: TagsBody {
                        tags: tags.into_iter().map(|t| TagName { name: t.into(), other: serde_json::Map::new() }).collect(),
                        ids: ids.into_iter().map(Into::into).collect(),
                        over_write: None,
                    },
                }
            }
        }

        impl Endpoint for $name {
            const ID: &'static str = Self::SPEC.id;
            const OP_SPEC: Option<&'static crate::op_spec::OpSpec> = Some(&Self::SPEC);
            type Output = ActionResults;

            fn parts(&self) -> Result<RequestParts, BuildError> {
                check_module(&self.module)?;
                check_ids("ids", &self.body.ids, MAX_RECORDS_PER_CALL)?;
                let names: Vec<String> = self.body.tags.iter().map(|t| t.name.clone()).collect();
                check_ids("tags", &names, 10)?;
                if let Some(long) = names.iter().find(|n| n.chars().count() > 25) {
                    return Err(BuildError::Invalid {
                        param: "tags",
                        reason: format!("tag names are at most 25 characters: `{long}`"),
                    });
                }
                RequestParts::post(concat!("/crm/v8/{module_api_name}/actions/", $action))
                    .path_param(self.module.clone())
                    .json(&self.body)
            }

            fn parse(&self, response: http::Response<&[u8]>) -> Result<ActionResults, Error> {
                decode_action_results(Self::ID, "data", &response)
            }
        }
    };
}

tags_endpoint!(
    /// Adds tags to records (`POST /crm/v8/{module}/actions/add_tags`); unknown tags are created.
    AddTags,
    "add_tags"
);

impl AddTags {
    /// Replaces the records' existing tags instead of adding to them.
    pub fn over_write(mut self, over_write: bool) -> Self {
        self.body.over_write = Some(over_write);
        self
    }
}

tags_endpoint!(
    /// Removes tags from records (`POST /crm/v8/{module}/actions/remove_tags`).
    RemoveTags,
    "remove_tags"
);

/// The attachments of a record (`GET /crm/v8/{module}/{id}/Attachments`), one page per call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[must_use]
#[serde(deny_unknown_fields)]
pub struct ListAttachments {
    #[serde(rename = "module", alias = "module_api_name")]
    module: String,
    record_id: String,
    #[serde(
        default = "attachment_fields",
        deserialize_with = "crate::models::string_list::deserialize"
    )]
    fields: Vec<String>,
    #[serde(default)]
    page: Option<u32>,
    #[serde(default)]
    per_page: Option<u32>,
    /// Only these attachments.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::models::string_list::deserialize"
    )]
    ids: Vec<String>,
}

fn attachment_fields() -> Vec<String> {
    ["id", "File_Name", "Size", "Created_Time", "Created_By"]
        .map(String::from)
        .to_vec()
}

impl ListAttachments {
    /// The attachments of record `record_id` with the usual fields (id, File_Name, Size,
    /// Created_Time, Created_By).
    pub fn new(module: impl Into<String>, record_id: impl Into<String>) -> Self {
        ListAttachments {
            module: module.into(),
            record_id: record_id.into(),
            fields: attachment_fields(),
            page: None,
            per_page: None,
            ids: Vec::new(),
        }
    }

    /// Only the attachments with these ids.
    pub fn ids<S: Into<String>>(mut self, ids: impl IntoIterator<Item = S>) -> Self {
        self.ids = ids.into_iter().map(Into::into).collect();
        self
    }
}

impl Endpoint for ListAttachments {
    const ID: &'static str = Self::SPEC.id;
    const OP_SPEC: Option<&'static crate::op_spec::OpSpec> = Some(&Self::SPEC);
    type Output = RecordPage;

    fn parts(&self) -> Result<RequestParts, BuildError> {
        check_module(&self.module)?;
        BuildError::require("record_id", &self.record_id)?;
        check_fields(&self.fields, true)?;
        check_paging(self.page, self.per_page)?;
        Ok(
            RequestParts::get("/crm/v8/{module}/{record_id}/Attachments")
                .path_param(self.module.clone())
                .path_param(self.record_id.clone())
                .query_list("fields", &self.fields)
                .query_list("ids", &self.ids)
                .query_opt("page", self.page)
                .query_opt("per_page", self.per_page),
        )
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<RecordPage, Error> {
        parse_record_page(Self::ID, &response)
    }
}

/// Attaches a file to a record (`POST /crm/v8/{module}/{id}/Attachments`): the file itself
/// (`multipart/form-data` with a `file` part), or a link (`attachmentUrl`, with an optional
/// `title`) as the spec's operation describes it. The success item carries the attachment id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[must_use]
#[serde(deny_unknown_fields)]
pub struct UploadAttachment {
    #[serde(rename = "module", alias = "module_api_name")]
    module: String,
    record_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    file: Option<FilePart>,
    #[serde(
        rename = "attachmentUrl",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    attachment_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    title: Option<String>,
}

impl UploadAttachment {
    /// Attaches `file` to record `record_id`.
    pub fn new(module: impl Into<String>, record_id: impl Into<String>, file: FilePart) -> Self {
        UploadAttachment {
            module: module.into(),
            record_id: record_id.into(),
            file: Some(file),
            attachment_url: None,
            title: None,
        }
    }

    /// Attaches the document at `url` (Zoho fetches it) to record `record_id`.
    pub fn url(
        module: impl Into<String>,
        record_id: impl Into<String>,
        url: impl Into<String>,
    ) -> Self {
        UploadAttachment {
            module: module.into(),
            record_id: record_id.into(),
            file: None,
            attachment_url: Some(url.into()),
            title: None,
        }
    }

    /// The attachment's title (for a link).
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }
}

impl Endpoint for UploadAttachment {
    const ID: &'static str = Self::SPEC.id;
    const OP_SPEC: Option<&'static crate::op_spec::OpSpec> = Some(&Self::SPEC);
    type Output = ActionResults;

    fn parts(&self) -> Result<RequestParts, BuildError> {
        check_module(&self.module)?;
        BuildError::require("record_id", &self.record_id)?;
        let parts = RequestParts::post("/crm/v8/{module}/{record_id}/Attachments")
            .path_param(self.module.clone())
            .path_param(self.record_id.clone());
        match (&self.file, &self.attachment_url) {
            (Some(file), None) => {
                BuildError::require("file_name", &file.file_name)?;
                let part = Part {
                    name: "file".into(),
                    file_name: Some(file.file_name.clone()),
                    content_type: Some(
                        file.content_type
                            .clone()
                            .unwrap_or_else(|| "application/octet-stream".into()),
                    ),
                    data: file.data.clone(),
                };
                Ok(parts.body(Body::Multipart(Multipart { parts: vec![part] })))
            }
            (None, Some(url)) => {
                BuildError::require("attachmentUrl", url)?;
                Ok(parts
                    .query("attachmentUrl", url.clone())
                    .query_opt("title", self.title.as_ref()))
            }
            (None, None) => Err(BuildError::Missing("file")),
            (Some(_), Some(_)) => Err(BuildError::Invalid {
                param: "attachmentUrl",
                reason: "a file or a URL, not both".into(),
            }),
        }
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<ActionResults, Error> {
        decode_action_results(Self::ID, "data", &response)
    }
}

/// Downloads an attachment (`GET /crm/v8/{module}/{id}/Attachments/{attachment_id}`): the bytes
/// with the file name from `Content-Disposition`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[must_use]
#[serde(deny_unknown_fields)]
pub struct DownloadAttachment {
    #[serde(rename = "module", alias = "module_api_name")]
    module: String,
    record_id: String,
    #[serde(rename = "id")]
    attachment_id: String,
}

impl DownloadAttachment {
    /// The attachment `attachment_id` of record `record_id`.
    pub fn new(
        module: impl Into<String>,
        record_id: impl Into<String>,
        attachment_id: impl Into<String>,
    ) -> Self {
        DownloadAttachment {
            module: module.into(),
            record_id: record_id.into(),
            attachment_id: attachment_id.into(),
        }
    }
}

impl Endpoint for DownloadAttachment {
    const ID: &'static str = Self::SPEC.id;
    const OP_SPEC: Option<&'static crate::op_spec::OpSpec> = Some(&Self::SPEC);
    type Output = Download;

    fn parts(&self) -> Result<RequestParts, BuildError> {
        check_module(&self.module)?;
        BuildError::require("record_id", &self.record_id)?;
        BuildError::require("id", &self.attachment_id)?;
        Ok(
            RequestParts::get("/crm/v8/{module}/{record_id}/Attachments/{id}")
                .path_param(self.module.clone())
                .path_param(self.record_id.clone())
                .path_param(self.attachment_id.clone()),
        )
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<Download, Error> {
        Download::parse(Self::ID, response)
    }
}

/// Converts a lead (`POST /crm/v8/Leads/{id}/actions/convert`) into a contact, an account and
/// optionally a deal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[must_use]
#[serde(deny_unknown_fields)]
pub struct ConvertLead {
    lead_id: String,
    /// The conversion's options; the spec's body form `[{...}]` (one item) is accepted too.
    #[serde(default, deserialize_with = "one_record")]
    data: Record,
}

/// A record, or a list holding exactly one (the body of `POST .../actions/convert`).
fn one_record<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Record, D::Error> {
    use serde::de::Error as _;
    match Value::deserialize(d)? {
        Value::Array(mut items) if items.len() == 1 => {
            Record::try_from(items.remove(0)).map_err(D::Error::custom)
        }
        Value::Array(items) => Err(D::Error::custom(format!(
            "one conversion per call, got {}",
            items.len()
        ))),
        other => Record::try_from(other).map_err(D::Error::custom),
    }
}

impl ConvertLead {
    /// Converts lead `lead_id` with Zoho's defaults.
    pub fn new(lead_id: impl Into<String>) -> Self {
        ConvertLead {
            lead_id: lead_id.into(),
            data: Record::new(),
        }
    }

    /// Overwrites the account's data with the lead's.
    pub fn overwrite(mut self, overwrite: bool) -> Self {
        self.data.set("overwrite", overwrite);
        self
    }

    /// Notifies the lead's owner.
    pub fn notify_lead_owner(mut self, notify: bool) -> Self {
        self.data.set("notify_lead_owner", notify);
        self
    }

    /// Notifies the owner of the new records.
    pub fn notify_new_entity_owner(mut self, notify: bool) -> Self {
        self.data.set("notify_new_entity_owner", notify);
        self
    }

    /// Associates the contact with this existing account instead of creating one.
    pub fn account(mut self, account_id: impl Into<String>) -> Self {
        self.data
            .set("Accounts", json!({ "id": account_id.into() }));
        self
    }

    /// Merges into this existing contact instead of creating one.
    pub fn contact(mut self, contact_id: impl Into<String>) -> Self {
        self.data
            .set("Contacts", json!({ "id": contact_id.into() }));
        self
    }

    /// Also creates this deal (`Deal_Name`, `Stage`, `Closing_Date`, ...).
    pub fn deal(mut self, deal: Record) -> Self {
        self.data
            .set("Deals", serde_json::to_value(&deal).unwrap_or(Value::Null));
        self
    }
}

/// The records a lead became.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ConvertedLead {
    /// The contact's id.
    pub contact: Option<String>,
    /// The account's id.
    pub account: Option<String>,
    /// The deal's id, when one was created.
    pub deal: Option<String>,
}

fn id_of(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Object(o) => id_of(o.get("id")),
        _ => None,
    }
}

impl Endpoint for ConvertLead {
    const ID: &'static str = Self::SPEC.id;
    const OP_SPEC: Option<&'static crate::op_spec::OpSpec> = Some(&Self::SPEC);
    type Output = ConvertedLead;

    fn parts(&self) -> Result<RequestParts, BuildError> {
        BuildError::require("lead_id", &self.lead_id)?;
        RequestParts::post("/crm/v8/Leads/{lead_id}/actions/convert")
            .path_param(self.lead_id.clone())
            .json(&json!({ "data": [self.data] }))
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<ConvertedLead, Error> {
        // v8 answers a status item whose `details` name the records; older versions put the ids
        // straight in the item. Both are read.
        let value = decode_json::<Value>(Self::ID, &response)?.unwrap_or(Value::Null);
        let item = value
            .get("data")
            .and_then(|d| d.get(0))
            .cloned()
            .unwrap_or(Value::Null);
        if item.get("status").and_then(Value::as_str) == Some("error") {
            let results = crate::response::action_results_from_value(
                Self::ID,
                "data",
                response.status().as_u16(),
                value,
            )?;
            results.into_result()?;
        }
        let source = item
            .get("details")
            .filter(|d| d.is_object())
            .unwrap_or(&item);
        Ok(ConvertedLead {
            contact: id_of(source.get("Contacts")),
            account: id_of(source.get("Accounts")),
            deal: id_of(source.get("Deals")),
        })
    }
}

/// Sets the same field values on many records (`POST /crm/v8/{module}/actions/mass_update`);
/// Zoho schedules the work and returns a `job_id` (see [`MassUpdateStatusQuery`]).
///
/// Body keys the SDK does not model (`criteria`, `territory`, `over_write`, ...) are kept and
/// sent ([`body_field`](MassUpdateRecords::body_field)).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[must_use]
pub struct MassUpdateRecords {
    #[serde(rename = "module_api_name", alias = "module")]
    module: String,
    /// The values to set; the spec's body form `data: [{...}]` (one item) is accepted too.
    #[serde(alias = "data", deserialize_with = "one_record")]
    values: Record,
    #[serde(default, deserialize_with = "crate::models::string_list::deserialize")]
    ids: Vec<String>,
    #[serde(default)]
    cvid: Option<String>,
    #[serde(flatten)]
    other: serde_json::Map<String, Value>,
}

impl MassUpdateRecords {
    /// Sets `values` on the records `ids` (at most 50,000).
    pub fn new<S: Into<String>>(
        module: impl Into<String>,
        values: Record,
        ids: impl IntoIterator<Item = S>,
    ) -> Self {
        MassUpdateRecords {
            module: module.into(),
            values,
            ids: ids.into_iter().map(Into::into).collect(),
            cvid: None,
            other: serde_json::Map::new(),
        }
    }

    /// Sets `values` on every record of the custom view `cvid`.
    pub fn custom_view(module: impl Into<String>, values: Record, cvid: impl Into<String>) -> Self {
        MassUpdateRecords {
            module: module.into(),
            values,
            ids: Vec::new(),
            cvid: Some(cvid.into()),
            other: serde_json::Map::new(),
        }
    }

    /// Another key of the JSON body, sent as given (`criteria`, `territory`, `over_write`).
    pub fn body_field(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.other.insert(key.into(), value.into());
        self
    }
}

impl Endpoint for MassUpdateRecords {
    const ID: &'static str = Self::SPEC.id;
    const OP_SPEC: Option<&'static crate::op_spec::OpSpec> = Some(&Self::SPEC);
    type Output = ActionResults;

    fn parts(&self) -> Result<RequestParts, BuildError> {
        check_module(&self.module)?;
        if self.values.is_empty() {
            return Err(BuildError::Missing("data"));
        }
        let mut body = match &self.cvid {
            Some(cvid) => json!({ "data": [self.values], "cvid": cvid }),
            None if self.other.contains_key("criteria") => json!({ "data": [self.values] }),
            None => {
                check_ids("ids", &self.ids, 50_000)?;
                json!({ "data": [self.values], "ids": self.ids })
            }
        };
        if let Value::Object(map) = &mut body {
            if self.cvid.is_some() && !self.ids.is_empty() {
                map.insert("ids".into(), json!(self.ids));
            }
            for (k, v) in &self.other {
                map.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
        RequestParts::post("/crm/v8/{module_api_name}/actions/mass_update")
            .path_param(self.module.clone())
            .json(&body)
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<ActionResults, Error> {
        decode_action_results(Self::ID, "data", &response)
    }
}

/// The state of a mass update job.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MassUpdateStatus {
    /// `SCHEDULED`, `RUNNING` or `COMPLETED`.
    #[serde(rename = "Status", default)]
    pub status: String,
    /// Records updated.
    #[serde(
        rename = "Updated_Count",
        default,
        deserialize_with = "crate::models::lenient_u64::or_zero"
    )]
    pub updated: u64,
    /// Records not updated.
    #[serde(
        rename = "Not_Updated_Count",
        default,
        deserialize_with = "crate::models::lenient_u64::or_zero"
    )]
    pub not_updated: u64,
    /// Records that failed.
    #[serde(
        rename = "Failed_Count",
        default,
        deserialize_with = "crate::models::lenient_u64::or_zero"
    )]
    pub failed: u64,
    /// Records in the job.
    #[serde(
        rename = "Total_Count",
        default,
        deserialize_with = "crate::models::lenient_u64::or_zero"
    )]
    pub total: u64,
}

impl MassUpdateStatus {
    /// Whether the job finished.
    pub fn is_completed(&self) -> bool {
        self.status.eq_ignore_ascii_case("completed")
    }
}

/// The status of a mass update job (`GET /crm/v8/{module}/actions/mass_update?job_id=`);
/// `None` when Zoho knows no such job (204).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[must_use]
#[serde(deny_unknown_fields)]
pub struct MassUpdateStatusQuery {
    #[serde(rename = "module_api_name", alias = "module")]
    module: String,
    job_id: String,
}

impl MassUpdateStatusQuery {
    /// The job `job_id` of `module`.
    pub fn new(module: impl Into<String>, job_id: impl Into<String>) -> Self {
        MassUpdateStatusQuery {
            module: module.into(),
            job_id: job_id.into(),
        }
    }
}

#[derive(Deserialize)]
struct StatusBody {
    #[serde(default)]
    data: Vec<MassUpdateStatus>,
}

impl Endpoint for MassUpdateStatusQuery {
    const ID: &'static str = Self::SPEC.id;
    const OP_SPEC: Option<&'static crate::op_spec::OpSpec> = Some(&Self::SPEC);
    type Output = Option<MassUpdateStatus>;

    fn parts(&self) -> Result<RequestParts, BuildError> {
        check_module(&self.module)?;
        BuildError::require("job_id", &self.job_id)?;
        Ok(
            RequestParts::get("/crm/v8/{module_api_name}/actions/mass_update")
                .path_param(self.module.clone())
                .query("job_id", &self.job_id),
        )
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<Option<MassUpdateStatus>, Error> {
        Ok(decode_json::<StatusBody>(Self::ID, &response)?.and_then(|b| b.data.into_iter().next()))
    }
}
