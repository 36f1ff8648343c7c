//! Settings: flags, then the environment (clap reads both), then the config file; and the
//! [`Client`] made from them.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use clap::parser::ValueSource;
use clap::ArgMatches;
use serde::Deserialize;
use zohocrm_core::context::DEFAULT_USER_AGENT;
use zohocrm_core::proxy::{NoProxy, Proxy, ProxyConfig, ProxyRules};
use zohocrm_core::{
    ClientSecret, ConcurrencyLimits, Credentials, RefreshToken, RetryPolicy, TokenStore,
};
use zohocrm_ureq::{Client, DataCenter, Environment, FileTokenStore};

use crate::cli::GlobalArgs;
use crate::error::CliError;

/// Where a setting came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// A command-line flag.
    Flag,
    /// An environment variable.
    Env,
    /// The config file.
    File,
    /// `--mock`.
    Mock,
    /// The built-in default.
    Default,
}

impl Source {
    /// How `auth status` names it.
    pub fn label(self) -> &'static str {
        match self {
            Source::Flag => "flag",
            Source::Env => "environment",
            Source::File => "config file",
            Source::Mock => "--mock",
            Source::Default => "default",
        }
    }
}

/// A value and where it came from.
#[derive(Debug, Clone)]
pub struct Sourced<T> {
    /// The value.
    pub value: T,
    /// Its source.
    pub source: Source,
}

/// The config file (`config.toml`); every key is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// `client_id`.
    pub client_id: Option<String>,
    /// `client_secret`.
    pub client_secret: Option<String>,
    /// `refresh_token`.
    pub refresh_token: Option<String>,
    /// `dc`, e.g. `eu` or `eu-sandbox`.
    pub dc: Option<String>,
    /// `accounts_url`.
    pub accounts_url: Option<String>,
    /// `api_domain`.
    pub api_domain: Option<String>,
    /// `token_store`.
    pub token_store: Option<PathBuf>,
    /// `org_id`: the organisation id (zgid) that bulk imports send as `X-CRM-ORG`.
    pub org_id: Option<String>,
    /// `scopes`: the OAuth scopes granted to the token, comma-separated.
    pub scopes: Option<String>,
}

/// The resolved settings of one run.
#[derive(Debug)]
pub struct Settings {
    /// The OAuth client id.
    pub client_id: Option<Sourced<String>>,
    /// The client secret.
    pub client_secret: Option<Sourced<ClientSecret>>,
    /// The refresh token, when configured (else the token store's is used).
    pub refresh_token: Option<Sourced<RefreshToken>>,
    /// The data centre.
    pub dc: Sourced<(DataCenter, Environment)>,
    /// A custom accounts server.
    pub accounts_url: Option<Sourced<String>>,
    /// A custom API domain.
    pub api_domain: Option<Sourced<String>>,
    /// The token store file.
    pub token_store: Sourced<PathBuf>,
    /// The organisation id (zgid) from the config file or `--mock` (`bulk import` takes
    /// `--org-id`/`ZOHO_ORG_ID` first).
    pub org_id: Option<Sourced<String>>,
    /// The OAuth scopes the configuration says the token was granted (comma-separated).
    pub scopes: Option<Sourced<String>>,
    /// The config file that was read, if any.
    pub config_file: Option<PathBuf>,
    /// Retries after a failed attempt.
    pub retries: u32,
    /// The timeout of one request.
    pub timeout: Duration,
    /// Where the proxy comes from (`--proxy`, else the environment).
    pub proxy: ProxyConfig,
    /// `--org-limit`: the org's concurrency limits, when given.
    pub org_limit: Option<ConcurrencyLimits>,
}

/// `--org-limit N[/HEAVY]`: N calls at once, HEAVY of them heavy (default 10, at most N).
pub fn parse_org_limit(text: &str) -> Result<ConcurrencyLimits, CliError> {
    let bad = || {
        CliError::Usage(format!(
            "--org-limit: expected N or N/HEAVY (e.g. 15/10), got {text:?}"
        ))
    };
    let (units, heavy) = match text.trim().split_once('/') {
        Some((u, h)) => (u, Some(h)),
        None => (text.trim(), None),
    };
    let units: u32 = units.trim().parse().map_err(|_| bad())?;
    let heavy: u32 = match heavy {
        Some(h) => h.trim().parse().map_err(|_| bad())?,
        None => 10,
    };
    if units == 0 || heavy == 0 {
        return Err(bad());
    }
    Ok(ConcurrencyLimits::new(units, heavy))
}

