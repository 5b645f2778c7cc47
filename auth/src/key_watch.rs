//! Keeping a running server's key set in step with its key directory, so several servers on
//! one directory publish the same JWKS and follow a rotation without SIGHUP.
//!
//! [`watch`] reads the directory every `AuthOptions::key_poll_interval` (2 s by default, never
//! more than `keys::MAX_NOTICE`) on a blocking thread, one read at a time. A read whose bytes
//! are those of the last one is not parsed again; a changed directory that parses and
//! cross-checks replaces the key set in force, and one that does not (a file half written by
//! a tool that does not rename, a directory read in the middle of a change) is refused: the
//! set in force stays, the problem is logged once (`keys_reload_failed`), and the next poll
//! reads again. inotify is not used: it sees nothing on NFS, and a Kubernetes Secret update is
//! a swap of a symbolic link above the files. The watcher also wakes at a staged key's
//! activation to log `key_activated`; the switch itself needs no wake-up (see
//! [`crate::keys::KeySet::active`]). SIGHUP goes through [`ServiceState::reload_keys`], which always
//! reads, parses and logs.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::http::HeaderValue;
use service_runtime::clock::Clock;
use service_runtime::report::Chain;
use tokio_util::sync::CancellationToken;

use crate::error::AuthError;
use crate::keys::{Digest, KeyDirectory, KeyOrigin, KeySet, MAX_NOTICE, format_instant};
use crate::state::ServiceState;

/// The longest JWKS `max-age` accepted: a day.
const MAX_JWKS_MAX_AGE: Duration = Duration::from_secs(86_400);
/// The shortest wait for an activation, so a clock standing just before one does not spin.
const MIN_ACTIVATION_WAIT: Duration = Duration::from_millis(100);

/// What the key reloads remember between two runs.
#[derive(Debug)]
pub(crate) struct KeyTracking {
    /// The digest of the last directory read that was parsed (in force, or refused).
    last_digest: Option<Digest>,
    /// The last problem logged, so a lasting one is logged once.
    last_failure: Option<String>,
    /// The kid last reported as signing.
    announced_active: String,
}

impl KeyTracking {
    pub(crate) fn new(active: &KeySet) -> Mutex<Self> {
        Mutex::new(Self {
            last_digest: None,
            last_failure: None,
            announced_active: active.active().kid().to_owned(),
        })
    }
}

/// `Cache-Control` of the JWKS.
pub(crate) fn jwks_cache_control(max_age: Duration) -> HeaderValue {
    HeaderValue::from_str(&format!("public, max-age={}", max_age.as_secs()))
        .unwrap_or(HeaderValue::from_static("public, max-age=300"))
}

/// Start-up: checks the key options, loads the key set (creating or repairing the directory
/// when needed) and logs what it found.
pub(crate) fn load_at_start(
    keys_dir: &std::path::Path,
    clock: &Arc<dyn Clock>,
    jwks_max_age: Duration,
    key_poll_interval: Option<Duration>,
) -> Result<KeySet, AuthError> {
    if jwks_max_age > MAX_JWKS_MAX_AGE {
        return Err(AuthError::Option {
            name: "jwks_max_age",
            reason: format!(
                "{} s is longer than a day; staged rotations wait for it",
                jwks_max_age.as_secs()
            ),
        });
    }
    if let Some(interval) = key_poll_interval
        && (interval.is_zero() || interval > MAX_NOTICE)
    {
        return Err(AuthError::Option {
            name: "key_poll_interval",
            reason: format!(
                "{interval:?} is outside (0, {MAX_NOTICE:?}]: staged rotations count on every server seeing a change within {MAX_NOTICE:?}"
            ),
        });
    }
    let (key_set, origin) = KeyDirectory::new(keys_dir)
        .with_clock(Arc::clone(clock))
        .load_or_create()?;
    let kid = key_set.active().kid();
    let dir = keys_dir.display();
    match origin {
        KeyOrigin::Created => {
            tracing::info!(event = "keys_created", kid = %kid, dir = %dir, "signing key created")
        }
        KeyOrigin::Loaded => {
            let (next_kid, not_before) = pending_fields(&key_set);
            tracing::info!(event = "keys_loaded", kid = %kid, dir = %dir, published = key_set.published().len(), nextKid = next_kid.as_deref(), notBefore = not_before.as_deref(), "signing keys loaded")
        }
        KeyOrigin::Repaired => {
            tracing::warn!(event = "keys_repaired", kid = %kid, dir = %dir, "public.pem and kid.txt rewritten from private.pem")
        }
    }
    Ok(key_set)
}

/// `nextKid` and `notBefore` of a staged key that does not sign yet, for log lines.
fn pending_fields(key_set: &KeySet) -> (Option<String>, Option<String>) {
    match key_set.pending() {
        Some((kid, not_before)) => (Some(kid.to_owned()), Some(format_instant(not_before))),
        None => (None, None),
    }
}

impl ServiceState {
    fn key_directory(&self) -> KeyDirectory {
        KeyDirectory::new(&self.keys_dir).with_clock(Arc::clone(&self.clock))
    }

