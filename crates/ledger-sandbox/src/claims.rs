//! Reading a token's payload the way Canton 2.x does (`docs/ledger-json-api.md` §1.3), and the
//! JSON-API-level checks on it (§1.6).
//!
//! The platform mints custom-claims tokens, so user tokens (audience- or scope-based) are
//! recognised by the real selection order but refused with a clear reason: this sandbox has no
//! user store to resolve their rights from (a documented difference).

use ledger_types::{DAML_LEDGER_API_CLAIM, LedgerApiClaims};
use serde_json::{Map, Value};

/// The default audience prefix of an audience-based user token (the code's, not the docs').
const AUDIENCE_PREFIX: &str = "https://daml.com/jwt/aud/participant/";
/// The scope that marks a scope-based user token.
const LEDGER_API_SCOPE: &str = "daml_ledger_api";
/// Top-level fields that make a payload a legacy custom-claims token.
const LEGACY_FIELDS: [&str; 7] = [
    "ledgerId",
    "participantId",
    "applicationId",
    "admin",
    "actAs",
    "readAs",
    "party",
];

/// What a token payload grants, after the selection order of §1.3.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TokenPayload {
    /// A custom-claims token (namespaced, legacy, or the "no rights" fallback).
    Claims(LedgerApiClaims),
    /// An audience- or scope-based user token, whose rights live in a user store.
    User,
}

/// Classifies a payload. `Err` carries why the payload is not a valid ledger token.
pub(crate) fn classify(payload: &Value) -> Result<TokenPayload, String> {
    let Value::Object(fields) = payload else {
        return Err("the JWT payload is not a JSON object".into());
    };
    let present = |name: &str| fields.get(name).filter(|value| !value.is_null());
    if audience_names_participant(present("aud"))? {
        require_subject(fields)?;
        return Ok(TokenPayload::User);
    }
    let scope = match present("scope") {
        None => None,
        Some(Value::String(scope)) => Some(scope.as_str()),
        Some(_) => return Err("`scope` is not a string".into()),
    };
    if scope.is_some_and(|scope| scope.split(' ').any(|s| s == LEDGER_API_SCOPE)) {
        require_subject(fields)?;
        return Ok(TokenPayload::User);
    }
    if let Some(claims) = present(DAML_LEDGER_API_CLAIM) {
        if !claims.is_object() {
            return Err(format!("`{DAML_LEDGER_API_CLAIM}` is not a JSON object"));
        }
        return parse_claims(claims.clone()).map(TokenPayload::Claims);
    }
    if LEGACY_FIELDS.iter().any(|name| present(name).is_some()) {
        return parse_legacy(fields).map(TokenPayload::Claims);
    }
    if let Some(scope) = scope.filter(|scope| !scope.is_empty()) {
        return Err(format!("Access token with unknown scope \"{scope}\""));
    }
    Ok(TokenPayload::Claims(LedgerApiClaims::default()))
}

fn audience_names_participant(aud: Option<&Value>) -> Result<bool, String> {
    let entries: Vec<&str> = match aud {
        None => return Ok(false),
        Some(Value::String(single)) => vec![single.as_str()],
        Some(Value::Array(values)) => values
            .iter()
            .map(|value| {
                value
                    .as_str()
                    .ok_or("`aud` holds a value that is not a string")
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err("`aud` is neither a string nor an array of strings".into()),
    };
    let matching = entries
        .iter()
        .filter(|entry| {
            entry
                .strip_prefix(AUDIENCE_PREFIX)
                .is_some_and(|participant| !participant.is_empty())
        })
        .count();
    match matching {
        0 => Ok(false),
        1 => Ok(true),
        _ => Err("`aud` names more than one participant".into()),
    }
}

fn require_subject(fields: &Map<String, Value>) -> Result<(), String> {
    match fields.get("sub") {
        Some(Value::String(sub)) if !sub.is_empty() => Ok(()),
        _ => Err("a user token needs a non-empty string `sub`".into()),
    }
}

fn parse_claims(value: Value) -> Result<LedgerApiClaims, String> {
    serde_path_to_error::deserialize(value).map_err(|error| {
        format!(
            "invalid custom claims at `{}`: {}",
            error.path(),
            error.inner()
        )
    })
}

fn parse_legacy(fields: &Map<String, Value>) -> Result<LedgerApiClaims, String> {
    let subset: Map<String, Value> = fields
        .iter()
        .filter(|(name, _)| LEGACY_FIELDS[..6].contains(&name.as_str()))
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    let mut claims = parse_claims(Value::Object(subset))?;
    match fields.get("party") {
        None | Some(Value::Null) => {}
        Some(Value::String(party)) => claims.act_as.push(party.clone()),
        Some(_) => return Err("legacy `party` is not a string".into()),
    }
    Ok(claims)
}

/// The endpoint groups of §1.6, which differ in what they demand of a custom-claims token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EndpointGroup {
    /// create / exercise.
    Command,
    /// query / fetch.
    Query,
}

/// The JSON API's own checks on a decoded (not yet verified) payload; `Err` is the real text.
pub(crate) fn json_api_checks(payload: &TokenPayload, group: EndpointGroup) -> Result<(), String> {
    let claims = match payload {
        TokenPayload::User => return Err(USER_TOKEN_REFUSED.into()),
        TokenPayload::Claims(claims) => claims,
    };
    if claims.ledger_id.is_none() {
        return Err("ledgerId missing in access token".into());
    }
    if claims.application_id.is_none() {
        return Err("applicationId missing in access token".into());
    }
    match group {
        EndpointGroup::Command if claims.act_as.is_empty() => {
            Err("Expected one or more parties in actAs but got none".into())
        }
        EndpointGroup::Query if claims.act_as.is_empty() && claims.read_as.is_empty() => {
            Err("No parties in actAs and readAs".into())
        }
        _ => Ok(()),
    }
}

/// Why a user token is refused.
pub(crate) const USER_TOKEN_REFUSED: &str = "user tokens (audience- or scope-based) are not \
    supported by this sandbox; use a custom-claims token with a \"https://daml.com/ledger-api\" \
    object";

#[cfg(test)]
mod tests;
