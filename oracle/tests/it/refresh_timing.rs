//! The handle's schedule under tokio's paused clock, against a scripted token source: refresh
//! and retry instants, outages short and long, `invalid_client`, hangs, shared in-flight
//! requests, and that no path storms or hands out an expired token.

use std::sync::Arc;
use std::time::Duration;

use oracle::token::{RefreshPolicy, TokenHandle};
use oracle::{FailureReason, TokenError};
use tokio::time::{Instant, sleep, sleep_until};

use crate::support::exact_policy;
use crate::support::scripted::{ScriptedFetcher, Step, invalid_client, network, outage};

fn assert_times(actual: &[f64], expected: &[f64]) {
    assert_eq!(
        actual.len(),
        expected.len(),
        "request times {actual:?}, expected {expected:?}"
    );
    for (actual_time, expected_time) in actual.iter().zip(expected) {
        assert!(
            (actual_time - expected_time).abs() < 0.01,
            "request times {actual:?}, expected {expected:?}"
        );
    }
}

/// What a caller polling `get_token` every `every` saw, as (seconds, outcome).
async fn poll(
    handle: &TokenHandle,
    fetcher: &ScriptedFetcher,
    until: f64,
    every: Duration,
) -> Vec<(f64, Result<String, TokenError>)> {
    let mut seen = Vec::new();
    while fetcher.elapsed().as_secs_f64() < until {
        let at = fetcher.elapsed().as_secs_f64();
        let outcome = handle.get_token().await;
        if let Ok(token) = &outcome {
            fetcher.assert_unexpired(token);
        }
        seen.push((at, outcome.map(|token| token.expose().to_owned())));
        sleep(every).await;
    }
    seen
}

