//! The user licence counts (`GET /crm/v8/__features/user_licenses`) as three numbers.
//!
//! The other features operations (`GET /crm/v8/__features`, `/__features/{feature_api_name}`,
//! `/__features/data_enrichment`) are the generated ones in
//! [`generated::features`](crate::generated::features): typed, lenient, and paged.
//!
//! # Example
//!
//! ```
//! use zohocrm_core::features::GetUserLicences;
//! use zohocrm_core::http::Response;
//! use zohocrm_core::Endpoint;
//!
//! let body = br#"{"__features":[{"api_name":"user_licenses","details":{
//!     "available_count":{"total":3},"used_count":{"total":7},"limits":{"total":10}}}]}"#;
//! let licences = GetUserLicences.parse(Response::builder().status(200).body(&body[..])?)?;
//! assert_eq!((licences.available, licences.used, licences.limit), (3, 7, 10));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::endpoint::Endpoint;
use crate::error::{BuildError, Error};
use crate::models::lenient_u64;
use crate::request::RequestParts;
use crate::response::{decode_error, decode_json};

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
    const ID: &'static str = Self::SPEC.id;
    const OP_SPEC: Option<&'static crate::op_spec::OpSpec> = Some(&Self::SPEC);
    type Output = UserLicences;

    fn parts(&self) -> Result<RequestParts, BuildError> {
        Ok(RequestParts::get("/crm/v8/__features/user_licenses"))
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<UserLicences, Error> {
        let status = response.status().as_u16();
        let body = *response.body();
        // A small answer: read as JSON, so that odd entries around the licences (a feature with
        // every field null, unknown keys) never matter.
        let answer: Value = decode_json(Self::ID, &response)?.unwrap_or(Value::Null);
        let features = answer
            .get("__features")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let feature = features
            .iter()
            .find(|f| f.get("api_name").and_then(Value::as_str) == Some("user_licenses"))
            .or_else(|| features.iter().find(|f| f.is_object()))
            .ok_or_else(|| {
                decode_error(
                    Self::ID,
                    status,
                    body,
                    "__features".into(),
                    "no user_licenses feature in the response",
                )
            })?;
        let details = feature.get("details").unwrap_or(&Value::Null);
        // The documentation's key list says `limit`, its sample and the spec `limits`.
        let limits = details.get("limits").or_else(|| details.get("limit"));
        let count = |c: Option<&Value>, key: &str| {
            c.and_then(|c| c.get("total"))
                .cloned()
                .and_then(lenient_u64::from_value)
                .ok_or_else(|| {
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
            available: count(details.get("available_count"), "available_count")?,
            used: count(details.get("used_count"), "used_count")?,
            limit: count(limits, "limits")?,
            edition_limit: limits
                .and_then(|c| c.get("edition_limit"))
                .cloned()
                .and_then(lenient_u64::from_value),
        })
    }
}
