use chrono::TimeZone;
use serde_json::json;

use super::*;

fn written(input: &str) -> String {
    Timestamp::parse(input).unwrap().to_string()
}

fn timestamp_reason(input: &str) -> &'static str {
    match Timestamp::parse(input).unwrap_err() {
        LfError::Timestamp { reason, .. } => reason,
        other => panic!("{other:?}"),
    }
}

#[test]
fn timestamps_are_written_with_zero_three_or_six_fraction_digits() {
    for (input, output) in [
        ("2024-05-01T10:00:00Z", "2024-05-01T10:00:00Z"),
        ("2024-05-01T10:00:00.000Z", "2024-05-01T10:00:00Z"),
        ("2024-05-01T10:00:00.1Z", "2024-05-01T10:00:00.100Z"),
        ("2024-05-01T10:00:00.123456Z", "2024-05-01T10:00:00.123456Z"),
        ("2024-05-01T10:00:00.1234Z", "2024-05-01T10:00:00.123400Z"),
        (
            "2024-05-01T10:00:00.1234560Z",
            "2024-05-01T10:00:00.123456Z",
        ),
        ("2024-05-01t10:00:00z", "2024-05-01T10:00:00Z"),
    ] {
        assert_eq!(written(input), output, "{input}");
    }
}

#[test]
fn digits_below_the_microsecond_are_dropped_as_the_participant_does() {
    assert_eq!(
        written("2024-05-01T10:00:00.1234567Z"),
        "2024-05-01T10:00:00.123456Z"
    );
    assert_eq!(
        written("2024-05-01T10:00:00.999999999Z"),
        "2024-05-01T10:00:00.999999Z",
        "truncated, never rounded up into the next second"
    );
    assert_eq!(
        written("1969-12-31T23:59:59.0000009Z"),
        "1969-12-31T23:59:59Z",
        "toward the past before the epoch too"
    );
    let instant = DateTime::from_timestamp(1_700_000_000, 123_456_789).unwrap();
    let timestamp = Timestamp::from_datetime(instant).unwrap();
    assert_eq!(timestamp.to_string(), "2023-11-14T22:13:20.123456Z");
    assert_eq!(Timestamp::from_micros(timestamp.micros()), Ok(timestamp));
    assert_eq!(
        truncate_to_micros(instant),
        DateTime::from_timestamp(1_700_000_000, 123_456_000).unwrap()
    );
    let whole = Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap();
    let fine = whole + chrono::Duration::nanoseconds(1_234_567);
    assert_eq!(
        Timestamp::from_datetime(fine).unwrap().to_string(),
        "2026-01-05T09:00:00.001234Z"
    );
}

#[test]
fn the_time_zone_must_be_z() {
    for input in [
        "2024-05-01T10:00:00+01:00",
        "2024-05-01T10:00:00+00:00",
        "2024-05-01T10:00:00-05:00",
        "2024-05-01T10:00:00.5+01:00",
    ] {
        assert_eq!(
            timestamp_reason(input),
            "the offset must be `Z`: a Timestamp is UTC",
            "{input}"
        );
    }
    for input in ["2024-05-01T10:00:00", "2024-05-01T10:00:00.123"] {
        assert!(Timestamp::parse(input).is_err(), "{input}");
    }
}

#[test]
fn malformed_timestamps_are_refused() {
    for input in [
        "",
        "2024-05-01",
        "2024-05-01 10:00:00Z",
        "2024-05-01T10:00Z",
        "2024-5-01T10:00:00Z",
        "2024-05-01T10:00:00.Z",
        "2024-05-01T10:00:00.1234567890Z",
        "2024-05-01T24:00:00Z",
        "2024-05-01T10:60:00Z",
        "2024-05-01T23:59:60Z",
        "2024-02-30T10:00:00Z",
        "2024-05-01T10:00:00ZZ",
        " 2024-05-01T10:00:00Z",
        "2024-05-01T10:00:00Z ",
        "2024-05-01T1à:00:00Z",
        "+12024-05-01T10:00:00Z",
    ] {
        assert!(Timestamp::parse(input).is_err(), "{input:?} accepted");
    }
    assert_eq!(
        timestamp_reason("2024-05-01T23:59:60Z"),
        "a leap second (60) is not a valid second"
    );
    assert_eq!(
        timestamp_reason("2024-05-01T10:00:00.1234567890Z"),
        "the fraction of a second has 1 to 9 digits"
    );
    let error = Timestamp::parse("2024-05-01").unwrap_err().to_string();
    assert!(error.starts_with("expected a Timestamp"), "{error}");
    // The longest form read has nine fraction digits and an offset to report; 40 characters.
    let long = format!("2024-05-01T10:00:00.{}Z", "0".repeat(20));
    assert_eq!(
        timestamp_reason(&long),
        "not of the form YYYY-MM-DDThh:mm:ss[.ffffff]Z (UTC, `Z` required)"
    );
}

