use super::*;

fn hash(secret: &str) -> BcryptHash {
    crate::secret_hash::hash_secret(secret.as_bytes(), 4).unwrap()
}

fn cache(max_entries: usize, max_age: Duration) -> CredentialCache {
    CredentialCache::new(max_entries, max_age).unwrap()
}

#[tokio::test(start_paused = true)]
async fn a_remembered_credential_is_recognised_only_with_its_id_secret_and_a_current_hash() {
    let cache = cache(16, DEFAULT_MAX_AGE);
    let (old, new) = (hash("s3cret"), hash("next"));
    let now = Instant::now();
    assert!(!cache.verified("scheduler", b"s3cret", std::slice::from_ref(&old), 1, now));
    cache.remember("scheduler", b"s3cret", &old, now);
    assert!(cache.verified("scheduler", b"s3cret", &[new.clone(), old.clone()], 1, now));
    assert!(!cache.verified("scheduler", b"s3creT", std::slice::from_ref(&old), 1, now));
    assert!(!cache.verified(
        "mark-publisher",
        b"s3cret",
        std::slice::from_ref(&old),
        1,
        now
    ));
    assert!(
        !cache.verified("scheduler", b"s3cret", &[new], 1, now),
        "a hash no longer in force is never consulted"
    );
    assert!(!cache.verified("scheduler", b"s3cret", &[], 1, now));
}

#[test]
fn the_encoding_is_unambiguous() {
    let cache = cache(16, DEFAULT_MAX_AGE);
    assert_ne!(
        cache.digest("ab", b"c", b"h"),
        cache.digest("a", b"bc", b"h")
    );
    assert_ne!(
        cache.digest("a", b"b", b"ch"),
        cache.digest("a", b"bc", b"h")
    );
}

#[tokio::test(start_paused = true)]
async fn entries_expire_after_the_maximum_age_from_verification() {
    let cache = cache(16, Duration::from_secs(60));
    let hash = hash("s3cret");
    cache.remember("scheduler", b"s3cret", &hash, Instant::now());
    tokio::time::advance(Duration::from_secs(59)).await;
    assert!(cache.verified(
        "scheduler",
        b"s3cret",
        std::slice::from_ref(&hash),
        1,
        Instant::now()
    ));
    tokio::time::advance(Duration::from_secs(1)).await;
    assert!(!cache.verified("scheduler", b"s3cret", &[hash], 1, Instant::now()));
    assert_eq!(
        cache.len(),
        0,
        "an expired entry found by a lookup is dropped"
    );
}

#[tokio::test(start_paused = true)]
async fn a_full_cache_drops_expired_entries_first_then_the_oldest() {
    let cache = cache(3, Duration::from_secs(60));
    let hash = hash("s3cret");
    let start = Instant::now();
    cache.remember("a", b"1", &hash, start);
    tokio::time::advance(Duration::from_secs(30)).await;
    cache.remember("b", b"2", &hash, Instant::now());
    tokio::time::advance(Duration::from_secs(1)).await;
    cache.remember("c", b"3", &hash, Instant::now());
    tokio::time::advance(Duration::from_secs(30)).await;
    // `a` has expired: it goes, the others stay.
    cache.remember("d", b"4", &hash, Instant::now());
    assert_eq!(cache.len(), 3);
    let now = Instant::now();
    let found =
        |id: &str, secret: &[u8]| cache.verified(id, secret, std::slice::from_ref(&hash), 1, now);
    assert!(found("b", b"2") && found("c", b"3") && found("d", b"4"));
    // Nothing has expired: the oldest (`b`) goes.
    cache.remember("e", b"5", &hash, now);
    assert_eq!(cache.len(), 3);
    assert!(!found("b", b"2"));
    assert!(found("c", b"3") && found("d", b"4") && found("e", b"5"));
    for i in 0..100 {
        cache.remember(&format!("id-{i}"), b"x", &hash, now);
    }
    assert_eq!(cache.len(), 3);
}

#[tokio::test(start_paused = true)]
async fn zero_size_or_age_disables_the_cache() {
    let hash = hash("s3cret");
    for cache in [cache(0, DEFAULT_MAX_AGE), cache(16, Duration::ZERO)] {
        cache.remember("scheduler", b"s3cret", &hash, Instant::now());
        assert!(!cache.verified(
            "scheduler",
            b"s3cret",
            std::slice::from_ref(&hash),
            1,
            Instant::now()
        ));
        assert_eq!(cache.len(), 0);
    }
}

#[tokio::test(start_paused = true)]
async fn forgetting_accounts_drops_only_their_entries() {
    let cache = cache(16, DEFAULT_MAX_AGE);
    let hash = hash("s3cret");
    let now = Instant::now();
    cache.remember("scheduler", b"s3cret", &hash, now);
    cache.remember("scheduler", b"other", &hash, now);
    cache.remember("mark-publisher", b"s3cret", &hash, now);
    assert_eq!(cache.forget_accounts(&["scheduler".to_owned()]), 2);
    assert!(!cache.verified("scheduler", b"s3cret", std::slice::from_ref(&hash), 1, now));
    assert!(cache.verified("mark-publisher", b"s3cret", &[hash], 1, now));
}

#[tokio::test(start_paused = true)]
async fn debug_shows_no_key_secret_or_digest() {
    let cache = cache(16, DEFAULT_MAX_AGE);
    let hash = hash("s3cret-value");
    cache.remember("scheduler", b"s3cret-value", &hash, Instant::now());
    let digest = cache.digest("scheduler", b"s3cret-value", hash.as_bytes());
    let shown = format!("{cache:?}");
    assert!(shown.contains("entries: 1"), "{shown}");
    assert!(!shown.contains("s3cret"), "{shown}");
    assert!(!shown.contains("scheduler"), "{shown}");
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    assert!(!shown.to_lowercase().contains(&hex[..8]), "{shown}");
    assert!(!shown.contains(&format!("{:?}", &digest[..4])), "{shown}");
}
