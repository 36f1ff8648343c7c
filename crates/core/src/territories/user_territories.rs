//! Territories of a user: `/crm/v8/users/{user}/territories` (users_territories.json,
//! 5 operations). This API spells the territory with capitalised keys (`Name`, `Manager`,
//! `Reporting_To`), see [`UserTerritory`].

use serde::{Deserialize, Serialize};

use super::settings::string_list_ser;
use super::{
    id_list, UserTerritoriesBody, UserTerritoriesPage, UserTerritory, MAX_TERRITORIES_PER_USER_CALL,
};
use crate::endpoint::Endpoint;
use crate::error::{BuildError, Error};
use crate::models::IdRef;
use crate::request::RequestParts;
use crate::response::{decode_action_results, decode_json, ActionResults};

/// `GET /crm/v8/users/{user}/territories`: the territories of a user; 204 gives an empty page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[must_use]
#[serde(deny_unknown_fields)]
pub struct GetTerritoriesOfUser {
    user: String,
}

impl GetTerritoriesOfUser {
    /// The territories of the user `user`.
    pub fn new(user: impl Into<String>) -> Self {
        GetTerritoriesOfUser { user: user.into() }
    }
}

impl Endpoint for GetTerritoriesOfUser {
    const ID: &'static str = Self::SPEC.id;
    const OP_SPEC: Option<&'static crate::op_spec::OpSpec> = Some(&Self::SPEC);
    type Output = UserTerritoriesPage;

    fn parts(&self) -> Result<RequestParts, BuildError> {
        BuildError::require("user", &self.user)?;
        Ok(RequestParts::get("/crm/v8/users/{user}/territories").path_param(self.user.clone()))
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<UserTerritoriesPage, Error> {
        Ok(decode_json(Self::ID, &response)?.unwrap_or_default())
    }
}

/// `GET /crm/v8/users/{user}/territories/{territory}`: one territory of a user; `None` for 204.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[must_use]
#[serde(deny_unknown_fields)]
pub struct GetTerritoryOfUser {
    user: String,
    territory: String,
}

impl GetTerritoryOfUser {
    /// The territory `territory` of the user `user`.
    pub fn new(user: impl Into<String>, territory: impl Into<String>) -> Self {
        GetTerritoryOfUser {
            user: user.into(),
            territory: territory.into(),
        }
    }
}

impl Endpoint for GetTerritoryOfUser {
    const ID: &'static str = Self::SPEC.id;
    const OP_SPEC: Option<&'static crate::op_spec::OpSpec> = Some(&Self::SPEC);
    type Output = Option<UserTerritory>;

    fn parts(&self) -> Result<RequestParts, BuildError> {
        BuildError::require("user", &self.user)?;
        BuildError::require("territory", &self.territory)?;
        Ok(
            RequestParts::get("/crm/v8/users/{user}/territories/{territory}")
                .path_param(self.user.clone())
                .path_param(self.territory.clone()),
        )
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<Option<UserTerritory>, Error> {
        let page: UserTerritoriesPage = decode_json(Self::ID, &response)?.unwrap_or_default();
        Ok(page.territories.into_iter().next())
    }
}

/// `PUT /crm/v8/users/{user}/territories`: associates up to 100 territories with a user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[must_use]
#[serde(deny_unknown_fields)]
pub struct AssociateTerritoriesToUser {
    user: String,
    body: UserTerritoriesBody,
}

impl AssociateTerritoriesToUser {
    /// Associates the territories with these ids with the user `user`.
    pub fn new<S: Into<String>>(
        user: impl Into<String>,
        territories: impl IntoIterator<Item = S>,
    ) -> Self {
        AssociateTerritoriesToUser {
            user: user.into(),
            body: UserTerritoriesBody {
                territories: territories.into_iter().map(|t| IdRef::new(t)).collect(),
            },
        }
    }
}

impl Endpoint for AssociateTerritoriesToUser {
    const ID: &'static str = Self::SPEC.id;
    const OP_SPEC: Option<&'static crate::op_spec::OpSpec> = Some(&Self::SPEC);
    type Output = ActionResults;

    fn parts(&self) -> Result<RequestParts, BuildError> {
        BuildError::require("user", &self.user)?;
        let ids: Vec<String> = self.body.territories.iter().map(|t| t.id.clone()).collect();
        id_list("territories", &ids, 1, MAX_TERRITORIES_PER_USER_CALL)?;
        RequestParts::put("/crm/v8/users/{user}/territories")
            .path_param(self.user.clone())
            .json(&self.body)
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<ActionResults, Error> {
        decode_action_results(Self::ID, "territories", &response)
    }
}

/// `DELETE /crm/v8/users/{user}/territories[?ids=...]`: removes territories from a user (all of
/// them when no ids are given).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[must_use]
#[serde(deny_unknown_fields)]
pub struct RemoveTerritoriesFromUser {
    user: String,
    #[serde(
        default,
        with = "string_list_ser",
        skip_serializing_if = "Vec::is_empty"
    )]
    ids: Vec<String>,
}

impl RemoveTerritoriesFromUser {
    /// Removes territories from the user `user`; narrow with [`ids`](Self::ids).
    pub fn new(user: impl Into<String>) -> Self {
        RemoveTerritoriesFromUser {
            user: user.into(),
            ids: Vec::new(),
        }
    }

    /// Only these territories.
    pub fn ids<S: Into<String>>(mut self, ids: impl IntoIterator<Item = S>) -> Self {
        self.ids = ids.into_iter().map(Into::into).collect();
        self
    }
}

impl Endpoint for RemoveTerritoriesFromUser {
    const ID: &'static str = Self::SPEC.id;
    const OP_SPEC: Option<&'static crate::op_spec::OpSpec> = Some(&Self::SPEC);
    type Output = ActionResults;

    fn parts(&self) -> Result<RequestParts, BuildError> {
        BuildError::require("user", &self.user)?;
        if !self.ids.is_empty() {
            id_list("ids", &self.ids, 1, MAX_TERRITORIES_PER_USER_CALL)?;
        }
        Ok(RequestParts::delete("/crm/v8/users/{user}/territories")
            .path_param(self.user.clone())
            .query_list("ids", &self.ids))
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<ActionResults, Error> {
        decode_action_results(Self::ID, "territories", &response)
    }
}

/// `DELETE /crm/v8/users/{user}/territories/{territory}`: removes one territory from a user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[must_use]
#[serde(deny_unknown_fields)]
pub struct RemoveTerritoryFromUser {
    user: String,
    territory: String,
}

impl RemoveTerritoryFromUser {
    /// Removes the territory `territory` from the user `user`.
    pub fn new(user: impl Into<String>, territory: impl Into<String>) -> Self {
        RemoveTerritoryFromUser {
            user: user.into(),
            territory: territory.into(),
        }
    }
}

impl Endpoint for RemoveTerritoryFromUser {
    const ID: &'static str = Self::SPEC.id;
    const OP_SPEC: Option<&'static crate::op_spec::OpSpec> = Some(&Self::SPEC);
    type Output = ActionResults;

    fn parts(&self) -> Result<RequestParts, BuildError> {
        BuildError::require("user", &self.user)?;
        BuildError::require("territory", &self.territory)?;
        Ok(
            RequestParts::delete("/crm/v8/users/{user}/territories/{territory}")
                .path_param(self.user.clone())
                .path_param(self.territory.clone()),
        )
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<ActionResults, Error> {
        decode_action_results(Self::ID, "territories", &response)
    }
}
