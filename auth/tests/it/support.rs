//! Fixtures: the example config, a registry of cost-4 hashes, a key generated once per test
//! binary, and an in-process server on 127.0.0.1:0.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use auth::{AuthError, AuthOptions, ReloadTrigger, reload_channel};
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use ledger_types::LedgerJwtClaims;
use shared_config::{Config, MapEnv};
use tempfile::TempDir;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub(crate) const MARK_PUBLISHER: &str = "mark-publisher";
pub(crate) const SCHEDULER: &str = "scheduler";
/// Holds every character that needs form-urlencoding, so both client authentication methods
/// are tested with encoding that matters.
pub(crate) const MARK_PUBLISHER_SECRET: &str = "mp s3cr3t:/+=&%é";
pub(crate) const SCHEDULER_SECRET: &str = "scheduler-secret-0123456789";
pub(crate) const ISSUER: &str = "http://localhost:3002";
pub(crate) const OPERATOR: &str =
    "Operator::12203696af4d665a232458e655f075562034125fc5f34c32555f11e6627ba11fd032";
pub(crate) const SCHEDULER_PARTY: &str =
    "Scheduler::12203696af4d665a232458e655f075562034125fc5f34c32555f11e6627ba11fd032";

pub(crate) const CONFIG_TEXT: &str = include_str!("../../../examples/irsforge.builtin.yaml");

/// The example builtin config.
pub(crate) fn config() -> Config {
    shared_config::load_str(CONFIG_TEXT, "irsforge.yaml", &MapEnv::default()).unwrap()
}

/// The bcrypt hash of `secret` at cost 4.
pub(crate) fn hash(secret: &str) -> String {
    auth::secret_hash::hash_secret(secret.as_bytes(), 4)
        .unwrap()
        .to_string()
}

/// A registry naming each account with the hashes of its secrets.
pub(crate) fn registry_yaml(accounts: &[(&str, &[&str])]) -> String {
    let mut text = String::from("accounts:\n");
    for (id, secrets) in accounts {
        text.push_str(&format!("  - id: {id}\n    clientSecretHashes:\n"));
        for secret in *secrets {
            text.push_str(&format!("      - \"{}\"\n", hash(secret)));
        }
    }
    text
}

/// The registry matching the example config.
pub(crate) fn default_registry() -> String {
    registry_yaml(&[
        (MARK_PUBLISHER, &[MARK_PUBLISHER_SECRET]),
        (SCHEDULER, &[SCHEDULER_SECRET]),
    ])
}

/// One RSA key per test binary (generation is the slow part), copied into each fixture.
fn shared_key_dir() -> &'static Path {
    static KEYS: OnceLock<TempDir> = OnceLock::new();
    KEYS.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        auth::keys::load_or_create(dir.path()).unwrap();
        dir
    })
    .path()
}

/// A directory with irsforge.yaml, service-accounts.yaml and a key directory.
pub(crate) struct Fixture {
    /// Keeps the directory alive as long as the fixture.
    _dir: TempDir,
    pub(crate) config_path: PathBuf,
    pub(crate) registry_path: PathBuf,
    pub(crate) keys_dir: PathBuf,
}

impl Fixture {
    pub(crate) fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let config_path = dir.path().join("irsforge.yaml");
        let registry_path = dir.path().join("service-accounts.yaml");
        let keys_dir = dir.path().join("keys");
        std::fs::write(&config_path, CONFIG_TEXT).unwrap();
        std::fs::write(&registry_path, default_registry()).unwrap();
        std::fs::create_dir(&keys_dir).unwrap();
        for file in ["private.pem", "public.pem", "kid.txt"] {
            std::fs::copy(shared_key_dir().join(file), keys_dir.join(file)).unwrap();
        }
        Self {
            _dir: dir,
            config_path,
            registry_path,
            keys_dir,
        }
    }

    /// Options for this fixture with small bcrypt costs and defaults otherwise.
    pub(crate) fn options(&self) -> AuthOptions {
        AuthOptions::new(config(), &self.registry_path, &self.keys_dir)
            .with_config_path(&self.config_path)
    }

    pub(crate) fn write_registry(&self, text: &str) {
        std::fs::write(&self.registry_path, text).unwrap();
    }

    /// Gives `slow_id` the secret `slow-secret` hashed at `cost` (the other account keeps its
    /// cheap hash) and returns options with one bcrypt worker, one queued place and no
    /// throttling: a few requests for `slow_id` keep the pool saturated. bcrypt runs at normal
    /// priority, so the load of other tests running meanwhile cannot starve it.
    pub(crate) fn saturable(&self, slow_id: &str, cost: u32) -> AuthOptions {
        let slow_hash = auth::secret_hash::hash_secret(b"slow-secret", cost)
            .unwrap()
            .to_string();
        let (other, other_secret) = if slow_id == MARK_PUBLISHER {
            (SCHEDULER, SCHEDULER_SECRET)
        } else {
            (MARK_PUBLISHER, MARK_PUBLISHER_SECRET)
        };
        let other_hash = hash(other_secret);
        let mut accounts = [(slow_id, slow_hash), (other, other_hash)];
        accounts.sort();
        let registry: String = accounts
            .iter()
            .map(|(id, hash)| format!("  - id: {id}\n    clientSecretHash: \"{hash}\"\n"))
            .collect();
        self.write_registry(&format!("accounts:\n{registry}"));
        let mut options = self.options();
        options.bcrypt_workers = 1;
        options.bcrypt_queue = 1;
        options.bcrypt_nice = 0;
        options.throttle.per_address_per_minute = 0;
        options.throttle.per_client_per_minute = 0;
        options
    }
}

