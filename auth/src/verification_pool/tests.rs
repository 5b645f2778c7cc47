use std::net::Ipv4Addr;

use super::*;

fn source(n: u32) -> IpAddr {
    IpAddr::V4(Ipv4Addr::from(0xc000_0200 + n))
}

fn key(n: u32) -> SourceKey {
    SourceKey::of(source(n))
}

fn far() -> Instant {
    Instant::now() + Duration::from_secs(3600)
}

/// A pool whose single worker is held by a job until the returned sender is used.
fn held_pool(queue: usize) -> (VerificationPool, std::sync::mpsc::Sender<()>, Pending<()>) {
    let pool = VerificationPool::start(1, queue, 0).unwrap();
    let (release, blocked) = std::sync::mpsc::channel::<()>();
    let (started_tx, started) = std::sync::mpsc::channel::<()>();
    let running = pool
        .submit(source(0), move || {
            started_tx.send(()).unwrap();
            blocked.recv().unwrap();
        })
        .unwrap();
    started.recv().unwrap();
    (pool, release, running)
}

#[test]
fn ipv6_sources_count_by_their_64_and_mapped_ipv4_as_ipv4() {
    let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
    let b: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
    let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
    assert_eq!(SourceKey::of(a), SourceKey::of(b));
    assert_ne!(SourceKey::of(a), SourceKey::of(c));
    let mapped: IpAddr = "::ffff:192.0.2.1".parse().unwrap();
    assert_eq!(SourceKey::of(mapped), key(1));
    assert_ne!(key(1), key(2));
}

#[test]
fn workers_take_sources_in_turn() {
    let mut admission = Admission::new(9);
    for n in 1..=3 {
        for job in 0..3 {
            admission.submit(key(n), (n, job), drop).unwrap();
        }
    }
    let order: Vec<_> = std::iter::from_fn(|| admission.next_job()).collect();
    assert_eq!(
        order,
        [
            (1, 0),
            (2, 0),
            (3, 0),
            (1, 1),
            (2, 1),
            (3, 1),
            (1, 2),
            (2, 2),
            (3, 2)
        ]
    );
}

#[test]
fn a_new_source_is_served_before_sources_already_served() {
    let mut admission = Admission::new(8);
    for job in 0..4 {
        admission.submit(key(1), job, drop).unwrap();
    }
    assert_eq!(admission.next_job(), Some(0));
    assert_eq!(admission.next_job(), Some(1));
    admission.submit(key(2), 100, drop).unwrap();
    assert_eq!(admission.next_job(), Some(100));
    assert_eq!(admission.next_job(), Some(2));
}

#[test]
fn one_source_holds_at_most_half_the_queue_and_then_waits_in_order() {
    let mut admission = Admission::new(8);
    let placed: Vec<_> = (0..6)
        .map(|job| admission.submit(key(1), job, drop).unwrap().1)
        .collect();
    assert_eq!(&placed[..4], [Placed::Queued; 4]);
    assert_eq!(&placed[4..], [Placed::Waiting; 2]);
    // Room for others stays.
    assert_eq!(
        admission.submit(key(2), 50, drop).unwrap().1,
        Placed::Queued
    );
    let order: Vec<_> = std::iter::from_fn(|| admission.next_job()).collect();
    assert_eq!(order, [0, 50, 1, 2, 3, 4, 5]);
}

#[test]
fn a_source_with_nothing_queued_takes_the_place_of_the_largest_sources_newest_job() {
    let mut admission = Admission::new(4);
    for job in 0..2 {
        admission.submit(key(1), job, drop).unwrap();
    }
    admission.submit(key(2), 10, drop).unwrap();
    admission.submit(key(3), 20, drop).unwrap();
    assert_eq!(admission.queued.len, 4);
    assert_eq!(
        admission.submit(key(4), 30, drop).unwrap().1,
        Placed::Queued
    );
    assert_eq!(admission.queued.len_of(key(1)), 1);
    assert_eq!(
        admission.waiting.len_of(key(1)),
        1,
        "the displaced job waits"
    );
    // A source already queued does not displace anyone: it waits.
    assert_eq!(
        admission.submit(key(2), 11, drop).unwrap().1,
        Placed::Waiting
    );
    let order: Vec<_> = std::iter::from_fn(|| admission.next_job()).collect();
    assert_eq!(order.len(), 6);
    assert!(order.contains(&1), "the displaced job still runs");
}

