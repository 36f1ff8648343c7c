//! A [`Session`]: the hosts, the credentials and the shared token state of one CRM user.
//!
//! Many exchanges run against one session at once. Only one of them refreshes the token at a
//! time (single-flight, through a lease that expires if its holder disappears); the others wait
//! and then use the new token. Zoho allows 10 token mints per refresh token per 10 minutes, so
//! this matters. The lease holder also does the token store's part of the refresh (read, lock,
//! read again, mint, save: see [`crate::token_store`]), through store steps its driver performs,
//! so one refresh happens per process (the lease), per machine (the file store's lock) and per
//! fleet (a networked store's lock).
//!
//! Time is the driver's monotonic clock ([`Instant`]); only stored expiries are wall-clock
//! times, converted with the wall-clock time the driver reports with each store read. Token
//! lifetimes are clamped ([`MAX_TOKEN_LIFETIME`]) and every sum on them is checked, so a hostile
//! `expires_in` or token file cannot overflow a clock.
//!
//! A session belongs to one user: its token is only ever stamped on its own calls, and a stored
//! token saved for another refresh token is never adopted. The session also holds the
//! concurrency [`Limiter`] of its calls.

use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard};
use std::time::{Duration, Instant, SystemTime};

use http::HeaderValue;

use crate::context::Context;
use crate::credits::{CreditLedger, CreditUsage};
use crate::endpoint::Endpoint;
use crate::error::LimitError;
use crate::error::{AuthError, AuthErrorKind, Error, ScopeError};
use crate::limit::{ConcurrencyLimits, Limiter};
use crate::oauth::{
    parse_token_response, ClientCredentialsGrant, RefreshAccessToken, MAX_TOKEN_LIFETIME,
};
use crate::op_spec::OpSpec;
use crate::org_limit::{AsyncOrgLimiter, OrgLimit, OrgLimiter};
use crate::request::assemble;
use crate::retry::RetryPolicy;
use crate::scopes::GrantedScopes;
use crate::secret::{AccessToken, ClientSecret, RefreshToken};
use crate::token_store::{
    AsyncTokenStore, MemoryTokenStore, Store, StoreError, StoreLock, StoredToken, TokenStore,
};

/// How a session obtains access tokens.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Credentials {
    /// Refresh-token grant. With `refresh_token: None` the refresh token is read from the token
    /// store (saved there by a grant-code exchange, e.g. `zcrm auth login`).
    RefreshToken {
        /// The client id.
        client_id: String,
        /// The client secret.
        client_secret: ClientSecret,
        /// The refresh token, or `None` to read it from the store.
        refresh_token: Option<RefreshToken>,
    },
    /// Client-credentials grant for self clients (`soid=ZohoCRM.{org_id}`).
    ClientCredentials {
        /// The client id.
        client_id: String,
        /// The client secret.
        client_secret: ClientSecret,
        /// The CRM organisation id.
        org_id: String,
        /// Comma-separated scopes.
        scope: String,
    },
    /// A fixed access token, never refreshed (short scripts, tests).
    AccessToken(AccessToken),
}

impl Credentials {
    /// Refresh-token credentials.
    pub fn refresh_token(
        client_id: impl Into<String>,
        client_secret: impl Into<ClientSecret>,
        refresh_token: impl Into<RefreshToken>,
    ) -> Self {
        Credentials::RefreshToken {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            refresh_token: Some(refresh_token.into()),
        }
    }

    /// Whether a new access token can be minted.
    pub fn can_refresh(&self) -> bool {
        !matches!(self, Credentials::AccessToken(_))
    }
}

/// The `Authorization` header of an access token (`Zoho-oauthtoken …`, marked sensitive), or
/// `None` when the token holds characters a header cannot. Built once per token: stamping a
/// call clones it (a reference count).
fn bearer(token: &AccessToken) -> Option<HeaderValue> {
    let mut header = HeaderValue::from_str(&format!("Zoho-oauthtoken {}", token.expose())).ok()?;
    header.set_sensitive(true);
    Some(header)
}

