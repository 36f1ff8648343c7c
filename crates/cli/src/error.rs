//! Failures of a command, their exit codes and the one line printed for them on stderr.
//!
//! Exit codes: 0 ok, 1 API error, 2 usage or configuration, 3 authentication, 4 network.

use std::fmt::Write as _;
use std::process::ExitCode;

use serde_json::Value;
use zohocrm_core::error::{AuthErrorKind, TransportErrorKind};
use zohocrm_core::jobs::JobError;
use zohocrm_core::records::BatchError;
use zohocrm_core::{ApiError, Error};

/// The exit codes of `zcrm`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Success.
    Ok = 0,
    /// Zoho answered with an error (or some rows of a write failed).
    Api = 1,
    /// The command line, the configuration or the input is wrong (clap uses 2 too).
    Usage = 2,
    /// Authentication failed.
    Auth = 3,
    /// The server could not be reached.
    Network = 4,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> Self {
        ExitCode::from(e as u8)
    }
}

/// Why a command failed.
#[derive(Debug)]
pub enum CliError {
    /// An SDK error.
    Zoho(Error),
    /// A write that stopped part-way; the outcomes of what was done are printed before.
    Batch(BatchError),
    /// Bad command line, configuration or input.
    Usage(String),
    /// An authentication problem found by the tool itself (e.g. nothing to revoke).
    Auth(String),
    /// Zoho refused the request; the line says why (exit 1).
    Api(String),
    /// Already reported (e.g. per-row failures); exit with this code.
    Reported(Exit),
    /// Writing the output failed.
    Io(std::io::Error),
    /// A bulk job, or the files it reads and writes, failed.
    Job(JobError),
}

impl From<JobError> for CliError {
    fn from(e: JobError) -> Self {
        match e {
            JobError::Api(e) => CliError::Zoho(*e),
            other => CliError::Job(other),
        }
    }
}

impl From<Error> for CliError {
    fn from(e: Error) -> Self {
        CliError::Zoho(e)
    }
}

impl From<BatchError> for CliError {
    fn from(e: BatchError) -> Self {
        CliError::Batch(e)
    }
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        CliError::Io(e)
    }
}

/// Zoho codes that mean the credentials, not the request, are at fault.
const AUTH_CODES: [&str; 3] = [
    "INVALID_TOKEN",
    "AUTHENTICATION_FAILURE",
    "OAUTH_SCOPE_MISMATCH",
];

/// The exit code of an SDK error.
pub fn exit_of(e: &Error) -> Exit {
    match e {
        Error::Api { error, .. } if AUTH_CODES.contains(&error.code.as_str()) => Exit::Auth,
        Error::Api { .. } | Error::Http { .. } | Error::Decode(_) => Exit::Api,
        Error::Auth(_) | Error::Scope(_) => Exit::Auth,
        Error::Transport(_) => Exit::Network,
        Error::Build(_) => Exit::Usage,
        _ => Exit::Api,
    }
}

