//! Client configuration shared by every transport: the [`ClientBuilder`] (hosts, credentials,
//! token store, retry policy) and [`TransportConfig`] (timeouts, body limits and proxy, as plain
//! data).
//!
//! Each transport crate only says how to make its client from a [`Session`] and a
//! [`TransportConfig`] ([`BuildClient`]), so the builder exists once.
//!
//! # Example
//!
//! The transports' `Client::builder()` is this builder; its transport settings are plain data:
//!
//! ```
//! use std::time::Duration;
//! use zohocrm_core::config::TransportConfig;
//! use zohocrm_core::proxy::{Proxy, ProxyConfig};
//!
//! let config = TransportConfig::default()
//!     .timeout(Duration::from_secs(30))
//!     .proxy(ProxyConfig::all(Proxy::new("http://proxy.example.com:3128")?));
//! assert_eq!(config.connect_timeout, Duration::from_secs(10));
//! assert_eq!(ProxyConfig::default(), ProxyConfig::Environment);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use crate::context::{Context, DataCenter, Environment};
use crate::error::{BuildError, Error};
use crate::limit::ConcurrencyLimits;
use crate::org_limit::{AsyncOrgLimiter, OrgLimit, OrgLimiter};
use crate::proxy::{Proxy, ProxyConfig};
use crate::retry::RetryPolicy;
use crate::session::{Credentials, Session};
use crate::token_store::{AsyncTokenStore, Store, TokenStore};

/// The largest response body read into memory by default: 64 MiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// The largest download streamed to a file by default: 1 GiB. A bulk read result page
/// (200,000 records, zipped CSV) stays well below it; a server sending without end stops there
/// instead of filling the disk.
pub const DEFAULT_MAX_DOWNLOAD_BYTES: u64 = 1024 * 1024 * 1024;

/// Timeouts, limits and proxy of a transport.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TransportConfig {
    /// The whole request, from connecting to the last body byte (default 60 s).
    pub timeout: Duration,
    /// Establishing the connection, TLS handshake included (default 10 s).
    pub connect_timeout: Duration,
    /// The largest response body read into memory; a larger one fails with `BodyTooLarge`
    /// (default 64 MiB).
    pub max_body_bytes: usize,
    /// The largest body streamed to a sink by a download (bulk results, attachments); a
    /// larger one stops there and fails with `BodyTooLarge`, saying so (default 1 GiB,
    /// [`DEFAULT_MAX_DOWNLOAD_BYTES`]).
    pub max_download_bytes: u64,
    /// The proxy of every call, token calls included (default: the environment's,
    /// [`ProxyConfig::Environment`]).
    pub proxy: ProxyConfig,
}

impl Default for TransportConfig {
    fn default() -> Self {
        TransportConfig {
            timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_download_bytes: DEFAULT_MAX_DOWNLOAD_BYTES,
            proxy: ProxyConfig::default(),
        }
    }
}

impl TransportConfig {
    /// Sets the timeout of the whole request.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets the connect timeout.
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Sets the largest response body read into memory.
    #[must_use]
    pub fn max_body_bytes(mut self, max: usize) -> Self {
        self.max_body_bytes = max;
        self
    }

    /// Sets the largest download streamed to a sink.
    #[must_use]
    pub fn max_download_bytes(mut self, max: u64) -> Self {
        self.max_download_bytes = max;
        self
    }

    /// Sets where the proxy settings come from.
    #[must_use]
    pub fn proxy(mut self, proxy: ProxyConfig) -> Self {
        self.proxy = proxy;
        self
    }
}

/// Refuses a session whose token store or org-wide limiter is async: a blocking client cannot
/// drive them.
pub fn require_blocking_store(session: &Session) -> Result<(), Error> {
    if let Some(OrgLimit::Async(_)) = session.org_limiter() {
        return Err(BuildError::InvalidConfig(
            "an async org limiter needs the async client; use a blocking one here".into(),
        )
        .into());
    }
    match session.store() {
        Store::Async(_) => Err(BuildError::InvalidConfig(
            "an async token store needs the async client; use a blocking store here".into(),
        )
        .into()),
        _ => Ok(()),
    }
}

/// A client that can be made from a session and transport settings.
pub trait BuildClient: Sized {
    /// Makes the client; fails when the transport cannot be set up.
    fn build_client(session: Session, transport: TransportConfig) -> Result<Self, Error>;
}

