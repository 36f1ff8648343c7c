//! Outbound HTTP proxies, as plain data: which proxy (if any) a request to a given URL goes
//! through. The transports do the connecting: an `https://` target is reached through an HTTP
//! `CONNECT` tunnel (TLS stays end to end, certificates are verified as without a proxy); an
//! `http://` target (only loopback hosts, such as the mock) is forwarded in absolute form by
//! the async transport and tunnelled by the blocking one. API calls, uploads, downloads and
//! the OAuth token calls all take the same route.
//!
//! By default ([`ProxyConfig::Environment`]) the transports follow the usual variables, read
//! once when the transport is built: `HTTPS_PROXY` for `https://` targets, `HTTP_PROXY` for
//! `http://` ones (either in lower case too), `ALL_PROXY` for both when the specific one is
//! unset, and `NO_PROXY` for hosts to reach directly. [`ProxyConfig::Direct`] turns them off;
//! [`ProxyConfig::Rules`] sets a proxy explicitly.
//!
//! Proxy credentials come from the URL's user information (`http://user:pass@proxy:3128`,
//! percent-encoded) and are sent as `Proxy-Authorization: Basic`; they never appear in
//! `Debug` output or error messages.
//!
//! ```
//! use zohocrm_core::proxy::{NoProxy, Proxy, ProxyConfig, ProxyRules};
//! use zohocrm_core::http::Uri;
//!
//! let proxy = Proxy::new("http://me:s%3Dcret@proxy.example.com:3128")?;
//! assert_eq!(proxy.uri(), "http://proxy.example.com:3128/");
//! assert!(!format!("{proxy:?}").contains("cret"));
//!
//! let rules = ProxyRules::all(proxy).with_no_proxy(NoProxy::parse("localhost, .internal"));
//! let api: Uri = "https://www.zohoapis.eu/crm/v8/Leads".parse()?;
//! let local: Uri = "http://localhost:8080/crm/v8/Leads".parse()?;
//! assert!(rules.proxy_for(&api).is_some());
//! assert!(rules.proxy_for(&local).is_none());
//!
//! // What a transport uses by default: the environment, read when it is built.
//! assert_eq!(ProxyConfig::default(), ProxyConfig::Environment);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::net::IpAddr;

use base64::Engine as _;
use http::{HeaderValue, Uri};

use crate::error::BuildError;

/// An HTTP proxy: its address and, optionally, basic credentials.
///
/// Only `http://` proxies are supported (the scheme may be left out); `https://` and SOCKS
/// proxies are refused with a clear error.
#[derive(Clone, PartialEq, Eq)]
pub struct Proxy {
    uri: Uri,
    credentials: Option<(String, String)>,
}

impl std::fmt::Debug for Proxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Proxy")
            .field("uri", &self.uri.to_string())
            .field(
                "credentials",
                &self.credentials.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

fn invalid(reason: impl std::fmt::Display) -> BuildError {
    BuildError::InvalidConfig(format!("proxy url: {reason}"))
}

fn decode(part: &str) -> Result<String, BuildError> {
    percent_encoding::percent_decode_str(part)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| invalid("the user information is not UTF-8 once percent-decoded"))
}

impl Proxy {
    /// Parses `[http://][user[:password]@]host[:port][/]` (port 80 when left out). Errors name
    /// what is wrong without repeating the URL, which may hold a password.
    pub fn new(url: &str) -> Result<Proxy, BuildError> {
        let url = url.trim();
        let rest = match url.split_once("://") {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") => rest,
            Some((scheme, _)) => {
                let scheme: String = scheme
                    .chars()
                    .filter(char::is_ascii_alphanumeric)
                    .take(16)
                    .collect();
                return Err(invalid(format_args!(
                    "the scheme `{scheme}` is not supported (use an http:// proxy)"
                )));
            }
            None => url,
        };
        let authority = rest.strip_suffix('/').unwrap_or(rest);
        if authority.contains(['/', '?', '#']) {
            return Err(invalid("a proxy url has no path, query or fragment"));
        }
        let (credentials, host_port) = match authority.rsplit_once('@') {
            Some((userinfo, host_port)) => {
                let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
                (Some((decode(user)?, decode(password)?)), host_port)
            }
            None => (None, authority),
        };
        if host_port.is_empty() {
            return Err(invalid("no host"));
        }
        let uri: Uri = format!("http://{host_port}/")
            .parse()
            .map_err(|_| invalid("the host or port is not valid"))?;
        let uri = match uri.port_u16() {
            Some(_) => uri,
            None => format!("http://{host_port}:80/")
                .parse()
                .map_err(|_| invalid("the host or port is not valid"))?,
        };
        Ok(Proxy { uri, credentials })
    }