/// `--proxy`: `none` turns proxies off; a URL is used for every host but those of `NO_PROXY`
/// (as curl's `--proxy` does); without the flag, the environment decides.
pub fn parse_proxy(flag: Option<&str>) -> Result<ProxyConfig, CliError> {
    let Some(flag) = flag.map(str::trim) else {
        return Ok(ProxyConfig::Environment);
    };
    if flag.eq_ignore_ascii_case("none") {
        return Ok(ProxyConfig::Direct);
    }
    let proxy = Proxy::new(flag).map_err(|e| CliError::Usage(format!("--proxy: {e}")))?;
    Ok(ProxyConfig::Rules(
        ProxyRules::all(proxy).with_no_proxy(NoProxy::from_env()),
    ))
}

/// Parses `ZOHO_DC`: `us`, `eu`, ..., optionally `-sandbox` or `-developer`.
pub fn parse_dc(text: &str) -> Result<(DataCenter, Environment), CliError> {
    let text = text.trim().to_ascii_lowercase();
    let (code, env) = match text.split_once('-') {
        None => (text.as_str(), Environment::Production),
        Some((code, "sandbox")) => (code, Environment::Sandbox),
        Some((code, "developer" | "dev")) => (code, Environment::Developer),
        Some((code, "production" | "prod")) => (code, Environment::Production),
        Some(_) => {
            return Err(CliError::Usage(format!(
                "unknown data centre `{text}`: use us, eu, in, au, cn, jp, ca or sa, optionally \
                 with -sandbox or -developer"
            )))
        }
    };
    let dc = code.parse::<DataCenter>().map_err(|_| {
        CliError::Usage(format!(
            "unknown data centre `{code}`: use us, eu, in, au, cn, jp, ca or sa"
        ))
    })?;
    Ok((dc, env))
}

/// The `-sandbox`/`-developer` suffix of an environment.
pub fn env_suffix(env: Environment) -> &'static str {
    match env {
        Environment::Sandbox => "-sandbox",
        Environment::Developer => "-developer",
        _ => "",
    }
}

fn source_of(matches: &ArgMatches, id: &str) -> Source {
    match matches.value_source(id) {
        Some(ValueSource::EnvVariable) => Source::Env,
        _ => Source::Flag,
    }
}

/// The default config file: `zcrm/config.toml` in the platform config directory.
pub fn default_config_path() -> Option<PathBuf> {
    dirs::config_dir().map(|d| d.join("zcrm").join("config.toml"))
}

/// Reads the config file: the one named by `--config`/`ZCRM_CONFIG` (which must exist), else
/// the default one when it exists.
fn read_config(explicit: Option<&Path>) -> Result<(FileConfig, Option<PathBuf>), CliError> {
    let path = match explicit {
        Some(p) => p.to_path_buf(),
        None => match default_config_path() {
            Some(p) if p.is_file() => p,
            _ => return Ok((FileConfig::default(), None)),
        },
    };
    let text = std::fs::read_to_string(&path).map_err(|e| {
        CliError::Usage(format!(
            "cannot read the config file {}: {e}",
            path.display()
        ))
    })?;
    let config: FileConfig = toml::from_str(&text).map_err(|e| {
        CliError::Usage(format!(
            "invalid config file {}: {}",
            path.display(),
            e.message()
        ))
    })?;
    warn_if_readable_by_others(&path, &config);
    Ok((config, Some(path)))
}

#[cfg(unix)]
fn warn_if_readable_by_others(path: &Path, config: &FileConfig) {
    use std::os::unix::fs::PermissionsExt;
    let has_secret = config.client_secret.is_some() || config.refresh_token.is_some();
    if let Ok(meta) = std::fs::metadata(path) {
        if has_secret && meta.permissions().mode() & 0o077 != 0 {
            crate::term::say(format!(
                "warning: {} holds secrets and is readable by others; run `chmod 600 {}`",
                path.display(),
                path.display()
            ));
        }
    }
}

