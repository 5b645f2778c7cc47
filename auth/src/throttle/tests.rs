use std::net::Ipv4Addr;

use super::*;

fn address(last: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(192, 0, 2, last))
}

fn limits(per_address: u32, per_client: u32) -> ThrottleLimits {
    ThrottleLimits {
        per_address_per_minute: per_address,
        per_client_per_minute: per_client,
        ..ThrottleLimits::default()
    }
}

#[test]
fn a_burst_of_the_limit_passes_then_one_attempt_per_interval() {
    let throttle = Throttle::new(limits(60, 0));
    let start = Instant::now();
    for _ in 0..60 {
        throttle.check(address(1), "a", start).unwrap();
        throttle.record_failure(address(1), "a", start);
    }
    let retry = throttle.check(address(1), "a", start).unwrap_err();
    assert_eq!(retry, Duration::from_secs(1));
    assert!(
        throttle.check(address(2), "a", start).is_ok(),
        "other addresses are unaffected"
    );
    let later = start + Duration::from_secs(1);
    throttle.check(address(1), "a", later).unwrap();
    throttle.record_failure(address(1), "a", later);
    assert!(throttle.check(address(1), "a", later).is_err());
    assert!(
        throttle
            .check(address(1), "a", start + Duration::from_secs(61))
            .is_ok()
    );
}

#[test]
fn failures_for_a_client_id_throttle_only_the_address_that_made_them() {
    let throttle = Throttle::new(limits(0, 30));
    let now = Instant::now();
    for _ in 0..1000 {
        throttle.record_failure(address(66), "scheduler", now);
    }
    assert_eq!(
        throttle.check(address(66), "scheduler", now).unwrap_err(),
        // 1000 failures at 2 s each, less the burst tolerance of 58 s.
        Duration::from_secs(2000 - 58),
        "the pair is throttled for as long as its failures say"
    );
    assert!(
        throttle.check(address(99), "scheduler", now).is_ok(),
        "an address that never failed for the id is not"
    );
    assert!(throttle.check(address(66), "mark-publisher", now).is_ok());
}

#[test]
fn failures_spread_over_addresses_throttle_none_of_them_by_id() {
    let throttle = Throttle::new(limits(0, 30));
    let now = Instant::now();
    for i in 0..=250 {
        throttle.record_failure(address(i), "scheduler", now);
    }
    assert!(throttle.check(address(251), "scheduler", now).is_ok());
    assert!(throttle.check(address(1), "scheduler", now).is_ok());
}

#[test]
fn zero_turns_a_limit_off() {
    let throttle = Throttle::new(limits(0, 0));
    let now = Instant::now();
    for _ in 0..1000 {
        throttle.record_failure(address(1), "a", now);
    }
    assert!(throttle.check(address(1), "a", now).is_ok());
    assert_eq!(throttle.by_address.len(), 0);
}

#[test]
fn a_recent_success_exempts_its_pair_from_the_pair_limit_only() {
    let throttle = Throttle::new(limits(60, 30));
    let now = Instant::now();
    // A real client and a sprayer behind one shared address.
    let shared = address(1);
    throttle.record_success(shared, "scheduler", now);
    for _ in 0..30 {
        throttle.record_failure(shared, "scheduler", now);
    }
    assert!(
        throttle.check(shared, "scheduler", now).is_ok(),
        "the pair that recently succeeded is exempt from the pair limit"
    );
    for _ in 0..30 {
        throttle.record_failure(shared, "scheduler", now);
    }
    assert!(
        throttle.check(shared, "scheduler", now).is_err(),
        "but not from the per-address limit"
    );
    let other = Throttle::new(limits(0, 30));
    other.record_success(shared, "scheduler", now);
    let expired = now + ThrottleLimits::default().success_exemption;
    for _ in 0..30 {
        other.record_failure(shared, "scheduler", expired);
    }
    assert!(
        other.check(shared, "scheduler", expired).is_err(),
        "the exemption expires"
    );
}

#[test]
fn tables_stay_within_their_cap() {
    let throttle = Throttle::new(ThrottleLimits {
        max_tracked_keys: 100,
        ..limits(60, 30)
    });
    let now = Instant::now();
    for i in 0..10_000u32 {
        let ip = IpAddr::V4(Ipv4Addr::from(i));
        throttle.record_failure(ip, &format!("id-{i}"), now);
        throttle.record_success(ip, &format!("id-{i}"), now);
    }
    assert_eq!(throttle.by_address.len(), 100);
    assert_eq!(throttle.by_client.len(), 100);
    assert_eq!(throttle.successes.lock().unwrap().len(), 100);
}

#[test]
fn long_client_ids_are_tracked_by_a_bounded_prefix() {
    let long = "é".repeat(200);
    let key = tracked_id(&long);
    assert!(key.len() <= MAX_TRACKED_ID_BYTES);
    assert!(long.starts_with(&key));
}