/// 48 sources keep everything full, each with as much queued and waiting as it may have; a
/// 49th source still gets in at the next free place, and is served within a few jobs.
#[test]
fn a_flood_from_48_sources_cannot_keep_a_49th_out() {
    let mut admission = Admission::new(8);
    let mut shed = 0;
    let flood = |admission: &mut Admission<u32>, shed: &mut usize| {
        for n in 1..=48 {
            for _ in 0..(MAX_WAITING_PER_SOURCE + 8) {
                if admission.submit(key(n), n, |_| *shed += 1).is_err() {
                    break;
                }
            }
        }
    };
    flood(&mut admission, &mut shed);
    assert_eq!(admission.queued.len, 8);
    assert_eq!(
        admission.waiting.len, MAX_WAITING,
        "the waiting room is bounded"
    );
    // Serve a while, flooding again after every job.
    for _ in 0..200 {
        admission.next_job().unwrap();
        flood(&mut admission, &mut shed);
    }
    assert!(admission.waiting.len <= MAX_WAITING);
    admission.submit(key(49), 49, |_| shed += 1).unwrap();
    flood(&mut admission, &mut shed);
    let mut served = 0;
    loop {
        served += 1;
        let job = admission.next_job().unwrap();
        if served == 1 {
            assert_eq!(
                admission.queued.len_of(key(49)),
                usize::from(job != 49),
                "the newcomer is queued at the latest when the first place frees up"
            );
        }
        if job == 49 {
            break;
        }
        flood(&mut admission, &mut shed);
    }
    assert!(served <= 8, "served after {served} jobs");
}

#[test]
fn the_waiting_room_is_bounded_per_source_and_in_all() {
    let mut admission = Admission::new(2);
    let mut refused = 0;
    for _ in 0..(2 + MAX_WAITING_PER_SOURCE + 5) {
        if admission.submit(key(1), 1, drop).is_err() {
            refused += 1;
        }
    }
    assert_eq!(admission.waiting.len_of(key(1)), MAX_WAITING_PER_SOURCE);
    assert_eq!(
        refused,
        2 + 5 - 1,
        "one queued job, the rest wait up to the bound"
    );
    let mut shed = 0;
    for n in 2..200 {
        for _ in 0..MAX_WAITING_PER_SOURCE {
            if admission.submit(key(n), n, |_| shed += 1).is_err() {
                break;
            }
        }
    }
    assert_eq!(admission.waiting.len, MAX_WAITING);
    assert!(
        shed > 0,
        "newcomers to a full room take the largest source's newest place"
    );
}

#[test]
fn withdrawn_jobs_leave_and_free_their_place() {
    let mut admission = Admission::new(1);
    let (first, _) = admission.submit(key(1), 1, drop).unwrap();
    let (second, placed) = admission.submit(key(2), 2, drop).unwrap();
    assert_eq!(placed, Placed::Waiting);
    assert_eq!(
        admission.withdraw_waiting(key(1), first),
        None,
        "queued jobs run"
    );
    assert_eq!(admission.withdraw(key(1), first), Some(1));
    assert_eq!(
        admission.queued.len_of(key(2)),
        1,
        "the waiting job moved up"
    );
    assert_eq!(admission.withdraw_waiting(key(2), second), None);
    assert_eq!(admission.next_job(), Some(2));
    assert_eq!(admission.next_job(), None);
}

#[test]
fn the_memory_of_turns_is_bounded() {
    let mut admission = Admission::new(2);
    for n in 0..10_000 {
        admission.submit(key(n), n, drop).unwrap();
        assert_eq!(admission.next_job(), Some(n));
    }
    assert!(admission.queued.served.len() <= MAX_REMEMBERED_SOURCES);
    assert!(admission.waiting.served.len() <= MAX_REMEMBERED_SOURCES);
}

#[tokio::test]
async fn runs_jobs_and_returns_their_results() {
    let pool = VerificationPool::start(2, 4, 10).unwrap();
    let result = pool.submit(source(1), || 6 * 7).unwrap();
    assert_eq!(result.outcome(far()).await.unwrap(), 42);
}

