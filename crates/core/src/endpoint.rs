//! The [`Endpoint`] trait: one implementation per Zoho operation.
//!
//! # Example
//!
//! An operation the SDK does not type yet, written as an endpoint (for a one-off call,
//! [`Raw`](crate::raw::Raw) needs no type at all):
//!
//! ```
//! use zohocrm_core::http::{Method, Response};
//! use zohocrm_core::response::decode_value;
//! use zohocrm_core::{BuildError, Endpoint, Error, Host, RequestParts};
//!
//! /// `GET /crm/v8/settings/pipeline?layout_id=…`, answered as JSON.
//! struct Pipelines {
//!     layout_id: String,
//! }
//!
//! impl Endpoint for Pipelines {
//!     const ID: &'static str = "my_app.pipelines";
//!     type Output = Option<serde_json::Value>;
//!
//!     fn parts(&self) -> Result<RequestParts, BuildError> {
//!         BuildError::require("layout_id", &self.layout_id)?;
//!         Ok(RequestParts::new(Method::GET, Host::Api, "/crm/v8/settings/pipeline")
//!             .query("layout_id", &self.layout_id))
//!     }
//!
//!     fn parse(&self, response: Response<&[u8]>) -> Result<Self::Output, Error> {
//!         decode_value(Self::ID, &response)
//!     }
//! }
//!
//! let empty = Pipelines { layout_id: " ".into() };
//! assert!(matches!(empty.parts(), Err(BuildError::Missing("layout_id"))));
//! ```

use crate::error::{BuildError, Error};
use crate::request::RequestParts;

/// One Zoho operation, as a plain value holding its parameters.
///
/// `parts` describes the request as data (validated before any IO); `parse` turns the response
/// into `Output`. Neither sees a token or a socket: the [`Exchange`](crate::exchange::Exchange)
/// adds authentication, and a transport moves the bytes.
pub trait Endpoint {
    /// A stable id such as `"territories.get_territories"`, shared by fixtures, snapshots and logs.
    const ID: &'static str;
    /// What a successful response is parsed into.
    type Output;

    /// The operation's metadata from Zoho's spec (scopes, idempotency, paging, sub-concurrency,
    /// credits), for the operations of the spec; `None` for the few that are not in it (OAuth,
    /// `Raw`, calls by id).
    const OP_SPEC: Option<&'static crate::op_spec::OpSpec> = None;

    /// The request, as data. Fails with [`BuildError`] on invalid parameters, before any IO.
    fn parts(&self) -> Result<RequestParts, BuildError>;

    /// Parses a response (any status) into the output or a typed error.
    fn parse(&self, response: http::Response<&[u8]>) -> Result<Self::Output, Error>;

    /// The id of this call for logs and policies: [`ID`](Self::ID), except for endpoints that
    /// stand for another operation (a registry call by id answers that operation's id).
    fn id(&self) -> &'static str {
        Self::ID
    }

    /// The metadata of this call's operation: [`OP_SPEC`](Self::OP_SPEC), except for endpoints
    /// that stand for another operation (a registry call by id answers that operation's). The
    /// scope preflight reads it.
    fn op_spec(&self) -> Option<&'static crate::op_spec::OpSpec> {
        Self::OP_SPEC
    }
}

/// An endpoint whose results come in pages.
pub trait Paginated: Endpoint + Sized {
    /// The request for the page after `output`, or `None` when there is none. Pure: it never
    /// returns a request equal to `self` (a cursor that does not move ends the iteration).
    fn next_page(&self, output: &Self::Output) -> Option<Self>;
}

impl<E: Endpoint> Endpoint for &E {
    const ID: &'static str = E::ID;
    type Output = E::Output;
    const OP_SPEC: Option<&'static crate::op_spec::OpSpec> = E::OP_SPEC;

    fn parts(&self) -> Result<RequestParts, BuildError> {
        (**self).parts()
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<Self::Output, Error> {
        (**self).parse(response)
    }

    fn id(&self) -> &'static str {
        (**self).id()
    }

    fn op_spec(&self) -> Option<&'static crate::op_spec::OpSpec> {
        (**self).op_spec()
    }
}
