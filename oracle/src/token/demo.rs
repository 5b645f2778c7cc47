//! Branch 2 of the resolver: the demo profile's self-signed HS256 tokens.
//!
//! The ledger runs in unsafe HS256 mode with `daml.unsafeJwtSecret`. Daml 2.x participants
//! serve `GET /v1/parties` only to admin tokens (`docs/ledger-json-api.md` §1.5, §4), so the
//! bootstrap is:
//!
//! 1. sign a short-lived admin token (`ledgerId`, `applicationId`, `admin: true`, no parties);
//! 2. `GET /v1/parties` with it;
//! 3. find the party whose hint (the part before `::`) or, failing that, display name equals
//!    the account's hint: `Operator` for mark-publisher, `parties.scheduler.partyHint` for the
//!    scheduler; a local party wins over a remote one, and a tie is an error naming both;
//! 4. sign the service token: `actAs` = that exact id, `readAs` = every listed party,
//!    `ledgerId`, `applicationId`, no admin right.
//!
//! Lifetime: [`DEMO_TOKEN_LIFETIME`] (15 minutes, the auth service's default TTL), so demo
//! tokens go through the same refresh-at-80 % machinery as issued ones and a leaked demo
//! token is as short-lived as a real one. Each refresh repeats the bootstrap, which also picks
//! up parties allocated since; if the ledger cannot be asked at refresh time, the token is
//! re-signed with the parties found before (the secret is local, so a ledger outage never
//! costs the oracle its token) and `demo_party_lookup_failed` is logged.

use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use ledger_types::{LedgerApiClaims, LedgerJwtClaims};
use shared_config::{Config, MARK_PUBLISHER_ACCOUNT, SCHEDULER_ACCOUNT};

use super::{BearerToken, FetchFuture, FetchedToken, TokenFetcher, TokenSourceKind};
use crate::error::{LedgerError, TokenError};
use crate::ledger::{LedgerClient, PartyDetails};

/// The mark-publisher's party hint in the demo profile.
pub const OPERATOR_PARTY_HINT: &str = "Operator";
/// Lifetime of a demo service token.
pub const DEMO_TOKEN_LIFETIME: Duration = Duration::from_secs(900);
/// Lifetime of the admin bootstrap token: long enough for one party listing.
pub const BOOTSTRAP_TOKEN_LIFETIME: Duration = Duration::from_secs(60);

/// Signs demo-profile tokens for one service account.
pub struct DemoTokenMinter {
    account_id: String,
    hint: String,
    ledger: LedgerClient,
    ledger_id: String,
    application_id: String,
    key: EncodingKey,
    resolved: Mutex<Option<Parties>>,
}

#[derive(Clone)]
struct Parties {
    act_as: String,
    read_as: Vec<String>,
}

/// The party hint the demo profile resolves for an account, if it knows the account.
pub fn party_hint(account_id: &str, config: &Config) -> Option<String> {
    match account_id {
        MARK_PUBLISHER_ACCOUNT => Some(OPERATOR_PARTY_HINT.to_owned()),
        SCHEDULER_ACCOUNT => Some(config.parties.scheduler_party_hint.clone()),
        _ => None,
    }
}

impl DemoTokenMinter {
    /// The minter for `account_id`, talking to the operator's ledger.
    pub fn from_config(account_id: &str, config: &Config) -> Result<Self, TokenError> {
        let hint = party_hint(account_id, config).ok_or_else(|| TokenError::UnknownAccount {
            account: account_id.to_owned(),
            detail: format!(
                "the demo profile signs tokens for {MARK_PUBLISHER_ACCOUNT} (hint \
                 {OPERATOR_PARTY_HINT}) and {SCHEDULER_ACCOUNT} (parties.scheduler.partyHint) only"
            ),
        })?;
        let ledger = LedgerClient::from_config(config)
            .map_err(|error| TokenError::HttpClient(error.to_string()))?;
        Ok(Self::new(
            account_id,
            &hint,
            ledger,
            &config.daml.ledger_id,
            &config.daml.application_id,
            config.daml.unsafe_jwt_secret.expose(),
        ))
    }

    /// A minter with explicit settings.
    pub fn new(
        account_id: &str,
        hint: &str,
        ledger: LedgerClient,
        ledger_id: &str,
        application_id: &str,
        secret: &str,
    ) -> Self {
        Self {
            account_id: account_id.to_owned(),
            hint: hint.to_owned(),
            ledger,
            ledger_id: ledger_id.to_owned(),
            application_id: application_id.to_owned(),
            key: EncodingKey::from_secret(secret.as_bytes()),
            resolved: Mutex::new(None),
        }
    }

    async fn mint(&self) -> Result<FetchedToken, TokenError> {
        let admin = self.sign(
            LedgerApiClaims {
                admin: true,
                ..self.base_claims()
            },
            BOOTSTRAP_TOKEN_LIFETIME,
        )?;
        let parties = match self.ledger.list_parties(&admin).await {
            Ok(listed) => {
                let parties = self.resolve(&listed)?;
                *self.lock_resolved() = Some(parties.clone());
                parties
            }
            Err(error) => match self.lock_resolved().clone() {
                Some(parties) if error.is_transient() => {
                    tracing::warn!(
                        event = "demo_party_lookup_failed",
                        accountId = %self.account_id,
                        error = %error,
                        "re-signing with the parties found before"
                    );
                    parties
                }
                _ => return Err(self.ledger_failure(error)),
            },
        };
        let token = self.sign(
            LedgerApiClaims {
                act_as: vec![parties.act_as],
                read_as: parties.read_as,
                ..self.base_claims()
            },
            DEMO_TOKEN_LIFETIME,
        )?;
        Ok(FetchedToken {
            token,
            lifetime: DEMO_TOKEN_LIFETIME,
            clamped_from: None,
        })
    }

