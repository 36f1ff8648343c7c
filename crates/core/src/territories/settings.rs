//! The territory tree: `/crm/v8/settings/territories` (territories.json, 12 operations).

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use super::{check_name, check_paging, count_in, id_list};
use super::{
    AssociatedUsersCountPage, Criteria, DeletedTerritoriesPage, TerritoriesBody, TerritoriesPage,
    Territory, TerritoryInput, TransferBody, TransferInput, MAX_TERRITORIES_PER_CALL,
};
use crate::endpoint::{Endpoint, Paginated};
use crate::error::{BuildError, Error};
use crate::pagination::{next_cursor, Cursor};
use crate::request::RequestParts;
use crate::response::{decode_action_results, decode_json, ActionResults};

/// Rules per assignment criteria.
const MAX_CRITERIA_RULES: usize = 25;
/// `per_page` limit of the territory list (v7 text: default and maximum 2000).
const MAX_PER_PAGE_LIST: u32 = 2000;
/// `per_page` limit of the child-territory list.
const MAX_PER_PAGE_CHILDREN: u32 = 200;

/// `filters` given as the JSON string Zoho expects, or as a JSON object (serialised compactly).
pub(crate) fn filters_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s),
        Some(other) => Some(other.to_string()),
    })
}

fn check_criteria(
    index: usize,
    key: &'static str,
    c: &Option<Option<Criteria>>,
) -> Result<(), BuildError> {
    if let Some(Some(c)) = c {
        let n = c.rule_count();
        if n > MAX_CRITERIA_RULES {
            return Err(BuildError::Invalid {
                param: key,
                reason: format!(
                    "territories[{index}]: at most {MAX_CRITERIA_RULES} rules per criteria, got {n}"
                ),
            });
        }
    }
    Ok(())
}

/// Checks common to create and update items.
fn check_item(index: usize, t: &TerritoryInput) -> Result<(), BuildError> {
    if let Some(name) = &t.name {
        check_name(index, name)?;
    }
    if let Some(r) = &t.reporting_to {
        if r.id.trim().is_empty() {
            return Err(BuildError::Invalid {
                param: "reporting_to",
                reason: format!("territories[{index}]: the id is empty"),
            });
        }
    }
    if let Some(Some(m)) = &t.manager {
        if m.id.trim().is_empty() {
            return Err(BuildError::Invalid {
                param: "manager",
                reason: format!(
                    "territories[{index}]: the id is empty (use null to remove the manager)"
                ),
            });
        }
    }
    check_criteria(index, "account_rule_criteria", &t.account_rule_criteria)?;
    check_criteria(index, "lead_rule_criteria", &t.lead_rule_criteria)?;
    check_criteria(index, "deal_rule_criteria", &t.deal_rule_criteria)
}

fn missing_key(index: usize, param: &'static str) -> BuildError {
    BuildError::Invalid {
        param,
        reason: format!("territories[{index}]: `{param}` is required"),
    }
}

fn parse_page(
    id: &'static str,
    response: &http::Response<&[u8]>,
) -> Result<TerritoriesPage, Error> {
    Ok(decode_json(id, response)?.unwrap_or_default())
}

/// `GET /crm/v8/settings/territories`: the territories of the organisation, in pages.
/// An organisation without territories answers 204: an empty page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[must_use]
#[serde(deny_unknown_fields)]
pub struct GetTerritories {
    #[serde(
        deserialize_with = "filters_string",
        skip_serializing_if = "Option::is_none"
    )]
    filters: Option<String>,
    #[serde(with = "string_list_ser", skip_serializing_if = "Vec::is_empty")]
    include: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    page: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    per_page: Option<u32>,
    #[serde(with = "string_list_ser", skip_serializing_if = "Vec::is_empty")]
    ids: Vec<String>,
}

/// `Vec<String>` fields: serialised as an array, read from an array or a comma-separated string.
pub(crate) mod string_list_ser {
    use serde::{Deserializer, Serialize, Serializer};

