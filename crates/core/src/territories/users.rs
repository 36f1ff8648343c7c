//! Users of a territory: `/crm/v8/settings/territories/{territory}/users` (territory_users.json,
//! 6 operations). Outcomes of changes come under the `users` wrapper.

use serde::{Deserialize, Serialize};

use super::settings::string_list_ser;
use super::{id_list, TerritoryUser, TerritoryUsersPage, UsersBody};
use crate::endpoint::Endpoint;
use crate::error::{BuildError, Error};
use crate::models::IdRef;
use crate::request::RequestParts;
use crate::response::{decode_action_results, decode_json, ActionResults};

/// `GET /crm/v8/settings/territories/{territory}/users`: the users of a territory; 204 gives an
/// empty page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[must_use]
#[serde(deny_unknown_fields)]
pub struct GetTerritoryUsers {
    territory: String,
}

impl GetTerritoryUsers {
    /// The users of the territory `territory`.
    pub fn new(territory: impl Into<String>) -> Self {
        GetTerritoryUsers {
            territory: territory.into(),
        }
    }
}

impl Endpoint for GetTerritoryUsers {
    const ID: &'static str = Self::SPEC.id;
    const OP_SPEC: Option<&'static crate::op_spec::OpSpec> = Some(&Self::SPEC);
    type Output = TerritoryUsersPage;

    fn parts(&self) -> Result<RequestParts, BuildError> {
        BuildError::require("territory", &self.territory)?;
        Ok(
            RequestParts::get("/crm/v8/settings/territories/{territory}/users")
                .path_param(self.territory.clone()),
        )
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<TerritoryUsersPage, Error> {
        Ok(decode_json(Self::ID, &response)?.unwrap_or_default())
    }
}

/// `GET /crm/v8/settings/territories/{territory}/users/{user}`: one user of a territory; `None`
/// for 204.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[must_use]
#[serde(deny_unknown_fields)]
pub struct GetTerritoryUser {
    territory: String,
    user: String,
}

impl GetTerritoryUser {
    /// The user `user` of the territory `territory`.
    pub fn new(territory: impl Into<String>, user: impl Into<String>) -> Self {
        GetTerritoryUser {
            territory: territory.into(),
            user: user.into(),
        }
    }
}

impl Endpoint for GetTerritoryUser {
    const ID: &'static str = Self::SPEC.id;
    const OP_SPEC: Option<&'static crate::op_spec::OpSpec> = Some(&Self::SPEC);
    type Output = Option<TerritoryUser>;

    fn parts(&self) -> Result<RequestParts, BuildError> {
        BuildError::require("territory", &self.territory)?;
        BuildError::require("user", &self.user)?;
        Ok(
            RequestParts::get("/crm/v8/settings/territories/{territory}/users/{user}")
                .path_param(self.territory.clone())
                .path_param(self.user.clone()),
        )
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<Option<TerritoryUser>, Error> {
        let page: TerritoryUsersPage = decode_json(Self::ID, &response)?.unwrap_or_default();
        Ok(page.users.into_iter().next())
    }
}

/// `PUT /crm/v8/settings/territories/{territory}/users`: associates users with a territory
/// (the manager counts as a user towards the territory's limit).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[must_use]
#[serde(deny_unknown_fields)]
pub struct UpdateTerritoryUsers {
    territory: String,
    body: UsersBody,
}

impl UpdateTerritoryUsers {
    /// Associates the users with these ids with the territory `territory`.
    pub fn new<S: Into<String>>(
        territory: impl Into<String>,
        users: impl IntoIterator<Item = S>,
    ) -> Self {
        UpdateTerritoryUsers {
            territory: territory.into(),
            body: UsersBody {
                users: users.into_iter().map(|u| IdRef::new(u)).collect(),
            },
        }
    }
}

impl Endpoint for UpdateTerritoryUsers {
    const ID: &'static str = Self::SPEC.id;
    const OP_SPEC: Option<&'static crate::op_spec::OpSpec> = Some(&Self::SPEC);
    type Output = ActionResults;

