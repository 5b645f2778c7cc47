//! Shared fixtures: a sandbox with a manual clock, token minting (HS256 with jsonwebtoken,
//! RS256 with aws-lc-rs), RSA keys generated once per test binary, and a JWKS server.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::RSA_PKCS1_SHA256;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use ledger_sandbox::{PACKAGE_ID, Sandbox, SandboxOptions};
use reqwest::StatusCode;
use serde_json::{Value, json};
use service_runtime::clock::ManualClock;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub(crate) const SECRET: &str = "it-secret-not-for-production";
pub(crate) const LEDGER_ID: &str = "sandbox";
pub(crate) const APPLICATION_ID: &str = "IRSForge";

/// The instant every test's clock starts at (and the world is seeded at).
pub(crate) fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-01-05T09:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

/// `pkgId:Module:Entity`.
pub(crate) fn template(module_entity: &str) -> String {
    format!("{PACKAGE_ID}:{module_entity}")
}

/// HS256 options with the test secret and `applicationId` configured.
pub(crate) fn hs256_options() -> SandboxOptions {
    let mut options = SandboxOptions::hs256(SECRET);
    options.application_id = Some(APPLICATION_ID.into());
    options
}

/// How the test mints tokens.
#[derive(Clone)]
pub(crate) enum Signer {
    Hs256(String),
    Rs256 { kid: String, key: &'static KeyPair },
}

/// A running sandbox plus what tests need to talk to it.
pub(crate) struct TestLedger {
    pub(crate) sandbox: Sandbox,
    pub(crate) clock: Arc<ManualClock>,
    pub(crate) http: reqwest::Client,
    pub(crate) signer: Signer,
}

impl TestLedger {
    /// HS256 mode, application id configured.
    pub(crate) async fn hs256() -> Self {
        Self::start(hs256_options(), Signer::Hs256(SECRET.into())).await
    }

    /// Starts a sandbox with `options` and a manual clock at `t0()`.
    pub(crate) async fn start(mut options: SandboxOptions, signer: Signer) -> Self {
        let clock = Arc::new(ManualClock::new(t0()));
        options.clock = clock.clone();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let sandbox = Sandbox::start(listener, options).unwrap();
        Self {
            sandbox,
            clock,
            http: reqwest::Client::new(),
            signer,
        }
    }

    pub(crate) async fn stop(self) {
        self.sandbox.shutdown().await.unwrap();
    }

    /// The qualified id of a seeded party, by hint.
    pub(crate) fn party(&self, hint: &str) -> String {
        self.sandbox.snapshot().party(hint).unwrap().to_owned()
    }

    pub(crate) fn now_seconds(&self) -> i64 {
        use service_runtime::clock::Clock;
        self.clock.now().timestamp()
    }

    pub(crate) fn advance(&self, seconds: u64) {
        self.clock.advance(std::time::Duration::from_secs(seconds));
    }

    /// Signs `payload` with the test's signer.
    pub(crate) fn sign(&self, payload: &Value) -> String {
        match &self.signer {
            Signer::Hs256(secret) => hs256_token(secret, payload),
            Signer::Rs256 { kid, key } => rs256_token(key, Some(kid), payload),
        }
    }

    /// A complete claims payload for parties given by hint, expiring in 10 minutes.
    pub(crate) fn claims(&self, act_as: &[&str], read_as: &[&str]) -> Value {
        let ids = |hints: &[&str]| hints.iter().map(|h| self.party(h)).collect::<Vec<_>>();
        json!({
            "https://daml.com/ledger-api": {
                "ledgerId": LEDGER_ID,
                "applicationId": APPLICATION_ID,
                "actAs": ids(act_as),
                "readAs": ids(read_as),
            },
            "exp": self.now_seconds() + 600,
            "sub": "service:test",
        })
    }

    pub(crate) fn token(&self, act_as: &[&str], read_as: &[&str]) -> String {
        self.sign(&self.claims(act_as, read_as))
    }

    pub(crate) fn admin_token(&self) -> String {
        self.sign(&json!({
            "https://daml.com/ledger-api": {"ledgerId": LEDGER_ID, "applicationId": APPLICATION_ID,
                                            "admin": true},
            "exp": self.now_seconds() + 600,
        }))
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sandbox.base_url())
    }

    pub(crate) async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        let mut request = self.http.get(self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        read(request.send().await.unwrap()).await
    }

    pub(crate) async fn post(
        &self,
        path: &str,
        token: Option<&str>,
        body: &Value,
    ) -> (StatusCode, Value) {
        self.post_raw(path, token, body.to_string().into_bytes())
            .await
    }

