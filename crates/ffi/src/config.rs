//! The session configuration JSON accepted by `zcrm_session_new`.

use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;
use zohocrm_core::error::BuildError;
use zohocrm_core::{
    AccessToken, ClientSecret, ConcurrencyLimits, Context, Credentials, DataCenter, Environment,
    Error, FileTokenStore, MemoryTokenStore, RetryPolicy, Session, TokenStore,
};

use crate::render::{FfiError, Redactor};

/// The session configuration. See the crate README for the documented shape.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SessionConfig {
    data_center: Option<String>,
    environment: Option<String>,
    accounts_url: Option<String>,
    api_domain: Option<String>,
    content_domain: Option<String>,
    credentials: Option<CredentialsConfig>,
    token_store_path: Option<String>,
    user_agent: Option<String>,
    retry: Option<RetryConfig>,
    refresh_margin_ms: Option<u64>,
    granted_scopes: Option<String>,
    scope_preflight: Option<bool>,
    concurrency: Option<ConcurrencyConfig>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConcurrencyConfig {
    max_concurrent: Option<u32>,
    max_heavy: Option<u32>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct CredentialsConfig {
    client_id: Option<String>,
    client_secret: Option<String>,
    refresh_token: Option<String>,
    access_token: Option<String>,
    org_id: Option<String>,
    scope: Option<String>,
}

impl std::fmt::Debug for CredentialsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialsConfig")
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RetryConfig {
    max_attempts: Option<u32>,
    base_delay_ms: Option<u64>,
    max_delay_ms: Option<u64>,
    max_retry_after_ms: Option<u64>,
}

fn invalid(message: impl Into<String>) -> FfiError {
    FfiError::sdk(&Error::Build(BuildError::InvalidConfig(message.into())))
}

fn environment(name: Option<&str>) -> Result<Environment, FfiError> {
    match name.map(|s| s.trim().to_ascii_lowercase()).as_deref() {
        None | Some("production") => Ok(Environment::Production),
        Some("sandbox") => Ok(Environment::Sandbox),
        Some("developer") => Ok(Environment::Developer),
        Some(other) => Err(invalid(format!(
            "unknown environment `{other}` (production, sandbox or developer)"
        ))),
    }
}

/// Every string under `credentials`: what the redactor must never let through.
fn secrets_of(raw: &Value) -> Vec<String> {
    let Some(creds) = raw.get("credentials").and_then(Value::as_object) else {
        return Vec::new();
    };
    ["client_secret", "refresh_token", "access_token"]
        .iter()
        .filter_map(|k| creds.get(*k).and_then(Value::as_str))
        .map(str::to_owned)
        .collect()
}

/// A session and the redactor of its secrets, from the configuration JSON.
pub fn session_from_json(text: &str) -> Result<(Session, Redactor), FfiError> {
    let raw: Value = serde_json::from_str(text)
        .map_err(|e| FfiError::ffi("invalid_json", format!("config is not JSON: {e}")))?;
    let secrets = secrets_of(&raw);
    let early = Redactor::new(secrets.clone(), None);
    let config: SessionConfig = serde_json::from_value(raw)
        .map_err(|e| FfiError(early.redact(invalid(format!("config: {e}")).0)))?;
    let session = build(config).map_err(|e| FfiError(early.redact(e.0)))?;
    let store = match session.store() {
        zohocrm_core::token_store::Store::Blocking(store) => Some(store.clone()),
        _ => None,
    };
    let redactor = Redactor::new(secrets, store);
    Ok((session, redactor))
}

fn build(config: SessionConfig) -> Result<Session, FfiError> {
    let hosts = (config.accounts_url.as_deref(), config.api_domain.as_deref());
    let mut context = match (config.data_center.as_deref(), hosts) {
        (Some(_), (Some(_), _) | (_, Some(_))) => return Err(invalid(
            "give either `data_center` or custom hosts (`accounts_url`, `api_domain`), not both",
        )),
        (Some(dc), _) => {
            let dc: DataCenter = dc.parse().map_err(|e| FfiError::sdk(&Error::Build(e)))?;
            Context::new(dc, environment(config.environment.as_deref())?)
        }
        (None, (Some(accounts), Some(api))) => {
            if config.environment.is_some() {
                return Err(invalid("`environment` applies to a `data_center` only"));
            }
            let content = config.content_domain.as_deref().unwrap_or(api);
            Context::custom(accounts, api, content).map_err(|e| FfiError::sdk(&e.into()))?
        }
        (None, (Some(_), None) | (None, Some(_))) => {
            return Err(invalid(
                "custom hosts need both `accounts_url` and `api_domain`",
            ))
        }
        (None, (None, None)) => return Err(invalid(
            "no hosts: give `data_center` (and `environment`), or `accounts_url` and `api_domain`",
        )),
    };
    if config.content_domain.is_some() && config.data_center.is_some() {
        return Err(invalid("`content_domain` applies to custom hosts only"));
    }
    if let Some(ua) = config.user_agent {
        context = context.with_user_agent(ua);
    }
    let creds = config
        .credentials
        .ok_or_else(|| invalid("no `credentials`"))?;
    let has_store = config.token_store_path.is_some();
    let credentials = credentials(creds, has_store)?;
    let store: Arc<dyn TokenStore> = match config.token_store_path {
        Some(path) if path.trim().is_empty() => return Err(invalid("`token_store_path` is empty")),
        Some(path) => Arc::new(FileTokenStore::new(path)),
        None => Arc::new(MemoryTokenStore::new()),
    };
    let mut session = Session::new(context, credentials).with_store(store);
    if let Some(r) = config.retry {
        let default = RetryPolicy::default();
        let base = r
            .base_delay_ms
            .map(Duration::from_millis)
            .unwrap_or(default.base_delay);
        let max = r
            .max_delay_ms
            .map(Duration::from_millis)
            .unwrap_or(default.max_delay);
        let mut policy = default
            .with_max_attempts(
                r.max_attempts
                    .unwrap_or(RetryPolicy::default().max_attempts),
            )
            .with_delays(base, max);
        if let Some(ms) = r.max_retry_after_ms {
            policy.max_retry_after = Duration::from_millis(ms);
        }
        session = session.with_retry(policy);
    }
    if let Some(ms) = config.refresh_margin_ms {
        session = session.with_refresh_margin(Duration::from_millis(ms));
    }
    if let Some(scopes) = config.granted_scopes {
        session = session.with_granted_scopes(zohocrm_core::scopes::GrantedScopes::parse(&scopes));
    }
    if let Some(on) = config.scope_preflight {
        session = session.with_scope_preflight(on);
    }
    if let Some(c) = config.concurrency {
        let default = ConcurrencyLimits::default();
        session = session.with_concurrency(ConcurrencyLimits::new(
            c.max_concurrent.unwrap_or(default.max_concurrent),
            c.max_heavy.unwrap_or(default.max_heavy),
        ));
    }
    Ok(session)
}

fn credentials(c: CredentialsConfig, has_store: bool) -> Result<Credentials, FfiError> {
    let nonempty = |v: Option<String>, name: &str| -> Result<Option<String>, FfiError> {
        match v {
            Some(s) if s.trim().is_empty() => {
                Err(invalid(format!("`credentials.{name}` is empty")))
            }
            other => Ok(other),
        }
    };
    let client_id = nonempty(c.client_id, "client_id")?;
    let client_secret = nonempty(c.client_secret, "client_secret")?;
    let refresh_token = nonempty(c.refresh_token, "refresh_token")?;
    let access_token = nonempty(c.access_token, "access_token")?;
    let org_id = nonempty(c.org_id, "org_id")?;
    let scope = nonempty(c.scope, "scope")?;
    if let Some(token) = access_token {
        if client_id.is_some()
            || client_secret.is_some()
            || refresh_token.is_some()
            || org_id.is_some()
        {
            return Err(invalid(
                "`credentials.access_token` excludes the other credential fields",
            ));
        }
        return Ok(Credentials::AccessToken(AccessToken::new(token)));
    }
    let (Some(client_id), Some(client_secret)) = (client_id, client_secret) else {
        return Err(invalid(
            "`credentials` needs `client_id` and `client_secret` (with `refresh_token`, or \
             `org_id` and `scope`), or an `access_token`",
        ));
    };
    let client_secret = ClientSecret::new(client_secret);
    match (org_id, scope, refresh_token) {
        (Some(org_id), Some(scope), None) => Ok(Credentials::ClientCredentials {
            client_id,
            client_secret,
            org_id,
            scope,
        }),
        (None, None, Some(rt)) => Ok(Credentials::refresh_token(client_id, client_secret, rt)),
        (None, None, None) if has_store => Ok(Credentials::RefreshToken {
            client_id,
            client_secret,
            refresh_token: None,
        }),
        (None, None, None) => Err(invalid(
            "`credentials.refresh_token` is missing (it may only be left out with a \
             `token_store_path` that holds one)",
        )),
        _ => Err(invalid(
            "`credentials`: use either `refresh_token` or the client-credentials pair \
             `org_id` + `scope`",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> Value {
        session_from_json(text).unwrap_err().0
    }

    #[test]
    fn data_centre_and_custom_hosts() {
        let (s, _) = session_from_json(
            r#"{"data_center":"eu","environment":"sandbox","credentials":{"access_token":"tok-123456"}}"#,
        )
        .unwrap();
        assert_eq!(s.context().api_domain(), "https://sandbox.zohoapis.eu");
        let (s, _) = session_from_json(
            r#"{"accounts_url":"http://127.0.0.1:9","api_domain":"http://127.0.0.1:9",
                "credentials":{"client_id":"id","client_secret":"sec-123456","refresh_token":"rt-123456"}}"#,
        )
        .unwrap();
        assert_eq!(s.context().content_domain(), "http://127.0.0.1:9");
        assert!(s.credentials().can_refresh());
    }

    #[test]
    fn invalid_configs_are_build_errors_without_secrets() {
        let e = err(
            r#"{"accounts_url":"http://example.com","api_domain":"https://a","credentials":{"access_token":"tok-123456"}}"#,
        );
        assert_eq!(e["kind"], "build");
        assert!(e["message"].as_str().unwrap().contains("loopback"), "{e}");
        let e = err(r#"{"data_center":"xx","credentials":{"access_token":"tok-123456"}}"#);
        assert_eq!(e["kind"], "build");
        let e = err(r#"{"data_center":"us"}"#);
        assert!(e["message"].as_str().unwrap().contains("credentials"));
        let e = err(
            r#"{"data_center":"us","credentials":{"client_id":"a","client_secret":"very-secret-1"}}"#,
        );
        assert!(e["message"].as_str().unwrap().contains("refresh_token"));
        let e =
            err(r#"{"data_center":"us","bogus":1,"credentials":{"access_token":"tok-123456"}}"#);
        assert!(e["message"].as_str().unwrap().contains("bogus"));
        let e = err("{not json");
        assert_eq!(e["kind"], "ffi");
        assert_eq!(e["code"], "invalid_json");
        let e = err(
            r#"{"data_center":"us","credentials":{"access_token":"tok-123456","refresh_token":"rt-abcdef"}}"#,
        );
        assert!(!e.to_string().contains("tok-123456"));
        assert!(!e.to_string().contains("rt-abcdef"));
    }
}
