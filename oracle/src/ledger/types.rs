//! Request and result types of the JSON API v1 endpoints the oracle calls
//! (`docs/ledger-json-api.md` §2.4). Field names are the wire names; values in payloads,
//! arguments and keys stay [`serde_json::Value`] in the Daml-LF JSON encoding (§3), which the
//! jobs decode through `ledger_types::lf`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One entry of `GET /v1/parties`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PartyDetails {
    /// The qualified party id, `Hint::1220…`.
    pub identifier: String,
    /// The display name, when one is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Whether the party is hosted on this participant.
    #[serde(default)]
    pub is_local: bool,
}

impl PartyDetails {
    /// The hint: the part of the identifier before `::`.
    pub fn hint(&self) -> &str {
        self.identifier
            .split_once("::")
            .map_or(self.identifier.as_str(), |(hint, _)| hint)
    }
}

/// The body of `POST /v1/query`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QueryRequest {
    /// Template ids (`pkg:Module:Entity` or `#pkg-name:Module:Entity`); at least one.
    pub template_ids: Vec<String>,
    /// Field-equality filter on the payload; `None` matches every contract.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query: Option<Value>,
    /// Parties to read as; `None` means every party of the token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub readers: Option<Vec<String>>,
}

impl QueryRequest {
    /// Every active contract of these templates visible to the token's parties.
    pub fn templates(template_ids: impl IntoIterator<Item = impl Into<String>>) -> Self {
        Self {
            template_ids: template_ids.into_iter().map(Into::into).collect(),
            query: None,
            readers: None,
        }
    }
}

/// The body of `POST /v1/fetch` by contract id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FetchRequest {
    /// The contract id.
    pub contract_id: String,
    /// Its template id, if known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template_id: Option<String>,
    /// Parties to read as; `None` means every party of the token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub readers: Option<Vec<String>>,
}

/// Optional command settings of create and exercise.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CommandMeta {
    /// Command id for deduplication; the ledger picks one when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command_id: Option<String>,
    /// Submitting parties; must be covered by the token. Defaults to the token's actAs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub act_as: Option<Vec<String>>,
    /// Parties to read as; defaults to the token's readAs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_as: Option<Vec<String>>,
}

/// The body of `POST /v1/create`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateRequest {
    /// The template to instantiate.
    pub template_id: String,
    /// The contract's arguments.
    pub payload: Value,
    /// Command settings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta: Option<CommandMeta>,
}

/// The body of `POST /v1/exercise` by contract id.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExerciseRequest {
    /// The contract's template id.
    pub template_id: String,
    /// The contract to exercise on.
    pub contract_id: String,
    /// The choice's name.
    pub choice: String,
    /// The choice's argument (`{}` for none).
    pub argument: Value,
    /// Command settings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta: Option<CommandMeta>,
}

/// An active contract, as query, fetch and create return it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Contract {
    /// The contract id.
    pub contract_id: String,
    /// Its template id, in the package-id form.
    pub template_id: String,
    /// Its arguments.
    pub payload: Value,
    /// Its signatories.
    #[serde(default)]
    pub signatories: Vec<String>,
    /// Its observers.
    #[serde(default)]
    pub observers: Vec<String>,
    /// The agreement text (`""` by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agreement_text: Option<String>,
    /// The contract key, for templates that have one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<Value>,
    /// The ledger offset of the command that created it (create only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completion_offset: Option<String>,
}

/// An archival in an exercise's events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArchivedEvent {
    /// The archived contract.
    pub contract_id: String,
    /// Its template id.
    pub template_id: String,
}

/// One event of an exercise, in transaction-tree pre-order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum LedgerEvent {
    /// A contract was created.
    Created(Contract),
    /// A contract was archived.
    Archived(ArchivedEvent),
}

/// The result of `POST /v1/exercise`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExerciseResult {
    /// The choice's return value.
    pub exercise_result: Value,
    /// The transaction's events.
    #[serde(default)]
    pub events: Vec<LedgerEvent>,
    /// The ledger offset of the command.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completion_offset: Option<String>,
}

impl Contract {
    /// Whether this is an instance of `module_entity` (`IRSForge.Csa:Csa`), whichever template
    /// id form the ledger used (`docs/ledger-json-api.md` §2.2).
    pub fn is_instance_of(&self, module_entity: &str) -> bool {
        self.template_id
            .strip_suffix(module_entity)
            .is_some_and(|package| package.ends_with(':'))
    }

    /// A payload field as log text: a string without its quotes, anything else as JSON, and
    /// nothing when the field is absent or `null`.
    pub fn field_text(&self, name: &str) -> String {
        match self.payload.get(name) {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(text)) => text.clone(),
            Some(other) => other.to_string(),
        }
    }
}

impl ExerciseResult {
    /// The contracts of `module_entity` the exercise created, in event order.
    pub fn created<'a>(&'a self, module_entity: &'a str) -> impl Iterator<Item = &'a Contract> {
        self.events.iter().filter_map(move |event| match event {
            LedgerEvent::Created(contract) if contract.is_instance_of(module_entity) => {
                Some(contract)
            }
            _ => None,
        })
    }

    /// The contract ids the choice's result lists under `field` (one id or a list of them).
    pub fn result_ids(&self, field: &str) -> Vec<String> {
        match self.exercise_result.get(field) {
            Some(Value::Array(ids)) => ids
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            Some(Value::String(id)) => vec![id.clone()],
            _ => Vec::new(),
        }
    }
}
