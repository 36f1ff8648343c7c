//! The one error type of the SDK, and Zoho's error codes.
//!
//! Every failure is an [`Error`]: a Zoho error ([`Error::Api`]), an HTTP failure without a Zoho
//! body ([`Error::Http`]), an authentication failure ([`Error::Auth`]), a transport failure
//! ([`Error::Transport`]), an undecodable body ([`Error::Decode`]), an invalid request caught
//! before any IO ([`Error::Build`]) or a call its token's scopes cannot make ([`Error::Scope`]).
//! `Display` always shows Zoho's code and message when there is one.
//!
//! # Example
//!
//! A Zoho error envelope, as parsed by any endpoint:
//!
//! ```
//! use zohocrm_core::features::GetUserLicences;
//! use zohocrm_core::http::Response;
//! use zohocrm_core::{Endpoint, Error};
//!
//! let body = br#"{"code":"INVALID_TOKEN","details":{},"message":"invalid oauth token","status":"error"}"#;
//! let answer = GetUserLicences.parse(Response::builder().status(401).body(&body[..])?);
//! match answer {
//!     Err(Error::Api { status, error }) => {
//!         assert_eq!(status, 401);
//!         assert_eq!(error.code.as_str(), "INVALID_TOKEN");
//!     }
//!     other => panic!("{other:?}"),
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

macro_rules! api_error_codes {
    ($($variant:ident => $code:literal,)*) => {
        /// Every error code Zoho CRM v8 is known to send, plus [`Unknown`](ApiErrorCode::Unknown)
        /// for codes this SDK has not seen. Compare against the variant, or use [`as_str`](ApiErrorCode::as_str).
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ApiErrorCode {
            $(
                #[doc = concat!("`", $code, "`")]
                $variant,
            )*
            /// A code this SDK does not know; the string is Zoho's code as sent.
            Unknown(String),
        }

        impl ApiErrorCode {
            /// Every known code string, in declaration order.
            pub const KNOWN: &'static [&'static str] = &[$($code,)*];

            /// The code exactly as Zoho spells it.
            pub fn as_str(&self) -> &str {
                match self {
                    $(ApiErrorCode::$variant => $code,)*
                    ApiErrorCode::Unknown(s) => s,
                }
            }

            /// Maps Zoho's code string to a variant; never fails.
            pub fn parse(code: &str) -> Self {
                match code {
                    $($code => ApiErrorCode::$variant,)*
                    other => ApiErrorCode::Unknown(other.to_owned()),
                }
            }
        }
    };
}

