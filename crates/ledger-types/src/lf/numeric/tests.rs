use serde_json::json;

use super::*;

fn text(input: &str) -> String {
    Numeric::parse(input).unwrap().to_string()
}

fn reason(input: &str) -> &'static str {
    match Numeric::parse(input).unwrap_err() {
        LfError::Numeric { reason, .. } => reason,
        other => panic!("{other:?}"),
    }
}

#[test]
fn writes_the_json_api_form_trailing_zeros_removed_one_decimal_kept() {
    for (input, output) in [
        ("10", "10.0"),
        ("10.000", "10.0"),
        ("999.99", "999.99"),
        ("-1630000.0", "-1630000.0"),
        ("0.0425", "0.0425"),
        ("-0.5", "-0.5"),
        ("0", "0.0"),
        ("-0", "0.0"),
        ("0.0000000001", "0.0000000001"),
        ("+3.25", "3.25"),
        ("007.50", "7.5"),
    ] {
        assert_eq!(text(input), output, "{input}");
    }
}

#[test]
fn reads_what_the_participant_reads_a_point_on_either_side_and_exponents() {
    // `java.math.BigDecimal`'s grammar, as the JSON API reads Numeric strings.
    assert_eq!(text("10."), "10.0");
    assert_eq!(text("-10."), "-10.0");
    assert_eq!(text(".5"), "0.5");
    assert_eq!(text("-.5"), "-0.5");
    assert_eq!(text("1e5"), "100000.0");
    assert_eq!(text("2.5E-3"), "0.0025");
    assert_eq!(text("-1.5e+2"), "-150.0");
    assert_eq!(text("123e-10"), "0.0000000123");
    assert_eq!(text("0e999999999999"), "0.0", "zero whatever the exponent");
    assert_eq!(
        text("1.000000000000000e3"),
        "1000.0",
        "zeros are not precision"
    );
}

#[test]
fn refuses_malformed_text_and_whitespace() {
    for input in [
        "", "-", "+", ".", "-.", "e5", "1e", "1e+", "1e5.0", "abc", "1.2.3", "1,5", "--1", "+-1",
        " 1", "1 ", "1\n", "١", "0x10", "NaN", "Infinity", "1_000",
    ] {
        assert!(Numeric::parse(input).is_err(), "{input:?} accepted");
    }
    let error = Numeric::parse(" 1").unwrap_err().to_string();
    assert!(
        error.starts_with("expected a Numeric (a decimal such as \"10.0\"), found ` 1`"),
        "{error}"
    );
}

#[test]
fn more_than_ten_decimal_places_are_refused_not_rounded() {
    assert_eq!(reason("0.00000000001"), "more than 10 decimal places");
    assert_eq!(reason("0.12345678905"), "more than 10 decimal places");
    assert_eq!(reason("1e-11"), "more than 10 decimal places");
    assert_eq!(reason("1e-99999999"), "more than 10 decimal places");
    let error = Numeric::parse("0.00000000001").unwrap_err().to_string();
    assert!(error.contains("more than 10 decimal places"), "{error}");
    // Ten places exactly, and zeros beyond them, are fine.
    assert_eq!(text("0.1234567891"), "0.1234567891");
    assert_eq!(text("0.100000000000000"), "0.1");
}

#[test]
fn the_38_digit_bound_is_28_before_the_point() {
    let largest = format!("{}.{}", "9".repeat(28), "9".repeat(10));
    assert_eq!(text(&largest), largest);
    assert_eq!(text(&format!("-{largest}")), format!("-{largest}"));
    assert!(Numeric::parse(&"9".repeat(28)).is_ok());
    assert_eq!(
        reason(&"9".repeat(29)),
        "more than 28 digits before the decimal point"
    );
    assert_eq!(
        reason("1e28"),
        "more than 28 digits before the decimal point"
    );
    assert!(Numeric::parse("9.9e27").is_ok());
    assert_eq!(
        reason("1e999999999999999999999"),
        "more than 28 digits before the decimal point"
    );
    // Leading zeros do not count.
    assert!(Numeric::parse(&format!("{}1", "0".repeat(100))).is_ok());
    assert_eq!(reason(&"1".repeat(129)), "longer than 128 characters");
}