    /// The proxy's address, `http://host:port/`, without credentials.
    pub fn uri(&self) -> &Uri {
        &self.uri
    }

    /// The user name, when credentials were given.
    pub fn username(&self) -> Option<&str> {
        self.credentials.as_ref().map(|(user, _)| user.as_str())
    }

    /// The password, when credentials were given (for transports that build their own
    /// proxy handshake; never print it).
    pub fn password(&self) -> Option<&str> {
        self.credentials
            .as_ref()
            .map(|(_, password)| password.as_str())
    }

    /// The `Proxy-Authorization` value (`Basic ...`, marked sensitive), when credentials were
    /// given.
    pub fn basic_auth(&self) -> Option<HeaderValue> {
        let (user, password) = self.credentials.as_ref()?;
        let encoded =
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        let mut value = HeaderValue::try_from(format!("Basic {encoded}")).ok()?;
        value.set_sensitive(true);
        Some(value)
    }
}

/// Hosts reached without a proxy, in the `NO_PROXY` syntax curl uses: a comma-separated list
/// of host names (matching the name and its subdomains; a leading `.` or `*.` is allowed),
/// IP addresses, CIDR blocks (`10.0.0.0/8`), or `*` for every host. A `:port` suffix on a
/// name is ignored (the entry applies to every port). Unparseable entries are skipped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NoProxy {
    entries: Vec<NoProxyEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum NoProxyEntry {
    Everything,
    Ip(IpAddr),
    Cidr(IpAddr, u8),
    Domain(String),
}

impl NoProxy {
    /// Parses a `NO_PROXY` list.
    pub fn parse(list: &str) -> NoProxy {
        let entries = list
            .split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .filter_map(|entry| {
                if entry == "*" {
                    return Some(NoProxyEntry::Everything);
                }
                let bare = entry.trim_start_matches('[').trim_end_matches(']');
                if let Ok(ip) = bare.parse::<IpAddr>() {
                    return Some(NoProxyEntry::Ip(ip));
                }
                if let Some((ip, bits)) = entry.split_once('/') {
                    let ip = ip.parse::<IpAddr>().ok()?;
                    let bits = bits.parse::<u8>().ok()?;
                    let max = if ip.is_ipv4() { 32 } else { 128 };
                    return (bits <= max).then_some(NoProxyEntry::Cidr(ip, bits));
                }
                let name = entry.trim_start_matches('*').trim_start_matches('.');
                let name = match name.rsplit_once(':') {
                    Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => host,
                    _ => name,
                };
                (!name.is_empty()).then(|| NoProxyEntry::Domain(name.to_ascii_lowercase()))
            })
            .collect();
        NoProxy { entries }
    }

    /// The list of `no_proxy` (or else `NO_PROXY`), looked up with `var`.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> NoProxy {
        ["no_proxy", "NO_PROXY"]
            .iter()
            .find_map(|name| var(name))
            .map(|list| NoProxy::parse(&list))
            .unwrap_or_default()
    }

    /// The list of this process's `no_proxy` or `NO_PROXY` variable.
    pub fn from_env() -> NoProxy {
        NoProxy::from_vars(|name| std::env::var(name).ok())
    }

    /// Whether `host` (a URL's host; IPv6 in brackets or not) is reached directly.
    pub fn matches(&self, host: &str) -> bool {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let host = host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase();
        let ip = host.parse::<IpAddr>().ok();
        self.entries.iter().any(|entry| match (entry, ip) {
            (NoProxyEntry::Everything, _) => true,
            (NoProxyEntry::Ip(allowed), Some(ip)) => *allowed == ip,
            (NoProxyEntry::Cidr(net, bits), Some(ip)) => in_cidr(ip, *net, *bits),
            (NoProxyEntry::Domain(name), None) => {
                host == *name
                    || host
                        .strip_suffix(name.as_str())
                        .is_some_and(|head| head.ends_with('.'))
            }
            _ => false,
        })
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

fn in_cidr(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(ip), IpAddr::V4(net)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(bits)).unwrap_or(0);
            u32::from(ip) & mask == u32::from(net) & mask
        }
        (IpAddr::V6(ip), IpAddr::V6(net)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0);
            u128::from(ip) & mask == u128::from(net) & mask
        }
        _ => false,
    }
}

/// Resolved proxy rules: the proxy for `http://` targets, the one for `https://` targets, and
/// the hosts reached directly.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProxyRules {
    http: Option<Proxy>,
    https: Option<Proxy>,
    no_proxy: NoProxy,
}

impl ProxyRules {
    /// No proxy at all.
    pub fn direct() -> ProxyRules {
        ProxyRules::default()
    }

