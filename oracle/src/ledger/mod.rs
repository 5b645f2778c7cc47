//! [`LedgerClient`]: a typed client for the Canton JSON API v1 endpoints the oracle uses
//! (`GET /v1/parties`, `POST /v1/query`, `/v1/fetch`, `/v1/create`, `/v1/exercise`).
//!
//! Answers are read through the envelopes of `docs/ledger-json-api.md` §2.1
//! (`{"status", "result", "warnings"?}` or `{"status", "errors", "ledgerApiError"?}`) and
//! failures become [`LedgerError`] variants a job can act on: `CONTRACT_NOT_FOUND` (re-query),
//! a refused token (401/403, and the real JSON API's 500 `UNAUTHENTICATED`), another 4xx, a
//! 5xx, a timeout, a network failure, or an answer that is not an envelope. An error envelope
//! inside an HTTP 200 (the `/v1/query` streaming quirk, §3.1) counts as the error it carries.
//! `warnings` (unknown template ids or parties) are logged as `ledger_warnings`.
//!
//! The client's connect and total timeouts are `oracle.ledgerTimeoutMs`; its pool is small and
//! bounded; bodies over [`MAX_LEDGER_RESPONSE_BYTES`] are refused.

mod types;

use std::time::Duration;

use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use shared_config::{Config, Profile};
use url::Url;

pub use types::{
    ArchivedEvent, CommandMeta, Contract, CreateRequest, ExerciseRequest, ExerciseResult,
    FetchRequest, LedgerEvent, PartyDetails, QueryRequest,
};

use crate::error::{LedgerError, OracleError};
use crate::http::{self, BearerToken, long_server_text, short_server_text};

/// The largest ledger answer read.
pub const MAX_LEDGER_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

/// A client of one participant's JSON API. Cheap to clone; clones share the connection pool.
#[derive(Debug, Clone)]
pub struct LedgerClient {
    base: String,
    timeout: Duration,
    http: reqwest::Client,
}

impl LedgerClient {
    /// A client of the JSON API at `base` (e.g. `http://localhost:7575`; a path prefix is kept).
    pub fn new(base: &Url, timeout: Duration) -> Result<Self, OracleError> {
        Ok(Self {
            base: base.as_str().trim_end_matches('/').to_owned(),
            timeout,
            http: http::client(timeout).map_err(|detail| OracleError::HttpClient {
                purpose: "ledger",
                detail,
            })?,
        })
    }

    /// The client of the operator's participant (the `ledgerUrl` of the org whose role is
    /// `operator`), with `oracle.ledgerTimeoutMs`. Under `profile: production` a plain
    /// `http://` URL to a host that is not loopback is refused: tokens would cross the network
    /// readable.
    pub fn from_config(config: &Config) -> Result<Self, OracleError> {
        let url = config.operator_ledger_url();
        if config.profile == Profile::Production && http::is_plain_http_to_remote(url) {
            return Err(OracleError::PlainHttpLedger {
                url: http::shown_url(url),
            });
        }
        Self::new(url, config.oracle.ledger_timeout())
    }

    /// The JSON API's base URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// `GET /v1/parties`: every party the participant knows. Needs an admin token.
    pub async fn list_parties(
        &self,
        token: &BearerToken,
    ) -> Result<Vec<PartyDetails>, LedgerError> {
        self.call(Method::GET, "/v1/parties", token, None::<&()>)
            .await
    }

    /// `POST /v1/query`: active contracts of some templates visible to the token's parties.
    pub async fn query(
        &self,
        token: &BearerToken,
        request: &QueryRequest,
    ) -> Result<Vec<Contract>, LedgerError> {
        self.call(Method::POST, "/v1/query", token, Some(request))
            .await
    }

    /// `POST /v1/fetch`: one contract by id; `None` when it is unknown, archived or invisible.
    pub async fn fetch(
        &self,
        token: &BearerToken,
        request: &FetchRequest,
    ) -> Result<Option<Contract>, LedgerError> {
        self.call(Method::POST, "/v1/fetch", token, Some(request))
            .await
    }

    /// `POST /v1/create`: creates a contract.
    pub async fn create(
        &self,
        token: &BearerToken,
        request: &CreateRequest,
    ) -> Result<Contract, LedgerError> {
        self.call(Method::POST, "/v1/create", token, Some(request))
            .await
    }

