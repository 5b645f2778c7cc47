//! `GET`/`POST /v1/query` and `POST /v1/fetch` (`docs/ledger-json-api.md` §2.3, §2.4).
//!
//! Reads see the active contracts on which at least one reader is a signatory or observer.
//! The readers are the request's `readers` (which must be a subset of the token's
//! `actAs ∪ readAs`) or else all of the token's parties. Every check finishes before the
//! answer starts, so an error always has a real non-2xx status (the real `/v1/query` can
//! answer 200 with an embedded 500).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::auth::{Access, Caller};
use crate::envelope::{ApiError, decode_value, parse_body, success, success_with_warnings};
use crate::ledger::visible_contracts;
use crate::lf::{Numeric, Timestamp};
use crate::routes::{AppState, resolve_template};
use crate::template::TemplateDef;
use crate::template_id::TemplateRef;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct QueryRequest {
    template_ids: Vec<String>,
    query: Option<Value>,
    readers: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct FetchRequest {
    contract_id: Option<String>,
    template_id: Option<String>,
    key: Option<Value>,
    readers: Option<Vec<String>>,
}

/// `GET /v1/query`: every active contract visible to the token's parties.
pub(super) async fn query_all(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let caller = state
        .authenticator
        .authenticate(&headers, Access::Query)
        .await?;
    let ledger = state.ledger();
    let contracts: Vec<Value> =
        visible_contracts(&ledger, &crate::world::TEMPLATES, &caller.readers())
            .into_iter()
            .map(|c| c.to_json())
            .collect();
    Ok(success(Value::Array(contracts)))
}

/// `POST /v1/query`.
pub(super) async fn query(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let caller = state
        .authenticator
        .authenticate(&headers, Access::Query)
        .await?;
    let body: Value = parse_body(body, state.max_body_bytes)?;
    if let Value::Object(fields) = &body {
        let unsupported: Vec<&String> = fields
            .keys()
            .filter(|k| !matches!(k.as_str(), "templateIds" | "query" | "readers"))
            .collect();
        if !unsupported.is_empty() {
            return Err(ApiError::bad_request(format!(
                "unsupported query fields {unsupported:?}; likely should be within 'query' subobject"
            )));
        }
    }
    let request: QueryRequest = decode_value(body)?;
    if request.template_ids.is_empty() {
        return Err(ApiError::bad_request("templateIds must not be empty"));
    }
    let mut templates: Vec<&'static TemplateDef> = Vec::new();
    let mut unknown: Vec<String> = Vec::new();
    for text in &request.template_ids {
        let parsed = TemplateRef::parse(text).map_err(ApiError::bad_request)?;
        match crate::world::resolve(&parsed) {
            Some(template) => templates.push(template),
            None => unknown.push(text.clone()),
        }
    }
    if templates.is_empty() {
        return Err(ApiError::bad_request(
            "Cannot resolve any template ID from request",
        ));
    }
    let readers = readers(&caller, request.readers)?;
    let filter = match request.query {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(filter)) => filter,
        Some(_) => return Err(ApiError::bad_request("query must be a JSON object")),
    };
    let ledger = state.ledger();
    let mut result = Vec::new();
    for contract in visible_contracts(&ledger, &templates, &readers) {
        if matches_record(&contract.instance.payload, &filter)? {
            result.push(contract.to_json());
        }
    }
    if unknown.is_empty() {
        Ok(success(Value::Array(result)))
    } else {
        Ok(success_with_warnings(
            Value::Array(result),
            json!({"unknownTemplateIds": unknown}),
        ))
    }
}

/// `POST /v1/fetch`: the contract, or `null` when it is unknown, archived or not visible.
pub(super) async fn fetch(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let caller = state
        .authenticator
        .authenticate(&headers, Access::Query)
        .await?;
    let request: FetchRequest = parse_body(body, state.max_body_bytes)?;
    let template = request
        .template_id
        .as_deref()
        .map(resolve_template)
        .transpose()?;
    let readers = readers(&caller, request.readers)?;
    let ledger = state.ledger();
    let contract = match (request.contract_id, request.key, template) {
        (Some(contract_id), None, template) => ledger
            .contract(&contract_id)
            .filter(|c| template.is_none_or(|t| std::ptr::eq(t, c.template))),
        (None, Some(key), Some(template)) => ledger.find_by_key(template, &key),
        (None, Some(_), None) => {
            return Err(ApiError::bad_request("fetch by key requires templateId"));
        }
        _ => {
            return Err(ApiError::bad_request(
                "fetch requires either key or contractId field",
            ));
        }
    };
    let result = contract
        .filter(|c| c.instance.visible_to(&readers))
        .map_or(Value::Null, |c| c.to_json());
    Ok(success(result))
}

