//! Branch 3 of the resolver: the OAuth2 client-credentials grant (RFC 6749 §4.4) against the
//! auth service.
//!
//! The request is `POST ${platform.authPublicUrl}/auth/oauth/token` with the form body
//! `grant_type=client_credentials` and the client authenticated by HTTP Basic
//! (`client_secret_basic`, RFC 6749 §2.3.1): id and secret are each form-url-encoded, joined by
//! `:` and base64-encoded, so a secret containing `:` or non-ASCII survives the trip. The
//! client id is the service-account id; the secret comes from `SERVICE_CLIENT_SECRET_<ID>`,
//! read once when the fetcher is built and kept only inside the prebuilt, sensitive-marked
//! `Authorization` header value.
//!
//! # An external identity provider
//!
//! Okta, Keycloak and Auth0 implement the same grant, so swapping one in is configuration
//! alone. Four variables adapt the request to them; unset, the request is the auth service's:
//!
//! - `SERVICE_TOKEN_URL`: the token endpoint (Okta `https://<org>.okta.com/oauth2/<server>/v1/token`,
//!   Keycloak `https://<host>/realms/<realm>/protocol/openid-connect/token`, Auth0
//!   `https://<tenant>.auth0.com/oauth/token`); default `${platform.authPublicUrl}/auth/oauth/token`.
//! - `SERVICE_CLIENT_ID_<ID>`: the client id the provider assigned to the account (Okta's and
//!   Auth0's are generated strings); default the account id.
//! - `SERVICE_TOKEN_SCOPE`: a `scope` parameter (Okta requires one for custom scopes).
//! - `SERVICE_TOKEN_AUDIENCE`: an `audience` parameter (Auth0 requires the API identifier).
//!
//! The provider must put the `https://daml.com/ledger-api` claims in the access token and the
//! participants must trust its JWKS; the README shows how for each provider.

use std::fmt;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use shared_config::{Config, EnvSource, Profile};

use super::env_override::env_suffix;
use super::response::{self, MAX_RESPONSE_BYTES};
use super::{FetchFuture, FetchedToken, TokenFetcher, TokenSourceKind};
use crate::error::TokenError;
use crate::http;

/// The variable holding an account's client secret: `SERVICE_CLIENT_SECRET_` + the id
/// upper-cased with `-` → `_`.
pub fn secret_variable(account_id: &str) -> String {
    format!("SERVICE_CLIENT_SECRET_{}", env_suffix(account_id))
}

/// The variable holding an account's client id at an external identity provider.
pub fn client_id_variable(account_id: &str) -> String {
    format!("SERVICE_CLIENT_ID_{}", env_suffix(account_id))
}

/// Overrides the token endpoint, for an external identity provider.
pub const TOKEN_URL_ENV: &str = "SERVICE_TOKEN_URL";
/// Adds a `scope` parameter to the token request.
pub const TOKEN_SCOPE_ENV: &str = "SERVICE_TOKEN_SCOPE";
/// Adds an `audience` parameter to the token request (Auth0).
pub const TOKEN_AUDIENCE_ENV: &str = "SERVICE_TOKEN_AUDIENCE";

/// The `Authorization` header value of RFC 6749 §2.3.1: `Basic base64(urlenc(id):urlenc(secret))`.
pub fn basic_authorization(client_id: &str, client_secret: &str) -> String {
    let encode = |text: &str| form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>();
    let credentials = format!("{}:{}", encode(client_id), encode(client_secret));
    format!("Basic {}", STANDARD.encode(credentials))
}

/// Fetches tokens from the auth service with the client-credentials grant.
pub struct ClientCredentialsFetcher {
    client_id: String,
    endpoint: String,
    form: String,
    authorization: HeaderValue,
    timeout: Duration,
    http: reqwest::Client,
}

