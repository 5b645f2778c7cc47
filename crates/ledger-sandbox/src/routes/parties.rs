//! Party management: listing, lookup and allocation. All need a participant-admin token
//! (`docs/ledger-json-api.md` §1.5, §2.4).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::Access;
use crate::envelope::{ApiError, new_correlation_id, parse_body, success, success_with_warnings};
use crate::routes::AppState;
use crate::store::PartyRecord;

/// `GET /v1/parties`: every known party, the participant's admin party first.
pub(super) async fn list_parties(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    state
        .authenticator
        .authenticate(&headers, Access::PartyList)
        .await?;
    let parties: Vec<Value> = state
        .ledger()
        .parties()
        .iter()
        .map(PartyRecord::to_json)
        .collect();
    Ok(success(Value::Array(parties)))
}

/// `POST /v1/parties`: the named parties; unknown ones are listed in `warnings`.
pub(super) async fn lookup_parties(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    state
        .authenticator
        .authenticate(&headers, Access::PartyList)
        .await?;
    let wanted: Vec<String> = parse_body(body, state.max_body_bytes)?;
    if wanted.is_empty() {
        return Err(ApiError::bad_request(
            "JsonReaderError. Cannot read JSON: <[]>. Cause: must be a list with at least 1 element",
        ));
    }
    let ledger = state.ledger();
    let mut found = Vec::new();
    let mut unknown = Vec::new();
    for party in wanted {
        match ledger.parties().iter().find(|p| p.identifier == party) {
            Some(record) => found.push(record.to_json()),
            None => unknown.push(party),
        }
    }
    if unknown.is_empty() {
        Ok(success(Value::Array(found)))
    } else {
        Ok(success_with_warnings(
            Value::Array(found),
            json!({"unknownParties": unknown}),
        ))
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AllocateRequest {
    identifier_hint: Option<String>,
    display_name: Option<String>,
}

/// `POST /v1/parties/allocate`: allocates `hint::fingerprint`.
pub(super) async fn allocate_party(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    state
        .authenticator
        .authenticate(&headers, Access::PartyAllocate)
        .await?;
    let request: AllocateRequest = parse_body(body, state.max_body_bytes)?;
    let hint = match request.identifier_hint.filter(|hint| !hint.is_empty()) {
        Some(hint) => {
            validate_hint(&hint)?;
            hint
        }
        None => format!("party-{:032x}", fastrand::u128(..)),
    };
    if let Some(name) = &request.display_name
        && name.chars().count() > 255
    {
        return Err(ApiError::bad_request(
            "displayName is longer than 255 characters",
        ));
    }
    let record = PartyRecord {
        identifier: format!("{hint}::{}", state.namespace_fingerprint),
        display_name: request.display_name,
    };
    let result = record.to_json();
    state
        .ledger()
        .add_party(record)
        .map_err(|taken| ApiError::party_exists(&taken.identifier, &new_correlation_id()))?;
    tracing::info!(event = "party_allocated", party = %result["identifier"], "party allocated");
    Ok(success(result))
}

/// Canton's hint rule: 1–185 characters from `[A-Za-z0-9:_ -]`, never `::`.
fn validate_hint(hint: &str) -> Result<(), ApiError> {
    let valid = hint.len() <= 185
        && !hint.contains("::")
        && hint
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '_' | ' ' | '-'));
    if valid {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "Party hint {:?} is invalid: at most 185 characters from [A-Za-z0-9:_ -], without `::`",
            hint.chars().take(200).collect::<String>()
        )))
    }
}