#[tokio::test(start_paused = true)]
async fn refreshes_at_80_percent_and_swaps_the_token_in_place() {
    let fetcher = ScriptedFetcher::new(|_| Step::Token(100));
    let handle = fetcher.start(exact_policy()).await.unwrap();
    let first = handle.get_token().await.unwrap();
    sleep(Duration::from_secs(79)).await;
    assert_eq!(handle.get_token().await.unwrap(), first);
    sleep(Duration::from_secs(2)).await;
    let second = handle.get_token().await.unwrap();
    assert_ne!(second, first, "the refresh at 80 s swapped the token");
    sleep(Duration::from_secs(200)).await;
    assert_times(&fetcher.request_times(), &[0.0, 80.0, 160.0, 240.0]);
    handle.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_failed_refresh_is_retried_once_at_90_percent() {
    let fetcher = ScriptedFetcher::new(outage(100, 79.0, 81.0, network()));
    let handle = fetcher.start(exact_policy()).await.unwrap();
    sleep(Duration::from_secs(175)).await;
    // 80 fails, 90 succeeds, and the next refresh is 80 % into the new token's life.
    assert_times(&fetcher.request_times(), &[0.0, 80.0, 90.0, 170.0]);
    handle.stop().await;
}

#[tokio::test(start_paused = true)]
async fn after_two_failed_refreshes_it_gives_up_until_the_token_is_past_use() {
    let fetcher = ScriptedFetcher::new(outage(100, 50.0, 1000.0, network()));
    let handle = fetcher.start(exact_policy()).await.unwrap();
    sleep(Duration::from_secs(94)).await;
    // 80 and 90 failed; the token is still handed out until 95 (100 minus the 5 s margin).
    let token = handle.get_token().await.unwrap();
    fetcher.assert_unexpired(&token);
    assert_times(&fetcher.request_times(), &[0.0, 80.0, 90.0]);
    sleep(Duration::from_millis(1500)).await;
    let error = handle.get_token().await.unwrap_err();
    assert_eq!(error.reason(), FailureReason::Backoff, "{error}");
    handle.stop().await;
}

#[tokio::test(start_paused = true)]
async fn an_outage_of_5_s_in_the_middle_of_a_10_s_ttl() {
    let fetcher = ScriptedFetcher::new(outage(10, 6.0, 11.0, network()));
    let handle = fetcher.start(exact_policy()).await.unwrap();
    let seen = poll(&handle, &fetcher, 20.0, Duration::from_millis(100)).await;
    // 8 (80 %) and 9 (90 %) fail; the recovery waits the 4 s backoff after the second failure
    // and gets a token at 13; the next refresh is at 13 + 8.
    assert_times(&fetcher.request_times(), &[0.0, 8.0, 9.0, 13.0]);
    for (at, outcome) in &seen {
        // The first token is handed out until 9 (10 minus the 1 s margin), none until 13.
        match outcome {
            Ok(_) => assert!(*at < 9.01 || *at > 12.99, "a token at {at}"),
            Err(error) => {
                assert!(*at > 8.99 && *at < 13.01, "refused at {at}: {error}");
                assert_eq!(error.reason(), FailureReason::Backoff);
            }
        }
    }
    assert!(
        seen.iter()
            .any(|(at, outcome)| *at > 10.0 && *at < 12.0 && outcome.is_err())
    );
    sleep(Duration::from_secs(10)).await;
    assert_times(&fetcher.request_times(), &[0.0, 8.0, 9.0, 13.0, 21.0, 29.0]);
    handle.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_permanent_outage_rejects_after_expiry_and_recovers_when_auth_returns() {
    let healed_at = 125.0;
    let fetcher = ScriptedFetcher::new(outage(10, 5.0, healed_at, network()));
    let policy = RefreshPolicy {
        jitter_seed: Some(7),
        ..RefreshPolicy::default()
    };
    let handle = fetcher.start(policy).await.unwrap();
    let seen = poll(&handle, &fetcher, 160.0, Duration::from_millis(250)).await;

    let times = fetcher.request_times();
    for pair in times.windows(2) {
        assert!(
            pair[1] - pair[0] >= 1.0,
            "requests closer than 1 s: {times:?}"
        );
    }
    for (index, start) in times.iter().enumerate() {
        let in_window = times[index..].iter().filter(|t| **t < start + 60.0).count();
        assert!(
            in_window <= 8,
            "{in_window} requests in 60 s from {start}: {times:?}"
        );
    }
    let during = times
        .iter()
        .filter(|t| **t >= 5.0 && **t < healed_at)
        .count();
    assert!(
        during <= 14,
        "{during} requests during a 120 s outage: {times:?}"
    );
    // Refused from the first token's usable end until a fresh one is held, served after.
    let first_fresh = seen
        .iter()
        .find(|(at, outcome)| *at > healed_at && outcome.is_ok())
        .map(|(at, _)| *at)
        .expect("a fresh token after the endpoint healed");
    assert!(
        first_fresh - healed_at <= 16.0,
        "fresh only at {first_fresh}"
    );
    for (at, outcome) in &seen {
        if *at > 9.6 && *at < healed_at {
            assert!(outcome.is_err(), "a token at {at} during the outage");
        }
    }
    handle.stop().await;
}

#[tokio::test(start_paused = true)]
async fn invalid_client_at_boot_fails_the_start_after_one_request() {
    let fetcher = ScriptedFetcher::new(|_| Step::Fail(invalid_client()));
    let error = fetcher.start(exact_policy()).await.unwrap_err();
    assert_eq!(error.reason(), FailureReason::InvalidClient);
    sleep(Duration::from_secs(600)).await;
    assert_times(&fetcher.request_times(), &[0.0]);
}

#[tokio::test(start_paused = true)]
async fn invalid_client_on_refresh_is_fatal_for_that_token() {
    let fetcher = ScriptedFetcher::new(outage(100, 79.0, 120.0, invalid_client()));
    let handle = fetcher.start(exact_policy()).await.unwrap();
    sleep(Duration::from_secs(94)).await;
    // No retry at 90; the held token is still valid and still handed out.
    assert_times(&fetcher.request_times(), &[0.0, 80.0]);
    assert!(handle.get_token().await.is_ok());
    sleep(Duration::from_secs(2)).await;
    let error = handle.get_token().await.unwrap_err();
    let TokenError::Unavailable { last, .. } = &error else {
        panic!("expected the backoff gate, got {error}");
    };
    assert_eq!(last.reason(), FailureReason::InvalidClient);
    // The next attempt waits the 60 s invalid-client cooldown, and then the secret works again.
    sleep(Duration::from_secs(60)).await;
    assert_times(&fetcher.request_times(), &[0.0, 80.0, 140.0]);
    assert!(handle.get_token().await.is_ok());
    handle.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_hung_source_costs_one_timeout_per_attempt_and_never_back_to_back() {
    let fetcher = ScriptedFetcher::new(|elapsed| {
        if elapsed < Duration::from_secs(1) {
            Step::Token(10)
        } else {
            Step::Hang
        }
    });
    let policy = RefreshPolicy {
        attempt_timeout: Duration::from_secs(5),
        ..exact_policy()
    };
    let handle = fetcher.start(policy).await.unwrap();
    sleep(Duration::from_millis(20_500)).await;
    // A caller arriving during the hung attempt that started at 20 waits for it, no longer.
    let asked = Instant::now();
    let error = handle.get_token().await.unwrap_err();
    assert_eq!(Instant::now() - asked, Duration::from_millis(4_500));
    let TokenError::Unavailable { last, .. } = &error else {
        panic!("expected the backoff gate after the shared attempt, got {error}");
    };
    assert_eq!(last.reason(), FailureReason::Network, "{error}");
    sleep(Duration::from_secs(40)).await;
    // 8 hangs to 13; the 90 % retry comes 1 s after that; then backoff from each start, but
    // never sooner than 1 s after the previous attempt's end.
    assert_times(
        &fetcher.request_times(),
        &[0.0, 8.0, 14.0, 20.0, 28.0, 43.0, 58.0],
    );
    handle.stop().await;
}

#[tokio::test(start_paused = true)]
async fn concurrent_callers_share_one_in_flight_request() {
    let fetcher = ScriptedFetcher::new(|elapsed| match elapsed.as_secs() {
        0 => Step::Token(10),
        1..=12 => Step::Fail(network()),
        _ => Step::Slow(Duration::from_secs(2), 10),
    });
    let handle = fetcher.start(exact_policy()).await.unwrap();
    // 8 and 9 fail; the backoff opens at 13. Fifty callers arrive together then.
    sleep_until(Instant::now() + Duration::from_secs(13)).await;
    let callers: Vec<_> = (0..50)
        .map(|_| {
            let handle = handle.clone();
            tokio::spawn(async move { handle.get_token().await })
        })
        .collect();
    let mut tokens = Vec::new();
    for caller in callers {
        tokens.push(caller.await.unwrap().unwrap().expose().to_owned());
    }
    tokens.dedup();
    assert_eq!(tokens.len(), 1, "every caller got the same token");
    assert_times(&fetcher.request_times(), &[0.0, 8.0, 9.0, 13.0]);
    handle.stop().await;
}

#[tokio::test(start_paused = true)]
async fn hammering_callers_cannot_make_it_retry_in_a_tight_loop() {
    let fetcher = ScriptedFetcher::new(|elapsed| {
        if elapsed < Duration::from_secs(1) {
            Step::Token(10)
        } else {
            Step::Fail(network())
        }
    });
    let handle = fetcher.start(RefreshPolicy::default()).await.unwrap();
    let hammers: Vec<_> = (0..20)
        .map(|_| {
            let handle = handle.clone();
            tokio::spawn(async move {
                let until = Instant::now() + Duration::from_secs(120);
                while Instant::now() < until {
                    let _ = handle.get_token().await;
                    sleep(Duration::from_millis(10)).await;
                }
            })
        })
        .collect();
    for hammer in hammers {
        hammer.await.unwrap();
    }
    let times = fetcher.request_times();
    for pair in times.windows(2) {
        assert!(pair[1] - pair[0] >= 1.0, "{times:?}");
    }
    // 0, 8, 9, then 2/4/8/15 s backoff: at most 12 requests in two minutes.
    assert!(times.len() <= 12, "{} requests: {times:?}", times.len());
    handle.stop().await;
}

#[tokio::test(start_paused = true)]
async fn stop_cancels_the_request_in_flight_and_every_later_one() {
    let fetcher = ScriptedFetcher::new(|elapsed| {
        if elapsed < Duration::from_secs(1) {
            Step::Token(10)
        } else {
            Step::Hang
        }
    });
    let handle = fetcher.start(exact_policy()).await.unwrap();
    sleep(Duration::from_secs(9)).await;
    let stopped_at = Instant::now();
    handle.stop().await;
    assert_eq!(
        Instant::now(),
        stopped_at,
        "stop did not wait for the hung request"
    );
    assert!(matches!(handle.get_token().await, Err(TokenError::Stopped)));
    sleep(Duration::from_secs(1000)).await;
    assert_times(&fetcher.request_times(), &[0.0, 8.0]);
}

#[tokio::test(start_paused = true)]
async fn dropping_the_last_handle_stops_the_refresher() {
    let fetcher = ScriptedFetcher::new(|_| Step::Token(10));
    let handle = fetcher.start(exact_policy()).await.unwrap();
    drop(handle);
    sleep(Duration::from_secs(100)).await;
    assert_times(&fetcher.request_times(), &[0.0]);
}

#[tokio::test(start_paused = true)]
async fn status_reports_age_and_remaining_life_without_the_token() {
    let fetcher = ScriptedFetcher::new(|_| Step::Token(100));
    let handle = fetcher.start(exact_policy()).await.unwrap();
    sleep(Duration::from_secs(30)).await;
    let status = handle.status();
    assert_eq!(status.age, Some(Duration::from_secs(30)));
    assert_eq!(status.remaining, Some(Duration::from_secs(70)));
    assert!(status.usable);
    let token = handle.get_token().await.unwrap();
    let shown = format!("{handle:?} {status:?} {token:?}");
    assert!(!shown.contains(token.expose()), "{shown}");
    let stats = handle.stats();
    assert_eq!((stats.requests, stats.acquired, stats.refreshed), (1, 1, 0));
    handle.stop().await;
    assert!(!handle.status().usable);
    let _keep: Arc<ScriptedFetcher> = fetcher;
}
