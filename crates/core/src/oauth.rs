//! OAuth operations on the accounts server, as endpoints: grant-code exchange, refresh, client
//! credentials and revoke.
//!
//! Token responses are parsed defensively: the HTTP status of errors is undocumented, so the body
//! decides (`access_token` present ⇒ success, else `error`); `expires_in_sec` (seconds, with
//! `expires_in` then in milliseconds) and `expires_in` (seconds) are both understood. Bodies are
//! never quoted in errors, since they may hold tokens.
//!
//! # Example
//!
//! ```
//! use zohocrm_core::http::Response;
//! use zohocrm_core::oauth::RefreshAccessToken;
//! use zohocrm_core::{assemble, Context, DataCenter, Endpoint, Environment};
//!
//! let refresh = RefreshAccessToken {
//!     client_id: "1000.CLIENT".into(),
//!     client_secret: "s3cr3t-value".into(),
//!     refresh_token: "1000.refresh-value".into(),
//! };
//! assert!(!format!("{refresh:?}").contains("s3cr3t-value"));
//! let ctx = Context::new(DataCenter::Eu, Environment::Production);
//! let request = assemble(&ctx, &refresh.parts()?)?;
//! assert_eq!(request.uri().host(), Some("accounts.zoho.eu"));
//!
//! let answer = br#"{"access_token":"1000.at","expires_in":3600,
//!     "api_domain":"https://www.zohoapis.eu","token_type":"Bearer"}"#;
//! let token = refresh.parse(Response::builder().status(200).body(&answer[..])?)?;
//! assert_eq!(token.expires_in.as_secs(), 3600);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::borrow::Cow;
use std::time::Duration;

use http::Method;
use serde::Deserialize;
use serde_json::Value;

use crate::context::Host;
use crate::endpoint::Endpoint;
use crate::error::{AuthError, AuthErrorKind, BuildError, Error};
use crate::models::lenient_u64;
use crate::request::RequestParts;
use crate::response::is_empty_body;
use crate::secret::{AccessToken, ClientSecret, GrantCode, RefreshToken};

/// The longest lifetime a token answer is believed for (Zoho's access tokens live one hour):
/// a larger `expires_in` (up to 2^64 - 1 from a hostile server) is cut to this.
pub const MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// The token endpoint path on the accounts server.
pub const TOKEN_PATH: &str = "/oauth/v2/token";
/// The revoke endpoint path on the accounts server.
pub const REVOKE_PATH: &str = "/oauth/v2/token/revoke";

/// A successful token response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenResponse {
    /// The new access token.
    pub access_token: AccessToken,
    /// A refresh token (grant-code exchange only).
    pub refresh_token: Option<RefreshToken>,
    /// How long the access token lives (at most [`MAX_TOKEN_LIFETIME`]).
    pub expires_in: Duration,
    /// The API domain of the user's data centre, as sent by Zoho.
    pub api_domain: Option<String>,
    /// The granted scopes, when sent.
    pub scope: Option<String>,
    /// The token type (`Bearer`), when sent.
    pub token_type: Option<String>,
}

#[derive(Deserialize)]
struct RawToken {
    access_token: Option<String>,
    refresh_token: Option<String>,
    expires_in: Option<Value>,
    expires_in_sec: Option<Value>,
    api_domain: Option<String>,
    scope: Option<String>,
    token_type: Option<String>,
    error: Option<Value>,
    error_description: Option<String>,
}

/// Parses any token-endpoint response. Never quotes the body (it may hold secrets).
pub fn parse_token_response(resp: &http::Response<&[u8]>) -> Result<TokenResponse, Error> {
    let status = resp.status().as_u16();
    let body = *resp.body();
    let raw: RawToken = match serde_json::from_slice(body) {
        Ok(raw) => raw,
        Err(_) => {
            let what = if is_empty_body(body) {
                "an empty body".to_owned()
            } else {
                format!("{} bytes that are not a JSON token response", body.len())
            };
            let kind = if status == 429 {
                AuthErrorKind::Throttled
            } else {
                AuthErrorKind::BadResponse
            };
            return Err(AuthError::new(
                kind,
                None,
                format!("token endpoint answered HTTP {status} with {what}"),
            )
            .into());
        }
    };
    if let Some(access) = raw.access_token.filter(|s| !s.is_empty()) {
        let secs = match raw.expires_in_sec.clone().and_then(lenient_u64::from_value) {
            Some(secs) => secs,
            None => raw
                .expires_in
                .clone()
                .and_then(lenient_u64::from_value)
                .unwrap_or(3600),
        };
        // A server number is never trusted in clock arithmetic: `now + 2^64 s` overflows.
        let expires_in = Duration::from_secs(secs).min(MAX_TOKEN_LIFETIME);
        return Ok(TokenResponse {
            access_token: AccessToken::new(access),
            refresh_token: raw
                .refresh_token
                .filter(|s| !s.is_empty())
                .map(RefreshToken::new),
            expires_in,
            api_domain: raw.api_domain,
            scope: raw.scope,
            token_type: raw.token_type,
        });
    }
    // Error texts come from the server and could quote a token back: scrub token-like words.
    let code = match raw.error {
        Some(Value::String(s)) => Some(crate::secret::scrub_tokens(&s)),
        Some(other) => Some(crate::secret::scrub_tokens(&other.to_string())),
        None => None,
    };
    let description = raw
        .error_description
        .as_deref()
        .map(crate::secret::scrub_tokens);
    let throttled = code
        .as_deref()
        .is_some_and(|c| c.eq_ignore_ascii_case("Access Denied"))
        || status == 429;
    let kind = if throttled {
        AuthErrorKind::Throttled
    } else if code.is_some() {
        AuthErrorKind::Rejected
    } else {
        AuthErrorKind::BadResponse
    };
    let mut message = match (&code, &description) {
        (Some(c), Some(d)) => format!("token endpoint refused the request: {c} ({d})"),
        (Some(c), None) => format!("token endpoint refused the request: {c}"),
        (None, _) => format!("token endpoint answered HTTP {status} without an access token"),
    };
    if throttled {
        message.push_str("; Zoho allows 10 access tokens per refresh token per 10 minutes");
    }
    Err(AuthError::new(kind, code, message).into())
}

