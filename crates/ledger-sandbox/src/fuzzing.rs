//! Token verification without a server, for the fuzz targets (`fuzz/`) and the property tests.
//! Not part of the supported API, hence hidden from the docs.
//!
//! [`TokenVerifier`] wraps the very [`Authenticator`] the routes hold, built from the same
//! [`SandboxOptions`], and [`TokenVerifier::authenticate`] runs the same checks in the same
//! order as a route does before it touches the ledger: bearer extraction, the JSON API's claim
//! checks for command and query endpoints, signature and time verification (HS256, or RS256
//! with keys from the JWKS cache), the participant's identity checks and the admin right.
//! A rejection comes back as the status and `errors[0]` text the route would answer with.

use axum::http::HeaderMap;

use crate::SandboxError;
use crate::auth::{Access, Authenticator};
use crate::options::SandboxOptions;

/// Which kind of endpoint a token is presented to; each demands something different of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `POST /v1/create`, `POST /v1/exercise`.
    Command,
    /// `GET`/`POST /v1/query`, `POST /v1/fetch`.
    Query,
    /// `GET`/`POST /v1/parties`.
    PartyList,
    /// `POST /v1/parties/allocate`.
    PartyAllocate,
}

/// The rights of an accepted token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// Parties the caller may act as.
    pub act_as: Vec<String>,
    /// Parties the caller may read as.
    pub read_as: Vec<String>,
}

/// A refused token, as the route would answer it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// The HTTP status.
    pub status: u16,
    /// The stable reason the rejection is logged with.
    pub reason: &'static str,
    /// The `errors[0]` text of the response.
    pub message: String,
}

/// The sandbox's token verification, configured like a running sandbox.
#[derive(Debug)]
pub struct TokenVerifier {
    authenticator: Authenticator,
}

impl TokenVerifier {
    /// Validates `options` as [`crate::run`] does and builds the verifier. In JWKS mode the
    /// key set is fetched lazily from the configured URL, on the first token with a `kid`.
    pub fn new(options: &SandboxOptions) -> Result<Self, SandboxError> {
        options.validate()?;
        Ok(Self {
            authenticator: Authenticator::new(options)?,
        })
    }

    /// Authenticates a request's headers for `endpoint`, exactly as the routes do.
    pub async fn authenticate(
        &self,
        headers: &HeaderMap,
        endpoint: Endpoint,
    ) -> Result<Accepted, Rejection> {
        let access = match endpoint {
            Endpoint::Command => Access::Command,
            Endpoint::Query => Access::Query,
            Endpoint::PartyList => Access::PartyList,
            Endpoint::PartyAllocate => Access::PartyAllocate,
        };
        match self.authenticator.authenticate(headers, access).await {
            Ok(caller) => Ok(Accepted {
                act_as: caller.act_as,
                read_as: caller.read_as,
            }),
            Err(error) => Err(Rejection {
                status: error.status.as_u16(),
                reason: error.reason,
                message: error.message,
            }),
        }
    }
}
