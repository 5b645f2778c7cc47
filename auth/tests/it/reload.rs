//! Secret rotation without downtime: several hashes per account, and reloading
//! service-accounts.yaml while serving; a bad new file keeps the old registry.

use crate::support::*;

#[tokio::test]
async fn a_good_new_file_takes_effect_and_both_hashes_of_an_account_work() {
    let fixture = Fixture::new();
    let server = TestServer::start(fixture.options()).await;
    let new_secret = "scheduler-secret-next";
    fixture.write_registry(&registry_yaml(&[
        (MARK_PUBLISHER, &[MARK_PUBLISHER_SECRET]),
        (SCHEDULER, &[SCHEDULER_SECRET, new_secret]),
    ]));
    assert_eq!(server.post_token(SCHEDULER, new_secret).await.status(), 401);
    let outcome = server.reload.reload().await.unwrap();
    assert_eq!(outcome.registry, Ok(2));
    server.token(SCHEDULER, SCHEDULER_SECRET).await;
    server.token(SCHEDULER, new_secret).await;

    // Finish the rotation: drop the old hash.
    fixture.write_registry(&registry_yaml(&[
        (MARK_PUBLISHER, &[MARK_PUBLISHER_SECRET]),
        (SCHEDULER, &[new_secret]),
    ]));
    server.reload.reload().await.unwrap().registry.unwrap();
    assert_eq!(
        server
            .post_token(SCHEDULER, SCHEDULER_SECRET)
            .await
            .status(),
        401
    );
    server.token(SCHEDULER, new_secret).await;
    server.stop().await;
}

#[tokio::test]
async fn a_bad_new_file_is_refused_and_the_old_registry_stays() {
    let fixture = Fixture::new();
    let server = TestServer::start(fixture.options()).await;
    let placeholder = include_str!("../../../examples/service-accounts.example.yaml");
    let mismatched = registry_yaml(&[
        (MARK_PUBLISHER, &["x"]),
        (SCHEDULER, &["y"]),
        ("stray", &["z"]),
    ]);
    let cases = [
        (placeholder.to_owned(), "clientSecretHash"),
        (mismatched, "`stray` has an entry"),
        ("accounts: [".to_owned(), "service-accounts.yaml"),
    ];
    for (text, expected) in cases {
        fixture.write_registry(&text);
        let reason = server.reload.reload().await.unwrap().registry.unwrap_err();
        assert!(reason.contains(expected), "{reason}");
        server.token(SCHEDULER, SCHEDULER_SECRET).await;
        server.token(MARK_PUBLISHER, MARK_PUBLISHER_SECRET).await;
    }
    std::fs::remove_file(&fixture.registry_path).unwrap();
    assert!(server.reload.reload().await.unwrap().registry.is_err());
    server.token(SCHEDULER, SCHEDULER_SECRET).await;
    server.stop().await;
}
