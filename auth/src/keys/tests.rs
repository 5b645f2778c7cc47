use std::os::unix::fs::PermissionsExt;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::signature::{RSA_PKCS1_2048_8192_SHA256, RsaSubjectPublicKey, UnparsedPublicKey};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::*;

fn kid_file(dir: &Path) -> String {
    std::fs::read_to_string(dir.join(KID_FILE))
        .unwrap()
        .trim()
        .to_owned()
}

#[test]
fn creates_the_deployment_layout_once_and_reloads_it_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let keys_dir = dir.path().join("keys");
    let (created, origin) = load_or_create(&keys_dir).unwrap();
    assert_eq!(origin, KeyOrigin::Created);
    let mode = std::fs::metadata(keys_dir.join(PRIVATE_KEY_FILE))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    assert!(
        std::fs::read_to_string(keys_dir.join(PRIVATE_KEY_FILE))
            .unwrap()
            .starts_with("-----BEGIN PRIVATE KEY-----")
    );
    assert!(
        std::fs::read_to_string(keys_dir.join(PUBLIC_KEY_FILE))
            .unwrap()
            .starts_with("-----BEGIN PUBLIC KEY-----")
    );
    assert_eq!(kid_file(&keys_dir), created.active().kid());
    let (loaded, origin) = load_or_create(&keys_dir).unwrap();
    assert_eq!(origin, KeyOrigin::Loaded);
    assert_eq!(loaded.published(), created.published());
    // No temporary file is left behind.
    let names: Vec<String> = std::fs::read_dir(&keys_dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|name| !name.contains(".tmp")), "{names:?}");
}

#[test]
fn the_kid_is_the_rfc_7638_thumbprint() {
    // RFC 7638 §3.1's example key and thumbprint.
    let n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
    let e = "AQAB";
    let decode = |text: &str| URL_SAFE_NO_PAD.decode(text).unwrap();
    let public = aws_lc_rs::rsa::PublicKeyComponents {
        n: decode(n),
        e: decode(e),
    };
    let der = public.as_der().unwrap();
    let key = RsaSubjectPublicKey::from_der(der.as_ref()).unwrap();
    assert_eq!(
        thumbprint(&key),
        "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
    );
}

#[test]
fn signatures_verify_with_the_published_key() {
    let dir = tempfile::tempdir().unwrap();
    let (keys, _) = load_or_create(dir.path()).unwrap();
    let token = keys.active().sign_jwt(br#"{"sub":"x"}"#).unwrap();
    let (signing_input, signature) = token.rsplit_once('.').unwrap();
    let header: serde_json::Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(signing_input.split('.').next().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        header,
        serde_json::json!({ "alg": "RS256", "kid": keys.active().kid(), "typ": "JWT" })
    );
    let public_der = std::fs::read_to_string(dir.path().join(PUBLIC_KEY_FILE)).unwrap();
    let (_, spki) = pem::decode(&public_der).unwrap();
    let public = RsaSubjectPublicKey::from_der(&spki).unwrap();
    let pkcs1 = public.as_ref().to_vec();
    UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, pkcs1)
        .verify(
            signing_input.as_bytes(),
            &URL_SAFE_NO_PAD.decode(signature).unwrap(),
        )
        .unwrap();
}