    fn parts(&self) -> Result<RequestParts, BuildError> {
        BuildError::require("territory", &self.territory)?;
        let ids: Vec<String> = self.body.users.iter().map(|u| u.id.clone()).collect();
        id_list("users", &ids, 1, usize::MAX)?;
        RequestParts::put("/crm/v8/settings/territories/{territory}/users")
            .path_param(self.territory.clone())
            .json(&self.body)
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<ActionResults, Error> {
        decode_action_results(Self::ID, "users", &response)
    }
}

/// `PUT /crm/v8/settings/territories/{territory}/users/{user}`: associates one user with a
/// territory (no body).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[must_use]
#[serde(deny_unknown_fields)]
pub struct UpdateTerritoryUser {
    territory: String,
    user: String,
}

impl UpdateTerritoryUser {
    /// Associates the user `user` with the territory `territory`.
    pub fn new(territory: impl Into<String>, user: impl Into<String>) -> Self {
        UpdateTerritoryUser {
            territory: territory.into(),
            user: user.into(),
        }
    }
}

impl Endpoint for UpdateTerritoryUser {
    const ID: &'static str = Self::SPEC.id;
    const OP_SPEC: Option<&'static crate::op_spec::OpSpec> = Some(&Self::SPEC);
    type Output = ActionResults;

    fn parts(&self) -> Result<RequestParts, BuildError> {
        BuildError::require("territory", &self.territory)?;
        BuildError::require("user", &self.user)?;
        Ok(
            RequestParts::put("/crm/v8/settings/territories/{territory}/users/{user}")
                .path_param(self.territory.clone())
                .path_param(self.user.clone()),
        )
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<ActionResults, Error> {
        decode_action_results(Self::ID, "users", &response)
    }
}

/// `DELETE /crm/v8/settings/territories/{territory}/users?ids=...`: removes users from a territory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[must_use]
#[serde(deny_unknown_fields)]
pub struct DeassociateTerritoryUsers {
    territory: String,
    #[serde(with = "string_list_ser")]
    ids: Vec<String>,
}

impl DeassociateTerritoryUsers {
    /// Removes the users `ids` from the territory `territory`.
    pub fn new<S: Into<String>>(
        territory: impl Into<String>,
        ids: impl IntoIterator<Item = S>,
    ) -> Self {
        DeassociateTerritoryUsers {
            territory: territory.into(),
            ids: ids.into_iter().map(Into::into).collect(),
        }
    }
}

impl Endpoint for DeassociateTerritoryUsers {
    const ID: &'static str = Self::SPEC.id;
    const OP_SPEC: Option<&'static crate::op_spec::OpSpec> = Some(&Self::SPEC);
    type Output = ActionResults;

    fn parts(&self) -> Result<RequestParts, BuildError> {
        BuildError::require("territory", &self.territory)?;
        id_list("ids", &self.ids, 1, usize::MAX)?;
        Ok(
            RequestParts::delete("/crm/v8/settings/territories/{territory}/users")
                .path_param(self.territory.clone())
                .query_list("ids", &self.ids),
        )
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<ActionResults, Error> {
        decode_action_results(Self::ID, "users", &response)
    }
}

/// `DELETE /crm/v8/settings/territories/{territory}/users/{user}`: removes one user from a territory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[must_use]
#[serde(deny_unknown_fields)]
pub struct DeassociateTerritoryUser {
    territory: String,
    user: String,
}

impl DeassociateTerritoryUser {
    /// Removes the user `user` from the territory `territory`.
    pub fn new(territory: impl Into<String>, user: impl Into<String>) -> Self {
        DeassociateTerritoryUser {
            territory: territory.into(),
            user: user.into(),
        }
    }
}

impl Endpoint for DeassociateTerritoryUser {
    const ID: &'static str = Self::SPEC.id;
    const OP_SPEC: Option<&'static crate::op_spec::OpSpec> = Some(&Self::SPEC);
    type Output = ActionResults;

    fn parts(&self) -> Result<RequestParts, BuildError> {
        BuildError::require("territory", &self.territory)?;
        BuildError::require("user", &self.user)?;
        Ok(
            RequestParts::delete("/crm/v8/settings/territories/{territory}/users/{user}")
                .path_param(self.territory.clone())
                .path_param(self.user.clone()),
        )
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<ActionResults, Error> {
        decode_action_results(Self::ID, "users", &response)
    }
}
