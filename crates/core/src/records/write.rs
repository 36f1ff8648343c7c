//! Insert, update, upsert and delete (`POST|PUT|DELETE /crm/v8/{module}`, `POST .../upsert`):
//! at most 100 records per call, one outcome per record. For more, see [`super::batch`].

use http::HeaderName;
use serde::{Deserialize, Serialize};

use super::{check_module, MAX_RECORDS_PER_CALL};
use crate::endpoint::Endpoint;
use crate::error::{BuildError, Error};
use crate::record::Record;
use crate::request::RequestParts;
use crate::response::{decode_action_results, ActionResults};

/// An automation Zoho may run on a write (`trigger`). Omitting `trigger` runs them all; an
/// empty list runs none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Trigger {
    /// Workflow rules.
    Workflow,
    /// Approval processes.
    Approval,
    /// Blueprints.
    Blueprint,
    /// Pathfinder.
    Pathfinder,
    /// Orchestration.
    Orchestration,
}

impl Trigger {
    /// The name Zoho uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Workflow => "workflow",
            Trigger::Approval => "approval",
            Trigger::Blueprint => "blueprint",
            Trigger::Pathfinder => "pathfinder",
            Trigger::Orchestration => "orchestration",
        }
    }
}

/// The JSON body shared by insert, update and upsert. Keys the SDK does not model
/// (`skip_feature_execution`, `process`, `wf_trigger`, keys Zoho adds later) are kept and sent.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
struct WriteBody {
    data: Vec<Record>,
    /// Trigger names as sent (a name this SDK does not know is sent as it is).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    trigger: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    duplicate_check_fields: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    lar_id: Option<String>,
    #[serde(flatten)]
    other: serde_json::Map<String, serde_json::Value>,
}

fn check_count(param: &'static str, n: usize) -> Result<(), BuildError> {
    if n == 0 {
        return Err(BuildError::Missing(param));
    }
    if n > MAX_RECORDS_PER_CALL {
        return Err(BuildError::Invalid {
            param,
            reason: format!(
                "at most {MAX_RECORDS_PER_CALL} per call, got {n} (batch helpers split larger inputs)"
            ),
        });
    }
    Ok(())
}

macro_rules! write_endpoint {
    ($(#[$doc:meta])* $name:ident, $method:ident, $path:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[must_use]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            #[serde(rename = "module_api_name", alias = "module")]
            module: String,
            body: WriteBody,
            #[serde(default, rename = "X-EXTERNAL")]
            external: Option<String>,
        }

        impl $name {
            /// Writes `records` (at most 100) to `module`.
            pub fn new(module: impl Into<String>, records: impl IntoIterator<Item = Record>) -> Self {
                $name {
                    module: module.into(),
                    body: WriteBody {
                        data: records.into_iter().collect(),
                        ..WriteBody::default()
                    },
                    external: None,
                }
            }

            /// Which automations run (`[]` for none); all run when not set.
            pub fn trigger(mut self, triggers: impl IntoIterator<Item = Trigger>) -> Self {
                self.body.trigger = Some(triggers.into_iter().map(|t| t.as_str().to_owned()).collect());
                self
            }

            /// Another key of the JSON body, sent as given (e.g. `skip_feature_execution`:
            /// `[{"name": "cadences"}]`, or anything Zoho documents later).
            pub fn body_field(mut self, key: impl Into<String>, value: impl Into<serde_json::Value>) -> Self {
                self.body.other.insert(key.into(), value.into());
                self
            }

            /// Addresses records (and lookups) by external-id fields: the `X-EXTERNAL` header,
            /// e.g. `Leads.External_Lead_ID` (comma-separated for several).
            pub fn external(mut self, fields: impl Into<String>) -> Self {
                self.external = Some(fields.into());
                self
            }

            /// The records.
            pub fn records(&self) -> &[Record] {
                &self.body.data
            }

            /// The same call for other records (used by batches).
            pub(crate) fn with_records(&self, records: Vec<Record>) -> Self {
                let mut next = self.clone();
                next.body.data = records;
                next
            }

            fn write_parts(&self) -> Result<RequestParts, BuildError> {
                check_module(&self.module)?;
                check_count("data", self.body.data.len())?;
                RequestParts::$method($path)
                    .path_param(self.module.clone())
                    .header_opt(HeaderName::from_static("x-external"), self.external.clone())
                    .json(&self.body)
            }
        }
    };
}

write_endpoint!(
    /// Inserts up to 100 records (`POST /crm/v8/{module}`); success items carry the new id.
    InsertRecords,
    post,
    "/crm/v8/{module_api_name}"
);

impl InsertRecords {
    /// Applies this lead assignment rule (Leads only).
    pub fn lar_id(mut self, id: impl Into<String>) -> Self {
        self.body.lar_id = Some(id.into());
        self
    }
}

impl Endpoint for InsertRecords {
    const ID: &'static str = Self::SPEC.id;
    const OP_SPEC: Option<&'static crate::op_spec::OpSpec> = Some(&Self::SPEC);
    type Output = ActionResults;

