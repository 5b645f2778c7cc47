//! `POST /v1/create` and `POST /v1/exercise` (`docs/ledger-json-api.md` §2.3, §2.4).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;
use serde_json::Value;

use crate::auth::{Access, Caller};
use crate::clock::ledger_time;
use crate::envelope::{ApiError, new_correlation_id, parse_body, success};
use crate::ledger::{self, Submission, Target};
use crate::lf::Timestamp;
use crate::routes::{AppState, resolve_template};

/// `meta` of a command; fields the sandbox has no use for (`workflowId`, `submissionId`,
/// `deduplicationPeriod`, `disclosedContracts`, …) are accepted and ignored.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CommandMeta {
    command_id: Option<String>,
    act_as: Option<Vec<String>>,
    read_as: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateRequest {
    template_id: String,
    payload: Value,
    meta: Option<CommandMeta>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ExerciseRequest {
    template_id: Option<String>,
    contract_id: Option<String>,
    key: Option<Value>,
    choice: String,
    argument: Value,
    choice_interface_id: Option<String>,
    meta: Option<CommandMeta>,
}

/// `POST /v1/create`.
pub(super) async fn create(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let caller = state
        .authenticator
        .authenticate(&headers, Access::Command)
        .await?;
    let request: CreateRequest = parse_body(body, state.max_body_bytes)?;
    let submission = submission(&caller, request.meta.unwrap_or_default())?;
    let template = resolve_template(&request.template_id)?;
    let result = ledger::create(&mut state.ledger(), &submission, template, request.payload)?;
    Ok(success(result))
}

/// `POST /v1/exercise`, by contract id or by key.
pub(super) async fn exercise(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let caller = state
        .authenticator
        .authenticate(&headers, Access::Command)
        .await?;
    let request: ExerciseRequest = parse_body(body, state.max_body_bytes)?;
    if request.choice_interface_id.is_some() {
        return Err(ApiError::bad_request(
            "choiceInterfaceId is not supported: the IRSForge package defines no interfaces",
        ));
    }
    let target = match (request.contract_id, request.key) {
        (Some(contract_id), None) => Target::ContractId(contract_id),
        (None, Some(key)) => Target::Key(key),
        _ => {
            return Err(ApiError::bad_request(
                "ExerciseCommand requires either key or contractId field",
            ));
        }
    };
    let template_id = request.template_id.ok_or_else(|| {
        ApiError::bad_request("Please specify templateId for an exercise (by contract id or key)")
    })?;
    let template = resolve_template(&template_id)?;
    let submission = submission(&caller, request.meta.unwrap_or_default())?;
    // A clock set outside the years 0001–9999 is a broken test set-up, not a client's error.
    let now = Timestamp::from_datetime(ledger_time(state.clock.as_ref()))
        .map_err(|_| ApiError::internal())?;
    let result = ledger::exercise(
        &mut state.ledger(),
        now,
        &submission,
        template,
        &target,
        &request.choice,
        request.argument,
    )?;
    Ok(success(result))
}

/// `actAs = meta.actAs ?? token.actAs`, `readAs = meta.readAs ?? token.readAs`; the
/// participant refuses `meta` parties the token does not cover (PERMISSION_DENIED).
fn submission(caller: &Caller, meta: CommandMeta) -> Result<Submission, ApiError> {
    let act_as = match meta.act_as {
        Some(act_as) if act_as.is_empty() => {
            return Err(ApiError::bad_request(
                "meta.actAs must not be empty when given",
            ));
        }
        Some(act_as) => {
            if let Some(party) = act_as.iter().find(|p| !caller.act_as.contains(p)) {
                return Err(ApiError::permission_denied(format_args!(
                    "the token does not grant actAs for submitting party {party}"
                )));
            }
            act_as
        }
        None => caller.act_as.clone(),
    };
    let read_as = match meta.read_as {
        Some(read_as) => {
            if let Some(party) = read_as.iter().find(|p| !caller.can_read_as(p)) {
                return Err(ApiError::permission_denied(format_args!(
                    "the token does not grant readAs for party {party}"
                )));
            }
            read_as
        }
        None => caller.read_as.clone(),
    };
    Ok(Submission {
        act_as,
        read_as,
        correlation_id: meta
            .command_id
            .filter(|id| !id.is_empty())
            .unwrap_or_else(new_correlation_id),
    })
}