    /// Serialises as an array.
    pub fn serialize<S: Serializer>(v: &[String], s: S) -> Result<S::Ok, S::Error> {
        v.serialize(s)
    }

    /// Reads an array or a comma-separated string.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
        crate::models::string_list::deserialize(d)
    }
}

impl GetTerritories {
    /// The first page of all territories.
    pub fn new() -> Self {
        Self::default()
    }

    /// A filter as Zoho's JSON, e.g.
    /// `{"field":{"api_name":"manager.id"},"comparator":"equal","value":"111"}`.
    pub fn filters(mut self, filters: impl Into<String>) -> Self {
        self.filters = Some(filters.into());
        self
    }

    /// Rule criteria to include: `account_rule_criteria`, `lead_rule_criteria`, `deal_rule_criteria`.
    pub fn include<S: Into<String>>(mut self, include: impl IntoIterator<Item = S>) -> Self {
        self.include = include.into_iter().map(Into::into).collect();
        self
    }

    /// The page number (1-based).
    pub fn page(mut self, page: u32) -> Self {
        self.page = Some(page);
        self
    }

    /// Territories per page (1 to 2000).
    pub fn per_page(mut self, per_page: u32) -> Self {
        self.per_page = Some(per_page);
        self
    }

    /// Only these territories.
    pub fn ids<S: Into<String>>(mut self, ids: impl IntoIterator<Item = S>) -> Self {
        self.ids = ids.into_iter().map(Into::into).collect();
        self
    }
}

impl Endpoint for GetTerritories {
    const ID: &'static str = Self::SPEC.id;
    const OP_SPEC: Option<&'static crate::op_spec::OpSpec> = Some(&Self::SPEC);
    type Output = TerritoriesPage;

    fn parts(&self) -> Result<RequestParts, BuildError> {
        check_paging(self.page, self.per_page, MAX_PER_PAGE_LIST)?;
        if !self.ids.is_empty() {
            id_list("ids", &self.ids, 1, usize::MAX)?;
        }
        Ok(RequestParts::get("/crm/v8/settings/territories")
            .query_opt("filters", self.filters.as_ref())
            .query_list("include", &self.include)
            .query_opt("page", self.page)
            .query_opt("per_page", self.per_page)
            .query_list("ids", &self.ids))
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<TerritoriesPage, Error> {
        parse_page(Self::ID, &response)
    }
}

impl Paginated for GetTerritories {
    fn next_page(&self, output: &TerritoriesPage) -> Option<Self> {
        let Cursor::Page(page) = next_cursor(
            self.page,
            None,
            output.info.as_ref(),
            !output.territories.is_empty(),
            false,
        )?
        else {
            return None;
        };
        let next = self.clone().page(page);
        (next != *self).then_some(next)
    }
}

/// `GET /crm/v8/settings/territories/{id}`: one territory; `None` when Zoho answers 204.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[must_use]
#[serde(deny_unknown_fields)]
pub struct GetTerritory {
    id: String,
}

impl GetTerritory {
    /// The territory `id`.
    pub fn new(id: impl Into<String>) -> Self {
        GetTerritory { id: id.into() }
    }
}

impl Endpoint for GetTerritory {
    const ID: &'static str = Self::SPEC.id;
    const OP_SPEC: Option<&'static crate::op_spec::OpSpec> = Some(&Self::SPEC);
    type Output = Option<Territory>;