/// The request's `readers` (a non-empty subset of the token's parties) or the token's parties.
fn readers(caller: &Caller, requested: Option<Vec<String>>) -> Result<Vec<String>, ApiError> {
    let Some(requested) = requested else {
        return Ok(caller.readers());
    };
    if requested.is_empty() {
        return Err(ApiError::bad_request(
            "readers must not be empty when given",
        ));
    }
    let not_allowed: Vec<String> = requested
        .iter()
        .filter(|party| !caller.can_read_as(party))
        .cloned()
        .collect();
    if !not_allowed.is_empty() {
        return Err(ApiError::readers_not_allowed(&not_allowed));
    }
    Ok(requested)
}

/// Whether a record matches a query object: every queried field matches.
fn matches_record(payload: &Value, filter: &Map<String, Value>) -> Result<bool, ApiError> {
    for (field, expected) in filter {
        if field.starts_with('%') {
            return Err(ApiError::bad_request(format!(
                "query operator {field} must be applied to a field, e.g. {{\"amount\": {{\"{field}\": …}}}}"
            )));
        }
        let Some(actual) = payload.get(field) else {
            return Ok(false);
        };
        if !matches_value(actual, expected)? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// The query language's equality and `%lt/%lte/%gt/%gte` ranges, comparing LF values by
/// meaning (`"10"` equals `"10.0"` and `10` for a Numeric; timestamps compare as instants).
fn matches_value(actual: &Value, expected: &Value) -> Result<bool, ApiError> {
    match expected {
        Value::Object(filter) if filter.keys().any(|k| k.starts_with('%')) => {
            for (operator, bound) in filter {
                let ordering = compare(actual, bound).ok_or_else(|| {
                    ApiError::bad_request(format!(
                        "query operator {operator} needs a Numeric, Int64, Time or Text bound \
                         of the field's type"
                    ))
                })?;
                let holds = match operator.as_str() {
                    "%lt" => ordering.is_lt(),
                    "%lte" => ordering.is_le(),
                    "%gt" => ordering.is_gt(),
                    "%gte" => ordering.is_ge(),
                    other => {
                        return Err(ApiError::bad_request(format!(
                            "unknown query operator {other}; supported: %lt, %lte, %gt, %gte"
                        )));
                    }
                };
                if !holds {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        Value::Object(filter) => match actual {
            Value::Object(_) => matches_record(actual, filter),
            _ => Ok(false),
        },
        Value::Array(items) => match actual {
            Value::Array(values) if values.len() == items.len() => {
                for (value, item) in values.iter().zip(items) {
                    if !matches_value(value, item)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            _ => Ok(false),
        },
        _ => Ok(actual == expected || compare(actual, expected).is_some_and(|o| o.is_eq())),
    }
}

/// Orders two scalar LF values: as Numerics (which covers Int64), as Timestamps, or as Text.
fn compare(actual: &Value, bound: &Value) -> Option<std::cmp::Ordering> {
    let text = |value: &Value| match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    };
    let (actual, bound) = (text(actual)?, text(bound)?);
    if let (Ok(a), Ok(b)) = (Numeric::parse(&actual), Numeric::parse(&bound)) {
        return Some(a.cmp(&b));
    }
    if let (Ok(a), Ok(b)) = (Timestamp::parse(&actual), Timestamp::parse(&bound)) {
        return Some(a.cmp(&b));
    }
    Some(actual.cmp(&bound))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(payload: Value, query: Value) -> bool {
        matches_record(&payload, query.as_object().unwrap()).unwrap()
    }

    #[test]
    fn equality_compares_lf_values_by_meaning() {
        let payload = json!({"csaId": "CSA-1", "amount": "10.0", "n": "3",
                             "at": "2024-01-01T00:00:00Z", "opt": null});
        assert!(matches(payload.clone(), json!({})));
        assert!(matches(payload.clone(), json!({"csaId": "CSA-1"})));
        assert!(matches(payload.clone(), json!({"amount": 10})));
        assert!(matches(payload.clone(), json!({"amount": "10"})));
        assert!(matches(payload.clone(), json!({"n": 3, "opt": null})));
        assert!(matches(
            payload.clone(),
            json!({"at": "2024-01-01T00:00:00.000Z"})
        ));
        assert!(!matches(payload.clone(), json!({"csaId": "CSA-2"})));
        assert!(!matches(payload, json!({"missing": 1})));
    }

    #[test]
    fn ranges_compare_numerics_and_times() {
        let payload = json!({"amount": "10.5", "at": "2024-01-01T00:00:10Z"});
        assert!(matches(
            payload.clone(),
            json!({"amount": {"%gt": 10, "%lte": "10.5"}})
        ));
        assert!(!matches(
            payload.clone(),
            json!({"amount": {"%lt": "10.5"}})
        ));
        assert!(matches(
            payload.clone(),
            json!({"at": {"%gte": "2024-01-01T00:00:10Z"}})
        ));
        let error = matches_record(
            &payload,
            json!({"amount": {"%near": 1}}).as_object().unwrap(),
        );
        assert!(error.is_err());
    }
}