#[test]
fn an_immediate_rotation_keeps_the_previous_key_published_until_retired() {
    let dir = tempfile::tempdir().unwrap();
    let keys = KeyDirectory::new(dir.path());
    let (first, _) = keys.load_or_create().unwrap();
    let first_kid = first.active().kid().to_owned();
    let rotation = keys.rotate(Activation::Now).unwrap();
    assert_eq!(rotation.previous.as_deref(), Some(first_kid.as_str()));
    let after = keys.load().unwrap();
    assert_eq!(after.active().kid(), rotation.kid);
    assert_eq!(kid_file(dir.path()), rotation.kid);
    assert!(!dir.path().join(NEXT_KEY_FILE).exists());
    assert_eq!(
        after.published_kids(),
        [rotation.kid.clone(), first_kid.clone()]
    );
    assert_eq!(after.published()[1], first.published()[0]);

    let refused = keys
        .retire(&rotation.kid, RetireCheck::Now)
        .unwrap_err()
        .to_string();
    assert!(refused.contains("is the active key"), "{refused}");
    let unknown = keys
        .retire("nope", RetireCheck::Now)
        .unwrap_err()
        .to_string();
    assert!(unknown.contains("no published key"), "{unknown}");
    assert!(
        keys.retire("../private", RetireCheck::Now)
            .unwrap_err()
            .to_string()
            .contains("not a key id")
    );

    keys.retire(&first_kid, RetireCheck::Now).unwrap();
    assert_eq!(keys.load().unwrap().published_kids(), [rotation.kid]);
    assert!(
        !dir.path()
            .join(PUBLISHED_DIR)
            .join(format!("{first_kid}.pem"))
            .exists()
    );
}

#[test]
fn existing_keys_with_a_legacy_kid_load_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    load_or_create(dir.path()).unwrap();
    std::fs::write(dir.path().join(KID_FILE), "irsforge-2024-key\n").unwrap();
    let (keys, origin) = load_or_create(dir.path()).unwrap();
    assert_eq!(origin, KeyOrigin::Loaded);
    assert_eq!(keys.active().kid(), "irsforge-2024-key");
}

#[test]
fn pkcs1_private_keys_are_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let (created, _) = load_or_create(dir.path()).unwrap();
    let pkcs8 = std::fs::read_to_string(dir.path().join(PRIVATE_KEY_FILE)).unwrap();
    let (_, der) = pem::decode(&pkcs8).unwrap();
    // PKCS#8 wraps the PKCS#1 RSAPrivateKey in an OCTET STRING after a fixed 26-byte prefix
    // for 2048-bit keys; unwrap it to get a PKCS#1 file like `openssl genrsa` writes.
    let pkcs1 = &der[26..];
    std::fs::write(
        dir.path().join(PRIVATE_KEY_FILE),
        pem::encode("RSA PRIVATE KEY", pkcs1),
    )
    .unwrap();
    let (loaded, origin) = load_or_create(dir.path()).unwrap();
    assert_eq!(origin, KeyOrigin::Loaded);
    assert_eq!(loaded.active().kid(), created.active().kid());
}

#[test]
fn a_missing_or_mismatched_public_key_is_repaired_from_the_private_key() {
    let dir = tempfile::tempdir().unwrap();
    let (created, _) = load_or_create(dir.path()).unwrap();
    std::fs::remove_file(dir.path().join(PUBLIC_KEY_FILE)).unwrap();
    std::fs::write(dir.path().join(KID_FILE), "stale").unwrap();
    assert!(
        load_existing(dir.path())
            .unwrap_err()
            .to_string()
            .contains("does not match")
    );
    let (repaired, origin) = load_or_create(dir.path()).unwrap();
    assert_eq!(origin, KeyOrigin::Repaired);
    assert_eq!(repaired.published(), created.published());
    assert_eq!(kid_file(dir.path()), created.active().kid());
}

