//! Assigning territories to records and removing them (record.json, 4 operations):
//! `POST /crm/v8/{module_api_name}[/{id}]/actions/assign_territories|remove_territories`.
//!
//! Zoho answers either immediately (`SUCCESS`) or by scheduling a job (`SCHEDULED` with
//! `details.job_id`, see [`ActionSuccess::is_scheduled`](crate::ActionSuccess::is_scheduled));
//! outcomes come per record under `data`. Supported modules: Accounts, Contacts, Deals (one
//! territory per Deal, enforced by Zoho); Leads answer `TERRITORY_NOT_ENABLED`.

use serde::{Deserialize, Serialize};

use super::{count_in, RecordTerritoriesBody, RecordTerritoriesInput, MAX_TERRITORIES_PER_RECORD};
use crate::endpoint::Endpoint;
use crate::error::{BuildError, Error};
use crate::models::IdRef;
use crate::request::RequestParts;
use crate::response::{decode_action_results, ActionResults};

fn check_records(items: &[RecordTerritoriesInput], id_in_path: bool) -> Result<(), BuildError> {
    count_in(
        "data",
        items.len(),
        1,
        if id_in_path { 1 } else { usize::MAX },
    )?;
    for (i, r) in items.iter().enumerate() {
        if !id_in_path && r.id.as_deref().is_none_or(|id| id.trim().is_empty()) {
            return Err(BuildError::Invalid {
                param: "id",
                reason: format!("data[{i}]: the record id is required"),
            });
        }
        let n = r.territories.len();
        if n == 0 {
            return Err(BuildError::Invalid {
                param: "Territories",
                reason: format!("data[{i}]: at least one territory is required"),
            });
        }
        if n > MAX_TERRITORIES_PER_RECORD {
            return Err(BuildError::Invalid {
                param: "Territories",
                reason: format!(
                    "data[{i}]: at most {MAX_TERRITORIES_PER_RECORD} territories per record, got {n}"
                ),
            });
        }
        if let Some(j) = r.territories.iter().position(|t| t.id.trim().is_empty()) {
            return Err(BuildError::Invalid {
                param: "Territories",
                reason: format!("data[{i}].Territories[{j}]: the id is empty"),
            });
        }
    }
    Ok(())
}

fn single_body<S: Into<String>>(territories: impl IntoIterator<Item = S>) -> RecordTerritoriesBody {
    RecordTerritoriesBody {
        data: vec![RecordTerritoriesInput {
            id: None,
            territories: territories.into_iter().map(|t| IdRef::new(t)).collect(),
        }],
    }
}

macro_rules! multiple_records {
    ($(#[$doc:meta])* $name:ident, $id:literal, $action:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[must_use]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            module_api_name: String,
            body: RecordTerritoriesBody,
        }

        impl $name {
            /// For these records of the module `module_api_name` ([`RecordTerritoriesInput::new`]).
            pub fn new(
                module_api_name: impl Into<String>,
                records: impl IntoIterator<Item = RecordTerritoriesInput>,
            ) -> Self {
                $name {
                    module_api_name: module_api_name.into(),
                    body: RecordTerritoriesBody {
                        data: records.into_iter().collect(),
                    },
                }
            }
        }

        impl Endpoint for $name {
            const ID: &'static str = Self::SPEC.id;
            const OP_SPEC: Option<&'static crate::op_spec::OpSpec> = Some(&Self::SPEC);
            type Output = ActionResults;

            fn parts(&self) -> Result<RequestParts, BuildError> {
                BuildError::require("module_api_name", &self.module_api_name)?;
                check_records(&self.body.data, false)?;
                RequestParts::post(concat!("/crm/v8/{module_api_name}/actions/", $action))
                    .path_param(self.module_api_name.clone())
                    .json(&self.body)
            }

            fn parse(&self, response: http::Response<&[u8]>) -> Result<ActionResults, Error> {
                decode_action_results(Self::ID, "data", &response)
            }
        }
    };
}

macro_rules! single_record {
    ($(#[$doc:meta])* $name:ident, $id:literal, $action:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[must_use]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            module_api_name: String,
            id: String,
            body: RecordTerritoriesBody,
        }

        impl $name {
            /// For the record `id` of the module `module_api_name` and these territory ids.
            pub fn new<S: Into<String>>(
                module_api_name: impl Into<String>,
                id: impl Into<String>,
                territories: impl IntoIterator<Item = S>,
            ) -> Self {
                $name {
                    module_api_name: module_api_name.into(),
                    id: id.into(),
                    body: single_body(territories),
                }
            }
        }

        impl Endpoint for $name {
            const ID: &'static str = Self::SPEC.id;
            const OP_SPEC: Option<&'static crate::op_spec::OpSpec> = Some(&Self::SPEC);
            type Output = ActionResults;

            fn parts(&self) -> Result<RequestParts, BuildError> {
                BuildError::require("module_api_name", &self.module_api_name)?;
                BuildError::require("id", &self.id)?;
                check_records(&self.body.data, true)?;
                RequestParts::post(concat!("/crm/v8/{module_api_name}/{id}/actions/", $action))
                    .path_param(self.module_api_name.clone())
                    .path_param(self.id.clone())
                    .json(&self.body)
            }

            fn parse(&self, response: http::Response<&[u8]>) -> Result<ActionResults, Error> {
                decode_action_results(Self::ID, "data", &response)
            }
        }
    };
}

multiple_records!(
    /// `POST /crm/v8/{module_api_name}/actions/assign_territories`: assigns territories to
    /// several records (1 to 10 territories per record).
    AssignTerritoriesToMultipleRecords,
    "record.assign_territories_to_multiple_records",
    "assign_territories"
);

multiple_records!(
    /// `POST /crm/v8/{module_api_name}/actions/remove_territories`: removes territories from
    /// several records (system-assigned territories answer `NOT_ALLOWED`).
    RemoveTerritoriesFromMultipleRecords,
    "record.remove_territories_from_multiple_records",
    "remove_territories"
);

single_record!(
    /// `POST /crm/v8/{module_api_name}/{id}/actions/assign_territories`: assigns 1 to 10
    /// territories to one record.
    AssignTerritoryToRecord,
    "record.assign_territory_to_record",
    "assign_territories"
);

single_record!(
    /// `POST /crm/v8/{module_api_name}/{id}/actions/remove_territories`: removes territories
    /// from one record.
    RemoveTerritoriesFromRecord,
    "record.remove_territories_from_record",
    "remove_territories"
);