/// The error of an access token that cannot go in a header.
fn unusable() -> Error {
    AuthError::new(
        AuthErrorKind::BadResponse,
        None,
        "the access token holds characters not allowed in a header",
    )
    .into()
}

#[derive(Debug, Clone)]
struct CachedToken {
    access: AccessToken,
    /// Its `Authorization` header.
    header: HeaderValue,
    /// On the driver's monotonic clock.
    expires_at: Instant,
    /// The same expiry as a wall-clock time, when known (for the store and for display).
    expires_at_wall: Option<SystemTime>,
    /// The lifetime given when it was minted (unknown for a token read from a store).
    lifetime: Option<Duration>,
}

#[derive(Debug, Clone, Copy)]
struct Lease {
    id: u64,
    until: Instant,
}

#[derive(Debug, Default)]
struct TokenState {
    token: Option<CachedToken>,
    /// The `Authorization` header the API last rejected (401 INVALID_TOKEN).
    rejected: Option<HeaderValue>,
    stored_refresh: Option<RefreshToken>,
    lease: Option<Lease>,
    /// Since when another process has held the store's refresh lock, as seen by this session.
    store_busy_since: Option<Instant>,
    /// The store holds a token of another refresh token: never adopted, never overwritten.
    foreign_store: bool,
    /// The monotonic and wall-clock times of the last store read, to date what is saved.
    clocks: Option<(Instant, SystemTime)>,
    next_lease: u64,
    mints: u64,
    last_store_error: Option<String>,
    /// The scopes granted to the current token, from its token answer or the store.
    token_scopes: Option<GrantedScopes>,
}

/// What an exchange should do to get a token.
#[derive(Debug)]
pub(crate) enum Acquire {
    /// Stamp this `Authorization` header.
    Ready(HeaderValue),
    /// The configured access token cannot go in a header.
    Unusable,
    /// The caller holds lease `id` and refreshes: store read first.
    Lease(u64),
    /// Another exchange is refreshing; poll again after this delay.
    Wait(Duration),
}

/// What taking the store's refresh lock came to.
#[derive(Debug)]
pub(crate) enum Locked {
    /// Held: read the store again under it, then mint.
    Held(StoreLock),
    /// Another process holds it: the lease is given up; poll again after this delay.
    Busy(Duration),
    /// Refresh without the lock (the store failed, or its holder seems stuck).
    Without,
}

/// The hosts, credentials, token state and policies shared by all calls of one CRM user.
pub struct Session {
    context: RwLock<Context>,
    credentials: Credentials,
    /// The header of a fixed access token (`Credentials::AccessToken`), when it makes one.
    fixed: Option<HeaderValue>,
    store: Store,
    state: Mutex<TokenState>,
    retry: RetryPolicy,
    limiter: Limiter,
    /// The org-wide limiter shared with other processes, if any.
    org: Option<OrgLimit>,
    /// The longest a call waits for an org-wide slot in all.
    org_wait: Duration,
    credits: Mutex<CreditLedger>,
    credit_budget: Option<u64>,
    last_org_error: Mutex<Option<String>>,
    refresh_margin: Duration,
    lease_timeout: Duration,
    wait_interval: Duration,
    /// The scopes the configuration says the token has (used when no token answer said).
    configured_scopes: Option<GrantedScopes>,
    scope_preflight: bool,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("context", &*self.context())
            .field("credentials", &self.credentials)
            .field("store", &self.store)
            .field("retry", &self.retry)
            .field("limits", &self.limiter.limits())
            .field("org_limiter", &self.org)
            .field("credit_budget", &self.credit_budget)
            .field("granted_scopes", &self.granted_scopes())
            .finish_non_exhaustive()
    }
}

/// The default longest wait for an org-wide slot.
pub const DEFAULT_ORG_WAIT: Duration = Duration::from_secs(120);

