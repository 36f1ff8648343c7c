//! The accounts server: token minting (three grants), Zoho's mint throttle, revocation, and the
//! access-token check used by every `/crm/` request. Parameters may come in the query, an
//! URL-encoded body or a `multipart/form-data` body.

use std::collections::{HashMap, VecDeque};

use serde_json::{json, Value};
use tokio::time::Instant;

use crate::util::{invalid_token, Request, Response};
use crate::MockConfig;

#[derive(Debug)]
struct AccessToken {
    /// `None`: a lifetime too long to represent.
    expires: Option<Instant>,
    /// The refresh token it was minted from (none for client credentials).
    refresh_token: Option<String>,
    valid: bool,
}

/// Tokens and grants.
#[derive(Debug, Default)]
pub(crate) struct AuthState {
    access: HashMap<String, AccessToken>,
    /// Known refresh tokens and whether they are revoked.
    refresh: HashMap<String, bool>,
    grant_code_used: bool,
    /// Mint times per throttle key, for the sliding window.
    mints: HashMap<String, VecDeque<Instant>>,
    counter: u64,
}

/// What a token-endpoint call changed, for the counters.
#[derive(Debug, Default)]
pub(crate) struct TokenOutcome {
    pub minted: bool,
    pub revoked: bool,
}

const SCOPE: &str =
    "ZohoCRM.modules.ALL ZohoCRM.settings.ALL ZohoCRM.users.ALL ZohoCRM.features.READ";

fn oauth_error(error: &str) -> Response {
    Response::json(400, &json!({ "error": error }))
}

fn throttled() -> Response {
    Response::json(
        400,
        &json!({
            "error_description": "You have made too many requests continuously. Please try again after some time.",
            "error": "Access Denied",
            "status": "failure"
        }),
    )
}

/// Parameters from the query string and from the body (the body wins), as Zoho's accounts
/// server reads them: a URL-encoded form, or `multipart/form-data` (the Node SDK's choice).
fn params(req: &Request) -> HashMap<String, String> {
    let mut out: HashMap<String, String> = req.params().iter().cloned().collect();
    let content_type = req.header("content-type").unwrap_or("");
    if let Some(parts) = crate::multipart::parts(content_type, &req.body) {
        for part in parts.into_iter().filter(|p| p.file_name.is_none()) {
            out.insert(part.name, String::from_utf8_lossy(&part.body).into_owned());
        }
    } else if !content_type.to_ascii_lowercase().contains("json") {
        for (k, v) in zohocrm_fixtures::form_pairs(&req.body) {
            out.insert(k, v);
        }
    }
    out
}

impl AuthState {
    pub fn new(config: &MockConfig) -> Self {
        let mut state = AuthState::default();
        state.refresh.insert(config.refresh_token.clone(), false);
        for extra in &config.extra_refresh_tokens {
            state.refresh.insert(extra.clone(), false);
        }
        state
    }

    /// The refresh token (or client-credentials key) an access token was minted from.
    pub fn owner(&self, config: &MockConfig, token: &str) -> Option<String> {
        let at = self.access.get(token)?;
        Some(
            at.refresh_token
                .clone()
                .unwrap_or_else(|| format!("client_credentials:{}", config.client_id)),
        )
    }