    fn parts(&self) -> Result<RequestParts, BuildError> {
        BuildError::require("id", &self.id)?;
        Ok(RequestParts::get("/crm/v8/settings/territories/{id}").path_param(self.id.clone()))
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<Option<Territory>, Error> {
        Ok(parse_page(Self::ID, &response)?
            .territories
            .into_iter()
            .next())
    }
}

/// `POST /crm/v8/settings/territories`: creates 1 to 10 territories. Each needs `name`,
/// `reporting_to` and `permission_type`; outcomes per territory (`territories` wrapper).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[must_use]
#[serde(deny_unknown_fields)]
pub struct CreateTerritories {
    body: TerritoriesBody,
}

impl CreateTerritories {
    /// Creates these territories.
    pub fn new(territories: impl IntoIterator<Item = TerritoryInput>) -> Self {
        CreateTerritories {
            body: TerritoriesBody {
                territories: territories.into_iter().collect(),
            },
        }
    }
}

impl Endpoint for CreateTerritories {
    const ID: &'static str = Self::SPEC.id;
    const OP_SPEC: Option<&'static crate::op_spec::OpSpec> = Some(&Self::SPEC);
    type Output = ActionResults;

    fn parts(&self) -> Result<RequestParts, BuildError> {
        let items = &self.body.territories;
        count_in("territories", items.len(), 1, MAX_TERRITORIES_PER_CALL)?;
        for (i, t) in items.iter().enumerate() {
            if t.name.is_none() {
                return Err(missing_key(i, "name"));
            }
            if t.reporting_to.is_none() {
                return Err(missing_key(i, "reporting_to"));
            }
            if t.permission_type.is_none() {
                return Err(missing_key(i, "permission_type"));
            }
            check_item(i, t)?;
        }
        RequestParts::post("/crm/v8/settings/territories").json(&self.body)
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<ActionResults, Error> {
        decode_action_results(Self::ID, "territories", &response)
    }
}

/// `PUT /crm/v8/settings/territories`: updates 1 to 10 territories, each with its `id`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[must_use]
#[serde(deny_unknown_fields)]
pub struct UpdateTerritories {
    body: TerritoriesBody,
}

impl UpdateTerritories {
    /// Applies these changes; every item needs its `id` ([`TerritoryInput::update`]).
    pub fn new(territories: impl IntoIterator<Item = TerritoryInput>) -> Self {
        UpdateTerritories {
            body: TerritoriesBody {
                territories: territories.into_iter().collect(),
            },
        }
    }
}

impl Endpoint for UpdateTerritories {
    const ID: &'static str = Self::SPEC.id;
    const OP_SPEC: Option<&'static crate::op_spec::OpSpec> = Some(&Self::SPEC);
    type Output = ActionResults;

    fn parts(&self) -> Result<RequestParts, BuildError> {
        let items = &self.body.territories;
        count_in("territories", items.len(), 1, MAX_TERRITORIES_PER_CALL)?;
        for (i, t) in items.iter().enumerate() {
            if t.id.as_deref().is_none_or(|id| id.trim().is_empty()) {
                return Err(missing_key(i, "id"));
            }
            check_item(i, t)?;
        }
        RequestParts::put("/crm/v8/settings/territories").json(&self.body)
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<ActionResults, Error> {
        decode_action_results(Self::ID, "territories", &response)
    }
}

/// `PUT /crm/v8/settings/territories/{id}`: updates one territory (the body's item has no `id`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[must_use]
#[serde(deny_unknown_fields)]
pub struct UpdateTerritory {
    id: String,
    body: TerritoriesBody,
}

impl UpdateTerritory {
    /// Applies `changes` ([`TerritoryInput::changes`]) to the territory `id`.
    pub fn new(id: impl Into<String>, changes: TerritoryInput) -> Self {
        UpdateTerritory {
            id: id.into(),
            body: TerritoriesBody {
                territories: vec![changes],
            },
        }
    }
}

impl Endpoint for UpdateTerritory {
    const ID: &'static str = Self::SPEC.id;
    const OP_SPEC: Option<&'static crate::op_spec::OpSpec> = Some(&Self::SPEC);
    type Output = ActionResults;

