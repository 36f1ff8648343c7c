//! The blocking [`Client`] façade: a session plus a [`UreqTransport`], with the generic `send`,
//! pagination, calls by operation id and a few convenience methods. No endpoint logic lives here.

use std::iter::FusedIterator;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use zohocrm_core::features::{GetUserLicences, UserLicences};
use zohocrm_core::registry::Call;
use zohocrm_core::territories::{
    CreateTerritories, GetChildTerritories, GetTerritories, GetTerritory, GetTerritoryUsers,
    Territory, TerritoryInput, TerritoryUser,
};
use zohocrm_core::ActionResults;
use zohocrm_core::{
    BuildError, Context, Credentials, DataCenter, Endpoint, Environment, Error, Paginated,
    RetryPolicy, Session, TokenStore,
};

use crate::transport::{TransportConfig, UreqTransport};

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
            next: Some(first),
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
    next: Option<E>,
}

impl<E: Paginated> Iterator for Pages<E> {
    type Item = Result<E::Output, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        let request = self.next.take()?;
        let result = self.client.send(&request);
        if let Ok(output) = &result {
            self.next = request.next_page(output);
        }
        Some(result)
    }
}

impl<E: Paginated> FusedIterator for Pages<E> {}

/// Builds a [`Client`]. A data centre (or custom hosts) and credentials are required.
#[derive(Default)]
#[must_use]
pub struct ClientBuilder {
    data_center: Option<DataCenter>,
    environment: Environment,
    hosts: Option<(String, String, String)>,
    credentials: Option<Credentials>,
    token_store: Option<Arc<dyn TokenStore>>,
    transport: TransportConfig,
    retry: Option<RetryPolicy>,
    user_agent: Option<String>,
}

impl std::fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Credentials print redacted; the token store is opaque.
        f.debug_struct("ClientBuilder")
            .field("data_center", &self.data_center)
            .field("environment", &self.environment)
            .field("hosts", &self.hosts)
            .field("credentials", &self.credentials)
            .field("token_store", &self.token_store.as_ref().map(|_| ".."))
            .field("transport", &self.transport)
            .field("retry", &self.retry)
            .field("user_agent", &self.user_agent)
            .finish()
    }
}

impl ClientBuilder {
    /// The data centre of the organisation (accounts server, API and upload hosts).
    pub fn data_center(mut self, data_center: DataCenter) -> Self {
        self.data_center = Some(data_center);
        self
    }

    /// The environment: production (default), sandbox or developer.
    pub fn environment(mut self, environment: Environment) -> Self {
        self.environment = environment;
        self
    }

    /// Custom hosts instead of a data centre (mock servers, proxies). `https://` is required except
    /// for loopback hosts.
    pub fn hosts(
        mut self,
        accounts_url: impl Into<String>,
        api_domain: impl Into<String>,
        content_domain: impl Into<String>,
    ) -> Self {
        self.hosts = Some((
            accounts_url.into(),
            api_domain.into(),
            content_domain.into(),
        ));
        self
    }

    /// How to obtain access tokens.
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// Refresh-token credentials (the usual server-side setup).
    pub fn refresh_token(
        self,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
        refresh_token: impl Into<String>,
    ) -> Self {
        self.credentials(Credentials::refresh_token(
            client_id.into(),
            client_secret.into(),
            refresh_token.into(),
        ))
    }

    /// Where tokens are kept between calls and runs (default: in memory).
    pub fn token_store(mut self, store: Arc<dyn TokenStore>) -> Self {
        self.token_store = Some(store);
        self
    }

    /// The timeout of one whole HTTP request (default 60 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.transport.timeout = timeout;
        self
    }

    /// The connect timeout, TLS handshake included (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.transport.connect_timeout = timeout;
        self
    }

    /// The retry policy (default: [`RetryPolicy::default`]).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// Replaces the User-Agent header value.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self
    }

    /// The largest response body accepted (default 64 MiB).
    pub fn max_body_bytes(mut self, max: usize) -> Self {
        self.transport.max_body_bytes = max;
        self
    }

    /// Builds the client. Fails when the hosts are invalid or a data centre or credentials are missing.
    pub fn build(self) -> Result<Client, Error> {
        let mut context = match (&self.hosts, self.data_center) {
            (Some((accounts, api, content)), _) => Context::custom(accounts, api, content)?,
            (None, Some(dc)) => Context::new(dc, self.environment),
            (None, None) => {
                return Err(BuildError::InvalidConfig(
                    "no data centre: call `data_center(..)` or `hosts(..)`".into(),
                )
                .into())
            }
        };
        if let Some(ua) = self.user_agent {
            context = context.with_user_agent(ua);
        }
        let credentials = self.credentials.ok_or_else(|| {
            BuildError::InvalidConfig(
                "no credentials: call `credentials(..)` or `refresh_token(..)`".into(),
            )
        })?;
        let mut session = Session::new(context, credentials);
        if let Some(store) = self.token_store {
            session = session.with_store(store);
        }
        if let Some(retry) = self.retry {
            session = session.with_retry(retry);
        }
        Ok(Client {
            transport: UreqTransport::new(self.transport),
            session: Arc::new(session),
        })
    }
}
