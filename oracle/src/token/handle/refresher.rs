//! The background task of a [`super::TokenHandle`]; a child of the handle's module, so it works
//! on the handle's private [`FetchingSource`] without the crate seeing it.
//!
//! For each token it holds: sleep until 80 % of the token's life and refresh; on a transient
//! failure sleep until 90 % and retry once; then give up on that token (keep handing it out
//! until its usable end, never after). From the usable end on, recover: attempt whenever the
//! shared backoff gate allows, until a token is held again. `invalid_client` is fatal for the
//! token being refreshed: no 90 % retry, straight to waiting for its end, and the recovery
//! waits the invalid-client cooldown.
//!
//! Every wait selects on cancellation and on a new token appearing (a caller of `get_token`
//! may recover first), and every attempt goes through the handle's request lock and backoff
//! gate, so this task can never send requests in a tight loop.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

use super::{FetchPurpose, FetchingSource, Held};
use crate::error::{FailureReason, TokenError};

/// The handle was stopped.
struct Stopped;

enum RefreshOutcome {
    /// A new token is held.
    Done,
    /// Another attempt got a newer token first.
    Superseded,
    /// The attempt failed, with the server's `Retry-After` if it sent one.
    Failed(FailureReason, Option<Duration>),
}

pub(super) async fn run(shared: Arc<FetchingSource>) {
    let mut generations = shared.generation.subscribe();
    loop {
        let cycle = match shared.current() {
            Some(held) => refresh_cycle(&shared, &mut generations, held).await,
            None => recover(&shared, &mut generations).await,
        };
        if cycle.is_err() {
            return;
        }
    }
}

async fn refresh_cycle(
    shared: &FetchingSource,
    generations: &mut watch::Receiver<u64>,
    held: Held,
) -> Result<(), Stopped> {
    let policy = &shared.policy;
    // The spacing floor also bounds a fetcher that hands out absurdly short lifetimes.
    let refresh_at = policy
        .refresh_at(held.obtained, held.lifetime)
        .max(shared.spacing_floor().unwrap_or_else(Instant::now));
    if !wait_until(shared, generations, held.generation, refresh_at).await? {
        return Ok(());
    }
    match attempt_if_current(shared, &held, FetchPurpose::Refresh(1)).await? {
        RefreshOutcome::Done | RefreshOutcome::Superseded => return Ok(()),
        // Fatal for this token: the same credentials will not work at 90 % either.
        RefreshOutcome::Failed(FailureReason::InvalidClient, _) => {}
        RefreshOutcome::Failed(_, retry_after) => {
            // A Retry-After reaching the usable end drops the retry; recovery honours it.
            let ended = shared.last_attempt_ended().unwrap_or_else(Instant::now);
            if let Some(retry_at) =
                policy.refresh_retry_at(held.obtained, held.lifetime, ended, retry_after)
            {
                if !wait_until(shared, generations, held.generation, retry_at).await? {
                    return Ok(());
                }
                match attempt_if_current(shared, &held, FetchPurpose::Refresh(2)).await? {
                    RefreshOutcome::Done | RefreshOutcome::Superseded => return Ok(()),
                    RefreshOutcome::Failed(..) => {}
                }
            }
        }
    }
    // Given up on refreshing: the held token is still handed out until its usable end.
    let usable_until = held.usable_until(policy);
    if !wait_until(shared, generations, held.generation, usable_until).await? {
        return Ok(());
    }
    recover(shared, generations).await
}

/// Attempts until a usable token is held, as often as the backoff gate allows.
async fn recover(
    shared: &FetchingSource,
    generations: &mut watch::Receiver<u64>,
) -> Result<(), Stopped> {
    loop {
        let now = Instant::now();
        if shared.usable(now).is_some() {
            return Ok(());
        }
        if let Some(allowed) = shared.gate(now) {
            let generation = *shared.generation.borrow();
            wait_until(shared, generations, generation, allowed).await?;
            continue;
        }
        let _guard = lock(shared).await?;
        let now = Instant::now();
        if shared.usable(now).is_some() {
            return Ok(());
        }
        if shared.gate(now).is_some() {
            continue;
        }
        match shared.attempt(FetchPurpose::Recovery).await {
            Ok(_) => return Ok(()),
            Err(TokenError::Stopped) => return Err(Stopped),
            Err(_) => {}
        }
    }
}

async fn attempt_if_current(
    shared: &FetchingSource,
    held: &Held,
    purpose: FetchPurpose,
) -> Result<RefreshOutcome, Stopped> {
    let _guard = lock(shared).await?;
    if *shared.generation.borrow() != held.generation {
        return Ok(RefreshOutcome::Superseded);
    }
    match shared.attempt(purpose).await {
        Ok(_) => Ok(RefreshOutcome::Done),
        Err(TokenError::Stopped) => Err(Stopped),
        Err(error) => Ok(RefreshOutcome::Failed(error.reason(), error.retry_after())),
    }
}

async fn lock(shared: &FetchingSource) -> Result<tokio::sync::MutexGuard<'_, ()>, Stopped> {
    tokio::select! {
        biased;
        () = shared.cancel.cancelled() => Err(Stopped),
        guard = shared.attempt_lock.lock() => Ok(guard),
    }
}

/// Sleeps until `deadline`: `Ok(true)` when reached, `Ok(false)` when a token newer than
/// `generation` appeared first.
async fn wait_until(
    shared: &FetchingSource,
    generations: &mut watch::Receiver<u64>,
    generation: u64,
    deadline: Instant,
) -> Result<bool, Stopped> {
    tokio::select! {
        biased;
        () = shared.cancel.cancelled() => Err(Stopped),
        changed = generations.wait_for(|current| *current != generation) => {
            changed.map(|_| false).map_err(|_| Stopped)
        }
        () = tokio::time::sleep_until(deadline) => Ok(true),
    }
}