/// A server running in-process until [`TestServer::stop`].
pub(crate) struct TestServer {
    pub(crate) base: String,
    pub(crate) http: reqwest::Client,
    pub(crate) reload: ReloadTrigger,
    stop: oneshot::Sender<()>,
    task: JoinHandle<Result<(), AuthError>>,
}

/// A reqwest client that ignores proxy settings of the environment.
pub(crate) fn http_client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

impl TestServer {
    pub(crate) async fn start(options: AuthOptions) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        Self::start_on(listener, options).await
    }

    pub(crate) async fn start_on(listener: tokio::net::TcpListener, options: AuthOptions) -> Self {
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (trigger, requests) = reload_channel();
        let (stop, stopped) = oneshot::channel::<()>();
        let shutdown = async {
            let _ = stopped.await;
        };
        let task = tokio::spawn(auth::run(listener, options.with_reload(requests), shutdown));
        let server = Self {
            base,
            http: http_client(),
            reload: trigger,
            stop,
            task,
        };
        server.wait_until_healthy().await;
        server
    }

    async fn wait_until_healthy(&self) {
        // The listener is bound already, so requests queue until the server is ready; one
        // request is enough.
        let response = self
            .http
            .get(self.url("/auth/health"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The text of `/metrics`.
    pub(crate) async fn metrics(&self) -> String {
        let response = self.http.get(self.url("/metrics")).send().await.unwrap();
        response.text().await.unwrap()
    }

    /// Stops the server and checks it shut down cleanly.
    pub(crate) async fn stop(self) {
        let _ = self.stop.send(());
        self.task.await.unwrap().unwrap();
    }

    /// A client_secret_post request.
    pub(crate) async fn post_token(&self, client_id: &str, secret: &str) -> reqwest::Response {
        self.http
            .post(self.url("/auth/oauth/token"))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", client_id),
                ("client_secret", secret),
            ])
            .send()
            .await
            .unwrap()
    }

    /// A token for the account, which must be issued.
    pub(crate) async fn token(&self, client_id: &str, secret: &str) -> String {
        let response = self.post_token(client_id, secret).await;
        assert_eq!(response.status(), 200);
        let body: serde_json::Value = response.json().await.unwrap();
        body["access_token"].as_str().unwrap().to_owned()
    }

    /// A raw request to the token endpoint.
    pub(crate) async fn raw(
        &self,
        content_type: Option<&str>,
        body: impl Into<reqwest::Body>,
    ) -> reqwest::Response {
        let mut request = self.http.post(self.url("/auth/oauth/token")).body(body);
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        request.send().await.unwrap()
    }

    pub(crate) async fn jwks(&self) -> JwkSet {
        let response = self
            .http
            .get(self.url("/.well-known/jwks.json"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }
}

/// Verifies a token independently of the service: jsonwebtoken, the key found by the header's
/// kid in `jwks`, RS256 only, issuer and expiry checked.
pub(crate) fn verify(token: &str, jwks: &JwkSet) -> Result<LedgerJwtClaims, String> {
    let header = jsonwebtoken::decode_header(token).map_err(|e| e.to_string())?;
    let kid = header.kid.ok_or("no kid in the header")?;
    let jwk = jwks
        .find(&kid)
        .ok_or_else(|| format!("kid {kid} is not in the JWKS"))?;
    let key = DecodingKey::from_jwk(jwk).map_err(|e| e.to_string())?;
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_issuer(&[ISSUER]);
    validation.set_required_spec_claims(&["exp", "iss", "sub"]);
    validation.validate_aud = false;
    jsonwebtoken::decode::<LedgerJwtClaims>(token, &key, &validation)
        .map(|data| data.claims)
        .map_err(|e| e.to_string())
}

/// The JSON body of an error response, after checking it is an OAuth2 error that must not be
/// cached.
pub(crate) async fn oauth_error(
    response: reqwest::Response,
    status: u16,
) -> (String, reqwest::header::HeaderMap) {
    assert_eq!(response.status().as_u16(), status);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(headers["pragma"], "no-cache");
    let body: serde_json::Value = response.json().await.unwrap();
    (body["error"].as_str().unwrap().to_owned(), headers)
}

/// A client-credentials request for the router driven in-process: form body, the TCP peer
/// `peer` as the connection would give it, and `X-Forwarded-For` when `forwarded` is given.
pub(crate) fn token_request(
    peer: SocketAddr,
    forwarded: Option<&str>,
    id: &str,
    secret: &str,
) -> Request<Body> {
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", "client_credentials")
        .append_pair("client_id", id)
        .append_pair("client_secret", secret)
        .finish();
    let mut request = Request::post("/auth/oauth/token")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap();
    if let Some(forwarded) = forwarded {
        request
            .headers_mut()
            .insert("x-forwarded-for", forwarded.parse().unwrap());
    }
    request.extensions_mut().insert(ConnectInfo(peer));
    request
}

/// The text of `/metrics` from the router driven in-process.
pub(crate) async fn router_metrics(router: &axum::Router) -> String {
    use tower::ServiceExt;
    let request = Request::get("/metrics").body(Body::empty()).unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    let body = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    String::from_utf8(body.to_vec()).unwrap()
}

/// The value of the unlabelled metric `name` in a `/metrics` text (0 when absent).
pub(crate) fn metric_in(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(&format!("{name} ")))
        .map_or(0.0, |value| value.parse().unwrap())
}