#[test]
fn timestamps_lie_in_the_years_0001_to_9999() {
    assert_eq!(
        Timestamp::parse("0001-01-01T00:00:00Z").unwrap(),
        Timestamp::MIN
    );
    assert_eq!(
        Timestamp::parse("9999-12-31T23:59:59.999999Z").unwrap(),
        Timestamp::MAX
    );
    assert_eq!(Timestamp::MIN.to_string(), "0001-01-01T00:00:00Z");
    assert_eq!(Timestamp::MAX.to_string(), "9999-12-31T23:59:59.999999Z");
    assert_eq!(
        timestamp_reason("0000-12-31T23:59:59Z"),
        "the year is outside 0001..=9999"
    );
    assert!(Timestamp::from_micros(Timestamp::MIN.micros() - 1).is_err());
    assert!(Timestamp::from_micros(Timestamp::MAX.micros() + 1).is_err());
    assert_eq!(Timestamp::MAX.checked_add_micros(1), None);
    assert_eq!(Timestamp::MIN.checked_add_micros(i64::MIN), None);
    assert!(Timestamp::from_datetime(DateTime::<Utc>::MAX_UTC).is_err());
    assert_eq!(
        Timestamp::MIN
            .checked_add_micros(1_000_000)
            .unwrap()
            .to_string(),
        "0001-01-01T00:00:01Z"
    );
}

#[test]
fn timestamps_read_and_write_json_strings_only() {
    let value: Timestamp = serde_json::from_value(json!("2026-01-05T09:00:55.5Z")).unwrap();
    assert_eq!(
        serde_json::to_value(value).unwrap(),
        json!("2026-01-05T09:00:55.500Z")
    );
    assert!(serde_json::from_value::<Timestamp>(json!(12)).is_err());
    assert!(serde_json::from_value::<Timestamp>(json!(null)).is_err());
    let error = serde_json::from_value::<Timestamp>(json!("2026-01-05T09:00:00+01:00"))
        .unwrap_err()
        .to_string();
    assert!(error.contains("the offset must be `Z`"), "{error}");
}

#[test]
fn dates_are_calendar_days_in_the_years_0001_to_9999() {
    for text in ["2024-05-01", "0001-01-01", "9999-12-31", "2024-02-29"] {
        assert_eq!(Date::parse(text).unwrap().to_string(), text);
    }
    let date_reason = |input: &str| match Date::parse(input).unwrap_err() {
        LfError::Date { reason, .. } => reason,
        other => panic!("{other:?}"),
    };
    assert_eq!(date_reason("0000-12-31"), "the year is outside 0001..=9999");
    assert_eq!(date_reason("10000-01-01"), "not of the form YYYY-MM-DD");
    assert_eq!(date_reason("-0001-01-01"), "not of the form YYYY-MM-DD");
    for input in ["2023-02-29", "2024-13-01", "2024-00-10", "2024-04-31"] {
        assert_eq!(
            date_reason(input),
            "not a calendar date (month 01–12, a day the month has)",
            "{input}"
        );
    }
    for input in [
        "",
        "2024-5-1",
        "2024/05/01",
        "2024-05-01T00:00:00Z",
        " 2024-05-01",
    ] {
        assert!(Date::parse(input).is_err(), "{input:?} accepted");
    }
    let day = NaiveDate::from_ymd_opt(10_000, 1, 1).unwrap();
    assert!(Date::from_naive(day).is_err());
    let value: Date = serde_json::from_value(json!("2026-01-05")).unwrap();
    assert_eq!(serde_json::to_value(value).unwrap(), json!("2026-01-05"));
    assert!(serde_json::from_value::<Date>(json!(20260105)).is_err());
}
