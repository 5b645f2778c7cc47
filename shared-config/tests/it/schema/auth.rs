//! `auth`: provider, `builtin`, `oidc`, `serviceAccounts` and the checks inside the section.

use shared_config::AuthMode;

use super::{loaded, rules};
use crate::support::{BUILTIN, MINIMAL, Remove, Set};

rules! {
    the_provider_is_required: MINIMAL, [Set("auth", "{}")] => ["auth.provider: required"];
    auth_builtin_is_allowed_and_ignored_under_demo: MINIMAL, [Set("auth.builtin", "{issuer: 'http://x', keyAlgorithm: ''}")] => [];
    auth_oidc_is_allowed_under_any_provider: MINIMAL, [
        Set("auth.oidc", "{authority: 'https://idp', clientId: web, clientSecret: s}"),
    ] => [];
    builtin_is_required_outside_demo: BUILTIN, [Remove("auth.builtin")] => [
        "auth.builtin: auth.builtin is required when auth.provider=\"builtin\" (used to mint ledger JWTs)",
    ];
    oidc_needs_both_sections: BUILTIN, [Set("auth.provider", "oidc")] => [
        "auth.oidc: auth.oidc is required when auth.provider=\"oidc\"",
    ];
    service_accounts_may_be_empty_under_demo: MINIMAL, [Set("auth.serviceAccounts", "[]")] => [];
    a_service_account_id_repeats_under_any_provider: MINIMAL, [
        Set("auth.serviceAccounts", "[{id: a, actAs: [X]}, {id: b, actAs: [Y]}, {id: a, actAs: [Z]}]"),
    ] => [
        "auth.serviceAccounts.2.id: duplicate serviceAccount id: a",
    ];
    a_service_account_id_is_any_non_empty_text: MINIMAL, [
        Set("auth.serviceAccounts", "[{id: Mark_Publisher.v2, actAs: [Operator]}]"),
    ] => [];
    a_service_account_needs_an_id_and_one_act_as_party: MINIMAL, [
        Set("auth.serviceAccounts", "[{readAs: [X]}, {id: '', actAs: []}, {id: c, actAs: ['']}]"),
    ] => [
        "auth.serviceAccounts.0.id: required",
        "auth.serviceAccounts.0.actAs: required",
        "auth.serviceAccounts.1.id: must not be empty",
        "auth.serviceAccounts.1.actAs: must list at least 1 item, got 0",
        "auth.serviceAccounts.2.actAs.0: must not be empty",
    ];
    read_as_may_hold_empty_strings_under_demo: MINIMAL, [
        Set("auth.serviceAccounts", "[{id: a, actAs: [Operator], readAs: ['', PartyA]}]"),
    ] => [];
    the_issuer_must_be_a_url: BUILTIN, [Set("auth.builtin.issuer", "issuer")] => [
        "auth.builtin.issuer: \"issuer\" is not a valid URL (relative URL without a base)",
    ];
    key_algorithm_is_any_string: BUILTIN, [Set("auth.builtin.keyAlgorithm", "''")] => [];
    token_lifetimes_are_positive_with_no_other_bound: BUILTIN, [
        Set("auth.builtin.tokenTtlSeconds", "1"), Set("auth.builtin.refreshTtlSeconds", "1"),
    ] => [];
    a_zero_token_lifetime_is_refused: BUILTIN, [
        Set("auth.builtin.tokenTtlSeconds", "0"), Set("auth.builtin.refreshTtlSeconds", "-1"),
    ] => [
        "auth.builtin.tokenTtlSeconds: must be greater than 0, got 0",
        "auth.builtin.refreshTtlSeconds: must be greater than 0, got -1",
    ];
    the_port_is_positive_with_no_upper_bound: BUILTIN, [Set("auth.builtin.port", "70000")] => [];
    port_zero_is_refused: BUILTIN, [Set("auth.builtin.port", "0")] => [
        "auth.builtin.port: must be greater than 0, got 0",
    ];
    oidc_needs_authority_client_id_and_secret: MINIMAL, [Set("auth.oidc", "{scopes: []}")] => [
        "auth.oidc.authority: required",
        "auth.oidc.clientId: required",
        "auth.oidc.clientSecret: required",
    ];
    oidc_strings_must_not_be_empty: MINIMAL, [Set("auth.oidc", "{authority: 'x', clientId: '', clientSecret: ''}")] => [
        "auth.oidc.authority: \"x\" is not a valid URL (relative URL without a base)",
        "auth.oidc.clientId: must not be empty",
        "auth.oidc.clientSecret: must not be empty",
    ];
    oidc_scopes_may_be_empty_or_hold_empty_strings: MINIMAL, [
        Set("auth.oidc", "{authority: 'https://idp', clientId: web, clientSecret: s, scopes: ['', openid]}"),
    ] => [];
    a_secret_of_the_wrong_type_is_not_quoted: MINIMAL, [
        Set("auth.oidc", "{authority: 'https://idp', clientId: web, clientSecret: 84733921}"),
        Set("daml.unsafeJwtSecret", "[91827364]"),
    ] => [
        "auth.oidc.clientSecret: expected a string, got a number",
        "daml.unsafeJwtSecret: expected a string, got a list",
    ];
}

#[test]
fn the_issuer_defaults_to_the_public_url_verbatim() {
    let config = loaded(
        BUILTIN,
        &[
            Remove("auth.builtin"),
            Set("auth.builtin", "{}"),
            Set("platform.authPublicUrl", "https://auth.example.com/"),
        ],
    );
    let AuthMode::Builtin(builtin) = &config.auth.mode else {
        panic!()
    };
    assert_eq!(builtin.issuer, "https://auth.example.com/");
    let config = loaded(BUILTIN, &[Set("auth.builtin.issuer", "''")]);
    assert_eq!(
        config.auth.builtin().unwrap().issuer,
        "http://localhost:3002"
    );
    let config = loaded(
        BUILTIN,
        &[Set("auth.builtin.issuer", "https://issuer.example.com")],
    );
    assert_eq!(
        config.auth.builtin().unwrap().issuer,
        "https://issuer.example.com"
    );
}

#[test]
fn oidc_scopes_default_to_openid_profile_email() {
    let config = loaded(
        MINIMAL,
        &[Set(
            "auth.oidc",
            "{authority: 'https://idp', clientId: web, clientSecret: s}",
        )],
    );
    assert_eq!(
        config.auth.oidc.unwrap().scopes,
        ["openid", "profile", "email"]
    );
}
