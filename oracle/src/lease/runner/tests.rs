//! The runner on tokio's paused clock against a scripted store.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::{Instant, advance, sleep};

use super::*;
use crate::lease::clock::TokioLeaseClock;
use crate::lease::store::StoreFuture;

const TTL: Duration = Duration::from_secs(5);

/// What the store does on one call.
#[derive(Debug, Clone)]
enum Step {
    /// Answer after a delay.
    Answer(Duration, Claim),
    /// Fail at once, as a refused connection does.
    Fail,
    /// Never answer.
    Hang,
}

#[derive(Default)]
struct Script {
    steps: VecDeque<Step>,
    /// What to do once the steps run out.
    then: Option<Step>,
    /// When each acquire was called, since the test's start.
    calls: Vec<Duration>,
    releases: usize,
}

#[derive(Clone)]
struct ScriptedStore {
    script: Arc<Mutex<Script>>,
    origin: Instant,
}

impl ScriptedStore {
    fn new(steps: impl IntoIterator<Item = Step>, then: Step) -> Self {
        Self {
            script: Arc::new(Mutex::new(Script {
                steps: steps.into_iter().collect(),
                then: Some(then),
                ..Script::default()
            })),
            origin: Instant::now(),
        }
    }

    fn calls(&self) -> Vec<Duration> {
        self.script.lock().unwrap().calls.clone()
    }

    fn releases(&self) -> usize {
        self.script.lock().unwrap().releases
    }
}

impl LeaseStore for ScriptedStore {
    fn acquire(&mut self, _ttl: Duration) -> StoreFuture<'_, Claim> {
        let step = {
            let mut script = self.script.lock().unwrap();
            script.calls.push(self.origin.elapsed());
            match script.steps.pop_front() {
                Some(step) => step,
                None => script.then.clone().expect("a final step"),
            }
        };
        Box::pin(async move {
            match step {
                Step::Answer(delay, claim) => {
                    if !delay.is_zero() {
                        sleep(delay).await;
                    }
                    Ok(claim)
                }
                Step::Fail => Err(LeaseError::Timeout {
                    operation: "connect",
                    after: Duration::ZERO,
                }),
                Step::Hang => std::future::pending().await,
            }
        })
    }

    fn release(&mut self) -> StoreFuture<'_, bool> {
        self.script.lock().unwrap().releases += 1;
        Box::pin(async { Ok(true) })
    }
}

fn held() -> Step {
    Step::Answer(Duration::ZERO, Claim::Held)
}

fn taken() -> Step {
    Step::Answer(Duration::ZERO, Claim::HeldBy(Some("other#1".into())))
}

fn start(store: &ScriptedStore) -> LeaseHandle {
    spawn(
        store.clone(),
        "test".into(),
        LeaseTiming::for_ttl(TTL),
        Leadership::leased(Arc::new(TokioLeaseClock::new())),
    )
}

fn ms(millis: u64) -> Duration {
    Duration::from_millis(millis)
}

/// Lets the runner take its turn without time passing.
async fn settle() {
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
}

// Time passes with `sleep` (the paused clock jumps from timer to timer, every task running at
// each), except where a test freezes the process: `advance` moves the clock in one jump and
// only then lets tasks run.

#[tokio::test(start_paused = true)]
async fn validity_counts_from_when_the_renewal_was_sent_not_answered() {
    // The answer takes 1.5 s: acting ends 4.5 s after sending, 3 s after the answer.
    let store = ScriptedStore::new([Step::Answer(ms(1500), Claim::Held)], Step::Hang);
    let lease = start(&store);
    sleep(ms(1499)).await;
    assert!(!lease.leadership().acting(), "not before the answer");
    sleep(ms(1)).await;
    settle().await;
    assert_eq!(lease.leadership().remaining(), Some(ms(3000)));
    sleep(ms(2999)).await;
    assert!(lease.leadership().acting());
    sleep(ms(1)).await;
    assert!(!lease.leadership().acting());
}

#[tokio::test(start_paused = true)]
async fn renewals_every_third_of_the_ttl_keep_the_leader_acting_without_a_gap() {
    let store = ScriptedStore::new([], held());
    let lease = start(&store);
    settle().await;
    for _ in 0..600 {
        assert!(lease.leadership().acting());
        sleep(ms(100)).await;
    }
    let calls = store.calls();
    let gaps: Vec<Duration> = calls.windows(2).map(|pair| pair[1] - pair[0]).collect();
    // From send to send; tokio's timer rounds up to the millisecond.
    assert!(
        gaps.iter()
            .all(|gap| *gap >= TTL / 3 && *gap <= TTL / 3 + ms(1)),
        "{gaps:?}"
    );
    assert_eq!(calls.len(), 36, "one per 5/3 s over 60 s: {calls:?}");
}

