//! Key rotation: tokens of the previous and the new key both verify against the served JWKS
//! until the previous key is retired.

use auth::keys::{Activation, KeyDirectory, RetireCheck};

use crate::support::*;

fn kids(jwks: &jsonwebtoken::jwk::JwkSet) -> Vec<String> {
    jwks.keys
        .iter()
        .map(|jwk| jwk.common.key_id.clone().unwrap())
        .collect()
}

#[tokio::test]
async fn old_and_new_kids_verify_until_the_old_one_is_retired() {
    let fixture = Fixture::new();
    let server = TestServer::start(fixture.options()).await;
    let old_token = server.token(SCHEDULER, SCHEDULER_SECRET).await;
    let old_kid = jsonwebtoken::decode_header(&old_token)
        .unwrap()
        .kid
        .unwrap();

    let rotation = KeyDirectory::new(&fixture.keys_dir)
        .rotate(Activation::Now)
        .unwrap();
    assert_eq!(rotation.previous.as_deref(), Some(old_kid.as_str()));
    let outcome = server.reload.reload().await.unwrap();
    assert_eq!(
        outcome.keys,
        Ok(vec![rotation.kid.clone(), old_kid.clone()])
    );

    let new_token = server.token(SCHEDULER, SCHEDULER_SECRET).await;
    let new_kid = jsonwebtoken::decode_header(&new_token)
        .unwrap()
        .kid
        .unwrap();
    assert_eq!(new_kid, rotation.kid);
    let jwks = server.jwks().await;
    assert_eq!(kids(&jwks), [new_kid.clone(), old_kid.clone()]);
    verify(&old_token, &jwks).unwrap();
    verify(&new_token, &jwks).unwrap();

    let refused = KeyDirectory::new(&fixture.keys_dir)
        .retire(&new_kid, RetireCheck::Now)
        .unwrap_err();
    assert!(refused.to_string().contains("is the active key"));
    KeyDirectory::new(&fixture.keys_dir)
        .retire(&old_kid, RetireCheck::Now)
        .unwrap();
    server.reload.reload().await.unwrap().keys.unwrap();
    let jwks = server.jwks().await;
    assert_eq!(kids(&jwks), [new_kid]);
    assert!(
        verify(&old_token, &jwks)
            .unwrap_err()
            .contains("not in the JWKS")
    );
    verify(&new_token, &jwks).unwrap();
    server.stop().await;
}

#[tokio::test]
async fn a_restart_after_rotation_publishes_both_keys() {
    let fixture = Fixture::new();
    let old_kid = std::fs::read_to_string(fixture.keys_dir.join("kid.txt"))
        .unwrap()
        .trim()
        .to_owned();
    let rotation = KeyDirectory::new(&fixture.keys_dir)
        .rotate(Activation::Now)
        .unwrap();
    let server = TestServer::start(fixture.options()).await;
    assert_eq!(kids(&server.jwks().await), [rotation.kid, old_kid]);
    server.stop().await;
}

#[tokio::test]
async fn a_broken_key_directory_on_reload_keeps_the_keys_in_force() {
    let fixture = Fixture::new();
    let server = TestServer::start(fixture.options()).await;
    let before = kids(&server.jwks().await);
    std::fs::write(fixture.keys_dir.join("private.pem"), "garbage").unwrap();
    let outcome = server.reload.reload().await.unwrap();
    assert!(outcome.keys.unwrap_err().contains("private.pem"));
    assert_eq!(kids(&server.jwks().await), before);
    server.token(SCHEDULER, SCHEDULER_SECRET).await;
    server.stop().await;
}