    /// `proxy` for every target.
    pub fn all(proxy: Proxy) -> ProxyRules {
        ProxyRules {
            http: Some(proxy.clone()),
            https: Some(proxy),
            no_proxy: NoProxy::default(),
        }
    }

    /// The same rules, with these hosts reached directly.
    pub fn with_no_proxy(mut self, no_proxy: NoProxy) -> ProxyRules {
        self.no_proxy = no_proxy;
        self
    }

    /// The rules the environment variables give, looked up with `var` (see the module docs).
    /// Empty values count as unset. `HTTP_PROXY` in upper case is ignored when
    /// `REQUEST_METHOD` is set, as in a CGI program, where a request's `Proxy:` header
    /// arrives as that variable ("httpoxy").
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<ProxyRules, BuildError> {
        let get = |names: &[&str]| -> Result<Option<Proxy>, BuildError> {
            for name in names {
                if let Some(value) = var(name).filter(|v| !v.trim().is_empty()) {
                    return Proxy::new(&value).map(Some).map_err(|e| match e {
                        BuildError::InvalidConfig(m) => {
                            BuildError::InvalidConfig(format!("{name}: {m}"))
                        }
                        other => other,
                    });
                }
            }
            Ok(None)
        };
        let cgi = var("REQUEST_METHOD").is_some();
        let http_names: &[&str] = if cgi {
            &["http_proxy"]
        } else {
            &["http_proxy", "HTTP_PROXY"]
        };
        let all = get(&["all_proxy", "ALL_PROXY"])?;
        let http = get(http_names)?.or_else(|| all.clone());
        let https = get(&["https_proxy", "HTTPS_PROXY"])?.or(all);
        let no_proxy = NoProxy::from_vars(&var);
        Ok(ProxyRules {
            http,
            https,
            no_proxy,
        })
    }

    /// The rules of this process's environment variables.
    pub fn from_env() -> Result<ProxyRules, BuildError> {
        ProxyRules::from_vars(|name| std::env::var(name).ok())
    }

    /// The proxy a request to `target` goes through, or `None` to connect directly.
    pub fn proxy_for(&self, target: &Uri) -> Option<&Proxy> {
        let proxy = if target.scheme() == Some(&http::uri::Scheme::HTTPS) {
            self.https.as_ref()
        } else {
            self.http.as_ref()
        }?;
        match target.host() {
            Some(host) if self.no_proxy.matches(host) => None,
            _ => Some(proxy),
        }
    }

    /// Every distinct proxy of these rules (at most two).
    pub fn proxies(&self) -> impl Iterator<Item = &Proxy> {
        let https = self
            .https
            .as_ref()
            .filter(|p| Some(*p) != self.http.as_ref());
        self.http.iter().chain(https)
    }
}

/// Where a transport's proxy settings come from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
// Made once per client and read once per transport: the size of `Rules` costs nothing, and
// a box would show in every caller's code.
#[allow(clippy::large_enum_variant)]
pub enum ProxyConfig {
    /// The environment variables (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY`), read
    /// when the transport is built. The default.
    #[default]
    Environment,
    /// No proxy, whatever the environment says.
    Direct,
    /// These rules, whatever the environment says.
    Rules(ProxyRules),
}

impl ProxyConfig {
    /// `proxy` for every host, the environment ignored.
    pub fn all(proxy: Proxy) -> ProxyConfig {
        ProxyConfig::Rules(ProxyRules::all(proxy))
    }

