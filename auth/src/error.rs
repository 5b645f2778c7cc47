//! [`AuthError`]: everything that can go wrong in the auth service, and its one mapping to HTTP.
//!
//! Start-up variants (config, registry, keys, options) carry the file or variable they are
//! about, so the binary prints them as a one-line reason. Request variants are the OAuth2 error
//! responses of RFC 6749 §5.2; [`IntoResponse`] turns them into the JSON body, status and
//! headers the RFC asks for. The conversion has no side effects: the token handler logs the
//! rejection once, where it decides it.

use std::path::PathBuf;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Why the auth service could not start, or why a request was refused.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// `irsforge.yaml` could not be loaded or is invalid.
    #[error(transparent)]
    Config(#[from] shared_config::ConfigError),
    /// `auth.provider` is `demo`: the oracle signs its own tokens and no auth service runs.
    #[error(
        "auth.provider is demo: the auth service is not needed (the oracle signs its own HS256 tokens)"
    )]
    DemoProvider,
    /// `irsforge.yaml` is valid, but asks the auth service for something it does not do (the
    /// platform's schema accepts any `keyAlgorithm` and any positive port).
    #[error("{path}: {reason}")]
    Unsupported {
        /// The YAML path of the setting.
        path: &'static str,
        /// What the service cannot do with it.
        reason: String,
    },
    /// `service-accounts.yaml` could not be read.
    #[error("cannot read service accounts file {}", path.display())]
    RegistryRead {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// `service-accounts.yaml` is malformed; every problem is listed, `; `-separated.
    #[error("{}: {}", path.display(), problems.join("; "))]
    RegistryInvalid {
        /// The file.
        path: PathBuf,
        /// Each problem, with its YAML path.
        problems: Vec<String>,
    },
    /// `auth.serviceAccounts` and `service-accounts.yaml` disagree; every mismatch is listed.
    #[error("{}", problems.join("; "))]
    RegistryMismatch {
        /// Each mismatch, naming the id and both files.
        problems: Vec<String>,
    },
    /// A key file could not be read, written or locked.
    #[error("{action} {}", path.display())]
    KeyIo {
        /// What was being done, e.g. "cannot read".
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A key file holds something that is not a usable RS256 key, or a key command is refused.
    #[error("{}: {reason}", path.display())]
    KeyInvalid {
        /// The file or directory.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// An `AUTH_*` environment variable or option has a value the service cannot use.
    #[error("{name}: {reason}")]
    Option {
        /// The variable or option.
        name: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The listener failed, or the bcrypt workers could not be started.
    #[error("{action}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// RFC 6749 §5.2 `invalid_request`: malformed body, repeated parameter, two authentication
    /// methods at once, missing `grant_type`.
    #[error("invalid_request: {0}")]
    InvalidRequest(&'static str),
    /// RFC 6749 §5.2 `invalid_request` for a body over the size limit; status 413.
    #[error("invalid_request: request body too large")]
    BodyTooLarge,
    /// RFC 6749 §5.2 `invalid_client`: unknown client, wrong secret, no or malformed client
    /// authentication. Status 401; `challenge` adds `WWW-Authenticate: Basic` (required when the
    /// client used the Authorization header, and when it sent no credentials at all, RFC 9110
    /// §11.6.1).
    #[error("invalid_client")]
    InvalidClient {
        /// Whether to send the Basic challenge.
        challenge: bool,
    },
    /// RFC 6749 §5.2 `unsupported_grant_type`: only `client_credentials` (§4.4) is served.
    #[error("unsupported_grant_type")]
    UnsupportedGrantType,
    /// Too many failed attempts from this source address or for this client id: `429` with
    /// `Retry-After` (RFC 6585 §4), decided before any bcrypt work.
    #[error("too many failed attempts")]
    Throttled {
        /// Seconds until one more attempt is allowed.
        retry_after_secs: u64,
    },
    /// The bcrypt queue is full: `503` with `Retry-After` (RFC 9110 §15.6.4).
    #[error("overloaded")]
    Overloaded {
        /// Seconds the client should wait.
        retry_after_secs: u64,
    },
    /// RFC 6749 §5.2 `invalid_request` for a request (usually its body) that did not arrive
    /// within the request timeout; status 408.
    #[error("invalid_request: request timed out")]
    RequestTimeout,
    /// Our own failure while serving a request (signing failed, a worker died). The detail is
    /// logged where it happens and kept out of the response.
    #[error("internal error: {0}")]
    Internal(&'static str),
}

impl AuthError {
    /// The OAuth2 error code (RFC 6749 §5.2) or a stable reason for the non-OAuth outcomes;
    /// used in the response body, the `token_request_rejected` log line and metrics.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::InvalidRequest(_) | Self::BodyTooLarge | Self::RequestTimeout => {
                "invalid_request"
            }
            Self::InvalidClient { .. } => "invalid_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::Throttled { .. } => "throttled",
            Self::Overloaded { .. } => "overloaded",
            _ => "server_error",
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            Self::InvalidRequest(_) | Self::UnsupportedGrantType => StatusCode::BAD_REQUEST,
            Self::BodyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            Self::InvalidClient { .. } => StatusCode::UNAUTHORIZED,
            Self::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Overloaded { .. } => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn description(&self) -> Option<&'static str> {
        match self {
            Self::InvalidRequest(description) => Some(description),
            Self::BodyTooLarge => Some("request body exceeds 64 KiB"),
            Self::RequestTimeout => Some("the request did not arrive in time"),
            Self::InvalidClient { .. } => Some("client authentication failed"),
            Self::UnsupportedGrantType => Some("only grant_type=client_credentials is supported"),
            Self::Throttled { .. } => Some("too many failed attempts; retry later"),
            Self::Overloaded { .. } => Some("the token service is busy; retry later"),
            _ => None,
        }
    }
}

/// The one mapping from errors to HTTP. Every response is an RFC 6749 §5.2 JSON error with
/// `Cache-Control: no-store` and `Pragma: no-cache` (§5.1 asks for them on token responses;
/// errors of the token endpoint get them too so no cache keeps a rejection).
impl IntoResponse for AuthError {
    fn into_response(self) -> Response {
        let code = match self.reason() {
            "throttled" | "overloaded" => "temporarily_unavailable",
            reason => reason,
        };
        let body = match self.description() {
            Some(description) => {
                serde_json::json!({ "error": code, "error_description": description })
            }
            None => serde_json::json!({ "error": code }),
        };
        let mut response = (self.status(), axum::Json(body)).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
        match self {
            Self::InvalidClient { challenge: true } => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Basic realm=\"irsforge-auth\", charset=\"UTF-8\""),
                );
            }
            Self::Throttled { retry_after_secs } | Self::Overloaded { retry_after_secs } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
            }
            _ => {}
        }
        response
    }
}

#[cfg(test)]
mod tests;
