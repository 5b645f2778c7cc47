use serde_json::json;

use super::*;

const ENDPOINT: &str = "http://ledger.test/v1/exercise";

fn read(status: u16, body: serde_json::Value) -> Result<Value, LedgerError> {
    read_envelope(ENDPOINT, status, body.to_string().as_bytes())
}

#[test]
fn a_success_envelope_yields_its_result() {
    let result = read(200, json!({"status": 200, "result": [1, 2]})).unwrap();
    assert_eq!(result, json!([1, 2]));
}

#[test]
fn failures_are_classified_by_status_and_code() {
    let not_found = json!({
        "status": 404,
        "errors": ["NOT_FOUND: CONTRACT_NOT_FOUND(11,3f2a9c1e): Contract could not be found with id 00d1"],
        "ledgerApiError": {"code": 5, "details": [{"type": "ErrorInfoDetail", "errorCodeId": "CONTRACT_NOT_FOUND"}]}
    });
    assert!(matches!(
        read(404, not_found),
        Err(LedgerError::ContractNotFound { .. })
    ));
    let unknown_path =
        json!({"status": 404, "errors": ["HttpMethod(POST), uri: http://x/v1/nope"]});
    assert!(matches!(
        read(404, unknown_path),
        Err(LedgerError::Rejected { status: 404, .. })
    ));
    let unauthorized = json!({"status": 401, "errors": ["missing Authorization header with OAuth 2.0 Bearer Token"]});
    assert!(matches!(
        read(401, unauthorized),
        Err(LedgerError::Unauthorized { status: 401, .. })
    ));
    let forbidden = json!({"status": 403, "errors": ["PERMISSION_DENIED: An error occurred."]});
    assert!(matches!(
        read(403, forbidden),
        Err(LedgerError::Unauthorized { status: 403, .. })
    ));
    let unauthenticated = json!({"status": 500, "errors": ["UNAUTHENTICATED: An error occurred."]});
    assert!(matches!(
        read(500, unauthenticated),
        Err(LedgerError::Unauthorized { status: 500, .. })
    ));
    let bad_request =
        json!({"status": 400, "errors": ["DAML_AUTHORIZATION_ERROR(8,1): requires authorizers"]});
    let error = read(400, bad_request).unwrap_err();
    assert_eq!(
        error.to_string(),
        "http://ledger.test/v1/exercise: the ledger refused the request (HTTP 400): \
         DAML_AUTHORIZATION_ERROR(8,1): requires authorizers"
    );
    let unavailable = json!({"status": 503, "errors": ["UNAVAILABLE: participant down"]});
    let error = read(503, unavailable).unwrap_err();
    assert!(matches!(error, LedgerError::Server { status: 503, .. }));
    assert!(error.is_transient());
}

#[test]
fn an_error_envelope_inside_a_200_is_an_error() {
    let quirk =
        json!({"status": 500, "errors": ["Endpoints.ParticipantServerError: PERMISSION_DENIED"]});
    assert!(matches!(
        read(200, quirk),
        Err(LedgerError::Server { status: 500, .. })
    ));
}