api_error_codes! {
    ActiveStateLimitExceeded => "ACTIVE_STATE_LIMIT_EXCEEDED",
    AlreadyCancelled => "ALREADY_CANCELLED",
    AlreadyEnabled => "ALREADY_ENABLED",
    AlreadyModified => "ALREADY_MODIFIED",
    AlreadyScheduled => "ALREADY_SCHEDULED",
    AlreadyShared => "ALREADY_SHARED",
    AlreadyUsed => "ALREADY_USED",
    AmbiguityDuringProcessing => "AMBIGUITY_DURING_PROCESSING",
    AmbiguousCriteria => "AMBIGUOUS_CRITERIA",
    AmbiguousGroupInCriteria => "AMBIGUOUS_GROUP_IN_CRITERIA",
    ApiNotSupported => "API_NOT_SUPPORTED",
    AuthenticationFailure => "AUTHENTICATION_FAILURE",
    AuthorizationFailed => "AUTHORIZATION_FAILED",
    BackupAlreadyScheduled => "BACKUP_ALREADY_SCHEDULED",
    BadRequest => "BAD_REQUEST",
    BlockedRecord => "BLOCKED_RECORD",
    CallbackFailure => "CALLBACK_FAILURE",
    CannotBeUpdated => "CANNOT_BE_UPDATED",
    CannotDelete => "CANNOT_DELETE",
    CannotPerformAction => "CANNOT_PERFORM_ACTION",
    CannotProcess => "CANNOT_PROCESS",
    CannotRestoreWithoutParent => "CANNOT_RESTORE_WITHOUT_PARENT",
    CannotUpdate => "CANNOT_UPDATE",
    CannotUpdateDeletedUser => "CANNOT_UPDATE_DELETED_USER",
    CoexistenceNotAllowed => "COEXISTENCE_NOT_ALLOWED",
    ColumnIndexNotFound => "COLUMN_INDEX_NOT_FOUND",
    ComparatorAndEncryptedValueInCriteriaNotCompatible => "COMPARATOR_AND_ENCRYPTED_VALUE_IN_CRITERIA_NOT_COMPATIBLE",
    ComparatorAndValueInCriteriaNotCompatible => "COMPARATOR_AND_VALUE_IN_CRITERIA_NOT_COMPATIBLE",
    ConvertedRecord => "CONVERTED_RECORD",
    CriteriaLimitExceeded => "CRITERIA_LIMIT_EXCEEDED",
    CriteriaNotSupported => "CRITERIA_NOT_SUPPORTED",
    CurrenciesNotEnabled => "CURRENCIES_NOT_ENABLED",
    CvidNotSupported => "CVID_NOT_SUPPORTED",
    DataMismatch => "DATA_MISMATCH",
    DependentFieldMismatch => "DEPENDENT_FIELD_MISMATCH",
    DependentFieldMissing => "DEPENDENT_FIELD_MISSING",
    DependentMismatch => "DEPENDENT_MISMATCH",
    DiscretePaginationLimitExceeded => "DISCRETE_PAGINATION_LIMIT_EXCEEDED",
    DuplicateAlias => "DUPLICATE_ALIAS",
    DuplicateData => "DUPLICATE_DATA",
    EmailUpdateNotAllowed => "EMAIL_UPDATE_NOT_ALLOWED",
    EmailUpdateNotAlowed => "EMAIL_UPDATE_NOT_ALOWED",
    EntityIdInvalid => "ENTITY_ID_INVALID",
    ExpectedDependentFieldMissing => "EXPECTED_DEPENDENT_FIELD_MISSING",
    ExpectedFieldMissing => "EXPECTED_FIELD_MISSING",
    ExpectedParamMissing => "EXPECTED_PARAM_MISSING",
    ExpiredValue => "EXPIRED_VALUE",
    FeatureNotEnabled => "FEATURE_NOT_ENABLED",
    FeatureNotSupported => "FEATURE_NOT_SUPPORTED",
    FeaturePermission => "FEATURE_PERMISSION",
    FieldAndComparatorInCriteriaNotCompatible => "FIELD_AND_COMPARATOR_IN_CRITERIA_NOT_COMPATIBLE",
    FieldAndValueInCriteriaNotCompatible => "FIELD_AND_VALUE_IN_CRITERIA_NOT_COMPATIBLE",
    FieldComparatorInCriteriaNotSupported => "FIELD_COMPARATOR_IN_CRITERIA_NOT_SUPPORTED",
    FieldInCriteriaNotAvailable => "FIELD_IN_CRITERIA_NOT_AVAILABLE",
    FieldInCriteriaNotSupported => "FIELD_IN_CRITERIA_NOT_SUPPORTED",
    FieldNotAvailable => "FIELD_NOT_AVAILABLE",
    FieldNotSupported => "FIELD_NOT_SUPPORTED",
    FileNotSupported => "FILE_NOT_SUPPORTED",
    FileSizeMoreThanAllowedSize => "FILE_SIZE_MORE_THAN_ALLOWED_SIZE",
    FileTooLarge => "FILE_TOO_LARGE",
    FilterCriteriaNotSatisfied => "FILTER_CRITERIA_NOT_SATISFIED",
    GroupOperatorNotSupported => "GROUP_OPERATOR_NOT_SUPPORTED",
    HeaderLimitExceeded => "HEADER_LIMIT_EXCEEDED",
    IdAlreadyActive => "ID_ALREADY_ACTIVE",
    IdAlreadyConverted => "ID_ALREADY_CONVERTED",
    IdAlreadyDeactivated => "ID_ALREADY_DEACTIVATED",
    IdAlreadyDeleted => "ID_ALREADY_DELETED",
    Inprogress => "INPROGRESS",
    InternalError => "INTERNAL_ERROR",
    InternalServerError => "INTERNAL_SERVER_ERROR",
    InvalidAlias => "INVALID_ALIAS",
    InvalidBulkOperation => "INVALID_BULK_OPERATION",
    InvalidCallbackMethod => "INVALID_CALLBACK_METHOD",
    InvalidCallbackUrl => "INVALID_CALLBACK_URL",
    InvalidCriteria => "INVALID_CRITERIA",
    InvalidData => "INVALID_DATA",
    InvalidField => "INVALID_FIELD",
    InvalidFieldName => "INVALID_FIELD_NAME",
    InvalidFileFormat => "INVALID_FILE_FORMAT",
    InvalidFileId => "INVALID_FILE_ID",
    InvalidFormat => "INVALID_FORMAT",
    InvalidHost => "INVALID_HOST",
    InvalidModule => "INVALID_MODULE",
    InvalidOauthtoken => "INVALID_OAUTHTOKEN",
    InvalidQuery => "INVALID_QUERY",
    InvalidReference => "INVALID_REFERENCE",
    InvalidRequest => "INVALID_REQUEST",
    InvalidRequestMethod => "INVALID_REQUEST_METHOD",
    InvalidServiceName => "INVALID_SERVICE_NAME",
    InvalidToken => "INVALID_TOKEN",
    InvalidUrlPattern => "INVALID_URL_PATTERN",
    InvalidModuleCamel => "InvalidModule",
    JobNotSupported => "JOB_NOT_SUPPORTED",
    JoinLimitExceeded => "JOIN_LIMIT_EXCEEDED",
    JsonParseError => "JSON_PARSE_ERROR",
    LicenseLimitExceeded => "LICENSE_LIMIT_EXCEEDED",
    LimitExceeded => "LIMIT_EXCEEDED",
    LimitReached => "LIMIT_REACHED",
    LoopingFound => "LOOPING_FOUND",
    MandatoryFieldsNotMapped => "MANDATORY_FIELDS_NOT_MAPPED",
    MandatoryNotFound => "MANDATORY_NOT_FOUND",
    MappingMismatch => "MAPPING_MISMATCH",
    MediaTypeNotSupported => "MEDIA_TYPE_NOT_SUPPORTED",
    MissingRequiredKey => "MISSING_REQUIRED_KEY",
    ModuleNotAvailable => "MODULE_NOT_AVAILABLE",
    ModuleNotSupported => "MODULE_NOT_SUPPORTED",
    MultipleOrMultiErrors => "MULTIPLE_OR_MULTI_ERRORS",
    NotAllowed => "NOT_ALLOWED",
    NotApproved => "NOT_APPROVED",
    NotFound => "NOT_FOUND",
    NotReviewed => "NOT_REVIEWED",
    NotShared => "NOT_SHARED",
    NotSubscribed => "NOT_SUBSCRIBED",
    NotSupported => "NOT_SUPPORTED",
    NotSupportedFeature => "NOT_SUPPORTED_FEATURE",
    NoContent => "NO_CONTENT",
    NoPermission => "NO_PERMISSION",
    NoRecordsFound => "NO_RECORDS_FOUND",
    NotModified => "Not Modified",
    OauthScopeMismatch => "OAUTH_SCOPE_MISMATCH",
    PageNotSupported => "PAGE_NOT_SUPPORTED",
    PageRangeExceeded => "PAGE_RANGE_EXCEEDED",
    PaginationLimitExceeded => "PAGINATION_LIMIT_EXCEEDED",
    PatternNotMatched => "PATTERN_NOT_MATCHED",
    PermissionDenied => "PERMISSION_DENIED",
    ProcessingStopped => "PROCESSING_STOPPED",
    QueryNotSupported => "QUERY_NOT_SUPPORTED",
    RecordInBlueprint => "RECORD_IN_BLUEPRINT",
    RecordLocked => "RECORD_LOCKED",
    RecordNotInProcess => "RECORD_NOT_IN_PROCESS",
    RequestBodyIsEmpty => "REQUEST_BODY_IS_EMPTY",
    RequestBodyNotReadable => "REQUEST_BODY_NOT_READABLE",
    RequestBodyNotSupported => "REQUEST_BODY_NOT_SUPPORTED",
    RequestEntityTooLarge => "REQUEST_ENTITY_TOO_LARGE",
    RequestTimeout => "REQUEST_TIMEOUT",
    RequiredDataNotFound => "REQUIRED_DATA_NOT_FOUND",
    RequiredParamMissing => "REQUIRED_PARAM_MISSING",
    ReservedKeywordNotAllowed => "RESERVED_KEYWORD_NOT_ALLOWED",
    ResourceNotFound => "RESOURCE_NOT_FOUND",
    RollbackPerformed => "ROLLBACK_PERFORMED",
    ShareLimitExceeded => "SHARE_LIMIT_EXCEEDED",
    StorageSpaceExceeded => "STORAGE_SPACE_EXCEEDED",
    SyntaxError => "SYNTAX_ERROR",
    TerritoryDisabled => "TERRITORY_DISABLED",
    TerritoryNotEnabled => "TERRITORY_NOT_ENABLED",
    TokenBoundDataMismatch => "TOKEN_BOUND_DATA_MISMATCH",
    TooManyRequests => "TOO_MANY_REQUESTS",
    UnableToParseDataType => "UNABLE_TO_PARSE_DATA_TYPE",
    Unapprovable => "UNAPPROVABLE",
    UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE",
    ValueInCriteriaNotSupported => "VALUE_IN_CRITERIA_NOT_SUPPORTED",
    ValueLimitExceededInCriteria => "VALUE_LIMIT_EXCEEDED_IN_CRITERIA",
    ValueTypeNotSupported => "VALUE_TYPE_NOT_SUPPORTED",
    VersionNotSupported => "VERSION_NOT_SUPPORTED",
    VirusDetected => "VIRUS_DETECTED",
    FailureInAttachmentHandling => "failure_in_attachment_handling",
}