#[test]
fn reads_json_numbers_and_strings_and_writes_strings() {
    let value: Numeric = serde_json::from_str("12.5").unwrap();
    assert_eq!(serde_json::to_string(&value).unwrap(), r#""12.5""#);
    let value: Numeric = serde_json::from_str("42").unwrap();
    assert_eq!(value.to_string(), "42.0");
    let value: Numeric = serde_json::from_str("18446744073709551615").unwrap();
    assert_eq!(value.to_string(), "18446744073709551615.0");
    let value: Numeric = serde_json::from_str("-7").unwrap();
    assert_eq!(value, Numeric::from_units(-7));
    let value: Numeric = serde_json::from_str(r#""-7.25""#).unwrap();
    assert_eq!(value, Numeric::parse("-7.25").unwrap());
    assert_eq!(
        serde_json::from_value::<Numeric>(json!(250000)).unwrap(),
        Numeric::parse("250000").unwrap()
    );
    assert_eq!(
        serde_json::from_value::<Numeric>(json!("0.5"))
            .unwrap()
            .to_f64(),
        0.5
    );
    assert!(serde_json::from_str::<Numeric>("true").is_err());
    assert!(serde_json::from_value::<Numeric>(json!(null)).is_err());
}

#[test]
fn json_floats_that_may_have_lost_digits_are_refused() {
    let value: Numeric = serde_json::from_str("1e20").unwrap();
    assert_eq!(value.to_string(), "100000000000000000000.0");
    let value: Numeric = serde_json::from_str("0.000001").unwrap();
    assert_eq!(value.to_string(), "0.000001");
    let value: Numeric = serde_json::from_str("123456789.123456").unwrap();
    assert_eq!(value.to_string(), "123456789.123456");
    // What JavaScript sends for 0.1 + 0.2: the participant would round it to 0.3.
    let error = serde_json::from_str::<Numeric>("0.30000000000000004").unwrap_err();
    assert!(
        error.to_string().contains("send the Numeric as a string"),
        "{error}"
    );
    let error = serde_json::from_str::<Numeric>("12345678901234567890.5").unwrap_err();
    assert!(error.to_string().contains("lost digits"), "{error}");
    let error = serde_json::from_str::<Numeric>("1e30").unwrap_err();
    assert!(error.to_string().contains("28 digits"), "{error}");
}

#[test]
fn float_conversion_rounds_half_away_from_zero_to_the_requested_places() {
    assert_eq!(Numeric::from_f64(1.5).unwrap().to_string(), "1.5");
    assert_eq!(
        Numeric::from_f64(-0.123456789012).unwrap().to_string(),
        "-0.123456789"
    );
    let cents = |value| Numeric::from_f64_places(value, 2).unwrap().to_string();
    assert_eq!(cents(-1_873_740.854_9), "-1873740.85");
    assert_eq!(cents(-0.125), "-0.13");
    assert_eq!(cents(0.125), "0.13");
    assert_eq!(cents(-0.001), "0.0");
    assert!(Numeric::from_f64(f64::NAN).is_err());
    assert!(Numeric::from_f64(f64::INFINITY).is_err());
    assert!(Numeric::from_f64(1e30).is_err());
    assert!(Numeric::from_f64(1e40).is_err());
    assert!(Numeric::from_f64_places(1e30, 0).is_err());
}

#[test]
fn arithmetic_is_exact_and_bounded() {
    let a = Numeric::parse("100000").unwrap();
    let b = Numeric::parse("-250000.5").unwrap();
    assert_eq!(a.checked_add(b).unwrap().to_string(), "-150000.5");
    assert!(b.is_negative() && !a.is_negative());
    assert_eq!(b.abs().to_string(), "250000.5");
    assert_eq!(b.negate().to_string(), "250000.5");
    assert!(a > 99_999 && a == 100_000);
    let largest = Numeric::parse(&"9".repeat(28)).unwrap();
    assert_eq!(largest.checked_add(Numeric::from_units(1)), None);
    assert_eq!(largest.checked_times(10), None);

    let unit = Numeric::parse("0.01").unwrap();
    let three_tenths = unit.checked_times(30).unwrap();
    assert_eq!(three_tenths.to_string(), "0.3");
    assert!(three_tenths.is_multiple_of(unit));
    assert!(!Numeric::parse("0.305").unwrap().is_multiple_of(unit));
    assert!(Numeric::parse("7").unwrap().is_multiple_of(Numeric::ZERO));
    assert!(
        Numeric::parse("30000")
            .unwrap()
            .is_multiple_of(Numeric::from_units(10_000))
    );
    assert!(
        !Numeric::parse("30000.5")
            .unwrap()
            .is_multiple_of(Numeric::from_units(10_000))
    );
}
