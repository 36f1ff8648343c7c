//! [`Raw`]: any method, path, query and JSON body, for operations Zoho ships before its spec
//! does. It goes through the same exchange (auth, refresh, retries) and envelope parsing as
//! every typed endpoint.
//!
//! # Example
//!
//! ```
//! use zohocrm_core::http::Method;
//! use zohocrm_core::raw::Raw;
//! use zohocrm_core::{assemble, Context, DataCenter, Endpoint, Environment};
//!
//! let raw = Raw::new(Method::GET, "/crm/v8/settings/pipeline").query("layout_id", "111 222");
//! let ctx = Context::new(DataCenter::Us, Environment::Production);
//! let request = assemble(&ctx, &raw.parts()?)?;
//! assert_eq!(
//!     request.uri(),
//!     "https://www.zohoapis.com/crm/v8/settings/pipeline?layout_id=111%20222"
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::context::Host;
use crate::endpoint::Endpoint;
use crate::error::{BuildError, Error};
use crate::outputs::ApiResponse;
use crate::request::RequestParts;

/// A call of any API path, e.g. `Raw::new(Method::GET, "/crm/v8/Leads").query("fields", "Email")`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[must_use]
pub struct Raw {
    /// The HTTP method (`GET`, `POST`, `PUT`, `PATCH`, `DELETE`).
    pub method: String,
    /// The path on the API host, starting with `/`, e.g. `/crm/v8/settings/territories`.
    pub path: String,
    /// Query parameters, in order; values are percent-encoded when sent.
    #[serde(default)]
    pub query: Vec<(String, String)>,
    /// A JSON body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
}

impl Raw {
    /// A call of `method` on `path`.
    pub fn new(method: http::Method, path: impl Into<String>) -> Self {
        Raw {
            method: method.as_str().to_owned(),
            path: path.into(),
            query: Vec::new(),
            body: None,
        }
    }

    /// Adds a query parameter.
    pub fn query(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.query.push((name.into(), value.into()));
        self
    }

    /// Sets the JSON body.
    pub fn body(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }
}

impl Endpoint for Raw {
    const ID: &'static str = "raw.call";
    type Output = ApiResponse;

    fn parts(&self) -> Result<RequestParts, BuildError> {
        let method = http::Method::from_bytes(self.method.trim().to_ascii_uppercase().as_bytes())
            .map_err(|_| BuildError::Invalid {
            param: "method",
            reason: format!("`{}` is not an HTTP method", self.method),
        })?;
        if !self.path.starts_with('/') || self.path.contains(['{', '}', '?', '#']) {
            return Err(BuildError::Invalid {
                param: "path",
                reason: format!(
                    "`{}` must start with `/` and hold no `{{ }} ? #` (put parameters in `query`)",
                    self.path
                ),
            });
        }
        let mut parts = RequestParts::new(method, Host::Api, Cow::Owned(self.path.clone()));
        for (k, v) in &self.query {
            parts = parts.query(Cow::Owned(k.clone()), v);
        }
        match &self.body {
            Some(body) => parts.json(body),
            None => Ok(parts),
        }
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<ApiResponse, Error> {
        ApiResponse::parse(Self::ID, response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{assemble, Context, DataCenter, Environment};

    #[test]
    fn raw_calls_are_encoded_and_validated() {
        let raw = Raw::new(http::Method::GET, "/crm/v8/Leads/search")
            .query("criteria", "(Last_Name:equals:O'Brien & Co)");
        let ctx = Context::new(DataCenter::Us, Environment::Production);
        let req = assemble(&ctx, &raw.parts().unwrap()).unwrap();
        assert_eq!(
            req.uri().to_string(),
            "https://www.zohoapis.com/crm/v8/Leads/search?criteria=%28Last_Name%3Aequals%3AO%27Brien%20%26%20Co%29"
        );
        assert!(Raw::new(http::Method::GET, "crm/v8").parts().is_err());
        assert!(Raw::new(http::Method::GET, "/crm/v8/{module}")
            .parts()
            .is_err());
        let bad = Raw {
            method: "NOT A METHOD".into(),
            path: "/crm/v8/Leads".into(),
            query: vec![],
            body: None,
        };
        assert!(bad.parts().is_err());
    }

    #[test]
    fn errors_in_200_bodies_are_errors() {
        let raw = Raw::new(http::Method::GET, "/crm/v8/x");
        let body = br#"{"code":"INVALID_TOKEN","details":{},"message":"invalid oauth token","status":"error"}"#;
        let resp = http::Response::builder()
            .status(200)
            .body(&body[..])
            .unwrap();
        assert!(raw.parse(resp).is_err());
    }
}
