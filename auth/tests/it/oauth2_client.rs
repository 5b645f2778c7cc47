//! The `oauth2` crate as an independent, standard client of the token endpoint, over an async
//! HTTP client written here on reqwest 0.13.

use oauth2::basic::{BasicClient, BasicErrorResponseType};
use oauth2::{
    AuthType, ClientId, ClientSecret, HttpRequest, HttpResponse, RequestTokenError, TokenResponse,
    TokenUrl,
};

use crate::support::*;

/// oauth2's `AsyncHttpClient` is implemented for any `Fn(HttpRequest) -> Future<Result<…>>`.
async fn send(request: HttpRequest) -> Result<HttpResponse, reqwest::Error> {
    let client = http_client();
    let mut outgoing = client
        .request(request.method().clone(), request.uri().to_string())
        .body(request.body().clone());
    for (name, value) in request.headers() {
        outgoing = outgoing.header(name, value);
    }
    let response = outgoing.send().await?;
    let mut incoming = oauth2::http::Response::builder().status(response.status());
    for (name, value) in response.headers() {
        incoming = incoming.header(name, value);
    }
    let body = response.bytes().await?.to_vec();
    Ok(incoming
        .body(body)
        .expect("status and headers came from a valid response"))
}

fn client(
    server: &TestServer,
    id: &str,
    secret: &str,
    auth_type: AuthType,
) -> BasicClient<
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointSet,
> {
    BasicClient::new(ClientId::new(id.to_owned()))
        .set_client_secret(ClientSecret::new(secret.to_owned()))
        .set_token_uri(TokenUrl::new(server.url("/auth/oauth/token")).unwrap())
        .set_auth_type(auth_type)
}

#[tokio::test]
async fn the_oauth2_crate_obtains_verifiable_tokens_with_both_auth_types() {
    let fixture = Fixture::new();
    let server = TestServer::start(fixture.options()).await;
    let jwks = server.jwks().await;
    for auth_type in [AuthType::BasicAuth, AuthType::RequestBody] {
        let token = client(&server, MARK_PUBLISHER, MARK_PUBLISHER_SECRET, auth_type)
            .exchange_client_credentials()
            .request_async(&send)
            .await
            .unwrap();
        assert_eq!(token.token_type().as_ref(), "bearer");
        assert_eq!(
            token.expires_in(),
            Some(std::time::Duration::from_secs(900))
        );
        let claims = verify(token.access_token().secret(), &jwks).unwrap();
        assert_eq!(claims.sub.as_deref(), Some("service:mark-publisher"));
    }
    server.stop().await;
}

#[tokio::test]
async fn the_oauth2_crate_reads_invalid_client_as_a_standard_error() {
    let fixture = Fixture::new();
    let server = TestServer::start(fixture.options()).await;
    for auth_type in [AuthType::BasicAuth, AuthType::RequestBody] {
        let error = client(&server, SCHEDULER, "wrong", auth_type)
            .exchange_client_credentials()
            .request_async(&send)
            .await
            .unwrap_err();
        let RequestTokenError::ServerResponse(response) = error else {
            panic!("expected a server error response, got {error:?}");
        };
        assert_eq!(*response.error(), BasicErrorResponseType::InvalidClient);
    }
    server.stop().await;
}
