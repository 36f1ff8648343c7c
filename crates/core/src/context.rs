//! Where requests go: data centres, environments and the [`Context`] that holds the hosts.
//!
//! A `Context` holds no secrets, so anything built from it (requests, snapshots) holds none.
//!
//! # Example
//!
//! ```
//! use zohocrm_core::{Context, DataCenter, Environment};
//!
//! let sandbox = Context::new(DataCenter::Eu, Environment::Sandbox);
//! assert_eq!(sandbox.api_domain(), "https://sandbox.zohoapis.eu");
//! assert_eq!(sandbox.accounts_url(), "https://accounts.zoho.eu");
//! // Custom hosts (a mock server, a gateway) need https, except on loopback.
//! let local = "http://127.0.0.1:8080";
//! assert!(Context::custom(local, local, local).is_ok());
//! let remote = "http://crm.example.com";
//! assert!(Context::custom(remote, remote, remote).is_err());
//! ```

use std::fmt;
use std::str::FromStr;

use crate::error::BuildError;

/// A Zoho data centre. Each has its own accounts server, API domains and upload host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DataCenter {
    /// United States (`zoho.com`).
    Us,
    /// Europe (`zoho.eu`).
    Eu,
    /// India (`zoho.in`).
    In,
    /// Australia (`zoho.com.au`).
    Au,
    /// China (`zoho.com.cn`).
    Cn,
    /// Japan (`zoho.jp`).
    Jp,
    /// Canada (`zohocloud.ca` accounts, `zohoapis.ca` API).
    Ca,
    /// Saudi Arabia (`zoho.sa`).
    Sa,
}

impl DataCenter {
    /// Every data centre, in a stable order.
    pub const ALL: [DataCenter; 8] = [
        DataCenter::Us,
        DataCenter::Eu,
        DataCenter::In,
        DataCenter::Au,
        DataCenter::Cn,
        DataCenter::Jp,
        DataCenter::Ca,
        DataCenter::Sa,
    ];

    /// The short lowercase code (`us`, `eu`, ...), as used by `ZOHO_DC`.
    pub fn code(self) -> &'static str {
        match self {
            DataCenter::Us => "us",
            DataCenter::Eu => "eu",
            DataCenter::In => "in",
            DataCenter::Au => "au",
            DataCenter::Cn => "cn",
            DataCenter::Jp => "jp",
            DataCenter::Ca => "ca",
            DataCenter::Sa => "sa",
        }
    }

    /// The top-level domain suffix shared by the `zohoapis` hosts of this data centre.
    fn api_tld(self) -> &'static str {
        match self {
            DataCenter::Us => "com",
            DataCenter::Eu => "eu",
            DataCenter::In => "in",
            DataCenter::Au => "com.au",
            DataCenter::Cn => "com.cn",
            DataCenter::Jp => "jp",
            DataCenter::Ca => "ca",
            DataCenter::Sa => "sa",
        }
    }

    /// The accounts (OAuth) server, e.g. `https://accounts.zoho.com`.
    pub fn accounts_url(self) -> &'static str {
        match self {
            DataCenter::Us => "https://accounts.zoho.com",
            DataCenter::Eu => "https://accounts.zoho.eu",
            DataCenter::In => "https://accounts.zoho.in",
            DataCenter::Au => "https://accounts.zoho.com.au",
            DataCenter::Cn => "https://accounts.zoho.com.cn",
            DataCenter::Jp => "https://accounts.zoho.jp",
            DataCenter::Ca => "https://accounts.zohocloud.ca",
            DataCenter::Sa => "https://accounts.zoho.sa",
        }
    }

    /// The API domain of an environment, e.g. `https://sandbox.zohoapis.eu`.
    pub fn api_domain(self, env: Environment) -> String {
        let sub = match env {
            Environment::Production => "www",
            Environment::Sandbox => "sandbox",
            Environment::Developer => "developer",
        };
        format!("https://{sub}.zohoapis.{}", self.api_tld())
    }

    /// The content/upload host used for file uploads (bulk write). CA and SA differ from the rest.
    pub fn content_domain(self) -> &'static str {
        match self {
            DataCenter::Us => "https://content.zohoapis.com",
            DataCenter::Eu => "https://content.zohoapis.eu",
            DataCenter::In => "https://content.zohoapis.in",
            DataCenter::Au => "https://content.zohoapis.com.au",
            DataCenter::Cn => "https://content.zohoapis.com.cn",
            DataCenter::Jp => "https://content.zohoapis.jp",
            DataCenter::Ca => "https://upload.zohocloud.ca",
            DataCenter::Sa => "https://files.zoho.sa",
        }
    }

    /// Whether `origin` (scheme + host, no path) is one of this data centre's API domains.
    pub fn is_api_domain(self, origin: &str) -> bool {
        let origin = origin.trim_end_matches('/');
        [
            Environment::Production,
            Environment::Sandbox,
            Environment::Developer,
        ]
        .iter()
        .any(|env| self.api_domain(*env) == origin)
    }
}

