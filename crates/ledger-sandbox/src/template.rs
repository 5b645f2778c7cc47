//! The machinery that turns Rust structs into Daml templates and choices.
//!
//! A template is a struct whose serde form is its LF JSON payload (`lf` supplies the field
//! types); [`Template`] adds its signatories, observers, optional key and `ensure` clause. A
//! choice is a type implementing [`Choice`]. [`TemplateDef`] and [`ChoiceDef`] erase the types
//! so the ledger can dispatch on names from requests. Choice bodies run in a
//! [`ChoiceContext`], which stages creates so a failing choice changes nothing.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::lf::{ContractId, Party, Timestamp};
use crate::store::{Contract, Instance, LedgerState};

/// A Daml template implemented by a Rust struct.
pub(crate) trait Template: Serialize + DeserializeOwned + Sized + 'static {
    /// The erased definition the ledger dispatches on.
    fn definition() -> &'static TemplateDef;
    /// Parties whose authority creating the contract needs.
    fn signatories(&self) -> Vec<Party>;
    /// Further parties that see the contract.
    fn observers(&self) -> Vec<Party>;
    /// The contract key, when the template has one.
    fn key(&self) -> Option<Value> {
        None
    }
    /// The template's `ensure` clause; `Err` says which condition fails.
    fn ensure(&self) -> Result<(), String> {
        Ok(())
    }
}

/// A choice on a template.
pub(crate) trait Choice {
    /// The template the choice is on.
    type Template: Template;
    /// The choice argument record.
    type Argument: DeserializeOwned;
    /// The exercise result.
    type Result: Serialize;
    /// The choice name in requests.
    const NAME: &'static str;
    /// Whether exercising archives the contract.
    const CONSUMING: bool;
    /// Parties whose authority the exercise needs.
    fn controllers(contract: &Self::Template) -> Vec<Party>;
    /// The choice body.
    fn exercise(
        context: &mut ChoiceContext<'_>,
        contract: Self::Template,
        argument: Self::Argument,
    ) -> Result<Self::Result, ChoiceError>;
}

/// Why a choice body failed.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ChoiceError {
    /// The argument does not decode as the choice's argument record.
    Argument(String),
    /// A precondition failed: `code` is a stable SCREAMING_SNAKE identifier clients may match.
    Abort {
        /// Stable identifier, e.g. `NOTHING_DUE`.
        code: &'static str,
        /// Human explanation.
        message: String,
    },
    /// A contract the choice creates violates its template's `ensure` clause.
    Ensure {
        /// The template id of the contract.
        template: String,
        /// The failing condition.
        message: String,
    },
    /// A contract the choice creates has the key of an active contract.
    DuplicateKey(String),
    /// A bug: stored data did not decode.
    Internal(String),
}

impl ChoiceError {
    /// A failed precondition with a stable code.
    pub(crate) fn abort(code: &'static str, message: impl Into<String>) -> Self {
        Self::Abort {
            code,
            message: message.into(),
        }
    }
}

/// A template's erased definition.
pub(crate) struct TemplateDef {
    /// Dotted module path, e.g. `IRSForge.Csa`.
    pub(crate) module: &'static str,
    /// Entity name, e.g. `Csa`.
    pub(crate) entity: &'static str,
    /// Decodes and validates a payload.
    pub(crate) decode: fn(Value) -> Result<Instance, InstanceError>,
    /// The template's choices, `Archive` excluded (every template has it).
    pub(crate) choices: &'static [ChoiceDef],
}

impl std::fmt::Debug for TemplateDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TemplateDef({}:{})", self.module, self.entity)
    }
}

impl TemplateDef {
    /// `pkgId:Module:Entity`.
    pub(crate) fn template_id(&self) -> String {
        format!(
            "{}:{}:{}",
            crate::world::PACKAGE_ID,
            self.module,
            self.entity
        )
    }

    /// `Module:Entity`.
    pub(crate) fn qualified_name(&self) -> String {
        format!("{}:{}", self.module, self.entity)
    }

    /// The choice named `name`.
    pub(crate) fn choice(&self, name: &str) -> Option<&'static ChoiceDef> {
        self.choices.iter().find(|choice| choice.name == name)
    }
}

/// Why a payload is not a valid contract of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum InstanceError {
    /// The payload does not decode (names the field).
    Decode(String),
    /// The `ensure` clause fails.
    Ensure(String),
}