impl CliError {
    /// The exit code.
    pub fn exit(&self) -> Exit {
        match self {
            CliError::Zoho(e) => exit_of(e),
            CliError::Batch(b) => exit_of(&b.error),
            CliError::Usage(_) => Exit::Usage,
            CliError::Auth(_) => Exit::Auth,
            CliError::Api(_) => Exit::Api,
            CliError::Reported(code) => *code,
            CliError::Io(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Exit::Ok,
            CliError::Io(_) => Exit::Api,
            CliError::Job(e) => job_exit(e),
        }
    }

    /// The line for stderr (without the `zcrm: ` prefix), or `None` when there is nothing to say.
    /// `scope` is the OAuth scope the command needs, for `OAUTH_SCOPE_MISMATCH`.
    pub fn message(&self, scope: Option<&str>) -> Option<String> {
        match self {
            CliError::Zoho(e) => Some(describe(e, scope)),
            CliError::Batch(b) => {
                let mut line = format!(
                    "the write stopped after {} of {} rows: {}",
                    b.done.items.len(),
                    b.total,
                    describe(&b.error, scope)
                );
                if !b.extra.is_empty() {
                    let _ = write!(
                        line,
                        "; the {} outcomes beyond the rows are printed after them",
                        b.extra.len()
                    );
                }
                Some(line)
            }
            CliError::Usage(m) | CliError::Auth(m) | CliError::Api(m) => Some(m.clone()),
            CliError::Reported(_) => None,
            CliError::Io(e) if e.kind() == std::io::ErrorKind::BrokenPipe => None,
            CliError::Io(e) => Some(format!("cannot write the output: {e}")),
            CliError::Job(e) => Some(describe_job(e, scope)),
        }
    }
}

/// The exit code of a bulk job failure: the job failed or timed out, or its result file is
/// not what Zoho documents → 1; a local file (temporary or input) could not be used → 2.
pub fn job_exit(e: &JobError) -> Exit {
    match e {
        JobError::Api(e) => exit_of(e),
        JobError::Io(_) => Exit::Usage,
        _ => Exit::Api,
    }
}

/// One readable line for a bulk job failure.
pub fn describe_job(e: &JobError, scope: Option<&str>) -> String {
    match e {
        JobError::Api(e) => describe(e, scope),
        JobError::Failed {
            job_id,
            state,
            message,
            error,
        } => {
            let mut line = format!("bulk job {job_id} ended {state}: {message}");
            if let Some(error) = error {
                if !message.contains(error.code.as_str()) {
                    let _ = write!(line, " ({}: {})", error.code.as_str(), error.message);
                }
            }
            line
        }
        JobError::TimedOut {
            job_id,
            state,
            waited,
        } => format!(
            "bulk job {job_id} is still {state} after {}s; hint: raise --job-timeout (the job \
             goes on at Zoho: `zcrm api GET /crm/bulk/v8/read/{job_id}` or `.../write/{job_id}` \
             shows it)",
            waited.as_secs()
        ),
        JobError::Io(e) => format!(
            "file error: {e}; hint: check the free space and the permissions of the output \
             file's directory and of the temporary directory ({})",
            std::env::temp_dir().display()
        ),
        other => other.to_string(),
    }
}

/// One readable line for an SDK error: Zoho's code and message, then a hint.
pub fn describe(e: &Error, scope: Option<&str>) -> String {
    let mut line = match e {
        Error::Api { status, error } => {
            let mut s = error.code.as_str().to_owned();
            if !error.message.is_empty() {
                let _ = write!(s, ": {}", error.message);
            }
            let _ = write!(s, " (HTTP {status})");
            if let Some(d) = details_summary(error) {
                let _ = write!(s, " [{d}]");
            }
            s
        }
        Error::Auth(a) => {
            let code = a.code.as_deref().unwrap_or(match a.kind {
                AuthErrorKind::Throttled => "throttled",
                AuthErrorKind::NoCredentials => "no_credentials",
                AuthErrorKind::TokenRejected => "token_rejected",
                _ => "auth_failed",
            });
            format!("authentication failed: {code}: {}", a.message)
        }
        Error::Transport(t) => format!("network error: {t}"),
        Error::Http {
            status,
            content_type,
            excerpt,
        } => {
            let mut s =
                format!("unexpected HTTP {status} ({content_type}) without a Zoho error body");
            let text = excerpt.split_whitespace().collect::<Vec<_>>().join(" ");
            if !text.is_empty() {
                let _ = write!(s, "; it starts {:?}", shorten(&text, 160));
            }
            s
        }
        Error::Decode(d) => d.to_string(),
        Error::Build(b) => format!("invalid request: {b}"),
        other => other.to_string(),
    };
    if let Some(h) = hint(e, scope) {
        let _ = write!(line, "; hint: {h}");
    }
    line
}

/// What Zoho's `details` say about an error, in a few words: the field or parameter it is
/// about, the COQL clause, the index of the item in the path, and for a duplicate, the record
/// it duplicates.
pub fn details_summary(error: &ApiError) -> Option<String> {
    let d = &error.details;
    let text = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    let mut parts: Vec<String> = [
        "api_name",
        "param_name",
        "json_path",
        "clause",
        "line",
        "column",
        "near",
        "resource_path_index",
    ]
    .iter()
    .filter_map(|k| d.get(k).and_then(text).map(|v| format!("{k} {v}")))
    .collect();
    // The record a duplicate clashes with: `duplicate_record {id, module}` (v8), or `id` and
    // `module` beside the field (older answers).
    let (dup, whole) = match d.get("duplicate_record") {
        Some(r) => (r, true),
        None => (d, false),
    };
    let module = match dup.get("module") {
        Some(Value::Object(m)) => m.get("api_name").and_then(text),
        Some(other) => text(other),
        None => None,
    };
    let id = dup.get("id").and_then(text);
    if whole || error.code.as_str() == "DUPLICATE_DATA" {
        match (module, id) {
            (Some(m), Some(id)) => parts.push(format!("duplicate of {m} record {id}")),
            (None, Some(id)) => parts.push(format!("duplicate of record {id}")),
            _ => {}
        }
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// At most `max` characters of `text`, with `…` when cut.
fn shorten(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

/// What to do about an error, when there is something useful to say.
fn hint(e: &Error, scope: Option<&str>) -> Option<String> {
    match e {
        Error::Api { error, .. } => Some(match error.code.as_str() {
            "OAUTH_SCOPE_MISMATCH" => match scope {
                Some(s) => format!(
                    "the token lacks the scope this command needs ({s}); generate a new grant code \
                     with it and run `zcrm auth login --grant-code CODE`"
                ),
                None => "the token lacks the scope of this operation (see Zoho's API docs); \
                         generate a new grant code with it and run `zcrm auth login`"
                    .into(),
            },
            "INVALID_TOKEN" | "AUTHENTICATION_FAILURE" => {
                "the access token was refused; check ZOHO_DC (tokens belong to one data centre) \
                 or sign in again with `zcrm auth login --grant-code CODE`"
                    .into()
            }
            "TERRITORY_NOT_ENABLED" | "TERRITORY_DISABLED" => {
                "enable territory management in Zoho CRM (Setup → Users and Control → Territory \
                 Management)"
                    .into()
            }
            "INVALID_MODULE" | "MODULE_NOT_AVAILABLE" | "InvalidModule" => {
                "module names are API names, case-sensitive (Leads, Contacts, Deals...); list them \
                 with `zcrm api GET settings/modules`"
                    .into()
            }
            "NO_PERMISSION" | "PERMISSION_DENIED" | "FEATURE_PERMISSION" => {
                "the signed-in user's profile lacks this permission".into()
            }
            "TOO_MANY_REQUESTS" | "LIMIT_EXCEEDED" | "LIMIT_REACHED" => {
                "Zoho's API limits were reached; wait, or use fewer calls (--per-page 200)".into()
            }
            "INVALID_QUERY" | "SYNTAX_ERROR" => {
                "check the query against Zoho's COQL syntax (field API names, quoted strings)"
                    .into()
            }
            "MANDATORY_NOT_FOUND" | "REQUIRED_PARAM_MISSING" => {
                "a required field or parameter is missing".into()
            }
            _ => return None,
        }),
        Error::Auth(a) => Some(match (&a.kind, a.code.as_deref()) {
            (AuthErrorKind::Throttled, _) => {
                "Zoho allows 10 access tokens per refresh token per 10 minutes; wait and retry \
                 (zcrm caches tokens in its token store to avoid this)"
                    .into()
            }
            (AuthErrorKind::NoCredentials, _) => {
                "set ZOHO_REFRESH_TOKEN (or --refresh-token), or run `zcrm auth login --grant-code \
                 CODE` once"
                    .into()
            }
            (_, Some("invalid_code")) => {
                "grant codes are single-use and expire within minutes; generate a new one in the \
                 API console (Self Client) — for a refresh token, check ZOHO_REFRESH_TOKEN and \
                 ZOHO_DC"
                    .into()
            }
            (_, Some("invalid_client" | "invalid_client_secret")) => {
                "check ZOHO_CLIENT_ID and ZOHO_CLIENT_SECRET, and that ZOHO_DC is the data centre \
                 the client was made in"
                    .into()
            }
            _ => {
                "check the credentials and ZOHO_DC, or sign in again with `zcrm auth login`".into()
            }
        }),
        Error::Transport(t) => Some(match t.kind() {
            TransportErrorKind::Connect => {
                "the server could not be reached; check the network, ZOHO_DC, ZOHO_API_DOMAIN and \
                 ZOHO_ACCOUNTS_URL"
                    .into()
            }
            TransportErrorKind::Timeout => "the server is slow; raise --timeout".into(),
            TransportErrorKind::BodyTooLarge => "ask for fewer records per page".into(),
            _ => "the connection broke; retry".into(),
        }),
        Error::Decode(_) => {
            Some("the answer was not what this tool expected; `zcrm api` shows the raw JSON".into())
        }
        Error::Scope(_) => Some(
            "generate a grant code with the missing scope (`zcrm auth scopes COMMAND...` lists \
             what commands need) and log in again; or, if the token has it, correct ZOHO_SCOPES"
                .into(),
        ),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zohocrm_core::{ApiError, ApiErrorCode, AuthError, TransportError};

    #[test]
    fn exit_codes_follow_the_error_kind() {
        let api = |code: ApiErrorCode| Error::Api {
            status: 400,
            error: ApiError::new(code, "m"),
        };
        assert_eq!(exit_of(&api(ApiErrorCode::InvalidData)), Exit::Api);
        assert_eq!(exit_of(&api(ApiErrorCode::OauthScopeMismatch)), Exit::Auth);
        assert_eq!(exit_of(&api(ApiErrorCode::InvalidToken)), Exit::Auth);
        let auth = Error::Auth(AuthError::new(AuthErrorKind::Rejected, None, "x"));
        assert_eq!(exit_of(&auth), Exit::Auth);
        let net = Error::Transport(TransportError::new(TransportErrorKind::Connect, "refused"));
        assert_eq!(exit_of(&net), Exit::Network);
        let build = Error::Build(zohocrm_core::BuildError::Missing("fields"));
        assert_eq!(exit_of(&build), Exit::Usage);
    }

    #[test]
    fn lines_keep_what_zoho_said() {
        let with = |code: ApiErrorCode, details: Value| Error::Api {
            status: 400,
            error: ApiError {
                code,
                message: "m".into(),
                details,
            },
        };
        let coql = describe(
            &with(
                ApiErrorCode::SyntaxError,
                serde_json::json!({"clause": "where"}),
            ),
            None,
        );
        assert!(coql.contains("[clause where]"), "{coql}");
        let index = describe(
            &with(
                ApiErrorCode::InvalidData,
                serde_json::json!({"resource_path_index": 1, "api_name": "id"}),
            ),
            None,
        );
        assert!(
            index.contains("[api_name id, resource_path_index 1]"),
            "{index}"
        );
        let duplicate = describe(
            &with(
                ApiErrorCode::DuplicateData,
                serde_json::json!({"api_name": "Email", "json_path": "$.data[0].Email",
                    "duplicate_record": {"id": "5725767000000", "module": {"api_name": "Leads", "id": "1"}}}),
            ),
            None,
        );
        assert!(
            duplicate.contains("duplicate of Leads record 5725767000000"),
            "{duplicate}"
        );
        let older = details_summary(&ApiError {
            code: ApiErrorCode::DuplicateData,
            message: String::new(),
            details: serde_json::json!({"api_name": "Email", "id": "9", "module": "Contacts"}),
        });
        assert_eq!(
            older.as_deref(),
            Some("api_name Email, duplicate of Contacts record 9")
        );
        let html = Error::Http {
            status: 502,
            content_type: "text/html".into(),
            excerpt: "<html><head><title>502 Bad Gateway</title></head>\n<body>".into(),
        };
        let line = describe(&html, None);
        assert!(line.contains("502 Bad Gateway"), "{line}");
        assert!(!line.contains('\n'), "{line}");
    }

    #[test]
    fn scope_mismatch_names_the_scope() {
        let e = Error::Api {
            status: 401,
            error: ApiError::new(ApiErrorCode::OauthScopeMismatch, "Unauthorized"),
        };
        let line = describe(&e, Some("ZohoCRM.settings.territories.ALL"));
        assert!(line.starts_with("OAUTH_SCOPE_MISMATCH: Unauthorized (HTTP 401); hint:"));
        assert!(line.contains("ZohoCRM.settings.territories.ALL"));
        assert!(!line.contains('\n'));
    }
}
