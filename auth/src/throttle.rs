//! Throttling of repeated failed attempts, per source address and per (client id, source
//! address) pair (60 and 30 failures a minute by default; 0 turns one off).
//!
//! Each key is a GCRA cell (the algorithm `governor` implements): a failure pushes the key's
//! "theoretical arrival time" one emission interval (`60 s / limit`) into the future, and a key
//! is throttled while that time lies more than `60 s - interval` ahead, so a burst of `limit`
//! failures passes and then one more attempt is allowed per interval. We keep a small
//! hand-written table instead of `governor` because the endpoint must *check* a key before
//! bcrypt and *charge* it only once the attempt has failed; `governor`'s API cannot check a
//! key without consuming a cell, and successes must never count. One `Instant` per key keeps
//! memory small, and each table is capped ([`ThrottleLimits::max_tracked_keys`]): when full,
//! expired cells are dropped first, then the cell closest to expiry.
//!
//! **No lockout by id.** Client ids are not secret, so failures for an id only ever throttle
//! the address that produced them: the second limit is kept per (client id, address) pair, not
//! per id. Someone spraying wrong secrets for an id from one address is throttled there (by
//! both limits), while the real client keeps getting tokens from any other address, including
//! one it never used before. (A per-id limit across addresses would let anyone who knows an id
//! lock its client out of every address it has not recently succeeded from.)
//!
//! **Exemption.** A (client id, address) pair that authenticated successfully within the last
//! [`ThrottleLimits::success_exemption`] is not subject to the per-pair limit (the per-address
//! limit still applies). It matters where many clients share one address (a proxy that is not
//! listed as trusted, a NAT): wrong secrets for an id sent from behind it do not stop the
//! id's real client there.
//!
//! Time comes from `tokio::time::Instant`, so tests drive it with a paused clock.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// The throttle's limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThrottleLimits {
    /// Failed attempts a minute per source address before `429`; 0 disables.
    pub per_address_per_minute: u32,
    /// Failed attempts a minute per (client id, source address) pair before `429`; 0
    /// disables. Failures for an id never throttle other addresses.
    pub per_client_per_minute: u32,
    /// Most keys tracked per table (bounded memory under a spray of addresses or ids).
    pub max_tracked_keys: usize,
    /// How long a successful (client id, address) pair is exempt from the per-pair limit.
    pub success_exemption: Duration,
}

impl Default for ThrottleLimits {
    fn default() -> Self {
        Self {
            per_address_per_minute: 60,
            per_client_per_minute: 30,
            max_tracked_keys: 10_000,
            success_exemption: Duration::from_secs(30 * 60),
        }
    }
}

/// Client ids longer than this are tracked by their prefix; real ids are short kebab-case.
const MAX_TRACKED_ID_BYTES: usize = 128;
const WINDOW: Duration = Duration::from_secs(60);

/// The two failure tables and the success exemptions.
#[derive(Debug)]
pub(crate) struct Throttle {
    by_address: FailureTable<IpAddr>,
    by_client: FailureTable<(String, IpAddr)>,
    successes: Mutex<HashMap<(String, IpAddr), Instant>>,
    limits: ThrottleLimits,
}

impl Throttle {
    pub(crate) fn new(limits: ThrottleLimits) -> Self {
        Self {
            by_address: FailureTable::new(limits.per_address_per_minute, limits.max_tracked_keys),
            by_client: FailureTable::new(limits.per_client_per_minute, limits.max_tracked_keys),
            successes: Mutex::new(HashMap::new()),
            limits,
        }
    }

    /// `Err(retry_after)` when the attempt must be refused before any bcrypt work.
    pub(crate) fn check(
        &self,
        address: IpAddr,
        client_id: &str,
        now: Instant,
    ) -> Result<(), Duration> {
        self.by_address.check(&address, now)?;
        if self.recently_succeeded(client_id, address, now) {
            return Ok(());
        }
        self.by_client.check(&(tracked_id(client_id), address), now)
    }

    /// Charges a failed attempt to the address and to the (client id, address) pair.
    pub(crate) fn record_failure(&self, address: IpAddr, client_id: &str, now: Instant) {
        self.by_address.charge(address, now);
        self.by_client.charge((tracked_id(client_id), address), now);
    }

    /// Remembers a success, exempting the pair from the per-pair limit for a while.
    pub(crate) fn record_success(&self, address: IpAddr, client_id: &str, now: Instant) {
        let mut successes = self.successes.lock().unwrap_or_else(|e| e.into_inner());
        let key = (tracked_id(client_id), address);
        if !successes.contains_key(&key) && successes.len() >= self.limits.max_tracked_keys {
            let exemption = self.limits.success_exemption;
            successes.retain(|_, at| now.saturating_duration_since(*at) < exemption);
            // Successes need a valid secret, so only the real clients fill this table;
            // dropping the oldest keeps memory bounded whatever happens.
            if successes.len() >= self.limits.max_tracked_keys
                && let Some(oldest) = successes
                    .iter()
                    .min_by_key(|(_, at)| **at)
                    .map(|(k, _)| k.clone())
            {
                successes.remove(&oldest);
            }
        }
        successes.insert(key, now);
    }

    fn recently_succeeded(&self, client_id: &str, address: IpAddr, now: Instant) -> bool {
        let successes = self.successes.lock().unwrap_or_else(|e| e.into_inner());
        successes
            .get(&(tracked_id(client_id), address))
            .is_some_and(|at| now.saturating_duration_since(*at) < self.limits.success_exemption)
    }
}

fn tracked_id(client_id: &str) -> String {
    let mut end = client_id.len().min(MAX_TRACKED_ID_BYTES);
    while !client_id.is_char_boundary(end) {
        end -= 1;
    }
    client_id[..end].to_owned()
}

/// GCRA cells for one kind of key.
#[derive(Debug)]
struct FailureTable<K> {
    /// `None` when this limit is off.
    interval: Option<Duration>,
    cap: usize,
    cells: Mutex<HashMap<K, Instant>>,
}

impl<K: Hash + Eq + Clone> FailureTable<K> {
    fn new(per_minute: u32, cap: usize) -> Self {
        Self {
            interval: (per_minute > 0).then(|| WINDOW / per_minute),
            cap: cap.max(1),
            cells: Mutex::new(HashMap::new()),
        }
    }

    fn check(&self, key: &K, now: Instant) -> Result<(), Duration> {
        let Some(interval) = self.interval else {
            return Ok(());
        };
        let cells = self.cells.lock().unwrap_or_else(|e| e.into_inner());
        let Some(arrival) = cells.get(key) else {
            return Ok(());
        };
        let ahead = arrival.saturating_duration_since(now);
        let tolerance = WINDOW - interval;
        if ahead > tolerance {
            Err(ahead - tolerance)
        } else {
            Ok(())
        }
    }

    fn charge(&self, key: K, now: Instant) {
        let Some(interval) = self.interval else {
            return;
        };
        let mut cells = self.cells.lock().unwrap_or_else(|e| e.into_inner());
        if !cells.contains_key(&key) && cells.len() >= self.cap {
            cells.retain(|_, arrival| *arrival > now);
            if cells.len() >= self.cap
                && let Some(closest) = cells
                    .iter()
                    .min_by_key(|(_, a)| **a)
                    .map(|(k, _)| k.clone())
            {
                cells.remove(&closest);
            }
        }
        let arrival = cells.entry(key).or_insert(now);
        *arrival = (*arrival).max(now) + interval;
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.cells.lock().unwrap().len()
    }
}

#[cfg(test)]
mod tests;