impl fmt::Display for ApiErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ApiErrorCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ApiErrorCode {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        Ok(ApiErrorCode::parse(&s))
    }
}

/// One Zoho error status object: `{"code", "message", "details", "status": "error"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiError {
    /// Zoho's error code.
    pub code: ApiErrorCode,
    /// Zoho's message (may be empty).
    #[serde(default)]
    pub message: String,
    /// Zoho's `details` object (field names, JSON paths, limits...), `Null` when absent.
    #[serde(default)]
    pub details: Value,
}

impl ApiError {
    /// An error with the given code and message and no details.
    pub fn new(code: ApiErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
            details: Value::Null,
        }
    }

    /// A string inside `details`, e.g. `api_name` or `json_path`.
    pub fn detail_str(&self, key: &str) -> Option<&str> {
        self.details.get(key).and_then(Value::as_str)
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.message.is_empty() {
            write!(f, "{}", self.code)
        } else {
            write!(f, "{}: {}", self.code, self.message)
        }
    }
}

/// A request that cannot be built: caught before any IO.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// A required parameter is missing or empty.
    #[error("missing required parameter `{0}`")]
    Missing(&'static str),
    /// A parameter breaks one of Zoho's documented limits.
    #[error("`{param}`: {reason}")]
    Invalid {
        /// The API parameter name.
        param: &'static str,
        /// What is wrong, in a few words.
        reason: String,
    },
    /// A configuration value (URL, data centre, credentials) is invalid.
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),
    /// A body could not be serialised.
    #[error("cannot serialise the request body: {0}")]
    Body(String),
}