fn later(at: Instant, by: Duration) -> Instant {
    // An `Instant` this far out cannot be represented only on a clock near its end; treating
    // the deadline as now is then the safe side (refresh, stop waiting).
    at.checked_add(by).unwrap_or(at)
}

impl Session {
    /// A session with an in-memory token store and the default retry policy.
    pub fn new(context: Context, credentials: Credentials) -> Self {
        let fixed = match &credentials {
            Credentials::AccessToken(t) => bearer(t),
            _ => None,
        };
        Session {
            context: RwLock::new(context),
            fixed,
            credentials,
            store: Store::Blocking(Arc::new(MemoryTokenStore::new())),
            state: Mutex::new(TokenState::default()),
            retry: RetryPolicy::default(),
            limiter: Limiter::default(),
            org: None,
            org_wait: DEFAULT_ORG_WAIT,
            credits: Mutex::default(),
            credit_budget: None,
            last_org_error: Mutex::default(),
            refresh_margin: Duration::from_secs(60),
            lease_timeout: Duration::from_secs(60),
            wait_interval: Duration::from_millis(20),
            configured_scopes: None,
            scope_preflight: true,
        }
    }

    /// Declares the scopes the token was granted (e.g. the scopes of the grant code), for the
    /// scope preflight when the token answer does not list them. A token answer's `scope`
    /// (also kept in the token store) takes precedence.
    #[must_use]
    pub fn with_granted_scopes(mut self, scopes: GrantedScopes) -> Self {
        self.configured_scopes = Some(scopes);
        self
    }

    /// Turns the scope preflight on (the default) or off. When on and the granted scopes are
    /// known, a call whose operation needs a scope the token lacks fails with
    /// [`Error::Scope`] before anything is sent.
    #[must_use]
    pub fn with_scope_preflight(mut self, on: bool) -> Self {
        self.scope_preflight = on;
        self
    }

    /// The scopes granted to the token, when known: the token answer's `scope` (or the stored
    /// token's), else the configured ones, else the scopes a client-credentials grant asks for.
    pub fn granted_scopes(&self) -> Option<GrantedScopes> {
        self.with_granted(|g| g.cloned())
    }

    /// Runs `f` on the granted scopes (see [`granted_scopes`](Self::granted_scopes)) without
    /// copying them.
    fn with_granted<R>(&self, f: impl FnOnce(Option<&GrantedScopes>) -> R) -> R {
        let st = self.state();
        if let Some(scopes) = &st.token_scopes {
            return f(Some(scopes));
        }
        if let Some(scopes) = &self.configured_scopes {
            return f(Some(scopes));
        }
        match &self.credentials {
            Credentials::ClientCredentials { scope, .. } => f(Some(&GrantedScopes::parse(scope))),
            _ => f(None),
        }
    }

    /// Refuses a call of operation `spec` whose scopes the token was not granted; passes when
    /// the granted scopes are unknown (or empty), or the preflight is off.
    pub(crate) fn preflight(&self, spec: &OpSpec) -> Result<(), ScopeError> {
        if !self.scope_preflight || spec.scopes.is_empty() {
            return Ok(());
        }
        self.with_granted(|granted| {
            let Some(granted) = granted.filter(|g| !g.is_empty()) else {
                return Ok(());
            };
            let missing = granted.missing(spec);
            if missing.is_empty() {
                return Ok(());
            }
            Err(ScopeError {
                operation: spec.id,
                missing,
                granted: granted.as_slice().to_vec(),
            })
        })
    }

    /// Uses `store` to keep tokens between runs.
    #[must_use]
    pub fn with_store(mut self, store: Arc<dyn TokenStore>) -> Self {
        self.store = Store::Blocking(store);
        self
    }

    /// Uses an async `store` (a networked store) to keep tokens; only the async client can
    /// drive it.
    #[must_use]
    pub fn with_async_store(mut self, store: Arc<dyn AsyncTokenStore>) -> Self {
        self.store = Store::Async(store);
        self
    }

