//! The command engine: create and exercise with Daml's authorization rules, and the visibility
//! rule for reads (`docs/ledger-json-api.md` §1.5, §1.6, §2.3).
//!
//! A command runs in the order a participant runs it: the contract is looked up as the
//! submitters' readers see it (unknown, archived or invisible → CONTRACT_NOT_FOUND), the
//! required authorizers (a create's signatories, a choice's controllers) must all be among
//! `actAs` (else DAML_AUTHORIZATION_ERROR), the body runs (a failed precondition →
//! DAML_INTERPRETATION_ERROR), and only then are the submitters and informees checked against
//! the allocated parties (routing). Nothing is written unless every step succeeds.

use serde_json::{Value, json};

use crate::envelope::ApiError;
use crate::lf::Timestamp;
use crate::store::{Contract, LedgerState, format_offset};
use crate::template::{ChoiceContext, ChoiceError, InstanceError, TemplateDef};

/// The parties a command acts and reads as, after `meta` overrides.
#[derive(Debug, Clone)]
pub(crate) struct Submission {
    pub(crate) act_as: Vec<String>,
    pub(crate) read_as: Vec<String>,
    /// `meta.commandId`, or a random id; used in error correlation ids.
    pub(crate) correlation_id: String,
}

impl Submission {
    fn readers(&self) -> Vec<String> {
        self.act_as.iter().chain(&self.read_as).cloned().collect()
    }
}

/// What an exercise targets.
#[derive(Debug, Clone)]
pub(crate) enum Target {
    /// A contract id.
    ContractId(String),
    /// A contract key.
    Key(Value),
}

/// Creates a contract of `template` from a raw payload. Returns the create result object.
pub(crate) fn create(
    state: &mut LedgerState,
    submission: &Submission,
    template: &'static TemplateDef,
    payload: Value,
) -> Result<Value, ApiError> {
    let corr = &submission.correlation_id;
    let instance = (template.decode)(payload).map_err(|error| match error {
        InstanceError::Decode(detail) => ApiError::bad_request(format!(
            "JsonReaderError. Cannot read payload of {}: {detail}",
            template.qualified_name()
        )),
        InstanceError::Ensure(detail) => ApiError::interpretation(
            &format!(
                "Template precondition violated in {}: {detail}",
                template.template_id()
            ),
            corr,
        ),
    })?;
    require_authorizers(template, &instance.signatories, submission)?;
    if let Some(key) = &instance.key
        && state.find_by_key(template, key).is_some()
    {
        return Err(ApiError::duplicate_key(&template.template_id(), corr));
    }
    check_routing(state, submission, instance.stakeholders())?;
    let (contract_id, seq) = state.allocate_contract_id();
    let contract = Contract {
        contract_id,
        template,
        instance,
        seq,
    };
    let mut result = contract.to_json();
    log_created(&contract);
    let next_seq = state.next_seq();
    let offset = state.commit(&[], vec![contract], next_seq);
    result["completionOffset"] = json!(format_offset(offset));
    Ok(result)
}