#[cfg(not(unix))]
fn warn_if_readable_by_others(_path: &Path, _config: &FileConfig) {}

fn non_empty(v: Option<String>) -> Option<String> {
    v.filter(|s| !s.trim().is_empty())
}

/// A 64-bit FNV-1a hash, to name token files after hosts.
fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The default token store: one file per client id and set of hosts, in the platform cache
/// directory (the config directory when there is none).
fn default_token_store(
    client_id: Option<&str>,
    dc: (DataCenter, Environment),
    accounts: Option<&str>,
    api: Option<&str>,
) -> PathBuf {
    let base = dirs::cache_dir()
        .or_else(dirs::config_dir)
        .unwrap_or_else(|| PathBuf::from("."))
        .join("zcrm")
        .join("tokens");
    let client: String = client_id
        .unwrap_or("no-client")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let hosts = match (accounts, api) {
        (None, None) => format!("{}{}", dc.0.code(), env_suffix(dc.1)),
        (a, b) => format!(
            "hosts-{:016x}",
            fnv(&format!("{}|{}", a.unwrap_or(""), b.unwrap_or("")))
        ),
    };
    base.join(format!("{client}@{hosts}.json"))
}

impl Settings {
    /// Resolves the settings: flags > environment > config file > defaults.
    /// The config file is not read when `read_file` is false (`--mock`).
    pub fn resolve(
        args: &GlobalArgs,
        matches: &ArgMatches,
        read_file: bool,
    ) -> Result<Settings, CliError> {
        let (file, config_file) = if read_file {
            read_config(args.config.as_deref())?
        } else {
            (FileConfig::default(), None)
        };
        let pick = |id: &str, cli: &Option<String>, from_file: Option<String>| match (
            non_empty(cli.clone()),
            non_empty(from_file),
        ) {
            (Some(v), _) => Some(Sourced {
                value: v.trim().to_owned(),
                source: source_of(matches, id),
            }),
            (None, Some(v)) => Some(Sourced {
                value: v.trim().to_owned(),
                source: Source::File,
            }),
            (None, None) => None,
        };
        let client_id = pick("client_id", &args.client_id, file.client_id);
        let client_secret =
            pick("client_secret", &args.client_secret, file.client_secret).map(|s| Sourced {
                value: ClientSecret::new(s.value),
                source: s.source,
            });
        let refresh_token =
            pick("refresh_token", &args.refresh_token, file.refresh_token).map(|s| Sourced {
                value: RefreshToken::new(s.value),
                source: s.source,
            });
        let dc = match pick("dc", &args.dc, file.dc) {
            Some(s) => Sourced {
                value: parse_dc(&s.value)?,
                source: s.source,
            },
            None => Sourced {
                value: (DataCenter::Us, Environment::Production),
                source: Source::Default,
            },
        };
        let accounts_url = pick("accounts_url", &args.accounts_url, file.accounts_url);
        let api_domain = pick("api_domain", &args.api_domain, file.api_domain);
        let token_store = match (&args.token_store, file.token_store) {
            (Some(p), _) => Sourced {
                value: p.clone(),
                source: source_of(matches, "token_store"),
            },
            (None, Some(p)) => Sourced {
                value: p,
                source: Source::File,
            },
            (None, None) => Sourced {
                value: default_token_store(
                    client_id.as_ref().map(|c| c.value.as_str()),
                    dc.value,
                    accounts_url.as_ref().map(|a| a.value.as_str()),
                    api_domain.as_ref().map(|a| a.value.as_str()),
                ),
                source: Source::Default,
            },
        };
        let scopes = pick("scopes", &args.scopes, file.scopes);
        let org_id = non_empty(file.org_id).map(|v| Sourced {
            value: v.trim().to_owned(),
            source: Source::File,
        });
        Ok(Settings {
            client_id,
            client_secret,
            refresh_token,
            dc,
            accounts_url,
            api_domain,
            token_store,
            org_id,
            scopes,
            config_file,
            retries: args.retries,
            timeout: Duration::from_secs(args.timeout.max(1)),
            proxy: parse_proxy(args.proxy.as_deref())?,
            org_limit: args.org_limit.as_deref().map(parse_org_limit).transpose()?,
        })
    }

