//! JSON API v1 response envelopes and error shapes (`docs/ledger-json-api.md` §2.1, §2.5).
//!
//! Success: `{"status": 200, "result": …, "warnings"?: …}`. Failure:
//! `{"status": <http>, "errors": ["…"], "ledgerApiError"?: {…}}`, where `status` always equals
//! the HTTP status and `ledgerApiError` appears only for errors a real JSON API passes through
//! from the participant's Ledger API. Every rejection is built here, so status codes and texts
//! live in one place.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// A rejected request: an HTTP status, the `errors` texts and a stable reason for logs.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) message: String,
    /// A stable snake_case reason, logged as the `reason` field.
    pub(crate) reason: &'static str,
    ledger_api_error: Option<Value>,
}

/// The reason and message of a rejection, left in the response extensions for the logging
/// middleware, so building a response has no side effects.
#[derive(Debug, Clone)]
pub(crate) struct RejectionLog {
    pub(crate) reason: &'static str,
    pub(crate) message: String,
}

/// A Ledger API error code as the JSON API passes it through: HTTP status, gRPC status (name
/// and number, for `ledgerApiError.code`), Canton error id and error category.
struct LedgerCode {
    status: StatusCode,
    reason: &'static str,
    grpc_name: &'static str,
    grpc_code: i32,
    error_id: &'static str,
    category: u8,
}