    /// The rules in effect: the environment's for [`ProxyConfig::Environment`]. Fails when a
    /// proxy variable holds an invalid URL (the message names the variable, not its value).
    pub fn resolve(&self) -> Result<ProxyRules, BuildError> {
        match self {
            ProxyConfig::Environment => ProxyRules::from_env(),
            ProxyConfig::Direct => Ok(ProxyRules::direct()),
            ProxyConfig::Rules(rules) => Ok(rules.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn uri(s: &str) -> Uri {
        s.parse().unwrap()
    }

    #[test]
    fn proxy_urls_parse_with_defaults_and_credentials() {
        let p = Proxy::new("proxy.corp:3128").unwrap();
        assert_eq!(p.uri(), &uri("http://proxy.corp:3128/"));
        assert!(p.basic_auth().is_none());
        let p = Proxy::new("HTTP://proxy.corp/").unwrap();
        assert_eq!(p.uri(), &uri("http://proxy.corp:80/"));
        let p = Proxy::new("http://Aladdin:open%20sesame@[::1]:8080").unwrap();
        assert_eq!(p.uri().host(), Some("[::1]"));
        assert_eq!(p.username(), Some("Aladdin"));
        let auth = p.basic_auth().unwrap();
        assert!(auth.is_sensitive());
        // base64("Aladdin:open sesame")
        assert_eq!(auth, "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
        // A password with '@' in it: the last '@' ends the user information.
        let p = Proxy::new("http://u:p@ss@proxy:1").unwrap();
        assert_eq!(p.uri(), &uri("http://proxy:1/"));
        assert_eq!(
            p.basic_auth().unwrap(),
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode("u:p@ss")
            )
        );
    }

    #[test]
    fn bad_proxy_urls_are_refused_without_echoing_secrets() {
        for bad in [
            "socks5://u:hunter2@proxy:1080",
            "https://u:hunter2@proxy:443",
            "http://u:hunter2@proxy:notaport",
            "http://u:hunter2@proxy:3128/path",
            "http://u:hunter2@",
            "",
        ] {
            let e = Proxy::new(bad).unwrap_err().to_string();
            assert!(e.starts_with("invalid configuration: proxy url: "), "{e}");
            assert!(!e.contains("hunter2"), "{e}");
        }
        let debug = format!("{:?}", Proxy::new("http://u:hunter2@proxy:1").unwrap());
        assert!(!debug.contains("hunter2"), "{debug}");
        assert!(debug.contains("proxy:1"), "{debug}");
    }

    #[test]
    fn no_proxy_follows_curl() {
        let n = NoProxy::parse(
            " localhost, .corp.example ,*.zoho.test, 10.0.0.0/8, ::1, bad/99, host:8080,",
        );
        for direct in [
            "localhost",
            "LOCALHOST",
            "a.corp.example",
            "corp.example",
            "api.zoho.test",
            "10.1.2.3",
            "[::1]",
            "host",
        ] {
            assert!(n.matches(direct), "{direct}");
        }
        for proxied in [
            "notlocalhost",
            "corp.example.com",
            "xcorp.example",
            "11.0.0.1",
            "127.0.0.1",
            "[::2]",
        ] {
            assert!(!n.matches(proxied), "{proxied}");
        }
        assert!(NoProxy::parse("*").matches("anything.example"));
        assert!(NoProxy::parse("0.0.0.0/0").matches("192.168.1.1"));
        assert!(NoProxy::parse("").is_empty());
    }

    fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn environment_picks_the_proxy_by_scheme_and_honours_no_proxy() {
        let rules = ProxyRules::from_vars(vars(&[
            ("HTTPS_PROXY", "http://secure:1"),
            ("HTTP_PROXY", "http://plain:2"),
            ("NO_PROXY", "localhost"),
        ]))
        .unwrap();
        let https = rules
            .proxy_for(&uri("https://www.zohoapis.com/crm"))
            .unwrap();
        assert_eq!(https.uri(), &uri("http://secure:1/"));
        let http = rules.proxy_for(&uri("http://127.0.0.1:9/")).unwrap();
        assert_eq!(http.uri(), &uri("http://plain:2/"));
        assert!(rules.proxy_for(&uri("https://localhost:8443/")).is_none());
        assert_eq!(rules.proxies().count(), 2);

        // Lower case wins; ALL_PROXY fills in; empty means unset.
        let rules = ProxyRules::from_vars(vars(&[
            ("https_proxy", "http://lower:1"),
            ("HTTPS_PROXY", "http://upper:1"),
            ("HTTP_PROXY", ""),
            ("ALL_PROXY", "http://all:3"),
        ]))
        .unwrap();
        let https = rules.proxy_for(&uri("https://x.example/")).unwrap();
        assert_eq!(https.uri().host(), Some("lower"));
        let http = rules.proxy_for(&uri("http://x.example/")).unwrap();
        assert_eq!(http.uri().host(), Some("all"));

        // CGI: HTTP_PROXY may come from a request header, so it is not trusted.
        let cgi = ProxyRules::from_vars(vars(&[
            ("HTTP_PROXY", "http://evil:1"),
            ("REQUEST_METHOD", "GET"),
        ]))
        .unwrap();
        assert!(cgi.proxy_for(&uri("http://x.example/")).is_none());

        assert_eq!(
            ProxyRules::from_vars(vars(&[])).unwrap(),
            ProxyRules::direct()
        );
        let e = ProxyRules::from_vars(vars(&[("HTTPS_PROXY", "socks5://u:hunter2@x")]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("HTTPS_PROXY") && !e.contains("hunter2"), "{e}");
    }

    #[test]
    fn explicit_rules_ignore_the_environment() {
        let proxy = Proxy::new("proxy:1").unwrap();
        let config = ProxyConfig::all(proxy.clone());
        assert_eq!(config.resolve().unwrap(), ProxyRules::all(proxy));
        assert_eq!(ProxyConfig::Direct.resolve().unwrap(), ProxyRules::direct());
        let rules = ProxyRules::all(Proxy::new("proxy:1").unwrap());
        assert_eq!(rules.proxies().count(), 1);
    }
}
