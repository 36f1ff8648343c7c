//! JSON renderings of steps and errors, and the redaction of secrets from error text.

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{json, Map, Value};
use zohocrm_core::error::{AuthErrorKind, BuildError, Error, TransportErrorKind};
use zohocrm_core::{Step, TokenStore};

/// An error that crossed, or failed to cross, the C boundary: the same object shape as the
/// `error` of a `done` step (`kind`, `code`, `message`, `status`, `details`).
#[derive(Debug, Clone, PartialEq)]
pub struct FfiError(pub Value);

impl FfiError {
    /// A misuse of the C ABI (null pointer, invalid UTF-8 or JSON, wrong state): kind `ffi`.
    pub fn ffi(code: &str, message: impl Into<String>) -> Self {
        FfiError(error_object(
            "ffi",
            Some(code),
            message.into(),
            None,
            Value::Null,
        ))
    }

    /// A panic caught at the boundary: kind `ffi`, code `panic`.
    pub fn panic(payload: &(dyn std::any::Any + Send)) -> Self {
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic payload".to_owned());
        Self::ffi(
            "panic",
            format!("internal error (panic caught at the C ABI): {what}"),
        )
    }

    /// An SDK error.
    pub fn sdk(error: &Error) -> Self {
        FfiError(error_json(error))
    }
}

fn error_object(
    kind: &str,
    code: Option<&str>,
    message: String,
    status: Option<u16>,
    details: Value,
) -> Value {
    json!({
        "kind": kind,
        "code": code,
        "message": message,
        "status": status,
        "details": details,
    })
}

/// The lowercase name of a transport error kind, as accepted by `zcrm_exchange_on_transport_error`.
pub fn transport_kind_name(kind: TransportErrorKind) -> &'static str {
    match kind {
        TransportErrorKind::Connect => "connect",
        TransportErrorKind::Timeout => "timeout",
        TransportErrorKind::Io => "io",
        TransportErrorKind::BodyTooLarge => "body_too_large",
        _ => "other",
    }
}

/// Parses a transport error kind name (see [`transport_kind_name`]).
pub fn parse_transport_kind(name: &str) -> Option<TransportErrorKind> {
    Some(match name {
        "connect" => TransportErrorKind::Connect,
        "timeout" => TransportErrorKind::Timeout,
        "io" => TransportErrorKind::Io,
        "body_too_large" => TransportErrorKind::BodyTooLarge,
        "other" => TransportErrorKind::Other,
        _ => return None,
    })
}

fn auth_kind_name(kind: &AuthErrorKind) -> &'static str {
    match kind {
        AuthErrorKind::Rejected => "rejected",
        AuthErrorKind::Throttled => "throttled",
        AuthErrorKind::NoCredentials => "no_credentials",
        AuthErrorKind::TokenRejected => "token_rejected",
        AuthErrorKind::BadResponse => "bad_response",
        _ => "other",
    }
}

/// The JSON object of an SDK error: `{"kind","code","message","status","details"}`.
///
/// - `api`: `code` is Zoho's code (`INVALID_TOKEN`...), `message` Zoho's message, `details`
///   Zoho's details object;
/// - `http`: a non-success status without a Zoho body; `details` has `content_type`, `excerpt`;
/// - `auth`: `code` is the token endpoint's `error` (`invalid_code`, `Access Denied`) or null;
///   `details.auth_kind` is `rejected|throttled|no_credentials|token_rejected|bad_response`;
/// - `transport`: `code` is the kind (`connect|timeout|io|body_too_large|other`);
/// - `decode`: `details` has `endpoint`, `path`, `reason`, `excerpt`;
/// - `build`: `code` is `missing|invalid|invalid_config|body`, `details.param` when known;
/// - `scope`: the token lacks a scope the operation needs (nothing was sent); `details` has
///   `operation`, `missing` and `granted` (lists of scopes).
pub fn error_json(error: &Error) -> Value {
    let message = error.to_string();
    match error {
        Error::Api { status, error: api } => error_object(
            "api",
            Some(api.code.as_str()),
            api.message.clone(),
            Some(*status),
            api.details.clone(),
        ),
        Error::Http {
            status,
            content_type,
            excerpt,
        } => error_object(
            "http",
            None,
            message,
            Some(*status),
            json!({ "content_type": content_type, "excerpt": excerpt }),
        ),
        Error::Auth(auth) => error_object(
            "auth",
            auth.code.as_deref(),
            auth.message.clone(),
            None,
            json!({ "auth_kind": auth_kind_name(&auth.kind) }),
        ),
        Error::Transport(t) => error_object(
            "transport",
            Some(transport_kind_name(t.kind())),
            message,
            None,
            json!({ "never_connected": t.never_connected() }),
        ),
        Error::Decode(d) => error_object(
            "decode",
            None,
            message,
            Some(d.status),
            json!({
                "endpoint": d.endpoint,
                "path": d.path,
                "reason": d.reason,
                "excerpt": d.excerpt,
            }),
        ),
        Error::Build(b) => {
            let (code, param) = match b {
                BuildError::Missing(p) => ("missing", Some(*p)),
                BuildError::Invalid { param, .. } => ("invalid", Some(*param)),
                BuildError::InvalidConfig(_) => ("invalid_config", None),
                BuildError::Body(_) => ("body", None),
                _ => ("other", None),
            };
            let details = match param {
                Some(p) => json!({ "param": p }),
                None => Value::Null,
            };
            error_object("build", Some(code), message, None, details)
        }
        Error::Scope(e) => error_object(
            "scope",
            None,
            message,
            None,
            json!({ "operation": e.operation, "missing": e.missing, "granted": e.granted }),
        ),
        _ => error_object("other", None, message, error.status(), Value::Null),
    }
}