#[test]
fn bodies_that_are_not_envelopes_are_reported() {
    let error = read_envelope::<Value>(ENDPOINT, 200, b"<html>").unwrap_err();
    assert!(
        matches!(error, LedgerError::Malformed { status: 200, .. }),
        "{error:?}"
    );
    let error = read_envelope::<Value>(ENDPOINT, 502, b"Bad Gateway").unwrap_err();
    assert!(
        matches!(error, LedgerError::Server { status: 502, .. }),
        "{error:?}"
    );
    let error = read(200, json!({"status": 200})).unwrap_err();
    assert!(error.to_string().contains("no `result`"), "{error}");
    let error =
        read_envelope::<Vec<Contract>>(ENDPOINT, 200, br#"{"status":200,"result":{"x":1}}"#)
            .unwrap_err();
    assert!(error.to_string().contains("unexpected `result`"), "{error}");
}

#[test]
fn exercise_results_decode_events_in_order() {
    let result: ExerciseResult = serde_json::from_value(json!({
        "exerciseResult": "00b7",
        "events": [
            {"archived": {"contractId": "00a4", "templateId": "p:M:T"}},
            {"created": {"contractId": "00b7", "templateId": "p:M:T", "payload": {"a": "1"},
                          "signatories": ["A::1220"], "observers": [], "agreementText": ""}}
        ],
        "completionOffset": "13"
    }))
    .unwrap();
    assert!(
        matches!(&result.events[0], LedgerEvent::Archived(archived) if archived.contract_id == "00a4")
    );
    assert!(
        matches!(&result.events[1], LedgerEvent::Created(created) if created.contract_id == "00b7")
    );
}

#[test]
fn requests_serialise_with_wire_names_and_omit_unset_fields() {
    let request = QueryRequest::templates(["p:M:T"]);
    assert_eq!(
        serde_json::to_value(&request).unwrap(),
        json!({"templateIds": ["p:M:T"]})
    );
    let request = ExerciseRequest {
        template_id: "p:M:T".into(),
        contract_id: "00a4".into(),
        choice: "Go".into(),
        argument: json!({}),
        meta: Some(CommandMeta {
            act_as: Some(vec!["A::1220".into()]),
            ..CommandMeta::default()
        }),
    };
    assert_eq!(
        serde_json::to_value(&request).unwrap(),
        json!({"templateId": "p:M:T", "contractId": "00a4", "choice": "Go", "argument": {},
               "meta": {"actAs": ["A::1220"]}})
    );
}

/// An active contract `00abc` of `template_id`, for the tests of the modules that read them.
pub(crate) fn contract(template_id: &str, payload: Value) -> Contract {
    Contract {
        contract_id: "00abc".into(),
        template_id: template_id.into(),
        payload,
        signatories: vec![],
        observers: vec![],
        agreement_text: None,
        key: None,
        completion_offset: None,
    }
}

#[test]
fn a_contract_matches_its_template_in_either_id_form_with_a_package() {
    for id in ["1b4dd4:IRSForge.Csa:Csa", "#irsforge:IRSForge.Csa:Csa"] {
        assert!(
            contract(id, json!({})).is_instance_of("IRSForge.Csa:Csa"),
            "{id}"
        );
    }
    // Answers always name the package; a lookalike entity or module is another template.
    for id in [
        "IRSForge.Csa:Csa",
        "1b4dd4:XIRSForge.Csa:Csa",
        "1b4dd4:IRSForge.Swap:Swap",
    ] {
        assert!(
            !contract(id, json!({})).is_instance_of("IRSForge.Csa:Csa"),
            "{id}"
        );
    }
}

#[test]
fn payload_fields_become_log_text() {
    let mark = contract(
        "p:IRSForge.Mark:MarkToMarket",
        json!({"asOf": "2026-01-05T09:00:00Z", "periodIndex": 3, "lastMarkCid": null}),
    );
    assert_eq!(mark.field_text("asOf"), "2026-01-05T09:00:00Z");
    assert_eq!(mark.field_text("periodIndex"), "3");
    assert_eq!(mark.field_text("lastMarkCid"), "");
    assert_eq!(mark.field_text("missing"), "");
}

#[test]
fn an_exercise_result_lists_what_it_created() {
    let result = ExerciseResult {
        exercise_result: json!({"swap": "00s2", "effects": ["00e1", "00e2"]}),
        events: vec![
            LedgerEvent::Archived(ArchivedEvent {
                contract_id: "00s1".into(),
                template_id: "p:IRSForge.Swap:Swap".into(),
            }),
            LedgerEvent::Created(contract("p:IRSForge.Lifecycle:LifecycleEffect", json!({}))),
            LedgerEvent::Created(contract("p:IRSForge.Swap:Swap", json!({}))),
        ],
        completion_offset: None,
    };
    assert_eq!(result.created("IRSForge.Swap:Swap").count(), 1);
    assert_eq!(
        result.created("IRSForge.Lifecycle:LifecycleEffect").count(),
        1
    );
    assert_eq!(result.created("IRSForge.Csa:Csa").count(), 0);
    assert_eq!(result.result_ids("effects"), ["00e1", "00e2"]);
    assert_eq!(result.result_ids("swap"), ["00s2"]);
    assert!(result.result_ids("matured").is_empty());
}