#[tokio::test(start_paused = true)]
async fn a_leader_that_cannot_renew_stands_down_before_its_lease_can_expire() {
    let store = ScriptedStore::new([held()], Step::Fail);
    let lease = start(&store);
    settle().await;
    assert!(lease.leadership().acting());
    // The database keeps the lease until 5 s after the statement; the leader stops at 4.5 s.
    sleep(ms(4499)).await;
    assert!(lease.leadership().acting());
    sleep(ms(1)).await;
    assert!(!lease.leadership().acting());
    sleep(ms(30_000)).await;
    assert!(!lease.leadership().acting());
    assert_eq!(
        lease.leadership().database_failures() as usize,
        store.calls().len() - 1
    );
}

#[tokio::test(start_paused = true)]
async fn a_hung_statement_is_cut_and_cannot_keep_a_leader_acting() {
    let store = ScriptedStore::new([held()], Step::Hang);
    let lease = start(&store);
    settle().await;
    sleep(ms(4500)).await;
    assert!(!lease.leadership().acting());
    // Each hung attempt is cut at T/3 and followed by another.
    sleep(ms(10_000)).await;
    let calls = store.calls();
    assert!(calls.len() >= 5, "{calls:?}");
    let gaps: Vec<Duration> = calls.windows(2).map(|pair| pair[1] - pair[0]).collect();
    assert!(gaps.iter().all(|gap| *gap >= TTL / 3), "{gaps:?}");
}

#[tokio::test(start_paused = true)]
async fn a_frozen_leader_wakes_as_a_standby_when_another_took_over() {
    let store = ScriptedStore::new([held()], taken());
    let lease = start(&store);
    settle().await;
    assert!(lease.leadership().acting());
    // Frozen for 20 s: the clock jumps with no task running in between.
    let before = store.calls().len();
    advance(ms(20_000)).await;
    assert!(!lease.leadership().acting(), "stale validity after waking");
    settle().await;
    assert_eq!(
        store.calls().len(),
        before + 1,
        "one attempt on waking, not a burst"
    );
    assert!(!lease.leadership().acting());
}

#[tokio::test(start_paused = true)]
async fn a_standby_takes_over_at_its_first_poll_after_the_lease_frees() {
    let store = ScriptedStore::new([taken(), taken(), taken()], held());
    let lease = start(&store);
    settle().await;
    assert!(!lease.leadership().acting());
    sleep(TTL / 3 * 2 + ms(1)).await;
    assert!(!lease.leadership().acting());
    sleep(TTL / 3).await;
    assert!(lease.leadership().acting());
    assert_eq!(store.calls().len(), 4);
}

#[tokio::test(start_paused = true)]
async fn failures_back_off_from_a_quarter_second_to_the_renewal_interval() {
    let store = ScriptedStore::new([], Step::Fail);
    let lease = start(&store);
    sleep(ms(20_000)).await;
    let calls = store.calls();
    let gaps: Vec<Duration> = calls.windows(2).map(|pair| pair[1] - pair[0]).collect();
    let mut expected = ms(250);
    for gap in &gaps {
        // Up to 20 % jitter, downwards only; tokio's paused timer rounds to the millisecond.
        assert!(
            *gap <= expected + ms(1) && *gap >= expected.mul_f64(0.8),
            "{gaps:?}"
        );
        expected = (expected * 2).min(TTL / 3);
    }
    assert!(gaps.len() > 10, "{gaps:?}");
    assert!(!lease.leadership().acting());
}

#[tokio::test(start_paused = true)]
async fn shutdown_stops_acting_and_releases_only_when_asked() {
    let store = ScriptedStore::new([], held());
    let lease = start(&store);
    settle().await;
    let leadership = lease.leadership().clone();
    assert!(leadership.acting());
    lease.shutdown(true).await;
    assert!(!leadership.acting());
    assert_eq!(store.releases(), 1);

    let store = ScriptedStore::new([], held());
    let lease = start(&store);
    settle().await;
    lease.shutdown(false).await;
    assert_eq!(store.releases(), 0);
}