/// Writes a private key file as an operator would: readable by its owner only.
fn write_private(path: &Path, contents: impl AsRef<[u8]>) {
    std::fs::write(path, contents).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

#[test]
fn unusable_key_files_are_refused_with_the_file_named() {
    let dir = tempfile::tempdir().unwrap();
    write_private(
        &dir.path().join(PRIVATE_KEY_FILE),
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    );
    let error = load_or_create(dir.path()).unwrap_err().to_string();
    assert!(
        error.contains("private.pem") && error.contains("found CERTIFICATE"),
        "{error}"
    );
    std::fs::write(
        dir.path().join(PRIVATE_KEY_FILE),
        pem::encode("PRIVATE KEY", b"junk"),
    )
    .unwrap();
    let error = load_or_create(dir.path()).unwrap_err().to_string();
    assert!(error.contains("not a usable RSA private key"), "{error}");
}

#[test]
fn concurrent_creation_on_an_empty_directory_ends_with_one_key_set() {
    let dir = tempfile::tempdir().unwrap();
    let keys_dir = dir.path().join("keys");
    let barrier = std::sync::Barrier::new(4);
    let kids: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                scope.spawn(|| {
                    barrier.wait();
                    load_or_create(&keys_dir)
                        .unwrap()
                        .0
                        .active()
                        .kid()
                        .to_owned()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().unwrap())
            .collect()
    });
    assert!(kids.iter().all(|kid| *kid == kids[0]), "{kids:?}");
    assert_eq!(kid_file(&keys_dir), kids[0]);
    assert_eq!(load_existing(&keys_dir).unwrap().published().len(), 1);
}

#[test]
fn a_private_key_open_to_group_or_others_is_refused_at_start_up_and_on_reload() {
    let dir = tempfile::tempdir().unwrap();
    load_or_create(dir.path()).unwrap();
    let private = dir.path().join(PRIVATE_KEY_FILE);
    std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o644)).unwrap();
    for error in [
        load_or_create(dir.path()).unwrap_err().to_string(),
        load_existing(dir.path()).unwrap_err().to_string(),
    ] {
        assert_eq!(
            error,
            format!(
                "{}: mode 0644 lets group or others read the private key; run `chmod 600 {}`",
                private.display(),
                private.display()
            )
        );
    }
    // Nothing was rewritten: the file and its mode are the operator's to fix.
    let mode = std::fs::metadata(&private).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o644);
}

#[test]
fn a_directory_of_links_loads_as_a_mounted_secret_does() {
    // A Kubernetes Secret volume: every name is a link into a `..data` directory.
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("..data");
    let (created, _) = load_or_create(&data).unwrap();
    let keys_dir = dir.path().join("keys");
    std::fs::create_dir(&keys_dir).unwrap();
    for file in [PRIVATE_KEY_FILE, PUBLIC_KEY_FILE, KID_FILE] {
        std::os::unix::fs::symlink(data.join(file), keys_dir.join(file)).unwrap();
    }
    let (loaded, origin) = load_or_create(&keys_dir).unwrap();
    assert_eq!(origin, KeyOrigin::Loaded);
    assert_eq!(loaded.published(), created.published());
    assert!(
        keys_dir
            .join(PRIVATE_KEY_FILE)
            .symlink_metadata()
            .unwrap()
            .is_symlink()
    );
}

#[test]
fn the_published_directory_is_bounded_without_a_manifest() {
    let dir = tempfile::tempdir().unwrap();
    load_or_create(dir.path()).unwrap();
    let public = std::fs::read_to_string(dir.path().join(PUBLIC_KEY_FILE)).unwrap();
    let published = dir.path().join(PUBLISHED_DIR);
    std::fs::create_dir(&published).unwrap();
    // The same public key under other kids: the bound is on the count, not the keys.
    for i in 0..MAX_PUBLISHED_KEYS - 1 {
        std::fs::write(published.join(format!("k{i:02}.pem")), &public).unwrap();
    }
    assert_eq!(
        load_existing(dir.path()).unwrap().published().len(),
        MAX_PUBLISHED_KEYS
    );
    std::fs::write(published.join("k99.pem"), &public).unwrap();
    let error = load_existing(dir.path()).unwrap_err().to_string();
    assert!(error.contains("more than 32 keys"), "{error}");
    for i in 0..MAX_PUBLISHED_KEYS {
        std::fs::remove_file(published.join(format!("k{i:02}.pem"))).ok();
    }
    for i in 0..read::MAX_LISTING + 1 {
        std::fs::write(published.join(format!(".junk{i}")), "").unwrap();
    }
    let error = load_existing(dir.path()).unwrap_err().to_string();
    assert!(error.contains("more than 256 entries"), "{error}");
}