#[tokio::test(start_paused = true)]
async fn a_job_that_finds_no_room_waits_then_is_shed_at_its_deadline() {
    let (pool, release, running) = held_pool(1);
    let queued = pool.submit(source(1), || 1).unwrap();
    let waiting = pool.submit(source(2), || 2).unwrap();
    let start = Instant::now();
    let deadline = start + ADMISSION_WAIT;
    assert_eq!(waiting.outcome(deadline).await.unwrap_err(), NotRun::Shed);
    assert_eq!(Instant::now(), deadline, "shed at its deadline, not before");
    release.send(()).unwrap();
    running.outcome(far()).await.unwrap();
    assert_eq!(queued.outcome(far()).await.unwrap(), 1);
}

#[tokio::test]
async fn a_waiting_job_runs_when_room_frees_up() {
    let (pool, release, running) = held_pool(1);
    let queued = pool.submit(source(1), || 1).unwrap();
    let waiting = pool.submit(source(2), || 2).unwrap();
    release.send(()).unwrap();
    running.outcome(far()).await.unwrap();
    assert_eq!(queued.outcome(far()).await.unwrap(), 1);
    assert_eq!(waiting.outcome(far()).await.unwrap(), 2);
}

#[tokio::test]
async fn an_abandoned_job_leaves_the_queue() {
    let (pool, release, running) = held_pool(1);
    let ran = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = Arc::clone(&ran);
    let queued = pool
        .submit(source(1), move || {
            flag.store(true, std::sync::atomic::Ordering::SeqCst)
        })
        .unwrap();
    drop(queued);
    assert_eq!(pool.inner.lock().admission.queued.len, 0);
    let next = pool.submit(source(2), || 2).unwrap();
    release.send(()).unwrap();
    running.outcome(far()).await.unwrap();
    assert_eq!(next.outcome(far()).await.unwrap(), 2);
    assert!(!ran.load(std::sync::atomic::Ordering::SeqCst));
}

#[tokio::test]
async fn no_room_even_to_wait_is_reported_at_once() {
    let (pool, release, running) = held_pool(1);
    let mut held = Vec::new();
    for _ in 0..=MAX_WAITING_PER_SOURCE {
        held.push(pool.submit(source(1), || ()).unwrap());
    }
    assert_eq!(pool.submit(source(1), || ()).err(), Some(QueueFull));
    release.send(()).unwrap();
    running.outcome(far()).await.unwrap();
}

#[tokio::test]
async fn a_panicking_job_does_not_kill_the_worker() {
    let pool = VerificationPool::start(1, 2, 0).unwrap();
    let panicked = pool.submit(source(1), || -> u8 { panic!("boom") }).unwrap();
    assert_eq!(panicked.outcome(far()).await.unwrap_err(), NotRun::Failed);
    let next = pool.submit(source(1), || 1).unwrap();
    assert_eq!(next.outcome(far()).await.unwrap(), 1);
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn workers_switch_to_the_idle_scheduling_policy() {
    use thread_priority::{NormalThreadSchedulePolicy, ThreadSchedulePolicy};
    let pool = VerificationPool::start(1, 1, 19).unwrap();
    let policy = pool
        .submit(source(1), thread_priority::thread_schedule_policy)
        .unwrap();
    let policy = policy.outcome(far()).await.unwrap().unwrap();
    assert_eq!(
        policy,
        ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Idle)
    );
    let normal = VerificationPool::start(1, 1, 0).unwrap();
    let policy = normal
        .submit(source(1), thread_priority::thread_schedule_policy)
        .unwrap();
    let policy = policy.outcome(far()).await.unwrap().unwrap();
    assert_eq!(
        policy,
        ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Other)
    );
}

#[tokio::test]
async fn workers_lower_their_own_priority() {
    let pool = VerificationPool::start(1, 1, 7).unwrap();
    let nice = pool
        .submit(source(1), || {
            rustix::process::getpriority_process(Some(rustix::thread::gettid()))
        })
        .unwrap();
    let nice = nice.outcome(far()).await.unwrap().unwrap();
    let own = rustix::process::getpriority_process(None).unwrap();
    assert_eq!(nice, (own + 7).min(19));
}