impl fmt::Display for DataCenter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for DataCenter {
    type Err = BuildError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DataCenter::ALL
            .into_iter()
            .find(|dc| dc.code().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| BuildError::InvalidConfig(format!("unknown data centre `{s}`")))
    }
}

/// A CRM environment: each has its own API domain and its own tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Environment {
    /// The live organisation (`www.zohoapis.*`).
    #[default]
    Production,
    /// A sandbox copy (`sandbox.zohoapis.*`).
    Sandbox,
    /// A developer edition (`developer.zohoapis.*`).
    Developer,
}

/// Which host a request is sent to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Host {
    /// The CRM API domain (`https://www.zohoapis.com`).
    Api,
    /// The content/upload domain (bulk-write uploads).
    Content,
    /// The accounts (OAuth) server.
    Accounts,
}

/// The hosts a session talks to, plus the User-Agent. Holds no secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    data_center: Option<DataCenter>,
    accounts_url: String,
    api_domain: String,
    configured_api_domain: String,
    content_domain: String,
    user_agent: String,
}

/// The User-Agent sent with every request unless replaced.
pub const DEFAULT_USER_AGENT: &str = concat!("zohocrm-rs/", env!("CARGO_PKG_VERSION"));

impl Context {
    /// The hosts of a data centre and environment.
    pub fn new(dc: DataCenter, env: Environment) -> Self {
        let api = dc.api_domain(env);
        Context {
            data_center: Some(dc),
            accounts_url: dc.accounts_url().to_owned(),
            api_domain: api.clone(),
            configured_api_domain: api,
            content_domain: dc.content_domain().to_owned(),
            user_agent: DEFAULT_USER_AGENT.to_owned(),
        }
    }

    /// Custom hosts, for tests, mock servers and proxies. `https://` is required except for
    /// loopback hosts (`127.0.0.0/8`, `[::1]`, `localhost`), which may use `http://`.
    pub fn custom(
        accounts_url: &str,
        api_domain: &str,
        content_domain: &str,
    ) -> Result<Self, BuildError> {
        let accounts_url = check_origin(accounts_url)?;
        let api_domain = check_origin(api_domain)?;
        let content_domain = check_origin(content_domain)?;
        Ok(Context {
            data_center: None,
            accounts_url,
            configured_api_domain: api_domain.clone(),
            api_domain,
            content_domain,
            user_agent: DEFAULT_USER_AGENT.to_owned(),
        })
    }

    /// Replaces the User-Agent header value.
    #[must_use]
    pub fn with_user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// The data centre, or `None` for custom hosts.
    pub fn data_center(&self) -> Option<DataCenter> {
        self.data_center
    }

    /// The accounts server origin.
    pub fn accounts_url(&self) -> &str {
        &self.accounts_url
    }

    /// The API domain currently in use (possibly adopted from a token response).
    pub fn api_domain(&self) -> &str {
        &self.api_domain
    }

    /// The content/upload domain.
    pub fn content_domain(&self) -> &str {
        &self.content_domain
    }

    /// The User-Agent header value.
    pub fn user_agent(&self) -> &str {
        &self.user_agent
    }

    /// The origin for a [`Host`].
    pub fn origin(&self, host: Host) -> &str {
        match host {
            Host::Api => &self.api_domain,
            Host::Content => &self.content_domain,
            Host::Accounts => &self.accounts_url,
        }
    }