    fn parts(&self) -> Result<RequestParts, BuildError> {
        BuildError::require("id", &self.id)?;
        let items = &self.body.territories;
        count_in("territories", items.len(), 1, 1)?;
        for (i, t) in items.iter().enumerate() {
            check_item(i, t)?;
        }
        RequestParts::put("/crm/v8/settings/territories/{id}")
            .path_param(self.id.clone())
            .json(&self.body)
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<ActionResults, Error> {
        decode_action_results(Self::ID, "territories", &response)
    }
}

/// `DELETE /crm/v8/settings/territories?ids=...`: deletes 1 to 10 territories without children
/// (a parent answers `NOT_ALLOWED`; use [`TransferAndDeleteTerritories`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[must_use]
#[serde(deny_unknown_fields)]
pub struct DeleteTerritories {
    #[serde(with = "string_list_ser")]
    ids: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    delete_previous_forecasts: Option<bool>,
}

impl DeleteTerritories {
    /// Deletes these territories.
    pub fn new<S: Into<String>>(ids: impl IntoIterator<Item = S>) -> Self {
        DeleteTerritories {
            ids: ids.into_iter().map(Into::into).collect(),
            delete_previous_forecasts: None,
        }
    }

    /// Whether to delete the territories' forecasts too.
    pub fn delete_previous_forecasts(mut self, delete: bool) -> Self {
        self.delete_previous_forecasts = Some(delete);
        self
    }
}

impl Endpoint for DeleteTerritories {
    const ID: &'static str = Self::SPEC.id;
    const OP_SPEC: Option<&'static crate::op_spec::OpSpec> = Some(&Self::SPEC);
    type Output = ActionResults;

    fn parts(&self) -> Result<RequestParts, BuildError> {
        id_list("ids", &self.ids, 1, MAX_TERRITORIES_PER_CALL)?;
        Ok(RequestParts::delete("/crm/v8/settings/territories")
            .query_list("ids", &self.ids)
            .query_opt("delete_previous_forecasts", self.delete_previous_forecasts))
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<ActionResults, Error> {
        decode_action_results(Self::ID, "territories", &response)
    }
}

/// `DELETE /crm/v8/settings/territories/{id}`: deletes one territory without children.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[must_use]
#[serde(deny_unknown_fields)]
pub struct DeleteTerritory {
    id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    delete_previous_forecasts: Option<bool>,
}

impl DeleteTerritory {
    /// Deletes the territory `id`.
    pub fn new(id: impl Into<String>) -> Self {
        DeleteTerritory {
            id: id.into(),
            delete_previous_forecasts: None,
        }
    }

    /// Whether to delete the territory's forecasts too.
    pub fn delete_previous_forecasts(mut self, delete: bool) -> Self {
        self.delete_previous_forecasts = Some(delete);
        self
    }
}

impl Endpoint for DeleteTerritory {
    const ID: &'static str = Self::SPEC.id;
    const OP_SPEC: Option<&'static crate::op_spec::OpSpec> = Some(&Self::SPEC);
    type Output = ActionResults;

    fn parts(&self) -> Result<RequestParts, BuildError> {
        BuildError::require("id", &self.id)?;
        Ok(RequestParts::delete("/crm/v8/settings/territories/{id}")
            .path_param(self.id.clone())
            .query_opt("delete_previous_forecasts", self.delete_previous_forecasts))
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<ActionResults, Error> {
        decode_action_results(Self::ID, "territories", &response)
    }
}

fn check_transfer(items: &[TransferInput], id_in_path: bool) -> Result<(), BuildError> {
    let max = if id_in_path {
        1
    } else {
        MAX_TERRITORIES_PER_CALL
    };
    count_in("territories", items.len(), 1, max)?;
    for (i, t) in items.iter().enumerate() {
        if !id_in_path && t.id.as_deref().is_none_or(|id| id.trim().is_empty()) {
            return Err(missing_key(i, "id"));
        }
        if t.transfer_to_id.trim().is_empty() {
            return Err(missing_key(i, "transfer_to_id"));
        }
        if t.id.as_deref() == Some(t.transfer_to_id.as_str()) {
            return Err(BuildError::Invalid {
                param: "transfer_to_id",
                reason: format!("territories[{i}]: cannot transfer to the territory being deleted"),
            });
        }
    }
    Ok(())
}

/// `POST /crm/v8/settings/territories/actions/transfer_and_delete`: deletes 1 to 10
/// territories after moving their children to another territory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[must_use]
#[serde(deny_unknown_fields)]
pub struct TransferAndDeleteTerritories {
    body: TransferBody,
}

impl TransferAndDeleteTerritories {
    /// Deletes these territories ([`TransferInput::new`]).
    pub fn new(territories: impl IntoIterator<Item = TransferInput>) -> Self {
        TransferAndDeleteTerritories {
            body: TransferBody {
                territories: territories.into_iter().collect(),
            },
        }
    }
}

impl Endpoint for TransferAndDeleteTerritories {
    const ID: &'static str = Self::SPEC.id;
    const OP_SPEC: Option<&'static crate::op_spec::OpSpec> = Some(&Self::SPEC);
    type Output = ActionResults;