impl BuildError {
    /// `Err(Missing(param))` when `value` is empty or blank.
    pub fn require(param: &'static str, value: &str) -> Result<(), BuildError> {
        if value.trim().is_empty() {
            Err(BuildError::Missing(param))
        } else {
            Ok(())
        }
    }
}

/// Why authentication failed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthErrorKind {
    /// The token endpoint refused the grant (`invalid_code`, `invalid_client`, ...).
    Rejected,
    /// Too many token requests for this refresh token (`Access Denied`); wait before retrying.
    Throttled,
    /// No way to get an access token: no refresh token, grant or client-credentials configured.
    NoCredentials,
    /// The API kept answering 401 `INVALID_TOKEN` after a fresh token was obtained.
    TokenRejected,
    /// The token response could not be understood.
    BadResponse,
}

/// An OAuth failure. Holds Zoho's error string (e.g. `invalid_code`), never a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("authentication failed ({kind:?}): {message}")]
pub struct AuthError {
    /// The category.
    pub kind: AuthErrorKind,
    /// Zoho's `error` value (e.g. `invalid_code`, `Access Denied`), if any.
    pub code: Option<String>,
    /// A readable explanation, including Zoho's `error_description` when sent.
    pub message: String,
}

impl AuthError {
    /// A new auth error.
    pub fn new(kind: AuthErrorKind, code: Option<String>, message: impl Into<String>) -> Self {
        AuthError {
            kind,
            code,
            message: message.into(),
        }
    }
}

/// What kind of transport failure happened; used by the retry policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// The connection could not be established (refused, DNS, TLS handshake). The request never
    /// reached the server, so any method may be retried.
    Connect,
    /// The request or response timed out after the connection was made.
    Timeout,
    /// The connection broke while sending or receiving; the server may have acted on the request.
    Io,
    /// The response body exceeded the configured size limit.
    BodyTooLarge,
    /// Anything else (invalid response, protocol error).
    Other,
}

/// A transport failure, opaque apart from its kind and message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("transport error ({kind:?}): {message}")]
pub struct TransportError {
    kind: TransportErrorKind,
    message: String,
}

impl TransportError {
    /// A transport error of `kind`; `message` must not hold secrets (transports pass the
    /// underlying error's `Display`, which never contains headers).
    pub fn new(kind: TransportErrorKind, message: impl Into<String>) -> Self {
        TransportError {
            kind,
            message: message.into(),
        }
    }

    /// The kind of failure.
    pub fn kind(&self) -> TransportErrorKind {
        self.kind
    }

    /// True when the request certainly never reached the server.
    pub fn never_connected(&self) -> bool {
        self.kind == TransportErrorKind::Connect
    }
}