/// Exercises `choice` on the targeted contract at ledger time `now`. Returns the exercise
/// result object (`exerciseResult`, `events`, `completionOffset`).
pub(crate) fn exercise(
    state: &mut LedgerState,
    now: Timestamp,
    submission: &Submission,
    template: &'static TemplateDef,
    target: &Target,
    choice: &str,
    argument: Value,
) -> Result<Value, ApiError> {
    let corr = &submission.correlation_id;
    let readers = submission.readers();
    let contract = match target {
        Target::ContractId(contract_id) => state
            .contract(contract_id)
            .filter(|c| std::ptr::eq(c.template, template) && c.instance.visible_to(&readers))
            .ok_or_else(|| ApiError::contract_not_found(contract_id, corr))?,
        Target::Key(key) => state
            .find_by_key(template, key)
            .filter(|c| c.instance.visible_to(&readers))
            .ok_or_else(|| ApiError::contract_key_not_found(&template.template_id(), corr))?,
    };
    let contract_id = contract.contract_id.clone();
    let (consuming, result, created, next_seq) = if choice == "Archive" {
        require_authorizers(template, &contract.instance.signatories, submission)?;
        crate::envelope::decode_value::<crate::lf::Unit>(argument)
            .map_err(|e| ApiError::bad_request(format!("Archive takes `{{}}`: {}", e.message)))?;
        (true, json!({}), Vec::new(), state.next_seq())
    } else {
        let definition = template.choice(choice).ok_or_else(|| {
            ApiError::bad_request(format!(
                "Template {} has no choice {choice:?}; its choices are Archive{}",
                template.template_id(),
                template
                    .choices
                    .iter()
                    .map(|c| format!(", {}", c.name))
                    .collect::<String>()
            ))
        })?;
        let controllers = (definition.controllers)(&contract.instance.payload)
            .map_err(|error| choice_failure(error, template, choice, corr))?;
        require_authorizers(template, &controllers, submission)?;
        let mut context = ChoiceContext::new(state, now, &contract_id);
        let result = (definition.exercise)(&mut context, &contract.instance.payload, argument)
            .map_err(|error| choice_failure(error, template, choice, corr))?;
        let next_seq = context.next_seq();
        (definition.consuming, result, context.created, next_seq)
    };
    check_routing(
        state,
        submission,
        created.iter().flat_map(|c| c.instance.stakeholders()),
    )?;

    let mut events = Vec::new();
    let mut archives = Vec::new();
    if consuming {
        events.push(json!({"archived": {
            "contractId": contract_id,
            "templateId": template.template_id(),
        }}));
        archives.push(contract_id.clone());
    }
    for contract in &created {
        events.push(json!({"created": contract.to_json()}));
        log_created(contract);
    }
    tracing::info!(
        event = "choice_exercised",
        template = %template.qualified_name(),
        choice,
        contractId = %contract_id,
        actAs = ?submission.act_as,
        created = created.len(),
        "choice exercised"
    );
    let offset = state.commit(&archives, created, next_seq);
    Ok(json!({
        "exerciseResult": result,
        "events": events,
        "completionOffset": format_offset(offset),
    }))
}

/// Active contracts of `templates` visible to `readers`, in creation order.
pub(crate) fn visible_contracts<'a>(
    state: &'a LedgerState,
    templates: &[&'static TemplateDef],
    readers: &[String],
) -> Vec<&'a Contract> {
    state
        .active_contracts()
        .into_iter()
        .filter(|c| templates.iter().any(|t| std::ptr::eq(*t, c.template)))
        .filter(|c| c.instance.visible_to(readers))
        .collect()
}

/// Every required authorizer must be among the submission's `actAs`.
fn require_authorizers(
    template: &TemplateDef,
    required: &[String],
    submission: &Submission,
) -> Result<(), ApiError> {
    if required
        .iter()
        .all(|party| submission.act_as.contains(party))
    {
        return Ok(());
    }
    Err(ApiError::daml_authorization(
        &template.template_id(),
        required,
        &submission.act_as,
        &submission.correlation_id,
    ))
}

/// Routing: every submitter and every informee of the new contracts must be allocated here.
fn check_routing<'a>(
    state: &LedgerState,
    submission: &Submission,
    informees: impl Iterator<Item = &'a String>,
) -> Result<(), ApiError> {
    let unknown: Vec<String> = submission
        .act_as
        .iter()
        .filter(|party| !state.is_known_party(party))
        .cloned()
        .collect();
    if !unknown.is_empty() {
        return Err(ApiError::unknown_submitters(
            &unknown,
            &submission.correlation_id,
        ));
    }
    let mut unknown: Vec<String> = Vec::new();
    for party in informees {
        if !state.is_known_party(party) && !unknown.contains(party) {
            unknown.push(party.clone());
        }
    }
    if !unknown.is_empty() {
        return Err(ApiError::unknown_informees(
            &unknown,
            &submission.correlation_id,
        ));
    }
    Ok(())
}

fn choice_failure(
    error: ChoiceError,
    template: &TemplateDef,
    choice: &str,
    corr: &str,
) -> ApiError {
    match error {
        ChoiceError::Argument(detail) => ApiError::bad_request(format!(
            "JsonReaderError. Cannot read the argument of choice {choice} of {}: {detail}",
            template.qualified_name()
        )),
        ChoiceError::Abort { code, message } => {
            ApiError::interpretation(&format!("User abort: {code}: {message}"), corr)
        }
        ChoiceError::Ensure { template, message } => ApiError::interpretation(
            &format!("Template precondition violated in {template}: {message}"),
            corr,
        ),
        ChoiceError::DuplicateKey(template) => ApiError::duplicate_key(&template, corr),
        ChoiceError::Internal(detail) => {
            tracing::error!(event = "internal_error", detail = %detail, "choice failed internally");
            ApiError::internal()
        }
    }
}

fn log_created(contract: &Contract) {
    tracing::info!(
        event = "contract_created",
        template = %contract.template.qualified_name(),
        contractId = %contract.contract_id,
        "contract created"
    );
}
