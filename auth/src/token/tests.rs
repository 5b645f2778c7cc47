use super::*;

#[test]
fn retry_after_rounds_up_to_whole_seconds_and_is_at_least_one() {
    assert_eq!(whole_seconds_at_least_one(Duration::ZERO), 1);
    assert_eq!(whole_seconds_at_least_one(Duration::from_millis(10)), 1);
    assert_eq!(whole_seconds_at_least_one(Duration::from_secs(2)), 2);
    assert_eq!(whole_seconds_at_least_one(Duration::from_millis(2001)), 3);
}