    pub(crate) async fn post_raw(
        &self,
        path: &str,
        token: Option<&str>,
        body: Vec<u8>,
    ) -> (StatusCode, Value) {
        let mut request = self
            .http
            .post(self.url(path))
            .header("content-type", "application/json")
            .body(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        read(request.send().await.unwrap()).await
    }

    /// Active contracts of `module_entity` visible to `token`; asserts success.
    pub(crate) async fn query(&self, token: &str, module_entity: &str) -> Vec<Value> {
        let body = json!({"templateIds": [template(module_entity)]});
        let (status, response) = self.post("/v1/query", Some(token), &body).await;
        assert_eq!(status, StatusCode::OK, "{response}");
        response["result"].as_array().unwrap().clone()
    }

    /// The one active contract of `module_entity` whose `field` equals `value`.
    pub(crate) async fn find(
        &self,
        token: &str,
        module_entity: &str,
        field: &str,
        value: &str,
    ) -> Value {
        let matches: Vec<Value> = self
            .query(token, module_entity)
            .await
            .into_iter()
            .filter(|c| c["payload"][field] == value)
            .collect();
        assert_eq!(
            matches.len(),
            1,
            "{module_entity} with {field}={value}: {matches:?}"
        );
        matches[0].clone()
    }

    pub(crate) async fn exercise(
        &self,
        token: &str,
        module_entity: &str,
        contract_id: &str,
        choice: &str,
        argument: Value,
    ) -> (StatusCode, Value) {
        let body = json!({"templateId": template(module_entity), "contractId": contract_id,
                          "choice": choice, "argument": argument});
        self.post("/v1/exercise", Some(token), &body).await
    }
}

async fn read(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let bytes = response.bytes().await.unwrap();
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
    };
    (status, body)
}

/// The first error text of an error envelope, after checking the envelope's shape.
pub(crate) fn error_text(status: StatusCode, body: &Value) -> String {
    assert_eq!(
        body["status"],
        status.as_u16(),
        "status field mismatch: {body}"
    );
    assert!(body.get("result").is_none(), "{body}");
    let errors = body["errors"].as_array().expect("errors array");
    assert!(!errors.is_empty());
    errors[0].as_str().unwrap().to_owned()
}

/// Asserts an error status and that `errors[0]` contains `fragment`.
#[track_caller]
pub(crate) fn assert_error(response: &(StatusCode, Value), status: StatusCode, fragment: &str) {
    assert_eq!(response.0, status, "{}", response.1);
    let text = error_text(response.0, &response.1);
    assert!(text.contains(fragment), "expected {fragment:?} in {text:?}");
}

pub(crate) fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

pub(crate) fn hs256_token(secret: &str, payload: &Value) -> String {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        payload,
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

/// A token with an arbitrary header and a given signature part, for malformed-token tests.
pub(crate) fn raw_token(header: &Value, payload: &Value, signature: &[u8]) -> String {
    format!(
        "{}.{}.{}",
        b64(header.to_string().as_bytes()),
        b64(payload.to_string().as_bytes()),
        b64(signature)
    )
}

pub(crate) fn rs256_token(key: &KeyPair, kid: Option<&str>, payload: &Value) -> String {
    let mut header = json!({"alg": "RS256", "typ": "JWT"});
    if let Some(kid) = kid {
        header["kid"] = json!(kid);
    }
    let signing_input = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(payload.to_string().as_bytes())
    );
    let mut signature = vec![0; key.public_modulus_len()];
    key.sign(
        &RSA_PKCS1_SHA256,
        &aws_lc_rs::rand::SystemRandom::new(),
        signing_input.as_bytes(),
        &mut signature,
    )
    .unwrap();
    format!("{signing_input}.{}", b64(&signature))
}

/// Two RSA-2048 keys, generated once per test binary.
pub(crate) fn rsa_keys() -> &'static [KeyPair; 2] {
    static KEYS: OnceLock<[KeyPair; 2]> = OnceLock::new();
    KEYS.get_or_init(|| {
        [
            KeyPair::generate(KeySize::Rsa2048).unwrap(),
            KeyPair::generate(KeySize::Rsa2048).unwrap(),
        ]
    })
}

/// The public JWK (RFC 7517 §4, RFC 7518 §6.3.1) of `key` under `kid`.
pub(crate) fn jwk(key: &KeyPair, kid: &str) -> Value {
    use aws_lc_rs::signature::KeyPair as _;
    let public = key.public_key();
    json!({
        "kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid,
        "n": b64(public.modulus().big_endian_without_leading_zero()),
        "e": b64(public.exponent().big_endian_without_leading_zero()),
    })
}

/// A JWKS endpoint whose key list tests can change, counting the fetches it serves.
pub(crate) struct JwksServer {
    pub(crate) url: url::Url,
    pub(crate) keys: Arc<Mutex<Vec<Value>>>,
    hits: Arc<AtomicUsize>,
    cancel: CancellationToken,
    task: tokio::task::JoinHandle<()>,
}

impl JwksServer {
    pub(crate) async fn start(keys: Vec<Value>) -> Self {
        let keys = Arc::new(Mutex::new(keys));
        let hits = Arc::new(AtomicUsize::new(0));
        let (served_keys, counted) = (keys.clone(), hits.clone());
        let app = axum::Router::new().route(
            "/.well-known/jwks.json",
            axum::routing::get(move || {
                let keys = served_keys.lock().unwrap().clone();
                counted.fetch_add(1, Ordering::SeqCst);
                async move { axum::Json(json!({"keys": keys})) }
            }),
        );
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = url::Url::parse(&format!(
            "http://{}/.well-known/jwks.json",
            listener.local_addr().unwrap()
        ))
        .unwrap();
        let cancel = CancellationToken::new();
        let stop = cancel.clone();
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move { stop.cancelled().await })
                .await
                .unwrap();
        });
        Self {
            url,
            keys,
            hits,
            cancel,
            task,
        }
    }

    pub(crate) fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }

    pub(crate) fn publish(&self, keys: Vec<Value>) {
        *self.keys.lock().unwrap() = keys;
    }

    pub(crate) async fn stop(self) {
        self.cancel.cancel();
        self.task.await.unwrap();
    }
}
