//! Fault injection on the token handle (issue 6, item 2), under tokio's paused clock.
//!
//! Each test runs one scenario of `support::fault_scenarios` over its whole timeline (healthy,
//! 60 s of fault, healed) with both service accounts' handles against one scripted endpoint
//! over real HTTP, and asserts the bars every scenario shares (no expired token handed out, at
//! most 8 requests per account in any 60 s, never two within a second, callers served again
//! soon after healing) and what that fault in particular must do. `examples/faults.rs` runs
//! the same scenarios in real time against the binary and prints the figures.

mod run;

use std::time::Duration;

use oracle::FailureReason;

use crate::support::fault_scenarios::{
    CLIENT_TIMEOUT, Effect, FAULT_END, FAULT_START, Fault, RETRY_AFTER_SECONDS, SHORT_TOKEN_SECONDS,
};
use run::{Observed, run};

/// Runs `fault` and asserts the shared bars.
async fn observe(fault: Fault) -> Observed {
    let seen = run(fault).await;
    for account in &seen.accounts {
        let context = format!(
            "{} {}: requests at {:?}",
            fault.name(),
            account.id,
            account.requests
        );
        let missed = account.figures.missed_bars(fault);
        assert!(missed.is_empty(), "{context}: {missed:?}");
        assert!(account.uses.iter().all(|used| !used.expired()), "{context}");
        match fault.effect() {
            Effect::Unaffected => {
                assert!(
                    account.refusals.is_empty(),
                    "{context}: refused {:?}",
                    account.refusals
                );
            }
            Effect::Outage => {
                assert!(
                    !account.fault_errors().is_empty(),
                    "{context}: never refused"
                );
                assert!(account.figures.during_fault >= 1, "{context}");
            }
        }
        assert!(
            account.status_at_end.usable,
            "{context}: no token at the end"
        );
    }
    seen
}

/// Asserts that every failure behind a refusal during the fault has `reason` and mentions
/// `text`, and so does what the caller was told.
fn assert_fault_errors(seen: &Observed, reason: FailureReason, text: &str) {
    for account in &seen.accounts {
        for error in account.fault_errors() {
            assert_eq!(
                error.reason(),
                reason,
                "{:?} {}: {error}",
                seen.fault,
                account.id
            );
            assert!(
                error.to_string().contains(text),
                "{:?}: {error}",
                seen.fault
            );
        }
        for (_, refusal) in &account.refusals {
            assert!(
                refusal.to_string().contains(text),
                "{:?}: {refusal}",
                seen.fault
            );
        }
    }
}

/// Asserts that every request sent during the fault was followed by the next no sooner than
/// `least` later.
fn assert_spaced_in_fault(seen: &Observed, least: Duration) {
    for account in &seen.accounts {
        for (at, gap) in account.gaps_after_fault_requests() {
            assert!(
                gap >= least,
                "{:?} {}: the request at {at:?} was followed after {gap:?}: {:?}",
                seen.fault,
                account.id,
                account.requests
            );
        }
    }
}

#[test]
fn every_fault_is_listed_once_in_order_under_its_own_name() {
    // The example reports `Fault::ALL` and filters it by name: a fault missing from the list
    // would go unmeasured, a shared name would be run twice.
    let mut names = std::collections::BTreeSet::new();
    for (index, fault) in Fault::ALL.into_iter().enumerate() {
        // Exhaustive, so a new fault cannot compile without a place in the list.
        let place = match fault {
            Fault::Http500 => 0,
            Fault::Http503 => 1,
            Fault::Http503RetryAfter => 2,
            Fault::Http503RetryAfterHour => 3,
            Fault::Reset => 4,
            Fault::Hang => 5,
            Fault::SlowUnderTimeout => 6,
            Fault::SlowOverTimeout => 7,
            Fault::GarbageBody => 8,
            Fault::TruncatedJson => 9,
            Fault::BodyCutOff => 10,
            Fault::ExpiresInZero => 11,
            Fault::ExpiresInNegative => 12,
            Fault::ExpiresInHuge => 13,
            Fault::ExpiresInHugeJwt => 14,
            Fault::InvalidClient => 15,
            Fault::PortClosed => 16,
            Fault::WholeSecondExpOutage => 17,
        };
        assert_eq!(place, index, "{fault:?}");
        assert!(names.insert(fault.name()), "{} twice", fault.name());
    }
}

