//! Minting the ledger JWT (the claims are listed in `auth/README.md`, "Routes"): claims from `auth.serviceAccounts` and `auth.builtin`,
//! signed RS256 by the active key.

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ledger_types::{LedgerApiClaims, LedgerJwtClaims};
use shared_config::{Config, ServiceAccount};

use crate::error::AuthError;
use crate::keys::SigningKey;

/// The fixed parts of every token, taken from the config once.
#[derive(Debug, Clone)]
pub(crate) struct TokenSettings {
    issuer: String,
    ttl_seconds: i64,
    ledger_id: String,
    application_id: String,
}

/// A signed token and what the log line reports about it.
pub(crate) struct MintedToken {
    pub(crate) token: String,
    pub(crate) jti: String,
    pub(crate) exp: i64,
    pub(crate) expires_in: i64,
}

impl TokenSettings {
    /// The settings of `auth.builtin`. Fails when the provider is demo (no token service) or
    /// when `keyAlgorithm` names an algorithm other than RS256, the one this service signs
    /// with (RFC 7518 §3.3).
    pub(crate) fn from_config(config: &Config) -> Result<Self, AuthError> {
        let builtin = config.auth.builtin().ok_or(AuthError::DemoProvider)?;
        if builtin.key_algorithm != "RS256" {
            return Err(AuthError::Unsupported {
                path: "auth.builtin.keyAlgorithm",
                reason: format!(
                    "{:?} is not implemented; irsforge-auth signs ledger JWTs with \"RS256\"",
                    builtin.key_algorithm
                ),
            });
        }
        Ok(Self {
            issuer: builtin.issuer.clone(),
            ttl_seconds: i64::try_from(builtin.token_ttl_seconds).unwrap_or(i64::MAX),
            ledger_id: config.daml.ledger_id.clone(),
            application_id: config.daml.application_id.clone(),
        })
    }

    /// The claims: `iss`, `sub` = `service:<id>`, `iat`, `exp` = iat + TTL, a random
    /// `jti`, and the ledger API object with actAs/readAs copied verbatim.
    pub(crate) fn claims(
        &self,
        account: &ServiceAccount,
        now: i64,
    ) -> Result<LedgerJwtClaims, AuthError> {
        Ok(LedgerJwtClaims {
            iss: Some(self.issuer.clone()),
            sub: Some(format!("service:{}", account.id)),
            iat: Some(now),
            exp: Some(now.saturating_add(self.ttl_seconds)),
            jti: Some(random_jti()?),
            ledger_api: LedgerApiClaims {
                ledger_id: Some(self.ledger_id.clone()),
                application_id: Some(self.application_id.clone()),
                act_as: account.act_as.clone(),
                read_as: account.read_as.clone(),
                ..LedgerApiClaims::default()
            },
        })
    }

    /// Builds and signs the token for `account` at `now`.
    pub(crate) fn mint(
        &self,
        key: &SigningKey,
        account: &ServiceAccount,
        now: i64,
    ) -> Result<MintedToken, AuthError> {
        let claims = self.claims(account, now)?;
        let claims_json = serde_json::to_vec(&claims)
            .map_err(|_| AuthError::Internal("cannot serialise claims"))?;
        let token = key.sign_jwt(&claims_json)?;
        Ok(MintedToken {
            token,
            jti: claims.jti.unwrap_or_default(),
            exp: claims.exp.unwrap_or_default(),
            expires_in: self.ttl_seconds,
        })
    }
}

/// 16 random bytes, base64url: unique without coordination.
fn random_jti() -> Result<String, AuthError> {
    let mut bytes = [0u8; 16];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| AuthError::Internal("the system random source failed"))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}