    fn parts(&self) -> Result<RequestParts, BuildError> {
        check_transfer(&self.body.territories, false)?;
        RequestParts::post("/crm/v8/settings/territories/actions/transfer_and_delete")
            .json(&self.body)
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<ActionResults, Error> {
        decode_action_results(Self::ID, "territories", &response)
    }
}

/// `POST /crm/v8/settings/territories/{id}/actions/transfer_and_delete`: deletes one territory
/// after moving its children to `transfer_to_id`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[must_use]
#[serde(deny_unknown_fields)]
pub struct TransferAndDeleteTerritory {
    id: String,
    body: TransferBody,
}

impl TransferAndDeleteTerritory {
    /// Deletes `id`, moving its children to `transfer_to_id`.
    pub fn new(id: impl Into<String>, transfer_to_id: impl Into<String>) -> Self {
        TransferAndDeleteTerritory {
            id: id.into(),
            body: TransferBody {
                territories: vec![TransferInput {
                    id: None,
                    transfer_to_id: transfer_to_id.into(),
                    delete_previous_forecasts: None,
                }],
            },
        }
    }

    /// Whether to delete the territory's forecasts too.
    pub fn delete_previous_forecasts(mut self, delete: bool) -> Self {
        for t in &mut self.body.territories {
            t.delete_previous_forecasts = Some(delete);
        }
        self
    }
}

impl Endpoint for TransferAndDeleteTerritory {
    const ID: &'static str = Self::SPEC.id;
    const OP_SPEC: Option<&'static crate::op_spec::OpSpec> = Some(&Self::SPEC);
    type Output = ActionResults;

    fn parts(&self) -> Result<RequestParts, BuildError> {
        BuildError::require("id", &self.id)?;
        check_transfer(&self.body.territories, true)?;
        if self.body.territories[0].transfer_to_id == self.id {
            return Err(BuildError::Invalid {
                param: "transfer_to_id",
                reason: "cannot transfer to the territory being deleted".into(),
            });
        }
        RequestParts::post("/crm/v8/settings/territories/{id}/actions/transfer_and_delete")
            .path_param(self.id.clone())
            .json(&self.body)
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<ActionResults, Error> {
        decode_action_results(Self::ID, "territories", &response)
    }
}

/// `GET /crm/v8/settings/territories/{id}/__child_territories`: the children of a territory,
/// in pages of up to 200. No children: 204, an empty page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[must_use]
#[serde(deny_unknown_fields)]
pub struct GetChildTerritories {
    id: String,
    #[serde(
        default,
        deserialize_with = "filters_string",
        skip_serializing_if = "Option::is_none"
    )]
    filters: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    page: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    per_page: Option<u32>,
}

impl GetChildTerritories {
    /// The children of the territory `id`.
    pub fn new(id: impl Into<String>) -> Self {
        GetChildTerritories {
            id: id.into(),
            filters: None,
            page: None,
            per_page: None,
        }
    }