    /// `POST /oauth/v2/token`.
    pub fn token(
        &mut self,
        config: &MockConfig,
        base_url: &str,
        req: &Request,
    ) -> (Response, TokenOutcome) {
        let mut outcome = TokenOutcome::default();
        if req.method != "POST" {
            return (oauth_error("invalid_request"), outcome);
        }
        let p = params(req);
        let get = |k: &str| p.get(k).map(String::as_str).unwrap_or("");
        let grant = get("grant_type");
        if !matches!(
            grant,
            "refresh_token" | "authorization_code" | "client_credentials"
        ) {
            return (oauth_error("unsupported_grant_type"), outcome);
        }
        if get("client_id") != config.client_id || get("client_secret") != config.client_secret {
            return (oauth_error("invalid_client"), outcome);
        }
        let now = Instant::now();
        let resp = match grant {
            "refresh_token" => {
                let rt = get("refresh_token");
                if self.refresh.get(rt) != Some(&false) {
                    return (oauth_error("invalid_code"), outcome);
                }
                if self.throttle(config, rt, now) {
                    return (throttled(), outcome);
                }
                let body = self.mint(config, base_url, Some(rt.to_owned()), now);
                Response::json(200, &body)
            }
            "authorization_code" => {
                if self.grant_code_used || get("code") != config.grant_code {
                    return (oauth_error("invalid_code"), outcome);
                }
                let rt = config.refresh_token.clone();
                if self.throttle(config, &rt, now) {
                    return (throttled(), outcome);
                }
                self.grant_code_used = true;
                // A fresh grant issues the refresh token again, even after a revoke.
                self.refresh.insert(rt.clone(), false);
                let mut body = self.mint(config, base_url, Some(rt.clone()), now);
                body["refresh_token"] = Value::String(rt);
                let scope = match get("scope") {
                    "" => SCOPE.to_owned(),
                    s => s.replace(',', " "),
                };
                body["scope"] = Value::String(scope);
                Response::json(200, &body)
            }
            _ => {
                if get("soid") != format!("ZohoCRM.{}", config.org_id) {
                    return (oauth_error("missing_org_info"), outcome);
                }
                let key = format!("client_credentials:{}", config.client_id);
                if self.throttle(config, &key, now) {
                    return (throttled(), outcome);
                }
                let body = self.mint(config, base_url, None, now);
                Response::json(200, &body)
            }
        };
        outcome.minted = true;
        (resp, outcome)
    }

    /// `POST /oauth/v2/token/revoke?token=…`.
    pub fn revoke(&mut self, req: &Request) -> (Response, TokenOutcome) {
        let mut outcome = TokenOutcome::default();
        let failure = Response::json(400, &json!({"status": "failure", "error": "invalid_token"}));
        if req.method != "POST" {
            return (failure, outcome);
        }
        let p = params(req);
        let token = p.get("token").cloned().unwrap_or_default();
        match self.refresh.get_mut(&token) {
            Some(revoked) if !*revoked => {
                *revoked = true;
                for at in self.access.values_mut() {
                    if at.refresh_token.as_deref() == Some(token.as_str()) {
                        at.valid = false;
                    }
                }
                outcome.revoked = true;
                (Response::json(200, &json!({"status": "success"})), outcome)
            }
            _ => (failure, outcome),
        }
    }

    /// Checks `Authorization: Zoho-oauthtoken <token>`.
    pub fn check(&self, req: &Request) -> Result<(), Response> {
        let header = req.header("authorization").unwrap_or("").trim();
        let token = match header.split_once(' ') {
            Some((scheme, token)) if scheme.eq_ignore_ascii_case("Zoho-oauthtoken") => token.trim(),
            _ => return Err(invalid_token()),
        };
        match self.access.get(token) {
            Some(at) if at.valid && at.expires.is_none_or(|e| Instant::now() < e) => Ok(()),
            _ => Err(invalid_token()),
        }
    }

    pub fn expire_all(&mut self) {
        for at in self.access.values_mut() {
            at.valid = false;
        }
    }

    /// Whether one more mint for `key` would exceed the limit; records nothing.
    fn throttle(&mut self, config: &MockConfig, key: &str, now: Instant) -> bool {
        let window = self.mints.entry(key.to_owned()).or_default();
        while window
            .front()
            .is_some_and(|t| now.duration_since(*t) >= config.mint_window)
        {
            window.pop_front();
        }
        window.len() >= config.mint_limit as usize
    }

    fn mint(
        &mut self,
        config: &MockConfig,
        base_url: &str,
        refresh_token: Option<String>,
        now: Instant,
    ) -> Value {
        self.counter += 1;
        let token = format!("mock-access-{}", self.counter);
        let key = refresh_token
            .clone()
            .unwrap_or_else(|| format!("client_credentials:{}", config.client_id));
        self.mints.entry(key).or_default().push_back(now);
        self.access.insert(
            token.clone(),
            AccessToken {
                expires: now.checked_add(config.token_ttl),
                refresh_token,
                valid: true,
            },
        );
        json!({
            "access_token": token,
            "api_domain": base_url,
            "token_type": "Bearer",
            "expires_in": config.token_ttl.as_secs(),
        })
    }
}
