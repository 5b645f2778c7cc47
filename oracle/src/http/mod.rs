//! What every outbound HTTP exchange of the oracle shares, the token endpoint's and the
//! ledger's alike: the client settings and error descriptions (here), the bearer token
//! ([`BearerToken`], `bearer.rs`) and the cleaning of text a server sent (`server_text.rs`).
//! A leaf: it imports nothing else of the crate, so `ledger` and `token` both build on it and
//! neither needs the other for these.
//!
//! Every client the oracle builds has a connect timeout and a total timeout (both the
//! configured value: a dead host fails as fast as a hung one), a small idle pool (the oracle
//! talks to two hosts a few times a minute), no redirects (a token request must not be replayed
//! elsewhere, and a redirected ledger call means a wrong URL) and no proxy from the
//! environment. Bodies are read up to a limit, never without one. The number of open
//! connections is bounded by the callers: a token handle has at most one request in flight,
//! and a cron at most one tick.

mod bearer;
mod server_text;

use std::error::Error as _;
use std::time::Duration;

pub use bearer::BearerToken;
pub(crate) use server_text::{long_server_text, short_server_text};

/// Idle connections kept per host.
const POOL_MAX_IDLE_PER_HOST: usize = 2;
/// How long an idle connection is kept.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// Builds a client with the oracle's outbound settings and `timeout` as both its connect and
/// total timeout.
pub(crate) fn client(timeout: Duration) -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .connect_timeout(timeout)
        .timeout(timeout)
        .pool_max_idle_per_host(POOL_MAX_IDLE_PER_HOST)
        .pool_idle_timeout(POOL_IDLE_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        // HTTP_PROXY, HTTPS_PROXY and ALL_PROXY are ignored: a proxy from the environment would
        // see every client secret and token the oracle sends.
        .no_proxy()
        .user_agent(concat!("irsforge-oracle/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|error| describe_chain(&error))
}

/// Whether `url` is plain `http://` to a host that is not loopback (`127.0.0.0/8`, `::1`, or
/// the name `localhost`): what the oracle refuses to send a client secret or a token to under
/// `profile: production`, where anyone on the path could read it.
pub(crate) fn is_plain_http_to_remote(url: &url::Url) -> bool {
    if url.scheme() != "http" {
        return false;
    }
    match url.host() {
        Some(url::Host::Ipv4(address)) => !address.is_loopback(),
        Some(url::Host::Ipv6(address)) => {
            !(address.is_loopback()
                || address
                    .to_ipv4_mapped()
                    .is_some_and(|mapped| mapped.is_loopback()))
        }
        Some(url::Host::Domain(name)) => {
            !name.trim_end_matches('.').eq_ignore_ascii_case("localhost")
        }
        None => true,
    }
}

/// `url` without its user name and password, for messages.
pub(crate) fn shown_url(url: &url::Url) -> String {
    let mut shown = url.clone();
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.to_string()
}

/// What the production rule says, for the messages of both refusals.
pub(crate) const PLAIN_HTTP_RULE: &str = "under `profile: production` it must be https://, or \
     http:// only to a loopback host (127.0.0.0/8, ::1, localhost)";

/// What went wrong with a request that got no usable answer, in a few words: the timeout, or
/// the innermost cause (`connection refused`, `connection reset by peer`, …). Never includes
/// headers or bodies.
pub(crate) fn describe_transport_error(error: &reqwest::Error, timeout: Duration) -> String {
    if error.is_timeout() {
        return format!("no answer within {} ms", timeout.as_millis());
    }
    let cause = innermost(error);
    if error.is_connect() {
        format!("cannot connect: {cause}")
    } else {
        cause
    }
}

/// Why a body could not be read.
pub(crate) enum BodyError {
    /// Longer than the limit.
    TooLarge,
    /// The connection failed while reading.
    Transport(reqwest::Error),
}

/// Reads a response body, refusing one longer than `limit` bytes without reading it all.
pub(crate) async fn read_capped(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<Vec<u8>, BodyError> {
    if response
        .content_length()
        .is_some_and(|length| length > limit as u64)
    {
        return Err(BodyError::TooLarge);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(BodyError::Transport)? {
        if body.len() + chunk.len() > limit {
            return Err(BodyError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The `Retry-After` header in its delta-seconds form (RFC 9110 §10.2.3); the HTTP-date form
/// is ignored.
pub(crate) fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

fn innermost(error: &reqwest::Error) -> String {
    let mut cause: &dyn std::error::Error = error;
    while let Some(source) = cause.source() {
        cause = source;
    }
    cause.to_string()
}

fn describe_chain(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(source) = cause {
        text.push_str(": ");
        text.push_str(&source.to_string());
        cause = source.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn remote(url: &str) -> bool {
        is_plain_http_to_remote(&url::Url::parse(url).unwrap())
    }

    #[test]
    fn plain_http_is_remote_unless_the_host_is_loopback() {
        for loopback in [
            "http://127.0.0.1:7575",
            "http://127.255.0.9/",
            "http://[::1]:3002/auth",
            "http://[::ffff:127.0.0.1]/",
            "http://localhost:7575",
            "http://LOCALHOST./x",
        ] {
            assert!(!remote(loopback), "{loopback}");
        }
        for far in [
            "http://10.0.0.5:7575",
            "http://128.0.0.1/",
            "http://[::2]/",
            "http://ledger.example.com",
            "http://localhost.example.com/",
            "http://api.localhost/",
            "http://0.0.0.0/",
        ] {
            assert!(remote(far), "{far}");
        }
        for secure in ["https://ledger.example.com", "https://10.0.0.5:443/"] {
            assert!(!remote(secure), "{secure}");
        }
    }

    #[test]
    fn shown_urls_drop_user_name_and_password() {
        let url = url::Url::parse("http://user:hunter2@ledger.example.com:7575/api").unwrap();
        assert_eq!(shown_url(&url), "http://ledger.example.com:7575/api");
    }
}