    /// A filter as Zoho's JSON (see [`GetTerritories::filters`]).
    pub fn filters(mut self, filters: impl Into<String>) -> Self {
        self.filters = Some(filters.into());
        self
    }

    /// The page number (1-based).
    pub fn page(mut self, page: u32) -> Self {
        self.page = Some(page);
        self
    }

    /// Territories per page (1 to 200).
    pub fn per_page(mut self, per_page: u32) -> Self {
        self.per_page = Some(per_page);
        self
    }
}

impl Endpoint for GetChildTerritories {
    const ID: &'static str = Self::SPEC.id;
    const OP_SPEC: Option<&'static crate::op_spec::OpSpec> = Some(&Self::SPEC);
    type Output = TerritoriesPage;

    fn parts(&self) -> Result<RequestParts, BuildError> {
        BuildError::require("id", &self.id)?;
        check_paging(self.page, self.per_page, MAX_PER_PAGE_CHILDREN)?;
        Ok(
            RequestParts::get("/crm/v8/settings/territories/{id}/__child_territories")
                .path_param(self.id.clone())
                .query_opt("filters", self.filters.as_ref())
                .query_opt("page", self.page)
                .query_opt("per_page", self.per_page),
        )
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<TerritoriesPage, Error> {
        parse_page(Self::ID, &response)
    }
}

impl Paginated for GetChildTerritories {
    fn next_page(&self, output: &TerritoriesPage) -> Option<Self> {
        let Cursor::Page(page) = next_cursor(
            self.page,
            None,
            output.info.as_ref(),
            !output.territories.is_empty(),
            false,
        )?
        else {
            return None;
        };
        let next = self.clone().page(page);
        (next != *self).then_some(next)
    }
}

/// `GET /crm/v8/settings/territories/actions/associated_users_count`: the number of users of each
/// territory (`count` arrives as a string and is read as a number).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetAssociatedUserCount;

impl Endpoint for GetAssociatedUserCount {
    const ID: &'static str = Self::SPEC.id;
    const OP_SPEC: Option<&'static crate::op_spec::OpSpec> = Some(&Self::SPEC);
    type Output = AssociatedUsersCountPage;

    fn parts(&self) -> Result<RequestParts, BuildError> {
        Ok(RequestParts::get(
            "/crm/v8/settings/territories/actions/associated_users_count",
        ))
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<AssociatedUsersCountPage, Error> {
        Ok(decode_json(Self::ID, &response)?.unwrap_or_default())
    }
}

/// `GET /crm/v8/settings/territories/actions/deleted_associated_territories`: deleted territories
/// that still had associations (declared in the OpenAPI file only).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[must_use]
#[serde(deny_unknown_fields)]
pub struct GetDeletedAssociatedTerritories {
    #[serde(with = "string_list_ser", skip_serializing_if = "Vec::is_empty")]
    ids: Vec<String>,
}

impl GetDeletedAssociatedTerritories {
    /// All deleted territories with associations.
    pub fn new() -> Self {
        Self::default()
    }

    /// Only these territories.
    pub fn ids<S: Into<String>>(mut self, ids: impl IntoIterator<Item = S>) -> Self {
        self.ids = ids.into_iter().map(Into::into).collect();
        self
    }
}

impl Endpoint for GetDeletedAssociatedTerritories {
    const ID: &'static str = Self::SPEC.id;
    const OP_SPEC: Option<&'static crate::op_spec::OpSpec> = Some(&Self::SPEC);
    type Output = DeletedTerritoriesPage;

    fn parts(&self) -> Result<RequestParts, BuildError> {
        if !self.ids.is_empty() {
            id_list("ids", &self.ids, 1, usize::MAX)?;
        }
        Ok(
            RequestParts::get(
                "/crm/v8/settings/territories/actions/deleted_associated_territories",
            )
            .query_list("ids", &self.ids),
        )
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<DeletedTerritoriesPage, Error> {
        Ok(decode_json(Self::ID, &response)?.unwrap_or_default())
    }
}