    fn key_tracking(&self) -> MutexGuard<'_, KeyTracking> {
        self.key_tracking.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn key_set(&self) -> Arc<KeySet> {
        Arc::clone(&*self.keys.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// SIGHUP: reads the directory and swaps the set in, or keeps the set in force and logs
    /// why. Returns the published kids now in force. Blocking file I/O.
    pub(crate) fn reload_keys(&self) -> Result<Vec<String>, String> {
        let directory = self.key_directory();
        let mut tracking = self.key_tracking();
        let loaded = directory.snapshot().and_then(|snapshot| {
            let digest = snapshot.digest();
            directory.parse(snapshot).map(|set| (set, digest))
        });
        match loaded {
            Ok((key_set, digest)) => {
                let kids = key_set.published_kids();
                self.apply(&mut tracking, key_set, digest, true);
                Ok(kids)
            }
            Err(error) => {
                tracing::error!(event = "keys_reload_failed", dir = %self.keys_dir.display(), error = %Chain(&error), "key set refused; the previous one stays in force");
                tracking.last_failure = Some(error.to_string());
                Err(error.to_string())
            }
        }
    }

    /// One poll: when the directory's bytes changed, reads it into a new set or keeps the set
    /// in force (logging a new problem once). Blocking file I/O.
    pub(crate) fn poll_keys(&self) {
        let directory = self.key_directory();
        let snapshot = directory.snapshot();
        let mut tracking = self.key_tracking();
        let result = snapshot.and_then(|snapshot| {
            let digest = snapshot.digest();
            if tracking.last_digest == Some(digest) {
                return Ok(None);
            }
            tracking.last_digest = Some(digest);
            directory.parse(snapshot).map(|set| Some((set, digest)))
        });
        match result {
            Ok(None) => {}
            Ok(Some((key_set, digest))) => self.apply(&mut tracking, key_set, digest, false),
            Err(error) => {
                let text = error.to_string();
                if tracking.last_failure.as_deref() != Some(text.as_str()) {
                    tracing::warn!(event = "keys_reload_failed", dir = %self.keys_dir.display(), error = %Chain(&error), "key directory unusable as it stands; the key set in force stays, and it is read again at the next poll");
                    tracking.last_failure = Some(text);
                }
            }
        }
    }

    /// Swaps `key_set` in and logs what changed; `keys_reloaded` when anything did, or
    /// `always`.
    fn apply(&self, tracking: &mut KeyTracking, key_set: KeySet, digest: Digest, always: bool) {
        let in_force = self.key_set();
        let changed = in_force.schedule() != key_set.schedule();
        let old = in_force.published_kids();
        let new = key_set.published_kids();
        let pending = key_set.pending();
        let pending_kid = pending.map(|(kid, _)| kid.to_owned());
        let not_before = pending.map(|(_, not_before)| format_instant(not_before));
        let active = key_set.active().kid().to_owned();
        // Swapped in before anything is logged: whoever acts on a line finds the set in force.
        *self.keys.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(key_set);
        for kid in new.iter().filter(|kid| !old.contains(kid)) {
            let not_before = not_before
                .as_deref()
                .filter(|_| pending_kid.as_ref() == Some(kid));
            tracing::info!(event = "key_published", kid = %kid, notBefore = not_before, "key published");
        }
        for kid in old.iter().filter(|kid| !new.contains(kid)) {
            tracing::info!(event = "key_retired", kid = %kid, "key no longer published");
        }
        tracking.last_digest = Some(digest);
        tracking.last_failure = None;
        if always || changed || old != new {
            tracing::info!(event = "keys_reloaded", activeKid = %active, published = ?new, nextKid = pending_kid.as_deref(), notBefore = not_before.as_deref(), "key set reloaded");
        }
        announce_activation(tracking, &active);
    }

    /// Logs `key_activated` when the signing key is not the one last reported.
    pub(crate) fn note_activation(&self) {
        let active = self.key_set().active().kid().to_owned();
        announce_activation(&mut self.key_tracking(), &active);
    }

    /// How long until a staged key signs, when one is waiting.
    fn until_activation(&self) -> Option<Duration> {
        let key_set = self.key_set();
        let (_, not_before) = key_set.pending()?;
        let now = self.clock.now();
        let wait = not_before.saturating_mul(1000) - now.timestamp_millis();
        Some(Duration::from_millis(u64::try_from(wait).unwrap_or(0)).max(MIN_ACTIVATION_WAIT))
    }
}

fn announce_activation(tracking: &mut KeyTracking, active: &str) {
    if tracking.announced_active != active {
        tracing::info!(event = "key_activated", kid = %active, previousKid = %tracking.announced_active, "new tokens are signed with this key");
        tracking.announced_active = active.to_owned();
    }
}

/// Polls the key directory every `interval` until cancelled.
pub(crate) async fn watch(
    shared: Arc<ServiceState>,
    interval: Duration,
    cancel: CancellationToken,
) {
    let mut next_poll = tokio::time::Instant::now() + interval;
    loop {
        let wake = match shared.until_activation() {
            Some(wait) => next_poll.min(tokio::time::Instant::now() + wait),
            None => next_poll,
        };
        tokio::select! {
            () = tokio::time::sleep_until(wake) => {}
            () = cancel.cancelled() => return,
        }
        if tokio::time::Instant::now() >= next_poll {
            let polling = Arc::clone(&shared);
            // A poll that panicked changed nothing; the next one tries again.
            let _ = tokio::task::spawn_blocking(move || polling.poll_keys()).await;
            next_poll = tokio::time::Instant::now() + interval;
        }
        shared.note_activation();
    }
}