#[tokio::test(start_paused = true)]
async fn http_500_backs_off_and_heals() {
    let seen = observe(Fault::Http500).await;
    assert_fault_errors(&seen, FailureReason::Network, "HTTP 500 server_error");
}

#[tokio::test(start_paused = true)]
async fn http_503_backs_off_and_heals() {
    let seen = observe(Fault::Http503).await;
    assert_fault_errors(
        &seen,
        FailureReason::Network,
        "HTTP 503 temporarily_unavailable",
    );
}

#[tokio::test(start_paused = true)]
async fn http_503_retry_after_is_honoured_by_every_retry() {
    let seen = observe(Fault::Http503RetryAfter).await;
    assert_fault_errors(&seen, FailureReason::Network, "HTTP 503");
    // Including the scheduled retry at 90 % of the token's life, 2 s after the refresh.
    assert_spaced_in_fault(&seen, Duration::from_secs(RETRY_AFTER_SECONDS));
}

#[tokio::test(start_paused = true)]
async fn http_503_retry_after_an_hour_is_capped_at_the_backoff_cap() {
    let seen = observe(Fault::Http503RetryAfterHour).await;
    assert_spaced_in_fault(&seen, Duration::from_secs(15));
    for account in &seen.accounts {
        let fresh = account.figures.first_request_after_heal.unwrap();
        assert!(
            fresh <= Duration::from_secs(15),
            "{}: {fresh:?}",
            account.id
        );
    }
}

#[tokio::test(start_paused = true)]
async fn connection_reset_backs_off_and_heals() {
    let seen = observe(Fault::Reset).await;
    assert_fault_errors(&seen, FailureReason::Network, "unreachable");
}