    /// Points everything at a mock server with its credentials and a private token store.
    pub fn use_mock(&mut self, base_url: &str, token_store: PathBuf) {
        let cfg = zohocrm_mock::MockConfig::default();
        let mock = |value: String| Sourced {
            value,
            source: Source::Mock,
        };
        self.client_id = Some(mock(cfg.client_id));
        self.client_secret = Some(Sourced {
            value: ClientSecret::new(cfg.client_secret),
            source: Source::Mock,
        });
        self.refresh_token = Some(Sourced {
            value: RefreshToken::new(cfg.refresh_token),
            source: Source::Mock,
        });
        self.accounts_url = Some(mock(base_url.to_owned()));
        self.api_domain = Some(mock(base_url.to_owned()));
        self.token_store = Sourced {
            value: token_store,
            source: Source::Mock,
        };
        self.org_id = Some(mock(cfg.org_id));
    }

    /// The accounts server origin.
    pub fn accounts_origin(&self) -> String {
        match &self.accounts_url {
            Some(a) => a.value.trim_end_matches('/').to_owned(),
            None => self.dc.value.0.accounts_url().to_owned(),
        }
    }

    /// The API domain origin.
    pub fn api_origin(&self) -> String {
        match &self.api_domain {
            Some(a) => a.value.trim_end_matches('/').to_owned(),
            None => self.dc.value.0.api_domain(self.dc.value.1),
        }
    }

    /// The client id and secret, or a usage error saying how to set them.
    pub fn client_keys(&self) -> Result<(String, ClientSecret), CliError> {
        let id = self.client_id.as_ref().ok_or_else(|| {
            CliError::Usage(
                "no client id: set ZOHO_CLIENT_ID (or --client-id, or client_id in the config \
                 file); try `zcrm --mock ...` to use the embedded mock server"
                    .into(),
            )
        })?;
        let secret = self.client_secret.as_ref().ok_or_else(|| {
            CliError::Usage(
                "no client secret: set ZOHO_CLIENT_SECRET (or client_secret in the config file)"
                    .into(),
            )
        })?;
        Ok((id.value.clone(), secret.value.clone()))
    }

    /// The token store: a file, or a Redis or PostgreSQL server when `--token-store` is a
    /// `redis://` or `postgres://` url (its entry keyed by client id, org and refresh token).
    pub fn store(&self) -> Result<Arc<dyn TokenStore>, CliError> {
        let location = self.token_store.value.to_string_lossy();
        if !zohocrm_store::is_store_url(&location) {
            return Ok(Arc::new(FileTokenStore::new(&self.token_store.value)));
        }
        zohocrm_store::open(&location, self.store_key()?)
            .map_err(|e| CliError::Usage(format!("cannot use the token store: {e}")))
    }

    /// The entry of a networked store (client id, org, refresh token's fingerprint).
    fn store_key(&self) -> Result<zohocrm_store::StoreKey, CliError> {
        let client_id = self.client_keys()?.0;
        let org = self.org_id.as_ref().map_or("default", |o| o.value.as_str());
        let refresh = self.refresh_token.as_ref().map(|rt| rt.value.expose());
        Ok(zohocrm_store::StoreKey::for_refresh_token(
            &client_id, org, refresh,
        ))
    }

    /// `--org-limit` with a `redis://` token store: the org-wide limiter on that server.
    fn org_limiter(
        &self,
        limits: ConcurrencyLimits,
    ) -> Result<Option<zohocrm_store::RedisOrgLimiter>, CliError> {
        let location = self.token_store.value.to_string_lossy();
        if !location.starts_with("redis://") && !location.starts_with("rediss://") {
            return Ok(None);
        }
        zohocrm_store::RedisOrgLimiter::open(&location, self.store_key()?, limits)
            .map(Some)
            .map_err(|e| CliError::Usage(format!("cannot use the org limiter: {e}")))
    }

    /// The token store as shown to the user (a url without its password).
    pub fn token_store_label(&self) -> String {
        let location = self.token_store.value.to_string_lossy();
        match zohocrm_store::is_store_url(&location) {
            true => zohocrm_store::redacted(&location),
            false => self.token_store.value.display().to_string(),
        }
    }