fn form(pairs: &[(&'static str, &str)]) -> Vec<(Cow<'static, str>, String)> {
    pairs
        .iter()
        .map(|(k, v)| (Cow::Borrowed(*k), (*v).to_owned()))
        .collect()
}

fn token_request(pairs: Vec<(Cow<'static, str>, String)>) -> RequestParts {
    // Minting is safe to retry after a dropped connection: at worst one extra token is minted.
    RequestParts::new(Method::POST, Host::Accounts, TOKEN_PATH)
        .unauthenticated()
        .idempotent(true)
        .form(pairs)
}

/// Exchanges a grant code (e.g. from the self-client console) for tokens:
/// `POST /oauth/v2/token` with `grant_type=authorization_code`.
#[derive(Debug, Clone)]
pub struct ExchangeGrantCode {
    /// The client id.
    pub client_id: String,
    /// The client secret.
    pub client_secret: ClientSecret,
    /// The one-time grant code.
    pub code: GrantCode,
    /// The redirect URI registered for the client (not needed for self clients).
    pub redirect_uri: Option<String>,
}

impl Endpoint for ExchangeGrantCode {
    const ID: &'static str = "oauth.exchange_grant_code";
    type Output = TokenResponse;

    fn parts(&self) -> Result<RequestParts, BuildError> {
        BuildError::require("client_id", &self.client_id)?;
        BuildError::require("client_secret", self.client_secret.expose())?;
        BuildError::require("code", self.code.expose())?;
        let mut pairs = form(&[
            ("grant_type", "authorization_code"),
            ("client_id", &self.client_id),
            ("client_secret", self.client_secret.expose()),
            ("code", self.code.expose()),
        ]);
        if let Some(uri) = &self.redirect_uri {
            pairs.push(("redirect_uri".into(), uri.clone()));
        }
        Ok(token_request(pairs))
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<TokenResponse, Error> {
        parse_token_response(&response)
    }
}

/// Mints an access token from a refresh token: `POST /oauth/v2/token` with `grant_type=refresh_token`.
#[derive(Debug, Clone)]
pub struct RefreshAccessToken {
    /// The client id.
    pub client_id: String,
    /// The client secret.
    pub client_secret: ClientSecret,
    /// The refresh token.
    pub refresh_token: RefreshToken,
}

impl Endpoint for RefreshAccessToken {
    const ID: &'static str = "oauth.refresh_access_token";
    type Output = TokenResponse;

    fn parts(&self) -> Result<RequestParts, BuildError> {
        BuildError::require("client_id", &self.client_id)?;
        BuildError::require("client_secret", self.client_secret.expose())?;
        BuildError::require("refresh_token", self.refresh_token.expose())?;
        Ok(token_request(form(&[
            ("grant_type", "refresh_token"),
            ("client_id", &self.client_id),
            ("client_secret", self.client_secret.expose()),
            ("refresh_token", self.refresh_token.expose()),
        ])))
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<TokenResponse, Error> {
        parse_token_response(&response)
    }
}

/// Mints an access token with the client-credentials grant (self clients only; no refresh
/// token is issued): `soid=ZohoCRM.{org_id}`.
#[derive(Debug, Clone)]
pub struct ClientCredentialsGrant {
    /// The client id.
    pub client_id: String,
    /// The client secret.
    pub client_secret: ClientSecret,
    /// The CRM organisation id.
    pub org_id: String,
    /// Comma-separated scopes, e.g. `ZohoCRM.modules.ALL,ZohoCRM.settings.ALL`.
    pub scope: String,
}

impl Endpoint for ClientCredentialsGrant {
    const ID: &'static str = "oauth.client_credentials";
    type Output = TokenResponse;

    fn parts(&self) -> Result<RequestParts, BuildError> {
        BuildError::require("client_id", &self.client_id)?;
        BuildError::require("client_secret", self.client_secret.expose())?;
        BuildError::require("org_id", &self.org_id)?;
        BuildError::require("scope", &self.scope)?;
        let soid = format!("ZohoCRM.{}", self.org_id.trim());
        Ok(token_request(form(&[
            ("grant_type", "client_credentials"),
            ("client_id", &self.client_id),
            ("client_secret", self.client_secret.expose()),
            ("scope", &self.scope),
            ("soid", &soid),
        ])))
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<TokenResponse, Error> {
        parse_token_response(&response)
    }
}

/// Revokes a refresh token (and every access token minted from it):
/// `POST /oauth/v2/token/revoke?token=…`.
#[derive(Debug, Clone)]
pub struct RevokeToken {
    /// The refresh token to revoke.
    pub token: RefreshToken,
}

impl Endpoint for RevokeToken {
    const ID: &'static str = "oauth.revoke_token";
    type Output = ();

    fn parts(&self) -> Result<RequestParts, BuildError> {
        BuildError::require("token", self.token.expose())?;
        Ok(RequestParts::new(Method::POST, Host::Accounts, REVOKE_PATH)
            .unauthenticated()
            .idempotent(true)
            .query("token", self.token.expose()))
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<(), Error> {
        let status = response.status().as_u16();
        let v: Option<Value> = serde_json::from_slice(response.body()).ok();
        let ok_status = v
            .as_ref()
            .and_then(|v| v.get("status"))
            .and_then(Value::as_str)
            .is_some_and(|s| s == "success");
        if response.status().is_success() && (ok_status || v.is_none()) {
            return Ok(());
        }
        let code = v
            .as_ref()
            .and_then(|v| v.get("error"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        Err(AuthError::new(
            AuthErrorKind::Rejected,
            code.clone(),
            format!(
                "revoke refused (HTTP {status}){}",
                code.map(|c| format!(": {c}")).unwrap_or_default()
            ),
        )
        .into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(status: u16, body: &str) -> http::Response<&[u8]> {
        http::Response::builder()
            .status(status)
            .body(body.as_bytes())
            .unwrap()
    }

    #[test]
    fn absurd_lifetimes_are_clamped() {
        for body in [
            r#"{"access_token":"a","expires_in":18446744073709551615}"#,
            r#"{"access_token":"a","expires_in":1e30}"#,
            r#"{"access_token":"a","expires_in_sec":"18446744073709551615"}"#,
        ] {
            let t = parse_token_response(&resp(200, body)).unwrap();
            assert_eq!(t.expires_in, MAX_TOKEN_LIFETIME, "{body}");
            assert!(std::time::SystemTime::now()
                .checked_add(t.expires_in)
                .is_some());
        }
    }

    #[test]
    fn expires_in_sec_wins_and_expires_in_is_seconds_otherwise() {
        let t = parse_token_response(&resp(
            200,
            r#"{"access_token":"a","expires_in":3600000,"expires_in_sec":3600}"#,
        ))
        .unwrap();
        assert_eq!(t.expires_in, Duration::from_secs(3600));
        let t =
            parse_token_response(&resp(200, r#"{"access_token":"a","expires_in":3600}"#)).unwrap();
        assert_eq!(t.expires_in, Duration::from_secs(3600));
    }

    #[test]
    fn error_inside_200_is_an_error() {
        let e = parse_token_response(&resp(200, r#"{"error":"invalid_code"}"#)).unwrap_err();
        match e {
            Error::Auth(a) => {
                assert_eq!(a.kind, AuthErrorKind::Rejected);
                assert_eq!(a.code.as_deref(), Some("invalid_code"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn throttle_is_recognised() {
        let e = parse_token_response(&resp(
            400,
            r#"{"error_description":"You have made too many requests continuously. Please try again after some time.","error":"Access Denied","status":"failure"}"#,
        ))
        .unwrap_err();
        assert!(matches!(
            e,
            Error::Auth(AuthError {
                kind: AuthErrorKind::Throttled,
                ..
            })
        ));
    }

    #[test]
    fn garbage_never_leaks_the_body() {
        let e = parse_token_response(&resp(200, r#"{"access_token":"1000.secret"#)).unwrap_err();
        assert!(!e.to_string().contains("secret"));
    }

    #[test]
    fn client_credentials_sends_soid() {
        let ep = ClientCredentialsGrant {
            client_id: "id".into(),
            client_secret: "s".into(),
            org_id: "123".into(),
            scope: "ZohoCRM.modules.ALL".into(),
        };
        let parts = ep.parts().unwrap();
        match parts.body {
            crate::request::Body::Form(pairs) => {
                assert!(pairs.iter().any(|(k, v)| k == "soid" && v == "ZohoCRM.123"));
            }
            _ => panic!("form expected"),
        }
    }
}