/// Builds a client of any transport (`C`). A data centre (or custom hosts) and credentials are required.
#[must_use]
pub struct ClientBuilder<C> {
    data_center: Option<DataCenter>,
    environment: Environment,
    hosts: Option<(String, String, String)>,
    credentials: Option<Credentials>,
    token_store: Option<Store>,
    transport: TransportConfig,
    retry: Option<RetryPolicy>,
    concurrency: Option<ConcurrencyLimits>,
    org_limiter: Option<OrgLimit>,
    credit_budget: Option<u64>,
    user_agent: Option<String>,
    granted_scopes: Option<crate::scopes::GrantedScopes>,
    client: PhantomData<fn() -> C>,
}

impl<C> std::fmt::Debug for ClientBuilder<C> {
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
            .field("concurrency", &self.concurrency)
            .field("org_limiter", &self.org_limiter)
            .field("credit_budget", &self.credit_budget)
            .field("user_agent", &self.user_agent)
            .field("granted_scopes", &self.granted_scopes)
            .finish()
    }
}

impl<C> Default for ClientBuilder<C> {
    fn default() -> Self {
        ClientBuilder {
            data_center: None,
            environment: Environment::default(),
            hosts: None,
            credentials: None,
            token_store: None,
            transport: TransportConfig::default(),
            retry: None,
            concurrency: None,
            org_limiter: None,
            credit_budget: None,
            user_agent: None,
            granted_scopes: None,
            client: PhantomData,
        }
    }
}