const fn code(
    status: StatusCode,
    reason: &'static str,
    grpc: (&'static str, i32),
    error_id: &'static str,
    category: u8,
) -> LedgerCode {
    LedgerCode {
        status,
        reason,
        grpc_name: grpc.0,
        grpc_code: grpc.1,
        error_id,
        category,
    }
}

const NOT_FOUND: (&str, i32) = ("NOT_FOUND", 5);
const ALREADY_EXISTS: (&str, i32) = ("ALREADY_EXISTS", 6);
const PERMISSION_DENIED: (&str, i32) = ("PERMISSION_DENIED", 7);
const FAILED_PRECONDITION: (&str, i32) = ("FAILED_PRECONDITION", 9);

const CONTRACT_NOT_FOUND: LedgerCode = code(
    StatusCode::NOT_FOUND,
    "contract_not_found",
    NOT_FOUND,
    "CONTRACT_NOT_FOUND",
    11,
);
const CONTRACT_KEY_NOT_FOUND: LedgerCode = code(
    StatusCode::NOT_FOUND,
    "contract_key_not_found",
    NOT_FOUND,
    "CONTRACT_KEY_NOT_FOUND",
    11,
);
const UNKNOWN_SUBMITTERS: LedgerCode = code(
    StatusCode::NOT_FOUND,
    "unknown_submitters",
    NOT_FOUND,
    "UNKNOWN_SUBMITTERS",
    11,
);
const UNKNOWN_INFORMEES: LedgerCode = code(
    StatusCode::NOT_FOUND,
    "unknown_informees",
    NOT_FOUND,
    "UNKNOWN_INFORMEES",
    11,
);
const DAML_INTERPRETATION_ERROR: LedgerCode = code(
    StatusCode::BAD_REQUEST,
    "daml_interpretation_error",
    FAILED_PRECONDITION,
    "DAML_INTERPRETATION_ERROR",
    9,
);
const DUPLICATE_CONTRACT_KEY: LedgerCode = code(
    StatusCode::CONFLICT,
    "duplicate_contract_key",
    ALREADY_EXISTS,
    "DUPLICATE_CONTRACT_KEY",
    10,
);
const PARTY_ALREADY_EXISTS: LedgerCode = code(
    StatusCode::CONFLICT,
    "party_already_exists",
    ALREADY_EXISTS,
    "PARTY_ALREADY_EXISTS",
    10,
);
const PERMISSION_DENIED_FORBIDDEN: LedgerCode = code(
    StatusCode::FORBIDDEN,
    "permission_denied",
    PERMISSION_DENIED,
    "PERMISSION_DENIED",
    7,
);

impl ApiError {
    fn plain(status: StatusCode, reason: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            reason,
            ledger_api_error: None,
        }
    }

    /// A Ledger API error passed through: `<GRPC_NAME>: <ERROR_ID>(<category>,<corr8>): <cause>`.
    fn ledger(
        code: &LedgerCode,
        correlation_id: &str,
        cause: &str,
        resource: Option<(&str, &str)>,
    ) -> Self {
        let short: String = correlation_id.chars().take(8).collect();
        let message = format!("{}({},{short}): {cause}", code.error_id, code.category);
        let mut details = vec![
            json!({"type": "ErrorInfoDetail", "errorCodeId": code.error_id,
                   "metadata": {"category": code.category.to_string()}}),
            json!({"type": "RequestInfoDetail", "correlationId": correlation_id}),
        ];
        if let Some((name, typ)) = resource {
            details.push(json!({"type": "ResourceInfoDetail", "name": name, "typ": typ}));
        }
        Self {
            status: code.status,
            message: format!("{}: {message}", code.grpc_name),
            reason: code.reason,
            ledger_api_error: Some(
                json!({"code": code.grpc_code, "message": message, "details": details}),
            ),
        }
    }

    /// 401: no `Authorization: Bearer …` header (§1.1).
    pub(crate) fn missing_token() -> Self {
        Self::plain(
            StatusCode::UNAUTHORIZED,
            "missing_token",
            "missing Authorization header with OAuth 2.0 Bearer Token",
        )
    }

    /// 401: the bearer string is not a decodable JWT (§1.6).
    pub(crate) fn jwt_decode(detail: &str) -> Self {
        Self::plain(
            StatusCode::UNAUTHORIZED,
            "token_not_decodable",
            format!("JwtDecoder.Error: {detail}"),
        )
    }

    /// 401: a JSON-API-level claim check failed (§1.6); the text is the real one.
    pub(crate) fn token_claims(message: impl Into<String>) -> Self {
        Self::plain(StatusCode::UNAUTHORIZED, "token_claims_rejected", message)
    }

    /// 401: the participant could not authenticate the token. The real JSON API answers 500
    /// with a redacted text here; the sandbox says why (a documented difference).
    pub(crate) fn unauthenticated(detail: impl std::fmt::Display) -> Self {
        Self::plain(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            format!("UNAUTHENTICATED: {detail}"),
        )
    }

    /// 401: PERMISSION_DENIED on commands, queries and party listing, with the reason instead of
    /// the real redacted text.
    pub(crate) fn permission_denied(detail: impl std::fmt::Display) -> Self {
        Self::plain(
            StatusCode::UNAUTHORIZED,
            "permission_denied",
            format!("PERMISSION_DENIED: {detail}"),
        )
    }

    /// 403: PERMISSION_DENIED on party allocation, passed through with `ledgerApiError` (§1.7).
    pub(crate) fn permission_denied_forbidden(detail: &str, correlation_id: &str) -> Self {
        let mut error = Self::ledger(&PERMISSION_DENIED_FORBIDDEN, correlation_id, detail, None);
        error.message = format!("PERMISSION_DENIED: {detail}");
        error
    }

    /// 401: `readers` names parties the token does not cover (§1.7, checked by the JSON API).
    pub(crate) fn readers_not_allowed(parties: &[String]) -> Self {
        Self::plain(
            StatusCode::UNAUTHORIZED,
            "readers_not_allowed",
            format!(
                "Queried parties not allowed by given JWT token: {}",
                parties.join(", ")
            ),
        )
    }

    /// 400: the request is well-formed JSON but not a valid request.
    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::plain(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// 400: the body is not JSON.
    pub(crate) fn json_parse(detail: impl std::fmt::Display) -> Self {
        Self::plain(
            StatusCode::BAD_REQUEST,
            "bad_json",
            format!("JSON parser error: {detail}"),
        )
    }

    /// 404: no route for this path.
    pub(crate) fn unknown_path(method: &str, uri: &str) -> Self {
        Self::plain(
            StatusCode::NOT_FOUND,
            "unknown_path",
            format!("HttpMethod({method}), uri: {uri}"),
        )
    }

    /// 405: the path exists but not with this method.
    pub(crate) fn method_not_allowed(method: &str, path: &str) -> Self {
        Self::plain(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            format!("HTTP method {method} is not allowed on {path}"),
        )
    }

    /// 404: CONTRACT_NOT_FOUND, for unknown, archived or invisible contracts.
    pub(crate) fn contract_not_found(contract_id: &str, correlation_id: &str) -> Self {
        Self::ledger(
            &CONTRACT_NOT_FOUND,
            correlation_id,
            &format!("Contract could not be found with id {contract_id}"),
            Some((contract_id, "CONTRACT_ID")),
        )
    }

    /// 404: no active contract with this key is visible to the submitters.
    pub(crate) fn contract_key_not_found(template_id: &str, correlation_id: &str) -> Self {
        Self::ledger(
            &CONTRACT_KEY_NOT_FOUND,
            correlation_id,
            &format!("dependency error: couldn't find key of {template_id}"),
            None,
        )
    }

    /// 400: the submitters lack the authority a node needs. Commands catch INVALID_ARGUMENT and
    /// answer with the bare message and no `ledgerApiError` (§3.1).
    pub(crate) fn daml_authorization(
        template_id: &str,
        required: &[String],
        given: &[String],
        correlation_id: &str,
    ) -> Self {
        let short: String = correlation_id.chars().take(8).collect();
        Self::plain(
            StatusCode::BAD_REQUEST,
            "daml_authorization_error",
            format!(
                "DAML_AUTHORIZATION_ERROR(8,{short}): Interpretation error: Error: node NodeId(0) \
                 ({template_id}) requires authorizers {}, but only {} were given",
                required.join(", "),
                given.join(", ")
            ),
        )
    }

    /// 400: Daml interpretation failed (a choice's precondition, a template's `ensure`).
    pub(crate) fn interpretation(cause: &str, correlation_id: &str) -> Self {
        Self::ledger(
            &DAML_INTERPRETATION_ERROR,
            correlation_id,
            &format!("Interpretation error: Error: {cause}"),
            None,
        )
    }

    /// 404: a submitting party is not allocated on this participant.
    pub(crate) fn unknown_submitters(parties: &[String], correlation_id: &str) -> Self {
        Self::ledger(
            &UNKNOWN_SUBMITTERS,
            correlation_id,
            &format!(
                "The participant is not connected to any domain where the given submitters are \
                 known. Unknown submitters: {}",
                parties.join(", ")
            ),
            None,
        )
    }

    /// 404: a stakeholder of a created contract is not allocated on this participant.
    pub(crate) fn unknown_informees(parties: &[String], correlation_id: &str) -> Self {
        Self::ledger(
            &UNKNOWN_INFORMEES,
            correlation_id,
            &format!(
                "The participant is not connected to any domain where the given informees are \
                 known. Unknown informees: {}",
                parties.join(", ")
            ),
            None,
        )
    }

    /// 409: a second active contract with the same key.
    pub(crate) fn duplicate_key(template_id: &str, correlation_id: &str) -> Self {
        Self::ledger(
            &DUPLICATE_CONTRACT_KEY,
            correlation_id,
            &format!(
                "Inconsistent: DuplicateKey: a contract of {template_id} with this key is active"
            ),
            None,
        )
    }

    /// 409: the party hint is already allocated.
    pub(crate) fn party_exists(party: &str, correlation_id: &str) -> Self {
        Self::ledger(
            &PARTY_ALREADY_EXISTS,
            correlation_id,
            &format!("Party already exists: party {party} is already allocated on this node"),
            Some((party, "PARTY")),
        )
    }

    /// 413: the body exceeds the configured limit.
    pub(crate) fn body_too_large(limit: usize) -> Self {
        Self::plain(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            format!("request body is larger than the limit of {limit} bytes"),
        )
    }

    /// 408: the request took longer than the configured request timeout.
    pub(crate) fn request_timeout() -> Self {
        Self::plain(
            StatusCode::REQUEST_TIMEOUT,
            "request_timeout",
            "the request took longer than the sandbox's request timeout",
        )
    }

    /// 500: a bug in the sandbox. The text is the real JSON API's and carries no detail.
    pub(crate) fn internal() -> Self {
        Self::plain(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "HTTP JSON API Server Error",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({"status": self.status.as_u16(), "errors": [self.message]});
        if let Some(ledger_api_error) = self.ledger_api_error {
            body["ledgerApiError"] = ledger_api_error;
        }
        let mut response = (self.status, Json(body)).into_response();
        response.extensions_mut().insert(RejectionLog {
            reason: self.reason,
            message: self.message,
        });
        response
    }
}

/// A 200 response carrying `result`.
pub(crate) fn success(result: Value) -> Response {
    Json(json!({"status": 200, "result": result})).into_response()
}

/// A 200 response carrying `result` and `warnings`.
pub(crate) fn success_with_warnings(result: Value, warnings: Value) -> Response {
    Json(json!({"status": 200, "result": result, "warnings": warnings})).into_response()
}

/// Reads a request body: JSON first, then the request type, naming the offending field.
pub(crate) fn parse_body<T: DeserializeOwned>(
    body: Result<Bytes, BytesRejection>,
    limit: usize,
) -> Result<T, ApiError> {
    let bytes = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::body_too_large(limit)
        } else {
            ApiError::bad_request(format!(
                "cannot read the request body: {}",
                rejection.body_text()
            ))
        }
    })?;
    let value: Value = serde_json::from_slice(&bytes).map_err(ApiError::json_parse)?;
    decode_value(value)
}

/// Decodes a JSON value into a request type, naming the path of the first problem.
pub(crate) fn decode_value<T: DeserializeOwned>(value: Value) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(value).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        if path == "." {
            ApiError::bad_request(format!("JsonReaderError. Cannot read JSON: {inner}"))
        } else {
            ApiError::bad_request(format!(
                "JsonReaderError. Cannot read JSON: at `{path}`: {inner}"
            ))
        }
    })
}

/// A fresh random correlation id (32 hex digits), used where the client gave no command id.
pub(crate) fn new_correlation_id() -> String {
    format!("{:032x}", fastrand::u128(..))
}