/// A body that could not be decoded into the endpoint's output.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot decode the response of {endpoint} (HTTP {status}) at {path}: {reason}; body starts {excerpt:?}")]
pub struct DecodeError {
    /// The endpoint id, e.g. `features.get_user_licences_count`.
    pub endpoint: &'static str,
    /// The HTTP status.
    pub status: u16,
    /// Where in the body decoding failed (JSON path or `line:column`).
    pub path: String,
    /// What went wrong.
    pub reason: String,
    /// The first bytes of the body (at most 200 characters).
    pub excerpt: String,
}

/// A call refused before anything was sent: its operation needs an OAuth scope the token was
/// not granted (see [`crate::scopes`]). Zoho would answer `401 OAUTH_SCOPE_MISMATCH`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{operation} needs the OAuth scope {}, which the token was not granted (granted: {}); nothing was sent",
    .missing.join(" and "),
    .granted.join(", ")
)]
pub struct ScopeError {
    /// The operation id, e.g. `coql.get_records`.
    pub operation: &'static str,
    /// The scopes to add, one per requirement not met (e.g. `ZohoCRM.coql.READ`).
    pub missing: Vec<String>,
    /// The scopes the token was granted.
    pub granted: Vec<String>,
}

/// What kind of client-side limit refused a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LimitErrorKind {
    /// The daily credit budget set on the client is spent (see [`crate::credits`]).
    CreditBudget,
    /// No slot of the org-wide limiter came free within the configured wait (see
    /// [`crate::org_limit`]).
    OrgBusy,
}

/// A call refused by a client-side limit before anything was sent; not retried.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct LimitError {
    /// Which limit.
    pub kind: LimitErrorKind,
    /// What happened, with the numbers (spent, budget, window or wait).
    pub message: String,
}

impl LimitError {
    /// A limit error of `kind`.
    pub fn new(kind: LimitErrorKind, message: impl Into<String>) -> Self {
        LimitError {
            kind,
            message: message.into(),
        }
    }
}

/// The SDK's error type.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Zoho answered with an error status object.
    #[error("zoho api error (HTTP {status}): {error}")]
    Api {
        /// The HTTP status of the response.
        status: u16,
        /// Zoho's error.
        error: ApiError,
    },
    /// A non-success HTTP status without a Zoho error body (e.g. an HTML page from a proxy).
    #[error("unexpected HTTP {status} ({content_type}): body starts {excerpt:?}")]
    Http {
        /// The HTTP status.
        status: u16,
        /// The response's content type, or empty.
        content_type: String,
        /// The first bytes of the body (at most 200 characters).
        excerpt: String,
    },
    /// Authentication failed.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// The request did not complete at the transport level.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// The response could not be decoded.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// The request was invalid and was not sent.
    #[error("invalid request: {0}")]
    Build(#[from] BuildError),
    /// The token lacks a scope the operation needs; the request was not sent.
    #[error(transparent)]
    Scope(#[from] ScopeError),
    /// A client-side limit (the daily credit budget, the org-wide limiter's wait) refused the
    /// call; nothing was sent.
    #[error(transparent)]
    Limit(#[from] LimitError),
}

impl Error {
    /// The Zoho error code, when this is a Zoho API error.
    pub fn api_code(&self) -> Option<&ApiErrorCode> {
        match self {
            Error::Api { error, .. } => Some(&error.code),
            _ => None,
        }
    }

    /// The HTTP status, when a response was received.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api { status, .. } | Error::Http { status, .. } => Some(*status),
            Error::Decode(d) => Some(d.status),
            _ => None,
        }
    }
}

/// The first 200 characters of a body, lossily decoded, for error messages.
pub fn excerpt(body: &[u8]) -> String {
    let head = &body[..body.len().min(800)];
    String::from_utf8_lossy(head).chars().take(200).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for code in ApiErrorCode::KNOWN {
            let parsed = ApiErrorCode::parse(code);
            assert!(!matches!(parsed, ApiErrorCode::Unknown(_)), "{code}");
            assert_eq!(parsed.as_str(), *code);
        }
        assert_eq!(
            ApiErrorCode::parse("SOMETHING_NEW"),
            ApiErrorCode::Unknown("SOMETHING_NEW".into())
        );
    }

    #[test]
    fn display_shows_code_and_message() {
        let e = Error::Api {
            status: 401,
            error: ApiError::new(ApiErrorCode::OauthScopeMismatch, "Unauthorized"),
        };
        assert_eq!(
            e.to_string(),
            "zoho api error (HTTP 401): OAUTH_SCOPE_MISMATCH: Unauthorized"
        );
    }
}