impl<C: BuildClient> ClientBuilder<C> {
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
        self.token_store = Some(Store::Blocking(store));
        self
    }

    /// An async token store (a networked one) instead; only the async client drives it.
    pub fn async_token_store(mut self, store: Arc<dyn AsyncTokenStore>) -> Self {
        self.token_store = Some(Store::Async(store));
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

    /// How many API calls of this client (and its clones) may be in flight at once; further
    /// calls queue in the client instead of failing with 429. Default: 10 calls, of which 5
    /// heavy (COQL, bulk, convert, mass update, composite). Zoho allows 5 (Free) to 25
    /// (Ultimate) concurrent calls per org and app, and 10 heavy ones on every edition.
    pub fn concurrency_limit(mut self, max_concurrent: u32, max_heavy: u32) -> Self {
        self.concurrency = Some(ConcurrencyLimits::new(max_concurrent, max_heavy));
        self
    }

    /// Sets the concurrency limits, e.g. [`ConcurrencyLimits::unlimited`].
    pub fn concurrency(mut self, limits: ConcurrencyLimits) -> Self {
        self.concurrency = Some(limits);
        self
    }

    /// Shares the org's concurrency limits and credit count with other processes through
    /// `limiter` (e.g. `zohocrm_store::RedisOrgLimiter`); see [`crate::org_limit`]. The
    /// client's own limit ([`concurrency_limit`](Self::concurrency_limit)) still applies.
    pub fn org_limiter(mut self, limiter: Arc<dyn OrgLimiter>) -> Self {
        self.org_limiter = Some(OrgLimit::Blocking(limiter));
        self
    }

    /// An async org-wide limiter instead; only the async client drives it.
    pub fn async_org_limiter(mut self, limiter: Arc<dyn AsyncOrgLimiter>) -> Self {
        self.org_limiter = Some(OrgLimit::Async(limiter));
        self
    }

    /// A daily credit budget: calls that would spend more than `credits` in the rolling
    /// 24 hours fail with `LimitErrorKind::CreditBudget` before they are sent (see
    /// [`crate::credits`]).
    pub fn daily_credit_budget(mut self, credits: u64) -> Self {
        self.credit_budget = Some(credits);
        self
    }

    /// Replaces the User-Agent header value.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self
    }

    /// The largest response body read into memory (default 64 MiB).
    pub fn max_body_bytes(mut self, max: usize) -> Self {
        self.transport.max_body_bytes = max;
        self
    }

    /// The largest download streamed to a file or other sink (default 1 GiB): a bulk result
    /// or attachment that keeps coming stops there with `BodyTooLarge`.
    pub fn max_download_bytes(mut self, max: u64) -> Self {
        self.transport.max_download_bytes = max;
        self
    }

    /// Declares the scopes the token was granted, separated by commas or spaces (e.g. the
    /// scopes of the grant code), for the scope preflight when token answers do not list them
    /// (see [`Session::with_granted_scopes`]).
    pub fn granted_scopes(mut self, scopes: &str) -> Self {
        self.granted_scopes = Some(crate::scopes::GrantedScopes::parse(scopes));
        self
    }

    /// Sends every call, token calls included, through `proxy`; the proxy environment
    /// variables are then ignored. See [`crate::proxy`].
    pub fn proxy(mut self, proxy: Proxy) -> Self {
        self.transport.proxy = ProxyConfig::all(proxy);
        self
    }

    /// Sets where the proxy settings come from: the environment (the default), none at all
    /// ([`ProxyConfig::Direct`]) or explicit rules with exceptions.
    pub fn proxy_config(mut self, proxy: ProxyConfig) -> Self {
        self.transport.proxy = proxy;
        self
    }

    /// Builds the client. Fails when the hosts are invalid, a data centre or credentials are
    /// missing, or a proxy environment variable holds an invalid URL.
    pub fn build(self) -> Result<C, Error> {
        self.transport.proxy.resolve()?;
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
        match self.token_store {
            Some(Store::Blocking(store)) => session = session.with_store(store),
            Some(Store::Async(store)) => session = session.with_async_store(store),
            None => {}
        }
        if let Some(retry) = self.retry {
            session = session.with_retry(retry);
        }
        if let Some(limits) = self.concurrency {
            session = session.with_concurrency(limits);
        }
        match self.org_limiter {
            Some(OrgLimit::Blocking(l)) => session = session.with_org_limiter(l),
            Some(OrgLimit::Async(l)) => session = session.with_async_org_limiter(l),
            None => {}
        }
        if let Some(budget) = self.credit_budget {
            session = session.with_credit_budget(budget);
        }
        if let Some(scopes) = self.granted_scopes {
            session = session.with_granted_scopes(scopes);
        }
        C::build_client(session, self.transport)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token_store::MemoryTokenStore;

    /// A client that keeps what the builder made, to test the builder without a transport.
    #[derive(Debug)]
    struct Built {
        session: Session,
        transport: TransportConfig,
    }

    impl BuildClient for Built {
        fn build_client(session: Session, transport: TransportConfig) -> Result<Self, Error> {
            Ok(Built { session, transport })
        }
    }

    fn builder() -> ClientBuilder<Built> {
        ClientBuilder::default()
    }

    #[test]
    fn builder_requires_hosts_and_credentials() {
        let no_dc = builder().refresh_token("id", "secret", "rt").build();
        assert!(matches!(no_dc, Err(Error::Build(_))), "{no_dc:?}");
        let no_credentials = builder().data_center(DataCenter::Eu).build();
        assert!(matches!(no_credentials, Err(Error::Build(_))));
        let remote_http = builder()
            .hosts(
                "http://example.com",
                "http://example.com",
                "http://example.com",
            )
            .refresh_token("id", "secret", "rt")
            .build();
        assert!(matches!(remote_http, Err(Error::Build(_))));
        let ok = builder()
            .data_center(DataCenter::Eu)
            .environment(Environment::Sandbox)
            .refresh_token("id", "secret", "rt")
            .user_agent("my-app/1.0")
            .timeout(Duration::from_secs(5))
            .max_body_bytes(1024)
            .concurrency_limit(4, 2)
            .build()
            .unwrap();
        assert_eq!(ok.session.limiter().limits(), ConcurrencyLimits::new(4, 2));
        let ctx = ok.session.context();
        assert_eq!(ctx.api_domain(), "https://sandbox.zohoapis.eu");
        assert_eq!(ctx.accounts_url(), "https://accounts.zoho.eu");
        assert_eq!(ctx.user_agent(), "my-app/1.0");
        assert_eq!(ok.transport.timeout, Duration::from_secs(5));
        assert_eq!(ok.transport.max_body_bytes, 1024);
    }

    #[test]
    fn debug_never_prints_secrets() {
        let builder = builder()
            .data_center(DataCenter::Us)
            .refresh_token("client-id-1", "very-secret-value", "refresh-token-value")
            .token_store(Arc::new(MemoryTokenStore::new()));
        let shown = format!("{builder:?}");
        let built = builder.build().unwrap();
        let shown_built = format!("{built:?}");
        for text in [shown, shown_built] {
            assert!(!text.contains("very-secret-value"), "{text}");
            assert!(!text.contains("refresh-token-value"), "{text}");
        }
    }
}