    /// Whether an `api_domain` from a token response may be used: one of the configured data
    /// centre's API domains, or exactly the configured custom API domain.
    pub fn accepts_api_domain(&self, candidate: &str) -> bool {
        let candidate = candidate.trim_end_matches('/');
        match self.data_center {
            Some(dc) => dc.is_api_domain(candidate),
            None => candidate == self.configured_api_domain,
        }
    }

    /// Adopts the `api_domain` of a token response when [`accepts_api_domain`](Self::accepts_api_domain)
    /// allows it. Returns whether it was adopted.
    pub fn adopt_api_domain(&mut self, candidate: &str) -> bool {
        if self.accepts_api_domain(candidate) {
            self.api_domain = candidate.trim_end_matches('/').to_owned();
            true
        } else {
            false
        }
    }
}

/// Checks that `url` is an origin (`scheme://host[:port]`, nothing after it but an optional `/`)
/// and that `http://` is used only for loopback hosts. Returns it without a trailing slash.
pub fn check_origin(url: &str) -> Result<String, BuildError> {
    let trimmed = url.trim().trim_end_matches('/');
    let uri: http::Uri = trimmed
        .parse()
        .map_err(|_| BuildError::InvalidConfig(format!("`{url}` is not a valid URL")))?;
    let host = uri
        .host()
        .ok_or_else(|| BuildError::InvalidConfig(format!("`{url}` has no host")))?;
    if uri.path() != "/" && !uri.path().is_empty() || uri.query().is_some() {
        return Err(BuildError::InvalidConfig(format!(
            "`{url}` must be an origin (scheme and host only)"
        )));
    }
    match uri.scheme_str() {
        Some("https") => Ok(trimmed.to_owned()),
        Some("http") if is_loopback(host) => Ok(trimmed.to_owned()),
        Some("http") => Err(BuildError::InvalidConfig(format!(
            "`{url}` uses plain http, which is only allowed for loopback hosts"
        ))),
        _ => Err(BuildError::InvalidConfig(format!("`{url}` must use https"))),
    }
}

/// Whether a host name is a loopback address (`localhost`, `127.0.0.0/8`, `::1`).
pub fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    host.parse::<std::net::IpAddr>()
        .map(|ip| ip.is_loopback())
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ca_and_sa_upload_hosts_differ() {
        assert_eq!(
            DataCenter::Ca.content_domain(),
            "https://upload.zohocloud.ca"
        );
        assert_eq!(DataCenter::Sa.content_domain(), "https://files.zoho.sa");
        assert_eq!(
            DataCenter::Ca.api_domain(Environment::Production),
            "https://www.zohoapis.ca"
        );
        assert_eq!(
            DataCenter::Au.api_domain(Environment::Sandbox),
            "https://sandbox.zohoapis.com.au"
        );
    }

    #[test]
    fn http_only_for_loopback() {
        assert!(
            Context::custom("http://127.0.0.1:1", "http://localhost:2", "http://[::1]:3").is_ok()
        );
        assert!(Context::custom("http://example.com", "https://a", "https://b").is_err());
        assert!(Context::custom("https://a/path", "https://a", "https://b").is_err());
        assert!(Context::custom("ftp://a", "https://a", "https://b").is_err());
    }

    #[test]
    fn api_domain_adoption_is_limited_to_the_data_centre() {
        let mut ctx = Context::new(DataCenter::Eu, Environment::Production);
        assert!(!ctx.adopt_api_domain("https://www.zohoapis.com"));
        assert!(!ctx.adopt_api_domain("https://evil.example"));
        assert!(ctx.adopt_api_domain("https://sandbox.zohoapis.eu/"));
        assert_eq!(ctx.api_domain(), "https://sandbox.zohoapis.eu");
        let mut custom = Context::custom(
            "http://127.0.0.1:9",
            "http://127.0.0.1:9",
            "http://127.0.0.1:9",
        )
        .unwrap();
        assert!(custom.adopt_api_domain("http://127.0.0.1:9"));
        assert!(!custom.adopt_api_domain("http://127.0.0.1:10"));
    }

    #[test]
    fn parses_dc_codes() {
        assert_eq!("EU".parse::<DataCenter>().unwrap(), DataCenter::Eu);
        assert!("uk".parse::<DataCenter>().is_err());
    }
}