impl ClientCredentialsFetcher {
    /// The fetcher for a declared service account: endpoint from `platform.authPublicUrl`,
    /// secret from `SERVICE_CLIENT_SECRET_<ID>`, timeouts from `oracle.fetchTimeoutMs`.
    pub fn from_config(
        account_id: &str,
        config: &Config,
        env: &dyn EnvSource,
    ) -> Result<Self, TokenError> {
        if config.auth.service_account(account_id).is_none() {
            let declared: Vec<&str> = config
                .auth
                .service_accounts
                .iter()
                .map(|account| account.id.as_str())
                .collect();
            return Err(TokenError::UnknownAccount {
                account: account_id.to_owned(),
                detail: format!(
                    "not declared in auth.serviceAccounts (declared: {})",
                    if declared.is_empty() {
                        "none".to_owned()
                    } else {
                        declared.join(", ")
                    }
                ),
            });
        }
        let variable = secret_variable(account_id);
        let secret = env
            .var(&variable)
            .filter(|secret| !secret.is_empty())
            .ok_or_else(|| TokenError::MissingClientSecret {
                account: account_id.to_owned(),
                variable,
            })?;
        let set = |name: &str| {
            env.var(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let (endpoint, setting) = match set(TOKEN_URL_ENV) {
            None => (config.platform.token_endpoint(), "platform.authPublicUrl"),
            Some(url) => match url::Url::parse(&url) {
                Ok(parsed) if matches!(parsed.scheme(), "http" | "https") => (url, TOKEN_URL_ENV),
                _ => {
                    return Err(TokenError::InvalidSetting {
                        variable: TOKEN_URL_ENV.to_owned(),
                        detail: format!("{url:?} is not an http:// or https:// URL"),
                    });
                }
            },
        };
        if config.profile == Profile::Production
            && let Ok(parsed) = url::Url::parse(&endpoint)
            && http::is_plain_http_to_remote(&parsed)
        {
            return Err(TokenError::PlainHttpTokenEndpoint {
                url: http::shown_url(&parsed),
                setting,
            });
        }
        let client_id =
            set(&client_id_variable(account_id)).unwrap_or_else(|| account_id.to_owned());
        Ok(
            Self::new(&client_id, &secret, endpoint, config.oracle.fetch_timeout())?
                .with_parameters(
                    set(TOKEN_SCOPE_ENV).as_deref(),
                    set(TOKEN_AUDIENCE_ENV).as_deref(),
                ),
        )
    }

    /// Adds `scope` and `audience` parameters to the form body.
    pub fn with_parameters(mut self, scope: Option<&str>, audience: Option<&str>) -> Self {
        let mut form = form_urlencoded::Serializer::new(String::new());
        form.append_pair("grant_type", "client_credentials");
        for (name, value) in [("scope", scope), ("audience", audience)] {
            if let Some(value) = value {
                form.append_pair(name, value);
            }
        }
        self.form = form.finish();
        self
    }

    /// A fetcher for any client at any token endpoint.
    pub fn new(
        client_id: &str,
        client_secret: &str,
        endpoint: String,
        timeout: Duration,
    ) -> Result<Self, TokenError> {
        let mut authorization =
            HeaderValue::from_str(&basic_authorization(client_id, client_secret)).map_err(
                |_| TokenError::HttpClient("the Basic credentials are not a valid header".into()),
            )?;
        authorization.set_sensitive(true);
        Ok(Self {
            client_id: client_id.to_owned(),
            endpoint,
            form: "grant_type=client_credentials".to_owned(),
            authorization,
            timeout,
            http: http::client(timeout).map_err(TokenError::HttpClient)?,
        })
    }

    /// The token endpoint.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    async fn fetch_once(&self) -> Result<FetchedToken, TokenError> {
        let network = |detail: String| TokenError::Network {
            endpoint: self.endpoint.clone(),
            detail,
            retry_after: None,
        };
        let response = self
            .http
            .post(&self.endpoint)
            .header(AUTHORIZATION, self.authorization.clone())
            .header(ACCEPT, "application/json")
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(self.form.clone())
            .send()
            .await
            .map_err(|error| network(http::describe_transport_error(&error, self.timeout)))?;
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        let retry_after = http::retry_after(response.headers());
        let body = match http::read_capped(response, MAX_RESPONSE_BYTES).await {
            Ok(body) => body,
            Err(http::BodyError::TooLarge) => {
                return Err(TokenError::MalformedResponse {
                    endpoint: self.endpoint.clone(),
                    detail: format!("HTTP {status} with a body over {MAX_RESPONSE_BYTES} bytes"),
                });
            }
            Err(http::BodyError::Transport(error)) => {
                return Err(network(http::describe_transport_error(
                    &error,
                    self.timeout,
                )));
            }
        };
        response::interpret(
            &self.endpoint,
            status,
            content_type.as_deref(),
            &body,
            retry_after,
        )
    }
}

impl TokenFetcher for ClientCredentialsFetcher {
    fn fetch(&self) -> FetchFuture<'_> {
        Box::pin(self.fetch_once())
    }

    fn kind(&self) -> TokenSourceKind {
        TokenSourceKind::ClientCredentials
    }

    fn endpoint(&self) -> String {
        self.endpoint.clone()
    }
}

impl fmt::Debug for ClientCredentialsFetcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCredentialsFetcher")
            .field("client_id", &self.client_id)
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_form_encoded_before_base64() {
        // RFC 6749 §2.3.1 / Appendix B: `:` and non-ASCII are percent-encoded, space becomes `+`.
        let header = basic_authorization("mark-publisher", "p:ss wörd+%");
        let encoded = header.strip_prefix("Basic ").unwrap();
        let decoded = String::from_utf8(STANDARD.decode(encoded).unwrap()).unwrap();
        assert_eq!(decoded, "mark-publisher:p%3Ass+w%C3%B6rd%2B%25");
    }

    #[test]
    fn secret_variable_names_follow_the_account_id() {
        assert_eq!(
            secret_variable("mark-publisher"),
            "SERVICE_CLIENT_SECRET_MARK_PUBLISHER"
        );
        assert_eq!(
            secret_variable("scheduler"),
            "SERVICE_CLIENT_SECRET_SCHEDULER"
        );
    }

    #[test]
    fn debug_shows_neither_secret_nor_header() {
        let fetcher = ClientCredentialsFetcher::new(
            "scheduler",
            "top-secret-value",
            "http://127.0.0.1:9/auth/oauth/token".into(),
            Duration::from_secs(1),
        )
        .unwrap();
        let shown = format!("{fetcher:?}");
        assert!(!shown.contains("top-secret-value"), "{shown}");
        assert!(!shown.contains("Basic"), "{shown}");
    }
}
