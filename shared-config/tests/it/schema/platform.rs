//! `platform`, with `ledgerUi` and `demoReset`.

use super::{loaded, rules};
use crate::support::{MINIMAL, Remove, Set};

rules! {
    the_public_and_frontend_urls_are_required: MINIMAL, [Remove("platform.authPublicUrl"), Remove("platform.frontendUrl")] => [
        "platform.authPublicUrl: required",
        "platform.frontendUrl: required",
    ];
    the_url_template_must_be_a_url_even_under_path_routing: MINIMAL, [Set("platform.frontendUrlTemplate", "'{subdomain}.example.com'")] => [
        "platform.frontendUrlTemplate: \"{subdomain}.example.com\" is not a valid URL (relative URL without a base)",
    ];
    the_url_template_needs_no_token_under_path_routing: MINIMAL, [Set("platform.frontendUrlTemplate", "https://example.com")] => [];
    ledger_ui_fields_have_their_types: MINIMAL, [
        Set("platform.ledgerUi.enabled", "'no'"),
        Set("platform.ledgerUi.bufferSize", "0"),
        Set("platform.ledgerUi.templateFilter.allow", "x"),
        Set("platform.ledgerUi.templateFilter.deny", "[1]"),
        Set("platform.ledgerUi.toasts.maxVisible", "-1"),
        Set("platform.ledgerUi.toasts.dismissAfterMs", "0"),
        Set("platform.ledgerUi.rawPayload.enabled", "~"),
    ] => [
        "platform.ledgerUi.enabled: expected true or false, got a string",
        "platform.ledgerUi.bufferSize: must be greater than 0, got 0",
        "platform.ledgerUi.templateFilter.allow: expected a list, got a string",
        "platform.ledgerUi.templateFilter.deny.0: expected a string, got a number",
        "platform.ledgerUi.toasts.maxVisible: must be 0 or more, got -1",
        "platform.ledgerUi.toasts.dismissAfterMs: must be greater than 0, got 0",
        "platform.ledgerUi.rawPayload.enabled: expected true or false, got null",
    ];
    no_toasts_at_once_and_empty_filters_are_allowed: MINIMAL, [
        Set("platform.ledgerUi.toasts.maxVisible", "0"),
        Set("platform.ledgerUi.templateFilter", "{allow: [''], deny: [], systemPrefixes: []}"),
    ] => [];
    demo_reset_interval_is_any_positive_whole_number: MINIMAL, [Set("platform.demoReset", "{enabled: true, intervalMinutes: 7, message: ''}")] => [];
    demo_reset_interval_zero_is_refused: MINIMAL, [Set("platform.demoReset.intervalMinutes", "0")] => [
        "platform.demoReset.intervalMinutes: must be greater than 0, got 0",
    ];
}

#[test]
fn an_empty_ledger_ui_takes_every_default() {
    let config = loaded(
        MINIMAL,
        &[Set(
            "platform.ledgerUi",
            "{toasts: {}, templateFilter: {allow: [X]}}",
        )],
    );
    let ui = config.platform.ledger_ui;
    assert_eq!(ui.template_filter.allow, ["X"]);
    assert_eq!(ui.template_filter.deny.len(), 2);
    assert_eq!(
        (ui.toasts_max_visible, ui.toasts_dismiss_after_ms),
        (3, 5000)
    );
}