    fn resolve(&self, listed: &[PartyDetails]) -> Result<Parties, TokenError> {
        let party = select_party(&self.hint, listed, self.ledger.base_url())?;
        Ok(Parties {
            act_as: party.identifier.clone(),
            read_as: listed
                .iter()
                .map(|party| party.identifier.clone())
                .collect(),
        })
    }

    fn ledger_failure(&self, error: LedgerError) -> TokenError {
        let endpoint = format!("{}/v1/parties", self.ledger.base_url());
        match error {
            LedgerError::Unauthorized {
                status, message, ..
            } => TokenError::Rejected {
                endpoint,
                detail: format!(
                    "HTTP {status} for the demo admin token ({message}); is daml.unsafeJwtSecret \
                     the participant's HS256 secret and daml.ledgerId its ledger id?"
                ),
            },
            LedgerError::Timeout { .. }
            | LedgerError::Network { .. }
            | LedgerError::Server { .. } => TokenError::Network {
                endpoint,
                detail: format!(
                    "{error}; the party `{}` cannot be resolved until the ledger answers",
                    self.hint
                ),
                retry_after: None,
            },
            other => TokenError::Rejected {
                endpoint,
                detail: other.to_string(),
            },
        }
    }

    fn base_claims(&self) -> LedgerApiClaims {
        LedgerApiClaims {
            ledger_id: Some(self.ledger_id.clone()),
            application_id: Some(self.application_id.clone()),
            ..LedgerApiClaims::default()
        }
    }

    fn sign(&self, claims: LedgerApiClaims, lifetime: Duration) -> Result<BearerToken, TokenError> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_err(|_| TokenError::Signing("the system clock is before 1970".into()))?
            .as_secs() as i64;
        let claims = LedgerJwtClaims {
            iss: None,
            sub: Some(format!("service:{}", self.account_id)),
            iat: Some(now),
            exp: Some(now + lifetime.as_secs() as i64),
            jti: None,
            ledger_api: claims,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.key)
            .map(BearerToken::new)
            .map_err(|error| TokenError::Signing(error.to_string()))
    }

    fn lock_resolved(&self) -> std::sync::MutexGuard<'_, Option<Parties>> {
        self.resolved
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The party for `hint` among a participant's listing: by hint, else by display name; a local
/// party wins a tie; a remaining tie is an error.
pub fn select_party<'a>(
    hint: &str,
    parties: &'a [PartyDetails],
    ledger: &str,
) -> Result<&'a PartyDetails, TokenError> {
    let by_hint: Vec<&PartyDetails> = parties
        .iter()
        .filter(|party| party.hint() == hint)
        .collect();
    let candidates = if by_hint.is_empty() {
        parties
            .iter()
            .filter(|party| party.display_name.as_deref() == Some(hint))
            .collect()
    } else {
        by_hint
    };
    let local: Vec<&PartyDetails> = candidates
        .iter()
        .copied()
        .filter(|party| party.is_local)
        .collect();
    let chosen = if local.is_empty() { candidates } else { local };
    match chosen.as_slice() {
        [party] => Ok(party),
        [] => Err(TokenError::PartyNotFound {
            hint: hint.to_owned(),
            ledger: ledger.to_owned(),
            known: parties.len(),
        }),
        several => Err(TokenError::AmbiguousParty {
            hint: hint.to_owned(),
            ledger: ledger.to_owned(),
            candidates: several
                .iter()
                .map(|party| party.identifier.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}

impl TokenFetcher for DemoTokenMinter {
    fn fetch(&self) -> FetchFuture<'_> {
        Box::pin(self.mint())
    }

    fn kind(&self) -> TokenSourceKind {
        TokenSourceKind::Demo
    }
}

impl fmt::Debug for DemoTokenMinter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DemoTokenMinter")
            .field("account_id", &self.account_id)
            .field("hint", &self.hint)
            .field("ledger", &self.ledger.base_url())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn party(identifier: &str, display_name: Option<&str>, is_local: bool) -> PartyDetails {
        PartyDetails {
            identifier: identifier.into(),
            display_name: display_name.map(Into::into),
            is_local,
        }
    }

    #[test]
    fn selects_by_hint_then_display_name_and_prefers_local_parties() {
        let parties = [
            party("sandbox::1220aa", None, true),
            party("Operator::1220aa", Some("IRSForge Operator"), true),
            party("Operator::1220bb", None, false),
            party("party-7f3c::1220aa", Some("Scheduler"), true),
        ];
        let pick = |hint| select_party(hint, &parties, "http://l").map(|p| p.identifier.clone());
        assert_eq!(pick("Operator").unwrap(), "Operator::1220aa");
        assert_eq!(pick("Scheduler").unwrap(), "party-7f3c::1220aa");
        assert_eq!(pick("IRSForge Operator").unwrap(), "Operator::1220aa");
        let error = pick("Regulator").unwrap_err();
        assert_eq!(
            error.to_string(),
            "no party with hint or display name `Regulator` on the ledger at http://l (4 parties \
             listed): the ledger is unreachable or the party is not allocated"
        );
    }

    #[test]
    fn an_unresolvable_tie_names_the_candidates() {
        let parties = [
            party("Operator::1220aa", None, true),
            party("Operator::1220bb", None, true),
        ];
        let error = select_party("Operator", &parties, "http://l").unwrap_err();
        assert!(
            error
                .to_string()
                .contains("Operator::1220aa, Operator::1220bb"),
            "{error}"
        );
    }
}
