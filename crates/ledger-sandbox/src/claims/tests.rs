use serde_json::json;

use super::*;

fn claims(value: Value) -> LedgerApiClaims {
    match classify(&value) {
        Ok(TokenPayload::Claims(claims)) => claims,
        other => panic!("expected custom claims, got {other:?}"),
    }
}

#[test]
fn namespaced_claims_are_read_and_unknown_fields_ignored() {
    let parsed = claims(json!({
        "https://daml.com/ledger-api": {
            "ledgerId": "sandbox", "applicationId": "IRSForge", "actAs": ["A::1220"],
            "readAs": ["B::1220"], "admin": true, "somethingElse": 1
        },
        "exp": 10, "iss": "x"
    }));
    assert_eq!(parsed.ledger_id.as_deref(), Some("sandbox"));
    assert_eq!(parsed.act_as, ["A::1220"]);
    assert_eq!(parsed.read_as, ["B::1220"]);
    assert!(parsed.admin);
}

#[test]
fn legacy_top_level_claims_append_party_to_act_as() {
    let parsed = claims(json!({"ledgerId": "sandbox", "actAs": ["A"], "party": "B"}));
    assert_eq!(parsed.act_as, ["A", "B"]);
    assert_eq!(parsed.ledger_id.as_deref(), Some("sandbox"));
}

#[test]
fn a_payload_with_nothing_recognisable_has_no_rights() {
    assert_eq!(
        claims(json!({"sub": "x", "exp": 1})),
        LedgerApiClaims::default()
    );
    assert_eq!(
        claims(json!({"https://daml.com/ledger-api": null})),
        LedgerApiClaims::default()
    );
}

#[test]
fn user_tokens_are_recognised_in_the_real_order() {
    let audience = json!({"aud": ["x", "https://daml.com/jwt/aud/participant/sandbox::1220"],
                          "sub": "alice", "https://daml.com/ledger-api": {"actAs": ["A"]}});
    assert_eq!(classify(&audience), Ok(TokenPayload::User));
    let scope = json!({"scope": "openid daml_ledger_api", "sub": "alice"});
    assert_eq!(classify(&scope), Ok(TokenPayload::User));
    assert!(classify(&json!({"scope": "daml_ledger_api"})).is_err());
}

#[test]
fn type_errors_make_the_token_invalid() {
    for (payload, fragment) in [
        (
            json!({"https://daml.com/ledger-api": "x"}),
            "is not a JSON object",
        ),
        (
            json!({"https://daml.com/ledger-api": {"actAs": "A"}}),
            "actAs",
        ),
        (
            json!({"https://daml.com/ledger-api": {"actAs": [1]}}),
            "actAs",
        ),
        (
            json!({"https://daml.com/ledger-api": {"admin": "yes"}}),
            "admin",
        ),
        (json!({"scope": "other"}), "unknown scope"),
        (json!({"aud": 5}), "aud"),
        (json!({"party": 5}), "party"),
        (json!([1, 2]), "not a JSON object"),
    ] {
        let error = classify(&payload).unwrap_err();
        assert!(error.contains(fragment), "{payload}: {error}");
    }
}

#[test]
fn json_api_checks_use_the_real_texts() {
    let with = |value: Value| TokenPayload::Claims(claims(value));
    let full = json!({"https://daml.com/ledger-api":
        {"ledgerId": "s", "applicationId": "a", "actAs": ["A"]}});
    assert_eq!(json_api_checks(&with(full), EndpointGroup::Command), Ok(()));
    let cases = [
        (
            json!({"https://daml.com/ledger-api": {"applicationId": "a", "actAs": ["A"]}}),
            EndpointGroup::Command,
            "ledgerId missing in access token",
        ),
        (
            json!({"https://daml.com/ledger-api": {"ledgerId": "s", "actAs": ["A"]}}),
            EndpointGroup::Query,
            "applicationId missing in access token",
        ),
        (
            json!({"https://daml.com/ledger-api": {"ledgerId": "s", "applicationId": "a",
                                                "readAs": ["A"]}}),
            EndpointGroup::Command,
            "Expected one or more parties in actAs but got none",
        ),
        (
            json!({"https://daml.com/ledger-api": {"ledgerId": "s", "applicationId": "a"}}),
            EndpointGroup::Query,
            "No parties in actAs and readAs",
        ),
    ];
    for (payload, group, expected) in cases {
        assert_eq!(
            json_api_checks(&with(payload), group),
            Err(expected.to_owned())
        );
    }
    let read_only = json!({"https://daml.com/ledger-api":
        {"ledgerId": "s", "applicationId": "a", "readAs": ["A"]}});
    assert_eq!(
        json_api_checks(&with(read_only), EndpointGroup::Query),
        Ok(())
    );
    assert!(json_api_checks(&TokenPayload::User, EndpointGroup::Query).is_err());
}