/// Milliseconds of a sleep, rounded up so a driver never wakes before the deadline.
pub fn ceil_ms(d: Duration) -> u64 {
    let ms = d.as_millis();
    let ms = if Duration::from_millis(ms as u64) < d {
        ms + 1
    } else {
        ms
    };
    u64::try_from(ms).unwrap_or(u64::MAX)
}

/// How long a binding waiting for a concurrency permit sleeps before polling again.
pub const PERMIT_POLL: Duration = Duration::from_millis(5);

/// The JSON of a step (see the crate docs for the shapes); `now` is the instant it was polled
/// at. Token store steps are performed by the library and never reach the binding.
pub fn step_json(step: Step<Value>, now: Instant, redactor: &Redactor) -> Value {
    match step {
        Step::Send(request) => {
            let headers: Vec<Value> = request
                .headers()
                .iter()
                .map(|(name, value)| {
                    json!([name.as_str(), String::from_utf8_lossy(value.as_bytes())])
                })
                .collect();
            let mut out = Map::new();
            out.insert("step".into(), json!("send"));
            out.insert("method".into(), json!(request.method().as_str()));
            out.insert("url".into(), json!(request.uri().to_string()));
            out.insert("headers".into(), Value::Array(headers));
            out.insert(
                "body_base64".into(),
                json!(base64::engine::general_purpose::STANDARD.encode(request.body())),
            );
            Value::Object(out)
        }
        Step::Backoff(until) => {
            json!({ "step": "sleep", "ms": ceil_ms(until.saturating_duration_since(now)) })
        }
        Step::Permit(_) => json!({ "step": "sleep", "ms": ceil_ms(PERMIT_POLL) }),
        Step::Done(Ok(output)) => json!({ "step": "done", "ok": true, "output": output }),
        Step::Done(Err(e)) => json!({
            "step": "done",
            "ok": false,
            "error": redactor.redact(error_json(&e)),
        }),
        // A step this version of the library does not know how to hand to a binding.
        other => json!({
            "step": "done",
            "ok": false,
            "error": error_object(
                "ffi",
                Some("unsupported_step"),
                format!("the library cannot render the step {other:?}"),
                None,
                Value::Null,
            ),
        }),
    }
}

/// Replaces every known secret in error JSON with `<redacted>`: the configured client secret,
/// refresh token and access token, and the tokens currently in the session's store.
///
/// The core never puts a secret in an error; this is a second line of defence for the one place
/// where foreign text (server bodies, panic messages) reaches the caller.
#[derive(Clone, Default)]
pub struct Redactor {
    secrets: Vec<String>,
    store: Option<Arc<dyn TokenStore>>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Redactor")
            .field("secrets", &self.secrets.len())
            .finish_non_exhaustive()
    }
}

/// Values shorter than this are not treated as secrets (they would redact ordinary words).
const MIN_SECRET_LEN: usize = 6;

impl Redactor {
    /// A redactor for these configured secrets and this token store.
    pub fn new(secrets: Vec<String>, store: Option<Arc<dyn TokenStore>>) -> Self {
        Redactor {
            secrets: secrets
                .into_iter()
                .filter(|s| s.len() >= MIN_SECRET_LEN)
                .collect(),
            store,
        }
    }

