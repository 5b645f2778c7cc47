//! The `auth` section.

use std::time::Duration;

use url::Url;

use crate::secret::Secret;

/// `auth.provider`, the platform's auth profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthProvider {
    /// Unsafe HS256 ledger; the oracle signs its own tokens. No auth service.
    Demo,
    /// The auth service mints RS256 tokens for service accounts and signs humans in itself.
    Builtin,
    /// As builtin for service accounts; humans sign in at an external OIDC provider.
    Oidc,
}

impl AuthProvider {
    /// The name as written in `irsforge.yaml`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Demo => "demo",
            Self::Builtin => "builtin",
            Self::Oidc => "oidc",
        }
    }
}

impl std::fmt::Display for AuthProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The provider together with the sections it requires, so code that needs the token service's
/// settings gets them without re-checking.
#[derive(Debug, Clone)]
pub enum AuthMode {
    /// `provider: demo`. An `auth.builtin` section is allowed there and ignored.
    Demo,
    /// `provider: builtin`, with its `auth.builtin` section.
    Builtin(BuiltinAuth),
    /// `provider: oidc`, with `auth.builtin` (service-account tokens) and `auth.oidc`.
    Oidc(BuiltinAuth, OidcAuth),
}

/// The `auth` section.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// The provider and its sections.
    pub mode: AuthMode,
    /// `auth.oidc` when present, whatever the provider (the platform allows it under any).
    pub oidc: Option<OidcAuth>,
    /// `auth.serviceAccounts`: ids unique; when the provider is not demo, every actAs/readAs
    /// entry is an exact Canton party id.
    pub service_accounts: Vec<ServiceAccount>,
}

impl AuthConfig {
    /// The provider.
    pub fn provider(&self) -> AuthProvider {
        match self.mode {
            AuthMode::Demo => AuthProvider::Demo,
            AuthMode::Builtin(_) => AuthProvider::Builtin,
            AuthMode::Oidc(..) => AuthProvider::Oidc,
        }
    }

    /// The token service's settings; `None` exactly when the provider is demo.
    pub fn builtin(&self) -> Option<&BuiltinAuth> {
        match &self.mode {
            AuthMode::Demo => None,
            AuthMode::Builtin(builtin) | AuthMode::Oidc(builtin, _) => Some(builtin),
        }
    }

    /// The declared service account with this id.
    pub fn service_account(&self, id: &str) -> Option<&ServiceAccount> {
        self.service_accounts
            .iter()
            .find(|account| account.id == id)
    }
}

/// `auth.builtin`: the token service's settings.
#[derive(Debug, Clone)]
pub struct BuiltinAuth {
    /// The `iss` claim, as written (it defaults to `platform.authPublicUrl`, verbatim).
    pub issuer: String,
    /// `keyAlgorithm` as written (default `RS256`). The schema accepts any text; the auth
    /// service implements RS256 and refuses to start with anything else.
    pub key_algorithm: String,
    /// Lifetime of an access token in seconds (default 900).
    pub token_ttl_seconds: u64,
    /// Lifetime of a human refresh token (default 86400). Not used by service accounts.
    pub refresh_ttl_seconds: u64,
    /// Listen port (default 3002); `AUTH_PORT` overrides it at run time. The schema sets no
    /// upper bound; the auth service refuses a number that is not a TCP port.
    pub port: u64,
}

impl BuiltinAuth {
    /// [`Self::token_ttl_seconds`] as a duration.
    pub fn token_ttl(&self) -> Duration {
        Duration::from_secs(self.token_ttl_seconds)
    }
}

/// `auth.oidc`: the external identity provider humans sign in with.
#[derive(Debug, Clone)]
pub struct OidcAuth {
    /// The issuer URL of the provider.
    pub authority: Url,
    /// The platform's client id at the provider.
    pub client_id: String,
    /// The platform's client secret. Never printed.
    pub client_secret: Secret,
    /// Scopes requested at sign-in (default `openid`, `profile`, `email`).
    pub scopes: Vec<String>,
}

/// One entry of `auth.serviceAccounts`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceAccount {
    /// The account id. It names the oracle's `SERVICE_CLIENT_SECRET_<ID>` and
    /// `SERVICE_TOKEN_<ID>` variables (upper-cased, `-` as `_`).
    pub id: String,
    /// Parties the account acts as; at least one. Copied verbatim into tokens.
    pub act_as: Vec<String>,
    /// Parties the account reads as. Copied verbatim into tokens.
    pub read_as: Vec<String>,
}
