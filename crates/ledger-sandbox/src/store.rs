//! The in-memory ledger: allocated parties, active contracts and the ledger offset. An archived
//! contract is simply gone, which is all CONTRACT_NOT_FOUND needs.
//!
//! Everything sits behind one `std::sync::Mutex` held by the caller for the duration of one
//! command or query. No await happens while it is held, and every operation is a short scan
//! of a small world, so a blocking mutex is simpler and faster than an async one.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::template::TemplateDef;

/// A decoded, validated contract payload with its parties.
#[derive(Debug, Clone)]
pub(crate) struct Instance {
    /// The canonical LF JSON payload.
    pub(crate) payload: Value,
    /// Signatories, in template order, without duplicates.
    pub(crate) signatories: Vec<String>,
    /// Observers that are not signatories, without duplicates.
    pub(crate) observers: Vec<String>,
    /// The contract key, when the template has one.
    pub(crate) key: Option<Value>,
}

impl Instance {
    /// Whether any of `readers` is a stakeholder.
    pub(crate) fn visible_to(&self, readers: &[String]) -> bool {
        self.signatories
            .iter()
            .chain(&self.observers)
            .any(|party| readers.contains(party))
    }

    /// Signatories and observers.
    pub(crate) fn stakeholders(&self) -> impl Iterator<Item = &String> {
        self.signatories.iter().chain(&self.observers)
    }
}

/// An active contract.
#[derive(Debug, Clone)]
pub(crate) struct Contract {
    pub(crate) contract_id: String,
    pub(crate) template: &'static TemplateDef,
    pub(crate) instance: Instance,
    /// Creation order.
    pub(crate) seq: u64,
}

impl Contract {
    /// The JSON API contract object (§3.4): `key` only for templates with a key.
    pub(crate) fn to_json(&self) -> Value {
        let mut value = json!({
            "contractId": self.contract_id,
            "templateId": self.template.template_id(),
            "payload": self.instance.payload,
            "signatories": self.instance.signatories,
            "observers": self.instance.observers,
            "agreementText": "",
        });
        if let Some(key) = &self.instance.key {
            value["key"] = key.clone();
        }
        value
    }
}

/// A party known to the participant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PartyRecord {
    pub(crate) identifier: String,
    pub(crate) display_name: Option<String>,
}

impl PartyRecord {
    /// The JSON API PartyDetails object; `displayName` is left out when unset.
    pub(crate) fn to_json(&self) -> Value {
        let mut value = json!({"identifier": self.identifier, "isLocal": true});
        if let Some(display_name) = &self.display_name {
            value["displayName"] = json!(display_name);
        }
        value
    }
}

/// The whole ledger state.
#[derive(Debug)]
pub(crate) struct LedgerState {
    parties: Vec<PartyRecord>,
    active: HashMap<String, Contract>,
    offset: u64,
    /// Random per instance, so contract ids from two sandboxes never collide.
    nonce: u128,
    next_seq: u64,
}

impl LedgerState {
    /// An empty ledger.
    pub(crate) fn new() -> Self {
        Self {
            parties: Vec::new(),
            active: HashMap::new(),
            offset: 0,
            nonce: fastrand::u128(..),
            next_seq: 0,
        }
    }

    /// The next contract sequence number.
    pub(crate) fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// The contract id for sequence number `seq`: Canton-like lowercase hex starting `00`.
    pub(crate) fn contract_id_for(&self, seq: u64) -> String {
        format!("00{:032x}{seq:016x}", self.nonce)
    }

    /// Allocates the next contract id outside a choice (plain creates, seeding).
    pub(crate) fn allocate_contract_id(&mut self) -> (String, u64) {
        let seq = self.next_seq;
        self.next_seq += 1;
        (self.contract_id_for(seq), seq)
    }

    /// The active contract with this id.
    pub(crate) fn contract(&self, contract_id: &str) -> Option<&Contract> {
        self.active.get(contract_id)
    }

    /// Active contracts in creation order.
    pub(crate) fn active_contracts(&self) -> Vec<&Contract> {
        let mut contracts: Vec<&Contract> = self.active.values().collect();
        contracts.sort_by_key(|contract| contract.seq);
        contracts
    }

    /// The active contract of `template` with `key`.
    pub(crate) fn find_by_key(&self, template: &TemplateDef, key: &Value) -> Option<&Contract> {
        self.active.values().find(|contract| {
            std::ptr::eq(contract.template, template) && contract.instance.key.as_ref() == Some(key)
        })
    }

    /// Applies a transaction: archives, then creates (with `next_seq` advanced past them).
    /// Returns the new ledger offset.
    pub(crate) fn commit(
        &mut self,
        archives: &[String],
        creates: Vec<Contract>,
        next_seq: u64,
    ) -> u64 {
        for contract_id in archives {
            self.active.remove(contract_id);
        }
        for contract in creates {
            self.active.insert(contract.contract_id.clone(), contract);
        }
        self.next_seq = self.next_seq.max(next_seq);
        self.offset += 1;
        self.offset
    }

    /// Known parties, in allocation order.
    pub(crate) fn parties(&self) -> &[PartyRecord] {
        &self.parties
    }

    /// Whether `identifier` is an allocated party.
    pub(crate) fn is_known_party(&self, identifier: &str) -> bool {
        self.parties
            .iter()
            .any(|party| party.identifier == identifier)
    }

    /// Adds a party; `Err` when the identifier is taken.
    pub(crate) fn add_party(&mut self, party: PartyRecord) -> Result<(), PartyRecord> {
        if self.is_known_party(&party.identifier) {
            return Err(party);
        }
        self.parties.push(party);
        Ok(())
    }
}

/// The JSON API offset form: zero-padded decimal, so it sorts as a string.
pub(crate) fn format_offset(offset: u64) -> String {
    format!("{offset:018}")
}
