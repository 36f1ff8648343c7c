//! The async [`Client`] façade: a session plus a [`HyperTransport`], with the generic `send`,
//! pagination, calls by operation id and a few convenience methods. No endpoint logic lives here.

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

use crate::transport::HyperTransport;
use zohocrm_core::config::{BuildClient, TransportConfig};

/// An async Zoho CRM client: one session (hosts, credentials, token) and one connection pool.
///
/// Cloning is cheap and shares both, so one token serves every clone.
#[derive(Debug, Clone)]
pub struct Client {
    transport: HyperTransport,
    session: Arc<Session>,
}

impl Client {
    /// A builder; set a data centre (or hosts) and credentials, then [`build`](ClientBuilder::build).
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client from an existing transport and session (e.g. a session shared with another client).
    pub fn with_session(transport: HyperTransport, session: Arc<Session>) -> Self {
        Client { transport, session }
    }

    /// The session: hosts, credentials and token state.
    pub fn session(&self) -> &Arc<Session> {
        &self.session
    }

    /// The transport.
    pub fn transport(&self) -> &HyperTransport {
        &self.transport
    }

    /// Performs any endpoint: authenticates, refreshes the token when needed, retries per the
    /// session's policy and parses the response.
    pub async fn send<E: Endpoint + Sync>(&self, endpoint: &E) -> Result<E::Output, Error> {
        zohocrm_core::send(&self.transport, &self.session, endpoint).await
    }

    /// Every page of a paginated endpoint, starting with `first`, fetched lazily by
    /// [`Pager::next`]. Paging ends after the last page or after the first error.
    pub fn pages<E: Paginated + Sync>(&self, first: E) -> Pager<E> {
        Pager {
            client: self.clone(),
            cursor: PageCursor::new(first),
        }
    }

    /// Performs the registry operation `op_id` (e.g. `"territories.get_territories"`) with a JSON
    /// input whose keys are the API's parameter names, and returns the output as JSON.
    pub async fn call(&self, op_id: &str, input: Value) -> Result<Value, Error> {
        let call = Call::new(op_id, input)?;
        self.send(&call).await
    }

    /// The organisation's user licence counts (`GET /crm/v8/__features/user_licenses`).
    pub async fn user_licences(&self) -> Result<UserLicences, Error> {
        self.send(&GetUserLicences).await
    }

    /// Every territory of the organisation, all pages (`GET /crm/v8/settings/territories`).
    /// Each territory's `reporting_to` links it to its parent; the root has none.
    pub async fn territories(&self) -> Result<Vec<Territory>, Error> {
        let first = GetTerritories::new().per_page(200);
        let mut out = Vec::new();
        let mut pages = self.pages(first);
        while let Some(page) = pages.next().await {
            out.extend(page?.territories);
        }
        Ok(out)
    }

    /// One territory; `None` when Zoho answers 204.
    pub async fn territory(&self, id: &str) -> Result<Option<Territory>, Error> {
        self.send(&GetTerritory::new(id)).await
    }

    /// The territories directly below `id`, all pages.
    pub async fn child_territories(&self, id: &str) -> Result<Vec<Territory>, Error> {
        let first = GetChildTerritories::new(id);
        let mut out = Vec::new();
        let mut pages = self.pages(first);
        while let Some(page) = pages.next().await {
            out.extend(page?.territories);
        }
        Ok(out)
    }

    /// Creates up to 10 territories in one call; the outcome of each comes back in order.
    pub async fn create_territories(
        &self,
        territories: impl IntoIterator<Item = TerritoryInput>,
    ) -> Result<ActionResults, Error> {
        self.send(&CreateTerritories::new(territories)).await
    }

    /// The users of the territory `id`.
    pub async fn territory_users(&self, id: &str) -> Result<Vec<TerritoryUser>, Error> {
        Ok(self.send(&GetTerritoryUsers::new(id)).await?.users)
    }
}

/// The pages of a paginated endpoint; see [`Client::pages`].
///
/// ```no_run
/// # async fn run(client: zohocrm_hyper::Client) -> Result<(), zohocrm_hyper::Error> {
/// use zohocrm_hyper::zohocrm_core::generated::features::GetFeatureDetails;
///
/// let mut pages = client.pages(GetFeatureDetails::new().per_page(50));
/// while let Some(page) = pages.next().await {
///     for feature in page?.features.unwrap_or_default() {
///         println!("{:?}", feature.api_name);
///     }
/// }
/// # Ok(()) }
/// ```
#[derive(Debug)]
#[must_use = "pages are fetched only when polled"]
pub struct Pager<E: Paginated> {
    client: Client,
    cursor: PageCursor<E>,
}

impl<E: Paginated + Sync> Pager<E> {
    /// The next page, or `None` after the last page or after an error.
    pub async fn next(&mut self) -> Option<Result<E::Output, Error>> {
        let request = self.cursor.take_request()?;
        let result = self.client.send(&request).await;
        if let Ok(output) = &result {
            self.cursor.absorb(&request, output);
        }
        Some(result)
    }

    /// Why paging ended early: the server's cursor led back to a page already read.
    pub fn stopped(&self) -> Option<&PageStop> {
        self.cursor.stopped()
    }

    /// Fetches every remaining page; stops at the first error.
    pub async fn try_collect(mut self) -> Result<Vec<E::Output>, Error> {
        let mut out = Vec::new();
        while let Some(page) = self.next().await {
            out.push(page?);
        }
        Ok(out)
    }
}

/// Builds a [`Client`]: see [`zohocrm_core::config::ClientBuilder`].
pub type ClientBuilder = zohocrm_core::config::ClientBuilder<Client>;

impl BuildClient for Client {
    fn build_client(session: Session, transport: TransportConfig) -> Result<Self, Error> {
        Ok(Client {
            transport: HyperTransport::new(transport),
            session: Arc::new(session),
        })
    }
}