    /// A client with refresh-token credentials: the configured refresh token, or the one in the
    /// token store.
    pub fn client(&self) -> Result<Client, CliError> {
        let (client_id, client_secret) = self.client_keys()?;
        let credentials = match &self.refresh_token {
            Some(rt) => Credentials::refresh_token(client_id, client_secret, rt.value.clone()),
            None => Credentials::RefreshToken {
                client_id,
                client_secret,
                refresh_token: None,
            },
        };
        self.client_with(credentials)
    }

    /// A client with these credentials and the configured hosts, store and policies.
    pub fn client_with(&self, credentials: Credentials) -> Result<Client, CliError> {
        let (dc, env) = self.dc.value;
        let mut builder = Client::builder();
        builder = if self.accounts_url.is_some() || self.api_domain.is_some() {
            let content = match &self.api_domain {
                Some(a) => a.value.clone(),
                None => dc.content_domain().to_owned(),
            };
            builder.hosts(self.accounts_origin(), self.api_origin(), content)
        } else {
            builder.data_center(dc).environment(env)
        };
        if let Some(scopes) = &self.scopes {
            builder = builder.granted_scopes(&scopes.value);
        }
        if let Some(limits) = self.org_limit {
            builder = builder.concurrency(limits);
            if let Some(limiter) = self.org_limiter(limits)? {
                builder = builder.org_limiter(Arc::new(limiter));
            }
        }
        let client = builder
            .credentials(credentials)
            .token_store(self.store()?)
            .retry_policy(RetryPolicy::default().with_max_attempts(self.retries.saturating_add(1)))
            .timeout(self.timeout)
            .connect_timeout(self.timeout.min(Duration::from_secs(10)))
            .proxy_config(self.proxy.clone())
            .user_agent(format!(
                "zcrm/{} {DEFAULT_USER_AGENT}",
                env!("CARGO_PKG_VERSION")
            ))
            .build()?;
        Ok(client)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn org_limits_parse() {
        assert_eq!(
            parse_org_limit("15").unwrap(),
            ConcurrencyLimits::new(15, 10)
        );
        assert_eq!(
            parse_org_limit(" 5/2 ").unwrap(),
            ConcurrencyLimits::new(5, 2)
        );
        assert_eq!(
            parse_org_limit("5").unwrap(),
            ConcurrencyLimits::new(5, 5),
            "heavy at most N"
        );
        for bad in ["", "0", "x", "5/", "5/0", "-1/2", "5/2/1"] {
            let Err(CliError::Usage(e)) = parse_org_limit(bad) else {
                panic!("{bad} is refused")
            };
            assert!(e.contains("--org-limit"), "{bad}: {e}");
        }
    }

    #[test]
    fn data_centres_parse_with_environments() {
        assert_eq!(
            parse_dc("eu").unwrap(),
            (DataCenter::Eu, Environment::Production)
        );
        assert_eq!(
            parse_dc("IN-sandbox").unwrap(),
            (DataCenter::In, Environment::Sandbox)
        );
        assert_eq!(
            parse_dc("au-developer").unwrap(),
            (DataCenter::Au, Environment::Developer)
        );
        assert!(parse_dc("uk").is_err());
        assert!(parse_dc("eu-staging").is_err());
    }

    #[test]
    fn token_files_are_per_client_and_host() {
        let dc = (DataCenter::Eu, Environment::Sandbox);
        let a = default_token_store(Some("1000.AB/C"), dc, None, None);
        assert!(a.ends_with("1000.AB_C@eu-sandbox.json"), "{a:?}");
        let b = default_token_store(Some("1000.ABC"), dc, None, Some("http://127.0.0.1:9"));
        let c = default_token_store(Some("1000.ABC"), dc, None, Some("http://127.0.0.1:8"));
        assert_ne!(b, c);
    }

    #[test]
    fn config_file_keys_are_checked() {
        let ok: FileConfig = toml::from_str("client_id = \"x\"\ndc = \"eu\"\n").unwrap();
        assert_eq!(ok.client_id.as_deref(), Some("x"));
        assert!(toml::from_str::<FileConfig>("clientid = \"x\"").is_err());
    }
}
