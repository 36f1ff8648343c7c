//! The blocking [`Client`] façade: a session plus a [`UreqTransport`], with the generic `send`,
//! pagination, calls by operation id and a few convenience methods. No endpoint logic lives here.

use std::iter::FusedIterator;
use std::sync::Arc;

use serde_json::Value;
use zohocrm_core::features::{GetUserLicences, UserLicences};
use zohocrm_core::pagination::{PageCursor, PageStop};
use zohocrm_core::registry::Call;
use zohocrm_core::territories::{
    CreateTerritories, GetChildTerritories, GetTerritories, GetTerritory, GetTerritoryUsers,
    Territory, TerritoryInput, TerritoryUser,
};
use zohocrm_core::ActionResults;
use zohocrm_core::{Endpoint, Error, Paginated, Session};

use crate::transport::UreqTransport;
use zohocrm_core::config::{BuildClient, TransportConfig};

/// A blocking Zoho CRM client: one session (hosts, credentials, token) and one connection pool.
///
/// Cloning is cheap and shares both, so one token serves every clone.
#[derive(Debug, Clone)]
pub struct Client {
    transport: UreqTransport,
    session: Arc<Session>,
}

impl Client {
    /// A builder; set a data centre (or hosts) and credentials, then [`build`](ClientBuilder::build).
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client from an existing transport and session (e.g. a session shared with another client).
    pub fn with_session(transport: UreqTransport, session: Arc<Session>) -> Self {
        Client { transport, session }
    }

    /// The session: hosts, credentials and token state.
    pub fn session(&self) -> &Arc<Session> {
        &self.session
    }

    /// The transport.
    pub fn transport(&self) -> &UreqTransport {
        &self.transport
    }

    /// Performs any endpoint: authenticates, refreshes the token when needed, retries per the
    /// session's policy and parses the response.
    pub fn send<E: Endpoint>(&self, endpoint: &E) -> Result<E::Output, Error> {
        zohocrm_core::send_blocking(&self.transport, &self.session, endpoint)
    }

    /// Every page of a paginated endpoint, starting with `first`, fetched lazily. Iteration ends
    /// after the last page or after the first error.
    pub fn pages<E: Paginated>(&self, first: E) -> Pages<E> {
        Pages {
            client: self.clone(),
            cursor: PageCursor::new(first),
        }
    }

    /// Performs the registry operation `op_id` (e.g. `"territories.get_territories"`) with a JSON
    /// input whose keys are the API's parameter names, and returns the output as JSON.
    pub fn call(&self, op_id: &str, input: Value) -> Result<Value, Error> {
        let call = Call::new(op_id, input)?;
        self.send(&call)
    }

    /// The organisation's user licence counts (`GET /crm/v8/__features/user_licenses`).
    pub fn user_licences(&self) -> Result<UserLicences, Error> {
        self.send(&GetUserLicences)
    }

    /// Every territory of the organisation, all pages (`GET /crm/v8/settings/territories`).
    /// Each territory's `reporting_to` links it to its parent; the root has none.
    pub fn territories(&self) -> Result<Vec<Territory>, Error> {
        let first = GetTerritories::new().per_page(200);
        let mut out = Vec::new();
        for page in self.pages(first) {
            out.extend(page?.territories);
        }
        Ok(out)
    }

    /// One territory; `None` when Zoho answers 204.
    pub fn territory(&self, id: &str) -> Result<Option<Territory>, Error> {
        self.send(&GetTerritory::new(id))
    }

    /// The territories directly below `id`, all pages.
    pub fn child_territories(&self, id: &str) -> Result<Vec<Territory>, Error> {
        let first = GetChildTerritories::new(id);
        let mut out = Vec::new();
        for page in self.pages(first) {
            out.extend(page?.territories);
        }
        Ok(out)
    }

    /// Creates up to 10 territories in one call; the outcome of each comes back in order.
    pub fn create_territories(
        &self,
        territories: impl IntoIterator<Item = TerritoryInput>,
    ) -> Result<ActionResults, Error> {
        self.send(&CreateTerritories::new(territories))
    }

    /// The users of the territory `id`.
    pub fn territory_users(&self, id: &str) -> Result<Vec<TerritoryUser>, Error> {
        Ok(self.send(&GetTerritoryUsers::new(id))?.users)
    }
}

/// The pages of a paginated endpoint; see [`Client::pages`].
#[derive(Debug)]
#[must_use = "pages are fetched only when iterated"]
pub struct Pages<E: Paginated> {
    client: Client,
    cursor: PageCursor<E>,
}

impl<E: Paginated> Pages<E> {
    /// Why paging ended early: the server's cursor led back to a page already read.
    pub fn stopped(&self) -> Option<&PageStop> {
        self.cursor.stopped()
    }
}

impl<E: Paginated> Iterator for Pages<E> {
    type Item = Result<E::Output, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        let request = self.cursor.take_request()?;
        let result = self.client.send(&request);
        if let Ok(output) = &result {
            self.cursor.absorb(&request, output);
        }
        Some(result)
    }
}

impl<E: Paginated> FusedIterator for Pages<E> {}

/// Builds a [`Client`]: see [`zohocrm_core::config::ClientBuilder`].
pub type ClientBuilder = zohocrm_core::config::ClientBuilder<Client>;

impl BuildClient for Client {
    fn build_client(session: Session, transport: TransportConfig) -> Result<Self, Error> {
        Ok(Client {
            transport: UreqTransport::new(transport),
            session: Arc::new(session),
        })
    }
}