/// A choice's erased definition.
pub(crate) struct ChoiceDef {
    /// The choice name.
    pub(crate) name: &'static str,
    /// Whether exercising archives the contract.
    pub(crate) consuming: bool,
    /// Computes the controllers from a stored payload.
    pub(crate) controllers: fn(&Value) -> Result<Vec<String>, ChoiceError>,
    /// Runs the body on a stored payload and a raw argument.
    pub(crate) exercise: fn(&mut ChoiceContext<'_>, &Value, Value) -> Result<Value, ChoiceError>,
}

/// Builds the erased definition of template `T`.
pub(crate) const fn template_def<T: Template>(
    module: &'static str,
    entity: &'static str,
    choices: &'static [ChoiceDef],
) -> TemplateDef {
    TemplateDef {
        module,
        entity,
        decode: decode_instance::<T>,
        choices,
    }
}

/// Builds the erased definition of choice `C`.
pub(crate) const fn choice_def<C: Choice>() -> ChoiceDef {
    ChoiceDef {
        name: C::NAME,
        consuming: C::CONSUMING,
        controllers: erased_controllers::<C>,
        exercise: erased_exercise::<C>,
    }
}

/// Decodes a payload into `T`, checks `ensure`, and computes its canonical form and parties.
pub(crate) fn decode_instance<T: Template>(payload: Value) -> Result<Instance, InstanceError> {
    let contract: T = serde_path_to_error::deserialize(payload).map_err(|error| {
        InstanceError::Decode(format!("at `{}`: {}", error.path(), error.inner()))
    })?;
    contract.ensure().map_err(InstanceError::Ensure)?;
    instance_of(&contract).map_err(InstanceError::Decode)
}

pub(crate) fn instance_of<T: Template>(contract: &T) -> Result<Instance, String> {
    let payload = serde_json::to_value(contract).map_err(|error| error.to_string())?;
    let mut signatories: Vec<String> = Vec::new();
    for party in contract.signatories() {
        if !signatories.iter().any(|p| p == party.as_str()) {
            signatories.push(party.as_str().to_owned());
        }
    }
    let mut observers: Vec<String> = Vec::new();
    for party in contract.observers() {
        let party = party.as_str();
        if !signatories.iter().any(|p| p == party) && !observers.iter().any(|p| p == party) {
            observers.push(party.to_owned());
        }
    }
    Ok(Instance {
        payload,
        signatories,
        observers,
        key: contract.key(),
    })
}

fn stored<T: Template>(payload: &Value) -> Result<T, ChoiceError> {
    serde_json::from_value(payload.clone()).map_err(|error| {
        ChoiceError::Internal(format!(
            "stored {} payload does not decode: {error}",
            T::definition().qualified_name()
        ))
    })
}

fn erased_controllers<C: Choice>(payload: &Value) -> Result<Vec<String>, ChoiceError> {
    let contract: C::Template = stored(payload)?;
    Ok(C::controllers(&contract)
        .into_iter()
        .map(|party| party.as_str().to_owned())
        .collect())
}

fn erased_exercise<C: Choice>(
    context: &mut ChoiceContext<'_>,
    payload: &Value,
    argument: Value,
) -> Result<Value, ChoiceError> {
    let contract: C::Template = stored(payload)?;
    let argument: C::Argument = serde_path_to_error::deserialize(argument).map_err(|error| {
        let path = error.path().to_string();
        ChoiceError::Argument(if path == "." {
            error.into_inner().to_string()
        } else {
            format!("at `{path}`: {}", error.into_inner())
        })
    })?;
    let result = C::exercise(context, contract, argument)?;
    serde_json::to_value(result).map_err(|error| ChoiceError::Internal(error.to_string()))
}

/// What a choice body can see and do: ledger time, key lookups on the committed state, and
/// staged creates that the ledger commits only if the whole exercise succeeds.
pub(crate) struct ChoiceContext<'a> {
    now: Timestamp,
    state: &'a LedgerState,
    exercised: &'a str,
    pub(crate) created: Vec<Contract>,
    next_seq: u64,
}

impl<'a> ChoiceContext<'a> {
    /// A context for exercising `exercised` at ledger time `now`.
    pub(crate) fn new(state: &'a LedgerState, now: Timestamp, exercised: &'a str) -> Self {
        Self {
            now,
            state,
            exercised,
            created: Vec::new(),
            next_seq: state.next_seq(),
        }
    }

    /// Ledger time (Daml's `getTime`).
    pub(crate) fn now(&self) -> Timestamp {
        self.now
    }

    /// The sequence number the ledger's id generator continues from after this exercise.
    pub(crate) fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// Creates a contract (staged), checking `ensure` and key uniqueness.
    pub(crate) fn create<T: Template>(&mut self, contract: &T) -> Result<ContractId, ChoiceError> {
        let definition = T::definition();
        contract.ensure().map_err(|message| ChoiceError::Ensure {
            template: definition.template_id(),
            message,
        })?;
        let instance = instance_of(contract).map_err(ChoiceError::Internal)?;
        if let Some(key) = &instance.key {
            let staged = self.created.iter().any(|c| {
                std::ptr::eq(c.template, definition) && c.instance.key.as_ref() == Some(key)
            });
            if staged || self.lookup_by_key::<T>(key).is_some() {
                return Err(ChoiceError::DuplicateKey(definition.template_id()));
            }
        }
        let contract_id = self.state.contract_id_for(self.next_seq);
        self.created.push(Contract {
            contract_id: contract_id.clone(),
            template: definition,
            instance,
            seq: self.next_seq,
        });
        let contract_id =
            ContractId::parse(contract_id).map_err(|e| ChoiceError::Internal(e.to_string()))?;
        self.next_seq += 1;
        Ok(contract_id)
    }

    /// The active contract of template `T` with `key`, ignoring the contract being exercised
    /// (a consuming choice has archived it by the time its body looks).
    pub(crate) fn lookup_by_key<T: Template>(&self, key: &Value) -> Option<(ContractId, T)> {
        let contract = self.state.find_by_key(T::definition(), key)?;
        if contract.contract_id == self.exercised {
            return None;
        }
        let decoded = stored::<T>(&contract.instance.payload).ok()?;
        Some((
            ContractId::parse(contract.contract_id.clone()).ok()?,
            decoded,
        ))
    }
}