    /// Replaces the retry policy.
    #[must_use]
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Replaces the concurrency limits (default [`ConcurrencyLimits::default`]: 10 calls at once,
    /// 5 of them heavy).
    #[must_use]
    pub fn with_concurrency(mut self, limits: ConcurrencyLimits) -> Self {
        self.limiter = Limiter::new(limits);
        self
    }

    /// The concurrency limiter of this session's API calls.
    pub fn limiter(&self) -> &Limiter {
        &self.limiter
    }

    /// Shares the org's concurrency limits (and credit count) with other processes through
    /// `limiter` (see [`crate::org_limit`]). The in-process limiter still applies.
    #[must_use]
    pub fn with_org_limiter(mut self, limiter: Arc<dyn OrgLimiter>) -> Self {
        self.org = Some(OrgLimit::Blocking(limiter));
        self
    }

    /// An async org-wide limiter instead; only the async client drives it.
    #[must_use]
    pub fn with_async_org_limiter(mut self, limiter: Arc<dyn AsyncOrgLimiter>) -> Self {
        self.org = Some(OrgLimit::Async(limiter));
        self
    }

    /// The org-wide limiter, if one is set.
    pub fn org_limiter(&self) -> Option<&OrgLimit> {
        self.org.as_ref()
    }

    /// Sets the longest a call waits for an org-wide slot in all (default
    /// [`DEFAULT_ORG_WAIT`]) before failing with
    /// [`LimitErrorKind::OrgBusy`](crate::error::LimitErrorKind::OrgBusy).
    #[must_use]
    pub fn with_org_wait(mut self, wait: Duration) -> Self {
        self.org_wait = wait;
        self
    }

    /// The longest a call waits for an org-wide slot.
    pub fn org_wait(&self) -> Duration {
        self.org_wait
    }

    /// Sets a daily credit budget: a call that would spend more than `credits` in the rolling
    /// 24 hours fails with [`LimitErrorKind::CreditBudget`](crate::error::LimitErrorKind::CreditBudget)
    /// before it is sent (fleet-wide with a shared limiter). See [`crate::credits`].
    #[must_use]
    pub fn with_credit_budget(mut self, credits: u64) -> Self {
        self.credit_budget = Some(credits);
        self
    }

    /// The daily credit budget, if one is set.
    pub fn credit_budget(&self) -> Option<u64> {
        self.credit_budget
    }

    fn ledger(&self) -> MutexGuard<'_, CreditLedger> {
        self.credits.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The credits spent in the window and left, as this session last saw them; `now` is the
    /// monotonic clock (e.g. `Instant::now()`).
    pub fn credits(&self, now: Instant) -> CreditUsage {
        let mut ledger = self.ledger();
        CreditUsage {
            spent: ledger.spent(now),
            remaining: ledger.remaining(),
            budget: self.credit_budget,
        }
    }

    /// The in-process budget check of a call of `credits` (passes without a budget).
    pub(crate) fn check_credits(&self, now: Instant, credits: u32) -> Result<(), LimitError> {
        match self.credit_budget {
            Some(budget) => self.ledger().check(now, credits, budget),
            None => Ok(()),
        }
    }

    /// Runs `f` on the credit ledger.
    pub(crate) fn with_ledger<R>(&self, f: impl FnOnce(&mut CreditLedger) -> R) -> R {
        f(&mut self.ledger())
    }

    /// Records a failure of the org-wide limiter (the call went on without it).
    pub(crate) fn org_failed(&self, error: impl std::fmt::Display) {
        *self
            .last_org_error
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Some(error.to_string());
    }

    /// The last failure of the org-wide limiter, if any (calls then went on under the
    /// in-process limiter; a lease not given back ends by expiry).
    pub fn last_org_error(&self) -> Option<String> {
        self.last_org_error
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Refreshes this long before the token expires (default 60 s).
    #[must_use]
    pub fn with_refresh_margin(mut self, margin: Duration) -> Self {
        self.refresh_margin = margin;
        self
    }

    /// The current hosts (the API domain may have been adopted from a token response).
    pub fn context(&self) -> RwLockReadGuard<'_, Context> {
        self.context.read().unwrap_or_else(|p| p.into_inner())
    }

    /// The credentials.
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// The token store, which drivers call when an exchange asks them to.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The retry policy.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    /// How many tokens this session has minted.
    pub fn mint_count(&self) -> u64 {
        self.state().mints
    }

    /// The last token-store failure (the store is best effort and never fails a call).
    pub fn last_store_error(&self) -> Option<String> {
        self.state().last_store_error.clone()
    }

    /// When the cached access token expires (wall-clock time), if one is cached and its
    /// expiry is known.
    pub fn token_expires_at(&self) -> Option<SystemTime> {
        self.state().token.as_ref().and_then(|t| t.expires_at_wall)
    }

    /// Forgets the cached access token (the next call refreshes first).
    pub fn forget_token(&self) {
        self.state().token = None;
    }

    fn state(&self) -> MutexGuard<'_, TokenState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether `token` is still good to send. A token minted with a lifetime shorter than the
    /// refresh margin gets half its lifetime as margin, so it is used rather than refreshed
    /// again at once (which would loop until Zoho's mint throttle stops it).
    fn fresh(&self, token: &CachedToken, now: Instant) -> bool {
        let margin = match token.lifetime {
            Some(lifetime) => self.refresh_margin.min(lifetime / 2),
            None => self.refresh_margin,
        };
        now.checked_add(margin)
            .is_some_and(|deadline| token.expires_at > deadline)
    }

    /// The refresh token this session's credentials name, if configured.
    fn configured_refresh(&self) -> Option<&RefreshToken> {
        match &self.credentials {
            Credentials::RefreshToken { refresh_token, .. } => refresh_token.as_ref(),
            _ => None,
        }
    }

    /// The token to stamp now, or the lease to refresh it, or a wait for another refresh.
    pub(crate) fn acquire(&self, now: Instant) -> Acquire {
        if let Credentials::AccessToken(_) = &self.credentials {
            return match &self.fixed {
                Some(header) => Acquire::Ready(header.clone()),
                None => Acquire::Unusable,
            };
        }
        let mut st = self.state();
        if let Some(t) = st.token.as_ref().filter(|t| self.fresh(t, now)) {
            return Acquire::Ready(t.header.clone());
        }
        if st.lease.is_some_and(|lease| lease.until > now) {
            return Acquire::Wait(self.wait_interval);
        }
        st.next_lease += 1;
        let id = st.next_lease;
        st.lease = Some(Lease {
            id,
            until: later(now, self.lease_timeout),
        });
        Acquire::Lease(id)
    }

    /// Ends lease `lease` (refreshed, found in the store, failed or cancelled), so another
    /// exchange may refresh.
    pub(crate) fn end_lease(&self, lease: u64) {
        let mut st = self.state();
        if st.lease.is_some_and(|l| l.id == lease) {
            st.lease = None;
        }
    }

    /// Takes in a store read made by the lease holder; true when the store had an access token
    /// that is fresh, not rejected and this user's (it is then cached). Remembers a stored
    /// refresh token, and refuses a store that belongs to another refresh token.
    pub(crate) fn absorb_load(
        &self,
        now: Instant,
        wall_clock: SystemTime,
        loaded: Result<Option<StoredToken>, StoreError>,
    ) -> bool {
        let mut st = self.state();
        st.clocks = Some((now, wall_clock));
        let stored = match loaded {
            Ok(Some(stored)) => stored,
            Ok(None) => return false,
            Err(e) => {
                st.last_store_error = Some(e.to_string());
                return false;
            }
        };
        if let (Some(mine), Some(theirs)) = (self.configured_refresh(), &stored.refresh_token) {
            if mine != theirs {
                // Another user's (or client's) token: using it would run this call as them.
                st.foreign_store = true;
                st.last_store_error =
                    Some("the token store holds another refresh token's token; ignored".into());
                return false;
            }
        }
        st.foreign_store = false;
        if stored.refresh_token.is_some() {
            st.stored_refresh = stored.refresh_token.clone();
        }
        if let Some(scope) = &stored.scope {
            st.token_scopes = Some(GrantedScopes::parse(scope));
        }
        let Some(access) = stored.access_token.clone() else {
            return false;
        };
        let Some(header) = bearer(&access) else {
            return false;
        };
        let remaining = stored.remaining(wall_clock).min(MAX_TOKEN_LIFETIME);
        let cached = CachedToken {
            access,
            header,
            expires_at: later(now, remaining),
            expires_at_wall: Some(stored.expires_at()),
            lifetime: None,
        };
        if !self.fresh(&cached, now) || st.rejected.as_ref() == Some(&cached.header) {
            return false;
        }
        if let Some(domain) = &stored.api_domain {
            self.adopt_api_domain(domain);
        }
        st.token = Some(cached);
        true
    }

    /// Takes in the answer to the lease holder's request for the store's refresh lock.
    pub(crate) fn absorb_lock(
        &self,
        lease: u64,
        now: Instant,
        locked: Result<Option<StoreLock>, StoreError>,
    ) -> Locked {
        let mut st = self.state();
        match locked {
            Ok(Some(lock)) => {
                st.store_busy_since = None;
                Locked::Held(lock)
            }
            Ok(None) => {
                let since = *st.store_busy_since.get_or_insert(now);
                if now < later(since, self.lease_timeout) {
                    // Wait for the other process without holding up this one's exchanges:
                    // whoever polls next reads the store again.
                    if st.lease.is_some_and(|l| l.id == lease) {
                        st.lease = None;
                    }
                    return Locked::Busy(self.wait_interval);
                }
                // The holder seems stuck: refresh without the lock rather than never.
                st.store_busy_since = None;
                Locked::Without
            }
            Err(e) => {
                st.last_store_error = Some(e.to_string());
                Locked::Without
            }
        }
    }

    /// The token request of a refresh.
    pub(crate) fn token_request(&self) -> Result<http::Request<Vec<u8>>, Error> {
        let parts = match &self.credentials {
            Credentials::RefreshToken {
                client_id,
                client_secret,
                refresh_token,
            } => {
                let stored = self.state().stored_refresh.clone();
                let Some(rt) = refresh_token.clone().or(stored) else {
                    return Err(AuthError::new(
                        AuthErrorKind::NoCredentials,
                        None,
                        "no refresh token: configure one, or log in with a grant code first",
                    )
                    .into());
                };
                RefreshAccessToken {
                    client_id: client_id.clone(),
                    client_secret: client_secret.clone(),
                    refresh_token: rt,
                }
                .parts()
            }
            Credentials::ClientCredentials {
                client_id,
                client_secret,
                org_id,
                scope,
            } => ClientCredentialsGrant {
                client_id: client_id.clone(),
                client_secret: client_secret.clone(),
                org_id: org_id.clone(),
                scope: scope.clone(),
            }
            .parts(),
            Credentials::AccessToken(_) => {
                return Err(AuthError::new(
                    AuthErrorKind::NoCredentials,
                    None,
                    "a fixed access token cannot be refreshed",
                )
                .into())
            }
        };
        Ok(assemble(&self.context(), &parts?)?)
    }

    /// The secrets this session knows, to scrub from messages of the token endpoint.
    fn scrub(&self, error: Error) -> Error {
        let Error::Auth(mut auth) = error else {
            return error;
        };
        let mut secrets: Vec<&str> = Vec::new();
        match &self.credentials {
            Credentials::RefreshToken {
                client_secret,
                refresh_token,
                ..
            } => {
                secrets.push(client_secret.expose());
                if let Some(rt) = refresh_token {
                    secrets.push(rt.expose());
                }
            }
            Credentials::ClientCredentials { client_secret, .. } => {
                secrets.push(client_secret.expose())
            }
            Credentials::AccessToken(t) => secrets.push(t.expose()),
        }
        for secret in secrets.into_iter().filter(|s| s.len() >= 4) {
            auth.message = auth.message.replace(secret, "<redacted>");
            if let Some(code) = &mut auth.code {
                *code = code.replace(secret, "<redacted>");
            }
        }
        Error::Auth(auth)
    }

    /// Ends a refresh with the token endpoint's response: caches the new token and ends the
    /// lease. Returns the token to save, or `None` when the store belongs to another user.
    pub(crate) fn complete_refresh(
        &self,
        lease: u64,
        now: Instant,
        response: &http::Response<&[u8]>,
    ) -> Result<Option<StoredToken>, Error> {
        let parsed = parse_token_response(response).map_err(|e| self.scrub(e));
        let mut st = self.state();
        if st.lease.is_some_and(|l| l.id == lease) {
            st.lease = None;
        }
        let token = parsed?;
        let header = bearer(&token.access_token).ok_or_else(unusable)?;
        if let Some(domain) = &token.api_domain {
            self.adopt_api_domain(domain);
        }
        let lifetime = token.expires_in.min(MAX_TOKEN_LIFETIME);
        // The wall-clock expiry, dated from the store read that began this refresh.
        let expires_at_wall = st.clocks.and_then(|(read_at, wall)| {
            wall.checked_add(now.saturating_duration_since(read_at))?
                .checked_add(lifetime)
        });
        let cached = CachedToken {
            access: token.access_token.clone(),
            header,
            expires_at: later(now, lifetime),
            expires_at_wall,
            lifetime: Some(lifetime),
        };
        st.mints += 1;
        st.rejected = None;
        // A refresh answer may omit `scope`: the grant's scopes do not change with a refresh.
        if let Some(scope) = &token.scope {
            st.token_scopes = Some(GrantedScopes::parse(scope));
        }
        let mut stored = StoredToken {
            access_token: Some(cached.access.clone()),
            expires_at_unix: 0,
            // Only a refresh token that came from the store (or with this response) is written back.
            refresh_token: token
                .refresh_token
                .clone()
                .or_else(|| st.stored_refresh.clone()),
            api_domain: Some(self.context().api_domain().to_owned()),
            scope: st.token_scopes.as_ref().map(ToString::to_string),
        };
        if let Some(at) = expires_at_wall {
            stored.set_expires_at(at);
        }
        st.token = Some(cached);
        // Never overwrite another user's token (nor take their refresh token out of it).
        Ok((!st.foreign_store).then_some(stored))
    }

    /// Takes in the answer to a save or unlock (best effort: a failure is remembered, the call
    /// goes on).
    pub(crate) fn absorb_store_result(&self, result: Result<(), StoreError>) {
        if let Err(e) = result {
            self.state().last_store_error = Some(e.to_string());
        }
    }

    /// Marks the token of `header` as rejected by the API (401 INVALID_TOKEN) so the next call
    /// refreshes.
    pub(crate) fn invalidate(&self, header: &HeaderValue) {
        let mut st = self.state();
        if st.token.as_ref().is_some_and(|t| t.header == header) {
            st.token = None;
        }
        st.rejected = Some(header.clone());
    }

    /// The error of a configured access token that cannot go in a header.
    pub(crate) fn unusable_token(&self) -> Error {
        unusable()
    }

    fn adopt_api_domain(&self, domain: &str) {
        let mut ctx = self.context.write().unwrap_or_else(|p| p.into_inner());
        if ctx.api_domain() != domain.trim_end_matches('/') {
            // A domain outside the data centre is ignored: tokens are never sent to it.
            ctx.adopt_api_domain(domain);
        }
    }
}