    fn parts(&self) -> Result<RequestParts, BuildError> {
        self.write_parts()
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<ActionResults, Error> {
        decode_action_results(Self::ID, "data", &response)
    }
}

write_endpoint!(
    /// Updates up to 100 records (`PUT /crm/v8/{module}`); each needs its `id` (or, with
    /// [`external`](UpdateRecords::external), its external-id field).
    UpdateRecords,
    put,
    "/crm/v8/{module_api_name}"
);

impl Endpoint for UpdateRecords {
    const ID: &'static str = Self::SPEC.id;
    const OP_SPEC: Option<&'static crate::op_spec::OpSpec> = Some(&Self::SPEC);
    type Output = ActionResults;

    fn parts(&self) -> Result<RequestParts, BuildError> {
        if self.external.is_none() {
            if let Some(i) = self
                .body
                .data
                .iter()
                .position(|r| r.id().is_none_or(|id| id.trim().is_empty()))
            {
                return Err(BuildError::Invalid {
                    param: "data",
                    reason: format!("record {i} has no id"),
                });
            }
        }
        self.write_parts()
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<ActionResults, Error> {
        decode_action_results(Self::ID, "data", &response)
    }
}

write_endpoint!(
    /// Inserts or updates up to 100 records (`POST /crm/v8/{module}/upsert`), matching existing
    /// records on `duplicate_check_fields` (the module's unique fields by default). Success items
    /// say which with `action` (`insert`/`update`) and `duplicate_field`.
    UpsertRecords,
    post,
    "/crm/v8/{module_api_name}/upsert"
);

impl UpsertRecords {
    /// The unique fields to match on, in order (e.g. `["Email", "Mobile"]`).
    pub fn duplicate_check_fields<S: Into<String>>(
        mut self,
        fields: impl IntoIterator<Item = S>,
    ) -> Self {
        self.body.duplicate_check_fields = Some(fields.into_iter().map(Into::into).collect());
        self
    }
}

impl Endpoint for UpsertRecords {
    const ID: &'static str = Self::SPEC.id;
    const OP_SPEC: Option<&'static crate::op_spec::OpSpec> = Some(&Self::SPEC);
    type Output = ActionResults;

    fn parts(&self) -> Result<RequestParts, BuildError> {
        if let Some(fields) = &self.body.duplicate_check_fields {
            if fields.iter().any(|f| f.trim().is_empty()) {
                return Err(BuildError::Invalid {
                    param: "duplicate_check_fields",
                    reason: "a field name is blank".into(),
                });
            }
        }
        self.write_parts()
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<ActionResults, Error> {
        decode_action_results(Self::ID, "data", &response)
    }
}

/// Deletes up to 100 records by id (`DELETE /crm/v8/{module}?ids=...`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[must_use]
#[serde(deny_unknown_fields)]
pub struct DeleteRecords {
    #[serde(rename = "module_api_name", alias = "module")]
    module: String,
    #[serde(deserialize_with = "crate::models::string_list::deserialize")]
    ids: Vec<String>,
    #[serde(default, deserialize_with = "crate::models::lenient_bool::option")]
    wf_trigger: Option<bool>,
    #[serde(default, rename = "X-EXTERNAL")]
    external: Option<String>,
}

impl DeleteRecords {
    /// Deletes these records (at most 100) of `module`.
    pub fn new<S: Into<String>>(
        module: impl Into<String>,
        ids: impl IntoIterator<Item = S>,
    ) -> Self {
        DeleteRecords {
            module: module.into(),
            ids: ids.into_iter().map(Into::into).collect(),
            wf_trigger: None,
            external: None,
        }
    }

    /// Whether workflows run on deletion (Zoho's default: true).
    pub fn wf_trigger(mut self, run: bool) -> Self {
        self.wf_trigger = Some(run);
        self
    }

    /// The ids are values of this external-id field (`X-EXTERNAL: Module.Field`).
    pub fn external(mut self, field: impl Into<String>) -> Self {
        self.external = Some(field.into());
        self
    }

    /// The ids.
    pub fn ids(&self) -> &[String] {
        &self.ids
    }

    pub(crate) fn with_ids(&self, ids: Vec<String>) -> Self {
        let mut next = self.clone();
        next.ids = ids;
        next
    }
}

impl Endpoint for DeleteRecords {
    const ID: &'static str = Self::SPEC.id;
    const OP_SPEC: Option<&'static crate::op_spec::OpSpec> = Some(&Self::SPEC);
    type Output = ActionResults;

    fn parts(&self) -> Result<RequestParts, BuildError> {
        check_module(&self.module)?;
        check_count("ids", self.ids.len())?;
        if let Some(i) = self.ids.iter().position(|id| id.trim().is_empty()) {
            return Err(BuildError::Invalid {
                param: "ids",
                reason: format!("id {i} is blank"),
            });
        }
        Ok(RequestParts::delete("/crm/v8/{module_api_name}")
            .path_param(self.module.clone())
            .query_list("ids", &self.ids)
            .query_opt("wf_trigger", self.wf_trigger)
            .header_opt(HeaderName::from_static("x-external"), self.external.clone()))
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<ActionResults, Error> {
        decode_action_results(Self::ID, "data", &response)
    }
}
