//! The token-handle fault scenarios of issue 6 (item 2) and the figures reported for each,
//! shared by the paused-clock suite (`tests/it/faults.rs`) and the real-time measurement
//! (`examples/faults.rs`), so both run exactly the same faults and count the same way.
//!
//! Every scenario follows one timeline: tokens live [`TOKEN_SECONDS`] (20 s; 10 s in
//! [`Fault::WholeSecondExpOutage`]); the endpoint is healthy until [`FAULT_START`] (25 s),
//! misbehaves in one way until [`FAULT_END`] (85 s), then heals. The fault lasts three token
//! lifetimes, so each one also crosses a token's expiry.
//!
//! The bars every scenario is held to (ARCHITECTURE.md, "Oracle token handle"): no expired
//! token is ever handed out or presented; at most [`MAX_PER_MINUTE`] requests per account in
//! any 60 s (in the minute of the fault when healthy refreshes alone come close to that) and
//! never two within one second; callers are served again within
//! [`Fault::recovery_bound`] of the endpoint healing (20 s, or the 60 s invalid-client
//! cooldown).
//!
//! This file is self-contained apart from `super::fake_auth`, so the example can include both.

use std::time::Duration;

use serde_json::json;

use super::fake_auth::Reply;

/// How long the endpoint's tokens live.
pub(crate) const TOKEN_SECONDS: u64 = 20;
/// When the fault begins, in seconds from the start of a run.
pub(crate) const FAULT_START: Duration = Duration::from_secs(25);
/// When the endpoint heals.
pub(crate) const FAULT_END: Duration = Duration::from_secs(85);
/// When a run ends: long enough after healing for every scenario to recover.
pub(crate) const RUN_END: Duration = Duration::from_secs(125);
/// The client timeout the scenarios are built around (`oracle.fetchTimeoutMs` of
/// `examples/irsforge.builtin.yaml`).
pub(crate) const CLIENT_TIMEOUT: Duration = Duration::from_secs(5);
/// The most requests one account may send in any 60 s.
pub(crate) const MAX_PER_MINUTE: usize = 8;
/// The `Retry-After` of the polite 503.
pub(crate) const RETRY_AFTER_SECONDS: u64 = 10;
/// How long the tokens of [`Fault::WholeSecondExpOutage`] live by their `expires_in`.
pub(crate) const SHORT_TOKEN_SECONDS: u64 = 10;

/// One way the token endpoint misbehaves between [`FAULT_START`] and [`FAULT_END`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    /// `500` with an OAuth2 error body.
    Http500,
    /// `503` without `Retry-After`.
    Http503,
    /// `503` with `Retry-After: 10`.
    Http503RetryAfter,
    /// `503` with `Retry-After: 3600`, which the handle caps at its 15 s backoff cap.
    Http503RetryAfterHour,
    /// The connection is reset after the request is read.
    Reset,
    /// The request is read and never answered.
    Hang,
    /// A good token, half a second before the client timeout.
    SlowUnderTimeout,
    /// A good token, half a second after the client timeout.
    SlowOverTimeout,
    /// `200` with an HTML page.
    GarbageBody,
    /// `200` with JSON that stops in the middle of the token.
    TruncatedJson,
    /// `200` whose connection closes halfway through the announced body.
    BodyCutOff,
    /// A token with `expires_in: 0`.
    ExpiresInZero,
    /// A token with `expires_in: -20`.
    ExpiresInNegative,
    /// An opaque token with `expires_in: 10^12` that does live that long.
    ExpiresInHuge,
    /// `expires_in: 10^12` on a JWT whose own `exp` is 20 s after its `iat`.
    ExpiresInHugeJwt,
    /// `401 invalid_client` (a secret rotated on the auth side only), then fixed.
    InvalidClient,
    /// The auth service is gone: its port is closed and connections are refused. With 60 s
    /// against 20 s tokens, the outage outlasts three token lifetimes.
    PortClosed,
    /// 10 s tokens that are JWTs stamped in whole seconds with `exp = floor(now) + 9`, so up to
    /// two seconds earlier than receipt + `expires_in`; the endpoint answers 503 during the
    /// fault. No token may reach the ledger past its `exp`.
    WholeSecondExpOutage,
}

/// What a scenario is expected to do to the callers of `get_token`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Effect {
    /// Tokens keep coming through the fault: callers are never refused.
    Unaffected,
    /// No token can be had during the fault: callers are refused once the held one is past
    /// use, and served again soon after healing.
    Outage,
}