    /// `POST /v1/exercise`: exercises a choice on a contract.
    pub async fn exercise(
        &self,
        token: &BearerToken,
        request: &ExerciseRequest,
    ) -> Result<ExerciseResult, LedgerError> {
        self.call(Method::POST, "/v1/exercise", token, Some(request))
            .await
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        token: &BearerToken,
        body: Option<&impl Serialize>,
    ) -> Result<T, LedgerError> {
        let endpoint = format!("{}{path}", self.base);
        let mut request = self
            .http
            .request(method, &endpoint)
            .bearer_auth(token.expose());
        if let Some(body) = body {
            request = request.json(body);
        }
        let transport = |error: reqwest::Error| {
            if error.is_timeout() {
                LedgerError::Timeout {
                    endpoint: endpoint.clone(),
                    timeout: self.timeout,
                }
            } else {
                LedgerError::Network {
                    endpoint: endpoint.clone(),
                    detail: http::describe_transport_error(&error, self.timeout),
                }
            }
        };
        let response = request.send().await.map_err(transport)?;
        let status = response.status().as_u16();
        let body = match http::read_capped(response, MAX_LEDGER_RESPONSE_BYTES).await {
            Ok(body) => body,
            Err(http::BodyError::Transport(error)) => return Err(transport(error)),
            Err(http::BodyError::TooLarge) => {
                return Err(LedgerError::Malformed {
                    endpoint,
                    status,
                    detail: format!("body over {MAX_LEDGER_RESPONSE_BYTES} bytes"),
                });
            }
        };
        read_envelope(&endpoint, status, &body)
    }
}

/// Interprets a JSON API answer.
fn read_envelope<T: DeserializeOwned>(
    endpoint: &str,
    status: u16,
    body: &[u8],
) -> Result<T, LedgerError> {
    let envelope = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|value| match value {
            Value::Object(object) => Some(object),
            _ => None,
        });
    let Some(envelope) = envelope else {
        return Err(classify_failure(
            endpoint,
            if (200..300).contains(&status) {
                None
            } else {
                Some(status)
            },
            status,
            "the body is not a JSON API envelope".into(),
            None,
        ));
    };
    // The envelope's status wins over HTTP's: an error inside a 200 is still an error.
    let effective = envelope
        .get("status")
        .and_then(Value::as_u64)
        .and_then(|status| u16::try_from(status).ok())
        .unwrap_or(status);
    if (200..300).contains(&status) && (200..300).contains(&effective) {
        if let Some(warnings) = envelope.get("warnings") {
            tracing::warn!(
                event = "ledger_warnings",
                endpoint = %endpoint,
                warnings = %warnings,
                "the ledger answered with warnings"
            );
        }
        let Some(result) = envelope.get("result") else {
            return Err(LedgerError::Malformed {
                endpoint: endpoint.to_owned(),
                status,
                detail: "no `result` in a success envelope".into(),
            });
        };
        return T::deserialize(result).map_err(|error| LedgerError::Malformed {
            endpoint: endpoint.to_owned(),
            status,
            detail: format!(
                "unexpected `result`: {}",
                short_server_text(&error.to_string())
            ),
        });
    }
    let failing = if (200..300).contains(&effective) {
        status
    } else {
        effective
    };
    let message = envelope
        .get("errors")
        .and_then(Value::as_array)
        .and_then(|errors| errors.first())
        .and_then(Value::as_str)
        .map(long_server_text)
        .unwrap_or_else(|| "(no error message)".to_owned());
    let code_id = envelope
        .get("ledgerApiError")
        .and_then(|error| error.get("details"))
        .and_then(Value::as_array)
        .and_then(|details| {
            details
                .iter()
                .find_map(|detail| detail.get("errorCodeId").and_then(Value::as_str))
        })
        .map(str::to_owned);
    Err(classify_failure(
        endpoint,
        Some(failing),
        status,
        message,
        code_id,
    ))
}

fn classify_failure(
    endpoint: &str,
    failing: Option<u16>,
    http_status: u16,
    message: String,
    code_id: Option<String>,
) -> LedgerError {
    let endpoint = endpoint.to_owned();
    let Some(status) = failing else {
        return LedgerError::Malformed {
            endpoint,
            status: http_status,
            detail: message,
        };
    };
    let contract_not_found =
        code_id.as_deref() == Some("CONTRACT_NOT_FOUND") || message.contains("CONTRACT_NOT_FOUND");
    match status {
        404 if contract_not_found => LedgerError::ContractNotFound { endpoint, message },
        401 | 403 => LedgerError::Unauthorized {
            endpoint,
            status,
            message,
        },
        // The real JSON API answers a token the participant refuses with 500 UNAUTHENTICATED
        // (`docs/ledger-json-api.md` §1.6).
        500 if message.starts_with("UNAUTHENTICATED") => LedgerError::Unauthorized {
            endpoint,
            status,
            message,
        },
        400..=499 => LedgerError::Rejected {
            endpoint,
            status,
            message,
        },
        500..=599 => LedgerError::Server {
            endpoint,
            status,
            message,
        },
        _ => LedgerError::Malformed {
            endpoint,
            status,
            detail: format!("unexpected status {status}: {message}"),
        },
    }
}

#[cfg(test)]
pub(crate) mod tests;
