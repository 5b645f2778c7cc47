use super::*;

fn rejected(message: &str) -> LedgerError {
    LedgerError::Rejected {
        endpoint: "http://ledger.test/v1/exercise".into(),
        status: 400,
        message: message.into(),
    }
}

const NOTHING_DUE: &str = "FAILED_PRECONDITION: DAML_INTERPRETATION_ERROR(9,ab12cd34): \
    Interpretation error: Error: User abort: NOTHING_DUE: swap IRS-5Y: period 0 ends later";

#[test]
fn user_abort_codes_are_read_from_interpretation_errors_only() {
    assert_eq!(rejected(NOTHING_DUE).user_abort_code(), Some("NOTHING_DUE"));
    assert_eq!(
        rejected("User abort: STALE_MARK").user_abort_code(),
        Some("STALE_MARK")
    );
    assert_eq!(rejected("User abort: : no code").user_abort_code(), None);
    assert_eq!(
        rejected("JsonReaderError. Cannot read").user_abort_code(),
        None
    );
    let not_found = LedgerError::ContractNotFound {
        endpoint: "e".into(),
        message: "User abort: NOTHING_DUE".into(),
    };
    assert_eq!(not_found.user_abort_code(), None);
}

#[test]
fn choice_failures_say_why_in_the_tick_failed_reason() {
    let choice = |source| TickError::Choice {
        choice: "PublishMark",
        target: "CSA CSA-AB-001".into(),
        source,
    };
    let unauthorized = rejected(
        "DAML_AUTHORIZATION_ERROR(8,ab12cd34): requires authorizers Operator::1220, but only \
         Scheduler::1220 were given",
    );
    assert!(unauthorized.is_daml_authorization_error());
    assert_eq!(choice(unauthorized).reason(), "choice_not_authorized");
    let invalid = rejected("FAILED_PRECONDITION: … User abort: INVALID_CALL: below the MTA");
    assert_eq!(choice(invalid).reason(), "choice_precondition_failed");
    let timeout = LedgerError::Timeout {
        endpoint: "e".into(),
        timeout: std::time::Duration::from_secs(5),
    };
    assert_eq!(choice(timeout).reason(), "ledger_timeout");
}