impl Fault {
    /// Every scenario, in the order they are reported.
    pub(crate) const ALL: [Fault; 18] = [
        Fault::Http500,
        Fault::Http503,
        Fault::Http503RetryAfter,
        Fault::Http503RetryAfterHour,
        Fault::Reset,
        Fault::Hang,
        Fault::SlowUnderTimeout,
        Fault::SlowOverTimeout,
        Fault::GarbageBody,
        Fault::TruncatedJson,
        Fault::BodyCutOff,
        Fault::ExpiresInZero,
        Fault::ExpiresInNegative,
        Fault::ExpiresInHuge,
        Fault::ExpiresInHugeJwt,
        Fault::InvalidClient,
        Fault::PortClosed,
        Fault::WholeSecondExpOutage,
    ];

    /// A short name for tables and filters.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Http500 => "http-500",
            Self::Http503 => "http-503",
            Self::Http503RetryAfter => "http-503-retry-after-10s",
            Self::Http503RetryAfterHour => "http-503-retry-after-1h",
            Self::Reset => "connection-reset",
            Self::Hang => "hang",
            Self::SlowUnderTimeout => "slow-4.5s-under-timeout",
            Self::SlowOverTimeout => "slow-5.5s-over-timeout",
            Self::GarbageBody => "garbage-body",
            Self::TruncatedJson => "truncated-json",
            Self::BodyCutOff => "body-cut-off",
            Self::ExpiresInZero => "expires-in-0",
            Self::ExpiresInNegative => "expires-in-negative",
            Self::ExpiresInHuge => "expires-in-1e12",
            Self::ExpiresInHugeJwt => "expires-in-1e12-jwt-20s",
            Self::InvalidClient => "invalid-client-then-fixed",
            Self::PortClosed => "port-closed-3x-ttl",
            Self::WholeSecondExpOutage => "whole-second-exp-10s-outage",
        }
    }

    /// What the fault does to callers.
    pub(crate) fn effect(self) -> Effect {
        match self {
            Self::SlowUnderTimeout | Self::ExpiresInHuge | Self::ExpiresInHugeJwt => {
                Effect::Unaffected
            }
            _ => Effect::Outage,
        }
    }

    /// How soon after healing callers must be served again: 20 s, except after
    /// `invalid_client`, which the handle deliberately retries no sooner than its 60 s
    /// cooldown (the auth service throttles a client id at an address after 30 failures a
    /// minute).
    pub(crate) fn recovery_bound(self) -> Duration {
        match self {
            Self::InvalidClient => Duration::from_secs(61),
            _ => Duration::from_secs(20),
        }
    }

    /// The endpoint's answer during the fault; `None` when there is no endpoint to answer.
    pub(crate) fn reply(self) -> Option<Reply> {
        let unavailable = |retry_after: u64| {
            Reply::Json(
                503,
                json!({"error": "temporarily_unavailable"}),
                vec![("retry-after".into(), retry_after.to_string())],
            )
        };
        let half_second = Duration::from_millis(500);
        Some(match self {
            Self::Http500 => Reply::Json(500, json!({"error": "server_error"}), Vec::new()),
            Self::Http503 => Reply::status(503),
            Self::Http503RetryAfter => unavailable(RETRY_AFTER_SECONDS),
            Self::Http503RetryAfterHour => unavailable(3600),
            Self::Reset => Reply::Reset,
            Self::Hang => Reply::Hang,
            Self::SlowUnderTimeout => Reply::Delayed(
                CLIENT_TIMEOUT - half_second,
                Box::new(Reply::token(TOKEN_SECONDS)),
            ),
            Self::SlowOverTimeout => Reply::Delayed(
                CLIENT_TIMEOUT + half_second,
                Box::new(Reply::token(TOKEN_SECONDS)),
            ),
            Self::GarbageBody => Reply::Raw(
                200,
                "text/html",
                b"<html><body>Service Unavailable</body></html>".to_vec(),
            ),
            Self::TruncatedJson => Reply::Raw(
                200,
                "application/json",
                br#"{"access_token": "eyJhbGciOiJSUzI1NiJ9.eyJzdWIi"#.to_vec(),
            ),
            Self::BodyCutOff => Reply::CutOff(
                json!({"access_token": "cut-off", "token_type": "Bearer", "expires_in": TOKEN_SECONDS})
                    .to_string()
                    .into_bytes(),
            ),
            Self::ExpiresInZero => Reply::Token(json!(0)),
            Self::ExpiresInNegative => Reply::Token(json!(-20)),
            Self::ExpiresInHuge => Reply::Token(json!(1_000_000_000_000u64)),
            Self::ExpiresInHugeJwt => Reply::Jwt(TOKEN_SECONDS, json!(1_000_000_000_000u64)),
            Self::InvalidClient => Reply::invalid_client(),
            Self::PortClosed => return None,
            Self::WholeSecondExpOutage => Reply::status(503),
        })
    }

    /// The endpoint's answer outside the fault.
    pub(crate) fn healthy_reply(self) -> Reply {
        match self {
            Self::WholeSecondExpOutage => Reply::WholeSecondJwt {
                expires_in: SHORT_TOKEN_SECONDS,
                short_by: 1,
            },
            _ => Reply::token(TOKEN_SECONDS),
        }
    }

    /// The endpoint's answer to a request arriving `at` into the run.
    pub(crate) fn reply_at(self, at: Duration) -> Reply {
        if (FAULT_START..FAULT_END).contains(&at)
            && let Some(reply) = self.reply()
        {
            return reply;
        }
        self.healthy_reply()
    }

    /// Whether the rate bar counts only the minute of the fault: with 10 s tokens the
    /// scheduled refreshes of a healthy endpoint alone come to about eight a minute.
    pub(crate) fn rate_counted_in_fault_only(self) -> bool {
        self == Self::WholeSecondExpOutage
    }
}