    fn all_secrets(&self) -> Vec<String> {
        let mut all = self.secrets.clone();
        if let Some(Ok(Some(stored))) = self.store.as_ref().map(|s| s.load()) {
            all.extend(stored.access_token.map(|t| t.expose().to_owned()));
            all.extend(stored.refresh_token.map(|t| t.expose().to_owned()));
        }
        all.retain(|s| s.len() >= MIN_SECRET_LEN);
        // Longest first, so a secret containing another is replaced whole.
        all.sort_by_key(|s| std::cmp::Reverse(s.len()));
        all
    }

    /// `value` with every secret inside its strings (keys included) replaced.
    pub fn redact(&self, value: Value) -> Value {
        let secrets = self.all_secrets();
        if secrets.is_empty() {
            return value;
        }
        redact_value(value, &secrets)
    }
}

fn redact_str(s: String, secrets: &[String]) -> String {
    secrets.iter().fold(s, |acc, secret| {
        if acc.contains(secret.as_str()) {
            acc.replace(secret.as_str(), "<redacted>")
        } else {
            acc
        }
    })
}

fn redact_value(value: Value, secrets: &[String]) -> Value {
    match value {
        Value::String(s) => Value::String(redact_str(s, secrets)),
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|v| redact_value(v, secrets))
                .collect(),
        ),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (redact_str(k, secrets), redact_value(v, secrets)))
                .collect(),
        ),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zohocrm_core::{ApiError, ApiErrorCode, AuthError, TransportError};

    #[test]
    fn errors_render_with_a_stable_shape() {
        let api = error_json(&Error::Api {
            status: 401,
            error: ApiError::new(ApiErrorCode::InvalidToken, "invalid oauth token"),
        });
        assert_eq!(api["kind"], "api");
        assert_eq!(api["code"], "INVALID_TOKEN");
        assert_eq!(api["status"], 401);
        let auth = error_json(&Error::Auth(AuthError::new(
            AuthErrorKind::Throttled,
            Some("Access Denied".into()),
            "slow down",
        )));
        assert_eq!(auth["details"]["auth_kind"], "throttled");
        assert_eq!(auth["code"], "Access Denied");
        let t = error_json(&Error::Transport(TransportError::new(
            TransportErrorKind::Connect,
            "refused",
        )));
        assert_eq!(t["code"], "connect");
        assert_eq!(t["details"]["never_connected"], true);
        let b = error_json(&Error::Build(BuildError::Missing("id")));
        assert_eq!(b["code"], "missing");
        assert_eq!(b["details"]["param"], "id");
        let scope = error_json(&Error::Scope(zohocrm_core::ScopeError {
            operation: "coql.get_records",
            missing: vec!["ZohoCRM.coql.READ".into()],
            granted: vec!["ZohoCRM.modules.ALL".into()],
        }));
        assert_eq!(scope["kind"], "scope");
        assert_eq!(scope["details"]["operation"], "coql.get_records");
        assert_eq!(scope["details"]["missing"][0], "ZohoCRM.coql.READ");
        for v in [api, auth, t, b, scope] {
            for key in ["kind", "code", "message", "status", "details"] {
                assert!(v.get(key).is_some(), "{key} missing in {v}");
            }
        }
    }

    #[test]
    fn kinds_round_trip() {
        for name in ["connect", "timeout", "io", "body_too_large", "other"] {
            assert_eq!(
                transport_kind_name(parse_transport_kind(name).unwrap()),
                name
            );
        }
        assert!(parse_transport_kind("Connect").is_none());
    }

    #[test]
    fn sleeps_round_up() {
        assert_eq!(ceil_ms(Duration::from_micros(1500)), 2);
        assert_eq!(ceil_ms(Duration::from_millis(7)), 7);
        assert_eq!(ceil_ms(Duration::ZERO), 0);
    }

    #[test]
    fn redaction_reaches_nested_strings_and_keys() {
        let r = Redactor::new(vec!["s3cret-value".into(), "ab".into()], None);
        let v = r.redact(json!({"message": "x s3cret-value y", "details": {"s3cret-value": ["s3cret-value"]}, "n": "ab"}));
        assert_eq!(
            v,
            json!({"message": "x <redacted> y", "details": {"<redacted>": ["<redacted>"]}, "n": "ab"})
        );
    }
}