#[tokio::test(start_paused = true)]
async fn a_hang_costs_the_client_timeout_and_hangs_never_follow_back_to_back() {
    let seen = observe(Fault::Hang).await;
    assert_fault_errors(&seen, FailureReason::Network, "no answer within 5000 ms");
    // Each hang lasts the timeout, and the next request waits at least a second after it.
    assert_spaced_in_fault(&seen, CLIENT_TIMEOUT + Duration::from_secs(1));
    let held = seen.auth.hang_durations();
    assert!(!held.is_empty());
    for hang in held {
        assert!(
            hang <= CLIENT_TIMEOUT + Duration::from_millis(10),
            "{hang:?}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_slow_answer_just_under_the_timeout_is_a_good_token() {
    let seen = observe(Fault::SlowUnderTimeout).await;
    for account in &seen.accounts {
        assert!(account.stats.failures.is_empty(), "{:?}", account.stats);
        // The refreshes go on through the fault, each a token living from when it was asked.
        assert!(account.figures.during_fault >= 3, "{:?}", account.requests);
    }
}

#[tokio::test(start_paused = true)]
async fn a_slow_answer_just_over_the_timeout_is_a_timeout() {
    let seen = observe(Fault::SlowOverTimeout).await;
    assert_fault_errors(&seen, FailureReason::Network, "no answer within 5000 ms");
    assert_spaced_in_fault(&seen, CLIENT_TIMEOUT + Duration::from_secs(1));
}

#[tokio::test(start_paused = true)]
async fn a_garbage_body_is_a_malformed_response() {
    let seen = observe(Fault::GarbageBody).await;
    assert_fault_errors(
        &seen,
        FailureReason::MalformedResponse,
        "the body is not JSON (content-type text/html",
    );
}

#[tokio::test(start_paused = true)]
async fn truncated_json_is_a_malformed_response() {
    let seen = observe(Fault::TruncatedJson).await;
    assert_fault_errors(
        &seen,
        FailureReason::MalformedResponse,
        "the body is not JSON (content-type application/json",
    );
}

#[tokio::test(start_paused = true)]
async fn a_body_cut_off_halfway_is_a_network_failure() {
    let seen = observe(Fault::BodyCutOff).await;
    assert_fault_errors(&seen, FailureReason::Network, "unreachable");
}

#[tokio::test(start_paused = true)]
async fn expires_in_zero_is_refused_with_a_clear_error() {
    let seen = observe(Fault::ExpiresInZero).await;
    assert_fault_errors(
        &seen,
        FailureReason::MalformedResponse,
        "expires_in is 0; a token lifetime must be a positive number of seconds",
    );
}

#[tokio::test(start_paused = true)]
async fn a_negative_expires_in_is_refused_with_a_clear_error() {
    let seen = observe(Fault::ExpiresInNegative).await;
    assert_fault_errors(
        &seen,
        FailureReason::MalformedResponse,
        "expires_in is -20; a token lifetime must be a positive number of seconds",
    );
}

#[tokio::test(start_paused = true)]
async fn an_absurd_expires_in_is_clamped_to_a_day() {
    let seen = observe(Fault::ExpiresInHuge).await;
    for account in &seen.accounts {
        // One refresh in the fault got a token clamped to a day; none was needed after it.
        assert_eq!(account.figures.during_fault, 1, "{:?}", account.requests);
        assert!(account.requests.iter().all(|at| *at < FAULT_END));
        let remaining = account.status_at_end.remaining.unwrap();
        assert!(remaining <= Duration::from_secs(86_400), "{remaining:?}");
        assert!(remaining > Duration::from_secs(86_300), "{remaining:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn an_absurd_expires_in_on_a_short_jwt_follows_the_jwt() {
    let seen = observe(Fault::ExpiresInHugeJwt).await;
    for account in &seen.accounts {
        // The token's own exp − iat (20 s) wins: refreshed every 16 s, none used past its exp.
        assert!(account.figures.during_fault >= 3, "{:?}", account.requests);
        let remaining = account.status_at_end.remaining.unwrap();
        assert!(remaining <= Duration::from_secs(20), "{remaining:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn invalid_client_mid_run_stops_retrying_at_the_normal_pace_then_heals() {
    let seen = observe(Fault::InvalidClient).await;
    assert_fault_errors(&seen, FailureReason::InvalidClient, "invalid_client");
    // No 90 % retry after the refused refresh, then one attempt per 60 s cooldown.
    assert_spaced_in_fault(&seen, Duration::from_secs(60));
    for account in &seen.accounts {
        assert!(account.figures.during_fault <= 2, "{:?}", account.requests);
        assert_eq!(account.stats.failures.get("invalid_client"), Some(&1));
    }
}

#[tokio::test(start_paused = true)]
async fn a_closed_port_for_three_token_lifetimes_heals_without_a_restart() {
    let seen = observe(Fault::PortClosed).await;
    assert_fault_errors(&seen, FailureReason::Network, "cannot connect");
    let reached = seen
        .auth
        .requests()
        .iter()
        .filter(|request| (FAULT_START..FAULT_END).contains(&(request.at - seen.origin)))
        .count();
    assert_eq!(reached, 0, "a request reached the closed port");
    for account in &seen.accounts {
        // The client kept trying, at the backoff's pace, although nothing answered.
        assert!(account.figures.during_fault >= 4, "{:?}", account.requests);
    }
}

#[tokio::test(start_paused = true)]
async fn whole_second_exp_earlier_than_expires_in_is_never_used_past_it_through_an_outage() {
    let seen = observe(Fault::WholeSecondExpOutage).await;
    assert_fault_errors(&seen, FailureReason::Network, "HTTP 503");
    // The endpoint's exps really were at least a second earlier than receipt + expires_in,
    // and often more (whole seconds, rounded down).
    let lives = seen.auth.issued_lifetimes();
    assert!(lives.len() >= 4, "{lives:?}");
    let at_most = Duration::from_secs(SHORT_TOKEN_SECONDS - 1);
    assert!(lives.iter().all(|life| *life <= at_most), "{lives:?}");
    assert!(lives.iter().any(|life| *life < at_most), "{lives:?}");
    for account in &seen.accounts {
        let context = format!("{}: requests at {:?}", account.id, account.requests);
        assert!(!account.uses.is_empty(), "{context}");
        for used in &account.uses {
            let expires = used.expires.expect("every token handed out was issued");
            // Handed out only while at least the 1 s margin of its exp was left.
            assert!(
                used.at + Duration::from_secs(1) <= expires,
                "{context}: used at {:?}, exp at {expires:?}",
                used.at
            );
        }
        // Refreshed before 80 % of a nominal 10 s life, as the effective life is shorter.
        let healthy: Vec<_> = account
            .requests
            .iter()
            .filter(|at| **at < FAULT_START)
            .collect();
        for pair in healthy.windows(2) {
            assert!(
                *pair[1] - *pair[0] < Duration::from_secs(SHORT_TOKEN_SECONDS * 8 / 10),
                "{context}"
            );
        }
    }
}