/// A token handed to a caller (or presented to the ledger): when, and when the endpoint said it
/// expires (`None` when the endpoint never issued it with a usable lifetime).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Use {
    pub(crate) at: Duration,
    pub(crate) expires: Option<Duration>,
}

impl Use {
    /// Whether the token was past its expiry when used.
    pub(crate) fn expired(&self) -> bool {
        self.expires.is_none_or(|expires| self.at >= expires)
    }
}

/// The figures of one account in one scenario.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Figures {
    /// Requests sent during the fault; it lasts a minute, so this is also the rate per minute.
    pub(crate) during_fault: usize,
    /// The most requests in any 60 s of the run.
    pub(crate) most_in_60s: usize,
    /// The most requests in any 1 s of the run.
    pub(crate) most_in_1s: usize,
    /// The smallest gap between two request starts.
    pub(crate) smallest_gap: Option<Duration>,
    /// Tokens handed out or presented.
    pub(crate) used: usize,
    /// Of those, how many were past their expiry (must be 0).
    pub(crate) expired: usize,
    /// Time from healing to the first use at or after it: how long callers waited for a token
    /// once the endpoint was back (about zero when they were never refused).
    pub(crate) served_after_heal: Option<Duration>,
    /// Time from healing to the first request at or after it.
    pub(crate) first_request_after_heal: Option<Duration>,
}

impl Figures {
    /// The figures of one account from its request start times and its uses, both measured from
    /// the start of the run.
    pub(crate) fn measure(requests: &[Duration], uses: &[Use]) -> Self {
        let mut requests = requests.to_vec();
        requests.sort();
        let most_in = |window: Duration| {
            requests
                .iter()
                .enumerate()
                .map(|(index, start)| {
                    requests[index..]
                        .iter()
                        .take_while(|at| **at < *start + window)
                        .count()
                })
                .max()
                .unwrap_or(0)
        };
        Self {
            during_fault: requests
                .iter()
                .filter(|at| (FAULT_START..FAULT_END).contains(*at))
                .count(),
            most_in_60s: most_in(Duration::from_secs(60)),
            most_in_1s: most_in(Duration::from_secs(1)),
            smallest_gap: requests.windows(2).map(|pair| pair[1] - pair[0]).min(),
            used: uses.len(),
            expired: uses.iter().filter(|used| used.expired()).count(),
            served_after_heal: since_heal(uses.iter().map(|used| used.at)),
            first_request_after_heal: since_heal(requests.iter().copied()),
        }
    }

    /// The bars this account missed in `fault`, as sentences; empty when it met them all.
    pub(crate) fn missed_bars(&self, fault: Fault) -> Vec<String> {
        let mut missed = Vec::new();
        if self.expired > 0 {
            missed.push(format!("{} expired tokens used", self.expired));
        }
        if fault.rate_counted_in_fault_only() {
            if self.during_fault > MAX_PER_MINUTE {
                missed.push(format!(
                    "{} requests in the minute of the fault",
                    self.during_fault
                ));
            }
        } else if self.most_in_60s > MAX_PER_MINUTE {
            missed.push(format!("{} requests in 60 s", self.most_in_60s));
        }
        if self.most_in_1s > 1 {
            missed.push(format!("{} requests in 1 s", self.most_in_1s));
        }
        match self.served_after_heal {
            Some(wait) if wait <= fault.recovery_bound() => {}
            Some(wait) => missed.push(format!("served again only {wait:?} after healing")),
            None => missed.push("never served again after healing".into()),
        }
        missed
    }
}

/// Time from healing to the first of `times` at or after it.
fn since_heal(mut times: impl Iterator<Item = Duration>) -> Option<Duration> {
    times.find(|at| *at >= FAULT_END).map(|at| at - FAULT_END)
}
