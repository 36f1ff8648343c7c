//! The features API (`/crm/v8/__features`): feature details and the user licence counts.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::endpoint::{Endpoint, Paginated};
use crate::error::{BuildError, Error};
use crate::models::lenient_u64;
use crate::pagination::{next_cursor, Cursor};
use crate::request::RequestParts;
use crate::response::{decode_error, decode_json, PageInfo};

/// A count object of a feature: `{"total": N, "edition_limit": N}`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct FeatureCount {
    /// The total.
    #[serde(deserialize_with = "lenient_u64::option")]
    pub total: Option<u64>,
    /// The limit of the organisation's edition, when sent.
    #[serde(
        deserialize_with = "lenient_u64::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub edition_limit: Option<u64>,
}

/// The `details` of a feature. The documentation's key list says `limit`, its sample and the
/// OpenAPI file say `limits`: both are accepted.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct FeatureDetails {
    /// Unused units (licences not assigned).
    pub available_count: Option<FeatureCount>,
    /// Used units (active users).
    pub used_count: Option<FeatureCount>,
    /// Purchased units.
    #[serde(alias = "limit")]
    pub limits: Option<FeatureCount>,
    /// Any other keys.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One feature of the organisation.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Feature {
    /// The feature's API name, e.g. `user_licenses`.
    pub api_name: String,
    /// The translated label.
    pub feature_label: Option<String>,
    /// Whether the feature is specific to a module.
    pub module_supported: Option<bool>,
    /// The parent feature (a name or an object), when there is one.
    pub parent_feature: Value,
    /// The counts.
    pub details: Option<FeatureDetails>,
    /// Sub-features (`null` for user licences).
    pub components: Option<Vec<Feature>>,
    /// Any other keys.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A page of features: `{"__features": [...], "info": {...}}`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct FeaturesPage {
    /// The features.
    #[serde(rename = "__features")]
    pub features: Vec<Feature>,
    /// Paging information, when sent.
    pub info: Option<PageInfo>,
}

/// User licence counts of the organisation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserLicences {
    /// Licences not assigned to an active user.
    pub available: u64,
    /// Licences in use by active users.
    pub used: u64,
    /// Licences purchased.
    pub limit: u64,
    /// The edition's maximum, when Zoho sends it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub edition_limit: Option<u64>,
}

/// `GET /crm/v8/__features/user_licenses`: the purchased, used and available user licences.
/// Scope `ZohoCRM.features.READ`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetUserLicences;

impl Endpoint for GetUserLicences {
    const ID: &'static str = "features.get_user_licences_count";
    type Output = UserLicences;

    fn parts(&self) -> Result<RequestParts, BuildError> {
        Ok(RequestParts::get("/crm/v8/__features/user_licenses"))
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<UserLicences, Error> {
        let status = response.status().as_u16();
        let body = *response.body();
        let page: FeaturesPage = decode_json(Self::ID, &response)?.unwrap_or_default();
        let feature = page
            .features
            .iter()
            .find(|f| f.api_name == "user_licenses")
            .or_else(|| page.features.first())
            .ok_or_else(|| {
                decode_error(
                    Self::ID,
                    status,
                    body,
                    "__features".into(),
                    "no user_licenses feature in the response",
                )
            })?;
        let details = feature.details.clone().unwrap_or_default();
        let total = |c: &Option<FeatureCount>, key: &str| {
            c.as_ref().and_then(|c| c.total).ok_or_else(|| {
                decode_error(
                    Self::ID,
                    status,
                    body,
                    format!("__features[].details.{key}.total"),
                    "missing or not a number",
                )
            })
        };
        Ok(UserLicences {
            available: total(&details.available_count, "available_count")?,
            used: total(&details.used_count, "used_count")?,
            limit: total(&details.limits, "limits")?,
            edition_limit: details.limits.as_ref().and_then(|c| c.edition_limit),
        })
    }
}

/// `GET /crm/v8/__features`: details of features, optionally for a module or by API names.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[must_use]
pub struct GetFeatures {
    module: Option<String>,
    api_names: Vec<String>,
    page: Option<u32>,
    per_page: Option<u32>,
    page_token: Option<String>,
}

impl GetFeatures {
    /// All features.
    pub fn new() -> Self {
        Self::default()
    }

    /// Only features of this module.
    pub fn module(mut self, module: impl Into<String>) -> Self {
        self.module = Some(module.into());
        self
    }

    /// Only these features.
    pub fn api_names<S: Into<String>>(mut self, names: impl IntoIterator<Item = S>) -> Self {
        self.api_names = names.into_iter().map(Into::into).collect();
        self
    }

    /// The page number (1-based).
    pub fn page(mut self, page: u32) -> Self {
        self.page = Some(page);
        self
    }

    /// Features per page (≤ 200).
    pub fn per_page(mut self, per_page: u32) -> Self {
        self.per_page = Some(per_page);
        self
    }

    /// A page token from a previous response.
    pub fn page_token(mut self, token: impl Into<String>) -> Self {
        self.page_token = Some(token.into());
        self
    }
}

impl Endpoint for GetFeatures {
    const ID: &'static str = "features.get_feature_details";
    type Output = FeaturesPage;

    fn parts(&self) -> Result<RequestParts, BuildError> {
        if let Some(pp) = self.per_page {
            if pp == 0 || pp > 200 {
                return Err(BuildError::Invalid {
                    param: "per_page",
                    reason: format!("must be between 1 and 200, got {pp}"),
                });
            }
        }
        Ok(RequestParts::get("/crm/v8/__features")
            .query_opt("module", self.module.as_ref())
            .query_list("api_names", &self.api_names)
            .query_opt("page", self.page)
            .query_opt("per_page", self.per_page)
            .query_opt("page_token", self.page_token.as_ref()))
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<FeaturesPage, Error> {
        Ok(decode_json(Self::ID, &response)?.unwrap_or_default())
    }
}

impl Paginated for GetFeatures {
    fn next_page(&self, output: &FeaturesPage) -> Option<Self> {
        let cursor = next_cursor(
            self.page,
            self.page_token.as_deref(),
            output.info.as_ref(),
            !output.features.is_empty(),
            true,
        )?;
        let mut next = self.clone();
        match cursor {
            Cursor::Page(page) => {
                next.page = Some(page);
                next.page_token = None;
            }
            Cursor::Token(token) => {
                next.page = None;
                next.page_token = Some(token);
            }
        }
        Some(next)
    }
}

/// `GET /crm/v8/__features/{feature_api_name}`: one feature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[must_use]
pub struct GetFeature {
    feature_api_name: String,
    #[serde(default)]
    module: Option<String>,
}

impl GetFeature {
    /// The feature with this API name.
    pub fn new(feature_api_name: impl Into<String>) -> Self {
        GetFeature {
            feature_api_name: feature_api_name.into(),
            module: None,
        }
    }

    /// For this module.
    pub fn module(mut self, module: impl Into<String>) -> Self {
        self.module = Some(module.into());
        self
    }
}

impl Endpoint for GetFeature {
    const ID: &'static str = "features.get_feature_detail";
    type Output = FeaturesPage;

    fn parts(&self) -> Result<RequestParts, BuildError> {
        BuildError::require("feature_api_name", &self.feature_api_name)?;
        Ok(RequestParts::get("/crm/v8/__features/{feature_api_name}")
            .path_param(self.feature_api_name.clone())
            .query_opt("module", self.module.as_ref()))
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<FeaturesPage, Error> {
        Ok(decode_json(Self::ID, &response)?.unwrap_or_default())
    }
}
